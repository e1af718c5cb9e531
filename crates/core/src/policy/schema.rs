//! The parameters the engine uses, declared once: each typed rules struct below names
//! its parameters, and that one declaration gives both the list a policy file is checked
//! against and the code that reads the figures in force on a date.

use std::fmt;
use std::sync::Arc;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{Param, Policy, PolicyError, Source, Value};
use crate::money::{Money, Ratio};

/// Whose rules a policy file holds: a nation's charging rules, or the UK-wide benefit
/// rates every nation's rules refer to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Jurisdiction {
    Uk,
    England,
    Wales,
    Scotland,
    NorthernIreland,
}

/// A UK nation: each sets its own rules for charging for social care.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Nation {
    England,
    Wales,
    Scotland,
    NorthernIreland,
}

impl Jurisdiction {
    pub const ALL: [Jurisdiction; 5] = [
        Jurisdiction::Uk,
        Jurisdiction::England,
        Jurisdiction::Wales,
        Jurisdiction::Scotland,
        Jurisdiction::NorthernIreland,
    ];

    pub fn parse(text: &str) -> Option<Jurisdiction> {
        match text {
            "uk" => Some(Jurisdiction::Uk),
            _ => Nation::parse(text).map(Jurisdiction::from),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Jurisdiction::Uk => "uk",
            Jurisdiction::England => "england",
            Jurisdiction::Wales => "wales",
            Jurisdiction::Scotland => "scotland",
            Jurisdiction::NorthernIreland => "northern_ireland",
        }
    }
}

impl From<Nation> for Jurisdiction {
    fn from(nation: Nation) -> Jurisdiction {
        match nation {
            Nation::England => Jurisdiction::England,
            Nation::Wales => Jurisdiction::Wales,
            Nation::Scotland => Jurisdiction::Scotland,
            Nation::NorthernIreland => Jurisdiction::NorthernIreland,
        }
    }
}

impl fmt::Display for Jurisdiction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Nation {
    pub const ALL: [Nation; 4] =
        [Nation::England, Nation::Wales, Nation::Scotland, Nation::NorthernIreland];

    /// `england`, `wales`, `scotland` or `northern_ireland`.
    pub fn parse(text: &str) -> Option<Nation> {
        match text {
            "england" => Some(Nation::England),
            "wales" => Some(Nation::Wales),
            "scotland" => Some(Nation::Scotland),
            "northern_ireland" => Some(Nation::NorthernIreland),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        Jurisdiction::from(self).as_str()
    }

    /// The nation's place in [`Nation::ALL`].
    pub const fn index(self) -> usize {
        match self {
            Nation::England => 0,
            Nation::Wales => 1,
            Nation::Scotland => 2,
            Nation::NorthernIreland => 3,
        }
    }

    /// The nation's name in prose.
    pub fn name(self) -> &'static str {
        match self {
            Nation::England => "England",
            Nation::Wales => "Wales",
            Nation::Scotland => "Scotland",
            Nation::NorthernIreland => "Northern Ireland",
        }
    }
}

impl fmt::Display for Nation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a parameter measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// An amount of money.
    Gbp,
    /// An amount of money each week.
    GbpPerWeek,
    /// A proportion, such as a buffer or a taper.
    Ratio,
    /// A number of weeks.
    Weeks,
    /// Yes or no.
    Boolean,
}

impl Unit {
    pub fn parse(text: &str) -> Option<Unit> {
        match text {
            "GBP" => Some(Unit::Gbp),
            "GBP/week" => Some(Unit::GbpPerWeek),
            "ratio" => Some(Unit::Ratio),
            "weeks" => Some(Unit::Weeks),
            "boolean" => Some(Unit::Boolean),
            _ => None,
        }
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Unit::Gbp => "GBP",
            Unit::GbpPerWeek => "GBP/week",
            Unit::Ratio => "ratio",
            Unit::Weeks => "weeks",
            Unit::Boolean => "boolean",
        })
    }
}

/// One parameter a policy file must (or may) hold.
#[derive(Clone, Copy, Debug)]
pub struct Spec {
    pub name: &'static str,
    pub unit: Unit,
    pub required: bool,
}

/// Turns a parameter's [`Value`] into the type a rules struct holds.
trait FromValue: Sized {
    fn from_value(value: Value) -> Option<Self>;
}

impl FromValue for Money {
    fn from_value(value: Value) -> Option<Money> {
        if let Value::Money(m) = value { Some(m) } else { None }
    }
}

impl FromValue for Ratio {
    fn from_value(value: Value) -> Option<Ratio> {
        if let Value::Ratio(r) = value { Some(r) } else { None }
    }
}

