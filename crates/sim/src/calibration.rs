//! The demo's calibration dataset: a deterministic set of agreed support plans for the
//! synthetic borough of Ashby Vale, each a case, its needs points and the weekly cost the
//! council agreed, for `onebudget ras calibrate` (see `onebudget_core::budget::calibrate`).
//!
//! The plans are synthetic. Points spread over 0–120, more people with low and moderate
//! needs than high; a plan costs about £6.80 a point plus noise that grows with the plan;
//! a few outliers cost far more than their points say (very high needs with two-to-one
//! care, or a night service), as real councils see. The same seed gives the same plans,
//! and the committed file `policy/budgets/calibration/ashby-vale-plans.csv` is checked
//! against [`generate`] so that it cannot drift.

use onebudget_core::Money;
use onebudget_core::budget::calibrate::CalibrationRow;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The seed of the committed dataset.
pub const ASHBY_VALE_SEED: u64 = 2026;
/// The number of plans in the committed dataset.
pub const ASHBY_VALE_PLANS: usize = 600;
/// The weekly cost of a point the plans are built around, in pence (£6.80).
pub const TRUE_PRICE_PER_POINT_PENCE: i64 = 680;

/// `plans` agreed support plans from `seed`.
pub fn generate(plans: usize, seed: u64) -> Vec<CalibrationRow> {
    let mut rng = StdRng::seed_from_u64(seed);
    (1..=plans).map(|number| plan(&mut rng, number)).collect()
}

fn plan(rng: &mut StdRng, number: usize) -> CalibrationRow {
    // The smaller of two uniform draws: most people have low or moderate needs.
    let points: u32 = rng.random_range(0..=120).min(rng.random_range(0..=120));
    let base = i64::from(points) * TRUE_PRICE_PER_POINT_PENCE;
    // Noise of up to ±(£15 + 12% of the plan), the sum of two draws so that small
    // differences are commoner than large ones.
    let spread = 1_500 + base * 12 / 100;
    let noise = rng.random_range(-spread..=spread) / 2 + rng.random_range(-spread..=spread) / 2;
    let mut pence = base + noise;
    let outlier = rng.random_range(0..1_000);
    if points >= 90 && outlier < 150 {
        // Very high needs with two-to-one care: twice to three times the points' cost.
        pence = pence * rng.random_range(200..=300) / 100;
    } else if outlier < 10 {
        // A night service or a specialist placement the points do not capture.
        pence += rng.random_range(40_000..=90_000);
    }
    CalibrationRow {
        case: format!("AV-{number:04}"),
        points,
        weekly_cost: Money::from_pence(pence.max(0)),
    }
}

/// The plans as CSV with the header `case,points,weekly_cost`, costs in pounds and pence.
/// Case ids are `AV-NNNN`, so no cell needs quoting.
pub fn to_csv(rows: &[CalibrationRow]) -> String {
    let mut text = String::from("case,points,weekly_cost\n");
    for row in rows {
        text.push_str(&format!(
            "{},{},{}\n",
            row.case,
            row.points,
            row.weekly_cost.to_plain_string()
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]

    use super::*;
    use std::path::PathBuf;

    fn committed_path() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../policy/budgets/calibration/ashby-vale-plans.csv")
    }

    /// The committed file is the generator's output. To write it again after changing the
    /// generator: `ONEBUDGET_WRITE_CALIBRATION=1 cargo test -p onebudget-sim calibration`.
    #[test]
    fn the_committed_dataset_is_the_generators_output() {
        let expected = to_csv(&generate(ASHBY_VALE_PLANS, ASHBY_VALE_SEED));
        let path = committed_path();
        if std::env::var_os("ONEBUDGET_WRITE_CALIBRATION").is_some() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &expected).unwrap();
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "cannot read {}: {e}; write it with ONEBUDGET_WRITE_CALIBRATION=1",
                path.display()
            )
        });
        assert!(
            committed == expected,
            "{} differs from the generator's output; if the generator changed on purpose, \
             write it again with ONEBUDGET_WRITE_CALIBRATION=1 cargo test -p onebudget-sim calibration",
            path.display()
        );
    }

    #[test]
    fn the_same_seed_gives_the_same_plans() {
        assert_eq!(generate(50, 7), generate(50, 7));
        assert_ne!(generate(50, 7), generate(50, 8));
    }

    #[test]
    fn the_plans_look_like_a_council_caseload() {
        let rows = generate(ASHBY_VALE_PLANS, ASHBY_VALE_SEED);
        assert_eq!(rows.len(), ASHBY_VALE_PLANS);
        assert!(rows.iter().all(|r| r.points <= 120 && !r.weekly_cost.is_negative()));
        let high = rows.iter().filter(|r| r.points >= 90).count();
        let low = rows.iter().filter(|r| r.points < 30).count();
        assert!(low > high * 3, "{low} low-needs plans, {high} high-needs");
        // Some outliers: plans costing more than double their points at £6.80.
        let outliers = rows
            .iter()
            .filter(|r| {
                r.weekly_cost.pence()
                    > 2 * i64::from(r.points) * TRUE_PRICE_PER_POINT_PENCE + 20_000
            })
            .count();
        assert!((3..=30).contains(&outliers), "{outliers} outliers");
    }
}
