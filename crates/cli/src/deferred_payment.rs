//! `onebudget deferred-payment statement` and `post`: a deferred payment agreement's
//! statement from a JSON file, printed as a table or JSON, and its amounts posted to the
//! ledger as a debt the person owes the council. The rules are core's
//! (`onebudget_core::deferred_payment`); this module reads the file, prints and posts.

use std::path::Path;

use onebudget_core::deferred_payment::{
    Agreement, DeferredPaymentInput, LedgerAccounts, Statement, statement,
};
use onebudget_core::ledger::parse_date;
use onebudget_core::policy::DeferredPaymentPolicy;
use onebudget_store::{PostError, PostStatus, Store};

use crate::input::read_text;
use crate::output::Table;

/// How a statement is printed.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum StatementFormat {
    /// Each line with the debt after it, then the summary and the sources.
    Table,
    /// The statement as JSON: amounts are strings of pounds.
    Json,
}

fn read(path: &Path) -> anyhow::Result<DeferredPaymentInput> {
    let text = read_text(path)?;
    onebudget_web::extract::parse_json(text.as_bytes()).map_err(|error| {
        let (_, _, message, _) = error.parts();
        anyhow::anyhow!("{}: {message}", path.display())
    })
}

fn work_out(input: &DeferredPaymentInput, path: &Path) -> anyhow::Result<Statement> {
    let agreement =
        Agreement::parse(input).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let policy = DeferredPaymentPolicy::in_use()?;
    statement(policy, &agreement).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// Print the statement of the agreement in `path`.
pub fn print_statement(path: &Path, format: StatementFormat) -> anyhow::Result<()> {
    let statement = work_out(&read(path)?, path)?;
    match format {
        StatementFormat::Json => println!("{}", serde_json::to_string_pretty(&statement)?),
        StatementFormat::Table => print!("{}", render_table(&statement)),
    }
    Ok(())
}

/// The statement as text: the lines, the summary, and the sources cited, numbered.
pub fn render_table(s: &Statement) -> String {
    use std::fmt::Write;
    let mut sources: Vec<&onebudget_core::policy::Source> = Vec::new();
    let mut table = Table {
        header: vec!["date", "what", "added", "debt"],
        numeric: vec![false, false, true, true],
        rows: Vec::new(),
    };
    for line in &s.lines {
        let mut marks = String::new();
        for source in &line.sources {
            let index = sources.iter().position(|known| *known == source).unwrap_or_else(|| {
                sources.push(source);
                sources.len() - 1
            });
            let _ = write!(marks, "[{}]", index + 1);
        }
        table.rows.push(vec![
            line.date.to_string(),
            format!("{} {marks}", line.explanation).trim_end().to_owned(),
            if line.amount.is_zero() { String::new() } else { line.amount.to_string() },
            line.debt.to_string(),
        ]);
    }
    let mut out = format!(
        "Deferred payment agreement: statement from {} to {}\n\n{}",
        s.start_date,
        s.statement_date,
        table.render()
    );
    let m = &s.summary;
    let duty = match m.duty {
        onebudget_core::deferred_payment::Duty::Required => "must offer (reg 2)",
        onebudget_core::deferred_payment::Duty::Permitted => "may offer (reg 3)",
    };
    let date = |d: Option<chrono::NaiveDate>| d.map_or_else(|| "-".to_owned(), |d| d.to_string());
    let _ = writeln!(out, "\nThe council {duty}.");
    for (label, value) in [
        ("Weeks deferred", m.weeks_deferred.to_string()),
        ("Care charges deferred", m.deferred.to_string()),
        ("Charges not deferred (paid by the person)", m.not_deferred.to_string()),
        ("Administration costs added", m.fees_added.to_string()),
        ("Administration costs paid separately", m.fees_paid_separately.to_string()),
        ("Interest added", m.interest_added.to_string()),
        ("Interest accrued, not yet added", m.interest_accrued.to_string()),
        ("Amount to end the agreement today (reg 8)", m.debt.to_string()),
        ("Equity limit (reg 5(5))", m.equity_limit.to_string()),
        ("Equity remaining", m.equity_remaining.to_string()),
        ("Equity limit reached on", date(m.equity_limit_reached_on)),
        ("Equity limit projected to be reached on", date(m.equity_limit_projected_on)),
        ("Repayment due (reg 7)", date(m.repayment_due)),
    ] {
        let _ = writeln!(out, "  {label:<44} {value:>14}");
    }
    if !sources.is_empty() {
        let _ = writeln!(out, "\nSources:");
        for (i, source) in sources.iter().enumerate() {
            let _ = writeln!(
                out,
                "  [{}] {} = {} from {}: {} <{}>",
                i + 1,
                source.parameter,
                source.value,
                source.from,
                source.reference.title,
                source.reference.href
            );
        }
    }
    out
}

/// Post the amounts of the agreement in `path` complete by `through` to the ledger.
pub fn post(
    store: &Store,
    path: &Path,
    through: &str,
    council: &str,
    person: &str,
    stream: &str,
    agreement: Option<&str>,
) -> anyhow::Result<()> {
    let through = parse_date("through", through).map_err(|e| anyhow::anyhow!("--{e}"))?;
    let mut input = read(path)?;
    input.statement_date = through.to_string();
    let statement = work_out(&input, path)?;
    let accounts = LedgerAccounts::new(council, person, stream, agreement.unwrap_or(person));
    let records = accounts.open_records().map_err(|e| anyhow::anyhow!("{e}"))?;
    let transfers = accounts.transfers(&statement.postings).map_err(|e| anyhow::anyhow!("{e}"))?;
    store
        .open_records(&records)
        .map_err(|error| anyhow::anyhow!("{error}\nnothing was written"))?;
    let posted = store.post(&transfers).map_err(|error| match error {
        PostError::Rejected(error) => anyhow::anyhow!(
            "{}: {}\nnothing was written",
            transfers.get(error.index).map_or("", |t| t.idempotency_key().as_str()),
            error.error
        ),
        PostError::Store(error) => anyhow::Error::new(error).context("nothing was written"),
    })?;
    let created = posted.iter().filter(|p| p.status == PostStatus::Created).count();
    println!(
        "posted {created} transfer(s) to {} through {through}; {} were already recorded and were not posted again",
        accounts.debt.code,
        posted.len() - created
    );
    Ok(())
}
