//! `onebudget bench ledger`, `bench pools`, `bench assess`, `bench budgets` and `bench
//! connections`: how fast the ledger posts, checks and reports, how fast a pooled fund is
//! paid from, monitored and settled, how fast assessments run, how fast a whole caseload's
//! integrated budgets are re-run, and whether `/health` still answers while hundreds of
//! stalled connections are held open, on this machine. Figures are printed, never asserted: compare
//! ratios within one run.
//!
//! The synthetic ledger: a few funding streams, each with stream-specific accounts that
//! may go negative (so random flows never overdraw), and transfers between random pairs
//! of accounts in one stream, over two financial years. Transfers are generated before
//! the clock starts; the timed part is `Store::post` with durable commits.

use std::io::Write;
use std::time::Instant;

use anyhow::Context;
use chrono::{Duration, NaiveDate};
use onebudget_core::ledger::{
    AccountInput, FundingStreamInput, OpenRecord, OwnerInput, ReasonCode, Transfer, TransferInput,
};
use onebudget_core::money::Money;
use onebudget_store::{DEFAULT_DATABASE_URL, Store};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

#[derive(clap::Args)]
pub struct LedgerBenchArgs {
    /// How many transfers to post.
    #[arg(long, default_value_t = 1_000_000)]
    transfers: u64,
    /// Transfers per batch (one database transaction each).
    #[arg(long, default_value_t = 8_190)]
    batch_size: usize,
    /// Accounts per funding stream.
    #[arg(long, default_value_t = 1_000)]
    accounts_per_stream: usize,
    /// Seed for the synthetic transfers.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Print `committed batch N` after each batch commits (used by the crash-safety test).
    #[arg(long, hide = true)]
    report_commits: bool,
}

const STREAMS: [(&str, &str, &str); 4] = [
    ("ASC", "COUNCIL", "means_tested"),
    ("CHC", "ICB", "free_at_point_of_use"),
    ("BCF", "ICB", "free_at_point_of_use"),
    ("DFG", "COUNCIL", "means_tested"),
];

pub fn ledger(args: &LedgerBenchArgs, database_url: &str) -> anyhow::Result<()> {
    anyhow::ensure!(args.batch_size > 0, "--batch-size must be at least 1");
    anyhow::ensure!(args.accounts_per_stream >= 2, "--accounts-per-stream must be at least 2");
    // A fresh SQLite file unless the caller named a database.
    let scratch = tempfile::tempdir().context("cannot make a scratch directory")?;
    let url = if database_url == DEFAULT_DATABASE_URL {
        format!("sqlite://{}", scratch.path().join("bench.db").display())
    } else {
        database_url.to_owned()
    };
    let store = Store::open(&url)?;
    anyhow::ensure!(
        store.transfer_count()? == 0 && store.accounts()?.is_empty(),
        "the benchmark writes synthetic accounts and transfers, so it needs an empty database; {} is not empty",
        store.description()
    );
    let run = format!("b{}", args.seed);

    let mut records = Vec::new();
    for (stream, owner, basis) in STREAMS {
        records.push(OpenRecord::try_from(
            &onebudget_core::ledger::OpenRecordInput::FundingStream(FundingStreamInput {
                code: stream.into(),
                name: None,
                owner: owner.into(),
                charging_basis: basis.into(),
            }),
        )?);
        for n in 0..args.accounts_per_stream {
            records.push(OpenRecord::try_from(&onebudget_core::ledger::OpenRecordInput::Account(
                AccountInput {
                    code: format!("{run}-{stream}-{n:05}"),
                    name: None,
                    kind: "suspense".into(),
                    owner: OwnerInput { organisation: Some(owner.into()), person: None },
                    stream: Some(stream.into()),
                    may_go_negative: true,
                },
            ))?);
        }
    }
    store.open_records(&records).map_err(|e| anyhow::anyhow!("{e}"))?;

    let generate_started = Instant::now();
    let mut rng = StdRng::seed_from_u64(args.seed);
    let start = NaiveDate::from_ymd_opt(2024, 4, 1).context("date")?;
    let total = usize::try_from(args.transfers).context("too many transfers")?;
    let mut transfers = Vec::with_capacity(total);
    for n in 0..total {
        let (stream, _, _) =
            STREAMS.get(rng.random_range(0..STREAMS.len())).copied().context("stream")?;
        let from = rng.random_range(0..args.accounts_per_stream);
        let mut to = rng.random_range(0..args.accounts_per_stream - 1);
        if to >= from {
            to += 1;
        }
        let reason = ReasonCode::ALL
            .get(rng.random_range(0..ReasonCode::ALL.len() - 1))
            .copied()
            .context("reason")?;
        let date = start + Duration::days(rng.random_range(0..730));
        transfers.push(Transfer::try_from(&TransferInput {
            idempotency_key: format!("{run}-{}-{n:09}", n / args.batch_size),
            from: format!("{run}-{stream}-{from:05}"),
            to: format!("{run}-{stream}-{to:05}"),
            amount: Money::from_pence(rng.random_range(1..250_000)).to_plain_string(),
            stream: stream.into(),
            effective_date: date.format("%Y-%m-%d").to_string(),
            reason: reason.as_str().into(),
            memo: String::new(),
            reverses: None,
        })?);
    }
    let generate_seconds = generate_started.elapsed().as_secs_f64();

    println!(
        "onebudget bench ledger: {} transfers in batches of {} into {} ({} accounts, {} streams)",
        args.transfers,
        args.batch_size,
        store.description(),
        args.accounts_per_stream * STREAMS.len(),
        STREAMS.len()
    );
    println!("generate  {:>10.3} s (not timed below)", generate_seconds);
    let bar = crate::input::progress(args.transfers, "posting", !args.report_commits);
    let posting = Instant::now();
    let mut stdout = std::io::stdout();
    for (number, batch) in transfers.chunks(args.batch_size).enumerate() {
        store.post(batch).map_err(|e| anyhow::anyhow!("batch {number}: {e}"))?;
        bar.inc(u64::try_from(batch.len()).unwrap_or(0));
        if args.report_commits {
            writeln!(stdout, "committed batch {number}")?;
            stdout.flush()?;
        }
    }
    let post_seconds = posting.elapsed().as_secs_f64();
    bar.finish_and_clear();
    println!(
        "post      {:>10.3} s  {:>12.0} transfers/s",
        post_seconds,
        args.transfers as f64 / post_seconds.max(f64::EPSILON)
    );

    let checking = Instant::now();
    let report = store.check()?;
    println!(
        "check     {:>10.3} s  {} transfers, {} balances, {} violation(s)",
        checking.elapsed().as_secs_f64(),
        report.transfers,
        report.balances,
        report.violations.len()
    );
    let reporting = Instant::now();
    let rows = store.balances(None, None)?;
    println!(
        "balances  {:>10.3} s  {} rows (current, from the balances table)",
        reporting.elapsed().as_secs_f64(),
        rows.len()
    );
    let reporting = Instant::now();
    let as_of = start + Duration::days(364);
    let rows = store.balances(Some(as_of), None)?;
    println!(
        "balances  {:>10.3} s  {} rows (as of {as_of}, recomputed from transfers)",
        reporting.elapsed().as_secs_f64(),
        rows.len()
    );
    anyhow::ensure!(
        report.violations.is_empty(),
        "the check found violations: {:?}",
        report.violations
    );
    Ok(())
}

