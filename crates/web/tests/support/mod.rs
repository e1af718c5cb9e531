//! The one harness every web test binary uses: the real server (`onebudget_web::serve`)
//! on 127.0.0.1:0 over a fresh database of either backend ([`Server::on`]: SQLite in a
//! temporary directory, or PostgreSQL created on `ONEBUDGET_TEST_POSTGRES_URL` by
//! `onebudget_store::testing::TestDatabase`, which fails the test rather than skipping it
//! when `ONEBUDGET_TEST_REQUIRE_POSTGRES` is set), stopped gracefully at the end of each
//! test; [`machine_client`], a service account with a bearer token for the JSON API;
//! [`seed_place`], a small place with one login per role, and [`seed_pool`], a small
//! Better Care Fund on top of it with a closed year and a finance officer per partner.

use std::time::Duration;

use onebudget_store::Store;
use onebudget_store::testing::TestDatabase;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The database a test server runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A running server over its own fresh database.
pub struct Server {
    pub base: String,
    pub backend: Backend,
    /// The database, for setting up users and reading the audit log directly.
    pub store: Store,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<anyhow::Result<()>>>,
    database: Option<TestDatabase>,
    _dir: Option<tempfile::TempDir>,
}

impl Server {
    /// A server over a fresh SQLite database, with the default settings.
    pub async fn start() -> Server {
        Server::on(Backend::Sqlite, "a web test").await.expect("SQLite is always there")
    }

    /// A server over a fresh database of `backend`, or `None` (after saying why) when no
    /// PostgreSQL server was named and none is required.
    pub async fn on(backend: Backend, test: &str) -> Option<Server> {
        Server::on_with(backend, test, onebudget_web::Settings::default(), |_| {}).await
    }

    /// [`Server::on`] with `settings`, and `seed` run on the store before the server
    /// starts answering.
    pub async fn on_with(
        backend: Backend,
        test: &str,
        settings: onebudget_web::Settings,
        seed: impl FnOnce(&Store) + Send + 'static,
    ) -> Option<Server> {
        let test = test.to_owned();
        let database = tokio::task::spawn_blocking(move || match backend {
            Backend::Sqlite => Some(TestDatabase::sqlite()),
            Backend::Postgres => TestDatabase::postgres(&test),
        })
        .await
        .expect("the database task")?;
        let url = database.url.clone();
        let store = tokio::task::spawn_blocking(move || {
            let store = Store::open(&url).expect("open the store");
            seed(&store);
            store
        })
        .await
        .expect("open and seed the store");
        Some(Server::serve(store, backend, settings, Some(database), None).await)
    }

    /// Start on an existing database URL (the directory is kept until the end).
    pub async fn start_with(
        url: &str,
        dir: tempfile::TempDir,
        settings: onebudget_web::Settings,
    ) -> Server {
        let url = url.to_owned();
        let backend = if url.starts_with("sqlite:") { Backend::Sqlite } else { Backend::Postgres };
        let store = tokio::task::spawn_blocking(move || Store::open(&url))
            .await
            .expect("open task")
            .expect("open the store");
        Server::serve(store, backend, settings, None, Some(dir)).await
    }

    async fn serve(
        store: Store,
        backend: Backend,
        settings: onebudget_web::Settings,
        database: Option<TestDatabase>,
        dir: Option<tempfile::TempDir>,
    ) -> Server {
        let listener =
            tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1:0");
        let base = format!("http://{}", listener.local_addr().expect("local address"));
        let (stop, stopped) = oneshot::channel::<()>();
        let server =
            tokio::spawn(onebudget_web::serve(store.clone(), settings, listener, async move {
                let _ = stopped.await;
            }));
        Server { base, backend, store, stop: Some(stop), server: Some(server), database, _dir: dir }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Stop the server gracefully, check it stopped cleanly, and drop its database.
    pub async fn finish(self) {
        let Server { store, stop, server, database, _dir, .. } = self;
        // A PostgreSQL store must not be dropped on an async thread.
        tokio::task::spawn_blocking(move || drop(store)).await.expect("drop the store");
        if let Some(stop) = stop {
            let _ = stop.send(());
        }
        if let Some(server) = server {
            let result = tokio::time::timeout(Duration::from_secs(30), server)
                .await
                .expect("the server stops within 30 s")
                .expect("the server task");
            result.expect("the server stops without error");
        }
        tokio::task::spawn_blocking(move || drop(database)).await.expect("drop the database");
    }
}

/// One test per backend from one body: `on_both_backends!(name, …)` makes `sqlite::name`
/// and `postgresql::name`, each calling `super::spawn_app(backend)` (the test binary's own
/// way to start a server, returning `Option<TestApp>` with an async `finish`) and then
/// `super::name(&app)`. Without a PostgreSQL server the `postgresql` ones are skipped,
/// unless one is required (see `onebudget_store::testing`), when they fail.
#[macro_export]
macro_rules! on_both_backends {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let app = super::spawn_app(super::support::Backend::Sqlite)
                        .await
                        .expect("SQLite");
                    super::$test(&app).await;
                    app.finish().await;
                }
            )*
        }
        mod postgresql {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let Some(app) = super::spawn_app(super::support::Backend::Postgres).await
                    else {
                        return;
                    };
                    super::$test(&app).await;
                    app.finish().await;
                }
            )*
        }
    };
}

