//! Evidence events: reading a CSV file of social care events, hospital spells or deaths into
//! checked events ([`parse_events_csv`]), and writing one file's events all or nothing
//! ([`Store::import_events`]).
//!
//! A file is refused whole when any row is wrong: each error names the line and the
//! column (`line 3: Event_Start_Date: there is no such date (got "2024-02-30")`), every
//! error is listed up to [`MAX_ERRORS`], and nothing from the file is written.
//!
//! **Linked** means: the event's person key (HMAC-SHA256 of the NHS number under the
//! deployment's secret) equals the key of a person the deployment holds in `people`, whose
//! NHS number is hashed the same way at import; the event then records that person's code.
//! With [`ImportOptions::require_linked`] a row whose person is not held is refused; with
//! [`ImportOptions::la_code`] a social care row from another council is refused.
//!
//! Idempotence: each event's `event_key` is the first 16 bytes of SHA-256 of its unique
//! key (DHSC's unique-event definition for social care), unique in its table, so a row
//! already held is counted and skipped; the file's SHA-256 is kept in
//! `event_import_batches`, and a file imported before is not imported again.

use std::collections::{HashMap, HashSet};

use onebudget_core::evidence::{
    Death, EventKind, HospitalSpell, PersonKey, PseudonymSecret, Row as EventRow, SocialCareEvent,
};
use onebudget_core::field::FieldError;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::access::{AuditEntry, insert_audit};
use crate::backend::{Conn, Value};
use crate::{Store, StoreError, now_utc};

/// The most errors one refusal lists; the count of the rest is given.
pub const MAX_ERRORS: usize = 100;

/// The environment variable naming a file that holds the pseudonymisation secret.
pub const SECRET_FILE_ENV: &str = "ONEBUDGET_PSEUDONYM_KEY_FILE";

/// What an import should insist on beyond each row's own checks.
#[derive(Clone, Debug, Default)]
pub struct ImportOptions {
    /// Refuse a row whose person the deployment does not hold.
    pub require_linked: bool,
    /// The deployment's council code: refuse social care rows with another LA_Code.
    pub la_code: Option<String>,
}

/// One problem with a file: the line (1 is the header), the column, and what was wrong.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LineError {
    pub line: u64,
    /// The column's name, or empty for a problem with the whole line.
    pub column: String,
    pub message: String,
}

impl std::fmt::Display for LineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.column.is_empty() {
            write!(f, "line {}: {}", self.line, self.message)
        } else {
            write!(f, "line {}: {}: {}", self.line, self.column, self.message)
        }
    }
}

impl LineError {
    fn from_field(line: u64, error: FieldError) -> LineError {
        let message = format!("{} (got {})", error.problem, error.quoted_value());
        LineError { line, column: error.field, message }
    }
}

/// Why a file was refused: its errors (at most [`MAX_ERRORS`]) and how many there were.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FileRefused {
    pub errors: Vec<LineError>,
    pub total_errors: usize,
}

impl std::fmt::Display for FileRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "the file was refused and nothing from it was written:")?;
        for error in &self.errors {
            writeln!(f, "  {error}")?;
        }
        if self.total_errors > self.errors.len() {
            writeln!(f, "  … and {} more errors", self.total_errors - self.errors.len())?;
        }
        Ok(())
    }
}

/// One file's checked events (only one of the three lists is filled).
#[derive(Clone, Debug, Default)]
pub struct ParsedEvents {
    pub kind: Option<EventKind>,
    pub social_care: Vec<SocialCareEvent>,
    pub spells: Vec<HospitalSpell>,
    pub deaths: Vec<Death>,
    /// SHA-256 of the file's bytes, hex.
    pub file_sha256: String,
}

impl ParsedEvents {
    pub fn len(&self) -> usize {
        self.social_care.len() + self.spells.len() + self.deaths.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn people(&self) -> HashSet<PersonKey> {
        self.social_care
            .iter()
            .map(|e| e.person)
            .chain(self.spells.iter().map(|s| s.person))
            .chain(self.deaths.iter().map(|d| d.person))
            .collect()
    }
}

/// A CSV record read by column name through the header's positions.
struct CsvRow<'a> {
    positions: &'a HashMap<String, usize>,
    record: &'a csv::StringRecord,
}