#[derive(clap::Args)]
pub struct AssessBenchArgs {
    /// How many synthetic cases to assess.
    #[arg(long, default_value_t = 1_000_000)]
    cases: usize,
    /// Threads to assess on (default: every core).
    #[arg(long)]
    threads: Option<usize>,
    /// Times to repeat the timed pass (the fastest is reported beside each).
    #[arg(long, default_value_t = 5)]
    repeat: usize,
    /// Seed for the synthetic caseload.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Also time the same cases grouped by nation and setting (as a population held per
    /// nation would be), to show what predictable branches are worth.
    #[arg(long)]
    grouped: bool,
    /// Also run the England care-at-home rule written in OpenFisca
    /// (benches/openfisca/england_non_residential.py) over the same cases, on one date,
    /// and compare speed and results. Needs python3 with openfisca-core installed
    /// (pip install -r benches/openfisca/requirements.txt).
    #[arg(long)]
    openfisca: bool,
    /// The OpenFisca harness script.
    #[arg(long, default_value = "benches/openfisca/england_non_residential.py")]
    openfisca_script: std::path::PathBuf,
    /// The policy directory the OpenFisca harness reads its figures from, when onebudget
    /// uses its built-in files (the repository's copy of them). With --policy-dir, the
    /// harness reads that directory, so both engines use the same figures.
    #[arg(long, default_value = "policy")]
    openfisca_policy_dir: std::path::PathBuf,
}

/// One case through the quiet engine with the rules in force on its date.
fn quiet(
    policy: &onebudget_core::policy::Policy,
    case: &onebudget_core::assessment::Case,
) -> Result<onebudget_core::assessment::Outcome, onebudget_core::assessment::AssessError> {
    let rules = policy.rules_on(case.nation, case.date)?;
    onebudget_core::assessment::assess(case, rules, &mut onebudget_core::assessment::Quiet)
}

fn checked_cases(
    inputs: &[onebudget_core::assessment::CaseInput],
) -> anyhow::Result<Vec<onebudget_core::assessment::Case>> {
    inputs
        .iter()
        .enumerate()
        .map(|(i, input)| {
            onebudget_core::assessment::Case::parse(input, Default::default())
                .map_err(|e| anyhow::anyhow!("synthetic case {i}: {e}"))
        })
        .collect()
}

/// Time `assess_all` `repeat` times; returns each pass's seconds and the summary.
fn timed_passes(
    policy: &onebudget_core::policy::Policy,
    cases: &[onebudget_core::assessment::Case],
    threads: usize,
    repeat: usize,
) -> anyhow::Result<(Vec<f64>, onebudget_sim::population::Summary)> {
    let mut seconds = Vec::new();
    let mut summary = None;
    for _ in 0..repeat.max(1) {
        let started = Instant::now();
        let result = onebudget_sim::population::assess_all(policy, cases, threads)?;
        seconds.push(started.elapsed().as_secs_f64());
        anyhow::ensure!(
            summary.is_none_or(|s| s == result),
            "two passes over the same cases disagreed"
        );
        summary = Some(result);
    }
    Ok((seconds, summary.unwrap_or_default()))
}

fn rate_line(label: &str, cases: usize, seconds: &[f64]) {
    let best = seconds.iter().copied().fold(f64::INFINITY, f64::min);
    let median = {
        let mut sorted = seconds.to_vec();
        sorted.sort_by(f64::total_cmp);
        sorted.get(sorted.len() / 2).copied().unwrap_or(best)
    };
    println!(
        "{label:<34} {:>12.0} assessments/s best, {:>12.0} median ({} passes, best {:.4} s)",
        cases as f64 / best.max(f64::EPSILON),
        cases as f64 / median.max(f64::EPSILON),
        seconds.len(),
        best
    );
}

pub fn assess(args: &AssessBenchArgs) -> anyhow::Result<()> {
    use onebudget_core::assessment::{AssessError, explain};
    use onebudget_core::policy::Policy;
    use onebudget_sim::caseload;

    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map(usize::from).unwrap_or(1));
    let policy = Policy::in_use()?;
    let generating = Instant::now();
    let inputs = caseload::generate(&caseload::Spec {
        cases: args.cases,
        seed: args.seed,
        only: None,
        date: None,
    });
    let all = checked_cases(&inputs)?;
    // Cases that need a figure marked unknown in policy/ are refused at once; timing them
    // would flatter the engine, so they are set aside before the clock starts.
    let total = all.len();
    let cases: Vec<_> = all
        .into_iter()
        .filter(|case| !matches!(quiet(policy, case), Err(AssessError::MissingFigure { .. })))
        .collect();
    println!(
        "onebudget bench assess: {} synthetic cases (four nations, both settings, 2022/23 to 2026/27), {threads} thread(s)",
        cases.len()
    );
    println!(
        "  ({} more generated but set aside: they need a figure marked unknown in policy/)",
        total - cases.len()
    );
    println!("generate  {:>10.3} s (not timed below)", generating.elapsed().as_secs_f64());

    let (seconds, summary) = timed_passes(policy, &cases, threads, args.repeat)?;
    rate_line("quiet (no explanations)", cases.len(), &seconds);
    if args.grouped {
        let mut grouped = cases.clone();
        grouped.sort_by_key(|c| (c.nation, c.setting.as_str()));
        let (s, _) = timed_passes(policy, &grouped, threads, args.repeat)?;
        rate_line("quiet, grouped by nation and setting", grouped.len(), &s);
    }
    let (one_thread, _) = timed_passes(policy, &cases, 1, args.repeat.min(3))?;
    rate_line("quiet, 1 thread", cases.len(), &one_thread);
    println!(
        "  charged {} a week in all; {} pay nothing; {} at full cost",
        summary.weekly_charges, summary.nil_charges, summary.full_cost,
    );

    // Explained: every step recorded, on one thread, over a slice; must agree.
    let sample = cases.len().min(100_000);
    let started = Instant::now();
    let mut explained_total = Money::ZERO;
    for case in cases.iter().take(sample) {
        explained_total =
            explained_total.checked_add(explain(policy, case)?.outcome.weekly_charge)?;
    }
    let explained_seconds = started.elapsed().as_secs_f64();
    let quiet_sample =
        onebudget_sim::population::assess_all(policy, cases.get(..sample).unwrap_or(&[]), 1)?;
    anyhow::ensure!(
        quiet_sample.weekly_charges == explained_total,
        "explained and quiet assessments disagree: {} and {}",
        explained_total,
        quiet_sample.weekly_charges
    );
    rate_line("explained, 1 thread", sample, &[explained_seconds]);

    if args.openfisca {
        openfisca(args, policy, threads)?;
    }
    Ok(())
}

