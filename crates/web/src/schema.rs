//! OpenAPI mirrors of the core and store types the API reads and writes as they are.
//!
//! `onebudget-core` and `onebudget-store` do not depend on utoipa, so the API serializes
//! their types directly (one JSON shape for the CLI and the API) and describes them here
//! with schema-only structs of the same names and fields. These types are never built;
//! the tests at the bottom serialize real core and store values and check that every
//! mirror names exactly the fields the real type writes, so the document cannot drift.

use chrono::NaiveDate;
use utoipa::ToSchema;

/// Whether the person pays for what a stream funds.
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChargingBasis {
    /// NHS care: free to the person, never charged.
    FreeAtPointOfUse,
    /// Council social care: the person may contribute after a financial assessment.
    MeansTested,
}

/// What an account is for.
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    Funding,
    Pool,
    PersonalBudget,
    DirectPayment,
    Provider,
    Expenditure,
    ClientContribution,
    Suspense,
    DeferredPaymentDebt,
}

/// Why money moved.
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReasonCode {
    OpeningBalance,
    Contribution,
    Allocation,
    DirectPayment,
    ProviderPayment,
    Spend,
    ClientContribution,
    Recovery,
    Settlement,
    DeferredPayment,
    Interest,
    Correction,
}

/// Who an account belongs to: `{"organisation": "COUNCIL"}` or `{"person": "P1"}`.
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Owner {
    Organisation(String),
    Person(String),
}

/// A funding stream: money from one organisation under one set of rules.
#[derive(ToSchema)]
pub struct FundingStream {
    #[schema(example = "ASC")]
    pub code: String,
    #[schema(example = "Adult social care")]
    pub name: String,
    /// The organisation whose money this is.
    #[schema(example = "COUNCIL")]
    pub owner: String,
    pub charging_basis: ChargingBasis,
}

/// A ledger account. Once opened it never changes.
#[derive(ToSchema)]
pub struct Account {
    #[schema(example = "P1-PB-ASC")]
    pub code: String,
    pub name: String,
    pub kind: AccountKind,
    pub owner: Owner,
    /// The one stream this account holds, or null if it may hold any.
    #[schema(required = true)]
    pub stream: Option<String>,
    /// Whether the balance may fall below zero (true for funding accounts).
    pub may_go_negative: bool,
}

/// A recorded transfer of a positive amount of one stream's money between two accounts.
#[derive(ToSchema)]
pub struct RecordedTransfer {
    /// The ledger's sequence number for the transfer.
    pub id: i64,
    pub idempotency_key: String,
    /// The account the money leaves.
    pub from: String,
    /// The account the money reaches.
    pub to: String,
    /// Pounds and pence as a string.
    #[schema(example = "1234.56")]
    pub amount: String,
    pub stream: String,
    pub effective_date: NaiveDate,
    pub reason: ReasonCode,
    pub memo: String,
    /// The idempotency key of the transfer this one reverses; absent if none.
    #[schema(nullable = false)]
    pub reverses: Option<String>,
}

/// What happened to one transfer that was posted.
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PostStatus {
    /// Recorded now.
    Created,
    /// Already recorded with the same content; nothing was written.
    AlreadyRecorded,
}

/// The outcome for one posted transfer.
#[derive(ToSchema)]
pub struct PostedTransfer {
    pub id: i64,
    pub idempotency_key: String,
    pub status: PostStatus,
}

/// What happened to one record of an open batch.
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OpenOutcome {
    Opened,
    /// Already open with exactly these details: nothing was written.
    AlreadyOpen,
}

/// One (account, stream) balance.
#[derive(ToSchema)]
pub struct BalanceRow {
    pub account: String,
    pub account_name: String,
    pub kind: AccountKind,
    /// `organisation` or `person`.
    pub owner_kind: String,
    pub owner: String,
    pub stream: String,
    /// What the account has received minus what it has sent, in pounds.
    #[schema(example = "-250.00")]
    pub balance: String,
}

/// One line of an account statement.
#[derive(ToSchema)]
pub struct StatementLine {
    pub id: i64,
    pub effective_date: NaiveDate,
    pub idempotency_key: String,
    pub stream: String,
    pub reason: ReasonCode,
    pub memo: String,
    /// The other account of the transfer.
    pub counterparty: String,
    #[schema(example = "100.00")]
    pub money_in: String,
    #[schema(example = "0.00")]
    pub money_out: String,
    /// The account's balance (all streams) after this line.
    #[schema(example = "100.00")]
    pub balance: String,
    /// The idempotency key of the transfer this line reverses; absent if none.
    #[schema(nullable = false)]
    pub reverses: Option<String>,
}

/// An account's statement over a date range (inclusive at both ends).
#[derive(ToSchema)]
pub struct Statement {
    pub account: Account,
    /// The first day covered, or null from the beginning.
    #[schema(required = true)]
    pub from: Option<NaiveDate>,
    /// The last day covered, or null to the end.
    #[schema(required = true)]
    pub to: Option<NaiveDate>,
    /// The balance at the end of the day before `from`.
    pub opening_balance: String,
    pub money_in: String,
    pub money_out: String,
    pub closing_balance: String,
    /// In order of effective date, then id.
    pub lines: Vec<StatementLine>,
}

/// A funding stream to open.
#[derive(ToSchema)]
pub struct FundingStreamInput {
    #[schema(example = "ASC")]
    pub code: String,
    /// Defaults to the code.
    pub name: Option<String>,
    #[schema(example = "COUNCIL")]
    pub owner: String,
    pub charging_basis: ChargingBasis,
}

/// An owner as sent: exactly one of `organisation` or `person`.
#[derive(ToSchema)]
pub struct OwnerInput {
    pub organisation: Option<String>,
    pub person: Option<String>,
}

/// An account to open.
#[derive(ToSchema)]
pub struct AccountInput {
    pub code: String,
    /// Defaults to the code.
    pub name: Option<String>,
    pub kind: AccountKind,
    pub owner: OwnerInput,
    /// The one stream the account may hold; omit for an account that holds any.
    pub stream: Option<String>,
    /// Defaults to false.
    #[schema(default = false, nullable = false)]
    pub may_go_negative: Option<bool>,
}

/// A funding stream or an account to open, told apart by `type`.
#[derive(ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OpenRecordInput {
    FundingStream(FundingStreamInput),
    Account(AccountInput),
}

/// A nation of the UK: each has its own charging rules.
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Nation {
    England,
    Wales,
    Scotland,
    NorthernIreland,
}

/// Where the care is provided.
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Setting {
    /// Care and support at home or in the community.
    NonResidential,
    /// A care home (residential or nursing).
    CareHome,
}

/// A kind of capital.
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CapitalKind {
    Savings,
    Investments,
    MainHome,
    OtherProperty,
}

/// A kind of weekly income. Earnings, the mobility components of DLA and PIP and
/// `other_disregarded` are ignored; the rest are counted, subject to the nation's rules.
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IncomeKind {
    StatePension,
    PrivatePension,
    PensionCreditGuarantee,
    PensionCreditSavings,
    Esa,
    UniversalCredit,
    IncomeSupport,
    CarersAllowance,
    Earnings,
    AttendanceAllowanceLower,
    AttendanceAllowanceHigher,
    DlaCareLowest,
    DlaCareMiddle,
    DlaCareHighest,
    DlaMobilityLower,
    DlaMobilityHigher,
    PipDailyLivingStandard,
    PipDailyLivingEnhanced,
    PipMobilityStandard,
    PipMobilityEnhanced,
    OtherCounted,
    OtherDisregarded,
}

