//! The server under abuse, over real TCP against the real app: stalled and idle
//! connections are closed while `/health` still answers, connections past the limit are
//! shed with a `503`, slow requests time out, bodies over a route's limit are refused, every
//! response carries `nosniff` and a Content-Security-Policy, and `/metrics` is served only
//! on its own address.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

#[allow(dead_code)]
mod support;

use std::time::{Duration, Instant};

use onebudget_web::server::Limits;
use reqwest::StatusCode;
use support::Server;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Short limits, so that a test sees them act within seconds.
fn short_limits() -> Limits {
    Limits {
        header_read_timeout: Duration::from_secs(1),
        idle_timeout: Duration::from_secs(1),
        request_timeout: Duration::from_secs(2),
        max_connections: 24,
        ..Limits::default()
    }
}

async fn start(limits: Limits) -> Server {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = format!("sqlite://{}", dir.path().join("onebudget.db").display());
    Server::start_with(&url, dir, onebudget_web::Settings { limits, ..Default::default() }).await
}

fn address(server: &Server) -> String {
    server.base.trim_start_matches("http://").to_owned()
}

/// A connection that sends half a request's head and then nothing.
async fn stalled(server: &Server) -> TcpStream {
    let mut stream = TcpStream::connect(address(server)).await.expect("connect");
    stream.write_all(b"GET /health HTTP/1.1\r\nHost: onebudget\r\nX-Half: ").await.expect("write");
    stream
}

/// Read until the server closes the connection; what it sent, and how long that took.
async fn read_until_closed(stream: &mut TcpStream, within: Duration) -> (Vec<u8>, Duration) {
    let started = Instant::now();
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        let read = tokio::time::timeout(within.saturating_sub(started.elapsed()), async {
            stream.read(&mut buffer).await
        })
        .await
        .expect("the server closes the connection in time");
        match read {
            Ok(0) | Err(_) => return (received, started.elapsed()),
            Ok(n) => received.extend_from_slice(&buffer[..n]),
        }
    }
}

async fn health_within(server: &Server, limit: Duration) -> Duration {
    let client = reqwest::Client::new();
    let started = Instant::now();
    let response = client.get(format!("{}/health", server.base)).send().await.expect("/health");
    let elapsed = started.elapsed();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(elapsed < limit, "/health took {elapsed:?}");
    elapsed
}

/// Regression: half-sent requests were never timed out, and enough of them stopped
/// `/health` ("Too many open files").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_connections_are_closed_and_health_still_answers() {
    let server = start(short_limits()).await;
    let mut connections = Vec::new();
    for _ in 0..8 {
        connections.push(stalled(&server).await);
    }
    health_within(&server, Duration::from_secs(2)).await;
    for stream in &mut connections {
        let (_, took) = read_until_closed(stream, Duration::from_secs(10)).await;
        assert!(took < Duration::from_secs(5), "closed after {took:?}");
    }
    health_within(&server, Duration::from_secs(2)).await;
    server.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_kept_alive_connection_is_closed() {
    let server =
        start(Limits { header_read_timeout: Duration::from_secs(30), ..short_limits() }).await;
    let mut stream = TcpStream::connect(address(&server)).await.unwrap();
    stream.write_all(b"GET /health HTTP/1.1\r\nHost: onebudget\r\n\r\n").await.unwrap();
    let (received, took) = read_until_closed(&mut stream, Duration::from_secs(10)).await;
    let text = String::from_utf8_lossy(&received);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(took < Duration::from_secs(5), "closed after {took:?}, not the 30 s header timeout");
    server.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_past_the_limit_are_shed_at_once() {
    let limits = Limits {
        max_connections: 4,
        header_read_timeout: Duration::from_secs(3),
        idle_timeout: Duration::from_secs(3),
        ..short_limits()
    };
    let server = start(limits).await;
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(stalled(&server).await);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut extra = TcpStream::connect(address(&server)).await.unwrap();
    let (received, took) = read_until_closed(&mut extra, Duration::from_secs(2)).await;
    let text = String::from_utf8_lossy(&received);
    assert!(text.starts_with("HTTP/1.1 503"), "{text}");
    assert!(text.contains("server_busy") && text.contains("retry-after: 1"), "{text}");
    assert!(text.contains("x-content-type-options: nosniff"), "{text}");
    let body = text.split("\r\n\r\n").nth(1).unwrap();
    let json: serde_json::Value = serde_json::from_str(body).expect("the 503 body is JSON");
    assert_eq!(json["error"]["code"], "server_busy");
    assert!(took < Duration::from_secs(1), "shed at once, not queued: {took:?}");
    // Once the stalled connections are closed, there is room again.
    for stream in &mut held {
        read_until_closed(stream, Duration::from_secs(10)).await;
    }
    health_within(&server, Duration::from_secs(2)).await;
    server.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_whose_body_never_comes_times_out() {
    let server = start(Limits { idle_timeout: Duration::from_secs(30), ..short_limits() }).await;
    let mut stream = TcpStream::connect(address(&server)).await.unwrap();
    stream
        .write_all(
            b"POST /check-what-you-might-pay HTTP/1.1\r\nHost: onebudget\r\n\
              Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nnation=eng",
        )
        .await
        .unwrap();
    let started = Instant::now();
    let mut buffer = vec![0u8; 16 * 1024];
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buffer))
        .await
        .expect("an answer")
        .unwrap();
    let text = String::from_utf8_lossy(&buffer[..read]);
    assert!(text.starts_with("HTTP/1.1 503"), "{text}");
    assert!(text.contains("request_timeout"), "{text}");
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(1900) && took < Duration::from_secs(5), "{took:?}");
    server.finish().await;
}

