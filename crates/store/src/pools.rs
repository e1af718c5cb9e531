//! Pools in the database: agreements and their variations, the monthly flows through
//! each pool account, closed months, forecasts, and settlement confirmations; and the
//! pool operations every interface shares (post the month's contributions, pay from a
//! scheme, monitor, settle, confirm), each a query here plus a decision in
//! `onebudget_core::pool`.
//!
//! Once every partner has confirmed, the settlement is kept as confirmed
//! (`pool_settlements`) and shown from that record: worked out again from a ledger that
//! holds its transfers, it would have other figures and a digest nobody confirmed.
//!
//! `pool_flows` is to monitoring what `balances` is to the ledger: a sum kept in the
//! transaction that records the transfers ([`record_pool_flows`], called by posting), so
//! a report over ten million transfers reads a few hundred rows. `onebudget check`
//! recomputes it from the transfers ([`Store::check_pool_flows`]).

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use onebudget_core::ledger::{
    AccountCode, FieldError, ReasonCode, StreamCode, Transfer, TransferInput, Violation,
};
use onebudget_core::money::Money;
use onebudget_core::pool::figures::{Flow, YearFigures};
use onebudget_core::pool::monitoring::{ForecastChoice, ForecastMethod, MonitoringReport, monitor};
use onebudget_core::pool::settlement::{
    PartnerSettlement, Settlement, SettlementTransfer, Step, settle,
};
use onebudget_core::pool::{Agreement, AgreementInput, FinancialYear, PoolError, PoolKind};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::backend::{Conn, Row, TransferRow, Value, Values};
use crate::ledger::PostError;
use crate::{PostedTransfer, Store, StoreError, now_utc};

/// Why a pool operation was not done. Nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum PoolStoreError {
    #[error(transparent)]
    Field(#[from] FieldError),
    #[error(transparent)]
    Pool(#[from] PoolError),
    #[error("{0}")]
    NotFound(String),
    #[error(transparent)]
    Post(#[from] PostError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<onebudget_core::money::MoneyError> for PoolStoreError {
    fn from(error: onebudget_core::money::MoneyError) -> PoolStoreError {
        PoolStoreError::Pool(PoolError::Money(error))
    }
}

/// One recorded version of a pool's agreement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AgreementVersion {
    pub pool: String,
    pub year: i64,
    pub version: i64,
    pub effective_from: NaiveDate,
    pub kind: String,
    /// The agreement as it was given (JSON).
    #[serde(skip)]
    pub document: String,
    pub recorded_by: String,
    pub recorded_at: String,
}

impl AgreementVersion {
    /// The agreement, parsed again from its document.
    pub fn agreement(&self) -> Result<Agreement, PoolStoreError> {
        let input: AgreementInput = serde_json::from_str(&self.document)
            .map_err(|e| StoreError::Corrupt(format!("a stored agreement is unreadable: {e}")))?;
        Ok(Agreement::parse(&input)?)
    }
}

/// A pool and its latest version, for lists.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PoolSummary {
    pub pool: String,
    pub name: String,
    pub kind: PoolKind,
    pub year: String,
    pub year_start: i64,
    pub host: String,
    pub partners: Vec<String>,
    pub budget: Money,
    pub versions: i64,
    pub closed_through: Option<String>,
}

/// One year of a pool, as the pools page lists it: its summary, and whether the year-end
/// settlement has been posted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PoolYear {
    pub summary: PoolSummary,
    pub settled: bool,
}

/// A settlement with the digest partners confirm, and who has confirmed it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SettlementView {
    pub settlement: Settlement,
    /// SHA-256 of the figures and transfers: a confirmation counts only for these.
    pub digest: String,
    pub confirmed_by: Vec<Confirmation>,
    /// Partners that have not yet confirmed these figures.
    pub waiting_for: Vec<String>,
    /// Whether every partner confirmed and the settlement transfers are in the ledger.
    /// Once they are, the view is the settlement as confirmed (kept when the last partner
    /// confirmed), not one worked out again from the ledger that now holds them.
    pub posted: bool,
    /// When the settlement was posted (the last partner's confirmation), once it is.
    pub posted_at: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Confirmation {
    pub organisation: String,
    pub username: String,
    pub confirmed_at: String,
}

/// A `pool_flows` key: (pool account, counterparty, stream, month, reason).
type FlowKey<'a> = (i64, i64, i64, NaiveDate, &'a str);
/// The same key owning its reason, for recomputing flows from transfers.
type OwnedFlowKey = (i64, i64, i64, NaiveDate, String);
/// A `pool_flows` sum: (money in, money out, transfers), in pence.
type FlowSum = (i64, i64, i64);
/// An account's id, kind, stream (if it holds one only) and owner.
type AccountFacts = (i64, String, Option<String>, String);

