//! A deterministic synthetic caseload: people who might be assessed, in proportions
//! loosely like the UK's (most in England, most cared for at home, most over pension
//! age), with incomes at benefit-like levels. The same seed gives the same caseload.
//! Used by `onebudget bench assess` and by scenarios until real populations are loaded.

use chrono::{Days, NaiveDate};
use onebudget_core::Money;
use onebudget_core::assessment::{
    CapitalInput, CapitalKind, CaseInput, IncomeInput, IncomeKind, LocalInput, PersonInput,
    PremiumsInput, Setting,
};
use onebudget_core::policy::Nation;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// What to generate.
#[derive(Clone, Copy, Debug)]
pub struct Spec {
    pub cases: usize,
    pub seed: u64,
    /// Only this nation and setting (otherwise a mix of all).
    pub only: Option<(Nation, Setting)>,
    /// Every case on this date (otherwise spread over 2022-04-01 to 2027-03-31, five financial years).
    pub date: Option<NaiveDate>,
}

/// The income kinds the caseload uses, so that other engines given the same cases as
/// columns (the OpenFisca comparison) have a fixed set of columns.
pub const INCOME_KINDS: [IncomeKind; 15] = [
    IncomeKind::StatePension,
    IncomeKind::PrivatePension,
    IncomeKind::PensionCreditGuarantee,
    IncomeKind::Esa,
    IncomeKind::UniversalCredit,
    IncomeKind::CarersAllowance,
    IncomeKind::Earnings,
    IncomeKind::AttendanceAllowanceLower,
    IncomeKind::AttendanceAllowanceHigher,
    IncomeKind::DlaCareMiddle,
    IncomeKind::DlaCareHighest,
    IncomeKind::PipDailyLivingStandard,
    IncomeKind::PipDailyLivingEnhanced,
    IncomeKind::PipMobilityStandard,
    IncomeKind::DlaMobilityHigher,
];

fn pounds(rng: &mut StdRng, low: i64, high: i64) -> Money {
    Money::from_pence(rng.random_range(low * 100..=high * 100))
}

/// Generate the caseload.
pub fn generate(spec: &Spec) -> Vec<CaseInput> {
    let mut rng = StdRng::seed_from_u64(spec.seed);
    let first = NaiveDate::from_ymd_opt(2022, 4, 1).unwrap_or(NaiveDate::MIN);
    (0..spec.cases).map(|_| one(&mut rng, spec, first)).collect()
}

