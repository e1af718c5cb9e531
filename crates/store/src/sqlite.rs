//! The SQLite backend: the embedded default. A file in WAL mode with `synchronous=FULL`,
//! so a commit that returned is on disk; writers take the write lock up front with
//! `BEGIN IMMEDIATE`, so two writers never interleave.

use std::path::Path;
use std::time::Duration;

use chrono::NaiveDate;
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::types::{ToSqlOutput, ValueRef};

use crate::StoreError;
use crate::backend::{
    BalanceWrite, Conn, Row, TRANSFER_COLUMNS, TRANSFER_COLUMNS_BUT_ID, TransferRow, Value,
};

pub(crate) type Pool = r2d2::Pool<SqliteConnectionManager>;

pub(crate) fn open(path: &Path) -> Result<Pool, StoreError> {
    // WAL is kept in the file, so it is set once here, on one connection, before the pool
    // opens its first connections side by side: SQLite refuses a concurrent switch to WAL
    // with "database is locked" without waiting, and the pool, though it retries, logged
    // that as an error on every new database.
    let connect_error = |e: rusqlite::Error| StoreError::Connect {
        url: path.display().to_string(),
        message: e.to_string(),
    };
    let first = rusqlite::Connection::open(path).map_err(connect_error)?;
    first.busy_timeout(Duration::from_secs(30)).map_err(connect_error)?;
    first
        .query_row("PRAGMA journal_mode = WAL", [], |row| row.get::<_, String>(0))
        .map_err(connect_error)?;
    drop(first);
    let manager = SqliteConnectionManager::file(path).with_init(|c| {
        c.busy_timeout(Duration::from_secs(30))?;
        c.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = FULL;
             PRAGMA foreign_keys = ON;
             PRAGMA cache_size = -131072;
             PRAGMA temp_store = MEMORY;
             PRAGMA wal_autocheckpoint = 16384;",
        )?;
        c.set_prepared_statement_cache_capacity(64);
        Ok(())
    });
    r2d2::Pool::builder()
        .max_size(8)
        .connection_timeout(Duration::from_secs(30))
        .build(manager)
        .map_err(|e| StoreError::Connect {
            url: path.display().to_string(),
            message: e.to_string(),
        })
}

/// Run `f` in a transaction: `BEGIN IMMEDIATE` for writes, a deferred (snapshot) one for
/// reads. Commits if `f` succeeds, rolls back otherwise.
pub(crate) fn transaction<T, E: From<StoreError>>(
    pool: &Pool,
    write: bool,
    f: impl FnOnce(&mut dyn Conn) -> Result<T, E>,
) -> Result<T, E> {
    let mut conn = pool.get().map_err(|e| StoreError::Pool(e.to_string()))?;
    let conn: &mut rusqlite::Connection = &mut conn;
    conn.execute_batch(if write { "BEGIN IMMEDIATE" } else { "BEGIN" })
        .map_err(StoreError::from)?;
    // If `f` panics, roll back before the panic goes on: the connection goes back to the
    // pool as it unwinds, and with the transaction open (a writer's holding SQLite's
    // write lock) every later writer would wait on it, and whoever took it next would
    // commit the half-done work.
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(conn)));
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(panic) => {
            let _ = conn.execute_batch("ROLLBACK");
            std::panic::resume_unwind(panic)
        }
    };
    match outcome {
        Ok(value) => match conn.execute_batch("COMMIT") {
            Ok(()) => Ok(value),
            Err(error) => {
                let _ = conn.execute_batch("ROLLBACK");
                Err(StoreError::from(error).into())
            }
        },
        Err(error) => {
            // The first error is the one to report (after an I/O error SQLite may already
            // have rolled back, and ROLLBACK then fails too).
            if let Err(rollback) = conn.execute_batch("ROLLBACK") {
                tracing::warn!(error = %rollback, "rollback failed after an error");
            }
            Err(error)
        }
    }
}

