//! `GET /caseload`: the people on a caseload, fifty to a page, found and filtered by a GET
//! form (so the address can be shared): a search by name, NHS number or code; the team
//! (for finance officers and auditors, who may see every team: a practitioner sees their
//! own team only, and asking for another is refused by the access decision and audited);
//! who is responsible for the person's care; how the budget is held; whether it draws on
//! more than one funding stream; and when it is due for review. Columns sort by links in
//! their headers (with `aria-sort`). The finding, filtering, sorting and paging are done in
//! SQL by `Store::caseload_page`; the budget shown is the version in force today.
//!
//! A value the page cannot read is a form error (400) with the error summary, never a 5xx.
//! [`back_to_caseload`] turns the filters a person was opened from back into the
//! caseload's address, reading only the filters this page knows, so a person's page can
//! link back to the same list without trusting a return address.

use axum::extract::State;
use axum::http::StatusCode;
use maud::{Markup, html};
use onebudget_core::access::{Action, decide};
use onebudget_core::budget::config::Scheme;
use onebudget_core::budget::plan::{Component, DeliveryMode, Status};
use onebudget_core::budget::review;
use onebudget_store::{CaseloadQuery, CaseloadSort, Funding, ReviewDue};
use serde::Deserialize;

use crate::auth::Caller;
use crate::extract::PageQuery;
use crate::pages::budgets::{sentence, status_words, stream_name};
use crate::pages::components::{details, pagination, table_wrap};
use crate::pages::form::{FieldErrors, InputKind, Select, TextInput, error_summary};
use crate::pages::{PageError, PageResult, render_with};
use crate::state::AppState;

/// How many people a page of the caseload shows.
pub const PAGE_SIZE: u64 = 50;

/// The caseload's query string, every value as typed. Unknown parameters are ignored.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct CaseloadParams {
    #[serde(default)]
    pub q: Option<String>,
    #[serde(default)]
    pub team: Option<String>,
    #[serde(default)]
    pub funding: Option<String>,
    #[serde(default)]
    pub mode: Option<String>,
    #[serde(default)]
    pub integrated: Option<String>,
    #[serde(default)]
    pub review: Option<String>,
    #[serde(default)]
    pub sort: Option<String>,
    #[serde(default)]
    pub order: Option<String>,
    #[serde(default)]
    pub page: Option<String>,
}

const FUNDING: &[(&str, &str)] = &[
    ("", "Any"),
    ("social_care", "Adult social care (the council)"),
    ("continuing_healthcare", "NHS continuing healthcare (the ICB)"),
];
const MODES: &[(&str, &str)] = &[
    ("", "Any"),
    ("direct_payment", "Direct payment"),
    ("individual_service_fund", "Individual Service Fund"),
    ("managed", "Managed by the council"),
    ("notional", "Notional (held by the NHS)"),
];
const INTEGRATED: &[(&str, &str)] =
    &[("", "Either"), ("yes", "Yes: more than one funding stream"), ("no", "No: one stream")];
const REVIEW: &[(&str, &str)] =
    &[("", "Any time"), ("soon", "Due within 4 weeks"), ("overdue", "Overdue")];

/// The filters as read: every value valid, or a default.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Filters {
    search: String,
    team: Option<String>,
    funding: Option<Funding>,
    mode: Option<DeliveryMode>,
    integrated: Option<bool>,
    review: Option<ReviewDue>,
    sort: CaseloadSort,
    descending: bool,
    page: u64,
}

fn given(value: Option<&String>) -> Option<&str> {
    value.map(|v| v.trim()).filter(|v| !v.is_empty())
}

