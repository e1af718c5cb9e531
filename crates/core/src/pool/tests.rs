//! Tests of the pool rules: the agreement's checks, apportioning, payment splits,
//! contribution schedules, and property tests that a settlement always distributes
//! exactly the variance and that its transfers empty the pool and move exactly each
//! partner's net settlement. (Hand-worked settlements are in `tests/pool_golden.rs`.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use proptest::prelude::*;

use super::figures::{Flow, YearFigures};
use super::monitoring::{ForecastChoice, ForecastMethod, monitor};
use super::settlement::settle;
use super::*;
use crate::ledger::ReasonCode;

fn pounds(text: &str) -> Money {
    Money::parse(text).unwrap()
}

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

fn rule(name: &str) -> RuleInput {
    RuleInput { rule: name.into(), ..RuleInput::default() }
}

/// A two-partner Better Care Fund: ICB 600,000, council 400,000, two schemes.
fn bcf() -> AgreementInput {
    AgreementInput {
        pool: "BCF".into(),
        name: Some("Test Better Care Fund".into()),
        kind: "pooled".into(),
        host: "COUNCIL".into(),
        year: 2025,
        effective_from: "2025-04-01".into(),
        partners: vec![
            PartnerInput {
                organisation: "ICB".into(),
                stream: "BCF".into(),
                account: "ICB-BCF".into(),
                settlement_account: Some("ICB-SETTLE".into()),
                annual_contribution: "600000.00".into(),
                minimum_contribution: Some("550000.00".into()),
                profile: None,
            },
            PartnerInput {
                organisation: "COUNCIL".into(),
                stream: "IBCF".into(),
                account: "COUNCIL-IBCF".into(),
                settlement_account: Some("COUNCIL-SETTLE".into()),
                annual_contribution: "400000.00".into(),
                minimum_contribution: None,
                profile: None,
            },
        ],
        schemes: vec![
            SchemeInput {
                code: "REABLEMENT".into(),
                name: Some("Reablement".into()),
                account: "BCF-REABLEMENT".into(),
                lead: "COUNCIL".into(),
                planned_budget: "700000.00".into(),
                funding: map(&[("ICB", "0.6"), ("COUNCIL", "0.4")]),
            },
            SchemeInput {
                code: "CARERS".into(),
                name: Some("Carers' support".into()),
                account: "BCF-CARERS".into(),
                lead: "ICB".into(),
                planned_budget: "300000.00".into(),
                funding: map(&[("ICB", "0.6"), ("COUNCIL", "0.4")]),
            },
        ],
        risk_share: RiskShareInput {
            overspend: rule("proportional"),
            underspend: rule("proportional"),
        },
        reserve_account: Some("BCF-RESERVE".into()),
    }
}

fn refused(input: &AgreementInput) -> FieldError {
    Agreement::parse(input).expect_err("the agreement should be refused")
}

#[test]
fn a_sound_agreement_parses() {
    let agreement = Agreement::parse(&bcf()).unwrap();
    assert_eq!(agreement.budget(), pounds("1000000.00"));
    assert_eq!(agreement.host, 1);
    assert_eq!(
        agreement.schemes[0].funding_amounts,
        vec![pounds("420000.00"), pounds("280000.00")]
    );
}

#[test]
fn contributions_that_do_not_add_up_are_refused() {
    let mut input = bcf();
    input.partners[0].annual_contribution = "590000.00".into();
    input.partners[0].minimum_contribution = None;
    let error = refused(&input);
    assert_eq!(error.field, "partners");
    assert!(
        error.problem.contains("£990,000.00") && error.problem.contains("£1,000,000.00"),
        "{error}"
    );
}

#[test]
fn a_funding_split_that_does_not_sum_to_one_is_refused() {
    let mut input = bcf();
    input.schemes[1].funding = map(&[("ICB", "0.6"), ("COUNCIL", "0.35")]);
    let error = refused(&input);
    assert_eq!(error.field, "schemes[1].funding");
    assert_eq!(error.value, "0.95");
    assert!(error.problem.contains("exactly 1"), "{error}");
}

