//! Pooled and aligned budgets over the JSON API: the list of pools, recording an
//! agreement (or a variation), the monitoring report (as JSON and as CSV), forecasts,
//! closing months, the year-end settlement and each partner's confirmation of it.
//!
//! The rules are `onebudget_core::pool`'s and the queries `onebudget_store`'s
//! (`Store::record_agreement`, `pool_monitoring`, `pool_settlement`,
//! `confirm_pool_settlement`, …); this module parses requests into their arguments and
//! passes every request through `Caller::authorize` first: reading needs
//! `Action::ReadPools`, changing `Action::ManagePools`, and confirming a settlement
//! `Action::ConfirmSettlement` for the caller's own organisation. A failure of the store
//! becomes an HTTP status in `error.rs`, like every other. The pages over the same
//! operations are in `pages::pools`, which shares the parsing here.

use axum::Json;
use axum::extract::State;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE, LOCATION};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use onebudget_core::Money;
use onebudget_core::access::Action;
use onebudget_core::field::FieldError;
use onebudget_core::pool::monitoring::{ForecastMethod, MonitoringReport};
use onebudget_core::pool::{AgreementInput, FinancialYear};
use onebudget_store::{AgreementVersion, PoolSummary, PostedTransfer, SettlementView};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{Allowed, Caller, Requirement};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{JsonBody, PathParams, QueryParams};
use crate::state::AppState;

/// Read pools: finance, commissioners and auditors (tokens with `reports`).
#[derive(Debug)]
pub struct PoolsRead;
impl Requirement for PoolsRead {
    const ACTION: Action<'static> = Action::ReadPools;
}

/// Change pools: finance (tokens with `ledger:write`).
#[derive(Debug)]
pub struct PoolsManage;
impl Requirement for PoolsManage {
    const ACTION: Action<'static> = Action::ManagePools;
}

/// The financial year of a path, `2025` (or `2025/26` where it can be written).
pub fn parse_year(text: &str) -> Result<FinancialYear, ApiError> {
    Ok(FinancialYear::parse("year", text)?)
}

/// An amount of pounds typed into `field`; empty is `None`.
pub fn parse_amount(field: &str, text: Option<&str>) -> Result<Option<Money>, FieldError> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(text) => {
            Money::parse(text).map(Some).map_err(|e| FieldError::new(field, text, e.problem))
        }
    }
}

/// A forecast for one scheme, as sent (`POST /api/pools/{pool}/{year}/forecasts`, and the
/// finance officer's form on the monitoring page).
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForecastRequest {
    /// The scheme's code.
    #[schema(example = "REABLEMENT")]
    pub scheme: String,
    /// `profile`, `run_rate` or `entered`.
    #[schema(example = "entered")]
    pub method: String,
    /// For `entered`: the outturn expected, pounds as a string.
    #[serde(default)]
    #[schema(example = "720000.00")]
    pub amount: Option<String>,
    /// Orders placed but not yet paid, pounds as a string (default 0).
    #[serde(default)]
    pub commitments: Option<String>,
    /// Why; needed for an entered forecast.
    #[serde(default)]
    pub reason: String,
}

/// A forecast once its fields are read.
pub struct Forecast {
    pub scheme: String,
    pub method: ForecastMethod,
    pub amount: Option<Money>,
    pub commitments: Money,
    pub reason: String,
}

impl ForecastRequest {
    pub fn parse(&self) -> Result<Forecast, FieldError> {
        Ok(Forecast {
            scheme: self.scheme.trim().to_owned(),
            method: ForecastMethod::parse("method", &self.method)?,
            amount: parse_amount("amount", self.amount.as_deref())?,
            commitments: parse_amount("commitments", self.commitments.as_deref())?
                .unwrap_or(Money::ZERO),
            reason: self.reason.clone(),
        })
    }
}

/// Record a forecast, then give the monitoring report it changes.
pub async fn record_forecast(
    state: &AppState,
    pool: String,
    year: FinancialYear,
    forecast: Forecast,
    by: String,
) -> Result<MonitoringReport, ApiError> {
    state
        .run(move |store| {
            store.record_pool_forecast(
                &pool,
                year,
                &forecast.scheme,
                forecast.method,
                forecast.amount,
                forecast.commitments,
                &forecast.reason,
                &by,
            )?;
            store.pool_monitoring(&pool, year, None)
        })
        .await
}

