//! One figure everywhere: in the demo, every person's budget is the same on their record,
//! their budget, their statement and their team's caseload, and what was paid into it in
//! each period is what the version in force then says.
//!
//! Regression test for issue 15, section 1: a person's record said one weekly budget
//! (columns on `people`) and their budget page another (the budget versions), and 1,861
//! people with a budget on their record had "no budget yet" on their budget page.
//!
//! The test builds the demo with the real binary, serves it, and walks every person
//! through the JSON API (with a finance system's token, which may read everyone) and
//! through the store reads the record page and the caseload use. Each body runs on SQLite
//! and on PostgreSQL.

// A test stops at the first surprise: unwrapping and indexing are how it says so.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};

use chrono::{Duration, NaiveDate};
use onebudget_core::money::Money;
use onebudget_store::{BudgetSummary, CaseloadRow, Store, backend_tests};
use serde_json::Value;

fn onebudget(url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_onebudget"))
        .args(args)
        .env("ONEBUDGET_DATABASE_URL", url)
        .env("ONEBUDGET_LOG", "warn")
        .output()
        .expect("the onebudget binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn money(value: &Value) -> Money {
    Money::parse(value.as_str().unwrap_or_else(|| panic!("an amount: {value}")))
        .unwrap_or_else(|e| panic!("an amount {value}: {e}"))
}

fn date(value: &Value) -> NaiveDate {
    NaiveDate::parse_from_str(value.as_str().unwrap(), "%Y-%m-%d").unwrap()
}

/// The first and last days of the demo's history (April 2024 to March 2026).
fn history() -> (NaiveDate, NaiveDate) {
    (NaiveDate::from_ymd_opt(2024, 4, 1).unwrap(), NaiveDate::from_ymd_opt(2026, 3, 31).unwrap())
}

/// One component as every view must show it: (stream, funder, mode, agreed, funder pays,
/// person pays).
type Part = (String, String, String, Money, Money, Money);

fn parts_of_json(components: &Value) -> Vec<Part> {
    components
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["stream"].as_str().unwrap().to_owned(),
                c["funder"].as_str().unwrap().to_owned(),
                c["mode"].as_str().unwrap().to_owned(),
                money(&c["agreed"]),
                money(&c["funder_pays"]),
                money(&c["person_pays"]),
            )
        })
        .collect()
}

fn parts_of_summary(summary: &BudgetSummary) -> Vec<Part> {
    summary
        .components
        .iter()
        .map(|c| {
            (
                c.stream.clone(),
                c.funder.clone(),
                c.mode.as_str().to_owned(),
                c.agreed,
                c.funder_pays,
                c.person_pays,
            )
        })
        .collect()
}

/// What a person's views say, for the message when they disagree.
struct Views {
    code: String,
    record: Value,
    budget: Value,
    statement: Value,
}

