//! Calibrating a Resource Allocation System (RAS): fitting its price per point, or its
//! band values, to the real weekly costs of agreed support plans by least squares, and
//! reporting how well the fit explains them (R², the root mean square error, the mean
//! absolute error, every case's residual and the cases furthest off), each step
//! explained, so that a council can set its RAS from evidence and defend it.
//!
//! This module stands apart from the RAS itself (`super::ras`): it reads only
//! [`CalibrationRow`]s (a case, its needs points and the weekly cost of its agreed plan)
//! and returns a [`Fit`]. The RAS's floor and ceiling are not fitted: they are policy
//! set afterwards, so every case is fitted on its points alone.
//!
//! The arithmetic, in order:
//! 1. every row is checked: a case id, once only, and a cost that is not negative.
//! 2. a price per point is least squares through the origin,
//!    `price = Σ(points × cost) ÷ Σ(points²)`, summed exactly in `i128` pence and rounded
//!    once to a penny (half away from zero). Bands, a step function, are fitted by each
//!    band's mean cost, which is what least squares gives a step; each mean is rounded
//!    once to a penny the same way. A band with no cases is refused, naming it: the RAS
//!    needs a value for every band, and there is no evidence to give it one.
//! 3. each case's residual is `actual − fitted`, in pence.
//! 4. the statistics: sums of squares are exact integers (pence²); only R², a ratio, is
//!    a float. The RMSE and the mean absolute error are money, rounded to a penny.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use crate::money::{Money, MoneyError, Rounding, round_div};

/// One agreed support plan: a case, its needs points and the weekly cost of the plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CalibrationRow {
    pub case: String,
    pub points: u32,
    pub weekly_cost: Money,
}

/// What to fit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Method {
    /// One price per point: a weekly budget of points × price.
    PricePerPoint,
    /// Bands of points, each with one weekly value. Band `i` covers
    /// `[lower_bounds[i], lower_bounds[i + 1])`; the last has no upper end. The bounds
    /// start at 0 and strictly increase.
    Bands { lower_bounds: Vec<u32> },
}

/// The fitted values of a RAS.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum FittedValues {
    PricePerPoint { price_per_point: Money },
    Bands { bands: Vec<FittedBand> },
}

/// One fitted band: its points `[min_points, until_points)` and its weekly value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FittedBand {
    /// The band's number, from 1.
    pub band: usize,
    pub min_points: u32,
    /// The next band's first point; none for the last band.
    pub until_points: Option<u32>,
    pub cases: usize,
    pub total_cost: Money,
    /// The mean cost of the band's cases, to the nearest penny.
    pub weekly_value: Money,
}

/// One case's fit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CaseResidual {
    pub case: String,
    pub points: u32,
    pub actual: Money,
    pub fitted: Money,
    /// `actual − fitted`: positive, the plan costs more than the RAS would give.
    pub residual: Money,
}

/// One explained step of a calibration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Step {
    pub title: String,
    pub detail: String,
}

/// The result of a calibration.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Fit {
    #[serde(flatten)]
    pub values: FittedValues,
    /// The number of cases fitted.
    pub cases: usize,
    /// `1 − SS_res ÷ SS_tot`. 1 is a perfect fit; 0 is no better than giving everyone
    /// the mean cost; a price through the origin can do worse still, so it can be
    /// negative. None when every plan costs the same but the fit misses them, where the
    /// ratio has no meaning.
    pub r_squared: Option<f64>,
    /// The root mean square error, to the nearest penny.
    pub rmse: Money,
    /// The mean absolute residual, to the nearest penny.
    pub mean_absolute_error: Money,
    /// Every case, in the order given.
    pub residuals: Vec<CaseResidual>,
    /// The cases furthest off, by absolute residual, ties by case id.
    pub furthest_off: Vec<CaseResidual>,
    pub steps: Vec<Step>,
}

/// What is wrong with one row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RowProblem {
    /// The case id is empty.
    MissingCase,
    /// The case id appears on an earlier row too.
    DuplicateCase { case: String, first_row: usize },
    /// The weekly cost is below zero.
    NegativeCost { case: String, weekly_cost: Money },
}

/// Why a calibration cannot be done.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CalibrationError {
    /// There are no rows.
    NoRows,
    /// A row is wrong; `row` counts from 1 in the order given.
    Row { row: usize, problem: RowProblem },
    /// Every case has 0 points, so no price per point fits.
    AllPointsZero,
    /// The bands list no lower bounds.
    NoBands,
    /// The first band does not start at 0 points.
    FirstBandNotZero { min_points: u32 },
    /// A band starts at or below the one before it.
    BandsNotIncreasing { band: usize, min_points: u32, previous_min_points: u32 },
    /// A band has no cases, so it has no value to fit.
    EmptyBand { band: usize, min_points: u32, until_points: Option<u32> },
    /// The sums do not fit (only with absurd costs).
    Overflow(MoneyError),
}

