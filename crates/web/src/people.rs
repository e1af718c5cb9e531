//! People's records over the API, and the checks that guard them: a person's record,
//! who has looked at it, whole-system spend (no person in it), and the audit log.
//!
//! [`authorize_person`] is how any handler (API or page) reaches a person's record: it
//! reads the person's team, asks the one access decision through
//! [`Caller::authorize`], and only then hands the record back. A person who does not
//! exist is reported as missing only to callers who may read everyone; anyone else gets
//! the same refusal as for a person who exists, so codes cannot be probed.

use axum::Json;
use axum::extract::State;
use chrono::NaiveDate;
use onebudget_core::access::{Action, PersonRef, Principal};
use onebudget_core::ledger::{AccountCode, Owner, parse_date};
use onebudget_store::{AuditFilter, AuditRecord, PersonRecord, SpendRow, Store, StoreError};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{Aggregates, Allowed, AuditLog, Caller, Denied};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{PathParams, QueryParams};
use crate::state::AppState;

/// Read person `code` for `caller` if the access decision allows it (audited).
pub async fn authorize_person(
    state: &AppState,
    caller: &Caller,
    code: &str,
    log_view: bool,
    target: &str,
) -> Result<(Principal, PersonRecord), Denied> {
    let read = |store: &Store, code: &str| Ok(store.person(code)?.map(|person| (person, ())));
    let (principal, person, ()) =
        authorize_person_with(state, caller, code, log_view, target, read).await?;
    Ok((principal, person))
}

/// [`authorize_person`], with more of the person's data read by `read` in the same store
/// call (one transaction where `read` makes it one). The record is needed for the access
/// decision (which team holds it), so it is read first; nothing `read` returns reaches the
/// caller unless the decision allows it and its audit row is committed.
pub async fn authorize_person_with<T: Send + 'static>(
    state: &AppState,
    caller: &Caller,
    code: &str,
    log_view: bool,
    target: &str,
    read: impl FnOnce(&Store, &str) -> Result<Option<(PersonRecord, T)>, StoreError> + Send + 'static,
) -> Result<(Principal, PersonRecord, T), Denied> {
    if caller.principal.is_none() {
        caller.authorize(state, Action::ReadPerson(PersonRef { code, team: "" }), target).await?;
    }
    let wanted = code.to_owned();
    let found = state.run(move |store| read(store, &wanted)).await.map_err(Denied::Failed)?;
    let team = found.as_ref().map_or("", |(p, _)| p.team.as_str());
    let reference = PersonRef { code, team };
    let action = if log_view {
        Action::ReadPersonAccessLog(reference)
    } else {
        Action::ReadPerson(reference)
    };
    let principal = caller.authorize(state, action, target).await?;
    match found {
        Some((person, more)) => Ok((principal, person, more)),
        None => Err(Denied::Failed(ApiError::NotFound { what: "person", code: code.to_owned() })),
    }
}

/// May `caller` read account `code`'s statement? A person's account needs access to the
/// person; any other account needs the ledger.
pub async fn authorize_account(
    state: &AppState,
    caller: &Caller,
    code: &AccountCode,
) -> Result<(), ApiError> {
    let target = format!("/api/accounts/{}/statement", code.as_str());
    if caller.principal.is_none() {
        caller.authorize(state, Action::ReadLedger, &target).await?;
    }
    let wanted = code.clone();
    let account = state.run(move |store| store.account(&wanted)).await?;
    match account.as_ref().map(|a| a.owner()) {
        Some(Owner::Person(person)) => {
            match authorize_person(state, caller, person.as_str(), false, &target).await {
                // An account opened for a person the register does not hold (a ledger
                // loaded without people): the decision was still made, and allowed.
                Ok(_) | Err(Denied::Failed(ApiError::NotFound { what: "person", .. })) => {}
                Err(denied) => return Err(denied.into()),
            }
        }
        _ => {
            caller.authorize(state, Action::ReadLedger, &target).await?;
        }
    }
    Ok(())
}

/// Whether the ledger lists for `allowed`'s caller may include people's own accounts:
/// only for someone who may see everyone (finance, auditors; a token also needs
/// `people:read`). When they may, the listing is audited as a read of everyone.
pub async fn may_list_people(
    state: &AppState,
    caller: &Caller,
    target: &str,
) -> Result<bool, ApiError> {
    let Some(principal) = &caller.principal else { return Ok(false) };
    if onebudget_core::access::decide(principal, &Action::ListAllPeople).is_err() {
        return Ok(false);
    }
    caller.authorize(state, Action::ListAllPeople, target).await?;
    Ok(true)
}

