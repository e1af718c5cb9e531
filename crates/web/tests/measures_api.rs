//! The shared measures by API over real HTTP: the metrics listed with their definitions,
//! values computed from events imported into the store, small numbers protected as NHS
//! England's rule says, and bad queries refused naming the parameter.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

#[allow(dead_code)]
mod support;

use onebudget_core::evidence::PseudonymSecret;
use onebudget_core::person::NhsNumber;
use onebudget_store::Store;
use reqwest::StatusCode;
use serde_json::Value;

fn nhs(serial: u32) -> String {
    (serial..).find_map(NhsNumber::synthetic).unwrap().compact()
}

/// Import hospital spells: `n` emergency admissions of people aged 70 in April 2025, each
/// discharged on its ready date except `delayed`, discharged 3 days late.
fn import_spells(store: &Store, n: u32, delayed: u32) {
    let secret = PseudonymSecret::from_bytes(&[9; 32]).unwrap();
    let mut csv = String::from(
        "PROCODE3,NEWNHSNO,ADMIDATE,ADMIMETH,STARTAGE,DISREADYDATE,DISDATE,DISMETH,DISDEST\n",
    );
    for i in 0..n {
        let discharged = if i < delayed { "2025-04-13" } else { "2025-04-10" };
        csv.push_str(&format!(
            "RXX,{},2025-04-0{},21,70,2025-04-10,{discharged},1,19\n",
            nhs(1000 + i * 7),
            1 + i % 9
        ));
    }
    onebudget_store::testing::import_events_csv(store, &csv, &secret, "spells.csv").unwrap();
}

async fn get(client: &reqwest::Client, url: String) -> (StatusCode, Value) {
    let response = client.get(url).send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_commissioner_sees_protected_measures_computed_from_the_events() {
    let server = support::Server::start().await;
    import_spells(&server.store, 12, 8);
    let client = support::machine_client(&server.store, "commissioner", "reports");
    let base = &server.base;

    let (status, list) = get(&client, format!("{base}/api/measures")).await;
    assert_eq!(status, StatusCode::OK);
    let ids: Vec<&str> =
        list["metrics"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap()).collect();
    for id in [
        "bcf-emergency-admissions-65",
        "bcf-discharge-delayed-share",
        "ascof-2c",
        "ascof-2d",
        "ascof-3d-1a",
    ] {
        assert!(ids.contains(&id), "{id} in {ids:?}");
    }
    let bcf = list["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == "bcf-emergency-admissions-65")
        .unwrap();
    assert!(bcf["not_found"].as_str().unwrap().contains("not found"), "{bcf}");

    // 12 emergency admissions of people aged 70 in April 2025: shown rounded to 10; the
    // rate is from the unrounded 12 over Ashby Vale's people aged 65+.
    let (status, body) = get(
        &client,
        format!("{base}/api/measures/values?metric=bcf-emergency-admissions-65&from=2025-04-01&to=2025-05-31&by=month"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let values = body["values"].as_array().unwrap();
    assert_eq!(values.len(), 2);
    assert_eq!(values[0]["period"], "2025-04");
    assert_eq!(values[0]["numerator"], 10);
    let older = values[0]["denominator"].as_u64().unwrap();
    assert!((43_150..=43_205).contains(&older), "{older}");
    let expected = (12.0 / older as f64 * 100_000.0 * 10.0).round() / 10.0;
    assert_eq!(values[0]["value"].as_f64().unwrap(), expected);
    assert_eq!(values[1]["numerator"], 0);

    // Discharges: 8 delayed of 12: 66.7%, numerator shown as 10 and denominator as 10.
    // The average delay is 3 days over 8: not small, shown.
    let (_, body) = get(
        &client,
        format!("{base}/api/measures/values?metric=bcf-discharge-delayed-share&from=2025-04-01&to=2025-04-30"),
    )
    .await;
    let value = &body["values"][0];
    assert_eq!(
        (value["numerator"].clone(), value["denominator"].clone()),
        (Value::from(10), Value::from(10))
    );
    assert_eq!(value["value"].as_f64().unwrap(), 66.7);
    let (_, body) = get(
        &client,
        format!("{base}/api/measures/values?metric=bcf-discharge-average-delay&from=2025-04-01&to=2025-04-30"),
    )
    .await;
    assert_eq!(body["values"][0]["value"].as_f64().unwrap(), 3.0);

    // No person is named anywhere: the body holds no NHS number and no person key.
    let text = body.to_string();
    assert!(!text.contains(&nhs(1000)), "{text}");
}

#[tokio::test]
async fn small_counts_are_stars_and_bad_queries_are_refused_naming_the_parameter() {
    let server = support::Server::start().await;
    // 5 admissions, 2 of them delayed: both counts and the share are small.
    import_spells(&server.store, 5, 2);
    let client = support::machine_client(&server.store, "finance", "reports");
    let base = &server.base;
    let (status, body) = get(
        &client,
        format!("{base}/api/measures/values?metric=bcf-discharge-delayed-share&from=2025-04-01&to=2025-04-30"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let value = &body["values"][0];
    assert_eq!(value["numerator"], "*");
    assert_eq!(value["denominator"], "*");
    assert_eq!(value["value"], "*");

    for (query, field) in [
        ("metric=ascof-9z", "metric"),
        ("by=week", "by"),
        ("from=2025-02-30", "from"),
        ("from=2025-05-01&to=2025-04-01", "from"),
    ] {
        let (status, body) = get(&client, format!("{base}/api/measures/values?{query}")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {body}");
        assert_eq!(body["error"]["field"], field, "{query}: {body}");
    }
}
