//! onebudget-web: the HTTP face of onebudget: the JSON API with its OpenAPI document at
//! `GET /api/openapi.json`, the server-rendered pages for each role, sign-in, and the
//! audit log of every access to a person's record.
//!
//! [`routes`] lists every route once; [`router`] builds the axum application from it and
//! [`serve`] runs it until a shutdown signal, finishing requests in flight. Handlers
//! parse input into `onebudget_core` types at the edge, pass through the one access
//! decision (`auth::Caller::authorize`, which asks `onebudget_core::access::decide` and
//! writes the audit row), call the blocking store on tokio's blocking pool
//! ([`state::AppState::run`]) and answer with JSON or HTML. Every API failure is an
//! [`error::ApiError`], which alone decides the status and the error body.
//!
//! Modules: `auth` (who is calling; sessions, tokens, passwords; the authorize gate),
//! `csrf` (form tokens and the cross-site check), `state` (the store, settings, counters
//! and the group-commit audit writer), `health`, `metrics`, `ledger`, `people` (people's
//! records, spend reports, the audit log over the API), `assessment`, `openapi`, `schema`,
//! `pools` (pooled budgets: agreements, monitoring, settlement), `extract`, `error`; and
//! `pages`, the HTML (public pages, sign-in, each role's pages).

use std::future::Future;
use std::net::SocketAddr;
use std::time::Instant;

use anyhow::Context;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{Method, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use onebudget_store::Store;

pub mod assessment;
pub mod auth;
pub mod budgets;
pub mod csrf;
pub mod error;
pub mod extract;
pub mod health;
pub mod ledger;
pub mod metrics;
pub mod openapi;
pub mod pages;
pub mod people;
pub mod pools;
pub mod schema;
pub mod sessions;
pub mod state;

use error::ApiError;
use state::AppState;
pub use state::Settings;

/// The largest request body the API reads: 16 MiB, room for batches of tens of
/// thousands of transfers.
pub const BODY_LIMIT_BYTES: usize = 16 * 1024 * 1024;

/// One route: its path, the methods it answers, and their handlers. [`routes`] is the one
/// list the router is built from, and the authorization matrix test reads the same list,
/// so a route cannot be added without the test knowing.
pub struct Route {
    pub path: &'static str,
    pub methods: &'static [&'static str],
    handler: MethodRouter<AppState>,
}

fn route(
    path: &'static str,
    methods: &'static [&'static str],
    handler: MethodRouter<AppState>,
) -> Route {
    Route { path, methods, handler }
}