/// Check one person: the record, the budget, the statement and the caseload row agree,
/// and every period's payment is what the version in force says.
fn check_person(views: &Views, row: &CaseloadRow, page: Option<&BudgetSummary>, today: NaiveDate) {
    let code = views.code.as_str();
    let current = &views.budget["current"];
    let record = &views.record["budget"];
    let statement = &views.statement;
    if current.is_null() {
        assert!(record.is_null(), "{code}: the record shows a budget the budget page does not");
        assert!(row.budget.is_none(), "{code}: the caseload shows a budget with no version");
        assert!(page.is_none(), "{code}: the record page shows a budget with no version");
        assert!(statement["budget"].is_null(), "{code}: a statement budget with no version");
        // Money in a person's accounts is always money of a budget.
        let accounts = views.record["accounts"].as_array().unwrap();
        assert!(accounts.is_empty(), "{code} has accounts {accounts:?} but no budget");
        return;
    }
    let version = current["version"].as_i64().unwrap();
    let weekly = money(&current["decision"]["budget"]);
    let parts = parts_of_json(&current["decision"]["components"]);
    assert!(!parts.is_empty(), "{code}: a budget of no components");
    // The record (the API's and the page's read) and the caseload row.
    assert!(
        !record.is_null(),
        "{code}: the record shows no budget; the budget page shows {weekly}"
    );
    assert_eq!(record["version"].as_i64(), Some(version), "{code}: record's version");
    assert_eq!(money(&record["weekly_budget"]), weekly, "{code}: record's weekly budget");
    assert_eq!(record["status"], current["status"], "{code}: record's status");
    assert_eq!(parts_of_json(&record["components"]), parts, "{code}: record's components");
    for (what, summary) in [("caseload row", row.budget.as_ref()), ("record page", page)] {
        let summary = summary.unwrap_or_else(|| panic!("{code}: the {what} shows no budget"));
        assert_eq!(summary.version, version, "{code}: {what}'s version");
        assert_eq!(summary.weekly_budget, weekly, "{code}: {what}'s weekly budget");
        assert_eq!(parts_of_summary(summary), parts, "{code}: {what}'s components");
    }
    // The statement: the same version, and a stream for each component with the same
    // funder, mode and figures.
    assert_eq!(statement["budget"]["version"].as_i64(), Some(version), "{code}: statement");
    let streams = statement["streams"].as_array().unwrap();
    for (stream, funder, mode, agreed, _, person_pays) in &parts {
        let s = streams
            .iter()
            .find(|s| s["stream"] == stream.as_str())
            .unwrap_or_else(|| panic!("{code}: the statement has no {stream}"));
        assert_eq!(s["funder"], funder.as_str(), "{code}: statement's {stream} funder");
        assert_eq!(s["mode"], mode.as_str(), "{code}: statement's {stream} mode");
        assert_eq!(money(&s["weekly_agreed"]), *agreed, "{code}: statement's {stream} agreed");
        assert_eq!(money(&s["weekly_you_pay"]), *person_pays, "{code}: statement's {stream}");
    }
    // The summary's first line says the same weekly figure.
    let said = statement["summary"][0].as_str().unwrap();
    assert!(said.contains(&format!("{weekly} a week")), "{code}: {said}");
    check_payments(views, today);
}

/// What was paid into each stream, period by period, against what the versions say: on
/// every day of the demo's history, the weekly rate a period paid at is the funder's
/// weekly share in the version in force that day (nothing on a day no live version pays
/// the stream), every such day is in exactly one period, and each period's amount is a
/// whole number of weeks of it.
fn check_payments(views: &Views, today: NaiveDate) {
    let code = views.code.as_str();
    let versions = views.budget["versions"].as_array().unwrap();
    // (effective from, live, stream → funder's weekly share), oldest first.
    let versions: Vec<(NaiveDate, bool, BTreeMap<String, Money>)> = versions
        .iter()
        .map(|v| {
            let live = matches!(v["status"].as_str(), Some("active" | "under_review"));
            let shares = v["decision"]["components"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| (c["stream"].as_str().unwrap().to_owned(), money(&c["funder_pays"])))
                .collect();
            (date(&v["effective_from"]), live, shares)
        })
        .collect();
    let expected = |stream: &str, day: NaiveDate| -> Money {
        match versions.iter().rev().find(|(from, _, _)| *from <= day) {
            Some((_, true, shares)) => shares.get(stream).copied().unwrap_or(Money::ZERO),
            _ => Money::ZERO,
        }
    };
    let (first, last) = history();
    let mut streams: Vec<String> =
        versions.iter().flat_map(|(_, _, shares)| shares.keys().cloned()).collect();
    streams.sort();
    streams.dedup();
    let entries = views.statement["entries"].as_array().unwrap();
    for stream in &streams {
        // Money into the budget account is only ever the funder's payment.
        let mut paid: Vec<(NaiveDate, Money)> = entries
            .iter()
            .filter(|e| e["stream"] == stream.as_str() && money(&e["money_in"]).is_positive())
            .map(|e| (date(&e["date"]), money(&e["money_in"])))
            .collect();
        paid.sort();
        let mut rate_on: BTreeMap<NaiveDate, Money> = BTreeMap::new();
        for (day, amount) in &paid {
            let weekly = expected(stream, *day);
            assert!(
                weekly.is_positive(),
                "{code}: {amount} paid into {stream} on {day}, when no live version pays it"
            );
            assert_eq!(
                amount.pence() % weekly.pence(),
                0,
                "{code}: {amount} paid into {stream} on {day} is not whole weeks of {weekly}"
            );
            let weeks = amount.pence() / weekly.pence();
            assert!((1..=13).contains(&weeks), "{code}: {weeks} weeks paid on {day}");
            for n in 0..weeks * 7 {
                let covered = *day + Duration::days(n);
                let before = rate_on.insert(covered, weekly);
                assert!(before.is_none(), "{code}: {stream} paid twice for {covered}");
            }
        }
        let mut day = first;
        while day <= last.min(today) {
            let want = expected(stream, day);
            let got = rate_on.get(&day).copied().unwrap_or(Money::ZERO);
            assert_eq!(
                got, want,
                "{code}: on {day} {stream} was paid at {got} a week; the version in force says {want}"
            );
            day += Duration::days(1);
        }
    }
}