/// Sum new transfers into `pool_flows` for every pool account they touch. Called by
/// posting, inside its transaction, with the rows it has just inserted.
pub(crate) fn record_pool_flows(
    conn: &mut dyn Conn,
    rows: &[TransferRow<'_>],
) -> Result<(), StoreError> {
    // Every pool account, read whole: a pool has a handful of scheme accounts while a
    // batch may name thousands of accounts, so this is far cheaper than asking after
    // each of the batch's accounts (which was a twentieth of SQLite's posting time).
    let mut registered: Vec<i64> = Vec::new();
    conn.query_each("SELECT account_id FROM pool_accounts ORDER BY account_id", &[], &mut |row| {
        registered.push(row.int(0)?);
        Ok(())
    })?;
    if registered.is_empty() {
        return Ok(());
    }
    let mut sums: HashMap<FlowKey<'_>, FlowSum> = HashMap::new();
    for row in rows {
        let month = first_of_month(row.effective_date);
        if registered.binary_search(&row.from_account_id).is_ok() {
            let sum = sums
                .entry((row.from_account_id, row.to_account_id, row.stream_id, month, row.reason))
                .or_default();
            sum.1 = sum
                .1
                .checked_add(row.amount_pence)
                .ok_or_else(|| StoreError::Corrupt("pool flow overflow".into()))?;
            sum.2 += 1;
        }
        if registered.binary_search(&row.to_account_id).is_ok() {
            let sum = sums
                .entry((row.to_account_id, row.from_account_id, row.stream_id, month, row.reason))
                .or_default();
            sum.0 = sum
                .0
                .checked_add(row.amount_pence)
                .ok_or_else(|| StoreError::Corrupt("pool flow overflow".into()))?;
            sum.2 += 1;
        }
    }
    upsert_flows(conn, &sums)
}

fn upsert_flows(
    conn: &mut dyn Conn,
    sums: &HashMap<FlowKey<'_>, FlowSum>,
) -> Result<(), StoreError> {
    let mut keys: Vec<_> = sums.iter().collect();
    keys.sort_unstable_by(|a, b| a.0.cmp(b.0));
    for chunk in keys.chunks(50) {
        let mut values = String::new();
        let mut params = Vec::with_capacity(chunk.len() * 8);
        for (n, ((account, counterparty, stream, month, reason), (money_in, money_out, count))) in
            chunk.iter().enumerate()
        {
            if n > 0 {
                values.push_str(", ");
            }
            values.push('(');
            values.push_str(&crate::backend::placeholders(n * 8 + 1, 8));
            values.push(')');
            params.extend([
                Value::Int(*account),
                Value::Int(*counterparty),
                Value::Int(*stream),
                Value::Date(*month),
                Value::Text(reason),
                Value::Int(*money_in),
                Value::Int(*money_out),
                Value::Int(*count),
            ]);
        }
        conn.execute(
            &format!(
                "INSERT INTO pool_flows (account_id, counterparty_id, stream_id, month, reason, money_in_pence, money_out_pence, transfers) \
                 VALUES {values} ON CONFLICT (account_id, counterparty_id, stream_id, month, reason) DO UPDATE SET \
                 money_in_pence = pool_flows.money_in_pence + excluded.money_in_pence, \
                 money_out_pence = pool_flows.money_out_pence + excluded.money_out_pence, \
                 transfers = pool_flows.transfers + excluded.transfers"
            ),
            &params,
        )?;
    }
    Ok(())
}

fn first_of_month(date: NaiveDate) -> NaiveDate {
    date.with_day(1).unwrap_or(date)
}

const VERSION_COLUMNS: &str =
    "pool, year, version, effective_from, kind, document, recorded_by, recorded_at";

fn version_from(row: &dyn Row) -> Result<AgreementVersion, StoreError> {
    Ok(AgreementVersion {
        pool: row.text(0)?,
        year: row.int(1)?,
        version: row.int(2)?,
        effective_from: row.date(3)?,
        kind: row.text(4)?,
        document: row.text(5)?,
        recorded_by: row.text(6)?,
        recorded_at: row.text(7)?,
    })
}

fn versions_in(
    conn: &mut dyn Conn,
    pool: &str,
    year: Option<i64>,
) -> Result<Vec<AgreementVersion>, StoreError> {
    let mut versions = Vec::new();
    let (sql, params): (String, Vec<Value<'_>>) = match year {
        Some(year) => (
            format!(
                "SELECT {VERSION_COLUMNS} FROM pool_agreements WHERE pool = $1 AND year = $2 ORDER BY year, version"
            ),
            vec![Value::Text(pool), Value::Int(year)],
        ),
        None => (
            format!(
                "SELECT {VERSION_COLUMNS} FROM pool_agreements WHERE pool = $1 ORDER BY year, version"
            ),
            vec![Value::Text(pool)],
        ),
    };
    conn.query_each(&sql, &params, &mut |row| {
        versions.push(version_from(row)?);
        Ok(())
    })?;
    Ok(versions)
}

fn closed_through_in(conn: &mut dyn Conn, pool: &str, year: i64) -> Result<usize, StoreError> {
    let through = conn
        .query_int(
            "SELECT COALESCE(MAX(through_month), 0) FROM pool_closed_months WHERE pool = $1 AND year = $2",
            &[Value::Text(pool), Value::Int(year)],
        )?
        .unwrap_or(0);
    Ok(usize::try_from(through).unwrap_or(0))
}

/// The id, kind and stream of an account, by code.
fn account_facts(
    conn: &mut dyn Conn,
    code: &AccountCode,
) -> Result<Option<AccountFacts>, StoreError> {
    let mut found = None;
    conn.query_each(
        "SELECT a.id, a.kind, s.code, a.owner_id FROM accounts a LEFT JOIN funding_streams s ON s.id = a.stream_id WHERE a.code = $1",
        &[Value::Text(code.as_str())],
        &mut |row| {
            found = Some((row.int(0)?, row.text(1)?, row.opt_text(2)?, row.text(3)?));
            Ok(())
        },
    )?;
    Ok(found)
}

fn refuse(field: &str, value: &str, problem: impl Into<String>) -> PoolStoreError {
    PoolStoreError::Field(FieldError::new(field, value, problem))
}

impl Store {
    /// Record an agreement (version 1 for its pool and year) or a variation (the next
    /// version, applying from its `effective_from`). Checks, in one transaction, that
    /// every stream and account it names exists and fits, and that the variation does not
    /// reach into a closed month; registers the pool's accounts so their flows are summed.
    pub fn record_agreement(
        &self,
        input: &AgreementInput,
        recorded_by: &str,
    ) -> Result<AgreementVersion, PoolStoreError> {
        let agreement = Agreement::parse(input)?;
        let document = serde_json::to_string(input)
            .map_err(|e| StoreError::Corrupt(format!("an agreement cannot be written: {e}")))?;
        let now = now_utc();
        self.write(|conn| {
            let pool = agreement.pool.as_str();
            let year = i64::from(agreement.year.start_year());
            // Streams: each partner's exists and is the partner's own.
            for (index, partner) in agreement.partners.iter().enumerate() {
                let owner = conn.query_text(
                    "SELECT owner_organisation FROM funding_streams WHERE code = $1",
                    &[Value::Text(partner.stream.as_str())],
                )?;
                match owner {
                    None => return Err(refuse(&format!("partners[{index}].stream"), partner.stream.as_str(), "no such funding stream; open it first (onebudget ledger open)")),
                    Some(owner) if owner != partner.organisation.as_str() => {
                        return Err(refuse(
                            &format!("partners[{index}].stream"),
                            partner.stream.as_str(),
                            format!("this stream belongs to {owner}, not {}; a partner contributes its own stream", partner.organisation),
                        ));
                    }
                    Some(_) => {}
                }
                for (field, account, must_take_any) in [
                    ("account", &partner.account, false),
                    ("settlement_account", &partner.settlement_account, agreement.partners.len() > 1 && agreement.kind.moves_money()),
                ] {
                    let Some((_, _, stream, _)) = account_facts(conn, account)? else {
                        return Err(refuse(&format!("partners[{index}].{field}"), account.as_str(), "no such account; open it first (onebudget ledger open)"));
                    };
                    match stream {
                        Some(stream) if must_take_any => {
                            return Err(refuse(
                                &format!("partners[{index}].{field}"),
                                account.as_str(),
                                format!("holds only stream {stream}, but risk-share payments from other partners arrive in their own streams; name a settlement_account that holds any stream"),
                            ));
                        }
                        Some(stream) if stream != partner.stream.as_str() => {
                            return Err(refuse(&format!("partners[{index}].{field}"), account.as_str(), format!("holds only stream {stream}, not the partner's stream {}", partner.stream)));
                        }
                        _ => {}
                    }
                }
            }
            let mut pool_account_ids = Vec::new();
            for (index, scheme) in agreement.schemes.iter().enumerate() {
                let Some((id, kind, stream, owner)) = account_facts(conn, &scheme.account)? else {
                    return Err(refuse(&format!("schemes[{index}].account"), scheme.account.as_str(), "no such account; open it first (onebudget ledger open)"));
                };
                if agreement.kind.moves_money() {
                    if kind != "pool" || stream.is_some() {
                        return Err(refuse(&format!("schemes[{index}].account"), scheme.account.as_str(), "a scheme of a pooled fund spends from a pool account (kind pool) that holds every partner's stream"));
                    }
                    let host = agreement.host_partner().map_or("", |p| p.organisation.as_str());
                    if owner != host {
                        return Err(refuse(&format!("schemes[{index}].account"), scheme.account.as_str(), format!("belongs to {owner}; the host {host} holds the pool's accounts")));
                    }
                }
                pool_account_ids.push(id);
            }
            if let Some(reserve) = &agreement.reserve_account {
                let Some((id, kind, stream, _)) = account_facts(conn, reserve)? else {
                    return Err(refuse("reserve_account", reserve.as_str(), "no such account; open it first (onebudget ledger open)"));
                };
                if kind != "pool" || stream.is_some() {
                    return Err(refuse("reserve_account", reserve.as_str(), "the reserve is a pool account (kind pool) that holds every partner's stream"));
                }
                pool_account_ids.push(id);
            }
            // Versions: the next one, after every closed month.
            let versions = versions_in(conn, pool, Some(year))?;
            if let Some(last) = versions.last() {
                if agreement.effective_from <= last.effective_from {
                    return Err(refuse(
                        "effective_from",
                        &agreement.effective_from.to_string(),
                        format!("version {} already applies from {}; a variation applies from a later date", last.version, last.effective_from),
                    ));
                }
                let closed = closed_through_in(conn, pool, year)?;
                if closed > 0 && agreement.effective_from < agreement.year.month_start(closed + 1) {
                    return Err(refuse(
                        "effective_from",
                        &agreement.effective_from.to_string(),
                        format!("months are closed through {}; a variation can apply from {} at the earliest", agreement.year.month_label(closed), agreement.year.month_start(closed + 1)),
                    ));
                }
            } else if versions.is_empty() && agreement.effective_from != agreement.year.first_day() {
                return Err(refuse(
                    "effective_from",
                    &agreement.effective_from.to_string(),
                    format!("the first version of an agreement applies from the start of the year, {}", agreement.year.first_day()),
                ));
            }
            // Accounts registered to another pool may not be shared.
            for id in &pool_account_ids {
                if let Some(other) = conn.query_text("SELECT pool FROM pool_accounts WHERE account_id = $1", &[Value::Int(*id)])?
                    && other != pool
                {
                    return Err(refuse("schemes", &other, format!("an account of this agreement already belongs to pool {other}; each pool needs accounts of its own")));
                }
            }
            let version = versions.last().map_or(1, |v| v.version + 1);
            conn.execute(
                "INSERT INTO pool_agreements (pool, year, version, effective_from, kind, document, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                &[
                    Value::Text(pool),
                    Value::Int(year),
                    Value::Int(version),
                    Value::Date(agreement.effective_from),
                    Value::Text(agreement.kind.as_str()),
                    Value::Text(&document),
                    Value::Text(recorded_by),
                    Value::Text(&now),
                ],
            )?;
            for id in pool_account_ids {
                let known = conn.query_int("SELECT account_id FROM pool_accounts WHERE account_id = $1", &[Value::Int(id)])?;
                if known.is_none() {
                    conn.execute("INSERT INTO pool_accounts (account_id, pool, registered_at) VALUES ($1, $2, $3)", &[Value::Int(id), Value::Text(pool), Value::Text(&now)])?;
                    backfill_flows(conn, id)?;
                }
            }
            Ok(AgreementVersion {
                pool: pool.to_owned(),
                year,
                version,
                effective_from: agreement.effective_from,
                kind: agreement.kind.as_str().to_owned(),
                document: document.clone(),
                recorded_by: recorded_by.to_owned(),
                recorded_at: now.clone(),
            })
        })
    }

    /// Every version of every pool's agreements, oldest first.
    pub fn agreement_versions(&self, pool: &str) -> Result<Vec<AgreementVersion>, StoreError> {
        self.read(|conn| versions_in(conn, pool, None))
    }

    /// Every pool, with its latest year's latest version.
    pub fn pools(&self) -> Result<Vec<PoolSummary>, PoolStoreError> {
        Ok(self.pool_summaries(false)?.into_iter().map(|year| year.summary).collect())
    }

    /// Every year of every pool (settled ones too), by pool and then newest year first,
    /// each with the latest version of its agreement, and whether its settlement is posted.
    pub fn pool_years(&self) -> Result<Vec<PoolYear>, PoolStoreError> {
        self.pool_summaries(true)
    }

    fn pool_summaries(&self, every_year: bool) -> Result<Vec<PoolYear>, PoolStoreError> {
        let which_years = if every_year {
            ""
        } else {
            " AND a.year = (SELECT MAX(year) FROM pool_agreements c WHERE c.pool = a.pool)"
        };
        let (latest, closed) = self.read(|conn| {
            let mut latest: Vec<(AgreementVersion, i64, bool)> = Vec::new();
            conn.query_each(
                &format!(
                    "SELECT {VERSION_COLUMNS}, (SELECT COUNT(*) FROM pool_agreements b WHERE b.pool = a.pool AND b.year = a.year), \
                     (SELECT COUNT(*) FROM pool_settlements s WHERE s.pool = a.pool AND s.year = a.year) FROM pool_agreements a \
                     WHERE a.version = (SELECT MAX(version) FROM pool_agreements b WHERE b.pool = a.pool AND b.year = a.year)\
                     {which_years} ORDER BY a.pool, a.year DESC"
                ),
                &[],
                &mut |row| {
                    latest.push((version_from(row)?, row.int(8)?, row.int(9)? > 0));
                    Ok(())
                },
            )?;
            let mut closed = Vec::new();
            for (version, _, _) in &latest {
                closed.push(closed_through_in(conn, &version.pool, version.year)?);
            }
            Ok::<_, StoreError>((latest, closed))
        })?;
        let mut pools = Vec::new();
        for ((version, versions, settled), closed) in latest.into_iter().zip(closed) {
            let agreement = version.agreement()?;
            let summary = PoolSummary {
                pool: version.pool.clone(),
                name: agreement.name.clone(),
                kind: agreement.kind,
                year: agreement.year.label(),
                year_start: version.year,
                host: agreement
                    .host_partner()
                    .map_or(String::new(), |p| p.organisation.as_str().to_owned()),
                partners: agreement
                    .partners
                    .iter()
                    .map(|p| p.organisation.as_str().to_owned())
                    .collect(),
                budget: agreement.budget(),
                versions,
                closed_through: (closed > 0).then(|| agreement.year.month_label(closed)),
            };
            pools.push(PoolYear { summary, settled });
        }
        Ok(pools)
    }

    /// The version of `pool`'s agreement for `year` in force on `on` (the latest version
    /// from on or before that date; the first version before it applies).
    pub fn agreement_on(
        &self,
        pool: &str,
        year: FinancialYear,
        on: NaiveDate,
    ) -> Result<(AgreementVersion, Agreement), PoolStoreError> {
        let versions =
            self.read(|conn| versions_in(conn, pool, Some(i64::from(year.start_year()))))?;
        let chosen = versions
            .iter()
            .rev()
            .find(|v| v.effective_from <= on)
            .or_else(|| versions.first())
            .ok_or_else(|| PoolStoreError::NotFound(format!("there is no agreement for pool {pool} in {}; record one with onebudget pool import", year.label())))?;
        let agreement = chosen.agreement()?;
        Ok((chosen.clone(), agreement))
    }

    /// The last month closed for `pool`'s `year` (0 when none is).
    pub fn pool_closed_through(
        &self,
        pool: &str,
        year: FinancialYear,
    ) -> Result<usize, StoreError> {
        self.read(|conn| closed_through_in(conn, pool, i64::from(year.start_year())))
    }

    /// Close the months of `year` up to and including `through` (1 = April).
    pub fn close_pool_months(
        &self,
        pool: &str,
        year: FinancialYear,
        through: usize,
        closed_by: &str,
    ) -> Result<usize, PoolStoreError> {
        self.agreement_on(pool, year, year.first_day())?;
        let now = now_utc();
        self.write(|conn| {
            let closed = closed_through_in(conn, pool, i64::from(year.start_year()))?;
            if through <= closed {
                return Err(refuse("through", &year.month_label(through), format!("months are already closed through {}", year.month_label(closed))));
            }
            conn.execute(
                "INSERT INTO pool_closed_months (pool, year, through_month, closed_by, closed_at) VALUES ($1, $2, $3, $4, $5)",
                &[Value::Text(pool), Value::Int(i64::from(year.start_year())), Value::Int(i64::try_from(through).unwrap_or(0)), Value::Text(closed_by), Value::Text(&now)],
            )?;
            Ok(through)
        })
    }

    /// The year's figures for an agreement, from the pool accounts' flows.
    pub fn pool_figures(&self, agreement: &Agreement) -> Result<YearFigures, PoolStoreError> {
        let flows = self.pool_flows_of(agreement)?;
        Ok(YearFigures::from_flows(agreement, &flows)?)
    }

    /// The monthly flows through an agreement's pool accounts.
    fn pool_flows_of(&self, agreement: &Agreement) -> Result<Vec<Flow>, PoolStoreError> {
        let codes: Vec<&str> =
            agreement.pool_accounts().into_iter().map(AccountCode::as_str).collect();
        let flows = self.read(|conn| {
            let mut flows = Vec::new();
            conn.query_matching(
                "SELECT a.code, c.code, s.code, f.month, f.reason, f.money_in_pence, f.money_out_pence FROM pool_flows f \
                 JOIN accounts a ON a.id = f.account_id JOIN accounts c ON c.id = f.counterparty_id \
                 JOIN funding_streams s ON s.id = f.stream_id WHERE a.code",
                "",
                Values::Text(&codes),
                &mut |row| {
                    flows.push(Flow {
                        account: AccountCode::parse("account", &row.text(0)?)?,
                        counterparty: AccountCode::parse("counterparty", &row.text(1)?)?,
                        stream: StreamCode::parse("stream", &row.text(2)?)?,
                        month: row.date(3)?,
                        reason: ReasonCode::parse("reason", &row.text(4)?)?,
                        money_in: Money::from_pence(row.int(5)?),
                        money_out: Money::from_pence(row.int(6)?),
                    });
                    Ok(())
                },
            )?;
            Ok::<_, StoreError>(flows)
        })?;
        Ok(flows)
    }

    /// Record a forecast choice (and the commitments) for one scheme.
    #[allow(clippy::too_many_arguments)]
    pub fn record_pool_forecast(
        &self,
        pool: &str,
        year: FinancialYear,
        scheme: &str,
        method: ForecastMethod,
        amount: Option<Money>,
        commitments: Money,
        reason: &str,
        entered_by: &str,
    ) -> Result<(), PoolStoreError> {
        let (_, agreement) = self.agreement_on(pool, year, year.last_day())?;
        if agreement.scheme(scheme).is_none() {
            let known: Vec<&str> = agreement.schemes.iter().map(|s| s.code.as_str()).collect();
            return Err(refuse(
                "scheme",
                scheme,
                format!("is not a scheme of {pool}; its schemes are {}", known.join(", ")),
            ));
        }
        if method == ForecastMethod::Entered && amount.is_none() {
            return Err(refuse("amount", "", "an entered forecast needs the outturn you expect"));
        }
        if method == ForecastMethod::Entered && reason.trim().is_empty() {
            return Err(refuse(
                "reason",
                "",
                "say why you expect this outturn; the board will ask",
            ));
        }
        if amount.is_some_and(Money::is_negative) || commitments.is_negative() {
            return Err(refuse("amount", "", "forecasts and commitments may not be negative"));
        }
        if reason.chars().count() > 500 || reason.chars().any(char::is_control) {
            return Err(refuse("reason", reason, "a reason is one line of at most 500 characters"));
        }
        let now = now_utc();
        self.write(|conn| {
            conn.execute(
                "INSERT INTO pool_forecasts (pool, year, scheme, method, amount_pence, commitments_pence, reason, entered_by, entered_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                &[
                    Value::Text(pool),
                    Value::Int(i64::from(year.start_year())),
                    Value::Text(scheme.trim()),
                    Value::Text(method.as_str()),
                    Value::OptInt(amount.map(Money::pence)),
                    Value::Int(commitments.pence()),
                    Value::Text(reason.trim()),
                    Value::Text(entered_by),
                    Value::Text(&now),
                ],
            )?;
            Ok(())
        })
    }

    /// The latest forecast choice and commitments for each scheme, in the agreement's order.
    pub fn pool_forecasts(
        &self,
        agreement: &Agreement,
    ) -> Result<(Vec<Money>, Vec<Option<ForecastChoice>>), PoolStoreError> {
        let rows = self.read(|conn| {
            let mut rows: HashMap<String, (String, Option<i64>, i64, String, String)> = HashMap::new();
            conn.query_each(
                "SELECT scheme, method, amount_pence, commitments_pence, reason, entered_by FROM pool_forecasts WHERE pool = $1 AND year = $2 ORDER BY id",
                &[Value::Text(agreement.pool.as_str()), Value::Int(i64::from(agreement.year.start_year()))],
                &mut |row| {
                    rows.insert(row.text(0)?, (row.text(1)?, row.opt_int(2)?, row.int(3)?, row.text(4)?, row.text(5)?));
                    Ok(())
                },
            )?;
            Ok::<_, StoreError>(rows)
        })?;
        let mut commitments = Vec::new();
        let mut forecasts = Vec::new();
        for scheme in &agreement.schemes {
            match rows.get(scheme.code.as_str()) {
                Some((method, amount, committed, reason, entered_by)) => {
                    commitments.push(Money::from_pence(*committed));
                    forecasts.push(Some(ForecastChoice {
                        method: ForecastMethod::parse("method", method)?,
                        amount: amount.map(Money::from_pence),
                        reason: reason.clone(),
                        entered_by: entered_by.clone(),
                    }));
                }
                None => {
                    commitments.push(Money::ZERO);
                    forecasts.push(None);
                }
            }
        }
        Ok((commitments, forecasts))
    }

    /// The monitoring report through month `through` (default: the last closed month, or
    /// April when none is closed), under the version in force at that month's end.
    pub fn pool_monitoring(
        &self,
        pool: &str,
        year: FinancialYear,
        through: Option<usize>,
    ) -> Result<MonitoringReport, PoolStoreError> {
        let through = match through {
            Some(month) => month,
            None => self.pool_closed_through(pool, year)?.max(1),
        };
        let month_end = year.month_start(through + 1).pred_opt().unwrap_or(year.last_day());
        let (_, agreement) = self.agreement_on(pool, year, month_end.min(year.last_day()))?;
        let figures = self.pool_figures(&agreement)?;
        let (commitments, forecasts) = self.pool_forecasts(&agreement)?;
        Ok(monitor(&agreement, &figures, through, &commitments, &forecasts)?)
    }

    /// The year-end settlement, its digest and who has confirmed it. Once every partner
    /// has confirmed and the transfers are posted, the settlement as it was confirmed
    /// (kept in `pool_settlements`), with a last step counting the transfers in the ledger.
    pub fn pool_settlement(
        &self,
        pool: &str,
        year: FinancialYear,
    ) -> Result<SettlementView, PoolStoreError> {
        let start = i64::from(year.start_year());
        if let Some(posted) = self.read(|conn| posted_settlement_in(conn, pool, start))? {
            return self.posted_settlement_view(pool, year, posted);
        }
        let (_, agreement) = self.agreement_on(pool, year, year.last_day())?;
        let closed = self.pool_closed_through(pool, year)?;
        let mut flows = self.pool_flows_of(&agreement)?;
        // No record, yet the ledger holds the settlement's first transfer: the last
        // confirmation posted the transfers but was not recorded (the two are separate
        // transactions). Work the figures out without this year's settlement flows, so
        // that they are the ones confirmed and the last partner can confirm again: the
        // transfers are then recorded already, and the confirmation and record are written.
        let first_key = onebudget_core::ledger::IdempotencyKey::parse(
            "key",
            &format!("pool/{pool}/{}/settlement/1", year.start_year()),
        )?;
        if self.transfer(&first_key)?.is_some() {
            flows.retain(|f| !(f.reason == ReasonCode::Settlement && year.contains(f.month)));
        }
        let figures = YearFigures::from_flows(&agreement, &flows)?;
        let settlement = settle(&agreement, &figures, closed)?;
        let digest = settlement_digest(&settlement)?;
        let confirmed_by = self.read(|conn| confirmations_in(conn, pool, start, &digest))?;
        let waiting_for = waiting_for(&settlement, &confirmed_by);
        Ok(SettlementView {
            settlement,
            digest,
            confirmed_by,
            waiting_for,
            posted: false,
            posted_at: None,
        })
    }

    /// The view of a posted settlement: as confirmed, who confirmed it and when, and a
    /// step saying how many of its transfers the ledger holds.
    fn posted_settlement_view(
        &self,
        pool: &str,
        year: FinancialYear,
        posted: PostedSettlement,
    ) -> Result<SettlementView, PoolStoreError> {
        let mut settlement = posted.settlement()?;
        let keys: Vec<String> =
            (1..=settlement.transfers.len()).map(|n| settlement_key(pool, year, n)).collect();
        let start = i64::from(year.start_year());
        let (confirmed_by, found) = self.read(|conn| {
            let confirmed_by = confirmations_in(conn, pool, start, &posted.digest)?;
            let texts: Vec<&str> = keys.iter().map(String::as_str).collect();
            let mut found = 0usize;
            conn.query_matching(
                "SELECT idempotency_key FROM transfers WHERE idempotency_key",
                "",
                Values::Text(&texts),
                &mut |_| {
                    found += 1;
                    Ok(())
                },
            )?;
            Ok::<_, StoreError>((confirmed_by, found))
        })?;
        let when = posted.posted_at.get(..16).unwrap_or(&posted.posted_at).replace('T', " ");
        let detail = match (keys.first(), keys.last()) {
            (Some(first), Some(last)) if found == keys.len() => format!(
                "every partner confirmed these figures, and the ledger holds all {found} of their balancing transfers (keys {first} to {last}), posted {when} (UTC)"
            ),
            (Some(first), Some(last)) => format!(
                "every partner confirmed these figures, but the ledger holds only {found} of their {} balancing transfers (keys {first} to {last}); run onebudget check",
                keys.len()
            ),
            _ => format!(
                "every partner confirmed these figures at {when} (UTC); no money needed to move"
            ),
        };
        settlement.steps.push(Step { title: "Posted".into(), detail, amount: None });
        let waiting_for = waiting_for(&settlement, &confirmed_by);
        Ok(SettlementView {
            settlement,
            digest: posted.digest,
            confirmed_by,
            waiting_for,
            posted: true,
            posted_at: Some(posted.posted_at),
        })
    }

    /// A finance officer of `organisation` confirms the settlement whose digest is
    /// `digest`. When every partner has confirmed the same figures, the balancing
    /// transfers are posted, all or nothing, and the settlement is kept as confirmed.
    pub fn confirm_pool_settlement(
        &self,
        pool: &str,
        year: FinancialYear,
        organisation: &str,
        username: &str,
        digest: &str,
    ) -> Result<(SettlementView, Vec<PostedTransfer>), PoolStoreError> {
        let view = self.pool_settlement(pool, year)?;
        if view.posted {
            return Err(already_posted(pool, year));
        }
        if !view.settlement.partners.iter().any(|p| p.organisation == organisation) {
            return Err(PoolStoreError::Pool(PoolError::Refused(format!(
                "{organisation} is not a partner of {pool}; a finance officer of each partner confirms"
            ))));
        }
        let digest = digest.trim();
        if view.digest != digest {
            return Err(PoolStoreError::Pool(PoolError::Refused(
                "the settlement has changed since you looked at it (the ledger or the agreement moved on); read it again and confirm the new figures".to_owned(),
            )));
        }
        let now = now_utc();
        let start = i64::from(year.start_year());
        // The last confirmation: no other partner is still awaited. (When none is, every
        // partner confirmed but the settlement was not posted, say after a crash; a repeat
        // confirmation by any partner posts it.)
        let last = view.waiting_for.iter().all(|o| o == organisation);
        let mut posted = Vec::new();
        let mut record = None;
        if last {
            let json = serde_json::to_string(&view.settlement)
                .map_err(|e| StoreError::Corrupt(format!("a settlement cannot be written: {e}")))?;
            // Read it back before anything is posted, so what is kept is what was shown.
            let kept = PostedSettlement { digest: digest.to_owned(), json, posted_at: now.clone() };
            if kept.settlement()? != view.settlement {
                return Err(PoolStoreError::Store(StoreError::Corrupt(
                    "a settlement does not read back as it was written".into(),
                )));
            }
            // Post first (idempotent keys), then record the confirmation and the settlement
            // in one transaction: a crash between the two leaves the transfers posted and
            // the confirmation repeatable (see `pool_settlement`).
            if !view.settlement.transfers.is_empty() {
                let transfers = settlement_transfers(pool, year, &view.settlement)?;
                posted = self.post(&transfers)?;
            }
            record = Some(kept);
        }
        self.write(|conn| {
            if let Some(existing) = posted_settlement_in(conn, pool, start)? {
                if existing.digest != digest {
                    return Err(already_posted(pool, year));
                }
            } else if let Some(record) = &record {
                conn.execute(
                    "INSERT INTO pool_settlements (pool, year, digest, settlement_json, transfers, posted_by, posted_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    &[
                        Value::Text(pool),
                        Value::Int(start),
                        Value::Text(digest),
                        Value::Text(&record.json),
                        Value::Int(i64::try_from(view.settlement.transfers.len()).unwrap_or(i64::MAX)),
                        Value::Text(username),
                        Value::Text(&now),
                    ],
                )?;
            }
            let known = conn.query_int(
                "SELECT id FROM pool_settlement_confirmations WHERE pool = $1 AND year = $2 AND organisation = $3 AND digest = $4",
                &[Value::Text(pool), Value::Int(start), Value::Text(organisation), Value::Text(digest)],
            )?;
            if known.is_none() {
                conn.execute(
                    "INSERT INTO pool_settlement_confirmations (pool, year, organisation, digest, username, confirmed_at) VALUES ($1, $2, $3, $4, $5, $6)",
                    &[Value::Text(pool), Value::Int(start), Value::Text(organisation), Value::Text(digest), Value::Text(username), Value::Text(&now)],
                )?;
            }
            Ok::<_, PoolStoreError>(())
        })?;
        Ok((self.pool_settlement(pool, year)?, posted))
    }

    /// The transfers that pay each partner's contributions for `month` into the schemes,
    /// under the version in force on the month's first day.
    pub fn pool_contributions_due(
        &self,
        pool: &str,
        year: FinancialYear,
        month: usize,
    ) -> Result<Vec<Transfer>, PoolStoreError> {
        let date = year.month_start(month);
        let (version, agreement) = self.agreement_on(pool, year, date)?;
        if !agreement.kind.moves_money() {
            return Err(PoolStoreError::Pool(PoolError::Refused(format!(
                "{pool} is an aligned budget: each partner keeps its own money, so no contributions move"
            ))));
        }
        let closed = self.pool_closed_through(pool, year)?;
        if month <= closed {
            return Err(refuse(
                "month",
                &year.month_label(month),
                format!(
                    "months are closed through {}; nothing more is posted into a closed month",
                    year.month_label(closed)
                ),
            ));
        }
        let figures = self.pool_figures(&agreement)?;
        let mut transfers = Vec::new();
        for (p, partner) in agreement.partners.iter().enumerate() {
            for (s, scheme) in agreement.schemes.iter().enumerate() {
                let paid_before = figures.paid_into_before(s, p, month);
                let due = agreement.contribution_due(p, s, month, paid_before)?;
                if !due.is_positive() {
                    continue;
                }
                transfers.push(Transfer::try_from(&TransferInput {
                    idempotency_key: format!(
                        "pool/{pool}/{}/contribution/{}/{}/{}",
                        year.start_year(),
                        year.month_label(month),
                        partner.organisation,
                        scheme.code
                    ),
                    from: partner.account.as_str().to_owned(),
                    to: scheme.account.as_str().to_owned(),
                    amount: due.to_plain_string(),
                    stream: partner.stream.as_str().to_owned(),
                    effective_date: date.to_string(),
                    reason: "contribution".into(),
                    memo: format!(
                        "{} contribution to {} ({}), {}, agreement version {}",
                        partner.organisation,
                        scheme.name,
                        pool,
                        year.month_label(month),
                        version.version
                    ),
                    reverses: None,
                })?);
            }
        }
        Ok(transfers)
    }

    /// A payment from a scheme, split across the partners' streams by the scheme's
    /// funding split. Refused in a closed month; refused by the ledger, naming the stream,
    /// when the scheme holds too little of a partner's money.
    #[allow(clippy::too_many_arguments)]
    pub fn pool_payment(
        &self,
        pool: &str,
        year: FinancialYear,
        scheme: &str,
        to: &str,
        amount: Money,
        date: NaiveDate,
        key: &str,
        reason: &str,
        memo: &str,
    ) -> Result<Vec<Transfer>, PoolStoreError> {
        if !year.contains(date) {
            return Err(refuse(
                "date",
                &date.to_string(),
                format!("is not in the financial year {}", year.label()),
            ));
        }
        let (_, agreement) = self.agreement_on(pool, year, date)?;
        let Some((_, scheme_row)) = agreement.scheme(scheme) else {
            let known: Vec<&str> = agreement.schemes.iter().map(|s| s.code.as_str()).collect();
            return Err(refuse(
                "scheme",
                scheme,
                format!("is not a scheme of {pool}; its schemes are {}", known.join(", ")),
            ));
        };
        let closed = self.pool_closed_through(pool, year)?;
        if year.month_of(date).is_some_and(|m| m <= closed) {
            return Err(refuse(
                "date",
                &date.to_string(),
                format!(
                    "months are closed through {}; post the payment in an open month",
                    year.month_label(closed)
                ),
            ));
        }
        if !amount.is_positive() {
            return Err(refuse(
                "amount",
                &amount.to_plain_string(),
                "a payment moves a positive amount",
            ));
        }
        let parts = agreement.split_payment(scheme_row, amount)?;
        let mut transfers = Vec::new();
        for (p, part) in parts {
            let Some(partner) = agreement.partners.get(p) else { continue };
            transfers.push(Transfer::try_from(&TransferInput {
                idempotency_key: format!("{key}/{}", partner.stream),
                from: scheme_row.account.as_str().to_owned(),
                to: to.to_owned(),
                amount: part.to_plain_string(),
                stream: partner.stream.as_str().to_owned(),
                effective_date: date.to_string(),
                reason: reason.to_owned(),
                memo: memo.to_owned(),
                reverses: None,
            })?);
        }
        Ok(transfers)
    }

    /// Recompute `pool_flows` from the transfers and report every difference.
    pub fn check_pool_flows(&self) -> Result<Vec<Violation>, StoreError> {
        self.read(|conn| {
            let mut registered: Vec<i64> = Vec::new();
            conn.query_each("SELECT account_id FROM pool_accounts ORDER BY account_id", &[], &mut |row| {
                registered.push(row.int(0)?);
                Ok(())
            })?;
            if registered.is_empty() {
                return Ok(Vec::new());
            }
            let mut computed: HashMap<OwnedFlowKey, FlowSum> = HashMap::new();
            for &account in &registered {
                let ids = crate::postings::transfer_ids(conn, account)?;
                conn.query_matching(FLOW_COLUMNS, "", Values::Int(&ids), &mut |row| {
                    let (from, to, stream, date, reason, amount) = (row.int(0)?, row.int(1)?, row.int(2)?, row.date(3)?, row.text(4)?, row.int(5)?);
                    let month = first_of_month(date);
                    if from == account {
                        let sum = computed.entry((from, to, stream, month, reason)).or_default();
                        sum.1 += amount;
                        sum.2 += 1;
                    } else {
                        let sum = computed.entry((to, from, stream, month, reason)).or_default();
                        sum.0 += amount;
                        sum.2 += 1;
                    }
                    Ok(())
                })?;
            }
            let mut stored: HashMap<OwnedFlowKey, FlowSum> = HashMap::new();
            conn.query_each(
                "SELECT account_id, counterparty_id, stream_id, month, reason, money_in_pence, money_out_pence, transfers FROM pool_flows",
                &[],
                &mut |row| {
                    stored.insert((row.int(0)?, row.int(1)?, row.int(2)?, row.date(3)?, row.text(4)?), (row.int(5)?, row.int(6)?, row.int(7)?));
                    Ok(())
                },
            )?;
            let mut violations = Vec::new();
            for (key, value) in &computed {
                if stored.get(key) != Some(value) {
                    violations.push(Violation {
                        rule: "pool flows",
                        detail: format!("account #{} with #{} in {}: the transfers sum to {:?} but the monthly flows hold {:?}", key.0, key.1, key.3.format("%Y-%m"), value, stored.get(key)),
                    });
                }
            }
            for key in stored.keys() {
                if !computed.contains_key(key) {
                    violations.push(Violation { rule: "pool flows", detail: format!("account #{} with #{} in {}: monthly flows recorded with no transfers", key.0, key.1, key.3.format("%Y-%m")) });
                }
            }
            violations.sort_by(|a, b| a.detail.cmp(&b.detail));
            Ok(violations)
        })
    }
}

