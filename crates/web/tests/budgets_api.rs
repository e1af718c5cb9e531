//! The personal-budget API end to end, on SQLite and on PostgreSQL from one body: a joint
//! NHS and social care budget from needs assessment to statement over real HTTP, each
//! step by the role that takes it, with every figure worked out by hand in the comments
//! (golden case 02 of `onebudget-core`: PHB 210.00 and ASC 149.60 a week, ASC drawing
//! 100.00), the refusals on the way, the audit rows, and a funder's statement with no
//! person in it.
//!
//! `postgresql::…` runs when `ONEBUDGET_TEST_POSTGRES_URL` names a server where the tests
//! may `CREATE DATABASE` (otherwise it prints "skipped" and passes), as `tests/api.rs`.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

#[allow(dead_code)]
mod support;

use onebudget_store::{AuditFilter, Store};
use reqwest::StatusCode;
use serde_json::{Value, json};
use support::{API_BUDGET_CITIZEN, API_BUDGET_PERSON as PERSON};

use support::Backend;

/// A running server over its own fresh database, seeded with `support::seed_place` and
/// `support::seed_budget_api`.
struct TestApp {
    server: support::Server,
    base: String,
}

async fn spawn_app(backend: Backend) -> Option<TestApp> {
    let server = support::Server::on_with(
        backend,
        "the budgets API tests",
        onebudget_web::Settings::default(),
        |store| {
            support::seed_place(store);
            support::seed_budget_api(store);
        },
    )
    .await?;
    Some(TestApp { base: server.base.clone(), server })
}

impl TestApp {
    async fn finish(self) {
        self.server.finish().await;
    }

    async fn with_store<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Store) -> T + Send + 'static,
    ) -> T {
        let store = self.server.store.clone();
        tokio::task::spawn_blocking(move || f(&store)).await.expect("a store task")
    }

    /// A signed-in session of the seeded user `username`.
    async fn session(&self, username: &str) -> Client {
        let username = username.to_owned();
        let client = self.with_store(move |store| support::session_client(store, &username)).await;
        Client { base: self.base.clone(), client }
    }

    /// A service account of `role` with a token carrying `scopes`.
    async fn token(&self, role: &str, scopes: &str) -> Client {
        let (role, scopes) = (role.to_owned(), scopes.to_owned());
        let client =
            self.with_store(move |store| support::machine_client(store, &role, &scopes)).await;
        Client { base: self.base.clone(), client }
    }

    async fn audit_rows(&self) -> Vec<onebudget_store::AuditRecord> {
        self.with_store(|store| store.audit_search(&AuditFilter::default(), 100_000).unwrap()).await
    }
}

/// One caller's HTTP client.
struct Client {
    base: String,
    client: reqwest::Client,
}

/// A JSON answer.
struct Reply {
    status: StatusCode,
    body: Value,
}

impl Reply {
    /// Assert this is an error of `status` with `code` and `field`.
    fn assert_error(&self, status: StatusCode, code: &str, field: Option<&str>) {
        assert_eq!(self.status, status, "{}", self.body);
        assert_eq!(self.body["error"]["code"], code, "{}", self.body);
        assert_eq!(self.body["error"]["field"].as_str(), field, "{}", self.body);
    }

    fn ok(&self, status: StatusCode) -> &Value {
        assert_eq!(self.status, status, "{}", self.body);
        &self.body
    }
}

impl Client {
    async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
        let response = request.send().await.expect("answered");
        let status = response.status();
        let bytes = response.bytes().await.expect("a body");
        let body = serde_json::from_slice(&bytes).unwrap_or_else(|e| {
            panic!("{status}: not JSON ({e}): {}", String::from_utf8_lossy(&bytes))
        });
        Reply { status, body }
    }

    async fn get(&self, path: &str) -> Reply {
        self.send(self.client.get(format!("{}{path}", self.base))).await
    }

    async fn post(&self, path: &str, body: &Value) -> Reply {
        self.send(self.client.post(format!("{}{path}", self.base)).json(body)).await
    }

    async fn text(&self, path: &str) -> (StatusCode, String, String) {
        let response =
            self.client.get(format!("{}{path}", self.base)).send().await.expect("answered");
        let status = response.status();
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        (status, content_type, response.text().await.expect("text"))
    }
}