/// The person assessed.
#[derive(ToSchema)]
pub struct PersonInput {
    /// 18 to 130.
    #[schema(example = 67)]
    pub age_years: u32,
    /// Whether the person has reached the qualifying age for Pension Credit (State
    /// Pension age).
    pub pension_credit_age: bool,
    /// Whether the person is one of a couple (assessed on their own income and their
    /// share of joint capital).
    pub couple: bool,
    /// A lone parent: no partner, responsible for a child living with them (needs
    /// `couple: false` and `premiums.dependent_children` of at least 1). England's
    /// Minimum Income Guarantee has its own amount for a lone parent (SI 2014/2672 reg
    /// 7(3)). Defaults to false.
    #[schema(default = false)]
    pub lone_parent: bool,
}

/// The means-tested benefit premiums the person gets, or would qualify for; they raise
/// the minimum income the council must leave them.
#[derive(ToSchema)]
pub struct PremiumsInput {
    pub disability: bool,
    pub enhanced_disability: bool,
    pub carer: bool,
    /// 0 to 30.
    pub dependent_children: u32,
}

/// One item of capital.
#[derive(ToSchema)]
pub struct CapitalInput {
    pub kind: CapitalKind,
    /// Pounds as a string.
    #[schema(example = "12000.00")]
    pub value: String,
    /// Held jointly: the person is assessed on half. Defaults to false.
    #[schema(default = false)]
    pub joint: Option<bool>,
    /// For a `main_home`: a partner, a relative aged 60 or over or incapacitated, or a
    /// child under 18 lives there, so it is ignored. Defaults to false.
    #[schema(default = false)]
    pub occupied_by_qualifying_relative: Option<bool>,
}

/// One weekly income.
#[derive(ToSchema)]
pub struct IncomeInput {
    pub kind: IncomeKind,
    /// Pounds a week as a string.
    #[schema(example = "230.25")]
    pub amount: String,
}

/// A council's discretionary choices for this case; each overrides the national default.
#[derive(ToSchema)]
pub struct LocalInput {
    /// Ignore the night-care element of higher-rate Attendance Allowance, highest-rate
    /// DLA care and enhanced PIP daily living when no night care is arranged.
    pub disregard_night_care_element: Option<bool>,
    /// Charge only this share of assessable income, from 0 to 1 (e.g. `"0.90"`).
    #[schema(example = "0.90")]
    pub percentage_of_assessable_income: Option<String>,
    /// Pounds a week added to the national minimum income amount.
    pub minimum_income_guarantee_uplift: Option<String>,
    /// A flat weekly disability-related-expenditure allowance, given where the person's
    /// own amount is lower.
    pub flat_disability_related_expenditure: Option<String>,
    /// Disregard Pension Credit savings credit in full for care at home (England: under
    /// reg 15(2) of SI 2014/2672), as well as the Savings Credit disregard the law gives.
    pub disregard_savings_credit_in_full_at_home: Option<bool>,
    /// England: assess a short-term resident (a care-home stay of up to 8 weeks) as if
    /// the care were at home (SI 2014/2672 reg 8). Wales does this by law.
    pub charge_short_term_as_at_home: Option<bool>,
    /// One-off fee, pounds, for arranging care at home for a person above the capital
    /// limit who asks the council to (Care Act 2014 s.14(1)(b)).
    pub arrangement_fee_set_up: Option<String>,
    /// Yearly fee, pounds, for managing those arrangements.
    pub arrangement_fee_annual: Option<String>,
    /// The most the council charges an hour for care at home: the charge is at most this
    /// times `weekly_hours_of_care`.
    pub hourly_charge_rate: Option<String>,
    /// Care at home for one of a couple: also work out the charge on half of the couple's
    /// joint income (`partner_weekly_income` with the person's own) and charge the lower.
    pub assess_couple_jointly_if_lower: Option<bool>,
}

/// The facts that decide the Savings Credit disregard (England: Sch 1 para 40 of SI
/// 2014/2672; Scotland's care homes: Sch 3 para 28G of SI 1992/2977). Needed when the
/// person receives savings credit; the partner's facts when the person is one of a couple
/// whose qualifying income exceeds the standard minimum guarantee.
#[derive(ToSchema)]
pub struct SavingsCreditInput {
    /// Weekly qualifying income for savings credit (reg 9 of the State Pension Credit
    /// Regulations 2002); for one of a couple, the couple's together.
    #[schema(example = "210.00")]
    pub weekly_qualifying_income: Option<String>,
    /// One of a couple: the partner has reached 65.
    pub partner_aged_65_or_over: Option<bool>,
    /// One of a couple: the partner is in receipt of savings credit.
    pub partner_receives_savings_credit: Option<bool>,
    /// One of a couple: the fixed sum has already been disregarded in the partner's own
    /// assessment.
    pub sum_disregarded_for_partner: Option<bool>,
}

/// How long a care-home stay is expected to last (SI 2014/2672 reg 2(1)).
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Stay {
    Permanent,
    /// Unlikely to exceed 52 weeks.
    Temporary,
    /// Up to 8 weeks.
    ShortTerm,
}

/// An assessment case: the person's circumstances on a date.
#[derive(ToSchema)]
pub struct CaseInput {
    pub nation: Nation,
    /// The day assessed, `YYYY-MM-DD`: the rules in force that day apply.
    #[schema(value_type = String, format = Date, example = "2025-10-01")]
    pub date: String,
    pub setting: Setting,
    pub person: PersonInput,
    pub premiums: PremiumsInput,
    /// Savings, investments and property; an empty list for none.
    pub capital: Vec<CapitalInput>,
    /// Every weekly income, including disability benefits.
    pub weekly_income: Vec<IncomeInput>,
    /// Rent, mortgage interest, council tax and similar, per week. Defaults to 0.00.
    #[schema(example = "17.27")]
    pub weekly_housing_costs: Option<String>,
    /// Extra weekly costs because of a disability. Defaults to 0.00.
    #[schema(example = "28.08")]
    pub weekly_disability_related_expenditure: Option<String>,
    /// What the care costs each week.
    #[schema(example = "454.00")]
    pub weekly_cost_of_care: String,
    /// Scotland: the part of the weekly cost that is personal care, which is free.
    /// Defaults to 0.00.
    pub weekly_cost_of_personal_care: Option<String>,
    /// Whether night care is arranged. Defaults to false.
    #[schema(default = false)]
    pub night_care_provided: Option<bool>,
    /// Whether the person receives nursing care in a care home. Defaults to false.
    #[schema(default = false)]
    pub nursing_care: Option<bool>,
    /// NHS-arranged and funded care (continuing healthcare, section 117 aftercare): never
    /// charged. Defaults to false.
    #[schema(default = false)]
    pub nhs_funded: Option<bool>,
    pub local: Option<LocalInput>,
    /// Care home only: weeks of the permanent stay so far (the home is ignored for the
    /// first weeks). Needed when the case has a `main_home` nobody else lives in.
    pub weeks_in_care_home: Option<u32>,
    /// Care home only: `permanent` (default), `temporary` (England) or `short_term`
    /// (England and Wales).
    pub stay: Option<Stay>,
    /// A temporary resident intends to return to their main home and it is still
    /// theirs, so it is ignored (SI 2014/2672 Sch 2 para 1). Defaults to false.
    #[schema(default = false)]
    pub returning_home: Option<bool>,
    /// England: pounds a week of an occupational or personal pension paid to a spouse or
    /// civil partner living elsewhere; at least half paid means half the pension is ignored
    /// (SI 2014/2672 Sch 1 para 16).
    pub weekly_pension_paid_to_spouse: Option<String>,
    /// A person above the capital limit asks the council to arrange their care (Care Act
    /// 2014 s.18(3)); the council's arrangement fees apply. Defaults to false.
    #[schema(default = false)]
    pub council_arranges: Option<bool>,
    /// Hours of care a week, where the council charges by the hour (e.g. `"10.5"`).
    pub weekly_hours_of_care: Option<String>,
    /// Northern Ireland, care at home: the care is home help (domestic help), which a
    /// trust may charge for; personal care is free. Defaults to false.
    #[schema(default = false)]
    pub home_help: Option<bool>,
    pub savings_credit: Option<SavingsCreditInput>,
    /// One of a couple: the partner's own weekly income, used only where the council also
    /// assesses a couple jointly and charges the lower (`local.assess_couple_jointly_if_lower`).
    pub partner_weekly_income: Option<Vec<IncomeInput>>,
}