/// What a pool account's flows are summed from, for [`Conn::query_matching`] by id.
const FLOW_COLUMNS: &str = "SELECT from_account_id, to_account_id, stream_id, effective_date, reason, amount_pence FROM transfers WHERE id";

/// Sum an account's existing transfers into `pool_flows` when it joins a pool.
fn backfill_flows(conn: &mut dyn Conn, account_id: i64) -> Result<(), StoreError> {
    let mut rows: Vec<(i64, i64, i64, NaiveDate, String, i64)> = Vec::new();
    let ids = crate::postings::transfer_ids(conn, account_id)?;
    conn.query_matching(FLOW_COLUMNS, "", Values::Int(&ids), &mut |row| {
        rows.push((row.int(0)?, row.int(1)?, row.int(2)?, row.date(3)?, row.text(4)?, row.int(5)?));
        Ok(())
    })?;
    let mut sums: HashMap<FlowKey<'_>, FlowSum> = HashMap::new();
    for (from, to, stream, date, reason, amount) in &rows {
        let month = first_of_month(*date);
        if *from == account_id {
            let sum = sums.entry((*from, *to, *stream, month, reason.as_str())).or_default();
            sum.1 += amount;
            sum.2 += 1;
        }
        if *to == account_id {
            let sum = sums.entry((*to, *from, *stream, month, reason.as_str())).or_default();
            sum.0 += amount;
            sum.2 += 1;
        }
    }
    upsert_flows(conn, &sums)
}

