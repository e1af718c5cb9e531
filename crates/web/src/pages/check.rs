//! "Check what you might pay for care": a public page, no sign-in, that estimates what a
//! person might pay each week towards their care and explains how.
//!
//! `GET /check-what-you-might-pay` shows the form; `POST` (a urlencoded form, so nobody's
//! answers end up in a URL or a log) reads it into a [`CaseInput`] with [`to_case`], runs
//! the same assessment as the API ([`crate::assessment::assess_case`]) and shows the
//! estimate, the steps with their effect on the charge, and the sources as links. Answers
//! that cannot be used re-show the form, with every answer kept, an error summary at the
//! top and each message beside its field, with status 422. Nothing is stored or logged.

use axum::extract::Form;
use axum::extract::rejection::FormRejection;
use axum::http::StatusCode;
use chrono::{Datelike, NaiveDate};
use maud::{Markup, html};
use onebudget_core::Money;
use onebudget_core::assessment::{
    AssessError, CapitalInput, CapitalKind, CaseInput, Explanation, IncomeInput, IncomeKind,
    PersonInput, PremiumsInput, Setting,
};
use onebudget_core::field::FieldError;
use onebudget_core::policy::{Nation, PolicyError, Source};
use onebudget_core::pool::FinancialYear;
use serde::Deserialize;

use crate::assessment::assess_case;
use crate::error::ApiError;
use crate::pages::components::warning_text;
use crate::pages::form::{
    Checkbox, FieldErrors, InputKind, Radios, Select, TextInput, error_summary,
};
use crate::pages::layout::{HtmlPage, page};

/// Where the page lives.
pub const PATH: &str = "/check-what-you-might-pay";

const TITLE: &str = "Check what you might pay for care";

/// The form as posted: every answer as typed, so that it can be shown again as it was.
/// A ticked checkbox sends `yes`; an unticked one sends nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct CheckForm {
    pub nation: String,
    pub year: String,
    pub setting: String,
    pub cost_of_care: String,
    pub age: String,
    pub pension_age: String,
    pub couple: String,
    pub state_pension: String,
    pub other_pensions: String,
    pub pension_credit: String,
    pub benefit: String,
    pub benefit_amount: String,
    pub disability_benefit: String,
    pub disability_benefit_amount: String,
    pub disability_premium: String,
    pub enhanced_disability_premium: String,
    pub carer_premium: String,
    pub savings: String,
    pub owns_home: String,
    pub home_value: String,
    pub weeks_in_care_home: String,
    pub relative_lives_there: String,
    pub nursing_care: String,
    pub housing_costs: String,
    pub disability_costs: String,
    pub personal_care_cost: String,
}

/// The fields in the order they appear, so that the error summary lists them in order.
const FIELD_ORDER: &[&str] = &[
    "nation",
    "year",
    "setting",
    "cost_of_care",
    "age",
    "pension_age",
    "couple",
    "state_pension",
    "other_pensions",
    "pension_credit",
    "benefit",
    "benefit_amount",
    "disability_benefit",
    "disability_benefit_amount",
    "savings",
    "owns_home",
    "home_value",
    "weeks_in_care_home",
    "relative_lives_there",
    "housing_costs",
    "disability_costs",
    "personal_care_cost",
];

const NATIONS: &[(&str, &str)] = &[
    ("england", "England"),
    ("wales", "Wales"),
    ("scotland", "Scotland"),
    ("northern_ireland", "Northern Ireland"),
];

/// A financial year offered: its form value (`2025-26`), its text, and the day assessed
/// (1 October, the middle of the year, clear of April's uprating).
struct Year {
    value: String,
    text: String,
    date: String,
    year: FinancialYear,
}

/// The financial years offered, newest first: every year whose middle some nation's
/// rules in the policy in use cover, so a year a council adds with `--policy-dir`
/// appears here too.
fn years() -> &'static [Year] {
    static YEARS: std::sync::OnceLock<Vec<Year>> = std::sync::OnceLock::new();
    YEARS.get_or_init(|| {
        let Ok(policy) = onebudget_core::policy::Policy::in_use() else { return Vec::new() };
        let covers: Vec<_> = Nation::ALL.iter().filter_map(|n| policy.covers(*n)).collect();
        let (Some(first), Some(last)) =
            (covers.iter().map(|(from, _)| *from).min(), covers.iter().map(|(_, to)| *to).max())
        else {
            return Vec::new();
        };
        let mut years = Vec::new();
        for year in (first.year() - 1..=last.year()).rev() {
            let Some(middle) = chrono::NaiveDate::from_ymd_opt(year, 10, 1) else { continue };
            if !covers.iter().any(|(from, to)| *from <= middle && middle <= *to) {
                continue;
            }
            let Some(financial_year) = FinancialYear::containing(middle) else { continue };
            let next = (year + 1).rem_euclid(100);
            years.push(Year {
                value: format!("{year}-{next:02}"),
                text: format!("{} (April {year} to March {})", financial_year.label(), year + 1),
                date: middle.to_string(),
                year: financial_year,
            });
        }
        years
    })
}

/// When the financial year holding `today` is newer than the newest year the policy in
/// use covers, a notice saying so: otherwise the page would quietly estimate with last
/// year's figures for someone asking about now. Once the year's figures are added (a
/// release, or a council's `--policy-dir`), the notice goes.
fn year_notice(today: NaiveDate) -> Option<Markup> {
    let newest = years().first()?;
    let newest_year = newest.year;
    let this_year = FinancialYear::containing(today)?;
    (this_year > newest_year).then(|| {
        html! {
            p.govuk-inset-text #year-notice {
                "The newest figures in this calculator are for " (newest.text) ". "
                "The figures for " (this_year.label()) ", the year we are in now, have not been added yet. "
                "Benefits and allowances usually go up each April, so what you would pay now may differ from an estimate made with the " (newest_year.label()) " figures."
            }
        }
    })
}

/// The year chosen when the page is first shown: the latest.
fn latest_year() -> String {
    years().first().map(|y| y.value.clone()).unwrap_or_default()
}

const SETTINGS: &[(&str, &str)] =
    &[("non_residential", "At home, or in the community"), ("care_home", "In a care home")];

const YES_NO: &[(&str, &str)] = &[("yes", "Yes"), ("no", "No")];

const COUPLE: &[(&str, &str)] =
    &[("single", "No, I am single"), ("couple", "Yes, I live with a partner as a couple")];

const BENEFITS: &[(&str, &str)] = &[
    ("none", "None of these"),
    ("esa", "Employment and Support Allowance (ESA)"),
    ("universal_credit", "Universal Credit"),
    ("income_support", "Income Support"),
];

