//! One social care event in the shape of the Adult Social Care Client Level Data (CLD)
//! specification, Release 2: a request, assessment, service or review for one person, with
//! the specification's column names.
//!
//! [`SocialCareEvent::from_row`] checks one row given by column name and returns every
//! problem with it, each naming its column. Release 1 spellings are mapped to Release 2
//! (see [`super::codes`]).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::codes::{
    ClientFundingStatus, ClientType, CostFrequency, DeliveryMechanism, EventOutcome, EventType,
    Gender, PrimarySupportReason, ServiceComponent, ServiceType,
};
use super::key::{PersonKey, PseudonymSecret};
use super::{Row, UnitsPerWeek, age_on, optional, parse_cqc_location, parse_la_code, text_id};
use crate::field::{FieldError, parse_date};
use crate::money::Money;

/// The CLD column names this model reads (Release 1 and Release 2 use the same names).
pub mod columns {
    pub const LA_CODE: &str = "LA_Code";
    pub const NHS_NUMBER: &str = "NHS_Number";
    pub const LA_PERSON_ID: &str = "LA_Person_Unique_Identifier";
    pub const CLIENT_TYPE: &str = "Client_Type";
    pub const EVENT_TYPE: &str = "Event_Type";
    pub const EVENT_REFERENCE: &str = "Event_Reference";
    pub const EVENT_START_DATE: &str = "Event_Start_Date";
    pub const EVENT_END_DATE: &str = "Event_End_Date";
    pub const EVENT_OUTCOME: &str = "Event_Outcome";
    pub const SERVICE_TYPE: &str = "Service_Type";
    pub const SERVICE_COMPONENT: &str = "Service_Component";
    pub const DELIVERY_MECHANISM: &str = "Delivery_Mechanism";
    pub const UNIT_COST: &str = "Unit_Cost";
    pub const COST_FREQUENCY: &str = "Cost_Frequency_Unit_Type";
    pub const PLANNED_UNITS_PER_WEEK: &str = "Planned_units_per_week";
    pub const CLIENT_FUNDING_STATUS: &str = "Client_Funding_Status";
    pub const PRIMARY_SUPPORT_REASON: &str = "Primary_Support_Reason";
    pub const DATE_OF_BIRTH: &str = "Date_of_Birth";
    /// Not a CLD column: a file that holds the person's age at the event's start instead of
    /// their date of birth (as DHSC's derived `Der_Age_Event_Start`) may give it here.
    pub const AGE_AT_EVENT_START: &str = "Age_at_Event_Start";
    pub const GENDER: &str = "Gender";
    pub const DATE_OF_DEATH: &str = "Date_of_Death";
    pub const PROVIDER_CQC_LOCATION_ID: &str = "Provider_CQC_Location_ID";

    /// The columns a social care file must have (others may be blank in a row).
    pub const REQUIRED: [&str; 6] =
        [LA_CODE, NHS_NUMBER, CLIENT_TYPE, EVENT_TYPE, EVENT_START_DATE, EVENT_END_DATE];

    /// Every column this model reads; any other column in a file is ignored.
    pub const ALL: [&str; 22] = [
        LA_CODE,
        NHS_NUMBER,
        LA_PERSON_ID,
        CLIENT_TYPE,
        EVENT_TYPE,
        EVENT_REFERENCE,
        EVENT_START_DATE,
        EVENT_END_DATE,
        EVENT_OUTCOME,
        SERVICE_TYPE,
        SERVICE_COMPONENT,
        DELIVERY_MECHANISM,
        UNIT_COST,
        COST_FREQUENCY,
        PLANNED_UNITS_PER_WEEK,
        CLIENT_FUNDING_STATUS,
        PRIMARY_SUPPORT_REASON,
        DATE_OF_BIRTH,
        AGE_AT_EVENT_START,
        GENDER,
        DATE_OF_DEATH,
        PROVIDER_CQC_LOCATION_ID,
    ];
}

use columns as col;

/// How old the person was: their date of birth, or only their age when the event started.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Birth {
    DateOfBirth(NaiveDate),
    AgeAtEventStart(u8),
}

