//! A practitioner's pages about a person on their team's caseload (linked from
//! `/people/{code}`): the needs assessment (`/people/{code}/needs-assessment`), the result
//! and allocation (`/people/{code}/budget`), the support plan with its lines and components
//! (`/people/{code}/budget/plan` and the forms below it) and the review of versions and
//! status (`/people/{code}/budget/review`). Each save is a new budget version through the
//! store's `record_budget`: the previous version's plan plus the change.

use super::*;

// ---------------------------------------------------------------------------------------
// The needs assessment

/// `GET /people/{code}/needs-assessment`: the questionnaire in force, as a form.
pub async fn needs_form(
    State(state): State<AppState>,
    caller: Caller,
    PagePath(code): PagePath<String>,
) -> PageResult {
    let target = format!("/people/{code}/needs-assessment");
    let (principal, person) = authorize_plan(&state, &caller, &code, &target).await?;
    let scheme = scheme(&state)?;
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
) -> PageResult {
    let on = parse_day(value(form, "assessed_on")).unwrap_or_else(today);
    let questionnaire =
        match scheme.questionnaire_on(on).or_else(|_| scheme.questionnaire_on(today())) {
            Ok(q) => q,
            Err(e) => return Err(PageError::from(ApiError::Internal(e.to_string()))),
        };
    let title = format!("Needs assessment: {}", full_name(person));
    let main = html! {
        (error_summary(errors))
        h1.govuk-heading-l { (title) }
        p.govuk-body-l { "Questionnaire " (questionnaire.version) ", in force from " (long_date(questionnaire.effective_from)) ": " (questionnaire.reference.title) "." }
        p.govuk-body { "Answer every question. The answers are scored, and each funding stream's eligibility is decided from them; nothing is kept until the form is sent without a mistake." }
        form method="post" action={ "/people/" (person.code) "/needs-assessment" } novalidate {
            (csrf_field(caller))
            input type="hidden" name="questionnaire" value=(questionnaire.version);
            (text_input("assessed_on", "Date of the assessment", Some(DATE_HINT), value(form, "assessed_on"), errors))
            @for domain in &questionnaire.domains {
                @let labels: Vec<(String, String)> = domain.levels.iter().map(|l| (l.code.clone(), format!("{} ({} points)", l.label, l.points))).collect();
                @let options: Vec<(&str, &str)> = labels.iter().map(|(c, l)| (c.as_str(), l.as_str())).collect();
                (Radios { name: domain.code.as_str(), legend: domain.title.as_str(), hint: Some(domain.question.as_str()), options: &options, selected: value(form, &domain.code), inline: false }.render(errors))
            }
            button.govuk-button type="submit" { "Record the needs assessment" }
        }
        (budget_nav(principal, person))
    };
    render_for_person(caller, principal, status, &title, person, main)
}