impl EventRow for CsvRow<'_> {
    fn get(&self, column: &str) -> Option<&str> {
        self.positions.get(column).and_then(|&i| self.record.get(i))
    }
}

/// Read and check a CSV file of events. `kind` is inferred from the header when not
/// given. `links` holds the deployment's people by key (see [`Store::person_links`]).
pub fn parse_events_csv(
    bytes: &[u8],
    kind: Option<EventKind>,
    secret: &PseudonymSecret,
    links: &HashMap<PersonKey, String>,
    options: &ImportOptions,
) -> Result<ParsedEvents, FileRefused> {
    let mut errors: Vec<LineError> = Vec::new();
    let mut total_errors = 0_usize;
    let mut note = |errors: &mut Vec<LineError>, error: LineError| {
        total_errors += 1;
        if errors.len() < MAX_ERRORS {
            errors.push(error);
        }
    };
    let refuse = |errors: Vec<LineError>, total_errors: usize| FileRefused { errors, total_errors };

    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(false).from_reader(bytes);
    let header = match reader.headers() {
        Ok(header) => header.clone(),
        Err(error) => {
            return Err(refuse(
                vec![LineError { line: 1, column: String::new(), message: csv_problem(&error) }],
                1,
            ));
        }
    };
    let names: Vec<&str> = header.iter().map(str::trim).collect();
    let kind = match kind.or_else(|| EventKind::infer(&names)) {
        Some(kind) => kind,
        None => {
            return Err(refuse(
                vec![LineError {
                    line: 1,
                    column: String::new(),
                    message: format!(
                        "the header is not one onebudget knows: a social care (CLD) file needs \
                         the columns {}; a hospital (HES APC) file {}; a deaths file {}",
                        EventKind::SocialCare.required_columns().join(", "),
                        EventKind::Hospital.required_columns().join(", "),
                        EventKind::Deaths.required_columns().join(", ")
                    ),
                }],
                1,
            ));
        }
    };
    let mut positions = HashMap::new();
    for (index, name) in names.iter().enumerate() {
        if positions.insert((*name).to_owned(), index).is_some() {
            note(
                &mut errors,
                LineError {
                    line: 1,
                    column: (*name).to_owned(),
                    message: "this column is named twice in the header".into(),
                },
            );
        }
    }
    for column in kind.required_columns() {
        if !positions.contains_key(*column) {
            note(
                &mut errors,
                LineError {
                    line: 1,
                    column: (*column).to_owned(),
                    message: format!(
                        "a {} file must have this column (the header has {})",
                        kind.as_str(),
                        names.join(", ")
                    ),
                },
            );
        }
    }
    if !errors.is_empty() {
        return Err(refuse(errors, total_errors));
    }

    let mut parsed = ParsedEvents { kind: Some(kind), ..ParsedEvents::default() };
    let mut record = csv::StringRecord::new();
    loop {
        let line = reader.position().line();
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(error) => {
                let line = error.position().map_or(line, csv::Position::line);
                note(
                    &mut errors,
                    LineError { line, column: String::new(), message: csv_problem(&error) },
                );
                if matches!(error.kind(), csv::ErrorKind::Io(_)) {
                    break;
                }
                continue;
            }
        }
        let line = record.position().map_or(line, csv::Position::line);
        let row = CsvRow { positions: &positions, record: &record };
        let person = match kind {
            EventKind::SocialCare => match SocialCareEvent::from_row(&row, secret) {
                Ok(event) => {
                    if let Some(la_code) = &options.la_code
                        && &event.la_code != la_code
                    {
                        note(
                            &mut errors,
                            LineError {
                                line,
                                column: "LA_Code".into(),
                                message: format!(
                                    "this event is another council's: this deployment is {la_code} (got {:?})",
                                    event.la_code
                                ),
                            },
                        );
                    }
                    let person = event.person;
                    parsed.social_care.push(event);
                    Some((person, "NHS_Number"))
                }
                Err(problems) => {
                    problems
                        .into_iter()
                        .for_each(|p| note(&mut errors, LineError::from_field(line, p)));
                    None
                }
            },
            EventKind::Hospital => match HospitalSpell::from_row(&row, secret) {
                Ok(spell) => {
                    let person = spell.person;
                    parsed.spells.push(spell);
                    Some((person, "NEWNHSNO"))
                }
                Err(problems) => {
                    problems
                        .into_iter()
                        .for_each(|p| note(&mut errors, LineError::from_field(line, p)));
                    None
                }
            },
            EventKind::Deaths => match Death::from_row(&row, secret) {
                Ok(death) => {
                    parsed.deaths.push(death);
                    Some((death.person, "NHS_Number"))
                }
                Err(problems) => {
                    problems
                        .into_iter()
                        .for_each(|p| note(&mut errors, LineError::from_field(line, p)));
                    None
                }
            },
        };
        if options.require_linked
            && let Some((person, column)) = person
            && !links.contains_key(&person)
        {
            note(
                &mut errors,
                LineError {
                    line,
                    column: column.into(),
                    message: "no person this deployment holds has this NHS number, and the import \
                              asked for every person to be linked; add the person first or import \
                              without requiring links"
                        .into(),
                },
            );
        }
    }
    if total_errors > 0 {
        return Err(refuse(errors, total_errors));
    }
    parsed.file_sha256 = hex(&Sha256::digest(bytes));
    Ok(parsed)
}

