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
use crate::extract::{PagePath, PageQuery};
use crate::pages::budgets::{funder_words, sentence, status_words, stream_name};
use crate::pages::form::{FieldErrors, PeriodQuery, error_summary};
use crate::pages::{PageError, PageResult, render, render_with};
use crate::people::{authorize_person, authorize_person_with, default_spend_period};
use crate::state::AppState;

/// A failure as its status page (a 404 for what does not exist, else a 500).
pub(super) fn failed(error: ApiError) -> PageResult {
    Err(PageError::from(error))
}

/// A redirect after a form, to a location built at run time.
pub(super) fn see_other(location: &str) -> PageResult {
    match HeaderValue::from_str(location) {
        Ok(value) => Ok((StatusCode::SEE_OTHER, [(LOCATION, value)]).into_response()),
        Err(_) => failed(ApiError::Internal(format!("a redirect to {location:?}"))),
    }
}

pub(super) fn redirect(location: &'static str) -> PageResult {
    Ok((StatusCode::SEE_OTHER, [(LOCATION, HeaderValue::from_static(location))]).into_response())
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
pub async fn home(caller: Caller) -> PageResult {
    match caller.principal.as_ref().map(|p| p.role) {
        None => redirect("/sign-in"),
        Some(Role::Citizen) => redirect("/my-budget"),
        Some(Role::Practitioner) => redirect("/caseload"),
        Some(Role::Finance) => redirect("/finance"),
        Some(Role::Commissioner) => redirect("/spending"),
        Some(Role::Admin) => redirect("/admin"),
        Some(Role::Auditor) => redirect("/auditor"),
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
        dl.govuk-summary-list {
            div.govuk-summary-list__row { dt.govuk-summary-list__key { "Name" } dd.govuk-summary-list__value { (person.given_name) " " (person.family_name) } }
            div.govuk-summary-list__row { dt.govuk-summary-list__key { "NHS number" } dd.govuk-summary-list__value { (crate::pages::nhs_spaced(&person.nhs_number)) } }
            div.govuk-summary-list__row { dt.govuk-summary-list__key { "Date of birth" } dd.govuk-summary-list__value { (person.birth_date.format("%-d %B %Y")) } }
            div.govuk-summary-list__row { dt.govuk-summary-list__key { "Where care is given" } dd.govuk-summary-list__value { (if person.setting == "care_home" { "In a care home" } else { "At home" }) } }
            div.govuk-summary-list__row {
                dt.govuk-summary-list__key { "Funded by" }
                dd.govuk-summary-list__value {
                    @match budget {
                        Some(b) => { (funders_words(&b.components)) }
                        None => { (if person.funding == "continuing_healthcare" { "NHS continuing healthcare (free)" } else { "Adult social care (means-tested)" }) }
                    }
                }
            }
            div.govuk-summary-list__row {
                dt.govuk-summary-list__key { "Personal budget" }
                dd.govuk-summary-list__value {
                    @match budget {
                        Some(b) => {
                            (b.weekly_budget) " a week"
                            @if b.status != Status::Active { " (" (status_words(b.status).to_lowercase()) ")" }
                            ", from " (b.effective_from.format("%-d %B %Y"))
                            ul.govuk-list.govuk-list--bullet {
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
    let today = crate::clock::today();
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
        h2.govuk-heading-m { (account.name()) }
        p.govuk-body { "Balance now: " strong { (closing_balance) } }
        (statement_table("The latest payments in and out of this account", newest_first))
    }
}

/// Statement lines (newest first) as a table captioned `caption`.
fn statement_table<'a>(
    caption: &str,
    newest_first: impl Iterator<Item = &'a StatementLine>,
) -> Markup {
    html! {
        div.app-table-wrap role="region" aria-label=(caption) tabindex="0" { table.govuk-table.govuk-table--small-text-until-tablet {
            caption.govuk-table__caption.govuk-table__caption--m { (caption) }
            thead.govuk-table__head { tr.govuk-table__row { th.govuk-table__header scope="col" { "Date" } th.govuk-table__header scope="col" { "What" } th.govuk-table__header.govuk-table__header--numeric scope="col" { "In" } th.govuk-table__header.govuk-table__header--numeric scope="col" { "Out" } th.govuk-table__header.govuk-table__header--numeric scope="col" { "Balance" } } }
            tbody.govuk-table__body {
                @for line in newest_first {
                    tr.govuk-table__row {
                        td.govuk-table__cell { (line.effective_date.format("%-d %b %Y")) }
                        td.govuk-table__cell { (line.memo) }
                        td.govuk-table__cell.govuk-table__cell--numeric { @if line.money_in.pence() > 0 { (line.money_in) } }
                        td.govuk-table__cell.govuk-table__cell--numeric { @if line.money_out.pence() > 0 { (line.money_out) } }
                        td.govuk-table__cell.govuk-table__cell--numeric { (line.balance) }
                    }
                }
            }
        } }
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
pub async fn my_budget(State(state): State<AppState>, caller: Caller) -> PageResult {
    let target = "/my-budget";
    let own = match caller.authorize(&state, Action::ReadOwnRecord, target).await {
        Ok(principal) => principal.person,
        Err(d) => return Err(PageError::from(d)),
    };
    let Some(own) = own else {
        return Err(PageError::from(Denied::Refused("you have no record of your own".into())));
    };
    let (principal, person, found) =
        person_with_recent_lines(&state, &caller, &own, OWN_PAGE_LINES, target).await?;
    let statements = &found.accounts;
    render(
        &caller,
        &principal,
        "Your budget",
        html! {
            h1.govuk-heading-l { "Your budget" }
            (person_summary(state.scheme().ok(), &person, found.budget.as_ref()))
            p.govuk-body { a.govuk-link href="/my-budget/who-has-looked" { "See who has looked at your record" } }
            (recent_markup(statements))
        },
    )
}

/// `GET /my-budget/who-has-looked`: every access to the citizen's record.
pub async fn who_has_looked(State(state): State<AppState>, caller: Caller) -> PageResult {
    let (principal, person) =
        own_record(&state, &caller, true, "/my-budget/who-has-looked").await?;
    let filter = onebudget_store::AuditFilter {
        person_code: Some(person.code.clone()),
        ..onebudget_store::AuditFilter::default()
    };
    let rows = state.run(move |store| store.audit_search(&filter, 200)).await?;
    render(
        &caller,
        &principal,
        "Who has looked at your record",
        html! {
            h1.govuk-heading-l { "Who has looked at your record" }
            p.govuk-body { "Every time someone opens your record in onebudget it is written down here, with their role and when. If you do not recognise something, contact the council's data protection officer." }
            (audit_table(&rows, "Looks at your record, newest first", false))
        },
    )
}

fn audit_table(rows: &[AuditRecord], caption: &str, full: bool) -> Markup {
    html! {
        div.app-table-wrap role="region" aria-label=(caption) tabindex="0" { table.govuk-table.govuk-table--small-text-until-tablet {
            caption.govuk-table__caption.govuk-table__caption--m { (caption) }
            thead.govuk-table__head {
                tr.govuk-table__row {
                    th.govuk-table__header scope="col" { "When (UTC)" }
                    th.govuk-table__header scope="col" { "Who" }
                    th.govuk-table__header scope="col" { "Role" }
                    th.govuk-table__header scope="col" { "What" }
                    @if full { th.govuk-table__header scope="col" { "Person" } th.govuk-table__header scope="col" { "From" } }
                    th.govuk-table__header scope="col" { "Outcome" }
                }
            }
            tbody.govuk-table__body {
                @for row in rows {
                    tr.govuk-table__row {
                        td.govuk-table__cell { (row.entry.at.get(..19).unwrap_or(&row.entry.at).replace('T', " ")) }
                        td.govuk-table__cell { (row.entry.actor) }
                        td.govuk-table__cell { (row.entry.role.as_deref().and_then(|r| Role::parse(r).ok()).map_or("", |r| r.label())) }
                        td.govuk-table__cell { (label(&row.entry.action)) " " (row.entry.target) }
                        @if full {
                            td.govuk-table__cell { (row.entry.person_code.as_deref().unwrap_or("")) }
                            td.govuk-table__cell { (row.entry.source) }
                        }
                        td.govuk-table__cell { (label(&row.entry.outcome)) @if !row.entry.detail.is_empty() { ": " (row.entry.detail) } }
                    }
                }
            }
        } }
        @if rows.is_empty() { p.govuk-body { "Nothing yet." } }
    }
}

/// `GET /caseload`: the practitioner's team's caseload.
pub async fn caseload(State(state): State<AppState>, caller: Caller) -> PageResult {
    let team = caller.principal.as_ref().and_then(|p| p.team.clone()).unwrap_or_default();
    let principal =
        match caller.authorize(&state, Action::ListCaseload { team: &team }, "/caseload").await {
            Ok(p) => p,
            Err(d) => return Err(PageError::from(d)),
        };
    let wanted = team.clone();
    let today = crate::clock::today();
    let people = state.run(move |store| store.caseload(&wanted, today)).await?;
    let scheme = state.scheme().ok();
    render(
        &caller,
        &principal,
        "Your team's caseload",
        html! {
            h1.govuk-heading-l { "Your team's caseload" }
            p.govuk-body { (people.len()) " people on the caseload of " (team) "." }
            div.app-table-wrap role="region" aria-label="People, by family name" tabindex="0" { table.govuk-table.govuk-table--small-text-until-tablet {
                caption.govuk-table__caption.govuk-table__caption--m { "People, by family name" }
                thead.govuk-table__head { tr.govuk-table__row { th.govuk-table__header scope="col" { "Name" } th.govuk-table__header scope="col" { "Where" } th.govuk-table__header scope="col" { "Budget" } th.govuk-table__header.govuk-table__header--numeric scope="col" { "A week" } } }
                tbody.govuk-table__body {
                    @for row in &people {
                        @let person = &row.person;
                        tr.govuk-table__row {
                            td.govuk-table__cell { a.govuk-link href={ "/people/" (person.code) } { (person.family_name) ", " (person.given_name) } }
                            td.govuk-table__cell { (if person.setting == "care_home" { "Care home" } else { "Home" }) }
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
                        }
                    }
                }
            } }
        },
    )
}

/// `GET /people/{code}`: one person's record.
pub async fn person(
    State(state): State<AppState>,
    caller: Caller,
    PagePath(code): PagePath<String>,
) -> PageResult {
    let target = format!("/people/{code}");
    let (principal, person, found) =
        person_with_recent_lines(&state, &caller, &code, PERSON_PAGE_LINES, &target).await?;
    let statements = &found.accounts;
    let wanted = person.code.clone();
    let assessments = state.run(move |store| store.assessments_for(&wanted)).await?;
    let title = format!("{} {}", person.given_name, person.family_name);
    render(
        &caller,
        &principal,
        &title,
        html! {
            h1.govuk-heading-l { (title) }
            (person_summary(state.scheme().ok(), &person, found.budget.as_ref()))
            p.govuk-body { a.govuk-link href={ "/people/" (person.code) "/budget" } { "Integrated personal budget: needs assessment, support plan and review" } }
            h2.govuk-heading-m { "Financial assessments" }
            @if assessments.is_empty() {
                p.govuk-body { "No financial assessment has been recorded." }
            } @else {
                div.app-table-wrap role="region" aria-label="What this person was assessed to pay, newest first" tabindex="0" { table.govuk-table.govuk-table--small-text-until-tablet {
                    caption.govuk-table__caption.govuk-table__caption--m { "What this person was assessed to pay, newest first" }
                    thead.govuk-table__head { tr.govuk-table__row { th.govuk-table__header scope="col" { "Recorded (UTC)" } th.govuk-table__header scope="col" { "By" } th.govuk-table__header scope="col" { "Rules of" } th.govuk-table__header.govuk-table__header--numeric scope="col" { "A week" } } }
                    tbody.govuk-table__body {
                        @for a in &assessments {
                            tr.govuk-table__row {
                                td.govuk-table__cell { (a.recorded_at.get(..16).unwrap_or(&a.recorded_at).replace('T', " ")) }
                                td.govuk-table__cell { (a.recorded_by) }
                                td.govuk-table__cell { (label(&a.nation)) ", " (a.effective_date.format("%-d %B %Y")) }
                                td.govuk-table__cell.govuk-table__cell--numeric { (pounds(a.weekly_charge_pence)) }
                            }
                        }
                    }
                } }
            }
            (recent_markup(statements))
        },
    )
}

/// `GET /finance`: balances by stream and by organisation, and the organisations' accounts.
pub async fn finance(State(state): State<AppState>, caller: Caller) -> PageResult {
    let principal = caller.authorize(&state, Action::ReadLedger, "/finance").await?;
    let balances = state.run(|store| store.balances(None, None)).await?;
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
            h1.govuk-heading-l { "The ledger" }
            p.govuk-body { "Balances now. Money out of a funder's account shows as a negative balance; the balances of every account add up to zero." }
            p.govuk-body { a.govuk-link href="/pools" { "Pooled budgets: monitoring and year-end settlement" } }
            p.govuk-body { a.govuk-link href="/budgets/funders" { "Each funder's share of personal budgets" } }
            p.govuk-body { a.govuk-link href="/budgets/payments" { "Pay personal budgets" } }
            p.govuk-body { a.govuk-link href="/budgets/reviews" { "Direct-payment reviews and recoveries" } }
            div.app-table-wrap role="region" aria-label="Balances by funding stream" tabindex="0" { table.govuk-table.govuk-table--small-text-until-tablet {
                caption.govuk-table__caption.govuk-table__caption--m { "Balances by funding stream" }
                thead.govuk-table__head { tr.govuk-table__row { th.govuk-table__header scope="col" { "Stream" } th.govuk-table__header.govuk-table__header--numeric scope="col" { "Balance" } } }
                tbody.govuk-table__body { @for (stream, pence) in &by_stream { tr.govuk-table__row { td.govuk-table__cell { (stream) } td.govuk-table__cell.govuk-table__cell--numeric { (pounds(*pence)) } } } }
            } }
            div.app-table-wrap role="region" aria-label="Balances by organisation" tabindex="0" { table.govuk-table.govuk-table--small-text-until-tablet {
                caption.govuk-table__caption.govuk-table__caption--m { "Balances by organisation" }
                thead.govuk-table__head { tr.govuk-table__row { th.govuk-table__header scope="col" { "Organisation" } th.govuk-table__header.govuk-table__header--numeric scope="col" { "Balance" } } }
                tbody.govuk-table__body { @for (owner, pence) in &by_owner { tr.govuk-table__row { td.govuk-table__cell { (owner) } td.govuk-table__cell.govuk-table__cell--numeric { (pounds(*pence)) } } } }
            } }
            div.app-table-wrap role="region" aria-label="Organisations' and pools' accounts" tabindex="0" { table.govuk-table.govuk-table--small-text-until-tablet {
                caption.govuk-table__caption.govuk-table__caption--m { "Organisations' and pools' accounts" }
                thead.govuk-table__head { tr.govuk-table__row { th.govuk-table__header scope="col" { "Account" } th.govuk-table__header.govuk-table__header--numeric scope="col" { "Balance" } } }
                tbody.govuk-table__body {
                    @for ((code, name), pence) in &accounts {
                        tr.govuk-table__row { td.govuk-table__cell { a.govuk-link href={ "/finance/accounts/" (code) } { (name) " (" (code) ")" } } td.govuk-table__cell.govuk-table__cell--numeric { (pounds(*pence)) } }
                    }
                }
            } }
        },
    )
}

/// `GET /finance/accounts/{code}`'s query: the period, the page, and `format=csv` for the
/// period's every line as a CSV file. Unknown parameters are ignored.
#[derive(Debug, Default, serde::Deserialize)]
pub struct AccountQuery {
    #[serde(flatten)]
    pub period: PeriodQuery,
    #[serde(default)]
    pub page: Option<String>,
    #[serde(default)]
    pub format: Option<String>,
}

/// How many lines a page of an account's statement shows.
const STATEMENT_PAGE_LINES: usize = 50;

/// `GET /finance/accounts/{code}`: an account's statement over a period (all of it by
/// default), newest first, fifty lines a page, with its opening and closing balances; for a
/// person's account, whose it is. `?format=csv` downloads the period's every line.
pub async fn account(
    State(state): State<AppState>,
    caller: Caller,
    PagePath(code): PagePath<String>,
    PageQuery(query): PageQuery<AccountQuery>,
) -> PageResult {
    let Ok(account) = AccountCode::parse("code", &code) else {
        return Err(PageError::NotFound(format!(
            "There is no account {}.",
            crate::pages::status::short(&code)
        )));
    };
    crate::people::authorize_account(&state, &caller, &account).await?;
    let Some(principal) = caller.principal.clone() else { return Err(PageError::NotSignedIn) };
    let page: usize = match query.page.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        None => 1,
        Some(text) => match text.parse::<usize>() {
            Ok(n) if n >= 1 => n,
            _ => {
                return Err(PageError::BadRequest(
                    "There is no such page of this statement.".into(),
                ));
            }
        },
    };
    let csv = match query.format.as_deref() {
        None | Some("" | "html") => false,
        Some("csv") => true,
        Some(_) => {
            return Err(PageError::BadRequest(
                "A statement can be shown as a page, or downloaded with format=csv.".into(),
            ));
        }
    };
    let period = query.period.optional_period();
    let (from, to) = period.as_ref().ok().copied().unwrap_or((None, None));
    let statement = state.run(move |store| store.statement(&account, from, to)).await?;
    let owner_code = statement.account.owner().id_str().to_owned();
    let (owner, organisation) = match statement.account.owner() {
        onebudget_core::ledger::Owner::Person(_) => {
            (state.run(move |store| store.person(&owner_code)).await?, None)
        }
        onebudget_core::ledger::Owner::Organisation(_) => {
            let organisations = state.run(|store| store.organisations()).await?;
            (None, organisations.into_iter().find(|o| o.code == owner_code).map(|o| o.name))
        }
    };
    if csv && period.is_ok() {
        return Ok(statement_csv(&statement));
    }
    let errors = period.as_ref().err().cloned().unwrap_or_default();
    let lines = statement.lines.len();
    let pages = lines.div_ceil(STATEMENT_PAGE_LINES).max(1);
    if page > pages {
        return Err(PageError::BadRequest(format!(
            "This statement has {pages} page{}.",
            if pages == 1 { "" } else { "s" }
        )));
    }
    let newest_first: Vec<&StatementLine> = statement
        .lines
        .iter()
        .rev()
        .skip((page - 1) * STATEMENT_PAGE_LINES)
        .take(STATEMENT_PAGE_LINES)
        .collect();
    let base = format!("/finance/accounts/{}", statement.account.code().as_str());
    let range_query = {
        let mut q = Vec::new();
        if let Some(from) = from {
            q.push(format!("from={from}"));
        }
        if let Some(to) = to {
            q.push(format!("to={to}"));
        }
        q.join("&")
    };
    let page_href = |n: u64| {
        let mut href = format!("{base}?page={n}");
        if !range_query.is_empty() {
            href.push('&');
            href.push_str(&range_query);
        }
        href
    };
    let csv_href = if range_query.is_empty() {
        format!("{base}?format=csv")
    } else {
        format!("{base}?format=csv&{range_query}")
    };
    let title = format!("Statement: {}", statement.account.name());
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    render_with(
        &caller,
        &principal,
        status,
        &title,
        Some(crate::pages::components::breadcrumbs(&[("The ledger", "/finance")])),
        html! {
            (error_summary(&errors))
            h1.govuk-heading-l { (title) }
            (crate::pages::components::summary_list([
                ("Account", html! { (statement.account.code().as_str()) }),
                ("Held for", match &owner {
                    Some(person) => html! { a.govuk-link href={ "/people/" (person.code) } { (person.given_name) " " (person.family_name) } " (" (person.code) ")" },
                    None => html! { (organisation.as_deref().unwrap_or(statement.account.owner().id_str())) },
                }),
                ("Period", html! {
                    (from.map_or_else(|| "From the first transfer".to_owned(), |d| format!("From {}", d.format("%-d %B %Y"))))
                    " "
                    (to.map_or_else(|| "to the latest".to_owned(), |d| format!("to {}", d.format("%-d %B %Y"))))
                }),
                ("Opening balance", html! { (statement.opening_balance) }),
                ("Money in", html! { (statement.money_in) }),
                ("Money out", html! { (statement.money_out) }),
                ("Closing balance", html! { strong { (statement.closing_balance) } }),
            ]))
            form method="get" action=(base) novalidate {
                (query.period.render(None, &errors))
                div.govuk-button-group {
                    button.govuk-button.govuk-button--secondary type="submit" { "Show this period" }
                    a.govuk-link href=(base) { "Show every line" }
                }
            }
            p.govuk-body { a.govuk-link href=(csv_href) download="statement.csv" { "Download the period's " (lines) " lines (CSV)" } }
            (statement_table(&format!("Lines {} to {} of {}, newest first", ((page - 1) * STATEMENT_PAGE_LINES + 1).min(lines), ((page - 1) * STATEMENT_PAGE_LINES + newest_first.len()), lines), newest_first.into_iter()))
            (crate::pages::components::pagination(page as u64, pages as u64, page_href))
        },
    )
}

/// A statement's every line as CSV, oldest first.
fn statement_csv(statement: &onebudget_store::Statement) -> Response {
    use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
    let mut csv =
        String::from("date,what,counterparty,stream,reason,money in,money out,balance,key\r\n");
    for line in &statement.lines {
        let fields = [
            line.effective_date.to_string(),
            line.memo.clone(),
            line.counterparty.clone(),
            line.stream.clone(),
            line.reason.clone(),
            line.money_in.to_plain_string(),
            line.money_out.to_plain_string(),
            line.balance.to_plain_string(),
            line.idempotency_key.clone(),
        ];
        let row: Vec<String> = fields.iter().map(|f| crate::pages::csv_field(f)).collect();
        csv.push_str(&row.join(","));
        csv.push_str("\r\n");
    }
    let disposition = format!("attachment; filename=\"{}.csv\"", statement.account.code().as_str());
    (
        [
            (CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8")),
            (CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (
                CONTENT_DISPOSITION,
                HeaderValue::from_str(&disposition)
                    .unwrap_or_else(|_| HeaderValue::from_static("attachment")),
            ),
        ],
        csv,
    )
        .into_response()
}

/// `GET /spending`'s query: the period (see [`PeriodQuery`]); anything else is ignored.
#[derive(Debug, Default, serde::Deserialize)]
pub struct SpendingPageQuery {
    #[serde(flatten)]
    pub period: PeriodQuery,
}

/// `GET /spending`: whole-system spend by month (a chart), stream and organisation, over a
/// period chosen with two date inputs (by default the latest two financial years with
/// spending). A period that cannot be read is shown as the form's errors, with no figures.
pub async fn spending(
    State(state): State<AppState>,
    caller: Caller,
    PageQuery(query): PageQuery<SpendingPageQuery>,
) -> PageResult {
    let principal = caller.authorize(&state, Action::ReadAggregates, "/spending").await?;
    let latest = state.run(|store| store.latest_effective_date()).await?;
    let default = default_spend_period(latest, crate::clock::today());
    let period = query.period.period(default);
    let (rows, streams, organisations) = match period {
        Ok((from, to)) => {
            state
                .run(move |store| {
                    Ok::<_, onebudget_store::StoreError>((
                        store.spend_by_month(from, to)?,
                        store.streams()?,
                        store.organisations()?,
                    ))
                })
                .await?
        }
        Err(_) => (Vec::new(), Vec::new(), Vec::new()),
    };
    let stream_name = |code: &str| {
        streams
            .iter()
            .find(|s| s.code().as_str() == code)
            .map_or_else(|| code.to_owned(), |s| s.name().to_owned())
    };
    let organisation_name = |code: &str| {
        organisations
            .iter()
            .find(|o| o.code == code)
            .map_or_else(|| code.to_owned(), |o| o.name.clone())
    };
    let mut by_month: BTreeMap<&str, i64> = BTreeMap::new();
    let mut by_stream: BTreeMap<String, i64> = BTreeMap::new();
    let mut by_organisation: BTreeMap<String, i64> = BTreeMap::new();
    for row in &rows {
        *by_month.entry(&row.month).or_default() += row.amount_pence;
        *by_stream.entry(stream_name(&row.stream)).or_default() += row.amount_pence;
        *by_organisation.entry(organisation_name(&row.organisation)).or_default() +=
            row.amount_pence;
    }
    let years: Vec<onebudget_core::pool::FinancialYear> = {
        let last = onebudget_core::pool::FinancialYear::containing(default.1);
        let mut years: Vec<_> = std::iter::successors(last, |y| y.previous()).take(3).collect();
        years.reverse();
        years
    };
    let (status, errors) = match &period {
        Ok(_) => (StatusCode::OK, FieldErrors::new()),
        Err(errors) => (StatusCode::BAD_REQUEST, errors.clone()),
    };
    let shown = period.as_ref().ok().copied();
    crate::pages::render_with(
        &caller,
        &principal,
        status,
        "Spending across the system",
        None,
        html! {
            (error_summary(&errors))
            h1.govuk-heading-l { "Spending across the system" }
            @if let Some((from, to)) = shown {
                p.govuk-body { "Money paid out by the ICB, the council and the pooled funds from " (from.format("%-d %B %Y")) " to " (to.format("%-d %B %Y")) ". No figure here identifies a person." }
            }
            form.govuk-form-group method="get" action="/spending" novalidate {
                (query.period.render(shown, &errors))
                button.govuk-button.govuk-button--secondary type="submit" { "Show spending" }
            }
            p.govuk-body {
                "Or show a financial year: "
                @for (i, year) in years.iter().enumerate() {
                    @if i > 0 { ", " }
                    a.govuk-link href={ "/spending?from=" (year.first_day()) "&to=" (year.last_day()) } { (year.label()) }
                }
                "."
            }
            p.govuk-body { a.govuk-link href="/pools" { "Pooled budgets: monitoring and year-end settlement" } }
            p.govuk-body { a.govuk-link href="/budgets/funders" { "Each funder's share of personal budgets" } }
            @if shown.is_some() {
                (month_chart(&by_month))
                div.app-table-wrap role="region" aria-label="Spending by month" tabindex="0" { table.govuk-table.govuk-table--small-text-until-tablet {
                    caption.govuk-table__caption.govuk-table__caption--m { "Spending by month" }
                    thead.govuk-table__head { tr.govuk-table__row { th.govuk-table__header scope="col" { "Month" } th.govuk-table__header.govuk-table__header--numeric scope="col" { "Spent" } } }
                    tbody.govuk-table__body { @for (month, pence) in &by_month { tr.govuk-table__row { td.govuk-table__cell { (month) } td.govuk-table__cell.govuk-table__cell--numeric { (pounds(*pence)) } } } }
                } }
                (totals_table("Spending by funding stream", "Stream", &by_stream))
                (totals_table("Spending by paying organisation", "Organisation", &by_organisation))
                (stream_month_note(&rows))
            }
        },
    )
}

fn totals_table(caption: &str, heading: &str, totals: &BTreeMap<String, i64>) -> Markup {
    html! {
        div.app-table-wrap role="region" aria-label=(caption) tabindex="0" { table.govuk-table.govuk-table--small-text-until-tablet {
            caption.govuk-table__caption.govuk-table__caption--m { (caption) }
            thead.govuk-table__head { tr.govuk-table__row { th.govuk-table__header scope="col" { (heading) } th.govuk-table__header.govuk-table__header--numeric scope="col" { "Spent" } } }
            tbody.govuk-table__body { @for (key, pence) in totals { tr.govuk-table__row { td.govuk-table__cell { (key) } td.govuk-table__cell.govuk-table__cell--numeric { (pounds(*pence)) } } } }
        } }
    }
}

fn stream_month_note(rows: &[SpendRow]) -> Markup {
    html! { p.govuk-hint { (rows.len()) " month, stream and organisation figures; the same figures are at " code { "/api/reports/spend" } "." } }
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
        figure.app-chart__figure {
            svg.app-chart role="img" aria-labelledby="chart-title" width=(width) height=(height + 60)
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
            figcaption.govuk-body-s { "Bars show the total paid out each month; the months are labelled every quarter." }
        }
    }
}
