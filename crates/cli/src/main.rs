//! The `onebudget` binary: the command-line definition and the glue that hands each
//! command to the library crates. Logic lives in `onebudget-core` (rules),
//! `onebudget-store` (persistence) and `onebudget-web` (HTTP); the modules beside this
//! file read input, print output and time benchmarks.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use onebudget_core::evidence::metrics::engine::Granularity;
use onebudget_store::{DEFAULT_DATABASE_URL, Store};

/// mimalloc rather than the system's allocator: under load the server spent a sixth of its
/// time in glibc's malloc and free (docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod access;
mod assess;
mod bench;
mod budget;
mod deferred_payment;
mod demo;
mod demo_budgets;
mod demo_pools;
mod events;
mod input;
mod ledger;
mod metrics;
mod output;
mod pool;
mod ras;

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

    /// Read the policy figures from this directory instead of those built in: a copy of
    /// onebudget's policy/ (its five files, checked as the built-in ones are), e.g. with
    /// a figure entered from a circular the council holds. Every explanation cites the
    /// references the files give.
    #[arg(long, global = true, env = "ONEBUDGET_POLICY_DIR")]
    policy_dir: Option<std::path::PathBuf>,

    /// The council's overlay of discretionary choices (see policy/local/), applied to
    /// every assessment this process makes in the overlay's nation: the API, stored
    /// assessments, the public page and the budgets. A case's own `local` object
    /// overrides it.
    #[arg(long, global = true, env = "ONEBUDGET_LOCAL_POLICY")]
    local_policy: Option<std::path::PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server: the pages, the JSON API (see /api/openapi.json), /health and
    /// /metrics.
    Serve {
        /// Address and port to listen on.
        #[arg(long, env = "ONEBUDGET_LISTEN", default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        #[command(flatten)]
        web: WebArgs,
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
        #[command(flatten)]
        web: WebArgs,
    },
    /// Add people's logins and service accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Issue, list and revoke the bearer tokens machine clients use with the JSON API.
    #[command(subcommand)]
    Token(TokenCommand),
    /// The audit log of every sign-in and every access to a person's record.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Open accounts, post transfers, and read balances and statements.
    #[command(subcommand)]
    Ledger(LedgerCommand),
    /// Activity events in the NHS's and councils' own shapes: social care events (CLD),
    /// hospital spells (HES APC) and deaths, linked by a pseudonymised NHS number.
    #[command(subcommand)]
    Events(events::EventsCommand),
    /// Pooled and aligned funds (s.75, Better Care Fund): agreements, contributions,
    /// scheme payments, monitoring and the year-end risk-share settlement.
    #[command(subcommand)]
    Pool(pool::PoolCommand),
    /// The Resource Allocation System (RAS), which turns a person's needs points into an
    /// indicative weekly budget. `ras calibrate` sets its price per point, or its band
    /// values, from what agreed support plans really cost, and shows how well that fits.
    #[command(subcommand)]
    Ras(ras::RasCommand),
    /// Integrated personal budgets: the scheme (needs questionnaire, streams, RAS), needs
    /// assessments, budget versions and plans, payments, direct-payment spending and
    /// reviews, and statements for people and funders.
    #[command(subcommand)]
    Budget(budget::BudgetCommand),
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
        /// A council's overlay of discretionary choices (see policy/local/), for this case;
        /// without it, the process's --local-policy applies if the case is in its nation.
        #[arg(long)]
        local: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = assess::Format::Json)]
        format: assess::Format,
    },
    /// Deferred payment agreements (England, Care Act 2014 s.34): a statement of what has
    /// been deferred, the interest and costs added and the equity limit, each line citing
    /// its regulation; and posting the amounts to the ledger as the person's debt.
    #[command(subcommand)]
    DeferredPayment(DeferredPaymentCommand),
    /// Show the policy figures onebudget uses.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Measure onebudget's speed on this machine and print the figures.
    #[command(subcommand)]
    Bench(BenchCommand),
    /// The shared measures (Better Care Fund, ASCOF) defined in data/metrics, computed
    /// from the events.
    #[command(subcommand)]
    Metrics(MetricsCommand),
}

