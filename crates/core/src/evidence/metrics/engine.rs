//! The compute engine: every metric, for every period, from the events held in columns.
//!
//! [`EventColumns`] holds the events the metrics read as plain columns (a day number per
//! date, a small code per field, a dense id per person), sorted by person and then date,
//! so each counting rule is one pass over contiguous memory with no allocation per event;
//! rules that need one person's spells, services and death together take that person's
//! slices through the per-person offsets. [`compute`] evaluates each distinct count once
//! (split over two threads) and then assembles each metric's value per period.
//!
//! Pure: no IO and no clock. The rules follow DHSC's SQL for ASCOF from CLD (cited on
//! each rule in [`super::Rule`] and in `data/metrics/ascof-2024-25.yaml`); the reablement
//! rule is the same as [`crate::evidence::derive::reablement_outcomes`], which a test checks
//! on random events.

use std::collections::HashMap;

use chrono::{Datelike, Months, NaiveDate};
use serde::Serialize;

use super::{Count, Filter, Metric, MetricSet, Populations, Rule, Term};
use crate::evidence::codes::{
    ClientType, DeliveryMechanism, EventOutcome, EventType, PrimarySupportReason, ServiceComponent,
    ServiceType,
};
use crate::evidence::derive::{
    LINK_DAYS_AFTER, LINK_DAYS_BEFORE, NEW_PLACEMENT_DAYS, REABLEMENT_CLUSTER_GAP_DAYS,
};
use crate::evidence::social_care::Birth;
use crate::evidence::{Death, HospitalSpell, PersonKey, SocialCareEvent};

/// No date (a spell not yet discharged, no ready date, no death, no known birth).
pub const NO_DAY: i32 = i32::MIN;
/// An open service's end.
pub const OPEN: i32 = i32::MAX;
/// An unknown age.
pub const NO_AGE: u8 = u8::MAX;

/// Spell flags.
pub const SPELL_EMERGENCY: u8 = 1;
pub const SPELL_DIED: u8 = 2;
pub const SPELL_ACSC_KNOWN: u8 = 4;
pub const SPELL_ACSC: u8 = 8;

/// Service flags.
/// ST-Max with component Reablement (`SocialCareEvent::is_reablement`).
pub const SERVICE_REABLEMENT: u8 = 1;
/// A long-term care-home service as the event model reads it
/// (`SocialCareEvent::is_long_term_care_home`): what ASCOF 2D's follow-up looks for.
pub const SERVICE_CARE_HOME: u8 = 2;
/// A service user's long-term residential or nursing service whose component is blank
/// (DHSC's 2B/2C build table: "Service_Component_Cleaned IS NULL OR … LIKE '%Residential%'
/// OR … LIKE '%Nursing%'" and "NOT LIKE '%Short%'", which of the Release 2 components
/// leaves only a blank one).
pub const SERVICE_ASCOF_CARE_HOME: u8 = 4;
/// Ended "NFA: Self-funded client or under 12wk disregard" (not counted as an admission).
pub const SERVICE_ENDED_SELF_FUNDED: u8 = 8;

/// The 3D placement ranks (DHSC `Create_ASCOF_3D_2425_Onwards.sql`,
/// `#REF_Service_Type_Delivery_Mech`): 1 nursing, 2 residential, 3 community by direct
/// payment, 4 community by CASSR-managed personal budget, 5 community commissioned, 6
/// community unknown, 7-9 prison; 0 is not long-term support of a service user.
pub fn placement_rank(event: &SocialCareEvent) -> u8 {
    if event.event_type != EventType::Service || event.client_type != ClientType::ServiceUser {
        return 0;
    }
    let direct_payment = event.service_component == Some(ServiceComponent::DirectPayment);
    match event.service_type {
        Some(ServiceType::LongTermNursing) => 1,
        Some(ServiceType::LongTermResidential) => 2,
        Some(ServiceType::LongTermCommunity) => {
            if direct_payment {
                return 3;
            }
            match event.delivery_mechanism {
                Some(DeliveryMechanism::DirectPayment) => 3,
                Some(DeliveryMechanism::CassrManagedPersonalBudget) => 4,
                Some(DeliveryMechanism::CassrCommissionedSupport) => 5,
                None => 6,
            }
        }
        Some(ServiceType::LongTermPrison) => match event.delivery_mechanism {
            Some(DeliveryMechanism::CassrManagedPersonalBudget) if !direct_payment => 7,
            Some(DeliveryMechanism::CassrCommissionedSupport) if !direct_payment => 8,
            _ => 9,
        },
        _ => 0,
    }
}

/// The day number of a date (days from 1 January of year 1).
pub fn day(date: NaiveDate) -> i32 {
    date.num_days_from_ce()
}

/// Age in whole years from a birth day to a day, as DHSC computes it:
/// `FLOOR(DATEDIFF(DAY, birth, date) / 365.25)`.
pub fn age_between(birth: i32, on: i32) -> Option<u8> {
    if birth == NO_DAY || on < birth {
        return None;
    }
    let years = (i64::from(on) - i64::from(birth)) * 4 / 1461;
    u8::try_from(years).ok()
}

