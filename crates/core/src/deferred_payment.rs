//! Deferred payment agreements in England (Care Act 2014 ss.34-36; the Care and Support
//! (Deferred Payment) Regulations 2014, SI 2014/2671): an agreement's facts as the API and
//! the CLI take them ([`DeferredPaymentInput`], plain serde), checked into an
//! [`Agreement`], and the [`Statement`] of the agreement on a date, worked day by day.
//!
//! The rules, each cited on the line that uses it:
//! - who must be offered an agreement (reg 2: a care home, the home not disregarded,
//!   capital leaving out the home at most £23,250) and who may be (reg 3);
//! - each week's deferred amount: the week's charge less the contribution the council
//!   requires from income, which is at most the income above the disposable income
//!   allowance the person keeps (reg 5(2)(a), reg 6(1), (2));
//! - the equity limit: 90% of the security's current value, less £14,250 and any charge
//!   ranking before the council's (reg 5(5)); no amount is deferred past it (reg 5(3)(a))
//!   unless it was not exceeded when an amount was last deferred (reg 5(3)(b), (4));
//!   interest and costs go on being added after it is reached (reg 5(7));
//! - administration costs added to the debt unless paid separately (reg 10(2));
//! - interest at the national maximum rate for each six-month period (reg 9(3)-(5)),
//!   compounding as the agreement says (reg 11(1)(f)): daily, or monthly on the last day
//!   of each month;
//! - repayment due on sale, or 90 days after death (reg 7).
//!
//! How the days are counted (the regulations leave it to the agreement, reg 11): each
//! week's amount is deferred on the week's first day, weeks counted from the start date;
//! interest for a day is the debt at the end of that day's additions times the year's rate
//! over 365 (every year, leap or not); accrued interest is rounded to the penny once, when
//! it is added to the debt, by `money::round_div` (half a penny away from zero).

use chrono::{Datelike, Days, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::field::{FieldError, parse_date};
use crate::ledger::{
    Account, AccountInput, AccountKind, OpenRecord, OwnerInput, ReasonCode, Transfer, TransferInput,
};
use crate::money::{Money, MoneyError, Ratio, Rounding, round_div};
use crate::policy::{
    DeferredPaymentPolicy, DeferredPaymentRules, PolicyError, RateLookup, Source, interest_period,
};

/// The day the regulations came into force (reg 1(1)): no agreement under them starts
/// before it.
pub const REGULATIONS_IN_FORCE: (i32, u32, u32) = (2015, 4, 1);
/// Days a year has for interest: 365, every year.
pub const DAYS_PER_YEAR: i128 = 365;
/// Days after a death when the debt falls due (reg 7(b)).
pub const DAYS_AFTER_DEATH: u64 = 90;
/// How far ahead a statement projects the day the equity limit would be reached.
pub const PROJECTION_YEARS: u32 = 40;

/// Where the person's needs are met.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeferredSetting {
    CareHome,
    SupportedLiving,
}

/// How interest is added to the debt (the agreement says, reg 11(1)(f)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Compounding {
    /// Each day's interest is added to the debt that day.
    Daily,
    /// A month's interest is added on the month's last day.
    #[default]
    Monthly,
}

/// Why the council stopped deferring.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    /// The person died: the debt falls due 90 days later (reg 7(b)).
    Death,
    /// The property was sold: the debt falls due on the sale (reg 7(a)).
    Sale,
    /// The person left the care home or supported living (reg 11(1)(b)).
    LeftCare,
    /// The person ended the agreement by notice and repayment (reg 8).
    Terminated,
}

/// One valuation of the property the agreement is secured on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValuationInput {
    pub date: String,
    pub value: Money,
}

/// The security: the property's valuations, and any charge ranking before the council's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PropertyInput {
    pub valuations: Vec<ValuationInput>,
    /// Mortgages or other charges ranking in priority to the council's (reg 5(5)).
    #[serde(default)]
    pub prior_charges: Money,
}

/// The weekly figures from a date until the next entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeeklyInput {
    pub from: String,
    /// The amount due each week for the care (s.14, or s.30(2) for a top-up).
    pub charge: Money,
    /// The person's weekly income as the financial assessment counts it (reg 6(5)).
    pub income: Money,
    /// The part of income the person keeps: at most the disposable income allowance, which
    /// is the default.
    #[serde(default)]
    pub income_kept: Option<Money>,
}

/// An administration cost (reg 10).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeeInput {
    pub date: String,
    pub description: String,
    pub amount: Money,
    /// The person pays it when charged instead of adding it to the debt (reg 10(2)).
    #[serde(default)]
    pub paid_separately: bool,
}

fn yes() -> bool {
    true
}

/// Whether interest is charged, and how it compounds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InterestInput {
    #[serde(default = "yes")]
    pub charged: bool,
    #[serde(default)]
    pub compounding: Compounding,
}

impl Default for InterestInput {
    fn default() -> InterestInput {
        InterestInput { charged: true, compounding: Compounding::default() }
    }
}

/// When and why the council stopped deferring.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndedInput {
    pub date: String,
    pub reason: EndReason,
}

