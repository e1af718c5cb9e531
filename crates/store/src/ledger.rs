//! The ledger in the database: opening streams and accounts, posting batches of
//! transfers, balances (now or as of a date), account statements and the full check.
//!
//! Posting follows one pattern: inside a single write transaction, read what
//! `onebudget_core::ledger::plan_batch` needs, let it decide, then write the new
//! transfers and the changed balances. Either all of a batch is written or none of it.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use onebudget_core::ledger::{
    Account, AccountCode, AccountFacts, AccountInput, BatchContext, BatchError, FastMap,
    FieldError, FundingStream, FundingStreamInput, IdempotencyKey, OpenRecord, OwnerInput,
    PlannedTransfer, RecordedTransfer, StreamCode, Transfer, TransferFacts, TransferInput,
    Violation, check_ledger, history_needed, plan_batch,
};
use onebudget_core::money::Money;
use serde::Serialize;

use crate::backend::{BalanceWrite, Conn, Row, TransferRow, Value, Values};
use crate::{Store, StoreError, now_utc};

/// What happened to one transfer of a posted batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PostStatus {
    /// Recorded now.
    Created,
    /// Already recorded with the same content; nothing was written.
    AlreadyRecorded,
}

/// The outcome for one transfer of a batch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PostedTransfer {
    pub id: i64,
    pub idempotency_key: String,
    pub status: PostStatus,
}

/// Why a batch was not posted. Nothing of the batch was written.
#[derive(Debug, thiserror::Error)]
pub enum PostError {
    #[error(transparent)]
    Rejected(#[from] BatchError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Whether posting reads the batch's idempotency keys before planning it, or plans it as
/// new and relies on the unique index to object (see [`Store::post`]).
///
/// Regression: planning a replayed batch as new refused it as an overdraft instead of
/// returning the recorded transfers; the model test `sqlite_matches_the_model` found it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum KeyLookup {
    First,
    OnConflict,
}

/// What one posting transaction produced, for [`Store::post`] to keep once it commits.
struct Posting {
    posted: Vec<PostedTransfer>,
    accounts: FastMap<AccountCode, (i64, Account)>,
    streams: FastMap<StreamCode, (i64, FundingStream)>,
    cache: CacheUpdate,
}

/// One (account, stream) balance as stored in `balances`.
#[derive(Clone, Copy, Debug)]
struct CachedBalance {
    stream: i64,
    pence: i64,
    latest: NaiveDate,
}

/// The balances of accounts this process has read or written, as they stood at
/// `ledger_state.generation` = `generation`. Every posting transaction advances the
/// generation under the writer's lock, so while the database still shows this one, no
/// other writer (process or thread) has posted since, and these balances are current;
/// otherwise they are ignored and replaced. An account present here has all its pairs.
#[derive(Debug, Default)]
pub(crate) struct BalanceCache {
    generation: i64,
    accounts: FastMap<i64, Vec<CachedBalance>>,
    /// The transfers after the postings watermark, when this process recorded them all.
    after: Option<AfterWatermark>,
}

/// Every transfer after `through` (the postings watermark), in id order.
#[derive(Debug)]
struct AfterWatermark {
    through: i64,
    transfers: Vec<crate::postings::TransferSides>,
}

/// What a committed posting teaches the cache: the balances it read from the database
/// at generation `read_at`, and the ones it wrote, current at `written_at`.
struct CacheUpdate {
    read_at: i64,
    written_at: i64,
    fetched: FastMap<i64, Vec<CachedBalance>>,
    changed: Vec<BalanceWrite>,
    /// The transfers after the watermark once this posting commits, if known.
    after: Option<AfterWatermark>,
}

impl BalanceCache {
    /// Keep what a committed posting read and wrote. Called only after the commit.
    fn learn(&mut self, update: CacheUpdate) {
        if self.generation > update.read_at {
            // A later posting of this process is already here; this one is older news.
            return;
        }
        if self.generation < update.read_at {
            self.accounts.clear();
        }
        self.generation = update.written_at;
        self.after = update.after;
        self.accounts.extend(update.fetched);
        for write in update.changed {
            let pairs = self.accounts.entry(write.account_id).or_default();
            let value = CachedBalance {
                stream: write.stream_id,
                pence: write.balance_pence,
                latest: write.latest_effective_date,
            };
            match pairs.iter_mut().find(|p| p.stream == write.stream_id) {
                Some(pair) => *pair = value,
                None => pairs.push(value),
            }
        }
    }
}

/// Put one account's remembered or fetched balances into a batch's context.
fn add_balances(
    context: &mut BatchContext,
    account: &AccountCode,
    pairs: &[CachedBalance],
    stream_by_id: &FastMap<i64, &StreamCode>,
) {
    for pair in pairs {
        if let Some(stream) = stream_by_id.get(&pair.stream) {
            let key = (account.clone(), (*stream).clone());
            context.latest_dates.insert(key.clone(), pair.latest);
            context.balances.insert(key, Money::from_pence(pair.pence));
        }
    }
}

/// The outcome for one record of an `open` batch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OpenOutcome {
    Opened,
    AlreadyOpen,
}