/// What kind of line a step is.
#[derive(ToSchema)]
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

/// The regulation, circular or page that sets a figure.
#[derive(ToSchema)]
pub struct Reference {
    pub title: String,
    pub href: String,
}

/// A policy figure a step used.
#[derive(ToSchema)]
pub struct Source {
    /// The parameter's name, e.g. `england.capital_upper_limit`.
    pub parameter: String,
    /// The figure, as written for people (e.g. `£23,250.00`).
    pub value: String,
    /// The day this figure took effect.
    pub from: NaiveDate,
    pub reference: Reference,
}

/// One explained step.
#[derive(ToSchema)]
pub struct Step {
    pub kind: StepKind,
    /// A stable name for the rule, e.g. `capital.tariff_income`.
    #[schema(example = "capital.tariff_income")]
    pub rule: String,
    /// What happened, in plain English.
    pub explanation: String,
    /// The amount the step is about (an income, an allowance, a capital total).
    pub amount: String,
    /// What the step adds to (or, negative, takes off) the weekly charge. The effects of
    /// all the steps add up to `weekly_charge`.
    #[schema(example = "-171.75")]
    pub effect: String,
    pub sources: Vec<Source>,
}

/// One allowance deducted from income.
#[derive(ToSchema)]
pub struct AllowanceLine {
    pub rule: String,
    pub amount: String,
}

/// An explained assessment. Amounts are strings of pounds.
#[derive(ToSchema)]
pub struct Explanation {
    pub nation: Nation,
    pub date: NaiveDate,
    pub setting: Setting,
    /// What the person pays each week.
    #[schema(example = "110.10")]
    pub weekly_charge: String,
    /// Whether the person pays the full cost (capital above the upper limit), subject to
    /// any national maximum.
    pub full_cost: bool,
    /// Capital counted after disregards and shares.
    pub counted_capital: String,
    /// The weekly income assumed from capital between the limits.
    pub weekly_tariff_income: String,
    /// Income counted after disregards, before tariff income.
    pub weekly_counted_income: String,
    /// The allowances deducted.
    pub weekly_allowances: String,
    /// Counted income plus tariff income less allowances, floored at zero.
    pub assessable_income: String,
    /// The most the person can be charged: the cost of care less anything free, capped
    /// by any national maximum.
    pub maximum_charge: String,
    /// A full-cost payer who asks the council to arrange care at home: the council's
    /// one-off arrangement fee, on top of the weekly charge.
    pub arrangement_fee_set_up: String,
    /// And its yearly arrangement fee.
    pub arrangement_fee_annual: String,
    /// The first day the rules used are in force.
    pub rules_in_force_from: NaiveDate,
    pub allowances: Vec<AllowanceLine>,
    /// In order; their effects add up to `weekly_charge`.
    pub steps: Vec<Step>,
}

/// How partners hold a pool's money.
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PoolKind {
    /// Money moves into one fund the host manages (s.75 pooled fund, Better Care Fund).
    Pooled,
    /// Each partner keeps its own money; spending is monitored jointly.
    Aligned,
    /// One partner commissions for both, with the other's money.
    LeadCommissioning,
}

/// A pool and its latest year's latest version.
#[derive(ToSchema)]
pub struct PoolSummary {
    #[schema(example = "BCF")]
    pub pool: String,
    pub name: String,
    pub kind: PoolKind,
    /// The financial year, e.g. `2025/26`.
    pub year: String,
    /// The year it starts in, e.g. `2025`: the `{year}` of the pool's paths.
    pub year_start: i64,
    /// The host partner's organisation.
    pub host: String,
    pub partners: Vec<String>,
    /// The planned budget, pounds as a string.
    pub budget: String,
    /// How many versions (the agreement and its variations) there are.
    pub versions: i64,
    /// The last closed month, `YYYY-MM`, if any.
    pub closed_through: Option<String>,
}

/// One recorded version of a pool's agreement.
#[derive(ToSchema)]
pub struct AgreementVersion {
    pub pool: String,
    /// The year it starts in.
    pub year: i64,
    pub version: i64,
    pub effective_from: NaiveDate,
    pub kind: String,
    pub recorded_by: String,
    pub recorded_at: String,
}

/// A pool's agreement for one financial year, as a finance officer writes it. Money is
/// strings of pounds, proportions decimal strings (`"0.6"`).
#[derive(ToSchema)]
pub struct AgreementInput {
    #[schema(example = "BCF")]
    pub pool: String,
    pub name: Option<String>,
    /// `pooled`, `aligned` or `lead_commissioning`.
    pub kind: String,
    /// The host partner's organisation.
    pub host: String,
    /// The year it starts in, e.g. 2025.
    pub year: i64,
    /// The date this version applies from: 1 April for the first, later for a variation.
    pub effective_from: String,
    pub partners: Vec<PartnerInput>,
    pub schemes: Vec<SchemeInput>,
    pub risk_share: RiskShareInput,
    /// Where an underspend carried forward is kept (a pool account of the host).
    pub reserve_account: Option<String>,
}

/// One partner of an agreement.
#[derive(ToSchema)]
pub struct PartnerInput {
    pub organisation: String,
    /// The partner's funding stream.
    pub stream: String,
    /// The account its contributions come from.
    pub account: String,
    /// Where risk-share payments arrive (an account holding any stream).
    pub settlement_account: Option<String>,
    pub annual_contribution: String,
    /// The Better Care Fund minimum this partner must contribute, if any.
    pub minimum_contribution: Option<String>,
    /// Twelve proportions (April to March) summing to 1; even when absent.
    pub profile: Option<Vec<String>>,
}

/// One scheme of an agreement.
#[derive(ToSchema)]
pub struct SchemeInput {
    pub code: String,
    pub name: Option<String>,
    /// The pool account the scheme spends from.
    pub account: String,
    /// The partner that leads it.
    pub lead: String,
    pub planned_budget: String,
    /// Partner organisation → proportion it funds; the proportions sum to 1.
    #[schema(value_type = Object)]
    pub funding: std::collections::BTreeMap<String, String>,
}

