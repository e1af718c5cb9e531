//! The auditor's pages: `/auditor` (the index of everything an auditor can inspect),
//! `/audit` (search the audit log: by user name and person, case-insensitively; by action
//! and outcome from lists in plain English; by period; fifty rows a page, newest first,
//! with a link to older ones) and `/audit.csv` (the same search as a CSV file, every
//! matching row).
//!
//! Reading the audit log is itself audited (`Caller::authorize` with
//! `Action::ReadAuditLog`). A filter that cannot be read is shown as the form's errors.

use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::IntoResponse;
use maud::{Markup, html};
use onebudget_core::access::{AUDIT_ACTIONS, AUDIT_OUTCOMES, Action, Role, audit_action_words};
use onebudget_store::{AuditFilter, AuditRecord};
use serde::Deserialize;

use crate::auth::Caller;
use crate::extract::PageQuery;
use crate::pages::components::{summary_list, table_wrap};
use crate::pages::form::{FieldErrors, InputKind, PeriodQuery, Select, TextInput, error_summary};
use crate::pages::{PageError, PageResult, render, render_with};
use crate::state::AppState;

/// How many rows a page of the audit log shows.
pub const PAGE_ROWS: usize = 50;

/// `GET /auditor`: what an auditor can inspect, each a link.
pub async fn index(State(state): State<AppState>, caller: Caller) -> PageResult {
    let principal = caller.authorize(&state, Action::ReadAuditLog, "/auditor").await?;
    render(
        &caller,
        &principal,
        "What you can inspect",
        html! {
            h1.govuk-heading-l { "What you can inspect" }
            p.govuk-body { "As an auditor you can read everything in " (crate::pages::layout::SERVICE_NAME) " and change nothing. Every page you open is itself written to the audit log." }
            (summary_list([
                ("Audit log", html! { a.govuk-link href="/audit" { "Search the audit log" } " · every sign-in, every look at or change to a person's record, and every refusal" }),
                ("People", html! { a.govuk-link href="/people" { "Find a person" } " · their record, budget and statement" }),
                ("Ledger", html! { a.govuk-link href="/finance" { "Balances and account statements" } " · every pound from funder to person" }),
                ("Pooled budgets", html! { a.govuk-link href="/pools" { "Pools, their monitoring and settlements" } " · each year, settled or not" }),
                ("Personal budgets", html! { a.govuk-link href="/budgets/funders" { "Each funder's share" } " and " a.govuk-link href="/budgets/reviews" { "direct-payment reviews" } }),
                ("Spending", html! { a.govuk-link href="/spending" { "Spending across the system" } }),
            ]))
        },
    )
}

/// The audit search's query string. Unknown parameters are ignored.
#[derive(Debug, Default, Deserialize)]
pub struct AuditPageQuery {
    #[serde(default)]
    pub actor: Option<String>,
    #[serde(default)]
    pub person: Option<String>,
    #[serde(default)]
    pub action: Option<String>,
    #[serde(default)]
    pub outcome: Option<String>,
    /// Only rows older than this one (the next page).
    #[serde(default)]
    pub before: Option<String>,
    #[serde(flatten)]
    pub period: PeriodQuery,
}

fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

impl AuditPageQuery {
    /// The store's filter, or what is wrong with the form (each error against its field).
    /// A `before` that is not a row number is a web address nobody's link wrote: refused.
    fn filter(&self) -> Result<Result<AuditFilter, FieldErrors>, PageError> {
        let before_id = match given(&self.before) {
            None => None,
            Some(text) => match text.parse::<i64>() {
                Ok(id) if id > 0 => Some(id),
                _ => {
                    return Err(PageError::BadRequest(
                        "The page of the audit log asked for does not exist. Start from the newest entries.".into(),
                    ));
                }
            },
        };
        let mut errors = FieldErrors::new();
        let action = given(&self.action);
        if let Some(action) = action
            && !AUDIT_ACTIONS.iter().any(|(code, _)| *code == action)
        {
            errors.add("action", "Choose an action from the list");
        }
        let outcome = given(&self.outcome);
        if let Some(outcome) = outcome
            && !AUDIT_OUTCOMES.iter().any(|(code, _)| *code == outcome)
        {
            errors.add("outcome", "Choose an outcome from the list");
        }
        let (from, to) = match self.period.optional_period() {
            Ok(period) => period,
            Err(period_errors) => {
                for (id, message) in period_errors.iter() {
                    errors.add(id, message);
                }
                (None, None)
            }
        };
        if !errors.is_empty() {
            return Ok(Err(errors));
        }
        Ok(Ok(AuditFilter {
            actor: given(&self.actor).map(str::to_owned),
            person_code: given(&self.person).map(str::to_uppercase),
            action: action.map(str::to_owned),
            outcome: outcome.map(str::to_owned),
            from,
            to,
            before_id,
        }))
    }

