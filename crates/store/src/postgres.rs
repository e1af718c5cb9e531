//! The PostgreSQL backend. Writers serialise on one transaction-scoped advisory lock, so
//! a batch sees exactly the ledger it will change (the same guarantee SQLite's
//! `BEGIN IMMEDIATE` gives); readers use a repeatable-read snapshot. Transfers are
//! inserted with binary `COPY`, which is what lets a batch of thousands commit at once.

use std::collections::HashMap;
use std::error::Error as StdError;
use std::time::Duration;

use chrono::NaiveDate;
use postgres::binary_copy::BinaryCopyInWriter;
use postgres::error::SqlState;
use postgres::types::{IsNull, ToSql, Type, to_sql_checked};
use postgres::{Client, NoTls, Statement};

use crate::StoreError;
use crate::backend::{BalanceWrite, Conn, Row, TRANSFER_COLUMNS, TransferRow, Value, Values};

/// The connection pool. Each `postgres::Client` owns a small tokio runtime, and tokio
/// panics if a runtime is dropped on one of its async worker threads, which is where the
/// web server would drop the last handle on the store. So the pool is closed on a thread
/// of its own, whoever drops it.
pub(crate) struct Pool(Option<r2d2::Pool<Manager>>);

/// A connection taken from the pool.
pub(crate) type PooledConnection = r2d2::PooledConnection<Manager>;

impl Pool {
    pub(crate) fn connection(&self) -> Result<PooledConnection, StoreError> {
        let pool = self.0.as_ref().ok_or_else(|| StoreError::Pool("the pool is closed".into()))?;
        pool.get().map_err(|e| StoreError::Pool(e.to_string()))
    }
}

/// A connection and the statements prepared on it, by their SQL text.
///
/// `Client::execute` and `Client::query` with SQL text prepare an unnamed statement and
/// then run it: two round trips to the server for every statement. The store runs the
/// same few dozen statements over and over, so each connection prepares a statement once
/// and runs it by name after that, in one round trip. The server then plans it as any
/// prepared statement (a custom plan for the first five runs, then a generic plan where
/// that costs no more); the store's statements look rows up by key, where the two agree.
pub(crate) struct PgConnection {
    client: Client,
    statements: HashMap<String, Statement>,
    /// A transaction is open: set by `BEGIN` in [`begun`], cleared when it commits or
    /// rolls back. A connection given back with it set (the code that held it panicked)
    /// is discarded by the pool ([`Manager::has_broken`]), never handed out mid-transaction.
    in_transaction: bool,
}

/// How many statements a connection keeps prepared. The store's SQL is fixed text, but
/// a few statements are built for a number of rows, so the cache is bounded; when it is
/// full it is emptied and refilled by what runs next.
const MAX_STATEMENTS: usize = 256;

impl PgConnection {
    /// Commit the open transaction. Whatever the result, the server has ended it (a
    /// failed `COMMIT` rolls back; a broken connection is discarded).
    pub(crate) fn commit(&mut self) -> Result<(), StoreError> {
        let result = self.client.batch_execute("COMMIT");
        self.in_transaction = false;
        Ok(result?)
    }

    /// Roll back the open transaction, after an error; a failure is logged, and the
    /// connection, still marked as in a transaction, is then discarded by the pool.
    pub(crate) fn roll_back(&mut self) {
        match self.client.batch_execute("ROLLBACK") {
            Ok(()) => self.in_transaction = false,
            Err(error) => tracing::warn!(error = %error, "rollback failed after an error"),
        }
    }

    /// The prepared statement for `sql`, preparing it on first use.
    fn statement(&mut self, sql: &str) -> Result<Statement, StoreError> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.client.prepare(sql)?;
        if self.statements.len() >= MAX_STATEMENTS {
            self.statements.clear();
        }
        self.statements.insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }
}

