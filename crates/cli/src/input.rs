//! Reading JSON Lines input (a file or standard input) into domain types, reporting the
//! first bad line as `line N: what is wrong`. Blank lines and lines starting with `#`
//! are skipped so files can carry comments.

use std::io::{BufRead, BufReader, IsTerminal, Read};
use std::path::Path;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use serde::de::DeserializeOwned;

/// Inputs at least this long get a progress bar (when standard error is a terminal).
const PROGRESS_FROM_LINES: u64 = 10_000;

/// Parsed records with the line number each came from.
pub struct Lines<T> {
    pub records: Vec<T>,
    pub line_numbers: Vec<usize>,
}

impl<T> Lines<T> {
    /// The line a record came from, for messages.
    pub fn line_of(&self, index: usize) -> usize {
        self.line_numbers.get(index).copied().unwrap_or(0)
    }
}

fn open(path: &Path) -> anyhow::Result<(Box<dyn Read>, Option<u64>)> {
    if path.as_os_str() == "-" {
        return Ok((Box::new(std::io::stdin()), None));
    }
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let size = file.metadata().ok().map(|m| m.len());
    Ok((Box::new(file), size))
}

/// A progress bar over `total` units, or a hidden one when the output is not a terminal
/// or the work is small.
pub fn progress(total: u64, what: &str, large: bool) -> ProgressBar {
    if !large || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    let style =
        ProgressStyle::with_template("{msg:>10} [{bar:40}] {pos}/{len} ({per_sec}, {eta} left)")
            .map(|s| s.progress_chars("=> "))
            .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar.set_message(what.to_owned());
    bar
}

/// Read JSON Lines from `path`, deserialise each line as `Raw` and parse it into `T`
/// with `parse`. Stops at the first bad line.
pub fn read_jsonl<Raw: DeserializeOwned, T, E: std::fmt::Display>(
    path: &Path,
    parse: impl Fn(&Raw) -> Result<T, E>,
) -> anyhow::Result<Lines<T>> {
    let (reader, size) = open(path)?;
    let reader = BufReader::with_capacity(1 << 20, reader);
    // Roughly 200 bytes a transfer line: enough to decide whether a bar is worth showing.
    let large = size.is_some_and(|s| s / 200 >= PROGRESS_FROM_LINES);
    let bar = progress(size.unwrap_or(0), "reading", large);
    let mut lines = Lines { records: Vec::new(), line_numbers: Vec::new() };
    for (index, line) in reader.lines().enumerate() {
        let number = index + 1;
        let line = line
            .with_context(|| format!("line {number}: cannot read it (is the file UTF-8 text?)"))?;
        bar.inc(u64::try_from(line.len()).unwrap_or(0).saturating_add(1));
        let text = line.trim();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        let raw: Raw = serde_json::from_str(text)
            .map_err(|e| anyhow::anyhow!("line {number}: {}", json_problem(&e)))?;
        let record = parse(&raw).map_err(|e| anyhow::anyhow!("line {number}: {e}"))?;
        lines.records.push(record);
        lines.line_numbers.push(number);
    }
    bar.finish_and_clear();
    Ok(lines)
}

/// A JSON error in words, without the line number (we give our own) but with the column.
fn json_problem(error: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let message = error.to_string();
    let message = message.split(" at line ").next().unwrap_or(&message).to_owned();
    match error.classify() {
        Category::Syntax | Category::Eof => {
            format!("not valid JSON at column {}: {message}", error.column())
        }
        Category::Data => message,
        Category::Io => format!("cannot read: {message}"),
    }
}
