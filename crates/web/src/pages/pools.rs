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
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use onebudget_core::Money;
use onebudget_core::access::{Action, Principal, decide};
use onebudget_core::pool::FinancialYear;
use onebudget_core::pool::monitoring::{ForecastMethod, MonitoringReport};
use onebudget_store::SettlementView;
use serde::Deserialize;

use crate::auth::Caller;
use crate::csrf::{FIELD, token_matches};
use crate::error::ApiError;
use crate::extract::{PathParams, QueryParams};
use crate::pages::form::{FieldErrors, InputKind, Select, TextInput, error_summary};
use crate::pages::layout::{HtmlPage, SignedIn, print_document, signed_in_page};
use crate::pages::roles::{denied, failed, message_page, render, see_other};
use crate::pools as api;
use crate::state::AppState;

/// A signed-in page sent with `status` (a form shown again with its errors is a 422).
fn render_with(
    caller: &Caller,
    principal: &Principal,
    status: StatusCode,
    title: &str,
    main: Markup,
) -> Response {
    if status == StatusCode::OK {
        return render(caller, principal, title, main);
    }
    let display_name = caller.display_name.clone().unwrap_or_else(|| principal.username.clone());
    let csrf_token = caller.csrf_token.clone().unwrap_or_default();
    let who =
        SignedIn { display_name: &display_name, role: principal.role, csrf_token: &csrf_token };
    HtmlPage::private(status, signed_in_page(title, &who, main)).into_response()
}

/// A failure the page shows as a page: unknown pools are 404, the rest 500.
fn page_failed(error: ApiError) -> Response {
    match error {
        ApiError::PoolNotFound(message) => {
            message_page(StatusCode::NOT_FOUND, "Not found", &message)
        }
        ApiError::NotFound { what, .. } => {
            message_page(StatusCode::NOT_FOUND, "Not found", &format!("There is no such {what}."))
        }
        ApiError::Field(error) => message_page(
            StatusCode::NOT_FOUND,
            "Not found",
            &format!("{}: {} (got {}).", error.field, error.problem, error.quoted_value()),
        ),
        other => failed(other),
    }
}

/// A form whose CSRF token does not match the session's.
fn form_unchecked(title: &str, back: &str) -> Response {
    HtmlPage::private(
        StatusCode::FORBIDDEN,
        crate::pages::layout::page(
            title,
            html! {
                h1 { (title) }
                p { "The form could not be checked, so nothing was changed. Go back to " a href=(back) { "the page" } " and send it again." }
            },
        ),
    )
    .into_response()
}

fn may(principal: &Principal, action: &Action<'_>) -> bool {
    decide(principal, action).is_ok()
}