impl FromValue for u32 {
    fn from_value(value: Value) -> Option<u32> {
        if let Value::Weeks(w) = value { Some(w) } else { None }
    }
}

impl FromValue for bool {
    fn from_value(value: Value) -> Option<bool> {
        if let Value::Bool(b) = value { Some(b) } else { None }
    }
}

fn typed<T: FromValue>(
    jurisdiction: Jurisdiction,
    name: &str,
    found: Option<(Value, Arc<Source>)>,
    date: NaiveDate,
) -> Result<Option<Param<T>>, PolicyError> {
    let Some((value, source)) = found else { return Ok(None) };
    let value = T::from_value(value).ok_or_else(|| PolicyError::Parameter {
        file: jurisdiction.to_string(),
        parameter: name.to_owned(),
        problem: format!("the value in force on {date} has the wrong unit"),
    })?;
    Ok(Some(Param { value, source }))
}

fn required<T: FromValue>(
    policy: &Policy,
    jurisdiction: Jurisdiction,
    name: &str,
    date: NaiveDate,
) -> Result<Param<T>, PolicyError> {
    typed(jurisdiction, name, policy.lookup(jurisdiction, name, date)?, date)?.ok_or_else(|| {
        PolicyError::Parameter {
            file: jurisdiction.to_string(),
            parameter: name.to_owned(),
            problem: format!("has no value on {date}"),
        }
    })
}

fn optional<T: FromValue>(
    policy: &Policy,
    jurisdiction: Jurisdiction,
    name: &str,
    date: NaiveDate,
) -> Result<Option<Param<T>>, PolicyError> {
    typed(jurisdiction, name, policy.lookup(jurisdiction, name, date)?, date)
}

/// Declares a rules struct: its fields, the parameter each reads, its unit, and whether
/// a policy file must hold it.
macro_rules! rules {
    (
        $(#[$doc:meta])*
        $name:ident for $jurisdiction:expr;
        required { $($field:ident: $ty:ty = $param:literal in $unit:ident,)* }
        optional { $($ofield:ident: $oty:ty = $oparam:literal in $ounit:ident,)* }
    ) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub struct $name {
            $(pub $field: Param<$ty>,)*
            $(pub $ofield: Option<Param<$oty>>,)*
        }

        impl $name {
            pub const PARAMETERS: &[Spec] = &[
                $(Spec { name: $param, unit: Unit::$unit, required: true },)*
                $(Spec { name: $oparam, unit: Unit::$ounit, required: false },)*
            ];

            fn resolve(policy: &Policy, date: NaiveDate) -> Result<$name, PolicyError> {
                Ok($name {
                    $($field: required(policy, $jurisdiction, $param, date)?,)*
                    $($ofield: optional(policy, $jurisdiction, $oparam, date)?,)*
                })
            }
        }
    };
}

rules! {
    /// DWP benefit rates (weekly) the charging rules refer to.
    BenefitRules for Jurisdiction::Uk;
    required {
        attendance_allowance_lower: Money = "attendance_allowance.lower" in GbpPerWeek,
        attendance_allowance_higher: Money = "attendance_allowance.higher" in GbpPerWeek,
        dla_care_lowest: Money = "dla_care.lowest" in GbpPerWeek,
        dla_care_middle: Money = "dla_care.middle" in GbpPerWeek,
        dla_care_highest: Money = "dla_care.highest" in GbpPerWeek,
        dla_mobility_lower: Money = "dla_mobility.lower" in GbpPerWeek,
        dla_mobility_higher: Money = "dla_mobility.higher" in GbpPerWeek,
        pip_daily_living_standard: Money = "pip_daily_living.standard" in GbpPerWeek,
        pip_daily_living_enhanced: Money = "pip_daily_living.enhanced" in GbpPerWeek,
        pip_mobility_standard: Money = "pip_mobility.standard" in GbpPerWeek,
        pip_mobility_enhanced: Money = "pip_mobility.enhanced" in GbpPerWeek,
        state_pension_new_full: Money = "state_pension.new_full" in GbpPerWeek,
        state_pension_basic_full: Money = "state_pension.basic_full" in GbpPerWeek,
        guarantee_single: Money = "pension_credit.standard_minimum_guarantee.single" in GbpPerWeek,
        guarantee_couple: Money = "pension_credit.standard_minimum_guarantee.couple" in GbpPerWeek,
        savings_credit_maximum_single: Money = "pension_credit.savings_credit_maximum.single" in GbpPerWeek,
        savings_credit_maximum_couple: Money = "pension_credit.savings_credit_maximum.couple" in GbpPerWeek,
        personal_allowance_single_18_24: Money = "income_support.personal_allowance.single_18_24" in GbpPerWeek,
        personal_allowance_single_25_plus: Money = "income_support.personal_allowance.single_25_plus" in GbpPerWeek,
        personal_allowance_couple: Money = "income_support.personal_allowance.couple" in GbpPerWeek,
        disability_premium_single: Money = "premiums.disability.single" in GbpPerWeek,
        disability_premium_couple: Money = "premiums.disability.couple" in GbpPerWeek,
        enhanced_disability_premium_single: Money = "premiums.enhanced_disability.single" in GbpPerWeek,
        enhanced_disability_premium_couple: Money = "premiums.enhanced_disability.couple" in GbpPerWeek,
        severe_disability_premium: Money = "premiums.severe_disability.single" in GbpPerWeek,
        carer_premium: Money = "premiums.carer" in GbpPerWeek,
    }
    optional {}
}

