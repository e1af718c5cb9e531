//! Integrated personal budgets over the JSON API: a person's needs assessments, budget
//! versions, plan and statement (JSON and CSV), spending from a direct payment and
//! providers' invoices; finance's payment run, direct-payment monitoring, the reviews it
//! raises and their decisions; and a funder's share of everyone's budgets.
//!
//! The rules are `onebudget_core::budget`'s and the queries `onebudget_store`'s
//! (`Store::record_needs_assessment`, `record_budget`, `budget_payments`,
//! `record_spending`, `monitor_direct_payments`, `decide_dp_review`, `person_statement`,
//! `funder_statement`, …); this module reads requests into their arguments. Every handler
//! that touches a person passes the one access decision first, as `people.rs` does: a
//! read through [`people::authorize_person`], a change through [`authorize_change`] with
//! `Action::PlanBudget`, `Action::RecordSpending` or `Action::PayBudgets`. So each read
//! and write of a person's record leaves exactly one audit row, and a person who does not
//! exist looks like one the caller may not see, except to those who may see everyone.
//! Bodies are read only once the caller is allowed. A store failure becomes an HTTP status
//! in `error.rs`, like every other.

use std::collections::BTreeSet;

use axum::Json;
use axum::extract::{Request, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE, LOCATION};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use onebudget_core::Money;
use onebudget_core::access::{Action, PersonRef, Principal};
use onebudget_core::budget::config::Scheme;
use onebudget_core::budget::needs::Answers;
use onebudget_core::budget::plan::{Component, Line, Status};
use onebudget_core::field::{FieldError, parse_date};
use onebudget_core::pool::FinancialYear;
use onebudget_store::{
    BudgetChange, BudgetVersion, DpReview, FunderStatement, NeedsAssessmentRecord, PersonRecord,
    PersonStatement, PostStatus, PostedTransfer,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{Aggregates, Allowed, Caller, Denied, Requirement};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{JsonBody, PathParams, QueryParams};
use crate::people;
use crate::pools::inert;
use crate::state::AppState;

/// The account direct-payment spending is paid into: the demo's expenditure account for
/// what people buy with their direct payments (the CLI uses the same one). A council with
/// its own chart of accounts names its own.
pub const SPEND_ACCOUNT: &str = "DP-SPEND";

/// Pay budgets, pay invoices, run monitoring: finance (tokens with `ledger:write`).
#[derive(Debug)]
pub struct PayingBudgets;
impl Requirement for PayingBudgets {
    const ACTION: Action<'static> = Action::PayBudgets;
}

/// Decide a direct-payment review: a signed-in finance officer (no token).
#[derive(Debug)]
pub struct DecidingRecoveries;
impl Requirement for DecidingRecoveries {
    const ACTION: Action<'static> = Action::DecideRecovery;
}

/// A change to one person's budget, as the access decision names it.
#[derive(Clone, Copy, Debug)]
pub enum Change {
    /// A needs assessment or a budget version: `Action::PlanBudget`.
    Plan,
    /// Spending from a direct payment: `Action::RecordSpending`.
    Spend,
}

impl Change {
    fn action(self, person: PersonRef<'_>) -> Action<'_> {
        match self {
            Change::Plan => Action::PlanBudget(person),
            Change::Spend => Action::RecordSpending(person),
        }
    }
}

/// May `caller` make `change` to person `code`?
/// Audited once, like [`people::authorize_person`]: the person's team is read, the one
/// decision asked, and only then is a missing person reported, so that codes cannot be
/// probed by those who may not see everyone.
pub async fn authorize_change(
    state: &AppState,
    caller: &Caller,
    code: &str,
    change: Change,
    target: &str,
) -> Result<(Principal, PersonRecord), ApiError> {
    if caller.principal.is_none() {
        caller.authorize(state, change.action(PersonRef { code, team: "" }), target).await?;
    }
    let wanted = code.to_owned();
    let person = state.run(move |store| store.person(&wanted)).await?;
    let team = person.as_ref().map_or("", |p| p.team.as_str());
    let principal =
        caller.authorize(state, change.action(PersonRef { code, team }), target).await?;
    match person {
        Some(person) => Ok((principal, person)),
        None => Err(ApiError::NotFound { what: "person", code: code.to_owned() }),
    }
}

/// Read a person, as [`people::authorize_person`] does, with its refusal as an [`ApiError`].
async fn authorize_read(
    state: &AppState,
    caller: &Caller,
    code: &str,
    target: &str,
) -> Result<PersonRecord, ApiError> {
    let (_, person) = people::authorize_person(state, caller, code, false, target).await?;
    Ok(person)
}

/// The body as JSON of `T`, read only after the caller is allowed.
async fn read_body<T: serde::de::DeserializeOwned>(request: Request) -> Result<T, ApiError> {
    crate::extract::check_content_type(request.headers())?;
    let body =
        axum::body::to_bytes(request.into_body(), crate::BODY_LIMIT_BYTES).await.map_err(|_| {
            ApiError::BodyUnreadable {
                too_large: true,
                message: "the request body could not be read, or is over 16 MiB".into(),
            }
        })?;
    crate::extract::parse_json(&body)
}

/// The scheme in use, or a server fault.
fn scheme(state: &AppState) -> Result<&Scheme, ApiError> {
    state.scheme().map_err(|e| ApiError::Internal(format!("the budget scheme: {e}")))
}

/// Today in the UK, where a date is not given.
fn today() -> NaiveDate {
    crate::clock::today()
}

/// An optional date in `field`; empty is absent.
fn optional_date(field: &str, text: Option<&str>) -> Result<Option<NaiveDate>, FieldError> {
    text.map(str::trim).filter(|t| !t.is_empty()).map(|t| parse_date(field, t)).transpose()
}

/// An amount of pounds in `field`.
fn amount(field: &str, text: &str) -> Result<Money, FieldError> {
    crate::pools::parse_amount(field, Some(text))?
        .ok_or_else(|| FieldError::new(field, text, "give an amount in pounds, like \"100.00\""))
}

/// A client's idempotency key in `field`, kept apart per person under `prefix`.
fn key(prefix: &str, person: &str, text: &str) -> Result<String, FieldError> {
    let text = text.trim();
    if text.is_empty() || text.len() > 100 {
        return Err(FieldError::new(
            "key",
            text,
            "give a key of 1 to 100 characters, the same when a request is sent again",
        ));
    }
    Ok(format!("{prefix}/{person}/{text}"))
}

/// Run `f` on the store with the scheme in use (a missing scheme is a server fault).
async fn with_scheme<T, E>(
    state: &AppState,
    f: impl FnOnce(&onebudget_store::Store, &Scheme) -> Result<T, E> + Send + 'static,
) -> Result<T, ApiError>
where
    T: Send + 'static,
    E: Send + 'static,
    ApiError: From<E>,
{
    let shared = state.clone();
    state
        .run::<T, ApiError>(move |store| {
            let scheme = scheme(&shared)?;
            f(store, scheme).map_err(ApiError::from)
        })
        .await
}

/// A period's last day, refused when it would come before its first.
fn period_in_order(from: NaiveDate, to: NaiveDate) -> Result<(), ApiError> {
    if to < from {
        return Err(FieldError::new(
            "to",
            &to.to_string(),
            format!("the period would end before it starts ({from})"),
        )
        .into());
    }
    Ok(())
}

/// What a posting for person `code` names: its amount, its day and the ledger's key
/// (kept apart per person under `prefix`), each refused by its field in that order.
fn posting(
    prefix: &str,
    code: &str,
    amount_text: &str,
    date_text: &str,
    key_text: &str,
) -> Result<(Money, NaiveDate, String), ApiError> {
    Ok((
        amount("amount", amount_text)?,
        parse_date("date", date_text)?,
        key(prefix, code, key_text)?,
    ))
}

/// Money moved for person `code`: 201, located at their statement.
fn posted(code: String, transfers: Vec<PostedTransfer>) -> Response {
    created(&format!("/api/people/{code}/statement"), PostedResponse { person: code, transfers })
}

fn created<T: Serialize>(location: &str, body: T) -> Response {
    let mut response = (StatusCode::CREATED, Json(body)).into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(LOCATION, value);
    }
    response
}

// ----- needs assessments -----

/// Body of `POST /api/people/{code}/needs-assessments`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NeedsAssessmentRequest {
    /// The day assessed, `YYYY-MM-DD`.
    #[schema(example = "2024-10-01")]
    pub assessed_on: String,
    /// The questionnaire version; the one in force on `assessed_on` when absent.
    #[serde(default)]
    #[schema(example = "2024.1")]
    pub questionnaire: Option<String>,
    /// Domain code → level code, one for every domain of the questionnaire.
    #[schema(value_type = Object)]
    pub answers: Answers,
}

