//! Pools in the database, on SQLite and PostgreSQL from one set of bodies: a Better Care
//! Fund's year from agreement to confirmed settlement, with every figure worked out by
//! hand from the amounts posted; variations; what bad agreements leave behind (nothing);
//! the settlement as confirmed once it is posted (and after a crash between posting and
//! recording it); and the append-only guarantee on agreements, settlement confirmations
//! and posted settlements.

// A test stops at the first surprise: unwrapping and indexing are how it says so.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use onebudget_core::ledger::{
    AccountInput, FundingStreamInput, OpenRecord, OpenRecordInput, OwnerInput, Transfer,
    TransferInput,
};
use onebudget_core::money::Money;
use onebudget_core::pool::monitoring::ForecastMethod;
use onebudget_core::pool::{
    AgreementInput, FinancialYear, PartnerInput, RiskShareInput, RuleInput, SchemeInput,
};
use onebudget_store::testing::raw_sql;
use onebudget_store::{PoolStoreError, PostError, Store, backend_tests};

fn pounds(text: &str) -> Money {
    Money::parse(text).unwrap()
}

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

fn year() -> FinancialYear {
    FinancialYear::new("year", 2025).unwrap()
}

fn stream(code: &str, owner: &str) -> OpenRecord {
    OpenRecord::try_from(&OpenRecordInput::FundingStream(FundingStreamInput {
        code: code.into(),
        name: None,
        owner: owner.into(),
        charging_basis: "free_at_point_of_use".into(),
    }))
    .unwrap()
}

fn account(
    code: &str,
    kind: &str,
    owner: &str,
    stream: Option<&str>,
    negative: bool,
) -> OpenRecord {
    OpenRecord::try_from(&OpenRecordInput::Account(AccountInput {
        code: code.into(),
        name: None,
        kind: kind.into(),
        owner: OwnerInput { organisation: Some(owner.into()), person: None },
        stream: stream.map(str::to_owned),
        may_go_negative: negative,
    }))
    .unwrap()
}

/// The streams and accounts of a Better Care Fund hosted by the council, plus a stream
/// CHC that the council owns (for the wrong-owner case).
fn fixture(url: &str) -> Store {
    let store = Store::open(url).unwrap();
    store
        .open_records(&[
            stream("BCF", "ICB"),
            stream("IBCF", "COUNCIL"),
            stream("CHC", "COUNCIL"),
            account("ICB-BCF", "funding", "ICB", Some("BCF"), true),
            account("COUNCIL-IBCF", "funding", "COUNCIL", Some("IBCF"), true),
            account("ICB-SETTLE", "funding", "ICB", None, false),
            account("COUNCIL-SETTLE", "funding", "COUNCIL", None, false),
            account("BCF-REABLEMENT", "pool", "COUNCIL", None, false),
            account("BCF-CARERS", "pool", "COUNCIL", None, false),
            account("BCF-RESERVE", "pool", "COUNCIL", None, false),
            account("PROV-X", "provider", "COUNCIL", None, false),
        ])
        .unwrap();
    store
}

