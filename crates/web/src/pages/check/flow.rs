//! The questions of "Check what you might pay for care", as data: each question page is a
//! [`Step`] with a predicate saying when it applies (`applies(&answers)`), the fields it
//! asks, and a parser (`apply`) that puts the checked answers into the [`CaseInput`] the
//! engine assesses. [`Flow`] works out, from the answers so far, which steps apply, in
//! order, and where the questions end early because the estimate is already decided
//! (care that is free by law; capital over the upper limit, when income cannot change
//! what is paid). It decides that by running the same assessment as the API on the
//! answers so far, so it follows the policy files and never disagrees with the estimate.
//!
//! ## Adding a question
//! Add a [`Step`] to [`STEPS`] where it belongs in the order: an `id` (used in the page's
//! hidden `page` field and the "Change" buttons), its [`Field`]s (each a name not used by
//! another step, a label, a short key for the check-answers list, and a [`Kind`], which
//! decides how the answer is checked and shown), `applies` (when the question can change
//! the answer: use the [`Answers`] helpers such as [`Answers::care_home`]) and `apply`
//! (set the case's fields from the checked answers, or return a field's error). Nothing
//! else changes: the pages, hidden fields, check-answers list, "Change" and "Back" are all
//! driven by [`STEPS`]. For example, England's lone-parent amount (`person.lone_parent`,
//! which needs `premiums.dependent_children`) is the step `lone_parent`, a yes/no
//! [`Kind::Radios`] field applying at home in England to a single person, and then the
//! step `children`, a [`Kind::Whole`] field (one question a page: with no JavaScript, a
//! page cannot reveal a field from an answer on the same page). A step that applies only
//! when the engine would refuse without it can assess the answers before it, as
//! `partner_savings_credit` does (the engine names the fact it needs). A step asked only
//! once capital over the upper limit has ended the questions goes in `AFTER_FULL_COST`.
//! A new case field with a serde default also needs its
//! default in [`base_case`] (the struct literal will not compile without it).

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use onebudget_core::Money;
use onebudget_core::assessment::{
    AssessError, CapitalInput, CapitalKind, CaseInput, Explanation, IncomeInput, IncomeKind,
    PersonInput, PremiumsInput, SavingsCreditInput, Setting, Stay,
    savings_credit_disregard_applies,
};
use onebudget_core::policy::{LocalPolicy, Nation, Policy};
use onebudget_core::pool::FinancialYear;

use crate::error::ApiError;
use crate::pages::form::FieldErrors;

/// The fields that steer the pages rather than answer a question.
pub const PAGE: &str = "page";
pub const GO: &str = "go";
pub const FROM_CHECK: &str = "from_check";

/// A choice offered: (value sent, text shown).
pub type Choices = Vec<(String, String)>;

fn choices(options: &[(&str, &str)]) -> Choices {
    options.iter().map(|(v, t)| ((*v).to_owned(), (*t).to_owned())).collect()
}

/// How a field is asked, checked and shown.
pub enum Kind {
    /// One of the choices must be picked; the message says what to do if none is.
    Radios(fn(&Answers) -> Choices, &'static str),
    /// Pounds and pence, 0 or more. `required`: it must be given (otherwise empty is 0).
    /// `what` names it in messages ("your savings and investments").
    Money { required: bool, what: &'static str },
    /// A whole number from `min` to `max`.
    Whole { min: u32, max: u32, what: &'static str, example: &'static str },
    /// Any of the choices, or none.
    Checkboxes(fn(&Answers) -> Choices),
}

/// One field of a question page.
pub struct Field {
    pub name: &'static str,
    /// The question or label (the page's heading when it is the page's first field and
    /// the step has no heading of its own).
    pub label: fn(&Answers) -> &'static str,
    /// Its key in the check-answers list.
    pub summary: &'static str,
    pub hint: Option<&'static str>,
    pub kind: Kind,
    /// Whether the field is asked, given the answers: most always are (see [`always`]).
    pub asked: fn(&Answers) -> bool,
}

/// What a step's `apply` gives: `Err((field, message))` for a problem with its answers.
pub type Applied = Result<(), (&'static str, String)>;

/// A question page.
pub struct Step {
    pub id: &'static str,
    /// The page's heading when it asks several things; `None` makes the first field's
    /// label the heading (one thing per page).
    pub heading: Option<&'static str>,
    pub fields: &'static [Field],
    /// Whether the question can change the answer, given the answers before it.
    pub applies: fn(&Answers) -> bool,
    /// Put the checked answers into the case: `Err((field, message))` for a problem that
    /// needs more than one field to see.
    pub apply: fn(&Read<'_>, &mut FormCase) -> Applied,
    /// After this step (asked or not), run the assessment on the answers so far: if what
    /// is paid is already decided, no more questions are asked.
    pub checkpoint: bool,
}

fn always(_: &Answers) -> bool {
    true
}

fn yes_no(_: &Answers) -> Choices {
    choices(&[("yes", "Yes"), ("no", "No")])
}

const NATIONS: &[(&str, &str)] = &[
    ("england", "England"),
    ("wales", "Wales"),
    ("scotland", "Scotland"),
    ("northern_ireland", "Northern Ireland"),
];

const SETTINGS: &[(&str, &str)] =
    &[("non_residential", "At home, or in the community"), ("care_home", "In a care home")];

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

/// The top rates, part of which pays for care at night.
const TOP_RATES: &[&str] =
    &["attendance_allowance_higher", "pip_daily_living_enhanced", "dla_care_highest"];

/// A financial year offered: its form value (`2025-26`), its text, and the day assessed
/// (1 October, the middle of the year, clear of April's uprating).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Year {
    pub value: String,
    pub text: String,
    pub date: NaiveDate,
    pub year: FinancialYear,
}

/// The financial years offered for `nation`, newest first: those whose middle the rules
/// in use cover for that nation (`Policy::covers`), so a year added to the policy files,
/// or by a council's `--policy-dir`, is offered without a change here.
pub fn years(nation: Nation) -> Vec<Year> {
    let Ok(policy) = Policy::in_use() else { return Vec::new() };
    let Some((from, to)) = policy.covers(nation) else { return Vec::new() };
    let mut years = Vec::new();
    for year in (from.year() - 1..=to.year()).rev() {
        let Some(middle) = NaiveDate::from_ymd_opt(year, 10, 1) else { continue };
        if middle < from || to < middle {
            continue;
        }
        let Some(financial_year) = FinancialYear::containing(middle) else { continue };
        years.push(Year {
            value: format!("{year}-{:02}", (year + 1).rem_euclid(100)),
            text: format!("{} (April {year} to March {})", financial_year.label(), year + 1),
            date: middle,
            year: financial_year,
        });
    }
    years
}

/// The answers given so far, by field name: only the names some step asks are kept.
/// A field that is present was answered, even if empty (an empty amount is 0).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Answers {
    values: BTreeMap<&'static str, Vec<String>>,
}

/// What the buttons and hidden fields of the page sent, besides the answers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Control {
    /// The page the form was on: a step's id, `check` or `estimate`.
    pub page: Option<String>,
    /// The button pressed: `continue`, `back`, `check`, `estimate` or `change:<step>`.
    pub go: Option<String>,
    /// The step was reached by "Change" on the check-answers page.
    pub from_check: bool,
}

/// The form could not be one this service sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed(pub String);

/// The field named `name`, with its step.
pub fn field(name: &str) -> Option<(&'static Step, &'static Field)> {
    STEPS.iter().find_map(|step| step.fields.iter().find(|f| f.name == name).map(|f| (step, f)))
}

pub fn step(id: &str) -> Option<&'static Step> {
    STEPS.iter().find(|step| step.id == id)
}

impl Answers {
    /// Read a posted form. A field that takes one value and is sent twice, or a control
    /// sent twice, was not sent by these pages.
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Result<(Answers, Control), Malformed> {
        let mut answers = Answers::default();
        let mut control = Control::default();
        for (name, value) in pairs {
            let once = |slot: &mut Option<String>| {
                if slot.is_some() {
                    return Err(Malformed(format!("{name} was sent twice")));
                }
                *slot = Some(value.clone());
                Ok(())
            };
            match name.as_str() {
                PAGE => once(&mut control.page)?,
                GO => once(&mut control.go)?,
                FROM_CHECK => control.from_check = value == "yes",
                _ => {
                    let Some((_, field)) = field(&name) else { continue };
                    let values = answers.values.entry(field.name).or_default();
                    if !values.is_empty() && !matches!(field.kind, Kind::Checkboxes(_)) {
                        return Err(Malformed(format!("{name} was sent twice")));
                    }
                    values.push(value);
                }
            }
        }
        Ok((answers, control))
    }