/// `GET /pools`: every pool.
pub async fn list(State(state): State<AppState>, caller: Caller) -> Response {
    let principal = match caller.authorize(&state, Action::ReadPools, "/pools").await {
        Ok(p) => p,
        Err(d) => return denied(d),
    };
    let pools = match state.run(|store| store.pools()).await {
        Ok(p) => p,
        Err(e) => return failed(e),
    };
    render(
        &caller,
        &principal,
        "Pooled budgets",
        html! {
            h1 { "Pooled budgets" }
            p { "Budgets the ICB and the council hold together under a section 75 agreement or the Better Care Fund: what each partner agreed to put in, what has been spent, the forecast for the year, and the year-end settlement." }
            @if pools.is_empty() {
                p { "No pool has been set up yet. A finance officer records an agreement with " code { "POST /api/pools" } "." }
            } @else {
                table.table {
                    caption { "Pools, with their latest agreement" }
                    thead { tr {
                        th scope="col" { "Pool" } th scope="col" { "Kind" } th scope="col" { "Year" }
                        th scope="col" { "Host" } th scope="col" { "Partners" } th.numeric scope="col" { "Budget" }
                        th scope="col" { "Closed through" } th scope="col" { "Settlement" }
                    } }
                    tbody {
                        @for pool in &pools {
                            tr {
                                td { a href={ "/pools/" (pool.pool) "/" (pool.year_start) } { (pool.name) " (" (pool.pool) ")" } }
                                td { (pool.kind.label()) }
                                td { (pool.year) }
                                td { (pool.host) }
                                td { (pool.partners.join(", ")) }
                                td.numeric { (pool.budget) }
                                td { (pool.closed_through.as_deref().unwrap_or("No month closed")) }
                                td { a href={ "/pools/" (pool.pool) "/" (pool.year_start) "/settlement" } { "Settlement" span.visually-hidden { " of " (pool.name) } } }
                            }
                        }
                    }
                }
            }
        },
    )
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
    PathParams((pool, year)): PathParams<(String, String)>,
    QueryParams(query): QueryParams<MonitoringPageQuery>,
) -> Response {
    let target = format!("/pools/{pool}/{year}");
    let principal = match caller.authorize(&state, Action::ReadPools, &target).await {
        Ok(p) => p,
        Err(d) => return denied(d),
    };
    let year = match api::parse_year(&year) {
        Ok(y) => y,
        Err(e) => return page_failed(e),
    };
    let through = match (api::MonitoringQuery { through: query.through.clone() }).month(year) {
        Ok(t) => t,
        Err(e) => return page_failed(e),
    };
    let report = match api::monitoring_report(&state, pool.clone(), year, through).await {
        Ok(r) => r,
        Err(e) => return page_failed(e),
    };
    let print = query.print.as_deref() == Some("1");
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
) -> Response {
    let title = format!("{} {}: monitoring to {}", report.name, report.year, report.as_at);
    let base = format!("/pools/{}/{}", report.pool, year.start_year());
    let manages = !print && may(principal, &Action::ManagePools);
    let body = html! {
        @if !print { (error_summary(&forms.errors)) }
        @if let Some(done) = done {
            div.panel role="status" { h2 { "Done" } p { (done) } }
        }
        h1 { (title) }
        p.lead { (report.kind.label()) " · " (report.months_elapsed) " of 12 months, to the end of " (report.as_at) "." }
        @if !print {
            nav aria-label="This report" {
                ul {
                    li { a href={ (base) "?print=1" @if let Some(t) = &report_through(report) { "&through=" (t) } } { "Printable version" } }
                    li { a href={ "/api/pools/" (report.pool) "/" (year.start_year()) "/monitoring.csv?through=" (report.as_at) } { "Download the figures (CSV)" } }
                    li { a href={ (base) "/settlement" } { "Year-end settlement" } }
                    li { a href="/pools" { "All pooled budgets" } }
                }
            }
        }
        h2 { "The year so far" }
        dl.summary-list {
            dt { "Budget for the year" } dd { (report.budget) }
            dt { "Spent to date" } dd { (report.actual_to_date) }
            dt { "Commitments" } dd { (report.commitments) }
            dt { "Forecast outturn" } dd { (report.forecast) }
            dt { "Forecast variance" } dd { (variance_words(report.forecast_variance)) }
        }
        h2 { "By scheme" }
        (scheme_chart(report))
        // Two tables, not one of eight columns: one that wide did not fit the page even on
        // a desktop screen, so the page scrolled sideways and the variance was cut off.
        table.table {
            caption { "Schemes: budget, spending to date and commitments" }
            thead { tr {
                th scope="col" { "Scheme" } th.numeric scope="col" { "Budget" } th.numeric scope="col" { "Budget to date" }
                th.numeric scope="col" { "Actual to date" } th.numeric scope="col" { "Commitments" }
            } }
            tbody {
                @for scheme in &report.schemes {
                    tr {
                        th scope="row" { (scheme.name) " (" (scheme.code) "), led by " (scheme.lead) }
                        td.numeric { (scheme.budget) }
                        td.numeric { (scheme.budget_to_date) }
                        td.numeric { (scheme.actual_to_date) }
                        td.numeric { (scheme.commitments) }
                    }
                }
            }
        }
        table.table {
            caption { "Schemes: forecast outturn and variance" }
            thead { tr {
                th scope="col" { "Scheme" } th.numeric scope="col" { "Forecast" } th.numeric scope="col" { "Variance" }
                th scope="col" { "How forecast" }
            } }
            tbody {
                @for scheme in &report.schemes {
                    tr {
                        th scope="row" { (scheme.name) " (" (scheme.code) ")" }
                        td.numeric { (scheme.forecast) }
                        td.numeric { (variance_words(scheme.variance)) }
                        td { (scheme.method_explained) }
                    }
                }
            }
        }
        h2 { "By partner" }
        table.table {
            caption { "Partners: agreed, due and paid contributions, and their share of the forecast variance" }
            thead { tr {
                th scope="col" { "Partner" } th.numeric scope="col" { "Agreed" } th.numeric scope="col" { "Due to date" }
                th.numeric scope="col" { "Paid to date" } th scope="col" { "Minimum contribution met" } th.numeric scope="col" { "Share of forecast variance" }
            } }
            tbody {
                @for partner in &report.partners {
                    tr {
                        th scope="row" { (partner.organisation) }
                        td.numeric { (partner.agreed) }
                        td.numeric { (partner.due_to_date) }
                        td.numeric { (partner.paid_to_date) }
                        td { @match (partner.minimum_met, partner.minimum_contribution) {
                            (Some(true), Some(minimum)) => { "Yes (minimum " (minimum) ")" }
                            (Some(false), Some(minimum)) => { strong { "No" } " (minimum " (minimum) ")" }
                            _ => { "No minimum set" }
                        } }
                        td.numeric { (partner.forecast_share) }
                    }
                }
            }
        }
        h2 { "Spending by month" }
        @for scheme in &report.schemes {
            table.table {
                caption { (scheme.name) ": budget and actual by month" }
                thead { tr { th scope="col" { "Month" } th.numeric scope="col" { "Budget" } th.numeric scope="col" { "Actual" } } }
                tbody {
                    @for month in &scheme.months {
                        tr { th scope="row" { (month.month) } td.numeric { (month.budget) } td.numeric { (month.actual) } }
                    }
                }
            }
        }
        @if manages {
            (forecast_form(report, &base, caller, forms))
            (close_form(report, year, &base, caller, forms))
        }
    };
    if print {
        return print_document(&title, body);
    }
    render_with(caller, principal, status, &title, body)
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
        h2 #record-forecast { "Record a forecast" }
        form method="post" action={ (base) "/forecasts" } novalidate {
            input type="hidden" name=(FIELD) value=(caller.csrf_token.as_deref().unwrap_or(""));
            (Select { id: "scheme", label: "Scheme", hint: None, options: &scheme_options, selected: &form.scheme }.render(&forms.errors))
            (Select { id: "method", label: "How to forecast the outturn", hint: None, options: &methods, selected: if form.method.is_empty() { "profile" } else { &form.method } }.render(&forms.errors))
            (TextInput { id: "amount", label: "Expected outturn (for an entered forecast)", hint: Some("In pounds, for example 720000.00"), value: &form.amount, kind: InputKind::Money }.render(&forms.errors))
            (TextInput { id: "commitments", label: "Commitments (orders placed, not yet paid)", hint: Some("In pounds; leave empty for none"), value: &form.commitments, kind: InputKind::Money }.render(&forms.errors))
            @let reason_error = forms.errors.get("reason");
            div.form-group."form-group--error"[reason_error.is_some()] {
                label.label for="reason" { "Reason" }
                div.hint #reason-hint { "Needed for an entered forecast: the board will ask why." }
                @if let Some(error) = reason_error { p.error-message #reason-error { "Error: " (error) } }
                input.input."input--error"[reason_error.is_some()] #reason type="text" name="reason" value=(form.reason)
                    aria-describedby={ "reason-hint" @if reason_error.is_some() { " reason-error" } };
            }
            button.button type="submit" { "Record the forecast" }
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
        h2 #close-months { "Close months" }
        p { "Once a month is closed nothing more is posted into it and no variation reaches back into it. Close March to settle the year." }
        form method="post" action={ (base) "/close" } novalidate {
            input type="hidden" name=(FIELD) value=(caller.csrf_token.as_deref().unwrap_or(""));
            (Select { id: "through", label: "Close every month up to and including", hint: None, options: &options, selected }.render(&forms.errors))
            button.button type="submit" { "Close the months" }
        }
    }
}

/// A bar chart of each scheme's budget to date (hatched, outlined) beside its actual to
/// date (solid), as SVG drawn on the server. Every bar is labelled with its amount and
/// the legend uses the fill patterns, so nothing depends on colour; the scheme table
/// repeats every figure.
fn scheme_chart(report: &MonitoringReport) -> Markup {
    let max = report
        .schemes
        .iter()
        .flat_map(|s| [s.budget_to_date.pence(), s.actual_to_date.pence()])
        .max()
        .unwrap_or(0)
        .max(1);
    let bar = 60_i64;
    let group = bar * 2 + 60;
    let height = 220_i64;
    let top = 40_i64;
    let count = i64::try_from(report.schemes.len()).unwrap_or(0);
    let width = (group * count + 40).max(360);
    let scale = |pence: i64| pence.saturating_mul(height) / max;
    html! {
        figure {
            svg.chart role="img" aria-labelledby="scheme-chart-title scheme-chart-desc" width=(width) height=(height + top + 80)
                viewBox={ "0 0 " (width) " " (height + top + 80) } xmlns="http://www.w3.org/2000/svg" {
                title #scheme-chart-title { "Budget to date and actual to date by scheme" }
                desc #scheme-chart-desc {
                    @for s in &report.schemes { (s.name) ": budget to date " (s.budget_to_date) ", actual to date " (s.actual_to_date) ". " }
                }
                defs {
                    pattern #budget-hatch patternUnits="userSpaceOnUse" width="8" height="8" {
                        path d="M-2,2 l4,-4 M0,8 l8,-8 M6,10 l4,-4" stroke="#0b0c0c" stroke-width="1.5" {}
                    }
                }
                // The legend: the pattern, then its words.
                rect x="10" y="8" width="16" height="16" fill="url(#budget-hatch)" stroke="#0b0c0c" stroke-width="1" {}
                text x="32" y="21" font-size="13" fill="#0b0c0c" { "Budget to date (hatched)" }
                rect x="210" y="8" width="16" height="16" fill="#0b0c0c" {}
                text x="232" y="21" font-size="13" fill="#0b0c0c" { "Actual to date (solid)" }
                line x1="10" y1=(top + height) x2=(width - 10) y2=(top + height) stroke="#0b0c0c" stroke-width="2" {}
                @for (i, s) in report.schemes.iter().enumerate() {
                    @let x = 30 + group * i64::try_from(i).unwrap_or(0);
                    @let b = scale(s.budget_to_date.pence());
                    @let a = scale(s.actual_to_date.pence());
                    rect x=(x) y=(top + height - b) width=(bar) height=(b) fill="url(#budget-hatch)" stroke="#0b0c0c" stroke-width="1" {}
                    text x=(x) y=(top + height - b - 4) font-size="11" fill="#0b0c0c" { (s.budget_to_date) }
                    rect x=(x + bar) y=(top + height - a) width=(bar) height=(a) fill="#0b0c0c" {}
                    text x=(x + bar) y=(top + height - a - 16) font-size="11" fill="#0b0c0c" { (s.actual_to_date) }
                    text x=(x) y=(top + height + 18) font-size="12" fill="#0b0c0c" { (s.code) }
                    text x=(x) y=(top + height + 34) font-size="11" fill="#0b0c0c" { "budget · actual" }
                }
            }
            figcaption.hint { "For each scheme, the hatched bar is the budget to date and the solid bar the actual spending to date; each is labelled with its amount. The table below gives every figure." }
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
) -> Response {
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
        ),
        Err(e) => page_failed(e),
    }
}

