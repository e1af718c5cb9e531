//! Schema migrations, embedded in the binary and applied when a store is opened.
//!
//! Each migration is one portable SQL file (with `{{id}}` and `{{date}}` filled in per
//! backend) plus an optional file per backend for what SQL cannot say portably. A
//! migration runs inside the writer's transaction, so two processes opening the same
//! database at once apply it exactly once, and a failed migration leaves nothing behind.

use crate::StoreError;
use crate::backend::{Conn, Value};

/// Which dialect a migration is being rendered for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

struct Migration {
    version: i64,
    name: &'static str,
    portable: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
    /// What the migration's SQL cannot do, run after it in the same transaction.
    then: Option<AfterSql>,
}

/// A step of a migration written in Rust, run after its SQL.
type AfterSql = fn(&mut dyn Conn) -> Result<(), StoreError>;

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "ledger",
        portable: include_str!("../migrations/0001_ledger.sql"),
        sqlite: include_str!("../migrations/0001_ledger.sqlite.sql"),
        postgres: include_str!("../migrations/0001_ledger.postgres.sql"),
        then: None,
    },
    Migration {
        version: 2,
        name: "people_and_access",
        portable: include_str!("../migrations/0002_people_and_access.sql"),
        sqlite: include_str!("../migrations/0002_people_and_access.sqlite.sql"),
        postgres: include_str!("../migrations/0002_people_and_access.postgres.sql"),
        then: None,
    },
    Migration {
        version: 3,
        name: "financial_assessments",
        portable: include_str!("../migrations/0003_financial_assessments.sql"),
        sqlite: include_str!("../migrations/0003_financial_assessments.sqlite.sql"),
        postgres: include_str!("../migrations/0003_financial_assessments.postgres.sql"),
        then: None,
    },
    Migration {
        version: 4,
        name: "pools",
        portable: include_str!("../migrations/0004_pools.sql"),
        sqlite: include_str!("../migrations/0004_pools.sqlite.sql"),
        postgres: include_str!("../migrations/0004_pools.postgres.sql"),
        then: None,
    },
    Migration {
        version: 5,
        name: "personal_budgets",
        portable: include_str!("../migrations/0005_personal_budgets.sql"),
        sqlite: include_str!("../migrations/0005_personal_budgets.sqlite.sql"),
        postgres: include_str!("../migrations/0005_personal_budgets.postgres.sql"),
        then: None,
    },
    Migration {
        version: 6,
        name: "pool_settlements",
        portable: include_str!("../migrations/0006_pool_settlements.sql"),
        sqlite: include_str!("../migrations/0006_pool_settlements.sqlite.sql"),
        postgres: include_str!("../migrations/0006_pool_settlements.postgres.sql"),
        then: None,
    },
    Migration {
        version: 7,
        name: "postings",
        portable: include_str!("../migrations/0007_postings.sql"),
        sqlite: include_str!("../migrations/0007_postings.sqlite.sql"),
        postgres: include_str!("../migrations/0007_postings.postgres.sql"),
        then: Some(crate::postings::index_existing),
    },
    Migration {
        version: 8,
        name: "one_budget_model",
        portable: include_str!("../migrations/0008_one_budget_model.sql"),
        sqlite: include_str!("../migrations/0008_one_budget_model.sqlite.sql"),
        postgres: include_str!("../migrations/0008_one_budget_model.postgres.sql"),
        then: None,
    },
    Migration {
        version: 9,
        name: "budget_components",
        portable: include_str!("../migrations/0009_budget_components.sql"),
        sqlite: include_str!("../migrations/0009_budget_components.sqlite.sql"),
        postgres: include_str!("../migrations/0009_budget_components.postgres.sql"),
        then: Some(crate::budgets::components_of_existing_versions),
    },
    Migration {
        version: 10,
        name: "disabled_users",
        portable: include_str!("../migrations/0010_disabled_users.sql"),
        sqlite: include_str!("../migrations/0010_disabled_users.sqlite.sql"),
        postgres: include_str!("../migrations/0010_disabled_users.postgres.sql"),
        then: None,
    },
    Migration {
        version: 11,
        name: "events",
        portable: include_str!("../migrations/0011_events.sql"),
        sqlite: include_str!("../migrations/0011_events.sqlite.sql"),
        postgres: include_str!("../migrations/0011_events.postgres.sql"),
        then: None,
    },
];

/// The newest schema version this build knows.
pub const SCHEMA_VERSION: i64 = 11;

fn render(migration: &Migration, dialect: Dialect) -> String {
    let (id, auto_id, date, blob, without_rowid, extra) = match dialect {
        Dialect::Sqlite => {
            ("INTEGER", "INTEGER PRIMARY KEY", "TEXT", "BLOB", " WITHOUT ROWID", migration.sqlite)
        }
        Dialect::Postgres => (
            "BIGINT",
            "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
            "DATE",
            "BYTEA",
            "",
            migration.postgres,
        ),
    };
    let mut sql = migration
        .portable
        .replace("{{auto_id}}", auto_id)
        .replace("{{id}}", id)
        .replace("{{date}}", date)
        .replace("{{blob}}", blob)
        .replace("{{without_rowid}}", without_rowid);
    sql.push('\n');
    sql.push_str(extra);
    sql
}

/// Create the migrations table if needed. Safe to run concurrently with itself.
pub(crate) fn ensure_table(conn: &mut dyn Conn) -> Result<(), StoreError> {
    conn.execute_script(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version BIGINT PRIMARY KEY,
             name TEXT NOT NULL,
             applied_at TEXT NOT NULL
         )",
    )
}

/// Apply every migration not yet applied. Runs inside a write transaction.
pub(crate) fn apply(conn: &mut dyn Conn, dialect: Dialect, now: &str) -> Result<(), StoreError> {
    let current = conn
        .query_int("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", &[])?
        .unwrap_or(0);
    if current > SCHEMA_VERSION {
        return Err(StoreError::SchemaTooNew { found: current, known: SCHEMA_VERSION });
    }
    for migration in MIGRATIONS.iter().filter(|m| m.version > current) {
        conn.execute_script(&render(migration, dialect))?;
        if let Some(then) = migration.then {
            then(conn)?;
        }
        conn.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
            &[Value::Int(migration.version), Value::Text(migration.name), Value::Text(now)],
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_placeholder_is_filled_for_both_dialects() {
        for migration in MIGRATIONS {
            for dialect in [Dialect::Sqlite, Dialect::Postgres] {
                let sql = render(migration, dialect);
                assert!(!sql.contains("{{"), "migration {} leaves a placeholder", migration.name);
            }
        }
        assert_eq!(MIGRATIONS.last().map(|m| m.version), Some(SCHEMA_VERSION));
    }
}
