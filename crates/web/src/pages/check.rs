//! "Check what you might pay for care": a public service, no sign-in, that estimates what a
//! person might pay each week towards their care and explains how, as a short sequence of
//! GOV.UK question pages.
//!
//! `GET /check-what-you-might-pay` is the start page. Every other page is the answer to a
//! `POST` to the same address (a urlencoded form, so nobody's answers end up in a URL, a
//! log or the browser's history): the answers so far travel in hidden fields, the field
//! `page` says which page the form was on and the button pressed (`go`) what to do next:
//! `continue` (check this page's answers, then the next question that applies), `back`,
//! `change:<step>` (from the check-answers page; the answer then returns there), `check`
//! and `estimate`. Which questions are asked, in what order, is [`flow`]'s: only those that
//! can change the answer for the nation and setting chosen.
//!
//! Nothing is kept: no cookie is set and nothing is stored or logged on the server. A form
//! these pages did not send (a field sent twice, a body that is not a form) is a 400 page;
//! an answer that cannot be used, typed or tampered with, is shown on its question's page
//! with an error summary and the message beside the field, status 422. The estimate runs
//! the same assessment as the API ([`crate::assessment::assess_case`]) on the
//! [`CaseInput`] the answers make. The form relies on the server's cross-site check
//! (`csrf::refuse_cross_site`) rather than a token: it changes nothing and keeps nothing,
//! and a token would need a cookie or server state.

mod flow;

use axum::extract::Form;
use axum::extract::rejection::FormRejection;
use axum::http::StatusCode;
use chrono::NaiveDate;
use maud::{Markup, PreEscaped, html};
use onebudget_core::Money;
use onebudget_core::assessment::{AssessError, Explanation, Setting};
use onebudget_core::field::FieldError;
use onebudget_core::policy::{Nation, PolicyError, Source};

use crate::assessment::assess_case;
use crate::error::ApiError;
use crate::pages::components::warning_text;
use crate::pages::form::{FieldErrors, error_summary};
use crate::pages::layout::{HtmlPage, document, page};

pub use flow::{Answers, Control, STEPS};
use flow::{End, Field, Flow, FormCase, Kind, Problem, Step};

/// Where the service lives.
pub const PATH: &str = "/check-what-you-might-pay";

const TITLE: &str = "Check what you might pay for care";

/// What the pages say is kept.
const NOTHING_KEPT: &str = "We do not keep your answers. They are sent back with each page you continue to, and are gone when you close the page. This service does not use cookies.";

/// When the financial year holding `today` is newer than the newest year the policy in
/// use covers for any nation, a notice saying so: otherwise the service would quietly
/// estimate with last year's figures for someone asking about now. Once the year's figures
/// are added (a release, or a council's `--policy-dir`), the notice goes.
fn year_notice(today: NaiveDate) -> Option<Markup> {
    let newest = Nation::ALL
        .iter()
        .filter_map(|n| flow::years(*n).into_iter().next())
        .max_by_key(|y| y.year)?;
    let this_year = onebudget_core::pool::FinancialYear::containing(today)?;
    (this_year > newest.year).then(|| {
        html! {
            p.govuk-inset-text #year-notice {
                "The newest figures in this calculator are for " (newest.text) ". "
                "The figures for " (this_year.label()) ", the year we are in now, have not been added yet. "
                "Benefits and allowances usually go up each April, so what you would pay now may differ from an estimate made with the " (newest.year.label()) " figures."
            }
        }
    })
}

/// `GET /check-what-you-might-pay`: the start page.
pub async fn show() -> HtmlPage {
    HtmlPage::public(start_page())
}

/// `POST /check-what-you-might-pay`: the next page, from the answers and the button.
pub async fn submit(form: Result<Form<Vec<(String, String)>>, FormRejection>) -> HtmlPage {
    let Ok(Form(pairs)) = form else { return unreadable() };
    let Ok((answers, control)) = Answers::from_pairs(pairs) else { return unreadable() };
    respond(&answers, &control)
}

/// The page for `answers` after the button in `control` was pressed.
pub fn respond(answers: &Answers, control: &Control) -> HtmlPage {
    let flow = Flow::new(answers);
    let page = control.page.as_deref();
    let go = control.go.as_deref().unwrap_or("continue");
    match go {
        "start" => first_question(&flow),
        "continue" => continue_from(&flow, page, control.from_check),
        "back" => back_from(&flow, page, control.from_check),
        "check" => check_page(&flow),
        "estimate" => estimate_page(&flow),
        _ => match go.strip_prefix("change:").and_then(flow::step) {
            Some(step) if flow.applies(step.id) => {
                question(&flow, step, &FieldErrors::new(), true, StatusCode::OK)
            }
            Some(_) => check_page(&flow),
            None => unreadable(),
        },
    }
}

fn first_question(flow: &Flow<'_>) -> HtmlPage {
    match flow.steps.first() {
        Some(step) => question(flow, step, &FieldErrors::new(), false, StatusCode::OK),
        None => unreadable(),
    }
}

/// `continue`: check the answers of the page the form was on; if they can be used, the
/// next question (after "Change", the next one not yet answered), or the check-answers
/// page when there are no more.
fn continue_from(flow: &Flow<'_>, page: Option<&str>, from_check: bool) -> HtmlPage {
    let Some(step) = page.and_then(flow::step).filter(|s| flow.applies(s.id)) else {
        // Not a question that applies (a form from before an answer changed what is
        // asked): the first question still to answer.
        return check_page(flow);
    };
    if let Err(errors) = flow::check_step(flow.answers, step) {
        return question(flow, step, &errors, from_check, StatusCode::UNPROCESSABLE_ENTITY);
    }
    match flow.case_through(step.id) {
        Err(Problem::Invalid(at, errors)) => {
            return question(flow, at, &errors, from_check, StatusCode::UNPROCESSABLE_ENTITY);
        }
        Err(Problem::Unanswered(at)) => {
            return question(flow, at, &FieldErrors::new(), from_check, StatusCode::OK);
        }
        Ok(_) => {}
    }
    let next = if from_check { flow.first_unanswered() } else { flow.after(step.id) };
    match next {
        Some(next) => question(flow, next, &FieldErrors::new(), from_check, StatusCode::OK),
        None => check_page(flow),
    }
}