    /// The answer to a field that takes one value, if given.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).and_then(|v| v.first()).map(String::as_str)
    }

    pub fn has(&self, name: &str) -> bool {
        self.values.contains_key(name)
    }

    pub fn is(&self, name: &str, value: &str) -> bool {
        self.get(name) == Some(value)
    }

    /// Every value sent for a field (a checkbox group's ticked boxes).
    pub fn all(&self, name: &str) -> &[String] {
        self.values.get(name).map_or(&[][..], Vec::as_slice)
    }

    /// Every answer as (name, value) pairs, for hidden fields, leaving out `except`.
    pub fn pairs<'a>(&'a self, except: &'a [&str]) -> impl Iterator<Item = (&'a str, &'a str)> {
        self.values
            .iter()
            .filter(|(name, _)| !except.contains(name))
            .flat_map(|(name, values)| values.iter().map(move |v| (*name, v.as_str())))
    }

    /// Forget a field's answer (an amount left empty on a page that was not sent).
    pub fn set(&mut self, name: &'static str, values: Vec<String>) {
        self.values.insert(name, values);
    }

    pub fn nation(&self) -> Option<Nation> {
        let value = self.get("nation")?;
        NATIONS.iter().any(|(v, _)| *v == value).then(|| Nation::parse(value)).flatten()
    }

    pub fn year(&self) -> Option<Year> {
        let value = self.get("year")?;
        years(self.nation()?).into_iter().find(|y| y.value == value)
    }

    pub fn at_home(&self) -> bool {
        self.is("setting", "non_residential")
    }

    pub fn care_home(&self) -> bool {
        self.is("setting", "care_home")
    }

    pub fn pension_age(&self) -> bool {
        self.is("pension_age", "yes")
    }

    pub fn couple(&self) -> bool {
        self.is("couple", "couple")
    }

    fn owns_home(&self) -> bool {
        self.care_home() && self.is("owns_home", "yes")
    }

    fn england(&self) -> bool {
        self.nation() == Some(Nation::England)
    }

    /// The kind of care-home stay (`permanent`, `temporary`, `short_term`): asked only in
    /// England and Wales, the nations whose temporary or short stays the engine models.
    pub fn stay(&self) -> &str {
        if self.care_home() && matches!(self.nation(), Some(Nation::England | Nation::Wales)) {
            self.get("stay").unwrap_or("permanent")
        } else {
            "permanent"
        }
    }

    /// A temporary or short stay by someone who owns their home and means to go back to
    /// it: the home is ignored (SI 2014/2672 Sch 2 para 1), so its questions are not asked.
    fn returning_home(&self) -> bool {
        self.owns_home() && self.stay() != "permanent" && self.is("returning_home", "yes")
    }

    /// The home's questions: owned, and not ignored for a stay that ends in going home.
    fn home_questions(&self) -> bool {
        self.owns_home() && !self.returning_home()
    }

    /// The home counts, unless in its first weeks: owned, and nobody lives there who
    /// means it is ignored.
    fn home_may_count(&self) -> bool {
        self.home_questions() && self.is("home_occupied", "no")
    }

    /// A short stay in a care home assessed as if the care were at home: always in Wales
    /// (SI 2015/1843 reg 9(3)), and in England where the council chooses to (reg 8).
    fn short_stay_as_at_home(&self) -> bool {
        if self.stay() != "short_term" {
            return false;
        }
        match self.nation() {
            Some(Nation::Wales) => true,
            Some(Nation::England) => {
                let (Some(year), Some(overlay)) = (self.year(), LocalPolicy::in_use()) else {
                    return false;
                };
                overlay.defaults_for(Nation::England, year.date).charge_short_term_as_at_home
            }
            _ => false,
        }
    }

    /// Northern Ireland's care at home that is home help, which a trust charges for.
    fn northern_ireland_home_help(&self) -> bool {
        self.at_home()
            && self.nation() == Some(Nation::NorthernIreland)
            && self.is("home_help", "home_help")
    }

    /// Savings Credit entered where the law ignores some of it (England; Scotland's care
    /// homes): its qualifying income decides how much.
    fn savings_credit_counted(&self) -> bool {
        let entered = self
            .get("savings_credit")
            .and_then(|text| Money::parse(text.trim()).ok())
            .is_some_and(|amount| amount.is_positive());
        let setting = if self.care_home() { Setting::CareHome } else { Setting::NonResidential };
        self.pension_age()
            && entered
            && self.nation().is_some_and(|n| savings_credit_disregard_applies(n, setting))
    }

    /// One of a couple whose Savings Credit facts, as far as answered, leave the engine
    /// needing the partner's (Sch 1 para 40(5)): found by assessing the answers before the
    /// partner's question, as the engine names the fact it needs.
    fn partner_savings_credit_needed(&self) -> bool {
        if !self.couple() || !self.savings_credit_counted() || !self.has("qualifying_income") {
            return false;
        }
        let steps: Vec<&'static Step> = STEPS
            .iter()
            .take_while(|s| s.id != "partner_savings_credit")
            .filter(|s| !AFTER_FULL_COST.contains(&s.id) && (s.applies)(self))
            .collect();
        let Ok(case) = build(self, &steps) else { return false };
        matches!(
            crate::assessment::assess_case(&case.input),
            Err(ApiError::Assessment(AssessError::Case(e)))
                if e.field.starts_with("savings_credit.") && e.field.contains("partner")
        )
    }

    fn other_pensions(&self) -> Money {
        self.get("other_pensions")
            .and_then(|text| Money::parse(text.trim()).ok())
            .unwrap_or(Money::ZERO)
    }

    /// The council whose overlay this server applies ignores the night-care part of a
    /// top-rate disability benefit when no night care is arranged.
    fn council_ignores_night_care(&self) -> bool {
        let (Some(nation), Some(year), Some(overlay)) =
            (self.nation(), self.year(), LocalPolicy::in_use())
        else {
            return false;
        };
        overlay.defaults_for(nation, year.date).disregard_night_care_element
    }

    /// The council whose overlay this server applies also assesses one of a couple at home
    /// on half the couple's joint income and charges the lower, and this is one of a couple
    /// whose care is charged as care at home.
    fn council_assesses_couple_jointly(&self) -> bool {
        let (Some(nation), Some(year), Some(overlay)) =
            (self.nation(), self.year(), LocalPolicy::in_use())
        else {
            return false;
        };
        self.couple()
            && (self.at_home() || self.short_stay_as_at_home())
            && overlay.defaults_for(nation, year.date).assess_couple_jointly_if_lower
    }

    /// The allowance at home is built from premiums: England's Minimum Income Guarantee,
    /// and the basic entitlement under Wales's and Scotland's minimum incomes.
    fn premiums_used(&self) -> bool {
        (self.at_home() || self.short_stay_as_at_home())
            && matches!(self.nation(), Some(Nation::England | Nation::Wales | Nation::Scotland))
    }
}

/// An answer once checked.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Value {
    Choice(String),
    Money(Money),
    Whole(u32),
    Choices(Vec<String>),
}

/// A step's answers, checked: what `apply` reads. Reading a field the step did not ask
/// gives its empty value (`""`, 0, none).
pub struct Read<'a> {
    values: BTreeMap<&'static str, Value>,
    pub answers: &'a Answers,
}

impl Read<'_> {
    pub fn choice(&self, name: &str) -> &str {
        match self.values.get(name) {
            Some(Value::Choice(value)) => value,
            _ => "",
        }
    }

    pub fn yes(&self, name: &str) -> bool {
        self.choice(name) == "yes"
    }

    pub fn money(&self, name: &str) -> Money {
        match self.values.get(name) {
            Some(Value::Money(amount)) => *amount,
            _ => Money::ZERO,
        }
    }

    pub fn whole(&self, name: &str) -> u32 {
        match self.values.get(name) {
            Some(Value::Whole(n)) => *n,
            _ => 0,
        }
    }

    pub fn ticked(&self, name: &str, value: &str) -> bool {
        match self.values.get(name) {
            Some(Value::Choices(values)) => values.iter().any(|v| v == value),
            _ => false,
        }
    }
}

/// A case built from the answers, and the field each capital item and income came from
/// (to put the engine's errors, which name `capital[0].value`, beside the right field).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormCase {
    pub input: CaseInput,
    capital_fields: Vec<&'static str>,
    income_fields: Vec<&'static str>,
    /// The qualifying income for Savings Credit the page worked out rather than asked
    /// (see [`assume_qualifying_income`]); the estimate says so.
    pub assumed_qualifying_income: Option<Money>,
}

impl FormCase {
    fn capital(&mut self, field: &'static str, item: CapitalInput) {
        if item.value.is_positive() || item.kind == CapitalKind::MainHome {
            self.input.capital.push(item);
            self.capital_fields.push(field);
        }
    }

    fn savings(&mut self, field: &'static str, value: Money, joint: bool) {
        let kind = CapitalKind::Savings;
        self.capital(
            field,
            CapitalInput { kind, value, joint, occupied_by_qualifying_relative: false },
        );
    }

    fn income(&mut self, field: &'static str, kind: IncomeKind, amount: Money) {
        if amount.is_positive() {
            self.input.weekly_income.push(IncomeInput { kind, amount });
            self.income_fields.push(field);
        }
    }

