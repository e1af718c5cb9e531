//! An assessment case: the person's circumstances on a date, as the API and the CLI take
//! them (`CaseInput`, plain serde) and as the engine uses them once checked (`Case`).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use smallvec::SmallVec;

use crate::field::{FieldError, parse_date};
use crate::money::{Money, Ratio};
use crate::policy::{LocalEntry, Nation, Source};

/// Where the care is provided.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Setting {
    /// Care and support at home or in the community.
    NonResidential,
    /// A care home (residential or nursing).
    CareHome,
}

impl Setting {
    pub fn as_str(self) -> &'static str {
        match self {
            Setting::NonResidential => "non_residential",
            Setting::CareHome => "care_home",
        }
    }
}

/// Declares a closed list of kinds with their JSON names.
macro_rules! kinds {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $text:literal / $label:literal,)* }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $(#[serde(rename = $text)] $variant,)*
        }

        impl $name {
            pub const ALL: &[$name] = &[$($name::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                }
            }

            /// The kind in plain English, for explanations.
            pub fn label(self) -> &'static str {
                match self {
                    $($name::$variant => $label,)*
                }
            }
        }
    };
}

kinds! {
    /// A kind of capital.
    CapitalKind {
        Savings = "savings" / "Savings",
        Investments = "investments" / "Investments",
        MainHome = "main_home" / "The main home",
        OtherProperty = "other_property" / "Other property",
    }
}

kinds! {
    /// A kind of weekly income.
    IncomeKind {
        StatePension = "state_pension" / "State Pension",
        PrivatePension = "private_pension" / "Private pension",
        PensionCreditGuarantee = "pension_credit_guarantee" / "Pension Credit (guarantee credit)",
        PensionCreditSavings = "pension_credit_savings" / "Pension Credit (savings credit)",
        Esa = "esa" / "Employment and Support Allowance",
        UniversalCredit = "universal_credit" / "Universal Credit",
        IncomeSupport = "income_support" / "Income Support",
        CarersAllowance = "carers_allowance" / "Carer's Allowance",
        Earnings = "earnings" / "Earnings",
        AttendanceAllowanceLower = "attendance_allowance_lower" / "Attendance Allowance (lower rate)",
        AttendanceAllowanceHigher = "attendance_allowance_higher" / "Attendance Allowance (higher rate)",
        DlaCareLowest = "dla_care_lowest" / "DLA care (lowest rate)",
        DlaCareMiddle = "dla_care_middle" / "DLA care (middle rate)",
        DlaCareHighest = "dla_care_highest" / "DLA care (highest rate)",
        DlaMobilityLower = "dla_mobility_lower" / "DLA mobility (lower rate)",
        DlaMobilityHigher = "dla_mobility_higher" / "DLA mobility (higher rate)",
        PipDailyLivingStandard = "pip_daily_living_standard" / "PIP daily living (standard rate)",
        PipDailyLivingEnhanced = "pip_daily_living_enhanced" / "PIP daily living (enhanced rate)",
        PipMobilityStandard = "pip_mobility_standard" / "PIP mobility (standard rate)",
        PipMobilityEnhanced = "pip_mobility_enhanced" / "PIP mobility (enhanced rate)",
        OtherCounted = "other_counted" / "Other income",
        OtherDisregarded = "other_disregarded" / "Other income that is ignored",
    }
}

kinds! {
    /// How long a care-home stay is expected to last (SI 2014/2672 reg 2(1)).
    Stay {
        Permanent = "permanent" / "Permanent resident",
        Temporary = "temporary" / "Temporary resident (a stay unlikely to exceed 52 weeks)",
        ShortTerm = "short_term" / "Short-term resident (a stay of up to 8 weeks)",
    }
}

/// Hours of care a week as a decimal string, with a message about hours (not proportions).
fn hours<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<Ratio>, D::Error> {
    let Some(text) = Option::<String>::deserialize(deserializer)? else { return Ok(None) };
    Ratio::parse(&text).map(Some).map_err(|_| {
        serde::de::Error::custom(format!(
            "give the hours of care in a week as a number like \"10.5\" (got {text:?})"
        ))
    })
}

/// The person's circumstances.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonInput {
    pub age_years: u32,
    /// Whether the person has reached the qualifying age for Pension Credit.
    pub pension_credit_age: bool,
    /// Whether the person is one of a couple (assessed on their own income and their
    /// share of joint capital).
    pub couple: bool,
    /// Whether the person is a lone parent: no partner, and responsible for a child who
    /// lives with them (the Income Support meaning, which SI 2014/2672 reg 2(1) adopts).
    /// England's Minimum Income Guarantee has its own amount for a lone parent (reg 7(3)),
    /// lower than a single person's from 6 April 2026. Needs `couple: false` and at least
    /// one of `premiums.dependent_children`.
    #[serde(default)]
    pub lone_parent: bool,
}

