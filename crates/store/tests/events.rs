//! Evidence events on SQLite and PostgreSQL from one body: a file is imported all or
//! nothing, with one batch and one audit row; re-importing the same rows or the same file
//! adds nothing; events link to the ledger's people by the keyed hash of their NHS number,
//! and the raw number never reaches the event tables.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use chrono::NaiveDate;
use onebudget_core::evidence::{EventKind, PseudonymSecret};
use onebudget_core::person::NhsNumber;
use onebudget_store::testing::raw_query;
use onebudget_store::{
    AuditEntry, AuditFilter, ImportOptions, OrganisationRecord, PersonRecord, Store, TeamRecord,
    backend_tests, parse_events_csv,
};

fn secret() -> PseudonymSecret {
    PseudonymSecret::from_bytes(&[9; 32]).unwrap()
}

fn nhs(serial: u32) -> String {
    (serial..).find_map(NhsNumber::synthetic).unwrap().compact()
}

fn audit() -> AuditEntry {
    AuditEntry {
        at: "2026-01-01T00:00:00Z".into(),
        actor: "analyst".into(),
        actor_user_id: None,
        role: Some("commissioner".into()),
        via: "command_line".into(),
        action: String::new(),
        person_code: None,
        target: String::new(),
        source: "command line".into(),
        outcome: "success".into(),
        detail: String::new(),
    }
}

/// A store holding one person, P-1, whose NHS number is `nhs(1)`.
fn fixture(url: &str) -> Store {
    let store = Store::open(url).unwrap();
    store
        .add_people(
            &[OrganisationRecord {
                code: "COUNCIL".into(),
                name: "Council".into(),
                kind: "council".into(),
            }],
            &[TeamRecord { code: "TEAM".into(), name: "Team".into() }],
            &[PersonRecord {
                code: "P-1".into(),
                given_name: "Ada".into(),
                family_name: "Lovelace".into(),
                nhs_number: nhs(1),
                birth_date: NaiveDate::from_ymd_opt(1940, 1, 1).unwrap(),
                team: "TEAM".into(),
                setting: "home".into(),
                funding: "council".into(),
            }],
        )
        .unwrap();
    store
}

const HEADER: &str = "LA_Code,NHS_Number,Client_Type,Event_Type,Event_Start_Date,Event_End_Date,Service_Type,Service_Component,Unit_Cost,Cost_Frequency_Unit_Type";

fn social_care_csv(rows: &[String]) -> String {
    let mut text = String::from(HEADER);
    for row in rows {
        text.push('\n');
        text.push_str(row);
    }
    text.push('\n');
    text
}

fn service(serial: u32, start: &str) -> String {
    format!(
        "E06000099,{},Service user,Service,{start},,Short term support: ST-Max,Reablement,250.00,Weekly",
        nhs(serial)
    )
}

fn import(
    store: &Store,
    csv: &str,
    options: &ImportOptions,
) -> Result<onebudget_store::ImportSummary, String> {
    let links = store.person_links(&secret()).unwrap();
    let parsed = parse_events_csv(csv.as_bytes(), None, &secret(), &links, options)
        .map_err(|refused| refused.to_string())?;
    Ok(store.import_events(&parsed, &links, "test.csv", &audit()).unwrap())
}