/// Regression: two shares of 9000000000000 overflowed the sum of the shares and
/// panicked. Every share is now at most 1, and the error names it.
#[test]
fn a_share_over_one_is_refused_naming_it_and_never_overflows() {
    let huge = "9000000000000";
    let mut input = bcf();
    input.schemes[0].funding = map(&[("ICB", huge), ("COUNCIL", huge)]);
    let error = refused(&input);
    assert_eq!(error.field, "schemes[0].funding.COUNCIL");
    assert!(error.problem.contains("at most 1"), "{error}");

    let mut input = bcf();
    input.risk_share.overspend = RuleInput {
        rule: "fixed".into(),
        shares: Some(map(&[("ICB", huge), ("COUNCIL", huge)])),
        caps: None,
    };
    let error = refused(&input);
    assert!(error.field.starts_with("risk_share.overspend.shares."), "{error}");
    assert!(error.problem.contains("at most 1"), "{error}");

    let mut input = bcf();
    input.partners[0].profile = Some(vec![huge.into(); 12]);
    let error = refused(&input);
    assert_eq!(error.field, "partners[0].profile[0]");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Whatever shares are given, parsing an agreement answers (never panics), and a share
    /// over 1 is always refused by name.
    #[test]
    fn any_shares_are_parsed_or_refused_without_panicking(
        icb in 0u64..=u64::MAX / 2,
        council in 0u64..=u64::MAX / 2,
        scale in 0u32..=13,
    ) {
        let as_share = |n: u64| {
            let millionths = n % 10u64.pow(scale + 6);
            format!("{}.{:06}", millionths / 1_000_000, millionths % 1_000_000)
        };
        let (icb, council) = (as_share(icb), as_share(council));
        let mut input = bcf();
        input.schemes[0].funding = map(&[("ICB", &icb), ("COUNCIL", &council)]);
        input.risk_share.overspend =
            RuleInput { rule: "fixed".into(), shares: Some(map(&[("ICB", &icb), ("COUNCIL", &council)])), caps: None };
        let over_one = |s: &str| Ratio::parse(s).unwrap() > Ratio::ONE;
        match Agreement::parse(&input) {
            Ok(_) => prop_assert!(!over_one(&icb) && !over_one(&council)),
            Err(error) if over_one(&icb) || over_one(&council) => {
                prop_assert!(error.problem.contains("at most 1"), "{}", error);
            }
            Err(_) => {}
        }
    }
}

#[test]
fn a_split_that_asks_a_partner_for_more_than_it_gives_is_refused() {
    let mut input = bcf();
    input.schemes[0].funding = map(&[("ICB", "0.7"), ("COUNCIL", "0.3")]);
    let error = refused(&input);
    assert_eq!(error.field, "partners[0].annual_contribution");
    assert!(error.problem.contains("ask ICB for £670,000.00"), "{error}");
}

#[test]
fn a_partner_with_a_zero_contribution_is_refused() {
    let mut input = bcf();
    input.partners[1].annual_contribution = "0".into();
    let error = refused(&input);
    assert_eq!(error.field, "partners[1].annual_contribution");
    assert!(error.problem.contains("must contribute"), "{error}");
}

#[test]
fn a_contribution_below_the_bcf_minimum_is_refused() {
    let mut input = bcf();
    input.partners[0].minimum_contribution = Some("650000.00".into());
    let error = refused(&input);
    assert_eq!(error.field, "partners[0].annual_contribution");
    assert!(error.problem.contains("minimum contribution of £650,000.00"), "{error}");
}