impl From<MoneyError> for CalibrationError {
    fn from(error: MoneyError) -> Self {
        CalibrationError::Overflow(error)
    }
}

/// `10–19 points`, `40 points and over`.
fn band_range(min_points: u32, until_points: Option<u32>) -> String {
    match until_points {
        Some(until) if until == min_points.saturating_add(1) => format!("{min_points} points"),
        Some(until) => format!("{min_points}–{} points", until.saturating_sub(1)),
        None => format!("{min_points} points and over"),
    }
}

impl RowProblem {
    /// The message, with rows named by `name_row` (the CLI names file lines instead).
    fn describe(&self, name_row: &dyn Fn(usize) -> String) -> String {
        match self {
            RowProblem::MissingCase => "the case id is empty; every plan needs one".to_owned(),
            RowProblem::DuplicateCase { case, first_row } => format!(
                "case {case:?} appears again (first on {}); each agreed plan is listed once",
                name_row(*first_row)
            ),
            RowProblem::NegativeCost { case, weekly_cost } => format!(
                "case {case:?} has a negative weekly cost ({weekly_cost}); an agreed plan costs \
                 zero or more"
            ),
        }
    }
}

impl CalibrationError {
    /// The message, with rows named by `name_row`: `row 3` by default, `line 4` from a
    /// file whose rows start on its second line.
    pub fn describe(&self, name_row: &dyn Fn(usize) -> String) -> String {
        match self {
            CalibrationError::NoRows => {
                "there are no agreed support plans to fit: the input has no rows".to_owned()
            }
            CalibrationError::Row { row, problem } => {
                format!("{}: {}", name_row(*row), problem.describe(name_row))
            }
            CalibrationError::AllPointsZero => "every case has 0 points, so no price per point \
                can be fitted: at least one case needs points above 0"
                .to_owned(),
            CalibrationError::NoBands => {
                "the bands list no lower bounds; give them starting at 0, like 0,10,20,40"
                    .to_owned()
            }
            CalibrationError::FirstBandNotZero { min_points } => format!(
                "band 1 starts at {min_points} points, not 0, so cases below it would fall in no \
                 band; the first lower bound must be 0"
            ),
            CalibrationError::BandsNotIncreasing { band, min_points, previous_min_points } => {
                format!(
                    "band {band} starts at {min_points} points, not above band {}'s \
                     {previous_min_points}; lower bounds must strictly increase",
                    band.saturating_sub(1)
                )
            }
            CalibrationError::EmptyBand { band, min_points, until_points } => format!(
                "band {band} ({}) has no cases, so there is no cost to fit its value to; merge it \
                 with a neighbour or move its bounds",
                band_range(*min_points, *until_points)
            ),
            CalibrationError::Overflow(error) => format!("while fitting: {error}"),
        }
    }
}

impl fmt::Display for CalibrationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe(&|row| format!("row {row}")))
    }
}

impl std::error::Error for CalibrationError {}

/// `1090586903` as `1,090,586,903`, for the sums in the steps.
fn grouped(value: i128) -> String {
    let digits = value.unsigned_abs().to_string();
    let mut text = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if value < 0 {
        text.push('-');
    }
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            text.push(',');
        }
        text.push(digit);
    }
    text
}

fn overflow(operation: &'static str) -> CalibrationError {
    CalibrationError::Overflow(MoneyError::Overflow { operation })
}

/// Checked `a + b × c` in `i128`.
fn add_product(
    sum: i128,
    b: i128,
    c: i128,
    operation: &'static str,
) -> Result<i128, CalibrationError> {
    b.checked_mul(c).and_then(|p| sum.checked_add(p)).ok_or_else(|| overflow(operation))
}

/// Check every row: a case id, given once, and a cost of zero or more.
fn check_rows(rows: &[CalibrationRow]) -> Result<(), CalibrationError> {
    if rows.is_empty() {
        return Err(CalibrationError::NoRows);
    }
    let mut first_rows: BTreeMap<&str, usize> = BTreeMap::new();
    for (index, row) in rows.iter().enumerate() {
        let number = index + 1;
        let fail = |problem| CalibrationError::Row { row: number, problem };
        if row.case.trim().is_empty() {
            return Err(fail(RowProblem::MissingCase));
        }
        if let Some(first_row) = first_rows.get(row.case.as_str()) {
            return Err(fail(RowProblem::DuplicateCase {
                case: row.case.clone(),
                first_row: *first_row,
            }));
        }
        if row.weekly_cost.is_negative() {
            return Err(fail(RowProblem::NegativeCost {
                case: row.case.clone(),
                weekly_cost: row.weekly_cost,
            }));
        }
        first_rows.insert(row.case.as_str(), number);
    }
    Ok(())
}