/// Why an `open` batch was refused. Nothing of it was written.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("record {} of the batch: {error}", .index + 1)]
    Rejected { index: usize, error: FieldError },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One (account, stream) balance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BalanceRow {
    pub account: String,
    pub account_name: String,
    pub kind: String,
    pub owner_kind: String,
    pub owner: String,
    pub stream: String,
    pub balance: Money,
}

/// One line of an account statement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StatementLine {
    pub id: i64,
    pub effective_date: NaiveDate,
    pub idempotency_key: String,
    pub stream: String,
    pub reason: String,
    pub memo: String,
    /// The other account of the transfer.
    pub counterparty: String,
    pub money_in: Money,
    pub money_out: Money,
    /// The account's balance (all streams) after this line.
    pub balance: Money,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reverses: Option<String>,
}

/// An account's statement over a date range (inclusive at both ends).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Statement {
    pub account: Account,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub opening_balance: Money,
    pub money_in: Money,
    pub money_out: Money,
    pub closing_balance: Money,
    pub lines: Vec<StatementLine>,
}

/// The result of a full ledger check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CheckReport {
    pub transfers: u64,
    pub accounts: u64,
    pub balances: u64,
    /// The last transfer whose postings (the index of transfers by account) are written.
    pub postings_through: i64,
    pub violations: Vec<Violation>,
}

/// The widest range of effective dates: `parse_date` takes four-digit years only, so
/// every stored date lies in 0000-01-01 ..= 9999-12-31 (and SQLite's text dates compare
/// correctly within it).
fn date_bounds() -> (NaiveDate, NaiveDate) {
    let earliest = NaiveDate::from_ymd_opt(0, 1, 1).unwrap_or(NaiveDate::MIN);
    let latest = NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or(NaiveDate::MAX);
    (earliest, latest)
}

const SELECT_ACCOUNT: &str = "SELECT a.id, a.code, a.name, a.kind, a.owner_kind, a.owner_id, s.code, a.may_go_negative \
     FROM accounts a LEFT JOIN funding_streams s ON s.id = a.stream_id";
const SELECT_STREAM: &str =
    "SELECT id, code, name, owner_organisation, charging_basis FROM funding_streams";
const SELECT_TRANSFER: &str = "SELECT t.id, t.idempotency_key, fa.code, ta.code, t.amount_pence, s.code, \
     t.effective_date, t.reason, t.memo, rv.idempotency_key \
     FROM transfers t \
     JOIN accounts fa ON fa.id = t.from_account_id \
     JOIN accounts ta ON ta.id = t.to_account_id \
     JOIN funding_streams s ON s.id = t.stream_id \
     LEFT JOIN transfers rv ON rv.id = t.reverses_id";

fn account_from_row(row: &dyn Row) -> Result<(i64, Account), StoreError> {
    let owner_kind = row.text(4)?;
    let owner_id = row.text(5)?;
    let owner = match owner_kind.as_str() {
        "person" => OwnerInput { organisation: None, person: Some(owner_id) },
        _ => OwnerInput { organisation: Some(owner_id), person: None },
    };
    let input = AccountInput {
        code: row.text(1)?,
        name: Some(row.text(2)?),
        kind: row.text(3)?,
        owner,
        stream: row.opt_text(6)?,
        may_go_negative: row.int(7)? != 0,
    };
    Ok((row.int(0)?, Account::try_from(&input)?))
}

fn stream_from_row(row: &dyn Row) -> Result<(i64, FundingStream), StoreError> {
    let input = FundingStreamInput {
        code: row.text(1)?,
        name: Some(row.text(2)?),
        owner: row.text(3)?,
        charging_basis: row.text(4)?,
    };
    Ok((row.int(0)?, FundingStream::try_from(&input)?))
}

fn transfer_from_row(row: &dyn Row) -> Result<RecordedTransfer, StoreError> {
    let input = TransferInput {
        idempotency_key: row.text(1)?,
        from: row.text(2)?,
        to: row.text(3)?,
        amount: Money::from_pence(row.int(4)?).to_plain_string(),
        stream: row.text(5)?,
        effective_date: row.date(6)?.format("%Y-%m-%d").to_string(),
        reason: row.text(7)?,
        memo: row.text(8)?,
        reverses: row.opt_text(9)?,
    };
    Ok(RecordedTransfer { id: row.int(0)?, transfer: Transfer::try_from(&input)? })
}