/// The same England care-at-home cases through onebudget and through OpenFisca.
fn openfisca(
    args: &AssessBenchArgs,
    policy: &onebudget_core::policy::Policy,
    threads: usize,
) -> anyhow::Result<()> {
    use onebudget_core::assessment::Setting;
    use onebudget_core::policy::Nation;
    use onebudget_sim::caseload;

    let date = NaiveDate::from_ymd_opt(2024, 10, 1).context("date")?;
    // Only cases onebudget can assess (the others need a figure marked unknown): generate
    // twice as many and keep the first --cases of those.
    let generated = caseload::generate(&caseload::Spec {
        cases: args.cases.saturating_mul(2),
        seed: args.seed,
        only: Some((Nation::England, Setting::NonResidential)),
        date: Some(date),
    });
    let checked = checked_cases(&generated)?;
    let (inputs, cases): (Vec<_>, Vec<_>) = generated
        .into_iter()
        .zip(checked)
        .filter(|(_, case)| quiet(policy, case).is_ok())
        .take(args.cases)
        .unzip();
    let scratch = tempfile::tempdir().context("cannot make a scratch directory")?;
    let cases_csv = scratch.path().join("cases.csv");
    let charges_csv = scratch.path().join("charges.csv");
    let mut writer = csv::Writer::from_path(&cases_csv)?;
    let mut header = vec![
        "id",
        "age_years",
        "pension_credit_age",
        "couple",
        "disability",
        "enhanced_disability",
        "carer",
        "dependent_children",
        "savings",
    ];
    header.extend(caseload::INCOME_KINDS.iter().map(|k| k.as_str()));
    header.extend([
        "housing_costs",
        "dre",
        "cost_of_care",
        "night_care_provided",
        "disregard_night_care_element",
    ]);
    writer.write_record(&header)?;
    let flag = |b: bool| if b { "1".to_owned() } else { "0".to_owned() };
    for (i, (input, case)) in inputs.iter().zip(&cases).enumerate() {
        let savings = Money::checked_sum(case.capital.iter().map(|c| c.value))?;
        let mut row = vec![
            i.to_string(),
            case.age_years.to_string(),
            flag(case.pension_credit_age),
            flag(case.couple),
            flag(case.disability_premium),
            flag(case.enhanced_disability_premium),
            flag(case.carer_premium),
            case.dependent_children.to_string(),
            savings.to_plain_string(),
        ];
        for kind in caseload::INCOME_KINDS {
            let amount: Money = Money::checked_sum(
                input.weekly_income.iter().filter(|x| x.kind == kind).map(|x| x.amount),
            )?;
            row.push(amount.to_plain_string());
        }
        row.extend([
            case.housing_costs.to_plain_string(),
            case.disability_related_expenditure.to_plain_string(),
            case.cost_of_care.to_plain_string(),
            flag(case.night_care_provided),
            flag(case.local.disregard_night_care_element),
        ]);
        writer.write_record(&row)?;
    }
    writer.flush()?;

    let (seconds, _) = timed_passes(policy, &cases, threads, args.repeat)?;
    let best = seconds.iter().copied().fold(f64::INFINITY, f64::min);
    let output = std::process::Command::new("python3")
        .arg(&args.openfisca_script)
        .arg("--cases")
        .arg(&cases_csv)
        .arg("--out")
        .arg(&charges_csv)
        .arg("--date")
        .arg(date.to_string())
        .arg("--repeat")
        .arg(args.repeat.max(1).to_string())
        .arg("--policy-dir")
        .arg(match onebudget_core::policy::Policy::origin()? {
            onebudget_core::policy::PolicyOrigin::Directory(dir) => dir,
            onebudget_core::policy::PolicyOrigin::Embedded => &args.openfisca_policy_dir,
        })
        .output()
        .with_context(|| format!("cannot run python3 {}", args.openfisca_script.display()))?;
    anyhow::ensure!(
        output.status.success(),
        "the OpenFisca harness failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let last = stdout.lines().last().unwrap_or_default();
    let timing: serde_json::Value = serde_json::from_str(last)
        .with_context(|| format!("the harness's last line is not its timing JSON: {last}"))?;
    let compute =
        timing.get("compute_seconds").and_then(serde_json::Value::as_f64).unwrap_or(f64::NAN);
    let load = timing.get("load_seconds").and_then(serde_json::Value::as_f64).unwrap_or(f64::NAN);
    let repeats = timing.get("repeats").and_then(serde_json::Value::as_u64).unwrap_or(1);
    let first =
        timing.get("first_compute_seconds").and_then(serde_json::Value::as_f64).unwrap_or(f64::NAN);

    let mut reader = csv::Reader::from_path(&charges_csv)?;
    let (mut agree, mut differ, mut largest) = (0_u64, 0_u64, Money::ZERO);
    let mut example = None;
    for (record, case) in reader.records().zip(&cases) {
        let record = record?;
        let theirs = Money::parse(record.get(1).unwrap_or_default())
            .map_err(|e| anyhow::anyhow!("OpenFisca output: {e}"))?;
        let ours = quiet(policy, case)?.weekly_charge;
        let gap = ours.checked_sub(theirs)?;
        let gap = if gap.is_negative() { gap.checked_neg()? } else { gap };
        if gap.is_zero() {
            agree += 1;
        } else {
            differ += 1;
            if gap > largest {
                largest = gap;
                example = Some((record.get(0).unwrap_or_default().to_owned(), ours, theirs));
            }
        }
    }
    println!("England care at home on {date}: {} cases through both engines", cases.len());
    println!(
        "  onebudget  {:>10.4} s  {:>12.0} assessments/s ({threads} thread(s), best of {}, the first {:.4} s)",
        best,
        cases.len() as f64 / best.max(f64::EPSILON),
        seconds.len(),
        seconds.first().copied().unwrap_or(f64::NAN)
    );
    println!(
        "  OpenFisca  {:>10.4} s  {:>12.0} assessments/s (1 thread, calculate only, best of {repeats}, the first {first:.4} s; {:.2} s more to load inputs; openfisca-core {})",
        compute,
        cases.len() as f64 / compute.max(f64::EPSILON),
        load,
        timing.get("openfisca_core").and_then(serde_json::Value::as_str).unwrap_or("?")
    );
    println!(
        "  ratio      {:>10.1}× best against best (OpenFisca calculate time / onebudget time); \
         {:.1}× first pass against first pass",
        compute / best.max(f64::EPSILON),
        first / seconds.first().copied().unwrap_or(f64::NAN).max(f64::EPSILON)
    );
    println!(
        "  agreement  {agree} to the penny, {differ} differ (largest difference {largest}{})",
        example
            .map(|(id, ours, theirs)| format!(": case {id}, onebudget {ours}, OpenFisca {theirs}"))
            .unwrap_or_default()
    );
    Ok(())
}

#[derive(clap::Args)]
pub struct PoolsBenchArgs {
    /// How many scheme payment transfers to post (each payment splits into two, one per
    /// partner's stream, so this is twice the payments).
    #[arg(long, default_value_t = 10_000_000)]
    transfers: u64,
    /// Transfers per batch (one database transaction each).
    #[arg(long, default_value_t = 50_000)]
    batch_size: usize,
    /// Provider accounts the schemes pay.
    #[arg(long, default_value_t = 1_000)]
    providers: usize,
    /// Seed for the synthetic payments.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

const POOL_SCHEMES: usize = 6;
const POOL_CODE: &str = "BENCH-BCF";

fn pool_open_records(providers: usize) -> anyhow::Result<Vec<OpenRecord>> {
    use onebudget_core::ledger::OpenRecordInput;
    let account = |code: String, kind: &str, owner: &str, stream: Option<&str>, negative: bool| {
        OpenRecord::try_from(&OpenRecordInput::Account(AccountInput {
            code,
            name: None,
            kind: kind.into(),
            owner: OwnerInput { organisation: Some(owner.into()), person: None },
            stream: stream.map(str::to_owned),
            may_go_negative: negative,
        }))
    };
    let mut records = Vec::new();
    for (stream, owner) in [("BCF", "ICB"), ("IBCF", "COUNCIL")] {
        records.push(OpenRecord::try_from(&OpenRecordInput::FundingStream(FundingStreamInput {
            code: stream.into(),
            name: None,
            owner: owner.into(),
            charging_basis: "free_at_point_of_use".into(),
        }))?);
    }
    records.push(account("ICB-BCF".into(), "funding", "ICB", Some("BCF"), true)?);
    records.push(account("COUNCIL-IBCF".into(), "funding", "COUNCIL", Some("IBCF"), true)?);
    records.push(account("ICB-SETTLE".into(), "funding", "ICB", None, false)?);
    records.push(account("COUNCIL-SETTLE".into(), "funding", "COUNCIL", None, false)?);
    records.push(account("BCF-RESERVE".into(), "pool", "COUNCIL", None, false)?);
    for scheme in 1..=POOL_SCHEMES {
        records.push(account(format!("BCF-S{scheme}"), "pool", "COUNCIL", None, false)?);
    }
    for provider in 0..providers {
        records.push(account(format!("PROV-{provider:05}"), "provider", "COUNCIL", None, false)?);
    }
    Ok(records)
}

/// A two-partner pooled fund (ICB 60%, council 40% of every scheme) whose schemes'
/// budgets are 10% over the largest month's spending, times twelve, so that an even
/// monthly contribution always covers the month's payments.
fn pool_agreement(largest_month_pence: &[i64]) -> onebudget_core::pool::AgreementInput {
    use onebudget_core::pool::{
        AgreementInput, PartnerInput, RiskShareInput, RuleInput, SchemeInput,
    };
    // Whole multiples of £1,200 split exactly 60/40 and into twelve months.
    let unit = 120_000_i64;
    let budgets: Vec<i64> = largest_month_pence
        .iter()
        .map(|largest| (largest.saturating_mul(132) / 10 / unit + 1) * unit)
        .collect();
    let total: i64 = budgets.iter().sum();
    let partner =
        |organisation: &str, stream: &str, account: &str, settle: &str, share: i64| PartnerInput {
            organisation: organisation.into(),
            stream: stream.into(),
            account: account.into(),
            settlement_account: Some(settle.into()),
            annual_contribution: Money::from_pence(total / 10 * share).to_plain_string(),
            minimum_contribution: None,
            profile: None,
        };
    AgreementInput {
        pool: POOL_CODE.into(),
        name: Some("Benchmark Better Care Fund".into()),
        kind: "pooled".into(),
        host: "COUNCIL".into(),
        year: 2025,
        effective_from: "2025-04-01".into(),
        partners: vec![
            partner("ICB", "BCF", "ICB-BCF", "ICB-SETTLE", 6),
            partner("COUNCIL", "IBCF", "COUNCIL-IBCF", "COUNCIL-SETTLE", 4),
        ],
        schemes: budgets
            .iter()
            .enumerate()
            .map(|(index, budget)| SchemeInput {
                code: format!("S{}", index + 1),
                name: Some(format!("Scheme {}", index + 1)),
                account: format!("BCF-S{}", index + 1),
                lead: if index % 2 == 0 { "COUNCIL" } else { "ICB" }.into(),
                planned_budget: Money::from_pence(*budget).to_plain_string(),
                funding: [
                    ("ICB".to_owned(), "0.6".to_owned()),
                    ("COUNCIL".to_owned(), "0.4".to_owned()),
                ]
                .into_iter()
                .collect(),
            })
            .collect(),
        risk_share: RiskShareInput {
            overspend: RuleInput { rule: "proportional".into(), ..RuleInput::default() },
            underspend: RuleInput { rule: "proportional".into(), ..RuleInput::default() },
        },
        reserve_account: Some("BCF-RESERVE".into()),
    }
}

/// One synthetic payment: its day of the year (0 = 1 April), scheme, payee and amount.
struct BenchPayment {
    day: u32,
    scheme: u8,
    provider: u32,
    amount_pence: u32,
}

pub fn pools(args: &PoolsBenchArgs, database_url: &str) -> anyhow::Result<()> {
    use onebudget_core::pool::{Agreement, FinancialYear};
    anyhow::ensure!(args.batch_size >= 2, "--batch-size must be at least 2");
    anyhow::ensure!(args.providers >= 1, "--providers must be at least 1");
    anyhow::ensure!(args.transfers >= 2, "--transfers must be at least 2");
    let scratch = tempfile::tempdir().context("cannot make a scratch directory")?;
    let url = if database_url == DEFAULT_DATABASE_URL {
        format!("sqlite://{}", scratch.path().join("bench.db").display())
    } else {
        database_url.to_owned()
    };
    let store = Store::open(&url)?;
    anyhow::ensure!(
        store.transfer_count()? == 0 && store.accounts()?.is_empty(),
        "the benchmark writes synthetic accounts and transfers, so it needs an empty database; {} is not empty",
        store.description()
    );
    let year = FinancialYear::new("year", 2025)?;
    let days = u32::try_from((year.end() - year.first_day()).num_days()).context("days")?;

    // The payments, in date order, before the clock starts.
    let generating = Instant::now();
    let payments_count = usize::try_from(args.transfers / 2).context("too many transfers")?;
    let mut rng = StdRng::seed_from_u64(args.seed);
    let mut payments = Vec::with_capacity(payments_count);
    let mut month_spend = vec![[0_i64; 12]; POOL_SCHEMES];
    for n in 0..payments_count {
        let day =
            u32::try_from(n as u128 * u128::from(days) / payments_count as u128).context("day")?;
        let payment = BenchPayment {
            day,
            scheme: u8::try_from(rng.random_range(0..POOL_SCHEMES)).context("scheme")?,
            provider: u32::try_from(rng.random_range(0..args.providers)).context("provider")?,
            amount_pence: rng.random_range(200..=20_000),
        };
        let date = year.first_day() + Duration::days(i64::from(day));
        let month = year.month_of(date).context("month")?;
        if let Some(slot) = month_spend
            .get_mut(usize::from(payment.scheme))
            .and_then(|months| months.get_mut(month - 1))
        {
            *slot += i64::from(payment.amount_pence);
        }
        payments.push(payment);
    }
    let largest: Vec<i64> =
        month_spend.iter().map(|months| months.iter().copied().max().unwrap_or(0)).collect();
    let input = pool_agreement(&largest);
    let agreement = Agreement::parse(&input)?;
    let generate_seconds = generating.elapsed().as_secs_f64();

    store.open_records(&pool_open_records(args.providers)?).map_err(|e| anyhow::anyhow!("{e}"))?;
    store.record_agreement(&input, "bench")?;
    println!(
        "onebudget bench pools: {} payments split into {} transfers, in batches of {}, into {}",
        payments_count,
        payments_count * 2,
        args.batch_size,
        store.description()
    );
    println!(
        "  a pooled fund of {} ({} schemes, ICB 60% / council 40%), paying {} providers over {}",
        agreement.budget(),
        POOL_SCHEMES,
        args.providers,
        year.label()
    );
    println!("generate  {:>10.3} s (not timed below)", generate_seconds);

    let bar = crate::input::progress(args.transfers, "posting", true);
    let mut post_seconds = 0.0_f64;
    let mut posted = 0_u64;
    let mut contributions = 0_u64;
    let payments_per_batch = args.batch_size / 2;
    let mut next = 0_usize;
    for month in 1..=12 {
        let due = store.pool_contributions_due(POOL_CODE, year, month)?;
        let started = Instant::now();
        store.post(&due).map_err(|e| anyhow::anyhow!("contributions for month {month}: {e}"))?;
        post_seconds += started.elapsed().as_secs_f64();
        contributions += u64::try_from(due.len()).unwrap_or(0);
        let month_end = year.month_start(month + 1);
        loop {
            let mut batch = Vec::with_capacity(payments_per_batch * 2);
            while let Some(payment) = payments.get(next) {
                let date = year.first_day() + Duration::days(i64::from(payment.day));
                if date >= month_end || batch.len() + 2 > payments_per_batch * 2 {
                    break;
                }
                let scheme =
                    agreement.schemes.get(usize::from(payment.scheme)).context("scheme")?;
                let amount = Money::from_pence(i64::from(payment.amount_pence));
                for (partner, part) in agreement.split_payment(scheme, amount)? {
                    let stream = &agreement.partners.get(partner).context("partner")?.stream;
                    batch.push(Transfer::try_from(&TransferInput {
                        idempotency_key: format!("bench/pay/{next:09}/{stream}"),
                        from: scheme.account.as_str().to_owned(),
                        to: format!("PROV-{:05}", payment.provider),
                        amount: part.to_plain_string(),
                        stream: stream.as_str().to_owned(),
                        effective_date: date.to_string(),
                        reason: "provider_payment".into(),
                        memo: String::new(),
                        reverses: None,
                    })?);
                }
                next += 1;
            }
            if batch.is_empty() {
                break;
            }
            let started = Instant::now();
            store.post(&batch).map_err(|e| anyhow::anyhow!("payments in month {month}: {e}"))?;
            post_seconds += started.elapsed().as_secs_f64();
            posted += u64::try_from(batch.len()).unwrap_or(0);
            bar.inc(u64::try_from(batch.len()).unwrap_or(0));
        }
    }
    bar.finish_and_clear();
    anyhow::ensure!(next == payments.len(), "{} payments were not posted", payments.len() - next);
    println!(
        "post      {:>10.3} s  {:>12.0} transfers/s ({} payment transfers and {} contributions, generating each batch not timed)",
        post_seconds,
        (posted + contributions) as f64 / post_seconds.max(f64::EPSILON),
        posted,
        contributions
    );

    let started = Instant::now();
    let report = store.pool_monitoring(POOL_CODE, year, Some(12))?;
    println!(
        "monitor   {:>10.3} s  month 12: actual {} of budget {}, forecast variance {}",
        started.elapsed().as_secs_f64(),
        report.actual_to_date,
        report.budget,
        report.forecast_variance
    );
    let started = Instant::now();
    store.close_pool_months(POOL_CODE, year, 12, "bench")?;
    println!(
        "close     {:>10.3} s  months closed through {}",
        started.elapsed().as_secs_f64(),
        year.month_label(12)
    );
    let started = Instant::now();
    let view = store.pool_settlement(POOL_CODE, year)?;
    println!(
        "settle    {:>10.3} s  outturn {}, variance {}, {} balancing transfer(s)",
        started.elapsed().as_secs_f64(),
        view.settlement.outturn,
        view.settlement.variance,
        view.settlement.transfers.len()
    );
    let started = Instant::now();
    let violations = store.check_pool_flows()?;
    println!(
        "flows     {:>10.3} s  pool_flows recomputed from the transfers: {} violation(s)",
        started.elapsed().as_secs_f64(),
        violations.len()
    );
    anyhow::ensure!(violations.is_empty(), "the pool flows check found violations: {violations:?}");
    anyhow::ensure!(
        report.actual_to_date == view.settlement.outturn,
        "monitoring and settlement disagree about the year's spending"
    );
    Ok(())
}

#[derive(clap::Args)]
pub struct BudgetsBenchArgs {
    /// People in the national-scale caseload (the demo's caseload is timed first).
    #[arg(long, default_value_t = 1_000_000)]
    people: usize,
    /// Threads to re-run on (default: every core).
    #[arg(long)]
    threads: Option<usize>,
    /// Times to repeat each timed pass (the fastest and the median are reported).
    #[arg(long, default_value_t = 5)]
    repeat: usize,
    /// Seed for the synthetic caseloads.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

/// The CPU model, from /proc/cpuinfo where there is one.
fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, model)| model.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned())
}