/// The demo, served, with a finance system's token that may read everyone.
struct Served {
    child: std::process::Child,
    address: String,
    token: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve_demo(url: &str) -> Served {
    let out = onebudget(url, &["demo", "--no-serve"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let issued = onebudget(
        url,
        &["token", "issue", "--user", "council-finance-system", "--scopes", "people:read"],
    );
    assert!(issued.status.success(), "{}", text(&issued.stderr));
    let token = text(&issued.stdout).trim().to_owned();
    let mut child = Command::new(env!("CARGO_BIN_EXE_onebudget"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("ONEBUDGET_DATABASE_URL", url)
        .env("ONEBUDGET_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let first = BufReader::new(child.stdout.take().unwrap()).lines().next().unwrap().unwrap();
    let address = first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .expect("the address is printed")
        .to_owned();
    Served { child, address, token }
}

fn get(client: &reqwest::blocking::Client, served: &Served, path: &str) -> Value {
    let response = client
        .get(format!("{}{path}", served.address))
        .bearer_auth(&served.token)
        .send()
        .unwrap_or_else(|e| panic!("GET {path}: {e}"));
    assert_eq!(response.status(), 200, "GET {path}");
    response.json().unwrap_or_else(|e| panic!("GET {path}: {e}"))
}

backend_tests! {
    fn every_person_s_budget_is_one_figure_everywhere(url: &str) {
        let served = serve_demo(url);
        // The day the server shows (the UK's today), asked for explicitly where a route
        // takes a day, so every view is of the same day.
        let today = onebudget_web::clock::today();
        let store = Store::open(url).unwrap();
        let mut rows: BTreeMap<String, CaseloadRow> = BTreeMap::new();
        for team in store.teams().unwrap() {
            for row in store.caseload(&team.code, today).unwrap() {
                rows.insert(row.person.code.clone(), row);
            }
        }
        assert_eq!(rows.len() as i64, store.people_count().unwrap(), "everyone is on a caseload");
        let codes: Vec<&String> = rows.keys().collect();
        let with_budget = std::sync::atomic::AtomicUsize::new(0);
        let integrated = std::sync::atomic::AtomicUsize::new(0);
        std::thread::scope(|scope| {
            for chunk in codes.chunks(codes.len().div_ceil(4)) {
                let (served, rows, store) = (&served, &rows, &store);
                let (with_budget, integrated) = (&with_budget, &integrated);
                scope.spawn(move || {
                    let client = reqwest::blocking::Client::new();
                    for code in chunk {
                        let views = Views {
                            code: (*code).clone(),
                            record: get(&client, served, &format!("/api/people/{code}")),
                            budget: get(&client, served, &format!("/api/people/{code}/budget?on={today}")),
                            statement: get(&client, served, &format!("/api/people/{code}/statement?to={today}")),
                        };
                        let page = store.person_with_recent_lines(code, 1, today).unwrap().unwrap().1.budget;
                        check_person(&views, &rows[*code], page.as_ref(), today);
                        if !views.budget["current"].is_null() {
                            with_budget.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        }
                        if views.budget["versions"].as_array().unwrap().len() > 1 {
                            integrated.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        }
                    }
                });
            }
        });
        // About three people in four hold a budget, and the integrated ones have a history
        // of more than one version (imported, under review, integrated).
        let with_budget = with_budget.into_inner();
        assert!((1750..=2000).contains(&with_budget), "{with_budget} of {} hold a budget", rows.len());
        assert!(integrated.into_inner() >= 40, "the integrated budgets have a history");
        // The demo citizen holds one budget from three funders, and is paid what it says.
        let citizen = store.users().unwrap().into_iter().find(|u| u.role == "citizen").unwrap();
        let row = &rows[citizen.person_code.as_deref().unwrap()];
        let budget = row.budget.as_ref().expect("the citizen holds a budget");
        let streams: Vec<&str> = budget.components.iter().map(|c| c.stream.as_str()).collect();
        assert_eq!(streams, ["PHB", "BCF", "ASC"]);
        assert!(budget.components.iter().all(|c| c.allocated == c.agreed), "{budget:?}");
    }
}