/// Close months through a month written `YYYY-MM`; the month closed through.
pub async fn close_months(
    state: &AppState,
    pool: String,
    year: FinancialYear,
    through: &str,
    by: String,
) -> Result<String, ApiError> {
    let month = year.parse_month("through", through)?;
    let closed = state.run(move |store| store.close_pool_months(&pool, year, month, &by)).await?;
    Ok(year.month_label(closed))
}

/// Every pool.
#[derive(Debug, Serialize, ToSchema)]
pub struct PoolsResponse {
    #[schema(value_type = Vec<crate::schema::PoolSummary>)]
    pub pools: Vec<PoolSummary>,
}

/// Every pool, with its latest year's latest version.
#[utoipa::path(
    get,
    path = "/api/pools",
    tag = "pools",
    responses(
        (status = 200, description = "Every pool.", body = PoolsResponse),
        (status = 401, description = "No valid session or bearer token.", body = ErrorBody),
        (status = 403, description = "Only finance, commissioners and auditors (or a token with `reports`) read pools.", body = ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    _allowed: Allowed<PoolsRead>,
) -> Result<Json<PoolsResponse>, ApiError> {
    let pools = state.run(|store| store.pools()).await?;
    Ok(Json(PoolsResponse { pools }))
}

/// Record a pool's agreement for a year (version 1, from 1 April), or a variation (the
/// next version, from its `effective_from`). Everything it names must be open in the
/// ledger; nothing is recorded unless all of it is sound.
#[utoipa::path(
    post,
    path = "/api/pools",
    tag = "pools",
    request_body(content = crate::schema::AgreementInput, content_type = "application/json"),
    responses(
        (status = 201, description = "Recorded; the body is the version.", body = crate::schema::AgreementVersion),
        (status = 400, description = "The body is not an agreement.", body = ErrorBody),
        (status = 401, description = "No valid session or bearer token.", body = ErrorBody),
        (status = 403, description = "Only finance officers (or a token with `ledger:write`) record agreements.", body = ErrorBody),
        (status = 422, description = "The agreement breaks a rule; `field` names it, e.g. `schemes[1].funding` for a split that does not sum to 1. Nothing was recorded.", body = ErrorBody),
    )
)]
pub async fn record_agreement(
    State(state): State<AppState>,
    allowed: Allowed<PoolsManage>,
    JsonBody(input): JsonBody<AgreementInput>,
) -> Result<Response, ApiError> {
    let by = allowed.principal.username.clone();
    let version = state.run(move |store| store.record_agreement(&input, &by)).await?;
    let location = format!("/api/pools/{}/{}/monitoring", version.pool, version.year);
    let mut response = (StatusCode::CREATED, Json::<AgreementVersion>(version)).into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(LOCATION, value);
    }
    Ok(response)
}

/// Query of the monitoring report.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MonitoringQuery {
    /// The last month to include, `YYYY-MM` (default: the last closed month, or April).
    pub through: Option<String>,
}

impl MonitoringQuery {
    /// The month to report through, if one was asked for.
    pub fn month(&self, year: FinancialYear) -> Result<Option<usize>, ApiError> {
        match self.through.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            None => Ok(None),
            Some(text) => Ok(Some(year.parse_month("through", text)?)),
        }
    }
}

/// The monitoring report of a pool's year, through a month.
pub async fn monitoring_report(
    state: &AppState,
    pool: String,
    year: FinancialYear,
    through: Option<usize>,
) -> Result<MonitoringReport, ApiError> {
    state.run(move |store| store.pool_monitoring(&pool, year, through)).await
}

