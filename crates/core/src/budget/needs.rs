//! One needs assessment: answers to the questionnaire in force, scored, and each funding
//! stream's eligibility decided from them with the reason.
//!
//! An assessment names the questionnaire version it used, so an old assessment is scored
//! by its own questions and points even after the questionnaire changes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use smallvec::SmallVec;

use crate::field::FieldError;

use super::BudgetError;
use super::config::{Band, Clause, DomainSet, Questionnaire, Scheme};

/// The answers as given: domain code → level code.
pub type Answers = BTreeMap<String, String>;

/// One domain's answer, scored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainScore {
    pub domain: String,
    pub level: String,
    pub band: Band,
    pub points: u32,
}

/// A scored assessment: one score per domain of its questionnaire, in the
/// questionnaire's order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scores {
    pub questionnaire: String,
    pub domains: Vec<DomainScore>,
}

impl Scores {
    /// Points over `domains` (every domain when empty).
    pub fn points(&self, domains: &[String]) -> u32 {
        self.domains
            .iter()
            .filter(|d| domains.is_empty() || domains.contains(&d.domain))
            .map(|d| d.points)
            .fold(0_u32, u32::saturating_add)
    }

    pub fn total(&self) -> u32 {
        self.points(&[])
    }

    /// The clause's domains at its band or above, by name, for the reasons (the decision
    /// itself counts with [`Scored`]).
    fn count_at_least(&self, clause: &Clause) -> (u32, Vec<&str>) {
        let hits: Vec<&str> = self
            .domains
            .iter()
            .filter(|d| clause.domains.is_empty() || clause.domains.contains(&d.domain))
            .filter(|d| d.band >= clause.band_at_least)
            .map(|d| d.domain.as_str())
            .collect();
        (u32::try_from(hits.len()).unwrap_or(u32::MAX), hits)
    }
}

/// Scores with each domain's bit in the scheme's numbering, so that eligibility and the
/// RAS count without comparing domain codes. A domain the scheme does not know has no bit
/// and counts only towards "every domain". Counts the same as [`Scores::points`] and the
/// clauses' own domain lists, which name only domains the scheme has.
pub(super) struct Scored<'a> {
    scores: &'a Scores,
    bits: SmallVec<[u64; 16]>,
}

impl<'a> Scored<'a> {
    pub(super) fn new(scheme: &Scheme, scores: &'a Scores) -> Scored<'a> {
        let questionnaire =
            scheme.questionnaires.iter().find(|q| q.version == scores.questionnaire);
        Scored::with(scheme, questionnaire, scores)
    }

    /// [`Scored::new`], given the scores' questionnaire already found.
    pub(super) fn with(
        scheme: &Scheme,
        questionnaire: Option<&Questionnaire>,
        scores: &'a Scores,
    ) -> Scored<'a> {
        let bits = scores
            .domains
            .iter()
            .enumerate()
            .map(|(i, d)| {
                // Scores from `score` are in their questionnaire's order.
                let in_place = questionnaire
                    .and_then(|q| Some((q.domains.get(i)?, q.domain_bits.get(i)?)))
                    .filter(|(domain, _)| domain.code == d.domain);
                in_place.map_or_else(|| scheme.domain_bit(&d.domain), |(_, bit)| *bit)
            })
            .collect();
        Scored { scores, bits }
    }

    /// Points over the domains in `set`.
    pub(super) fn points(&self, set: DomainSet) -> u32 {
        self.scores
            .domains
            .iter()
            .zip(&self.bits)
            .filter(|(_, bit)| set.contains(**bit))
            .map(|(d, _)| d.points)
            .fold(0_u32, u32::saturating_add)
    }

    /// How many of the clause's domains are at its band or above.
    fn count_at_least(&self, clause: &Clause) -> u32 {
        self.scores
            .domains
            .iter()
            .zip(&self.bits)
            .filter(|(d, bit)| clause.domain_set.contains(**bit) && d.band >= clause.band_at_least)
            .fold(0_u32, |n, _| n.saturating_add(1))
    }
}

