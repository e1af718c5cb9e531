//! Signing in and out: `GET /sign-in` (the form), `POST /sign-in`, `POST /sign-out`.
//!
//! Sign-in checks, in order: the form's CSRF token against the `onebudget_signin` cookie
//! set with the form; throttling (`throttle.rs`: after a few failures for a user name from
//! one client address that pair waits, longer after each further failure, and an address
//! that fails for many user names waits too; the form then says how long is left, even to
//! someone with the right password); then the password against its argon2id hash (a
//! made-up hash is checked when the user does not exist, so both take the same time).
//! Success starts a server-side session: the cookie carries a random token (HttpOnly,
//! SameSite=Strict, Secure when configured, Path=/), the database only its hash. Every
//! attempt, and every sign-out, leaves one audit row.

use std::sync::atomic::Ordering;

use axum::Form;
use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::http::header::{LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;

use crate::auth::{
    Caller, SESSION_COOKIE, SESSION_HOURS, hash_password, new_secret, secret_hash, verify_password,
};
use crate::csrf::{FIELD, token_matches};
use crate::pages::components::important_banner;
use crate::pages::form::{FieldErrors, InputKind, TextInput, error_summary};
use crate::pages::layout::{HtmlPage, page};
use crate::state::AppState;

pub const SIGN_IN_PATH: &str = "/sign-in";
pub const SIGN_OUT_PATH: &str = "/sign-out";
/// The cookie that carries the sign-in form's CSRF token (double submit).
const SIGN_IN_COOKIE: &str = "onebudget_signin";

/// The sign-in form's fields.
#[derive(Debug, Default, Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub csrf_token: String,
    /// The page to go to once signed in (a path on this server), if sign-in was asked for
    /// on the way to it.
    #[serde(default)]
    pub return_to: String,
}

/// `GET /sign-in`'s query: where to go afterwards, and whether a session has just ended.
#[derive(Debug, Default, Deserialize)]
pub struct SignInQuery {
    #[serde(default)]
    pub return_to: Option<String>,
    #[serde(default)]
    pub expired: Option<String>,
}

/// `return_to` if it is a page of this server to go to after sign-in: a path (never
/// another site, `//host` or `/\host`), not the sign-in or sign-out page itself.
pub fn safe_return(return_to: &str) -> Option<&str> {
    let ok = return_to.starts_with('/')
        && !return_to.starts_with("//")
        && !return_to.starts_with("/\\")
        && return_to.len() <= 2048
        && return_to.chars().all(|c| c.is_ascii_graphic())
        && !return_to.starts_with(SIGN_IN_PATH)
        && !return_to.starts_with(SIGN_OUT_PATH);
    ok.then_some(return_to)
}

/// The sign-out form's fields.
#[derive(Debug, Default, Deserialize)]
pub struct SignOutForm {
    #[serde(default)]
    pub csrf_token: String,
}

fn cookie(
    state: &AppState,
    name: &str,
    value: &str,
    path: &str,
    max_age_seconds: i64,
) -> HeaderValue {
    let secure = if state.settings.secure_cookies { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; HttpOnly; SameSite=Strict; Path={path}; Max-Age={max_age_seconds}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn see_other(location: &'static str) -> Response {
    (StatusCode::SEE_OTHER, [(LOCATION, HeaderValue::from_static(location))]).into_response()
}

/// A redirect to a path checked by [`safe_return`] (or a fixed one).
fn see_other_to(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(value) => (StatusCode::SEE_OTHER, [(LOCATION, value)]).into_response(),
        Err(_) => see_other("/home"),
    }
}

/// What the sign-in page says above the form, and where it goes after.
#[derive(Debug, Default)]
struct Context<'a> {
    return_to: Option<&'a str>,
    expired: bool,
}

fn form_page(
    username: &str,
    csrf_token: &str,
    errors: &FieldErrors,
    context: &Context<'_>,
) -> Markup {
    page(
        if errors.is_empty() { "Sign in" } else { "Error: Sign in" },
        html! {
            (error_summary(errors))
            @if context.expired && errors.is_empty() {
                (important_banner("You have been signed out", Some(html! {
                    p.govuk-body { "Your session ended (sessions last " (SESSION_HOURS) " hours, and end when you sign out). Sign in again to carry on." }
                })))
            }
            h1.govuk-heading-l { "Sign in" }
            p.govuk-body { "Sign in to see your budget, your caseload or your organisation's figures." }
            @if context.return_to.is_some() {
                p.govuk-body { "Once you have signed in, you will go straight to the page you asked for." }
            }
            form method="post" action=(SIGN_IN_PATH) novalidate {
                input type="hidden" name=(FIELD) value=(csrf_token);
                @if let Some(return_to) = context.return_to {
                    input type="hidden" name="return_to" value=(return_to);
                }
                (TextInput { id: "username", label: "User name", hint: None, value: username, kind: InputKind::Text }.render(errors))
                div.govuk-form-group {
                    label.govuk-label for="password" { "Password" }
                    input.govuk-input."govuk-!-width-two-thirds" #password type="password" name="password" autocomplete="current-password" spellcheck="false";
                }
                button.govuk-button type="submit" { "Sign in" }
            }
        },
    )
}