/// A social care event (CLD Release 2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SocialCareEvent {
    /// LA_Code: the council that submits the event.
    pub la_code: String,
    /// The pseudonymised NHS_Number.
    pub person: PersonKey,
    /// LA_Person_Unique_Identifier: the council's own id for the person, if given.
    pub la_person_id: Option<String>,
    pub client_type: ClientType,
    pub event_type: EventType,
    /// Event_Reference: the council's reference for the event, if given.
    pub event_reference: Option<String>,
    pub start: NaiveDate,
    /// None only for a service that is still open.
    pub end: Option<NaiveDate>,
    pub outcome: Option<EventOutcome>,
    /// Services only.
    pub service_type: Option<ServiceType>,
    pub service_component: Option<ServiceComponent>,
    pub delivery_mechanism: Option<DeliveryMechanism>,
    /// Unit_Cost: the planned gross cost of one unit, in pence.
    pub unit_cost: Option<Money>,
    pub cost_frequency: Option<CostFrequency>,
    pub planned_units_per_week: Option<UnitsPerWeek>,
    pub funding_status: Option<ClientFundingStatus>,
    pub primary_support_reason: Option<PrimarySupportReason>,
    pub birth: Option<Birth>,
    pub gender: Option<Gender>,
    /// Date_of_Death, from the person module, if the council recorded it.
    pub date_of_death: Option<NaiveDate>,
    pub provider_cqc_location_id: Option<String>,
}