const DISABILITY_BENEFITS: &[(&str, &str)] = &[
    ("none", "None of these"),
    ("attendance_allowance_lower", "Attendance Allowance, lower rate"),
    ("attendance_allowance_higher", "Attendance Allowance, higher rate"),
    ("pip_daily_living_standard", "PIP daily living part, standard rate"),
    ("pip_daily_living_enhanced", "PIP daily living part, enhanced rate"),
    ("dla_care_lowest", "DLA care part, lowest rate"),
    ("dla_care_middle", "DLA care part, middle rate"),
    ("dla_care_highest", "DLA care part, highest rate"),
];

/// The income kind of a benefit chosen in a drop-down, if the value is one offered.
fn income_kind(options: &[(&str, &str)], value: &str) -> Option<IncomeKind> {
    if !options.iter().any(|(offered, _)| *offered == value) {
        return None;
    }
    IncomeKind::ALL.iter().copied().find(|kind| kind.as_str() == value)
}

/// The text shown for `value` among `options`.
fn option_text<'a>(options: &'a [(&'a str, &'a str)], value: &str) -> &'a str {
    options.iter().find(|(offered, _)| *offered == value).map_or("", |(_, text)| text)
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A case read from the form, and which field each capital item and income came from
/// (to put core's errors, which name `capital[0].value`, beside the right field).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormCase {
    pub input: CaseInput,
    capital_fields: Vec<&'static str>,
    income_fields: Vec<&'static str>,
}

impl FormCase {
    /// The form field a field of [`CaseInput`] came from.
    fn form_field(&self, case_field: &str) -> &'static str {
        let indexed = |prefix: &str, fields: &[&'static str]| {
            let rest = case_field.strip_prefix(prefix)?;
            let (index, _) = rest.split_once(']')?;
            fields.get(index.parse::<usize>().ok()?).copied()
        };
        if let Some(field) = indexed("capital[", &self.capital_fields) {
            return field;
        }
        if let Some(field) = indexed("weekly_income[", &self.income_fields) {
            return field;
        }
        match case_field {
            "date" => "year",
            "setting" => "setting",
            "person.age_years" => "age",
            "weekly_cost_of_care" => "cost_of_care",
            "weekly_housing_costs" => "housing_costs",
            "weekly_disability_related_expenditure" => "disability_costs",
            "weekly_cost_of_personal_care" => "personal_care_cost",
            "weeks_in_care_home" => "weeks_in_care_home",
            _ => "nation",
        }
    }
}

/// Reads the form's answers, collecting every problem rather than stopping at the first.
struct Reader<'a> {
    form: &'a CheckForm,
    errors: FieldErrors,
}

impl Reader<'_> {
    /// An amount of money; empty means 0.00. `what` names it in messages ("your savings").
    fn money(&mut self, id: &str, text: &str, what: &str) -> Money {
        let text = text.trim();
        if text.is_empty() {
            return Money::ZERO;
        }
        match Money::parse(text) {
            Ok(amount) if amount.is_negative() => {
                self.errors.add(id, format!("{} must be 0 or more", capitalised(what)));
                Money::ZERO
            }
            Ok(amount) => amount,
            Err(_) => {
                self.errors.add(id, format!("Enter {what} in pounds and pence, like 125.50"));
                Money::ZERO
            }
        }
    }

    /// An amount of money that must be given.
    fn required_money(&mut self, id: &str, text: &str, what: &str) -> Money {
        if text.trim().is_empty() {
            self.errors.add(id, format!("Enter {what}"));
            return Money::ZERO;
        }
        self.money(id, text, what)
    }

    /// One of `options`, which must be chosen.
    fn choice<'o>(
        &mut self,
        id: &str,
        value: &str,
        options: &[(&'o str, &str)],
        missing: &str,
    ) -> Option<&'o str> {
        let chosen = options.iter().find(|(offered, _)| *offered == value).map(|(v, _)| *v);
        if chosen.is_none() {
            self.errors.add(id, missing);
        }
        chosen
    }

    /// The age in years; core refuses an implausibly high one.
    fn age(&mut self) -> u32 {
        let text = self.form.age.trim();
        if text.is_empty() {
            self.errors.add("age", "Enter your age");
            return 0;
        }
        match text.parse::<u32>() {
            Ok(age) if age < 18 => {
                self.errors.add("age", "This estimate is for adults: enter an age of 18 or over");
                age
            }
            Ok(age) => age,
            Err(_) => {
                self.errors.add("age", "Enter your age as a whole number of years, like 67");
                0
            }
        }
    }

    fn weeks_in_care_home(&mut self, needed: bool) -> u32 {
        let text = self.form.weeks_in_care_home.trim();
        if text.is_empty() {
            if needed {
                self.errors.add(
                    "weeks_in_care_home",
                    "Enter how many weeks you have lived in the care home, or 0 if you have not moved in yet",
                );
            }
            return 0;
        }
        text.parse::<u32>().unwrap_or_else(|_| {
            self.errors
                .add("weeks_in_care_home", "Enter the number of weeks as a whole number, like 4");
            0
        })
    }

    /// A benefit chosen from `options` and its weekly amount, as an income.
    fn benefit(
        &mut self,
        (id, amount_id): (&str, &'static str),
        (value, amount): (&str, &str),
        options: &[(&str, &str)],
    ) -> Option<(IncomeInput, &'static str)> {
        let value = if value.is_empty() { "none" } else { value };
        let given = !amount.trim().is_empty();
        if value == "none" {
            let amount = self.money(amount_id, amount, "the weekly amount");
            if given && amount.is_positive() {
                self.errors.add(id, "Select which benefit you get, or leave its amount empty");
            }
            return None;
        }
        let Some(kind) = income_kind(options, value) else {
            self.errors.add(id, "Select a benefit from the list");
            return None;
        };
        let what = format!("how much {} you get each week", option_text(options, value));
        let amount = self.required_money(amount_id, amount, &what);
        Some((IncomeInput { kind, amount }, amount_id))
    }
}

