//! Integrated personal budgets in the database: needs assessments, budget versions,
//! the money that moves for them, direct-payment reviews, and the statements. Each
//! operation is a query here plus a decision in `onebudget_core::budget`.
//!
//! A person's money lives in the ledger: one personal-budget account per stream
//! (`{person}-{stream}`, holding only that stream) and, for direct payments, one
//! direct-payment account (`{person}-DP`, which holds each stream's money apart). Reasons
//! name what each transfer is: `allocation` (funder to budget), `direct_payment` (budget
//! to the person's account), `spend` (what the person bought, with its receipt),
//! `provider_payment` (an invoice paid from an ISF, managed or notional budget) and
//! `recovery` (unspent direct payment returned to the funder).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use onebudget_core::budget::BudgetError;
use onebudget_core::budget::config::{Charging, Scheme};
use onebudget_core::budget::needs::{self, Answers, Decision, Scores};
use onebudget_core::budget::plan::{self, BudgetDecision, DeliveryMode, PlanInput, Status};
use onebudget_core::ledger::{
    AccountCode, AccountInput, FieldError, IdempotencyKey, OpenRecord, OpenRecordInput, OwnerInput,
    Transfer, TransferInput,
};
use onebudget_core::money::Money;
use serde::Serialize;

use crate::access::collect;
use crate::backend::{Conn, Row, Value};
use crate::ledger::{OpenError, PostError};
use crate::{PostedTransfer, Store, StoreError, now_utc};

/// Why a budget operation was not done. Nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum BudgetStoreError {
    #[error(transparent)]
    Budget(#[from] BudgetError),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Post(#[from] PostError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<FieldError> for BudgetStoreError {
    fn from(error: FieldError) -> BudgetStoreError {
        BudgetStoreError::Budget(BudgetError::Field(error))
    }
}

impl From<onebudget_core::money::MoneyError> for BudgetStoreError {
    fn from(error: onebudget_core::money::MoneyError) -> BudgetStoreError {
        BudgetStoreError::Budget(BudgetError::Money(error))
    }
}

impl From<OpenError> for BudgetStoreError {
    fn from(error: OpenError) -> BudgetStoreError {
        match error {
            OpenError::Store(e) => BudgetStoreError::Store(e),
            other => BudgetStoreError::Refused(other.to_string()),
        }
    }
}

fn refused(message: impl Into<String>) -> BudgetStoreError {
    BudgetStoreError::Refused(message.into())
}

fn field(name: &str, value: &str, problem: impl Into<String>) -> BudgetStoreError {
    BudgetStoreError::from(FieldError::new(name, value, problem))
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("a stored {what} is unreadable: {e}"))
}

fn to_json<T: Serialize>(what: &str, value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value)
        .map_err(|e| StoreError::Corrupt(format!("a {what} cannot be written: {e}")))
}

/// A recorded needs assessment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NeedsAssessmentRecord {
    pub id: i64,
    pub person_code: String,
    pub scheme: String,
    pub questionnaire: String,
    pub assessed_on: NaiveDate,
    pub answers: Answers,
    pub scores: Scores,
    pub eligibility: Vec<Decision>,
    pub recorded_by: String,
    pub recorded_at: String,
}

/// A change to a person's budget: the next version.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BudgetChange {
    pub effective_from: NaiveDate,
    pub status: Status,
    /// The needs assessment to use; the person's latest when absent.
    #[serde(default)]
    pub needs_assessment: Option<i64>,
    #[serde(default)]
    pub plan: PlanInput,
    /// Why this version was made (agreed at panel, review after a hospital stay, …).
    pub reason: String,
}

/// A budget brought from another system (see [`Store::import_budget`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BudgetImport {
    pub person: String,
    pub effective_from: NaiveDate,
    pub status: Status,
    pub components: Vec<plan::ImportedComponent>,
    /// Where it came from, for the record ("the council's case-management system").
    pub source: String,
}

/// One version of a person's budget.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BudgetVersion {
    pub id: i64,
    pub person_code: String,
    pub version: i64,
    pub status: Status,
    pub effective_from: NaiveDate,
    pub needs_assessment_id: Option<i64>,
    pub financial_assessment_id: Option<i64>,
    pub plan: PlanInput,
    pub decision: BudgetDecision,
    pub reason: String,
    pub recorded_by: String,
    pub recorded_at: String,
}

impl BudgetVersion {
    /// Whether money moves for this version.
    pub fn is_live(&self) -> bool {
        matches!(self.status, Status::Active | Status::UnderReview)
    }
}

/// A person's budget as their record, their home page and the caseload show it: the
/// version in force on the day shown, with each component (who funds it, how it is held,
/// what is agreed and what the funder pays). It is read from the same budget version the
/// budget page, the API and the statement read, never from anywhere else.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BudgetSummary {
    pub version: i64,
    pub status: Status,
    pub effective_from: NaiveDate,
    /// The sum of the components' agreed amounts.
    pub weekly_budget: Money,
    /// What the person pays each week towards the means-tested components.
    pub weekly_contribution: Money,
    pub components: Vec<plan::Component>,
}

impl BudgetSummary {
    /// The summary of a version already read.
    pub fn of(version: &BudgetVersion) -> BudgetSummary {
        BudgetSummary {
            version: version.version,
            status: version.status,
            effective_from: version.effective_from,
            weekly_budget: version.decision.budget,
            weekly_contribution: version.decision.weekly_contribution,
            components: version.decision.components.clone(),
        }
    }

    /// Whether money moves for this version (active or under review).
    pub fn is_live(&self) -> bool {
        matches!(self.status, Status::Active | Status::UnderReview)
    }
}

/// One row of a team's caseload: the person and the budget in force on the day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CaseloadRow {
    pub person: crate::PersonRecord,
    pub budget: Option<BudgetSummary>,
    /// When a live budget is due for review (see `onebudget_core::budget::review`); `None`
    /// for no budget, or one not active or under review on the day.
    pub review_due: Option<NaiveDate>,
}

/// Only the components of a stored decision: a summary need not read the steps and the
/// plan's lines into memory.
#[derive(serde::Deserialize)]
struct ComponentsOnly {
    components: Vec<plan::Component>,
}

/// The budget version in force on the day `$1` for the person `p.code`, as a join: the
/// highest version whose effective date is on or before the day (versions never go back
/// in date, so it is also the latest in force). Served by
/// `budget_versions_by_person_date`. The day is the query's first parameter, and appears
/// before any other: SQLite numbers parameters in the order they appear.
pub(crate) const IN_FORCE_JOIN: &str = "LEFT JOIN budget_versions v ON v.person_code = p.code \
     AND v.version = (SELECT MAX(w.version) FROM budget_versions w \
                      WHERE w.person_code = p.code AND w.effective_from <= $1)";

/// The summary's columns from the join's `v`, in the order [`summary_from`] reads them.
pub(crate) const SUMMARY_COLUMNS: &str = "v.version, v.status, v.effective_from, \
     v.weekly_budget_pence, v.weekly_contribution_pence, v.decision_json";

/// The summary in the [`SUMMARY_COLUMNS`] starting at column `at`; `None` when the person
/// had no version on the day.
pub(crate) fn summary_from(row: &dyn Row, at: usize) -> Result<Option<BudgetSummary>, StoreError> {
    let Some(version) = row.opt_int(at)? else { return Ok(None) };
    let decision: ComponentsOnly =
        serde_json::from_str(&row.text(at + 5)?).map_err(|e| corrupt("budget version", e))?;
    Ok(Some(BudgetSummary {
        version,
        status: Status::parse(&row.text(at + 1)?).map_err(|e| corrupt("budget version", e))?,
        effective_from: row.date(at + 2)?,
        weekly_budget: Money::from_pence(row.int(at + 3)?),
        weekly_contribution: Money::from_pence(row.int(at + 4)?),
        components: decision.components,
    }))
}

/// A direct-payment balance above the threshold, and what was decided.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DpReview {
    pub id: i64,
    pub person_code: String,
    pub budget_version: i64,
    pub stream: String,
    pub raised_on: NaiveDate,
    pub balance: Money,
    pub weekly: Money,
    pub weeks: i64,
    pub threshold: Money,
    pub proposed_recovery: Money,
    pub raised_by: String,
    pub raised_at: String,
    /// `recovered` or `dismissed`, once a finance officer has decided.
    pub decision: Option<String>,
    pub decided_amount: Option<Money>,
    pub decided_by: Option<String>,
    pub note: Option<String>,
}

