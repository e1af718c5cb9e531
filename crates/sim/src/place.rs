//! A deterministic synthetic place for `onebudget demo`: a fictional English metropolitan
//! borough with its commissioners (the ICB, the council, the housing body), its care
//! providers, four integrated neighbourhood teams and a few thousand adults receiving care
//! and support, in proportions loosely like England's. The same seed gives the same place,
//! a different seed a different one.
//!
//! Everything here is made up. The people are random combinations of common names, their
//! NHS numbers come from the range NHS test data uses (never issued to a patient, see
//! [`NhsNumber::synthetic`]), and the organisations' names are invented; any likeness to
//! a real person or provider is accidental. [`build`] is pure: no IO, no clock.
//! `caseload` is its neighbour for financial assessments; this module says who is cared
//! for, where, by whom and with what budget.

use chrono::{Days, Months, NaiveDate};
use onebudget_core::Money;
use onebudget_core::person::NhsNumber;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};

/// The council of the synthetic borough, which runs the demo's service.
pub const COUNCIL_NAME: &str = "Ashby Vale Metropolitan Borough Council";

/// The date people's ages are reckoned on: the start of the 2026-27 financial year. Every
/// synthetic person is an adult (18 or over) on this date.
pub const AGES_ON: NaiveDate = match NaiveDate::from_ymd_opt(2026, 4, 1) {
    Some(date) => date,
    None => NaiveDate::MIN,
};

/// What place to build.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlaceSpec {
    pub seed: u64,
    /// Everyone living in the borough, of all ages. 231,000 is a middling metropolitan
    /// borough (they range from about 150,000 to over a million).
    pub residents: u32,
    /// Adults known to adult social care or NHS continuing healthcare. 2,500 is roughly
    /// what a borough of 231,000 supports at any one time (about one adult in ninety),
    /// short-term support included. At most about 909,000: one per valid synthetic NHS
    /// number.
    pub adults_in_care: usize,
}

impl Default for PlaceSpec {
    fn default() -> PlaceSpec {
        PlaceSpec { seed: 2026, residents: 231_000, adults_in_care: 2_500 }
    }
}

/// A synthetic borough: who commissions and provides care there, its neighbourhood teams
/// and the adults it supports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Place {
    pub name: String,
    pub residents: u32,
    pub organisations: Vec<Organisation>,
    pub teams: Vec<Team>,
    pub people: Vec<SyntheticPerson>,
}

impl Place {
    /// The organisation with this code, if the place has one.
    pub fn organisation(&self, code: &str) -> Option<&Organisation> {
        self.organisations.iter().find(|organisation| organisation.code == code)
    }
}

/// A commissioner, funder or provider of care.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Organisation {
    /// `ICB`, `COUNCIL`, `DISTRICT`, or `PROV-…` for providers.
    pub code: String,
    pub name: String,
    pub kind: OrganisationKind,
}

/// What an organisation is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OrganisationKind {
    /// The integrated care board: commissions NHS care, funds continuing healthcare.
    Icb,
    /// The borough council: the social services authority.
    Council,
    /// The housing body (a district council's role in two-tier areas).
    District,
    HomeCare,
    CareHome,
    Reablement,
    DayService,
}

impl OrganisationKind {
    /// Whether organisations of this kind provide care (rather than commission or fund it).
    pub fn is_provider(self) -> bool {
        matches!(
            self,
            OrganisationKind::HomeCare
                | OrganisationKind::CareHome
                | OrganisationKind::Reablement
                | OrganisationKind::DayService
        )
    }
}

/// An integrated neighbourhood team: social workers, district nurses and therapists
/// covering one part of the borough.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Team {
    /// `TEAM-NORTH`, `TEAM-SOUTH`, `TEAM-EAST` or `TEAM-WEST`.
    pub code: String,
    pub name: String,
}

/// One synthetic adult receiving care and support.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntheticPerson {
    /// `P000001`, `P000002`, … in the order people are generated.
    pub code: String,
    pub given_name: String,
    pub family_name: String,
    /// From the range NHS test data uses; distinct within a place.
    pub nhs_number: NhsNumber,
    pub birth_date: NaiveDate,
    /// The code of the person's neighbourhood team.
    pub team: String,
    pub setting: Setting,
    pub funding: Funding,
    /// The person's personal budget (or personal health budget), if they hold one.
    pub budget: Option<Budget>,
}