/// One service row, as [`ColumnsBuilder::service`] takes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServiceRow {
    pub person: u32,
    pub start: i32,
    /// [`OPEN`] if open.
    pub end: i32,
    /// [`NO_DAY`] if unknown.
    pub birth: i32,
    /// `SERVICE_*` flags.
    pub flags: u8,
    /// [`placement_rank`].
    pub rank: u8,
    /// Primary_Support_Reason's index + 1, 0 if blank.
    pub psr: u8,
}

/// One spell row, as [`ColumnsBuilder::spell`] takes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpellRow {
    pub person: u32,
    pub admitted: i32,
    /// [`NO_DAY`] if none.
    pub ready: i32,
    /// [`NO_DAY`] if not discharged.
    pub discharged: i32,
    /// [`NO_AGE`] if unknown.
    pub age: u8,
    /// `SPELL_*` flags.
    pub flags: u8,
}

/// Collects rows, then sorts them into [`EventColumns`].
#[derive(Debug, Default)]
pub struct ColumnsBuilder {
    persons: u32,
    spells: Vec<SpellRow>,
    services: Vec<ServiceRow>,
    deaths: Vec<(u32, i32)>,
}

impl ColumnsBuilder {
    pub fn with_capacity(spells: usize, services: usize) -> ColumnsBuilder {
        ColumnsBuilder {
            persons: 0,
            spells: Vec::with_capacity(spells),
            services: Vec::with_capacity(services),
            deaths: Vec::new(),
        }
    }

    fn see(&mut self, person: u32) {
        self.persons = self.persons.max(person.saturating_add(1));
    }

    pub fn spell(&mut self, row: SpellRow) {
        self.see(row.person);
        self.spells.push(row);
    }

    pub fn service(&mut self, row: ServiceRow) {
        self.see(row.person);
        self.services.push(row);
    }

    pub fn death(&mut self, person: u32, day: i32) {
        self.see(person);
        self.deaths.push((person, day));
    }

    /// Sort by person and date and lay the rows out in columns.
    pub fn finish(mut self) -> EventColumns {
        let persons = usize::try_from(self.persons).unwrap_or(0);
        if !self.spells.is_sorted_by_key(|s| (s.person, s.admitted)) {
            self.spells.sort_by_key(|s| (s.person, s.admitted, s.discharged));
        }
        if !self.services.is_sorted_by_key(|s| (s.person, s.start)) {
            self.services.sort_by_key(|s| (s.person, s.start, s.end));
        }
        let mut death = vec![NO_DAY; persons];
        for (person, day) in self.deaths {
            if let Some(slot) = death.get_mut(usize::try_from(person).unwrap_or(usize::MAX)) {
                *slot = if *slot == NO_DAY { day } else { (*slot).min(day) };
            }
        }
        let spell_offsets = offsets(persons, self.spells.iter().map(|s| s.person));
        let service_offsets = offsets(persons, self.services.iter().map(|s| s.person));
        EventColumns {
            persons,
            death,
            sp_admitted: self.spells.iter().map(|s| s.admitted).collect(),
            sp_ready: self.spells.iter().map(|s| s.ready).collect(),
            sp_discharged: self.spells.iter().map(|s| s.discharged).collect(),
            sp_age: self.spells.iter().map(|s| s.age).collect(),
            sp_flags: self.spells.iter().map(|s| s.flags).collect(),
            spell_offsets,
            sc_person: self.services.iter().map(|s| s.person).collect(),
            sc_start: self.services.iter().map(|s| s.start).collect(),
            sc_end: self.services.iter().map(|s| s.end).collect(),
            sc_birth: self.services.iter().map(|s| s.birth).collect(),
            sc_flags: self.services.iter().map(|s| s.flags).collect(),
            sc_rank: self.services.iter().map(|s| s.rank).collect(),
            sc_psr: self.services.iter().map(|s| s.psr).collect(),
            service_offsets,
        }
    }
}

/// Where each person's rows start, for rows sorted by person (one more entry than people).
fn offsets(persons: usize, sorted: impl Iterator<Item = u32>) -> Vec<u32> {
    let mut counts = vec![0_u32; persons + 1];
    for person in sorted {
        if let Some(c) = counts.get_mut(usize::try_from(person).unwrap_or(usize::MAX) + 1) {
            *c += 1;
        }
    }
    let mut running = 0_u32;
    for c in &mut counts {
        running += *c;
        *c = running;
    }
    counts
}

