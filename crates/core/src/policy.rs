//! Policy parameters: every figure a charging rule uses, with the date it takes effect
//! and the regulation or circular that sets it.
//!
//! The figures live in YAML files under `policy/` at the repository root (the format is
//! described in `policy/README.md`) and are embedded in the binary; a deployment may read
//! a directory of its own instead ([`Policy::use_directory`]). [`Policy::parse`]
//! reads a set of files and checks them against [`schema`]: every parameter the engine
//! needs is present with the right unit, no file names a parameter the engine does not
//! know (so a typo cannot leave a default in force), every value has a reference, and
//! within the years a file says it covers no parameter has a gap. [`Policy::rules_on`]
//! then gives the typed [`Rules`] in force for a nation on a date, each figure carrying
//! its [`Source`] so an explanation can cite it.

mod deferred;
mod local;
mod schema;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, OnceLock};

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::field::{FieldError, parse_date};
use crate::money::{Money, Ratio};
use crate::pool::FinancialYear;

pub use deferred::{
    DEFERRED_PAYMENT_FILE, DeferredPaymentPolicy, DeferredPaymentRules, RateLookup, interest_period,
};
pub use local::{LocalEntry, LocalPolicy};
pub use schema::{Jurisdiction, Nation, Unit};

/// The policy files shipped with onebudget, as (file name, contents).
pub const EMBEDDED_FILES: &[(&str, &str)] = &[
    ("uk/benefits.yaml", include_str!("../../../policy/uk/benefits.yaml")),
    ("england.yaml", include_str!("../../../policy/england.yaml")),
    ("wales.yaml", include_str!("../../../policy/wales.yaml")),
    ("scotland.yaml", include_str!("../../../policy/scotland.yaml")),
    ("northern_ireland.yaml", include_str!("../../../policy/northern_ireland.yaml")),
];

/// Where a figure comes from: the instrument and where it can be read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reference {
    pub title: String,
    pub href: String,
}

/// One value of a parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value {
    Money(Money),
    Ratio(Ratio),
    Weeks(u32),
    Bool(bool),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Money(m) => write!(f, "{m}"),
            Value::Ratio(r) => write!(f, "{r}"),
            Value::Weeks(w) => write!(f, "{w} weeks"),
            Value::Bool(b) => write!(f, "{}", if *b { "yes" } else { "no" }),
        }
    }
}

/// A value and the date from which it applies. `value` is `None` where the parameter
/// stops applying, or where the figure is `unknown`: not yet found in a source. An
/// unknown figure is declared, never silently absent, and a case that needs it is
/// refused with a message naming it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DatedValue {
    pub from: NaiveDate,
    pub value: Option<Value>,
    pub unknown: bool,
    pub reference: Arc<Reference>,
}

/// A named parameter and all its dated values, in date order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parameter {
    pub name: String,
    pub description: String,
    pub unit: Unit,
    pub values: Vec<DatedValue>,
}

/// One jurisdiction's file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyFile {
    pub jurisdiction: Jurisdiction,
    pub description: String,
    /// The first and last day whose figures have been checked against their sources.
    pub covers: (NaiveDate, NaiveDate),
    pub parameters: BTreeMap<String, Parameter>,
}

/// A figure as an explanation cites it: which parameter, its value, since when and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Source {
    pub parameter: String,
    pub value: String,
    pub from: NaiveDate,
    pub reference: Reference,
}

/// A typed figure in force on some date, with its source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Param<T> {
    pub value: T,
    pub source: Arc<Source>,
}

