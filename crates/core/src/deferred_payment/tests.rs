//! Unit tests of the deferred payment statement: the refusals and the rules a golden
//! case does not reach.

use super::*;

fn input() -> DeferredPaymentInput {
    serde_json::from_value(serde_json::json!({
        "start_date": "2024-01-01",
        "statement_date": "2024-01-31",
        "setting": "care_home",
        "capital_excluding_home": "5000.00",
        "property": {"valuations": [{"date": "2023-12-01", "value": "100000.00"}]},
        "weekly": [{"from": "2024-01-01", "charge": "700.00", "income": "200.00"}],
        "interest": {"compounding": "daily"}
    }))
    .unwrap()
}

fn run(input: &DeferredPaymentInput) -> Result<Statement, DeferredPaymentError> {
    let agreement = Agreement::parse(input)?;
    statement(DeferredPaymentPolicy::in_use().unwrap(), &agreement)
}

#[test]
fn a_statement_date_before_the_start_is_refused_naming_both() {
    let mut bad = input();
    bad.statement_date = "2023-12-31".into();
    let error = Agreement::parse(&bad).unwrap_err();
    assert_eq!(error.field, "statement_date");
    assert!(error.problem.contains("start_date"), "{error}");
    // A valuation before the start is fine.
    assert!(Agreement::parse(&input()).is_ok());
}

#[test]
fn no_property_and_a_property_worth_nothing_are_refused() {
    let mut bad = input();
    bad.property = None;
    let error = Agreement::parse(&bad).unwrap_err();
    assert_eq!(error.field, "property");
    assert!(error.problem.contains("weekly"), "names the other field: {error}");
    let mut zero = input();
    zero.property.as_mut().unwrap().valuations[0].value = Money::ZERO;
    assert_eq!(Agreement::parse(&zero).unwrap_err().field, "property.valuations[0].value");
}

#[test]
fn keeping_more_than_the_allowance_is_refused_naming_it() {
    let mut bad = input();
    bad.weekly[0].income_kept = Some(Money::from_pence(14_401));
    match run(&bad).unwrap_err() {
        DeferredPaymentError::Field(error) => {
            assert_eq!(error.field, "weekly[0].income_kept");
            assert!(error.problem.contains("£144.00"), "{error}");
        }
        other => panic!("{other}"),
    }
}

#[test]
fn an_unknown_rate_is_refused_naming_its_period() {
    let mut late = input();
    late.statement_date = "2025-07-01".into();
    let error = run(&late).unwrap_err();
    let message = error.to_string();
    assert!(message.contains("2025-07-01 to 2025-12-31"), "{message}");
    assert!(message.contains("end the statement by 2025-06-30"), "{message}");
    // Without interest the same statement needs no rate.
    late.interest.charged = false;
    assert!(run(&late).is_ok());
}

#[test]
fn an_equity_limit_of_nothing_is_refused() {
    let mut poor = input();
    poor.property.as_mut().unwrap().valuations[0].value = Money::from_pence(1_500_000);
    match run(&poor).unwrap_err() {
        DeferredPaymentError::Field(error) => {
            assert_eq!(error.field, "property.valuations[0].value");
            assert!(error.problem.contains("-£750.00"), "{error}");
        }
        other => panic!("{other}"),
    }
}

#[test]
fn daily_compounding_adds_each_days_rounded_interest() {
    // Week 1 defers 700 - (200 - 144) = 644.00 on 1 January. Each day's interest is
    // debt × 4.65% / 365, rounded to the penny and added that day: 644.00 × 0.0465 / 365
    // = 0.08204... → 0.08 on each of days 1 to 7 (the debt grows by 8p a day, which
    // never moves the rounding: 644.48 × 0.0465 / 365 = 0.0821).
    let mut one_week = input();
    one_week.statement_date = "2024-01-07".into();
    let statement = run(&one_week).unwrap();
    assert_eq!(statement.summary.deferred, Money::from_pence(64_400));
    assert_eq!(statement.summary.interest_added, Money::from_pence(56));
    assert_eq!(statement.summary.debt, Money::from_pence(64_456));
    // Nothing is posted for interest until the month ends.
    assert!(statement.postings.iter().all(|p| p.kind != PostingKind::Interest));
}

#[test]
fn a_death_stops_deferral_and_sets_repayment_ninety_days_on() {
    let mut died = input();
    died.ended = Some(EndedInput { date: "2024-01-10".into(), reason: EndReason::Death });
    let statement = run(&died).unwrap();
    // Weeks from 1 and 8 January are deferred; 15 January is after the death.
    assert_eq!(statement.summary.weeks_deferred, 2);
    assert_eq!(statement.summary.repayment_due, NaiveDate::from_ymd_opt(2024, 4, 9));
    assert_eq!(statement.summary.equity_limit_projected_on, None);
    // Interest still runs after the death.
    let after: Vec<_> = statement.lines.iter().filter(|l| l.kind == LineKind::Interest).collect();
    assert_eq!(after.last().unwrap().date, NaiveDate::from_ymd_opt(2024, 1, 31).unwrap());
}

#[test]
fn supported_living_and_high_capital_are_permitted_not_required() {
    let mut living = input();
    living.setting = DeferredSetting::SupportedLiving;
    assert_eq!(run(&living).unwrap().summary.duty, Duty::Permitted);
    let mut rich = input();
    rich.capital_excluding_home = Money::from_pence(2_325_001);
    assert_eq!(run(&rich).unwrap().summary.duty, Duty::Permitted);
    let mut at = input();
    at.capital_excluding_home = Money::from_pence(2_325_000);
    assert_eq!(run(&at).unwrap().summary.duty, Duty::Required);
}

#[test]
fn a_fall_in_value_past_the_debt_defers_one_more_week_then_stops() {
    // Reg 5(3)(b), (4): the limit was not exceeded when the last amount was deferred, so
    // the next amount is deferred even though the debt is now past the limit; after that,
    // nothing.
    let mut fall = input();
    fall.interest.charged = false;
    fall.property
        .as_mut()
        .unwrap()
        .valuations
        .push(ValuationInput { date: "2024-01-10".into(), value: "16500.00".parse_money() });
    // From 10 January the limit is 90% of 16,500 = 14,850 less 14,250 = 600.00. The debt
    // on 8 January is 1,288.00, past it; the week from 15 January is still deferred
    // (debt 1,932.00) and the week from 22 January is not.
    let statement = run(&fall).unwrap();
    assert_eq!(statement.summary.weeks_deferred, 3);
    assert_eq!(statement.summary.deferred, Money::from_pence(193_200));
    assert_eq!(statement.summary.equity_limit, Money::from_pence(60_000));
}

trait ParseMoney {
    fn parse_money(&self) -> Money;
}

impl ParseMoney for str {
    fn parse_money(&self) -> Money {
        Money::parse(self).unwrap()
    }
}
