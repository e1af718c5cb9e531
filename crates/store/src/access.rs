//! People, users, sessions, bearer tokens and the audit log in the database.
//!
//! This module stores and finds; it decides nothing. Whether a user may see a person is
//! `onebudget_core::access::decide`, called by the web layer with what this module reads.
//! Secrets are never stored: sessions and tokens are kept as SHA-256 hashes (computed by
//! the caller) and passwords as argon2id PHC strings. The audit log is written only by
//! [`Store::append_audit`] (a batch in one transaction) and has no update or delete path;
//! the migration's triggers refuse both.

use chrono::NaiveDate;
use onebudget_core::access::{Role, Scope};
use onebudget_core::ledger::FieldError;
use serde::Serialize;

use crate::backend::{Conn, Row, Value};
use crate::{Store, StoreError};

/// An organisation in the place (ICB, council, provider, …).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OrganisationRecord {
    pub code: String,
    pub name: String,
    pub kind: String,
}

/// A team of practitioners, whose caseload they see.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TeamRecord {
    pub code: String,
    pub name: String,
}

/// A person known to the service. Special-category data: read only through
/// [`Store::person`] after an access decision, and audited by the caller.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PersonRecord {
    pub code: String,
    pub given_name: String,
    pub family_name: String,
    /// Ten digits, no spaces.
    pub nhs_number: String,
    pub birth_date: NaiveDate,
    pub team: String,
    /// `home` or `care_home`.
    pub setting: String,
    /// `social_care` or `continuing_healthcare`: who is responsible for the person's care.
    /// Their personal budget, if they hold one, is not here: it is only ever a budget
    /// version (`Store::budget_on`, `Store::caseload`), with its own funders.
    pub funding: String,
}

pub(crate) const PERSON_COLUMNS: &str =
    "code, given_name, family_name, nhs_number, birth_date, team, setting, funding";

/// How many columns [`PERSON_COLUMNS`] names (the next column of a query is this one).
pub(crate) const PERSON_COLUMN_COUNT: usize = 8;

pub(crate) fn person_from(row: &dyn Row) -> Result<PersonRecord, StoreError> {
    Ok(PersonRecord {
        code: row.text(0)?,
        given_name: row.text(1)?,
        family_name: row.text(2)?,
        nhs_number: row.text(3)?,
        birth_date: row.date(4)?,
        team: row.text(5)?,
        setting: row.text(6)?,
        funding: row.text(7)?,
    })
}

/// A user account: a person who signs in with a password, or a service account that
/// uses bearer tokens.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UserRecord {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    /// A role code, e.g. `finance`.
    pub role: String,
    /// `person` or `service`.
    pub kind: String,
    #[serde(skip)]
    pub password_hash: Option<String>,
    pub person_code: Option<String>,
    pub team: Option<String>,
    pub created_at: String,
    /// For finance officers: the organisation they work for (a pool partner confirms a
    /// settlement through one of its own).
    pub organisation: Option<String>,
    /// When an administrator disabled the user (RFC 3339 UTC): they cannot sign in, and no
    /// session or token of theirs is honoured.
    pub disabled_at: Option<String>,
}

const USER_COLUMNS: &str = "u.id, u.username, u.display_name, u.role, u.kind, u.password_hash, u.person_code, u.team, u.created_at, u.organisation, u.disabled_at";

/// How many columns [`USER_COLUMNS`] names (the next column of a query is this one).
const USER_COLUMN_COUNT: usize = 11;

fn user_from(row: &dyn Row) -> Result<UserRecord, StoreError> {
    Ok(UserRecord {
        id: row.int(0)?,
        username: row.text(1)?,
        display_name: row.text(2)?,
        role: row.text(3)?,
        kind: row.text(4)?,
        password_hash: row.opt_text(5)?,
        person_code: row.opt_text(6)?,
        team: row.opt_text(7)?,
        created_at: row.text(8)?,
        organisation: row.opt_text(9)?,
        disabled_at: row.opt_text(10)?,
    })
}

/// A user to create.
#[derive(Clone, Debug)]
pub struct NewUser<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub role: &'a str,
    /// `person` or `service`.
    pub kind: &'a str,
    pub password_hash: Option<&'a str>,
    pub person_code: Option<&'a str>,
    pub team: Option<&'a str>,
    pub organisation: Option<&'a str>,
}

/// Why a user could not be added or changed, or a token issued: the field at fault (named
/// as the administration pages' fields and the command line's flags name it: `username`,
/// `name`, `role`, `kind`, `person`, `team`, `organisation`, `password`, `user`,
/// `label`, `scopes`, `days`), or a fault of the database.
#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error(transparent)]
    Field(#[from] FieldError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The fewest and most characters a password may have. Twelve is the least the
/// administration pages and `onebudget user add` accept; the most keeps one request from
/// making argon2 hash megabytes.
pub const PASSWORD_CHARACTERS: std::ops::RangeInclusive<usize> = 12..=1024;

/// Whether `password` may be a user's new password: [`PASSWORD_CHARACTERS`] long. The
/// refusal never quotes the password, only its length.
pub fn check_new_password(password: &str) -> Result<(), FieldError> {
    let count = password.chars().count();
    if PASSWORD_CHARACTERS.contains(&count) {
        return Ok(());
    }
    Err(FieldError::new(
        "password",
        &format!("{count} characters"),
        format!(
            "the password must be {} to {} characters long",
            PASSWORD_CHARACTERS.start(),
            PASSWORD_CHARACTERS.end()
        ),
    ))
}

/// What disabling a user did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Disabled {
    pub user_id: i64,
    /// The user was already disabled (nothing changed now); when, as first recorded.
    pub already: bool,
    pub disabled_at: String,
    /// Sessions ended and tokens revoked now.
    pub sessions_ended: u64,
    pub tokens_revoked: u64,
}