/// Fit `method` to `rows` and keep the `furthest_off` cases with the largest absolute
/// residuals.
pub fn fit(
    rows: &[CalibrationRow],
    method: &Method,
    furthest_off: usize,
) -> Result<Fit, CalibrationError> {
    check_rows(rows)?;
    let mut steps = Vec::new();
    let total_points: u64 = rows.iter().map(|row| u64::from(row.points)).sum();
    let total_cost = Money::checked_sum(rows.iter().map(|row| row.weekly_cost))?;
    steps.push(Step {
        title: "The agreed support plans".to_owned(),
        detail: format!(
            "{} plans were read, with {} needs points and weekly costs of {total_cost} in \
             all.",
            grouped(i128::try_from(rows.len()).unwrap_or(i128::MAX)),
            grouped(i128::from(total_points))
        ),
    });
    let (values, fitted) = match method {
        Method::PricePerPoint => fit_price_per_point(rows, &mut steps)?,
        Method::Bands { lower_bounds } => fit_bands(rows, lower_bounds, &mut steps)?,
    };
    let residuals = rows
        .iter()
        .zip(&fitted)
        .map(|(row, fitted)| {
            Ok(CaseResidual {
                case: row.case.clone(),
                points: row.points,
                actual: row.weekly_cost,
                fitted: *fitted,
                residual: row.weekly_cost.checked_sub(*fitted)?,
            })
        })
        .collect::<Result<Vec<_>, MoneyError>>()?;
    let statistics = statistics(rows, &residuals)?;
    steps.push(Step {
        title: "Residuals".to_owned(),
        detail: "Each case's residual is its actual weekly cost minus its fitted budget: \
                 positive, the plan costs more than the RAS would give; negative, less."
            .to_owned(),
    });
    steps.push(Step {
        title: "How well it fits".to_owned(),
        detail: statistics.explanation.clone(),
    });
    let mut furthest = residuals.clone();
    furthest.sort_by(|a, b| {
        b.residual
            .pence()
            .unsigned_abs()
            .cmp(&a.residual.pence().unsigned_abs())
            .then_with(|| a.case.cmp(&b.case))
    });
    furthest.truncate(furthest_off);
    Ok(Fit {
        values,
        cases: rows.len(),
        r_squared: statistics.r_squared,
        rmse: statistics.rmse,
        mean_absolute_error: statistics.mean_absolute_error,
        residuals,
        furthest_off: furthest,
        steps,
    })
}

