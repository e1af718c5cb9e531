//! The ledger endpoints: opening funding streams and accounts, listing them, posting
//! transfers one at a time or in all-or-nothing batches, reading a transfer back, and the
//! balances and account statements.
//!
//! Each handler reads its input into core's types (`onebudget_core::ledger`), which decide
//! whether each field is valid, calls the store on the blocking pool, and returns core's
//! and store's types as JSON. The request and response envelopes defined here are the
//! only shapes that belong to the API itself.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use chrono::NaiveDate;
use onebudget_core::Money;
use onebudget_core::ledger::{
    Account, AccountCode, BatchError, FieldError, FundingStream, IdempotencyKey, OpenRecord,
    OpenRecordInput, RecordedTransfer, StreamCode, Transfer, TransferError, TransferInput,
    parse_date,
};
use onebudget_store::{BalanceRow, OpenOutcome, PostError, PostStatus, PostedTransfer, Statement};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use onebudget_core::access::Action;
use onebudget_core::ledger::Owner;

use crate::auth::{Allowed, Caller, LedgerRead, LedgerWrite};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{JsonBody, PathParams, QueryParams};
use crate::schema;
use crate::state::AppState;

/// The header a client may send a single transfer's idempotency key in.
pub const IDEMPOTENCY_KEY_HEADER: &str = "idempotency-key";

/// The outcome for each record of an open batch, in the order sent.
#[derive(Debug, Serialize, ToSchema)]
pub struct OpenResponse {
    pub results: Vec<OpenResult>,
}

/// What happened to one record.
#[derive(Debug, Serialize, ToSchema)]
pub struct OpenResult {
    /// The stream's or account's code.
    pub code: String,
    #[schema(value_type = schema::OpenOutcome)]
    pub outcome: OpenOutcome,
}

/// Every funding stream, by code.
#[derive(Debug, Serialize, ToSchema)]
pub struct StreamsResponse {
    #[schema(value_type = Vec<schema::FundingStream>)]
    pub streams: Vec<FundingStream>,
}

/// Every account, by code.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountsResponse {
    #[schema(value_type = Vec<schema::Account>)]
    pub accounts: Vec<Account>,
}

/// A transfer as sent. Every value is a string, so that a bad one is reported with its
/// field name and what is wrong with it (422) rather than as a type error.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferRequest {
    /// The client's key for this transfer: sending the same transfer again with the same
    /// key records it once. 1 to 128 printable ASCII characters. For `POST /api/transfers`
    /// it may be sent in the `Idempotency-Key` header instead.
    #[serde(default)]
    #[schema(example = "2025-04-P1-ALLOC")]
    pub idempotency_key: Option<String>,
    /// The account the money leaves.
    #[schema(example = "COUNCIL-ASC")]
    pub from: String,
    /// The account the money reaches.
    #[schema(example = "P1-PB-ASC")]
    pub to: String,
    /// A positive amount in pounds and pence, as a string: `1234.56`, `£1,234.56`.
    #[schema(example = "1234.56")]
    pub amount: String,
    /// The funding stream whose money moves.
    #[schema(example = "ASC")]
    pub stream: String,
    /// The day the money moves, `YYYY-MM-DD`.
    #[schema(value_type = String, format = Date, example = "2025-04-01")]
    pub effective_date: String,
    #[schema(value_type = schema::ReasonCode)]
    pub reason: String,
    /// Up to 500 characters, no line breaks.
    #[serde(default)]
    pub memo: String,
    /// The idempotency key of an earlier transfer this one moves money back along.
    #[serde(default)]
    pub reverses: Option<String>,
}

impl TransferRequest {
    /// The transfer as core reads it, under `idempotency_key`.
    fn into_input(self, idempotency_key: String) -> TransferInput {
        TransferInput {
            idempotency_key,
            from: self.from,
            to: self.to,
            amount: self.amount,
            stream: self.stream,
            effective_date: self.effective_date,
            reason: self.reason,
            memo: self.memo,
            reverses: self.reverses,
        }
    }
}

/// Transfers to post together: all are recorded or none is.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchRequest {
    /// In order: each transfer sees the balances the ones before it leave.
    pub transfers: Vec<TransferRequest>,
}

/// The outcome for each transfer of a batch, in the order sent.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchResponse {
    #[schema(value_type = Vec<schema::PostedTransfer>)]
    pub results: Vec<PostedTransfer>,
}

/// Filters for the balances.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BalancesQuery {
    /// Balances as they stood at the end of this day, `YYYY-MM-DD`; omit for now.
    #[param(value_type = Option<String>, format = Date, example = "2025-09-30")]
    pub as_of: Option<String>,
    /// Only this funding stream's balances.
    #[param(example = "ASC")]
    pub stream: Option<String>,
}