/// What setting a user's password did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PasswordSet {
    pub user_id: i64,
    /// Sessions ended, so whoever knew the old password is signed out.
    pub sessions_ended: u64,
}

/// A bearer token to issue: its service account, what it is for and may do, how long it
/// lasts, and the secret's hash and first characters (never the secret itself).
#[derive(Clone, Debug)]
pub struct NewToken<'a> {
    pub username: &'a str,
    pub label: &'a str,
    /// Comma-separated scope codes, e.g. `ledger:read,ledger:write`.
    pub scopes: &'a str,
    /// From 1 to [`TOKEN_DAYS`]`.end()`.
    pub days: u32,
    pub token_hash: &'a str,
    pub prefix: &'a str,
}

/// How many days a token may last.
pub const TOKEN_DAYS: std::ops::RangeInclusive<u32> = 1..=366;

/// A live session: its user and the CSRF token its forms must carry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRecord {
    pub user: UserRecord,
    pub csrf_token: String,
    pub expires_at: String,
}

/// A bearer token as administrators see it (never the token itself).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TokenRecord {
    pub id: i64,
    pub username: String,
    pub label: String,
    pub prefix: String,
    /// Comma-separated scope codes.
    pub scopes: String,
    pub created_at: String,
    pub expires_at: String,
    pub revoked_at: Option<String>,
}

/// One row of the audit log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    /// When, RFC 3339 UTC.
    pub at: String,
    /// The user name, or `anonymous`, or for a failed sign-in the name that was tried.
    pub actor: String,
    pub actor_user_id: Option<i64>,
    pub role: Option<String>,
    /// `session`, `token`, `command_line` or `anonymous`.
    pub via: String,
    /// What was done, e.g. `read_person`, `sign_in`, `post_transfers`.
    pub action: String,
    /// The person whose record was touched, if any.
    pub person_code: Option<String>,
    /// The page, route or object acted on.
    pub target: String,
    /// Where from: the client's IP address, or `command line`.
    pub source: String,
    /// `allowed`, `refused`, `success` or `failure`.
    pub outcome: String,
    /// Why, in words: a refusal's reason, a failure's cause.
    pub detail: String,
}

/// A recorded audit row: its id and the entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuditRecord {
    pub id: i64,
    #[serde(flatten)]
    pub entry: AuditEntry,
}

/// Which audit rows to find. Empty fields match everything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub person_code: Option<String>,
    pub action: Option<String>,
    pub outcome: Option<String>,
    /// From this date (UTC), inclusive.
    pub from: Option<NaiveDate>,
    /// To this date (UTC), inclusive.
    pub to: Option<NaiveDate>,
    /// Only rows with an id below this one (for paging back through the log).
    pub before_id: Option<i64>,
}

const AUDIT_COLUMNS: &str =
    "id, at, actor, actor_user_id, role, via, action, person_code, target, source, outcome, detail";

fn audit_from(row: &dyn Row) -> Result<AuditRecord, StoreError> {
    Ok(AuditRecord {
        id: row.int(0)?,
        entry: AuditEntry {
            at: row.text(1)?,
            actor: row.text(2)?,
            actor_user_id: row.opt_int(3)?,
            role: row.opt_text(4)?,
            via: row.text(5)?,
            action: row.text(6)?,
            person_code: row.opt_text(7)?,
            target: row.text(8)?,
            source: row.text(9)?,
            outcome: row.text(10)?,
            detail: row.text(11)?,
        },
    })
}

/// Spend in one month from one funding stream by one organisation: a figure with no
/// person in it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SpendRow {
    /// `YYYY-MM`.
    pub month: String,
    pub stream: String,
    /// The organisation whose funding or pool account the money left.
    pub organisation: String,
    pub amount_pence: i64,
}

impl Store {
    /// Record organisations, teams and people (the demo, or an import), all or nothing.
    pub fn add_people(
        &self,
        organisations: &[OrganisationRecord],
        teams: &[TeamRecord],
        people: &[PersonRecord],
    ) -> Result<(), StoreError> {
        let now = crate::now_utc();
        self.write(|conn| {
            for organisation in organisations {
                conn.execute(
                    "INSERT INTO organisations (code, name, kind) VALUES ($1, $2, $3)",
                    &[
                        Value::Text(&organisation.code),
                        Value::Text(&organisation.name),
                        Value::Text(&organisation.kind),
                    ],
                )?;
            }
            for team in teams {
                conn.execute(
                    "INSERT INTO teams (code, name) VALUES ($1, $2)",
                    &[Value::Text(&team.code), Value::Text(&team.name)],
                )?;
            }
            for person in people {
                conn.execute(
                    &format!(
                        "INSERT INTO people ({PERSON_COLUMNS}, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
                    ),
                    &[
                        Value::Text(&person.code),
                        Value::Text(&person.given_name),
                        Value::Text(&person.family_name),
                        Value::Text(&person.nhs_number),
                        Value::Date(person.birth_date),
                        Value::Text(&person.team),
                        Value::Text(&person.setting),
                        Value::Text(&person.funding),
                        Value::Text(&now),
                    ],
                )?;
            }
            Ok(())
        })
    }

