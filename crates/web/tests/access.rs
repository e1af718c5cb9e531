//! Who may see what, end to end over real HTTP: the authorization matrix (every route of
//! `onebudget_web::routes()` × every role, so a new route without a row here fails), the
//! security of sign-in (CSRF, cookie attributes, throttling, injection strings shown
//! inert, no person data in URLs) and the audit log (one row per access).

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

#[allow(dead_code)]
mod support;

use std::collections::BTreeSet;

use onebudget_store::AuditFilter;
use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use support::{CITIZENS_OWN, LOGINS, NORTH_PERSON, Server};

/// A place with one login per role.
async fn start() -> Server {
    start_with(onebudget_web::Settings::default()).await
}

async fn start_with(settings: onebudget_web::Settings) -> Server {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = format!("sqlite://{}", dir.path().join("onebudget.db").display());
    let server = Server::start_with(&url, dir, settings).await;
    let store = server.store.clone();
    tokio::task::spawn_blocking(move || support::seed_place(&store)).await.expect("seed");
    server
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client")
}

/// A browser's worth of state for one signed-in person: the session cookie and the CSRF
/// token its forms carry.
struct Session {
    cookie: String,
    csrf: String,
    set_cookie: String,
}

fn hidden_csrf(html: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker).map(|i| i + marker.len()).expect("a csrf_token field");
    html[start..].split('"').next().unwrap_or_default().to_owned()
}

fn cookie_value(set_cookie: &str, name: &str) -> Option<String> {
    set_cookie
        .split(';')
        .next()
        .and_then(|pair| pair.trim().strip_prefix(&format!("{name}=")))
        .map(str::to_owned)
}

/// The sign-in form's cookie and token.
async fn sign_in_form(server: &Server) -> (String, String) {
    let response = client().get(format!("{}/sign-in", server.base)).send().await.expect("GET");
    let cookie = response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| cookie_value(v.to_str().ok()?, "onebudget_signin"))
        .next()
        .expect("the sign-in cookie");
    let token = hidden_csrf(&response.text().await.expect("the form"));
    (cookie, token)
}

async fn post_sign_in(
    server: &Server,
    username: &str,
    password: &str,
    cookie: Option<&str>,
    token: &str,
) -> reqwest::Response {
    let mut request = client().post(format!("{}/sign-in", server.base)).form(&[
        ("username", username),
        ("password", password),
        ("csrf_token", token),
    ]);
    if let Some(cookie) = cookie {
        request = request.header(COOKIE, format!("onebudget_signin={cookie}"));
    }
    request.send().await.expect("POST /sign-in")
}

async fn sign_in(server: &Server, username: &str, password: &str) -> Session {
    let (cookie, token) = sign_in_form(server).await;
    let response = post_sign_in(server, username, password, Some(&cookie), &token).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{username} signs in");
    let set_cookie = response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("onebudget_session="))
        .expect("a session cookie")
        .to_owned();
    let session = cookie_value(&set_cookie, "onebudget_session").expect("its value");
    let cookie = format!("onebudget_session={session}");
    let home = client()
        .get(format!("{}/home", server.base))
        .header(COOKIE, &cookie)
        .send()
        .await
        .expect("home");
    let location = home.headers().get(LOCATION).expect("home redirects").to_str().unwrap();
    let page = client()
        .get(format!("{}{location}", server.base))
        .header(COOKIE, &cookie)
        .send()
        .await
        .expect("a page")
        .text()
        .await
        .expect("text");
    Session { cookie, csrf: hidden_csrf(&page), set_cookie }
}

async fn sign_in_as(server: &Server, role: &str) -> Session {
    let (username, password, _) =
        LOGINS.iter().find(|(_, _, r)| *r == role).copied().expect("a login for the role");
    sign_in(server, username, password).await
}

async fn audit_rows(server: &Server, filter: AuditFilter) -> Vec<onebudget_store::AuditRecord> {
    let store = server.store.clone();
    tokio::task::spawn_blocking(move || store.audit_search(&filter, 10_000))
        .await
        .expect("task")
        .expect("audit rows")
}

// ---------------------------------------------------------------------------------------
// The authorization matrix

/// Who may use a route. Written from DESIGN.md's roles, not read from the code.
#[derive(Clone, Copy, Debug)]
enum Who {
    /// Anyone, signed in or not.
    Anyone,
    /// Only these roles (by code).
    Roles(&'static [&'static str]),
}

const ALL_ROLES: &[&str] =
    &["citizen", "practitioner", "finance", "commissioner", "admin", "auditor"];

