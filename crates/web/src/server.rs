//! The server's own accept loop, so that no client can hold the server up: every
//! connection is bounded in time and in number, and the excess is shed at once.
//!
//! `axum::serve` gives no header-read timeout, no idle timeout and no connection limit, and
//! 20,000 half-sent requests left it unable to open a file. Here each accepted connection
//! is served by hyper's HTTP/1 connection with a [`Limits::header_read_timeout`] (hyper's
//! timer runs from the moment the server waits for a request's head, so it also ends a
//! kept-alive connection that sends nothing), watched for [`Limits::idle_timeout`] (no byte
//! read or written while no request is in flight), and holding one of
//! [`Limits::max_connections`] permits. A connection accepted when every permit is taken
//! gets a `503` and is closed; it is never queued. The request timeout and the body limits
//! are layers of the router (`lib.rs`), so they apply whichever way the app is served.
//!
//! At shutdown the loop stops accepting, asks every connection to finish its request in
//! flight and close, and returns when the last has (every permit is back).
//! [`raise_open_files_limit`] lifts the process's soft limit on open files to its hard
//! limit, since each connection is a file.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::time::Instant;
use tower::ServiceExt;

/// How long and how much a client may take. Every field is a setting of `onebudget serve`
/// (see the README's Configuration).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The longest a client may take to send a request's line and headers, from when the
    /// server starts waiting for them (also between requests on a kept-alive connection).
    pub header_read_timeout: Duration,
    /// A connection with no request in flight and no byte read or written for this long is
    /// closed.
    pub idle_timeout: Duration,
    /// The longest the server works on one request, reading its body included; past it the
    /// answer is `503` with code `request_timeout`.
    pub request_timeout: Duration,
    /// Connections served at once; one more is answered `503` and closed.
    pub max_connections: usize,
    /// The largest body of the API's batch routes (`/api/transfers/batch`,
    /// `/api/ledger/open`).
    pub batch_body_bytes: usize,
    /// The largest body of every other API route.
    pub api_body_bytes: usize,
    /// The largest body of a page's form, and of anything else.
    pub form_body_bytes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(30),
            max_connections: 4096,
            batch_body_bytes: crate::BODY_LIMIT_BYTES,
            api_body_bytes: 1024 * 1024,
            form_body_bytes: 64 * 1024,
        }
    }
}

/// Raise the soft limit on open files to the hard limit (a no-op where there is no such
/// limit), and return the soft limit now in force, if the system has one.
pub fn raise_open_files_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        match rlimit::increase_nofile_limit(u64::MAX) {
            Ok(limit) => Some(limit),
            Err(error) => {
                tracing::warn!(%error, "could not raise the limit on open files");
                rlimit::getrlimit(rlimit::Resource::NOFILE).ok().map(|(soft, _)| soft)
            }
        }
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// Files the process keeps for itself beyond its connections: the database, its pool, the
/// log, the listeners.
const RESERVED_FILES: u64 = 256;

/// `limits.max_connections`, lowered if the open-files limit could not hold that many.
pub fn connections_allowed(limits: &Limits, open_files: Option<u64>) -> usize {
    match open_files {
        Some(files) => {
            let room = usize::try_from(files.saturating_sub(RESERVED_FILES)).unwrap_or(usize::MAX);
            limits.max_connections.min(room.max(1))
        }
        None => limits.max_connections,
    }
}

/// Counts kept by the accept loop, for `/metrics`.
#[derive(Debug, Default)]
pub struct ConnectionCounters {
    pub accepted: AtomicU64,
    pub shed: AtomicU64,
    pub open: AtomicU64,
    pub closed_idle: AtomicU64,
}