    pub fn organisations(&self) -> Result<Vec<OrganisationRecord>, StoreError> {
        self.read(|conn| {
            collect(conn, "SELECT code, name, kind FROM organisations ORDER BY code", &[], |r| {
                Ok(OrganisationRecord { code: r.text(0)?, name: r.text(1)?, kind: r.text(2)? })
            })
        })
    }

    pub fn teams(&self) -> Result<Vec<TeamRecord>, StoreError> {
        self.read(|conn| {
            collect(conn, "SELECT code, name FROM teams ORDER BY code", &[], |r| {
                Ok(TeamRecord { code: r.text(0)?, name: r.text(1)? })
            })
        })
    }

    /// One person's record, if there is one with this code.
    pub fn person(&self, code: &str) -> Result<Option<PersonRecord>, StoreError> {
        self.read(|conn| {
            Ok(collect(
                conn,
                &format!("SELECT {PERSON_COLUMNS} FROM people WHERE code = $1"),
                &[Value::Text(code)],
                person_from,
            )?
            .into_iter()
            .next())
        })
    }

    /// The people on one team's caseload, by family name.
    pub fn people_in_team(&self, team: &str) -> Result<Vec<PersonRecord>, StoreError> {
        self.read(|conn| {
            collect(
                conn,
                &format!(
                    "SELECT {PERSON_COLUMNS} FROM people WHERE team = $1 \
                     ORDER BY family_name, given_name, code"
                ),
                &[Value::Text(team)],
                person_from,
            )
        })
    }

    /// People matching `query`, at most `limit`, by family name: a ten-digit NHS number
    /// (spaces ignored) or a person's code matches exactly, anything else is part of a name
    /// (capital letters do not matter). `team`, when given, keeps to that team's people.
    pub fn search_people(
        &self,
        query: &str,
        team: Option<&str>,
        limit: usize,
    ) -> Result<Vec<PersonRecord>, StoreError> {
        let query = query.trim();
        let digits: String = query.chars().filter(|c| !c.is_whitespace()).collect();
        let (clause, value) = if digits.len() == 10 && digits.chars().all(|c| c.is_ascii_digit()) {
            ("nhs_number = $1", digits)
        } else if query.len() > 1
            && query.get(..1).is_some_and(|c| c.eq_ignore_ascii_case("p"))
            && query.get(1..).is_some_and(|rest| rest.chars().all(|c| c.is_ascii_digit()))
        {
            ("code = $1", query.to_uppercase())
        } else {
            // LIKE's own wildcards in what was typed are matched as themselves.
            let escaped =
                query.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
            ("LOWER(given_name || ' ' || family_name) LIKE $1 ESCAPE '\\'", format!("%{escaped}%"))
        };
        let mut sql = format!("SELECT {PERSON_COLUMNS} FROM people WHERE {clause}");
        let mut params = vec![Value::Text(&value)];
        if let Some(team) = team {
            sql.push_str(" AND team = $2");
            params.push(Value::Text(team));
        }
        sql.push_str(&format!(" ORDER BY family_name, given_name, code LIMIT {limit}"));
        self.read(|conn| collect(conn, &sql, &params, person_from))
    }

    /// How many people the store knows.
    pub fn people_count(&self) -> Result<i64, StoreError> {
        self.read(|conn| Ok(conn.query_int("SELECT COUNT(*) FROM people", &[])?.unwrap_or(0)))
    }

    /// Create a user; a name already taken is [`StoreError::UniqueViolation`]. Checks only
    /// what the schema checks: [`Store::add_user`] is what the administration pages and
    /// `onebudget user add` call.
    pub fn create_user(&self, user: &NewUser<'_>) -> Result<i64, StoreError> {
        let now = crate::now_utc();
        self.write(|conn| insert_user(conn, user, &now))
    }