/// A person's record.
#[utoipa::path(
    get,
    path = "/api/people/{code}",
    tag = "people",
    params(("code" = String, Path, description = "The person's code, e.g. P000123.")),
    responses(
        (status = 200, description = "The record.", body = PersonResponse),
        (status = 401, description = "No valid session or bearer token.", body = ErrorBody),
        (status = 403, description = "The caller may not see this person (the refusal is audited).", body = ErrorBody),
        (status = 404, description = "No such person (told only to callers who may read everyone).", body = ErrorBody),
    )
)]
pub async fn person(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(code): PathParams<String>,
) -> Result<Json<PersonResponse>, ApiError> {
    let target = format!("/api/people/{code}");
    let (_, person) = authorize_person(&state, &caller, &code, false, &target).await?;
    let wanted = code.clone();
    let on = crate::clock::today();
    let (accounts, budget) = state
        .run(move |store| {
            Ok::<_, StoreError>((
                store.person_account_codes(&wanted)?,
                store.budget_summary_on(&wanted, on)?,
            ))
        })
        .await?;
    Ok(Json(PersonResponse {
        person: person.into(),
        budget: budget.map(|b| PersonBudgetView::new(b, on)),
        accounts,
    }))
}

/// Who has looked at a person's record: every access to it in the audit log, newest first.
/// The NHS Care Record Guarantee promises people this.
#[utoipa::path(
    get,
    path = "/api/people/{code}/access-log",
    tag = "people",
    params(("code" = String, Path, description = "The person's code.")),
    responses(
        (status = 200, description = "Each access: who, their role, when, what, and the outcome.", body = AccessLogResponse),
        (status = 401, description = "No valid session or bearer token.", body = ErrorBody),
        (status = 403, description = "Only the person and auditors may see this.", body = ErrorBody),
    )
)]
pub async fn access_log(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(code): PathParams<String>,
) -> Result<Json<AccessLogResponse>, ApiError> {
    let target = format!("/api/people/{code}/access-log");
    authorize_person(&state, &caller, &code, true, &target).await?;
    let filter = AuditFilter { person_code: Some(code), ..AuditFilter::default() };
    let rows = state.run(move |store| store.audit_search(&filter, 500)).await?;
    // What the person's own page shows: not staff members' addresses or internal ids.
    let entries = rows
        .into_iter()
        .map(|r| AccessLogEntry {
            at: r.entry.at,
            who: r.entry.actor,
            role: r.entry.role,
            action: r.entry.action,
            target: r.entry.target,
            outcome: r.entry.outcome,
        })
        .collect();
    Ok(Json(AccessLogResponse { entries }))
}

/// One look at a person's record, as the person sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccessLogEntry {
    /// When (UTC).
    pub at: String,
    /// The user name.
    pub who: String,
    pub role: Option<String>,
    pub action: String,
    pub target: String,
    /// `allowed`, `refused`, `success` or `failure`.
    pub outcome: String,
}

/// Who has looked at a person's record, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccessLogResponse {
    pub entries: Vec<AccessLogEntry>,
}

/// Query of `GET /api/reports/spend`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SpendQuery {
    /// First day, `YYYY-MM-DD` (default: the first day of the financial year before the
    /// one of the latest spending recorded).
    pub from: Option<String>,
    /// Last day, `YYYY-MM-DD` (default: the last day of the financial year of the latest
    /// spending recorded).
    pub to: Option<String>,
}

/// Whole-system spend by month, funding stream and paying organisation.
#[utoipa::path(
    get,
    path = "/api/reports/spend",
    tag = "reports",
    params(SpendQuery),
    responses(
        (status = 200, description = "Spend rows; none names a person.", body = SpendResponse),
        (status = 401, description = "No valid session or bearer token.", body = ErrorBody),
        (status = 403, description = "The caller may not read aggregates.", body = ErrorBody),
        (status = 422, description = "A date is not valid.", body = ErrorBody),
    )
)]
pub async fn spend(
    State(state): State<AppState>,
    _allowed: Allowed<Aggregates>,
    QueryParams(query): QueryParams<SpendQuery>,
) -> Result<Json<SpendResponse>, ApiError> {
    let latest = state.run(|store| store.latest_effective_date()).await?;
    let default = default_spend_period(latest, crate::clock::today());
    let (from, to) = spend_range(query.from.as_deref(), query.to.as_deref(), default)?;
    let rows = state.run(move |store| store.spend_by_month(from, to)).await?;
    Ok(Json(SpendResponse { from, to, rows }))
}