    /// The form field a field of [`CaseInput`] came from, if any.
    pub fn form_field(&self, case_field: &str) -> Option<&'static str> {
        let indexed = |prefix: &str, fields: &[&'static str]| {
            let rest = case_field.strip_prefix(prefix)?;
            let (index, _) = rest.split_once(']')?;
            fields.get(index.parse::<usize>().ok()?).copied()
        };
        if let Some(field) = indexed("capital[", &self.capital_fields) {
            return Some(field);
        }
        if let Some(field) = indexed("weekly_income[", &self.income_fields) {
            return Some(field);
        }
        Some(match case_field {
            "date" => "year",
            "setting" => "setting",
            "person.age_years" => "age",
            "weekly_cost_of_care" => "cost_of_care",
            "weekly_housing_costs" => "housing_costs",
            "weekly_disability_related_expenditure" => "disability_costs",
            "weekly_cost_of_personal_care" => "personal_care_cost",
            "weeks_in_care_home" => "weeks_in_care_home",
            "person.lone_parent" => "lone_parent",
            "premiums.dependent_children" => "children",
            "stay" => "stay",
            "returning_home" => "returning_home",
            "weekly_pension_paid_to_spouse" => "pension_to_spouse",
            "council_arranges" => "council_arranges",
            "home_help" => "home_help",
            "savings_credit.weekly_qualifying_income" => "qualifying_income",
            "savings_credit.partner_receives_savings_credit" => "partner_savings_credit",
            "savings_credit.sum_disregarded_for_partner" => "partner_sum_disregarded",
            _ => return None,
        })
    }
}

/// The case before any answer: every fact at what it is when the question that sets it
/// is not asked (no income, no capital, no premiums, single). `age_years` is asked only
/// where it changes the answer (at home, below Pension Credit age, where 18 to 24 has its
/// own rate); elsewhere the rules do not use it, and the `pension_age` step sets an adult
/// age on the right side of Pension Credit age.
fn base_case() -> FormCase {
    FormCase {
        input: CaseInput {
            nation: Nation::England,
            date: String::new(),
            setting: Setting::NonResidential,
            person: PersonInput {
                age_years: AGE_NOT_ASKED.0,
                pension_credit_age: false,
                couple: false,
                lone_parent: false,
            },
            premiums: PremiumsInput::default(),
            capital: Vec::new(),
            weekly_income: Vec::new(),
            weekly_housing_costs: None,
            weekly_disability_related_expenditure: None,
            weekly_cost_of_care: Money::ZERO,
            weekly_cost_of_personal_care: None,
            night_care_provided: false,
            nursing_care: false,
            nhs_funded: false,
            local: None,
            weeks_in_care_home: None,
            stay: None,
            returning_home: false,
            weekly_pension_paid_to_spouse: None,
            council_arranges: false,
            weekly_hours_of_care: None,
            home_help: false,
            savings_credit: None,
            partner_weekly_income: Vec::new(),
        },
        capital_fields: Vec::new(),
        income_fields: Vec::new(),
        assumed_qualifying_income: None,
    }
}

/// An age that the rules do not use, on the right side of Pension Credit age, for a case
/// whose age was not asked (see [`base_case`]).
const AGE_NOT_ASKED: (u32, u32) = (25, 66);

/// The oldest age the engine accepts (core's `MAX_AGE_YEARS`, which catches a year of
/// birth typed as an age); a test checks the two agree.
pub const MAX_AGE: u32 = 130;