/// `back`: the question before the page the form was on (from a change, or from the
/// estimate, the check-answers page), with the answers kept.
fn back_from(flow: &Flow<'_>, page: Option<&str>, from_check: bool) -> HtmlPage {
    let previous = match page {
        Some("estimate") => return check_page(flow),
        Some("check") => flow.steps.last().copied(),
        Some(_) if from_check => return check_page(flow),
        Some(id) => flow.before(id),
        None => None,
    };
    match previous {
        Some(step) => question(flow, step, &FieldErrors::new(), false, StatusCode::OK),
        None => HtmlPage::private(StatusCode::OK, start_page()),
    }
}

/// Every answer that applies, or the first question in the way.
fn answered_case(flow: &Flow<'_>) -> Result<FormCase, HtmlPage> {
    match flow.case() {
        Ok(case) => Ok(case),
        Err(Problem::Unanswered(step)) => {
            Err(question(flow, step, &FieldErrors::new(), false, StatusCode::OK))
        }
        Err(Problem::Invalid(step, errors)) => {
            Err(question(flow, step, &errors, false, StatusCode::UNPROCESSABLE_ENTITY))
        }
    }
}

/// The "Back" link of a question page: a button that posts the answers so far back from
/// `page` (a link would lose them: they live only in the form).
fn back_button(answers: &Answers, page: &str, from_check: bool) -> Markup {
    html! {
        form.app-back-form method="post" action=(PATH) {
            (hidden(answers, &[]))
            input type="hidden" name="page" value=(page);
            @if from_check { input type="hidden" name="from_check" value="yes"; }
            button.govuk-back-link.app-back-button type="submit" name="go" value="back" { "Back" }
        }
    }
}

/// The hidden fields that carry `answers` (except `except`, the fields the page asks).
fn hidden(answers: &Answers, except: &[&str]) -> Markup {
    html! {
        @for (name, value) in answers.pairs(except) {
            input type="hidden" name=(name) value=(value);
        }
    }
}

/// The names of a step's fields.
fn names(step: &Step) -> Vec<&'static str> {
    step.fields.iter().map(|f| f.name).collect()
}

/// A question page: `step`'s fields, with `errors` beside them and summarised above.
fn question(
    flow: &Flow<'_>,
    step: &'static Step,
    errors: &FieldErrors,
    from_check: bool,
    status: StatusCode,
) -> HtmlPage {
    let answers = flow.answers;
    let asked: Vec<&Field> = step.fields.iter().filter(|f| (f.asked)(answers)).collect();
    let heading =
        step.heading.or_else(|| asked.first().map(|f| (f.label)(answers))).unwrap_or(TITLE);
    let title = if errors.is_empty() { heading.to_owned() } else { format!("Error: {heading}") };
    let first_step = flow.steps.first().is_some_and(|s| s.id == step.id);
    let back = html! {
        @if first_step && !from_check {
            a.govuk-back-link href=(PATH) { "Back" }
        } @else {
            (back_button(answers, step.id, from_check))
        }
    };
    let own_heading = step.heading.is_some();
    let main = html! {
        div.govuk-grid-row { div.govuk-grid-column-two-thirds {
            (error_summary(errors))
            @if own_heading {
                span.govuk-caption-l { (TITLE) }
                h1.govuk-heading-l { (heading) }
            }
            @if step.id == "year" {
                @if let Some(notice) = year_notice(crate::clock::today()) { (notice) }
            }
            form method="post" action=(PATH) novalidate {
                (hidden(answers, &names(step)))
                input type="hidden" name="page" value=(step.id);
                @if from_check { input type="hidden" name="from_check" value="yes"; }
                @for (i, field) in asked.iter().enumerate() {
                    (render_field(answers, field, errors, i == 0 && !own_heading))
                }
                button.govuk-button type="submit" name="go" value="continue" { "Continue" }
            }
            p.govuk-body-s { (NOTHING_KEPT) }
        } }
    };
    HtmlPage::private(status, document(&title, None, Some(back), main))
}

/// The hint and error of a field, and the `aria-describedby` that joins them to it.
fn described_by(name: &str, hint: Option<&str>, error: Option<&str>) -> Option<String> {
    let ids: Vec<String> =
        [hint.map(|_| format!("{name}-hint")), error.map(|_| format!("{name}-error"))]
            .into_iter()
            .flatten()
            .collect();
    (!ids.is_empty()).then(|| ids.join(" "))
}

fn hint_and_error(name: &str, hint: Option<&str>, error: Option<&str>) -> Markup {
    html! {
        @if let Some(hint) = hint { div.govuk-hint id={ (name) "-hint" } { (hint) } }
        @if let Some(error) = error {
            p.govuk-error-message id={ (name) "-error" } {
                span.govuk-visually-hidden { "Error: " } (error)
            }
        }
    }
}