/// The period a spend report covers when none is asked for: the financial year of the
/// latest spending recorded (or of `today`, when there is none, or when the latest is dated
/// after today), and the year before it.
pub fn default_spend_period(latest: Option<NaiveDate>, today: NaiveDate) -> (NaiveDate, NaiveDate) {
    let end = latest.filter(|d| *d <= today).unwrap_or(today);
    match onebudget_core::pool::FinancialYear::containing(end) {
        Some(year) => {
            let first = year.previous().unwrap_or(year);
            (first.first_day(), year.last_day())
        }
        None => (end, end),
    }
}

/// The period of a spend report: `from` and `to` as given, each defaulting to `default`'s.
pub fn spend_range(
    from: Option<&str>,
    to: Option<&str>,
    default: (NaiveDate, NaiveDate),
) -> Result<(NaiveDate, NaiveDate), ApiError> {
    let from = match from.filter(|s| !s.is_empty()) {
        Some(text) => parse_date("from", text)?,
        None => default.0,
    };
    let to = match to.filter(|s| !s.is_empty()) {
        Some(text) => parse_date("to", text)?,
        None => default.1,
    };
    if to < from {
        return Err(onebudget_core::field::FieldError::new(
            "to",
            &to.to_string(),
            format!("the period would end before it starts ({from})"),
        )
        .into());
    }
    Ok((from, to))
}

/// Query of `GET /api/audit`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only this user name.
    pub actor: Option<String>,
    /// Only accesses to this person's record.
    pub person: Option<String>,
    /// Only this action, e.g. `read_person`, `sign_in`.
    pub action: Option<String>,
    /// Only this outcome: `allowed`, `refused`, `success`, `failure`.
    pub outcome: Option<String>,
    /// From this day (UTC), `YYYY-MM-DD`.
    pub from: Option<String>,
    /// To this day (UTC), `YYYY-MM-DD`.
    pub to: Option<String>,
}

/// The outcomes an audit row can have.
const AUDIT_OUTCOMES: [&str; 4] = ["allowed", "refused", "success", "failure"];

impl AuditQuery {
    /// The store's filter, with dates checked.
    pub fn filter(&self) -> Result<AuditFilter, ApiError> {
        let date = |field: &str, value: &Option<String>| {
            value.as_deref().filter(|v| !v.is_empty()).map(|v| parse_date(field, v)).transpose()
        };
        let text = |value: &Option<String>| {
            value.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned)
        };
        let outcome = text(&self.outcome);
        if let Some(outcome) = &outcome
            && !AUDIT_OUTCOMES.contains(&outcome.as_str())
        {
            return Err(ApiError::InvalidQueryParameter {
                parameter: "outcome",
                message: format!(
                    "the outcome is one of {} (got {})",
                    AUDIT_OUTCOMES.join(", "),
                    onebudget_core::field::quoted(outcome)
                ),
            });
        }
        Ok(AuditFilter {
            actor: text(&self.actor),
            person_code: text(&self.person),
            action: text(&self.action),
            outcome,
            from: date("from", &self.from)?,
            to: date("to", &self.to)?,
            before_id: None,
        })
    }
}

/// Search the audit log, newest first (at most 1,000 rows; `onebudget audit export` gives
/// all of them).
#[utoipa::path(
    get,
    path = "/api/audit",
    tag = "audit",
    params(AuditQuery),
    responses(
        (status = 200, description = "Matching rows, newest first.", body = AuditResponse),
        (status = 401, description = "No valid session or bearer token.", body = ErrorBody),
        (status = 403, description = "Only auditors may read the audit log.", body = ErrorBody),
    )
)]
pub async fn audit(
    State(state): State<AppState>,
    _allowed: Allowed<AuditLog>,
    QueryParams(query): QueryParams<AuditQuery>,
) -> Result<Json<AuditResponse>, ApiError> {
    let filter = query.filter()?;
    let entries = state.run(move |store| store.audit_search(&filter, 1000)).await?;
    Ok(Json(AuditResponse { entries }))
}