/// Golden case 02's answers: every other domain at its first level (no need).
fn answers() -> Value {
    json!({
        "personal_care": "needs_substantial_help", "eating_drinking": "independent",
        "mobility": "needs_help", "home": "needs_help", "relationships": "independent",
        "work_learning": "independent", "community": "independent", "housing": "independent",
        "health_clinical": "high", "behaviour": "no_needs", "mental_health": "moderate",
        "carers": "no_carer_needs",
    })
}

/// Golden case 02's plan: both components as direct payments; personal care 200.00,
/// help in the home 60.00 and physiotherapy 50.00 a week.
fn change(status: &str, reason: &str) -> Value {
    json!({
        "effective_from": "2024-10-07",
        "status": status,
        "reason": reason,
        "plan": {
            "components": [
                {"stream": "PHB", "mode": "direct_payment"},
                {"stream": "ASC", "mode": "direct_payment"},
            ],
            "lines": [
                {"what": "Personal assistant", "outcome": "Stays living at home", "category": "personal_care", "weekly_cost": "200.00"},
                {"what": "Cleaner", "outcome": "A safe, clean home", "category": "domestic", "weekly_cost": "60.00"},
                {"what": "Physiotherapy", "outcome": "Walks to the bus stop", "category": "therapy", "weekly_cost": "50.00"},
            ],
        },
    })
}

/// A financial assessment whose charge is 30.00 a week: in England on 2024-10-01 a single
/// person of Pension Credit age keeps the Minimum Income Guarantee of 228.70; with no
/// capital, housing costs or disability-related expenditure, a State Pension of 258.70
/// leaves 258.70 − 228.70 = 30.00 of assessable income, below the 310.00 cost of care.
fn financial_case() -> Value {
    json!({
        "nation": "england", "date": "2024-10-01", "setting": "non_residential",
        "person": {"age_years": 74, "pension_credit_age": true, "couple": false},
        "premiums": {"disability": false, "enhanced_disability": false, "carer": false, "dependent_children": 0},
        "capital": [],
        "weekly_income": [{"kind": "state_pension", "amount": "258.70"}],
        "weekly_cost_of_care": "310.00",
    })
}

fn stream<'a>(statement: &'a Value, code: &str) -> &'a Value {
    statement["streams"]
        .as_array()
        .expect("streams")
        .iter()
        .find(|s| s["stream"] == code)
        .unwrap_or_else(|| panic!("no {code} in {statement}"))
}