/// The premiums that raise a minimum income amount (the means-tested benefit premiums
/// the person qualifies for, or would).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PremiumsInput {
    pub disability: bool,
    pub enhanced_disability: bool,
    pub carer: bool,
    pub dependent_children: u32,
}

/// One item of capital.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CapitalInput {
    pub kind: CapitalKind,
    pub value: Money,
    /// Held jointly: the person is assessed on an equal share (half).
    #[serde(default)]
    pub joint: bool,
    /// For a main home: a partner, a relative aged 60 or over or incapacitated, or a child
    /// under 18 lives there, so it is disregarded.
    #[serde(default)]
    pub occupied_by_qualifying_relative: bool,
}

/// One weekly income.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncomeInput {
    pub kind: IncomeKind,
    pub amount: Money,
}

/// A council's discretionary choices, for one case or from a council's overlay file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalInput {
    /// Disregard the night-care element of higher-rate Attendance Allowance, highest-rate
    /// DLA care and enhanced PIP daily living when no night care is arranged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disregard_night_care_element: Option<bool>,
    /// Charge only this share of assessable income (for example "0.90").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percentage_of_assessable_income: Option<Ratio>,
    /// Added to the national minimum income amount each week.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum_income_guarantee_uplift: Option<Money>,
    /// A flat weekly disability-related-expenditure allowance, given where the person's
    /// own itemised amount is lower.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flat_disability_related_expenditure: Option<Money>,
    /// Disregard Pension Credit savings credit in full for care at home (England: a sum
    /// the council may choose to disregard under reg 15(2) of SI 2014/2672), on top of
    /// the Savings Credit disregard the law gives.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disregard_savings_credit_in_full_at_home: Option<bool>,
    /// England: assess and charge a short-term resident (a care-home stay of up to 8
    /// weeks) as if they were receiving care at home (SI 2014/2672 reg 8, "if it thinks
    /// fit"). Wales does this by law (SI 2015/1843 reg 9(3)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charge_short_term_as_at_home: Option<bool>,
    /// A one-off fee for arranging care at home for a person above the capital limit who
    /// asks the council to arrange it (Care Act 2014 s.14(1)(b), s.18(3); SI 2014/2672
    /// reg 5: the council's costs only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arrangement_fee_set_up: Option<Money>,
    /// The yearly fee for managing those arrangements (same basis).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arrangement_fee_annual: Option<Money>,
    /// The council charges for care at home at no more than this much an hour, whatever
    /// the care costs it (the charge is the lower of the assessed charge and this rate
    /// times the hours of care).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hourly_charge_rate: Option<Money>,
    /// Care at home for one of a couple: also work out the charge on half of the couple's
    /// joint income (the case's `partner_weekly_income` with the person's own) and charge
    /// the lower of that and the charge on the person's own income (a "better-off"
    /// calculation: the regulations assess the person alone; a council may charge less).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assess_couple_jointly_if_lower: Option<bool>,
}

/// The facts that decide the Savings Credit disregard: England's Sch 1 para 40 of SI
/// 2014/2672 and Scotland's Sch 3 para 28G of SI 1992/2977 (see the README).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavingsCreditInput {
    /// The person's weekly qualifying income for Pension Credit savings credit (reg 9 of
    /// the State Pension Credit Regulations 2002); for one of a couple, the couple's
    /// together (para 40(6)(b)). It is compared with the standard minimum guarantee.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weekly_qualifying_income: Option<Money>,
    /// One of a couple: the partner has reached 65 (para 40(4)(b)(ii)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner_aged_65_or_over: Option<bool>,
    /// One of a couple: the partner is in receipt of savings credit (para 40(5)(b)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner_receives_savings_credit: Option<bool>,
    /// One of a couple: the sum in para 40(4) has already been disregarded in the
    /// partner's own assessment (para 40(5)(a)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sum_disregarded_for_partner: Option<bool>,
}