/// One field as the Design System writes it; `as_heading`: its label or legend is the
/// page's `<h1>` (one question on the page).
fn render_field(
    answers: &Answers,
    field: &Field,
    errors: &FieldErrors,
    as_heading: bool,
) -> Markup {
    let name = field.name;
    let label = (field.label)(answers);
    let error = errors.get(name);
    let described = described_by(name, field.hint, error);
    let value = answers.get(name).unwrap_or_default();
    let legend = |size: &str| {
        html! {
            @if as_heading {
                legend.govuk-fieldset__legend.govuk-fieldset__legend--l {
                    h1.govuk-fieldset__heading { (label) }
                }
            } @else {
                legend.govuk-fieldset__legend.(size) { (label) }
            }
        }
    };
    html! {
        div.govuk-form-group."govuk-form-group--error"[error.is_some()] {
            @match &field.kind {
                Kind::Radios(options, _) => {
                    fieldset.govuk-fieldset aria-describedby=[described.as_deref()] {
                        (legend("govuk-fieldset__legend--m"))
                        (hint_and_error(name, field.hint, error))
                        div.govuk-radios {
                            @for (index, (option, text)) in options(answers).iter().enumerate() {
                                @let id = if index == 0 { name.to_owned() } else { format!("{name}-{option}") };
                                div.govuk-radios__item {
                                    input.govuk-radios__input type="radio" id=(id) name=(name) value=(option)
                                        checked[option == value];
                                    label.govuk-label.govuk-radios__label for=(id) { (text) }
                                }
                            }
                        }
                    }
                }
                Kind::Checkboxes(options) => {
                    fieldset.govuk-fieldset aria-describedby=[described.as_deref()] {
                        (legend("govuk-fieldset__legend--m"))
                        (hint_and_error(name, field.hint, error))
                        // Sent even when no box is ticked, so the question counts as answered.
                        input type="hidden" name=(name) value="";
                        div.govuk-checkboxes {
                            @for (index, (option, text)) in options(answers).iter().enumerate() {
                                @let id = if index == 0 { name.to_owned() } else { format!("{name}-{option}") };
                                div.govuk-checkboxes__item {
                                    input.govuk-checkboxes__input type="checkbox" id=(id) name=(name) value=(option)
                                        checked[answers.all(name).contains(option)];
                                    label.govuk-label.govuk-checkboxes__label for=(id) { (text) }
                                }
                            }
                        }
                    }
                }
                Kind::Money { .. } | Kind::Whole { .. } => {
                    @let money = matches!(field.kind, Kind::Money { .. });
                    @if as_heading {
                        h1.govuk-label-wrapper { label.govuk-label.govuk-label--l for=(name) { (label) } }
                    } @else {
                        label.govuk-label.govuk-label--s for=(name) { (label) }
                    }
                    (hint_and_error(name, field.hint, error))
                    @let input = html! {
                        input.govuk-input."govuk-input--error"[error.is_some()]
                            .(if money { "govuk-input--width-10" } else { "govuk-input--width-4" })
                            type="text" id=(name) name=(name) value=(value)
                            inputmode=(if money { "decimal" } else { "numeric" }) spellcheck="false"
                            aria-describedby=[described.as_deref()];
                    };
                    @if money {
                        div.govuk-input__wrapper {
                            div.govuk-input__prefix aria-hidden="true" { "£" }
                            (input)
                        }
                    } @else {
                        (input)
                    }
                }
            }
        }
    }
}

/// An answer as the check-answers list shows it.
fn answer_text(answers: &Answers, field: &Field) -> Markup {
    let value = answers.get(field.name).unwrap_or_default().trim();
    match &field.kind {
        Kind::Radios(options, _) => {
            let options = options(answers);
            let text = options.iter().find(|(v, _)| v == value).map_or(value, |(_, t)| t.as_str());
            html! { (text) }
        }
        Kind::Money { .. } if value.is_empty() => html! { "None" },
        Kind::Money { .. } => {
            html! { (Money::parse(value).map_or_else(|_| value.to_owned(), |m| m.to_string())) }
        }
        Kind::Whole { .. } => html! { (value) },
        Kind::Checkboxes(options) => {
            let ticked: Vec<String> = options(answers)
                .into_iter()
                .filter(|(v, _)| answers.all(field.name).contains(v))
                .map(|(_, t)| t)
                .collect();
            html! {
                @if ticked.is_empty() { "None of these" }
                @else { ul.govuk-list { @for t in &ticked { li { (t) } } } }
            }
        }
    }
}

/// Why no more questions were asked, in words.
fn end_text(end: &End) -> Markup {
    match end {
        End::Free(reason) => html! {
            (reason) " We have not asked you anything else, because it would not change this."
        },
        End::CapitalOverLimit { capital, limit } => html! {
            "Your savings and other capital of " (capital) " are over the limit of " (limit)
            ", so you would pay the full cost of your care. We have not asked about your income, because it would not change this."
        },
    }
}

/// The check-answers page: every answer that applies, each with a "Change" button that
/// returns here after the change; or the first question still to answer.
fn check_page(flow: &Flow<'_>) -> HtmlPage {
    if let Err(page) = answered_case(flow) {
        return page;
    }
    let answers = flow.answers;
    let title = "Check your answers";
    let back = back_button(answers, "check", false);
    let main = html! {
        div.govuk-grid-row { div.govuk-grid-column-two-thirds {
            h1.govuk-heading-l { (title) }
            @if let Some(end) = &flow.end {
                div.govuk-inset-text #questions-ended { (end_text(end)) }
            }
            form method="post" action=(PATH) novalidate {
                (hidden(answers, &[]))
                input type="hidden" name="page" value="check";
                dl.govuk-summary-list {
                    @for step in &flow.steps {
                        @for field in step.fields.iter().filter(|f| (f.asked)(answers)) {
                            div.govuk-summary-list__row {
                                dt.govuk-summary-list__key { (field.summary) }
                                dd.govuk-summary-list__value { (answer_text(answers, field)) }
                                dd.govuk-summary-list__actions {
                                    button.app-link-button type="submit" name="go" value={ "change:" (step.id) } {
                                        "Change" span.govuk-visually-hidden { " " (field.summary.to_lowercase()) }
                                    }
                                }
                            }
                        }
                    }
                }
                h2.govuk-heading-m { "Now work out your estimate" }
                p.govuk-body { (NOTHING_KEPT) }
                button.govuk-button type="submit" name="go" value="estimate" { "Work out my estimate" }
            }
        } }
    };
    HtmlPage::private(StatusCode::OK, document(title, None, Some(back), main))
}

