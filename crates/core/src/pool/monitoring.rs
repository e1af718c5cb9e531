//! Monitoring a pool through its year: for each month and scheme the budget, the actual
//! spending (from the ledger), commitments, a forecast outturn by a stated method, and the
//! variance by scheme and by partner (what each partner would bear under the risk share if
//! the year ended as forecast). The board's monthly report is this, rendered.
//!
//! Forecast methods, per scheme ([`ForecastMethod`]):
//! - `profile` (the default): the actual so far, plus the budget of the months left.
//! - `run_rate`: the actual so far × 12 ÷ the months elapsed, to the nearest penny.
//! - `entered`: an amount a finance officer entered, with their reason.
//!
//! Commitments (orders placed, not yet paid) are shown beside the forecast; the `profile`
//! and `run_rate` forecasts never fall below actual plus commitments.

use serde::Serialize;

use super::figures::YearFigures;
use super::settlement::{Step, shares};
use super::{Agreement, MONTHS, PoolError, PoolKind, ShareRule, UnderspendRule};
use crate::money::{Money, Rounding};

/// How a scheme's outturn is forecast.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ForecastMethod {
    Profile,
    RunRate,
    Entered,
}

impl ForecastMethod {
    pub const ALL: [ForecastMethod; 3] =
        [ForecastMethod::Profile, ForecastMethod::RunRate, ForecastMethod::Entered];
    pub fn as_str(self) -> &'static str {
        match self {
            ForecastMethod::Profile => "profile",
            ForecastMethod::RunRate => "run_rate",
            ForecastMethod::Entered => "entered",
        }
    }
    pub fn parse(field: &str, value: &str) -> Result<ForecastMethod, crate::field::FieldError> {
        ForecastMethod::ALL.into_iter().find(|m| m.as_str() == value.trim()).ok_or_else(|| {
            crate::field::FieldError::new(
                field,
                value,
                "must be one of: profile, run_rate, entered",
            )
        })
    }
}

/// A finance officer's choice of forecast for one scheme.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ForecastChoice {
    pub method: ForecastMethod,
    /// For `entered`: the outturn they expect.
    pub amount: Option<Money>,
    pub reason: String,
    pub entered_by: String,
}

/// One month of one scheme.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MonthLine {
    pub month: String,
    pub budget: Money,
    pub actual: Money,
}

/// One scheme's monitoring.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SchemeMonitoring {
    pub code: String,
    pub name: String,
    pub lead: String,
    pub budget: Money,
    pub months: Vec<MonthLine>,
    pub budget_to_date: Money,
    pub actual_to_date: Money,
    pub commitments: Money,
    pub forecast: Money,
    pub method: ForecastMethod,
    /// How the forecast was made, in words.
    pub method_explained: String,
    /// Forecast less budget: positive is a forecast overspend.
    pub variance: Money,
    /// Whose money paid, per partner (partner order), so far.
    pub paid_by_partner: Vec<Money>,
}

/// One partner's monitoring.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PartnerMonitoring {
    pub organisation: String,
    pub agreed: Money,
    /// What the profile says it should have paid by now.
    pub due_to_date: Money,
    pub paid_to_date: Money,
    pub minimum_contribution: Option<Money>,
    /// Whether the agreed contribution meets the Better Care Fund minimum (when one is set).
    pub minimum_met: Option<bool>,
    /// Its share of the forecast variance under the risk-share rule.
    pub forecast_share: Money,
}

/// The monitoring report as at the end of a month.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MonitoringReport {
    pub pool: String,
    pub name: String,
    pub kind: PoolKind,
    pub year: String,
    /// The last month included, e.g. `2025-09`.
    pub as_at: String,
    pub months_elapsed: usize,
    pub budget: Money,
    pub actual_to_date: Money,
    pub commitments: Money,
    pub forecast: Money,
    pub forecast_variance: Money,
    pub schemes: Vec<SchemeMonitoring>,
    pub partners: Vec<PartnerMonitoring>,
    pub steps: Vec<Step>,
}