/// Score `answers` against `questionnaire`. Every domain must be answered with one of its
/// levels; an unknown domain or level is refused, naming it and the levels allowed.
pub fn score(questionnaire: &Questionnaire, answers: &Answers) -> Result<Scores, BudgetError> {
    for domain in answers.keys() {
        if !questionnaire.domains.iter().any(|d| &d.code == domain) {
            return Err(BudgetError::Field(FieldError::new(
                &format!("answers.{domain}"),
                domain,
                format!(
                    "questionnaire {} has no such domain; its domains are {}",
                    questionnaire.version,
                    questionnaire
                        .domains
                        .iter()
                        .map(|d| d.code.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )));
        }
    }
    let mut domains = Vec::with_capacity(questionnaire.domains.len());
    for domain in &questionnaire.domains {
        let field = format!("answers.{}", domain.code);
        let Some(answer) = answers.get(&domain.code) else {
            return Err(BudgetError::Field(FieldError::new(
                &field,
                "",
                format!(
                    "{} is not answered; answer one of {}",
                    domain.title,
                    levels_list(questionnaire, &domain.code)
                ),
            )));
        };
        let Some(level) = domain.levels.iter().find(|l| &l.code == answer) else {
            return Err(BudgetError::Field(FieldError::new(
                &field,
                answer,
                format!(
                    "not on the scale of {}; answer one of {}",
                    domain.title,
                    levels_list(questionnaire, &domain.code)
                ),
            )));
        };
        domains.push(DomainScore {
            domain: domain.code.clone(),
            level: level.code.clone(),
            band: level.band,
            points: level.points,
        });
    }
    Ok(Scores { questionnaire: questionnaire.version.clone(), domains })
}

fn levels_list(questionnaire: &Questionnaire, domain: &str) -> String {
    questionnaire
        .domains
        .iter()
        .find(|d| d.code == domain)
        .map(|d| d.levels.iter().map(|l| l.code.as_str()).collect::<Vec<_>>().join(", "))
        .unwrap_or_default()
}

/// One stream's eligibility decision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub stream: String,
    pub eligible: bool,
    /// The rule and its source, and which clause held or why none did.
    pub reason: String,
    /// The stream that took over this one's responsibility, if any.
    pub replaced_by: Option<String>,
}

/// Decide every stream's eligibility, in the scheme's order, with the reasons.
pub fn eligibility(scheme: &Scheme, scores: &Scores) -> Vec<Decision> {
    eligibility_with(scheme, scores, true)
}

/// [`eligibility`]; with `reasons` false the reasons are left empty (the decisions are
/// the same).
pub fn eligibility_with(scheme: &Scheme, scores: &Scores, reasons: bool) -> Vec<Decision> {
    eligibility_scored(scheme, &Scored::new(scheme, scores), reasons)
}

/// [`eligibility_with`] over scores already given their domain bits.
pub(super) fn eligibility_scored(
    scheme: &Scheme,
    scored: &Scored<'_>,
    reasons: bool,
) -> Vec<Decision> {
    let scores = scored.scores;
    let mut decisions: Vec<Decision> = scheme
        .streams
        .iter()
        .map(|stream| {
            let rule = &stream.eligibility;
            // Whether a clause holds is decided by the bits, the same with or without
            // reasons; the reasons list the domains by name.
            let held = rule
                .any_of
                .iter()
                .find(|clause| scored.count_at_least(clause) >= clause.count_at_least);
            let eligible = held.is_some();
            let reason = match held {
                _ if !reasons => String::new(),
                Some(clause) => format!(
                    "eligible under {} ({}): {} — met by {}",
                    rule.rule,
                    rule.reference.title,
                    clause.description,
                    scores.count_at_least(clause).1.join(", ")
                ),
                None => format!(
                    "not eligible under {} ({}): {}",
                    rule.rule,
                    rule.reference.title,
                    rule.any_of
                        .iter()
                        .map(|clause| {
                            let count = scored.count_at_least(clause);
                            format!(
                                "{} needs {} domain(s) at {:?} or above, found {count}",
                                clause.description, clause.count_at_least, clause.band_at_least
                            )
                        })
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
            };
            Decision { stream: stream.code.clone(), eligible, reason, replaced_by: None }
        })
        .collect();
    // A stream that replaces others (continuing healthcare meets all assessed needs)
    // takes their place when eligible. The decisions are in the scheme's order.
    for (i, stream) in scheme.streams.iter().enumerate() {
        let eligible = decisions.get(i).is_some_and(|d| d.eligible);
        if !eligible || stream.eligibility.replaces.is_empty() {
            continue;
        }
        for replaced in &stream.eligibility.replaces {
            if let Some(d) = decisions.iter_mut().find(|d| &d.stream == replaced && d.eligible) {
                d.eligible = false;
                d.replaced_by = Some(stream.code.clone());
                if reasons {
                    d.reason = format!(
                        "{}; but {} meets these needs instead ({})",
                        d.reason, stream.name, stream.eligibility.rule
                    );
                }
            }
        }
    }
    decisions
}
