//! `POST /api/events/import` over real HTTP on SQLite and PostgreSQL: a bad file is a 422
//! listing each problem's line and column and writes nothing; a good one imports, links
//! to the seeded people and is audited; a re-import adds nothing; only finance (or a token
//! with `events:write`) may import.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

#[allow(dead_code)]
mod support;

use onebudget_store::{AuditFilter, Store};
use reqwest::StatusCode;
use serde_json::Value;
use support::Backend;

const HEADER: &str = "LA_Code,NHS_Number,Client_Type,Event_Type,Event_Start_Date,Event_End_Date,Service_Type,Service_Component";

async fn spawn(backend: Backend) -> Option<support::Server> {
    support::Server::on_with(
        backend,
        "the events API tests",
        onebudget_web::Settings::default(),
        |store| {
            support::seed_place(store);
            store.set_demo_pseudonym_key(&"0b".repeat(32)).expect("a key");
        },
    )
    .await
}

async fn post_csv(client: &reqwest::Client, url: &str, csv: &str) -> (StatusCode, Value) {
    let response = client
        .post(url)
        .header("content-type", "text/csv")
        .body(csv.to_owned())
        .send()
        .await
        .expect("answered");
    let status = response.status();
    (status, response.json().await.expect("JSON"))
}

async fn with_store<T: Send + 'static>(
    server: &support::Server,
    f: impl FnOnce(&Store) -> T + Send + 'static,
) -> T {
    let store = server.store.clone();
    tokio::task::spawn_blocking(move || f(&store)).await.expect("a store task")
}

async fn import_flow(backend: Backend) {
    let Some(server) = spawn(backend).await else { return };
    let finance =
        with_store(&server, |s| support::machine_client(s, "finance", "events:write")).await;
    let url = server.url("/api/events/import");

    // The seeded people are 999 000 001 8 (P000001) and 999 000 002 6.
    let bad = format!(
        "{HEADER}\nE06000099,9990000018,Service user,Service,2025-04-01,,Short term support: ST-Max,Reablement\n\
         E06000099,9990000026,Service user,Review,2025-02-30,2025-03-01,,\n\
         E06000099,9990000034,Service user,Service,2025-04-01,,Long term support: Care home,\n"
    );
    let (status, body) = post_csv(&finance, &url, &bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["code"], "file_refused", "{body}");
    assert_eq!(body["total_errors"], 2, "{body}");
    assert_eq!(body["errors"][0]["line"], 3, "{body}");
    assert_eq!(body["errors"][0]["column"], "Event_Start_Date", "{body}");
    assert_eq!(body["errors"][1]["line"], 4, "{body}");
    assert_eq!(body["errors"][1]["column"], "Service_Type", "{body}");
    assert!(
        body["errors"][1]["message"]
            .as_str()
            .unwrap()
            .contains("\"Long term support: Residential care\""),
        "{body}"
    );
    assert_eq!(with_store(&server, |s| s.event_counts().unwrap().social_care).await, 0);

    let good = format!(
        "{HEADER}\nE06000099,9990000018,Service user,Service,2025-04-01,,Short term support: ST-Max,Reablement\n\
         E06000099,9990000034,Service user,Review,2025-02-20,2025-03-01,,\n"
    );
    let (status, body) = post_csv(&finance, &format!("{url}?kind=social-care"), &good).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (body["imported"].as_u64(), body["people"].as_u64(), body["linked_people"].as_u64()),
        (Some(2), Some(2), Some(1)),
        "{body}"
    );
    let (_, again) = post_csv(&finance, &url, &good).await;
    assert_eq!(
        (again["imported"].as_u64(), again["file_already_imported"].as_bool()),
        (Some(0), Some(true)),
        "{again}"
    );

    // Requiring links refuses the person the deployment does not hold.
    let (status, body) = post_csv(
        &finance,
        &format!("{url}?require_linked=true"),
        &good.replace("2025-02-20", "2025-02-21"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        (body["errors"][0]["line"].as_u64(), body["errors"][0]["column"].as_str()),
        (Some(3), Some("NHS_Number")),
        "{body}"
    );

    let (status, body) = post_csv(&finance, &format!("{url}?kind=visits"), &good).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    let rows = with_store(&server, |s| {
        s.audit_search(
            &AuditFilter { action: Some("import_events".into()), ..AuditFilter::default() },
            100,
        )
        .unwrap()
    })
    .await;
    assert!(
        rows.iter().any(|r| r.entry.outcome == "success"
            && r.entry.detail.contains("2 events imported")
            && r.entry.target.starts_with("event import batch")),
        "{rows:?}"
    );

    // A token without the scope, and a commissioner, are refused.
    let reports = with_store(&server, |s| support::machine_client(s, "finance", "reports")).await;
    let (status, _) = post_csv(&reports, &url, &good).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let commissioner =
        with_store(&server, |s| support::machine_client(s, "commissioner", "events:write")).await;
    let (status, _) = post_csv(&commissioner, &url, &good).await;
    assert!(status == StatusCode::FORBIDDEN || status == StatusCode::BAD_REQUEST, "{status}");
    server.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_import_over_http_on_sqlite() {
    import_flow(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_import_over_http_on_postgres() {
    import_flow(Backend::Postgres).await;
}
