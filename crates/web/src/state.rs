//! The state every handler shares: the store, the audit writer and the server's settings,
//! and [`AppState::run`], the one way a handler calls the store (on tokio's blocking
//! pool, since the store's methods block).
//!
//! The audit writer is a group commit: each request hands its audit row to one writer
//! thread and waits until the row is committed; the thread writes every row waiting at
//! that moment in one transaction. A request never goes on before its row is durable, and
//! under load one commit (one fsync) serves many requests.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;

use onebudget_store::{AuditEntry, Store};
use tokio::sync::oneshot;

use crate::error::ApiError;
use crate::sessions::SessionCache;

/// Settings of a running server.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    /// Mark cookies `Secure` (set when onebudget is served over TLS, directly or behind a
    /// proxy that terminates it).
    pub secure_cookies: bool,
    /// Sign-in throttling: by user name and client address, and by address.
    pub throttle: crate::throttle::ThrottleSettings,
    /// Timeouts, the connection limit and the body limits.
    pub limits: crate::server::Limits,
    /// Proxies whose `X-Forwarded-For` header names the client: when a request comes from
    /// one of these addresses, the client is the last address in that header that is not
    /// itself one of them. Empty (the default): the header is ignored and the client is
    /// the connection's peer.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// The organisation running the service, named in every page's header and title
    /// (e.g. "Ashby Vale Metropolitan Borough Council"); the product's name when `None`.
    pub organisation_name: Option<String>,
}

/// Counters for `GET /metrics`.
#[derive(Debug, Default)]
pub struct Counters {
    pub audit_rows: AtomicU64,
    pub audit_commits: AtomicU64,
    pub sign_in_successes: AtomicU64,
    pub sign_in_failures: AtomicU64,
    pub sign_in_throttled: AtomicU64,
    pub refusals: AtomicU64,
    pub request_timeouts: AtomicU64,
    /// Requests by status class: 1xx, 2xx, 3xx, 4xx, 5xx.
    pub requests_by_class: [AtomicU64; 5],
    pub request_micros_total: AtomicU64,
    /// Requests answered within each of [`LATENCY_BUCKETS_MS`] (cumulative).
    pub latency_buckets: [AtomicU64; 8],
}

/// The upper bounds, in milliseconds, of the request latency histogram's buckets.
pub const LATENCY_BUCKETS_MS: [u64; 8] = [1, 2, 5, 10, 20, 50, 100, 1000];

type AuditJob = (AuditEntry, oneshot::Sender<Result<(), String>>);

/// What the router's handlers share. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    store: Store,
    audit: mpsc::SyncSender<AuditJob>,
    pub settings: Arc<Settings>,
    pub counters: Arc<Counters>,
    /// Sessions looked up in the last few seconds (see `sessions.rs`).
    pub sessions: Arc<SessionCache>,
    /// Password checks run at once: argon2 (19 MiB, tens of milliseconds) never runs more
    /// than this many times at once, whatever the number of sign-in attempts.
    pub sign_in_permits: Arc<tokio::sync::Semaphore>,
    /// Failed sign-ins by user name and client address, and by address (`throttle.rs`).
    pub throttle: Arc<crate::throttle::Throttle>,
    /// The accept loop's counts, for `/metrics`.
    pub connections: Arc<crate::server::ConnectionCounters>,
    /// The personal-budget scheme (questionnaire, streams, RAS): the embedded demo
    /// scheme, or why it could not be read.
    scheme: Arc<Result<onebudget_core::budget::config::Scheme, String>>,
}

/// How many sign-in attempts are checked at once.
const SIGN_IN_PERMITS: usize = 2;

/// How many audit rows one commit takes at most.
const AUDIT_BATCH: usize = 512;

impl AppState {
    pub fn new(store: Store, settings: Settings) -> AppState {
        let counters = Arc::new(Counters::default());
        let (audit, jobs) = mpsc::sync_channel::<AuditJob>(8 * AUDIT_BATCH);
        let writer_store = store.clone();
        let writer_counters = counters.clone();
        // The thread ends when every AppState clone (every sender) is gone.
        std::thread::Builder::new()
            .name("onebudget-audit".into())
            .spawn(move || write_audit(&writer_store, &jobs, &writer_counters))
            .map_err(|e| tracing::error!(error = %e, "cannot start the audit writer"))
            .ok();
        AppState {
            store,
            audit,
            throttle: Arc::new(crate::throttle::Throttle::new(settings.throttle.clone())),
            connections: Arc::default(),
            settings: Arc::new(settings),
            counters,
            sessions: Arc::default(),
            sign_in_permits: Arc::new(tokio::sync::Semaphore::new(SIGN_IN_PERMITS)),
            scheme: Arc::new(
                onebudget_core::budget::config::Scheme::ashby_vale().map_err(|e| e.to_string()),
            ),
        }
    }