/// A person's needs assessments, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct NeedsAssessmentsResponse {
    #[schema(value_type = Vec<crate::schema::NeedsAssessmentRecord>)]
    pub assessments: Vec<NeedsAssessmentRecord>,
}

/// A person's needs assessments, newest first, each with its scores and every stream's
/// eligibility with the reason.
#[utoipa::path(
    get,
    path = "/api/people/{code}/needs-assessments",
    tag = "budgets",
    params(("code" = String, Path, description = "The person's code.")),
    responses(
        (status = 200, description = "Every recorded needs assessment, newest first.", body = NeedsAssessmentsResponse),
        (status = 401, description = "No valid session or bearer token.", body = ErrorBody),
        (status = 403, description = "The caller may not see this person (the refusal is audited).", body = ErrorBody),
        (status = 404, description = "No such person (told only to callers who may read everyone).", body = ErrorBody),
    )
)]
pub async fn needs_assessments(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(code): PathParams<String>,
) -> Result<Response, ApiError> {
    let target = format!("/api/people/{code}/needs-assessments");
    authorize_read(&state, &caller, &code, &target).await?;
    let assessments = state.run(move |store| store.needs_assessments(&code)).await?;
    Ok(Json(NeedsAssessmentsResponse { assessments }).into_response())
}

