//! Integrated personal budgets: one needs assessment, a Resource Allocation System, and
//! one budget drawing on several funding streams.
//!
//! - [`needs`]: the versioned needs questionnaire, scoring, and each stream's eligibility
//!   rule with its reason.
//! - [`ras`]: the Resource Allocation System, points to an indicative weekly budget per
//!   stream (a price per point, or bands), with a floor and a ceiling.
//! - [`calibrate`]: fitting a RAS to the costs of agreed support plans by least squares.
//! - [`allocate`]: assigning support-plan lines to streams: no stream pays for what its
//!   rules exclude, no component exceeds its agreed amount, free money first.
//! - [`config`]: the whole scheme as dated, referenced configuration (YAML under
//!   `policy/budgets/`).
//! - [`plan`]: the integrated budget itself: components, the contribution, the lifecycle.
//! - [`review`]: when a budget is due for review, from the day it was last set.
//!
//! [`parse_spending_date`] reads the day money was spent from a budget, wherever it is
//! recorded (the API, the pages, the CLI).

pub mod allocate;
pub mod calibrate;
pub mod config;
pub mod needs;
pub mod plan;
pub mod ras;
pub mod review;

#[cfg(test)]
mod tests;

use chrono::NaiveDate;

use crate::field::{FieldError, not_in_future, parse_date};
use crate::money::MoneyError;

/// The day money was spent from a budget, written `YYYY-MM-DD`: a real date (see
/// [`parse_date`]) and not after `today` (the caller's today, in Europe/London), since
/// spending is recorded once it has happened.
pub fn parse_spending_date(
    field: &str,
    text: &str,
    today: NaiveDate,
) -> Result<NaiveDate, FieldError> {
    not_in_future(field, parse_date(field, text)?, today)
}

/// Why a personal-budget operation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BudgetError {
    #[error(transparent)]
    Field(#[from] FieldError),
    #[error(transparent)]
    Money(#[from] MoneyError),
    #[error("{0}")]
    Refused(String),
    #[error("internal error: {0}")]
    Internal(&'static str),
}
