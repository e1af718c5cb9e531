//! The integrated personal budgets' pages, for each role that works with them.
//!
//! For a practitioner, about a person on their team's caseload (linked from
//! `/people/{code}`): `/people/{code}/needs-assessment` (the questionnaire in force, each
//! domain a group of radios), `/people/{code}/budget` (the result: points by domain, each
//! stream's eligibility with its reason, the RAS's indicative amounts step by step, and
//! the budget's allocation line by line, unfunded lines flagged), `/people/{code}/budget/plan`
//! (the support plan's lines, a form to add one, and each component's agreed amount, delivery
//! mode and provider; per line, how it was funded, a form that fixes its split between the
//! components with a reason, `…/lines/{n}/split`, and one that removes it with a reason,
//! `…/lines/{n}/remove`) and `/people/{code}/budget/review` (every version, and the form
//! that moves the status). Each save is a new budget version through the store's
//! `record_budget`: the previous version's plan plus the change. The practitioner (or a
//! finance officer) records spending on the person's behalf at
//! `/people/{code}/budget/spending`, the same form as the person's own.
//!
//! For the person (below `/my-budget`): their budget (who funds what, what they pay), their
//! plan, a form to record spending from a direct payment against a plan line with its
//! receipt, and their one statement across every stream: a page, a printable page
//! (`?print=1`) and a CSV download, in plain English.
//!
//! For finance: `/budgets/payments` (pay every live budget for a period, showing what was
//! posted; and pay one provider's invoice from a person's Individual Service Fund, managed
//! or notional component, posted to `/budgets/invoices` with a one-off key) and `/budgets/reviews` (run direct-payment monitoring; confirm or dismiss each
//! proposed recovery; the decided ones).
//!
//! Every request passes `Caller::authorize` (a person's pages through
//! `people::authorize_person`, or the `PlanBudget`/`RecordSpending` decision for a change),
//! which writes the audit row first. Forms carry the session's CSRF token; a form with a
//! mistake is shown again (422) with an error summary linking to each field, and nothing is
//! saved. No JavaScript.

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use maud::{Markup, html};
use onebudget_core::Money;
use onebudget_core::access::{Action, PersonRef, Principal, decide};
use onebudget_core::budget::BudgetError;
use onebudget_core::budget::config::{Charging, Scheme};
use onebudget_core::budget::needs::{Answers, Decision, Scores};
use onebudget_core::budget::plan::{
    BudgetDecision, ComponentInput, DeliveryMode, LineInput, OverrideInput, PlanInput, SplitInput,
    Status,
};
use onebudget_core::budget::ras;
use onebudget_core::ledger::{Transfer, TransferError};
use onebudget_store::{
    BudgetChange, BudgetStoreError, BudgetVersion, DpReview, NeedsAssessmentRecord, PersonRecord,
    PersonStatement, PostError, PostStatus, PostedTransfer, budget_account,
};
use serde::Deserialize;

use crate::auth::{Caller, Denied};
use crate::csrf::{FIELD, token_matches};
use crate::error::ApiError;
use crate::extract::{PathParams, QueryParams};
use crate::pages::form::{FieldErrors, InputKind, Radios, Select, TextInput, error_summary};
use crate::pages::layout::{HtmlPage, SignedIn, print_document, signed_in_page};
use crate::pages::roles::{denied, failed, message_page, render, see_other};
use crate::people::authorize_person;
use crate::state::AppState;

/// The ledger account spending from a direct payment goes to (what the person bought).
pub const SPEND_ACCOUNT: &str = "DP-SPEND";

// ---------------------------------------------------------------------------------------
// Shared pieces

/// A form as sent: every `name=value` pair, in order.
type FormPairs = Vec<(String, String)>;

fn value<'a>(form: &'a [(String, String)], name: &str) -> &'a str {
    form.iter().find(|(n, _)| n == name).map_or("", |(_, v)| v.as_str())
}

fn form_pairs(form: Result<Form<FormPairs>, FormRejection>) -> FormPairs {
    form.map(|Form(f)| f).unwrap_or_default()
}

fn today() -> NaiveDate {
    crate::people::today()
}

fn parse_day(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()
}

const DATE_HINT: &str = "Year, month and day, for example 2025-06-02";

fn long_date(date: NaiveDate) -> String {
    date.format("%-d %B %Y").to_string()
}

fn may(principal: &Principal, action: &Action<'_>) -> bool {
    decide(principal, action).is_ok()
}

/// A signed-in page sent with `status` (a form shown again with its errors is a 422).
fn render_status(
    caller: &Caller,
    principal: &Principal,
    status: StatusCode,
    title: &str,
    main: Markup,
) -> Response {
    if status == StatusCode::OK {
        return render(caller, principal, title, main);
    }
    let display_name = caller.display_name.clone().unwrap_or_else(|| principal.username.clone());
    let csrf_token = caller.csrf_token.clone().unwrap_or_default();
    let who =
        SignedIn { display_name: &display_name, role: principal.role, csrf_token: &csrf_token };
    let title = format!("Error: {title}");
    HtmlPage::private(status, signed_in_page(&title, &who, main)).into_response()
}

/// A form whose CSRF token does not match the session's.
fn form_unchecked(title: &str, back: &str) -> Response {
    HtmlPage::private(
        StatusCode::FORBIDDEN,
        crate::pages::layout::page(
            title,
            html! {
                h1 { (title) }
                p { "The form could not be checked, so nothing was changed. Go back to " a href=(back) { "the page" } " and send it again." }
            },
        ),
    )
    .into_response()
}

fn csrf_ok(caller: &Caller, form: &[(String, String)]) -> bool {
    token_matches(caller.csrf_token.as_deref(), Some(value(form, FIELD)))
}

/// The form sent, its CSRF token checked: or the page saying `not_done` (403), pointing
/// `back` to the form. (A refusal is boxed: a response is large beside what it stands for.)
fn checked_form(
    caller: &Caller,
    form: Result<Form<FormPairs>, FormRejection>,
    not_done: &str,
    back: &str,
) -> Result<FormPairs, Box<Response>> {
    let form = form_pairs(form);
    if csrf_ok(caller, &form) { Ok(form) } else { Err(Box::new(form_unchecked(not_done, back))) }
}

/// May `caller` do `action` (decided and audited first), and the form they sent, checked
/// as [`checked_form`] does: or the response that refuses it.
async fn authorized_form(
    state: &AppState,
    caller: &Caller,
    action: Action<'_>,
    target: &str,
    form: Result<Form<FormPairs>, FormRejection>,
    not_done: &str,
    back: &str,
) -> Result<(Principal, FormPairs), Box<Response>> {
    let principal =
        caller.authorize(state, action, target).await.map_err(|d| Box::new(denied(d)))?;
    Ok((principal, checked_form(caller, form, not_done, back)?))
}

/// A date (`YYYY-MM-DD`) in field `id`; `message` against the field when there is none.
fn required_day(
    form: &[(String, String)],
    errors: &mut FieldErrors,
    id: &str,
    message: &str,
) -> Option<NaiveDate> {
    let day = parse_day(value(form, id));
    if day.is_none() {
        errors.add(id, message);
    }
    day
}

/// The words in field `id`, trimmed; `message` against the field when there are none.
fn required_text(
    form: &[(String, String)],
    errors: &mut FieldErrors,
    id: &str,
    message: impl Into<String>,
) -> String {
    let text = value(form, id).trim().to_owned();
    if text.is_empty() {
        errors.add(id, message);
    }
    text
}

/// An amount of more than £0.00 in field `id`; `message` against the field otherwise.
fn positive_money(
    form: &[(String, String)],
    errors: &mut FieldErrors,
    id: &str,
    message: &str,
) -> Option<Money> {
    match Money::parse(value(form, id)) {
        Ok(m) if m.is_positive() => Some(m),
        _ => {
            errors.add(id, message);
            None
        }
    }
}

/// A whole number of weeks from 1 to `most` in field `id`; `message` against the field
/// otherwise.
fn weeks_up_to(
    form: &[(String, String)],
    errors: &mut FieldErrors,
    id: &str,
    most: u32,
    message: &str,
) -> Option<u32> {
    let weeks = value(form, id).trim().parse::<u32>().ok().filter(|w| (1..=most).contains(w));
    if weeks.is_none() {
        errors.add(id, message);
    }
    weeks
}

/// The client's one-off key in field `id`, if it is one (1 to 64 printable characters).
fn client_key(form: &[(String, String)], id: &str) -> Option<String> {
    let key = value(form, id).trim().to_owned();
    let ok = !key.is_empty() && key.len() <= 64 && key.chars().all(|c| c.is_ascii_graphic());
    ok.then_some(key)
}

/// The form shown again with the mistakes the store found (`errors`), or the fault of the
/// server that kept it from saying.
async fn shown_again<F>(
    errors: Result<FieldErrors, ApiError>,
    again: impl FnOnce(FieldErrors) -> F,
) -> Response
where
    F: Future<Output = Response>,
{
    match errors {
        Ok(errors) => again(errors).await,
        Err(e) => failed(e),
    }
}

fn csrf_field(caller: &Caller) -> Markup {
    html! { input type="hidden" name=(FIELD) value=(caller.csrf_token.as_deref().unwrap_or("")); }
}

fn done_panel(done: Option<&str>) -> Markup {
    html! {
        @if let Some(done) = done {
            div.panel role="status" { h2 { "Done" } p { (done) } }
        }
    }
}

fn scheme(state: &AppState) -> Result<Scheme, ApiError> {
    state.scheme().cloned().map_err(ApiError::Internal)
}

/// Why a budget operation was refused, as field errors on the form (`field_id` names a
/// field of the store's for the form's own): a field the store names, or the form's
/// `general` field for a refusal about the whole. Faults of the server are `Err`.
fn budget_errors(
    error: BudgetStoreError,
    general: &str,
    field_id: impl Fn(&str) -> Option<String>,
) -> Result<FieldErrors, ApiError> {
    let mut errors = FieldErrors::new();
    match error {
        BudgetStoreError::Budget(BudgetError::Field(e)) => {
            let id = field_id(&e.field).unwrap_or_else(|| general.to_owned());
            errors.add(&id, sentence(&e.problem));
        }
        BudgetStoreError::Budget(BudgetError::Money(e)) => {
            errors.add(general, sentence(&e.to_string()));
        }
        BudgetStoreError::Budget(BudgetError::Refused(message))
        | BudgetStoreError::Refused(message)
        | BudgetStoreError::NotFound(message) => errors.add(general, sentence(&message)),
        BudgetStoreError::Post(onebudget_store::PostError::Rejected(e)) => {
            errors.add(general, sentence(&e.to_string()));
        }
        BudgetStoreError::Budget(BudgetError::Internal(what)) => {
            return Err(ApiError::Internal(what.to_owned()));
        }
        BudgetStoreError::Post(onebudget_store::PostError::Store(e))
        | BudgetStoreError::Store(e) => return Err(ApiError::Store(e)),
    }
    Ok(errors)
}

/// A message as a sentence: a capital first letter.
pub(super) fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

pub(super) fn status_words(status: Status) -> &'static str {
    match status {
        Status::Draft => "Draft",
        Status::Agreed => "Agreed",
        Status::Active => "Active",
        Status::UnderReview => "Under review",
        Status::Ended => "Ended",
    }
}

pub(super) fn funder_words(funder: &str) -> String {
    match funder {
        "ICB" => "the NHS (the integrated care board)".to_owned(),
        "COUNCIL" => "the council".to_owned(),
        other => other.to_owned(),
    }
}

fn charging_words(charging: Charging) -> &'static str {
    match charging {
        Charging::Free => "Free: NHS money, never charged",
        Charging::Grant => "A grant, not charged",
        Charging::MeansTested => "Means-tested: the person's contribution applies",
    }
}

pub(super) fn stream_name(scheme: &Scheme, code: &str) -> String {
    scheme.stream(code).map_or_else(|| code.to_owned(), |s| s.name.clone())
}

fn category_title(scheme: &Scheme, code: &str) -> String {
    scheme
        .categories
        .iter()
        .find(|c| c.code == code)
        .map_or_else(|| code.to_owned(), |c| sentence(&c.title))
}

// ---------------------------------------------------------------------------------------
// A person's record of budgets, for the practitioner's pages

/// The person's needs assessments (newest first) and budget versions (oldest first).
struct Record {
    assessments: Vec<NeedsAssessmentRecord>,
    versions: Vec<BudgetVersion>,
}

impl Record {
    fn latest_assessment(&self) -> Option<&NeedsAssessmentRecord> {
        self.assessments.first()
    }

    fn latest_version(&self) -> Option<&BudgetVersion> {
        self.versions.last()
    }
}

async fn load_record(state: &AppState, code: &str) -> Result<Record, ApiError> {
    let code = code.to_owned();
    state
        .run(move |store| {
            Ok::<_, onebudget_store::StoreError>(Record {
                assessments: store.needs_assessments(&code)?,
                versions: store.budget_versions(&code)?,
            })
        })
        .await
}

/// The scheme and the person's record, or the fault that kept either from being read (the
/// scheme's first).
async fn scheme_and_record(state: &AppState, code: &str) -> Result<(Scheme, Record), ApiError> {
    match (scheme(state), load_record(state, code).await) {
        (Ok(s), Ok(r)) => Ok((s, r)),
        (Err(e), _) | (_, Err(e)) => Err(e),
    }
}

