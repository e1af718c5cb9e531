//! Who is calling, and the one gate every protected handler passes through.
//!
//! [`Caller`] is an extractor: it reads the session cookie (people) or the
//! `Authorization: Bearer` header (machine clients), looks the hash up in the store, and
//! yields the [`Principal`] (or none) with where the request came from. A handler then
//! calls [`Caller::authorize`] with the [`Action`] it is about to perform. That asks
//! `onebudget_core::access::decide` (the one place that decides) and writes the audit row
//! the action needs: every refusal, and every allowed access to a person's record or
//! change. The handler gets the principal only when the audit row is committed, so no
//! person's data leaves the server without its audit row.
//!
//! Secrets: passwords are argon2id PHC strings; session and bearer tokens are 256 random
//! bits sent to the client once and stored only as SHA-256 hashes.

use std::net::{IpAddr, SocketAddr};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use onebudget_core::access::{Action, Principal, Role, Scope, decide};
use onebudget_store::{AuditEntry, UserRecord};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::pages::status::{Viewer, ViewerSlot};
use crate::state::AppState;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "onebudget_session";

/// How long a session lasts from sign-in.
pub const SESSION_HOURS: i64 = 8;

/// How a caller proved who they are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    Session,
    Token,
    Anonymous,
}

impl Via {
    pub fn code(self) -> &'static str {
        match self {
            Via::Session => "session",
            Via::Token => "token",
            Via::Anonymous => "anonymous",
        }
    }
}

/// The caller of one request.
#[derive(Clone, Debug)]
pub struct Caller {
    pub principal: Option<Principal>,
    pub display_name: Option<String>,
    pub via: Via,
    /// The client's address, for the audit log ("unknown" when the server cannot tell).
    pub source: String,
    /// The client's address: the connection's peer, or, from a trusted proxy, the client
    /// its `X-Forwarded-For` names (see [`client_address`]).
    pub address: Option<IpAddr>,
    /// The session's CSRF token, which its forms carry.
    pub csrf_token: Option<String>,
    /// The SHA-256 of the session token, to end it at sign-out.
    pub session_hash: Option<String>,
    /// A bearer token was sent but is unknown, revoked or expired.
    pub bad_token: bool,
    /// The path asked for (for a page's navigation).
    pub path: String,
}

/// Why a handler may not go on.
#[derive(Debug)]
pub enum Denied {
    /// Nobody is signed in (or the token is not valid).
    NotSignedIn,
    /// Signed in, but the role (or token scope) does not allow it; the reason says why.
    Refused(String),
    /// The audit row could not be written, so nothing is shown.
    Failed(ApiError),
}

impl From<Denied> for ApiError {
    fn from(denied: Denied) -> ApiError {
        match denied {
            Denied::NotSignedIn => ApiError::Unauthenticated,
            Denied::Refused(reason) => ApiError::Forbidden(reason),
            Denied::Failed(error) => error,
        }
    }
}

/// A random 256-bit secret, URL-safe base64.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The SHA-256 of a secret, hex: what the store keeps.
pub fn secret_hash(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    let mut out = String::with_capacity(64);
    for byte in digest {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

/// Compare two secrets without leaking where they differ (by comparing their hashes).
pub fn same_secret(a: &str, b: &str) -> bool {
    Sha256::digest(a.as_bytes()) == Sha256::digest(b.as_bytes())
}

/// An argon2id hash of `password` (the crate's default parameters: 19 MiB, 2 passes, the
/// OWASP minimum for argon2id).
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("hashing the password: {e}"))?
        .to_string())
}

/// Whether `password` matches the stored argon2 `hash`.
pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash)
        .is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// The principal a user record stands for, or `None` if the record is unreadable.
pub fn principal_of(user: &UserRecord, token_scopes: Option<Vec<Scope>>) -> Option<Principal> {
    Some(Principal {
        user_id: user.id,
        username: user.username.clone(),
        role: Role::parse(&user.role).ok()?,
        person: user.person_code.clone(),
        team: user.team.clone(),
        organisation: user.organisation.clone(),
        token_scopes,
    })
}