impl SyntheticPerson {
    /// The person's age in whole years on `on` (`None` before they were born).
    pub fn age_years(&self, on: NaiveDate) -> Option<u32> {
        on.years_since(self.birth_date)
    }
}

/// Where a person lives and is cared for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Setting {
    Home,
    CareHome,
}

/// Who pays for a person's care.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Funding {
    /// The council, under the Care Act 2014 (the person may contribute after a financial
    /// assessment).
    SocialCare,
    /// The NHS, in full and free of charge: NHS continuing healthcare.
    ContinuingHealthcare,
}

/// A personal budget (social care) or personal health budget (continuing healthcare).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Budget {
    pub mode: DeliveryMode,
    pub weekly: Money,
    /// The code of the provider the money goes to; `None` for direct payments, which the
    /// person spends themselves.
    pub provider: Option<String>,
}

/// How a budget is held and spent: the same modes a budget version's components have,
/// so a synthetic person's budget is recorded as a budget version without translation.
pub use onebudget_core::budget::plan::DeliveryMode;

/// The borough's name. Fictional, as are all the names below.
const PLACE_NAME: &str = "Metropolitan Borough of Ashby Vale";

/// Neighbourhood teams: code, name, and share of the borough's caseload (a little uneven,
/// as neighbourhoods are).
const TEAMS: [(&str, &str, u32); 4] = [
    ("TEAM-NORTH", "Integrated Neighbourhood Team North", 27),
    ("TEAM-SOUTH", "Integrated Neighbourhood Team South", 24),
    ("TEAM-EAST", "Integrated Neighbourhood Team East", 26),
    ("TEAM-WEST", "Integrated Neighbourhood Team West", 23),
];

/// Home care agencies and their shares of the council's home care hours: a few large
/// agencies and a tail of small ones, as in most local markets.
const HOME_CARE_AGENCIES: [(&str, u32); 8] = [
    ("Brightwater Home Care", 22),
    ("Calder Lane Care at Home", 18),
    ("Heartwood Homecare", 15),
    ("Kingsmere Care Services", 12),
    ("Millbrook Community Care", 10),
    ("Oakfield Home Support", 9),
    ("Riverside Domiciliary Care", 8),
    ("Thornley Care Partners", 6),
];

/// Care homes and their beds, which set their shares of placements.
const CARE_HOMES: [(&str, u32); 6] = [
    ("Alder House Care Home", 72),
    ("Beechcroft Nursing Home", 60),
    ("Elmfield Lodge", 48),
    ("Hawthorn Court Care Home", 45),
    ("Linden Grange Nursing Home", 40),
    ("Willow Bank Residential Home", 32),
];

/// Given names: common in the UK across generations and communities. Every combination
/// with a family name is synthetic.
#[rustfmt::skip]
const GIVEN_NAMES: [&str; 60] = [
    "Margaret", "Patricia", "Susan", "Linda", "Barbara", "Dorothy", "Jean", "Joan", "Sheila",
    "Maureen", "Christine", "Elizabeth", "Mary", "Sarah", "Emma", "Chloe", "Aisha", "Fatima",
    "Priya", "Anjali", "Sunita", "Mei", "Ngozi", "Grace", "Agnieszka", "Siobhan", "Bronwen",
    "Precious", "Olivia", "Amira", "John", "David", "Peter", "Michael", "Robert", "William",
    "James", "George", "Brian", "Kenneth", "Ronald", "Derek", "Stephen", "Paul", "Daniel",
    "Thomas", "Mohammed", "Imran", "Tariq", "Rajesh", "Sanjay", "Wei", "Chinedu", "Kwame",
    "Tomasz", "Patrick", "Gareth", "Ravi", "Delroy", "Yusuf",
];