/// A deferred payment agreement as the API and the CLI take it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeferredPaymentInput {
    /// The day the agreement starts: the first week deferred.
    pub start_date: String,
    /// The statement runs to the end of this day.
    pub statement_date: String,
    pub setting: DeferredSetting,
    /// The person's capital leaving out the home (reg 2(2)(b)(i)(bb)).
    pub capital_excluding_home: Money,
    /// Whether the financial assessment disregards the home (reg 2(2)(b)(i)(aa)).
    #[serde(default)]
    pub home_disregarded: bool,
    #[serde(default)]
    pub property: Option<PropertyInput>,
    pub weekly: Vec<WeeklyInput>,
    #[serde(default)]
    pub fees: Vec<FeeInput>,
    #[serde(default)]
    pub interest: InterestInput,
    #[serde(default)]
    pub ended: Option<EndedInput>,
}

/// A valuation, checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Valuation {
    pub date: NaiveDate,
    pub value: Money,
}

/// Weekly figures, checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Weekly {
    pub from: NaiveDate,
    pub charge: Money,
    pub income: Money,
    pub income_kept: Option<Money>,
    /// Its place in the input, for messages.
    pub index: usize,
}

/// A fee, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fee {
    pub date: NaiveDate,
    pub description: String,
    pub amount: Money,
    pub paid_separately: bool,
}

/// A checked agreement: dates real and in order, amounts not negative, a property with a
/// value to secure it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Agreement {
    pub start_date: NaiveDate,
    pub statement_date: NaiveDate,
    pub setting: DeferredSetting,
    pub capital_excluding_home: Money,
    pub home_disregarded: bool,
    pub valuations: Vec<Valuation>,
    pub prior_charges: Money,
    pub weekly: Vec<Weekly>,
    pub fees: Vec<Fee>,
    pub interest_charged: bool,
    pub compounding: Compounding,
    pub ended: Option<(NaiveDate, EndReason)>,
}

fn not_negative(field: &str, amount: Money) -> Result<Money, FieldError> {
    if amount.is_negative() {
        return Err(FieldError::new(field, &amount.to_plain_string(), "may not be negative"));
    }
    Ok(amount)
}

impl Agreement {
    /// Check an agreement. Every problem names its field; a contradiction names both.
    pub fn parse(input: &DeferredPaymentInput) -> Result<Agreement, FieldError> {
        let start_date = parse_date("start_date", &input.start_date)?;
        let (y, m, d) = REGULATIONS_IN_FORCE;
        if NaiveDate::from_ymd_opt(y, m, d).is_some_and(|first| start_date < first) {
            return Err(FieldError::new(
                "start_date",
                &input.start_date,
                "deferred payment agreements under the Care Act 2014 began on 1 April 2015 (SI 2014/2671 reg 1(1)); give a start on or after it",
            ));
        }
        let statement_date = parse_date("statement_date", &input.statement_date)?;
        if statement_date < start_date {
            return Err(FieldError::new(
                "statement_date",
                &input.statement_date,
                format!(
                    "is before start_date ({start_date}): a statement covers the agreement from its start, so give a date on or after it"
                ),
            ));
        }
        let capital_excluding_home =
            not_negative("capital_excluding_home", input.capital_excluding_home)?;
        if input.weekly.is_empty() {
            return Err(FieldError::new(
                "weekly",
                "[]",
                "give at least one entry: from the start date, the weekly charge and the person's weekly income",
            ));
        }
        let Some(property) = &input.property else {
            return Err(FieldError::new(
                "property",
                "",
                "a deferred payment agreement is secured on the person's property (reg 4), and the equity limit is worked from its value (reg 5(5)); \
                 weekly gives charges to defer but property is missing: give property.valuations",
            ));
        };
        if property.valuations.is_empty() {
            return Err(FieldError::new(
                "property.valuations",
                "[]",
                "give at least one valuation of the property, with its date: the equity limit is worked from it (reg 5(5))",
            ));
        }
        let mut valuations: Vec<Valuation> = Vec::with_capacity(property.valuations.len());
        for (i, raw) in property.valuations.iter().enumerate() {
            let date = parse_date(&format!("property.valuations[{i}].date"), &raw.date)?;
            if raw.value.is_negative() || raw.value.is_zero() {
                return Err(FieldError::new(
                    &format!("property.valuations[{i}].value"),
                    &raw.value.to_plain_string(),
                    "a property worth nothing cannot secure a deferred payment agreement (reg 4): give its current market value",
                ));
            }
            if valuations.last().is_some_and(|previous| previous.date >= date) {
                return Err(FieldError::new(
                    &format!("property.valuations[{i}].date"),
                    &raw.date,
                    "valuations must be in date order, one a day",
                ));
            }
            valuations.push(Valuation { date, value: raw.value });
        }
        let prior_charges = not_negative("property.prior_charges", property.prior_charges)?;
        let mut weekly: Vec<Weekly> = Vec::with_capacity(input.weekly.len());
        for (i, raw) in input.weekly.iter().enumerate() {
            let field = |name: &str| format!("weekly[{i}].{name}");
            let from = parse_date(&field("from"), &raw.from)?;
            if i == 0 && from != start_date {
                return Err(FieldError::new(
                    &field("from"),
                    &raw.from,
                    format!(
                        "the first weekly entry must start on start_date ({start_date}), so every week has its figures"
                    ),
                ));
            }
            if weekly.last().is_some_and(|previous| previous.from >= from) {
                return Err(FieldError::new(
                    &field("from"),
                    &raw.from,
                    "weekly entries must be in date order, one a day",
                ));
            }
            weekly.push(Weekly {
                from,
                charge: not_negative(&field("charge"), raw.charge)?,
                income: not_negative(&field("income"), raw.income)?,
                income_kept: raw
                    .income_kept
                    .map(|kept| not_negative(&field("income_kept"), kept))
                    .transpose()?,
                index: i,
            });
        }
        let mut fees = Vec::with_capacity(input.fees.len());
        for (i, raw) in input.fees.iter().enumerate() {
            let date = parse_date(&format!("fees[{i}].date"), &raw.date)?;
            if date < start_date {
                return Err(FieldError::new(
                    &format!("fees[{i}].date"),
                    &raw.date,
                    format!(
                        "is before start_date ({start_date}): costs are added to the debt from the day the agreement starts; date a setting-up cost on start_date"
                    ),
                ));
            }
            let description = raw.description.trim();
            if description.is_empty()
                || description.chars().count() > 200
                || description.chars().any(char::is_control)
            {
                return Err(FieldError::new(
                    &format!("fees[{i}].description"),
                    &raw.description,
                    "say what the cost is for (reg 10(5)(c)), in at most 200 characters on one line",
                ));
            }
            if !raw.amount.is_positive() {
                return Err(FieldError::new(
                    &format!("fees[{i}].amount"),
                    &raw.amount.to_plain_string(),
                    "a cost is a positive amount",
                ));
            }
            fees.push(Fee {
                date,
                description: description.to_owned(),
                amount: raw.amount,
                paid_separately: raw.paid_separately,
            });
        }
        fees.sort_by_key(|fee| fee.date);
        let ended = match &input.ended {
            None => None,
            Some(ended) => {
                let date = parse_date("ended.date", &ended.date)?;
                if date < start_date {
                    return Err(FieldError::new(
                        "ended.date",
                        &ended.date,
                        format!("is before start_date ({start_date})"),
                    ));
                }
                Some((date, ended.reason))
            }
        };
        Ok(Agreement {
            start_date,
            statement_date,
            setting: input.setting,
            capital_excluding_home,
            home_disregarded: input.home_disregarded,
            valuations,
            prior_charges,
            weekly,
            fees,
            interest_charged: input.interest.charged,
            compounding: input.interest.compounding,
            ended,
        })
    }