/// Every question, in the order asked. See the module's comment for how to add one.
pub static STEPS: &[Step] = &[
    Step {
        id: "nation",
        heading: None,
        fields: &[Field {
            name: "nation",
            label: |_| "Which nation is the care in?",
            summary: "Nation",
            hint: Some("The rules on paying for care are different in each nation of the UK."),
            kind: Kind::Radios(|_| choices(NATIONS), "Select which nation the care is in"),
            asked: always,
        }],
        applies: always,
        apply: |r, case| {
            if let Some(nation) = Nation::parse(r.choice("nation")) {
                case.input.nation = nation;
            }
            Ok(())
        },
        checkpoint: false,
    },
    Step {
        id: "setting",
        heading: None,
        fields: &[Field {
            name: "setting",
            label: |_| "Where is the care provided?",
            summary: "Where the care is",
            hint: None,
            kind: Kind::Radios(|_| choices(SETTINGS), "Select where the care is provided"),
            asked: always,
        }],
        applies: always,
        apply: |r, case| {
            case.input.setting = if r.choice("setting") == "care_home" {
                Setting::CareHome
            } else {
                Setting::NonResidential
            };
            Ok(())
        },
        checkpoint: false,
    },
    Step {
        id: "home_help",
        heading: None,
        fields: &[Field {
            name: "home_help",
            label: |_| "Is the help you need home help or personal care?",
            summary: "Kind of help",
            hint: Some(
                "Personal care at home is free in Northern Ireland. Home help can be charged for.",
            ),
            kind: Kind::Radios(
                |_| {
                    choices(&[
                        (
                            "personal_care",
                            "Personal care, such as help with washing, dressing or eating",
                        ),
                        ("home_help", "Home help, such as cleaning, shopping or housework"),
                    ])
                },
                "Select whether the help you need is home help or personal care",
            ),
            asked: always,
        }],
        // Before the year's checkpoint, which ends the questions for personal care at
        // home in Northern Ireland (free).
        applies: |a| a.at_home() && a.nation() == Some(Nation::NorthernIreland),
        apply: |r, case| {
            case.input.home_help = r.choice("home_help") == "home_help";
            Ok(())
        },
        checkpoint: false,
    },
    Step {
        id: "year",
        heading: None,
        fields: &[Field {
            name: "year",
            label: |_| "Which financial year do you want an estimate for?",
            summary: "Financial year",
            hint: Some(
                "Financial years run from April to March. Benefits and allowances change each April.",
            ),
            kind: Kind::Radios(
                |a| {
                    a.nation()
                        .map(years)
                        .unwrap_or_default()
                        .into_iter()
                        .map(|y| (y.value, y.text))
                        .collect()
                },
                "Select a financial year",
            ),
            asked: always,
        }],
        applies: |a| a.nation().is_some(),
        apply: |r, case| {
            if let Some(year) = r.answers.year() {
                case.input.date = year.date.to_string();
            }
            Ok(())
        },
        // Care that is free by law (Northern Ireland's care at home) ends here.
        checkpoint: true,
    },
    Step {
        id: "cost",
        heading: None,
        fields: &[Field {
            name: "cost_of_care",
            label: |a| {
                if a.care_home() {
                    "How much are the care home's fees each week?"
                } else {
                    "How much does the care cost each week?"
                }
            },
            summary: "Weekly cost of care",
            hint: Some(
                "The council or the care provider can tell you. If you do not know yet, enter your best guess.",
            ),
            kind: Kind::Money { required: true, what: "the weekly cost of your care" },
            asked: always,
        }],
        applies: always,
        apply: |r, case| {
            case.input.weekly_cost_of_care = r.money("cost_of_care");
            Ok(())
        },
        checkpoint: false,
    },
    Step {
        id: "personal_care",
        heading: None,
        fields: &[Field {
            name: "personal_care_cost",
            label: |_| "How much of that weekly cost is for personal care?",
            summary: "Weekly cost of personal care",
            hint: Some(
                "Help with washing, dressing, eating or going to the toilet. Personal care at home is free in Scotland. Enter 0 if none of it is.",
            ),
            kind: Kind::Money {
                required: true,
                what: "how much of the weekly cost is personal care",
            },
            asked: always,
        }],
        applies: |a| a.at_home() && a.nation() == Some(Nation::Scotland),
        apply: |r, case| {
            let personal = r.money("personal_care_cost");
            if personal > case.input.weekly_cost_of_care {
                return Err((
                    "personal_care_cost",
                    format!(
                        "The cost of personal care cannot be more than the weekly cost of your care, {}",
                        case.input.weekly_cost_of_care
                    ),
                ));
            }
            case.input.weekly_cost_of_personal_care = Some(personal);
            Ok(())
        },
        checkpoint: false,
    },
    Step {
        id: "nursing",
        heading: None,
        fields: &[Field {
            name: "nursing_care",
            label: |_| "Do you need nursing care in the care home?",
            summary: "Nursing care",
            hint: Some(
                "Care given or supervised by a registered nurse. If you need it, part of the fees is paid for you.",
            ),
            kind: Kind::Radios(yes_no, "Select yes if you need nursing care in the care home"),
            asked: always,
        }],
        // Scotland's free nursing care and Northern Ireland's nursing contribution lower
        // what can be charged; in England and Wales the NHS pays the home directly.
        applies: |a| {
            a.care_home() && matches!(a.nation(), Some(Nation::Scotland | Nation::NorthernIreland))
        },
        apply: |r, case| {
            case.input.nursing_care = r.yes("nursing_care");
            Ok(())
        },
        checkpoint: false,
    },
    Step {
        id: "stay",
        heading: None,
        fields: &[Field {
            name: "stay",
            label: |_| "How long do you expect to stay in the care home?",
            summary: "How long you expect to stay",
            hint: Some("A temporary or short stay is charged differently from moving in for good."),
            kind: Kind::Radios(
                |a| {
                    let mut offered = choices(&[("permanent", "I am moving in to live there")]);
                    if a.nation() == Some(Nation::England) {
                        offered.extend(choices(&[(
                            "temporary",
                            "A temporary stay: up to a year, then I plan to go home",
                        )]));
                    }
                    offered.extend(choices(&[(
                        "short_term",
                        "A short stay of up to 8 weeks, for example respite care",
                    )]));
                    offered
                },
                "Select how long you expect to stay in the care home",
            ),
            asked: always,
        }],
        // England models temporary and short stays; Wales short stays (SI 2015/1843
        // reg 9(3)). Elsewhere a stay is assessed as permanent.
        applies: |a| a.care_home() && matches!(a.nation(), Some(Nation::England | Nation::Wales)),
        apply: |r, case| {
            case.input.stay = match r.choice("stay") {
                "temporary" => Some(Stay::Temporary),
                "short_term" => Some(Stay::ShortTerm),
                _ => None,
            };
            Ok(())
        },
        checkpoint: false,
    },
    Step {
        id: "couple",
        heading: None,
        fields: &[Field {
            name: "couple",
            label: |_| "Do you live with a partner as a couple?",
            summary: "Partner",
            hint: Some(
                "You are assessed on your own income and your share of what you own together.",
            ),
            kind: Kind::Radios(
                |_| {
                    choices(&[
                        ("single", "No, I am single"),
                        ("couple", "Yes, I live with a partner as a couple"),
                    ])
                },
                "Select whether you live with a partner as a couple",
            ),
            asked: always,
        }],
        applies: always,
        apply: |r, case| {
            case.input.person.couple = r.choice("couple") == "couple";
            Ok(())
        },
        checkpoint: false,
    },
    Step {
        id: "lone_parent",
        heading: None,
        fields: &[Field {
            name: "lone_parent",
            label: |_| "Are you a lone parent?",
            summary: "Lone parent",
            hint: Some(
                "You do not have a partner, and a child you are responsible for lives with you.",
            ),
            kind: Kind::Radios(yes_no, "Select yes if you are a lone parent"),
            asked: always,
        }],
        // England's Minimum Income Guarantee has its own amount for a lone parent
        // (SI 2014/2672 reg 7(3)).
        applies: |a| a.england() && a.premiums_used() && !a.couple(),
        apply: |r, case| {
            case.input.person.lone_parent = r.yes("lone_parent");
            Ok(())
        },
        checkpoint: false,
    },
    Step {
        id: "children",
        heading: None,
        fields: &[Field {
            name: "children",
            label: |_| "How many children live with you?",
            summary: "Children living with you",
            hint: Some("Children under 20 you are responsible for. Enter 0 if none."),
            kind: Kind::Whole { min: 0, max: 30, what: "the number of children", example: "2" },
            asked: always,
        }],
        // Each child raises England's Minimum Income Guarantee (reg 7).
        applies: |a| a.england() && a.premiums_used(),
        apply: |r, case| {
            let children = r.whole("children");
            if case.input.person.lone_parent && children == 0 {
                return Err((
                    "children",
                    "You said you are a lone parent: enter how many children live with you, 1 or more"
                        .to_owned(),
                ));
            }
            case.input.premiums.dependent_children = children;
            Ok(())
        },
        checkpoint: false,
    },
    Step {
        id: "savings",
        heading: None,
        fields: &[Field {
            name: "savings",
            label: |a| {
                if a.couple() {
                    "How much do you have in savings and investments in your own name?"
                } else {
                    "How much do you have in savings and investments?"
                }
            },
            summary: "Savings and investments",
            hint: Some(
                "The total of bank and building society accounts, ISAs, Premium Bonds and shares. Leave empty or enter 0 if you have none.",
            ),
            kind: Kind::Money { required: false, what: "your savings and investments" },
            asked: always,
        }],
        applies: always,
        apply: |r, case| {
            case.savings("savings", r.money("savings"), false);
            Ok(())
        },
        checkpoint: false,
    },
    Step {
        id: "joint_savings",
        heading: None,
        fields: &[Field {
            name: "joint_savings",
            label: |_| "How much do you and your partner have in joint savings and investments?",
            summary: "Joint savings and investments",
            hint: Some(
                "The whole amount in accounts you hold together. Half of it is counted as yours. Leave empty or enter 0 if you have none.",
            ),
            kind: Kind::Money { required: false, what: "your joint savings and investments" },
            asked: always,
        }],
        applies: Answers::couple,
        apply: |r, case| {
            case.savings("joint_savings", r.money("joint_savings"), true);
            Ok(())
        },
        checkpoint: false,
    },
    Step {
        id: "owns_home",
        heading: None,
        fields: &[Field {
            name: "owns_home",
            label: |_| "Do you own your home?",
            summary: "Own your home",
            hint: Some(
                "The home you lived in before the care home, on your own or with someone else.",
            ),
            kind: Kind::Radios(yes_no, "Select yes if you own your home"),
            asked: always,
        }],
        applies: Answers::care_home,
        apply: |_, _| Ok(()),
        checkpoint: false,
    },
    Step {
        id: "returning_home",
        heading: None,
        fields: &[Field {
            name: "returning_home",
            label: |_| "Do you plan to go back to your home after the stay, and is it still yours to go back to?",
            summary: "Going back to your home",
            hint: Some("If so, your home is not counted while you stay in the care home."),
            kind: Kind::Radios(yes_no, "Select yes if you plan to go back to your home"),
            asked: always,
        }],
        applies: |a| a.owns_home() && a.stay() != "permanent",
        apply: |r, case| {
            case.input.returning_home = r.yes("returning_home");
            Ok(())
        },
        checkpoint: false,
    },
    Step {
        id: "home_occupied",
        heading: None,
        fields: &[Field {
            name: "home_occupied",
            label: |_| "Does a partner, a relative aged 60 or over or disabled, or a child under 18 still live in your home?",
            summary: "Someone still lives in your home",
            hint: Some("If so, your home is not counted."),
            kind: Kind::Radios(
                yes_no,
                "Select yes if one of these people still lives in your home",
            ),
            asked: always,
        }],
        applies: Answers::home_questions,
        apply: |_, _| Ok(()),
        checkpoint: false,
    },
    Step {
        id: "home_value",
        heading: None,
        fields: &[Field {
            name: "home_value",
            label: |_| "Roughly how much is your home worth?",
            summary: "Value of your home",
            hint: Some("Only your share, if you own it with someone else."),
            kind: Kind::Money { required: true, what: "roughly what your home is worth" },
            asked: always,
        }],
        applies: Answers::home_questions,
        apply: |r, case| {
            case.capital(
                "home_value",
                CapitalInput {
                    kind: CapitalKind::MainHome,
                    value: r.money("home_value"),
                    joint: false,
                    occupied_by_qualifying_relative: r.answers.is("home_occupied", "yes"),
                },
            );
            Ok(())
        },
        checkpoint: false,
    },
    Step {
        id: "weeks",
        heading: None,
        fields: &[Field {
            name: "weeks_in_care_home",
            label: |_| "How many weeks have you lived in the care home?",
            summary: "Weeks in the care home",
            hint: Some(
                "Enter 0 if you have not moved in yet. Your home is not counted for the first weeks of a permanent stay.",
            ),
            kind: Kind::Whole { min: 0, max: 5200, what: "the number of weeks", example: "4" },
            asked: always,
        }],
        // The first weeks are ignored only in a permanent stay: a temporary resident's
        // home counts unless they mean to go back to it.
        applies: |a| a.home_may_count() && a.stay() != "temporary",
        apply: |r, case| {
            case.input.weeks_in_care_home = Some(r.whole("weeks_in_care_home"));
            Ok(())
        },
        // Capital over the upper limit: the full cost is paid, whatever the income.
        checkpoint: true,
    },
    Step {
        id: "pension_age",
        heading: None,
        fields: &[Field {
            name: "pension_age",
            label: |_| "Have you reached State Pension age?",
            summary: "Reached State Pension age",
            hint: Some("State Pension age is 66 for most people at the moment."),
            kind: Kind::Radios(yes_no, "Select yes if you have reached State Pension age"),
            asked: always,
        }],
        applies: always,
        apply: |r, case| {
            let pension_age = r.yes("pension_age");
            case.input.person.pension_credit_age = pension_age;
            case.input.person.age_years =
                if pension_age { AGE_NOT_ASKED.1 } else { AGE_NOT_ASKED.0 };
            Ok(())
        },
        checkpoint: false,
    },
    Step {
        id: "age",
        heading: None,
        fields: &[Field {
            name: "age",
            label: |_| "How old are you?",
            summary: "Age",
            hint: Some("In years, for example 45"),
            kind: Kind::Whole { min: 18, max: MAX_AGE, what: "your age", example: "45" },
            asked: always,
        }],
        // Below Pension Credit age at home, 18 to 24 has a rate of its own.
        // Northern Ireland's home help is free from 75.
        applies: |a| {
            a.premiums_used() && a.is("pension_age", "no") || a.northern_ireland_home_help()
        },
        apply: |r, case| {
            case.input.person.age_years = r.whole("age");
            Ok(())
        },
        checkpoint: false,
    },
    Step {
        id: "pension_credit",
        heading: Some("How much Pension Credit do you get each week?"),
        fields: &[
            Field {
                name: "pension_credit",
                label: |_| "Guarantee Credit",
                summary: "Pension Credit: Guarantee Credit",
                hint: Some("Leave empty if you do not get it."),
                kind: Kind::Money { required: false, what: "your Guarantee Credit" },
                asked: always,
            },
            Field {
                name: "savings_credit",
                label: |_| "Savings Credit",
                summary: "Pension Credit: Savings Credit",
                hint: Some("Leave empty if you do not get it."),
                kind: Kind::Money { required: false, what: "your Savings Credit" },
                asked: always,
            },
        ],
        applies: Answers::pension_age,
        apply: |r, case| {
            case.income(
                "pension_credit",
                IncomeKind::PensionCreditGuarantee,
                r.money("pension_credit"),
            );
            case.income(
                "savings_credit",
                IncomeKind::PensionCreditSavings,
                r.money("savings_credit"),
            );
            Ok(())
        },
        checkpoint: false,
    },
    Step {
        id: "qualifying_income",
        heading: None,
        fields: &[Field {
            name: "qualifying_income",
            label: |_| "What is your qualifying income for Savings Credit each week?",
            summary: "Qualifying income for Savings Credit",
            hint: Some(
                "This is the income Pension Credit counts when it works out your Savings Credit, such as your State Pension and other pensions. It is shown on your Pension Credit award letter. If you live with a partner, it is your income and theirs together.",
            ),
            kind: Kind::Money { required: true, what: "your qualifying income for Savings Credit" },
            asked: always,
        }],
        // How much Savings Credit is ignored depends on it (England: SI 2014/2672 Sch 1
        // para 40; Scotland's care homes: SI 1992/2977 Sch 3 para 28G).
        applies: Answers::savings_credit_counted,
        apply: |r, case| {
            let facts = case.input.savings_credit.get_or_insert_with(SavingsCreditInput::default);
            facts.weekly_qualifying_income = Some(r.money("qualifying_income"));
            Ok(())
        },
        checkpoint: false,
    },
    Step {
        id: "partner_savings_credit",
        heading: Some("Your partner and Savings Credit"),
        fields: &[
            Field {
                name: "partner_savings_credit",
                label: |_| "Does your partner get Savings Credit?",
                summary: "Partner gets Savings Credit",
                hint: Some(
                    "Savings Credit is part of Pension Credit. Answer yes if it is paid to your partner.",
                ),
                kind: Kind::Radios(yes_no, "Select yes if your partner gets Savings Credit"),
                asked: always,
            },
            Field {
                name: "partner_sum_disregarded",
                label: |_| "Has your partner's own financial assessment for care already ignored an amount because of Savings Credit?",
                summary: "Partner's assessment ignored Savings Credit",
                hint: Some(
                    "Only if your partner also pays towards care arranged by the council. Their assessment letter says so.",
                ),
                kind: Kind::Radios(
                    yes_no,
                    "Select yes if your partner's assessment already ignored an amount because of Savings Credit",
                ),
                asked: always,
            },
        ],
        // For one of a couple whose qualifying income is above the standard minimum
        // guarantee, the sum is ignored unless the partner gets Savings Credit or had it
        // ignored already (Sch 1 para 40(5)).
        applies: Answers::partner_savings_credit_needed,
        apply: |r, case| {
            let facts = case.input.savings_credit.get_or_insert_with(SavingsCreditInput::default);
            facts.partner_receives_savings_credit = Some(r.yes("partner_savings_credit"));
            facts.sum_disregarded_for_partner = Some(r.yes("partner_sum_disregarded"));
            Ok(())
        },
        checkpoint: false,
    },
    Step {
        id: "pensions",
        heading: Some("How much do you get from pensions each week?"),
        fields: &[
            Field {
                name: "state_pension",
                label: |_| "State Pension",
                summary: "State Pension",
                hint: None,
                kind: Kind::Money { required: false, what: "your State Pension" },
                asked: Answers::pension_age,
            },
            Field {
                name: "other_pensions",
                label: |_| "Other pensions",
                summary: "Other pensions",
                hint: Some("For example a pension from work or a private pension."),
                kind: Kind::Money { required: false, what: "your other pensions" },
                asked: always,
            },
        ],
        applies: always,
        apply: |r, case| {
            case.income("state_pension", IncomeKind::StatePension, r.money("state_pension"));
            case.income("other_pensions", IncomeKind::PrivatePension, r.money("other_pensions"));
            Ok(())
        },
        checkpoint: false,
    },
    Step {
        id: "pension_to_spouse",
        heading: None,
        fields: &[Field {
            name: "pension_to_spouse",
            label: |_| "Do you pay part of your pension to your husband, wife or civil partner who lives elsewhere? How much a week?",
            summary: "Pension paid to your husband, wife or civil partner each week",
            hint: Some(
                "From your pension from work or private pension. If you pay them half of it or more, half of that pension is not counted. Leave empty or enter 0 if you do not.",
            ),
            kind: Kind::Money {
                required: false,
                what: "how much of your pension you pay them each week",
            },
            asked: always,
        }],
        // England, SI 2014/2672 Sch 1 para 16: a care-home resident's pension shared
        // with a spouse who lives elsewhere.
        applies: |a| a.england() && a.care_home() && a.couple() && a.other_pensions().is_positive(),
        apply: |r, case| {
            let paid = r.money("pension_to_spouse");
            let pensions = r.answers.other_pensions();
            if paid > pensions {
                return Err((
                    "pension_to_spouse",
                    format!("This cannot be more than your other pensions, {pensions} a week"),
                ));
            }
            case.input.weekly_pension_paid_to_spouse = paid.is_positive().then_some(paid);
            Ok(())
        },
        checkpoint: false,
    },
    Step {
        id: "benefits",
        heading: None,
        fields: &[
            Field {
                name: "benefit",
                label: |_| "Do you get any of these benefits?",
                summary: "Benefit",
                hint: None,
                kind: Kind::Radios(
                    |_| choices(BENEFITS),
                    "Select which benefit you get, or None of these",
                ),
                asked: always,
            },
            Field {
                name: "benefit_amount",
                label: |_| "If you do, how much of it do you get each week?",
                summary: "Benefit each week",
                hint: None,
                kind: Kind::Money {
                    required: false,
                    what: "how much of the benefit you get each week",
                },
                asked: always,
            },
        ],
        applies: |a| a.is("pension_age", "no"),
        apply: |r, case| benefit(r, case, ("benefit", "benefit_amount")),
        checkpoint: false,
    },
    Step {
        id: "disability_benefit",
        heading: None,
        fields: &[
            Field {
                name: "disability_benefit",
                label: |_| "Do you get Attendance Allowance, the daily living part of PIP or the care part of DLA?",
                summary: "Disability benefit",
                hint: Some(
                    "The mobility part of PIP or DLA is never counted, so you do not need to tell us about it.",
                ),
                kind: Kind::Radios(
                    |_| choices(DISABILITY_BENEFITS),
                    "Select which disability benefit you get, or None of these",
                ),
                asked: always,
            },
            Field {
                name: "disability_benefit_amount",
                label: |_| "If you do, how much of it do you get each week?",
                summary: "Disability benefit each week",
                hint: None,
                kind: Kind::Money {
                    required: false,
                    what: "how much of the disability benefit you get each week",
                },
                asked: always,
            },
        ],
        applies: always,
        apply: |r, case| benefit(r, case, ("disability_benefit", "disability_benefit_amount")),
        checkpoint: false,
    },
    Step {
        id: "night_care",
        heading: None,
        fields: &[Field {
            name: "night_care",
            label: |_| "Is care arranged for you at night?",
            summary: "Care at night",
            hint: Some(
                "Your council does not count the part of your benefit that is for care at night if none is arranged.",
            ),
            kind: Kind::Radios(yes_no, "Select yes if care is arranged for you at night"),
            asked: always,
        }],
        applies: |a| {
            a.at_home()
                && a.get("disability_benefit").is_some_and(|b| TOP_RATES.contains(&b))
                && a.council_ignores_night_care()
        },
        apply: |r, case| {
            case.input.night_care_provided = r.yes("night_care");
            Ok(())
        },
        checkpoint: false,
    },
    Step {
        id: "premiums",
        heading: None,
        fields: &[Field {
            name: "premiums",
            label: |_| "Do any of these apply to you?",
            summary: "Also applies to you",
            hint: Some(
                "Select all that apply. They raise the income you are left to live on. If you are not sure, leave them unticked: the estimate may then be higher than what you would really pay.",
            ),
            kind: Kind::Checkboxes(|a| {
                let mut offered = Vec::new();
                // Wales's and Scotland's basic entitlement at Pension Credit age is the
                // Pension Credit guarantee, without the disability premiums.
                if a.nation() == Some(Nation::England) || !a.pension_age() {
                    offered.extend(choices(&[
                        ("disability", "I get a disability benefit, such as PIP, DLA or Attendance Allowance, or I am registered blind"),
                        ("enhanced_disability", "I get the enhanced rate of the daily living part of PIP, or the highest rate of the care part of DLA"),
                    ]));
                }
                offered.extend(choices(&[(
                    "carer",
                    "I get Carer's Allowance, or another carer's benefit, for looking after someone",
                )]));
                offered
            }),
            asked: always,
        }],
        applies: Answers::premiums_used,
        apply: |r, case| {
            case.input.premiums.disability = r.ticked("premiums", "disability");
            case.input.premiums.enhanced_disability = r.ticked("premiums", "enhanced_disability");
            case.input.premiums.carer = r.ticked("premiums", "carer");
            Ok(())
        },
        checkpoint: false,
    },
    Step {
        id: "costs",
        heading: Some("What are your weekly costs?"),
        fields: &[
            Field {
                name: "housing_costs",
                label: |_| "Housing costs each week",
                summary: "Housing costs each week",
                hint: Some(
                    "Rent, mortgage payments and council tax, less any Housing Benefit or council tax reduction. Leave empty if none.",
                ),
                kind: Kind::Money { required: false, what: "your weekly housing costs" },
                asked: always,
            },
            Field {
                name: "disability_costs",
                label: |_| "Extra costs each week because of a disability or illness",
                summary: "Extra costs of a disability each week",
                hint: Some(
                    "For example extra heating or laundry, a cleaner, or a special diet. Leave empty if none.",
                ),
                kind: Kind::Money { required: false, what: "your extra weekly costs" },
                asked: Answers::premiums_used,
            },
        ],
        // A temporary resident's housing costs are allowed too (SI 2014/2672 Sch 1
        // para 2).
        applies: |a| a.premiums_used() || a.stay() == "temporary",
        apply: |r, case| {
            case.input.weekly_housing_costs = Some(r.money("housing_costs"));
            if r.answers.premiums_used() {
                case.input.weekly_disability_related_expenditure =
                    Some(r.money("disability_costs"));
            }
            Ok(())
        },
        checkpoint: false,
    },
    Step {
        id: "partner_income",
        heading: None,
        fields: &[Field {
            name: "partner_income",
            label: |_| "How much income does your partner get each week?",
            summary: "Partner's income each week",
            hint: Some(
                "Their own pensions and benefits, such as State Pension, a pension from work or Universal Credit. Do not include earnings or the mobility part of PIP or DLA. Your council also works out your charge on half of your income and theirs together, and uses the lower charge.",
            ),
            kind: Kind::Money { required: true, what: "your partner's income each week" },
            asked: always,
        }],
        // Only where the council's policy assesses a couple jointly as well (a local
        // choice: the regulations assess the person alone).
        applies: Answers::council_assesses_couple_jointly,
        apply: |r, case| {
            let amount = r.money("partner_income");
            if amount.is_positive() {
                case.input
                    .partner_weekly_income
                    .push(IncomeInput { kind: IncomeKind::OtherCounted, amount });
            }
            Ok(())
        },
        checkpoint: false,
    },
    // Asked only after capital over the upper limit ends the other questions (see
    // `AFTER_FULL_COST`).
    Step {
        id: "council_arranges",
        heading: None,
        fields: &[Field {
            name: "council_arranges",
            label: |_| "Do you want the council to arrange your care?",
            summary: "Council to arrange your care",
            hint: Some(
                "You would pay the full cost of your care. The council can still arrange it for you if you ask, and may charge a fee for doing so.",
            ),
            kind: Kind::Radios(yes_no, "Select yes if you want the council to arrange your care"),
            asked: always,
        }],
        // Care Act 2014 s.14(1)(b) and s.18(3): for care at home in England.
        applies: |a| a.england() && a.at_home(),
        apply: |r, case| {
            case.input.council_arranges = r.yes("council_arranges");
            Ok(())
        },
        checkpoint: false,
    },
];