/// The board's monitoring report: budget, actual, commitments, forecast and variance by
/// month, scheme and partner, with how each forecast was made.
#[utoipa::path(
    get,
    path = "/api/pools/{pool}/{year}/monitoring",
    tag = "pools",
    params(
        ("pool" = String, Path, description = "The pool's code, e.g. `BCF`."),
        ("year" = String, Path, description = "The financial year by the year it starts in, e.g. `2025`."),
        MonitoringQuery,
    ),
    responses(
        (status = 200, description = "The report.", content_type = "application/json", body = Object),
        (status = 401, description = "No valid session or bearer token.", body = ErrorBody),
        (status = 403, description = "The caller may not read pools.", body = ErrorBody),
        (status = 404, description = "No agreement for this pool and year.", body = ErrorBody),
        (status = 422, description = "The year or month cannot be read.", body = ErrorBody),
    )
)]
pub async fn monitoring(
    State(state): State<AppState>,
    _allowed: Allowed<PoolsRead>,
    PathParams((pool, year)): PathParams<(String, String)>,
    QueryParams(query): QueryParams<MonitoringQuery>,
) -> Result<Json<MonitoringReport>, ApiError> {
    let year = parse_year(&year)?;
    let through = query.month(year)?;
    Ok(Json(monitoring_report(&state, pool, year, through).await?))
}

/// A cell a spreadsheet shows as text and never runs as a formula: text starting with
/// `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'` (OWASP's advice on
/// CSV injection). The one rule for every CSV onebudget writes (the audit export too).
pub fn inert(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

/// The report as CSV: a row per scheme and month, then a summary row per scheme.
pub fn monitoring_csv(report: &MonitoringReport) -> String {
    let mut out =
        csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    let header = [
        "row",
        "scheme",
        "month",
        "budget",
        "actual",
        "commitments",
        "forecast",
        "method",
        "variance",
        "method_explained",
    ];
    let _ = out.write_record(header);
    for scheme in &report.schemes {
        for month in &scheme.months {
            let _ = out.write_record([
                "month".to_owned(),
                inert(&scheme.code).into_owned(),
                month.month.clone(),
                month.budget.to_plain_string(),
                month.actual.to_plain_string(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
            ]);
        }
    }
    for scheme in &report.schemes {
        let _ = out.write_record([
            "summary".to_owned(),
            inert(&scheme.code).into_owned(),
            report.as_at.clone(),
            scheme.budget.to_plain_string(),
            scheme.actual_to_date.to_plain_string(),
            scheme.commitments.to_plain_string(),
            scheme.forecast.to_plain_string(),
            scheme.method.as_str().to_owned(),
            scheme.variance.to_plain_string(),
            inert(&scheme.method_explained).into_owned(),
        ]);
    }
    // Writing to memory cannot fail; an unreadable buffer would be a bug.
    String::from_utf8(out.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// The monitoring report as CSV, for a spreadsheet: one row per scheme and month
/// (`row` = `month`: budget and actual), then one per scheme (`row` = `summary`: budget,
/// actual to date, commitments, forecast, method and variance).
#[utoipa::path(
    get,
    path = "/api/pools/{pool}/{year}/monitoring.csv",
    tag = "pools",
    params(
        ("pool" = String, Path, description = "The pool's code."),
        ("year" = String, Path, description = "The financial year, e.g. `2025`."),
        MonitoringQuery,
    ),
    responses(
        (status = 200, description = "The report as CSV.", content_type = "text/csv", body = String),
        (status = 401, description = "No valid session or bearer token.", body = ErrorBody),
        (status = 403, description = "The caller may not read pools.", body = ErrorBody),
        (status = 404, description = "No agreement for this pool and year.", body = ErrorBody),
    )
)]
pub async fn monitoring_csv_route(
    State(state): State<AppState>,
    _allowed: Allowed<PoolsRead>,
    PathParams((pool, year)): PathParams<(String, String)>,
    QueryParams(query): QueryParams<MonitoringQuery>,
) -> Result<Response, ApiError> {
    let year = parse_year(&year)?;
    let through = query.month(year)?;
    let report = monitoring_report(&state, pool, year, through).await?;
    let name = format!(
        "attachment; filename=\"{}-{}-monitoring-{}.csv\"",
        report.pool.replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "_"),
        year.start_year(),
        report.as_at
    );
    let disposition = HeaderValue::from_str(&name)
        .unwrap_or_else(|_| HeaderValue::from_static("attachment; filename=\"monitoring.csv\""));
    Ok((
        [
            (CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8")),
            (CONTENT_DISPOSITION, disposition),
        ],
        monitoring_csv(&report),
    )
        .into_response())
}

/// Record how one scheme's outturn is forecast, and its commitments. The latest choice
/// for a scheme is the one the report uses.
#[utoipa::path(
    post,
    path = "/api/pools/{pool}/{year}/forecasts",
    tag = "pools",
    params(
        ("pool" = String, Path, description = "The pool's code."),
        ("year" = String, Path, description = "The financial year, e.g. `2025`."),
    ),
    request_body(content = ForecastRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Recorded; the body is the monitoring report with it.", content_type = "application/json", body = Object),
        (status = 401, description = "No valid session or bearer token.", body = ErrorBody),
        (status = 403, description = "Only finance officers (or a token with `ledger:write`) record forecasts.", body = ErrorBody),
        (status = 404, description = "No agreement for this pool and year.", body = ErrorBody),
        (status = 422, description = "A field breaks a rule; `field` names it.", body = ErrorBody),
    )
)]
pub async fn forecast(
    State(state): State<AppState>,
    allowed: Allowed<PoolsManage>,
    PathParams((pool, year)): PathParams<(String, String)>,
    JsonBody(request): JsonBody<ForecastRequest>,
) -> Result<(StatusCode, Json<MonitoringReport>), ApiError> {
    let year = parse_year(&year)?;
    let forecast = request.parse()?;
    let report =
        record_forecast(&state, pool, year, forecast, allowed.principal.username.clone()).await?;
    Ok((StatusCode::CREATED, Json(report)))
}