#[test]
fn other_bad_agreements_name_the_field() {
    type Change = Box<dyn Fn(&mut AgreementInput)>;
    let cases: Vec<(Change, &str)> = vec![
        (Box::new(|i| i.host = "DISTRICT".into()), "host"),
        (Box::new(|i| i.kind = "merged".into()), "kind"),
        (Box::new(|i| i.effective_from = "2026-04-01".into()), "effective_from"),
        (Box::new(|i| i.year = 1999), "year"),
        (Box::new(|i| i.schemes[1].code = "REABLEMENT".into()), "schemes[1].code"),
        (Box::new(|i| i.schemes[1].account = "BCF-REABLEMENT".into()), "schemes[1].account"),
        (Box::new(|i| i.schemes[1].account = "ICB-BCF".into()), "schemes[1].account"),
        (Box::new(|i| i.schemes[0].lead = "NOBODY".into()), "schemes[0].lead"),
        (Box::new(|i| i.schemes[0].planned_budget = "-5".into()), "schemes[0].planned_budget"),
        (
            Box::new(|i| i.schemes[0].funding = map(&[("ICB", "0.6"), ("TRUST", "0.4")])),
            "schemes[0].funding.TRUST",
        ),
        (Box::new(|i| i.partners[1].stream = "BCF".into()), "partners[1].stream"),
        (Box::new(|i| i.partners[0].profile = Some(vec!["0.1".into(); 12])), "partners[0].profile"),
        (Box::new(|i| i.risk_share.overspend = rule("carry_forward")), "risk_share.overspend.rule"),
        (Box::new(|i| i.risk_share.overspend = rule("whoever")), "risk_share.overspend.rule"),
        (
            Box::new(|i| {
                i.risk_share.overspend = RuleInput {
                    rule: "fixed".into(),
                    shares: Some(map(&[("ICB", "0.5"), ("COUNCIL", "0.4")])),
                    caps: None,
                }
            }),
            "risk_share.overspend.shares",
        ),
        (
            Box::new(|i| {
                i.risk_share.overspend = RuleInput {
                    rule: "capped".into(),
                    shares: None,
                    caps: Some(map(&[("COUNCIL", "100")])),
                }
            }),
            "risk_share.overspend.caps.COUNCIL",
        ),
        (
            Box::new(|i| {
                i.risk_share.underspend = rule("carry_forward");
                i.reserve_account = None;
            }),
            "reserve_account",
        ),
    ];
    for (change, field) in cases {
        let mut input = bcf();
        change(&mut input);
        let error = refused(&input);
        assert_eq!(error.field, field, "{error}");
        assert!(!error.problem.is_empty());
    }
}

#[test]
fn apportion_keeps_every_penny_and_breaks_ties_by_order() {
    assert_eq!(
        apportion(Money::from_pence(200), &[3, 3, 3]).unwrap(),
        vec![Money::from_pence(67), Money::from_pence(67), Money::from_pence(66)]
    );
    assert_eq!(
        apportion(Money::from_pence(-2), &[1, 1, 1]).unwrap(),
        vec![Money::from_pence(-1), Money::from_pence(-1), Money::ZERO]
    );
    assert_eq!(
        apportion(Money::from_pence(10), &[0, 1]).unwrap(),
        vec![Money::ZERO, Money::from_pence(10)]
    );
    assert!(apportion(Money::from_pence(10), &[0, 0]).is_err());
    assert!(apportion(Money::from_pence(10), &[-1, 2]).is_err());
}

#[test]
fn a_variation_spreads_what_is_left_over_the_rest_of_the_year() {
    let agreement = Agreement::parse(&bcf()).unwrap();
    // ICB's share of reablement: 420,000 over 12 months = 35,000 a month.
    assert_eq!(agreement.contribution_due(0, 0, 1, Money::ZERO).unwrap(), pounds("35000.00"));
    // A variation from October raises reablement to 760,000 (ICB 0.6 = 456,000). Six
    // months (210,000) are paid; 246,000 is left for six months: 41,000 each.
    let mut varied = bcf();
    varied.effective_from = "2025-10-01".into();
    varied.schemes[0].planned_budget = "760000.00".into();
    varied.partners[0].annual_contribution = "636000.00".into();
    varied.partners[1].annual_contribution = "424000.00".into();
    let varied = Agreement::parse(&varied).unwrap();
    assert_eq!(varied.contribution_due(0, 0, 7, pounds("210000.00")).unwrap(), pounds("41000.00"));
    // Paying more than the version agrees is refused.
    let error = varied.contribution_due(0, 0, 7, pounds("460000.00")).unwrap_err();
    assert!(error.to_string().contains("return the difference"), "{error}");
}