/// An assessment case as the API and the CLI take it. See the README for the shape.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseInput {
    pub nation: Nation,
    pub date: String,
    pub setting: Setting,
    pub person: PersonInput,
    pub premiums: PremiumsInput,
    pub capital: Vec<CapitalInput>,
    pub weekly_income: Vec<IncomeInput>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weekly_housing_costs: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weekly_disability_related_expenditure: Option<Money>,
    pub weekly_cost_of_care: Money,
    /// Scotland: the part of the weekly cost that is personal care, which is free.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weekly_cost_of_personal_care: Option<Money>,
    #[serde(default)]
    pub night_care_provided: bool,
    /// The person receives nursing care in a care home (Scotland's free nursing care and
    /// Northern Ireland's nursing contribution then reduce what they can be charged).
    #[serde(default)]
    pub nursing_care: bool,
    /// The care is arranged and funded by the NHS (continuing healthcare, section 117
    /// aftercare): never charged.
    #[serde(default)]
    pub nhs_funded: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local: Option<LocalInput>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weeks_in_care_home: Option<u32>,
    /// Care homes: `permanent` (the default), `temporary` (unlikely to exceed 52 weeks) or
    /// `short_term` (up to 8 weeks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stay: Option<Stay>,
    /// A temporary resident intends to return to their main home and it is still available
    /// to them (or they are selling it to buy another to live in), so it is disregarded
    /// (SI 2014/2672 Sch 2 para 1).
    #[serde(default)]
    pub returning_home: bool,
    /// The weekly amount of the person's occupational or personal pension they pay to a
    /// spouse or civil partner who does not live with them. At least half of the pension
    /// paid over means half the pension is disregarded (SI 2014/2672 Sch 1 para 16).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weekly_pension_paid_to_spouse: Option<Money>,
    /// A person above the capital limit asks the council to arrange their care at home
    /// (Care Act 2014 s.18(3)); the council may charge its arrangement fee.
    #[serde(default)]
    pub council_arranges: bool,
    /// Hours of care a week, where the council charges by the hour (for example "10.5").
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "hours")]
    pub weekly_hours_of_care: Option<Ratio>,
    /// Northern Ireland: the care at home is home help (domestic help) rather than
    /// personal care, which is free.
    #[serde(default)]
    pub home_help: bool,
    /// The facts that decide the Savings Credit disregard, when it may apply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub savings_credit: Option<SavingsCreditInput>,
    /// One of a couple: the partner's own weekly income, used only where the council
    /// also assesses a couple jointly and charges the lower
    /// (`local.assess_couple_jointly_if_lower`); the law assesses the person alone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub partner_weekly_income: Vec<IncomeInput>,
}

/// The local options in force for a case, with their defaults filled in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LocalOptions {
    pub disregard_night_care_element: bool,
    pub percentage_of_assessable_income: Ratio,
    pub minimum_income_guarantee_uplift: Money,
    pub flat_disability_related_expenditure: Option<Money>,
    pub charge_short_term_as_at_home: bool,
    pub arrangement_fee_set_up: Money,
    pub arrangement_fee_annual: Money,
    pub hourly_charge_rate: Option<Money>,
    pub disregard_savings_credit_in_full_at_home: bool,
    pub assess_couple_jointly_if_lower: bool,
    /// The council's overlay entry the options started from, if any, so an explanation
    /// can cite the council's policy for each choice it made.
    pub council: Option<&'static LocalEntry>,
    /// The options the case's own `local` object set (bits of [`LocalOption`]): those
    /// are not the council's, and are not cited to it.
    pub set_by_case: u16,
}

/// One of a council's discretionary choices, as a bit of [`LocalOptions::set_by_case`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LocalOption {
    DisregardNightCareElement = 1,
    PercentageOfAssessableIncome = 2,
    MinimumIncomeGuaranteeUplift = 4,
    FlatDisabilityRelatedExpenditure = 8,
    ChargeShortTermAsAtHome = 32,
    ArrangementFeeSetUp = 64,
    ArrangementFeeAnnual = 128,
    HourlyChargeRate = 256,
    DisregardSavingsCreditInFullAtHome = 16,
    AssessCoupleJointlyIfLower = 512,
}

