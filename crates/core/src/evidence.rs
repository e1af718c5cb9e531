//! Evidence: activity events in the NHS's and councils' own shapes, linked by a
//! pseudonymised NHS number, and what can be derived from them.
//!
//! - [`key`]: the [`PersonKey`], HMAC-SHA256 of the NHS number under a per-deployment
//!   [`PseudonymSecret`]; the raw number is never kept.
//! - [`social_care`]: [`SocialCareEvent`], a request, assessment, service or review in the
//!   Adult Social Care Client Level Data (CLD) Release 2 shape, with its code lists in
//!   [`codes`] (Release 1 spellings accepted and mapped).
//! - [`hospital`]: [`HospitalSpell`], one admitted patient care spell with HES APC's field
//!   names, and [`Death`].
//! - [`derive`]: readmissions within 30 days, reablement episodes and their outcome after
//!   discharge, and new moves into care homes.
//! - [`metrics`]: the shared measures (BCF, ASCOF) as dated, referenced definitions, the
//!   populations they divide by, and the engine that computes them from the events.
//!
//! Pure types and checks: no IO. Rows come in through [`Row`], by column name, and every
//! problem with a row is returned naming its column, so an importer can report them all.

pub mod codes;
pub mod derive;
pub mod hospital;
pub mod key;
pub mod metrics;
pub mod social_care;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::field::FieldError;

pub use codes::{
    ClientFundingStatus, ClientType, CostFrequency, DeliveryMechanism, EventOutcome, EventType,
    Gender, PrimarySupportReason, ServiceComponent, ServiceType,
};
pub use hospital::{Death, HospitalSpell};
pub use key::{PersonKey, PseudonymSecret};
pub use social_care::{Birth, SocialCareEvent};

/// One row of input, read by column name. A blank value is the same as an absent one.
pub trait Row {
    /// The value in `column`, if the file has that column.
    fn get(&self, column: &str) -> Option<&str>;
}

impl Row for std::collections::HashMap<&str, &str> {
    fn get(&self, column: &str) -> Option<&str> {
        std::collections::HashMap::get(self, column).copied()
    }
}

impl Row for [(&str, &str)] {
    fn get(&self, column: &str) -> Option<&str> {
        self.iter().find(|(c, _)| *c == column).map(|(_, v)| *v)
    }
}

/// The kinds of event file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EventKind {
    SocialCare,
    Hospital,
    Deaths,
}

impl EventKind {
    pub const ALL: [EventKind; 3] = [EventKind::SocialCare, EventKind::Hospital, EventKind::Deaths];

    /// The name used on the command line and in the API: `social-care`, `hospital`,
    /// `deaths`.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::SocialCare => "social-care",
            EventKind::Hospital => "hospital",
            EventKind::Deaths => "deaths",
        }
    }

    pub fn parse(text: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// The columns a file of this kind must have.
    pub fn required_columns(self) -> &'static [&'static str] {
        match self {
            EventKind::SocialCare => &social_care::columns::REQUIRED,
            EventKind::Hospital => &hospital::columns::REQUIRED,
            EventKind::Deaths => &hospital::death_columns::REQUIRED,
        }
    }

    /// The kind a file with these column names holds: the kind whose required columns are
    /// all present (social care is checked before deaths, whose columns are a subset).
    pub fn infer(header: &[&str]) -> Option<EventKind> {
        [EventKind::SocialCare, EventKind::Hospital, EventKind::Deaths]
            .into_iter()
            .find(|kind| kind.required_columns().iter().all(|c| header.contains(c)))
    }
}

/// Planned units per week, to the hundredth (CLD Planned_units_per_week, e.g. 10.5 hours).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct UnitsPerWeek(u32);

impl UnitsPerWeek {
    /// The most units a week may hold: 168 hours a week times 10, generous for daily or
    /// per-session units.
    pub const MAX_HUNDREDTHS: u32 = 168_000;

