//! The chrome every page shares and how pages are sent.
//!
//! Pages are built from the GOV.UK Design System's own package, `govuk-frontend`: its
//! compiled stylesheet (with onebudget's few `app-` additions, see `crates/web/frontend`) is
//! embedded in the binary and served at [`STYLESHEET_PATH`], so a page loads nothing from
//! anywhere else. onebudget is not a GOV.UK service, so the header is the Design System's
//! generic header, carrying the council's name (`Brand`), with no crown and no GDS
//! Transport typeface. Below it, the service navigation names the service and, for someone
//! signed in, lists their role's pages (the one they are on marked as current), who they
//! are and a sign-out button.
//!
//! [`document`] wraps a page's main content in that chrome; [`HtmlPage`] sends it with the
//! headers every page carries: a strict Content-Security-Policy (no scripts at all, styles
//! only from this server), `nosniff`, no framing, no referrer, and `no-store` for pages
//! that show what someone typed or a person's data. Only sign-in sets cookies.

use std::sync::OnceLock;

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};
use onebudget_core::access::Role;

/// The product's name, shown where no organisation has named itself.
pub const SERVICE_NAME: &str = "onebudget";

/// The service's name, in the service navigation and every page's title.
pub const SERVICE_TITLE: &str = "Health and care budgets";

/// Where the stylesheet is served.
pub const STYLESHEET_PATH: &str = "/assets/onebudget.css";

/// The stylesheet: govuk-frontend's, compiled by `scripts/build-css`.
const STYLESHEET: &str = include_str!("../../assets/onebudget.css");

/// Whose service this is: the organisation running it, named in the header and in every
/// page's title. Set once, before the first page is served ([`Brand::set`]); a server that
/// names none shows the product's name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Brand {
    /// The organisation running the service, e.g. "Ashby Vale Council"; `None` shows the
    /// product's name.
    pub organisation: Option<String>,
    /// The service's name, e.g. "Care and support budgets".
    pub service: String,
}

static BRAND: OnceLock<Brand> = OnceLock::new();

impl Brand {
    /// The brand every page of this process carries. The first call wins: one process
    /// serves one organisation.
    pub fn set(brand: Brand) {
        let _ = BRAND.set(brand);
    }

    fn in_use() -> &'static Brand {
        BRAND.get_or_init(|| Brand { organisation: None, service: SERVICE_TITLE.to_owned() })
    }

    fn organisation(&self) -> &str {
        self.organisation.as_deref().unwrap_or(SERVICE_NAME)
    }
}

/// Who is signed in, for the header of their pages.
pub struct SignedIn<'a> {
    pub display_name: &'a str,
    pub role: Role,
    /// The session's CSRF token, for the sign-out form.
    pub csrf_token: &'a str,
    /// The path of the page shown, to mark its navigation item as current.
    pub path: &'a str,
}

/// The whole document for a public page titled `title` (the service name is added) whose
/// main content is `main`. `main` must contain the page's one `<h1>`.
pub fn page(title: &str, main: Markup) -> Markup {
    document(title, None, None, main)
}

/// The pages a role's navigation lists: (label, path). The first is the role's home.
fn navigation(role: Role) -> &'static [(&'static str, &'static str)] {
    match role {
        Role::Citizen => &[
            ("Your record", "/my-budget"),
            ("Your budget", "/my-budget/budget"),
            ("Your plan", "/my-budget/plan"),
            ("Record spending", "/my-budget/spending"),
            ("Your statement", "/my-budget/statement"),
        ],
        Role::Practitioner => &[("Caseload", "/caseload"), ("Find a person", "/people")],
        Role::Finance => &[
            ("Ledger", "/finance"),
            ("People", "/people"),
            ("Pools", "/pools"),
            ("Payments", "/budgets/payments"),
            ("Reviews", "/budgets/reviews"),
            ("Funders", "/budgets/funders"),
        ],
        Role::Commissioner => {
            &[("Spending", "/spending"), ("Pools", "/pools"), ("Funders", "/budgets/funders")]
        }
        Role::Admin => &[("Administration", "/admin")],
        Role::Auditor => &[
            ("Inspect", "/auditor"),
            ("Audit log", "/audit"),
            ("People", "/people"),
            ("Ledger", "/finance"),
            ("Pools", "/pools"),
            ("Reviews", "/budgets/reviews"),
        ],
    }
}

