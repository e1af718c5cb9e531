//! The financial assessment: what a person pays each week towards their social care.
//!
//! [`assess`] is one pure function from a checked [`Case`] and the [`Rules`] in force on
//! its date to an [`Outcome`]. It is generic over an [`Explain`] recorder: with
//! [`Quiet`] it records nothing and allocates nothing (for whole-population scenarios);
//! with a `Vec<Step>` it records every step, each naming its rule, the figures it used
//! and their legal sources. Both run the same code, so the explained and the fast result
//! cannot disagree.
//!
//! Every step carries its `effect` on the weekly charge: income counts up, allowances
//! count down, and the floor at zero and the caps are steps too, so the effects of the
//! steps always add up to the charge.
//!
//! The rules, nation by nation (sources are on the figures in `policy/`):
//! - **NHS-funded care** is never charged.
//! - **Capital**: jointly held capital counts half; the main home is ignored for care at
//!   home, and in a care home for the first weeks of a permanent stay or while a
//!   qualifying relative lives there. Above the upper limit the person pays the full
//!   cost (up to any cap); between the limits each band, or part of one, above the lower
//!   limit counts as a fixed weekly tariff income.
//! - **Income**: earnings and the mobility components of DLA and PIP are ignored;
//!   "other_disregarded" is ignored; in care at home the council may ignore the night-care
//!   element of the top rates of AA, DLA care and PIP daily living when no night care is
//!   arranged; the Savings Credit disregard applies (England, both settings:
//!   Sch 1 para 40 of SI 2014/2672; Scotland's care homes: Sch 3 para 28G of SI 1992/2977),
//!   its four cases decided by the person's qualifying income, age and partner.
//! - **Allowances**: England's Minimum Income Guarantee, housing costs and disability-
//!   related expenditure at home, the Personal Expenses Allowance in a care home; Wales's
//!   minimum income amount (basic entitlement plus a buffer) at home, capped by the
//!   maximum weekly charge, and its care-home minimum income amount; Scotland's COSLA
//!   threshold at home (personal care free) and its personal allowance in a care home
//!   (less free personal and nursing care); Northern Ireland's free domiciliary care and
//!   its care-home personal allowance (less the nursing contribution).
//! - **Charge**: assessable income floored at zero, times the council's percentage,
//!   capped at the cost of care and any national maximum.

mod case;

use chrono::NaiveDate;
use serde::Serialize;
use smallvec::SmallVec;

pub use case::{
    CapitalInput, CapitalItem, CapitalKind, Case, CaseInput, IncomeInput, IncomeItem, IncomeKind,
    LocalInput, LocalOption, LocalOptions, PersonInput, PremiumsInput, SavingsCreditFacts,
    SavingsCreditInput, Setting, Stay, savings_credit_disregard_applies,
};

use crate::field::FieldError;

use crate::money::{Money, MoneyError, Ratio, Rounding};
use crate::policy::{
    CapitalRule, Nation, NationRules, Param, Policy, PolicyError, Rules, Source, Tariff,
};

/// What kind of line a step is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    /// The cost of care and the most that can be charged.
    Cost,
    /// Counting capital.
    Capital,
    /// Counting (or ignoring) an income.
    Income,
    /// An allowance deducted from income.
    Allowance,
    /// The floor, the council's percentage and the caps.
    Charge,
}

/// One explained step of an assessment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Step {
    pub kind: StepKind,
    /// A stable name for the rule, e.g. `capital.tariff_income`.
    pub rule: &'static str,
    /// What happened, in plain English.
    pub explanation: String,
    /// The amount the step is about (an income, an allowance, a capital total).
    pub amount: Money,
    /// What the step adds to (or, negative, takes off) the weekly charge. The effects of
    /// all the steps add up to the weekly charge.
    pub effect: Money,
    /// The policy figures the step used, with their references.
    pub sources: Vec<Source>,
}

/// Receives the steps of an assessment, or ignores them.
pub trait Explain {
    /// Record a step. The closure runs only if the recorder keeps steps.
    fn record(&mut self, step: impl FnOnce() -> Step);

    /// Whether steps are kept, so the engine can skip gathering what only an
    /// explanation needs.
    fn keeps_steps(&self) -> bool {
        true
    }
}

/// Records nothing: the assessment runs at full speed and allocates nothing.
#[derive(Clone, Copy, Debug, Default)]
pub struct Quiet;

impl Explain for Quiet {
    #[inline(always)]
    fn record(&mut self, _step: impl FnOnce() -> Step) {}

    #[inline(always)]
    fn keeps_steps(&self) -> bool {
        false
    }
}

impl Explain for Vec<Step> {
    fn record(&mut self, step: impl FnOnce() -> Step) {
        self.push(step());
    }
}

/// The result of an assessment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// What the person pays each week.
    pub weekly_charge: Money,
    /// Whether the person was assessed as able to pay the full cost (capital above the
    /// limit), subject to any national maximum.
    pub full_cost: bool,
    /// Capital counted after disregards and shares.
    pub counted_capital: Money,
    pub weekly_tariff_income: Money,
    /// Income counted after disregards, before tariff income.
    pub weekly_counted_income: Money,
    /// The allowances deducted.
    pub weekly_allowances: Money,
    /// Counted income plus tariff income less allowances, floored at zero.
    pub assessable_income: Money,
    /// The most the person can be charged: the cost of care less anything free, capped
    /// by any national maximum.
    pub maximum_charge: Money,
    /// A full-cost payer who asks the council to arrange care at home: the council's
    /// one-off and yearly arrangement fees (Care Act 2014 s.14(1)(b)), on top of the charge.
    pub arrangement_fee_set_up: Money,
    pub arrangement_fee_annual: Money,
}

/// Why a case could not be assessed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AssessError {
    /// Boxed: the error path is rare, and a small error keeps every `Result` in the
    /// engine's hot path small.
    #[error(transparent)]
    Policy(Box<PolicyError>),
    #[error(transparent)]
    Money(#[from] MoneyError),
    #[error(
        "setting: {nation} has no rule in onebudget for {setting} on {date}; \
         this combination cannot be assessed"
    )]
    NoRule { nation: Nation, setting: &'static str, date: NaiveDate },
    #[error(
        "onebudget does not yet hold the figure {nation}.{parameter} in force on {date}: it has \
         not been found in a published source and is marked unknown in policy/{nation}.yaml, so \
         this case cannot be assessed; to assess it, add the figure with its reference to a \
         copy of policy/ and start onebudget with --policy-dir"
    )]
    MissingFigure { nation: Nation, parameter: &'static str, date: NaiveDate },
    /// The case does not give a fact a rule needs, or its facts contradict each other:
    /// the field to fix (boxed, as the error path is rare).
    #[error(transparent)]
    Case(Box<FieldError>),
}

/// A figure the case needs that the policy may not hold (declared `unknown`): refuse the
/// case, naming the figure, rather than assess it with something else.
fn need<'a, T>(
    param: &'a Option<Param<T>>,
    nation: Nation,
    parameter: &'static str,
    date: NaiveDate,
) -> Result<&'a Param<T>, AssessError> {
    param.as_ref().ok_or(AssessError::MissingFigure { nation, parameter, date })
}

impl From<PolicyError> for AssessError {
    fn from(error: PolicyError) -> AssessError {
        AssessError::Policy(Box::new(error))
    }
}

fn cite<T>(param: &Param<T>) -> Source {
    (*param.source).clone()
}

fn step(
    kind: StepKind,
    rule: &'static str,
    explanation: String,
    amount: Money,
    effect: Money,
    sources: Vec<Source>,
) -> Step {
    Step { kind, rule, explanation, amount, effect, sources }
}

/// An explained assessment, as the API, the CLI and the pages show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Explanation {
    pub nation: Nation,
    pub date: NaiveDate,
    pub setting: Setting,
    #[serde(flatten)]
    pub outcome: Outcome,
    /// The first day the rules used are in force (they changed on this date).
    pub rules_in_force_from: NaiveDate,
    /// The allowances deducted from income, each with its amount.
    pub allowances: Vec<AllowanceLine>,
    pub steps: Vec<Step>,
}

/// One allowance in an explained assessment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AllowanceLine {
    pub rule: &'static str,
    pub amount: Money,
}

/// Assess a case with a policy and explain every step.
pub fn explain(policy: &Policy, case: &Case) -> Result<Explanation, AssessError> {
    let rules = policy.rules_on(case.nation, case.date)?;
    let mut steps = Vec::new();
    let outcome = assess(case, rules, &mut steps)?;
    let allowances = steps
        .iter()
        .filter(|s| s.kind == StepKind::Allowance)
        .map(|s| AllowanceLine { rule: s.rule, amount: s.amount })
        .collect();
    Ok(Explanation {
        nation: case.nation,
        date: case.date,
        setting: case.setting,
        outcome,
        rules_in_force_from: rules.from,
        allowances,
        steps,
    })
}

/// Assess a case with the policy in use ([`Policy::in_use`]), recording every step.
pub fn assess_explained(case: &Case) -> Result<(Outcome, Vec<Step>), AssessError> {
    let policy = Policy::in_use()?;
    assess_with(policy, case)
}