#[test]
fn financial_years_name_their_months() {
    let year = FinancialYear::parse("year", "2025/26").unwrap();
    assert_eq!(year, FinancialYear::parse("year", "2025").unwrap());
    assert!(FinancialYear::parse("year", "2025/27").is_err());
    assert_eq!(year.month_label(1), "2025-04");
    assert_eq!(year.month_label(12), "2026-03");
    assert_eq!(year.parse_month("month", "2026-03").unwrap(), 12);
    let error = year.parse_month("month", "2026-04").unwrap_err();
    assert!(error.problem.contains("2025/26"), "{error}");
    assert_eq!(year.month_of(NaiveDate::from_ymd_opt(2025, 12, 31).unwrap()), Some(9));
}

fn flow(
    account: &str,
    counterparty: &str,
    stream: &str,
    month: (i32, u32),
    reason: ReasonCode,
    money_in: i64,
    money_out: i64,
) -> Flow {
    Flow {
        account: AccountCode::parse("a", account).unwrap(),
        counterparty: AccountCode::parse("c", counterparty).unwrap(),
        stream: StreamCode::parse("s", stream).unwrap(),
        month: NaiveDate::from_ymd_opt(month.0, month.1, 1).unwrap(),
        reason,
        money_in: Money::from_pence(money_in),
        money_out: Money::from_pence(money_out),
    }
}

#[test]
fn flows_are_sorted_into_contributions_spending_and_virements() {
    let agreement = Agreement::parse(&bcf()).unwrap();
    let flows = vec![
        flow("BCF-REABLEMENT", "ICB-BCF", "BCF", (2025, 4), ReasonCode::Contribution, 1_000, 0),
        flow("BCF-REABLEMENT", "PROV-X", "BCF", (2025, 5), ReasonCode::ProviderPayment, 0, 600),
        flow("BCF-REABLEMENT", "PROV-X", "BCF", (2025, 6), ReasonCode::Correction, 100, 0),
        flow("BCF-REABLEMENT", "BCF-CARERS", "BCF", (2025, 6), ReasonCode::Allocation, 0, 50),
        flow("BCF-CARERS", "BCF-REABLEMENT", "BCF", (2025, 6), ReasonCode::Allocation, 50, 0),
        flow("BCF-REABLEMENT", "ICB-BCF", "BCF", (2026, 3), ReasonCode::Settlement, 0, 350),
        flow("BCF-REABLEMENT", "ICB-BCF", "BCF", (2026, 4), ReasonCode::Contribution, 9_999, 0),
        flow("BCF-REABLEMENT", "ICB-BCF", "BCF", (2024, 4), ReasonCode::Contribution, 7, 0),
    ];
    let figures = YearFigures::from_flows(&agreement, &flows).unwrap();
    assert_eq!(figures.paid[0], Money::from_pence(1_000));
    assert_eq!(figures.scheme_outturn(0), Money::from_pence(500));
    assert_eq!(figures.spent_by_month[0][1], Money::from_pence(600));
    assert_eq!(figures.spent_by_month[0][2], Money::from_pence(-100));
    assert_eq!(figures.scheme_outturn(1), Money::ZERO);
    assert_eq!(figures.settlement_transfers, 1);
    // Opening 7, +1,000 −600 +100 −50 −350 = 107 in reablement; 50 in carers.
    let balance = |account: &str| {
        figures.balances.iter().find(|(a, _, _)| a.as_str() == account).map(|(_, _, b)| *b)
    };
    assert_eq!(balance("BCF-REABLEMENT"), Some(Money::from_pence(107)));
    assert_eq!(balance("BCF-CARERS"), Some(Money::from_pence(50)));
}

#[test]
fn settlement_waits_for_the_year_to_close() {
    let agreement = Agreement::parse(&bcf()).unwrap();
    let figures = YearFigures::from_flows(&agreement, &[]).unwrap();
    let error = settle(&agreement, &figures, 11).unwrap_err().to_string();
    assert!(
        error.contains("not closed") && error.contains("2026-02") && error.contains("2026-03"),
        "{error}"
    );
}