impl LocalOption {
    /// The option's name in overlay files and in a case's `local` object.
    pub fn name(self) -> &'static str {
        match self {
            LocalOption::DisregardNightCareElement => "disregard_night_care_element",
            LocalOption::PercentageOfAssessableIncome => "percentage_of_assessable_income",
            LocalOption::MinimumIncomeGuaranteeUplift => "minimum_income_guarantee_uplift",
            LocalOption::FlatDisabilityRelatedExpenditure => "flat_disability_related_expenditure",
            LocalOption::ChargeShortTermAsAtHome => "charge_short_term_as_at_home",
            LocalOption::ArrangementFeeSetUp => "arrangement_fee_set_up",
            LocalOption::ArrangementFeeAnnual => "arrangement_fee_annual",
            LocalOption::HourlyChargeRate => "hourly_charge_rate",
            LocalOption::DisregardSavingsCreditInFullAtHome => {
                "disregard_savings_credit_in_full_at_home"
            }
            LocalOption::AssessCoupleJointlyIfLower => "assess_couple_jointly_if_lower",
        }
    }

    fn set_in(self, input: &LocalInput) -> bool {
        match self {
            LocalOption::DisregardNightCareElement => input.disregard_night_care_element.is_some(),
            LocalOption::PercentageOfAssessableIncome => {
                input.percentage_of_assessable_income.is_some()
            }
            LocalOption::MinimumIncomeGuaranteeUplift => {
                input.minimum_income_guarantee_uplift.is_some()
            }
            LocalOption::FlatDisabilityRelatedExpenditure => {
                input.flat_disability_related_expenditure.is_some()
            }
            LocalOption::ChargeShortTermAsAtHome => input.charge_short_term_as_at_home.is_some(),
            LocalOption::ArrangementFeeSetUp => input.arrangement_fee_set_up.is_some(),
            LocalOption::ArrangementFeeAnnual => input.arrangement_fee_annual.is_some(),
            LocalOption::HourlyChargeRate => input.hourly_charge_rate.is_some(),
            LocalOption::DisregardSavingsCreditInFullAtHome => {
                input.disregard_savings_credit_in_full_at_home.is_some()
            }
            LocalOption::AssessCoupleJointlyIfLower => {
                input.assess_couple_jointly_if_lower.is_some()
            }
        }
    }

    const ALL: [LocalOption; 10] = [
        LocalOption::DisregardNightCareElement,
        LocalOption::PercentageOfAssessableIncome,
        LocalOption::MinimumIncomeGuaranteeUplift,
        LocalOption::FlatDisabilityRelatedExpenditure,
        LocalOption::ChargeShortTermAsAtHome,
        LocalOption::ArrangementFeeSetUp,
        LocalOption::ArrangementFeeAnnual,
        LocalOption::HourlyChargeRate,
        LocalOption::DisregardSavingsCreditInFullAtHome,
        LocalOption::AssessCoupleJointlyIfLower,
    ];
}

impl Default for LocalOptions {
    fn default() -> LocalOptions {
        LocalOptions {
            disregard_night_care_element: false,
            percentage_of_assessable_income: Ratio::ONE,
            minimum_income_guarantee_uplift: Money::ZERO,
            flat_disability_related_expenditure: None,
            charge_short_term_as_at_home: false,
            arrangement_fee_set_up: Money::ZERO,
            arrangement_fee_annual: Money::ZERO,
            hourly_charge_rate: None,
            disregard_savings_credit_in_full_at_home: false,
            assess_couple_jointly_if_lower: false,
            council: None,
            set_by_case: 0,
        }
    }
}

impl LocalOptions {
    /// The council's source for `option`, `value` being what it set, when the option came
    /// from the council's overlay (not the case's own `local` object): for explanations.
    pub fn council_source(&self, option: LocalOption, value: String) -> Option<Source> {
        let entry = self.council?;
        if self.set_by_case & option as u16 != 0 || !option.set_in(&entry.options) {
            return None;
        }
        Some(Source {
            parameter: format!("local.{}", option.name()),
            value,
            from: entry.from,
            reference: entry.reference.clone(),
        })
    }

    /// The case's own `local` object over these options: what it sets wins, and is
    /// marked as the case's.
    pub fn overridden_by_case(self, input: &LocalInput) -> LocalOptions {
        let set_by_case = LocalOption::ALL
            .iter()
            .filter(|option| option.set_in(input))
            .fold(self.set_by_case, |bits, option| bits | *option as u16);
        LocalOptions { set_by_case, ..self.with(input) }
    }

    /// `overlay` over these options: what the overlay sets wins.
    pub fn with(self, overlay: &LocalInput) -> LocalOptions {
        LocalOptions {
            council: self.council,
            set_by_case: self.set_by_case,
            disregard_night_care_element: overlay
                .disregard_night_care_element
                .unwrap_or(self.disregard_night_care_element),
            percentage_of_assessable_income: overlay
                .percentage_of_assessable_income
                .unwrap_or(self.percentage_of_assessable_income),
            minimum_income_guarantee_uplift: overlay
                .minimum_income_guarantee_uplift
                .unwrap_or(self.minimum_income_guarantee_uplift),
            flat_disability_related_expenditure: overlay
                .flat_disability_related_expenditure
                .or(self.flat_disability_related_expenditure),
            charge_short_term_as_at_home: overlay
                .charge_short_term_as_at_home
                .unwrap_or(self.charge_short_term_as_at_home),
            arrangement_fee_set_up: overlay
                .arrangement_fee_set_up
                .unwrap_or(self.arrangement_fee_set_up),
            arrangement_fee_annual: overlay
                .arrangement_fee_annual
                .unwrap_or(self.arrangement_fee_annual),
            hourly_charge_rate: overlay.hourly_charge_rate.or(self.hourly_charge_rate),
            disregard_savings_credit_in_full_at_home: overlay
                .disregard_savings_credit_in_full_at_home
                .unwrap_or(self.disregard_savings_credit_in_full_at_home),
            assess_couple_jointly_if_lower: overlay
                .assess_couple_jointly_if_lower
                .unwrap_or(self.assess_couple_jointly_if_lower),
        }
    }
}

