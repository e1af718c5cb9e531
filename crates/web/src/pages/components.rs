//! The GOV.UK Design System's components that pages share, written as govuk-frontend's
//! own templates write them (the classes its stylesheet styles), so that every page uses
//! the components themselves rather than look-alikes: breadcrumbs, back link, summary list,
//! tag, notification banner, panel, warning text, inset text, details, pagination, and
//! tables that scroll sideways inside their own box on a phone. Form controls are in
//! `form`.

use maud::{Markup, html};

/// Breadcrumbs: the pages above this one, each a link, from the top down.
pub fn breadcrumbs(trail: &[(&str, &str)]) -> Markup {
    html! {
        nav.govuk-breadcrumbs aria-label="Breadcrumb" {
            ol.govuk-breadcrumbs__list {
                @for (label, href) in trail {
                    li.govuk-breadcrumbs__list-item {
                        a.govuk-breadcrumbs__link href=(href) { (label) }
                    }
                }
            }
        }
    }
}

/// A back link to `href`.
pub fn back_link(href: &str, label: &str) -> Markup {
    html! { a.govuk-back-link href=(href) { (label) } }
}

/// A summary list of `(key, value)` rows.
pub fn summary_list<'a>(rows: impl IntoIterator<Item = (&'a str, Markup)>) -> Markup {
    html! {
        dl.govuk-summary-list {
            @for (key, value) in rows {
                div.govuk-summary-list__row {
                    dt.govuk-summary-list__key { (key) }
                    dd.govuk-summary-list__value { (value) }
                }
            }
        }
    }
}

/// A tag's colour: the Design System's modifiers, each with at least 4.5:1 contrast.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TagColour {
    /// The default (dark blue on light blue).
    Blue,
    Grey,
    Green,
    Yellow,
    Red,
    Purple,
}

/// A tag: a short status word (never the only place the status is said).
pub fn tag(text: &str, colour: TagColour) -> Markup {
    let modifier = match colour {
        TagColour::Blue => None,
        TagColour::Grey => Some("govuk-tag--grey"),
        TagColour::Green => Some("govuk-tag--green"),
        TagColour::Yellow => Some("govuk-tag--yellow"),
        TagColour::Red => Some("govuk-tag--red"),
        TagColour::Purple => Some("govuk-tag--purple"),
    };
    html! { strong class={ "govuk-tag" @if let Some(m) = modifier { " " (m) } } { (text) } }
}

/// A notification banner saying something was done (the success style, announced when
/// the page loads), with `heading` as its main line.
pub fn success_banner(heading: &str, body: Option<Markup>) -> Markup {
    html! {
        div.govuk-notification-banner.govuk-notification-banner--success role="alert"
            aria-labelledby="notification-banner-title" {
            div.govuk-notification-banner__header {
                h2.govuk-notification-banner__title #notification-banner-title { "Success" }
            }
            div.govuk-notification-banner__content {
                p.govuk-notification-banner__heading { (heading) }
                @if let Some(body) = body { (body) }
            }
        }
    }
}

/// A notification banner telling the reader something important about the page that is
/// not the result of what they did.
pub fn important_banner(heading: &str, body: Option<Markup>) -> Markup {
    html! {
        div.govuk-notification-banner role="region" aria-labelledby="notification-banner-title" {
            div.govuk-notification-banner__header {
                h2.govuk-notification-banner__title #notification-banner-title { "Important" }
            }
            div.govuk-notification-banner__content {
                p.govuk-notification-banner__heading { (heading) }
                @if let Some(body) = body { (body) }
            }
        }
    }
}

/// A confirmation panel: the end of a transaction, with its outcome in large type.
pub fn panel(title: &str, body: Markup) -> Markup {
    html! {
        div.govuk-panel.govuk-panel--confirmation {
            h1.govuk-panel__title { (title) }
            div.govuk-panel__body { (body) }
        }
    }
}

/// Warning text: something the reader must know before going on.
pub fn warning_text(body: Markup) -> Markup {
    html! {
        div.govuk-warning-text {
            span.govuk-warning-text__icon aria-hidden="true" { "!" }
            strong.govuk-warning-text__text {
                span.govuk-visually-hidden { "Warning" }
                (body)
            }
        }
    }
}

