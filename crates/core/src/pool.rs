//! Pooled and aligned funds: the agreement between partners as data, the money it moves,
//! monitoring against it, and the year-end risk-share settlement.
//!
//! A pool (NHS Act 2006 s.75, the Better Care Fund) is agreed for one financial year
//! between partners: an ICB, a council, sometimes others. [`Agreement`] is that agreement
//! once parsed and checked ([`AgreementInput`] is the raw JSON): who hosts it, what each
//! partner contributes and when, the schemes the money pays for with each scheme's budget
//! and funding split, and the risk-share rule for an overspend and an underspend. A
//! variation is a new version of the agreement that applies from its date.
//!
//! **How the money moves, and why each pound stays traceable.** Each scheme spends
//! through a ledger account of its own. A partner's contribution goes from the partner's
//! account into the scheme accounts, in the partner's own funding stream, so the ledger
//! never mixes whose money is whose. A payment from a scheme is split across the
//! partners' streams by the scheme's funding split ([`Agreement::split_payment`]). So every
//! pound spent from the pool names the stream, and so the partner, that paid it: the
//! attribution is the agreement's rule, and the ledger records it.
//!
//! `monitoring` turns a year's ledger flows into budget, actual, commitments, forecast and
//! variance by month, scheme and partner. `settlement` works out the year-end risk share
//! and the balancing transfers, with every step explained. [`apportion`] is the one rule
//! for splitting an amount into parts that add up to it exactly.
//!
//! Everything here is pure: the store reads the flows and records the results.

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::field::{FieldError, parse_date};
use crate::ledger::{AccountCode, OrganisationCode, StreamCode};
use crate::money::{Money, MoneyError, Ratio, Rounding, round_div};

pub mod figures;
pub mod monitoring;
pub mod settlement;
#[cfg(test)]
mod tests;

/// Months in a financial year (April to March).
pub const MONTHS: usize = 12;

/// A pool's code, e.g. `BCF`: the same letters, digits and `-_./` as an account code.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct PoolCode(String);