/// An item of capital once checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CapitalItem {
    pub kind: CapitalKind,
    pub value: Money,
    pub joint: bool,
    pub occupied_by_qualifying_relative: bool,
}

/// A weekly income once checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IncomeItem {
    pub kind: IncomeKind,
    pub amount: Money,
}

/// A checked case: every amount non-negative, the person an adult, the options
/// consistent. Only [`Case::parse`] makes one.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Case {
    pub nation: Nation,
    pub date: NaiveDate,
    /// `date` as days from the common era, for [`crate::policy::Policy::rules_on_day`].
    pub day: i32,
    pub setting: Setting,
    pub age_years: u32,
    pub pension_credit_age: bool,
    pub couple: bool,
    pub lone_parent: bool,
    pub disability_premium: bool,
    pub enhanced_disability_premium: bool,
    pub carer_premium: bool,
    pub dependent_children: u32,
    /// Held inline for the usual handful of items, so that assessing a population reads
    /// each case from one run of memory instead of chasing two heap pointers a case.
    pub capital: SmallVec<[CapitalItem; 2]>,
    pub income: SmallVec<[IncomeItem; 4]>,
    pub housing_costs: Money,
    pub disability_related_expenditure: Money,
    pub cost_of_care: Money,
    pub cost_of_personal_care: Money,
    pub night_care_provided: bool,
    pub nursing_care: bool,
    pub nhs_funded: bool,
    pub weeks_in_care_home: u32,
    /// A care-home stay's kind; `Permanent` for care at home.
    pub stay: Stay,
    /// A short-term resident assessed as if at home (`setting` is then `NonResidential`).
    pub short_term_as_at_home: bool,
    pub returning_home: bool,
    pub pension_paid_to_spouse: Money,
    pub council_arranges: bool,
    pub weekly_hours_of_care: Option<Ratio>,
    pub home_help: bool,
    pub local: LocalOptions,
    /// The partner's own income (see [`CaseInput::partner_weekly_income`]).
    pub partner_income: Vec<IncomeItem>,
    /// Set by the engine on the person's own assessment when it is compared with a joint
    /// one, so its last step says what they would pay, not what they pay.
    pub(crate) assessed_alone_for_comparison: bool,
    /// The facts that decide the Savings Credit disregard, as the case gave them.
    pub savings_credit: SavingsCreditFacts,
}

/// The facts that decide the Savings Credit disregard, once checked (see
/// [`SavingsCreditInput`]): `None` where the case did not say.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SavingsCreditFacts {
    pub qualifying_income: Option<Money>,
    pub partner_aged_65_or_over: Option<bool>,
    pub partner_receives_savings_credit: Option<bool>,
    pub sum_disregarded_for_partner: Option<bool>,
}

/// Whether a Savings Credit disregard exists in law for a nation and setting: England's
/// Sch 1 para 40 of SI 2014/2672 in every financial assessment (reg 15(1)), Scotland's
/// Sch 3 para 28G of SI 1992/2977 for care-home residents. Wales's and Northern Ireland's
/// policy files hold none.
pub fn savings_credit_disregard_applies(nation: Nation, setting: Setting) -> bool {
    matches!((nation, setting), (Nation::England, _) | (Nation::Scotland, Setting::CareHome))
}

/// The oldest age onebudget accepts, to catch a year of birth typed as an age.
pub const MAX_AGE_YEARS: u32 = 130;
/// The most dependent children a case may list.
pub const MAX_DEPENDENT_CHILDREN: u32 = 30;

fn non_negative(field: &str, amount: Money) -> Result<Money, FieldError> {
    if amount.is_negative() {
        return Err(FieldError::new(
            field,
            &amount.to_plain_string(),
            "must not be negative; give the weekly amount as a positive figure or 0.00",
        ));
    }
    Ok(amount)
}

