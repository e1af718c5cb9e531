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
use onebudget_core::budget::plan::{Component, Status};
use onebudget_core::ledger::{Account, AccountCode};
use onebudget_store::{
    BudgetSummary, PersonPage, PersonRecord, RecentLines, SpendRow, StatementLine,
};

use crate::auth::{Caller, Denied};
use crate::error::ApiError;
use crate::extract::{PagePath, PageQuery};
use crate::pages::budgets::{funder_words, sentence, status_words, stream_name};
use crate::pages::charts;
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
    let organisations = state.run(|store| store.organisations()).await?;
    let names = Names { scheme: state.scheme().ok(), organisations: &organisations };
    render(
        &caller,
        &principal,
        "Your budget",
        html! {
            h1.govuk-heading-l { "Your budget" }
            (person_summary_named(&names, &person, found.budget.as_ref()))
            p.govuk-body { a.govuk-link href="/my-budget/who-has-looked" { "See who has looked at your record" } }
            (own_accounts_markup(&names, &person.code, &found.accounts))
        },
    )
}

/// What a person reading their own record needs to turn codes into names: the budget
/// scheme (streams' names and funders) and the organisations (funders' and providers'
/// names).
struct Names<'a> {
    scheme: Option<&'a Scheme>,
    organisations: &'a [onebudget_store::OrganisationRecord],
}

impl Names<'_> {
    fn stream(&self, code: &str) -> String {
        self.scheme
            .and_then(|s| s.stream(code))
            .map_or_else(|| "Your budget".to_owned(), |s| s.name.clone())
    }

    /// An organisation's name; one that is not known is "the council" or "the NHS" by its
    /// code's kind, never the code.
    fn organisation(&self, code: &str) -> String {
        match self.organisations.iter().find(|o| o.code == code) {
            Some(o) => o.name.clone(),
            None => sentence(&funder_words(code)),
        }
    }

    /// Who funds stream `code`, by name.
    fn funder_of(&self, stream: &str) -> Option<String> {
        self.scheme.and_then(|s| s.stream(stream)).map(|s| self.organisation(&s.funder))
    }
}

/// The person's details, with their funders named as organisations (for the person
/// themselves, who knows the council and the NHS body, not their codes).
fn person_summary_named(
    names: &Names<'_>,
    person: &PersonRecord,
    budget: Option<&BudgetSummary>,
) -> Markup {
    let funders = budget.map(|b| {
        let mut funders: Vec<String> = Vec::new();
        for c in &b.components {
            let name = names.organisation(&c.funder);
            if !funders.contains(&name) {
                funders.push(name);
            }
        }
        funders
    });
    html! {
        dl.govuk-summary-list {
            div.govuk-summary-list__row { dt.govuk-summary-list__key { "Name" } dd.govuk-summary-list__value { (person.given_name) " " (person.family_name) } }
            div.govuk-summary-list__row { dt.govuk-summary-list__key { "NHS number" } dd.govuk-summary-list__value { (crate::pages::nhs_spaced(&person.nhs_number)) } }
            div.govuk-summary-list__row { dt.govuk-summary-list__key { "Date of birth" } dd.govuk-summary-list__value { (person.birth_date.format("%-d %B %Y")) } }
            div.govuk-summary-list__row { dt.govuk-summary-list__key { "Where you get care" } dd.govuk-summary-list__value { (if person.setting == "care_home" { "In a care home" } else { "At home" }) } }
            div.govuk-summary-list__row {
                dt.govuk-summary-list__key { "Paid for by" }
                dd.govuk-summary-list__value {
                    @match &funders {
                        Some(funders) if funders.len() > 1 => { ul.govuk-list { @for f in funders { li { (f) } } } }
                        Some(funders) => { @for f in funders { (f) } }
                        None => { (if person.funding == "continuing_healthcare" { "NHS continuing healthcare (free)" } else { "Adult social care (means-tested)" }) }
                    }
                }
            }
            div.govuk-summary-list__row {
                dt.govuk-summary-list__key { "Your personal budget" }
                dd.govuk-summary-list__value {
                    @match budget {
                        Some(b) => {
                            (b.weekly_budget) " a week"
                            @if b.status != Status::Active { " (" (status_words(b.status).to_lowercase()) ")" }
                            ", from " (b.effective_from.format("%-d %B %Y"))
                            ul.govuk-list.govuk-list--bullet {
                                @for c in &b.components {
                                    li { (names.stream(&c.stream)) ": " (c.agreed) " a week, " (c.mode.words()) }
                                }
                            }
                            a.govuk-link href="/my-budget/budget" { "Who pays for each part of your budget" }
                        }
                        None => { "No personal budget" }
                    }
                }
            }
        }
    }
}

