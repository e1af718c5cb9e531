//! The PostgreSQL backend. Writers serialise on one transaction-scoped advisory lock, so
//! a batch sees exactly the ledger it will change (the same guarantee SQLite's
//! `BEGIN IMMEDIATE` gives); readers use a repeatable-read snapshot. Transfers are
//! inserted with binary `COPY`, which is what lets a batch of thousands commit at once.

use std::error::Error as StdError;
use std::time::Duration;

use chrono::NaiveDate;
use postgres::binary_copy::BinaryCopyInWriter;
use postgres::types::{IsNull, ToSql, Type, to_sql_checked};
use postgres::{Client, NoTls};
use r2d2_postgres::PostgresConnectionManager;

use crate::StoreError;
use crate::backend::{BalanceWrite, Conn, Row, TRANSFER_COLUMNS, TransferRow, Value, Values};

/// The connection pool. Each `postgres::Client` owns a small tokio runtime, and tokio
/// panics if a runtime is dropped on one of its async worker threads, which is where the
/// web server would drop the last handle on the store. So the pool is closed on a thread
/// of its own, whoever drops it.
pub(crate) struct Pool(Option<r2d2::Pool<PostgresConnectionManager<NoTls>>>);

impl Pool {
    pub(crate) fn connection(
        &self,
    ) -> Result<r2d2::PooledConnection<PostgresConnectionManager<NoTls>>, StoreError> {
        let pool = self.0.as_ref().ok_or_else(|| StoreError::Pool("the pool is closed".into()))?;
        pool.get().map_err(|e| StoreError::Pool(e.to_string()))
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        if let Some(pool) = self.0.take() {
            match std::thread::Builder::new()
                .name("onebudget-pg-close".into())
                .spawn(move || drop(pool))
            {
                Ok(closer) => {
                    let _ = closer.join();
                }
                Err(error) => {
                    tracing::warn!(%error, "could not start a thread to close the database pool")
                }
            }
        }
    }
}

/// The advisory lock every ledger writer holds for the length of its transaction.
const WRITER_LOCK: i64 = 0x6f6e_6562_7564_6765; // "onebudge"

pub(crate) fn open(url: &str) -> Result<Pool, StoreError> {
    let config: postgres::Config = url.parse().map_err(|e: postgres::Error| {
        StoreError::Connect { url: describe(url), message: error_chain(&e) }
    })?;
    // One direct connection first: it fails at once with the server's reason (refused,
    // wrong password, no such database), where the pool would wait and then say less.
    let mut probe = config
        .connect(NoTls)
        .map_err(|e| StoreError::Connect { url: describe(url), message: error_chain(&e) })?;
    probe.simple_query("SELECT 1").map_err(StoreError::from)?;
    drop(probe);
    let manager = PostgresConnectionManager::new(config, NoTls);
    r2d2::Pool::builder()
        .max_size(8)
        .connection_timeout(Duration::from_secs(30))
        .build(manager)
        .map(|pool| Pool(Some(pool)))
        .map_err(|e| StoreError::Connect { url: describe(url), message: e.to_string() })
}

/// An error and its causes, joined: the driver's own message is often only "error
/// connecting to server".
fn error_chain(error: &dyn StdError) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

/// Where a PostgreSQL URL points, for messages and logs: rebuilt from its parsed parts
/// (user, hosts, ports, database), so no password can appear however it was written
/// (`user:password@`, `?password=`, or a key=value string).
pub(crate) fn describe(url: &str) -> String {
    let Ok(config) = url.parse::<postgres::Config>() else {
        return "a PostgreSQL URL that cannot be read".to_owned();
    };
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .map(|host| match host {
            postgres::config::Host::Tcp(name) => name.clone(),
            #[cfg(unix)]
            postgres::config::Host::Unix(path) => path.display().to_string(),
        })
        .collect();
    let port = config.get_ports().first().map(|p| format!(":{p}")).unwrap_or_default();
    let user = config.get_user().map(|u| format!("{u}@")).unwrap_or_default();
    let password = if config.get_password().is_some() { " (password hidden)" } else { "" };
    format!(
        "postgres://{user}{}{port}/{}{password}",
        hosts.join(","),
        config.get_dbname().unwrap_or("")
    )
}

pub(crate) fn transaction<T, E: From<StoreError>>(
    pool: &Pool,
    write: bool,
    f: impl FnOnce(&mut dyn Conn) -> Result<T, E>,
) -> Result<T, E> {
    let mut conn = pool.connection()?;
    let client: &mut Client = &mut conn;
    if write {
        client
            // READ COMMITTED explicitly: each statement then sees what committed before it,
            // so after the lock is granted the batch is planned against the latest ledger,
            // whatever default isolation the server or role sets.
            .batch_execute(&format!(
                "BEGIN ISOLATION LEVEL READ COMMITTED; SELECT pg_advisory_xact_lock({WRITER_LOCK})"
            ))
            .map_err(StoreError::from)?;
    } else {
        client
            .batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .map_err(StoreError::from)?;
    }
    match f(client) {
        Ok(value) => match client.batch_execute("COMMIT") {
            Ok(()) => Ok(value),
            Err(error) => Err(StoreError::from(error).into()),
        },
        Err(error) => {
            // The first error is the one to report; a failed rollback only ends the session.
            if let Err(rollback) = client.batch_execute("ROLLBACK") {
                tracing::warn!(error = %rollback, "rollback failed after an error");
            }
            Err(error)
        }
    }
}