/// A service account of `role` with a bearer token carrying `scopes`, and an HTTP client
/// that sends it with every request.
pub fn machine_client(store: &Store, role: &str, scopes: &str) -> reqwest::Client {
    use std::sync::atomic::{AtomicU32, Ordering};
    static SERIAL: AtomicU32 = AtomicU32::new(0);
    let username = format!("test-system-{}", SERIAL.fetch_add(1, Ordering::Relaxed));
    let user = store
        .create_user(&onebudget_store::NewUser {
            username: &username,
            display_name: "Test system",
            role,
            kind: "service",
            password_hash: None,
            person_code: None,
            team: None,
            organisation: None,
        })
        .expect("a service account");
    let token = onebudget_web::auth::new_secret();
    store
        .create_token(
            user,
            "tests",
            "test",
            &onebudget_web::auth::secret_hash(&token),
            scopes,
            "2999-01-01T00:00:00.000000Z",
        )
        .expect("a token");
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        reqwest::header::HeaderValue::from_str(&format!("Bearer {token}")).expect("a header"),
    );
    reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .default_headers(headers)
        .build()
        .expect("an HTTP client")
}

/// The people, teams and logins the access tests use. P000001 is on the North team (the
/// practitioner's); P000002 on the South team, and is the citizen's own record.
pub const NORTH_PERSON: &str = "P000001";
pub const CITIZENS_OWN: &str = "P000002";

/// Every role's login in [`seed_place`]: (user name, password, role code).
pub const LOGINS: [(&str, &str, &str); 6] = [
    ("citizen", "citizen-password-1", "citizen"),
    ("practitioner", "practitioner-password-1", "practitioner"),
    ("finance", "finance-password-1", "finance"),
    ("commissioner", "commissioner-password-1", "commissioner"),
    ("admin", "admin-password-1", "admin"),
    ("auditor", "auditor-password-1", "auditor"),
];

