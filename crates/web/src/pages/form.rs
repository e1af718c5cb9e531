//! Accessible form widgets, after the GOV.UK Design System: text inputs (with a `£` prefix
//! for money), selects, radios and checkboxes, each with a `<label>` tied to its control by
//! `for`/`id`, an optional hint and error message joined to it by `aria-describedby`; and
//! the error summary ("There is a problem") that lists every error as a link to its field.
//!
//! Errors are never told by colour alone: the message has a visible "Error:" prefix (read
//! out as well) and the field a thick border.

use maud::{Markup, html};

/// Errors found in a form, in the order the fields appear: `(field id, message)`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(Vec<(String, String)>);

impl FieldErrors {
    pub fn new() -> FieldErrors {
        FieldErrors(Vec::new())
    }

    /// Add an error for the field with `id`. A field keeps only its first error.
    pub fn add(&mut self, id: &str, message: impl Into<String>) {
        if self.get(id).is_none() {
            self.0.push((id.to_owned(), message.into()));
        }
    }

    pub fn get(&self, id: &str) -> Option<&str> {
        self.0.iter().find(|(field, _)| field == id).map(|(_, message)| message.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Order the errors as `ids` orders the fields on the page (unknown ids last).
    pub fn sort_by_position(&mut self, ids: &[&str]) {
        self.0.sort_by_key(|(field, _)| ids.iter().position(|id| id == field).unwrap_or(ids.len()));
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(field, message)| (field.as_str(), message.as_str()))
    }
}

/// The error summary at the top of a page: "There is a problem", then each error as a
/// link to its field. Empty when there are no errors.
pub fn error_summary(errors: &FieldErrors) -> Markup {
    html! {
        @if !errors.is_empty() {
            div.error-summary role="alert" aria-labelledby="error-summary-title" tabindex="-1" autofocus {
                h2 #error-summary-title { "There is a problem" }
                ul {
                    @for (id, message) in errors.iter() {
                        li { a href={ "#" (id) } { (message) } }
                    }
                }
            }
        }
    }
}

/// The hint and error of a field, and the `aria-describedby` that joins them to it.
fn described_by(id: &str, hint: Option<&str>, error: Option<&str>) -> Option<String> {
    let mut ids = Vec::new();
    if hint.is_some() {
        ids.push(format!("{id}-hint"));
    }
    if error.is_some() {
        ids.push(format!("{id}-error"));
    }
    if ids.is_empty() { None } else { Some(ids.join(" ")) }
}

fn hint_and_error(id: &str, hint: Option<&str>, error: Option<&str>) -> Markup {
    html! {
        @if let Some(hint) = hint {
            div.hint id={ (id) "-hint" } { (hint) }
        }
        @if let Some(error) = error {
            p.error-message id={ (id) "-error" } {
                "Error: " (error)
            }
        }
    }
}

/// What a text input holds, which decides its keyboard and prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// Pounds and pence: a `£` prefix and a decimal keypad.
    Money,
    /// A whole number: a numeric keypad and a short box.
    WholeNumber,
}

/// A labelled text input.
pub struct TextInput<'a> {
    pub id: &'a str,
    pub label: &'a str,
    pub hint: Option<&'a str>,
    pub value: &'a str,
    pub kind: InputKind,
}

impl TextInput<'_> {
    pub fn render(&self, errors: &FieldErrors) -> Markup {
        let id = self.id;
        let error = errors.get(id);
        let described = described_by(id, self.hint, error);
        let (inputmode, short) = match self.kind {
            InputKind::Money => ("decimal", false),
            InputKind::WholeNumber => ("numeric", true),
        };
        let input = html! {
            input.input."input--short"[short]."input--error"[error.is_some()]
                type="text" id=(id) name=(id) value=(self.value)
                inputmode=(inputmode) spellcheck="false"
                aria-describedby=[described.as_deref()];
        };
        html! {
            div.form-group."form-group--error"[error.is_some()] {
                label.label for=(id) { (self.label) }
                (hint_and_error(id, self.hint, error))
                @if self.kind == InputKind::Money {
                    div.input-wrapper {
                        div.input-prefix aria-hidden="true" { "£" }
                        (input)
                    }
                } @else {
                    (input)
                }
            }
        }
    }
}

