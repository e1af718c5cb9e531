//! The state every handler shares: the store, and [`AppState::run`], the one way a
//! handler calls it (on tokio's blocking pool, since the store's methods block).

use onebudget_store::Store;

use crate::error::ApiError;

/// What the router's handlers share. Cheap to clone: clones share the store's pool.
#[derive(Clone)]
pub struct AppState {
    store: Store,
}

impl AppState {
    pub fn new(store: Store) -> AppState {
        AppState { store }
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
}