/// Every route of the application.
pub fn routes() -> Vec<Route> {
    use pages::budgets as budget_pages;
    use pages::pools as pool_pages;
    use pages::{check, layout, roles, session};
    vec![
        // Public: no sign-in, no person's data.
        route("/", &["GET"], get(pages::home::home)),
        route(check::PATH, &["GET", "POST"], get(check::show).post(check::submit)),
        route(layout::STYLESHEET_PATH, &["GET"], get(layout::stylesheet)),
        route("/health", &["GET"], get(health::health)),
        route("/metrics", &["GET"], get(metrics::metrics)),
        route("/api/openapi.json", &["GET"], get(openapi::openapi_json)),
        route(session::SIGN_IN_PATH, &["GET", "POST"], get(session::show).post(session::sign_in)),
        route(session::SIGN_OUT_PATH, &["POST"], post(session::sign_out)),
        // Pages for signed-in people.
        route("/home", &["GET"], get(roles::home)),
        route("/my-budget", &["GET"], get(roles::my_budget)),
        route("/my-budget/who-has-looked", &["GET"], get(roles::who_has_looked)),
        route("/caseload", &["GET"], get(roles::caseload)),
        route("/people", &["GET"], get(pages::people::search)),
        route("/people/{code}", &["GET"], get(roles::person)),
        route("/finance", &["GET"], get(roles::finance)),
        route("/finance/accounts/{code}", &["GET"], get(roles::account)),
        route("/spending", &["GET"], get(roles::spending)),
        route("/admin", &["GET"], get(roles::admin)),
        route("/auditor", &["GET"], get(pages::audit::index)),
        route("/audit", &["GET"], get(pages::audit::audit)),
        route("/audit.csv", &["GET"], get(pages::audit::audit_csv)),
        route("/pools", &["GET"], get(pool_pages::list)),
        route("/pools/{pool}/{year}", &["GET"], get(pool_pages::monitoring)),
        route("/pools/{pool}/{year}/forecasts", &["POST"], post(pool_pages::record_forecast)),
        route("/pools/{pool}/{year}/close", &["POST"], post(pool_pages::close)),
        route("/pools/{pool}/{year}/settlement", &["GET"], get(pool_pages::settlement)),
        route("/pools/{pool}/{year}/settlement/confirm", &["POST"], post(pool_pages::confirm)),
        // Integrated personal budgets: a practitioner's pages about a person, the person's
        // own pages, and finance's payments and direct-payment reviews.
        route(
            "/people/{code}/needs-assessment",
            &["GET", "POST"],
            get(budget_pages::needs_form).post(budget_pages::record_needs),
        ),
        route("/people/{code}/budget", &["GET"], get(budget_pages::budget)),
        route("/people/{code}/budget/plan", &["GET"], get(budget_pages::plan)),
        route("/people/{code}/budget/lines", &["POST"], post(budget_pages::add_line)),
        route("/people/{code}/budget/components", &["POST"], post(budget_pages::save_components)),
        route(
            "/people/{code}/budget/lines/{line}/split",
            &["POST"],
            post(budget_pages::split_line),
        ),
        route(
            "/people/{code}/budget/lines/{line}/remove",
            &["POST"],
            post(budget_pages::remove_line),
        ),
        route(
            "/people/{code}/budget/spending",
            &["GET", "POST"],
            get(budget_pages::spending_for).post(budget_pages::record_spending_for),
        ),
        route("/people/{code}/budget/review", &["GET"], get(budget_pages::review)),
        route("/people/{code}/budget/status", &["POST"], post(budget_pages::change_status)),
        route("/my-budget/budget", &["GET"], get(budget_pages::my_budget)),
        route("/my-budget/plan", &["GET"], get(budget_pages::my_plan)),
        route(
            "/my-budget/spending",
            &["GET", "POST"],
            get(budget_pages::my_spending).post(budget_pages::record_my_spending),
        ),
        route("/my-budget/statement", &["GET"], get(budget_pages::my_statement)),
        route("/my-budget/statement.csv", &["GET"], get(budget_pages::my_statement_csv)),
        route(
            "/budgets/payments",
            &["GET", "POST"],
            get(budget_pages::payments).post(budget_pages::pay),
        ),
        route("/budgets/invoices", &["POST"], post(budget_pages::pay_invoice)),
        route("/budgets/reviews", &["GET"], get(budget_pages::reviews)),
        route("/budgets/reviews/monitor", &["POST"], post(budget_pages::monitor)),
        route("/budgets/reviews/{id}/decide", &["POST"], post(budget_pages::decide_review)),
        route("/budgets/funders", &["GET"], get(pages::funders::funders)),
        // The JSON API.
        route("/api/ledger/open", &["POST"], post(ledger::open)),
        route("/api/streams", &["GET"], get(ledger::streams)),
        route("/api/accounts", &["GET"], get(ledger::accounts)),
        route("/api/accounts/{code}", &["GET"], get(ledger::account)),
        route("/api/accounts/{code}/statement", &["GET"], get(ledger::statement)),
        route("/api/transfers", &["POST"], post(ledger::post_transfer)),
        route("/api/transfers/batch", &["POST"], post(ledger::post_batch)),
        route("/api/transfers/{idempotency_key}", &["GET"], get(ledger::transfer)),
        route("/api/balances", &["GET"], get(ledger::balances)),
        route("/api/financial-assessments", &["POST"], post(assessment::assess)),
        route("/api/people/{code}", &["GET"], get(people::person)),
        route("/api/people/{code}/access-log", &["GET"], get(people::access_log)),
        route(
            "/api/people/{code}/financial-assessments",
            &["GET", "POST"],
            get(people::assessments).post(people::record_assessment),
        ),
        route("/api/reports/spend", &["GET"], get(people::spend)),
        route("/api/audit", &["GET"], get(people::audit)),
        route("/api/pools", &["GET", "POST"], get(pools::list).post(pools::record_agreement)),
        route("/api/pools/{pool}/{year}/monitoring", &["GET"], get(pools::monitoring)),
        route(
            "/api/pools/{pool}/{year}/monitoring.csv",
            &["GET"],
            get(pools::monitoring_csv_route),
        ),
        route("/api/pools/{pool}/{year}/forecasts", &["POST"], post(pools::forecast)),
        route("/api/pools/{pool}/{year}/close", &["POST"], post(pools::close)),
        route("/api/pools/{pool}/{year}/settlement", &["GET"], get(pools::settlement)),
        route("/api/pools/{pool}/{year}/settlement/confirm", &["POST"], post(pools::confirm)),
        // Personal budgets: a person's assessments, budget, plan, statement and spending;
        // finance's payments, monitoring and reviews; a funder's share.
        route(
            "/api/people/{code}/needs-assessments",
            &["GET", "POST"],
            get(budgets::needs_assessments).post(budgets::record_needs_assessment),
        ),
        route(
            "/api/people/{code}/budget",
            &["GET", "POST"],
            get(budgets::budget).post(budgets::record_budget),
        ),
        route("/api/people/{code}/plan", &["GET"], get(budgets::plan)),
        route("/api/people/{code}/statement", &["GET"], get(budgets::statement)),
        route("/api/people/{code}/statement.csv", &["GET"], get(budgets::statement_csv_route)),
        route("/api/people/{code}/spending", &["POST"], post(budgets::record_spending)),
        route("/api/people/{code}/invoices", &["POST"], post(budgets::pay_invoice)),
        route("/api/budgets/payments", &["POST"], post(budgets::pay_budgets)),
        route("/api/budgets/monitoring", &["POST"], post(budgets::monitor)),
        route("/api/budgets/reviews", &["GET"], get(budgets::reviews)),
        route("/api/budgets/reviews/{id}", &["POST"], post(budgets::decide_review)),
        route("/api/funders/{stream}/statement", &["GET"], get(budgets::funder_statement)),
    ]
}