#[test]
fn monitoring_forecasts_by_each_method() {
    let agreement = Agreement::parse(&bcf()).unwrap();
    // Six months of reablement at 60,000 a month (budget 58,333.33).
    let mut flows = Vec::new();
    for month in 4..=9 {
        flows.push(flow(
            "BCF-REABLEMENT",
            "PROV-X",
            "BCF",
            (2025, month),
            ReasonCode::ProviderPayment,
            0,
            3_600_000,
        ));
        flows.push(flow(
            "BCF-REABLEMENT",
            "PROV-X",
            "IBCF",
            (2025, month),
            ReasonCode::ProviderPayment,
            0,
            2_400_000,
        ));
    }
    let figures = YearFigures::from_flows(&agreement, &flows).unwrap();
    let profile = monitor(&agreement, &figures, 6, &[], &[]).unwrap();
    let reablement = &profile.schemes[0];
    assert_eq!(reablement.actual_to_date, pounds("360000.00"));
    // 700,000 / 12 = 58,333.33 (the first four months take a penny more: 58,333.34).
    assert_eq!(reablement.budget_to_date, pounds("350000.02"));
    assert_eq!(reablement.forecast, pounds("360000.00").checked_add(pounds("349999.98")).unwrap());
    assert_eq!(reablement.variance, pounds("9999.98"));
    let run_rate = monitor(
        &agreement,
        &figures,
        6,
        &[],
        &[
            Some(ForecastChoice {
                method: ForecastMethod::RunRate,
                amount: None,
                reason: String::new(),
                entered_by: "finance".into(),
            }),
            None,
        ],
    )
    .unwrap();
    assert_eq!(run_rate.schemes[0].forecast, pounds("720000.00"));
    let entered = monitor(
        &agreement,
        &figures,
        6,
        &[pounds("500000.00")],
        &[
            Some(ForecastChoice {
                method: ForecastMethod::Entered,
                amount: Some(pounds("705000.00")),
                reason: "winter pressures".into(),
                entered_by: "finance".into(),
            }),
            Some(ForecastChoice {
                method: ForecastMethod::Entered,
                amount: Some(pounds("300000.00")),
                reason: "on plan".into(),
                entered_by: "finance".into(),
            }),
        ],
    )
    .unwrap();
    assert_eq!(entered.schemes[0].forecast, pounds("705000.00"));
    assert!(entered.schemes[0].method_explained.contains("winter pressures"));
    // The forecast variance is shared by the rule: 5,000 + carers' 0 → ICB 3,000, council 2,000.
    assert_eq!(entered.forecast_variance, pounds("5000.00"));
    assert_eq!(entered.partners[0].forecast_share, pounds("3000.00"));
    assert_eq!(entered.partners[0].minimum_met, Some(true));
    // Commitments raise a profile forecast that would fall below them.
    let committed = monitor(&agreement, &figures, 6, &[pounds("400000.00")], &[]).unwrap();
    assert_eq!(committed.schemes[0].forecast, pounds("760000.00"));
}

/// A random pool and a year of ledger activity that the ledger would have allowed.
#[derive(Debug, Clone)]
struct Year {
    input: AgreementInput,
    /// Per scheme: payments (pence).
    payments: Vec<Vec<i64>>,
    /// Per partner: extra paid in beyond the agreement (an advance), pence.
    advances: Vec<i64>,
}

