//! `onebudget assess` and `onebudget policy show`: the financial assessment from the
//! command line. The rules are core's; this module reads the case, applies a council's
//! overlay file if one is given, and prints the result as JSON or as text.

use std::io::Read;
use std::path::Path;

use anyhow::Context;
use chrono::NaiveDate;
use onebudget_core::assessment::{Case, CaseInput, Explanation, LocalOptions, explain};
use onebudget_core::field::parse_date;
use onebudget_core::policy::{DeferredPaymentPolicy, Jurisdiction, LocalPolicy, Nation, Policy};

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Format {
    /// The result as JSON: amounts are strings of pounds.
    Json,
    /// The steps in plain English with their sources.
    Text,
}

/// Read the five policy files from `dir` and use them for the rest of the process
/// (`--policy-dir`): core checks them; reading them is the CLI's job.
pub fn use_policy_directory(dir: &Path) -> anyhow::Result<&'static Policy> {
    let mut texts = Vec::with_capacity(onebudget_core::policy::EMBEDDED_FILES.len());
    for (name, _) in onebudget_core::policy::EMBEDDED_FILES {
        let path = dir.join(name);
        let text = std::fs::read_to_string(&path).with_context(|| {
            format!(
                "{} cannot be read; a policy directory holds the five files of onebudget's \
                 policy/: copy that directory and edit the copy",
                path.display()
            )
        })?;
        texts.push((path.display().to_string(), text));
    }
    let files: Vec<(&str, &str)> =
        texts.iter().map(|(name, text)| (name.as_str(), text.as_str())).collect();
    let policy = Policy::use_directory_files(dir, &files)?;
    // The deferred payment figures, where the directory holds a copy (a directory made
    // before they existed keeps the built-in ones).
    let deferred = dir.join(onebudget_core::policy::DEFERRED_PAYMENT_FILE.0);
    if deferred.exists() {
        let text = std::fs::read_to_string(&deferred)
            .with_context(|| format!("{} cannot be read", deferred.display()))?;
        DeferredPaymentPolicy::use_text(&deferred.display().to_string(), &text)?;
    }
    Ok(policy)
}

/// Read a council's overlay file and use it for the rest of the process.
pub fn use_local_policy(path: &Path) -> anyhow::Result<&'static LocalPolicy> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{shown}: the council's overlay cannot be read"))?;
    Ok(LocalPolicy::use_text(&shown, &text)?)
}

fn read_all(path: &Path) -> anyhow::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    if path.as_os_str() == "-" {
        std::io::stdin().read_to_end(&mut bytes).context("cannot read standard input")?;
    } else {
        bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    }
    Ok(bytes)
}

/// A council's options in force on the case's date: from `--local` (which must be for
/// the case's nation), or else from the process's `--local-policy` if the case is in its
/// nation, or else the national defaults.
fn local_defaults(local: Option<&Path>, case: &CaseInput) -> anyhow::Result<LocalOptions> {
    let date = parse_date("date", &case.date)?;
    let Some(path) = local else {
        return Ok(LocalPolicy::in_use().map_or_else(LocalOptions::default, |overlay| {
            overlay.defaults_for(case.nation, date)
        }));
    };
    anyhow::ensure!(
        LocalPolicy::in_use().is_none(),
        "--local {}: give a council's overlay once, with --local or --local-policy, not both",
        path.display()
    );
    let overlay = use_local_policy(path)?;
    anyhow::ensure!(
        overlay.nation == case.nation,
        "{}: the overlay is for {} but the case is in {}",
        path.display(),
        overlay.nation,
        case.nation
    );
    Ok(overlay.defaults_for(case.nation, date))
}

/// Assess one case and print the result.
pub fn assess(input: &Path, local: Option<&Path>, format: Format) -> anyhow::Result<()> {
    let bytes = read_all(input)?;
    let raw: CaseInput = onebudget_web::extract::parse_json(&bytes).map_err(|error| {
        let (_, _, message, _) = error.parts();
        anyhow::anyhow!("{}: {message}", input.display())
    })?;
    let defaults = local_defaults(local, &raw)?;
    let case = Case::parse(&raw, defaults)?;
    let policy = Policy::in_use()?;
    let explanation = explain(policy, &case)?;
    match format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&explanation)?),
        Format::Text => print!("{}", render_text(&explanation)),
    }
    Ok(())
}

