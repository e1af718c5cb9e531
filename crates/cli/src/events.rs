//! The `events` commands: import a CSV file of social care events (CLD), hospital spells
//! (HES APC) or deaths, all or nothing, and print what was imported and what was already
//! held.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Subcommand, ValueEnum};
use onebudget_core::evidence::EventKind;
use onebudget_store::{ImportOptions, Store, parse_events_csv};

use crate::output::{Format, Table};

/// Activity events in the NHS's and councils' own shapes.
#[derive(Subcommand)]
pub enum EventsCommand {
    /// Import a CSV file with the specification's column names: CLD (LA_Code,
    /// NHS_Number, Event_Type, Event_Start_Date, …), HES APC (PROCODE3, NEWNHSNO,
    /// ADMIDATE, ADMIMETH, …) or deaths (NHS_Number, Date_of_Death). All or nothing: any
    /// bad row refuses the whole file, naming each error's line and column. Re-importing
    /// the same rows adds nothing. NHS numbers are pseudonymised with the deployment's
    /// secret (ONEBUDGET_PSEUDONYM_KEY or ONEBUDGET_PSEUDONYM_KEY_FILE) and never stored.
    Import {
        /// The CSV file (`-` for standard input).
        #[arg(long)]
        input: PathBuf,
        /// What the file holds; inferred from its header when not given.
        #[arg(long, value_enum)]
        kind: Option<KindArg>,
        /// Refuse the file if any row names a person this deployment does not hold.
        #[arg(long)]
        require_linked: bool,
        /// This deployment's council code: refuse social care rows with another LA_Code.
        #[arg(long, env = "ONEBUDGET_LA_CODE")]
        la_code: Option<String>,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum KindArg {
    SocialCare,
    Hospital,
    Deaths,
}

impl From<KindArg> for EventKind {
    fn from(kind: KindArg) -> EventKind {
        match kind {
            KindArg::SocialCare => EventKind::SocialCare,
            KindArg::Hospital => EventKind::Hospital,
            KindArg::Deaths => EventKind::Deaths,
        }
    }
}

pub fn run(store: &Store, command: EventsCommand) -> anyhow::Result<()> {
    match command {
        EventsCommand::Import { input, kind, require_linked, la_code, format } => {
            let bytes = if input.as_os_str() == "-" {
                let mut bytes = Vec::new();
                std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes)
                    .context("cannot read the events from standard input")?;
                bytes
            } else {
                std::fs::read(&input)
                    .with_context(|| format!("cannot read the events file {}", input.display()))?
            };
            let secret = store.pseudonym_secret().map_err(anyhow::Error::msg)?;
            let links = store.person_links(&secret)?;
            let options = ImportOptions { require_linked, la_code };
            let parsed =
                parse_events_csv(&bytes, kind.map(EventKind::from), &secret, &links, &options)
                    .map_err(|refused| {
                        anyhow::anyhow!("{}: {}", input.display(), refused.to_string().trim_end())
                    })?;
            let source = input.file_name().map_or_else(
                || "standard input".to_owned(),
                |name| name.to_string_lossy().into_owned(),
            );
            let audit = crate::access::operator_entry("import_events", "", "");
            let summary = store.import_events(&parsed, &links, &source, &audit)?;
            let table = Table {
                header: vec![
                    "kind",
                    "batch",
                    "rows",
                    "imported",
                    "already held",
                    "people",
                    "linked people",
                ],
                numeric: vec![false, true, true, true, true, true, true],
                rows: vec![vec![
                    summary.kind.as_str().to_owned(),
                    summary.batch_id.to_string(),
                    summary.rows_in_file.to_string(),
                    summary.imported.to_string(),
                    summary.already_held.to_string(),
                    summary.people.to_string(),
                    summary.linked_people.to_string(),
                ]],
            };
            table.print(format, &summary)?;
            if summary.file_already_imported && matches!(format, Format::Table) {
                println!(
                    "This file was imported before, as batch {}; nothing was added.",
                    summary.batch_id
                );
            }
            Ok(())
        }
    }
}