fn year_strategy() -> impl Strategy<Value = Year> {
    (2usize..=3, 1usize..=3)
        .prop_flat_map(|(partners, schemes)| {
            (
                Just(partners),
                proptest::collection::vec(1i64..50_000_000, schemes),
                proptest::collection::vec(proptest::collection::vec(0i64..=10, partners), schemes),
                proptest::collection::vec(
                    proptest::collection::vec(1i64..3_000_000, 0..8),
                    schemes,
                ),
                proptest::collection::vec(0i64..20_000_000, partners),
                0usize..5,
                0usize..5,
                proptest::collection::vec(0i64..10_000_000, partners),
                proptest::collection::vec(1i64..=10, partners),
            )
        })
        .prop_map(|(partners, budgets, splits, payments, advances, over, under, caps, fixed)| {
            let names = ["ICB", "COUNCIL", "TRUST"];
            let streams = ["S-ICB", "S-COUNCIL", "S-TRUST"];
            let mut contributions = vec![0i64; partners];
            let mut schemes = Vec::new();
            for (index, (budget, split)) in budgets.iter().zip(&splits).enumerate() {
                let mut weights: Vec<i64> = split.clone();
                if weights.iter().sum::<i64>() == 0 {
                    weights[0] = 1;
                }
                let total: i64 = weights.iter().sum();
                // Proportions in millionths summing to exactly one million.
                let mut ratios: Vec<i64> = weights.iter().map(|w| w * 1_000_000 / total).collect();
                let short = 1_000_000 - ratios.iter().sum::<i64>();
                let first = ratios.iter().position(|r| *r > 0).unwrap();
                ratios[first] += short;
                let parts = apportion(Money::from_pence(*budget), &ratios).unwrap();
                let mut funding = BTreeMap::new();
                for (p, (ratio, part)) in ratios.iter().zip(parts).enumerate() {
                    if *ratio > 0 {
                        funding.insert(
                            names[p].to_owned(),
                            Ratio::from_millionths(*ratio).to_string(),
                        );
                    }
                    contributions[p] += part.pence();
                }
                schemes.push(SchemeInput {
                    code: format!("S{index}"),
                    name: None,
                    account: format!("POOL-S{index}"),
                    lead: names[index % partners].to_owned(),
                    planned_budget: Money::from_pence(*budget).to_plain_string(),
                    funding,
                });
            }
            // A partner that funds nothing would contribute nothing: give it a scheme.
            for p in 0..partners {
                if contributions[p] == 0 {
                    contributions[p] = 100;
                    schemes.push(SchemeInput {
                        code: format!("X{p}"),
                        name: None,
                        account: format!("POOL-X{p}"),
                        lead: names[p].to_owned(),
                        planned_budget: "1.00".into(),
                        funding: map(&[(names[p], "1")]),
                    });
                }
            }
            let per_partner =
                |values: &[i64], format: &dyn Fn(i64) -> String| -> BTreeMap<String, String> {
                    (0..partners)
                        .filter(|p| *p != 0)
                        .map(|p| (names[p].to_owned(), format(values[p])))
                        .collect()
                };
            let fixed_total: i64 = fixed.iter().sum();
            let mut fixed_ratios: Vec<i64> =
                fixed.iter().map(|w| w * 1_000_000 / fixed_total).collect();
            fixed_ratios[0] += 1_000_000 - fixed_ratios.iter().sum::<i64>();
            let make_rule = |choice: usize| -> RuleInput {
                match choice {
                    0 => rule("proportional"),
                    1 => RuleInput {
                        rule: "fixed".into(),
                        shares: Some(
                            (0..partners)
                                .map(|p| {
                                    (
                                        names[p].to_owned(),
                                        Ratio::from_millionths(fixed_ratios[p]).to_string(),
                                    )
                                })
                                .collect(),
                        ),
                        caps: None,
                    },
                    2 => rule("lead_partner"),
                    _ => RuleInput {
                        rule: "capped".into(),
                        shares: None,
                        caps: Some(per_partner(&caps, &|c| Money::from_pence(c).to_plain_string())),
                    },
                }
            };
            let underspend = if under == 4 { rule("carry_forward") } else { make_rule(under) };
            let input = AgreementInput {
                pool: "POOL".into(),
                name: None,
                kind: "pooled".into(),
                host: "ICB".into(),
                year: 2025,
                effective_from: "2025-04-01".into(),
                partners: (0..partners)
                    .map(|p| PartnerInput {
                        organisation: names[p].into(),
                        stream: streams[p].into(),
                        account: format!("{}-FUND", names[p]),
                        settlement_account: Some(format!("{}-SETTLE", names[p])),
                        annual_contribution: Money::from_pence(contributions[p]).to_plain_string(),
                        minimum_contribution: None,
                        profile: None,
                    })
                    .collect(),
                schemes,
                risk_share: RiskShareInput { overspend: make_rule(over.min(3)), underspend },
                reserve_account: Some("POOL-RESERVE".into()),
            };
            Year { input, payments, advances }
        })
}

