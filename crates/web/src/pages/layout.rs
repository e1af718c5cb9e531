//! The chrome every page shares and how pages are sent.
//!
//! [`page`] wraps a page's main content in the document every page uses: `lang="en-GB"`,
//! the stylesheet, a skip link, the header and the footer. [`HtmlPage`] sends it with the
//! headers every page carries: a strict Content-Security-Policy (no scripts at all, styles
//! only from this server), `nosniff`, no framing, no referrer, and `no-store` for pages
//! that show what someone typed or a person's data. Only sign-in sets cookies.
//! [`signed_in_page`] adds who is signed in and a sign-out button to the header.
//! [`site_css`] serves the one stylesheet, `GET /assets/site.css`.

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};
use onebudget_core::access::Role;

/// The service's name, shown in the header and in every page title.
pub const SERVICE_NAME: &str = "onebudget";

/// Where the stylesheet is served.
pub const STYLESHEET_PATH: &str = "/assets/site.css";

/// The stylesheet: GOV.UK-like type, colours with at least 4.5:1 contrast, and a yellow
/// and black focus indicator on everything that can be focused.
const SITE_CSS: &str = include_str!("site.css");

/// Who is signed in, for the header of their pages.
pub struct SignedIn<'a> {
    pub display_name: &'a str,
    pub role: Role,
    /// The session's CSRF token, for the sign-out form.
    pub csrf_token: &'a str,
}

/// The whole document for a public page titled `title` (the service name is added) whose
/// main content is `main`. `main` must contain the page's one `<h1>`.
pub fn page(title: &str, main: Markup) -> Markup {
    document(title, None, main)
}

/// The whole document for a page shown to someone signed in: their name, their role, a
/// link to their home page and a sign-out button in the header.
pub fn signed_in_page(title: &str, who: &SignedIn<'_>, main: Markup) -> Markup {
    document(title, Some(who), main)
}

fn document(title: &str, who: Option<&SignedIn<'_>>, main: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en-GB" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " – " (SERVICE_NAME) }
                link rel="stylesheet" href=(STYLESHEET_PATH);
            }
            body {
                a.skip-link href="#main-content" { "Skip to main content" }
                header.header {
                    div.width-container {
                        a.header-link href="/" { (SERVICE_NAME) }
                        span.header-tagline { "Paying for health and social care" }
                        @if let Some(who) = who {
                            nav.header-account aria-label="Your account" {
                                span { (who.display_name) " (" (who.role.label()) ")" }
                                a.header-account-link href="/home" { "Your home page" }
                                form.inline-form method="post" action="/sign-out" {
                                    input type="hidden" name=(crate::csrf::FIELD) value=(who.csrf_token);
                                    button.link-button type="submit" { "Sign out" }
                                }
                            }
                        } @else {
                            nav.header-account aria-label="Your account" {
                                a.header-account-link href="/sign-in" { "Sign in" }
                            }
                        }
                    }
                }
                div.width-container {
                    main #main-content.main tabindex="-1" { (main) }
                }
                footer.footer {
                    div.width-container {
                        h2.visually-hidden { "Support links" }
                        ul.footer-links {
                            li { a href="/" { "Home" } }
                            li { a href="/check-what-you-might-pay" { "Check what you might pay for care" } }
                            li { a href="/api/openapi.json" { "API for developers (OpenAPI document)" } }
                        }
                        p {
                            "The public pages set no cookies and do not keep the answers you give. Signing in sets one cookie that keeps you signed in, and every look at a person's record is logged."
                        }
                    }
                }
            }
        }
    }
}

/// An HTML page to send, with its status.
pub struct HtmlPage {
    pub status: StatusCode,
    pub markup: Markup,
    /// The page shows what someone typed: tell browsers and proxies not to keep it.
    pub private: bool,
}

impl HtmlPage {
    /// A page anyone may cache briefly (it shows nothing anyone typed).
    pub fn public(markup: Markup) -> HtmlPage {
        HtmlPage { status: StatusCode::OK, markup, private: false }
    }

    /// A page showing someone's answers, sent with `status`.
    pub fn private(status: StatusCode, markup: Markup) -> HtmlPage {
        HtmlPage { status, markup, private: true }
    }
}

/// No scripts, no plugins, no framing; styles, images and form posts only to this server.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
     form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

impl IntoResponse for HtmlPage {
    fn into_response(self) -> Response {
        let cache = if self.private { "no-store" } else { "no-cache" };
        let headers = [
            (CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8")),
            (CACHE_CONTROL, HeaderValue::from_static(cache)),
            (
                HeaderName::from_static("content-security-policy"),
                HeaderValue::from_static(CONTENT_SECURITY_POLICY),
            ),
            (
                HeaderName::from_static("x-content-type-options"),
                HeaderValue::from_static("nosniff"),
            ),
            (HeaderName::from_static("referrer-policy"), HeaderValue::from_static("no-referrer")),
        ];
        (self.status, headers, self.markup.into_string()).into_response()
    }
}

/// `GET /assets/site.css`: the stylesheet every page uses.
pub async fn site_css() -> impl IntoResponse {
    (
        [
            (CONTENT_TYPE, HeaderValue::from_static("text/css; charset=utf-8")),
            (CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600")),
        ],
        SITE_CSS,
    )
}

/// The printable layout of a report or statement: the page's main content alone, without
/// the header, navigation or forms (`?print=1`).
pub fn print_document(title: &str, main: Markup) -> Response {
    let markup = html! {
        (DOCTYPE)
        html lang="en-GB" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " – " (SERVICE_NAME) }
                link rel="stylesheet" href=(STYLESHEET_PATH);
            }
            body {
                div.width-container { main #main-content.main { (main) } }
            }
        }
    };
    HtmlPage::private(StatusCode::OK, markup).into_response()
}