/// Why a set of policy files could not be used, or a date has no rules.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("{file}: {problem}")]
    File { file: String, problem: String },
    #[error("{file}: parameter {parameter}: {problem}")]
    Parameter { file: String, parameter: String, problem: String },
    #[error(
        "date: {nation} rules are held for {first} to {last} (the financial years {years}); \
         {date} is outside them"
    )]
    DateNotCovered {
        nation: Nation,
        date: NaiveDate,
        first: NaiveDate,
        last: NaiveDate,
        years: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileInput {
    nation: String,
    description: String,
    covers: CoversInput,
    parameters: BTreeMap<String, ParameterInput>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CoversInput {
    from: String,
    to: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ParameterInput {
    description: String,
    unit: String,
    values: Vec<ValueInput>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ValueInput {
    from: String,
    value: serde_yaml_ng::Value,
    reference: Reference,
}

fn file_error(file: &str, problem: impl Into<String>) -> PolicyError {
    PolicyError::File { file: file.to_owned(), problem: problem.into() }
}

fn parameter_error(file: &str, parameter: &str, problem: impl Into<String>) -> PolicyError {
    PolicyError::Parameter {
        file: file.to_owned(),
        parameter: parameter.to_owned(),
        problem: problem.into(),
    }
}

fn date_in(file: &str, field: &str, text: &str) -> Result<NaiveDate, PolicyError> {
    parse_date(field, text).map_err(|e: FieldError| file_error(file, e.to_string()))
}

/// The value that declares a figure not yet found in a source.
pub const UNKNOWN: &str = "unknown";

fn parse_value(unit: Unit, raw: &serde_yaml_ng::Value) -> Result<Option<Value>, String> {
    use serde_yaml_ng::Value as Y;
    match (unit, raw) {
        (_, Y::Null) => Ok(None),
        (_, Y::String(text)) if text == UNKNOWN => Ok(None),
        (Unit::Gbp | Unit::GbpPerWeek, Y::String(text)) => {
            Money::parse(text).map(|m| Some(Value::Money(m))).map_err(|e| e.to_string())
        }
        (Unit::Gbp | Unit::GbpPerWeek, _) => {
            Err("money must be a quoted string of pounds, like \"23250.00\"".to_owned())
        }
        (Unit::Ratio, Y::String(text)) => {
            Ratio::parse(text).map(|r| Some(Value::Ratio(r))).map_err(|e| e.to_string())
        }
        (Unit::Ratio, _) => Err("a ratio must be a quoted decimal, like \"0.35\"".to_owned()),
        (Unit::Weeks, Y::Number(n)) => n
            .as_u64()
            .and_then(|w| u32::try_from(w).ok())
            .map(|w| Some(Value::Weeks(w)))
            .ok_or_else(|| "weeks must be a whole number".to_owned()),
        (Unit::Weeks, _) => Err("weeks must be a whole number, like 12".to_owned()),
        (Unit::Boolean, Y::Bool(b)) => Ok(Some(Value::Bool(*b))),
        (Unit::Boolean, _) => Err("a boolean must be true or false".to_owned()),
    }
}

impl PolicyFile {
    /// Parse and check one file's text. `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<PolicyFile, PolicyError> {
        PolicyFile::parse_against(file, text, schema::parameters)
    }

    /// Parse and check one file's text against the parameters `expected` gives for its
    /// jurisdiction: the charging files use [`schema::parameters`], other rule books (the
    /// deferred payment figures) their own list, in the same format and with the same
    /// checks.
    pub(crate) fn parse_against(
        file: &str,
        text: &str,
        expected: fn(Jurisdiction) -> &'static [schema::Spec],
    ) -> Result<PolicyFile, PolicyError> {
        let input: FileInput =
            serde_yaml_ng::from_str(text).map_err(|e| file_error(file, e.to_string()))?;
        let jurisdiction = Jurisdiction::parse(&input.nation).ok_or_else(|| {
            file_error(
                file,
                format!(
                    "nation {:?} is not one of uk, england, wales, scotland, northern_ireland",
                    input.nation
                ),
            )
        })?;
        let covers = (
            date_in(file, "covers.from", &input.covers.from)?,
            date_in(file, "covers.to", &input.covers.to)?,
        );
        if covers.1 < covers.0 {
            return Err(file_error(file, "covers.to is before covers.from"));
        }
        let expected = expected(jurisdiction);
        let mut parameters = BTreeMap::new();
        for (name, raw) in input.parameters {
            let Some(spec) = expected.iter().find(|spec| spec.name == name) else {
                return Err(parameter_error(
                    file,
                    &name,
                    "onebudget does not use a parameter of this name; check the spelling \
                     against policy/README.md",
                ));
            };
            let unit = Unit::parse(&raw.unit).ok_or_else(|| {
                parameter_error(
                    file,
                    &name,
                    format!(
                        "unit {:?} is not one of GBP, GBP/week, ratio, weeks, boolean",
                        raw.unit
                    ),
                )
            })?;
            if unit != spec.unit {
                return Err(parameter_error(
                    file,
                    &name,
                    format!("the unit must be {}, not {}", spec.unit, unit),
                ));
            }
            if raw.description.trim().is_empty() {
                return Err(parameter_error(file, &name, "the description is empty"));
            }
            let mut values: Vec<DatedValue> = Vec::with_capacity(raw.values.len());
            for value in raw.values {
                let from = date_in(file, &format!("{name}.from"), &value.from)?;
                if values.last().is_some_and(|previous| previous.from >= from) {
                    return Err(parameter_error(
                        file,
                        &name,
                        format!("values must be in date order; {from} is not after the one before"),
                    ));
                }
                if value.reference.title.trim().is_empty() || value.reference.href.trim().is_empty()
                {
                    return Err(parameter_error(
                        file,
                        &name,
                        format!("the value from {from} needs a reference with a title and an href"),
                    ));
                }
                let parsed = parse_value(unit, &value.value).map_err(|problem| {
                    parameter_error(file, &name, format!("{from}: {problem}"))
                })?;
                let unknown = value.value.as_str() == Some(UNKNOWN);
                if unknown && spec.required {
                    return Err(parameter_error(
                        file,
                        &name,
                        format!(
                            "{from}: the engine cannot work without this figure, so it may not be unknown"
                        ),
                    ));
                }
                values.push(DatedValue {
                    from,
                    value: parsed,
                    unknown,
                    reference: Arc::new(value.reference),
                });
            }
            let parameter =
                Parameter { name: name.clone(), description: raw.description, unit, values };
            check_covered(file, &parameter, covers)?;
            check_not_carried_forward(file, &parameter, covers, !spec.required)?;
            parameters.insert(name, parameter);
        }
        if let Some(missing) =
            expected.iter().find(|spec| spec.required && !parameters.contains_key(spec.name))
        {
            return Err(parameter_error(
                file,
                missing.name,
                format!("is missing; the engine needs it ({})", missing.unit),
            ));
        }
        Ok(PolicyFile { jurisdiction, description: input.description, covers, parameters })
    }

    /// The value in force on `date`, if any.
    pub fn value_on(&self, name: &str, date: NaiveDate) -> Option<(&Parameter, &DatedValue)> {
        let parameter = self.parameters.get(name)?;
        let dated = parameter.values.iter().rev().find(|v| v.from <= date)?;
        Some((parameter, dated))
    }
}

/// A parameter must have a value on every day its file covers.
fn check_covered(
    file: &str,
    parameter: &Parameter,
    (first, last): (NaiveDate, NaiveDate),
) -> Result<(), PolicyError> {
    let Some(start) = parameter.values.iter().rev().find(|v| v.from <= first) else {
        return Err(parameter_error(
            file,
            &parameter.name,
            format!("has no value on {first}, the first day the file covers"),
        ));
    };
    let within = parameter.values.iter().filter(|v| v.from > first && v.from <= last);
    for dated in std::iter::once(start).chain(within) {
        if dated.value.is_none() && !dated.unknown {
            return Err(parameter_error(
                file,
                &parameter.name,
                format!(
                    "stops on {} but the file covers {first} to {last}; give the value that \
                     applies from then",
                    dated.from
                ),
            ));
        }
    }
    Ok(())
}

/// A parameter with a value dated in each of the two financial years before the last
/// one a file covers must have a value dated in that last year too. Without this check,
/// moving `covers.to` on a year without entering the year's uprated figures would
/// silently carry last year's amounts forward. A figure that really did not change is
/// entered again with the reference that says so; one not yet found is `unknown`.
fn check_not_carried_forward(
    file: &str,
    parameter: &Parameter,
    (_, last): (NaiveDate, NaiveDate),
    may_be_unknown: bool,
) -> Result<(), PolicyError> {
    // The years before the last need not be covered: their dated values are the evidence
    // that the figure changes every year.
    let Some(last_year) = FinancialYear::containing(last) else { return Ok(()) };
    let Some(year_before) = last_year.previous() else { return Ok(()) };
    let Some(two_before) = year_before.previous() else { return Ok(()) };
    let has_value_in = |year: FinancialYear| parameter.values.iter().any(|v| year.contains(v.from));
    if has_value_in(two_before) && has_value_in(year_before) && !has_value_in(last_year) {
        return Err(parameter_error(
            file,
            &parameter.name,
            format!(
                "has a value dated in each of {two_before} and {year_before} but none \
                 dated in {last_year}, the last year the file covers, so the {year_before} \
                 figure would carry forward unchecked; enter the {last_year} figure with its \
                 reference (the same amount again if it did not change{})",
                if may_be_unknown { ", or `value: unknown` if it has not been found" } else { "" }
            ),
        ));
    }
    Ok(())
}

/// Where the policy a process uses was read from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PolicyOrigin {
    /// The `policy/` files built into the binary.
    Embedded,
    /// A directory given at start ([`Policy::use_directory_files`]).
    Directory(std::path::PathBuf),
}

impl std::fmt::Display for PolicyOrigin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PolicyOrigin::Embedded => f.write_str("the policy files built into onebudget"),
            PolicyOrigin::Directory(dir) => write!(f, "the policy files in {}", dir.display()),
        }
    }
}

