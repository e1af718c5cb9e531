//! Hospital activity: one admitted patient care spell, and deaths.
//!
//! The spell follows the Hospital Episode Statistics Admitted Patient Care (HES APC) data
//! dictionary's field names (NHS England, "HES Data Dictionary: Admitted Patient Care"),
//! which carry the NHS Data Dictionary's data elements of the Commissioning Data Set: one
//! row per spell, the fields of its last episode (HES records DISDATE, DISMETH and DISDEST
//! "only ... for the last episode of a spell"). The fields and their Data Dictionary
//! elements:
//!
//! | column | NHS Data Dictionary element |
//! |---|---|
//! | `PROCODE3` | ORGANISATION CODE (CODE OF PROVIDER), 3 characters (5 accepted) |
//! | `NEWNHSNO` | NHS NUMBER (pseudonymised on import, never stored) |
//! | `ADMIDATE` | START DATE (HOSPITAL PROVIDER SPELL) |
//! | `ADMIMETH` | ADMISSION METHOD (HOSPITAL PROVIDER SPELL); emergency = 21-25, 2A-2D, 28 |
//! | `STARTAGE` | AGE AT CDS ACTIVITY DATE at the spell's start (7001-7007: under one year) |
//! | `DIAG_4_01` | PRIMARY DIAGNOSIS (ICD), ICD-10, e.g. `J18.9` or `J189` |
//! | `ACSC` | not an HES field: `Y`/`N`, whether the primary diagnosis is an ambulatory care sensitive condition. onebudget does not hold an ACSC code list (NHS England's published list was not read), so the flag is taken from the file, as the trust or ICB derived it |
//! | `DISREADYDATE` | DISCHARGE READY DATE (HOSPITAL PROVIDER SPELL): the date the patient no longer met the criteria to reside (NHS England, "New Discharge Ready Date", PRN00603_i; collected from 1 April 2023, PRN00312). The column name follows HES's naming; whether HES APC publishes the field under exactly this name was not confirmed |
//! | `DISDATE` | DISCHARGE DATE (HOSPITAL PROVIDER SPELL) |
//! | `DISMETH` | DISCHARGE METHOD (HOSPITAL PROVIDER SPELL): 1-5, 8, 9 |
//! | `DISDEST` | DISCHARGE DESTINATION (HOSPITAL PROVIDER SPELL): 19 usual place of residence, 54/65/85 care homes, … (HES field DISDEST; NHS Data Dictionary, "DISCHARGE DESTINATION CODE (HOSPITAL PROVIDER SPELL)") |
//!
//! Readmission within 30 days is derived ([`super::derive::readmissions_within_30_days`]),
//! not imported.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::key::{PersonKey, PseudonymSecret};
use super::{Row, optional, person_key};
use crate::field::{FieldError, parse_date};

/// The HES APC column names a hospital file uses.
pub mod columns {
    pub const PROVIDER: &str = "PROCODE3";
    pub const NHS_NUMBER: &str = "NEWNHSNO";
    pub const ADMISSION_DATE: &str = "ADMIDATE";
    pub const ADMISSION_METHOD: &str = "ADMIMETH";
    pub const AGE_AT_START: &str = "STARTAGE";
    pub const PRIMARY_DIAGNOSIS: &str = "DIAG_4_01";
    pub const ACSC: &str = "ACSC";
    pub const DISCHARGE_READY_DATE: &str = "DISREADYDATE";
    pub const DISCHARGE_DATE: &str = "DISDATE";
    pub const DISCHARGE_METHOD: &str = "DISMETH";
    pub const DISCHARGE_DESTINATION: &str = "DISDEST";

    /// The columns a hospital file must have.
    pub const REQUIRED: [&str; 4] = [PROVIDER, NHS_NUMBER, ADMISSION_DATE, ADMISSION_METHOD];

    /// Every column this model reads.
    pub const ALL: [&str; 11] = [
        PROVIDER,
        NHS_NUMBER,
        ADMISSION_DATE,
        ADMISSION_METHOD,
        AGE_AT_START,
        PRIMARY_DIAGNOSIS,
        ACSC,
        DISCHARGE_READY_DATE,
        DISCHARGE_DATE,
        DISCHARGE_METHOD,
        DISCHARGE_DESTINATION,
    ];
}

/// The columns of a deaths file: CLD's names.
pub mod death_columns {
    pub const NHS_NUMBER: &str = "NHS_Number";
    pub const DATE_OF_DEATH: &str = "Date_of_Death";
    pub const REQUIRED: [&str; 2] = [NHS_NUMBER, DATE_OF_DEATH];
}

