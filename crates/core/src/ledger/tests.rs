//! Tests of the pure ledger rules: parsing transfers, planning batches, checking a ledger.

use super::*;
use proptest::prelude::*;

fn stream(code: &str) -> FundingStream {
    FundingStream::try_from(&FundingStreamInput {
        code: code.into(),
        name: None,
        owner: "ICB".into(),
        charging_basis: "free_at_point_of_use".into(),
    })
    .unwrap()
}

fn account(code: &str, stream: Option<&str>, may_go_negative: bool) -> Account {
    Account::try_from(&AccountInput {
        code: code.into(),
        name: None,
        kind: "pool".into(),
        owner: OwnerInput { organisation: Some("ICB".into()), person: None },
        stream: stream.map(str::to_owned),
        may_go_negative,
    })
    .unwrap()
}

fn input(key: &str, from: &str, to: &str, amount: &str) -> TransferInput {
    TransferInput {
        idempotency_key: key.into(),
        from: from.into(),
        to: to.into(),
        amount: amount.into(),
        stream: "CHC".into(),
        effective_date: "2025-04-01".into(),
        reason: "allocation".into(),
        memo: String::new(),
        reverses: None,
    }
}

fn transfer(key: &str, from: &str, to: &str, amount: &str) -> Transfer {
    Transfer::try_from(&input(key, from, to, amount)).unwrap()
}

fn context() -> BatchContext {
    let mut context = BatchContext::default();
    for s in ["CHC", "ASC"] {
        context.streams.insert(StreamCode(s.into()), stream(s));
    }
    for a in [
        account("FUNDER", None, true),
        account("POOL", None, false),
        account("CHC-ONLY", Some("CHC"), false),
        account("ASC-ONLY", Some("ASC"), false),
    ] {
        context.accounts.insert(a.code.clone(), a);
    }
    context
}

fn field_error(input: &TransferInput) -> FieldError {
    Transfer::try_from(input).unwrap_err()
}

#[test]
fn bad_fields_are_named_with_their_value() {
    let cases: Vec<(TransferInput, &str, &str)> = vec![
        (input("k", "A", "B", "-5.00"), "amount", "positive amount"),
        (input("k", "A", "B", "0"), "amount", "positive amount"),
        (input("k", "A", "B", "1.234"), "amount", "more than two decimal places"),
        (input("k", "A", "B", "92233720368547758.08"), "amount", "too large"),
        (input("k", "A", "A", "1"), "to", "two different accounts"),
        (input("", "A", "B", "1"), "idempotency_key", "empty"),
        (input("k", "A B", "B", "1"), "from", "only letters"),
        (input("k", "ICB:CHC", "B", "1"), "from", "only letters"),
        (
            TransferInput { effective_date: "2023-02-29".into(), ..input("k", "A", "B", "1") },
            "effective_date",
            "no such date",
        ),
        (
            TransferInput { effective_date: "1/4/2025".into(), ..input("k", "A", "B", "1") },
            "effective_date",
            "YYYY-MM-DD",
        ),
        (
            TransferInput { memo: "x".repeat(501), ..input("k", "A", "B", "1") },
            "memo",
            "longer than 500",
        ),
        (
            TransferInput { reason: "gift".into(), ..input("k", "A", "B", "1") },
            "reason",
            "must be one of",
        ),
    ];
    for (case, field, problem) in cases {
        let error = field_error(&case);
        assert_eq!(error.field, field, "{error}");
        assert!(error.problem.contains(problem), "{error}");
    }
    let long = field_error(&TransferInput { memo: "x".repeat(501), ..input("k", "A", "B", "1") });
    assert!(long.to_string().ends_with("xxx\"… (501 characters))"), "{long}");
    let error = field_error(&input("k", "A", "B", "1.234"));
    assert_eq!(error.value, "1.234");
    assert_eq!(
        error.to_string(),
        "amount: the amount has more than two decimal places (got \"1.234\")"
    );
}

#[test]
fn a_leap_day_that_exists_is_accepted() {
    let t = Transfer::try_from(&TransferInput {
        effective_date: "2024-02-29".into(),
        ..input("k", "A", "B", "1")
    });
    assert!(t.is_ok());
}

#[test]
fn plan_refuses_unknown_accounts_and_streams() {
    let ctx = context();
    let err = plan_batch(&[transfer("k", "FUNDER", "NOPE", "1")], &ctx).unwrap_err();
    assert_eq!(err.error.code(), "unknown_account");
    assert_eq!(err.error.field(), "to");
    let other_stream = Transfer::try_from(&TransferInput {
        stream: "DFG".into(),
        ..input("k", "FUNDER", "POOL", "1")
    })
    .unwrap();
    let err = plan_batch(&[other_stream], &ctx).unwrap_err();
    assert_eq!(err.error.code(), "unknown_stream");
}

