//! Users, bearer tokens and the audit log from the command line: `onebudget user add`,
//! `onebudget token issue | list | revoke`, `onebudget audit export`.
//!
//! Whoever runs these has the database itself, so they act as the server's operator
//! (an administrator or, for export, an auditor); each change, and each export, still
//! leaves a row in the audit log with `via = command_line`. A new token is printed once
//! and stored only as its SHA-256 hash.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use onebudget_core::access::{Role, Scope};
use onebudget_store::{AuditEntry, AuditFilter, NewUser, Store, StoreError};
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

/// `onebudget user add`.
pub fn add_user(store: &Store, args: &NewUserArgs<'_>) -> anyhow::Result<()> {
    let role = Role::parse(args.role)?;
    if args.username.trim().is_empty() || args.username.contains(char::is_whitespace) {
        anyhow::bail!("--username: give a user name without spaces, e.g. jsmith");
    }
    if role == Role::Citizen && args.person.is_none() {
        anyhow::bail!(
            "--person: a citizen's login must name their person code, e.g. --person P000123"
        );
    }
    if role == Role::Practitioner && args.team.is_none() {
        anyhow::bail!(
            "--team: a practitioner's login must name their team, e.g. --team TEAM-NORTH"
        );
    }
    if let Some(organisation) = args.organisation
        && !store.organisations()?.iter().any(|o| o.code == organisation)
    {
        anyhow::bail!("--organisation: there is no organisation {organisation:?} in this database");
    }
    if let Some(team) = args.team
        && !store.teams()?.iter().any(|t| t.code == team)
    {
        anyhow::bail!("--team: there is no team {team:?} in this database");
    }
    if let Some(person) = args.person
        && store.person(person)?.is_none()
    {
        anyhow::bail!("--person: there is no person {person:?} in this database");
    }
    let hash = match (&args.password, args.service) {
        (_, true) => None,
        (Some(password), false) if password.chars().count() >= 12 => Some(hash_password(password)?),
        (Some(_), false) => anyhow::bail!("the password must be at least 12 characters long"),
        (None, false) => anyhow::bail!(
            "give the password in ONEBUDGET_NEW_PASSWORD or on standard input (--password-stdin)"
        ),
    };
    let created = store.create_user(&NewUser {
        username: args.username,
        display_name: args.name,
        role: role.code(),
        kind: if args.service { "service" } else { "person" },
        password_hash: hash.as_deref(),
        person_code: args.person,
        team: args.team,
        organisation: args.organisation,
    });
    match created {
        Err(StoreError::UniqueViolation(_)) => {
            anyhow::bail!("--username: the user name {:?} is already taken", args.username)
        }
        other => other?,
    };
    store.append_audit(&[operator_entry("add_user", args.username, role.code())])?;
    println!("added {} ({}) as {}", args.username, args.name, role.label());
    Ok(())
}

/// `onebudget token issue`: prints the new token once.
pub fn issue_token(
    store: &Store,
    username: &str,
    scopes: &str,
    days: u32,
    label: &str,
) -> anyhow::Result<()> {
    let scopes = Scope::parse_list(scopes)?;
    let user = store
        .user_by_username(username)?
        .with_context(|| format!("--user: there is no user {username:?}"))?;
    if user.kind != "service" {
        anyhow::bail!(
            "--user: {username:?} is a person's login; tokens are for service accounts (add one with `onebudget user add --service`)"
        );
    }
    if !(1..=366).contains(&days) {
        anyhow::bail!("--days: a token lasts from 1 to 366 days (got {days})");
    }
    let token = format!("ob_{}", new_secret());
    let expires = (chrono::Utc::now() + chrono::Duration::days(i64::from(days)))
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let codes: Vec<&str> = scopes.iter().map(|s| s.code()).collect();
    let prefix: String = token.chars().take(10).collect();
    let id = store.create_token(
        user.id,
        label,
        &prefix,
        &secret_hash(&token),
        &codes.join(","),
        &expires,
    )?;
    store.append_audit(&[operator_entry(
        "issue_token",
        username,
        &format!(
            "token {id} ({prefix}…), scopes {}, expires {}",
            codes.join(","),
            expires.get(..10).unwrap_or("")
        ),
    )])?;
    eprintln!(
        "token {id} for {username}, scopes {}, expires {}. It is shown once: store it now.",
        codes.join(","),
        expires.get(..10).unwrap_or("")
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
    if !store.revoke_token(id)? {
        anyhow::bail!("there is no live token {id}; `onebudget token list` shows them");
    }
    store.append_audit(&[operator_entry("revoke_token", &id.to_string(), "")])?;
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