    /// This search's query string, without the page.
    fn search_string(&self) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        for (name, value) in [
            ("actor", &self.actor),
            ("person", &self.person),
            ("action", &self.action),
            ("outcome", &self.outcome),
        ] {
            if let Some(v) = given(value) {
                pairs.push((name, v.to_owned()));
            }
        }
        for (id, parts) in [("from", self.period.from_parts()), ("to", self.period.to_parts())] {
            if let Ok(date) = parts.date("date") {
                pairs.push((id, date.to_string()));
            }
        }
        let mut out = String::new();
        for (i, (name, value)) in pairs.iter().enumerate() {
            if i > 0 {
                out.push('&');
            }
            out.push_str(name);
            out.push('=');
            out.push_str(&url_encode(value));
        }
        out
    }
}

fn url_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// When an audit row was written (stored as RFC 3339 UTC), in UK time to the minute.
fn when(at: &str) -> String {
    crate::clock::london_time(at)
}

/// `GET /audit`: search the audit log.
pub async fn audit(
    State(state): State<AppState>,
    caller: Caller,
    PageQuery(query): PageQuery<AuditPageQuery>,
) -> PageResult {
    let principal = caller.authorize(&state, Action::ReadAuditLog, "/audit").await?;
    let filter = query.filter()?;
    let (rows, errors) = match filter {
        Ok(filter) => {
            let rows = state.run(move |store| store.audit_search(&filter, PAGE_ROWS + 1)).await?;
            (rows, FieldErrors::new())
        }
        Err(errors) => (Vec::new(), errors),
    };
    let more = rows.len() > PAGE_ROWS;
    let shown = rows.get(..PAGE_ROWS.min(rows.len())).unwrap_or(&[]);
    let search = query.search_string();
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    let action_options: Vec<(&str, &str)> =
        std::iter::once(("", "Any action")).chain(AUDIT_ACTIONS.iter().copied()).collect();
    let outcome_options: Vec<(&str, &str)> =
        std::iter::once(("", "Any outcome")).chain(AUDIT_OUTCOMES.iter().copied()).collect();
    let value = |v: &Option<String>| v.clone().unwrap_or_default();
    render_with(
        &caller,
        &principal,
        status,
        "Audit log",
        Some(crate::pages::components::breadcrumbs(&[("What you can inspect", "/auditor")])),
        html! {
            (error_summary(&errors))
            h1.govuk-heading-l { "Audit log" }
            p.govuk-body { "Every sign-in, every look at or change to a person's record, and every refused access, newest first." }
            form method="get" action="/audit" novalidate {
                (TextInput { id: "actor", label: "User name", hint: Some("Capital letters do not matter"), value: &value(&query.actor), kind: InputKind::Text }.render(&errors))
                (TextInput { id: "person", label: "Person's code", hint: Some("For example P000032"), value: &value(&query.person), kind: InputKind::Text }.render(&errors))
                (Select { id: "action", label: "What was done", hint: None, options: &action_options, selected: query.action.as_deref().unwrap_or("") }.render(&errors))
                (Select { id: "outcome", label: "Outcome", hint: None, options: &outcome_options, selected: query.outcome.as_deref().unwrap_or("") }.render(&errors))
                (query.period.render(None, &errors))
                div.govuk-button-group {
                    button.govuk-button type="submit" { "Search" }
                    a.govuk-link href="/audit" { "Clear the search" }
                }
            }
            @if errors.is_empty() {
                p.govuk-body {
                    a.govuk-link href={ "/audit.csv?" (search) } download="audit-log.csv" { "Download every matching entry (CSV)" }
                }
                (audit_rows(shown))
                @if more || query.before.is_some() {
                    nav.govuk-pagination.govuk-pagination--block aria-label="Pages of the audit log" {
                        @if query.before.is_some() {
                            div.govuk-pagination__prev {
                                a.govuk-link.govuk-pagination__link href={ "/audit?" (search) } rel="prev" {
                                    span.govuk-pagination__link-title { "Newest entries" }
                                }
                            }
                        }
                        @if more && let Some(last) = shown.last() {
                            div.govuk-pagination__next {
                                a.govuk-link.govuk-pagination__link href={ "/audit?" (search) @if !search.is_empty() { "&" } "before=" (last.id) } rel="next" {
                                    span.govuk-pagination__link-title { "Older entries" }
                                }
                            }
                        }
                    }
                }
            }
        },
    )
}

