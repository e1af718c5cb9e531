//! Unit and property tests of personal budgets: scoring, eligibility, the lifecycle, overrides, and the allocator checked against an independent min-cut.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use chrono::NaiveDate;
use proptest::prelude::*;

use super::BudgetError;
use super::allocate::{Need, Pot, allocate, may_fund};
use super::config::{Charging, Scheme};
use super::needs::{Answers, eligibility, score};
use super::plan::{
    BudgetDecision, ComponentInput, DeliveryMode, LineInput, OverrideInput, PlanInput, Quiet,
    SplitInput, Status, decide, decide_with,
};
use crate::money::Money;

fn scheme() -> Scheme {
    Scheme::ashby_vale().unwrap()
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// Every domain at its lowest level, then `given`.
fn answers(scheme: &Scheme, version: &str, given: &[(&str, &str)]) -> Answers {
    let q = scheme.questionnaire(version).unwrap();
    let mut a: Answers =
        q.domains.iter().map(|d| (d.code.clone(), d.levels[0].code.clone())).collect();
    for (d, l) in given {
        a.insert((*d).to_owned(), (*l).to_owned());
    }
    a
}

fn line(category: &str, cost: i64) -> LineInput {
    LineInput {
        what: format!("{category} support"),
        outcome: "an outcome".into(),
        category: category.into(),
        provider: None,
        weekly_cost: Money::from_pence(cost),
        streams: vec![],
        override_: None,
    }
}

#[test]
fn the_demo_scheme_loads_with_its_four_streams() {
    let s = scheme();
    let codes: Vec<&str> = s.streams.iter().map(|s| s.code.as_str()).collect();
    assert_eq!(codes, ["CHC", "PHB", "BCF", "ASC"]);
    assert_eq!(s.questionnaires.len(), 2);
}

#[test]
fn an_answer_off_the_scale_is_refused_naming_the_domain_and_the_levels() {
    let s = scheme();
    let q = s.questionnaire("2024.1").unwrap();
    let mut a = answers(&s, "2024.1", &[]);
    a.insert("mobility".into(), "very_bad".into());
    let e = score(q, &a).unwrap_err().to_string();
    assert!(e.contains("answers.mobility") && e.contains("needs_help"), "{e}");
    a.remove("mobility");
    let e = score(q, &a).unwrap_err().to_string();
    assert!(e.contains("not answered"), "{e}");
    a.insert("mobility".into(), "independent".into());
    a.insert("astrology".into(), "low".into());
    let e = score(q, &a).unwrap_err().to_string();
    assert!(e.contains("no such domain"), "{e}");
}

#[test]
fn an_old_assessment_keeps_its_own_points() {
    let s = scheme();
    let old = score(
        s.questionnaire("2024.1").unwrap(),
        &answers(&s, "2024.1", &[("carers", "carer_at_risk")]),
    )
    .unwrap();
    let new = score(
        s.questionnaire("2025.1").unwrap(),
        &answers(&s, "2025.1", &[("carers", "carer_at_risk")]),
    )
    .unwrap();
    assert_eq!(old.points(&["carers".into()]), 6);
    assert_eq!(new.points(&["carers".into()]), 9);
    assert_eq!(s.questionnaire_on(date("2025-03-31")).unwrap().version, "2024.1");
    assert_eq!(s.questionnaire_on(date("2025-04-01")).unwrap().version, "2025.1");
    assert!(s.questionnaire_on(date("2020-01-01")).is_err());
}

#[test]
fn eligibility_says_why_and_continuing_healthcare_replaces_social_care() {
    let s = scheme();
    let q = s.questionnaire("2024.1").unwrap();
    let one_outcome = score(q, &answers(&s, "2024.1", &[("mobility", "needs_help")])).unwrap();
    let d = eligibility(&s, &one_outcome);
    let asc = d.iter().find(|d| d.stream == "ASC").unwrap();
    assert!(!asc.eligible);
    assert!(asc.reason.contains("found 1") && asc.reason.contains("2015/313"), "{}", asc.reason);

    let chc = score(
        q,
        &answers(
            &s,
            "2024.1",
            &[
                ("behaviour", "priority"),
                ("personal_care", "needs_help"),
                ("mobility", "needs_help"),
            ],
        ),
    )
    .unwrap();
    let d = eligibility(&s, &chc);
    assert!(d.iter().find(|d| d.stream == "CHC").unwrap().eligible);
    let asc = d.iter().find(|d| d.stream == "ASC").unwrap();
    assert!(!asc.eligible);
    assert_eq!(asc.replaced_by.as_deref(), Some("CHC"));
}

#[test]
fn a_component_needs_eligibility_and_a_reason_to_differ_from_the_ras() {
    let s = scheme();
    let q = s.questionnaire("2024.1").unwrap();
    let scores = score(
        q,
        &answers(&s, "2024.1", &[("personal_care", "needs_help"), ("mobility", "needs_help")]),
    )
    .unwrap();
    let on = date("2024-10-01");
    let mut plan = PlanInput {
        components: vec![ComponentInput {
            stream: "PHB".into(),
            agreed: None,
            reason: None,
            mode: DeliveryMode::Notional,
            provider: None,
        }],
        lines: vec![],
    };
    let e = decide(&s, &scores, on, &plan, Money::ZERO).unwrap_err().to_string();
    assert!(e.contains("components[0].stream") && e.contains("not eligible"), "{e}");

    plan.components[0] = ComponentInput {
        stream: "ASC".into(),
        agreed: Some(Money::from_pence(10_000)),
        reason: None,
        mode: DeliveryMode::DirectPayment,
        provider: None,
    };
    let e = decide(&s, &scores, on, &plan, Money::ZERO).unwrap_err().to_string();
    assert!(e.contains("components[0].reason"), "{e}");
    plan.components[0].reason = Some("panel".into());
    plan.components[0].mode = DeliveryMode::Notional;
    let e = decide(&s, &scores, on, &plan, Money::ZERO).unwrap_err().to_string();
    assert!(e.contains("components[0].mode"), "{e}");
    plan.components[0].mode = DeliveryMode::IndividualServiceFund;
    let e = decide(&s, &scores, on, &plan, Money::ZERO).unwrap_err().to_string();
    assert!(e.contains("components[0].provider"), "{e}");
    plan.components[0].provider = Some("PROV-HC-01".into());
    let d = decide(&s, &scores, on, &plan, Money::ZERO).unwrap();
    assert_eq!(d.budget, Money::from_pence(10_000));
}

#[test]
fn an_override_may_not_break_a_streams_rules_or_exceed_its_component() {
    let s = scheme();
    let q = s.questionnaire("2024.1").unwrap();
    let scores = score(
        q,
        &answers(&s, "2024.1", &[("personal_care", "needs_help"), ("mobility", "needs_help")]),
    )
    .unwrap();
    let mut nursing = line("nursing", 1_000);
    nursing.override_ = Some(OverrideInput {
        split: vec![SplitInput { stream: "ASC".into(), amount: Money::from_pence(1_000) }],
        reason: "no nurse available".into(),
    });
    let plan = PlanInput { components: vec![], lines: vec![nursing] };
    let e = decide(&s, &scores, date("2024-10-01"), &plan, Money::ZERO).unwrap_err();
    assert!(matches!(e, BudgetError::Refused(ref m) if m.contains("line 1")), "{e}");

    let mut big = line("personal_care", 1_000_000);
    big.override_ = Some(OverrideInput {
        split: vec![SplitInput { stream: "ASC".into(), amount: Money::from_pence(1_000_000) }],
        reason: "x".into(),
    });
    let plan = PlanInput { components: vec![], lines: vec![big] };
    let e = decide(&s, &scores, date("2024-10-01"), &plan, Money::ZERO).unwrap_err();
    assert!(e.to_string().contains("what the component has left"), "{e}");
}

#[test]
fn the_lifecycle_allows_only_its_transitions() {
    use Status::*;
    assert!(Draft.may_become(Agreed));
    assert!(Agreed.may_become(Active));
    assert!(Active.may_become(UnderReview));
    assert!(UnderReview.may_become(Active));
    assert!(!Active.may_become(Draft));
    assert!(!Ended.may_become(Active));
    assert!(!Draft.may_become(Active));
}

/// The maximum flow by the min-cut formula, independent of the allocator: the least, over
/// every set X of pots, of X's capacity plus the cost of each line that can reach a pot
/// outside X.
fn max_flow_by_min_cut(pots: &[Pot], needs: &[Need], only: impl Fn(&Pot) -> bool) -> i64 {
    let n = pots.len();
    (0..(1_u32 << n))
        .map(|x| {
            let in_x = |p: usize| x & (1 << p) != 0;
            let cut_pots: i64 = (0..n)
                .filter(|p| in_x(*p) && only(&pots[*p]))
                .map(|p| pots[p].capacity.pence())
                .sum();
            let cut_lines: i64 = needs
                .iter()
                .filter(|need| {
                    (0..n).any(|p| only(&pots[p]) && may_fund(&pots[p], p, need) && !in_x(p))
                })
                .map(|need| need.cost.pence())
                .sum();
            cut_pots + cut_lines
        })
        .min()
        .unwrap_or(0)
}

fn charging() -> impl Strategy<Value = Charging> {
    prop_oneof![Just(Charging::Free), Just(Charging::Grant), Just(Charging::MeansTested)]
}

proptest! {
    #[test]
    fn the_allocation_keeps_every_rule_and_uses_free_money_first(
        pots in prop::collection::vec((charging(), 0_i64..50_000, 0_u64..16), 1..5),
        lines in prop::collection::vec((prop::option::weighted(0.9, 0_usize..4), 1_i64..40_000, 1_u64..16), 0..7),
    ) {
        let pots: Vec<Pot> = pots.into_iter()
            .map(|(charging, c, may_fund)| Pot { charging, capacity: Money::from_pence(c), may_fund })
            .collect();
        let needs: Vec<Need> = lines.into_iter()
            .map(|(category, cost, allowed)| Need { category, cost: Money::from_pence(cost), allowed_pots: allowed, fixed: vec![] })
            .collect();
        let a = allocate(&pots, &needs).unwrap();
        for (l, need) in needs.iter().enumerate() {
            let mut total = a.unfunded[l].pence();
            for (p, pot) in pots.iter().enumerate() {
                let f = a.funded(l, p);
                prop_assert!(!f.is_negative());
                if f.is_positive() {
                    prop_assert!(may_fund(pot, p, need), "line {l} paid by pot {p} that may not fund it");
                }
                total += f.pence();
            }
            prop_assert_eq!(total, need.cost.pence(), "line {} is not fully accounted for", l);
        }
        for (p, pot) in pots.iter().enumerate() {
            prop_assert!(a.used[p] <= pot.capacity, "pot {p} pays more than agreed");
        }
        // As much as possible is funded, and within that, as much free money and then
        // grant money as possible.
        let funded: i64 = a.used.iter().map(|m| m.pence()).sum();
        prop_assert_eq!(funded, max_flow_by_min_cut(&pots, &needs, |_| true));
        let free: i64 = pots.iter().zip(&a.used).filter(|(p, _)| p.charging == Charging::Free).map(|(_, u)| u.pence()).sum();
        prop_assert_eq!(free, max_flow_by_min_cut(&pots, &needs, |p| p.charging == Charging::Free));
        let not_means_tested: i64 = pots.iter().zip(&a.used).filter(|(p, _)| p.charging != Charging::MeansTested).map(|(_, u)| u.pence()).sum();
        prop_assert_eq!(not_means_tested, max_flow_by_min_cut(&pots, &needs, |p| p.charging != Charging::MeansTested));
    }

    #[test]
    fn a_budget_adds_up_and_never_charges_for_free_money(
        levels in prop::collection::vec(0_usize..6, 12),
        lines in prop::collection::vec((0_usize..12, 100_i64..60_000), 0..8),
        charge in 0_i64..100_000,
        on_2025 in any::<bool>(),
    ) {
        let s = scheme();
        let (version, on) = if on_2025 { ("2025.1", date("2025-06-01")) } else { ("2024.1", date("2024-10-01")) };
        let q = s.questionnaire(version).unwrap();
        let a: Answers = q.domains.iter().zip(&levels)
            .map(|(d, i)| (d.code.clone(), d.levels[i % d.levels.len()].code.clone()))
            .collect();
        let scores = score(q, &a).unwrap();
        let plan = PlanInput {
            components: vec![],
            lines: lines.iter().map(|(c, cost)| line(&s.categories[*c].code, *cost)).collect(),
        };
        let d = decide(&s, &scores, on, &plan, Money::from_pence(charge)).unwrap();
        let agreed: i64 = d.components.iter().map(|c| c.agreed.pence()).sum();
        prop_assert_eq!(d.budget.pence(), agreed, "the budget is the sum of its components");
        let person: i64 = d.components.iter().map(|c| c.person_pays.pence()).sum();
        prop_assert_eq!(person, d.weekly_contribution.pence());
        prop_assert!(d.weekly_contribution.pence() <= charge);
        for c in &d.components {
            if c.charging != Charging::MeansTested {
                prop_assert!(c.person_pays.is_zero(), "charged for {} ({:?})", c.stream, c.charging);
            }
            prop_assert_eq!(c.person_pays.pence() + c.funder_pays.pence(), c.allocated.pence());
            prop_assert!(c.allocated <= c.agreed);
            prop_assert!(!c.funder_pays.is_negative());
        }
        let lines_total: i64 = d.lines.iter()
            .map(|l| l.funded.iter().map(|f| f.amount.pence()).sum::<i64>() + l.unfunded.pence())
            .sum();
        prop_assert_eq!(lines_total, d.plan_cost.pence(), "no line is dropped");
    }

    /// The quiet path (whole-caseload runs) and the explained one decide the same figures:
    /// only the words differ. Scores listed out of their questionnaire's order, plan lines
    /// in categories the scheme does not know, lines restricted to streams, and agreed
    /// amounts away from the indicative one are all covered. Eligibility and the RAS
    /// count domains by bits; a slow reference counts them by name.
    #[test]
    fn the_quiet_and_the_explained_decisions_have_the_same_figures(
        levels in prop::collection::vec(0_usize..6, 12),
        lines in prop::collection::vec(
            (0_usize..14, 100_i64..60_000, prop::option::weighted(0.2, 0_usize..4)), 0..7),
        agreed in prop::option::weighted(0.3, 0_i64..150_000),
        charge in 0_i64..100_000,
        on_2025 in any::<bool>(),
        reversed in any::<bool>(),
    ) {
        let s = scheme();
        let (version, on) = if on_2025 { ("2025.1", date("2025-06-01")) } else { ("2024.1", date("2024-10-01")) };
        let q = s.questionnaire(version).unwrap();
        let a: Answers = q.domains.iter().zip(&levels)
            .map(|(d, i)| (d.code.clone(), d.levels[i % d.levels.len()].code.clone()))
            .collect();
        let scores = score(q, &a).unwrap();
        let eligibility = eligibility(&s, &scores);
        // The slow reference: eligibility by domain names.
        for (stream, d) in s.streams.iter().zip(&eligibility) {
            let held = stream.eligibility.any_of.iter().any(|clause| {
                let count = scores.domains.iter()
                    .filter(|sd| clause.domains.is_empty() || clause.domains.contains(&sd.domain))
                    .filter(|sd| sd.band >= clause.band_at_least)
                    .count();
                count >= clause.count_at_least as usize
            });
            let replaced = s.streams.iter().zip(&eligibility).any(|(other, od)| {
                other.eligibility.replaces.contains(&stream.code)
                    && other.eligibility.any_of.iter().any(|clause| {
                        scores.domains.iter()
                            .filter(|sd| clause.domains.is_empty() || clause.domains.contains(&sd.domain))
                            .filter(|sd| sd.band >= clause.band_at_least)
                            .count() >= clause.count_at_least as usize
                    })
                    && od.eligible
            });
            prop_assert_eq!(d.eligible, held && !replaced, "{}: {}", stream.code, d.reason);
        }
        let asc_eligible = eligibility.iter().any(|d| d.stream == "ASC" && d.eligible);
        let mut plan = PlanInput {
            components: vec![],
            lines: lines.iter().map(|(c, cost, only)| {
                let code = s.categories.get(*c).map_or("unknown_category", |c| c.code.as_str());
                let mut l = line(code, *cost);
                if let Some(only) = only {
                    l.streams = vec![s.streams[*only].code.clone()];
                }
                l
            }).collect(),
        };
        if let (Some(agreed), true) = (agreed, asc_eligible) {
            plan.components.push(ComponentInput {
                stream: "ASC".into(),
                agreed: Some(Money::from_pence(agreed)),
                reason: Some("the support plan's costs".into()),
                mode: DeliveryMode::DirectPayment,
                provider: None,
            });
        }
        let charge = Money::from_pence(charge);
        let explained = decide(&s, &scores, on, &plan, charge).unwrap();
        prop_assert!(!explained.steps.is_empty());
        let quiet = decide_with(&s, &scores, on, &plan, charge, &mut Quiet).unwrap();
        let words_removed = |d: &BudgetDecision| {
            let mut d = d.clone();
            d.steps.clear();
            d.eligibility.iter_mut().for_each(|e| e.reason.clear());
            d.lines.iter_mut().for_each(|l| l.explanation.clear());
            d
        };
        prop_assert_eq!(words_removed(&explained), words_removed(&quiet));
        prop_assert!(quiet.steps.is_empty());
        // The RAS counted the same points as the names say.
        for c in &explained.components {
            let ras = s.stream(&c.stream).unwrap().ras_on(on).unwrap();
            prop_assert_eq!(c.indicative.points, scores.points(&ras.domains));
        }
        // Scores out of their questionnaire's order decide the same.
        if reversed {
            let mut backwards = scores.clone();
            backwards.domains.reverse();
            let again = decide_with(&s, &backwards, on, &plan, charge, &mut Quiet).unwrap();
            prop_assert_eq!(words_removed(&again), words_removed(&quiet));
        }
    }
}

#[test]
fn an_imported_budget_is_carried_at_its_amounts_and_charged_only_on_social_care() {
    use super::plan::{ImportedComponent, imported};
    let s = scheme();
    let components = [
        ImportedComponent {
            stream: "ASC".into(),
            weekly: Money::from_pence(20_000),
            mode: DeliveryMode::Managed,
            provider: Some("PROV-HC-01".into()),
        },
        ImportedComponent {
            stream: "PHB".into(),
            weekly: Money::from_pence(10_000),
            mode: DeliveryMode::Notional,
            provider: None,
        },
    ];
    // An assessed charge of 250.00 is capped at the 200.00 of social care.
    let d =
        imported(&s, date("2025-04-07"), &components, Money::from_pence(25_000), "the old system")
            .unwrap();
    assert_eq!(d.budget, Money::from_pence(30_000));
    assert_eq!(d.weekly_contribution, Money::from_pence(20_000));
    assert_eq!(
        (d.components[0].person_pays, d.components[0].funder_pays),
        (Money::from_pence(20_000), Money::ZERO)
    );
    assert_eq!(
        (d.components[1].person_pays, d.components[1].funder_pays),
        (Money::ZERO, Money::from_pence(10_000))
    );
    let mut bad = components.clone();
    bad[1].mode = DeliveryMode::IndividualServiceFund;
    let e = imported(&s, date("2025-04-07"), &bad, Money::ZERO, "x").unwrap_err().to_string();
    assert!(e.contains("components[1].provider"), "{e}");
}