/// How an overspend and an underspend are shared.
#[derive(ToSchema)]
pub struct RiskShareInput {
    pub overspend: RuleInput,
    pub underspend: RuleInput,
}

/// A sharing rule.
#[derive(ToSchema)]
pub struct RuleInput {
    /// `proportional`, `fixed`, `lead_partner`, `capped`, or (underspend only) `carry_forward`.
    pub rule: String,
    /// For `fixed`: partner → proportion, summing to 1.
    #[schema(value_type = Option<Object>)]
    pub shares: Option<std::collections::BTreeMap<String, String>>,
    /// For `capped`: partner (not the host) → the most it bears.
    #[schema(value_type = Option<Object>)]
    pub caps: Option<std::collections::BTreeMap<String, String>>,
}

// ----- personal budgets (`onebudget_core::budget`, `onebudget_store::budgets`) -----

/// How severe a need is, on the ladder every domain's levels are placed on.
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NeedBand {
    None,
    Low,
    Moderate,
    High,
    Severe,
    Priority,
}

/// One domain's answer, scored.
#[derive(ToSchema)]
pub struct DomainScore {
    #[schema(example = "mobility")]
    pub domain: String,
    #[schema(example = "needs_help")]
    pub level: String,
    pub band: NeedBand,
    pub points: u32,
}

/// A scored assessment: one score per domain, in the questionnaire's order.
#[derive(ToSchema)]
pub struct NeedsScores {
    pub questionnaire: String,
    pub domains: Vec<DomainScore>,
}

/// One stream's eligibility, with the rule, its source and which clause held (or why
/// none did).
#[derive(ToSchema)]
pub struct EligibilityDecision {
    #[schema(example = "PHB")]
    pub stream: String,
    pub eligible: bool,
    pub reason: String,
    /// The stream that took over this one's responsibility (continuing healthcare), if
    /// any.
    #[schema(required = true)]
    pub replaced_by: Option<String>,
}

/// A recorded needs assessment.
#[derive(ToSchema)]
pub struct NeedsAssessmentRecord {
    pub id: i64,
    pub person_code: String,
    /// The scheme it was made under.
    pub scheme: String,
    pub questionnaire: String,
    pub assessed_on: NaiveDate,
    /// Domain code → level code, as given.
    #[schema(value_type = Object)]
    pub answers: std::collections::BTreeMap<String, String>,
    pub scores: NeedsScores,
    pub eligibility: Vec<EligibilityDecision>,
    pub recorded_by: String,
    pub recorded_at: String,
}

/// How a component of a budget is held and spent.
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryMode {
    /// Paid to the person, who buys their own support.
    DirectPayment,
    /// Held by a provider of the person's choosing.
    IndividualServiceFund,
    /// Held by the council, which arranges the support.
    Managed,
    /// Held by the NHS, which arranges what was agreed.
    Notional,
}

/// Where a budget is in its life: draft → agreed → active ⇄ under review → ended.
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BudgetStatus {
    Draft,
    Agreed,
    Active,
    UnderReview,
    Ended,
}

/// Who pays for a stream and whether the person is charged.
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BudgetCharging {
    /// NHS money: never charged.
    Free,
    /// A grant with its own test, not subject to the weekly charge.
    Grant,
    /// Council social care: the person's assessed contribution applies.
    MeansTested,
}

/// Whether the RAS's floor or ceiling changed the indicative amount.
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RasClamp {
    None,
    Floor,
    Ceiling,
}

/// A stream's indicative weekly budget from the Resource Allocation System.
#[derive(ToSchema)]
pub struct Indicative {
    pub points: u32,
    pub before_limits: String,
    #[schema(example = "149.60")]
    pub weekly: String,
    pub clamp: RasClamp,
}

/// The practitioner's choice for one stream's component.
#[derive(ToSchema)]
pub struct ComponentInput {
    #[schema(example = "ASC")]
    pub stream: String,
    /// The agreed weekly amount, pounds; the indicative amount when absent.
    pub agreed: Option<String>,
    /// Why the agreed amount differs from the indicative one (required when it does).
    pub reason: Option<String>,
    pub mode: DeliveryMode,
    /// The provider holding an Individual Service Fund, or arranging managed support.
    pub provider: Option<String>,
}

/// A stream's share of a line, set by hand.
#[derive(ToSchema)]
pub struct SplitInput {
    pub stream: String,
    pub amount: String,
}

/// A line's allocation set by hand instead of by the allocator, with why.
#[derive(ToSchema)]
pub struct OverrideInput {
    pub split: Vec<SplitInput>,
    pub reason: String,
}

/// One line of the support plan, as proposed.
#[derive(ToSchema)]
pub struct LineInput {
    #[schema(example = "Personal assistant")]
    pub what: String,
    pub outcome: String,
    /// A category of the scheme, e.g. `personal_care`, `domestic`, `therapy`.
    pub category: String,
    pub provider: Option<String>,
    #[schema(example = "200.00")]
    pub weekly_cost: String,
    /// Streams that may fund this line; any the rules allow when empty.
    pub streams: Option<Vec<String>>,
    #[serde(rename = "override")]
    pub override_: Option<OverrideInput>,
}

/// The support plan as proposed: the components chosen and the lines.
#[derive(ToSchema)]
pub struct PlanInput {
    /// An eligible stream not listed gets a component at its indicative amount in its
    /// first delivery mode.
    pub components: Option<Vec<ComponentInput>>,
    pub lines: Option<Vec<LineInput>>,
}

/// A change to a person's budget: the next version.
#[derive(ToSchema)]
pub struct BudgetChange {
    pub effective_from: NaiveDate,
    pub status: BudgetStatus,
    /// The needs assessment to use; the person's latest when absent.
    pub needs_assessment: Option<i64>,
    pub plan: Option<PlanInput>,
    /// Why this version is made (agreed at panel, a review after a hospital stay, …).
    pub reason: String,
}

/// One stream's component of a budget as decided.
#[derive(ToSchema)]
pub struct BudgetComponent {
    pub stream: String,
    pub funder: String,
    pub charging: BudgetCharging,
    pub indicative: Indicative,
    pub agreed: String,
    #[schema(required = true)]
    pub reason: Option<String>,
    pub mode: DeliveryMode,
    #[schema(required = true)]
    pub provider: Option<String>,
    /// What the plan's lines draw from this component.
    pub allocated: String,
    /// The person's contribution towards it (zero unless means-tested).
    pub person_pays: String,
    /// Allocated less the person's contribution.
    pub funder_pays: String,
}

/// What one stream funds of a line.
#[derive(ToSchema)]
pub struct PlanFunding {
    pub stream: String,
    pub amount: String,
}

/// One line of the plan as decided: what each stream funds, what no stream may or can,
/// and every step of its allocation in words.
#[derive(ToSchema)]
pub struct PlanLine {
    /// From 1: what spending names as `line`.
    pub number: usize,
    pub what: String,
    pub outcome: String,
    pub category: String,
    #[schema(required = true)]
    pub provider: Option<String>,
    pub weekly_cost: String,
    pub funded: Vec<PlanFunding>,
    /// Kept on the plan and flagged, never dropped.
    pub unfunded: String,
    #[schema(required = true)]
    pub override_reason: Option<String>,
    pub explanation: Vec<String>,
}

