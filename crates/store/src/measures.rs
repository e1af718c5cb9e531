//! Reading the stored events (migration 0011) into the columns the shared measures are
//! computed from ([`onebudget_core::evidence::metrics::engine::EventColumns`]). Only the
//! fields the metrics read are selected; nothing here identifies a person (the person key
//! is the keyed hash the events were stored under).

use chrono::NaiveDate;
use onebudget_core::evidence::codes::{
    ClientType, DeliveryMechanism, EventOutcome, EventType, PrimarySupportReason, ServiceComponent,
    ServiceType,
};
use onebudget_core::evidence::metrics::engine::EventColumns;
use onebudget_core::evidence::social_care::Birth;
use onebudget_core::evidence::{Death, HospitalSpell, PersonKey, SocialCareEvent};

use crate::backend::Row;
use crate::{Store, StoreError};

fn key(row: &dyn Row, index: usize) -> Result<PersonKey, StoreError> {
    let bytes = row.blob(index)?;
    <[u8; 32]>::try_from(bytes)
        .map(PersonKey::from_bytes)
        .map_err(|_| StoreError::Corrupt("a person key is not 32 bytes".into()))
}

/// A nullable date selected as `flag, COALESCE(date, other)`.
fn opt_date(row: &dyn Row, flag: usize) -> Result<Option<NaiveDate>, StoreError> {
    Ok(if row.int(flag)? == 1 { Some(row.date(flag + 1)?) } else { None })
}

fn code<T>(
    row: &dyn Row,
    index: usize,
    parse: fn(&str) -> Option<T>,
) -> Result<Option<T>, StoreError> {
    match row.opt_text(index)? {
        None => Ok(None),
        Some(text) => parse(&text).map(Some).ok_or_else(|| {
            StoreError::Corrupt(format!("an event holds the unknown code {text:?}"))
        }),
    }
}

impl Store {
    /// Every stored service event, hospital spell and death, in the engine's columns.
    pub fn event_columns(&self) -> Result<EventColumns, StoreError> {
        self.read(|conn| {
            let mut events = Vec::new();
            conn.query_each(
                "SELECT person_key, client_type, event_type, start_date, \
                 CAST(CASE WHEN end_date IS NULL THEN 0 ELSE 1 END AS BIGINT), COALESCE(end_date, start_date), \
                 outcome, service_type, service_component, delivery_mechanism, primary_support_reason, \
                 CAST(CASE WHEN date_of_birth IS NULL THEN 0 ELSE 1 END AS BIGINT), COALESCE(date_of_birth, start_date), \
                 age_at_start, \
                 CAST(CASE WHEN date_of_death IS NULL THEN 0 ELSE 1 END AS BIGINT), COALESCE(date_of_death, start_date), \
                 la_code \
                 FROM social_care_events WHERE event_type = 'Service' OR date_of_death IS NOT NULL",
                &[],
                &mut |row| {
                    let event_type = code(row, 2, EventType::from_spec)?.unwrap_or(EventType::Service);
                    let birth = match opt_date(row, 11)? {
                        Some(born) => Some(Birth::DateOfBirth(born)),
                        None => row.opt_int(13)?.and_then(|a| u8::try_from(a).ok()).map(Birth::AgeAtEventStart),
                    };
                    events.push(SocialCareEvent {
                        la_code: row.text(16)?,
                        person: key(row, 0)?,
                        la_person_id: None,
                        client_type: code(row, 1, ClientType::from_spec)?.unwrap_or(ClientType::ServiceUser),
                        event_type,
                        event_reference: None,
                        start: row.date(3)?,
                        end: opt_date(row, 4)?,
                        outcome: code(row, 6, EventOutcome::from_spec)?,
                        service_type: code(row, 7, ServiceType::from_spec)?,
                        service_component: code(row, 8, ServiceComponent::from_spec)?,
                        delivery_mechanism: code(row, 9, DeliveryMechanism::from_spec)?,
                        unit_cost: None,
                        cost_frequency: None,
                        planned_units_per_week: None,
                        funding_status: None,
                        primary_support_reason: code(row, 10, PrimarySupportReason::from_spec)?,
                        birth,
                        gender: None,
                        date_of_death: opt_date(row, 14)?,
                        provider_cqc_location_id: None,
                    });
                    Ok(())
                },
            )?;
            let mut spells = Vec::new();
            conn.query_each(
                "SELECT person_key, admission_date, admission_method, age_at_start, acsc, \
                 CAST(CASE WHEN discharge_ready_date IS NULL THEN 0 ELSE 1 END AS BIGINT), COALESCE(discharge_ready_date, admission_date), \
                 CAST(CASE WHEN discharge_date IS NULL THEN 0 ELSE 1 END AS BIGINT), COALESCE(discharge_date, admission_date), \
                 discharge_method, discharge_destination, provider \
                 FROM hospital_spells",
                &[],
                &mut |row| {
                    spells.push(HospitalSpell {
                        provider: row.text(11)?,
                        person: key(row, 0)?,
                        admission_date: row.date(1)?,
                        admission_method: row.text(2)?,
                        age_at_start: row.opt_int(3)?.and_then(|a| u8::try_from(a).ok()),
                        primary_diagnosis: None,
                        acsc: row.opt_int(4)?.map(|a| a != 0),
                        discharge_ready_date: opt_date(row, 5)?,
                        discharge_date: opt_date(row, 7)?,
                        discharge_method: row.opt_text(9)?,
                        discharge_destination: row.opt_text(10)?,
                    });
                    Ok(())
                },
            )?;
            let mut deaths = Vec::new();
            conn.query_each("SELECT person_key, date_of_death FROM deaths", &[], &mut |row| {
                deaths.push(Death { person: key(row, 0)?, date: row.date(1)? });
                Ok(())
            })?;
            Ok(EventColumns::build(&events, &spells, &deaths))
        })
    }
}
