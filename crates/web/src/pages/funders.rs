//! `GET /budgets/funders`: each funder's share of everyone's integrated personal budgets,
//! for finance officers, commissioners and auditors. The figures are sums over people;
//! no person is named, so it needs only `ReadAggregates`.

use axum::extract::State;
use axum::response::Response;
use chrono::NaiveDate;
use maud::html;
use onebudget_core::access::Action;
use onebudget_core::budget::config::Charging;
use onebudget_store::FunderStatement;
use serde::Deserialize;

use crate::auth::{Caller, Denied};
use crate::error::ApiError;
use crate::extract::QueryParams;
use crate::pages::roles::{denied, failed, render};
use crate::state::AppState;

/// `?year=2025` chooses the financial year (April to March); the latest by default.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FundersQuery {
    pub year: Option<i32>,
}

/// The financial years the page offers.
const YEARS: [i32; 2] = [2024, 2025];

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
    QueryParams(query): QueryParams<FundersQuery>,
) -> Response {
    let principal = match caller.authorize(&state, Action::ReadAggregates, "/budgets/funders").await
    {
        Ok(p) => p,
        Err(d) => return denied(d),
    };
    let year = query.year.or_else(|| YEARS.last().copied()).unwrap_or(2025);
    if !YEARS.contains(&year) {
        return denied(Denied::Failed(ApiError::InvalidQuery {
            message: format!(
                "year: choose {} (a financial year from April)",
                YEARS.iter().map(ToString::to_string).collect::<Vec<_>>().join(" or ")
            ),
        }));
    }
    let (Some(from), Some(to)) =
        (NaiveDate::from_ymd_opt(year, 4, 1), NaiveDate::from_ymd_opt(year + 1, 3, 31))
    else {
        return failed(ApiError::Internal("a financial year's dates".into()));
    };
    let scheme = match state.scheme() {
        Ok(s) => s.clone(),
        Err(e) => return failed(ApiError::Internal(format!("the budget scheme: {e}"))),
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
    let rows = match rows {
        Ok(r) => r,
        Err(e) => return failed(e),
    };
    let label = format!("April {year} to March {}", year + 1);
    render(
        &caller,
        &principal,
        "Each funder's share of personal budgets",
        html! {
            h1 { "Each funder's share of personal budgets" }
            p { "Integrated personal budgets draw on several funding streams. Each funder sees its own share of the same budgets here: the weekly amounts of the budgets live on " (to.format("%-d %B %Y")) ", and the money moved from " (label) ". No figure here identifies a person." }
            nav aria-label="Financial year" {
                p {
                    "Show: "
                    @for (i, y) in YEARS.iter().enumerate() {
                        @if i > 0 { " · " }
                        a href={ "/budgets/funders?year=" (y) } aria-current=[(year == *y).then_some("page")] { "April " (y) " to March " (y + 1) }
                    }
                }
            }
            table.table {
                caption { "Weekly amounts of the budgets live on " (to.format("%-d %B %Y")) }
                thead { tr {
                    th scope="col" { "Stream" }
                    th scope="col" { "Funder" }
                    th scope="col" { "Charging" }
                    th.numeric scope="col" { "Budgets" }
                    th.numeric scope="col" { "Agreed a week" }
                    th.numeric scope="col" { "Funder pays a week" }
                    th.numeric scope="col" { "People pay a week" }
                } }
                tbody { @for r in &rows { tr {
                    th scope="row" { (r.name) " (" (r.stream) ")" }
                    td { (r.funder) }
                    td { (charging_words(r.charging)) }
                    td.numeric { (r.budgets) }
                    td.numeric { (r.weekly_agreed) }
                    td.numeric { (r.weekly_funder_pays) }
                    td.numeric { (r.weekly_people_pay) }
                } } }
            }
            table.table {
                caption { "Money moved, " (label) }
                thead { tr {
                    th scope="col" { "Stream" }
                    th.numeric scope="col" { "Paid into budgets" }
                    th.numeric scope="col" { "Spent" }
                    th.numeric scope="col" { "Returned (unspent direct payments)" }
                } }
                tbody { @for r in &rows { tr {
                    th scope="row" { (r.name) " (" (r.stream) ")" }
                    td.numeric { (r.paid_in) }
                    td.numeric { (r.spent) }
                    td.numeric { (r.returned) }
                } } }
            }
            p.hint { "People pay only towards means-tested (council) parts of their budgets; the NHS parts are free. The same figures, stream by stream, are at " code { "/api/funders/{stream}/statement" } "." }
        },
    )
}
