//! `GET /budgets/funders`: each funder's share of everyone's integrated personal budgets,
//! for finance officers, commissioners and auditors. The figures are sums over people;
//! no person is named, so it needs only `ReadAggregates`.

use axum::extract::State;
use chrono::{Datelike, NaiveDate};
use maud::html;
use onebudget_core::access::Action;
use onebudget_core::budget::config::Charging;
use onebudget_store::FunderStatement;
use serde::Deserialize;

use crate::auth::{Caller, Denied};
use crate::error::ApiError;
use crate::extract::PageQuery;
use crate::pages::{PageError, PageResult, render};
use crate::state::AppState;

/// `?year=2025` chooses the financial year (April to March); the latest by default.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FundersQuery {
    pub year: Option<i32>,
}

/// The financial years the page offers: the year of the latest money recorded (or of
/// today, if later money is not yet recorded) and the two before it, oldest first.
fn years(latest: Option<NaiveDate>) -> Vec<i32> {
    let (first, _) = crate::people::default_spend_period(latest, crate::clock::today());
    let last = first.year() + 1;
    vec![last - 2, last - 1, last]
}

fn charging_words(c: Charging) -> &'static str {
    match c {
        Charging::Free => "free to the person",
        Charging::Grant => "grant",
        Charging::MeansTested => "means-tested",
    }
}

/// `GET /budgets/funders`.
pub async fn funders(
    State(state): State<AppState>,
    caller: Caller,
    PageQuery(query): PageQuery<FundersQuery>,
) -> PageResult {
    let principal = caller.authorize(&state, Action::ReadAggregates, "/budgets/funders").await?;
    let latest = state.run(|store| store.latest_effective_date()).await?;
    let years = years(latest);
    let newest = years.last().copied().unwrap_or(2025);
    let year = query.year.unwrap_or(newest);
    if !years.contains(&year) {
        return Err(PageError::from(Denied::Failed(ApiError::InvalidQuery {
            message: format!(
                "year: choose {} (a financial year from April)",
                years.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
            ),
        })));
    }
    let (Some(from), Some(to)) =
        (NaiveDate::from_ymd_opt(year, 4, 1), NaiveDate::from_ymd_opt(year + 1, 3, 31))
    else {
        return Err(PageError::from(ApiError::Internal("a financial year's dates".into())));
    };
    let scheme = match state.scheme() {
        Ok(s) => s.clone(),
        Err(e) => {
            return Err(PageError::from(ApiError::Internal(format!("the budget scheme: {e}"))));
        }
    };
    let rows = state
        .run(move |store| {
            scheme
                .streams
                .iter()
                .map(|s| {
                    store.funder_statement(&scheme, &s.code, to, from, to).map_err(ApiError::from)
                })
                .collect::<Result<Vec<FunderStatement>, ApiError>>()
        })
        .await;
    let rows = rows?;
    let label = format!("April {year} to March {}", year + 1);
    render(
        &caller,
        &principal,
        "Each funder's share of personal budgets",
        html! {
            h1.govuk-heading-l { "Each funder's share of personal budgets" }
            p.govuk-body { "Integrated personal budgets draw on several funding streams. Each funder sees its own share of the same budgets here: the weekly amounts of the budgets live on " (to.format("%-d %B %Y")) ", and the money moved from " (label) ". No figure here identifies a person." }
            nav aria-label="Financial year" {
                p.govuk-body {
                    "Show: "
                    @for (i, y) in years.iter().enumerate() {
                        @if i > 0 { " · " }
                        a.govuk-link href={ "/budgets/funders?year=" (y) } aria-current=[(year == *y).then_some("page")] { "April " (y) " to March " (y + 1) }
                    }
                }
            }
            div.app-table-wrap role="region" aria-label="Table" tabindex="0" { table.govuk-table.govuk-table--small-text-until-tablet {
                caption.govuk-table__caption.govuk-table__caption--m { "Weekly amounts of the budgets live on " (to.format("%-d %B %Y")) }
                thead.govuk-table__head { tr.govuk-table__row {
                    th.govuk-table__header scope="col" { "Stream" }
                    th.govuk-table__header scope="col" { "Funder" }
                    th.govuk-table__header scope="col" { "Charging" }
                    th.govuk-table__header.govuk-table__header--numeric scope="col" { "Budgets" }
                    th.govuk-table__header.govuk-table__header--numeric scope="col" { "Agreed a week" }
                    th.govuk-table__header.govuk-table__header--numeric scope="col" { "Funder pays a week" }
                    th.govuk-table__header.govuk-table__header--numeric scope="col" { "People pay a week" }
                } }
                tbody.govuk-table__body { @for r in &rows { tr.govuk-table__row {
                    th.govuk-table__header scope="row" { (r.name) " (" (r.stream) ")" }
                    td.govuk-table__cell { (r.funder) }
                    td.govuk-table__cell { (charging_words(r.charging)) }
                    td.govuk-table__cell.govuk-table__cell--numeric { (r.budgets) }
                    td.govuk-table__cell.govuk-table__cell--numeric { (r.weekly_agreed) }
                    td.govuk-table__cell.govuk-table__cell--numeric { (r.weekly_funder_pays) }
                    td.govuk-table__cell.govuk-table__cell--numeric { (r.weekly_people_pay) }
                } } }
            } }
            div.app-table-wrap role="region" aria-label="Table" tabindex="0" { table.govuk-table.govuk-table--small-text-until-tablet {
                caption.govuk-table__caption.govuk-table__caption--m { "Money moved, " (label) }
                thead.govuk-table__head { tr.govuk-table__row {
                    th.govuk-table__header scope="col" { "Stream" }
                    th.govuk-table__header.govuk-table__header--numeric scope="col" { "Paid into budgets" }
                    th.govuk-table__header.govuk-table__header--numeric scope="col" { "Spent" }
                    th.govuk-table__header.govuk-table__header--numeric scope="col" { "Returned (unspent direct payments)" }
                } }
                tbody.govuk-table__body { @for r in &rows { tr.govuk-table__row {
                    th.govuk-table__header scope="row" { (r.name) " (" (r.stream) ")" }
                    td.govuk-table__cell.govuk-table__cell--numeric { (r.paid_in) }
                    td.govuk-table__cell.govuk-table__cell--numeric { (r.spent) }
                    td.govuk-table__cell.govuk-table__cell--numeric { (r.returned) }
                } } }
            } }
            p.govuk-hint { "People pay only towards means-tested (council) parts of their budgets; the NHS parts are free. The same figures, stream by stream, are at " code { "/api/funders/{stream}/statement" } "." }
        },
    )
}
