//! A server started with a council's overlay (`--local-policy`): its choices apply to the
//! API's assessments and the public page's estimates in its nation, a case's own `local`
//! object still overrides them, and other nations keep the national defaults.
//!
//! The overlay is chosen once per process, so this file is a test binary of its own.

// This whole crate is a test: see the note in tests/api.rs.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use std::path::PathBuf;

use onebudget_core::policy::LocalPolicy;
use reqwest::StatusCode;
use serde_json::Value;

#[allow(dead_code)]
mod support;

fn golden(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../core/tests/golden").join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_councils_overlay_applies_to_the_api_and_the_page_in_its_nation() {
    let dir = tempfile::tempdir().unwrap();
    let overlay = dir.path().join("council.yaml");
    std::fs::write(
        &overlay,
        "council: Test Borough Council\nnation: england\noptions:\n  - from: 2023-04-01\n    \
         percentage_of_assessable_income: \"0.5\"\n    \
         arrangement_fee_set_up: \"100.00\"\n    arrangement_fee_annual: \"50.00\"\n    \
         assess_couple_jointly_if_lower: true\n    reference: {title: Test Borough charging \
         policy, href: \"https://example.invalid/charging\"}\n",
    )
    .unwrap();
    LocalPolicy::use_text("overlay.yaml", &std::fs::read_to_string(&overlay).unwrap()).unwrap();

    let server = support::Server::start().await;
    let store = server.store.clone();
    let client =
        tokio::task::spawn_blocking(move || support::machine_client(&store, "finance", "assess"))
            .await
            .unwrap();
    let api = format!("{}/api/financial-assessments", server.base);
    let assess = |case: Value| {
        let request = client.post(&api).json(&case);
        async move {
            let response = request.send().await.unwrap();
            let status = response.status();
            let body: Value = response.json().await.unwrap();
            assert_eq!(status, StatusCode::OK, "{body}");
            body
        }
    };

    // Devon's published example (England, 2023/24) is £110.10 a week; the council charges
    // half of assessable income.
    let devon = golden("01-england-non-residential-devon-esa-enhanced-pip.json");
    assert_eq!(devon["expected"]["weekly_charge"], "110.10");
    let result = assess(devon["case"].clone()).await;
    assert_eq!(result["weekly_charge"], "55.05", "{result}");
    assert!(
        result["steps"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["rule"] == "local.percentage_of_assessable_income"),
        "{result}"
    );

    // The case's own options still win.
    let mut own = devon["case"].clone();
    own["local"] = serde_json::json!({"percentage_of_assessable_income": "1"});
    assert_eq!(assess(own).await["weekly_charge"], "110.10");

    // Another nation keeps the national rules: a Welsh case means-tested on its income
    // is charged the same as with the national options given outright.
    let mut wales =
        golden("16-wales-non-residential-capital-over-24000-capped-100.json")["case"].clone();
    wales["capital"] = serde_json::json!([]);
    wales["weekly_income"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"kind": "private_pension", "amount": "150.00"}));
    let result = assess(wales.clone()).await;
    let charge = onebudget_core::Money::parse(result["weekly_charge"].as_str().unwrap()).unwrap();
    assert!(charge.is_positive(), "a case the percentage would change: {result}");
    wales["local"] = serde_json::json!({"percentage_of_assessable_income": "1"});
    assert_eq!(assess(wales).await["weekly_charge"], result["weekly_charge"]);

    // The public page says whose choices it used, with their reference.
    let page = client
        .post(format!("{}/check-what-you-might-pay", server.base))
        .form(&support::valid_check_form())
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("It uses Test Borough Council's own charging choices"), "{html}");
    assert!(html.contains(r#"href="https://example.invalid/charging""#), "{html}");
    assert!(html.contains("The council charges 50% of assessable income"), "{html}");
    assert!(!html.contains("Fees for arranging your care"), "no fee unless asked: {html}");

    // Above the capital limit, asking the council to arrange care at home: the estimate
    // shows the council's arrangement fees, as the API's outcome gives them.
    let arranged = [
        ("nation", "england"),
        ("setting", "non_residential"),
        ("year", "2024-25"),
        ("cost_of_care", "250"),
        ("couple", "single"),
        ("lone_parent", "no"),
        ("children", "0"),
        ("savings", "40000"),
        ("council_arranges", "yes"),
        ("page", "check"),
        ("go", "estimate"),
    ];
    let page = client
        .post(format!("{}/check-what-you-might-pay", server.base))
        .form(&arranged)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    let outcome = assess(serde_json::json!({
        "nation": "england", "date": "2024-10-01", "setting": "non_residential",
        "person": {"age_years": 25, "pension_credit_age": false, "couple": false},
        "premiums": {"disability": false, "enhanced_disability": false, "carer": false, "dependent_children": 0},
        "capital": [{"kind": "savings", "value": "40000.00"}], "weekly_income": [],
        "weekly_cost_of_care": "250.00", "council_arranges": true
    }))
    .await;
    assert_eq!(outcome["arrangement_fee_set_up"], "100.00", "{outcome}");
    assert_eq!(outcome["arrangement_fee_annual"], "50.00", "{outcome}");
    assert!(html.contains("Fees for arranging your care"), "{html}");
    assert!(html.contains("£100.00 to set up your care"), "{html}");
    assert!(html.contains("£50.00 a year to manage it"), "{html}");

    // One of a couple at home: the council also assesses on half the couple's income, so
    // the page asks the partner's income, and its estimate is the API's for the same case.
    let couple_form = [
        ("nation", "england"),
        ("setting", "non_residential"),
        ("year", "2024-25"),
        ("cost_of_care", "300"),
        ("couple", "couple"),
        ("children", "0"),
        ("savings", ""),
        ("joint_savings", ""),
        ("pension_age", "no"),
        ("age", "40"),
        ("other_pensions", ""),
        ("benefit", "esa"),
        ("benefit_amount", "150.00"),
        ("disability_benefit", "none"),
        ("disability_benefit_amount", ""),
        ("premiums", ""),
        ("housing_costs", ""),
        ("disability_costs", ""),
        ("partner_income", "60.01"),
        ("page", "check"),
        ("go", "estimate"),
    ];
    let page = client
        .post(format!("{}/check-what-you-might-pay", server.base))
        .form(&couple_form)
        .send()
        .await
        .unwrap();
    let html = page.text().await.unwrap();
    assert!(html.contains("<title>Your estimate: "), "{html}");
    let outcome = assess(serde_json::json!({
        "nation": "england", "date": "2024-10-01", "setting": "non_residential",
        "person": {"age_years": 40, "pension_credit_age": false, "couple": true},
        "premiums": {"disability": false, "enhanced_disability": false, "carer": false, "dependent_children": 0},
        "capital": [], "weekly_income": [{"kind": "esa", "amount": "150.00"}],
        "weekly_housing_costs": "0.00", "weekly_disability_related_expenditure": "0.00",
        "weekly_cost_of_care": "300.00",
        "partner_weekly_income": [{"kind": "other_counted", "amount": "60.01"}]
    }))
    .await;
    let joint = outcome["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["rule"] == "local.assess_couple_jointly_if_lower")
        .unwrap_or_else(|| panic!("the joint assessment is a step: {outcome}"));
    // 2024/25: half of ESA 150.00 and of 60.01 (30.00, rounded down) is 105.00 counted,
    // against the couple member's MIG; the joint charge is lower than the person's own.
    assert!(joint["explanation"].as_str().unwrap().contains("counts £105.00 of income"), "{joint}");
    let charge = outcome["weekly_charge"].as_str().unwrap();
    assert!(html.contains(&format!("Estimate: £{charge} a week")), "{charge}: {html}");
    assert!(html.contains("also on half of your income and your partner's together"), "{html}");
    assert!(html.contains("It uses the national rules with Test Borough Council's own choices"));
    assert!(!html.contains("Your council may choose to be more generous"), "{html}");

    server.finish().await;
}