/// Body of `POST /api/pools/{pool}/{year}/close`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseRequest {
    /// The last month to close, `YYYY-MM`.
    #[schema(example = "2026-03")]
    pub through: String,
}

/// The months now closed.
#[derive(Debug, Serialize, ToSchema)]
pub struct CloseResponse {
    pub pool: String,
    /// The financial year, e.g. `2025/26`.
    pub year: String,
    /// The last closed month, `YYYY-MM`.
    pub closed_through: String,
}

/// Close the months of a pool's year through a month: nothing more is posted into them,
/// and a variation cannot reach back into them. Closing March lets the year be settled.
#[utoipa::path(
    post,
    path = "/api/pools/{pool}/{year}/close",
    tag = "pools",
    params(
        ("pool" = String, Path, description = "The pool's code."),
        ("year" = String, Path, description = "The financial year, e.g. `2025`."),
    ),
    request_body(content = CloseRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Closed.", body = CloseResponse),
        (status = 401, description = "No valid session or bearer token.", body = ErrorBody),
        (status = 403, description = "Only finance officers (or a token with `ledger:write`) close months.", body = ErrorBody),
        (status = 404, description = "No agreement for this pool and year.", body = ErrorBody),
        (status = 422, description = "The month is not in the year, or already closed (`field` is `through`).", body = ErrorBody),
    )
)]
pub async fn close(
    State(state): State<AppState>,
    allowed: Allowed<PoolsManage>,
    PathParams((pool, year)): PathParams<(String, String)>,
    JsonBody(request): JsonBody<CloseRequest>,
) -> Result<Json<CloseResponse>, ApiError> {
    let year = parse_year(&year)?;
    let closed_through = close_months(
        &state,
        pool.clone(),
        year,
        &request.through,
        allowed.principal.username.clone(),
    )
    .await?;
    Ok(Json(CloseResponse { pool, year: year.label(), closed_through }))
}

/// The settlement of a pool's year, or why it cannot be worked out yet.
pub async fn settlement_view(
    state: &AppState,
    pool: String,
    year: FinancialYear,
) -> Result<SettlementView, ApiError> {
    state.run(move |store| store.pool_settlement(&pool, year)).await
}

/// The year-end risk-share settlement: every step explained, each partner's share and
/// net position, the balancing transfers, the digest partners confirm, and who has. Once
/// posted (`posted: true`, with `posted_at`), the settlement as every partner confirmed it.
#[utoipa::path(
    get,
    path = "/api/pools/{pool}/{year}/settlement",
    tag = "pools",
    params(
        ("pool" = String, Path, description = "The pool's code."),
        ("year" = String, Path, description = "The financial year, e.g. `2025`."),
    ),
    responses(
        (status = 200, description = "The settlement (once posted, as confirmed, with who confirmed it and when).", content_type = "application/json", body = Object),
        (status = 401, description = "No valid session or bearer token.", body = ErrorBody),
        (status = 403, description = "The caller may not read pools.", body = ErrorBody),
        (status = 404, description = "No agreement for this pool and year.", body = ErrorBody),
        (status = 422, description = "The year is not closed (`pool_refused`, naming the year and the months still open).", body = ErrorBody),
    )
)]
pub async fn settlement(
    State(state): State<AppState>,
    _allowed: Allowed<PoolsRead>,
    PathParams((pool, year)): PathParams<(String, String)>,
) -> Result<Json<SettlementView>, ApiError> {
    let year = parse_year(&year)?;
    Ok(Json(settlement_view(&state, pool, year).await?))
}