/// Assess a case with a given policy, recording every step.
pub fn assess_with(policy: &Policy, case: &Case) -> Result<(Outcome, Vec<Step>), AssessError> {
    let rules = policy.rules_on(case.nation, case.date)?;
    let mut steps = Vec::new();
    let outcome = assess(case, rules, &mut steps)?;
    Ok((outcome, steps))
}

/// The engine. `rules` must be those in force for the case's nation on its date
/// ([`Policy::rules_on`]).
pub fn assess<E: Explain>(case: &Case, rules: &Rules, x: &mut E) -> Result<Outcome, AssessError> {
    if case.local.assess_couple_jointly_if_lower
        && case.couple
        && case.setting == Setting::NonResidential
        && !case.partner_income.is_empty()
    {
        return assess_couple_both_ways(case, rules, x);
    }
    if !case.partner_income.is_empty() && !case.assessed_alone_for_comparison {
        x.record(|| {
            step(
                StepKind::Income,
                "income.partner_not_counted",
                "The partner's own income is not counted: the regulations assess a person on \
                 their own income (SI 2014/2672 Sch 1); a council's joint assessment of a \
                 couple, where its policy makes one, is for care at home."
                    .to_owned(),
                Money::ZERO,
                Money::ZERO,
                vec![],
            )
        });
    }
    let cost = case.cost_of_care;
    let mut out = Outcome {
        weekly_charge: Money::ZERO,
        full_cost: false,
        counted_capital: Money::ZERO,
        weekly_tariff_income: Money::ZERO,
        weekly_counted_income: Money::ZERO,
        weekly_allowances: Money::ZERO,
        assessable_income: Money::ZERO,
        maximum_charge: Money::ZERO,
        arrangement_fee_set_up: Money::ZERO,
        arrangement_fee_annual: Money::ZERO,
    };
    x.record(|| {
        step(
            StepKind::Cost,
            "cost.weekly_cost_of_care",
            format!("The care costs {cost} a week."),
            cost,
            Money::ZERO,
            vec![],
        )
    });
    if case.nhs_funded {
        x.record(|| {
            step(
                StepKind::Charge,
                "nhs.free_at_point_of_use",
                "The care is arranged and funded by the NHS, which is free at the point of use: \
                 there is no charge."
                    .to_owned(),
                Money::ZERO,
                Money::ZERO,
                vec![],
            )
        });
        return Ok(out);
    }

    let setting = case.setting;
    if case.short_term_as_at_home {
        x.record(|| {
            step(
                StepKind::Cost,
                "stay.short_term_as_at_home",
                if case.nation == Nation::Wales {
                    "A stay in a care home of up to 8 weeks is charged as if the care were at \
                     home (Care and Support (Charging) (Wales) Regulations 2015, reg 9(3))."
                        .to_owned()
                } else {
                    "A stay in a care home of up to 8 weeks: the council assesses and charges it \
                     as if the care were at home (SI 2014/2672 reg 8, a local choice)."
                        .to_owned()
                },
                Money::ZERO,
                Money::ZERO,
                case.local
                    .council_source(LocalOption::ChargeShortTermAsAtHome, "true".to_owned())
                    .into_iter()
                    .collect(),
            )
        });
    }
    if case.stay == Stay::Temporary && setting == Setting::CareHome {
        x.record(|| {
            step(
                StepKind::Cost,
                "stay.temporary",
                "A temporary stay in a care home, one unlikely to last more than 52 weeks (SI \
                 2014/2672 reg 2(1)): the person keeps the Personal Expenses Allowance, and the \
                 rules for a home they mean to go back to apply."
                    .to_owned(),
                Money::ZERO,
                Money::ZERO,
                vec![],
            )
        });
    }
    let plan = Plan::for_case(case, rules, x)?;
    let Some(mut plan) = plan else { return Ok(out) };
    if let (Setting::NonResidential, Some(rate), Some(hours)) =
        (setting, case.local.hourly_charge_rate, case.weekly_hours_of_care)
    {
        let by_the_hour = hours.of(rate, Rounding::TowardZero)?;
        if by_the_hour < plan.maximum {
            let before = plan.maximum;
            plan.maximum = by_the_hour;
            x.record(|| {
                step(
                    StepKind::Cost,
                    "local.hourly_charge_rate",
                    format!(
                        "The council charges at most {rate} an hour: {hours} hours a week is \
                         {by_the_hour}, less than {before}, so at most {by_the_hour} a week can be \
                         charged."
                    ),
                    by_the_hour,
                    Money::ZERO,
                    case.local
                        .council_source(LocalOption::HourlyChargeRate, rate.to_string())
                        .into_iter()
                        .collect(),
                )
            });
        }
    }
    out.maximum_charge = plan.maximum;

    // Capital.
    out.counted_capital = count_capital(case, plan.property_disregard_weeks, x)?;
    let counted_capital = out.counted_capital;
    if counted_capital > plan.capital.upper.value {
        let upper = plan.capital.upper;
        out.full_cost = true;
        out.weekly_charge = plan.maximum;
        x.record(|| {
            step(
                StepKind::Charge,
                "capital.above_upper_limit",
                format!(
                    "Capital of {counted_capital} is more than the limit of {}, so the person \
                     pays the full charge of {} a week without a means test of income.",
                    upper.value, plan.maximum
                ),
                plan.maximum,
                plan.maximum,
                vec![cite(upper)],
            )
        });
        arrangement_fee(case, &mut out, x);
        return Ok(out);
    }
    if case.council_arranges {
        x.record(|| {
            step(
                StepKind::Charge,
                "arrangement_fee.not_applicable",
                "Capital is within the limit, so the council arranges the care as part of meeting \
                 the person's needs: no arrangement fee applies (Care Act 2014 s.14(1)(b) is only \
                 for those above it, s.18(3))."
                    .to_owned(),
                Money::ZERO,
                Money::ZERO,
                vec![],
            )
        });
    }
    if let Some(tariff) = plan.capital.tariff {
        out.weekly_tariff_income = tariff_income(counted_capital, &tariff, x)?;
    }

    // Income.
    out.weekly_counted_income = count_income(case, rules, x)?;

    // Allowances.
    out.weekly_allowances = plan.allowances(case, rules, x)?;

    // Charge.
    let total = out
        .weekly_counted_income
        .checked_add(out.weekly_tariff_income)?
        .checked_sub(out.weekly_allowances)?;
    out.assessable_income = total.max(Money::ZERO);
    if total.is_negative() {
        let lift = total.checked_neg()?;
        x.record(|| {
            step(
                StepKind::Charge,
                "charge.floor_at_zero",
                format!(
                    "Allowances are {lift} more than income: there is no assessable income, \
                     and no charge can be negative."
                ),
                Money::ZERO,
                lift,
                vec![],
            )
        });
    } else {
        let assessable = out.assessable_income;
        x.record(|| {
            step(
                StepKind::Charge,
                "charge.assessable_income",
                format!("Income less allowances leaves {assessable} a week of assessable income."),
                assessable,
                Money::ZERO,
                vec![],
            )
        });
    }
    let mut charge = out.assessable_income;
    let percentage = case.local.percentage_of_assessable_income;
    if setting == Setting::NonResidential && percentage != Ratio::ONE {
        let share = percentage.of(charge, Rounding::TowardZero)?;
        let reduction = charge.checked_sub(share)?;
        x.record(|| {
            step(
                StepKind::Charge,
                "local.percentage_of_assessable_income",
                format!(
                    "The council charges {} of assessable income (a local choice), leaving \
                     {share}.",
                    percentage.percent()
                ),
                share,
                reduction.checked_neg().unwrap_or(Money::ZERO),
                case.local
                    .council_source(
                        LocalOption::PercentageOfAssessableIncome,
                        percentage.to_string(),
                    )
                    .into_iter()
                    .collect(),
            )
        });
        charge = share;
    }
    if charge > plan.maximum {
        let excess = charge.checked_sub(plan.maximum)?;
        let maximum = plan.maximum;
        x.record(|| {
            step(
                StepKind::Charge,
                "charge.capped",
                format!("The charge is capped at {maximum} a week, the most that can be charged."),
                maximum,
                excess.checked_neg().unwrap_or(Money::ZERO),
                vec![],
            )
        });
        charge = plan.maximum;
    }
    out.weekly_charge = charge;
    x.record(|| {
        step(
            StepKind::Charge,
            "charge.weekly",
            if case.assessed_alone_for_comparison {
                format!("On their own income, the person would pay {charge} a week.")
            } else {
                format!("The person pays {charge} a week.")
            },
            charge,
            Money::ZERO,
            vec![],
        )
    });
    Ok(out)
}

