//! Finding a person: `GET /people?q=…` searches by name, NHS number or code. A practitioner
//! finds the people on their own team's caseload; finance officers and auditors, who may
//! see everyone, find anyone. The search is audited like every list of people
//! (`ListCaseload` or `ListAllPeople`), and opening a person is audited as a read of their
//! record.

use axum::extract::State;
use axum::http::StatusCode;
use maud::html;
use onebudget_core::access::{Action, decide};
use serde::Deserialize;

use crate::auth::Caller;
use crate::extract::PageQuery;
use crate::pages::components::table_wrap;
use crate::pages::form::{FieldErrors, InputKind, TextInput, error_summary};
use crate::pages::{PageError, PageResult, render_with};
use crate::state::AppState;

/// The most people one search shows.
pub const MOST_SHOWN: usize = 50;

/// The search's query string. Unknown parameters are ignored.
#[derive(Debug, Default, Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    pub q: Option<String>,
}

/// `GET /people`: the search form, and the people it finds.
pub async fn search(
    State(state): State<AppState>,
    caller: Caller,
    PageQuery(query): PageQuery<SearchQuery>,
) -> PageResult {
    let Some(asking) = caller.principal.clone() else { return Err(PageError::NotSignedIn) };
    // Everyone, for a role that may see everyone; otherwise the caller's own team.
    let everyone = decide(&asking, &Action::ListAllPeople).is_ok();
    let team = if everyone { None } else { asking.team.clone() };
    let team_code = team.clone().unwrap_or_default();
    let action =
        if everyone { Action::ListAllPeople } else { Action::ListCaseload { team: &team_code } };
    let principal = caller.authorize(&state, action, "/people").await?;
    let typed = query.q.as_deref().unwrap_or("").trim().to_owned();
    let mut errors = FieldErrors::new();
    if typed.chars().count() > 100 {
        errors.add("q", "Enter 100 characters or fewer: part of a name, an NHS number or a code");
    } else if query.q.is_some() && typed.chars().count() < 2 {
        errors.add("q", "Enter at least 2 characters: part of a name, an NHS number or a code");
    }
    let found = if errors.is_empty() && !typed.is_empty() {
        let (wanted, team) = (typed.clone(), team.clone());
        Some(
            state
                .run(move |store| store.search_people(&wanted, team.as_deref(), MOST_SHOWN + 1))
                .await?,
        )
    } else {
        None
    };
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    let scope = if everyone { "everyone known to the service" } else { "your team's caseload" };
    render_with(
        &caller,
        &principal,
        status,
        "Find a person",
        None,
        html! {
            (error_summary(&errors))
            h1.govuk-heading-l { "Find a person" }
            p.govuk-body { "Search " (scope) " by name, NHS number or code. Opening someone's record is written to the audit log." }
            form method="get" action="/people" novalidate {
                (TextInput { id: "q", label: "Name, NHS number or code", hint: Some("For example Kwame Lee, 999 000 0352 or P000032"), value: &typed, kind: InputKind::Text }.render(&errors))
                button.govuk-button type="submit" { "Search" }
            }
            @if let Some(found) = &found {
                @if found.is_empty() {
                    p.govuk-body { "No one in " (scope) " matches " strong { (crate::pages::status::short(&typed)) } "." }
                } @else {
                    @let shown = found.get(..MOST_SHOWN.min(found.len())).unwrap_or(&[]);
                    p.govuk-body {
                        @if found.len() > MOST_SHOWN { "The first " (MOST_SHOWN) " people who match, by family name. Type more of the name to find fewer." }
                        @else { (found.len()) @if found.len() == 1 { " person matches." } @else { " people match." } }
                    }
                    (table_wrap("People who match", html! {
                        table.govuk-table.govuk-table--small-text-until-tablet {
                            caption.govuk-table__caption.govuk-table__caption--m { "People who match" }
                            thead.govuk-table__head { tr.govuk-table__row {
                                th.govuk-table__header scope="col" { "Name" }
                                th.govuk-table__header scope="col" { "NHS number" }
                                th.govuk-table__header scope="col" { "Date of birth" }
                                th.govuk-table__header scope="col" { "Team" }
                            } }
                            tbody.govuk-table__body {
                                @for person in shown {
                                    tr.govuk-table__row {
                                        td.govuk-table__cell { a.govuk-link href={ "/people/" (person.code) } { (person.family_name) ", " (person.given_name) } }
                                        td.govuk-table__cell { (crate::pages::nhs_spaced(&person.nhs_number)) }
                                        td.govuk-table__cell { (person.birth_date.format("%-d %B %Y")) }
                                        td.govuk-table__cell { (person.team) }
                                    }
                                }
                            }
                        }
                    }))
                }
            }
        },
    )
}
