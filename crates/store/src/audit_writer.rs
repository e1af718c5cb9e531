//! A connection kept for writing the audit log: the web server's audit writer owns one
//! and commits each group of rows on it.
//!
//! Holding a connection of its own (checked out of the pool for good) means the writer
//! never waits behind readers for a free connection, and every request waiting on it
//! would wait too. On PostgreSQL an audit commit takes no ledger writer lock: the audit
//! log is append-only with ids from its own sequence, so appending to it cannot change
//! what a posting batch is planned against, and a long batch no longer holds audit
//! commits (and every request waiting on one) back. SQLite has one writer at a time
//! anyway (`BEGIN IMMEDIATE`).

use crate::access::{AuditEntry, insert_audit};
use crate::backend::Conn;
use crate::{Backend, Store, StoreError};

type SqliteConnection = r2d2::PooledConnection<r2d2_sqlite::SqliteConnectionManager>;
type PostgresConnection = crate::postgres::PooledConnection;

enum Held {
    Sqlite(SqliteConnection),
    // Boxed: a PostgreSQL connection carries its prepared statements, and the two
    // variants would otherwise differ in size by a couple of hundred bytes.
    Postgres(Box<PostgresConnection>),
}

/// A connection for appending audit rows, taken from the store's pool when first used
/// and kept. After a failed commit it is given back and a fresh one taken next time, so a
/// broken connection (a restarted server) does not fail every later commit.
pub struct AuditConnection {
    store: Store,
    held: Option<Held>,
}

impl Store {
    /// A connection of its own for the audit writer (see [`AuditConnection`]). It takes
    /// a connection from the pool only when it first commits.
    pub fn audit_connection(&self) -> AuditConnection {
        AuditConnection { store: self.clone(), held: None }
    }
}

impl AuditConnection {
    /// Append `entries` in one transaction, committed (durable) when this returns `Ok`.
    pub fn append(&mut self, entries: &[AuditEntry]) -> Result<(), StoreError> {
        if entries.is_empty() {
            return Ok(());
        }
        let held = self.held.take();
        let (held, result) = match &self.store.backend {
            Backend::Sqlite(pool) => {
                let mut conn = match held {
                    Some(Held::Sqlite(conn)) => conn,
                    _ => pool.get().map_err(|e| StoreError::Pool(e.to_string()))?,
                };
                let result = append_in(&mut *conn, "BEGIN IMMEDIATE", entries);
                (Held::Sqlite(conn), result)
            }
            Backend::Postgres(pool) => {
                let held = match held {
                    Some(Held::Postgres(conn)) => Some(*conn),
                    _ => None,
                };
                // `begun` replaces the held connection, or a pooled one, that the server
                // has closed (a restart), so one restart fails no audit commit.
                let mut conn =
                    crate::postgres::begun(pool, "BEGIN ISOLATION LEVEL READ COMMITTED", held)?;
                let result = insert_audit(&mut *conn, entries).and_then(|()| conn.commit());
                if result.is_err() {
                    conn.roll_back();
                }
                (Held::Postgres(Box::new(conn)), result)
            }
        };
        // After a failure the connection goes back to the pool (which discards a broken
        // one) and the next commit takes another.
        if result.is_ok() {
            self.held = Some(held);
        }
        result
    }
}

/// `begin`, insert the rows, commit; roll back if anything failed (SQLite).
fn append_in(conn: &mut dyn Conn, begin: &str, entries: &[AuditEntry]) -> Result<(), StoreError> {
    conn.execute_script(begin)?;
    match insert_audit(conn, entries).and_then(|()| conn.execute_script("COMMIT")) {
        Ok(()) => Ok(()),
        Err(error) => {
            if let Err(rollback) = conn.execute_script("ROLLBACK") {
                tracing::warn!(error = %rollback, "rollback failed after an audit write failed");
            }
            Err(error)
        }
    }
}