/// The events the metrics read, in columns sorted by person then date. Social care events
/// other than services are not held: no metric reads them (their dates of death are).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventColumns {
    pub persons: usize,
    /// Each person's earliest recorded death, or [`NO_DAY`].
    pub death: Vec<i32>,
    pub sp_admitted: Vec<i32>,
    pub sp_ready: Vec<i32>,
    pub sp_discharged: Vec<i32>,
    pub sp_age: Vec<u8>,
    pub sp_flags: Vec<u8>,
    pub spell_offsets: Vec<u32>,
    pub sc_person: Vec<u32>,
    pub sc_start: Vec<i32>,
    pub sc_end: Vec<i32>,
    pub sc_birth: Vec<i32>,
    pub sc_flags: Vec<u8>,
    pub sc_rank: Vec<u8>,
    pub sc_psr: Vec<u8>,
    pub service_offsets: Vec<u32>,
}

impl EventColumns {
    /// Lay out checked events. People are linked by their [`PersonKey`].
    pub fn build(
        events: &[SocialCareEvent],
        spells: &[HospitalSpell],
        deaths: &[Death],
    ) -> EventColumns {
        let mut ids: HashMap<PersonKey, u32> = HashMap::new();
        let mut id = |key: PersonKey| {
            let next = u32::try_from(ids.len()).unwrap_or(u32::MAX);
            *ids.entry(key).or_insert(next)
        };
        let mut builder = ColumnsBuilder::with_capacity(spells.len(), events.len());
        for spell in spells {
            let mut flags = 0;
            if spell.is_emergency() {
                flags |= SPELL_EMERGENCY;
            }
            if spell.died_in_hospital() {
                flags |= SPELL_DIED;
            }
            match spell.acsc {
                Some(true) => flags |= SPELL_ACSC_KNOWN | SPELL_ACSC,
                Some(false) => flags |= SPELL_ACSC_KNOWN,
                None => {}
            }
            builder.spell(SpellRow {
                person: id(spell.person),
                admitted: day(spell.admission_date),
                ready: spell.discharge_ready_date.map_or(NO_DAY, day),
                discharged: spell.discharge_date.map_or(NO_DAY, day),
                age: spell.age_at_start.unwrap_or(NO_AGE),
                flags,
            });
        }
        for event in events {
            let person = id(event.person);
            if let Some(died) = event.date_of_death {
                builder.death(person, day(died));
            }
            if event.event_type != EventType::Service {
                continue;
            }
            let start = day(event.start);
            let birth = match event.birth {
                Some(Birth::DateOfBirth(born)) => day(born),
                // The earliest birth day that gives this age at the start under DHSC's
                // FLOOR(days / 365.25).
                Some(Birth::AgeAtEventStart(age)) => {
                    start - i32::try_from((i64::from(age) * 1461 + 3) / 4).unwrap_or(0)
                }
                None => NO_DAY,
            };
            let mut flags = 0;
            if event.is_reablement() {
                flags |= SERVICE_REABLEMENT;
            }
            if event.is_long_term_care_home() {
                flags |= SERVICE_CARE_HOME;
            }
            if event.client_type == ClientType::ServiceUser
                && event.service_type.is_some_and(ServiceType::is_care_home)
                && event.service_component.is_none()
            {
                flags |= SERVICE_ASCOF_CARE_HOME;
            }
            if event.outcome == Some(EventOutcome::NfaSelfFunded) {
                flags |= SERVICE_ENDED_SELF_FUNDED;
            }
            let psr = event
                .primary_support_reason
                .and_then(|r| PrimarySupportReason::ALL.iter().position(|x| *x == r))
                .and_then(|i| u8::try_from(i + 1).ok())
                .unwrap_or(0);
            builder.service(ServiceRow {
                person,
                start,
                end: event.end.map_or(OPEN, day),
                birth,
                flags,
                rank: placement_rank(event),
                psr,
            });
        }
        for death in deaths {
            let person = id(death.person);
            builder.death(person, day(death.date));
        }
        builder.finish()
    }

    /// Events held: spells plus services.
    pub fn len(&self) -> usize {
        self.sp_admitted.len() + self.sc_start.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn range(offsets: &[u32], person: usize) -> std::ops::Range<usize> {
        let at = |i: usize| offsets.get(i).map_or(0, |&o| usize::try_from(o).unwrap_or(0));
        at(person)..at(person + 1)
    }
}

/// How values are grouped in time. Quarters and years are financial (April to March), as
/// the BCF and ASCOF report them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Granularity {
    Month,
    Quarter,
    Year,
}

impl Granularity {
    pub fn parse(text: &str) -> Option<Granularity> {
        match text {
            "month" => Some(Granularity::Month),
            "quarter" => Some(Granularity::Quarter),
            "year" => Some(Granularity::Year),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Granularity::Month => "month",
            Granularity::Quarter => "quarter",
            Granularity::Year => "year",
        }
    }
}

/// One period values are given for: its first and last day (clipped to the range asked
/// for) and a label (`2025-04`, `2025-26 Q1`, `2025-26`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Period {
    pub label: String,
    pub start: NaiveDate,
    pub end: NaiveDate,
}

/// Why values could not be computed for the range asked.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RangeError {
    #[error(
        "from: the range starts ({from}) after it ends ({to}); give a from on or before the to"
    )]
    Reversed { from: NaiveDate, to: NaiveDate },
    #[error("to: the range is longer than {MAX_YEARS} years; ask for a shorter one")]
    TooLong,
}