/// One stream's part of a person's statement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StreamStatement {
    pub stream: String,
    pub name: String,
    pub funder: String,
    pub charging: Charging,
    pub mode: DeliveryMode,
    pub weekly_agreed: Money,
    pub weekly_you_pay: Money,
    pub paid_in: Money,
    pub paid_to_you: Money,
    pub spent_by_you: Money,
    pub paid_to_providers: Money,
    pub returned: Money,
    /// Held in the budget account for this stream, and in the direct-payment account.
    pub held_by_funder: Money,
    pub held_by_you: Money,
}

/// One line of a person's statement, in plain English.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StatementEntry {
    pub date: NaiveDate,
    pub stream: String,
    /// What the line is, from the person's side: `paid_in` (a funder paid into their
    /// budget), `paid_to_you` (a direct payment to them), `spent` (they spent it),
    /// `paid_to_provider` or `returned` (unspent money returned to the funder).
    pub kind: String,
    pub words: String,
    pub money_in: Money,
    pub money_out: Money,
}

/// A person's one statement across every stream.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PersonStatement {
    pub person_code: String,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub budget: Option<BudgetVersion>,
    pub streams: Vec<StreamStatement>,
    pub entries: Vec<StatementEntry>,
    pub summary: Vec<String>,
}

/// One funder's share of everyone's budgets.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FunderStatement {
    pub stream: String,
    pub name: String,
    pub funder: String,
    pub charging: Charging,
    pub budgets: i64,
    pub weekly_agreed: Money,
    pub weekly_funder_pays: Money,
    pub weekly_people_pay: Money,
    pub by_mode: BTreeMap<String, Money>,
    pub paid_in: Money,
    pub spent: Money,
    pub returned: Money,
}

/// The ledger account holding a person's budget in one stream.
pub fn budget_account(person: &str, stream: &str) -> String {
    format!("{person}-{stream}")
}

/// The ledger account a person's direct payments are paid into.
pub fn direct_payment_account(person: &str) -> String {
    format!("{person}-DP")
}

/// The transfers that pay `live` (the versions in force on `from`, as
/// [`Store::live_budgets`] reads them) for `weeks` weeks from `from`: what
/// [`Store::budget_payments`] does, for a caller that has read the versions already.
pub fn budget_payments_for(
    scheme: &Scheme,
    live: &[BudgetVersion],
    from: NaiveDate,
    weeks: u32,
) -> Result<Vec<Transfer>, BudgetStoreError> {
    if weeks == 0 || weeks > 13 {
        return Err(field(
            "weeks",
            &weeks.to_string(),
            "pay 1 to 13 weeks at a time (4 is the usual schedule)",
        ));
    }
    let mut transfers = Vec::new();
    for v in live.iter().filter(|v| v.is_live() && v.effective_from <= from) {
        let person = v.person_code.as_str();
        for c in &v.decision.components {
            let amount = c.funder_pays.checked_mul(i64::from(weeks))?;
            if !amount.is_positive() {
                continue;
            }
            let Some(stream) = scheme.stream(&c.stream) else {
                return Err(refused(format!(
                    "{person}'s budget names stream {}, which the scheme no longer has",
                    c.stream
                )));
            };
            let account = budget_account(person, &c.stream);
            let key = format!("budget/{person}/{from}/{}", c.stream);
            transfers.push(transfer(
                format!("{key}/allocation"),
                &stream.funding_account,
                &account,
                amount,
                &c.stream,
                from,
                "allocation",
                format!(
                    "{weeks} week{} of {} from {from} (budget version {})",
                    if weeks == 1 { "" } else { "s" },
                    stream.name,
                    v.version
                ),
            )?);
            if c.mode == DeliveryMode::DirectPayment {
                transfers.push(transfer(
                    format!("{key}/direct_payment"),
                    &account,
                    &direct_payment_account(person),
                    amount,
                    &c.stream,
                    from,
                    "direct_payment",
                    format!(
                        "Direct payment: {weeks} week{} from {from}",
                        if weeks == 1 { "" } else { "s" }
                    ),
                )?);
            }
        }
    }
    Ok(transfers)
}

/// Record version `version + 1` of `person`'s budget: version `version` unchanged (the
/// same plan, decision and figures, so the same payments) but under review from `on`. A
/// version made meanwhile makes version + 1 exist already: the unique (person, version)
/// then refuses this, and nothing of the transaction is kept.
fn insert_review_version(
    conn: &mut dyn Conn,
    person: &str,
    version: i64,
    on: NaiveDate,
    reason: &str,
    recorded_by: &str,
    now: &str,
) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO budget_versions (person_code, version, status, \
         effective_from, needs_assessment_id, financial_assessment_id, \
         weekly_budget_pence, weekly_contribution_pence, plan_json, \
         decision_json, reason, recorded_by, recorded_at) \
         SELECT person_code, version + 1, 'under_review', $1, \
         needs_assessment_id, financial_assessment_id, weekly_budget_pence, \
         weekly_contribution_pence, plan_json, decision_json, $2, $3, $4 \
         FROM budget_versions WHERE person_code = $5 AND version = $6",
        &[
            Value::Date(on),
            Value::Text(reason),
            Value::Text(recorded_by),
            Value::Text(now),
            Value::Text(person),
            Value::Int(version),
        ],
    )?;
    conn.execute(
        "INSERT INTO budget_components (person_code, version, position, stream, mode, \
         agreed_pence) SELECT person_code, version + 1, position, stream, mode, agreed_pence \
         FROM budget_components WHERE person_code = $1 AND version = $2",
        &[Value::Text(person), Value::Int(version)],
    )?;
    Ok(())
}

/// How many component rows one `INSERT` carries (six parameters each).
const COMPONENT_ROWS_PER_INSERT: usize = 80;

/// Write the `budget_components` rows of versions just inserted: for each
/// `(person, version, components)`, one row per component in the decision's order. Called
/// in the transaction that inserts the versions, so a version never lacks its rows.
pub(crate) fn insert_components(
    conn: &mut dyn Conn,
    versions: &[(&str, i64, &[plan::Component])],
) -> Result<(), StoreError> {
    let mut rows: Vec<(&str, i64, i64, &plan::Component)> = Vec::new();
    for (person, version, components) in versions {
        for (position, component) in components.iter().enumerate() {
            let position = i64::try_from(position)
                .map_err(|_| StoreError::Corrupt("a budget with too many components".into()))?;
            rows.push((person, *version, position, component));
        }
    }
    for chunk in rows.chunks(COMPONENT_ROWS_PER_INSERT) {
        let mut sql = String::from(
            "INSERT INTO budget_components (person_code, version, position, stream, mode, \
             agreed_pence) VALUES ",
        );
        let mut params = Vec::with_capacity(chunk.len() * 6);
        for (n, (person, version, position, component)) in chunk.iter().enumerate() {
            if n > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            sql.push_str(&crate::backend::placeholders(n * 6 + 1, 6));
            sql.push(')');
            params.extend([
                Value::Text(person),
                Value::Int(*version),
                Value::Int(*position),
                Value::Text(&component.stream),
                Value::Text(component.mode.as_str()),
                Value::Int(component.agreed.pence()),
            ]);
        }
        conn.execute(&sql, &params)?;
    }
    Ok(())
}

/// Migration 0009's step: the component rows of every version recorded before it, read
/// from each version's stored decision.
pub(crate) fn components_of_existing_versions(conn: &mut dyn Conn) -> Result<(), StoreError> {
    let mut versions: Vec<(String, i64, Vec<plan::Component>)> = Vec::new();
    conn.query_each(
        "SELECT person_code, version, decision_json FROM budget_versions ORDER BY id",
        &[],
        &mut |row| {
            let decision: ComponentsOnly =
                serde_json::from_str(&row.text(2)?).map_err(|e| corrupt("budget version", e))?;
            versions.push((row.text(0)?, row.int(1)?, decision.components));
            Ok(())
        },
    )?;
    let borrowed: Vec<(&str, i64, &[plan::Component])> =
        versions.iter().map(|(p, v, c)| (p.as_str(), *v, c.as_slice())).collect();
    insert_components(conn, &borrowed)
}

/// How many imported versions one `INSERT` carries (eleven parameters each).
const IMPORT_ROWS_PER_INSERT: usize = 64;

/// The accounts a budget holds its money in: one per component's stream, and a
/// direct-payment account if any component is paid that way.
fn budget_account_inputs(person: &str, decision: &BudgetDecision) -> Vec<OpenRecordInput> {
    let mut inputs: Vec<OpenRecordInput> = decision
        .components
        .iter()
        .map(|c| {
            OpenRecordInput::Account(AccountInput {
                code: budget_account(person, &c.stream),
                name: Some(format!("Personal budget ({})", c.stream)),
                kind: "personal_budget".into(),
                owner: OwnerInput { organisation: None, person: Some(person.to_owned()) },
                stream: Some(c.stream.clone()),
                may_go_negative: false,
            })
        })
        .collect();
    if decision.components.iter().any(|c| c.mode == DeliveryMode::DirectPayment) {
        inputs.push(OpenRecordInput::Account(AccountInput {
            code: direct_payment_account(person),
            name: Some("Direct payment account".into()),
            kind: "direct_payment".into(),
            owner: OwnerInput { organisation: None, person: Some(person.to_owned()) },
            stream: None,
            may_go_negative: false,
        }));
    }
    inputs
}