    /// Add a user, checked: a user name of 1 to 64 characters with no spaces, not taken; a
    /// name; a known role; a citizen names their person and a practitioner their team, each
    /// of which must exist, as must an organisation named; a person's login has a password
    /// hash, a service account none. The checks and the insert are one transaction.
    /// `audit` is written in the same transaction, so a user is never added unrecorded.
    pub fn add_user(&self, user: &NewUser<'_>, audit: &AuditEntry) -> Result<i64, UserError> {
        let username = user.username;
        if username.is_empty()
            || username.chars().count() > 64
            || username.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(FieldError::new(
                "username",
                username,
                "give a user name of 1 to 64 characters without spaces, e.g. jsmith",
            )
            .into());
        }
        if user.display_name.trim().is_empty() || user.display_name.chars().count() > 200 {
            return Err(FieldError::new(
                "name",
                user.display_name,
                "give the name shown on their pages and in the audit log, up to 200 characters",
            )
            .into());
        }
        let role = Role::parse(user.role)?;
        let service = match user.kind {
            "person" => false,
            "service" => true,
            other => {
                return Err(FieldError::new("kind", other, "use person or service").into());
            }
        };
        fn given(value: Option<&str>) -> Option<&str> {
            value.filter(|v| !v.trim().is_empty())
        }
        if role == Role::Citizen && given(user.person_code).is_none() {
            return Err(FieldError::new(
                "person",
                "",
                "a citizen's login must name their person code, e.g. P000123",
            )
            .into());
        }
        if role == Role::Practitioner && given(user.team).is_none() {
            return Err(FieldError::new(
                "team",
                "",
                "a practitioner's login must name their team, e.g. TEAM-NORTH",
            )
            .into());
        }
        match (service, user.password_hash) {
            (false, None) => {
                return Err(
                    FieldError::new("password", "", "a person's login needs a password").into()
                );
            }
            (true, Some(_)) => {
                return Err(FieldError::new(
                    "password",
                    "",
                    "a service account has no password: it uses bearer tokens",
                )
                .into());
            }
            _ => {}
        }
        let now = crate::now_utc();
        self.write(|conn| {
            let exists = |conn: &mut dyn Conn, sql: &str, value: &str| {
                conn.query_int(sql, &[Value::Text(value)]).map(|found| found.is_some())
            };
            if exists(conn, "SELECT id FROM users WHERE username = $1", username)? {
                return Err(FieldError::new(
                    "username",
                    username,
                    "this user name is already taken",
                )
                .into());
            }
            if let Some(organisation) = given(user.organisation)
                && !exists(conn, "SELECT id FROM organisations WHERE code = $1", organisation)?
            {
                return Err(FieldError::new(
                    "organisation",
                    organisation,
                    "there is no such organisation in this database",
                )
                .into());
            }
            if let Some(team) = given(user.team)
                && !exists(conn, "SELECT id FROM teams WHERE code = $1", team)?
            {
                return Err(FieldError::new(
                    "team",
                    team,
                    "there is no such team in this database",
                )
                .into());
            }
            if let Some(person) = given(user.person_code)
                && !exists(conn, "SELECT id FROM people WHERE code = $1", person)?
            {
                return Err(FieldError::new(
                    "person",
                    person,
                    "there is no person with this code in this database",
                )
                .into());
            }
            let checked = NewUser {
                person_code: given(user.person_code),
                team: given(user.team),
                organisation: given(user.organisation),
                ..user.clone()
            };
            let id = match insert_user(conn, &checked, &now) {
                Err(StoreError::UniqueViolation(_)) => {
                    return Err(FieldError::new(
                        "username",
                        username,
                        "this user name is already taken",
                    )
                    .into());
                }
                other => other?,
            };
            insert_audit(conn, std::slice::from_ref(audit))?;
            Ok(id)
        })
    }

    /// Disable a user: from now they cannot sign in, and in the same transaction every
    /// session of theirs is ended and every live token revoked (the look-ups also skip a
    /// disabled user). Disabling one already disabled changes nothing and says so.
    /// `audit` is written in the same transaction when anything changes.
    pub fn disable_user(&self, username: &str, audit: &AuditEntry) -> Result<Disabled, StoreError> {
        let now = crate::now_utc();
        self.write(|conn| {
            let user = collect(
                conn,
                &format!("SELECT {USER_COLUMNS} FROM users u WHERE u.username = $1"),
                &[Value::Text(username)],
                user_from,
            )?
            .into_iter()
            .next()
            .ok_or_else(|| StoreError::NotFound { what: "user", code: username.to_owned() })?;
            if let Some(at) = user.disabled_at {
                return Ok(Disabled {
                    user_id: user.id,
                    already: true,
                    disabled_at: at,
                    sessions_ended: 0,
                    tokens_revoked: 0,
                });
            }
            conn.execute(
                "UPDATE users SET disabled_at = $1 WHERE id = $2",
                &[Value::Text(&now), Value::Int(user.id)],
            )?;
            let sessions_ended = end_sessions_of(conn, user.id, &now)?;
            let tokens_revoked = conn.execute(
                "UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
                &[Value::Text(&now), Value::Int(user.id)],
            )?;
            insert_audit(conn, std::slice::from_ref(audit))?;
            Ok(Disabled {
                user_id: user.id,
                already: false,
                disabled_at: now.clone(),
                sessions_ended,
                tokens_revoked,
            })
        })
    }

    /// Give a person's login a new password (its argon2id hash), and end every session of
    /// theirs in the same transaction, so whoever knew the old one is signed out. A service
    /// account has no password, and a disabled user is not given one.
    /// `audit` is written in the same transaction.
    pub fn set_password(
        &self,
        username: &str,
        password_hash: &str,
        audit: &AuditEntry,
    ) -> Result<PasswordSet, UserError> {
        let now = crate::now_utc();
        self.write(|conn| {
            let user = collect(
                conn,
                &format!("SELECT {USER_COLUMNS} FROM users u WHERE u.username = $1"),
                &[Value::Text(username)],
                user_from,
            )?
            .into_iter()
            .next()
            .ok_or_else(|| FieldError::new("user", username, "there is no such user"))?;
            if user.kind != "person" {
                return Err(FieldError::new(
                    "user",
                    username,
                    "this is a service account: it has no password, only bearer tokens",
                )
                .into());
            }
            if user.disabled_at.is_some() {
                return Err(FieldError::new(
                    "user",
                    username,
                    "this user is disabled, so no password of theirs works",
                )
                .into());
            }
            conn.execute(
                "UPDATE users SET password_hash = $1 WHERE id = $2",
                &[Value::Text(password_hash), Value::Int(user.id)],
            )?;
            let sessions_ended = end_sessions_of(conn, user.id, &now)?;
            insert_audit(conn, std::slice::from_ref(audit))?;
            Ok(PasswordSet { user_id: user.id, sessions_ended })
        })
    }

    /// Enable a disabled user again: they may sign in (with their password as it was) and
    /// be given tokens. What disabling ended stays ended: their old sessions, and the
    /// tokens it revoked. Enabling one who is not disabled changes nothing and says so
    /// (`false`); `audit` is written in the same transaction when something changes.
    pub fn enable_user(&self, username: &str, audit: &AuditEntry) -> Result<bool, StoreError> {
        self.write(|conn| {
            let user = collect(
                conn,
                &format!("SELECT {USER_COLUMNS} FROM users u WHERE u.username = $1"),
                &[Value::Text(username)],
                user_from,
            )?
            .into_iter()
            .next()
            .ok_or_else(|| StoreError::NotFound { what: "user", code: username.to_owned() })?;
            if user.disabled_at.is_none() {
                return Ok(false);
            }
            conn.execute(
                "UPDATE users SET disabled_at = NULL WHERE id = $1",
                &[Value::Int(user.id)],
            )?;
            insert_audit(conn, std::slice::from_ref(audit))?;
            Ok(true)
        })
    }

    pub fn user_by_username(&self, username: &str) -> Result<Option<UserRecord>, StoreError> {
        self.read(|conn| {
            Ok(collect(
                conn,
                &format!("SELECT {USER_COLUMNS} FROM users u WHERE u.username = $1"),
                &[Value::Text(username)],
                user_from,
            )?
            .into_iter()
            .next())
        })
    }

    pub fn users(&self) -> Result<Vec<UserRecord>, StoreError> {
        self.read(|conn| {
            collect(
                conn,
                &format!("SELECT {USER_COLUMNS} FROM users u ORDER BY u.role, u.username"),
                &[],
                user_from,
            )
        })
    }

    /// Start a session for `user_id`.
    pub fn create_session(
        &self,
        token_hash: &str,
        user_id: i64,
        csrf_token: &str,
        expires_at: &str,
    ) -> Result<(), StoreError> {
        let now = crate::now_utc();
        self.write(|conn| {
            conn.execute(
                "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5)",
                &[
                    Value::Text(token_hash),
                    Value::Int(user_id),
                    Value::Text(csrf_token),
                    Value::Text(&now),
                    Value::Text(expires_at),
                ],
            )?;
            Ok(())
        })
    }

    /// The live session with this token hash: not ended, not expired at `now`, and its user
    /// not disabled.
    pub fn session(
        &self,
        token_hash: &str,
        now: &str,
    ) -> Result<Option<SessionRecord>, StoreError> {
        self.read(|conn| {
            Ok(collect(
                conn,
                &format!(
                    "SELECT {USER_COLUMNS}, s.csrf_token, s.expires_at FROM sessions s \
                     JOIN users u ON u.id = s.user_id \
                     WHERE s.token_hash = $1 AND s.ended_at IS NULL AND s.expires_at > $2 \
                     AND u.disabled_at IS NULL"
                ),
                &[Value::Text(token_hash), Value::Text(now)],
                |row| {
                    Ok(SessionRecord {
                        user: user_from(row)?,
                        csrf_token: row.text(USER_COLUMN_COUNT)?,
                        expires_at: row.text(USER_COLUMN_COUNT + 1)?,
                    })
                },
            )?
            .into_iter()
            .next())
        })
    }

    /// End a session (sign-out). Ending one already ended does nothing.
    pub fn end_session(&self, token_hash: &str) -> Result<(), StoreError> {
        let now = crate::now_utc();
        self.write(|conn| {
            conn.execute(
                // Parameters are numbered in the order they appear (SQLite binds them so).
                "UPDATE sessions SET ended_at = $1 WHERE token_hash = $2 AND ended_at IS NULL",
                &[Value::Text(&now), Value::Text(token_hash)],
            )?;
            Ok(())
        })
    }

    /// Record a bearer token for a service account; returns its id.
    pub fn create_token(
        &self,
        user_id: i64,
        label: &str,
        prefix: &str,
        token_hash: &str,
        scopes: &str,
        expires_at: &str,
    ) -> Result<i64, StoreError> {
        let now = crate::now_utc();
        self.write(|conn| {
            conn.execute(
                "INSERT INTO api_tokens (user_id, label, prefix, token_hash, scopes, created_at, \
                 expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                &[
                    Value::Int(user_id),
                    Value::Text(label),
                    Value::Text(prefix),
                    Value::Text(token_hash),
                    Value::Text(scopes),
                    Value::Text(&now),
                    Value::Text(expires_at),
                ],
            )?;
            conn.query_int(
                "SELECT id FROM api_tokens WHERE token_hash = $1",
                &[Value::Text(token_hash)],
            )?
            .ok_or_else(|| StoreError::Corrupt("a token just created cannot be read".into()))
        })
    }

    /// Issue a bearer token, checked: its service account exists, is a service account and
    /// is not disabled; it has a label and at least one known scope; it lasts
    /// [`TOKEN_DAYS`]. Gives the token as administrators see it (never the secret).
    /// `audit` is written in the same transaction.
    pub fn issue_token(
        &self,
        token: &NewToken<'_>,
        audit: &AuditEntry,
    ) -> Result<TokenRecord, UserError> {
        let scopes = Scope::parse_list(token.scopes)?;
        let codes: Vec<&str> = scopes.iter().map(|s| s.code()).collect();
        if !TOKEN_DAYS.contains(&token.days) {
            return Err(FieldError::new(
                "days",
                &token.days.to_string(),
                format!("a token lasts from {} to {} days", TOKEN_DAYS.start(), TOKEN_DAYS.end()),
            )
            .into());
        }
        let label = token.label.trim();
        if label.is_empty() || label.chars().count() > 200 {
            return Err(FieldError::new(
                "label",
                token.label,
                "say what the token is for, e.g. the system that uses it, up to 200 characters",
            )
            .into());
        }
        let user = self
            .user_by_username(token.username)?
            .ok_or_else(|| FieldError::new("user", token.username, "there is no such user"))?;
        if user.kind != "service" {
            return Err(FieldError::new(
                "user",
                token.username,
                "this is a person's login; tokens are for service accounts",
            )
            .into());
        }
        if user.disabled_at.is_some() {
            return Err(FieldError::new(
                "user",
                token.username,
                "this service account is disabled; its tokens would not work",
            )
            .into());
        }
        let expires = (chrono::Utc::now() + chrono::Duration::days(i64::from(token.days)))
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        let now = crate::now_utc();
        let scopes = codes.join(",");
        let id = self.write(|conn| {
            conn.execute(
                "INSERT INTO api_tokens (user_id, label, prefix, token_hash, scopes, created_at, \
                 expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                &[
                    Value::Int(user.id),
                    Value::Text(label),
                    Value::Text(token.prefix),
                    Value::Text(token.token_hash),
                    Value::Text(&scopes),
                    Value::Text(&now),
                    Value::Text(&expires),
                ],
            )?;
            let id = conn
                .query_int(
                    "SELECT id FROM api_tokens WHERE token_hash = $1",
                    &[Value::Text(token.token_hash)],
                )?
                .ok_or_else(|| StoreError::Corrupt("a token just issued cannot be read".into()))?;
            insert_audit(conn, std::slice::from_ref(audit))?;
            Ok::<_, StoreError>(id)
        })?;
        self.token(id)?
            .ok_or_else(|| StoreError::Corrupt("a token just issued cannot be read".into()).into())
    }

    /// One token as administrators see it, by id.
    pub fn token(&self, id: i64) -> Result<Option<TokenRecord>, StoreError> {
        Ok(self.tokens_where("WHERE t.id = $1", &[Value::Int(id)])?.into_iter().next())
    }

    /// The service account and scopes of a live token: not revoked, not expired at `now`,
    /// and its service account not disabled.
    pub fn token_user(
        &self,
        token_hash: &str,
        now: &str,
    ) -> Result<Option<(UserRecord, String)>, StoreError> {
        self.read(|conn| {
            Ok(collect(
                conn,
                &format!(
                    "SELECT {USER_COLUMNS}, t.scopes FROM api_tokens t \
                     JOIN users u ON u.id = t.user_id \
                     WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > $2 \
                     AND u.disabled_at IS NULL"
                ),
                &[Value::Text(token_hash), Value::Text(now)],
                |row| Ok((user_from(row)?, row.text(USER_COLUMN_COUNT)?)),
            )?
            .into_iter()
            .next())
        })
    }

    /// Revoke a token; `false` when there is no live token with this id.
    pub fn revoke_token(&self, id: i64) -> Result<bool, StoreError> {
        let now = crate::now_utc();
        self.write(|conn| {
            Ok(conn.execute(
                "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
                &[Value::Text(&now), Value::Int(id)],
            )? == 1)
        })
    }

    /// [`Store::revoke_token`], with `audit` written in the same transaction when a live
    /// token is revoked.
    pub fn revoke_token_audited(&self, id: i64, audit: &AuditEntry) -> Result<bool, StoreError> {
        let now = crate::now_utc();
        self.write(|conn| {
            let revoked = conn.execute(
                "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
                &[Value::Text(&now), Value::Int(id)],
            )? == 1;
            if revoked {
                insert_audit(conn, std::slice::from_ref(audit))?;
            }
            Ok(revoked)
        })
    }

    /// Every token, oldest first, as administrators see them.
    pub fn tokens(&self) -> Result<Vec<TokenRecord>, StoreError> {
        self.tokens_where("", &[])
    }

    fn tokens_where(
        &self,
        filter: &str,
        params: &[Value<'_>],
    ) -> Result<Vec<TokenRecord>, StoreError> {
        self.read(|conn| {
            collect(
                conn,
                &format!(
                    "SELECT t.id, u.username, t.label, t.prefix, t.scopes, t.created_at, \
                     t.expires_at, t.revoked_at FROM api_tokens t JOIN users u ON u.id = t.user_id \
                     {filter} ORDER BY t.id"
                ),
                params,
                |r| {
                    Ok(TokenRecord {
                        id: r.int(0)?,
                        username: r.text(1)?,
                        label: r.text(2)?,
                        prefix: r.text(3)?,
                        scopes: r.text(4)?,
                        created_at: r.text(5)?,
                        expires_at: r.text(6)?,
                        revoked_at: r.opt_text(7)?,
                    })
                },
            )
        })
    }

    /// Append audit rows, all in one transaction. The web server's audit writer uses
    /// [`Store::audit_connection`] instead, which keeps a connection of its own.
    pub fn append_audit(&self, entries: &[AuditEntry]) -> Result<(), StoreError> {
        if entries.is_empty() {
            return Ok(());
        }
        self.write(|conn| insert_audit(conn, entries))
    }

    /// Audit rows matching `filter`, newest first, at most `limit`.
    pub fn audit_search(
        &self,
        filter: &AuditFilter,
        limit: usize,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        let mut rows = Vec::new();
        self.audit_each(filter, Some(limit), &mut |record| {
            rows.push(record);
            Ok(())
        })?;
        Ok(rows)
    }

    /// Hand every audit row matching `filter` to `each`, newest first (for export).
    pub fn audit_each(
        &self,
        filter: &AuditFilter,
        limit: Option<usize>,
        each: &mut dyn FnMut(AuditRecord) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let from = filter.from.map(|d| format!("{d}T00:00:00"));
        let to = filter.to.and_then(|d| d.succ_opt()).map(|d| format!("{d}T00:00:00"));
        let mut clauses = Vec::new();
        let mut params: Vec<Value<'_>> = Vec::new();
        let texts: [(&str, Option<&str>); 6] = [
            ("LOWER(actor) = LOWER(?)", filter.actor.as_deref()),
            ("person_code = ?", filter.person_code.as_deref()),
            ("action = ?", filter.action.as_deref()),
            ("outcome = ?", filter.outcome.as_deref()),
            ("at >= ?", from.as_deref()),
            ("at < ?", to.as_deref()),
        ];
        for (clause, value) in texts {
            if let Some(value) = value.filter(|v| !v.is_empty()) {
                params.push(Value::Text(value));
                clauses.push(clause.replace('?', &format!("${}", params.len())));
            }
        }
        if let Some(before) = filter.before_id {
            params.push(Value::Int(before));
            clauses.push(format!("id < ${}", params.len()));
        }
        let mut sql = format!("SELECT {AUDIT_COLUMNS} FROM audit_log");
        if !clauses.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&clauses.join(" AND "));
        }
        sql.push_str(" ORDER BY id DESC");
        if let Some(limit) = limit {
            sql.push_str(&format!(" LIMIT {limit}"));
        }
        self.read(|conn| conn.query_each(&sql, &params, &mut |row| each(audit_from(row)?)))
    }

    /// Failed sign-ins for `username` since `since` and since its last successful one:
    /// what sign-in throttling counts.
    pub fn recent_sign_in_failures(&self, username: &str, since: &str) -> Result<i64, StoreError> {
        self.read(|conn| {
            let last_success = conn
                .query_text(
                    "SELECT MAX(at) FROM audit_log WHERE action = 'sign_in' AND target = $1 \
                     AND outcome = 'success'",
                    &[Value::Text(username)],
                )?
                .unwrap_or_default();
            let after = if last_success.as_str() > since { last_success } else { since.to_owned() };
            Ok(conn
                .query_int(
                    "SELECT COUNT(*) FROM audit_log WHERE action = 'sign_in' AND target = $1 \
                     AND outcome = 'failure' AND at > $2",
                    &[Value::Text(username), Value::Text(&after)],
                )?
                .unwrap_or(0))
        })
    }

    /// The codes of the ledger accounts a person owns.
    pub fn person_account_codes(&self, person: &str) -> Result<Vec<String>, StoreError> {
        self.read(|conn| {
            collect(
                conn,
                "SELECT code FROM accounts WHERE owner_kind = 'person' AND owner_id = $1 \
                 ORDER BY code",
                &[Value::Text(person)],
                |r| r.text(0),
            )
        })
    }

    /// Spend by month, stream and paying organisation, from `from` to `to` inclusive:
    /// money leaving a funder's or a pool's account for anywhere but another funding or pool
    /// account (so a contribution into a pool is not counted twice). Grouped so that no row
    /// names a person: this is what a commissioner sees.
    /// The latest effective date of any transfer: where reports of spending end by default.
    /// (Read from `balances`, which keeps each account and stream's latest date, rather than
    /// scanning every transfer.)
    pub fn latest_effective_date(&self) -> Result<Option<NaiveDate>, StoreError> {
        self.read(|conn| {
            let mut rows = collect(
                conn,
                "SELECT latest_effective_date FROM balances \
                 ORDER BY latest_effective_date DESC LIMIT 1",
                &[],
                |r| r.date(0),
            )?;
            Ok(rows.pop())
        })
    }

    pub fn spend_by_month(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<SpendRow>, StoreError> {
        let month = match self.backend_name() {
            "postgres" => "to_char(t.effective_date, 'YYYY-MM')",
            _ => "substr(t.effective_date, 1, 7)",
        };
        let sql = format!(
            "SELECT {month} AS month, s.code, \
f.owner_id, SUM(t.amount_pence) FROM transfers t \
             JOIN accounts a ON a.id = t.to_account_id \
             JOIN accounts f ON f.id = t.from_account_id \
             JOIN funding_streams s ON s.id = t.stream_id \
             WHERE t.effective_date >= $1 AND t.effective_date <= $2 \
             AND f.kind IN ('funding', 'pool') AND a.kind NOT IN ('funding', 'pool') \
             GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
        );
        self.read(|conn| {
            collect(conn, &sql, &[Value::Date(from), Value::Date(to)], |r| {
                Ok(SpendRow {
                    month: r.text(0)?,
                    stream: r.text(1)?,
                    organisation: r.text(2)?,
                    amount_pence: r.int(3)?,
                })
            })
        })
    }
}