/// The digest partners confirm: SHA-256 over the figures and transfers (not the wording).
fn settlement_digest(settlement: &Settlement) -> Result<String, StoreError> {
    let figures = serde_json::to_string(&(
        &settlement.pool,
        &settlement.year,
        settlement.budget,
        settlement.outturn,
        settlement.variance,
        settlement.carried_forward,
        &settlement.partners,
        &settlement.transfers,
    ))
    .map_err(|e| StoreError::Corrupt(format!("a settlement cannot be written: {e}")))?;
    let hash = Sha256::digest(figures.as_bytes());
    Ok(hash.iter().map(|b| format!("{b:02x}")).collect())
}

/// The settlement's transfers for the ledger: dated the year's last day, reason
/// `settlement`, keyed by pool, year and position.
fn settlement_transfers(
    pool: &str,
    year: FinancialYear,
    settlement: &Settlement,
) -> Result<Vec<Transfer>, PoolStoreError> {
    let mut transfers = Vec::new();
    for (index, transfer) in settlement.transfers.iter().enumerate() {
        transfers.push(Transfer::try_from(&TransferInput {
            idempotency_key: settlement_key(pool, year, index + 1),
            from: transfer.from.as_str().to_owned(),
            to: transfer.to.as_str().to_owned(),
            amount: transfer.amount.to_plain_string(),
            stream: transfer.stream.as_str().to_owned(),
            effective_date: year.last_day().to_string(),
            reason: "settlement".into(),
            memo: transfer.memo.clone(),
            reverses: None,
        })?);
    }
    Ok(transfers)
}