use columns as col;

/// ADMISSION METHOD (HOSPITAL PROVIDER SPELL) codes (NHS Data Dictionary): elective 11-13;
/// emergency 21-25, 2A-2D, 28; maternity 31-32; other 81-83; 98 and 99 not applicable or
/// not known.
pub const ADMISSION_METHODS: [&str; 20] = [
    "11", "12", "13", "21", "22", "23", "24", "25", "2A", "2B", "2C", "2D", "28", "31", "32", "81",
    "82", "83", "98", "99",
];

/// The emergency admission methods: 21-25, 2A, 2B, 2C, 2D and 28.
pub const EMERGENCY_ADMISSION_METHODS: [&str; 10] =
    ["21", "22", "23", "24", "25", "2A", "2B", "2C", "2D", "28"];

/// DISCHARGE METHOD (HOSPITAL PROVIDER SPELL) codes: 1 clinically advised; 2 self or
/// relative; 3 by a mental health tribunal or court; 4 died; 5 stillbirth; 8 not
/// applicable; 9 not known.
pub const DISCHARGE_METHODS: [&str; 7] = ["1", "2", "3", "4", "5", "8", "9"];

/// DISCHARGE DESTINATION codes (NHS Data Dictionary, as HES DISDEST holds them): 19 usual
/// place of residence; 29 temporary place of residence; 30 repatriation from high security
/// psychiatric hospital; 37 court; 38 penal establishment or police station; 48-53 other
/// hospital wards (48 high security psychiatric, Scotland; 49 NHS high security
/// psychiatric; 50 NHS medium secure; 51 NHS general ward; 52 NHS maternity; 53 NHS mental
/// health); 54 NHS run care home; 65 local authority residential accommodation; 66 local
/// authority foster care; 79 not applicable, patient died or stillbirth; 84 non-NHS medium
/// secure; 85 non-NHS run care home; 87 non-NHS run hospital; 88 non-NHS run hospice;
/// 98 not applicable; 99 not known.
pub const DISCHARGE_DESTINATIONS: [&str; 21] = [
    "19", "29", "30", "37", "38", "48", "49", "50", "51", "52", "53", "54", "65", "66", "79", "84",
    "85", "87", "88", "98", "99",
];

/// The care-home destinations: 54 NHS run, 65 local authority, 85 non-NHS (other than local
/// authority) run.
pub const CARE_HOME_DESTINATIONS: [&str; 3] = ["54", "65", "85"];

/// One admitted patient care spell.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HospitalSpell {
    /// PROCODE3: the provider's organisation code.
    pub provider: String,
    pub person: PersonKey,
    pub admission_date: NaiveDate,
    /// ADMIMETH, one of [`ADMISSION_METHODS`].
    pub admission_method: String,
    /// STARTAGE in whole years (HES 7001-7007, under one, become 0).
    pub age_at_start: Option<u8>,
    /// DIAG_4_01 without its dot, upper case: `J189`.
    pub primary_diagnosis: Option<String>,
    /// Whether the primary diagnosis is an ambulatory care sensitive condition, as the file
    /// says.
    pub acsc: Option<bool>,
    pub discharge_ready_date: Option<NaiveDate>,
    /// None while the patient is still in hospital.
    pub discharge_date: Option<NaiveDate>,
    pub discharge_method: Option<String>,
    pub discharge_destination: Option<String>,
}