#[test]
fn plan_refuses_a_stream_specific_account_in_another_stream() {
    let ctx = context();
    let t = Transfer::try_from(&TransferInput {
        stream: "CHC".into(),
        ..input("k", "FUNDER", "ASC-ONLY", "1")
    })
    .unwrap();
    let err = plan_batch(&[t], &ctx).unwrap_err();
    assert_eq!(err.error.code(), "stream_mismatch");
    assert!(err.to_string().contains("\"ASC-ONLY\" holds only stream \"ASC\""), "{err}");
}

#[test]
fn plan_refuses_an_overdraft_at_the_transfer_that_causes_it() {
    let ctx = context();
    let batch = [
        transfer("a", "FUNDER", "POOL", "10.00"),
        transfer("b", "POOL", "CHC-ONLY", "6.00"),
        transfer("c", "POOL", "CHC-ONLY", "4.01"),
    ];
    let err = plan_batch(&batch, &ctx).unwrap_err();
    assert_eq!(err.index, 2);
    assert_eq!(err.error.code(), "overdraft");
    assert!(err.to_string().contains("would fall to -£0.01 on 2025-04-01"), "{err}");
    // Balances are per stream: ASC money in the pool does not pay a CHC transfer.
    let mut ctx = context();
    ctx.balances
        .insert((AccountCode("POOL".into()), StreamCode("ASC".into())), Money::from_pence(1_000));
    let err = plan_batch(&[transfer("d", "POOL", "FUNDER", "1.00")], &ctx).unwrap_err();
    assert_eq!(err.error.code(), "overdraft");
}

fn dated(key: &str, from: &str, to: &str, amount: &str, date: &str) -> Transfer {
    Transfer::try_from(&TransferInput {
        effective_date: date.into(),
        ..input(key, from, to, amount)
    })
    .unwrap()
}

fn day(text: &str) -> NaiveDate {
    parse_date("date", text).unwrap()
}

/// Regression (found in review): a transfer dated before money arrived overdrew the
/// account on its statement and in balances as of that date, though the current balance
/// was positive.
#[test]
fn a_back_dated_spend_cannot_overdraw_at_its_date() {
    let mut ctx = context();
    let pool = (AccountCode("POOL".into()), StreamCode("CHC".into()));
    ctx.balances.insert(pool.clone(), Money::from_pence(100_050));
    ctx.latest_dates.insert(pool.clone(), day("2025-04-01"));
    let spend = dated("s", "POOL", "CHC-ONLY", "1000.00", "2025-03-01");
    assert_eq!(
        history_needed(std::slice::from_ref(&spend), &ctx),
        vec![(pool.clone(), day("2025-03-01"))]
    );
    ctx.later_movements.insert(pool.clone(), vec![(day("2025-04-01"), Money::from_pence(100_050))]);
    let err = plan_batch(std::slice::from_ref(&spend), &ctx).unwrap_err();
    assert_eq!(err.error.code(), "overdraft");
    assert!(err.to_string().contains("would fall to -£1,000.00 on 2025-03-01"), "{err}");
    // Dated on or after the money arrived, it is fine.
    let later = dated("s", "POOL", "CHC-ONLY", "1000.00", "2025-04-01");
    assert!(history_needed(std::slice::from_ref(&later), &ctx).is_empty());
    assert!(plan_batch(&[later], &ctx).is_ok());
    // Within one batch, date order decides, not the order of lines.
    let ctx = context();
    let batch = [
        dated("in", "FUNDER", "POOL", "5.00", "2025-05-02"),
        dated("out", "POOL", "CHC-ONLY", "5.00", "2025-05-01"),
    ];
    assert_eq!(plan_batch(&batch, &ctx).unwrap_err().index, 1);
    let batch = [
        dated("out", "POOL", "CHC-ONLY", "5.00", "2025-05-02"),
        dated("in", "FUNDER", "POOL", "5.00", "2025-05-01"),
    ];
    let plan = plan_batch(&batch, &ctx).unwrap();
    assert_eq!(
        plan.latest_dates[&(AccountCode("POOL".into()), StreamCode("CHC".into()))],
        day("2025-05-02")
    );
}

#[test]
fn check_finds_an_overdraft_in_the_past() {
    let (accounts, streams) = check_fixture();
    let mut spend = facts(2, 2, 1, 500, None);
    spend.effective_date = day("2025-03-01");
    let transfers = [facts(1, 1, 2, 500, None), spend];
    let stored = HashMap::from([((1, 1), 0), ((2, 1), 0)]);
    let violations = check_ledger(&accounts, &streams, transfers, &stored);
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert!(
        violations[0].detail.contains(
            "POOL may not go negative but falls to -£5.00 in stream CHC on 2025-03-01 (transfer 2)"
        ),
        "{violations:?}"
    );
}

