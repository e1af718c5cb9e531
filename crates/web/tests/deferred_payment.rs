//! `POST /api/deferred-payments/statement` over real HTTP: the hand-worked golden
//! agreement's statement, and refusals naming the field (no property; a period whose
//! national maximum interest rate is unknown). Nothing is stored, so SQLite only.

// This whole crate is a test: see the note in tests/api.rs.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use reqwest::StatusCode;
use serde_json::Value;

#[allow(dead_code)]
mod support;

const API: &str = "/api/deferred-payments/statement";

fn golden_input() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../core/tests/golden/deferred_payments/simple_three_months.json"
    );
    let case: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    case["input"].clone()
}

#[tokio::test]
async fn the_statement_of_an_agreement_and_its_refusals() {
    let server = support::Server::start().await;
    let store = server.store.clone();
    let client =
        tokio::task::spawn_blocking(move || support::machine_client(&store, "finance", "assess"))
            .await
            .unwrap();
    let url = format!("{}{API}", server.base);
    let post = |body: Value| {
        let (client, url) = (client.clone(), url.clone());
        async move {
            let response = client.post(url).json(&body).send().await.unwrap();
            let status = response.status();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    let (status, body) = post(golden_input()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["summary"]["debt"], "10892.40");
    assert_eq!(body["summary"]["equity_limit"], "210750.00");
    assert!(body["lines"].as_array().unwrap().iter().any(|l| l["rule"] == "dpa.interest"));

    let mut no_property = golden_input();
    no_property["property"] = Value::Null;
    let (status, body) = post(no_property).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field"], "property");

    let mut too_late = golden_input();
    too_late["statement_date"] = "2025-09-30".into();
    let (status, body) = post(too_late).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["code"], "missing_policy_figure");
    assert_eq!(body["error"]["field"], "interest");
    assert!(body["error"]["message"].as_str().unwrap().contains("2025-07-01 to 2025-12-31"));

    let anonymous = reqwest::Client::new().post(&url).json(&golden_input()).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    server.finish().await;
}