/// A full-cost payer who asks the council to arrange their care: the council's arrangement
/// fees, where the law allows them (England, care at home; not care homes, whose Condition
/// 2 duty is not in force: Care Act 2014 (Commencement No. 4) Order 2015 art 3).
fn arrangement_fee<E: Explain>(case: &Case, out: &mut Outcome, x: &mut E) {
    if !case.council_arranges {
        return;
    }
    let local = &case.local;
    let (set_up, annual) = (local.arrangement_fee_set_up, local.arrangement_fee_annual);
    let applies = case.nation == Nation::England && case.setting == Setting::NonResidential;
    if applies {
        out.arrangement_fee_set_up = set_up;
        out.arrangement_fee_annual = annual;
    }
    x.record(|| {
        let (rule, explanation) = if !applies && case.setting == Setting::CareHome {
            (
                "arrangement_fee.not_applicable",
                "The person asks the council to arrange a care home place: no arrangement fee can \
                 be charged, as the duty to arrange care-home places for people above the capital \
                 limit is not in force (Care Act 2014 (Commencement No. 4) Order 2015, art 3)."
                    .to_owned(),
            )
        } else if !applies {
            (
                "arrangement_fee.not_applicable",
                format!(
                    "The person asks the council to arrange their care: onebudget models the \
                     arrangement fee of Care Act 2014 s.14(1)(b) for England only, not {}.",
                    case.nation.as_str()
                ),
            )
        } else if set_up.is_zero() && annual.is_zero() {
            (
                "local.arrangement_fee",
                "The person asks the council to arrange their care (Care Act 2014 s.18(3)); the \
                 council charges no arrangement fee."
                    .to_owned(),
            )
        } else {
            (
                "local.arrangement_fee",
                format!(
                    "The person asks the council to arrange their care (Care Act 2014 s.18(3)): \
                     the council's arrangement fee is {set_up} to set it up and {annual} a year, \
                     on top of the weekly charge, covering only its costs (s.14(1)(b); SI \
                     2014/2672 reg 5)."
                ),
            )
        };
        let sources = if applies {
            [
                local.council_source(LocalOption::ArrangementFeeSetUp, set_up.to_string()),
                local.council_source(LocalOption::ArrangementFeeAnnual, annual.to_string()),
            ]
            .into_iter()
            .flatten()
            .collect()
        } else {
            vec![]
        };
        step(StepKind::Charge, rule, explanation, Money::ZERO, Money::ZERO, sources)
    });
}

/// The parts of the rules that differ by nation and setting, chosen once per case.
struct Plan<'a> {
    capital: CapitalRule<'a>,
    property_disregard_weeks: &'a Param<u32>,
    /// The most that can be charged (cost less anything free, capped).
    maximum: Money,
    allowance: Allowance<'a>,
}

/// The allowance deducted from income, by nation and setting.
enum Allowance<'a> {
    /// England's Minimum Income Guarantee, with housing costs and DRE.
    EnglandMig(&'a crate::policy::EnglandRules),
    /// A basic entitlement plus a buffer, with housing costs and DRE: Wales's minimum
    /// income amount and Scotland's COSLA income threshold.
    Buffered {
        rule: &'static str,
        title: &'static str,
        buffer: &'a Param<Ratio>,
        /// Wales: the disability-related-expenditure amount is at least this share of the
        /// basic entitlement (SI 2015/1843 reg 12(3)(c)).
        dre_share: Option<&'a Param<Ratio>>,
    },
    /// A weekly amount a care-home resident keeps for personal spending. `amount` is
    /// `None` where the policy marks the figure unknown: needed only if the person is
    /// means-tested, so it is asked for only then.
    Personal {
        rule: &'static str,
        title: &'static str,
        amount: Option<&'a Param<Money>>,
        nation: Nation,
        parameter: &'static str,
    },
}

