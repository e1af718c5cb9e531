//! Fresh, throwaway databases for tests, on either backend, so every test suite in the
//! workspace runs the same cases on SQLite and PostgreSQL.
//!
//! SQLite databases are files in a temporary directory. PostgreSQL databases are created
//! on the server named by `ONEBUDGET_TEST_POSTGRES_URL` (a URL whose user may
//! `CREATE DATABASE`) and dropped when the [`TestDatabase`] is dropped. When that variable
//! is unset, [`TestDatabase::postgres`] returns `None` and says the test was skipped.

use std::sync::atomic::{AtomicU64, Ordering};

/// The environment variable that names the PostgreSQL server for tests.
pub const POSTGRES_URL_VARIABLE: &str = "ONEBUDGET_TEST_POSTGRES_URL";

/// Set (as the README's test command does) to make a missing PostgreSQL fail the tests
/// instead of skipping them.
pub const REQUIRE_POSTGRES_VARIABLE: &str = "ONEBUDGET_TEST_REQUIRE_POSTGRES";

/// A file to which each PostgreSQL test database made appends a line (the test binary's
/// package and the test's name), so the README's test command can fail when no test ran
/// on PostgreSQL at all, whatever the reason (a filter, a renamed variable, a harness that
/// stopped asking).
pub const POSTGRES_RAN_VARIABLE: &str = "ONEBUDGET_TEST_POSTGRES_RAN";

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A database that exists for the life of this value.
pub struct TestDatabase {
    pub url: String,
    _directory: Option<tempfile::TempDir>,
    drop_from: Option<(String, String)>,
}

impl TestDatabase {
    /// A new SQLite file in a fresh temporary directory.
    pub fn sqlite() -> TestDatabase {
        let directory = match tempfile::tempdir() {
            Ok(directory) => directory,
            Err(error) => fail(&format!("cannot make a temporary directory: {error}")),
        };
        let url = format!("sqlite://{}", directory.path().join("test.db").display());
        TestDatabase { url, _directory: Some(directory), drop_from: None }
    }

    /// A new, empty PostgreSQL database, or `None` (after printing why) when no server
    /// was given in `ONEBUDGET_TEST_POSTGRES_URL`.
    pub fn postgres(test: &str) -> Option<TestDatabase> {
        let Ok(admin_url) = std::env::var(POSTGRES_URL_VARIABLE) else {
            if std::env::var_os(REQUIRE_POSTGRES_VARIABLE).is_some() {
                fail(&format!(
                    "{REQUIRE_POSTGRES_VARIABLE} is set, so {test} must run on PostgreSQL, but {POSTGRES_URL_VARIABLE} is not set"
                ));
            }
            eprintln!(
                "skipped {test} on PostgreSQL: {POSTGRES_URL_VARIABLE} is not set (the README's test command sets it)"
            );
            return None;
        };
        let name = format!(
            "onebudget_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            chrono::Utc::now().timestamp_micros()
        );
        // The server was named, so failing to reach it fails the test rather than skipping it.
        let mut client = match postgres::Client::connect(&admin_url, postgres::NoTls) {
            Ok(client) => client,
            Err(error) => fail(&format!("cannot connect to {POSTGRES_URL_VARIABLE}: {error}")),
        };
        if let Err(error) = client.batch_execute(&format!("CREATE DATABASE {name}")) {
            fail(&format!("cannot create a test database: {error}"));
        }
        if let Some(path) = std::env::var_os(POSTGRES_RAN_VARIABLE) {
            let package = std::env::var("CARGO_PKG_NAME").unwrap_or_default();
            let line = format!("{package} {test}\n");
            let written = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .and_then(|mut file| std::io::Write::write_all(&mut file, line.as_bytes()));
            if let Err(error) = written {
                fail(&format!(
                    "cannot note the PostgreSQL test in {POSTGRES_RAN_VARIABLE}: {error}"
                ));
            }
        }
        let (base, query) = match admin_url.split_once('?') {
            Some((base, query)) => (base.to_owned(), format!("?{query}")),
            None => (admin_url.clone(), String::new()),
        };
        let prefix = match base.rsplit_once('/') {
            Some((prefix, _)) if prefix.ends_with(':') || prefix.ends_with('/') => base.clone(),
            Some((prefix, _)) => prefix.to_owned(),
            None => base.clone(),
        };
        Some(TestDatabase {
            url: format!("{prefix}/{name}{query}"),
            _directory: None,
            drop_from: Some((admin_url, name)),
        })
    }
}

