//! Status pages: what a page handler answers when it cannot show the page asked for.
//!
//! A page handler returns `Result<Response, PageError>` and uses `?` on the access gate
//! (`Denied`) and on the store (`ApiError`). A [`PageError`] does not render itself: it
//! becomes an empty response marked with a [`StatusPage`], and [`status_pages`], a layer
//! around every route, renders the one status page for it. The layer knows what a handler
//! does not have to pass down: the path asked for (so "not signed in" can come back there
//! after sign-in), whether the request carried a session cookie that has expired, and who
//! is signed in (the [`Viewer`] the `Caller` extractor leaves in the request), so a 403,
//! a 404 or a refused form shows the header of the person looking at it.

use std::sync::{Arc, OnceLock};

use axum::extract::Request;
use axum::http::header::LOCATION;
use axum::http::{HeaderValue, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use onebudget_core::access::Role;

use crate::auth::Denied;
use crate::error::ApiError;
use crate::pages::layout::{HtmlPage, SignedIn, document};

/// Why a page cannot be shown.
#[derive(Debug)]
pub enum PageError {
    /// Nobody is signed in: sign in, then come back to the page asked for.
    NotSignedIn,
    /// Signed in, but the role does not allow it; the reason says why.
    Forbidden(String),
    /// The thing the address names does not exist; the sentence says what was looked for
    /// ("There is no person P999999.").
    NotFound(String),
    /// The address itself cannot be read: a query string or path that is not what the
    /// page takes. The message says what was wrong.
    BadRequest(String),
    /// A form whose CSRF token does not match the session's: nothing was changed.
    /// `title` says what was not done ("Nothing was paid"), `back` where the form is.
    FormUnchecked { title: String, back: String },
    /// A fault of the server: logged in full, shown as a generic apology.
    Internal(ApiError),
}

impl From<Denied> for PageError {
    fn from(denied: Denied) -> PageError {
        match denied {
            Denied::NotSignedIn => PageError::NotSignedIn,
            Denied::Refused(reason) => PageError::Forbidden(reason),
            Denied::Failed(error) => PageError::from(error),
        }
    }
}

impl From<ApiError> for PageError {
    fn from(error: ApiError) -> PageError {
        match error {
            ApiError::Unauthenticated => PageError::NotSignedIn,
            ApiError::Forbidden(reason) => {
                PageError::Forbidden(reason.trim_start_matches("not allowed: ").to_owned())
            }
            ApiError::NotFound { what, code } => {
                PageError::NotFound(format!("There is no {what} {}.", short(&code)))
            }
            ApiError::PoolNotFound(message) => PageError::NotFound(sentence(&message)),
            ApiError::Store(onebudget_store::StoreError::NotFound { what, code }) => {
                PageError::NotFound(format!("There is no {what} {}.", short(&code)))
            }
            ApiError::InvalidQuery { message } | ApiError::InvalidPath { message } => {
                PageError::BadRequest(sentence(&short(&message)))
            }
            other => PageError::Internal(other),
        }
    }
}

/// The marker a [`PageError`] leaves on its response for [`status_pages`] to render.
#[derive(Clone, Debug)]
pub struct StatusPage(Arc<StatusKind>);

#[derive(Debug)]
enum StatusKind {
    NotSignedIn,
    Page { status: StatusCode, title: String, body: Markup },
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, kind) = match self {
            PageError::NotSignedIn => (StatusCode::SEE_OTHER, StatusKind::NotSignedIn),
            other => {
                let (status, title, body) = other.words();
                (status, StatusKind::Page { status, title, body })
            }
        };
        let mut response = status.into_response();
        response.extensions_mut().insert(StatusPage(Arc::new(kind)));
        response
    }
}

impl PageError {
    fn words(self) -> (StatusCode, String, Markup) {
        match self {
            PageError::NotSignedIn => {
                (StatusCode::UNAUTHORIZED, "Sign in to see this page".into(), html! {})
            }
            PageError::Forbidden(reason) => (
                StatusCode::FORBIDDEN,
                "You cannot see this page".into(),
                html! {
                    p.govuk-body { "Your role does not allow it: " (reason) "." }
                    p.govuk-body { "If you think you should be able to see it, ask your administrator." }
                },
            ),
            PageError::NotFound(sentence) => (
                StatusCode::NOT_FOUND,
                "Page not found".into(),
                html! {
                    p.govuk-body { (sentence) }
                    p.govuk-body { "If you typed the web address, check it is correct. If you pasted it, check you copied the entire address." }
                },
            ),
            PageError::BadRequest(message) => (
                StatusCode::BAD_REQUEST,
                "There is a problem with the web address".into(),
                html! {
                    p.govuk-body { (message) }
                    p.govuk-body { "Go back and try again, or start from your home page." }
                },
            ),
            PageError::FormUnchecked { title, back } => (
                StatusCode::FORBIDDEN,
                title,
                html! {
                    p.govuk-body {
                        "The form could not be checked (it may have been open for too long, or sent from another site), so nothing was changed. Go back to "
                        a.govuk-link href=(back) { "the form" } " and send it again."
                    }
                },
            ),
            PageError::Internal(error) => {
                tracing::error!(error = ?error, "a page failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Sorry, there is a problem with the service".into(),
                    html! {
                        p.govuk-body { "Try again later. Nothing you sent was changed unless a page told you it was." }
                        p.govuk-body { "The server's log has the details." }
                    },
                )
            }
        }
    }
}

