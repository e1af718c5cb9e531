//! What the web crate's test binaries share: the real server (`onebudget_web::serve`) on
//! 127.0.0.1:0 over a fresh SQLite file, stopped gracefully at the end of each test, and
//! [`machine_client`], a service account with a bearer token for the JSON API.
//! `tests/api.rs` has its own server, which also runs on PostgreSQL.

use std::time::Duration;

use onebudget_store::Store;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A running server over its own fresh SQLite database.
pub struct Server {
    pub base: String,
    /// The database, for setting up users and reading the audit log directly.
    pub store: Store,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<anyhow::Result<()>>>,
    _dir: tempfile::TempDir,
}

impl Server {
    pub async fn start() -> Server {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let url = format!("sqlite://{}", dir.path().join("onebudget.db").display());
        Server::start_with(&url, dir, onebudget_web::Settings::default()).await
    }

    /// Start on an existing database URL (the directory is kept until the end).
    pub async fn start_with(
        url: &str,
        dir: tempfile::TempDir,
        settings: onebudget_web::Settings,
    ) -> Server {
        let url = url.to_owned();
        let store = tokio::task::spawn_blocking(move || Store::open(&url))
            .await
            .expect("open task")
            .expect("open the store");
        let listener =
            tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1:0");
        let base = format!("http://{}", listener.local_addr().expect("local address"));
        let (stop, stopped) = oneshot::channel::<()>();
        let server =
            tokio::spawn(onebudget_web::serve(store.clone(), settings, listener, async move {
                let _ = stopped.await;
            }));
        Server { base, store, stop: Some(stop), server: Some(server), _dir: dir }
    }

    /// Stop the server gracefully and check it stopped cleanly.
    pub async fn finish(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            let result = tokio::time::timeout(Duration::from_secs(30), server)
                .await
                .expect("the server stops within 30 s")
                .expect("the server task");
            result.expect("the server stops without error");
        }
    }
}

/// A service account of `role` with a bearer token carrying `scopes`, and an HTTP client
/// that sends it with every request.
pub fn machine_client(store: &Store, role: &str, scopes: &str) -> reqwest::Client {
    use std::sync::atomic::{AtomicU32, Ordering};
    static SERIAL: AtomicU32 = AtomicU32::new(0);
    let username = format!("test-system-{}", SERIAL.fetch_add(1, Ordering::Relaxed));
    let user = store
        .create_user(&onebudget_store::NewUser {
            username: &username,
            display_name: "Test system",
            role,
            kind: "service",
            password_hash: None,
            person_code: None,
            team: None,
        })
        .expect("a service account");
    let token = onebudget_web::auth::new_secret();
    store
        .create_token(
            user,
            "tests",
            "test",
            &onebudget_web::auth::secret_hash(&token),
            scopes,
            "2999-01-01T00:00:00.000000Z",
        )
        .expect("a token");
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        reqwest::header::HeaderValue::from_str(&format!("Bearer {token}")).expect("a header"),
    );
    reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .default_headers(headers)
        .build()
        .expect("an HTTP client")
}
