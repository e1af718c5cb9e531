//! A personal-budget scheme as configuration: the needs questionnaire (versioned), the
//! funding streams with their eligibility rules, Resource Allocation Systems (dated) and
//! what each may pay for, and the categories of spend.
//!
//! [`SchemeInput`] is the YAML as written (`policy/budgets/*.yaml`); [`Scheme::parse`]
//! checks it whole and names the field of every problem, so a scheme that loads is one the
//! engine can use without further checks.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::field::{FieldError, parse_date};
use crate::money::Money;
use crate::policy::Reference;

use super::BudgetError;

/// The demo's scheme, embedded in the binary.
pub const ASHBY_VALE: &str = include_str!("../../../../policy/budgets/ashby-vale.yaml");

/// How severe a need is: the ladder every domain's levels are placed on, so that an
/// eligibility rule can say "two domains at severe or above" whatever the domain's own
/// wording. Ordered from no need to priority.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Band {
    None,
    Low,
    Moderate,
    High,
    Severe,
    Priority,
}

/// Who pays and whether the person is charged: the order in which the allocator spends
/// money (free first, then grants, then means-tested money the person may contribute to).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Charging {
    /// NHS money: free to the person, never charged.
    Free,
    /// A grant with its own test, not subject to the weekly care charge.
    Grant,
    /// Council social care: the person's assessed weekly contribution applies.
    MeansTested,
}

impl Charging {
    pub fn as_str(self) -> &'static str {
        match self {
            Charging::Free => "free",
            Charging::Grant => "grant",
            Charging::MeansTested => "means_tested",
        }
    }
}