/// Record a needs assessment: the answers are scored by the questionnaire and every
/// stream's eligibility decided. Only the person's practitioner (or a council system's
/// token with `budgets:write`). An answer off the scale is refused, naming the domain
/// (`answers.mobility`), and nothing is kept.
#[utoipa::path(
    post,
    path = "/api/people/{code}/needs-assessments",
    tag = "budgets",
    params(("code" = String, Path, description = "The person's code.")),
    request_body(content = NeedsAssessmentRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Recorded; the body is the record.", body = crate::schema::NeedsAssessmentRecord),
        (status = 400, description = "The body is not a needs assessment.", body = ErrorBody),
        (status = 401, description = "No valid session or bearer token.", body = ErrorBody),
        (status = 403, description = "Only a practitioner of the person's team records needs assessments.", body = ErrorBody),
        (status = 422, description = "A date, the questionnaire or an answer is not valid; `field` names it. Nothing was recorded.", body = ErrorBody),
    )
)]
pub async fn record_needs_assessment(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(code): PathParams<String>,
    request: Request,
) -> Result<Response, ApiError> {
    let target = format!("/api/people/{code}/needs-assessments");
    let (principal, _) = authorize_change(&state, &caller, &code, Change::Plan, &target).await?;
    let input: NeedsAssessmentRequest = read_body(request).await?;
    let assessed_on = parse_date("assessed_on", &input.assessed_on)?;
    let questionnaire = input.questionnaire.filter(|q| !q.trim().is_empty());
    let record = with_scheme(&state, move |store, scheme| {
        store.record_needs_assessment(
            scheme,
            &code,
            assessed_on,
            questionnaire.as_deref(),
            &input.answers,
            &principal.username,
        )
    })
    .await?;
    Ok(created(&target, record))
}

// ----- the budget -----

/// Query of `GET /api/people/{code}/budget` and `…/plan`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OnQuery {
    /// The day, `YYYY-MM-DD` (default today): the version in force then.
    pub on: Option<String>,
}

/// A person's budget on a day, and every version.
#[derive(Debug, Serialize, ToSchema)]
pub struct BudgetResponse {
    pub person: String,
    pub on: NaiveDate,
    /// The latest version in force on `on`, or null before the first.
    #[schema(value_type = Option<crate::schema::BudgetVersion>, required = true)]
    pub current: Option<BudgetVersion>,
    /// Every version, oldest first.
    #[schema(value_type = Vec<crate::schema::BudgetVersion>)]
    pub versions: Vec<BudgetVersion>,
}

/// A person's budget as it stands on a day (the latest version in force then, whatever
/// its status), with the whole history of versions.
#[utoipa::path(
    get,
    path = "/api/people/{code}/budget",
    tag = "budgets",
    params(("code" = String, Path, description = "The person's code."), OnQuery),
    responses(
        (status = 200, description = "The budget on the day and every version.", body = BudgetResponse),
        (status = 401, description = "No valid session or bearer token.", body = ErrorBody),
        (status = 403, description = "The caller may not see this person.", body = ErrorBody),
        (status = 404, description = "No such person (told only to callers who may read everyone).", body = ErrorBody),
        (status = 422, description = "`on` is not a date.", body = ErrorBody),
    )
)]
pub async fn budget(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(code): PathParams<String>,
    QueryParams(query): QueryParams<OnQuery>,
) -> Result<Response, ApiError> {
    let target = format!("/api/people/{code}/budget");
    let on = optional_date("on", query.on.as_deref())?.unwrap_or_else(today);
    // The person (whose team the decision needs) and their versions in one call to the
    // store; the versions are shown only once the decision allows it and its row is
    // committed.
    let read = |store: &onebudget_store::Store, code: &str| {
        let Some(person) = store.person(code)? else { return Ok(None) };
        Ok(Some((person, store.budget_versions(code)?)))
    };
    let (_, _, versions) =
        people::authorize_person_with(&state, &caller, &code, false, &target, read).await?;
    let current = versions.iter().rev().find(|v| v.effective_from <= on).cloned();
    Ok(Json(BudgetResponse { person: code, on, current, versions }).into_response())
}

/// Record the next version of a person's budget: its status (draft → agreed → active →
/// under review → ended), the date it applies from, the plan (components and lines) and
/// why. The decision is worked out from the needs assessment and the financial assessment
/// in force; making it active opens the person's budget accounts. Only the person's
/// practitioner (or a token with `budgets:write`).
#[utoipa::path(
    post,
    path = "/api/people/{code}/budget",
    tag = "budgets",
    params(("code" = String, Path, description = "The person's code.")),
    request_body(content = crate::schema::BudgetChange, content_type = "application/json"),
    responses(
        (status = 201, description = "Recorded; the body is the version with its decision and every step.", body = crate::schema::BudgetVersion),
        (status = 400, description = "The body is not a budget change.", body = ErrorBody),
        (status = 401, description = "No valid session or bearer token.", body = ErrorBody),
        (status = 403, description = "Only a practitioner of the person's team records budgets.", body = ErrorBody),
        (status = 422, description = "The change breaks a rule (`field` names it, e.g. `status` for a draft made active, `lines[1].weekly_cost`), or cannot be made now (`budget_refused`: no needs assessment, a funding account not open). Nothing was recorded.", body = ErrorBody),
    )
)]
pub async fn record_budget(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(code): PathParams<String>,
    request: Request,
) -> Result<Response, ApiError> {
    let target = format!("/api/people/{code}/budget");
    let (principal, _) = authorize_change(&state, &caller, &code, Change::Plan, &target).await?;
    let change: BudgetChange = read_body(request).await?;
    let version = with_scheme(&state, move |store, scheme| {
        store.record_budget(scheme, &code, &change, &principal.username)
    })
    .await?;
    Ok(created(&target, version))
}

