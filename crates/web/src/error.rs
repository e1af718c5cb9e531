//! The API's one error type. Every way a request can fail becomes an [`ApiError`], and
//! [`ApiError::parts`] is the one place that decides the HTTP status, the stable error
//! code, the message and the field at fault. Every error response has the same JSON shape,
//! [`ErrorBody`]: `{"error": {"code": "...", "message": "...", "field": "..." | null}}`.
//!
//! Status rules: 400 when the request cannot be read (not JSON, wrong JSON types, a query
//! string with unknown parameters, an unknown nation or income kind); 413 when the body is
//! too large; 415 when it is not sent as JSON; 422 when it is well formed but breaks a rule
//! of the ledger or cannot be assessed (a bad field, a date outside the years whose
//! charging rules onebudget holds, a policy figure not yet held); 404 when what it names
//! does not exist; 503 when the health check cannot reach the database; 500 for anything
//! else, logged in full with `tracing::error!` and reported with a generic message.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use onebudget_core::assessment::AssessError;
use onebudget_core::budget::BudgetError;
use onebudget_core::field::quoted;
use onebudget_core::ledger::{BatchError, FieldError, TransferError};
use onebudget_core::policy::PolicyError;
use onebudget_core::pool::PoolError;
use onebudget_store::{BudgetStoreError, OpenError, PoolStoreError, PostError, StoreError};
use serde::Serialize;
use utoipa::ToSchema;

/// The body of every error response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// A stable machine-readable code: `malformed_json`, `invalid_body`, `invalid_query`,
    /// `invalid_path`, `unsupported_media_type`, `body_too_large`, `unreadable_body` (the
    /// request cannot be read);
    /// `invalid_field`, `idempotency_key_mismatch`, `unknown_account`, `unknown_stream`,
    /// `stream_mismatch`, `overdraft`, `idempotency_conflict`, `unknown_reversal`,
    /// `reversal_mismatch`, `overflow`, `date_not_covered`, `no_rule`,
    /// `missing_policy_figure`, `pool_refused`, `budget_refused`, `file_refused` (a rule broken, a case
    /// that cannot be assessed yet, or a pool or budget operation its agreement or state
    /// does not allow);
    /// `unauthenticated` (401), `forbidden` (403);
    /// `not_found`, `method_not_allowed`;
    /// `database_unavailable`, `request_timeout` (503), `server_busy` (503, when every
    /// connection is taken), `internal_error`.
    #[schema(example = "invalid_field")]
    pub code: String,
    /// What went wrong, in words a person can act on.
    #[schema(example = "amount: the amount has more than two decimal places (got \"1.234\")")]
    pub message: String,
    /// The input field at fault, if one is: `amount`, `transfers[3].amount`, `[0].kind`,
    /// `as_of`, … Absent (null) when the error is not about one field.
    #[schema(example = "amount", required = true)]
    pub field: Option<String>,
}

