//! The figures for deferred payment agreements in England (Care Act 2014 ss.34-36; the
//! Care and Support (Deferred Payment) Regulations 2014, SI 2014/2671), read from
//! `policy/england_deferred_payments.yaml` in the same format, and with the same checks,
//! as the charging files: the capital limit, the disposable income allowance, the equity
//! limit's share and deduction, and the national maximum interest rate for each six-month
//! period, each with its reference. A period whose rate has not been found is `unknown`,
//! and [`DeferredPaymentPolicy::national_maximum_on`] says so with the period and where
//! the figure is published, so a statement that needs it is refused by name.

use std::sync::{Arc, OnceLock};

use chrono::{Datelike, NaiveDate};

use super::schema::{Jurisdiction, Nation, Spec, Unit};
use super::{
    Param, PolicyError, PolicyFile, Reference, Source, Value, file_error, financial_years,
};
use crate::money::{Money, Ratio};

/// The deferred payment figures shipped with onebudget, as (file name, contents).
pub const DEFERRED_PAYMENT_FILE: (&str, &str) = (
    "england_deferred_payments.yaml",
    include_str!("../../../../policy/england_deferred_payments.yaml"),
);

const CAPITAL_LIMIT: &str = "dpa.capital_limit";
const DISPOSABLE_INCOME_ALLOWANCE: &str = "dpa.disposable_income_allowance";
const EQUITY_SHARE: &str = "dpa.equity_limit.share";
const EQUITY_DEDUCTION: &str = "dpa.equity_limit.deduction";
const DEFAULT_COMPONENT: &str = "dpa.interest.default_component";
const NATIONAL_MAXIMUM: &str = "dpa.interest.national_maximum";

const PARAMETERS: &[Spec] = &[
    Spec { name: CAPITAL_LIMIT, unit: Unit::Gbp, required: true },
    Spec { name: DISPOSABLE_INCOME_ALLOWANCE, unit: Unit::GbpPerWeek, required: true },
    Spec { name: EQUITY_SHARE, unit: Unit::Ratio, required: true },
    Spec { name: EQUITY_DEDUCTION, unit: Unit::Gbp, required: true },
    Spec { name: DEFAULT_COMPONENT, unit: Unit::Ratio, required: true },
    Spec { name: NATIONAL_MAXIMUM, unit: Unit::Ratio, required: false },
];

fn expected(jurisdiction: Jurisdiction) -> &'static [Spec] {
    if jurisdiction == Jurisdiction::England { PARAMETERS } else { &[] }
}

/// The checked deferred payment figures for England.
#[derive(Clone, Debug)]
pub struct DeferredPaymentPolicy {
    file: PolicyFile,
}

/// The figures (other than the interest rate) in force on one day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeferredPaymentRules {
    pub capital_limit: Param<Money>,
    pub disposable_income_allowance: Param<Money>,
    pub equity_share: Param<Ratio>,
    pub equity_deduction: Param<Money>,
    pub default_component: Param<Ratio>,
}

/// The national maximum interest rate for the six-month period holding a day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RateLookup {
    Known(Param<Ratio>),
    /// Not yet found: the period and where the figure is to be read.
    Unknown {
        period_start: NaiveDate,
        period_end: NaiveDate,
        reference: Reference,
    },
}

static IN_USE: OnceLock<Result<DeferredPaymentPolicy, PolicyError>> = OnceLock::new();

/// The six-month interest period (reg 9(5)) holding `date`: 1 January to 30 June, or
/// 1 July to 31 December.
pub fn interest_period(date: NaiveDate) -> (NaiveDate, NaiveDate) {
    let year = date.year();
    let (start, end) = if date.month() <= 6 {
        (NaiveDate::from_ymd_opt(year, 1, 1), NaiveDate::from_ymd_opt(year, 6, 30))
    } else {
        (NaiveDate::from_ymd_opt(year, 7, 1), NaiveDate::from_ymd_opt(year, 12, 31))
    };
    (start.unwrap_or(date), end.unwrap_or(date))
}

impl DeferredPaymentPolicy {
    /// Parse and check the deferred payment file's text. `name` names it in errors.
    pub fn parse(name: &str, text: &str) -> Result<DeferredPaymentPolicy, PolicyError> {
        let file = PolicyFile::parse_against(name, text, expected)?;
        if file.jurisdiction != Jurisdiction::England {
            return Err(file_error(
                name,
                "deferred payment agreements under the Care Act are England's: the file's nation must be england",
            ));
        }
        check_plausible(name, &file)?;
        Ok(DeferredPaymentPolicy { file })
    }