/// Every (account, stream) balance and their total.
#[derive(Debug, Serialize, ToSchema)]
pub struct BalancesResponse {
    /// The day the balances stand at the end of, or null for now.
    #[schema(required = true)]
    pub as_of: Option<NaiveDate>,
    #[schema(value_type = Vec<schema::BalanceRow>)]
    pub balances: Vec<BalanceRow>,
    /// The sum of the balances: always zero, since every transfer leaves one account
    /// and reaches another in the same stream.
    #[schema(value_type = String, example = "0.00")]
    pub total: Money,
}

/// The date range of a statement, inclusive at both ends.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StatementQuery {
    /// The first day, `YYYY-MM-DD`; omit to start at the beginning.
    #[param(value_type = Option<String>, format = Date, example = "2025-04-01")]
    pub from: Option<String>,
    /// The last day, `YYYY-MM-DD`; omit to run to the end.
    #[param(value_type = Option<String>, format = Date, example = "2026-03-31")]
    pub to: Option<String>,
}

/// A query parameter's value, with an empty one (`?as_of=`) read as absent.
fn given(value: Option<&String>) -> Option<&str> {
    value.map(String::as_str).filter(|v| !v.is_empty())
}

fn optional_date(field: &str, value: Option<&String>) -> Result<Option<NaiveDate>, FieldError> {
    given(value).map(|v| parse_date(field, v)).transpose()
}

/// Open funding streams and accounts, all or nothing.
///
/// Opening one that is already open with exactly the same details does nothing and
/// reports `already_open`; with different details it is refused (accounts and streams
/// never change once opened). A stream must be opened before (earlier in the same
/// array is fine) an account that holds it.
#[utoipa::path(
    post,
    path = "/api/ledger/open",
    tag = "ledger",
    request_body(content = Vec<schema::OpenRecordInput>, description = "The streams and accounts to open, in order."),
    responses(
        (status = 401, description = "No valid session or bearer token.", body = ErrorBody),
        (status = 403, description = "The caller's role or token scope does not allow this.", body = ErrorBody),
        (status = 200, description = "Every record is open.", body = OpenResponse),
        (status = 400, description = "The body is not JSON, or not an array of records.", body = ErrorBody),
        (status = 422, description = "A record breaks a rule; `field` names it, e.g. `[2].kind`. Nothing was opened.", body = ErrorBody),
        (status = 500, description = "The database failed.", body = ErrorBody),
    )
)]
pub async fn open(
    State(state): State<AppState>,
    _allowed: Allowed<LedgerWrite>,
    JsonBody(inputs): JsonBody<Vec<OpenRecordInput>>,
) -> Result<Json<OpenResponse>, ApiError> {
    let records = inputs
        .iter()
        .enumerate()
        .map(|(index, input)| {
            OpenRecord::try_from(input).map_err(|error| ApiError::OpenRejected { index, error })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let (records, outcomes) = state
        .run(move |store| {
            let outcomes = store.open_records(&records)?;
            Ok::<_, ApiError>((records, outcomes))
        })
        .await?;
    let results = records
        .iter()
        .zip(outcomes)
        .map(|(record, outcome)| OpenResult { code: record.code().to_owned(), outcome })
        .collect();
    Ok(Json(OpenResponse { results }))
}

/// List every funding stream.
#[utoipa::path(
    get,
    path = "/api/streams",
    tag = "ledger",
    responses(
        (status = 401, description = "No valid session or bearer token.", body = ErrorBody),
        (status = 403, description = "The caller's role or token scope does not allow this.", body = ErrorBody),
        (status = 200, description = "Every funding stream, by code.", body = StreamsResponse),
        (status = 500, description = "The database failed.", body = ErrorBody),
    )
)]
pub async fn streams(
    State(state): State<AppState>,
    _allowed: Allowed<LedgerRead>,
) -> Result<Json<StreamsResponse>, ApiError> {
    let streams = state.run(|store| store.streams()).await?;
    Ok(Json(StreamsResponse { streams }))
}