/// (method, route pattern, concrete path to request, body for POST, who may use it).
const MATRIX: &[(&str, &str, &str, &str, Who)] = &[
    ("GET", "/", "/", "", Who::Anyone),
    ("GET", "/check-what-you-might-pay", "/check-what-you-might-pay", "", Who::Anyone),
    (
        "POST",
        "/check-what-you-might-pay",
        "/check-what-you-might-pay",
        "nation=england",
        Who::Anyone,
    ),
    ("GET", "/assets/onebudget.css", "/assets/onebudget.css", "", Who::Anyone),
    ("GET", "/health", "/health", "", Who::Anyone),
    ("GET", "/api/openapi.json", "/api/openapi.json", "", Who::Anyone),
    ("GET", "/sign-in", "/sign-in", "", Who::Anyone),
    // Sign-in and sign-out are forms: the security tests below drive them fully.
    ("POST", "/sign-in", "/sign-in", "", Who::Anyone),
    ("POST", "/sign-out", "/sign-out", "", Who::Roles(ALL_ROLES)),
    ("GET", "/home", "/home", "", Who::Roles(ALL_ROLES)),
    ("GET", "/my-budget", "/my-budget", "", Who::Roles(&["citizen"])),
    ("GET", "/my-budget/who-has-looked", "/my-budget/who-has-looked", "", Who::Roles(&["citizen"])),
    ("GET", "/caseload", "/caseload", "", Who::Roles(&["practitioner", "finance", "auditor"])),
    (
        "GET",
        "/people/{code}",
        "/people/P000001",
        "",
        Who::Roles(&["practitioner", "finance", "auditor"]),
    ),
    (
        "GET",
        "/people/{code}/assessments/{id}",
        "/people/P000001/assessments/1",
        "",
        Who::Roles(&["practitioner", "finance", "auditor"]),
    ),
    ("GET", "/finance", "/finance", "", Who::Roles(&["finance", "auditor"])),
    (
        "GET",
        "/finance/accounts/{code}",
        "/finance/accounts/COUNCIL-ASC",
        "",
        Who::Roles(&["finance", "auditor"]),
    ),
    ("GET", "/spending", "/spending", "", Who::Roles(&["finance", "commissioner", "auditor"])),
    (
        "GET",
        "/budgets/funders",
        "/budgets/funders",
        "",
        Who::Roles(&["finance", "commissioner", "auditor"]),
    ),
    ("GET", "/admin", "/admin", "", Who::Roles(&["admin"])),
    // Administration: users and tokens. The bodies are refused as incomplete (422) or name
    // no one (404), so the matrix changes no login the other rows sign in with.
    ("POST", "/admin/users", "/admin/users", "csrf_token=CSRF&username=", Who::Roles(&["admin"])),
    ("GET", "/admin/users/{username}", "/admin/users/finance", "", Who::Roles(&["admin"])),
    (
        "POST",
        "/admin/users/{username}/disable",
        "/admin/users/nobody/disable",
        "csrf_token=CSRF",
        Who::Roles(&["admin"]),
    ),
    (
        "POST",
        "/admin/users/{username}/enable",
        "/admin/users/nobody/enable",
        "csrf_token=CSRF",
        Who::Roles(&["admin"]),
    ),
    (
        "POST",
        "/admin/users/{username}/password",
        "/admin/users/finance/password",
        "csrf_token=CSRF&password=short",
        Who::Roles(&["admin"]),
    ),
    (
        "POST",
        "/admin/tokens",
        "/admin/tokens",
        "csrf_token=CSRF&token-user=",
        Who::Roles(&["admin"]),
    ),
    (
        "POST",
        "/admin/tokens/{id}/revoke",
        "/admin/tokens/999999/revoke",
        "csrf_token=CSRF",
        Who::Roles(&["admin"]),
    ),
    ("GET", "/auditor", "/auditor", "", Who::Roles(&["auditor"])),
    ("GET", "/audit", "/audit", "", Who::Roles(&["auditor"])),
    ("GET", "/audit.csv", "/audit.csv", "", Who::Roles(&["auditor"])),
    ("GET", "/people", "/people", "", Who::Roles(&["practitioner", "finance", "auditor"])),
    ("POST", "/api/ledger/open", "/api/ledger/open", "[]", Who::Roles(&["finance"])),
    ("GET", "/api/streams", "/api/streams", "", Who::Roles(&["finance", "auditor"])),
    ("GET", "/api/accounts", "/api/accounts", "", Who::Roles(&["finance", "auditor"])),
    (
        "GET",
        "/api/accounts/{code}",
        "/api/accounts/COUNCIL-ASC",
        "",
        Who::Roles(&["finance", "auditor"]),
    ),
    (
        "GET",
        "/api/accounts/{code}/statement",
        "/api/accounts/COUNCIL-ASC/statement",
        "",
        Who::Roles(&["finance", "auditor"]),
    ),
    ("POST", "/api/transfers", "/api/transfers", "{}", Who::Roles(&["finance"])),
    (
        "POST",
        "/api/transfers/batch",
        "/api/transfers/batch",
        "{\"transfers\": []}",
        Who::Roles(&["finance"]),
    ),
    (
        "GET",
        "/api/transfers/{idempotency_key}",
        "/api/transfers/a",
        "",
        Who::Roles(&["finance", "auditor"]),
    ),
    ("GET", "/api/balances", "/api/balances", "", Who::Roles(&["finance", "auditor"])),
    (
        "POST",
        "/api/financial-assessments",
        "/api/financial-assessments",
        "{}",
        Who::Roles(&["practitioner", "finance"]),
    ),
    (
        "POST",
        "/api/deferred-payments/statement",
        "/api/deferred-payments/statement",
        "{}",
        Who::Roles(&["practitioner", "finance"]),
    ),
    (
        "GET",
        "/api/people/{code}",
        "/api/people/P000001",
        "",
        Who::Roles(&["practitioner", "finance", "auditor"]),
    ),
    (
        "GET",
        "/api/people/{code}/access-log",
        "/api/people/P000001/access-log",
        "",
        Who::Roles(&["auditor"]),
    ),
    (
        "GET",
        "/api/people/{code}/financial-assessments",
        "/api/people/P000001/financial-assessments",
        "",
        Who::Roles(&["practitioner", "finance", "auditor"]),
    ),
    (
        "POST",
        "/api/people/{code}/financial-assessments",
        "/api/people/P000001/financial-assessments",
        "{}",
        Who::Roles(&["finance"]),
    ),
    (
        "GET",
        "/api/reports/spend",
        "/api/reports/spend",
        "",
        Who::Roles(&["finance", "commissioner", "auditor"]),
    ),
    ("GET", "/api/audit", "/api/audit", "", Who::Roles(&["auditor"])),
    // The shared measures: whole-system figures, small numbers protected.
    (
        "GET",
        "/api/measures",
        "/api/measures",
        "",
        Who::Roles(&["finance", "commissioner", "auditor"]),
    ),
    (
        "GET",
        "/api/measures/values",
        "/api/measures/values",
        "",
        Who::Roles(&["finance", "commissioner", "auditor"]),
    ),
    // Pools: read by finance, commissioners and auditors; changed by finance; a settlement
    // confirmed only by a finance officer for their own organisation (the seeded finance
    // officer works for COUNCIL). No pool is seeded here, so an allowed request is a 404.
    ("GET", "/pools", "/pools", "", Who::Roles(&["finance", "commissioner", "auditor"])),
    (
        "GET",
        "/pools/{pool}/{year}",
        "/pools/BCF/2025",
        "",
        Who::Roles(&["finance", "commissioner", "auditor"]),
    ),
    (
        "POST",
        "/pools/{pool}/{year}/forecasts",
        "/pools/BCF/2025/forecasts",
        "csrf_token=CSRF&scheme=REABLEMENT&method=profile",
        Who::Roles(&["finance"]),
    ),
    (
        "POST",
        "/pools/{pool}/{year}/close",
        "/pools/BCF/2025/close",
        "csrf_token=CSRF&through=2026-03",
        Who::Roles(&["finance"]),
    ),
    (
        "GET",
        "/pools/{pool}/{year}/settlement",
        "/pools/BCF/2025/settlement",
        "",
        Who::Roles(&["finance", "commissioner", "auditor"]),
    ),
    (
        "POST",
        "/pools/{pool}/{year}/settlement/confirm",
        "/pools/BCF/2025/settlement/confirm",
        "csrf_token=CSRF&digest=x",
        Who::Roles(&["finance"]),
    ),
    // Personal budgets' pages. A person's budget is read by whoever may read the person
    // (their team's practitioner, finance, auditors); only the team's practitioner records
    // a needs assessment or changes the plan and its status (the form pages too). A person's
    // own pages are theirs alone. Paying budgets and running monitoring are finance's; the
    // lists of payments and reviews are read by finance and auditors; only a finance
    // officer decides a recovery. Nothing is seeded, so an allowed form is a 422 or 404.
    (
        "GET",
        "/people/{code}/needs-assessment",
        "/people/P000001/needs-assessment",
        "",
        Who::Roles(&["practitioner"]),
    ),
    (
        "POST",
        "/people/{code}/needs-assessment",
        "/people/P000001/needs-assessment",
        "csrf_token=CSRF&questionnaire=2025.1",
        Who::Roles(&["practitioner"]),
    ),
    (
        "GET",
        "/people/{code}/budget",
        "/people/P000001/budget",
        "",
        Who::Roles(&["practitioner", "finance", "auditor"]),
    ),
    (
        "GET",
        "/people/{code}/budget/plan",
        "/people/P000001/budget/plan",
        "",
        Who::Roles(&["practitioner", "finance", "auditor"]),
    ),
    (
        "POST",
        "/people/{code}/budget/lines",
        "/people/P000001/budget/lines",
        "csrf_token=CSRF&what=Cleaner",
        Who::Roles(&["practitioner"]),
    ),
    (
        "POST",
        "/people/{code}/budget/components",
        "/people/P000001/budget/components",
        "csrf_token=CSRF",
        Who::Roles(&["practitioner"]),
    ),
    // Fixing a line's split or removing a line changes the plan: the team's practitioner.
    (
        "POST",
        "/people/{code}/budget/lines/{line}/split",
        "/people/P000001/budget/lines/1/split",
        "csrf_token=CSRF&line-1-reason=chosen",
        Who::Roles(&["practitioner"]),
    ),
    (
        "POST",
        "/people/{code}/budget/lines/{line}/remove",
        "/people/P000001/budget/lines/1/remove",
        "csrf_token=CSRF&line-1-remove-reason=not+needed",
        Who::Roles(&["practitioner"]),
    ),
    // Spending on the person's behalf: their team's practitioner or a finance officer (the
    // person records their own below `/my-budget`; auditors only read).
    (
        "GET",
        "/people/{code}/budget/spending",
        "/people/P000001/budget/spending",
        "",
        Who::Roles(&["practitioner", "finance"]),
    ),
    (
        "POST",
        "/people/{code}/budget/spending",
        "/people/P000001/budget/spending",
        "csrf_token=CSRF&line=1&amount=10.00",
        Who::Roles(&["practitioner", "finance"]),
    ),
    (
        "GET",
        "/people/{code}/budget/review",
        "/people/P000001/budget/review",
        "",
        Who::Roles(&["practitioner", "finance", "auditor"]),
    ),
    (
        "POST",
        "/people/{code}/budget/status",
        "/people/P000001/budget/status",
        "csrf_token=CSRF&status=agreed",
        Who::Roles(&["practitioner"]),
    ),
    ("GET", "/my-budget/budget", "/my-budget/budget", "", Who::Roles(&["citizen"])),
    ("GET", "/my-budget/plan", "/my-budget/plan", "", Who::Roles(&["citizen"])),
    ("GET", "/my-budget/spending", "/my-budget/spending", "", Who::Roles(&["citizen"])),
    (
        "POST",
        "/my-budget/spending",
        "/my-budget/spending",
        "csrf_token=CSRF&line=1&amount=10.00",
        Who::Roles(&["citizen"]),
    ),
    ("GET", "/my-budget/statement", "/my-budget/statement", "", Who::Roles(&["citizen"])),
    ("GET", "/my-budget/statement.csv", "/my-budget/statement.csv", "", Who::Roles(&["citizen"])),
    ("GET", "/budgets/payments", "/budgets/payments", "", Who::Roles(&["finance", "auditor"])),
    (
        "POST",
        "/budgets/payments",
        "/budgets/payments",
        "csrf_token=CSRF&from=2025-06-02&weeks=4",
        Who::Roles(&["finance"]),
    ),
    // Paying a provider's invoice from a person's budget: finance only.
    (
        "POST",
        "/budgets/invoices",
        "/budgets/invoices",
        "csrf_token=CSRF&invoice-person=P000001&invoice-stream=ASC",
        Who::Roles(&["finance"]),
    ),
    ("GET", "/budgets/reviews", "/budgets/reviews", "", Who::Roles(&["finance", "auditor"])),
    (
        "POST",
        "/budgets/reviews/monitor",
        "/budgets/reviews/monitor",
        "csrf_token=CSRF&on=2025-07-01&weeks=4",
        Who::Roles(&["finance"]),
    ),
    (
        "POST",
        "/budgets/reviews/{id}/decide",
        "/budgets/reviews/1/decide",
        "csrf_token=CSRF&decision=dismiss&note-1=checked",
        Who::Roles(&["finance"]),
    ),
    ("GET", "/api/pools", "/api/pools", "", Who::Roles(&["finance", "commissioner", "auditor"])),
    ("POST", "/api/pools", "/api/pools", "{}", Who::Roles(&["finance"])),
    (
        "GET",
        "/api/pools/{pool}/{year}/monitoring",
        "/api/pools/BCF/2025/monitoring",
        "",
        Who::Roles(&["finance", "commissioner", "auditor"]),
    ),
    (
        "GET",
        "/api/pools/{pool}/{year}/monitoring.csv",
        "/api/pools/BCF/2025/monitoring.csv",
        "",
        Who::Roles(&["finance", "commissioner", "auditor"]),
    ),
    (
        "POST",
        "/api/pools/{pool}/{year}/forecasts",
        "/api/pools/BCF/2025/forecasts",
        "{}",
        Who::Roles(&["finance"]),
    ),
    (
        "POST",
        "/api/pools/{pool}/{year}/close",
        "/api/pools/BCF/2025/close",
        "{\"through\": \"2026-03\"}",
        Who::Roles(&["finance"]),
    ),
    (
        "GET",
        "/api/pools/{pool}/{year}/settlement",
        "/api/pools/BCF/2025/settlement",
        "",
        Who::Roles(&["finance", "commissioner", "auditor"]),
    ),
    (
        "POST",
        "/api/pools/{pool}/{year}/settlement/confirm",
        "/api/pools/BCF/2025/settlement/confirm",
        "{\"digest\": \"x\"}",
        Who::Roles(&["finance"]),
    ),
    // Personal budgets. A person's needs assessments, budget, plan and statement are part
    // of their record: their team's practitioner, finance and auditors read them (the
    // citizen reads only their own, and P000001 is not theirs). Needs assessments and
    // budgets are made by the person's practitioner, never by finance. Spending from a
    // direct payment is recorded by the person, their practitioner or finance. Paying
    // budgets and invoices, monitoring and deciding reviews are finance's. A funder's
    // statement is whole-system figures: finance, commissioners and auditors. Nothing is
    // seeded for P000001's budget, so an allowed request may be a 400, 404 or 422.
    (
        "GET",
        "/api/people/{code}/needs-assessments",
        "/api/people/P000001/needs-assessments",
        "",
        Who::Roles(&["practitioner", "finance", "auditor"]),
    ),
    (
        "POST",
        "/api/people/{code}/needs-assessments",
        "/api/people/P000001/needs-assessments",
        "{}",
        Who::Roles(&["practitioner"]),
    ),
    (
        "GET",
        "/api/people/{code}/budget",
        "/api/people/P000001/budget",
        "",
        Who::Roles(&["practitioner", "finance", "auditor"]),
    ),
    (
        "POST",
        "/api/people/{code}/budget",
        "/api/people/P000001/budget",
        "{}",
        Who::Roles(&["practitioner"]),
    ),
    (
        "GET",
        "/api/people/{code}/plan",
        "/api/people/P000001/plan",
        "",
        Who::Roles(&["practitioner", "finance", "auditor"]),
    ),
    (
        "GET",
        "/api/people/{code}/statement",
        "/api/people/P000001/statement",
        "",
        Who::Roles(&["practitioner", "finance", "auditor"]),
    ),
    (
        "GET",
        "/api/people/{code}/statement.csv",
        "/api/people/P000001/statement.csv",
        "",
        Who::Roles(&["practitioner", "finance", "auditor"]),
    ),
    (
        "POST",
        "/api/people/{code}/spending",
        "/api/people/P000001/spending",
        "{}",
        Who::Roles(&["practitioner", "finance"]),
    ),
    (
        "POST",
        "/api/people/{code}/invoices",
        "/api/people/P000001/invoices",
        "{}",
        Who::Roles(&["finance"]),
    ),
    ("POST", "/api/budgets/payments", "/api/budgets/payments", "{}", Who::Roles(&["finance"])),
    ("POST", "/api/events/import", "/api/events/import", "{}", Who::Roles(&["finance"])),
    ("POST", "/api/budgets/monitoring", "/api/budgets/monitoring", "{}", Who::Roles(&["finance"])),
    (
        "GET",
        "/api/budgets/reviews",
        "/api/budgets/reviews",
        "",
        Who::Roles(&["finance", "auditor"]),
    ),
    (
        "POST",
        "/api/budgets/reviews/{id}",
        "/api/budgets/reviews/1",
        "{\"note\": \"x\"}",
        Who::Roles(&["finance"]),
    ),
    (
        "GET",
        "/api/funders/{stream}/statement",
        "/api/funders/PHB/statement",
        "",
        Who::Roles(&["finance", "commissioner", "auditor"]),
    ),
];