fn split(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

/// ICB 600,000 and council 400,000; reablement 700,000 and carers 300,000, both 60/40;
/// an even profile; over- and underspends shared in proportion to contributions.
fn bcf() -> AgreementInput {
    let partner = |organisation: &str, stream: &str, account: &str, settle: &str, amount: &str| {
        PartnerInput {
            organisation: organisation.into(),
            stream: stream.into(),
            account: account.into(),
            settlement_account: Some(settle.into()),
            annual_contribution: amount.into(),
            minimum_contribution: None,
            profile: None,
        }
    };
    let scheme = |code: &str, account: &str, lead: &str, budget: &str| SchemeInput {
        code: code.into(),
        name: None,
        account: account.into(),
        lead: lead.into(),
        planned_budget: budget.into(),
        funding: split(&[("ICB", "0.6"), ("COUNCIL", "0.4")]),
    };
    let rule = RuleInput { rule: "proportional".into(), ..RuleInput::default() };
    AgreementInput {
        pool: "BCF".into(),
        name: Some("Test Better Care Fund".into()),
        kind: "pooled".into(),
        host: "COUNCIL".into(),
        year: 2025,
        effective_from: "2025-04-01".into(),
        partners: vec![
            partner("ICB", "BCF", "ICB-BCF", "ICB-SETTLE", "600000.00"),
            partner("COUNCIL", "IBCF", "COUNCIL-IBCF", "COUNCIL-SETTLE", "400000.00"),
        ],
        schemes: vec![
            scheme("REABLEMENT", "BCF-REABLEMENT", "COUNCIL", "700000.00"),
            scheme("CARERS", "BCF-CARERS", "ICB", "300000.00"),
        ],
        risk_share: RiskShareInput { overspend: rule.clone(), underspend: rule },
        reserve_account: Some("BCF-RESERVE".into()),
    }
}

/// Post the contributions due for `months`; returns the sum per (from, to).
fn contribute(
    store: &Store,
    months: std::ops::RangeInclusive<usize>,
    paid: &mut HashMap<(String, String), Money>,
) {
    for month in months {
        let due = store.pool_contributions_due("BCF", year(), month).unwrap();
        for transfer in &due {
            assert_eq!(transfer.effective_date(), year().month_start(month));
            let slot = paid
                .entry((transfer.from().as_str().to_owned(), transfer.to().as_str().to_owned()))
                .or_default();
            *slot = slot.checked_add(transfer.amount()).unwrap();
        }
        store.post(&due).unwrap();
    }
}

fn paid_of(paid: &HashMap<(String, String), Money>, from: &str, to: &str) -> Money {
    paid.get(&(from.to_owned(), to.to_owned())).copied().unwrap_or_default()
}

/// Pay from a scheme and post it; returns the split as (stream, amount).
fn pay(store: &Store, scheme: &str, amount: &str, on: &str, key: &str) -> Vec<(String, Money)> {
    let transfers = store
        .pool_payment(
            "BCF",
            year(),
            scheme,
            "PROV-X",
            pounds(amount),
            date(on),
            key,
            "provider_payment",
            "care",
        )
        .unwrap();
    store.post(&transfers).unwrap();
    transfers.iter().map(|t| (t.stream().as_str().to_owned(), t.amount())).collect()
}

fn parts(pairs: &[(&str, &str)]) -> Vec<(String, Money)> {
    pairs.iter().map(|(s, a)| ((*s).to_owned(), pounds(a))).collect()
}

/// Each (account, stream) balance of one account.
fn balances_of(store: &Store, account: &str) -> Vec<(String, Money)> {
    let mut rows: Vec<(String, Money)> = store
        .balances(None, None)
        .unwrap()
        .into_iter()
        .filter(|r| r.account == account)
        .map(|r| (r.stream, r.balance))
        .collect();
    rows.sort();
    rows
}

fn refused_field(result: Result<onebudget_store::AgreementVersion, PoolStoreError>) -> String {
    match result {
        Err(PoolStoreError::Field(error)) => error.field,
        other => panic!("expected a refusal naming a field, got {other:?}"),
    }
}

backend_tests! {
    fn a_pooled_fund_from_agreement_to_confirmed_settlement(url: &str) {
        let store = fixture(url);
        let version = store.record_agreement(&bcf(), "finance-council").unwrap();
        assert_eq!((version.version, version.effective_from), (1, date("2025-04-01")));
        assert_eq!(store.pools().unwrap().len(), 1);

        // Twelve months of contributions: exactly the agreed amount per partner and
        // scheme (reablement 700,000 × 0.6 / 0.4; carers 300,000 × 0.6 / 0.4).
        let mut paid = HashMap::new();
        contribute(&store, 1..=12, &mut paid);
        assert_eq!(paid_of(&paid, "ICB-BCF", "BCF-REABLEMENT"), pounds("420000.00"));
        assert_eq!(paid_of(&paid, "COUNCIL-IBCF", "BCF-REABLEMENT"), pounds("280000.00"));
        assert_eq!(paid_of(&paid, "ICB-BCF", "BCF-CARERS"), pounds("180000.00"));
        assert_eq!(paid_of(&paid, "COUNCIL-IBCF", "BCF-CARERS"), pounds("120000.00"));
        assert_eq!(paid.len(), 4, "{paid:?}");
        assert_eq!(
            balances_of(&store, "BCF-REABLEMENT"),
            vec![("BCF".into(), pounds("420000.00")), ("IBCF".into(), pounds("280000.00"))]
        );

        // Payments split 60/40 by stream; the odd penny goes to the larger remainder (ICB).
        assert_eq!(pay(&store, "REABLEMENT", "10000.00", "2025-05-15", "pay/1"), parts(&[("BCF", "6000.00"), ("IBCF", "4000.00")]));
        assert_eq!(pay(&store, "CARERS", "3000.00", "2025-06-10", "pay/2"), parts(&[("BCF", "1800.00"), ("IBCF", "1200.00")]));
        assert_eq!(pay(&store, "REABLEMENT", "50000.01", "2025-08-20", "pay/3"), parts(&[("BCF", "30000.01"), ("IBCF", "20000.00")]));
        assert_eq!(pay(&store, "CARERS", "200000.00", "2025-12-01", "pay/4"), parts(&[("BCF", "120000.00"), ("IBCF", "80000.00")]));
        assert_eq!(pay(&store, "REABLEMENT", "500000.00", "2026-01-10", "pay/5"), parts(&[("BCF", "300000.00"), ("IBCF", "200000.00")]));

        // Carers holds 180,000 − 1,800 − 120,000 = 58,200 of the ICB's money: a payment
        // whose ICB part is 240,000 is refused by the ledger, and nothing is written.
        let before = store.transfer_count().unwrap();
        let too_much = store
            .pool_payment("BCF", year(), "CARERS", "PROV-X", pounds("400000.00"), date("2026-03-31"), "pay/6", "provider_payment", "too much")
            .unwrap();
        match store.post(&too_much) {
            Err(PostError::Rejected(error)) => assert!(error.to_string().contains("BCF-CARERS"), "{error}"),
            other => panic!("expected an overdraft refusal, got {other:?}"),
        }
        assert_eq!(store.transfer_count().unwrap(), before);

        // Monitoring through December (month 9), with an entered forecast for carers.
        store
            .record_pool_forecast("BCF", year(), "CARERS", ForecastMethod::Entered, Some(pounds("290000.00")), pounds("5000.00"), "winter pressures on carers' breaks", "finance-icb")
            .unwrap();
        let report = store.pool_monitoring("BCF", year(), Some(9)).unwrap();
        let reablement = &report.schemes[0];
        // 70,000,000p over 12 months: 5,833,333p each and the 4 pennies left to April–July.
        assert_eq!(reablement.budget_to_date, pounds("525000.01"));
        // May 10,000 + August 50,000.01; January's 500,000 is after December.
        assert_eq!(reablement.actual_to_date, pounds("60000.01"));
        assert_eq!(reablement.method, ForecastMethod::Profile);
        // Profile: actual 60,000.01 + the budget of January–March 3 × 58,333.33.
        assert_eq!(reablement.forecast, pounds("235000.00"));
        assert_eq!(reablement.variance, pounds("-465000.00"));
        assert_eq!(reablement.paid_by_partner, vec![pounds("336000.01"), pounds("224000.00")]);
        let carers = &report.schemes[1];
        assert_eq!(carers.budget_to_date, pounds("225000.00"));
        assert_eq!(carers.actual_to_date, pounds("203000.00"));
        assert_eq!(carers.commitments, pounds("5000.00"));
        assert_eq!((carers.method, carers.forecast), (ForecastMethod::Entered, pounds("290000.00")));
        assert!(carers.method_explained.contains("winter pressures"), "{}", carers.method_explained);
        assert_eq!(carers.variance, pounds("-10000.00"));
        assert_eq!(report.actual_to_date, pounds("263000.01"));
        assert_eq!(report.forecast, pounds("525000.00"));
        assert_eq!(report.forecast_variance, pounds("-475000.00"));
        // -475,000 shared 600 : 400.
        assert_eq!(report.partners[0].forecast_share, pounds("-285000.00"));
        assert_eq!(report.partners[1].forecast_share, pounds("-190000.00"));
        // ICB 50,000 a month; the council 33,333.33 a month with a penny more in April–July.
        assert_eq!((report.partners[0].due_to_date, report.partners[0].paid_to_date), (pounds("450000.00"), pounds("450000.00")));
        assert_eq!((report.partners[1].due_to_date, report.partners[1].paid_to_date), (pounds("300000.01"), pounds("300000.01")));

        // No settlement before the year is closed.
        let early = store.pool_settlement("BCF", year()).unwrap_err().to_string();
        assert!(early.contains("not closed"), "{early}");
        store.close_pool_months("BCF", year(), 12, "finance-council").unwrap();

        // Outturn 560,000.01 + 203,000 = 763,000.01; variance −236,999.99 shared 600 : 400:
        // ICB −142,199.994 → −142,199.99, the council −94,799.996 → −94,800.00 (the penny to
        // the larger remainder). Net = agreed + share − paid.
        let view = store.pool_settlement("BCF", year()).unwrap();
        let settlement = &view.settlement;
        assert_eq!((settlement.budget, settlement.outturn, settlement.variance), (pounds("1000000.00"), pounds("763000.01"), pounds("-236999.99")));
        let icb = &settlement.partners[0];
        assert_eq!((icb.paid, icb.spent, icb.share, icb.net), (pounds("600000.00"), pounds("457800.01"), pounds("-142199.99"), pounds("-142199.99")));
        let council = &settlement.partners[1];
        assert_eq!((council.paid, council.spent, council.share, council.net), (pounds("400000.00"), pounds("305200.00"), pounds("-94800.00"), pounds("-94800.00")));
        // What is left in each scheme goes back to its partner; nothing more moves.
        let moves: Vec<(&str, &str, &str, Money)> = settlement.transfers.iter().map(|t| (t.from.as_str(), t.to.as_str(), t.stream.as_str(), t.amount)).collect();
        let mut moves = moves;
        moves.sort_by(|a, b| (a.0, a.2).cmp(&(b.0, b.2)));
        assert_eq!(moves, vec![
            ("BCF-CARERS", "ICB-BCF", "BCF", pounds("58200.00")),
            ("BCF-CARERS", "COUNCIL-IBCF", "IBCF", pounds("38800.00")),
            ("BCF-REABLEMENT", "ICB-BCF", "BCF", pounds("83999.99")),
            ("BCF-REABLEMENT", "COUNCIL-IBCF", "IBCF", pounds("56000.00")),
        ]);
        assert_eq!(view.waiting_for, vec!["ICB".to_owned(), "COUNCIL".to_owned()]);
        assert!(!view.posted);

        // The council confirms these figures; then a late recovery of £100 into carers
        // (IBCF) changes them, so the ICB's confirmation of the old digest is stale.
        let (after, posted) = store.confirm_pool_settlement("BCF", year(), "COUNCIL", "council-fo", &view.digest).unwrap();
        assert!(posted.is_empty());
        assert_eq!(after.waiting_for, vec!["ICB".to_owned()]);
        store.post(&[Transfer::try_from(&TransferInput {
            idempotency_key: "recovery/1".into(),
            from: "PROV-X".into(),
            to: "BCF-CARERS".into(),
            amount: "100.00".into(),
            stream: "IBCF".into(),
            effective_date: "2026-03-31".into(),
            reason: "recovery".into(),
            memo: "overpaid invoice".into(),
            reverses: None,
        }).unwrap()]).unwrap();
        let stale = store.confirm_pool_settlement("BCF", year(), "ICB", "icb-fo", &view.digest).unwrap_err().to_string();
        assert!(stale.contains("changed since you looked"), "{stale}");
        let view = store.pool_settlement("BCF", year()).unwrap();
        assert_eq!(view.waiting_for, vec!["ICB".to_owned(), "COUNCIL".to_owned()], "the old confirmation does not count");
        // Now outturn 762,900.01, variance −237,099.99: ICB −142,259.99, council −94,840.00.
        // The ICB's unspent money (142,199.99) is 60 short of its share, the council's
        // (94,900) 60 over: the council pays the ICB 60 in its own stream.
        let nets: Vec<Money> = view.settlement.partners.iter().map(|p| p.net).collect();
        assert_eq!(nets, vec![pounds("-142259.99"), pounds("-94840.00")]);
        let between: Vec<_> = view.settlement.transfers.iter().filter(|t| t.from.as_str() == "COUNCIL-IBCF").map(|t| (t.to.as_str(), t.stream.as_str(), t.amount)).collect();
        assert_eq!(between, vec![("ICB-SETTLE", "IBCF", pounds("60.00"))]);

        let (_, posted) = store.confirm_pool_settlement("BCF", year(), "COUNCIL", "council-fo", &view.digest).unwrap();
        assert!(posted.is_empty());
        let (done, posted) = store.confirm_pool_settlement("BCF", year(), "ICB", "icb-fo", &view.digest).unwrap();
        assert_eq!(posted.len(), view.settlement.transfers.len());
        assert!(done.posted && done.waiting_for.is_empty());
        for scheme in ["BCF-REABLEMENT", "BCF-CARERS"] {
            assert!(balances_of(&store, scheme).iter().all(|(_, b)| b.is_zero()), "{scheme}: {:?}", balances_of(&store, scheme));
        }
        assert_eq!(balances_of(&store, "ICB-SETTLE"), vec![("IBCF".into(), pounds("60.00"))]);
        let check = store.check().unwrap();
        assert!(check.violations.is_empty(), "{:?}", check.violations);
        assert!(store.check_pool_flows().unwrap().is_empty());
        let again = store.confirm_pool_settlement("BCF", year(), "ICB", "icb-fo", &view.digest).unwrap_err().to_string();
        assert!(again.contains("already posted"), "{again}");
        let again = store.confirm_pool_settlement("BCF", year(), "COUNCIL", "council-fo", &view.digest).unwrap_err().to_string();
        assert!(again.contains("already posted"), "{again}");

        // Once posted, the settlement is shown as it was confirmed. Regression: it was
        // worked out again from a ledger holding its transfers (schemes empty, a new
        // digest), so it lost who confirmed and listed only the payment between partners.
        let settled = store.pool_settlement("BCF", year()).unwrap();
        assert!(settled.posted && settled.posted_at.is_some());
        // The next year's agreement: the pools' list shows the newest year, and every year
        // (the settled one too) is still there to reach, newest first.
        let next_year = AgreementInput { year: 2026, effective_from: "2026-04-01".into(), ..bcf() };
        store.record_agreement(&next_year, "finance-council").unwrap();
        assert_eq!(store.pools().unwrap().iter().map(|p| p.year_start).collect::<Vec<_>>(), [2026]);
        let years: Vec<(i64, bool)> = store.pool_years().unwrap().iter().map(|y| (y.summary.year_start, y.settled)).collect();
        assert_eq!(years, [(2026, false), (2025, true)]);
        assert_eq!(settled.digest, view.digest, "the digest every partner confirmed");
        let who: Vec<(&str, &str)> = settled.confirmed_by.iter().map(|c| (c.organisation.as_str(), c.username.as_str())).collect();
        assert_eq!(who, vec![("COUNCIL", "council-fo"), ("ICB", "icb-fo")]);
        assert!(settled.waiting_for.is_empty());
        assert_eq!(settled, done, "the confirmation returned the settlement as it now stands");
        let (confirmed, now) = (&view.settlement, &settled.settlement);
        assert_eq!((now.budget, now.outturn, now.variance, &now.partners), (confirmed.budget, confirmed.outturn, confirmed.variance, &confirmed.partners));
        assert_eq!(now.transfers, confirmed.transfers);
        assert_eq!(now.transfers.len(), 5, "four returns from the schemes and one between partners");
        // The steps confirmed, and one more counting every transfer posted (the payment
        // between partners as well: it touches no pool account).
        assert_eq!(now.steps[..now.steps.len() - 1], confirmed.steps[..]);
        let last = now.steps.last().unwrap();
        assert_eq!(last.title, "Posted");
        assert!(last.detail.contains("all 5 of their balancing transfers"), "{}", last.detail);
        assert!(!now.steps.iter().any(|s| s.title == "Already posted"), "{:?}", now.steps);
        // And exactly these transfers are in the ledger, under the settlement's keys.
        let keys: Vec<String> = (1..=5).map(|n| format!("pool/BCF/2025/settlement/{n}")).collect();
        assert_eq!(posted.iter().map(|p| p.idempotency_key.clone()).collect::<Vec<_>>(), keys);
        for (key, shown) in keys.iter().zip(&now.transfers) {
            let recorded = store.transfer(&onebudget_core::ledger::IdempotencyKey::parse("key", key).unwrap()).unwrap().unwrap().transfer;
            assert_eq!(
                (recorded.from().as_str(), recorded.to().as_str(), recorded.stream().as_str(), recorded.amount(), recorded.memo()),
                (shown.from.as_str(), shown.to.as_str(), shown.stream.as_str(), shown.amount, shown.memo.as_str()),
                "{key}"
            );
            assert_eq!(recorded.effective_date(), date("2026-03-31"));
        }
        // Later money into the closed year changes nothing of what was confirmed.
        store.post(&[Transfer::try_from(&TransferInput {
            idempotency_key: "recovery/2".into(),
            from: "PROV-X".into(),
            to: "BCF-CARERS".into(),
            amount: "5.00".into(),
            stream: "IBCF".into(),
            effective_date: "2026-03-31".into(),
            reason: "recovery".into(),
            memo: "late credit note".into(),
            reverses: None,
        }).unwrap()]).unwrap();
        assert_eq!(store.pool_settlement("BCF", year()).unwrap(), settled);
    }

    fn a_settlement_posted_but_not_recorded_is_confirmed_again(url: &str) {
        // The last confirmation posts the transfers and then, in a second transaction,
        // records itself and the settlement. A crash between the two leaves the transfers
        // in the ledger and no record: the figures must still be the ones confirmed, and
        // the last partner's confirmation must go through without posting twice.
        let store = fixture(url);
        store.record_agreement(&bcf(), "finance-council").unwrap();
        contribute(&store, 1..=12, &mut HashMap::new());
        pay(&store, "REABLEMENT", "10000.00", "2025-05-15", "pay/1");
        store.close_pool_months("BCF", year(), 12, "finance-council").unwrap();
        let view = store.pool_settlement("BCF", year()).unwrap();
        store.confirm_pool_settlement("BCF", year(), "COUNCIL", "council-fo", &view.digest).unwrap();
        let crashed: Vec<Transfer> = view.settlement.transfers.iter().enumerate().map(|(n, t)| Transfer::try_from(&TransferInput {
            idempotency_key: format!("pool/BCF/2025/settlement/{}", n + 1),
            from: t.from.as_str().into(),
            to: t.to.as_str().into(),
            amount: t.amount.to_plain_string(),
            stream: t.stream.as_str().into(),
            effective_date: "2026-03-31".into(),
            reason: "settlement".into(),
            memo: t.memo.clone(),
            reverses: None,
        }).unwrap()).collect();
        assert!(!crashed.is_empty());
        store.post(&crashed).unwrap();
        let count = store.transfer_count().unwrap();

        let pending = store.pool_settlement("BCF", year()).unwrap();
        assert_eq!(pending.digest, view.digest);
        assert_eq!(pending.settlement, view.settlement);
        assert_eq!(pending.waiting_for, vec!["ICB".to_owned()]);
        assert!(!pending.posted);
        let (done, posted) = store.confirm_pool_settlement("BCF", year(), "ICB", "icb-fo", &view.digest).unwrap();
        assert_eq!(posted.len(), crashed.len());
        assert!(posted.iter().all(|p| p.status == onebudget_store::PostStatus::AlreadyRecorded), "{posted:?}");
        assert_eq!(store.transfer_count().unwrap(), count, "nothing is posted twice");
        assert!(done.posted && done.waiting_for.is_empty());
        assert_eq!((done.digest.as_str(), done.confirmed_by.len()), (view.digest.as_str(), 2));
        assert_eq!(done.settlement.transfers, view.settlement.transfers);
    }

    fn a_variation_changes_the_rest_of_the_year(url: &str) {
        let store = fixture(url);
        store.record_agreement(&bcf(), "finance-council").unwrap();
        let mut paid = HashMap::new();
        contribute(&store, 1..=6, &mut paid);
        assert_eq!(paid_of(&paid, "ICB-BCF", "BCF-REABLEMENT"), pounds("210000.00"));
        store.close_pool_months("BCF", year(), 6, "finance-council").unwrap();

        // Reablement grows to 760,000 from October: ICB 456,000, the council 304,000.
        let mut varied = bcf();
        varied.schemes[0].planned_budget = "760000.00".into();
        varied.partners[0].annual_contribution = "636000.00".into();
        varied.partners[1].annual_contribution = "424000.00".into();
        varied.effective_from = "2025-09-15".into();
        assert_eq!(refused_field(store.record_agreement(&varied, "finance-council")), "effective_from");
        varied.effective_from = "2025-10-01".into();
        let version = store.record_agreement(&varied, "finance-council").unwrap();
        assert_eq!(version.version, 2);

        // October: what is left (456,000 − 210,000 = 246,000) over the six months left.
        let october = store.pool_contributions_due("BCF", year(), 7).unwrap();
        let icb_reablement = october.iter().find(|t| t.from().as_str() == "ICB-BCF" && t.to().as_str() == "BCF-REABLEMENT").unwrap();
        assert_eq!(icb_reablement.amount(), pounds("41000.00"));
        contribute(&store, 7..=12, &mut paid);
        assert_eq!(paid_of(&paid, "ICB-BCF", "BCF-REABLEMENT"), pounds("456000.00"));
        assert_eq!(paid_of(&paid, "COUNCIL-IBCF", "BCF-REABLEMENT"), pounds("304000.00"));
        assert_eq!(paid_of(&paid, "ICB-BCF", "BCF-CARERS"), pounds("180000.00"));
        assert_eq!(paid_of(&paid, "COUNCIL-IBCF", "BCF-CARERS"), pounds("120000.00"));
        let pools = store.pools().unwrap();
        assert_eq!((pools[0].versions, pools[0].budget), (2, pounds("1060000.00")));
        // Asking for March again gives the same transfers, and their keys record nothing new.
        let count = store.transfer_count().unwrap();
        store.post(&store.pool_contributions_due("BCF", year(), 12).unwrap()).unwrap();
        assert_eq!(store.transfer_count().unwrap(), count);
    }

    fn bad_agreements_leave_nothing_behind(url: &str) {
        let store = fixture(url);
        let mut wrong_owner = bcf();
        wrong_owner.partners[0].stream = "CHC".into();
        assert_eq!(refused_field(store.record_agreement(&wrong_owner, "fo")), "partners[0].stream");
        let mut unknown = bcf();
        unknown.schemes[1].account = "BCF-NOWHERE".into();
        assert_eq!(refused_field(store.record_agreement(&unknown, "fo")), "schemes[1].account");
        let mut not_pool = bcf();
        not_pool.schemes[1].account = "PROV-X".into();
        assert_eq!(refused_field(store.record_agreement(&not_pool, "fo")), "schemes[1].account");
        assert!(store.pools().unwrap().is_empty());
        assert!(store.agreement_versions("BCF").unwrap().is_empty());
        assert!(store.check_pool_flows().unwrap().is_empty());
        // And the sound agreement still records afterwards, as version 1.
        assert_eq!(store.record_agreement(&bcf(), "fo").unwrap().version, 1);
    }

    fn agreements_and_confirmations_cannot_be_changed(url: &str) {
        let store = fixture(url);
        store.record_agreement(&bcf(), "finance-council").unwrap();
        store.close_pool_months("BCF", year(), 12, "finance-council").unwrap();
        let view = store.pool_settlement("BCF", year()).unwrap();
        store.confirm_pool_settlement("BCF", year(), "COUNCIL", "council-fo", &view.digest).unwrap();
        for sql in [
            "UPDATE pool_agreements SET recorded_by = 'someone else'",
            "DELETE FROM pool_agreements",
            "UPDATE pool_settlement_confirmations SET username = 'someone else'",
            "DELETE FROM pool_settlement_confirmations",
        ] {
            let error = raw_sql(url, sql).expect_err(sql);
            assert!(!error.is_empty(), "{sql}");
        }
        let versions = store.agreement_versions("BCF").unwrap();
        assert_eq!((versions.len(), versions[0].recorded_by.as_str()), (1, "finance-council"));
        let view = store.pool_settlement("BCF", year()).unwrap();
        assert_eq!(view.confirmed_by.len(), 1);
        assert_eq!(view.confirmed_by[0].username, "council-fo");

        // Nothing was paid in or spent, so nothing moves; once the ICB confirms too, the
        // settlement is kept as confirmed, and that record cannot be changed either.
        assert!(view.settlement.transfers.is_empty());
        let (done, posted) = store.confirm_pool_settlement("BCF", year(), "ICB", "icb-fo", &view.digest).unwrap();
        assert!(posted.is_empty());
        assert!(done.posted && done.waiting_for.is_empty(), "{done:?}");
        assert_eq!(done.digest, view.digest);
        assert!(done.settlement.steps.last().unwrap().detail.contains("no money needed to move"));
        for sql in [
            "UPDATE pool_settlements SET digest = 'forged'",
            "UPDATE pool_settlements SET settlement_json = '{}'",
            "DELETE FROM pool_settlements",
        ] {
            let error = raw_sql(url, sql).expect_err(sql);
            assert!(!error.is_empty(), "{sql}");
        }
        assert_eq!(store.pool_settlement("BCF", year()).unwrap(), done);
        let again = store.confirm_pool_settlement("BCF", year(), "COUNCIL", "council-fo", &view.digest).unwrap_err().to_string();
        assert!(again.contains("already posted"), "{again}");
    }
}