impl ToSql for Value<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut postgres::types::private::BytesMut,
    ) -> Result<IsNull, Box<dyn StdError + Sync + Send>> {
        match self {
            Value::Int(v) => v.to_sql(ty, out),
            Value::OptInt(v) => v.to_sql(ty, out),
            Value::Text(v) => v.to_sql(ty, out),
            Value::OptText(v) => v.to_sql(ty, out),
            Value::Date(v) => v.to_sql(ty, out),
            Value::Blob(v) => v.to_sql(ty, out),
        }
    }
    fn accepts(ty: &Type) -> bool {
        <i64 as ToSql>::accepts(ty)
            || <&str as ToSql>::accepts(ty)
            || <NaiveDate as ToSql>::accepts(ty)
            || <&[u8] as ToSql>::accepts(ty)
    }
    to_sql_checked!();
}

struct PgRow<'a>(&'a postgres::Row);

impl Row for PgRow<'_> {
    fn int(&self, index: usize) -> Result<i64, StoreError> {
        Ok(self.0.try_get(index)?)
    }
    fn opt_int(&self, index: usize) -> Result<Option<i64>, StoreError> {
        Ok(self.0.try_get(index)?)
    }
    fn text(&self, index: usize) -> Result<String, StoreError> {
        Ok(self.0.try_get(index)?)
    }
    fn opt_text(&self, index: usize) -> Result<Option<String>, StoreError> {
        Ok(self.0.try_get(index)?)
    }
    fn date(&self, index: usize) -> Result<NaiveDate, StoreError> {
        Ok(self.0.try_get(index)?)
    }
    fn blob(&self, index: usize) -> Result<Vec<u8>, StoreError> {
        Ok(self.0.try_get(index)?)
    }
}

impl Conn for Client {
    fn execute(&mut self, sql: &str, params: &[Value<'_>]) -> Result<u64, StoreError> {
        let params: Vec<&(dyn ToSql + Sync)> =
            params.iter().map(|v| v as &(dyn ToSql + Sync)).collect();
        Ok(Client::execute(self, sql, &params)?)
    }

    fn execute_script(&mut self, sql: &str) -> Result<(), StoreError> {
        Ok(self.batch_execute(sql)?)
    }

    fn query_each(
        &mut self,
        sql: &str,
        params: &[Value<'_>],
        each: &mut dyn FnMut(&dyn Row) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        use postgres::fallible_iterator::FallibleIterator;
        let mut rows = self.query_raw(sql, params.iter().map(|v| v as &dyn ToSql))?;
        while let Some(row) = rows.next()? {
            each(&PgRow(&row))?;
        }
        Ok(())
    }

    fn query_matching(
        &mut self,
        prefix: &str,
        suffix: &str,
        values: Values<'_>,
        each: &mut dyn FnMut(&dyn Row) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        use postgres::fallible_iterator::FallibleIterator;
        if values.is_empty() {
            return Ok(());
        }
        let sql = format!("{prefix} = ANY($1) {suffix}");
        let mut rows = match values {
            Values::Text(texts) => self.query_raw(&sql, [&texts as &(dyn ToSql + Sync)])?,
            Values::Int(ints) => self.query_raw(&sql, [&ints as &(dyn ToSql + Sync)])?,
        };
        while let Some(row) = rows.next()? {
            each(&PgRow(&row))?;
        }
        Ok(())
    }

    fn write_balances(&mut self, rows: &[BalanceWrite]) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let accounts: Vec<i64> = rows.iter().map(|r| r.account_id).collect();
        let streams: Vec<i64> = rows.iter().map(|r| r.stream_id).collect();
        let balances: Vec<i64> = rows.iter().map(|r| r.balance_pence).collect();
        let dates: Vec<NaiveDate> = rows.iter().map(|r| r.latest_effective_date).collect();
        Client::execute(
            self,
            "INSERT INTO balances (account_id, stream_id, balance_pence, latest_effective_date) \
             SELECT * FROM UNNEST($1::BIGINT[], $2::BIGINT[], $3::BIGINT[], $4::DATE[]) \
             ON CONFLICT (account_id, stream_id) DO UPDATE SET balance_pence = excluded.balance_pence, \
             latest_effective_date = excluded.latest_effective_date",
            &[&accounts, &streams, &balances, &dates],
        )?;
        Ok(())
    }

    fn insert_transfers(&mut self, rows: &[TransferRow<'_>]) -> Result<(), StoreError> {
        let sink =
            self.copy_in(&format!("COPY transfers ({TRANSFER_COLUMNS}) FROM STDIN BINARY"))?;
        let types = [
            Type::INT8,
            Type::TEXT,
            Type::INT8,
            Type::INT8,
            Type::INT8,
            Type::INT8,
            Type::DATE,
            Type::TEXT,
            Type::TEXT,
            Type::INT8,
            Type::TEXT,
        ];
        let mut writer = BinaryCopyInWriter::new(sink, &types);
        for row in rows {
            writer.write(&[
                &row.id,
                &row.idempotency_key,
                &row.from_account_id,
                &row.to_account_id,
                &row.amount_pence,
                &row.stream_id,
                &row.effective_date,
                &row.reason,
                &row.memo,
                &row.reverses_id,
                &row.recorded_at,
            ])?;
        }
        writer.finish()?;
        Ok(())
    }
}