    /// The personal-budget scheme in use.
    pub fn scheme(&self) -> Result<&onebudget_core::budget::config::Scheme, String> {
        self.scheme.as_ref().as_ref().map_err(Clone::clone)
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Run `f` with the store on the blocking pool and return its result. A failure of the
    /// task itself (a panic) is an internal error.
    pub async fn run<T, E>(
        &self,
        f: impl FnOnce(&Store) -> Result<T, E> + Send + 'static,
    ) -> Result<T, ApiError>
    where
        T: Send + 'static,
        E: Send + 'static,
        ApiError: From<E>,
    {
        let store = self.store.clone();
        match tokio::task::spawn_blocking(move || f(&store)).await {
            Ok(result) => result.map_err(ApiError::from),
            Err(error) => Err(ApiError::Internal(format!("a database task failed: {error}"))),
        }
    }

    /// Record one audit row and wait until it is committed. Control characters in what a
    /// client sent (a NUL byte, which PostgreSQL refuses in text, or a line break that
    /// would forge a line in an export) are replaced with U+FFFD first.
    pub async fn audit(&self, mut entry: AuditEntry) -> Result<(), ApiError> {
        for field in [&mut entry.actor, &mut entry.target, &mut entry.detail] {
            printable(field);
        }
        if let Some(person) = entry.person_code.as_mut() {
            printable(person);
        }
        if entry.outcome == "refused" {
            self.counters.refusals.fetch_add(1, Ordering::Relaxed);
        }
        let (done, committed) = oneshot::channel();
        match self.audit.try_send((entry, done)) {
            Ok(()) => {}
            Err(mpsc::TrySendError::Full(job)) => {
                // The queue is bounded: when it is full this request waits, off the runtime.
                let sender = self.audit.clone();
                tokio::task::spawn_blocking(move || sender.send(job).map_err(|_| ()))
                    .await
                    .map_err(|e| ApiError::Internal(format!("the audit queue failed: {e}")))?
                    .map_err(|()| ApiError::Internal("the audit writer has stopped".into()))?;
            }
            Err(mpsc::TrySendError::Disconnected(_)) => {
                return Err(ApiError::Internal("the audit writer has stopped".into()));
            }
        }
        match committed.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => Err(ApiError::Internal(format!("writing the audit log: {error}"))),
            Err(_) => Err(ApiError::Internal("the audit writer has stopped".into())),
        }
    }
}

/// Replace control characters with U+FFFD.
fn printable(text: &mut String) {
    if text.chars().any(char::is_control) {
        *text = text.chars().map(|c| if c.is_control() { '\u{FFFD}' } else { c }).collect();
    }
}

/// The audit writer's loop: wait for a row, take every row waiting behind it (up to
/// [`AUDIT_BATCH`]), commit them all in one transaction on the writer's own connection,
/// and tell each request. It ends when every sender (every `AppState`) is gone.
fn write_audit(store: &Store, jobs: &mpsc::Receiver<AuditJob>, counters: &Counters) {
    let mut conn = store.audit_connection();
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        while batch.len() < AUDIT_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let (entries, waiters): (Vec<AuditEntry>, Vec<_>) = batch.into_iter().unzip();
        let result = conn.append(&entries).map_err(|e| e.to_string());
        if result.is_ok() {
            counters.audit_rows.fetch_add(entries.len() as u64, Ordering::Relaxed);
            counters.audit_commits.fetch_add(1, Ordering::Relaxed);
            for waiter in waiters {
                let _ = waiter.send(Ok(()));
            }
            continue;
        }
        // One bad row must not fail the requests it shares a commit with: write each on
        // its own, so only its own request fails.
        for (entry, waiter) in entries.into_iter().zip(waiters) {
            let one = conn.append(std::slice::from_ref(&entry)).map_err(|e| e.to_string());
            match &one {
                Ok(()) => {
                    counters.audit_rows.fetch_add(1, Ordering::Relaxed);
                    counters.audit_commits.fetch_add(1, Ordering::Relaxed);
                }
                Err(error) => tracing::error!(error = %error, "an audit row could not be written"),
            }
            let _ = waiter.send(one);
        }
    }
}