/// A small place: a council, two teams, two people with a budget account each and a
/// month of money, and one login per role.
pub fn seed_place(store: &Store) {
    use onebudget_core::ledger::{OpenRecord, OpenRecordInput, Transfer, TransferInput};
    use onebudget_store::{OrganisationRecord, PersonRecord, TeamRecord};
    let person = |code: &str, team: &str, given: &str, family: &str, nhs: &str| PersonRecord {
        code: code.into(),
        given_name: given.into(),
        family_name: family.into(),
        nhs_number: nhs.into(),
        birth_date: chrono::NaiveDate::from_ymd_opt(1948, 3, 14).expect("a date"),
        team: team.into(),
        setting: "home".into(),
        funding: "social_care".into(),
    };
    store
        .add_people(
            &[OrganisationRecord {
                code: "COUNCIL".into(),
                name: "The council".into(),
                kind: "council".into(),
            }],
            &[
                TeamRecord { code: "TEAM-NORTH".into(), name: "North".into() },
                TeamRecord { code: "TEAM-SOUTH".into(), name: "South".into() },
            ],
            &[
                person(NORTH_PERSON, "TEAM-NORTH", "Alex", "Northcott", "9990000018"),
                person(CITIZENS_OWN, "TEAM-SOUTH", "Sam", "Southgate", "9990000026"),
            ],
        )
        .expect("people");
    let records: Vec<OpenRecordInput> = serde_json::from_value(serde_json::json!([
        {"type": "funding_stream", "code": "ASC", "owner": "COUNCIL", "charging_basis": "means_tested"},
        {"type": "account", "code": "COUNCIL-ASC", "kind": "funding", "owner": {"organisation": "COUNCIL"}, "stream": "ASC", "may_go_negative": true},
        {"type": "account", "code": "P000001-ASC", "kind": "personal_budget", "owner": {"person": NORTH_PERSON}, "stream": "ASC"},
        {"type": "account", "code": "P000002-ASC", "kind": "personal_budget", "owner": {"person": CITIZENS_OWN}, "stream": "ASC"},
    ]))
    .expect("records");
    let records: Vec<OpenRecord> =
        records.iter().map(|r| OpenRecord::try_from(r).expect("a record")).collect();
    store.open_records(&records).expect("open");
    let transfers: Vec<Transfer> = [("a", "P000001-ASC"), ("b", "P000002-ASC")]
        .iter()
        .map(|(key, to)| {
            Transfer::try_from(&TransferInput {
                idempotency_key: (*key).into(),
                from: "COUNCIL-ASC".into(),
                to: (*to).into(),
                amount: "1300.00".into(),
                stream: "ASC".into(),
                effective_date: "2025-04-01".into(),
                reason: "allocation".into(),
                memo: "Monthly budget 2025-04".into(),
                reverses: None,
            })
            .expect("a transfer")
        })
        .collect();
    store.post(&transfers).expect("post");
    for (username, password, role) in LOGINS {
        let hash = onebudget_web::auth::hash_password(password).expect("a hash");
        store
            .create_user(&onebudget_store::NewUser {
                username,
                display_name: if role == "citizen" { "Sam Southgate" } else { username },
                role,
                kind: "person",
                password_hash: Some(&hash),
                person_code: (role == "citizen").then_some(CITIZENS_OWN),
                team: (role == "practitioner").then_some("TEAM-NORTH"),
                organisation: (role == "finance").then_some("COUNCIL"),
            })
            .expect("a user");
    }
}

/// The pooled fund of [`seed_pool`]: its code and the year it starts in.
pub const POOL: &str = "BCF";
pub const POOL_YEAR: i32 = 2025;

/// The schemes of [`seed_pool`]: (code, name, account, lead, budget in pence, the ICB's
/// share of its funding in per cent; the council funds the rest).
pub const POOL_SCHEMES: [(&str, &str, &str, &str, i64, i64); 2] = [
    ("REABLEMENT", "Reablement and rehabilitation", "BCF-REABLEMENT", "COUNCIL", 7_000_000, 80),
    ("CARERS", "Carers' support", "BCF-CARERS", "ICB", 3_000_000, 20),
];

/// The payments [`seed_pool`] makes from the schemes: (scheme, date, pence). Each is
/// split between the partners' streams by its scheme's funding.
pub const POOL_PAYMENTS: [(&str, &str, i64); 4] = [
    ("REABLEMENT", "2025-09-20", 3_000_000),
    ("CARERS", "2025-10-20", 1_200_000),
    ("CARERS", "2026-03-10", 1_550_000),
    ("REABLEMENT", "2026-03-20", 3_500_000),
];

/// Each partner of [`seed_pool`]: (organisation, its funding account, its stream, the
/// account a settlement pays it into).
pub const POOL_PARTNERS: [(&str, &str, &str, &str); 2] = [
    ("ICB", "ICB-BCF", "BCF", "ICB-POOL-SETTLEMENT"),
    ("COUNCIL", "COUNCIL-IBCF", "IBCF", "COUNCIL-POOL-SETTLEMENT"),
];

/// A finance officer of each partner of [`seed_pool`]: (user name, password, organisation).
pub const POOL_FINANCE_LOGINS: [(&str, &str, &str); 2] = [
    ("council-finance", "council-finance-password-1", "COUNCIL"),
    ("icb-finance", "icb-finance-password-1", "ICB"),
];

/// A partner's share of `pence` for a scheme the ICB funds `icb_percent` of.
pub fn pool_part(pence: i64, icb_percent: i64, organisation: &str) -> i64 {
    let icb = pence * icb_percent / 100;
    assert_eq!(icb * 100, pence * icb_percent, "the fixture's amounts split exactly");
    if organisation == "ICB" { icb } else { pence - icb }
}