/// Direct SQL against a test database, bypassing the store, to prove what the database
/// itself refuses and what `check` notices. The error is the database's own message.
pub fn raw_sql(url: &str, sql: &str) -> Result<(), String> {
    if let Some(path) = url.strip_prefix("sqlite://") {
        let connection = rusqlite::Connection::open(path).map_err(|e| e.to_string())?;
        connection.execute_batch(sql).map_err(|e| e.to_string())
    } else {
        let mut client =
            postgres::Client::connect(url, postgres::NoTls).map_err(|e| e.to_string())?;
        client
            .batch_execute(sql)
            .map_err(|e| e.as_db_error().map_or_else(|| e.to_string(), |d| d.message().to_owned()))
    }
}

/// Run a query straight on the database and return its rows as text, one line per row
/// (SQLite: columns joined by `|`, blobs in hex; PostgreSQL: each row as JSON), for tests
/// that check what is, or is not, stored.
pub fn raw_query(url: &str, sql: &str) -> Result<String, String> {
    let mut out = String::new();
    if let Some(path) = url.strip_prefix("sqlite://") {
        let connection = rusqlite::Connection::open(path).map_err(|e| e.to_string())?;
        let mut statement = connection.prepare(sql).map_err(|e| e.to_string())?;
        let columns = statement.column_count();
        let mut rows = statement.query([]).map_err(|e| e.to_string())?;
        while let Some(row) = rows.next().map_err(|e| e.to_string())? {
            for column in 0..columns {
                use rusqlite::types::ValueRef;
                let text = match row.get_ref(column).map_err(|e| e.to_string())? {
                    ValueRef::Null => "NULL".to_owned(),
                    ValueRef::Integer(v) => v.to_string(),
                    ValueRef::Real(v) => v.to_string(),
                    ValueRef::Text(v) => String::from_utf8_lossy(v).into_owned(),
                    ValueRef::Blob(v) => v.iter().map(|b| format!("{b:02x}")).collect(),
                };
                if column > 0 {
                    out.push('|');
                }
                out.push_str(&text);
            }
            out.push('\n');
        }
    } else {
        let mut client =
            postgres::Client::connect(url, postgres::NoTls).map_err(|e| e.to_string())?;
        let rows = client
            .query(&format!("SELECT row_to_json(t)::text FROM ({sql}) t"), &[])
            .map_err(|e| e.to_string())?;
        for row in rows {
            let text: String = row.try_get(0).map_err(|e| e.to_string())?;
            out.push_str(&text);
            out.push('\n');
        }
    }
    Ok(out)
}

/// Stop the test with a message: a test helper's one way to say the setup failed.
#[allow(clippy::panic)]
fn fail(message: &str) -> ! {
    panic!("{message}")
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = &self.drop_from
            && let Ok(mut client) = postgres::Client::connect(admin_url, postgres::NoTls)
        {
            let _ = client.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}

/// Generate one test per backend from one body: `backend_tests! { fn name(url: &str) { … } }`
/// makes `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! backend_tests {
    ($($(#[$meta:meta])* fn $name:ident($url:ident: &str) $body:block)*) => {
        $(
            $(#[$meta])*
            mod $name {
                #[allow(unused_imports)]
                use super::*;
                fn run($url: &str) $body
                #[test]
                fn sqlite() {
                    let database = $crate::testing::TestDatabase::sqlite();
                    run(&database.url);
                }
                #[test]
                fn postgres() {
                    if let Some(database) = $crate::testing::TestDatabase::postgres(stringify!($name)) {
                        run(&database.url);
                    }
                }
            }
        )*
    };
}

/// Import `csv` into `store` as `onebudget events import` does (kind from the header,
/// people linked by `secret`), recording a test operator's audit row; for tests that need
/// stored events.
pub fn import_events_csv(
    store: &crate::Store,
    csv: &str,
    secret: &onebudget_core::evidence::PseudonymSecret,
    file: &str,
) -> Result<crate::ImportSummary, String> {
    let links = store.person_links(secret).map_err(|e| e.to_string())?;
    let parsed = crate::parse_events_csv(csv.as_bytes(), None, secret, &links, &Default::default())
        .map_err(|e| e.to_string())?;
    let audit = crate::AuditEntry {
        at: "2026-01-01T00:00:00Z".into(),
        actor: "test".into(),
        actor_user_id: None,
        role: None,
        via: "command_line".into(),
        action: String::new(),
        person_code: None,
        target: String::new(),
        source: "test".into(),
        outcome: "success".into(),
        detail: String::new(),
    };
    store.import_events(&parsed, &links, file, &audit).map_err(|e| e.to_string())
}