/// The longest range computed at once.
pub const MAX_YEARS: i32 = 30;

/// The periods of `by` that overlap `from..=to`, each clipped to it.
pub fn periods(from: NaiveDate, to: NaiveDate, by: Granularity) -> Result<Vec<Period>, RangeError> {
    if from > to {
        return Err(RangeError::Reversed { from, to });
    }
    if to.year() - from.year() > MAX_YEARS {
        return Err(RangeError::TooLong);
    }
    let months_per = match by {
        Granularity::Month => 1,
        Granularity::Quarter => 3,
        Granularity::Year => 12,
    };
    // The first period's start: the month, or the financial quarter or year, holding from.
    let month0 = from.month0();
    let fy_month = (month0 + 9) % 12; // months since April
    let back = match by {
        Granularity::Month => 0,
        Granularity::Quarter => fy_month % 3,
        Granularity::Year => fy_month,
    };
    let first = from.with_day(1).and_then(|d| d.checked_sub_months(Months::new(back)));
    let Some(mut start) = first else { return Ok(Vec::new()) };
    let mut out = Vec::new();
    while start <= to {
        let Some(next) = start.checked_add_months(Months::new(months_per)) else { break };
        let Some(end) = next.pred_opt() else { break };
        let fy = if start.month() >= 4 { start.year() } else { start.year() - 1 };
        let fy_label = format!("{fy}-{:02}", (fy + 1).rem_euclid(100));
        let label = match by {
            Granularity::Month => format!("{}-{:02}", start.year(), start.month()),
            Granularity::Quarter => {
                format!("{fy_label} Q{}", (start.month0() + 9) % 12 / 3 + 1)
            }
            Granularity::Year => fy_label,
        };
        out.push(Period { label, start: start.max(from), end: end.min(to) });
        start = next;
    }
    Ok(out)
}

/// Day → period index over the range, one entry a day.
struct Buckets {
    from: i32,
    to: i32,
    index: Vec<u16>,
    /// Each period's last day (its snapshot day).
    ends: Vec<i32>,
}

impl Buckets {
    fn new(periods: &[Period]) -> Buckets {
        let from = periods.first().map_or(0, |p| day(p.start));
        let to = periods.last().map_or(-1, |p| day(p.end));
        let mut index = Vec::with_capacity(usize::try_from(to - from + 1).unwrap_or(0));
        for (i, p) in periods.iter().enumerate() {
            let n = usize::try_from(day(p.end) - day(p.start) + 1).unwrap_or(0);
            index.extend(std::iter::repeat_n(u16::try_from(i).unwrap_or(u16::MAX), n));
        }
        Buckets { from, to, index, ends: periods.iter().map(|p| day(p.end)).collect() }
    }

    #[inline]
    fn of(&self, day: i32) -> Option<usize> {
        if day < self.from || day > self.to {
            return None;
        }
        self.index.get(usize::try_from(day - self.from).ok()?).map(|&b| usize::from(b))
    }

    fn len(&self) -> usize {
        self.ends.len()
    }
}

#[inline]
fn add(counts: &mut [u64], bucket: usize, n: u64) {
    if let Some(c) = counts.get_mut(bucket) {
        *c += n;
    }
}

/// Whether an age (or [`NO_AGE`]) is in the count's band.
#[inline]
fn age_ok(count: &Count, age: u8) -> bool {
    if age == NO_AGE { count.age.admits_unknown() } else { count.age.contains(age) }
}

fn spell_filters_ok(count: &Count, flags: u8) -> bool {
    count.filters.iter().all(|f| match f {
        Filter::Acsc(want) => flags & SPELL_ACSC_KNOWN != 0 && (flags & SPELL_ACSC != 0) == *want,
        Filter::PrimarySupportReason(_) => true,
    })
}

/// A bit per Primary_Support_Reason code allowed (bit 0: blank), or all bits.
fn psr_mask(count: &Count) -> u64 {
    let mut mask = u64::MAX;
    for f in &count.filters {
        if let Filter::PrimarySupportReason(reasons) = f {
            mask = reasons
                .iter()
                .filter_map(|r| PrimarySupportReason::ALL.iter().position(|x| x == r))
                .fold(0, |m, i| m | (1_u64 << (i + 1)));
        }
    }
    mask
}

#[inline]
fn psr_ok(mask: u64, psr: u8) -> bool {
    mask & (1_u64 << (psr & 63)) != 0
}

/// Evaluate one count over the periods.
pub fn evaluate(columns: &EventColumns, count: &Count, periods: &[Period]) -> Vec<u64> {
    evaluate_group(columns, &[count], periods).into_iter().next().unwrap_or_default()
}