#[test]
fn every_route_is_in_the_matrix() {
    let routes: BTreeSet<(String, String)> = onebudget_web::routes()
        .iter()
        .flat_map(|route| route.methods.iter().map(|m| ((*m).to_owned(), route.path.to_owned())))
        .collect();
    let matrix: BTreeSet<(String, String)> =
        MATRIX.iter().map(|(m, p, ..)| ((*m).to_owned(), (*p).to_owned())).collect();
    let missing: Vec<_> = routes.difference(&matrix).collect();
    let stale: Vec<_> = matrix.difference(&routes).collect();
    assert!(missing.is_empty(), "routes with no row in the authorization matrix: {missing:?}");
    assert!(stale.is_empty(), "matrix rows for routes that do not exist: {stale:?}");
    // And every API route is described in the OpenAPI document.
    let document =
        serde_json::to_value(<onebudget_web::openapi::ApiDoc as utoipa::OpenApi>::openapi())
            .expect("the document");
    for (method, path) in routes.iter().filter(|(_, path)| path.starts_with("/api/")) {
        let operation = &document["paths"][path.as_str()][method.to_ascii_lowercase()];
        assert!(operation.is_object(), "{method} {path} is not in the OpenAPI document");
    }
}

/// Whether a response means "let through" (any status but a refusal or a sign-in
/// redirect).
fn let_through(status: StatusCode, location: Option<&str>) -> bool {
    !(status == StatusCode::UNAUTHORIZED
        || status == StatusCode::FORBIDDEN
        || (status == StatusCode::SEE_OTHER
            && location.is_some_and(|l| l == "/sign-in" || l.starts_with("/sign-in?"))))
}