/// Why a request failed. Convert into a response with [`IntoResponse`].
#[derive(Debug)]
pub enum ApiError {
    /// The body is not JSON (a syntax error or a truncated document).
    MalformedJson { message: String },
    /// The body is JSON but not of the shape the endpoint takes.
    InvalidBody { message: String, field: Option<String> },
    /// The query string has unknown or repeated parameters.
    InvalidQuery { message: String },
    /// One query parameter has a value it does not take; the message says which it takes.
    InvalidQueryParameter { parameter: &'static str, message: String },
    /// A path parameter cannot be read (e.g. not UTF-8 once percent-decoded).
    InvalidPath { message: String },
    /// The body was sent with a content type other than JSON.
    UnsupportedMediaType { content_type: String },
    /// The body is larger than the server accepts, or could not be read.
    BodyUnreadable { too_large: bool, message: String },
    /// One field of the request breaks a rule; the field name is as the client sent it.
    Field(FieldError),
    /// Record `index` of an open batch breaks a rule.
    OpenRejected { index: usize, error: FieldError },
    /// The single transfer of `POST /api/transfers` cannot be applied.
    TransferRejected(TransferError),
    /// A transfer of `POST /api/transfers/batch` cannot be applied.
    BatchRejected(BatchError),
    /// A financial assessment case cannot be assessed: its date is outside the years whose
    /// rules onebudget holds, no rule covers its setting, a figure it needs is not yet in
    /// the policy files, or a sum overflows. (A policy that cannot be read is a server
    /// fault: 500.)
    Assessment(AssessError),
    /// The `Idempotency-Key` header and the body's `idempotency_key` disagree.
    IdempotencyKeyMismatch { header: String, body: String },
    /// The account, stream or transfer named does not exist.
    NotFound { what: &'static str, code: String },
    /// A pool operation its agreement or the pool's state does not allow (a settlement
    /// before the year is closed, a second confirmation): the message says why.
    PoolRefused(String),
    /// The pool, year or agreement named does not exist; the message says which.
    PoolNotFound(String),
    /// A personal-budget operation the budget's state does not allow (no active budget
    /// on the day, no needs assessment yet, a review already decided): the message says
    /// why.
    BudgetRefused(String),
    /// The budget, review or other budget record named does not exist; the message says
    /// which.
    BudgetNotFound(String),
    /// A deferred payment agreement's statement cannot be worked out: a figure it needs is
    /// unknown, or its dates are outside those held.
    DeferredPaymentRefused { code: &'static str, field: &'static str, message: String },
    /// No route has this path.
    NoRoute { path: String },
    /// The route exists but not for this method.
    MethodNotAllowed { method: String, path: String },
    /// The request took longer than the server's request timeout.
    RequestTimeout { seconds: u64 },
    /// The health check could not reach the database.
    DatabaseUnavailable(StoreError),
    /// The database failed (or reported something is missing: then 404).
    Store(StoreError),
    /// Something else failed inside the server.
    Internal(String),
    /// No valid session or bearer token: 401 with `WWW-Authenticate: Bearer`.
    Unauthenticated,
    /// Signed in, but not allowed: 403 with the reason from `access::decide`.
    Forbidden(String),
}

/// The generic message of a 500: the details go to the log, not to the client.
const INTERNAL_MESSAGE: &str =
    "something went wrong inside onebudget; the server log has the details";

impl ApiError {
    /// The status, code, message and field of this error: the one mapping from error to
    /// response in the API.
    pub fn parts(&self) -> (StatusCode, &'static str, String, Option<String>) {
        match self {
            ApiError::MalformedJson { message } => {
                (StatusCode::BAD_REQUEST, "malformed_json", message.clone(), None)
            }
            ApiError::InvalidBody { message, field } => {
                (StatusCode::BAD_REQUEST, "invalid_body", message.clone(), field.clone())
            }
            ApiError::InvalidQuery { message } => {
                (StatusCode::BAD_REQUEST, "invalid_query", message.clone(), None)
            }
            ApiError::InvalidQueryParameter { parameter, message } => (
                StatusCode::BAD_REQUEST,
                "invalid_query",
                format!("{parameter}: {message}"),
                Some((*parameter).to_owned()),
            ),
            ApiError::InvalidPath { message } => {
                (StatusCode::BAD_REQUEST, "invalid_path", message.clone(), None)
            }
            ApiError::UnsupportedMediaType { content_type } => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                format!(
                    "send the body as JSON with `Content-Type: application/json` (got {})",
                    quoted(content_type)
                ),
                None,
            ),
            ApiError::BodyUnreadable { too_large: true, message } => {
                (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large", message.clone(), None)
            }
            ApiError::BodyUnreadable { too_large: false, message } => {
                (StatusCode::BAD_REQUEST, "unreadable_body", message.clone(), None)
            }
            ApiError::Field(error) => field_parts(error, None),
            ApiError::OpenRejected { index, error } => {
                field_parts(error, Some(format!("[{index}]")))
            }
            ApiError::TransferRejected(error) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                error.code(),
                error.to_string(),
                Some(error.field().to_owned()),
            ),
            ApiError::BatchRejected(batch) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                batch.error.code(),
                batch.to_string(),
                Some(format!("transfers[{}].{}", batch.index, batch.error.field())),
            ),
            ApiError::Assessment(error) => assessment_parts(error),
            ApiError::IdempotencyKeyMismatch { header, body } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key_mismatch",
                format!(
                    "idempotency_key: the Idempotency-Key header ({}) and the body's idempotency_key ({}) differ; send one, or the same in both",
                    quoted(header),
                    quoted(body)
                ),
                Some("idempotency_key".to_owned()),
            ),
            ApiError::NotFound { what, code } => {
                (StatusCode::NOT_FOUND, "not_found", format!("there is no {what} {}", quoted(code)), None)
            }
            ApiError::PoolRefused(message) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "pool_refused", message.clone(), None)
            }
            ApiError::PoolNotFound(message) => {
                (StatusCode::NOT_FOUND, "not_found", message.clone(), None)
            }
            ApiError::BudgetRefused(message) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "budget_refused", message.clone(), None)
            }
            ApiError::BudgetNotFound(message) => {
                (StatusCode::NOT_FOUND, "not_found", message.clone(), None)
            }
            ApiError::DeferredPaymentRefused { code, field, message } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                code,
                message.clone(),
                Some((*field).to_owned()),
            ),
            ApiError::NoRoute { path } => (
                StatusCode::NOT_FOUND,
                "not_found",
                format!(
                    "there is no such endpoint {}; GET /api/openapi.json lists them",
                    quoted(path)
                ),
                None,
            ),
            ApiError::MethodNotAllowed { method, path } => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                format!("{path} does not take {method}; GET /api/openapi.json lists the methods"),
                None,
            ),
            ApiError::RequestTimeout { seconds } => (
                StatusCode::SERVICE_UNAVAILABLE,
                "request_timeout",
                format!(
                    "the request took longer than the {seconds} s this server allows; nothing was shown, and a change either happened in full or not at all: check before sending it again"
                ),
                None,
            ),
            ApiError::DatabaseUnavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "database_unavailable",
                "the database cannot be reached; the server log has the details".to_owned(),
                None,
            ),
            ApiError::Store(StoreError::NotFound { what, code }) => {
                (StatusCode::NOT_FOUND, "not_found", format!("there is no {what} {}", quoted(code)), None)
            }
            ApiError::Unauthenticated => (
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "sign in, or send a valid bearer token in the Authorization header (Authorization: Bearer TOKEN); an administrator issues tokens with `onebudget token issue`".to_owned(),
                None,
            ),
            ApiError::Forbidden(reason) => {
                (StatusCode::FORBIDDEN, "forbidden", format!("not allowed: {reason}"), None)
            }
            ApiError::Store(_) | ApiError::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                INTERNAL_MESSAGE.to_owned(),
                None,
            ),
        }
    }

    /// The error as it is sent: the status and the JSON body.
    pub fn body(&self) -> (StatusCode, ErrorBody) {
        let (status, code, message, field) = self.parts();
        (status, ErrorBody { error: ErrorDetail { code: code.to_owned(), message, field } })
    }
}