/// Family names: common in England, Wales, Scotland and Ireland, and among British South
/// Asian, Black British, Chinese and Polish families.
#[rustfmt::skip]
const FAMILY_NAMES: [&str; 80] = [
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Robinson",
    "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood",
    "Jackson", "Clarke", "Hughes", "Edwards", "Turner", "Hill", "Moore", "Cooper", "Ward",
    "Morris", "King", "Harrison", "Baker", "Lee", "Mitchell", "Shaw", "Holmes", "Barker",
    "Lawson", "Fletcher", "Brennan", "Murphy", "O'Brien", "Kelly", "McCarthy", "Byrne",
    "Campbell", "Stewart", "Morgan", "Lloyd", "Khan", "Ahmed", "Hussain", "Ali", "Patel",
    "Shah", "Singh", "Gill", "Sandhu", "Sharma", "Mistry", "Chowdhury", "Rahman", "Iqbal",
    "Akhtar", "Okafor", "Adeyemi", "Mensah", "Osei", "Okonkwo", "Nowak", "Kowalczyk", "Chen",
    "Wong", "Li", "Nguyen", "Francis", "Grant", "Henry", "Bennett", "Reid", "Ferreira",
];

// The mix of people. Proportions are per thousand and loosely follow England's published
// figures, rounded; a real borough differs from the average.

/// Share aged 65 or over. NHS England's Adult Social Care Activity and Finance Report
/// (ASC-FR, formerly NHS Digital's) counts roughly two in three people receiving long-term
/// support as aged 65 or over.
const AGED_65_PLUS_PER_THOUSAND: u32 = 660;

/// Ages among those 65 or over, skewed old: care needs rise steeply through the eighties,
/// and a few people in care are over 95.
const OLDER_AGE_BANDS: [((u32, u32), u32); 4] =
    [((65, 74), 24), ((75, 84), 36), ((85, 94), 33), ((95, 104), 7)];

/// Ages of the younger adults, mostly people with learning or physical disabilities or
/// mental health needs, spread over working age.
const YOUNGER_AGES: (u32, u32) = (18, 64);

/// Share in a residential or nursing care home, by age. ASC-FR shows a quarter to a third
/// of people in long-term support in residential or nursing care, far more of them older
/// than younger; with two thirds aged 65+, these give about a quarter overall.
const CARE_HOME_AGED_65_PLUS_PER_THOUSAND: u32 = 320;
const CARE_HOME_YOUNGER_PER_THOUSAND: u32 = 120;

/// Share eligible for NHS continuing healthcare, by setting: about 8% overall. NHS
/// England's continuing healthcare statistics count some tens of thousands eligible at a
/// time (fast-track end-of-life care included) against some hundreds of thousands in
/// long-term social care; many are in nursing homes.
const CHC_IN_CARE_HOME_PER_THOUSAND: u32 = 140;
const CHC_AT_HOME_PER_THOUSAND: u32 = 60;

/// Share of people at home with continuing healthcare who hold a personal health budget:
/// about half. People at home with CHC have had a right to have a personal health budget
/// since 2014, and it is the default since 2019; the rest have care the ICB commissions.
const CHC_AT_HOME_PERSONAL_HEALTH_BUDGET_PER_THOUSAND: u32 = 500;
/// Of those personal health budgets, the share paid as direct payments (the rest are
/// notional, held by the ICB).
const PERSONAL_HEALTH_BUDGET_DIRECT_PAYMENT_PER_THOUSAND: u32 = 500;

/// Share of people at home funded by social care who hold a personal budget. The rest are
/// in reablement (free for up to six weeks, with no personal budget), awaiting assessment
/// or support planning, or get only equipment, telecare or advice. With everyone in a care
/// home holding a budget, this gives about three quarters of all people.
const HOME_SOCIAL_CARE_BUDGET_PER_THOUSAND: u32 = 680;

/// Of social care personal budgets at home, the share taken as direct payments: about a
/// quarter (ASC-FR: roughly a quarter of people in long-term community support receive
/// direct payments), a few hundred people in a borough this size.
const DIRECT_PAYMENT_PER_THOUSAND: u32 = 270;
/// Of the rest, the share held as Individual Service Funds: a handful, as few councils
/// offer them widely.
const INDIVIDUAL_SERVICE_FUND_PER_THOUSAND: u32 = 17;
/// Of managed budgets at home, the share spent at the day service (the rest on home care).
const DAY_SERVICE_PER_THOUSAND: u32 = 150;