/// Read the form into a case for the engine, or say what is wrong with it (every problem,
/// in the order the fields appear).
pub fn to_case(form: &CheckForm) -> Result<FormCase, FieldErrors> {
    let mut r = Reader { form, errors: FieldErrors::new() };
    let nation = r
        .choice("nation", &form.nation, NATIONS, "Select which nation the care is in")
        .and_then(Nation::parse);
    let date = years().iter().find(|y| y.value == form.year).map(|y| y.date.as_str());
    if date.is_none() {
        r.errors.add("year", "Select a financial year");
    }
    let setting =
        match r.choice("setting", &form.setting, SETTINGS, "Select where the care is provided") {
            Some("care_home") => Some(Setting::CareHome),
            Some(_) => Some(Setting::NonResidential),
            None => None,
        };
    let in_care_home = setting == Some(Setting::CareHome);
    let cost_of_care =
        r.required_money("cost_of_care", &form.cost_of_care, "the weekly cost of your care");
    let age_years = r.age();
    let pension_age = r.choice(
        "pension_age",
        &form.pension_age,
        YES_NO,
        "Select yes if you have reached State Pension age",
    ) == Some("yes");
    let couple = r.choice(
        "couple",
        &form.couple,
        COUPLE,
        "Select whether you live with a partner as a couple",
    ) == Some("couple");

    let mut weekly_income = Vec::new();
    let mut income_fields = Vec::new();
    for (id, text, kind, what) in [
        ("state_pension", &form.state_pension, IncomeKind::StatePension, "your State Pension"),
        ("other_pensions", &form.other_pensions, IncomeKind::PrivatePension, "your other pensions"),
        (
            "pension_credit",
            &form.pension_credit,
            IncomeKind::PensionCreditGuarantee,
            "your Pension Credit",
        ),
    ] {
        let amount = r.money(id, text, what);
        if amount.is_positive() {
            weekly_income.push(IncomeInput { kind, amount });
            income_fields.push(id);
        }
    }
    let benefits = [
        r.benefit(("benefit", "benefit_amount"), (&form.benefit, &form.benefit_amount), BENEFITS),
        r.benefit(
            ("disability_benefit", "disability_benefit_amount"),
            (&form.disability_benefit, &form.disability_benefit_amount),
            DISABILITY_BENEFITS,
        ),
    ];
    for (income, id) in benefits.into_iter().flatten() {
        weekly_income.push(income);
        income_fields.push(id);
    }

    let mut capital = Vec::new();
    let mut capital_fields = Vec::new();
    let savings = r.money("savings", &form.savings, "your savings and investments");
    if savings.is_positive() {
        capital.push(CapitalInput {
            kind: CapitalKind::Savings,
            value: savings,
            joint: false,
            occupied_by_qualifying_relative: false,
        });
        capital_fields.push("savings");
    }
    let owns_home = form.owns_home == "yes";
    let relative_lives_there = in_care_home && form.relative_lives_there == "yes";
    // The home counts only in a care home, and then not while a relative lives there.
    let home_counts = in_care_home && owns_home && !relative_lives_there;
    let weeks_in_care_home =
        if in_care_home { Some(r.weeks_in_care_home(home_counts)) } else { None };
    // At home the home is never counted: list it (so the steps say so) only if valued.
    if owns_home && (in_care_home || !form.home_value.trim().is_empty()) {
        let what = "roughly what your home is worth";
        let value = if home_counts {
            r.required_money("home_value", &form.home_value, what)
        } else {
            r.money("home_value", &form.home_value, what)
        };
        capital.push(CapitalInput {
            kind: CapitalKind::MainHome,
            value,
            joint: false,
            occupied_by_qualifying_relative: relative_lives_there,
        });
        capital_fields.push("home_value");
    }

    let housing_costs = r.money("housing_costs", &form.housing_costs, "your weekly housing costs");
    let disability_costs =
        r.money("disability_costs", &form.disability_costs, "your extra weekly costs");
    let personal_care = r.money(
        "personal_care_cost",
        &form.personal_care_cost,
        "how much of the weekly cost is personal care",
    );
    // Only Scotland's care at home separates out personal care.
    let personal_care =
        (nation == Some(Nation::Scotland) && !in_care_home).then_some(personal_care);
    if personal_care.is_some_and(|amount| amount > cost_of_care) {
        r.errors.add(
            "personal_care_cost",
            "The cost of personal care cannot be more than the weekly cost of your care",
        );
    }

    let mut errors = r.errors;
    let (Some(nation), Some(date), Some(setting), true) =
        (nation, date, setting, errors.is_empty())
    else {
        errors.sort_by_position(FIELD_ORDER);
        return Err(errors);
    };
    let input = CaseInput {
        nation,
        date: date.to_owned(),
        setting,
        person: PersonInput {
            age_years,
            pension_credit_age: pension_age,
            couple,
            lone_parent: false,
        },
        premiums: PremiumsInput {
            disability: form.disability_premium == "yes",
            enhanced_disability: form.enhanced_disability_premium == "yes",
            carer: form.carer_premium == "yes",
            dependent_children: 0,
        },
        capital,
        weekly_income,
        weekly_housing_costs: Some(housing_costs),
        weekly_disability_related_expenditure: Some(disability_costs),
        weekly_cost_of_care: cost_of_care,
        weekly_cost_of_personal_care: personal_care,
        night_care_provided: false,
        nursing_care: in_care_home && form.nursing_care == "yes",
        nhs_funded: false,
        local: None,
        weeks_in_care_home,
        stay: None,
        returning_home: false,
        weekly_pension_paid_to_spouse: None,
        council_arranges: false,
        weekly_hours_of_care: None,
        home_help: false,
        savings_credit: None,
    };
    Ok(FormCase { input, capital_fields, income_fields })
}

/// What became of a posted form.
enum Checked {
    Estimate(Box<Explanation>),
    Invalid(FieldErrors),
    /// The server could not assess it (the embedded policy cannot be read).
    Failed,
}

fn check(form: &CheckForm) -> Checked {
    let case = match to_case(form) {
        Ok(case) => case,
        Err(errors) => return Checked::Invalid(errors),
    };
    let mut errors = FieldErrors::new();
    let error = match assess_case(&case.input) {
        Ok(explanation) => return Checked::Estimate(Box::new(explanation)),
        Err(error) => error,
    };
    match &error {
        ApiError::Field(FieldError { field, problem, .. }) => {
            errors.add(case.form_field(field), capitalised(problem));
        }
        ApiError::Assessment(AssessError::Policy(policy))
            if let PolicyError::DateNotCovered { nation, years, .. } = &**policy =>
        {
            errors.add(
            "year",
            format!(
                "We can only estimate for the financial years {years} in {}: choose one of those",
                nation.name()
            ),
            );
        }
        ApiError::Assessment(AssessError::NoRule { nation, .. }) => errors.add(
            "setting",
            format!("We cannot estimate this kind of care in {} yet", nation.name()),
        ),
        ApiError::Assessment(AssessError::MissingFigure { nation, .. }) => errors.add(
            "year",
            format!(
                "We cannot give an estimate for this yet: a figure the {} rules need for that \
                 year has not been added. Try another financial year",
                nation.name()
            ),
        ),
        ApiError::Assessment(AssessError::Money(_)) => errors.add(
            "cost_of_care",
            "One of the amounts is too large to work with: check the amounts you entered",
        ),
        error => {
            // Never the person's answers: only why the server failed.
            tracing::error!(error = ?error, "the care cost estimate could not be worked out");
            return Checked::Failed;
        }
    }
    Checked::Invalid(errors)
}