/// Time `rerun` `repeat` times; every pass must give the same summary.
fn timed_reruns(
    scheme: &onebudget_core::budget::config::Scheme,
    people: &[onebudget_sim::budgets::Person],
    policy: &onebudget_core::policy::Policy,
    threads: usize,
    repeat: usize,
) -> anyhow::Result<(Vec<f64>, onebudget_sim::budgets::Summary)> {
    let mut seconds = Vec::new();
    let mut summary: Option<onebudget_sim::budgets::Summary> = None;
    for _ in 0..repeat.max(1) {
        let started = Instant::now();
        let result = onebudget_sim::budgets::rerun(scheme, people, policy, threads)?;
        seconds.push(started.elapsed().as_secs_f64());
        anyhow::ensure!(
            summary.as_ref().is_none_or(|s| *s == result),
            "two passes over the same people disagreed"
        );
        summary = Some(result);
    }
    let summary = summary.context("no pass was timed")?;
    Ok((seconds, summary))
}

fn budgets_line(label: &str, people: usize, seconds: &[f64]) {
    let best = seconds.iter().copied().fold(f64::INFINITY, f64::min);
    let median = {
        let mut sorted = seconds.to_vec();
        sorted.sort_by(f64::total_cmp);
        sorted.get(sorted.len() / 2).copied().unwrap_or(best)
    };
    println!(
        "{label:<34} {:>10.1} ms best, {:>10.1} ms median {:>12.0} people/s best ({} passes)",
        best * 1000.0,
        median * 1000.0,
        people as f64 / best.max(f64::EPSILON),
        seconds.len(),
    );
}