/// Build the report for months 1 ..= `through` (1 = April). `commitments` and `forecasts`
/// are per scheme, in the agreement's order.
pub fn monitor(
    agreement: &Agreement,
    figures: &YearFigures,
    through: usize,
    commitments: &[Money],
    forecasts: &[Option<ForecastChoice>],
) -> Result<MonitoringReport, PoolError> {
    if !(1..=MONTHS).contains(&through) {
        return Err(PoolError::Internal("monitoring runs through a month from 1 to 12"));
    }
    let year = agreement.year;
    let mut schemes = Vec::with_capacity(agreement.schemes.len());
    let mut scheme_variances = Vec::with_capacity(agreement.schemes.len());
    let (mut actual_total, mut commitments_total, mut forecast_total) =
        (Money::ZERO, Money::ZERO, Money::ZERO);
    for (index, scheme) in agreement.schemes.iter().enumerate() {
        let monthly_budget = agreement.scheme_monthly_budget(scheme)?;
        let actuals = figures.spent_by_month.get(index).copied().unwrap_or([Money::ZERO; MONTHS]);
        let months: Vec<MonthLine> = (1..=MONTHS)
            .map(|month| MonthLine {
                month: year.month_label(month),
                budget: monthly_budget.get(month - 1).copied().unwrap_or_default(),
                actual: if month <= through {
                    actuals.get(month - 1).copied().unwrap_or_default()
                } else {
                    Money::ZERO
                },
            })
            .collect();
        let budget_to_date = Money::checked_sum(monthly_budget.iter().take(through).copied())?;
        let budget_left = Money::checked_sum(monthly_budget.iter().skip(through).copied())?;
        let actual_to_date = figures.scheme_spent_through(index, through);
        let committed = commitments.get(index).copied().unwrap_or_default();
        let floor = actual_to_date.checked_add(committed)?;
        let choice = forecasts.get(index).cloned().flatten();
        let (method, forecast, explained) = match &choice {
            Some(ForecastChoice {
                method: ForecastMethod::Entered,
                amount: Some(amount),
                reason,
                entered_by,
            }) => (ForecastMethod::Entered, *amount, format!("entered by {entered_by}: {reason}")),
            Some(ForecastChoice { method: ForecastMethod::RunRate, .. }) => {
                let run_rate = actual_to_date.mul_div(
                    i64::try_from(MONTHS).unwrap_or(12),
                    i64::try_from(through).unwrap_or(1),
                    Rounding::HalfAwayFromZero,
                    "a run-rate forecast",
                )?;
                let forecast = if run_rate < floor { floor } else { run_rate };
                (
                    ForecastMethod::RunRate,
                    forecast,
                    format!(
                        "run rate: actual {actual_to_date} × 12 ÷ {through} months = {run_rate}{}",
                        if run_rate < floor {
                            format!(", raised to actual plus commitments {floor}")
                        } else {
                            String::new()
                        }
                    ),
                )
            }
            _ => {
                let profile = actual_to_date.checked_add(budget_left)?;
                let forecast = if profile < floor { floor } else { profile };
                (
                    ForecastMethod::Profile,
                    forecast,
                    format!(
                        "profile: actual {actual_to_date} + budget for the months left {budget_left} = {profile}{}",
                        if profile < floor {
                            format!(", raised to actual plus commitments {floor}")
                        } else {
                            String::new()
                        }
                    ),
                )
            }
        };
        let variance = forecast.checked_sub(scheme.planned_budget)?;
        scheme_variances.push(variance);
        actual_total = actual_total.checked_add(actual_to_date)?;
        commitments_total = commitments_total.checked_add(committed)?;
        forecast_total = forecast_total.checked_add(forecast)?;
        schemes.push(SchemeMonitoring {
            code: scheme.code.as_str().to_owned(),
            name: scheme.name.clone(),
            lead: agreement
                .partners
                .get(scheme.lead)
                .map_or(String::new(), |p| p.organisation.as_str().to_owned()),
            budget: scheme.planned_budget,
            months,
            budget_to_date,
            actual_to_date,
            commitments: committed,
            forecast,
            method,
            method_explained: explained,
            variance,
            paid_by_partner: figures.spent_by_partner.get(index).cloned().unwrap_or_default(),
        });
    }
    let budget = agreement.budget();
    let forecast_variance = forecast_total.checked_sub(budget)?;
    let mut steps = Vec::new();
    let rule = if agreement.kind == PoolKind::Aligned {
        ShareRule::LeadPartner
    } else if forecast_variance.is_negative() {
        match &agreement.risk_share.underspend {
            UnderspendRule::Share { share } => share.clone(),
            UnderspendRule::CarryForward => ShareRule::Proportional,
        }
    } else {
        agreement.risk_share.overspend.clone()
    };
    let carry_forward = agreement.kind != PoolKind::Aligned
        && forecast_variance.is_negative()
        && agreement.risk_share.underspend == UnderspendRule::CarryForward;
    let forecast_shares = if carry_forward {
        vec![Money::ZERO; agreement.partners.len()]
    } else {
        shares(agreement, &rule, forecast_variance, &scheme_variances, &mut steps)?
    };
    let mut partners = Vec::with_capacity(agreement.partners.len());
    for (index, (partner, share)) in agreement.partners.iter().zip(forecast_shares).enumerate() {
        let due = Money::checked_sum(
            super::apportion(partner.annual_contribution, &partner.profile)?
                .into_iter()
                .take(through),
        )?;
        partners.push(PartnerMonitoring {
            organisation: partner.organisation.as_str().to_owned(),
            agreed: partner.annual_contribution,
            due_to_date: if agreement.kind.moves_money() { due } else { Money::ZERO },
            paid_to_date: figures.paid_through(index, through),
            minimum_contribution: partner.minimum_contribution,
            minimum_met: partner
                .minimum_contribution
                .map(|minimum| partner.annual_contribution >= minimum),
            forecast_share: share,
        });
    }
    Ok(MonitoringReport {
        pool: agreement.pool.as_str().to_owned(),
        name: agreement.name.clone(),
        kind: agreement.kind,
        year: year.label(),
        as_at: year.month_label(through),
        months_elapsed: through,
        budget,
        actual_to_date: actual_total,
        commitments: commitments_total,
        forecast: forecast_total,
        forecast_variance,
        schemes,
        partners,
        steps,
    })
}