/// The navigation item for `path`: the longest item path it starts with.
fn current_item(items: &[(&str, &'static str)], path: &str) -> Option<&'static str> {
    items
        .iter()
        .map(|(_, item)| *item)
        .filter(|item| path == *item || path.strip_prefix(item).is_some_and(|r| r.starts_with('/')))
        .max_by_key(|item| item.len())
}

/// The whole document: the generic header with the organisation's name, the service
/// navigation (the role's pages, who is signed in and sign-out, when someone is), what goes
/// above the main content (`before_main`: breadcrumbs or a back link), the main content and
/// the footer.
pub fn document(
    title: &str,
    who: Option<&SignedIn<'_>>,
    before_main: Option<Markup>,
    main: Markup,
) -> Markup {
    let brand = Brand::in_use();
    let items = who.map_or(&[][..], |w| navigation(w.role));
    let current = who.and_then(|w| current_item(items, w.path));
    html! {
        (DOCTYPE)
        html.govuk-template lang="en-GB" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover";
                meta name="theme-color" content="#0b0c0c";
                title { (title) " – " (brand.service) " – " (brand.organisation()) }
                link rel="stylesheet" href=(STYLESHEET_PATH);
            }
            body.govuk-template__body {
                a.govuk-skip-link href="#main-content" { "Skip to main content" }
                header.govuk-generic-header {
                    div.govuk-generic-header__container.govuk-width-container {
                        div.govuk-generic-header__logo {
                            a.govuk-generic-header__homepage-link href="/" { (brand.organisation()) }
                        }
                    }
                }
                section.govuk-service-navigation aria-label="Service information" {
                    div.govuk-width-container {
                        div.govuk-service-navigation__container {
                            span.govuk-service-navigation__service-name {
                                a.govuk-service-navigation__link href=(if who.is_some() { "/home" } else { "/" }) { (brand.service) }
                            }
                            nav.govuk-service-navigation__wrapper aria-label="Menu" {
                                ul.govuk-service-navigation__list #navigation {
                                    @if let Some(who) = who {
                                        @for (label, path) in items {
                                            @if current == Some(*path) {
                                                li.govuk-service-navigation__item.govuk-service-navigation__item--active {
                                                    a.govuk-service-navigation__link href=(path) aria-current="page" {
                                                        strong.govuk-service-navigation__active-fallback { (label) }
                                                    }
                                                }
                                            } @else {
                                                li.govuk-service-navigation__item {
                                                    a.govuk-service-navigation__link href=(path) { (label) }
                                                }
                                            }
                                        }
                                        li.govuk-service-navigation__item {
                                            form.app-service-navigation__form method="post" action="/sign-out" {
                                                input type="hidden" name=(crate::csrf::FIELD) value=(who.csrf_token);
                                                button.app-service-navigation__button type="submit" { "Sign out" }
                                            }
                                        }
                                    } @else {
                                        li.govuk-service-navigation__item {
                                            a.govuk-service-navigation__link href="/check-what-you-might-pay" { "Check what you might pay" }
                                        }
                                        li.govuk-service-navigation__item {
                                            a.govuk-service-navigation__link href="/sign-in" { "Sign in" }
                                        }
                                    }
                                }
                            }
                        }
                        @if let Some(who) = who {
                            p.app-service-navigation__who { "Signed in as " (who.display_name) " (" (who.role.label()) ")" }
                        }
                    }
                }
                div.govuk-width-container {
                    @if let Some(before) = before_main { (before) }
                    main.govuk-main-wrapper #main-content tabindex="-1" {
                        (main)
                    }
                }
                footer.govuk-footer {
                    div.govuk-width-container {
                        div.govuk-footer__meta {
                            div.govuk-footer__meta-item.govuk-footer__meta-item--grow {
                                h2.govuk-visually-hidden { "Support links" }
                                ul.govuk-footer__inline-list {
                                    li.govuk-footer__inline-list-item { a.govuk-footer__link href="/" { "Home" } }
                                    li.govuk-footer__inline-list-item { a.govuk-footer__link href="/check-what-you-might-pay" { "Check what you might pay for care" } }
                                    li.govuk-footer__inline-list-item { a.govuk-footer__link href="/api/openapi.json" { "API for developers (OpenAPI document)" } }
                                }
                                p.govuk-body-s {
                                    "The public pages set no cookies and do not keep the answers you give. Signing in sets one cookie that keeps you signed in, and every look at a person's record is logged."
                                }
                                p.govuk-body-s {
                                    @if let Some(organisation) = &brand.organisation { (brand.service) " is run by " (organisation) ". " }
                                    "Built with onebudget, open-source software."
                                }
                            }
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
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
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

/// `GET /assets/onebudget.css`: the stylesheet every page uses.
pub async fn stylesheet() -> impl IntoResponse {
    (
        [
            (CONTENT_TYPE, HeaderValue::from_static("text/css; charset=utf-8")),
            (CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600")),
        ],
        STYLESHEET,
    )
}

/// The printable layout of a report or statement: the page's main content alone, without
/// the header, navigation or forms (`?print=1`).
pub fn print_document(title: &str, main: Markup) -> Response {
    let brand = Brand::in_use();
    let markup = html! {
        (DOCTYPE)
        html.govuk-template lang="en-GB" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " – " (brand.service) " – " (brand.organisation()) }
                link rel="stylesheet" href=(STYLESHEET_PATH);
            }
            body.govuk-template__body {
                div.govuk-width-container {
                    main.govuk-main-wrapper #main-content tabindex="-1" {
                        p.govuk-body-s { (brand.organisation()) ": " (brand.service) }
                        (main)
                    }
                }
            }
        }
    };
    HtmlPage::private(StatusCode::OK, markup).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_current_item_is_the_longest_that_the_path_is_inside() {
        let items = navigation(Role::Citizen);
        assert_eq!(current_item(items, "/my-budget"), Some("/my-budget"));
        assert_eq!(current_item(items, "/my-budget/who-has-looked"), Some("/my-budget"));
        assert_eq!(current_item(items, "/my-budget/statement"), Some("/my-budget/statement"));
        assert_eq!(current_item(items, "/my-budgetx"), None);
        let finance = navigation(Role::Finance);
        assert_eq!(current_item(finance, "/pools/BCF/2025"), Some("/pools"));
        assert_eq!(current_item(finance, "/finance/accounts/ICB-CHC"), Some("/finance"));
    }
}
