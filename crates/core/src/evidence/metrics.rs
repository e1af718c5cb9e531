//! Shared measures as data: metric definitions read from dated, referenced YAML files
//! (`data/metrics/*.yaml`), populations from ONS mid-year estimates (`data/population/`),
//! and the engine that computes every metric from the events.
//!
//! A definition's numerator and denominator name a counting rule the engine knows
//! ([`Rule`]), with filters over fields the events hold (an age band; `ACSC` on hospital
//! spells; `Primary_Support_Reason` on social care events), or an age band of a population
//! file that is held. [`MetricSet::parse`] refuses a file that names an unknown rule, field,
//! value or population, naming the file, the metric and the field, so a typo can never
//! quietly count nothing.
//!
//! - [`population`]: the population files and their age bands.
//! - [`engine`]: the events in columns ([`engine::EventColumns`]) and [`engine::compute`].
//! - [`disclosure`]: NHS England's small-number rule for what a commissioner sees.

pub mod disclosure;
pub mod engine;
pub mod population;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::codes::PrimarySupportReason;
use crate::field::parse_date;
pub use population::{AgeBand, Population, Populations};

/// The metric files shipped with onebudget, as (file name, contents).
pub const EMBEDDED_FILES: &[(&str, &str)] = &[
    ("bcf-2025-26.yaml", include_str!("../../../../data/metrics/bcf-2025-26.yaml")),
    ("ascof-2024-25.yaml", include_str!("../../../../data/metrics/ascof-2024-25.yaml")),
];

/// The counting rules the engine evaluates. Each counts (or sums) over one kind of event
/// and takes age from a stated date; see each variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// Hospital spells with an emergency ADMIMETH, by admission date; age STARTAGE.
    EmergencyAdmissions,
    /// Spells discharged alive with a DISREADYDATE, by discharge date; age STARTAGE.
    DischargesWithReadyDate,
    /// Those of them discharged after their DISREADYDATE.
    DelayedDischarges,
    /// A sum: days from DISREADYDATE to DISDATE over the delayed discharges.
    DischargeDelayDays,
    /// Distinct people with a new long-term residential or nursing admission (ASCOF
    /// 2B/2C), by the service's start; age at that start.
    NewCareHomeAdmissions,
    /// Reablement episodes linked to a hospital discharge (ASCOF 2D), by discharge date;
    /// age STARTAGE of the linked spell. Needs `follow_up_days`.
    ReablementAfterDischarge,
    /// Those of them with no death, emergency readmission or care-home move within the
    /// follow-up. Needs `follow_up_days`.
    ReablementStillAtHome,
    /// People in long-term community support at the period's last day (ASCOF 3D
    /// denominator); age on that day.
    LongTermCommunityClients,
    /// Those of them placed by direct payment or CASSR-managed personal budget.
    SelfDirectedSupportClients,
    /// Those of them placed by direct payment.
    DirectPaymentClients,
}