/// Record a financial assessment against a person: the same assessment as
/// `POST /api/financial-assessments`, kept with who recorded it and when.
///
/// Recorded assessments are never changed: a reassessment is a new record, so the
/// history of what the person was told stays whole.
#[utoipa::path(
    post,
    path = "/api/people/{code}/financial-assessments",
    tag = "people",
    params(("code" = String, Path, description = "The person's code.")),
    request_body(content = crate::schema::CaseInput, content_type = "application/json"),
    responses(
        (status = 201, description = "Recorded; the body is the record with the explained result.", body = AssessmentView),
        (status = 400, description = "The body is not a case.", body = ErrorBody),
        (status = 401, description = "No valid session or bearer token.", body = ErrorBody),
        (status = 403, description = "Only finance officers (or a finance system's token with `assess`) record assessments.", body = ErrorBody),
        (status = 404, description = "No such person.", body = ErrorBody),
        (status = 422, description = "The case cannot be assessed (as for `POST /api/financial-assessments`).", body = ErrorBody),
    )
)]
pub async fn record_assessment(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(code): PathParams<String>,
    request: axum::extract::Request,
) -> Result<
    (axum::http::StatusCode, [(axum::http::HeaderName, String); 1], Json<AssessmentView>),
    ApiError,
> {
    let target = format!("/api/people/{code}/financial-assessments");
    // Who may do this is decided before the body is read.
    if caller.principal.is_none() {
        caller
            .authorize(
                &state,
                Action::RecordAssessment(PersonRef { code: &code, team: "" }),
                &target,
            )
            .await?;
    }
    let wanted = code.clone();
    let person = state.run(move |store| store.person(&wanted)).await?;
    let team = person.as_ref().map_or("", |p| p.team.as_str());
    let principal = caller
        .authorize(&state, Action::RecordAssessment(PersonRef { code: &code, team }), &target)
        .await?;
    if person.is_none() {
        return Err(ApiError::NotFound { what: "person", code });
    }
    // Only now, with the caller allowed, is the body read.
    crate::extract::check_content_type(request.headers())?;
    let body =
        axum::body::to_bytes(request.into_body(), crate::BODY_LIMIT_BYTES).await.map_err(|_| {
            ApiError::BodyUnreadable {
                too_large: true,
                message: "the request body could not be read, or is over 16 MiB".into(),
            }
        })?;
    let input: onebudget_core::assessment::CaseInput = crate::extract::parse_json(&body)?;
    let explanation = crate::assessment::assess_case(&input)?;
    let case_json = serde_json::to_string(&input)
        .map_err(|e| ApiError::Internal(format!("writing the case: {e}")))?;
    let explanation_json = serde_json::to_string(&explanation)
        .map_err(|e| ApiError::Internal(format!("writing the explanation: {e}")))?;
    let nation = serde_json::to_value(explanation.nation)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let date = explanation.date;
    let charge = explanation.outcome.weekly_charge.pence();
    let username = principal.username.clone();
    let person_code = code.clone();
    let location = format!("/api/people/{code}/financial-assessments");
    let record = state
        .run(move |store| {
            store.record_assessment(&onebudget_store::NewAssessment {
                person_code: &person_code,
                recorded_by: &username,
                nation: &nation,
                effective_date: date,
                weekly_charge_pence: charge,
                case_json: &case_json,
                explanation_json: &explanation_json,
            })
        })
        .await?;
    Ok((
        axum::http::StatusCode::CREATED,
        [(axum::http::header::LOCATION, location)],
        Json(AssessmentView::try_from(record)?),
    ))
}

/// A person's recorded financial assessments, newest first.
#[utoipa::path(
    get,
    path = "/api/people/{code}/financial-assessments",
    tag = "people",
    params(("code" = String, Path, description = "The person's code.")),
    responses(
        (status = 200, description = "Every recorded assessment, newest first.", body = AssessmentsResponse),
        (status = 401, description = "No valid session or bearer token.", body = ErrorBody),
        (status = 403, description = "The caller may not see this person.", body = ErrorBody),
    )
)]
pub async fn assessments(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(code): PathParams<String>,
) -> Result<Json<AssessmentsResponse>, ApiError> {
    let target = format!("/api/people/{code}/financial-assessments");
    authorize_person(&state, &caller, &code, false, &target).await?;
    let records = state.run(move |store| store.assessments_for(&code)).await?;
    let assessments =
        records.into_iter().map(AssessmentView::try_from).collect::<Result<Vec<_>, _>>()?;
    Ok(Json(AssessmentsResponse { assessments }))
}