backend_tests! {
    /// A demo database keeps its own pseudonymisation secret; others hold none.
    fn a_demo_database_keeps_its_secret(url: &str) {
        let store = fixture(url);
        assert_eq!(store.demo_pseudonym_key().unwrap(), None);
        let hex = "0b".repeat(32);
        store.set_demo_pseudonym_key(&hex).unwrap();
        store.set_demo_pseudonym_key(&hex).unwrap();
        assert_eq!(store.demo_pseudonym_key().unwrap(), Some(hex));
    }

    /// Issue 17 §1: import is idempotent on re-import of the same rows.
    fn re_importing_the_same_rows_adds_nothing(url: &str) {
        let store = fixture(url);
        let first = social_care_csv(&[service(1, "2025-04-01"), service(2, "2025-04-02")]);
        let summary = import(&store, &first, &ImportOptions::default()).unwrap();
        assert_eq!((summary.kind, summary.imported, summary.already_held), (EventKind::SocialCare, 2, 0));
        assert_eq!((summary.people, summary.linked_people), (2, 1));
        assert!(!summary.file_already_imported);

        // The same file again: recognised by its SHA-256, nothing written, no new batch.
        let again = import(&store, &first, &ImportOptions::default()).unwrap();
        assert!(again.file_already_imported);
        assert_eq!((again.batch_id, again.imported, again.already_held), (summary.batch_id, 0, 2));

        // A different file holding one of the same events and one new one: the held one
        // is skipped (DHSC's unique event: a different cost is the same event).
        let overlapping = social_care_csv(&[
            service(2, "2025-04-02").replace("250.00", "260.00"),
            service(3, "2025-04-03"),
        ]);
        let summary = import(&store, &overlapping, &ImportOptions::default()).unwrap();
        assert_eq!((summary.imported, summary.already_held), (1, 1));
        let counts = store.event_counts().unwrap();
        assert_eq!((counts.social_care, counts.batches), (3, 2));
    }

    /// Issue 17, bad input: nothing from a refused file is written, and every error is
    /// named by line and column.
    fn a_file_with_any_bad_row_writes_nothing(url: &str) {
        let store = fixture(url);
        let csv = social_care_csv(&[
            service(1, "2025-04-01"),
            service(2, "2024-02-30"),
            service(3, "2025-04-03").replace("Reablement", "Carer Respite"),
        ]);
        let refused = import(&store, &csv, &ImportOptions::default()).unwrap_err();
        assert!(refused.contains("line 3: Event_Start_Date: there is no such date (got \"2024-02-30\")"), "{refused}");
        assert!(refused.contains("line 4: Service_Component: not a value"), "{refused}");
        assert_eq!(store.event_counts().unwrap(), Default::default());

        // Requiring links: person 2 is not held by this deployment.
        let csv = social_care_csv(&[service(1, "2025-04-01"), service(2, "2025-04-02")]);
        let options = ImportOptions { require_linked: true, la_code: Some("E06000099".into()) };
        let refused = import(&store, &csv, &options).unwrap_err();
        assert!(refused.contains("line 3: NHS_Number: no person this deployment holds"), "{refused}");
        assert!(!refused.contains("line 2:"), "{refused}");
        let other_council = ImportOptions { require_linked: false, la_code: Some("E06000001".into()) };
        let refused = import(&store, &csv, &other_council).unwrap_err();
        assert!(refused.contains("line 2: LA_Code: this event is another council's"), "{refused}");
        assert_eq!(store.event_counts().unwrap(), Default::default());
    }

    /// Issue 17 §1 and the house rules: an import is audited once per batch, people link
    /// to the ledger by key, and no NHS number reaches the event tables.
    fn an_import_is_audited_and_keeps_no_nhs_number(url: &str) {
        let store = fixture(url);
        let hospital = format!(
            "PROCODE3,NEWNHSNO,ADMIDATE,ADMIMETH,DISDATE,DISMETH,DISDEST\nRXX,{},2025-03-01,21,2025-03-08,1,19\nRXX,{},2025-03-02,11,,,\n",
            nhs(1),
            nhs(4)
        );
        let summary = import(&store, &hospital, &ImportOptions::default()).unwrap();
        assert_eq!((summary.kind, summary.imported, summary.people), (EventKind::Hospital, 2, 2));
        let deaths = format!("NHS_Number,Date_of_Death\n{},2025-06-01\n", nhs(1));
        assert_eq!(import(&store, &deaths, &ImportOptions::default()).unwrap().imported, 1);

        let rows = store
            .audit_search(&AuditFilter { action: Some("import_events".into()), ..AuditFilter::default() }, 10)
            .unwrap();
        assert_eq!(rows.len(), 2);
        assert!(rows.iter().any(|r| r.entry.target == format!("event import batch {}", summary.batch_id)
            && r.entry.detail.contains("2 events imported")
            && r.entry.detail.contains("for 2 people (1 held by this deployment)")), "{rows:?}");

        let linked = raw_query(url, "SELECT COUNT(*) AS n FROM hospital_spells WHERE person_code = 'P-1'").unwrap();
        assert!(linked.trim() == "1" || linked.contains(":1}"), "{linked}");
        for table in ["hospital_spells", "deaths", "event_import_batches"] {
            let dump = raw_query(url, &format!("SELECT * FROM {table}")).unwrap();
            assert!(!dump.is_empty(), "{table}");
            assert!(!dump.contains(&nhs(1)) && !dump.contains(&nhs(4)), "{table}: {dump}");
        }
    }
}
