//! `onebudget deferred-payment` as a council runs it: the statement of a hand-worked
//! agreement as a table and as JSON, a refusal naming its field, and the amounts posted to
//! the ledger as the person's debt, once however often the same period is posted, on
//! SQLite and PostgreSQL.

// A test stops at the first surprise: unwrapping and indexing are how it says so.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use onebudget_store::backend_tests;

fn onebudget(url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_onebudget"))
        .args(args)
        .env("ONEBUDGET_DATABASE_URL", url)
        .env("ONEBUDGET_LOG", "warn")
        .output()
        .expect("the onebudget binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The hand-worked golden agreement (its arithmetic is in the fixture), written to `dir`.
fn agreement(dir: &Path, edit: impl Fn(&mut serde_json::Value)) -> PathBuf {
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../core/tests/golden/deferred_payments/simple_three_months.json"
    );
    let case: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture).unwrap()).unwrap();
    let mut input = case["input"].clone();
    edit(&mut input);
    let path = dir.join("agreement.json");
    std::fs::write(&path, serde_json::to_string_pretty(&input).unwrap()).unwrap();
    path
}

#[test]
fn the_statement_prints_as_a_table_and_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let path = agreement(dir.path(), |_| {});
    let file = path.to_str().unwrap();
    let out = onebudget("sqlite://unused.db", &["deferred-payment", "statement", "--input", file]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    assert!(table.contains("Amount to end the agreement today (reg 8)"), "{table}");
    assert!(table.contains("£10,892.40"), "{table}");
    assert!(table.contains("£210,750.00"), "{table}");
    assert!(table.contains("england.dpa.disposable_income_allowance = £144.00"), "{table}");
    assert!(table.contains("england.dpa.interest.national_maximum = 4.65%"), "{table}");
    let out = onebudget(
        "sqlite://unused.db",
        &["deferred-payment", "statement", "--input", file, "--format", "json"],
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["summary"]["debt"], "10892.40");
    assert_eq!(json["summary"]["interest_added"], "70.40");
    assert_eq!(json["summary"]["duty"], "required");
}

#[test]
fn a_bad_agreement_is_refused_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let path = agreement(dir.path(), |input| input["statement_date"] = "2023-12-31".into());
    let out = onebudget(
        "sqlite://unused.db",
        &["deferred-payment", "statement", "--input", path.to_str().unwrap()],
    );
    assert!(!out.status.success());
    let message = text(&out.stderr);
    assert!(message.contains("statement_date: is before start_date (2024-01-01)"), "{message}");
    let path = agreement(dir.path(), |input| input["weekly"][0]["charge"] = 900.into());
    let out = onebudget(
        "sqlite://unused.db",
        &["deferred-payment", "statement", "--input", path.to_str().unwrap()],
    );
    assert!(text(&out.stderr).contains("weekly[0].charge"), "{}", text(&out.stderr));
}

const STREAM: &str =
    r#"{"type":"funding_stream","code":"ASC","owner":"COUNCIL","charging_basis":"means_tested"}"#;

fn balance(url: &str, account: &str) -> String {
    let out = onebudget(url, &["ledger", "balances", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["total"], "0.00", "the ledger balances");
    json["balances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["account"] == account)
        .map_or_else(|| "0.00".to_owned(), |row| row["balance"].as_str().unwrap().to_owned())
}

backend_tests! {
    fn posting_a_period_records_the_debt_once(url: &str) {
        let dir = tempfile::tempdir().unwrap();
        let streams = dir.path().join("streams.jsonl");
        std::fs::write(&streams, STREAM).unwrap();
        let out = onebudget(url, &["ledger", "open", "--input", streams.to_str().unwrap()]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let path = agreement(dir.path(), |_| {});
        let post = |through: &str| {
            onebudget(url, &[
                "deferred-payment", "post", "--input", path.to_str().unwrap(), "--through", through,
                "--council", "COUNCIL", "--person", "P000042", "--stream", "ASC",
            ])
        };
        // Through 15 February: the £500 cost, weeks from 1 January to 12 February (7 ×
        // £794 = £5,558) and January's interest £10.57 (February's is not complete).
        let out = post("2024-02-15");
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(text(&out.stdout).contains("posted 9 transfer(s)"), "{}", text(&out.stdout));
        assert_eq!(balance(url, "DPA-P000042"), "6068.57");
        // The same period again posts nothing new.
        let out = post("2024-02-15");
        assert!(text(&out.stdout).contains("posted 0 transfer(s)"), "{}", text(&out.stdout));
        assert!(text(&out.stdout).contains("9 were already recorded"), "{}", text(&out.stdout));
        // Through the end of March: the rest, to the hand-worked £10,892.40.
        let out = post("2024-03-31");
        assert!(text(&out.stdout).contains("posted 8 transfer(s)"), "{}", text(&out.stdout));
        assert_eq!(balance(url, "DPA-P000042"), "10892.40");
        assert_eq!(balance(url, "COUNCIL-DPA-INTEREST"), "-70.40");
        let statement = text(&onebudget(url, &["ledger", "statement", "DPA-P000042"]).stdout);
        assert!(statement.contains("COUNCIL-DPA-INTEREST"), "{statement}");
        assert!(statement.contains("£37.41"), "March's interest, worked by hand: {statement}");
        let check = onebudget(url, &["check"]);
        assert!(check.status.success(), "{}", text(&check.stdout));
    }
}

#[test]
fn a_policy_directory_supplies_a_rate_the_built_in_file_lacks() {
    let dir = tempfile::tempdir().unwrap();
    // The golden agreement carried on to 30 September 2025, into a period whose rate the
    // built-in file does not hold.
    let path = agreement(dir.path(), |input| input["statement_date"] = "2025-09-30".into());
    let file = path.to_str().unwrap();
    let built_in = onebudget(
        "sqlite://unused.db",
        &["deferred-payment", "statement", "--input", file, "--format", "json"],
    );
    assert!(!built_in.status.success());
    assert!(text(&built_in.stderr).contains("2025-07-01"), "{}", text(&built_in.stderr));

    // A council's copy of policy/ with the rate it holds for that period (made up here).
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policy");
    let policy = dir.path().join("policy");
    std::fs::create_dir_all(policy.join("uk")).unwrap();
    for name in [
        "uk/benefits.yaml",
        "england.yaml",
        "wales.yaml",
        "scotland.yaml",
        "northern_ireland.yaml",
        "england_deferred_payments.yaml",
    ] {
        let mut text = std::fs::read_to_string(source.join(name)).unwrap();
        if name == "england_deferred_payments.yaml" {
            let at = text.find("      - from: 2025-07-01\n        value: unknown").unwrap();
            text.replace_range(
                at..at + "      - from: 2025-07-01\n        value: unknown".len(),
                "      - from: 2025-07-01\n        value: \"0.045\"",
            );
        }
        std::fs::write(policy.join(name), text).unwrap();
    }
    let policy = policy.to_str().unwrap();
    let out = onebudget(
        "sqlite://unused.db",
        &["--policy-dir", policy, "deferred-payment", "statement", "--input", file],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    assert!(
        table.contains("england.dpa.interest.national_maximum = 4.5% from 2025-07-01"),
        "{table}"
    );
}