impl<'a> Plan<'a> {
    /// Choose the rules for the case; `None` when the case is free by law (the step
    /// saying so is recorded).
    fn for_case<E: Explain>(
        case: &Case,
        rules: &'a Rules,
        x: &mut E,
    ) -> Result<Option<Plan<'a>>, AssessError> {
        let cost = case.cost_of_care;
        let plan = match (&rules.national, case.setting) {
            (NationRules::England(r), setting) => Plan {
                capital: CapitalRule::banded(
                    &r.capital_upper_limit,
                    &r.capital_lower_limit,
                    &r.tariff_band,
                    &r.tariff_per_band,
                ),
                property_disregard_weeks: &r.property_disregard_weeks,
                maximum: cost,
                allowance: if setting == Setting::NonResidential {
                    Allowance::EnglandMig(r)
                } else {
                    Allowance::Personal {
                        rule: "england.personal_expenses_allowance",
                        title: "Personal Expenses Allowance",
                        amount: Some(&r.personal_expenses_allowance),
                        nation: Nation::England,
                        parameter: "care_home.personal_expenses_allowance",
                    }
                },
            },
            (NationRules::Wales(r), Setting::NonResidential) => {
                let cap = &r.maximum_weekly_charge;
                let maximum = cost.min(cap.value);
                if cost > cap.value {
                    x.record(|| {
                        step(
                            StepKind::Cost,
                            "wales.maximum_weekly_charge",
                            format!(
                                "In Wales no one pays more than {} a week for care at home.",
                                cap.value
                            ),
                            cap.value,
                            Money::ZERO,
                            vec![cite(cap)],
                        )
                    });
                }
                Plan {
                    capital: CapitalRule { upper: &r.non_residential_capital_limit, tariff: None },
                    property_disregard_weeks: &r.property_disregard_weeks,
                    maximum,
                    allowance: Allowance::Buffered {
                        rule: "wales.minimum_income_amount",
                        title: "Minimum income amount",
                        buffer: &r.minimum_income_buffer,
                        dre_share: Some(&r.disability_related_expenditure_share),
                    },
                }
            }
            (NationRules::Wales(r), Setting::CareHome) => Plan {
                capital: CapitalRule { upper: &r.care_home_capital_limit, tariff: None },
                property_disregard_weeks: &r.property_disregard_weeks,
                maximum: cost,
                allowance: Allowance::Personal {
                    rule: "wales.care_home_minimum_income_amount",
                    title: "Minimum income amount",
                    amount: r.minimum_income_amount.as_ref(),
                    nation: Nation::Wales,
                    parameter: "care_home.minimum_income_amount",
                },
            },
            (NationRules::Scotland(r), Setting::NonResidential) => {
                let personal = case.cost_of_personal_care;
                let maximum = cost.checked_sub(personal)?;
                x.record(|| {
                    step(
                        StepKind::Cost,
                        "scotland.free_personal_care_at_home",
                        format!(
                            "Personal care at home is free in Scotland: {personal} of the cost is \
                             personal care, so at most {maximum} a week can be charged."
                        ),
                        personal,
                        Money::ZERO,
                        r.free_personal_care.iter().map(cite).collect(),
                    )
                });
                // COSLA's own capital limits for care at home, where the policy file holds
                // them; otherwise the care-home (CRAG) limits, which Scottish councils
                // commonly apply at home too. The step that tests capital cites whichever
                // figure was used, so an explanation always shows which it was.
                let (lower, upper) = match (
                    &r.non_residential_capital_lower_limit,
                    &r.non_residential_capital_upper_limit,
                ) {
                    (Some(lower), Some(upper)) => (lower, upper),
                    _ => (&r.capital_lower_limit, &r.capital_upper_limit),
                };
                Plan {
                    capital: CapitalRule::banded(upper, lower, &r.tariff_band, &r.tariff_per_band),
                    property_disregard_weeks: &r.property_disregard_weeks,
                    maximum,
                    allowance: Allowance::Buffered {
                        rule: "scotland.income_threshold",
                        title: "Income threshold",
                        buffer: if case.pension_credit_age {
                            &r.buffer_pension_age
                        } else {
                            &r.buffer_below_pension_age
                        },
                        dre_share: None,
                    },
                }
            }
            (NationRules::Scotland(r), Setting::CareHome) => {
                let personal = need(
                    &r.free_personal_care,
                    Nation::Scotland,
                    "care_home.free_personal_care",
                    case.date,
                )?;
                let nursing = if case.nursing_care {
                    Some(need(
                        &r.free_nursing_care,
                        Nation::Scotland,
                        "care_home.free_nursing_care",
                        case.date,
                    )?)
                } else {
                    None
                };
                let mut free = personal.value;
                if let Some(nursing) = nursing {
                    free = free.checked_add(nursing.value)?;
                }
                let maximum = cost.checked_sub(free)?.max(Money::ZERO);
                x.record(|| {
                    step(
                        StepKind::Cost,
                        "scotland.free_personal_and_nursing_care",
                        format!(
                            "Free personal{} care of {free} a week is paid towards the care home's \
                             fees, so at most {maximum} a week can be charged.",
                            if case.nursing_care { " and nursing" } else { "" }
                        ),
                        free,
                        Money::ZERO,
                        std::iter::once(personal).chain(nursing).map(cite).collect(),
                    )
                });
                Plan {
                    capital: CapitalRule::banded(
                        &r.capital_upper_limit,
                        &r.capital_lower_limit,
                        &r.tariff_band,
                        &r.tariff_per_band,
                    ),
                    property_disregard_weeks: &r.property_disregard_weeks,
                    maximum,
                    allowance: Allowance::Personal {
                        rule: "scotland.personal_expenses_allowance",
                        title: "Personal expenses allowance",
                        amount: r.personal_expenses_allowance.as_ref(),
                        nation: Nation::Scotland,
                        parameter: "care_home.personal_expenses_allowance",
                    },
                }
            }
            (NationRules::NorthernIreland(r), Setting::NonResidential) if case.home_help => {
                // Home help is the one service at home a trust charges for, under the
                // Department of Health's model home help scheme: free from 75, and for people
                // on Pension Credit (guarantee credit) or Income Support.
                let on_benefit = case.income.iter().any(|i| {
                    matches!(i.kind, IncomeKind::PensionCreditGuarantee | IncomeKind::IncomeSupport)
                        && i.amount.is_positive()
                });
                let why = if case.age_years >= 75 {
                    "people aged 75 or over are not charged for home help"
                } else if on_benefit {
                    "people receiving Pension Credit or Income Support are not charged for home help"
                } else {
                    return Err(AssessError::MissingFigure {
                        nation: Nation::NorthernIreland,
                        parameter: "non_residential.home_help_charge",
                        date: case.date,
                    });
                };
                let free = need(
                    &r.home_help_exemptions,
                    Nation::NorthernIreland,
                    "non_residential.home_help_exemptions",
                    case.date,
                )?;
                x.record(|| {
                    step(
                        StepKind::Charge,
                        "northern_ireland.home_help_exempt",
                        format!("Home help in Northern Ireland: {why}, so there is no charge."),
                        Money::ZERO,
                        Money::ZERO,
                        vec![cite(free)],
                    )
                });
                return Ok(None);
            }
            (NationRules::NorthernIreland(r), Setting::NonResidential) => {
                if r.domiciliary_care_free.value {
                    let free = &r.domiciliary_care_free;
                    x.record(|| {
                        step(
                            StepKind::Charge,
                            "northern_ireland.domiciliary_care_free",
                            "Domiciliary care is free in Northern Ireland: there is no charge."
                                .to_owned(),
                            Money::ZERO,
                            Money::ZERO,
                            vec![cite(free)],
                        )
                    });
                    return Ok(None);
                }
                return Err(AssessError::NoRule {
                    nation: Nation::NorthernIreland,
                    setting: "non_residential",
                    date: case.date,
                });
            }
            (NationRules::NorthernIreland(r), Setting::CareHome) => {
                let mut maximum = cost;
                if case.nursing_care {
                    let contribution = &r.nursing_care_contribution;
                    maximum = cost.checked_sub(contribution.value)?.max(Money::ZERO);
                    x.record(|| {
                        step(
                            StepKind::Cost,
                            "northern_ireland.nursing_care_contribution",
                            format!(
                                "The HSC trust pays {} a week for nursing care, so at most {maximum} \
                                 a week can be charged.",
                                contribution.value
                            ),
                            contribution.value,
                            Money::ZERO,
                            vec![cite(contribution)],
                        )
                    });
                }
                Plan {
                    capital: CapitalRule::banded(
                        &r.capital_upper_limit,
                        &r.capital_lower_limit,
                        &r.tariff_band,
                        &r.tariff_per_band,
                    ),
                    property_disregard_weeks: &r.property_disregard_weeks,
                    maximum,
                    allowance: Allowance::Personal {
                        rule: "northern_ireland.personal_allowance",
                        title: "Personal allowance",
                        amount: r.personal_allowance.as_ref(),
                        nation: Nation::NorthernIreland,
                        parameter: "care_home.personal_allowance",
                    },
                }
            }
        };
        Ok(Some(plan))
    }

    /// Deduct the allowances; returns their total.
    fn allowances<E: Explain>(
        &self,
        case: &Case,
        rules: &Rules,
        x: &mut E,
    ) -> Result<Money, AssessError> {
        let mut total = Money::ZERO;
        let mut allow = |rule: &'static str,
                         amount: Money,
                         explanation: &dyn Fn() -> String,
                         sources: &dyn Fn() -> Vec<Source>,
                         x: &mut E|
         -> Result<(), AssessError> {
            total = total.checked_add(amount)?;
            x.record(|| {
                step(
                    StepKind::Allowance,
                    rule,
                    explanation(),
                    amount,
                    amount.checked_neg().unwrap_or(Money::ZERO),
                    sources(),
                )
            });
            Ok(())
        };
        let b = &rules.benefits;
        match self.allowance {
            Allowance::EnglandMig(r) => {
                let e = |p: &'a Option<Param<Money>>, name: &'static str| {
                    need(p, Nation::England, name, case.date)
                };
                let (base, base_rule) = match (case.couple, case.pension_credit_age) {
                    // Reg 7(3): a lone parent aged 18 or over has this amount whatever their
                    // age, and is not a "single person" for reg 7(2) (reg 7(10)).
                    _ if case.lone_parent => (&r.mig_lone_parent, "lone parent"),
                    (false, true) => (
                        e(&r.mig_single_pension_credit_age, "mig.single.pension_credit_age")?,
                        "single, Pension Credit age",
                    ),
                    (true, true) => (
                        e(
                            &r.mig_couple_pension_credit_age_each,
                            "mig.couple.pension_credit_age_each",
                        )?,
                        "one of a couple, Pension Credit age",
                    ),
                    (true, false) => (
                        e(&r.mig_couple_18_plus_each, "mig.couple.age_18_plus_each")?,
                        "one of a couple, 18 or over",
                    ),
                    (false, false) if case.age_years < 25 => {
                        (&r.mig_single_18_24, "single, aged 18 to 24")
                    }
                    (false, false) => (
                        &r.mig_single_25_to_pension_credit_age,
                        "single, aged 25 to Pension Credit age",
                    ),
                };
                let mut parts = Parts::new(x.keeps_steps());
                parts.add(base, base_rule, 1, false)?;
                if case.disability_premium {
                    let p = if case.couple {
                        e(
                            &r.mig_disability_premium_couple_each,
                            "mig.disability_premium.couple_each",
                        )?
                    } else {
                        e(&r.mig_disability_premium_single, "mig.disability_premium.single")?
                    };
                    parts.add(p, "disability premium", 1, false)?;
                }
                if case.enhanced_disability_premium {
                    let p = if case.couple {
                        e(
                            &r.mig_enhanced_disability_premium_couple_each,
                            "mig.enhanced_disability_premium.couple_each",
                        )?
                    } else {
                        e(
                            &r.mig_enhanced_disability_premium_single,
                            "mig.enhanced_disability_premium.single",
                        )?
                    };
                    parts.add(p, "enhanced disability premium", 1, false)?;
                }
                if case.carer_premium {
                    let p = e(&r.mig_carer_premium, "mig.carer_premium")?;
                    parts.add(p, "carer premium", 1, false)?;
                }
                if case.dependent_children > 0 {
                    let p = e(&r.mig_dependent_child, "mig.dependent_child")?;
                    parts.add(p, "dependent child", case.dependent_children, false)?;
                }
                parts.add_local_uplift(&case.local)?;
                let mig = parts.total;
                allow(
                    "england.minimum_income_guarantee",
                    mig,
                    &|| format!("Minimum Income Guarantee: {} = {mig}.", parts.describe()),
                    &|| parts.sources(),
                    x,
                )?;
                self.housing_and_dre(case, None, &mut allow, x)?;
            }
            Allowance::Personal { rule, title, amount, nation, parameter } => {
                let amount = amount.ok_or(AssessError::MissingFigure {
                    nation,
                    parameter,
                    date: case.date,
                })?;
                allow(
                    rule,
                    amount.value,
                    &|| {
                        format!("{title} of {} a week is kept for personal spending.", amount.value)
                    },
                    &|| vec![cite(amount)],
                    x,
                )?;
                if case.stay != Stay::Permanent {
                    housing_costs(case, &mut allow, x)?;
                }
            }
            Allowance::Buffered { rule, title, buffer, dre_share } => {
                let mut parts = Parts::new(x.keeps_steps());
                basic_entitlement(case, b, &mut parts)?;
                let entitlement = parts.total;
                let buffered = Ratio::from_millionths(Ratio::SCALE + buffer.value.millionths())
                    .of(entitlement, Rounding::AwayFromZero)?;
                let uplift = case.local.minimum_income_guarantee_uplift;
                let amount = buffered.checked_add(uplift)?;
                if parts.keep && uplift.is_positive() {
                    // Cited with the parts' sources: the council's policy for its uplift.
                    parts.local = Some(&case.local);
                }
                allow(
                    rule,
                    amount,
                    &|| {
                        format!(
                            "{title}: basic entitlement {} = {entitlement}, plus a buffer of {} = {buffered}{}.",
                            parts.describe(),
                            buffer.value,
                            if uplift.is_positive() {
                                format!(", plus the council's own {uplift}")
                            } else {
                                String::new()
                            }
                        )
                    },
                    &|| {
                        let mut sources = parts.sources();
                        sources.push(cite(buffer));
                        sources
                    },
                    x,
                )?;
                let floor = match dre_share {
                    Some(share) => {
                        Some((share.value.of(entitlement, Rounding::AwayFromZero)?, share))
                    }
                    None => None,
                };
                self.housing_and_dre(case, floor, &mut allow, x)?;
            }
        }
        Ok(total)
    }

    /// Housing costs and disability-related expenditure; `floor` is a statutory least
    /// amount for the expenditure and the share of the basic entitlement it comes from.
    fn housing_and_dre<E: Explain>(
        &self,
        case: &Case,
        floor: Option<(Money, &Param<Ratio>)>,
        allow: &mut impl FnMut(
            &'static str,
            Money,
            &dyn Fn() -> String,
            &dyn Fn() -> Vec<Source>,
            &mut E,
        ) -> Result<(), AssessError>,
        x: &mut E,
    ) -> Result<(), AssessError> {
        housing_costs(case, allow, x)?;
        let own = case.disability_related_expenditure;
        let flat = case.local.flat_disability_related_expenditure.unwrap_or(Money::ZERO);
        let least = floor.map_or(Money::ZERO, |(amount, _)| amount);
        let dre = own.max(flat).max(least);
        if dre.is_positive() {
            allow(
                "allowance.disability_related_expenditure",
                dre,
                &|| {
                    if let Some((_, share)) = floor.filter(|_| least > own.max(flat)) {
                        format!(
                            "Disability-related expenditure: at least {} of the basic entitlement, \
                             {least} a week (more than the {own} itemised; Care and Support \
                             (Charging) (Wales) Regulations 2015, reg 12(3)(c)).",
                            share.value.percent()
                        )
                    } else if flat > own {
                        format!(
                            "Disability-related expenditure: the council's flat allowance of {flat} a week (more than the {own} itemised)."
                        )
                    } else {
                        format!("Disability-related expenditure of {own} a week.")
                    }
                },
                &|| {
                    if let Some((_, share)) = floor.filter(|_| least > own.max(flat)) {
                        return vec![cite(share)];
                    }
                    let flat_used = flat > own;
                    flat_used
                        .then(|| {
                            case.local.council_source(
                                LocalOption::FlatDisabilityRelatedExpenditure,
                                flat.to_string(),
                            )
                        })
                        .flatten()
                        .into_iter()
                        .collect()
                },
                x,
            )?;
        }
        Ok(())
    }
}