/// Show the form with a fresh CSRF token in it and in its cookie.
fn show_form(
    state: &AppState,
    status: StatusCode,
    username: &str,
    errors: &FieldErrors,
    context: &Context<'_>,
) -> Response {
    let token = new_secret();
    let mut response =
        HtmlPage::private(status, form_page(username, &token, errors, context)).into_response();
    response
        .headers_mut()
        .append(SET_COOKIE, cookie(state, SIGN_IN_COOKIE, &token, SIGN_IN_PATH, 3600));
    response
}

/// `GET /sign-in`: the form, or the home page for someone already signed in.
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<axum::extract::Query<SignInQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let query = query.map(|q| q.0).unwrap_or_default();
    let return_to = query.return_to.as_deref().and_then(safe_return);
    if caller.via == crate::auth::Via::Session {
        return see_other_to(return_to.unwrap_or("/home"));
    }
    let context = Context { return_to, expired: query.expired.is_some() };
    show_form(&state, StatusCode::OK, "", &FieldErrors::new(), &context)
}

/// `POST /sign-in`.
pub async fn sign_in(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    form: Result<Form<SignInForm>, FormRejection>,
) -> Response {
    let form = form.map(|Form(f)| f).unwrap_or_default();
    let username = form.username.trim().to_owned();
    let return_to = safe_return(&form.return_to).map(str::to_owned);
    let context = Context { return_to: return_to.as_deref(), expired: false };
    let audit = |outcome: &str, detail: &str| {
        let mut entry = caller.audit_entry("sign_in", &username, outcome, detail);
        entry.actor = if username.is_empty() { "anonymous".into() } else { username.clone() };
        entry
    };
    let expected = crate::auth::cookie_value(&headers, SIGN_IN_COOKIE);
    if !token_matches(expected, Some(form.csrf_token.as_str())) {
        if let Err(error) =
            state.audit(audit("refused", "the form's CSRF token is missing or wrong")).await
        {
            return error.into_response();
        }
        let mut errors = FieldErrors::new();
        errors.add(
            "username",
            "Your sign-in form had expired. Enter your user name and password again",
        );
        return show_form(&state, StatusCode::FORBIDDEN, &username, &errors, &context);
    }
    if username.is_empty() {
        let mut errors = FieldErrors::new();
        errors.add("username", "Enter your user name");
        return show_form(&state, StatusCode::UNPROCESSABLE_ENTITY, "", &errors, &context);
    }

    // Decided and counted in one step, so concurrent attempts cannot slip past the limit.
    let address = caller.address.unwrap_or(std::net::IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED));
    let attempt = match state.throttle.begin(&username, address, std::time::Instant::now()) {
        Ok(attempt) => attempt,
        Err(wait) => {
            state.counters.sign_in_throttled.fetch_add(1, Ordering::Relaxed);
            let detail = if wait.whole_address {
                "throttled: too many failed attempts from this address"
            } else {
                "throttled: too many failed attempts for this user from this address"
            };
            if let Err(error) = state.audit(audit("failure", detail)).await {
                return error.into_response();
            }
            let mut errors = FieldErrors::new();
            let message = if wait.whole_address {
                format!(
                    "There have been too many failed attempts to sign in from your network. Wait {}, then try again",
                    wait.in_words()
                )
            } else {
                format!(
                    "There have been too many failed attempts to sign in as this user. Wait {}, then try again",
                    wait.in_words()
                )
            };
            errors.add("username", message);
            let mut response =
                show_form(&state, StatusCode::TOO_MANY_REQUESTS, &username, &errors, &context);
            if let Ok(value) = HeaderValue::from_str(&wait.retry_after_seconds().to_string()) {
                response.headers_mut().insert(axum::http::header::RETRY_AFTER, value);
            }
            return response;
        }
    };
    let name = username.clone();
    let user = match state.run(move |store| store.user_by_username(&name)).await {
        Ok(user) => user,
        Err(error) => return error.into_response(),
    };

    let password = form.password;
    let stored = user.as_ref().and_then(|u| u.password_hash.clone());
    // Argon2 runs at most `SIGN_IN_PERMITS` times at once.
    let Ok(permit) = state.sign_in_permits.clone().acquire_owned().await else {
        return crate::error::ApiError::Internal("sign-in is shutting down".into()).into_response();
    };
    let verified = tokio::task::spawn_blocking(move || match stored {
        Some(hash) => verify_password(&hash, &password),
        None => {
            // The same work as a real check, so timing does not tell who exists.
            let _ = hash_password(&password);
            false
        }
    })
    .await
    .unwrap_or(false);
    drop(permit);

    // A disabled user is told what anyone with a wrong password is told (so the page does
    // not say which names exist); the audit log says why.
    let disabled = user.as_ref().is_some_and(|u| u.disabled_at.is_some());
    let Some(user) = user.filter(|_| verified && !disabled) else {
        state.counters.sign_in_failures.fetch_add(1, Ordering::Relaxed);
        let why = if verified && disabled {
            "the user is disabled"
        } else {
            "wrong user name or password"
        };
        if let Err(error) = state.audit(audit("failure", why)).await {
            return error.into_response();
        }
        let mut errors = FieldErrors::new();
        errors.add("username", "The user name or password is not right. Check them and try again");
        return show_form(&state, StatusCode::UNAUTHORIZED, &username, &errors, &context);
    };
    attempt.succeeded();

    let token = new_secret();
    let csrf_token = new_secret();
    let expires = (chrono::Utc::now() + chrono::Duration::hours(SESSION_HOURS))
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let hash = secret_hash(&token);
    let user_id = user.id;
    if let Err(error) =
        state.run(move |store| store.create_session(&hash, user_id, &csrf_token, &expires)).await
    {
        return error.into_response();
    }
    state.counters.sign_in_successes.fetch_add(1, Ordering::Relaxed);
    let mut entry = audit("success", "");
    entry.actor_user_id = Some(user.id);
    entry.role = Some(user.role.clone());
    entry.via = "session".into();
    if let Err(error) = state.audit(entry).await {
        return error.into_response();
    }
    let mut response = see_other_to(return_to.as_deref().unwrap_or("/home"));
    let headers = response.headers_mut();
    headers.append(SET_COOKIE, cookie(&state, SESSION_COOKIE, &token, "/", SESSION_HOURS * 3600));
    headers.append(SET_COOKIE, cookie(&state, SIGN_IN_COOKIE, "", SIGN_IN_PATH, 0));
    response
}

