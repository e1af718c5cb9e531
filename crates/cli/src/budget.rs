//! The `budget` commands: show the personal-budget scheme, record a needs assessment and
//! a budget version, show a budget with every step, pay a period, record spending and
//! providers' invoices, run direct-payment monitoring, decide a review (as a named
//! finance officer), print a person's statement or a funder's share, and import budgets
//! from another system. Each is a store call; the decisions are core's.
//!
//! Whoever runs these has the database itself; every read and write of a person's record
//! still leaves a row in the audit log with `via = command_line`.

use std::path::PathBuf;

use anyhow::Context;
use chrono::NaiveDate;
use clap::Subcommand;
use onebudget_core::access::{Action, decide};
use onebudget_core::budget::config::{RasMethod, Scheme};
use onebudget_core::budget::needs::Answers;
use onebudget_core::ledger::parse_date;
use onebudget_core::money::Money;
use onebudget_store::{
    BudgetChange, BudgetStoreError, BudgetVersion, PostError, PostStatus, Store,
};

use crate::output::{Format, Table};

/// The account direct-payment spending goes to (the demo's; a council names its own).
const SPEND_ACCOUNT: &str = "DP-SPEND";

#[derive(Subcommand)]
pub enum BudgetCommand {
    /// Show the scheme in force on a date: the needs questionnaire, and each funding
    /// stream's eligibility rule, Resource Allocation System and what it may pay for,
    /// with their sources.
    Scheme {
        #[arg(long)]
        on: Option<String>,
    },
    /// Record a needs assessment: a JSON object of domain → level (see `budget scheme`).
    Assess {
        person: String,
        #[arg(long)]
        input: PathBuf,
        /// The date of the assessment (today if omitted).
        #[arg(long)]
        on: Option<String>,
        /// The questionnaire version (the one in force on the date if omitted).
        #[arg(long)]
        questionnaire: Option<String>,
        #[arg(long, default_value = "command line")]
        recorded_by: String,
    },
    /// Record the next version of a person's budget: JSON with effective_from, status,
    /// plan (components and lines) and reason.
    Record {
        person: String,
        #[arg(long)]
        input: PathBuf,
        #[arg(long, default_value = "command line")]
        recorded_by: String,
    },
    /// Show a person's budget on a date with every step and the allocation line by line.
    Show {
        person: String,
        #[arg(long)]
        on: Option<String>,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Pay every active budget for a period: the funders' shares into the budget accounts,
    /// and direct payments on to people's accounts. Paying a period twice pays it once.
    Pay {
        #[arg(long)]
        from: String,
        #[arg(long, default_value_t = 4)]
        weeks: u32,
    },
    /// Record what a direct payment was spent on, against a plan line, with its receipt.
    Spend {
        person: String,
        #[arg(long)]
        line: usize,
        #[arg(long)]
        amount: String,
        #[arg(long)]
        date: String,
        #[arg(long)]
        receipt: String,
        /// An idempotency key; a repeat with the same key records nothing new.
        #[arg(long)]
        key: Option<String>,
    },
    /// Pay a provider's invoice from an Individual Service Fund, managed or notional
    /// budget.
    Invoice {
        person: String,
        #[arg(long)]
        stream: String,
        #[arg(long)]
        provider: String,
        #[arg(long)]
        amount: String,
        #[arg(long)]
        date: String,
        #[arg(long)]
        invoice: String,
    },
    /// Raise a review for every direct payment holding more than N weeks of budget, with
    /// a proposed recovery. Nothing is recovered until a finance officer decides.
    Monitor {
        #[arg(long)]
        on: String,
        #[arg(long, default_value_t = 8)]
        weeks: u32,
    },
    /// List direct-payment reviews.
    Reviews {
        /// Only those not yet decided.
        #[arg(long)]
        open: bool,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Decide a review as a finance officer: recover an amount, or dismiss it.
    Decide {
        review: i64,
        /// The finance officer deciding (a user with the finance role).
        #[arg(long = "as")]
        as_user: String,
        /// Recover this amount (at most the proposed recovery).
        #[arg(long, conflicts_with = "dismiss")]
        recover: Option<String>,
        #[arg(long)]
        dismiss: bool,
        #[arg(long)]
        note: String,
    },
    /// Import budgets from another system (CSV, one row per component):
    /// `person,stream,weekly,mode,provider,effective_from,status`. The whole file is
    /// checked before anything is written; a bad line is named as `line N: …`.
    Import {
        #[arg(long)]
        input: PathBuf,
        /// Where the budgets come from, kept with each.
        #[arg(long, default_value = "the council's previous system")]
        source: String,
        #[arg(long, default_value = "command line")]
        recorded_by: String,
    },
    /// A person's one statement across every stream, in plain English.
    Statement {
        person: String,
        #[arg(long)]
        from: Option<String>,
        #[arg(long)]
        to: Option<String>,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// One funder's share of everyone's budgets: no person is named.
    Funder {
        stream: String,
        #[arg(long)]
        on: Option<String>,
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
}

fn today() -> NaiveDate {
    onebudget_web::clock::today()
}

fn date_or_today(flag: &str, value: Option<&str>) -> anyhow::Result<NaiveDate> {
    Ok(match value {
        Some(v) => parse_date(flag, v)?,
        None => today(),
    })
}

fn money(flag: &str, value: &str) -> anyhow::Result<Money> {
    Money::parse(value).map_err(|e| anyhow::anyhow!("{flag}: {e}"))
}

fn budget_error(error: BudgetStoreError) -> anyhow::Error {
    match error {
        BudgetStoreError::Post(PostError::Rejected(rejected)) => {
            anyhow::anyhow!("{rejected}\nnothing was written")
        }
        other => anyhow::anyhow!("{other}\nnothing was written"),
    }
}

/// One audit row for a read or a write of a person's record from the command line.
fn audit(store: &Store, action: &str, person: &str, detail: &str) -> anyhow::Result<()> {
    let mut entry =
        crate::access::operator_entry(action, &format!("person/{person}/budget"), detail);
    entry.person_code = Some(person.to_owned());
    store.append_audit(&[entry])?;
    Ok(())
}

pub fn run(store: &Store, scheme: &Scheme, command: BudgetCommand) -> anyhow::Result<()> {
    match command {
        BudgetCommand::Scheme { on } => print_scheme(scheme, date_or_today("--on", on.as_deref())?),
        BudgetCommand::Assess { person, input, on, questionnaire, recorded_by } => {
            let text = crate::input::read_text(&input)?;
            let answers: Answers = serde_json::from_str(&text).map_err(|e| {
                anyhow::anyhow!(
                    "{}: not a JSON object of domain to level ({e}); see `onebudget budget scheme`",
                    input.display()
                )
            })?;
            let on = date_or_today("--on", on.as_deref())?;
            let record = store
                .record_needs_assessment(
                    scheme,
                    &person,
                    on,
                    questionnaire.as_deref(),
                    &answers,
                    &recorded_by,
                )
                .map_err(budget_error)?;
            audit(store, "plan_budget", &person, &format!("needs assessment {}", record.id))?;
            println!(
                "needs assessment {} of {person} recorded ({} questionnaire {}): {} points",
                record.id,
                record.scheme,
                record.questionnaire,
                record.scores.total()
            );
            for d in &record.eligibility {
                println!("  {} {}: {}", if d.eligible { "✓" } else { "✗" }, d.stream, d.reason);
            }
            Ok(())
        }
        BudgetCommand::Record { person, input, recorded_by } => {
            let text = crate::input::read_text(&input)?;
            let change: BudgetChange = serde_json::from_str(&text)
                .map_err(|e| anyhow::anyhow!("{}: not a budget change: {e}", input.display()))?;
            let version = store
                .record_budget(scheme, &person, &change, &recorded_by)
                .map_err(budget_error)?;
            audit(store, "plan_budget", &person, &format!("budget version {}", version.version))?;
            print_budget(&version);
            Ok(())
        }
        BudgetCommand::Show { person, on, format } => {
            let on = date_or_today("--on", on.as_deref())?;
            let version = store
                .budget_on(&person, on)?
                .with_context(|| format!("{person} has no budget on {on}"))?;
            audit(store, "read_person", &person, "budget")?;
            if matches!(format, Format::Json) {
                serde_json::to_writer_pretty(std::io::stdout(), &version)?;
                println!();
            } else {
                print_budget(&version);
            }
            Ok(())
        }
        BudgetCommand::Pay { from, weeks } => {
            let from = parse_date("--from", &from)?;
            let transfers = store.budget_payments(scheme, from, weeks).map_err(budget_error)?;
            let posted =
                store.post(&transfers).map_err(|e| budget_error(BudgetStoreError::Post(e)))?;
            let created = posted.iter().filter(|p| p.status == PostStatus::Created).count();
            let total = Money::checked_sum(
                transfers
                    .iter()
                    .filter(|t| t.reason().as_str() == "allocation")
                    .map(|t| t.amount()),
            )?;
            println!(
                "{weeks} weeks from {from}: {} transfer(s), {created} new ({} already recorded); {total} paid into budgets",
                posted.len(),
                posted.len() - created
            );
            Ok(())
        }
        BudgetCommand::Spend { person, line, amount, date, receipt, key } => {
            let date = onebudget_core::budget::parse_spending_date(
                "--date",
                &date,
                onebudget_web::clock::today(),
            )?;
            let amount = money("--amount", &amount)?;
            let key =
                key.unwrap_or_else(|| format!("spend/{person}/{date}/{line}/{}", receipt.trim()));
            let posted = store
                .record_spending(&person, line, amount, date, &receipt, &key, SPEND_ACCOUNT)
                .map_err(budget_error)?;
            audit(store, "record_spending", &person, &format!("line {line}, {amount}"))?;
            println!("recorded {amount} against line {line} in {} transfer(s)", posted.len());
            Ok(())
        }
        BudgetCommand::Invoice { person, stream, provider, amount, date, invoice } => {
            let date = parse_date("--date", &date)?;
            let amount = money("--amount", &amount)?;
            let key = format!("invoice/{person}/{stream}/{provider}/{}", invoice.trim());
            store
                .pay_provider_invoice(&person, &stream, &provider, amount, date, &invoice, &key)
                .map_err(budget_error)?;
            audit(store, "pay_budgets", &person, &format!("invoice {invoice}"))?;
            println!(
                "paid {provider} {amount} from {person}'s {stream} budget (invoice {invoice})"
            );
            Ok(())
        }
        BudgetCommand::Monitor { on, weeks } => {
            let on = parse_date("--on", &on)?;
            let raised =
                store.monitor_direct_payments(on, weeks, "command line").map_err(budget_error)?;
            for r in &raised {
                audit(
                    store,
                    "pay_budgets",
                    &r.person_code,
                    &format!("direct-payment review {}", r.id),
                )?;
            }
            println!(
                "{} review(s) raised: balances above {weeks} weeks of budget on {on}",
                raised.len()
            );
            for r in &raised {
                println!(
                    "  review {}: {} {} balance {}, threshold {}, propose recovering {}",
                    r.id, r.person_code, r.stream, r.balance, r.threshold, r.proposed_recovery
                );
            }
            Ok(())
        }
        BudgetCommand::Reviews { open, format } => {
            let reviews = store.dp_reviews(open)?;
            for r in &reviews {
                audit(
                    store,
                    "read_person",
                    &r.person_code,
                    &format!("direct-payment review {}", r.id),
                )?;
            }
            let table = Table {
                header: vec![
                    "review",
                    "person",
                    "stream",
                    "raised_on",
                    "balance",
                    "threshold",
                    "proposed",
                    "decision",
                ],
                numeric: vec![true, false, false, false, true, true, true, false],
                rows: reviews
                    .iter()
                    .map(|r| {
                        vec![
                            r.id.to_string(),
                            r.person_code.clone(),
                            r.stream.clone(),
                            r.raised_on.to_string(),
                            r.balance.to_plain_string(),
                            r.threshold.to_plain_string(),
                            r.proposed_recovery.to_plain_string(),
                            r.decision.clone().unwrap_or_else(|| "open".into()),
                        ]
                    })
                    .collect(),
            };
            table.print(format, &reviews)
        }
        BudgetCommand::Decide { review, as_user, recover, dismiss, note } => {
            let user = store
                .user_by_username(&as_user)?
                .with_context(|| format!("--as: there is no user {as_user:?}"))?;
            let principal = onebudget_web::auth::principal_of(&user, None)
                .with_context(|| format!("--as: the user {as_user:?} has an unreadable role"))?;
            decide(&principal, &Action::DecideRecovery)
                .map_err(|refusal| anyhow::anyhow!("--as: {refusal}"))?;
            let amount = match (recover, dismiss) {
                (Some(a), false) => Some(money("--recover", &a)?),
                (None, true) => None,
                _ => anyhow::bail!("give --recover AMOUNT or --dismiss"),
            };
            let (r, posted) = store
                .decide_dp_review(scheme, review, amount, &note, &as_user)
                .map_err(budget_error)?;
            audit(store, "decide_recovery", &r.person_code, &format!("review {review}"))?;
            match amount {
                Some(a) => println!(
                    "review {review}: {a} recovered to the funder ({} transfer)",
                    posted.len()
                ),
                None => println!("review {review}: dismissed"),
            }
            Ok(())
        }
        BudgetCommand::Import { input, source, recorded_by } => {
            let text = crate::input::read_text(&input)?;
            let imports = parse_import(&text, &source)?;
            for (line, import) in &imports {
                store.check_import(scheme, import).map_err(|e| {
                    anyhow::anyhow!("line {line}: {}: {e}\nnothing was written", import.person)
                })?;
            }
            for (line, import) in &imports {
                store
                    .import_budget(scheme, import, &recorded_by)
                    .map_err(|e| anyhow::anyhow!("line {line}: {}: {e}", import.person))?;
                audit(store, "plan_budget", &import.person, "budget imported")?;
            }
            println!("imported {} budget(s) from {}", imports.len(), input.display());
            Ok(())
        }
        BudgetCommand::Statement { person, from, to, format } => {
            let from = from.map(|f| parse_date("--from", &f)).transpose()?;
            let to = to.map(|t| parse_date("--to", &t)).transpose()?;
            let st = store
                .person_statement(scheme, &person, from, to, to.unwrap_or_else(today))
                .map_err(budget_error)?;
            audit(store, "read_person", &person, "statement")?;
            if matches!(format, Format::Table) {
                for line in &st.summary {
                    println!("{line}");
                }
                println!();
            }
            let table = Table {
                header: vec!["date", "stream", "what happened", "in", "out"],
                numeric: vec![false, false, false, true, true],
                rows: st
                    .entries
                    .iter()
                    .map(|e| {
                        vec![
                            e.date.to_string(),
                            e.stream.clone(),
                            onebudget_web::pools::inert(&e.words).into_owned(),
                            e.money_in.to_plain_string(),
                            e.money_out.to_plain_string(),
                        ]
                    })
                    .collect(),
            };
            table.print(format, &st)
        }
        BudgetCommand::Funder { stream, on, from, to, format } => {
            let on = date_or_today("--on", on.as_deref())?;
            let st = store
                .funder_statement(
                    scheme,
                    &stream,
                    on,
                    parse_date("--from", &from)?,
                    parse_date("--to", &to)?,
                )
                .map_err(budget_error)?;
            let table = Table {
                header: vec![
                    "stream",
                    "funder",
                    "budgets",
                    "weekly_agreed",
                    "weekly_funder_pays",
                    "weekly_people_pay",
                    "paid_in",
                    "spent",
                    "returned",
                ],
                numeric: vec![false, false, true, true, true, true, true, true, true],
                rows: vec![vec![
                    st.stream.clone(),
                    st.funder.clone(),
                    st.budgets.to_string(),
                    st.weekly_agreed.to_plain_string(),
                    st.weekly_funder_pays.to_plain_string(),
                    st.weekly_people_pay.to_plain_string(),
                    st.paid_in.to_plain_string(),
                    st.spent.to_plain_string(),
                    st.returned.to_plain_string(),
                ]],
            };
            table.print(format, &st)
        }
    }
}

fn print_scheme(scheme: &Scheme, on: NaiveDate) -> anyhow::Result<()> {
    let q = scheme.questionnaire_on(on).map_err(|e| anyhow::anyhow!("--on: {e}"))?;
    println!("{} ({}), on {on}", scheme.title, scheme.code);
    println!(
        "\nNeeds questionnaire {} from {} — {}",
        q.version, q.effective_from, q.reference.title
    );
    for d in &q.domains {
        let levels: Vec<String> =
            d.levels.iter().map(|l| format!("{} ({} pts)", l.code, l.points)).collect();
        println!("  {:<16} {}: {}", d.code, d.title, levels.join(", "));
    }
    for s in &scheme.streams {
        println!("\n{} — {} ({}, {})", s.code, s.name, s.funder, s.charging.as_str());
        println!("  eligibility: {} — {}", s.eligibility.rule, s.eligibility.reference.title);
        for c in &s.eligibility.any_of {
            println!(
                "    any of: {} ({} domain(s) at {:?} or above)",
                c.description, c.count_at_least, c.band_at_least
            );
        }
        if let Ok(r) = s.ras_on(on) {
            let method = match &r.method {
                RasMethod::PricePerPoint(p) => format!("{p} a point"),
                RasMethod::Bands(b) => {
                    b.iter().map(|(p, w)| format!("{p}+ pts {w}")).collect::<Vec<_>>().join(", ")
                }
            };
            println!(
                "  RAS from {}: {method}; floor {}, ceiling {} — {}",
                r.effective_from, r.floor, r.ceiling, r.reference.title
            );
        }
        let funds: Vec<&str> = scheme
            .categories
            .iter()
            .enumerate()
            .filter(|(i, _)| s.may_fund_category(*i))
            .map(|(_, c)| c.code.as_str())
            .collect();
        println!("  may pay for: {}", funds.join(", "));
        for (category, reason) in &s.excluded {
            println!("  not {category}: {reason}");
        }
    }
    Ok(())
}

fn print_budget(v: &BudgetVersion) {
    let d = &v.decision;
    println!(
        "{} budget version {} ({}, from {}): {} a week; the person pays {}",
        v.person_code,
        v.version,
        v.status.as_str(),
        v.effective_from,
        d.budget,
        d.weekly_contribution
    );
    for c in &d.components {
        println!(
            "  {:<4} {:<12} indicative {:>10}  agreed {:>10}  used {:>10}  person pays {:>8}  {}",
            c.stream,
            c.charging.as_str(),
            c.indicative.weekly.to_string(),
            c.agreed.to_string(),
            c.allocated.to_string(),
            c.person_pays.to_string(),
            c.mode.words()
        );
    }
    for l in &d.lines {
        println!(
            "  line {} {} ({}, {}): {}",
            l.number,
            l.what,
            l.category,
            l.weekly_cost,
            l.explanation.join("; ")
        );
    }
    for w in &d.warnings {
        println!("  warning: {w}");
    }
    println!("steps:");
    for s in &d.steps {
        println!("  {s}");
    }
}

/// Parse an import file into one budget per person (in the order first seen), with the
/// line of each person's first row.
fn parse_import(
    text: &str,
    source: &str,
) -> anyhow::Result<Vec<(usize, onebudget_store::BudgetImport)>> {
    use onebudget_core::budget::plan::{DeliveryMode, ImportedComponent, Status};
    const HEADER: [&str; 7] =
        ["person", "stream", "weekly", "mode", "provider", "effective_from", "status"];
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(text.as_bytes());
    let header = reader.headers().map_err(|e| anyhow::anyhow!("line 1: {e}"))?.clone();
    if header.iter().map(str::trim).ne(HEADER) {
        anyhow::bail!("line 1: the header must be {}", HEADER.join(","));
    }
    let mut out: Vec<(usize, onebudget_store::BudgetImport)> = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| anyhow::anyhow!("{e}"))?;
        let line = record.position().map_or(0, |p| usize::try_from(p.line()).unwrap_or(0));
        let cell = |i: usize| record.get(i).map(str::trim).unwrap_or("");
        let fail = |what: String| anyhow::anyhow!("line {line}: {what}\nnothing was written");
        let person = cell(0).to_owned();
        if person.is_empty() {
            return Err(fail("person: give the person's code".into()));
        }
        let weekly = Money::parse(cell(2)).map_err(|e| fail(format!("weekly: {e}")))?;
        let mode: DeliveryMode = serde_json::from_value(serde_json::Value::String(cell(3).to_owned()))
            .map_err(|_| fail(format!("mode: {:?} is not one of direct_payment, individual_service_fund, managed, notional", cell(3))))?;
        let provider = Some(cell(4).to_owned()).filter(|p| !p.is_empty());
        let effective_from =
            parse_date("effective_from", cell(5)).map_err(|e| fail(e.to_string()))?;
        let status = Status::parse(cell(6)).map_err(|e| fail(e.to_string()))?;
        let component = ImportedComponent { stream: cell(1).to_owned(), weekly, mode, provider };
        match out.iter_mut().find(|(_, b)| b.person == person) {
            Some((_, b)) => {
                if b.effective_from != effective_from || b.status != status {
                    return Err(fail(format!(
                        "{person}'s rows must share one effective_from and status"
                    )));
                }
                b.components.push(component);
            }
            None => out.push((
                line,
                onebudget_store::BudgetImport {
                    person,
                    effective_from,
                    status,
                    components: vec![component],
                    source: source.to_owned(),
                },
            )),
        }
    }
    if out.is_empty() {
        anyhow::bail!("the file has no budgets after its header");
    }
    Ok(out)
}