impl rusqlite::ToSql for Value<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Value::Int(v) => ToSqlOutput::from(*v),
            Value::OptInt(Some(v)) => ToSqlOutput::from(*v),
            Value::OptInt(None) => ToSqlOutput::Borrowed(ValueRef::Null),
            Value::Text(v) => ToSqlOutput::Borrowed(ValueRef::Text(v.as_bytes())),
            Value::OptText(Some(v)) => ToSqlOutput::Borrowed(ValueRef::Text(v.as_bytes())),
            Value::OptText(None) => ToSqlOutput::Borrowed(ValueRef::Null),
            Value::Date(d) => ToSqlOutput::from(iso_date(*d)),
            Value::OptDate(Some(d)) => ToSqlOutput::from(iso_date(*d)),
            Value::OptDate(None) => ToSqlOutput::Borrowed(ValueRef::Null),
            Value::Blob(v) => ToSqlOutput::Borrowed(ValueRef::Blob(v)),
        })
    }
}

/// `YYYY-MM-DD`, the form SQLite stores dates in (and compares correctly as text).
/// Written by hand, as is [`parse_iso_date`]: chrono's general formatter and parser were
/// a visible share of posting and of a full check.
fn iso_date(date: NaiveDate) -> String {
    use chrono::Datelike;
    format!("{:04}-{:02}-{:02}", date.year(), date.month(), date.day())
}

/// Bind a date as [`iso_date`] text, from a buffer on the stack for the years 0 to 9999
/// (every date a ledger holds in practice), so that binding one allocates nothing.
fn bind_date(
    statement: &mut rusqlite::CachedStatement<'_>,
    index: usize,
    date: NaiveDate,
) -> Result<(), StoreError> {
    use chrono::Datelike;
    let (year, month, day) = (date.year(), date.month(), date.day());
    let Ok(year @ 0..=9999) = u32::try_from(year) else {
        statement.raw_bind_parameter(index, iso_date(date))?;
        return Ok(());
    };
    let digit = |n: u32| b'0' + u8::try_from(n % 10).unwrap_or(0);
    let text = [
        digit(year / 1000),
        digit(year / 100),
        digit(year / 10),
        digit(year),
        b'-',
        digit(month / 10),
        digit(month),
        b'-',
        digit(day / 10),
        digit(day),
    ];
    statement.raw_bind_parameter(index, std::str::from_utf8(&text).unwrap_or_default())?;
    Ok(())
}

/// `YYYY-MM-DD` as stored by [`iso_date`].
fn parse_iso_date(bytes: &[u8]) -> Option<NaiveDate> {
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        bytes
            .get(range)?
            .iter()
            .try_fold(0u32, |n, b| b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0')))
    };
    if bytes.len() != 10 || bytes.get(4) != Some(&b'-') || bytes.get(7) != Some(&b'-') {
        return None;
    }
    NaiveDate::from_ymd_opt(i32::try_from(number(0..4)?).ok()?, number(5..7)?, number(8..10)?)
}

struct SqliteRow<'a, 'b>(&'a rusqlite::Row<'b>);

impl Row for SqliteRow<'_, '_> {
    fn int(&self, index: usize) -> Result<i64, StoreError> {
        Ok(self.0.get(index)?)
    }
    fn opt_int(&self, index: usize) -> Result<Option<i64>, StoreError> {
        Ok(self.0.get(index)?)
    }
    fn text(&self, index: usize) -> Result<String, StoreError> {
        Ok(self.0.get(index)?)
    }
    fn opt_text(&self, index: usize) -> Result<Option<String>, StoreError> {
        Ok(self.0.get(index)?)
    }
    fn date(&self, index: usize) -> Result<NaiveDate, StoreError> {
        let text = self.0.get_ref(index)?;
        let bytes = text.as_bytes().map_err(|e| StoreError::Corrupt(e.to_string()))?;
        parse_iso_date(bytes).ok_or_else(|| {
            StoreError::Corrupt(format!("{:?} is not a date", String::from_utf8_lossy(bytes)))
        })
    }
    fn blob(&self, index: usize) -> Result<Vec<u8>, StoreError> {
        Ok(self.0.get(index)?)
    }
}

