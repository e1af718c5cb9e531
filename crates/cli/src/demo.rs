//! `onebudget demo`: a deterministic synthetic place in the database, built once into an
//! empty database, so a newcomer can sign in as each role and see money flow from funders
//! through a Better Care Fund pool to people's budgets and on to providers.
//!
//! The place is `onebudget_sim::place` (a fictional metropolitan borough of about 231,000
//! residents with 2,500 adults receiving care, synthetic names and NHS numbers from the
//! 999 test range). This module turns it into organisations, teams, people, funding
//! streams and accounts, imports every budget the place gives as version 1 of the
//! person's budget (from April 2024), and adds one demo login per role; `demo_budgets`
//! then pays every budget for two financial years (April 2024 to March 2026) as its
//! versions say. Demo logins exist only in a database this command built.

use anyhow::Context;
use chrono::{Datelike, NaiveDate};
use indicatif::{ProgressBar, ProgressStyle};
use onebudget_core::budget::plan::{ImportedComponent, Status};
use onebudget_core::ledger::{
    AccountInput, FundingStreamInput, OpenRecord, OpenRecordInput, OwnerInput, Transfer,
    TransferInput,
};
use onebudget_core::money::Money;
use onebudget_sim::place::{self, DeliveryMode, Funding, OrganisationKind, PlaceSpec, Setting};
use onebudget_store::{BudgetImport, NewUser, OrganisationRecord, PersonRecord, Store, TeamRecord};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The demo's sign-in for each role: (user name, display name, role, password). The
/// passwords are printed by the demo and written in the README: they are for a database
/// of synthetic people only.
pub const DEMO_LOGINS: [(&str, &str, &str, &str); 7] = [
    ("citizen", "", "citizen", "demo-citizen"),
    ("practitioner", "Priya Shah, North team social worker", "practitioner", "demo-practitioner"),
    ("finance", "Tom Okafor, council finance officer", "finance", "demo-finance"),
    ("icb-finance", "Amara Osei, ICB finance officer", "finance", "demo-icb-finance"),
    ("commissioner", "Helen Price, joint commissioner", "commissioner", "demo-commissioner"),
    ("admin", "Sam Lee, system administrator", "admin", "demo-admin"),
    ("auditor", "Ruth Evans, internal auditor", "auditor", "demo-auditor"),
];

fn stream(code: &str, name: &str, owner: &str, basis: &str) -> OpenRecordInput {
    OpenRecordInput::FundingStream(FundingStreamInput {
        code: code.into(),
        name: Some(name.into()),
        owner: owner.into(),
        charging_basis: basis.into(),
    })
}

fn account(
    code: &str,
    name: &str,
    kind: &str,
    organisation: Option<&str>,
    person: Option<&str>,
    stream: Option<&str>,
    negative: bool,
) -> OpenRecordInput {
    OpenRecordInput::Account(AccountInput {
        code: code.into(),
        name: Some(name.into()),
        kind: kind.into(),
        owner: OwnerInput {
            organisation: organisation.map(str::to_owned),
            person: person.map(str::to_owned),
        },
        stream: stream.map(str::to_owned),
        may_go_negative: negative,
    })
}

