//! onebudget-sim: population microsimulation for policy scenarios ("what would
//! abolishing the social care means test cost?"), run over synthetic or real populations
//! with `onebudget-core`'s own rules, so a scenario and a live budget can never disagree
//! about the rules.
//!
//! - [`budgets`] re-runs a whole caseload's integrated budgets (needs, RAS, allocation,
//!   financial assessment and contribution) across threads, and makes a synthetic one.
//! - [`calibration`] builds the demo's agreed support plans for calibrating a RAS.
//! - [`caseload`] builds a deterministic synthetic caseload of assessment cases.
//! - [`place`] builds a deterministic synthetic borough (commissioners, providers,
//!   neighbourhood teams and the adults in their care) for `onebudget demo`.
//! - [`population`] assesses a whole caseload across threads without explanations.

pub mod budgets;
pub mod calibration;
pub mod caseload;
pub mod place;
pub mod population;