/// `POST /pools/{pool}/{year}/forecasts`: the finance officer's forecast form.
pub async fn record_forecast(
    State(state): State<AppState>,
    caller: Caller,
    PathParams((pool, year)): PathParams<(String, String)>,
    form: Result<Form<ForecastForm>, FormRejection>,
) -> Response {
    let target = format!("/pools/{pool}/{year}/forecasts");
    let principal = match caller.authorize(&state, Action::ManagePools, &target).await {
        Ok(p) => p,
        Err(d) => return denied(d),
    };
    let form = form.map(|Form(f)| f).unwrap_or_default();
    let back = format!("/pools/{pool}/{year}");
    if !token_matches(caller.csrf_token.as_deref(), Some(form.csrf_token.as_str())) {
        return form_unchecked("The forecast was not recorded", &back);
    }
    let year = match api::parse_year(&year) {
        Ok(y) => y,
        Err(e) => return page_failed(e),
    };
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
            Err(other) => page_failed(other),
        },
    }
}

/// `POST /pools/{pool}/{year}/close`: the finance officer's form to close months.
pub async fn close(
    State(state): State<AppState>,
    caller: Caller,
    PathParams((pool, year)): PathParams<(String, String)>,
    form: Result<Form<CloseForm>, FormRejection>,
) -> Response {
    let target = format!("/pools/{pool}/{year}/close");
    let principal = match caller.authorize(&state, Action::ManagePools, &target).await {
        Ok(p) => p,
        Err(d) => return denied(d),
    };
    let form = form.map(|Form(f)| f).unwrap_or_default();
    let back = format!("/pools/{pool}/{year}");
    if !token_matches(caller.csrf_token.as_deref(), Some(form.csrf_token.as_str())) {
        return form_unchecked("The months were not closed", &back);
    }
    let year = match api::parse_year(&year) {
        Ok(y) => y,
        Err(e) => return page_failed(e),
    };
    match api::close_months(&state, pool.clone(), year, &form.through, principal.username.clone())
        .await
    {
        Ok(_) => see_other(&format!("/pools/{pool}/{}?done=closed", year.start_year())),
        Err(error) => match form_field_errors(error, "through") {
            Ok(errors) => {
                let forms = Forms { close: form, errors, ..Forms::default() };
                monitoring_again(&state, &caller, &principal, pool, year, forms).await
            }
            Err(other) => page_failed(other),
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
    PathParams((pool, year)): PathParams<(String, String)>,
    QueryParams(query): QueryParams<SettlementPageQuery>,
) -> Response {
    let target = format!("/pools/{pool}/{year}/settlement");
    let principal = match caller.authorize(&state, Action::ReadPools, &target).await {
        Ok(p) => p,
        Err(d) => return denied(d),
    };
    let year = match api::parse_year(&year) {
        Ok(y) => y,
        Err(e) => return page_failed(e),
    };
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
) -> Response {
    let back = format!("/pools/{pool}/{}", year.start_year());
    let view = match api::settlement_view(state, pool.clone(), year).await {
        Ok(view) => view,
        Err(ApiError::PoolRefused(message)) => {
            let title = format!("{pool} {}: settlement", year.label());
            return render_with(
                caller,
                principal,
                status,
                &title,
                html! {
                    (error_summary(errors))
                    h1 { (title) }
                    p { "The settlement cannot be worked out yet." }
                    div.inset { p { (message) } }
                    p { a href=(back) { "Back to the monitoring report" } }
                },
            );
        }
        Err(e) => return page_failed(e),
    };
    let title = format!("{} {}: year-end settlement", view.settlement.pool, view.settlement.year);
    render_with(
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
            div.panel role="status" { h2 { "Done" } p { (done) } }
        }
        h1 { (title) }
        p.lead { (s.kind.label()) ". Budget " (s.budget) ", outturn " (s.outturn) ": " (variance_words(s.variance)) ". " (s.rule) }
        p { a href=(back) { "Back to the monitoring report" } }
        h2 { "How the settlement is worked out" }
        table.table {
            caption { "Every step of the settlement, in order" }
            thead { tr { th scope="col" { "Step" } th scope="col" { "Detail" } th.numeric scope="col" { "Amount" } } }
            tbody {
                @for step in &s.steps {
                    tr { th scope="row" { (step.title) } td { (step.detail) } td.numeric { @if let Some(amount) = step.amount { (amount) } } }
                }
            }
        }
        @if s.carried_forward.pence() != 0 { p { "Carried forward to the reserve: " strong { (s.carried_forward) } "." } }
        h2 { "Each partner" }
        table.table {
            caption { "Each partner's agreed and paid contribution, its share of the variance, and where it ends up" }
            thead { tr { th scope="col" { "Partner" } th.numeric scope="col" { "Agreed" } th.numeric scope="col" { "Paid" } th.numeric scope="col" { "Spent" } th.numeric scope="col" { "Share" } th.numeric scope="col" { "Net" } } }
            tbody {
                @for p in &s.partners {
                    tr { th scope="row" { (p.organisation) } td.numeric { (p.agreed) } td.numeric { (p.paid) } td.numeric { (p.spent) } td.numeric { (p.share) } td.numeric { (p.net) } }
                }
            }
        }
        h2 { "Balancing transfers" }
        @if s.transfers.is_empty() {
            p { "No money needs to move." }
        } @else {
            table.table {
                caption { @if view.posted { "The balancing transfers, posted to the ledger" } @else { "The balancing transfers, posted once every partner confirms" } }
                thead { tr { th scope="col" { "From" } th scope="col" { "To" } th scope="col" { "Stream" } th.numeric scope="col" { "Amount" } th scope="col" { "What" } } }
                tbody {
                    @for t in &s.transfers {
                        tr { td { (t.from.as_str()) } td { (t.to.as_str()) } td { (t.stream.as_str()) } td.numeric { (t.amount) } td { (t.memo) } }
                    }
                }
            }
        }
        h2 { "Confirmations" }
        @if view.confirmed_by.is_empty() {
            p { "No partner has confirmed these figures yet." }
        } @else {
            ul { @for c in &view.confirmed_by { li { (c.organisation) ": confirmed by " (c.username) " at " (utc_minute(&c.confirmed_at)) " (UTC)" } } }
        }
        @if view.posted {
            p {
                "Every partner confirmed the settlement, so its balancing transfers are in the ledger."
                @if let Some(at) = &view.posted_at { " They were posted at " (utc_minute(at)) " (UTC)." }
            }
        } @else if view.waiting_for.is_empty() {
            p { "Every partner has confirmed, but the transfers are not yet posted; confirm again to post them." }
        } @else {
            p { "Awaiting confirmation from: " (view.waiting_for.join(", ")) "." }
        }
        p.hint { "Figures reference (digest): " code { (view.digest.get(..16).unwrap_or(&view.digest)) } }
        @if can_confirm {
            form method="post" action={ (back) "/settlement/confirm" } {
                input type="hidden" name=(FIELD) value=(caller.csrf_token.as_deref().unwrap_or(""));
                input type="hidden" name="digest" value=(view.digest);
                button.button #confirm type="submit" { "Confirm for " (organisation) }
            }
        }
    }
}

/// An RFC 3339 time to the minute, as `2026-04-02 09:15`.
fn utc_minute(at: &str) -> String {
    at.get(..16).unwrap_or(at).replace('T', " ")
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    pub csrf_token: String,
    #[serde(default)]
    pub digest: String,
}

/// `POST /pools/{pool}/{year}/settlement/confirm`: confirm for the officer's organisation.
pub async fn confirm(
    State(state): State<AppState>,
    caller: Caller,
    PathParams((pool, year)): PathParams<(String, String)>,
    form: Result<Form<ConfirmForm>, FormRejection>,
) -> Response {
    let target = format!("/pools/{pool}/{year}/settlement/confirm");
    let (principal, organisation) = match api::authorize_confirm(&state, &caller, &target).await {
        Ok(found) => found,
        Err(d) => return denied(d),
    };
    let form = form.map(|Form(f)| f).unwrap_or_default();
    let back = format!("/pools/{pool}/{year}/settlement");
    if !token_matches(caller.csrf_token.as_deref(), Some(form.csrf_token.as_str())) {
        return form_unchecked("The settlement was not confirmed", &back);
    }
    let year = match api::parse_year(&year) {
        Ok(y) => y,
        Err(e) => return page_failed(e),
    };
    let username = principal.username.clone();
    match api::confirm_settlement(&state, pool.clone(), year, organisation, username, form.digest)
        .await
    {
        Ok(_) => {
            see_other(&format!("/pools/{pool}/{}/settlement?done=confirmed", year.start_year()))
        }
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
            Err(other) => page_failed(other),
        },
    }
}