impl Rule {
    pub const ALL: [Rule; 10] = [
        Rule::EmergencyAdmissions,
        Rule::DischargesWithReadyDate,
        Rule::DelayedDischarges,
        Rule::DischargeDelayDays,
        Rule::NewCareHomeAdmissions,
        Rule::ReablementAfterDischarge,
        Rule::ReablementStillAtHome,
        Rule::LongTermCommunityClients,
        Rule::SelfDirectedSupportClients,
        Rule::DirectPaymentClients,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Rule::EmergencyAdmissions => "emergency_admissions",
            Rule::DischargesWithReadyDate => "discharges_with_ready_date",
            Rule::DelayedDischarges => "delayed_discharges",
            Rule::DischargeDelayDays => "discharge_delay_days",
            Rule::NewCareHomeAdmissions => "new_care_home_admissions",
            Rule::ReablementAfterDischarge => "reablement_after_discharge",
            Rule::ReablementStillAtHome => "reablement_still_at_home",
            Rule::LongTermCommunityClients => "long_term_community_clients",
            Rule::SelfDirectedSupportClients => "self_directed_support_clients",
            Rule::DirectPaymentClients => "direct_payment_clients",
        }
    }

    pub fn parse(text: &str) -> Option<Rule> {
        Rule::ALL.into_iter().find(|r| r.as_str() == text)
    }

    /// Whether the rule is a sum (of days) rather than a count.
    pub fn is_sum(self) -> bool {
        self == Rule::DischargeDelayDays
    }

    /// Whether the rule counts hospital spells (and so its filters are spell fields).
    pub fn over_spells(self) -> bool {
        matches!(
            self,
            Rule::EmergencyAdmissions
                | Rule::DischargesWithReadyDate
                | Rule::DelayedDischarges
                | Rule::DischargeDelayDays
        )
    }

    /// Whether the rule needs `follow_up_days`.
    pub fn needs_follow_up(self) -> bool {
        matches!(self, Rule::ReablementAfterDischarge | Rule::ReablementStillAtHome)
    }

    /// The fields a `where` filter may name for this rule.
    pub fn filter_fields(self) -> &'static [&'static str] {
        if self.over_spells() { &[FIELD_ACSC] } else { &[FIELD_PRIMARY_SUPPORT_REASON] }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The spell field ACSC (ambulatory care sensitive condition, `Y` or `N`).
pub const FIELD_ACSC: &str = "ACSC";
/// The CLD field Primary_Support_Reason.
pub const FIELD_PRIMARY_SUPPORT_REASON: &str = "Primary_Support_Reason";

/// How a metric is expressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// numerator / denominator × 100,000.
    #[serde(rename = "per_100000")]
    Per100000,
    /// numerator / denominator × 100.
    Percent,
    /// numerator (days) / denominator: an average number of days.
    Days,
}

impl Unit {
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Per100000 => "per_100000",
            Unit::Percent => "percent",
            Unit::Days => "days",
        }
    }

    /// What the ratio is multiplied by.
    pub fn scale(self) -> f64 {
        match self {
            Unit::Per100000 => 100_000.0,
            Unit::Percent => 100.0,
            Unit::Days => 1.0,
        }
    }
}

/// Which way is better.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Improvement {
    Increase,
    Decrease,
    Neutral,
}

/// Whether a metric counts what happened during a period or who was there at its end.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodType {
    /// Counted in the period in which it happened.
    Flow,
    /// Counted on the period's last day.
    Snapshot,
}

/// The published definition a metric follows, and what of it was not found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Definition {
    pub title: String,
    pub href: String,
    /// What of the published definition was searched for and not found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_found: Option<String>,
    /// The definition onebudget uses, in words.
    pub used: String,
}

/// A reference for a whole file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reference {
    pub title: String,
    pub href: String,
}

/// An age band as a file writes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgeInput {
    #[serde(default)]
    pub min: Option<u8>,
    #[serde(default)]
    pub max: Option<u8>,
}

/// A numerator or denominator as a file writes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TermInput {
    #[serde(default)]
    pub count: Option<String>,
    #[serde(default)]
    pub sum: Option<String>,
    #[serde(default)]
    pub population: Option<String>,
    #[serde(default)]
    pub age: Option<AgeInput>,
    #[serde(default, rename = "where")]
    pub filters: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub follow_up_days: Option<u16>,
}

/// One metric as a file writes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricInput {
    pub id: String,
    pub name: String,
    pub unit: Unit,
    pub improvement: Improvement,
    pub period: PeriodType,
    pub numerator: TermInput,
    pub denominator: TermInput,
    pub definition: Definition,
}

/// A metric file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileInput {
    pub family: String,
    pub title: String,
    pub effective_from: String,
    pub reference: Reference,
    pub metrics: Vec<MetricInput>,
}

/// A checked filter: events count only if their field holds one of these values.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Filter {
    /// ACSC is `Y` (true) or `N` (false).
    Acsc(bool),
    /// Primary_Support_Reason is one of these.
    PrimarySupportReason(Vec<PrimarySupportReason>),
}