/// Dates written inside ledger memos (`2026-03-09`) as people write them (`9 March 2026`).
pub(crate) fn dates_in_words(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(|c: char| c.is_ascii_digit()) {
        let (before, from) = rest.split_at(at);
        out.push_str(before);
        let date =
            from.get(..10).and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
        match date {
            Some(date) if from.get(4..5) == Some("-") => {
                out.push_str(&date.format("%-d %B %Y").to_string());
                rest = from.get(10..).unwrap_or_default();
            }
            _ => {
                let digits = from.find(|c: char| !c.is_ascii_digit()).unwrap_or(from.len());
                out.push_str(from.get(..digits).unwrap_or_default());
                rest = from.get(digits..).unwrap_or_default();
            }
        }
    }
    out.push_str(rest);
    out
}

/// The person's own accounts, in their words: each part of their budget held for them by
/// its funder, and their direct-payment account. Money paid to them is money in, never
/// money out; no account, stream or funder code is shown.
fn own_accounts_markup(names: &Names<'_>, person: &str, accounts: &[RecentLines]) -> Markup {
    let direct_payment = format!("{person}-DP");
    html! {
        @for recent in accounts {
            @let code = recent.account.code().as_str();
            @if code == direct_payment {
                h2.govuk-heading-m { "Your direct-payment account" }
                p.govuk-body { "The money paid to you to buy your own support. In your account now: " strong { (recent.closing_balance) } }
                (own_lines_table(names, &recent.lines, true, "The latest payments to you and what you spent, newest first", ["Paid to you", "You spent", "In your account"]))
            } @else {
                @let stream = code.strip_prefix(person).and_then(|c| c.strip_prefix('-')).unwrap_or_default();
                @let name = names.stream(stream);
                @let funder = names.funder_of(stream);
                h2.govuk-heading-m { (name) }
                p.govuk-body {
                    @match &funder { Some(f) => { "Held for you by " (f) ": " } None => { "Held for you: " } }
                    strong { (recent.closing_balance) }
                }
                (own_lines_table(names, &recent.lines, false, &format!("The latest payments into your {name} budget and to you, newest first"), ["Paid into your budget", "Paid to you", "Held for you"]))
            }
        }
    }
}

/// One of the person's accounts as a table: date, what happened, money in, money out and
/// the balance, under the three money headings `money` for that kind of account.
fn own_lines_table(
    names: &Names<'_>,
    lines: &[StatementLine],
    direct_payment: bool,
    caption: &str,
    money: [&str; 3],
) -> Markup {
    html! {
        div.app-table-wrap role="region" aria-label=(caption) tabindex="0" { table.govuk-table.govuk-table--small-text-until-tablet {
            caption.govuk-table__caption.govuk-table__caption--m { (caption) }
            thead.govuk-table__head { tr.govuk-table__row {
                th.govuk-table__header scope="col" { "Date" } th.govuk-table__header scope="col" { "What happened" }
                @for heading in money { th.govuk-table__header.govuk-table__header--numeric scope="col" { (heading) } }
            } }
            tbody.govuk-table__body {
                @for line in lines {
                    tr.govuk-table__row {
                        td.govuk-table__cell { (line.effective_date.format("%-d %b %Y")) }
                        td.govuk-table__cell { (own_line_words(names, line, direct_payment)) }
                        td.govuk-table__cell.govuk-table__cell--numeric { @if line.money_in.is_positive() { (line.money_in) } }
                        td.govuk-table__cell.govuk-table__cell--numeric { @if line.money_out.is_positive() { (line.money_out) } }
                        td.govuk-table__cell.govuk-table__cell--numeric { (line.balance) }
                    }
                }
            }
        } }
    }
}