    /// The valuation in force on `day`: the latest on or before it, or the first.
    fn valuation_on(&self, day: NaiveDate) -> Option<&Valuation> {
        self.valuations.iter().rev().find(|v| v.date <= day).or_else(|| self.valuations.first())
    }

    fn weekly_on(&self, day: NaiveDate) -> Option<&Weekly> {
        self.weekly.iter().rev().find(|w| w.from <= day)
    }
}

/// What a statement line records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    /// Whether the council must, or may, offer the agreement.
    Eligibility,
    /// The equity limit, when it is first worked out and whenever a valuation changes it.
    EquityLimit,
    /// A week's charge deferred (or, past the equity limit, not).
    Week,
    /// An administration cost.
    Fee,
    /// Interest added to the debt.
    Interest,
    /// Interest accrued since it was last added, owed on the statement date.
    InterestAccrued,
    /// The council stopped deferring.
    Ended,
}

/// One line of a statement: what happened on a day, its amount, the debt after it, and
/// the figures it used with their references.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Line {
    pub date: NaiveDate,
    pub kind: LineKind,
    /// A stable name for the rule, e.g. `dpa.week`.
    pub rule: &'static str,
    pub explanation: String,
    /// The amount added to the debt (zero for lines that add nothing).
    pub amount: Money,
    /// The debt once this line is applied.
    pub debt: Money,
    pub sources: Vec<Source>,
}

/// Whether the council must offer the agreement (reg 2) or may (reg 3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Duty {
    Required,
    Permitted,
}

/// A posting for the ledger: an amount added to the debt, once, under a stable key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Posting {
    /// Unique within the agreement: `week-2024-01-01`, `fee-2024-01-01-0`,
    /// `interest-2024-01`.
    pub key: String,
    pub date: NaiveDate,
    pub kind: PostingKind,
    pub amount: Money,
    pub memo: String,
}

/// What a posting is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PostingKind {
    Deferred,
    Fee,
    Interest,
}

