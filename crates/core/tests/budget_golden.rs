//! Golden personal-budget cases, worked by hand (`tests/golden/budgets/*.json`, each with
//! its working): needs scoring, eligibility, the RAS, the allocation of plan lines to
//! streams and the contribution must reproduce every figure to the penny. Domains a case
//! does not list are answered at their lowest level.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::BTreeMap;
use std::path::Path;

use onebudget_core::Money;
use onebudget_core::budget::config::Scheme;
use onebudget_core::budget::needs::{Answers, score};
use onebudget_core::budget::plan::{PlanInput, decide};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Golden {
    description: String,
    working: Vec<String>,
    date: chrono::NaiveDate,
    questionnaire: String,
    answers: Answers,
    plan: PlanInput,
    assessed_charge: Money,
    expected: Expected,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Expected {
    eligible: Vec<String>,
    components: Vec<ExpectedComponent>,
    lines: Vec<ExpectedLine>,
    budget: Money,
    plan_cost: Money,
    unfunded: Money,
    weekly_contribution: Money,
    warnings: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectedComponent {
    stream: String,
    indicative: Money,
    agreed: Money,
    allocated: Money,
    person_pays: Money,
    funder_pays: Money,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectedLine {
    funded: BTreeMap<String, Money>,
    unfunded: Money,
}

#[test]
fn golden_budgets_reproduce_the_hand_worked_figures() {
    let scheme = Scheme::ashby_vale().unwrap();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/budgets");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert!(files.len() >= 4, "golden budget cases are missing");
    for path in files.iter().filter(|p| p.extension().is_some_and(|e| e == "json")) {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let golden: Golden =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).expect(&name);
        assert!(!golden.description.is_empty() && !golden.working.is_empty(), "{name}");
        let questionnaire = scheme.questionnaire(&golden.questionnaire).unwrap();
        let mut answers = golden.answers.clone();
        for domain in &questionnaire.domains {
            answers.entry(domain.code.clone()).or_insert_with(|| domain.levels[0].code.clone());
        }
        let scores = score(questionnaire, &answers).expect(&name);
        let decision = decide(&scheme, &scores, golden.date, &golden.plan, golden.assessed_charge)
            .expect(&name);
        let e = &golden.expected;
        let eligible: Vec<String> =
            decision.eligibility.iter().filter(|d| d.eligible).map(|d| d.stream.clone()).collect();
        assert_eq!(eligible, e.eligible, "{name}: eligible streams");
        assert_eq!(decision.components.len(), e.components.len(), "{name}: components");
        for (got, want) in decision.components.iter().zip(&e.components) {
            let at = format!("{name}: component {}", want.stream);
            assert_eq!(got.stream, want.stream, "{at}");
            assert_eq!(got.indicative.weekly, want.indicative, "{at}: indicative");
            assert_eq!(got.agreed, want.agreed, "{at}: agreed");
            assert_eq!(got.allocated, want.allocated, "{at}: allocated");
            assert_eq!(got.person_pays, want.person_pays, "{at}: person pays");
            assert_eq!(got.funder_pays, want.funder_pays, "{at}: funder pays");
        }
        assert_eq!(decision.lines.len(), e.lines.len(), "{name}: lines");
        for (got, want) in decision.lines.iter().zip(&e.lines) {
            let funded: BTreeMap<String, Money> =
                got.funded.iter().map(|f| (f.stream.clone(), f.amount)).collect();
            assert_eq!(funded, want.funded, "{name}: line {} funding", got.number);
            assert_eq!(got.unfunded, want.unfunded, "{name}: line {} unfunded", got.number);
            assert!(!got.explanation.is_empty(), "{name}: line {} explained", got.number);
        }
        assert_eq!(decision.budget, e.budget, "{name}: budget");
        assert_eq!(decision.plan_cost, e.plan_cost, "{name}: plan cost");
        assert_eq!(decision.unfunded, e.unfunded, "{name}: unfunded");
        assert_eq!(decision.weekly_contribution, e.weekly_contribution, "{name}: contribution");
        assert_eq!(decision.warnings.len(), e.warnings, "{name}: {:?}", decision.warnings);
    }
}
