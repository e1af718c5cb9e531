//! The `pool` commands: record an agreement or a variation, post the month's
//! contributions, pay from a scheme, import a spreadsheet of monthly actuals, close
//! months, record forecasts, print the monitoring report, and work out, explain and
//! confirm the year-end settlement. Each is a store call; the decisions are core's.

use std::path::Path;

use anyhow::Context;
use clap::{Args, Subcommand};
use onebudget_core::access::{Action, decide};
use onebudget_core::ledger::{FieldError, Transfer, parse_date};
use onebudget_core::money::Money;
use onebudget_core::pool::monitoring::ForecastMethod;
use onebudget_core::pool::{AgreementInput, FinancialYear};
use onebudget_store::{PoolStoreError, PostError, PostStatus, Store};

use crate::output::{Format, Table};

/// Pooled and aligned funds (s.75, Better Care Fund).
#[derive(Subcommand)]
pub enum PoolCommand {
    /// Record an agreement (JSON) or a variation of one: the same pool and year with a
    /// later effective_from becomes the next version.
    Import {
        /// The agreement, a JSON file (`-` for standard input).
        #[arg(long)]
        input: std::path::PathBuf,
        /// Who is recording it, for the record.
        #[arg(long, default_value = "command line")]
        recorded_by: String,
    },
    /// List the pools and their latest agreements.
    List {
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Post every partner's contributions for a month (or every month through one) into
    /// the schemes, as the agreement in force profiles them.
    Contribute {
        pool: String,
        #[command(flatten)]
        year: YearArg,
        /// The month, YYYY-MM.
        #[arg(long)]
        month: String,
        /// Post every month from April through --month.
        #[arg(long)]
        through: bool,
    },
    /// Pay from a scheme; the payment is split across the partners' streams by the
    /// scheme's funding split.
    Pay {
        pool: String,
        #[command(flatten)]
        year: YearArg,
        #[arg(long)]
        scheme: String,
        /// The account paid (a provider, a person's budget, an expenditure account).
        #[arg(long)]
        to: String,
        /// Pounds, e.g. 1250.00.
        #[arg(long)]
        amount: String,
        /// The effective date, YYYY-MM-DD.
        #[arg(long)]
        date: String,
        /// Your key for the payment: paying again with the same key records it once.
        #[arg(long)]
        key: String,
        #[arg(long, default_value = "")]
        memo: String,
    },
    /// Import a spreadsheet of monthly actuals (CSV with columns scheme, month, payee,
    /// amount and optionally memo), for a council moving from spreadsheets. All rows are
    /// posted, or none.
    Actuals {
        pool: String,
        #[command(flatten)]
        year: YearArg,
        #[arg(long)]
        input: std::path::PathBuf,
    },
    /// Close the months of the year through a month: nothing more is paid into them, and
    /// no variation may reach back into them.
    Close {
        pool: String,
        #[command(flatten)]
        year: YearArg,
        /// The last month to close, YYYY-MM.
        #[arg(long)]
        through: String,
    },
    /// Record how a scheme's outturn is forecast: profile, run_rate, or entered (with an
    /// amount and a reason); and its commitments.
    Forecast {
        pool: String,
        #[command(flatten)]
        year: YearArg,
        #[arg(long)]
        scheme: String,
        /// profile, run_rate or entered.
        #[arg(long)]
        method: String,
        /// For entered: the outturn expected, in pounds.
        #[arg(long)]
        amount: Option<String>,
        /// Orders placed but not yet paid, in pounds.
        #[arg(long, default_value = "0")]
        commitments: String,
        #[arg(long, default_value = "")]
        reason: String,
        #[arg(long, default_value = "command line")]
        entered_by: String,
    },
    /// The monitoring report: budget, actual, commitments, forecast and variance by
    /// scheme and partner.
    Monitor {
        pool: String,
        #[command(flatten)]
        year: YearArg,
        /// The last month to include, YYYY-MM (default: the last closed month).
        #[arg(long)]
        through: Option<String>,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// The year-end settlement: outturn, variance, each partner's share and the balancing
    /// transfers. Posted only when a finance officer of every partner has confirmed.
    Settle {
        pool: String,
        #[command(flatten)]
        year: YearArg,
        /// Print every step of the arithmetic.
        #[arg(long)]
        explain: bool,
        /// Confirm the settlement shown as this finance officer (a user with an
        /// organisation that is a partner).
        #[arg(long)]
        confirm_as: Option<String>,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
}

#[derive(Args)]
pub struct YearArg {
    /// The financial year, e.g. 2025 or 2025/26 (April 2025 to March 2026).
    #[arg(long = "year")]
    year: String,
}

impl YearArg {
    fn parse(&self) -> anyhow::Result<FinancialYear> {
        Ok(FinancialYear::parse("--year", &self.year)?)
    }
}

fn pool_error(error: PoolStoreError) -> anyhow::Error {
    match error {
        PoolStoreError::Post(PostError::Rejected(rejected)) => {
            anyhow::anyhow!("{rejected}\nnothing was written")
        }
        other => anyhow::anyhow!("{other}\nnothing was written"),
    }
}

fn post(store: &Store, transfers: &[Transfer]) -> anyhow::Result<(usize, usize)> {
    let posted = store.post(transfers).map_err(|e| pool_error(PoolStoreError::Post(e)))?;
    let created = posted.iter().filter(|p| p.status == PostStatus::Created).count();
    Ok((created, posted.len() - created))
}

pub fn run(store: &Store, command: PoolCommand) -> anyhow::Result<()> {
    match command {
        PoolCommand::Import { input, recorded_by } => {
            let text = crate::input::read_text(&input)?;
            let agreement: AgreementInput = serde_json::from_str(&text).map_err(|e| {
                anyhow::anyhow!(
                    "{}: not a readable agreement: {e}\nnothing was written",
                    input.display()
                )
            })?;
            let version = store.record_agreement(&agreement, &recorded_by).map_err(pool_error)?;
            println!(
                "recorded {} {} version {} (applies from {})",
                version.pool,
                FinancialYear::new("year", version.year)?.label(),
                version.version,
                version.effective_from
            );
        }
        PoolCommand::List { format } => {
            let pools = store.pools().map_err(pool_error)?;
            let rows = pools
                .iter()
                .map(|p| {
                    vec![
                        p.pool.clone(),
                        p.name.clone(),
                        p.kind.label().to_owned(),
                        p.year.clone(),
                        p.host.clone(),
                        p.partners.join(" "),
                        p.budget.to_plain_string(),
                        p.versions.to_string(),
                        p.closed_through.clone().unwrap_or_else(|| "-".into()),
                    ]
                })
                .collect();
            Table {
                header: vec![
                    "pool",
                    "name",
                    "kind",
                    "year",
                    "host",
                    "partners",
                    "budget",
                    "versions",
                    "closed_through",
                ],
                numeric: vec![false, false, false, false, false, false, true, true, false],
                rows,
            }
            .print(format, &pools)?;
        }
        PoolCommand::Contribute { pool, year, month, through } => {
            let year = year.parse()?;
            let last = year.parse_month("--month", &month)?;
            let first = if through { store.pool_closed_through(&pool, year)? + 1 } else { last };
            let (mut created, mut repeated) = (0, 0);
            for month in first..=last {
                let transfers =
                    store.pool_contributions_due(&pool, year, month).map_err(pool_error)?;
                let (c, r) = post(store, &transfers)?;
                created += c;
                repeated += r;
            }
            println!("posted {created} contribution transfer(s); {repeated} were already recorded");
        }
        PoolCommand::Pay { pool, year, scheme, to, amount, date, key, memo } => {
            let year = year.parse()?;
            let amount = Money::parse(&amount)
                .map_err(|e| FieldError::new("--amount", &amount, e.problem))?;
            let date = parse_date("--date", &date)?;
            let transfers = store
                .pool_payment(
                    &pool,
                    year,
                    &scheme,
                    &to,
                    amount,
                    date,
                    &key,
                    "provider_payment",
                    &memo,
                )
                .map_err(pool_error)?;
            let (created, repeated) = post(store, &transfers)?;
            for transfer in &transfers {
                println!(
                    "{}  {} of stream {}",
                    transfer.idempotency_key(),
                    transfer.amount(),
                    transfer.stream()
                );
            }
            println!("posted {created} transfer(s); {repeated} were already recorded");
        }
        PoolCommand::Actuals { pool, year, input } => {
            let year = year.parse()?;
            let transfers = read_actuals(store, &pool, year, &input)?;
            let (created, repeated) = post(store, &transfers)?;
            println!(
                "posted {created} transfer(s) from {}; {repeated} were already recorded",
                input.display()
            );
        }
        PoolCommand::Close { pool, year, through } => {
            let year = year.parse()?;
            let month = year.parse_month("--through", &through)?;
            store.close_pool_months(&pool, year, month, "command line").map_err(pool_error)?;
            println!("{pool} {}: months closed through {}", year.label(), year.month_label(month));
        }
        PoolCommand::Forecast {
            pool,
            year,
            scheme,
            method,
            amount,
            commitments,
            reason,
            entered_by,
        } => {
            let year = year.parse()?;
            let method = ForecastMethod::parse("--method", &method)?;
            let amount = match amount {
                Some(text) => Some(
                    Money::parse(&text)
                        .map_err(|e| FieldError::new("--amount", &text, e.problem))?,
                ),
                None => None,
            };
            let commitments = Money::parse(&commitments)
                .map_err(|e| FieldError::new("--commitments", &commitments, e.problem))?;
            store
                .record_pool_forecast(
                    &pool,
                    year,
                    &scheme,
                    method,
                    amount,
                    commitments,
                    &reason,
                    &entered_by,
                )
                .map_err(pool_error)?;
            println!("recorded a {} forecast for {scheme}", method.as_str());
        }
        PoolCommand::Monitor { pool, year, through, format } => {
            let year = year.parse()?;
            let through = match through {
                Some(month) => Some(year.parse_month("--through", &month)?),
                None => None,
            };
            let report = store.pool_monitoring(&pool, year, through).map_err(pool_error)?;
            if matches!(format, Format::Table) {
                println!(
                    "{} ({}) {} to {}: budget {}, actual {}, commitments {}, forecast {}, variance {}",
                    report.name,
                    report.pool,
                    report.year,
                    report.as_at,
                    report.budget,
                    report.actual_to_date,
                    report.commitments,
                    report.forecast,
                    report.forecast_variance
                );
            }
            let mut rows: Vec<Vec<String>> = report
                .schemes
                .iter()
                .map(|s| {
                    vec![
                        s.code.clone(),
                        s.lead.clone(),
                        s.budget.to_plain_string(),
                        s.budget_to_date.to_plain_string(),
                        s.actual_to_date.to_plain_string(),
                        s.commitments.to_plain_string(),
                        s.forecast.to_plain_string(),
                        s.variance.to_plain_string(),
                        s.method_explained.clone(),
                    ]
                })
                .collect();
            for partner in &report.partners {
                rows.push(vec![
                    format!("partner {}", partner.organisation),
                    String::new(),
                    partner.agreed.to_plain_string(),
                    partner.due_to_date.to_plain_string(),
                    partner.paid_to_date.to_plain_string(),
                    String::new(),
                    String::new(),
                    partner.forecast_share.to_plain_string(),
                    match partner.minimum_met {
                        Some(true) => "meets its minimum contribution".to_owned(),
                        Some(false) => "below its minimum contribution".to_owned(),
                        None => "share of the forecast variance".to_owned(),
                    },
                ]);
            }
            Table {
                header: vec![
                    "scheme",
                    "lead",
                    "budget",
                    "budget_to_date",
                    "actual_to_date",
                    "commitments",
                    "forecast",
                    "variance",
                    "method",
                ],
                numeric: vec![false, false, true, true, true, true, true, true, false],
                rows,
            }
            .print(format, &report)?;
        }
        PoolCommand::Settle { pool, year, explain, confirm_as, format } => {
            let year = year.parse()?;
            let view = store.pool_settlement(&pool, year).map_err(pool_error)?;
            if let Some(username) = confirm_as {
                let user = store
                    .user_by_username(&username)?
                    .with_context(|| format!("--confirm-as: there is no user {username:?}"))?;
                let principal =
                    onebudget_web::auth::principal_of(&user, None).with_context(|| {
                        format!("--confirm-as: the user {username:?} has an unreadable role")
                    })?;
                let organisation = principal
                    .organisation
                    .clone()
                    .with_context(|| format!("--confirm-as: {username} belongs to no organisation; add them with --organisation"))?;
                decide(&principal, &Action::ConfirmSettlement { partner: &organisation })
                    .map_err(|refusal| anyhow::anyhow!("--confirm-as: {refusal}"))?;
                let (after, posted) = store
                    .confirm_pool_settlement(&pool, year, &organisation, &username, &view.digest)
                    .map_err(pool_error)?;
                println!(
                    "{organisation} confirmed the {} settlement of {pool} ({username})",
                    year.label()
                );
                if posted.is_empty() {
                    println!("waiting for: {}", after.waiting_for.join(", "));
                } else {
                    println!(
                        "every partner has confirmed: {} settlement transfer(s) posted",
                        posted.len()
                    );
                }
                return Ok(());
            }
            if matches!(format, Format::Json) {
                serde_json::to_writer_pretty(std::io::stdout(), &view)?;
                println!();
                return Ok(());
            }
            let s = &view.settlement;
            println!(
                "{} settlement {}: budget {}, outturn {}, variance {}",
                s.pool, s.year, s.budget, s.outturn, s.variance
            );
            println!("rule: {}", s.rule);
            if explain {
                for (number, step) in s.steps.iter().enumerate() {
                    let amount = step.amount.map(|a| format!(" = {a}")).unwrap_or_default();
                    println!("{:>3}. {}: {}{amount}", number + 1, step.title, step.detail);
                }
            }
            Table {
                header: vec!["partner", "agreed", "paid", "share", "net"],
                numeric: vec![false, true, true, true, true],
                rows: s
                    .partners
                    .iter()
                    .map(|p| {
                        vec![
                            p.organisation.clone(),
                            p.agreed.to_plain_string(),
                            p.paid.to_plain_string(),
                            p.share.to_plain_string(),
                            p.net.to_plain_string(),
                        ]
                    })
                    .collect(),
            }
            .print(Format::Table, &s.partners)?;
            for transfer in &s.transfers {
                println!(
                    "transfer {} from {} to {} in stream {}: {}",
                    transfer.amount, transfer.from, transfer.to, transfer.stream, transfer.memo
                );
            }
            if view.posted {
                println!("posted: the settlement transfers are in the ledger");
            } else {
                let confirmed: Vec<String> = view
                    .confirmed_by
                    .iter()
                    .map(|c| format!("{} ({})", c.organisation, c.username))
                    .collect();
                println!(
                    "confirmed by: {}; waiting for: {}",
                    if confirmed.is_empty() {
                        "nobody yet".to_owned()
                    } else {
                        confirmed.join(", ")
                    },
                    view.waiting_for.join(", ")
                );
                println!("digest {}", view.digest);
            }
        }
    }
    Ok(())
}

/// Read a spreadsheet of actuals into the transfers it pays, refusing the whole file at
/// its first bad row.
fn read_actuals(
    store: &Store,
    pool: &str,
    year: FinancialYear,
    path: &Path,
) -> anyhow::Result<Vec<Transfer>> {
    let text = crate::input::read_text(path)?;
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(text.as_bytes());
    let headers = reader.headers().context("reading the header row")?.clone();
    let column = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let (Some(scheme_at), Some(month_at), Some(payee_at), Some(amount_at)) =
        (column("scheme"), column("month"), column("payee"), column("amount"))
    else {
        anyhow::bail!(
            "{}: the header row must name the columns scheme, month, payee and amount (and optionally memo)\nnothing was written",
            path.display()
        );
    };
    let memo_at = column("memo");
    let mut transfers = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let line = index + 2;
        let record = record
            .with_context(|| format!("line {line}: not readable CSV\nnothing was written"))?;
        let cell = |at: usize| record.get(at).unwrap_or("").to_owned();
        let fail = |error: &dyn std::fmt::Display| {
            anyhow::anyhow!("line {line}: {error}\nnothing was written")
        };
        let month = year.parse_month("month", &cell(month_at)).map_err(|e| fail(&e))?;
        let amount_text = cell(amount_at);
        let amount = Money::parse(&amount_text)
            .map_err(|e| fail(&FieldError::new("amount", &amount_text, e.problem)))?;
        let scheme = cell(scheme_at);
        let payee = cell(payee_at);
        // The month's actual is dated the month's last day.
        let date = year.month_start(month + 1).pred_opt().unwrap_or(year.last_day());
        let key = format!(
            "pool/{pool}/{}/actual/{}/{}/{}",
            year.start_year(),
            scheme,
            year.month_label(month),
            payee
        );
        let memo = memo_at
            .map(cell)
            .unwrap_or_else(|| format!("{scheme} actuals {}", year.month_label(month)));
        let parts = store
            .pool_payment(
                pool,
                year,
                &scheme,
                &payee,
                amount,
                date,
                &key,
                "provider_payment",
                &memo,
            )
            .map_err(|e| fail(&e))?;
        transfers.extend(parts);
    }
    if transfers.is_empty() {
        anyhow::bail!("{}: no rows of actuals\nnothing was written", path.display());
    }
    Ok(transfers)
}
