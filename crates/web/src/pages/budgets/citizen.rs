//! The person's own pages below `/my-budget`: their budget (who funds what, what they pay),
//! their plan, and their one statement across every stream: a page, a printable page
//! (`?print=1`) and a CSV download, in plain English.

use super::*;
use onebudget_store::StatementEntry;

// ---------------------------------------------------------------------------------------
// The person's own pages

/// `GET /my-budget/budget`: the person's budget: its parts, who funds each, what they pay.
pub async fn my_budget(State(state): State<AppState>, caller: Caller) -> PageResult {
    let (principal, _person, version) =
        own_person_and_budget(&state, &caller, "/my-budget/budget").await?;
    let scheme = scheme(&state).map_err(PageError::from)?;
    let organisations = state.run(|store| store.organisations()).await?;
    let council = organisations
        .iter()
        .find(|o| o.kind == "council")
        .map_or_else(|| "the council".to_owned(), |o| o.name.clone());
    let main = html! {
        h1.govuk-heading-l { "Your personal budget" }
        @match &version {
            None => { p.govuk-body { "You have no personal budget yet. Your practitioner makes one with you after your needs assessment." } }
            Some(v) => {
                @let d = &v.decision;
                p.govuk-body-l { "Your budget is " strong { (d.budget) " a week" } ". It is " (status_words(v.status).to_lowercase()) ", from " (long_date(v.effective_from)) "." }
                dl.govuk-summary-list {
                    div.govuk-summary-list__row { dt.govuk-summary-list__key { "Your budget a week" } dd.govuk-summary-list__value { (d.budget) } }
                    div.govuk-summary-list__row { dt.govuk-summary-list__key { "You pay a week" } dd.govuk-summary-list__value { (d.weekly_contribution) } }
                    div.govuk-summary-list__row { dt.govuk-summary-list__key { "Your support plan costs a week" } dd.govuk-summary-list__value { (d.plan_cost) } }
                }
                @if d.weekly_contribution.is_positive() {
                    p.govuk-body { "You pay " (d.weekly_contribution) " a week towards the part of your budget that " (council) " pays for, as your financial assessment worked out." }
                } @else {
                    p.govuk-body { "You pay nothing towards your budget." }
                }
                @if d.components.iter().any(|c| c.charging == Charging::Free) {
                    p.govuk-body { strong { "The NHS part of your budget is free." } " You never pay towards it." }
                }
                div.app-table-wrap role="region" aria-label="Who pays for each part of your budget, each week" tabindex="0" { table.govuk-table.govuk-table--small-text-until-tablet {
                    caption.govuk-table__caption.govuk-table__caption--m { "Who pays for each part of your budget, each week" }
                    thead.govuk-table__head { tr.govuk-table__row {
                        th.govuk-table__header scope="col" { "Part of your budget" } th.govuk-table__header scope="col" { "Paid by" } th.govuk-table__header scope="col" { "How you get it" }
                        th.govuk-table__header.govuk-table__header--numeric scope="col" { "A week" } th.govuk-table__header.govuk-table__header--numeric scope="col" { "You pay" }
                    } }
                    tbody.govuk-table__body {
                        @for c in &d.components {
                            tr.govuk-table__row {
                                th.govuk-table__header scope="row" { (stream_name(&scheme, &c.stream)) }
                                td.govuk-table__cell { (funder_name(&organisations, &c.funder)) @if c.charging == Charging::Free { " (free to you)" } }
                                td.govuk-table__cell { (sentence(c.mode.words())) @if let Some(p) = &c.provider { ", " (p) } }
                                td.govuk-table__cell.govuk-table__cell--numeric {
                                    (c.agreed)
                                    // A budget pays what its plan uses of each part.
                                    @if c.allocated < c.agreed { br; span class="govuk-hint govuk-!-margin-bottom-0" { "Your plan uses " (c.allocated) " of it, so that is what is paid" } }
                                }
                                td.govuk-table__cell.govuk-table__cell--numeric { (c.person_pays) }
                            }
                        }
                    }
                } }
            }
        }
    };
    render(&caller, &principal, "Your personal budget", main)
}

