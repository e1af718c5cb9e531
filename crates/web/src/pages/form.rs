//! Accessible form widgets: text inputs (with a `£` prefix
//! for money), selects, radios and checkboxes, each with a `<label>` tied to its control by
//! `for`/`id`, an optional hint and error message joined to it by `aria-describedby`; and
//! the error summary ("There is a problem") that lists every error as a link to its field.
//!
//! These are the GOV.UK Design System's components (text input, select, radios,
//! checkboxes, date input, error message and error summary), written as its templates write
//! them, so govuk-frontend's stylesheet styles them. Errors are never told by colour alone:
//! the message is read out with an "Error:" prefix and the field has a thick border.

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
/// link to its field. Empty when there are no errors. (The Design System's error summary;
/// with no script to move focus to it, the browser does, by `autofocus`.)
pub fn error_summary(errors: &FieldErrors) -> Markup {
    html! {
        @if !errors.is_empty() {
            div.govuk-error-summary tabindex="-1" autofocus {
                div role="alert" {
                    h2.govuk-error-summary__title { "There is a problem" }
                    div.govuk-error-summary__body {
                        ul.govuk-list.govuk-error-summary__list {
                            @for (id, message) in errors.iter() {
                                li { a href={ "#" (id) } { (message) } }
                            }
                        }
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
            div.govuk-hint id={ (id) "-hint" } { (hint) }
        }
        @if let Some(error) = error {
            p.govuk-error-message id={ (id) "-error" } {
                span.govuk-visually-hidden { "Error: " } (error)
            }
        }
    }
}

/// What a text input holds, which decides its keyboard, width and prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// Pounds and pence: a `£` prefix and a decimal keypad.
    Money,
    /// A whole number: a numeric keypad and a short box.
    WholeNumber,
    /// Words: a full-width box.
    Text,
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
        let (inputmode, width) = match self.kind {
            InputKind::Money => (Some("decimal"), "govuk-input--width-10"),
            InputKind::WholeNumber => (Some("numeric"), "govuk-input--width-5"),
            InputKind::Text => (None, "govuk-!-width-two-thirds"),
        };
        let input = html! {
            input.govuk-input.(width)."govuk-input--error"[error.is_some()]
                type="text" id=(id) name=(id) value=(self.value)
                inputmode=[inputmode] spellcheck="false"
                aria-describedby=[described.as_deref()];
        };
        html! {
            div.govuk-form-group."govuk-form-group--error"[error.is_some()] {
                label.govuk-label for=(id) { (self.label) }
                (hint_and_error(id, self.hint, error))
                @if self.kind == InputKind::Money {
                    div.govuk-input__wrapper {
                        div.govuk-input__prefix aria-hidden="true" { "£" }
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
            div.govuk-form-group."govuk-form-group--error"[error.is_some()] {
                label.govuk-label for=(id) { (self.label) }
                (hint_and_error(id, self.hint, error))
                select.govuk-select."govuk-select--error"[error.is_some()] id=(id) name=(id)
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
            div.govuk-form-group."govuk-form-group--error"[error.is_some()] {
                fieldset.govuk-fieldset aria-describedby=[described.as_deref()] {
                    legend.govuk-fieldset__legend.govuk-fieldset__legend--s { (self.legend) }
                    (hint_and_error(name, self.hint, error))
                    div.govuk-radios."govuk-radios--inline"[self.inline]."govuk-radios--small"[!self.inline] {
                        @for (index, (value, text)) in self.options.iter().enumerate() {
                            @let id = if index == 0 { name.to_owned() } else { format!("{name}-{value}") };
                            div.govuk-radios__item {
                                input.govuk-radios__input type="radio" id=(id) name=(name) value=(value)
                                    checked[*value == self.selected];
                                label.govuk-label.govuk-radios__label for=(id) { (text) }
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
            div.govuk-form-group {
                div.govuk-checkboxes.govuk-checkboxes--small {
                    div.govuk-checkboxes__item {
                        input.govuk-checkboxes__input type="checkbox" id=(id) name=(id) value="yes" checked[self.checked]
                            aria-describedby=[described.as_deref()];
                        label.govuk-label.govuk-checkboxes__label for=(id) { (self.label) }
                        @if let Some(hint) = self.hint {
                            div.govuk-hint.govuk-checkboxes__hint id={ (id) "-hint" } { (hint) }
                        }
                    }
                }
            }
        }
    }
}

/// The earliest and latest years a date may have anywhere in onebudget: a date outside them
/// is a mistake (a year typed as `25`, or `2205`), not a real date of care or payment.
pub const YEARS: std::ops::RangeInclusive<i32> = 1900..=2100;

/// A date asked for as day, month and year (the Design System's date input). Its fields are
/// named `{id}-day`, `{id}-month` and `{id}-year`; the error summary links to `{id}-day`.
pub struct DateInput<'a> {
    pub id: &'a str,
    pub legend: &'a str,
    pub hint: Option<&'a str>,
    /// What was typed, as day, month and year (or a date to show in them).
    pub value: DateParts,
}

/// What was typed in a date input's three boxes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DateParts {
    pub day: String,
    pub month: String,
    pub year: String,
}

impl DateParts {
    /// The boxes filled in with `date`.
    pub fn of(date: chrono::NaiveDate) -> DateParts {
        use chrono::Datelike;
        DateParts {
            day: date.day().to_string(),
            month: date.month().to_string(),
            year: date.year().to_string(),
        }
    }

    /// The date input `id`'s boxes in a form or query string. A single field named `id`
    /// (a link's `from=2025-04-01`, or a date typed as `01/04/2025`) is read as well, and
    /// split into the boxes, so links and the form agree.
    pub fn from_pairs<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)> + Clone,
        id: &str,
    ) -> DateParts {
        let get = |suffix: &str| {
            let name = format!("{id}{suffix}");
            pairs
                .clone()
                .into_iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.trim().to_owned())
                .unwrap_or_default()
        };
        let (day, month, year) = (get("-day"), get("-month"), get("-year"));
        if day.is_empty() && month.is_empty() && year.is_empty() {
            let whole = get("");
            if let Some(parts) = split_date(&whole) {
                return parts;
            }
            // Not a date at all: kept whole in the day box, so the error shows what was
            // typed.
            return DateParts { day: whole, ..DateParts::default() };
        }
        DateParts { day, month, year }
    }

    pub fn is_empty(&self) -> bool {
        self.day.is_empty() && self.month.is_empty() && self.year.is_empty()
    }

    /// The date, or what is wrong with it in the Design System's words, naming the date by
    /// `name` ("The date of the payment").
    pub fn date(&self, name: &str) -> Result<chrono::NaiveDate, String> {
        // Letters (or a whole value that is not a date) are not a date at all, whatever
        // boxes are empty.
        let numeric = |text: &str| text.chars().all(|c| c.is_ascii_digit());
        if [&self.day, &self.month, &self.year].iter().any(|v| !numeric(v)) {
            return Err(format!("{name} must be a real date, in numbers, for example 27 3 2025"));
        }
        let missing: Vec<&str> = [("day", &self.day), ("month", &self.month), ("year", &self.year)]
            .into_iter()
            .filter(|(_, v)| v.is_empty())
            .map(|(what, _)| what)
            .collect();
        match missing.as_slice() {
            [] => {}
            [_, _, _] => return Err(format!("Enter {}", lower_first(name))),
            [one] => return Err(format!("{name} must include a {one}")),
            [one, two] => return Err(format!("{name} must include a {one} and {two}")),
            _ => return Err(format!("Enter {}", lower_first(name))),
        }
        let number = |text: &str| -> Option<u32> {
            if text.len() > 4 || !text.chars().all(|c| c.is_ascii_digit()) {
                return None;
            }
            text.parse().ok()
        };
        let (Some(day), Some(month), Some(year)) =
            (number(&self.day), number(&self.month), number(&self.year))
        else {
            return Err(format!("{name} must be a real date, in numbers, for example 27 3 2025"));
        };
        if self.year.len() != 4 {
            return Err("Year must include 4 numbers".to_owned());
        }
        let year = i32::try_from(year).unwrap_or(0);
        if !YEARS.contains(&year) {
            return Err(format!("{name} must be between {} and {}", YEARS.start(), YEARS.end()));
        }
        chrono::NaiveDate::from_ymd_opt(year, month, day)
            .ok_or_else(|| format!("{name} must be a real date"))
    }
}

fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `2025-04-01` (ISO) or `1/4/2025`, `01/04/2025`, `1-4-2025`, `1.4.2025` (UK order) as
/// the three boxes; anything else is not a date written whole.
fn split_date(text: &str) -> Option<DateParts> {
    let parts: Vec<&str> = text.split(['-', '/', '.']).map(str::trim).collect();
    let [a, b, c] = parts.as_slice() else { return None };
    let all_digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    if !(all_digits(a) && all_digits(b) && all_digits(c)) {
        return None;
    }
    let trim = |s: &str| s.trim_start_matches('0').to_owned();
    if a.len() == 4 {
        Some(DateParts { day: trim(c), month: trim(b), year: (*a).to_owned() })
    } else {
        Some(DateParts { day: trim(a), month: trim(b), year: (*c).to_owned() })
    }
}

impl DateInput<'_> {
    pub fn render(&self, errors: &FieldErrors) -> Markup {
        let id = self.id;
        let day_id = format!("{id}-day");
        let error = errors.get(&day_id);
        let described = described_by(id, self.hint, error);
        let boxes = [
            ("day", "Day", &self.value.day, "govuk-input--width-2"),
            ("month", "Month", &self.value.month, "govuk-input--width-2"),
            ("year", "Year", &self.value.year, "govuk-input--width-4"),
        ];
        html! {
            div.govuk-form-group."govuk-form-group--error"[error.is_some()] {
                fieldset.govuk-fieldset role="group" aria-describedby=[described.as_deref()] {
                    legend.govuk-fieldset__legend.govuk-fieldset__legend--s { (self.legend) }
                    (hint_and_error(id, self.hint, error))
                    div.govuk-date-input #(id) {
                        @for (part, label, value, width) in boxes {
                            @let field = format!("{id}-{part}");
                            div.govuk-date-input__item {
                                div.govuk-form-group {
                                    label.govuk-label.govuk-date-input__label for=(field) { (label) }
                                    input.govuk-input.govuk-date-input__input.(width)."govuk-input--error"[error.is_some()]
                                        id=(field) name=(field) type="text" inputmode="numeric" value=(value);
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A period asked for on a page's filter form: "from" and "to" date inputs. Read from the
/// query string, where each date is its three boxes (`from-day`, `from-month`,
/// `from-year`) or a whole date (`from=2025-04-01`, as links write it, or `01/04/2025`).
/// Unknown parameters are not this struct's business: a page's query ignores them.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct PeriodQuery {
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default, rename = "from-day")]
    pub from_day: Option<String>,
    #[serde(default, rename = "from-month")]
    pub from_month: Option<String>,
    #[serde(default, rename = "from-year")]
    pub from_year: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
    #[serde(default, rename = "to-day")]
    pub to_day: Option<String>,
    #[serde(default, rename = "to-month")]
    pub to_month: Option<String>,
    #[serde(default, rename = "to-year")]
    pub to_year: Option<String>,
}

impl PeriodQuery {
    fn parts(
        whole: &Option<String>,
        day: &Option<String>,
        month: &Option<String>,
        year: &Option<String>,
        id: &str,
    ) -> DateParts {
        let pairs: Vec<(String, &str)> = [
            (id.to_owned(), whole),
            (format!("{id}-day"), day),
            (format!("{id}-month"), month),
            (format!("{id}-year"), year),
        ]
        .into_iter()
        .filter_map(|(name, value)| value.as_deref().map(|v| (name, v)))
        .collect();
        DateParts::from_pairs(pairs.iter().map(|(n, v)| (n.as_str(), *v)), id)
    }

    /// What was typed in the "from" boxes.
    pub fn from_parts(&self) -> DateParts {
        Self::parts(&self.from, &self.from_day, &self.from_month, &self.from_year, "from")
    }

    /// What was typed in the "to" boxes.
    pub fn to_parts(&self) -> DateParts {
        Self::parts(&self.to, &self.to_day, &self.to_month, &self.to_year, "to")
    }

    /// The period asked for: each end as typed, or `default`'s when left empty; the
    /// mistakes against `from-day` and `to-day` (where the error summary links) otherwise.
    pub fn period(
        &self,
        default: (chrono::NaiveDate, chrono::NaiveDate),
    ) -> Result<(chrono::NaiveDate, chrono::NaiveDate), FieldErrors> {
        let (from, to) = self.optional_period()?;
        let (from, to) = (from.unwrap_or(default.0), to.unwrap_or(default.1));
        if to < from {
            let mut errors = FieldErrors::new();
            errors.add("to-day", "The end date must be the same as or after the start date");
            return Err(errors);
        }
        Ok((from, to))
    }

    /// Each end of the period as typed, `None` where left empty; the mistakes against
    /// `from-day` and `to-day` otherwise (an end before the start is one).
    pub fn optional_period(
        &self,
    ) -> Result<(Option<chrono::NaiveDate>, Option<chrono::NaiveDate>), FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut end =
            |parts: DateParts, id: &str, name: &str| -> Result<Option<chrono::NaiveDate>, ()> {
                if parts.is_empty() {
                    return Ok(None);
                }
                parts.date(name).map(Some).map_err(|e| errors.add(&format!("{id}-day"), e))
            };
        let from = end(self.from_parts(), "from", "The start date");
        let to = end(self.to_parts(), "to", "The end date");
        match (from, to) {
            (Ok(Some(from)), Ok(Some(to))) if to < from => {
                errors.add("to-day", "The end date must be the same as or after the start date");
                Err(errors)
            }
            (Ok(from), Ok(to)) => Ok((from, to)),
            _ => Err(errors),
        }
    }

    /// The two date inputs, filled in with what was typed (or the period shown).
    pub fn render(
        &self,
        shown: Option<(chrono::NaiveDate, chrono::NaiveDate)>,
        errors: &FieldErrors,
    ) -> Markup {
        let typed = |parts: DateParts, date: Option<chrono::NaiveDate>| {
            if parts.is_empty() { date.map(DateParts::of).unwrap_or_default() } else { parts }
        };
        html! {
            (DateInput { id: "from", legend: "From", hint: Some("For example, 1 4 2025"), value: typed(self.from_parts(), shown.map(|s| s.0)) }.render(errors))
            (DateInput { id: "to", legend: "To", hint: Some("For example, 31 3 2026"), value: typed(self.to_parts(), shown.map(|s| s.1)) }.render(errors))
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
        assert!(html.contains(r#"<label class="govuk-label" for="savings">"#), "{html}");
        assert!(html.contains(r#"aria-describedby="savings-hint savings-error""#), "{html}");
        assert!(html.contains(r#"inputmode="decimal""#), "{html}");
        assert!(html.contains("value=\"&lt;b&gt;&quot;x&quot;\""), "{html}");
        let summary = error_summary(&errors).into_string();
        assert!(summary.contains("There is a problem"), "{summary}");
        assert!(summary.contains(r##"<a href="#savings">Enter your savings</a>"##), "{summary}");
        assert!(error_summary(&FieldErrors::new()).into_string().is_empty());
    }

    #[test]
    fn a_date_is_read_from_its_boxes_or_written_whole() {
        let pairs = [("from-day", "1"), ("from-month", "12"), ("from-year", "2026")];
        let parts = DateParts::from_pairs(pairs, "from");
        assert_eq!(
            parts.date("The start"),
            Ok(chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap())
        );
        for whole in ["01/12/2026", "1/12/2026", "2026-12-01", "1.12.2026"] {
            let parts = DateParts::from_pairs([("from", whole)], "from");
            assert_eq!(
                parts.date("The start"),
                Ok(chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()),
                "{whole}"
            );
        }
    }

    #[test]
    fn a_period_takes_its_defaults_and_refuses_one_that_ends_before_it_starts() {
        let day = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
        let default = (day(2025, 4, 1), day(2026, 3, 31));
        assert_eq!(PeriodQuery::default().period(default), Ok(default));
        let query = PeriodQuery { from: Some("01/12/2025".into()), ..PeriodQuery::default() };
        assert_eq!(query.period(default), Ok((day(2025, 12, 1), day(2026, 3, 31))));
        let backwards = PeriodQuery {
            from: Some("2026-01-01".into()),
            to: Some("2025-01-01".into()),
            ..PeriodQuery::default()
        };
        let errors = backwards.period(default).unwrap_err();
        assert!(errors.get("to-day").is_some(), "{errors:?}");
        let bad = PeriodQuery {
            from: Some("abc".into()),
            to_day: Some("30".into()),
            to_month: Some("2".into()),
            to_year: Some("2025".into()),
            ..PeriodQuery::default()
        };
        let errors = bad.period(default).unwrap_err();
        assert!(errors.get("from-day").is_some() && errors.get("to-day").is_some(), "{errors:?}");
    }

    #[test]
    fn a_date_that_is_not_real_says_what_is_wrong() {
        let date = |d: &str, m: &str, y: &str| {
            DateParts { day: d.into(), month: m.into(), year: y.into() }.date("The start")
        };
        assert_eq!(date("", "", ""), Err("Enter the start".to_owned()));
        assert_eq!(date("1", "", "2025"), Err("The start must include a month".to_owned()));
        assert_eq!(date("30", "2", "2025"), Err("The start must be a real date".to_owned()));
        assert_eq!(date("1", "2", "25"), Err("Year must include 4 numbers".to_owned()));
        assert_eq!(
            date("1", "2", "1899"),
            Err("The start must be between 1900 and 2100".to_owned())
        );
        assert!(date("x", "2", "2025").is_err_and(|e| e.contains("real date")));
        // A whole value that is not a date is kept to show, and called not a date (not a
        // date missing its month and year).
        let kept = DateParts::from_pairs([("from", "abc")], "from");
        assert_eq!(kept.day, "abc");
        assert_eq!(
            kept.date("The start"),
            Err("The start must be a real date, in numbers, for example 27 3 2025".to_owned())
        );
    }
}