/// Now, as the store writes times.
pub fn now_utc() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// The value of cookie `name` in a request's `Cookie` headers.
pub(crate) fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// The client's address. It is the connection's peer, unless the peer is one of
/// `trusted_proxies`: then the `X-Forwarded-For` header is read from its end, past every
/// trusted proxy, and the first address that is not one is the client. (A client can put
/// anything at the start of that header; only what the trusted proxies appended counts.)
pub fn client_address(parts: &Parts, trusted_proxies: &[IpAddr]) -> Option<IpAddr> {
    let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(a)| a.ip())?;
    if !trusted_proxies.contains(&peer) {
        return Some(peer);
    }
    let forwarded: Vec<&str> = parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for hop in forwarded.iter().rev() {
        let Ok(address) = hop.parse::<IpAddr>() else {
            // Not an address: nothing before it can be trusted.
            break;
        };
        client = address;
        if !trusted_proxies.contains(&address) {
            break;
        }
    }
    Some(client)
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Caller, ApiError> {
        let address = client_address(parts, &state.settings.trusted_proxies);
        let mut caller = Caller {
            principal: None,
            display_name: None,
            via: Via::Anonymous,
            source: address.map_or_else(|| "unknown".to_owned(), |a| a.to_string()),
            address,
            csrf_token: None,
            session_hash: None,
            bad_token: false,
            path: parts.uri.path().to_owned(),
        };
        let now = now_utc();
        let bearer = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            // The scheme is case-insensitive (RFC 9110 §11.1).
            .and_then(|v| v.trim().split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim());
        if let Some(token) = bearer {
            let hash = secret_hash(token);
            let found = state.run(move |store| store.token_user(&hash, &now)).await?;
            match found.and_then(|(user, scopes)| {
                let scopes = Scope::parse_list(&scopes).ok()?;
                Some((principal_of(&user, Some(scopes))?, user.display_name))
            }) {
                Some((principal, name)) => {
                    caller.principal = Some(principal);
                    caller.display_name = Some(name);
                    caller.via = Via::Token;
                }
                None => caller.bad_token = true,
            }
            return Ok(caller);
        }
        if let Some(token) = cookie_value(&parts.headers, SESSION_COOKIE) {
            let hash = secret_hash(token);
            let found = match state.sessions.get(&hash, &now) {
                Some(session) => Some(session),
                None => {
                    let epoch = state.sessions.epoch();
                    let lookup = hash.clone();
                    let found = state.run(move |store| store.session(&lookup, &now)).await?;
                    if let Some(session) = &found {
                        state.sessions.put(hash.clone(), session.clone(), epoch);
                    }
                    found
                }
            };
            if let Some(session) = found
                && let Some(principal) = principal_of(&session.user, None)
            {
                if let Some(slot) = parts.extensions.get::<ViewerSlot>() {
                    slot.set(Viewer {
                        display_name: session.user.display_name.clone(),
                        role: principal.role,
                        csrf_token: session.csrf_token.clone(),
                        path: caller.path.clone(),
                    });
                }
                caller.principal = Some(principal);
                caller.display_name = Some(session.user.display_name);
                caller.via = Via::Session;
                caller.csrf_token = Some(session.csrf_token);
                caller.session_hash = Some(hash);
            }
        }
        Ok(caller)
    }
}

impl Caller {
    /// An audit row for this caller, filled in but for what was done.
    pub fn audit_entry(
        &self,
        action: &str,
        target: &str,
        outcome: &str,
        detail: &str,
    ) -> AuditEntry {
        AuditEntry {
            at: now_utc(),
            actor: self
                .principal
                .as_ref()
                .map_or_else(|| "anonymous".to_owned(), |p| p.username.clone()),
            actor_user_id: self.principal.as_ref().map(|p| p.user_id),
            role: self.principal.as_ref().map(|p| p.role.code().to_owned()),
            via: self.via.code().to_owned(),
            action: action.to_owned(),
            person_code: None,
            target: target.to_owned(),
            source: self.source.clone(),
            outcome: outcome.to_owned(),
            detail: detail.to_owned(),
        }
    }

    /// May this caller do `action` on `target` (a path or object name)? Decides through
    /// `access::decide`, records the audit row the action needs, and returns the principal
    /// once that row is committed.
    pub async fn authorize(
        &self,
        state: &AppState,
        action: Action<'_>,
        target: &str,
    ) -> Result<Principal, Denied> {
        self.authorize_about(state, action, target, None).await
    }