impl Case {
    /// The kind of stay: only for a care home; a temporary stay is modelled for England,
    /// a short-term one for England and Wales.
    fn parse_stay(input: &CaseInput) -> Result<Stay, FieldError> {
        let stay = input.stay.unwrap_or(Stay::Permanent);
        if input.setting == Setting::NonResidential && stay != Stay::Permanent {
            return Err(FieldError::new(
                "stay",
                stay.as_str(),
                "applies only to setting care_home; leave it out for care at home",
            ));
        }
        let modelled = match stay {
            Stay::Permanent => true,
            Stay::Temporary => input.nation == Nation::England,
            Stay::ShortTerm => matches!(input.nation, Nation::England | Nation::Wales),
        };
        if !modelled {
            return Err(FieldError::new(
                "stay",
                stay.as_str(),
                format!(
                    "is not yet modelled for {}: onebudget assesses temporary stays in England \
                     and short-term stays in England and Wales; assess the stay as permanent \
                     and adjust by hand",
                    input.nation.as_str()
                ),
            ));
        }
        if input.returning_home && stay != Stay::Temporary && stay != Stay::ShortTerm {
            return Err(FieldError::new(
                "returning_home",
                "true",
                "applies to a temporary or short-term stay (stay: temporary or short_term); a \
                 permanent resident's home is disregarded for 12 weeks, or while a qualifying \
                 relative lives there",
            ));
        }
        Ok(stay)
    }