/// The estimate, or the question whose answer the assessment could not use.
fn estimate_page(flow: &Flow<'_>) -> HtmlPage {
    let case = match answered_case(flow) {
        Ok(case) => case,
        Err(page) => return page,
    };
    let explanation = match assess_case(&case.input) {
        Ok(explanation) => explanation,
        Err(ApiError::Assessment(AssessError::MissingFigure {
            nation: Nation::NorthernIreland,
            parameter: "non_residential.home_help_charge",
            ..
        })) => return home_help_unknown(flow),
        Err(error) => return assessment_refused(flow, &case, &error),
    };
    let answers = flow.answers;
    let cost_asked = flow.applies("cost");
    let back = back_button(answers, "estimate", false);
    let main = html! {
        h1.govuk-heading-l { "Your estimate" }
        @if let Some(notice) = year_notice(crate::clock::today()) { (notice) }
        @if let Some(end) = &flow.end {
            div.govuk-inset-text #questions-ended { (end_text(end)) }
        }
        (render_estimate(case.input.weekly_cost_of_care, &explanation, cost_asked, case.assumed_qualifying_income))
        (arrangement_fees(&explanation))
        form method="post" action=(PATH) {
            (hidden(answers, &[]))
            input type="hidden" name="page" value="estimate";
            div.govuk-button-group {
                button.govuk-button.govuk-button--secondary type="submit" name="go" value="check" { "Check or change your answers" }
                a.govuk-link href=(PATH) { "Start again" }
            }
        }
        p.govuk-body { (NOTHING_KEPT) }
    };
    HtmlPage::private(
        StatusCode::OK,
        document(&format!("Your estimate: {TITLE}"), None, Some(back), main),
    )
}

/// A full-cost payer's fees for the council arranging their care, where its policy sets
/// any (Care Act 2014 s.14(1)(b)).
fn arrangement_fees(e: &Explanation) -> Markup {
    let (set_up, annual) = (e.outcome.arrangement_fee_set_up, e.outcome.arrangement_fee_annual);
    if set_up.is_zero() && annual.is_zero() {
        return html! {};
    }
    html! {
        h2.govuk-heading-m #arrangement-fees { "Fees for arranging your care" }
        p.govuk-body { "Because you asked the council to arrange your care, it charges:" }
        ul.govuk-list.govuk-list--bullet {
            @if set_up.is_positive() { li { (set_up) " to set up your care" } }
            @if annual.is_positive() { li { (annual) " a year to manage it" } }
        }
        p.govuk-body { "These are on top of the weekly cost of your care." }
    }
}

/// Northern Ireland's home help for someone under 75 and not on Pension Credit or Income
/// Support: the model scheme's charge is not in a source onebudget can read, so the
/// engine refuses it by name; the page says so in plain words, and who can say.
fn home_help_unknown(flow: &Flow<'_>) -> HtmlPage {
    let answers = flow.answers;
    let title = "We cannot estimate a charge for home help yet";
    let back = back_button(answers, "estimate", false);
    let main = html! {
        div.govuk-grid-row { div.govuk-grid-column-two-thirds {
            h1.govuk-heading-l { (title) }
            p.govuk-body { "In Northern Ireland, personal care at home is free. Home help, such as cleaning, shopping or housework, is charged for under the Department of Health's home help scheme, unless you are 75 or over or you get Pension Credit or Income Support." }
            p.govuk-body { "You told us you are under 75 and do not get Pension Credit or Income Support, so you may be charged. The amount charged for home help has not been published in a source we can read, so we cannot work out what you would pay." }
            p.govuk-body #home-help-ask { "Ask your Health and Social Care (HSC) trust what it charges for home help. The trust that arranges your care can tell you." }
            form method="post" action=(PATH) {
                (hidden(answers, &[]))
                input type="hidden" name="page" value="estimate";
                div.govuk-button-group {
                    button.govuk-button.govuk-button--secondary type="submit" name="go" value="check" { "Check or change your answers" }
                    a.govuk-link href=(PATH) { "Start again" }
                }
            }
            p.govuk-body { (NOTHING_KEPT) }
        } }
    };
    HtmlPage::private(StatusCode::OK, document(title, None, Some(back), main))
}

/// The assessment refused the case: the message beside the question it is about, or the
/// "there is a problem with the service" page when the server itself failed.
fn assessment_refused(flow: &Flow<'_>, case: &FormCase, error: &ApiError) -> HtmlPage {
    let (field, message) = match error {
        ApiError::Field(FieldError { field, problem, .. }) => {
            (case.form_field(field).unwrap_or("cost_of_care"), capitalised(problem))
        }
        // A fact a rule needs, found missing or contradicted once the figures are known
        // (the Savings Credit facts): beside its question.
        ApiError::Assessment(AssessError::Case(error)) => {
            (case.form_field(&error.field).unwrap_or("cost_of_care"), capitalised(&error.problem))
        }
        ApiError::Assessment(AssessError::Policy(policy))
            if let PolicyError::DateNotCovered { nation, years, .. } = &**policy =>
        {
            (
                "year",
                format!(
                    "We can only estimate for the financial years {years} in {}: choose one of those",
                    nation.name()
                ),
            )
        }
        ApiError::Assessment(AssessError::NoRule { nation, .. }) => {
            ("setting", format!("We cannot estimate this kind of care in {} yet", nation.name()))
        }
        ApiError::Assessment(AssessError::MissingFigure { nation, .. }) => (
            "year",
            format!(
                "We cannot give an estimate for this yet: a figure the {} rules need for that \
                 year has not been added. Try another financial year",
                nation.name()
            ),
        ),
        ApiError::Assessment(AssessError::Money(_)) => (
            "cost_of_care",
            "One of the amounts is too large to work with: check the amounts you entered"
                .to_owned(),
        ),
        error => {
            // Never the person's answers: only why the server failed.
            tracing::error!(error = ?error, "the care cost estimate could not be worked out");
            return HtmlPage::private(
                StatusCode::INTERNAL_SERVER_ERROR,
                page(
                    "Sorry, there is a problem with the service",
                    html! {
                        h1.govuk-heading-l { "Sorry, there is a problem with the service" }
                        p.govuk-body { "Try again later. Your answers have not been kept." }
                        p.govuk-body { a.govuk-link href=(PATH) { "Start again" } }
                    },
                ),
            );
        }
    };
    let Some((step, _)) = flow::field(field).filter(|(step, _)| flow.applies(step.id)) else {
        return unreadable();
    };
    let mut errors = FieldErrors::new();
    errors.add(field, message);
    question(flow, step, &errors, false, StatusCode::UNPROCESSABLE_ENTITY)
}

