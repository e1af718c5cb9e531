//! Printing reports as an aligned table, CSV or JSON.

use std::io::Write;

use clap::ValueEnum;
use serde::Serialize;

/// How a report is printed.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Format {
    /// Aligned columns for reading in a terminal.
    Table,
    /// Comma-separated values with a header row, for spreadsheets.
    Csv,
    /// JSON, for programs.
    Json,
}

/// Columns of a report: a header and rows of cells, with which columns are numbers (and
/// so right-aligned in a table).
pub struct Table {
    pub header: Vec<&'static str>,
    pub numeric: Vec<bool>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// The table as aligned columns, numbers right-aligned, one line a row.
    pub fn render(&self) -> String {
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        let line = |cells: &mut dyn Iterator<Item = &str>| -> String {
            let mut text = String::new();
            for (index, (cell, width)) in cells.zip(&widths).enumerate() {
                if index > 0 {
                    text.push_str("  ");
                }
                let pad = width.saturating_sub(cell.chars().count());
                if self.numeric.get(index).copied().unwrap_or(false) {
                    text.push_str(&" ".repeat(pad));
                    text.push_str(cell);
                } else {
                    text.push_str(cell);
                    text.push_str(&" ".repeat(pad));
                }
            }
            text.trim_end().to_owned()
        };
        let mut out = line(&mut self.header.iter().copied());
        out.push('\n');
        for row in &self.rows {
            out.push_str(&line(&mut row.iter().map(String::as_str)));
            out.push('\n');
        }
        out
    }

    pub fn print(&self, format: Format, json: &impl Serialize) -> anyhow::Result<()> {
        let stdout = std::io::stdout();
        let mut out = std::io::BufWriter::new(stdout.lock());
        match format {
            Format::Json => {
                serde_json::to_writer_pretty(&mut out, json)?;
                writeln!(out)?;
            }
            Format::Csv => {
                let mut writer = csv::Writer::from_writer(&mut out);
                writer.write_record(&self.header)?;
                for row in &self.rows {
                    writer.write_record(row)?;
                }
                writer.flush()?;
            }
            Format::Table => write!(out, "{}", self.render())?,
        }
        out.flush()?;
        Ok(())
    }
}