fn budgets_summary(summary: &onebudget_sim::budgets::Summary) {
    let eligible = summary
        .eligible
        .iter()
        .map(|(stream, count)| format!("{stream} {count}"))
        .collect::<Vec<_>>()
        .join(", ");
    println!(
        "  {} people: budgets {} a week, plans {}, unfunded {}, means-tested {}, contributions {}",
        summary.people,
        summary.budget,
        summary.plan_cost,
        summary.unfunded,
        summary.means_tested,
        summary.contribution
    );
    println!(
        "  eligible: {eligible}; for no stream {}; financial assessment not possible {}",
        summary.no_stream, summary.missing_figure
    );
}

/// `onebudget bench budgets`: re-run every person's budget (eligibility, the RAS per
/// stream, the allocation of the plan's lines, the financial assessment and the
/// contribution), first for the demo's caseload, then a national-scale one.
pub fn budgets(args: &BudgetsBenchArgs) -> anyhow::Result<()> {
    use onebudget_core::budget::config::Scheme;
    use onebudget_core::policy::Policy;
    use onebudget_sim::budgets::{self, Spec};
    use onebudget_sim::place::{self, PlaceSpec};

    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map(usize::from).unwrap_or(1));
    let scheme = Scheme::ashby_vale()?;
    let policy = Policy::in_use()?;
    let demo_people =
        place::build(&PlaceSpec::default()).people.iter().filter(|p| p.budget.is_some()).count();
    println!(
        "onebudget bench budgets: scheme {}, {threads} thread(s), on {} core(s) of {}",
        scheme.code,
        std::thread::available_parallelism().map(usize::from).unwrap_or(1),
        cpu_model()
    );
    println!(
        "  each person: needs scores -> eligibility and the RAS per stream -> allocation of 2 to \
         6 plan lines -> financial assessment at the means-tested cost -> contribution"
    );
    for (label, people, seed) in [
        ("demo's caseload (people holding a budget)", demo_people, args.seed),
        ("national scale", args.people, args.seed.wrapping_add(1)),
    ] {
        let generating = Instant::now();
        let caseload = budgets::generate(&scheme, &Spec { people, seed })?;
        println!(
            "{label}: {people} people, generated in {:.3} s (not timed below)",
            generating.elapsed().as_secs_f64()
        );
        let (seconds, summary) = timed_reruns(&scheme, &caseload, policy, threads, args.repeat)?;
        budgets_line(&format!("rerun, {threads} thread(s)"), people, &seconds);
        if threads > 1 {
            let (one, single) = timed_reruns(&scheme, &caseload, policy, 1, args.repeat.min(3))?;
            anyhow::ensure!(single == summary, "one thread and {threads} disagree");
            budgets_line("rerun, 1 thread", people, &one);
        }
        budgets_summary(&summary);
    }
    Ok(())
}