static IN_USE: OnceLock<Result<(Policy, PolicyOrigin), PolicyError>> = OnceLock::new();

/// A complete, checked set of policy files: one for the UK-wide benefit rates and one
/// for each nation.
#[derive(Clone, Debug)]
pub struct Policy {
    files: BTreeMap<Jurisdiction, PolicyFile>,
    /// Per nation (in [`Nation::ALL`] order), the dates on which any figure it uses
    /// changes, each with the rules in force from then: built once, so that finding the
    /// rules for a case is a bounds check and a short binary search.
    books: Vec<Book>,
}

#[derive(Clone, Debug)]
struct Book {
    /// The first day covered, as days from the common era, and each covered day's index
    /// into `rules`: one array read per case, with no branches to mispredict (a binary
    /// search over random dates was a fifth of a quiet assessment's time).
    first_day: i32,
    day_rules: Vec<u16>,
    rules: Vec<Arc<Rules>>,
}

impl Policy {
    /// Parse and check a set of (file name, contents).
    pub fn parse(files: &[(&str, &str)]) -> Result<Policy, PolicyError> {
        let mut parsed = BTreeMap::new();
        for (name, text) in files {
            let file = PolicyFile::parse(name, text)?;
            if parsed.contains_key(&file.jurisdiction) {
                return Err(file_error(name, format!("a second file for {}", file.jurisdiction)));
            }
            parsed.insert(file.jurisdiction, file);
        }
        for jurisdiction in Jurisdiction::ALL {
            if !parsed.contains_key(&jurisdiction) {
                return Err(file_error(
                    "policy",
                    format!(
                        "no file for {jurisdiction}; every nation and the UK benefit rates are needed"
                    ),
                ));
            }
        }
        let mut policy = Policy { files: parsed, books: Vec::new() };
        for nation in Nation::ALL {
            let (first, last) = policy
                .covers(nation)
                .ok_or_else(|| file_error("policy", format!("no file for {nation}")))?;
            let (starts, rules): (Vec<NaiveDate>, Vec<Arc<Rules>>) =
                policy.build_book(nation)?.into_iter().unzip();
            let day_rules = first
                .iter_days()
                .take_while(|day| *day <= last)
                .map(|day| {
                    let index = starts.partition_point(|from| *from <= day).saturating_sub(1);
                    u16::try_from(index).map_err(|_| {
                        file_error("policy", format!("{nation}: too many changes of rules"))
                    })
                })
                .collect::<Result<Vec<u16>, PolicyError>>()?;
            policy.books.push(Book { first_day: first.num_days_from_ce(), day_rules, rules });
        }
        Ok(policy)
    }