/// The plan in force on a day: each line with what each stream funds, what is unfunded
/// and why, and each component.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanResponse {
    pub person: String,
    pub on: NaiveDate,
    /// The budget version the plan belongs to.
    pub version: i64,
    #[schema(value_type = crate::schema::BudgetStatus)]
    pub status: Status,
    pub effective_from: NaiveDate,
    /// The weekly budget: the components' agreed amounts.
    #[schema(value_type = String)]
    pub budget: Money,
    #[schema(value_type = String)]
    pub plan_cost: Money,
    #[schema(value_type = String)]
    pub unfunded: Money,
    /// What the person pays each week.
    #[schema(value_type = String)]
    pub weekly_contribution: Money,
    #[schema(value_type = Vec<crate::schema::BudgetComponent>)]
    pub components: Vec<Component>,
    #[schema(value_type = Vec<crate::schema::PlanLine>)]
    pub lines: Vec<Line>,
    pub warnings: Vec<String>,
}

/// The support plan in force on a day (default today): every line with its allocation
/// to the streams and the explanation of each step, and the components.
#[utoipa::path(
    get,
    path = "/api/people/{code}/plan",
    tag = "budgets",
    params(("code" = String, Path, description = "The person's code."), OnQuery),
    responses(
        (status = 200, description = "The plan's lines and components.", body = PlanResponse),
        (status = 401, description = "No valid session or bearer token.", body = ErrorBody),
        (status = 403, description = "The caller may not see this person.", body = ErrorBody),
        (status = 404, description = "No budget is in force on the day (or, to those who may read everyone, no such person).", body = ErrorBody),
        (status = 422, description = "`on` is not a date.", body = ErrorBody),
    )
)]
pub async fn plan(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(code): PathParams<String>,
    QueryParams(query): QueryParams<OnQuery>,
) -> Result<Response, ApiError> {
    let target = format!("/api/people/{code}/plan");
    authorize_read(&state, &caller, &code, &target).await?;
    let on = optional_date("on", query.on.as_deref())?.unwrap_or_else(today);
    let wanted = code.clone();
    let Some(v) = state.run(move |store| store.budget_on(&wanted, on)).await? else {
        return Err(ApiError::BudgetNotFound(format!("{code} has no budget in force on {on}")));
    };
    let d = v.decision;
    Ok(Json(PlanResponse {
        person: code,
        on,
        version: v.version,
        status: v.status,
        effective_from: v.effective_from,
        budget: d.budget,
        plan_cost: d.plan_cost,
        unfunded: d.unfunded,
        weekly_contribution: d.weekly_contribution,
        components: d.components,
        lines: d.lines,
        warnings: d.warnings,
    })
    .into_response())
}

// ----- the statement -----

/// Query of a person's statement.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StatementQuery {
    /// First day, `YYYY-MM-DD` (default: from the beginning).
    pub from: Option<String>,
    /// Last day, `YYYY-MM-DD` (default: to today). The budget shown is the one in force
    /// on this day.
    pub to: Option<String>,
}

async fn statement_of(
    state: &AppState,
    caller: &Caller,
    code: String,
    query: &StatementQuery,
    target: &str,
) -> Result<PersonStatement, ApiError> {
    authorize_read(state, caller, &code, target).await?;
    let from = optional_date("from", query.from.as_deref())?;
    let to = optional_date("to", query.to.as_deref())?;
    if let (Some(from), Some(to)) = (from, to) {
        period_in_order(from, to)?;
    }
    let on = to.unwrap_or_else(today);
    with_scheme(state, move |store, scheme| store.person_statement(scheme, &code, from, to, on))
        .await
}

/// A person's one statement across every stream of their budget: what each funder paid
/// in, what was paid to them and what they spent, what providers were paid, what was
/// returned and what is held, line by line in plain English, with a summary.
#[utoipa::path(
    get,
    path = "/api/people/{code}/statement",
    tag = "budgets",
    params(("code" = String, Path, description = "The person's code."), StatementQuery),
    responses(
        (status = 200, description = "The statement.", body = crate::schema::PersonStatement),
        (status = 401, description = "No valid session or bearer token.", body = ErrorBody),
        (status = 403, description = "The caller may not see this person.", body = ErrorBody),
        (status = 404, description = "No such person (told only to callers who may read everyone).", body = ErrorBody),
        (status = 422, description = "A date is not valid, or `to` is before `from`.", body = ErrorBody),
    )
)]
pub async fn statement(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(code): PathParams<String>,
    QueryParams(query): QueryParams<StatementQuery>,
) -> Result<Response, ApiError> {
    let target = format!("/api/people/{code}/statement");
    let statement = statement_of(&state, &caller, code, &query, &target).await?;
    Ok(Json(statement).into_response())
}

/// The statement's header row in CSV.
pub const STATEMENT_CSV_HEADER: [&str; 15] = [
    "row",
    "date",
    "stream",
    "description",
    "money_in",
    "money_out",
    "weekly_agreed",
    "weekly_you_pay",
    "paid_in",
    "paid_to_you",
    "spent_by_you",
    "paid_to_providers",
    "returned",
    "held_by_funder",
    "held_by_you",
];

