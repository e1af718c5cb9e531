//! The pages of each role, each behind the one access decision.
//!
//! `GET /home` sends each role to its own home page: the citizen to their budget
//! (`/my-budget`, and who has looked at their record), the practitioner to their team's
//! caseload (`/caseload`, then `/people/{code}`), finance to the ledger (`/finance`,
//! `/finance/accounts/{code}`), the commissioner to whole-system spend with a chart
//! (`/spending`), the administrator to organisations, streams, users and tokens (`/admin`)
//! and the auditor to the audit log (`/audit`). Someone not signed in is sent to the
//! sign-in page; someone whose role does not allow a page gets a 403 page saying why.
//! Every page that shows a person is audited by `Caller::authorize`.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::header::LOCATION;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use onebudget_core::Money;
use onebudget_core::access::{Action, Principal, Role};
use onebudget_core::budget::config::Scheme;
use onebudget_core::budget::plan::{Component, DeliveryMode, Status};
use onebudget_core::ledger::{Account, AccountCode};
use onebudget_store::{
    AuditRecord, BudgetSummary, PersonPage, PersonRecord, RecentLines, SpendRow, StatementLine,
};

use crate::auth::{Caller, Denied};
use crate::error::ApiError;
use crate::extract::{PathParams, QueryParams};
use crate::pages::budgets::{funder_words, sentence, status_words, stream_name};
use crate::pages::layout::{HtmlPage, SignedIn, page, signed_in_page};
use crate::people::{AuditQuery, authorize_person, authorize_person_with, spend_range};
use crate::state::AppState;

/// A page that says why the person cannot go on, with a way back home.
pub(super) fn message_page(status: StatusCode, title: &str, message: &str) -> Response {
    HtmlPage::private(
        status,
        page(
            title,
            html! {
                h1 { (title) }
                p { (message) }
                p { a href="/home" { "Go to your home page" } }
            },
        ),
    )
    .into_response()
}

/// What a page handler answers when it cannot go on.
pub(super) fn denied(denied: Denied) -> Response {
    match denied {
        Denied::NotSignedIn => redirect("/sign-in"),
        Denied::Refused(reason) => message_page(
            StatusCode::FORBIDDEN,
            "You cannot see this page",
            &format!("Your role does not allow it: {reason}."),
        ),
        Denied::Failed(ApiError::NotFound { what, .. }) => {
            message_page(StatusCode::NOT_FOUND, "Not found", &format!("There is no such {what}."))
        }
        Denied::Failed(error) => failed(error),
    }
}

pub(super) fn failed(error: ApiError) -> Response {
    tracing::error!(error = ?error, "a page failed");
    HtmlPage::private(
        StatusCode::INTERNAL_SERVER_ERROR,
        page(
            "Sorry, there is a problem with the service",
            html! {
                h1 { "Sorry, there is a problem with the service" }
                p { "Try again later. The server log has the details." }
            },
        ),
    )
    .into_response()
}

/// A redirect after a form, to a location built at run time.
pub(super) fn see_other(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(value) => (StatusCode::SEE_OTHER, [(LOCATION, value)]).into_response(),
        Err(_) => failed(ApiError::Internal(format!("a redirect to {location:?}"))),
    }
}

pub(super) fn redirect(location: &'static str) -> Response {
    (StatusCode::SEE_OTHER, [(LOCATION, HeaderValue::from_static(location))]).into_response()
}

fn who(caller: &Caller, principal: &Principal) -> (String, Role, String) {
    (
        caller.display_name.clone().unwrap_or_else(|| principal.username.clone()),
        principal.role,
        caller.csrf_token.clone().unwrap_or_default(),
    )
}

pub(super) fn render(
    caller: &Caller,
    principal: &Principal,
    title: &str,
    main: Markup,
) -> Response {
    let (display_name, role, csrf_token) = who(caller, principal);
    let signed_in = SignedIn { display_name: &display_name, role, csrf_token: &csrf_token };
    HtmlPage::private(StatusCode::OK, signed_in_page(title, &signed_in, main)).into_response()
}