    pub fn from_hundredths(hundredths: u32) -> UnitsPerWeek {
        UnitsPerWeek(hundredths)
    }

    pub fn hundredths(self) -> u32 {
        self.0
    }

    /// Parse `10`, `10.5` or `10.25`: not negative, at most two decimal places.
    pub fn parse(column: &str, value: &str) -> Result<UnitsPerWeek, FieldError> {
        let bad = || {
            FieldError::new(
                column,
                value,
                "planned units per week is a number of units, not negative, with at most two \
                 decimal places, like 10.5",
            )
        };
        let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
        if whole.is_empty()
            || fraction.len() > 2
            || !whole.chars().chain(fraction.chars()).all(|c| c.is_ascii_digit())
            || (value.contains('.') && fraction.is_empty())
        {
            return Err(bad());
        }
        let whole: u32 = whole.parse().map_err(|_| bad())?;
        let fraction: u32 = format!("{fraction:0<2}").parse().map_err(|_| bad())?;
        let hundredths =
            whole.checked_mul(100).and_then(|w| w.checked_add(fraction)).ok_or_else(bad)?;
        if hundredths > UnitsPerWeek::MAX_HUNDREDTHS {
            return Err(bad());
        }
        Ok(UnitsPerWeek(hundredths))
    }
}

impl std::fmt::Display for UnitsPerWeek {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

/// A person's age in whole years on `date`; `None` if `date` is before `birth` or the age
/// exceeds 255.
pub fn age_on(birth: NaiveDate, date: NaiveDate) -> Option<u8> {
    if date < birth {
        return None;
    }
    let mut years = date.year() - birth.year();
    if (date.month(), date.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    u8::try_from(years).ok()
}

/// The person key for an NHS number given in `column`. The number is checked (ten digits,
/// modulus 11) and is not quoted in the error: the line number finds the row, and an NHS
/// number should not travel into logs.
pub(crate) fn person_key(
    column: &str,
    value: &str,
    secret: &PseudonymSecret,
) -> Result<PersonKey, FieldError> {
    crate::person::NhsNumber::parse(value)
        .map(|n| secret.person_key(&n))
        .map_err(|e| FieldError::new(column, "(not shown)", e.problem))
}

/// A column's value, trimmed; `None` when absent or blank.
pub(crate) fn optional<'r>(row: &'r (impl Row + ?Sized), column: &str) -> Option<&'r str> {
    row.get(column).map(str::trim).filter(|v| !v.is_empty())
}

/// A free-text identifier: at most 100 characters, no control characters.
pub(crate) fn text_id(column: &str, value: &str) -> Result<String, FieldError> {
    if value.chars().count() > 100 || value.chars().any(char::is_control) {
        return Err(FieldError::new(
            column,
            value,
            "an identifier is at most 100 characters with no line breaks or control characters",
        ));
    }
    Ok(value.to_owned())
}

/// A council code (LA_Code): 3 to 9 capital letters or digits, such as an ONS code
/// `E06000001` or a three-digit CASSR code.
pub(crate) fn parse_la_code(column: &str, value: &str) -> Result<String, FieldError> {
    if (3..=9).contains(&value.len())
        && value.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    {
        Ok(value.to_owned())
    } else {
        Err(FieldError::new(
            column,
            value,
            "a council code is 3 to 9 capital letters or digits, like E06000001",
        ))
    }
}

/// A CQC location id: `1-` followed by 9 to 11 digits, as CQC's register writes them
/// (e.g. 1-101234567).
pub(crate) fn parse_cqc_location(column: &str, value: &str) -> Result<String, FieldError> {
    let valid = value.strip_prefix("1-").is_some_and(|digits| {
        (9..=11).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit())
    });
    if valid {
        Ok(value.to_owned())
    } else {
        Err(FieldError::new(
            column,
            value,
            "a CQC location id is 1- followed by 9 to 11 digits, like 1-101234567",
        ))
    }
}

#[cfg(test)]
mod tests;
