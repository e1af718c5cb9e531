//! The `onebudget` binary as a user runs it: JSON Lines in, reports out, exit codes,
//! the journal checked by hledger and ledger-cli, a server that starts and stops
//! cleanly, and a writer killed with SIGKILL mid-stream. Each test body runs on SQLite
//! and on PostgreSQL.

// A test stops at the first surprise: unwrapping and indexing are how it says so.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Output, Stdio};

use onebudget_core::money::Money;
use onebudget_store::backend_tests;

fn onebudget(url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_onebudget"))
        .args(args)
        .env("ONEBUDGET_DATABASE_URL", url)
        .env("ONEBUDGET_LOG", "warn")
        .output()
        .expect("the onebudget binary runs")
}

fn with_stdin(url: &str, args: &[&str], input: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_onebudget"))
        .args(args)
        .env("ONEBUDGET_DATABASE_URL", url)
        .env("ONEBUDGET_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A command refused before it reads its input may close standard input first.
    let _ = child.stdin.take().unwrap().write_all(input.as_bytes());
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

const ACCOUNTS: &str = r#"{"type":"funding_stream","code":"CHC","name":"NHS continuing healthcare","owner":"ICB","charging_basis":"free_at_point_of_use"}
{"type":"funding_stream","code":"ASC","owner":"COUNCIL","charging_basis":"means_tested"}
# accounts
{"type":"account","code":"ICB-CHC","kind":"funding","owner":{"organisation":"ICB"},"stream":"CHC","may_go_negative":true}
{"type":"account","code":"COUNCIL-ASC","kind":"funding","owner":{"organisation":"COUNCIL"},"stream":"ASC","may_go_negative":true}
{"type":"account","code":"BCF-POOL","kind":"pool","owner":{"organisation":"COUNCIL"}}
{"type":"account","code":"P000001-BUDGET","kind":"personal_budget","owner":{"person":"P000001"}}
"#;

fn transfer_line(
    key: &str,
    from: &str,
    to: &str,
    amount: &str,
    stream: &str,
    date: &str,
) -> String {
    format!(
        r#"{{"idempotency_key":"{key}","from":"{from}","to":"{to}","amount":"{amount}","stream":"{stream}","effective_date":"{date}","reason":"contribution","memo":"memo; with a semicolon"}}"#
    )
}

fn setup(url: &str, dir: &Path) {
    let accounts = dir.join("accounts.jsonl");
    std::fs::write(&accounts, ACCOUNTS).unwrap();
    let out = onebudget(url, &["ledger", "open", "--input", accounts.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("opened 6 record(s)"), "{}", text(&out.stdout));
    let transfers = [
        transfer_line("t1", "ICB-CHC", "BCF-POOL", "1,000.00", "CHC", "2025-04-01"),
        transfer_line("t2", "COUNCIL-ASC", "BCF-POOL", "£500", "ASC", "2025-04-01"),
        transfer_line("t3", "BCF-POOL", "P000001-BUDGET", "250.25", "CHC", "2025-05-01"),
    ]
    .join("\n");
    let out = with_stdin(url, &["ledger", "post", "--input", "-"], &transfers);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("posted 3 transfer(s)"), "{}", text(&out.stdout));
}

fn temp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// Balances per account from our CSV report, non-zero only.
fn our_balances(url: &str, extra: &[&str]) -> BTreeMap<String, i64> {
    let mut args = vec!["ledger", "balances", "--format", "csv"];
    args.extend_from_slice(extra);
    let out = onebudget(url, &args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mut totals = BTreeMap::new();
    for line in text(&out.stdout).lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        *totals.entry(cells[0].to_owned()).or_insert(0) += Money::parse(cells[4]).unwrap().pence();
    }
    totals.retain(|_, v| *v != 0);
    totals
}

/// Parse `ACCOUNT<sep>£-12.34` lines into pence.
fn parse_tool_lines(output: &str, separator: char) -> BTreeMap<String, i64> {
    output
        .lines()
        .filter_map(|line| {
            let (account, amount) = line.split_once(separator)?;
            let amount = amount.trim().trim_matches('"').replace('£', "");
            Some((account.trim_matches('"').to_owned(), Money::parse(&amount).ok()?.pence()))
        })
        .filter(|(_, v)| *v != 0)
        .collect()
}

/// Run an accounting tool if installed. When `ONEBUDGET_TEST_REQUIRE_TOOLS` is set (the
/// README's test command sets it) a missing tool fails the test instead of skipping it.
fn tool(program: &str, args: &[&str]) -> Option<String> {
    match Command::new(program).args(args).output() {
        Ok(out) => {
            assert!(out.status.success(), "{program} failed: {}", text(&out.stderr));
            Some(text(&out.stdout))
        }
        Err(error) => {
            assert!(
                std::env::var_os("ONEBUDGET_TEST_REQUIRE_TOOLS").is_none(),
                "{program} is required here but could not run: {error}"
            );
            eprintln!("skipped the {program} comparison: {program} is not installed");
            None
        }
    }
}

backend_tests! {
    fn posts_files_and_reports(url: &str) {
        let dir = temp();
        setup(url, dir.path());
        let out = onebudget(url, &["ledger", "balances"]);
        let table = text(&out.stdout);
        assert!(table.contains("BCF-POOL"), "{table}");
        assert!(table.contains("£749.75"), "{table}");
        assert!(table.lines().last().unwrap().contains("£0.00"), "the total is zero: {table}");
        let json: serde_json::Value =
            serde_json::from_slice(&onebudget(url, &["ledger", "balances", "--format", "json", "--stream", "ASC"]).stdout).unwrap();
        assert_eq!(json["total"], "0.00");
        assert_eq!(json["balances"].as_array().unwrap().len(), 2);
        let before_may = our_balances(url, &["--as-of", "2025-04-30"]);
        assert_eq!(before_may.get("BCF-POOL"), Some(&150_000));
        let statement = text(&onebudget(url, &["ledger", "statement", "BCF-POOL", "--from", "2025-05-01"]).stdout);
        assert!(statement.contains("opening balance"), "{statement}");
        assert!(statement.contains("£1,500.00"), "{statement}");
        assert!(statement.contains("P000001-BUDGET"), "{statement}");
        let backwards = onebudget(url, &["ledger", "statement", "BCF-POOL", "--from", "2025-05-01", "--to", "2025-04-01"]);
        assert!(text(&backwards.stderr).contains("--from 2025-05-01 is after --to 2025-04-01"), "{}", text(&backwards.stderr));
                let bad_date = onebudget(url, &["ledger", "balances", "--as-of", "2025-02-30"]);
        assert!(!bad_date.status.success());
        assert!(text(&bad_date.stderr).contains("as-of: there is no such date"), "{}", text(&bad_date.stderr));
        let check = onebudget(url, &["check"]);
        assert!(check.status.success(), "{}", text(&check.stdout));
        assert!(text(&check.stdout).contains("ledger is sound: 3 transfers"), "{}", text(&check.stdout));
    }

    fn a_bad_line_is_named_and_nothing_is_written(url: &str) {
        let dir = temp();
        setup(url, dir.path());
        let cases = [
            (transfer_line("n1", "ICB-CHC", "BCF-POOL", "1.234", "CHC", "2025-04-01"), "line 2: amount: the amount has more than two decimal places (got \"1.234\")"),
            (transfer_line("n1", "ICB-CHC", "BCF-POOL", "-5.00", "CHC", "2025-04-01"), "line 2: amount: a transfer moves a positive amount"),
            (transfer_line("n1", "ICB-CHC", "BCF-POOL", "92233720368547758.07", "CHC", "2025-04-01"), "line 2: amount: amount out of range"),
            (transfer_line("n1", "ICB-CHC", "NOBODY", "1.00", "CHC", "2025-04-01"), "line 2: to: there is no account \"NOBODY\""),
            (transfer_line("n1", "ICB-CHC", "BCF-POOL", "1.00", "DFG", "2025-04-01"), "line 2: stream: there is no funding stream \"DFG\""),
            (transfer_line("n1", "COUNCIL-ASC", "BCF-POOL", "1.00", "CHC", "2025-04-01"), "line 2: stream: account \"COUNCIL-ASC\" holds only stream \"ASC\""),
            (transfer_line("n1", "BCF-POOL", "P000001-BUDGET", "10000.00", "CHC", "2025-04-01"), "line 2: amount: moving £10,000.00 on 2025-04-01 would overdraw account \"BCF-POOL\" in stream \"CHC\": its balance would fall to -£8,999.00 on 2025-04-01"),
            (transfer_line("n1", "ICB-CHC", "BCF-POOL", "1.00", "CHC", "2025-02-29"), "line 2: effective_date: there is no such date (got \"2025-02-29\")"),
            (transfer_line("t1", "ICB-CHC", "BCF-POOL", "2.00", "CHC", "2025-04-01"), "line 2: idempotency_key: \"t1\" was already used for a different transfer"),
            ("{\"idempotency_key\": \"n1\", ".to_owned(), "line 2: not valid JSON"),
            (transfer_line("n1", "ICB-CHC", "BCF-POOL", "1.00", "CHC", "2025-04-01").replace("\"1.00\"", "1.00"), "line 2: amount: invalid type: floating point `1.0`, expected a string at column"),
            ("5".to_owned(), "line 2: invalid type: integer `5`, expected a JSON object"),
            (transfer_line("n1", "ICB-CHC", "BCF-POOL", "1.00", "CHC", "2025-04-01").replace("memo; with a semicolon", &"x".repeat(501)), "line 2: memo: the memo is longer than 500 characters"),
            (transfer_line("n1", "ICB-CHC", "BCF-POOL", "12 .50", "CHC", "2025-04-01"), "line 2: amount: the amount is not a number (got \"12 .50\")"),
            (transfer_line("n1", "ICB-CHC", "BCF-POOL", "1 000", "CHC", "2025-04-01"), "line 2: amount: the amount is not a number (got \"1 000\")"),
            (transfer_line("n1", "ICB-CHC", "BCF-POOL", "1.00", "CHC", "1899-12-31"), "line 2: effective_date: dates must fall between 1900 and 2100"),
            (transfer_line("n1", "ICB-CHC", "BCF-POOL", "1.00", "CHC", "2101-01-01"), "line 2: effective_date: dates must fall between 1900 and 2100"),
            // A 10 MB memo is quoted by its first 100 characters and its length.
            (transfer_line("n1", "ICB-CHC", "BCF-POOL", "1.00", "CHC", "2025-04-01").replace("memo; with a semicolon", &"x".repeat(10_000_000)), "… (10000000 characters))"),
        ];
        for (bad, expected) in cases {
            let input = format!("{}\n{bad}\n", transfer_line("ok", "ICB-CHC", "BCF-POOL", "1.00", "CHC", "2025-04-01"));
            let out = with_stdin(url, &["ledger", "post", "--input", "-"], &input);
            let stderr = text(&out.stderr);
            assert!(!out.status.success(), "accepted {bad}");
            assert!(stderr.contains(expected), "expected {expected:?} in {stderr:?}");
            assert!(stderr.contains("line 2"), "{stderr}");
            assert!(!stderr.contains("panicked"), "{stderr}");
            assert!(stderr.len() < 1_000, "{} bytes of error", stderr.len());
        }
        let balances = our_balances(url, &[]);
        assert_eq!(balances.get("BCF-POOL"), Some(&124_975), "nothing was written: {balances:?}");
        // A file that starts with a byte-order mark (as Excel writes UTF-8) is read.
        let bom = format!("\u{feff}{}\n", transfer_line("bom", "ICB-CHC", "BCF-POOL", "1.00", "CHC", "2025-04-01"));
        let out = with_stdin(url, &["ledger", "post", "--input", "-"], &bom);
        assert!(out.status.success(), "{}", text(&out.stderr));
        // Spending is recorded once it has happened.
        let future = onebudget(url, &["budget", "spend", "P000001", "--line", "1", "--amount", "5.00", "--date", "2030-01-01", "--receipt", "R1"]);
        assert!(!future.status.success());
        assert!(text(&future.stderr).contains("--date: the date is in the future"), "{}", text(&future.stderr));
        assert!(onebudget(url, &["check"]).status.success());
    }

    fn the_journal_agrees_with_hledger_and_ledger(url: &str) {
        let dir = temp();
        setup(url, dir.path());
        // A key with the characters hledger treats specially in a description.
        let odd = transfer_line("odd;key:x|y", "ICB-CHC", "BCF-POOL", "0.99", "CHC", "2025-06-01");
        assert!(with_stdin(url, &["ledger", "post", "--input", "-"], &odd).status.success());
        let journal = dir.path().join("onebudget.journal");
        let out = onebudget(url, &["export", "--format", "ledger", "--output", journal.to_str().unwrap()]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let ours = our_balances(url, &[]);
        assert_eq!(ours.len(), 4);
        let file = journal.to_str().unwrap();
        if let Some(csv) = tool("hledger", &["-f", file, "balance", "--flat", "--no-total", "-O", "csv"]) {
            assert_eq!(parse_tool_lines(&csv, ','), ours, "hledger disagrees");
        }
        if let Some(csv) = tool("hledger", &["-f", file, "balance", "--flat", "--no-total", "-O", "csv", "tag:stream=ASC"]) {
            assert_eq!(parse_tool_lines(&csv, ','), our_balances(url, &["--stream", "ASC"]), "hledger disagrees on ASC");
        }
        if let Some(lines) = tool("ledger", &["-f", file, "balance", "--flat", "--no-total", "--balance-format", "%(account)\t%(display_total)\n"]) {
            assert_eq!(parse_tool_lines(&lines, '\t'), ours, "ledger-cli disagrees");
        }
    }

    fn a_killed_writer_leaves_whole_batches(url: &str) {
        let batch = 2_000;
        let mut child = Command::new(env!("CARGO_BIN_EXE_onebudget"))
            .args(["bench", "ledger", "--transfers", "2000000", "--batch-size", "2000", "--accounts-per-stream", "50", "--report-commits"])
            .env("ONEBUDGET_DATABASE_URL", url)
            .env("ONEBUDGET_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut reported = 0usize;
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        while reported < 6 {
            let line = lines.next().expect("the writer reports commits").unwrap();
            if line.starts_with("committed batch") {
                reported += 1;
            }
        }
        // SIGKILL: no chance to finish the batch in flight or to clean up.
        child.kill().unwrap();
        child.wait().unwrap();
        let store = onebudget_store::Store::open(url).unwrap();
        let count = store.transfer_count().unwrap() as usize;
        assert!(count >= reported * batch, "a reported commit was lost: {count} < {}", reported * batch);
        assert_eq!(count % batch, 0, "a partial batch was written: {count} transfers");
        for n in [0, count / 2, count - 1] {
            let key = onebudget_core::ledger::IdempotencyKey::parse("k", &format!("b1-{}-{n:09}", n / batch)).unwrap();
            assert_eq!(store.transfer(&key).unwrap().map(|t| t.id), Some(n as i64 + 1));
        }
        let report = store.check().unwrap();
        assert!(report.violations.is_empty(), "{:?}", report.violations);
        assert_eq!(report.transfers as usize, count);
    }

    fn serves_health_and_stops_on_sigterm(url: &str) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_onebudget"))
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env("ONEBUDGET_DATABASE_URL", url)
            .env("ONEBUDGET_LOG", "warn")
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let first = BufReader::new(child.stdout.take().unwrap()).lines().next().unwrap().unwrap();
        let address = first.split_whitespace().find(|w| w.starts_with("http://")).expect("the address is printed").to_owned();
        let health: serde_json::Value = reqwest::blocking::get(format!("{address}/health")).unwrap().json().unwrap();
        assert_eq!(health["status"], "ok");
        let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
        assert!(status.success());
        let exit = child.wait().unwrap();
        assert!(exit.success(), "graceful shutdown exits 0: {exit:?}");
    }
}

#[test]
fn check_exits_non_zero_and_names_a_violation() {
    let dir = temp();
    let path = dir.path().join("tampered.db");
    let url = format!("sqlite://{}", path.display());
    setup(&url, dir.path());
    let connection = rusqlite::Connection::open(&path).unwrap();
    connection
        .execute_batch(
            "UPDATE balances SET balance_pence = balance_pence + 1 WHERE balance_pence = 74975",
        )
        .unwrap();
    drop(connection);
    let out = onebudget(&url, &["check"]);
    assert_eq!(out.status.code(), Some(1));
    let report = text(&out.stdout);
    assert!(report.contains("balance matches transfers: BCF-POOL in stream CHC"), "{report}");
    assert!(report.contains("balances sum to zero"), "{report}");
}

#[test]
fn an_unknown_database_scheme_is_refused() {
    let out = onebudget("mysql://localhost/x", &["check"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("unsupported database URL"), "{stderr}");
    assert!(stderr.contains("sqlite://"), "{stderr}");
}

#[test]
fn demo_builds_a_sound_place_once() {
    let dir = temp();
    let url = format!("sqlite://{}", dir.path().join("demo.db").display());
    let out = onebudget(&url, &["demo", "--no-serve"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("2500 adults receiving care"), "{}", text(&out.stdout));
    let again = onebudget(&url, &["demo", "--no-serve"]);
    assert!(text(&again.stdout).contains("using the existing data"), "{}", text(&again.stdout));
    assert!(onebudget(&url, &["check"]).status.success());
    // The demo keeps its own pseudonymisation secret, so events import with no setting and
    // link to the demo's people (999 000 001 8 is one of them).
    let csv = "LA_Code,NHS_Number,Client_Type,Event_Type,Event_Start_Date,Event_End_Date\n\
               E06000099,9990000018,Service user,Assessment,2025-04-01,2025-04-08\n";
    let imported = with_stdin(
        &url,
        &["events", "import", "--input", "-", "--require-linked", "--format", "json"],
        csv,
    );
    assert!(imported.status.success(), "{}", text(&imported.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&imported.stdout).unwrap();
    assert_eq!(
        (summary["imported"].as_u64(), summary["linked_people"].as_u64()),
        (Some(1), Some(1))
    );
    // The Better Care Fund: 2024/25 settled, 2025/26 closed and awaiting both partners.
    let pools = text(&onebudget(&url, &["pool", "list"]).stdout);
    assert!(
        pools.contains("BCF") && pools.contains("ICES") && pools.contains("Aligned budget"),
        "{pools}"
    );
    let settled = text(&onebudget(&url, &["pool", "settle", "BCF", "--year", "2024"]).stdout);
    assert!(settled.contains("posted: the settlement transfers are in the ledger"), "{settled}");
    let open =
        text(&onebudget(&url, &["pool", "settle", "BCF", "--year", "2025/26", "--explain"]).stdout);
    assert!(open.contains("waiting for: ICB, COUNCIL") && open.contains("Variance"), "{open}");
    let before = our_balances(&url, &["--stream", "BCF"]);
    assert!(before.get("BCF-REABLEMENT").is_some_and(|b| *b > 0), "{before:?}");
    // Each partner's finance officer confirms; the second confirmation posts the transfers.
    let council =
        onebudget(&url, &["pool", "settle", "BCF", "--year", "2025", "--confirm-as", "finance"]);
    assert!(
        text(&council.stdout).contains("waiting for: ICB"),
        "{}{}",
        text(&council.stdout),
        text(&council.stderr)
    );
    let practitioner = onebudget(
        &url,
        &["pool", "settle", "BCF", "--year", "2025", "--confirm-as", "practitioner"],
    );
    assert!(!practitioner.status.success());
    let icb = onebudget(
        &url,
        &["pool", "settle", "BCF", "--year", "2025", "--confirm-as", "icb-finance"],
    );
    assert!(
        text(&icb.stdout).contains("settlement transfer(s) posted"),
        "{}{}",
        text(&icb.stdout),
        text(&icb.stderr)
    );
    let after = our_balances(&url, &["--stream", "BCF"]);
    for scheme in ["BCF-REABLEMENT", "BCF-DISCHARGE", "BCF-CARERS", "BCF-COMMUNITY"] {
        assert_eq!(
            after.get(scheme).copied().unwrap_or(0),
            0,
            "{scheme} keeps money after the settlement: {after:?}"
        );
    }
    assert!(onebudget(&url, &["check"]).status.success());

    // Integrated budgets: the citizen holds one active budget from three streams (an NHS
    // joint package, a carers' grant and social care) and pays only towards social care.
    let connection = rusqlite::Connection::open(dir.path().join("demo.db")).unwrap();
    let citizen: String = connection
        .query_row("SELECT person_code FROM users WHERE role = 'citizen'", [], |r| r.get(0))
        .unwrap();
    let shown =
        onebudget(&url, &["budget", "show", &citizen, "--on", "2025-06-01", "--format", "json"]);
    assert!(shown.status.success(), "{}", text(&shown.stderr));
    let version: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
    assert_eq!(version["status"], "active");
    let components = version["decision"]["components"].as_array().unwrap();
    let streams: Vec<&str> = components.iter().map(|c| c["stream"].as_str().unwrap()).collect();
    assert_eq!(streams, ["PHB", "BCF", "ASC"]);
    for c in components {
        let pays = onebudget_core::money::Money::parse(c["person_pays"].as_str().unwrap()).unwrap();
        assert_eq!(pays.is_positive(), c["stream"] == "ASC", "{c}");
    }
    // The statement names each receipt; monitoring left reviews for finance to decide.
    let statement =
        text(&onebudget(&url, &["budget", "statement", &citizen, "--format", "csv"]).stdout);
    assert!(statement.contains("receipt R250407-"), "{statement}");
    let reviews = onebudget(&url, &["budget", "reviews", "--open", "--format", "json"]);
    let reviews: serde_json::Value = serde_json::from_slice(&reviews.stdout).unwrap();
    let review = &reviews.as_array().unwrap()[0];
    let id = review["id"].to_string();
    let proposed = review["proposed_recovery"].as_str().unwrap().to_owned();
    let refused = onebudget(
        &url,
        &["budget", "decide", &id, "--as", "practitioner", "--recover", &proposed, "--note", "x"],
    );
    assert!(!refused.status.success(), "a practitioner cannot decide a recovery");
    let dp = format!("{}-DP", review["person_code"].as_str().unwrap());
    let stream = review["stream"].as_str().unwrap().to_owned();
    let before = our_balances(&url, &["--stream", &stream]).get(&dp).copied().unwrap();
    let decided = onebudget(
        &url,
        &[
            "budget",
            "decide",
            &id,
            "--as",
            "finance",
            "--recover",
            &proposed,
            "--note",
            "agreed at review",
        ],
    );
    assert!(decided.status.success(), "{}", text(&decided.stderr));
    let after = our_balances(&url, &["--stream", &stream]).get(&dp).copied().unwrap_or(0);
    let proposed_pence = onebudget_core::money::Money::parse(&proposed).unwrap().pence();
    assert_eq!(before - after, proposed_pence, "the recovery moves exactly what was confirmed");
    assert!(onebudget(&url, &["check"]).status.success());

    // Budgets from another system: the whole file is checked first, so a bad line
    // leaves nothing imported; then both people hold an active budget.
    let south: Vec<String> = connection
        .prepare(
            "SELECT code FROM people WHERE team = 'TEAM-SOUTH' AND setting = 'home' \
             AND code NOT IN (SELECT person_code FROM budget_versions) ORDER BY code LIMIT 2",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let header = "person,stream,weekly,mode,provider,effective_from,status\n";
    let good = format!(
        "{header}{a},ASC,210.00,managed,PROV-DAYSERVICES,2025-04-07,active\n{a},PHB,95.50,notional,,2025-04-07,active\n{b},ASC,120.00,direct_payment,,2025-04-07,agreed\n",
        a = south[0],
        b = south[1]
    );
    let bad = good.replace("notional", "teleportation");
    let file = dir.path().join("budgets.csv");
    std::fs::write(&file, &bad).unwrap();
    let refused = onebudget(&url, &["budget", "import", "--input", file.to_str().unwrap()]);
    assert!(!refused.status.success());
    assert!(text(&refused.stderr).contains("line 3: mode"), "{}", text(&refused.stderr));
    assert!(!onebudget(&url, &["budget", "show", &south[0]]).status.success(), "nothing imported");
    std::fs::write(&file, &good).unwrap();
    let imported = onebudget(&url, &["budget", "import", "--input", file.to_str().unwrap()]);
    assert!(imported.status.success(), "{}", text(&imported.stderr));
    let shown = onebudget(&url, &["budget", "show", &south[0], "--format", "json"]);
    let shown: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
    assert_eq!(shown["decision"]["budget"], "305.50");
    assert_eq!(shown["status"], "active");
    let again = onebudget(&url, &["budget", "import", "--input", file.to_str().unwrap()]);
    assert!(text(&again.stderr).contains("already has a budget"), "{}", text(&again.stderr));

    // The people: synthetic NHS numbers that pass the check digit and sit in the 999
    // range never issued to a patient; about three quarters hold a personal budget.
    let numbers: Vec<String> = connection
        .prepare("SELECT nhs_number FROM people")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(numbers.len(), 2500);
    for number in &numbers {
        let parsed = onebudget_core::person::NhsNumber::parse(number).unwrap();
        assert!(parsed.is_synthetic_range(), "{number}");
    }
    // A budget is a budget version; two of them were imported above.
    let with_budget: i64 = connection
        .query_row("SELECT COUNT(DISTINCT person_code) FROM budget_versions", [], |r| r.get(0))
        .unwrap();
    let with_budget = with_budget - 2;
    assert!((1750..=2000).contains(&with_budget), "{with_budget} of 2500 hold a budget");
    // One demo login per role (two finance officers, one for each pool partner), each
    // with an argon2id hash, and the citizen's is a person.
    let logins: Vec<(String, String, Option<String>)> = connection
        .prepare("SELECT role, password_hash, person_code FROM users WHERE kind = 'person' ORDER BY role")
        .unwrap()
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let roles: Vec<&str> = logins.iter().map(|(role, _, _)| role.as_str()).collect();
    assert_eq!(
        roles,
        ["admin", "auditor", "citizen", "commissioner", "finance", "finance", "practitioner"]
    );
    assert!(logins.iter().all(|(_, hash, _)| hash.starts_with("$argon2id$")));
    assert!(logins.iter().any(|(role, _, person)| role == "citizen" && person.is_some()));
}

/// Regression: the demo's guide printed `sqlite://onebudget-demo.db` in its token command
/// whatever database the demo had opened. And `/metrics` is served only on the address
/// given with --metrics-listen, which the guide names.
#[test]
fn the_demo_guide_names_the_database_and_the_metrics_address_it_uses() {
    let dir = temp();
    let url = format!("sqlite://{}", dir.path().join("elsewhere.db").display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_onebudget"))
        .args([
            "--database-url",
            &url,
            "demo",
            "--listen",
            "127.0.0.1:0",
            "--metrics-listen",
            "127.0.0.1:0",
        ])
        .env("ONEBUDGET_LOG", "warn")
        .env_remove("ONEBUDGET_DATABASE_URL")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut guide = Vec::new();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    for line in lines.by_ref() {
        let line = line.unwrap();
        let done = line.contains("Press Ctrl-C");
        guide.push(line);
        if done {
            break;
        }
    }
    // Keep reading what the server prints after the guide, as a terminal would.
    let rest = std::thread::spawn(move || lines.count());
    let guide = guide.join("\n");
    let command = guide.lines().find(|l| l.contains("token issue")).expect("a token command");
    assert!(command.contains(&format!("--database-url '{url}'")), "{command}");
    assert!(!guide.contains("onebudget-demo.db"), "{guide}");
    let metrics = guide
        .lines()
        .find(|l| l.trim_start().starts_with("metrics"))
        .and_then(|l| l.split_whitespace().find(|w| w.starts_with("http://")))
        .expect("the metrics address")
        .to_owned();
    let address = guide
        .lines()
        .find(|l| l.contains("health check"))
        .and_then(|l| l.split_whitespace().find(|w| w.starts_with("http://")))
        .expect("the health address")
        .trim_end_matches("/health")
        .to_owned();
    let scraped = reqwest::blocking::get(&metrics).unwrap();
    assert_eq!(scraped.status(), reqwest::StatusCode::OK);
    assert!(scraped.text().unwrap().contains("onebudget_audit_rows_total"));
    let public = reqwest::blocking::get(format!("{address}/metrics")).unwrap();
    assert_eq!(public.status(), reqwest::StatusCode::NOT_FOUND);
    // The printed command works as printed: it issues a token in the demo's database.
    let words: Vec<String> =
        command.split_whitespace().skip(1).map(|w| w.trim_matches('\'').to_owned()).collect();
    let issued = Command::new(env!("CARGO_BIN_EXE_onebudget"))
        .args(&words)
        .env("ONEBUDGET_LOG", "warn")
        .env_remove("ONEBUDGET_DATABASE_URL")
        .output()
        .unwrap();
    assert!(issued.status.success(), "{}", text(&issued.stderr));
    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    assert!(child.wait().unwrap().success());
    rest.join().unwrap();
}

#[test]
fn a_plain_database_has_no_demo_logins() {
    let dir = temp();
    let url = format!("sqlite://{}", dir.path().join("plain.db").display());
    let out = onebudget(&url, &["ledger", "balances"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let connection = rusqlite::Connection::open(dir.path().join("plain.db")).unwrap();
    let users: i64 = connection.query_row("SELECT COUNT(*) FROM users", [], |r| r.get(0)).unwrap();
    assert_eq!(users, 0, "only `onebudget demo` creates demo logins");
}

#[test]
fn tokens_are_issued_once_stored_hashed_and_revocable() {
    let dir = temp();
    let url = format!("sqlite://{}", dir.path().join("tokens.db").display());
    let refused =
        onebudget(&url, &["token", "issue", "--user", "nobody", "--scopes", "ledger:read"]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        text(&refused.stderr).contains("there is no user \"nobody\""),
        "{}",
        text(&refused.stderr)
    );
    let added = onebudget(
        &url,
        &[
            "user",
            "add",
            "--username",
            "payments",
            "--name",
            "NHS payments system",
            "--role",
            "finance",
            "--service",
        ],
    );
    assert!(added.status.success(), "{}", text(&added.stderr));
    let bad_scope =
        onebudget(&url, &["token", "issue", "--user", "payments", "--scopes", "ledger:delete"]);
    assert!(
        text(&bad_scope.stderr).contains("ledger:read, ledger:write"),
        "{}",
        text(&bad_scope.stderr)
    );
    let issued = onebudget(
        &url,
        &["token", "issue", "--user", "payments", "--scopes", "ledger:read", "--days", "30"],
    );
    assert!(issued.status.success(), "{}", text(&issued.stderr));
    let token = text(&issued.stdout).trim().to_owned();
    assert!(token.starts_with("ob_") && token.len() > 40, "{token}");
    let connection = rusqlite::Connection::open(dir.path().join("tokens.db")).unwrap();
    let stored: String =
        connection.query_row("SELECT token_hash FROM api_tokens", [], |r| r.get(0)).unwrap();
    assert_ne!(stored, token);
    assert!(!stored.contains(&token[3..]), "the token itself is not stored");
    let listed = text(&onebudget(&url, &["token", "list"]).stdout);
    assert!(listed.contains("payments") && listed.contains("live"), "{listed}");
    assert!(!listed.contains(&token), "the list never shows a token");
    assert!(onebudget(&url, &["token", "revoke", "1"]).status.success());
    let listed = text(&onebudget(&url, &["token", "list"]).stdout);
    assert!(listed.contains("revoked"), "{listed}");
    assert_eq!(onebudget(&url, &["token", "revoke", "1"]).status.code(), Some(1));
    // Each change is in the audit log, and the export is CSV with a header.
    let export = text(&onebudget(&url, &["audit", "export", "--format", "csv"]).stdout);
    let mut lines = export.lines();
    assert_eq!(
        lines.next(),
        Some("id,at,actor,actor_user_id,role,via,action,person_code,target,source,outcome,detail")
    );
    let actions: Vec<&str> = lines.map(|l| l.split(',').nth(6).unwrap_or("")).collect();
    assert_eq!(actions, ["revoke_token", "issue_token", "add_user"]);

    // Text anyone could have typed is exported so a spreadsheet shows it, not runs it.
    let formula = onebudget(
        &url,
        &[
            "user",
            "add",
            "--username",
            "=HYPERLINK(1)",
            "--name",
            "x",
            "--role",
            "finance",
            "--service",
        ],
    );
    assert!(formula.status.success(), "{}", text(&formula.stderr));
    let export = text(&onebudget(&url, &["audit", "export", "--format", "csv"]).stdout);
    assert!(export.contains(",'=HYPERLINK(1),"), "{export}");
    assert!(!export.contains(",=HYPERLINK"), "{export}");
}

// ---- financial assessment ----

/// A published worked example's case (Devon, 2023/24: £110.10 a week).
fn devon_case() -> serde_json::Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../core/tests/golden/01-england-non-residential-devon-esa-enhanced-pip.json"
    );
    let golden: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    golden["case"].clone()
}

#[test]
fn assess_reproduces_a_published_example_as_json_and_text() {
    let case = devon_case().to_string();
    let json = with_stdin("sqlite://unused.db", &["assess", "--input", "-"], &case);
    assert!(json.status.success(), "{}", text(&json.stderr));
    let result: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(result["weekly_charge"], "110.10");
    assert_eq!(result["full_cost"], false);
    let effects: i64 = result["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| onebudget_core::Money::parse(s["effect"].as_str().unwrap()).unwrap().pence())
        .sum();
    assert_eq!(effects, 11_010, "the steps add up to the charge");

    let plain =
        with_stdin("sqlite://unused.db", &["assess", "--input", "-", "--format", "text"], &case);
    let out = text(&plain.stdout);
    assert!(out.contains("Weekly charge") && out.contains("£110.10"), "{out}");
    assert!(out.contains("Sources:") && out.contains("https://www.legislation.gov.uk/"), "{out}");
}

/// The case the README shows under "Financial assessment", read from the README itself.
fn readme_case() -> serde_json::Value {
    let readme = include_str!("../../../README.md");
    let section = &readme[readme.find("## Financial assessment").unwrap()..];
    let start = section.find("```json\n").unwrap() + "```json\n".len();
    let end = start + section[start..].find("```").unwrap();
    serde_json::from_str(&section[start..end]).unwrap()
}

#[test]
fn the_readme_assessment_example_gives_the_charge_it_shows() {
    let case = readme_case();
    let out = with_stdin("sqlite://unused.db", &["assess", "--input", "-"], &case.to_string());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let result: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // By hand, from SI 2023/277's figures: ESA £225.45 counted (PIP mobility ignored),
    // less MIG £103.65 + £45.75 + £22.35, housing £17.27 and DRE £28.08, leaves £8.35.
    assert_eq!(result["weekly_charge"], "8.35", "{result}");
    assert!(include_str!("../../../README.md").contains("The person pays £8.35 a week."));

    // The README says the same case a year later, on SI 2024/325's figures, pays nothing:
    // £225.45 less MIG £110.60 + £48.80 + £23.85, housing £17.27 and DRE £28.08 is -£3.15.
    let mut later = case;
    later["date"] = "2024-10-01".into();
    let out = with_stdin("sqlite://unused.db", &["assess", "--input", "-"], &later.to_string());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let result: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(result["weekly_charge"], "0.00", "{result}");
    assert!(include_str!("../../../README.md").contains("£183.25"));
}

/// A copy of the repository's policy/ in `dir`, with `edit` applied to the file `edited`.
fn policy_copy(dir: &Path, edited: &str, edit: impl Fn(String) -> String) {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policy");
    std::fs::create_dir_all(dir.join("uk")).unwrap();
    for name in
        ["uk/benefits.yaml", "england.yaml", "wales.yaml", "scotland.yaml", "northern_ireland.yaml"]
    {
        let text = std::fs::read_to_string(source.join(name)).unwrap();
        let text = if name == edited { edit(text) } else { text };
        std::fs::write(dir.join(name), text).unwrap();
    }
}

/// A policy file's text with the first `value: unknown` after `parameter:` replaced by
/// `value`, citing `title`.
fn fill_unknown(text: &str, parameter: &str, value: &str, title: &str) -> String {
    let at = text.find(&format!("\n  {parameter}:\n")).unwrap();
    let unknown = at + text[at..].find("value: unknown").unwrap();
    let title_at = unknown + text[unknown..].find("title: ").unwrap() + "title: ".len();
    // The title runs to the `href:` line (it may be folded over several lines).
    let title_end = title_at + text[title_at..].find("\n          href:").unwrap();
    format!(
        "{}value: \"{value}\"{}{title:?}{}",
        &text[..unknown],
        &text[unknown + "value: unknown".len()..title_at],
        &text[title_end..]
    )
}

#[test]
fn a_policy_directory_supplies_a_figure_the_built_in_files_lack() {
    let dir = temp();
    let policy = dir.path().join("policy");
    // A figure a trust might enter from the circular it holds (made up for the test):
    // Northern Ireland's care-home personal allowance, not yet found in a published source.
    policy_copy(&policy, "northern_ireland.yaml", |text| {
        fill_unknown(&text, "care_home.personal_allowance", "30.00", "Test circular A")
    });
    let policy = policy.to_string_lossy().into_owned();
    let case = serde_json::json!({
        "nation": "northern_ireland", "date": "2024-10-01", "setting": "care_home",
        "person": {"age_years": 84, "pension_credit_age": true, "couple": false},
        "premiums": {"disability": false, "enhanced_disability": false, "carer": false, "dependent_children": 0},
        "capital": [{"kind": "savings", "value": "15000.00"}],
        "weekly_income": [{"kind": "state_pension", "amount": "221.20"}],
        "weekly_cost_of_care": "800.00", "weeks_in_care_home": 30
    });
    // Built in, the case is refused naming the figure.
    let out = with_stdin("sqlite://unused.db", &["assess", "--input", "-"], &case.to_string());
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("northern_ireland.care_home.personal_allowance"),
        "{}",
        text(&out.stderr)
    );
    let out = with_stdin(
        "sqlite://unused.db",
        &["--policy-dir", &policy, "assess", "--input", "-"],
        &case.to_string(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let result: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // Tariff: £15,000 is £750 over £14,250, three bands of £250: £3.00. Pension £221.20 +
    // £3.00 less the personal allowance £30.00 = £194.20.
    assert_eq!(result["weekly_charge"], "194.20", "{result}");
    let cited: Vec<&str> = result["steps"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["sources"].as_array().unwrap())
        .map(|s| s["reference"]["title"].as_str().unwrap())
        .collect();
    assert!(cited.contains(&"Test circular A"), "{cited:?}");

    let shown = onebudget(
        "sqlite://unused.db",
        &["--policy-dir", &policy, "policy", "show", "northern_ireland", "--on", "2024-10-01"],
    );
    let shown = text(&shown.stdout);
    assert!(shown.contains(&format!("(from the policy files in {policy})")), "{shown}");
    assert!(shown.contains("northern_ireland.care_home.personal_allowance = £30.00"), "{shown}");
    // Built in, the same figure is listed as unknown rather than left out.
    let built_in = onebudget(
        "sqlite://unused.db",
        &["policy", "show", "northern_ireland", "--on", "2024-10-01"],
    );
    let built_in = text(&built_in.stdout);
    assert!(
        built_in.contains("northern_ireland.care_home.personal_allowance = unknown"),
        "{built_in}"
    );
    assert!(built_in.contains("(from the policy files built into onebudget)"), "{built_in}");
}

#[test]
fn a_policy_directory_is_checked_like_the_built_in_files() {
    let dir = temp();
    let policy = dir.path().join("policy");
    // A value without its reference: the carer premium's last value with its reference cut
    // up to the next parameter.
    policy_copy(&policy, "england.yaml", |text| {
        let at = text.find("\n  mig.carer_premium:\n").unwrap();
        let next = at + text[at..].find("\n  mig.dependent_child:").unwrap();
        let reference = at + text[at..next].rfind("reference:").unwrap();
        format!("{}{}", &text[..reference].trim_end(), &text[next..])
    });
    let policy_arg = policy.to_string_lossy().into_owned();
    let case = readme_case().to_string();
    let out = with_stdin(
        "sqlite://unused.db",
        &["--policy-dir", &policy_arg, "assess", "--input", "-"],
        &case,
    );
    assert!(!out.status.success());
    let error = text(&out.stderr);
    assert!(
        error.contains("--policy-dir")
            && error.contains("england.yaml")
            && error.contains("reference"),
        "{error}"
    );
    assert!(
        error.contains("mig.carer_premium") && error.contains("missing field `reference`"),
        "{error}"
    );
    assert!(out.stdout.is_empty(), "nothing is assessed with a refused policy");

    // A copy moved on a year without the year's figures would carry last year's forward.
    let moved = dir.path().join("moved");
    policy_copy(&moved, "england.yaml", |text| text.replace("to: 2027-03-31", "to: 2028-03-31"));
    let moved = moved.to_string_lossy().into_owned();
    let out = onebudget(
        "sqlite://unused.db",
        &["--policy-dir", &moved, "policy", "show", "england", "--on", "2027-10-01"],
    );
    assert!(!out.status.success());
    let error = text(&out.stderr);
    assert!(
        error.contains("england.yaml")
            && error.contains("none dated in 2027/28")
            && error.contains("carry forward"),
        "{error}"
    );
    assert!(out.stdout.is_empty(), "nothing is shown from a refused policy");

    // A directory without the files says what it needs.
    let empty = dir.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let empty = empty.to_string_lossy().into_owned();
    let out = with_stdin(
        "sqlite://unused.db",
        &["--policy-dir", &empty, "assess", "--input", "-"],
        &case,
    );
    assert!(!out.status.success());
    let error = text(&out.stderr);
    assert!(error.contains("benefits.yaml") && error.contains("copy"), "{error}");
}

#[test]
fn assess_refuses_bad_cases_naming_the_field() {
    let mut case = devon_case();
    case["date"] = "2019-05-01".into();
    let out = with_stdin("sqlite://unused.db", &["assess", "--input", "-"], &case.to_string());
    assert!(!out.status.success());
    let error = text(&out.stderr);
    assert!(error.contains("date:") && error.contains("2022/23 to 2026/27"), "{error}");

    let mut case = devon_case();
    case["weekly_income"][0]["kind"] = "lottery".into();
    let out = with_stdin("sqlite://unused.db", &["assess", "--input", "-"], &case.to_string());
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("weekly_income[0].kind"), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty(), "nothing is printed but the error");
}

/// An English council's overlay in `dir` charging half of assessable income from 1 April
/// 2023; returns its path.
fn half_charging_overlay(dir: &Path) -> String {
    let overlay = dir.join("council.yaml");
    std::fs::write(
        &overlay,
        "council: Test Council\nnation: england\noptions:\n  - from: 2023-04-01\n    \
         percentage_of_assessable_income: \"0.5\"\n    reference: {title: Test policy, href: \
         \"https://example.invalid/policy\"}\n",
    )
    .unwrap();
    overlay.to_string_lossy().into_owned()
}

#[test]
fn a_council_overlay_changes_the_charge_from_its_date() {
    let dir = temp();
    let case = devon_case().to_string();
    let overlay = half_charging_overlay(dir.path());
    let out =
        with_stdin("sqlite://unused.db", &["assess", "--input", "-", "--local", &overlay], &case);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let result: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(result["weekly_charge"], "55.05", "half of £110.10");
    // The step cites the council's policy for its choice.
    let percentage_sources = |result: &serde_json::Value| -> Vec<serde_json::Value> {
        let steps = result["steps"].as_array().unwrap();
        let step = steps
            .iter()
            .find(|s| s["rule"] == "local.percentage_of_assessable_income")
            .unwrap_or_else(|| panic!("a percentage step: {result}"));
        step["sources"].as_array().unwrap().clone()
    };
    let cited = percentage_sources(&result);
    assert_eq!(cited.len(), 1, "{cited:?}");
    assert_eq!(cited[0]["parameter"], "local.percentage_of_assessable_income");
    assert_eq!(cited[0]["value"], "0.5");
    assert_eq!(cited[0]["from"], "2023-04-01");
    assert_eq!(cited[0]["reference"]["href"], "https://example.invalid/policy");

    // The same share set by the case itself is the case's, not the council's.
    let mut own = devon_case();
    own["local"] = serde_json::json!({"percentage_of_assessable_income": "0.5"});
    let out = with_stdin(
        "sqlite://unused.db",
        &["assess", "--input", "-", "--local", &overlay],
        &own.to_string(),
    );
    let result: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(result["weekly_charge"], "55.05");
    assert!(percentage_sources(&result).is_empty(), "{result}");

    let mut before = devon_case();
    before["date"] = "2023-03-31".into();
    before["weekly_income"][1]["amount"] = "92.40".into();
    let out = with_stdin(
        "sqlite://unused.db",
        &["assess", "--input", "-", "--local", &overlay],
        &before.to_string(),
    );
    let result: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let steps = result["steps"].as_array().unwrap();
    assert!(
        steps.iter().all(|s| s["rule"] != "local.percentage_of_assessable_income"),
        "the overlay applies only from its date: {result}"
    );
}

#[test]
fn a_process_wide_council_overlay_applies_in_its_nation_and_is_checked() {
    let dir = temp();
    let overlay = half_charging_overlay(dir.path());
    let case = devon_case().to_string();
    let out = with_stdin(
        "sqlite://unused.db",
        &["--local-policy", &overlay, "assess", "--input", "-"],
        &case,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let result: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(result["weekly_charge"], "55.05", "half of Devon's £110.10");

    // A broken overlay stops the process before anything is assessed.
    let broken = dir.path().join("broken.yaml");
    std::fs::write(&broken, "council: Test Council\nnation: england\noptions:\n  - from: 2023-04-01\n    percentage_of_assessable_income: \"1.5\"\n    reference: {title: T, href: \"https://example.invalid/\"}\n").unwrap();
    let broken = broken.to_string_lossy().into_owned();
    let out = with_stdin(
        "sqlite://unused.db",
        &["--local-policy", &broken, "assess", "--input", "-"],
        &case,
    );
    assert!(!out.status.success());
    let error = text(&out.stderr);
    assert!(
        error.contains("--local-policy") && error.contains("percentage_of_assessable_income"),
        "{error}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn policy_show_prints_figures_with_their_sources() {
    let out = onebudget("sqlite://unused.db", &["policy", "show", "wales", "--on", "2024-10-01"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    assert!(shown.contains("wales.non_residential.maximum_weekly_charge = £100.00"), "{shown}");
    assert!(shown.contains("uk.attendance_allowance.higher"), "{shown}");
    let json = onebudget(
        "sqlite://unused.db",
        &["policy", "show", "scotland", "--on", "2023-06-01", "--format", "json"],
    );
    let listed: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let parameters = listed["parameters"].as_array().unwrap();
    assert!(
        parameters.iter().all(|p| p["reference"]["href"].as_str().unwrap().starts_with("http"))
    );
    let outside =
        onebudget("sqlite://unused.db", &["policy", "show", "england", "--on", "2030-01-01"]);
    assert!(!outside.status.success());
    assert!(text(&outside.stderr).contains("2022/23 to 2026/27"));
}

#[test]
fn a_full_cost_payer_asking_the_council_to_arrange_sees_the_arrangement_fee() {
    let case = serde_json::json!({
        "nation": "england", "date": "2026-10-01", "setting": "non_residential",
        "person": {"age_years": 72, "pension_credit_age": true, "couple": false},
        "premiums": {"disability": false, "enhanced_disability": false, "carer": false, "dependent_children": 0},
        "capital": [{"kind": "savings", "value": "40000.00"}],
        "weekly_income": [{"kind": "state_pension", "amount": "241.30"}],
        "weekly_cost_of_care": "250.00", "council_arranges": true,
        "local": {"arrangement_fee_set_up": "352.00", "arrangement_fee_annual": "120.00"}
    });
    let out = with_stdin(
        "sqlite://unused.db",
        &["assess", "--input", "-", "--format", "text"],
        &case.to_string(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    assert!(shown.contains("Arrangement fee, once") && shown.contains("£352.00"), "{shown}");
    assert!(shown.contains("Arrangement fee, each year") && shown.contains("£120.00"), "{shown}");
    // In a care home no fee can be charged (the s.18(3) duty is not in force there).
    let mut care_home = case.clone();
    care_home["setting"] = "care_home".into();
    let out = with_stdin("sqlite://unused.db", &["assess", "--input", "-"], &care_home.to_string());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let result: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(result["arrangement_fee_set_up"], "0.00", "{result}");
    assert!(result.to_string().contains("Commencement No. 4"), "{result}");
}

/// `onebudget events import` with a pseudonymisation secret in the environment.
fn events_import(url: &str, file: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["events", "import", "--input", file.to_str().unwrap()];
    args.extend_from_slice(extra);
    Command::new(env!("CARGO_BIN_EXE_onebudget"))
        .args(&args)
        .env("ONEBUDGET_DATABASE_URL", url)
        .env("ONEBUDGET_LOG", "warn")
        .env("ONEBUDGET_PSEUDONYM_KEY", "0b".repeat(32))
        .output()
        .expect("the onebudget binary runs")
}

backend_tests! {
    /// Issue 17, bad input: a CLD file with an impossible date, an end before a start and
    /// an unknown code is refused naming each line and column, and nothing is written; the
    /// corrected file imports, and importing it again adds nothing.
    fn events_import_refuses_a_bad_file_whole_and_is_idempotent(url: &str) {
        let directory = tempfile::tempdir().unwrap();
        let header = "LA_Code,NHS_Number,Client_Type,Event_Type,Event_Start_Date,Event_End_Date,Service_Type,Service_Component";
        // 999 000 001 8 and 999 000 002 6 are valid synthetic NHS numbers (check digits 8, 6).
        let good = [
            "E06000099,9990000018,Service user,Service,2025-04-01,,Short term support: ST-Max,Reablement",
            "E06000099,9990000026,Service User,Assessment,2025-04-02,2025-04-09,,",
        ];
        let bad = [
            good[0],
            "E06000099,9990000026,Service user,Assessment,2024-02-30,2024-03-01,,",
            "E06000099,9990000026,Service user,Review,2025-05-10,2025-05-01,,",
            "E06000099,9990000026,Service user,Service,2025-05-10,,Short term support: ST-Max,Respite",
        ];
        let bad_file = directory.path().join("bad.csv");
        std::fs::write(&bad_file, format!("{header}\n{}\n", bad.join("\n"))).unwrap();
        let refused = events_import(url, &bad_file, &[]);
        assert!(!refused.status.success());
        let stderr = text(&refused.stderr);
        assert!(stderr.contains("nothing from it was written"), "{stderr}");
        assert!(stderr.contains("line 3: Event_Start_Date: there is no such date (got \"2024-02-30\")"), "{stderr}");
        assert!(stderr.contains("line 4: Event_End_Date: the event ends before it starts (2025-05-10)"), "{stderr}");
        assert!(stderr.contains("line 5: Service_Component: not a value the CLD specification allows here"), "{stderr}");
        assert!(stderr.contains("\"Reablement\""), "{stderr}");

        let good_file = directory.path().join("good.csv");
        std::fs::write(&good_file, format!("{header}\n{}\n", good.join("\n"))).unwrap();
        let imported = events_import(url, &good_file, &["--format", "json"]);
        assert!(imported.status.success(), "{}", text(&imported.stderr));
        let summary: serde_json::Value = serde_json::from_slice(&imported.stdout).unwrap();
        // Nothing of the refused file was kept, so both rows of this one are new.
        assert_eq!(summary["imported"], 2, "{summary}");
        assert_eq!(summary["kind"], "social-care", "{summary}");

        let copy = directory.path().join("copy.csv");
        std::fs::write(&copy, format!("{header}\n{}\n{}\n", good[1], good[0])).unwrap();
        let again = events_import(url, &copy, &["--format", "json"]);
        let summary: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
        assert_eq!((summary["imported"].as_u64(), summary["already_held"].as_u64()), (Some(0), Some(2)), "{summary}");
    }
}
