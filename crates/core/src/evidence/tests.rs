//! Tests of the event model: rows checked column by column, and each derivation on a
//! hand-worked case.

use chrono::NaiveDate;

use super::derive::*;
use super::*;
use crate::money::Money;
use crate::person::NhsNumber;

fn secret() -> PseudonymSecret {
    PseudonymSecret::from_bytes(&[42; 32]).unwrap()
}

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

fn nhs(serial: u32) -> String {
    (serial..).find_map(NhsNumber::synthetic).unwrap().compact()
}

fn service_row(nhs_number: &str) -> Vec<(&'static str, String)> {
    vec![
        ("LA_Code", "E06000099".into()),
        ("NHS_Number", nhs_number.into()),
        ("LA_Person_Unique_Identifier", "P123".into()),
        ("Client_Type", "Service user".into()),
        ("Event_Type", "Service".into()),
        ("Event_Reference", "S-1".into()),
        ("Event_Start_Date", "2025-04-01".into()),
        ("Event_End_Date", "".into()),
        ("Event_Outcome", "".into()),
        ("Service_Type", "Long term support: Community".into()),
        ("Service_Component", "Home support or domiciliary care".into()),
        ("Delivery_Mechanism", "CASSR commissioned support".into()),
        ("Unit_Cost", "23.56".into()),
        ("Cost_Frequency_Unit_Type", "Hourly".into()),
        ("Planned_units_per_week", "10.5".into()),
        ("Client_Funding_Status", "Joint client and social care funded".into()),
        ("Primary_Support_Reason", "Physical Support: Personal care support".into()),
        ("Date_of_Birth", "1940-06-15".into()),
        ("Gender", "Female".into()),
        ("Provider_CQC_Location_ID", "1-101234567".into()),
    ]
}

fn parse(row: &[(&'static str, String)]) -> Result<SocialCareEvent, Vec<crate::field::FieldError>> {
    let borrowed: Vec<(&str, &str)> = row.iter().map(|(c, v)| (*c, v.as_str())).collect();
    SocialCareEvent::from_row(borrowed.as_slice(), &secret())
}

fn set(row: &mut [(&'static str, String)], column: &str, value: &str) {
    row.iter_mut().find(|(c, _)| *c == column).unwrap().1 = value.to_owned();
}

#[test]
fn a_release_2_service_row_becomes_an_event_without_its_nhs_number() {
    let number = nhs(10);
    let event = parse(&service_row(&number)).unwrap();
    assert_eq!(event.person, secret().person_key(&NhsNumber::parse(&number).unwrap()));
    assert_eq!(event.service_type, Some(ServiceType::LongTermCommunity));
    assert_eq!(event.end, None);
    assert_eq!(event.unit_cost, Some(Money::from_pence(2356)));
    assert_eq!(event.age_at_start(), Some(84), "born 15 June 1940, service from 1 April 2025");
    // £23.56 an hour × 10.5 hours = £247.38 a week.
    assert_eq!(event.weekly_cost(), Some(Money::from_pence(24738)));
    assert!(!format!("{event:?}").contains(&number));
    assert!(!serde_json::to_string(&event).unwrap().contains(&number));
}

#[test]
fn release_1_spellings_are_read_as_release_2() {
    let mut row = service_row(&nhs(10));
    set(&mut row, "Client_Type", "Service User");
    set(&mut row, "Service_Type", "Long Term Support: Nursing Care");
    set(&mut row, "Service_Component", "");
    set(&mut row, "Delivery_Mechanism", "CASSR Commissioned Support");
    set(&mut row, "Cost_Frequency_Unit_Type", "Weekly");
    set(&mut row, "Unit_Cost", "1185.55");
    let event = parse(&row).unwrap();
    assert_eq!(event.client_type.as_str(), "Service user");
    assert_eq!(event.service_type.unwrap().as_str(), "Long term support: Nursing care");
    assert_eq!(event.weekly_cost(), Some(Money::from_pence(118_555)));
    assert!(event.is_long_term_care_home());
}

#[test]
fn every_problem_in_a_row_is_reported_with_its_column() {
    let mut row = service_row("9434765918");
    set(&mut row, "Event_Start_Date", "2024-02-30");
    set(&mut row, "Service_Component", "Carer Respite");
    set(&mut row, "Client_Type", "");
    let errors = parse(&row).unwrap_err();
    let columns: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(columns, ["NHS_Number", "Client_Type", "Event_Start_Date", "Service_Component"]);
    let by = |c: &str| errors.iter().find(|e| e.field == c).unwrap().to_string();
    assert!(by("Event_Start_Date").contains("there is no such date"), "{}", by("Event_Start_Date"));
    assert!(by("NHS_Number").contains("check digit"), "{}", by("NHS_Number"));
    assert!(by("Client_Type").contains("mandatory"), "{}", by("Client_Type"));
    assert!(by("Service_Component").contains("\"Reablement\""), "{}", by("Service_Component"));
    assert!(!by("NHS_Number").contains("9434765918"), "the number is not repeated");
}

#[test]
fn an_end_before_a_start_and_an_open_assessment_are_refused() {
    let mut row = service_row(&nhs(10));
    set(&mut row, "Event_End_Date", "2025-03-31");
    let errors = parse(&row).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].field, "Event_End_Date");
    assert!(errors[0].problem.contains("ends before it starts (2025-04-01)"), "{}", errors[0]);

    let mut row = service_row(&nhs(10));
    set(&mut row, "Event_Type", "Assessment");
    for column in [
        "Service_Type",
        "Service_Component",
        "Unit_Cost",
        "Cost_Frequency_Unit_Type",
        "Planned_units_per_week",
        "Delivery_Mechanism",
        "Provider_CQC_Location_ID",
    ] {
        set(&mut row, column, "");
    }
    let errors = parse(&row).unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].field, "Event_End_Date");
    assert!(errors[0].problem.contains("only services may be open"), "{}", errors[0]);
    set(&mut row, "Event_End_Date", "2025-04-20");
    assert!(parse(&row).is_ok());
}