/// The statement as CSV: a row per entry (`row` = `entry`), then a row per stream
/// (`row` = `stream`) with its totals. Every text cell passes [`inert`].
pub fn statement_csv(statement: &PersonStatement) -> String {
    let mut out =
        csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    let _ = out.write_record(STATEMENT_CSV_HEADER);
    let blank = String::new;
    for e in &statement.entries {
        let mut row = vec![
            "entry".to_owned(),
            e.date.to_string(),
            inert(&e.stream).into_owned(),
            inert(&e.words).into_owned(),
            e.money_in.to_plain_string(),
            e.money_out.to_plain_string(),
        ];
        row.resize_with(STATEMENT_CSV_HEADER.len(), blank);
        let _ = out.write_record(&row);
    }
    let to = statement.to.map(|d| d.to_string()).unwrap_or_default();
    for s in &statement.streams {
        let _ = out.write_record([
            "stream".to_owned(),
            to.clone(),
            inert(&s.stream).into_owned(),
            inert(&format!("{} ({})", s.name, s.mode.words())).into_owned(),
            String::new(),
            String::new(),
            s.weekly_agreed.to_plain_string(),
            s.weekly_you_pay.to_plain_string(),
            s.paid_in.to_plain_string(),
            s.paid_to_you.to_plain_string(),
            s.spent_by_you.to_plain_string(),
            s.paid_to_providers.to_plain_string(),
            s.returned.to_plain_string(),
            s.held_by_funder.to_plain_string(),
            s.held_by_you.to_plain_string(),
        ]);
    }
    // Writing to memory cannot fail; an unreadable buffer would be a bug.
    String::from_utf8(out.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// The person's statement as CSV, for a spreadsheet: one row per entry (`row` = `entry`:
/// date, stream, description, money in and out), then one per stream (`row` = `stream`:
/// weekly amounts and totals). Cells that a spreadsheet would run as a formula are
/// written inert.
#[utoipa::path(
    get,
    path = "/api/people/{code}/statement.csv",
    tag = "budgets",
    params(("code" = String, Path, description = "The person's code."), StatementQuery),
    responses(
        (status = 200, description = "The statement as CSV.", content_type = "text/csv", body = String),
        (status = 401, description = "No valid session or bearer token.", body = ErrorBody),
        (status = 403, description = "The caller may not see this person.", body = ErrorBody),
        (status = 404, description = "No such person (told only to callers who may read everyone).", body = ErrorBody),
        (status = 422, description = "A date is not valid.", body = ErrorBody),
    )
)]
pub async fn statement_csv_route(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(code): PathParams<String>,
    QueryParams(query): QueryParams<StatementQuery>,
) -> Result<Response, ApiError> {
    let target = format!("/api/people/{code}/statement.csv");
    let statement = statement_of(&state, &caller, code, &query, &target).await?;
    let name = format!(
        "attachment; filename=\"{}-statement.csv\"",
        statement.person_code.replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "_")
    );
    let disposition = HeaderValue::from_str(&name)
        .unwrap_or_else(|_| HeaderValue::from_static("attachment; filename=\"statement.csv\""));
    Ok((
        [
            (CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8")),
            (CONTENT_DISPOSITION, disposition),
        ],
        statement_csv(&statement),
    )
        .into_response())
}

// ----- money moving for one person -----

/// Body of `POST /api/people/{code}/spending`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SpendingRequest {
    /// The plan line it was spent on (from 1).
    #[schema(example = 1)]
    pub line: usize,
    /// Pounds as a string.
    #[schema(example = "100.00")]
    pub amount: String,
    /// The day, `YYYY-MM-DD`.
    pub date: String,
    /// The receipt's reference: invoice number, payslip or till receipt.
    pub receipt: String,
    /// The client's key for this spending, the same if the request is sent again (kept
    /// apart per person: the ledger's keys are `spend/{code}/{key}/{stream}`).
    pub key: String,
}

/// Money that moved for a person.
#[derive(Debug, Serialize, ToSchema)]
pub struct PostedResponse {
    pub person: String,
    #[schema(value_type = Vec<crate::schema::PostedTransfer>)]
    pub transfers: Vec<PostedTransfer>,
}

/// Record what a direct payment was spent on, against a plan line, with its receipt: the
/// person (or a practitioner of their team, or finance, on their behalf). The amount is
/// split across the streams that fund the line by direct payment, in proportion to what
/// each funds. Sent again with the same key, it is recorded once.
#[utoipa::path(
    post,
    path = "/api/people/{code}/spending",
    tag = "budgets",
    params(("code" = String, Path, description = "The person's code.")),
    request_body(content = SpendingRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Recorded; the transfers (`already_recorded` when sent again).", body = PostedResponse),
        (status = 400, description = "The body is not spending.", body = ErrorBody),
        (status = 401, description = "No valid session or bearer token.", body = ErrorBody),
        (status = 403, description = "Only the person, their team's practitioner or finance.", body = ErrorBody),
        (status = 422, description = "A field breaks a rule (`field` names it: `receipt`, `line`, `amount`), the budget is not active (`budget_refused`), or the direct-payment account does not hold enough (`transfers[0].amount`). Nothing was recorded.", body = ErrorBody),
    )
)]
pub async fn record_spending(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(code): PathParams<String>,
    request: Request,
) -> Result<Response, ApiError> {
    let target = format!("/api/people/{code}/spending");
    authorize_change(&state, &caller, &code, Change::Spend, &target).await?;
    let input: SpendingRequest = read_body(request).await?;
    let (amount, date, key) = posting("spend", &code, &input.amount, &input.date, &input.key)?;
    onebudget_core::budget::parse_spending_date("date", &input.date, crate::clock::today())?;
    let person = code.clone();
    let transfers = state
        .run(move |store| {
            store.record_spending(
                &person,
                input.line,
                amount,
                date,
                &input.receipt,
                &key,
                SPEND_ACCOUNT,
            )
        })
        .await?;
    Ok(posted(code, transfers))
}