/// A financial assessment to record against a person.
#[derive(Clone, Debug)]
pub struct NewAssessment<'a> {
    pub person_code: &'a str,
    pub recorded_by: &'a str,
    pub nation: &'a str,
    pub effective_date: NaiveDate,
    pub weekly_charge_pence: i64,
    /// The case as given, JSON.
    pub case_json: &'a str,
    /// The explained result, JSON.
    pub explanation_json: &'a str,
}

/// A recorded financial assessment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AssessmentRecord {
    pub id: i64,
    pub person_code: String,
    pub recorded_at: String,
    pub recorded_by: String,
    pub nation: String,
    pub effective_date: NaiveDate,
    pub weekly_charge_pence: i64,
    pub case_json: String,
    pub explanation_json: String,
}

impl Store {
    /// Record an assessment (append-only); returns the record as stored.
    pub fn record_assessment(
        &self,
        new: &NewAssessment<'_>,
    ) -> Result<AssessmentRecord, StoreError> {
        let now = crate::now_utc();
        self.write(|conn| {
            conn.execute(
                "INSERT INTO financial_assessments (person_code, recorded_at, recorded_by, nation, \
                 effective_date, weekly_charge_pence, case_json, explanation_json) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                &[
                    Value::Text(new.person_code),
                    Value::Text(&now),
                    Value::Text(new.recorded_by),
                    Value::Text(new.nation),
                    Value::Date(new.effective_date),
                    Value::Int(new.weekly_charge_pence),
                    Value::Text(new.case_json),
                    Value::Text(new.explanation_json),
                ],
            )?;
            let id = conn
                .query_int(
                    "SELECT MAX(id) FROM financial_assessments WHERE person_code = $1",
                    &[Value::Text(new.person_code)],
                )?
                .ok_or_else(|| {
                    StoreError::Corrupt("an assessment just recorded cannot be read".into())
                })?;
            Ok(AssessmentRecord {
                id,
                person_code: new.person_code.to_owned(),
                recorded_at: now.clone(),
                recorded_by: new.recorded_by.to_owned(),
                nation: new.nation.to_owned(),
                effective_date: new.effective_date,
                weekly_charge_pence: new.weekly_charge_pence,
                case_json: new.case_json.to_owned(),
                explanation_json: new.explanation_json.to_owned(),
            })
        })
    }

    /// Every assessment recorded for a person, newest first.
    pub fn assessments_for(&self, person_code: &str) -> Result<Vec<AssessmentRecord>, StoreError> {
        self.read(|conn| {
            collect(
                conn,
                "SELECT id, person_code, recorded_at, recorded_by, nation, effective_date, \
                 weekly_charge_pence, case_json, explanation_json FROM financial_assessments \
                 WHERE person_code = $1 ORDER BY id DESC",
                &[Value::Text(person_code)],
                |r| {
                    Ok(AssessmentRecord {
                        id: r.int(0)?,
                        person_code: r.text(1)?,
                        recorded_at: r.text(2)?,
                        recorded_by: r.text(3)?,
                        nation: r.text(4)?,
                        effective_date: r.date(5)?,
                        weekly_charge_pence: r.int(6)?,
                        case_json: r.text(7)?,
                        explanation_json: r.text(8)?,
                    })
                },
            )
        })
    }
}

