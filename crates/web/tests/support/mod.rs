//! What the web crate's test binaries share: the real server (`onebudget_web::serve`) on
//! 127.0.0.1:0 over a fresh SQLite file, stopped gracefully at the end of each test.
//! `tests/api.rs` has its own, which also runs on PostgreSQL.

use std::time::Duration;

use onebudget_store::Store;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A running server over its own fresh SQLite database.
pub struct Server {
    pub base: String,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<anyhow::Result<()>>>,
    _dir: tempfile::TempDir,
}

impl Server {
    pub async fn start() -> Server {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let url = format!("sqlite://{}", dir.path().join("onebudget.db").display());
        let store = tokio::task::spawn_blocking(move || Store::open(&url))
            .await
            .expect("open task")
            .expect("open the store");
        let listener =
            tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1:0");
        let base = format!("http://{}", listener.local_addr().expect("local address"));
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(onebudget_web::serve(store, listener, async move {
            let _ = stopped.await;
        }));
        Server { base, stop: Some(stop), server: Some(server), _dir: dir }
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