/// `POST /people/{code}/needs-assessment`: score the answers and keep them.
pub async fn record_needs(
    State(state): State<AppState>,
    caller: Caller,
    PagePath(code): PagePath<String>,
    form: Result<Form<FormPairs>, FormRejection>,
) -> PageResult {
    let target = format!("/people/{code}/needs-assessment");
    let (principal, person) = authorize_plan(&state, &caller, &code, &target).await?;
    let form = checked_form(&caller, form, "The needs assessment was not recorded", &target)?;
    let scheme = scheme(&state)?;
    let version = value(&form, "questionnaire").to_owned();
    let questionnaire = match scheme.questionnaire(&version) {
        Ok(q) => q.clone(),
        Err(e) => return Err(PageError::from(ApiError::Internal(e.to_string()))),
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
                Err(e) => return Err(PageError::from(e)),
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
    PagePath(code): PagePath<String>,
    PageQuery(query): PageQuery<DoneQuery>,
) -> PageResult {
    let target = format!("/people/{code}/budget");
    let (principal, person) = authorize_person(&state, &caller, &code, false, &target).await?;
    let (scheme, record) = scheme_and_record(&state, &code).await?;
    let done = match query.done.as_deref() {
        Some("assessed") => Some("The needs assessment has been recorded."),
        _ => None,
    };
    let title = format!("Personal budget: {}", full_name(&person));
    let version = record.latest_version();
    let main = html! {
        (done_panel(done))
        h1.govuk-heading-l { (title) }
        (budget_nav(&principal, &person))
        @match record.latest_assessment() {
            None => {
                @if version.is_some() {
                    p.govuk-body { "No needs assessment has been recorded in onebudget yet: the budget below was brought from another system. Record a needs assessment and a support plan at its next review." }
                } @else {
                    p.govuk-body { "No needs assessment has been recorded, so there is no budget yet." }
                }
                @if may(&principal, &Action::PlanBudget(PersonRef { code: &person.code, team: &person.team })) {
                    p.govuk-body { a.govuk-link href={ "/people/" (person.code) "/needs-assessment" } { "Record a needs assessment" } }
                }
            }
            Some(assessment) => {
                (assessment_markup(&scheme, assessment))
                (eligibility_markup(&scheme, &assessment.eligibility))
                (ras_markup(&scheme, &assessment.scores, &assessment.eligibility, version.map_or(assessment.assessed_on, |v| v.effective_from)))
            }
        }
        @if let Some(version) = version {
            h2.govuk-heading-m { "The budget: version " (version.version) ", " (status_words(version.status).to_lowercase()) }
            (decision_markup(&scheme, &version.decision))
        } @else if record.latest_assessment().is_some() {
            h2.govuk-heading-m { "The budget" }
            p.govuk-body { "No budget has been made yet. Add the support plan's lines on " a.govuk-link href={ "/people/" (person.code) "/budget/plan" } { "the support plan page" } "." }
        }
    };
    render_for_person(&caller, &principal, StatusCode::OK, &title, &person, main)
}

fn assessment_markup(scheme: &Scheme, assessment: &NeedsAssessmentRecord) -> Markup {
    let questionnaire = scheme.questionnaire(&assessment.questionnaire).ok();
    html! {
        h2.govuk-heading-m { "Needs assessment of " (long_date(assessment.assessed_on)) }
        p.govuk-body { "Questionnaire " (assessment.questionnaire) ", recorded by " (assessment.recorded_by) ". " (assessment.scores.total()) " points in all." }
        div.app-table-wrap role="region" aria-label="Points by domain" tabindex="0" { table.govuk-table.govuk-table--small-text-until-tablet {
            caption.govuk-table__caption.govuk-table__caption--m { "Points by domain" }
            thead.govuk-table__head { tr.govuk-table__row { th.govuk-table__header scope="col" { "Domain" } th.govuk-table__header scope="col" { "Answer" } th.govuk-table__header.govuk-table__header--numeric scope="col" { "Points" } } }
            tbody.govuk-table__body {
                @for score in &assessment.scores.domains {
                    @let domain = questionnaire.and_then(|q| q.domains.iter().find(|d| d.code == score.domain));
                    @let level = domain.and_then(|d| d.levels.iter().find(|l| l.code == score.level));
                    tr.govuk-table__row {
                        th.govuk-table__header scope="row" { (domain.map_or(score.domain.as_str(), |d| d.title.as_str())) }
                        td.govuk-table__cell { (level.map_or(score.level.as_str(), |l| l.label.as_str())) }
                        td.govuk-table__cell.govuk-table__cell--numeric { (score.points) }
                    }
                }
            }
            tfoot { tr.govuk-table__row { th.govuk-table__header scope="row" { "Total" } td.govuk-table__cell {} td.govuk-table__cell.govuk-table__cell--numeric { (assessment.scores.total()) } } }
        } }
    }
}

fn eligibility_markup(scheme: &Scheme, eligibility: &[Decision]) -> Markup {
    html! {
        h2.govuk-heading-m { "Eligibility for each funding stream" }
        div.app-table-wrap role="region" aria-label="Each stream's decision and its reason" tabindex="0" { table.govuk-table.govuk-table--small-text-until-tablet {
            caption.govuk-table__caption.govuk-table__caption--m { "Each stream's decision and its reason" }
            thead.govuk-table__head { tr.govuk-table__row { th.govuk-table__header scope="col" { "Stream" } th.govuk-table__header scope="col" { "Eligible" } th.govuk-table__header scope="col" { "Why" } } }
            tbody.govuk-table__body {
                @for d in eligibility {
                    tr.govuk-table__row {
                        th.govuk-table__header scope="row" { (stream_name(scheme, &d.stream)) " (" (d.stream) ")" }
                        td.govuk-table__cell { strong { (if d.eligible { "Eligible" } else { "Not eligible" }) } }
                        td.govuk-table__cell { (sentence(&d.reason)) }
                    }
                }
            }
        } }
    }
}

fn ras_markup(scheme: &Scheme, scores: &Scores, eligibility: &[Decision], on: NaiveDate) -> Markup {
    let eligible: Vec<&Decision> = eligibility.iter().filter(|d| d.eligible).collect();
    html! {
        h2.govuk-heading-m { "Indicative budget (Resource Allocation System)" }
        @if eligible.is_empty() {
            p.govuk-body { "The person is eligible for no stream, so there is no indicative budget." }
        }
        @for d in eligible {
            @let stream = scheme.stream(&d.stream);
            @let ras = stream.map(|s| s.ras_on(on));
            @match (stream, ras) {
                (Some(stream), Some(Ok(ras))) => {
                    @match ras::indicative(ras, scores.points(&ras.domains)) {
                        Ok(result) => {
                            h3.govuk-heading-s { (stream.name) ": " (result.weekly) " a week" }
                            ol.govuk-list.govuk-list--number { @for step in ras::explain(&stream.code, ras, &result) { li { (step) } } }
                        }
                        Err(e) => { p.govuk-body { (stream.name) ": " (e.to_string()) } }
                    }
                }
                (_, Some(Err(e))) => { p.govuk-body { (stream_name(scheme, &d.stream)) ": " (e.to_string()) } }
                _ => { p.govuk-body { (d.stream) ": not a stream of the scheme." } }
            }
        }
    }
}

fn decision_markup(scheme: &Scheme, decision: &BudgetDecision) -> Markup {
    html! {
        dl.govuk-summary-list {
            div.govuk-summary-list__row { dt.govuk-summary-list__key { "Budget a week" } dd.govuk-summary-list__value { (decision.budget) } }
            div.govuk-summary-list__row { dt.govuk-summary-list__key { "The plan costs a week" } dd.govuk-summary-list__value { (decision.plan_cost) } }
            div.govuk-summary-list__row { dt.govuk-summary-list__key { "Unfunded a week" } dd.govuk-summary-list__value { (decision.unfunded) } }
            div.govuk-summary-list__row { dt.govuk-summary-list__key { "The person's contribution a week" } dd.govuk-summary-list__value { (decision.weekly_contribution) " (assessed charge " (decision.assessed_charge) ")" } }
        }
        @if !decision.warnings.is_empty() {
            (warning_text(html! { "Check these before the budget is agreed:" }))
            ul.govuk-list.govuk-list--bullet { @for w in &decision.warnings { li { (sentence(w)) } } }
        }
        div.app-table-wrap role="region" aria-label="Components: one per funding stream" tabindex="0" { table.govuk-table.govuk-table--small-text-until-tablet {
            caption.govuk-table__caption.govuk-table__caption--m { "Components: one per funding stream" }
            thead.govuk-table__head { tr.govuk-table__row {
                th.govuk-table__header scope="col" { "Stream" } th.govuk-table__header.govuk-table__header--numeric scope="col" { "Indicative" } th.govuk-table__header.govuk-table__header--numeric scope="col" { "Agreed" }
                th.govuk-table__header scope="col" { "How it is held" } th.govuk-table__header.govuk-table__header--numeric scope="col" { "Drawn by the plan" } th.govuk-table__header.govuk-table__header--numeric scope="col" { "Person pays" }
            } }
            tbody.govuk-table__body {
                @for c in &decision.components {
                    tr.govuk-table__row {
                        th.govuk-table__header scope="row" { (stream_name(scheme, &c.stream)) " (" (c.stream) "), from " (funder_words(&c.funder)) br; span.govuk-hint { (charging_words(c.charging)) } }
                        td.govuk-table__cell.govuk-table__cell--numeric { (c.indicative.weekly) }
                        td.govuk-table__cell.govuk-table__cell--numeric { (c.agreed) @if let Some(r) = &c.reason { br; span.govuk-hint { "because " (r) } } }
                        td.govuk-table__cell { (sentence(c.mode.words())) @if let Some(p) = &c.provider { " (" (p) ")" } }
                        td.govuk-table__cell.govuk-table__cell--numeric { (c.allocated) }
                        td.govuk-table__cell.govuk-table__cell--numeric { (c.person_pays) }
                    }
                }
            }
        } }
        (lines_markup(scheme, decision))
        h3.govuk-heading-s { "How each line was funded" }
        @for line in &decision.lines {
            h4 { "Line " (line.number) ": " (line.what) @if line.unfunded.is_positive() { " (not fully funded)" } }
            ul.govuk-list.govuk-list--bullet { @for step in &line.explanation { li { (sentence(step)) } } }
        }
    }
}

// ---------------------------------------------------------------------------------------
// The support plan

/// `GET /people/{code}/budget/plan`: the plan's lines and the components, with the forms.
pub async fn plan(
    State(state): State<AppState>,
    caller: Caller,
    PagePath(code): PagePath<String>,
    PageQuery(query): PageQuery<DoneQuery>,
) -> PageResult {
    let target = format!("/people/{code}/budget/plan");
    let (principal, person) = authorize_person(&state, &caller, &code, false, &target).await?;
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
) -> PageResult {
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
) -> PageResult {
    let (scheme, record) = scheme_and_record(state, &person.code).await?;
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
        h1.govuk-heading-l { (title) }
        (budget_nav(principal, person))
        @match version {
            Some(v) => {
                p.govuk-body { "Version " (v.version) ", " (status_words(v.status).to_lowercase()) ", from " (long_date(v.effective_from)) ". Budget " (v.decision.budget) " a week; the plan costs " (v.decision.plan_cost) "." }
                (lines_markup(&scheme, &v.decision))
                @if can_plan && !v.decision.lines.is_empty() {
                    @match plan_status(Some(v)) {
                        Ok(_) => { (line_forms(caller, &scheme, &base, v, form, errors)) }
                        Err(message) => { p.govuk-body { (message) "." } }
                    }
                }
            }
            None => { p.govuk-body { "No budget has been made yet: the first line added makes version 1, a draft." } }
        }
        @if can_plan {
            @match record.latest_assessment() {
                None => {
                    p.govuk-body { "Record a needs assessment before planning: " a.govuk-link href={ "/people/" (person.code) "/needs-assessment" } { "record a needs assessment" } "." }
                }
                Some(assessment) => {
                    h2.govuk-heading-m { "Add a line to the plan" }
                    form method="post" action={ (base) "/lines" } novalidate {
                        (csrf_field(caller))
                        (text_field("what", "What the support is", Some("For example: a personal assistant, 10 hours a week"), form, errors))
                        (text_field("outcome", "The outcome it meets", Some("In the person's words, for example: to get up and dressed each morning"), form, errors))
                        (Select { id: "category", label: "Category of spend", hint: Some("Each funding stream may pay only for some categories"), options: &categories, selected: value(form, "category") }.render(errors))
                        (text_field("provider", "Provider (optional)", None, form, errors))
                        (TextInput { id: "weekly_cost", label: "Weekly cost", hint: None, value: value(form, "weekly_cost"), kind: InputKind::Money }.render(errors))
                        button.govuk-button type="submit" { "Add the line" }
                    }
                    (components_form(caller, &scheme, &base, assessment, version, form, errors))
                }
            }
        }
    };
    render_for_person(caller, principal, status, &title, person, main)
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
        h2.govuk-heading-m { "Each line: how it is funded, fixing its split, or removing it" }
        p.govuk-body { "The allocator pays each line from free NHS money first, then grants, then means-tested social care, within each stream's rules. You may fix how a line is split: an amount from a component, or leave a component blank to let the allocator decide the rest. A fixed split keeps to each stream's rules, and needs your reason. Leave every amount blank to let the allocator decide the whole line again." }
        @for (i, line) in version.decision.lines.iter().enumerate() {
            @let n = line.number;
            @let saved = version.plan.lines.get(i).and_then(|l| l.override_.as_ref());
            @let fixing = sent_for(n, "split");
            @let reason_id = format!("line-{n}-reason");
            @let remove_id = format!("line-{n}-remove-reason");
            @let reason = if fixing { value(form, &reason_id).to_owned() } else { saved.map(|o| o.reason.clone()).unwrap_or_default() };
            @let removal = if sent_for(n, "remove") { value(form, &remove_id).to_owned() } else { String::new() };
            section aria-labelledby={ "line-" (n) "-title" } {
                h3.govuk-heading-s #{ "line-" (n) "-title" } { "Line " (n) ": " (line.what) " (" (line.weekly_cost) " a week)" }
                ul.govuk-list.govuk-list--bullet { @for step in &line.explanation { li { (sentence(step)) } } }
                form method="post" action={ (base) "/lines/" (n) "/split" } novalidate {
                    (csrf_field(caller))
                    input type="hidden" name="line" value=(n);
                    input type="hidden" name="action" value="split";
                    fieldset.govuk-fieldset {
                        legend.govuk-fieldset__legend.govuk-fieldset__legend--s { "Fix the split of line " (n) }
                        @for c in &version.decision.components {
                            @let id = split_id(n, &c.stream);
                            @let label = format!("From {} ({}), a week", stream_name(scheme, &c.stream), c.stream);
                            @let shown = if fixing { value(form, &id).to_owned() } else { saved.and_then(|o| o.split.iter().find(|s| s.stream == c.stream)).map(|s| s.amount.to_plain_string()).unwrap_or_default() };
                            @let hint = format!("Blank to let the allocator decide; the component's agreed amount is {}", c.agreed);
                            (TextInput { id: &id, label: &label, hint: Some(&hint), value: &shown, kind: InputKind::Money }.render(errors))
                        }
                        (text_input(&reason_id, "Why the split is fixed", Some("For example: the person wants their assistant paid from one budget"), &reason, errors))
                    }
                    button.govuk-button type="submit" { "Save the split of line " (n) }
                }
                form method="post" action={ (base) "/lines/" (n) "/remove" } novalidate {
                    (csrf_field(caller))
                    input type="hidden" name="line" value=(n);
                    input type="hidden" name="action" value="remove";
                    (text_input(&remove_id, &format!("Why line {n} is removed"), Some("The lines after it are numbered one lower"), &removal, errors))
                    button.govuk-button type="submit" { "Remove line " (n) }
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
    PagePath((code, line)): PagePath<(String, String)>,
    form: Result<Form<FormPairs>, FormRejection>,
) -> PageResult {
    let target = format!("/people/{code}/budget/lines/{line}/split");
    let back = format!("/people/{code}/budget/plan");
    let not_done = "The split was not saved";
    let PlanForm { principal, person, form, scheme, record } =
        plan_form(&state, &caller, &code, &target, form, not_done, &back).await?;
    let latest = record.latest_version();
    let (Some((n, index)), Some(version)) = (line_number(&line, latest), latest) else {
        return Err(PageError::NotFound("The plan has no such line.".to_owned()));
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
        return Err(PageError::NotFound("The plan has no such line.".to_owned()));
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
    PagePath((code, line)): PagePath<(String, String)>,
    form: Result<Form<FormPairs>, FormRejection>,
) -> PageResult {
    let target = format!("/people/{code}/budget/lines/{line}/remove");
    let back = format!("/people/{code}/budget/plan");
    let not_done = "The line was not removed";
    let PlanForm { principal, person, form, scheme, record } =
        plan_form(&state, &caller, &code, &target, form, not_done, &back).await?;
    let latest = record.latest_version();
    let (Some((n, index)), Some(version)) = (line_number(&line, latest), latest) else {
        return Err(PageError::NotFound("The plan has no such line.".to_owned()));
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
        h2.govuk-heading-m { "Components" }
        @if eligible.is_empty() {
            p.govuk-body { "The person is eligible for no stream, so the budget has no components." }
        } @else {
            p.govuk-body { "One component per stream the person is eligible for. Leave the agreed amount empty to use the indicative amount; an agreed amount that differs needs a reason." }
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
                        fieldset.govuk-fieldset {
                            legend.govuk-fieldset__legend.govuk-fieldset__legend--s { (stream.name) " (" (stream.code) ")" }
                            (TextInput { id: &agreed_id, label: "Agreed amount a week", hint: hint.as_deref(), value: &agreed, kind: InputKind::Money }.render(errors))
                            (text_field(&reason_id, "Why the agreed amount differs (if it does)", None, &[(reason_id.clone(), reason)], errors))
                            (Select { id: &mode_id, label: "How it is held", hint: None, options: &mode_options, selected: &mode }.render(errors))
                            (text_field(&provider_id, "Provider (for an Individual Service Fund or managed support)", None, &[(provider_id.clone(), provider)], errors))
                        }
                    }
                }
                button.govuk-button type="submit" { "Save the components" }
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
    PagePath(code): PagePath<String>,
    form: Result<Form<FormPairs>, FormRejection>,
) -> PageResult {
    let target = format!("/people/{code}/budget/lines");
    let back = format!("/people/{code}/budget/plan");
    let not_done = "The line was not added";
    let PlanForm { principal, person, form, scheme, record } =
        plan_form(&state, &caller, &code, &target, form, not_done, &back).await?;
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
    PagePath(code): PagePath<String>,
    form: Result<Form<FormPairs>, FormRejection>,
) -> PageResult {
    let target = format!("/people/{code}/budget/components");
    let back = format!("/people/{code}/budget/plan");
    let not_done = "The components were not saved";
    let PlanForm { principal, person, form, scheme, record } =
        plan_form(&state, &caller, &code, &target, form, not_done, &back).await?;
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
    PagePath(code): PagePath<String>,
    PageQuery(query): PageQuery<DoneQuery>,
) -> PageResult {
    let target = format!("/people/{code}/budget/review");
    let (principal, person) = authorize_person(&state, &caller, &code, false, &target).await?;
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
) -> PageResult {
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
) -> PageResult {
    let record = load_record(state, &person.code).await?;
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
        h1.govuk-heading-l { (title) }
        (budget_nav(principal, person))
        @if record.versions.is_empty() {
            p.govuk-body { "No budget has been made yet." }
        } @else {
            div.app-table-wrap role="region" aria-label="Every version of the budget, oldest first" tabindex="0" { table.govuk-table.govuk-table--small-text-until-tablet {
                caption.govuk-table__caption.govuk-table__caption--m { "Every version of the budget, oldest first" }
                thead.govuk-table__head { tr.govuk-table__row {
                    th.govuk-table__header scope="col" { "Version" } th.govuk-table__header scope="col" { "Status" } th.govuk-table__header scope="col" { "From" }
                    th.govuk-table__header.govuk-table__header--numeric scope="col" { "Budget a week" } th.govuk-table__header.govuk-table__header--numeric scope="col" { "Unfunded" } th.govuk-table__header scope="col" { "Why, and who" }
                } }
                tbody.govuk-table__body {
                    @for v in &record.versions {
                        tr.govuk-table__row {
                            th.govuk-table__header scope="row" { (v.version) }
                            td.govuk-table__cell { (status_words(v.status)) }
                            td.govuk-table__cell { (long_date(v.effective_from)) }
                            td.govuk-table__cell.govuk-table__cell--numeric { (v.decision.budget) }
                            td.govuk-table__cell.govuk-table__cell--numeric { (v.decision.unfunded) }
                            td.govuk-table__cell { (v.reason) br; span.govuk-hint { (v.recorded_by) ", " (crate::clock::london_time(&v.recorded_at)) } }
                        }
                    }
                }
            } }
        }
        @if let (true, Some(v)) = (can_plan, latest) {
            h2.govuk-heading-m { "Change the status" }
            @if next.is_empty() {
                p.govuk-body { "The budget has ended; its status cannot change." }
            } @else {
                p.govuk-body { "The budget is " (status_words(v.status).to_lowercase()) ". A draft is agreed, then made active (money is then paid); an active budget is put under review to change it, and made active again or ended." }
                form method="post" action={ "/people/" (person.code) "/budget/status" } novalidate {
                    (csrf_field(caller))
                    (Radios { name: "status", legend: "New status", hint: None, options: &next, selected: value(form, "status"), inline: false }.render(errors))
                    (text_input("effective_from", "From", Some(DATE_HINT), &effective, errors))
                    (text_field("reason", "Why", Some("For example: agreed at panel, or reviewed after a hospital stay"), form, errors))
                    button.govuk-button type="submit" { "Save the status" }
                }
            }
        }
    };
    render_for_person(caller, principal, status, &title, person, main)
}

/// `POST /people/{code}/budget/status`: the next version, with the previous plan.
pub async fn change_status(
    State(state): State<AppState>,
    caller: Caller,
    PagePath(code): PagePath<String>,
    form: Result<Form<FormPairs>, FormRejection>,
) -> PageResult {
    let target = format!("/people/{code}/budget/status");
    let back = format!("/people/{code}/budget/review");
    let not_done = "The status was not changed";
    let PlanForm { principal, person, form, scheme, record } =
        plan_form(&state, &caller, &code, &target, form, not_done, &back).await?;
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