/// Body of `POST /api/people/{code}/invoices`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvoiceRequest {
    /// The component's stream.
    #[schema(example = "ASC")]
    pub stream: String,
    /// The provider's ledger account.
    pub provider: String,
    /// Pounds as a string.
    pub amount: String,
    /// The day, `YYYY-MM-DD`.
    pub date: String,
    /// The invoice's number.
    pub invoice: String,
    /// The client's key, the same if the request is sent again (the ledger's key is
    /// `invoice/{code}/{key}`).
    pub key: String,
}

/// Pay a provider's invoice from a component held as an Individual Service Fund, managed
/// by the council or held by the NHS (not a direct payment: the person pays those
/// providers themselves). Finance (or a token with `ledger:write`).
#[utoipa::path(
    post,
    path = "/api/people/{code}/invoices",
    tag = "budgets",
    params(("code" = String, Path, description = "The person's code.")),
    request_body(content = InvoiceRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Paid; the transfer.", body = PostedResponse),
        (status = 400, description = "The body is not an invoice.", body = ErrorBody),
        (status = 401, description = "No valid session or bearer token.", body = ErrorBody),
        (status = 403, description = "Only finance pays invoices.", body = ErrorBody),
        (status = 404, description = "No such person.", body = ErrorBody),
        (status = 422, description = "A field breaks a rule (`stream`, `provider`, `invoice`, `amount`), the budget is not active, or the budget account does not hold enough. Nothing was paid.", body = ErrorBody),
    )
)]
pub async fn pay_invoice(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(code): PathParams<String>,
    request: Request,
) -> Result<Response, ApiError> {
    let target = format!("/api/people/{code}/invoices");
    // Paying is finance's, whoever the person; the person must exist.
    caller.authorize(&state, Action::PayBudgets, &target).await?;
    // Paying from a person's budget touches their record: one audited read names them.
    people::authorize_person(&state, &caller, &code, false, &target).await?;
    let input: InvoiceRequest = read_body(request).await?;
    let (amount, date, key) = posting("invoice", &code, &input.amount, &input.date, &input.key)?;
    let person = code.clone();
    let transfers = state
        .run(move |store| {
            store.pay_provider_invoice(
                &person,
                input.stream.trim(),
                input.provider.trim(),
                amount,
                date,
                &input.invoice,
                &key,
            )
        })
        .await?;
    Ok(posted(code, transfers))
}

// ----- finance: payments, monitoring, reviews -----

/// Body of `POST /api/budgets/payments`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentsRequest {
    /// The first day of the period paid, `YYYY-MM-DD`.
    #[schema(example = "2024-10-07")]
    pub from: String,
    /// How many weeks (1 to 13; 4 is the usual schedule).
    #[schema(example = 4)]
    pub weeks: u32,
}

/// What a payment run posted.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentsResponse {
    pub from: NaiveDate,
    pub weeks: u32,
    /// Transfers recorded now.
    pub created: usize,
    /// Transfers this period already had (the run was made before): nothing was written.
    pub already_recorded: usize,
    #[schema(value_type = Vec<crate::schema::PostedTransfer>)]
    pub transfers: Vec<PostedTransfer>,
}

/// Pay every live budget for a period: each component's funder share from the stream's
/// funding account into the person's budget account, and on into their direct-payment
/// account where it is paid that way. A period paid twice is recorded once.
#[utoipa::path(
    post,
    path = "/api/budgets/payments",
    tag = "budgets",
    request_body(content = PaymentsRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Posted; what was created and what was already recorded.", body = PaymentsResponse),
        (status = 400, description = "The body is not a payment run.", body = ErrorBody),
        (status = 401, description = "No valid session or bearer token.", body = ErrorBody),
        (status = 403, description = "Only finance (or a token with `ledger:write`) pays budgets.", body = ErrorBody),
        (status = 422, description = "`from` or `weeks` is not valid, or a transfer is refused by the ledger. Nothing was posted.", body = ErrorBody),
    )
)]
pub async fn pay_budgets(
    State(state): State<AppState>,
    _allowed: Allowed<PayingBudgets>,
    JsonBody(input): JsonBody<PaymentsRequest>,
) -> Result<Response, ApiError> {
    let from = parse_date("from", &input.from)?;
    let weeks = input.weeks;
    let transfers = with_scheme(&state, move |store, scheme| {
        let batch = store.budget_payments(scheme, from, weeks)?;
        store.post(&batch).map_err(ApiError::from)
    })
    .await?;
    let created = transfers.iter().filter(|t| t.status == PostStatus::Created).count();
    let already_recorded = transfers.len().saturating_sub(created);
    Ok(Json(PaymentsResponse { from, weeks, created, already_recorded, transfers }).into_response())
}

/// Body of `POST /api/budgets/monitoring`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MonitoringRequest {
    /// The day looked at, `YYYY-MM-DD`.
    pub on: String,
    /// The threshold: a stream's balance above this many weeks of its payment is raised
    /// (1 to 52).
    #[schema(example = 2)]
    pub weeks: u32,
}