rules! {
    /// England: the Care and Support (Charging and Assessment of Resources) Regulations 2014.
    EnglandRules for Jurisdiction::England;
    required {
        capital_upper_limit: Money = "capital.upper_limit" in Gbp,
        capital_lower_limit: Money = "capital.lower_limit" in Gbp,
        tariff_band: Money = "capital.tariff_band" in Gbp,
        tariff_per_band: Money = "capital.tariff_per_band" in GbpPerWeek,
        property_disregard_weeks: u32 = "property.disregard_weeks" in Weeks,
        mig_single_18_24: Money = "mig.single.age_18_24" in GbpPerWeek,
        mig_single_25_to_pension_credit_age: Money = "mig.single.age_25_to_pension_credit_age" in GbpPerWeek,
        mig_lone_parent: Money = "mig.lone_parent" in GbpPerWeek,
        personal_expenses_allowance: Money = "care_home.personal_expenses_allowance" in GbpPerWeek,
    }
    optional {
        mig_single_pension_credit_age: Money = "mig.single.pension_credit_age" in GbpPerWeek,
        mig_couple_18_plus_each: Money = "mig.couple.age_18_plus_each" in GbpPerWeek,
        mig_couple_pension_credit_age_each: Money = "mig.couple.pension_credit_age_each" in GbpPerWeek,
        mig_disability_premium_single: Money = "mig.disability_premium.single" in GbpPerWeek,
        mig_disability_premium_couple_each: Money = "mig.disability_premium.couple_each" in GbpPerWeek,
        mig_enhanced_disability_premium_single: Money = "mig.enhanced_disability_premium.single" in GbpPerWeek,
        mig_enhanced_disability_premium_couple_each: Money = "mig.enhanced_disability_premium.couple_each" in GbpPerWeek,
        mig_carer_premium: Money = "mig.carer_premium" in GbpPerWeek,
        mig_dependent_child: Money = "mig.dependent_child" in GbpPerWeek,
        savings_credit_disregard_single: Money = "care_home.savings_credit_disregard.single" in GbpPerWeek,
        savings_credit_disregard_couple: Money = "care_home.savings_credit_disregard.couple" in GbpPerWeek,
    }
}

rules! {
    /// Wales: the Care and Support (Charging) and (Financial Assessment) (Wales)
    /// Regulations 2015.
    WalesRules for Jurisdiction::Wales;
    required {
        maximum_weekly_charge: Money = "non_residential.maximum_weekly_charge" in GbpPerWeek,
        non_residential_capital_limit: Money = "non_residential.capital_limit" in Gbp,
        minimum_income_buffer: Ratio = "non_residential.minimum_income_buffer" in Ratio,
        care_home_capital_limit: Money = "care_home.capital_limit" in Gbp,
        property_disregard_weeks: u32 = "property.disregard_weeks" in Weeks,
    }
    optional {
        minimum_income_amount: Money = "care_home.minimum_income_amount" in GbpPerWeek,
    }
}

rules! {
    /// Scotland: CRAG for care homes, Free Personal and Nursing Care, and COSLA's guidance
    /// on charging for care at home.
    ScotlandRules for Jurisdiction::Scotland;
    required {
        capital_lower_limit: Money = "care_home.capital.lower_limit" in Gbp,
        capital_upper_limit: Money = "care_home.capital.upper_limit" in Gbp,
        tariff_band: Money = "care_home.capital.tariff_band" in Gbp,
        tariff_per_band: Money = "care_home.capital.tariff_per_band" in GbpPerWeek,
        property_disregard_weeks: u32 = "property.disregard_weeks" in Weeks,
        buffer_below_pension_age: Ratio = "non_residential.threshold_buffer.below_pension_age" in Ratio,
        buffer_pension_age: Ratio = "non_residential.threshold_buffer.pension_age" in Ratio,
    }
    optional {
        free_personal_care: Money = "care_home.free_personal_care" in GbpPerWeek,
        free_nursing_care: Money = "care_home.free_nursing_care" in GbpPerWeek,
        savings_credit_disregard_single: Money = "care_home.savings_credit_disregard.single" in GbpPerWeek,
        savings_credit_disregard_couple: Money = "care_home.savings_credit_disregard.couple" in GbpPerWeek,
        non_residential_capital_lower_limit: Money = "non_residential.capital.lower_limit" in Gbp,
        non_residential_capital_upper_limit: Money = "non_residential.capital.upper_limit" in Gbp,
        personal_expenses_allowance: Money = "care_home.personal_expenses_allowance" in GbpPerWeek,
    }
}

