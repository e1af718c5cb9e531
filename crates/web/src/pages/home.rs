//! `GET /`: the public home page, pointing to what a member of the public can use
//! without signing in, and to the API's document for developers.

use maud::html;

use crate::pages::layout::{HtmlPage, SERVICE_NAME, page};

/// The home page.
pub async fn home() -> HtmlPage {
    HtmlPage::public(page(
        "Home",
        html! {
            h1.govuk-heading-l { (SERVICE_NAME) }
            p.govuk-body-l {
                "Integrated budgets for health and social care, and what people pay towards their care."
            }
            h2.govuk-heading-m { "For the public" }
            p.govuk-body {
                a.govuk-link href="/check-what-you-might-pay" { "Check what you might pay for care" }
                ": an estimate of what you might pay each week towards care at home or in a care home, in England, Wales, Scotland or Northern Ireland. You do not need to sign in."
            }
            h2.govuk-heading-m { "For developers" }
            p.govuk-body {
                "The JSON API is described by its "
                a.govuk-link href="/api/openapi.json" { "OpenAPI document" }
                "."
            }
        },
    ))
}