/// A recorded financial assessment.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssessmentView {
    pub id: i64,
    pub person: String,
    /// When it was recorded (UTC).
    pub recorded_at: String,
    /// The user name of who recorded it.
    pub recorded_by: String,
    /// The weekly charge, pounds as a string.
    pub weekly_charge: String,
    /// The case as given.
    #[schema(value_type = Object)]
    pub case: serde_json::Value,
    /// The result with every explained step, as `POST /api/financial-assessments` gives it.
    #[schema(value_type = Object)]
    pub explanation: serde_json::Value,
}

impl TryFrom<onebudget_store::AssessmentRecord> for AssessmentView {
    type Error = ApiError;
    fn try_from(r: onebudget_store::AssessmentRecord) -> Result<AssessmentView, ApiError> {
        let json = |text: &str| {
            serde_json::from_str(text)
                .map_err(|e| ApiError::Internal(format!("a stored assessment cannot be read: {e}")))
        };
        Ok(AssessmentView {
            id: r.id,
            weekly_charge: onebudget_core::Money::from_pence(r.weekly_charge_pence)
                .to_plain_string(),
            case: json(&r.case_json)?,
            explanation: json(&r.explanation_json)?,
            person: r.person_code,
            recorded_at: r.recorded_at,
            recorded_by: r.recorded_by,
        })
    }
}

/// A person's recorded assessments.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssessmentsResponse {
    pub assessments: Vec<AssessmentView>,
}

/// A person's record, their budget in force today and the ledger accounts they own.
#[derive(Debug, Serialize, ToSchema)]
pub struct PersonResponse {
    pub person: PersonView,
    /// The budget version in force today (in the UK), summarised; null when the person
    /// holds no budget. It is the version `GET /api/people/{code}/budget` gives as
    /// `current`: a person's budget is only ever a budget version.
    #[schema(required = true)]
    pub budget: Option<PersonBudgetView>,
    /// The codes of the person's ledger accounts.
    pub accounts: Vec<String>,
}

/// A person's details. Their budget is not a detail of the record: it is the budget
/// version in force (`budget` beside this, and `GET /api/people/{code}/budget`).
#[derive(Debug, Serialize, ToSchema)]
pub struct PersonView {
    pub code: String,
    pub given_name: String,
    pub family_name: String,
    pub nhs_number: String,
    pub birth_date: NaiveDate,
    pub team: String,
    pub setting: String,
    /// Who is responsible for the person's care: `social_care` or `continuing_healthcare`.
    pub funding: String,
}

impl From<PersonRecord> for PersonView {
    fn from(p: PersonRecord) -> PersonView {
        PersonView {
            code: p.code,
            given_name: p.given_name,
            family_name: p.family_name,
            nhs_number: p.nhs_number,
            birth_date: p.birth_date,
            team: p.team,
            setting: p.setting,
            funding: p.funding,
        }
    }
}

/// The budget version in force on a day, as a person's record shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PersonBudgetView {
    /// The day it is in force on (today in the UK).
    pub on: NaiveDate,
    pub version: i64,
    #[schema(value_type = crate::schema::BudgetStatus)]
    pub status: onebudget_core::budget::plan::Status,
    pub effective_from: NaiveDate,
    /// The weekly budget: the components' agreed amounts, pounds as a string.
    pub weekly_budget: String,
    /// What the person pays each week, pounds as a string.
    pub weekly_contribution: String,
    /// One per funding stream: who funds it, how it is held, what is agreed and paid.
    #[schema(value_type = Vec<crate::schema::BudgetComponent>)]
    pub components: Vec<onebudget_core::budget::plan::Component>,
}

impl PersonBudgetView {
    fn new(summary: onebudget_store::BudgetSummary, on: NaiveDate) -> PersonBudgetView {
        PersonBudgetView {
            on,
            version: summary.version,
            status: summary.status,
            effective_from: summary.effective_from,
            weekly_budget: summary.weekly_budget.to_plain_string(),
            weekly_contribution: summary.weekly_contribution.to_plain_string(),
            components: summary.components,
        }
    }
}

/// Audit rows.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditResponse {
    #[schema(value_type = Vec<Object>)]
    pub entries: Vec<AuditRecord>,
}

/// Spend rows for a period.
#[derive(Debug, Serialize, ToSchema)]
pub struct SpendResponse {
    pub from: NaiveDate,
    pub to: NaiveDate,
    #[schema(value_type = Vec<Object>)]
    pub rows: Vec<SpendRow>,
}