/// How many audit rows one `INSERT` carries (11 parameters each).
const AUDIT_ROWS_PER_INSERT: usize = 64;

/// Insert audit rows in the open transaction: a multi-row `INSERT` per
/// [`AUDIT_ROWS_PER_INSERT`] rows, so a group commit on PostgreSQL costs a few round trips
/// rather than two per row. The one place rows enter `audit_log`.
pub(crate) fn insert_audit(conn: &mut dyn Conn, entries: &[AuditEntry]) -> Result<(), StoreError> {
    for chunk in entries.chunks(AUDIT_ROWS_PER_INSERT) {
        let mut sql = String::from(
            "INSERT INTO audit_log (at, actor, actor_user_id, role, via, action, person_code, \
             target, source, outcome, detail) VALUES ",
        );
        let mut params = Vec::with_capacity(chunk.len() * 11);
        for (n, e) in chunk.iter().enumerate() {
            if n > 0 {
                sql.push_str(", ");
            }
            let first = n * 11;
            sql.push('(');
            for column in 1..=11 {
                if column > 1 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!("${}", first + column));
            }
            sql.push(')');
            params.extend([
                Value::Text(&e.at),
                Value::Text(&e.actor),
                Value::OptInt(e.actor_user_id),
                Value::OptText(e.role.as_deref()),
                Value::Text(&e.via),
                Value::Text(&e.action),
                Value::OptText(e.person_code.as_deref()),
                Value::Text(&e.target),
                Value::Text(&e.source),
                Value::Text(&e.outcome),
                Value::Text(&e.detail),
            ]);
        }
        conn.execute(&sql, &params)?;
    }
    Ok(())
}