impl SocialCareEvent {
    /// Check one row (read by CLD column name) and pseudonymise its NHS number with
    /// `secret`. Every problem is returned, each naming its column; the raw NHS number is
    /// not kept.
    pub fn from_row(
        row: &(impl Row + ?Sized),
        secret: &PseudonymSecret,
    ) -> Result<SocialCareEvent, Vec<FieldError>> {
        let mut errors = Vec::new();

        let la_code = keep(
            &mut errors,
            required(row, col::LA_CODE).and_then(|v| parse_la_code(col::LA_CODE, v)),
        );
        let person = keep(
            &mut errors,
            required(row, col::NHS_NUMBER)
                .and_then(|v| super::person_key(col::NHS_NUMBER, v, secret)),
        );
        let la_person_id = keep(
            &mut errors,
            optional(row, col::LA_PERSON_ID).map(|v| text_id(col::LA_PERSON_ID, v)).transpose(),
        )
        .flatten();
        let client_type = keep(
            &mut errors,
            required(row, col::CLIENT_TYPE).and_then(|v| ClientType::parse(col::CLIENT_TYPE, v)),
        );
        let event_type = keep(
            &mut errors,
            required(row, col::EVENT_TYPE).and_then(|v| EventType::parse(col::EVENT_TYPE, v)),
        );
        let event_reference = keep(
            &mut errors,
            optional(row, col::EVENT_REFERENCE)
                .map(|v| text_id(col::EVENT_REFERENCE, v))
                .transpose(),
        )
        .flatten();
        let start = keep(
            &mut errors,
            required(row, col::EVENT_START_DATE).and_then(|v| parse_date(col::EVENT_START_DATE, v)),
        );
        let end = keep(
            &mut errors,
            optional(row, col::EVENT_END_DATE)
                .map(|v| parse_date(col::EVENT_END_DATE, v))
                .transpose(),
        )
        .flatten();
        let outcome = keep(
            &mut errors,
            optional(row, col::EVENT_OUTCOME)
                .map(|v| EventOutcome::parse(col::EVENT_OUTCOME, v))
                .transpose(),
        )
        .flatten();
        let service_type = keep(
            &mut errors,
            optional(row, col::SERVICE_TYPE)
                .map(|v| ServiceType::parse(col::SERVICE_TYPE, v))
                .transpose(),
        )
        .flatten();
        let service_component = keep(
            &mut errors,
            optional(row, col::SERVICE_COMPONENT)
                .map(|v| ServiceComponent::parse(col::SERVICE_COMPONENT, v))
                .transpose(),
        )
        .flatten();
        let delivery_mechanism = keep(
            &mut errors,
            optional(row, col::DELIVERY_MECHANISM)
                .map(|v| DeliveryMechanism::parse(col::DELIVERY_MECHANISM, v))
                .transpose(),
        )
        .flatten();
        let unit_cost = keep(
            &mut errors,
            optional(row, col::UNIT_COST).map(|v| parse_unit_cost(col::UNIT_COST, v)).transpose(),
        )
        .flatten();
        let cost_frequency = keep(
            &mut errors,
            optional(row, col::COST_FREQUENCY)
                .map(|v| CostFrequency::parse(col::COST_FREQUENCY, v))
                .transpose(),
        )
        .flatten();
        let planned_units_per_week = keep(
            &mut errors,
            optional(row, col::PLANNED_UNITS_PER_WEEK)
                .map(|v| UnitsPerWeek::parse(col::PLANNED_UNITS_PER_WEEK, v))
                .transpose(),
        )
        .flatten();
        let funding_status = keep(
            &mut errors,
            optional(row, col::CLIENT_FUNDING_STATUS)
                .map(|v| ClientFundingStatus::parse(col::CLIENT_FUNDING_STATUS, v))
                .transpose(),
        )
        .flatten();
        let primary_support_reason = keep(
            &mut errors,
            optional(row, col::PRIMARY_SUPPORT_REASON)
                .map(|v| PrimarySupportReason::parse(col::PRIMARY_SUPPORT_REASON, v))
                .transpose(),
        )
        .flatten();
        let date_of_birth = keep(
            &mut errors,
            optional(row, col::DATE_OF_BIRTH)
                .map(|v| parse_date(col::DATE_OF_BIRTH, v))
                .transpose(),
        )
        .flatten();
        let age = keep(
            &mut errors,
            optional(row, col::AGE_AT_EVENT_START)
                .map(|v| parse_age(col::AGE_AT_EVENT_START, v))
                .transpose(),
        )
        .flatten();
        let gender = keep(
            &mut errors,
            optional(row, col::GENDER).map(|v| Gender::parse(col::GENDER, v)).transpose(),
        )
        .flatten();
        let date_of_death = keep(
            &mut errors,
            optional(row, col::DATE_OF_DEATH)
                .map(|v| parse_date(col::DATE_OF_DEATH, v))
                .transpose(),
        )
        .flatten();
        let provider_cqc_location_id = keep(
            &mut errors,
            optional(row, col::PROVIDER_CQC_LOCATION_ID)
                .map(|v| parse_cqc_location(col::PROVIDER_CQC_LOCATION_ID, v))
                .transpose(),
        )
        .flatten();

        // Rules across columns, checked only when the columns they compare are valid.
        if let (Some(start), Some(end)) = (start, end)
            && end < start
        {
            errors.push(FieldError::new(
                col::EVENT_END_DATE,
                &end.to_string(),
                format!("the event ends before it starts ({start}); check both dates"),
            ));
        }
        if let (Some(event_type), None, None) =
            (event_type, end, row.get(col::EVENT_END_DATE).filter(|v| !v.is_empty()))
            && event_type != EventType::Service
        {
            errors.push(FieldError::new(
                col::EVENT_END_DATE,
                "",
                format!(
                    "a {} must have an end date; only services may be open (CLD guidance: \
                     \"Service events are the only event type in CLD that can be open\")",
                    event_type.as_str().to_lowercase()
                ),
            ));
        }
        if event_type == Some(EventType::Service)
            && service_type.is_none()
            && optional(row, col::SERVICE_TYPE).is_none()
        {
            errors.push(FieldError::new(
                col::SERVICE_TYPE,
                "",
                "a service event must give its Service_Type",
            ));
        }
        if let Some(event_type) = event_type
            && event_type != EventType::Service
        {
            for (column, given) in [
                (col::SERVICE_TYPE, service_type.is_some()),
                (col::SERVICE_COMPONENT, service_component.is_some()),
                (col::UNIT_COST, unit_cost.is_some()),
            ] {
                if given {
                    errors.push(FieldError::new(
                        column,
                        optional(row, column).unwrap_or(""),
                        format!(
                            "only service events have this column; this is a {}",
                            event_type.as_str().to_lowercase()
                        ),
                    ));
                }
            }
        }
        if unit_cost.is_some()
            && cost_frequency.is_none()
            && optional(row, col::COST_FREQUENCY).is_none()
        {
            errors.push(FieldError::new(
                col::COST_FREQUENCY,
                "",
                "a unit cost needs its Cost_Frequency_Unit_Type (weekly, hourly, …) to mean anything",
            ));
        }
        if let Some(frequency) = cost_frequency
            && frequency.units_per_week().is_none()
            && frequency != CostFrequency::OneOff
            && planned_units_per_week.is_none()
            && optional(row, col::PLANNED_UNITS_PER_WEEK).is_none()
        {
            errors.push(FieldError::new(
                col::PLANNED_UNITS_PER_WEEK,
                "",
                format!(
                    "a {} cost needs Planned_units_per_week",
                    frequency.as_str().to_lowercase()
                ),
            ));
        }
        if let (Some(birth), Some(start)) = (date_of_birth, start)
            && birth > start
        {
            errors.push(FieldError::new(
                col::DATE_OF_BIRTH,
                &birth.to_string(),
                format!("the person is born after the event starts ({start}); check both dates"),
            ));
        }
        if let (Some(death), Some(start)) = (date_of_death, start)
            && death < start
        {
            errors.push(FieldError::new(
                col::DATE_OF_DEATH,
                &death.to_string(),
                format!("the person died before the event starts ({start}); check both dates"),
            ));
        }

        match (la_code, person, client_type, event_type, start) {
            (Some(la_code), Some(person), Some(client_type), Some(event_type), Some(start))
                if errors.is_empty() =>
            {
                let birth =
                    date_of_birth.map(Birth::DateOfBirth).or(age.map(Birth::AgeAtEventStart));
                Ok(SocialCareEvent {
                    la_code,
                    person,
                    la_person_id,
                    client_type,
                    event_type,
                    event_reference,
                    start,
                    end,
                    outcome,
                    service_type,
                    service_component,
                    delivery_mechanism,
                    unit_cost,
                    cost_frequency,
                    planned_units_per_week,
                    funding_status,
                    primary_support_reason,
                    birth,
                    gender,
                    date_of_death,
                    provider_cqc_location_id,
                })
            }
            _ => Err(errors),
        }
    }

