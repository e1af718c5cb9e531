//! Users, bearer tokens and the audit log from the command line: `onebudget user add |
//! disable | enable`, `onebudget token issue | list | revoke`, `onebudget audit export`.
//! The checks and the changes are the store's own (`Store::add_user`, `disable_user`,
//! `issue_token`, ...), the ones the administration pages call, so the two agree.
//!
//! Whoever runs these has the database itself, so they act as the server's operator
//! (an administrator or, for export, an auditor); each change, and each export, still
//! leaves a row in the audit log with `via = command_line`. A new token is printed once
//! and stored only as its SHA-256 hash.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use onebudget_core::access::Role;
use onebudget_core::ledger::FieldError;
use onebudget_store::{
    AuditEntry, AuditFilter, NewToken, NewUser, Store, StoreError, UserError, check_new_password,
};
use onebudget_web::auth::{hash_password, new_secret, now_utc, secret_hash};

pub(crate) fn operator_entry(action: &str, target: &str, detail: &str) -> AuditEntry {
    let operator = std::env::var("USER").unwrap_or_else(|_| "operator".to_owned());
    AuditEntry {
        at: now_utc(),
        actor: format!("{operator} (command line)"),
        actor_user_id: None,
        role: None,
        via: "command_line".into(),
        action: action.into(),
        person_code: None,
        target: target.into(),
        source: "command line".into(),
        outcome: "success".into(),
        detail: detail.into(),
    }
}

/// Arguments of `onebudget user add`.
pub struct NewUserArgs<'a> {
    pub username: &'a str,
    pub name: &'a str,
    pub role: &'a str,
    pub person: Option<&'a str>,
    pub team: Option<&'a str>,
    pub organisation: Option<&'a str>,
    pub service: bool,
    /// The password, read from the environment or standard input by the caller.
    pub password: Option<String>,
}

/// `onebudget user add`: the store's checked [`Store::add_user`], as the administration
/// pages call it, so the two agree on what a user may be.
pub fn add_user(store: &Store, args: &NewUserArgs<'_>) -> anyhow::Result<()> {
    let role = Role::parse(args.role)?;
    let hash = match (&args.password, args.service) {
        (_, true) => None,
        (Some(password), false) => {
            check_new_password(password).map_err(flag_error)?;
            Some(hash_password(password)?)
        }
        (None, false) => anyhow::bail!(
            "give the password in ONEBUDGET_NEW_PASSWORD or on standard input (--password-stdin)"
        ),
    };
    let entry = operator_entry("add_user", args.username, role.code());
    store
        .add_user(
            &NewUser {
                username: args.username,
                display_name: args.name,
                role: role.code(),
                kind: if args.service { "service" } else { "person" },
                password_hash: hash.as_deref(),
                person_code: args.person,
                team: args.team,
                organisation: args.organisation,
            },
            &entry,
        )
        .map_err(user_error)?;
    println!("added {} ({}) as {}", args.username, args.name, role.label());
    Ok(())
}

/// `onebudget user disable`: the user cannot sign in; their sessions end and their tokens
/// are revoked at once.
pub fn disable_user(store: &Store, username: &str) -> anyhow::Result<()> {
    let entry = operator_entry("disable_user", username, "");
    let done = match store.disable_user(username, &entry) {
        Err(StoreError::NotFound { .. }) => {
            anyhow::bail!("--username: there is no user {username:?}")
        }
        other => other?,
    };
    if done.already {
        println!("{username} was already disabled (since {})", done.disabled_at);
    } else {
        println!(
            "disabled {username}: {} sessions ended, {} tokens revoked",
            done.sessions_ended, done.tokens_revoked
        );
    }
    Ok(())
}

/// `onebudget user enable`: a disabled user may sign in again.
pub fn enable_user(store: &Store, username: &str) -> anyhow::Result<()> {
    let entry = operator_entry("enable_user", username, "");
    match store.enable_user(username, &entry) {
        Err(StoreError::NotFound { .. }) => {
            anyhow::bail!("--username: there is no user {username:?}")
        }
        Ok(true) => {
            println!("enabled {username}; tokens revoked when they were disabled stay revoked")
        }
        Ok(false) => println!("{username} was not disabled; nothing changed"),
        Err(e) => return Err(e.into()),
    }
    Ok(())
}

