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
//! Modules: `server` (the accept loop: timeouts, the connection limit, the open-files
//! limit), `auth` (who is calling; sessions, tokens, passwords; the authorize gate),
//! `throttle` (sign-in throttling by user name and client address), `clock` (today in
//! Europe/London), `csrf` (form tokens and the cross-site check), `state` (the store,
//! settings, counters and the group-commit audit writer), `health`, `metrics` (served on
//! its own address), `ledger`, `people` (people's
//! records, spend reports, the audit log over the API), `assessment`, `openapi`, `schema`,
//! `pools` (pooled budgets: agreements, monitoring, settlement), `extract`, `error`; and
//! `pages`, the HTML (public pages, sign-in, each role's pages).

use std::future::Future;
use std::sync::Arc;
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
pub mod clock;
pub mod csrf;
pub mod deferred_payment;
pub mod error;
pub mod events;
pub mod extract;
pub mod health;
pub mod ledger;
pub mod measures;
pub mod metrics;
pub mod openapi;
pub mod pages;
pub mod people;
pub mod pools;
pub mod schema;
pub mod server;
pub mod sessions;
pub mod state;
pub mod throttle;

use error::ApiError;
use state::AppState;
pub use state::Settings;

/// The largest request body the API's batch routes read by default: 16 MiB, room for
/// batches of tens of thousands of transfers. (`server::Limits` holds the limits in force.)
pub const BODY_LIMIT_BYTES: usize = 16 * 1024 * 1024;

/// The Content-Security-Policy of every response that does not set its own (the pages set
/// a stricter one for HTML): nothing may be loaded, framed or run from it.
pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// How large a route's request body may be: which of `server::Limits`'s body limits applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodySize {
    /// The API's batch routes ([`server::Limits::batch_body_bytes`]).
    Batch,
    /// Any other API route ([`server::Limits::api_body_bytes`]).
    Api,
    /// Pages and their forms ([`server::Limits::form_body_bytes`]).
    Form,
}

/// One route: its path, the methods it answers, and their handlers. [`routes`] is the one
/// list the router is built from, and the authorization matrix test reads the same list,
/// so a route cannot be added without the test knowing.
pub struct Route {
    pub path: &'static str,
    pub methods: &'static [&'static str],
    pub body: BodySize,
    handler: MethodRouter<AppState>,
}

fn route(
    path: &'static str,
    methods: &'static [&'static str],
    handler: MethodRouter<AppState>,
) -> Route {
    let body = if path.starts_with("/api/") { BodySize::Api } else { BodySize::Form };
    Route { path, methods, body, handler }
}

