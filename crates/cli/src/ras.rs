//! `onebudget ras`: the Resource Allocation System from the command line. For now,
//! `ras calibrate`, which reads agreed support plans from CSV, hands them to core's
//! `budget::calibrate::fit` and prints the fit as text or JSON. The least squares and
//! every figure are core's; this module parses the file (reporting a bad line as
//! `line N: …`, so nothing is fitted) and renders the result.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Subcommand, ValueEnum};
use onebudget_core::Money;
use onebudget_core::budget::calibrate::{CalibrationRow, Fit, FittedValues, Method, fit};

use crate::input::read_text;
use crate::output::{self, Table};

#[derive(Subcommand)]
pub enum RasCommand {
    /// Fit a RAS to what agreed support plans really cost: the price per point (or each
    /// band's weekly value) that best matches their weekly costs by least squares, with
    /// how well it fits (R², the root mean square error, the mean absolute error) and the
    /// cases furthest off, every step explained. The input is CSV with the header
    /// `case,points,weekly_cost`, costs in pounds like 123.45; a bad line is reported as
    /// `line N: …` and nothing is fitted.
    Calibrate(CalibrateArgs),
}

#[derive(clap::Args)]
pub struct CalibrateArgs {
    /// The agreed support plans (CSV), or - for standard input.
    #[arg(long, short)]
    input: PathBuf,
    /// What to fit: one price per point (the default), or a value per band (with
    /// --bands).
    #[arg(long, value_enum)]
    method: Option<MethodArg>,
    /// The bands' lower bounds in points, starting at 0: 0,10,20,40 means 0–9, 10–19,
    /// 20–39 and 40 and over. Implies --method bands.
    #[arg(long, value_delimiter = ',')]
    bands: Option<Vec<u32>>,
    /// How many of the cases furthest off to list.
    #[arg(long, default_value_t = 10)]
    show: usize,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Clone, Copy, ValueEnum)]
enum MethodArg {
    /// Weekly budget = points × price.
    PricePerPoint,
    /// Weekly budget = the value of the band the points fall in.
    Bands,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// The fitted values, the statistics, the steps and the cases furthest off.
    Text,
    /// The whole fit, every case's residual included; amounts are strings of pounds.
    Json,
}

pub fn run(command: RasCommand) -> anyhow::Result<()> {
    match command {
        RasCommand::Calibrate(args) => calibrate(&args),
    }
}

fn method(args: &CalibrateArgs) -> anyhow::Result<Method> {
    match (args.method, &args.bands) {
        (None | Some(MethodArg::PricePerPoint), None) => Ok(Method::PricePerPoint),
        (None | Some(MethodArg::Bands), Some(bounds)) => {
            Ok(Method::Bands { lower_bounds: bounds.clone() })
        }
        (Some(MethodArg::Bands), None) => {
            anyhow::bail!("--method bands needs the bands' lower bounds, like --bands 0,10,20,40")
        }
        (Some(MethodArg::PricePerPoint), Some(_)) => {
            anyhow::bail!("--bands is for --method bands; a price per point has no bands")
        }
    }
}

/// The rows of a plans file, with the line each came from.
struct Plans {
    rows: Vec<CalibrationRow>,
    lines: Vec<u64>,
}

const HEADER: [&str; 3] = ["case", "points", "weekly_cost"];

/// Parse `case,points,weekly_cost` CSV. Blank lines and lines starting with `#` are
/// skipped. Stops at the first bad line.
fn parse_plans(text: &str) -> anyhow::Result<Plans> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .comment(Some(b'#'))
        .from_reader(text.as_bytes());
    let header = reader.headers().map_err(|error| csv_error(text, &error))?.clone();
    if header.iter().ne(HEADER) {
        let line = line_at(text, header.position());
        anyhow::bail!(
            "line {line}: the header must be {} (got {})",
            HEADER.join(","),
            header.iter().collect::<Vec<_>>().join(",")
        );
    }
    let mut plans = Plans { rows: Vec::new(), lines: Vec::new() };
    for record in reader.records() {
        let record = record.map_err(|error| csv_error(text, &error))?;
        let line = line_at(text, record.position());
        let (Some(case), Some(points), Some(weekly_cost)) =
            (record.get(0), record.get(1), record.get(2))
        else {
            anyhow::bail!("line {line}: expected 3 cells (case,points,weekly_cost)");
        };
        let points: u32 = points.parse().map_err(|_| {
            anyhow::anyhow!("line {line}: points must be a whole number from 0 up (got {points:?})")
        })?;
        let weekly_cost = Money::parse(weekly_cost)
            .map_err(|error| anyhow::anyhow!("line {line}: weekly_cost: {error}"))?;
        plans.rows.push(CalibrationRow { case: case.to_owned(), points, weekly_cost });
        plans.lines.push(line);
    }
    Ok(plans)
}