/// `GET /check-what-you-might-pay`: the empty form.
pub async fn show() -> HtmlPage {
    let form = CheckForm { year: latest_year(), ..CheckForm::default() };
    HtmlPage::public(render(&form, &FieldErrors::new(), None))
}

/// `POST /check-what-you-might-pay`: the estimate, or the form again with what to fix.
pub async fn submit(form: Result<Form<CheckForm>, FormRejection>) -> HtmlPage {
    let Ok(Form(form)) = form else {
        let mut errors = FieldErrors::new();
        errors.add("nation", "Your answers could not be read: fill in the form again");
        let form = CheckForm { year: latest_year(), ..CheckForm::default() };
        return HtmlPage::private(StatusCode::BAD_REQUEST, render(&form, &errors, None));
    };
    match check(&form) {
        Checked::Estimate(explanation) => HtmlPage::private(
            StatusCode::OK,
            render(&form, &FieldErrors::new(), Some(&explanation)),
        ),
        Checked::Invalid(errors) => {
            HtmlPage::private(StatusCode::UNPROCESSABLE_ENTITY, render(&form, &errors, None))
        }
        Checked::Failed => HtmlPage::private(
            StatusCode::INTERNAL_SERVER_ERROR,
            page(
                "Sorry, there is a problem with the service",
                html! {
                    h1.govuk-heading-l { "Sorry, there is a problem with the service" }
                    p.govuk-body { "Try again later. Your answers have not been kept." }
                    p.govuk-body { a.govuk-link href=(PATH) { "Start again" } }
                },
            ),
        ),
    }
}

/// The whole page: the estimate if there is one, then the form with `form`'s answers.
fn render(form: &CheckForm, errors: &FieldErrors, estimate: Option<&Explanation>) -> Markup {
    let title = if !errors.is_empty() {
        format!("Error: {TITLE}")
    } else if estimate.is_some() {
        format!("Your estimate: {TITLE}")
    } else {
        TITLE.to_owned()
    };
    page(
        &title,
        html! {
            (error_summary(errors))
            h1.govuk-heading-l { (TITLE) }
            @if let Some(notice) = year_notice(crate::clock::today()) { (notice) }
            @if let Some(explanation) = estimate {
                (render_estimate(form, explanation))
                h2.govuk-heading-m #your-answers { "Change your answers" }
                p.govuk-body { "Change any answer and work out the estimate again." }
            } @else {
                (intro())
            }
            (render_form(form, errors))
        },
    )
}

fn intro() -> Markup {
    html! {
        p.govuk-body-l {
            "Answer some questions about your money and your care to get an estimate of what you might pay each week towards care at home or in a care home."
        }
        (warning_text(html! {
            "This gives an estimate only. What you pay is decided by your council's financial assessment (in Northern Ireland, your health and social care trust's)."
        }))
        p.govuk-body {
            "Care arranged and paid for by the NHS is free: for example NHS continuing healthcare, or aftercare under section 117 of the Mental Health Act. You do not pay anything towards it."
        }
        p.govuk-body { "It takes about 5 minutes. We do not keep your answers and this page does not use cookies." }
    }
}

fn render_form(form: &CheckForm, errors: &FieldErrors) -> Markup {
    let year_options: Vec<(&str, &str)> =
        years().iter().map(|y| (y.value.as_str(), y.text.as_str())).collect();
    let money = |id: &'static str, label: &'static str, hint: Option<&'static str>, value: &str| {
        TextInput { id, label, hint, value, kind: InputKind::Money }.render(errors)
    };
    html! {
        form method="post" action=(PATH) novalidate {
            section aria-labelledby="about-the-care" {
                h2.govuk-heading-m #about-the-care { "About the care" }
                (Radios { name: "nation", legend: "Which nation is the care in?", hint: None, options: NATIONS, selected: &form.nation, inline: false }.render(errors))
                (Select { id: "year", label: "Which financial year do you want an estimate for?", hint: Some("Financial years run from April to March. Benefits and allowances change each April."), options: &year_options, selected: &form.year }.render(errors))
                (Radios { name: "setting", legend: "Where is the care provided?", hint: None, options: SETTINGS, selected: &form.setting, inline: false }.render(errors))
                (money("cost_of_care", "How much does the care cost each week?", Some("The council or care provider can tell you. If you do not know yet, enter your best guess. For a care home, enter the weekly fee."), &form.cost_of_care))
            }
            section aria-labelledby="about-you" {
                h2.govuk-heading-m #about-you { "About you" }
                (TextInput { id: "age", label: "How old are you?", hint: Some("In years, for example 67"), value: &form.age, kind: InputKind::WholeNumber }.render(errors))
                (Radios { name: "pension_age", legend: "Have you reached State Pension age?", hint: Some("State Pension age is 66 for most people at the moment."), options: YES_NO, selected: &form.pension_age, inline: true }.render(errors))
                (Radios { name: "couple", legend: "Do you live with a partner as a couple?", hint: Some("If you do, enter only your own income below, and only your share of anything you own together."), options: COUPLE, selected: &form.couple, inline: false }.render(errors))
                fieldset.govuk-fieldset aria-describedby="premiums-hint" {
                    legend.govuk-fieldset__legend.govuk-fieldset__legend--s { "Which of these apply to you?" }
                    div.govuk-hint #premiums-hint {
                        "Select all that apply. They raise the amount of income you are left to live on. If you are not sure, leave them unticked: the estimate may then be higher than what you would really pay."
                    }
                    (Checkbox { id: "disability_premium", label: "I get a disability benefit, such as PIP, DLA or Attendance Allowance, or I am registered blind", hint: None, checked: form.disability_premium == "yes" }.render())
                    (Checkbox { id: "enhanced_disability_premium", label: "I get the enhanced rate of the daily living part of PIP, or the highest rate of the care part of DLA", hint: None, checked: form.enhanced_disability_premium == "yes" }.render())
                    (Checkbox { id: "carer_premium", label: "I get Carer's Allowance, or another carer's benefit, for looking after someone", hint: None, checked: form.carer_premium == "yes" }.render())
                }
            }
            section aria-labelledby="your-income" {
                h2.govuk-heading-m #your-income { "Your weekly income" }
                p.govuk-hint {
                    "Enter weekly amounts. If you are paid every 4 weeks, divide by 4. If you are paid monthly, multiply by 12 and divide by 52. Leave empty anything you do not get."
                }
                (money("state_pension", "State Pension", None, &form.state_pension))
                (money("other_pensions", "Other pensions", Some("For example a pension from work or a private pension."), &form.other_pensions))
                (money("pension_credit", "Pension Credit", None, &form.pension_credit))
                (Select { id: "benefit", label: "Do you get any of these benefits?", hint: None, options: BENEFITS, selected: &form.benefit }.render(errors))
                (money("benefit_amount", "How much of that benefit do you get each week?", None, &form.benefit_amount))
                (Select { id: "disability_benefit", label: "Do you get Attendance Allowance, the daily living part of PIP or the care part of DLA?", hint: Some("The mobility part of PIP or DLA is never counted, so you do not need to tell us about it."), options: DISABILITY_BENEFITS, selected: &form.disability_benefit }.render(errors))
                (money("disability_benefit_amount", "How much of that benefit do you get each week?", None, &form.disability_benefit_amount))
            }
            section aria-labelledby="your-savings" {
                h2.govuk-heading-m #your-savings { "Your savings and your home" }
                (money("savings", "How much do you have in savings and investments?", Some("The total of bank and building society accounts, ISAs, Premium Bonds and shares. If you share an account, enter your half."), &form.savings))
                (Radios { name: "owns_home", legend: "Do you own your home?", hint: None, options: YES_NO, selected: &form.owns_home, inline: true }.render(errors))
                (money("home_value", "If you own your home, roughly what is it worth?", Some("Only your share if you own it with someone else. Your home is not counted if you get care at home."), &form.home_value))
            }
            section aria-labelledby="care-home" {
                h2.govuk-heading-m #care-home { "If the care is in a care home" }
                p.govuk-hint { "Leave these if the care is at home." }
                (TextInput { id: "weeks_in_care_home", label: "How many weeks have you lived in the care home?", hint: Some("Enter 0 if you have not moved in yet. Your home is not counted for the first weeks of a permanent stay."), value: &form.weeks_in_care_home, kind: InputKind::WholeNumber }.render(errors))
                (Radios { name: "relative_lives_there", legend: "Does a partner, a relative aged 60 or over or disabled, or a child under 18 still live in your home?", hint: Some("If so, your home is not counted."), options: YES_NO, selected: &form.relative_lives_there, inline: true }.render(errors))
                div.govuk-form-group {
                    (Checkbox { id: "nursing_care", label: "I need nursing care in the care home", hint: Some("In Scotland and Northern Ireland this lowers what you can be charged."), checked: form.nursing_care == "yes" }.render())
                }
            }
            section aria-labelledby="weekly-costs" {
                h2.govuk-heading-m #weekly-costs { "If the care is at home: your weekly costs" }
                (money("housing_costs", "Housing costs each week", Some("Rent, mortgage payments and council tax, less any Housing Benefit or council tax reduction."), &form.housing_costs))
                (money("disability_costs", "Extra costs each week because of a disability or illness", Some("For example extra heating or laundry, a cleaner, or a special diet."), &form.disability_costs))
                (money("personal_care_cost", "Scotland only: how much of the weekly cost of care is personal care?", Some("Help with washing, dressing, eating or going to the toilet. Personal care is free in Scotland."), &form.personal_care_cost))
            }
            button.govuk-button type="submit" { "Work out my estimate" }
        }
    }
}