/// The whole journey, as each role takes its step.
async fn from_assessment_to_statement(app: &TestApp) {
    let practitioner = app.session("practitioner").await;
    let finance = app.session("finance").await;
    let citizen = app.session(API_BUDGET_CITIZEN.0).await;
    let commissioner = app.session("commissioner").await;
    let people = format!("/api/people/{PERSON}");

    // An answer off the scale is refused, naming it, and nothing is kept.
    let mut bad = answers();
    bad["mobility"] = json!("terrible");
    let refused = practitioner
        .post(
            &format!("{people}/needs-assessments"),
            &json!({"assessed_on": "2024-10-01", "answers": bad}),
        )
        .await;
    refused.assert_error(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
        Some("answers.mobility"),
    );
    let none = practitioner.get(&format!("{people}/needs-assessments")).await;
    assert_eq!(none.ok(StatusCode::OK)["assessments"], json!([]), "nothing was recorded");
    // Only the person's practitioner assesses needs.
    let by_finance = finance
        .post(
            &format!("{people}/needs-assessments"),
            &json!({"assessed_on": "2024-10-01", "answers": answers()}),
        )
        .await;
    by_finance.assert_error(StatusCode::FORBIDDEN, "forbidden", None);

    // Social outcome points: personal care 10 + getting about 6 + home 6 = 22 (ASC: three
    // outcomes at moderate or above); health: clinical high 9 + mental health moderate 5
    // = 14 (PHB: a high need; not CHC).
    let needs = practitioner
        .post(
            &format!("{people}/needs-assessments"),
            &json!({"assessed_on": "2024-10-01", "answers": answers()}),
        )
        .await;
    let needs = needs.ok(StatusCode::CREATED);
    assert_eq!(needs["questionnaire"], "2024.1");
    assert_eq!(needs["recorded_by"], "practitioner");
    let eligible: Vec<&str> = needs["eligibility"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["eligible"] == true)
        .map(|d| d["stream"].as_str().unwrap())
        .collect();
    assert_eq!(eligible, ["PHB", "ASC"]);

    // Finance records the financial assessment: 30.00 a week (see `financial_case`).
    let financial =
        finance.post(&format!("{people}/financial-assessments"), &financial_case()).await;
    assert_eq!(financial.ok(StatusCode::CREATED)["weekly_charge"], "30.00");

    // Draft → agreed → active. A draft cannot jump to active, and finance plans no budget.
    let draft =
        practitioner.post(&format!("{people}/budget"), &change("draft", "support planning")).await;
    let draft = draft.ok(StatusCode::CREATED);
    // PHB's bands give 210.00 for 14 health points; ASC 22 × 6.80 = 149.60; the budget is
    // 210.00 + 149.60 = 359.60, and the contribution min(30.00, ASC drawn 100.00) = 30.00.
    assert_eq!(draft["version"], 1);
    assert_eq!(draft["decision"]["budget"], "359.60");
    assert_eq!(draft["decision"]["weekly_contribution"], "30.00");
    let jump = practitioner.post(&format!("{people}/budget"), &change("active", "go")).await;
    jump.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", Some("status"));
    let by_finance = finance.post(&format!("{people}/budget"), &change("agreed", "panel")).await;
    by_finance.assert_error(StatusCode::FORBIDDEN, "forbidden", None);
    practitioner
        .post(&format!("{people}/budget"), &change("agreed", "agreed at panel"))
        .await
        .ok(StatusCode::CREATED);
    let active =
        practitioner.post(&format!("{people}/budget"), &change("active", "payments start")).await;
    assert_eq!(active.ok(StatusCode::CREATED)["version"], 3);
    let budget = citizen.get(&format!("{people}/budget?on=2024-10-08")).await;
    let budget = budget.ok(StatusCode::OK);
    assert_eq!(budget["current"]["status"], "active");
    assert_eq!(budget["versions"].as_array().unwrap().len(), 3);
    let before = citizen.get(&format!("{people}/budget?on=2024-10-06")).await;
    assert_eq!(before.ok(StatusCode::OK)["current"], Value::Null, "not yet in force");

    // The plan: personal care PHB 160.00 + ASC 40.00 (NHS money goes first, and is moved
    // off the line social care may fund so that it pays for therapy, which only the NHS
    // may); help in the home ASC 60.00; physiotherapy PHB 50.00. PHB draws 210.00, ASC
    // 40.00 + 60.00 = 100.00, of which the person pays 30.00 and the council 70.00.
    let plan = practitioner.get(&format!("{people}/plan")).await;
    let plan = plan.ok(StatusCode::OK);
    let funded = |line: usize| -> Vec<(String, String)> {
        plan["lines"][line]["funded"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (f["stream"].as_str().unwrap().to_owned(), f["amount"].as_str().unwrap().to_owned())
            })
            .collect()
    };
    let pair = |s: &str, a: &str| (s.to_owned(), a.to_owned());
    assert_eq!(funded(0), [pair("PHB", "160.00"), pair("ASC", "40.00")]);
    assert_eq!(funded(1), [pair("ASC", "60.00")]);
    assert_eq!(funded(2), [pair("PHB", "50.00")]);
    assert!(plan["lines"][0]["explanation"].as_array().is_some_and(|e| !e.is_empty()));
    let components: Vec<(&str, &str, &str)> = plan["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["stream"].as_str().unwrap(),
                c["allocated"].as_str().unwrap(),
                c["funder_pays"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(components, [("PHB", "210.00", "210.00"), ("ASC", "100.00", "70.00")]);

    // Finance pays four weeks: PHB 4 × 210.00 = 840.00, ASC 4 × 70.00 = 280.00, each into
    // the budget account and on into the direct-payment account: four transfers, once.
    let pay = json!({"from": "2024-10-07", "weeks": 4});
    let paid = finance.post("/api/budgets/payments", &pay).await;
    let paid = paid.ok(StatusCode::OK);
    assert_eq!((paid["created"].as_u64(), paid["already_recorded"].as_u64()), (Some(4), Some(0)));
    let again = finance.post("/api/budgets/payments", &pay).await;
    let again = again.ok(StatusCode::OK);
    assert_eq!((again["created"].as_u64(), again["already_recorded"].as_u64()), (Some(0), Some(4)));
    let bad_weeks =
        finance.post("/api/budgets/payments", &json!({"from": "2024-10-07", "weeks": 0})).await;
    bad_weeks.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", Some("weeks"));
    // Every component is a direct payment: no invoice is paid from the budget.
    let invoice = finance
        .post(
            &format!("{people}/invoices"),
            &json!({"stream": "ASC", "provider": "DP-SPEND", "amount": "10.00", "date": "2024-10-09", "invoice": "INV-1", "key": "inv-1"}),
        )
        .await;
    invoice.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", Some("stream"));

    // The citizen records 100.00 spent on line 1 with a receipt. The line is funded PHB
    // 160.00 : ASC 40.00, so the spending splits 80.00 : 20.00. Without a receipt it is
    // refused; another person's budget is not theirs to spend.
    let spend = |receipt: &str| json!({"line": 1, "amount": "100.00", "date": "2024-10-10", "receipt": receipt, "key": "payslip-41"});
    let no_receipt = citizen.post(&format!("{people}/spending"), &spend(" ")).await;
    no_receipt.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", Some("receipt"));
    let elsewhere = citizen.post("/api/people/P000001/spending", &spend("PA payslip 41")).await;
    elsewhere.assert_error(StatusCode::FORBIDDEN, "forbidden", None);
    // Spending is recorded once it has happened: a day in 2030 is refused, naming the date.
    let mut future = spend("PA payslip 41");
    future["date"] = json!("2030-01-10");
    let future = citizen.post(&format!("{people}/spending"), &future).await;
    future.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", Some("date"));
    assert!(future.body.to_string().contains("in the future"), "{}", future.body);
    let mut spaced = spend("PA payslip 41");
    spaced["amount"] = json!("1 00.00");
    let spaced = citizen.post(&format!("{people}/spending"), &spaced).await;
    spaced.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", Some("amount"));
    let audit_before = app.audit_rows().await.len();
    let spent = citizen.post(&format!("{people}/spending"), &spend("PA payslip 41")).await;
    let spent = spent.ok(StatusCode::CREATED);
    let keys: Vec<&str> = spent["transfers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["idempotency_key"].as_str().unwrap())
        .collect();
    assert_eq!(
        keys,
        [format!("spend/{PERSON}/payslip-41/PHB"), format!("spend/{PERSON}/payslip-41/ASC")]
    );
    let rows = app.audit_rows().await;
    assert_eq!(rows.len(), audit_before + 1, "one audit row for the spending");
    assert_eq!(
        (rows[0].entry.action.as_str(), rows[0].entry.person_code.as_deref()),
        ("record_spending", Some(PERSON))
    );
    // More than the direct-payment account holds for line 2 (ASC 280.00 − 20.00 = 260.00)
    // is refused by the ledger and writes nothing.
    let too_much = citizen
        .post(
            &format!("{people}/spending"),
            &json!({"line": 2, "amount": "300.00", "date": "2024-10-11", "receipt": "R2", "key": "r2"}),
        )
        .await;
    assert_eq!(too_much.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", too_much.body);

    // Monitoring at two weeks on 2024-11-04: PHB's threshold is 2 × 210.00 = 420.00 and
    // its balance 840.00 − 80.00 = 760.00, so 340.00 is proposed; ASC's is 2 × 70.00 =
    // 140.00 against 280.00 − 20.00 = 260.00, so 120.00.
    let monitoring =
        finance.post("/api/budgets/monitoring", &json!({"on": "2024-11-04", "weeks": 2})).await;
    let raised = monitoring.ok(StatusCode::OK)["raised"].as_array().unwrap().clone();
    let proposed: Vec<(&str, &str)> = raised
        .iter()
        .map(|r| (r["stream"].as_str().unwrap(), r["proposed_recovery"].as_str().unwrap()))
        .collect();
    assert_eq!(proposed, [("PHB", "340.00"), ("ASC", "120.00")]);
    assert!(!monitoring.body.to_string().contains(PERSON), "monitoring's answer names no one");
    let reviews = finance.get("/api/budgets/reviews?open=true").await;
    let reviews = reviews.ok(StatusCode::OK)["reviews"].as_array().unwrap().clone();
    assert_eq!(reviews.len(), 2);
    assert!(reviews.iter().all(|r| r["person_code"] == PERSON));
    let rows = app.audit_rows().await;
    assert_eq!(
        (rows[0].entry.action.as_str(), rows[0].entry.person_code.as_deref()),
        ("read_person", Some(PERSON)),
        "the list of reviews is a read of each person in it"
    );
    let id = |stream: &str| {
        raised.iter().find(|r| r["stream"] == stream).unwrap()["id"].as_i64().unwrap()
    };
    let (phb_review, asc_review) = (id("PHB"), id("ASC"));

    // A token cannot decide a recovery, even finance's with every scope; a signed-in
    // finance officer can. Nothing moves until then.
    let token = app.token("finance", "ledger:read,ledger:write,people:read,budgets:write").await;
    let decide = json!({"recover": "340.00", "note": "agreed with Ada"});
    let by_token = token.post(&format!("/api/budgets/reviews/{phb_review}"), &decide).await;
    by_token.assert_error(StatusCode::FORBIDDEN, "forbidden", None);
    let more = finance
        .post(
            &format!("/api/budgets/reviews/{phb_review}"),
            &json!({"recover": "400.00", "note": "x"}),
        )
        .await;
    more.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", Some("amount"));
    let last_row = app.audit_rows().await.iter().map(|r| r.id).max().unwrap_or(0);
    let decided = finance.post(&format!("/api/budgets/reviews/{phb_review}"), &decide).await;
    let decided = decided.ok(StatusCode::OK);
    // Deciding moves the person's money, so it names them in the audit log: the person
    // can see who acted on their record.
    let rows = app.audit_rows().await;
    let new_rows: Vec<_> = rows.iter().filter(|r| r.id > last_row).collect();
    assert!(
        new_rows.iter().any(|r| r.entry.person_code.as_deref()
            == Some(decided["review"]["person_code"].as_str().unwrap())),
        "the decision leaves an audit row naming the person: {new_rows:?}"
    );
    assert_eq!(decided["review"]["decision"], "recovered");
    assert_eq!(decided["transfers"].as_array().unwrap().len(), 1);
    let twice = finance.post(&format!("/api/budgets/reviews/{phb_review}"), &decide).await;
    twice.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "budget_refused", None);
    // ASC's balance is left with the person.
    finance
        .post(
            &format!("/api/budgets/reviews/{asc_review}"),
            &json!({"recover": null, "note": "the cleaner's invoice is due"}),
        )
        .await
        .ok(StatusCode::OK);
    let open = finance.get("/api/budgets/reviews?open=true").await;
    assert_eq!(open.ok(StatusCode::OK)["reviews"], json!([]));

    // The citizen's statement. PHB: paid in 840.00, paid to them 840.00, spent 80.00,
    // returned 340.00, held 840.00 − 80.00 − 340.00 = 420.00; free (they pay 0.00). ASC:
    // paid in 280.00, spent 20.00, nothing returned, held 280.00 − 20.00 = 260.00; they
    // pay 30.00 a week. One read, one audit row.
    let audit_before = app.audit_rows().await.len();
    let statement = citizen.get(&format!("{people}/statement")).await;
    let statement = statement.ok(StatusCode::OK);
    assert_eq!(app.audit_rows().await.len(), audit_before + 1, "one audit row for the read");
    let phb = stream(statement, "PHB");
    let figures = |s: &Value, names: &[&str]| -> Vec<String> {
        names.iter().map(|n| s[*n].as_str().unwrap().to_owned()).collect()
    };
    let names = [
        "paid_in",
        "paid_to_you",
        "spent_by_you",
        "returned",
        "held_by_you",
        "held_by_funder",
        "weekly_you_pay",
    ];
    assert_eq!(
        figures(phb, &names),
        ["840.00", "840.00", "80.00", "340.00", "420.00", "0.00", "0.00"]
    );
    let asc = stream(statement, "ASC");
    assert_eq!(
        figures(asc, &names),
        ["280.00", "280.00", "20.00", "0.00", "260.00", "0.00", "30.00"]
    );
    assert_eq!(statement["budget"]["status"], "under_review", "monitoring put it under review");
    assert!(
        statement["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["words"].as_str().unwrap().contains("PA payslip 41")),
        "{statement}"
    );
    assert!(
        statement["summary"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s.as_str().unwrap().contains("30.00"))
    );
    // Seven entries: two allocations, two direct payments, two spends and the recovery.
    let entries = statement["entries"].as_array().unwrap().len();
    assert_eq!(entries, 7, "{statement}");

    // The same as CSV: a header, a row per entry, a row per stream with the totals.
    let (status, content_type, csv) = citizen.text(&format!("{people}/statement.csv")).await;
    assert_eq!(status, StatusCode::OK, "{csv}");
    assert!(content_type.starts_with("text/csv"), "{content_type}");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 1 + entries + 2, "{csv}");
    assert!(lines[0].starts_with("row,date,stream,description,money_in,money_out,"), "{csv}");
    assert!(csv.contains("\r\n"), "CRLF line ends");
    assert!(
        lines.contains(&"stream,,PHB,NHS personal health budget (joint package) (direct payment),,,210.00,0.00,840.00,840.00,80.00,0.00,340.00,0.00,420.00"),
        "{csv}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("stream,,ASC,")
            && l.ends_with(",149.60,30.00,280.00,280.00,20.00,0.00,0.00,0.00,260.00")),
        "{csv}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("entry,2024-10-10,PHB,") && l.ends_with(",0.00,80.00,,,,,,,,,")),
        "{csv}"
    );

    // A person who does not exist looks like one the caller may not see, except to
    // finance; a commissioner sees no one's statement.
    let missing = practitioner.get("/api/people/P999999/statement").await;
    missing.assert_error(StatusCode::FORBIDDEN, "forbidden", None);
    let missing = finance.get("/api/people/P999999/statement").await;
    missing.assert_error(StatusCode::NOT_FOUND, "not_found", None);
    let refused = commissioner.get(&format!("{people}/statement")).await;
    refused.assert_error(StatusCode::FORBIDDEN, "forbidden", None);

    // The ICB's statement for its personal health budgets over 2024/25, on 2024-11-06:
    // one budget, 210.00 a week; 840.00 paid in, 80.00 spent, 340.00 returned. It names
    // no one.
    let funder = commissioner.get("/api/funders/PHB/statement?on=2024-11-06").await;
    let funder = funder.ok(StatusCode::OK);
    assert_eq!(
        (funder["from"].as_str(), funder["to"].as_str()),
        (Some("2024-04-01"), Some("2025-03-31"))
    );
    let phb = &funder["statement"];
    assert_eq!(phb["funder"], "ICB");
    assert_eq!(phb["budgets"], 1);
    assert_eq!(
        figures(
            phb,
            &[
                "weekly_agreed",
                "weekly_funder_pays",
                "weekly_people_pay",
                "paid_in",
                "spent",
                "returned"
            ]
        ),
        ["210.00", "210.00", "0.00", "840.00", "80.00", "340.00"]
    );
    let text = funder.to_string();
    for identifying in [PERSON, "Ada", "Budgetson", "9990000050"] {
        assert!(!text.contains(identifying), "{identifying} in {text}");
    }
    let unknown = commissioner.get("/api/funders/NOPE/statement").await;
    unknown.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", Some("stream"));
}

on_both_backends!(from_assessment_to_statement);