#[test]
fn costs_need_their_frequency_and_units() {
    let mut row = service_row(&nhs(10));
    set(&mut row, "Planned_units_per_week", "");
    let errors = parse(&row).unwrap_err();
    assert_eq!(errors[0].field, "Planned_units_per_week");
    set(&mut row, "Planned_units_per_week", "-3");
    assert_eq!(parse(&row).unwrap_err()[0].field, "Planned_units_per_week");
    set(&mut row, "Planned_units_per_week", "7");
    set(&mut row, "Cost_Frequency_Unit_Type", "");
    assert_eq!(parse(&row).unwrap_err()[0].field, "Cost_Frequency_Unit_Type");
    set(&mut row, "Cost_Frequency_Unit_Type", "Monthly");
    set(&mut row, "Unit_Cost", "520.00");
    // £520 a month × 12/52 = £120 a week.
    assert_eq!(parse(&row).unwrap().weekly_cost(), Some(Money::from_pence(12_000)));
    set(&mut row, "Unit_Cost", "-5");
    assert_eq!(parse(&row).unwrap_err()[0].field, "Unit_Cost");
}

#[test]
fn the_unique_key_follows_dhscs_definition() {
    let a = parse(&service_row(&nhs(10))).unwrap();
    let mut row = service_row(&nhs(10));
    set(&mut row, "Unit_Cost", "30.00");
    set(&mut row, "Event_Reference", "other");
    let b = parse(&row).unwrap();
    assert_eq!(a.unique_key(), b.unique_key(), "cost and reference are not part of it");
    set(&mut row, "Service_Component", "Equipment");
    let c = parse(&row).unwrap();
    assert_ne!(a.unique_key(), c.unique_key(), "the component is");
}

fn hospital_row(nhs_number: &str) -> Vec<(&'static str, String)> {
    vec![
        ("PROCODE3", "RXX".into()),
        ("NEWNHSNO", nhs_number.into()),
        ("ADMIDATE", "2025-05-01".into()),
        ("ADMIMETH", "21".into()),
        ("STARTAGE", "81".into()),
        ("DIAG_4_01", "J18.9".into()),
        ("ACSC", "Y".into()),
        ("DISREADYDATE", "2025-05-08".into()),
        ("DISDATE", "2025-05-11".into()),
        ("DISMETH", "1".into()),
        ("DISDEST", "19".into()),
    ]
}

