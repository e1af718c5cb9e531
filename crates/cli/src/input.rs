//! Reading JSON Lines input (a file or standard input) into domain types, reporting the
//! first bad line as `line N: what is wrong`. Blank lines and lines starting with `#`
//! are skipped so files can carry comments. A UTF-8 byte-order mark at the start of a file
//! (which Excel and other Windows tools write) is skipped, in JSON Lines and CSV alike.

use std::io::{BufRead, BufReader, IsTerminal, Read};
use std::path::Path;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use serde::de::DeserializeOwned;

/// The byte-order mark some tools put at the start of a UTF-8 file.
const BYTE_ORDER_MARK: char = '\u{feff}';

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

/// The whole of a file, or of standard input for `-`.
pub fn read_text(path: &Path) -> anyhow::Result<String> {
    let (mut reader, _) = open(path)?;
    let mut text = String::new();
    reader.read_to_string(&mut text).with_context(|| format!("cannot read {}", path.display()))?;
    match text.strip_prefix(BYTE_ORDER_MARK) {
        Some(rest) => Ok(rest.to_owned()),
        None => Ok(text),
    }
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
        let line = if number == 1 { line.trim_start_matches(BYTE_ORDER_MARK) } else { &line };
        let text = line.trim();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        // The API's JSON reading, so a line and a request body get the same words: the
        // field at fault, and no Rust type names.
        let raw: Raw = onebudget_web::extract::parse_json(text.as_bytes()).map_err(|error| {
            let (_, _, message, _) = error.parts();
            anyhow::anyhow!("line {number}: {}", at_column(&message))
        })?;
        let record = parse(&raw).map_err(|e| anyhow::anyhow!("line {number}: {e}"))?;
        lines.records.push(record);
        lines.line_numbers.push(number);
    }
    bar.finish_and_clear();
    Ok(lines)
}

/// The API's message for one JSON Lines line: "(line 1, column 53)" becomes "at column
/// 53", since the line is already named, and is dropped when it names no place.
fn at_column(message: &str) -> String {
    let message = message.replace("the body is not valid JSON", "not valid JSON");
    let Some(start) = message.rfind(" (line ") else {
        return message;
    };
    let (text, place) = message.split_at(start);
    let column =
        place.rsplit_once("column ").and_then(|(_, c)| c.trim_end_matches(')').parse::<u64>().ok());
    match column {
        Some(column) if column > 0 => format!("{text} at column {column}"),
        _ => text.to_owned(),
    }
}