fn pounds(pence: i64) -> String {
    Money::from_pence(pence).to_string()
}

fn label(code: &str) -> String {
    let mut text = code.replace('_', " ");
    if let Some(first) = text.get(..1) {
        text = first.to_uppercase() + text.get(1..).unwrap_or_default();
    }
    text
}

/// `GET /home`: each role's home page.
pub async fn home(caller: Caller) -> Response {
    match caller.principal.as_ref().map(|p| p.role) {
        None => redirect("/sign-in"),
        Some(Role::Citizen) => redirect("/my-budget"),
        Some(Role::Practitioner) => redirect("/caseload"),
        Some(Role::Finance) => redirect("/finance"),
        Some(Role::Commissioner) => redirect("/spending"),
        Some(Role::Admin) => redirect("/admin"),
        Some(Role::Auditor) => redirect("/audit"),
    }
}

/// The person's details and their budget in force today: the same budget version their
/// budget page shows, so the two always agree.
fn person_summary(
    scheme: Option<&Scheme>,
    person: &PersonRecord,
    budget: Option<&BudgetSummary>,
) -> Markup {
    html! {
        dl.summary-list {
            dt { "Name" } dd { (person.given_name) " " (person.family_name) }
            dt { "NHS number" } dd { (nhs_spaced(&person.nhs_number)) }
            dt { "Date of birth" } dd { (person.birth_date.format("%-d %B %Y")) }
            dt { "Where care is given" } dd { (if person.setting == "care_home" { "In a care home" } else { "At home" }) }
            dt { "Funded by" }
            dd {
                @match budget {
                    Some(b) => { (funders_words(&b.components)) }
                    None => { (if person.funding == "continuing_healthcare" { "NHS continuing healthcare (free)" } else { "Adult social care (means-tested)" }) }
                }
            }
            dt { "Personal budget" }
            dd {
                @match budget {
                    Some(b) => {
                        (b.weekly_budget) " a week"
                        @if b.status != Status::Active { " (" (status_words(b.status).to_lowercase()) ")" }
                        ", from " (b.effective_from.format("%-d %B %Y"))
                        ul {
                            @for c in &b.components {
                                li { (component_name(scheme, &c.stream)) ": " (c.agreed) " a week, " (c.mode.words()) }
                            }
                        }
                    }
                    None => { "No personal budget" }
                }
            }
        }
    }
}

/// Who funds a budget, in words: each funder once, in the budget's order.
fn funders_words(components: &[Component]) -> String {
    let mut funders: Vec<String> = Vec::new();
    for c in components {
        let words = sentence(&funder_words(&c.funder));
        if !funders.contains(&words) {
            funders.push(words);
        }
    }
    funders.join("; ")
}

fn component_name(scheme: Option<&Scheme>, stream: &str) -> String {
    scheme.map_or_else(|| stream.to_owned(), |scheme| stream_name(scheme, stream))
}