/// Serve `app` on `listener` until `shutdown` completes, then let the connections finish
/// and return. At most `allowed` connections are served at once (see
/// [`connections_allowed`]).
pub async fn run(
    app: Router,
    listener: TcpListener,
    limits: Limits,
    allowed: usize,
    counters: Arc<ConnectionCounters>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let permits = Arc::new(Semaphore::new(allowed));
    let (stop, stopping) = watch::channel(false);
    let limits = Arc::new(limits);
    tokio::pin!(shutdown);
    loop {
        let (stream, remote) = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(error) => {
                    // Out of files, or a connection reset before it was accepted: wait a
                    // moment rather than spin, and go on.
                    tracing::warn!(%error, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
        };
        counters.accepted.fetch_add(1, Ordering::Relaxed);
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            counters.shed.fetch_add(1, Ordering::Relaxed);
            tokio::spawn(shed(stream));
            continue;
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let limits = limits.clone();
        let stopping = stopping.clone();
        let counters = counters.clone();
        tokio::spawn(async move {
            counters.open.fetch_add(1, Ordering::Relaxed);
            serve_connection(stream, remote, app, &limits, stopping, &counters).await;
            counters.open.fetch_sub(1, Ordering::Relaxed);
            drop(permit);
        });
    }
    drop(listener);
    let _ = stop.send(true);
    // Every connection holds a permit until it has closed.
    let all = u32::try_from(allowed).unwrap_or(u32::MAX);
    let _ = permits.acquire_many(all).await;
}

/// The answer to a connection over the limit: a `503` asking the client to come back in a
/// second, then close.
async fn shed(mut stream: TcpStream) {
    let body = "{\"error\":{\"code\":\"server_busy\",\"message\":\"the server has too many connections open; try again in a second\",\"field\":null}}";
    let response = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 1\r\n\
         x-content-type-options: nosniff\r\ncontent-security-policy: {}\r\n\
         connection: close\r\ncontent-length: {}\r\n\r\n{body}",
        crate::CONTENT_SECURITY_POLICY,
        body.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        let _ = stream.write_all(response.as_bytes()).await;
        let _ = stream.shutdown().await;
    })
    .await;
}

/// What a connection has done lately: when it last read or wrote a byte (milliseconds
/// since it was accepted) and how many requests it is working on.
#[derive(Debug)]
struct Activity {
    started: Instant,
    last_io_millis: AtomicU64,
    in_flight: AtomicUsize,
}

impl Activity {
    fn touch(&self) {
        let millis = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_io_millis.store(millis, Ordering::Relaxed);
    }

    fn last_io(&self) -> Instant {
        self.started + Duration::from_millis(self.last_io_millis.load(Ordering::Relaxed))
    }
}

/// A request in flight on a connection, for as long as the value lives.
struct InFlight(Arc<Activity>);

impl InFlight {
    fn new(activity: &Arc<Activity>) -> InFlight {
        activity.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(activity.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
        self.0.touch();
    }
}

/// A TCP stream that notes the time of every read and write in its [`Activity`].
struct Watched {
    stream: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.stream).poll_read(cx, buf);
        if matches!(result, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.touch();
        }
        result
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.stream).poll_write(cx, buf);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        result
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        result
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// Serve one connection until the client closes it, it breaks a limit, or the server
/// stops.
async fn serve_connection(
    stream: TcpStream,
    remote: SocketAddr,
    app: Router,
    limits: &Limits,
    mut stopping: watch::Receiver<bool>,
    counters: &ConnectionCounters,
) {
    let activity = Arc::new(Activity {
        started: Instant::now(),
        last_io_millis: AtomicU64::new(0),
        in_flight: AtomicUsize::new(0),
    });
    let io = TokioIo::new(Watched { stream, activity: activity.clone() });
    let requests = activity.clone();
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(remote));
        let in_flight = InFlight::new(&requests);
        let app = app.clone();
        async move {
            let response = app.oneshot(request).await;
            drop(in_flight);
            response
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout);
    let connection = builder.serve_connection(io, service);
    tokio::pin!(connection);
    // Once asked to close, a connection gets one more idle period to finish what it is
    // sending, and is then dropped.
    let mut closing_since: Option<Instant> = None;
    loop {
        let deadline = match closing_since {
            Some(since) => since + limits.idle_timeout,
            None if activity.in_flight.load(Ordering::Relaxed) > 0 => {
                Instant::now() + limits.idle_timeout
            }
            None => activity.last_io() + limits.idle_timeout,
        };
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(error) = result {
                    tracing::debug!(%error, %remote, "connection ended with an error");
                }
                return;
            }
            changed = stopping.changed(), if closing_since.is_none() => {
                if changed.is_err() || *stopping.borrow() {
                    connection.as_mut().graceful_shutdown();
                    closing_since = Some(Instant::now());
                }
            }
            () = tokio::time::sleep_until(deadline) => {
                if closing_since.is_some() {
                    tracing::debug!(%remote, "dropped a connection that did not close in time");
                    return;
                }
                let idle = activity.in_flight.load(Ordering::Relaxed) == 0
                    && activity.last_io() + limits.idle_timeout <= Instant::now();
                if idle {
                    counters.closed_idle.fetch_add(1, Ordering::Relaxed);
                    connection.as_mut().graceful_shutdown();
                    closing_since = Some(Instant::now());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_fit_in_the_open_files_limit() {
        let limits = Limits { max_connections: 4096, ..Limits::default() };
        assert_eq!(connections_allowed(&limits, None), 4096);
        assert_eq!(connections_allowed(&limits, Some(1_048_576)), 4096);
        assert_eq!(connections_allowed(&limits, Some(1024)), 1024 - 256);
        assert_eq!(connections_allowed(&limits, Some(10)), 1);
    }
}
