//! The narrow interface the store's logic is written against, so that every query and
//! every rule about storage is written once and runs on both SQLite and PostgreSQL.
//!
//! [`Conn`] is a connection inside a transaction: run a statement, stream the rows of a
//! query, and bulk-insert transfers (the one operation each backend does its own fastest
//! way: a cached prepared statement in SQLite, binary `COPY` in PostgreSQL). [`Value`] is
//! a bound parameter and [`Row`] a result row. `sqlite.rs` and `postgres.rs` implement
//! them; `ledger.rs` and `migrate.rs` use them.

use chrono::NaiveDate;

use crate::StoreError;

/// A parameter bound into a statement. SQL text numbers parameters `$1`, `$2`, … in the
/// order they appear, which both SQLite and PostgreSQL read the same way.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Value<'a> {
    Int(i64),
    OptInt(Option<i64>),
    Text(&'a str),
    OptText(Option<&'a str>),
    Date(NaiveDate),
    OptDate(Option<NaiveDate>),
    Blob(&'a [u8]),
}

/// One result row.
pub(crate) trait Row {
    fn int(&self, index: usize) -> Result<i64, StoreError>;
    fn opt_int(&self, index: usize) -> Result<Option<i64>, StoreError>;
    fn text(&self, index: usize) -> Result<String, StoreError>;
    fn opt_text(&self, index: usize) -> Result<Option<String>, StoreError>;
    fn date(&self, index: usize) -> Result<NaiveDate, StoreError>;
    fn blob(&self, index: usize) -> Result<Vec<u8>, StoreError>;
}

/// A transfer ready to insert, in the store's integer ids.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TransferRow<'a> {
    pub id: i64,
    pub idempotency_key: &'a str,
    pub from_account_id: i64,
    pub to_account_id: i64,
    pub amount_pence: i64,
    pub stream_id: i64,
    pub effective_date: NaiveDate,
    pub reason: &'a str,
    pub memo: &'a str,
    pub reverses_id: Option<i64>,
    pub recorded_at: &'a str,
}

/// The columns of `transfers` in the order [`TransferRow`] is written.
pub(crate) const TRANSFER_COLUMNS: &str = "id, idempotency_key, from_account_id, to_account_id, \
     amount_pence, stream_id, effective_date, reason, memo, reverses_id, recorded_at";

/// [`TRANSFER_COLUMNS`] without the first, `id`.
pub(crate) const TRANSFER_COLUMNS_BUT_ID: &str = "idempotency_key, from_account_id, to_account_id, \
     amount_pence, stream_id, effective_date, reason, memo, reverses_id, recorded_at";

/// A connection with a transaction open.
pub(crate) trait Conn {
    /// Run one statement; returns the number of rows changed.
    fn execute(&mut self, sql: &str, params: &[Value<'_>]) -> Result<u64, StoreError>;
    /// Run several statements with no parameters (migrations).
    fn execute_script(&mut self, sql: &str) -> Result<(), StoreError>;
    /// Run a query and hand each row to `each`, streaming.
    fn query_each(
        &mut self,
        sql: &str,
        params: &[Value<'_>],
        each: &mut dyn FnMut(&dyn Row) -> Result<(), StoreError>,
    ) -> Result<(), StoreError>;
    /// Insert many transfers at once.
    fn insert_transfers(&mut self, rows: &[TransferRow<'_>]) -> Result<(), StoreError>;

    /// How many rows one INSERT of events should carry: SQLite is fastest with one row a
    /// statement (a multi-row INSERT … ON CONFLICT DO NOTHING makes it keep a statement
    /// journal of every page it changes); PostgreSQL with many (fewer round trips).
    fn event_rows_per_insert(&self) -> usize {
        400
    }

    /// Set the balance and latest date of each (account, stream), inserting the rows that
    /// do not exist yet. Multi-row upserts by default; PostgreSQL overrides it with one
    /// statement over arrays.
    fn write_balances(&mut self, rows: &[BalanceWrite]) -> Result<(), StoreError> {
        for chunk in rows.chunks(CHUNK / 4) {
            let mut values = String::new();
            let mut params = Vec::with_capacity(chunk.len() * 4);
            for (n, row) in chunk.iter().enumerate() {
                if n > 0 {
                    values.push_str(", ");
                }
                values.push('(');
                values.push_str(&placeholders(n * 4 + 1, 4));
                values.push(')');
                params.extend([
                    Value::Int(row.account_id),
                    Value::Int(row.stream_id),
                    Value::Int(row.balance_pence),
                    Value::Date(row.latest_effective_date),
                ]);
            }
            self.execute(
                &format!(
                    "INSERT INTO balances (account_id, stream_id, balance_pence, latest_effective_date) VALUES {values} \
                     ON CONFLICT (account_id, stream_id) DO UPDATE SET balance_pence = excluded.balance_pence, \
                     latest_effective_date = excluded.latest_effective_date"
                ),
                &params,
            )?;
        }
        Ok(())
    }

    /// Run `{prefix} IN (values…) {suffix}`: the rows whose column (named at the end of
    /// `prefix`) is one of `values`. This is an `IN (…)` list in chunks by default;
    /// PostgreSQL overrides it with one `= ANY($1)` array parameter, which it plans once.
    fn query_matching(
        &mut self,
        prefix: &str,
        suffix: &str,
        values: Values<'_>,
        each: &mut dyn FnMut(&dyn Row) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        if values.is_empty() {
            return Ok(());
        }
        let params: Vec<Value<'_>> = match values {
            Values::Text(texts) => texts.iter().map(|t| Value::Text(t)).collect(),
            Values::Int(ints) => ints.iter().map(|i| Value::Int(*i)).collect(),
        };
        for chunk in params.chunks(CHUNK) {
            let sql = format!("{prefix} IN ({}) {suffix}", placeholders(1, chunk.len()));
            self.query_each(&sql, chunk, each)?;
        }
        Ok(())
    }
}

/// One row of `balances` to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct BalanceWrite {
    pub account_id: i64,
    pub stream_id: i64,
    pub balance_pence: i64,
    pub latest_effective_date: NaiveDate,
}

/// The values for [`Conn::query_matching`].
#[derive(Clone, Copy, Debug)]
pub(crate) enum Values<'a> {
    Text(&'a [&'a str]),
    Int(&'a [i64]),
}

impl Values<'_> {
    pub(crate) fn is_empty(&self) -> bool {
        match self {
            Values::Text(v) => v.is_empty(),
            Values::Int(v) => v.is_empty(),
        }
    }
}

impl dyn Conn + '_ {
    /// The first column of the first row as an integer, if there is a row.
    pub(crate) fn query_int(
        &mut self,
        sql: &str,
        params: &[Value<'_>],
    ) -> Result<Option<i64>, StoreError> {
        let mut found = None;
        self.query_each(sql, params, &mut |row| {
            if found.is_none() {
                found = Some(row.int(0)?);
            }
            Ok(())
        })?;
        Ok(found)
    }

    /// The first column of the first row as text, if there is a row and it is not NULL.
    pub(crate) fn query_text(
        &mut self,
        sql: &str,
        params: &[Value<'_>],
    ) -> Result<Option<String>, StoreError> {
        let mut found = None;
        self.query_each(sql, params, &mut |row| {
            if found.is_none() {
                found = row.opt_text(0)?;
            }
            Ok(())
        })?;
        Ok(found)
    }
}

/// `$first, $first+1, …` for `count` parameters: the inside of an `IN (…)` list.
pub(crate) fn placeholders(first: usize, count: usize) -> String {
    let mut text = String::with_capacity(count * 6);
    for n in 0..count {
        if n > 0 {
            text.push_str(", ");
        }
        text.push('$');
        text.push_str(&(first + n).to_string());
    }
    text
}

/// How many values go in one `IN (…)` list or multi-row `VALUES`: well under both
/// SQLite's and PostgreSQL's parameter limits.
pub(crate) const CHUNK: usize = 500;