/// One line of the person's own account, in words, from its reason (never its code).
fn own_line_words(names: &Names<'_>, line: &StatementLine, direct_payment_account: bool) -> String {
    let funder = names.funder_of(&line.stream).unwrap_or_else(|| "Your funder".to_owned());
    match line.reason.as_str() {
        "allocation" => format!("{funder} paid this into your budget"),
        "direct_payment" if direct_payment_account => {
            format!("Paid to you from your {} budget", names.stream(&line.stream))
        }
        "direct_payment" => "Paid to you as a direct payment".to_owned(),
        "spend" => format!("You spent this: {}", dates_in_words(&line.memo)),
        "provider_payment" | "invoice" => {
            let provider = names
                .organisations
                .iter()
                .find(|o| o.code == line.counterparty)
                .map_or_else(|| "your provider".to_owned(), |o| o.name.clone());
            format!("Paid to {provider} for your support")
        }
        "recovery" => format!("Unspent money returned to {funder}"),
        _ => sentence(&dates_in_words(&line.memo)),
    }
}

/// `GET /my-budget/who-has-looked`'s query: `before`, the row to page back from.
#[derive(Debug, Default, serde::Deserialize)]
pub struct WhoHasLookedQuery {
    #[serde(default)]
    pub before: Option<String>,
}

/// How many looks a page of "who has looked" shows.
const LOOKS_PAGE_ROWS: usize = 25;

/// `GET /my-budget/who-has-looked`: every access to the citizen's record, newest first, a
/// page at a time: who looked (by name, or what kind of system), for which organisation,
/// why, and when in UK time; the person's own visits are marked "You".
pub async fn who_has_looked(
    State(state): State<AppState>,
    caller: Caller,
    PageQuery(query): PageQuery<WhoHasLookedQuery>,
) -> PageResult {
    let before_id = match query.before.as_deref().map(str::trim).filter(|b| !b.is_empty()) {
        None => None,
        Some(text) => match text.parse::<i64>() {
            Ok(id) if id > 0 => Some(id),
            _ => {
                return Err(PageError::BadRequest(
                    "There is no such page of the list of who has looked at your record.".into(),
                ));
            }
        },
    };
    let (principal, person) =
        own_record(&state, &caller, true, "/my-budget/who-has-looked").await?;
    let filter = onebudget_store::AuditFilter {
        person_code: Some(person.code.clone()),
        before_id,
        ..onebudget_store::AuditFilter::default()
    };
    let (mut rows, users, teams, organisations) = state
        .run(move |store| {
            Ok::<_, onebudget_store::StoreError>((
                store.audit_search(&filter, LOOKS_PAGE_ROWS + 1)?,
                store.users()?,
                store.teams()?,
                store.organisations()?,
            ))
        })
        .await?;
    let more = rows.len() > LOOKS_PAGE_ROWS;
    rows.truncate(LOOKS_PAGE_ROWS);
    let people = Viewers { users: &users, teams: &teams, organisations: &organisations };
    let caption = if before_id.is_some() {
        "Earlier looks at your record, newest first"
    } else {
        "Looks at your record, newest first"
    };
    render(
        &caller,
        &principal,
        "Who has looked at your record",
        html! {
            h1.govuk-heading-l { "Who has looked at your record" }
            p.govuk-body { "Every time someone opens your record, or a computer system reads it, it is written down here: who it was and the organisation they work for, why, and when. Times are UK time." }
            p.govuk-body { "If you do not recognise something, contact " (people.council()) "'s data protection officer." }
            div.app-table-wrap role="region" aria-label=(caption) tabindex="0" { table.govuk-table.govuk-table--small-text-until-tablet {
                caption.govuk-table__caption.govuk-table__caption--m { (caption) }
                thead.govuk-table__head { tr.govuk-table__row {
                    th.govuk-table__header scope="col" { "When" }
                    th.govuk-table__header scope="col" { "Who" }
                    th.govuk-table__header scope="col" { "Why" }
                } }
                tbody.govuk-table__body {
                    @for row in &rows {
                        @let e = &row.entry;
                        @let own = e.actor_user_id == Some(principal.user_id);
                        tr.govuk-table__row {
                            td.govuk-table__cell { (crate::clock::london_time(&e.at)) }
                            td.govuk-table__cell {
                                @if own { strong.govuk-tag.govuk-tag--grey { "You" } } @else {
                                    (people.who(e))
                                    @let organisation = people.organisation(e);
                                    @if !organisation.is_empty() { br; span class="govuk-hint govuk-!-margin-bottom-0" { (organisation) } }
                                }
                            }
                            td.govuk-table__cell {
                                (look_purpose(e, own))
                                @if e.outcome == "refused" { br; span class="govuk-hint govuk-!-margin-bottom-0" { "They were not allowed to, and saw nothing." } }
                            }
                        }
                    }
                }
            } }
            @if rows.is_empty() { p.govuk-body { "Nobody has looked at your record yet." } }
            @if more || before_id.is_some() {
                nav.govuk-pagination.govuk-pagination--block aria-label="Pages" {
                    @if before_id.is_some() {
                        div.govuk-pagination__prev { a.govuk-link.govuk-pagination__link href="/my-budget/who-has-looked" rel="prev" { span.govuk-pagination__link-title { "Newest looks" } } }
                    }
                    @if let (true, Some(last)) = (more, rows.last()) {
                        div.govuk-pagination__next { a.govuk-link.govuk-pagination__link href={ "/my-budget/who-has-looked?before=" (last.id) } rel="next" { span.govuk-pagination__link-title { "Earlier looks" } } }
                    }
                }
            }
        },
    )
}

