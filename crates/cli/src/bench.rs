//! `onebudget bench ledger`: how fast the ledger posts, checks and reports on this
//! machine. Figures are printed, never asserted: compare ratios within one run.
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