/// A small Better Care Fund on top of [`seed_place`]: the ICB (a second organisation), a
/// pooled agreement hosted by the council with the two [`POOL_SCHEMES`], every month's
/// contributions as the agreement profiles them, the [`POOL_PAYMENTS`], and the whole
/// 2025/26 year closed, so its settlement can be shown and confirmed. And a finance
/// officer of each partner ([`POOL_FINANCE_LOGINS`]). Every step goes through the store's
/// pool operations, as the CLI and the API do.
pub fn seed_pool(store: &Store) {
    use onebudget_core::ledger::{OpenRecord, OpenRecordInput};
    use onebudget_core::money::Money;
    use onebudget_core::pool::{
        AgreementInput, FinancialYear, PartnerInput, RiskShareInput, RuleInput, SchemeInput,
    };
    use onebudget_store::OrganisationRecord;
    store
        .add_people(
            &[OrganisationRecord {
                code: "ICB".into(),
                name: "The integrated care board".into(),
                kind: "icb".into(),
            }],
            &[],
            &[],
        )
        .expect("the ICB");
    let records: Vec<OpenRecordInput> = serde_json::from_value(serde_json::json!([
        {"type": "funding_stream", "code": "BCF", "name": "NHS Better Care Fund contribution", "owner": "ICB", "charging_basis": "free_at_point_of_use"},
        {"type": "funding_stream", "code": "IBCF", "name": "Improved Better Care Fund grant", "owner": "COUNCIL", "charging_basis": "means_tested"},
        {"type": "account", "code": "ICB-BCF", "name": "ICB Better Care Fund contribution", "kind": "funding", "owner": {"organisation": "ICB"}, "stream": "BCF", "may_go_negative": true},
        {"type": "account", "code": "COUNCIL-IBCF", "name": "Council Improved Better Care Fund grant", "kind": "funding", "owner": {"organisation": "COUNCIL"}, "stream": "IBCF", "may_go_negative": true},
        {"type": "account", "code": "ICB-POOL-SETTLEMENT", "name": "ICB pooled fund settlements", "kind": "funding", "owner": {"organisation": "ICB"}},
        {"type": "account", "code": "COUNCIL-POOL-SETTLEMENT", "name": "Council pooled fund settlements", "kind": "funding", "owner": {"organisation": "COUNCIL"}},
        {"type": "account", "code": "BCF-REABLEMENT", "name": "BCF scheme: reablement and rehabilitation", "kind": "pool", "owner": {"organisation": "COUNCIL"}},
        {"type": "account", "code": "BCF-CARERS", "name": "BCF scheme: carers' support", "kind": "pool", "owner": {"organisation": "COUNCIL"}},
        {"type": "account", "code": "PROV-CARE", "name": "Care provider", "kind": "provider", "owner": {"organisation": "COUNCIL"}},
    ]))
    .expect("records");
    let records: Vec<OpenRecord> =
        records.iter().map(|r| OpenRecord::try_from(r).expect("a record")).collect();
    store.open_records(&records).expect("open the pool's accounts");

    let pounds = |pence: i64| Money::from_pence(pence).to_plain_string();
    let share = |percent: i64| format!("{}.{:02}", percent / 100, percent % 100);
    let partners = POOL_PARTNERS
        .iter()
        .map(|(organisation, account, stream, settlement)| PartnerInput {
            organisation: (*organisation).into(),
            stream: (*stream).into(),
            account: (*account).into(),
            settlement_account: Some((*settlement).into()),
            annual_contribution: pounds(
                POOL_SCHEMES.iter().map(|s| pool_part(s.4, s.5, organisation)).sum::<i64>(),
            ),
            minimum_contribution: None,
            profile: None,
        })
        .collect();
    let schemes = POOL_SCHEMES
        .iter()
        .map(|(code, name, account, lead, budget, icb)| SchemeInput {
            code: (*code).into(),
            name: Some((*name).into()),
            account: (*account).into(),
            lead: (*lead).into(),
            planned_budget: pounds(*budget),
            funding: [("ICB".to_owned(), share(*icb)), ("COUNCIL".to_owned(), share(100 - icb))]
                .into(),
        })
        .collect();
    let proportional = RuleInput { rule: "proportional".into(), ..RuleInput::default() };
    let agreement = AgreementInput {
        pool: POOL.into(),
        name: Some("Ashby Vale Better Care Fund".into()),
        kind: "pooled".into(),
        host: "COUNCIL".into(),
        year: i64::from(POOL_YEAR),
        effective_from: format!("{POOL_YEAR}-04-01"),
        partners,
        schemes,
        risk_share: RiskShareInput { overspend: proportional.clone(), underspend: proportional },
        reserve_account: None,
    };
    store.record_agreement(&agreement, "council-finance").expect("the agreement");

    let year = FinancialYear::new("year", i64::from(POOL_YEAR)).expect("a year");
    for month in 1..=12 {
        let due = store.pool_contributions_due(POOL, year, month).expect("contributions due");
        store.post(&due).expect("post the contributions");
    }
    for (index, (scheme, date, pence)) in POOL_PAYMENTS.iter().enumerate() {
        let date = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").expect("a date");
        let transfers = store
            .pool_payment(
                POOL,
                year,
                scheme,
                "PROV-CARE",
                Money::from_pence(*pence),
                date,
                &format!("test/pool/payment/{index}"),
                "provider_payment",
                &format!("{scheme} care, {date}"),
            )
            .expect("a payment");
        store.post(&transfers).expect("post the payment");
    }
    store.close_pool_months(POOL, year, 12, "council-finance").expect("close the year");

    for (username, password, organisation) in POOL_FINANCE_LOGINS {
        let hash = onebudget_web::auth::hash_password(password).expect("a hash");
        store
            .create_user(&onebudget_store::NewUser {
                username,
                display_name: username,
                role: "finance",
                kind: "person",
                password_hash: Some(&hash),
                person_code: None,
                team: None,
                organisation: Some(organisation),
            })
            .expect("a finance officer");
    }
}