impl HospitalSpell {
    /// Check one row (by HES APC column name) and pseudonymise its NHS number. Every problem
    /// is returned, each naming its column.
    pub fn from_row(
        row: &(impl Row + ?Sized),
        secret: &PseudonymSecret,
    ) -> Result<HospitalSpell, Vec<FieldError>> {
        let mut errors = Vec::new();
        let provider = keep(
            &mut errors,
            required(row, col::PROVIDER).and_then(|v| parse_provider(col::PROVIDER, v)),
        );
        let person = keep(
            &mut errors,
            required(row, col::NHS_NUMBER).and_then(|v| person_key(col::NHS_NUMBER, v, secret)),
        );
        let admission_date = keep(
            &mut errors,
            required(row, col::ADMISSION_DATE).and_then(|v| parse_date(col::ADMISSION_DATE, v)),
        );
        let admission_method = keep(
            &mut errors,
            required(row, col::ADMISSION_METHOD)
                .and_then(|v| code(col::ADMISSION_METHOD, v, &ADMISSION_METHODS)),
        );
        let age_at_start = keep(
            &mut errors,
            optional(row, col::AGE_AT_START)
                .map(|v| parse_start_age(col::AGE_AT_START, v))
                .transpose(),
        )
        .flatten();
        let primary_diagnosis = keep(
            &mut errors,
            optional(row, col::PRIMARY_DIAGNOSIS)
                .map(|v| parse_icd10(col::PRIMARY_DIAGNOSIS, v))
                .transpose(),
        )
        .flatten();
        let acsc = keep(
            &mut errors,
            optional(row, col::ACSC).map(|v| parse_flag(col::ACSC, v)).transpose(),
        )
        .flatten();
        let discharge_ready_date = keep(
            &mut errors,
            optional(row, col::DISCHARGE_READY_DATE)
                .map(|v| parse_date(col::DISCHARGE_READY_DATE, v))
                .transpose(),
        )
        .flatten();
        let discharge_date = keep(
            &mut errors,
            optional(row, col::DISCHARGE_DATE)
                .map(|v| parse_date(col::DISCHARGE_DATE, v))
                .transpose(),
        )
        .flatten();
        let discharge_method = keep(
            &mut errors,
            optional(row, col::DISCHARGE_METHOD)
                .map(|v| code(col::DISCHARGE_METHOD, v, &DISCHARGE_METHODS))
                .transpose(),
        )
        .flatten();
        let discharge_destination = keep(
            &mut errors,
            optional(row, col::DISCHARGE_DESTINATION)
                .map(|v| code(col::DISCHARGE_DESTINATION, v, &DISCHARGE_DESTINATIONS))
                .transpose(),
        )
        .flatten();

        if let (Some(admitted), Some(discharged)) = (admission_date, discharge_date)
            && discharged < admitted
        {
            errors.push(FieldError::new(
                col::DISCHARGE_DATE,
                &discharged.to_string(),
                format!("the discharge is before the admission ({admitted}); check both dates"),
            ));
        }
        if let (Some(admitted), Some(ready)) = (admission_date, discharge_ready_date)
            && ready < admitted
        {
            errors.push(FieldError::new(
                col::DISCHARGE_READY_DATE,
                &ready.to_string(),
                format!("the discharge ready date is before the admission ({admitted}); check both dates"),
            ));
        }
        if let (Some(ready), Some(discharged)) = (discharge_ready_date, discharge_date)
            && ready > discharged
        {
            errors.push(FieldError::new(
                col::DISCHARGE_READY_DATE,
                &ready.to_string(),
                format!("the discharge ready date is after the discharge ({discharged}); check both dates"),
            ));
        }
        if discharge_date.is_none() && optional(row, col::DISCHARGE_DATE).is_none() {
            for (column, given) in [
                (col::DISCHARGE_METHOD, discharge_method.is_some()),
                (col::DISCHARGE_DESTINATION, discharge_destination.is_some()),
            ] {
                if given {
                    errors.push(FieldError::new(
                        column,
                        optional(row, column).unwrap_or(""),
                        "a spell with no DISDATE has not ended, so it has no discharge method or destination",
                    ));
                }
            }
        }

        match (provider, person, admission_date, admission_method) {
            (Some(provider), Some(person), Some(admission_date), Some(admission_method))
                if errors.is_empty() =>
            {
                Ok(HospitalSpell {
                    provider,
                    person,
                    admission_date,
                    admission_method,
                    age_at_start,
                    primary_diagnosis,
                    acsc,
                    discharge_ready_date,
                    discharge_date,
                    discharge_method,
                    discharge_destination,
                })
            }
            _ => Err(errors),
        }
    }

    /// Whether the admission was an emergency (ADMIMETH 21-25, 2A-2D or 28).
    pub fn is_emergency(&self) -> bool {
        EMERGENCY_ADMISSION_METHODS.contains(&self.admission_method.as_str())
    }

    /// Whether the patient died in hospital (DISMETH 4, or 5 for a stillbirth).
    pub fn died_in_hospital(&self) -> bool {
        matches!(self.discharge_method.as_deref(), Some("4" | "5"))
    }

    /// Whether the patient was discharged to a care home (DISDEST 54, 65 or 85).
    pub fn discharged_to_care_home(&self) -> bool {
        self.discharge_destination.as_deref().is_some_and(|d| CARE_HOME_DESTINATIONS.contains(&d))
    }

    /// Whether the patient went back to their usual place of residence (DISDEST 19).
    pub fn discharged_home(&self) -> bool {
        self.discharge_destination.as_deref() == Some("19")
    }

    /// Days in hospital (discharge date minus admission date), if discharged.
    pub fn length_of_stay(&self) -> Option<i64> {
        Some((self.discharge_date? - self.admission_date).num_days())
    }