/// The line of the file a record starts on. The CSV reader's own count, and the byte
/// offset it gives, both start before the blank and comment lines it skipped to reach
/// the record, so those are passed over here.
fn line_at(text: &str, position: Option<&csv::Position>) -> u64 {
    let mut offset = position.map_or(0, |p| usize::try_from(p.byte()).unwrap_or(usize::MAX));
    while let Some(rest) = text.get(offset..) {
        let skipped = if rest.starts_with(['\n', '\r']) {
            1
        } else if rest.starts_with('#') {
            rest.find('\n').unwrap_or(rest.len())
        } else {
            break;
        };
        offset += skipped;
        if rest.len() <= skipped {
            break;
        }
    }
    let before = text.get(..offset).unwrap_or(text);
    u64::try_from(before.matches('\n').count()).map_or(u64::MAX, |newlines| newlines + 1)
}

/// A CSV reader's error in our words: the line and what is wrong.
fn csv_error(text: &str, error: &csv::Error) -> anyhow::Error {
    let line = line_at(text, error.position());
    match error.kind() {
        csv::ErrorKind::UnequalLengths { len, .. } => {
            anyhow::anyhow!("line {line}: expected 3 cells (case,points,weekly_cost), found {len}")
        }
        csv::ErrorKind::Utf8 { .. } => anyhow::anyhow!("line {line}: the text is not UTF-8"),
        _ => anyhow::anyhow!("line {line}: {error}"),
    }
}

fn calibrate(args: &CalibrateArgs) -> anyhow::Result<()> {
    let method = method(args)?;
    let name = if args.input.as_os_str() == "-" {
        "standard input".to_owned()
    } else {
        args.input.display().to_string()
    };
    let text = read_text(&args.input)?;
    let plans = parse_plans(&text).with_context(|| format!("{name} was not fitted"))?;
    let fitted = fit(&plans.rows, &method, args.show).map_err(|error| {
        let message = error.describe(&|row| {
            let line = row.checked_sub(1).and_then(|index| plans.lines.get(index));
            line.map_or_else(|| format!("row {row}"), |line| format!("line {line}"))
        });
        anyhow::anyhow!("{message}").context(format!("{name} was not fitted"))
    })?;
    match args.format {
        Format::Json => {
            let stdout = std::io::stdout();
            let mut out = stdout.lock();
            serde_json::to_writer_pretty(&mut out, &fitted)?;
            writeln!(out)?;
            Ok(())
        }
        Format::Text => print_text(&fitted, &name),
    }
}

/// `text` broken into lines of at most `width` characters, the first after `first`
/// and the rest after as many spaces, so that they hang under it.
fn wrap(text: &str, first: &str, width: usize) -> String {
    let hanging = " ".repeat(first.chars().count());
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    let finish = |line: &str, lines: &mut Vec<String>| {
        let indent = if lines.is_empty() { first } else { hanging.as_str() };
        lines.push(format!("{indent}{line}"));
    };
    for word in text.split_whitespace() {
        if !line.is_empty()
            && hanging.len() + line.chars().count() + 1 + word.chars().count() > width
        {
            finish(&line, &mut lines);
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        finish(&line, &mut lines);
    }
    lines.join("\n")
}

fn print_text(fitted: &Fit, name: &str) -> anyhow::Result<()> {
    let what = match &fitted.values {
        FittedValues::PricePerPoint { .. } => "a price per point",
        FittedValues::Bands { .. } => "band values",
    };
    println!(
        "RAS calibration: {what} fitted to {} agreed support plans from {}",
        fitted.cases, name
    );
    println!();
    match &fitted.values {
        FittedValues::PricePerPoint { price_per_point } => {
            println!("Price per point       {price_per_point} a week");
        }
        FittedValues::Bands { bands } => {
            let rows = bands
                .iter()
                .map(|band| {
                    let points = match band.until_points {
                        Some(until) => format!("{}–{}", band.min_points, until.saturating_sub(1)),
                        None => format!("{} and over", band.min_points),
                    };
                    vec![
                        band.band.to_string(),
                        points,
                        band.cases.to_string(),
                        band.weekly_value.to_string(),
                    ]
                })
                .collect();
            let table = Table {
                header: vec!["band", "points", "cases", "weekly value"],
                numeric: vec![true, false, true, true],
                rows,
            };
            table.print(output::Format::Table, &())?;
            println!();
        }
    }
    let r_squared = fitted.r_squared.map_or_else(|| "none".to_owned(), |r| format!("{r:.4}"));
    println!("R²                    {r_squared}");
    println!("RMSE                  {} a week", fitted.rmse);
    println!("Mean absolute error   {} a week", fitted.mean_absolute_error);
    println!();
    println!("How it was worked out:");
    for (index, step) in fitted.steps.iter().enumerate() {
        let number = format!("{:>3}. ", index + 1);
        println!("{}", wrap(&format!("{}. {}", step.title, step.detail), &number, 100));
    }
    if !fitted.furthest_off.is_empty() {
        println!();
        println!(
            "The {} cases furthest off (residual = actual − fitted):",
            fitted.furthest_off.len()
        );
        let rows = fitted
            .furthest_off
            .iter()
            .map(|case| {
                vec![
                    case.case.clone(),
                    case.points.to_string(),
                    case.actual.to_string(),
                    case.fitted.to_string(),
                    case.residual.to_string(),
                ]
            })
            .collect();
        let table = Table {
            header: vec!["case", "points", "actual", "fitted", "residual"],
            numeric: vec![false, true, true, true, true],
            rows,
        };
        table.print(output::Format::Table, &())?;
    }
    Ok(())
}