/// Inset text: a quotation, an example or an aside.
pub fn inset(body: Markup) -> Markup {
    html! { div.govuk-inset-text { (body) } }
}

/// Details: a summary the reader can open for more.
pub fn details(summary: &str, body: Markup) -> Markup {
    html! {
        details.govuk-details {
            summary.govuk-details__summary {
                span.govuk-details__summary-text { (summary) }
            }
            div.govuk-details__text { (body) }
        }
    }
}

/// A table in a box that scrolls sideways when the table is wider than the screen, so the
/// page itself never does and no column is hidden. The box can be focused (and so scrolled
/// by keyboard), and is a region named by `label`.
pub fn table_wrap(label: &str, table: Markup) -> Markup {
    html! {
        div.app-table-wrap role="region" aria-label=(label) tabindex="0" { (table) }
    }
}

/// Pagination: a previous and a next link, and the page numbers around the current one.
/// `href(n)` is the address of page `n` (from 1); `pages` is how many there are. Nothing
/// when there is only one page.
pub fn pagination(current: u64, pages: u64, href: impl Fn(u64) -> String) -> Markup {
    if pages <= 1 {
        return html! {};
    }
    // First, last, and the current page with one on each side; gaps as ellipses.
    let mut shown: Vec<u64> = vec![1, pages];
    for n in current.saturating_sub(1)..=current.saturating_add(1) {
        if (1..=pages).contains(&n) {
            shown.push(n);
        }
    }
    shown.sort_unstable();
    shown.dedup();
    html! {
        nav.govuk-pagination aria-label="Pages" {
            @if current > 1 {
                div.govuk-pagination__prev {
                    a.govuk-link.govuk-pagination__link href=(href(current - 1)) rel="prev" {
                        span.govuk-pagination__link-title { "Previous" span.govuk-visually-hidden { " page" } }
                    }
                }
            }
            ul.govuk-pagination__list {
                @for (i, n) in shown.iter().enumerate() {
                    @if i > 0 && shown.get(i - 1).is_some_and(|before| n - before > 1) {
                        li.govuk-pagination__item.govuk-pagination__item--ellipses { "⋯" }
                    }
                    @if *n == current {
                        li.govuk-pagination__item.govuk-pagination__item--current {
                            a.govuk-link.govuk-pagination__link href=(href(*n)) aria-label={ "Page " (n) } aria-current="page" { (n) }
                        }
                    } @else {
                        li.govuk-pagination__item {
                            a.govuk-link.govuk-pagination__link href=(href(*n)) aria-label={ "Page " (n) } { (n) }
                        }
                    }
                }
            }
            @if current < pages {
                div.govuk-pagination__next {
                    a.govuk-link.govuk-pagination__link href=(href(current + 1)) rel="next" {
                        span.govuk-pagination__link-title { "Next" span.govuk-visually-hidden { " page" } }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pagination_shows_the_ends_and_the_neighbours_with_gaps_marked() {
        let html = pagination(5, 10, |n| format!("/x?page={n}")).into_string();
        for n in [1, 4, 5, 6, 10] {
            assert!(
                html.contains(&format!(r#"href="/x?page={n}" aria-label="Page {n}""#)),
                "{n}: {html}"
            );
        }
        for n in [2, 3, 7, 8, 9] {
            assert!(!html.contains(&format!(r#"aria-label="Page {n}""#)), "{n}: {html}");
        }
        assert_eq!(html.matches("govuk-pagination__item--ellipses").count(), 2, "{html}");
        assert!(html.contains(r#"aria-current="page">5<"#), "{html}");
        assert!(html.contains("rel=\"prev\"") && html.contains("rel=\"next\""), "{html}");
        assert!(pagination(1, 1, |n| n.to_string()).into_string().is_empty());
        let first = pagination(1, 3, |n| n.to_string()).into_string();
        assert!(!first.contains("rel=\"prev\"") && first.contains("rel=\"next\""), "{first}");
    }
}