/// A budget as decided: components, lines and the contribution, with every step.
#[derive(ToSchema)]
pub struct BudgetDecision {
    pub date: NaiveDate,
    pub questionnaire: String,
    pub eligibility: Vec<EligibilityDecision>,
    pub components: Vec<BudgetComponent>,
    pub lines: Vec<PlanLine>,
    /// The components' agreed amounts.
    #[schema(example = "359.60")]
    pub budget: String,
    pub plan_cost: String,
    pub unfunded: String,
    /// The weekly charge from the financial assessment in force.
    pub assessed_charge: String,
    /// The lesser of the assessed charge and the means-tested part of the plan.
    pub weekly_contribution: String,
    pub warnings: Vec<String>,
    pub steps: Vec<String>,
}

/// One version of a person's budget. Versions are never changed: each change is the
/// next version.
#[derive(ToSchema)]
pub struct BudgetVersion {
    pub id: i64,
    pub person_code: String,
    pub version: i64,
    pub status: BudgetStatus,
    pub effective_from: NaiveDate,
    #[schema(required = true)]
    pub needs_assessment_id: Option<i64>,
    #[schema(required = true)]
    pub financial_assessment_id: Option<i64>,
    pub plan: PlanInput,
    pub decision: BudgetDecision,
    pub reason: String,
    pub recorded_by: String,
    pub recorded_at: String,
}

/// A direct-payment balance above the threshold, and what a finance officer decided.
#[derive(ToSchema)]
pub struct DpReview {
    pub id: i64,
    pub person_code: String,
    pub budget_version: i64,
    pub stream: String,
    pub raised_on: NaiveDate,
    pub balance: String,
    /// The stream's weekly payment.
    pub weekly: String,
    /// The threshold in weeks.
    pub weeks: i64,
    pub threshold: String,
    pub proposed_recovery: String,
    pub raised_by: String,
    pub raised_at: String,
    /// `recovered` or `dismissed`, once decided.
    #[schema(required = true)]
    pub decision: Option<String>,
    #[schema(required = true)]
    pub decided_amount: Option<String>,
    #[schema(required = true)]
    pub decided_by: Option<String>,
    #[schema(required = true)]
    pub note: Option<String>,
}

/// One stream's part of a person's statement.
#[derive(ToSchema)]
pub struct StreamStatement {
    pub stream: String,
    pub name: String,
    pub funder: String,
    pub charging: BudgetCharging,
    pub mode: DeliveryMode,
    pub weekly_agreed: String,
    pub weekly_you_pay: String,
    pub paid_in: String,
    pub paid_to_you: String,
    pub spent_by_you: String,
    pub paid_to_providers: String,
    pub returned: String,
    /// Held in the person's budget account for this stream.
    pub held_by_funder: String,
    /// Held in the person's direct-payment account for this stream.
    pub held_by_you: String,
}

/// One line of a person's statement, in plain English.
#[derive(ToSchema)]
pub struct StatementEntry {
    pub date: NaiveDate,
    pub stream: String,
    /// From the person's side: `paid_in`, `paid_to_you`, `spent`, `paid_to_provider` or
    /// `returned`.
    pub kind: String,
    pub words: String,
    pub money_in: String,
    pub money_out: String,
}

/// A person's one statement across every stream of their budget.
#[derive(ToSchema)]
pub struct PersonStatement {
    pub person_code: String,
    #[schema(required = true)]
    pub from: Option<NaiveDate>,
    #[schema(required = true)]
    pub to: Option<NaiveDate>,
    /// The budget in force at the end of the period, or null if there is none.
    #[schema(required = true)]
    pub budget: Option<BudgetVersion>,
    pub streams: Vec<StreamStatement>,
    /// By date.
    pub entries: Vec<StatementEntry>,
    /// The statement in a few sentences.
    pub summary: Vec<String>,
}

/// One funder's share of everyone's budgets. It names no person.
#[derive(ToSchema)]
pub struct FunderStatement {
    pub stream: String,
    pub name: String,
    pub funder: String,
    pub charging: BudgetCharging,
    /// How many live budgets have a component in this stream.
    pub budgets: i64,
    pub weekly_agreed: String,
    pub weekly_funder_pays: String,
    pub weekly_people_pay: String,
    /// Delivery mode → weekly agreed amount.
    #[schema(value_type = Object)]
    pub by_mode: std::collections::BTreeMap<String, String>,
    pub paid_in: String,
    pub spent: String,
    pub returned: String,
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use onebudget_core::Money;
    use onebudget_core::ledger::{
        self, AccountInput as CoreAccountInput, AccountKind as CoreKind,
        ChargingBasis as CoreBasis, FundingStreamInput as CoreStreamInput, OwnerInput as CoreOwner,
        ReasonCode as CoreReason, TransferInput,
    };
    use onebudget_store::{
        BalanceRow as StoreBalanceRow, OpenOutcome as StoreOutcome, PostStatus as StorePostStatus,
        PostedTransfer as StorePosted, Statement as StoreStatement,
        StatementLine as StoreStatementLine,
    };
    use serde_json::Value;
    use utoipa::PartialSchema;
    use utoipa::openapi::RefOr;
    use utoipa::openapi::schema::Schema;

    use super::*;

    fn properties<S: PartialSchema>() -> BTreeSet<String> {
        match S::schema() {
            RefOr::T(Schema::Object(object)) => object.properties.keys().cloned().collect(),
            other => panic!("not an object schema: {}", json(&other)),
        }
    }

    fn enum_values<S: PartialSchema>() -> BTreeSet<String> {
        match S::schema() {
            RefOr::T(Schema::Object(object)) => object
                .enum_values
                .unwrap_or_default()
                .into_iter()
                .map(|v| v.as_str().unwrap_or_default().to_owned())
                .collect(),
            other => panic!("not a string enum schema: {}", json(&other)),
        }
    }

    fn keys(value: &Value) -> BTreeSet<String> {
        value.as_object().expect("an object").keys().cloned().collect()
    }

    fn json<T: serde::Serialize>(value: &T) -> Value {
        serde_json::to_value(value).expect("serializes")
    }

    fn account() -> ledger::Account {
        ledger::Account::try_from(&CoreAccountInput {
            code: "P1-PB".into(),
            name: None,
            kind: "personal_budget".into(),
            owner: CoreOwner { organisation: None, person: Some("P1".into()) },
            stream: Some("ASC".into()),
            may_go_negative: false,
        })
        .expect("valid account")
    }