    /// The figures built into onebudget, parsed once.
    pub fn in_use() -> Result<&'static DeferredPaymentPolicy, PolicyError> {
        IN_USE
            .get_or_init(|| {
                DeferredPaymentPolicy::parse(DEFERRED_PAYMENT_FILE.0, DEFERRED_PAYMENT_FILE.1)
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Use the file read from `name` (its text given; core does no IO) instead of the
    /// built-in one for the rest of the process, so a council can enter a rate the
    /// built-in file lacks. Must be called before anything reads the figures.
    pub fn use_text(name: &str, text: &str) -> Result<&'static DeferredPaymentPolicy, PolicyError> {
        let policy = DeferredPaymentPolicy::parse(name, text)?;
        IN_USE.set(Ok(policy)).map_err(|_| {
            file_error(name, "the deferred payment figures were already chosen for this process")
        })?;
        DeferredPaymentPolicy::in_use()
    }

    /// The first and last day the file's figures are held for.
    pub fn covers(&self) -> (NaiveDate, NaiveDate) {
        self.file.covers
    }

    fn not_covered(&self, date: NaiveDate) -> PolicyError {
        let (first, last) = self.file.covers;
        PolicyError::DateNotCovered {
            nation: Nation::England,
            date,
            first,
            last,
            years: financial_years(first, last),
        }
    }

    fn lookup(&self, name: &str, date: NaiveDate) -> Result<(Value, Arc<Source>), PolicyError> {
        let missing = || PolicyError::Parameter {
            file: DEFERRED_PAYMENT_FILE.0.to_owned(),
            parameter: name.to_owned(),
            problem: format!("has no value on {date}"),
        };
        let (parameter, dated) = self.file.value_on(name, date).ok_or_else(missing)?;
        let value = dated.value.ok_or_else(missing)?;
        let source = Source {
            parameter: format!("england.{}", parameter.name),
            value: match value {
                Value::Ratio(ratio) => ratio.percent(),
                other => other.to_string(),
            },
            from: dated.from,
            reference: (*dated.reference).clone(),
        };
        Ok((value, Arc::new(source)))
    }

    fn money(&self, name: &str, date: NaiveDate) -> Result<Param<Money>, PolicyError> {
        match self.lookup(name, date)? {
            (Value::Money(value), source) => Ok(Param { value, source }),
            _ => Err(wrong_unit(name, date)),
        }
    }

    fn ratio(&self, name: &str, date: NaiveDate) -> Result<Param<Ratio>, PolicyError> {
        match self.lookup(name, date)? {
            (Value::Ratio(value), source) => Ok(Param { value, source }),
            _ => Err(wrong_unit(name, date)),
        }
    }

    /// The figures in force on `date`.
    pub fn rules_on(&self, date: NaiveDate) -> Result<DeferredPaymentRules, PolicyError> {
        let (first, last) = self.file.covers;
        if date < first || date > last {
            return Err(self.not_covered(date));
        }
        Ok(DeferredPaymentRules {
            capital_limit: self.money(CAPITAL_LIMIT, date)?,
            disposable_income_allowance: self.money(DISPOSABLE_INCOME_ALLOWANCE, date)?,
            equity_share: self.ratio(EQUITY_SHARE, date)?,
            equity_deduction: self.money(EQUITY_DEDUCTION, date)?,
            default_component: self.ratio(DEFAULT_COMPONENT, date)?,
        })
    }

    /// The national maximum interest rate for the period holding `date` (reg 9(3)-(5)).
    pub fn national_maximum_on(&self, date: NaiveDate) -> Result<RateLookup, PolicyError> {
        let (first, last) = self.file.covers;
        if date < first || date > last {
            return Err(self.not_covered(date));
        }
        let (period_start, period_end) = interest_period(date);
        match self.file.value_on(NATIONAL_MAXIMUM, date) {
            Some((_, dated)) if dated.value.is_none() => Ok(RateLookup::Unknown {
                period_start: period_start.max(dated.from),
                period_end,
                reference: (*dated.reference).clone(),
            }),
            Some(_) => Ok(RateLookup::Known(self.ratio(NATIONAL_MAXIMUM, date)?)),
            None => Err(PolicyError::Parameter {
                file: DEFERRED_PAYMENT_FILE.0.to_owned(),
                parameter: NATIONAL_MAXIMUM.to_owned(),
                problem: format!("has no value on {date}"),
            }),
        }
    }
}

/// The largest yearly rate or proportion each ratio figure can plausibly be. The national
/// maximum rate is a gilt rate plus 0.15%: the gilt rate has not reached 15% since the
/// 1970s, so a rate above 20% a year is almost certainly a percentage written as a number
/// ("4.50" for 4.5%, which the file would read as 450%). The default component is set by
/// reg 9(3) at 0.15%; the equity share is a part of the home's value, at most all of it.
const PLAUSIBLE_MAXIMUM: &[(&str, i64, &str)] = &[
    (NATIONAL_MAXIMUM, 200_000, "20% a year"),
    (DEFAULT_COMPONENT, 10_000, "1% a year"),
    (EQUITY_SHARE, Ratio::SCALE, "the whole of the home's value"),
];

/// Refuse a ratio figure too large to be what the file means, naming the parameter, the
/// date it is entered from and how to write it.
fn check_plausible(name: &str, file: &PolicyFile) -> Result<(), PolicyError> {
    for (parameter, limit, words) in PLAUSIBLE_MAXIMUM {
        let Some(held) = file.parameters.get(*parameter) else { continue };
        for dated in &held.values {
            if let Some(Value::Ratio(value)) = dated.value
                && value.millionths() > *limit
            {
                return Err(PolicyError::Parameter {
                    file: name.to_owned(),
                    parameter: (*parameter).to_owned(),
                    problem: format!(
                        "the value from {} is {value}, which is {}; it cannot be more than {words}. \
                         A rate is written as a proportion of one: 4.5% a year is \"0.045\", not \"4.5\"",
                        dated.from,
                        value.percent(),
                    ),
                });
            }
        }
    }
    Ok(())
}

fn wrong_unit(name: &str, date: NaiveDate) -> PolicyError {
    PolicyError::Parameter {
        file: DEFERRED_PAYMENT_FILE.0.to_owned(),
        parameter: name.to_owned(),
        problem: format!("the value in force on {date} has the wrong unit"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn the_embedded_file_parses_and_gives_the_regulations_figures() {
        let policy = DeferredPaymentPolicy::in_use().unwrap();
        let rules = policy.rules_on(day("2026-12-07")).unwrap();
        assert_eq!(rules.disposable_income_allowance.value, Money::from_pence(14_400));
        assert_eq!(rules.capital_limit.value, Money::from_pence(2_325_000));
        assert_eq!(rules.equity_share.value, Ratio::from_millionths(900_000));
        assert_eq!(rules.equity_deduction.value, Money::from_pence(1_425_000));
        assert_eq!(rules.default_component.value, Ratio::from_millionths(1_500));
        assert!(rules.disposable_income_allowance.source.reference.title.contains("reg 6"));
    }

    #[test]
    fn a_known_rate_and_an_unknown_one_name_their_periods() {
        let policy = DeferredPaymentPolicy::in_use().unwrap();
        match policy.national_maximum_on(day("2024-03-15")).unwrap() {
            RateLookup::Known(rate) => assert_eq!(rate.value, Ratio::from_millionths(46_500)),
            other => panic!("{other:?}"),
        }
        match policy.national_maximum_on(day("2024-12-31")).unwrap() {
            RateLookup::Known(rate) => assert_eq!(rate.value, Ratio::from_millionths(40_500)),
            other => panic!("{other:?}"),
        }
        match policy.national_maximum_on(day("2025-07-01")).unwrap() {
            RateLookup::Unknown { period_start, period_end, .. } => {
                assert_eq!((period_start, period_end), (day("2025-07-01"), day("2025-12-31")));
            }
            other => panic!("{other:?}"),
        }
        // The first period starts when the regulations came into force, not on 1 January.
        match policy.national_maximum_on(day("2015-05-01")).unwrap() {
            RateLookup::Unknown { period_start, period_end, .. } => {
                assert_eq!((period_start, period_end), (day("2015-04-01"), day("2015-06-30")));
            }
            other => panic!("{other:?}"),
        }
        assert!(policy.rules_on(day("2015-03-31")).is_err());
    }

    #[test]
    fn a_rate_written_as_a_percentage_is_refused_naming_it_and_its_date() {
        // The 4.05% from 1 July 2024 typed as "4.05": the file would read 405% a year.
        let text = DEFERRED_PAYMENT_FILE.1.replace("value: \"0.0405\"", "value: \"4.05\"");
        assert_ne!(text, DEFERRED_PAYMENT_FILE.1, "the file holds the 1 July 2024 rate as 0.0405");
        let error = DeferredPaymentPolicy::parse("x.yaml", &text).unwrap_err().to_string();
        assert!(error.contains("dpa.interest.national_maximum"), "{error}");
        assert!(error.contains("2024-07-01") && error.contains("405%"), "{error}");
        assert!(error.contains("\"0.045\""), "{error}");
        // A rate of 20% a year is the most a file may hold.
        let high = DEFERRED_PAYMENT_FILE.1.replace("value: \"0.0405\"", "value: \"0.20\"");
        assert!(DeferredPaymentPolicy::parse("x.yaml", &high).is_ok());
    }

    #[test]
    fn a_file_naming_a_charging_parameter_is_refused() {
        let text = DEFERRED_PAYMENT_FILE.1.replace("dpa.capital_limit:", "capital.upper_limit:");
        let error = DeferredPaymentPolicy::parse("x.yaml", &text).unwrap_err();
        assert!(error.to_string().contains("capital.upper_limit"), "{error}");
    }
}
