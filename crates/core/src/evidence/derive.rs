//! What the events imply, derived by pure functions rather than imported: emergency
//! readmissions within 30 days, each reablement episode's outcome after a hospital
//! discharge, and new moves into care homes.
//!
//! Each rule cites the published definition it follows.

use std::collections::HashMap;

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

use super::hospital::{Death, HospitalSpell};
use super::key::PersonKey;
use super::social_care::SocialCareEvent;

/// The follow-up of SALT STS004 / ASCOF 2B(1): still at home 91 days after discharge (NHS
/// Digital, SALT guidance 2021-22, STS004).
pub const SALT_FOLLOW_UP_DAYS: u64 = 91;

/// The follow-up of ASCOF 2D from 2024-25: 12 weeks, 84 days (DHSC-CLD
/// `Create_ASCOF_2D.sql`, stage 4: `DATEADD(DAY, 84, A.Discharge_Date)`).
pub const ASCOF_2D_FOLLOW_UP_DAYS: u64 = 84;

/// Reablement services less than or equal to this many days apart are one episode (DHSC-CLD
/// `Create_ASCOF_2D.sql`, stage 1: `DATEDIFF(DAY, Previous_End_Date, Event_Start_Date) <= 7`).
pub const REABLEMENT_CLUSTER_GAP_DAYS: i64 = 7;

/// A discharge links to a reablement episode when it falls from this many days before the
/// episode starts… (DHSC-CLD `Create_ASCOF_2D.sql`, stage 3: "Hospital discharge date can
/// occur up to 7 days prior to reablement starting and up to 3 days after.")
pub const LINK_DAYS_BEFORE: u64 = 7;
/// …to this many days after.
pub const LINK_DAYS_AFTER: u64 = 3;

/// A readmission counts when it is 0 to 29 days after the previous discharge (NHS Digital
/// indicator I02040: "emergency admissions within 0-29 days (inclusive) of the last,
/// previous discharge from hospital").
pub const READMISSION_DAYS: i64 = 29;

/// A care-home placement is new when no earlier placement ended less than this many days
/// before it (DHSC-CLD `Create_ASCOF_2B2C_2425_Onwards.sql`: `DATEDIFF(DAY,
/// b.Der_Event_End_Date, a.Event_Start_Date) < 365 OR b.Der_Event_End_Date IS NULL`).
pub const NEW_PLACEMENT_DAYS: i64 = 365;

/// An emergency admission within 30 days of the same person's previous discharge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Readmission {
    /// The readmission's index in the spells given.
    pub spell: usize,
    /// The index of the spell whose discharge it follows.
    pub previous: usize,
    /// Days from that discharge to the readmission, 0 to 29.
    pub days: i64,
}

/// The emergency readmissions among `spells`: each emergency admission that starts 0 to 29
/// days after the same person's last previous discharge (alive) from another spell.
pub fn readmissions_within_30_days(spells: &[HospitalSpell]) -> Vec<Readmission> {
    let mut by_person: HashMap<PersonKey, Vec<usize>> = HashMap::new();
    for (index, spell) in spells.iter().enumerate() {
        by_person.entry(spell.person).or_default().push(index);
    }
    let mut found = Vec::new();
    for indexes in by_person.values() {
        for &index in indexes {
            let Some(spell) = spells.get(index) else { continue };
            if !spell.is_emergency() {
                continue;
            }
            // The last discharge on or before this admission, from another spell.
            let previous = indexes
                .iter()
                .filter(|&&other| other != index)
                .filter_map(|&other| {
                    let earlier = spells.get(other)?;
                    let discharged = earlier.discharge_date?;
                    (discharged <= spell.admission_date
                        && earlier.admission_date <= spell.admission_date
                        && !earlier.died_in_hospital())
                    .then_some((discharged, other))
                })
                .max();
            if let Some((discharged, other)) = previous {
                let days = (spell.admission_date - discharged).num_days();
                if (0..=READMISSION_DAYS).contains(&days) {
                    found.push(Readmission { spell: index, previous: other, days });
                }
            }
        }
    }
    found.sort_by_key(|r| r.spell);
    found
}