#[derive(clap::Args)]
pub struct ConnectionsBenchArgs {
    /// Stalled connections to hold open: each sends half a request's head, then nothing.
    #[arg(long, default_value_t = 400)]
    stalled: usize,
    /// Health checks to time, one after another, while they are open.
    #[arg(long, default_value_t = 50)]
    probes: usize,
    /// A running server to measure (HOST:PORT, e.g. 127.0.0.1:8080). Without it, a server
    /// is started in this process over a scratch SQLite database, with the default limits
    /// of `onebudget serve` (headers within 10 s, idle connections closed after 30 s).
    #[arg(long)]
    address: Option<std::net::SocketAddr>,
    /// The longest to wait for the server to close the stalled connections, in seconds.
    #[arg(long, default_value_t = 120)]
    wait_seconds: u64,
}

/// `onebudget bench connections`: hold `--stalled` half-sent requests open, time `/health`
/// meanwhile, and time how long the server takes to close each stalled connection.
pub fn connections(args: &ConnectionsBenchArgs) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("could not start a runtime")?;
    runtime.block_on(connections_async(args))
}

async fn connections_async(args: &ConnectionsBenchArgs) -> anyhow::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    let open_files = onebudget_web::server::raise_open_files_limit();
    let scratch = tempfile::tempdir().context("cannot make a scratch directory")?;
    let (address, stop, server) = match args.address {
        Some(address) => (address, None, None),
        None => {
            let url = format!("sqlite://{}", scratch.path().join("bench.db").display());
            let store = Store::open(&url).context("opening the scratch database")?;
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
            let address = listener.local_addr()?;
            let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
            let server = tokio::spawn(onebudget_web::serve(
                store,
                onebudget_web::Settings::default(),
                listener,
                async move {
                    let _ = stopped.await;
                },
            ));
            (address, Some(stop), Some(server))
        }
    };
    println!(
        "machine: {} ({} cores); open files allowed: {}; server: {}",
        cpu_model(),
        std::thread::available_parallelism().map_or(0, usize::from),
        open_files.map_or_else(|| "no limit".to_owned(), |n| n.to_string()),
        match args.address {
            Some(address) => format!("{address}"),
            None => "in this process, default limits".to_owned(),
        }
    );

    async fn health(address: std::net::SocketAddr) -> anyhow::Result<Duration> {
        let started = Instant::now();
        let mut stream = TcpStream::connect(address).await?;
        stream
            .write_all(b"GET /health HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
            .await?;
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await?;
        anyhow::ensure!(answer.starts_with(b"HTTP/1.1 200"), "/health did not answer 200");
        Ok(Duration::from_std(started.elapsed())?)
    }

    let before = health(address).await.context("/health before the stalled connections")?;
    let mut closers = Vec::with_capacity(args.stalled);
    for n in 0..args.stalled {
        let mut stream = TcpStream::connect(address)
            .await
            .with_context(|| format!("opening stalled connection {}", n + 1))?;
        stream.write_all(b"GET /health HTTP/1.1\r\nHost: bench\r\nX-Stalled: ").await?;
        let opened = Instant::now();
        closers.push(tokio::spawn(async move {
            let mut buffer = [0u8; 1024];
            loop {
                match stream.read(&mut buffer).await {
                    Ok(0) | Err(_) => return opened.elapsed(),
                    Ok(_) => {}
                }
            }
        }));
    }
    let mut latencies = Vec::with_capacity(args.probes);
    let mut failures = 0;
    for _ in 0..args.probes {
        match health(address).await {
            Ok(took) => latencies.push(took),
            Err(_) => failures += 1,
        }
    }
    latencies.sort_unstable();
    let at = |q: f64| -> f64 {
        let index = ((latencies.len() as f64 - 1.0) * q).round() as usize;
        latencies.get(index).map_or(f64::NAN, |d| d.num_microseconds().unwrap_or(0) as f64 / 1000.0)
    };
    println!(
        "{} stalled connections open: /health took {:.1} ms before; with them open, p50 {:.1} ms, max {:.1} ms over {} checks ({} failed)",
        args.stalled,
        before.num_microseconds().unwrap_or(0) as f64 / 1000.0,
        at(0.5),
        at(1.0),
        latencies.len(),
        failures
    );
    let deadline = std::time::Duration::from_secs(args.wait_seconds);
    let mut closed = Vec::with_capacity(closers.len());
    let mut open = 0;
    let waiting = Instant::now();
    for closer in closers {
        let left = deadline.saturating_sub(waiting.elapsed());
        match tokio::time::timeout(left, closer).await {
            Ok(Ok(after)) => closed.push(after.as_secs_f64()),
            _ => open += 1,
        }
    }
    closed.sort_by(f64::total_cmp);
    println!(
        "closed by the server: {} of {} (first after {:.1} s, median {:.1} s, last {:.1} s); still open after {} s: {open}",
        closed.len(),
        args.stalled,
        closed.first().copied().unwrap_or(f64::NAN),
        closed.get(closed.len() / 2).copied().unwrap_or(f64::NAN),
        closed.last().copied().unwrap_or(f64::NAN),
        args.wait_seconds
    );
    let after = health(address).await.context("/health after")?;
    println!("/health after: {:.1} ms", after.num_microseconds().unwrap_or(0) as f64 / 1000.0);
    if let (Some(stop), Some(server)) = (stop, server) {
        let _ = stop.send(());
        server.await.context("the server task")??;
    }
    Ok(())
}

