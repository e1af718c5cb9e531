//! onebudget-store: persistence for onebudget, on SQLite (the embedded default) or
//! PostgreSQL, chosen by the database URL's scheme.
//!
//! [`Store::open`] connects, applies the embedded migrations and returns a handle that is
//! cheap to clone and safe to share between threads. Its methods are blocking; the web
//! server calls them from `spawn_blocking`. Every rule about *whether* a change is
//! allowed lives in `onebudget-core` (for the ledger, `plan_batch` and `check_ledger`);
//! this crate reads what those rules need inside a transaction, calls them, and writes
//! the result in the same transaction. The SQL is written once (`ledger.rs`,
//! `migrate.rs`) against the small interface in `backend.rs`.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use onebudget_core::ledger::{Account, AccountCode, FieldError, FundingStream, StreamCode};

mod access;
mod audit_writer;
mod backend;
mod budgets;
mod caseload;
mod events;
mod journal;
mod ledger;
mod measures;
mod migrate;
mod pools;
mod postgres;
mod postings;
mod recent;
mod sqlite;
pub mod testing;

pub use access::{
    AssessmentRecord, AuditEntry, AuditFilter, AuditRecord, Disabled, NewAssessment, NewToken,
    NewUser, OrganisationRecord, PASSWORD_CHARACTERS, PasswordSet, PersonRecord, SessionRecord,
    SpendRow, TOKEN_DAYS, TeamRecord, TokenRecord, UserError, UserRecord, check_new_password,
};
pub use audit_writer::AuditConnection;
pub use budgets::{
    BudgetChange, BudgetImport, BudgetStoreError, BudgetSummary, BudgetVersion, CaseloadRow,
    DpReview, FunderStatement, NeedsAssessmentRecord, PersonStatement, StatementEntry,
    StreamStatement, budget_account, budget_payments_for, direct_payment_account,
};
pub use caseload::{CaseloadPage, CaseloadQuery, CaseloadSort, Funding, ReviewDue};
pub use events::{
    EventCounts, FileRefused, ImportOptions, ImportSummary, LineError, MAX_ERRORS, ParsedEvents,
    SECRET_FILE_ENV, parse_events_csv,
};
pub use journal::JOURNAL_COMMODITY;
pub use ledger::{
    BalanceRow, CheckReport, OpenError, OpenOutcome, PostError, PostStatus, PostedTransfer,
    Statement, StatementLine,
};
pub use migrate::SCHEMA_VERSION;
pub use pools::{
    AgreementVersion, Confirmation, PoolStoreError, PoolSummary, PoolYear, SettlementView,
};
pub use recent::{PersonPage, RecentLines, SharedLines};

use backend::Conn;

/// The default database: a SQLite file in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://onebudget.db";

/// Something went wrong reading or writing the database (not a problem with the input).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "unsupported database URL (scheme {scheme:?}): use sqlite://PATH (e.g. sqlite://onebudget.db) or postgres://USER:PASSWORD@HOST/DATABASE"
    )]
    UnsupportedUrl { scheme: String },
    #[error("cannot open the database at {url}: {message}")]
    Connect { url: String, message: String },
    #[error("no database connection is free: {0}")]
    Pool(String),
    #[error("SQLite: {0}")]
    Sqlite(rusqlite::Error),
    /// A row would repeat a unique value (for the ledger: an idempotency key).
    #[error("a unique value is already recorded: {0}")]
    UniqueViolation(String),
    #[error("PostgreSQL: {0}")]
    Postgres(String),
    #[error(
        "the database has schema version {found}, newer than this onebudget knows ({known}); upgrade onebudget"
    )]
    SchemaTooNew { found: i64, known: i64 },
    #[error("the database holds a value onebudget cannot read: {0}")]
    Corrupt(String),
    #[error("cannot write the output: {0}")]
    Io(String),
    #[error("there is no {what} {}", onebudget_core::field::quoted(code))]
    NotFound { what: &'static str, code: String },
}

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> StoreError {
        match error.sqlite_error() {
            Some(e)
                if e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                    || e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY =>
            {
                StoreError::UniqueViolation(error.to_string())
            }
            _ => StoreError::Sqlite(error),
        }
    }
}

