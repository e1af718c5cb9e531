//! The pooled budgets' pages: `/pools` (every pool), `/pools/{pool}/{year}` (the board's
//! monitoring report, with a chart drawn on the server, a printable layout at `?print=1`,
//! the CSV, and for finance the forms to record a forecast and to close months) and
//! `/pools/{pool}/{year}/settlement` (every step of the year-end settlement, who has
//! confirmed it, and for a finance officer of a partner still awaited the button to
//! confirm it).
//!
//! The operations are `crate::pools`' (the API's), so a page and the API cannot disagree;
//! every request passes `Caller::authorize` first. Forms carry the session's CSRF token
//! and, once done, redirect back (303) with a message; a form with a mistake is shown
//! again with an error summary naming the field. No JavaScript.

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, State};
use axum::http::StatusCode;
use maud::{Markup, html};
use onebudget_core::Money;
use onebudget_core::access::{Action, Principal, decide};
use onebudget_core::pool::FinancialYear;
use onebudget_core::pool::monitoring::{ForecastMethod, MonitoringReport};
use onebudget_store::{PoolYear, SettlementView};
use serde::Deserialize;

use crate::auth::Caller;
use crate::csrf::{FIELD, token_matches};
use crate::error::ApiError;
use crate::extract::{PagePath, PageQuery};
use crate::pages::form::{FieldErrors, InputKind, Select, TextInput, error_summary};
use crate::pages::layout::print_document;
use crate::pages::roles::see_other;
use crate::pages::{PageError, PageResult, render, render_with};
use crate::pages::{charts, confirm};
use crate::pools as api;
use crate::state::AppState;

/// A signed-in page sent with `status` (a form shown again with its errors is a 422).
fn render_status(
    caller: &Caller,
    principal: &Principal,
    status: StatusCode,
    title: &str,
    main: Markup,
) -> PageResult {
    render_with(caller, principal, status, title, None, main)
}

/// A failure the page shows as a page: a year in the address that cannot be read is a
/// 404 (as an unknown pool is), the rest as [`PageError`] says.
fn page_error(error: ApiError) -> PageError {
    match error {
        ApiError::Field(error) => PageError::NotFound(format!(
            "There is no such pool year: {} {}.",
            error.field, error.problem
        )),
        other => PageError::from(other),
    }
}

/// A form whose CSRF token does not match the session's.
fn form_unchecked(title: &str, back: &str) -> PageResult {
    Err(PageError::FormUnchecked { title: title.to_owned(), back: back.to_owned() })
}

fn may(principal: &Principal, action: &Action<'_>) -> bool {
    decide(principal, action).is_ok()
}

/// `GET /pools`: every year of every pool, settled ones too.
pub async fn list(State(state): State<AppState>, caller: Caller) -> PageResult {
    let principal = caller.authorize(&state, Action::ReadPools, "/pools").await?;
    let years = state.run(|store| store.pool_years()).await?;
    render(
        &caller,
        &principal,
        "Pooled budgets",
        html! {
            h1.govuk-heading-l { "Pooled budgets" }
            p.govuk-body { "Budgets the ICB and the council hold together under a section 75 agreement or the Better Care Fund: what each partner agreed to put in, what has been spent, the forecast for the year, and the year-end settlement." }
            @if years.is_empty() {
                p.govuk-body { "No pool has been set up yet. A finance officer records an agreement with " code { "POST /api/pools" } "." }
            } @else {
                div.app-table-wrap role="region" aria-label="Every year of every pool, newest first" tabindex="0" { table.govuk-table.govuk-table--small-text-until-tablet {
                    caption.govuk-table__caption.govuk-table__caption--m { "Every year of every pool, newest first" }
                    thead.govuk-table__head { tr.govuk-table__row {
                        th.govuk-table__header scope="col" { "Pool" } th.govuk-table__header scope="col" { "Year" } th.govuk-table__header scope="col" { "Kind" }
                        th.govuk-table__header scope="col" { "Partners" } th.govuk-table__header.govuk-table__header--numeric scope="col" { "Budget" }
                        th.govuk-table__header scope="col" { "Closed through" } th.govuk-table__header scope="col" { "Settlement" }
                    } }
                    tbody.govuk-table__body {
                        @for entry in &years {
                            @let pool = &entry.summary;
                            tr.govuk-table__row {
                                td.govuk-table__cell { (pool.name) " (" (pool.pool) ")" }
                                td.govuk-table__cell { a.govuk-link href={ "/pools/" (pool.pool) "/" (pool.year_start) } { (pool.year) span.govuk-visually-hidden { " of " (pool.name) ": monitoring" } } }
                                td.govuk-table__cell { (pool.kind.label()) }
                                td.govuk-table__cell { (pool.partners.join(", ")) " (host " (pool.host) ")" }
                                td.govuk-table__cell.govuk-table__cell--numeric { (pool.budget) }
                                td.govuk-table__cell { (pool.closed_through.as_deref().unwrap_or("No month closed")) }
                                td.govuk-table__cell {
                                    a.govuk-link href={ "/pools/" (pool.pool) "/" (pool.year_start) "/settlement" } { @if entry.settled { "Settled" } @else { "Settlement" } span.govuk-visually-hidden { " of " (pool.name) " " (pool.year) } }
                                }
                            }
                        }
                    }
                } }
            }
        },
    )
}