/// A benefit chosen from a list, with its weekly amount, as income.
fn benefit(
    r: &Read<'_>,
    case: &mut FormCase,
    (choice, amount_field): (&'static str, &'static str),
) -> Applied {
    let value = r.choice(choice);
    let amount = r.money(amount_field);
    if value == "none" {
        if amount.is_positive() {
            return Err((
                choice,
                "Select which benefit you get, or leave its amount empty".to_owned(),
            ));
        }
        return Ok(());
    }
    let Some(kind) = IncomeKind::ALL.iter().copied().find(|kind| kind.as_str() == value) else {
        return Err((choice, "Select a benefit from the list".to_owned()));
    };
    if !amount.is_positive() {
        return Err((amount_field, "Enter how much of the benefit you get each week".to_owned()));
    }
    case.income(amount_field, kind, amount);
    Ok(())
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Check one field's answer.
fn check_field(answers: &Answers, field: &Field) -> Result<Value, String> {
    let text = answers.get(field.name).unwrap_or_default().trim();
    match &field.kind {
        Kind::Radios(options, missing) => {
            let offered = options(answers);
            offered
                .iter()
                .find(|(value, _)| value == text)
                .map(|(value, _)| Value::Choice(value.clone()))
                .ok_or_else(|| (*missing).to_owned())
        }
        Kind::Money { required, what } => {
            if text.is_empty() {
                return if *required {
                    Err(format!("Enter {what}"))
                } else {
                    Ok(Value::Money(Money::ZERO))
                };
            }
            match Money::parse(text) {
                Ok(amount) if amount.is_negative() => {
                    Err(format!("{} must be 0 or more", capitalised(what)))
                }
                Ok(amount) => Ok(Value::Money(amount)),
                Err(_) => Err(format!("Enter {what} in pounds and pence, like 125.50")),
            }
        }
        Kind::Whole { min, max, what, example } => {
            if text.is_empty() {
                return Err(format!("Enter {what}"));
            }
            match text.parse::<u32>() {
                Ok(n) if (*min..=*max).contains(&n) => Ok(Value::Whole(n)),
                Ok(_) if field.name == "age" => {
                    Err(format!("This estimate is for adults: enter an age from {min} to {max}"))
                }
                Ok(_) => Err(format!("Enter {what} from {min} to {max}")),
                Err(_) => Err(format!("Enter {what} as a whole number, like {example}")),
            }
        }
        Kind::Checkboxes(options) => {
            let offered = options(answers);
            let mut ticked = Vec::new();
            for value in answers.all(field.name).iter().filter(|v| !v.is_empty()) {
                if !offered.iter().any(|(o, _)| o == value) {
                    return Err("Select only the options shown".to_owned());
                }
                ticked.push(value.clone());
            }
            Ok(Value::Choices(ticked))
        }
    }
}

/// What is wrong with the answers to a step's fields, in the order of the page.
pub fn check_step<'a>(answers: &'a Answers, step: &Step) -> Result<Read<'a>, FieldErrors> {
    let mut errors = FieldErrors::new();
    let mut values = BTreeMap::new();
    for field in step.fields.iter().filter(|f| (f.asked)(answers)) {
        match check_field(answers, field) {
            Ok(value) => {
                values.insert(field.name, value);
            }
            Err(message) => errors.add(field.name, message),
        }
    }
    if errors.is_empty() { Ok(Read { values, answers }) } else { Err(errors) }
}