async fn request(
    server: &Server,
    method: &str,
    path: &str,
    body: &str,
    session: Option<&Session>,
) -> (StatusCode, Option<String>) {
    let url = format!("{}{path}", server.base);
    let mut builder = match method {
        "GET" => client().get(url),
        _ => {
            let content_type = if body.starts_with('{') || body.starts_with('[') {
                "application/json"
            } else {
                "application/x-www-form-urlencoded"
            };
            // Signed-in forms carry the session's CSRF token: `CSRF` in a row's body.
            let csrf = session.map_or("", |s| s.csrf.as_str());
            let body = if path == "/sign-out" {
                format!("csrf_token={csrf}")
            } else if content_type.starts_with("application/x-www-form") {
                body.replace("CSRF", csrf)
            } else {
                body.to_owned()
            };
            client().post(url).header("content-type", content_type).body(body)
        }
    };
    if let Some(session) = session {
        builder = builder.header(COOKIE, &session.cookie);
    }
    let response = builder.send().await.expect("answered");
    let location =
        response.headers().get(LOCATION).and_then(|v| v.to_str().ok()).map(str::to_owned);
    (response.status(), location)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_allows_exactly_the_roles_it_should() {
    let server = start().await;
    let mut wrong = Vec::new();
    for role in ALL_ROLES {
        for (method, pattern, path, body, who) in MATRIX {
            // A fresh session for every request: sign-out ends one.
            let session = sign_in_as(&server, role).await;
            let (status, location) = request(&server, method, path, body, Some(&session)).await;
            let expected = match who {
                Who::Anyone => true,
                Who::Roles(roles) => roles.contains(role),
            };
            // The sign-in form without its cookie is refused for everyone (CSRF), which
            // the security tests cover; here it only must not demand a session.
            let got = if *pattern == "/sign-in" && *method == "POST" {
                status != StatusCode::UNAUTHORIZED
            } else {
                let_through(status, location.as_deref())
            };
            if got != expected {
                wrong.push(format!(
                    "{role} {method} {path}: {status} (expected {})",
                    if expected { "allowed" } else { "refused" }
                ));
            }
        }
    }
    // Not signed in: public routes answer, everything else is refused or sent to sign in.
    for (method, pattern, path, body, who) in MATRIX {
        let (status, location) = request(&server, method, path, body, None).await;
        let expected = matches!(who, Who::Anyone);
        let got = if *pattern == "/sign-in" && *method == "POST" {
            status != StatusCode::UNAUTHORIZED
        } else {
            let_through(status, location.as_deref())
        };
        if got != expected {
            wrong.push(format!("anonymous {method} {path}: {status}"));
        }
    }
    assert!(wrong.is_empty(), "{} wrong answers:\n{}", wrong.len(), wrong.join("\n"));
    server.finish().await;
}

/// Regression: a citizen asking for someone else's account or transfer through the
/// ledger's routes was refused without naming that person in the audit log, so the
/// attempt never showed on their "who has looked at your record" page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_look_at_someones_account_is_on_their_record() {
    let server = start().await;
    let citizen = sign_in_as(&server, "citizen").await;
    for path in [
        format!("/api/accounts/{NORTH_PERSON}-ASC"),
        format!("/api/accounts/{NORTH_PERSON}-ASC/statement"),
        "/api/transfers/a".to_owned(),
    ] {
        let response = client()
            .get(format!("{}{path}", server.base))
            .header(COOKIE, &citizen.cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
    }
    // The transfer into the citizen's own account from the council's is still the ledger's.
    let own = client()
        .get(format!("{}/api/transfers/b", server.base))
        .header(COOKIE, &citizen.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), StatusCode::FORBIDDEN);
    // What the person's "who has looked" page lists: every refused attempt, by the citizen.
    let rows = audit_rows(
        &server,
        AuditFilter { person_code: Some(NORTH_PERSON.into()), ..AuditFilter::default() },
    )
    .await;
    let attempts: Vec<(&str, &str, &str)> = rows
        .iter()
        .rev()
        .map(|r| (r.entry.actor.as_str(), r.entry.target.as_str(), r.entry.outcome.as_str()))
        .collect();
    assert_eq!(
        attempts,
        [
            ("citizen", "/api/accounts/P000001-ASC", "refused"),
            ("citizen", "/api/accounts/P000001-ASC/statement", "refused"),
            ("citizen", "/api/transfers/a", "refused"),
        ]
    );
    // A finance officer may read it (and that read is on the record too).
    let finance = sign_in_as(&server, "finance").await;
    let read = client()
        .get(format!("{}/api/accounts/{NORTH_PERSON}-ASC", server.base))
        .header(COOKIE, &finance.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), StatusCode::OK);
    server.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn people_are_visible_only_to_their_own_citizen_and_team() {
    let server = start().await;
    let get = |session: &Session, path: &str| {
        let request =
            client().get(format!("{}{path}", server.base)).header(COOKIE, &session.cookie);
        async move { request.send().await.expect("answered").status() }
    };
    let citizen = sign_in_as(&server, "citizen").await;
    assert_eq!(
        get(&citizen, &format!("/api/people/{CITIZENS_OWN}")).await,
        StatusCode::OK,
        "their own record"
    );
    assert_eq!(get(&citizen, &format!("/api/people/{NORTH_PERSON}")).await, StatusCode::FORBIDDEN);
    assert_eq!(
        get(&citizen, &format!("/api/people/{CITIZENS_OWN}/access-log")).await,
        StatusCode::OK
    );
    assert_eq!(
        get(&citizen, &format!("/api/people/{NORTH_PERSON}/access-log")).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(get(&citizen, &format!("/people/{NORTH_PERSON}")).await, StatusCode::FORBIDDEN);
    let practitioner = sign_in_as(&server, "practitioner").await;
    assert_eq!(get(&practitioner, &format!("/people/{NORTH_PERSON}")).await, StatusCode::OK);
    assert_eq!(
        get(&practitioner, &format!("/people/{CITIZENS_OWN}")).await,
        StatusCode::FORBIDDEN,
        "another team's person"
    );
    assert_eq!(
        get(&practitioner, "/api/accounts/P000002-ASC/statement").await,
        StatusCode::FORBIDDEN
    );
    // A person who does not exist looks the same as one you may not see…
    assert_eq!(get(&practitioner, "/people/P999999").await, StatusCode::FORBIDDEN);
    // …except to those who may see everyone.
    let finance = sign_in_as(&server, "finance").await;
    assert_eq!(get(&finance, "/people/P999999").await, StatusCode::NOT_FOUND);
    let commissioner = sign_in_as(&server, "commissioner").await;
    for path in [
        "/people/P000001",
        "/api/people/P000001",
        "/caseload",
        "/api/balances",
        "/api/accounts/P000001-ASC/statement",
    ] {
        assert_eq!(get(&commissioner, path).await, StatusCode::FORBIDDEN, "commissioner {path}");
    }
    // The commissioner's figures name no person.
    let spend = client()
        .get(format!("{}/api/reports/spend", server.base))
        .header(COOKIE, &commissioner.cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for identifying in ["P000001", "P000002", "Northcott", "Southgate", "9990000018"] {
        assert!(!spend.contains(identifying), "{identifying} in {spend}");
    }
    assert!(spend.contains("\"amount_pence\":260000"), "{spend}");
    server.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_act_within_their_role_and_scopes_and_stop_when_revoked() {
    let server = start().await;
    let store = server.store.clone();
    let (read_only, commissioner_with_everything) = tokio::task::spawn_blocking(move || {
        (
            support::machine_client(&store, "finance", "ledger:read"),
            support::machine_client(
                &store,
                "commissioner",
                "ledger:read,ledger:write,people:read,reports",
            ),
        )
    })
    .await
    .unwrap();
    let url = |path: &str| format!("{}{path}", server.base);
    assert_eq!(read_only.get(url("/api/balances")).send().await.unwrap().status(), StatusCode::OK);
    let write = read_only
        .post(url("/api/transfers/batch"))
        .json(&serde_json::json!({"transfers": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(write.status(), StatusCode::FORBIDDEN, "no ledger:write scope");
    assert_eq!(
        read_only.get(url("/api/people/P000001")).send().await.unwrap().status(),
        StatusCode::FORBIDDEN,
        "no people:read scope"
    );
    // A scope never widens the role.
    assert_eq!(
        commissioner_with_everything.get(url("/api/balances")).send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        commissioner_with_everything.get(url("/api/reports/spend")).send().await.unwrap().status(),
        StatusCode::OK
    );
    // A made-up token is a 401 that says how to get one, and the attempt is audited.
    let forged =
        client().get(url("/api/balances")).bearer_auth("ob_not-a-real-token").send().await.unwrap();
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
    assert!(forged.headers().get("www-authenticate").is_some());
    let rows = audit_rows(
        &server,
        AuditFilter { outcome: Some("refused".into()), ..AuditFilter::default() },
    )
    .await;
    assert!(
        rows.iter().any(|r| r.entry.detail.contains("unknown, revoked or expired")),
        "{rows:?}"
    );
    // Revoked: refused from the next request on.
    let store = server.store.clone();
    let ids: Vec<i64> = tokio::task::spawn_blocking(move || {
        store.tokens().unwrap().into_iter().map(|t| t.id).collect()
    })
    .await
    .unwrap();
    let store = server.store.clone();
    let first = ids[0];
    tokio::task::spawn_blocking(move || store.revoke_token(first).unwrap()).await.unwrap();
    assert_eq!(
        read_only.get(url("/api/balances")).send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    server.finish().await;
}

// ---------------------------------------------------------------------------------------
// Security

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_cookies_are_http_only_strict_and_secure_when_asked() {
    let server = start().await;
    let session = sign_in_as(&server, "finance").await;
    let attributes = session.set_cookie.to_ascii_lowercase();
    for attribute in ["httponly", "samesite=strict", "path=/"] {
        assert!(attributes.contains(attribute), "{attribute} in {attributes}");
    }
    assert!(
        !attributes.contains("secure;") && !attributes.ends_with("secure"),
        "plain HTTP: {attributes}"
    );
    server.finish().await;

    let server =
        start_with(onebudget_web::Settings { secure_cookies: true, ..Default::default() }).await;
    let session = sign_in_as(&server, "finance").await;
    assert!(session.set_cookie.ends_with("; Secure"), "{}", session.set_cookie);
    server.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_without_the_right_csrf_token_are_refused() {
    let server = start().await;
    let (cookie, token) = sign_in_form(&server).await;
    // Sign-in: no cookie, a wrong token, or no token: refused, and no session is started.
    for (cookie, token) in
        [(None, token.as_str()), (Some(cookie.as_str()), "wrong"), (Some(cookie.as_str()), "")]
    {
        let response = post_sign_in(&server, "finance", "finance-password-1", cookie, token).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert!(
            response
                .headers()
                .get_all(SET_COOKIE)
                .iter()
                .all(|v| !v.to_str().unwrap().starts_with("onebudget_session=")),
            "no session without the token"
        );
    }
    // Sign-out without the session's token leaves the session alive.
    let session = sign_in_as(&server, "finance").await;
    let refused = client()
        .post(format!("{}/sign-out", server.base))
        .header(COOKIE, &session.cookie)
        .form(&[("csrf_token", "wrong")])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let still = client()
        .get(format!("{}/finance", server.base))
        .header(COOKIE, &session.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(still.status(), StatusCode::OK);
    // With it, the session ends: the same cookie is no longer signed in.
    let out = client()
        .post(format!("{}/sign-out", server.base))
        .header(COOKIE, &session.cookie)
        .form(&[("csrf_token", session.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::OK);
    let after = client()
        .get(format!("{}/finance", server.base))
        .header(COOKIE, &session.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), StatusCode::SEE_OTHER);
    // A form posted from another site is refused before it is read.
    let cross = client()
        .post(format!("{}/check-what-you-might-pay", server.base))
        .header("sec-fetch-site", "cross-site")
        .form(&[("nation", "england")])
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), StatusCode::FORBIDDEN);
    let other_origin = client()
        .post(format!("{}/sign-in", server.base))
        .header("origin", "https://evil.example")
        .form(&[("username", "finance")])
        .send()
        .await
        .unwrap();
    assert_eq!(other_origin.status(), StatusCode::FORBIDDEN);
    server.finish().await;
}

fn throttled(pair_failures: u32, address_failures: u32) -> onebudget_web::Settings {
    onebudget_web::Settings {
        throttle: onebudget_web::throttle::ThrottleSettings {
            pair_failures,
            address_failures,
            ..Default::default()
        },
        ..Default::default()
    }
}

/// A sign-in as `username` sent, as a trusted proxy would, for the client `address`.
async fn post_sign_in_from(
    server: &Server,
    address: &str,
    username: &str,
    password: &str,
) -> reqwest::Response {
    let (cookie, token) = sign_in_form(server).await;
    client()
        .post(format!("{}/sign-in", server.base))
        .header("x-forwarded-for", address)
        .header(COOKIE, format!("onebudget_signin={cookie}"))
        .form(&[("username", username), ("password", password), ("csrf_token", token.as_str())])
        .send()
        .await
        .expect("POST /sign-in")
}

async fn sign_in_outcomes(server: &Server, username: &str) -> Vec<(String, String)> {
    let rows = audit_rows(
        server,
        AuditFilter {
            action: Some("sign_in".into()),
            actor: Some(username.into()),
            ..AuditFilter::default()
        },
    )
    .await;
    rows.into_iter().rev().map(|r| (r.entry.outcome, r.entry.detail)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_is_throttled_after_repeated_failures() {
    let server = start_with(throttled(3, 30)).await;
    for _ in 0..3 {
        let (cookie, token) = sign_in_form(&server).await;
        let response =
            post_sign_in(&server, "finance", "wrong-password", Some(&cookie), &token).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert!(response.text().await.unwrap().contains("The user name or password is not right"));
    }
    // Now even the right password is refused, with a message saying how long to wait.
    let (cookie, token) = sign_in_form(&server).await;
    let response =
        post_sign_in(&server, "finance", "finance-password-1", Some(&cookie), &token).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((55..=60).contains(&retry_after), "the first wait is a minute: {retry_after}");
    let page = response.text().await.unwrap();
    assert!(page.contains("too many failed attempts"), "{page}");
    assert!(page.contains("Wait 1 minute, then try again"), "the page says how long is left");
    // Other users are not affected.
    sign_in_as(&server, "auditor").await;
    let outcomes = sign_in_outcomes(&server, "finance").await;
    let outcomes: Vec<&str> = outcomes.iter().map(|(outcome, _)| outcome.as_str()).collect();
    assert_eq!(
        outcomes,
        ["failure", "failure", "failure", "failure"],
        "three wrong, one throttled"
    );
    let last = sign_in_outcomes(&server, "finance").await.pop().unwrap();
    assert!(last.1.contains("throttled"), "{last:?}");
    server.finish().await;
}

/// Regression: the count of failures was read before any of a burst's failures were
/// written, so 20 guesses at once against a limit of 5 had 6 or more passwords checked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_wrong_guesses_get_exactly_the_limit_checked() {
    let server = start_with(throttled(5, 100)).await;
    let mut forms = Vec::new();
    for _ in 0..20 {
        forms.push(sign_in_form(&server).await);
    }
    let guesses = forms.into_iter().map(|(cookie, token)| {
        let url = format!("{}/sign-in", server.base);
        async move {
            client()
                .post(url)
                .header(COOKIE, format!("onebudget_signin={cookie}"))
                .form(&[
                    ("username", "admin"),
                    ("password", "not-the-password"),
                    ("csrf_token", token.as_str()),
                ])
                .send()
                .await
                .expect("POST /sign-in")
                .status()
        }
    });
    let statuses = futures_join_all(guesses).await;
    let checked = statuses.iter().filter(|s| **s == StatusCode::UNAUTHORIZED).count();
    let throttled = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
    assert_eq!((checked, throttled), (5, 15), "{statuses:?}");
    let outcomes = sign_in_outcomes(&server, "admin").await;
    let evaluated = outcomes.iter().filter(|(_, d)| d == "wrong user name or password").count();
    assert_eq!(evaluated, 5, "the audit log agrees: {outcomes:?}");
    server.finish().await;
}

/// Wait for every future, in order (the test crates have no futures crate).
async fn futures_join_all<F: std::future::Future + Send + 'static>(
    futures: impl IntoIterator<Item = F>,
) -> Vec<F::Output>
where
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::new();
    for handle in handles {
        out.push(handle.await.expect("a task"));
    }
    out
}

/// Nobody can keep the administrator out by failing to sign in as them: the wait is
/// for the attacker's address only. An address that tries many user names is held back
/// as a whole; and `X-Forwarded-For` counts only from a proxy the server was told to trust.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attacker_cannot_lock_the_administrator_out() {
    let mut settings = throttled(3, 6);
    settings.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    let server = start_with(settings).await;
    let attacker = "203.0.113.9";
    for _ in 0..3 {
        let response = post_sign_in_from(&server, attacker, "admin", "guess").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let response = post_sign_in_from(&server, attacker, "admin", "admin-password-1").await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS, "the attacker waits");
    // The administrator, at their own desk, signs in.
    let response = post_sign_in_from(&server, "198.51.100.4", "admin", "admin-password-1").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "the administrator is not locked out");
    // The attacker trying other user names is held back as a whole address.
    for username in ["finance", "auditor", "citizen"] {
        let response = post_sign_in_from(&server, attacker, username, "guess").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{username}");
    }
    let response = post_sign_in_from(&server, attacker, "practitioner", "guess").await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.text().await.unwrap().contains("from your network"));
    // The audit log has the client's address, as the trusted proxy gave it.
    let rows = audit_rows(
        &server,
        AuditFilter { action: Some("sign_in".into()), ..AuditFilter::default() },
    )
    .await;
    assert!(rows.iter().any(|r| r.entry.source == attacker));
    assert!(rows.iter().any(|r| r.entry.source == "198.51.100.4"));
    server.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forwarded_for_header_from_an_untrusted_peer_is_ignored() {
    let server = start_with(throttled(2, 30)).await;
    for address in ["203.0.113.1", "203.0.113.2"] {
        let response = post_sign_in_from(&server, address, "admin", "guess").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    // A made-up address in the header does not make a new client.
    let response = post_sign_in_from(&server, "203.0.113.3", "admin", "admin-password-1").await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let rows = audit_rows(
        &server,
        AuditFilter { action: Some("sign_in".into()), ..AuditFilter::default() },
    )
    .await;
    assert!(rows.iter().all(|r| r.entry.source == "127.0.0.1"), "the peer's address is logged");
    server.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injection_strings_are_stored_and_shown_inert() {
    let server = start().await;
    let attacks =
        ["<script>alert(1)</script>", "'; DROP TABLE people; --", "\" onmouseover=\"alert(1)"];
    for attack in attacks {
        let (cookie, token) = sign_in_form(&server).await;
        let response = post_sign_in(&server, attack, "x", Some(&cookie), &token).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let page = response.text().await.unwrap();
        // Shown back in the form, escaped: never as markup.
        if attack.contains(['<', '"']) {
            assert!(!page.contains(attack), "shown raw: {attack}");
        }
    }
    // The auditor's search shows them as text, and the tables are all still there.
    let auditor = sign_in_as(&server, "auditor").await;
    let page = client()
        .get(format!("{}/audit", server.base))
        .query(&[("action", "sign_in"), ("outcome", "failure")])
        .header(COOKIE, &auditor.cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "escaped in the audit page");
    assert!(!page.contains("<script>"), "no script element");
    assert!(!page.contains("\" onmouseover=\"alert(1)"), "attribute text escaped");
    let rows = audit_rows(
        &server,
        AuditFilter {
            action: Some("sign_in".into()),
            outcome: Some("failure".into()),
            ..AuditFilter::default()
        },
    )
    .await;
    let actors: BTreeSet<&str> = rows.iter().map(|r| r.entry.actor.as_str()).collect();
    for attack in attacks {
        assert!(actors.contains(attack), "stored as given: {attack}");
    }
    let store = server.store.clone();
    assert_eq!(
        tokio::task::spawn_blocking(move || store.people_count().unwrap()).await.unwrap(),
        2
    );
    server.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_person_data_in_urls() {
    let server = start().await;
    for role in ["citizen", "practitioner", "finance"] {
        let session = sign_in_as(&server, role).await;
        let home = client()
            .get(format!("{}/home", server.base))
            .header(COOKIE, &session.cookie)
            .send()
            .await
            .unwrap();
        let location = home.headers().get(LOCATION).unwrap().to_str().unwrap().to_owned();
        let page = client()
            .get(format!("{}{location}", server.base))
            .header(COOKIE, &session.cookie)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        for href in
            page.split("href=\"").skip(1).map(|rest| rest.split('"').next().unwrap_or_default())
        {
            for personal in
                ["Northcott", "Southgate", "Alex", "Sam", "9990000018", "9990000026", "1948"]
            {
                assert!(!href.contains(personal), "{role}: {personal} in link {href}");
            }
        }
    }
    server.finish().await;
}

// ---------------------------------------------------------------------------------------
// The audit log

/// The budget pages that change a plan, record spending on a person's behalf or pay an
/// invoice from their budget each leave exactly one audit row naming the person.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn budget_changes_write_one_audit_row_naming_the_person() {
    let server = start().await;
    let naming =
        |code: &str| AuditFilter { person_code: Some(code.to_owned()), ..Default::default() };
    for (role, path, body) in [
        ("practitioner", "/people/P000001/budget/lines/1/split", "line-1-reason=chosen"),
        ("practitioner", "/people/P000001/budget/lines/1/remove", "line-1-remove-reason=gone"),
        ("practitioner", "/people/P000001/budget/spending", "line=1&amount=10.00"),
        ("finance", "/people/P000001/budget/spending", "line=1&amount=10.00"),
        (
            "finance",
            "/budgets/invoices",
            "invoice-person=P000001&invoice-stream=ASC&invoice-provider=X&invoice-amount=1.00\
             &invoice-date=2025-06-02&invoice-number=1&invoice-key=k",
        ),
    ] {
        let session = sign_in_as(&server, role).await;
        let before = audit_rows(&server, naming(NORTH_PERSON)).await.len();
        let body = format!("csrf_token={}&{body}", session.csrf);
        let (status, _) = request(&server, "POST", path, &body, Some(&session)).await;
        assert!(let_through(status, None), "{role} {path}: {status}");
        let after = audit_rows(&server, naming(NORTH_PERSON)).await.len();
        assert_eq!(after, before + 1, "{role} {path}: one row naming the person");
    }
    server.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_access_writes_exactly_one_audit_row() {
    let server = start().await;
    let count = |rows: &[onebudget_store::AuditRecord], action: &str, outcome: &str| {
        rows.iter().filter(|r| r.entry.action == action && r.entry.outcome == outcome).count()
    };
    let practitioner = sign_in_as(&server, "practitioner").await;
    let before = audit_rows(&server, AuditFilter::default()).await;
    assert_eq!(count(&before, "sign_in", "success"), 1, "one row for the sign-in");

    // A look at a person: exactly one row, naming the person, the page and the outcome.
    let seen = client()
        .get(format!("{}/people/{NORTH_PERSON}", server.base))
        .header(COOKIE, &practitioner.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(seen.status(), StatusCode::OK);
    let after = audit_rows(&server, AuditFilter::default()).await;
    assert_eq!(after.len(), before.len() + 1);
    let row = &after[0].entry;
    assert_eq!((row.action.as_str(), row.outcome.as_str()), ("read_person", "allowed"));
    assert_eq!(row.person_code.as_deref(), Some(NORTH_PERSON));
    assert_eq!(row.actor, "practitioner");
    assert_eq!(row.role.as_deref(), Some("practitioner"));
    assert_eq!(row.target, format!("/people/{NORTH_PERSON}"));
    assert_eq!(row.source, "127.0.0.1");
    assert!(row.at.ends_with('Z'), "UTC: {}", row.at);

    // A refused look: exactly one row, with the reason.
    client()
        .get(format!("{}/people/{CITIZENS_OWN}", server.base))
        .header(COOKIE, &practitioner.cookie)
        .send()
        .await
        .unwrap();
    let refused = audit_rows(&server, AuditFilter::default()).await;
    assert_eq!(refused.len(), after.len() + 1);
    assert_eq!(refused[0].entry.outcome, "refused");
    assert!(refused[0].entry.detail.contains("caseload"), "{}", refused[0].entry.detail);

    // Reading figures with nobody in them writes nothing; a failed sign-in writes one.
    let finance = sign_in_as(&server, "finance").await;
    let baseline = audit_rows(&server, AuditFilter::default()).await.len();
    client()
        .get(format!("{}/spending", server.base))
        .header(COOKIE, &finance.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(audit_rows(&server, AuditFilter::default()).await.len(), baseline);
    let (cookie, token) = sign_in_form(&server).await;
    post_sign_in(&server, "finance", "nope", Some(&cookie), &token).await;
    let rows = audit_rows(&server, AuditFilter::default()).await;
    assert_eq!(rows.len(), baseline + 1);
    assert_eq!(
        (rows[0].entry.action.as_str(), rows[0].entry.outcome.as_str()),
        ("sign_in", "failure")
    );

    // The citizen sees who has looked at their record, and nobody else's.
    let auditor = sign_in_as(&server, "auditor").await;
    client()
        .get(format!("{}/people/{CITIZENS_OWN}", server.base))
        .header(COOKIE, &auditor.cookie)
        .send()
        .await
        .unwrap();
    let citizen = sign_in_as(&server, "citizen").await;
    let page = client()
        .get(format!("{}/my-budget/who-has-looked", server.base))
        .header(COOKIE, &citizen.cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("auditor") && page.contains("To look at your record"),
        "the auditor's look is listed"
    );
    assert!(
        page.contains("They were not allowed to, and saw nothing."),
        "the practitioner's refused attempt is listed too"
    );
    server.finish().await;
}

/// Everything the server logs while the tests in this binary run, as JSON lines.
fn captured_logs() -> &'static std::sync::Mutex<Vec<u8>> {
    use std::sync::{Mutex, OnceLock};
    static LOGS: OnceLock<&'static Mutex<Vec<u8>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buffer: &'static Mutex<Vec<u8>> = Box::leak(Box::new(Mutex::new(Vec::new())));
        struct Sink(&'static Mutex<Vec<u8>>);
        impl std::io::Write for Sink {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(bytes);
                Ok(bytes.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let subscriber = tracing_subscriber::fmt()
            .json()
            .with_max_level(tracing::Level::DEBUG)
            .with_writer(move || Sink(buffer))
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("one subscriber");
        buffer
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_person_data_or_secret_in_logs() {
    let logs = captured_logs();
    let server = start().await;
    let practitioner = sign_in_as(&server, "practitioner").await;
    for path in ["/caseload", "/people/P000001", "/people/P000002", "/api/people/P000001"] {
        client()
            .get(format!("{}{path}", server.base))
            .header(COOKIE, &practitioner.cookie)
            .send()
            .await
            .unwrap();
    }
    let (cookie, token) = sign_in_form(&server).await;
    post_sign_in(&server, "citizen", "a-wrong-password", Some(&cookie), &token).await;
    let check = client()
        .post(format!("{}/check-what-you-might-pay", server.base))
        .form(&[("nation", "england"), ("savings", "12345.67")])
        .send()
        .await
        .unwrap();
    assert!(check.status().is_client_error() || check.status().is_success());
    server.finish().await;
    let text = String::from_utf8(logs.lock().unwrap().clone()).unwrap();
    assert!(text.contains("/people/P000001"), "the request log was captured: {text}");
    for private in [
        "Northcott",
        "Southgate",
        "9990000018",
        "9990000026",
        "1948-03-14", // people
        "practitioner-password-1",
        "a-wrong-password",
        &practitioner.cookie[18..], // secrets
        &practitioner.csrf,
        "12345.67", // a session's token, what someone typed
    ] {
        assert!(!text.contains(private), "{private} is in the log");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finance_records_assessments_and_the_history_is_kept() {
    let server = start().await;
    // A published worked example (Devon, 2023/24): £110.10 a week.
    let golden: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../core/tests/golden/01-england-non-residential-devon-esa-enhanced-pip.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let case = &golden["case"];
    let url = format!("{}/api/people/{NORTH_PERSON}/financial-assessments", server.base);
    let practitioner = sign_in_as(&server, "practitioner").await;
    let refused =
        client().post(&url).header(COOKIE, &practitioner.cookie).json(case).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN, "practitioners do not record charges");

    let finance = sign_in_as(&server, "finance").await;
    for _ in 0..2 {
        let recorded =
            client().post(&url).header(COOKIE, &finance.cookie).json(case).send().await.unwrap();
        assert_eq!(recorded.status(), StatusCode::CREATED);
        let body: serde_json::Value = recorded.json().await.unwrap();
        assert_eq!(body["weekly_charge"], "110.10");
        assert_eq!(body["recorded_by"], "finance");
        assert_eq!(body["explanation"]["weekly_charge"], "110.10");
        assert!(body["explanation"]["steps"].as_array().is_some_and(|s| !s.is_empty()));
    }
    // A case that cannot be read is refused and nothing is recorded.
    let bad = client()
        .post(&url)
        .header(COOKIE, &finance.cookie)
        .json(&serde_json::json!({"nation": "england"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let missing = client()
        .post(format!("{}/api/people/P999999/financial-assessments", server.base))
        .header(COOKIE, &finance.cookie)
        .json(case)
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);

    // The practitioner of the person's team sees the history, newest first, and the page.
    let history: serde_json::Value = client()
        .get(&url)
        .header(COOKIE, &practitioner.cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids: Vec<i64> = history["assessments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 2, "the unreadable case recorded nothing");
    assert!(ids[0] > ids[1], "newest first: {ids:?}");
    let page = client()
        .get(format!("{}/people/{NORTH_PERSON}", server.base))
        .header(COOKIE, &practitioner.cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("£110.10"), "the person's page shows the recorded charge");
    // Each decision to record is in the audit log against the person.
    let rows = audit_rows(
        &server,
        AuditFilter { action: Some("record_assessment".into()), ..AuditFilter::default() },
    )
    .await;
    let allowed = rows.iter().filter(|r| r.entry.outcome == "allowed").count();
    assert_eq!(allowed, 4, "two recorded, one unreadable, one for nobody: each decided once");
    assert!(rows.iter().any(|r| r.entry.outcome == "refused" && r.entry.actor == "practitioner"));
    assert!(rows.iter().all(|r| r.entry.person_code.is_some()));
    server.finish().await;
}

/// Found in review: the ledger's lists showed people's accounts to any ledger reader
/// without an audit row; the admin page named people receiving care; a NUL byte in a path
/// could fail a PostgreSQL audit commit; API answers could be cached.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn people_stay_out_of_ledger_lists_admin_pages_and_caches() {
    let server = start().await;
    let store = server.store.clone();
    let ledger_only = tokio::task::spawn_blocking(move || {
        support::machine_client(&store, "finance", "ledger:read")
    })
    .await
    .unwrap();
    let url = |path: &str| format!("{}{path}", server.base);
    let balances =
        ledger_only.get(url("/api/balances")).send().await.unwrap().text().await.unwrap();
    assert!(balances.contains("COUNCIL-ASC") && !balances.contains("P00000"), "{balances}");
    let accounts =
        ledger_only.get(url("/api/accounts")).send().await.unwrap().text().await.unwrap();
    assert!(!accounts.contains("P00000"), "{accounts}");
    for path in ["/api/accounts/P000001-ASC", "/api/transfers/a"] {
        let status = ledger_only.get(url(path)).send().await.unwrap().status();
        assert_eq!(status, StatusCode::FORBIDDEN, "{path} is part of a person's record");
    }
    // Finance sees them, and the listing is audited.
    let finance = sign_in_as(&server, "finance").await;
    let full =
        client().get(url("/api/balances")).header(COOKIE, &finance.cookie).send().await.unwrap();
    assert_eq!(full.headers().get("cache-control").unwrap(), "no-store");
    assert!(full.text().await.unwrap().contains("P000001-ASC"));
    let listed = audit_rows(
        &server,
        AuditFilter { action: Some("list_all_people".into()), ..AuditFilter::default() },
    )
    .await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].entry.target, "/api/balances");

    // The administrator reads no records, so sees no citizen's name.
    let admin = sign_in_as(&server, "admin").await;
    let page = client().get(url("/admin")).header(COOKIE, &admin.cookie).send().await.unwrap();
    assert!(!page.text().await.unwrap().contains("Southgate"));

    // A citizen's view of their access log leaves out staff addresses and ids.
    let citizen = sign_in_as(&server, "citizen").await;
    let log = client()
        .get(url(&format!("/api/people/{CITIZENS_OWN}/access-log")))
        .header(COOKIE, &citizen.cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(log.contains("\"who\":\"citizen\"") && !log.contains("127.0.0.1"), "{log}");

    // Control characters in what a client sends are made printable before they are logged.
    let nul = client().get(url("/api/people/%00")).send().await.unwrap().status();
    assert_eq!(nul, StatusCode::UNAUTHORIZED);
    let rows = audit_rows(
        &server,
        AuditFilter { outcome: Some("refused".into()), ..AuditFilter::default() },
    )
    .await;
    assert!(rows.iter().any(|r| r.entry.target == "/api/people/\u{FFFD}"), "{rows:?}");
    server.finish().await;
}

// ---------------------------------------------------------------------------------------
// No server error on bad input

/// Every query parameter any page or API route reads. A route ignores the ones it does
/// not know; the ones it knows must be refused as bad input, never answered with a 5xx.
const QUERY_PARAMETERS: &[&str] = &[
    "from",
    "to",
    "from-day",
    "from-month",
    "from-year",
    "to-day",
    "to-month",
    "to-year",
    "on",
    "year",
    "stream",
    "done",
    "print",
    "page",
    "q",
    "actor",
    "person",
    "action",
    "outcome",
    "before",
    "after",
    "format",
    "return_to",
    "expired",
    "limit",
    "code",
    "team",
    "funding",
    "mode",
    "integrated",
    "review",
    "sort",
    "order",
    "caseload",
];

/// Values a tester types: not dates, impossible dates, UK-style dates, numbers out of
/// range, control characters, markup, and a value far longer than any field.
fn bad_values() -> Vec<String> {
    vec![
        "abc".into(),
        "2025-02-30".into(),
        "01/12/2026".into(),
        "31/02/2026".into(),
        "-1".into(),
        "99999999999999999999999".into(),
        "%00%0d%0a".into(),
        "%3Cscript%3Ealert(1)%3C%2Fscript%3E".into(),
        "9999-99-99".into(),
        "x".repeat(2_000),
    ]
}

/// The concrete path with each `{segment}` of its pattern replaced by `value`.
fn with_segments(pattern: &str, path: &str, value: &str) -> Option<String> {
    let mut changed = false;
    let parts: Vec<String> = pattern
        .split('/')
        .zip(path.split('/'))
        .map(|(p, concrete)| {
            if p.starts_with('{') {
                changed = true;
                value.to_owned()
            } else {
                concrete.to_owned()
            }
        })
        .collect();
    changed.then(|| parts.join("/"))
}

/// Every GET route, as every role and as nobody, with bad values in every query parameter
/// and in every path segment: a page answers with its form's error or a 404 page, an API
/// with a JSON error; nothing answers 5xx.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_route_answers_a_server_error_to_bad_input() {
    let server = start().await;
    let values = bad_values();
    let mut failures = Vec::new();
    let mut requests = 0_usize;
    let mut sessions = vec![None];
    for role in ALL_ROLES {
        sessions.push(Some((*role, sign_in_as(&server, role).await)));
    }
    for session in &sessions {
        let who = session.as_ref().map_or("anonymous", |(role, _)| role);
        let session = session.as_ref().map(|(_, s)| s);
        for (method, pattern, path, _, _) in MATRIX.iter().filter(|row| row.0 == "GET") {
            let mut paths = Vec::new();
            // Each bad value in every parameter at once (but the longest, which would make
            // a URL longer than any client sends), then each parameter alone.
            for value in values.iter().take(values.len() - 1) {
                let query: Vec<String> =
                    QUERY_PARAMETERS.iter().map(|p| format!("{p}={value}")).collect();
                let join = if path.contains('?') { '&' } else { '?' };
                paths.push(format!("{path}{join}{}", query.join("&")));
            }
            for parameter in QUERY_PARAMETERS {
                for value in values.iter().take(4).chain(values.last()) {
                    let join = if path.contains('?') { '&' } else { '?' };
                    paths.push(format!("{path}{join}{parameter}={value}"));
                }
            }
            for value in ["NOPE", "P999999", "..", "%2e%2e", "-1", "2024-25x", &"Z".repeat(300)] {
                paths.extend(with_segments(pattern, path, value));
            }
            for candidate in paths {
                requests += 1;
                let (status, _) = request(&server, method, &candidate, "", session).await;
                if status.is_server_error() {
                    let shown: String = candidate.chars().take(160).collect();
                    failures.push(format!("{who} GET {shown}: {status}"));
                }
            }
        }
    }
    assert!(requests > 1_000, "only {requests} requests were made");
    // The ones the issue found: a form error on the page, or a page saying it is not there.
    let finance = &sessions[3].as_ref().expect("finance").1;
    assert_eq!(sessions[3].as_ref().map(|s| s.0), Some("finance"));
    for (path, expected) in [
        ("/spending?from=abc", StatusCode::BAD_REQUEST),
        ("/spending?to=2025-02-30", StatusCode::BAD_REQUEST),
        ("/finance/accounts/NOPE", StatusCode::NOT_FOUND),
        ("/budgets/funders?year=xyz", StatusCode::BAD_REQUEST),
    ] {
        let (status, _) = request(&server, "GET", path, "", Some(finance)).await;
        assert_eq!(status, expected, "finance GET {path}");
    }
    let auditor = &sessions[6].as_ref().expect("auditor").1;
    let (status, _) = request(&server, "GET", "/audit?from=xyz", "", Some(auditor)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "auditor GET /audit?from=xyz");
    assert!(
        failures.is_empty(),
        "{} of {requests} requests answered a server error:\n{}",
        failures.len(),
        failures.join("\n")
    );
    server.finish().await;
}

/// The administrator's pages over HTTP: a user added with a password made up and shown
/// once (only its hash kept) signs in with it; a bad form is refused with the error
/// summary and keeps nothing; disabling ends the user's session and refuses their
/// sign-in, enabling lets them in again; a token is issued with `budgets:write`, shown
/// once, works, and stops working when revoked; every change is in the audit log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_administrator_manages_users_and_tokens() {
    let server = start().await;
    let admin = sign_in_as(&server, "admin").await;
    let post = |path: &str, fields: Vec<(&str, &str)>| {
        let mut form = vec![("csrf_token", admin.csrf.as_str())];
        form.extend(fields);
        client()
            .post(format!("{}{path}", server.base))
            .header(COOKIE, &admin.cookie)
            .form(&form)
            .send()
    };
    let users = || {
        let store = server.store.clone();
        async move { tokio::task::spawn_blocking(move || store.users().unwrap()).await.unwrap() }
    };
    let before = users().await.len();

    // A practitioner with no team is refused, by field, and nothing is kept.
    let page = post(
        "/admin/users",
        vec![("username", "sam"), ("name", "Sam Field"), ("role", "practitioner")],
    )
    .await
    .unwrap();
    assert_eq!(page.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let text = page.text().await.unwrap();
    assert!(text.contains("govuk-error-summary") && text.contains("href=\"#team\""), "{text}");
    assert_eq!(users().await.len(), before, "nothing of a refused form is kept");
    let page = post(
        "/admin/users",
        vec![("username", "sam"), ("name", "Sam"), ("role", "finance"), ("password", "short")],
    )
    .await
    .unwrap();
    assert_eq!(page.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.text().await.unwrap().contains("12 to 1024 characters"));

    let page = post(
        "/admin/users",
        vec![
            ("username", "sam"),
            ("name", "Sam Field"),
            ("role", "practitioner"),
            ("team", "TEAM-NORTH"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let text = page.text().await.unwrap();
    let marker = "id=\"secret\">";
    let start = text.find(marker).expect("the password shown once") + marker.len();
    let password = text[start..].split("</code>").next().unwrap().replace("<wbr>", "");
    assert!(password.len() >= 12, "{password}");
    let sam = users().await.into_iter().find(|u| u.username == "sam").expect("added");
    let hash = sam.password_hash.clone().unwrap();
    assert!(!hash.contains(&password), "only a hash is kept");
    assert!(onebudget_web::auth::verify_password(&hash, &password));
    let listing = client()
        .get(format!("{}/admin", server.base))
        .header(COOKIE, &admin.cookie)
        .send()
        .await
        .unwrap();
    let listing = listing.text().await.unwrap();
    assert!(
        listing.contains("/admin/users/sam") && !listing.contains(&password),
        "never shown again"
    );

    // Sam signs in; disabling them ends that session and refuses the next sign-in.
    let sam_session = sign_in(&server, "sam", &password).await;
    let home = |cookie: String| {
        client().get(format!("{}/caseload", server.base)).header(COOKIE, cookie).send()
    };
    assert_eq!(home(sam_session.cookie.clone()).await.unwrap().status(), StatusCode::OK);
    let done = post("/admin/users/sam/disable", vec![]).await.unwrap();
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert_ne!(
        home(sam_session.cookie.clone()).await.unwrap().status(),
        StatusCode::OK,
        "the session ends"
    );
    let (cookie, token) = sign_in_form(&server).await;
    let refused = post_sign_in(&server, "sam", &password, Some(&cookie), &token).await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED, "a disabled user cannot sign in");
    // The administrator cannot disable their own login.
    let own = post("/admin/users/admin/disable", vec![]).await.unwrap();
    assert_eq!(own.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        post("/admin/users/sam/enable", vec![]).await.unwrap().status() == StatusCode::SEE_OTHER
    );
    sign_in(&server, "sam", &password).await;

    // A new password, typed: the old one stops working.
    let reset =
        post("/admin/users/sam/password", vec![("password", "a new long password")]).await.unwrap();
    assert_eq!(reset.status(), StatusCode::OK);
    let (cookie, token) = sign_in_form(&server).await;
    let old = post_sign_in(&server, "sam", &password, Some(&cookie), &token).await;
    assert_eq!(old.status(), StatusCode::UNAUTHORIZED);
    sign_in(&server, "sam", "a new long password").await;

    // A token for a service account, with budgets:write; shown once; revoked.
    let added = post(
        "/admin/users",
        vec![
            ("username", "importer"),
            ("name", "Budget import"),
            ("role", "practitioner"),
            ("team", "TEAM-NORTH"),
            ("service", "yes"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(added.status(), StatusCode::OK);
    let page = post(
        "/admin/tokens",
        vec![
            ("token-user", "importer"),
            ("token-label", "nightly import"),
            ("token-scopes", "people:read"),
            ("token-scopes", "budgets:write"),
            ("token-days", "30"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let text = page.text().await.unwrap();
    let start = text.find(marker).expect("the token shown once") + marker.len();
    let secret = text[start..].split("</code>").next().unwrap().replace("<wbr>", "");
    assert!(secret.starts_with("ob_"), "{secret}");
    let store = server.store.clone();
    let issued = tokio::task::spawn_blocking(move || store.tokens().unwrap()).await.unwrap();
    let issued = issued.into_iter().find(|t| t.username == "importer").unwrap();
    assert_eq!(issued.scopes, "people:read,budgets:write");
    let api = |secret: String| {
        client()
            .get(format!("{}/api/people/{NORTH_PERSON}", server.base))
            .header("authorization", format!("Bearer {secret}"))
            .send()
    };
    assert_eq!(api(secret.clone()).await.unwrap().status(), StatusCode::OK);
    let revoked = post(&format!("/admin/tokens/{}/revoke", issued.id), vec![]).await.unwrap();
    assert_eq!(revoked.status(), StatusCode::OK);
    assert_eq!(api(secret).await.unwrap().status(), StatusCode::UNAUTHORIZED);
    // A token for a person's login is refused by field.
    let refused = post(
        "/admin/tokens",
        vec![
            ("token-user", "sam"),
            ("token-label", "x"),
            ("token-scopes", "people:read"),
            ("token-days", "30"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);

    for action in
        ["add_user", "disable_user", "enable_user", "reset_password", "issue_token", "revoke_token"]
    {
        let rows = audit_rows(
            &server,
            AuditFilter {
                action: Some(action.to_owned()),
                outcome: Some("success".into()),
                ..AuditFilter::default()
            },
        )
        .await;
        assert!(rows.iter().any(|r| r.entry.actor == "admin"), "{action}: {rows:?}");
    }
    server.finish().await;
}
