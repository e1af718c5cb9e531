//! The administrator's pages: `/admin` (users, with whether each is disabled; the form to
//! add a user; bearer tokens, with the form to issue one and a button to revoke each; and
//! the organisations, teams and funding streams) and `/admin/users/{username}` (one user:
//! disable or enable them, reset their password).
//!
//! The checks and changes are the store's own (`Store::add_user`, `disable_user`,
//! `enable_user`, `set_password`, `issue_token`, `revoke_token_audited`), the ones
//! `onebudget user` and `onebudget token` call, so the pages and the command line agree;
//! each writes its audit row (`add_user`, `disable_user`, ...) in the same transaction as
//! the change, after `Caller::authorize` has recorded the `administer` decision. A password
//! is stored only as its argon2id hash; a generated password and a token's secret are shown
//! once, on the page that answers the form, and never again. Every form carries the
//! session's CSRF token; a mistake is shown again (422) with an error summary, and nothing
//! of it is kept.

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, State};
use axum::http::StatusCode;
use maud::{Markup, html};
use onebudget_core::access::{Action, Principal, Role, Scope};
use onebudget_core::field::FieldError;
use onebudget_store::{
    NewToken, NewUser, OrganisationRecord, StoreError, TeamRecord, TokenRecord, UserError,
    UserRecord, check_new_password,
};

use crate::auth::{Caller, hash_password, new_secret, secret_hash};
use crate::csrf::{FIELD, token_matches};
use crate::error::ApiError;
use crate::extract::{PagePath, PageQuery};
use crate::pages::components::{TagColour, important_banner, success_banner, summary_list, tag};
use crate::pages::confirm::value;
use crate::pages::form::{Checkbox, FieldErrors, InputKind, Select, TextInput, error_summary};
use crate::pages::roles::see_other;
use crate::pages::{PageError, PageResult, render_with};
use crate::state::AppState;

type FormPairs = Vec<(String, String)>;

/// Everything the administration page lists.
struct Listing {
    users: Vec<UserRecord>,
    tokens: Vec<TokenRecord>,
    organisations: Vec<OrganisationRecord>,
    teams: Vec<TeamRecord>,
    streams: Vec<onebudget_core::ledger::FundingStream>,
}

async fn listing(state: &AppState) -> Result<Listing, ApiError> {
    state
        .run(|store| {
            Ok::<_, StoreError>(Listing {
                users: store.users()?,
                tokens: store.tokens()?,
                organisations: store.organisations()?,
                teams: store.teams()?,
                streams: store.streams()?,
            })
        })
        .await
}

/// The form sent, its CSRF token checked, after the `administer` decision (audited).
async fn admin_form(
    state: &AppState,
    caller: &Caller,
    target: &str,
    form: Result<Form<FormPairs>, FormRejection>,
    not_done: &str,
    back: &str,
) -> Result<(Principal, FormPairs), PageError> {
    let principal = caller.authorize(state, Action::Administer, target).await?;
    let form = form.map(|Form(f)| f).unwrap_or_default();
    if !token_matches(caller.csrf_token.as_deref(), Some(value(&form, FIELD))) {
        return Err(PageError::FormUnchecked { title: not_done.to_owned(), back: back.to_owned() });
    }
    Ok((principal, form))
}

fn csrf_field(caller: &Caller) -> Markup {
    html! { input type="hidden" name=(FIELD) value=(caller.csrf_token.as_deref().unwrap_or("")); }
}

/// "the problem" as a sentence: a capital first letter.
fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |c| c.to_uppercase().collect::<String>() + chars.as_str())
}

/// A field error of the store's against the form's field `id_of(field)`.
fn field_errors(error: &FieldError, id_of: impl Fn(&str) -> &'static str) -> FieldErrors {
    let mut errors = FieldErrors::new();
    errors.add(id_of(&error.field), sentence(&error.problem));
    errors
}

fn user_field(field: &str) -> &'static str {
    match field {
        "username" => "username",
        "name" => "name",
        "role" => "role",
        "team" => "team",
        "person" => "person",
        "organisation" => "organisation",
        "kind" => "service",
        _ => "password",
    }
}