/// The agreement's figures on the statement date.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub duty: Duty,
    pub weeks_deferred: u32,
    /// The care charges deferred.
    pub deferred: Money,
    /// Charges due in the weeks of the statement that were not deferred: the person's
    /// contributions from income and anything past the equity limit.
    pub not_deferred: Money,
    pub fees_added: Money,
    pub fees_paid_separately: Money,
    /// Interest added to the debt.
    pub interest_added: Money,
    /// Interest accrued since it was last added (owed if the agreement ended that day).
    pub interest_accrued: Money,
    /// The amount that would end the agreement on the statement date (reg 8, reg
    /// 11(1)(d)(ii)(aa)): everything deferred, costs added and interest.
    pub debt: Money,
    pub equity_limit: Money,
    /// The equity limit less the debt (negative past the limit).
    pub equity_remaining: Money,
    pub equity_limit_reached_on: Option<NaiveDate>,
    /// If the limit has not been reached: the day it would be, deferring the last weekly
    /// amount at the rate in force on the statement date, within [`PROJECTION_YEARS`].
    pub equity_limit_projected_on: Option<NaiveDate>,
    /// The day the debt falls due (reg 7), if the agreement has ended by death or sale.
    pub repayment_due: Option<NaiveDate>,
}

/// A statement of an agreement (reg 11(1)(d)).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Statement {
    pub start_date: NaiveDate,
    pub statement_date: NaiveDate,
    pub compounding: Compounding,
    pub interest_charged: bool,
    pub summary: Summary,
    pub lines: Vec<Line>,
    /// The amounts for the ledger, complete by the statement date: each week deferred, each
    /// cost added, each month's interest once the month has ended.
    #[serde(skip)]
    pub postings: Vec<Posting>,
}