/// Weekly budgets, in pence: home care funded by social care (a few hours a week up to
/// several visits a day), a care home placement at council rates, and continuing
/// healthcare (which includes nursing).
const WEEKLY_HOME_SOCIAL_CARE_PENCE: (i64, i64) = (150 * 100, 700 * 100);
const WEEKLY_CARE_HOME_PENCE: (i64, i64) = (700 * 100, 1_100 * 100);
const WEEKLY_CHC_PENCE: (i64, i64) = (800 * 100, 2_000 * 100);

/// The highest serial [`NhsNumber::synthetic`] accepts, plus one.
const SYNTHETIC_SERIALS_END: u32 = 1_000_000;

/// Provider codes with their weights, so that people can be spread over them.
struct Providers {
    home_care: Vec<(String, u32)>,
    care_homes: Vec<(String, u32)>,
    day_service: String,
}

/// Build the place `spec` describes. The same spec always gives the same place.
pub fn build(spec: &PlaceSpec) -> Place {
    let mut rng = StdRng::seed_from_u64(spec.seed);
    let (organisations, providers) = organisations();
    let teams = TEAMS
        .iter()
        .map(|(code, name, _)| Team { code: (*code).to_owned(), name: (*name).to_owned() })
        .collect();
    let team_weights: Vec<(String, u32)> =
        TEAMS.iter().map(|(code, _, weight)| ((*code).to_owned(), *weight)).collect();
    let people = (0..SYNTHETIC_SERIALS_END)
        .filter_map(NhsNumber::synthetic)
        .take(spec.adults_in_care)
        .enumerate()
        .map(|(index, nhs_number)| {
            person(&mut rng, index + 1, nhs_number, &team_weights, &providers)
        })
        .collect();
    Place { name: PLACE_NAME.to_owned(), residents: spec.residents, organisations, teams, people }
}

/// The place's organisations, commissioners first, and its providers' codes and weights.
fn organisations() -> (Vec<Organisation>, Providers) {
    let organisation = |code: &str, name: &str, kind| Organisation {
        code: code.to_owned(),
        name: name.to_owned(),
        kind,
    };
    let mut organisations = vec![
        // An ICB covers several boroughs, so is named for a wider area.
        organisation("ICB", "NHS Ashby and Calder Integrated Care Board", OrganisationKind::Icb),
        organisation("COUNCIL", COUNCIL_NAME, OrganisationKind::Council),
        // A metropolitan borough is its own housing authority; many run their homes and
        // adaptations through an arm's-length management organisation, which stands here
        // for the district council's housing role in two-tier areas.
        organisation("DISTRICT", "Ashby Vale Homes", OrganisationKind::District),
    ];
    let mut home_care = Vec::new();
    for (number, (name, weight)) in (1..).zip(HOME_CARE_AGENCIES) {
        let code = format!("PROV-HOMECARE-{number:02}");
        organisations.push(organisation(&code, name, OrganisationKind::HomeCare));
        home_care.push((code, weight));
    }
    let mut care_homes = Vec::new();
    for (number, (name, beds)) in (1..).zip(CARE_HOMES) {
        let code = format!("PROV-CAREHOME-{number:02}");
        organisations.push(organisation(&code, name, OrganisationKind::CareHome));
        care_homes.push((code, beds));
    }
    organisations.push(organisation(
        "PROV-REABLEMENT",
        "Ashby Vale Reablement Service",
        OrganisationKind::Reablement,
    ));
    let day_service = "PROV-DAYSERVICES".to_owned();
    organisations.push(organisation(
        &day_service,
        "Ashby Vale Day Opportunities",
        OrganisationKind::DayService,
    ));
    (organisations, Providers { home_care, care_homes, day_service })
}

