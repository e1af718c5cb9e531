//! `onebudget ras calibrate` as a user runs it: a tiny plans file with a hand-worked
//! answer, in text and JSON, on a file and on standard input; and bad input refused as
//! `line N: …` with a non-zero exit and nothing fitted. No database is involved.

// A test stops at the first surprise: unwrapping and indexing are how it says so.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn onebudget(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_onebudget"))
        .args(args)
        .env("ONEBUDGET_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the onebudget binary runs");
    // A command refused before it reads its input closes standard input early; writing
    // to it then fails with a broken pipe, which is not the test's business.
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Points 10, 20, 30 costing £100, £210, £290:
/// price = Σ(x·y) ÷ Σ(x²) = (10·10000 + 20·21000 + 30·29000) ÷ (100 + 400 + 900)
///       = 1,390,000 ÷ 1,400 = 992.857… pence → £9.93;
/// residuals +£0.70, +£11.40, −£7.90; R² = 1 − 1,928,600 ÷ 182,000,000 = 0.9894;
/// RMSE = √(1,928,600 ÷ 3) → £8.02; mean absolute error 2000 ÷ 3 → £6.67.
const PLANS: &str = "case,points,weekly_cost\nA,10,100.00\nB,20,210\n# a comment\nC,30,£290.00\n";

fn write_plans(dir: &tempfile::TempDir, contents: &str) -> String {
    let path = dir.path().join("plans.csv");
    std::fs::write(&path, contents).unwrap();
    path.to_str().unwrap().to_owned()
}

#[test]
fn a_price_per_point_worked_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_plans(&dir, PLANS);
    let out = onebudget(&["ras", "calibrate", "--input", &path, "--show", "2"], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("a price per point fitted to 3 agreed support plans"), "{stdout}");
    assert!(stdout.contains("Price per point       £9.93 a week"), "{stdout}");
    assert!(stdout.contains("R²                    0.9894"), "{stdout}");
    assert!(stdout.contains("RMSE                  £8.02 a week"), "{stdout}");
    assert!(stdout.contains("Mean absolute error   £6.67 a week"), "{stdout}");
    assert!(stdout.contains("Σ(points × cost) ÷ Σ(points²) = 1,390,000 pence·points"), "{stdout}");
    let table: Vec<&str> =
        stdout.lines().skip_while(|line| !line.starts_with("The 2 cases furthest off")).collect();
    assert_eq!(
        table,
        [
            "The 2 cases furthest off (residual = actual − fitted):",
            "case  points   actual   fitted  residual",
            "B         20  £210.00  £198.60    £11.40",
            "C         30  £290.00  £297.90    -£7.90",
        ],
        "{stdout}"
    );
}

#[test]
fn json_from_standard_input_holds_the_whole_fit() {
    let out = onebudget(&["ras", "calibrate", "--input", "-", "--format", "json"], PLANS);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let fit: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(fit["method"], "price_per_point");
    assert_eq!(fit["price_per_point"], "9.93");
    assert_eq!(fit["cases"], 3);
    assert_eq!(fit["rmse"], "8.02");
    assert_eq!(fit["mean_absolute_error"], "6.67");
    assert!(
        (fit["r_squared"].as_f64().unwrap() - (1.0 - 1_928_600.0 / 182_000_000.0)).abs() < 1e-12
    );
    let residuals: Vec<&str> = fit["residuals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["residual"].as_str().unwrap())
        .collect();
    assert_eq!(residuals, ["0.70", "11.40", "-7.90"]);
    assert_eq!(fit["furthest_off"][0]["case"], "B");
    assert!(fit["steps"].as_array().unwrap().len() >= 4);
}

#[test]
fn bands_worked_by_hand() {
    // Bands 0–9 and 10+: (£50 + £61) ÷ 2 = £55.50; (£150 + £155 + £160.01) ÷ 3 = £155.00.
    let plans = "case,points,weekly_cost\nA,5,50\nB,8,61\nC,12,150\nD,15,155\nE,19,160.01\n";
    let out = onebudget(&["ras", "calibrate", "--input", "-", "--bands", "0,10"], plans);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("band values fitted to 5 agreed support plans from standard input"),
        "{stdout}"
    );
    assert!(stdout.contains("   1  0–9              2        £55.50"), "{stdout}");
    assert!(stdout.contains("   2  10 and over      3       £155.00"), "{stdout}");
    let out = onebudget(&["ras", "calibrate", "--input", "-", "--bands", "0,10,30"], plans);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("band 3 (30 points and over) has no cases"));
}

#[test]
fn a_bad_line_is_named_and_nothing_is_fitted() {
    let cases = [
        (
            "case,points,weekly_cost\nA,10,100\nB,ten,200\n",
            "line 3: points must be a whole number from 0 up (got \"ten\")",
        ),
        (
            "case,points,weekly_cost\nA,10,100\nB,20,12.345\n",
            "line 3: weekly_cost: the amount has more than two decimal places",
        ),
        (
            "case,points,weekly_cost\nA,10,100\nB,20\n",
            "line 3: expected 3 cells (case,points,weekly_cost), found 2",
        ),
        (
            "case,points,weekly_cost\n# costs\nA,10,100\n\r\n\n# more\nB,20,-5\n",
            "line 7: case \"B\" has a negative weekly cost (-£5.00)",
        ),
        (
            "case,points,weekly_cost\nA,10,100\nB,20,200\nA,30,300\n",
            "line 4: case \"A\" appears again (first on line 2)",
        ),
        (
            "case,points,cost\nA,10,100\n",
            "line 1: the header must be case,points,weekly_cost (got case,points,cost)",
        ),
        ("case,points,weekly_cost\n", "there are no agreed support plans to fit"),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (contents, expected) in cases {
        let path = write_plans(&dir, contents);
        let out = onebudget(&["ras", "calibrate", "--input", &path], "");
        assert_eq!(out.status.code(), Some(1), "{contents}");
        assert!(out.stdout.is_empty(), "printed a fit for {contents:?}: {}", text(&out.stdout));
        let stderr = text(&out.stderr);
        assert!(stderr.starts_with(&format!("error: {path} was not fitted: ")), "{stderr}");
        assert!(stderr.contains(expected), "expected {expected:?} in {stderr}");
    }
}

#[test]
fn the_method_and_bands_must_agree() {
    let out = onebudget(&["ras", "calibrate", "--input", "-", "--method", "bands"], PLANS);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("--method bands needs the bands' lower bounds"));
    let out = onebudget(
        &["ras", "calibrate", "--input", "-", "--method", "price-per-point", "--bands", "0,5"],
        PLANS,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("--bands is for --method bands"));
}

#[test]
fn the_demo_dataset_fits() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../policy/budgets/calibration/ashby-vale-plans.csv"
    );
    let out = onebudget(&["ras", "calibrate", "--input", path, "--format", "json"], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let fit: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(fit["cases"], 600);
    assert_eq!(fit["furthest_off"].as_array().unwrap().len(), 10);
    // Built around £6.80 a point, pulled up a little by the costly outliers.
    let price: f64 = fit["price_per_point"].as_str().unwrap().parse().unwrap();
    assert!((6.5..8.0).contains(&price), "{price}");
}
