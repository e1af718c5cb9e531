//! The caseload page and the pages it leads to, over real HTTP against the real app on
//! SQLite: search, each filter, sorting, paging, bad values (a 400 page with the error
//! summary), a practitioner kept to their own team, the person's breadcrumb back to the
//! same filtered list, and a financial assessment's explanation page; and the pools page,
//! which reaches every year of every pool, settled ones too, with the year shown marked
//! among its pool's other years.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

#[allow(dead_code)]
mod support;

use chrono::{Days, Months, NaiveDate};
use onebudget_core::budget::config::Scheme;
use onebudget_core::budget::plan::{DeliveryMode, ImportedComponent, Status};
use onebudget_core::money::Money;
use onebudget_store::{BudgetImport, PersonRecord, Store};
use reqwest::StatusCode;
use support::Server;

/// A valid NHS number in the 999 range for `n`, with its modulus-11 check digit.
fn nhs_number(n: u32) -> String {
    (n..)
        .map(|k| format!("99980{k:04}"))
        .find_map(|nine| {
            let sum: u32 =
                nine.chars().zip((2..=10).rev()).map(|(c, w)| c.to_digit(10).unwrap() * w).sum();
            match 11 - sum % 11 {
                10 => None,
                11 => Some(format!("{nine}0")),
                check => Some(format!("{nine}{check}")),
            }
        })
        .unwrap()
}

struct Someone {
    code: String,
    family: String,
    team: &'static str,
    funding: &'static str,
    components: Vec<(&'static str, &'static str, DeliveryMode)>,
    set_on: NaiveDate,
}

/// On top of `seed_place` (Northcott, north, and Southgate, south, neither with a budget):
/// 55 people on the north team with a direct payment set six months ago (not due); Overdue,
/// whose managed budget was set 13 months ago; Soonish, NHS continuing healthcare, whose
/// integrated budget (CHC notional 900.00 and ASC direct payment 50.00) was set 12 months
/// less 10 days ago, so is due in 10 days; and Southside on the south team.
fn seed(store: &Store) {
    support::seed_place(store);
    let records: Vec<onebudget_core::ledger::OpenRecordInput> = serde_json::from_value(serde_json::json!([
        {"type": "funding_stream", "code": "CHC", "owner": "ICB", "charging_basis": "free_at_point_of_use"},
        {"type": "account", "code": "ICB-CHC", "kind": "funding", "owner": {"organisation": "ICB"}, "stream": "CHC", "may_go_negative": true},
    ]))
    .unwrap();
    let records: Vec<_> =
        records.iter().map(|r| onebudget_core::ledger::OpenRecord::try_from(r).unwrap()).collect();
    store.open_records(&records).unwrap();
    let today = onebudget_web::clock::today();
    let year_ago = today.checked_sub_months(Months::new(12)).unwrap();
    let mut people: Vec<Someone> = (1..=55)
        .map(|n| Someone {
            code: format!("P1000{n:02}"),
            family: format!("Fill{n:02}"),
            team: "TEAM-NORTH",
            funding: "social_care",
            components: vec![(
                "ASC",
                if n % 2 == 0 { "120.00" } else { "110.00" },
                DeliveryMode::DirectPayment,
            )],
            set_on: today.checked_sub_months(Months::new(6)).unwrap(),
        })
        .collect();
    people.push(Someone {
        code: "P200001".into(),
        family: "Overdue".into(),
        team: "TEAM-NORTH",
        funding: "social_care",
        components: vec![("ASC", "500.00", DeliveryMode::Managed)],
        set_on: today.checked_sub_months(Months::new(13)).unwrap(),
    });
    people.push(Someone {
        code: "P200002".into(),
        family: "Soonish".into(),
        team: "TEAM-NORTH",
        funding: "continuing_healthcare",
        components: vec![
            ("CHC", "900.00", DeliveryMode::Notional),
            ("ASC", "50.00", DeliveryMode::DirectPayment),
        ],
        set_on: year_ago.checked_add_days(Days::new(10)).unwrap(),
    });
    people.push(Someone {
        code: "P200003".into(),
        family: "Southside".into(),
        team: "TEAM-SOUTH",
        funding: "social_care",
        components: vec![("ASC", "75.00", DeliveryMode::DirectPayment)],
        set_on: today.checked_sub_months(Months::new(2)).unwrap(),
    });
    let records: Vec<PersonRecord> = people
        .iter()
        .enumerate()
        .map(|(i, p)| PersonRecord {
            code: p.code.clone(),
            given_name: "Kim".into(),
            family_name: p.family.clone(),
            nhs_number: nhs_number(u32::try_from(i).unwrap() * 11 + 1),
            birth_date: NaiveDate::from_ymd_opt(1950, 1, 1).unwrap(),
            team: p.team.into(),
            setting: "home".into(),
            funding: p.funding.into(),
        })
        .collect();
    store.add_people(&[], &[], &records).unwrap();
    let imports: Vec<BudgetImport> = people
        .iter()
        .map(|p| BudgetImport {
            person: p.code.clone(),
            effective_from: p.set_on,
            status: Status::Active,
            components: p
                .components
                .iter()
                .map(|(stream, weekly, mode)| ImportedComponent {
                    stream: (*stream).into(),
                    weekly: Money::parse(weekly).unwrap(),
                    mode: *mode,
                    provider: None,
                })
                .collect(),
            source: "a test".into(),
        })
        .collect();
    store.import_budgets(&Scheme::ashby_vale().unwrap(), &imports, "admin").unwrap();
}