fn csv_problem(error: &csv::Error) -> String {
    match error.kind() {
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => format!(
            "this line has {len} fields but the header has {expected_len}; check for a missing \
             or extra comma, or a value with a comma that is not in quotes"
        ),
        csv::ErrorKind::Utf8 { .. } => {
            "this line is not valid UTF-8 text; save the file as UTF-8 CSV".into()
        }
        _ => format!("the file cannot be read as CSV: {error}"),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The first 16 bytes of SHA-256 of an event's unique key.
fn event_key(unique_key: &str) -> [u8; 16] {
    let digest = Sha256::digest(unique_key.as_bytes());
    let mut key = [0_u8; 16];
    key.copy_from_slice(digest.get(..16).unwrap_or(&[0; 16]));
    key
}

/// What an import did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    pub kind: EventKind,
    /// The batch that holds this file (an earlier one when the file was imported before).
    pub batch_id: i64,
    pub rows_in_file: u64,
    pub imported: u64,
    pub already_held: u64,
    /// Distinct people the file names.
    pub people: u64,
    /// People the file names whom the deployment holds.
    pub linked_people: u64,
    /// True when this very file (same SHA-256) was imported before and nothing was done.
    pub file_already_imported: bool,
}

/// Counts of events held, by kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct EventCounts {
    pub social_care: u64,
    pub hospital: u64,
    pub deaths: u64,
    pub batches: u64,
}

impl Store {
    /// The deployment's people by person key: each person's NHS number hashed under
    /// `secret`, with their code. The numbers are read and hashed in memory; nothing is
    /// written.
    pub fn person_links(
        &self,
        secret: &PseudonymSecret,
    ) -> Result<HashMap<PersonKey, String>, StoreError> {
        let mut links = HashMap::new();
        self.read(|conn| {
            conn.query_each("SELECT code, nhs_number FROM people", &[], &mut |row| {
                let code = row.text(0)?;
                let number = row.text(1)?;
                if let Ok(number) = onebudget_core::person::NhsNumber::parse(&number) {
                    links.insert(secret.person_key(&number), code);
                }
                Ok(())
            })
        })?;
        Ok(links)
    }

