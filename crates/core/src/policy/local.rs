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
    charge_short_term_as_at_home: Option<bool>,
    arrangement_fee_set_up: Option<Money>,
    arrangement_fee_annual: Option<Money>,
    hourly_charge_rate: Option<Money>,
    disregard_savings_credit_in_full_at_home: Option<bool>,
    assess_couple_jointly_if_lower: Option<bool>,
    reference: Reference,
}

/// One dated set of choices.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalEntry {
    pub from: NaiveDate,
    pub options: LocalInput,
    pub reference: Reference,
}

static IN_USE: std::sync::OnceLock<LocalPolicy> = std::sync::OnceLock::new();

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
                || negative(entry.arrangement_fee_set_up)
                || negative(entry.arrangement_fee_annual)
                || negative(entry.hourly_charge_rate)
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
                    charge_short_term_as_at_home: entry.charge_short_term_as_at_home,
                    arrangement_fee_set_up: entry.arrangement_fee_set_up,
                    arrangement_fee_annual: entry.arrangement_fee_annual,
                    hourly_charge_rate: entry.hourly_charge_rate,
                    disregard_savings_credit_in_full_at_home: entry
                        .disregard_savings_credit_in_full_at_home,
                    assess_couple_jointly_if_lower: entry.assess_couple_jointly_if_lower,
                },
                reference: entry.reference,
            });
        }
        Ok(LocalPolicy { council: input.council, nation: input.nation, entries })
    }

    /// Use the overlay read from the file `file` (its name as shown in errors, and its
    /// text) for the rest of the process: every assessment the process makes in the
    /// overlay's nation (the API, a stored assessment, the public page, the budgets) starts
    /// from the council's options in force on its date. The caller reads the file (core
    /// does no IO). Must be called before anything assesses.
    pub fn use_text(file: &str, text: &str) -> Result<&'static LocalPolicy, PolicyError> {
        let overlay = LocalPolicy::parse(file, text)?;
        IN_USE.set(overlay).map_err(|_| PolicyError::File {
            file: file.to_owned(),
            problem: "a council's overlay was already chosen for this process".to_owned(),
        })?;
        LocalPolicy::in_use().ok_or_else(|| PolicyError::File {
            file: file.to_owned(),
            problem: "the overlay could not be kept".to_owned(),
        })
    }

    /// The overlay this process uses, if it was started with one.
    pub fn in_use() -> Option<&'static LocalPolicy> {
        IN_USE.get()
    }

    /// The options a case in `nation` on `date` starts from: the council's in force then
    /// if this overlay is for that nation, otherwise the national defaults.
    pub fn defaults_for(&'static self, nation: Nation, date: NaiveDate) -> LocalOptions {
        if nation != self.nation {
            return LocalOptions::default();
        }
        match self.options_on(date) {
            Some((options, entry)) => LocalOptions { council: Some(entry), ..options },
            None => LocalOptions::default(),
        }
    }

    /// The council's options in force on `date`, over the national defaults.
    pub fn options_on(&self, date: NaiveDate) -> Option<(LocalOptions, &LocalEntry)> {
        let entry = self.entries.iter().rev().find(|e| e.from <= date)?;
        Some((LocalOptions::default().with(&entry.options), entry))
    }
}