#[test]
fn repeated_keys_are_no_ops_only_when_identical() {
    let mut ctx = context();
    let original = transfer("k", "FUNDER", "POOL", "5.00");
    ctx.recorded.insert(
        original.idempotency_key.clone(),
        RecordedTransfer { id: 7, transfer: original.clone() },
    );
    let plan = plan_batch(std::slice::from_ref(&original), &ctx).unwrap();
    assert_eq!(plan.transfers, vec![PlannedTransfer::AlreadyRecorded { id: 7 }]);
    assert!(plan.balances.is_empty());
    let err = plan_batch(&[transfer("k", "FUNDER", "POOL", "5.01")], &ctx).unwrap_err();
    assert_eq!(err.error.code(), "idempotency_conflict");
    assert!(err.to_string().contains("\"k\""));

    let ctx = context();
    let same = transfer("n", "FUNDER", "POOL", "1.00");
    let plan = plan_batch(&[same.clone(), same.clone()], &ctx).unwrap();
    assert_eq!(
        plan.transfers,
        vec![PlannedTransfer::New, PlannedTransfer::RepeatInBatch { index: 0 }]
    );
    assert_eq!(
        plan.balances[&(AccountCode("POOL".into()), StreamCode("CHC".into()))],
        Money::from_pence(100)
    );
    let err = plan_batch(&[same, transfer("n", "FUNDER", "POOL", "2.00")], &ctx).unwrap_err();
    assert_eq!(err.index, 1);
}

#[test]
fn reversals_must_mirror_their_original_and_not_exceed_it() {
    let mut ctx = context();
    let original = transfer("pay", "FUNDER", "POOL", "10.00");
    ctx.recorded
        .insert(original.idempotency_key.clone(), RecordedTransfer { id: 1, transfer: original });
    ctx.balances
        .insert((AccountCode("POOL".into()), StreamCode("CHC".into())), Money::from_pence(1_000));
    let reversal = |key: &str, from: &str, to: &str, amount: &str| {
        Transfer::try_from(&TransferInput {
            reverses: Some("pay".into()),
            reason: "correction".into(),
            ..input(key, from, to, amount)
        })
        .unwrap()
    };
    assert!(plan_batch(&[reversal("r1", "POOL", "FUNDER", "10.00")], &ctx).is_ok());
    let err = plan_batch(&[reversal("r1", "FUNDER", "POOL", "10.00")], &ctx).unwrap_err();
    assert_eq!(err.error.code(), "reversal_mismatch");
    let err = plan_batch(
        &[reversal("r1", "POOL", "FUNDER", "6.00"), reversal("r2", "POOL", "FUNDER", "4.01")],
        &ctx,
    )
    .unwrap_err();
    assert_eq!(err.index, 1);
    assert!(err.to_string().contains("only £4.00 of the original £10.00 is left"), "{err}");
    ctx.reversed_so_far.insert(IdempotencyKey("pay".into()), Money::from_pence(1_000));
    assert!(plan_batch(&[reversal("r3", "POOL", "FUNDER", "0.01")], &ctx).is_err());
    let early = Transfer::try_from(&TransferInput {
        reverses: Some("pay".into()),
        reason: "correction".into(),
        effective_date: "2025-03-31".into(),
        ..input("r4", "POOL", "FUNDER", "1.00")
    })
    .unwrap();
    let err = plan_batch(std::slice::from_ref(&early), &context()).unwrap_err();
    assert_eq!(err.error.code(), "unknown_reversal");
    let mut with_original = context();
    with_original.recorded = ctx.recorded.clone();
    let err = plan_batch(&[early], &with_original).unwrap_err();
    assert!(
        err.to_string().contains("cannot be dated before the transfer it reverses (2025-04-01)"),
        "{err}"
    );
    let mut none = transfer("x", "POOL", "FUNDER", "1.00");
    none.reverses = Some(IdempotencyKey("missing".into()));
    assert_eq!(plan_batch(&[none], &ctx).unwrap_err().error.code(), "unknown_reversal");
}

fn facts(id: i64, from: i64, to: i64, amount: i64, reverses: Option<i64>) -> TransferFacts {
    TransferFacts {
        id,
        effective_date: NaiveDate::from_ymd_opt(2025, 4, 1).unwrap(),
        from_account: from,
        to_account: to,
        stream: 1,
        amount_pence: amount,
        reverses,
    }
}

fn check_fixture() -> (HashMap<i64, AccountFacts>, HashMap<i64, StreamCode>) {
    let accounts = [(1, "FUNDER", true), (2, "POOL", false)]
        .into_iter()
        .map(|(id, code, neg)| {
            (
                id,
                AccountFacts { code: AccountCode(code.into()), stream: None, may_go_negative: neg },
            )
        })
        .collect();
    (accounts, HashMap::from([(1, StreamCode("CHC".into()))]))
}

