//! Golden cases: published worked examples of financial assessments, each transcribed
//! into a case with the figures its source states (see `tests/golden/*.json`: every file
//! carries the source's address and the lines quoted from it). The engine, with the
//! policy embedded in the binary, must reproduce every stated figure to the penny.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::BTreeSet;
use std::path::Path;

use onebudget_core::Money;
use onebudget_core::assessment::{
    AssessError, Case, CaseInput, LocalOptions, Setting, assess_explained,
};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Golden {
    name: String,
    source: Source,
    assumptions: Vec<String>,
    case: CaseInput,
    expected: Expected,
    /// A figure the case needs that the policy marks unknown: until it is added, the
    /// engine must refuse the case naming it.
    pending: Option<Pending>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Pending {
    figure: String,
    note: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Source {
    title: String,
    href: String,
    quote: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Expected {
    weekly_charge: Money,
    weekly_tariff_income: Option<Money>,
    full_cost: Option<bool>,
    assessable_income: Option<Money>,
    arrangement_fee_set_up: Option<Money>,
    arrangement_fee_annual: Option<Money>,
}

fn load() -> Vec<(String, Golden)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&path).unwrap();
            let golden: Golden =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
            (name, golden)
        })
        .collect()
}

#[test]
fn every_golden_case_reproduces_its_published_figures() {
    let mut failures = Vec::new();
    for (file, golden) in load() {
        let case = match Case::parse(&golden.case, LocalOptions::default()) {
            Ok(case) => case,
            Err(e) => {
                failures.push(format!("{file}: the case does not parse: {e}"));
                continue;
            }
        };
        let result = assess_explained(&case);
        if let Some(pending) = &golden.pending {
            assert!(!pending.note.is_empty(), "{file}: say why the case is pending");
            match result {
                Err(AssessError::MissingFigure { nation, parameter, .. })
                    if format!("{nation}.{parameter}") == pending.figure => {}
                Err(e) => failures.push(format!("{file}: pending {}, but: {e}", pending.figure)),
                Ok(_) => failures.push(format!(
                    "{file}: {} is now in the policy: remove \"pending\" so the published \
                     figures are checked",
                    pending.figure
                )),
            }
            continue;
        }
        let (outcome, steps) = match result {
            Ok(result) => result,
            Err(e) => {
                failures.push(format!("{file}: {e}"));
                continue;
            }
        };
        let expected = &golden.expected;
        let mut wrong = Vec::new();
        if outcome.weekly_charge != expected.weekly_charge {
            wrong.push(format!(
                "weekly_charge {} (published {})",
                outcome.weekly_charge, expected.weekly_charge
            ));
        }
        if let Some(tariff) = expected.weekly_tariff_income
            && outcome.weekly_tariff_income != tariff
        {
            wrong.push(format!(
                "weekly_tariff_income {} (published {tariff})",
                outcome.weekly_tariff_income
            ));
        }
        if let Some(full) = expected.full_cost
            && outcome.full_cost != full
        {
            wrong.push(format!("full_cost {} (published {full})", outcome.full_cost));
        }
        if let Some(assessable) = expected.assessable_income
            && outcome.assessable_income != assessable
        {
            wrong.push(format!(
                "assessable_income {} (published {assessable})",
                outcome.assessable_income
            ));
        }
        for (name, expected, got) in [
            (
                "arrangement_fee_set_up",
                expected.arrangement_fee_set_up,
                outcome.arrangement_fee_set_up,
            ),
            (
                "arrangement_fee_annual",
                expected.arrangement_fee_annual,
                outcome.arrangement_fee_annual,
            ),
        ] {
            if let Some(expected) = expected
                && got != expected
            {
                wrong.push(format!("{name} {got} (published {expected})"));
            }
        }
        if !wrong.is_empty() {
            let explained: Vec<String> =
                steps.iter().map(|s| format!("    {} [{}]", s.explanation, s.effect)).collect();
            failures.push(format!(
                "{file} ({}): {}\n  source: {}\n{}",
                golden.name,
                wrong.join("; "),
                golden.source.href,
                explained.join("\n")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} golden case(s) differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn the_golden_set_covers_every_nation_both_settings_and_three_years() {
    let cases = load();
    assert!(cases.len() >= 15, "at least 15 golden cases, found {}", cases.len());
    let checked = cases.iter().filter(|(_, g)| g.pending.is_none()).count();
    assert!(checked >= 15, "at least 15 golden cases checked to the penny, found {checked}");
    let nations: BTreeSet<_> = cases.iter().map(|(_, g)| g.case.nation).collect();
    assert_eq!(nations.len(), 4, "every nation has a golden case: {nations:?}");
    let settings: BTreeSet<_> = cases.iter().map(|(_, g)| g.case.setting.as_str()).collect();
    assert!(settings.contains(Setting::CareHome.as_str()));
    assert!(settings.contains(Setting::NonResidential.as_str()));
    let years: BTreeSet<_> = cases
        .iter()
        .map(|(_, g)| {
            let date = chrono::NaiveDate::parse_from_str(&g.case.date, "%Y-%m-%d").unwrap();
            onebudget_core::policy::financial_years(date, date)
        })
        .collect();
    assert!(years.len() >= 3, "golden cases span at least three financial years: {years:?}");
    for (file, golden) in &cases {
        let href = &golden.source.href;
        assert!(
            href.starts_with("https://") || href.starts_with("http://"),
            "{file}: the source needs an address"
        );
        assert!(!golden.source.title.is_empty() && !golden.source.quote.is_empty(), "{file}");
        assert!(golden.assumptions.iter().all(|a| !a.is_empty()), "{file}");
    }
}
