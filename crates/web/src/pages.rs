//! The server-rendered HTML pages, built from the GOV.UK Design System's own components
//! (`govuk-frontend`). No page uses JavaScript; public pages set no cookies.
//!
//! `layout` holds the chrome every page shares (the document head, skip link, generic
//! header, service navigation, footer, the stylesheet at `/assets/onebudget.css`) and the
//! response headers pages are sent with; `components` the Design System's components pages
//! share (breadcrumbs, summary list, tag, banners, pagination, …); `form` the form
//! controls and the error summary; `status` what a handler answers when it cannot show its
//! page (`PageError`, rendered once for every route by the `status_pages` layer); `home`
//! is `GET /`; `check` is "Check what you might pay for care", which runs the same
//! assessment as `POST /api/financial-assessments` (`crate::assessment`); `session` sign-in
//! and sign-out; `roles` each role's pages, `admin` the administrator's (users and tokens), `pools` the pooled budgets' monitoring and
//! settlement, `charts` the SVG charts they draw, `budgets` the integrated personal budgets' pages (practitioner, person and
//! finance), and `funders` each funder's share of them; `confirm` the check-before-posting
//! step every form that moves money goes through.
//! HTML is written with maud, which escapes every value it interpolates.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::Markup;
use onebudget_core::access::Principal;

use crate::auth::Caller;

pub mod admin;
pub mod assessment;
pub mod audit;
pub mod budgets;
pub mod caseload;
pub mod charts;
pub mod check;
pub mod components;
pub mod confirm;
pub mod form;
pub mod funders;
pub mod home;
pub mod layout;
pub mod people;
pub mod pools;
pub mod roles;
pub mod session;
pub mod status;

pub use status::PageError;

/// What a page handler answers: the page, or why it cannot be shown.
pub type PageResult = Result<Response, PageError>;

/// The page for a path that does not exist.
pub fn not_found() -> Response {
    PageError::NotFound("There is no page at this address.".to_owned()).into_response()
}

/// A signed-in page: `main` (holding the page's one `<h1>`) in the chrome, sent with 200.
pub fn render(caller: &Caller, principal: &Principal, title: &str, main: Markup) -> PageResult {
    render_with(caller, principal, StatusCode::OK, title, None, main)
}

/// A signed-in page sent with `status` (a form shown again with its mistakes is a 422, and
/// its title then starts "Error: ", as the Design System asks), with `before_main`
/// (breadcrumbs or a back link) above the main content.
pub fn render_with(
    caller: &Caller,
    principal: &Principal,
    status: StatusCode,
    title: &str,
    before_main: Option<Markup>,
    main: Markup,
) -> PageResult {
    let display_name = caller.display_name.as_deref().unwrap_or(&principal.username);
    let who = layout::SignedIn {
        display_name,
        role: principal.role,
        csrf_token: caller.csrf_token.as_deref().unwrap_or(""),
        path: &caller.path,
    };
    let title = if status.is_client_error() { format!("Error: {title}") } else { title.to_owned() };
    Ok(layout::HtmlPage::private(status, layout::document(&title, Some(&who), before_main, main))
        .into_response())
}

/// A CSV field: quoted when it needs to be, and a leading `=`, `+`, `-` or `@` made inert
/// so that a spreadsheet does not run it as a formula.
pub fn csv_field(text: &str) -> String {
    let text =
        if text.starts_with(['=', '+', '-', '@']) { format!("'{text}") } else { text.to_owned() };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// An NHS number as people write it: 3, 3 and 4 digits.
pub fn nhs_spaced(digits: &str) -> String {
    match (digits.get(..3), digits.get(3..6), digits.get(6..)) {
        (Some(a), Some(b), Some(c)) => format!("{a} {b} {c}"),
        _ => digits.to_owned(),
    }
}