/// "Adds £5.00", "Takes off £3.00" or "No change": the effect in words, not colour or sign.
fn effect_text(effect: Money) -> String {
    let magnitude = Money::from_pence(effect.pence().saturating_abs());
    if effect.is_positive() {
        format!("Adds {magnitude}")
    } else if effect.is_negative() {
        format!("Takes off {magnitude}")
    } else {
        "No change".to_owned()
    }
}

/// A link only to a web address: a policy file's reference is shown as text otherwise.
fn is_web_address(href: &str) -> bool {
    href.starts_with("https://") || href.starts_with("http://")
}

/// Laws the policy files cite by number, with the names people know them by. A law not
/// here is cited by its number alone, which is still a full citation.
const LAW_NAMES: &[(&str, &str)] = &[
    ("SI 2014/2672", "Care and Support (Charging and Assessment of Resources) Regulations 2014"),
    ("SI 2015/644", "Care and Support (Miscellaneous Amendments) Regulations 2015"),
    (
        "SI 2023/277",
        "Care and Support (Charging and Assessment of Resources) (Amendment) Regulations 2023",
    ),
    ("SI 2015/1843", "Care and Support (Charging) (Wales) Regulations 2015"),
    ("SI 2015/1844", "Care and Support (Financial Assessment) (Wales) Regulations 2015"),
];

/// An official publisher's web address: the citation links there; anything else (a
/// council's or a charity's copy of a figure) is offered as a published copy beside it.
fn is_official(href: &str) -> bool {
    let host = href.split("://").nth(1).and_then(|rest| rest.split('/').next()).unwrap_or("");
    [
        "legislation.gov.uk",
        "www.legislation.gov.uk",
        "www.gov.uk",
        "www.gov.wales",
        "www.gov.scot",
        "www.parliament.scot",
    ]
    .contains(&host)
}

/// The host of a web address, to name a published copy by.
fn host(href: &str) -> &str {
    let host = href.split("://").nth(1).and_then(|rest| rest.split('/').next()).unwrap_or(href);
    host.strip_prefix("www.").unwrap_or(host)
}

/// A law by its number, named where the name is known: "the Care and Support (Charging and
/// Assessment of Resources) Regulations 2014 (SI 2014/2672)".
fn law(cite: &str) -> String {
    let cite = cite.trim();
    match LAW_NAMES.iter().find(|(number, _)| *number == cite) {
        Some((number, name)) => format!("the {name} ({number})"),
        None => cite.to_owned(),
    }
}

/// "reg 7(2)(c)" as "regulation 7(2)(c)", "Sch 1 para 40" as "Schedule 1, paragraph 40".
fn provision(text: &str) -> String {
    let text = text.trim();
    let text = text
        .replace("Sch ", "Schedule ")
        .replace(" para ", ", paragraph ")
        .replace("para ", "paragraph ");
    match text.strip_prefix("reg ") {
        Some(rest) => format!("regulation {rest}"),
        None => text,
    }
}

/// Is `text` a law's number, e.g. `SI 2014/2672`, `SSI 2021/76`, `WSI 2020/131`?
fn is_law_number(text: &str) -> bool {
    let mut parts = text.split(' ');
    matches!(parts.next(), Some("SI" | "SSI" | "WSI" | "SR"))
        && parts
            .next()
            .is_some_and(|n| n.contains('/') && n.chars().all(|c| c.is_ascii_digit() || c == '/'))
        && parts.next().is_none()
}