    /// Write one file's events in one transaction, with its batch row and one audit row
    /// (action `import_events`, naming the batch and the number of people). `audit` gives
    /// who and from where; its action, target and detail are set here. Rows already held
    /// are skipped and counted; a file already imported is not imported again.
    pub fn import_events(
        &self,
        parsed: &ParsedEvents,
        links: &HashMap<PersonKey, String>,
        source: &str,
        audit: &AuditEntry,
    ) -> Result<ImportSummary, StoreError> {
        let kind = parsed.kind.ok_or_else(|| {
            StoreError::Corrupt("an event file was imported without a kind".into())
        })?;
        let people = parsed.people();
        let linked_people = people.iter().filter(|p| links.contains_key(*p)).count();
        let rows_in_file = parsed.len() as u64;
        let now = now_utc();
        self.write(|conn| {
            if let Some(batch_id) = conn.query_int(
                "SELECT id FROM event_import_batches WHERE kind = $1 AND file_sha256 = $2",
                &[Value::Text(kind.as_str()), Value::Text(&parsed.file_sha256)],
            )? {
                return Ok(ImportSummary {
                    kind,
                    batch_id,
                    rows_in_file,
                    imported: 0,
                    already_held: rows_in_file,
                    people: people.len() as u64,
                    linked_people: linked_people as u64,
                    file_already_imported: true,
                });
            }
            let batch_id = conn
                .query_int(
                    "INSERT INTO event_import_batches (kind, file_sha256, source, rows_in_file, \
                     imported, already_held, people, imported_by, imported_at) \
                     VALUES ($1, $2, $3, $4, 0, 0, $5, $6, $7) RETURNING id",
                    &[
                        Value::Text(kind.as_str()),
                        Value::Text(&parsed.file_sha256),
                        Value::Text(source),
                        Value::Int(i64::try_from(rows_in_file).unwrap_or(i64::MAX)),
                        Value::Int(i64::try_from(people.len()).unwrap_or(i64::MAX)),
                        Value::Text(&audit.actor),
                        Value::Text(&now),
                    ],
                )?
                .ok_or_else(|| StoreError::Corrupt("no batch id was returned".into()))?;
            let imported = match kind {
                EventKind::SocialCare => {
                    insert_social_care(conn, batch_id, &parsed.social_care, links)?
                }
                EventKind::Hospital => insert_spells(conn, batch_id, &parsed.spells, links)?,
                EventKind::Deaths => insert_deaths(conn, batch_id, &parsed.deaths, links)?,
            };
            let already_held = rows_in_file.saturating_sub(imported);
            conn.execute(
                "UPDATE event_import_batches SET imported = $1, already_held = $2 WHERE id = $3",
                &[
                    Value::Int(i64::try_from(imported).unwrap_or(i64::MAX)),
                    Value::Int(i64::try_from(already_held).unwrap_or(i64::MAX)),
                    Value::Int(batch_id),
                ],
            )?;
            let mut entry = audit.clone();
            entry.action = "import_events".into();
            entry.target = format!("event import batch {batch_id}");
            entry.detail = format!(
                "{} file {source}: {imported} events imported, {already_held} already held, \
                 for {} people ({linked_people} held by this deployment)",
                kind.as_str(),
                people.len()
            );
            insert_audit(conn, std::slice::from_ref(&entry))?;
            Ok(ImportSummary {
                kind,
                batch_id,
                rows_in_file,
                imported,
                already_held,
                people: people.len() as u64,
                linked_people: linked_people as u64,
                file_already_imported: false,
            })
        })
    }

    /// The demo database's own pseudonymisation secret, if `onebudget demo` made one.
    pub fn demo_pseudonym_key(&self) -> Result<Option<String>, StoreError> {
        self.read(|conn| {
            let mut found = None;
            conn.query_each(
                "SELECT key_hex FROM demo_pseudonym_key WHERE id = 1",
                &[],
                &mut |row| {
                    found = Some(row.text(0)?);
                    Ok(())
                },
            )?;
            Ok(found)
        })
    }

    /// Keep a demo database's pseudonymisation secret in it (the demo only).
    pub fn set_demo_pseudonym_key(&self, key_hex: &str) -> Result<(), StoreError> {
        self.write(|conn| {
            conn.execute(
                "INSERT INTO demo_pseudonym_key (id, key_hex) VALUES (1, $1) \
                 ON CONFLICT (id) DO UPDATE SET key_hex = excluded.key_hex",
                &[Value::Text(key_hex)],
            )?;
            Ok(())
        })
    }