/// A reablement episode: one person's reablement services clustered together.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReablementEpisode {
    pub person: PersonKey,
    pub start: NaiveDate,
    /// None while a service in it is open.
    pub end: Option<NaiveDate>,
    /// Indexes of its services in the events given.
    pub events: Vec<usize>,
}

/// The reablement episodes among `events`: reablement services (ST-Max, component
/// Reablement) of one person that overlap or are at most 7 days apart form one episode.
pub fn reablement_episodes(events: &[SocialCareEvent]) -> Vec<ReablementEpisode> {
    let mut by_person: HashMap<PersonKey, Vec<usize>> = HashMap::new();
    for (index, event) in events.iter().enumerate() {
        if event.is_reablement() {
            by_person.entry(event.person).or_default().push(index);
        }
    }
    let mut episodes = Vec::new();
    for (person, mut indexes) in by_person {
        indexes.sort_by_key(|&i| events.get(i).map(|e| (e.start, e.end.unwrap_or(NaiveDate::MAX))));
        let mut current: Option<ReablementEpisode> = None;
        for index in indexes {
            let Some(event) = events.get(index) else { continue };
            let end = event.end.unwrap_or(NaiveDate::MAX);
            match current.as_mut() {
                Some(episode)
                    if (event.start - episode.end.unwrap_or(NaiveDate::MAX)).num_days()
                        <= REABLEMENT_CLUSTER_GAP_DAYS =>
                {
                    let latest = episode.end.unwrap_or(NaiveDate::MAX).max(end);
                    episode.end = (latest != NaiveDate::MAX).then_some(latest);
                    episode.events.push(index);
                }
                _ => {
                    episodes.extend(current.take());
                    current = Some(ReablementEpisode {
                        person,
                        start: event.start,
                        end: event.end,
                        events: vec![index],
                    });
                }
            }
        }
        episodes.extend(current);
    }
    episodes.sort_by_key(|e| (e.start, e.person));
    episodes
}

/// What happened to a person discharged from hospital into reablement, within the
/// follow-up.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReablementOutcome {
    pub episode: ReablementEpisode,
    /// The index of the linked spell in the spells given.
    pub spell: usize,
    pub discharge_date: NaiveDate,
    pub died: bool,
    pub readmitted: bool,
    pub moved_to_care_home: bool,
}

impl ReablementOutcome {
    /// Still at home: none of death, emergency readmission or a long-term care-home
    /// placement within the follow-up.
    pub fn still_at_home(&self) -> bool {
        !(self.died || self.readmitted || self.moved_to_care_home)
    }
}