/// May `caller` plan this person's budget? Decided (and audited) before anything about the
/// person is shown or changed; a person who does not exist is reported only then.
async fn authorize_plan(
    state: &AppState,
    caller: &Caller,
    code: &str,
    target: &str,
) -> Result<(Principal, PersonRecord), Denied> {
    if caller.principal.is_none() {
        caller.authorize(state, Action::PlanBudget(PersonRef { code, team: "" }), target).await?;
    }
    let wanted = code.to_owned();
    let person = state.run(move |store| store.person(&wanted)).await.map_err(Denied::Failed)?;
    let team = person.as_ref().map_or("", |p| p.team.as_str());
    let principal =
        caller.authorize(state, Action::PlanBudget(PersonRef { code, team }), target).await?;
    match person {
        Some(person) => Ok((principal, person)),
        None => Err(Denied::Failed(ApiError::NotFound { what: "person", code: code.to_owned() })),
    }
}

/// A form about a person's plan, allowed ([`authorize_plan`]) and its CSRF token checked,
/// with the scheme and the person's record.
struct PlanForm {
    principal: Principal,
    person: PersonRecord,
    form: FormPairs,
    scheme: Scheme,
    record: Record,
}

/// The [`PlanForm`] sent to `target`, or the response that refuses it (`not_done`, with a
/// way `back`, when the form cannot be checked).
async fn plan_form(
    state: &AppState,
    caller: &Caller,
    code: &str,
    target: &str,
    form: Result<Form<FormPairs>, FormRejection>,
    not_done: &str,
    back: &str,
) -> Result<PlanForm, Box<Response>> {
    let (principal, person) =
        authorize_plan(state, caller, code, target).await.map_err(|d| Box::new(denied(d)))?;
    let form = checked_form(caller, form, not_done, back)?;
    let (scheme, record) = scheme_and_record(state, code).await.map_err(|e| Box::new(failed(e)))?;
    Ok(PlanForm { principal, person, form, scheme, record })
}

fn full_name(person: &PersonRecord) -> String {
    format!("{} {}", person.given_name, person.family_name)
}