/// `POST /sign-out`: end the session (the form must carry its CSRF token).
pub async fn sign_out(
    State(state): State<AppState>,
    caller: Caller,
    form: Result<Form<SignOutForm>, FormRejection>,
) -> Response {
    let form = form.map(|Form(f)| f).unwrap_or_default();
    let Some(hash) = caller.session_hash.clone() else {
        return see_other(SIGN_IN_PATH);
    };
    let target = SIGN_OUT_PATH;
    if !token_matches(caller.csrf_token.as_deref(), Some(form.csrf_token.as_str())) {
        let entry = caller.audit_entry(
            "sign_out",
            target,
            "refused",
            "the form's CSRF token is missing or wrong",
        );
        if let Err(error) = state.audit(entry).await {
            return error.into_response();
        }
        return HtmlPage::private(
            StatusCode::FORBIDDEN,
            page("You have not been signed out", html! {
                h1.govuk-heading-l { "You have not been signed out" }
                p.govuk-body { "The sign-out form could not be checked. Go to " a.govuk-link href="/home" { "your home page" } " and use the Sign out button there." }
            }),
        )
        .into_response();
    }
    let ended = hash.clone();
    if let Err(error) = state.run(move |store| store.end_session(&ended)).await {
        return error.into_response();
    }
    // Not one more request of this session is let in on this process's memory of it.
    state.sessions.remove(&hash);
    if let Err(error) = state.audit(caller.audit_entry("sign_out", target, "success", "")).await {
        return error.into_response();
    }
    let mut response = HtmlPage::private(
        StatusCode::OK,
        page(
            "You have signed out",
            html! {
                h1.govuk-heading-l { "You have signed out" }
                p.govuk-body { a.govuk-link href=(SIGN_IN_PATH) { "Sign in again" } }
            },
        ),
    )
    .into_response();
    response.headers_mut().append(SET_COOKIE, cookie(&state, SESSION_COOKIE, "", "/", 0));
    response
}