/// `bench evidence`: the import half, then the compute half.
#[derive(clap::Args)]
pub struct EvidenceBenchArgs {
    /// How many social care events to import.
    #[arg(long, default_value_t = 1_000_000)]
    events: usize,
    /// How many people they are spread over.
    #[arg(long, default_value_t = 50_000)]
    people: u32,
    /// Seed for the synthetic events (the same seed gives the same events).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// How many synthetic events (hospital spells and social care services) to compute
    /// every metric for every month over.
    #[arg(long, default_value_t = 10_000_000)]
    compute_events: usize,
    /// Time the computation this many times and report the best.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Skip the import half (only compute).
    #[arg(long)]
    no_import: bool,
}

/// What the import half of `bench evidence` measured.
pub struct EvidenceImportFigures {
    pub events: usize,
    pub check_seconds: f64,
    pub write_seconds: f64,
}

/// A synthetic CLD Release 2 file of `events` service, assessment and review events for
/// `people` people over two years, as a council would send it.
fn synthetic_cld(events: usize, people: u32, seed: u64) -> anyhow::Result<String> {
    use onebudget_core::person::NhsNumber;
    let numbers: Vec<String> =
        (0..).filter_map(NhsNumber::synthetic).take(people as usize).map(|n| n.compact()).collect();
    let services = [
        (
            "Long term support: Community",
            "Home support or domiciliary care",
            "23.56",
            "Hourly",
            "10.5",
        ),
        ("Long term support: Residential care", "", "1185.55", "Weekly", ""),
        ("Long term support: Nursing care", "", "1250.00", "Weekly", ""),
        ("Short term support: ST-Max", "Reablement", "", "", ""),
        ("Long term support: Community", "Direct payment", "300.00", "Weekly", ""),
    ];
    let mut rng = StdRng::seed_from_u64(seed);
    let start = NaiveDate::from_ymd_opt(2024, 4, 1).context("date")?;
    let mut text = String::with_capacity(events * 200);
    text.push_str(
        "LA_Code,NHS_Number,LA_Person_Unique_Identifier,Client_Type,Event_Type,Event_Reference,\
         Event_Start_Date,Event_End_Date,Event_Outcome,Service_Type,Service_Component,\
         Delivery_Mechanism,Unit_Cost,Cost_Frequency_Unit_Type,Planned_units_per_week,\
         Client_Funding_Status,Primary_Support_Reason,Date_of_Birth,Gender\n",
    );
    for n in 0..events {
        // Each person's events start on different days, so no two are the same event by
        // DHSC's definition: person n % people, on day (n / people) * 36 + a random 0-35.
        let person = n % numbers.len();
        let number = numbers.get(person).context("person")?;
        let round = i64::try_from(n / numbers.len()).context("too many events")?;
        let begins = start + Duration::days(round * 36 + rng.random_range(0..36));
        let ends = begins + Duration::days(rng.random_range(0..120));
        let birth = NaiveDate::from_ymd_opt(
            1930 + (person % 60) as i32,
            1 + (person % 12) as u32,
            1 + (person % 28) as u32,
        )
        .context("birth")?;
        let (event_type, end, outcome, service) = match n % 4 {
            0 => ("Assessment", ends.to_string(), "Progress to support planning or services", None),
            1 => ("Review", ends.to_string(), "Continuation of support or services", None),
            _ => {
                let service =
                    services.get(rng.random_range(0..services.len())).context("service")?;
                let open = rng.random_range(0..3) == 0;
                ("Service", if open { String::new() } else { ends.to_string() }, "", Some(*service))
            }
        };
        let (service_type, component, cost, frequency, units) =
            service.unwrap_or(("", "", "", "", ""));
        let mechanism = if service.is_some() { "CASSR commissioned support" } else { "" };
        let funding = "Joint client and social care funded";
        text.push_str(&format!(
            "E06000099,{number},LA{person},Service user,{event_type},EV{n},{begins},{end},{outcome},\
             {service_type},{component},{mechanism},{cost},{frequency},{units},{funding},\
             Physical Support: Personal care support,{birth},Female\n"
        ));
    }
    Ok(text)
}