/// Declare a body of `length` bytes to `path` and send only its head: the answer the
/// server gives within a second without the body, or nothing.
async fn declared_post(server: &Server, path: &str, length: usize, content_type: &str) -> String {
    let mut stream = TcpStream::connect(address(server)).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: onebudget\r\nContent-Type: {content_type}\r\nContent-Length: {length}\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut buffer = vec![0u8; 16 * 1024];
    match tokio::time::timeout(Duration::from_secs(1), stream.read(&mut buffer)).await {
        Ok(read) => String::from_utf8_lossy(&buffer[..read.unwrap()]).into_owned(),
        Err(_) => String::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_route_refuses_a_body_over_its_limit() {
    let server = start(short_limits()).await;
    // A form: 64 KiB. Past it the page cannot read the form (400); within it, the form is
    // read and its mistakes are shown (422).
    let page = reqwest::Client::new();
    let form = |bytes: usize| {
        let mut body = "nation=england&page=cost&cost_of_care=".to_owned();
        body.push_str(&"9".repeat(bytes - body.len()));
        page.post(format!("{}/check-what-you-might-pay", server.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    assert_eq!(form(60 * 1024).await.unwrap().status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(form(65 * 1024).await.unwrap().status(), StatusCode::BAD_REQUEST);
    // The API: 1 MiB, checked once the caller is known.
    let api = support::machine_client(&server.store, "finance", "ledger:read,ledger:write");
    let post = |path: &str, bytes: usize| {
        api.post(format!("{}{path}", server.base))
            .header("content-type", "application/json")
            .body(vec![b' '; bytes])
            .send()
    };
    let anonymous = declared_post(&server, "/api/transfers", 2 * 1024 * 1024, "application/json");
    assert!(anonymous.await.starts_with("HTTP/1.1 401"), "sign-in first");
    let response = post("/api/transfers", 1024 * 1024 + 1).await.unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "body_too_large");
    assert!(body["error"]["message"].as_str().unwrap().contains("1 MiB"), "{body}");
    // A batch route takes 2 MiB (and finds it is not JSON), but not 16 MiB and a byte.
    let response = post("/api/transfers/batch", 2 * 1024 * 1024).await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let response = post("/api/transfers/batch", 16 * 1024 * 1024 + 1).await.unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(response.text().await.unwrap().contains("16 MiB"));
    // A body sent in chunks, with no length, is stopped at the limit as it is read.
    let mut stream = TcpStream::connect(address(&server)).await.unwrap();
    stream
        .write_all(
            b"POST /check-what-you-might-pay HTTP/1.1\r\nHost: onebudget\r\n\
              Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n",
        )
        .await
        .unwrap();
    let chunk = format!("400\r\n{}\r\n", "a".repeat(1024));
    for _ in 0..80 {
        if stream.write_all(chunk.as_bytes()).await.is_err() {
            break;
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let (received, _) = read_until_closed(&mut stream, Duration::from_secs(10)).await;
    let text = String::from_utf8_lossy(&received);
    // The page cannot read its form (400), where without the limit it would have read
    // 80 KiB of it and answered the form's own mistakes (422).
    assert!(text.starts_with("HTTP/1.1 400"), "{text}");
    server.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_response_carries_nosniff_and_a_content_security_policy() {
    let server = start(short_limits()).await;
    let client = reqwest::Client::new();
    let paths = [
        "/health",
        "/api/openapi.json",
        "/api/accounts",
        "/api/no-such-route",
        "/no-such-page",
        "/metrics",
        "/check-what-you-might-pay",
        "/assets/site.css",
    ];
    for path in paths {
        let response = client.get(format!("{}{path}", server.base)).send().await.unwrap();
        let headers = response.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        let policy = headers["content-security-policy"].to_str().unwrap();
        assert!(policy.contains("default-src 'none'"), "{path}: {policy}");
    }
    // A page keeps its own, stricter policy (which allows the site's stylesheet).
    let page =
        client.get(format!("{}/check-what-you-might-pay", server.base)).send().await.unwrap();
    let policy = page.headers()["content-security-policy"].to_str().unwrap();
    assert!(policy.contains("style-src 'self'"), "{policy}");
    // So does a form refused as cross-site, and a method not allowed.
    let refused = client
        .post(format!("{}/check-what-you-might-pay", server.base))
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(refused.headers()["x-content-type-options"], "nosniff");
    let wrong = client.delete(format!("{}/health", server.base)).send().await.unwrap();
    assert_eq!(wrong.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(wrong.headers().contains_key("content-security-policy"));
    server.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_served_only_on_their_own_address() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("onebudget.db").display());
    let store = tokio::task::spawn_blocking(move || onebudget_store::Store::open(&url))
        .await
        .unwrap()
        .unwrap();
    let public = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let metrics = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let public_base = format!("http://{}", public.local_addr().unwrap());
    let metrics_base = format!("http://{}", metrics.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(onebudget_web::serve_with_metrics(
        store,
        onebudget_web::Settings::default(),
        public,
        Some(metrics),
        async move {
            let _ = stopped.await;
        },
    ));
    let client = reqwest::Client::new();
    let health = client.get(format!("{public_base}/health")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    let hidden = client.get(format!("{public_base}/metrics")).send().await.unwrap();
    assert_eq!(hidden.status(), StatusCode::NOT_FOUND, "not on the public address");
    let scraped = client.get(format!("{metrics_base}/metrics")).send().await.unwrap();
    assert_eq!(scraped.status(), StatusCode::OK);
    let text = scraped.text().await.unwrap();
    assert!(text.contains("onebudget_http_requests_total{class=\"2xx\"} 1"), "{text}");
    assert!(text.contains("onebudget_connections_accepted_total"), "{text}");
    let only_metrics = client.get(format!("{metrics_base}/health")).send().await.unwrap();
    assert_eq!(only_metrics.status(), StatusCode::NOT_FOUND);
    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(30), serving).await.unwrap().unwrap().unwrap();
}

/// A form refuses what the API refuses: an amount with a space in it is a mistake shown
/// against its field, not read as another number.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_refuses_an_amount_with_spaces() {
    let server = start(short_limits()).await;
    let client = reqwest::Client::new();
    for savings in ["1 000", "12 .50"] {
        let response = client
            .post(format!("{}/check-what-you-might-pay", server.base))
            .form(&[
                ("nation", "england"),
                ("setting", "care_home"),
                ("page", "savings"),
                ("savings", savings),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{savings}");
        let page = response.text().await.unwrap();
        assert!(
            page.contains("Enter your savings and investments in pounds and pence"),
            "{savings}"
        );
    }
    server.finish().await;
}