// ---------------------------------------------------------------------------------------
// Integrated personal budgets

/// A person on the practitioner's (North) team with no budget and no account yet, for the
/// practitioner's journey; and a person on the South team, with a login of their own, whose
/// budget [`seed_budget_citizen`] makes active and pays. (The people of [`seed_place`]
/// already hold accounts opened by hand, which a budget's own accounts would clash with.)
pub const BUDGET_PERSON: &str = "P000003";
pub const BUDGET_PERSON_NAME: &str = "Jo Budd";
pub const BUDGET_CITIZEN: &str = "P000004";
pub const BUDGET_CITIZEN_LOGIN: (&str, &str) = ("robin", "robin-password-1");

/// The date the fixture's assessments and budgets start, and the weeks it pays.
pub const BUDGET_START: &str = "2025-06-02";
pub const BUDGET_WEEKS_PAID: u32 = 4;

/// The citizen's financial assessment: a weekly charge in pence.
pub const BUDGET_CHARGE_PENCE: i64 = 3_000;

/// Needs assessment answers (domain, level); every other domain at its first level.
/// Social care outcomes: personal care (high), getting about and home (moderate); health:
/// clinical needs high, mental health moderate.
pub const BUDGET_ANSWERS: [(&str, &str); 5] = [
    ("personal_care", "needs_substantial_help"),
    ("mobility", "needs_help"),
    ("home", "needs_help"),
    ("health_clinical", "high"),
    ("mental_health", "moderate"),
];

/// The citizen's plan: (what, outcome, category, weekly cost in pence); both components
/// are direct payments.
pub const BUDGET_CITIZEN_LINES: [(&str, &str, &str, i64); 2] = [
    ("Personal assistant", "To get up and dressed each morning", "personal_care", 25_000),
    ("Cleaner", "A clean and safe home", "domestic", 6_000),
];

fn budget_date(text: &str) -> chrono::NaiveDate {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("a date")
}

/// The answers of [`BUDGET_ANSWERS`] to the questionnaire in force on `on`.
pub fn budget_answers(
    scheme: &onebudget_core::budget::config::Scheme,
    on: chrono::NaiveDate,
) -> onebudget_core::budget::needs::Answers {
    let questionnaire = scheme.questionnaire_on(on).expect("a questionnaire");
    let mut answers: onebudget_core::budget::needs::Answers = questionnaire
        .domains
        .iter()
        .map(|d| (d.code.clone(), d.levels.first().expect("a level").code.clone()))
        .collect();
    for (domain, level) in BUDGET_ANSWERS {
        answers.insert(domain.to_owned(), level.to_owned());
    }
    answers
}