    /// The deployment's pseudonymisation secret: `ONEBUDGET_PSEUDONYM_KEY` (hex), else the
    /// file named by `ONEBUDGET_PSEUDONYM_KEY_FILE` (hex), else the key a demo database
    /// keeps. `Err` says how to give one.
    pub fn pseudonym_secret(&self) -> Result<PseudonymSecret, String> {
        if let Ok(hex) = std::env::var(onebudget_core::evidence::key::SECRET_ENV) {
            return PseudonymSecret::from_hex(&hex).map_err(|e| e.to_string());
        }
        if let Ok(path) = std::env::var(SECRET_FILE_ENV) {
            let text = std::fs::read_to_string(&path).map_err(|e| {
                format!(
                    "{SECRET_FILE_ENV}: cannot read the pseudonymisation secret from {path}: {e}"
                )
            })?;
            return PseudonymSecret::from_hex(&text).map_err(|e| e.to_string());
        }
        match self.demo_pseudonym_key() {
            Ok(Some(hex)) => PseudonymSecret::from_hex(&hex).map_err(|e| e.to_string()),
            Ok(None) => Err(format!(
                "no pseudonymisation secret: set {} to 64 hex digits (`openssl rand -hex 32`), \
                 the same in every organisation whose extracts must link, or name a file \
                 holding it in {SECRET_FILE_ENV}",
                onebudget_core::evidence::key::SECRET_ENV
            )),
            Err(e) => Err(e.to_string()),
        }
    }

    /// How many events of each kind are held.
    pub fn event_counts(&self) -> Result<EventCounts, StoreError> {
        self.read(|conn| {
            let count = |conn: &mut dyn Conn, table: &str| -> Result<u64, StoreError> {
                let n = conn.query_int(&format!("SELECT COUNT(*) FROM {table}"), &[])?.unwrap_or(0);
                Ok(u64::try_from(n).unwrap_or(0))
            };
            Ok(EventCounts {
                social_care: count(conn, "social_care_events")?,
                hospital: count(conn, "hospital_spells")?,
                deaths: count(conn, "deaths")?,
                batches: count(conn, "event_import_batches")?,
            })
        })
    }
}

/// Insert `rows` in multi-row statements of `columns`, each row's values from `values`,
/// skipping rows whose event_key is already held; returns how many were inserted.
fn insert_rows<'a, T>(
    conn: &mut dyn Conn,
    table: &str,
    columns: &[&str],
    rows: &'a [T],
    values: &dyn Fn(&'a T, &mut Vec<Value<'a>>),
) -> Result<u64, StoreError> {
    let width = columns.len();
    let per_insert = conn.event_rows_per_insert().max(1);
    let sql_for = |count: usize| {
        let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
        for n in 0..count {
            if n > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            for column in 0..width {
                if column > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!("${}", n * width + column + 1));
            }
            sql.push(')');
        }
        sql.push_str(" ON CONFLICT (event_key) DO NOTHING");
        sql
    };
    let full = sql_for(per_insert);
    let mut inserted = 0;
    let mut params = Vec::with_capacity(per_insert * width);
    for chunk in rows.chunks(per_insert) {
        params.clear();
        for row in chunk {
            values(row, &mut params);
        }
        inserted += if chunk.len() == per_insert {
            conn.execute(&full, &params)?
        } else {
            conn.execute(&sql_for(chunk.len()), &params)?
        };
    }
    Ok(inserted)
}

/// An event with its computed key and link, ready to bind.
struct Keyed<'a, T> {
    event: &'a T,
    key: [u8; 16],
    person: [u8; 32],
    person_code: Option<&'a str>,
}

fn keyed<'a, T>(
    events: &'a [T],
    links: &'a HashMap<PersonKey, String>,
    unique: impl Fn(&T) -> String,
    person: impl Fn(&T) -> PersonKey,
) -> Vec<Keyed<'a, T>> {
    events
        .iter()
        .map(|event| {
            let key = person(event);
            Keyed {
                event,
                key: event_key(&unique(event)),
                person: *key.as_bytes(),
                person_code: links.get(&key).map(String::as_str),
            }
        })
        .collect()
}

const SOCIAL_CARE_COLUMNS: [&str; 25] = [
    "event_key",
    "batch_id",
    "la_code",
    "person_key",
    "person_code",
    "la_person_id",
    "client_type",
    "event_type",
    "event_reference",
    "start_date",
    "end_date",
    "outcome",
    "service_type",
    "service_component",
    "delivery_mechanism",
    "unit_cost_pence",
    "cost_frequency",
    "planned_units_hundredths",
    "funding_status",
    "primary_support_reason",
    "date_of_birth",
    "age_at_start",
    "gender",
    "date_of_death",
    "provider_cqc_location_id",
];

