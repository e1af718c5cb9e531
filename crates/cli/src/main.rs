//! The `onebudget` binary: the command-line definition and the glue that hands each
//! command to the library crates. Logic lives in `onebudget-core` (rules),
//! `onebudget-store` (persistence) and `onebudget-web` (HTTP); the modules beside this
//! file read input, print output and time benchmarks.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use onebudget_store::{DEFAULT_DATABASE_URL, Store};

mod assess;
mod bench;
mod demo;
mod input;
mod ledger;
mod output;

/// onebudget runs integrated health and social care budgets: one ledger that traces every
/// pound from the NHS body or council that contributed it, through pooled funds, to the
/// person whose care it paid for.
///
/// Start with `onebudget demo`, which builds a sample place and serves it on
/// http://127.0.0.1:8080. Data lives in the database named by --database-url (a SQLite
/// file by default; PostgreSQL with postgres://…).
#[derive(Parser)]
#[command(name = "onebudget", version, about, long_about, max_term_width = 100)]
struct Cli {
    /// Where the data lives: sqlite://PATH (a file, created if missing) or
    /// postgres://USER:PASSWORD@HOST/DATABASE.
    #[arg(long, global = true, env = "ONEBUDGET_DATABASE_URL", default_value = DEFAULT_DATABASE_URL, hide_env_values = true)]
    database_url: String,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server: the JSON API (see /api/openapi.json) and /health.
    Serve {
        /// Address and port to listen on.
        #[arg(long, env = "ONEBUDGET_LISTEN", default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
    },
    /// Build a sample place (a database of streams, accounts and two years of transfers)
    /// if the database is empty, then serve it. Uses onebudget-demo.db unless
    /// --database-url is given.
    Demo {
        /// Address and port to listen on.
        #[arg(long, env = "ONEBUDGET_LISTEN", default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Seed for the synthetic data: the same seed builds the same place.
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// Build the data and exit without serving.
        #[arg(long)]
        no_serve: bool,
    },
    /// Open accounts, post transfers, and read balances and statements.
    #[command(subcommand)]
    Ledger(LedgerCommand),
    /// Recompute every balance from the transfers and verify every invariant of the
    /// ledger. Exits with status 1, naming each violation, if anything is wrong.
    Check {
        #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
        format: CheckFormat,
    },
    /// Write the whole ledger out in another format.
    Export {
        /// `ledger`: a plain-text-accounting journal that hledger and ledger-cli read.
        #[arg(long, value_enum)]
        format: ExportFormat,
        /// File to write; standard output if omitted.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Work out what a person pays each week towards their social care (the financial
    /// assessment, or means test) under the rules of England, Wales, Scotland or Northern
    /// Ireland on the case's date, and explain every step with its legal source. The case
    /// is JSON; see the README for its shape.
    Assess {
        /// The case file, or - for standard input.
        #[arg(long, short)]
        input: PathBuf,
        /// A council's overlay of discretionary choices (see policy/local/).
        #[arg(long)]
        local: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = assess::Format::Json)]
        format: assess::Format,
    },
    /// Show the policy figures onebudget uses.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Measure onebudget's speed on this machine and print the figures.
    #[command(subcommand)]
    Bench(BenchCommand),
}

#[derive(Subcommand)]
enum PolicyCommand {
    /// Print every figure in force for a nation on a date, with the regulation or circular
    /// that sets it.
    Show {
        /// england, wales, scotland or northern_ireland.
        nation: String,
        /// The date (YYYY-MM-DD); today if omitted.
        #[arg(long)]
        on: Option<String>,
        #[arg(long, value_enum, default_value_t = assess::Format::Text)]
        format: assess::Format,
    },
}

