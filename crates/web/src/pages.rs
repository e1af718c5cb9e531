//! The server-rendered HTML pages: public pages a member of the public can use without
//! signing in, with no JavaScript and no cookies.
//!
//! `layout` holds the chrome every page shares (the document head, skip link, header,
//! footer, the stylesheet at `/assets/site.css`) and the response headers pages are sent
//! with; `form` the accessible form widgets and the error summary (the GOV.UK Design System
//! patterns); `home` is `GET /`; `check` is "Check what you might pay for care", which runs
//! the same assessment as `POST /api/financial-assessments` (`crate::assessment`);
//! `roles` each role's pages, `pools` the pooled budgets' monitoring and settlement, and
//! `budgets` the integrated personal budgets' pages (practitioner, person and finance),
//! and `funders` each funder's share of them.
//! HTML is written with maud, which escapes every value it interpolates.

pub mod budgets;
pub mod check;
pub mod form;
pub mod funders;
pub mod home;
pub mod layout;
pub mod pools;
pub mod roles;
pub mod session;

/// The page for a path that does not exist.
pub fn not_found() -> axum::response::Response {
    use axum::response::IntoResponse;
    layout::HtmlPage::private(
        axum::http::StatusCode::NOT_FOUND,
        layout::page(
            "Page not found",
            maud::html! {
                h1 { "Page not found" }
                p { "If you typed the web address, check it is correct." }
                p { "If you pasted the web address, check you copied the entire address." }
                p { a href="/" { "Go to the home page" } }
            },
        ),
    )
    .into_response()
}
