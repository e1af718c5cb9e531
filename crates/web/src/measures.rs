//! The shared measures by API: `GET /api/measures` lists the metrics defined in
//! `data/metrics/` and `GET /api/measures/values` computes them from the stored events.
//! (Not to be confused with `metrics.rs`, the server's own Prometheus metrics.)
//!
//! Whole-system figures: the caller needs [`Aggregates`] (commissioner, finance, auditor).
//! Every figure is protected by NHS England's small-number rule (counts 1 to 7 as `"*"`,
//! others rounded to 5, rates from small counts as `"*"`); the API never gives raw figures
//! or anything that names a person. Raw figures come only from `onebudget metrics compute
//! --raw` on the server.

use std::sync::OnceLock;

use axum::Json;
use axum::extract::State;
use chrono::NaiveDate;
use onebudget_core::evidence::metrics::disclosure::protect_value;
use onebudget_core::evidence::metrics::engine::{self, Granularity};
use onebudget_core::evidence::metrics::{MetricSet, Populations};
use onebudget_core::field::{FieldError, parse_date};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{Aggregates, Allowed};
use crate::error::{ApiError, ErrorBody};
use crate::extract::QueryParams;
use crate::state::AppState;

/// The shipped metric and population files, loaded once.
fn definitions() -> Result<&'static (MetricSet, Populations), ApiError> {
    static LOADED: OnceLock<Result<(MetricSet, Populations), String>> = OnceLock::new();
    LOADED
        .get_or_init(|| {
            let populations = Populations::embedded().map_err(|e| e.to_string())?;
            let metrics = MetricSet::embedded(&populations).map_err(|e| e.to_string())?;
            Ok((metrics, populations))
        })
        .as_ref()
        .map_err(|e| ApiError::Internal(format!("metric files: {e}")))
}

/// One metric and the published definition it follows.
#[derive(Debug, Serialize, ToSchema)]
pub struct Measure {
    pub id: String,
    pub name: String,
    /// The family of metrics, e.g. `bcf-2025-26`, `ascof-2024-25`.
    pub family: String,
    /// `per_100000`, `percent` or `days`.
    pub unit: String,
    /// `increase`, `decrease` or `neutral`: which way is better.
    pub improvement: String,
    /// `flow` (counted when it happens) or `snapshot` (at the period's last day).
    pub period: String,
    pub definition_title: String,
    pub definition_href: String,
    /// What of the published definition was not found, if anything.
    pub not_found: Option<String>,
    /// The definition used, in words.
    pub used: String,
}

/// The metrics defined.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeasuresResponse {
    pub metrics: Vec<Measure>,
}

/// The shared measures defined, with their published definitions.
#[utoipa::path(
    get,
    path = "/api/measures",
    tag = "measures",
    responses(
        (status = 200, description = "Every metric defined.", body = MeasuresResponse),
        (status = 401, description = "No valid session or bearer token.", body = ErrorBody),
        (status = 403, description = "The caller may not read whole-system figures.", body = ErrorBody),
    )
)]
pub async fn list(_allowed: Allowed<Aggregates>) -> Result<Json<MeasuresResponse>, ApiError> {
    let (set, _) = definitions()?;
    let lower = |text: String| text.to_lowercase();
    let metrics = set
        .metrics
        .iter()
        .map(|m| Measure {
            id: m.id.clone(),
            name: m.name.clone(),
            family: m.family.clone(),
            unit: m.unit.as_str().to_owned(),
            improvement: lower(format!("{:?}", m.improvement)),
            period: lower(format!("{:?}", m.period)),
            definition_title: m.definition.title.clone(),
            definition_href: m.definition.href.clone(),
            not_found: m.definition.not_found.clone(),
            used: m.definition.used.clone(),
        })
        .collect();
    Ok(Json(MeasuresResponse { metrics }))
}

/// Query of `GET /api/measures/values`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ValuesQuery {
    /// One metric's id; every metric when not given.
    pub metric: Option<String>,
    /// First day, `YYYY-MM-DD` (default: 1 April of the last financial year).
    pub from: Option<String>,
    /// Last day, `YYYY-MM-DD` (default: today).
    pub to: Option<String>,
    /// `month` (default), `quarter` or `year` (financial quarters and years).
    pub by: Option<String>,
}