impl From<::postgres::Error> for StoreError {
    /// The server's own message and detail where there is one: the driver's display of a
    /// server error is only "db error".
    fn from(error: ::postgres::Error) -> StoreError {
        match error.as_db_error() {
            Some(db) if *db.code() == ::postgres::error::SqlState::UNIQUE_VIOLATION => {
                StoreError::UniqueViolation(db.message().to_owned())
            }
            Some(db) => StoreError::Postgres(match db.detail() {
                Some(detail) => format!("{} ({detail})", db.message()),
                None => db.message().to_owned(),
            }),
            None => StoreError::Postgres(error.to_string()),
        }
    }
}

impl From<FieldError> for StoreError {
    fn from(error: FieldError) -> StoreError {
        StoreError::Corrupt(error.to_string())
    }
}

#[derive(Clone)]
enum Backend {
    Sqlite(sqlite::Pool),
    Postgres(Arc<postgres::Pool>),
}

/// Accounts and streams never change once opened, so the store remembers them after the
/// transaction that created (or first read) them commits.
#[derive(Default)]
struct Catalogue {
    accounts: onebudget_core::ledger::FastMap<AccountCode, (i64, Account)>,
    streams: onebudget_core::ledger::FastMap<StreamCode, (i64, FundingStream)>,
}

/// A handle on the database. Clone it freely: clones share the connection pool.
#[derive(Clone)]
pub struct Store {
    backend: Backend,
    catalogue: Arc<RwLock<Catalogue>>,
    balance_cache: Arc<std::sync::Mutex<ledger::BalanceCache>>,
    /// People's latest statement lines, checked against the ledger on every read.
    recent: Arc<recent::Cache>,
    description: String,
}

/// Where a database URL points.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatabaseLocation {
    Sqlite(PathBuf),
    Postgres(String),
}

impl DatabaseLocation {
    /// Read a database URL: `sqlite://PATH` (relative, or `sqlite:///abs/path`), or
    /// `postgres://…` / `postgresql://…`. Anything else is refused with the forms to use.
    pub fn parse(url: &str) -> Result<DatabaseLocation, StoreError> {
        let trimmed = url.trim();
        if let Some(path) =
            trimmed.strip_prefix("sqlite://").or_else(|| trimmed.strip_prefix("sqlite:"))
        {
            let path = path.split('?').next().unwrap_or_default();
            if path.is_empty() || path == ":memory:" {
                return Err(StoreError::UnsupportedUrl { scheme: "sqlite".to_owned() });
            }
            return Ok(DatabaseLocation::Sqlite(PathBuf::from(path)));
        }
        if trimmed.starts_with("postgres://") || trimmed.starts_with("postgresql://") {
            return Ok(DatabaseLocation::Postgres(trimmed.to_owned()));
        }
        // Only the scheme: the rest of an unreadable URL may hold a password.
        let scheme = trimmed.split_once(':').map_or("(none)", |(scheme, _)| scheme);
        Err(StoreError::UnsupportedUrl { scheme: scheme.chars().take(20).collect() })
    }
}

impl Store {
    /// Connect to the database at `url`, creating a SQLite file if it does not exist, and
    /// bring its schema up to date.
    pub fn open(url: &str) -> Result<Store, StoreError> {
        let (backend, description, dialect) = match DatabaseLocation::parse(url)? {
            DatabaseLocation::Sqlite(path) => (
                Backend::Sqlite(sqlite::open(&path)?),
                format!("SQLite {}", path.display()),
                migrate::Dialect::Sqlite,
            ),
            DatabaseLocation::Postgres(url) => (
                Backend::Postgres(Arc::new(postgres::open(&url)?)),
                format!("PostgreSQL {}", postgres::describe(&url)),
                migrate::Dialect::Postgres,
            ),
        };
        let store = Store {
            backend,
            catalogue: Arc::default(),
            balance_cache: Arc::default(),
            recent: Arc::default(),
            description,
        };
        let now = now_utc();
        store.write(|conn| -> Result<(), StoreError> {
            migrate::ensure_table(conn)?;
            migrate::apply(conn, dialect, &now)
        })?;
        Ok(store)
    }