/// How a budget is held, in words, for a caseload row: each delivery mode with the
/// streams held that way.
fn held_words(scheme: Option<&Scheme>, components: &[Component]) -> String {
    let mut modes: Vec<(DeliveryMode, Vec<String>)> = Vec::new();
    for c in components {
        let name = component_name(scheme, &c.stream);
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

fn nhs_spaced(digits: &str) -> String {
    match (digits.get(..3), digits.get(3..6), digits.get(6..)) {
        (Some(a), Some(b), Some(c)) => format!("{a} {b} {c}"),
        _ => digits.to_owned(),
    }
}

/// The person's accounts and their recent statement lines.
/// How many of each account's latest lines the citizen's budget page shows.
const OWN_PAGE_LINES: usize = 12;
/// How many of each account's latest lines a person's record page shows.
const PERSON_PAGE_LINES: usize = 6;

/// Person `code`'s record, their budget in force today and the latest `lines` lines of
/// each of their accounts, in one transaction, if the access decision allows it
/// (audited).
async fn person_with_recent_lines(
    state: &AppState,
    caller: &Caller,
    code: &str,
    lines: usize,
    target: &str,
) -> Result<(Principal, PersonRecord, PersonPage), Denied> {
    let today = crate::people::today();
    let read = move |store: &onebudget_store::Store, code: &str| {
        store.person_with_recent_lines(code, lines, today)
    };
    authorize_person_with(state, caller, code, false, target, read).await
}

/// Each account's balance and its latest lines, newest first.
fn recent_markup(accounts: &[RecentLines]) -> Markup {
    html! {
        @for recent in accounts {
            (statement_markup(&recent.account, recent.closing_balance, recent.lines.iter()))
        }
    }
}

/// One account's balance and the lines given (newest first).
fn statement_markup<'a>(
    account: &Account,
    closing_balance: Money,
    newest_first: impl Iterator<Item = &'a StatementLine>,
) -> Markup {
    html! {
        h2 { (account.name()) }
        p { "Balance now: " strong { (closing_balance) } }
        table.table {
            caption { "The latest payments in and out of this account" }
            thead { tr { th scope="col" { "Date" } th scope="col" { "What" } th.numeric scope="col" { "In" } th.numeric scope="col" { "Out" } th.numeric scope="col" { "Balance" } } }
            tbody {
                @for line in newest_first {
                    tr {
                        td { (line.effective_date.format("%-d %b %Y")) }
                        td { (line.memo) }
                        td.numeric { @if line.money_in.pence() > 0 { (line.money_in) } }
                        td.numeric { @if line.money_out.pence() > 0 { (line.money_out) } }
                        td.numeric { (line.balance) }
                    }
                }
            }
        }
    }
}

/// The caller's own record (or, with `log_view`, its access log), if the access decision
/// says they have one.
async fn own_record(
    state: &AppState,
    caller: &Caller,
    log_view: bool,
    target: &str,
) -> Result<(Principal, PersonRecord), Denied> {
    let principal = caller.authorize(state, Action::ReadOwnRecord, target).await?;
    let own =
        principal.person.ok_or_else(|| Denied::Refused("you have no record of your own".into()))?;
    authorize_person(state, caller, &own, log_view, target).await
}

/// `GET /my-budget`: the citizen's own budget and statement. The record and the
/// statements' latest lines are read in one transaction; the audit row for the read is
/// committed before any of it is shown.
pub async fn my_budget(State(state): State<AppState>, caller: Caller) -> Response {
    let target = "/my-budget";
    let own = match caller.authorize(&state, Action::ReadOwnRecord, target).await {
        Ok(principal) => principal.person,
        Err(d) => return denied(d),
    };
    let Some(own) = own else {
        return denied(Denied::Refused("you have no record of your own".into()));
    };
    let (principal, person, found) =
        match person_with_recent_lines(&state, &caller, &own, OWN_PAGE_LINES, target).await {
            Ok(found) => found,
            Err(d) => return denied(d),
        };
    let statements = &found.accounts;
    render(
        &caller,
        &principal,
        "Your budget",
        html! {
            h1 { "Your budget" }
            (person_summary(state.scheme().ok(), &person, found.budget.as_ref()))
            p { a href="/my-budget/who-has-looked" { "See who has looked at your record" } }
            nav aria-label="Your personal budget" {
                ul {
                    li { a href="/my-budget/budget" { "Your personal budget: who pays for what" } }
                    li { a href="/my-budget/plan" { "Your support plan" } }
                    li { a href="/my-budget/spending" { "Record what you spent" } }
                    li { a href="/my-budget/statement" { "Your statement" } }
                }
            }
            (recent_markup(statements))
        },
    )
}

/// `GET /my-budget/who-has-looked`: every access to the citizen's record.
pub async fn who_has_looked(State(state): State<AppState>, caller: Caller) -> Response {
    let (principal, person) =
        match own_record(&state, &caller, true, "/my-budget/who-has-looked").await {
            Ok(found) => found,
            Err(d) => return denied(d),
        };
    let filter = onebudget_store::AuditFilter {
        person_code: Some(person.code.clone()),
        ..onebudget_store::AuditFilter::default()
    };
    let rows = match state.run(move |store| store.audit_search(&filter, 200)).await {
        Ok(rows) => rows,
        Err(e) => return failed(e),
    };
    render(
        &caller,
        &principal,
        "Who has looked at your record",
        html! {
            h1 { "Who has looked at your record" }
            p { "Every time someone opens your record in onebudget it is written down here, with their role and when. If you do not recognise something, contact the council's data protection officer." }
            (audit_table(&rows, "Looks at your record, newest first", false))
        },
    )
}

fn audit_table(rows: &[AuditRecord], caption: &str, full: bool) -> Markup {
    html! {
        table.table {
            caption { (caption) }
            thead {
                tr {
                    th scope="col" { "When (UTC)" }
                    th scope="col" { "Who" }
                    th scope="col" { "Role" }
                    th scope="col" { "What" }
                    @if full { th scope="col" { "Person" } th scope="col" { "From" } }
                    th scope="col" { "Outcome" }
                }
            }
            tbody {
                @for row in rows {
                    tr {
                        td { (row.entry.at.get(..19).unwrap_or(&row.entry.at).replace('T', " ")) }
                        td { (row.entry.actor) }
                        td { (row.entry.role.as_deref().and_then(|r| Role::parse(r).ok()).map_or("", |r| r.label())) }
                        td { (label(&row.entry.action)) " " (row.entry.target) }
                        @if full {
                            td { (row.entry.person_code.as_deref().unwrap_or("")) }
                            td { (row.entry.source) }
                        }
                        td { (label(&row.entry.outcome)) @if !row.entry.detail.is_empty() { ": " (row.entry.detail) } }
                    }
                }
            }
        }
        @if rows.is_empty() { p { "Nothing yet." } }
    }
}

/// `GET /caseload`: the practitioner's team's caseload.
pub async fn caseload(State(state): State<AppState>, caller: Caller) -> Response {
    let team = caller.principal.as_ref().and_then(|p| p.team.clone()).unwrap_or_default();
    let principal =
        match caller.authorize(&state, Action::ListCaseload { team: &team }, "/caseload").await {
            Ok(p) => p,
            Err(d) => return denied(d),
        };
    let wanted = team.clone();
    let today = crate::people::today();
    let people = match state.run(move |store| store.caseload(&wanted, today)).await {
        Ok(p) => p,
        Err(e) => return failed(e),
    };
    let scheme = state.scheme().ok();
    render(
        &caller,
        &principal,
        "Your team's caseload",
        html! {
            h1 { "Your team's caseload" }
            p { (people.len()) " people on the caseload of " (team) "." }
            table.table {
                caption { "People, by family name" }
                thead { tr { th scope="col" { "Name" } th scope="col" { "Where" } th scope="col" { "Budget" } th.numeric scope="col" { "A week" } } }
                tbody {
                    @for row in &people {
                        @let person = &row.person;
                        tr {
                            td { a href={ "/people/" (person.code) } { (person.family_name) ", " (person.given_name) } }
                            td { (if person.setting == "care_home" { "Care home" } else { "Home" }) }
                            td {
                                @match &row.budget {
                                    Some(b) => {
                                        (held_words(scheme, &b.components))
                                        @if b.status != Status::Active { " (" (status_words(b.status).to_lowercase()) ")" }
                                    }
                                    None => { "None" }
                                }
                            }
                            td.numeric { @if let Some(b) = &row.budget { (b.weekly_budget) } }
                        }
                    }
                }
            }
        },
    )
}

/// `GET /people/{code}`: one person's record.
pub async fn person(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(code): PathParams<String>,
) -> Response {
    let target = format!("/people/{code}");
    let (principal, person, found) =
        match person_with_recent_lines(&state, &caller, &code, PERSON_PAGE_LINES, &target).await {
            Ok(found) => found,
            Err(d) => return denied(d),
        };
    let statements = &found.accounts;
    let wanted = person.code.clone();
    let assessments = match state.run(move |store| store.assessments_for(&wanted)).await {
        Ok(a) => a,
        Err(e) => return failed(e),
    };
    let title = format!("{} {}", person.given_name, person.family_name);
    render(
        &caller,
        &principal,
        &title,
        html! {
            h1 { (title) }
            (person_summary(state.scheme().ok(), &person, found.budget.as_ref()))
            p { a href={ "/people/" (person.code) "/budget" } { "Integrated personal budget: needs assessment, support plan and review" } }
            h2 { "Financial assessments" }
            @if assessments.is_empty() {
                p { "No financial assessment has been recorded." }
            } @else {
                table.table {
                    caption { "What this person was assessed to pay, newest first" }
                    thead { tr { th scope="col" { "Recorded (UTC)" } th scope="col" { "By" } th scope="col" { "Rules of" } th.numeric scope="col" { "A week" } } }
                    tbody {
                        @for a in &assessments {
                            tr {
                                td { (a.recorded_at.get(..16).unwrap_or(&a.recorded_at).replace('T', " ")) }
                                td { (a.recorded_by) }
                                td { (label(&a.nation)) ", " (a.effective_date.format("%-d %B %Y")) }
                                td.numeric { (pounds(a.weekly_charge_pence)) }
                            }
                        }
                    }
                }
            }
            (recent_markup(statements))
        },
    )
}

/// `GET /finance`: balances by stream and by organisation, and the organisations' accounts.
pub async fn finance(State(state): State<AppState>, caller: Caller) -> Response {
    let principal = match caller.authorize(&state, Action::ReadLedger, "/finance").await {
        Ok(p) => p,
        Err(d) => return denied(d),
    };
    let balances = match state.run(|store| store.balances(None, None)).await {
        Ok(b) => b,
        Err(e) => return failed(e),
    };
    let mut by_stream: BTreeMap<&str, i64> = BTreeMap::new();
    let mut by_owner: BTreeMap<String, i64> = BTreeMap::new();
    let mut accounts: BTreeMap<(&str, &str), i64> = BTreeMap::new();
    for row in &balances {
        let pence = row.balance.pence();
        *by_stream.entry(&row.stream).or_default() += pence;
        let owner = if row.owner_kind == "person" {
            "People's budget accounts".to_owned()
        } else {
            row.owner.clone()
        };
        *by_owner.entry(owner).or_default() += pence;
        if row.owner_kind != "person" {
            *accounts.entry((&row.account, &row.account_name)).or_default() += pence;
        }
    }
    render(
        &caller,
        &principal,
        "The ledger",
        html! {
            h1 { "The ledger" }
            p { "Balances now. Money out of a funder's account shows as a negative balance; the balances of every account add up to zero." }
            p { a href="/pools" { "Pooled budgets: monitoring and year-end settlement" } }
            p { a href="/budgets/funders" { "Each funder's share of personal budgets" } }
            p { a href="/budgets/payments" { "Pay personal budgets" } }
            p { a href="/budgets/reviews" { "Direct-payment reviews and recoveries" } }
            table.table {
                caption { "Balances by funding stream" }
                thead { tr { th scope="col" { "Stream" } th.numeric scope="col" { "Balance" } } }
                tbody { @for (stream, pence) in &by_stream { tr { td { (stream) } td.numeric { (pounds(*pence)) } } } }
            }
            table.table {
                caption { "Balances by organisation" }
                thead { tr { th scope="col" { "Organisation" } th.numeric scope="col" { "Balance" } } }
                tbody { @for (owner, pence) in &by_owner { tr { td { (owner) } td.numeric { (pounds(*pence)) } } } }
            }
            table.table {
                caption { "Organisations' and pools' accounts" }
                thead { tr { th scope="col" { "Account" } th.numeric scope="col" { "Balance" } } }
                tbody {
                    @for ((code, name), pence) in &accounts {
                        tr { td { a href={ "/finance/accounts/" (code) } { (name) " (" (code) ")" } } td.numeric { (pounds(*pence)) } }
                    }
                }
            }
        },
    )
}

/// `GET /finance/accounts/{code}`: an account's statement.
pub async fn account(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(code): PathParams<String>,
) -> Response {
    let Ok(account) = AccountCode::parse("code", &code) else {
        return denied(Denied::Failed(ApiError::NotFound { what: "account", code }));
    };
    if let Err(error) = crate::people::authorize_account(&state, &caller, &account).await {
        return match error {
            ApiError::Unauthenticated => redirect("/sign-in"),
            ApiError::Forbidden(reason) => {
                denied(Denied::Refused(reason.trim_start_matches("not allowed: ").to_owned()))
            }
            other => denied(Denied::Failed(other)),
        };
    }
    let Some(principal) = caller.principal.clone() else { return redirect("/sign-in") };
    let statement = match state.run(move |store| store.statement(&account, None, None)).await {
        Ok(s) => s,
        Err(e) => return denied(Denied::Failed(e)),
    };
    let title = format!("Statement: {}", statement.account.name());
    render(
        &caller,
        &principal,
        &title,
        html! {
            h1 { (title) }
            p { "Money in " (statement.money_in) ", money out " (statement.money_out) ", balance " strong { (statement.closing_balance) } "." }
            (statement_markup(&statement.account, statement.closing_balance, statement.lines.iter().rev().take(50)))
        },
    )
}

/// `GET /spending`: whole-system spend by month (a chart), stream and organisation.
pub async fn spending(
    State(state): State<AppState>,
    caller: Caller,
    QueryParams(query): QueryParams<crate::people::SpendQuery>,
) -> Response {
    let principal = match caller.authorize(&state, Action::ReadAggregates, "/spending").await {
        Ok(p) => p,
        Err(d) => return denied(d),
    };
    let (from, to) = match spend_range(query.from.as_deref(), query.to.as_deref()) {
        Ok(range) => range,
        Err(e) => return denied(Denied::Failed(e)),
    };
    let rows = match state.run(move |store| store.spend_by_month(from, to)).await {
        Ok(r) => r,
        Err(e) => return failed(e),
    };
    let mut by_month: BTreeMap<&str, i64> = BTreeMap::new();
    let mut by_stream: BTreeMap<&str, i64> = BTreeMap::new();
    let mut by_organisation: BTreeMap<&str, i64> = BTreeMap::new();
    for row in &rows {
        *by_month.entry(&row.month).or_default() += row.amount_pence;
        *by_stream.entry(&row.stream).or_default() += row.amount_pence;
        *by_organisation.entry(&row.organisation).or_default() += row.amount_pence;
    }
    render(
        &caller,
        &principal,
        "Spending across the system",
        html! {
            h1 { "Spending across the system" }
            p { "Money paid out by the ICB, the council and the Better Care Fund pool from " (from.format("%-d %B %Y")) " to " (to.format("%-d %B %Y")) ". No figure here identifies a person." }
            p { a href="/pools" { "Pooled budgets: monitoring and year-end settlement" } }
            p { a href="/budgets/funders" { "Each funder's share of personal budgets" } }
            nav aria-label="Financial year" {
            p {
                "Show: "
                a href="/spending?from=2024-04-01&to=2025-03-31" { "April 2024 to March 2025" }
                " · "
                a href="/spending?from=2025-04-01&to=2026-03-31" { "April 2025 to March 2026" }
                " · "
                a href="/spending" { "both years" }
            }
        }
        (month_chart(&by_month))
            table.table {
                caption { "Spending by month" }
                thead { tr { th scope="col" { "Month" } th.numeric scope="col" { "Spent" } } }
                tbody { @for (month, pence) in &by_month { tr { td { (month) } td.numeric { (pounds(*pence)) } } } }
            }
            (totals_table("Spending by funding stream", "Stream", &by_stream))
            (totals_table("Spending by paying organisation", "Organisation", &by_organisation))
            (stream_month_note(&rows))
        },
    )
}

fn totals_table(caption: &str, heading: &str, totals: &BTreeMap<&str, i64>) -> Markup {
    html! {
        table.table {
            caption { (caption) }
            thead { tr { th scope="col" { (heading) } th.numeric scope="col" { "Spent" } } }
            tbody { @for (key, pence) in totals { tr { td { (key) } td.numeric { (pounds(*pence)) } } } }
        }
    }
}

fn stream_month_note(rows: &[SpendRow]) -> Markup {
    html! { p.hint { (rows.len()) " month, stream and organisation figures; the same figures are at " code { "/api/reports/spend" } "." } }
}

/// A bar chart of spend by month, as SVG drawn on the server. Each bar has its value as
/// text in a `<title>` and the table below repeats every figure, so nothing depends on
/// colour or on seeing the chart.
fn month_chart(by_month: &BTreeMap<&str, i64>) -> Markup {
    let max = by_month.values().copied().max().unwrap_or(0).max(1);
    let bar_width = 24_i64;
    let gap = 8_i64;
    let height = 200_i64;
    let width = (bar_width + gap) * i64::try_from(by_month.len()).unwrap_or(0) + 60;
    html! {
        figure {
            svg.chart role="img" aria-labelledby="chart-title" width=(width) height=(height + 60)
                viewBox={ "0 0 " (width) " " (height + 60) } xmlns="http://www.w3.org/2000/svg" {
                title #chart-title { "Spending by month: the tallest bar is " (pounds(max)) ". The table below lists every month." }
                line x1="50" y1=(height) x2=(width) y2=(height) stroke="#0b0c0c" stroke-width="2" {}
                text x="0" y="12" font-size="12" fill="#0b0c0c" { (pounds(max)) }
                text x="0" y=(height) font-size="12" fill="#0b0c0c" { "£0" }
                @for (i, (month, pence)) in by_month.iter().enumerate() {
                    @let x = 55 + (bar_width + gap) * i64::try_from(i).unwrap_or(0);
                    @let bar = pence * height / max;
                    rect x=(x) y=(height - bar) width=(bar_width) height=(bar) fill="#1d70b8" {
                        title { (month) ": " (pounds(*pence)) }
                    }
                    @if i % 3 == 0 {
                        text x=(x) y=(height + 16) font-size="11" fill="#0b0c0c" { (month) }
                    }
                }
            }
            figcaption.hint { "Bars show the total paid out each month; the months are labelled every quarter." }
        }
    }
}

/// `GET /admin`: organisations, funding streams, users and tokens.
pub async fn admin(State(state): State<AppState>, caller: Caller) -> Response {
    let principal = match caller.authorize(&state, Action::Administer, "/admin").await {
        Ok(p) => p,
        Err(d) => return denied(d),
    };
    let loaded = state
        .run(|store| {
            Ok::<_, onebudget_store::StoreError>((
                store.organisations()?,
                store.streams()?,
                store.users()?,
                store.tokens()?,
                store.teams()?,
            ))
        })
        .await;
    let (organisations, streams, users, tokens, teams) = match loaded {
        Ok(l) => l,
        Err(e) => return failed(e),
    };
    render(
        &caller,
        &principal,
        "Administration",
        html! {
            h1 { "Administration" }
            p { "Users and tokens are added with " code { "onebudget user add" } " and " code { "onebudget token issue" } " on the server." }
            table.table {
                caption { "Organisations" }
                thead { tr { th scope="col" { "Code" } th scope="col" { "Name" } th scope="col" { "Kind" } } }
                tbody { @for o in &organisations { tr { td { (o.code) } td { (o.name) } td { (label(&o.kind)) } } } }
            }
            table.table {
                caption { "Teams" }
                thead { tr { th scope="col" { "Code" } th scope="col" { "Name" } } }
                tbody { @for t in &teams { tr { td { (t.code) } td { (t.name) } } } }
            }
            table.table {
                caption { "Funding streams" }
                thead { tr { th scope="col" { "Code" } th scope="col" { "Name" } th scope="col" { "Owner" } th scope="col" { "Charging" } } }
                tbody { @for s in &streams { tr { td { (s.code().as_str()) } td { (s.name()) } td { (s.owner().as_str()) } td { (label(s.charging_basis().as_str())) } } } }
            }
            table.table {
                caption { "Users" }
                thead { tr { th scope="col" { "User name" } th scope="col" { "Name" } th scope="col" { "Role" } th scope="col" { "Kind" } } }
                tbody { @for u in &users { tr { td { (u.username) } td { @if u.role == "citizen" { "(a person receiving care)" } @else { (u.display_name) } } td { (Role::parse(&u.role).map_or("", |r| r.label())) } td { (label(&u.kind)) } } } }
            }
            table.table {
                caption { "Bearer tokens" }
                thead { tr { th scope="col" { "Id" } th scope="col" { "Service account" } th scope="col" { "Label" } th scope="col" { "Starts" } th scope="col" { "Scopes" } th scope="col" { "Expires" } th scope="col" { "State" } } }
                tbody {
                    @for t in &tokens {
                        tr { td { (t.id) } td { (t.username) } td { (t.label) } td { code { (t.prefix) "…" } } td { (t.scopes) } td { (t.expires_at.get(..10).unwrap_or("")) } td { (if t.revoked_at.is_some() { "Revoked" } else { "Live" }) } }
                    }
                }
            }
        },
    )
}

/// `GET /audit`: search the audit log.
pub async fn audit(
    State(state): State<AppState>,
    caller: Caller,
    QueryParams(query): QueryParams<AuditQuery>,
) -> Response {
    let principal = match caller.authorize(&state, Action::ReadAuditLog, "/audit").await {
        Ok(p) => p,
        Err(d) => return denied(d),
    };
    let filter = match query.filter() {
        Ok(f) => f,
        Err(e) => return denied(Denied::Failed(e)),
    };
    let rows = match state.run(move |store| store.audit_search(&filter, 200)).await {
        Ok(r) => r,
        Err(e) => return failed(e),
    };
    let value = |v: &Option<String>| v.clone().unwrap_or_default();
    render(
        &caller,
        &principal,
        "Audit log",
        html! {
            h1 { "Audit log" }
            p { "Every sign-in, every look at or change to a person's record, and every refused access. Export all of it with " code { "onebudget audit export --format csv" } "." }
            form method="get" action="/audit" {
                @for (id, text, current) in [
                    ("actor", "User name", value(&query.actor)),
                    ("person", "Person's code", value(&query.person)),
                    ("action", "Action (for example read_person or sign_in)", value(&query.action)),
                    ("outcome", "Outcome (allowed, refused, success or failure)", value(&query.outcome)),
                    ("from", "From (YYYY-MM-DD)", value(&query.from)),
                    ("to", "To (YYYY-MM-DD)", value(&query.to)),
                ] {
                    div.form-group {
                        label.label for=(id) { (text) }
                        input.input #(id) type="text" name=(id) value=(current) spellcheck="false";
                    }
                }
                button.button type="submit" { "Search" }
            }
            (audit_table(&rows, "Matching entries, newest first (at most 200)", true))
        },
    )
}