    #[test]
    fn mirrors_name_exactly_the_fields_core_and_store_write() {
        let stream = ledger::FundingStream::try_from(&CoreStreamInput {
            code: "ASC".into(),
            name: None,
            owner: "COUNCIL".into(),
            charging_basis: "means_tested".into(),
        })
        .expect("valid stream");
        assert_eq!(keys(&json(&stream)), properties::<FundingStream>());
        assert_eq!(keys(&json(&account())), properties::<Account>());

        let transfer = ledger::Transfer::try_from(&TransferInput {
            idempotency_key: "k2".into(),
            from: "A".into(),
            to: "B".into(),
            amount: "1.00".into(),
            stream: "ASC".into(),
            effective_date: "2025-04-01".into(),
            reason: "correction".into(),
            memo: String::new(),
            reverses: Some("k1".into()),
        })
        .expect("valid transfer");
        let recorded = ledger::RecordedTransfer { id: 2, transfer };
        assert_eq!(keys(&json(&recorded)), properties::<RecordedTransfer>());

        let posted = StorePosted {
            id: 1,
            idempotency_key: "k".into(),
            status: StorePostStatus::AlreadyRecorded,
        };
        assert_eq!(keys(&json(&posted)), properties::<PostedTransfer>());
        assert_eq!(json(&posted)["status"], "already_recorded");

        let row = StoreBalanceRow {
            account: "A".into(),
            account_name: "A".into(),
            kind: "funding".into(),
            owner_kind: "organisation".into(),
            owner: "COUNCIL".into(),
            stream: "ASC".into(),
            balance: Money::from_pence(-5),
        };
        assert_eq!(keys(&json(&row)), properties::<BalanceRow>());

        let date = chrono::NaiveDate::from_ymd_opt(2025, 4, 1);
        let line = StoreStatementLine {
            id: 1,
            effective_date: date.expect("a date"),
            idempotency_key: "k".into(),
            stream: "ASC".into(),
            reason: "allocation".into(),
            memo: String::new(),
            counterparty: "B".into(),
            money_in: Money::ZERO,
            money_out: Money::from_pence(100),
            balance: Money::from_pence(-100),
            reverses: Some("k0".into()),
        };
        assert_eq!(keys(&json(&line)), properties::<StatementLine>());
        let statement = StoreStatement {
            account: account(),
            from: date,
            to: None,
            opening_balance: Money::ZERO,
            money_in: Money::ZERO,
            money_out: Money::from_pence(100),
            closing_balance: Money::from_pence(-100),
            lines: vec![line],
        };
        assert_eq!(keys(&json(&statement)), properties::<Statement>());
    }

    #[test]
    fn input_mirrors_name_exactly_the_fields_core_reads() {
        let stream = CoreStreamInput { name: Some("n".into()), ..Default::default() };
        assert_eq!(keys(&json(&stream)), properties::<FundingStreamInput>());
        let account = CoreAccountInput { stream: Some("S".into()), ..Default::default() };
        assert_eq!(keys(&json(&account)), properties::<AccountInput>());
        assert_eq!(keys(&json(&CoreOwner::default())), properties::<OwnerInput>());
    }

    #[test]
    fn mirror_enums_list_every_value_core_accepts() {
        let names = |all: Vec<&str>| all.into_iter().map(str::to_owned).collect::<BTreeSet<_>>();
        assert_eq!(
            enum_values::<AccountKind>(),
            names(CoreKind::ALL.iter().map(|k| k.as_str()).collect())
        );
        assert_eq!(
            enum_values::<ReasonCode>(),
            names(CoreReason::ALL.iter().map(|r| r.as_str()).collect())
        );
        assert_eq!(
            enum_values::<ChargingBasis>(),
            names(CoreBasis::ALL.iter().map(|b| b.as_str()).collect())
        );
        let outcomes = [StoreOutcome::Opened, StoreOutcome::AlreadyOpen];
        let outcomes = outcomes.iter().map(|o| json(o).as_str().unwrap_or_default().to_owned());
        assert_eq!(enum_values::<OpenOutcome>(), outcomes.collect());
        let statuses = [StorePostStatus::Created, StorePostStatus::AlreadyRecorded];
        let statuses = statuses.iter().map(|s| json(s).as_str().unwrap_or_default().to_owned());
        assert_eq!(enum_values::<PostStatus>(), statuses.collect());
    }

    fn case_input() -> onebudget_core::assessment::CaseInput {
        serde_json::from_value(serde_json::json!({
            "nation": "england", "date": "2024-10-01", "setting": "non_residential",
            "person": {"age_years": 70, "pension_credit_age": true, "couple": true},
            "premiums": {"disability": false, "enhanced_disability": false, "carer": false,
                         "dependent_children": 0},
            "capital": [{"kind": "savings", "value": "18000.00", "joint": true,
                         "occupied_by_qualifying_relative": false}],
            "weekly_income": [{"kind": "state_pension", "amount": "230.25"}],
            "weekly_housing_costs": "10.00",
            "weekly_disability_related_expenditure": "5.00",
            "weekly_cost_of_care": "300.00",
            "weekly_cost_of_personal_care": "0.00",
            "night_care_provided": false, "nursing_care": false, "nhs_funded": false,
            "local": {"disregard_night_care_element": true,
                      "percentage_of_assessable_income": "1",
                      "minimum_income_guarantee_uplift": "0.00",
                      "flat_disability_related_expenditure": "0.00",
                      "charge_short_term_as_at_home": false,
                      "arrangement_fee_set_up": "0.00", "arrangement_fee_annual": "0.00",
                      "hourly_charge_rate": "20.00",
                      "disregard_savings_credit_in_full_at_home": false,
                      "assess_couple_jointly_if_lower": false},
            "weeks_in_care_home": 0,
            "stay": "permanent", "returning_home": false,
            "weekly_pension_paid_to_spouse": "0.00", "council_arranges": false,
            "weekly_hours_of_care": "2", "home_help": false,
            "savings_credit": {"weekly_qualifying_income": "230.25",
                               "partner_aged_65_or_over": false,
                               "partner_receives_savings_credit": false,
                               "sum_disregarded_for_partner": false},
            "partner_weekly_income": [{"kind": "private_pension", "amount": "20.00"}],
        }))
        .expect("a valid case")
    }

    #[test]
    fn assessment_mirrors_name_exactly_the_fields_core_reads_and_writes() {
        use onebudget_core::assessment::{Case, LocalOptions, explain};
        use onebudget_core::policy::Policy;

        let input = case_input();
        let written = json(&input);
        assert_eq!(keys(&written), properties::<CaseInput>());
        assert_eq!(keys(&written["person"]), properties::<PersonInput>());
        assert_eq!(keys(&written["premiums"]), properties::<PremiumsInput>());
        assert_eq!(keys(&written["capital"][0]), properties::<CapitalInput>());
        assert_eq!(keys(&written["weekly_income"][0]), properties::<IncomeInput>());
        assert_eq!(keys(&written["local"]), properties::<LocalInput>());
        assert_eq!(keys(&written["savings_credit"]), properties::<SavingsCreditInput>());
        assert_eq!(keys(&written["partner_weekly_income"][0]), properties::<IncomeInput>());

        let case = Case::parse(&input, LocalOptions::default()).expect("a valid case");
        let policy = Policy::in_use().expect("the embedded policy");
        let explanation = json(&explain(policy, &case).expect("assessed"));
        assert_eq!(keys(&explanation), properties::<Explanation>());
        let step = explanation["steps"]
            .as_array()
            .expect("steps")
            .iter()
            .find(|s| !s["sources"].as_array().expect("sources").is_empty())
            .expect("a step with a source");
        assert_eq!(keys(step), properties::<Step>());
        assert_eq!(keys(&step["sources"][0]), properties::<Source>());
        assert_eq!(keys(&step["sources"][0]["reference"]), properties::<Reference>());
        assert_eq!(keys(&explanation["allowances"][0]), properties::<AllowanceLine>());
    }

