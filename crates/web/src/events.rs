//! `POST /api/events/import`: a CSV file of social care events (CLD), hospital spells (HES
//! APC) or deaths, imported all or nothing as `onebudget events import` does. A refused
//! file is a 422 whose `errors` list each problem's line and column.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use onebudget_core::access::Action;
use onebudget_core::evidence::EventKind;
use onebudget_store::{FileRefused, ImportOptions, ImportSummary, parse_events_csv};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{Allowed, Requirement};
use crate::error::{ApiError, ErrorDetail};
use crate::extract::QueryParams;
use crate::state::AppState;

/// Import events: finance officers (tokens with `events:write`).
#[derive(Debug)]
pub struct EventsImport;
impl Requirement for EventsImport {
    const ACTION: Action<'static> = Action::ImportEvents;
}

/// Query of an import.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// `social-care`, `hospital` or `deaths`; inferred from the header when not given.
    pub kind: Option<String>,
    /// `true` to refuse the file if any row names a person this deployment does not hold.
    pub require_linked: Option<bool>,
    /// This deployment's council code: refuse social care rows with another `LA_Code`.
    pub la_code: Option<String>,
}

/// What an import did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportResponse {
    /// `social-care`, `hospital` or `deaths`.
    pub kind: String,
    /// The import batch that holds this file (an earlier one if it was imported before).
    pub batch_id: i64,
    pub rows_in_file: u64,
    pub imported: u64,
    pub already_held: u64,
    /// Distinct people the file names.
    pub people: u64,
    /// People the file names whom this deployment holds.
    pub linked_people: u64,
    /// True when this very file was imported before and nothing was added.
    pub file_already_imported: bool,
}

impl From<ImportSummary> for ImportResponse {
    fn from(s: ImportSummary) -> ImportResponse {
        ImportResponse {
            kind: s.kind.as_str().to_owned(),
            batch_id: s.batch_id,
            rows_in_file: s.rows_in_file,
            imported: s.imported,
            already_held: s.already_held,
            people: s.people,
            linked_people: s.linked_people,
            file_already_imported: s.file_already_imported,
        }
    }
}

/// One problem with a refused file.
#[derive(Debug, Serialize, ToSchema)]
pub struct LineErrorBody {
    /// The line of the file (1 is the header).
    pub line: u64,
    /// The column's name; empty for a problem with the whole line.
    pub column: String,
    pub message: String,
}

/// A refused file: the usual error, and every problem (up to 100) by line and column.
#[derive(Debug, Serialize, ToSchema)]
pub struct FileRefusedBody {
    pub error: ErrorDetail,
    pub errors: Vec<LineErrorBody>,
    /// How many problems there were in all.
    pub total_errors: usize,
}

/// The request body, CSV text (`text/csv`, or no content type).
pub struct CsvBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for CsvBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        check_csv(request.headers())?;
        let limit = request
            .extensions()
            .get::<crate::BodyLimit>()
            .map_or(crate::BODY_LIMIT_BYTES, |crate::BodyLimit(limit)| *limit);
        let bytes = Bytes::from_request(request, state).await.map_err(|rejection| {
            let too_large = rejection.status() == StatusCode::PAYLOAD_TOO_LARGE;
            let message = if too_large {
                crate::too_large_message(limit)
            } else {
                "the request body could not be read".to_owned()
            };
            ApiError::BodyUnreadable { too_large, message }
        })?;
        Ok(CsvBody(bytes))
    }
}

fn check_csv(headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(value) = headers.get(CONTENT_TYPE) else {
        return Ok(());
    };
    let text = value.to_str().unwrap_or_default();
    let essence = text.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    if essence == "text/csv" || essence == "text/plain" {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType { content_type: text.to_owned() })
    }
}

fn refused_response(refused: &FileRefused) -> Response {
    let first = refused.errors.first().map(ToString::to_string).unwrap_or_default();
    let body = FileRefusedBody {
        error: ErrorDetail {
            code: "file_refused".into(),
            message: format!(
                "the file was refused and nothing from it was written: {} problem{}; the first: {first}",
                refused.total_errors,
                if refused.total_errors == 1 { "" } else { "s" }
            ),
            field: refused.errors.first().map(|e| e.column.clone()).filter(|c| !c.is_empty()),
        },
        errors: refused
            .errors
            .iter()
            .map(|e| LineErrorBody {
                line: e.line,
                column: e.column.clone(),
                message: e.message.clone(),
            })
            .collect(),
        total_errors: refused.total_errors,
    };
    (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response()
}

/// Import a CSV file of activity events with the specification's column names: CLD
/// (`LA_Code`, `NHS_Number`, `Event_Type`, `Event_Start_Date`, …), HES APC (`PROCODE3`,
/// `NEWNHSNO`, `ADMIDATE`, `ADMIMETH`, …) or deaths (`NHS_Number`, `Date_of_Death`). All
/// or nothing; re-importing the same rows adds nothing. NHS numbers are pseudonymised with
/// the deployment's secret and never stored.
#[utoipa::path(
    post,
    path = "/api/events/import",
    tag = "events",
    params(ImportQuery),
    request_body(content = String, content_type = "text/csv", description = "The CSV file, header first."),
    responses(
        (status = 200, description = "Imported (or already held); the counts.", body = ImportResponse),
        (status = 400, description = "The query cannot be read.", body = crate::error::ErrorBody),
        (status = 401, description = "No valid session or bearer token.", body = crate::error::ErrorBody),
        (status = 403, description = "Only finance officers (or a token with `events:write`) import events.", body = crate::error::ErrorBody),
        (status = 415, description = "The body is not `text/csv`.", body = crate::error::ErrorBody),
        (status = 422, description = "The file was refused and nothing was written: `errors` lists each problem's line and column.", body = FileRefusedBody),
        (status = 500, description = "No pseudonymisation secret is configured, or the server failed.", body = crate::error::ErrorBody),
    )
)]
pub async fn import(
    State(state): State<AppState>,
    allowed: Allowed<EventsImport>,
    QueryParams(query): QueryParams<ImportQuery>,
    CsvBody(bytes): CsvBody,
) -> Result<Response, ApiError> {
    let kind = match query.kind.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
        None => None,
        Some(text) => Some(EventKind::parse(text).ok_or_else(|| ApiError::InvalidQueryParameter {
            parameter: "kind",
            message: format!("kind {text:?} is not one onebudget imports; use social-care, hospital or deaths"),
        })?),
    };
    let options = ImportOptions {
        require_linked: query.require_linked.unwrap_or(false),
        la_code: query.la_code.filter(|c| !c.trim().is_empty()),
    };
    let audit = allowed.caller.audit_entry("import_events", "/api/events/import", "success", "");
    let outcome = state
        .run(move |store| -> Result<Result<ImportSummary, FileRefused>, ApiError> {
            let secret = store.pseudonym_secret().map_err(ApiError::Internal)?;
            let links = store.person_links(&secret)?;
            match parse_events_csv(&bytes, kind, &secret, &links, &options) {
                Err(refused) => Ok(Err(refused)),
                Ok(parsed) => {
                    Ok(Ok(store.import_events(&parsed, &links, "API request", &audit)?))
                }
            }
        })
        .await?;
    match outcome {
        Ok(summary) => Ok(Json(ImportResponse::from(summary)).into_response()),
        Err(refused) => Ok(refused_response(&refused)),
    }
}