/// Forget every prepared statement after an error that says the server no longer holds
/// them as they were prepared (a schema change under a running server, or a connection
/// pooler that reset the session), so the next transaction prepares them again.
fn forget_on<T>(
    statements: &mut HashMap<String, Statement>,
    result: Result<T, postgres::Error>,
) -> Result<T, StoreError> {
    if let Err(error) = &result
        && matches!(
            error.code(),
            Some(&SqlState::FEATURE_NOT_SUPPORTED | &SqlState::INVALID_SQL_STATEMENT_NAME)
        )
    {
        statements.clear();
    }
    Ok(result?)
}

/// Why the pool could not make or hand out a connection.
#[derive(Debug)]
pub(crate) struct ConnectionError(String);

impl std::fmt::Display for ConnectionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl StdError for ConnectionError {}

/// Makes the pool's connections (in place of `r2d2_postgres`, whose connections are bare
/// clients with nowhere to keep prepared statements).
pub(crate) struct Manager {
    config: postgres::Config,
}

impl r2d2::ManageConnection for Manager {
    type Connection = PgConnection;
    type Error = ConnectionError;

    fn connect(&self) -> Result<PgConnection, ConnectionError> {
        let client = self.config.connect(NoTls).map_err(|e| ConnectionError(error_chain(&e)))?;
        Ok(PgConnection { client, statements: HashMap::new(), in_transaction: false })
    }

    /// Run as a connection is taken from the pool. It asks the client whether its
    /// connection has closed (the server shut it, or it broke) rather than sending the
    /// server an empty query: that round trip cost every transaction a fifth or more of
    /// its time on loopback. A connection closed without the client noticing yet is
    /// found by the transaction's `BEGIN` and replaced there ([`begun`]).
    fn is_valid(&self, conn: &mut PgConnection) -> Result<(), ConnectionError> {
        if conn.client.is_closed() {
            return Err(ConnectionError("the connection to PostgreSQL has closed".to_owned()));
        }
        Ok(())
    }