/// List every account. People's own accounts are included only for callers who may see
/// everyone (finance and auditors; a token also needs `people:read`), and the listing is
/// then audited.
#[utoipa::path(
    get,
    path = "/api/accounts",
    tag = "ledger",
    responses(
        (status = 401, description = "No valid session or bearer token.", body = ErrorBody),
        (status = 403, description = "The caller's role or token scope does not allow this.", body = ErrorBody),
        (status = 200, description = "Every account, by code.", body = AccountsResponse),
        (status = 500, description = "The database failed.", body = ErrorBody),
    )
)]
pub async fn accounts(
    State(state): State<AppState>,
    allowed: Allowed<LedgerRead>,
) -> Result<Json<AccountsResponse>, ApiError> {
    let with_people =
        crate::people::may_list_people(&state, &allowed.caller, "/api/accounts").await?;
    let mut accounts = state.run(|store| store.accounts()).await?;
    if !with_people {
        accounts.retain(|a| !matches!(a.owner(), onebudget_core::ledger::Owner::Person(_)));
    }
    Ok(Json(AccountsResponse { accounts }))
}

/// One account.
#[utoipa::path(
    get,
    path = "/api/accounts/{code}",
    tag = "ledger",
    params(("code" = String, Path, description = "The account's code.")),
    responses(
        (status = 401, description = "No valid session or bearer token.", body = ErrorBody),
        (status = 403, description = "The caller's role or token scope does not allow this.", body = ErrorBody),
        (status = 200, description = "The account.", body = schema::Account),
        (status = 404, description = "There is no such account.", body = ErrorBody),
        (status = 422, description = "The code is not a valid account code.", body = ErrorBody),
        (status = 500, description = "The database failed.", body = ErrorBody),
    )
)]
pub async fn account(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(code): PathParams<String>,
) -> Result<Json<Account>, ApiError> {
    let code = AccountCode::parse("code", &code)?;
    let target = format!("/api/accounts/{}", code.as_str());
    may_read_ledger(&state, &caller, &target, std::slice::from_ref(&code)).await?;
    // A person's account is part of their record.
    crate::people::authorize_account(&state, &caller, &code).await?;
    let missing = code.as_str().to_owned();
    state
        .run(move |store| store.account(&code))
        .await?
        .map(Json)
        .ok_or(ApiError::NotFound { what: "account", code: missing })
}

/// Where the idempotency key of a single transfer comes from: the body, or else the
/// `Idempotency-Key` header; both may be sent only if they agree.
fn resolve_key(headers: &HeaderMap, body: Option<String>) -> Result<String, ApiError> {
    let header = match headers.get(IDEMPOTENCY_KEY_HEADER) {
        None => None,
        Some(value) => Some(value.to_str().map(str::to_owned).map_err(|_| {
            FieldError::new(
                "idempotency_key",
                "",
                "the Idempotency-Key header may hold only printable ASCII characters",
            )
        })?),
    };
    match (header, body.filter(|key| !key.is_empty())) {
        (Some(header), Some(body)) if header != body => {
            Err(ApiError::IdempotencyKeyMismatch { header, body })
        }
        (_, Some(key)) | (Some(key), None) => Ok(key),
        (None, None) => Err(FieldError::new(
            "idempotency_key",
            "",
            "give the transfer an idempotency_key, in the body or the Idempotency-Key header",
        )
        .into()),
    }
}

fn created_or_ok(results: &[PostedTransfer]) -> StatusCode {
    if results.iter().any(|posted| posted.status == PostStatus::Created) {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    }
}

/// Post one transfer.
///
/// Idempotent: sending the same transfer again with the same key records nothing and
/// answers 200 with status `already_recorded` and the original id. The key may be sent
/// in the body or in the `Idempotency-Key` header.
#[utoipa::path(
    post,
    path = "/api/transfers",
    tag = "transfers",
    params(("Idempotency-Key" = Option<String>, Header, description = "The transfer's idempotency key, if the body does not give it (if both are given they must agree).")),
    request_body = TransferRequest,
    responses(
        (status = 401, description = "No valid session or bearer token.", body = ErrorBody),
        (status = 403, description = "The caller's role or token scope does not allow this.", body = ErrorBody),
        (status = 201, description = "Recorded now.", body = schema::PostedTransfer),
        (status = 200, description = "Already recorded with the same content: nothing was written.", body = schema::PostedTransfer),
        (status = 400, description = "The body is not JSON, or a value is not a string.", body = ErrorBody),
        (status = 422, description = "The transfer breaks a rule: a bad field (`invalid_field`), `unknown_account`, `unknown_stream`, `stream_mismatch`, `overdraft`, `idempotency_conflict` (the key was used for a different transfer), `idempotency_key_mismatch`, `unknown_reversal`, `reversal_mismatch`, `overflow`. `field` names the field at fault.", body = ErrorBody),
        (status = 500, description = "The database failed.", body = ErrorBody),
    )
)]
pub async fn post_transfer(
    State(state): State<AppState>,
    _allowed: Allowed<LedgerWrite>,
    headers: HeaderMap,
    JsonBody(request): JsonBody<TransferRequest>,
) -> Result<(StatusCode, Json<PostedTransfer>), ApiError> {
    let key = resolve_key(&headers, request.idempotency_key.clone())?;
    let transfer = Transfer::try_from(&request.into_input(key))?;
    let posted = state
        .run(move |store| {
            store.post(std::slice::from_ref(&transfer)).map_err(|error| match error {
                PostError::Rejected(BatchError { error, .. }) => ApiError::TransferRejected(error),
                PostError::Store(error) => ApiError::Store(error),
            })
        })
        .await?;
    let status = created_or_ok(&posted);
    let posted = posted
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::Internal("the store reported no outcome for a transfer".into()))?;
    Ok((status, Json(posted)))
}