    /// Give PostgreSQL's planner statistics for tables it has none for, or (`all`) for
    /// every table, and return the tables analyzed. On SQLite it does nothing.
    ///
    /// Autovacuum analyzes a table only after 50 rows and a tenth of it have changed, so
    /// a table that stays small, such as `funding_streams` with its handful of rows, is
    /// never analyzed, and the planner then assumes hundreds of rows: on the demo it
    /// chose to hash every account to name the 33 balances of one stream, ten times the
    /// work of the plan it picks once it knows. `serve` calls this at start for the
    /// tables never analyzed; `demo` calls it with `all` after its bulk load, as
    /// PostgreSQL's documentation advises.
    pub fn refresh_statistics(&self, all: bool) -> Result<Vec<String>, StoreError> {
        match &self.backend {
            Backend::Sqlite(_) => Ok(Vec::new()),
            Backend::Postgres(pool) => postgres::analyze(pool, all),
        }
    }

    /// What database this is, with any password hidden: for logs and messages.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// Which backend this store runs on: `sqlite` or `postgres`.
    pub fn backend_name(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    fn write<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&mut dyn Conn) -> Result<T, E>,
    ) -> Result<T, E> {
        match &self.backend {
            Backend::Sqlite(pool) => sqlite::transaction(pool, true, f),
            Backend::Postgres(pool) => postgres::transaction(pool, true, f),
        }
    }

    fn read<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&mut dyn Conn) -> Result<T, E>,
    ) -> Result<T, E> {
        match &self.backend {
            Backend::Sqlite(pool) => sqlite::transaction(pool, false, f),
            Backend::Postgres(pool) => postgres::transaction(pool, false, f),
        }
    }
}

/// The current time in UTC as RFC 3339, for `recorded_at` columns. The store is the one
/// layer that reads the clock; core is given dates.
fn now_utc() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

#[cfg(test)]
mod tests {
    use crate::testing::TestDatabase;
    use crate::{Store, StoreError};

    /// A writer that panics mid-transaction leaves nothing behind, on either backend: the
    /// connection does not go back to the pool with the transaction open (SQLite rolls
    /// back as the panic passes; PostgreSQL's pool discards the connection), so later
    /// writers get the lock and nobody commits the half-done row.
    fn a_writer_that_panics_leaves_nothing_behind(url: &str) {
        let store = Store::open(url).unwrap();
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            store.write(|conn| -> Result<(), StoreError> {
                conn.execute(
                    "INSERT INTO funding_streams (code, name, owner_organisation, charging_basis, opened_at) \
                     VALUES ('HALF', 'half-done', 'X', 'means_tested', 'now')",
                    &[],
                )?;
                panic!("a bug in a writer")
            })
        }));
        assert!(panicked.is_err());
        for _ in 0..20 {
            store
                .write(|conn| conn.query_int("SELECT CAST(1 AS BIGINT)", &[]).map(|_| ()))
                .unwrap();
            store.streams().unwrap();
        }
        assert!(store.streams().unwrap().is_empty(), "the half-done write was committed");
    }

    #[test]
    fn a_writer_that_panics_leaves_nothing_behind_sqlite() {
        a_writer_that_panics_leaves_nothing_behind(&TestDatabase::sqlite().url);
    }

    #[test]
    fn a_writer_that_panics_leaves_nothing_behind_postgres() {
        let Some(db) = TestDatabase::postgres("a_writer_that_panics_leaves_nothing_behind") else {
            return;
        };
        // A lock left held would make the next writer fail after 2 s, not wait for ever.
        let separator = if db.url.contains('?') { '&' } else { '?' };
        a_writer_that_panics_leaves_nothing_behind(&format!(
            "{}{separator}options=-c%20lock_timeout%3D2000",
            db.url
        ));
    }
}
