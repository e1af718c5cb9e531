//! The pages a person receiving care reads about themselves, over real HTTP on a fresh
//! database: who has looked at their record (named, with their organisation, the purpose
//! in words and the time in UK time, their own visits marked, paged), and their budget,
//! statement and statement CSV in plain English, with no stream, funder, account or
//! audit-action codes and money paid to them shown as coming in.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

#[allow(dead_code)]
mod support;

use onebudget_store::{AuditEntry, Store};
use support::{BUDGET_CITIZEN, BUDGET_CITIZEN_LOGIN, Server, session_client};

async fn start() -> Server {
    let server = Server::start().await;
    let store = server.store.clone();
    tokio::task::spawn_blocking(move || {
        support::seed_place(&store);
        support::seed_budget_people(&store);
        support::seed_budget_citizen(&store);
    })
    .await
    .expect("seed");
    server
}

async fn page(client: &reqwest::Client, server: &Server, path: &str) -> (u16, String) {
    let response = client.get(format!("{}{path}", server.base)).send().await.expect("a response");
    let status = response.status().as_u16();
    (status, response.text().await.expect("a body"))
}

/// The text of the page's `<main>`, without markup.
fn main_text(html: &str) -> String {
    let main = html.split("<main").nth(1).and_then(|m| m.split("</main>").next()).unwrap_or("");
    let mut text = String::new();
    let mut in_tag = false;
    for c in main.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Codes a person must never be shown: the scheme's stream codes, the funders' codes, the
/// person's own code (in account codes), audit action codes and teams' codes.
fn assert_no_codes(what: &str, text: &str) {
    let words: Vec<&str> =
        text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-')).collect();
    for code in ["ASC", "PHB", "BCF", "CHC", "COUNCIL", "ICB", "TEAM-NORTH", "TEAM-SOUTH"] {
        assert!(!words.contains(&code), "{what} shows the code {code}: {text}");
    }
    for code in [
        BUDGET_CITIZEN,
        "read_person",
        "read_person_access_log",
        "health_clinical",
        "/people/",
        "policy/",
        ".yaml",
        "(UTC)",
    ] {
        assert!(!text.contains(code), "{what} shows {code}: {text}");
    }
}

fn look(
    at: &str,
    actor: &str,
    user_id: Option<i64>,
    role: &str,
    via: &str,
    target: &str,
) -> AuditEntry {
    AuditEntry {
        at: at.into(),
        actor: actor.into(),
        actor_user_id: user_id,
        role: Some(role.into()),
        via: via.into(),
        action: "read_person".into(),
        person_code: Some(BUDGET_CITIZEN.into()),
        target: target.into(),
        source: "127.0.0.1".into(),
        outcome: "allowed".into(),
        detail: String::new(),
    }
}

fn user_id(store: &Store, username: &str) -> i64 {
    store.users().expect("users").into_iter().find(|u| u.username == username).expect("a user").id
}

#[tokio::test]
async fn who_has_looked_names_each_viewer_their_organisation_why_and_when_in_uk_time() {
    let server = start().await;
    let store = server.store.clone();
    let (practitioner, finance, robin) = (
        user_id(&store, "practitioner"),
        user_id(&store, "finance"),
        user_id(&store, BUDGET_CITIZEN_LOGIN.0),
    );
    // A practitioner's look in British Summer Time, a finance officer's in winter, and
    // the person's own visit: written as the audit writer writes them, in UTC.
    let budget_page = format!("/people/{BUDGET_CITIZEN}/budget");
    let looks = vec![
        look(
            "2025-07-01T08:15:00.000000Z",
            "practitioner",
            Some(practitioner),
            "practitioner",
            "session",
            &budget_page,
        ),
        look(
            "2025-12-01T08:15:00.000000Z",
            "finance",
            Some(finance),
            "finance",
            "session",
            "/budgets/payments",
        ),
        AuditEntry {
            action: "pay_budgets".into(),
            ..look(
                "2025-12-01T09:00:00.000000Z",
                "finance",
                Some(finance),
                "finance",
                "session",
                "/budgets/payments",
            )
        },
        look(
            "2025-12-02T10:00:00.000000Z",
            BUDGET_CITIZEN_LOGIN.0,
            Some(robin),
            "citizen",
            "session",
            "/my-budget",
        ),
    ];
    tokio::task::spawn_blocking(move || store.append_audit(&looks))
        .await
        .expect("task")
        .expect("audit");

    let client = session_client(&server.store, BUDGET_CITIZEN_LOGIN.0);
    let (status, html) = page(&client, &server, "/my-budget/who-has-looked").await;
    assert_eq!(status, 200);
    let text = main_text(&html);
    // 08:15 UTC on 1 July is 09:15 in London (BST); on 1 December it is 08:15 (GMT).
    assert!(
        text.contains("1 July 2025, 9:15am BST practitioner North (the council and the NHS together) To review your budget"),
        "{text}"
    );
    assert!(
        text.contains(
            "1 December 2025, 8:15am GMT finance The council To check the payments of your budget"
        ),
        "{text}"
    );
    assert!(
        text.contains("1 December 2025, 9:00am GMT finance The council To pay your budget"),
        "{text}"
    );
    // The person's own visit is marked as theirs, not with their name or user name.
    assert!(
        text.contains("2 December 2025, 10:00am GMT You To see your own budget and record"),
        "{text}"
    );
    assert!(!text.contains(BUDGET_CITIZEN_LOGIN.0), "{text}");
    assert_no_codes("who has looked", &text);
    server.finish().await;
}

#[tokio::test]
async fn who_has_looked_pages_back_through_a_long_history() {
    let server = start().await;
    let store = server.store.clone();
    let practitioner = user_id(&store, "practitioner");
    let looks: Vec<AuditEntry> = (0..60)
        .map(|minute| {
            let at = format!("2025-01-10T09:{minute:02}:00.000000Z");
            look(&at, "practitioner", Some(practitioner), "practitioner", "session", "/people/x")
        })
        .collect();
    tokio::task::spawn_blocking(move || store.append_audit(&looks))
        .await
        .expect("task")
        .expect("audit");
    let client = session_client(&server.store, BUDGET_CITIZEN_LOGIN.0);
    let mut path = "/my-budget/who-has-looked".to_owned();
    let mut seen = std::collections::BTreeSet::new();
    let mut pages = 0;
    loop {
        let (status, html) = page(&client, &server, &path).await;
        assert_eq!(status, 200, "{path}");
        pages += 1;
        for minute in 0..60 {
            if main_text(&html).contains(&format!("10 January 2025, 9:{minute:02}am GMT")) {
                assert!(seen.insert(minute), "9:{minute:02} shown on two pages");
            }
        }
        let next = html
            .split("href=\"/my-budget/who-has-looked?before=")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .map(|before| format!("/my-budget/who-has-looked?before={before}"));
        match next {
            Some(next) => path = next,
            None => break,
        }
        assert!(pages < 10, "the pages never end");
    }
    assert!(pages >= 3, "60 looks and more take at least three pages of 25, not {pages}");
    assert_eq!(seen.len(), 60, "every look is on some page");
    let (status, _) = page(&client, &server, "/my-budget/who-has-looked?before=abc").await;
    assert_eq!(status, 400);
    server.finish().await;
}

#[tokio::test]
async fn the_persons_pages_name_funders_and_show_money_paid_to_them_as_coming_in() {
    let server = start().await;
    let client = session_client(&server.store, BUDGET_CITIZEN_LOGIN.0);
    for path in [
        "/my-budget",
        "/my-budget/budget",
        "/my-budget/plan",
        "/my-budget/statement",
        "/my-budget/statement?print=1",
    ] {
        let (status, html) = page(&client, &server, path).await;
        assert_eq!(status, 200, "{path}");
        let text = if path.contains("print") { html.clone() } else { main_text(&html) };
        assert_no_codes(path, &text);
    }
    // The statement's every direct payment is in the "Paid to you" column (the fifth),
    // never in the column of money spent or paid out.
    let (_, html) = page(&client, &server, "/my-budget/statement").await;
    let text = main_text(&html);
    assert!(
        text.contains(
            "Date Part What happened Paid into your budget Paid to you Spent or paid out"
        ),
        "{text}"
    );
    assert!(text.contains("The council paid"), "the council is named as the funder: {text}");
    let (status, csv) = page(&client, &server, "/my-budget/statement.csv").await;
    assert_eq!(status, 200);
    assert_no_codes("the statement's CSV", &csv);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("date,part,what happened,paid into your budget,paid to you,spent or paid out")
    );
    let paid_to_you: Vec<&str> =
        csv.lines().filter(|l| l.contains("Paid to you as a direct payment")).collect();
    assert!(!paid_to_you.is_empty(), "{csv}");
    for line in paid_to_you {
        let fields: Vec<&str> = line.rsplitn(4, ',').collect();
        // rsplitn: spent or paid out, paid to you, paid into your budget, the rest.
        assert_eq!(fields[0], "0.00", "a direct payment is not money out: {line}");
        assert_ne!(fields[1], "0.00", "a direct payment is money paid to the person: {line}");
        assert!(!fields[1].starts_with('-'), "{line}");
    }
    // Their own accounts on /my-budget: a direct payment into their direct-payment
    // account is "Paid to you", not money out.
    let (_, html) = page(&client, &server, "/my-budget").await;
    let text = main_text(&html);
    assert!(text.contains("Your direct-payment account"), "{text}");
    assert!(text.contains("Date What happened Paid to you You spent In your account"), "{text}");
    assert!(
        text.contains("Date What happened Paid into your budget Paid to you Held for you"),
        "{text}"
    );
    server.finish().await;
}

#[tokio::test]
async fn the_public_estimate_cites_the_regulations_not_the_policy_files() {
    let server = Server::start().await;
    let client = reqwest::Client::new();
    let form = support::valid_check_form();
    let response = client
        .post(format!("{}/check-what-you-might-pay", server.base))
        .form(&form)
        .send()
        .await
        .expect("a response");
    assert_eq!(response.status().as_u16(), 200);
    let text = main_text(&response.text().await.expect("text"));
    assert!(
        text.contains("The Care and Support (Charging and Assessment of Resources) Regulations 2014 (SI 2014/2672), regulation 25"),
        "{text}"
    );
    for note in ["england.", "as published by", "unchanged per", "NOT YET", "secondary source"] {
        assert!(!text.contains(note), "the estimate shows {note:?}: {text}");
    }
    server.finish().await;
}