/// One person, the `number`th (from 1).
fn person(
    rng: &mut StdRng,
    number: usize,
    nhs_number: NhsNumber,
    team_weights: &[(String, u32)],
    providers: &Providers,
) -> SyntheticPerson {
    let given_name = GIVEN_NAMES.choose(rng).copied().unwrap_or_default().to_owned();
    let family_name = FAMILY_NAMES.choose(rng).copied().unwrap_or_default().to_owned();
    let team = pick_weighted(rng, team_weights).cloned().unwrap_or_default();
    let older = rng.random_ratio(AGED_65_PLUS_PER_THOUSAND, 1000);
    let (youngest, oldest) =
        if older { pick_weighted(rng, &OLDER_AGE_BANDS).copied() } else { None }
            .unwrap_or(YOUNGER_AGES);
    let age_years = rng.random_range(youngest..=oldest);
    let birth_date = birth_date(rng, age_years);
    let care_home_per_thousand =
        if older { CARE_HOME_AGED_65_PLUS_PER_THOUSAND } else { CARE_HOME_YOUNGER_PER_THOUSAND };
    let setting = if rng.random_ratio(care_home_per_thousand, 1000) {
        Setting::CareHome
    } else {
        Setting::Home
    };
    let chc_per_thousand = match setting {
        Setting::CareHome => CHC_IN_CARE_HOME_PER_THOUSAND,
        Setting::Home => CHC_AT_HOME_PER_THOUSAND,
    };
    let funding = if rng.random_ratio(chc_per_thousand, 1000) {
        Funding::ContinuingHealthcare
    } else {
        Funding::SocialCare
    };
    let budget = budget(rng, setting, funding, providers);
    SyntheticPerson {
        code: format!("P{number:06}"),
        given_name,
        family_name,
        nhs_number,
        birth_date,
        team,
        setting,
        funding,
        budget,
    }
}

/// A birth date giving exactly `age_years` on [`AGES_ON`], any day of that year of life.
fn birth_date(rng: &mut StdRng, age_years: u32) -> NaiveDate {
    // Born on `latest`, the person turns `age_years` on AGES_ON; born the day after
    // `previous`, they turn `age_years + 1` the day after AGES_ON.
    let latest = AGES_ON.checked_sub_months(Months::new(12 * age_years));
    let previous = AGES_ON.checked_sub_months(Months::new(12 * (age_years + 1)));
    let (Some(latest), Some(previous)) = (latest, previous) else {
        debug_assert!(false, "ages up to 104 are well within the calendar");
        return AGES_ON;
    };
    let days_in_that_year = u64::try_from((latest - previous).num_days()).unwrap_or(365);
    latest.checked_sub_days(Days::new(rng.random_range(0..days_in_that_year))).unwrap_or(latest)
}

/// The person's budget, if they hold one, given where they live and who funds them.
fn budget(
    rng: &mut StdRng,
    setting: Setting,
    funding: Funding,
    providers: &Providers,
) -> Option<Budget> {
    let weekly_range = match (setting, funding) {
        (_, Funding::ContinuingHealthcare) => WEEKLY_CHC_PENCE,
        (Setting::CareHome, Funding::SocialCare) => WEEKLY_CARE_HOME_PENCE,
        (Setting::Home, Funding::SocialCare) => WEEKLY_HOME_SOCIAL_CARE_PENCE,
    };
    let home_care = |rng: &mut StdRng| pick_weighted(rng, &providers.home_care).cloned();
    let (mode, provider) = match (setting, funding) {
        // Care home placements are arranged with the home by the council (a managed
        // budget) or, for continuing healthcare, by the ICB (a notional budget the NHS
        // holds: continuing healthcare offers no council-managed mode).
        (Setting::CareHome, Funding::SocialCare) => {
            (DeliveryMode::Managed, pick_weighted(rng, &providers.care_homes).cloned())
        }
        (Setting::CareHome, Funding::ContinuingHealthcare) => {
            (DeliveryMode::Notional, pick_weighted(rng, &providers.care_homes).cloned())
        }
        (Setting::Home, Funding::ContinuingHealthcare) => {
            if !rng.random_ratio(CHC_AT_HOME_PERSONAL_HEALTH_BUDGET_PER_THOUSAND, 1000) {
                return None;
            }
            if rng.random_ratio(PERSONAL_HEALTH_BUDGET_DIRECT_PAYMENT_PER_THOUSAND, 1000) {
                (DeliveryMode::DirectPayment, None)
            } else {
                (DeliveryMode::Notional, home_care(rng))
            }
        }
        (Setting::Home, Funding::SocialCare) => {
            if !rng.random_ratio(HOME_SOCIAL_CARE_BUDGET_PER_THOUSAND, 1000) {
                return None;
            }
            if rng.random_ratio(DIRECT_PAYMENT_PER_THOUSAND, 1000) {
                (DeliveryMode::DirectPayment, None)
            } else if rng.random_ratio(INDIVIDUAL_SERVICE_FUND_PER_THOUSAND, 1000) {
                (DeliveryMode::IndividualServiceFund, home_care(rng))
            } else if rng.random_ratio(DAY_SERVICE_PER_THOUSAND, 1000) {
                (DeliveryMode::Managed, Some(providers.day_service.clone()))
            } else {
                (DeliveryMode::Managed, home_care(rng))
            }
        }
    };
    let (lowest, highest) = weekly_range;
    Some(Budget { mode, weekly: Money::from_pence(rng.random_range(lowest..=highest)), provider })
}