/// The idempotency key of a settlement's `n`th transfer (from 1).
fn settlement_key(pool: &str, year: FinancialYear, n: usize) -> String {
    format!("pool/{pool}/{}/settlement/{n}", year.start_year())
}

fn already_posted(pool: &str, year: FinancialYear) -> PoolStoreError {
    PoolStoreError::Pool(PoolError::Refused(format!(
        "the {} settlement of {pool} is already posted to the ledger",
        year.label()
    )))
}

/// Who has confirmed the settlement with `digest`, in order.
fn confirmations_in(
    conn: &mut dyn Conn,
    pool: &str,
    year: i64,
    digest: &str,
) -> Result<Vec<Confirmation>, StoreError> {
    let mut rows = Vec::new();
    conn.query_each(
        "SELECT organisation, username, confirmed_at FROM pool_settlement_confirmations WHERE pool = $1 AND year = $2 AND digest = $3 ORDER BY id",
        &[Value::Text(pool), Value::Int(year), Value::Text(digest)],
        &mut |row| {
            rows.push(Confirmation {
                organisation: row.text(0)?,
                username: row.text(1)?,
                confirmed_at: row.text(2)?,
            });
            Ok(())
        },
    )?;
    Ok(rows)
}

/// The settlement's partners that have not confirmed it, in the agreement's order.
fn waiting_for(settlement: &Settlement, confirmed_by: &[Confirmation]) -> Vec<String> {
    settlement
        .partners
        .iter()
        .map(|p| p.organisation.clone())
        .filter(|org| !confirmed_by.iter().any(|c| &c.organisation == org))
        .collect()
}

