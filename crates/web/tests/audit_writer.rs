//! The group-commit audit writer under concurrent requests, on SQLite and on PostgreSQL:
//! every read of a person's record leaves exactly one audit row, committed (another
//! connection sees it) before the page is sent; and when the row cannot be written, the
//! page refuses to show the record, and the writer recovers once the database accepts
//! rows again.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

#[allow(dead_code)]
mod support;

use onebudget_store::testing::raw_sql;
use onebudget_store::{AuditFilter, Store};
use support::{CITIZENS_OWN, NORTH_PERSON, Server};

/// Requests sent at once, per route.
const REQUESTS: usize = 40;

/// What the citizen's page shows only with its audit row: the person's NHS number, and a
/// line of their statement.
const OWN_NHS_NUMBER: &str = "999 000 0026";
/// (The seeded April 2025 payment into their budget, as the citizen's page words it.)
const STATEMENT_LINE: &str = "The council paid this into your budget";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .expect("a runtime")
}

/// A signed-in client for `username` (the store blocks, so off the async threads).
async fn signed_in(server: &Server, username: &'static str) -> reqwest::Client {
    let store = server.store.clone();
    tokio::task::spawn_blocking(move || support::session_client(&store, username))
        .await
        .expect("a session")
}

async fn start(url: &str) -> Server {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let server = Server::start_with(url, dir, onebudget_web::Settings::default()).await;
    let store = server.store.clone();
    tokio::task::spawn_blocking(move || support::seed_place(&store)).await.expect("seed");
    server
}

/// The `read_person` rows for `person` with `target`, read through a connection of its
/// own (a fresh store on the same database), so only committed rows count.
async fn committed_reads(url: &str, person: &str, target: &str) -> usize {
    let url = url.to_owned();
    let filter = AuditFilter { person_code: Some(person.to_owned()), ..AuditFilter::default() };
    let target = target.to_owned();
    tokio::task::spawn_blocking(move || {
        let store = Store::open(&url).expect("a second store on the same database");
        let rows = store.audit_search(&filter, 100_000).expect("audit rows");
        rows.iter()
            .filter(|r| {
                r.entry.action == "read_person"
                    && r.entry.target == target
                    && r.entry.outcome == "allowed"
            })
            .count()
    })
    .await
    .expect("the audit query")
}

/// `REQUESTS` concurrent GETs of `path` by `client`: each status and body.
async fn all_at_once(client: &reqwest::Client, url: String) -> Vec<(u16, String)> {
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..REQUESTS {
        let client = client.clone();
        let url = url.clone();
        tasks.spawn(async move {
            let response = client.get(&url).send().await.expect("a response");
            let status = response.status().as_u16();
            (status, response.text().await.expect("a body"))
        });
    }
    let mut answers = Vec::new();
    while let Some(answer) = tasks.join_next().await {
        answers.push(answer.expect("a request task"));
    }
    answers
}

fn one_row_per_concurrent_read(url: &str) {
    runtime().block_on(async {
        let server = start(url).await;
        let citizen = signed_in(&server, "citizen").await;
        let practitioner = signed_in(&server, "practitioner").await;
        let (own, theirs) = tokio::join!(
            all_at_once(&citizen, format!("{}/my-budget", server.base)),
            all_at_once(&practitioner, format!("{}/people/{NORTH_PERSON}", server.base)),
        );
        for (status, body) in &own {
            assert_eq!(*status, 200, "{body}");
            assert!(body.contains(OWN_NHS_NUMBER) && body.contains(STATEMENT_LINE), "{body}");
        }
        for (status, body) in &theirs {
            assert_eq!(*status, 200, "{body}");
        }
        assert_eq!(committed_reads(url, CITIZENS_OWN, "/my-budget").await, REQUESTS);
        let target = format!("/people/{NORTH_PERSON}");
        assert_eq!(committed_reads(url, NORTH_PERSON, &target).await, REQUESTS);
        server.finish().await;
    });
}

/// Make the database refuse every new audit row, or accept them again.
fn refuse_audit_rows(url: &str, refuse: bool) {
    let sql = match (url.starts_with("sqlite"), refuse) {
        (true, true) => {
            "CREATE TRIGGER test_refuses_audit BEFORE INSERT ON audit_log \
             BEGIN SELECT RAISE(ABORT, 'the test refuses audit rows'); END;"
        }
        (true, false) => "DROP TRIGGER test_refuses_audit;",
        (false, true) => {
            "CREATE FUNCTION test_refuses_audit() RETURNS trigger AS $$ \
             BEGIN RAISE EXCEPTION 'the test refuses audit rows'; END $$ LANGUAGE plpgsql; \
             CREATE TRIGGER test_refuses_audit BEFORE INSERT ON audit_log \
             FOR EACH ROW EXECUTE FUNCTION test_refuses_audit();"
        }
        (false, false) => "DROP TRIGGER test_refuses_audit ON audit_log;",
    };
    raw_sql(url, sql).expect("the test trigger");
}

fn nothing_shown_when_the_row_cannot_be_written(url: &str) {
    runtime().block_on(async {
        let server = start(url).await;
        let citizen = signed_in(&server, "citizen").await;
        let page = format!("{}/my-budget", server.base);
        let trigger_url = url.to_owned();
        tokio::task::spawn_blocking(move || refuse_audit_rows(&trigger_url, true))
            .await
            .expect("the trigger task");
        for (status, body) in all_at_once(&citizen, page.clone()).await {
            assert_eq!(status, 500, "{body}");
            assert!(!body.contains(OWN_NHS_NUMBER) && !body.contains(STATEMENT_LINE), "{body}");
        }
        assert_eq!(committed_reads(url, CITIZENS_OWN, "/my-budget").await, 0);
        let trigger_url = url.to_owned();
        tokio::task::spawn_blocking(move || refuse_audit_rows(&trigger_url, false))
            .await
            .expect("the trigger task");
        let response = citizen.get(&page).send().await.expect("a response");
        assert_eq!(response.status().as_u16(), 200);
        assert!(response.text().await.expect("a body").contains(OWN_NHS_NUMBER));
        assert_eq!(committed_reads(url, CITIZENS_OWN, "/my-budget").await, 1);
        server.finish().await;
    });
}

onebudget_store::backend_tests! {
    fn concurrent_reads_leave_one_committed_row_each(url: &str) {
        one_row_per_concurrent_read(url);
    }

    fn a_read_whose_audit_row_fails_shows_nothing(url: &str) {
        nothing_shown_when_the_row_cannot_be_written(url);
    }
}