    /// The policy this process uses, parsed once: the files embedded in the binary, unless
    /// [`Policy::use_directory`] chose a directory before the first use.
    pub fn in_use() -> Result<&'static Policy, PolicyError> {
        IN_USE
            .get_or_init(|| Ok((Policy::parse(EMBEDDED_FILES)?, PolicyOrigin::Embedded)))
            .as_ref()
            .map(|(policy, _)| policy)
            .map_err(Clone::clone)
    }

    /// Where the policy in use was read from.
    pub fn origin() -> Result<&'static PolicyOrigin, PolicyError> {
        Policy::in_use()?;
        IN_USE
            .get()
            .and_then(|held| held.as_ref().ok())
            .map(|(_, origin)| origin)
            .ok_or_else(|| file_error("policy", "no policy is in use"))
    }

    /// Use the policy files read from `dir` instead of those embedded, for the rest of
    /// the process: the same five files as the repository's `policy/` (`uk/benefits.yaml`,
    /// `england.yaml`, `wales.yaml`, `scotland.yaml`, `northern_ireland.yaml`, named by
    /// [`EMBEDDED_FILES`]), given as (shown name, text) and checked exactly as the embedded
    /// ones are. The caller reads the files (core does no IO). This is how a council enters
    /// a figure from the circular it holds (one `policy/` marks unknown, or a new year's)
    /// without waiting for a release; every explanation cites the references the files
    /// give. Must be called before anything uses the policy.
    pub fn use_directory_files(
        dir: &std::path::Path,
        files: &[(&str, &str)],
    ) -> Result<&'static Policy, PolicyError> {
        let policy = Policy::parse(files)?;
        IN_USE.set(Ok((policy, PolicyOrigin::Directory(dir.to_path_buf())))).map_err(|_| {
            file_error(&dir.display().to_string(), "the policy in use was already chosen")
        })?;
        Policy::in_use()
    }

    pub fn file(&self, jurisdiction: Jurisdiction) -> Option<&PolicyFile> {
        self.files.get(&jurisdiction)
    }

    /// The days a nation's rules are held for: its own file's range within the UK file's.
    pub fn covers(&self, nation: Nation) -> Option<(NaiveDate, NaiveDate)> {
        let own = self.files.get(&Jurisdiction::from(nation))?.covers;
        let uk = self.files.get(&Jurisdiction::Uk)?.covers;
        Some((own.0.max(uk.0), own.1.min(uk.1)))
    }

    /// The rules in force for `nation` on `date`.
    #[inline]
    pub fn rules_on(&self, nation: Nation, date: NaiveDate) -> Result<&Arc<Rules>, PolicyError> {
        self.rules_on_day(nation, date.num_days_from_ce())
            .ok_or_else(|| self.not_covered(nation, date))
    }

    /// The error for a date outside the years held for `nation`, naming them.
    pub fn not_covered(&self, nation: Nation, date: NaiveDate) -> PolicyError {
        let (first, last) = self.covers(nation).unwrap_or((date, date));
        PolicyError::DateNotCovered {
            nation,
            date,
            first,
            last,
            years: financial_years(first, last),
        }
    }

    /// The rules in force for `nation` on a day given as days from the common era
    /// (`NaiveDate::num_days_from_ce`), or `None` outside the years covered: for
    /// population runs, which convert each case's date once.
    #[inline]
    pub fn rules_on_day(&self, nation: Nation, day: i32) -> Option<&Arc<Rules>> {
        let book = self.books.get(nation.index())?;
        let offset = usize::try_from(day.checked_sub(book.first_day)?).ok()?;
        book.rules.get(usize::from(*book.day_rules.get(offset)?))
    }

    /// Every day within the nation's cover on which some figure it uses changes.
    fn change_dates(&self, nation: Nation) -> Vec<NaiveDate> {
        let Some((first, last)) = self.covers(nation) else { return Vec::new() };
        let mut dates = vec![first];
        for jurisdiction in [Jurisdiction::Uk, Jurisdiction::from(nation)] {
            if let Some(file) = self.files.get(&jurisdiction) {
                for parameter in file.parameters.values() {
                    dates.extend(
                        parameter
                            .values
                            .iter()
                            .map(|v| v.from)
                            .filter(|d| *d > first && *d <= last),
                    );
                }
            }
        }
        dates.sort_unstable();
        dates.dedup();
        dates
    }

    fn build_book(&self, nation: Nation) -> Result<Vec<(NaiveDate, Arc<Rules>)>, PolicyError> {
        self.change_dates(nation)
            .into_iter()
            .map(|date| Ok((date, Arc::new(Rules::resolve(self, nation, date)?))))
            .collect()
    }

    /// A typed figure in force for a jurisdiction on a date.
    fn lookup(
        &self,
        jurisdiction: Jurisdiction,
        name: &str,
        date: NaiveDate,
    ) -> Result<Option<(Value, Arc<Source>)>, PolicyError> {
        let file = self
            .files
            .get(&jurisdiction)
            .ok_or_else(|| file_error("policy", format!("no file for {jurisdiction}")))?;
        let Some((parameter, dated)) = file.value_on(name, date) else { return Ok(None) };
        let Some(value) = dated.value else { return Ok(None) };
        let source = Source {
            parameter: format!("{jurisdiction}.{}", parameter.name),
            value: value.to_string(),
            from: dated.from,
            reference: (*dated.reference).clone(),
        };
        Ok(Some((value, Arc::new(source))))
    }
}

/// "2022/23 to 2025/26" for the financial years (April to March) a range spans.
pub fn financial_years(first: NaiveDate, last: NaiveDate) -> String {
    let name =
        |d: NaiveDate| FinancialYear::containing(d).map_or_else(|| d.to_string(), |y| y.label());
    format!("{} to {}", name(first), name(last))
}

pub use schema::Rules;
pub use schema::{
    BenefitRules, CapitalRule, EnglandRules, NationRules, NorthernIrelandRules, ScotlandRules,
    Tariff, WalesRules,
};

#[cfg(test)]
mod tests;