/// A field error as a 422, its field name under `prefix` (e.g. `[2]` for the third record).
fn field_parts(
    error: &FieldError,
    prefix: Option<String>,
) -> (StatusCode, &'static str, String, Option<String>) {
    let field = match prefix {
        Some(prefix) => format!("{prefix}.{}", error.field),
        None => error.field.clone(),
    };
    let message = format!("{field}: {} (got {})", error.problem, error.quoted_value());
    (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", message, Some(field))
}

/// Why a case could not be assessed, as a status: the case's fault (422, naming the
/// field) or the server's (500, when the embedded policy cannot be read).
fn assessment_parts(error: &AssessError) -> (StatusCode, &'static str, String, Option<String>) {
    let unprocessable = |code: &'static str, field: Option<&str>| {
        (StatusCode::UNPROCESSABLE_ENTITY, code, error.to_string(), field.map(str::to_owned))
    };
    match error {
        AssessError::Policy(policy) if matches!(**policy, PolicyError::DateNotCovered { .. }) => {
            unprocessable("date_not_covered", Some("date"))
        }
        AssessError::NoRule { .. } => unprocessable("no_rule", Some("setting")),
        // The case is well formed, but a figure it needs is marked unknown in the policy
        // files: the message names it; the client cannot fix this by changing the case.
        AssessError::MissingFigure { .. } => unprocessable("missing_policy_figure", None),
        AssessError::Money(_) => unprocessable("overflow", None),
        // A fact the case must give to decide a rule, or two that contradict each other.
        AssessError::Case(field) => unprocessable("invalid_field", Some(&field.field)),
        AssessError::Policy(_) => {
            (StatusCode::INTERNAL_SERVER_ERROR, "internal_error", INTERNAL_MESSAGE.to_owned(), None)
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match &self {
            ApiError::DatabaseUnavailable(error) => {
                tracing::error!(error = %error, "health check: the database cannot be reached");
            }
            ApiError::Store(error) if !matches!(error, StoreError::NotFound { .. }) => {
                tracing::error!(error = %error, "database error");
            }
            ApiError::Internal(detail) => tracing::error!(error = %detail, "internal error"),
            ApiError::Assessment(AssessError::Policy(error))
                if !matches!(**error, PolicyError::DateNotCovered { .. }) =>
            {
                tracing::error!(error = %error, "the policy cannot be used")
            }
            _ => {}
        }
        let (status, body) = self.body();
        let mut response = (status, Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer realm=\"onebudget\""),
            );
        }
        response
    }
}

impl From<FieldError> for ApiError {
    fn from(error: FieldError) -> ApiError {
        ApiError::Field(error)
    }
}