fn budget_nav(principal: &Principal, person: &PersonRecord) -> Markup {
    let code = person.code.as_str();
    let spend = may(principal, &Action::RecordSpending(PersonRef { code, team: &person.team }));
    html! {
        nav aria-label="This person's budget" {
            ul {
                li { a href={ "/people/" (code) } { "Back to the person's record" } }
                li { a href={ "/people/" (code) "/budget" } { "Assessment result and allocation" } }
                li { a href={ "/people/" (code) "/needs-assessment" } { "Record a needs assessment" } }
                li { a href={ "/people/" (code) "/budget/plan" } { "Support plan and components" } }
                li { a href={ "/people/" (code) "/budget/review" } { "Review: versions and status" } }
                @if spend {
                    li { a href={ "/people/" (code) "/budget/spending" } { "Record spending on their behalf" } }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// The needs assessment

/// `GET /people/{code}/needs-assessment`: the questionnaire in force, as a form.
pub async fn needs_form(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(code): PathParams<String>,
) -> Response {
    let target = format!("/people/{code}/needs-assessment");
    let (principal, person) = match authorize_plan(&state, &caller, &code, &target).await {
        Ok(found) => found,
        Err(d) => return denied(d),
    };
    let scheme = match scheme(&state) {
        Ok(s) => s,
        Err(e) => return failed(e),
    };
    let form = vec![("assessed_on".to_owned(), today().to_string())];
    needs_page(&caller, &principal, &person, &scheme, &form, &FieldErrors::new(), StatusCode::OK)
}

fn needs_page(
    caller: &Caller,
    principal: &Principal,
    person: &PersonRecord,
    scheme: &Scheme,
    form: &[(String, String)],
    errors: &FieldErrors,
    status: StatusCode,
) -> Response {
    let on = parse_day(value(form, "assessed_on")).unwrap_or_else(today);
    let questionnaire =
        match scheme.questionnaire_on(on).or_else(|_| scheme.questionnaire_on(today())) {
            Ok(q) => q,
            Err(e) => return failed(ApiError::Internal(e.to_string())),
        };
    let title = format!("Needs assessment: {}", full_name(person));
    let main = html! {
        (error_summary(errors))
        h1 { (title) }
        p.lead { "Questionnaire " (questionnaire.version) ", in force from " (long_date(questionnaire.effective_from)) ": " (questionnaire.reference.title) "." }
        p { "Answer every question. The answers are scored, and each funding stream's eligibility is decided from them; nothing is kept until the form is sent without a mistake." }
        form method="post" action={ "/people/" (person.code) "/needs-assessment" } novalidate {
            (csrf_field(caller))
            input type="hidden" name="questionnaire" value=(questionnaire.version);
            (text_input("assessed_on", "Date of the assessment", Some(DATE_HINT), value(form, "assessed_on"), errors))
            @for domain in &questionnaire.domains {
                @let labels: Vec<(String, String)> = domain.levels.iter().map(|l| (l.code.clone(), format!("{} ({} points)", l.label, l.points))).collect();
                @let options: Vec<(&str, &str)> = labels.iter().map(|(c, l)| (c.as_str(), l.as_str())).collect();
                (Radios { name: domain.code.as_str(), legend: domain.title.as_str(), hint: Some(domain.question.as_str()), options: &options, selected: value(form, &domain.code), inline: false }.render(errors))
            }
            button.button type="submit" { "Record the needs assessment" }
        }
        (budget_nav(principal, person))
    };
    render_status(caller, principal, status, &title, main)
}

/// `POST /people/{code}/needs-assessment`: score the answers and keep them.
pub async fn record_needs(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(code): PathParams<String>,
    form: Result<Form<FormPairs>, FormRejection>,
) -> Response {
    let target = format!("/people/{code}/needs-assessment");
    let (principal, person) = match authorize_plan(&state, &caller, &code, &target).await {
        Ok(found) => found,
        Err(d) => return denied(d),
    };
    let form = match checked_form(&caller, form, "The needs assessment was not recorded", &target) {
        Ok(form) => form,
        Err(response) => return *response,
    };
    let scheme = match scheme(&state) {
        Ok(s) => s,
        Err(e) => return failed(e),
    };
    let version = value(&form, "questionnaire").to_owned();
    let questionnaire = match scheme.questionnaire(&version) {
        Ok(q) => q.clone(),
        Err(e) => return failed(ApiError::Internal(e.to_string())),
    };
    let mut errors = FieldErrors::new();
    let assessed_on = required_day(
        &form,
        &mut errors,
        "assessed_on",
        "Enter the date of the assessment, for example 2025-06-02",
    );
    let mut answers = Answers::new();
    for domain in &questionnaire.domains {
        let answer = value(&form, &domain.code);
        if answer.is_empty() {
            errors.add(&domain.code, format!("Choose an answer for {}", domain.title));
        } else {
            answers.insert(domain.code.clone(), answer.to_owned());
        }
    }
    let (Some(assessed_on), true) = (assessed_on, errors.is_empty()) else {
        return needs_page(
            &caller,
            &principal,
            &person,
            &scheme,
            &form,
            &errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    };
    let username = principal.username.clone();
    let wanted = code.clone();
    let kept = scheme.clone();
    let outcome = state
        .run(move |store| {
            Ok::<_, ApiError>(store.record_needs_assessment(
                &kept,
                &wanted,
                assessed_on,
                Some(&version),
                &answers,
                &username,
            ))
        })
        .await;
    match outcome {
        Ok(Ok(_)) => see_other(&format!("/people/{code}/budget?done=assessed")),
        Ok(Err(error)) => {
            let errors = match budget_errors(error, "assessed_on", |field| {
                field
                    .strip_prefix("answers.")
                    .map(str::to_owned)
                    .or_else(|| (field == "questionnaire").then(|| "assessed_on".to_owned()))
            }) {
                Ok(errors) => errors,
                Err(e) => return failed(e),
            };
            needs_page(
                &caller,
                &principal,
                &person,
                &scheme,
                &form,
                &errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Err(e) => failed(e),
    }
}

// ---------------------------------------------------------------------------------------
// The result and the allocation

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DoneQuery {
    pub done: Option<String>,
}

/// `GET /people/{code}/budget`: the assessment's result and the budget's allocation.
pub async fn budget(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(code): PathParams<String>,
    QueryParams(query): QueryParams<DoneQuery>,
) -> Response {
    let target = format!("/people/{code}/budget");
    let (principal, person) = match authorize_person(&state, &caller, &code, false, &target).await {
        Ok(found) => found,
        Err(d) => return denied(d),
    };
    let (scheme, record) = match scheme_and_record(&state, &code).await {
        Ok(found) => found,
        Err(e) => return failed(e),
    };
    let done = match query.done.as_deref() {
        Some("assessed") => Some("The needs assessment has been recorded."),
        _ => None,
    };
    let title = format!("Personal budget: {}", full_name(&person));
    let version = record.latest_version();
    let main = html! {
        (done_panel(done))
        h1 { (title) }
        (budget_nav(&principal, &person))
        @match record.latest_assessment() {
            None => {
                @if version.is_some() {
                    p { "No needs assessment has been recorded in onebudget yet: the budget below was brought from another system. Record a needs assessment and a support plan at its next review." }
                } @else {
                    p { "No needs assessment has been recorded, so there is no budget yet." }
                }
                @if may(&principal, &Action::PlanBudget(PersonRef { code: &person.code, team: &person.team })) {
                    p { a href={ "/people/" (person.code) "/needs-assessment" } { "Record a needs assessment" } }
                }
            }
            Some(assessment) => {
                (assessment_markup(&scheme, assessment))
                (eligibility_markup(&scheme, &assessment.eligibility))
                (ras_markup(&scheme, &assessment.scores, &assessment.eligibility, version.map_or(assessment.assessed_on, |v| v.effective_from)))
            }
        }
        @if let Some(version) = version {
            h2 { "The budget: version " (version.version) ", " (status_words(version.status).to_lowercase()) }
            (decision_markup(&scheme, &version.decision))
        } @else if record.latest_assessment().is_some() {
            h2 { "The budget" }
            p { "No budget has been made yet. Add the support plan's lines on " a href={ "/people/" (person.code) "/budget/plan" } { "the support plan page" } "." }
        }
    };
    render(&caller, &principal, &title, main)
}

fn assessment_markup(scheme: &Scheme, assessment: &NeedsAssessmentRecord) -> Markup {
    let questionnaire = scheme.questionnaire(&assessment.questionnaire).ok();
    html! {
        h2 { "Needs assessment of " (long_date(assessment.assessed_on)) }
        p { "Questionnaire " (assessment.questionnaire) ", recorded by " (assessment.recorded_by) ". " (assessment.scores.total()) " points in all." }
        table.table {
            caption { "Points by domain" }
            thead { tr { th scope="col" { "Domain" } th scope="col" { "Answer" } th.numeric scope="col" { "Points" } } }
            tbody {
                @for score in &assessment.scores.domains {
                    @let domain = questionnaire.and_then(|q| q.domains.iter().find(|d| d.code == score.domain));
                    @let level = domain.and_then(|d| d.levels.iter().find(|l| l.code == score.level));
                    tr {
                        th scope="row" { (domain.map_or(score.domain.as_str(), |d| d.title.as_str())) }
                        td { (level.map_or(score.level.as_str(), |l| l.label.as_str())) }
                        td.numeric { (score.points) }
                    }
                }
            }
            tfoot { tr { th scope="row" { "Total" } td {} td.numeric { (assessment.scores.total()) } } }
        }
    }
}

fn eligibility_markup(scheme: &Scheme, eligibility: &[Decision]) -> Markup {
    html! {
        h2 { "Eligibility for each funding stream" }
        table.table {
            caption { "Each stream's decision and its reason" }
            thead { tr { th scope="col" { "Stream" } th scope="col" { "Eligible" } th scope="col" { "Why" } } }
            tbody {
                @for d in eligibility {
                    tr {
                        th scope="row" { (stream_name(scheme, &d.stream)) " (" (d.stream) ")" }
                        td { strong { (if d.eligible { "Eligible" } else { "Not eligible" }) } }
                        td { (sentence(&d.reason)) }
                    }
                }
            }
        }
    }
}

fn ras_markup(scheme: &Scheme, scores: &Scores, eligibility: &[Decision], on: NaiveDate) -> Markup {
    let eligible: Vec<&Decision> = eligibility.iter().filter(|d| d.eligible).collect();
    html! {
        h2 { "Indicative budget (Resource Allocation System)" }
        @if eligible.is_empty() {
            p { "The person is eligible for no stream, so there is no indicative budget." }
        }
        @for d in eligible {
            @let stream = scheme.stream(&d.stream);
            @let ras = stream.map(|s| s.ras_on(on));
            @match (stream, ras) {
                (Some(stream), Some(Ok(ras))) => {
                    @match ras::indicative(ras, scores.points(&ras.domains)) {
                        Ok(result) => {
                            h3 { (stream.name) ": " (result.weekly) " a week" }
                            ol { @for step in ras::explain(&stream.code, ras, &result) { li { (step) } } }
                        }
                        Err(e) => { p { (stream.name) ": " (e.to_string()) } }
                    }
                }
                (_, Some(Err(e))) => { p { (stream_name(scheme, &d.stream)) ": " (e.to_string()) } }
                _ => { p { (d.stream) ": not a stream of the scheme." } }
            }
        }
    }
}

fn decision_markup(scheme: &Scheme, decision: &BudgetDecision) -> Markup {
    html! {
        dl.summary-list {
            dt { "Budget a week" } dd { (decision.budget) }
            dt { "The plan costs a week" } dd { (decision.plan_cost) }
            dt { "Unfunded a week" } dd { (decision.unfunded) }
            dt { "The person's contribution a week" } dd { (decision.weekly_contribution) " (assessed charge " (decision.assessed_charge) ")" }
        }
        @if !decision.warnings.is_empty() {
            div.warning {
                p { "Check these before the budget is agreed:" }
                ul { @for w in &decision.warnings { li { (sentence(w)) } } }
            }
        }
        table.table {
            caption { "Components: one per funding stream" }
            thead { tr {
                th scope="col" { "Stream" } th.numeric scope="col" { "Indicative" } th.numeric scope="col" { "Agreed" }
                th scope="col" { "How it is held" } th.numeric scope="col" { "Drawn by the plan" } th.numeric scope="col" { "Person pays" }
            } }
            tbody {
                @for c in &decision.components {
                    tr {
                        th scope="row" { (stream_name(scheme, &c.stream)) " (" (c.stream) "), from " (funder_words(&c.funder)) br; span.hint { (charging_words(c.charging)) } }
                        td.numeric { (c.indicative.weekly) }
                        td.numeric { (c.agreed) @if let Some(r) = &c.reason { br; span.hint { "because " (r) } } }
                        td { (sentence(c.mode.words())) @if let Some(p) = &c.provider { " (" (p) ")" } }
                        td.numeric { (c.allocated) }
                        td.numeric { (c.person_pays) }
                    }
                }
            }
        }
        (lines_markup(scheme, decision))
        h3 { "How each line was funded" }
        @for line in &decision.lines {
            h4 { "Line " (line.number) ": " (line.what) @if line.unfunded.is_positive() { " (not fully funded)" } }
            ul { @for step in &line.explanation { li { (sentence(step)) } } }
        }
    }
}

fn lines_markup(scheme: &Scheme, decision: &BudgetDecision) -> Markup {
    html! {
        table.table {
            caption { "The support plan's lines and who pays for each" }
            thead { tr {
                th scope="col" { "Line" } th scope="col" { "What, and the outcome it meets" } th scope="col" { "Category" }
                th.numeric scope="col" { "A week" } th scope="col" { "Paid by" } th scope="col" { "Unfunded" }
            } }
            tbody {
                @for line in &decision.lines {
                    tr {
                        th scope="row" { (line.number) }
                        td { (line.what) @if let Some(p) = &line.provider { " (" (p) ")" } br; span.hint { (line.outcome) } }
                        td { (category_title(scheme, &line.category)) }
                        td.numeric { (line.weekly_cost) }
                        td {
                            @if line.funded.is_empty() { "Nobody" }
                            @for f in &line.funded { (f.amount) " from " (stream_name(scheme, &f.stream)) br; }
                        }
                        td {
                            @if line.unfunded.is_positive() {
                                strong.tag { "Unfunded" } " " (line.unfunded) " a week"
                            } @else { "None" }
                        }
                    }
                }
            }
        }
        @if decision.lines.is_empty() { p { "The plan has no lines yet." } }
    }
}

// ---------------------------------------------------------------------------------------
// The support plan

/// `GET /people/{code}/budget/plan`: the plan's lines and the components, with the forms.
pub async fn plan(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(code): PathParams<String>,
    QueryParams(query): QueryParams<DoneQuery>,
) -> Response {
    let target = format!("/people/{code}/budget/plan");
    let (principal, person) = match authorize_person(&state, &caller, &code, false, &target).await {
        Ok(found) => found,
        Err(d) => return denied(d),
    };
    let done = match query.done.as_deref() {
        Some("line") => Some("The line has been added: a new version of the budget is saved."),
        Some("components") => Some("The components have been saved as a new version."),
        Some("split") => Some("The line's split is saved: a new version of the budget is saved."),
        Some("removed") => Some("The line has been removed: a new version of the budget is saved."),
        _ => None,
    };
    plan_again(&state, &caller, &principal, &person, &[], &FieldErrors::new(), StatusCode::OK, done)
        .await
}

/// The plan page again with the form's mistakes (422).
async fn plan_mistakes(
    state: &AppState,
    caller: &Caller,
    principal: &Principal,
    person: &PersonRecord,
    form: &[(String, String)],
    errors: FieldErrors,
) -> Response {
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    plan_again(state, caller, principal, person, form, &errors, status, None).await
}

#[allow(clippy::too_many_arguments)]
async fn plan_again(
    state: &AppState,
    caller: &Caller,
    principal: &Principal,
    person: &PersonRecord,
    form: &[(String, String)],
    errors: &FieldErrors,
    status: StatusCode,
    done: Option<&str>,
) -> Response {
    let (scheme, record) = match scheme_and_record(state, &person.code).await {
        Ok(found) => found,
        Err(e) => return failed(e),
    };
    let title = format!("Support plan: {}", full_name(person));
    let can_plan =
        may(principal, &Action::PlanBudget(PersonRef { code: &person.code, team: &person.team }));
    let version = record.latest_version();
    let categories: Vec<(&str, &str)> = std::iter::once(("", "Choose a category"))
        .chain(scheme.categories.iter().map(|c| (c.code.as_str(), c.title.as_str())))
        .collect();
    let base = format!("/people/{}/budget", person.code);
    let main = html! {
        (error_summary(errors))
        (done_panel(done))
        h1 { (title) }
        (budget_nav(principal, person))
        @match version {
            Some(v) => {
                p { "Version " (v.version) ", " (status_words(v.status).to_lowercase()) ", from " (long_date(v.effective_from)) ". Budget " (v.decision.budget) " a week; the plan costs " (v.decision.plan_cost) "." }
                (lines_markup(&scheme, &v.decision))
                @if can_plan && !v.decision.lines.is_empty() {
                    @match plan_status(Some(v)) {
                        Ok(_) => { (line_forms(caller, &scheme, &base, v, form, errors)) }
                        Err(message) => { p { (message) "." } }
                    }
                }
            }
            None => { p { "No budget has been made yet: the first line added makes version 1, a draft." } }
        }
        @if can_plan {
            @match record.latest_assessment() {
                None => {
                    p { "Record a needs assessment before planning: " a href={ "/people/" (person.code) "/needs-assessment" } { "record a needs assessment" } "." }
                }
                Some(assessment) => {
                    h2 { "Add a line to the plan" }
                    form method="post" action={ (base) "/lines" } novalidate {
                        (csrf_field(caller))
                        (text_field("what", "What the support is", Some("For example: a personal assistant, 10 hours a week"), form, errors))
                        (text_field("outcome", "The outcome it meets", Some("In the person's words, for example: to get up and dressed each morning"), form, errors))
                        (Select { id: "category", label: "Category of spend", hint: Some("Each funding stream may pay only for some categories"), options: &categories, selected: value(form, "category") }.render(errors))
                        (text_field("provider", "Provider (optional)", None, form, errors))
                        (TextInput { id: "weekly_cost", label: "Weekly cost", hint: None, value: value(form, "weekly_cost"), kind: InputKind::Money }.render(errors))
                        button.button type="submit" { "Add the line" }
                    }
                    (components_form(caller, &scheme, &base, assessment, version, form, errors))
                }
            }
        }
    };
    render_status(caller, principal, status, &title, main)
}

/// Each line of the plan with how it was funded, the form that fixes its split (an amount
/// from each component, blank to let the allocator decide, with the reason) and the form
/// that removes it (with the reason). Each form's fields are named after the line.
fn line_forms(
    caller: &Caller,
    scheme: &Scheme,
    base: &str,
    version: &BudgetVersion,
    form: &[(String, String)],
    errors: &FieldErrors,
) -> Markup {
    let sent_for = |n: usize, action: &str| {
        value(form, "line") == n.to_string() && value(form, "action") == action
    };
    html! {
        h2 { "Each line: how it is funded, fixing its split, or removing it" }
        p { "The allocator pays each line from free NHS money first, then grants, then means-tested social care, within each stream's rules. You may fix how a line is split: an amount from a component, or leave a component blank to let the allocator decide the rest. A fixed split keeps to each stream's rules, and needs your reason. Leave every amount blank to let the allocator decide the whole line again." }
        @for (i, line) in version.decision.lines.iter().enumerate() {
            @let n = line.number;
            @let saved = version.plan.lines.get(i).and_then(|l| l.override_.as_ref());
            @let fixing = sent_for(n, "split");
            @let reason_id = format!("line-{n}-reason");
            @let remove_id = format!("line-{n}-remove-reason");
            @let reason = if fixing { value(form, &reason_id).to_owned() } else { saved.map(|o| o.reason.clone()).unwrap_or_default() };
            @let removal = if sent_for(n, "remove") { value(form, &remove_id).to_owned() } else { String::new() };
            section aria-labelledby={ "line-" (n) "-title" } {
                h3 #{ "line-" (n) "-title" } { "Line " (n) ": " (line.what) " (" (line.weekly_cost) " a week)" }
                ul { @for step in &line.explanation { li { (sentence(step)) } } }
                form method="post" action={ (base) "/lines/" (n) "/split" } novalidate {
                    (csrf_field(caller))
                    input type="hidden" name="line" value=(n);
                    input type="hidden" name="action" value="split";
                    fieldset.form-group {
                        legend.legend-small { "Fix the split of line " (n) }
                        @for c in &version.decision.components {
                            @let id = split_id(n, &c.stream);
                            @let label = format!("From {} ({}), a week", stream_name(scheme, &c.stream), c.stream);
                            @let shown = if fixing { value(form, &id).to_owned() } else { saved.and_then(|o| o.split.iter().find(|s| s.stream == c.stream)).map(|s| s.amount.to_plain_string()).unwrap_or_default() };
                            @let hint = format!("Blank to let the allocator decide; the component's agreed amount is {}", c.agreed);
                            (TextInput { id: &id, label: &label, hint: Some(&hint), value: &shown, kind: InputKind::Money }.render(errors))
                        }
                        (text_input(&reason_id, "Why the split is fixed", Some("For example: the person wants their assistant paid from one budget"), &reason, errors))
                    }
                    button.button type="submit" { "Save the split of line " (n) }
                }
                form method="post" action={ (base) "/lines/" (n) "/remove" } novalidate {
                    (csrf_field(caller))
                    input type="hidden" name="line" value=(n);
                    input type="hidden" name="action" value="remove";
                    (text_input(&remove_id, &format!("Why line {n} is removed"), Some("The lines after it are numbered one lower"), &removal, errors))
                    button.button type="submit" { "Remove line " (n) }
                }
            }
        }
    }
}

fn split_id(line: usize, stream: &str) -> String {
    format!("line-{line}-split-{stream}")
}

/// The plan line a form names (`/lines/{n}/…`, numbered from 1) and its index.
fn line_number(text: &str, version: Option<&BudgetVersion>) -> Option<(usize, usize)> {
    let n = text.parse::<usize>().ok().filter(|n| *n >= 1)?;
    version.filter(|v| n <= v.plan.lines.len()).map(|_| (n, n - 1))
}

/// The split field an allocator's refusal of line `n` is about: the stream whose rules
/// exclude the line's category, or whose amount the message names; else the first sent.
fn split_field_for(
    scheme: &Scheme,
    n: usize,
    category: &str,
    split: &[SplitInput],
    message: &str,
) -> Option<String> {
    let excludes = |stream: &str| {
        scheme.stream(stream).is_none_or(|s| {
            s.excluded.iter().any(|(c, _)| c == category)
                || scheme
                    .category_index(category)
                    .is_none_or(|i| i >= 64 || s.may_fund & (1_u64 << i) == 0)
        })
    };
    let chosen = if message.contains("exclude") {
        split.iter().find(|s| excludes(&s.stream))
    } else {
        split.iter().find(|s| message.contains(&format!("override's {}", s.amount)))
    };
    chosen.or_else(|| split.first()).map(|s| split_id(n, &s.stream))
}

/// The form sent, with the line and the form it came from, so that the page shows it
/// again by its line.
fn with_line(mut form: FormPairs, n: usize, action: &str) -> FormPairs {
    form.retain(|(name, _)| name != "line" && name != "action");
    form.push(("line".to_owned(), n.to_string()));
    form.push(("action".to_owned(), action.to_owned()));
    form
}

/// `POST /people/{code}/budget/lines/{line}/split`: fix (or free) a line's split between
/// the components, with the practitioner's reason.
pub async fn split_line(
    State(state): State<AppState>,
    caller: Caller,
    PathParams((code, line)): PathParams<(String, String)>,
    form: Result<Form<FormPairs>, FormRejection>,
) -> Response {
    let target = format!("/people/{code}/budget/lines/{line}/split");
    let back = format!("/people/{code}/budget/plan");
    let not_done = "The split was not saved";
    let PlanForm { principal, person, form, scheme, record } =
        match plan_form(&state, &caller, &code, &target, form, not_done, &back).await {
            Ok(sent) => sent,
            Err(response) => return *response,
        };
    let latest = record.latest_version();
    let (Some((n, index)), Some(version)) = (line_number(&line, latest), latest) else {
        return message_page(StatusCode::NOT_FOUND, "Not found", "The plan has no such line.");
    };
    let form = with_line(form, n, "split");
    let again = |errors| plan_mistakes(&state, &caller, &principal, &person, &form, errors);
    let reason_id = format!("line-{n}-reason");
    let mut errors = FieldErrors::new();
    let reason = required_text(
        &form,
        &mut errors,
        &reason_id,
        "Say why the split is fixed (or why the allocator decides again)",
    );
    let mut split = Vec::new();
    for c in &version.decision.components {
        let id = split_id(n, &c.stream);
        let text = value(&form, &id).trim();
        if text.is_empty() {
            continue;
        }
        match Money::parse(text) {
            Ok(amount) if amount.is_positive() => {
                split.push(SplitInput { stream: c.stream.clone(), amount });
            }
            _ => errors.add(
                &id,
                format!(
                    "Enter the amount from {} in pounds and pence, more than £0.00, or leave it blank",
                    stream_name(&scheme, &c.stream)
                ),
            ),
        }
    }
    if let Err(message) = plan_status(Some(version)) {
        errors.add(&reason_id, message);
    }
    let mut lines = version.plan.lines.clone();
    let Some(edited) = lines.get_mut(index) else {
        return message_page(StatusCode::NOT_FOUND, "Not found", "The plan has no such line.");
    };
    if !errors.is_empty() {
        return again(errors).await;
    }
    let what = edited.what.clone();
    let category = edited.category.clone();
    let change = if split.is_empty() {
        edited.override_ = None;
        format!("Support planning: line {n} ({what}) left to the allocator, because {reason}")
    } else {
        edited.override_ = Some(OverrideInput { split: split.clone(), reason: reason.clone() });
        format!("Support planning: line {n}'s split fixed ({what}), because {reason}")
    };
    let plan = PlanInput { components: components_kept(&record), lines };
    let username = principal.username.clone();
    match save_plan(&state, scheme.clone(), &code, &record, plan, change, username).await {
        Ok(Ok(_)) => see_other(&format!("{back}?done=split")),
        Ok(Err(error)) => {
            // The allocator names the line ("line N: …"); core names the field
            // (`lines[i].override.…`).
            let general = match &error {
                BudgetStoreError::Budget(BudgetError::Refused(message)) => {
                    split_field_for(&scheme, n, &category, &split, message)
                }
                _ => None,
            }
            .unwrap_or_else(|| reason_id.clone());
            let at = format!("lines[{index}].override.");
            let field_id = |field: &str| {
                let rest = field.strip_prefix(&at)?;
                if rest == "reason" {
                    return Some(reason_id.clone());
                }
                let j = rest.strip_prefix("split[")?.split_once(']')?.0.parse::<usize>().ok()?;
                split.get(j).map(|s| split_id(n, &s.stream))
            };
            shown_again(budget_errors(error, &general, field_id), again).await
        }
        Err(e) => failed(e),
    }
}

/// `POST /people/{code}/budget/lines/{line}/remove`: a new version without the line, with
/// the practitioner's reason.
pub async fn remove_line(
    State(state): State<AppState>,
    caller: Caller,
    PathParams((code, line)): PathParams<(String, String)>,
    form: Result<Form<FormPairs>, FormRejection>,
) -> Response {
    let target = format!("/people/{code}/budget/lines/{line}/remove");
    let back = format!("/people/{code}/budget/plan");
    let not_done = "The line was not removed";
    let PlanForm { principal, person, form, scheme, record } =
        match plan_form(&state, &caller, &code, &target, form, not_done, &back).await {
            Ok(sent) => sent,
            Err(response) => return *response,
        };
    let latest = record.latest_version();
    let (Some((n, index)), Some(version)) = (line_number(&line, latest), latest) else {
        return message_page(StatusCode::NOT_FOUND, "Not found", "The plan has no such line.");
    };
    let form = with_line(form, n, "remove");
    let again = |errors| plan_mistakes(&state, &caller, &principal, &person, &form, errors);
    let reason_id = format!("line-{n}-remove-reason");
    let mut errors = FieldErrors::new();
    let reason =
        required_text(&form, &mut errors, &reason_id, format!("Say why line {n} is removed"));
    if let Err(message) = plan_status(Some(version)) {
        errors.add(&reason_id, message);
    }
    if !errors.is_empty() {
        return again(errors).await;
    }
    let mut lines = version.plan.lines.clone();
    let what = lines.get(index).map(|l| l.what.clone()).unwrap_or_default();
    if index < lines.len() {
        lines.remove(index);
    }
    let change = format!("Support planning: line {n} removed ({what}), because {reason}");
    let plan = PlanInput { components: components_kept(&record), lines };
    let username = principal.username.clone();
    match save_plan(&state, scheme, &code, &record, plan, change, username).await {
        Ok(Ok(_)) => see_other(&format!("{back}?done=removed")),
        Ok(Err(error)) => shown_again(budget_errors(error, &reason_id, |_| None), again).await,
        Err(e) => failed(e),
    }
}

fn text_field(
    id: &str,
    label: &str,
    hint: Option<&str>,
    form: &[(String, String)],
    errors: &FieldErrors,
) -> Markup {
    text_input(id, label, hint, value(form, id), errors)
}

/// A labelled text input for words or a date (the form module's inputs are for numbers).
fn text_input(
    id: &str,
    label: &str,
    hint: Option<&str>,
    current: &str,
    errors: &FieldErrors,
) -> Markup {
    let error = errors.get(id);
    let described = match (hint.is_some(), error.is_some()) {
        (true, true) => Some(format!("{id}-hint {id}-error")),
        (true, false) => Some(format!("{id}-hint")),
        (false, true) => Some(format!("{id}-error")),
        (false, false) => None,
    };
    html! {
        div.form-group."form-group--error"[error.is_some()] {
            label.label for=(id) { (label) }
            @if let Some(hint) = hint { div.hint id={ (id) "-hint" } { (hint) } }
            @if let Some(error) = error { p.error-message id={ (id) "-error" } { "Error: " (error) } }
            input.input."input--error"[error.is_some()] type="text" id=(id) name=(id) value=(current)
                spellcheck="false" aria-describedby=[described.as_deref()];
        }
    }
}

fn components_form(
    caller: &Caller,
    scheme: &Scheme,
    base: &str,
    assessment: &NeedsAssessmentRecord,
    version: Option<&BudgetVersion>,
    form: &[(String, String)],
    errors: &FieldErrors,
) -> Markup {
    let on = version.map_or(assessment.assessed_on, |v| v.effective_from);
    let eligible: Vec<&Decision> = assessment.eligibility.iter().filter(|d| d.eligible).collect();
    html! {
        h2 { "Components" }
        @if eligible.is_empty() {
            p { "The person is eligible for no stream, so the budget has no components." }
        } @else {
            p { "One component per stream the person is eligible for. Leave the agreed amount empty to use the indicative amount; an agreed amount that differs needs a reason." }
            form method="post" action={ (base) "/components" } novalidate {
                (csrf_field(caller))
                @for d in eligible {
                    @if let Some(stream) = scheme.stream(&d.stream) {
                        @let chosen = version.and_then(|v| v.plan.components.iter().find(|c| c.stream == stream.code));
                        @let indicative = stream.ras_on(on).ok().and_then(|r| ras::indicative(r, assessment.scores.points(&r.domains)).ok());
                        @let agreed_id = format!("agreed-{}", stream.code);
                        @let reason_id = format!("reason-{}", stream.code);
                        @let mode_id = format!("mode-{}", stream.code);
                        @let provider_id = format!("provider-{}", stream.code);
                        @let shown = |id: &str, saved: Option<String>| if form.is_empty() { saved.unwrap_or_default() } else { value(form, id).to_owned() };
                        @let agreed = shown(&agreed_id, chosen.and_then(|c| c.agreed).map(Money::to_plain_string));
                        @let reason = shown(&reason_id, chosen.and_then(|c| c.reason.clone()));
                        @let mode = shown(&mode_id, chosen.map(|c| c.mode.as_str().to_owned()));
                        @let provider = shown(&provider_id, chosen.and_then(|c| c.provider.clone()));
                        @let hint = indicative.map(|i| format!("The indicative amount is {} a week", i.weekly));
                        @let modes: Vec<(&str, String)> = stream.modes.iter().map(|m| (m.as_str(), sentence(m.words()))).collect();
                        @let mode_options: Vec<(&str, &str)> = modes.iter().map(|(v, t)| (*v, t.as_str())).collect();
                        fieldset.form-group {
                            legend.legend-small { (stream.name) " (" (stream.code) ")" }
                            (TextInput { id: &agreed_id, label: "Agreed amount a week", hint: hint.as_deref(), value: &agreed, kind: InputKind::Money }.render(errors))
                            (text_field(&reason_id, "Why the agreed amount differs (if it does)", None, &[(reason_id.clone(), reason)], errors))
                            (Select { id: &mode_id, label: "How it is held", hint: None, options: &mode_options, selected: &mode }.render(errors))
                            (text_field(&provider_id, "Provider (for an Individual Service Fund or managed support)", None, &[(provider_id.clone(), provider)], errors))
                        }
                    }
                }
                button.button type="submit" { "Save the components" }
            }
        }
    }
}

/// The status a plan change keeps: the previous version's, when it may stay there.
fn plan_status(previous: Option<&BudgetVersion>) -> Result<Status, String> {
    match previous.map(|v| v.status) {
        None => Ok(Status::Draft),
        Some(Status::Active) => Err(
            "The budget is active: put it under review on the review page before changing the plan"
                .to_owned(),
        ),
        Some(Status::Ended) => Err("The budget has ended: it cannot be changed".to_owned()),
        Some(status) => Ok(status),
    }
}

/// Save `plan` as the person's next budget version, its status kept.
async fn save_plan(
    state: &AppState,
    scheme: Scheme,
    person: &str,
    record: &Record,
    plan: PlanInput,
    reason: String,
    username: String,
) -> Result<Result<BudgetVersion, BudgetStoreError>, ApiError> {
    let previous = record.latest_version();
    let status = match plan_status(previous) {
        Ok(s) => s,
        Err(message) => return Ok(Err(BudgetStoreError::Refused(message))),
    };
    let effective_from = previous
        .map(|v| v.effective_from)
        .or_else(|| record.latest_assessment().map(|a| a.assessed_on))
        .unwrap_or_else(today);
    let change = BudgetChange { effective_from, status, needs_assessment: None, plan, reason };
    let person = person.to_owned();
    state
        .run(move |store| {
            Ok::<_, ApiError>(store.record_budget(&scheme, &person, &change, &username))
        })
        .await
}

/// The previous plan's components, without streams the latest assessment no longer makes
/// the person eligible for.
fn components_kept(record: &Record) -> Vec<ComponentInput> {
    let eligible = |stream: &str| {
        record
            .latest_assessment()
            .is_some_and(|a| a.eligibility.iter().any(|d| d.stream == stream && d.eligible))
    };
    record
        .latest_version()
        .map(|v| v.plan.components.iter().filter(|c| eligible(&c.stream)).cloned().collect())
        .unwrap_or_default()
}

/// `POST /people/{code}/budget/lines`: add a line to the plan.
pub async fn add_line(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(code): PathParams<String>,
    form: Result<Form<FormPairs>, FormRejection>,
) -> Response {
    let target = format!("/people/{code}/budget/lines");
    let back = format!("/people/{code}/budget/plan");
    let not_done = "The line was not added";
    let PlanForm { principal, person, form, scheme, record } =
        match plan_form(&state, &caller, &code, &target, form, not_done, &back).await {
            Ok(sent) => sent,
            Err(response) => return *response,
        };
    let again = |errors| plan_mistakes(&state, &caller, &principal, &person, &form, errors);
    let mut errors = FieldErrors::new();
    let what = required_text(&form, &mut errors, "what", "Enter what the support is");
    let outcome =
        required_text(&form, &mut errors, "outcome", "Enter the outcome the support meets");
    let category = value(&form, "category").to_owned();
    let provider = value(&form, "provider").trim().to_owned();
    if scheme.category_index(&category).is_none() {
        errors.add("category", "Choose the category of spend");
    }
    let cost = match Money::parse(value(&form, "weekly_cost")) {
        Ok(m) if m.is_positive() => Some(m),
        Ok(_) => {
            errors.add("weekly_cost", "Enter a weekly cost of more than £0.00");
            None
        }
        Err(_) => {
            errors
                .add("weekly_cost", "Enter the weekly cost in pounds and pence, for example 60.00");
            None
        }
    };
    if let Err(message) = plan_status(record.latest_version()) {
        errors.add("what", message);
    }
    if record.latest_assessment().is_none() {
        errors.add("what", "Record a needs assessment before planning");
    }
    let (Some(cost), true) = (cost, errors.is_empty()) else {
        return again(errors).await;
    };
    let mut plan = PlanInput {
        components: components_kept(&record),
        lines: record.latest_version().map(|v| v.plan.lines.clone()).unwrap_or_default(),
    };
    plan.lines.push(LineInput {
        what: what.clone(),
        outcome,
        category,
        provider: (!provider.is_empty()).then_some(provider),
        weekly_cost: cost,
        streams: Vec::new(),
        override_: None,
    });
    let reason = format!("Support planning: line {} added ({what})", plan.lines.len());
    let username = principal.username.clone();
    match save_plan(&state, scheme, &code, &record, plan, reason, username).await {
        Ok(Ok(_)) => see_other(&format!("{back}?done=line")),
        Ok(Err(error)) => {
            let errors = budget_errors(error, "what", |field| {
                field.rsplit_once('.').map(|(_, name)| name.to_owned()).filter(|name| {
                    ["what", "outcome", "category", "provider", "weekly_cost"]
                        .contains(&name.as_str())
                })
            });
            shown_again(errors, again).await
        }
        Err(e) => failed(e),
    }
}

/// `POST /people/{code}/budget/components`: each component's amount, mode and provider.
pub async fn save_components(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(code): PathParams<String>,
    form: Result<Form<FormPairs>, FormRejection>,
) -> Response {
    let target = format!("/people/{code}/budget/components");
    let back = format!("/people/{code}/budget/plan");
    let not_done = "The components were not saved";
    let PlanForm { principal, person, form, scheme, record } =
        match plan_form(&state, &caller, &code, &target, form, not_done, &back).await {
            Ok(sent) => sent,
            Err(response) => return *response,
        };
    let again = |errors| plan_mistakes(&state, &caller, &principal, &person, &form, errors);
    let mut errors = FieldErrors::new();
    let eligible: Vec<String> = record
        .latest_assessment()
        .map(|a| a.eligibility.iter().filter(|d| d.eligible).map(|d| d.stream.clone()).collect())
        .unwrap_or_default();
    let mut components = Vec::new();
    for stream_code in &eligible {
        let Some(stream) = scheme.stream(stream_code) else { continue };
        let agreed_id = format!("agreed-{stream_code}");
        let mode_id = format!("mode-{stream_code}");
        let agreed_text = value(&form, &agreed_id).trim();
        let agreed = if agreed_text.is_empty() {
            None
        } else {
            match Money::parse(agreed_text) {
                Ok(m) => Some(m),
                Err(_) => {
                    errors.add(
                        &agreed_id,
                        format!(
                            "Enter {}'s agreed amount in pounds and pence, or leave it empty",
                            stream.name
                        ),
                    );
                    None
                }
            }
        };
        let mode = stream.modes.iter().copied().find(|m| m.as_str() == value(&form, &mode_id));
        let Some(mode) = mode else {
            errors.add(&mode_id, format!("Choose how {} is held", stream.name));
            continue;
        };
        let text = |id: String| {
            let v = value(&form, &id).trim().to_owned();
            (!v.is_empty()).then_some(v)
        };
        components.push(ComponentInput {
            stream: stream_code.clone(),
            agreed,
            reason: text(format!("reason-{stream_code}")),
            mode,
            provider: text(format!("provider-{stream_code}")),
        });
    }
    let general = eligible.first().map_or_else(|| "agreed".to_owned(), |s| format!("agreed-{s}"));
    if let Err(message) = plan_status(record.latest_version()) {
        errors.add(&general, message);
    }
    if !errors.is_empty() {
        return again(errors).await;
    }
    let plan = PlanInput {
        components: components.clone(),
        lines: record.latest_version().map(|v| v.plan.lines.clone()).unwrap_or_default(),
    };
    let reason = "Support planning: components set".to_owned();
    let username = principal.username.clone();
    match save_plan(&state, scheme, &code, &record, plan, reason, username).await {
        Ok(Ok(_)) => see_other(&format!("{back}?done=components")),
        Ok(Err(error)) => {
            // `components[i].agreed` names the i-th component sent.
            let field_id = |field: &str| {
                let rest = field.strip_prefix("components[")?;
                let (index, name) = rest.split_once("].")?;
                let stream = components.get(index.parse::<usize>().ok()?)?;
                let name = if name == "stream" { "agreed" } else { name };
                Some(format!("{name}-{}", stream.stream))
            };
            shown_again(budget_errors(error, &general, field_id), again).await
        }
        Err(e) => failed(e),
    }
}

// ---------------------------------------------------------------------------------------
// Review: the versions and the status

/// `GET /people/{code}/budget/review`: every version, and the form to move the status.
pub async fn review(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(code): PathParams<String>,
    QueryParams(query): QueryParams<DoneQuery>,
) -> Response {
    let target = format!("/people/{code}/budget/review");
    let (principal, person) = match authorize_person(&state, &caller, &code, false, &target).await {
        Ok(found) => found,
        Err(d) => return denied(d),
    };
    let done = (query.done.as_deref() == Some("status")).then_some("The new status is saved.");
    review_again(
        &state,
        &caller,
        &principal,
        &person,
        &[],
        &FieldErrors::new(),
        StatusCode::OK,
        done,
    )
    .await
}

/// The review page again with the form's mistakes (422).
async fn review_mistakes(
    state: &AppState,
    caller: &Caller,
    principal: &Principal,
    person: &PersonRecord,
    form: &[(String, String)],
    errors: FieldErrors,
) -> Response {
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    review_again(state, caller, principal, person, form, &errors, status, None).await
}

#[allow(clippy::too_many_arguments)]
async fn review_again(
    state: &AppState,
    caller: &Caller,
    principal: &Principal,
    person: &PersonRecord,
    form: &[(String, String)],
    errors: &FieldErrors,
    status: StatusCode,
    done: Option<&str>,
) -> Response {
    let record = match load_record(state, &person.code).await {
        Ok(r) => r,
        Err(e) => return failed(e),
    };
    let title = format!("Budget review: {}", full_name(person));
    let can_plan =
        may(principal, &Action::PlanBudget(PersonRef { code: &person.code, team: &person.team }));
    let latest = record.latest_version();
    let next: Vec<(&str, &str)> = latest
        .map(|v| {
            [Status::Draft, Status::Agreed, Status::Active, Status::UnderReview, Status::Ended]
                .into_iter()
                .filter(|s| *s != v.status && v.status.may_become(*s))
                .map(|s| (s.as_str(), status_words(s)))
                .collect()
        })
        .unwrap_or_default();
    let effective = if form.is_empty() {
        latest.map(|v| v.effective_from.to_string()).unwrap_or_default()
    } else {
        value(form, "effective_from").to_owned()
    };
    let main = html! {
        (error_summary(errors))
        (done_panel(done))
        h1 { (title) }
        (budget_nav(principal, person))
        @if record.versions.is_empty() {
            p { "No budget has been made yet." }
        } @else {
            table.table {
                caption { "Every version of the budget, oldest first" }
                thead { tr {
                    th scope="col" { "Version" } th scope="col" { "Status" } th scope="col" { "From" }
                    th.numeric scope="col" { "Budget a week" } th.numeric scope="col" { "Unfunded" } th scope="col" { "Why, and who" }
                } }
                tbody {
                    @for v in &record.versions {
                        tr {
                            th scope="row" { (v.version) }
                            td { (status_words(v.status)) }
                            td { (long_date(v.effective_from)) }
                            td.numeric { (v.decision.budget) }
                            td.numeric { (v.decision.unfunded) }
                            td { (v.reason) br; span.hint { (v.recorded_by) ", " (v.recorded_at.get(..16).unwrap_or(&v.recorded_at).replace('T', " ")) " (UTC)" } }
                        }
                    }
                }
            }
        }
        @if let (true, Some(v)) = (can_plan, latest) {
            h2 { "Change the status" }
            @if next.is_empty() {
                p { "The budget has ended; its status cannot change." }
            } @else {
                p { "The budget is " (status_words(v.status).to_lowercase()) ". A draft is agreed, then made active (money is then paid); an active budget is put under review to change it, and made active again or ended." }
                form method="post" action={ "/people/" (person.code) "/budget/status" } novalidate {
                    (csrf_field(caller))
                    (Radios { name: "status", legend: "New status", hint: None, options: &next, selected: value(form, "status"), inline: false }.render(errors))
                    (text_input("effective_from", "From", Some(DATE_HINT), &effective, errors))
                    (text_field("reason", "Why", Some("For example: agreed at panel, or reviewed after a hospital stay"), form, errors))
                    button.button type="submit" { "Save the status" }
                }
            }
        }
    };
    render_status(caller, principal, status, &title, main)
}

/// `POST /people/{code}/budget/status`: the next version, with the previous plan.
pub async fn change_status(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(code): PathParams<String>,
    form: Result<Form<FormPairs>, FormRejection>,
) -> Response {
    let target = format!("/people/{code}/budget/status");
    let back = format!("/people/{code}/budget/review");
    let not_done = "The status was not changed";
    let PlanForm { principal, person, form, scheme, record } =
        match plan_form(&state, &caller, &code, &target, form, not_done, &back).await {
            Ok(sent) => sent,
            Err(response) => return *response,
        };
    let again = |errors| review_mistakes(&state, &caller, &principal, &person, &form, errors);
    let mut errors = FieldErrors::new();
    let status = Status::parse(value(&form, "status")).ok();
    if status.is_none() {
        errors.add("status", "Choose the new status");
    }
    let effective_from = required_day(
        &form,
        &mut errors,
        "effective_from",
        "Enter the date the status applies from, for example 2025-06-02",
    );
    let reason = required_text(&form, &mut errors, "reason", "Say why the status changes");
    let Some(latest) = record.latest_version() else {
        errors.add("status", "There is no budget yet: add the plan's lines first");
        return again(errors).await;
    };
    let (Some(status), Some(effective_from), true) = (status, effective_from, errors.is_empty())
    else {
        return again(errors).await;
    };
    let change = BudgetChange {
        effective_from,
        status,
        needs_assessment: None,
        plan: PlanInput { components: components_kept(&record), lines: latest.plan.lines.clone() },
        reason,
    };
    let username = principal.username.clone();
    let wanted = code.clone();
    let outcome = state
        .run(move |store| {
            Ok::<_, ApiError>(store.record_budget(&scheme, &wanted, &change, &username))
        })
        .await;
    match outcome {
        Ok(Ok(_)) => see_other(&format!("{back}?done=status")),
        Ok(Err(error)) => {
            let errors = budget_errors(error, "status", |field| {
                ["status", "effective_from", "reason"].contains(&field).then(|| field.to_owned())
            });
            shown_again(errors, again).await
        }
        Err(e) => failed(e),
    }
}

// ---------------------------------------------------------------------------------------
// The person's own pages

/// The citizen's own record, if the access decision says they have one (audited).
async fn own_person(
    state: &AppState,
    caller: &Caller,
    target: &str,
) -> Result<(Principal, PersonRecord), Denied> {
    let principal = caller.authorize(state, Action::ReadOwnRecord, target).await?;
    let own =
        principal.person.ok_or_else(|| Denied::Refused("you have no record of your own".into()))?;
    authorize_person(state, caller, &own, false, target).await
}

fn my_nav() -> Markup {
    html! {
        nav aria-label="Your budget" {
            ul {
                li { a href="/my-budget" { "Your record" } }
                li { a href="/my-budget/budget" { "Your personal budget" } }
                li { a href="/my-budget/plan" { "Your support plan" } }
                li { a href="/my-budget/spending" { "Record what you spent" } }
                li { a href="/my-budget/statement" { "Your statement" } }
            }
        }
    }
}

async fn budget_today(state: &AppState, code: &str) -> Result<Option<BudgetVersion>, ApiError> {
    let code = code.to_owned();
    state.run(move |store| store.budget_on(&code, today())).await
}

/// `GET /my-budget/budget`: the person's budget: its parts, who funds each, what they pay.
pub async fn my_budget(State(state): State<AppState>, caller: Caller) -> Response {
    let (principal, person) = match own_person(&state, &caller, "/my-budget/budget").await {
        Ok(found) => found,
        Err(d) => return denied(d),
    };
    let (scheme, version) = match (scheme(&state), budget_today(&state, &person.code).await) {
        (Ok(s), Ok(v)) => (s, v),
        (Err(e), _) | (_, Err(e)) => return failed(e),
    };
    let main = html! {
        h1 { "Your personal budget" }
        (my_nav())
        @match &version {
            None => { p { "You have no personal budget yet. Your practitioner makes one with you after your needs assessment." } }
            Some(v) => {
                @let d = &v.decision;
                p.lead { "Your budget is " strong { (d.budget) " a week" } ". It is " (status_words(v.status).to_lowercase()) ", from " (long_date(v.effective_from)) "." }
                dl.summary-list {
                    dt { "Your budget a week" } dd { (d.budget) }
                    dt { "You pay a week" } dd { (d.weekly_contribution) }
                    dt { "Your support plan costs a week" } dd { (d.plan_cost) }
                }
                @if d.weekly_contribution.is_positive() {
                    p { "You pay " (d.weekly_contribution) " a week towards the council's part of your budget, as your financial assessment worked out." }
                } @else {
                    p { "You pay nothing towards your budget." }
                }
                @if d.components.iter().any(|c| c.charging == Charging::Free) {
                    p { strong { "The NHS part of your budget is free." } " You never pay towards it." }
                }
                table.table {
                    caption { "Who pays for each part of your budget, each week" }
                    thead { tr {
                        th scope="col" { "Part of your budget" } th scope="col" { "Paid by" } th scope="col" { "How you get it" }
                        th.numeric scope="col" { "A week" } th.numeric scope="col" { "You pay" }
                    } }
                    tbody {
                        @for c in &d.components {
                            tr {
                                th scope="row" { (stream_name(&scheme, &c.stream)) }
                                td { (sentence(&funder_words(&c.funder))) @if c.charging == Charging::Free { " (free to you)" } }
                                td { (sentence(c.mode.words())) @if let Some(p) = &c.provider { ", " (p) } }
                                td.numeric {
                                    (c.agreed)
                                    // A budget pays what its plan uses of each part.
                                    @if c.allocated < c.agreed { br; span.hint { "Your plan uses " (c.allocated) " of it, so that is what is paid" } }
                                }
                                td.numeric { (c.person_pays) }
                            }
                        }
                    }
                }
            }
        }
    };
    render(&caller, &principal, "Your personal budget", main)
}

/// `GET /my-budget/plan`: the person's support plan: each line and who pays for it.
pub async fn my_plan(State(state): State<AppState>, caller: Caller) -> Response {
    let (principal, person) = match own_person(&state, &caller, "/my-budget/plan").await {
        Ok(found) => found,
        Err(d) => return denied(d),
    };
    let (scheme, version) = match (scheme(&state), budget_today(&state, &person.code).await) {
        (Ok(s), Ok(v)) => (s, v),
        (Err(e), _) | (_, Err(e)) => return failed(e),
    };
    let main = html! {
        h1 { "Your support plan" }
        (my_nav())
        @match &version {
            None => { p { "You have no support plan yet." } }
            Some(v) => {
                p { "What your budget pays for, and the outcome each part of your support is for." }
                (lines_markup(&scheme, &v.decision))
                @if v.decision.unfunded.is_positive() {
                    p.warning { "Part of your plan, " (v.decision.unfunded) " a week, is not paid for by your budget yet. Talk to your practitioner about it." }
                }
            }
        }
    };
    render(&caller, &principal, "Your support plan", main)
}

/// The lines of a plan paid (at least partly) by direct payment, which the person records
/// spending against.
fn direct_payment_lines(version: &BudgetVersion) -> Vec<(usize, String)> {
    let d = &version.decision;
    d.lines
        .iter()
        .filter(|l| {
            l.funded.iter().any(|f| {
                d.components
                    .iter()
                    .any(|c| c.stream == f.stream && c.mode == DeliveryMode::DirectPayment)
            })
        })
        .map(|l| (l.number, format!("Line {}: {} ({} a week)", l.number, l.what, l.weekly_cost)))
        .collect()
}

/// `GET /my-budget/spending`: the form to record what a direct payment was spent on.
pub async fn my_spending(
    State(state): State<AppState>,
    caller: Caller,
    QueryParams(query): QueryParams<DoneQuery>,
) -> Response {
    let (principal, person) = match own_person(&state, &caller, "/my-budget/spending").await {
        Ok(found) => found,
        Err(d) => return denied(d),
    };
    let done =
        (query.done.as_deref() == Some("spent")).then_some("Your spending has been recorded.");
    spending_page(
        &state,
        &caller,
        &principal,
        &person,
        &[],
        &FieldErrors::new(),
        StatusCode::OK,
        done,
        false,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn spending_page(
    state: &AppState,
    caller: &Caller,
    principal: &Principal,
    person: &PersonRecord,
    form: &[(String, String)],
    errors: &FieldErrors,
    status: StatusCode,
    done: Option<&str>,
    behalf: bool,
) -> Response {
    let version = match budget_today(state, &person.code).await {
        Ok(v) => v,
        Err(e) => return failed(e),
    };
    let lines = version.as_ref().map(direct_payment_lines).unwrap_or_default();
    let numbers: Vec<String> = lines.iter().map(|(n, _)| n.to_string()).collect();
    let choose =
        if behalf { "Choose the line of the plan" } else { "Choose the line of your plan" };
    let options: Vec<(&str, &str)> = std::iter::once(("", choose))
        .chain(numbers.iter().map(String::as_str).zip(lines.iter().map(|(_, t)| t.as_str())))
        .collect();
    let date = if form.is_empty() { today().to_string() } else { value(form, "date").to_owned() };
    let key =
        if form.is_empty() { crate::auth::new_secret() } else { value(form, "key").to_owned() };
    let title = if behalf {
        format!("Record spending for {}", full_name(person))
    } else {
        "Record what you spent".to_owned()
    };
    let action = if behalf {
        format!("/people/{}/budget/spending", person.code)
    } else {
        "/my-budget/spending".to_owned()
    };
    let main = html! {
        (error_summary(errors))
        (done_panel(done))
        h1 { (title) }
        @if behalf { (budget_nav(principal, person)) } @else { (my_nav()) }
        @if done.is_some() && !behalf {
            p { a href="/my-budget/statement" { "See your statement" } }
        }
        @if lines.is_empty() {
            @if behalf {
                p { "None of this person's support is paid to them as a direct payment today, so there is no spending to record here: providers' invoices are paid by finance." }
            } @else {
                p { "None of your support is paid to you as a direct payment, so there is nothing to record here: your providers send their invoices to the council or the NHS." }
            }
        } @else {
            @if behalf {
                p { "Record what " (person.given_name) " (or their representative) bought with their direct payment, which line of the support plan it was for, and the receipt's reference. It is recorded in your name, and shows on their statement." }
            } @else {
                p { "Tell us what you bought with your direct payment, which part of your support plan it was for, and the receipt's reference. Keep the receipt." }
            }
            form method="post" action=(action) novalidate {
                (csrf_field(caller))
                input type="hidden" name="key" value=(key);
                (Select { id: "line", label: "What it was for", hint: None, options: &options, selected: value(form, "line") }.render(errors))
                (TextInput { id: "amount", label: if behalf { "How much was spent" } else { "How much you spent" }, hint: None, value: value(form, "amount"), kind: InputKind::Money }.render(errors))
                (text_input("date", "When", Some(DATE_HINT), &date, errors))
                (text_field("receipt", "Receipt reference", Some("The invoice number, payslip or till receipt number"), form, errors))
                button.button type="submit" { "Record the spending" }
            }
        }
    };
    render_status(caller, principal, status, &title, main)
}

/// May `caller` record spending from this person's direct payment (the person, their
/// practitioner or finance)? Decided and audited once, before the person is shown.
async fn authorize_spend(
    state: &AppState,
    caller: &Caller,
    code: &str,
    target: &str,
) -> Result<(Principal, PersonRecord), Denied> {
    if caller.principal.is_none() {
        caller
            .authorize(state, Action::RecordSpending(PersonRef { code, team: "" }), target)
            .await?;
    }
    let wanted = code.to_owned();
    let person = state.run(move |store| store.person(&wanted)).await.map_err(Denied::Failed)?;
    let team = person.as_ref().map_or("", |p| p.team.as_str());
    let principal =
        caller.authorize(state, Action::RecordSpending(PersonRef { code, team }), target).await?;
    match person {
        Some(person) => Ok((principal, person)),
        None => Err(Denied::Failed(ApiError::NotFound { what: "person", code: code.to_owned() })),
    }
}

/// `GET /people/{code}/budget/spending`: the spending form, for a practitioner or finance
/// officer recording it on the person's behalf.
pub async fn spending_for(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(code): PathParams<String>,
    QueryParams(query): QueryParams<DoneQuery>,
) -> Response {
    let target = format!("/people/{code}/budget/spending");
    let (principal, person) = match authorize_spend(&state, &caller, &code, &target).await {
        Ok(found) => found,
        Err(d) => return denied(d),
    };
    let done = (query.done.as_deref() == Some("spent"))
        .then_some("The spending has been recorded on the person's statement.");
    spending_page(
        &state,
        &caller,
        &principal,
        &person,
        &[],
        &FieldErrors::new(),
        StatusCode::OK,
        done,
        true,
    )
    .await
}

/// `POST /people/{code}/budget/spending`: record spending on the person's behalf.
pub async fn record_spending_for(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(code): PathParams<String>,
    form: Result<Form<FormPairs>, FormRejection>,
) -> Response {
    let target = format!("/people/{code}/budget/spending");
    let (principal, person) = match authorize_spend(&state, &caller, &code, &target).await {
        Ok(found) => found,
        Err(d) => return denied(d),
    };
    let form = match checked_form(&caller, form, "The spending was not recorded", &target) {
        Ok(form) => form,
        Err(response) => return *response,
    };
    spend(&state, &caller, &principal, &person, form, true).await
}

/// `POST /my-budget/spending`: record spending against a plan line, with its receipt.
pub async fn record_my_spending(
    State(state): State<AppState>,
    caller: Caller,
    form: Result<Form<FormPairs>, FormRejection>,
) -> Response {
    let target = "/my-budget/spending";
    let principal = match caller.authorize(&state, Action::ReadOwnRecord, target).await {
        Ok(p) => p,
        Err(d) => return denied(d),
    };
    let Some(own) = principal.person.clone() else {
        return denied(Denied::Refused("you have no record of your own".into()));
    };
    let wanted = own.clone();
    let person = match state.run(move |store| store.person(&wanted)).await {
        Ok(Some(p)) => p,
        Ok(None) => {
            return denied(Denied::Failed(ApiError::NotFound { what: "person", code: own }));
        }
        Err(e) => return failed(e),
    };
    let reference = PersonRef { code: &person.code, team: &person.team };
    let principal = match caller.authorize(&state, Action::RecordSpending(reference), target).await
    {
        Ok(p) => p,
        Err(d) => return denied(d),
    };
    let form = match checked_form(&caller, form, "Your spending was not recorded", target) {
        Ok(form) => form,
        Err(response) => return *response,
    };
    spend(&state, &caller, &principal, &person, form, false).await
}

/// Record spending against a plan line with its receipt (the form already checked), and
/// go back to the form with the outcome; `behalf` when someone records it for the person.
async fn spend(
    state: &AppState,
    caller: &Caller,
    principal: &Principal,
    person: &PersonRecord,
    form: FormPairs,
    behalf: bool,
) -> Response {
    let sent: &[(String, String)] = &form;
    let again = |errors: FieldErrors| async move {
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        spending_page(state, caller, principal, person, sent, &errors, status, None, behalf).await
    };

    let mut errors = FieldErrors::new();
    let line = value(&form, "line").parse::<usize>().ok();
    if line.is_none() {
        errors.add("line", "Choose the line of the plan the spending was for");
    }
    let amount = positive_money(
        &form,
        &mut errors,
        "amount",
        "Enter how much was spent in pounds and pence, for example 45.50",
    );
    let date = required_day(
        &form,
        &mut errors,
        "date",
        "Enter the date of the spending, for example 2025-06-02",
    );
    let receipt = required_text(&form, &mut errors, "receipt", "Enter the receipt's reference");
    let key = client_key(&form, "key");
    let (Some(line), Some(amount), Some(date), true) = (line, amount, date, errors.is_empty())
    else {
        return again(errors).await;
    };
    let key = key.unwrap_or_else(crate::auth::new_secret);
    let key = format!("spend/{}/{key}", person.code);
    let code = person.code.clone();
    let outcome = state
        .run(move |store| {
            Ok::<_, ApiError>(store.record_spending(
                &code,
                line,
                amount,
                date,
                &receipt,
                &key,
                SPEND_ACCOUNT,
            ))
        })
        .await;
    match outcome {
        Ok(Ok(_)) if behalf => {
            see_other(&format!("/people/{}/budget/spending?done=spent", person.code))
        }
        Ok(Ok(_)) => see_other("/my-budget/spending?done=spent"),
        Ok(Err(error)) => {
            let overdrawn =
                matches!(error, BudgetStoreError::Post(onebudget_store::PostError::Rejected(_)));
            let errors = if overdrawn {
                let mut errors = FieldErrors::new();
                errors.add(
                    "amount",
                    if behalf {
                        "This is more than the direct payment holds for this part of the plan; check the amount"
                    } else {
                        "This is more than your direct payment holds for this part of your plan; check the amount"
                    },
                );
                Ok(errors)
            } else {
                budget_errors(error, "line", |field| {
                    ["line", "amount", "receipt"].contains(&field).then(|| field.to_owned())
                })
            };
            shown_again(errors, again).await
        }
        Err(e) => failed(e),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatementQuery {
    /// `1` for the printable layout.
    pub print: Option<String>,
}

async fn statement_of(state: &AppState, code: &str) -> Result<PersonStatement, ApiError> {
    let scheme = scheme(state)?;
    let code = code.to_owned();
    let outcome = state
        .run(move |store| {
            Ok::<_, ApiError>(store.person_statement(&scheme, &code, None, None, today()))
        })
        .await?;
    outcome.map_err(|e| match e {
        BudgetStoreError::Store(e) => ApiError::Store(e),
        other => ApiError::Internal(other.to_string()),
    })
}

/// `GET /my-budget/statement`: the person's one statement, as a page or printable.
pub async fn my_statement(
    State(state): State<AppState>,
    caller: Caller,
    QueryParams(query): QueryParams<StatementQuery>,
) -> Response {
    let (principal, person) = match own_person(&state, &caller, "/my-budget/statement").await {
        Ok(found) => found,
        Err(d) => return denied(d),
    };
    let statement = match statement_of(&state, &person.code).await {
        Ok(s) => s,
        Err(e) => return failed(e),
    };
    let print = query.print.as_deref() == Some("1");
    let title = "Your statement";
    let body = html! {
        h1 { (title) }
        p.lead { (full_name(&person)) ", as at " (long_date(today())) "." }
        @if !print {
            (my_nav())
            ul {
                li { a href="/my-budget/statement?print=1" { "Printable version" } }
                li { a href="/my-budget/statement.csv" download="statement.csv" { "Download your statement (CSV)" } }
            }
        }
        (statement_markup(&statement))
    };
    if print { print_document(title, body) } else { render(&caller, &principal, title, body) }
}

fn statement_markup(statement: &PersonStatement) -> Markup {
    html! {
        h2 { "In short" }
        ul { @for line in &statement.summary { li { (line) } } }
        @if !statement.streams.is_empty() {
            table.table {
                caption { "Each part of your budget so far" }
                thead { tr {
                    th scope="col" { "Part" } th.numeric scope="col" { "Paid in" } th.numeric scope="col" { "Paid to you" }
                    th.numeric scope="col" { "You spent" } th.numeric scope="col" { "Paid to providers" } th.numeric scope="col" { "Returned" }
                    th.numeric scope="col" { "Held for you" }
                } }
                tbody {
                    @for s in &statement.streams {
                        tr {
                            th scope="row" { (s.name) }
                            td.numeric { (s.paid_in) }
                            td.numeric { (s.paid_to_you) }
                            td.numeric { (s.spent_by_you) }
                            td.numeric { (s.paid_to_providers) }
                            td.numeric { (s.returned) }
                            td.numeric { (s.held_by_funder.checked_add(s.held_by_you).unwrap_or(s.held_by_you)) }
                        }
                    }
                }
            }
        }
        h2 { "What happened, in date order" }
        @if statement.entries.is_empty() {
            p { "Nothing has been paid in or out yet." }
        } @else {
            table.table {
                caption { "Every payment in and out of your budget" }
                thead { tr { th scope="col" { "Date" } th scope="col" { "Part" } th scope="col" { "What happened" } th.numeric scope="col" { "In" } th.numeric scope="col" { "Out" } } }
                tbody {
                    @for e in &statement.entries {
                        tr {
                            td { (e.date.format("%-d %b %Y")) }
                            td { (e.stream) }
                            td { (e.words) }
                            td.numeric { @if e.money_in.is_positive() { (e.money_in) } }
                            td.numeric { @if e.money_out.is_positive() { (e.money_out) } }
                        }
                    }
                }
            }
        }
    }
}

/// A CSV field: quoted when it needs to be, and a leading `=`, `+`, `-` or `@` made inert
/// so that a spreadsheet does not run it as a formula.
fn csv_field(text: &str) -> String {
    let text =
        if text.starts_with(['=', '+', '-', '@']) { format!("'{text}") } else { text.to_owned() };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// `GET /my-budget/statement.csv`: the statement's lines as CSV.
pub async fn my_statement_csv(State(state): State<AppState>, caller: Caller) -> Response {
    let (_, person) = match own_person(&state, &caller, "/my-budget/statement.csv").await {
        Ok(found) => found,
        Err(d) => return denied(d),
    };
    let statement = match statement_of(&state, &person.code).await {
        Ok(s) => s,
        Err(e) => return failed(e),
    };
    let mut csv = String::from("date,part,what happened,money in,money out\r\n");
    for e in &statement.entries {
        let row = [
            e.date.to_string(),
            e.stream.clone(),
            e.words.clone(),
            e.money_in.to_plain_string(),
            e.money_out.to_plain_string(),
        ];
        csv.push_str(&row.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(","));
        csv.push_str("\r\n");
    }
    (
        [
            (CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8")),
            (
                CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"statement.csv\""),
            ),
            (CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        csv,
    )
        .into_response()
}

// ---------------------------------------------------------------------------------------
// Finance: payments and reviews

/// `GET /budgets/payments`: the form to pay every live budget for a period.
pub async fn payments(State(state): State<AppState>, caller: Caller) -> Response {
    let principal = match caller.authorize(&state, Action::ReadLedger, "/budgets/payments").await {
        Ok(p) => p,
        Err(d) => return denied(d),
    };
    payments_page(&state, &caller, &principal, &[], &FieldErrors::new(), StatusCode::OK, None, None)
}

/// A provider's invoice as paid: what was asked, and the transfer posted.
struct PaidInvoice {
    person: String,
    stream: String,
    provider: String,
    amount: Money,
    date: NaiveDate,
    invoice: String,
    posted: Vec<PostedTransfer>,
}

#[allow(clippy::too_many_arguments)]
fn payments_page(
    state: &AppState,
    caller: &Caller,
    principal: &Principal,
    form: &[(String, String)],
    errors: &FieldErrors,
    status: StatusCode,
    posted: Option<&[(Transfer, PostedTransfer)]>,
    paid: Option<&PaidInvoice>,
) -> Response {
    let scheme = match scheme(state) {
        Ok(s) => s,
        Err(e) => return failed(e),
    };
    let sent_period = !value(form, "from").is_empty() || !value(form, "weeks").is_empty();
    let weeks = if sent_period { value(form, "weeks") } else { "4" };
    let main = html! {
        (error_summary(errors))
        (invoice_paid(&scheme, paid))
        h1 { "Pay personal budgets" }
        p { "Pays every active budget for a period: each component's funder share from the stream's funding account into the person's budget account, and, for direct payments, on to the person's direct-payment account. Paying the same period twice records it once." }
        p { a href="/budgets/reviews" { "Direct-payment reviews and recoveries" } " · " a href="/finance" { "The ledger" } }
        @if let Some(posted) = posted {
            h2 { "What was posted" }
            @if posted.is_empty() {
                p { "No budget was active on that date, so nothing was paid." }
            } @else {
                @let created = posted.iter().filter(|(_, p)| p.status == PostStatus::Created).count();
                p role="status" { (created) " of " (posted.len()) " transfers were posted now; the others were already recorded." }
                table.table {
                    caption { "The transfers of this period" }
                    thead { tr { th scope="col" { "From" } th scope="col" { "To" } th scope="col" { "Stream" } th.numeric scope="col" { "Amount" } th scope="col" { "What" } th scope="col" { "Posted" } } }
                    tbody {
                        @for (t, p) in posted {
                            tr {
                                td { (t.from().as_str()) } td { (t.to().as_str()) } td { (t.stream().as_str()) }
                                td.numeric { (t.amount()) } td { (t.memo()) }
                                td { (if p.status == PostStatus::Created { "Now" } else { "Already recorded" }) }
                            }
                        }
                    }
                }
            }
        }
        @if may(principal, &Action::PayBudgets) {
            h2 { "Pay a period" }
            form method="post" action="/budgets/payments" novalidate {
                (csrf_field(caller))
                (text_input("from", "First day of the period", Some(DATE_HINT), value(form, "from"), errors))
                (TextInput { id: "weeks", label: "Number of weeks", hint: Some("1 to 13; 4 is the usual schedule"), value: weeks, kind: InputKind::WholeNumber }.render(errors))
                button.button type="submit" { "Pay the period" }
            }
            (invoice_form(caller, &scheme, form, errors, paid.is_some()))
        }
    };
    render_status(caller, principal, status, "Pay personal budgets", main)
}

fn invoice_paid(scheme: &Scheme, paid: Option<&PaidInvoice>) -> Markup {
    html! {
        @if let Some(p) = paid {
            @let created = p.posted.iter().any(|t| t.status == PostStatus::Created);
            div.panel role="status" {
                h2 { "Invoice paid" }
                p {
                    @if created { "Invoice " (p.invoice) " has been paid: " } @else { "Invoice " (p.invoice) " was already paid with this form; nothing more moved: " }
                    (p.amount) " from " (p.person) "'s " (stream_name(scheme, &p.stream)) " to " (p.provider) "."
                }
            }
            table.table {
                caption { "The transfer posted for the invoice" }
                thead { tr { th scope="col" { "From" } th scope="col" { "To" } th scope="col" { "Stream" } th.numeric scope="col" { "Amount" } th scope="col" { "Date" } th scope="col" { "What" } th scope="col" { "Posted" } } }
                tbody {
                    @for t in &p.posted {
                        tr {
                            td { (budget_account(&p.person, &p.stream)) } td { (p.provider) } td { (p.stream) }
                            td.numeric { (p.amount) } td { (long_date(p.date)) } td { "Invoice " (p.invoice) }
                            td { (if t.status == PostStatus::Created { "Now" } else { "Already recorded" }) }
                        }
                    }
                }
            }
            p { a href={ "/people/" (p.person) "/budget" } { "The person's budget" } }
        }
    }
}

/// The form to pay one provider's invoice from a component held by a provider (an
/// Individual Service Fund), the council (managed) or the NHS (notional). Its one-off key
/// makes sending it twice pay once; a new key comes with each blank form.
fn invoice_form(
    caller: &Caller,
    scheme: &Scheme,
    form: &[(String, String)],
    errors: &FieldErrors,
    fresh: bool,
) -> Markup {
    let sent = !fresh && !value(form, "invoice-key").is_empty();
    let shown = |id: &str| if sent { value(form, id).to_owned() } else { String::new() };
    let key = if sent { value(form, "invoice-key").to_owned() } else { crate::auth::new_secret() };
    let date = if sent { value(form, "invoice-date").to_owned() } else { today().to_string() };
    let streams: Vec<(&str, String)> = scheme
        .streams
        .iter()
        .map(|s| (s.code.as_str(), format!("{} ({})", s.name, s.code)))
        .collect();
    let options: Vec<(&str, &str)> = std::iter::once(("", "Choose the stream"))
        .chain(streams.iter().map(|(c, n)| (*c, n.as_str())))
        .collect();
    let stream = shown("invoice-stream");
    html! {
        h2 { "Pay a provider's invoice" }
        p { "From one person's budget: a component held by a provider as an Individual Service Fund, managed by the council or held by the NHS. A direct payment is not paid here: the person pays their providers themselves." }
        form method="post" action="/budgets/invoices" novalidate {
            (csrf_field(caller))
            input type="hidden" name="invoice-key" value=(key);
            (text_input("invoice-person", "The person's code", Some("As on their record, for example P000123"), &shown("invoice-person"), errors))
            (Select { id: "invoice-stream", label: "Component (funding stream)", hint: None, options: &options, selected: &stream }.render(errors))
            (text_input("invoice-provider", "Provider's ledger account", Some("For an Individual Service Fund, the provider that holds it"), &shown("invoice-provider"), errors))
            (TextInput { id: "invoice-amount", label: "Amount", hint: None, value: &shown("invoice-amount"), kind: InputKind::Money }.render(errors))
            (text_input("invoice-date", "Date paid", Some(DATE_HINT), &date, errors))
            (text_input("invoice-number", "Invoice number", None, &shown("invoice-number"), errors))
            button.button type="submit" { "Pay the invoice" }
        }
    }
}

/// `POST /budgets/invoices`: pay a provider's invoice from a person's budget.
pub async fn pay_invoice(
    State(state): State<AppState>,
    caller: Caller,
    form: Result<Form<FormPairs>, FormRejection>,
) -> Response {
    let target = "/budgets/invoices";
    let (principal, form) = match authorized_form(
        &state,
        &caller,
        Action::PayBudgets,
        target,
        form,
        "Nothing was paid",
        "/budgets/payments",
    )
    .await
    {
        Ok(sent) => sent,
        Err(response) => return *response,
    };
    let again = |errors: FieldErrors| {
        payments_page(
            &state,
            &caller,
            &principal,
            &form,
            &errors,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            None,
        )
    };
    let scheme = match scheme(&state) {
        Ok(s) => s,
        Err(e) => return failed(e),
    };
    let mut errors = FieldErrors::new();
    let person = value(&form, "invoice-person").trim().to_ascii_uppercase();
    if person.is_empty() {
        errors.add("invoice-person", "Enter the person's code, for example P000123");
    }
    let stream = value(&form, "invoice-stream").to_owned();
    if scheme.stream(&stream).is_none() {
        errors.add("invoice-stream", "Choose the component the invoice is paid from");
    }
    let provider = required_text(
        &form,
        &mut errors,
        "invoice-provider",
        "Enter the provider's ledger account",
    );
    let amount = positive_money(
        &form,
        &mut errors,
        "invoice-amount",
        "Enter the invoice's amount in pounds and pence, for example 120.00",
    );
    let date = required_day(
        &form,
        &mut errors,
        "invoice-date",
        "Enter the date it is paid, for example 2025-06-02",
    );
    let invoice = required_text(&form, &mut errors, "invoice-number", "Enter the invoice's number");
    let key = client_key(&form, "invoice-key");
    let (Some(amount), Some(date), true) = (amount, date, errors.is_empty()) else {
        return again(errors);
    };
    // Paying from a person's budget touches their record: one audited read names them.
    match authorize_person(&state, &caller, &person, false, target).await {
        Ok(_) => {}
        Err(Denied::Failed(ApiError::NotFound { .. })) => {
            let mut errors = FieldErrors::new();
            errors.add("invoice-person", format!("There is no person with the code {person}"));
            return again(errors);
        }
        Err(d) => return denied(d),
    }
    let key = key.unwrap_or_else(crate::auth::new_secret);
    let key = format!("invoice/{person}/{key}");
    let asked = (person.clone(), stream.clone(), provider.clone(), invoice.clone());
    let outcome =
        state
            .run(move |store| {
                Ok::<_, ApiError>(store.pay_provider_invoice(
                    &person, &stream, &provider, amount, date, &invoice, &key,
                ))
            })
            .await;
    let (person, stream, provider, invoice) = asked;
    match outcome {
        Ok(Ok(posted)) => {
            let paid = PaidInvoice { person, stream, provider, amount, date, invoice, posted };
            payments_page(
                &state,
                &caller,
                &principal,
                &[],
                &FieldErrors::new(),
                StatusCode::OK,
                None,
                Some(&paid),
            )
        }
        Ok(Err(BudgetStoreError::Post(PostError::Rejected(e)))) => {
            let mut errors = FieldErrors::new();
            match e.error {
                TransferError::Overdraft { low, .. } => errors.add(
                    "invoice-amount",
                    format!(
                        "This is more than {person}'s {} budget holds: its balance would fall to {low}",
                        stream_name(&scheme, &stream)
                    ),
                ),
                TransferError::UnknownAccount { code, .. } => errors.add(
                    "invoice-provider",
                    format!("There is no ledger account {}: open the provider's account first", code.as_str()),
                ),
                other => errors.add("invoice-amount", sentence(&other.to_string())),
            }
            again(errors)
        }
        Ok(Err(error)) => match budget_errors(error, "invoice-person", |field| match field {
            "stream" => Some("invoice-stream".to_owned()),
            "provider" => Some("invoice-provider".to_owned()),
            "amount" => Some("invoice-amount".to_owned()),
            "invoice" => Some("invoice-number".to_owned()),
            "date" => Some("invoice-date".to_owned()),
            _ => None,
        }) {
            Ok(errors) => again(errors),
            Err(e) => failed(e),
        },
        Err(e) => failed(e),
    }
}

/// `POST /budgets/payments`: pay every live budget for the period, and show what moved.
pub async fn pay(
    State(state): State<AppState>,
    caller: Caller,
    form: Result<Form<FormPairs>, FormRejection>,
) -> Response {
    let target = "/budgets/payments";
    let (principal, form) = match authorized_form(
        &state,
        &caller,
        Action::PayBudgets,
        target,
        form,
        "Nothing was paid",
        target,
    )
    .await
    {
        Ok(sent) => sent,
        Err(response) => return *response,
    };
    let again = |errors: FieldErrors| {
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        payments_page(&state, &caller, &principal, &form, &errors, status, None, None)
    };
    let mut errors = FieldErrors::new();
    let from = required_day(
        &form,
        &mut errors,
        "from",
        "Enter the first day of the period, for example 2025-06-02",
    );
    let weeks =
        weeks_up_to(&form, &mut errors, "weeks", 13, "Enter a number of weeks from 1 to 13");
    let (Some(from), Some(weeks)) = (from, weeks) else {
        return again(errors);
    };
    let scheme = match scheme(&state) {
        Ok(s) => s,
        Err(e) => return failed(e),
    };
    let outcome = state
        .run(move |store| {
            let paid = (|| {
                let transfers = store.budget_payments(&scheme, from, weeks)?;
                if transfers.is_empty() {
                    return Ok(Vec::new());
                }
                let posted = store.post(&transfers)?;
                Ok::<_, BudgetStoreError>(transfers.into_iter().zip(posted).collect::<Vec<_>>())
            })();
            Ok::<_, ApiError>(paid)
        })
        .await;
    match outcome {
        Ok(Ok(posted)) => payments_page(
            &state,
            &caller,
            &principal,
            &form,
            &FieldErrors::new(),
            StatusCode::OK,
            Some(&posted),
            None,
        ),
        Ok(Err(error)) => match budget_errors(error, "from", |field| {
            ["from", "weeks"].contains(&field).then(|| field.to_owned())
        }) {
            Ok(errors) => again(errors),
            Err(e) => failed(e),
        },
        Err(e) => failed(e),
    }
}

/// `GET /budgets/reviews`: direct-payment reviews, open and decided.
pub async fn reviews(
    State(state): State<AppState>,
    caller: Caller,
    QueryParams(query): QueryParams<DoneQuery>,
) -> Response {
    let principal = match caller.authorize(&state, Action::ListAllPeople, "/budgets/reviews").await
    {
        Ok(p) => p,
        Err(d) => return denied(d),
    };
    let done = match query.done.as_deref() {
        Some("monitored") => {
            Some("Monitoring has run: any balance above the threshold is listed below.")
        }
        Some("decided") => Some("The decision has been recorded."),
        _ => None,
    };
    reviews_page(&state, &caller, &principal, &[], &FieldErrors::new(), StatusCode::OK, done).await
}

/// The reviews page again with the form's mistakes (422).
async fn reviews_mistakes(
    state: &AppState,
    caller: &Caller,
    principal: &Principal,
    form: &[(String, String)],
    errors: FieldErrors,
) -> Response {
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    reviews_page(state, caller, principal, form, &errors, status, None).await
}

async fn reviews_page(
    state: &AppState,
    caller: &Caller,
    principal: &Principal,
    form: &[(String, String)],
    errors: &FieldErrors,
    status: StatusCode,
    done: Option<&str>,
) -> Response {
    let (scheme, all) = match (scheme(state), state.run(|store| store.dp_reviews(false)).await) {
        (Ok(s), Ok(r)) => (s, r),
        (Err(e), _) | (_, Err(e)) => return failed(e),
    };
    let (open, decided): (Vec<&DpReview>, Vec<&DpReview>) =
        all.iter().partition(|r| r.decision.is_none());
    let can_decide = may(principal, &Action::DecideRecovery);
    let on = if form.is_empty() { today().to_string() } else { value(form, "on").to_owned() };
    let weeks = if form.is_empty() { "4" } else { value(form, "weeks") };
    let main = html! {
        (error_summary(errors))
        (done_panel(done))
        h1 { "Direct-payment reviews" }
        p { "A direct payment whose balance is above a number of weeks of its payments is reviewed: the excess is proposed for recovery, and nothing moves until a finance officer confirms it." }
        p { a href="/budgets/payments" { "Pay personal budgets" } " · " a href="/finance" { "The ledger" } }
        @if may(principal, &Action::PayBudgets) {
            h2 { "Run monitoring" }
            form method="post" action="/budgets/reviews/monitor" novalidate {
                (csrf_field(caller))
                (text_input("on", "Balances on", Some(DATE_HINT), &on, errors))
                (TextInput { id: "weeks", label: "Threshold in weeks of payments", hint: Some("1 to 52"), value: weeks, kind: InputKind::WholeNumber }.render(errors))
                button.button type="submit" { "Run monitoring" }
            }
        }
        h2 { "Open reviews" }
        @if open.is_empty() { p { "No review is waiting for a decision." } }
        @for r in &open {
            section aria-labelledby={ "review-" (r.id) "-title" } {
                h3 #{ "review-" (r.id) "-title" } { "Review " (r.id) ": " (r.person_code) ", " (stream_name(&scheme, &r.stream)) }
                dl.summary-list {
                    dt { "Raised on" } dd { (long_date(r.raised_on)) }
                    dt { "Balance" } dd { (r.balance) }
                    dt { "Threshold" } dd { (r.threshold) " (" (r.weeks) " weeks of " (r.weekly) ")" }
                    dt { "Proposed recovery" } dd { (r.proposed_recovery) }
                }
                @if can_decide {
                    @let amount_id = format!("amount-{}", r.id);
                    @let note_id = format!("note-{}", r.id);
                    @let shown = |id: &str, default: String| if value(form, "review") == r.id.to_string() { value(form, id).to_owned() } else { default };
                    @let amount = shown(&amount_id, r.proposed_recovery.to_plain_string());
                    @let note = shown(&note_id, String::new());
                    form method="post" action={ "/budgets/reviews/" (r.id) "/decide" } novalidate {
                        (csrf_field(caller))
                        input type="hidden" name="review" value=(r.id);
                        (TextInput { id: &amount_id, label: "Amount to recover", hint: Some("No more than the proposed recovery"), value: &amount, kind: InputKind::Money }.render(errors))
                        (text_field(&note_id, "Note", Some("What the person and the practitioner agreed"), &[(note_id.clone(), note)], errors))
                        button.button type="submit" name="decision" value="recover" { "Recover the amount" }
                        " "
                        button.button type="submit" name="decision" value="dismiss" { "Dismiss the review" }
                    }
                }
            }
        }
        h2 { "Decided reviews" }
        @if decided.is_empty() {
            p { "No review has been decided yet." }
        } @else {
            table.table {
                caption { "Reviews decided, newest first" }
                thead { tr { th scope="col" { "Review" } th scope="col" { "Person and stream" } th scope="col" { "Decision" } th.numeric scope="col" { "Recovered" } th scope="col" { "By, and note" } } }
                tbody {
                    @for r in &decided {
                        tr {
                            th scope="row" { (r.id) }
                            td { (r.person_code) ", " (stream_name(&scheme, &r.stream)) }
                            td { (sentence(r.decision.as_deref().unwrap_or(""))) }
                            td.numeric { (r.decided_amount.unwrap_or(Money::ZERO)) }
                            td { (r.decided_by.as_deref().unwrap_or("")) ": " (r.note.as_deref().unwrap_or("")) }
                        }
                    }
                }
            }
        }
    };
    render_status(caller, principal, status, "Direct-payment reviews", main)
}

/// `POST /budgets/reviews/monitor`: raise a review for every balance above the threshold.
pub async fn monitor(
    State(state): State<AppState>,
    caller: Caller,
    form: Result<Form<FormPairs>, FormRejection>,
) -> Response {
    let target = "/budgets/reviews/monitor";
    let (principal, form) = match authorized_form(
        &state,
        &caller,
        Action::PayBudgets,
        target,
        form,
        "Monitoring did not run",
        "/budgets/reviews",
    )
    .await
    {
        Ok(sent) => sent,
        Err(response) => return *response,
    };
    let again = |errors| reviews_mistakes(&state, &caller, &principal, &form, errors);
    let mut errors = FieldErrors::new();
    let on = required_day(
        &form,
        &mut errors,
        "on",
        "Enter the date of the balances, for example 2025-07-01",
    );
    let weeks =
        weeks_up_to(&form, &mut errors, "weeks", 52, "Enter a threshold from 1 to 52 weeks");
    let (Some(on), Some(weeks)) = (on, weeks) else {
        return again(errors).await;
    };
    let username = principal.username.clone();
    let outcome = state
        .run(move |store| Ok::<_, ApiError>(store.monitor_direct_payments(on, weeks, &username)))
        .await;
    match outcome {
        Ok(Ok(_)) => see_other("/budgets/reviews?done=monitored"),
        Ok(Err(error)) => {
            let errors =
                budget_errors(error, "on", |field| (field == "weeks").then(|| field.to_owned()));
            shown_again(errors, again).await
        }
        Err(e) => failed(e),
    }
}

/// `POST /budgets/reviews/{id}/decide`: recover the amount, or dismiss the review.
pub async fn decide_review(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
    form: Result<Form<FormPairs>, FormRejection>,
) -> Response {
    let target = format!("/budgets/reviews/{id}/decide");
    let (principal, form) = match authorized_form(
        &state,
        &caller,
        Action::DecideRecovery,
        &target,
        form,
        "Nothing was decided",
        "/budgets/reviews",
    )
    .await
    {
        Ok(sent) => sent,
        Err(response) => return *response,
    };
    let Ok(id) = id.parse::<i64>() else {
        return message_page(StatusCode::NOT_FOUND, "Not found", "There is no such review.");
    };
    let amount_id = format!("amount-{id}");
    let note_id = format!("note-{id}");
    let mut form = form;
    if value(&form, "review").is_empty() {
        form.push(("review".to_owned(), id.to_string()));
    }
    let again = |errors| reviews_mistakes(&state, &caller, &principal, &form, errors);
    let mut errors = FieldErrors::new();
    let note = required_text(&form, &mut errors, &note_id, "Enter a note saying why");
    let recover = match value(&form, "decision") {
        "dismiss" => None,
        _ => match Money::parse(value(&form, &amount_id)) {
            Ok(m) => Some(m),
            Err(_) => {
                errors.add(&amount_id, "Enter the amount to recover in pounds and pence");
                None
            }
        },
    };
    if !errors.is_empty() {
        return again(errors).await;
    }
    let scheme = match scheme(&state) {
        Ok(s) => s,
        Err(e) => return failed(e),
    };
    // A decision moves a person's money: one audited read of their record names them.
    let found = state.run(move |store| store.dp_review(id).map_err(ApiError::from)).await;
    match found {
        Ok(Some(review)) => {
            if let Err(d) = crate::people::authorize_person(
                &state,
                &caller,
                &review.person_code,
                false,
                &target,
            )
            .await
            {
                return denied(d);
            }
        }
        Ok(None) => {
            return message_page(StatusCode::NOT_FOUND, "Not found", "There is no such review.");
        }
        Err(e) => return failed(e),
    }
    let username = principal.username.clone();
    let outcome = state
        .run(move |store| {
            Ok::<_, ApiError>(store.decide_dp_review(&scheme, id, recover, &note, &username))
        })
        .await;
    match outcome {
        Ok(Ok(_)) => see_other("/budgets/reviews?done=decided"),
        Ok(Err(BudgetStoreError::NotFound(message))) => {
            message_page(StatusCode::NOT_FOUND, "Not found", &sentence(&message))
        }
        Ok(Err(error)) => {
            let errors = budget_errors(error, &amount_id, |field| match field {
                "note" => Some(note_id.clone()),
                "amount" => Some(amount_id.clone()),
                _ => None,
            });
            shown_again(errors, again).await
        }
        Err(e) => failed(e),
    }
}