/// On top of [`seed_place`]: the NHS personal health budget's stream and funding account,
/// the account direct payments are spent into, and the two people of [`BUDGET_PERSON`] and
/// [`BUDGET_CITIZEN`].
pub fn seed_budget_people(store: &Store) {
    use onebudget_core::ledger::{OpenRecord, OpenRecordInput};
    use onebudget_store::PersonRecord;
    let records: Vec<OpenRecordInput> = serde_json::from_value(serde_json::json!([
        {"type": "funding_stream", "code": "PHB", "name": "NHS personal health budget", "owner": "ICB", "charging_basis": "free_at_point_of_use"},
        {"type": "account", "code": "ICB-PHB", "name": "ICB personal health budgets", "kind": "funding", "owner": {"organisation": "ICB"}, "stream": "PHB", "may_go_negative": true},
        {"type": "account", "code": "DP-SPEND", "name": "Spending from direct payments", "kind": "expenditure", "owner": {"organisation": "COUNCIL"}},
    ]))
    .expect("records");
    let records: Vec<OpenRecord> =
        records.iter().map(|r| OpenRecord::try_from(r).expect("a record")).collect();
    store.open_records(&records).expect("open the budgets' accounts");
    let person = |code: &str, team: &str, given: &str, family: &str, nhs: &str| PersonRecord {
        code: code.into(),
        given_name: given.into(),
        family_name: family.into(),
        nhs_number: nhs.into(),
        birth_date: chrono::NaiveDate::from_ymd_opt(1951, 7, 9).expect("a date"),
        team: team.into(),
        setting: "home".into(),
        funding: "social_care".into(),
    };
    store
        .add_people(
            &[],
            &[],
            &[
                person(BUDGET_PERSON, "TEAM-NORTH", "Jo", "Budd", "9990000034"),
                person(BUDGET_CITIZEN, "TEAM-SOUTH", "Robin", "Southey", "9990000042"),
            ],
        )
        .expect("the budgets' people");
}

/// On top of [`seed_budget_people`]: [`BUDGET_CITIZEN`]'s needs assessment, a financial
/// assessment of [`BUDGET_CHARGE_PENCE`] a week, a budget made draft, agreed and active
/// from [`BUDGET_START`] with [`BUDGET_CITIZEN_LINES`] and both components as direct
/// payments, [`BUDGET_WEEKS_PAID`] weeks paid, and the person's login
/// ([`BUDGET_CITIZEN_LOGIN`]). Every step goes through the store's budget operations.
pub fn seed_budget_citizen(store: &Store) {
    use onebudget_core::budget::plan::{
        ComponentInput, DeliveryMode, LineInput, PlanInput, Status,
    };
    use onebudget_core::money::Money;
    let scheme = onebudget_core::budget::config::Scheme::ashby_vale().expect("the scheme");
    let start = budget_date(BUDGET_START);
    store
        .record_needs_assessment(
            &scheme,
            BUDGET_CITIZEN,
            start,
            None,
            &budget_answers(&scheme, start),
            "practitioner",
        )
        .expect("a needs assessment");
    store
        .record_assessment(&onebudget_store::NewAssessment {
            person_code: BUDGET_CITIZEN,
            recorded_by: "finance",
            nation: "england",
            effective_date: start,
            weekly_charge_pence: BUDGET_CHARGE_PENCE,
            case_json: "{}",
            explanation_json: "{}",
        })
        .expect("a financial assessment");
    let component = |stream: &str| ComponentInput {
        stream: stream.into(),
        agreed: None,
        reason: None,
        mode: DeliveryMode::DirectPayment,
        provider: None,
    };
    let plan = PlanInput {
        components: vec![component("PHB"), component("ASC")],
        lines: BUDGET_CITIZEN_LINES
            .iter()
            .map(|(what, outcome, category, pence)| LineInput {
                what: (*what).into(),
                outcome: (*outcome).into(),
                category: (*category).into(),
                provider: None,
                weekly_cost: Money::from_pence(*pence),
                streams: vec![],
                override_: None,
            })
            .collect(),
    };
    for (status, reason) in [
        (Status::Draft, "support planning"),
        (Status::Agreed, "agreed at panel"),
        (Status::Active, "payments start"),
    ] {
        let change = onebudget_store::BudgetChange {
            effective_from: start,
            status,
            needs_assessment: None,
            plan: plan.clone(),
            reason: reason.into(),
        };
        store
            .record_budget(&scheme, BUDGET_CITIZEN, &change, "practitioner")
            .expect("a budget version");
    }
    let payments = store.budget_payments(&scheme, start, BUDGET_WEEKS_PAID).expect("the payments");
    store.post(&payments).expect("post the payments");
    let hash = onebudget_web::auth::hash_password(BUDGET_CITIZEN_LOGIN.1).expect("a hash");
    store
        .create_user(&onebudget_store::NewUser {
            username: BUDGET_CITIZEN_LOGIN.0,
            display_name: "Robin Southey",
            role: "citizen",
            kind: "person",
            password_hash: Some(&hash),
            person_code: Some(BUDGET_CITIZEN),
            team: None,
            organisation: None,
        })
        .expect("the person's login");
}