impl From<AssessError> for ApiError {
    fn from(error: AssessError) -> ApiError {
        ApiError::Assessment(error)
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> ApiError {
        ApiError::Store(error)
    }
}

/// A refused batch, as from `POST /api/transfers/batch`: the field names the transfer.
impl From<PostError> for ApiError {
    fn from(error: PostError) -> ApiError {
        match error {
            PostError::Rejected(error) => ApiError::BatchRejected(error),
            PostError::Store(error) => ApiError::Store(error),
        }
    }
}

/// A pool operation that was not done: a bad field of the agreement or request is a 422
/// naming it; a refusal by the agreement's rules a 422 `pool_refused`; an unknown pool a
/// 404; a refused ledger post as from `POST /api/transfers/batch`; a database failure 500.
impl From<PoolStoreError> for ApiError {
    fn from(error: PoolStoreError) -> ApiError {
        match error {
            PoolStoreError::Field(error) | PoolStoreError::Pool(PoolError::Field(error)) => {
                ApiError::Field(error)
            }
            PoolStoreError::Pool(PoolError::Refused(message)) => ApiError::PoolRefused(message),
            PoolStoreError::Pool(PoolError::Money(error)) => {
                ApiError::PoolRefused(format!("the figures cannot be worked out: {error}"))
            }
            PoolStoreError::Pool(PoolError::Internal(detail)) => {
                ApiError::Internal(format!("pool: {detail}"))
            }
            PoolStoreError::NotFound(message) => ApiError::PoolNotFound(message),
            PoolStoreError::Post(error) => ApiError::from(error),
            PoolStoreError::Store(error) => ApiError::Store(error),
        }
    }
}

/// A personal-budget operation that was not done: a bad field (an answer off the scale, a
/// plan line's cost) is a 422 naming it; a refusal by the budget's state a 422
/// `budget_refused`; an unknown review or budget a 404; a refused ledger post as from
/// `POST /api/transfers/batch`; a database failure 500.
impl From<BudgetStoreError> for ApiError {
    fn from(error: BudgetStoreError) -> ApiError {
        match error {
            BudgetStoreError::Budget(BudgetError::Field(error)) => ApiError::Field(error),
            BudgetStoreError::Budget(BudgetError::Refused(message))
            | BudgetStoreError::Refused(message) => ApiError::BudgetRefused(message),
            BudgetStoreError::Budget(BudgetError::Money(error)) => {
                ApiError::BudgetRefused(format!("the figures cannot be worked out: {error}"))
            }
            BudgetStoreError::Budget(BudgetError::Internal(detail)) => {
                ApiError::Internal(format!("budget: {detail}"))
            }
            BudgetStoreError::NotFound(message) => ApiError::BudgetNotFound(message),
            BudgetStoreError::Post(error) => ApiError::from(error),
            BudgetStoreError::Store(error) => ApiError::Store(error),
        }
    }
}

impl From<OpenError> for ApiError {
    fn from(error: OpenError) -> ApiError {
        match error {
            OpenError::Rejected { index, error } => ApiError::OpenRejected { index, error },
            OpenError::Store(error) => ApiError::Store(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_errors_name_the_transfer_and_field() {
        let error = ApiError::BatchRejected(BatchError {
            index: 3,
            error: TransferError::Field(FieldError::new("amount", "1.234", "too precise")),
        });
        let (status, body) = error.body();
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body.error.code, "invalid_field");
        assert_eq!(body.error.field.as_deref(), Some("transfers[3].amount"));
        assert!(body.error.message.starts_with("transfer 4 of the batch: amount:"));
    }

    #[test]
    fn store_failures_are_generic_and_not_found_is_404() {
        let (status, body) = ApiError::Store(StoreError::Pool("secret detail".into())).body();
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!body.error.message.contains("secret"));
        let missing = StoreError::NotFound { what: "account", code: "X".into() };
        assert_eq!(ApiError::Store(missing).body().0, StatusCode::NOT_FOUND);
        let (status, body) = ApiError::DatabaseUnavailable(StoreError::Pool("down".into())).body();
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body.error.code, "database_unavailable");
    }

    #[test]
    fn budget_errors_name_the_field_or_say_why() {
        let answer = BudgetStoreError::Budget(BudgetError::Field(FieldError::new(
            "answers.mobility",
            "terrible",
            "one of independent, needs_help",
        )));
        let (status, body) = ApiError::from(answer).body();
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body.error.field.as_deref(), Some("answers.mobility"));
        let refused = BudgetStoreError::Refused("P1 has no active budget on 2024-10-01".into());
        let (status, body) = ApiError::from(refused).body();
        assert_eq!(
            (status, body.error.code.as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, "budget_refused")
        );
        let missing = BudgetStoreError::NotFound("no direct-payment review 9".into());
        assert_eq!(ApiError::from(missing).body().0, StatusCode::NOT_FOUND);
        let internal = BudgetStoreError::Budget(BudgetError::Internal("secret detail"));
        let (status, body) = ApiError::from(internal).body();
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!body.error.message.contains("secret"));
    }

    #[test]
    fn open_rejections_name_the_record() {
        let error = ApiError::from(OpenError::Rejected {
            index: 1,
            error: FieldError::new("kind", "bank", "must be one of: funding"),
        });
        let (status, body) = error.body();
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body.error.field.as_deref(), Some("[1].kind"));
    }
}