fn read_needs(r: &dyn Row) -> Result<NeedsAssessmentRecord, StoreError> {
    Ok(NeedsAssessmentRecord {
        id: r.int(0)?,
        person_code: r.text(1)?,
        scheme: r.text(2)?,
        questionnaire: r.text(3)?,
        assessed_on: r.date(4)?,
        answers: serde_json::from_str(&r.text(5)?).map_err(|e| corrupt("needs assessment", e))?,
        scores: serde_json::from_str(&r.text(6)?).map_err(|e| corrupt("needs assessment", e))?,
        eligibility: serde_json::from_str(&r.text(7)?)
            .map_err(|e| corrupt("needs assessment", e))?,
        recorded_by: r.text(8)?,
        recorded_at: r.text(9)?,
    })
}

const NEEDS_COLUMNS: &str = "id, person_code, scheme, questionnaire, assessed_on, answers_json, \
     scores_json, eligibility_json, recorded_by, recorded_at";

const VERSION_COLUMNS: &str = "id, person_code, version, status, effective_from, \
     needs_assessment_id, financial_assessment_id, plan_json, decision_json, reason, \
     recorded_by, recorded_at";

fn read_version(r: &dyn Row) -> Result<BudgetVersion, StoreError> {
    Ok(BudgetVersion {
        id: r.int(0)?,
        person_code: r.text(1)?,
        version: r.int(2)?,
        status: Status::parse(&r.text(3)?).map_err(|e| corrupt("budget version", e))?,
        effective_from: r.date(4)?,
        needs_assessment_id: r.opt_int(5)?,
        financial_assessment_id: r.opt_int(6)?,
        plan: serde_json::from_str(&r.text(7)?).map_err(|e| corrupt("budget version", e))?,
        decision: serde_json::from_str(&r.text(8)?).map_err(|e| corrupt("budget version", e))?,
        reason: r.text(9)?,
        recorded_by: r.text(10)?,
        recorded_at: r.text(11)?,
    })
}

const REVIEW_QUERY: &str = "SELECT r.id, r.person_code, r.budget_version, r.stream, r.raised_on, \
     r.balance_pence, r.weekly_pence, r.weeks, r.threshold_pence, r.proposed_recovery_pence, \
     r.raised_by, r.raised_at, d.decision, d.amount_pence, d.decided_by, d.note \
     FROM dp_reviews r LEFT JOIN dp_review_decisions d ON d.review_id = r.id";

fn read_review(r: &dyn Row) -> Result<DpReview, StoreError> {
    Ok(DpReview {
        id: r.int(0)?,
        person_code: r.text(1)?,
        budget_version: r.int(2)?,
        stream: r.text(3)?,
        raised_on: r.date(4)?,
        balance: Money::from_pence(r.int(5)?),
        weekly: Money::from_pence(r.int(6)?),
        weeks: r.int(7)?,
        threshold: Money::from_pence(r.int(8)?),
        proposed_recovery: Money::from_pence(r.int(9)?),
        raised_by: r.text(10)?,
        raised_at: r.text(11)?,
        decision: r.opt_text(12)?,
        decided_amount: r.opt_int(13)?.map(Money::from_pence),
        decided_by: r.opt_text(14)?,
        note: r.opt_text(15)?,
    })
}

/// The balance of one (account, stream), zero when the pair has never moved.
fn balance_in(conn: &mut dyn Conn, account: &str, stream: &str) -> Result<Money, StoreError> {
    Ok(Money::from_pence(
        conn.query_int(
            "SELECT b.balance_pence FROM balances b JOIN accounts a ON a.id = b.account_id \
             JOIN funding_streams s ON s.id = b.stream_id WHERE a.code = $1 AND s.code = $2",
            &[Value::Text(account), Value::Text(stream)],
        )?
        .unwrap_or(0),
    ))
}

#[allow(clippy::too_many_arguments)]
fn transfer(
    key: String,
    from: &str,
    to: &str,
    amount: Money,
    stream: &str,
    date: NaiveDate,
    reason: &str,
    memo: String,
) -> Result<Transfer, BudgetStoreError> {
    Ok(Transfer::try_from(&TransferInput {
        idempotency_key: key,
        from: from.to_owned(),
        to: to.to_owned(),
        amount: amount.to_plain_string(),
        stream: stream.to_owned(),
        effective_date: date.to_string(),
        reason: reason.to_owned(),
        memo,
        reverses: None,
    })?)
}

impl Store {
    fn require_person(&self, person: &str) -> Result<(), BudgetStoreError> {
        if self.person(person)?.is_none() {
            return Err(BudgetStoreError::NotFound(format!("no person has the code {person}")));
        }
        Ok(())
    }