/// `GET /my-budget/plan`: the person's support plan: each line and who pays for it.
pub async fn my_plan(State(state): State<AppState>, caller: Caller) -> PageResult {
    let (principal, _person, version) =
        own_person_and_budget(&state, &caller, "/my-budget/plan").await?;
    let scheme = scheme(&state).map_err(PageError::from)?;
    let main = html! {
        h1.govuk-heading-l { "Your support plan" }
        @match &version {
            None => { p.govuk-body { "You have no support plan yet." } }
            Some(v) => {
                p.govuk-body { "What your budget pays for, and the outcome each part of your support is for." }
                (lines_markup(&scheme, &v.decision))
                @if v.decision.unfunded.is_positive() {
                    (warning_text(html! { "Part of your plan, " (v.decision.unfunded) " a week, is not paid for by your budget yet. Talk to your practitioner about it." }))
                }
            }
        }
    };
    render(&caller, &principal, "Your support plan", main)
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatementQuery {
    /// `1` for the printable layout.
    pub print: Option<String>,
}

async fn statement_of(state: &AppState, code: &str) -> Result<PersonStatement, ApiError> {
    let scheme = scheme(state)?;
    let code = code.to_owned();
    let outcome = state
        .run(move |store| {
            Ok::<_, ApiError>(store.person_statement(&scheme, &code, None, None, today()))
        })
        .await?;
    outcome.map_err(|e| match e {
        BudgetStoreError::Store(e) => ApiError::Store(e),
        other => ApiError::Internal(other.to_string()),
    })
}

/// `GET /my-budget/statement`: the person's one statement, as a page or printable.
pub async fn my_statement(
    State(state): State<AppState>,
    caller: Caller,
    PageQuery(query): PageQuery<StatementQuery>,
) -> PageResult {
    let (principal, person) = own_person(&state, &caller, "/my-budget/statement").await?;
    let statement = statement_of(&state, &person.code).await?;
    let print = query.print.as_deref() == Some("1");
    let title = "Your statement";
    let body = html! {
        h1.govuk-heading-l { (title) }
        p.govuk-body-l { (full_name(&person)) ", as at " (long_date(today())) "." }
        @if !print {
                ul.govuk-list.govuk-list--bullet {
                li { a.govuk-link href="/my-budget/statement?print=1" { "Printable version" } }
                li { a.govuk-link href="/my-budget/statement.csv" download="statement.csv" { "Download your statement (CSV)" } }
            }
        }
        (statement_markup(&statement))
    };
    if print { Ok(print_document(title, body)) } else { render(&caller, &principal, title, body) }
}

fn statement_markup(statement: &PersonStatement) -> Markup {
    html! {
        h2.govuk-heading-m { "In short" }
        ul.govuk-list.govuk-list--bullet { @for line in &statement.summary { li { (line) } } }
        @if !statement.streams.is_empty() {
            div.app-table-wrap role="region" aria-label="Each part of your budget so far" tabindex="0" { table.govuk-table.govuk-table--small-text-until-tablet {
                caption.govuk-table__caption.govuk-table__caption--m { "Each part of your budget so far" }
                thead.govuk-table__head { tr.govuk-table__row {
                    th.govuk-table__header scope="col" { "Part" } th.govuk-table__header.govuk-table__header--numeric scope="col" { "Paid in" } th.govuk-table__header.govuk-table__header--numeric scope="col" { "Paid to you" }
                    th.govuk-table__header.govuk-table__header--numeric scope="col" { "You spent" } th.govuk-table__header.govuk-table__header--numeric scope="col" { "Paid to providers" } th.govuk-table__header.govuk-table__header--numeric scope="col" { "Returned" }
                    th.govuk-table__header.govuk-table__header--numeric scope="col" { "Held for you" }
                } }
                tbody.govuk-table__body {
                    @for s in &statement.streams {
                        tr.govuk-table__row {
                            th.govuk-table__header scope="row" { (s.name) }
                            td.govuk-table__cell.govuk-table__cell--numeric { (s.paid_in) }
                            td.govuk-table__cell.govuk-table__cell--numeric { (s.paid_to_you) }
                            td.govuk-table__cell.govuk-table__cell--numeric { (s.spent_by_you) }
                            td.govuk-table__cell.govuk-table__cell--numeric { (s.paid_to_providers) }
                            td.govuk-table__cell.govuk-table__cell--numeric { (s.returned) }
                            td.govuk-table__cell.govuk-table__cell--numeric { (s.held_by_funder.checked_add(s.held_by_you).unwrap_or(s.held_by_you)) }
                        }
                    }
                }
            } }
        }
        h2.govuk-heading-m { "What happened, in date order" }
        @if statement.entries.is_empty() {
            p.govuk-body { "Nothing has been paid in or out yet." }
        } @else {
            p.govuk-body { "Money paid into your budget is held for you by the organisation that pays for that part. Money paid to you goes into your direct-payment account, for you to spend on your support." }
            div.app-table-wrap role="region" aria-label="Every payment into your budget, to you and from it" tabindex="0" { table.govuk-table.govuk-table--small-text-until-tablet {
                caption.govuk-table__caption.govuk-table__caption--m { "Every payment into your budget, to you and from it" }
                thead.govuk-table__head { tr.govuk-table__row {
                    th.govuk-table__header scope="col" { "Date" } th.govuk-table__header scope="col" { "Part" } th.govuk-table__header scope="col" { "What happened" }
                    th.govuk-table__header.govuk-table__header--numeric scope="col" { "Paid into your budget" }
                    th.govuk-table__header.govuk-table__header--numeric scope="col" { "Paid to you" }
                    th.govuk-table__header.govuk-table__header--numeric scope="col" { "Spent or paid out" }
                } }
                tbody.govuk-table__body {
                    @for e in &statement.entries {
                        @let [paid_in, paid_to_you, paid_out] = entry_columns(e);
                        tr.govuk-table__row {
                            td.govuk-table__cell { (e.date.format("%-d %b %Y")) }
                            td.govuk-table__cell { (part_name(statement, &e.stream)) }
                            td.govuk-table__cell { (entry_words(e)) }
                            td.govuk-table__cell.govuk-table__cell--numeric { @if paid_in.is_positive() { (paid_in) } }
                            td.govuk-table__cell.govuk-table__cell--numeric { @if paid_to_you.is_positive() { (paid_to_you) } }
                            td.govuk-table__cell.govuk-table__cell--numeric { @if paid_out.is_positive() { (paid_out) } }
                        }
                    }
                }
            } }
        }
    }
}

/// A part of the budget by its name (the stream's, as the statement gives it), never its
/// code.
fn part_name(statement: &PersonStatement, stream: &str) -> String {
    statement
        .streams
        .iter()
        .find(|s| s.stream == stream)
        .map_or_else(|| "Your budget".to_owned(), |s| s.name.clone())
}

/// An entry's money in the person's three columns: paid into their budget (held for them
/// by its funder), paid to them (a direct payment: money coming in to them, never shown
/// as money out), and spent or paid out of the budget (by them, to a provider, or
/// returned).
fn entry_columns(e: &StatementEntry) -> [Money; 3] {
    let amount = if e.money_in.is_positive() { e.money_in } else { e.money_out };
    match e.kind.as_str() {
        "paid_in" => [amount, Money::ZERO, Money::ZERO],
        "paid_to_you" => [Money::ZERO, amount, Money::ZERO],
        _ => [Money::ZERO, Money::ZERO, amount],
    }
}

/// An entry's words as a sentence, with the dates inside it written out.
fn entry_words(e: &StatementEntry) -> String {
    sentence(&crate::pages::roles::dates_in_words(&e.words))
}

/// A funder by its organisation's name, never its code.
fn funder_name(organisations: &[onebudget_store::OrganisationRecord], code: &str) -> String {
    organisations
        .iter()
        .find(|o| o.code == code)
        .map_or_else(|| sentence(&funder_words(code)), |o| o.name.clone())
}

/// `GET /my-budget/statement.csv`: the statement's lines as CSV.
pub async fn my_statement_csv(State(state): State<AppState>, caller: Caller) -> PageResult {
    let (_, person) = own_person(&state, &caller, "/my-budget/statement.csv").await?;
    let statement = statement_of(&state, &person.code).await?;
    let mut csv = String::from(
        "date,part,what happened,paid into your budget,paid to you,spent or paid out\r\n",
    );
    for e in &statement.entries {
        let [paid_in, paid_to_you, paid_out] = entry_columns(e);
        let row = [
            e.date.to_string(),
            part_name(&statement, &e.stream),
            entry_words(e),
            paid_in.to_plain_string(),
            paid_to_you.to_plain_string(),
            paid_out.to_plain_string(),
        ];
        csv.push_str(&row.iter().map(|f| crate::pages::csv_field(f)).collect::<Vec<_>>().join(","));
        csv.push_str("\r\n");
    }
    Ok((
        [
            (CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8")),
            (
                CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"statement.csv\""),
            ),
            (CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        csv,
    )
        .into_response())
}