/// One of `choices`, each as likely as its weight. `None` only if the weights sum to zero.
fn pick_weighted<'a, T>(rng: &mut StdRng, choices: &'a [(T, u32)]) -> Option<&'a T> {
    let total: u32 = choices.iter().map(|(_, weight)| weight).sum();
    if total == 0 {
        return None;
    }
    let mut ticket = rng.random_range(0..total);
    for (choice, weight) in choices {
        if ticket < *weight {
            return Some(choice);
        }
        ticket -= weight;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// Counts over a place's people, for checking the mix.
    #[derive(Debug, Default)]
    struct Mix {
        people: usize,
        aged_65_plus: usize,
        in_care_homes: usize,
        chc: usize,
        chc_at_home: usize,
        personal_health_budgets_at_home: usize,
        budgets: usize,
        direct_payments: usize,
        individual_service_funds: usize,
        managed: usize,
        notional: usize,
    }

    fn mix(place: &Place) -> Mix {
        let mut mix = Mix { people: place.people.len(), ..Mix::default() };
        for person in &place.people {
            mix.aged_65_plus += usize::from(person.age_years(AGES_ON).unwrap() >= 65);
            mix.in_care_homes += usize::from(person.setting == Setting::CareHome);
            let chc = person.funding == Funding::ContinuingHealthcare;
            mix.chc += usize::from(chc);
            if chc && person.setting == Setting::Home {
                mix.chc_at_home += 1;
                mix.personal_health_budgets_at_home += usize::from(person.budget.is_some());
            }
            if let Some(budget) = &person.budget {
                mix.budgets += 1;
                match budget.mode {
                    DeliveryMode::DirectPayment => mix.direct_payments += 1,
                    DeliveryMode::IndividualServiceFund => mix.individual_service_funds += 1,
                    DeliveryMode::Managed => mix.managed += 1,
                    DeliveryMode::Notional => mix.notional += 1,
                }
            }
        }
        mix
    }

    fn per_cent(part: usize, whole: usize) -> f64 {
        part as f64 * 100.0 / whole as f64
    }

    #[test]
    fn the_same_seed_gives_the_same_place() {
        let spec = PlaceSpec::default();
        assert_eq!(build(&spec), build(&spec));
    }

    #[test]
    fn another_seed_gives_another_place() {
        let one = build(&PlaceSpec::default());
        let other = build(&PlaceSpec { seed: 7, ..PlaceSpec::default() });
        assert_eq!(one.people.len(), other.people.len());
        assert_ne!(one.people, other.people);
        let same_birth_dates =
            one.people.iter().zip(&other.people).filter(|(a, b)| a.birth_date == b.birth_date);
        assert!(same_birth_dates.count() < 50);
        // The organisations and teams are the borough's, whatever the seed.
        assert_eq!(one.organisations, other.organisations);
        assert_eq!(one.teams, other.teams);
    }

    #[test]
    fn the_default_mix_is_within_the_documented_ranges() {
        let place = build(&PlaceSpec::default());
        let mix = mix(&place);
        assert_eq!(mix.people, 2_500, "{mix:?}");
        assert_eq!(place.residents, 231_000);
        let budgets = per_cent(mix.budgets, mix.people);
        assert!((70.0..=80.0).contains(&budgets), "{budgets}% hold budgets: {mix:?}");
        assert!((250..=450).contains(&mix.direct_payments), "{mix:?}");
        assert!((5..=25).contains(&mix.individual_service_funds), "{mix:?}");
        let chc = per_cent(mix.chc, mix.people);
        assert!((5.0..=11.0).contains(&chc), "{chc}% CHC: {mix:?}");
        let older = per_cent(mix.aged_65_plus, mix.people);
        assert!((60.0..=75.0).contains(&older), "{older}% aged 65+: {mix:?}");
        let care_homes = per_cent(mix.in_care_homes, mix.people);
        assert!((20.0..=30.0).contains(&care_homes), "{care_homes}% in care homes: {mix:?}");
        let phb = per_cent(mix.personal_health_budgets_at_home, mix.chc_at_home);
        assert!((35.0..=65.0).contains(&phb), "{phb}% of CHC at home hold a PHB: {mix:?}");
        assert!(mix.notional > 0 && mix.managed > mix.direct_payments, "{mix:?}");
    }

    #[test]
    fn other_seeds_keep_the_mix_in_range() {
        for seed in 0..6 {
            let mix = mix(&build(&PlaceSpec { seed, ..PlaceSpec::default() }));
            let budgets = per_cent(mix.budgets, mix.people);
            assert!((70.0..=80.0).contains(&budgets), "seed {seed}: {mix:?}");
            assert!((250..=450).contains(&mix.direct_payments), "seed {seed}: {mix:?}");
            assert!((5..=25).contains(&mix.individual_service_funds), "seed {seed}: {mix:?}");
            assert!((5.0..=11.0).contains(&per_cent(mix.chc, mix.people)), "seed {seed}");
            assert!((60.0..=75.0).contains(&per_cent(mix.aged_65_plus, mix.people)));
        }
    }

    #[test]
    fn nhs_numbers_are_valid_synthetic_and_distinct() {
        let place = build(&PlaceSpec::default());
        let mut seen = HashSet::new();
        for person in &place.people {
            let number = person.nhs_number;
            assert_eq!(NhsNumber::parse(&number.compact()).unwrap(), number);
            assert!(number.is_synthetic_range(), "{number}");
            assert!(seen.insert(number), "{number} twice");
        }
    }

    #[test]
    fn person_codes_are_distinct_and_numbered_from_one() {
        let place = build(&PlaceSpec::default());
        let codes: HashSet<&str> = place.people.iter().map(|p| p.code.as_str()).collect();
        assert_eq!(codes.len(), place.people.len());
        assert_eq!(place.people[0].code, "P000001");
        assert_eq!(place.people[2_499].code, "P002500");
    }

    #[test]
    fn organisations_have_the_expected_codes() {
        let place = build(&PlaceSpec::default());
        let codes: Vec<&str> = place.organisations.iter().map(|o| o.code.as_str()).collect();
        let distinct: HashSet<&str> = codes.iter().copied().collect();
        assert_eq!(distinct.len(), codes.len());
        for (code, kind) in [
            ("ICB", OrganisationKind::Icb),
            ("COUNCIL", OrganisationKind::Council),
            ("DISTRICT", OrganisationKind::District),
            ("PROV-HOMECARE-01", OrganisationKind::HomeCare),
            ("PROV-HOMECARE-08", OrganisationKind::HomeCare),
            ("PROV-CAREHOME-01", OrganisationKind::CareHome),
            ("PROV-CAREHOME-06", OrganisationKind::CareHome),
            ("PROV-REABLEMENT", OrganisationKind::Reablement),
            ("PROV-DAYSERVICES", OrganisationKind::DayService),
        ] {
            assert_eq!(place.organisation(code).map(|o| o.kind), Some(kind), "{code}");
        }
        assert_eq!(codes.len(), 3 + 8 + 6 + 1 + 1);
        for organisation in &place.organisations {
            assert_eq!(organisation.kind.is_provider(), organisation.code.starts_with("PROV-"));
        }
        let teams: Vec<&str> = place.teams.iter().map(|t| t.code.as_str()).collect();
        assert_eq!(teams, ["TEAM-NORTH", "TEAM-SOUTH", "TEAM-EAST", "TEAM-WEST"]);
    }

    #[test]
    fn every_reference_resolves_and_fits_the_person() {
        let place = build(&PlaceSpec::default());
        let teams: HashSet<&str> = place.teams.iter().map(|t| t.code.as_str()).collect();
        for person in &place.people {
            assert!(teams.contains(person.team.as_str()), "{person:?}");
            let Some(budget) = &person.budget else {
                continue;
            };
            let provider = budget.provider.as_deref().map(|code| place.organisation(code));
            match (budget.mode, person.setting, provider) {
                (DeliveryMode::DirectPayment, Setting::Home, None) => {}
                (
                    DeliveryMode::Managed | DeliveryMode::Notional,
                    Setting::CareHome,
                    Some(Some(home)),
                ) => {
                    assert_eq!(home.kind, OrganisationKind::CareHome);
                    assert_eq!(
                        budget.mode == DeliveryMode::Notional,
                        person.funding == Funding::ContinuingHealthcare,
                        "{person:?}"
                    );
                }
                (_, Setting::Home, Some(Some(provider))) => {
                    assert!(
                        matches!(
                            provider.kind,
                            OrganisationKind::HomeCare | OrganisationKind::DayService
                        ),
                        "{person:?}"
                    );
                }
                _ => panic!("budget does not fit the person: {person:?}"),
            }
            if budget.mode == DeliveryMode::Notional {
                assert_eq!(person.funding, Funding::ContinuingHealthcare);
            }
            let pence = budget.weekly.pence();
            let (lowest, highest) = match (person.setting, person.funding) {
                (_, Funding::ContinuingHealthcare) => (800 * 100, 2_000 * 100),
                (Setting::CareHome, Funding::SocialCare) => (700 * 100, 1_100 * 100),
                (Setting::Home, Funding::SocialCare) => (150 * 100, 700 * 100),
            };
            assert!((lowest..=highest).contains(&pence), "{person:?}");
        }
    }

    #[test]
    fn everyone_is_an_adult_and_no_older_than_104() {
        let place = build(&PlaceSpec::default());
        for person in &place.people {
            let age = person.age_years(AGES_ON).unwrap();
            assert!((18..=104).contains(&age), "{person:?}");
        }
        let ages: HashSet<u32> =
            place.people.iter().map(|p| p.age_years(AGES_ON).unwrap()).collect();
        assert!(ages.contains(&18) && ages.iter().any(|&age| age >= 100), "{ages:?}");
    }

    #[test]
    fn birth_dates_give_exactly_the_age_drawn() {
        let mut rng = StdRng::seed_from_u64(1);
        for age in [18, 40, 65, 100, 104] {
            for _ in 0..200 {
                assert_eq!(AGES_ON.years_since(birth_date(&mut rng, age)), Some(age));
            }
        }
    }

    #[test]
    fn name_lists_have_no_repeats() {
        assert_eq!(GIVEN_NAMES.iter().collect::<HashSet<_>>().len(), GIVEN_NAMES.len());
        assert_eq!(FAMILY_NAMES.iter().collect::<HashSet<_>>().len(), FAMILY_NAMES.len());
    }

    #[test]
    fn a_larger_place_has_distinct_nhs_numbers() {
        let people = build(&PlaceSpec { adults_in_care: 50_000, ..PlaceSpec::default() }).people;
        assert_eq!(people.len(), 50_000);
        let numbers: HashSet<NhsNumber> = people.iter().map(|p| p.nhs_number).collect();
        assert_eq!(numbers.len(), 50_000);
    }
}