/// Which pass a rule is counted in; counts of one pass with the same age band, filters
/// and follow-up are counted together.
fn pass(rule: Rule) -> u8 {
    match rule {
        Rule::EmergencyAdmissions
        | Rule::DischargesWithReadyDate
        | Rule::DelayedDischarges
        | Rule::DischargeDelayDays => 0,
        Rule::NewCareHomeAdmissions => 1,
        Rule::ReablementAfterDischarge | Rule::ReablementStillAtHome => 2,
        Rule::LongTermCommunityClients
        | Rule::SelfDirectedSupportClients
        | Rule::DirectPaymentClients => 3,
    }
}

fn same_pass(a: &Count, b: &Count) -> bool {
    pass(a.rule) == pass(b.rule)
        && matches!(pass(a.rule), 2 | 3)
        && a.age == b.age
        && a.filters == b.filters
        && a.follow_up_days == b.follow_up_days
}

/// Evaluate counts that can share one pass over the events (see [`same_pass`]); others
/// one by one.
pub fn evaluate_group(
    columns: &EventColumns,
    counts: &[&Count],
    periods: &[Period],
) -> Vec<Vec<u64>> {
    let buckets = Buckets::new(periods);
    let mut outs = vec![vec![0_u64; buckets.len()]; counts.len()];
    let shared = counts.first().is_some_and(|first| counts.iter().all(|c| same_pass(first, c)));
    if shared && let Some(first) = counts.first() {
        let rules: Vec<Rule> = counts.iter().map(|c| c.rule).collect();
        if pass(first.rule) == 2 {
            reablement(columns, first, &rules, &buckets, &mut outs);
        } else {
            placements(columns, first, &rules, &buckets, &mut outs);
        }
        return outs;
    }
    for (count, out) in counts.iter().zip(outs.iter_mut()) {
        match count.rule {
            Rule::EmergencyAdmissions
            | Rule::DischargesWithReadyDate
            | Rule::DelayedDischarges
            | Rule::DischargeDelayDays => spells(columns, count, &buckets, out),
            Rule::NewCareHomeAdmissions => new_care_home_admissions(columns, count, &buckets, out),
            Rule::ReablementAfterDischarge | Rule::ReablementStillAtHome => {
                reablement(columns, count, &[count.rule], &buckets, std::slice::from_mut(out));
            }
            Rule::LongTermCommunityClients
            | Rule::SelfDirectedSupportClients
            | Rule::DirectPaymentClients => {
                placements(columns, count, &[count.rule], &buckets, std::slice::from_mut(out));
            }
        }
    }
    outs
}

fn spells(columns: &EventColumns, count: &Count, buckets: &Buckets, out: &mut [u64]) {
    let c = columns;
    let rows =
        c.sp_admitted.iter().zip(&c.sp_ready).zip(&c.sp_discharged).zip(&c.sp_age).zip(&c.sp_flags);
    let filtered = !count.filters.is_empty();
    for ((((&admitted, &ready), &discharged), &age), &flags) in rows {
        if !age_ok(count, age) || (filtered && !spell_filters_ok(count, flags)) {
            continue;
        }
        match count.rule {
            Rule::EmergencyAdmissions => {
                if flags & SPELL_EMERGENCY != 0
                    && let Some(b) = buckets.of(admitted)
                {
                    add(out, b, 1);
                }
            }
            rule => {
                if discharged == NO_DAY || ready == NO_DAY || flags & SPELL_DIED != 0 {
                    continue;
                }
                let Some(b) = buckets.of(discharged) else { continue };
                let delay = u64::try_from(discharged - ready).unwrap_or(0);
                match rule {
                    Rule::DischargesWithReadyDate => add(out, b, 1),
                    Rule::DelayedDischarges if delay > 0 => add(out, b, 1),
                    Rule::DischargeDelayDays => add(out, b, delay),
                    _ => {}
                }
            }
        }
    }
}

/// ASCOF 2B/2C's new admissions (DHSC `Create_ASCOF_2B2C_2425_Onwards.sql`): for each
/// person, services in start order; an admission in a period is new unless a care-home
/// service of theirs started earlier and is open or ended less than 365 days before it;
/// each person counts once a period, in the age band of their first new admission in it
/// (aged 18 or over).
fn new_care_home_admissions(
    columns: &EventColumns,
    count: &Count,
    buckets: &Buckets,
    out: &mut [u64],
) {
    let c = columns;
    let mask = psr_mask(count);
    let n = c.sc_start.len();
    let mut i = 0;
    while i < n {
        let person = c.sc_person.get(i).copied().unwrap_or(0);
        // State over this person's earlier care-home services.
        let mut open_before = false;
        let mut latest_end = NO_DAY;
        let mut counted_in: Option<usize> = None;
        while i < n && c.sc_person.get(i) == Some(&person) {
            // A group of services starting the same day.
            let start = c.sc_start.get(i).copied().unwrap_or(0);
            let mut j = i;
            while j < n && c.sc_person.get(j) == Some(&person) && c.sc_start.get(j) == Some(&start)
            {
                j += 1;
            }
            let existing = open_before
                || (latest_end != NO_DAY
                    && i64::from(start) - i64::from(latest_end) < NEW_PLACEMENT_DAYS);
            for k in i..j {
                let flags = c.sc_flags.get(k).copied().unwrap_or(0);
                if flags & SERVICE_ASCOF_CARE_HOME == 0 {
                    continue;
                }
                let end = c.sc_end.get(k).copied().unwrap_or(OPEN);
                if end == OPEN {
                    open_before = true;
                } else {
                    latest_end = latest_end.max(end);
                }
                if existing || flags & SERVICE_ENDED_SELF_FUNDED != 0 {
                    continue;
                }
                if !psr_ok(mask, c.sc_psr.get(k).copied().unwrap_or(0)) {
                    continue;
                }
                let Some(age) = age_between(c.sc_birth.get(k).copied().unwrap_or(NO_DAY), start)
                else {
                    continue;
                };
                if age < 18 {
                    continue;
                }
                let Some(b) = buckets.of(start) else { continue };
                if counted_in == Some(b) {
                    continue;
                }
                counted_in = Some(b);
                if count.age.contains(age) {
                    add(out, b, 1);
                }
            }
            i = j;
        }
    }
}