fn parse_spell(
    row: &[(&'static str, String)],
) -> Result<HospitalSpell, Vec<crate::field::FieldError>> {
    let borrowed: Vec<(&str, &str)> = row.iter().map(|(c, v)| (*c, v.as_str())).collect();
    HospitalSpell::from_row(borrowed.as_slice(), &secret())
}

#[test]
fn a_spell_is_read_with_hes_names_and_its_codes_checked() {
    let spell = parse_spell(&hospital_row(&nhs(20))).unwrap();
    assert!(spell.is_emergency());
    assert_eq!(spell.primary_diagnosis.as_deref(), Some("J189"));
    assert_eq!(spell.length_of_stay(), Some(10));
    assert_eq!(spell.discharge_delay_days(), Some(3));
    assert!(spell.discharged_home());
    for method in ["2A", "2D", "28", "25"] {
        let mut row = hospital_row(&nhs(20));
        set(&mut row, "ADMIMETH", method);
        assert!(parse_spell(&row).unwrap().is_emergency(), "{method}");
    }
    let mut row = hospital_row(&nhs(20));
    set(&mut row, "ADMIMETH", "11");
    set(&mut row, "DISDEST", "54");
    let spell = parse_spell(&row).unwrap();
    assert!(!spell.is_emergency());
    assert!(spell.discharged_to_care_home());

    let mut row = hospital_row(&nhs(20));
    set(&mut row, "ADMIMETH", "26");
    set(&mut row, "DISDEST", "20");
    set(&mut row, "DISDATE", "2025-04-30");
    let errors = parse_spell(&row).unwrap_err();
    let columns: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(columns, ["ADMIMETH", "DISDEST", "DISDATE", "DISREADYDATE"]);
    assert!(errors[0].problem.contains("2A"), "{}", errors[0]);
}

#[test]
fn a_deaths_row_needs_both_columns() {
    let row = [("NHS_Number", nhs(5)), ("Date_of_Death", "2025-13-01".to_owned())];
    let borrowed: Vec<(&str, &str)> = row.iter().map(|(c, v)| (*c, v.as_str())).collect();
    let errors = Death::from_row(borrowed.as_slice(), &secret()).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].field, "Date_of_Death");
}

#[test]
fn the_kind_of_file_is_inferred_from_its_header() {
    let cld = [
        "LA_Code",
        "NHS_Number",
        "Client_Type",
        "Event_Type",
        "Event_Start_Date",
        "Event_End_Date",
        "Service_Type",
    ];
    assert_eq!(EventKind::infer(&cld), Some(EventKind::SocialCare));
    assert_eq!(
        EventKind::infer(&["PROCODE3", "NEWNHSNO", "ADMIDATE", "ADMIMETH"]),
        Some(EventKind::Hospital)
    );
    assert_eq!(EventKind::infer(&["NHS_Number", "Date_of_Death"]), Some(EventKind::Deaths));
    assert_eq!(EventKind::infer(&["NHS_Number", "Event_Date"]), None);
}

// Hand-worked derivations. One person, P; spells and events by date.

fn key(serial: u32) -> PersonKey {
    secret().person_key(&NhsNumber::parse(&nhs(serial)).unwrap())
}

fn spell(
    person: PersonKey,
    admitted: &str,
    method: &str,
    discharged: Option<&str>,
) -> HospitalSpell {
    HospitalSpell {
        provider: "RXX".into(),
        person,
        admission_date: date(admitted),
        admission_method: method.into(),
        age_at_start: Some(80),
        primary_diagnosis: None,
        acsc: None,
        discharge_ready_date: None,
        discharge_date: discharged.map(date),
        discharge_method: discharged.map(|_| "1".into()),
        discharge_destination: discharged.map(|_| "19".into()),
    }
}