/// A form these pages did not send: nothing can be done with it.
fn unreadable() -> HtmlPage {
    let title = "Your answers could not be read";
    HtmlPage::private(
        StatusCode::BAD_REQUEST,
        page(
            title,
            html! {
                h1.govuk-heading-l { (title) }
                p.govuk-body { "The form sent was not one this service sent, so nothing was worked out. Nothing you typed has been kept." }
                p.govuk-body { a.govuk-link href=(PATH) { "Start again" } }
            },
        ),
    )
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The start page: what the service does, what it keeps (nothing), and "Start now".
fn start_page() -> Markup {
    page(
        TITLE,
        html! {
            div.govuk-grid-row { div.govuk-grid-column-two-thirds {
                h1.govuk-heading-l { (TITLE) }
                @if let Some(notice) = year_notice(crate::clock::today()) { (notice) }
                p.govuk-body-l {
                    "Answer some questions about your care and your money to get an estimate of what you might pay each week towards care at home or in a care home."
                }
                p.govuk-body { "We only ask what can change the estimate where you live, so it takes a few minutes. At the end you can check your answers and see how the estimate was worked out, with the law behind each step." }
                (warning_text(html! {
                    "This gives an estimate only. What you pay is decided by your council's financial assessment (in Northern Ireland, your health and social care trust's)."
                }))
                p.govuk-body {
                    "Care arranged and paid for by the NHS is free: for example NHS continuing healthcare, or aftercare under section 117 of the Mental Health Act. You do not pay anything towards it."
                }
                form method="post" action=(PATH) {
                    input type="hidden" name="go" value="start";
                    button.govuk-button.govuk-button--start type="submit" {
                        "Start now"
                        (PreEscaped(r#"<svg class="govuk-button__start-icon" xmlns="http://www.w3.org/2000/svg" width="17.5" height="19" viewBox="0 0 33 40" aria-hidden="true" focusable="false"><path fill="currentColor" d="M0 0h13l20 20-20 20H0l20-20z"/></svg>"#))
                    }
                }
                h2.govuk-heading-m { "What we keep" }
                p.govuk-body { "Nothing. " (NOTHING_KEPT) }
            } }
        },
    )
}

/// "Adds £5.00", "Takes off £3.00" or "No change": the effect in words, not colour or sign.
fn effect_text(effect: Money) -> String {
    let magnitude = Money::from_pence(effect.pence().saturating_abs());
    if effect.is_positive() {
        format!("Adds {magnitude}")
    } else if effect.is_negative() {
        format!("Takes off {magnitude}")
    } else {
        "No change".to_owned()
    }
}

/// A link only to a web address: a policy file's reference is shown as text otherwise.
fn is_web_address(href: &str) -> bool {
    href.starts_with("https://") || href.starts_with("http://")
}

/// Laws the policy files cite by number, with the names people know them by. A law not
/// here is cited by its number alone, which is still a full citation.
const LAW_NAMES: &[(&str, &str)] = &[
    ("SI 2014/2672", "Care and Support (Charging and Assessment of Resources) Regulations 2014"),
    ("SI 2015/644", "Care and Support (Miscellaneous Amendments) Regulations 2015"),
    (
        "SI 2023/277",
        "Care and Support (Charging and Assessment of Resources) (Amendment) Regulations 2023",
    ),
    ("SI 2015/1843", "Care and Support (Charging) (Wales) Regulations 2015"),
    ("SI 2015/1844", "Care and Support (Financial Assessment) (Wales) Regulations 2015"),
];

/// An official publisher's web address: the citation links there; anything else (a
/// council's or a charity's copy of a figure) is offered as a published copy beside it.
fn is_official(href: &str) -> bool {
    let host = href.split("://").nth(1).and_then(|rest| rest.split('/').next()).unwrap_or("");
    [
        "legislation.gov.uk",
        "www.legislation.gov.uk",
        "www.gov.uk",
        "www.gov.wales",
        "www.gov.scot",
        "www.parliament.scot",
    ]
    .contains(&host)
}

/// The host of a web address, to name a published copy by.
fn host(href: &str) -> &str {
    let host = href.split("://").nth(1).and_then(|rest| rest.split('/').next()).unwrap_or(href);
    host.strip_prefix("www.").unwrap_or(host)
}

/// A law by its number, named where the name is known: "the Care and Support (Charging and
/// Assessment of Resources) Regulations 2014 (SI 2014/2672)".
fn law(cite: &str) -> String {
    let cite = cite.trim();
    match LAW_NAMES.iter().find(|(number, _)| *number == cite) {
        Some((number, name)) => format!("the {name} ({number})"),
        None => cite.to_owned(),
    }
}

/// "reg 7(2)(c)" as "regulation 7(2)(c)", "Sch 1 para 40" as "Schedule 1, paragraph 40".
fn provision(text: &str) -> String {
    let text = text.trim();
    let text = text
        .replace("Sch ", "Schedule ")
        .replace(" para ", ", paragraph ")
        .replace("para ", "paragraph ");
    match text.strip_prefix("reg ") {
        Some(rest) => format!("regulation {rest}"),
        None => text,
    }
}

/// Is `text` a law's number, e.g. `SI 2014/2672`, `SSI 2021/76`, `WSI 2020/131`?
fn is_law_number(text: &str) -> bool {
    let mut parts = text.split(' ');
    matches!(parts.next(), Some("SI" | "SSI" | "WSI" | "SR"))
        && parts
            .next()
            .is_some_and(|n| n.contains('/') && n.chars().all(|c| c.is_ascii_digit() || c == '/'))
        && parts.next().is_none()
}

/// A source's reference as the public should read it: the regulation (its name, number
/// and provision) or the official publication, without the notes the policy files keep
/// for their maintainers (which copy a figure was read from, what was assumed, what is
/// unchanged since when).
pub fn public_citation(title: &str) -> String {
    // The first clause; the rest is notes.
    let mut text = title.split(';').next().unwrap_or(title).to_owned();
    // "…para 1(a): £108.55" or "…art 14(a): for “£101.75” substitute “£108.55”" quotes
    // the figure, which the page shows beside the citation.
    if let Some(at) = text.find(": ").filter(|at| text.get(*at..).is_some_and(|r| r.contains('£')))
    {
        text.truncate(at);
    }
    // Parenthesised notes go; a law's number in brackets stays.
    let mut kept = String::new();
    let mut depth = 0_usize;
    let mut group = String::new();
    for c in text.chars() {
        match c {
            '(' => {
                depth += 1;
                group.push(c);
            }
            ')' if depth > 0 => {
                depth -= 1;
                group.push(c);
                if depth == 0 {
                    let inner = group.get(1..group.len() - 1).unwrap_or_default();
                    // A provision's "(2)(c)", an organisation's "(DHSC)", a law's number and
                    // a name's own brackets ("(Charging)") stay.
                    if !inner.contains(' ')
                        || is_law_number(inner)
                        || inner.chars().next().is_some_and(char::is_uppercase)
                            && !inner.contains('£')
                            && inner.split(' ').count() <= 6
                            && !inner.contains("published")
                            && !inner.contains("unchanged")
                    {
                        kept.push_str(&group);
                    }
                    group.clear();
                }
            }
            _ if depth > 0 => group.push(c),
            _ => kept.push(c),
        }
    }
    text = kept.split_whitespace().collect::<Vec<_>>().join(" ").replace(" ,", ",");
    for note in [
        ", in force",
        " from £",
        ", as published by",
        " as published by",
        ", start date",
        ", secondary",
        ", table column",
        ", MIG",
        " MIG",
        " maximum savings disregard",
        " child addition",
        " carer premium",
    ] {
        if let Some(at) = text.find(note) {
            text.truncate(at);
        }
    }
    let text = text.trim().trim_end_matches(',').trim();
    let cited = if let Some((amender, amended)) = text.split_once(", amending ") {
        // "SI 2023/277 reg 2(3)(d)(i), amending reg 7(4)(a) of SI 2014/2672"
        let (what, of) = amended.split_once(" of ").unwrap_or((amended, ""));
        let of = of.strip_prefix("the ").unwrap_or(of);
        let of = LAW_NAMES.iter().find(|(_, name)| *name == of).map_or(of, |(number, _)| *number);
        let (number, at) = amender.split_once(" reg ").unwrap_or((amender, ""));
        let by =
            if at.is_empty() { law(number) } else { format!("{}, regulation {at}", law(number)) };
        format!("{}, {}, as amended by {by}", law(of), provision(what))
    } else if let Some((original, by)) = text.split_once(" as amended by ") {
        // "SI 2014/2672 reg 6 as amended by the ... Regulations 2023 (SI 2023/277) reg 2(2)"
        let (number, what) = original.split_once(' ').map_or((original, ""), |(kind, rest)| {
            let (n, what) = rest.split_once(' ').unwrap_or((rest, ""));
            (original.get(..kind.len() + 1 + n.len()).unwrap_or(original), what)
        });
        let by = by.strip_prefix("the ").unwrap_or(by);
        let by = match by.rsplit_once(") reg ") {
            Some((name, at)) => {
                let number = name.rsplit_once('(').map_or(name, |(_, n)| n);
                format!("{}, regulation {at}", law(number))
            }
            None => law(by.split(" reg ").next().unwrap_or(by)),
        };
        format!("{}, {}, as amended by {by}", law(number), provision(what))
    } else if let Some((name, at)) = LAW_NAMES.iter().find_map(|(number, name)| {
        text.strip_prefix(name).map(|rest| {
            let rest = rest.trim().strip_prefix(&format!("({number})")).unwrap_or(rest);
            ((*number, *name), rest.trim().trim_start_matches(',').trim())
        })
    }) {
        // "Care and Support (Charging ...) Regulations 2014, reg 25"
        let whole = format!("the {} ({})", name.1, name.0);
        if at.is_empty() { whole } else { format!("{whole}, {}", provision(at)) }
    } else if let Some(rest) = text.strip_prefix("LAC(DHSC)") {
        format!(
            "the Department of Health and Social Care's local authority circular LAC(DHSC){rest}"
        )
    } else if let Some(years) = text.strip_suffix(" local authority circular") {
        format!("the Department of Health and Social Care's local authority circular for {years}")
    } else {
        // "SSI 2021/76 reg 2, National Assistance (...) Regulations 2021": name first.
        let (head, name) = text.split_once(", ").unwrap_or((text, ""));
        let (number, at) = head.split_once(" reg ").unwrap_or((head, ""));
        if is_law_number(number) && !name.is_empty() {
            let whole = format!("the {name} ({number})");
            if at.is_empty() { whole } else { format!("{whole}, regulation {at}") }
        } else if let Some((number, at)) = LAW_NAMES.iter().find_map(|(number, _)| {
            text.strip_prefix(number).filter(|at| at.starts_with(' ')).map(|at| (*number, at))
        }) {
            // "SI 2014/2672 Sch 1 para 40(3)-(4)"
            format!("{}, {}", law(number), provision(at))
        } else {
            text.replace(", reg ", ", regulation ")
        }
    };
    crate::pages::budgets::sentence(&cited.replace(",,", ",").replace(", (", " ("))
}

/// The council whose overlay this server applies to the estimate, with the entry in
/// force on its date, if any.
fn council_choices(
    e: &Explanation,
) -> Option<(&'static str, &'static onebudget_core::policy::LocalEntry)> {
    let overlay = onebudget_core::policy::LocalPolicy::in_use()?;
    let entry = overlay.defaults_for(e.nation, e.date).council?;
    Some((overlay.council.as_str(), entry))
}

/// The estimate and every step of how it was worked out, with the sources cited. The
/// step stating the cost is left out when the cost was not asked (care free by law).
fn render_estimate(
    cost: Money,
    e: &Explanation,
    cost_asked: bool,
    assumed_qualifying: Option<Money>,
) -> Markup {
    let charge = e.outcome.weekly_charge;
    let shown = |step: &&onebudget_core::assessment::Step| {
        cost_asked || step.rule != "cost.weekly_cost_of_care"
    };
    // The sources in the order the steps first use them, numbered from 1.
    let mut sources: Vec<&Source> = Vec::new();
    for source in e.steps.iter().flat_map(|step| &step.sources) {
        if !sources.contains(&source) {
            sources.push(source);
        }
    }
    let number = |source: &Source| sources.iter().position(|s| *s == source).map_or(0, |i| i + 1);
    let upper_limit = e
        .steps
        .iter()
        .find(|step| step.rule == "capital.above_upper_limit")
        .and_then(|step| step.sources.first())
        .map(|source| source.value.as_str());
    html! {
        div.govuk-panel.govuk-panel--confirmation {
            h2.govuk-panel__title #estimate-title {
                @if charge.is_zero() { "Estimate: you would not pay anything" }
                @else { "Estimate: " (charge) " a week" }
            }
            div.govuk-panel__body { "An estimate, not a decision" }
        }
        @if e.outcome.full_cost && charge.is_positive() {
            p.govuk-body {
                @if charge == cost { "You would pay the full cost of " (charge) " a week" }
                @else { "You would pay " (charge) " a week, the most you can be charged," }
                " because your savings and other capital of " (e.outcome.counted_capital)
                @if let Some(limit) = upper_limit { " are over the limit of " (limit) "." }
                @else { " are over the limit." }
            }
        } @else if charge.is_zero() {
            p.govuk-body { "Based on your answers, you would not pay anything towards the cost of your care." }
        } @else {
            p.govuk-body { "Based on your answers, you might pay " (charge) " a week towards the cost of your care of " (cost) " a week." }
        }
        p.govuk-body { "This is an estimate. Your council's financial assessment decides what you pay." }
        @if let Some((council, entry)) = council_choices(e) {
                p.govuk-body {
                    "It uses " (council) "'s own charging choices: "
                    @if is_web_address(&entry.reference.href) {
                        a.govuk-link href=(entry.reference.href) { (entry.reference.title) }
                    } @else {
                        (entry.reference.title)
                    }
                    "."
                }
        }
        h2.govuk-heading-m { "How we worked this out" }
        p.govuk-body {
            "These are the " (e.nation.name()) " rules in force from " (e.rules_in_force_from.format("%-d %B %Y"))
            ". Each step adds to or takes off what you pay; together they make the estimate."
        }
        div.app-table-wrap role="region" aria-label="The steps of the estimate" tabindex="0" { table.govuk-table.govuk-table--small-text-until-tablet {
            caption.govuk-table__caption.govuk-visually-hidden { "The steps of the estimate and their effect on what you pay" }
            thead.govuk-table__head {
                tr.govuk-table__row {
                    th.govuk-table__header scope="col" { "Step" }
                    th.govuk-table__header.govuk-table__header--numeric scope="col" { "Effect on what you pay" }
                }
            }
            tbody.govuk-table__body {
                @for step in e.steps.iter().filter(shown) {
                    tr.govuk-table__row {
                        td.govuk-table__cell {
                            (step.explanation)
                            @if !step.sources.is_empty() {
                                span.app-step-sources {
                                    "Source: "
                                    @for (i, source) in step.sources.iter().enumerate() {
                                        @if i > 0 { ", " }
                                        a.govuk-link href={ "#source-" (number(source)) } { "source " (number(source)) }
                                    }
                                }
                            }
                        }
                        td.govuk-table__cell.govuk-table__cell--numeric { (effect_text(step.effect)) }
                    }
                }
            }
            tfoot {
                tr.govuk-table__row {
                    th.govuk-table__header scope="row" { "What you might pay each week" }
                    td.govuk-table__cell.govuk-table__cell--numeric { strong { (charge) } }
                }
            }
        } }
        @if !sources.is_empty() {
            h2.govuk-heading-m #sources { "Sources" }
            p.govuk-body { "The figures used come from these laws, guidance and benefit rates." }
            ol.govuk-list.govuk-list--number {
                @for (i, source) in sources.iter().enumerate() {
                    li id={ "source-" (i + 1) } {
                        @let citation = public_citation(&source.reference.title);
                        @if is_web_address(&source.reference.href) && is_official(&source.reference.href) {
                            a.govuk-link href=(source.reference.href) { (citation) }
                        } @else {
                            (citation)
                        }
                        span.app-step-sources {
                            "Figure used: " (source.value) ", in force from " (source.from.format("%-d %B %Y")) "."
                            @if is_web_address(&source.reference.href) && !is_official(&source.reference.href) {
                                " A copy of the figure: " a.govuk-link href=(source.reference.href) { (host(&source.reference.href)) } "."
                            }
                        }
                    }
                }
            }
        }
        h2.govuk-heading-m { "What this estimate assumes" }
        ul.govuk-list.govuk-list--bullet {
            @if e.steps.iter().any(|s| s.rule == "local.assess_couple_jointly_if_lower") {
                li { "You are assessed on your own income and your share of your savings, and, as your council's policy allows, also on half of your income and your partner's together; the lower charge is used." }
            } @else {
                li { "You are assessed on your own income and your share of your savings, not a partner's." }
            }
            @if let Some((council, _)) = council_choices(e) {
                li { "It uses the national rules with " (council) "'s own choices, named above." }
            } @else {
                li { "It uses the national rules. Your council may choose to be more generous, for example by not counting part of a disability benefit when you do not get care at night." }
            }
            @if e.steps.iter().any(|s| s.explanation.contains("dependent child")) {
                li { "It counts only the income, savings, costs and children you told us about." }
            } @else {
                li { "It counts only the income, savings and costs you told us about, and assumes you have no children living with you." }
            }
            li { "Earnings and the mobility part of PIP or DLA are not counted." }
            @if let Some(qualifying) = assumed_qualifying {
                li #assumed-qualifying-income {
                    "Your qualifying income for Savings Credit is taken to be " (qualifying) " a week: your pensions, plus £1 a week for every £500 (or part of £500) of savings over £10,000, as Pension Credit counts it (State Pension Credit Regulations 2002, regulation 15(6)). "
                    "If it is more than the Pension Credit standard minimum guarantee, part of your income is not counted. A Pension Credit decision letter shows the figure DWP uses."
                }
            }
            @if e.steps.iter().any(|s| s.rule == "stay.short_term_as_at_home") {
                li { "The stay in the care home is short (up to 8 weeks), so it is charged as if the care were at home." }
            } @else if e.setting == Setting::CareHome {
                @if e.steps.iter().any(|s| s.rule == "stay.temporary") {
                    li { "The stay in the care home is temporary: you mean to go back home." }
                } @else {
                    li { "The care home stay is permanent." }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::Datelike;

    use super::*;

    #[test]
    fn the_page_says_when_the_year_we_are_in_has_no_figures_yet() {
        // The newest year any nation's rules cover, read from the policy in use.
        let newest = Nation::ALL
            .iter()
            .filter_map(|n| flow::years(*n).into_iter().next())
            .max_by_key(|y| y.year)
            .unwrap();
        assert!(year_notice(newest.date).is_none());
        let next_april = NaiveDate::from_ymd_opt(newest.date.year() + 1, 4, 1).unwrap();
        let next = onebudget_core::pool::FinancialYear::containing(next_april).unwrap();
        let notice = year_notice(next_april).unwrap().into_string();
        assert!(
            notice.contains(&format!("newest figures in this calculator are for {}", newest.text))
                && notice.contains(&format!(
                    "The figures for {}, the year we are in now, have not been added yet",
                    next.label()
                )),
            "{notice}"
        );
    }

    #[test]
    fn the_public_sees_the_regulation_not_the_policy_files_notes() {
        assert_eq!(
            public_citation(
                "Care and Support (Charging and Assessment of Resources) Regulations 2014, reg 25 (tariff income); unchanged per LAC(DHSC)(2024)1"
            ),
            "The Care and Support (Charging and Assessment of Resources) Regulations 2014 (SI 2014/2672), regulation 25"
        );
        assert_eq!(
            public_citation(
                "SI 2022/243 reg 2(3)(b)(iii), amending reg 7(2)(c) of SI 2014/2672, in force 6 April 2022 (reg 1(2))"
            ),
            "The Care and Support (Charging and Assessment of Resources) Regulations 2014 (SI 2014/2672), regulation 7(2)(c), as amended by SI 2022/243, regulation 2(3)(b)(iii)"
        );
        assert_eq!(
            public_citation(
                "SI 2014/2672 reg 6 as amended by the Care and Support (Charging and Assessment of Resources) (Amendment) Regulations 2023 (SI 2023/277) reg 2(2), in force 6 April 2023"
            ),
            "The Care and Support (Charging and Assessment of Resources) Regulations 2014 (SI 2014/2672), regulation 6, as amended by the Care and Support (Charging and Assessment of Resources) (Amendment) Regulations 2023 (SI 2023/277), regulation 2(2)"
        );
        assert_eq!(
            public_citation(
                "2025 to 2026 local authority circular, as published by Wirral Council (\"Minimum Income Guarantee Consultation\", open until 11 November 2025), table column"
            ),
            "The Department of Health and Social Care's local authority circular for 2025 to 2026"
        );
        assert_eq!(
            public_citation(
                "SSI 2021/76 reg 2, National Assistance (Sums for Personal Requirements) (Scotland) Regulations 2021, in force 12 April 2021 (reg 1(1) as amended by SSI 2021/115 reg 3(2))"
            ),
            "The National Assistance (Sums for Personal Requirements) (Scotland) Regulations 2021 (SSI 2021/76), regulation 2"
        );
        assert_eq!(
            public_citation(
                "WSI 2024/330 reg 2(a), amending reg 13 of the Care and Support (Charging) (Wales) Regulations 2015, in force 8 April 2024"
            ),
            "The Care and Support (Charging) (Wales) Regulations 2015 (SI 2015/1843), regulation 13, as amended by WSI 2024/330, regulation 2(a)"
        );
        // Every reference in every policy file the page can cite reads as a citation, with
        // none of the files' working notes.
        let files = [
            include_str!("../../../../policy/uk/benefits.yaml"),
            include_str!("../../../../policy/england.yaml"),
            include_str!("../../../../policy/wales.yaml"),
            include_str!("../../../../policy/scotland.yaml"),
            include_str!("../../../../policy/northern_ireland.yaml"),
        ];
        let mut checked = 0;
        for (i, text) in files.iter().enumerate() {
            let file = onebudget_core::policy::PolicyFile::parse(&format!("file {i}"), text)
                .expect("policy file");
            for parameter in file.parameters.values() {
                for value in parameter.values.iter().filter(|v| !v.unknown) {
                    let cited = public_citation(&value.reference.title);
                    checked += 1;
                    assert!(cited.chars().next().is_some_and(char::is_uppercase), "{cited:?}");
                    for note in [
                        "published by",
                        "NOT YET",
                        "unchanged",
                        "assumed",
                        "secondary",
                        ", in force",
                        "confirmed",
                        ",,",
                        "Sch ",
                        "£",
                        ";",
                        "\"",
                        &parameter.name,
                    ] {
                        assert!(
                            !cited.contains(note),
                            "{:?} became {cited:?}",
                            value.reference.title
                        );
                    }
                    assert_eq!(cited.matches('(').count(), cited.matches(')').count(), "{cited:?}");
                }
            }
        }
        assert!(checked > 100, "only {checked} references");
    }

    #[test]
    fn effects_are_told_in_words() {
        assert_eq!(effect_text(Money::from_pence(550)), "Adds £5.50");
        assert_eq!(effect_text(Money::from_pence(-17_175)), "Takes off £171.75");
        assert_eq!(effect_text(Money::ZERO), "No change");
    }
}