/// A person on the practitioner's (North) team whose budget mixes delivery modes: the NHS
/// part as a direct payment, social care as an Individual Service Fund held by
/// [`BUDGET_PROVIDER`]. (P000005 is [`API_BUDGET_PERSON`].)
pub const BUDGET_MIXED: &str = "P000006";
pub const BUDGET_MIXED_NAME: &str = "Kit Mason";
/// The provider holding [`BUDGET_MIXED`]'s Individual Service Fund: its ledger account.
pub const BUDGET_PROVIDER: &str = "PROV-CARE";

/// On top of [`seed_budget_people`]: [`BUDGET_MIXED`] with a needs assessment of
/// [`BUDGET_ANSWERS`], no financial assessment (so nothing to pay), a budget active from
/// [`BUDGET_START`] with [`BUDGET_CITIZEN_LINES`] (the PHB component a direct payment, the
/// ASC component an Individual Service Fund held by [`BUDGET_PROVIDER`]), the provider's
/// account, and [`BUDGET_WEEKS_PAID`] weeks paid. Every step goes through the store.
pub fn seed_budget_mixed(store: &Store) {
    use onebudget_core::budget::plan::{
        ComponentInput, DeliveryMode, LineInput, PlanInput, Status,
    };
    use onebudget_core::ledger::{OpenRecord, OpenRecordInput};
    use onebudget_core::money::Money;
    let records: Vec<OpenRecordInput> = serde_json::from_value(serde_json::json!([
        {"type": "account", "code": BUDGET_PROVIDER, "name": "Care at Home Ltd", "kind": "provider", "owner": {"organisation": BUDGET_PROVIDER}},
    ]))
    .expect("records");
    let records: Vec<OpenRecord> =
        records.iter().map(|r| OpenRecord::try_from(r).expect("a record")).collect();
    store.open_records(&records).expect("open the provider's account");
    store
        .add_people(
            &[],
            &[],
            &[onebudget_store::PersonRecord {
                code: BUDGET_MIXED.into(),
                given_name: "Kit".into(),
                family_name: "Mason".into(),
                nhs_number: "9990000069".into(),
                birth_date: chrono::NaiveDate::from_ymd_opt(1953, 2, 11).expect("a date"),
                team: "TEAM-NORTH".into(),
                setting: "home".into(),
                funding: "social_care".into(),
            }],
        )
        .expect("the person");
    let scheme = onebudget_core::budget::config::Scheme::ashby_vale().expect("the scheme");
    let start = budget_date(BUDGET_START);
    store
        .record_needs_assessment(
            &scheme,
            BUDGET_MIXED,
            start,
            None,
            &budget_answers(&scheme, start),
            "practitioner",
        )
        .expect("a needs assessment");
    let component = |stream: &str, mode: DeliveryMode, provider: Option<&str>| ComponentInput {
        stream: stream.into(),
        agreed: None,
        reason: None,
        mode,
        provider: provider.map(str::to_owned),
    };
    let plan = PlanInput {
        components: vec![
            component("PHB", DeliveryMode::DirectPayment, None),
            component("ASC", DeliveryMode::IndividualServiceFund, Some(BUDGET_PROVIDER)),
        ],
        lines: BUDGET_CITIZEN_LINES
            .iter()
            .map(|(what, outcome, category, pence)| LineInput {
                what: (*what).into(),
                outcome: (*outcome).into(),
                category: (*category).into(),
                provider: None,
                weekly_cost: Money::from_pence(*pence),
                streams: vec![],
                override_: None,
            })
            .collect(),
    };
    for (status, reason) in [
        (Status::Draft, "support planning"),
        (Status::Agreed, "agreed at panel"),
        (Status::Active, "payments start"),
    ] {
        let change = onebudget_store::BudgetChange {
            effective_from: start,
            status,
            needs_assessment: None,
            plan: plan.clone(),
            reason: reason.into(),
        };
        store
            .record_budget(&scheme, BUDGET_MIXED, &change, "practitioner")
            .expect("a budget version");
    }
    let payments = store.budget_payments(&scheme, start, BUDGET_WEEKS_PAID).expect("the payments");
    store.post(&payments).expect("post the payments");
}