/// The years of `pool`, newest first, as links, the one shown marked as the current page.
fn year_links(pool: &str, years: &[PoolYear], shown: FinancialYear) -> Markup {
    let years: Vec<&PoolYear> = years.iter().filter(|y| y.summary.pool == pool).collect();
    html! {
        @if years.len() > 1 {
            nav aria-labelledby="pool-years-heading" {
                h2.govuk-heading-s #pool-years-heading { "Years of this pool" }
                ul.govuk-list {
                    @for year in years {
                        @let label = html! { (year.summary.year) @if year.settled { " (settled)" } };
                        li {
                            @if year.summary.year_start == i64::from(shown.start_year()) {
                                a.govuk-link.govuk-link--no-visited-state href={ "/pools/" (pool) "/" (year.summary.year_start) } aria-current="page" { strong { (label) } }
                            } @else {
                                a.govuk-link href={ "/pools/" (pool) "/" (year.summary.year_start) } { (label) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Query of the monitoring page.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MonitoringPageQuery {
    /// The last month to include, `YYYY-MM`.
    pub through: Option<String>,
    /// `1` for the printable layout.
    pub print: Option<String>,
    /// What was just done: `forecast` or `closed`.
    pub done: Option<String>,
}

/// What a finance officer typed into the monitoring page's forms, to show again.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct ForecastForm {
    #[serde(default)]
    pub csrf_token: String,
    #[serde(default)]
    pub scheme: String,
    #[serde(default)]
    pub method: String,
    #[serde(default)]
    pub amount: String,
    #[serde(default)]
    pub commitments: String,
    #[serde(default)]
    pub reason: String,
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct CloseForm {
    #[serde(default)]
    pub csrf_token: String,
    #[serde(default)]
    pub through: String,
}

/// The forms' state on a monitoring page: what was typed and what is wrong with it.
#[derive(Default)]
struct Forms {
    forecast: ForecastForm,
    close: CloseForm,
    errors: FieldErrors,
}

fn method_words(method: ForecastMethod) -> &'static str {
    match method {
        ForecastMethod::Profile => "Profile: actual so far plus the budget for the months left",
        ForecastMethod::RunRate => "Run rate: actual so far, scaled up to twelve months",
        ForecastMethod::Entered => "Entered: an outturn a finance officer expects, with a reason",
    }
}

/// `GET /pools/{pool}/{year}`: the monitoring report.
pub async fn monitoring(
    State(state): State<AppState>,
    caller: Caller,
    PagePath((pool, year)): PagePath<(String, String)>,
    PageQuery(query): PageQuery<MonitoringPageQuery>,
) -> PageResult {
    let target = format!("/pools/{pool}/{year}");
    let principal = caller.authorize(&state, Action::ReadPools, &target).await?;
    let year = api::parse_year(&year).map_err(page_error)?;
    let through = match (api::MonitoringQuery { through: query.through.clone() }).month(year) {
        Ok(t) => t,
        Err(e) => return Err(page_error(e)),
    };
    let report =
        api::monitoring_report(&state, pool.clone(), year, through).await.map_err(page_error)?;
    let print = query.print.as_deref() == Some("1");
    let years = state.run(|store| store.pool_years()).await?;
    let done = match query.done.as_deref() {
        Some("forecast") => Some("The forecast has been recorded."),
        Some("closed") => Some("The months have been closed."),
        _ => None,
    };
    monitoring_page(
        &caller,
        &principal,
        &report,
        year,
        StatusCode::OK,
        &Forms::default(),
        done,
        print,
        &years,
    )
}

#[allow(clippy::too_many_arguments)]
fn monitoring_page(
    caller: &Caller,
    principal: &Principal,
    report: &MonitoringReport,
    year: FinancialYear,
    status: StatusCode,
    forms: &Forms,
    done: Option<&str>,
    print: bool,
    years: &[PoolYear],
) -> PageResult {
    let title = format!("{} {}: monitoring to {}", report.name, report.year, report.as_at);
    let base = format!("/pools/{}/{}", report.pool, year.start_year());
    let manages = !print && may(principal, &Action::ManagePools);
    let trend = budget_and_actual_chart(report)?;
    let body = html! {
        @if !print { (error_summary(&forms.errors)) }
        @if let Some(done) = done {
            (crate::pages::components::success_banner(done, None))
        }
        h1.govuk-heading-l { (title) }
        p.govuk-body-l { (report.kind.label()) " · " (report.months_elapsed) " of 12 months, to the end of " (report.as_at) "." }
        @if !print {
            nav aria-label="This report" {
                ul.govuk-list.govuk-list--bullet {
                    li { a.govuk-link href={ (base) "?print=1" @if let Some(t) = &report_through(report) { "&through=" (t) } } { "Printable version" } }
                    li { a.govuk-link href={ "/api/pools/" (report.pool) "/" (year.start_year()) "/monitoring.csv?through=" (report.as_at) } { "Download the figures (CSV)" } }
                    li { a.govuk-link href={ (base) "/settlement" } { "Year-end settlement" } }
                    li { a.govuk-link href="/pools" { "All pooled budgets" } }
                }
            }
            (year_links(&report.pool, years, year))
        }
        h2.govuk-heading-m { "The year so far" }
        dl.govuk-summary-list {
            div.govuk-summary-list__row { dt.govuk-summary-list__key { "Budget for the year" } dd.govuk-summary-list__value { (report.budget) } }
            div.govuk-summary-list__row { dt.govuk-summary-list__key { "Spent to date" } dd.govuk-summary-list__value { (report.actual_to_date) } }
            div.govuk-summary-list__row { dt.govuk-summary-list__key { "Commitments" } dd.govuk-summary-list__value { (report.commitments) } }
            div.govuk-summary-list__row { dt.govuk-summary-list__key { "Forecast outturn" } dd.govuk-summary-list__value { (report.forecast) } }
            div.govuk-summary-list__row { dt.govuk-summary-list__key { "Forecast variance" } dd.govuk-summary-list__value { (variance_words(report.forecast_variance)) } }
        }
        h2.govuk-heading-m { "By scheme" }
        (scheme_chart(report))
        // Two tables, not one of eight columns: one that wide did not fit the page even on
        // a desktop screen, so the page scrolled sideways and the variance was cut off.
        div.app-table-wrap role="region" aria-label="Schemes: budget, spending to date and commitments" tabindex="0" { table.govuk-table.govuk-table--small-text-until-tablet {
            caption.govuk-table__caption.govuk-table__caption--m { "Schemes: budget, spending to date and commitments" }
            thead.govuk-table__head { tr.govuk-table__row {
                th.govuk-table__header scope="col" { "Scheme" } th.govuk-table__header.govuk-table__header--numeric scope="col" { "Budget" } th.govuk-table__header.govuk-table__header--numeric scope="col" { "Budget to date" }
                th.govuk-table__header.govuk-table__header--numeric scope="col" { "Actual to date" } th.govuk-table__header.govuk-table__header--numeric scope="col" { "Commitments" }
            } }
            tbody.govuk-table__body {
                @for scheme in &report.schemes {
                    tr.govuk-table__row {
                        th.govuk-table__header scope="row" { (scheme.name) " (" (scheme.code) "), led by " (scheme.lead) }
                        td.govuk-table__cell.govuk-table__cell--numeric { (scheme.budget) }
                        td.govuk-table__cell.govuk-table__cell--numeric { (scheme.budget_to_date) }
                        td.govuk-table__cell.govuk-table__cell--numeric { (scheme.actual_to_date) }
                        td.govuk-table__cell.govuk-table__cell--numeric { (scheme.commitments) }
                    }
                }
            }
        } }
        div.app-table-wrap role="region" aria-label="Schemes: forecast outturn and variance" tabindex="0" { table.govuk-table.govuk-table--small-text-until-tablet {
            caption.govuk-table__caption.govuk-table__caption--m { "Schemes: forecast outturn and variance" }
            thead.govuk-table__head { tr.govuk-table__row {
                th.govuk-table__header scope="col" { "Scheme" } th.govuk-table__header.govuk-table__header--numeric scope="col" { "Forecast" } th.govuk-table__header.govuk-table__header--numeric scope="col" { "Variance" }
                th.govuk-table__header scope="col" { "How forecast" }
            } }
            tbody.govuk-table__body {
                @for scheme in &report.schemes {
                    tr.govuk-table__row {
                        th.govuk-table__header scope="row" { (scheme.name) " (" (scheme.code) ")" }
                        td.govuk-table__cell.govuk-table__cell--numeric { (scheme.forecast) }
                        td.govuk-table__cell.govuk-table__cell--numeric { (variance_words(scheme.variance)) }
                        td.govuk-table__cell { (scheme.method_explained) }
                    }
                }
            }
        } }
        h2.govuk-heading-m { "By partner" }
        div.app-table-wrap role="region" aria-label="Partners: agreed, due and paid contributions, and their share of the forecast variance" tabindex="0" { table.govuk-table.govuk-table--small-text-until-tablet {
            caption.govuk-table__caption.govuk-table__caption--m { "Partners: agreed, due and paid contributions, and their share of the forecast variance" }
            thead.govuk-table__head { tr.govuk-table__row {
                th.govuk-table__header scope="col" { "Partner" } th.govuk-table__header.govuk-table__header--numeric scope="col" { "Agreed" } th.govuk-table__header.govuk-table__header--numeric scope="col" { "Due to date" }
                th.govuk-table__header.govuk-table__header--numeric scope="col" { "Paid to date" } th.govuk-table__header scope="col" { "Minimum contribution met" } th.govuk-table__header.govuk-table__header--numeric scope="col" { "Share of forecast variance" }
            } }
            tbody.govuk-table__body {
                @for partner in &report.partners {
                    tr.govuk-table__row {
                        th.govuk-table__header scope="row" { (partner.organisation) }
                        td.govuk-table__cell.govuk-table__cell--numeric { (partner.agreed) }
                        td.govuk-table__cell.govuk-table__cell--numeric { (partner.due_to_date) }
                        td.govuk-table__cell.govuk-table__cell--numeric { (partner.paid_to_date) }
                        td.govuk-table__cell { @match (partner.minimum_met, partner.minimum_contribution) {
                            (Some(true), Some(minimum)) => { "Yes (minimum " (minimum) ")" }
                            (Some(false), Some(minimum)) => { strong { "No" } " (minimum " (minimum) ")" }
                            _ => { "No minimum set" }
                        } }
                        td.govuk-table__cell.govuk-table__cell--numeric { (partner.forecast_share) }
                    }
                }
            }
        } }
        h2.govuk-heading-m { "Spending by month" }
        (trend)
        @for scheme in &report.schemes {
            div.app-table-wrap role="region" aria-label="Table" tabindex="0" { table.govuk-table.govuk-table--small-text-until-tablet {
                caption.govuk-table__caption.govuk-table__caption--m { (scheme.name) ": budget and actual by month" }
                thead.govuk-table__head { tr.govuk-table__row { th.govuk-table__header scope="col" { "Month" } th.govuk-table__header.govuk-table__header--numeric scope="col" { "Budget" } th.govuk-table__header.govuk-table__header--numeric scope="col" { "Actual" } } }
                tbody.govuk-table__body {
                    @for month in &scheme.months {
                        tr.govuk-table__row { th.govuk-table__header scope="row" { (month.month) } td.govuk-table__cell.govuk-table__cell--numeric { (month.budget) } td.govuk-table__cell.govuk-table__cell--numeric { (month.actual) } }
                    }
                }
            } }
        }
        @if manages {
            (forecast_form(report, &base, caller, forms))
            (close_form(report, year, &base, caller, forms))
        }
    };
    if print {
        return Ok(print_document(&title, body));
    }
    render_status(caller, principal, status, &title, body)
}

/// The month the report was asked through, for the printable link.
fn report_through(report: &MonitoringReport) -> Option<String> {
    Some(report.as_at.clone())
}

fn variance_words(variance: Money) -> String {
    if variance.is_positive() {
        format!("{variance} over")
    } else if variance.is_negative() {
        format!("{} under", Money::from_pence(-variance.pence()))
    } else {
        "On budget".to_owned()
    }
}

fn forecast_form(report: &MonitoringReport, base: &str, caller: &Caller, forms: &Forms) -> Markup {
    let schemes: Vec<(&str, String)> = report
        .schemes
        .iter()
        .map(|s| (s.code.as_str(), format!("{} ({})", s.name, s.code)))
        .collect();
    let scheme_options: Vec<(&str, &str)> = schemes.iter().map(|(c, t)| (*c, t.as_str())).collect();
    let methods: Vec<(&str, &str)> =
        ForecastMethod::ALL.iter().map(|m| (m.as_str(), method_words(*m))).collect();
    let form = &forms.forecast;
    html! {
        h2.govuk-heading-m #record-forecast { "Record a forecast" }
        form method="post" action={ (base) "/forecasts" } novalidate {
            input type="hidden" name=(FIELD) value=(caller.csrf_token.as_deref().unwrap_or(""));
            (Select { id: "scheme", label: "Scheme", hint: None, options: &scheme_options, selected: &form.scheme }.render(&forms.errors))
            (Select { id: "method", label: "How to forecast the outturn", hint: None, options: &methods, selected: if form.method.is_empty() { "profile" } else { &form.method } }.render(&forms.errors))
            (TextInput { id: "amount", label: "Expected outturn (for an entered forecast)", hint: Some("In pounds, for example 720000.00"), value: &form.amount, kind: InputKind::Money }.render(&forms.errors))
            (TextInput { id: "commitments", label: "Commitments (orders placed, not yet paid)", hint: Some("In pounds; leave empty for none"), value: &form.commitments, kind: InputKind::Money }.render(&forms.errors))
            @let reason_error = forms.errors.get("reason");
            div.govuk-form-group."form-group--error"[reason_error.is_some()] {
                label.govuk-label for="reason" { "Reason" }
                div.govuk-hint #reason-hint { "Needed for an entered forecast: the board will ask why." }
                @if let Some(error) = reason_error { p.govuk-error-message #reason-error { "Error: " (error) } }
                input.govuk-input."input--error"[reason_error.is_some()] #reason type="text" name="reason" value=(form.reason)
                    aria-describedby={ "reason-hint" @if reason_error.is_some() { " reason-error" } };
            }
            button.govuk-button type="submit" { "Record the forecast" }
        }
    }
}

fn close_form(
    report: &MonitoringReport,
    year: FinancialYear,
    base: &str,
    caller: &Caller,
    forms: &Forms,
) -> Markup {
    let months: Vec<String> = (1..=12).map(|m| year.month_label(m)).collect();
    let options: Vec<(&str, &str)> = months.iter().map(|m| (m.as_str(), m.as_str())).collect();
    let selected =
        if forms.close.through.is_empty() { report.as_at.as_str() } else { &forms.close.through };
    html! {
        h2.govuk-heading-m #close-months { "Close months" }
        p.govuk-body { "Once a month is closed nothing more is posted into it and no variation reaches back into it. Close March to settle the year." }
        form method="post" action={ (base) "/close" } novalidate {
            input type="hidden" name=(FIELD) value=(caller.csrf_token.as_deref().unwrap_or(""));
            (Select { id: "through", label: "Close every month up to and including", hint: None, options: &options, selected }.render(&forms.errors))
            button.govuk-button type="submit" { "Close the months" }
        }
    }
}

/// The pool's budget against its spending through the year: cumulative lines (budget for
/// all twelve months, actual for the months reported) and the table of both beside them.
fn budget_and_actual_chart(report: &MonitoringReport) -> Result<Markup, PageError> {
    let too_large = || {
        PageError::from(ApiError::Internal(
            "the pool's monthly totals are too large to add up".to_owned(),
        ))
    };
    let months: Vec<String> = report
        .schemes
        .first()
        .map(|s| s.months.iter().map(|m| m.month.clone()).collect())
        .unwrap_or_default();
    let mut budget = Vec::with_capacity(months.len());
    let mut actual = Vec::with_capacity(months.len());
    let (mut budget_so_far, mut actual_so_far) = (Money::ZERO, Money::ZERO);
    for (i, _) in months.iter().enumerate() {
        for scheme in &report.schemes {
            if let Some(line) = scheme.months.get(i) {
                budget_so_far = budget_so_far.checked_add(line.budget).map_err(|_| too_large())?;
                actual_so_far = actual_so_far.checked_add(line.actual).map_err(|_| too_large())?;
            }
        }
        budget.push(budget_so_far);
        actual.push((i < report.months_elapsed).then_some(actual_so_far));
    }
    let chart = charts::Chart {
        id: "pool-trend".to_owned(),
        title: format!("{}: budget and spending to date, month by month", report.name),
        desc: format!(
            "Two lines over the months of {}: the budget to date (dashed, circles) reaches {} by the end of the year; the actual spending to date (solid, squares) is {} at the end of {}. The table below gives every figure.",
            report.year,
            budget_so_far,
            report.actual_to_date,
            charts::short_month(&report.as_at)
        ),
        kind: charts::Kind::Lines,
        categories: months.iter().map(|m| charts::short_month(m)).collect(),
        series: vec![
            charts::Series {
                name: "Budget to date".to_owned(),
                values: budget.iter().map(|m| Some(m.pence())).collect(),
            },
            charts::Series {
                name: "Spent to date".to_owned(),
                values: actual.iter().map(|m| m.map(|m| m.pence())).collect(),
            },
        ],
    };
    Ok(html! {
        figure.app-chart__figure {
            (chart.render())
            figcaption.govuk-body-s { "Running totals for the whole pool: the dashed line with circles is the budget to date, the solid line with squares what has been spent to date. Where the solid line is above the dashed one, the pool has spent more than its budget so far. The table below gives every figure." }
        }
        div.app-table-wrap role="region" aria-label="The pool's budget and spending to date by month" tabindex="0" { table.govuk-table.govuk-table--small-text-until-tablet {
            caption.govuk-table__caption.govuk-table__caption--m { "The pool's budget and spending to date by month" }
            thead.govuk-table__head { tr.govuk-table__row {
                th.govuk-table__header scope="col" { "Month" }
                th.govuk-table__header.govuk-table__header--numeric scope="col" { "Budget to date" }
                th.govuk-table__header.govuk-table__header--numeric scope="col" { "Spent to date" }
            } }
            tbody.govuk-table__body { @for ((month, b), a) in months.iter().zip(&budget).zip(&actual) { tr.govuk-table__row {
                th.govuk-table__header.app-chart-table__month scope="row" { (charts::short_month(month)) }
                td.govuk-table__cell.govuk-table__cell--numeric { (b) }
                td.govuk-table__cell.govuk-table__cell--numeric { @match a { Some(a) => { (a) } None => { "Not yet reported" } } }
            } } }
        } }
    })
}

/// Each scheme's budget to date beside its actual to date, as grouped bars drawn by
/// `charts` (for a desktop column and for a phone); the scheme table repeats every figure.
fn scheme_chart(report: &MonitoringReport) -> Markup {
    let chart = charts::Chart {
        id: "scheme-chart".to_owned(),
        title: "Budget to date and actual to date by scheme".to_owned(),
        desc: report
            .schemes
            .iter()
            .map(|s| {
                format!(
                    "{}: budget to date {}, actual to date {}.",
                    s.name, s.budget_to_date, s.actual_to_date
                )
            })
            .collect::<Vec<_>>()
            .join(" "),
        kind: charts::Kind::GroupedBars,
        categories: report.schemes.iter().map(|s| s.code.clone()).collect(),
        series: vec![
            charts::Series {
                name: "Budget to date".to_owned(),
                values: report.schemes.iter().map(|s| Some(s.budget_to_date.pence())).collect(),
            },
            charts::Series {
                name: "Actual to date".to_owned(),
                values: report.schemes.iter().map(|s| Some(s.actual_to_date.pence())).collect(),
            },
        ],
    };
    html! {
        figure.app-chart__figure {
            (chart.render())
            figcaption.govuk-body-s { "For each scheme (by its code), the left bar is the budget to date and the right bar the actual spending to date. The table below gives every figure." }
        }
    }
}

fn form_field_errors(error: ApiError, first_field: &str) -> Result<FieldErrors, ApiError> {
    let mut errors = FieldErrors::new();
    match error {
        ApiError::Field(error) => {
            errors.add(
                &error.field,
                format!("{}: {} (got {})", error.field, error.problem, error.quoted_value()),
            );
        }
        ApiError::PoolRefused(message) => errors.add(first_field, message),
        other => return Err(other),
    }
    Ok(errors)
}

/// Show the monitoring page again with the forms' errors (422).
async fn monitoring_again(
    state: &AppState,
    caller: &Caller,
    principal: &Principal,
    pool: String,
    year: FinancialYear,
    forms: Forms,
) -> PageResult {
    let years = state.run(|store| store.pool_years()).await?;
    match api::monitoring_report(state, pool, year, None).await {
        Ok(report) => monitoring_page(
            caller,
            principal,
            &report,
            year,
            StatusCode::UNPROCESSABLE_ENTITY,
            &forms,
            None,
            false,
            &years,
        ),
        Err(e) => Err(page_error(e)),
    }
}

/// `POST /pools/{pool}/{year}/forecasts`: the finance officer's forecast form.
pub async fn record_forecast(
    State(state): State<AppState>,
    caller: Caller,
    PagePath((pool, year)): PagePath<(String, String)>,
    form: Result<Form<ForecastForm>, FormRejection>,
) -> PageResult {
    let target = format!("/pools/{pool}/{year}/forecasts");
    let principal = caller.authorize(&state, Action::ManagePools, &target).await?;
    let form = form.map(|Form(f)| f).unwrap_or_default();
    let back = format!("/pools/{pool}/{year}");
    if !token_matches(caller.csrf_token.as_deref(), Some(form.csrf_token.as_str())) {
        return form_unchecked("The forecast was not recorded", &back);
    }
    let year = api::parse_year(&year).map_err(page_error)?;
    let request = api::ForecastRequest {
        scheme: form.scheme.clone(),
        method: form.method.clone(),
        amount: Some(form.amount.clone()),
        commitments: Some(form.commitments.clone()),
        reason: form.reason.clone(),
    };
    let outcome = match request.parse() {
        Ok(forecast) => {
            api::record_forecast(&state, pool.clone(), year, forecast, principal.username.clone())
                .await
                .map(|_| ())
        }
        Err(e) => Err(ApiError::Field(e)),
    };
    match outcome {
        Ok(()) => see_other(&format!("/pools/{pool}/{}?done=forecast", year.start_year())),
        Err(error) => match form_field_errors(error, "scheme") {
            Ok(mut errors) => {
                errors.sort_by_position(&["scheme", "method", "amount", "commitments", "reason"]);
                let forms = Forms { forecast: form, errors, ..Forms::default() };
                monitoring_again(&state, &caller, &principal, pool, year, forms).await
            }
            Err(other) => Err(page_error(other)),
        },
    }
}

/// `POST /pools/{pool}/{year}/close`: the finance officer's form to close months.
pub async fn close(
    State(state): State<AppState>,
    caller: Caller,
    PagePath((pool, year)): PagePath<(String, String)>,
    form: Result<Form<CloseForm>, FormRejection>,
) -> PageResult {
    let target = format!("/pools/{pool}/{year}/close");
    let principal = caller.authorize(&state, Action::ManagePools, &target).await?;
    let form = form.map(|Form(f)| f).unwrap_or_default();
    let back = format!("/pools/{pool}/{year}");
    if !token_matches(caller.csrf_token.as_deref(), Some(form.csrf_token.as_str())) {
        return form_unchecked("The months were not closed", &back);
    }
    let year = api::parse_year(&year).map_err(page_error)?;
    match api::close_months(&state, pool.clone(), year, &form.through, principal.username.clone())
        .await
    {
        Ok(_) => see_other(&format!("/pools/{pool}/{}?done=closed", year.start_year())),
        Err(error) => match form_field_errors(error, "through") {
            Ok(errors) => {
                let forms = Forms { close: form, errors, ..Forms::default() };
                monitoring_again(&state, &caller, &principal, pool, year, forms).await
            }
            Err(other) => Err(page_error(other)),
        },
    }
}

/// Query of the settlement page.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettlementPageQuery {
    /// `confirmed` after a confirmation.
    pub done: Option<String>,
}

/// `GET /pools/{pool}/{year}/settlement`: the year-end settlement.
pub async fn settlement(
    State(state): State<AppState>,
    caller: Caller,
    PagePath((pool, year)): PagePath<(String, String)>,
    PageQuery(query): PageQuery<SettlementPageQuery>,
) -> PageResult {
    let target = format!("/pools/{pool}/{year}/settlement");
    let principal = caller.authorize(&state, Action::ReadPools, &target).await?;
    let year = api::parse_year(&year).map_err(page_error)?;
    let done = (query.done.as_deref() == Some("confirmed"))
        .then_some("Your confirmation has been recorded.");
    settlement_page(
        &state,
        &caller,
        &principal,
        pool,
        year,
        StatusCode::OK,
        &FieldErrors::new(),
        done,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn settlement_page(
    state: &AppState,
    caller: &Caller,
    principal: &Principal,
    pool: String,
    year: FinancialYear,
    status: StatusCode,
    errors: &FieldErrors,
    done: Option<&str>,
) -> PageResult {
    let back = format!("/pools/{pool}/{}", year.start_year());
    let view = match api::settlement_view(state, pool.clone(), year).await {
        Ok(view) => view,
        Err(ApiError::PoolRefused(message)) => {
            let title = format!("{pool} {}: settlement", year.label());
            return render_status(
                caller,
                principal,
                status,
                &title,
                html! {
                    (error_summary(errors))
                    h1.govuk-heading-l { (title) }
                    p.govuk-body { "The settlement cannot be worked out yet." }
                    div.govuk-inset-text { p.govuk-body { (message) } }
                    p.govuk-body { a.govuk-link href=(back) { "Back to the monitoring report" } }
                },
            );
        }
        Err(e) => return Err(page_error(e)),
    };
    let title = format!("{} {}: year-end settlement", view.settlement.pool, view.settlement.year);
    render_status(
        caller,
        principal,
        status,
        &title,
        settlement_markup(&view, &title, &back, caller, principal, errors, done),
    )
}

#[allow(clippy::too_many_arguments)]
fn settlement_markup(
    view: &SettlementView,
    title: &str,
    back: &str,
    caller: &Caller,
    principal: &Principal,
    errors: &FieldErrors,
    done: Option<&str>,
) -> Markup {
    let s = &view.settlement;
    let organisation = principal.organisation.clone().unwrap_or_default();
    // A partner still awaited confirms; so may any partner when none is awaited but the
    // settlement is not posted (its posting was interrupted), which posts it.
    let is_partner = s.partners.iter().any(|p| p.organisation == organisation);
    let can_confirm = !view.posted
        && is_partner
        && (view.waiting_for.contains(&organisation) || view.waiting_for.is_empty())
        && may(principal, &Action::ConfirmSettlement { partner: &organisation });
    html! {
        (error_summary(errors))
        @if let Some(done) = done {
            (crate::pages::components::success_banner(done, None))
        }
        h1.govuk-heading-l { (title) }
        p.govuk-body-l { (s.kind.label()) ". Budget " (s.budget) ", outturn " (s.outturn) ": " (variance_words(s.variance)) ". " (s.rule) }
        p.govuk-body { a.govuk-link href=(back) { "Back to the monitoring report" } }
        h2.govuk-heading-m { "How the settlement is worked out" }
        div.app-table-wrap role="region" aria-label="Every step of the settlement, in order" tabindex="0" { table.govuk-table.govuk-table--small-text-until-tablet {
            caption.govuk-table__caption.govuk-table__caption--m { "Every step of the settlement, in order" }
            thead.govuk-table__head { tr.govuk-table__row { th.govuk-table__header scope="col" { "Step" } th.govuk-table__header scope="col" { "Detail" } th.govuk-table__header.govuk-table__header--numeric scope="col" { "Amount" } } }
            tbody.govuk-table__body {
                @for step in &s.steps {
                    tr.govuk-table__row { th.govuk-table__header scope="row" { (step.title) } td.govuk-table__cell { (step.detail) } td.govuk-table__cell.govuk-table__cell--numeric { @if let Some(amount) = step.amount { (amount) } } }
                }
            }
        } }
        @if s.carried_forward.pence() != 0 { p.govuk-body { "Carried forward to the reserve: " strong { (s.carried_forward) } "." } }
        h2.govuk-heading-m { "Each partner" }
        div.app-table-wrap role="region" aria-label="Each partner's agreed and paid contribution, its share of the variance, and where it ends up" tabindex="0" { table.govuk-table.govuk-table--small-text-until-tablet {
            caption.govuk-table__caption.govuk-table__caption--m { "Each partner's agreed and paid contribution, its share of the variance, and where it ends up" }
            thead.govuk-table__head { tr.govuk-table__row { th.govuk-table__header scope="col" { "Partner" } th.govuk-table__header.govuk-table__header--numeric scope="col" { "Agreed" } th.govuk-table__header.govuk-table__header--numeric scope="col" { "Paid" } th.govuk-table__header.govuk-table__header--numeric scope="col" { "Spent" } th.govuk-table__header.govuk-table__header--numeric scope="col" { "Share" } th.govuk-table__header.govuk-table__header--numeric scope="col" { "Net" } } }
            tbody.govuk-table__body {
                @for p in &s.partners {
                    tr.govuk-table__row { th.govuk-table__header scope="row" { (p.organisation) } td.govuk-table__cell.govuk-table__cell--numeric { (p.agreed) } td.govuk-table__cell.govuk-table__cell--numeric { (p.paid) } td.govuk-table__cell.govuk-table__cell--numeric { (p.spent) } td.govuk-table__cell.govuk-table__cell--numeric { (p.share) } td.govuk-table__cell.govuk-table__cell--numeric { (p.net) } }
                }
            }
        } }
        h2.govuk-heading-m { "Balancing transfers" }
        @if s.transfers.is_empty() {
            p.govuk-body { "No money needs to move." }
        } @else {
            div.app-table-wrap role="region" aria-label="Table" tabindex="0" { table.govuk-table.govuk-table--small-text-until-tablet {
                caption.govuk-table__caption.govuk-table__caption--m { @if view.posted { "The balancing transfers, posted to the ledger" } @else { "The balancing transfers, posted once every partner confirms" } }
                thead.govuk-table__head { tr.govuk-table__row { th.govuk-table__header scope="col" { "From" } th.govuk-table__header scope="col" { "To" } th.govuk-table__header scope="col" { "Stream" } th.govuk-table__header.govuk-table__header--numeric scope="col" { "Amount" } th.govuk-table__header scope="col" { "What" } } }
                tbody.govuk-table__body {
                    @for t in &s.transfers {
                        tr.govuk-table__row { td.govuk-table__cell { (t.from.as_str()) } td.govuk-table__cell { (t.to.as_str()) } td.govuk-table__cell { (t.stream.as_str()) } td.govuk-table__cell.govuk-table__cell--numeric { (t.amount) } td.govuk-table__cell { (t.memo) } }
                    }
                }
            } }
        }
        h2.govuk-heading-m { "Confirmations" }
        @if view.confirmed_by.is_empty() {
            p.govuk-body { "No partner has confirmed these figures yet." }
        } @else {
            ul.govuk-list.govuk-list--bullet { @for c in &view.confirmed_by { li { (c.organisation) ": confirmed by " (c.username) " at " (crate::clock::london_time(&c.confirmed_at)) } } }
        }
        @if view.posted {
            p.govuk-body {
                "Every partner confirmed the settlement, so its balancing transfers are in the ledger."
                @if let Some(at) = &view.posted_at { " They were posted at " (crate::clock::london_time(at)) "." }
            }
        } @else if view.waiting_for.is_empty() {
            p.govuk-body { "Every partner has confirmed, but the transfers are not yet posted; confirm again to post them." }
        } @else {
            p.govuk-body { "Awaiting confirmation from: " (view.waiting_for.join(", ")) "." }
        }
        p.govuk-hint { "Figures reference (digest): " code { (view.digest.get(..16).unwrap_or(&view.digest)) } }
        @if can_confirm {
            form method="post" action={ (back) "/settlement/confirm" } {
                input type="hidden" name=(FIELD) value=(caller.csrf_token.as_deref().unwrap_or(""));
                input type="hidden" name="digest" value=(view.digest);
                button.govuk-button #confirm type="submit" { "Continue to confirm for " (organisation) }
            }
        }
    }
}

/// An RFC 3339 time to the minute, as `2026-04-02 09:15`.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    pub csrf_token: String,
    #[serde(default)]
    pub digest: String,
    /// `confirm` from the check page's Confirm button, `change` from its Change button;
    /// absent from the settlement page's button, which only leads to the check page.
    #[serde(default)]
    pub step: String,
}

/// `POST /pools/{pool}/{year}/settlement/confirm`: confirm for the officer's organisation.
pub async fn confirm(
    State(state): State<AppState>,
    caller: Caller,
    PagePath((pool, year)): PagePath<(String, String)>,
    form: Result<Form<ConfirmForm>, FormRejection>,
) -> PageResult {
    let target = format!("/pools/{pool}/{year}/settlement/confirm");
    let (principal, organisation) = api::authorize_confirm(&state, &caller, &target).await?;
    let form = form.map(|Form(f)| f).unwrap_or_default();
    let back = format!("/pools/{pool}/{year}/settlement");
    if !token_matches(caller.csrf_token.as_deref(), Some(form.csrf_token.as_str())) {
        return form_unchecked("The settlement was not confirmed", &back);
    }
    let year = api::parse_year(&year).map_err(page_error)?;
    let done = format!("/pools/{pool}/{}/settlement?done=confirmed", year.start_year());
    if form.step == confirm::CHANGE {
        return see_other(&format!("/pools/{pool}/{}/settlement", year.start_year()));
    }
    if form.step != confirm::CONFIRMED {
        return settlement_check(&state, &caller, &principal, pool, year, &organisation, &form)
            .await;
    }
    let username = principal.username.clone();
    let digest = form.digest.clone();
    let outcome =
        api::confirm_settlement(&state, pool.clone(), year, organisation.clone(), username, digest)
            .await;
    if outcome.is_err()
        && let Ok(view) = api::settlement_view(&state, pool.clone(), year).await
        && view.digest == form.digest.trim()
        && view.confirmed_by.iter().any(|c| c.organisation == organisation)
        && (view.posted || !view.waiting_for.is_empty())
    {
        // Confirm sent twice (a double click): the first confirmation counted, and posted
        // if it was the last; the second has nothing more to do.
        return see_other(&done);
    }
    match outcome {
        Ok(_) => see_other(&done),
        Err(error) => match form_field_errors(error, "confirm") {
            Ok(errors) => {
                settlement_page(
                    &state,
                    &caller,
                    &principal,
                    pool,
                    year,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &errors,
                    None,
                )
                .await
            }
            Err(other) => Err(page_error(other)),
        },
    }
}

/// The check page of a settlement confirmation: what confirming does (records this
/// partner's confirmation; posts the balancing transfers when it is the last), each
/// transfer with its accounts' names, each partner's net, and the Confirm button carrying
/// the digest of the figures shown, so only those are confirmed.
async fn settlement_check(
    state: &AppState,
    caller: &Caller,
    principal: &Principal,
    pool: String,
    year: FinancialYear,
    organisation: &str,
    form: &ConfirmForm,
) -> PageResult {
    let back = format!("/pools/{pool}/{}", year.start_year());
    let view = api::settlement_view(state, pool.clone(), year).await.map_err(page_error)?;
    let s = &view.settlement;
    if view.digest != form.digest.trim() {
        let mut errors = FieldErrors::new();
        errors.add(
            "confirm",
            "The settlement has changed since you looked at it (the ledger or the agreement moved on): read it again and confirm the new figures",
        );
        return settlement_page(
            state,
            caller,
            principal,
            pool,
            year,
            StatusCode::UNPROCESSABLE_ENTITY,
            &errors,
            None,
        )
        .await;
    }
    let codes = s
        .transfers
        .iter()
        .flat_map(|t| [t.from.as_str().to_owned(), t.to.as_str().to_owned()])
        .collect();
    let names = confirm::account_names(state, codes).await?;
    let last = view.waiting_for.iter().all(|o| o == organisation);
    let total = Money::checked_sum(s.transfers.iter().map(|t| t.amount)).ok();
    let others: Vec<&str> =
        view.waiting_for.iter().filter(|o| *o != organisation).map(String::as_str).collect();
    let title = format!("Check the {} {} settlement before you confirm it", s.pool, s.year);
    let main = html! {
        span.govuk-caption-l { "Year-end settlement" }
        h1.govuk-heading-l { (title) }
        (crate::pages::components::summary_list([
            ("Pool", html! { (s.pool) }),
            ("Financial year", html! { (s.year) }),
            ("Confirming for", html! { (organisation) " (" (principal.username) ")" }),
            ("Variance", html! { (variance_words(s.variance)) }),
            ("Partners", html! { ul.govuk-list { @for p in &s.partners { li { (p.organisation) ": net " (p.net) } } } }),
            ("Balancing transfers", html! { (s.transfers.len()) ", " @match total { Some(m) => (m), None => "too much to add up" } }),
            ("Figures reference (digest)", html! { code { (view.digest.get(..16).unwrap_or(&view.digest)) } }),
        ]))
        @if !s.transfers.is_empty() {
            (crate::pages::components::table_wrap("The balancing transfers", html! { table.govuk-table.govuk-table--small-text-until-tablet {
                caption.govuk-table__caption.govuk-table__caption--m { "The balancing transfers" }
                thead.govuk-table__head { tr.govuk-table__row { th.govuk-table__header scope="col" { "From" } th.govuk-table__header scope="col" { "To" } th.govuk-table__header scope="col" { "Stream" } th.govuk-table__header.govuk-table__header--numeric scope="col" { "Amount" } th.govuk-table__header scope="col" { "What" } } }
                tbody.govuk-table__body {
                    @for t in &s.transfers {
                        tr.govuk-table__row { td.govuk-table__cell { (confirm::account_words(t.from.as_str(), &names)) } td.govuk-table__cell { (confirm::account_words(t.to.as_str(), &names)) } td.govuk-table__cell { (t.stream.as_str()) } td.govuk-table__cell.govuk-table__cell--numeric { (t.amount) } td.govuk-table__cell { (t.memo) } }
                    }
                }
            } }))
        }
        @if last && !s.transfers.is_empty() {
            (crate::pages::components::warning_text(html! { "You are the last partner to confirm: confirming posts these " (s.transfers.len()) " transfers to the ledger now. A transfer posted is never deleted." }))
        } @else if last {
            (crate::pages::components::inset(html! { p.govuk-body { "You are the last partner to confirm; no money needs to move." } }))
        } @else {
            (crate::pages::components::inset(html! { p.govuk-body { "Confirming records your organisation's agreement. Nothing is posted until " (others.join(", ")) " confirms the same figures too." } }))
        }
        form method="post" action={ (back) "/settlement/confirm" } novalidate {
            input type="hidden" name=(FIELD) value=(caller.csrf_token.as_deref().unwrap_or(""));
            input type="hidden" name="digest" value=(view.digest);
            (confirm::check_buttons(&format!("Confirm for {organisation}"), false))
        }
    };
    render_status(caller, principal, StatusCode::OK, &title, main)
}
