//! Money moves only after a check, over real HTTP on the real server: paying a period,
//! paying a provider's invoice, deciding a direct-payment review and confirming a pool's
//! settlement each show a check page first and post nothing; the check page states the
//! transfers (accounts and amounts) that its Confirm button then posts, read back from the
//! ledger; and Confirm sent twice (a double click) posts once.

// This whole crate is a test: see the note in tests/api.rs.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

#[allow(dead_code)]
mod support;

use std::collections::BTreeSet;

use onebudget_core::Money;
use onebudget_store::Store;
use reqwest::StatusCode;
use support::Server;

/// Run `f` on the store on the blocking pool.
async fn with_store<T: Send + 'static>(
    store: &Store,
    f: impl FnOnce(&Store) -> T + Send + 'static,
) -> T {
    let store = store.clone();
    tokio::task::spawn_blocking(move || f(&store)).await.expect("task")
}

async fn transfer_count(store: &Store) -> u64 {
    with_store(store, |s| s.transfer_count().expect("count")).await
}

/// Post a form (CSRF token `csrf`, as `support::session_client` sets it) and read the page.
async fn post(
    client: &reqwest::Client,
    server: &Server,
    path: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, String) {
    let mut form: Vec<(&str, &str)> = vec![("csrf_token", "csrf")];
    form.extend_from_slice(fields);
    let response =
        client.post(format!("{}{path}", server.base)).form(&form).send().await.expect("sent");
    let status = response.status();
    (status, response.text().await.expect("the page"))
}

/// The value of the hidden field `name` on a page.
fn hidden(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start =
        page.find(&marker).unwrap_or_else(|| panic!("no field {name}: {page}")) + marker.len();
    let end = page[start..].find('"').expect("the value ends") + start;
    page[start..end].to_owned()
}

/// The text of each cell of each body row of the table captioned `caption`.
fn table_rows(page: &str, caption: &str) -> Vec<Vec<String>> {
    let at = page.find(caption).unwrap_or_else(|| panic!("no table {caption}: {page}"));
    let table = &page[at..page[at..].find("</table>").expect("the table ends") + at];
    let body = &table[table.find("<tbody").expect("a body")..];
    body.split("<tr")
        .skip(1)
        .map(|row| {
            row.split("<td")
                .skip(1)
                .map(|cell| {
                    let cell = &cell[cell.find('>').expect("a cell") + 1..];
                    let cell = cell.split("</td>").next().unwrap_or("");
                    text_of(cell)
                })
                .collect()
        })
        .collect()
}