    /// Check a case. `defaults` are the council's local options, which the case's own
    /// `local` object overrides.
    pub fn parse(input: &CaseInput, defaults: LocalOptions) -> Result<Case, FieldError> {
        let date = parse_date("date", &input.date)?;
        let age = input.person.age_years;
        if !(18..=MAX_AGE_YEARS).contains(&age) {
            return Err(FieldError::new(
                "person.age_years",
                &age.to_string(),
                format!(
                    "adult social care charging applies to adults: give an age from 18 to {MAX_AGE_YEARS}"
                ),
            ));
        }
        if input.premiums.dependent_children > MAX_DEPENDENT_CHILDREN {
            return Err(FieldError::new(
                "premiums.dependent_children",
                &input.premiums.dependent_children.to_string(),
                format!("give a number from 0 to {MAX_DEPENDENT_CHILDREN}"),
            ));
        }
        if input.person.lone_parent && input.person.couple {
            return Err(FieldError::new(
                "person.lone_parent",
                "true",
                "contradicts person.couple: true; a lone parent has no partner, so give one \
                 of them as false",
            ));
        }
        if input.person.lone_parent && input.premiums.dependent_children == 0 {
            return Err(FieldError::new(
                "person.lone_parent",
                "true",
                "contradicts premiums.dependent_children: 0; a lone parent is responsible for \
                 a child living with them, so give the number of children or set lone_parent \
                 to false",
            ));
        }
        let mut capital = SmallVec::with_capacity(input.capital.len());
        for (i, item) in input.capital.iter().enumerate() {
            let value = non_negative(&format!("capital[{i}].value"), item.value)?;
            if item.occupied_by_qualifying_relative && item.kind != CapitalKind::MainHome {
                return Err(FieldError::new(
                    &format!("capital[{i}].occupied_by_qualifying_relative"),
                    "true",
                    "only a main_home can be occupied by a qualifying relative",
                ));
            }
            capital.push(CapitalItem {
                kind: item.kind,
                value,
                joint: item.joint,
                occupied_by_qualifying_relative: item.occupied_by_qualifying_relative,
            });
        }
        let mut income = SmallVec::with_capacity(input.weekly_income.len());
        for (i, item) in input.weekly_income.iter().enumerate() {
            let amount = non_negative(&format!("weekly_income[{i}].amount"), item.amount)?;
            income.push(IncomeItem { kind: item.kind, amount });
        }
        let partner_income = partner_income(input)?;
        let cost_of_care = non_negative("weekly_cost_of_care", input.weekly_cost_of_care)?;
        let cost_of_personal_care = non_negative(
            "weekly_cost_of_personal_care",
            input.weekly_cost_of_personal_care.unwrap_or(Money::ZERO),
        )?;
        if cost_of_personal_care > cost_of_care {
            return Err(FieldError::new(
                "weekly_cost_of_personal_care",
                &cost_of_personal_care.to_plain_string(),
                "is more than weekly_cost_of_care; personal care is part of the cost of care",
            ));
        }
        let weeks_in_care_home = match (input.setting, input.weeks_in_care_home) {
            (Setting::CareHome, Some(weeks)) => weeks,
            (Setting::CareHome, None)
                if input.stay.unwrap_or(Stay::Permanent) == Stay::Permanent
                    && input.capital.iter().any(|c| {
                        c.kind == CapitalKind::MainHome && !c.occupied_by_qualifying_relative
                    }) =>
            {
                return Err(FieldError::new(
                    "weeks_in_care_home",
                    "",
                    "is needed for a care home case with a main_home: the home is disregarded \
                     for the first weeks of a permanent stay; give the number of weeks so far",
                ));
            }
            (Setting::CareHome, None) => 0,
            (Setting::NonResidential, Some(weeks)) if weeks > 0 => {
                return Err(FieldError::new(
                    "weeks_in_care_home",
                    &weeks.to_string(),
                    "applies only to setting care_home",
                ));
            }
            (Setting::NonResidential, _) => 0,
        };
        let local = match &input.local {
            Some(overlay) => defaults.overridden_by_case(overlay),
            None => defaults,
        };
        if local.percentage_of_assessable_income > Ratio::ONE {
            return Err(FieldError::new(
                "local.percentage_of_assessable_income",
                &local.percentage_of_assessable_income.to_string(),
                "a council may charge less than the maximum, not more: give a share from 0 to 1",
            ));
        }
        non_negative(
            "local.minimum_income_guarantee_uplift",
            local.minimum_income_guarantee_uplift,
        )?;
        if let Some(flat) = local.flat_disability_related_expenditure {
            non_negative("local.flat_disability_related_expenditure", flat)?;
        }
        non_negative("local.arrangement_fee_set_up", local.arrangement_fee_set_up)?;
        non_negative("local.arrangement_fee_annual", local.arrangement_fee_annual)?;
        if let Some(rate) = local.hourly_charge_rate {
            non_negative("local.hourly_charge_rate", rate)?;
        }
        let stay = Self::parse_stay(input)?;
        // A short-term resident is assessed as if at home where the council chooses to in
        // England (reg 8) and always in Wales (SI 2015/1843 reg 9(3)).
        let short_term_as_at_home = stay == Stay::ShortTerm
            && (input.nation == Nation::Wales
                || input.nation == Nation::England && local.charge_short_term_as_at_home);
        let setting = if short_term_as_at_home { Setting::NonResidential } else { input.setting };
        let pension_paid_to_spouse = non_negative(
            "weekly_pension_paid_to_spouse",
            input.weekly_pension_paid_to_spouse.unwrap_or(Money::ZERO),
        )?;
        if pension_paid_to_spouse.is_positive() {
            if input.nation != Nation::England {
                return Err(FieldError::new(
                    "weekly_pension_paid_to_spouse",
                    &pension_paid_to_spouse.to_plain_string(),
                    "is modelled for England (SI 2014/2672 Sch 1 para 16) only so far; leave it \
                     out and list the pension as counted income",
                ));
            }
            let pensions = input
                .weekly_income
                .iter()
                .filter(|i| i.kind == IncomeKind::PrivatePension)
                .try_fold(Money::ZERO, |sum, i| sum.checked_add(i.amount))
                .map_err(|_| {
                    FieldError::new("weekly_income", "", "the pensions are too large to add up")
                })?;
            if pension_paid_to_spouse > pensions {
                return Err(FieldError::new(
                    "weekly_pension_paid_to_spouse",
                    &pension_paid_to_spouse.to_plain_string(),
                    format!(
                        "is more than the private_pension income in weekly_income ({}); list \
                         the occupational or personal pension it is paid from",
                        pensions.to_plain_string()
                    ),
                ));
            }
        }
        if input.home_help
            && (input.nation != Nation::NorthernIreland || input.setting != Setting::NonResidential)
        {
            return Err(FieldError::new(
                "home_help",
                "true",
                "applies only to Northern Ireland care at home (nation northern_ireland, setting \
                 non_residential), where home help is charged for and personal care is free",
            ));
        }
        if let Some(hours) = input.weekly_hours_of_care
            && hours > Ratio::from_millionths(168 * Ratio::SCALE)
        {
            return Err(FieldError::new(
                "weekly_hours_of_care",
                &hours.to_string(),
                "give the hours of care in a week, from 0 to 168",
            ));
        }
        if local.hourly_charge_rate.is_some()
            && input.weekly_hours_of_care.is_none()
            && setting == Setting::NonResidential
        {
            return Err(FieldError::new(
                "weekly_hours_of_care",
                "",
                "is needed because the council charges by the hour \
                 (local.hourly_charge_rate); give the hours of care a week",
            ));
        }
        let savings_credit = savings_credit_facts(input, &income)?;
        Ok(Case {
            nation: input.nation,
            date,
            day: chrono::Datelike::num_days_from_ce(&date),
            setting,
            age_years: age,
            pension_credit_age: input.person.pension_credit_age,
            couple: input.person.couple,
            lone_parent: input.person.lone_parent,
            disability_premium: input.premiums.disability,
            enhanced_disability_premium: input.premiums.enhanced_disability,
            carer_premium: input.premiums.carer,
            dependent_children: input.premiums.dependent_children,
            capital,
            income,
            housing_costs: non_negative(
                "weekly_housing_costs",
                input.weekly_housing_costs.unwrap_or(Money::ZERO),
            )?,
            disability_related_expenditure: non_negative(
                "weekly_disability_related_expenditure",
                input.weekly_disability_related_expenditure.unwrap_or(Money::ZERO),
            )?,
            cost_of_care,
            cost_of_personal_care,
            night_care_provided: input.night_care_provided,
            nursing_care: input.nursing_care,
            nhs_funded: input.nhs_funded,
            weeks_in_care_home,
            stay,
            short_term_as_at_home,
            returning_home: input.returning_home,
            pension_paid_to_spouse,
            council_arranges: input.council_arranges,
            weekly_hours_of_care: input.weekly_hours_of_care,
            home_help: input.home_help,
            local,
            partner_income,
            assessed_alone_for_comparison: false,
            savings_credit,
        })
    }
}