/// A settlement every partner confirmed, as kept in `pool_settlements`.
struct PostedSettlement {
    digest: String,
    json: String,
    posted_at: String,
}

impl PostedSettlement {
    /// The settlement, read back and checked against the digest the partners confirmed.
    fn settlement(&self) -> Result<Settlement, StoreError> {
        let stored: StoredSettlement = serde_json::from_str(&self.json)
            .map_err(|e| StoreError::Corrupt(format!("a posted settlement is unreadable: {e}")))?;
        let settlement = stored.into_settlement()?;
        if settlement_digest(&settlement)? != self.digest {
            return Err(StoreError::Corrupt(format!(
                "the posted {} settlement of {} does not match the digest its partners confirmed",
                settlement.year, settlement.pool
            )));
        }
        Ok(settlement)
    }
}

fn posted_settlement_in(
    conn: &mut dyn Conn,
    pool: &str,
    year: i64,
) -> Result<Option<PostedSettlement>, StoreError> {
    let mut found = None;
    conn.query_each(
        "SELECT digest, settlement_json, posted_at FROM pool_settlements WHERE pool = $1 AND year = $2",
        &[Value::Text(pool), Value::Int(year)],
        &mut |row| {
            found =
                Some(PostedSettlement { digest: row.text(0)?, json: row.text(1)?, posted_at: row.text(2)? });
            Ok(())
        },
    )?;
    Ok(found)
}