/// Each reablement episode that follows a hospital discharge, with its outcome after
/// `follow_up_days` ([`SALT_FOLLOW_UP_DAYS`] or [`ASCOF_2D_FOLLOW_UP_DAYS`]), as DHSC's
/// ASCOF 2D code works it out (DHSC-CLD `Create_ASCOF_2D.sql`, stages 3 and 4):
/// - the linked discharge is the latest of the person's discharges from 7 days before to 3
///   days after the episode starts, from a spell admitted on or before the episode's start;
/// - died: a death on or after the discharge and within the follow-up (from `deaths` or a
///   CLD Date_of_Death);
/// - readmitted: an emergency admission after the episode's start and after the discharge,
///   within the follow-up;
/// - moved to a care home: a long-term residential or nursing service starting on or after
///   the discharge, within the follow-up.
///
/// Episodes no discharge links to are left out.
pub fn reablement_outcomes(
    events: &[SocialCareEvent],
    spells: &[HospitalSpell],
    deaths: &[Death],
    follow_up_days: u64,
) -> Vec<ReablementOutcome> {
    let mut spells_by_person: HashMap<PersonKey, Vec<usize>> = HashMap::new();
    for (index, spell) in spells.iter().enumerate() {
        spells_by_person.entry(spell.person).or_default().push(index);
    }
    let mut death_by_person: HashMap<PersonKey, NaiveDate> = HashMap::new();
    let recorded = deaths
        .iter()
        .map(|d| (d.person, d.date))
        .chain(events.iter().filter_map(|e| Some((e.person, e.date_of_death?))));
    for (person, date) in recorded {
        death_by_person.entry(person).and_modify(|d| *d = (*d).min(date)).or_insert(date);
    }
    let mut care_homes_by_person: HashMap<PersonKey, Vec<NaiveDate>> = HashMap::new();
    for event in events.iter().filter(|e| e.is_long_term_care_home()) {
        care_homes_by_person.entry(event.person).or_default().push(event.start);
    }

    let mut outcomes = Vec::new();
    for episode in reablement_episodes(events) {
        let person_spells = spells_by_person.get(&episode.person).map(Vec::as_slice).unwrap_or(&[]);
        let (Some(window_start), Some(window_end)) = (
            episode.start.checked_sub_days(Days::new(LINK_DAYS_BEFORE)),
            episode.start.checked_add_days(Days::new(LINK_DAYS_AFTER)),
        ) else {
            continue;
        };
        let linked = person_spells
            .iter()
            .filter_map(|&i| {
                let spell = spells.get(i)?;
                let discharged = spell.discharge_date?;
                (discharged >= window_start
                    && discharged <= window_end
                    && spell.admission_date <= episode.start)
                    .then_some((discharged, i))
            })
            .max();
        let Some((discharge_date, spell)) = linked else { continue };
        let Some(follow_up_end) = discharge_date.checked_add_days(Days::new(follow_up_days)) else {
            continue;
        };
        let within = |date: NaiveDate| date >= discharge_date && date <= follow_up_end;
        let died = death_by_person.get(&episode.person).is_some_and(|&d| within(d));
        let readmitted = person_spells.iter().filter_map(|&i| spells.get(i)).any(|s| {
            s.is_emergency()
                && s.admission_date > episode.start
                && s.admission_date > discharge_date
                && s.admission_date <= follow_up_end
        });
        let moved_to_care_home = care_homes_by_person
            .get(&episode.person)
            .is_some_and(|starts| starts.iter().any(|&start| within(start)));
        outcomes.push(ReablementOutcome {
            episode,
            spell,
            discharge_date,
            died,
            readmitted,
            moved_to_care_home,
        });
    }
    outcomes
}

/// A new move into a care home: a long-term residential or nursing placement with no
/// earlier placement for the same person (and council) ending less than 365 days before it
/// or still open.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CareHomeMove {
    /// The placement's index in the events given.
    pub event: usize,
    pub person: PersonKey,
    pub start: NaiveDate,
    /// The person's age when it started, if known.
    pub age: Option<u8>,
}

/// The new moves into care homes among `events` (ASCOF 2B/2C's "new" rule: DHSC-CLD
/// `Create_ASCOF_2B2C_2425_Onwards.sql`, step 3).
pub fn care_home_moves(events: &[SocialCareEvent]) -> Vec<CareHomeMove> {
    let mut by_person: HashMap<(&str, PersonKey), Vec<usize>> = HashMap::new();
    for (index, event) in events.iter().enumerate() {
        if event.is_long_term_care_home() {
            by_person.entry((event.la_code.as_str(), event.person)).or_default().push(index);
        }
    }
    let mut moves = Vec::new();
    for indexes in by_person.values() {
        for &index in indexes {
            let Some(event) = events.get(index) else { continue };
            let existing = indexes.iter().filter_map(|&i| events.get(i)).any(|earlier| {
                earlier.start < event.start
                    && earlier
                        .end
                        .is_none_or(|end| (event.start - end).num_days() < NEW_PLACEMENT_DAYS)
            });
            if !existing {
                moves.push(CareHomeMove {
                    event: index,
                    person: event.person,
                    start: event.start,
                    age: event.age_at_start(),
                });
            }
        }
    }
    moves.sort_by_key(|m| (m.start, m.event));
    moves
}