    /// Record a needs assessment: the answers are scored by the questionnaire named (or
    /// the one in force on `assessed_on`), and each stream's eligibility decided.
    pub fn record_needs_assessment(
        &self,
        scheme: &Scheme,
        person: &str,
        assessed_on: NaiveDate,
        questionnaire: Option<&str>,
        answers: &Answers,
        recorded_by: &str,
    ) -> Result<NeedsAssessmentRecord, BudgetStoreError> {
        self.require_person(person)?;
        let q = match questionnaire {
            Some(version) => {
                let q = scheme.questionnaire(version)?;
                if q.effective_from > assessed_on {
                    return Err(field(
                        "questionnaire",
                        version,
                        format!(
                            "this version applies from {}; an assessment on {assessed_on} uses \
                             an earlier one",
                            q.effective_from
                        ),
                    ));
                }
                q
            }
            None => scheme.questionnaire_on(assessed_on)?,
        };
        let scores = needs::score(q, answers)?;
        let eligibility = needs::eligibility(scheme, &scores);
        let answers_json = to_json("needs assessment", answers)?;
        let scores_json = to_json("needs assessment", &scores)?;
        let eligibility_json = to_json("needs assessment", &eligibility)?;
        let now = now_utc();
        let id = self.write(|conn| {
            conn.execute(
                "INSERT INTO needs_assessments (person_code, scheme, questionnaire, assessed_on, \
                 answers_json, scores_json, eligibility_json, recorded_by, recorded_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                &[
                    Value::Text(person),
                    Value::Text(&scheme.code),
                    Value::Text(&q.version),
                    Value::Date(assessed_on),
                    Value::Text(&answers_json),
                    Value::Text(&scores_json),
                    Value::Text(&eligibility_json),
                    Value::Text(recorded_by),
                    Value::Text(&now),
                ],
            )?;
            conn.query_int(
                "SELECT MAX(id) FROM needs_assessments WHERE person_code = $1",
                &[Value::Text(person)],
            )?
            .ok_or_else(|| StoreError::Corrupt("a needs assessment just recorded is gone".into()))
        })?;
        Ok(NeedsAssessmentRecord {
            id,
            person_code: person.to_owned(),
            scheme: scheme.code.clone(),
            questionnaire: q.version.clone(),
            assessed_on,
            answers: answers.clone(),
            scores,
            eligibility,
            recorded_by: recorded_by.to_owned(),
            recorded_at: now,
        })
    }

    /// A person's needs assessments, newest first.
    pub fn needs_assessments(
        &self,
        person: &str,
    ) -> Result<Vec<NeedsAssessmentRecord>, StoreError> {
        self.read(|conn| {
            collect(
                conn,
                &format!(
                    "SELECT {NEEDS_COLUMNS} FROM needs_assessments WHERE person_code = $1 \
                     ORDER BY id DESC"
                ),
                &[Value::Text(person)],
                read_needs,
            )
        })
    }

    /// Every version of a person's budget, oldest first.
    pub fn budget_versions(&self, person: &str) -> Result<Vec<BudgetVersion>, StoreError> {
        self.read(|conn| {
            collect(
                conn,
                &format!(
                    "SELECT {VERSION_COLUMNS} FROM budget_versions WHERE person_code = $1 \
                     ORDER BY version"
                ),
                &[Value::Text(person)],
                read_version,
            )
        })
    }

    /// The person's budget as it stands on `date`: the latest version in force then.
    pub fn budget_on(
        &self,
        person: &str,
        date: NaiveDate,
    ) -> Result<Option<BudgetVersion>, StoreError> {
        Ok(self.budget_versions(person)?.into_iter().rev().find(|v| v.effective_from <= date))
    }

    /// The latest version of every person's budget that is active or under review on
    /// `date`, by person.
    pub fn live_budgets(&self, date: NaiveDate) -> Result<Vec<BudgetVersion>, StoreError> {
        // Only each person's latest version in force, so a payment run reads (and parses)
        // one version per person, however long the history.
        self.read(|conn| {
            collect(
                conn,
                &format!(
                    "SELECT {VERSION_COLUMNS} FROM budget_versions v \
                     WHERE v.effective_from <= $1 AND v.status IN ('active', 'under_review') \
                     AND v.version = (SELECT MAX(w.version) FROM budget_versions w \
                                      WHERE w.person_code = v.person_code AND w.effective_from <= $2) \
                     ORDER BY v.person_code"
                ),
                &[Value::Date(date), Value::Date(date)],
                read_version,
            )
        })
    }

    /// The person's budget in force on `on`, summarised (see [`BudgetSummary`]).
    pub fn budget_summary_on(
        &self,
        person: &str,
        on: NaiveDate,
    ) -> Result<Option<BudgetSummary>, StoreError> {
        let sql =
            format!("SELECT {SUMMARY_COLUMNS} FROM people p {IN_FORCE_JOIN} WHERE p.code = $2");
        self.read(|conn| {
            let mut found = None;
            conn.query_each(&sql, &[Value::Date(on), Value::Text(person)], &mut |row| {
                found = summary_from(row, 0)?;
                Ok(())
            })?;
            Ok(found)
        })
    }

    /// One team's caseload, by family name: each person with the budget in force on `on`,
    /// in one query (every row of [`Store::caseload_page`] for the team).
    pub fn caseload(&self, team: &str, on: NaiveDate) -> Result<Vec<CaseloadRow>, StoreError> {
        let query = crate::CaseloadQuery {
            team: Some(team.to_owned()),
            limit: i64::MAX.unsigned_abs(),
            ..crate::CaseloadQuery::default()
        };
        Ok(self.caseload_page(&query, on)?.rows)
    }

    /// Record the next version of a person's budget. The decision is computed here from
    /// the needs assessment and the financial assessment in force on `effective_from`
    /// (the person's latest with an earlier or equal date, so a move between nations
    /// applies from the reassessment's date). A version that makes the budget active opens
    /// the person's ledger accounts.
    pub fn record_budget(
        &self,
        scheme: &Scheme,
        person: &str,
        change: &BudgetChange,
        recorded_by: &str,
    ) -> Result<BudgetVersion, BudgetStoreError> {
        self.require_person(person)?;
        if change.reason.trim().is_empty() {
            return Err(field("reason", "", "say why this version is made"));
        }
        let versions = self.budget_versions(person)?;
        let previous = versions.last();
        let from = previous.map_or(Status::Draft, |p| p.status);
        if let Some(p) = previous {
            if !from.may_become(change.status) {
                return Err(field(
                    "status",
                    change.status.as_str(),
                    format!(
                        "version {} is {}; from there a budget may become {}",
                        p.version,
                        from.as_str(),
                        [
                            Status::Draft,
                            Status::Agreed,
                            Status::Active,
                            Status::UnderReview,
                            Status::Ended
                        ]
                        .into_iter()
                        .filter(|s| from.may_become(*s))
                        .map(Status::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                    ),
                ));
            }
            if change.effective_from < p.effective_from {
                return Err(field(
                    "effective_from",
                    &change.effective_from.to_string(),
                    format!(
                        "version {} applies from {}; a new version applies from then or later",
                        p.version, p.effective_from
                    ),
                ));
            }
        } else if !matches!(change.status, Status::Draft | Status::Agreed) {
            return Err(field(
                "status",
                change.status.as_str(),
                "a new budget starts as draft or agreed",
            ));
        }
        let assessments = self.needs_assessments(person)?;
        let needs = match change.needs_assessment {
            Some(id) => assessments.iter().find(|a| a.id == id).ok_or_else(|| {
                field("needs_assessment", &id.to_string(), "not one of this person's assessments")
            })?,
            None => assessments.first().ok_or_else(|| {
                refused(format!("{person} has no needs assessment; record one before the budget"))
            })?,
        };
        if needs.scheme != scheme.code {
            return Err(refused(format!(
                "assessment {} was made under scheme {}, not {}",
                needs.id, needs.scheme, scheme.code
            )));
        }
        let financial = self
            .assessments_for(person)?
            .into_iter()
            .filter(|a| a.effective_date <= change.effective_from)
            .max_by_key(|a| (a.effective_date, a.id));
        let charge = Money::from_pence(financial.as_ref().map_or(0, |a| a.weekly_charge_pence));
        let mut decision =
            plan::decide(scheme, &needs.scores, change.effective_from, &change.plan, charge)?;
        decision.steps.insert(
            0,
            match &financial {
                Some(a) => format!(
                    "Financial assessment {} ({}, from {}): weekly charge {charge}",
                    a.id, a.nation, a.effective_date
                ),
                None => "No financial assessment is recorded: no contribution is taken until \
                         one is"
                    .to_owned(),
            },
        );
        decision.steps.insert(0, format!("Needs assessment {} of {}", needs.id, needs.assessed_on));
        let live = matches!(change.status, Status::Active | Status::UnderReview);
        if live {
            self.open_budget_accounts(scheme, person, &decision)?;
        }
        let plan_json = to_json("budget plan", &change.plan)?;
        let decision_json = to_json("budget decision", &decision)?;
        let now = now_utc();
        let expected_version = previous.map_or(1, |p| p.version + 1);
        let reason = change.reason.trim().to_owned();
        let id = self.write(|conn| {
            // Two practitioners saving at once: the unique (person, version) refuses the
            // second, which then sees the first's version and must look again.
            let latest = conn
                .query_int(
                    "SELECT COALESCE(MAX(version), 0) FROM budget_versions WHERE person_code = $1",
                    &[Value::Text(person)],
                )?
                .unwrap_or(0);
            if latest + 1 != expected_version {
                return Err(refused(format!(
                    "{person}'s budget changed while this version was prepared (it is now at \
                     version {latest}); read it again"
                )));
            }
            conn.execute(
                "INSERT INTO budget_versions (person_code, version, status, effective_from, \
                 needs_assessment_id, financial_assessment_id, weekly_budget_pence, \
                 weekly_contribution_pence, plan_json, decision_json, reason, recorded_by, \
                 recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                &[
                    Value::Text(person),
                    Value::Int(expected_version),
                    Value::Text(change.status.as_str()),
                    Value::Date(change.effective_from),
                    Value::OptInt(Some(needs.id)),
                    Value::OptInt(financial.as_ref().map(|a| a.id)),
                    Value::Int(decision.budget.pence()),
                    Value::Int(decision.weekly_contribution.pence()),
                    Value::Text(&plan_json),
                    Value::Text(&decision_json),
                    Value::Text(&reason),
                    Value::Text(recorded_by),
                    Value::Text(&now),
                ],
            )?;
            insert_components(conn, &[(person, expected_version, &decision.components)])?;
            Ok::<_, BudgetStoreError>(
                conn.query_int(
                    "SELECT id FROM budget_versions WHERE person_code = $1 AND version = $2",
                    &[Value::Text(person), Value::Int(expected_version)],
                )?
                .unwrap_or(0),
            )
        })?;
        Ok(BudgetVersion {
            id,
            person_code: person.to_owned(),
            version: expected_version,
            status: change.status,
            effective_from: change.effective_from,
            needs_assessment_id: Some(needs.id),
            financial_assessment_id: financial.map(|a| a.id),
            plan: change.plan.clone(),
            decision,
            reason,
            recorded_by: recorded_by.to_owned(),
            recorded_at: now,
        })
    }

    /// Start a review of the person's active budget from `on`: the next version is the
    /// same budget (the same figures, so the same payments) under review, until the
    /// practitioner records the reviewed one. Refused unless the latest version is active
    /// and `on` is no earlier than it.
    pub fn review_budget(
        &self,
        person: &str,
        on: NaiveDate,
        reason: &str,
        recorded_by: &str,
    ) -> Result<BudgetVersion, BudgetStoreError> {
        self.require_person(person)?;
        if reason.trim().is_empty() {
            return Err(field("reason", "", "say why the budget is reviewed"));
        }
        let versions = self.budget_versions(person)?;
        let Some(latest) = versions.last() else {
            return Err(refused(format!("{person} has no budget to review")));
        };
        if latest.status != Status::Active {
            return Err(field(
                "status",
                latest.status.as_str(),
                format!(
                    "version {} is not active; only an active budget is reviewed",
                    latest.version
                ),
            ));
        }
        if on < latest.effective_from {
            return Err(field(
                "effective_from",
                &on.to_string(),
                format!(
                    "version {} applies from {}; a review starts then or later",
                    latest.version, latest.effective_from
                ),
            ));
        }
        let now = now_utc();
        self.write(|conn| {
            insert_review_version(
                conn,
                person,
                latest.version,
                on,
                reason.trim(),
                recorded_by,
                &now,
            )
        })?;
        self.budget_versions(person)?
            .pop()
            .ok_or_else(|| StoreError::Corrupt("a review just recorded is gone".into()).into())
    }

    /// Bring a budget from another system: the first version of the person's budget,
    /// agreed or active, carried at the agreed amounts with no needs assessment or plan
    /// yet (see `budget::plan::imported`). Refused for a person who already has a budget.
    pub fn import_budget(
        &self,
        scheme: &Scheme,
        import: &BudgetImport,
        recorded_by: &str,
    ) -> Result<BudgetVersion, BudgetStoreError> {
        self.import_budgets(scheme, std::slice::from_ref(import), recorded_by)?
            .pop()
            .ok_or_else(|| StoreError::Corrupt("an imported budget was not recorded".into()).into())
    }

    /// [`Store::import_budget`] for many people at once, all or nothing: every import is
    /// checked first (a person named twice is refused), their accounts are opened in one
    /// batch and the versions written in one transaction. This is how a council's whole
    /// caseload (or the demo's) is brought in without a transaction per person.
    pub fn import_budgets(
        &self,
        scheme: &Scheme,
        imports: &[BudgetImport],
        recorded_by: &str,
    ) -> Result<Vec<BudgetVersion>, BudgetStoreError> {
        let checked = self.check_imports(scheme, imports)?;
        let mut inputs = Vec::new();
        for (import, (decision, _)) in imports.iter().zip(&checked) {
            if matches!(import.status, Status::Active) {
                inputs.extend(budget_account_inputs(&import.person, decision));
            }
        }
        if !inputs.is_empty() {
            let records: Vec<OpenRecord> =
                inputs.iter().map(OpenRecord::try_from).collect::<Result<_, _>>()?;
            self.open_records(&records)?;
        }
        let plan_json = to_json("budget plan", &PlanInput::default())?;
        let now = now_utc();
        // (import, decision, financial assessment, decision JSON, reason)
        let mut rows = Vec::with_capacity(imports.len());
        for (import, (decision, financial)) in imports.iter().zip(checked) {
            let decision_json = to_json("budget decision", &decision)?;
            let reason = format!("imported from {}", import.source);
            rows.push((import, decision, financial, decision_json, reason));
        }
        let ids = self.write(|conn| {
            for chunk in rows.chunks(IMPORT_ROWS_PER_INSERT) {
                let mut sql = String::from(
                    "INSERT INTO budget_versions (person_code, version, status, effective_from, \
                     needs_assessment_id, financial_assessment_id, weekly_budget_pence, \
                     weekly_contribution_pence, plan_json, decision_json, reason, recorded_by, \
                     recorded_at) VALUES ",
                );
                let mut params = Vec::with_capacity(chunk.len() * 11);
                for (n, (import, decision, financial, decision_json, reason)) in
                    chunk.iter().enumerate()
                {
                    if n > 0 {
                        sql.push_str(", ");
                    }
                    let at = n * 11;
                    sql.push('(');
                    for column in 1..=11 {
                        if column > 1 {
                            sql.push_str(", ");
                        }
                        sql.push_str(&format!("${}", at + column));
                        // The version is always 1 and there is no needs assessment.
                        if column == 1 {
                            sql.push_str(", 1");
                        } else if column == 3 {
                            sql.push_str(", NULL");
                        }
                    }
                    sql.push(')');
                    params.extend([
                        Value::Text(&import.person),
                        Value::Text(import.status.as_str()),
                        Value::Date(import.effective_from),
                        Value::OptInt(*financial),
                        Value::Int(decision.budget.pence()),
                        Value::Int(decision.weekly_contribution.pence()),
                        Value::Text(&plan_json),
                        Value::Text(decision_json),
                        Value::Text(reason),
                        Value::Text(recorded_by),
                        Value::Text(&now),
                    ]);
                }
                match conn.execute(&sql, &params) {
                    Err(StoreError::UniqueViolation(_)) => {
                        // Someone recorded a first version for one of these people since
                        // they were checked: nothing of this import is kept.
                        return Err(refused(
                            "a budget was recorded meanwhile for one of these people; \
                             check the import again"
                                .to_owned(),
                        ));
                    }
                    other => {
                        other?;
                    }
                }
                let components: Vec<(&str, i64, &[plan::Component])> = chunk
                    .iter()
                    .map(|(import, decision, ..)| {
                        (import.person.as_str(), 1, decision.components.as_slice())
                    })
                    .collect();
                insert_components(conn, &components)?;
            }
            let mut ids = std::collections::HashMap::new();
            conn.query_each(
                "SELECT person_code, id FROM budget_versions WHERE version = 1",
                &[],
                &mut |row| {
                    ids.insert(row.text(0)?, row.int(1)?);
                    Ok(())
                },
            )?;
            Ok::<_, BudgetStoreError>(ids)
        })?;
        Ok(rows
            .into_iter()
            .map(|(import, decision, financial, _, reason)| BudgetVersion {
                id: ids.get(&import.person).copied().unwrap_or(0),
                person_code: import.person.clone(),
                version: 1,
                status: import.status,
                effective_from: import.effective_from,
                needs_assessment_id: None,
                financial_assessment_id: financial,
                plan: PlanInput::default(),
                decision,
                reason,
                recorded_by: recorded_by.to_owned(),
                recorded_at: now.clone(),
            })
            .collect())
    }

    /// Everything [`Store::import_budget`] checks, without writing: so a whole file of
    /// budgets can be checked before any of it is imported.
    pub fn check_import(
        &self,
        scheme: &Scheme,
        import: &BudgetImport,
    ) -> Result<(BudgetDecision, Option<i64>), BudgetStoreError> {
        self.check_imports(scheme, std::slice::from_ref(import))?
            .pop()
            .ok_or_else(|| StoreError::Corrupt("an import was not checked".into()).into())
    }

    /// [`Store::check_import`] for many imports, reading what the checks need once: each
    /// import's decision and the financial assessment it applies, in order.
    fn check_imports(
        &self,
        scheme: &Scheme,
        imports: &[BudgetImport],
    ) -> Result<Vec<(BudgetDecision, Option<i64>)>, BudgetStoreError> {
        let wanted: std::collections::HashSet<&str> =
            imports.iter().map(|i| i.person.as_str()).collect();
        // The people named, those of them who already have a budget, and their financial
        // assessments as (id, effective date, weekly charge), in one snapshot.
        let (known, budgeted, assessments) = self.read(|conn| {
            let mut known = std::collections::HashSet::new();
            conn.query_each("SELECT code FROM people", &[], &mut |row| {
                let code = row.text(0)?;
                if wanted.contains(code.as_str()) {
                    known.insert(code);
                }
                Ok(())
            })?;
            let mut budgeted = std::collections::HashSet::new();
            conn.query_each("SELECT DISTINCT person_code FROM budget_versions", &[], &mut |row| {
                budgeted.insert(row.text(0)?);
                Ok(())
            })?;
            let mut assessments: std::collections::HashMap<String, Vec<(i64, NaiveDate, i64)>> =
                std::collections::HashMap::new();
            conn.query_each(
                "SELECT person_code, id, effective_date, weekly_charge_pence \
                 FROM financial_assessments",
                &[],
                &mut |row| {
                    let person = row.text(0)?;
                    if wanted.contains(person.as_str()) {
                        assessments.entry(person).or_default().push((
                            row.int(1)?,
                            row.date(2)?,
                            row.int(3)?,
                        ));
                    }
                    Ok(())
                },
            )?;
            Ok::<_, StoreError>((known, budgeted, assessments))
        })?;
        let mut open_funding = std::collections::HashMap::new();
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::with_capacity(imports.len());
        for import in imports {
            let (person, effective_from, status, components, source) = (
                import.person.as_str(),
                import.effective_from,
                import.status,
                import.components.as_slice(),
                import.source.as_str(),
            );
            if !known.contains(person) {
                return Err(BudgetStoreError::NotFound(format!("no person has the code {person}")));
            }
            if !matches!(status, Status::Agreed | Status::Active) {
                return Err(field(
                    "status",
                    status.as_str(),
                    "an imported budget is agreed or active",
                ));
            }
            if budgeted.contains(person) || !seen.insert(person) {
                return Err(refused(format!(
                    "{person} already has a budget in onebudget; change it by review, not import"
                )));
            }
            let financial = assessments
                .get(person)
                .into_iter()
                .flatten()
                .filter(|(_, date, _)| *date <= effective_from)
                .max_by_key(|(id, date, _)| (*date, *id));
            let charge = Money::from_pence(financial.map_or(0, |(_, _, charge)| *charge));
            let decision = plan::imported(scheme, effective_from, components, charge, source)?;
            if matches!(status, Status::Active) {
                for c in &decision.components {
                    let Some(stream) = scheme.stream(&c.stream) else { continue };
                    let open = match open_funding.get(&stream.funding_account) {
                        Some(open) => *open,
                        None => {
                            let code =
                                AccountCode::parse("funding_account", &stream.funding_account)?;
                            let open = self.account(&code)?.is_some();
                            open_funding.insert(stream.funding_account.clone(), open);
                            open
                        }
                    };
                    if !open {
                        return Err(refused(format!(
                            "stream {} pays from account {}, which is not open; open it first",
                            stream.code, stream.funding_account
                        )));
                    }
                }
            }
            out.push((decision, financial.map(|(id, _, _)| *id)));
        }
        Ok(out)
    }

    /// Open the person's budget accounts for every component (and a direct-payment
    /// account if any component is paid that way). Opening an account that is already
    /// open with the same details does nothing.
    fn open_budget_accounts(
        &self,
        scheme: &Scheme,
        person: &str,
        decision: &BudgetDecision,
    ) -> Result<(), BudgetStoreError> {
        for c in &decision.components {
            let Some(stream) = scheme.stream(&c.stream) else { continue };
            if self
                .account(&AccountCode::parse("funding_account", &stream.funding_account)?)?
                .is_none()
            {
                return Err(refused(format!(
                    "stream {} pays from account {}, which is not open; open it first \
                     (onebudget ledger open)",
                    stream.code, stream.funding_account
                )));
            }
        }
        let records: Vec<OpenRecord> = budget_account_inputs(person, decision)
            .iter()
            .map(OpenRecord::try_from)
            .collect::<Result<_, _>>()?;
        self.open_records(&records)?;
        Ok(())
    }

    /// The transfers that pay every live budget for `weeks` weeks from `from`: each
    /// component's funder share from the stream's funding account into the person's
    /// budget account, and, for direct payments, on into the person's direct-payment
    /// account. Keys name the person, version, date and stream, so paying a period twice
    /// records it once.
    pub fn budget_payments(
        &self,
        scheme: &Scheme,
        from: NaiveDate,
        weeks: u32,
    ) -> Result<Vec<Transfer>, BudgetStoreError> {
        budget_payments_for(scheme, &self.live_budgets(from)?, from, weeks)
    }

    /// The person (or their representative) records what they bought with their direct
    /// payment, against a plan line, with its receipt. The amount is split across the
    /// direct-payment streams that fund the line, in proportion to what each funds.
    #[allow(clippy::too_many_arguments)]
    pub fn record_spending(
        &self,
        person: &str,
        line: usize,
        amount: Money,
        date: NaiveDate,
        receipt: &str,
        key: &str,
        spend_account: &str,
    ) -> Result<Vec<PostedTransfer>, BudgetStoreError> {
        let v = self
            .budget_on(person, date)?
            .filter(BudgetVersion::is_live)
            .ok_or_else(|| refused(format!("{person} has no active budget on {date}")))?;
        if !amount.is_positive() {
            return Err(field("amount", &amount.to_plain_string(), "spending is more than zero"));
        }
        if receipt.trim().is_empty() {
            return Err(field(
                "receipt",
                "",
                "give the receipt's reference (invoice number, payslip or till receipt)",
            ));
        }
        let Some(l) = v.decision.lines.iter().find(|l| l.number == line) else {
            return Err(field(
                "line",
                &line.to_string(),
                format!("the plan has lines 1 to {}", v.decision.lines.len()),
            ));
        };
        let dp: Vec<(&str, i64)> = l
            .funded
            .iter()
            .filter(|f| {
                v.decision
                    .components
                    .iter()
                    .any(|c| c.stream == f.stream && c.mode == DeliveryMode::DirectPayment)
            })
            .map(|f| (f.stream.as_str(), f.amount.pence()))
            .collect();
        if dp.is_empty() {
            return Err(field(
                "line",
                &line.to_string(),
                "this line is not paid by direct payment: its provider invoices the budget",
            ));
        }
        let weights: Vec<i64> = dp.iter().map(|(_, w)| *w).collect();
        let parts = onebudget_core::pool::apportion(amount, &weights)
            .map_err(|_| refused("the line's funding cannot be split"))?;
        let mut batch = Vec::new();
        for ((stream, _), part) in dp.iter().zip(parts) {
            if part.is_positive() {
                batch.push(transfer(
                    format!("{key}/{stream}"),
                    &direct_payment_account(person),
                    spend_account,
                    part,
                    stream,
                    date,
                    "spend",
                    format!("line {line}: {}; receipt {}", l.what, receipt.trim()),
                )?);
            }
        }
        Ok(self.post(&batch)?)
    }

    /// A provider's invoice paid from an Individual Service Fund, a managed or a notional
    /// budget: [`Store::provider_invoice_transfer`], posted.
    #[allow(clippy::too_many_arguments)]
    pub fn pay_provider_invoice(
        &self,
        person: &str,
        stream: &str,
        provider: &str,
        amount: Money,
        date: NaiveDate,
        invoice: &str,
        key: &str,
    ) -> Result<Vec<PostedTransfer>, BudgetStoreError> {
        let batch = vec![
            self.provider_invoice_transfer(person, stream, provider, amount, date, invoice, key)?,
        ];
        Ok(self.post(&batch)?)
    }

    /// The transfer that would pay a provider's invoice from a person's budget, every rule
    /// checked, the balance as it is now included (posting checks it again): what a page
    /// shows to be checked before [`Store::pay_provider_invoice`] posts it. Nothing is
    /// written.
    #[allow(clippy::too_many_arguments)]
    pub fn provider_invoice_transfer(
        &self,
        person: &str,
        stream: &str,
        provider: &str,
        amount: Money,
        date: NaiveDate,
        invoice: &str,
        key: &str,
    ) -> Result<Transfer, BudgetStoreError> {
        let v = self
            .budget_on(person, date)?
            .filter(BudgetVersion::is_live)
            .ok_or_else(|| refused(format!("{person} has no active budget on {date}")))?;
        let Some(c) = v.decision.components.iter().find(|c| c.stream == stream) else {
            return Err(field("stream", stream, "the budget has no component in this stream"));
        };
        if c.mode == DeliveryMode::DirectPayment {
            return Err(field(
                "stream",
                stream,
                "this component is a direct payment: the person pays providers themselves",
            ));
        }
        if let Some(p) = &c.provider
            && p != provider
        {
            return Err(field(
                "provider",
                provider,
                format!("this component is held by {p}; only its invoices are paid from it"),
            ));
        }
        if invoice.trim().is_empty() {
            return Err(field("invoice", "", "give the invoice's number"));
        }
        // Only a provider's account may be paid an invoice: never a person's budget, an
        // organisation's funding account or an expenditure account.
        match self.account(&AccountCode::parse("provider", provider)?)? {
            Some(account) if account.kind().as_str() == "provider" => {}
            Some(_) => {
                return Err(field(
                    "provider",
                    provider,
                    "this is not a provider's account; an invoice is paid to the provider",
                ));
            }
            None => return Err(field("provider", provider, "no such account")),
        }
        if !amount.is_positive() {
            return Err(field("amount", &amount.to_plain_string(), "an invoice is more than zero"));
        }
        let account = budget_account(person, stream);
        let balance = self.read(|conn| balance_in(conn, &account, stream))?;
        // The same invoice sent again (its key recorded) is paid once, whatever is left.
        let paid_already = match IdempotencyKey::parse("key", key) {
            Ok(k) => self.transfer(&k)?.is_some(),
            Err(_) => false,
        };
        if amount > balance && !paid_already {
            return Err(field(
                "amount",
                &amount.to_plain_string(),
                format!("this is more than the {balance} the budget holds in this stream now"),
            ));
        }
        transfer(
            key.to_owned(),
            &account,
            provider,
            amount,
            stream,
            date,
            "provider_payment",
            format!("Invoice {}", invoice.trim()),
        )
    }

    /// Look at every live direct payment on `on`: where a stream's balance in the
    /// person's account is above `weeks` weeks of that stream's weekly payment, raise a
    /// review proposing to recover the excess, and put the budget under review. A stream
    /// with a review still undecided is not raised again.
    pub fn monitor_direct_payments(
        &self,
        on: NaiveDate,
        weeks: u32,
        raised_by: &str,
    ) -> Result<Vec<DpReview>, BudgetStoreError> {
        if weeks == 0 || weeks > 52 {
            return Err(field("weeks", &weeks.to_string(), "a threshold of 1 to 52 weeks"));
        }
        let live = self.live_budgets(on)?;
        let now = now_utc();
        let mut raised = Vec::new();
        for v in &live {
            let person = v.person_code.as_str();
            let dp_components: Vec<_> = v
                .decision
                .components
                .iter()
                .filter(|c| c.mode == DeliveryMode::DirectPayment && c.funder_pays.is_positive())
                .collect();
            if dp_components.is_empty() {
                continue;
            }
            let account = direct_payment_account(person);
            let open = self.dp_reviews_for(person)?;
            // (stream, balance, weekly, threshold, proposed) for each stream above it.
            let mut found = Vec::new();
            for c in dp_components {
                if open.iter().any(|r| r.stream == c.stream && r.decision.is_none()) {
                    continue;
                }
                let balance = self.read(|conn| balance_in(conn, &account, &c.stream))?;
                let threshold = c.funder_pays.checked_mul(i64::from(weeks))?;
                if balance > threshold {
                    let proposed = balance.checked_sub(threshold)?;
                    found.push((c.stream.clone(), balance, c.funder_pays, threshold, proposed));
                }
            }
            if found.is_empty() {
                continue;
            }
            // The person's reviews and their budget going under review are one change.
            let ids = self.write(|conn| {
                let mut ids = Vec::new();
                for (stream, balance, weekly, threshold, proposed) in &found {
                    conn.execute(
                        "INSERT INTO dp_reviews (person_code, budget_version, stream, raised_on, \
                         balance_pence, weekly_pence, weeks, threshold_pence, \
                         proposed_recovery_pence, raised_by, raised_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                        &[
                            Value::Text(person),
                            Value::Int(v.version),
                            Value::Text(stream),
                            Value::Date(on),
                            Value::Int(balance.pence()),
                            Value::Int(weekly.pence()),
                            Value::Int(i64::from(weeks)),
                            Value::Int(threshold.pence()),
                            Value::Int(proposed.pence()),
                            Value::Text(raised_by),
                            Value::Text(&now),
                        ],
                    )?;
                    ids.push(conn.query_int("SELECT MAX(id) FROM dp_reviews", &[])?.unwrap_or(0));
                }
                if v.status == Status::Active {
                    insert_review_version(
                        conn,
                        person,
                        v.version,
                        on.max(v.effective_from),
                        &format!("direct payment balance above {weeks} weeks of budget"),
                        raised_by,
                        &now,
                    )?;
                }
                Ok::<_, StoreError>(ids)
            })?;
            for (id, (stream, balance, weekly, threshold, proposed)) in ids.into_iter().zip(found) {
                raised.push(DpReview {
                    id,
                    person_code: person.to_owned(),
                    budget_version: v.version,
                    stream,
                    raised_on: on,
                    balance,
                    weekly,
                    weeks: i64::from(weeks),
                    threshold,
                    proposed_recovery: proposed,
                    raised_by: raised_by.to_owned(),
                    raised_at: now.clone(),
                    decision: None,
                    decided_amount: None,
                    decided_by: None,
                    note: None,
                });
            }
        }
        Ok(raised)
    }

    fn dp_reviews_for(&self, person: &str) -> Result<Vec<DpReview>, StoreError> {
        self.read(|conn| {
            collect(
                conn,
                &format!("{REVIEW_QUERY} WHERE r.person_code = $1 ORDER BY r.id"),
                &[Value::Text(person)],
                read_review,
            )
        })
    }

    /// Direct-payment reviews, newest first; only undecided ones when `open_only`.
    pub fn dp_reviews(&self, open_only: bool) -> Result<Vec<DpReview>, StoreError> {
        let filter = if open_only { " WHERE d.id IS NULL" } else { "" };
        self.read(|conn| {
            collect(conn, &format!("{REVIEW_QUERY}{filter} ORDER BY r.id DESC"), &[], read_review)
        })
    }

    pub fn dp_review(&self, id: i64) -> Result<Option<DpReview>, StoreError> {
        Ok(self
            .read(|conn| {
                collect(
                    conn,
                    &format!("{REVIEW_QUERY} WHERE r.id = $1"),
                    &[Value::Int(id)],
                    read_review,
                )
            })?
            .into_iter()
            .next())
    }

    /// A finance officer decides a review: recover (posts the proposed amount, or a
    /// smaller one, from the person's direct-payment account back to the funder) or
    /// dismiss with a note. A recovery larger than the balance now is refused.
    pub fn decide_dp_review(
        &self,
        scheme: &Scheme,
        id: i64,
        recover: Option<Money>,
        note: &str,
        decided_by: &str,
    ) -> Result<(DpReview, Vec<PostedTransfer>), BudgetStoreError> {
        let review = self
            .dp_review(id)?
            .ok_or_else(|| BudgetStoreError::NotFound(format!("no direct-payment review {id}")))?;
        if let Some(d) = &review.decision {
            return Err(refused(format!("review {id} is already decided: {d}")));
        }
        if note.trim().is_empty() {
            return Err(field("note", "", "say why (what the person and the practitioner agreed)"));
        }
        let account = direct_payment_account(&review.person_code);
        let mut posted = Vec::new();
        let (decision, amount) = match recover {
            Some(amount) => {
                if !amount.is_positive() || amount > review.proposed_recovery {
                    return Err(field(
                        "amount",
                        &amount.to_plain_string(),
                        format!(
                            "recover more than zero and no more than the {} proposed",
                            review.proposed_recovery
                        ),
                    ));
                }
                let balance = self.read(|conn| balance_in(conn, &account, &review.stream))?;
                if amount > balance {
                    return Err(field(
                        "amount",
                        &amount.to_plain_string(),
                        format!(
                            "the {} balance of the direct-payment account is now {balance}; a \
                             recovery cannot be larger than the balance",
                            review.stream
                        ),
                    ));
                }
                let Some(stream) = scheme.stream(&review.stream) else {
                    return Err(refused(format!("the scheme has no stream {}", review.stream)));
                };
                let batch = vec![transfer(
                    format!("dp-review/{id}/recovery"),
                    &account,
                    &stream.funding_account,
                    amount,
                    &review.stream,
                    review.raised_on,
                    "recovery",
                    format!("Unspent direct payment recovered (review {id}): {}", note.trim()),
                )?];
                posted = self.post(&batch)?;
                ("recovered", amount)
            }
            None => ("dismissed", Money::ZERO),
        };
        let now = now_utc();
        self.write(|conn| {
            conn.execute(
                "INSERT INTO dp_review_decisions (review_id, decision, amount_pence, note, \
                 decided_by, decided_at) VALUES ($1, $2, $3, $4, $5, $6)",
                &[
                    Value::Int(id),
                    Value::Text(decision),
                    Value::Int(amount.pence()),
                    Value::Text(note.trim()),
                    Value::Text(decided_by),
                    Value::Text(&now),
                ],
            )?;
            Ok::<_, StoreError>(())
        })?;
        let review = self
            .dp_review(id)?
            .ok_or_else(|| BudgetStoreError::NotFound(format!("no direct-payment review {id}")))?;
        Ok((review, posted))
    }

    /// The person's one statement: every stream of their budget, what came in, what was
    /// paid to them and spent, what providers were paid, what is held, in plain English.
    pub fn person_statement(
        &self,
        scheme: &Scheme,
        person: &str,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        on: NaiveDate,
    ) -> Result<PersonStatement, BudgetStoreError> {
        self.require_person(person)?;
        let versions = self.budget_versions(person)?;
        let budget = versions.iter().rev().find(|v| v.effective_from <= on).cloned();
        let mut streams = Vec::new();
        let mut entries = Vec::new();
        let dp_code = direct_payment_account(person);
        let dp_statement = match self.account(&AccountCode::parse("account", &dp_code)?)? {
            Some(_) => Some(self.statement(&AccountCode::parse("account", &dp_code)?, from, to)?),
            None => None,
        };
        // The budget's streams now, then any stream an earlier version held and this one
        // does not (its money is part of the person's history), at nothing a week.
        let mut components: Vec<plan::Component> =
            budget.as_ref().map(|b| b.decision.components.clone()).unwrap_or_default();
        for v in versions.iter().rev().filter(|v| v.effective_from <= on) {
            for c in &v.decision.components {
                if !components.iter().any(|k| k.stream == c.stream) {
                    let former = plan::Component {
                        agreed: Money::ZERO,
                        allocated: Money::ZERO,
                        person_pays: Money::ZERO,
                        funder_pays: Money::ZERO,
                        ..c.clone()
                    };
                    components.push(former);
                }
            }
        }
        // Funders by name: the statement is read by the person, who knows the council and
        // the NHS body, not their codes.
        let organisations = self.organisations()?;
        let funder_name = |code: &str| {
            organisations.iter().find(|o| o.code == code).map_or_else(
                // A funder the organisations do not name is still never shown by
                // its code.
                || match code {
                    "ICB" => "The NHS".to_owned(),
                    "COUNCIL" => "The council".to_owned(),
                    _ => "Your funder".to_owned(),
                },
                |o| o.name.clone(),
            )
        };
        for c in &components {
            let name = scheme.stream(&c.stream).map_or(c.stream.clone(), |s| s.name.clone());
            let funder = funder_name(&c.funder);
            let code = budget_account(person, &c.stream);
            let mut s = StreamStatement {
                stream: c.stream.clone(),
                name: name.clone(),
                funder: c.funder.clone(),
                charging: c.charging,
                mode: c.mode,
                weekly_agreed: c.agreed,
                weekly_you_pay: c.person_pays,
                paid_in: Money::ZERO,
                paid_to_you: Money::ZERO,
                spent_by_you: Money::ZERO,
                paid_to_providers: Money::ZERO,
                returned: Money::ZERO,
                held_by_funder: Money::ZERO,
                held_by_you: Money::ZERO,
            };
            if self.account(&AccountCode::parse("account", &code)?)?.is_some() {
                let st = self.statement(&AccountCode::parse("account", &code)?, from, to)?;
                for l in &st.lines {
                    let (kind, words, add): (&str, String, &mut Money) = match l.reason.as_str() {
                        "allocation" => (
                            "paid_in",
                            format!("{funder} paid {} into your {name} budget", l.money_in),
                            &mut s.paid_in,
                        ),
                        "direct_payment" => (
                            "paid_to_you",
                            format!("Paid to you as a direct payment of {}", l.money_out),
                            &mut s.paid_to_you,
                        ),
                        "provider_payment" | "invoice" => (
                            "paid_to_provider",
                            format!(
                                "Paid {} to {} for your support ({})",
                                l.money_out,
                                funder_name(&l.counterparty),
                                l.memo
                            ),
                            &mut s.paid_to_providers,
                        ),
                        _ => ("paid_to_provider", l.memo.clone(), &mut s.paid_to_providers),
                    };
                    let amount = if l.money_in.is_positive() { l.money_in } else { l.money_out };
                    *add = add.checked_add(amount)?;
                    entries.push(StatementEntry {
                        date: l.effective_date,
                        stream: c.stream.clone(),
                        kind: kind.to_owned(),
                        words,
                        money_in: l.money_in,
                        money_out: l.money_out,
                    });
                }
                s.held_by_funder = self.read(|conn| balance_in(conn, &code, &c.stream))?;
            }
            if let Some(dp) = &dp_statement {
                for l in dp.lines.iter().filter(|l| l.stream == c.stream) {
                    match l.reason.as_str() {
                        "spend" => {
                            s.spent_by_you = s.spent_by_you.checked_add(l.money_out)?;
                            entries.push(StatementEntry {
                                date: l.effective_date,
                                stream: c.stream.clone(),
                                kind: "spent".to_owned(),
                                words: format!("You spent {} ({})", l.money_out, l.memo),
                                money_in: Money::ZERO,
                                money_out: l.money_out,
                            });
                        }
                        "recovery" => {
                            s.returned = s.returned.checked_add(l.money_out)?;
                            entries.push(StatementEntry {
                                date: l.effective_date,
                                stream: c.stream.clone(),
                                kind: "returned".to_owned(),
                                words: format!(
                                    "Unspent direct payment of {} returned to {funder}",
                                    l.money_out
                                ),
                                money_in: Money::ZERO,
                                money_out: l.money_out,
                            });
                        }
                        _ => {}
                    }
                }
                s.held_by_you = self.read(|conn| balance_in(conn, &dp_code, &c.stream))?;
            }
            streams.push(s);
        }
        entries.sort_by_key(|e| e.date);
        let mut summary = Vec::new();
        if let Some(b) = &budget {
            summary.push(format!(
                "Your budget is {} a week, in {} part{}. It is {}.",
                b.decision.budget,
                b.decision.components.len(),
                if b.decision.components.len() == 1 { "" } else { "s" },
                b.status.as_str().replace('_', " ")
            ));
            summary.push(if b.decision.weekly_contribution.is_positive() {
                format!(
                    "You pay {} a week towards the council's part, as your financial \
                     assessment worked out. The NHS part is free.",
                    b.decision.weekly_contribution
                )
            } else {
                "You pay nothing towards this budget.".to_owned()
            });
            for s in &streams {
                let held = s.held_by_funder.checked_add(s.held_by_you)?;
                let component = b.decision.components.iter().find(|c| c.stream == s.stream);
                match component {
                    None => summary.push(format!(
                        "{}: no longer part of your budget; {} paid in while it was, {held} \
                         held for you.",
                        s.name, s.paid_in
                    )),
                    // Money follows the plan: a part the plan does not use all of is paid
                    // only for what the plan uses.
                    Some(c) if c.allocated < c.agreed => summary.push(format!(
                        "{}: {} a week, {}; your support plan uses {} a week of it, and only \
                         what the plan uses is paid; {} paid in so far, {held} held for you.",
                        s.name,
                        s.weekly_agreed,
                        s.mode.words(),
                        c.allocated,
                        s.paid_in
                    )),
                    Some(_) => summary.push(format!(
                        "{}: {} a week, {}; {} paid in so far, {held} held for you.",
                        s.name,
                        s.weekly_agreed,
                        s.mode.words(),
                        s.paid_in
                    )),
                }
            }
        } else {
            summary.push("You have no personal budget recorded yet.".to_owned());
        }
        Ok(PersonStatement {
            person_code: person.to_owned(),
            from,
            to,
            budget,
            streams,
            entries,
            summary,
        })
    }

    /// One funder's share of every live budget on `on`, and of the money moved in its
    /// stream to and from the accounts of people whose budgets onebudget holds, over the
    /// period: the same budgets, not money in accounts a council keeps outside them.
    pub fn funder_statement(
        &self,
        scheme: &Scheme,
        stream: &str,
        on: NaiveDate,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<FunderStatement, BudgetStoreError> {
        let Some(s) = scheme.stream(stream) else {
            return Err(field(
                "stream",
                stream,
                format!(
                    "not a stream of the scheme; its streams are {}",
                    scheme.streams.iter().map(|s| s.code.as_str()).collect::<Vec<_>>().join(", ")
                ),
            ));
        };
        let mut out = FunderStatement {
            stream: s.code.clone(),
            name: s.name.clone(),
            funder: s.funder.clone(),
            charging: s.charging,
            budgets: 0,
            weekly_agreed: Money::ZERO,
            weekly_funder_pays: Money::ZERO,
            weekly_people_pay: Money::ZERO,
            by_mode: BTreeMap::new(),
            paid_in: Money::ZERO,
            spent: Money::ZERO,
            returned: Money::ZERO,
        };
        for v in self.live_budgets(on)? {
            for c in v.decision.components.iter().filter(|c| c.stream == stream) {
                out.budgets += 1;
                out.weekly_agreed = out.weekly_agreed.checked_add(c.agreed)?;
                out.weekly_funder_pays = out.weekly_funder_pays.checked_add(c.funder_pays)?;
                out.weekly_people_pay = out.weekly_people_pay.checked_add(c.person_pays)?;
                let m = out.by_mode.entry(c.mode.as_str().to_owned()).or_insert(Money::ZERO);
                *m = m.checked_add(c.agreed)?;
            }
        }
        let sums = self.read(|conn| {
            collect(
                conn,
                "SELECT t.reason, CAST(SUM(t.amount_pence) AS BIGINT) FROM transfers t \
                 JOIN funding_streams s ON s.id = t.stream_id \
                 JOIN accounts fa ON fa.id = t.from_account_id \
                 JOIN accounts ta ON ta.id = t.to_account_id \
                 WHERE s.code = $1 AND t.effective_date >= $2 AND t.effective_date <= $3 \
                 AND ((fa.owner_kind = 'person' AND fa.owner_id IN (SELECT person_code FROM budget_versions)) \
                   OR (ta.owner_kind = 'person' AND ta.owner_id IN (SELECT person_code FROM budget_versions))) \
                 GROUP BY t.reason",
                &[Value::Text(stream), Value::Date(from), Value::Date(to)],
                |r| Ok((r.text(0)?, r.int(1)?)),
            )
        })?;
        for (reason, pence) in sums {
            let m = Money::from_pence(pence);
            match reason.as_str() {
                "allocation" => out.paid_in = out.paid_in.checked_add(m)?,
                "spend" | "provider_payment" => out.spent = out.spent.checked_add(m)?,
                "recovery" => out.returned = out.returned.checked_add(m)?,
                _ => {}
            }
        }
        Ok(out)
    }
}