impl Conn for rusqlite::Connection {
    fn execute(&mut self, sql: &str, params: &[Value<'_>]) -> Result<u64, StoreError> {
        let changed = self.prepare_cached(sql)?.execute(rusqlite::params_from_iter(params))?;
        Ok(u64::try_from(changed).unwrap_or(u64::MAX))
    }

    fn execute_script(&mut self, sql: &str) -> Result<(), StoreError> {
        Ok(self.execute_batch(sql)?)
    }

    fn event_rows_per_insert(&self) -> usize {
        1
    }

    fn query_each(
        &mut self,
        sql: &str,
        params: &[Value<'_>],
        each: &mut dyn FnMut(&dyn Row) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut statement = self.prepare_cached(sql)?;
        let mut rows = statement.query(rusqlite::params_from_iter(params))?;
        while let Some(row) = rows.next()? {
            each(&SqliteRow(row))?;
        }
        Ok(())
    }

    /// Upserts of [`ROWS_PER_INSERT`] rows at a time through one cached statement (the
    /// rest one by one), for the reason given at [`Conn::insert_transfers`] below.
    fn write_balances(&mut self, rows: &[BalanceWrite]) -> Result<(), StoreError> {
        let chunks = rows.chunks_exact(ROWS_PER_INSERT);
        let rest = chunks.remainder();
        if chunks.len() > 0 {
            upsert_balances(self, ROWS_PER_INSERT, chunks)?;
        }
        if !rest.is_empty() {
            upsert_balances(self, 1, rest.chunks(1))?;
        }
        Ok(())
    }

    /// Rows go in [`ROWS_PER_INSERT`] at a time through one cached multi-row statement
    /// (the rest one by one): each execution of a statement opens and closes cursors on
    /// the table and its indexes, which cost more than a row's own insert.
    ///
    /// Posting numbers a batch's transfers on from the highest id recorded, as SQLite
    /// numbers rows it is given without an id. When the rows are numbered so, SQLite is
    /// left to number them, which spares a search of the table for each row; the last id
    /// it gave is then checked, so if it ever differed the transaction would fail rather
    /// than record transfers under other ids.
    fn insert_transfers(&mut self, rows: &[TransferRow<'_>]) -> Result<(), StoreError> {
        let (Some(first), Some(last)) = (rows.first(), rows.last()) else { return Ok(()) };
        let highest: i64 =
            self.query_row("SELECT COALESCE(MAX(id), 0) FROM transfers", [], |row| row.get(0))?;
        let numbered_on = highest.checked_add(1) == Some(first.id)
            && rows.iter().enumerate().all(|(n, row)| {
                i64::try_from(n).ok().and_then(|n| first.id.checked_add(n)) == Some(row.id)
            });
        // A multi-row statement binds one `recorded_at` for all its rows.
        let one_time = rows.iter().all(|row| row.recorded_at == first.recorded_at);
        let shape = InsertShape {
            rows: if one_time { ROWS_PER_INSERT } else { 1 },
            ids_given: !numbered_on,
        };
        let chunks = rows.chunks_exact(shape.rows);
        let rest = chunks.remainder();
        if chunks.len() > 0 {
            let mut statement = self.prepare_cached(&shape.sql())?;
            shape.execute(&mut statement, chunks)?;
        }
        if !rest.is_empty() {
            let single = InsertShape { rows: 1, ..shape };
            let mut statement = self.prepare_cached(&single.sql())?;
            single.execute(&mut statement, rest.chunks(1))?;
        }
        if numbered_on && self.last_insert_rowid() != last.id {
            return Err(StoreError::Corrupt(format!(
                "SQLite numbered the last transfer of the batch {}, not {}",
                self.last_insert_rowid(),
                last.id
            )));
        }
        Ok(())
    }
}

/// How many rows one multi-row INSERT writes.
///
/// Multi-row statements say `OR FAIL`: a statement that fails part-way then keeps the
/// rows it wrote instead of undoing them itself, so SQLite keeps no statement journal
/// (which cost a twelfth of posting). The store rolls back the whole transaction on any
/// error, so nothing a failed statement wrote is ever committed.
const ROWS_PER_INSERT: usize = 32;

/// Execute the upsert for `per_statement` rows once per chunk of that many rows.
fn upsert_balances<'r>(
    conn: &rusqlite::Connection,
    per_statement: usize,
    chunks: impl Iterator<Item = &'r [BalanceWrite]>,
) -> Result<(), StoreError> {
    let mut statement = conn.prepare_cached(&upsert_balances_sql(per_statement))?;
    for chunk in chunks {
        for (n, row) in chunk.iter().enumerate() {
            let at = n * 4;
            statement.raw_bind_parameter(at + 1, row.account_id)?;
            statement.raw_bind_parameter(at + 2, row.stream_id)?;
            statement.raw_bind_parameter(at + 3, row.balance_pence)?;
            bind_date(&mut statement, at + 4, row.latest_effective_date)?;
        }
        statement.raw_execute()?;
    }
    Ok(())
}

/// `INSERT INTO balances … ON CONFLICT DO UPDATE` for `rows` rows of four parameters.
fn upsert_balances_sql(rows: usize) -> String {
    let values: Vec<String> = (0..rows)
        .map(|row| {
            let n = row * 4;
            format!("(?{}, ?{}, ?{}, ?{})", n + 1, n + 2, n + 3, n + 4)
        })
        .collect();
    format!(
        "INSERT OR FAIL INTO balances (account_id, stream_id, balance_pence, latest_effective_date) VALUES {} \
         ON CONFLICT (account_id, stream_id) DO UPDATE SET balance_pence = excluded.balance_pence, \
         latest_effective_date = excluded.latest_effective_date",
        values.join(", ")
    )
}

/// The form of one cached `INSERT INTO transfers`: how many rows it writes, and whether
/// it gives their ids or leaves SQLite to number them.
#[derive(Clone, Copy, Debug)]
struct InsertShape {
    rows: usize,
    ids_given: bool,
}

impl InsertShape {
    /// Parameters each row binds: its columns but `recorded_at`, which all rows share.
    fn per_row(self) -> usize {
        if self.ids_given { 10 } else { 9 }
    }

    /// The statement: `per_row` parameters a row, then `recorded_at` once, last.
    fn sql(self) -> String {
        let per_row = self.per_row();
        let shared = self.rows * per_row + 1;
        let values: Vec<String> = (0..self.rows)
            .map(|row| {
                let own: Vec<String> =
                    (row * per_row + 1..=(row + 1) * per_row).map(|n| format!("?{n}")).collect();
                format!("({}, ?{shared})", own.join(", "))
            })
            .collect();
        let columns = if self.ids_given { TRANSFER_COLUMNS } else { TRANSFER_COLUMNS_BUT_ID };
        format!("INSERT OR FAIL INTO transfers ({columns}) VALUES {}", values.join(", "))
    }

    /// Execute `statement` (made from [`InsertShape::sql`]) once per chunk of `rows`
    /// rows. Bound values stay bound between executions, so `recorded_at` is bound again
    /// only when it changes.
    fn execute<'r, 'a: 'r>(
        self,
        statement: &mut rusqlite::CachedStatement<'_>,
        chunks: impl Iterator<Item = &'r [TransferRow<'a>]>,
    ) -> Result<(), StoreError> {
        let per_row = self.per_row();
        let shared = self.rows * per_row + 1;
        let mut bound_recorded_at: Option<&str> = None;
        for chunk in chunks {
            for (n, row) in chunk.iter().enumerate() {
                let mut at = n * per_row;
                if self.ids_given {
                    statement.raw_bind_parameter(at + 1, row.id)?;
                    at += 1;
                }
                statement.raw_bind_parameter(at + 1, row.idempotency_key)?;
                statement.raw_bind_parameter(at + 2, row.from_account_id)?;
                statement.raw_bind_parameter(at + 3, row.to_account_id)?;
                statement.raw_bind_parameter(at + 4, row.amount_pence)?;
                statement.raw_bind_parameter(at + 5, row.stream_id)?;
                bind_date(statement, at + 6, row.effective_date)?;
                statement.raw_bind_parameter(at + 7, row.reason)?;
                statement.raw_bind_parameter(at + 8, row.memo)?;
                statement.raw_bind_parameter(at + 9, row.reverses_id)?;
                if bound_recorded_at != Some(row.recorded_at) {
                    statement.raw_bind_parameter(shared, row.recorded_at)?;
                    bound_recorded_at = Some(row.recorded_at);
                }
            }
            statement.raw_execute()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_columns_without_the_id_are_the_columns_after_it() {
        assert_eq!(TRANSFER_COLUMNS, format!("id, {TRANSFER_COLUMNS_BUT_ID}"));
    }

    /// Both forms of the insert, and both sizes, write exactly the rows given, under
    /// their ids; rows not numbered on from the highest id keep the ids they were given.
    #[test]
    fn transfers_are_inserted_under_their_own_ids_in_every_form() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE transfers (id INTEGER PRIMARY KEY, idempotency_key TEXT NOT NULL UNIQUE, \
             from_account_id BIGINT, to_account_id BIGINT, amount_pence BIGINT, stream_id BIGINT, \
             effective_date TEXT, reason TEXT, memo TEXT, reverses_id BIGINT, recorded_at TEXT);",
        )
        .unwrap();
        let keys: Vec<String> = (0..200).map(|n| format!("key-{n}")).collect();
        let row = |id: i64, at: &'static str| TransferRow {
            id,
            idempotency_key: keys.get(usize::try_from(id).unwrap()).unwrap(),
            from_account_id: id % 7,
            to_account_id: 100 + id % 5,
            amount_pence: id * 3 + 1,
            stream_id: 1,
            effective_date: NaiveDate::from_ymd_opt(2025, 4, 1).unwrap(),
            reason: "contribution",
            memo: "",
            reverses_id: if id % 9 == 0 { Some(id - 1) } else { None },
            recorded_at: at,
        };
        // Numbered on from the highest (none yet): 1..=70, two full statements and a rest.
        let first: Vec<_> = (1..=70).map(|id| row(id, "T1")).collect();
        Conn::insert_transfers(&mut conn, &first).unwrap();
        // Not numbered on (a gap), and with two recording times: ids as given.
        let mut second: Vec<_> = (80..=120).map(|id| row(id, "T2")).collect();
        second.push(row(130, "T3"));
        Conn::insert_transfers(&mut conn, &second).unwrap();
        let mut read = conn
            .prepare("SELECT id, idempotency_key, from_account_id, amount_pence, reverses_id, recorded_at FROM transfers ORDER BY id")
            .unwrap();
        let stored: Vec<(i64, String, i64, i64, Option<i64>, String)> = read
            .query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let expected: Vec<_> = first
            .iter()
            .chain(&second)
            .map(|r| {
                (
                    r.id,
                    r.idempotency_key.to_owned(),
                    r.from_account_id,
                    r.amount_pence,
                    r.reverses_id,
                    r.recorded_at.to_owned(),
                )
            })
            .collect();
        assert_eq!(stored, expected);
    }

    #[test]
    fn dates_read_back_as_written() {
        for (y, m, d) in [(2025, 4, 1), (1, 1, 1), (9999, 12, 31), (2024, 2, 29)] {
            let date = NaiveDate::from_ymd_opt(y, m, d).unwrap();
            assert_eq!(parse_iso_date(iso_date(date).as_bytes()), Some(date));
        }
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let mut statement = conn.prepare_cached("SELECT ?1").unwrap();
        for (y, m, d) in
            [(2025, 4, 1), (0, 1, 1), (1, 1, 1), (9999, 12, 31), (10000, 1, 1), (-1, 6, 30)]
        {
            let date = NaiveDate::from_ymd_opt(y, m, d).unwrap();
            bind_date(&mut statement, 1, date).unwrap();
            let mut rows = statement.raw_query();
            let bound: String = rows.next().unwrap().unwrap().get(0).unwrap();
            assert_eq!(bound, iso_date(date), "{date}");
        }
        for bad in ["2025-02-30", "2025/04/01", "25-04-01", "2025-04-1x", ""] {
            assert_eq!(parse_iso_date(bad.as_bytes()), None, "{bad}");
        }
    }
}