/// A checked count or sum over the events.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Count {
    pub rule: Rule,
    pub age: AgeBand,
    pub filters: Vec<Filter>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub follow_up_days: Option<u16>,
}

/// A checked numerator or denominator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Term {
    Count(Count),
    Population { population: String, age: AgeBand },
}

/// A checked metric.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Metric {
    pub id: String,
    pub name: String,
    pub family: String,
    /// The file it came from.
    pub file: String,
    pub effective_from: NaiveDate,
    pub unit: Unit,
    pub improvement: Improvement,
    pub period: PeriodType,
    pub numerator: Term,
    pub denominator: Term,
    pub definition: Definition,
}

/// Why a metric file was refused: the file, the metric (if the problem is in one), the
/// field and what was wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{file}{}: {field}: {problem}", metric.as_ref().map(|m| format!(", metric {m}")).unwrap_or_default())]
pub struct MetricFileError {
    pub file: String,
    pub metric: Option<String>,
    pub field: String,
    pub problem: String,
}

/// Every metric in use, in file order.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricSet {
    pub metrics: Vec<Metric>,
}

impl MetricSet {
    /// The metrics shipped with onebudget, checked against the populations shipped.
    pub fn embedded(populations: &Populations) -> Result<MetricSet, MetricFileError> {
        MetricSet::parse(EMBEDDED_FILES, populations)
    }

    /// Parse and check metric files (file name, YAML text) against the populations held.
    pub fn parse(
        files: &[(&str, &str)],
        populations: &Populations,
    ) -> Result<MetricSet, MetricFileError> {
        let mut metrics = Vec::new();
        let mut ids = BTreeSet::new();
        for (file, text) in files {
            let error = |metric: Option<&str>, field: &str, problem: String| MetricFileError {
                file: (*file).to_owned(),
                metric: metric.map(str::to_owned),
                field: field.to_owned(),
                problem,
            };
            let input: FileInput = serde_yaml_ng::from_str(text)
                .map_err(|e| error(None, "(file)", format!("not a metric file: {e}")))?;
            let effective_from = parse_date("effective_from", &input.effective_from)
                .map_err(|e| error(None, "effective_from", e.problem))?;
            for m in input.metrics {
                let id = m.id.as_str();
                if !valid_id(id) {
                    return Err(error(
                        Some(id),
                        "id",
                        "a metric id is lower-case letters, digits and hyphens, like ascof-2c"
                            .to_owned(),
                    ));
                }
                if !ids.insert(m.id.clone()) {
                    return Err(error(Some(id), "id", "another metric has this id".to_owned()));
                }
                let numerator =
                    check_term(&m.numerator, populations).map_err(|(field, problem)| {
                        error(Some(id), &format!("numerator.{field}"), problem)
                    })?;
                let denominator =
                    check_term(&m.denominator, populations).map_err(|(field, problem)| {
                        error(Some(id), &format!("denominator.{field}"), problem)
                    })?;
                if let Term::Count(Count { rule, .. }) = &numerator
                    && rule.is_sum()
                    && m.unit != Unit::Days
                {
                    return Err(error(
                        Some(id),
                        "unit",
                        "a numerator that sums days is an average: its unit must be days"
                            .to_owned(),
                    ));
                }
                if let Term::Count(Count { rule, .. }) = &denominator
                    && rule.is_sum()
                {
                    return Err(error(
                        Some(id),
                        "denominator.sum",
                        "a denominator must count, not sum".to_owned(),
                    ));
                }
                if m.definition.title.trim().is_empty() || m.definition.href.trim().is_empty() {
                    return Err(error(
                        Some(id),
                        "definition",
                        "every metric cites the published definition it follows (title and href)"
                            .to_owned(),
                    ));
                }
                metrics.push(Metric {
                    id: m.id,
                    name: m.name,
                    family: input.family.clone(),
                    file: (*file).to_owned(),
                    effective_from,
                    unit: m.unit,
                    improvement: m.improvement,
                    period: m.period,
                    numerator,
                    denominator,
                    definition: m.definition,
                });
            }
        }
        Ok(MetricSet { metrics })
    }