/// One value as the API gives it.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeasureValue {
    pub metric: String,
    /// `2025-04`, `2025-26 Q1` or `2025-26`.
    pub period: String,
    pub start: NaiveDate,
    pub end: NaiveDate,
    /// A count rounded to 5, or `"*"` for 1 to 7.
    #[schema(value_type = Object)]
    pub numerator: serde_json::Value,
    /// A count rounded to 5, `"*"`, or a population as ONS publishes it.
    #[schema(value_type = Object)]
    pub denominator: serde_json::Value,
    /// The value in the metric's unit to one decimal place, `"*"` when made from a count
    /// of 1 to 7, or null when the denominator is 0.
    #[schema(value_type = Object)]
    pub value: serde_json::Value,
    /// The population divided by, for rates per 100,000: its id, mid-year and age band.
    pub population: Option<String>,
}

/// Computed values.
#[derive(Debug, Serialize, ToSchema)]
pub struct ValuesResponse {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub by: String,
    pub values: Vec<MeasureValue>,
}

/// The shared measures computed from the stored events, by month, financial quarter or
/// financial year, with NHS England's small-number rule applied.
#[utoipa::path(
    get,
    path = "/api/measures/values",
    tag = "measures",
    params(ValuesQuery),
    responses(
        (status = 200, description = "Each metric's value per period; none names a person.", body = ValuesResponse),
        (status = 401, description = "No valid session or bearer token.", body = ErrorBody),
        (status = 403, description = "The caller may not read whole-system figures.", body = ErrorBody),
        (status = 422, description = "An unknown metric or grouping, a date that does not exist, or a from after the to.", body = ErrorBody),
    )
)]
pub async fn values(
    State(state): State<AppState>,
    _allowed: Allowed<Aggregates>,
    QueryParams(query): QueryParams<ValuesQuery>,
) -> Result<Json<ValuesResponse>, ApiError> {
    let (set, populations) = definitions()?;
    let metric = query.metric.as_deref().filter(|m| !m.is_empty());
    if let Some(id) = metric
        && set.get(id).is_none()
    {
        return Err(
            FieldError::new("metric", id, "no such metric; GET /api/measures lists them").into()
        );
    }
    let by = match query.by.as_deref().filter(|b| !b.is_empty()) {
        None => Granularity::Month,
        Some(text) => Granularity::parse(text)
            .ok_or_else(|| FieldError::new("by", text, "group by month, quarter or year"))?,
    };
    let today = crate::clock::today();
    let default_from = onebudget_core::pool::FinancialYear::containing(today)
        .and_then(|y| y.previous())
        .map_or(today, |y| y.first_day());
    let from = match query.from.as_deref().filter(|s| !s.is_empty()) {
        Some(text) => parse_date("from", text)?,
        None => default_from,
    };
    let to = match query.to.as_deref().filter(|s| !s.is_empty()) {
        Some(text) => parse_date("to", text)?,
        None => today,
    };
    engine::periods(from, to, by).map_err(|e| match e {
        engine::RangeError::Reversed { .. } => FieldError::new(
            "from",
            &from.to_string(),
            format!("the period starts after it ends ({to})"),
        ),
        engine::RangeError::TooLong => FieldError::new("to", &to.to_string(), e.to_string()),
    })?;
    let columns = state.run(|store| store.event_columns()).await?;
    let selected = engine::select(set, metric);
    let computed = engine::compute(&selected, populations, &columns, from, to, by)
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let json = |v: &dyn erased::Json| v.json();
    let values = computed
        .iter()
        .filter_map(|v| {
            let shown = protect_value(v, set.get(&v.metric)?);
            Some(MeasureValue {
                metric: shown.metric,
                period: shown.period.label,
                start: shown.period.start,
                end: shown.period.end,
                numerator: json(&shown.numerator),
                denominator: json(&shown.denominator),
                value: shown.value.map_or(serde_json::Value::Null, |x| json(&x)),
                population: shown
                    .population
                    .map(|p| format!("{} mid-{} aged {}", p.id, p.mid_year, p.age)),
            })
        })
        .collect();
    Ok(Json(ValuesResponse { from, to, by: by.as_str().to_owned(), values }))
}

mod erased {
    /// Anything serialisable, as a JSON value.
    pub trait Json {
        fn json(&self) -> serde_json::Value;
    }

    impl<T: serde::Serialize> Json for T {
        fn json(&self) -> serde_json::Value {
            serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
        }
    }
}