fn service(
    person: PersonKey,
    service_type: ServiceType,
    component: Option<ServiceComponent>,
    start: &str,
    end: Option<&str>,
) -> SocialCareEvent {
    SocialCareEvent {
        la_code: "E06000099".into(),
        person,
        la_person_id: None,
        client_type: ClientType::ServiceUser,
        event_type: EventType::Service,
        event_reference: None,
        start: date(start),
        end: end.map(date),
        outcome: None,
        service_type: Some(service_type),
        service_component: component,
        delivery_mechanism: None,
        unit_cost: None,
        cost_frequency: None,
        planned_units_per_week: None,
        funding_status: None,
        primary_support_reason: None,
        birth: Some(Birth::DateOfBirth(date("1940-01-01"))),
        gender: None,
        date_of_death: None,
        provider_cqc_location_id: None,
    }
}

#[test]
fn readmissions_are_emergencies_0_to_29_days_after_the_last_discharge() {
    let p = key(1);
    let q = key(2);
    let spells = vec![
        spell(p, "2025-01-01", "21", Some("2025-01-10")), // 0: first
        spell(p, "2025-02-08", "21", Some("2025-02-12")), // 1: 29 days after 10 Jan: counts
        spell(p, "2025-03-14", "22", Some("2025-03-20")), // 2: 30 days after 12 Feb: does not
        spell(p, "2025-03-20", "11", Some("2025-03-21")), // 3: elective, same day: not a readmission
        spell(p, "2025-03-21", "2A", None),               // 4: 0 days after 21 Mar: counts
        spell(q, "2025-01-15", "21", Some("2025-01-16")), // 5: another person's discharge
    ];
    let found = readmissions_within_30_days(&spells);
    assert_eq!(
        found,
        vec![
            Readmission { spell: 1, previous: 0, days: 29 },
            Readmission { spell: 4, previous: 3, days: 0 },
        ]
    );
}

#[test]
fn reablement_episodes_cluster_services_at_most_7_days_apart() {
    let p = key(1);
    let st = ServiceType::ShortTermStMax;
    let re = Some(ServiceComponent::Reablement);
    let events = vec![
        service(p, st, re, "2025-01-01", Some("2025-01-10")),
        service(p, st, re, "2025-01-17", Some("2025-01-31")), // 7 days after: same episode
        service(p, st, re, "2025-02-08", Some("2025-02-20")), // 8 days after: a new one
        service(p, st, Some(ServiceComponent::Equipment), "2025-02-01", None), // not reablement
    ];
    let episodes = reablement_episodes(&events);
    assert_eq!(episodes.len(), 2);
    assert_eq!(
        (episodes[0].start, episodes[0].end),
        (date("2025-01-01"), Some(date("2025-01-31")))
    );
    assert_eq!(episodes[0].events, vec![0, 1]);
    assert_eq!(episodes[1].start, date("2025-02-08"));
}

