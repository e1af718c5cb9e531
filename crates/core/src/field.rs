//! Errors about one field of some input, and the parsers every kind of input shares.
//!
//! Ledger input, assessment cases and policy files all report a bad value the same way:
//! the field, the value given (shortened if long) and what was wrong with it.

use chrono::NaiveDate;

/// A problem with one field of some input: which field, the value given, and what was
/// wrong with it (in words a person can act on).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem} (got {})", quoted(value))]
pub struct FieldError {
    pub field: String,
    pub value: String,
    pub problem: String,
}

/// A value quoted in a message: whole if short, otherwise its start and its length.
pub(crate) fn quoted(value: &str) -> String {
    const SHOWN: usize = 60;
    if value.chars().count() <= SHOWN {
        return format!("{value:?}");
    }
    let start: String = value.chars().take(SHOWN).collect();
    format!("{start:?}… ({} characters)", value.chars().count())
}

impl FieldError {
    pub fn new(field: &str, value: &str, problem: impl Into<String>) -> FieldError {
        FieldError { field: field.to_owned(), value: value.to_owned(), problem: problem.into() }
    }
}

/// Parse an ISO date `YYYY-MM-DD`, refusing dates that do not exist.
pub fn parse_date(field: &str, value: &str) -> Result<NaiveDate, FieldError> {
    let well_formed = value.len() == 10
        && value
            .chars()
            .enumerate()
            .all(|(i, c)| if i == 4 || i == 7 { c == '-' } else { c.is_ascii_digit() });
    if !well_formed {
        return Err(FieldError::new(field, value, "dates are written YYYY-MM-DD, e.g. 2025-04-01"));
    }
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map_err(|_| FieldError::new(field, value, "there is no such date"))
}
