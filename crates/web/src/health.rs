//! `GET /health`: whether the server can reach its database, which database it is, and
//! the schema version this build of onebudget keeps it at.

use axum::Json;
use axum::extract::State;
use onebudget_store::SCHEMA_VERSION;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// The server is up and its database answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: String,
    /// `sqlite` or `postgres`.
    #[schema(example = "sqlite")]
    pub database: String,
    /// The database schema version this onebudget keeps the database at.
    #[schema(example = 1)]
    pub schema_version: i64,
}

/// Check that the database answers a query.
#[utoipa::path(
    get,
    path = "/health",
    security(()),
    tag = "health",
    responses(
        (status = 200, description = "The server and its database are up.", body = Health),
        (status = 503, description = "The database cannot be reached (code `database_unavailable`).", body = ErrorBody),
    )
)]
pub async fn health(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    let database = state
        .run(|store| {
            // A trivial query: counting every transfer on each probe would grow with the ledger.
            store.ping().map_err(ApiError::DatabaseUnavailable)?;
            Ok::<_, ApiError>(store.backend_name())
        })
        .await?;
    Ok(Json(Health {
        status: "ok".to_owned(),
        database: database.to_owned(),
        schema_version: SCHEMA_VERSION,
    }))
}
