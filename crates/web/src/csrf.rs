//! Cross-site request forgery: two defences, both on every form.
//!
//! 1. [`refuse_cross_site`] (a middleware on every route) refuses any request with a
//!    method other than GET or HEAD that a browser says came from another site: a
//!    `Sec-Fetch-Site` of `cross-site` or `same-site`, or an `Origin` whose host is not
//!    this server's `Host`. Machine clients send neither header and are not affected.
//! 2. A synchronizer token in every form: signed-in forms carry the session's CSRF token
//!    (kept server-side with the session); the sign-in form, which has no session yet,
//!    carries a token that must match the `onebudget_signin` cookie set with the form
//!    (double submit). [`token_matches`] compares them. The public "check what you might
//!    pay" form changes and keeps nothing, so it relies on the first defence alone.
//!
//! The session cookie is also `SameSite=Strict`, so browsers do not send it with
//! requests from other sites at all.

use axum::extract::Request;
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::auth::same_secret;

/// The form field that carries the CSRF token.
pub const FIELD: &str = "csrf_token";

/// Whether the token a form sent matches the expected one. Missing or empty never matches.
pub fn token_matches(expected: Option<&str>, given: Option<&str>) -> bool {
    match (expected, given) {
        (Some(expected), Some(given)) if !expected.is_empty() => same_secret(expected, given),
        _ => false,
    }
}

/// Refuse unsafe requests a browser marks as coming from another site.
pub async fn refuse_cross_site(request: Request, next: Next) -> Response {
    let method = request.method();
    if method == Method::GET || method == Method::HEAD || method == Method::OPTIONS {
        return next.run(request).await;
    }
    let headers = request.headers();
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let fetch_site_refused = matches!(header("sec-fetch-site"), Some("cross-site" | "same-site"));
    let origin_refused = match (header("origin"), header("host")) {
        // Browsers send `Origin: null` for a same-origin form post from a page sent with
        // `Referrer-Policy: no-referrer`, as every page here is: `Sec-Fetch-Site` decides.
        (Some("null"), _) => false,
        (Some(origin), Some(host)) => {
            let origin_host = origin.split_once("://").map_or(origin, |(_, rest)| rest);
            !origin_host.eq_ignore_ascii_case(host)
        }
        _ => false,
    };
    if fetch_site_refused || origin_refused {
        tracing::warn!(path = %request.uri().path(), "refused a cross-site form submission");
        return (
            StatusCode::FORBIDDEN,
            "This form was sent from another website, so it was refused. Go back to onebudget and send it from there.",
        )
            .into_response();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_match_only_when_present_and_equal() {
        assert!(token_matches(Some("abc"), Some("abc")));
        assert!(!token_matches(Some("abc"), Some("abd")));
        assert!(!token_matches(Some("abc"), None));
        assert!(!token_matches(None, Some("abc")));
        assert!(!token_matches(Some(""), Some("")));
    }
}