impl Store {
    /// Open funding streams and accounts, all or nothing. Opening one that already exists
    /// with exactly the same details is a no-op; with different details it is refused,
    /// because accounts never change once opened.
    pub fn open_records(&self, records: &[OpenRecord]) -> Result<Vec<OpenOutcome>, OpenError> {
        let now = now_utc();
        let (outcomes, opened_streams, opened_accounts) = self.write(|conn| {
            let mut outcomes = Vec::with_capacity(records.len());
            let mut streams: HashMap<StreamCode, (i64, FundingStream)> = HashMap::new();
            let mut accounts = Vec::new();
            for (index, record) in records.iter().enumerate() {
                let reject = |field: &str, problem: String| OpenError::Rejected {
                    index,
                    error: FieldError::new(field, record.code(), problem),
                };
                match record {
                    OpenRecord::FundingStream(stream) => {
                        match find_stream(conn, stream.code())? {
                            Some((_, existing)) if existing == *stream => outcomes.push(OpenOutcome::AlreadyOpen),
                            Some(_) => {
                                return Err(reject(
                                    "code",
                                    "a funding stream with this code is already open with different details; streams never change once opened".to_owned(),
                                ));
                            }
                            None => {
                                let id = conn
                                    .query_int(
                                        "INSERT INTO funding_streams (code, name, owner_organisation, charging_basis, opened_at) \
                                         VALUES ($1, $2, $3, $4, $5) RETURNING id",
                                        &[
                                            Value::Text(stream.code().as_str()),
                                            Value::Text(stream.name()),
                                            Value::Text(stream.owner().as_str()),
                                            Value::Text(stream.charging_basis().as_str()),
                                            Value::Text(&now),
                                        ],
                                    )?
                                    .ok_or_else(|| StoreError::Corrupt("no id returned for a new stream".into()))?;
                                streams.insert(stream.code().clone(), (id, stream.clone()));
                                outcomes.push(OpenOutcome::Opened);
                            }
                        }
                    }
                    OpenRecord::Account(account) => match find_account(conn, account.code())? {
                        Some((_, existing)) if existing == *account => outcomes.push(OpenOutcome::AlreadyOpen),
                        Some(_) => {
                            return Err(reject(
                                "code",
                                "an account with this code is already open with different details; accounts never change once opened, so open a new one with another code".to_owned(),
                            ));
                        }
                        None => {
                            let stream_id = match account.stream() {
                                None => None,
                                Some(code) => match find_stream(conn, code)? {
                                    Some((id, _)) => Some(id),
                                    None => {
                                        return Err(OpenError::Rejected {
                                            index,
                                            error: FieldError::new(
                                                "stream",
                                                code.as_str(),
                                                "there is no funding stream with this code; open the stream first (earlier in the same file is fine)",
                                            ),
                                        });
                                    }
                                },
                            };
                            let id = conn
                                .query_int(
                                    "INSERT INTO accounts (code, name, kind, owner_kind, owner_id, stream_id, may_go_negative, opened_at) \
                                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                                    &[
                                        Value::Text(account.code().as_str()),
                                        Value::Text(account.name()),
                                        Value::Text(account.kind().as_str()),
                                        Value::Text(account.owner().kind_str()),
                                        Value::Text(account.owner().id_str()),
                                        Value::OptInt(stream_id),
                                        Value::Int(i64::from(account.may_go_negative())),
                                        Value::Text(&now),
                                    ],
                                )?
                                .ok_or_else(|| StoreError::Corrupt("no id returned for a new account".into()))?;
                            accounts.push((id, account.clone()));
                            outcomes.push(OpenOutcome::Opened);
                        }
                    },
                }
            }
            Ok::<_, OpenError>((outcomes, streams, accounts))
        })?;
        if let Ok(mut catalogue) = self.catalogue.write() {
            catalogue.streams.extend(opened_streams);
            catalogue
                .accounts
                .extend(opened_accounts.into_iter().map(|(id, a)| (a.code().clone(), (id, a))));
        }
        Ok(outcomes)
    }

    /// Every funding stream, by code.
    pub fn streams(&self) -> Result<Vec<FundingStream>, StoreError> {
        self.read(|conn| {
            let mut streams = Vec::new();
            conn.query_each(&format!("{SELECT_STREAM} ORDER BY code"), &[], &mut |row| {
                streams.push(stream_from_row(row)?.1);
                Ok(())
            })?;
            Ok(streams)
        })
    }

    /// Every account, by code.
    pub fn accounts(&self) -> Result<Vec<Account>, StoreError> {
        self.read(|conn| {
            let mut accounts = Vec::new();
            conn.query_each(&format!("{SELECT_ACCOUNT} ORDER BY a.code"), &[], &mut |row| {
                accounts.push(account_from_row(row)?.1);
                Ok(())
            })?;
            Ok(accounts)
        })
    }

    /// One account by code.
    pub fn account(&self, code: &AccountCode) -> Result<Option<Account>, StoreError> {
        self.read(|conn| Ok(find_account(conn, code)?.map(|(_, a)| a)))
    }

    /// A recorded transfer by its idempotency key.
    pub fn transfer(&self, key: &IdempotencyKey) -> Result<Option<RecordedTransfer>, StoreError> {
        self.read(|conn| {
            let mut found = None;
            conn.query_each(
                &format!("{SELECT_TRANSFER} WHERE t.idempotency_key = $1"),
                &[Value::Text(key.as_str())],
                &mut |row| {
                    found = Some(transfer_from_row(row)?);
                    Ok(())
                },
            )?;
            Ok(found)
        })
    }

    /// Whether the database answers: one trivial query, for health checks.
    pub fn ping(&self) -> Result<(), StoreError> {
        self.read(|conn| conn.query_int("SELECT CAST(1 AS BIGINT)", &[]).map(|_| ()))
    }

    /// The number of recorded transfers.
    pub fn transfer_count(&self) -> Result<u64, StoreError> {
        self.read(|conn| {
            let count = conn.query_int("SELECT COUNT(*) FROM transfers", &[])?.unwrap_or(0);
            Ok(u64::try_from(count).unwrap_or(0))
        })
    }

    /// Post a batch of transfers, all or nothing. A transfer whose idempotency key is
    /// already recorded with the same content is not written again and is reported as
    /// [`PostStatus::AlreadyRecorded`] with its original id.
    ///
    /// Most batches are all new, so the first attempt does not look keys up: it plans the
    /// batch as new and lets the unique index on idempotency keys object. If it does, that
    /// transaction is rolled back and the batch is planned again, this time reading every
    /// recorded transfer that shares a key with it. A refusal is also only final from the
    /// second attempt, since a repeat planned as new can look like an overdraft.
    pub fn post(&self, batch: &[Transfer]) -> Result<Vec<PostedTransfer>, PostError> {
        let recorded_at = now_utc();
        let started = std::time::Instant::now();
        let attempt =
            self.write(|conn| self.post_in(conn, batch, &recorded_at, KeyLookup::OnConflict));
        let Posting { posted, accounts, streams, cache } = match attempt {
            // A refusal on the first attempt may come from a repeat that was planned as
            // new (a replayed payment "overdraws"), so only the second attempt's is final.
            Err(PostError::Store(StoreError::UniqueViolation(_)) | PostError::Rejected(_)) => {
                self.write(|conn| self.post_in(conn, batch, &recorded_at, KeyLookup::First))?
            }
            other => other?,
        };
        let committed = started.elapsed();
        if let Ok(mut catalogue) = self.catalogue.write() {
            for (code, entry) in accounts {
                catalogue.accounts.entry(code).or_insert(entry);
            }
            for (code, entry) in streams {
                catalogue.streams.entry(code).or_insert(entry);
            }
        }
        if let Ok(mut remembered) = self.balance_cache.lock() {
            remembered.learn(cache);
        }
        tracing::debug!(
            committed_us = committed.as_micros(),
            total_us = started.elapsed().as_micros(),
            "post returned"
        );
        Ok(posted)
    }

    fn post_in(
        &self,
        conn: &mut dyn Conn,
        batch: &[Transfer],
        recorded_at: &str,
        lookup: KeyLookup,
    ) -> Result<Posting, PostError> {
        let started = std::time::Instant::now();
        let mut context = BatchContext::default();
        let (account_ids, stream_ids) = self.resolve_catalogue(conn, batch)?;
        for (code, (_, account)) in &account_ids {
            context.accounts.insert(code.clone(), account.clone());
        }
        for (code, (_, stream)) in &stream_ids {
            context.streams.insert(code.clone(), stream.clone());
        }

        // Transfers already recorded under the batch's keys (when looking first), and the
        // originals it reverses. Which keys exist is read from the unique index alone; the
        // full rows only of those found, so the usual all-new batch runs no join.
        let reversal_keys: Vec<&str> =
            batch.iter().filter_map(|t| t.reverses().map(IdempotencyKey::as_str)).collect();
        let mut keys: Vec<&str> = reversal_keys.clone();
        if lookup == KeyLookup::First {
            keys.extend(batch.iter().map(|t| t.idempotency_key().as_str()));
        }
        keys.sort_unstable();
        keys.dedup();
        let mut found: Vec<String> = Vec::new();
        conn.query_matching(
            "SELECT idempotency_key FROM transfers WHERE idempotency_key ",
            "",
            Values::Text(&keys),
            &mut |row| {
                found.push(row.text(0)?);
                Ok(())
            },
        )?;
        let found: Vec<&str> = found.iter().map(String::as_str).collect();
        conn.query_matching(
            &format!("{SELECT_TRANSFER} WHERE t.idempotency_key"),
            "",
            Values::Text(&found),
            &mut |row| {
                let recorded = transfer_from_row(row)?;
                context.recorded.insert(recorded.transfer.idempotency_key().clone(), recorded);
                Ok(())
            },
        )?;
        if !reversal_keys.is_empty() {
            conn.query_matching(
                "SELECT o.idempotency_key, CAST(SUM(r.amount_pence) AS BIGINT) FROM transfers o \
                 JOIN transfers r ON r.reverses_id = o.id WHERE o.idempotency_key ",
                " GROUP BY o.idempotency_key",
                Values::Text(&reversal_keys),
                &mut |row| {
                    let key = IdempotencyKey::parse("reverses", &row.text(0)?)?;
                    context.reversed_so_far.insert(key, Money::from_pence(row.int(1)?));
                    Ok(())
                },
            )?;
        }

        // Current balances of every account the batch touches.
        let account_by_id: FastMap<i64, &AccountCode> =
            account_ids.iter().map(|(code, (id, _))| (*id, code)).collect();
        let stream_by_id: FastMap<i64, &StreamCode> =
            stream_ids.iter().map(|(code, (id, _))| (*id, code)).collect();
        // Their balances: from what this process remembers while no other writer has
        // posted since (the generation says so), otherwise from the database.
        let (through, generation) = crate::postings::state(conn)?;
        let pairs_expected = account_by_id.len();
        context.balances.reserve(pairs_expected);
        context.latest_dates.reserve(pairs_expected);
        // Likewise the transfers after the watermark, for a merge: taken, not copied (a
        // posting that fails leaves the process not knowing them, which is only slower).
        let mut known_after: Option<Vec<crate::postings::TransferSides>> = None;
        let mut missing: Vec<i64> = Vec::new();
        match self.balance_cache.lock() {
            Ok(mut cache) if cache.generation == generation => {
                for (id, code) in &account_by_id {
                    match cache.accounts.get(id) {
                        Some(pairs) => add_balances(&mut context, code, pairs, &stream_by_id),
                        None => missing.push(*id),
                    }
                }
                known_after = cache
                    .after
                    .take()
                    .filter(|after| after.through == through)
                    .map(|a| a.transfers);
            }
            _ => missing.extend(account_by_id.keys()),
        }
        let mut fetched: FastMap<i64, Vec<CachedBalance>> =
            missing.iter().map(|id| (*id, Vec::new())).collect();
        conn.query_matching(
            "SELECT account_id, stream_id, balance_pence, latest_effective_date FROM balances WHERE account_id ",
            "",
            Values::Int(&missing),
            &mut |row| {
                if let Some(pairs) = fetched.get_mut(&row.int(0)?) {
                    pairs.push(CachedBalance { stream: row.int(1)?, pence: row.int(2)?, latest: row.date(3)? });
                }
                Ok(())
            },
        )?;
        for (id, pairs) in &fetched {
            if let Some(code) = account_by_id.get(id) {
                add_balances(&mut context, code, pairs, &stream_by_id);
            }
        }
        // The history of any protected account the batch reaches back into (rare: most
        // batches are dated on or after everything already recorded).
        for ((account, stream), from) in history_needed(batch, &context) {
            let (Some((account_id, _)), Some((stream_id, _))) =
                (account_ids.get(&account), stream_ids.get(&stream))
            else {
                continue;
            };
            let ids = crate::postings::transfer_ids(conn, *account_id)?;
            let mut movements: Vec<(NaiveDate, i64, Money)> = Vec::new();
            conn.query_matching(
                "SELECT id, effective_date, to_account_id, stream_id, amount_pence FROM transfers WHERE id",
                "",
                Values::Int(&ids),
                &mut |row| {
                    let date = row.date(1)?;
                    if row.int(3)? == *stream_id && date >= from {
                        let pence = row.int(4)?;
                        let signed = if row.int(2)? == *account_id { pence } else { -pence };
                        movements.push((date, row.int(0)?, Money::from_pence(signed)));
                    }
                    Ok(())
                },
            )?;
            movements.sort_unstable_by_key(|(date, id, _)| (*date, *id));
            let movements = movements.into_iter().map(|(date, _, amount)| (date, amount)).collect();
            context.later_movements.insert((account, stream), movements);
        }

        let read = started.elapsed();
        let plan = plan_batch(batch, &context)?;
        let planned = started.elapsed();

        let mut next_id =
            conn.query_int("SELECT COALESCE(MAX(id), 0) FROM transfers", &[])?.unwrap_or(0);
        let mut rows = Vec::with_capacity(plan.new_count());
        let mut posted = Vec::with_capacity(batch.len());
        let id_of = |code: &AccountCode| account_ids.get(code).map(|(id, _)| *id);
        for (transfer, planned) in batch.iter().zip(&plan.transfers) {
            let id = match planned {
                PlannedTransfer::AlreadyRecorded { id } => {
                    posted.push(PostedTransfer {
                        id: *id,
                        idempotency_key: transfer.idempotency_key().as_str().to_owned(),
                        status: PostStatus::AlreadyRecorded,
                    });
                    continue;
                }
                PlannedTransfer::RepeatInBatch { index } => {
                    let id = posted.get(*index).map_or(0, |p| p.id);
                    posted.push(PostedTransfer {
                        id,
                        idempotency_key: transfer.idempotency_key().as_str().to_owned(),
                        status: PostStatus::AlreadyRecorded,
                    });
                    continue;
                }
                PlannedTransfer::New => {
                    next_id = next_id
                        .checked_add(1)
                        .ok_or_else(|| StoreError::Corrupt("transfer ids exhausted".into()))?;
                    next_id
                }
            };
            let missing = || {
                StoreError::Corrupt(format!(
                    "transfer {} lost an account or stream",
                    transfer.idempotency_key()
                ))
            };
            rows.push(TransferRow {
                id,
                idempotency_key: transfer.idempotency_key().as_str(),
                from_account_id: id_of(transfer.from()).ok_or_else(missing)?,
                to_account_id: id_of(transfer.to()).ok_or_else(missing)?,
                amount_pence: transfer.amount().pence(),
                stream_id: stream_ids
                    .get(transfer.stream())
                    .map(|(id, _)| *id)
                    .ok_or_else(missing)?,
                effective_date: transfer.effective_date(),
                reason: transfer.reason().as_str(),
                memo: transfer.memo(),
                reverses_id: match transfer.reverses() {
                    Some(key) => Some(context.recorded.get(key).map(|r| r.id).ok_or_else(missing)?),
                    None => None,
                },
                recorded_at,
            });
            posted.push(PostedTransfer {
                id,
                idempotency_key: transfer.idempotency_key().as_str().to_owned(),
                status: PostStatus::Created,
            });
        }
        let (mut rows_written, mut flows_written) = (planned, planned);
        let mut after = known_after.map(|transfers| AfterWatermark { through, transfers });
        if !rows.is_empty() {
            conn.insert_transfers(&rows)?;
            rows_written = started.elapsed();
            crate::pools::record_pool_flows(conn, &rows)?;
            flows_written = started.elapsed();
            let known = after.take().map(|a| a.transfers);
            let (through, transfers) = crate::postings::after_batch(conn, &rows, through, known)?;
            after = transfers.map(|transfers| AfterWatermark { through, transfers });
        }
        let inserted = started.elapsed();

        let mut changed: Vec<BalanceWrite> = Vec::with_capacity(plan.balances.len());
        for (pair, balance) in &plan.balances {
            let missing =
                || StoreError::Corrupt(format!("balance of {} lost its ids or date", pair.0));
            changed.push(BalanceWrite {
                account_id: id_of(&pair.0).ok_or_else(missing)?,
                stream_id: stream_ids.get(&pair.1).map(|(id, _)| *id).ok_or_else(missing)?,
                balance_pence: balance.pence(),
                latest_effective_date: plan.latest_dates.get(pair).copied().ok_or_else(missing)?,
            });
        }
        changed.sort_unstable();
        conn.write_balances(&changed)?;
        tracing::debug!(
            transfers = batch.len(),
            new = rows.len(),
            read_us = read.as_micros(),
            plan_us = (planned - read).as_micros(),
            insert_us = (inserted - planned).as_micros(),
            rows_us = rows_written.saturating_sub(planned).as_micros(),
            flows_us = flows_written.saturating_sub(rows_written).as_micros(),
            balances_us = (started.elapsed() - inserted).as_micros(),
            since_last_us = started.elapsed().as_micros(),
            "posted a batch"
        );
        let cache = CacheUpdate {
            read_at: generation,
            written_at: if rows.is_empty() { generation } else { generation.saturating_add(1) },
            fetched,
            changed,
            after,
        };
        Ok(Posting { posted, accounts: account_ids, streams: stream_ids, cache })
    }

    /// The ids and details of every account and stream a batch names, from the
    /// in-memory catalogue where known, otherwise from the database.
    #[allow(clippy::type_complexity)]
    fn resolve_catalogue(
        &self,
        conn: &mut dyn Conn,
        batch: &[Transfer],
    ) -> Result<
        (FastMap<AccountCode, (i64, Account)>, FastMap<StreamCode, (i64, FundingStream)>),
        StoreError,
    > {
        let mut accounts: FastMap<AccountCode, (i64, Account)> = FastMap::default();
        let mut streams: FastMap<StreamCode, (i64, FundingStream)> = FastMap::default();
        let mut missing_accounts: HashSet<&AccountCode> = HashSet::new();
        let mut missing_streams: HashSet<&StreamCode> = HashSet::new();
        {
            let catalogue = self
                .catalogue
                .read()
                .map_err(|_| StoreError::Pool("catalogue lock poisoned".into()))?;
            for transfer in batch {
                for code in [transfer.from(), transfer.to()] {
                    if accounts.contains_key(code) {
                        continue;
                    }
                    match catalogue.accounts.get(code) {
                        Some(entry) => {
                            accounts.insert(code.clone(), entry.clone());
                        }
                        None => {
                            missing_accounts.insert(code);
                        }
                    }
                }
                let stream = transfer.stream();
                if !streams.contains_key(stream) {
                    match catalogue.streams.get(stream) {
                        Some(entry) => {
                            streams.insert(stream.clone(), entry.clone());
                        }
                        None => {
                            missing_streams.insert(stream);
                        }
                    }
                }
            }
        }
        let codes: Vec<&str> = missing_accounts.iter().map(|c| c.as_str()).collect();
        conn.query_matching(
            &format!("{SELECT_ACCOUNT} WHERE a.code"),
            "",
            Values::Text(&codes),
            &mut |row| {
                let (id, account) = account_from_row(row)?;
                accounts.insert(account.code().clone(), (id, account));
                Ok(())
            },
        )?;
        // Streams named by accounts must be known too, to map balances.
        let mut stream_codes: Vec<&str> = missing_streams.iter().map(|c| c.as_str()).collect();
        let account_streams: Vec<String> = accounts
            .values()
            .filter_map(|(_, a)| a.stream().map(|s| s.as_str().to_owned()))
            .filter(|s| !streams.keys().any(|k| k.as_str() == s))
            .collect();
        stream_codes.extend(account_streams.iter().map(String::as_str));
        stream_codes.sort_unstable();
        stream_codes.dedup();
        conn.query_matching(
            &format!("{SELECT_STREAM} WHERE code"),
            "",
            Values::Text(&stream_codes),
            &mut |row| {
                let (id, stream) = stream_from_row(row)?;
                streams.insert(stream.code().clone(), (id, stream));
                Ok(())
            },
        )?;
        Ok((accounts, streams))
    }

    /// Every (account, stream) balance, now or as it stood at the end of `as_of`, for
    /// every stream or only `stream`.
    pub fn balances(
        &self,
        as_of: Option<NaiveDate>,
        stream: Option<&StreamCode>,
    ) -> Result<Vec<BalanceRow>, StoreError> {
        self.read(|conn| {
            if let Some(code) = stream
                && find_stream(conn, code)?.is_none()
            {
                return Err(StoreError::NotFound { what: "funding stream", code: code.as_str().to_owned() });
            }
            let columns = "a.code, a.name, a.kind, a.owner_kind, a.owner_id, s.code";
            let mut params = Vec::new();
            // One stream's rows are chosen before summing, through the index on stream_id,
            // rather than summing every pair and dropping most of them.
            let only = |column: &str, index: usize| match stream {
                Some(_) => format!(
                    " {column} stream_id = (SELECT id FROM funding_streams WHERE code = ${index})"
                ),
                None => String::new(),
            };
            let source = match as_of {
                None => format!(
                    "SELECT account_id, stream_id, balance_pence AS delta FROM balances{}",
                    only("WHERE", 1)
                ),
                Some(date) => {
                    params.push(Value::Date(date));
                    format!(
                        "SELECT to_account_id AS account_id, stream_id, amount_pence AS delta FROM transfers WHERE effective_date <= $1{} \
                         UNION ALL SELECT from_account_id, stream_id, -amount_pence FROM transfers WHERE effective_date <= $1{}",
                        only("AND", 2),
                        only("AND", 2)
                    )
                }
            };
            if let Some(code) = stream {
                params.push(Value::Text(code.as_str()));
            }
            let filter = "";
            let sql = format!(
                // Sum by integer ids first, then name the (few) results: grouping the
                // joined text columns of every transfer was most of the time.
                "SELECT {columns}, m.total FROM \
                 (SELECT account_id, stream_id, CAST(SUM(delta) AS BIGINT) AS total FROM ({source}) d \
                  GROUP BY account_id, stream_id) m \
                 JOIN accounts a ON a.id = m.account_id JOIN funding_streams s ON s.id = m.stream_id \
                 {filter} ORDER BY a.code, s.code"
            );
            let mut rows = Vec::new();
            conn.query_each(&sql, &params, &mut |row| {
                rows.push(BalanceRow {
                    account: row.text(0)?,
                    account_name: row.text(1)?,
                    kind: row.text(2)?,
                    owner_kind: row.text(3)?,
                    owner: row.text(4)?,
                    stream: row.text(5)?,
                    balance: Money::from_pence(row.int(6)?),
                });
                Ok(())
            })?;
            Ok(rows)
        })
    }

    /// An account's statement from `from` to `to` inclusive (either may be open).
    pub fn statement(
        &self,
        code: &AccountCode,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> Result<Statement, StoreError> {
        let (earliest, latest) = date_bounds();
        self.read(|conn| {
            let (id, account) = find_account(conn, code)?.ok_or_else(|| StoreError::NotFound {
                what: "account",
                code: code.as_str().to_owned(),
            })?;
            let start = from.unwrap_or(earliest);
            let end = to.unwrap_or(latest);
            // Every transfer of the account, sorted here: the ids come from the postings,
            // and an `IN` list runs in chunks, so the database cannot order them for us.
            let ids = crate::postings::transfer_ids(conn, id)?;
            let mut rows: Vec<(NaiveDate, i64, StatementLine)> = Vec::with_capacity(ids.len());
            conn.query_matching(SELECT_STATEMENT_LINE, "", Values::Int(&ids), &mut |row| {
                let line = statement_line_from_row(row, id)?;
                rows.push((line.effective_date, line.id, line));
                Ok(())
            })?;
            rows.sort_unstable_by_key(|(date, id, _)| (*date, *id));
            let overflow =
                |e: onebudget_core::money::MoneyError| StoreError::Corrupt(e.to_string());
            let mut opening_balance = Money::ZERO;
            let (mut money_in, mut money_out) = (Money::ZERO, Money::ZERO);
            let mut lines = Vec::new();
            for (date, _, line) in rows {
                if date < start {
                    opening_balance = opening_balance
                        .checked_add(line.money_in)
                        .and_then(|b| b.checked_sub(line.money_out))
                        .map_err(overflow)?;
                } else if date <= end {
                    money_in = money_in.checked_add(line.money_in).map_err(overflow)?;
                    money_out = money_out.checked_add(line.money_out).map_err(overflow)?;
                    lines.push(line);
                }
            }
            let mut balance = opening_balance;
            for line in &mut lines {
                balance = balance
                    .checked_add(line.money_in)
                    .and_then(|b| b.checked_sub(line.money_out))
                    .map_err(overflow)?;
                line.balance = balance;
            }
            Ok(Statement {
                account,
                from,
                to,
                opening_balance,
                money_in,
                money_out,
                closing_balance: balance,
                lines,
            })
        })
    }

    /// Recompute every balance from the transfers and verify every ledger invariant.
    pub fn check(&self) -> Result<CheckReport, StoreError> {
        let mut report = self.check_ledger()?;
        report.violations.extend(self.check_pool_flows()?);
        Ok(report)
    }

    fn check_ledger(&self) -> Result<CheckReport, StoreError> {
        self.read(|conn| {
            let mut accounts = HashMap::new();
            conn.query_each("SELECT id, code, stream_id, may_go_negative FROM accounts", &[], &mut |row| {
                accounts.insert(
                    row.int(0)?,
                    AccountFacts {
                        code: AccountCode::parse("code", &row.text(1)?)?,
                        stream: row.opt_int(2)?,
                        may_go_negative: row.int(3)? != 0,
                    },
                );
                Ok(())
            })?;
            let mut streams = HashMap::new();
            conn.query_each("SELECT id, code FROM funding_streams", &[], &mut |row| {
                streams.insert(row.int(0)?, StreamCode::parse("code", &row.text(1)?)?);
                Ok(())
            })?;
            let mut stored = HashMap::new();
            conn.query_each("SELECT account_id, stream_id, balance_pence FROM balances", &[], &mut |row| {
                stored.insert((row.int(0)?, row.int(1)?), row.int(2)?);
                Ok(())
            })?;
            let mut transfers = Vec::new();
            conn.query_each(
                "SELECT id, effective_date, from_account_id, to_account_id, stream_id, amount_pence, reverses_id FROM transfers ORDER BY id",
                &[],
                &mut |row| {
                    transfers.push(TransferFacts {
                        id: row.int(0)?,
                        effective_date: row.date(1)?,
                        from_account: row.int(2)?,
                        to_account: row.int(3)?,
                        stream: row.int(4)?,
                        amount_pence: row.int(5)?,
                        reverses: row.opt_int(6)?,
                    });
                    Ok(())
                },
            )?;
            let (through, _) = crate::postings::state(conn)?;
            let postings = crate::postings::check(conn, &transfers, through)?;
            let count = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
            let (transfer_count, account_count, balance_count) = (count(transfers.len()), count(accounts.len()), count(stored.len()));
            let mut violations = check_ledger(&accounts, &streams, transfers, &stored);
            violations.extend(postings);
            Ok(CheckReport {
                transfers: transfer_count,
                accounts: account_count,
                balances: balance_count,
                postings_through: through,
                violations,
            })
        })
    }
}