/// A field error of the store's as the command line names it: `--flag: problem`.
fn flag_error(error: FieldError) -> anyhow::Error {
    if error.value.is_empty() {
        anyhow::anyhow!("--{}: {}", error.field, error.problem)
    } else {
        anyhow::anyhow!("--{}: {} (got {:?})", error.field, error.problem, error.value)
    }
}

fn user_error(error: UserError) -> anyhow::Error {
    match error {
        UserError::Field(e) => flag_error(e),
        UserError::Store(e) => e.into(),
    }
}

/// `onebudget token issue`: prints the new token once.
pub fn issue_token(
    store: &Store,
    username: &str,
    scopes: &str,
    days: u32,
    label: &str,
) -> anyhow::Result<()> {
    if store.user_by_username(username)?.is_none() {
        anyhow::bail!("--user: there is no user {username:?}");
    }
    let token = format!("ob_{}", new_secret());
    let prefix: String = token.chars().take(10).collect();
    let hash = secret_hash(&token);
    let entry = operator_entry(
        "issue_token",
        username,
        &format!("token {prefix}…, scopes {scopes}, {days} days"),
    );
    let label = if label.trim().is_empty() { "command line" } else { label };
    let issued = store
        .issue_token(
            &NewToken { username, label, scopes, days, token_hash: &hash, prefix: &prefix },
            &entry,
        )
        .map_err(user_error)?;
    eprintln!(
        "token {} for {username}, scopes {}, expires {}. It is shown once: store it now.",
        issued.id,
        issued.scopes,
        issued.expires_at.get(..10).unwrap_or("")
    );
    println!("{token}");
    Ok(())
}

/// `onebudget token list`.
pub fn list_tokens(store: &Store) -> anyhow::Result<()> {
    let tokens = store.tokens()?;
    if tokens.is_empty() {
        println!("no tokens yet; issue one with `onebudget token issue`");
        return Ok(());
    }
    println!(
        "{:>4}  {:<26} {:<12} {:<28} {:<10} state",
        "id", "service account", "starts", "scopes", "expires"
    );
    for t in tokens {
        println!(
            "{:>4}  {:<26} {:<12} {:<28} {:<10} {}",
            t.id,
            t.username,
            t.prefix,
            t.scopes,
            t.expires_at.get(..10).unwrap_or(""),
            if t.revoked_at.is_some() { "revoked" } else { "live" }
        );
    }
    Ok(())
}

/// `onebudget token revoke ID`.
pub fn revoke_token(store: &Store, id: i64) -> anyhow::Result<()> {
    if !store.revoke_token_audited(id, &operator_entry("revoke_token", &id.to_string(), ""))? {
        anyhow::bail!("there is no live token {id}; `onebudget token list` shows them");
    }
    println!("revoked token {id}");
    Ok(())
}

/// `onebudget audit export --format csv`: every row (or those matching), newest first.
pub fn export_audit(
    store: &Store,
    filter: &AuditFilter,
    output: Option<&Path>,
) -> anyhow::Result<()> {
    let sink: Box<dyn Write> = match output {
        Some(path) => Box::new(
            std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
        ),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut writer = csv::Writer::from_writer(sink);
    writer.write_record([
        "id",
        "at",
        "actor",
        "actor_user_id",
        "role",
        "via",
        "action",
        "person_code",
        "target",
        "source",
        "outcome",
        "detail",
    ])?;
    let mut rows = 0u64;
    store.audit_each(filter, None, &mut |record| {
        let e = &record.entry;
        writer
            .write_record([
                record.id.to_string().as_str(),
                &e.at,
                &onebudget_web::pools::inert(&e.actor),
                &e.actor_user_id.map(|id| id.to_string()).unwrap_or_default(),
                e.role.as_deref().unwrap_or(""),
                &e.via,
                &e.action,
                e.person_code.as_deref().unwrap_or(""),
                &onebudget_web::pools::inert(&e.target),
                &e.source,
                &e.outcome,
                &onebudget_web::pools::inert(&e.detail),
            ])
            .map_err(|error| StoreError::Io(error.to_string()))?;
        rows += 1;
        Ok(())
    })?;
    writer.flush()?;
    store.append_audit(&[operator_entry("export_audit", "audit_log", &format!("{rows} rows"))])?;
    Ok(())
}