/// ASCOF 2D (DHSC `Create_ASCOF_2D.sql`, stages 1, 3 and 4; the same rule as
/// [`crate::evidence::derive::reablement_outcomes`]).
fn reablement(
    columns: &EventColumns,
    count: &Count,
    rules: &[Rule],
    buckets: &Buckets,
    outs: &mut [Vec<u64>],
) {
    let c = columns;
    let follow_up = i64::from(count.follow_up_days.unwrap_or(84));
    let want_home = rules.contains(&Rule::ReablementStillAtHome);
    let mask = psr_mask(count);
    for person in 0..c.persons {
        let services = EventColumns::range(&c.service_offsets, person);
        let spells = EventColumns::range(&c.spell_offsets, person);
        if spells.is_empty() || services.is_empty() {
            continue;
        }
        let death = c.death.get(person).copied().unwrap_or(NO_DAY);
        let s_start = c.sc_start.get(services.clone()).unwrap_or(&[]);
        let s_end = c.sc_end.get(services.clone()).unwrap_or(&[]);
        let s_flags = c.sc_flags.get(services.clone()).unwrap_or(&[]);
        let s_psr = c.sc_psr.get(services).unwrap_or(&[]);
        let p_admit = c.sp_admitted.get(spells.clone()).unwrap_or(&[]);
        let p_dis = c.sp_discharged.get(spells.clone()).unwrap_or(&[]);
        let p_age = c.sp_age.get(spells.clone()).unwrap_or(&[]);
        let p_flags = c.sp_flags.get(spells).unwrap_or(&[]);

        let mut episode: Option<(i64, i64)> = None;
        let mut close = |ep: (i64, i64)| {
            let (ep_start, _) = ep;
            let (lo, hi) = (ep_start - LINK_DAYS_BEFORE as i64, ep_start + LINK_DAYS_AFTER as i64);
            // The latest discharge in the window from a spell admitted by the start.
            let mut linked: Option<(i64, usize)> = None;
            for (k, (&a, &d)) in p_admit.iter().zip(p_dis).enumerate() {
                if d == NO_DAY {
                    continue;
                }
                let (a, d) = (i64::from(a), i64::from(d));
                if d >= lo && d <= hi && a <= ep_start && linked.is_none_or(|(ld, _)| d >= ld) {
                    linked = Some((d, k));
                }
            }
            let Some((discharged, k)) = linked else { return };
            if !age_ok(count, p_age.get(k).copied().unwrap_or(NO_AGE)) {
                return;
            }
            let Some(b) = i32::try_from(discharged).ok().and_then(|d| buckets.of(d)) else {
                return;
            };
            let mut at_home = false;
            if want_home {
                let until = discharged + follow_up;
                let within = |d: i64| d >= discharged && d <= until;
                let died = death != NO_DAY && within(i64::from(death));
                let readmitted = p_admit.iter().zip(p_flags).any(|(&a, &f)| {
                    let a = i64::from(a);
                    f & SPELL_EMERGENCY != 0 && a > ep_start && a > discharged && a <= until
                });
                let moved = s_start
                    .iter()
                    .zip(s_flags)
                    .any(|(&s, &f)| f & SERVICE_CARE_HOME != 0 && within(i64::from(s)));
                at_home = !(died || readmitted || moved);
            }
            for (rule, out) in rules.iter().zip(outs.iter_mut()) {
                if *rule == Rule::ReablementAfterDischarge || at_home {
                    add(out, b, 1);
                }
            }
        };
        for ((&start, &end), (&flags, &psr)) in
            s_start.iter().zip(s_end).zip(s_flags.iter().zip(s_psr))
        {
            if flags & SERVICE_REABLEMENT == 0 || !psr_ok(mask, psr) {
                continue;
            }
            let (start, end) = (i64::from(start), i64::from(end));
            match episode.as_mut() {
                Some(ep) if start - ep.1 <= REABLEMENT_CLUSTER_GAP_DAYS => ep.1 = ep.1.max(end),
                _ => {
                    if let Some(ep) = episode.take() {
                        close(ep);
                    }
                    episode = Some((start, end));
                }
            }
        }
        if let Some(ep) = episode {
            close(ep);
        }
    }
}