/// The users, teams and organisations, to name who looked at a record and whom they
/// work for.
struct Viewers<'a> {
    users: &'a [onebudget_store::UserRecord],
    teams: &'a [onebudget_store::TeamRecord],
    organisations: &'a [onebudget_store::OrganisationRecord],
}

impl Viewers<'_> {
    fn user(&self, entry: &onebudget_store::AuditEntry) -> Option<&onebudget_store::UserRecord> {
        self.users.iter().find(|u| Some(u.id) == entry.actor_user_id)
    }

    fn organisation_named(&self, code: &str) -> Option<&str> {
        self.organisations.iter().find(|o| o.code == code).map(|o| o.name.as_str())
    }

    /// The council's name (the organisation of kind `council`).
    fn council(&self) -> String {
        self.organisations
            .iter()
            .find(|o| o.kind == "council")
            .map_or_else(|| "the council".to_owned(), |o| o.name.clone())
    }

    /// Who looked: a person by their name; a computer system (a service account or a
    /// bearer token) by the role it acts in, since it has no name a person would know.
    fn who(&self, entry: &onebudget_store::AuditEntry) -> String {
        let role = entry.role.as_deref().and_then(|r| Role::parse(r).ok());
        let user = self.user(entry);
        let system = entry.via == "token" || user.is_some_and(|u| u.kind == "service");
        match (system, user, role) {
            (false, Some(u), _) => u.display_name.clone(),
            (true, _, Some(role)) => {
                format!("A computer system used by a {}", role.label().to_lowercase())
            }
            (true, _, None) => "A computer system".to_owned(),
            (false, None, Some(role)) => sentence(role.label()),
            (false, None, None) => "Someone not signed in".to_owned(),
        }
    }

    /// The organisation the viewer works for. Users record one only when it matters to
    /// what they may do (a finance officer's: which partner's settlement they confirm), so
    /// for the rest it is derived honestly from their role: a practitioner works in an
    /// integrated neighbourhood team (the council's and the NHS's staff together, so the
    /// team is named, not one of them); administrators, auditors and commissioners work
    /// for the council that runs this service.
    fn organisation(&self, entry: &onebudget_store::AuditEntry) -> String {
        let user = self.user(entry);
        if let Some(name) =
            user.and_then(|u| u.organisation.as_deref()).and_then(|o| self.organisation_named(o))
        {
            return name.to_owned();
        }
        let role = entry.role.as_deref().and_then(|r| Role::parse(r).ok());
        match role {
            Some(Role::Practitioner) => {
                let team = user
                    .and_then(|u| u.team.as_deref())
                    .and_then(|t| self.teams.iter().find(|team| team.code == t))
                    .map(|t| t.name.clone());
                match team {
                    Some(team) => format!("{team} (the council and the NHS together)"),
                    None => "An integrated care team (the council and the NHS together)".to_owned(),
                }
            }
            Some(Role::Citizen) | None => String::new(),
            Some(_) => self.council(),
        }
    }
}