/// Insert a user as given (the schema's checks only), and give its id.
fn insert_user(conn: &mut dyn Conn, user: &NewUser<'_>, now: &str) -> Result<i64, StoreError> {
    conn.execute(
        "INSERT INTO users (username, display_name, role, kind, password_hash, \
         person_code, team, created_at, organisation) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        &[
            Value::Text(user.username),
            Value::Text(user.display_name),
            Value::Text(user.role),
            Value::Text(user.kind),
            Value::OptText(user.password_hash),
            Value::OptText(user.person_code),
            Value::OptText(user.team),
            Value::Text(now),
            Value::OptText(user.organisation),
        ],
    )?;
    conn.query_int("SELECT id FROM users WHERE username = $1", &[Value::Text(user.username)])?
        .ok_or_else(|| StoreError::Corrupt("a user just created cannot be read".into()))
}

/// End every live session of user `user_id`; how many were ended.
fn end_sessions_of(conn: &mut dyn Conn, user_id: i64, now: &str) -> Result<u64, StoreError> {
    conn.execute(
        "UPDATE sessions SET ended_at = $1 WHERE user_id = $2 AND ended_at IS NULL",
        &[Value::Text(now), Value::Int(user_id)],
    )
}

/// Run a query and map every row: the one row collector the store's modules share.
pub(crate) fn collect<T>(
    conn: &mut dyn Conn,
    sql: &str,
    params: &[Value<'_>],
    mut map: impl FnMut(&dyn Row) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    let mut rows = Vec::new();
    conn.query_each(sql, params, &mut |row| {
        rows.push(map(row)?);
        Ok(())
    })?;
    Ok(rows)
}