/// Post a batch of transfers, all or nothing.
///
/// Transfers are checked in order, each against the balances the ones before it leave.
/// If any is refused, nothing is written and the error's `field` names the transfer by
/// its 0-based position, e.g. `transfers[3].amount`. Each transfer carries its own
/// `idempotency_key` (an `Idempotency-Key` header is not used here).
#[utoipa::path(
    post,
    path = "/api/transfers/batch",
    tag = "transfers",
    request_body = BatchRequest,
    responses(
        (status = 401, description = "No valid session or bearer token.", body = ErrorBody),
        (status = 403, description = "The caller's role or token scope does not allow this.", body = ErrorBody),
        (status = 201, description = "At least one transfer was recorded now.", body = BatchResponse),
        (status = 200, description = "Every transfer was already recorded: nothing was written.", body = BatchResponse),
        (status = 400, description = "The body is not JSON, or not of this shape.", body = ErrorBody),
        (status = 422, description = "A transfer breaks a rule (codes as for a single transfer); nothing was written.", body = ErrorBody),
        (status = 500, description = "The database failed.", body = ErrorBody),
    )
)]
pub async fn post_batch(
    State(state): State<AppState>,
    _allowed: Allowed<LedgerWrite>,
    JsonBody(request): JsonBody<BatchRequest>,
) -> Result<(StatusCode, Json<BatchResponse>), ApiError> {
    let batch = request
        .transfers
        .into_iter()
        .enumerate()
        .map(|(index, transfer)| {
            let key = transfer.idempotency_key.clone().unwrap_or_default();
            Transfer::try_from(&transfer.into_input(key)).map_err(|error| {
                ApiError::BatchRejected(BatchError { index, error: TransferError::Field(error) })
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let results = state.run(move |store| store.post(&batch)).await?;
    Ok((created_or_ok(&results), Json(BatchResponse { results })))
}

/// A recorded transfer, by its idempotency key.
#[utoipa::path(
    get,
    path = "/api/transfers/{idempotency_key}",
    tag = "transfers",
    params(("idempotency_key" = String, Path, description = "The key the transfer was posted with.")),
    responses(
        (status = 401, description = "No valid session or bearer token.", body = ErrorBody),
        (status = 403, description = "The caller's role or token scope does not allow this.", body = ErrorBody),
        (status = 200, description = "The transfer.", body = schema::RecordedTransfer),
        (status = 404, description = "No transfer has this key.", body = ErrorBody),
        (status = 422, description = "This is not a valid idempotency key.", body = ErrorBody),
        (status = 500, description = "The database failed.", body = ErrorBody),
    )
)]
pub async fn transfer(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(key): PathParams<String>,
) -> Result<Json<RecordedTransfer>, ApiError> {
    let key = IdempotencyKey::parse("idempotency_key", &key)?;
    let target = format!("/api/transfers/{}", key.as_str());
    let missing = key.as_str().to_owned();
    if caller.principal.is_none() {
        caller.authorize(&state, Action::ReadLedger, &target).await?;
    }
    let recorded = state.run(move |store| store.transfer(&key)).await?;
    let accounts = recorded
        .as_ref()
        .map(|r| vec![r.transfer.from().clone(), r.transfer.to().clone()])
        .unwrap_or_default();
    may_read_ledger(&state, &caller, &target, &accounts).await?;
    let recorded = recorded.ok_or(ApiError::NotFound { what: "transfer", code: missing })?;
    // A payment into or out of a person's account is part of their record.
    for account in [recorded.transfer.from(), recorded.transfer.to()] {
        crate::people::authorize_account(&state, &caller, account).await?;
    }
    Ok(Json(recorded))
}

/// The ledger routes' own requirement, reading the ledger, checked for `caller` on `target`.
/// A refusal that reached for a person's account (a citizen asking for someone else's) is
/// audited once for each person whose account it named, with their code, so that it shows
/// on their "who has looked at your record" page.
async fn may_read_ledger(
    state: &AppState,
    caller: &Caller,
    target: &str,
    accounts: &[AccountCode],
) -> Result<(), ApiError> {
    let Some(principal) = &caller.principal else {
        caller.authorize(state, Action::ReadLedger, target).await?;
        return Ok(());
    };
    if onebudget_core::access::decide(principal, &Action::ReadLedger).is_ok() {
        return Ok(());
    }
    let wanted = accounts.to_vec();
    let people = state
        .run(move |store| {
            let mut people: Vec<String> = Vec::new();
            for code in &wanted {
                if let Some(account) = store.account(code)?
                    && let Owner::Person(person) = account.owner()
                    && !people.iter().any(|p| p == person.as_str())
                {
                    people.push(person.as_str().to_owned());
                }
            }
            Ok::<_, onebudget_store::StoreError>(people)
        })
        .await?;
    if people.is_empty() {
        caller.authorize(state, Action::ReadLedger, target).await?;
    }
    for person in &people {
        caller.authorize_about(state, Action::ReadLedger, target, Some(person)).await?;
    }
    Ok(())
}

/// Every (account, stream) balance, now or as of the end of a day.
///
/// People's own accounts are included only for callers who may see everyone (finance
/// and auditors; a token also needs `people:read`), and the listing is then audited.
/// The total is of the rows shown.
#[utoipa::path(
    get,
    path = "/api/balances",
    tag = "reports",
    params(BalancesQuery),
    responses(
        (status = 401, description = "No valid session or bearer token.", body = ErrorBody),
        (status = 403, description = "The caller's role or token scope does not allow this.", body = ErrorBody),
        (status = 200, description = "The balances, by account then stream, and their total.", body = BalancesResponse),
        (status = 400, description = "An unknown query parameter.", body = ErrorBody),
        (status = 404, description = "There is no such funding stream.", body = ErrorBody),
        (status = 422, description = "A parameter is not valid; `field` names it.", body = ErrorBody),
        (status = 500, description = "The database failed.", body = ErrorBody),
    )
)]
pub async fn balances(
    State(state): State<AppState>,
    allowed: Allowed<LedgerRead>,
    QueryParams(query): QueryParams<BalancesQuery>,
) -> Result<Json<BalancesResponse>, ApiError> {
    let as_of = optional_date("as_of", query.as_of.as_ref())?;
    let stream =
        given(query.stream.as_ref()).map(|code| StreamCode::parse("stream", code)).transpose()?;
    let with_people =
        crate::people::may_list_people(&state, &allowed.caller, "/api/balances").await?;
    let mut balances = state.run(move |store| store.balances(as_of, stream.as_ref())).await?;
    if !with_people {
        balances.retain(|row| row.owner_kind != "person");
    }
    let total = Money::checked_sum(balances.iter().map(|row| row.balance))
        .map_err(|error| ApiError::Internal(format!("summing the balances: {error}")))?;
    Ok(Json(BalancesResponse { as_of, balances, total }))
}