/// Why someone looked, in words, from what they did and the page or route they did it on.
fn look_purpose(entry: &onebudget_store::AuditEntry, own: bool) -> &'static str {
    let target = entry.target.as_str();
    match entry.action.as_str() {
        "read_person" if own || target.starts_with("/my-budget") => {
            "To see your own budget and record"
        }
        "read_person"
            if target.starts_with("/finance")
                || target.starts_with("/budgets/payments")
                || target.starts_with("/api/accounts")
                || target.starts_with("/api/ledger") =>
        {
            "To check the payments of your budget"
        }
        "read_person" if target.contains("/budget") || target.starts_with("/api/budgets") => {
            "To review your budget"
        }
        "read_person" => "To look at your record",
        "read_person_access_log" if own => "To see who has looked at your record",
        "read_person_access_log" => "To check who has looked at your record",
        "read_own_record" => "To see your own record",
        "plan_budget" => "To assess your needs or plan your budget",
        "record_spending" => "To record what your direct payment was spent on",
        "pay_budgets" => "To pay your budget",
        "decide_recovery" => "To review how your direct payment was spent",
        "assess" => "To work out what you might pay",
        "record_assessment" => "To record your financial assessment",
        "list_caseload" | "list_all_people" => "To see the people their team supports",
        "read_ledger" | "write_ledger" => "To check the payments of your budget",
        "read_audit_log" | "export_audit" => "To audit who has looked at records",
        _ => "To look at your record",
    }
}

/// `GET /people/{code}`'s query: `caseload`, the caseload's filters the person was opened
/// from, so the breadcrumb goes back to the same list (read again by the caseload's own
/// rules; anything else is ignored).
#[derive(Debug, Default, serde::Deserialize)]
pub struct PersonQuery {
    #[serde(default)]
    pub caseload: Option<String>,
}