    /// Days between the discharge ready date and the discharge: 0 when discharged on the
    /// day the patient was ready; `None` without both dates.
    pub fn discharge_delay_days(&self) -> Option<i64> {
        Some((self.discharge_date? - self.discharge_ready_date?).num_days())
    }

    /// The unique key of a spell: provider, person and admission date (one spell per
    /// person per provider per day of admission).
    pub fn unique_key(&self) -> String {
        format!("{}|{}|{}", self.provider, self.person, self.admission_date)
    }
}

/// A death: the person and the date (from a deaths file, or CLD's Date_of_Death).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Death {
    pub person: PersonKey,
    pub date: NaiveDate,
}

impl Death {
    /// Check one row of a deaths file (columns NHS_Number and Date_of_Death).
    pub fn from_row(
        row: &(impl Row + ?Sized),
        secret: &PseudonymSecret,
    ) -> Result<Death, Vec<FieldError>> {
        let person = required(row, death_columns::NHS_NUMBER)
            .and_then(|v| person_key(death_columns::NHS_NUMBER, v, secret));
        let date = required(row, death_columns::DATE_OF_DEATH)
            .and_then(|v| parse_date(death_columns::DATE_OF_DEATH, v));
        match (person, date) {
            (Ok(person), Ok(date)) => Ok(Death { person, date }),
            (person, date) => Err(person.err().into_iter().chain(date.err()).collect()),
        }
    }
}

fn required<'r>(row: &'r (impl Row + ?Sized), column: &str) -> Result<&'r str, FieldError> {
    optional(row, column)
        .ok_or_else(|| FieldError::new(column, "", "this column is mandatory; give a value"))
}

fn code(column: &str, value: &str, allowed: &[&str]) -> Result<String, FieldError> {
    if allowed.contains(&value) {
        Ok(value.to_owned())
    } else {
        Err(FieldError::new(
            column,
            value,
            format!(
                "not an NHS Data Dictionary code for this field; use one of {}",
                allowed.join(", ")
            ),
        ))
    }
}

fn parse_provider(column: &str, value: &str) -> Result<String, FieldError> {
    if (3..=5).contains(&value.len())
        && value.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    {
        Ok(value.to_owned())
    } else {
        Err(FieldError::new(
            column,
            value,
            "an organisation code is 3 to 5 capital letters or digits, like RXX",
        ))
    }
}

fn parse_start_age(column: &str, value: &str) -> Result<u8, FieldError> {
    match value.parse::<u16>() {
        Ok(age @ 0..=120) => {
            u8::try_from(age).map_err(|_| FieldError::new(column, value, "too old"))
        }
        Ok(7001..=7007) => Ok(0),
        _ => Err(FieldError::new(
            column,
            value,
            "an age at the start of the spell is whole years from 0 to 120 (or HES's 7001-7007 for under one)",
        )),
    }
}

/// An ICD-10 code: a letter, two digits, and optionally a dot and a fourth character
/// (digit, or X for no fourth character), e.g. `J18.9`, `J189`, `I10X`. Kept upper case
/// without the dot.
fn parse_icd10(column: &str, value: &str) -> Result<String, FieldError> {
    let compact: String =
        value.trim().chars().filter(|c| *c != '.').collect::<String>().to_ascii_uppercase();
    let chars: Vec<char> = compact.chars().collect();
    let valid = match chars.as_slice() {
        [letter, d1, d2, rest @ ..] => {
            letter.is_ascii_uppercase()
                && d1.is_ascii_digit()
                && d2.is_ascii_digit()
                && rest.len() <= 3
                && rest
                    .iter()
                    .all(|c| c.is_ascii_digit() || *c == 'X' || *c == '-' || c.is_ascii_uppercase())
        }
        _ => false,
    };
    if valid && value.matches('.').count() <= 1 {
        Ok(compact)
    } else {
        Err(FieldError::new(
            column,
            value,
            "an ICD-10 code is a letter and two digits, optionally a dot and more, like J18.9",
        ))
    }
}

fn parse_flag(column: &str, value: &str) -> Result<bool, FieldError> {
    match value {
        "Y" | "y" | "1" => Ok(true),
        "N" | "n" | "0" => Ok(false),
        _ => Err(FieldError::new(column, value, "write Y or N")),
    }
}

/// The value, or `None` after noting its error.
fn keep<T>(errors: &mut Vec<FieldError>, result: Result<T, FieldError>) -> Option<T> {
    match result {
        Ok(value) => Some(value),
        Err(error) => {
            errors.push(error);
            None
        }
    }
}