/// Whether every field the step asks has an answer (an amount left empty counts).
pub fn answered(answers: &Answers, step: &Step) -> bool {
    step.fields.iter().filter(|f| (f.asked)(answers)).all(|f| answers.has(f.name))
}

/// Why no more questions are asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum End {
    /// The care is free by law: the engine's step saying so.
    Free(String),
    /// Capital of `capital` is over the upper limit `limit`: the full cost is paid.
    CapitalOverLimit { capital: Money, limit: String },
}

/// Which steps apply to the answers, and where they stop.
pub struct Flow<'a> {
    pub answers: &'a Answers,
    pub steps: Vec<&'static Step>,
    pub end: Option<End>,
}

/// What stops the answers becoming a case.
pub enum Problem {
    /// The step applies but has not been answered.
    Unanswered(&'static Step),
    /// The step's answers cannot be used.
    Invalid(&'static Step, FieldErrors),
}

/// The steps asked only once capital over the upper limit has decided that the full cost
/// is paid (after the other questions end): whether the council should arrange the care.
const AFTER_FULL_COST: &[&str] = &["council_arranges"];

impl<'a> Flow<'a> {
    pub fn new(answers: &'a Answers) -> Flow<'a> {
        let mut steps = Vec::new();
        for step in STEPS.iter().filter(|s| !AFTER_FULL_COST.contains(&s.id)) {
            if (step.applies)(answers) {
                steps.push(step);
            }
            if step.checkpoint
                && let Some(end) = decided(answers, &steps)
            {
                if matches!(end, End::CapitalOverLimit { .. }) {
                    steps.extend(
                        STEPS
                            .iter()
                            .filter(|s| AFTER_FULL_COST.contains(&s.id) && (s.applies)(answers)),
                    );
                }
                return Flow { answers, steps, end: Some(end) };
            }
        }
        Flow { answers, steps, end: None }
    }

    /// The case the answers make, or the first step in the way.
    pub fn case(&self) -> Result<FormCase, Problem> {
        let mut case = build(self.answers, &self.steps)?;
        assume_qualifying_income(&mut case);
        Ok(case)
    }

    /// The case the answers up to and including step `id` make, or the first step in
    /// the way.
    pub fn case_through(&self, id: &str) -> Result<FormCase, Problem> {
        let end = self.steps.iter().position(|s| s.id == id).map_or(self.steps.len(), |i| i + 1);
        build(self.answers, self.steps.get(..end).unwrap_or(&self.steps))
    }

    pub fn applies(&self, id: &str) -> bool {
        self.steps.iter().any(|s| s.id == id)
    }

    /// The step after `id` (`None`: the last, or not a step that applies).
    pub fn after(&self, id: &str) -> Option<&'static Step> {
        let at = self.steps.iter().position(|s| s.id == id)?;
        self.steps.get(at + 1).copied()
    }

    /// The step before `id`.
    pub fn before(&self, id: &str) -> Option<&'static Step> {
        let at = self.steps.iter().position(|s| s.id == id)?;
        at.checked_sub(1).and_then(|i| self.steps.get(i)).copied()
    }

    /// The first step that applies and is not answered.
    pub fn first_unanswered(&self) -> Option<&'static Step> {
        self.steps.iter().find(|s| !answered(self.answers, s)).copied()
    }
}

