//! `GET /people/{code}/assessments/{id}`: one recorded financial assessment of a person,
//! as it was explained when it was recorded: the outcome, each step with what it added to
//! or took off the weekly charge, and the policy figures each step used with the date they
//! took effect and where they come from. It is shown from the stored explanation, never
//! worked out again, so it says what the person was told. Authorised and audited exactly
//! as the person's record is (`people::authorize_person`, a read of the person's record).

use axum::extract::State;
use maud::{Markup, html};
use serde_json::Value;

use crate::auth::Caller;
use crate::extract::PagePath;
use crate::pages::components::{breadcrumbs, summary_list, table_wrap};
use crate::pages::{PageError, PageResult, render_with};
use crate::people::authorize_person;
use crate::state::AppState;

/// A JSON value as text: a string as it is, anything else as JSON writes it.
fn text(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// Pounds from a stored amount ("12.34"), or the text as stored if it is not one.
fn pounds(value: Option<&Value>) -> String {
    let shown = text(value);
    onebudget_core::Money::parse(&shown).map_or(shown, |money| money.to_string())
}

fn long_date(value: Option<&Value>) -> String {
    let shown = text(value);
    chrono::NaiveDate::parse_from_str(&shown, "%Y-%m-%d")
        .map_or(shown, |d| d.format("%-d %B %Y").to_string())
}

fn words(code: &str) -> String {
    crate::pages::budgets::sentence(&code.replace('_', " "))
}

fn sources_markup(sources: &[Value]) -> Markup {
    html! {
        @if !sources.is_empty() {
            ul.govuk-list.govuk-body-s {
                @for source in sources {
                    li {
                        code { (text(source.get("parameter"))) } " = " (text(source.get("value")))
                        ", in force from " (long_date(source.get("from"))) ": "
                        @let reference = source.get("reference");
                        @let href = text(reference.and_then(|r| r.get("href")));
                        @let title = text(reference.and_then(|r| r.get("title")));
                        @if href.starts_with("https://") {
                            a.govuk-link href=(href) { (title) }
                        } @else {
                            (title)
                        }
                    }
                }
            }
        }
    }
}

/// `GET /people/{code}/assessments/{id}`: see the module's comment.
pub async fn assessment(
    State(state): State<AppState>,
    caller: Caller,
    PagePath((code, id)): PagePath<(String, String)>,
) -> PageResult {
    let target = format!("/people/{code}/assessments/{id}");
    let (principal, person) = authorize_person(&state, &caller, &code, false, &target).await?;
    let not_found = || {
        PageError::NotFound(format!(
            "{} {} has no financial assessment {}.",
            person.given_name,
            person.family_name,
            crate::pages::status::short(&id)
        ))
    };
    let Ok(wanted_id) = id.parse::<i64>() else { return Err(not_found()) };
    let wanted = person.code.clone();
    let records = state.run(move |store| store.assessments_for(&wanted)).await?;
    let Some(record) = records.into_iter().find(|a| a.id == wanted_id) else {
        return Err(not_found());
    };
    let explanation: Value = serde_json::from_str(&record.explanation_json).map_err(|e| {
        PageError::Internal(crate::error::ApiError::Internal(format!(
            "a stored assessment cannot be read: {e}"
        )))
    })?;
    let steps = explanation.get("steps").and_then(Value::as_array).cloned().unwrap_or_default();
    let name = format!("{} {}", person.given_name, person.family_name);
    let title = format!("Financial assessment: {name}");
    let person_href = format!("/people/{}", person.code);
    render_with(
        &caller,
        &principal,
        axum::http::StatusCode::OK,
        &title,
        Some(breadcrumbs(&[("Caseload", "/caseload"), (&name, &person_href)])),
        html! {
            h1.govuk-heading-l { (title) }
            p.govuk-body { "As it was worked out and explained when it was recorded. Each step says what it added to or took off the weekly charge; the steps add up to the charge." }
            (summary_list([
                ("Weekly charge", html! { strong { (pounds(explanation.get("weekly_charge"))) } }),
                ("Rules of", html! { (words(&record.nation)) ", as in force on " (record.effective_date.format("%-d %B %Y")) }),
                ("Those rules in force from", html! { (long_date(explanation.get("rules_in_force_from"))) }),
                ("Where care is given", html! { (words(&text(explanation.get("setting")))) }),
                ("Most that can be charged", html! { (pounds(explanation.get("maximum_charge"))) }),
                ("Recorded", html! { (crate::clock::london_time(&record.recorded_at)) " by " (record.recorded_by) }),
            ]))
            (table_wrap("How the charge was worked out", html! {
                table.govuk-table.govuk-table--small-text-until-tablet {
                    caption.govuk-table__caption.govuk-table__caption--m { "How the charge was worked out" }
                    thead.govuk-table__head { tr.govuk-table__row {
                        th.govuk-table__header scope="col" { "Step" }
                        th.govuk-table__header.govuk-table__header--numeric scope="col" { "Amount" }
                        th.govuk-table__header.govuk-table__header--numeric scope="col" { "Effect on the charge" }
                    } }
                    tbody.govuk-table__body {
                        @for step in &steps {
                            tr.govuk-table__row {
                                td.govuk-table__cell {
                                    (text(step.get("explanation")))
                                    (sources_markup(step.get("sources").and_then(Value::as_array).map_or(&[][..], Vec::as_slice)))
                                }
                                td.govuk-table__cell.govuk-table__cell--numeric { (pounds(step.get("amount"))) }
                                td.govuk-table__cell.govuk-table__cell--numeric { (pounds(step.get("effect"))) }
                            }
                        }
                    }
                }
            }))
            p.govuk-body { a.govuk-link href=(person_href) { "Back to " (name) "'s record" } }
        },
    )
}