/// An account's statement: opening balance, each transfer in or out with the running
/// balance, and the closing balance.
#[utoipa::path(
    get,
    path = "/api/accounts/{code}/statement",
    tag = "reports",
    params(("code" = String, Path, description = "The account's code."), StatementQuery),
    responses(
        (status = 401, description = "No valid session or bearer token.", body = ErrorBody),
        (status = 403, description = "The caller's role or token scope does not allow this.", body = ErrorBody),
        (status = 200, description = "The statement.", body = schema::Statement),
        (status = 400, description = "An unknown query parameter.", body = ErrorBody),
        (status = 404, description = "There is no such account.", body = ErrorBody),
        (status = 422, description = "A parameter is not valid; `field` names it.", body = ErrorBody),
        (status = 500, description = "The database failed.", body = ErrorBody),
    )
)]
pub async fn statement(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(code): PathParams<String>,
    QueryParams(query): QueryParams<StatementQuery>,
) -> Result<Json<Statement>, ApiError> {
    let code = AccountCode::parse("code", &code)?;
    crate::people::authorize_account(&state, &caller, &code).await?;
    let from = optional_date("from", query.from.as_ref())?;
    let to = optional_date("to", query.to.as_ref())?;
    if let (Some(from), Some(to)) = (from, to)
        && to < from
    {
        return Err(FieldError::new(
            "to",
            &to.to_string(),
            format!("the statement would end before it starts ({from})"),
        )
        .into());
    }
    let statement = state.run(move |store| store.statement(&code, from, to)).await?;
    Ok(Json(statement))
}