// ----- the YAML as written -----

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SchemeInput {
    pub scheme: String,
    pub title: String,
    pub questionnaires: Vec<QuestionnaireInput>,
    pub categories: Vec<CategoryInput>,
    pub streams: Vec<StreamInput>,
    /// Keys starting `x-` hold YAML anchors shared by the entries above; any other key
    /// is refused as unknown.
    #[serde(flatten)]
    pub extensions: std::collections::BTreeMap<String, serde_yaml_ng::Value>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuestionnaireInput {
    pub version: String,
    pub effective_from: String,
    pub reference: Reference,
    pub domains: Vec<DomainInput>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DomainInput {
    pub code: String,
    pub title: String,
    /// The question the assessor answers for this domain.
    pub question: String,
    pub levels: Vec<LevelInput>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LevelInput {
    pub code: String,
    pub label: String,
    pub band: Band,
    pub points: u32,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CategoryInput {
    pub code: String,
    pub title: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamInput {
    /// The ledger's funding stream code (`ASC`, `PHB`, …).
    pub code: String,
    pub name: String,
    pub funder: String,
    pub charging: Charging,
    /// The ledger account the stream's money comes from.
    pub funding_account: String,
    pub eligibility: EligibilityInput,
    /// Dated versions of the stream's RAS; the one in force on the assessment date applies.
    pub ras: Vec<RasInput>,
    /// The categories of spend the stream may pay for.
    pub may_fund: Vec<String>,
    /// Why the stream may not pay for the other categories, where a rule says so.
    #[serde(default)]
    pub excluded: Vec<ExclusionInput>,
    /// Delivery modes the stream offers.
    pub modes: Vec<super::plan::DeliveryMode>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExclusionInput {
    pub category: String,
    pub reason: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EligibilityInput {
    pub rule: String,
    pub reference: Reference,
    /// Eligible when any clause holds.
    pub any_of: Vec<ClauseInput>,
    /// Streams this one takes over from when eligible (NHS continuing healthcare meets
    /// all assessed needs, so the council's stream does not fund the same person).
    #[serde(default)]
    pub replaces: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClauseInput {
    pub description: String,
    /// The domains counted; empty means every domain.
    #[serde(default)]
    pub domains: Vec<String>,
    pub band_at_least: Band,
    pub count_at_least: u32,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RasInput {
    pub effective_from: String,
    pub reference: Reference,
    /// The domains whose points count towards this stream's budget; empty means all.
    #[serde(default)]
    pub domains: Vec<String>,
    /// Pounds per point per week. Give this or `bands`.
    #[serde(default)]
    pub price_per_point: Option<Money>,
    #[serde(default)]
    pub bands: Vec<RasBandInput>,
    pub floor: Money,
    pub ceiling: Money,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RasBandInput {
    pub min_points: u32,
    pub weekly: Money,
}

// ----- the checked scheme -----

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Scheme {
    pub code: String,
    pub title: String,
    /// Oldest first.
    pub questionnaires: Vec<Questionnaire>,
    pub categories: Vec<Category>,
    pub streams: Vec<Stream>,
    /// Every needs domain of every questionnaire, first appearance first: a domain's
    /// position here is its bit in a [`DomainSet`].
    #[serde(skip)]
    pub(super) domain_codes: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Questionnaire {
    pub version: String,
    pub effective_from: NaiveDate,
    pub reference: Reference,
    pub domains: Vec<Domain>,
    /// Each domain's bit in the scheme's numbering, in the order of `domains`.
    #[serde(skip)]
    pub(super) domain_bits: Vec<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Domain {
    pub code: String,
    pub title: String,
    pub question: String,
    pub levels: Vec<Level>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Level {
    pub code: String,
    pub label: String,
    pub band: Band,
    pub points: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Category {
    pub code: String,
    pub title: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Stream {
    pub code: String,
    pub name: String,
    pub funder: String,
    pub charging: Charging,
    pub funding_account: String,
    pub eligibility: Eligibility,
    /// Oldest first.
    pub ras: Vec<Ras>,
    /// Indexes into [`Scheme::categories`], as a bit set for the allocator.
    pub may_fund: u64,
    pub excluded: Vec<(String, String)>,
    pub modes: Vec<super::plan::DeliveryMode>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Eligibility {
    pub rule: String,
    pub reference: Reference,
    pub any_of: Vec<Clause>,
    pub replaces: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Clause {
    pub description: String,
    /// Domain codes; empty means every domain.
    pub domains: Vec<String>,
    pub band_at_least: Band,
    pub count_at_least: u32,
    /// `domains` as bits, so that eligibility compares no strings.
    #[serde(skip)]
    pub(super) domain_set: DomainSet,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Ras {
    pub effective_from: NaiveDate,
    pub reference: Reference,
    pub domains: Vec<String>,
    pub method: RasMethod,
    pub floor: Money,
    pub ceiling: Money,
    /// `domains` as bits, so that counting points compares no strings.
    #[serde(skip)]
    pub(super) domain_set: DomainSet,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RasMethod {
    PricePerPoint(Money),
    /// Lowest band first; the first band starts at 0 points.
    Bands(Vec<(u32, Money)>),
}

/// The most categories a scheme may declare (the allocator keeps them as a bit set).
pub const MAX_CATEGORIES: usize = 64;

/// The most distinct needs domains a scheme's questionnaires may have between them
/// (eligibility and the RAS test them as a bit set).
pub const MAX_DOMAINS: usize = 64;

/// Some of a scheme's needs domains, as the engine tests them: every domain (a list left
/// empty in the scheme), or those whose bits are set. Built once, when the scheme is
/// parsed, from the domain codes it is written with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DomainSet {
    all: bool,
    mask: u64,
}

impl DomainSet {
    fn of(codes: &[String], domain_codes: &[String]) -> DomainSet {
        let mask = codes
            .iter()
            .filter_map(|code| domain_codes.iter().position(|c| c == code))
            .fold(0_u64, |mask, i| mask | domain_bit(i));
        DomainSet { all: codes.is_empty(), mask }
    }

    /// Whether the domain with `bit` (zero for a domain the scheme does not know) is in
    /// the set.
    pub fn contains(self, bit: u64) -> bool {
        self.all || self.mask & bit != 0
    }
}

fn domain_bit(index: usize) -> u64 {
    if index < MAX_DOMAINS { 1_u64 << index } else { 0 }
}

fn refuse(field: String, value: &str, problem: impl Into<String>) -> BudgetError {
    BudgetError::Field(FieldError::new(&field, value, problem))
}

fn code_ok(field: &str, code: &str) -> Result<(), BudgetError> {
    let ok = !code.is_empty()
        && code.len() <= 40
        && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(())
    } else {
        Err(refuse(field.to_owned(), code, "a code is 1 to 40 letters, digits, '_' or '-'"))
    }
}

impl Scheme {
    /// Parse a scheme from YAML, checking it whole.
    pub fn from_yaml(text: &str) -> Result<Scheme, BudgetError> {
        let input: SchemeInput = serde_yaml_ng::from_str(text)
            .map_err(|e| BudgetError::Refused(format!("the scheme file is not valid: {e}")))?;
        Scheme::parse(&input)
    }

    /// The demo's scheme, as embedded.
    pub fn ashby_vale() -> Result<Scheme, BudgetError> {
        Scheme::from_yaml(ASHBY_VALE)
    }

    pub fn parse(input: &SchemeInput) -> Result<Scheme, BudgetError> {
        code_ok("scheme", &input.scheme)?;
        if let Some(key) = input.extensions.keys().find(|k| !k.starts_with("x-")) {
            return Err(refuse(
                key.clone(),
                key,
                "unknown key: a scheme has scheme, title, questionnaires, categories and \
                 streams (and x- keys for shared YAML anchors)",
            ));
        }
        if input.questionnaires.is_empty() {
            return Err(refuse("questionnaires".into(), "", "give at least one questionnaire"));
        }
        let mut questionnaires = Vec::new();
        let mut last_date: Option<NaiveDate> = None;
        let mut versions = BTreeSet::new();
        for (i, q) in input.questionnaires.iter().enumerate() {
            let at = format!("questionnaires[{i}]");
            let effective_from = parse_date(&format!("{at}.effective_from"), &q.effective_from)?;
            if last_date.is_some_and(|d| d >= effective_from) {
                return Err(refuse(
                    format!("{at}.effective_from"),
                    &q.effective_from,
                    "list questionnaire versions oldest first, each from a later date",
                ));
            }
            last_date = Some(effective_from);
            if !versions.insert(q.version.clone()) {
                return Err(refuse(format!("{at}.version"), &q.version, "versions must differ"));
            }
            if q.domains.is_empty() {
                return Err(refuse(format!("{at}.domains"), "", "give at least one domain"));
            }
            let mut domains = Vec::new();
            let mut domain_codes = BTreeSet::new();
            for (j, d) in q.domains.iter().enumerate() {
                let at = format!("{at}.domains[{j}]");
                code_ok(&format!("{at}.code"), &d.code)?;
                if !domain_codes.insert(d.code.clone()) {
                    return Err(refuse(format!("{at}.code"), &d.code, "domain codes must differ"));
                }
                if d.levels.is_empty() {
                    return Err(refuse(format!("{at}.levels"), "", "give at least one level"));
                }
                let mut levels = Vec::new();
                let mut level_codes = BTreeSet::new();
                for (k, l) in d.levels.iter().enumerate() {
                    let lat = format!("{at}.levels[{k}]");
                    code_ok(&format!("{lat}.code"), &l.code)?;
                    if !level_codes.insert(l.code.clone()) {
                        return Err(refuse(
                            format!("{lat}.code"),
                            &l.code,
                            "level codes must differ within a domain",
                        ));
                    }
                    if let Some(previous) = levels.last().map(|p: &Level| (p.band, p.points))
                        && (l.band < previous.0 || l.points < previous.1)
                    {
                        return Err(refuse(
                            format!("{lat}.points"),
                            &l.points.to_string(),
                            "list levels from least to most need: bands and points never go down",
                        ));
                    }
                    levels.push(Level {
                        code: l.code.clone(),
                        label: l.label.clone(),
                        band: l.band,
                        points: l.points,
                    });
                }
                domains.push(Domain {
                    code: d.code.clone(),
                    title: d.title.clone(),
                    question: d.question.clone(),
                    levels,
                });
            }
            questionnaires.push(Questionnaire {
                version: q.version.clone(),
                effective_from,
                reference: q.reference.clone(),
                domains,
                domain_bits: Vec::new(),
            });
        }
        let mut domain_codes: Vec<String> = Vec::new();
        for d in questionnaires.iter().flat_map(|q| &q.domains) {
            if !domain_codes.contains(&d.code) {
                domain_codes.push(d.code.clone());
            }
        }
        if domain_codes.len() > MAX_DOMAINS {
            return Err(refuse(
                "questionnaires".into(),
                &domain_codes.len().to_string(),
                format!(
                    "a scheme's questionnaires have at most {MAX_DOMAINS} domains between them"
                ),
            ));
        }
        for q in &mut questionnaires {
            q.domain_bits = q
                .domains
                .iter()
                .map(|d| domain_codes.iter().position(|c| *c == d.code).map_or(0, domain_bit))
                .collect();
        }
        let all_domains: BTreeSet<&str> = domain_codes.iter().map(String::as_str).collect();

        if input.categories.len() > MAX_CATEGORIES {
            return Err(refuse(
                "categories".into(),
                &input.categories.len().to_string(),
                format!("a scheme has at most {MAX_CATEGORIES} categories of spend"),
            ));
        }
        let mut categories: Vec<Category> = Vec::new();
        for (i, c) in input.categories.iter().enumerate() {
            code_ok(&format!("categories[{i}].code"), &c.code)?;
            if categories.iter().any(|x| x.code == c.code) {
                return Err(refuse(
                    format!("categories[{i}].code"),
                    &c.code,
                    "category codes must differ",
                ));
            }
            categories.push(Category { code: c.code.clone(), title: c.title.clone() });
        }
        let category_bit = |field: String, code: &str| -> Result<u64, BudgetError> {
            categories.iter().position(|c| c.code == code).map(|i| 1_u64 << i).ok_or_else(|| {
                refuse(field, code, "not one of the scheme's categories; add it under categories")
            })
        };

        let stream_codes: Vec<&str> = input.streams.iter().map(|s| s.code.as_str()).collect();
        if input.streams.is_empty() {
            return Err(refuse("streams".into(), "", "give at least one funding stream"));
        }
        let mut streams = Vec::new();
        for (i, s) in input.streams.iter().enumerate() {
            let at = format!("streams[{i}]");
            code_ok(&format!("{at}.code"), &s.code)?;
            if stream_codes.iter().filter(|c| **c == s.code).count() > 1 {
                return Err(refuse(format!("{at}.code"), &s.code, "stream codes must differ"));
            }
            let mut may_fund = 0_u64;
            for (j, c) in s.may_fund.iter().enumerate() {
                may_fund |= category_bit(format!("{at}.may_fund[{j}]"), c)?;
            }
            let mut excluded = Vec::new();
            for (j, e) in s.excluded.iter().enumerate() {
                let bit = category_bit(format!("{at}.excluded[{j}].category"), &e.category)?;
                if may_fund & bit != 0 {
                    return Err(refuse(
                        format!("{at}.excluded[{j}].category"),
                        &e.category,
                        "a category cannot be both funded and excluded",
                    ));
                }
                excluded.push((e.category.clone(), e.reason.clone()));
            }
            if s.modes.is_empty() {
                return Err(refuse(format!("{at}.modes"), "", "give at least one delivery mode"));
            }
            if s.charging != Charging::Free
                && s.modes.contains(&super::plan::DeliveryMode::Notional)
            {
                return Err(refuse(
                    format!("{at}.modes"),
                    "notional",
                    "a notional budget is NHS-commissioned: only a free stream offers it",
                ));
            }
            let e = &s.eligibility;
            if e.any_of.is_empty() {
                return Err(refuse(
                    format!("{at}.eligibility.any_of"),
                    "",
                    "give at least one clause",
                ));
            }
            let mut clauses = Vec::new();
            for (j, c) in e.any_of.iter().enumerate() {
                for (k, d) in c.domains.iter().enumerate() {
                    if !all_domains.contains(d.as_str()) {
                        return Err(refuse(
                            format!("{at}.eligibility.any_of[{j}].domains[{k}]"),
                            d,
                            "not a domain of any questionnaire",
                        ));
                    }
                }
                if c.count_at_least == 0 {
                    return Err(refuse(
                        format!("{at}.eligibility.any_of[{j}].count_at_least"),
                        "0",
                        "a clause that needs no domain would make everyone eligible",
                    ));
                }
                clauses.push(Clause {
                    description: c.description.clone(),
                    domains: c.domains.clone(),
                    band_at_least: c.band_at_least,
                    count_at_least: c.count_at_least,
                    domain_set: DomainSet::of(&c.domains, &domain_codes),
                });
            }
            for (j, r) in e.replaces.iter().enumerate() {
                if !stream_codes.contains(&r.as_str()) || *r == s.code {
                    return Err(refuse(
                        format!("{at}.eligibility.replaces[{j}]"),
                        r,
                        "name another stream of this scheme",
                    ));
                }
            }
            if s.ras.is_empty() {
                return Err(refuse(format!("{at}.ras"), "", "give at least one RAS version"));
            }
            let mut ras = Vec::new();
            let mut last: Option<NaiveDate> = None;
            for (j, r) in s.ras.iter().enumerate() {
                let rat = format!("{at}.ras[{j}]");
                let effective_from =
                    parse_date(&format!("{rat}.effective_from"), &r.effective_from)?;
                if last.is_some_and(|d| d >= effective_from) {
                    return Err(refuse(
                        format!("{rat}.effective_from"),
                        &r.effective_from,
                        "list RAS versions oldest first, each from a later date",
                    ));
                }
                last = Some(effective_from);
                for (k, d) in r.domains.iter().enumerate() {
                    if !all_domains.contains(d.as_str()) {
                        return Err(refuse(
                            format!("{rat}.domains[{k}]"),
                            d,
                            "not a domain of any questionnaire",
                        ));
                    }
                }
                if r.floor.is_negative() || r.ceiling < r.floor {
                    return Err(refuse(
                        format!("{rat}.ceiling"),
                        &r.ceiling.to_plain_string(),
                        "the floor must be zero or more and the ceiling at least the floor",
                    ));
                }
                let method = match (r.price_per_point, r.bands.is_empty()) {
                    (Some(price), true) if price.is_positive() => RasMethod::PricePerPoint(price),
                    (Some(price), true) => {
                        return Err(refuse(
                            format!("{rat}.price_per_point"),
                            &price.to_plain_string(),
                            "a price per point must be more than zero",
                        ));
                    }
                    (None, false) => {
                        let mut bands = Vec::new();
                        for (k, b) in r.bands.iter().enumerate() {
                            let ok = match bands.last() {
                                None => b.min_points == 0,
                                Some((p, w)) => b.min_points > *p && b.weekly >= *w,
                            };
                            if !ok || b.weekly.is_negative() {
                                return Err(refuse(
                                    format!("{rat}.bands[{k}].min_points"),
                                    &b.min_points.to_string(),
                                    "bands start at 0 points, then rise in points, and their \
                                     weekly amounts never go down",
                                ));
                            }
                            bands.push((b.min_points, b.weekly));
                        }
                        RasMethod::Bands(bands)
                    }
                    _ => {
                        return Err(refuse(
                            rat,
                            "",
                            "give either price_per_point or bands, not both and not neither",
                        ));
                    }
                };
                ras.push(Ras {
                    effective_from,
                    reference: r.reference.clone(),
                    domains: r.domains.clone(),
                    method,
                    floor: r.floor,
                    ceiling: r.ceiling,
                    domain_set: DomainSet::of(&r.domains, &domain_codes),
                });
            }
            streams.push(Stream {
                code: s.code.clone(),
                name: s.name.clone(),
                funder: s.funder.clone(),
                charging: s.charging,
                funding_account: s.funding_account.clone(),
                eligibility: Eligibility {
                    rule: e.rule.clone(),
                    reference: e.reference.clone(),
                    any_of: clauses,
                    replaces: e.replaces.clone(),
                },
                ras,
                may_fund,
                excluded,
                modes: s.modes.clone(),
            });
        }
        Ok(Scheme {
            code: input.scheme.clone(),
            title: input.title.clone(),
            questionnaires,
            categories,
            streams,
            domain_codes,
        })
    }

    /// The questionnaire in force on `date`.
    pub fn questionnaire_on(&self, date: NaiveDate) -> Result<&Questionnaire, BudgetError> {
        self.questionnaires.iter().rev().find(|q| q.effective_from <= date).ok_or_else(|| {
            BudgetError::Refused(format!(
                "no needs questionnaire is in force on {date}; the first starts on {}",
                self.questionnaires
                    .first()
                    .map_or_else(String::new, |q| q.effective_from.to_string())
            ))
        })
    }

    /// The questionnaire with this version.
    pub fn questionnaire(&self, version: &str) -> Result<&Questionnaire, BudgetError> {
        self.questionnaires.iter().find(|q| q.version == version).ok_or_else(|| {
            BudgetError::Field(FieldError::new(
                "questionnaire",
                version,
                format!(
                    "no such questionnaire version; the scheme has {}",
                    self.questionnaires
                        .iter()
                        .map(|q| q.version.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ))
        })
    }

    /// A domain's bit in the scheme's numbering (zero for a domain no questionnaire has).
    pub fn domain_bit(&self, code: &str) -> u64 {
        self.domain_codes.iter().position(|c| c == code).map_or(0, domain_bit)
    }

    pub fn stream(&self, code: &str) -> Option<&Stream> {
        self.streams.iter().find(|s| s.code == code)
    }

    /// The index of a category, if the scheme has it.
    pub fn category_index(&self, code: &str) -> Option<usize> {
        self.categories.iter().position(|c| c.code == code)
    }
}

impl Stream {
    /// The RAS version in force on `date`.
    pub fn ras_on(&self, date: NaiveDate) -> Result<&Ras, BudgetError> {
        self.ras.iter().rev().find(|r| r.effective_from <= date).ok_or_else(|| {
            BudgetError::Refused(format!(
                "stream {} has no Resource Allocation System in force on {date}",
                self.code
            ))
        })
    }

    pub fn may_fund_category(&self, index: usize) -> bool {
        index < MAX_CATEGORIES && self.may_fund & (1_u64 << index) != 0
    }
}
