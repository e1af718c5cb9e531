//! Golden deferred payment agreements, worked by hand in each fixture under
//! `tests/golden/deferred_payments/` (the arithmetic is written out there), and the
//! refusals: each names the field at fault.

// A test stops at the first surprise: unwrapping and indexing are how it says so.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use onebudget_core::Money;
use onebudget_core::deferred_payment::{
    Agreement, DeferredPaymentError, DeferredPaymentInput, LineKind, statement,
};
use onebudget_core::policy::DeferredPaymentPolicy;
use serde_json::Value;

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/golden/deferred_payments/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).expect("fixture")).expect("json")
}

fn money(value: &Value) -> Money {
    Money::parse(value.as_str().expect("an amount")).expect("money")
}

fn check_case(name: &str) {
    let case = fixture(name);
    let input: DeferredPaymentInput = serde_json::from_value(case["input"].clone()).expect("input");
    let agreement = Agreement::parse(&input).expect("a valid agreement");
    let policy = DeferredPaymentPolicy::in_use().expect("policy");
    let statement = statement(policy, &agreement).expect("a statement");
    let expected = &case["expected"];
    let summary = serde_json::to_value(&statement.summary).expect("summary");
    for field in [
        "duty",
        "weeks_deferred",
        "deferred",
        "not_deferred",
        "fees_added",
        "interest_added",
        "interest_accrued",
        "debt",
        "equity_limit",
        "equity_remaining",
        "equity_limit_reached_on",
    ] {
        assert_eq!(summary[field], expected[field], "{name}: {field}");
    }
    let interest: Vec<_> =
        statement.lines.iter().filter(|line| line.kind == LineKind::Interest).collect();
    let lines = expected["interest_lines"].as_array().expect("interest lines");
    assert_eq!(interest.len(), lines.len(), "{name}: interest lines");
    for (line, want) in interest.iter().zip(lines) {
        assert_eq!(line.date.to_string(), want[0].as_str().expect("date"), "{name}");
        assert_eq!(line.amount, money(&want[1]), "{name}: interest on {}", line.date);
        assert_eq!(line.debt, money(&want[2]), "{name}: debt on {}", line.date);
        assert!(line.sources.iter().any(|s| s.value == "4.65%"), "{name}: cites the rate");
    }
    assert_eq!(
        statement.postings.len() as u64,
        expected["postings"].as_u64().expect("postings"),
        "{name}: postings"
    );
    let posted = Money::checked_sum(statement.postings.iter().map(|p| p.amount)).expect("sum");
    assert_eq!(posted, statement.summary.debt, "{name}: the postings add up to the debt");
    for line in &statement.lines {
        assert!(!line.explanation.is_empty());
    }
    let week = statement.lines.iter().find(|l| l.kind == LineKind::Week).expect("a week");
    assert!(week.explanation.contains("reg 6"), "{}", week.explanation);
    assert!(week.sources.iter().any(|s| s.value == "£144.00"), "cites the allowance");
}

#[test]
fn a_simple_agreement_over_three_months() {
    check_case("simple_three_months.json");
}

#[test]
fn an_agreement_reaching_the_equity_limit() {
    check_case("equity_limit_reached.json");
}

#[test]
fn a_simple_agreement_projects_when_the_limit_would_be_reached() {
    let case = fixture("simple_three_months.json");
    let input: DeferredPaymentInput = serde_json::from_value(case["input"].clone()).unwrap();
    let agreement = Agreement::parse(&input).unwrap();
    let statement = statement(DeferredPaymentPolicy::in_use().unwrap(), &agreement).unwrap();
    // £199,857.60 of room at £794 a week is about 250 weeks, less with interest: the
    // projection must fall between three and five years on.
    let projected = statement.summary.equity_limit_projected_on.expect("a projected date");
    let years = (projected - agreement.statement_date).num_days() / 365;
    assert!((3..5).contains(&years), "{projected}");
}

#[test]
fn refusals_name_the_field() {
    let base = fixture("simple_three_months.json")["input"].clone();
    let policy = DeferredPaymentPolicy::in_use().unwrap();
    for case in fixture("refusals.json").as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let mut input = base.clone();
        for (key, value) in case["change"].as_object().unwrap() {
            input[key] = value.clone();
        }
        let input: DeferredPaymentInput = serde_json::from_value(input).expect(name);
        let error = Agreement::parse(&input)
            .map_err(DeferredPaymentError::from)
            .and_then(|agreement| statement(policy, &agreement))
            .expect_err(name);
        let field = case["field"].as_str().unwrap();
        if let DeferredPaymentError::Field(error) = &error {
            assert_eq!(error.field, field, "{name}: {error}");
        }
        let message = error.to_string();
        assert!(message.starts_with(&format!("{field}:")), "{name}: {message}");
        for part in case["contains"].as_array().unwrap() {
            assert!(message.contains(part.as_str().unwrap()), "{name}: {message}");
        }
    }
}