fn insert_social_care(
    conn: &mut dyn Conn,
    batch_id: i64,
    events: &[SocialCareEvent],
    links: &HashMap<PersonKey, String>,
) -> Result<u64, StoreError> {
    let rows = keyed(events, links, SocialCareEvent::unique_key, |e| e.person);
    insert_rows(conn, "social_care_events", &SOCIAL_CARE_COLUMNS, &rows, &|row, params| {
        let e = row.event;
        let (birth, age) = match e.birth {
            Some(onebudget_core::evidence::Birth::DateOfBirth(d)) => (Some(d), e.age_at_start()),
            Some(onebudget_core::evidence::Birth::AgeAtEventStart(a)) => (None, Some(a)),
            None => (None, None),
        };
        params.extend([
            Value::Blob(&row.key),
            Value::Int(batch_id),
            Value::Text(&e.la_code),
            Value::Blob(&row.person),
            Value::OptText(row.person_code),
            Value::OptText(e.la_person_id.as_deref()),
            Value::Text(e.client_type.as_str()),
            Value::Text(e.event_type.as_str()),
            Value::OptText(e.event_reference.as_deref()),
            Value::Date(e.start),
            Value::OptDate(e.end),
            Value::OptText(e.outcome.map(|o| o.as_str())),
            Value::OptText(e.service_type.map(|o| o.as_str())),
            Value::OptText(e.service_component.map(|o| o.as_str())),
            Value::OptText(e.delivery_mechanism.map(|o| o.as_str())),
            Value::OptInt(e.unit_cost.map(|m| m.pence())),
            Value::OptText(e.cost_frequency.map(|o| o.as_str())),
            Value::OptInt(e.planned_units_per_week.map(|u| i64::from(u.hundredths()))),
            Value::OptText(e.funding_status.map(|o| o.as_str())),
            Value::OptText(e.primary_support_reason.map(|o| o.as_str())),
            Value::OptDate(birth),
            Value::OptInt(age.map(i64::from)),
            Value::OptText(e.gender.map(|o| o.as_str())),
            Value::OptDate(e.date_of_death),
            Value::OptText(e.provider_cqc_location_id.as_deref()),
        ]);
    })
}

fn insert_spells(
    conn: &mut dyn Conn,
    batch_id: i64,
    spells: &[HospitalSpell],
    links: &HashMap<PersonKey, String>,
) -> Result<u64, StoreError> {
    let rows = keyed(spells, links, HospitalSpell::unique_key, |s| s.person);
    let columns = [
        "event_key",
        "batch_id",
        "provider",
        "person_key",
        "person_code",
        "admission_date",
        "admission_method",
        "age_at_start",
        "primary_diagnosis",
        "acsc",
        "discharge_ready_date",
        "discharge_date",
        "discharge_method",
        "discharge_destination",
    ];
    insert_rows(conn, "hospital_spells", &columns, &rows, &|row, params| {
        let s = row.event;
        params.extend([
            Value::Blob(&row.key),
            Value::Int(batch_id),
            Value::Text(&s.provider),
            Value::Blob(&row.person),
            Value::OptText(row.person_code),
            Value::Date(s.admission_date),
            Value::Text(&s.admission_method),
            Value::OptInt(s.age_at_start.map(i64::from)),
            Value::OptText(s.primary_diagnosis.as_deref()),
            Value::OptInt(s.acsc.map(i64::from)),
            Value::OptDate(s.discharge_ready_date),
            Value::OptDate(s.discharge_date),
            Value::OptText(s.discharge_method.as_deref()),
            Value::OptText(s.discharge_destination.as_deref()),
        ]);
    })
}

fn insert_deaths(
    conn: &mut dyn Conn,
    batch_id: i64,
    deaths: &[Death],
    links: &HashMap<PersonKey, String>,
) -> Result<u64, StoreError> {
    // One death per person: the key is the person's alone.
    let rows = keyed(deaths, links, |d| d.person.to_hex(), |d| d.person);
    let columns = ["event_key", "batch_id", "person_key", "person_code", "date_of_death"];
    insert_rows(conn, "deaths", &columns, &rows, &|row, params| {
        params.extend([
            Value::Blob(&row.key),
            Value::Int(batch_id),
            Value::Blob(&row.person),
            Value::OptText(row.person_code),
            Value::Date(row.event.date),
        ]);
    })
}