    #[test]
    fn assessment_mirror_enums_list_every_value_core_accepts() {
        use onebudget_core::assessment::{CapitalKind as Capital, IncomeKind as Income};
        use onebudget_core::assessment::{Setting as CoreSetting, StepKind as CoreStepKind};
        use onebudget_core::policy::Nation as CoreNation;

        let names = |all: Vec<&str>| all.into_iter().map(str::to_owned).collect::<BTreeSet<_>>();
        assert_eq!(
            enum_values::<Nation>(),
            names(CoreNation::ALL.iter().map(|n| n.as_str()).collect())
        );
        assert_eq!(
            enum_values::<CapitalKind>(),
            names(Capital::ALL.iter().map(|k| k.as_str()).collect())
        );
        assert_eq!(
            enum_values::<IncomeKind>(),
            names(Income::ALL.iter().map(|k| k.as_str()).collect())
        );
        assert_eq!(
            enum_values::<Setting>(),
            names(vec![CoreSetting::NonResidential.as_str(), CoreSetting::CareHome.as_str()])
        );
        assert_eq!(
            enum_values::<Stay>(),
            names(onebudget_core::assessment::Stay::ALL.iter().map(|s| s.as_str()).collect())
        );
        // An exhaustive match: a new kind of step fails to compile here until it is mirrored.
        let mirrored = |kind: CoreStepKind| match kind {
            CoreStepKind::Cost
            | CoreStepKind::Capital
            | CoreStepKind::Income
            | CoreStepKind::Allowance
            | CoreStepKind::Charge => json(&kind).as_str().unwrap_or_default().to_owned(),
        };
        let kinds = [
            CoreStepKind::Cost,
            CoreStepKind::Capital,
            CoreStepKind::Income,
            CoreStepKind::Allowance,
            CoreStepKind::Charge,
        ];
        assert_eq!(enum_values::<StepKind>(), kinds.into_iter().map(mirrored).collect());
    }
    #[test]
    fn pool_mirrors_name_exactly_the_fields_core_and_store_read_and_write() {
        use onebudget_core::pool::{
            AgreementInput as CoreAgreement, PartnerInput as CorePartner, PoolKind as CorePoolKind,
            RiskShareInput as CoreRiskShare, RuleInput as CoreRule, SchemeInput as CoreScheme,
        };
        let rule = CoreRule {
            rule: "fixed".into(),
            shares: Some(Default::default()),
            caps: Some(Default::default()),
        };
        let input = CoreAgreement {
            name: Some("n".into()),
            partners: vec![CorePartner {
                settlement_account: Some("S".into()),
                minimum_contribution: Some("1.00".into()),
                profile: Some(vec![]),
                ..CorePartner::default()
            }],
            schemes: vec![CoreScheme { name: Some("n".into()), ..CoreScheme::default() }],
            risk_share: CoreRiskShare { overspend: rule.clone(), underspend: rule },
            reserve_account: Some("R".into()),
            ..CoreAgreement::default()
        };
        let written = json(&input);
        assert_eq!(keys(&written), properties::<AgreementInput>());
        assert_eq!(keys(&written["partners"][0]), properties::<PartnerInput>());
        assert_eq!(keys(&written["schemes"][0]), properties::<SchemeInput>());
        assert_eq!(keys(&written["risk_share"]), properties::<RiskShareInput>());
        assert_eq!(keys(&written["risk_share"]["overspend"]), properties::<RuleInput>());

        let summary = onebudget_store::PoolSummary {
            pool: "BCF".into(),
            name: "n".into(),
            kind: CorePoolKind::Pooled,
            year: "2025/26".into(),
            year_start: 2025,
            host: "COUNCIL".into(),
            partners: vec![],
            budget: Money::ZERO,
            versions: 1,
            closed_through: None,
        };
        assert_eq!(keys(&json(&summary)), properties::<PoolSummary>());
        let version = onebudget_store::AgreementVersion {
            pool: "BCF".into(),
            year: 2025,
            version: 1,
            effective_from: chrono::NaiveDate::from_ymd_opt(2025, 4, 1).expect("a date"),
            kind: "pooled".into(),
            document: String::new(),
            recorded_by: "u".into(),
            recorded_at: "t".into(),
        };
        assert_eq!(keys(&json(&version)), properties::<AgreementVersion>());
        let kinds = CorePoolKind::ALL.iter().map(|k| k.as_str().to_owned()).collect();
        assert_eq!(enum_values::<PoolKind>(), kinds);
    }

    /// Golden case 02's joint package, decided by core, recorded as a store version.
    fn joint_budget() -> (onebudget_store::NeedsAssessmentRecord, onebudget_store::BudgetVersion) {
        use onebudget_core::budget::config::Scheme;
        use onebudget_core::budget::needs;
        use onebudget_core::budget::plan::{
            self, ComponentInput as CoreComponent, DeliveryMode as CoreMode, LineInput as CoreLine,
            OverrideInput as CoreOverride, PlanInput as CorePlan, SplitInput as CoreSplit, Status,
        };
        let scheme = Scheme::ashby_vale().expect("the demo scheme");
        let questionnaire = scheme.questionnaire("2024.1").expect("a questionnaire");
        let mut answers: needs::Answers = questionnaire
            .domains
            .iter()
            .map(|d| (d.code.clone(), d.levels[0].code.clone()))
            .collect();
        for (domain, level) in [
            ("personal_care", "needs_substantial_help"),
            ("mobility", "needs_help"),
            ("home", "needs_help"),
            ("health_clinical", "high"),
            ("mental_health", "moderate"),
        ] {
            answers.insert(domain.into(), level.into());
        }
        let scores = needs::score(questionnaire, &answers).expect("scored");
        let eligibility = needs::eligibility(&scheme, &scores);
        let date = chrono::NaiveDate::from_ymd_opt(2024, 10, 1).expect("a date");
        let line = |what: &str, category: &str, pence: i64| CoreLine {
            what: what.into(),
            outcome: "an outcome".into(),
            category: category.into(),
            provider: Some("PROVIDER".into()),
            weekly_cost: Money::from_pence(pence),
            streams: vec![],
            override_: None,
        };
        let mut lines = vec![
            line("Personal assistant", "personal_care", 20_000),
            line("Cleaner", "domestic", 6_000),
            line("Physiotherapy", "therapy", 5_000),
        ];
        lines[2].override_ = Some(CoreOverride {
            split: vec![CoreSplit { stream: "PHB".into(), amount: Money::from_pence(5_000) }],
            reason: "therapy is the NHS's".into(),
        });
        let plan = CorePlan {
            components: vec![
                CoreComponent {
                    stream: "PHB".into(),
                    agreed: None,
                    reason: Some("r".into()),
                    mode: CoreMode::DirectPayment,
                    provider: None,
                },
                CoreComponent {
                    stream: "ASC".into(),
                    agreed: None,
                    reason: None,
                    mode: CoreMode::DirectPayment,
                    provider: None,
                },
            ],
            lines,
        };
        let decision =
            plan::decide(&scheme, &scores, date, &plan, Money::from_pence(3_000)).expect("decided");
        let needs = onebudget_store::NeedsAssessmentRecord {
            id: 1,
            person_code: "P1".into(),
            scheme: scheme.code.clone(),
            questionnaire: "2024.1".into(),
            assessed_on: date,
            answers,
            scores,
            eligibility,
            recorded_by: "pat".into(),
            recorded_at: "t".into(),
        };
        let version = onebudget_store::BudgetVersion {
            id: 1,
            person_code: "P1".into(),
            version: 1,
            status: Status::Active,
            effective_from: date,
            needs_assessment_id: Some(1),
            financial_assessment_id: Some(1),
            plan,
            decision,
            reason: "agreed".into(),
            recorded_by: "pat".into(),
            recorded_at: "t".into(),
        };
        (needs, version)
    }