/// The matching rows, as a table.
fn audit_rows(rows: &[AuditRecord]) -> Markup {
    let caption = "Matching entries, newest first";
    if rows.is_empty() {
        return html! {
            h2.govuk-heading-m { (caption) }
            p.govuk-body { "No entries match this search. Try fewer filters or a longer period." }
        };
    }
    table_wrap(
        caption,
        html! {
            table.govuk-table.govuk-table--small-text-until-tablet {
                caption.govuk-table__caption.govuk-table__caption--m { (caption) }
                thead.govuk-table__head {
                    tr.govuk-table__row {
                        th.govuk-table__header scope="col" { "When (UK time)" }
                        th.govuk-table__header scope="col" { "Who" }
                        th.govuk-table__header scope="col" { "What" }
                        th.govuk-table__header scope="col" { "Person" }
                        th.govuk-table__header scope="col" { "From" }
                        th.govuk-table__header scope="col" { "Outcome" }
                    }
                }
                tbody.govuk-table__body {
                    @for row in rows {
                        @let e = &row.entry;
                        tr.govuk-table__row {
                            td.govuk-table__cell { (when(&e.at)) }
                            td.govuk-table__cell {
                                (e.actor)
                                @if let Some(role) = e.role.as_deref().and_then(|r| Role::parse(r).ok()) {
                                    br; span.govuk-hint { (role.label()) }
                                }
                            }
                            td.govuk-table__cell { (audit_action_words(&e.action)) br; span.govuk-hint { (e.target) } }
                            td.govuk-table__cell {
                                @if let Some(person) = &e.person_code {
                                    a.govuk-link href={ "/people/" (person) } { (person) }
                                }
                            }
                            td.govuk-table__cell { (e.source) }
                            td.govuk-table__cell {
                                (AUDIT_OUTCOMES.iter().find(|(c, _)| *c == e.outcome).map_or(e.outcome.as_str(), |(_, w)| w))
                                @if !e.detail.is_empty() { br; span.govuk-hint { (e.detail) } }
                            }
                        }
                    }
                }
            }
        },
    )
}

/// `GET /audit.csv`: every row the search matches, as CSV, newest first.
pub async fn audit_csv(
    State(state): State<AppState>,
    caller: Caller,
    PageQuery(query): PageQuery<AuditPageQuery>,
) -> PageResult {
    caller.authorize(&state, Action::ReadAuditLog, "/audit.csv").await?;
    let filter = match query.filter()? {
        Ok(filter) => filter,
        Err(errors) => {
            let message: Vec<&str> = errors.iter().map(|(_, m)| m).collect();
            return Err(PageError::BadRequest(message.join(". ")));
        }
    };
    let csv = state
        .run(move |store| {
            let mut csv = String::from(
                "id,at,actor,role,via,action,what,person,target,source,outcome,detail\r\n",
            );
            store.audit_each(&filter, None, &mut |row| {
                let e = &row.entry;
                let fields = [
                    row.id.to_string(),
                    e.at.clone(),
                    e.actor.clone(),
                    e.role.clone().unwrap_or_default(),
                    e.via.clone(),
                    e.action.clone(),
                    audit_action_words(&e.action).to_owned(),
                    e.person_code.clone().unwrap_or_default(),
                    e.target.clone(),
                    e.source.clone(),
                    e.outcome.clone(),
                    e.detail.clone(),
                ];
                let line: Vec<String> = fields.iter().map(|f| crate::pages::csv_field(f)).collect();
                csv.push_str(&line.join(","));
                csv.push_str("\r\n");
                Ok(())
            })?;
            Ok::<_, onebudget_store::StoreError>(csv)
        })
        .await?;
    Ok((
        [
            (CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8")),
            (
                CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"audit-log.csv\""),
            ),
            (CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        csv,
    )
        .into_response())
}