/// The transfers `WHERE t.id IN (…)` as statement lines, for [`Conn::query_matching`]
/// and [`statement_line_from_row`].
pub(crate) const SELECT_STATEMENT_LINE: &str = "SELECT t.id, t.effective_date, t.idempotency_key, s.code, t.reason, t.memo, t.amount_pence, \
            t.to_account_id, fa.code, ta.code, rv.idempotency_key \
     FROM transfers t \
     JOIN accounts fa ON fa.id = t.from_account_id \
     JOIN accounts ta ON ta.id = t.to_account_id \
     JOIN funding_streams s ON s.id = t.stream_id \
     LEFT JOIN transfers rv ON rv.id = t.reverses_id \
     WHERE t.id";

/// A row of [`SELECT_STATEMENT_LINE`] as a line of account `account_id`'s statement,
/// its balance not yet worked out (zero).
pub(crate) fn statement_line_from_row(
    row: &dyn Row,
    account_id: i64,
) -> Result<StatementLine, StoreError> {
    let amount = Money::from_pence(row.int(6)?);
    let (money_in, money_out, counterparty) = if row.int(7)? == account_id {
        (amount, Money::ZERO, row.text(8)?)
    } else {
        (Money::ZERO, amount, row.text(9)?)
    };
    Ok(StatementLine {
        id: row.int(0)?,
        effective_date: row.date(1)?,
        idempotency_key: row.text(2)?,
        stream: row.text(3)?,
        reason: row.text(4)?,
        memo: row.text(5)?,
        counterparty,
        money_in,
        money_out,
        balance: Money::ZERO,
        reverses: row.opt_text(10)?,
    })
}

fn find_stream(
    conn: &mut dyn Conn,
    code: &StreamCode,
) -> Result<Option<(i64, FundingStream)>, StoreError> {
    let mut found = None;
    conn.query_each(
        &format!("{SELECT_STREAM} WHERE code = $1"),
        &[Value::Text(code.as_str())],
        &mut |row| {
            found = Some(stream_from_row(row)?);
            Ok(())
        },
    )?;
    Ok(found)
}

fn find_account(
    conn: &mut dyn Conn,
    code: &AccountCode,
) -> Result<Option<(i64, Account)>, StoreError> {
    let mut found = None;
    conn.query_each(
        &format!("{SELECT_ACCOUNT} WHERE a.code = $1"),
        &[Value::Text(code.as_str())],
        &mut |row| {
            found = Some(account_from_row(row)?);
            Ok(())
        },
    )?;
    Ok(found)
}
