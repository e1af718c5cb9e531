//! The Resource Allocation System: a stream's points to an indicative weekly budget, by a
//! price per point or by bands, then held between a floor and a ceiling.
//!
//! The indicative budget is where support planning starts, not what the person gets: the
//! agreed amount is set on the plan, with a reason when it differs.

use serde::{Deserialize, Serialize};

use crate::money::{Money, MoneyError};

use super::config::{Ras, RasMethod};

/// Whether the floor or the ceiling changed the amount.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Clamp {
    None,
    Floor,
    Ceiling,
}

/// A RAS result: the points counted, the amount before and after the floor and ceiling.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Indicative {
    pub points: u32,
    pub before_limits: Money,
    pub weekly: Money,
    pub clamp: Clamp,
}

/// The indicative weekly budget for `points` under `ras`. Exact: a price per point is
/// multiplied, a band is looked up; nothing is rounded.
pub fn indicative(ras: &Ras, points: u32) -> Result<Indicative, MoneyError> {
    let before_limits = match &ras.method {
        RasMethod::PricePerPoint(price) => price.checked_mul(i64::from(points))?,
        RasMethod::Bands(bands) => bands
            .iter()
            .rev()
            .find(|(min_points, _)| *min_points <= points)
            .map_or(Money::ZERO, |(_, weekly)| *weekly),
    };
    let (weekly, clamp) = if before_limits < ras.floor {
        (ras.floor, Clamp::Floor)
    } else if before_limits > ras.ceiling {
        (ras.ceiling, Clamp::Ceiling)
    } else {
        (before_limits, Clamp::None)
    };
    Ok(Indicative { points, before_limits, weekly, clamp })
}

/// The steps of [`indicative`] in words.
pub fn explain(stream: &str, ras: &Ras, result: &Indicative) -> Vec<String> {
    let counted =
        if ras.domains.is_empty() { "all domains".to_owned() } else { ras.domains.join(", ") };
    let mut steps = vec![format!(
        "{stream}: {} points from {counted} (RAS from {}, {})",
        result.points, ras.effective_from, ras.reference.title
    )];
    steps.push(match &ras.method {
        RasMethod::PricePerPoint(price) => {
            format!("{} points × {price} a point = {} a week", result.points, result.before_limits)
        }
        RasMethod::Bands(bands) => {
            let band = bands.iter().rev().find(|(min, _)| *min <= result.points);
            match band {
                Some((min, weekly)) => format!(
                    "{} points fall in the band from {min} points: {weekly} a week",
                    result.points
                ),
                None => format!("{} points fall below every band: £0.00", result.points),
            }
        }
    });
    steps.push(match result.clamp {
        Clamp::None => format!(
            "within the floor {} and the ceiling {}: indicative budget {} a week",
            ras.floor, ras.ceiling, result.weekly
        ),
        Clamp::Floor => {
            format!("raised to the floor: indicative budget {} a week", result.weekly)
        }
        Clamp::Ceiling => format!(
            "held at the ceiling: indicative budget {} a week (a higher budget needs a \
             panel decision recorded as the agreed amount's reason)",
            result.weekly
        ),
    });
    steps
}
