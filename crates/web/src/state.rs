//! The state every handler shares: the store, and [`AppState::run`], the one way a
//! handler calls it (on tokio's blocking pool, since the store's methods block).
//!
//! The store is held so that its last handle is never dropped on an async worker thread:
//! a PostgreSQL connection owns a private tokio runtime, and tokio panics when a runtime
//! is dropped inside an async context. [`StoreHandle`]'s `Drop` hands a PostgreSQL store
//! to a plain thread instead.

use std::mem::ManuallyDrop;
use std::sync::Arc;

use onebudget_store::Store;

use crate::error::ApiError;

/// What the router's handlers share. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    store: Arc<StoreHandle>,
}

struct StoreHandle(Option<Store>);

impl Drop for StoreHandle {
    fn drop(&mut self) {
        let Some(store) = self.0.take() else {
            return;
        };
        let in_async_context = tokio::runtime::Handle::try_current().is_ok();
        if store.backend_name() == "postgres" && in_async_context {
            // If the thread cannot start, the closure is dropped and with it the
            // `ManuallyDrop`, leaking the pool: better than a panic, and the OS closes it.
            let store = ManuallyDrop::new(store);
            let spawned = std::thread::Builder::new()
                .name("onebudget-store-drop".into())
                .spawn(move || drop(ManuallyDrop::into_inner(store)));
            if let Err(error) = spawned {
                tracing::warn!(error = %error, "could not start a thread to close the database pool");
            }
        }
    }
}

impl AppState {
    pub fn new(store: Store) -> AppState {
        AppState { store: Arc::new(StoreHandle(Some(store))) }
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
        let store = self
            .store
            .0
            .clone()
            .ok_or_else(|| ApiError::Internal("the store has been closed".to_owned()))?;
        match tokio::task::spawn_blocking(move || f(&store)).await {
            Ok(result) => result.map_err(ApiError::from),
            Err(error) => Err(ApiError::Internal(format!("a database task failed: {error}"))),
        }
    }
}
