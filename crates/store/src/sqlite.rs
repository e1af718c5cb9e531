//! The SQLite backend: the embedded default. A file in WAL mode with `synchronous=FULL`,
//! so a commit that returned is on disk; writers take the write lock up front with
//! `BEGIN IMMEDIATE`, so two writers never interleave.

use std::path::Path;
use std::time::Duration;

use chrono::NaiveDate;
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::types::{ToSqlOutput, ValueRef};

use crate::StoreError;
use crate::backend::{Conn, Row, TRANSFER_COLUMNS, TransferRow, Value};

pub(crate) type Pool = r2d2::Pool<SqliteConnectionManager>;

pub(crate) fn open(path: &Path) -> Result<Pool, StoreError> {
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
    match f(conn) {
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

    fn insert_transfers(&mut self, rows: &[TransferRow<'_>]) -> Result<(), StoreError> {
        let sql = format!(
            "INSERT INTO transfers ({TRANSFER_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
        );
        let mut statement = self.prepare_cached(&sql)?;
        // Bound values stay bound between executions, so only what changes is bound again.
        let mut bound_recorded_at: Option<&str> = None;
        for row in rows {
            statement.raw_bind_parameter(1, row.id)?;
            statement.raw_bind_parameter(2, row.idempotency_key)?;
            statement.raw_bind_parameter(3, row.from_account_id)?;
            statement.raw_bind_parameter(4, row.to_account_id)?;
            statement.raw_bind_parameter(5, row.amount_pence)?;
            statement.raw_bind_parameter(6, row.stream_id)?;
            statement.raw_bind_parameter(7, Value::Date(row.effective_date))?;
            statement.raw_bind_parameter(8, row.reason)?;
            statement.raw_bind_parameter(9, row.memo)?;
            statement.raw_bind_parameter(10, row.reverses_id)?;
            if bound_recorded_at != Some(row.recorded_at) {
                statement.raw_bind_parameter(11, row.recorded_at)?;
                bound_recorded_at = Some(row.recorded_at);
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
    fn dates_read_back_as_written() {
        for (y, m, d) in [(2025, 4, 1), (1, 1, 1), (9999, 12, 31), (2024, 2, 29)] {
            let date = NaiveDate::from_ymd_opt(y, m, d).unwrap();
            assert_eq!(parse_iso_date(iso_date(date).as_bytes()), Some(date));
        }
        for bad in ["2025-02-30", "2025/04/01", "25-04-01", "2025-04-1x", ""] {
            assert_eq!(parse_iso_date(bad.as_bytes()), None, "{bad}");
        }
    }
}