/// ASCOF 3D's client measures (DHSC `Create_ASCOF_3D_2425_Onwards.sql`): on each period's
/// last day, each adult service user (aged 18 or over then, or of unknown age, as DHSC
/// keeps them in the total) alive that day with long-term support open is placed once, at
/// the highest-ranking of their services open that day.
fn placements(
    columns: &EventColumns,
    count: &Count,
    rules: &[Rule],
    buckets: &Buckets,
    outs: &mut [Vec<u64>],
) {
    let c = columns;
    let mask = psr_mask(count);
    let wanted = |rule: Rule, rank: u8| match rule {
        Rule::LongTermCommunityClients => (3..=6).contains(&rank),
        Rule::SelfDirectedSupportClients => rank == 3 || rank == 4,
        _ => rank == 3,
    };
    let banded = !count.age.admits_unknown();
    let ends = &buckets.ends;
    let periods = buckets.len();
    let mut ranks = vec![u8::MAX; periods];
    let mut ages = vec![NO_AGE; periods];
    let n = c.sc_start.len();
    let mut i = 0;
    while i < n {
        let person = c.sc_person.get(i).copied().unwrap_or(0);
        let death =
            c.death.get(usize::try_from(person).unwrap_or(usize::MAX)).copied().unwrap_or(NO_DAY);
        // Snapshots after a death do not count the person.
        let alive_until =
            if death == NO_DAY { periods } else { ends.partition_point(|&e| e <= death) };
        let (mut lo, mut hi) = (usize::MAX, 0_usize);
        while i < n && c.sc_person.get(i) == Some(&person) {
            let k = i;
            i += 1;
            let rank = c.sc_rank.get(k).copied().unwrap_or(0);
            if rank == 0 || !psr_ok(mask, c.sc_psr.get(k).copied().unwrap_or(0)) {
                continue;
            }
            let start = c.sc_start.get(k).copied().unwrap_or(OPEN);
            let end = c.sc_end.get(k).copied().unwrap_or(OPEN);
            let birth = c.sc_birth.get(k).copied().unwrap_or(NO_DAY);
            // Periods whose last day falls in start..=end, the person alive and 18 then.
            let mut first = ends.partition_point(|&e| e < start);
            if birth != NO_DAY {
                // The first day DHSC's FLOOR(days / 365.25) gives 18.
                let adult = i64::from(birth) + (18 * 1461 + 3) / 4;
                first = first.max(ends.partition_point(|&e| i64::from(e) < adult));
            }
            let last = ends.partition_point(|&e| e <= end).min(alive_until);
            if first >= last {
                continue;
            }
            for r in ranks.get_mut(first..last).unwrap_or(&mut []) {
                *r = (*r).min(rank);
            }
            if banded {
                for (b, a) in ages.iter_mut().enumerate().take(last).skip(first) {
                    let age = ends.get(b).and_then(|&e| age_between(birth, e)).unwrap_or(NO_AGE);
                    // DHSC takes the greatest age where rows disagree.
                    *a = if *a == NO_AGE {
                        age
                    } else if age == NO_AGE {
                        *a
                    } else {
                        (*a).max(age)
                    };
                }
            }
            lo = lo.min(first);
            hi = hi.max(last);
        }
        for b in lo..hi {
            let Some(r) = ranks.get_mut(b) else { continue };
            let rank = *r;
            *r = u8::MAX;
            if rank == u8::MAX {
                continue;
            }
            let in_band = !banded
                || ages.get_mut(b).is_none_or(|a| {
                    let age = std::mem::replace(a, NO_AGE);
                    age == NO_AGE || count.age.contains(age)
                });
            if !in_band {
                continue;
            }
            for (rule, out) in rules.iter().zip(outs.iter_mut()) {
                if wanted(*rule, rank) {
                    add(out, b, 1);
                }
            }
        }
    }
}

/// The population a value was divided by.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PopulationUsed {
    pub id: String,
    pub mid_year: i32,
    pub age: String,
}

/// One metric's value for one period, unprotected: for analysts with the raw data.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MetricValue {
    pub metric: String,
    pub period: Period,
    pub numerator: u64,
    pub denominator: u64,
    /// numerator / denominator in the metric's unit, rounded to one decimal place as
    /// DHSC rounds ASCOF; `None` when the denominator is 0.
    pub value: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub population: Option<PopulationUsed>,
}

/// Why a metric could not be computed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ComputeError {
    #[error(transparent)]
    Range(#[from] RangeError),
    #[error("metric {metric}: no population {population:?} is held")]
    Population { metric: String, population: String },
}

