//! onebudget-core: the pure domain of onebudget.
//!
//! Money, the ledger's rules, and (in later modules) policy parameters, financial
//! assessment, pools (pooled and aligned funds, monitoring and risk share), and (in later
//! modules) the Resource Allocation System and personal budgets, and evidence (activity
//! events in the NHS's and councils' own shapes, linked by a pseudonymised NHS number). Everything here
//! is a pure function over plain data: no IO, no async, no database, no clock. Dates come
//! in as arguments. `onebudget-store` persists what core decides; `onebudget-web` and the
//! `onebudget` binary parse input into core's types at the edge.

pub mod access;
pub mod assessment;
pub mod budget;
pub mod deferred_payment;
pub mod evidence;
pub mod field;
pub mod ledger;
pub mod money;
pub mod person;
pub mod policy;
pub mod pool;

pub use money::{Money, Ratio};