/// Build the demo place if the database has no accounts yet; returns a summary line.
pub fn build(store: &Store, seed: u64) -> anyhow::Result<String> {
    ensure_pseudonym_key(store)?;
    if !store.accounts()?.is_empty() {
        return Ok(format!(
            "using the existing data in {} ({} transfers, {} people); delete it to rebuild the demo",
            store.description(),
            store.transfer_count()?,
            store.people_count()?
        ));
    }
    let started = std::time::Instant::now();
    // Each phase's time, for `ONEBUDGET_LOG=debug` (what the demo's build costs, phase by
    // phase).
    let mut phase_started = started;
    let mut phase_done = |phase: &str| {
        tracing::debug!(phase, seconds = phase_started.elapsed().as_secs_f64(), "demo phase built");
        phase_started = std::time::Instant::now();
    };
    let progress = ProgressBar::new(7);
    progress.set_style(
        ProgressStyle::with_template(
            "{spinner} building the demo place [{bar:30}] {pos}/{len} {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    progress.set_message("people");
    let place = place::build(&PlaceSpec { seed, ..PlaceSpec::default() });
    let organisations: Vec<OrganisationRecord> = place
        .organisations
        .iter()
        .map(|o| OrganisationRecord {
            code: o.code.clone(),
            name: o.name.clone(),
            kind: organisation_kind(o.kind).to_owned(),
        })
        .collect();
    let teams: Vec<TeamRecord> = place
        .teams
        .iter()
        .map(|t| TeamRecord { code: t.code.clone(), name: t.name.clone() })
        .collect();
    let people: Vec<PersonRecord> = place
        .people
        .iter()
        .map(|p| PersonRecord {
            code: p.code.clone(),
            given_name: p.given_name.clone(),
            family_name: p.family_name.clone(),
            nhs_number: p.nhs_number.compact(),
            birth_date: p.birth_date,
            team: p.team.clone(),
            setting: match p.setting {
                Setting::Home => "home",
                Setting::CareHome => "care_home",
            }
            .to_owned(),
            funding: match p.funding {
                Funding::SocialCare => "social_care",
                Funding::ContinuingHealthcare => "continuing_healthcare",
            }
            .to_owned(),
        })
        .collect();
    store.add_people(&organisations, &teams, &people)?;
    progress.inc(1);
    phase_done("people");

    progress.set_message("accounts");
    let mut rng = StdRng::seed_from_u64(seed);
    let mut inputs = vec![
        stream("ASC", "Adult social care", "COUNCIL", "means_tested"),
        stream("CHC", "NHS continuing healthcare", "ICB", "free_at_point_of_use"),
        stream("PHB", "Personal health budgets", "ICB", "free_at_point_of_use"),
        stream("DFG", "Disabled Facilities Grant", "COUNCIL", "means_tested"),
        stream("BCF", "Better Care Fund", "ICB", "free_at_point_of_use"),
        account(
            "COUNCIL-ASC",
            "Council adult social care budget",
            "funding",
            Some("COUNCIL"),
            None,
            Some("ASC"),
            true,
        ),
        account(
            "ICB-CHC",
            "ICB continuing healthcare budget",
            "funding",
            Some("ICB"),
            None,
            Some("CHC"),
            true,
        ),
        account(
            "ICB-PHB",
            "ICB personal health budgets",
            "funding",
            Some("ICB"),
            None,
            Some("PHB"),
            true,
        ),
        account(
            "COUNCIL-DFG",
            "Disabled Facilities Grant allocation",
            "funding",
            Some("COUNCIL"),
            None,
            Some("DFG"),
            true,
        ),
        account(
            "ICB-BCF",
            "ICB Better Care Fund contribution",
            "funding",
            Some("ICB"),
            None,
            Some("BCF"),
            true,
        ),
        account(
            "DISTRICT-DFG",
            "Housing body adaptations",
            "expenditure",
            Some("DISTRICT"),
            None,
            Some("DFG"),
            false,
        ),
        account(
            "DP-SPEND",
            "Spending from direct payments",
            "expenditure",
            Some("COUNCIL"),
            None,
            None,
            false,
        ),
    ];
    for provider in place.organisations.iter().filter(|o| o.kind.is_provider()) {
        inputs.push(account(
            &provider.code,
            &provider.name,
            "provider",
            Some(&provider.code),
            None,
            None,
            false,
        ));
    }
    for line in crate::demo_pools::RECORDS.lines().filter(|l| !l.trim().is_empty()) {
        inputs.push(serde_json::from_str(line).context("the demo's pool accounts")?);
    }
    let records: Vec<OpenRecord> =
        inputs.iter().map(OpenRecord::try_from).collect::<Result<_, _>>()?;
    store.open_records(&records).map_err(|e| anyhow::anyhow!("{e}"))?;
    progress.inc(1);
    phase_done("accounts");

    // Every budget the place gives is a budget version from the start of the demo's
    // history: one component in the stream that funds it, at the place's weekly amount
    // and delivery mode, as a council brings its budgets over from its case-management
    // system.
    progress.set_message("personal budgets");
    let scheme = onebudget_core::budget::config::Scheme::ashby_vale()
        .map_err(|e| anyhow::anyhow!("the personal-budget scheme: {e}"))?;
    let history_start = crate::demo_budgets::history_start()?;
    let imports: Vec<BudgetImport> = place
        .people
        .iter()
        .filter_map(|person| {
            let budget = person.budget.as_ref()?;
            Some(BudgetImport {
                person: person.code.clone(),
                effective_from: history_start,
                status: Status::Active,
                components: vec![ImportedComponent {
                    stream: stream_of(person.funding).to_owned(),
                    weekly: budget.weekly,
                    mode: budget.mode,
                    provider: budget.provider.clone(),
                }],
                source: "the council's case-management system".to_owned(),
            })
        })
        .collect();
    store
        .import_budgets(&scheme, &imports, "admin")
        .map_err(|e| anyhow::anyhow!("the demo's personal budgets: {e}"))?;
    progress.inc(1);
    phase_done("personal budgets");

    progress.set_message("the Disabled Facilities Grant");
    let mut transfers = Vec::new();
    for month in 0..24u32 {
        let year = 2024 + i32::try_from((3 + month) / 12).unwrap_or(0);
        let date = NaiveDate::from_ymd_opt(year, (3 + month) % 12 + 1, 1).context("month")?;
        let tag = format!("{}-{:02}", date.year(), date.month());
        let dfg = Money::from_pence(rng.random_range(9_000_000..14_000_000));
        transfers.push(Transfer::try_from(&TransferInput {
            idempotency_key: format!("demo-{tag}-dfg"),
            from: "COUNCIL-DFG".into(),
            to: "DISTRICT-DFG".into(),
            amount: dfg.to_plain_string(),
            stream: "DFG".into(),
            effective_date: date.format("%Y-%m-%d").to_string(),
            reason: "allocation".into(),
            memo: format!("Disabled Facilities Grant passed to the housing body {tag}"),
            reverses: None,
        })?);
    }
    let posted = store.post(&transfers).map_err(|e| anyhow::anyhow!("{e}"))?;
    progress.inc(1);
    phase_done("the Disabled Facilities Grant");

    progress.set_message("demo logins");
    add_demo_logins(store, &place)?;
    progress.inc(1);
    phase_done("demo logins");

    progress.set_message("the Better Care Fund and an aligned budget");
    let pool_transfers = crate::demo_pools::build(store)?;
    progress.inc(1);
    phase_done("the Better Care Fund and an aligned budget");

    progress.set_message("integrated budgets and two years of payments");
    let integrated = crate::demo_budgets::chosen(&place);
    let budget_transfers = crate::demo_budgets::build(store, &scheme, &integrated, seed)?;
    progress.inc(1);
    phase_done("integrated budgets and two years of payments");
    // After a bulk load the planner's statistics are those of near-empty tables.
    store.refresh_statistics(true)?;
    progress.finish_and_clear();
    Ok(format!(
        "built {} in {} in {:.1} s: {} residents, {} adults receiving care ({} with a personal budget, {} of them integrated from April 2025), {} organisations, {} accounts, {} transfers over April 2024 to March 2026",
        place.name,
        store.description(),
        started.elapsed().as_secs_f64(),
        place.residents,
        place.people.len(),
        imports.len(),
        integrated.len(),
        organisations.len(),
        store.accounts()?.len(),
        posted.len() + pool_transfers + budget_transfers
    ))
}

/// The demo council's name, which its pages carry in their header.
pub const COUNCIL_NAME: &str = onebudget_sim::place::COUNCIL_NAME;

fn organisation_kind(kind: OrganisationKind) -> &'static str {
    match kind {
        OrganisationKind::Icb => "integrated_care_board",
        OrganisationKind::Council => "council",
        OrganisationKind::District => "housing_body",
        OrganisationKind::HomeCare => "home_care_provider",
        OrganisationKind::CareHome => "care_home",
        OrganisationKind::Reablement => "reablement_service",
        OrganisationKind::DayService => "day_service",
    }
}

/// The scheme's stream that funds a person's budget: adult social care, or NHS continuing
/// healthcare (a personal health budget at home, a placement in a care home).
fn stream_of(funding: Funding) -> &'static str {
    match funding {
        Funding::SocialCare => "ASC",
        Funding::ContinuingHealthcare => "CHC",
    }
}