#[derive(Subcommand)]
enum MetricsCommand {
    /// List the metrics: id, unit, which way is better, period type and name.
    List {
        #[arg(long, value_enum, default_value = "table")]
        format: output::Format,
    },
    /// Compute metrics from the events in the database, by month, quarter or financial
    /// year. Counts of 1 to 7 are shown as * and others rounded to 5 (NHS England's rule)
    /// unless --raw is given.
    Compute {
        /// One metric's id (see `metrics list`); all when not given.
        #[arg(long)]
        metric: Option<String>,
        /// First day, YYYY-MM-DD; by default 1 April of last financial year.
        #[arg(long)]
        from: Option<String>,
        /// Last day, YYYY-MM-DD; by default today.
        #[arg(long)]
        to: Option<String>,
        #[arg(long, value_enum, default_value = "month")]
        by: MetricsBy,
        #[arg(long, value_enum, default_value = "table")]
        format: output::Format,
        /// Print the unprotected figures (for analysts on the server preparing returns).
        #[arg(long)]
        raw: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum MetricsBy {
    Month,
    Quarter,
    Year,
}

/// Settings of the web server.
#[derive(clap::Args)]
struct WebArgs {
    /// Mark cookies Secure: set this when onebudget is served over HTTPS (directly or behind a
    /// proxy that terminates TLS).
    #[arg(long, env = "ONEBUDGET_SECURE_COOKIES")]
    secure_cookies: bool,
    /// Serve GET /metrics (Prometheus text) on this address, apart from the public one; off
    /// when not given. Keep it on an address only the scraper reaches, e.g. 127.0.0.1:9464.
    #[arg(long, env = "ONEBUDGET_METRICS_LISTEN")]
    metrics_listen: Option<SocketAddr>,
    /// Failed sign-ins for one user name from one client address after which that pair
    /// must wait (a wait that doubles with each further failure).
    #[arg(long, env = "ONEBUDGET_THROTTLE_FAILURES", default_value_t = 5)]
    throttle_failures: u32,
    /// The first wait, in seconds, once a user name and address pair has failed
    /// --throttle-failures times.
    #[arg(long, env = "ONEBUDGET_THROTTLE_FIRST_WAIT_SECONDS", default_value_t = 60)]
    throttle_first_wait_seconds: u64,
    /// The longest wait, in minutes, and the window failures from one address are counted
    /// in.
    #[arg(long, env = "ONEBUDGET_THROTTLE_MINUTES", default_value_t = 15)]
    throttle_minutes: u64,
    /// The organisation running the service, named in every page's header and title, e.g.
    /// "Ashby Vale Metropolitan Borough Council" (the demo names its council).
    #[arg(long, env = "ONEBUDGET_ORGANISATION_NAME")]
    organisation_name: Option<String>,
    /// Failed sign-ins from one client address, across all user names, within
    /// --throttle-minutes, after which that address may not try again until they pass.
    #[arg(long, env = "ONEBUDGET_THROTTLE_ADDRESS_FAILURES", default_value_t = 30)]
    throttle_address_failures: u32,
    /// Proxies (IP addresses, comma-separated) whose X-Forwarded-For header names the
    /// client, for throttling and the audit log. Off by default: the client is the
    /// connection's peer.
    #[arg(long, env = "ONEBUDGET_TRUST_FORWARDED_FOR", value_delimiter = ',')]
    trust_forwarded_for: Vec<std::net::IpAddr>,
    /// Seconds a client has to send a request's line and headers (also the longest a
    /// kept-alive connection waits for its next request).
    #[arg(long, env = "ONEBUDGET_HEADER_READ_TIMEOUT_SECONDS", default_value_t = 10)]
    header_read_timeout_seconds: u64,
    /// Seconds a connection may stay open with no request in flight and nothing sent.
    #[arg(long, env = "ONEBUDGET_IDLE_TIMEOUT_SECONDS", default_value_t = 30)]
    idle_timeout_seconds: u64,
    /// Seconds the server works on one request (reading its body included) before
    /// answering 503.
    #[arg(long, env = "ONEBUDGET_REQUEST_TIMEOUT_SECONDS", default_value_t = 30)]
    request_timeout_seconds: u64,
    /// Connections served at once; more are answered 503 and closed (lowered to fit the
    /// open-files limit).
    #[arg(long, env = "ONEBUDGET_MAX_CONNECTIONS", default_value_t = 4096)]
    max_connections: usize,
    /// The largest body, in bytes, of the API's batch routes (/api/transfers/batch,
    /// /api/ledger/open).
    #[arg(long, env = "ONEBUDGET_MAX_BATCH_BODY_BYTES", default_value_t = onebudget_web::BODY_LIMIT_BYTES)]
    max_batch_body_bytes: usize,
    /// The largest body, in bytes, of any other API route.
    #[arg(long, env = "ONEBUDGET_MAX_API_BODY_BYTES", default_value_t = 1024 * 1024)]
    max_api_body_bytes: usize,
    /// The largest body, in bytes, of a page's form (and anything else).
    #[arg(long, env = "ONEBUDGET_MAX_FORM_BODY_BYTES", default_value_t = 64 * 1024)]
    max_form_body_bytes: usize,
}

impl WebArgs {
    fn settings(&self) -> onebudget_web::Settings {
        use std::time::Duration;
        let seconds = |s: u64| Duration::from_secs(s.max(1));
        onebudget_web::Settings {
            secure_cookies: self.secure_cookies,
            throttle: onebudget_web::throttle::ThrottleSettings {
                pair_failures: self.throttle_failures.max(1),
                first_wait: seconds(self.throttle_first_wait_seconds),
                max_wait: seconds(self.throttle_minutes.saturating_mul(60)),
                address_failures: self.throttle_address_failures.max(1),
                window: seconds(self.throttle_minutes.saturating_mul(60)),
            },
            limits: onebudget_web::server::Limits {
                header_read_timeout: seconds(self.header_read_timeout_seconds),
                idle_timeout: seconds(self.idle_timeout_seconds),
                request_timeout: seconds(self.request_timeout_seconds),
                max_connections: self.max_connections.max(1),
                batch_body_bytes: self.max_batch_body_bytes,
                api_body_bytes: self.max_api_body_bytes,
                form_body_bytes: self.max_form_body_bytes,
            },
            trusted_proxies: self.trust_forwarded_for.clone(),
            organisation_name: self.organisation_name.clone(),
        }
    }
}

#[derive(Subcommand)]
enum DeferredPaymentCommand {
    /// Work out the agreement's statement on its statement_date: each week deferred, each
    /// cost added, each month's interest, the debt and the equity limit. The agreement is
    /// JSON; see the README for its shape.
    Statement {
        /// The agreement file, or - for standard input.
        #[arg(long, short)]
        input: PathBuf,
        #[arg(long, value_enum, default_value_t = deferred_payment::StatementFormat::Table)]
        format: deferred_payment::StatementFormat,
    },
    /// Post the agreement's amounts complete by --through to the ledger: each week deferred
    /// and each cost added from the council's COUNCIL-DPA-DEFERRED account, each ended
    /// month's interest from COUNCIL-DPA-INTEREST, into the person's DPA-PERSON debt
    /// account (opened if need be). Posting the same period again posts nothing new.
    Post {
        /// The agreement file, or - for standard input.
        #[arg(long, short)]
        input: PathBuf,
        /// Post what is complete by the end of this day (YYYY-MM-DD).
        #[arg(long)]
        through: String,
        /// The council's organisation code, e.g. COUNCIL.
        #[arg(long)]
        council: String,
        /// The person's id in onebudget.
        #[arg(long)]
        person: String,
        /// The council's means-tested funding stream (already open), e.g. ASC.
        #[arg(long)]
        stream: String,
        /// The agreement's reference, in every transfer's key; the person's id if omitted.
        #[arg(long)]
        agreement: Option<String>,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a login. The password is read from ONEBUDGET_NEW_PASSWORD, or from standard
    /// input with --password-stdin (at least 12 characters); service accounts have none.
    Add {
        #[arg(long)]
        username: String,
        /// The person's full name (or the system's name for a service account).
        #[arg(long)]
        name: String,
        /// citizen, practitioner, finance, commissioner, admin or auditor.
        #[arg(long)]
        role: String,
        /// For a citizen: the code of the person whose record is theirs.
        #[arg(long)]
        person: Option<String>,
        /// For a practitioner: their team's code.
        #[arg(long)]
        team: Option<String>,
        /// For a finance officer: the code of the organisation they work for (a pool
        /// partner confirms its settlement through one of its own), e.g. ICB.
        #[arg(long)]
        organisation: Option<String>,
        /// A service account for a machine client: no password, bearer tokens only.
        #[arg(long)]
        service: bool,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Disable a user: they cannot sign in, their sessions end and their tokens are
    /// revoked at once. The user is kept, so the audit log still names them.
    Disable {
        #[arg(long)]
        username: String,
    },
    /// Enable a disabled user again (tokens revoked when they were disabled stay revoked).
    Enable {
        #[arg(long)]
        username: String,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Issue a token to a service account and print it once.
    Issue {
        /// The service account's user name.
        #[arg(long)]
        user: String,
        /// What the token may do, comma-separated: ledger:read, ledger:write, people:read,
        /// assess, reports, audit:read, budgets:write, events:write (never more than the account's role
        /// allows).
        #[arg(long)]
        scopes: String,
        /// Days until it expires (1 to 366).
        #[arg(long, default_value_t = 90)]
        days: u32,
        /// A note to tell tokens apart.
        #[arg(long, default_value = "")]
        label: String,
    },
    /// List every token (never the token itself).
    List,
    /// Revoke a token by its id.
    Revoke { id: i64 },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Write the audit log (or the rows matching) as CSV, newest first.
    Export {
        #[arg(long, value_enum, default_value_t = AuditFormat::Csv)]
        format: AuditFormat,
        /// Only this user name.
        #[arg(long)]
        actor: Option<String>,
        /// Only accesses to this person's record.
        #[arg(long)]
        person: Option<String>,
        /// File to write; standard output if omitted.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum AuditFormat {
    Csv,
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
    /// Set up a two-partner pooled fund with six schemes in a fresh database, post a
    /// year of contributions and scheme payments (split by funding) to many providers,
    /// and print transfers per second; then time monitoring, closing the year, the
    /// settlement and the recomputation of the pool's monthly flows.
    Pools(bench::PoolsBenchArgs),
    /// Assess a synthetic caseload of people across the four nations, both settings and
    /// five financial years, without and with explanations, and print assessments per
    /// second. With --openfisca, also run the England care-at-home rule written in
    /// OpenFisca over the same cases and compare speed and results.
    Assess(bench::AssessBenchArgs),
    /// Re-run every person's integrated budget (eligibility, the RAS per stream, the
    /// allocation of their plan, the financial assessment and the contribution) for the
    /// demo's caseload and for a national-scale synthetic one, and print people per second.
    Budgets(bench::BudgetsBenchArgs),
    /// Hold --stalled connections open, each with half a request's head sent and then
    /// nothing, time /health meanwhile, and time how long the server takes to close them.
    Connections(bench::ConnectionsBenchArgs),
    /// Import synthetic CLD events into a fresh SQLite database (checked, pseudonymised and
    /// written in one durable transaction) and print events per second; then compute every
    /// metric for every month over synthetic events in memory and print the time.
    Evidence(bench::EvidenceBenchArgs),
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
    quiet_on_closed_output();
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

/// When the reader of our output goes away (`onebudget … | head`), printing fails; exit
/// quietly with the status a shell gives a process ended by SIGPIPE (128 + 13), as Unix
/// tools do, instead of reporting a crash. Any other panic is reported as usual.
fn quiet_on_closed_output() {
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.contains("Broken pipe") && message.starts_with("failed printing to") {
            std::process::exit(141);
        }
        report(info);
    }));
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
    if let Some(dir) = &cli.policy_dir {
        assess::use_policy_directory(dir).with_context(|| {
            format!("--policy-dir {}: the policy files were refused", dir.display())
        })?;
        tracing::info!(policy = %dir.display(), "using the policy files in a directory");
    }
    if let Some(file) = &cli.local_policy {
        let overlay = assess::use_local_policy(file).with_context(|| {
            format!("--local-policy {}: the council's overlay was refused", file.display())
        })?;
        tracing::info!(council = %overlay.council, nation = %overlay.nation, "using a council's overlay");
    }
    match cli.command {
        Command::Serve { listen, web } => {
            let store = open_store(&cli.database_url)?;
            serve(store, &web, listen, None)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo { listen, seed, no_serve, web } => {
            let url = if cli.database_url == DEFAULT_DATABASE_URL {
                "sqlite://onebudget-demo.db".to_owned()
            } else {
                cli.database_url
            };
            let store = open_store(&url)?;
            let summary = demo::build(&store, seed)?;
            println!("{summary}");
            if !no_serve {
                serve(store, &web, listen, Some(&url))?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::User(UserCommand::Add {
            username,
            name,
            role,
            person,
            team,
            organisation,
            service,
            password_stdin,
        }) => {
            let store = open_store(&cli.database_url)?;
            let password = if password_stdin {
                let mut line = String::new();
                std::io::stdin().read_line(&mut line).context("reading the password")?;
                Some(line.trim_end_matches(['\n', '\r']).to_owned())
            } else {
                std::env::var("ONEBUDGET_NEW_PASSWORD").ok()
            };
            access::add_user(
                &store,
                &access::NewUserArgs {
                    username: &username,
                    name: &name,
                    role: &role,
                    person: person.as_deref(),
                    team: team.as_deref(),
                    organisation: organisation.as_deref(),
                    service,
                    password,
                },
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Command::User(UserCommand::Disable { username }) => {
            access::disable_user(&open_store(&cli.database_url)?, &username)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::User(UserCommand::Enable { username }) => {
            access::enable_user(&open_store(&cli.database_url)?, &username)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Token(command) => {
            let store = open_store(&cli.database_url)?;
            match command {
                TokenCommand::Issue { user, scopes, days, label } => {
                    access::issue_token(&store, &user, &scopes, days, &label)
                }
                TokenCommand::List => access::list_tokens(&store),
                TokenCommand::Revoke { id } => access::revoke_token(&store, id),
            }?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit(AuditCommand::Export {
            format: AuditFormat::Csv,
            actor,
            person,
            output,
        }) => {
            let store = open_store(&cli.database_url)?;
            let filter =
                onebudget_store::AuditFilter { actor, person_code: person, ..Default::default() };
            access::export_audit(&store, &filter, output.as_deref())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Events(command) => {
            let store = open_store(&cli.database_url)?;
            events::run(&store, command)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Pool(command) => {
            let store = open_store(&cli.database_url)?;
            pool::run(&store, command)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Budget(command) => {
            let store = open_store(&cli.database_url)?;
            let scheme = onebudget_core::budget::config::Scheme::ashby_vale()
                .map_err(|e| anyhow::anyhow!("the personal-budget scheme: {e}"))?;
            budget::run(&store, &scheme, command)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Ras(command) => {
            ras::run(command)?;
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
        Command::DeferredPayment(DeferredPaymentCommand::Statement { input, format }) => {
            deferred_payment::print_statement(&input, format)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::DeferredPayment(DeferredPaymentCommand::Post {
            input,
            through,
            council,
            person,
            stream,
            agreement,
        }) => {
            let store = open_store(&cli.database_url)?;
            deferred_payment::post(
                &store,
                &input,
                &through,
                &council,
                &person,
                &stream,
                agreement.as_deref(),
            )?;
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
        Command::Bench(BenchCommand::Pools(args)) => {
            bench::pools(&args, &cli.database_url)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench(BenchCommand::Budgets(args)) => {
            bench::budgets(&args)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench(BenchCommand::Evidence(args)) => {
            bench::evidence(&args)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench(BenchCommand::Connections(args)) => {
            bench::connections(&args)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Metrics(MetricsCommand::List { format }) => {
            metrics::list(format)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Metrics(MetricsCommand::Compute { metric, from, to, by, format, raw }) => {
            let by = match by {
                MetricsBy::Month => Granularity::Month,
                MetricsBy::Quarter => Granularity::Quarter,
                MetricsBy::Year => Granularity::Year,
            };
            let args = metrics::ComputeArgs {
                metric: metric.as_deref(),
                from: from.as_deref(),
                to: to.as_deref(),
                by,
                format,
                raw,
            };
            let (set, _) = metrics::load()?;
            if let Err(problem) = metrics::check_args(&set, &args) {
                eprintln!("error: {problem}");
                return Ok(ExitCode::from(2));
            }
            let store = open_store(&cli.database_url)?;
            metrics::compute(&store, &args)
        }
    }
}

/// Serve until Ctrl-C or SIGTERM, then finish the requests in flight and stop. With
/// `demo_database`, print the demo's guide (which names that database) instead of a line.
/// Print a line for whoever started the server, ignoring a closed standard output: a
/// server must keep serving when the terminal or pipe it was started from goes away
/// (`println!` panics then).
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

fn serve(
    store: Store,
    web: &WebArgs,
    listen: SocketAddr,
    demo_database: Option<&str>,
) -> anyhow::Result<()> {
    // Statistics only guide the planner; a server that cannot refresh them still serves.
    match store.refresh_statistics(false) {
        Ok(tables) if !tables.is_empty() => {
            tracing::info!(tables = %tables.join(", "), "analyzed tables that had no statistics")
        }
        Ok(_) => {}
        Err(error) => tracing::warn!(%error, "could not refresh the planner's statistics"),
    }
    let mut settings = web.settings();
    if demo_database.is_some() && settings.organisation_name.is_none() {
        settings.organisation_name = Some(demo::COUNCIL_NAME.to_owned());
    }
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
        let metrics = match web.metrics_listen {
            Some(address) => Some(tokio::net::TcpListener::bind(address).await.with_context(
                || format!("--metrics-listen {address}: could not listen there; is it in use?"),
            )?),
            None => None,
        };
        let address = listener.local_addr().context("no local address")?;
        let url = format!("http://{address}");
        let metrics_url = match &metrics {
            Some(listener) => {
                Some(format!("http://{}/metrics", listener.local_addr().context("no address")?))
            }
            None => None,
        };
        match demo_database {
            Some(database) => say!(
                "{}",
                demo::guide(&demo::Guide {
                    url: &url,
                    database_url: &shown_database_url(database),
                    metrics_url: metrics_url.as_deref(),
                })
            ),
            None => {
                say!(
                    "onebudget is serving {} on {url} (health: {url}/health)",
                    store.description()
                );
                if let Some(metrics_url) = &metrics_url {
                    say!("metrics: {metrics_url}");
                }
            }
        }
        let open_files = onebudget_web::server::raise_open_files_limit();
        let limits = &settings.limits;
        say!(
            "limits: {} connections at once (open files allowed: {}), headers within {} s, idle connections closed after {} s, requests within {} s",
            onebudget_web::server::connections_allowed(limits, open_files),
            open_files.map_or_else(|| "no limit".to_owned(), |n| n.to_string()),
            limits.header_read_timeout.as_secs(),
            limits.idle_timeout.as_secs(),
            limits.request_timeout.as_secs(),
        );
        onebudget_web::serve_with_metrics(store, settings, listener, metrics, shutdown_signal())
            .await
    })
}

/// A database URL as it may be printed: a PostgreSQL password replaced with `***`.
fn shown_database_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((userinfo, host)) = rest.rsplit_once('@') else {
        return url.to_owned();
    };
    match userinfo.split_once(':') {
        Some((user, _password)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
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