    #[test]
    fn budget_mirrors_name_exactly_the_fields_core_and_store_write() {
        let (needs, version) = joint_budget();
        let written = json(&needs);
        assert_eq!(keys(&written), properties::<NeedsAssessmentRecord>());
        assert_eq!(keys(&written["scores"]), properties::<NeedsScores>());
        assert_eq!(keys(&written["scores"]["domains"][0]), properties::<DomainScore>());
        assert_eq!(keys(&written["eligibility"][0]), properties::<EligibilityDecision>());

        let written = json(&version);
        assert_eq!(keys(&written), properties::<BudgetVersion>());
        assert_eq!(keys(&written["plan"]), properties::<PlanInput>());
        assert_eq!(keys(&written["plan"]["components"][0]), properties::<ComponentInput>());
        assert_eq!(keys(&written["plan"]["lines"][2]), properties::<LineInput>());
        assert_eq!(keys(&written["plan"]["lines"][2]["override"]), properties::<OverrideInput>());
        assert_eq!(
            keys(&written["plan"]["lines"][2]["override"]["split"][0]),
            properties::<SplitInput>()
        );
        let decision = &written["decision"];
        assert_eq!(keys(decision), properties::<BudgetDecision>());
        assert_eq!(keys(&decision["components"][0]), properties::<BudgetComponent>());
        assert_eq!(keys(&decision["components"][0]["indicative"]), properties::<Indicative>());
        assert_eq!(keys(&decision["lines"][0]), properties::<PlanLine>());
        assert_eq!(keys(&decision["lines"][0]["funded"][0]), properties::<PlanFunding>());

        let change = onebudget_store::BudgetChange {
            effective_from: version.effective_from,
            status: version.status,
            needs_assessment: Some(1),
            plan: version.plan.clone(),
            reason: "r".into(),
        };
        assert_eq!(keys(&json(&change)), properties::<BudgetChange>());

        let date = version.effective_from;
        let review = onebudget_store::DpReview {
            id: 1,
            person_code: "P1".into(),
            budget_version: 1,
            stream: "PHB".into(),
            raised_on: date,
            balance: Money::ZERO,
            weekly: Money::ZERO,
            weeks: 2,
            threshold: Money::ZERO,
            proposed_recovery: Money::ZERO,
            raised_by: "f".into(),
            raised_at: "t".into(),
            decision: Some("recovered".into()),
            decided_amount: Some(Money::ZERO),
            decided_by: Some("f".into()),
            note: Some("n".into()),
        };
        assert_eq!(keys(&json(&review)), properties::<DpReview>());

        let component = &version.decision.components[0];
        let stream = onebudget_store::StreamStatement {
            stream: "PHB".into(),
            name: "n".into(),
            funder: "ICB".into(),
            charging: component.charging,
            mode: component.mode,
            weekly_agreed: Money::ZERO,
            weekly_you_pay: Money::ZERO,
            paid_in: Money::ZERO,
            paid_to_you: Money::ZERO,
            spent_by_you: Money::ZERO,
            paid_to_providers: Money::ZERO,
            returned: Money::ZERO,
            held_by_funder: Money::ZERO,
            held_by_you: Money::ZERO,
        };
        let entry = onebudget_store::StatementEntry {
            date,
            stream: "PHB".into(),
            kind: "spent".into(),
            words: "w".into(),
            money_in: Money::ZERO,
            money_out: Money::ZERO,
        };
        let statement = onebudget_store::PersonStatement {
            person_code: "P1".into(),
            from: Some(date),
            to: None,
            budget: Some(version.clone()),
            streams: vec![stream],
            entries: vec![entry],
            summary: vec![],
        };
        let written = json(&statement);
        assert_eq!(keys(&written), properties::<PersonStatement>());
        assert_eq!(keys(&written["streams"][0]), properties::<StreamStatement>());
        assert_eq!(keys(&written["entries"][0]), properties::<StatementEntry>());

        let funder = onebudget_store::FunderStatement {
            stream: "PHB".into(),
            name: "n".into(),
            funder: "ICB".into(),
            charging: component.charging,
            budgets: 1,
            weekly_agreed: Money::ZERO,
            weekly_funder_pays: Money::ZERO,
            weekly_people_pay: Money::ZERO,
            by_mode: Default::default(),
            paid_in: Money::ZERO,
            spent: Money::ZERO,
            returned: Money::ZERO,
        };
        assert_eq!(keys(&json(&funder)), properties::<FunderStatement>());
    }

    #[test]
    fn budget_mirror_enums_list_every_value_core_writes() {
        use onebudget_core::budget::config::{Band, Charging};
        use onebudget_core::budget::plan::{DeliveryMode as Mode, Status};
        use onebudget_core::budget::ras::Clamp;
        fn text<T: serde::Serialize>(value: T) -> String {
            json(&value).as_str().unwrap_or_default().to_owned()
        }
        // Exhaustive matches: a new value fails to compile here until it is mirrored.
        let band = |b: Band| match b {
            Band::None
            | Band::Low
            | Band::Moderate
            | Band::High
            | Band::Severe
            | Band::Priority => text(b),
        };
        let bands =
            [Band::None, Band::Low, Band::Moderate, Band::High, Band::Severe, Band::Priority];
        assert_eq!(enum_values::<NeedBand>(), bands.into_iter().map(band).collect());
        let mode = |m: Mode| match m {
            Mode::DirectPayment | Mode::IndividualServiceFund | Mode::Managed | Mode::Notional => {
                text(m)
            }
        };
        let modes =
            [Mode::DirectPayment, Mode::IndividualServiceFund, Mode::Managed, Mode::Notional];
        assert_eq!(enum_values::<DeliveryMode>(), modes.into_iter().map(mode).collect());
        let status = |s: Status| match s {
            Status::Draft
            | Status::Agreed
            | Status::Active
            | Status::UnderReview
            | Status::Ended => text(s),
        };
        let statuses =
            [Status::Draft, Status::Agreed, Status::Active, Status::UnderReview, Status::Ended];
        assert_eq!(enum_values::<BudgetStatus>(), statuses.into_iter().map(status).collect());
        let charging = |c: Charging| match c {
            Charging::Free | Charging::Grant | Charging::MeansTested => text(c),
        };
        let chargings = [Charging::Free, Charging::Grant, Charging::MeansTested];
        assert_eq!(enum_values::<BudgetCharging>(), chargings.into_iter().map(charging).collect());
        let clamp = |c: Clamp| match c {
            Clamp::None | Clamp::Floor | Clamp::Ceiling => text(c),
        };
        let clamps = [Clamp::None, Clamp::Floor, Clamp::Ceiling];
        assert_eq!(enum_values::<RasClamp>(), clamps.into_iter().map(clamp).collect());
    }
}
