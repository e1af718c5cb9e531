//! Assessing a whole population: every case through core's engine with the [`Quiet`]
//! recorder (no explanations, no allocation), split across threads.

use onebudget_core::Money;
use onebudget_core::assessment::{AssessError, Case, Quiet, assess};
use onebudget_core::policy::Policy;

/// Totals over a population's assessments.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub cases: u64,
    /// The sum of weekly charges.
    pub weekly_charges: Money,
    /// How many pay nothing.
    pub nil_charges: u64,
    /// How many were assessed as able to pay the full cost.
    pub full_cost: u64,
    /// How many could not be assessed because a figure they need is marked unknown in
    /// the policy files (see [`AssessError::MissingFigure`]).
    pub missing_figure: u64,
}

impl Summary {
    fn add(&mut self, other: &Summary) -> Result<(), AssessError> {
        self.cases += other.cases;
        self.weekly_charges = self.weekly_charges.checked_add(other.weekly_charges)?;
        self.nil_charges += other.nil_charges;
        self.full_cost += other.full_cost;
        self.missing_figure += other.missing_figure;
        Ok(())
    }
}

/// Why a population could not be assessed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PopulationError {
    /// The first case that failed, by index.
    #[error("case {index}: {error}")]
    Case { index: usize, error: AssessError },
    #[error("a worker thread stopped before finishing its cases")]
    WorkerStopped,
}

fn assess_chunk(
    policy: &Policy,
    cases: &[Case],
    offset: usize,
) -> Result<Summary, PopulationError> {
    let mut summary = Summary::default();
    for (i, case) in cases.iter().enumerate() {
        let fail = |error: AssessError| PopulationError::Case { index: offset + i, error };
        let Some(rules) = policy.rules_on_day(case.nation, case.day) else {
            return Err(fail(policy.not_covered(case.nation, case.date).into()));
        };
        let outcome = match assess(case, rules, &mut Quiet) {
            Ok(outcome) => outcome,
            Err(AssessError::MissingFigure { .. }) => {
                summary.missing_figure += 1;
                continue;
            }
            Err(error) => return Err(fail(error)),
        };
        summary.cases += 1;
        summary.weekly_charges = summary
            .weekly_charges
            .checked_add(outcome.weekly_charge)
            .map_err(|e| fail(e.into()))?;
        summary.nil_charges += u64::from(outcome.weekly_charge.is_zero());
        summary.full_cost += u64::from(outcome.full_cost);
    }
    Ok(summary)
}

/// Assess every case on `threads` threads and total the results.
pub fn assess_all(
    policy: &Policy,
    cases: &[Case],
    threads: usize,
) -> Result<Summary, PopulationError> {
    let threads = threads.max(1);
    let chunk = cases.len().div_ceil(threads).max(1);
    let results: Vec<Result<Summary, PopulationError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = cases
            .chunks(chunk)
            .enumerate()
            .map(|(n, part)| scope.spawn(move || assess_chunk(policy, part, n * chunk)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or(Err(PopulationError::WorkerStopped)))
            .collect()
    });
    let mut total = Summary::default();
    for result in results {
        total.add(&result?).map_err(|error| PopulationError::Case { index: cases.len(), error })?;
    }
    Ok(total)
}
