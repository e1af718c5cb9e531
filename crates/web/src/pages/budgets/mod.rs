//! The integrated personal budgets' pages, for each role that works with them, one module
//! per audience: `practitioner` (a person's needs assessment, budget, support plan and
//! review), `citizen` (the person's own budget, plan and statement), `spending` (recording
//! what a direct payment was spent on, by the person or on their behalf) and `finance`
//! (paying budgets and providers' invoices, direct-payment reviews). This module holds what
//! they share: reading forms, the budget record of a person, words for codes.
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
use axum::response::IntoResponse;
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
use crate::extract::{PagePath, PageQuery};
use crate::pages::components::warning_text;
use crate::pages::form::{FieldErrors, InputKind, Radios, Select, TextInput, error_summary};
use crate::pages::layout::print_document;
use crate::pages::roles::{failed, see_other};
use crate::pages::{PageError, PageResult, render, render_with};
use crate::people::authorize_person;
use crate::state::AppState;

mod citizen;
mod finance;
mod practitioner;
mod spending;

pub use citizen::{StatementQuery, my_budget, my_plan, my_statement, my_statement_csv};
pub use finance::{decide_review, monitor, pay, pay_invoice, payments, reviews};
pub use practitioner::{
    DoneQuery, add_line, budget, change_status, needs_form, plan, record_needs, remove_line,
    review, save_components, split_line,
};
pub use spending::{my_spending, record_my_spending, record_spending_for, spending_for};

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
    crate::clock::today()
}

fn parse_day(text: &str) -> Option<NaiveDate> {
    onebudget_core::field::parse_date("date", text.trim()).ok()
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
) -> PageResult {
    render_with(caller, principal, status, title, None, main)
}

/// A page about `person`'s budget, sent with `status`, below breadcrumbs back to the
/// caseload and to the person's record.
fn render_for_person(
    caller: &Caller,
    principal: &Principal,
    status: StatusCode,
    title: &str,
    person: &PersonRecord,
    main: Markup,
) -> PageResult {
    let name = full_name(person);
    let record = format!("/people/{}", person.code);
    let crumbs =
        crate::pages::components::breadcrumbs(&[("Caseload", "/caseload"), (&name, &record)]);
    render_with(caller, principal, status, title, Some(crumbs), main)
}

fn csrf_ok(caller: &Caller, form: &[(String, String)]) -> bool {
    token_matches(caller.csrf_token.as_deref(), Some(value(form, FIELD)))
}

/// The form sent, its CSRF token checked: or the page saying `not_done` (403), pointing
/// `back` to the form.
fn checked_form(
    caller: &Caller,
    form: Result<Form<FormPairs>, FormRejection>,
    not_done: &str,
    back: &str,
) -> Result<FormPairs, PageError> {
    let form = form_pairs(form);
    if csrf_ok(caller, &form) {
        Ok(form)
    } else {
        Err(PageError::FormUnchecked { title: not_done.to_owned(), back: back.to_owned() })
    }
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
) -> Result<(Principal, FormPairs), PageError> {
    let principal = caller.authorize(state, action, target).await?;
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
) -> PageResult
where
    F: Future<Output = PageResult>,
{
    again(errors?).await
}

fn csrf_field(caller: &Caller) -> Markup {
    html! { input type="hidden" name=(FIELD) value=(caller.csrf_token.as_deref().unwrap_or("")); }
}