fn token_field(field: &str) -> &'static str {
    match field {
        "label" => "token-label",
        "scopes" => "token-scopes",
        "days" => "token-days",
        _ => "token-user",
    }
}

/// `GET /admin`: users, tokens, organisations, teams and streams, with the forms.
pub async fn index(State(state): State<AppState>, caller: Caller) -> PageResult {
    let principal = caller.authorize(&state, Action::Administer, "/admin").await?;
    index_page(&state, &caller, &principal, &[], &FieldErrors::new(), StatusCode::OK, None).await
}

async fn index_page(
    state: &AppState,
    caller: &Caller,
    principal: &Principal,
    form: &[(String, String)],
    errors: &FieldErrors,
    status: StatusCode,
    banner: Option<Markup>,
) -> PageResult {
    let list = listing(state).await?;
    let role_options: Vec<(&str, &str)> = std::iter::once(("", "Choose a role"))
        .chain(Role::ALL.iter().map(|r| (r.code(), r.label())))
        .collect();
    let team_names: Vec<String> =
        list.teams.iter().map(|t| format!("{} ({})", t.name, t.code)).collect();
    let team_options: Vec<(&str, &str)> = std::iter::once(("", "No team"))
        .chain(list.teams.iter().zip(&team_names).map(|(t, n)| (t.code.as_str(), n.as_str())))
        .collect();
    let organisation_names: Vec<String> =
        list.organisations.iter().map(|o| format!("{} ({})", o.name, o.code)).collect();
    let organisation_options: Vec<(&str, &str)> = std::iter::once(("", "No organisation"))
        .chain(
            list.organisations
                .iter()
                .zip(&organisation_names)
                .map(|(o, n)| (o.code.as_str(), n.as_str())),
        )
        .collect();
    let services: Vec<&UserRecord> =
        list.users.iter().filter(|u| u.kind == "service" && u.disabled_at.is_none()).collect();
    let service_options: Vec<(&str, &str)> = std::iter::once(("", "Choose a service account"))
        .chain(services.iter().map(|u| (u.username.as_str(), u.username.as_str())))
        .collect();
    let chosen: Vec<&str> =
        form.iter().filter(|(n, _)| n == "token-scopes").map(|(_, v)| v.as_str()).collect();
    let days = if value(form, "token-days").is_empty() { "90" } else { value(form, "token-days") };
    let main = html! {
        (error_summary(errors))
        @if let Some(banner) = banner { (banner) }
        h1.govuk-heading-l { "Administration" }
        p.govuk-body { "Who may sign in, and the tokens other systems use. Every change here is recorded in the audit log. The same changes can be made on the server with " code { "onebudget user" } " and " code { "onebudget token" } "." }
        (crate::pages::components::table_wrap("Users", html! { table.govuk-table.govuk-table--small-text-until-tablet {
            caption.govuk-table__caption.govuk-table__caption--m { "Users" }
            thead.govuk-table__head { tr.govuk-table__row {
                th.govuk-table__header scope="col" { "User name" } th.govuk-table__header scope="col" { "Name" }
                th.govuk-table__header scope="col" { "Role" } th.govuk-table__header scope="col" { "Team" }
                th.govuk-table__header scope="col" { "Status" }
            } }
            tbody.govuk-table__body {
                @for u in &list.users {
                    tr.govuk-table__row {
                        th.govuk-table__header scope="row" { a.govuk-link href={ "/admin/users/" (u.username) } { (u.username) } }
                        td.govuk-table__cell { @if u.role == "citizen" { "(a person receiving care)" } @else { (u.display_name) } }
                        td.govuk-table__cell { (Role::parse(&u.role).map_or("", |r| r.label())) @if u.kind == "service" { " (service account)" } }
                        td.govuk-table__cell { (u.team.as_deref().unwrap_or("")) }
                        td.govuk-table__cell { @if u.disabled_at.is_some() { (tag("Disabled", TagColour::Red)) } @else { (tag("Active", TagColour::Green)) } }
                    }
                }
            }
        } }))
        h2.govuk-heading-m #add-user { "Add a user" }
        form method="post" action="/admin/users" novalidate {
            (csrf_field(caller))
            (TextInput { id: "username", label: "User name", hint: Some("What they type to sign in: no spaces, for example jsmith"), value: value(form, "username"), kind: InputKind::Text }.render(errors))
            (TextInput { id: "name", label: "Full name", hint: Some("Shown on their pages and in the audit log"), value: value(form, "name"), kind: InputKind::Text }.render(errors))
            (Select { id: "role", label: "Role", hint: None, options: &role_options, selected: value(form, "role") }.render(errors))
            (Select { id: "team", label: "Team", hint: Some("A practitioner needs one: they see their team's caseload"), options: &team_options, selected: value(form, "team") }.render(errors))
            (Select { id: "organisation", label: "Organisation", hint: Some("For a finance officer who confirms pool settlements for their organisation"), options: &organisation_options, selected: value(form, "organisation") }.render(errors))
            (TextInput { id: "person", label: "Person's code", hint: Some("A citizen needs one: the record that is theirs, for example P000123"), value: value(form, "person"), kind: InputKind::Text }.render(errors))
            (Checkbox { id: "service", label: "A service account for another system", hint: Some("No password: it uses tokens. Leave the password empty."), checked: value(form, "service") == "yes" }.render())
            (password_input("password", value(form, "password"), errors))
            button.govuk-button #add type="submit" { "Add the user" }
        }
        (crate::pages::components::table_wrap("Bearer tokens", html! { table.govuk-table.govuk-table--small-text-until-tablet {
            caption.govuk-table__caption.govuk-table__caption--m { "Bearer tokens" }
            thead.govuk-table__head { tr.govuk-table__row {
                th.govuk-table__header scope="col" { "Id" } th.govuk-table__header scope="col" { "Service account" }
                th.govuk-table__header scope="col" { "Label" } th.govuk-table__header scope="col" { "Starts" }
                th.govuk-table__header scope="col" { "Scopes" } th.govuk-table__header scope="col" { "Expires" }
                th.govuk-table__header scope="col" { "State" }
            } }
            tbody.govuk-table__body {
                @for t in &list.tokens {
                    tr.govuk-table__row {
                        td.govuk-table__cell { (t.id) } td.govuk-table__cell { (t.username) } td.govuk-table__cell { (t.label) }
                        td.govuk-table__cell { code { (t.prefix) "…" } } td.govuk-table__cell { (t.scopes.replace(',', ", ")) }
                        td.govuk-table__cell { (t.expires_at.get(..10).unwrap_or("")) }
                        td.govuk-table__cell {
                            @if t.revoked_at.is_some() { "Revoked" } @else {
                                form.app-inline-form method="post" action={ "/admin/tokens/" (t.id) "/revoke" } {
                                    (csrf_field(caller))
                                    button.govuk-button.govuk-button--warning."govuk-!-margin-bottom-0" type="submit" { "Revoke" span.govuk-visually-hidden { " token " (t.id) } }
                                }
                            }
                        }
                    }
                }
            }
        } }))
        h2.govuk-heading-m #issue-token { "Issue a token" }
        @if services.is_empty() {
            p.govuk-body { "Tokens are for service accounts: add one above first." }
        } @else {
            form method="post" action="/admin/tokens" novalidate {
                (csrf_field(caller))
                (Select { id: "token-user", label: "Service account", hint: None, options: &service_options, selected: value(form, "token-user") }.render(errors))
                (TextInput { id: "token-label", label: "What it is for", hint: Some("For example, the system that uses it"), value: value(form, "token-label"), kind: InputKind::Text }.render(errors))
                @let scope_error = errors.get("token-scopes");
                div.govuk-form-group."govuk-form-group--error"[scope_error.is_some()] {
                    fieldset.govuk-fieldset aria-describedby={ "token-scopes-hint" @if scope_error.is_some() { " token-scopes-error" } } {
                        legend.govuk-fieldset__legend.govuk-fieldset__legend--s { "What it may do" }
                        div.govuk-hint #token-scopes-hint { "Never more than the account's role allows." }
                        @if let Some(e) = scope_error { p.govuk-error-message #token-scopes-error { span.govuk-visually-hidden { "Error: " } (e) } }
                        div.govuk-checkboxes.govuk-checkboxes--small data-module="govuk-checkboxes" {
                            @for (i, scope) in Scope::ALL.iter().enumerate() {
                                @let id = if i == 0 { "token-scopes".to_owned() } else { format!("token-scopes-{}", i + 1) };
                                div.govuk-checkboxes__item {
                                    input.govuk-checkboxes__input #(id) name="token-scopes" type="checkbox" value=(scope.code()) checked[chosen.contains(&scope.code())];
                                    label.govuk-label.govuk-checkboxes__label for=(id) { code { (scope.code()) } }
                                }
                            }
                        }
                    }
                }
                (TextInput { id: "token-days", label: "Days until it expires", hint: Some("1 to 366"), value: days, kind: InputKind::WholeNumber }.render(errors))
                button.govuk-button #issue type="submit" { "Issue the token" }
            }
        }
        h2.govuk-heading-m { "Organisations, teams and funding streams" }
        (crate::pages::components::table_wrap("Organisations", html! { table.govuk-table.govuk-table--small-text-until-tablet {
            caption.govuk-table__caption.govuk-table__caption--s { "Organisations" }
            thead.govuk-table__head { tr.govuk-table__row { th.govuk-table__header scope="col" { "Code" } th.govuk-table__header scope="col" { "Name" } th.govuk-table__header scope="col" { "Kind" } } }
            tbody.govuk-table__body { @for o in &list.organisations { tr.govuk-table__row { td.govuk-table__cell { (o.code) } td.govuk-table__cell { (o.name) } td.govuk-table__cell { (sentence(&o.kind.replace('_', " "))) } } } }
        } }))
        (crate::pages::components::table_wrap("Teams", html! { table.govuk-table.govuk-table--small-text-until-tablet {
            caption.govuk-table__caption.govuk-table__caption--s { "Teams" }
            thead.govuk-table__head { tr.govuk-table__row { th.govuk-table__header scope="col" { "Code" } th.govuk-table__header scope="col" { "Name" } } }
            tbody.govuk-table__body { @for t in &list.teams { tr.govuk-table__row { td.govuk-table__cell { (t.code) } td.govuk-table__cell { (t.name) } } } }
        } }))
        (crate::pages::components::table_wrap("Funding streams", html! { table.govuk-table.govuk-table--small-text-until-tablet {
            caption.govuk-table__caption.govuk-table__caption--s { "Funding streams" }
            thead.govuk-table__head { tr.govuk-table__row { th.govuk-table__header scope="col" { "Code" } th.govuk-table__header scope="col" { "Name" } th.govuk-table__header scope="col" { "Owner" } th.govuk-table__header scope="col" { "Charging" } } }
            tbody.govuk-table__body { @for s in &list.streams { tr.govuk-table__row { td.govuk-table__cell { (s.code().as_str()) } td.govuk-table__cell { (s.name()) } td.govuk-table__cell { (s.owner().as_str()) } td.govuk-table__cell { (sentence(&s.charging_basis().as_str().replace('_', " "))) } } } }
        } }))
    };
    render_with(caller, principal, status, "Administration", None, main)
}

fn password_input(id: &str, current: &str, errors: &FieldErrors) -> Markup {
    let error = errors.get(id);
    html! {
        div.govuk-form-group."govuk-form-group--error"[error.is_some()] {
            label.govuk-label for=(id) { "Password" }
            div.govuk-hint id={ (id) "-hint" } { "At least 12 characters. Leave it empty and one is made up for you; either way it is shown once, and only its hash is kept." }
            @if let Some(e) = error { p.govuk-error-message id={ (id) "-error" } { span.govuk-visually-hidden { "Error: " } (e) } }
            input.govuk-input."govuk-input--width-20"."govuk-input--error"[error.is_some()] type="password" id=(id) name=(id) value=(current) autocomplete="new-password" spellcheck="false"
                aria-describedby={ (id) "-hint" @if error.is_some() { " " (id) "-error" } };
        }
    }
}

/// The password typed, checked, or a made-up one; and whether it was made up.
fn new_password(typed: &str) -> Result<(String, bool), FieldError> {
    if typed.is_empty() {
        return Ok((new_secret(), true));
    }
    check_new_password(typed)?;
    Ok((typed.to_owned(), false))
}

/// The secret shown once: a password or a token.
fn shown_once(heading: &str, what: &str, secret: &str) -> Markup {
    important_banner(
        heading,
        Some(html! {
            p.govuk-body { (what) " It is shown this once: copy it now and give it to them safely. It cannot be shown again." }
            // Breakable every 8 characters (<wbr>), so a long secret fits a phone's width;
            // copied, it is one word.
            p.govuk-body { code #secret { @for (i, c) in secret.chars().enumerate() { @if i > 0 && i % 8 == 0 { wbr; } (c) } } }
        }),
    )
}

/// `POST /admin/users`: add a user.
pub async fn add_user(
    State(state): State<AppState>,
    caller: Caller,
    form: Result<Form<FormPairs>, FormRejection>,
) -> PageResult {
    let target = "/admin/users";
    let (principal, form) =
        admin_form(&state, &caller, target, form, "The user was not added", "/admin").await?;
    let (shared, asked) = ((&state, &caller, &principal), &form);
    let again = |errors: FieldErrors| async move {
        let (state, caller, principal) = shared;
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        index_page(state, caller, principal, asked, &errors, status, None).await
    };
    let service = value(&form, "service") == "yes";
    let username = value(&form, "username").trim().to_owned();
    let name = value(&form, "name").trim().to_owned();
    let role = value(&form, "role").to_owned();
    let optional = |id: &str| Some(value(&form, id).trim().to_owned()).filter(|v| !v.is_empty());
    let (team, organisation) = (optional("team"), optional("organisation"));
    let person = optional("person").map(|p| p.to_ascii_uppercase());
    let password = if service {
        if !value(&form, "password").is_empty() {
            let mut errors = FieldErrors::new();
            errors.add("password", "A service account has no password: leave it empty");
            return again(errors).await;
        }
        None
    } else {
        match new_password(value(&form, "password")) {
            Ok(p) => Some(p),
            Err(e) => return again(field_errors(&e, user_field)).await,
        }
    };
    let entry = caller.audit_entry(
        "add_user",
        &username,
        "success",
        &format!("role {role}{}", if service { ", service account" } else { "" }),
    );
    let secret = password.as_ref().map(|(p, _)| p.clone());
    let added = state
        .run(move |store| {
            let hash = match &secret {
                Some(p) => Some(hash_password(p).map_err(|e| ApiError::Internal(e.to_string()))?),
                None => None,
            };
            let user = NewUser {
                username: &username,
                display_name: &name,
                role: &role,
                kind: if service { "service" } else { "person" },
                password_hash: hash.as_deref(),
                person_code: person.as_deref(),
                team: team.as_deref(),
                organisation: organisation.as_deref(),
            };
            Ok::<_, ApiError>(store.add_user(&user, &entry).map(|_| username))
        })
        .await?;
    match added {
        Ok(username) => {
            let banner = html! {
                (success_banner(&format!("{username} has been added"), None))
                @if let Some((password, true)) = &password {
                    (shown_once("Their password", &format!("The password made up for {username}."), password))
                }
            };
            let status = StatusCode::OK;
            index_page(&state, &caller, &principal, &[], &FieldErrors::new(), status, Some(banner))
                .await
        }
        Err(UserError::Field(e)) => again(field_errors(&e, user_field)).await,
        Err(UserError::Store(e)) => Err(PageError::from(ApiError::from(e))),
    }
}

/// `GET /admin/users/{username}`: one user, with the buttons to disable or enable them
/// and the form to reset their password.
pub async fn user(
    State(state): State<AppState>,
    caller: Caller,
    PagePath(username): PagePath<String>,
    PageQuery(query): PageQuery<UserQuery>,
) -> PageResult {
    let target = format!("/admin/users/{username}");
    let principal = caller.authorize(&state, Action::Administer, &target).await?;
    let banner = match query.done.as_deref() {
        Some("disabled") => Some(success_banner(
            &format!("{username} has been disabled"),
            Some(html! {
                p.govuk-body { "They were signed out, cannot sign in, and their tokens are revoked." }
            }),
        )),
        Some("enabled") => Some(success_banner(&format!("{username} may sign in again"), None)),
        _ => None,
    };
    user_page(&state, &caller, &principal, &username, &FieldErrors::new(), StatusCode::OK, banner)
        .await
}

/// Query of a user's page.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserQuery {
    /// `disabled` or `enabled` after the change.
    pub done: Option<String>,
}

async fn user_page(
    state: &AppState,
    caller: &Caller,
    principal: &Principal,
    username: &str,
    errors: &FieldErrors,
    status: StatusCode,
    banner: Option<Markup>,
) -> PageResult {
    let wanted = username.to_owned();
    let (found, tokens) = state
        .run(move |store| Ok::<_, StoreError>((store.user_by_username(&wanted)?, store.tokens()?)))
        .await?;
    let Some(u) = found else {
        return Err(PageError::NotFound(format!("There is no user {username}.")));
    };
    let live = tokens.iter().filter(|t| t.username == u.username && t.revoked_at.is_none()).count();
    let base = format!("/admin/users/{}", u.username);
    let own = u.username == principal.username;
    let main = html! {
        (error_summary(errors))
        @if let Some(banner) = banner { (banner) }
        a.govuk-back-link href="/admin" { "Back to administration" }
        span.govuk-caption-l { "User" }
        h1.govuk-heading-l { (u.username) }
        (summary_list([
            ("Name", html! { @if u.role == "citizen" { "(a person receiving care)" } @else { (u.display_name) } }),
            ("Role", html! { (Role::parse(&u.role).map_or("", |r| r.label())) @if u.kind == "service" { " (service account)" } }),
            ("Team", html! { (u.team.as_deref().unwrap_or("None")) }),
            ("Organisation", html! { (u.organisation.as_deref().unwrap_or("None")) }),
            ("Added", html! { (u.created_at.get(..10).unwrap_or("")) }),
            ("Status", html! { @match &u.disabled_at { Some(at) => { (tag("Disabled", TagColour::Red)) " since " (at.get(..16).unwrap_or(at).replace('T', " ")) " (UTC)" } None => (tag("Active", TagColour::Green)) } }),
            ("Live tokens", html! { (live) }),
        ]))
        @if u.disabled_at.is_some() {
            h2.govuk-heading-m { "Enable this user" }
            p.govuk-body { "They may sign in again with their password. Tokens revoked when they were disabled stay revoked." }
            form method="post" action={ (base) "/enable" } novalidate {
                (csrf_field(caller))
                button.govuk-button #enable type="submit" { "Enable " (u.username) }
            }
        } @else if own {
            p.govuk-body { "You cannot disable your own login: another administrator can." }
        } @else {
            h2.govuk-heading-m { "Disable this user" }
            (crate::pages::components::warning_text(html! { "They will be signed out at once, cannot sign in, and every token of theirs is revoked. The user is kept, so the audit log still names them." }))
            form method="post" action={ (base) "/disable" } novalidate {
                (csrf_field(caller))
                button.govuk-button.govuk-button--warning #disable type="submit" { "Disable " (u.username) }
            }
        }
        @if u.kind == "person" && u.disabled_at.is_none() {
            h2.govuk-heading-m { "Reset their password" }
            p.govuk-body { "Every session of theirs ends, so whoever knew the old password is signed out." }
            form method="post" action={ (base) "/password" } novalidate {
                (csrf_field(caller))
                (password_input("password", "", errors))
                button.govuk-button.govuk-button--secondary #reset type="submit" { "Reset the password" }
            }
        }
    };
    render_with(caller, principal, status, &format!("User {}", u.username), None, main)
}

/// `POST /admin/users/{username}/disable`.
pub async fn disable(
    State(state): State<AppState>,
    caller: Caller,
    PagePath(username): PagePath<String>,
    form: Result<Form<FormPairs>, FormRejection>,
) -> PageResult {
    let back = format!("/admin/users/{username}");
    let target = format!("{back}/disable");
    let (principal, _) =
        admin_form(&state, &caller, &target, form, "The user was not disabled", &back).await?;
    if username == principal.username {
        let mut errors = FieldErrors::new();
        errors.add("disable", "You cannot disable your own login: ask another administrator");
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return user_page(&state, &caller, &principal, &username, &errors, status, None).await;
    }
    let entry = caller.audit_entry("disable_user", &username, "success", "");
    let name = username.clone();
    let done = state.run(move |store| store.disable_user(&name, &entry)).await;
    match done {
        Ok(done) => {
            state.sessions.remove_user(done.user_id);
            see_other(&format!("{back}?done=disabled"))
        }
        Err(ApiError::NotFound { .. }) => {
            Err(PageError::NotFound(format!("There is no user {username}.")))
        }
        Err(e) => Err(PageError::from(e)),
    }
}

/// `POST /admin/users/{username}/enable`.
pub async fn enable(
    State(state): State<AppState>,
    caller: Caller,
    PagePath(username): PagePath<String>,
    form: Result<Form<FormPairs>, FormRejection>,
) -> PageResult {
    let back = format!("/admin/users/{username}");
    let target = format!("{back}/enable");
    admin_form(&state, &caller, &target, form, "The user was not enabled", &back).await?;
    let entry = caller.audit_entry("enable_user", &username, "success", "");
    let name = username.clone();
    match state.run(move |store| store.enable_user(&name, &entry)).await {
        Ok(_) => see_other(&format!("{back}?done=enabled")),
        Err(ApiError::NotFound { .. }) => {
            Err(PageError::NotFound(format!("There is no user {username}.")))
        }
        Err(e) => Err(PageError::from(e)),
    }
}

/// `POST /admin/users/{username}/password`: a new password, typed or made up, shown once.
pub async fn reset_password(
    State(state): State<AppState>,
    caller: Caller,
    PagePath(username): PagePath<String>,
    form: Result<Form<FormPairs>, FormRejection>,
) -> PageResult {
    let back = format!("/admin/users/{username}");
    let target = format!("{back}/password");
    let (principal, form) =
        admin_form(&state, &caller, &target, form, "The password was not reset", &back).await?;
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    let (password, made_up) = match new_password(value(&form, "password")) {
        Ok(p) => p,
        Err(e) => {
            let errors = field_errors(&e, |_| "password");
            return user_page(&state, &caller, &principal, &username, &errors, unprocessable, None)
                .await;
        }
    };
    let entry = caller.audit_entry("reset_password", &username, "success", "");
    let (name, secret) = (username.clone(), password.clone());
    let done = state
        .run(move |store| {
            let hash = hash_password(&secret).map_err(|e| ApiError::Internal(e.to_string()))?;
            Ok::<_, ApiError>(store.set_password(&name, &hash, &entry))
        })
        .await?;
    match done {
        Ok(set) => {
            state.sessions.remove_user(set.user_id);
            let banner = html! {
                (success_banner(&format!("{username}'s password has been reset"), Some(html! {
                    p.govuk-body { (set.sessions_ended) " of their sessions ended." }
                })))
                @if made_up { (shown_once("Their new password", &format!("The password made up for {username}."), &password)) }
            };
            let errors = FieldErrors::new();
            user_page(&state, &caller, &principal, &username, &errors, StatusCode::OK, Some(banner))
                .await
        }
        Err(UserError::Field(e)) if e.field == "user" && e.problem == "there is no such user" => {
            Err(PageError::NotFound(format!("There is no user {username}.")))
        }
        Err(UserError::Field(e)) => {
            let errors = field_errors(&e, |_| "password");
            user_page(&state, &caller, &principal, &username, &errors, unprocessable, None).await
        }
        Err(UserError::Store(e)) => Err(PageError::from(ApiError::from(e))),
    }
}

/// `POST /admin/tokens`: issue a token to a service account; its secret is shown once.
pub async fn issue_token(
    State(state): State<AppState>,
    caller: Caller,
    form: Result<Form<FormPairs>, FormRejection>,
) -> PageResult {
    let (principal, form) =
        admin_form(&state, &caller, "/admin/tokens", form, "No token was issued", "/admin").await?;
    let (shared, asked) = ((&state, &caller, &principal), &form);
    let again = |errors: FieldErrors| async move {
        let (state, caller, principal) = shared;
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        index_page(state, caller, principal, asked, &errors, status, None).await
    };
    let username = value(&form, "token-user").to_owned();
    let label = value(&form, "token-label").trim().to_owned();
    let scopes: Vec<&str> =
        form.iter().filter(|(n, _)| n == "token-scopes").map(|(_, v)| v.as_str()).collect();
    let mut errors = FieldErrors::new();
    if username.is_empty() {
        errors.add("token-user", "Choose the service account the token is for");
    }
    if scopes.is_empty() {
        errors.add("token-scopes", "Choose at least one thing the token may do");
    }
    let days = match value(&form, "token-days").trim().parse::<u32>() {
        Ok(d) => d,
        Err(_) => {
            errors.add("token-days", "Enter the number of days from 1 to 366, for example 90");
            0
        }
    };
    if !errors.is_empty() {
        return again(errors).await;
    }
    let scopes = scopes.join(",");
    let token = format!("ob_{}", new_secret());
    let prefix: String = token.chars().take(10).collect();
    let hash = secret_hash(&token);
    let entry = caller.audit_entry(
        "issue_token",
        &username,
        "success",
        &format!("token {prefix}…, scopes {scopes}, {days} days"),
    );
    let issued = state
        .run(move |store| {
            let new = NewToken {
                username: &username,
                label: &label,
                scopes: &scopes,
                days,
                token_hash: &hash,
                prefix: &prefix,
            };
            Ok::<_, ApiError>(store.issue_token(&new, &entry))
        })
        .await?;
    match issued {
        Ok(t) => {
            let banner = html! {
                (success_banner(&format!("Token {} has been issued to {}", t.id, t.username), Some(html! {
                    p.govuk-body { "It may: " (t.scopes.replace(',', ", ")) ". It expires on " (t.expires_at.get(..10).unwrap_or("")) "." }
                })))
                (shown_once("The token", "The token, to give to the system that uses it.", &token))
            };
            let errors = FieldErrors::new();
            index_page(&state, &caller, &principal, &[], &errors, StatusCode::OK, Some(banner))
                .await
        }
        Err(UserError::Field(e)) => again(field_errors(&e, token_field)).await,
        Err(UserError::Store(e)) => Err(PageError::from(ApiError::from(e))),
    }
}

/// `POST /admin/tokens/{id}/revoke`.
pub async fn revoke_token(
    State(state): State<AppState>,
    caller: Caller,
    PagePath(id): PagePath<String>,
    form: Result<Form<FormPairs>, FormRejection>,
) -> PageResult {
    let target = format!("/admin/tokens/{id}/revoke");
    let (principal, _) =
        admin_form(&state, &caller, &target, form, "The token was not revoked", "/admin").await?;
    let Ok(id) = id.parse::<i64>() else {
        return Err(PageError::NotFound("There is no such token.".to_owned()));
    };
    let entry = caller.audit_entry("revoke_token", &id.to_string(), "success", "");
    let revoked = state.run(move |store| store.revoke_token_audited(id, &entry)).await?;
    let banner = if revoked {
        success_banner(&format!("Token {id} has been revoked"), None)
    } else {
        important_banner(&format!("Token {id} was not live, so nothing changed"), None)
    };
    let errors = FieldErrors::new();
    index_page(&state, &caller, &principal, &[], &errors, StatusCode::OK, Some(banner)).await
}