/// The explanation as text a person can read: each step with its effect on the charge,
/// then the sources it cites, numbered.
pub fn render_text(e: &Explanation) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let setting = match e.setting {
        onebudget_core::assessment::Setting::NonResidential => "care at home",
        onebudget_core::assessment::Setting::CareHome => "a care home",
    };
    let _ = writeln!(
        out,
        "Financial assessment: {}, {setting}, on {} (rules in force from {})\n",
        e.nation.name(),
        e.date,
        e.rules_in_force_from
    );
    let mut sources: Vec<&onebudget_core::policy::Source> = Vec::new();
    for step in &e.steps {
        let mut marks = Vec::new();
        for source in &step.sources {
            let index = match sources.iter().position(|s| *s == source) {
                Some(i) => i,
                None => {
                    sources.push(source);
                    sources.len() - 1
                }
            };
            marks.push(format!("[{}]", index + 1));
        }
        let effect = if step.effect.is_zero() {
            String::new()
        } else if step.effect.is_positive() {
            format!("+{}", step.effect)
        } else {
            step.effect.to_string()
        };
        let _ = writeln!(
            out,
            "  {:<84} {:>12}",
            format!("{} {}", step.explanation, marks.join("")).trim_end(),
            effect
        );
    }
    let _ =
        writeln!(out, "\n  {:<84} {:>12}", "Weekly charge", e.outcome.weekly_charge.to_string());
    if e.outcome.full_cost {
        let _ = writeln!(out, "  (assessed as able to pay the full cost)");
    }
    for (label, fee) in [
        ("Arrangement fee, once", e.outcome.arrangement_fee_set_up),
        ("Arrangement fee, each year", e.outcome.arrangement_fee_annual),
    ] {
        if fee.is_positive() {
            let _ = writeln!(out, "  {label:<84} {:>12}", fee.to_string());
        }
    }
    if !sources.is_empty() {
        let _ = writeln!(out, "\nSources:");
        for (i, s) in sources.iter().enumerate() {
            let _ = writeln!(
                out,
                "  [{}] {} = {} from {}: {} <{}>",
                i + 1,
                s.parameter,
                s.value,
                s.from,
                s.reference.title,
                s.reference.href
            );
        }
    }
    out
}

/// Print the figures in force for a nation on a date, with their sources.
pub fn policy_show(nation: &str, on: Option<&str>, format: Format) -> anyhow::Result<()> {
    let nation = Nation::parse(nation).with_context(|| {
        format!("{nation:?} is not a nation: give england, wales, scotland or northern_ireland")
    })?;
    let policy = Policy::in_use()?;
    let (first, last) = policy.covers(nation).context("no policy for the nation")?;
    let date = match on {
        Some(text) => parse_date("--on", text)?,
        None => {
            // Today, if the policy covers it; otherwise the nearest day it does cover,
            // said plainly so nobody mistakes old figures for today's.
            let today = onebudget_web::clock::today();
            let nearest = today.clamp(first, last);
            if nearest != today {
                eprintln!(
                    "note: today ({today}) is outside the years onebudget holds for {} \
                     ({first} to {last}); showing {nearest}. Use --on to choose a date.",
                    nation.name()
                );
            }
            nearest
        }
    };
    anyhow::ensure!(
        date >= first && date <= last,
        "--on: {} rules are held for {first} to {last} (the financial years {}); {date} is outside them",
        nation.name(),
        onebudget_core::policy::financial_years(first, last)
    );
    let rows = rows_on(policy, nation, date);
    match format {
        Format::Json => {
            let json: Vec<_> = rows
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "parameter": r.0, "description": r.1, "value": r.2, "from": r.3,
                        "reference": {"title": r.4, "href": r.5},
                    })
                })
                .collect();
            println!(
                "{}",
                serde_json::to_string_pretty(&serde_json::json!({
                    "nation": nation, "on": date, "policy": Policy::origin()?.to_string(),
                    "parameters": json
                }))?
            );
        }
        Format::Text => {
            println!("{} on {date}: the figures in force, with their sources", nation.name());
            println!("(from {})\n", Policy::origin()?);
            for (name, description, value, from, title, href) in rows {
                println!(
                    "{name} = {value}  (from {from})\n    {description}\n    {title}\n    {href}\n"
                );
            }
        }
    }
    Ok(())
}

type Row = (String, String, String, NaiveDate, String, String);

fn rows_on(policy: &Policy, nation: Nation, date: NaiveDate) -> Vec<Row> {
    let mut rows = Vec::new();
    for jurisdiction in [Jurisdiction::from(nation), Jurisdiction::Uk] {
        let Some(file) = policy.file(jurisdiction) else { continue };
        for name in file.parameters.keys() {
            // A figure marked unknown is listed as such: leaving it out would read as if
            // the rules did not need it.
            if let Some((parameter, dated)) = file.value_on(name, date) {
                rows.push((
                    format!("{jurisdiction}.{name}"),
                    parameter.description.clone(),
                    dated.value.map_or_else(|| "unknown".to_owned(), |value| value.to_string()),
                    dated.from,
                    dated.reference.title.clone(),
                    dated.reference.href.clone(),
                ));
            }
        }
    }
    rows
}