/// The person of [`seed_budget_api`]: on the North team (the seeded practitioner's), with
/// no budget yet, and their login (user name, password).
pub const API_BUDGET_PERSON: &str = "P000005";
pub const API_BUDGET_CITIZEN: (&str, &str) = ("ada", "ada-password-1");

/// For the budget API's journey, on top of [`seed_place`]: the NHS personal health
/// budget's stream and funding account and the account direct payments are spent into
/// (the same records as `seed_budget_people` opens, so the two may be combined), and
/// [`API_BUDGET_PERSON`] with their citizen login ([`API_BUDGET_CITIZEN`]).
pub fn seed_budget_api(store: &Store) {
    use onebudget_core::ledger::{OpenRecord, OpenRecordInput};
    use onebudget_store::PersonRecord;
    let records: Vec<OpenRecordInput> = serde_json::from_value(serde_json::json!([
        {"type": "funding_stream", "code": "PHB", "name": "NHS personal health budget", "owner": "ICB", "charging_basis": "free_at_point_of_use"},
        {"type": "account", "code": "ICB-PHB", "name": "ICB personal health budgets", "kind": "funding", "owner": {"organisation": "ICB"}, "stream": "PHB", "may_go_negative": true},
        {"type": "account", "code": "DP-SPEND", "name": "Spending from direct payments", "kind": "expenditure", "owner": {"organisation": "COUNCIL"}},
    ]))
    .expect("records");
    let records: Vec<OpenRecord> =
        records.iter().map(|r| OpenRecord::try_from(r).expect("a record")).collect();
    store.open_records(&records).expect("open the budget accounts");
    store
        .add_people(
            &[],
            &[],
            &[PersonRecord {
                code: API_BUDGET_PERSON.into(),
                given_name: "Ada".into(),
                family_name: "Budgetson".into(),
                nhs_number: "9990000050".into(),
                birth_date: chrono::NaiveDate::from_ymd_opt(1950, 1, 1).expect("a date"),
                team: "TEAM-NORTH".into(),
                setting: "home".into(),
                funding: "social_care".into(),
            }],
        )
        .expect("the person");
    let (username, password) = API_BUDGET_CITIZEN;
    let hash = onebudget_web::auth::hash_password(password).expect("a hash");
    store
        .create_user(&onebudget_store::NewUser {
            username,
            display_name: "Ada Budgetson",
            role: "citizen",
            kind: "person",
            password_hash: Some(&hash),
            person_code: Some(API_BUDGET_PERSON),
            team: None,
            organisation: None,
        })
        .expect("the citizen's login");
}

/// A signed-in session for an existing user (made without the sign-in form, for API
/// tests): a client that sends its cookie with every request.
pub fn session_client(store: &Store, username: &str) -> reqwest::Client {
    let user = store
        .users()
        .expect("users")
        .into_iter()
        .find(|u| u.username == username)
        .expect("the user exists");
    let token = onebudget_web::auth::new_secret();
    store
        .create_session(
            &onebudget_web::auth::secret_hash(&token),
            user.id,
            "csrf",
            "2999-01-01T00:00:00.000000Z",
        )
        .expect("a session");
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::COOKIE,
        reqwest::header::HeaderValue::from_str(&format!("onebudget_session={token}"))
            .expect("a header"),
    );
    reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .default_headers(headers)
        .build()
        .expect("an HTTP client")
}

/// Every answer to the public service "Check what you might pay" for a single pensioner
/// in England, 2024/25, care at home, posted as the check-answers page's "Work out my
/// estimate" button posts them: the estimate page.
pub fn valid_check_form() -> Vec<(&'static str, &'static str)> {
    vec![
        ("nation", "england"),
        ("setting", "non_residential"),
        ("year", "2024-25"),
        ("cost_of_care", "£450.00"),
        ("couple", "single"),
        ("lone_parent", "no"),
        ("children", "0"),
        ("savings", "£20,000"),
        ("pension_age", "yes"),
        ("pension_credit", ""),
        ("savings_credit", ""),
        ("state_pension", "230.25"),
        ("other_pensions", "120"),
        ("disability_benefit", "attendance_allowance_higher"),
        ("disability_benefit_amount", "110.40"),
        ("premiums", ""),
        ("housing_costs", "25.00"),
        ("disability_costs", ""),
        ("page", "check"),
        ("go", "estimate"),
    ]
}