/// A labelled drop-down list of `(value, text)` options.
pub struct Select<'a> {
    pub id: &'a str,
    pub label: &'a str,
    pub hint: Option<&'a str>,
    pub options: &'a [(&'a str, &'a str)],
    pub selected: &'a str,
}

impl Select<'_> {
    pub fn render(&self, errors: &FieldErrors) -> Markup {
        let id = self.id;
        let error = errors.get(id);
        let described = described_by(id, self.hint, error);
        html! {
            div.form-group."form-group--error"[error.is_some()] {
                label.label for=(id) { (self.label) }
                (hint_and_error(id, self.hint, error))
                select.select."select--error"[error.is_some()] id=(id) name=(id)
                    aria-describedby=[described.as_deref()] {
                    @for (value, text) in self.options {
                        option value=(value) selected[*value == self.selected] { (text) }
                    }
                }
            }
        }
    }
}

/// A question answered by choosing one of `(value, text)` radios, in a fieldset whose
/// legend is the question. The first radio's id is `name` itself, so an error summary
/// link to `#name` lands on it.
pub struct Radios<'a> {
    pub name: &'a str,
    pub legend: &'a str,
    pub hint: Option<&'a str>,
    pub options: &'a [(&'a str, &'a str)],
    pub selected: &'a str,
    pub inline: bool,
}

impl Radios<'_> {
    pub fn render(&self, errors: &FieldErrors) -> Markup {
        let name = self.name;
        let error = errors.get(name);
        let described = described_by(name, self.hint, error);
        html! {
            div.form-group."form-group--error"[error.is_some()] {
                fieldset aria-describedby=[described.as_deref()] {
                    legend.legend-small { (self.legend) }
                    (hint_and_error(name, self.hint, error))
                    div.choices."choices--inline"[self.inline] {
                        @for (index, (value, text)) in self.options.iter().enumerate() {
                            @let id = if index == 0 { name.to_owned() } else { format!("{name}-{value}") };
                            div.choice {
                                input type="radio" id=(id) name=(name) value=(value)
                                    checked[*value == self.selected];
                                label for=(id) { (text) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A labelled checkbox sending `yes` when ticked.
pub struct Checkbox<'a> {
    pub id: &'a str,
    pub label: &'a str,
    pub hint: Option<&'a str>,
    pub checked: bool,
}

impl Checkbox<'_> {
    pub fn render(&self) -> Markup {
        let id = self.id;
        let described = self.hint.map(|_| format!("{id}-hint"));
        html! {
            div.choice {
                input type="checkbox" id=(id) name=(id) value="yes" checked[self.checked]
                    aria-describedby=[described.as_deref()];
                div {
                    label for=(id) { (self.label) }
                    @if let Some(hint) = self.hint {
                        div.hint id={ (id) "-hint" } { (hint) }
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
    fn errors_keep_the_first_per_field_and_sort_by_position() {
        let mut errors = FieldErrors::new();
        errors.add("b", "second field");
        errors.add("a", "first field");
        errors.add("b", "ignored");
        errors.sort_by_position(&["a", "b"]);
        let listed: Vec<_> = errors.iter().collect();
        assert_eq!(listed, [("a", "first field"), ("b", "second field")]);
    }

    #[test]
    fn inputs_are_labelled_and_described_and_escape_values() {
        let mut errors = FieldErrors::new();
        errors.add("savings", "Enter your savings");
        let html = TextInput {
            id: "savings",
            label: "Savings",
            hint: Some("The total"),
            value: "<b>\"x\"",
            kind: InputKind::Money,
        }
        .render(&errors)
        .into_string();
        assert!(html.contains(r#"<label class="label" for="savings">"#), "{html}");
        assert!(html.contains(r#"aria-describedby="savings-hint savings-error""#), "{html}");
        assert!(html.contains(r#"inputmode="decimal""#), "{html}");
        assert!(html.contains("value=\"&lt;b&gt;&quot;x&quot;\""), "{html}");
        let summary = error_summary(&errors).into_string();
        assert!(summary.contains("There is a problem"), "{summary}");
        assert!(summary.contains(r##"<a href="#savings">Enter your savings</a>"##), "{summary}");
        assert!(error_summary(&FieldErrors::new()).into_string().is_empty());
    }
}