/// Read every filter but the team (which needs the list of teams); each value that cannot
/// be read is an error on its field.
fn read_filters(params: &CaseloadParams, errors: &mut FieldErrors) -> Filters {
    let mut filters = Filters { page: 1, ..Filters::default() };
    let search = given(params.q.as_ref()).unwrap_or("");
    if search.chars().count() > 100 {
        errors.add("q", "Enter 100 characters or fewer: part of a name, an NHS number or a code");
    } else {
        search.clone_into(&mut filters.search);
    }
    match given(params.funding.as_ref()) {
        None => {}
        Some("social_care") => filters.funding = Some(Funding::SocialCare),
        Some("continuing_healthcare") => filters.funding = Some(Funding::ContinuingHealthcare),
        Some(_) => errors.add(
            "funding",
            "Choose who funds the care: adult social care or NHS continuing healthcare",
        ),
    }
    match given(params.mode.as_ref()) {
        None => {}
        Some("direct_payment") => filters.mode = Some(DeliveryMode::DirectPayment),
        Some("individual_service_fund") => {
            filters.mode = Some(DeliveryMode::IndividualServiceFund);
        }
        Some("managed") => filters.mode = Some(DeliveryMode::Managed),
        Some("notional") => filters.mode = Some(DeliveryMode::Notional),
        Some(_) => errors.add(
            "mode",
            "Choose how the budget is held: direct payment, Individual Service Fund, managed or notional",
        ),
    }
    match given(params.integrated.as_ref()) {
        None => {}
        Some("yes") => filters.integrated = Some(true),
        Some("no") => filters.integrated = Some(false),
        Some(_) => errors.add("integrated", "Choose yes or no for an integrated budget"),
    }
    match given(params.review.as_ref()) {
        None => {}
        Some("soon") => filters.review = Some(ReviewDue::Soon),
        Some("overdue") => filters.review = Some(ReviewDue::Overdue),
        Some(_) => errors.add("review", "Choose a review that is due within 4 weeks, or overdue"),
    }
    match given(params.sort.as_ref()) {
        None | Some("name") => {}
        Some("budget") => filters.sort = CaseloadSort::WeeklyBudget,
        Some("review") => filters.sort = CaseloadSort::ReviewDate,
        Some(_) => errors.add("sort", "Sort by name, weekly budget or review date"),
    }
    match given(params.order.as_ref()) {
        None | Some("asc") => {}
        Some("desc") => filters.descending = true,
        Some(_) => errors.add("sort", "Sort in ascending (asc) or descending (desc) order"),
    }
    match given(params.page.as_ref()) {
        None => {}
        Some(text) => match text.parse::<u64>() {
            Ok(n) if (1..=1_000_000).contains(&n) => filters.page = n,
            _ => errors.add("page", "Choose a page by its number, from 1"),
        },
    }
    filters
}

fn sort_code(sort: CaseloadSort) -> &'static str {
    match sort {
        CaseloadSort::Name => "name",
        CaseloadSort::WeeklyBudget => "budget",
        CaseloadSort::ReviewDate => "review",
    }
}

fn mode_code(mode: DeliveryMode) -> &'static str {
    mode.as_str()
}

/// The caseload's address for `filters` (only what differs from the defaults).
fn href(filters: &Filters) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    if !filters.search.is_empty() {
        query.append_pair("q", &filters.search);
    }
    if let Some(team) = &filters.team {
        query.append_pair("team", team);
    }
    if let Some(funding) = filters.funding {
        query.append_pair("funding", funding.as_str());
    }
    if let Some(mode) = filters.mode {
        query.append_pair("mode", mode_code(mode));
    }
    if let Some(integrated) = filters.integrated {
        query.append_pair("integrated", if integrated { "yes" } else { "no" });
    }
    match filters.review {
        Some(ReviewDue::Soon) => {
            query.append_pair("review", "soon");
        }
        Some(ReviewDue::Overdue) => {
            query.append_pair("review", "overdue");
        }
        None => {}
    }
    if filters.sort != CaseloadSort::Name {
        query.append_pair("sort", sort_code(filters.sort));
    }
    if filters.descending {
        query.append_pair("order", "desc");
    }
    if filters.page > 1 {
        query.append_pair("page", &filters.page.to_string());
    }
    let query = query.finish();
    if query.is_empty() { "/caseload".to_owned() } else { format!("/caseload?{query}") }
}