/// At most 100 characters of something typed, to quote it back: a whole 10 MB value is
/// never echoed.
pub fn short(text: &str) -> String {
    const MOST: usize = 100;
    match text.char_indices().nth(MOST) {
        Some((cut, _)) => {
            format!("{}… ({} characters)", text.get(..cut).unwrap_or(""), text.chars().count())
        }
        None => text.to_owned(),
    }
}

/// A message as a sentence: a capital first letter and a full stop.
pub fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    let mut out: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    };
    if !out.is_empty() && !out.ends_with(['.', '?', '!']) {
        out.push('.');
    }
    out
}

/// Who is signed in, as the status pages need it: put in the request by the `Caller`
/// extractor (through the [`ViewerSlot`] [`status_pages`] leaves there).
#[derive(Clone, Debug)]
pub struct Viewer {
    pub display_name: String,
    pub role: Role,
    pub csrf_token: String,
    pub path: String,
}

impl Viewer {
    pub fn signed_in(&self) -> SignedIn<'_> {
        SignedIn {
            display_name: &self.display_name,
            role: self.role,
            csrf_token: &self.csrf_token,
            path: &self.path,
        }
    }
}

/// Where the `Caller` extractor leaves the [`Viewer`] of a request.
#[derive(Clone, Debug, Default)]
pub struct ViewerSlot(Arc<OnceLock<Viewer>>);

impl ViewerSlot {
    /// Record who is signed in (the first call wins; a request has one caller).
    pub fn set(&self, viewer: Viewer) {
        let _ = self.0.set(viewer);
    }

    fn get(&self) -> Option<&Viewer> {
        self.0.get()
    }
}

/// Render a status page, with the signed-in header when someone is.
pub fn status_page(
    status: StatusCode,
    title: &str,
    body: Markup,
    viewer: Option<&Viewer>,
) -> Response {
    let main = html! {
        h1.govuk-heading-l { (title) }
        (body)
        @if viewer.is_some() {
            p.govuk-body { a.govuk-link href="/home" { "Go to your home page" } }
        } @else {
            p.govuk-body { a.govuk-link href="/" { "Go to the start page" } }
        }
    };
    let signed_in = viewer.map(Viewer::signed_in);
    let title = if status.is_success() { title.to_owned() } else { format!("Error: {title}") };
    HtmlPage::private(status, document(&title, signed_in.as_ref(), None, main)).into_response()
}

/// Whether the request carried a session cookie (so "not signed in" means it ended).
fn had_session_cookie(request: &Request) -> bool {
    request
        .headers()
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split(';').any(|c| c.trim().starts_with(crate::auth::SESSION_COOKIE)))
}

/// The sign-in page's address that comes back to `uri` afterwards (only for a `GET` of a
/// page: a form's address would send its fields nowhere).
pub fn sign_in_returning_to(uri: Option<&Uri>, expired: bool) -> String {
    let mut query = Vec::new();
    if let Some(uri) = uri {
        let path = uri.path_and_query().map_or("/home", |p| p.as_str());
        let encoded: String = url_encode(path);
        query.push(format!("return_to={encoded}"));
    }
    if expired {
        query.push("expired=1".to_owned());
    }
    if query.is_empty() {
        crate::pages::session::SIGN_IN_PATH.to_owned()
    } else {
        format!("{}?{}", crate::pages::session::SIGN_IN_PATH, query.join("&"))
    }
}

fn url_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The layer that renders every [`PageError`]'s status page (see the module comment).
pub async fn status_pages(mut request: Request, next: Next) -> Response {
    let slot = ViewerSlot::default();
    request.extensions_mut().insert(slot.clone());
    let is_get = request.method() == axum::http::Method::GET;
    let uri = request.uri().clone();
    let had_cookie = had_session_cookie(&request);
    let mut response = next.run(request).await;
    let Some(StatusPage(kind)) = response.extensions_mut().remove::<StatusPage>() else {
        return response;
    };
    match kind.as_ref() {
        StatusKind::NotSignedIn => {
            let location = sign_in_returning_to(is_get.then_some(&uri), had_cookie);
            match HeaderValue::from_str(&location) {
                Ok(value) => (StatusCode::SEE_OTHER, [(LOCATION, value)]).into_response(),
                Err(_) => (
                    StatusCode::SEE_OTHER,
                    [(LOCATION, HeaderValue::from_static(crate::pages::session::SIGN_IN_PATH))],
                )
                    .into_response(),
            }
        }
        StatusKind::Page { status, title, body } => {
            status_page(*status, title, body.clone(), slot.get())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_way_back_after_sign_in_is_the_path_asked_for_encoded() {
        let uri: Uri = "/people/P000032/budget?done=x%20y".parse().unwrap_or_default();
        assert_eq!(
            sign_in_returning_to(Some(&uri), false),
            "/sign-in?return_to=/people/P000032/budget%3Fdone%3Dx%2520y"
        );
        assert_eq!(sign_in_returning_to(None, true), "/sign-in?expired=1");
        assert_eq!(sign_in_returning_to(None, false), "/sign-in");
    }

    #[test]
    fn a_long_value_is_quoted_short() {
        let long = "x".repeat(10_000_000);
        let quoted = short(&long);
        assert!(quoted.len() < 200, "{}", quoted.len());
        assert!(quoted.ends_with("… (10000000 characters)"), "{quoted}");
        assert_eq!(short("P000032"), "P000032");
    }
}