/// Every metric in `metrics`, for every period of `by` in `from..=to`.
pub fn compute(
    metrics: &[&Metric],
    populations: &Populations,
    columns: &EventColumns,
    from: NaiveDate,
    to: NaiveDate,
    by: Granularity,
) -> Result<Vec<MetricValue>, ComputeError> {
    let periods = periods(from, to, by)?;
    // Each distinct count once.
    let mut counts: Vec<&Count> = Vec::new();
    for metric in metrics {
        for term in [&metric.numerator, &metric.denominator] {
            if let Term::Count(count) = term
                && !counts.contains(&count)
            {
                counts.push(count);
            }
        }
    }
    let evaluated = evaluate_all(columns, &counts, &periods);
    let mut values = Vec::with_capacity(metrics.len() * periods.len());
    for metric in metrics {
        let side = |term: &Term| -> Result<(Vec<u64>, Option<PopulationUsed>), ComputeError> {
            match term {
                Term::Count(count) => {
                    let at = counts.iter().position(|c| *c == count);
                    let series = at.and_then(|i| evaluated.get(i)).cloned().unwrap_or_default();
                    Ok((series, None))
                }
                Term::Population { population, age } => {
                    let p =
                        populations.get(population).ok_or_else(|| ComputeError::Population {
                            metric: metric.id.clone(),
                            population: population.clone(),
                        })?;
                    let used = PopulationUsed {
                        id: p.id.clone(),
                        mid_year: p.mid_year,
                        age: age.to_string(),
                    };
                    Ok((vec![p.in_band(*age); periods.len()], Some(used)))
                }
            }
        };
        let (numerators, _) = side(&metric.numerator)?;
        let (denominators, population) = side(&metric.denominator)?;
        for (i, period) in periods.iter().enumerate() {
            let numerator = numerators.get(i).copied().unwrap_or(0);
            let denominator = denominators.get(i).copied().unwrap_or(0);
            values.push(MetricValue {
                metric: metric.id.clone(),
                period: period.clone(),
                numerator,
                denominator,
                value: ratio(numerator, denominator, metric.unit.scale()),
                population: population.clone(),
            });
        }
    }
    Ok(values)
}

/// numerator / denominator × scale, to one decimal place.
pub fn ratio(numerator: u64, denominator: u64, scale: f64) -> Option<f64> {
    if denominator == 0 {
        return None;
    }
    #[allow(clippy::cast_precision_loss)]
    let exact = numerator as f64 / denominator as f64 * scale;
    Some((exact * 10.0).round() / 10.0)
}

/// Evaluate the counts on two threads (the machine's two cores): counts that share a pass
/// are grouped, and the groups dealt to the threads, costliest first, each to the thread
/// with less work so far.
fn evaluate_all(columns: &EventColumns, counts: &[&Count], periods: &[Period]) -> Vec<Vec<u64>> {
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (i, count) in counts.iter().enumerate() {
        let joined = groups.iter_mut().find(|g| {
            g.first().and_then(|&f| counts.get(f)).is_some_and(|first| same_pass(first, count))
        });
        match joined {
            Some(group) => group.push(i),
            None => groups.push(vec![i]),
        }
    }
    // Rough costs measured by `onebudget bench evidence`: a snapshot pass is the dearest.
    let cost = |group: &Vec<usize>| match group.first().and_then(|&i| counts.get(i)) {
        Some(c) if pass(c.rule) == 3 => 5,
        Some(c) if pass(c.rule) == 2 => 2,
        _ => 1,
    };
    groups.sort_by_key(|g| std::cmp::Reverse(cost(g)));
    let (mut left, mut right) = (Vec::new(), Vec::new());
    let (mut left_cost, mut right_cost) = (0, 0);
    for group in groups {
        if left_cost <= right_cost {
            left_cost += cost(&group);
            left.push(group);
        } else {
            right_cost += cost(&group);
            right.push(group);
        }
    }
    let run = |part: &[Vec<usize>]| -> Vec<(usize, Vec<u64>)> {
        let mut out = Vec::new();
        for group in part {
            let members: Vec<&Count> =
                group.iter().filter_map(|&i| counts.get(i).copied()).collect();
            out.extend(group.iter().copied().zip(evaluate_group(columns, &members, periods)));
        }
        out
    };
    let (a, b) = std::thread::scope(|s| {
        let handle = s.spawn(|| run(&right));
        let a = run(&left);
        (a, handle.join().ok())
    });
    let b = b.unwrap_or_else(|| run(&right));
    let mut out = vec![Vec::new(); counts.len()];
    for (i, series) in a.into_iter().chain(b) {
        if let Some(slot) = out.get_mut(i) {
            *slot = series;
        }
    }
    out
}

/// Every metric in a set, selected by id (all when `only` is `None`).
pub fn select<'m>(set: &'m MetricSet, only: Option<&str>) -> Vec<&'m Metric> {
    set.metrics.iter().filter(|m| only.is_none_or(|id| m.id == id)).collect()
}