// The JSON of a `Settlement`, read back. Core's types are written, not read (their codes
// are checked on parsing), so these mirror them field for field; `into_settlement` names
// every field, so a field added to core does not compile until it is added here too, and
// `confirm_pool_settlement` reads each settlement back before it is posted.

#[derive(Deserialize)]
struct StoredSettlement {
    pool: String,
    year: String,
    kind: PoolKind,
    agreement_effective_from: NaiveDate,
    budget: Money,
    outturn: Money,
    variance: Money,
    rule: String,
    carried_forward: Money,
    partners: Vec<StoredPartner>,
    transfers: Vec<StoredTransfer>,
    steps: Vec<StoredStep>,
}

#[derive(Deserialize)]
struct StoredPartner {
    organisation: String,
    agreed: Money,
    paid: Money,
    spent: Money,
    share: Money,
    net: Money,
}

#[derive(Deserialize)]
struct StoredTransfer {
    from: String,
    to: String,
    stream: String,
    amount: Money,
    memo: String,
}

#[derive(Deserialize)]
struct StoredStep {
    title: String,
    detail: String,
    #[serde(default)]
    amount: Option<Money>,
}

impl StoredSettlement {
    fn into_settlement(self) -> Result<Settlement, StoreError> {
        let mut transfers = Vec::with_capacity(self.transfers.len());
        for t in self.transfers {
            transfers.push(SettlementTransfer {
                from: AccountCode::parse("from", &t.from)?,
                to: AccountCode::parse("to", &t.to)?,
                stream: StreamCode::parse("stream", &t.stream)?,
                amount: t.amount,
                memo: t.memo,
            });
        }
        Ok(Settlement {
            pool: self.pool,
            year: self.year,
            kind: self.kind,
            agreement_effective_from: self.agreement_effective_from,
            budget: self.budget,
            outturn: self.outturn,
            variance: self.variance,
            rule: self.rule,
            carried_forward: self.carried_forward,
            partners: self
                .partners
                .into_iter()
                .map(|p| PartnerSettlement {
                    organisation: p.organisation,
                    agreed: p.agreed,
                    paid: p.paid,
                    spent: p.spent,
                    share: p.share,
                    net: p.net,
                })
                .collect(),
            transfers,
            steps: self
                .steps
                .into_iter()
                .map(|s| Step { title: s.title, detail: s.detail, amount: s.amount })
                .collect(),
        })
    }
}
