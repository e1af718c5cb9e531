//! `onebudget metrics list` and `onebudget metrics compute`: the shared measures (BCF,
//! ASCOF) as defined in `data/metrics/`, computed from the events in the database; and the
//! compute half of `onebudget bench evidence` (synthetic events in memory, timed).
//!
//! What `compute` prints is protected by NHS England's small-number rule unless `--raw`
//! is given: raw figures are for whoever runs the command on the server, who holds the
//! events already (an analyst preparing a national return); the API never gives them.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use chrono::{Datelike, NaiveDate};
use onebudget_core::evidence::metrics::disclosure::{ProtectedValue, protect_value};
use onebudget_core::evidence::metrics::engine::{
    self, ColumnsBuilder, EventColumns, Granularity, MetricValue, NO_AGE, NO_DAY, OPEN,
    SERVICE_ASCOF_CARE_HOME, SERVICE_CARE_HOME, SERVICE_REABLEMENT, SPELL_ACSC, SPELL_ACSC_KNOWN,
    SPELL_DIED, SPELL_EMERGENCY, ServiceRow, SpellRow,
};
use onebudget_core::evidence::metrics::{Metric, MetricSet, Populations};
use onebudget_core::field::parse_date;
use onebudget_store::Store;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;

use crate::output::{Format, Table};

/// The metrics and populations shipped.
pub fn load() -> anyhow::Result<(MetricSet, Populations)> {
    let populations = Populations::embedded().context("the population files were refused")?;
    let metrics = MetricSet::embedded(&populations).context("the metric files were refused")?;
    Ok((metrics, populations))
}

/// `metrics list`.
pub fn list(format: Format) -> anyhow::Result<()> {
    let (set, _) = load()?;
    let table = Table {
        header: vec!["id", "unit", "improvement", "period", "name"],
        numeric: vec![false; 5],
        rows: set
            .metrics
            .iter()
            .map(|m| {
                vec![
                    m.id.clone(),
                    m.unit.as_str().to_owned(),
                    format!("{:?}", m.improvement).to_lowercase(),
                    format!("{:?}", m.period).to_lowercase(),
                    m.name.clone(),
                ]
            })
            .collect(),
    };
    table.print(format, &set.metrics)
}

/// The arguments of `metrics compute`, as given.
pub struct ComputeArgs<'a> {
    pub metric: Option<&'a str>,
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
    pub by: Granularity,
    pub format: Format,
    pub raw: bool,
}

/// What `metrics compute --format json` prints.
#[derive(Serialize)]
struct Computed<'a, V: Serialize> {
    from: NaiveDate,
    to: NaiveDate,
    by: &'static str,
    /// false: NHS England's small-number rule applied; true: raw figures (`--raw`).
    raw: bool,
    events: usize,
    values: &'a [V],
}

/// Check the arguments; a problem is printed on standard error and is exit code 2.
fn check<'s>(
    set: &'s MetricSet,
    args: &ComputeArgs<'_>,
    today: NaiveDate,
) -> Result<(Vec<&'s Metric>, NaiveDate, NaiveDate), String> {
    if let Some(id) = args.metric
        && set.get(id).is_none()
    {
        return Err(format!(
            "--metric: no metric {id:?}; `onebudget metrics list` shows the ids ({})",
            set.metrics.iter().map(|m| m.id.as_str()).collect::<Vec<_>>().join(", ")
        ));
    }
    let date = |flag: &str, value: Option<&str>, default: NaiveDate| -> Result<NaiveDate, String> {
        match value {
            None => Ok(default),
            Some(text) => parse_date(flag, text).map_err(|e| e.to_string()),
        }
    };
    // By default, the financial year before this one and this one so far.
    let fy = if today.month() >= 4 { today.year() } else { today.year() - 1 };
    let default_from = NaiveDate::from_ymd_opt(fy - 1, 4, 1).unwrap_or(today);
    let from = date("--from", args.from, default_from)?;
    let to = date("--to", args.to, today)?;
    if from > to {
        return Err(format!("--from: {from} is after --to {to}; give a from on or before the to"));
    }
    engine::periods(from, to, args.by).map_err(|e| format!("--{e}"))?;
    Ok((engine::select(set, args.metric), from, to))
}