/// `GET /people/{code}`: one person's record.
pub async fn person(
    State(state): State<AppState>,
    caller: Caller,
    PagePath(code): PagePath<String>,
    PageQuery(query): PageQuery<PersonQuery>,
) -> PageResult {
    let target = format!("/people/{code}");
    let (principal, person, found) =
        person_with_recent_lines(&state, &caller, &code, PERSON_PAGE_LINES, &target).await?;
    let statements = &found.accounts;
    let wanted = person.code.clone();
    let assessments = state.run(move |store| store.assessments_for(&wanted)).await?;
    let title = format!("{} {}", person.given_name, person.family_name);
    let back = crate::pages::caseload::back_to_caseload(query.caseload.as_deref());
    render_with(
        &caller,
        &principal,
        StatusCode::OK,
        &title,
        Some(crate::pages::components::breadcrumbs(&[("Caseload", &back)])),
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
                    thead.govuk-table__head { tr.govuk-table__row { th.govuk-table__header scope="col" { "Recorded (UK time)" } th.govuk-table__header scope="col" { "By" } th.govuk-table__header scope="col" { "Rules of" } th.govuk-table__header.govuk-table__header--numeric scope="col" { "A week" } } }
                    tbody.govuk-table__body {
                        @for a in &assessments {
                            tr.govuk-table__row {
                                td.govuk-table__cell { a.govuk-link href={ "/people/" (person.code) "/assessments/" (a.id) } { (crate::clock::london_time(&a.recorded_at)) span.govuk-visually-hidden { ": how the charge was worked out" } } }
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
                thead.govuk-table__head { tr.govuk-table__row {  th.govuk-table__header.govuk-table__header--numeric scope="col" { "Balance" } } }
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
    let mut by_stream: BTreeMap<String, i64> = BTreeMap::new();
    let mut by_organisation: BTreeMap<String, i64> = BTreeMap::new();
    for row in &rows {
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
    let chart = match shown {
        Some((from, to)) => Some(spend_by_funder(&rows, from, to, organisation_name)?),
        None => None,
    };
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
            form method="get" action="/spending" novalidate {
                (query.period.render(shown, &errors))
                button.govuk-button type="submit" { "Show spending" }
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
                @if let Some(chart) = &chart { (chart) }
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

/// Every `YYYY-MM` from `from`'s month to `to`'s, so a month with no spending is a gap
/// in the chart, not a month left out.
fn months_between(from: chrono::NaiveDate, to: chrono::NaiveDate) -> Vec<String> {
    use chrono::Datelike;
    let (mut year, mut month) = (from.year(), from.month());
    let mut months = Vec::new();
    while (year, month) <= (to.year(), to.month()) {
        months.push(format!("{year:04}-{month:02}"));
        (year, month) = if month == 12 { (year + 1, 1) } else { (year, month + 1) };
    }
    months
}

/// Spending by month split by the paying organisation: a stacked bar chart with the
/// least-squares trend of the monthly totals, and the table of every figure under it.
fn spend_by_funder(
    rows: &[SpendRow],
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
    organisation_name: impl Fn(&str) -> String,
) -> Result<Markup, PageError> {
    let too_large = || {
        PageError::from(ApiError::Internal("a month's spending is too large to add up".to_owned()))
    };
    let months = months_between(from, to);
    let mut funders: BTreeMap<String, BTreeMap<&str, Money>> = BTreeMap::new();
    let mut totals: BTreeMap<&str, Money> = BTreeMap::new();
    for row in rows {
        let amount = Money::from_pence(row.amount_pence);
        let cell = funders
            .entry(organisation_name(&row.organisation))
            .or_default()
            .entry(&row.month)
            .or_default();
        *cell = cell.checked_add(amount).map_err(|_| too_large())?;
        let total = totals.entry(&row.month).or_default();
        *total = total.checked_add(amount).map_err(|_| too_large())?;
    }
    let series: Vec<charts::Series> = funders
        .iter()
        .map(|(name, by_month)| charts::Series {
            name: name.clone(),
            values: months
                .iter()
                .map(|m| Some(by_month.get(m.as_str()).map_or(0, |v| v.pence())))
                .collect(),
        })
        .collect();
    let largest = totals.iter().max_by_key(|(_, v)| v.pence());
    let chart = charts::Chart {
        id: "spend-chart".to_owned(),
        title: "Spending by month, by paying organisation".to_owned(),
        desc: match largest {
            Some((month, total)) => format!(
                "Stacked bars for {} months from {} to {}, one colour for each of {} paying organisations, with a dashed trend line. The largest monthly total is {} in {}. The table below gives every figure.",
                months.len(),
                months.first().map_or(String::new(), |m| charts::short_month(m)),
                months.last().map_or(String::new(), |m| charts::short_month(m)),
                funders.len(),
                total,
                charts::short_month(month),
            ),
            None => "No spending in this period.".to_owned(),
        },
        kind: charts::Kind::StackedBars { trend: true },
        categories: months.iter().map(|m| charts::short_month(m)).collect(),
        series,
    };
    Ok(html! {
        figure.app-chart__figure {
            (chart.render())
            figcaption.govuk-body-s { "Each bar is a month's spending, split by the organisation that paid: the legend's order, left to right, is the bars' order from the bottom up. The dashed line is the least-squares straight line through the monthly totals (the trend), up to the last month with spending. The table below gives every figure." }
        }
        div.app-table-wrap role="region" aria-label="Spending by month and paying organisation" tabindex="0" { table.govuk-table.govuk-table--small-text-until-tablet {
            caption.govuk-table__caption.govuk-table__caption--m { "Spending by month and paying organisation" }
            thead.govuk-table__head { tr.govuk-table__row {
                th.govuk-table__header scope="col" { "Month" }
                @for name in funders.keys() { th.govuk-table__header.govuk-table__header--numeric scope="col" { (name) } }
                th.govuk-table__header.govuk-table__header--numeric scope="col" { "Total" }
            } }
            tbody.govuk-table__body { @for month in &months { tr.govuk-table__row {
                th.govuk-table__header.app-chart-table__month scope="row" { (charts::short_month(month)) }
                @for by_month in funders.values() { td.govuk-table__cell.govuk-table__cell--numeric { (by_month.get(month.as_str()).copied().unwrap_or_default()) } }
                td.govuk-table__cell.govuk-table__cell--numeric { (totals.get(month.as_str()).copied().unwrap_or_default()) }
            } } }
        } }
    })
}
