//! onebudget-web: the HTTP face of onebudget, a JSON API over [`onebudget_store::Store`]
//! with its OpenAPI document at `GET /api/openapi.json`, and the public HTML pages.
//!
//! [`router`] builds the axum application and [`serve`] runs it on a listener until a
//! shutdown signal, finishing requests in flight. Handlers parse input into
//! `onebudget_core` types at the edge, call the blocking store on tokio's blocking pool
//! ([`state::AppState::run`]) and answer with JSON; every failure is an
//! [`error::ApiError`], which alone decides the status and the error body.
//!
//! Modules: `health` (`GET /health`), `ledger` (streams, accounts, transfers, balances,
//! statements), `assessment` (`POST /api/financial-assessments`, stateless), `openapi`
//! (the document), `schema` (OpenAPI mirrors of core and store types), `extract` (reading
//! bodies, queries and paths), `error`, `state`; and `pages`, the server-rendered HTML
//! (`GET /`, "Check what you might pay for care", the shared layout and stylesheet).

use std::future::Future;
use std::time::Instant;

use anyhow::Context;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{Method, Uri};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use onebudget_store::Store;

pub mod assessment;
pub mod error;
pub mod extract;
pub mod health;
pub mod ledger;
pub mod openapi;
pub mod pages;
pub mod schema;
pub mod state;

use error::ApiError;
use state::AppState;

/// The largest request body the API reads: 16 MiB, room for batches of tens of
/// thousands of transfers.
pub const BODY_LIMIT_BYTES: usize = 16 * 1024 * 1024;

/// The API over `store`: every route, the JSON fallbacks for unknown paths and methods,
/// the body size limit and request logging.
pub fn router(store: Store) -> Router {
    Router::new()
        .route("/", get(pages::home::home))
        .route(pages::check::PATH, get(pages::check::show).post(pages::check::submit))
        .route(pages::layout::STYLESHEET_PATH, get(pages::layout::site_css))
        .route("/health", get(health::health))
        .route("/api/openapi.json", get(openapi::openapi_json))
        .route("/api/ledger/open", post(ledger::open))
        .route("/api/streams", get(ledger::streams))
        .route("/api/accounts", get(ledger::accounts))
        .route("/api/accounts/{code}", get(ledger::account))
        .route("/api/accounts/{code}/statement", get(ledger::statement))
        .route("/api/transfers", post(ledger::post_transfer))
        .route("/api/transfers/batch", post(ledger::post_batch))
        .route("/api/transfers/{idempotency_key}", get(ledger::transfer))
        .route("/api/balances", get(ledger::balances))
        .route("/api/financial-assessments", post(assessment::assess))
        .fallback(no_route)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES))
        .layer(middleware::from_fn(log_request))
        .with_state(AppState::new(store))
}

/// Serve the API on `listener` until `shutdown` completes, then stop accepting
/// connections and wait for the requests in flight to finish.
pub async fn serve(
    store: Store,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let address = listener.local_addr().context("reading the listening address")?;
    tracing::info!(%address, database = store.description(), "onebudget API listening");
    axum::serve(listener, router(store))
        .with_graceful_shutdown(shutdown)
        .await
        .with_context(|| format!("serving the API on {address}"))?;
    tracing::info!(%address, "onebudget API stopped");
    Ok(())
}

async fn no_route(uri: Uri) -> ApiError {
    ApiError::NoRoute { path: uri.path().to_owned() }
}

async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::MethodNotAllowed { method: method.to_string(), path: uri.path().to_owned() }
}

/// Log each request's method, path, status and time taken.
async fn log_request(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16();
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    if response.status().is_server_error() {
        tracing::warn!(%method, %path, status, elapsed_ms, "request failed");
    } else {
        tracing::info!(%method, %path, status, elapsed_ms, "request");
    }
    response
}