fn batch_route(
    path: &'static str,
    methods: &'static [&'static str],
    handler: MethodRouter<AppState>,
) -> Route {
    Route { path, methods, body: BodySize::Batch, handler }
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
        route("/api/openapi.json", &["GET"], get(openapi::openapi_json)),
        route(session::SIGN_IN_PATH, &["GET", "POST"], get(session::show).post(session::sign_in)),
        route(session::SIGN_OUT_PATH, &["POST"], post(session::sign_out)),
        // Pages for signed-in people.
        route("/home", &["GET"], get(roles::home)),
        route("/my-budget", &["GET"], get(roles::my_budget)),
        route("/my-budget/who-has-looked", &["GET"], get(roles::who_has_looked)),
        route("/caseload", &["GET"], get(pages::caseload::caseload)),
        route("/people", &["GET"], get(pages::people::search)),
        route("/people/{code}", &["GET"], get(roles::person)),
        route("/people/{code}/assessments/{id}", &["GET"], get(pages::assessment::assessment)),
        route("/finance", &["GET"], get(roles::finance)),
        route("/finance/accounts/{code}", &["GET"], get(roles::account)),
        route("/spending", &["GET"], get(roles::spending)),
        route("/admin", &["GET"], get(pages::admin::index)),
        route("/admin/users", &["POST"], post(pages::admin::add_user)),
        route("/admin/users/{username}", &["GET"], get(pages::admin::user)),
        route("/admin/users/{username}/disable", &["POST"], post(pages::admin::disable)),
        route("/admin/users/{username}/enable", &["POST"], post(pages::admin::enable)),
        route("/admin/users/{username}/password", &["POST"], post(pages::admin::reset_password)),
        route("/admin/tokens", &["POST"], post(pages::admin::issue_token)),
        route("/admin/tokens/{id}/revoke", &["POST"], post(pages::admin::revoke_token)),
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
        batch_route("/api/ledger/open", &["POST"], post(ledger::open)),
        route("/api/streams", &["GET"], get(ledger::streams)),
        route("/api/accounts", &["GET"], get(ledger::accounts)),
        route("/api/accounts/{code}", &["GET"], get(ledger::account)),
        route("/api/accounts/{code}/statement", &["GET"], get(ledger::statement)),
        route("/api/transfers", &["POST"], post(ledger::post_transfer)),
        batch_route("/api/transfers/batch", &["POST"], post(ledger::post_batch)),
        route("/api/transfers/{idempotency_key}", &["GET"], get(ledger::transfer)),
        route("/api/balances", &["GET"], get(ledger::balances)),
        route("/api/financial-assessments", &["POST"], post(assessment::assess)),
        route(
            "/api/deferred-payments/statement",
            &["POST"],
            post(deferred_payment::statement_route),
        ),
        route("/api/people/{code}", &["GET"], get(people::person)),
        route("/api/people/{code}/access-log", &["GET"], get(people::access_log)),
        route(
            "/api/people/{code}/financial-assessments",
            &["GET", "POST"],
            get(people::assessments).post(people::record_assessment),
        ),
        route("/api/reports/spend", &["GET"], get(people::spend)),
        route("/api/measures", &["GET"], get(measures::list)),
        route("/api/measures/values", &["GET"], get(measures::values)),
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
        // Evidence: activity events imported from CSV (CLD, HES APC, deaths).
        batch_route("/api/events/import", &["POST"], post(events::import)),
    ]
}

/// The application over `store`: every route with its body limit, the JSON fallbacks for
/// unknown paths and methods, the request timeout, the cross-site form check, the security
/// headers and request logging. `/metrics` is not among them: [`serve_with_metrics`]
/// serves it on an address of its own.
pub fn router(store: Store, settings: Settings) -> Router {
    app(AppState::new(store, settings))
}

fn app(state: AppState) -> Router {
    let limits = state.settings.limits.clone();
    let mut router = Router::new();
    for Route { path, handler, body, .. } in routes() {
        let limit = match body {
            BodySize::Batch => limits.batch_body_bytes,
            BodySize::Api => limits.api_body_bytes,
            BodySize::Form => limits.form_body_bytes,
        };
        router = router.route(
            path,
            handler
                .layer(DefaultBodyLimit::max(limit))
                .layer(middleware::from_fn_with_state(BodyLimit(limit), note_body_limit)),
        );
    }
    pages::layout::Brand::set(pages::layout::Brand {
        organisation: state.settings.organisation_name.clone(),
        service: pages::layout::SERVICE_TITLE.to_owned(),
    });
    router
        .fallback(no_route)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(limits.form_body_bytes))
        .layer(middleware::from_fn(csrf::refuse_cross_site))
        .layer(middleware::from_fn(no_store_for_api))
        .layer(middleware::from_fn(pages::status::status_pages))
        .layer(middleware::from_fn_with_state(state.clone(), time_limit))
        .layer(middleware::from_fn_with_state(state.clone(), log_request))
        .layer(middleware::from_fn(security_headers))
        .with_state(state)
}

/// The metrics application: `GET /metrics` alone, for the address given with
/// `--metrics-listen`.
fn metrics_app(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(metrics::metrics))
        .fallback(no_route)
        .layer(DefaultBodyLimit::max(1024))
        .layer(middleware::from_fn(security_headers))
        .with_state(state)
}

/// Serve the application on `listener` until `shutdown` completes, then stop accepting
/// connections and wait for the requests in flight to finish. `/metrics` is not served.
pub async fn serve(
    store: Store,
    settings: Settings,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    serve_with_metrics(store, settings, listener, None, shutdown).await
}

