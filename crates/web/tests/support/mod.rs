//! What the web crate's test binaries share: the real server (`onebudget_web::serve`) on
//! 127.0.0.1:0 over a fresh SQLite file, stopped gracefully at the end of each test, and
//! [`machine_client`], a service account with a bearer token for the JSON API.
//! `tests/api.rs` has its own server, which also runs on PostgreSQL.

use std::time::Duration;

use onebudget_store::Store;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A running server over its own fresh SQLite database.
pub struct Server {
    pub base: String,
    /// The database, for setting up users and reading the audit log directly.
    pub store: Store,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<anyhow::Result<()>>>,
    _dir: tempfile::TempDir,
}

impl Server {
    pub async fn start() -> Server {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let url = format!("sqlite://{}", dir.path().join("onebudget.db").display());
        Server::start_with(&url, dir, onebudget_web::Settings::default()).await
    }

    /// Start on an existing database URL (the directory is kept until the end).
    pub async fn start_with(
        url: &str,
        dir: tempfile::TempDir,
        settings: onebudget_web::Settings,
    ) -> Server {
        let url = url.to_owned();
        let store = tokio::task::spawn_blocking(move || Store::open(&url))
            .await
            .expect("open task")
            .expect("open the store");
        let listener =
            tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1:0");
        let base = format!("http://{}", listener.local_addr().expect("local address"));
        let (stop, stopped) = oneshot::channel::<()>();
        let server =
            tokio::spawn(onebudget_web::serve(store.clone(), settings, listener, async move {
                let _ = stopped.await;
            }));
        Server { base, store, stop: Some(stop), server: Some(server), _dir: dir }
    }

    /// Stop the server gracefully and check it stopped cleanly.
    pub async fn finish(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            let result = tokio::time::timeout(Duration::from_secs(30), server)
                .await
                .expect("the server stops within 30 s")
                .expect("the server task");
            result.expect("the server stops without error");
        }
    }
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
        delivery_mode: Some("direct_payment".into()),
        weekly_budget_pence: Some(30_000),
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
