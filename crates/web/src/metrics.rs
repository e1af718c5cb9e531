//! `GET /metrics`: counters in the Prometheus text exposition format (version 0.0.4), for
//! a Prometheus server or any compatible scraper. Only counts: no person, no user name.
//! It is served only on the address given with `--metrics-listen`, never on the public one
//! (see `lib.rs`'s `serve_with_metrics`).
//!
//! The counters live in `state::Counters`; this module renders them. The format is a few
//! lines of text, so it is written here rather than pulling in a metrics registry.

use std::fmt::Write;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderValue;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;

use crate::state::{AppState, Counters, LATENCY_BUCKETS_MS};

impl Counters {
    /// Count one finished request by status class and latency bucket.
    pub fn record_request(&self, status: u16, elapsed: Duration) {
        let class = usize::from(status / 100).saturating_sub(1).min(4);
        if let Some(counter) = self.requests_by_class.get(class) {
            counter.fetch_add(1, Ordering::Relaxed);
        }
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        self.request_micros_total.fetch_add(micros, Ordering::Relaxed);
        for (bucket, limit_ms) in self.latency_buckets.iter().zip(LATENCY_BUCKETS_MS) {
            if micros <= limit_ms * 1000 {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// `GET /metrics`.
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let c = &state.counters;
    let load = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed);
    let mut out = String::new();
    let mut counter = |name: &str, help: &str, value: u64| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}");
    };
    counter("onebudget_audit_rows_total", "Audit log rows committed.", load(&c.audit_rows));
    counter(
        "onebudget_audit_commits_total",
        "Audit log commits (each holds one or more rows).",
        load(&c.audit_commits),
    );
    counter(
        "onebudget_sign_in_successes_total",
        "Successful sign-ins.",
        load(&c.sign_in_successes),
    );
    counter("onebudget_sign_in_failures_total", "Failed sign-ins.", load(&c.sign_in_failures));
    counter(
        "onebudget_sign_in_throttled_total",
        "Sign-ins refused by throttling.",
        load(&c.sign_in_throttled),
    );
    counter(
        "onebudget_access_refusals_total",
        "Requests refused by the access decision.",
        load(&c.refusals),
    );
    counter(
        "onebudget_request_timeouts_total",
        "Requests answered 503 because they took longer than the request timeout.",
        load(&c.request_timeouts),
    );
    let connections = &state.connections;
    counter(
        "onebudget_connections_accepted_total",
        "Connections accepted on the public address.",
        load(&connections.accepted),
    );
    counter(
        "onebudget_connections_shed_total",
        "Connections answered 503 and closed because every connection was taken.",
        load(&connections.shed),
    );
    counter(
        "onebudget_connections_closed_idle_total",
        "Connections closed after the idle timeout.",
        load(&connections.closed_idle),
    );
    let _ = writeln!(
        out,
        "# HELP onebudget_connections_open Connections open now.\n# TYPE onebudget_connections_open gauge\nonebudget_connections_open {}",
        load(&connections.open)
    );
    let _ = writeln!(
        out,
        "# HELP onebudget_http_requests_total HTTP requests answered, by status class."
    );
    let _ = writeln!(out, "# TYPE onebudget_http_requests_total counter");
    for (class, value) in ["1xx", "2xx", "3xx", "4xx", "5xx"].iter().zip(&c.requests_by_class) {
        let _ = writeln!(out, "onebudget_http_requests_total{{class=\"{class}\"}} {}", load(value));
    }
    let _ = writeln!(
        out,
        "# HELP onebudget_http_request_duration_seconds Time to answer HTTP requests."
    );
    let _ = writeln!(out, "# TYPE onebudget_http_request_duration_seconds histogram");
    for (bucket, limit_ms) in c.latency_buckets.iter().zip(LATENCY_BUCKETS_MS) {
        let le = limit_ms as f64 / 1000.0;
        let _ = writeln!(
            out,
            "onebudget_http_request_duration_seconds_bucket{{le=\"{le}\"}} {}",
            load(bucket)
        );
    }
    let count: u64 = c.requests_by_class.iter().map(load).sum();
    let _ = writeln!(out, "onebudget_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}");
    let _ = writeln!(
        out,
        "onebudget_http_request_duration_seconds_sum {}",
        load(&c.request_micros_total) as f64 / 1_000_000.0
    );
    let _ = writeln!(out, "onebudget_http_request_duration_seconds_count {count}");
    ([(CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"))], out)
}