/// The application over `store`: every route, the JSON fallbacks for unknown paths and
/// methods, the body size limit, the cross-site form check and request logging.
pub fn router(store: Store, settings: Settings) -> Router {
    let mut router = Router::new();
    for Route { path, handler, .. } in routes() {
        router = router.route(path, handler);
    }
    pages::layout::Brand::set(pages::layout::Brand {
        organisation: settings.organisation_name.clone(),
        service: pages::layout::SERVICE_TITLE.to_owned(),
    });
    let state = AppState::new(store, settings);
    router
        .fallback(no_route)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES))
        .layer(middleware::from_fn(csrf::refuse_cross_site))
        .layer(middleware::from_fn(no_store_for_api))
        .layer(middleware::from_fn(pages::status::status_pages))
        .layer(middleware::from_fn_with_state(state.clone(), log_request))
        .with_state(state)
}

/// Serve the application on `listener` until `shutdown` completes, then stop accepting
/// connections and wait for the requests in flight to finish.
pub async fn serve(
    store: Store,
    settings: Settings,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let address = listener.local_addr().context("reading the listening address")?;
    tracing::info!(%address, database = store.description(), "onebudget listening");
    axum::serve(
        listener,
        router(store, settings).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
    .with_context(|| format!("serving on {address}"))?;
    tracing::info!(%address, "onebudget stopped");
    Ok(())
}

/// API answers may hold a person's data: no browser or proxy may keep them. (Pages set
/// their own caching headers.)
async fn no_store_for_api(request: Request, next: Next) -> Response {
    let api = request.uri().path().starts_with("/api/");
    let mut response = next.run(request).await;
    if api && !response.headers().contains_key(axum::http::header::CACHE_CONTROL) {
        response.headers_mut().insert(
            axum::http::header::CACHE_CONTROL,
            axum::http::HeaderValue::from_static("no-store"),
        );
    }
    response
}

/// An unknown path: a page for a browser outside `/api/`, JSON for everything else.
async fn no_route(uri: Uri, headers: axum::http::HeaderMap) -> Response {
    let wants_html = headers
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if wants_html && !uri.path().starts_with("/api/") {
        return pages::not_found();
    }
    ApiError::NoRoute { path: uri.path().to_owned() }.into_response()
}

async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::MethodNotAllowed { method: method.to_string(), path: uri.path().to_owned() }
}

/// Log each request's method, path, status and time taken, and count it for `/metrics`.
/// The path is logged, never the query string or body (which may hold what someone typed).
async fn log_request(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16();
    state.counters.record_request(status, started.elapsed());
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    if response.status().is_server_error() {
        tracing::warn!(%method, %path, status, elapsed_ms, "request failed");
    } else {
        tracing::info!(%method, %path, status, elapsed_ms, "request");
    }
    response
}
