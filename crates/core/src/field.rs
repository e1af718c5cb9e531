//! Errors about one field of some input, and the parsers every kind of input shares.
//!
//! Ledger input, assessment cases and policy files all report a bad value the same way:
//! the field, the value given (shortened if long) and what was wrong with it.
//!
//! A value is never echoed whole: [`FieldError::new`] keeps at most [`QUOTED_CHARACTERS`]
//! characters of it and its length, so a 10 MB memo costs a 10 MB request, not a 10 MB
//! answer, in the API, the pages and the CLI alike. [`quoted`] is the one way a value is
//! put in a message.

use chrono::{Datelike, NaiveDate};

/// The most characters of a bad value any message repeats.
pub const QUOTED_CHARACTERS: usize = 100;

/// A problem with one field of some input: which field, the value given (its first
/// [`QUOTED_CHARACTERS`] characters), and what was wrong with it (in words a person can act
/// on).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem} (got {})", self.quoted_value())]
pub struct FieldError {
    pub field: String,
    /// The value given, cut to its first [`QUOTED_CHARACTERS`] characters.
    pub value: String,
    /// How many characters the value given had.
    pub value_characters: usize,
    pub problem: String,
}

/// A value quoted in a message: whole if short, otherwise its first
/// [`QUOTED_CHARACTERS`] characters, an ellipsis and its length.
pub fn quoted(value: &str) -> String {
    let (start, characters) = shortened(value);
    quote(&start, characters)
}

/// The first [`QUOTED_CHARACTERS`] characters of `value`, and how many it has.
pub fn shortened(value: &str) -> (String, usize) {
    let characters = value.chars().count();
    (value.chars().take(QUOTED_CHARACTERS).collect(), characters)
}

fn quote(start: &str, characters: usize) -> String {
    if characters <= QUOTED_CHARACTERS {
        format!("{start:?}")
    } else {
        format!("{start:?}… ({characters} characters)")
    }
}

impl FieldError {
    pub fn new(field: &str, value: &str, problem: impl Into<String>) -> FieldError {
        let (value, value_characters) = shortened(value);
        FieldError { field: field.to_owned(), value, value_characters, problem: problem.into() }
    }

    /// The value as messages quote it: `"1.234"`, or `"aaaa…"… (10000000 characters)`.
    pub fn quoted_value(&self) -> String {
        quote(&self.value, self.value_characters)
    }
}

/// The first year a date may fall in: nothing onebudget records is older.
pub const FIRST_YEAR: i32 = 1900;
/// The last year a date may fall in: nothing onebudget plans reaches further.
pub const LAST_YEAR: i32 = 2100;

/// Parse an ISO date `YYYY-MM-DD`, refusing dates that do not exist and dates before
/// [`FIRST_YEAR`] or after [`LAST_YEAR`] (a mistyped year, such as 0225 or 20255).
pub fn parse_date(field: &str, value: &str) -> Result<NaiveDate, FieldError> {
    let well_formed = value.len() == 10
        && value
            .chars()
            .enumerate()
            .all(|(i, c)| if i == 4 || i == 7 { c == '-' } else { c.is_ascii_digit() });
    if !well_formed {
        return Err(FieldError::new(field, value, "dates are written YYYY-MM-DD, e.g. 2025-04-01"));
    }
    let date = NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map_err(|_| FieldError::new(field, value, "there is no such date"))?;
    if !(FIRST_YEAR..=LAST_YEAR).contains(&date.year()) {
        return Err(FieldError::new(
            field,
            value,
            format!("dates must fall between {FIRST_YEAR} and {LAST_YEAR}; check the year"),
        ));
    }
    Ok(date)
}

/// `date` if it is not after `today`; a field error saying so otherwise.
pub fn not_in_future(
    field: &str,
    date: NaiveDate,
    today: NaiveDate,
) -> Result<NaiveDate, FieldError> {
    if date > today {
        return Err(FieldError::new(
            field,
            &date.to_string(),
            format!(
                "the date is in the future (today is {today}); record it on or after the day it happens"
            ),
        ));
    }
    Ok(date)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_values_are_quoted_shortened_with_their_length() {
        let memo = "x".repeat(10_000_000);
        let error = FieldError::new("memo", &memo, "the memo is too long");
        assert_eq!(error.value.chars().count(), QUOTED_CHARACTERS);
        let message = error.to_string();
        assert!(message.len() < 300, "{}", message.len());
        assert!(message.ends_with("… (10000000 characters))"), "{message}");
        let short = FieldError::new("amount", "1.234", "too precise");
        assert_eq!(short.to_string(), "amount: too precise (got \"1.234\")");
        let exactly = "é".repeat(QUOTED_CHARACTERS);
        assert_eq!(quoted(&exactly), format!("{exactly:?}"));
    }

    #[test]
    fn dates_outside_1900_to_2100_are_refused() {
        assert!(parse_date("date", "1900-01-01").is_ok());
        assert!(parse_date("date", "2100-12-31").is_ok());
        for text in ["1899-12-31", "2101-01-01", "0225-04-01", "0000-01-01"] {
            let error = parse_date("date", text).unwrap_err();
            assert!(error.problem.contains("between 1900 and 2100"), "{text}: {error}");
        }
    }

    #[test]
    fn future_dates_are_refused_naming_today() {
        let today = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        assert!(not_in_future("date", today, today).is_ok());
        let error =
            not_in_future("date", NaiveDate::from_ymd_opt(2030, 1, 1).unwrap(), today).unwrap_err();
        assert_eq!(error.field, "date");
        assert!(error.problem.contains("future"), "{error}");
    }
}
