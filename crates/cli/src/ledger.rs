//! The `ledger`, `check` and `export` commands: read input, call the store, print.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use onebudget_core::ledger::{
    AccountCode, OpenRecord, OpenRecordInput, StreamCode, Transfer, TransferInput, parse_date,
};
use onebudget_core::money::Money;
use onebudget_store::{OpenError, OpenOutcome, PostError, PostStatus, Store};

use crate::input::{progress, read_jsonl};
use crate::output::{Format, Table};

pub fn open(store: &Store, path: &Path) -> anyhow::Result<()> {
    let lines =
        read_jsonl::<OpenRecordInput, OpenRecord, _>(path, |raw| OpenRecord::try_from(raw))?;
    let outcomes = store.open_records(&lines.records).map_err(|error| match error {
        OpenError::Rejected { index, error } => {
            anyhow::anyhow!("line {}: {error}\nnothing was written", lines.line_of(index))
        }
        OpenError::Store(error) => anyhow::Error::new(error).context("nothing was written"),
    })?;
    let opened = outcomes.iter().filter(|o| **o == OpenOutcome::Opened).count();
    println!(
        "opened {opened} record(s); {} were already open with the same details",
        outcomes.len() - opened
    );
    Ok(())
}

pub fn post(store: &Store, path: &Path) -> anyhow::Result<()> {
    let lines = read_jsonl::<TransferInput, Transfer, _>(path, |raw| Transfer::try_from(raw))?;
    let count = u64::try_from(lines.records.len()).unwrap_or(u64::MAX);
    let bar = progress(count, "posting", count >= 10_000);
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    let result = store.post(&lines.records);
    bar.finish_and_clear();
    let posted = result.map_err(|error| match error {
        PostError::Rejected(error) => {
            anyhow::anyhow!(
                "line {}: {}\nnothing was written",
                lines.line_of(error.index),
                error.error
            )
        }
        PostError::Store(error) => anyhow::Error::new(error).context("nothing was written"),
    })?;
    let created = posted.iter().filter(|p| p.status == PostStatus::Created).count();
    println!(
        "posted {created} transfer(s); {} were already recorded and were not posted again",
        posted.len() - created
    );
    Ok(())
}

fn optional_date(field: &str, value: Option<&str>) -> anyhow::Result<Option<chrono::NaiveDate>> {
    value.map(|v| parse_date(field, v)).transpose().map_err(|e| anyhow::anyhow!("--{e}"))
}

pub fn balances(
    store: &Store,
    as_of: Option<&str>,
    stream: Option<&str>,
    format: Format,
) -> anyhow::Result<()> {
    let as_of = optional_date("as-of", as_of)?;
    let stream = stream
        .map(|s| StreamCode::parse("stream", s))
        .transpose()
        .map_err(|e| anyhow::anyhow!("--{e}"))?;
    let rows = store.balances(as_of, stream.as_ref())?;
    let total = Money::checked_sum(rows.iter().map(|r| r.balance))?;
    let mut table = Table {
        header: vec!["account", "kind", "owner", "stream", "balance"],
        numeric: vec![false, false, false, false, true],
        rows: rows
            .iter()
            .map(|r| {
                let balance = if matches!(format, Format::Csv) {
                    r.balance.to_plain_string()
                } else {
                    r.balance.to_string()
                };
                vec![
                    r.account.clone(),
                    r.kind.clone(),
                    format!("{}:{}", r.owner_kind, r.owner),
                    r.stream.clone(),
                    balance,
                ]
            })
            .collect(),
    };
    if matches!(format, Format::Table) {
        table.rows.push(vec![
            "total".into(),
            String::new(),
            String::new(),
            String::new(),
            total.to_string(),
        ]);
    }
    #[derive(serde::Serialize)]
    struct Report<'a> {
        as_of: Option<chrono::NaiveDate>,
        stream: Option<&'a str>,
        balances: &'a [onebudget_store::BalanceRow],
        total: Money,
    }
    table.print(
        format,
        &Report { as_of, stream: stream.as_ref().map(StreamCode::as_str), balances: &rows, total },
    )
}

pub fn statement(
    store: &Store,
    account: &str,
    from: Option<&str>,
    to: Option<&str>,
    format: Format,
) -> anyhow::Result<()> {
    let code = AccountCode::parse("account", account).map_err(|e| anyhow::anyhow!("{e}"))?;
    let from = optional_date("from", from)?;
    let to = optional_date("to", to)?;
    if let (Some(from), Some(to)) = (from, to) {
        anyhow::ensure!(
            from <= to,
            "--from {from} is after --to {to}; give a range that runs forwards"
        );
    }
    let statement = store.statement(&code, from, to)?;
    let money =
        |m: Money| if matches!(format, Format::Csv) { m.to_plain_string() } else { m.to_string() };
    let blank_if_zero = |m: Money| if m.is_zero() { String::new() } else { money(m) };
    let mut rows = Vec::with_capacity(statement.lines.len() + 2);
    if matches!(format, Format::Table) {
        rows.push(vec![
            from.map(|d| d.to_string()).unwrap_or_default(),
            String::new(),
            "opening balance".into(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            money(statement.opening_balance),
        ]);
    }
    for line in &statement.lines {
        rows.push(vec![
            line.effective_date.to_string(),
            line.id.to_string(),
            line.reason.clone(),
            line.stream.clone(),
            line.counterparty.clone(),
            blank_if_zero(line.money_in),
            blank_if_zero(line.money_out),
            money(line.balance),
        ]);
    }
    if matches!(format, Format::Table) {
        rows.push(vec![
            to.map(|d| d.to_string()).unwrap_or_default(),
            String::new(),
            "closing balance".into(),
            String::new(),
            String::new(),
            money(statement.money_in),
            money(statement.money_out),
            money(statement.closing_balance),
        ]);
        println!(
            "Statement for {} ({}, {})",
            statement.account.code(),
            statement.account.name(),
            statement.account.kind().as_str()
        );
    }
    Table {
        header: vec!["date", "id", "reason", "stream", "counterparty", "in", "out", "balance"],
        numeric: vec![false, true, false, false, false, true, true, true],
        rows,
    }
    .print(format, &statement)
}

pub fn check(store: &Store, json: bool) -> anyhow::Result<ExitCode> {
    let started = std::time::Instant::now();
    let report = store.check()?;
    let elapsed = started.elapsed();
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else if report.violations.is_empty() {
        println!(
            "ledger is sound: {} transfers, {} accounts, {} balances checked in {:.2} s; balances sum to zero and match the transfers",
            report.transfers,
            report.accounts,
            report.balances,
            elapsed.as_secs_f64()
        );
    } else {
        println!("ledger has {} violation(s):", report.violations.len());
        for violation in &report.violations {
            println!("  - {violation}");
        }
    }
    Ok(if report.violations.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

pub fn export_journal(store: &Store, output: Option<&Path>) -> anyhow::Result<()> {
    let written = match output {
        Some(path) => {
            let file = std::fs::File::create(path)
                .with_context(|| format!("cannot write {}", path.display()))?;
            let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
            let written = store.export_journal(&mut out)?;
            out.flush()?;
            written
        }
        None => {
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
            let written = store.export_journal(&mut out)?;
            out.flush()?;
            written
        }
    };
    if let Some(path) = output {
        eprintln!("wrote {written} transfers to {}", path.display());
    }
    Ok(())
}