impl PoolCode {
    pub fn parse(field: &str, value: &str) -> Result<PoolCode, FieldError> {
        AccountCode::parse(field, value).map(|code| PoolCode(code.as_str().to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PoolCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A scheme's code within its pool, e.g. `REABLEMENT`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct SchemeCode(String);

impl SchemeCode {
    pub fn parse(field: &str, value: &str) -> Result<SchemeCode, FieldError> {
        AccountCode::parse(field, value).map(|code| SchemeCode(code.as_str().to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SchemeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A financial year, named by the calendar year it starts in: `2025` is 1 April 2025 to
/// 31 March 2026. Months are numbered 1 (April) to 12 (March).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct FinancialYear(i32);

impl FinancialYear {
    /// A year from 2000 to 2999 (room enough; it keeps every date in range).
    pub fn new(field: &str, year: i64) -> Result<FinancialYear, FieldError> {
        let value = year.to_string();
        let year =
            i32::try_from(year).map_err(|_| FieldError::new(field, &value, "out of range"))?;
        if !(2000..=2999).contains(&year) {
            return Err(FieldError::new(
                field,
                &value,
                "a financial year is named by the year it starts in, e.g. 2025 for April 2025 to March 2026",
            ));
        }
        Ok(FinancialYear(year))
    }
    pub fn parse(field: &str, value: &str) -> Result<FinancialYear, FieldError> {
        let trimmed = value.trim();
        // Accept "2025" and "2025/26" (the usual way of writing it).
        let start = match trimmed.split_once('/') {
            Some((start, end)) => {
                let expected = start.parse::<i64>().ok().map(|s| (s + 1) % 100);
                if end.parse::<i64>().ok() != expected || end.len() != 2 {
                    return Err(FieldError::new(
                        field,
                        value,
                        "write a financial year as 2025 or 2025/26",
                    ));
                }
                start
            }
            None => trimmed,
        };
        let year = start.parse::<i64>().map_err(|_| {
            FieldError::new(field, value, "write a financial year as 2025 or 2025/26")
        })?;
        FinancialYear::new(field, year)
    }
    /// The financial year holding `date`, if it is one this type names (2000 to 2999).
    pub fn containing(date: NaiveDate) -> Option<FinancialYear> {
        let start = if date.month() >= 4 { date.year() } else { date.year() - 1 };
        FinancialYear::new("date", i64::from(start)).ok()
    }
    /// The year before this one, if it is one this type names.
    pub fn previous(self) -> Option<FinancialYear> {
        FinancialYear::new("year", i64::from(self.0) - 1).ok()
    }
    pub fn start_year(self) -> i32 {
        self.0
    }
    /// 1 April of the year.
    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.0, 4, 1).unwrap_or(NaiveDate::MIN)
    }
    /// 1 April of the next year: the first day after this one (half-open `[first, end)`).
    pub fn end(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.0 + 1, 4, 1).unwrap_or(NaiveDate::MAX)
    }
    /// 31 March: the last day of the year.
    pub fn last_day(self) -> NaiveDate {
        self.end().pred_opt().unwrap_or(NaiveDate::MAX)
    }
    pub fn contains(self, date: NaiveDate) -> bool {
        self.first_day() <= date && date < self.end()
    }
    /// The first day of month `month` (1 = April … 12 = March).
    pub fn month_start(self, month: usize) -> NaiveDate {
        let offset = u32::try_from(month.saturating_sub(1)).unwrap_or(0);
        self.first_day().checked_add_months(Months::new(offset)).unwrap_or(NaiveDate::MAX)
    }
    /// The month (1 to 12) a date falls in, if it is in this year.
    pub fn month_of(self, date: NaiveDate) -> Option<usize> {
        if !self.contains(date) {
            return None;
        }
        let months = (date.year() - self.0) * 12 + i32::try_from(date.month()).unwrap_or(0) - 4;
        usize::try_from(months).ok().map(|m| m + 1)
    }
    /// `2025/26`.
    pub fn label(self) -> String {
        format!("{}/{:02}", self.0, (self.0 + 1) % 100)
    }
    /// A month as `2025-04`.
    pub fn month_label(self, month: usize) -> String {
        self.month_start(month).format("%Y-%m").to_string()
    }
    /// Parse a month written `YYYY-MM` that must fall in this year.
    pub fn parse_month(self, field: &str, value: &str) -> Result<usize, FieldError> {
        let date = parse_date(field, &format!("{}-01", value.trim()))
            .map_err(|_| FieldError::new(field, value, "write a month as YYYY-MM, e.g. 2025-04"))?;
        self.month_of(date).ok_or_else(|| {
            FieldError::new(
                field,
                value,
                format!(
                    "the month is not in the financial year {} (April {} to March {})",
                    self.label(),
                    self.0,
                    self.0 + 1
                ),
            )
        })
    }
}

impl fmt::Display for FinancialYear {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}

/// Split `total` into parts in proportion to `weights`, exactly: the parts always add up
/// to `total`, to the penny.
///
/// **The remainder rule**, stated once: each exact part `total × weight ÷ Σ weights` is
/// rounded toward zero (by `money::round_div`); the pennies still missing are then given
/// one each, in the direction of `total`'s sign, to the parts with the largest remainders
/// (by absolute value); equal remainders go to the part listed first. This is the
/// largest-remainder (Hamilton) method. Weights must be non-negative with a positive sum.
pub fn apportion(total: Money, weights: &[i64]) -> Result<Vec<Money>, PoolError> {
    let weight_sum: i128 = weights.iter().map(|w| i128::from(*w)).sum();
    if weights.iter().any(|w| *w < 0) || weight_sum <= 0 {
        return Err(PoolError::Internal(
            "apportioning needs non-negative weights with a positive sum",
        ));
    }
    let mut parts = Vec::with_capacity(weights.len());
    let mut remainders = Vec::with_capacity(weights.len());
    for weight in weights {
        let numerator = i128::from(total.pence())
            .checked_mul(i128::from(*weight))
            .ok_or(MoneyError::Overflow { operation: "apportioning an amount" })?;
        let part =
            round_div(numerator, weight_sum, Rounding::TowardZero, "apportioning an amount")?;
        let remainder = numerator - i128::from(part) * weight_sum;
        parts.push(part);
        remainders.push(remainder.unsigned_abs());
    }
    let assigned: i128 = parts.iter().map(|p| i128::from(*p)).sum();
    let missing = i128::from(total.pence()) - assigned;
    let step: i64 = if missing < 0 { -1 } else { 1 };
    let mut order: Vec<usize> = (0..weights.len()).collect();
    // Stable: equal remainders keep the listed order.
    order.sort_by(|a, b| remainders.get(*b).cmp(&remainders.get(*a)));
    let count = usize::try_from(missing.unsigned_abs()).unwrap_or(usize::MAX);
    for index in order.into_iter().take(count) {
        if let Some(part) = parts.get_mut(index) {
            *part += step;
        }
    }
    Ok(parts.into_iter().map(Money::from_pence).collect())
}

/// Something about a pool that cannot be done, in words a finance officer can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PoolError {
    #[error(transparent)]
    Field(#[from] FieldError),
    #[error(transparent)]
    Money(#[from] MoneyError),
    #[error("{0}")]
    Refused(String),
    #[error("internal error: {0}")]
    Internal(&'static str),
}

/// How partners hold the money.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PoolKind {
    /// Money moves into one fund the host manages (s.75 pooled fund, Better Care Fund).
    Pooled,
    /// Each partner keeps its own money and accountability; spending and performance are
    /// monitored jointly. No money moves, and there is no risk share.
    Aligned,
    /// One partner (the host) commissions for both, with the other's money.
    LeadCommissioning,
}

impl PoolKind {
    pub const ALL: [PoolKind; 3] =
        [PoolKind::Pooled, PoolKind::Aligned, PoolKind::LeadCommissioning];
    pub fn as_str(self) -> &'static str {
        match self {
            PoolKind::Pooled => "pooled",
            PoolKind::Aligned => "aligned",
            PoolKind::LeadCommissioning => "lead_commissioning",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            PoolKind::Pooled => "Pooled fund",
            PoolKind::Aligned => "Aligned budget",
            PoolKind::LeadCommissioning => "Lead commissioning",
        }
    }
    /// Whether partners' money moves into accounts the host manages.
    pub fn moves_money(self) -> bool {
        !matches!(self, PoolKind::Aligned)
    }
}

/// The raw agreement, as a finance officer writes it (JSON). Money is strings of pounds,
/// proportions decimal strings (`"0.6"`).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct AgreementInput {
    pub pool: String,
    #[serde(default)]
    pub name: Option<String>,
    pub kind: String,
    pub host: String,
    pub year: i64,
    /// The date this version applies from: 1 April for the first, later for a variation.
    pub effective_from: String,
    pub partners: Vec<PartnerInput>,
    pub schemes: Vec<SchemeInput>,
    pub risk_share: RiskShareInput,
    /// Where an underspend carried forward is kept (a pool account of the host).
    #[serde(default)]
    pub reserve_account: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct PartnerInput {
    pub organisation: String,
    /// The partner's funding stream: its money keeps this stream in the pool.
    pub stream: String,
    /// The partner's account its contributions come from (and returns go back to).
    pub account: String,
    /// Where risk-share payments from other partners arrive (in their streams), so an
    /// account that holds any stream. Defaults to `account`.
    #[serde(default)]
    pub settlement_account: Option<String>,
    pub annual_contribution: String,
    /// The Better Care Fund minimum this partner must contribute, if any.
    #[serde(default)]
    pub minimum_contribution: Option<String>,
    /// Twelve proportions (April to March) that sum to 1; an even profile when absent.
    #[serde(default)]
    pub profile: Option<Vec<String>>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SchemeInput {
    pub code: String,
    #[serde(default)]
    pub name: Option<String>,
    /// The ledger account the scheme spends from.
    pub account: String,
    /// The partner that leads (manages) the scheme.
    pub lead: String,
    pub planned_budget: String,
    /// Partner organisation → proportion of the scheme it funds; the proportions sum to 1.
    pub funding: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RiskShareInput {
    pub overspend: RuleInput,
    pub underspend: RuleInput,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RuleInput {
    /// `proportional`, `fixed`, `lead_partner`, `capped`, or (underspend only)
    /// `carry_forward`.
    pub rule: String,
    /// For `fixed`: partner → proportion, summing to 1.
    #[serde(default)]
    pub shares: Option<BTreeMap<String, String>>,
    /// For `capped`: partner (not the host) → the most it bears.
    #[serde(default)]
    pub caps: Option<BTreeMap<String, String>>,
}

/// One partner of an agreement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Partner {
    pub organisation: OrganisationCode,
    pub stream: StreamCode,
    pub account: AccountCode,
    pub settlement_account: AccountCode,
    pub annual_contribution: Money,
    pub minimum_contribution: Option<Money>,
    /// Twelve weights in millionths (April to March), summing to one million.
    pub profile: [i64; MONTHS],
}

/// One scheme of an agreement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Scheme {
    pub code: SchemeCode,
    pub name: String,
    pub account: AccountCode,
    /// Index of the lead partner in [`Agreement::partners`].
    pub lead: usize,
    pub planned_budget: Money,
    /// Proportion each partner funds, in partner order (zero where it funds none).
    pub funding: Vec<Ratio>,
    /// The planned budget split by `funding`, in partner order; adds up to the budget.
    pub funding_amounts: Vec<Money>,
}

/// How a variance is shared between partners.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "rule")]
pub enum ShareRule {
    /// In proportion to the partners' agreed contributions.
    Proportional,
    /// A fixed proportion per partner (in partner order), summing to 1.
    Fixed { shares: Vec<Ratio> },
    /// Each partner bears the variance on the schemes it leads.
    LeadPartner,
    /// In proportion to contributions, but each capped partner (not the host) bears at
    /// most its cap; the host carries the rest. In partner order; `None` is uncapped.
    Capped { caps: Vec<Option<Money>> },
}

/// What happens to an underspend.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "rule")]
pub enum UnderspendRule {
    /// Returned to partners by a sharing rule.
    Share { share: ShareRule },
    /// Kept in the pool's reserve for next year.
    CarryForward,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RiskShare {
    pub overspend: ShareRule,
    pub underspend: UnderspendRule,
}

/// A parsed, checked agreement: one version, for one financial year.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Agreement {
    pub pool: PoolCode,
    pub name: String,
    pub kind: PoolKind,
    /// Index of the host in `partners`.
    pub host: usize,
    pub year: FinancialYear,
    pub effective_from: NaiveDate,
    pub partners: Vec<Partner>,
    pub schemes: Vec<Scheme>,
    pub risk_share: RiskShare,
    pub reserve_account: Option<AccountCode>,
}

fn money(field: &str, value: &str) -> Result<Money, FieldError> {
    Money::parse(value).map_err(|e| FieldError::new(field, value, e.problem))
}

fn non_negative(field: &str, value: &str) -> Result<Money, FieldError> {
    let amount = money(field, value)?;
    if amount.is_negative() {
        return Err(FieldError::new(field, value, "the amount may not be negative"));
    }
    Ok(amount)
}

fn ratio(field: &str, value: &str) -> Result<Ratio, FieldError> {
    Ratio::parse(value.trim()).map_err(|e| FieldError::new(field, value, e.problem))
}

/// A partner's share of something (of a scheme's funding, of a variance): a proportion
/// from 0 to 1, the whole.
fn share(field: &str, value: &str) -> Result<Ratio, FieldError> {
    let share = ratio(field, value)?;
    if share > Ratio::ONE {
        return Err(FieldError::new(
            field,
            value,
            "a share is at most 1 (the whole); write it as a proportion like 0.35",
        ));
    }
    Ok(share)
}

/// The sum of some shares, in millionths; `None` if it does not fit (it cannot, while each
/// share is at most 1, but the sum is checked all the same).
fn ratios_sum(ratios: &[Ratio]) -> Option<i64> {
    ratios.iter().try_fold(0i64, |sum, r| sum.checked_add(r.millionths()))
}

/// Read a partner → value map into partner order, refusing organisations that are not
/// partners.
fn by_partner<T>(
    field: &str,
    map: &BTreeMap<String, String>,
    partners: &[Partner],
    read: impl Fn(&str, &str) -> Result<T, FieldError>,
) -> Result<Vec<Option<T>>, FieldError> {
    let mut values: Vec<Option<T>> = partners.iter().map(|_| None).collect();
    for (organisation, value) in map {
        let index = partners
            .iter()
            .position(|p| p.organisation.as_str() == organisation.trim())
            .ok_or_else(|| {
                FieldError::new(
                    &format!("{field}.{organisation}"),
                    organisation,
                    format!(
                        "is not a partner of this agreement; the partners are {}",
                        partner_list(partners)
                    ),
                )
            })?;
        if let Some(slot) = values.get_mut(index) {
            *slot = Some(read(&format!("{field}.{organisation}"), value)?);
        }
    }
    Ok(values)
}

fn partner_list(partners: &[Partner]) -> String {
    partners.iter().map(|p| p.organisation.as_str()).collect::<Vec<_>>().join(", ")
}

fn share_rule(
    field: &str,
    input: &RuleInput,
    partners: &[Partner],
    host: usize,
) -> Result<ShareRule, FieldError> {
    let rule = input.rule.trim();
    let no_extras = |allowed_shares: bool, allowed_caps: bool| -> Result<(), FieldError> {
        if input.shares.is_some() && !allowed_shares {
            return Err(FieldError::new(
                &format!("{field}.shares"),
                rule,
                "only the fixed rule takes shares",
            ));
        }
        if input.caps.is_some() && !allowed_caps {
            return Err(FieldError::new(
                &format!("{field}.caps"),
                rule,
                "only the capped rule takes caps",
            ));
        }
        Ok(())
    };
    match rule {
        "proportional" => {
            no_extras(false, false)?;
            Ok(ShareRule::Proportional)
        }
        "lead_partner" => {
            no_extras(false, false)?;
            Ok(ShareRule::LeadPartner)
        }
        "fixed" => {
            no_extras(true, false)?;
            let map = input.shares.as_ref().ok_or_else(|| {
                FieldError::new(
                    &format!("{field}.shares"),
                    "",
                    "the fixed rule needs shares, e.g. {\"ICB\": \"0.5\", \"COUNCIL\": \"0.5\"}",
                )
            })?;
            let shares: Vec<Ratio> = by_partner(&format!("{field}.shares"), map, partners, share)?
                .into_iter()
                .map(Option::unwrap_or_default)
                .collect();
            let sum = ratios_sum(&shares);
            if sum != Some(Ratio::SCALE) {
                return Err(FieldError::new(
                    &format!("{field}.shares"),
                    &sum.map_or_else(
                        || "more than 1".to_owned(),
                        |s| Ratio::from_millionths(s).to_string(),
                    ),
                    "the shares must add up to exactly 1",
                ));
            }
            Ok(ShareRule::Fixed { shares })
        }
        "capped" => {
            no_extras(false, true)?;
            let map = input.caps.as_ref().ok_or_else(|| {
                FieldError::new(
                    &format!("{field}.caps"),
                    "",
                    "the capped rule needs caps, e.g. {\"ICB\": \"250000.00\"}",
                )
            })?;
            let caps = by_partner(&format!("{field}.caps"), map, partners, non_negative)?;
            if caps.get(host).is_some_and(Option::is_some) {
                let host_code = partners.get(host).map_or("", |p| p.organisation.as_str());
                return Err(FieldError::new(
                    &format!("{field}.caps.{host_code}"),
                    host_code,
                    "the host carries what the caps leave, so the host cannot have a cap",
                ));
            }
            Ok(ShareRule::Capped { caps })
        }
        _ => Err(FieldError::new(
            &format!("{field}.rule"),
            rule,
            "must be one of: proportional, fixed, lead_partner, capped (and, for an underspend, carry_forward)",
        )),
    }
}

impl Agreement {
    /// Parse and check an agreement. Every refusal names the field and says how to fix it.
    pub fn parse(input: &AgreementInput) -> Result<Agreement, FieldError> {
        let pool = PoolCode::parse("pool", &input.pool)?;
        let name = input.name.clone().unwrap_or_else(|| pool.as_str().to_owned());
        if name.chars().count() > 200 || name.chars().any(char::is_control) {
            return Err(FieldError::new(
                "name",
                &name,
                "a name is one line of at most 200 characters",
            ));
        }
        let kind = PoolKind::ALL.into_iter().find(|k| k.as_str() == input.kind.trim()).ok_or_else(
            || {
                FieldError::new(
                    "kind",
                    &input.kind,
                    "must be one of: pooled, aligned, lead_commissioning",
                )
            },
        )?;
        let year = FinancialYear::new("year", input.year)?;
        let effective_from = parse_date("effective_from", &input.effective_from)?;
        if !year.contains(effective_from) {
            return Err(FieldError::new(
                "effective_from",
                &input.effective_from,
                format!(
                    "must fall in the financial year {} ({} to {})",
                    year.label(),
                    year.first_day(),
                    year.last_day()
                ),
            ));
        }
        if input.partners.is_empty() {
            return Err(FieldError::new("partners", "", "an agreement needs at least one partner"));
        }
        let mut partners: Vec<Partner> = Vec::with_capacity(input.partners.len());
        for (index, partner) in input.partners.iter().enumerate() {
            let field = |name: &str| format!("partners[{index}].{name}");
            let organisation =
                OrganisationCode::parse(&field("organisation"), &partner.organisation)?;
            let stream = StreamCode::parse(&field("stream"), &partner.stream)?;
            if partners.iter().any(|p| p.organisation == organisation) {
                return Err(FieldError::new(
                    &field("organisation"),
                    organisation.as_str(),
                    "is listed twice; list each partner once",
                ));
            }
            if partners.iter().any(|p| p.stream == stream) {
                return Err(FieldError::new(
                    &field("stream"),
                    stream.as_str(),
                    "is already another partner's stream; each partner contributes its own stream",
                ));
            }
            let account = AccountCode::parse(&field("account"), &partner.account)?;
            let settlement_account = match &partner.settlement_account {
                Some(code) => AccountCode::parse(&field("settlement_account"), code)?,
                None => account.clone(),
            };
            let annual_contribution =
                non_negative(&field("annual_contribution"), &partner.annual_contribution)?;
            if annual_contribution.is_zero() {
                return Err(FieldError::new(
                    &field("annual_contribution"),
                    &partner.annual_contribution,
                    "a partner must contribute something; remove a partner that contributes nothing",
                ));
            }
            let minimum_contribution = match &partner.minimum_contribution {
                Some(value) => Some(non_negative(&field("minimum_contribution"), value)?),
                None => None,
            };
            if let Some(minimum) = minimum_contribution
                && annual_contribution < minimum
            {
                return Err(FieldError::new(
                    &field("annual_contribution"),
                    &partner.annual_contribution,
                    format!(
                        "is below this partner's minimum contribution of {minimum}; the Better Care Fund requires at least the minimum"
                    ),
                ));
            }
            let profile = match &partner.profile {
                None => [1; MONTHS],
                Some(values) => {
                    if values.len() != MONTHS {
                        return Err(FieldError::new(
                            &field("profile"),
                            &values.len().to_string(),
                            "a profile has twelve proportions, April to March",
                        ));
                    }
                    let mut profile = [0; MONTHS];
                    for (month, (slot, value)) in profile.iter_mut().zip(values).enumerate() {
                        *slot =
                            share(&format!("{}[{month}]", field("profile")), value)?.millionths();
                    }
                    let sum = profile.iter().try_fold(0i64, |sum, p| sum.checked_add(*p));
                    if sum != Some(Ratio::SCALE) {
                        return Err(FieldError::new(
                            &field("profile"),
                            &sum.map_or_else(
                                || "more than 1".to_owned(),
                                |s| Ratio::from_millionths(s).to_string(),
                            ),
                            "the twelve proportions must add up to exactly 1",
                        ));
                    }
                    profile
                }
            };
            partners.push(Partner {
                organisation,
                stream,
                account,
                settlement_account,
                annual_contribution,
                minimum_contribution,
                profile,
            });
        }
        let host = partners
            .iter()
            .position(|p| p.organisation.as_str() == input.host.trim())
            .ok_or_else(|| {
                FieldError::new(
                    "host",
                    &input.host,
                    format!("the host must be one of the partners ({})", partner_list(&partners)),
                )
            })?;

        if input.schemes.is_empty() {
            return Err(FieldError::new("schemes", "", "an agreement needs at least one scheme"));
        }
        let mut schemes: Vec<Scheme> = Vec::with_capacity(input.schemes.len());
        let mut accounts: HashSet<&str> = HashSet::new();
        for (index, scheme) in input.schemes.iter().enumerate() {
            let field = |name: &str| format!("schemes[{index}].{name}");
            let code = SchemeCode::parse(&field("code"), &scheme.code)?;
            if schemes.iter().any(|s| s.code == code) {
                return Err(FieldError::new(
                    &field("code"),
                    code.as_str(),
                    "is used by another scheme; scheme codes must differ",
                ));
            }
            let account = AccountCode::parse(&field("account"), &scheme.account)?;
            if !accounts.insert(scheme.account.trim()) {
                return Err(FieldError::new(
                    &field("account"),
                    account.as_str(),
                    "another scheme spends from this account; each scheme needs its own",
                ));
            }
            if partners.iter().any(|p| p.account == account || p.settlement_account == account) {
                return Err(FieldError::new(
                    &field("account"),
                    account.as_str(),
                    "is a partner's own account; a scheme needs an account of its own",
                ));
            }
            let lead = partners
                .iter()
                .position(|p| p.organisation.as_str() == scheme.lead.trim())
                .ok_or_else(|| {
                    FieldError::new(
                        &field("lead"),
                        &scheme.lead,
                        format!(
                            "the lead must be one of the partners ({})",
                            partner_list(&partners)
                        ),
                    )
                })?;
            let planned_budget = non_negative(&field("planned_budget"), &scheme.planned_budget)?;
            let funding: Vec<Ratio> =
                by_partner(&field("funding"), &scheme.funding, &partners, share)?
                    .into_iter()
                    .map(Option::unwrap_or_default)
                    .collect();
            let sum = ratios_sum(&funding);
            if sum != Some(Ratio::SCALE) {
                return Err(FieldError::new(
                    &field("funding"),
                    &sum.map_or_else(
                        || "more than 1".to_owned(),
                        |s| Ratio::from_millionths(s).to_string(),
                    ),
                    "the funding split must add up to exactly 1 (100%)",
                ));
            }
            if kind == PoolKind::Aligned
                && funding.iter().filter(|r| r.millionths() > 0).count() != 1
            {
                return Err(FieldError::new(
                    &field("funding"),
                    code.as_str(),
                    "in an aligned budget each partner keeps its own money, so each scheme is funded by one partner (1)",
                ));
            }
            let weights: Vec<i64> = funding.iter().map(|r| r.millionths()).collect();
            let funding_amounts = apportion(planned_budget, &weights)
                .map_err(|e| FieldError::new(&field("funding"), code.as_str(), e.to_string()))?;
            schemes.push(Scheme {
                code,
                name: scheme.name.clone().unwrap_or_else(|| scheme.code.clone()),
                account,
                lead,
                planned_budget,
                funding,
                funding_amounts,
            });
        }
        // The contributions add up: to the schemes' budgets in total, and partner by
        // partner to what the funding splits ask of each.
        let contributions = Money::checked_sum(partners.iter().map(|p| p.annual_contribution))
            .map_err(|e| FieldError::new("partners", "", e.to_string()))?;
        let budgets = Money::checked_sum(schemes.iter().map(|s| s.planned_budget))
            .map_err(|e| FieldError::new("schemes", "", e.to_string()))?;
        if contributions != budgets {
            return Err(FieldError::new(
                "partners",
                &contributions.to_plain_string(),
                format!(
                    "the contributions add up to {contributions} but the schemes' planned budgets add up to {budgets}; they must agree"
                ),
            ));
        }
        for (index, partner) in partners.iter().enumerate() {
            let asked = Money::checked_sum(
                schemes.iter().map(|s| s.funding_amounts.get(index).copied().unwrap_or_default()),
            )
            .map_err(|e| FieldError::new("schemes", "", e.to_string()))?;
            if asked != partner.annual_contribution {
                return Err(FieldError::new(
                    &format!("partners[{index}].annual_contribution"),
                    &partner.annual_contribution.to_plain_string(),
                    format!(
                        "the schemes' funding splits ask {} for {asked}, but it contributes {}; change the splits or the contribution so they agree",
                        partner.organisation, partner.annual_contribution
                    ),
                ));
            }
        }
        let overspend =
            share_rule("risk_share.overspend", &input.risk_share.overspend, &partners, host)?;
        let underspend = if input.risk_share.underspend.rule.trim() == "carry_forward" {
            UnderspendRule::CarryForward
        } else {
            UnderspendRule::Share {
                share: share_rule(
                    "risk_share.underspend",
                    &input.risk_share.underspend,
                    &partners,
                    host,
                )?,
            }
        };
        if input.risk_share.overspend.rule.trim() == "carry_forward" {
            return Err(FieldError::new(
                "risk_share.overspend.rule",
                "carry_forward",
                "only an underspend can be carried forward; an overspend must be shared",
            ));
        }
        let reserve_account = match &input.reserve_account {
            Some(code) => Some(AccountCode::parse("reserve_account", code)?),
            None => None,
        };
        if underspend == UnderspendRule::CarryForward
            && kind.moves_money()
            && reserve_account.is_none()
        {
            return Err(FieldError::new(
                "reserve_account",
                "",
                "an underspend carried forward needs a reserve account to be kept in; name one of the host's pool accounts",
            ));
        }
        Ok(Agreement {
            pool,
            name,
            kind,
            host,
            year,
            effective_from,
            partners,
            schemes,
            risk_share: RiskShare { overspend, underspend },
            reserve_account,
        })
    }

    /// The pool's budget: the sum of the agreed contributions (and of the schemes' budgets).
    pub fn budget(&self) -> Money {
        Money::checked_sum(self.partners.iter().map(|p| p.annual_contribution))
            .unwrap_or(Money::MAX)
    }

    pub fn host_partner(&self) -> Option<&Partner> {
        self.partners.get(self.host)
    }

    pub fn scheme(&self, code: &str) -> Option<(usize, &Scheme)> {
        self.schemes.iter().enumerate().find(|(_, s)| s.code.as_str() == code.trim())
    }

    pub fn partner_index(&self, organisation: &str) -> Option<usize> {
        self.partners.iter().position(|p| p.organisation.as_str() == organisation.trim())
    }

    /// Every ledger account this agreement's money passes through inside the pool: the
    /// schemes' accounts and the reserve.
    pub fn pool_accounts(&self) -> Vec<&AccountCode> {
        let mut accounts: Vec<&AccountCode> = self.schemes.iter().map(|s| &s.account).collect();
        accounts.extend(self.reserve_account.as_ref());
        accounts
    }

    /// A scheme's planned budget for each month, spent evenly over the year (the parts add
    /// up to the budget by [`apportion`]).
    pub fn scheme_monthly_budget(&self, scheme: &Scheme) -> Result<Vec<Money>, PoolError> {
        apportion(scheme.planned_budget, &[1; MONTHS])
    }

    /// Split a payment from `scheme` across the partners' streams by the scheme's funding
    /// split: `(partner index, amount)` for each partner with a non-zero part, adding up to
    /// `amount` exactly.
    pub fn split_payment(
        &self,
        scheme: &Scheme,
        amount: Money,
    ) -> Result<Vec<(usize, Money)>, PoolError> {
        let weights: Vec<i64> = scheme.funding.iter().map(|r| r.millionths()).collect();
        let parts = apportion(amount, &weights)?;
        Ok(parts.into_iter().enumerate().filter(|(_, part)| !part.is_zero()).collect())
    }

    /// What `partner` pays into `scheme` in `month`, given what it has already paid into
    /// that scheme earlier in the year (under this or earlier versions): what is left of
    /// this version's amount, spread over the months left by the partner's profile. So a
    /// variation changes the rest of the year, and the year still adds up to the amount
    /// the version in force agrees.
    pub fn contribution_due(
        &self,
        partner: usize,
        scheme: usize,
        month: usize,
        paid_before: Money,
    ) -> Result<Money, PoolError> {
        let (Some(partner_row), Some(scheme_row)) =
            (self.partners.get(partner), self.schemes.get(scheme))
        else {
            return Err(PoolError::Internal("no such partner or scheme"));
        };
        if !(1..=MONTHS).contains(&month) {
            return Err(PoolError::Internal("a month is 1 to 12"));
        }
        let agreed = scheme_row.funding_amounts.get(partner).copied().unwrap_or_default();
        let left = agreed.checked_sub(paid_before)?;
        if left.is_negative() {
            return Err(PoolError::Refused(format!(
                "{} has already paid {} into scheme {}, more than the {} this version agrees; return the difference with a correction before going on",
                partner_row.organisation, paid_before, scheme_row.code, agreed
            )));
        }
        if left.is_zero() {
            return Ok(Money::ZERO);
        }
        let remaining_weights: Vec<i64> =
            partner_row.profile.iter().skip(month - 1).copied().collect();
        if remaining_weights.iter().sum::<i64>() == 0 {
            // The profile puts nothing in the months left: what is owed is due now.
            return Ok(left);
        }
        Ok(apportion(left, &remaining_weights)?.first().copied().unwrap_or_default())
    }
}