/// One login per role, and a second finance officer for the ICB. The citizen is the first person on the North team with a direct
/// payment; the practitioner works on the North team. Also a service account for the
/// council's finance system, with no token yet (an administrator issues one).
fn add_demo_logins(store: &Store, place: &place::Place) -> anyhow::Result<()> {
    let citizen = place
        .people
        .iter()
        .find(|p| {
            p.team == "TEAM-NORTH"
                && p.budget.as_ref().is_some_and(|b| b.mode == DeliveryMode::DirectPayment)
        })
        .context("the demo place has nobody on the North team with a direct payment")?;
    let citizen_name = format!("{} {}", citizen.given_name, citizen.family_name);
    for (username, display_name, role, password) in DEMO_LOGINS {
        let hash = onebudget_web::auth::hash_password(password)?;
        let display_name = if role == "citizen" { citizen_name.as_str() } else { display_name };
        store.create_user(&NewUser {
            username,
            display_name,
            role,
            kind: "person",
            password_hash: Some(&hash),
            person_code: (role == "citizen").then_some(citizen.code.as_str()),
            team: (role == "practitioner").then_some("TEAM-NORTH"),
            // Each finance officer works for one partner of the Better Care Fund, and
            // confirms its settlement for that partner.
            organisation: match username {
                "finance" => Some("COUNCIL"),
                "icb-finance" => Some("ICB"),
                _ => None,
            },
        })?;
    }
    store.create_user(&NewUser {
        username: "council-finance-system",
        display_name: "Council finance system (service account)",
        role: "finance",
        kind: "service",
        password_hash: None,
        person_code: None,
        team: None,
        organisation: Some("COUNCIL"),
    })?;
    Ok(())
}