/// A review monitoring raised (who it is about is read from `GET /api/budgets/reviews`).
#[derive(Debug, Serialize, ToSchema)]
pub struct RaisedReview {
    pub id: i64,
    pub stream: String,
    /// The balance above the threshold, proposed for recovery.
    pub proposed_recovery: String,
}

/// What monitoring raised.
#[derive(Debug, Serialize, ToSchema)]
pub struct MonitoringResponse {
    pub on: NaiveDate,
    pub weeks: u32,
    pub raised: Vec<RaisedReview>,
}

/// Look at every live direct payment: where a stream's balance is above the threshold,
/// raise a review proposing to recover the excess, and put the budget under review.
/// Nothing moves until a finance officer decides. The answer names no person: the
/// reviews are read (and that read audited per person) at `GET /api/budgets/reviews`.
#[utoipa::path(
    post,
    path = "/api/budgets/monitoring",
    tag = "budgets",
    request_body(content = MonitoringRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The reviews raised (none when every balance is within the threshold or already under review).", body = MonitoringResponse),
        (status = 400, description = "The body is not a monitoring run.", body = ErrorBody),
        (status = 401, description = "No valid session or bearer token.", body = ErrorBody),
        (status = 403, description = "Only finance (or a token with `ledger:write`) runs monitoring.", body = ErrorBody),
        (status = 422, description = "`on` or `weeks` is not valid.", body = ErrorBody),
    )
)]
pub async fn monitor(
    State(state): State<AppState>,
    allowed: Allowed<PayingBudgets>,
    JsonBody(input): JsonBody<MonitoringRequest>,
) -> Result<Json<MonitoringResponse>, ApiError> {
    let on = parse_date("on", &input.on)?;
    let weeks = input.weeks;
    let by = allowed.principal.username.clone();
    let raised = state.run(move |store| store.monitor_direct_payments(on, weeks, &by)).await?;
    let raised = raised
        .into_iter()
        .map(|r| RaisedReview {
            id: r.id,
            stream: r.stream,
            proposed_recovery: r.proposed_recovery.to_plain_string(),
        })
        .collect();
    Ok(Json(MonitoringResponse { on, weeks, raised }))
}

/// Query of `GET /api/budgets/reviews`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReviewsQuery {
    /// Only reviews not yet decided.
    pub open: Option<bool>,
}

/// Direct-payment reviews, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewsResponse {
    #[schema(value_type = Vec<crate::schema::DpReview>)]
    pub reviews: Vec<DpReview>,
}

/// Show each person a list of reviews names, through the person's access decision: one
/// audited read per person, and the first refusal refuses the list.
async fn authorize_people_in(
    state: &AppState,
    caller: &Caller,
    reviews: &[DpReview],
    target: &str,
) -> Result<(), ApiError> {
    let people: BTreeSet<&str> = reviews.iter().map(|r| r.person_code.as_str()).collect();
    for code in people {
        match people::authorize_person(state, caller, code, false, target).await {
            // A review of someone the register no longer holds: the decision was made.
            Ok(_) | Err(Denied::Failed(ApiError::NotFound { what: "person", .. })) => {}
            Err(denied) => return Err(denied.into()),
        }
    }
    Ok(())
}

/// Direct-payment reviews raised by monitoring, newest first (only the undecided ones
/// with `?open=true`): the person, the stream, the balance, the threshold and the
/// recovery proposed, and any decision. Finance and auditors (the access decision's
/// `ListAllPeople`, as the reviews page); each person listed is an audited read of their
/// record.
#[utoipa::path(
    get,
    path = "/api/budgets/reviews",
    tag = "budgets",
    params(ReviewsQuery),
    responses(
        (status = 200, description = "The reviews.", body = ReviewsResponse),
        (status = 401, description = "No valid session or bearer token.", body = ErrorBody),
        (status = 403, description = "Only finance and auditors read reviews (a token also needs `people:read`: they name people).", body = ErrorBody),
    )
)]
pub async fn reviews(
    State(state): State<AppState>,
    allowed: Allowed<crate::auth::AllPeople>,
    QueryParams(query): QueryParams<ReviewsQuery>,
) -> Result<Response, ApiError> {
    let open = query.open.unwrap_or(false);
    let reviews = state.run(move |store| store.dp_reviews(open)).await?;
    authorize_people_in(&state, &allowed.caller, &reviews, "/api/budgets/reviews").await?;
    Ok(Json(ReviewsResponse { reviews }).into_response())
}

/// Body of `POST /api/budgets/reviews/{id}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    /// The amount to recover (no more than proposed, nor than the balance now), pounds as
    /// a string; null to leave the money with the person.
    #[serde(default)]
    #[schema(example = "340.00")]
    pub recover: Option<String>,
    /// Why: what the person and the practitioner agreed.
    pub note: String,
}

/// A decided review and what moved.
#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionResponse {
    #[schema(value_type = crate::schema::DpReview)]
    pub review: DpReview,
    /// The recovery's transfer (none when the money stays with the person).
    #[schema(value_type = Vec<crate::schema::PostedTransfer>)]
    pub transfers: Vec<PostedTransfer>,
}