    fn has_broken(&self, conn: &mut PgConnection) -> bool {
        conn.client.is_closed() || conn.in_transaction
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

/// How many connections the pool keeps.
const POOL_SIZE: u32 = 8;

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
    let manager = Manager { config };
    r2d2::Pool::builder()
        .max_size(POOL_SIZE)
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

/// `ANALYZE` the tables of the current schema that hold data but have never been
/// analyzed, or every table when `all` is set; see [`crate::Store::refresh_statistics`].
/// Only tables this role may analyze (its own) are chosen, and each waits at most five
/// seconds for its lock (a `VACUUM` or a schema change holding the table), so a server
/// is not held from starting.
pub(crate) fn analyze(pool: &Pool, all: bool) -> Result<Vec<String>, StoreError> {
    let mut conn = pool.connection()?;
    // Never analyzed: `reltuples` is -1 from PostgreSQL 14; on 13 the statistics views
    // are the only sign (an index build also sets `reltuples`, without statistics).
    let rows = conn.client.query(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         LEFT JOIN pg_stat_user_tables t ON t.relid = c.oid \
         WHERE n.nspname = current_schema() AND c.relkind = 'r' \
         AND pg_has_role(c.relowner, 'USAGE') \
         AND ($1 OR (pg_relation_size(c.oid) > 0 AND (c.reltuples < 0 \
              OR (t.last_analyze IS NULL AND t.last_autoanalyze IS NULL)))) \
         ORDER BY c.relname",
        &[&all],
    )?;
    let mut analyzed = Vec::with_capacity(rows.len());
    for row in rows {
        let table: String = row.try_get(0)?;
        let quoted = table.replace('"', "\"\"");
        if let Err(error) = conn.client.batch_execute(&format!(
            "BEGIN; SET LOCAL lock_timeout = '5s'; ANALYZE \"{quoted}\"; COMMIT"
        )) {
            if !conn.client.is_closed() {
                let _ = conn.client.batch_execute("ROLLBACK");
            }
            return Err(error.into());
        }
        analyzed.push(table);
    }
    Ok(analyzed)
}

/// A connection with `begin` run on it: `held` (a connection kept by its user, as the
/// audit writer keeps one) if it still works, else one from the pool.
///
/// The pool hands out a connection without asking the server first (see
/// [`Manager::is_valid`]), so one the server has closed since (a restart, a failover) is
/// found here, by `BEGIN`. Nothing has run on it, so it is dropped (the pool discards a
/// closed connection) and the next one tried, as many times as the pool has connections.
pub(crate) fn begun(
    pool: &Pool,
    begin: &str,
    held: Option<PooledConnection>,
) -> Result<PooledConnection, StoreError> {
    let mut next = held;
    let mut attempts = 0;
    loop {
        let mut conn = match next.take() {
            Some(conn) => conn,
            None => pool.connection()?,
        };
        conn.in_transaction = true;
        let Err(error) = conn.client.batch_execute(begin) else { return Ok(conn) };
        attempts += 1;
        let closed = error.is_closed()
            || conn.client.is_closed()
            || error.code() == Some(&SqlState::ADMIN_SHUTDOWN);
        if !closed || attempts > POOL_SIZE {
            // The writers' `BEGIN` is two statements: if the lock wait failed (a
            // statement timeout, say), a transaction is open on the connection and must
            // not go back to the pool that way.
            if !conn.client.is_closed() {
                conn.roll_back();
            }
            return Err(error.into());
        }
        tracing::info!(
            error = %error_chain(&error),
            "a pooled connection had closed; taking another"
        );
    }
}

pub(crate) fn transaction<T, E: From<StoreError>>(
    pool: &Pool,
    write: bool,
    f: impl FnOnce(&mut dyn Conn) -> Result<T, E>,
) -> Result<T, E> {
    let begin = if write {
        // READ COMMITTED explicitly: each statement then sees what committed before it,
        // so after the lock is granted the batch is planned against the latest ledger,
        // whatever default isolation the server or role sets.
        format!("BEGIN ISOLATION LEVEL READ COMMITTED; SELECT pg_advisory_xact_lock({WRITER_LOCK})")
    } else {
        "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY".to_owned()
    };
    let mut conn = begun(pool, &begin, None)?;
    let conn: &mut PgConnection = &mut conn;
    match f(conn) {
        Ok(value) => match conn.commit() {
            Ok(()) => Ok(value),
            Err(error) => Err(error.into()),
        },
        Err(error) => {
            // The first error is the one to report; a failed rollback only ends the session.
            conn.roll_back();
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
            Value::OptDate(v) => v.to_sql(ty, out),
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

impl Conn for PgConnection {
    fn execute(&mut self, sql: &str, params: &[Value<'_>]) -> Result<u64, StoreError> {
        let params: Vec<&(dyn ToSql + Sync)> =
            params.iter().map(|v| v as &(dyn ToSql + Sync)).collect();
        let statement = self.statement(sql)?;
        let result = self.client.execute(&statement, &params);
        forget_on(&mut self.statements, result)
    }

    fn execute_script(&mut self, sql: &str) -> Result<(), StoreError> {
        Ok(self.client.batch_execute(sql)?)
    }

    fn query_each(
        &mut self,
        sql: &str,
        params: &[Value<'_>],
        each: &mut dyn FnMut(&dyn Row) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let statement = self.statement(sql)?;
        let result = self.client.query_raw(&statement, params.iter().map(|v| v as &dyn ToSql));
        let rows = forget_on(&mut self.statements, result)?;
        each_row(rows, each)
    }

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
        let statement = self.statement(&format!("{prefix} = ANY($1) {suffix}"))?;
        let result = match values {
            Values::Text(texts) => {
                self.client.query_raw(&statement, [&texts as &(dyn ToSql + Sync)])
            }
            Values::Int(ints) => self.client.query_raw(&statement, [&ints as &(dyn ToSql + Sync)]),
        };
        let rows = forget_on(&mut self.statements, result)?;
        each_row(rows, each)
    }

    fn write_balances(&mut self, rows: &[BalanceWrite]) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let accounts: Vec<i64> = rows.iter().map(|r| r.account_id).collect();
        let streams: Vec<i64> = rows.iter().map(|r| r.stream_id).collect();
        let balances: Vec<i64> = rows.iter().map(|r| r.balance_pence).collect();
        let dates: Vec<NaiveDate> = rows.iter().map(|r| r.latest_effective_date).collect();
        let statement = self.statement(
            "INSERT INTO balances (account_id, stream_id, balance_pence, latest_effective_date) \
             SELECT * FROM UNNEST($1::BIGINT[], $2::BIGINT[], $3::BIGINT[], $4::DATE[]) \
             ON CONFLICT (account_id, stream_id) DO UPDATE SET balance_pence = excluded.balance_pence, \
             latest_effective_date = excluded.latest_effective_date",
        )?;
        let result = self.client.execute(&statement, &[&accounts, &streams, &balances, &dates]);
        forget_on(&mut self.statements, result)?;
        Ok(())
    }

    fn insert_transfers(&mut self, rows: &[TransferRow<'_>]) -> Result<(), StoreError> {
        let sink = self
            .client
            .copy_in(&format!("COPY transfers ({TRANSFER_COLUMNS}) FROM STDIN BINARY"))?;
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

/// Hand each row of a streamed query to `each`.
fn each_row(
    mut rows: postgres::RowIter<'_>,
    each: &mut dyn FnMut(&dyn Row) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    use postgres::fallible_iterator::FallibleIterator;
    while let Some(row) = rows.next()? {
        each(&PgRow(&row))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::testing::TestDatabase;
    use crate::{Backend, Store};

    /// A connection prepares a statement the first time it runs it and runs it by name
    /// after that; a schema change that leaves a prepared statement stale fails it at
    /// most once per connection, and the next run prepares it again.
    #[test]
    fn statements_are_prepared_once_per_connection_and_again_after_a_schema_change() {
        let Some(db) = TestDatabase::postgres("statements_are_prepared_once_per_connection") else {
            return;
        };
        let store = Store::open(&db.url).unwrap();
        let Backend::Postgres(pool) = &store.backend else { panic!("a PostgreSQL store") };
        let counts = super::transaction(pool, false, |conn| {
            let prepared = "SELECT count(*) FROM pg_prepared_statements";
            let query = "SELECT code, name FROM funding_streams ORDER BY code";
            let before = conn.query_int(prepared, &[])?;
            conn.query_each(query, &[], &mut |_| Ok(()))?;
            let after_first = conn.query_int(prepared, &[])?;
            conn.query_each(query, &[], &mut |_| Ok(()))?;
            let after_second = conn.query_int(prepared, &[])?;
            Ok::<_, crate::StoreError>((before, after_first, after_second))
        })
        .unwrap();
        let (before, after_first, after_second) = counts;
        assert_eq!(after_first, before.map(|n| n + 1), "the query was prepared by name");
        assert_eq!(after_second, after_first, "and run again without preparing it again");

        store.streams().unwrap();
        // Change a column's type under the running store: its cached SELECT of the
        // column no longer describes the table ("cached plan must not change result type").
        let mut admin = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
        admin
            .batch_execute("ALTER TABLE funding_streams ALTER COLUMN name TYPE VARCHAR(500)")
            .unwrap();
        let failures = (0..20).filter(|_| store.streams().is_err()).count();
        assert!(failures >= 1, "the change left the cached statement stale");
        assert!(failures <= 8, "{failures} reads failed: more than the pool's 8 connections");
        store.streams().unwrap();
    }

    /// The server ends every connection the store holds (as a restart or a failover
    /// does): the next reads take new connections and succeed, rather than failing once
    /// for each closed connection in the pool.
    #[test]
    fn connections_the_server_has_closed_are_replaced_without_failing_a_request() {
        let Some(db) = TestDatabase::postgres("connections_the_server_has_closed_are_replaced")
        else {
            return;
        };
        let store = Store::open(&db.url).unwrap();
        // Open several of the pool's connections at once, so several are idle in it.
        std::thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| {
                    for _ in 0..20 {
                        store.streams().unwrap();
                    }
                });
            }
        });
        let mut admin = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
        let ended = admin
            .query_one(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
                 WHERE datname = current_database() AND pid <> pg_backend_pid()",
                &[],
            )
            .unwrap()
            .get::<_, i64>(0);
        assert!(ended >= 1, "the store held connections");
        // pg_terminate_backend only signals; wait until the backends have gone, so the
        // pool holds only connections the server has already closed.
        for _ in 0..500 {
            let left = admin
                .query_one(
                    "SELECT count(*) FROM pg_stat_activity \
                     WHERE datname = current_database() AND pid <> pg_backend_pid()",
                    &[],
                )
                .unwrap()
                .get::<_, i64>(0);
            if left == 0 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        for read in 0..10 {
            if let Err(error) = store.streams() {
                panic!("read {read} after the server closed the connections failed: {error}");
            }
        }
    }

    /// A small table autovacuum never reaches gets statistics from
    /// `refresh_statistics`, and a table already analyzed is left alone.
    #[test]
    fn tables_never_analyzed_are_given_statistics() {
        let Some(db) = TestDatabase::postgres("tables_never_analyzed_are_given_statistics") else {
            return;
        };
        let store = Store::open(&db.url).unwrap();
        let mut admin = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
        admin
            .batch_execute(
                "INSERT INTO funding_streams (code, name, owner_organisation, charging_basis, opened_at) \
                 VALUES ('A', 'a', 'X', 'means_tested', 'now'), ('B', 'b', 'X', 'means_tested', 'now'), \
                 ('C', 'c', 'X', 'means_tested', 'now')",
            )
            .unwrap();
        let estimate = |admin: &mut postgres::Client| {
            admin
                .query_one("SELECT reltuples FROM pg_class WHERE relname = 'funding_streams'", &[])
                .unwrap()
                .get::<_, f32>(0)
        };
        // -1 (never analyzed) from PostgreSQL 14, 0 before.
        assert!(estimate(&mut admin) <= 0.0, "not analyzed yet");
        let analyzed = store.refresh_statistics(false).unwrap();
        assert!(analyzed.contains(&"funding_streams".to_owned()), "{analyzed:?}");
        assert!(
            !analyzed.contains(&"transfers".to_owned()),
            "an empty table is left: {analyzed:?}"
        );
        assert_eq!(estimate(&mut admin), 3.0);
        // Analyzed once, it is not analyzed again at the next start.
        assert!(!store.refresh_statistics(false).unwrap().contains(&"funding_streams".to_owned()));
        assert!(store.refresh_statistics(true).unwrap().contains(&"transfers".to_owned()));
    }

    /// A writer that gives up waiting for the writers' lock (here `lock_timeout`) has
    /// an open, failed transaction on its connection; it is rolled back before the
    /// connection goes back to the pool, so every later transaction on it works.
    #[test]
    fn a_writer_that_gives_up_waiting_for_the_lock_leaves_its_connection_usable() {
        let Some(db) = TestDatabase::postgres("a_writer_that_gives_up_waiting_for_the_lock") else {
            return;
        };
        let separator = if db.url.contains('?') { '&' } else { '?' };
        let url = format!("{}{separator}options=-c%20lock_timeout%3D200", db.url);
        let store = Store::open(&url).unwrap();
        let mut admin = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
        admin.query_one("SELECT pg_advisory_lock($1)", &[&super::WRITER_LOCK]).unwrap();
        let refused = store.write(|_| Ok::<_, crate::StoreError>(()));
        assert!(refused.is_err(), "the lock is held elsewhere, so the write gives up");
        admin.query_one("SELECT pg_advisory_unlock($1)", &[&super::WRITER_LOCK]).unwrap();
        // Enough transactions to take every connection in the pool more than once.
        for _ in 0..20 {
            store
                .write(|conn| conn.query_int("SELECT CAST(1 AS BIGINT)", &[]).map(|_| ()))
                .unwrap();
            store.streams().unwrap();
        }
    }
}