#[test]
fn check_finds_nothing_wrong_with_a_sound_ledger() {
    let (accounts, streams) = check_fixture();
    let transfers = [facts(1, 1, 2, 500, None), facts(2, 2, 1, 200, Some(1))];
    let stored = HashMap::from([((1, 1), -300), ((2, 1), 300)]);
    assert_eq!(check_ledger(&accounts, &streams, transfers, &stored), vec![]);
}

#[test]
fn check_names_each_violation() {
    let (accounts, streams) = check_fixture();
    let mut unknown = facts(4, 1, 3, 5, None);
    unknown.stream = 9;
    let transfers =
        [facts(1, 1, 2, 500, None), facts(2, 2, 1, 600, Some(1)), facts(3, 1, 2, 0, None), unknown];
    let stored = HashMap::from([((1, 1), 100), ((2, 1), -99)]);
    let violations = check_ledger(&accounts, &streams, transfers, &stored);
    let rules: Vec<&str> = violations.iter().map(|v| v.rule).collect();
    assert!(rules.contains(&"reversal"), "{violations:?}");
    assert!(rules.contains(&"positive amount"), "{violations:?}");
    assert!(rules.contains(&"balance matches transfers"), "{violations:?}");
    assert!(rules.contains(&"no forbidden overdraft"), "{violations:?}");
    assert!(rules.contains(&"balances sum to zero"), "{violations:?}");
    assert!(rules.contains(&"known stream"), "{violations:?}");
    assert!(rules.contains(&"known account"), "{violations:?}");
}

/// The slow, obvious reference for [`plan_batch`] on same-day batches: walk the
/// transfers in order with a plain map of balances; the first transfer that uses a
/// stream-specific account in another stream, or takes a protected account below zero,
/// is the one refused.
fn reference_refusal(moves: &[(usize, usize, i64, bool)]) -> Option<usize> {
    let codes = ["FUNDER", "POOL", "CHC-ONLY", "ASC-ONLY"];
    let mut balances: HashMap<(&str, bool), i64> = HashMap::new();
    for (index, (from, to, pence, asc)) in moves.iter().enumerate() {
        let (from, to) = (codes[*from], codes[*to]);
        let wrong_stream =
            |code: &str| (code == "CHC-ONLY" && *asc) || (code == "ASC-ONLY" && !*asc);
        if wrong_stream(from) || wrong_stream(to) {
            return Some(index);
        }
        *balances.entry((from, *asc)).or_insert(0) -= pence;
        *balances.entry((to, *asc)).or_insert(0) += pence;
        if from != "FUNDER" && balances[&(from, *asc)] < 0 {
            return Some(index);
        }
    }
    None
}

fn batch_moves() -> impl Strategy<Value = Vec<(usize, usize, i64, bool)>> {
    // Half the moves bring money in from the funder, so most batches are accepted and
    // the refusals that happen are at interesting points, not at the first line.
    let one = (prop_oneof![Just(0usize), 0usize..4], 0usize..3, 1i64..5_000, any::<bool>())
        .prop_map(|(from, offset, pence, asc)| (from, (from + 1 + offset) % 4, pence, asc));
    prop::collection::vec(one, 1..40)
}

proptest! {
    /// The planner accepts exactly the batches the reference accepts, refuses the others
    /// at the same transfer, and an accepted batch leaves every stream summing to zero
    /// and no protected account negative.
    #[test]
    fn planner_agrees_with_the_reference(moves in batch_moves()) {
        let ctx = context();
        let codes = ["FUNDER", "POOL", "CHC-ONLY", "ASC-ONLY"];
        let batch: Vec<Transfer> = moves
            .iter()
            .enumerate()
            .map(|(i, (f, t, amount, asc))| {
                Transfer::try_from(&TransferInput {
                    stream: if *asc { "ASC".into() } else { "CHC".into() },
                    ..input(&format!("k{i}"), codes[*f], codes[*t], &Money::from_pence(*amount).to_plain_string())
                })
                .unwrap()
            })
            .collect();
        let expected = reference_refusal(&moves);
        match plan_batch(&batch, &ctx) {
            Ok(plan) => {
                prop_assert_eq!(expected, None);
                for s in ["CHC", "ASC"] {
                    let total: i64 = plan.balances.iter().filter(|((_, st), _)| st.as_str() == s).map(|(_, m)| m.pence()).sum();
                    prop_assert_eq!(total, 0);
                }
                for ((account, _), balance) in &plan.balances {
                    let may = ctx.accounts[account].may_go_negative();
                    prop_assert!(may || !balance.is_negative());
                }
            }
            Err(error) => prop_assert_eq!(Some(error.index), expected, "{}", error),
        }
    }
}