/// The import half of `bench evidence`: a synthetic CLD file is checked and pseudonymised
/// (timed), then written to a fresh SQLite database in one durable transaction (timed),
/// as `onebudget events import` does.
pub fn evidence_import(args: &EvidenceBenchArgs) -> anyhow::Result<EvidenceImportFigures> {
    anyhow::ensure!(args.people > 0, "--people must be at least 1");
    let scratch = tempfile::tempdir().context("cannot make a scratch directory")?;
    let url = format!("sqlite://{}", scratch.path().join("evidence.db").display());
    let store = Store::open(&url)?;
    let csv = synthetic_cld(args.events, args.people, args.seed)?;
    let secret = onebudget_core::evidence::PseudonymSecret::from_bytes(&[7; 32])?;
    let links = std::collections::HashMap::new();
    let options = onebudget_store::ImportOptions::default();

    let check_started = Instant::now();
    let parsed = onebudget_store::parse_events_csv(csv.as_bytes(), None, &secret, &links, &options)
        .map_err(|refused| anyhow::anyhow!("the synthetic file was refused: {refused}"))?;
    let check_seconds = check_started.elapsed().as_secs_f64();

    let audit = crate::access::operator_entry("import_events", "", "");
    let write_started = Instant::now();
    let summary = store.import_events(&parsed, &links, "bench.csv", &audit)?;
    let write_seconds = write_started.elapsed().as_secs_f64();
    anyhow::ensure!(
        summary.imported as usize == parsed.len(),
        "the benchmark imported {} of {} events",
        summary.imported,
        parsed.len()
    );
    anyhow::ensure!(
        store.event_counts()?.social_care as usize == parsed.len(),
        "the events were not all stored"
    );
    Ok(EvidenceImportFigures { events: parsed.len(), check_seconds, write_seconds })
}

/// `onebudget bench evidence`: the import half, then the compute half.
pub fn evidence(args: &EvidenceBenchArgs) -> anyhow::Result<()> {
    if !args.no_import {
        evidence_import_report(args)?;
    }
    // The compute half: every metric for every month over synthetic events in memory.
    crate::metrics::bench_compute(args.compute_events, args.seed, args.runs)
}

/// Run and print the import half of `bench evidence`.
fn evidence_import_report(args: &EvidenceBenchArgs) -> anyhow::Result<()> {
    println!(
        "onebudget bench evidence: {} CLD events for {} people into a fresh SQLite file (WAL, synchronous=FULL), on {}",
        args.events,
        args.people,
        cpu_model()
    );
    let figures = evidence_import(args)?;
    let rate = |seconds: f64| figures.events as f64 / seconds.max(f64::EPSILON);
    println!(
        "  check and pseudonymise the CSV: {:>8.3} s  {:>12.0} events/s",
        figures.check_seconds,
        rate(figures.check_seconds)
    );
    println!(
        "  write to SQLite (one durable transaction): {:>8.3} s  {:>12.0} events/s",
        figures.write_seconds,
        rate(figures.write_seconds)
    );
    println!(
        "  import end to end: {:>8.3} s  {:>12.0} events/s",
        figures.check_seconds + figures.write_seconds,
        rate(figures.check_seconds + figures.write_seconds)
    );
    std::io::stdout().flush()?;
    Ok(())
}