    pub fn get(&self, id: &str) -> Option<&Metric> {
        self.metrics.iter().find(|m| m.id == id)
    }
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 60
        && id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Check one term; a problem is (field, words).
fn check_term(term: &TermInput, populations: &Populations) -> Result<Term, (String, String)> {
    let age = match term.age {
        None => AgeBand::ALL,
        Some(AgeInput { min, max }) => {
            let band = AgeBand { min: min.unwrap_or(0), max };
            if band.max.is_some_and(|max| max < band.min) {
                return Err(("age".into(), "the band's max is below its min".into()));
            }
            band
        }
    };
    match (&term.count, &term.sum, &term.population) {
        (None, None, Some(population)) => {
            if populations.get(population).is_none() {
                return Err((
                    "population".into(),
                    format!(
                        "no population {population:?} is held; the populations held are {}",
                        populations.ids().join(", ")
                    ),
                ));
            }
            if !term.filters.is_empty() || term.follow_up_days.is_some() {
                return Err(("population".into(), "a population is filtered only by age".into()));
            }
            Ok(Term::Population { population: population.clone(), age })
        }
        (Some(name), None, None) | (None, Some(name), None) => {
            let key = if term.count.is_some() { "count" } else { "sum" };
            let rule = Rule::parse(name).ok_or_else(|| {
                (
                    key.to_owned(),
                    format!(
                        "no counting rule {name:?}; the rules are {}",
                        Rule::ALL.map(Rule::as_str).join(", ")
                    ),
                )
            })?;
            if rule.is_sum() != (key == "sum") {
                return Err((
                    key.to_owned(),
                    if rule.is_sum() {
                        format!("{name} is a sum: write sum: {name}")
                    } else {
                        format!("{name} is a count: write count: {name}")
                    },
                ));
            }
            let follow_up_days = match (rule.needs_follow_up(), term.follow_up_days) {
                (true, Some(days @ 1..=366)) => Some(days),
                (true, _) => {
                    return Err((
                        "follow_up_days".into(),
                        format!(
                            "{name} needs follow_up_days, 1 to 366 (84 for ASCOF 2D, 91 for SALT)"
                        ),
                    ));
                }
                (false, Some(_)) => {
                    return Err(("follow_up_days".into(), format!("{name} has no follow-up")));
                }
                (false, None) => None,
            };
            let mut filters = Vec::new();
            for (field, values) in &term.filters {
                if !rule.filter_fields().contains(&field.as_str()) {
                    return Err((
                        format!("where.{field}"),
                        format!(
                            "{name} cannot be filtered by {field:?}, which is not a field of its \
                             events that the engine reads; it may be filtered by {}",
                            rule.filter_fields().join(", ")
                        ),
                    ));
                }
                filters
                    .push(check_filter(field, values).map_err(|p| (format!("where.{field}"), p))?);
            }
            Ok(Term::Count(Count { rule, age, filters, follow_up_days }))
        }
        _ => Err((
            "count".into(),
            "give exactly one of count (a counting rule), sum (a rule that sums) or population"
                .into(),
        )),
    }
}

fn check_filter(field: &str, values: &[String]) -> Result<Filter, String> {
    if values.is_empty() {
        return Err("list at least one value".into());
    }
    match field {
        FIELD_ACSC => match values {
            [v] if v == "Y" => Ok(Filter::Acsc(true)),
            [v] if v == "N" => Ok(Filter::Acsc(false)),
            _ => Err("ACSC is filtered by one value, Y or N".into()),
        },
        _ => values
            .iter()
            .map(|v| PrimarySupportReason::parse(field, v).map_err(|e| e.problem))
            .collect::<Result<Vec<_>, _>>()
            .map(Filter::PrimarySupportReason),
    }
}

#[cfg(test)]
mod tests;