fn one(rng: &mut StdRng, spec: &Spec, first: NaiveDate) -> CaseInput {
    let (nation, setting) = spec.only.unwrap_or_else(|| {
        let nation = match rng.random_range(0..100) {
            0..84 => Nation::England,
            84..89 => Nation::Wales,
            89..97 => Nation::Scotland,
            _ => Nation::NorthernIreland,
        };
        let setting =
            if rng.random_bool(0.7) { Setting::NonResidential } else { Setting::CareHome };
        (nation, setting)
    });
    let simple = spec.only.is_some();
    let date = spec.date.unwrap_or_else(|| first + Days::new(rng.random_range(0..1826)));
    let age: u32 =
        if rng.random_bool(0.7) { rng.random_range(66..100) } else { rng.random_range(18..66) };
    let pension_credit_age = age >= 66;
    let couple = rng.random_bool(0.25);
    let mut capital = Vec::new();
    if rng.random_bool(0.6) {
        // Most have modest savings; a tail has enough to pay the full cost.
        let high = if rng.random_bool(0.15) { 80_000 } else { 20_000 };
        capital.push(CapitalInput {
            kind: CapitalKind::Savings,
            value: pounds(rng, 0, high),
            joint: !simple && couple && rng.random_bool(0.5),
            occupied_by_qualifying_relative: false,
        });
    }
    if !simple && setting == Setting::CareHome && rng.random_bool(0.4) {
        capital.push(CapitalInput {
            kind: CapitalKind::MainHome,
            value: pounds(rng, 80_000, 400_000),
            joint: couple,
            occupied_by_qualifying_relative: rng.random_bool(0.2),
        });
    }
    let mut income = Vec::new();
    let mut add = |kind: IncomeKind, amount: Money| income.push(IncomeInput { kind, amount });
    if pension_credit_age {
        add(IncomeKind::StatePension, pounds(rng, 120, 230));
        if rng.random_bool(0.4) {
            add(IncomeKind::PrivatePension, pounds(rng, 5, 300));
        }
        if rng.random_bool(0.2) {
            add(IncomeKind::PensionCreditGuarantee, pounds(rng, 5, 60));
        }
        match rng.random_range(0..3) {
            0 => add(IncomeKind::AttendanceAllowanceLower, pounds(rng, 60, 73)),
            1 => add(IncomeKind::AttendanceAllowanceHigher, pounds(rng, 90, 110)),
            _ => {}
        }
    } else {
        if rng.random_bool(0.5) {
            add(IncomeKind::Esa, pounds(rng, 80, 260));
        } else {
            add(IncomeKind::UniversalCredit, pounds(rng, 60, 250));
        }
        match rng.random_range(0..4) {
            0 => add(IncomeKind::PipDailyLivingStandard, pounds(rng, 60, 73)),
            1 => add(IncomeKind::PipDailyLivingEnhanced, pounds(rng, 90, 110)),
            2 => add(IncomeKind::DlaCareHighest, pounds(rng, 90, 110)),
            _ => add(IncomeKind::DlaCareMiddle, pounds(rng, 60, 73)),
        }
        if rng.random_bool(0.5) {
            add(IncomeKind::PipMobilityStandard, pounds(rng, 24, 29));
        } else if rng.random_bool(0.3) {
            add(IncomeKind::DlaMobilityHigher, pounds(rng, 62, 77));
        }
        if rng.random_bool(0.1) {
            add(IncomeKind::Earnings, pounds(rng, 20, 200));
        }
        if rng.random_bool(0.05) {
            add(IncomeKind::CarersAllowance, pounds(rng, 70, 82));
        }
    }
    let cost = match setting {
        Setting::NonResidential => pounds(rng, 40, 1200),
        Setting::CareHome => pounds(rng, 700, 1600),
    };
    let personal_care = (nation == Nation::Scotland && setting == Setting::NonResidential)
        .then(|| Money::from_pence(cost.pence() / 100 * rng.random_range(30..=100)));
    CaseInput {
        nation,
        date: date.to_string(),
        setting,
        person: PersonInput { age_years: age, pension_credit_age, couple, lone_parent: false },
        premiums: PremiumsInput {
            disability: !pension_credit_age && rng.random_bool(0.7),
            enhanced_disability: !pension_credit_age && rng.random_bool(0.3),
            carer: rng.random_bool(0.05),
            dependent_children: if !pension_credit_age && rng.random_bool(0.1) {
                rng.random_range(1..3)
            } else {
                0
            },
        },
        capital,
        weekly_income: income,
        weekly_housing_costs: Some(if setting == Setting::NonResidential {
            pounds(rng, 0, 60)
        } else {
            Money::ZERO
        }),
        weekly_disability_related_expenditure: Some(if setting == Setting::NonResidential {
            pounds(rng, 0, 40)
        } else {
            Money::ZERO
        }),
        weekly_cost_of_care: cost,
        weekly_cost_of_personal_care: personal_care,
        night_care_provided: rng.random_bool(0.1),
        nursing_care: setting == Setting::CareHome && rng.random_bool(0.3),
        nhs_funded: rng.random_bool(0.02) && !simple,
        local: Some(LocalInput {
            disregard_night_care_element: Some(rng.random_bool(0.5)),
            ..LocalInput::default()
        }),
        weeks_in_care_home: (setting == Setting::CareHome).then(|| rng.random_range(0..150)),
        stay: None,
        returning_home: false,
        weekly_pension_paid_to_spouse: None,
        council_arranges: false,
        weekly_hours_of_care: None,
        home_help: false,
        savings_credit: None,
        partner_weekly_income: Vec::new(),
    }
}
