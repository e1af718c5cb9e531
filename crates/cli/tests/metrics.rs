//! `onebudget metrics list` and `onebudget metrics compute` as a user runs them: the
//! metrics listed, values computed from events in the database (protected, and raw with
//! --raw), and bad input named with exit code 2 and nothing on standard output.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::process::{Command, Output};

use onebudget_core::evidence::PseudonymSecret;
use onebudget_core::person::NhsNumber;
use onebudget_store::Store;
use serde_json::Value;

fn onebudget(url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_onebudget"))
        .args(args)
        .env("ONEBUDGET_DATABASE_URL", url)
        .env("ONEBUDGET_LOG", "warn")
        .output()
        .expect("the onebudget binary runs")
}

fn nhs(serial: u32) -> String {
    (serial..).find_map(NhsNumber::synthetic).unwrap().compact()
}

/// A database holding 9 emergency admissions of people aged 80 in May 2025, 3 of them
/// discharged 4 days after their ready date.
fn database(dir: &tempfile::TempDir) -> String {
    let url = format!("sqlite://{}", dir.path().join("metrics.db").display());
    let store = Store::open(&url).unwrap();
    let secret = PseudonymSecret::from_bytes(&[5; 32]).unwrap();
    let mut csv =
        String::from("PROCODE3,NEWNHSNO,ADMIDATE,ADMIMETH,STARTAGE,DISREADYDATE,DISDATE,DISMETH\n");
    for i in 0..9 {
        let discharged = if i < 3 { "2025-05-24" } else { "2025-05-20" };
        csv.push_str(&format!(
            "RXX,{},2025-05-1{i},21,80,2025-05-20,{discharged},1\n",
            nhs(500 + i * 11)
        ));
    }
    onebudget_store::testing::import_events_csv(&store, &csv, &secret, "spells.csv").unwrap();
    url
}

#[test]
fn metrics_are_listed_and_computed_protected_or_raw() {
    let dir = tempfile::tempdir().unwrap();
    let url = database(&dir);
    let list = onebudget(&url, &["metrics", "list", "--format", "json"]);
    assert!(list.status.success(), "{}", String::from_utf8_lossy(&list.stderr));
    let metrics: Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(metrics.as_array().unwrap().len(), 10);

    let args = [
        "metrics",
        "compute",
        "--metric",
        "bcf-emergency-admissions-65",
        "--from",
        "2025-04-01",
        "--to",
        "2025-06-30",
        "--format",
        "json",
    ];
    let shown = onebudget(&url, &args);
    assert!(shown.status.success(), "{}", String::from_utf8_lossy(&shown.stderr));
    let body: Value = serde_json::from_slice(&shown.stdout).unwrap();
    assert_eq!(body["raw"], false);
    let values = body["values"].as_array().unwrap();
    assert_eq!(
        values.iter().map(|v| v["period"]["label"].as_str().unwrap()).collect::<Vec<_>>(),
        ["2025-04", "2025-05", "2025-06"]
    );
    // 9 admissions in May: rounded to 10; none in April: 0.
    assert_eq!(values[1]["numerator"], 10);
    assert_eq!(values[0]["numerator"], 0);

    let mut raw_args = args.to_vec();
    raw_args.push("--raw");
    let raw = onebudget(&url, &raw_args);
    let body: Value = serde_json::from_slice(&raw.stdout).unwrap();
    assert_eq!(body["raw"], true);
    assert_eq!(body["values"][1]["numerator"], 9);

    // 3 delayed of 9 discharged: the count 3 is small, so the share is a star; raw, 33.3%.
    let share = [
        "metrics",
        "compute",
        "--metric",
        "bcf-discharge-delayed-share",
        "--from",
        "2025-05-01",
        "--to",
        "2025-05-31",
        "--format",
        "csv",
    ];
    let shown = String::from_utf8(onebudget(&url, &share).stdout).unwrap();
    assert_eq!(shown.lines().nth(1), Some("bcf-discharge-delayed-share,2025-05,*,10,*"), "{shown}");
    let mut raw_share = share.to_vec();
    raw_share.push("--raw");
    let raw = String::from_utf8(onebudget(&url, &raw_share).stdout).unwrap();
    assert_eq!(raw.lines().nth(1), Some("bcf-discharge-delayed-share,2025-05,3,9,33.3"), "{raw}");
}

#[test]
fn bad_input_is_named_with_exit_code_2_and_nothing_else_printed() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("empty.db").display());
    for (args, words) in [
        (vec!["--metric", "ascof-9z"], "--metric: no metric \"ascof-9z\""),
        (
            vec!["--from", "2025-05-01", "--to", "2025-04-01"],
            "--from: 2025-05-01 is after --to 2025-04-01",
        ),
        (vec!["--from", "2025-02-30"], "--from: there is no such date"),
    ] {
        let mut all = vec!["metrics", "compute"];
        all.extend(args.iter().copied());
        let output = onebudget(&url, &all);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(output.stdout.is_empty(), "{args:?}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(stderr.contains(words), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
}
