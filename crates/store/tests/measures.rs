//! The stored events read back into the shared measures' columns, on SQLite and on
//! PostgreSQL: every kind of event, with its optional dates present and absent.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use onebudget_core::evidence::PseudonymSecret;
use onebudget_core::evidence::metrics::engine::{self, NO_AGE, NO_DAY, OPEN, SERVICE_REABLEMENT};
use onebudget_core::person::NhsNumber;
use onebudget_store::{Store, backend_tests};

fn nhs(serial: u32) -> String {
    (serial..).find_map(NhsNumber::synthetic).unwrap().compact()
}

fn import(store: &Store, csv: &str) {
    let secret = PseudonymSecret::from_bytes(&[3; 32]).unwrap();
    onebudget_store::testing::import_events_csv(store, csv, &secret, "test.csv").unwrap();
}

fn day(text: &str) -> i32 {
    engine::day(chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap())
}

backend_tests! {
    fn stored_events_are_read_into_columns(url: &str) {
        let store = Store::open(url).unwrap();
        import(&store, &format!(
            "PROCODE3,NEWNHSNO,ADMIDATE,ADMIMETH,STARTAGE,DISREADYDATE,DISDATE,DISMETH\n\
             RXX,{},2025-04-01,21,80,2025-04-05,2025-04-07,1\n\
             RXX,{},2025-04-02,11,,,,\n",
            nhs(1), nhs(2)
        ));
        import(&store, &format!(
            "LA_Code,NHS_Number,Client_Type,Event_Type,Event_Start_Date,Event_End_Date,Service_Type,Service_Component,Date_of_Birth\n\
             E06000099,{},Service user,Service,2025-04-08,2025-05-01,Short term support: ST-Max,Reablement,1945-01-01\n\
             E06000099,{},Service user,Service,2025-04-08,,Long term support: Nursing care,,\n",
            nhs(1), nhs(3)
        ));
        import(&store, &format!("NHS_Number,Date_of_Death\n{},2025-06-01\n", nhs(3)));
        let columns = store.event_columns().unwrap();
        assert_eq!(columns.len(), 4);
        assert_eq!(columns.persons, 3);
        let mut spells: Vec<(i32, i32, i32, u8)> = (0..2)
            .map(|i| (columns.sp_admitted[i], columns.sp_ready[i], columns.sp_discharged[i], columns.sp_age[i]))
            .collect();
        spells.sort();
        assert_eq!(spells, [
            (day("2025-04-01"), day("2025-04-05"), day("2025-04-07"), 80),
            (day("2025-04-02"), NO_DAY, NO_DAY, NO_AGE),
        ]);
        let mut services: Vec<(i32, i32, i32, bool)> = (0..2)
            .map(|i| (columns.sc_start[i], columns.sc_end[i], columns.sc_birth[i], columns.sc_flags[i] & SERVICE_REABLEMENT != 0))
            .collect();
        services.sort();
        assert_eq!(services, [
            (day("2025-04-08"), day("2025-05-01"), day("1945-01-01"), true),
            (day("2025-04-08"), OPEN, NO_DAY, false),
        ]);
        assert_eq!(columns.death.iter().filter(|&&d| d == day("2025-06-01")).count(), 1);
    }
}