async fn start() -> Server {
    let server = Server::start().await;
    let store = server.store.clone();
    tokio::task::spawn_blocking(move || seed(&store)).await.unwrap();
    server
}

async fn get(server: &Server, who: &str, path: &str) -> (StatusCode, String) {
    let client = support::session_client(&server.store, who);
    let response = client.get(format!("{}{path}", server.base)).send().await.unwrap();
    (response.status(), response.text().await.unwrap())
}

/// The family names in the caseload table, in order.
fn families(page: &str) -> Vec<String> {
    page.split("<a class=\"govuk-link\" href=\"/people/")
        .skip(1)
        .filter_map(|rest| rest.split_once("\">").map(|(_, after)| after))
        .filter_map(|text| text.split_once(", ").map(|(family, _)| family.to_owned()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_caseload_is_paged_fifty_at_a_time_and_a_practitioner_sees_only_their_team() {
    let server = start().await;
    let (status, first) = get(&server, "practitioner", "/caseload").await;
    assert_eq!(status, StatusCode::OK);
    assert!(first.contains("Showing 1 to 50 of 58 people"), "first page");
    let names = families(&first);
    assert_eq!(names.len(), 50);
    assert_eq!(&names[..3], ["Fill01", "Fill02", "Fill03"]);
    assert!(
        first.contains(r#"aria-current="page">1<"#) && first.contains(r#"href="/caseload?page=2""#)
    );
    let (_, second) = get(&server, "practitioner", "/caseload?page=2").await;
    assert!(second.contains("Showing 51 to 58 of 58 people"), "second page");
    assert_eq!(
        families(&second),
        ["Fill51", "Fill52", "Fill53", "Fill54", "Fill55", "Northcott", "Overdue", "Soonish"]
    );
    for page in [&first, &second] {
        assert!(!page.contains("Southgate") && !page.contains("Southside"));
        assert!(!page.contains("id=\"team\""), "a practitioner is offered no other team");
    }
    // Another team's caseload is refused, by the access decision.
    let (status, _) = get(&server, "practitioner", "/caseload?team=TEAM-SOUTH").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Finance may see every team, and choose one.
    let (status, all) = get(&server, "finance", "/caseload?page=2").await;
    assert_eq!(status, StatusCode::OK);
    assert!(all.contains("of 60 people"), "finance");
    let (_, south) = get(&server, "finance", "/caseload?team=TEAM-SOUTH").await;
    assert_eq!(families(&south), ["Southgate", "Southside"]);
    assert!(south.contains(r#"<option value="TEAM-SOUTH" selected>"#), "south");
    server.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_and_each_filter_find_the_people_they_name() {
    let server = start().await;
    let soonish_nhs = nhs_number(56 * 11 + 1);
    let spaced = format!("{} {} {}", &soonish_nhs[..3], &soonish_nhs[3..6], &soonish_nhs[6..]);
    let cases: Vec<(String, Vec<&str>)> = vec![
        ("q=soonish".into(), vec!["Soonish"]),
        (format!("q={}", spaced.replace(' ', "+")), vec!["Soonish"]),
        ("q=p200001".into(), vec!["Overdue"]),
        ("q=Southgate".into(), vec![]),
        ("funding=continuing_healthcare".into(), vec!["Soonish"]),
        ("mode=managed".into(), vec!["Overdue"]),
        ("mode=notional".into(), vec!["Soonish"]),
        ("mode=individual_service_fund".into(), vec![]),
        ("integrated=yes".into(), vec!["Soonish"]),
        ("review=overdue".into(), vec!["Overdue"]),
        ("review=soon".into(), vec!["Soonish"]),
        ("mode=direct_payment&integrated=yes&review=soon".into(), vec!["Soonish"]),
    ];
    for (query, expected) in cases {
        let (status, page) = get(&server, "practitioner", &format!("/caseload?{query}")).await;
        assert_eq!(status, StatusCode::OK, "{query}");
        assert_eq!(families(&page), expected, "{query}");
        if expected.is_empty() {
            assert!(page.contains("matches these filters"), "{query}");
        } else {
            assert!(
                page.contains(&format!("Showing 1 to {0} of {0} person", expected.len())),
                "{query}"
            );
        }
    }
    let (_, single) = get(&server, "practitioner", "/caseload?integrated=no&page=2").await;
    assert!(single.contains("Showing 51 to 56 of 56 people"), "Northcott has no budget: {single}");
    // The filters are kept in the form and in the paging links.
    assert!(single.contains(r#"<option value="no" selected>"#));
    assert!(single.contains(r#"href="/caseload?integrated=no""#), "single");
    let (_, soon) = get(&server, "practitioner", "/caseload?review=soon").await;
    assert!(soon.contains("Due soon"), "soon");
    server.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn columns_sort_both_ways_by_links_that_say_how_the_table_is_sorted() {
    let server = start().await;
    let (_, by_budget) = get(&server, "practitioner", "/caseload?sort=budget&order=desc").await;
    assert_eq!(&families(&by_budget)[..3], ["Soonish", "Overdue", "Fill02"]);
    assert!(
        by_budget.contains(
            r#"aria-sort="descending"><a class="govuk-link" href="/caseload?sort=budget">A week"#
        ),
        "by budget"
    );
    assert!(
        by_budget.contains(r#"aria-sort="none"><a class="govuk-link" href="/caseload">Name"#),
        "by budget"
    );
    let (_, ascending) = get(&server, "practitioner", "/caseload?sort=budget&page=2").await;
    // 28 at 110.00 and 27 at 120.00 first; then 500.00 and 950.00, and no budget last.
    assert_eq!(&families(&ascending)[5..], ["Overdue", "Soonish", "Northcott"]);
    let (_, by_review) = get(&server, "practitioner", "/caseload?sort=review").await;
    assert_eq!(&families(&by_review)[..2], ["Overdue", "Soonish"]);
    assert!(by_review.contains("Overdue</strong>"), "the overdue tag");
    let (_, by_name) = get(&server, "practitioner", "/caseload?order=desc").await;
    assert_eq!(&families(&by_name)[..3], ["Soonish", "Overdue", "Northcott"]);
    server.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_value_the_caseload_cannot_read_is_a_400_with_the_error_summary() {
    let server = start().await;
    for (query, field, words) in [
        ("mode=teleport", "mode", "Choose how the budget is held"),
        ("funding=lottery", "funding", "Choose who funds the care"),
        ("integrated=maybe", "integrated", "Choose yes or no"),
        ("review=never", "review", "due within 4 weeks, or overdue"),
        ("sort=height", "sort", "Sort by name, weekly budget or review date"),
        ("order=sideways", "sort", "ascending"),
        ("page=abc", "page", "Choose a page by its number"),
        ("page=0", "page", "Choose a page by its number"),
        ("page=3", "page", "There are only 2 pages"),
    ] {
        let (status, page) = get(&server, "practitioner", &format!("/caseload?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert!(page.contains("There is a problem"), "{query}");
        assert!(page.contains(&format!(r##"<a href="#{field}">"##)), "{query}");
        assert!(
            page.contains(&format!(r#"id="{field}""#)),
            "{query}: the summary's link has a target"
        );
        assert!(page.contains(words), "{query}");
        assert!(families(&page).is_empty(), "{query}: no table with an error");
    }
    let long = "x".repeat(101);
    let (status, page) = get(&server, "practitioner", &format!("/caseload?q={long}")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("Enter 100 characters or fewer"));
    let (status, page) = get(&server, "finance", "/caseload?team=TEAM-NOWHERE").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("Choose a team from the list"));
    server.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_links_back_to_the_list_they_were_opened_from_and_to_their_assessments() {
    let server = start().await;
    let (_, list) = get(&server, "practitioner", "/caseload?mode=managed").await;
    assert!(list.contains(r#"href="/people/P200001?caseload=mode%3Dmanaged""#), "list");
    let (status, person) = get(
        &server,
        "practitioner",
        "/people/P200001?caseload=mode%3Dmanaged%26page%3D1%26evil%3Dhttps%3A%2F%2Fx",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        person.contains(
            r#"<a class="govuk-breadcrumbs__link" href="/caseload?mode=managed">Caseload</a>"#
        ),
        "person"
    );
    // The person's budget pages lead back to the person, and to the caseload.
    for page in ["budget", "budget/plan", "budget/review"] {
        let (status, budget) =
            get(&server, "practitioner", &format!("/people/P200001/{page}")).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert!(
            budget.contains(
                r#"<a class="govuk-breadcrumbs__link" href="/people/P200001">Kim Overdue</a>"#
            ),
            "{page}"
        );
        assert!(
            budget.contains(r#"<a class="govuk-breadcrumbs__link" href="/caseload">Caseload</a>"#),
            "{page}"
        );
    }
    for junk in ["mode%3Dteleport", "%2F%2Fevil.example", "page%3D-1"] {
        let (_, person) =
            get(&server, "practitioner", &format!("/people/P200001?caseload={junk}")).await;
        assert!(
            person.contains(r#"<a class="govuk-breadcrumbs__link" href="/caseload">Caseload</a>"#),
            "{junk}"
        );
    }

    // A financial assessment recorded by finance (Devon's published example, 110.10 a
    // week) is a link from the record to its explained steps.
    let golden: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../core/tests/golden/01-england-non-residential-devon-esa-enhanced-pip.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let finance = support::session_client(&server.store, "finance");
    let recorded = finance
        .post(format!("{}/api/people/P000001/financial-assessments", server.base))
        .json(&golden["case"])
        .send()
        .await
        .unwrap();
    assert_eq!(recorded.status(), StatusCode::CREATED);
    let id = recorded.json::<serde_json::Value>().await.unwrap()["id"].as_i64().unwrap();
    let (_, record) = get(&server, "practitioner", "/people/P000001").await;
    let link = format!("/people/P000001/assessments/{id}");
    assert!(record.contains(&format!(r#"href="{link}""#)), "record");
    let (status, explained) = get(&server, "practitioner", &link).await;
    assert_eq!(status, StatusCode::OK);
    assert!(explained.contains("£110.10"), "explained");
    assert!(explained.contains("How the charge was worked out"));
    assert!(explained.contains("in force from"), "each figure's date: {explained}");
    assert!(explained.contains(r#"href="/people/P000001">Alex Northcott</a>"#), "explained");
    // Authorised as the record is: not another team's practitioner, and audited as a read.
    let (status, _) =
        get(&server, "practitioner", &format!("/people/P000002/assessments/{id}")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = get(&server, "finance", "/people/P000001/assessments/999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let store = server.store.clone();
    let rows = tokio::task::spawn_blocking(move || {
        store.audit_search(
            &onebudget_store::AuditFilter {
                person_code: Some("P000001".into()),
                ..Default::default()
            },
            100,
        )
    })
    .await
    .unwrap()
    .unwrap();
    assert!(
        rows.iter().any(|r| r.entry.target == link
            && r.entry.action == "read_person"
            && r.entry.outcome == "allowed"),
        "audit rows"
    );
    server.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_year_of_every_pool_is_reachable_and_the_year_shown_is_marked() {
    let server = Server::start().await;
    let store = server.store.clone();
    tokio::task::spawn_blocking(move || {
        support::seed_place(&store);
        support::seed_pool(&store);
        // The next year's agreement: the same, from April 2026.
        let first = store.agreement_versions(support::POOL).unwrap().remove(0);
        let mut document: serde_json::Value = serde_json::from_str(&first.document).unwrap();
        document["year"] = serde_json::json!(support::POOL_YEAR + 1);
        document["effective_from"] = serde_json::json!(format!("{}-04-01", support::POOL_YEAR + 1));
        let next: onebudget_core::pool::AgreementInput = serde_json::from_value(document).unwrap();
        store.record_agreement(&next, "council-finance").unwrap();
    })
    .await
    .unwrap();
    let (status, list) = get(&server, "finance", "/pools").await;
    assert_eq!(status, StatusCode::OK);
    for year in [support::POOL_YEAR, support::POOL_YEAR + 1] {
        assert!(list.contains(&format!(r#"href="/pools/BCF/{year}""#)), "year {year} is linked");
        assert!(
            list.contains(&format!(r#"href="/pools/BCF/{year}/settlement""#)),
            "{year}'s settlement"
        );
    }
    let (status, page) =
        get(&server, "commissioner", &format!("/pools/BCF/{}", support::POOL_YEAR)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Years of this pool"), "the years' links");
    assert!(
        page.contains(&format!(
            r#"href="/pools/BCF/{}" aria-current="page"><strong>2025/26</strong>"#,
            support::POOL_YEAR
        )),
        "the year shown is marked"
    );
    assert!(
        page.contains(&format!(
            r#"<a class="govuk-link" href="/pools/BCF/{}">2026/27</a>"#,
            support::POOL_YEAR + 1
        )),
        "the other year is a link"
    );
    assert_eq!(
        page.matches(r#"aria-current="page""#).count(),
        2,
        "the navigation's own, and the year's"
    );
    server.finish().await;
}