/// The weekly housing costs allowed at home, or for a temporary resident's home (SI
/// 2014/2672 Sch 1 para 2).
fn housing_costs<E: Explain>(
    case: &Case,
    allow: &mut impl FnMut(
        &'static str,
        Money,
        &dyn Fn() -> String,
        &dyn Fn() -> Vec<Source>,
        &mut E,
    ) -> Result<(), AssessError>,
    x: &mut E,
) -> Result<(), AssessError> {
    let housing = case.housing_costs;
    if !housing.is_positive() {
        return Ok(());
    }
    allow(
        "allowance.housing_costs",
        housing,
        &|| {
            if case.setting == Setting::CareHome {
                format!(
                    "A temporary resident keeps their home: its housing costs of {housing} a \
                     week are allowed (SI 2014/2672 Sch 1 para 2)."
                )
            } else {
                format!(
                    "Housing costs of {housing} a week (rent, mortgage, council tax, net of benefits)."
                )
            }
        },
        &|| vec![],
        x,
    )
}

/// An income as counted: the amount, why, and the figures used.
type Counted<'a> = (Money, &'static str, [Option<&'a Param<Money>>; 2]);

/// One figure in an allowance built from several.
#[derive(Clone, Copy, Debug)]
struct Part<'a> {
    amount: Money,
    label: &'static str,
    times: u32,
    halved: bool,
    param: Option<&'a Param<Money>>,
}

/// The figures an allowance is built from. A quiet assessment keeps only the total; an
/// explained one keeps each part (inline, without allocating) to describe and cite.
#[derive(Debug)]
struct Parts<'a> {
    items: SmallVec<[Part<'a>; 8]>,
    keep: bool,
    total: Money,
    /// The local options behind an uplift, when one was added and steps are kept, to cite
    /// the council's policy for it.
    local: Option<&'a LocalOptions>,
}

impl<'a> Parts<'a> {
    #[inline]
    fn new(keep: bool) -> Parts<'a> {
        Parts { items: SmallVec::new(), keep, total: Money::ZERO, local: None }
    }

    #[inline]
    fn push(&mut self, part: Part<'a>) -> Result<(), AssessError> {
        self.total = self.total.checked_add(part.amount)?;
        if self.keep {
            self.items.push(part);
        }
        Ok(())
    }

    /// `param` × `times`, or half of it for one of a couple on a couple's rate.
    #[inline]
    fn add(
        &mut self,
        param: &'a Param<Money>,
        label: &'static str,
        times: u32,
        halved: bool,
    ) -> Result<(), AssessError> {
        let amount = if halved {
            param.value.mul_div(1, 2, Rounding::AwayFromZero, "half a couple's rate")?
        } else {
            param.value.checked_mul(i64::from(times))?
        };
        self.push(Part { amount, label, times, halved, param: Some(param) })
    }

    #[inline]
    fn add_local_uplift(&mut self, local: &'a LocalOptions) -> Result<(), AssessError> {
        let uplift = local.minimum_income_guarantee_uplift;
        if uplift.is_positive() {
            self.push(Part {
                amount: uplift,
                label: "the council's own uplift",
                times: 1,
                halved: false,
                param: None,
            })?;
            if self.keep {
                self.local = Some(local);
            }
        }
        Ok(())
    }

    fn iter(&self) -> impl Iterator<Item = &Part<'a>> {
        self.items.iter()
    }

    fn describe(&self) -> String {
        let words: Vec<String> = self
            .iter()
            .map(|p| match (p.halved, p.times) {
                (true, _) => format!("{} ({}, half the couple rate)", p.amount, p.label),
                (false, 1) => format!("{} ({})", p.amount, p.label),
                (false, n) => format!("{} ({} × {n})", p.amount, p.label),
            })
            .collect();
        words.join(" + ")
    }

    fn sources(&self) -> Vec<Source> {
        let council = self.local.and_then(|local| {
            local.council_source(
                LocalOption::MinimumIncomeGuaranteeUplift,
                local.minimum_income_guarantee_uplift.to_string(),
            )
        });
        self.iter().filter_map(|p| p.param).map(cite).chain(council).collect()
    }
}

/// The means-tested benefit level the Welsh and Scottish minimum incomes start from:
/// the Pension Credit guarantee at Pension Credit age, otherwise the Income Support
/// personal allowance and premiums. A member of a couple counts half the couple rates.
#[inline]
fn basic_entitlement<'a>(
    case: &Case,
    b: &'a crate::policy::BenefitRules,
    parts: &mut Parts<'a>,
) -> Result<(), AssessError> {
    let couple = case.couple;
    if case.pension_credit_age {
        let guarantee = if couple { &b.guarantee_couple } else { &b.guarantee_single };
        parts.add(guarantee, "Pension Credit guarantee", 1, couple)?;
    } else {
        // A lone parent aged 18 or over has the 25-or-over personal allowance (Income
        // Support (General) Regulations 1987 Sch 2 para 1).
        match (couple, case.age_years < 25 && !case.lone_parent) {
            (true, _) => parts.add(&b.personal_allowance_couple, "personal allowance", 1, true)?,
            (false, true) => parts.add(
                &b.personal_allowance_single_18_24,
                "personal allowance, 18 to 24",
                1,
                false,
            )?,
            (false, false) => parts.add(
                &b.personal_allowance_single_25_plus,
                "personal allowance, 25 or over",
                1,
                false,
            )?,
        }
        if case.disability_premium {
            let p =
                if couple { &b.disability_premium_couple } else { &b.disability_premium_single };
            parts.add(p, "disability premium", 1, couple)?;
        }
        if case.enhanced_disability_premium {
            let p = if couple {
                &b.enhanced_disability_premium_couple
            } else {
                &b.enhanced_disability_premium_single
            };
            parts.add(p, "enhanced disability premium", 1, couple)?;
        }
    }
    if case.carer_premium {
        parts.add(&b.carer_premium, "carer premium", 1, false)?;
    }
    Ok(())
}

/// Count capital after disregards and shares.
#[inline]
fn count_capital<E: Explain>(
    case: &Case,
    property_weeks: &Param<u32>,
    x: &mut E,
) -> Result<Money, AssessError> {
    let mut total = Money::ZERO;
    for item in &case.capital {
        let kind = item.kind.label();
        let value = item.value;
        if item.kind == CapitalKind::MainHome {
            // Why the home is ignored, if it is: 0 at home, 1 a relative, 2 the first weeks.
            // 3 a temporary resident returning home.
            let reason = match case.setting {
                Setting::NonResidential => Some(0),
                Setting::CareHome if item.occupied_by_qualifying_relative => Some(1),
                Setting::CareHome if case.stay != Stay::Permanent => {
                    case.returning_home.then_some(3)
                }
                Setting::CareHome if case.weeks_in_care_home < property_weeks.value => Some(2),
                Setting::CareHome => None,
            };
            if let Some(reason) = reason {
                x.record(|| {
                    let (why, sources) = match reason {
                        0 => ("the home a person lives in is ignored for care at home".to_owned(), vec![]),
                        1 => ("a qualifying relative lives there, so the home is ignored".to_owned(), vec![]),
                        3 => (
                            "a temporary resident who intends to return to it, and it is still \
                             theirs to return to, so the home is ignored (SI 2014/2672 Sch 2 para 1)"
                                .to_owned(),
                            vec![],
                        ),
                        _ => (
                            format!(
                                "the home is ignored for the first {} weeks of a permanent stay (week {} now)",
                                property_weeks.value,
                                case.weeks_in_care_home + 1
                            ),
                            vec![cite(property_weeks)],
                        ),
                    };
                    step(
                        StepKind::Capital,
                        "capital.main_home_disregarded",
                        format!("Main home worth {value}: {why}."),
                        value,
                        Money::ZERO,
                        sources,
                    )
                });
                continue;
            }
        }
        let counted = if item.joint {
            value.mul_div(1, 2, Rounding::TowardZero, "a share of joint capital")?
        } else {
            value
        };
        total = total.checked_add(counted)?;
        x.record(|| {
            step(
                StepKind::Capital,
                if item.joint { "capital.joint_share" } else { "capital.counted" },
                if item.joint {
                    format!("{kind} of {value} held jointly: half, {counted}, is counted.")
                } else {
                    format!("{kind} of {value} is counted.")
                },
                counted,
                Money::ZERO,
                vec![],
            )
        });
    }
    x.record(|| {
        step(
            StepKind::Capital,
            "capital.total",
            format!("Capital counted: {total}."),
            total,
            Money::ZERO,
            vec![],
        )
    });
    Ok(total)
}