/// Decide a review: recover unspent direct payment from the person's account back to the
/// funder, or leave it with a note. Only a signed-in finance officer: no token may.
#[utoipa::path(
    post,
    path = "/api/budgets/reviews/{id}",
    tag = "budgets",
    params(("id" = i64, Path, description = "The review's id.")),
    request_body(content = DecisionRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Decided; the review and any recovery posted.", body = DecisionResponse),
        (status = 400, description = "The body is not a decision.", body = ErrorBody),
        (status = 401, description = "Not signed in.", body = ErrorBody),
        (status = 403, description = "Only a signed-in finance officer decides (no token may).", body = ErrorBody),
        (status = 404, description = "No such review.", body = ErrorBody),
        (status = 422, description = "The amount is more than proposed or than the balance (`amount`), the note is empty (`note`), or the review is already decided (`budget_refused`). Nothing moved.", body = ErrorBody),
    )
)]
pub async fn decide_review(
    State(state): State<AppState>,
    allowed: Allowed<DecidingRecoveries>,
    PathParams(id): PathParams<i64>,
    JsonBody(input): JsonBody<DecisionRequest>,
) -> Result<Json<DecisionResponse>, ApiError> {
    let recover = input
        .recover
        .as_deref()
        .map(|text| amount("recover", text))
        .transpose()
        .map_err(ApiError::from)?;
    let by = allowed.principal.username.clone();
    // A decision moves a person's money: one audited read of their record names them.
    let review = state
        .run(move |store| store.dp_review(id).map_err(ApiError::from))
        .await?
        .ok_or_else(|| ApiError::NotFound { what: "review", code: id.to_string() })?;
    let target = format!("/api/budgets/reviews/{id}");
    people::authorize_person(&state, &allowed.caller, &review.person_code, false, &target).await?;
    let (review, transfers) = with_scheme(&state, move |store, scheme| {
        store.decide_dp_review(scheme, id, recover, &input.note, &by)
    })
    .await?;
    Ok(Json(DecisionResponse { review, transfers }))
}

// ----- a funder's statement -----

/// Query of `GET /api/funders/{stream}/statement`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FunderQuery {
    /// The day whose live budgets are counted, `YYYY-MM-DD` (default today).
    pub on: Option<String>,
    /// First day of the money moved (default: 1 April of the financial year of `on`).
    pub from: Option<String>,
    /// Last day of the money moved (default: 31 March ending that year).
    pub to: Option<String>,
}

/// A funder's share of every budget.
#[derive(Debug, Serialize, ToSchema)]
pub struct FunderStatementResponse {
    pub on: NaiveDate,
    pub from: NaiveDate,
    pub to: NaiveDate,
    #[schema(value_type = crate::schema::FunderStatement)]
    pub statement: FunderStatement,
}

/// The financial year (1 April to 31 March) containing `on`.
fn financial_year_of(on: NaiveDate) -> (NaiveDate, NaiveDate) {
    FinancialYear::containing(on).map_or((on, on), |year| (year.first_day(), year.last_day()))
}

/// One funder's share of every live budget on a day (how many, the weekly amounts, by
/// delivery mode) and the money moved in its stream to and from people's budgets over a
/// period. Whole-system figures: no person is in it.
#[utoipa::path(
    get,
    path = "/api/funders/{stream}/statement",
    tag = "budgets",
    params(("stream" = String, Path, description = "The funding stream, e.g. `PHB`."), FunderQuery),
    responses(
        (status = 200, description = "The funder's statement; it names no person.", body = FunderStatementResponse),
        (status = 401, description = "No valid session or bearer token.", body = ErrorBody),
        (status = 403, description = "The caller may not read aggregates.", body = ErrorBody),
        (status = 422, description = "The stream is not one of the scheme's (`stream`), or a date is not valid.", body = ErrorBody),
    )
)]
pub async fn funder_statement(
    State(state): State<AppState>,
    _allowed: Allowed<Aggregates>,
    PathParams(stream): PathParams<String>,
    QueryParams(query): QueryParams<FunderQuery>,
) -> Result<Response, ApiError> {
    let on = optional_date("on", query.on.as_deref())?.unwrap_or_else(today);
    let (year_from, year_to) = financial_year_of(on);
    let from = optional_date("from", query.from.as_deref())?.unwrap_or(year_from);
    let to = optional_date("to", query.to.as_deref())?.unwrap_or(year_to);
    period_in_order(from, to)?;
    let statement = with_scheme(&state, move |store, scheme| {
        store.funder_statement(scheme, &stream, on, from, to)
    })
    .await?;
    Ok(Json(FunderStatementResponse { on, from, to, statement }).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_financial_year_runs_from_april_to_march() {
        let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("a date");
        assert_eq!(financial_year_of(date(2024, 11, 6)), (date(2024, 4, 1), date(2025, 3, 31)));
        assert_eq!(financial_year_of(date(2025, 3, 31)), (date(2024, 4, 1), date(2025, 3, 31)));
        assert_eq!(financial_year_of(date(2025, 4, 1)), (date(2025, 4, 1), date(2026, 3, 31)));
    }

    #[test]
    fn client_keys_are_kept_apart_per_person_and_must_be_given() {
        assert_eq!(key("spend", "P1", " r1 ").expect("a key"), "spend/P1/r1");
        assert_eq!(key("spend", "P1", "  ").expect_err("empty").field, "key");
    }
}