/// Least squares through the origin.
fn fit_price_per_point(
    rows: &[CalibrationRow],
    steps: &mut Vec<Step>,
) -> Result<(FittedValues, Vec<Money>), CalibrationError> {
    const OPERATION: &str = "the price per point";
    let mut sum_points_cost: i128 = 0;
    let mut sum_points_squared: i128 = 0;
    for row in rows {
        let points = i128::from(row.points);
        sum_points_cost =
            add_product(sum_points_cost, points, i128::from(row.weekly_cost.pence()), OPERATION)?;
        sum_points_squared = add_product(sum_points_squared, points, points, OPERATION)?;
    }
    if sum_points_squared == 0 {
        return Err(CalibrationError::AllPointsZero);
    }
    let price = Money::from_pence(round_div(
        sum_points_cost,
        sum_points_squared,
        Rounding::HalfAwayFromZero,
        OPERATION,
    )?);
    steps.push(Step {
        title: "The price per point".to_owned(),
        detail: format!(
            "A budget of points × price, with nothing for 0 points, fits best (least squares \
             through the origin) at price = Σ(points × cost) ÷ Σ(points²) = \
             {} pence·points ÷ {} points², worked out exactly \
             in whole pence and rounded once to the nearest penny, half a penny away from \
             zero: {price} a point a week. The RAS's floor and ceiling are not part of the \
             fit.",
            grouped(sum_points_cost),
            grouped(sum_points_squared)
        ),
    });
    steps.push(Step {
        title: "Fitted budgets".to_owned(),
        detail: format!("Each case's fitted budget is its points × {price}."),
    });
    let fitted = rows
        .iter()
        .map(|row| price.checked_mul(i64::from(row.points)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((FittedValues::PricePerPoint { price_per_point: price }, fitted))
}

/// Each band's mean cost, the least-squares fit of a step function.
fn fit_bands(
    rows: &[CalibrationRow],
    lower_bounds: &[u32],
    steps: &mut Vec<Step>,
) -> Result<(FittedValues, Vec<Money>), CalibrationError> {
    let Some(&first) = lower_bounds.first() else {
        return Err(CalibrationError::NoBands);
    };
    if first != 0 {
        return Err(CalibrationError::FirstBandNotZero { min_points: first });
    }
    for (index, pair) in lower_bounds.windows(2).enumerate() {
        if let [previous, next] = pair
            && next <= previous
        {
            return Err(CalibrationError::BandsNotIncreasing {
                band: index + 2,
                min_points: *next,
                previous_min_points: *previous,
            });
        }
    }
    // The band of each row: the last lower bound at or below its points (there is one,
    // as the first bound is 0).
    let band_of =
        |points: u32| lower_bounds.partition_point(|&bound| bound <= points).saturating_sub(1);
    let mut counts = vec![0_usize; lower_bounds.len()];
    let mut totals = vec![Money::ZERO; lower_bounds.len()];
    for row in rows {
        let band = band_of(row.points);
        if let (Some(count), Some(total)) = (counts.get_mut(band), totals.get_mut(band)) {
            *count += 1;
            *total = total.checked_add(row.weekly_cost)?;
        }
    }
    let ranges = lower_bounds
        .iter()
        .enumerate()
        .map(|(index, &min)| band_range(min, lower_bounds.get(index + 1).copied()))
        .collect::<Vec<_>>();
    steps.push(Step {
        title: "The bands".to_owned(),
        detail: format!(
            "{} bands: {}. Each case falls in the band its points reach.",
            lower_bounds.len(),
            ranges
                .iter()
                .enumerate()
                .map(|(index, range)| format!("band {} is {range}", index + 1))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    });
    let mut bands = Vec::with_capacity(lower_bounds.len());
    let mut explained = Vec::with_capacity(lower_bounds.len());
    for (index, ((&min_points, &cases), &total_cost)) in
        lower_bounds.iter().zip(&counts).zip(&totals).enumerate()
    {
        let until_points = lower_bounds.get(index + 1).copied();
        if cases == 0 {
            return Err(CalibrationError::EmptyBand { band: index + 1, min_points, until_points });
        }
        let count = i128::try_from(cases).map_err(|_| overflow("a band's mean cost"))?;
        let weekly_value = Money::from_pence(round_div(
            i128::from(total_cost.pence()),
            count,
            Rounding::HalfAwayFromZero,
            "a band's mean cost",
        )?);
        explained.push(format!(
            "band {} ({}): {cases} cases costing {total_cost}, ÷ {cases} = {weekly_value}",
            index + 1,
            band_range(min_points, until_points)
        ));
        bands.push(FittedBand {
            band: index + 1,
            min_points,
            until_points,
            cases,
            total_cost,
            weekly_value,
        });
    }
    steps.push(Step {
        title: "Each band's value".to_owned(),
        detail: format!(
            "For one value per band, least squares gives each band the mean weekly cost of \
             its cases, worked out exactly in whole pence and rounded once to the nearest \
             penny, half a penny away from zero: {}. The RAS's floor and ceiling are not part \
             of the fit.",
            explained.join("; ")
        ),
    });
    let fitted = rows
        .iter()
        .map(|row| bands.get(band_of(row.points)).map_or(Money::ZERO, |band| band.weekly_value))
        .collect();
    Ok((FittedValues::Bands { bands }, fitted))
}

struct Statistics {
    r_squared: Option<f64>,
    rmse: Money,
    mean_absolute_error: Money,
    explanation: String,
}

/// R², the RMSE and the mean absolute error, from exact integer sums of squares.
fn statistics(
    rows: &[CalibrationRow],
    residuals: &[CaseResidual],
) -> Result<Statistics, CalibrationError> {
    const OPERATION: &str = "the sums of squares";
    let n = i128::try_from(rows.len()).map_err(|_| overflow(OPERATION))?;
    let mut sum_cost: i128 = 0;
    let mut sum_cost_squared: i128 = 0;
    for row in rows {
        let cost = i128::from(row.weekly_cost.pence());
        sum_cost = sum_cost.checked_add(cost).ok_or_else(|| overflow(OPERATION))?;
        sum_cost_squared = add_product(sum_cost_squared, cost, cost, OPERATION)?;
    }
    let mut residual_squares: i128 = 0;
    let mut residual_absolute: i128 = 0;
    for case in residuals {
        let residual = i128::from(case.residual.pence());
        residual_squares = add_product(residual_squares, residual, residual, OPERATION)?;
        residual_absolute =
            residual_absolute.checked_add(residual.abs()).ok_or_else(|| overflow(OPERATION))?;
    }
    // n × SS_tot = n·Σy² − (Σy)², exactly, so the mean need not be rounded.
    let n_total_squares = n
        .checked_mul(sum_cost_squared)
        .and_then(|a| sum_cost.checked_mul(sum_cost).and_then(|b| a.checked_sub(b)))
        .ok_or_else(|| overflow(OPERATION))?;
    let r_squared = if n_total_squares == 0 {
        (residual_squares == 0).then_some(1.0)
    } else {
        // Statistics, not money: the one float.
        Some(1.0 - (residual_squares as f64) * (n as f64) / (n_total_squares as f64))
    };
    // The RMSE to the nearest penny without a float: with m = ⌊√⌊4·SS_res ÷ n⌋⌋,
    // ⌊(m + 1) ÷ 2⌋ is √(SS_res ÷ n) rounded to the nearest whole (halves up).
    let four_residual_squares =
        residual_squares.checked_mul(4).ok_or_else(|| overflow(OPERATION))?;
    let mean_four = round_div(four_residual_squares, n, Rounding::TowardZero, "the RMSE")?;
    let root = mean_four.isqrt();
    let rmse =
        Money::from_pence(round_div(i128::from(root) + 1, 2, Rounding::TowardZero, "the RMSE")?);
    let mean_absolute_error = Money::from_pence(round_div(
        residual_absolute,
        n,
        Rounding::HalfAwayFromZero,
        "the mean absolute error",
    )?);
    let total_squares = round_div(n_total_squares, n, Rounding::HalfAwayFromZero, OPERATION)?;
    let mean_cost =
        Money::from_pence(round_div(sum_cost, n, Rounding::HalfAwayFromZero, "the mean cost")?);
    let r_squared_text = match r_squared {
        Some(value) if n_total_squares == 0 => {
            format!("every plan costs the same and the fit matches them all, so R² is {value:.4}")
        }
        Some(value) => format!(
            "R² = 1 − SS_res ÷ SS_tot = 1 − {} ÷ {} = {value:.4}, \
             where SS_res is the sum of the squared residuals and SS_tot the sum of the squared \
             differences between each cost and the mean cost, {mean_cost} (both in pence², \
             SS_tot to the nearest whole)",
            grouped(residual_squares),
            grouped(i128::from(total_squares))
        ),
        None => {
            "every plan costs the same but the fit misses them, so R² has no meaning".to_owned()
        }
    };
    let explanation = format!(
        "{r_squared_text}. The root mean square error is √(SS_res ÷ {n}) = {rmse} and the mean \
         absolute error is Σ|residual| ÷ {n} = {mean_absolute_error}, each to the nearest penny."
    );
    Ok(Statistics { r_squared, rmse, mean_absolute_error, explanation })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;
    use proptest::prelude::*;

    fn row(case: &str, points: u32, pence: i64) -> CalibrationRow {
        CalibrationRow { case: case.to_owned(), points, weekly_cost: Money::from_pence(pence) }
    }

    fn price(fit: &Fit) -> Money {
        match &fit.values {
            FittedValues::PricePerPoint { price_per_point } => *price_per_point,
            FittedValues::Bands { .. } => Money::ZERO,
        }
    }

    fn bands(fit: &Fit) -> Vec<FittedBand> {
        match &fit.values {
            FittedValues::Bands { bands } => bands.clone(),
            FittedValues::PricePerPoint { .. } => Vec::new(),
        }
    }

    fn order(residuals: &[CaseResidual]) -> Vec<(&str, i64)> {
        residuals.iter().map(|r| (r.case.as_str(), r.residual.pence())).collect()
    }

    #[test]
    fn a_price_per_point_worked_by_hand() {
        // Points 10, 20, 30; costs £100, £210, £290.
        // Σ(x·y) = 10·10000 + 20·21000 + 30·29000 = 1,390,000 pence·points
        // Σ(x²)  = 100 + 400 + 900 = 1,400 points²
        // price  = 1,390,000 ÷ 1,400 = 992.857… pence → £9.93
        // fitted = £99.30, £198.60, £297.90; residuals = +70p, +1140p, −790p
        // SS_res = 70² + 1140² + 790² = 4,900 + 1,299,600 + 624,100 = 1,928,600
        // mean   = 20,000p; SS_tot = 10000² + 1000² + 9000² = 182,000,000
        // R²     = 1 − 1,928,600 ÷ 182,000,000 = 0.98940…
        // RMSE   = √(1,928,600 ÷ 3) = √642,866.7 = 801.79… → 802p
        // MAE    = (70 + 1140 + 790) ÷ 3 = 666.67 → 667p
        let rows = [row("A", 10, 10_000), row("B", 20, 21_000), row("C", 30, 29_000)];
        let fit = fit(&rows, &Method::PricePerPoint, 2).unwrap();
        assert_eq!(price(&fit), Money::from_pence(993));
        assert_eq!(fit.cases, 3);
        assert_eq!(order(&fit.residuals), [("A", 70), ("B", 1_140), ("C", -790)]);
        assert_eq!(fit.residuals[2].fitted, Money::from_pence(29_790));
        let r_squared = fit.r_squared.unwrap();
        assert!((r_squared - (1.0 - 1_928_600.0 / 182_000_000.0)).abs() < 1e-12);
        assert!((r_squared - 0.989_403).abs() < 1e-6);
        assert_eq!(fit.rmse, Money::from_pence(802));
        assert_eq!(fit.mean_absolute_error, Money::from_pence(667));
        assert_eq!(order(&fit.furthest_off), [("B", 1_140), ("C", -790)]);
        let detail = &fit.steps[1].detail;
        assert!(detail.contains("1,390,000 pence·points ÷ 1,400 points²"), "{detail}");
        assert!(detail.contains("£9.93"), "{detail}");
        assert!(fit.steps[4].detail.contains("1 − 1,928,600 ÷ 182,000,000 = 0.9894"));
    }

    #[test]
    fn bands_worked_by_hand() {
        // Bands 0–9, 10–19, 20+.
        // band 1: A £50.00, B £61.00 → 11,100 ÷ 2 = 5,550p; residuals −550, +550
        // band 2: C £150.00, D £155.00, E £160.01 → 46,501 ÷ 3 = 15,500.33 → 15,500p;
        //         residuals −500, 0, +501
        // band 3: F £400.00 → 40,000p; residual 0
        // SS_res = 2·550² + 500² + 501² = 605,000 + 250,000 + 251,001 = 1,106,001
        // Σy = 97,601; Σy² = 2,383,492,001; n·SS_tot = 6·Σy² − (Σy)²
        //    = 14,300,952,006 − 9,525,955,201 = 4,774,996,805
        // R² = 1 − 6·1,106,001 ÷ 4,774,996,805 = 0.99861…
        // RMSE = √(1,106,001 ÷ 6) = √184,333.5 = 429.34… → 429p
        // MAE = (550 + 550 + 500 + 0 + 501 + 0) ÷ 6 = 350.17 → 350p
        let rows = [
            row("A", 5, 5_000),
            row("B", 8, 6_100),
            row("C", 12, 15_000),
            row("D", 15, 15_500),
            row("E", 19, 16_001),
            row("F", 25, 40_000),
        ];
        let method = Method::Bands { lower_bounds: vec![0, 10, 20] };
        let fit = fit(&rows, &method, 10).unwrap();
        let values: Vec<(u32, Option<u32>, usize, i64)> = bands(&fit)
            .iter()
            .map(|b| (b.min_points, b.until_points, b.cases, b.weekly_value.pence()))
            .collect();
        assert_eq!(
            values,
            [(0, Some(10), 2, 5_550), (10, Some(20), 3, 15_500), (20, None, 1, 40_000)]
        );
        let r_squared = fit.r_squared.unwrap();
        assert!((r_squared - (1.0 - 6_636_006.0 / 4_774_996_805.0)).abs() < 1e-12);
        assert!((r_squared - 0.998_610).abs() < 1e-6);
        assert_eq!(fit.rmse, Money::from_pence(429));
        assert_eq!(fit.mean_absolute_error, Money::from_pence(350));
        // Ties (A and B, 550p each way) by case id.
        assert_eq!(
            order(&fit.furthest_off),
            [("A", -550), ("B", 550), ("E", 501), ("C", -500), ("D", 0), ("F", 0)]
        );
        let detail = &fit.steps[2].detail;
        assert!(detail.contains("band 2 (10–19 points): 3 cases costing £465.01, ÷ 3 = £155.00"));
        assert!(fit.steps[1].detail.contains("band 3 is 20 points and over"));
    }

    #[test]
    fn half_a_penny_goes_away_from_zero() {
        // 2 points costing 1p: 2 ÷ 4 = 0.5p → 1p.
        let fit = fit(&[row("A", 2, 1)], &Method::PricePerPoint, 1).unwrap();
        assert_eq!(price(&fit), Money::from_pence(1));
        // Residual 1 − 2 = −1p; every plan costs the same but the fit misses it.
        assert_eq!(fit.r_squared, None);
        assert_eq!(fit.rmse, Money::from_pence(1));
    }

    #[test]
    fn the_rmse_rounds_to_the_nearest_penny() {
        // Points 1 and 1, costs 1p and 4p: price = 5 ÷ 2 = 2.5 → 3p; residuals −2p, +1p.
        // RMSE = √((4 + 1) ÷ 2) = √2.5 = 1.58… → 2p.
        let first = fit(&[row("A", 1, 1), row("B", 1, 4)], &Method::PricePerPoint, 0).unwrap();
        assert_eq!(price(&first), Money::from_pence(3));
        assert_eq!(first.rmse, Money::from_pence(2));
        assert!(first.furthest_off.is_empty());
        // Points 1 and 1, costs 0p and 3p: price = 3 ÷ 2 = 1.5 → 2p; residuals −2p, +1p
        // again. Costs 0p and 2p: price 1p, residuals −1p, +1p: RMSE √1 = 1p exactly.
        let second = fit(&[row("A", 1, 0), row("B", 1, 2)], &Method::PricePerPoint, 0).unwrap();
        assert_eq!(second.rmse, Money::from_pence(1));
        // Residuals of 1.5p on average squared (√2.25 = 1.5p exactly) round up to 2p:
        // points 1, 1, 1, 1 and costs 0, 0, 3, 3: price 1.5 → 2p; residuals −2, −2, +1, +1;
        // SS_res = 10, ÷ 4 = 2.5 → 1.58 → 2p.
        let third = fit(
            &[row("A", 1, 0), row("B", 1, 0), row("C", 1, 3), row("D", 1, 3)],
            &Method::PricePerPoint,
            0,
        )
        .unwrap();
        assert_eq!(third.rmse, Money::from_pence(2));
    }

    #[test]
    fn refusals_name_the_row_or_band() {
        let message = |rows: &[CalibrationRow], method: &Method| {
            fit(rows, method, 5).map(|_| ()).unwrap_err().to_string()
        };
        let price = Method::PricePerPoint;
        assert_eq!(
            message(&[], &price),
            "there are no agreed support plans to fit: the input has no rows"
        );
        assert_eq!(
            message(&[row("A", 1, 100), row("B", 2, 100), row("A", 3, 100)], &price),
            "row 3: case \"A\" appears again (first on row 1); each agreed plan is listed once"
        );
        assert_eq!(
            message(&[row("A", 1, 100), row("B", 2, -5)], &price),
            "row 2: case \"B\" has a negative weekly cost (-£0.05); an agreed plan costs zero or more"
        );
        assert_eq!(
            message(&[row(" ", 1, 100)], &price),
            "row 1: the case id is empty; every plan needs one"
        );
        assert_eq!(
            message(&[row("A", 0, 100), row("B", 0, 200)], &price),
            "every case has 0 points, so no price per point can be fitted: at least one case \
             needs points above 0"
        );
        let rows = [row("A", 5, 100), row("B", 50, 200)];
        let bands = |lower_bounds: Vec<u32>| Method::Bands { lower_bounds };
        assert_eq!(
            message(&rows, &bands(vec![])),
            "the bands list no lower bounds; give them starting at 0, like 0,10,20,40"
        );
        assert_eq!(
            message(&rows, &bands(vec![5, 10])),
            "band 1 starts at 5 points, not 0, so cases below it would fall in no band; the \
             first lower bound must be 0"
        );
        assert_eq!(
            message(&rows, &bands(vec![0, 10, 10])),
            "band 3 starts at 10 points, not above band 2's 10; lower bounds must strictly increase"
        );
        assert_eq!(
            message(&rows, &bands(vec![0, 10, 20, 40])),
            "band 2 (10–19 points) has no cases, so there is no cost to fit its value to; merge \
             it with a neighbour or move its bounds"
        );
        assert_eq!(
            message(&rows, &bands(vec![0, 10, 60])),
            "band 3 (60 points and over) has no cases, so there is no cost to fit its value to; merge \
             it with a neighbour or move its bounds"
        );
        let error = fit(&[row("A", 1, 1), row("A", 2, 1)], &price, 1).unwrap_err();
        assert_eq!(
            error.describe(&|row| format!("line {}", row + 1)),
            "line 3: case \"A\" appears again (first on line 2); each agreed plan is listed once"
        );
    }

    #[test]
    fn absurd_costs_are_refused_not_wrapped() {
        let rows = [row("A", u32::MAX, i64::MAX), row("B", u32::MAX, i64::MAX)];
        let error = fit(&rows, &Method::PricePerPoint, 1).unwrap_err();
        assert!(matches!(error, CalibrationError::Overflow(_)), "{error}");
    }

    #[test]
    fn the_json_names_the_method() {
        let fit = fit(&[row("A", 2, 1_000)], &Method::PricePerPoint, 1).unwrap();
        let json = serde_json::to_value(&fit).unwrap();
        assert_eq!(json["method"], "price_per_point");
        assert_eq!(json["price_per_point"], "5.00");
        assert_eq!(json["rmse"], "0.00");
        assert_eq!(json["furthest_off"][0]["case"], "A");
    }

    /// The sum of squared residuals at a price.
    fn squares_at(rows: &[CalibrationRow], price: i64) -> i128 {
        rows.iter()
            .map(|r| {
                let residual =
                    i128::from(r.weekly_cost.pence()) - i128::from(r.points) * i128::from(price);
                residual * residual
            })
            .sum()
    }

    fn plans() -> impl Strategy<Value = Vec<(u32, i64)>> {
        prop::collection::vec((0_u32..200, 0_i64..2_000_000), 1..60)
    }

    fn rows_of(plans: &[(u32, i64)]) -> Vec<CalibrationRow> {
        plans
            .iter()
            .enumerate()
            .map(|(i, &(points, pence))| row(&format!("C{i:03}"), points, pence))
            .collect()
    }

    proptest! {
        #[test]
        fn an_exact_price_is_found_exactly(points in prop::collection::vec(0_u32..200, 1..60), price in 0_i64..100_000) {
            prop_assume!(points.iter().any(|&p| p > 0));
            let rows = rows_of(&points.iter().map(|&p| (p, i64::from(p) * price)).collect::<Vec<_>>());
            let fit = fit(&rows, &Method::PricePerPoint, 3).unwrap();
            prop_assert_eq!(super::tests::price(&fit), Money::from_pence(price));
            prop_assert_eq!(fit.r_squared, Some(1.0));
            prop_assert_eq!(fit.rmse, Money::ZERO);
            prop_assert!(fit.residuals.iter().all(|r| r.residual.is_zero()));
        }

        #[test]
        fn exact_band_values_are_found_exactly(values in prop::collection::vec(0_i64..500_000, 1..6), cases in prop::collection::vec((0_u32..100, 0_usize..6), 0..40)) {
            // Bands every 20 points; each case costs its band's value.
            let lower_bounds: Vec<u32> = (0..values.len()).map(|i| u32::try_from(i).unwrap() * 20).collect();
            let mut plans: Vec<(u32, i64)> = lower_bounds.iter().zip(&values).map(|(&b, &v)| (b, v)).collect();
            for (offset, band) in cases {
                let band = band % values.len();
                plans.push((lower_bounds[band] + offset % 20, values[band]));
            }
            let rows = rows_of(&plans);
            let fit = fit(&rows, &Method::Bands { lower_bounds }, 3).unwrap();
            let fitted: Vec<i64> = bands(&fit).iter().map(|b| b.weekly_value.pence()).collect();
            prop_assert_eq!(fitted, values);
            prop_assert_eq!(fit.r_squared, Some(1.0));
            prop_assert!(fit.residuals.iter().all(|r| r.residual.is_zero()));
        }

        #[test]
        fn no_neighbouring_penny_fits_better(plans in plans()) {
            prop_assume!(plans.iter().any(|&(p, _)| p > 0));
            let rows = rows_of(&plans);
            let fit = fit(&rows, &Method::PricePerPoint, 3).unwrap();
            let price = super::tests::price(&fit).pence();
            let at_price = squares_at(&rows, price);
            prop_assert!(at_price <= squares_at(&rows, price + 1));
            prop_assert!(at_price <= squares_at(&rows, price - 1));
            // Residuals are actual − fitted, so they sum to Σcost − Σfitted; and the
            // normal equation Σ points × residual = 0 holds to within the half-penny the
            // price was rounded by: |Σ x·r| ≤ Σx² ÷ 2.
            let residual_sum: i64 = fit.residuals.iter().map(|r| r.residual.pence()).sum();
            let cost_sum: i64 = rows.iter().map(|r| r.weekly_cost.pence()).sum();
            let fitted_sum: i64 = fit.residuals.iter().map(|r| r.fitted.pence()).sum();
            prop_assert_eq!(residual_sum, cost_sum - fitted_sum);
            let weighted: i128 = fit.residuals.iter().map(|r| i128::from(r.points) * i128::from(r.residual.pence())).sum();
            let squares: i128 = rows.iter().map(|r| i128::from(r.points) * i128::from(r.points)).sum();
            prop_assert!(weighted.abs() * 2 <= squares);
        }

        #[test]
        fn each_band_is_its_mean(plans in plans()) {
            let rows = rows_of(&plans);
            let lower_bounds = vec![0, 50, 100, 150];
            let used: Vec<u32> = lower_bounds.iter().copied().filter(|&b| rows.iter().any(|r| r.points >= b && r.points < b + 50)).collect();
            prop_assume!(used.len() == lower_bounds.len());
            let fit = fit(&rows, &Method::Bands { lower_bounds }, 3).unwrap();
            for band in bands(&fit) {
                // Within a band the residuals sum to n × (mean − value), and the value is
                // the mean to within half a penny: |Σ r| ≤ n ÷ 2.
                let in_band: Vec<&CaseResidual> = fit.residuals.iter().filter(|r| r.points >= band.min_points && band.until_points.is_none_or(|u| r.points < u)).collect();
                prop_assert_eq!(in_band.len(), band.cases);
                let sum: i64 = in_band.iter().map(|r| r.residual.pence()).sum();
                prop_assert!(sum.unsigned_abs() * 2 <= u64::try_from(band.cases).unwrap());
                prop_assert!(in_band.iter().all(|r| r.fitted == band.weekly_value));
            }
            let r_squared = fit.r_squared.unwrap_or(1.0);
            prop_assert!(r_squared <= 1.0 + 1e-12);
        }

        #[test]
        fn the_furthest_off_are_the_largest_residuals(plans in plans(), show in 0_usize..10) {
            prop_assume!(plans.iter().any(|&(p, _)| p > 0));
            let rows = rows_of(&plans);
            let fit = fit(&rows, &Method::PricePerPoint, show).unwrap();
            prop_assert_eq!(fit.furthest_off.len(), show.min(rows.len()));
            let smallest_shown = fit.furthest_off.iter().map(|r| r.residual.pence().unsigned_abs()).min();
            if let Some(smallest) = smallest_shown {
                let larger_left_out = fit.residuals.iter().filter(|r| !fit.furthest_off.contains(r)).any(|r| r.residual.pence().unsigned_abs() > smallest);
                prop_assert!(!larger_left_out);
            }
        }
    }
}