    /// [`Caller::authorize`], with the audit row naming `person` when the action itself
    /// names no one but the request reached for that person's record (an account or a
    /// transfer of theirs asked for through the ledger's routes), so that a refusal shows
    /// on that person's "who has looked at your record" page.
    pub async fn authorize_about(
        &self,
        state: &AppState,
        action: Action<'_>,
        target: &str,
        person: Option<&str>,
    ) -> Result<Principal, Denied> {
        let person_code = action.person().or(person).map(str::to_owned);
        let Some(principal) = &self.principal else {
            let detail = if self.bad_token {
                "the bearer token is unknown, revoked or expired"
            } else {
                "not signed in"
            };
            let mut entry = self.audit_entry(action.code(), target, "refused", detail);
            entry.person_code = person_code;
            state.audit(entry).await.map_err(Denied::Failed)?;
            return Err(Denied::NotSignedIn);
        };
        let decision = decide(principal, &action);
        let must_log = decision.is_err() || logged_when_allowed(&action);
        if must_log {
            let (outcome, detail) = match &decision {
                Ok(()) => ("allowed", String::new()),
                Err(refusal) => ("refused", refusal.reason.to_owned()),
            };
            let mut entry = self.audit_entry(action.code(), target, outcome, &detail);
            entry.person_code = person_code;
            state.audit(entry).await.map_err(Denied::Failed)?;
        }
        match decision {
            Ok(()) => Ok(principal.clone()),
            Err(refusal) => Err(Denied::Refused(refusal.reason.to_owned())),
        }
    }
}

/// Which allowed actions leave an audit row: everything that shows an identifiable person
/// or changes something, and reading the audit log itself. Reading aggregates, the ledger's
/// organisation accounts or running a stateless assessment does not.
fn logged_when_allowed(action: &Action<'_>) -> bool {
    match action {
        Action::ReadPerson(_)
        | Action::ReadPersonAccessLog(_)
        | Action::ListCaseload { .. }
        | Action::ListAllPeople
        | Action::WriteLedger
        | Action::RecordAssessment(_)
        | Action::ReadAuditLog
        | Action::Administer
        | Action::ManagePools
        | Action::ConfirmSettlement { .. }
        | Action::PlanBudget(_)
        | Action::RecordSpending(_)
        | Action::PayBudgets
        | Action::DecideRecovery
        | Action::ImportEvents => true,
        // For ReadOwnRecord, the read of the record the page shows is logged on its own.
        Action::ReadOwnRecord
        | Action::ReadLedger
        | Action::ReadAggregates
        | Action::ReadPools
        | Action::Assess => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_against_their_own_hash() {
        let hash = hash_password("correct horse battery staple").unwrap_or_default();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_password(&hash, "correct horse battery staple"));
        assert!(!verify_password(&hash, "Correct horse battery staple"));
        assert!(!verify_password("not a hash", "anything"));
    }

    #[test]
    fn secrets_are_random_and_stored_hashed() {
        let a = new_secret();
        let b = new_secret();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43, "256 bits in URL-safe base64");
        assert_eq!(secret_hash(&a).len(), 64);
        assert_ne!(secret_hash(&a), a);
        assert!(same_secret(&a, &a.clone()));
        assert!(!same_secret(&a, &b));
    }
}

/// An action every request to a route needs, whatever it names: the route-level half of
/// authorization, checked before the body is read.
pub trait Requirement {
    const ACTION: Action<'static>;
}

macro_rules! requirements {
    ($($(#[$doc:meta])* $name:ident => $action:expr;)*) => {$(
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name;
        impl Requirement for $name {
            const ACTION: Action<'static> = $action;
        }
    )*};
}

requirements! {
    /// Read the ledger.
    LedgerRead => Action::ReadLedger;
    /// Change the ledger.
    LedgerWrite => Action::WriteLedger;
    /// Read whole-system figures.
    Aggregates => Action::ReadAggregates;
    /// Run an assessment.
    Assessing => Action::Assess;
    /// Read the audit log.
    AuditLog => Action::ReadAuditLog;
    /// Administer users, tokens and settings.
    Administration => Action::Administer;
    /// List every person.
    AllPeople => Action::ListAllPeople;
}

/// Extractor for API handlers: the caller may do `R::ACTION`, else 401 or 403 (audited
/// as [`Caller::authorize`] does). Put it before any body extractor, so an unauthorised
/// request is refused before its body is read.
#[derive(Debug)]
pub struct Allowed<R: Requirement> {
    pub principal: Principal,
    pub caller: Caller,
    requirement: std::marker::PhantomData<R>,
}

impl<R: Requirement + Send + Sync> FromRequestParts<AppState> for Allowed<R> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let caller = Caller::from_request_parts(parts, state).await?;
        let principal = caller.authorize(state, R::ACTION, parts.uri.path()).await?;
        Ok(Allowed { principal, caller, requirement: std::marker::PhantomData })
    }
}