/// Check the arguments before the database is opened: the problem, in words.
pub fn check_args(set: &MetricSet, args: &ComputeArgs<'_>) -> Result<(), String> {
    check(set, args, chrono::Local::now().date_naive()).map(|_| ())
}

/// `metrics compute`: exit code 2, with only the problem printed, for bad input.
pub fn compute(store: &Store, args: &ComputeArgs<'_>) -> anyhow::Result<ExitCode> {
    let (set, populations) = load()?;
    let today = chrono::Local::now().date_naive();
    let (metrics, from, to) = match check(&set, args, today) {
        Ok(checked) => checked,
        Err(problem) => {
            eprintln!("error: {problem}");
            return Ok(ExitCode::from(2));
        }
    };
    let columns = store.event_columns().context("could not read the events")?;
    let values = engine::compute(&metrics, &populations, &columns, from, to, args.by)?;
    if args.raw {
        let table = Table {
            header: vec!["metric", "period", "numerator", "denominator", "value"],
            numeric: vec![false, false, true, true, true],
            rows: values.iter().map(raw_row).collect(),
        };
        let json = Computed {
            from,
            to,
            by: args.by.as_str(),
            raw: true,
            events: columns.len(),
            values: &values,
        };
        table.print(args.format, &json)?;
    } else {
        let shown: Vec<ProtectedValue> =
            values.iter().filter_map(|v| set.get(&v.metric).map(|m| protect_value(v, m))).collect();
        let table = Table {
            header: vec!["metric", "period", "numerator", "denominator", "value"],
            numeric: vec![false, false, true, true, true],
            rows: shown
                .iter()
                .map(|v| {
                    vec![
                        v.metric.clone(),
                        v.period.label.clone(),
                        v.numerator.to_string(),
                        v.denominator.to_string(),
                        v.value.map_or_else(|| "-".to_owned(), |x| x.to_string()),
                    ]
                })
                .collect(),
        };
        let json = Computed {
            from,
            to,
            by: args.by.as_str(),
            raw: false,
            events: columns.len(),
            values: &shown,
        };
        table.print(args.format, &json)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn raw_row(v: &MetricValue) -> Vec<String> {
    vec![
        v.metric.clone(),
        v.period.label.clone(),
        v.numerator.to_string(),
        v.denominator.to_string(),
        v.value.map_or_else(|| "-".to_owned(), |x| format!("{x:.1}")),
    ]
}

/// Synthetic events for the benchmark, deterministic for a seed: about ten events a
/// person over two financial years (April 2024 to March 2026), laid out by person.
/// Spells: emergency and elective admissions, most discharged with a ready date and some
/// delay, a few deaths in hospital. Services: long-term community support by each
/// delivery mechanism, reablement after some discharges, care-home placements. About 1 in
/// 40 people die in the two years.
pub fn synthetic_columns(events: usize, seed: u64) -> EventColumns {
    let mut rng = StdRng::seed_from_u64(seed);
    let first = engine::day(NaiveDate::from_ymd_opt(2024, 4, 1).unwrap_or_default());
    let span = 731;
    let mut builder = ColumnsBuilder::with_capacity(events / 2, events / 2);
    let mut made = 0_usize;
    let mut person = 0_u32;
    while made < events {
        let birth = first - rng.random_range(18 * 365..100 * 365);
        let age = |day: i32| engine::age_between(birth, day).unwrap_or(NO_AGE);
        let n = rng.random_range(2..=18).min(events - made);
        let mut spells: Vec<SpellRow> = Vec::new();
        let mut services: Vec<ServiceRow> = Vec::new();
        for _ in 0..n {
            let start = first + rng.random_range(0..span);
            if rng.random_bool(0.5) {
                let stay = rng.random_range(0..30);
                let ready = start + stay;
                let delay = if rng.random_bool(0.7) { 0 } else { rng.random_range(1..15) };
                let mut flags = if rng.random_bool(0.6) { SPELL_EMERGENCY } else { 0 };
                if rng.random_bool(0.02) {
                    flags |= SPELL_DIED;
                }
                if rng.random_bool(0.5) {
                    flags |= SPELL_ACSC_KNOWN | if rng.random_bool(0.2) { SPELL_ACSC } else { 0 };
                }
                let discharged = if rng.random_bool(0.97) { ready + delay } else { NO_DAY };
                spells.push(SpellRow {
                    person,
                    admitted: start,
                    ready: if rng.random_bool(0.9) { ready } else { NO_DAY },
                    discharged,
                    age: age(start),
                    flags,
                });
            } else {
                let kind: u32 = rng.random_range(0..10);
                let (flags, rank, length) = match kind {
                    0..=5 => (0, rng.random_range(3..=6), rng.random_range(30..700)),
                    6 | 7 => (SERVICE_REABLEMENT, 0, rng.random_range(7..42)),
                    _ => (
                        SERVICE_CARE_HOME | SERVICE_ASCOF_CARE_HOME,
                        rng.random_range(1..=2),
                        rng.random_range(14..700),
                    ),
                };
                let end = if rng.random_bool(0.3) { OPEN } else { start + length };
                services.push(ServiceRow {
                    person,
                    start,
                    end,
                    birth,
                    flags,
                    rank,
                    psr: rng.random_range(0..=13),
                });
            }
        }
        spells.sort_by_key(|s| s.admitted);
        services.sort_by_key(|s| s.start);
        for s in spells {
            builder.spell(s);
        }
        for s in services {
            builder.service(s);
        }
        if rng.random_bool(0.025) {
            builder.death(person, first + rng.random_range(0..span));
        }
        made += n;
        person += 1;
    }
    builder.finish()
}

/// The compute half of `bench evidence`: every metric for every month over `events`
/// synthetic events, timed; prints the figures.
pub fn bench_compute(events: usize, seed: u64, runs: usize) -> anyhow::Result<()> {
    let (set, populations) = load()?;
    let started = Instant::now();
    let columns = synthetic_columns(events, seed);
    let generated = started.elapsed();
    let metrics: Vec<&Metric> = set.metrics.iter().collect();
    let from = NaiveDate::from_ymd_opt(2024, 4, 1).unwrap_or_default();
    let to = NaiveDate::from_ymd_opt(2026, 3, 31).unwrap_or_default();
    println!(
        "generated {} events ({} spells, {} services, {} people) in {:.2} s (seed {seed})",
        thousands(columns.len()),
        thousands(columns.sp_admitted.len()),
        thousands(columns.sc_start.len()),
        thousands(columns.persons),
        generated.as_secs_f64()
    );
    let mut best = f64::MAX;
    let mut values = Vec::new();
    for _ in 0..runs.max(1) {
        let started = Instant::now();
        values = engine::compute(&metrics, &populations, &columns, from, to, Granularity::Month)?;
        best = best.min(started.elapsed().as_secs_f64());
    }
    // Where the time goes: each distinct count alone, on one thread.
    let mut parts = Vec::new();
    for metric in &metrics {
        for term in [&metric.numerator, &metric.denominator] {
            if let onebudget_core::evidence::metrics::Term::Count(count) = term
                && !parts.iter().any(|(c, _)| *c == count)
            {
                let periods = engine::periods(from, to, Granularity::Month)?;
                let started = Instant::now();
                engine::evaluate(&columns, count, &periods);
                parts.push((count, started.elapsed().as_secs_f64()));
            }
        }
    }
    for (count, seconds) in &parts {
        println!(
            "  {:<32} {:>6} {:.3} s (one thread)",
            count.rule.as_str(),
            count.age.to_string(),
            seconds
        );
    }
    println!(
        "computed {} metrics for every month ({} values, April 2024 to March 2026) over {} events in {:.3} s (best of {runs})",
        metrics.len(),
        values.len(),
        thousands(columns.len()),
        best
    );
    Ok(())
}

fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_events_are_deterministic_and_as_many_as_asked() {
        let a = synthetic_columns(10_000, 7);
        let b = synthetic_columns(10_000, 7);
        assert_eq!(a.len(), 10_000);
        assert_eq!(a, b);
        assert_ne!(a, synthetic_columns(10_000, 8));
    }

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands(10_000_000), "10,000,000");
        assert_eq!(thousands(999), "999");
    }
}