/// What to tell the person who started the demo.
/// What the demo's guide names: where it serves, the database it opened (a password
/// shown as `***`), and where `/metrics` is served, if anywhere.
pub struct Guide<'a> {
    pub url: &'a str,
    pub database_url: &'a str,
    pub metrics_url: Option<&'a str>,
}

pub fn guide(guide: &Guide<'_>) -> String {
    let Guide { url, database_url, metrics_url } = guide;
    let mut logins = String::new();
    for (username, _, role, password) in DEMO_LOGINS {
        logins.push_str(&format!("\n  {role:<13} user name {username:<13} password {password}"));
    }
    let metrics = match metrics_url {
        Some(metrics_url) => (*metrics_url).to_owned(),
        None => "off; start with --metrics-listen 127.0.0.1:9464 to serve it there".to_owned(),
    };
    let password_note = if database_url.contains(":***@") {
        "\n(put the database password where *** is)"
    } else {
        ""
    };
    format!(
        "onebudget demo is running on {url}\n\
         \nSign in at {url}/sign-in as any role (demo logins; synthetic people only):{logins}\
         \n\n  what might I pay?    {url}/check-what-you-might-pay\
         \n  health check         {url}/health\
         \n  metrics              {metrics}\
         \n  API description      {url}/api/openapi.json\
         \n\nThe JSON API needs a session or a bearer token: issue one with\
         \n  onebudget --database-url '{database_url}' token issue --user council-finance-system --scopes ledger:read{password_note}\
         \n\nPress Ctrl-C to stop."
    )
}

/// Give a demo database its own pseudonymisation secret, kept in it, if it has none: 32
/// bytes from the operating system's random source (`rand::rng`, ChaCha seeded from the
/// OS), so `onebudget events import` and `POST /api/events/import` work on the demo with no
/// setting (ARCHITECTURE.md, "Evidence events"). A real deployment gives its secret in
/// `ONEBUDGET_PSEUDONYM_KEY` instead, which wins over this one.
fn ensure_pseudonym_key(store: &Store) -> anyhow::Result<()> {
    use rand::RngCore;
    if store.demo_pseudonym_key()?.is_some() {
        return Ok(());
    }
    let mut bytes = [0_u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    store.set_demo_pseudonym_key(&hex)?;
    Ok(())
}