fn build(answers: &Answers, steps: &[&'static Step]) -> Result<FormCase, Problem> {
    let mut case = base_case();
    for step in steps {
        if !answered(answers, step) {
            return Err(Problem::Unanswered(step));
        }
        let read = check_step(answers, step).map_err(|errors| Problem::Invalid(step, errors))?;
        if let Err((field, message)) = (step.apply)(&read, &mut case) {
            let mut errors = FieldErrors::new();
            errors.add(field, message);
            return Err(Problem::Invalid(step, errors));
        }
    }
    Ok(case)
}

/// Pension Credit's deemed weekly income from capital (the State Pension Credit
/// Regulations 2002, SI 2002/1792, reg 15(6)): £1 for each £500 over £10,000, and £1 for
/// any part of £500 over. Read in the legislation.gov.uk text of the regulations as in
/// force (mirror: legalize-dev/legalize-uk, uk/uksi-2002-1792.md).
const DEEMED_INCOME_THRESHOLD_PENCE: i64 = 1_000_000;
const DEEMED_INCOME_BAND_PENCE: i64 = 50_000;

/// A single person over Pension Credit age who gets no Pension Credit, where the law
/// ignores a sum because of Savings Credit (England: SI 2014/2672 Sch 1 para 40(2);
/// Scotland's care homes: SI 1992/2977 Sch 3 para 28G): whether the sum is ignored turns
/// on their qualifying income, which few people know. Rather than ask it, the page works
/// it out as Pension Credit would from what it was told: the State Pension and other
/// pensions, plus the income deemed from savings (reg 15(6)); the home is left out, as
/// Pension Credit leaves out the home someone lives in or means to return to. Attendance
/// Allowance and the other benefits the page asks about are not qualifying income. The
/// estimate says this was assumed and what it came to.
///
/// Not for a couple (para 40(4) takes the couple's income together, and the page asks
/// only the person's), nor for someone who gets Guarantee Credit or Savings Credit
/// (their qualifying income is asked, or is below the guarantee by definition).
fn assume_qualifying_income(case: &mut FormCase) {
    let input = &case.input;
    let on_pension_credit = input.weekly_income.iter().any(|i| {
        matches!(i.kind, IncomeKind::PensionCreditGuarantee | IncomeKind::PensionCreditSavings)
            && i.amount.is_positive()
    });
    if !input.person.pension_credit_age
        || input.person.couple
        || input.savings_credit.is_some()
        || on_pension_credit
        || !savings_credit_disregard_applies(input.nation, input.setting)
    {
        return;
    }
    let pensions = input
        .weekly_income
        .iter()
        .filter(|i| matches!(i.kind, IncomeKind::StatePension | IncomeKind::PrivatePension))
        .try_fold(Money::ZERO, |sum, i| sum.checked_add(i.amount));
    let savings = input
        .capital
        .iter()
        .filter(|c| c.kind != CapitalKind::MainHome)
        .try_fold(Money::ZERO, |sum, c| sum.checked_add(c.value));
    let (Ok(pensions), Ok(savings)) = (pensions, savings) else { return };
    let over = savings.pence().saturating_sub(DEEMED_INCOME_THRESHOLD_PENCE).max(0);
    let Ok(bands) = onebudget_core::money::round_div(
        i128::from(over),
        i128::from(DEEMED_INCOME_BAND_PENCE),
        onebudget_core::money::Rounding::AwayFromZero,
        "deemed income bands",
    ) else {
        return;
    };
    let Ok(qualifying) = Money::from_pounds(bands).and_then(|deemed| pensions.checked_add(deemed))
    else {
        return;
    };
    case.input.savings_credit = Some(SavingsCreditInput {
        weekly_qualifying_income: Some(qualifying),
        ..SavingsCreditInput::default()
    });
    case.assumed_qualifying_income = Some(qualifying);
}

/// Whether the answers to `steps` already decide what is paid: the assessment, run on
/// them, ended before counting income (the care is free by law), or found capital over
/// the upper limit (the full cost is paid, whatever the income).
fn decided(answers: &Answers, steps: &[&'static Step]) -> Option<End> {
    let case = build(answers, steps).ok()?;
    let explanation = crate::assessment::assess_case(&case.input).ok()?;
    end_of(&explanation)
}

/// Why an assessment needed no income, if it did not.
pub fn end_of(e: &Explanation) -> Option<End> {
    if !e.steps.iter().any(|s| s.rule == "capital.total") {
        return e.steps.last().map(|s| End::Free(s.explanation.clone()));
    }
    if e.outcome.full_cost {
        let limit = e
            .steps
            .iter()
            .find(|s| s.rule == "capital.above_upper_limit")
            .and_then(|s| s.sources.first())
            .map(|s| s.value.clone())
            .unwrap_or_default();
        return Some(End::CapitalOverLimit { capital: e.outcome.counted_capital, limit });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qualifying_income_is_worked_out_only_for_a_single_pensioner_off_pension_credit() {
        let assumed = |edit: &dyn Fn(&mut CaseInput)| {
            let mut case = base_case();
            case.input.person.pension_credit_age = true;
            case.input.weekly_income.push(IncomeInput {
                kind: IncomeKind::StatePension,
                amount: Money::from_pence(23_000),
            });
            case.input.weekly_income.push(IncomeInput {
                kind: IncomeKind::AttendanceAllowanceLower,
                amount: Money::from_pence(7_500),
            });
            edit(&mut case.input);
            assume_qualifying_income(&mut case);
            case.assumed_qualifying_income.map(|m| m.pence())
        };
        let savings = |pounds: i64, pence: i64| CapitalInput {
            kind: CapitalKind::Savings,
            value: Money::from_pence(pounds * 100 + pence),
            joint: false,
            occupied_by_qualifying_relative: false,
        };
        // The State Pension only: Attendance Allowance is not qualifying income.
        assert_eq!(assumed(&|_| {}), Some(23_000));
        // £10,000 of savings gives nothing; a penny over is a part of £500: £1 (reg 15(6)(b)).
        assert_eq!(assumed(&|c| c.capital.push(savings(10_000, 0))), Some(23_000));
        assert_eq!(assumed(&|c| c.capital.push(savings(10_000, 1))), Some(23_100));
        assert_eq!(assumed(&|c| c.capital.push(savings(11_000, 0))), Some(23_200));
        // The home is not counted.
        assert_eq!(
            assumed(&|c| c
                .capital
                .push(CapitalInput { kind: CapitalKind::MainHome, ..savings(200_000, 0) })),
            Some(23_000)
        );
        // Not worked out: a couple, someone on Pension Credit, below its age, in Wales.
        assert_eq!(assumed(&|c| c.person.couple = true), None);
        assert_eq!(
            assumed(&|c| c.weekly_income.push(IncomeInput {
                kind: IncomeKind::PensionCreditGuarantee,
                amount: Money::from_pence(1_000),
            })),
            None
        );
        assert_eq!(assumed(&|c| c.person.pension_credit_age = false), None);
        assert_eq!(assumed(&|c| c.nation = Nation::Wales), None);
        assert_eq!(
            assumed(&|c| {
                c.nation = Nation::Scotland;
                c.setting = Setting::NonResidential;
            }),
            None
        );
    }

    #[test]
    fn the_years_offered_are_every_year_the_policy_covers_newest_first() {
        let policy = Policy::in_use().unwrap();
        for nation in Nation::ALL {
            let (from, to) = policy.covers(nation).unwrap();
            let offered = years(nation);
            assert!(!offered.is_empty(), "{nation:?}");
            // Every 1 October the rules cover, newest first, and nothing else.
            let mut expected = Vec::new();
            for year in (from.year()..=to.year()).rev() {
                let middle = NaiveDate::from_ymd_opt(year, 10, 1).unwrap();
                if from <= middle && middle <= to {
                    expected.push(middle);
                }
            }
            let dates: Vec<NaiveDate> = offered.iter().map(|y| y.date).collect();
            assert_eq!(dates, expected, "{nation:?}");
            let first = &offered[0];
            let y = first.date.year();
            assert_eq!(first.value, format!("{y}-{:02}", (y + 1) % 100));
            assert_eq!(
                first.text,
                format!("{} (April {y} to March {})", first.year.label(), y + 1)
            );
        }
    }

    #[test]
    fn steps_and_fields_have_names_of_their_own() {
        let mut ids: Vec<&str> = STEPS.iter().map(|s| s.id).collect();
        let mut names: Vec<&str> =
            STEPS.iter().flat_map(|s| s.fields.iter().map(|f| f.name)).collect();
        let (steps, fields) = (ids.len(), names.len());
        ids.sort_unstable();
        ids.dedup();
        names.sort_unstable();
        names.dedup();
        assert_eq!((ids.len(), names.len()), (steps, fields));
        for reserved in [PAGE, GO, FROM_CHECK, "check", "estimate"] {
            assert!(!names.contains(&reserved) && !ids.contains(&reserved), "{reserved}");
        }
        assert!(STEPS.iter().all(|s| !s.fields.is_empty()));
    }

    #[test]
    fn the_oldest_age_asked_is_the_oldest_the_engine_accepts() {
        let mut case = base_case().input;
        case.date = "2024-10-01".to_owned();
        case.person.age_years = MAX_AGE;
        assert!(crate::assessment::assess_case(&case).is_ok());
        case.person.age_years = MAX_AGE + 1;
        let refused = crate::assessment::assess_case(&case);
        assert!(
            matches!(&refused, Err(crate::error::ApiError::Field(e)) if e.field == "person.age_years"),
            "{refused:?}"
        );
    }

    fn answers(pairs: &[(&str, &str)]) -> Answers {
        let pairs = pairs.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect();
        Answers::from_pairs(pairs).unwrap().0
    }

    fn asked(pairs: &[(&str, &str)]) -> Vec<&'static str> {
        let answers = answers(pairs);
        Flow::new(&answers).steps.iter().map(|s| s.id).collect()
    }

    #[test]
    fn only_the_questions_that_can_change_the_answer_apply() {
        let scotland_home =
            asked(&[("nation", "scotland"), ("setting", "non_residential"), ("pension_age", "no")]);
        assert!(scotland_home.contains(&"personal_care"));
        assert!(scotland_home.contains(&"age") && scotland_home.contains(&"benefits"));
        assert!(!scotland_home.contains(&"nursing") && !scotland_home.contains(&"owns_home"));
        assert!(!scotland_home.contains(&"pension_credit"), "not at Pension Credit age");
        let england_home = asked(&[("nation", "england"), ("setting", "non_residential")]);
        assert!(!england_home.contains(&"personal_care") && england_home.contains(&"premiums"));
        assert!(!england_home.contains(&"joint_savings"), "single");
        let couple =
            asked(&[("nation", "england"), ("setting", "non_residential"), ("couple", "couple")]);
        assert!(couple.contains(&"joint_savings"));
        let wales_home = asked(&[
            ("nation", "wales"),
            ("setting", "care_home"),
            ("owns_home", "yes"),
            ("home_occupied", "yes"),
        ]);
        assert!(
            wales_home.contains(&"home_value") && !wales_home.contains(&"weeks"),
            "a relative lives there"
        );
        assert!(
            !wales_home.contains(&"nursing")
                && !wales_home.contains(&"premiums")
                && !wales_home.contains(&"costs")
        );
    }

    #[test]
    fn the_new_case_facts_are_asked_only_where_they_apply() {
        let home = [("nation", "england"), ("setting", "non_residential"), ("couple", "single")];
        let england_home = asked(&home);
        assert!(england_home.contains(&"lone_parent") && england_home.contains(&"children"));
        assert!(!england_home.contains(&"stay") && !england_home.contains(&"home_help"));
        let couple =
            asked(&[("nation", "england"), ("setting", "non_residential"), ("couple", "couple")]);
        assert!(!couple.contains(&"lone_parent") && couple.contains(&"children"));
        let scotland =
            asked(&[("nation", "scotland"), ("setting", "non_residential"), ("couple", "single")]);
        assert!(!scotland.contains(&"lone_parent") && !scotland.contains(&"children"));
        let england_care = asked(&[("nation", "england"), ("setting", "care_home")]);
        assert!(england_care.contains(&"stay") && !england_care.contains(&"lone_parent"));
        assert!(asked(&[("nation", "wales"), ("setting", "care_home")]).contains(&"stay"));
        assert!(!asked(&[("nation", "scotland"), ("setting", "care_home")]).contains(&"stay"));
        let temporary = [
            ("nation", "england"),
            ("setting", "care_home"),
            ("stay", "temporary"),
            ("owns_home", "yes"),
        ];
        let going_home = asked(&[temporary.as_slice(), &[("returning_home", "yes")]].concat());
        assert!(going_home.contains(&"returning_home"));
        for skipped in ["home_occupied", "home_value", "weeks"] {
            assert!(!going_home.contains(&skipped), "{skipped}");
        }
        assert!(going_home.contains(&"costs"), "a temporary resident's housing costs");
        let staying = asked(
            &[temporary.as_slice(), &[("returning_home", "no"), ("home_occupied", "no")]].concat(),
        );
        assert!(staying.contains(&"home_value") && !staying.contains(&"weeks"));
        let permanent = asked(&[
            ("nation", "england"),
            ("setting", "care_home"),
            ("stay", "permanent"),
            ("owns_home", "yes"),
            ("returning_home", "yes"),
            ("home_occupied", "no"),
        ]);
        assert!(!permanent.contains(&"returning_home") && permanent.contains(&"weeks"));
        assert!(
            asked(&[("nation", "northern_ireland"), ("setting", "non_residential")])
                .contains(&"home_help")
        );
        assert!(
            !asked(&[("nation", "northern_ireland"), ("setting", "care_home")])
                .contains(&"home_help")
        );
        let pension = [("couple", "couple"), ("other_pensions", "100")];
        let spouse = |nation, setting, extra: &[(&'static str, &'static str)]| {
            asked(&[&[("nation", nation), ("setting", setting)], extra].concat())
                .contains(&"pension_to_spouse")
        };
        assert!(spouse("england", "care_home", &pension));
        assert!(!spouse(
            "england",
            "care_home",
            &[("couple", "single"), ("other_pensions", "100")]
        ));
        assert!(!spouse("england", "care_home", &[("couple", "couple")]));
        assert!(!spouse("england", "non_residential", &pension));
        assert!(!spouse("wales", "care_home", &pension));
        let credit = [("pension_age", "yes"), ("savings_credit", "5.00")];
        let qualifying = |nation, setting, extra: &[(&'static str, &'static str)]| {
            asked(&[&[("nation", nation), ("setting", setting)], extra].concat())
                .contains(&"qualifying_income")
        };
        assert!(qualifying("england", "non_residential", &credit));
        assert!(qualifying("england", "care_home", &credit));
        assert!(qualifying("scotland", "care_home", &credit));
        assert!(!qualifying("scotland", "non_residential", &credit));
        assert!(!qualifying("wales", "care_home", &credit));
        assert!(!qualifying("england", "care_home", &[("pension_age", "yes")]));
    }

    #[test]
    fn the_council_arranging_care_is_asked_only_above_the_capital_limit_at_home() {
        let over = |setting, savings| {
            let answers = answers(&[
                ("nation", "england"),
                ("setting", setting),
                ("year", "2024-25"),
                ("cost_of_care", "300"),
                ("stay", "permanent"),
                ("couple", "single"),
                ("lone_parent", "no"),
                ("children", "0"),
                ("savings", savings),
                ("owns_home", "no"),
            ]);
            let flow = Flow::new(&answers);
            (
                matches!(flow.end, Some(End::CapitalOverLimit { .. })),
                flow.steps.iter().any(|s| s.id == "council_arranges"),
            )
        };
        assert_eq!(over("non_residential", "50000"), (true, true));
        assert_eq!(over("non_residential", "1000"), (false, false));
        assert_eq!(over("care_home", "50000"), (true, false));
    }

    #[test]
    fn a_field_sent_twice_is_not_a_form_these_pages_send() {
        let twice = vec![
            ("nation".to_owned(), "england".to_owned()),
            ("nation".to_owned(), "wales".to_owned()),
        ];
        assert!(Answers::from_pairs(twice).is_err());
        let ticked = vec![
            ("premiums".to_owned(), String::new()),
            ("premiums".to_owned(), "carer".to_owned()),
        ];
        assert_eq!(Answers::from_pairs(ticked).unwrap().0.all("premiums").len(), 2);
        let unknown = vec![("colour".to_owned(), "blue".to_owned())];
        assert_eq!(Answers::from_pairs(unknown).unwrap().0, Answers::default());
    }
}