/// Tariff income: `per_band` for every band, or part of one, above the lower limit.
#[inline]
fn tariff_income<E: Explain>(
    capital: Money,
    tariff: &Tariff<'_>,
    x: &mut E,
) -> Result<Money, AssessError> {
    let lower = tariff.lower.value;
    if capital <= lower {
        x.record(|| {
            step(
                StepKind::Capital,
                "capital.below_lower_limit",
                format!("Capital of {capital} is not above the lower limit of {lower}: no tariff income."),
                Money::ZERO,
                Money::ZERO,
                vec![cite(tariff.lower)],
            )
        });
        return Ok(Money::ZERO);
    }
    let excess = capital.checked_sub(lower)?;
    let band = tariff.band.value;
    if !band.is_positive() {
        return Err(AssessError::Money(MoneyError::DivisionByZero { operation: "tariff bands" }));
    }
    let bands = crate::money::round_div(
        i128::from(excess.pence()),
        i128::from(band.pence()),
        Rounding::AwayFromZero,
        "tariff bands",
    )?;
    let income = tariff.per_band.value.checked_mul(bands)?;
    x.record(|| {
        step(
            StepKind::Income,
            "capital.tariff_income",
            format!(
                "Capital is {excess} above the lower limit of {lower}: {bands} band{} of {band} \
                 (a part band counts as whole) at {} each is {income} a week of tariff income.",
                if bands == 1 { "" } else { "s" },
                tariff.per_band.value
            ),
            income,
            income,
            vec![cite(tariff.lower), cite(tariff.band), cite(tariff.per_band)],
        )
    });
    Ok(income)
}

/// A council's "better-off" calculation for one of a couple at home
/// (`local.assess_couple_jointly_if_lower`): the charge on the person's own income, as the
/// regulations assess it (SI 2014/2672 reg 14 and Sch 1: the adult's own income), and the
/// charge on half of the couple's joint income, each item of the person's and the
/// partner's halved (rounding down to the penny), with the same capital, allowances and
/// costs. The lower is charged: a council may charge less than the regulations allow
/// (Care Act 2014 s.14(1): it "may" charge), never more. The steps are the person's own
/// assessment, then one step comparing the two, whose effect takes the charge down to the
/// joint one when that is lower, so the steps still add up to the charge.
fn assess_couple_both_ways<E: Explain>(
    case: &Case,
    rules: &Rules,
    x: &mut E,
) -> Result<Outcome, AssessError> {
    let mut alone_case = case.clone();
    alone_case.local.assess_couple_jointly_if_lower = false;
    alone_case.assessed_alone_for_comparison = true;
    let alone = assess(&alone_case, rules, x)?;
    let mut joint_case = alone_case;
    let mut joint_income = smallvec::SmallVec::new();
    let mut own = Money::ZERO;
    let mut partner = Money::ZERO;
    for (item, partners) in
        case.income.iter().map(|i| (i, false)).chain(case.partner_income.iter().map(|i| (i, true)))
    {
        if partners {
            partner = partner.checked_add(item.amount)?;
        } else {
            own = own.checked_add(item.amount)?;
        }
        let half = item.amount.mul_div(1, 2, Rounding::TowardZero, "half of a joint income")?;
        joint_income.push(IncomeItem { kind: item.kind, amount: half });
    }
    joint_case.income = joint_income;
    let joint = assess(&joint_case, rules, &mut Quiet)?;
    let lower = joint.weekly_charge < alone.weekly_charge;
    let charged = if lower { joint.weekly_charge } else { alone.weekly_charge };
    // What the comparison takes off the person's own charge: nothing unless joint is lower.
    let effect = charged.checked_sub(alone.weekly_charge)?;
    x.record(|| {
        let figures = format!(
            "half of the couple's income (the person's {own} and the partner's {partner} a week, \
             each item halved) counts {} of income and {} of tariff income against {} of \
             allowances, for a charge of {} a week",
            joint.weekly_counted_income,
            joint.weekly_tariff_income,
            joint.weekly_allowances,
            joint.weekly_charge
        );
        let explanation = if lower {
            format!(
                "The council also assesses one of a couple on their joint income and charges \
                     the lower (a local choice; the regulations assess the person alone, and a \
                     council may charge less): {figures}, less than {} on the person's own \
                     income, so {} is charged.",
                alone.weekly_charge, joint.weekly_charge
            )
        } else {
            format!(
                "The council also assesses one of a couple on their joint income and charges \
                 the lower (a local choice): {figures}, not less than {} on the person's own \
                 income, so the person is charged on their own income.",
                alone.weekly_charge
            )
        };
        step(
            StepKind::Charge,
            "local.assess_couple_jointly_if_lower",
            explanation,
            joint.weekly_charge,
            effect,
            case.local
                .council_source(LocalOption::AssessCoupleJointlyIfLower, "true".to_owned())
                .into_iter()
                .collect(),
        )
    });
    x.record(|| {
        step(
            StepKind::Charge,
            "charge.weekly",
            format!("The person pays {charged} a week."),
            charged,
            Money::ZERO,
            vec![],
        )
    });
    if !lower {
        return Ok(alone);
    }
    // The joint figures, with the fees the person's own assessment set (they do not
    // depend on income).
    Ok(Outcome {
        arrangement_fee_set_up: alone.arrangement_fee_set_up,
        arrangement_fee_annual: alone.arrangement_fee_annual,
        ..joint
    })
}

