//! One needs assessment: answers to the questionnaire in force, scored, and each funding
//! stream's eligibility decided from them with the reason.
//!
//! An assessment names the questionnaire version it used, so an old assessment is scored
//! by its own questions and points even after the questionnaire changes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::field::FieldError;

use super::BudgetError;
use super::config::{Band, Clause, Questionnaire, Scheme};

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
    let mut decisions: Vec<Decision> = scheme
        .streams
        .iter()
        .map(|stream| {
            let rule = &stream.eligibility;
            let held = rule.any_of.iter().find_map(|clause| {
                let (count, hits) = scores.count_at_least(clause);
                (count >= clause.count_at_least).then_some((clause, hits))
            });
            let eligible = held.is_some();
            let reason = match held {
                _ if !reasons => String::new(),
                Some((clause, hits)) => format!(
                    "eligible under {} ({}): {} — met by {}",
                    rule.rule,
                    rule.reference.title,
                    clause.description,
                    hits.join(", ")
                ),
                None => format!(
                    "not eligible under {} ({}): {}",
                    rule.rule,
                    rule.reference.title,
                    rule.any_of
                        .iter()
                        .map(|clause| {
                            let (count, _) = scores.count_at_least(clause);
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
    // takes their place when eligible.
    for stream in &scheme.streams {
        let eligible = decisions.iter().any(|d| d.stream == stream.code && d.eligible);
        if !eligible {
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