/// Play the year through a tiny ledger of (account, stream) balances: contributions in
/// as agreed plus advances, then each payment split by the scheme's funding, refused
/// (skipped) when a stream's money in that scheme would run out, as the ledger would.
fn play(year: &Year, agreement: &Agreement) -> (Vec<Flow>, HashMap<(String, String), i64>) {
    let mut balances: HashMap<(String, String), i64> = HashMap::new();
    let mut flows = Vec::new();
    let april = NaiveDate::from_ymd_opt(2025, 4, 1).unwrap();
    let record = |flows: &mut Vec<Flow>,
                  balances: &mut HashMap<(String, String), i64>,
                  account: &AccountCode,
                  counterparty: &str,
                  stream: &StreamCode,
                  amount: i64,
                  reason: ReasonCode| {
        let incoming = amount >= 0;
        flows.push(Flow {
            account: account.clone(),
            counterparty: AccountCode::parse("c", counterparty).unwrap(),
            stream: stream.clone(),
            month: april,
            reason,
            money_in: Money::from_pence(if incoming { amount } else { 0 }),
            money_out: Money::from_pence(if incoming { 0 } else { -amount }),
        });
        *balances.entry((account.as_str().to_owned(), stream.as_str().to_owned())).or_default() +=
            amount;
    };
    for (p, partner) in agreement.partners.iter().enumerate() {
        for scheme in &agreement.schemes {
            let part = scheme.funding_amounts[p].pence();
            if part > 0 {
                record(
                    &mut flows,
                    &mut balances,
                    &scheme.account,
                    partner.account.as_str(),
                    &partner.stream,
                    part,
                    ReasonCode::Contribution,
                );
            }
        }
        if let Some(scheme) = agreement.schemes.iter().find(|s| s.funding[p].millionths() > 0)
            && year.advances[p] > 0
        {
            record(
                &mut flows,
                &mut balances,
                &scheme.account,
                partner.account.as_str(),
                &partner.stream,
                year.advances[p],
                ReasonCode::Contribution,
            );
        }
    }
    for (scheme, payments) in agreement.schemes.iter().zip(&year.payments) {
        for payment in payments {
            let parts = agreement.split_payment(scheme, Money::from_pence(*payment)).unwrap();
            assert_eq!(
                parts.iter().map(|(_, m)| m.pence()).sum::<i64>(),
                *payment,
                "a split keeps every penny"
            );
            let affordable = parts.iter().all(|(p, part)| {
                let key = (
                    scheme.account.as_str().to_owned(),
                    agreement.partners[*p].stream.as_str().to_owned(),
                );
                balances.get(&key).copied().unwrap_or(0) >= part.pence()
            });
            if !affordable {
                continue;
            }
            for (p, part) in parts {
                record(
                    &mut flows,
                    &mut balances,
                    &scheme.account,
                    "PROVIDER",
                    &agreement.partners[p].stream,
                    -part.pence(),
                    ReasonCode::ProviderPayment,
                );
            }
        }
    }
    (flows, balances)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn a_settlement_distributes_exactly_the_variance_and_empties_the_pool(year in year_strategy()) {
        let agreement = Agreement::parse(&year.input).unwrap();
        let (flows, mut balances) = play(&year, &agreement);
        let figures = YearFigures::from_flows(&agreement, &flows).unwrap();
        // Attribution: whose streams paid always adds up to what each scheme spent.
        for (index, _) in agreement.schemes.iter().enumerate() {
            let by_partner: i64 = figures.spent_by_partner[index].iter().map(|m| m.pence()).sum();
            prop_assert_eq!(by_partner, figures.scheme_outturn(index).pence());
        }
        let settlement = settle(&agreement, &figures, MONTHS).unwrap();
        let shares: i64 = settlement.partners.iter().map(|p| p.share.pence()).sum();
        let carried = settlement.carried_forward.pence();
        prop_assert_eq!(shares - carried, settlement.variance.pence());
        prop_assert_eq!(settlement.outturn.pence() - settlement.budget.pence(), settlement.variance.pence());
        let mut cash: HashMap<String, i64> = HashMap::new();
        for transfer in &settlement.transfers {
            prop_assert!(transfer.amount.is_positive());
            *balances.entry((transfer.from.as_str().to_owned(), transfer.stream.as_str().to_owned())).or_default() -= transfer.amount.pence();
            *balances.entry((transfer.to.as_str().to_owned(), transfer.stream.as_str().to_owned())).or_default() += transfer.amount.pence();
            for partner in &agreement.partners {
                if transfer.from == partner.account { *cash.entry(partner.organisation.as_str().to_owned()).or_default() += transfer.amount.pence(); }
                if transfer.to == partner.account || transfer.to == partner.settlement_account { *cash.entry(partner.organisation.as_str().to_owned()).or_default() -= transfer.amount.pence(); }
            }
        }
        for scheme in &agreement.schemes {
            for partner in &agreement.partners {
                let key = (scheme.account.as_str().to_owned(), partner.stream.as_str().to_owned());
                prop_assert_eq!(balances.get(&key).copied().unwrap_or(0), 0, "{:?} is left with money", key);
            }
        }
        if carried == 0 {
            for partner in &settlement.partners {
                prop_assert_eq!(cash.get(&partner.organisation).copied().unwrap_or(0), partner.net.pence());
            }
            let nets: i64 = settlement.partners.iter().map(|p| p.net.pence()).sum();
            let paid: i64 = settlement.partners.iter().map(|p| p.paid.pence()).sum();
            prop_assert_eq!(nets, settlement.outturn.pence() - paid);
        } else {
            // Everything left is in the reserve.
            let reserve: i64 = balances.iter().filter(|((a, _), _)| a == "POOL-RESERVE").map(|(_, v)| v).sum();
            let paid: i64 = settlement.partners.iter().map(|p| p.paid.pence()).sum();
            prop_assert_eq!(reserve, paid - settlement.outturn.pence());
        }
    }

    #[test]
    fn apportion_sums_exactly_and_stays_within_a_penny(total in -1_000_000_000_000i64..1_000_000_000_000, weights in proptest::collection::vec(0i64..1_000_000, 1..6)) {
        prop_assume!(weights.iter().sum::<i64>() > 0);
        let parts = apportion(Money::from_pence(total), &weights).unwrap();
        prop_assert_eq!(parts.iter().map(|p| p.pence()).sum::<i64>(), total);
        let weight_sum: i128 = weights.iter().map(|w| i128::from(*w)).sum();
        for (part, weight) in parts.iter().zip(&weights) {
            let exact = i128::from(total) * i128::from(*weight);
            let diff = i128::from(part.pence()) * weight_sum - exact;
            prop_assert!(diff.abs() < weight_sum, "part {} is more than a penny from exact", part);
        }
    }

    #[test]
    fn a_year_of_contributions_adds_up_to_the_agreement(profile_weights in proptest::collection::vec(0i64..100, 12)) {
        prop_assume!(profile_weights.iter().sum::<i64>() > 0);
        let total: i64 = profile_weights.iter().sum();
        let mut millionths: Vec<i64> = profile_weights.iter().map(|w| w * 1_000_000 / total).collect();
        let first = millionths.iter().position(|m| *m > 0).unwrap();
        millionths[first] += 1_000_000 - millionths.iter().sum::<i64>();
        let mut input = bcf();
        input.partners[0].profile = Some(millionths.iter().map(|m| Ratio::from_millionths(*m).to_string()).collect());
        let agreement = Agreement::parse(&input).unwrap();
        for scheme in 0..agreement.schemes.len() {
            let mut paid = Money::ZERO;
            for month in 1..=MONTHS {
                let due = agreement.contribution_due(0, scheme, month, paid).unwrap();
                prop_assert!(!due.is_negative());
                paid = paid.checked_add(due).unwrap();
            }
            prop_assert_eq!(paid, agreement.schemes[scheme].funding_amounts[0]);
        }
    }
}