/// The caseload's address from the query string a person was opened with (`caseload=`),
/// keeping only the filters the caseload knows and can read; `/caseload` otherwise.
pub fn back_to_caseload(from: Option<&str>) -> String {
    let Some(from) = from.filter(|f| !f.is_empty() && f.len() <= 1_000) else {
        return "/caseload".to_owned();
    };
    let mut params = CaseloadParams::default();
    for (key, value) in form_urlencoded::parse(from.as_bytes()) {
        let value = Some(value.into_owned());
        match key.as_ref() {
            "q" => params.q = value,
            "team" => params.team = value,
            "funding" => params.funding = value,
            "mode" => params.mode = value,
            "integrated" => params.integrated = value,
            "review" => params.review = value,
            "sort" => params.sort = value,
            "order" => params.order = value,
            "page" => params.page = value,
            _ => {}
        }
    }
    let mut errors = FieldErrors::new();
    let mut filters = read_filters(&params, &mut errors);
    // A team is a code of letters, digits and hyphens; the caseload checks it exists.
    filters.team = given(params.team.as_ref())
        .filter(|t| t.len() <= 40 && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        .map(str::to_owned);
    if errors.is_empty() { href(&filters) } else { "/caseload".to_owned() }
}

/// A column header that sorts by `sort`: ascending first, then the other way; it says
/// which way the table is sorted now with `aria-sort`.
fn sort_header(label: &str, sort: CaseloadSort, filters: &Filters, numeric: bool) -> Markup {
    let current = filters.sort == sort;
    let aria = match (current, filters.descending) {
        (false, _) => "none",
        (true, false) => "ascending",
        (true, true) => "descending",
    };
    let next =
        Filters { sort, descending: current && !filters.descending, page: 1, ..filters.clone() };
    html! {
        th.govuk-table__header."govuk-table__header--numeric"[numeric] scope="col" aria-sort=(aria) {
            a.govuk-link href=(href(&next)) {
                (label)
                @if current {
                    span aria-hidden="true" { @if filters.descending { " ▼" } @else { " ▲" } }
                }
            }
        }
    }
}

/// How a budget is held, in words: each delivery mode with the streams held that way.
fn held_words(scheme: Option<&Scheme>, components: &[Component]) -> String {
    let mut modes: Vec<(DeliveryMode, Vec<String>)> = Vec::new();
    for c in components {
        let name = scheme.map_or_else(|| c.stream.clone(), |scheme| stream_name(scheme, &c.stream));
        match modes.iter_mut().find(|(mode, _)| *mode == c.mode) {
            Some((_, names)) => names.push(name),
            None => modes.push((c.mode, vec![name])),
        }
    }
    modes
        .iter()
        .map(|(mode, names)| format!("{}: {}", sentence(mode.words()), names.join(", ")))
        .collect::<Vec<_>>()
        .join("; ")
}

fn caption(filters: &Filters) -> String {
    let way = if filters.descending { "highest first" } else { "lowest first" };
    match filters.sort {
        CaseloadSort::Name if filters.descending => "People, by family name, Z to A".to_owned(),
        CaseloadSort::Name => "People, by family name".to_owned(),
        CaseloadSort::WeeklyBudget => format!("People, by weekly budget, {way}"),
        CaseloadSort::ReviewDate if filters.descending => {
            "People, by review date, latest first".to_owned()
        }
        CaseloadSort::ReviewDate => "People, by review date, earliest first".to_owned(),
    }
}

/// `GET /caseload`: see the module's comment.
pub async fn caseload(
    State(state): State<AppState>,
    caller: Caller,
    PageQuery(params): PageQuery<CaseloadParams>,
) -> PageResult {
    let Some(asking) = caller.principal.clone() else { return Err(PageError::NotSignedIn) };
    let everyone = decide(&asking, &Action::ListAllPeople).is_ok();
    let mut errors = FieldErrors::new();
    let mut filters = read_filters(&params, &mut errors);
    let teams = state.run(|store| store.teams()).await?;
    let asked_team = given(params.team.as_ref());
    filters.team = if everyone {
        match asked_team {
            None => None,
            Some(team) if teams.iter().any(|t| t.code == team) => Some(team.to_owned()),
            Some(_) => {
                errors.add("team", "Choose a team from the list");
                None
            }
        }
    } else {
        // A practitioner's caseload is their own team's; another team is refused below.
        Some(asked_team.map(str::to_owned).or_else(|| asking.team.clone()).unwrap_or_default())
    };
    let action = match &filters.team {
        Some(team) => Action::ListCaseload { team },
        None => Action::ListAllPeople,
    };
    let principal = caller.authorize(&state, action, "/caseload").await?;

    let today = crate::clock::today();
    let mut found = None;
    if errors.is_empty() {
        let query = CaseloadQuery {
            team: filters.team.clone(),
            search: Some(filters.search.clone()).filter(|s| !s.is_empty()),
            funding: filters.funding,
            mode: filters.mode,
            integrated: filters.integrated,
            review: filters.review,
            sort: filters.sort,
            descending: filters.descending,
            offset: (filters.page - 1) * PAGE_SIZE,
            limit: PAGE_SIZE,
        };
        let page = state.run(move |store| store.caseload_page(&query, today)).await?;
        let pages = page.total.div_ceil(PAGE_SIZE).max(1);
        if filters.page > pages {
            errors.add(
                "page",
                format!(
                    "There {} only {pages} page{} of people who match: choose a page from 1 to {pages}",
                    if pages == 1 { "is" } else { "are" },
                    if pages == 1 { "" } else { "s" },
                ),
            );
        } else {
            found = Some((page, pages));
        }
    }
    errors.sort_by_position(&[
        "q",
        "team",
        "funding",
        "mode",
        "integrated",
        "review",
        "sort",
        "page",
    ]);

    let scheme = state.scheme().ok();
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    let title = if everyone { "Caseloads" } else { "Your team's caseload" };
    let team_options: Vec<(&str, &str)> = std::iter::once(("", "Every team"))
        .chain(teams.iter().map(|t| (t.code.as_str(), t.name.as_str())))
        .collect();
    let selected = |value: Option<&String>| given(value).unwrap_or("").to_owned();
    let shown_team_name = |code: &str| {
        teams.iter().find(|t| t.code == code).map_or_else(|| code.to_owned(), |t| t.name.clone())
    };
    // What was typed goes back into the form, even when it could not be read.
    let typed_search =
        params.q.as_deref().unwrap_or("").trim().chars().take(200).collect::<String>();
    let filtered = !filters.search.is_empty()
        || filters.funding.is_some()
        || filters.mode.is_some()
        || filters.integrated.is_some()
        || filters.review.is_some()
        || (everyone && filters.team.is_some());
    let soon = today.checked_add_days(chrono::Days::new(review::DUE_SOON_DAYS)).unwrap_or(today);
    // A practitioner's own team goes without saying: their links do not name it.
    let filters = Filters { team: if everyone { filters.team.clone() } else { None }, ..filters };
    let return_query = |filters: &Filters| {
        let link = href(filters);
        link.strip_prefix("/caseload?").map(str::to_owned)
    };
    render_with(
        &caller,
        &principal,
        status,
        title,
        None,
        html! {
            (error_summary(&errors))
            h1.govuk-heading-l { (title) }
            @if !everyone {
                p.govuk-body { "The people on the caseload of " (shown_team_name(principal.team.as_deref().unwrap_or(""))) ", with the budget in force today. Opening someone's record is written to the audit log." }
            } @else {
                p.govuk-body { "The people on every team's caseload, with the budget in force today. Opening someone's record is written to the audit log." }
            }
            form method="get" action="/caseload" novalidate {
                (TextInput { id: "q", label: "Name, NHS number or code", hint: Some("For example Kwame Lee, 999 000 0352 or P000032"), value: &typed_search, kind: InputKind::Text }.render(&errors))
                div.govuk-grid-row {
                    @if everyone {
                        div.govuk-grid-column-one-third {
                            (Select { id: "team", label: "Team", hint: None, options: &team_options, selected: &selected(params.team.as_ref()), }.render(&errors))
                        }
                    }
                    div.govuk-grid-column-one-third {
                        (Select { id: "funding", label: "Responsible for care", hint: None, options: FUNDING, selected: &selected(params.funding.as_ref()) }.render(&errors))
                    }
                    div.govuk-grid-column-one-third {
                        (Select { id: "mode", label: "How the budget is held", hint: None, options: MODES, selected: &selected(params.mode.as_ref()) }.render(&errors))
                    }
                    div.govuk-grid-column-one-third {
                        (Select { id: "integrated", label: "Integrated budget", hint: None, options: INTEGRATED, selected: &selected(params.integrated.as_ref()) }.render(&errors))
                    }
                    div.govuk-grid-column-one-third {
                        (Select { id: "review", label: "Review", hint: None, options: REVIEW, selected: &selected(params.review.as_ref()) }.render(&errors))
                    }
                }
                @if filters.sort != CaseloadSort::Name { input type="hidden" name="sort" value=(sort_code(filters.sort)); }
                @if filters.descending { input type="hidden" name="order" value="desc"; }
                // Errors on fields the form does not show are linked to from the summary.
                @if errors.get("sort").is_some() { p.govuk-error-message id="sort" { span.govuk-visually-hidden { "Error: " } (errors.get("sort").unwrap_or_default()) } }
                @if errors.get("page").is_some() { p.govuk-error-message id="page" { span.govuk-visually-hidden { "Error: " } (errors.get("page").unwrap_or_default()) } }
                div.govuk-button-group {
                    button.govuk-button type="submit" { "Show people" }
                    a.govuk-link href="/caseload" { "Clear the search and filters" }
                }
            }
            @if let Some((page, pages)) = &found {
                @let first = (filters.page - 1) * PAGE_SIZE + 1;
                @let last = (filters.page - 1) * PAGE_SIZE + u64::try_from(page.rows.len()).unwrap_or(0);
                @if page.rows.is_empty() {
                    p.govuk-body #caseload-count { "No one on " (if everyone { "the caseloads" } else { "your team's caseload" }) " matches" @if filtered { " these filters" } "." }
                } @else {
                    p.govuk-body #caseload-count { "Showing " (first) " to " (last) " of " (page.total) " " (if page.total == 1 { "person" } else { "people" }) }
                    (table_wrap(&caption(&filters), html! {
                        table.govuk-table.govuk-table--small-text-until-tablet {
                            caption.govuk-table__caption.govuk-table__caption--m { (caption(&filters)) }
                            thead.govuk-table__head { tr.govuk-table__row {
                                (sort_header("Name", CaseloadSort::Name, &filters, false))
                                th.govuk-table__header scope="col" { "NHS number" }
                                @if everyone { th.govuk-table__header scope="col" { "Team" } }
                                th.govuk-table__header scope="col" { "Budget" }
                                (sort_header("A week", CaseloadSort::WeeklyBudget, &filters, true))
                                (sort_header("Review due", CaseloadSort::ReviewDate, &filters, false))
                            } }
                            tbody.govuk-table__body {
                                @for row in &page.rows {
                                    @let person = &row.person;
                                    tr.govuk-table__row {
                                        td.govuk-table__cell {
                                            a.govuk-link href={ "/people/" (person.code) @if let Some(back) = return_query(&filters) { "?caseload=" (form_urlencoded::byte_serialize(back.as_bytes()).collect::<String>()) } } { (person.family_name) ", " (person.given_name) }
                                        }
                                        // No-break spaces: an NHS number is read as one, never split over two lines.
                                        td.govuk-table__cell { (crate::pages::nhs_spaced(&person.nhs_number).replace(' ', "\u{a0}")) }
                                        @if everyone { td.govuk-table__cell { (shown_team_name(&person.team)) } }
                                        td.govuk-table__cell {
                                            @match &row.budget {
                                                Some(b) => {
                                                    (held_words(scheme, &b.components))
                                                    @if b.status != Status::Active { " (" (status_words(b.status).to_lowercase()) ")" }
                                                }
                                                None => { "None" }
                                            }
                                        }
                                        td.govuk-table__cell.govuk-table__cell--numeric { @if let Some(b) = &row.budget { (b.weekly_budget) } }
                                        td.govuk-table__cell {
                                            @if let Some(due) = row.review_due {
                                                (due.format("%-d %b %Y"))
                                                @if due < today { " " strong.govuk-tag.govuk-tag--red { "Overdue" } }
                                                @else if due <= soon { " " strong.govuk-tag.govuk-tag--yellow { "Due soon" } }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }))
                    (pagination(filters.page, *pages, |n| href(&Filters { page: n, ..filters.clone() })))
                }
                (details("How the review date is worked out", html! {
                    p.govuk-body { "onebudget does not record a planned review date. A budget that is active or under review is shown as due " (review::REVIEW_INTERVAL_MONTHS) " months after it was last set: the date its latest version took effect, not counting a version that only put it under review. \"Due soon\" means due within " (review::DUE_SOON_DAYS) " days." }
                    p.govuk-body { (review::REVIEW_INTERVAL_REFERENCE) "." }
                }))
            }
        },
    )
}