/// Body of `POST /api/pools/{pool}/{year}/settlement/confirm`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmRequest {
    /// The `digest` of the settlement as read: a confirmation counts only for those figures.
    pub digest: String,
}

/// A confirmation and what it posted.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConfirmResponse {
    #[schema(value_type = Object)]
    pub settlement: SettlementView,
    /// The balancing transfers posted, when this was the last partner to confirm.
    #[schema(value_type = Vec<crate::schema::PostedTransfer>)]
    pub transfers: Vec<PostedTransfer>,
}

/// May the caller confirm a settlement? Only for their own organisation (a caller with
/// none is refused); audited. Gives the principal and the organisation.
pub async fn authorize_confirm(
    state: &AppState,
    caller: &Caller,
    target: &str,
) -> Result<(onebudget_core::access::Principal, String), crate::auth::Denied> {
    let organisation =
        caller.principal.as_ref().and_then(|p| p.organisation.clone()).unwrap_or_default();
    let principal = caller
        .authorize(state, Action::ConfirmSettlement { partner: &organisation }, target)
        .await?;
    Ok((principal, organisation))
}

/// Confirm a settlement for one partner (already authorized), posting the balancing
/// transfers when it is the last.
pub async fn confirm_settlement(
    state: &AppState,
    pool: String,
    year: FinancialYear,
    organisation: String,
    username: String,
    digest: String,
) -> Result<(SettlementView, Vec<PostedTransfer>), ApiError> {
    state
        .run(move |store| {
            store.confirm_pool_settlement(&pool, year, &organisation, &username, &digest)
        })
        .await
}

/// Confirm the settlement for the caller's organisation: a signed-in finance officer of
/// one of the partners (no token may). When the last partner confirms the same figures,
/// the balancing transfers are posted (keys `pool/{pool}/{year}/settlement/{n}`).
#[utoipa::path(
    post,
    path = "/api/pools/{pool}/{year}/settlement/confirm",
    tag = "pools",
    params(
        ("pool" = String, Path, description = "The pool's code."),
        ("year" = String, Path, description = "The financial year, e.g. `2025`."),
    ),
    request_body(content = ConfirmRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Confirmed; the settlement as it now stands and any transfers posted.", body = ConfirmResponse),
        (status = 401, description = "Not signed in.", body = ErrorBody),
        (status = 403, description = "Only a signed-in finance officer of a partner confirms, for their own organisation.", body = ErrorBody),
        (status = 404, description = "No agreement for this pool and year.", body = ErrorBody),
        (status = 422, description = "The year is not closed, the digest is not the settlement's now, the organisation is no partner, or the settlement is already posted (`pool_refused`).", body = ErrorBody),
    )
)]
pub async fn confirm(
    State(state): State<AppState>,
    caller: Caller,
    PathParams((pool, year)): PathParams<(String, String)>,
    request: axum::extract::Request,
) -> Result<Json<ConfirmResponse>, ApiError> {
    let target = format!("/api/pools/{pool}/{year}/settlement/confirm");
    // Who may do this is decided before the body is read.
    let (principal, organisation) = authorize_confirm(&state, &caller, &target).await?;
    let year = parse_year(&year)?;
    crate::extract::check_content_type(request.headers())?;
    let body =
        axum::body::to_bytes(request.into_body(), crate::BODY_LIMIT_BYTES).await.map_err(|_| {
            ApiError::BodyUnreadable {
                too_large: true,
                message: "the request body could not be read, or is over 16 MiB".into(),
            }
        })?;
    let input: ConfirmRequest = crate::extract::parse_json(&body)?;
    let (settlement, transfers) =
        confirm_settlement(&state, pool, year, organisation, principal.username, input.digest)
            .await?;
    Ok(Json(ConfirmResponse { settlement, transfers }))
}