#[test]
fn reablement_outcomes_link_the_latest_discharge_and_follow_up_91_days() {
    let st = ServiceType::ShortTermStMax;
    let re = Some(ServiceComponent::Reablement);
    // A: discharged 1 Mar, reablement from 3 Mar; nothing follows: still at home.
    // B: discharged 1 Mar (and earlier 20 Feb), reablement from 5 Mar; emergency
    //    readmission on 31 May = discharge + 91 days: not at home. The later discharge links.
    // C: discharged 10 Mar, reablement from 5 Mar (3 days after would be 8 Mar): no link.
    // D: discharged 1 Mar, reablement 2 Mar; residential care from 1 Jun (discharge + 92):
    //    still at home at 91 days; dies 1 Apr in a deaths file: not at home.
    // E: discharged 1 Mar, reablement 2 Mar; nursing care from 31 May: not at home.
    let (a, b, c, d, e) = (key(1), key(2), key(3), key(4), key(5));
    let spells = vec![
        spell(a, "2025-02-20", "21", Some("2025-03-01")),
        spell(b, "2025-02-10", "21", Some("2025-02-20")),
        spell(b, "2025-02-25", "21", Some("2025-03-01")),
        spell(b, "2025-05-31", "21", Some("2025-06-02")),
        spell(c, "2025-03-01", "21", Some("2025-03-10")),
        spell(d, "2025-02-25", "21", Some("2025-03-01")),
        spell(e, "2025-02-25", "21", Some("2025-03-01")),
    ];
    let events = vec![
        service(a, st, re, "2025-03-03", Some("2025-04-10")),
        service(b, st, re, "2025-03-05", Some("2025-04-10")),
        service(c, st, re, "2025-03-05", Some("2025-04-10")),
        service(d, st, re, "2025-03-02", Some("2025-04-10")),
        service(d, ServiceType::LongTermResidential, None, "2025-06-01", None),
        service(e, st, re, "2025-03-02", Some("2025-04-10")),
        service(e, ServiceType::LongTermNursing, None, "2025-05-31", None),
    ];
    let deaths = vec![Death { person: d, date: date("2025-04-01") }];
    let outcomes = reablement_outcomes(&events, &spells, &[], SALT_FOLLOW_UP_DAYS);
    let of = |p: PersonKey| outcomes.iter().find(|o| o.episode.person == p);
    assert_eq!(outcomes.len(), 4, "C's discharge is too late to link");
    assert!(of(c).is_none());
    assert!(of(a).unwrap().still_at_home());
    let ob = of(b).unwrap();
    assert_eq!((ob.spell, ob.discharge_date), (2, date("2025-03-01")));
    assert!(ob.readmitted && !ob.still_at_home());
    assert!(of(d).unwrap().still_at_home(), "care home from day 92 is outside 91 days");
    assert!(of(e).unwrap().moved_to_care_home && !of(e).unwrap().still_at_home());

    let with_death = reablement_outcomes(&events, &spells, &deaths, SALT_FOLLOW_UP_DAYS);
    let od = with_death.iter().find(|o| o.episode.person == d).unwrap();
    assert!(od.died && !od.still_at_home());

    // ASCOF 2D's 84 days: B's readmission on day 91 no longer counts.
    let twelve_weeks = reablement_outcomes(&events, &spells, &[], ASCOF_2D_FOLLOW_UP_DAYS);
    assert!(twelve_weeks.iter().find(|o| o.episode.person == b).unwrap().still_at_home());
}

#[test]
fn a_care_home_move_is_new_only_without_a_placement_in_the_previous_365_days() {
    let (p, q, r) = (key(1), key(2), key(3));
    let res = ServiceType::LongTermResidential;
    let events = vec![
        service(p, res, None, "2024-01-01", Some("2024-06-30")), // 0: new
        service(p, ServiceType::LongTermNursing, None, "2025-06-29", None), // 1: 364 days after: not new
        service(q, res, None, "2023-01-01", Some("2024-03-01")),            // 2: new
        service(q, res, None, "2025-03-01", None), // 3: 365 days after: new
        service(
            r,
            res,
            Some(ServiceComponent::ShortTermResidentialCare),
            "2025-01-01",
            Some("2025-01-14"),
        ), // 4: short-term: not a placement
        service(r, res, None, "2025-02-01", None), // 5: new
        service(r, ServiceType::LongTermCommunity, None, "2024-01-01", None), // 6: not a care home
    ];
    let moves: Vec<usize> = care_home_moves(&events).iter().map(|m| m.event).collect();
    assert_eq!(moves, vec![2, 0, 5, 3], "in order of start");
    assert_eq!(care_home_moves(&events)[1].age, Some(84));
}

#[test]
fn units_per_week_and_ages_parse_exactly() {
    assert_eq!(UnitsPerWeek::parse("c", "10.5").unwrap().hundredths(), 1050);
    assert_eq!(UnitsPerWeek::parse("c", "7").unwrap().to_string(), "7.00");
    for bad in ["", "1.234", "-1", "1.", ".5", "x"] {
        assert!(UnitsPerWeek::parse("c", bad).is_err(), "{bad}");
    }
    assert_eq!(age_on(date("1940-02-29"), date("2025-02-28")), Some(84));
    assert_eq!(age_on(date("1940-02-29"), date("2025-03-01")), Some(85));
    assert_eq!(age_on(date("2025-01-02"), date("2025-01-01")), None);
}
