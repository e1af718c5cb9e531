//! A council's discretionary choices: an overlay file on the national rules (see
//! `policy/README.md`, "Local overlays"). Each entry applies from its date until the next.

use chrono::NaiveDate;
use serde::Deserialize;

use super::{Nation, PolicyError, Reference};
use crate::assessment::{LocalInput, LocalOptions};
use crate::field::parse_date;
use crate::money::{Money, Ratio};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileInput {
    council: String,
    nation: Nation,
    options: Vec<EntryInput>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryInput {
    from: String,
    disregard_night_care_element: Option<bool>,
    percentage_of_assessable_income: Option<Ratio>,
    minimum_income_guarantee_uplift: Option<Money>,
    flat_disability_related_expenditure: Option<Money>,
    reference: Reference,
}

/// One dated set of choices.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalEntry {
    pub from: NaiveDate,
    pub options: LocalInput,
    pub reference: Reference,
}

/// A council's overlay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalPolicy {
    pub council: String,
    pub nation: Nation,
    pub entries: Vec<LocalEntry>,
}

impl LocalPolicy {
    /// Parse an overlay file's text; `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<LocalPolicy, PolicyError> {
        let error = |problem: String| PolicyError::File { file: file.to_owned(), problem };
        let input: FileInput = serde_yaml_ng::from_str(text).map_err(|e| error(e.to_string()))?;
        if input.council.trim().is_empty() {
            return Err(error("council: name the council whose choices these are".to_owned()));
        }
        let mut entries: Vec<LocalEntry> = Vec::with_capacity(input.options.len());
        for (i, entry) in input.options.into_iter().enumerate() {
            let from = parse_date(&format!("options[{i}].from"), &entry.from)
                .map_err(|e| error(e.to_string()))?;
            if entries.last().is_some_and(|previous| previous.from >= from) {
                return Err(error(format!("options[{i}]: entries must be in date order")));
            }
            if entry.reference.title.trim().is_empty() || entry.reference.href.trim().is_empty() {
                return Err(error(format!("options[{i}]: a reference needs a title and an href")));
            }
            if entry.percentage_of_assessable_income.is_some_and(|p| p > Ratio::ONE) {
                return Err(error(format!(
                    "options[{i}].percentage_of_assessable_income: give a share from 0 to 1"
                )));
            }
            let negative = |m: Option<Money>| m.is_some_and(Money::is_negative);
            if negative(entry.minimum_income_guarantee_uplift)
                || negative(entry.flat_disability_related_expenditure)
            {
                return Err(error(format!("options[{i}]: amounts must not be negative")));
            }
            entries.push(LocalEntry {
                from,
                options: LocalInput {
                    disregard_night_care_element: entry.disregard_night_care_element,
                    percentage_of_assessable_income: entry.percentage_of_assessable_income,
                    minimum_income_guarantee_uplift: entry.minimum_income_guarantee_uplift,
                    flat_disability_related_expenditure: entry.flat_disability_related_expenditure,
                },
                reference: entry.reference,
            });
        }
        Ok(LocalPolicy { council: input.council, nation: input.nation, entries })
    }

    /// The council's options in force on `date`, over the national defaults.
    pub fn options_on(&self, date: NaiveDate) -> Option<(LocalOptions, &LocalEntry)> {
        let entry = self.entries.iter().rev().find(|e| e.from <= date)?;
        Some((LocalOptions::default().with(&entry.options), entry))
    }
}