/// The partner's own income: only for one of a couple, and never savings credit, which
/// the couple's Pension Credit pays once and the person's `weekly_income` lists.
fn partner_income(input: &CaseInput) -> Result<Vec<IncomeItem>, FieldError> {
    if !input.partner_weekly_income.is_empty() && !input.person.couple {
        let given = match input.partner_weekly_income.len() {
            1 => "1 income".to_owned(),
            n => format!("{n} incomes"),
        };
        return Err(FieldError::new(
            "partner_weekly_income",
            &given,
            "contradicts person.couple: false; only one of a couple has a partner's income to \
             give, so leave partner_weekly_income out or set person.couple to true",
        ));
    }
    let mut items = Vec::with_capacity(input.partner_weekly_income.len());
    for (i, item) in input.partner_weekly_income.iter().enumerate() {
        let field = format!("partner_weekly_income[{i}]");
        let amount = non_negative(&format!("{field}.amount"), item.amount)?;
        if item.kind == IncomeKind::PensionCreditSavings {
            return Err(FieldError::new(
                &format!("{field}.kind"),
                "pension_credit_savings",
                "a couple's savings credit is paid once: list it in weekly_income, not as the \
                 partner's income",
            ));
        }
        items.push(IncomeItem { kind: item.kind, amount });
    }
    Ok(items)
}

/// Check the Savings Credit facts: a partner's facts need a partner, and a person who
/// receives savings credit where the law disregards some of it must say their qualifying
/// income, which decides how much (the engine refuses the facts it needs only once the
/// figures show it needs them).
fn savings_credit_facts(
    input: &CaseInput,
    income: &[IncomeItem],
) -> Result<SavingsCreditFacts, FieldError> {
    let given = input.savings_credit.clone().unwrap_or_default();
    let facts = SavingsCreditFacts {
        qualifying_income: match given.weekly_qualifying_income {
            Some(amount) => Some(non_negative("savings_credit.weekly_qualifying_income", amount)?),
            None => None,
        },
        partner_aged_65_or_over: given.partner_aged_65_or_over,
        partner_receives_savings_credit: given.partner_receives_savings_credit,
        sum_disregarded_for_partner: given.sum_disregarded_for_partner,
    };
    if !input.person.couple {
        let partner_facts = [
            ("partner_aged_65_or_over", facts.partner_aged_65_or_over),
            ("partner_receives_savings_credit", facts.partner_receives_savings_credit),
            ("sum_disregarded_for_partner", facts.sum_disregarded_for_partner),
        ];
        if let Some((name, Some(value))) = partner_facts.iter().find(|(_, v)| v.is_some()) {
            return Err(FieldError::new(
                &format!("savings_credit.{name}"),
                &value.to_string(),
                "is a fact about a partner, but person.couple is false: remove it, or set \
                 person.couple to true if the person is one of a couple",
            ));
        }
    }
    let received = income.iter().position(|item| {
        item.kind == IncomeKind::PensionCreditSavings && item.amount.is_positive()
    });
    if let Some(i) = received
        && facts.qualifying_income.is_none()
        && !input.nhs_funded
        && savings_credit_disregard_applies(input.nation, input.setting)
    {
        let law = match input.nation {
            Nation::Scotland => "Sch 3 para 28G of SI 1992/2977 as amended for Scotland",
            _ => "Sch 1 para 40 of SI 2014/2672",
        };
        return Err(FieldError::new(
            "savings_credit.weekly_qualifying_income",
            "",
            format!(
                "is needed because weekly_income[{i}] is Pension Credit savings credit: under \
                 {law} the savings credit received is disregarded up to a limit when the \
                 person's qualifying income does not exceed the standard minimum guarantee, \
                 and a fixed sum is disregarded when it does; give the weekly qualifying \
                 income for savings credit (reg 9 of the State Pension Credit Regulations 2002; \
                 for one of a couple, the couple's together), as on the Pension Credit award"
            ),
        ));
    }
    Ok(facts)
}