/// A source's reference as the public should read it: the regulation (its name, number
/// and provision) or the official publication, without the notes the policy files keep
/// for their maintainers (which copy a figure was read from, what was assumed, what is
/// unchanged since when).
pub fn public_citation(title: &str) -> String {
    // The first clause; the rest is notes.
    let mut text = title.split(';').next().unwrap_or(title).to_owned();
    // "…para 1(a): £108.55" or "…art 14(a): for “£101.75” substitute “£108.55”" quotes
    // the figure, which the page shows beside the citation.
    if let Some(at) = text.find(": ").filter(|at| text.get(*at..).is_some_and(|r| r.contains('£')))
    {
        text.truncate(at);
    }
    // Parenthesised notes go; a law's number in brackets stays.
    let mut kept = String::new();
    let mut depth = 0_usize;
    let mut group = String::new();
    for c in text.chars() {
        match c {
            '(' => {
                depth += 1;
                group.push(c);
            }
            ')' if depth > 0 => {
                depth -= 1;
                group.push(c);
                if depth == 0 {
                    let inner = group.get(1..group.len() - 1).unwrap_or_default();
                    // A provision's "(2)(c)", an organisation's "(DHSC)", a law's number and
                    // a name's own brackets ("(Charging)") stay.
                    if !inner.contains(' ')
                        || is_law_number(inner)
                        || inner.chars().next().is_some_and(char::is_uppercase)
                            && !inner.contains('£')
                            && inner.split(' ').count() <= 6
                            && !inner.contains("published")
                            && !inner.contains("unchanged")
                    {
                        kept.push_str(&group);
                    }
                    group.clear();
                }
            }
            _ if depth > 0 => group.push(c),
            _ => kept.push(c),
        }
    }
    text = kept.split_whitespace().collect::<Vec<_>>().join(" ").replace(" ,", ",");
    for note in [
        ", in force",
        " from £",
        ", as published by",
        " as published by",
        ", start date",
        ", secondary",
        ", table column",
        ", MIG",
        " MIG",
        " maximum savings disregard",
        " child addition",
        " carer premium",
    ] {
        if let Some(at) = text.find(note) {
            text.truncate(at);
        }
    }
    let text = text.trim().trim_end_matches(',').trim();
    let cited = if let Some((amender, amended)) = text.split_once(", amending ") {
        // "SI 2023/277 reg 2(3)(d)(i), amending reg 7(4)(a) of SI 2014/2672"
        let (what, of) = amended.split_once(" of ").unwrap_or((amended, ""));
        let of = of.strip_prefix("the ").unwrap_or(of);
        let of = LAW_NAMES.iter().find(|(_, name)| *name == of).map_or(of, |(number, _)| *number);
        let (number, at) = amender.split_once(" reg ").unwrap_or((amender, ""));
        let by =
            if at.is_empty() { law(number) } else { format!("{}, regulation {at}", law(number)) };
        format!("{}, {}, as amended by {by}", law(of), provision(what))
    } else if let Some((original, by)) = text.split_once(" as amended by ") {
        // "SI 2014/2672 reg 6 as amended by the ... Regulations 2023 (SI 2023/277) reg 2(2)"
        let (number, what) = original.split_once(' ').map_or((original, ""), |(kind, rest)| {
            let (n, what) = rest.split_once(' ').unwrap_or((rest, ""));
            (original.get(..kind.len() + 1 + n.len()).unwrap_or(original), what)
        });
        let by = by.strip_prefix("the ").unwrap_or(by);
        let by = match by.rsplit_once(") reg ") {
            Some((name, at)) => {
                let number = name.rsplit_once('(').map_or(name, |(_, n)| n);
                format!("{}, regulation {at}", law(number))
            }
            None => law(by.split(" reg ").next().unwrap_or(by)),
        };
        format!("{}, {}, as amended by {by}", law(number), provision(what))
    } else if let Some((name, at)) = LAW_NAMES.iter().find_map(|(number, name)| {
        text.strip_prefix(name).map(|rest| {
            let rest = rest.trim().strip_prefix(&format!("({number})")).unwrap_or(rest);
            ((*number, *name), rest.trim().trim_start_matches(',').trim())
        })
    }) {
        // "Care and Support (Charging ...) Regulations 2014, reg 25"
        let whole = format!("the {} ({})", name.1, name.0);
        if at.is_empty() { whole } else { format!("{whole}, {}", provision(at)) }
    } else if let Some(rest) = text.strip_prefix("LAC(DHSC)") {
        format!(
            "the Department of Health and Social Care's local authority circular LAC(DHSC){rest}"
        )
    } else if let Some(years) = text.strip_suffix(" local authority circular") {
        format!("the Department of Health and Social Care's local authority circular for {years}")
    } else {
        // "SSI 2021/76 reg 2, National Assistance (...) Regulations 2021": name first.
        let (head, name) = text.split_once(", ").unwrap_or((text, ""));
        let (number, at) = head.split_once(" reg ").unwrap_or((head, ""));
        if is_law_number(number) && !name.is_empty() {
            let whole = format!("the {name} ({number})");
            if at.is_empty() { whole } else { format!("{whole}, regulation {at}") }
        } else if let Some((number, at)) = LAW_NAMES.iter().find_map(|(number, _)| {
            text.strip_prefix(number).filter(|at| at.starts_with(' ')).map(|at| (*number, at))
        }) {
            // "SI 2014/2672 Sch 1 para 40(3)-(4)"
            format!("{}, {}", law(number), provision(at))
        } else {
            text.replace(", reg ", ", regulation ")
        }
    };
    crate::pages::budgets::sentence(&cited.replace(",,", ",").replace(", (", " ("))
}

/// The council whose overlay this server applies to the estimate, with the entry in
/// force on its date, if any.
fn council_choices(
    e: &Explanation,
) -> Option<(&'static str, &'static onebudget_core::policy::LocalEntry)> {
    let overlay = onebudget_core::policy::LocalPolicy::in_use()?;
    let entry = overlay.defaults_for(e.nation, e.date).council?;
    Some((overlay.council.as_str(), entry))
}

