//! Golden settlement cases: pools worked by hand for every risk-share rule (see
//! `tests/golden/pools/*.json` and its README). Each file gives an agreement, what each
//! partner paid in and what each scheme spent; the settlement must reproduce the budget,
//! outturn, variance, every share and every net figure to the penny. Where the figures
//! describe a ledger that could exist (no partner's stream spent more than it paid in),
//! the balancing transfers are also replayed: they must empty every scheme account and
//! move exactly each partner's net settlement.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use onebudget_core::Money;
use onebudget_core::pool::figures::YearFigures;
use onebudget_core::pool::settlement::settle;
use onebudget_core::pool::{Agreement, AgreementInput, MONTHS};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Golden {
    description: String,
    source: String,
    agreement: AgreementInput,
    paid: BTreeMap<String, Money>,
    scheme_outturn: BTreeMap<String, Money>,
    expected: Expected,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Expected {
    budget: Money,
    outturn: Money,
    variance: Money,
    shares: BTreeMap<String, Money>,
    net: BTreeMap<String, Money>,
    carried_forward: Money,
}

fn figures(agreement: &Agreement, golden: &Golden) -> YearFigures {
    let partners = agreement.partners.len();
    let mut figures = YearFigures {
        paid: vec![Money::ZERO; partners],
        paid_by_month: vec![[Money::ZERO; MONTHS]; partners],
        spent_by_month: vec![[Money::ZERO; MONTHS]; agreement.schemes.len()],
        spent_by_partner: vec![vec![Money::ZERO; partners]; agreement.schemes.len()],
        ..YearFigures::default()
    };
    for (index, partner) in agreement.partners.iter().enumerate() {
        let paid = golden.paid[partner.organisation.as_str()];
        figures.paid[index] = paid;
        figures.paid_by_month[index][0] = paid;
    }
    for (index, scheme) in agreement.schemes.iter().enumerate() {
        let outturn = golden.scheme_outturn[scheme.code.as_str()];
        figures.spent_by_month[index][0] = outturn;
        for (partner, part) in agreement.split_payment(scheme, outturn).unwrap() {
            figures.spent_by_partner[index][partner] = part;
        }
    }
    // Each partner's unspent money sits in the first scheme account it funds.
    for (index, _) in agreement.partners.iter().enumerate() {
        let left = figures.paid[index].checked_sub(figures.spent_from_partner(index)).unwrap();
        let scheme = agreement.schemes.iter().find(|s| s.funding[index].millionths() > 0).unwrap();
        figures.balances.push((scheme.account.clone(), index, left));
    }
    figures
}

#[test]
fn every_hand_worked_settlement_is_reproduced() {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/pools");
    let mut files: Vec<_> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 14, "expected at least 14 golden settlements in {folder:?}");
    let mut rules_seen = std::collections::BTreeSet::new();
    let mut replayed = 0;
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let golden: Golden = serde_json::from_str(&std::fs::read_to_string(file).unwrap())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!golden.source.is_empty() && !golden.description.is_empty(), "{name}");
        let agreement =
            Agreement::parse(&golden.agreement).unwrap_or_else(|e| panic!("{name}: {e}"));
        rules_seen.insert(golden.agreement.risk_share.overspend.rule.clone());
        rules_seen.insert(golden.agreement.risk_share.underspend.rule.clone());
        let figures = figures(&agreement, &golden);
        let settlement =
            settle(&agreement, &figures, MONTHS).unwrap_or_else(|e| panic!("{name}: {e}"));
        let expected = &golden.expected;
        assert_eq!(settlement.budget, expected.budget, "{name}: budget");
        assert_eq!(settlement.outturn, expected.outturn, "{name}: outturn");
        assert_eq!(settlement.variance, expected.variance, "{name}: variance");
        assert_eq!(settlement.carried_forward, expected.carried_forward, "{name}: carried forward");
        for partner in &settlement.partners {
            assert_eq!(
                partner.share, expected.shares[&partner.organisation],
                "{name}: {}'s share",
                partner.organisation
            );
            assert_eq!(
                partner.net, expected.net[&partner.organisation],
                "{name}: {}'s net",
                partner.organisation
            );
        }
        assert_eq!(settlement.partners.len(), expected.shares.len(), "{name}");
        assert!(!settlement.steps.is_empty(), "{name}: a settlement explains itself");

        // Replay the transfers when the figures could be a real ledger.
        if figures.balances.iter().any(|(_, _, b)| b.is_negative()) {
            continue;
        }
        replayed += 1;
        let mut balances: HashMap<(String, String), i64> = HashMap::new();
        for (account, partner, balance) in &figures.balances {
            let stream = agreement.partners[*partner].stream.as_str().to_owned();
            *balances.entry((account.as_str().to_owned(), stream)).or_default() += balance.pence();
        }
        let mut cash: HashMap<String, i64> = HashMap::new();
        for transfer in &settlement.transfers {
            assert!(transfer.amount.is_positive(), "{name}: {transfer:?}");
            *balances
                .entry((transfer.from.as_str().to_owned(), transfer.stream.as_str().to_owned()))
                .or_default() -= transfer.amount.pence();
            *balances
                .entry((transfer.to.as_str().to_owned(), transfer.stream.as_str().to_owned()))
                .or_default() += transfer.amount.pence();
            for partner in &agreement.partners {
                if transfer.from == partner.account {
                    *cash.entry(partner.organisation.as_str().to_owned()).or_default() +=
                        transfer.amount.pence();
                }
                if transfer.to == partner.account || transfer.to == partner.settlement_account {
                    *cash.entry(partner.organisation.as_str().to_owned()).or_default() -=
                        transfer.amount.pence();
                }
            }
        }
        for scheme in &agreement.schemes {
            for partner in &agreement.partners {
                let key = (scheme.account.as_str().to_owned(), partner.stream.as_str().to_owned());
                assert_eq!(
                    balances.get(&key).copied().unwrap_or(0),
                    0,
                    "{name}: {key:?} is not emptied"
                );
            }
        }
        if settlement.carried_forward.is_zero() {
            for partner in &settlement.partners {
                assert_eq!(
                    cash.get(&partner.organisation).copied().unwrap_or(0),
                    partner.net.pence(),
                    "{name}: {}'s transfers",
                    partner.organisation
                );
            }
        }
    }
    for rule in ["proportional", "fixed", "lead_partner", "capped", "carry_forward"] {
        assert!(rules_seen.contains(rule), "no golden case uses the {rule} rule");
    }
    assert!(replayed >= 6, "only {replayed} golden cases could be replayed as a ledger");
}