/// HTML without its tags, with `<br>` as a space and runs of white space as one.
fn text_of(html: &str) -> String {
    let mut text = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => {
                in_tag = true;
                text.push(' ');
            }
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.replace("&amp;", "&")
        .replace("&#39;", "'")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The transfers under `key`s as recorded: (from, to, pence).
async fn recorded(store: &Store, keys: Vec<String>) -> BTreeSet<(String, String, i64)> {
    with_store(store, move |s| {
        keys.iter()
            .filter_map(|k| {
                let key = onebudget_core::ledger::IdempotencyKey::parse("key", k).expect("a key");
                s.transfer(&key).expect("read").map(|r| {
                    let t = r.transfer;
                    (t.from().as_str().to_owned(), t.to().as_str().to_owned(), t.amount().pence())
                })
            })
            .collect()
    })
    .await
}

/// "£1,234.56" as pence.
fn pence_of(text: &str) -> i64 {
    Money::parse(text.trim().trim_start_matches('£')).expect("an amount").pence()
}

#[tokio::test]
async fn paying_a_period_is_checked_first_and_confirmed_once() {
    let server = Server::start().await;
    with_store(&server.store, |s| {
        support::seed_place(s);
        support::seed_budget_people(s);
        support::seed_budget_citizen(s);
    })
    .await;
    let finance = support::session_client(&server.store, "finance");
    // The fixture paid four weeks from the start; the next two are not paid yet.
    let from = (chrono::NaiveDate::parse_from_str(support::BUDGET_START, "%Y-%m-%d").unwrap()
        + chrono::Duration::weeks(i64::from(support::BUDGET_WEEKS_PAID)))
    .to_string();
    let before = transfer_count(&server.store).await;

    let (status, check) =
        post(&finance, &server, "/budgets/payments", &[("from", &from), ("weeks", "2")]).await;
    assert_eq!(status, StatusCode::OK, "{check}");
    assert!(check.contains("Check the payments before you pay them"), "{check}");
    assert_eq!(transfer_count(&server.store).await, before, "the first step posts nothing");
    // The one person paid is named (the check names few people), and the period is given.
    assert!(check.contains("Robin Southey (P000004)"), "{check}");
    assert!(check.contains("30 June 2025 to 13 July 2025 (2 weeks)"), "{check}");
    let shown: BTreeSet<(String, String, i64)> = table_rows(&check, "Every transfer of the period")
        .into_iter()
        .map(|cells| {
            let code = |cell: &str| cell.rsplit(' ').next().unwrap().to_owned();
            (code(&cells[0]), code(&cells[1]), pence_of(&cells[3]))
        })
        .collect();
    assert!(!shown.is_empty(), "{check}");
    let digest = hidden(&check, "digest");

    // A digest that is not the one shown is refused, and nothing moves.
    let (status, page) = post(
        &finance,
        &server,
        "/budgets/payments",
        &[("from", &from), ("weeks", "2"), ("digest", "0000"), ("step", "confirm")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(page.contains("govuk-error-summary"), "{page}");
    assert_eq!(transfer_count(&server.store).await, before);

    let confirm =
        [("from", from.as_str()), ("weeks", "2"), ("digest", &digest), ("step", "confirm")];
    let (status, page) = post(&finance, &server, "/budgets/payments", &confirm).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let after = transfer_count(&server.store).await;
    assert_eq!(after - before, shown.len() as u64, "the transfers shown, and no others");
    // What was posted is what the check page showed.
    let scheme = onebudget_core::budget::config::Scheme::ashby_vale().unwrap();
    let start = chrono::NaiveDate::parse_from_str(&from, "%Y-%m-%d").unwrap();
    let keys = with_store(&server.store, move |s| {
        s.budget_payments(&scheme, start, 2)
            .unwrap()
            .iter()
            .map(|t| t.idempotency_key().as_str().to_owned())
            .collect::<Vec<_>>()
    })
    .await;
    assert_eq!(recorded(&server.store, keys).await, shown);

    // Confirm again (a double click): nothing more is posted.
    let (status, page) = post(&finance, &server, "/budgets/payments", &confirm).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("0 of"), "{page}");
    assert_eq!(transfer_count(&server.store).await, after);
    server.finish().await;
}

#[tokio::test]
async fn an_invoice_is_checked_first_and_paid_once() {
    let server = Server::start().await;
    with_store(&server.store, |s| {
        support::seed_place(s);
        support::seed_budget_people(s);
        support::seed_budget_mixed(s);
    })
    .await;
    let finance = support::session_client(&server.store, "finance");
    let before = transfer_count(&server.store).await;
    let fields = [
        ("invoice-key", "double-click-test"),
        ("invoice-person", support::BUDGET_MIXED),
        ("invoice-stream", "ASC"),
        ("invoice-provider", support::BUDGET_PROVIDER),
        ("invoice-amount", "120.00"),
        ("invoice-date", support::BUDGET_START),
        ("invoice-number", "INV-77"),
    ];
    let (status, check) = post(&finance, &server, "/budgets/invoices", &fields).await;
    assert_eq!(status, StatusCode::OK, "{check}");
    assert!(check.contains("Check the invoice before you pay it"), "{check}");
    assert_eq!(transfer_count(&server.store).await, before, "the first step posts nothing");
    let text = text_of(&check);
    assert!(text.contains("Person Kit Mason (P000006)"), "{text}");
    assert!(text.contains(&format!("To Care at Home Ltd {}", support::BUDGET_PROVIDER)), "{text}");
    assert!(text.contains(&format!("{}-ASC", support::BUDGET_MIXED)), "{text}");
    assert!(text.contains("Amount £120.00"), "{text}");
    assert_eq!(hidden(&check, "invoice-key"), "double-click-test", "the key is carried");

    let mut confirm = fields.to_vec();
    confirm.push(("step", "confirm"));
    for _ in 0..2 {
        let (status, page) = post(&finance, &server, "/budgets/invoices", &confirm).await;
        assert_eq!(status, StatusCode::OK, "{page}");
    }
    assert_eq!(transfer_count(&server.store).await, before + 1, "confirmed twice, posted once");
    let posted = recorded(
        &server.store,
        vec![format!("invoice/{}/double-click-test", support::BUDGET_MIXED)],
    )
    .await;
    let expected =
        (format!("{}-ASC", support::BUDGET_MIXED), support::BUDGET_PROVIDER.to_owned(), 12_000);
    assert_eq!(posted, BTreeSet::from([expected]));
    server.finish().await;
}

#[tokio::test]
async fn a_recovery_is_checked_first_and_decided_once() {
    let server = Server::start().await;
    let review = with_store(&server.store, |s| {
        support::seed_place(s);
        support::seed_budget_people(s);
        support::seed_budget_citizen(s);
        let on = chrono::NaiveDate::from_ymd_opt(2025, 7, 1).unwrap();
        s.monitor_direct_payments(on, 1, "finance").unwrap();
        s.dp_reviews(true).unwrap().into_iter().find(|r| r.stream == "PHB").expect("a review")
    })
    .await;
    let finance = support::session_client(&server.store, "finance");
    let before = transfer_count(&server.store).await;
    let path = format!("/budgets/reviews/{}/decide", review.id);
    let amount_id = format!("amount-{}", review.id);
    let note_id = format!("note-{}", review.id);
    let amount = review.proposed_recovery.to_plain_string();

    // Dismissing is checked too, with the warning button, and nothing is decided.
    let (status, check) = post(
        &finance,
        &server,
        &path,
        &[("decision", "dismiss"), (&amount_id, &amount), (&note_id, "Agreed")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{check}");
    assert!(check.contains("Check the dismissal before you confirm it"), "{check}");
    assert!(check.contains("govuk-button govuk-button--warning"), "{check}");

    let fields = [("decision", "recover"), (&amount_id, &amount), (&note_id, "Agreed with Robin")];
    let (status, check) = post(&finance, &server, &path, &fields).await;
    assert_eq!(status, StatusCode::OK, "{check}");
    assert!(check.contains("Check the recovery before you confirm it"), "{check}");
    let text = text_of(&check);
    assert!(text.contains(&format!("Amount recovered {}", review.proposed_recovery)), "{text}");
    assert!(text.contains(&format!("{}-DP", support::BUDGET_CITIZEN)), "{text}");
    assert!(text.contains("Robin Southey (P000004)"), "{text}");
    assert_eq!(transfer_count(&server.store).await, before, "the first step posts nothing");
    let id = review.id;
    let open = with_store(&server.store, move |s| s.dp_review(id).unwrap().unwrap()).await;
    assert!(open.decision.is_none(), "nothing is decided by the first step");

    let mut confirm = fields.to_vec();
    confirm.push(("step", "confirm"));
    for _ in 0..2 {
        let (status, page) = post(&finance, &server, &path, &confirm).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert!(page.contains("The decision has been recorded."), "{page}");
    }
    assert_eq!(transfer_count(&server.store).await, before + 1, "confirmed twice, posted once");
    let posted = recorded(&server.store, vec![format!("dp-review/{id}/recovery")]).await;
    let (_, to, pence) = posted.into_iter().next().expect("the recovery");
    assert_eq!(pence, review.proposed_recovery.pence(), "the amount the check page stated");
    assert!(text.contains(&to), "the account the check page named: {to}");
    server.finish().await;
}

#[tokio::test]
async fn a_settlement_is_checked_first_and_posted_once() {
    let server = Server::start().await;
    with_store(&server.store, |s| {
        support::seed_place(s);
        support::seed_pool(s);
    })
    .await;
    let year =
        onebudget_core::pool::FinancialYear::new("year", i64::from(support::POOL_YEAR)).unwrap();
    let view =
        with_store(&server.store, move |s| s.pool_settlement(support::POOL, year).unwrap()).await;
    assert!(!view.settlement.transfers.is_empty(), "the fixture's settlement moves money");
    let path = format!("/pools/{}/{}/settlement/confirm", support::POOL, support::POOL_YEAR);
    let [council, icb] = support::POOL_FINANCE_LOGINS;
    let before = transfer_count(&server.store).await;

    let council = support::session_client(&server.store, council.0);
    let (status, check) = post(&council, &server, &path, &[("digest", &view.digest)]).await;
    assert_eq!(status, StatusCode::OK, "{check}");
    assert!(check.contains("before you confirm it"), "{check}");
    assert!(text_of(&check).contains("Nothing is posted until ICB confirms"), "{check}");
    let seen =
        with_store(&server.store, move |s| s.pool_settlement(support::POOL, year).unwrap()).await;
    assert!(seen.confirmed_by.is_empty(), "the first step records no confirmation");
    let confirm = [("digest", view.digest.as_str()), ("step", "confirm")];
    let (status, _) = post(&council, &server, &path, &confirm).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(transfer_count(&server.store).await, before, "one partner posts nothing");

    let icb = support::session_client(&server.store, icb.0);
    let (status, check) = post(&icb, &server, &path, &[("digest", &view.digest)]).await;
    assert_eq!(status, StatusCode::OK, "{check}");
    assert!(text_of(&check).contains("You are the last partner to confirm"), "{check}");
    assert_eq!(transfer_count(&server.store).await, before, "the check posts nothing");
    let shown: BTreeSet<(String, String, i64)> = table_rows(&check, "The balancing transfers")
        .into_iter()
        .map(|cells| {
            let code = |cell: &str| cell.rsplit(' ').next().unwrap().to_owned();
            (code(&cells[0]), code(&cells[1]), pence_of(&cells[3]))
        })
        .collect();
    for _ in 0..2 {
        let (status, page) = post(&icb, &server, &path, &confirm).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert!(page.contains("Your confirmation has been recorded."), "{page}");
    }
    let posted = transfer_count(&server.store).await - before;
    assert_eq!(posted, view.settlement.transfers.len() as u64, "confirmed twice, posted once");
    let keys = (0..=view.settlement.transfers.len())
        .map(|n| format!("pool/{}/{}/settlement/{n}", support::POOL, support::POOL_YEAR))
        .collect();
    assert_eq!(recorded(&server.store, keys).await, shown, "what was shown was posted");
    server.finish().await;
}
