//! Statistical disclosure control for what a commissioner sees: NHS England's rule for
//! Hospital Episode Statistics and the Emergency Care Data Set below national level, in
//! force since September 2018 (NHS Digital, "Change to disclosure control methodology for
//! HES and ECDS from September 2018",
//! <https://digital.nhs.uk/data-and-information/data-tools-and-services/data-services/hospital-episode-statistics/change-to-disclosure-control-methodology-for-hes-and-ecds-from-september-2018>;
//! written out in NHS Digital's DQMI "Suppression rules": "Values between one and 7
//! replaced with an asterisk." … "All remaining integer values are rounded to the nearest
//! five."):
//!
//! - a count of 1 to 7 is shown as `*`; 0 is shown as 0;
//! - every other count is rounded to the nearest 5;
//! - a rate, share or average is not shown (`*`) when a count it is made from is 1 to 7
//!   ("where the number of values used is between 1 and 7 inclusive, no calculation is
//!   made and a '*' is displayed"); otherwise it is computed from the unrounded counts.
//!
//! A population denominator is ONS's published estimate, not a count of people in the
//! events, and is shown as published.
//!
//! DHSC's own rule for adult social care (CLD, ASCOF) was not found; the HES rule is
//! applied to every metric, social care included, as the stricter choice.

use serde::Serialize;

/// The largest count that is suppressed.
pub const SUPPRESS_UP_TO: u64 = 7;
/// Counts above [`SUPPRESS_UP_TO`] are rounded to a multiple of this.
pub const ROUND_TO: u64 = 5;

/// A count as shown: suppressed, or rounded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Shown {
    /// Shown as the number.
    Count(u64),
    /// Shown as "*".
    #[serde(serialize_with = "star")]
    Suppressed,
}

fn star<S: serde::Serializer>(serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str("*")
}

impl std::fmt::Display for Shown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Shown::Count(n) => write!(f, "{n}"),
            Shown::Suppressed => f.write_str("*"),
        }
    }
}

/// Whether a count is small enough to identify someone: 1 to 7.
pub fn is_small(count: u64) -> bool {
    (1..=SUPPRESS_UP_TO).contains(&count)
}

/// A count as a commissioner sees it: 0 as 0, 1-7 as `*`, others to the nearest 5.
pub fn protect(count: u64) -> Shown {
    if is_small(count) {
        return Shown::Suppressed;
    }
    let remainder = count % ROUND_TO;
    // 0-2 round down, 3-4 up (5 is odd, so there are no halves).
    let down = count - remainder;
    Shown::Count(if remainder * 2 > ROUND_TO { down + ROUND_TO } else { down })
}

/// A rate, share or average as shown: the number, or "*".
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ShownValue {
    Value(f64),
    #[serde(serialize_with = "star")]
    Suppressed,
}

impl std::fmt::Display for ShownValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ShownValue::Value(v) => write!(f, "{v:.1}"),
            ShownValue::Suppressed => f.write_str("*"),
        }
    }
}

/// One metric's value for one period as a commissioner sees it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProtectedValue {
    pub metric: String,
    pub period: super::engine::Period,
    pub numerator: Shown,
    pub denominator: Shown,
    /// `None` when the denominator is 0 (nothing to divide by).
    pub value: Option<ShownValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub population: Option<super::engine::PopulationUsed>,
}

/// Apply the rule to a value. A population denominator is shown as published; a counted
/// one is protected like any count. The value is suppressed when either count it is made
/// from is 1 to 7; a sum of days (an average's numerator) is suppressed with its count.
pub fn protect_value(value: &super::engine::MetricValue, metric: &super::Metric) -> ProtectedValue {
    let numerator_sums = matches!(&metric.numerator, super::Term::Count(c) if c.rule.is_sum());
    let denominator_counted = value.population.is_none();
    let small_numerator = !numerator_sums && is_small(value.numerator);
    let small_denominator = denominator_counted && is_small(value.denominator);
    let numerator = if small_denominator { Shown::Suppressed } else { protect(value.numerator) };
    let denominator = if denominator_counted {
        protect(value.denominator)
    } else {
        Shown::Count(value.denominator)
    };
    let shown = value.value.map(|v| {
        if small_numerator || small_denominator {
            ShownValue::Suppressed
        } else {
            ShownValue::Value(v)
        }
    });
    ProtectedValue {
        metric: value.metric.clone(),
        period: value.period.clone(),
        numerator,
        denominator,
        value: shown,
        population: value.population.clone(),
    }
}