rules! {
    /// Northern Ireland: the HPSS (Assessment of Resources) Regulations (NI) 1993, and free
    /// domiciliary care.
    NorthernIrelandRules for Jurisdiction::NorthernIreland;
    required {
        capital_lower_limit: Money = "care_home.capital.lower_limit" in Gbp,
        capital_upper_limit: Money = "care_home.capital.upper_limit" in Gbp,
        tariff_band: Money = "care_home.capital.tariff_band" in Gbp,
        tariff_per_band: Money = "care_home.capital.tariff_per_band" in GbpPerWeek,
        nursing_care_contribution: Money = "care_home.nursing_care_contribution" in GbpPerWeek,
        domiciliary_care_free: bool = "non_residential.domiciliary_care_free" in Boolean,
        property_disregard_weeks: u32 = "property.disregard_weeks" in Weeks,
    }
    optional {
        personal_allowance: Money = "care_home.personal_allowance" in GbpPerWeek,
        home_help_exemptions: bool = "non_residential.home_help_exemptions" in Boolean,
        home_help_charge: Money = "non_residential.home_help_charge" in GbpPerWeek,
    }
}

/// The parameters a jurisdiction's file is checked against.
pub fn parameters(jurisdiction: Jurisdiction) -> &'static [Spec] {
    match jurisdiction {
        Jurisdiction::Uk => BenefitRules::PARAMETERS,
        Jurisdiction::England => EnglandRules::PARAMETERS,
        Jurisdiction::Wales => WalesRules::PARAMETERS,
        Jurisdiction::Scotland => ScotlandRules::PARAMETERS,
        Jurisdiction::NorthernIreland => NorthernIrelandRules::PARAMETERS,
    }
}

/// A nation's own rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NationRules {
    England(EnglandRules),
    Wales(WalesRules),
    Scotland(ScotlandRules),
    NorthernIreland(NorthernIrelandRules),
}

/// Everything in force for one nation from one date until the next change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rules {
    pub nation: Nation,
    /// The first day these rules apply.
    pub from: NaiveDate,
    pub benefits: BenefitRules,
    pub national: NationRules,
}

impl Rules {
    pub(super) fn resolve(
        policy: &Policy,
        nation: Nation,
        date: NaiveDate,
    ) -> Result<Rules, PolicyError> {
        let national = match nation {
            Nation::England => NationRules::England(EnglandRules::resolve(policy, date)?),
            Nation::Wales => NationRules::Wales(WalesRules::resolve(policy, date)?),
            Nation::Scotland => NationRules::Scotland(ScotlandRules::resolve(policy, date)?),
            Nation::NorthernIreland => {
                NationRules::NorthernIreland(NorthernIrelandRules::resolve(policy, date)?)
            }
        };
        Ok(Rules { nation, from: date, benefits: BenefitRules::resolve(policy, date)?, national })
    }
}

/// How capital is treated: above `upper` a person pays the full cost; between the tariff's
/// lower limit and `upper`, each band (or part of one) counts as a fixed weekly income.
#[derive(Clone, Copy, Debug)]
pub struct CapitalRule<'a> {
    pub upper: &'a Param<Money>,
    pub tariff: Option<Tariff<'a>>,
}

impl<'a> CapitalRule<'a> {
    /// A lower and an upper limit, with tariff income in bands between them.
    pub fn banded(
        upper: &'a Param<Money>,
        lower: &'a Param<Money>,
        band: &'a Param<Money>,
        per_band: &'a Param<Money>,
    ) -> CapitalRule<'a> {
        CapitalRule { upper, tariff: Some(Tariff { lower, band, per_band }) }
    }
}

/// Tariff income: `per_band` a week for every `band`, or part of one, above `lower`.
#[derive(Clone, Copy, Debug)]
pub struct Tariff<'a> {
    pub lower: &'a Param<Money>,
    pub band: &'a Param<Money>,
    pub per_band: &'a Param<Money>,
}