/// Count income after disregards.
#[inline]
fn count_income<E: Explain>(case: &Case, rules: &Rules, x: &mut E) -> Result<Money, AssessError> {
    let b = &rules.benefits;
    let mut total = Money::ZERO;
    let at_home = case.setting == Setting::NonResidential;
    let night_disregard =
        at_home && case.local.disregard_night_care_element && !case.night_care_provided;
    // A temporary resident's disability benefits are ignored (SI 2014/2672 Sch 1 para 11).
    let temporary = case.setting == Setting::CareHome && case.stay != Stay::Permanent;
    // Half of a pension is ignored when at least half is paid to a spouse or civil partner
    // living elsewhere (Sch 1 para 16): the pensions are added up first (para 16(2)).
    let halve_pensions = case.pension_paid_to_spouse.is_positive() && {
        let mut pensions = Money::ZERO;
        for item in case.income.iter().filter(|i| i.kind == IncomeKind::PrivatePension) {
            pensions = pensions.checked_add(item.amount)?;
        }
        case.pension_paid_to_spouse.checked_mul(2)? >= pensions
    };
    // The savings credit law is looked up only when a case needs it (most do not), at the
    // first savings credit listed or after the income: `None` until then.
    let mut law: Option<Option<SavingsCreditLaw<'_>>> = None;
    // Decided at the first savings credit listed, or after the income if none is.
    let mut sc_rule: Option<SavingsCreditRule<'_>> = None;
    let mut sc_left = Money::ZERO;
    for (i, item) in case.income.iter().enumerate() {
        let kind = item.kind.label();
        let amount = item.amount;
        use IncomeKind as K;
        if item.kind == K::PensionCreditSavings {
            let law = law.get_or_insert_with(|| SavingsCreditLaw::for_case(case, rules));
            if let (Some(law), None) = (&law, &sc_rule) {
                let received = case
                    .income
                    .iter()
                    .filter(|it| it.kind == K::PensionCreditSavings)
                    .try_fold(Money::ZERO, |sum, it| sum.checked_add(it.amount))?;
                let rule = savings_credit_rule(case, rules, law, received, i)?;
                if let SavingsCreditRule::Received { limit, .. } = rule {
                    sc_left = limit.value;
                }
                sc_rule = Some(rule);
            }
            let counted =
                savings_credit_item(case, law.as_ref(), sc_rule, amount, &mut sc_left, x)?;
            total = total.checked_add(counted)?;
            continue;
        }
        let (counted, why, sources): Counted<'_> = match item.kind {
            K::Earnings => (Money::ZERO, "earnings are ignored", [None, None]),
            K::AttendanceAllowanceLower
            | K::AttendanceAllowanceHigher
            | K::DlaCareLowest
            | K::DlaCareMiddle
            | K::DlaCareHighest
            | K::PipDailyLivingStandard
            | K::PipDailyLivingEnhanced
                if temporary =>
            {
                (
                    Money::ZERO,
                    "a temporary resident's disability benefits are ignored (SI 2014/2672 Sch 1 \
                     para 11)",
                    [None, None],
                )
            }
            K::PrivatePension if halve_pensions => (
                amount.mul_div(1, 2, Rounding::TowardZero, "half a pension")?,
                "at least half of the pension is paid to a spouse or civil partner living \
                 elsewhere, so half of it is ignored (SI 2014/2672 Sch 1 para 16)",
                [None, None],
            ),
            K::DlaMobilityLower
            | K::DlaMobilityHigher
            | K::PipMobilityStandard
            | K::PipMobilityEnhanced => {
                (Money::ZERO, "mobility components are ignored", [None, None])
            }
            K::OtherDisregarded => (Money::ZERO, "ignored", [None, None]),
            K::AttendanceAllowanceHigher if night_disregard => night_element(
                amount,
                &b.attendance_allowance_higher,
                &b.attendance_allowance_lower,
            )?,
            K::DlaCareHighest if night_disregard => {
                night_element(amount, &b.dla_care_highest, &b.dla_care_middle)?
            }
            K::PipDailyLivingEnhanced if night_disregard => {
                night_element(amount, &b.pip_daily_living_enhanced, &b.pip_daily_living_standard)?
            }
            _ => (amount, "counted", [None, None]),
        };
        total = total.checked_add(counted)?;
        // The council's policy, when its choice to ignore the night-care element applied
        // (the only treatment that cites two rates).
        let council = if x.keeps_steps() && night_disregard && matches!(sources, [Some(_), Some(_)])
        {
            case.local.council_source(LocalOption::DisregardNightCareElement, "true".to_owned())
        } else {
            None
        };
        x.record(|| {
            let explanation = if counted == amount {
                format!("{kind} of {amount} a week is counted in full.")
            } else if counted.is_zero() {
                format!("{kind} of {amount} a week: {why}.")
            } else {
                format!("{kind} of {amount} a week: {why}; {counted} is counted.")
            };
            step(
                StepKind::Income,
                "income.counted",
                explanation,
                amount,
                counted,
                sources.into_iter().flatten().map(cite).chain(council.clone()).collect(),
            )
        });
    }
    // With no savings credit listed, no qualifying income stated and nothing to explain,
    // nothing below can change the total.
    if sc_rule.is_none() && case.savings_credit.qualifying_income.is_none() && !x.keeps_steps() {
        return Ok(total);
    }
    let Some(law) = law.unwrap_or_else(|| SavingsCreditLaw::for_case(case, rules)) else {
        return Ok(total);
    };
    if sc_rule.is_none() {
        if case.savings_credit.qualifying_income.is_some() {
            sc_rule = Some(savings_credit_rule(case, rules, &law, Money::ZERO, 0)?);
        } else if x.keeps_steps()
            && (case.age_years >= 65 || (case.couple && case.pension_credit_age))
        {
            // Sub-paragraph (2) or (4) could apply, but the case does not say: say so.
            sc_rule = Some(savings_credit_rule(case, rules, &law, Money::ZERO, 0)?);
        }
    }
    match sc_rule {
        Some(SavingsCreditRule::Sum { sub, limit, smg }) => {
            let sum = limit.value.min(total.max(Money::ZERO));
            total = total.checked_sub(sum)?;
            let qualifying = case.savings_credit.qualifying_income.unwrap_or(Money::ZERO);
            x.record(|| {
                let who = if case.couple {
                    "the person has a partner, meets the age condition of sub-paragraph (4)(b), \
                     and neither exception in sub-paragraph (5) applies"
                } else {
                    "the person has no partner and is 65 or over"
                };
                let capped = if sum < limit.value {
                    format!(" (only {sum}: no more than the income counted)")
                } else {
                    String::new()
                };
                step(
                    StepKind::Income,
                    "income.savings_credit_disregard",
                    format!(
                        "{}{sub} {}: {who}, and qualifying income of {qualifying} a week \
                         (the couple's together where there is a partner) exceeds the standard \
                         minimum guarantee of {}, so a sum of {} is disregarded from income{capped}, \
                         whatever savings credit is received.",
                        law.paragraph, law.instrument, smg.value, limit.value
                    ),
                    sum,
                    sum.checked_neg().unwrap_or(Money::ZERO),
                    vec![cite(limit), cite(smg)],
                )
            });
        }
        Some(SavingsCreditRule::Nothing { why, smg })
            if !case.income.iter().any(|it| it.kind == IncomeKind::PensionCreditSavings) =>
        {
            x.record(|| {
                step(
                    StepKind::Income,
                    "income.savings_credit_disregard",
                    format!("{} {}: nothing is disregarded: {why}.", law.paragraph, law.instrument),
                    Money::ZERO,
                    Money::ZERO,
                    smg.map(cite).into_iter().collect(),
                )
            });
        }
        _ => {}
    }
    Ok(total)
}

/// Count one savings credit income under the rule decided for the case (`None` where no
/// disregard exists in law), and the council's choice to disregard it in full at home.
/// `left` is what is left of the limit under sub-paragraph (1) or (3).
#[inline]
fn savings_credit_item<E: Explain>(
    case: &Case,
    law: Option<&SavingsCreditLaw<'_>>,
    rule: Option<SavingsCreditRule<'_>>,
    amount: Money,
    left: &mut Money,
    x: &mut E,
) -> Result<Money, AssessError> {
    let kind = IncomeKind::PensionCreditSavings.label();
    if case.setting == Setting::NonResidential
        && case.local.disregard_savings_credit_in_full_at_home
    {
        x.record(|| {
            let also = match rule {
                Some(SavingsCreditRule::Sum { sub, .. }) => law
                    .map(|law| {
                        format!(
                            " The sum under {}{sub} is disregarded as well, below.",
                            law.paragraph
                        )
                    })
                    .unwrap_or_default(),
                _ => String::new(),
            };
            step(
                StepKind::Income,
                "income.counted",
                format!(
                    "{kind} of {amount} a week: the council disregards savings credit in full for \
                     care at home (a local choice; in England, a sum it may disregard under reg \
                     15(2) of SI 2014/2672).{also}"
                ),
                amount,
                Money::ZERO,
                case.local
                    .council_source(
                        LocalOption::DisregardSavingsCreditInFullAtHome,
                        "true".to_owned(),
                    )
                    .into_iter()
                    .collect(),
            )
        });
        return Ok(Money::ZERO);
    }
    let (Some(law), Some(rule)) = (law, rule) else {
        x.record(|| {
            step(
                StepKind::Income,
                "income.counted",
                format!("{kind} of {amount} a week is counted in full."),
                amount,
                amount,
                vec![],
            )
        });
        return Ok(amount);
    };
    match rule {
        SavingsCreditRule::Received { sub, limit, smg } => {
            let disregarded = amount.min(*left);
            *left = left.checked_sub(disregarded)?;
            let counted = amount.checked_sub(disregarded)?;
            let qualifying = case.savings_credit.qualifying_income.unwrap_or(Money::ZERO);
            x.record(|| {
                step(
                    StepKind::Income,
                    "income.savings_credit_disregard",
                    format!(
                        "{kind} of {amount} a week: under {}{sub} {}, qualifying income of \
                         {qualifying} a week does not exceed the standard minimum guarantee of {}, \
                         so the savings credit received is disregarded up to {}: {disregarded} is \
                         disregarded and {counted} counted.",
                        law.paragraph, law.instrument, smg.value, limit.value
                    ),
                    amount,
                    counted,
                    vec![cite(limit), cite(smg)],
                )
            });
            Ok(counted)
        }
        SavingsCreditRule::Sum { sub, .. } => {
            x.record(|| {
                step(
                    StepKind::Income,
                    "income.counted",
                    format!(
                        "{kind} of {amount} a week is counted in full: {}{sub} {} disregards a \
                         fixed sum from income instead (below).",
                        law.paragraph, law.instrument
                    ),
                    amount,
                    amount,
                    vec![],
                )
            });
            Ok(amount)
        }
        SavingsCreditRule::Nothing { why, smg } => {
            x.record(|| {
                step(
                    StepKind::Income,
                    "income.counted",
                    format!(
                        "{kind} of {amount} a week is counted in full: under {} {}, {why}.",
                        law.paragraph, law.instrument
                    ),
                    amount,
                    amount,
                    smg.map(cite).into_iter().collect(),
                )
            });
            Ok(amount)
        }
    }
}