/// Why a statement cannot be worked out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeferredPaymentError {
    #[error(transparent)]
    Field(#[from] FieldError),
    #[error(
        "interest: the national maximum interest rate for {period_start} to {period_end} is not known to onebudget \
         (england.dpa.interest.national_maximum: {title} <{href}>), and the statement reaches into that period; \
         end the statement by {day_before}, set interest.charged to false if the council charges none, or enter \
         DHSC's figure in policy/england_deferred_payments.yaml with its reference"
    )]
    RateUnknown {
        period_start: NaiveDate,
        period_end: NaiveDate,
        day_before: NaiveDate,
        title: String,
        href: String,
    },
    #[error(transparent)]
    Policy(#[from] PolicyError),
    #[error(transparent)]
    Money(#[from] MoneyError),
}

/// The interest rate in force for a day: the period's rate and where it comes from.
#[derive(Clone, Debug)]
struct DayRate {
    millionths: i64,
    source: Source,
}

fn rate_on(
    policy: &DeferredPaymentPolicy,
    day: NaiveDate,
) -> Result<DayRate, DeferredPaymentError> {
    match policy.national_maximum_on(day)? {
        RateLookup::Known(rate) => {
            Ok(DayRate { millionths: rate.value.millionths(), source: (*rate.source).clone() })
        }
        RateLookup::Unknown { period_start, period_end, reference } => {
            Err(DeferredPaymentError::RateUnknown {
                period_start,
                period_end,
                day_before: period_start.pred_opt().unwrap_or(period_start),
                title: reference.title,
                href: reference.href,
            })
        }
    }
}

fn last_day_of_month(day: NaiveDate) -> bool {
    day.succ_opt().is_none_or(|next| next.month() != day.month())
}

fn month_label(day: NaiveDate) -> String {
    day.format("%B %Y").to_string()
}

/// The equity limit for a valuation (reg 5(5)): 90% of the value (rounded down to the
/// penny: never more than the regulation allows), less £14,250 and any prior charge.
fn equity_limit(
    rules: &DeferredPaymentRules,
    value: Money,
    prior: Money,
) -> Result<Money, MoneyError> {
    rules
        .equity_share
        .value
        .of(value, Rounding::TowardZero)?
        .checked_sub(rules.equity_deduction.value)?
        .checked_sub(prior)
}

/// The running state of the debt, shared by the statement and the projection.
struct Debt {
    balance: Money,
    /// Interest accrued and not yet added, as pence × millionths of a year's rate.
    accrued: i128,
    /// The first day of the interest not yet added.
    accrued_from: Option<NaiveDate>,
    /// The rate used for the interest not yet added, for its line.
    accrued_rate: Option<DayRate>,
    /// Interest added day by day this month (daily compounding), for the month's line.
    month_added: Money,
    stopped_by_limit: bool,
    exceeded_at_last_deferral: bool,
}

impl Debt {
    fn accrue(&mut self, day: NaiveDate, rate: &DayRate) -> Result<(), MoneyError> {
        let overflow = MoneyError::Overflow { operation: "interest" };
        let today = i128::from(self.balance.pence())
            .checked_mul(i128::from(rate.millionths))
            .ok_or(overflow.clone())?;
        self.accrued = self.accrued.checked_add(today).ok_or(overflow)?;
        if self.accrued_from.is_none() {
            self.accrued_from = Some(day);
        }
        self.accrued_rate = Some(rate.clone());
        Ok(())
    }

    /// The interest accrued so far, rounded once to the penny.
    fn accrued_pence(&self) -> Result<Money, MoneyError> {
        round_div(
            self.accrued,
            DAYS_PER_YEAR * i128::from(Ratio::SCALE),
            Rounding::HalfAwayFromZero,
            "interest",
        )
        .map(Money::from_pence)
    }

    /// Add the accrued interest to the debt.
    fn compound(&mut self) -> Result<Money, MoneyError> {
        let interest = self.accrued_pence()?;
        self.balance = self.balance.checked_add(interest)?;
        self.accrued = 0;
        self.accrued_from = None;
        Ok(interest)
    }
}

/// Work out the statement of an agreement on its statement date.
pub fn statement(
    policy: &DeferredPaymentPolicy,
    agreement: &Agreement,
) -> Result<Statement, DeferredPaymentError> {
    let start = agreement.start_date;
    let end = agreement.statement_date;
    let rules = policy.rules_on(start)?;
    let mut lines: Vec<Line> = Vec::new();
    let mut postings: Vec<Posting> = Vec::new();

    // Who must be offered an agreement (reg 2) and who may (reg 3).
    let limit_param = &rules.capital_limit;
    let (duty, why) = match agreement.setting {
        DeferredSetting::SupportedLiving => (
            Duty::Permitted,
            "the person's needs are met in supported living accommodation, so the council may offer an agreement (reg 3(1)) but need not (reg 2 covers care homes only)".to_owned(),
        ),
        DeferredSetting::CareHome if agreement.home_disregarded => (
            Duty::Permitted,
            "the home is disregarded in the financial assessment, so the council need not offer an agreement (reg 2(2)(b)(i)(aa)) but may (reg 3)".to_owned(),
        ),
        DeferredSetting::CareHome if agreement.capital_excluding_home > limit_param.value => (
            Duty::Permitted,
            format!(
                "capital leaving out the home is {}, above {}, so the council need not offer an agreement (reg 2(2)(b)(i)(bb)) but may (reg 3)",
                agreement.capital_excluding_home, limit_param.value
            ),
        ),
        DeferredSetting::CareHome => (
            Duty::Required,
            format!(
                "care home, the home not disregarded, and capital leaving out the home {} is not above {}: the council must offer an agreement (reg 2)",
                agreement.capital_excluding_home, limit_param.value
            ),
        ),
    };
    lines.push(Line {
        date: start,
        kind: LineKind::Eligibility,
        rule: "dpa.eligibility",
        explanation: format!("Eligibility: {why}"),
        amount: Money::ZERO,
        debt: Money::ZERO,
        sources: vec![(*limit_param.source).clone()],
    });

    let mut debt = Debt {
        balance: Money::ZERO,
        accrued: 0,
        accrued_from: None,
        accrued_rate: None,
        month_added: Money::ZERO,
        stopped_by_limit: false,
        exceeded_at_last_deferral: false,
    };
    let mut summary = Summary {
        duty,
        weeks_deferred: 0,
        deferred: Money::ZERO,
        not_deferred: Money::ZERO,
        fees_added: Money::ZERO,
        fees_paid_separately: Money::ZERO,
        interest_added: Money::ZERO,
        interest_accrued: Money::ZERO,
        debt: Money::ZERO,
        equity_limit: Money::ZERO,
        equity_remaining: Money::ZERO,
        equity_limit_reached_on: None,
        equity_limit_projected_on: None,
        repayment_due: None,
    };
    let mut current_valuation: Option<NaiveDate> = None;
    let mut limit = Money::ZERO;
    let ended_on = agreement.ended.map(|(date, _)| date);
    let mut rate_cache: Option<((NaiveDate, NaiveDate), DayRate)> = None;
    let mut fee_index = 0usize;

    let mut day = start;
    loop {
        let day_rules = policy.rules_on(day)?;
        // The equity limit from the valuation in force (reg 5(5), "at the relevant time").
        if let Some(valuation) = agreement.valuation_on(day)
            && current_valuation != Some(valuation.date)
        {
            current_valuation = Some(valuation.date);
            limit = equity_limit(&day_rules, valuation.value, agreement.prior_charges)?;
            if day == start && !limit.is_positive() {
                return Err(FieldError::new(
                    "property.valuations[0].value",
                    &valuation.value.to_plain_string(),
                    format!(
                        "the equity limit is {} of {} less {} less prior charges of {} = {}: nothing can be deferred against it (reg 5(3)(a), (5))",
                        day_rules.equity_share.value.percent(),
                        valuation.value,
                        day_rules.equity_deduction.value,
                        agreement.prior_charges,
                        limit
                    ),
                )
                .into());
            }
            lines.push(Line {
                date: day,
                kind: LineKind::EquityLimit,
                rule: "dpa.equity_limit",
                explanation: format!(
                    "Equity limit: {} of the property's value {} (valued {}) = {}, less {} and prior charges of {}: {}",
                    day_rules.equity_share.value.percent(),
                    valuation.value,
                    valuation.date,
                    day_rules.equity_share.value.of(valuation.value, Rounding::TowardZero)?,
                    day_rules.equity_deduction.value,
                    agreement.prior_charges,
                    limit
                ),
                amount: Money::ZERO,
                debt: debt.balance,
                sources: vec![
                    (*day_rules.equity_share.source).clone(),
                    (*day_rules.equity_deduction.source).clone(),
                ],
            });
        }

        // Administration costs dated today (reg 10).
        while let Some(fee) = agreement.fees.get(fee_index).filter(|fee| fee.date == day) {
            fee_index += 1;
            if fee.paid_separately {
                summary.fees_paid_separately =
                    summary.fees_paid_separately.checked_add(fee.amount)?;
                lines.push(Line {
                    date: day,
                    kind: LineKind::Fee,
                    rule: "dpa.fee_paid_separately",
                    explanation: format!(
                        "Administration cost, {}: {} paid separately at the person's request, not added to the debt (reg 10(2))",
                        fee.description, fee.amount
                    ),
                    amount: Money::ZERO,
                    debt: debt.balance,
                    sources: Vec::new(),
                });
            } else {
                debt.balance = debt.balance.checked_add(fee.amount)?;
                summary.fees_added = summary.fees_added.checked_add(fee.amount)?;
                postings.push(Posting {
                    key: format!("fee-{day}-{}", fee_index - 1),
                    date: day,
                    kind: PostingKind::Fee,
                    amount: fee.amount,
                    memo: format!(
                        "Deferred payment agreement: administration cost, {}",
                        fee.description
                    ),
                });
                lines.push(Line {
                    date: day,
                    kind: LineKind::Fee,
                    rule: "dpa.fee",
                    explanation: format!(
                        "Administration cost, {}: added to the debt (reg 10(1), (2))",
                        fee.description
                    ),
                    amount: fee.amount,
                    debt: debt.balance,
                    sources: Vec::new(),
                });
            }
        }

        // A week's charge, deferred on the week's first day while care continues.
        let days_in = (day - start).num_days();
        let caring = ended_on.is_none_or(|ended| day < ended);
        if days_in % 7 == 0 && caring {
            let week = agreement.weekly_on(day).ok_or_else(|| {
                FieldError::new("weekly", "", "no weekly entry covers the start date")
            })?;
            let allowance = &day_rules.disposable_income_allowance;
            let kept = week.income_kept.unwrap_or(allowance.value);
            if kept > allowance.value {
                return Err(FieldError::new(
                    &format!("weekly[{}].income_kept", week.index),
                    &kept.to_plain_string(),
                    format!(
                        "the person keeps at most the disposable income allowance, {} a week (reg 6(1), (2)); they may choose to keep less",
                        allowance.value
                    ),
                )
                .into());
            }
            let contribution = week.income.checked_sub(kept)?.max(Money::ZERO);
            let due = week.charge.checked_sub(contribution)?.max(Money::ZERO);
            let room = limit.checked_sub(debt.balance)?;
            let (deferred, note) = if debt.stopped_by_limit {
                (
                    Money::ZERO,
                    format!(
                        "not deferred: the equity limit {limit} has been reached (reg 5(3)(a)); the person pays it"
                    ),
                )
            } else if due <= room {
                (due, String::new())
            } else if room.is_negative() && !debt.exceeded_at_last_deferral {
                (
                    due,
                    format!(
                        "deferred although the debt is past the equity limit {limit}, because it was not past it when an amount was last deferred (reg 5(3)(b), (4)); nothing more will be"
                    ),
                )
            } else {
                let part = room.max(Money::ZERO);
                debt.stopped_by_limit = true;
                summary.equity_limit_reached_on.get_or_insert(day);
                (
                    part,
                    format!(
                        "only {part} deferred, which brings the debt to the equity limit {limit} (reg 5(3)(a)); the rest, {}, and later weeks are the person's to pay; interest and costs are still added (reg 5(7))",
                        due.checked_sub(part)?
                    ),
                )
            };
            if debt.exceeded_at_last_deferral && room.is_negative() {
                debt.stopped_by_limit = true;
            }
            debt.balance = debt.balance.checked_add(deferred)?;
            if deferred.is_positive() {
                debt.exceeded_at_last_deferral = debt.balance > limit;
                summary.weeks_deferred += 1;
                postings.push(Posting {
                    key: format!("week-{day}"),
                    date: day,
                    kind: PostingKind::Deferred,
                    amount: deferred,
                    memo: format!(
                        "Deferred payment agreement: care charge for the week from {day} deferred"
                    ),
                });
            }
            summary.deferred = summary.deferred.checked_add(deferred)?;
            summary.not_deferred =
                summary.not_deferred.checked_add(week.charge.checked_sub(deferred)?)?;
            let kept_words = if week.income_kept.is_some() {
                format!("keeps {kept} (chosen, at most the allowance {})", allowance.value)
            } else {
                format!("keeps the disposable income allowance {kept}")
            };
            let base = format!(
                "Week from {day}: charge {}; income {} of which the person {kept_words}, so contributes {contribution} (reg 6(1), (2)); {} to defer (reg 5(2)(a))",
                week.charge, week.income, due
            );
            lines.push(Line {
                date: day,
                kind: LineKind::Week,
                rule: "dpa.week",
                explanation: if note.is_empty() { base } else { format!("{base}; {note}") },
                amount: deferred,
                debt: debt.balance,
                sources: vec![(*allowance.source).clone()],
            });
        }
        if ended_on == Some(day)
            && let Some((date, reason)) = agreement.ended
        {
            let (words, due) = match reason {
                EndReason::Death => (
                    format!(
                        "the person died on {date}: nothing more is deferred, and the debt falls due 90 days after the death (reg 7(b)); interest runs until it is repaid"
                    ),
                    date.checked_add_days(Days::new(DAYS_AFTER_DEATH)),
                ),
                EndReason::Sale => (
                    format!(
                        "the property was sold on {date}: the debt falls due on the sale (reg 7(a))"
                    ),
                    Some(date),
                ),
                EndReason::LeftCare => (
                    format!(
                        "the person left the care home or supported living on {date}: the council stops deferring (reg 11(1)(b)); the debt falls due on sale or 90 days after death (reg 7)"
                    ),
                    None,
                ),
                EndReason::Terminated => (
                    format!(
                        "the person ended the agreement on {date} by notice and repayment (reg 8)"
                    ),
                    Some(date),
                ),
            };
            summary.repayment_due = due;
            lines.push(Line {
                date: day,
                kind: LineKind::Ended,
                rule: "dpa.ended",
                explanation: format!("Deferral ended: {words}"),
                amount: Money::ZERO,
                debt: debt.balance,
                sources: Vec::new(),
            });
        }

        // Interest for the day, at the period's national maximum (reg 9).
        if agreement.interest_charged {
            let period = interest_period(day);
            let rate = match &rate_cache {
                Some((cached, rate)) if *cached == period => rate.clone(),
                _ => {
                    let rate = rate_on(policy, day)?;
                    rate_cache = Some((period, rate.clone()));
                    rate
                }
            };
            debt.accrue(day, &rate)?;
            let month_end = last_day_of_month(day);
            match agreement.compounding {
                Compounding::Daily => {
                    let interest = debt.compound()?;
                    debt.month_added = debt.month_added.checked_add(interest)?;
                }
                Compounding::Monthly if month_end => {
                    debt.month_added = debt.compound()?;
                }
                Compounding::Monthly => {}
            }
            if month_end {
                let interest = std::mem::replace(&mut debt.month_added, Money::ZERO);
                let first = day.with_day(1).unwrap_or(day).max(start);
                summary.interest_added = summary.interest_added.checked_add(interest)?;
                if interest.is_positive() {
                    postings.push(Posting {
                        key: format!("interest-{}", day.format("%Y-%m")),
                        date: day,
                        kind: PostingKind::Interest,
                        amount: interest,
                        memo: format!(
                            "Deferred payment agreement: interest for {}",
                            month_label(day)
                        ),
                    });
                }
                lines.push(interest_line(
                    day,
                    first,
                    interest,
                    &rate,
                    agreement.compounding,
                    debt.balance,
                ));
            }
        }

        if day >= end {
            break;
        }
        day = day.succ_opt().ok_or(MoneyError::Overflow { operation: "a date" })?;
    }

    // Interest accrued since the last addition (monthly), or added day by day this month
    // (daily): part of what would end the agreement today.
    if agreement.interest_charged && !last_day_of_month(end) {
        let first = end.with_day(1).unwrap_or(end).max(start);
        let rate = debt.accrued_rate.clone();
        match agreement.compounding {
            Compounding::Monthly => {
                let accrued = debt.accrued_pence()?;
                summary.interest_accrued = accrued;
                if let Some(rate) = rate {
                    lines.push(Line {
                        date: end,
                        kind: LineKind::InterestAccrued,
                        rule: "dpa.interest_accrued",
                        explanation: format!(
                            "Interest accrued {first} to {end} at {} a year, added to the debt on the month's last day; owed if the agreement ended today (reg 8)",
                            Ratio::from_millionths(rate.millionths).percent()
                        ),
                        amount: accrued,
                        debt: debt.balance.checked_add(accrued)?,
                        sources: vec![rate.source.clone()],
                    });
                }
            }
            Compounding::Daily => {
                let added = debt.month_added;
                summary.interest_added = summary.interest_added.checked_add(added)?;
                if let Some(rate) = rate {
                    lines.push(interest_line(
                        end,
                        first,
                        added,
                        &rate,
                        Compounding::Daily,
                        debt.balance,
                    ));
                }
            }
        }
    }
    summary.debt = debt.balance.checked_add(summary.interest_accrued)?;
    summary.equity_limit = limit;
    summary.equity_remaining = limit.checked_sub(summary.debt)?;
    if !debt.stopped_by_limit && ended_on.is_none() {
        summary.equity_limit_projected_on =
            project(policy, agreement, &mut debt, limit, rate_cache.map(|(_, rate)| rate))?;
    }
    Ok(Statement {
        start_date: start,
        statement_date: end,
        compounding: agreement.compounding,
        interest_charged: agreement.interest_charged,
        summary,
        lines,
        postings,
    })
}

fn interest_line(
    day: NaiveDate,
    first: NaiveDate,
    interest: Money,
    rate: &DayRate,
    compounding: Compounding,
    balance: Money,
) -> Line {
    let how = match compounding {
        Compounding::Daily => "each day's interest added to the debt that day",
        Compounding::Monthly => "added to the debt on the month's last day",
    };
    Line {
        date: day,
        kind: LineKind::Interest,
        rule: "dpa.interest",
        explanation: format!(
            "Interest {first} to {day} at {} a year on the debt each day, over 365 days, {how} (reg 9(1)-(3), 11(1)(f))",
            Ratio::from_millionths(rate.millionths).percent()
        ),
        amount: interest,
        debt: balance,
        sources: vec![rate.source.clone()],
    }
}

/// The day the debt would reach the equity limit if the last weekly amount went on being
/// deferred at the rate in force on the statement date, or `None` if not within
/// [`PROJECTION_YEARS`].
fn project(
    policy: &DeferredPaymentPolicy,
    agreement: &Agreement,
    debt: &mut Debt,
    limit: Money,
    rate: Option<DayRate>,
) -> Result<Option<NaiveDate>, DeferredPaymentError> {
    let end = agreement.statement_date;
    let Some(week) = agreement.weekly.last() else { return Ok(None) };
    let rules = policy.rules_on(end)?;
    let kept = week.income_kept.unwrap_or(rules.disposable_income_allowance.value);
    let contribution = week.income.checked_sub(kept)?.max(Money::ZERO);
    let due = week.charge.checked_sub(contribution)?.max(Money::ZERO);
    let last = end
        .with_year(end.year().saturating_add(i32::try_from(PROJECTION_YEARS).unwrap_or(40)))
        .unwrap_or(end);
    let mut day = end;
    while day < last {
        day = match day.succ_opt() {
            Some(next) => next,
            None => return Ok(None),
        };
        if (day - agreement.start_date).num_days() % 7 == 0 {
            if debt.balance.checked_add(due)? > limit {
                return Ok(Some(day));
            }
            debt.balance = debt.balance.checked_add(due)?;
        }
        if let Some(rate) = &rate {
            debt.accrue(day, rate)?;
            if agreement.compounding == Compounding::Daily || last_day_of_month(day) {
                debt.compound()?;
            }
        }
        if debt.balance.checked_add(debt.accrued_pence()?)? >= limit {
            return Ok(Some(day));
        }
    }
    Ok(None)
}

/// The ledger's side of an agreement: the person's debt account and the council's two
/// accounts it is drawn from, in the council's means-tested stream.
#[derive(Clone, Debug)]
pub struct LedgerAccounts {
    /// What the person owes: `DPA-{person}`, a receivable owned by the person.
    pub debt: AccountInput,
    /// The council's charges deferred and costs added: `{council}-DPA-DEFERRED`.
    pub deferred: AccountInput,
    /// The council's interest on agreements: `{council}-DPA-INTEREST`.
    pub interest: AccountInput,
    pub stream: String,
    /// Keys are `dpa-{agreement}-{posting key}`, so posting a period twice records it once.
    pub agreement: String,
}

impl LedgerAccounts {
    /// The accounts for one person's agreement with a council, in `stream`.
    pub fn new(council: &str, person: &str, stream: &str, agreement: &str) -> LedgerAccounts {
        let council_account = |suffix: &str, name: &str| AccountInput {
            code: format!("{council}-DPA-{suffix}"),
            name: Some(name.to_owned()),
            kind: AccountKind::Funding.as_str().to_owned(),
            owner: OwnerInput { organisation: Some(council.to_owned()), person: None },
            stream: Some(stream.to_owned()),
            may_go_negative: true,
        };
        LedgerAccounts {
            debt: AccountInput {
                code: format!("DPA-{person}"),
                name: Some(format!("Deferred payment agreement debt, {person}")),
                kind: AccountKind::DeferredPaymentDebt.as_str().to_owned(),
                owner: OwnerInput { organisation: None, person: Some(person.to_owned()) },
                stream: Some(stream.to_owned()),
                may_go_negative: false,
            },
            deferred: council_account(
                "DEFERRED",
                "Care charges and costs deferred under agreements",
            ),
            interest: council_account("INTEREST", "Interest on deferred payment agreements"),
            stream: stream.to_owned(),
            agreement: agreement.to_owned(),
        }
    }

    /// The accounts to open (opening one already open with the same details is a no-op).
    pub fn open_records(&self) -> Result<Vec<OpenRecord>, FieldError> {
        [&self.debt, &self.deferred, &self.interest]
            .into_iter()
            .map(|account| Account::try_from(account).map(OpenRecord::Account))
            .collect()
    }

    /// One transfer for each posting: into the person's debt account from the council's
    /// deferred-charges account (weeks and costs) or its interest account.
    pub fn transfers(&self, postings: &[Posting]) -> Result<Vec<Transfer>, FieldError> {
        postings
            .iter()
            .map(|posting| {
                let (from, reason) = match posting.kind {
                    PostingKind::Deferred | PostingKind::Fee => {
                        (&self.deferred.code, ReasonCode::DeferredPayment)
                    }
                    PostingKind::Interest => (&self.interest.code, ReasonCode::Interest),
                };
                Transfer::try_from(&TransferInput {
                    idempotency_key: format!("dpa-{}-{}", self.agreement, posting.key),
                    from: from.clone(),
                    to: self.debt.code.clone(),
                    amount: posting.amount.to_plain_string(),
                    stream: self.stream.clone(),
                    effective_date: posting.date.to_string(),
                    reason: reason.as_str().to_owned(),
                    memo: posting.memo.clone(),
                    reverses: None,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