    /// The person's age in whole years when the event started, if known.
    pub fn age_at_start(&self) -> Option<u8> {
        match self.birth? {
            Birth::DateOfBirth(birth) => age_on(birth, self.start),
            Birth::AgeAtEventStart(age) => Some(age),
        }
    }

    /// Whether this is a reablement episode: a service of type "Short term support: ST-Max"
    /// with component "Reablement" (DHSC-CLD `Create_ASCOF_2D.sql`, stage 1).
    pub fn is_reablement(&self) -> bool {
        self.event_type == EventType::Service
            && self.service_type == Some(ServiceType::ShortTermStMax)
            && self.service_component == Some(ServiceComponent::Reablement)
    }

    /// Whether this is a long-term residential or nursing care service (a care-home
    /// placement as ASCOF 2B/2C counts it: DHSC-CLD `Create_ASCOF_2B2C_2425_Onwards.sql`
    /// also drops components that say short-term).
    pub fn is_long_term_care_home(&self) -> bool {
        self.event_type == EventType::Service
            && self.service_type.is_some_and(ServiceType::is_care_home)
            && !matches!(
                self.service_component,
                Some(
                    ServiceComponent::ShortTermNursingCare
                        | ServiceComponent::ShortTermResidentialCare
                )
            )
    }

    /// The planned cost per week as DHSC works it out (DHSC-CLD `6.Costs_fact.sql`): the
    /// unit cost times the units per week the frequency implies, or for hourly, daily and
    /// per-session costs times Planned_units_per_week. `None` for a one-off cost or when
    /// the event has no cost. Rounded to the penny half away from zero.
    pub fn weekly_cost(&self) -> Option<Money> {
        let unit_cost = self.unit_cost?;
        let (numerator, denominator) = match self.cost_frequency? {
            CostFrequency::OneOff => return None,
            frequency => match frequency.units_per_week() {
                Some(fraction) => fraction,
                None => (i64::from(self.planned_units_per_week?.hundredths()), 100),
            },
        };
        unit_cost
            .mul_div(
                numerator,
                denominator,
                crate::money::Rounding::HalfAwayFromZero,
                "a weekly cost",
            )
            .ok()
    }

    /// DHSC's unique-event key (DHSC-CLD `Main_tables/docs/methodology/6-deduplication.md`
    /// and `create_GetDerivedFields_procedure.sql`, `Der_Unique_Event_Ref`): the same LA,
    /// person, start date, client type and event type, and for requests, assessments and
    /// reviews the same end date, for services the same service type and component. Route
    /// of access and assessment type, which DHSC also matches, are not held here.
    pub fn unique_key(&self) -> String {
        let end = if self.event_type == EventType::Service {
            String::new()
        } else {
            self.end.map(|d| d.to_string()).unwrap_or_default()
        };
        let (service_type, component) = if self.event_type == EventType::Service {
            (
                self.service_type.map_or("", ServiceType::as_str),
                self.service_component.map_or("", ServiceComponent::as_str),
            )
        } else {
            ("", "")
        };
        format!(
            "{}|{}|{}|{}|{}|{}|{}|{}",
            self.la_code,
            self.person,
            self.start,
            end,
            self.client_type.as_str(),
            self.event_type.as_str(),
            service_type,
            component
        )
    }
}

/// A mandatory column's value, or an error saying it is missing.
fn required<'r>(row: &'r (impl Row + ?Sized), column: &str) -> Result<&'r str, FieldError> {
    optional(row, column)
        .ok_or_else(|| FieldError::new(column, "", "this column is mandatory; give a value"))
}

/// A unit cost: pounds and pence, not negative.
fn parse_unit_cost(column: &str, value: &str) -> Result<Money, FieldError> {
    let money = Money::parse(value).map_err(|e| FieldError::new(column, value, e.problem))?;
    if money.pence() < 0 {
        return Err(FieldError::new(column, value, "a unit cost cannot be negative"));
    }
    Ok(money)
}

/// An age in whole years, 0 to 120.
fn parse_age(column: &str, value: &str) -> Result<u8, FieldError> {
    value.parse::<u8>().ok().filter(|age| *age <= 120).ok_or_else(|| {
        FieldError::new(column, value, "an age is a whole number of years from 0 to 120")
    })
}

/// The value, or `None` after noting its error.
fn keep<T>(errors: &mut Vec<FieldError>, result: Result<T, FieldError>) -> Option<T> {
    match result {
        Ok(value) => Some(value),
        Err(error) => {
            errors.push(error);
            None
        }
    }
}