/// [`serve`], and `GET /metrics` on `metrics` if given (an address apart from the public
/// one, so that only the scraper's network reaches it).
pub async fn serve_with_metrics(
    store: Store,
    settings: Settings,
    listener: tokio::net::TcpListener,
    metrics: Option<tokio::net::TcpListener>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let address = listener.local_addr().context("reading the listening address")?;
    let limits = settings.limits.clone();
    let state = AppState::new(store, settings);
    let open_files = server::raise_open_files_limit();
    let allowed = server::connections_allowed(&limits, open_files);
    tracing::info!(
        %address,
        database = state.store().description(),
        header_read_timeout_seconds = limits.header_read_timeout.as_secs_f64(),
        idle_timeout_seconds = limits.idle_timeout.as_secs_f64(),
        request_timeout_seconds = limits.request_timeout.as_secs_f64(),
        max_connections = allowed,
        open_files_limit = open_files,
        "onebudget listening"
    );
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let metrics_task = match metrics {
        Some(listener) => {
            let metrics_address =
                listener.local_addr().context("reading the metrics listening address")?;
            tracing::info!(address = %metrics_address, "serving /metrics");
            let mut stopped = stopped.clone();
            Some(tokio::spawn(server::run(
                metrics_app(state.clone()),
                listener,
                limits.clone(),
                METRICS_CONNECTIONS,
                Arc::default(),
                async move {
                    let _ = stopped.wait_for(|stop| *stop).await;
                },
            )))
        }
        None => None,
    };
    let connections = state.connections.clone();
    server::run(app(state), listener, limits, allowed, connections, shutdown).await;
    let _ = stop.send(true);
    drop(stopped);
    if let Some(task) = metrics_task {
        task.await.with_context(|| format!("serving /metrics beside {address}"))?;
    }
    tracing::info!(%address, "onebudget stopped");
    Ok(())
}

/// Connections the metrics address serves at once (a scraper needs one or two).
const METRICS_CONNECTIONS: usize = 16;

/// The body limit of one route, noted in the request by [`note_body_limit`] for the
/// extractors' messages.
#[derive(Clone, Copy, Debug)]
pub struct BodyLimit(pub usize);

/// Note the route's body limit in the request. The limit itself is axum's
/// `DefaultBodyLimit` on the route: a body is refused when a handler reads it, after the
/// caller's sign-in is checked, from its declared length at once or as it arrives. (A
/// refusal sent before the handler runs reached clients as a reset connection, since they
/// were still sending the body when it came.) A body a handler does not read is never
/// read.
async fn note_body_limit(
    State(BodyLimit(limit)): State<BodyLimit>,
    mut request: Request,
    next: Next,
) -> Response {
    request.extensions_mut().insert(BodyLimit(limit));
    next.run(request).await
}

/// What a client is told when its body is over `limit` bytes.
pub fn too_large_message(limit: usize) -> String {
    let size = if limit >= 1024 * 1024 && limit.is_multiple_of(1024 * 1024) {
        format!("{} MiB", limit / (1024 * 1024))
    } else if limit >= 1024 && limit.is_multiple_of(1024) {
        format!("{} KiB", limit / 1024)
    } else {
        format!("{limit} bytes")
    };
    format!("the body is larger than the {size} this route accepts; send less at once")
}

/// Answer `503` (`request_timeout`) when a request takes longer than the limit, reading
/// its body included. What the handler had started in the database finishes or rolls back
/// on its own (every change is one transaction); nothing of it is shown.
async fn time_limit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let limit = state.settings.limits.request_timeout;
    let path = request.uri().path().to_owned();
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            state.counters.request_timeouts.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            tracing::warn!(%path, limit_seconds = limit.as_secs_f64(), "request timed out");
            ApiError::RequestTimeout { seconds: limit.as_secs() }.into_response()
        }
    }
}

/// `X-Content-Type-Options: nosniff` on every response, and a Content-Security-Policy on
/// every response that has none of its own (pages set a stricter one).
async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        axum::http::header::X_CONTENT_TYPE_OPTIONS,
        axum::http::HeaderValue::from_static("nosniff"),
    );
    if !headers.contains_key(axum::http::header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            axum::http::header::CONTENT_SECURITY_POLICY,
            axum::http::HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        );
    }
    response
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