#[derive(Subcommand)]
enum LedgerCommand {
    /// Open funding streams and accounts from a JSON Lines file (one object per line;
    /// see the README for the shapes). All or nothing: a bad line writes nothing.
    Open {
        /// The file to read, or - for standard input.
        #[arg(long, short)]
        input: PathBuf,
    },
    /// Post transfers from a JSON Lines file (one transfer per line). All or nothing: a
    /// bad line is reported as `line N: …` and nothing is written. Lines whose
    /// idempotency key is already recorded with the same content are skipped.
    Post {
        /// The file to read, or - for standard input.
        #[arg(long, short)]
        input: PathBuf,
    },
    /// Show the balance of every account in every stream.
    Balances {
        /// Balances at the end of this day (YYYY-MM-DD), counting transfers by effective date.
        #[arg(long)]
        as_of: Option<String>,
        /// Only this funding stream.
        #[arg(long)]
        stream: Option<String>,
        #[arg(long, value_enum, default_value_t = output::Format::Table)]
        format: output::Format,
    },
    /// Show one account's transfers with a running balance.
    Statement {
        /// The account's code.
        account: String,
        /// First day to include (YYYY-MM-DD).
        #[arg(long)]
        from: Option<String>,
        /// Last day to include (YYYY-MM-DD).
        #[arg(long)]
        to: Option<String>,
        #[arg(long, value_enum, default_value_t = output::Format::Table)]
        format: output::Format,
    },
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Post synthetic transfers in batches into a fresh database and print transfers per
    /// second; then time a full `check` and a balances report over them.
    Ledger(bench::LedgerBenchArgs),
    /// Assess a synthetic caseload of people across the four nations, both settings and
    /// four financial years, without and with explanations, and print assessments per
    /// second. With --openfisca, also run the England care-at-home rule written in
    /// OpenFisca over the same cases and compare speed and results.
    Assess(bench::AssessBenchArgs),
}

#[derive(Clone, Copy, ValueEnum)]
enum CheckFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum ExportFormat {
    /// hledger / ledger-cli journal.
    Ledger,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    match run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing() {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_from_env("ONEBUDGET_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if std::io::stderr().is_terminal() {
        builder.init();
    } else {
        builder.json().init();
    }
}

fn open_store(url: &str) -> anyhow::Result<Store> {
    Store::open(url).with_context(
        || "could not open the database (set --database-url or ONEBUDGET_DATABASE_URL)",
    )
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve { listen } => {
            let store = open_store(&cli.database_url)?;
            serve(store, listen, None)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo { listen, seed, no_serve } => {
            let url = if cli.database_url == DEFAULT_DATABASE_URL {
                "sqlite://onebudget-demo.db".to_owned()
            } else {
                cli.database_url
            };
            let store = open_store(&url)?;
            let summary = demo::build(&store, seed)?;
            println!("{summary}");
            if !no_serve {
                serve(store, listen, Some(demo::guide))?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Ledger(command) => {
            let store = open_store(&cli.database_url)?;
            match command {
                LedgerCommand::Open { input } => ledger::open(&store, &input),
                LedgerCommand::Post { input } => ledger::post(&store, &input),
                LedgerCommand::Balances { as_of, stream, format } => {
                    ledger::balances(&store, as_of.as_deref(), stream.as_deref(), format)
                }
                LedgerCommand::Statement { account, from, to, format } => {
                    ledger::statement(&store, &account, from.as_deref(), to.as_deref(), format)
                }
            }?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Check { format } => {
            let store = open_store(&cli.database_url)?;
            ledger::check(&store, matches!(format, CheckFormat::Json))
        }
        Command::Export { format: ExportFormat::Ledger, output } => {
            let store = open_store(&cli.database_url)?;
            ledger::export_journal(&store, output.as_deref())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Assess { input, local, format } => {
            assess::assess(&input, local.as_deref(), format)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Policy(PolicyCommand::Show { nation, on, format }) => {
            assess::policy_show(&nation, on.as_deref(), format)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench(BenchCommand::Assess(args)) => {
            bench::assess(&args)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench(BenchCommand::Ledger(args)) => {
            bench::ledger(&args, &cli.database_url)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Serve until Ctrl-C or SIGTERM, then finish the requests in flight and stop.
fn serve(
    store: Store,
    listen: SocketAddr,
    guide: Option<fn(&str) -> String>,
) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("could not start the server's runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen).await.with_context(|| {
            format!(
                "could not listen on {listen}; is another server using it? Try --listen 127.0.0.1:0"
            )
        })?;
        let address = listener.local_addr().context("no local address")?;
        let url = format!("http://{address}");
        match guide {
            Some(guide) => println!("{}", guide(&url)),
            None => println!(
                "onebudget is serving {} on {url} (health: {url}/health)",
                store.description()
            ),
        }
        onebudget_web::serve(store, listener, shutdown_signal()).await
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