fn done_panel(done: Option<&str>) -> Markup {
    html! {
        @if let Some(done) = done {
            (crate::pages::components::success_banner(done, None))
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
pub(crate) fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

pub(crate) fn status_words(status: Status) -> &'static str {
    match status {
        Status::Draft => "Draft",
        Status::Agreed => "Agreed",
        Status::Active => "Active",
        Status::UnderReview => "Under review",
        Status::Ended => "Ended",
    }
}

pub(crate) fn funder_words(funder: &str) -> String {
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

pub(crate) fn stream_name(scheme: &Scheme, code: &str) -> String {
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
) -> Result<PlanForm, PageError> {
    let (principal, person) = authorize_plan(state, caller, code, target).await?;
    let form = checked_form(caller, form, not_done, back)?;
    let (scheme, record) = scheme_and_record(state, code).await?;
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
            ul.govuk-list.govuk-list--bullet {
                li { a.govuk-link href={ "/people/" (code) } { "Back to the person's record" } }
                li { a.govuk-link href={ "/people/" (code) "/budget" } { "Assessment result and allocation" } }
                li { a.govuk-link href={ "/people/" (code) "/needs-assessment" } { "Record a needs assessment" } }
                li { a.govuk-link href={ "/people/" (code) "/budget/plan" } { "Support plan and components" } }
                li { a.govuk-link href={ "/people/" (code) "/budget/review" } { "Review: versions and status" } }
                @if spend {
                    li { a.govuk-link href={ "/people/" (code) "/budget/spending" } { "Record spending on their behalf" } }
                }
            }
        }
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
        div.govuk-form-group."form-group--error"[error.is_some()] {
            label.govuk-label for=(id) { (label) }
            @if let Some(hint) = hint { div.govuk-hint id={ (id) "-hint" } { (hint) } }
            @if let Some(error) = error { p.govuk-error-message id={ (id) "-error" } { "Error: " (error) } }
            input.govuk-input."input--error"[error.is_some()] type="text" id=(id) name=(id) value=(current)
                spellcheck="false" aria-describedby=[described.as_deref()];
        }
    }
}

fn lines_markup(scheme: &Scheme, decision: &BudgetDecision) -> Markup {
    html! {
        div.app-table-wrap role="region" aria-label="The support plan's lines and who pays for each" tabindex="0" { table.govuk-table.govuk-table--small-text-until-tablet {
            caption.govuk-table__caption.govuk-table__caption--m { "The support plan's lines and who pays for each" }
            thead.govuk-table__head { tr.govuk-table__row {
                th.govuk-table__header scope="col" { "Line" } th.govuk-table__header scope="col" { "What, and the outcome it meets" } th.govuk-table__header scope="col" { "Category" }
                th.govuk-table__header.govuk-table__header--numeric scope="col" { "A week" } th.govuk-table__header scope="col" { "Paid by" } th.govuk-table__header scope="col" { "Unfunded" }
            } }
            tbody.govuk-table__body {
                @for line in &decision.lines {
                    tr.govuk-table__row {
                        th.govuk-table__header scope="row" { (line.number) }
                        td.govuk-table__cell { (line.what) @if let Some(p) = &line.provider { " (" (p) ")" } br; span.govuk-hint { (line.outcome) } }
                        td.govuk-table__cell { (category_title(scheme, &line.category)) }
                        td.govuk-table__cell.govuk-table__cell--numeric { (line.weekly_cost) }
                        td.govuk-table__cell {
                            @if line.funded.is_empty() { "Nobody" }
                            @for f in &line.funded { (f.amount) " from " (stream_name(scheme, &f.stream)) br; }
                        }
                        td.govuk-table__cell {
                            @if line.unfunded.is_positive() {
                                strong.govuk-tag { "Unfunded" } " " (line.unfunded) " a week"
                            } @else { "None" }
                        }
                    }
                }
            }
        } }
        @if decision.lines.is_empty() { p.govuk-body { "The plan has no lines yet." } }
    }
}

/// The citizen's own record, if the access decision says they have one (audited).
async fn own_person(
    state: &AppState,
    caller: &Caller,
    target: &str,
) -> Result<(Principal, PersonRecord), Denied> {
    let own = own_code(state, caller, target).await?;
    authorize_person(state, caller, &own, false, target).await
}

/// The code of the signed-in citizen's own record (the first step of reading it).
async fn own_code(state: &AppState, caller: &Caller, target: &str) -> Result<String, Denied> {
    let principal = caller.authorize(state, Action::ReadOwnRecord, target).await?;
    principal.person.ok_or_else(|| Denied::Refused("you have no record of your own".into()))
}

/// [`own_person`] with the person's budget in force today read in the same store call
/// (one hand-off to the blocking pool instead of two, on the citizen's busiest page).
async fn own_person_and_budget(
    state: &AppState,
    caller: &Caller,
    target: &str,
) -> Result<(Principal, PersonRecord, Option<BudgetVersion>), Denied> {
    let own = own_code(state, caller, target).await?;
    let on = today();
    let read = move |store: &onebudget_store::Store, code: &str| {
        let Some(person) = store.person(code)? else { return Ok(None) };
        Ok(Some((person, store.budget_on(code, on)?)))
    };
    crate::people::authorize_person_with(state, caller, &own, false, target, read).await
}

async fn budget_today(state: &AppState, code: &str) -> Result<Option<BudgetVersion>, ApiError> {
    let code = code.to_owned();
    state.run(move |store| store.budget_on(&code, today())).await
}