/// The Savings Credit disregard's law in a nation: England's Sch 1 para 40 of SI 2014/2672
/// (every setting, reg 15(1)) or Scotland's Sch 3 para 28G of SI 1992/2977 (care homes).
#[derive(Clone, Copy)]
struct SavingsCreditLaw<'a> {
    nation: Nation,
    /// How a sub-paragraph is cited, before its number: "Sch 1 para 40".
    paragraph: &'static str,
    /// The instrument, after the sub-paragraph: "of SI 2014/2672".
    instrument: &'static str,
    single: &'a Option<Param<Money>>,
    couple: &'a Option<Param<Money>>,
    /// The figures' names, for a refusal when one is unknown.
    single_name: &'static str,
    couple_name: &'static str,
}

impl<'a> SavingsCreditLaw<'a> {
    #[inline]
    fn for_case(case: &Case, rules: &'a Rules) -> Option<SavingsCreditLaw<'a>> {
        match (&rules.national, case.setting) {
            (NationRules::England(r), _) => Some(SavingsCreditLaw {
                nation: Nation::England,
                paragraph: "Sch 1 para 40",
                instrument: "of SI 2014/2672",
                single: &r.savings_credit_disregard_single,
                couple: &r.savings_credit_disregard_couple,
                single_name: "care_home.savings_credit_disregard.single",
                couple_name: "care_home.savings_credit_disregard.couple",
            }),
            (NationRules::Scotland(r), Setting::CareHome) => Some(SavingsCreditLaw {
                nation: Nation::Scotland,
                paragraph: "Sch 3 para 28G",
                instrument: "of SI 1992/2977 as amended for Scotland",
                single: &r.savings_credit_disregard_single,
                couple: &r.savings_credit_disregard_couple,
                single_name: "care_home.savings_credit_disregard.single",
                couple_name: "care_home.savings_credit_disregard.couple",
            }),
            _ => None,
        }
    }
}

/// Which case of the Savings Credit disregard applies to a person, decided once.
#[derive(Clone, Copy)]
enum SavingsCreditRule<'a> {
    /// Sub-paragraph (1) or (3): the savings credit received is disregarded up to `limit`.
    Received { sub: &'static str, limit: &'a Param<Money>, smg: &'a Param<Money> },
    /// Sub-paragraph (2) or (4): a sum of `limit` is disregarded from income, whatever
    /// savings credit is received.
    Sum { sub: &'static str, limit: &'a Param<Money>, smg: &'a Param<Money> },
    /// Nothing is disregarded, for the reason given (which cites its sub-paragraph).
    Nothing { why: &'static str, smg: Option<&'a Param<Money>> },
}

/// Decide which case of the disregard applies. `received` is whether the case lists
/// savings credit received (at index `first`). Refuses a case whose facts do not decide
/// it, or contradict each other.
fn savings_credit_rule<'a>(
    case: &Case,
    rules: &'a Rules,
    law: &SavingsCreditLaw<'a>,
    received: Money,
    first: usize,
) -> Result<SavingsCreditRule<'a>, AssessError> {
    let b = &rules.benefits;
    let facts = &case.savings_credit;
    let Some(qualifying) = facts.qualifying_income else {
        // Only reached with no savings credit listed: parsing refuses a case that lists it
        // without its qualifying income.
        return Ok(SavingsCreditRule::Nothing {
            why: "the case does not give savings_credit.weekly_qualifying_income, so the \
                  disregard of a sum where qualifying income exceeds the standard minimum \
                  guarantee (sub-paragraphs (2) and (4)) is not applied",
            smg: None,
        });
    };
    let couple = case.couple;
    // Para 40(6)(c) / 28G(6)(d): reg 6(1)(b) (no partner) for (1) and (2), reg 6(1)(a)
    // (partner) for (3) and (4).
    let (smg, maximum) = if couple {
        (&b.guarantee_couple, &b.savings_credit_maximum_couple)
    } else {
        (&b.guarantee_single, &b.savings_credit_maximum_single)
    };
    let limit = || -> Result<&'a Param<Money>, AssessError> {
        if couple {
            need(law.couple, law.nation, law.couple_name, case.date)
        } else {
            need(law.single, law.nation, law.single_name, case.date)
        }
    };
    if received.is_positive() {
        // Savings credit is 60% of qualifying income above the savings credit threshold, at
        // most the maximum (which is 60% of the guarantee less the threshold), less 40% of
        // income above the appropriate minimum guarantee (reg 7 of the State Pension Credit
        // Regulations 2002): so it can be at most the maximum less 60% of any shortfall of
        // qualifying income below the standard minimum guarantee.
        let shortfall = smg.value.checked_sub(qualifying)?.max(Money::ZERO);
        let most = maximum.value.checked_sub(shortfall.mul_div(
            3,
            5,
            Rounding::TowardZero,
            "60% of a shortfall",
        )?)?;
        if received > most {
            return Err(AssessError::Case(Box::new(FieldError::new(
                &format!("weekly_income[{first}].amount"),
                &received.to_plain_string(),
                format!(
                    "contradicts savings_credit.weekly_qualifying_income {qualifying}: with that \
                     qualifying income, savings credit can be at most {} a week (the maximum of \
                     {} less 60% of the {shortfall} by which it falls short of the standard \
                     minimum guarantee of {}, reg 7 of the State Pension Credit Regulations \
                     2002); check both figures against the Pension Credit award",
                    most.max(Money::ZERO),
                    maximum.value,
                    smg.value
                ),
            ))));
        }
    }
    if qualifying <= smg.value {
        return Ok(if received.is_positive() {
            SavingsCreditRule::Received {
                sub: if couple { "(3)" } else { "(1)" },
                limit: limit()?,
                smg,
            }
        } else {
            SavingsCreditRule::Nothing {
                why: "qualifying income does not exceed the standard minimum guarantee and no \
                      savings credit is received, so neither sub-paragraph (1) nor (3) applies",
                smg: Some(smg),
            }
        });
    }
    if !couple {
        return Ok(if case.age_years >= 65 {
            SavingsCreditRule::Sum { sub: "(2)", limit: limit()?, smg }
        } else {
            SavingsCreditRule::Nothing {
                why: "qualifying income exceeds the standard minimum guarantee, but \
                      sub-paragraph (2) applies only from the age of 65",
                smg: Some(smg),
            }
        });
    }
    // Sub-paragraph (4)(b): 65 or over, or at Pension Credit (qualifying) age with a
    // partner who is 65 or over.
    let aged = case.age_years >= 65
        || (case.pension_credit_age
            && match facts.partner_aged_65_or_over {
                Some(partner) => partner,
                None => {
                    return Err(needed(
                        "savings_credit.partner_aged_65_or_over",
                        law,
                        "(4)(b)(ii)",
                        "the person is under 65 but at Pension Credit age, so whether the \
                         partner is 65 or over decides whether the sum is disregarded",
                    ));
                }
            });
    if !aged {
        return Ok(SavingsCreditRule::Nothing {
            why: "qualifying income exceeds the standard minimum guarantee, but sub-paragraph \
                  (4)(b) needs the person to be 65 or over, or at Pension Credit age with a \
                  partner of 65 or over",
            smg: Some(smg),
        });
    }
    let Some(partner_receives) = facts.partner_receives_savings_credit else {
        return Err(needed(
            "savings_credit.partner_receives_savings_credit",
            law,
            "(5)(b)",
            "the sum is not disregarded where the partner is in receipt of savings credit",
        ));
    };
    let Some(partner_had_sum) = facts.sum_disregarded_for_partner else {
        return Err(needed(
            "savings_credit.sum_disregarded_for_partner",
            law,
            "(5)(a)",
            "the sum is not disregarded where it has been disregarded in the partner's own \
             assessment",
        ));
    };
    Ok(match (partner_had_sum, partner_receives) {
        (true, _) => SavingsCreditRule::Nothing {
            why: "the sum has already been disregarded in the partner's assessment, so \
                  sub-paragraph (4) does not apply (sub-paragraph (5)(a))",
            smg: Some(smg),
        },
        (false, true) => SavingsCreditRule::Nothing {
            why: "the partner is in receipt of savings credit, so sub-paragraph (4) does not \
                  apply (sub-paragraph (5)(b))",
            smg: Some(smg),
        },
        (false, false) => SavingsCreditRule::Sum { sub: "(4)", limit: limit()?, smg },
    })
}

/// A refusal for a fact the case must give to decide the disregard.
fn needed(field: &str, law: &SavingsCreditLaw<'_>, sub: &str, why: &str) -> AssessError {
    AssessError::Case(Box::new(FieldError::new(
        field,
        "",
        format!(
            "is needed: the person is one of a couple whose qualifying income exceeds the \
             standard minimum guarantee, and under {}{sub} {} {why}; give true or false",
            law.paragraph, law.instrument
        ),
    )))
}

/// The night-care element of a top-rate disability benefit: the top rate less the
/// next rate down. The rest of the award is counted.
#[inline]
fn night_element<'a>(
    amount: Money,
    top: &'a Param<Money>,
    next: &'a Param<Money>,
) -> Result<Counted<'a>, AssessError> {
    let element = top.value.checked_sub(next.value)?.max(Money::ZERO);
    let counted = amount.checked_sub(element)?.max(Money::ZERO);
    Ok((
        counted,
        "no night care is arranged, so the night-care element (the top rate less the next rate) is ignored, as the council chooses",
        [Some(top), Some(next)],
    ))
}

#[cfg(test)]
mod tests;