fn render_estimate(form: &CheckForm, e: &Explanation) -> Markup {
    let charge = e.outcome.weekly_charge;
    let cost = Money::parse(form.cost_of_care.trim()).unwrap_or(Money::ZERO);
    // The sources in the order the steps first use them, numbered from 1.
    let mut sources: Vec<&Source> = Vec::new();
    for source in e.steps.iter().flat_map(|step| &step.sources) {
        if !sources.contains(&source) {
            sources.push(source);
        }
    }
    let number = |source: &Source| sources.iter().position(|s| *s == source).map_or(0, |i| i + 1);
    let upper_limit = e
        .steps
        .iter()
        .find(|step| step.rule == "capital.above_upper_limit")
        .and_then(|step| step.sources.first())
        .map(|source| source.value.as_str());
    html! {
        div.govuk-panel.govuk-panel--confirmation {
            h2.govuk-panel__title #estimate-title {
                @if charge.is_zero() { "Estimate: you would not pay anything" }
                @else { "Estimate: " (charge) " a week" }
            }
            div.govuk-panel__body { "An estimate, not a decision" }
        }
        @if e.outcome.full_cost && charge.is_positive() {
            p.govuk-body {
                @if charge == cost { "You would pay the full cost of " (charge) " a week" }
                @else { "You would pay " (charge) " a week, the most you can be charged," }
                " because your savings and other capital of " (e.outcome.counted_capital)
                @if let Some(limit) = upper_limit { " are over the limit of " (limit) "." }
                @else { " are over the limit." }
            }
        } @else if charge.is_zero() {
            p.govuk-body { "Based on your answers, you would not pay anything towards the cost of your care." }
        } @else {
            p.govuk-body { "Based on your answers, you might pay " (charge) " a week towards the cost of your care of " (cost) " a week." }
        }
        p.govuk-body { "This is an estimate. Your council's financial assessment decides what you pay." }
        @if let Some((council, entry)) = council_choices(e) {
                p.govuk-body {
                    "It uses " (council) "'s own charging choices: "
                    @if is_web_address(&entry.reference.href) {
                        a.govuk-link href=(entry.reference.href) { (entry.reference.title) }
                    } @else {
                        (entry.reference.title)
                    }
                    "."
                }
        }
        h2.govuk-heading-m { "How we worked this out" }
        p.govuk-body {
            "These are the " (e.nation.name()) " rules in force from " (e.rules_in_force_from.format("%-d %B %Y"))
            ". Each step adds to or takes off what you pay; together they make the estimate."
        }
        div.app-table-wrap role="region" aria-label="The steps of the estimate" tabindex="0" { table.govuk-table.govuk-table--small-text-until-tablet {
            caption.govuk-table__caption.govuk-visually-hidden { "The steps of the estimate and their effect on what you pay" }
            thead.govuk-table__head {
                tr.govuk-table__row {
                    th.govuk-table__header scope="col" { "Step" }
                    th.govuk-table__header.govuk-table__header--numeric scope="col" { "Effect on what you pay" }
                }
            }
            tbody.govuk-table__body {
                @for step in &e.steps {
                    tr.govuk-table__row {
                        td.govuk-table__cell {
                            (step.explanation)
                            @if !step.sources.is_empty() {
                                span.app-step-sources {
                                    "Source: "
                                    @for (i, source) in step.sources.iter().enumerate() {
                                        @if i > 0 { ", " }
                                        a.govuk-link href={ "#source-" (number(source)) } { "source " (number(source)) }
                                    }
                                }
                            }
                        }
                        td.govuk-table__cell.govuk-table__cell--numeric { (effect_text(step.effect)) }
                    }
                }
            }
            tfoot {
                tr.govuk-table__row {
                    th.govuk-table__header scope="row" { "What you might pay each week" }
                    td.govuk-table__cell.govuk-table__cell--numeric { strong { (charge) } }
                }
            }
        } }
        @if !sources.is_empty() {
            h2.govuk-heading-m #sources { "Sources" }
            p.govuk-body { "The figures used come from these laws, guidance and benefit rates." }
            ol.govuk-list.govuk-list--number {
                @for (i, source) in sources.iter().enumerate() {
                    li id={ "source-" (i + 1) } {
                        @let citation = public_citation(&source.reference.title);
                        @if is_web_address(&source.reference.href) && is_official(&source.reference.href) {
                            a.govuk-link href=(source.reference.href) { (citation) }
                        } @else {
                            (citation)
                        }
                        span.app-step-sources {
                            "Figure used: " (source.value) ", in force from " (source.from.format("%-d %B %Y")) "."
                            @if is_web_address(&source.reference.href) && !is_official(&source.reference.href) {
                                " A copy of the figure: " a.govuk-link href=(source.reference.href) { (host(&source.reference.href)) } "."
                            }
                        }
                    }
                }
            }
        }
        h2.govuk-heading-m { "What this estimate assumes" }
        ul.govuk-list.govuk-list--bullet {
            li { "You are assessed on your own income and your share of your savings, not a partner's." }
            li { "It uses the national rules. Your council may choose to be more generous, for example by not counting part of a disability benefit when you do not get care at night." }
            li { "It counts only the income, savings and costs you told us about, and assumes you have no children living with you." }
            li { "Earnings and the mobility part of PIP or DLA are not counted." }
            @if e.setting == Setting::CareHome {
                li { "The care home stay is permanent." }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_years_offered_are_those_the_policy_covers_newest_first() {
        let offered: Vec<(&str, &str, &str)> =
            years().iter().map(|y| (y.value.as_str(), y.text.as_str(), y.date.as_str())).collect();
        // The built-in files cover 1 April 2022 to 31 March 2027 for every nation.
        assert_eq!(
            offered,
            [
                ("2026-27", "2026/27 (April 2026 to March 2027)", "2026-10-01"),
                ("2025-26", "2025/26 (April 2025 to March 2026)", "2025-10-01"),
                ("2024-25", "2024/25 (April 2024 to March 2025)", "2024-10-01"),
                ("2023-24", "2023/24 (April 2023 to March 2024)", "2023-10-01"),
                ("2022-23", "2022/23 (April 2022 to March 2023)", "2022-10-01"),
            ]
        );
        assert_eq!(latest_year(), "2026-27");
    }

    #[test]
    fn the_page_says_when_the_year_we_are_in_has_no_figures_yet() {
        let day = |text: &str| NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap();
        // The built-in files end with 2026/27.
        assert!(year_notice(day("2026-06-01")).is_none());
        assert!(year_notice(day("2027-03-31")).is_none());
        let notice = year_notice(day("2027-04-01")).unwrap().into_string();
        assert!(
            notice.contains(
                "newest figures in this calculator are for 2026/27 (April 2026 to March 2027)"
            ) && notice.contains(
                "The figures for 2027/28, the year we are in now, have not been added yet"
            ),
            "{notice}"
        );
        let later = year_notice(day("2028-12-01")).unwrap().into_string();
        assert!(later.contains("The figures for 2028/29"), "{later}");
    }

    fn valid_form() -> CheckForm {
        CheckForm {
            nation: "england".into(),
            year: "2024-25".into(),
            setting: "non_residential".into(),
            cost_of_care: "£300".into(),
            age: " 70 ".into(),
            pension_age: "yes".into(),
            couple: "single".into(),
            state_pension: "230.25".into(),
            disability_benefit: "attendance_allowance_lower".into(),
            disability_benefit_amount: "73.90".into(),
            savings: "£18,000".into(),
            owns_home: "yes".into(),
            home_value: "250,000".into(),
            ..CheckForm::default()
        }
    }

    #[test]
    fn a_valid_form_becomes_a_case() {
        let case = to_case(&valid_form()).expect("valid");
        let input = &case.input;
        assert_eq!(input.date, "2024-10-01");
        assert_eq!(input.person.age_years, 70);
        assert_eq!(input.weekly_cost_of_care, Money::from_pence(30_000));
        assert_eq!(input.weekly_income.len(), 2);
        assert_eq!(input.capital.len(), 2, "savings and the home: {:?}", input.capital);
        assert_eq!(input.weeks_in_care_home, None, "care at home");
        assert_eq!(case.form_field("capital[1].value"), "home_value");
        assert_eq!(case.form_field("weekly_income[1].amount"), "disability_benefit_amount");
        assert!(matches!(check(&valid_form()), Checked::Estimate(_)));
    }

    #[test]
    fn every_problem_is_reported_in_page_order() {
        let form = CheckForm {
            age: "abc".into(),
            savings: "-5".into(),
            benefit: "esa".into(),
            year: "1999-00".into(),
            ..valid_form()
        };
        let errors = to_case(&form).expect_err("invalid");
        let fields: Vec<&str> = errors.iter().map(|(field, _)| field).collect();
        assert_eq!(fields, ["year", "age", "benefit_amount", "savings"]);
        assert_eq!(errors.get("savings"), Some("Your savings and investments must be 0 or more"));
    }

    #[test]
    fn a_home_in_a_care_home_needs_its_value_and_the_weeks() {
        let form =
            CheckForm { setting: "care_home".into(), home_value: String::new(), ..valid_form() };
        let errors = to_case(&form).expect_err("invalid");
        assert!(errors.get("home_value").is_some());
        assert!(errors.get("weeks_in_care_home").is_some());
        let form = CheckForm { relative_lives_there: "yes".into(), ..form };
        let case = to_case(&form).expect("the home is not counted");
        assert_eq!(case.input.weeks_in_care_home, Some(0));
        assert!(case.input.capital.iter().any(|c| c.occupied_by_qualifying_relative));
    }

    #[test]
    fn the_public_sees_the_regulation_not_the_policy_files_notes() {
        assert_eq!(
            public_citation(
                "Care and Support (Charging and Assessment of Resources) Regulations 2014, reg 25 (tariff income); unchanged per LAC(DHSC)(2024)1"
            ),
            "The Care and Support (Charging and Assessment of Resources) Regulations 2014 (SI 2014/2672), regulation 25"
        );
        assert_eq!(
            public_citation(
                "SI 2022/243 reg 2(3)(b)(iii), amending reg 7(2)(c) of SI 2014/2672, in force 6 April 2022 (reg 1(2))"
            ),
            "The Care and Support (Charging and Assessment of Resources) Regulations 2014 (SI 2014/2672), regulation 7(2)(c), as amended by SI 2022/243, regulation 2(3)(b)(iii)"
        );
        assert_eq!(
            public_citation(
                "SI 2014/2672 reg 6 as amended by the Care and Support (Charging and Assessment of Resources) (Amendment) Regulations 2023 (SI 2023/277) reg 2(2), in force 6 April 2023"
            ),
            "The Care and Support (Charging and Assessment of Resources) Regulations 2014 (SI 2014/2672), regulation 6, as amended by the Care and Support (Charging and Assessment of Resources) (Amendment) Regulations 2023 (SI 2023/277), regulation 2(2)"
        );
        assert_eq!(
            public_citation(
                "2025 to 2026 local authority circular, as published by Wirral Council (\"Minimum Income Guarantee Consultation\", open until 11 November 2025), table column"
            ),
            "The Department of Health and Social Care's local authority circular for 2025 to 2026"
        );
        assert_eq!(
            public_citation(
                "SSI 2021/76 reg 2, National Assistance (Sums for Personal Requirements) (Scotland) Regulations 2021, in force 12 April 2021 (reg 1(1) as amended by SSI 2021/115 reg 3(2))"
            ),
            "The National Assistance (Sums for Personal Requirements) (Scotland) Regulations 2021 (SSI 2021/76), regulation 2"
        );
        assert_eq!(
            public_citation(
                "WSI 2024/330 reg 2(a), amending reg 13 of the Care and Support (Charging) (Wales) Regulations 2015, in force 8 April 2024"
            ),
            "The Care and Support (Charging) (Wales) Regulations 2015 (SI 2015/1843), regulation 13, as amended by WSI 2024/330, regulation 2(a)"
        );
        // Every reference in every policy file the page can cite reads as a citation, with
        // none of the files' working notes.
        let files = [
            include_str!("../../../../policy/uk/benefits.yaml"),
            include_str!("../../../../policy/england.yaml"),
            include_str!("../../../../policy/wales.yaml"),
            include_str!("../../../../policy/scotland.yaml"),
            include_str!("../../../../policy/northern_ireland.yaml"),
        ];
        let mut checked = 0;
        for (i, text) in files.iter().enumerate() {
            let file = onebudget_core::policy::PolicyFile::parse(&format!("file {i}"), text)
                .expect("policy file");
            for parameter in file.parameters.values() {
                for value in parameter.values.iter().filter(|v| !v.unknown) {
                    let cited = public_citation(&value.reference.title);
                    checked += 1;
                    assert!(cited.chars().next().is_some_and(char::is_uppercase), "{cited:?}");
                    for note in [
                        "published by",
                        "NOT YET",
                        "unchanged",
                        "assumed",
                        "secondary",
                        ", in force",
                        "confirmed",
                        ",,",
                        "Sch ",
                        "£",
                        ";",
                        "\"",
                        &parameter.name,
                    ] {
                        assert!(
                            !cited.contains(note),
                            "{:?} became {cited:?}",
                            value.reference.title
                        );
                    }
                    assert_eq!(cited.matches('(').count(), cited.matches(')').count(), "{cited:?}");
                }
            }
        }
        assert!(checked > 100, "only {checked} references");
    }

    #[test]
    fn effects_are_told_in_words() {
        assert_eq!(effect_text(Money::from_pence(550)), "Adds £5.50");
        assert_eq!(effect_text(Money::from_pence(-17_175)), "Takes off £171.75");
        assert_eq!(effect_text(Money::ZERO), "No change");
    }
}
