//! Accessibility and the main journeys in a real browser: headless Chromium, driven
//! through chromedriver with the WebDriver client `fantoccini`, against the real server
//! (`onebudget_web::serve`) on 127.0.0.1:0 over a small seeded place
//! (`support::seed_place`, one login per role).
//!
//! Each role's journey is done with the keyboard: sign in (type, Tab, type, Enter), see
//! the role's home page, follow one link (Enter on it), sign out (Enter on the button),
//! and every page on the way (sign-in, each home page, the page the link leads to, the
//! signed-out page, a refused page, sign-in with a wrong password) must have no axe
//! violation.
//!
//! The pooled fund's pages (`support::seed_pool`, a Better Care Fund with a closed year)
//! are walked by keyboard too: the council's finance officer tabs from the home page to
//! the pools, the monitoring report, its printable version and the settlement, checks the
//! figures a board relies on against ones worked out here from what the fixture posted,
//! and confirms; the money moves only when the ICB's officer confirms as well, exactly as
//! the settlement says. A commissioner sees the same report and settlement, with no
//! button to confirm. Each of these pages must also fit the window without scrolling
//! sideways.
//!
//! Each page a member of the public sees (the home page; "Check what you might pay for
//! care" empty, after answers that cannot be used, and with an estimate) is checked with
//! axe-core against WCAG 2.2 A and AA and must have no violation. Keyboard tests check what
//! axe cannot: the first Tab lands on the skip link and following it moves focus to the
//! main content; Tab (and the arrow keys within a group of radios) reaches every form
//! control, in the order of the page; the error summary takes focus and its links lead to
//! the fields; the submit button works from the keyboard.
//!
//! Each test starts its own chromedriver (on a free port, in its own process group) and
//! its own browser profile. [`Chromedriver`]'s `Drop` stops chromedriver and kills its whole
//! process group, so no chromedriver or Chromium is left behind, even when a test fails.
//!
//! Needs /usr/bin/chromium and /usr/bin/chromedriver (Debian's `chromium` and
//! `chromium-driver`) and axe-core's `axe.min.js`, which `scripts/test` installs with
//! `npm ci` into target/browser-tools from tests/browser/package-lock.json (a pinned
//! version). `ONEBUDGET_CHROMIUM`, `ONEBUDGET_CHROMEDRIVER` and `ONEBUDGET_AXE_JS` override
//! those paths. When one is missing the tests say they were skipped and pass, unless
//! `ONEBUDGET_TEST_REQUIRE_BROWSER=1` (scripts/test sets it), when they fail.

// This whole crate is a test: see the note in tests/api.rs.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{Read as _, Write as _};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::ffi::OsStrExt as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource as _, KeyAction, KeyActions};
use fantoccini::key::Key;
use fantoccini::wd::{Capabilities, TimeoutConfiguration};
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde::Deserialize;
use serde_json::{Value, json};

const PAGE: &str = "/check-what-you-might-pay";

/// Set to 1 (scripts/test does) to make a missing browser, chromedriver or axe-core a
/// failure rather than a skip.
const REQUIRE_BROWSER_VARIABLE: &str = "ONEBUDGET_TEST_REQUIRE_BROWSER";

/// The axe-core rule tags for WCAG 2.2 level A and AA (rules new in a version are tagged
/// with that version only, so all five are needed).
const WCAG_TAGS: [&str; 5] = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];

/// Flags that let Chromium run headless as root on a machine without a network.
const CHROMIUM_FLAGS: &[&str] = &[
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,1024",
];

/// No test of this file takes longer than this; past it the test fails (and cleans up).
const TEST_TIMEOUT: Duration = Duration::from_secs(120);

// ---------------------------------------------------------------------------------------
// What the tests need, and skipping without it

/// The browser, its driver and axe-core's source.
struct Tools {
    chromium: PathBuf,
    chromedriver: PathBuf,
    axe_source: String,
}

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn path_from(variable: &str, default: PathBuf) -> PathBuf {
    std::env::var_os(variable).map_or(default, PathBuf::from)
}

fn browser_required() -> bool {
    std::env::var_os(REQUIRE_BROWSER_VARIABLE).is_some_and(|v| !v.is_empty() && v != "0")
}

/// The tools, or `None` after saying the test `test` was skipped (a panic instead when
/// [`REQUIRE_BROWSER_VARIABLE`] is set).
fn tools(test: &str) -> Option<Tools> {
    let chromium = path_from("ONEBUDGET_CHROMIUM", PathBuf::from("/usr/bin/chromium"));
    let chromedriver = path_from("ONEBUDGET_CHROMEDRIVER", PathBuf::from("/usr/bin/chromedriver"));
    let axe = path_from(
        "ONEBUDGET_AXE_JS",
        workspace_root().join("target/browser-tools/node_modules/axe-core/axe.min.js"),
    );
    let mut missing = Vec::new();
    for (what, path) in [("Chromium", &chromium), ("chromedriver", &chromedriver)] {
        if !path.is_file() {
            missing.push(format!("{what} ({})", path.display()));
        }
    }
    let axe_source = std::fs::read_to_string(&axe).ok();
    if axe_source.is_none() {
        missing.push(format!("axe-core ({})", axe.display()));
    }
    if let (true, Some(axe_source)) = (missing.is_empty(), axe_source) {
        return Some(Tools { chromium, chromedriver, axe_source });
    }
    let why = format!(
        "{} not found (scripts/test installs them: apt-get install chromium chromium-driver, \
         and axe-core with npm ci into target/browser-tools)",
        missing.join(", ")
    );
    if browser_required() {
        panic!("{REQUIRE_BROWSER_VARIABLE} is set, so {test} must run in a browser, but {why}");
    }
    // Straight to the process's stderr, past the test harness's capture, so that a plain
    // `cargo test` shows that these tests did not run.
    let _ = writeln!(std::io::stderr(), "skipped {test}: {why}");
    None
}

// ---------------------------------------------------------------------------------------
// chromedriver, and cleaning up after it

/// A running chromedriver, leader of its own process group (the browsers it starts join
/// it), with a temporary directory as its and the browser's home. Dropping it asks
/// chromedriver to shut down, then kills the whole group and any process that names the
/// directory on its command line (Chromium's crash handler starts a session of its own,
/// outside the group, with its database under the home directory).
struct Chromedriver {
    child: Child,
    port: u16,
    /// The home directory: Chromium's profile, chromedriver's log; removed last.
    dir: tempfile::TempDir,
}

impl Chromedriver {
    fn start(path: &Path) -> Chromedriver {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let port = free_port();
        let log = std::fs::File::create(dir.path().join("chromedriver.log")).expect("a log file");
        let child = Command::new(path)
            .arg(format!("--port={port}"))
            .env("HOME", dir.path())
            .env_remove("XDG_CONFIG_HOME")
            .env_remove("XDG_CACHE_HOME")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("the log file"))
            .stderr(log)
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", path.display()));
        let mut driver = Chromedriver { child, port, dir };
        driver.wait_until_listening();
        driver
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn address(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.port))
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("chromedriver.log")).unwrap_or_default()
    }

    fn wait_until_listening(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("chromedriver exited ({status}) before listening:\n{}", self.log());
            }
            if TcpStream::connect_timeout(&self.address(), Duration::from_millis(200)).is_ok() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver did not listen on port {} within 20 s:\n{}",
                self.port,
                self.log()
            );
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// chromedriver's own `GET /shutdown`: it quits the browsers it started and exits.
    fn ask_to_shut_down(&self) {
        let Ok(mut stream) = TcpStream::connect_timeout(&self.address(), Duration::from_secs(1))
        else {
            return;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
        let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
        let request = format!(
            "GET /shutdown HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n",
            self.port
        );
        if stream.write_all(request.as_bytes()).is_ok() {
            let _ = stream.read(&mut [0; 512]);
        }
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            self.ask_to_shut_down();
            let deadline = Instant::now() + Duration::from_secs(3);
            while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        // Whatever is left goes too: the group (its id is chromedriver's pid), and any
        // process started from this directory. The shell's own `kill` takes a group.
        let mut targets = vec![format!("-{}", self.child.id())];
        targets.extend(processes_naming(self.dir.path()).iter().map(u32::to_string));
        let _ = Command::new("sh")
            .args(["-c", "kill -s KILL -- \"$@\"", "sh"])
            .args(&targets)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The processes whose command line contains `path`.
fn processes_naming(path: &Path) -> Vec<u32> {
    let needle = path.as_os_str().as_bytes();
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .flatten()
        .filter_map(|entry| {
            let pid = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let command_line = std::fs::read(entry.path().join("cmdline")).ok()?;
            command_line.windows(needle.len()).any(|window| window == needle).then_some(pid)
        })
        .collect()
}

fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local address").port()
}

// ---------------------------------------------------------------------------------------
// The app, the browser, and one test's session

#[allow(dead_code)]
mod support;

use support::Server as TestApp;

/// The app over a small place with one login per role (`support::seed_place`).
async fn spawn_app() -> TestApp {
    let app = TestApp::start().await;
    let store = app.store.clone();
    tokio::task::spawn_blocking(move || support::seed_place(&store)).await.expect("seed");
    app
}

/// One test's app, chromedriver and browser session.
struct Session {
    app: TestApp,
    client: Client,
    axe_source: String,
    // Dropped last: stops chromedriver and every browser process, even after a panic.
    driver: Chromedriver,
}

impl Session {
    async fn start(tools: Tools) -> Session {
        let app = spawn_app().await;
        let driver = Chromedriver::start(&tools.chromedriver);
        let profile = driver.dir.path().join("profile");
        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|flag| (*flag).to_owned()).collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        let mut capabilities = Capabilities::new();
        capabilities.insert("browserName".into(), json!("chrome"));
        capabilities
            .insert("goog:chromeOptions".into(), json!({ "binary": tools.chromium, "args": args }));
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&driver.url())
            .await
            .unwrap_or_else(|e| panic!("starting Chromium: {e}\n{}", driver.log()));
        let timeouts = TimeoutConfiguration::new(
            Some(Duration::from_secs(30)),
            Some(Duration::from_secs(30)),
            Some(Duration::ZERO),
        );
        client.update_timeouts(timeouts).await.expect("set the timeouts");
        Session { app, client, axe_source: tools.axe_source, driver }
    }

    async fn finish(self) {
        let Session { app, client, driver, .. } = self;
        client.close().await.expect("end the browser session");
        drop(driver);
        app.finish().await;
    }

    async fn goto(&self, path: &str) {
        let url = format!("{}{path}", self.app.base);
        self.client.goto(&url).await.unwrap_or_else(|e| panic!("open {url}: {e}"));
    }

    async fn script(&self, script: &str, args: Vec<Value>) -> Value {
        self.client.execute(script, args).await.unwrap_or_else(|e| panic!("{e}\n{script}"))
    }

    async fn title(&self) -> String {
        self.client.title().await.expect("the title")
    }

    /// Press and release `key` on whatever has focus, as a keyboard would.
    async fn press(&self, key: Key) {
        let key = char::from(key);
        let actions = KeyActions::new("keyboard".to_owned())
            .then(KeyAction::Down { value: key })
            .then(KeyAction::Up { value: key });
        self.client.perform_actions(actions).await.expect("press a key");
    }

    /// What has focus (`None` for the document's body).
    async fn focused(&self) -> Option<Focused> {
        let script = format!(
            "{DESCRIBE}\nconst e = document.activeElement;\nreturn e && e !== document.body ? describe(e) : null;"
        );
        serde_json::from_value(self.script(&script, vec![]).await).expect("a description")
    }

    /// Mark the document now shown, so that [`Session::wait_for_next_page`] can tell a
    /// new one (after a submission) from it.
    async fn mark_this_page(&self) {
        self.script("window.onebudgetTestMark = true;", vec![]).await;
    }

    /// Wait until a document other than the marked one is shown and has `css`.
    async fn wait_for_next_page(&self, css: &str) {
        let check = "return !window.onebudgetTestMark && document.readyState === 'complete'
                         && document.querySelector(arguments[0]) !== null;";
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.client.execute(check, vec![json!(css)]).await.ok() != Some(json!(true)) {
            assert!(Instant::now() < deadline, "no new page with {css} within 20 s");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn click(&self, css: &str) {
        let element = self.client.find(Locator::Css(css)).await.expect(css);
        element.click().await.unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    async fn type_into(&self, css: &str, text: &str) {
        let element = self.client.find(Locator::Css(css)).await.expect(css);
        element.send_keys(text).await.unwrap_or_else(|e| panic!("type into {css}: {e}"));
    }

    /// Answer the question shown, through the browser (click `clicks`, type `typed`),
    /// press Continue and wait for the page of step `next` (`check`: check answers).
    async fn answer(&self, clicks: &[&str], typed: &[(&str, &str)], next: &str) {
        for css in clicks {
            self.click(css).await;
        }
        for (css, text) in typed {
            let field = self.client.find(Locator::Css(css)).await.expect(css);
            field.clear().await.unwrap_or_else(|e| panic!("clear {css}: {e}"));
            field.send_keys(text).await.unwrap_or_else(|e| panic!("type into {css}: {e}"));
        }
        self.mark_this_page().await;
        self.click("main button[name=go][value=continue]").await;
        self.wait_for_next_page(&format!("main input[name=page][value={next}]")).await;
    }

    /// The height of the page now shown at a phone's width (390 px), in CSS pixels; the
    /// window is left at 1280 px.
    async fn height_at_390(&self) -> u64 {
        self.client.set_window_size(390, 1024).await.expect("390 px");
        let height = self
            .script("return document.documentElement.scrollHeight;", vec![])
            .await
            .as_u64()
            .expect("a height");
        self.client.set_window_size(1280, 1024).await.expect("back to 1280 px");
        height
    }

    /// Run axe-core on the page now shown and fail, listing every violation, if it finds any.
    /// Check the page with axe-core at desktop width (1280 px) and at a phone's (390 px),
    /// and that at 390 px nothing but a table's own scrolling box is wider than the
    /// screen (so no column, link or button is cut off); the window is left at 1280 px.
    async fn assert_no_axe_violations(&self, page: &str) {
        for width in [1280_u32, 390] {
            self.client
                .set_window_size(width, 1024)
                .await
                .unwrap_or_else(|e| panic!("resize to {width} px for {page}: {e}"));
            let shown = format!("{page} at {width} px");
            let viewport = self
                .client
                .execute("return window.innerWidth;", vec![])
                .await
                .unwrap_or_else(|e| panic!("measuring {shown}: {e}"));
            let viewport = viewport.as_u64().unwrap_or_default();
            assert!(
                viewport <= u64::from(width) && viewport + 40 >= u64::from(width),
                "{shown}: the browser's viewport is {viewport} px wide"
            );
            self.axe_at_this_width(&shown).await;
            let overflowing = self
                .client
                .execute(OVERFLOWING, vec![])
                .await
                .unwrap_or_else(|e| panic!("measuring {shown}: {e}"));
            assert_eq!(overflowing, json!([]), "{shown}: wider than the screen");
        }
        self.client.set_window_size(1280, 1024).await.expect("back to 1280 px");
    }

    async fn axe_at_this_width(&self, page: &str) {
        self.script(&self.axe_source, vec![]).await;
        let result = self
            .client
            .execute_async(AXE_RUN, vec![json!(WCAG_TAGS)])
            .await
            .unwrap_or_else(|e| panic!("running axe on {page}: {e}"));
        let result: AxeResult = serde_json::from_value(result.clone())
            .unwrap_or_else(|e| panic!("axe's result on {page}: {e}: {result}"));
        if let Some(error) = result.error {
            panic!("axe failed on {page}: {error}");
        }
        assert!(result.rules_run > 0, "axe ran no rule on {page}");
        for item in &result.incomplete {
            // Needs a person to review: reported, not failed.
            println!(
                "{page}: axe could not decide {} ({}) for {:?}",
                item.id, item.help, item.targets
            );
        }
        let mut report = String::new();
        for violation in &result.violations {
            let _ = writeln!(
                report,
                "- {} ({}): {}\n  {}",
                violation.id,
                violation.impact.as_deref().unwrap_or("unknown impact"),
                violation.help,
                violation.help_url
            );
            for node in &violation.nodes {
                let _ = writeln!(
                    report,
                    "  at {}\n    {}",
                    node.target,
                    node.summary.replace('\n', "\n    ")
                );
            }
        }
        assert!(
            result.violations.is_empty(),
            "{page}: axe-core {} found {} WCAG 2.2 A/AA violation(s):\n{report}",
            result.version,
            result.violations.len()
        );
    }
}

// ---------------------------------------------------------------------------------------
// What the scripts run in the page return

/// `describe(element)`: a stable key for an element (`#id`, or its tag and name or text)
/// and what the tests need to know about it.
const DESCRIBE: &str = r"
function describe(e) {
  const text = (e.textContent || '').trim().replace(/\s+/g, ' ').slice(0, 60);
  return {
    key: e.id ? '#' + e.id : e.tagName.toLowerCase() + ':' + (e.getAttribute('name') || text),
    tag: e.tagName.toLowerCase(),
    type: e.getAttribute('type') || '',
    name: e.getAttribute('name') || '',
    href: e.getAttribute('href') || '',
    classes: e.className || '',
    text: text,
    in_form: !!e.closest('form'),
    in_main: !!e.closest('main'),
  };
}";

#[derive(Debug, Clone, Deserialize)]
struct Focused {
    key: String,
    tag: String,
    r#type: String,
    name: String,
    href: String,
    classes: String,
    text: String,
    in_form: bool,
    in_main: bool,
}

/// Runs axe-core with the WCAG tags passed as the first argument; answers with what the
/// tests print, or `{error}`.
/// The elements wider than the viewport, outside a scrolling table wrapper (which scrolls
/// on purpose): each as its tag, id and classes, so a failure says what to fix.
const OVERFLOWING: &str = r#"
const width = document.documentElement.clientWidth;
const out = [];
for (const el of document.body.querySelectorAll('*')) {
  if (el.closest('.app-table-wrap')) continue;
  const box = el.getBoundingClientRect();
  if (box.width === 0 && box.height === 0) continue;
  if (box.right > width + 1 || box.left < -1) {
    out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
      (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : '') +
      ' (' + Math.round(box.left) + ' to ' + Math.round(box.right) + ' px of ' + width + ')');
  }
}
return out.slice(0, 10);
"#;

const AXE_RUN: &str = r"
const done = arguments[arguments.length - 1];
axe.run(document, { runOnly: { type: 'tag', values: arguments[0] } })
  .then(function (r) {
    done({
      version: axe.version,
      rules_run: r.violations.length + r.passes.length + r.incomplete.length + r.inapplicable.length,
      violations: r.violations.map(function (v) {
        return {
          id: v.id, impact: v.impact, help: v.help, help_url: v.helpUrl,
          nodes: v.nodes.map(function (n) {
            return { target: JSON.stringify(n.target), summary: n.failureSummary || '' };
          }),
        };
      }),
      incomplete: r.incomplete.map(function (v) {
        return { id: v.id, help: v.help, targets: v.nodes.map(function (n) { return JSON.stringify(n.target); }) };
      }),
    });
  })
  .catch(function (e) { done({ error: String((e && e.stack) || e) }); });";

#[derive(Debug, Deserialize)]
struct AxeResult {
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    version: String,
    #[serde(default)]
    rules_run: usize,
    #[serde(default)]
    violations: Vec<AxeViolation>,
    #[serde(default)]
    incomplete: Vec<AxeIncomplete>,
}

#[derive(Debug, Deserialize)]
struct AxeViolation {
    id: String,
    impact: Option<String>,
    help: String,
    help_url: String,
    nodes: Vec<AxeNode>,
}

#[derive(Debug, Deserialize)]
struct AxeNode {
    target: String,
    summary: String,
}

#[derive(Debug, Deserialize)]
struct AxeIncomplete {
    id: String,
    help: String,
    targets: Vec<String>,
}

// ---------------------------------------------------------------------------------------
// The tests

macro_rules! browser_tests {
    ($($test:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $test() {
                let Some(tools) = tools(stringify!($test)) else { return };
                let session = Session::start(tools).await;
                tokio::time::timeout(TEST_TIMEOUT, checks::$test(&session))
                    .await
                    .unwrap_or_else(|_| panic!("{} took longer than {TEST_TIMEOUT:?}", stringify!($test)));
                session.finish().await;
            }
        )*
    };
}

browser_tests!(
    home_page_has_no_axe_violations,
    empty_form_has_no_axe_violations,
    form_with_errors_has_no_axe_violations_and_takes_focus,
    estimate_has_no_axe_violations,
    first_tab_reaches_the_skip_link_which_leads_to_the_main_content,
    keyboard_reaches_every_control_in_order_and_submits,
    citizen_journey,
    practitioner_journey,
    finance_journey,
    commissioner_journey,
    admin_journey,
    auditor_journey,
    a_wrong_password_is_explained_accessibly,
    pool_settlement_confirmed_by_each_partner,
    commissioner_sees_the_pool_but_cannot_confirm,
    practitioner_plans_a_budget,
    citizen_spends_and_reads_the_statement,
    finance_pays_budgets_and_decides_a_recovery,
    practitioner_records_spending_for_the_person,
    finance_pays_a_providers_invoice,
    caseload_and_a_pool_year_fit_a_phone_and_a_desktop,
);

mod checks {
    use super::*;

    /// The h1's text on the page now shown.
    async fn heading(s: &Session) -> String {
        let h1 = s.client.find(Locator::Css("h1")).await.expect("an h1");
        h1.text().await.expect("its text")
    }

    /// Activate an element from the keyboard: focus it and press Enter.
    async fn press_enter_on(s: &Session, css: &str) {
        let element = s.client.find(Locator::Css(css)).await.expect(css);
        element
            .send_keys(&char::from(Key::Enter).to_string())
            .await
            .unwrap_or_else(|e| panic!("Enter on {css}: {e}"));
    }

    /// Sign in with the keyboard alone (type, Tab, type, Enter) and land on the role's
    /// home page, checking the sign-in page and the home page with axe.
    async fn sign_in(s: &Session, role: &str, home_heading: &str) {
        let (username, password, _) =
            support::LOGINS.iter().find(|(_, _, r)| *r == role).copied().expect("a login");
        sign_in_as(s, username, password, role, home_heading).await;
    }

    /// [`sign_in`] as one user, `role` naming them in messages.
    async fn sign_in_as(
        s: &Session,
        username: &str,
        password: &str,
        role: &str,
        home_heading: &str,
    ) {
        s.goto("/sign-in").await;
        assert_eq!(s.title().await, "Sign in – Health and care budgets – onebudget");
        s.assert_no_axe_violations("the sign-in page").await;
        s.type_into("#username", username).await;
        s.press(Key::Tab).await;
        let focused = s.focused().await.expect("the password field has focus");
        assert_eq!(focused.key, "#password", "Tab goes from user name to password");
        s.type_into("#password", password).await;
        s.mark_this_page().await;
        s.press(Key::Enter).await;
        s.wait_for_next_page("h1").await;
        assert_eq!(heading(s).await, home_heading, "{role}'s home page");
        s.assert_no_axe_violations(&format!("{role}'s home page")).await;
    }

    /// Follow the link `css` with the keyboard and check the page it leads to.
    async fn follow(s: &Session, css: &str, expected_heading: &str, page: &str) {
        s.mark_this_page().await;
        press_enter_on(s, css).await;
        s.wait_for_next_page("h1").await;
        let shown = heading(s).await;
        assert!(shown.starts_with(expected_heading), "{page}: heading {shown:?}");
        s.assert_no_axe_violations(page).await;
    }

    /// Sign out with the keyboard; the session is over afterwards.
    async fn sign_out(s: &Session, role: &str) {
        s.mark_this_page().await;
        press_enter_on(s, "form[action='/sign-out'] button").await;
        s.wait_for_next_page("h1").await;
        assert_eq!(heading(s).await, "You have signed out");
        s.assert_no_axe_violations("the signed-out page").await;
        s.goto("/home").await;
        assert_eq!(heading(s).await, "Sign in", "{role} is signed out");
    }

    pub async fn citizen_journey(s: &Session) {
        sign_in(s, "citizen", "Your budget").await;
        follow(
            s,
            "a[href='/my-budget/who-has-looked']",
            "Who has looked at your record",
            "who has looked",
        )
        .await;
        // A page the role may not see says so, accessibly.
        s.goto("/finance").await;
        assert_eq!(heading(s).await, "You cannot see this page");
        s.assert_no_axe_violations("the refused page").await;
        s.goto("/my-budget").await;
        sign_out(s, "citizen").await;
    }

    pub async fn practitioner_journey(s: &Session) {
        sign_in(s, "practitioner", "Your team's caseload").await;
        follow(s, "main a[href^='/people/']", "Alex Northcott", "a person's record").await;
        sign_out(s, "practitioner").await;
    }

    pub async fn finance_journey(s: &Session) {
        sign_in(s, "finance", "The ledger").await;
        follow(s, "main a[href^='/finance/accounts/']", "Statement:", "an account statement").await;
        sign_out(s, "finance").await;
    }

    pub async fn commissioner_journey(s: &Session) {
        sign_in(s, "commissioner", "Spending across the system").await;
        let chart = s.client.find(Locator::Css("main svg[role='img']")).await.expect("a chart");
        let label = chart.find(Locator::Css("title")).await.expect("the chart's title");
        assert!(
            !label.html(true).await.expect("text").is_empty(),
            "the chart has a text alternative"
        );
        follow(
            s,
            "main a[href^='/spending?from=2025-04-01']",
            "Spending across the system",
            "one year's spending",
        )
        .await;
        follow(
            s,
            "main a[href='/budgets/funders']",
            "Each funder's share of personal budgets",
            "each funder's share of personal budgets",
        )
        .await;
        let text =
            s.client.find(Locator::Css("main")).await.expect("main").text().await.expect("text");
        assert!(
            text.contains("NHS continuing healthcare (CHC)")
                && text.contains("Adult social care (ASC)"),
            "every stream is listed: {text}"
        );
        sign_out(s, "commissioner").await;
    }

    pub async fn admin_journey(s: &Session) {
        sign_in(s, "admin", "Administration").await;
        follow(
            s,
            ".govuk-service-navigation a[href='/home']",
            "Administration",
            "the administrator's home, again",
        )
        .await;
        // At a phone's width and a desktop's: add a user, see their password once, and
        // disable them; each page has no axe violation and fits the window.
        for (width, username) in [(390, "phone-added"), (1280, "desk-added")] {
            s.client.set_window_size(width, 900).await.expect("resize the window");
            s.goto("/admin").await;
            s.assert_no_axe_violations(&format!("administration at {width} px")).await;
            assert_fits_the_window(s, &format!("administration at {width} px")).await;
            s.type_into("#username", username).await;
            s.type_into("#name", "Added In A Test").await;
            let role = s.client.find(Locator::Css("#role")).await.expect("#role");
            role.select_by_value("practitioner").await.expect("practitioner");
            // No team: refused with the error summary, which takes focus.
            submit_from(s, "#name", "Administration", "a user without a team").await;
            let summary =
                s.client.find(Locator::Css(".govuk-error-summary")).await.expect("errors");
            assert!(summary.text().await.unwrap().contains("team"), "the team is named");
            assert_fits_the_window(s, &format!("a refused user at {width} px")).await;
            let team = s.client.find(Locator::Css("#team")).await.expect("#team");
            team.select_by_value("TEAM-NORTH").await.expect("the North team");
            submit_from(s, "#name", "Administration", "a user added").await;
            assert!(done_message(s).await.contains(&format!("{username} has been added")));
            let secret = s.client.find(Locator::Css("#secret")).await.expect("the password");
            let password = secret.text().await.expect("its text");
            assert!(password.len() >= 12, "{password}");
            assert_fits_the_window(s, &format!("a user added at {width} px")).await;
            follow(s, &format!("main a[href='/admin/users/{username}']"), username, "the user")
                .await;
            assert_fits_the_window(s, &format!("a user's page at {width} px")).await;
            s.mark_this_page().await;
            press_enter_on(s, "#disable").await;
            s.wait_for_next_page("h1").await;
            s.assert_no_axe_violations(&format!("a user disabled at {width} px")).await;
            assert!(done_message(s).await.contains(&format!("{username} has been disabled")));
            assert!(main_text(s).await.contains("Disabled"));
            assert_fits_the_window(s, &format!("a user disabled at {width} px")).await;
            let store = s.app.store.clone();
            let name = username.to_owned();
            let user = tokio::task::spawn_blocking(move || store.user_by_username(&name))
                .await
                .expect("task")
                .expect("read")
                .expect("the user");
            assert!(user.disabled_at.is_some(), "{user:?}");
        }
        s.client.set_window_size(1280, 1024).await.expect("resize the window");
        sign_out(s, "admin").await;
    }

    pub async fn auditor_journey(s: &Session) {
        sign_in(s, "auditor", "What you can inspect").await;
        follow(s, "a[href='/audit']", "Audit log", "the audit log").await;
        // Search: choose what was done from its list, then press Enter in a text field.
        let action = s.client.find(Locator::Css("#action")).await.expect("#action");
        action.select_by_value("sign_in").await.expect("choose sign-ins");
        s.type_into("#actor", "").await;
        s.mark_this_page().await;
        s.press(Key::Enter).await;
        s.wait_for_next_page("h1").await;
        let table = s.client.find(Locator::Css("main table")).await.expect("results");
        let text = table.text().await.expect("its text");
        assert!(text.contains("Signed in"), "the auditor's own sign-in is listed: {text}");
        s.assert_no_axe_violations("the audit search results").await;
        sign_out(s, "auditor").await;
    }

    pub async fn a_wrong_password_is_explained_accessibly(s: &Session) {
        // On the way: a page that does not exist says so, as a page.
        s.goto("/no-such-page").await;
        assert_eq!(heading(s).await, "Page not found");
        s.assert_no_axe_violations("the not-found page").await;

        s.goto("/sign-in").await;
        s.type_into("#username", "finance").await;
        s.type_into("#password", "not-the-password").await;
        s.mark_this_page().await;
        s.click("main form button[type=submit]").await;
        s.wait_for_next_page(".govuk-error-summary").await;
        let summary = s.client.find(Locator::Css(".govuk-error-summary")).await.expect("a summary");
        assert!(summary.text().await.expect("text").contains("not right"));
        s.assert_no_axe_violations("sign-in with a wrong password").await;
    }

    pub async fn home_page_has_no_axe_violations(s: &Session) {
        s.goto("/").await;
        assert_eq!(s.title().await, "Home – Health and care budgets – onebudget");
        s.assert_no_axe_violations("the home page (/)").await;
    }

    /// The start page and the first question, each checked with axe at both widths.
    pub async fn empty_form_has_no_axe_violations(s: &Session) {
        s.goto(PAGE).await;
        assert_eq!(
            s.title().await,
            "Check what you might pay for care – Health and care budgets – onebudget"
        );
        s.assert_no_axe_violations("the start page").await;
        s.mark_this_page().await;
        s.click("main button.govuk-button--start").await;
        s.wait_for_next_page("main input[name=page][value=nation]").await;
        assert_eq!(heading(s).await, "Which nation is the care in?");
        s.assert_no_axe_violations("the first question").await;
    }

    /// A question left unanswered: the error summary is shown, takes focus, and its link
    /// leads to the field.
    pub async fn form_with_errors_has_no_axe_violations_and_takes_focus(s: &Session) {
        s.goto(PAGE).await;
        s.mark_this_page().await;
        s.click("main button.govuk-button--start").await;
        s.wait_for_next_page("main input[name=page][value=nation]").await;
        s.mark_this_page().await;
        s.click("main button[name=go][value=continue]").await;
        s.wait_for_next_page(".govuk-error-summary").await;
        assert!(s.title().await.starts_with("Error: "), "{}", s.title().await);
        let focused = s.focused().await.expect("something has focus");
        assert!(
            focused.classes.contains("govuk-error-summary"),
            "the error summary takes focus, not {focused:?}"
        );
        s.assert_no_axe_violations("a question with an error summary").await;

        s.press(Key::Tab).await;
        let link = s.focused().await.expect("a link has focus");
        assert_eq!(link.href, "#nation", "the link in the summary: {link:?}");
        s.press(Key::Enter).await;
        let field = s.focused().await.expect("a field has focus");
        assert_eq!(field.key, "#nation", "the link leads to its field");
    }

    /// England, care at home, answered page by page in the browser: every page (each
    /// question, check your answers, a change, the estimate) has no axe violations at
    /// 1280 and 390 px, and each fits a phone in far less than the old single form's
    /// ~4,800 px. The heights at 390 px are printed.
    pub async fn estimate_has_no_axe_violations(s: &Session) {
        let mut heights: Vec<(&str, u64)> = Vec::new();
        s.goto(PAGE).await;
        heights.push(("start", s.height_at_390().await));
        s.mark_this_page().await;
        s.click("main button.govuk-button--start").await;
        s.wait_for_next_page("main input[name=page][value=nation]").await;
        // (the page, the radios to click, what to type, the page after it)
        type Answer<'a> = (&'a str, &'a [&'a str], &'a [(&'a str, &'a str)], &'a str);
        let pages: &[Answer<'_>] = &[
            ("nation", &["#nation"], &[], "setting"),
            ("setting", &["#setting"], &[], "year"),
            ("year", &["#year-2024-25"], &[], "cost"),
            ("cost", &[], &[("#cost_of_care", "300")], "couple"),
            ("couple", &["#couple"], &[], "lone_parent"),
            ("lone_parent", &["#lone_parent-no"], &[], "children"),
            ("children", &[], &[("#children", "1")], "savings"),
            ("savings", &[], &[("#savings", "5000")], "pension_age"),
            ("pension_age", &["#pension_age"], &[], "pension_credit"),
            ("pension_credit", &[], &[], "pensions"),
            ("pensions", &[], &[("#state_pension", "221.20")], "disability_benefit"),
            ("disability_benefit", &["#disability_benefit"], &[], "premiums"),
            ("premiums", &[], &[], "costs"),
            ("costs", &[], &[], "check"),
        ];
        for (page, clicks, typed, next) in pages {
            s.assert_no_axe_violations(&format!("the question page {page}")).await;
            heights.push((page, s.height_at_390().await));
            s.answer(clicks, typed, next).await;
        }
        assert_eq!(heading(s).await, "Check your answers");
        s.assert_no_axe_violations("check your answers").await;
        heights.push(("check", s.height_at_390().await));

        // Change the cost: the question, then back to check your answers.
        s.mark_this_page().await;
        s.click(r#"main button[name=go][value="change:cost"]"#).await;
        s.wait_for_next_page("main input[name=page][value=cost]").await;
        s.answer(&[], &[("#cost_of_care", "320")], "check").await;
        let main = s.client.find(Locator::Css("main")).await.expect("main");
        assert!(main.text().await.expect("text").contains("£320.00"));

        s.mark_this_page().await;
        s.click("main button[name=go][value=estimate]").await;
        s.wait_for_next_page("#estimate-title").await;
        let title = s.client.find(Locator::Id("estimate-title")).await.expect("the estimate");
        let title = title.text().await.expect("its text");
        assert!(title.starts_with("Estimate"), "{title}");
        assert!(s.title().await.starts_with("Your estimate: "), "{}", s.title().await);
        s.assert_no_axe_violations("the estimate").await;
        heights.push(("estimate", s.height_at_390().await));

        for (page, height) in &heights {
            println!("page height at 390 px: {page}: {height} px");
        }
        // Measured (header and footer included): 955 to 1,619 px a question, 1,494 the
        // start page (1,769 with the notice that this year's figures are missing), 2,893
        // check your answers; the estimate, with every step and source, is as long as it
        // needs to be (2,906 here).
        for (page, height) in &heights {
            let most = match *page {
                "estimate" => continue,
                "start" | "check" => 3_200,
                _ => 1_800,
            };
            assert!(*height < most, "{page} is {height} px tall at 390 px");
        }
    }

    pub async fn first_tab_reaches_the_skip_link_which_leads_to_the_main_content(s: &Session) {
        s.goto(PAGE).await;
        s.mark_this_page().await;
        s.click("main button.govuk-button--start").await;
        s.wait_for_next_page("main input[name=page][value=nation]").await;
        // The click left focus on nothing in the new page: start from the top.
        s.script("document.activeElement && document.activeElement.blur();", vec![]).await;
        assert!(s.focused().await.is_none(), "nothing has focus before the first Tab");
        s.press(Key::Tab).await;
        let first = s.focused().await.expect("the first Tab focuses something");
        assert_eq!(first.href, "#main-content", "the first Tab lands on the skip link: {first:?}");
        assert!(first.classes.contains("skip-link"), "{first:?}");
        // Focused, it is shown (it is off-screen until then).
        let shown = s
            .script(
                "const r = document.activeElement.getBoundingClientRect();
                 return r.width > 0 && r.height > 0 && r.left >= 0 && r.top >= 0
                     && r.right <= window.innerWidth && r.bottom <= window.innerHeight;",
                vec![],
            )
            .await;
        assert_eq!(shown, json!(true), "the focused skip link is on screen");

        s.press(Key::Enter).await;
        let main = s.focused().await.expect("following the skip link moves focus");
        assert_eq!(main.key, "#main-content", "focus moves to the main content: {main:?}");
        assert_eq!(main.tag, "main");
        s.press(Key::Tab).await;
        let next = s.focused().await.expect("Tab after the skip link");
        assert!(next.in_main, "the next Tab stays in the main content: {next:?}");
        assert_eq!(next.key, "#nation", "the question is next: {next:?}");
    }

    /// Tab through a question page with two questions (the disability benefit and its
    /// amount), moving through the radios with the down arrow as a keyboard user does:
    /// every control is reached, in the page's order. Space on Continue goes on; on the
    /// check-answers page, every "Change" is reached and Enter on the last button gives
    /// the estimate.
    pub async fn keyboard_reaches_every_control_in_order_and_submits(s: &Session) {
        s.goto(PAGE).await;
        s.mark_this_page().await;
        s.click("main button.govuk-button--start").await;
        s.wait_for_next_page("main input[name=page][value=nation]").await;
        s.answer(&["#nation-wales"], &[], "setting").await;
        s.answer(&["#setting"], &[], "year").await;
        s.answer(&["#year-2024-25"], &[], "cost").await;
        s.answer(&[], &[("#cost_of_care", "250")], "couple").await;
        s.answer(&["#couple"], &[], "savings").await;
        s.answer(&[], &[("#savings", "100")], "pension_age").await;
        s.answer(&["#pension_age"], &[], "pension_credit").await;
        s.answer(&[], &[], "pensions").await;
        s.answer(&[], &[("#state_pension", "221.20")], "disability_benefit").await;

        let controls = format!(
            "{DESCRIBE}\nreturn Array.from(document.querySelectorAll(
               'main form input:not([type=hidden]), main form select, main form textarea, main form button'))
             .filter(function (e) {{ return !e.disabled; }})
             .map(function (e) {{ return describe(e).key; }});"
        );
        let in_dom: Vec<String> =
            serde_json::from_value(s.script(&controls, vec![]).await).expect("the controls");
        assert!(in_dom.len() > 8, "the form's controls: {in_dom:?}");
        let radios_in_group = "return document.querySelectorAll(
            'input[type=radio][name=\"' + arguments[0] + '\"]').length;";
        s.script("document.activeElement && document.activeElement.blur();", vec![]).await;
        let mut reached: Vec<String> = Vec::new();
        for _ in 0..100 {
            s.press(Key::Tab).await;
            let Some(focused) = s.focused().await else { break };
            if !focused.in_main || !focused.in_form {
                if reached.is_empty() {
                    continue; // the skip link, the header and Back, before the question
                }
                break; // past the form
            }
            if focused.r#type == "radio" {
                let count = s.script(radios_in_group, vec![json!(focused.name)]).await;
                let count = count.as_u64().expect("a count");
                reached.push(focused.key);
                for _ in 1..count {
                    s.press(Key::Down).await;
                    reached.push(s.focused().await.expect("a radio has focus").key);
                }
            } else {
                reached.push(focused.key);
            }
        }
        assert_eq!(reached, in_dom, "the keyboard reaches the controls in the page's order");

        // The down arrow chose the last radio (DLA care, highest rate): give its amount,
        // then Space on Continue.
        s.type_into("#disability_benefit_amount", "110.40").await;
        s.press(Key::Tab).await;
        let button = s.focused().await.expect("the button has focus");
        assert_eq!(button.tag, "button", "{button:?}");
        assert_eq!(button.text, "Continue");
        s.mark_this_page().await;
        s.press(Key::Space).await;
        s.wait_for_next_page("main input[name=page][value=premiums]").await;
        s.answer(&[], &[], "costs").await;
        s.answer(&[], &[], "check").await;

        // Every "Change" and the estimate button are reached; Enter on the last gives
        // the estimate.
        s.script("document.activeElement && document.activeElement.blur();", vec![]).await;
        let mut changes = 0;
        for _ in 0..100 {
            s.press(Key::Tab).await;
            let Some(focused) = s.focused().await else { break };
            if focused.tag == "button" && focused.text.starts_with("Change") {
                changes += 1;
            }
            if focused.text == "Work out my estimate" {
                break;
            }
        }
        assert_eq!(changes, 16, "a Change for each answer");
        s.mark_this_page().await;
        s.press(Key::Enter).await;
        s.wait_for_next_page("#estimate-title").await;
        assert!(s.title().await.starts_with("Your estimate: "), "{}", s.title().await);
    }

    // -----------------------------------------------------------------------------------
    // The pooled fund (`support::seed_pool`): every expected figure below is worked out
    // here from what the fixture posted (its budgets, funding splits and payments), never
    // read from the program's output.

    /// The pool's monitoring and settlement pages.
    fn pool_page() -> String {
        format!("/pools/{}/{}", support::POOL, support::POOL_YEAR)
    }

    fn pool_year() -> onebudget_core::pool::FinancialYear {
        onebudget_core::pool::FinancialYear::new("year", i64::from(support::POOL_YEAR))
            .expect("a year")
    }

    /// Add the pool to the seeded place.
    async fn seed_pool(s: &Session) {
        let store = s.app.store.clone();
        tokio::task::spawn_blocking(move || support::seed_pool(&store)).await.expect("seed");
    }

    /// `pence` as the pages write money: `£1,234.56`, `-£0.05`.
    fn money_text(pence: i64) -> String {
        let digits = (pence.unsigned_abs() / 100).to_string();
        let mut grouped = String::new();
        for (index, digit) in digits.chars().enumerate() {
            if index > 0 && (digits.len() - index).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(digit);
        }
        let sign = if pence < 0 { "-" } else { "" };
        format!("{sign}£{grouped}.{:02}", pence.unsigned_abs() % 100)
    }

    /// A variance as a reader of the report sees it.
    fn variance_text(pence: i64) -> String {
        match pence.signum() {
            1 => format!("{} over", money_text(pence)),
            -1 => format!("{} under", money_text(-pence)),
            _ => "On budget".to_owned(),
        }
    }

    /// What the fixture's payments spent from `scheme`, in pence.
    fn spent_from(scheme: &str) -> i64 {
        support::POOL_PAYMENTS.iter().filter(|(s, _, _)| *s == scheme).map(|p| p.2).sum()
    }

    /// What the fixture's payments spent of `organisation`'s money.
    fn spent_by(organisation: &str) -> i64 {
        support::POOL_PAYMENTS
            .iter()
            .map(|(scheme, _, pence)| {
                let row = support::POOL_SCHEMES.iter().find(|s| s.0 == *scheme).expect("a scheme");
                support::pool_part(*pence, row.5, organisation)
            })
            .sum()
    }

    /// What `organisation` agreed to put in (and, contributing every month, paid).
    fn agreed_by(organisation: &str) -> i64 {
        support::POOL_SCHEMES.iter().map(|s| support::pool_part(s.4, s.5, organisation)).sum()
    }

    /// The year's variance (outturn − budget) and each partner's share of it: the
    /// agreement shares over- and underspends in proportion to the contributions.
    fn expected_settlement() -> (i64, Vec<(&'static str, i64)>) {
        let budget: i64 = support::POOL_SCHEMES.iter().map(|s| s.4).sum();
        let outturn: i64 = support::POOL_PAYMENTS.iter().map(|p| p.2).sum();
        let variance = outturn - budget;
        let shares = support::POOL_PARTNERS
            .iter()
            .map(|(organisation, ..)| {
                let share = variance * agreed_by(organisation) / budget;
                assert_eq!(share * budget, variance * agreed_by(organisation), "exact shares");
                (*organisation, share)
            })
            .collect();
        (variance, shares)
    }

    /// Every (account, stream) balance, in pence.
    async fn balances(s: &Session) -> BTreeMap<(String, String), i64> {
        let store = s.app.store.clone();
        let rows = tokio::task::spawn_blocking(move || store.balances(None, None))
            .await
            .expect("task")
            .expect("balances");
        rows.into_iter().map(|r| ((r.account, r.stream), r.balance.pence())).collect()
    }

    async fn settlement_view(s: &Session) -> onebudget_store::SettlementView {
        let store = s.app.store.clone();
        tokio::task::spawn_blocking(move || store.pool_settlement(support::POOL, pool_year()))
            .await
            .expect("task")
            .expect("the settlement")
    }

    async fn transfer_count(s: &Session) -> u64 {
        let store = s.app.store.clone();
        tokio::task::spawn_blocking(move || store.transfer_count())
            .await
            .expect("task")
            .expect("a count")
    }

    /// Press Tab from the top of the page until `wanted` has focus (failing if it is never
    /// reached), then press Enter on it, as a keyboard user does, and check the page it
    /// leads to.
    async fn tab_to_and_follow(
        s: &Session,
        what: &str,
        wanted: impl Fn(&Focused) -> bool,
        expected_heading: &str,
        page: &str,
    ) {
        s.script("document.activeElement && document.activeElement.blur();", vec![]).await;
        let mut seen = Vec::new();
        loop {
            s.press(Key::Tab).await;
            let focused = s.focused().await.unwrap_or_else(|| {
                panic!("Tab left the page before reaching {what}; reached {seen:?}")
            });
            if wanted(&focused) {
                break;
            }
            assert!(
                !seen.contains(&focused.key) && seen.len() < 200,
                "Tab does not reach {what}; reached {seen:?}"
            );
            seen.push(focused.key);
        }
        follow_focused(s, expected_heading, page).await;
    }

    /// Press Enter on whatever has focus and check the page it leads to: its heading, axe,
    /// and that it fits the window.
    async fn follow_focused(s: &Session, expected_heading: &str, page: &str) {
        s.mark_this_page().await;
        s.press(Key::Enter).await;
        s.wait_for_next_page("h1").await;
        let shown = heading(s).await;
        assert!(shown.starts_with(expected_heading), "{page}: heading {shown:?}");
        s.assert_no_axe_violations(page).await;
        assert_fits_the_window(s, page).await;
    }

    /// The page does not scroll sideways in the test's desktop-sized window, so nothing
    /// (a table's last column, say) is cut off. Regression: the monitoring report's
    /// scheme table, eight columns wide, ran past the window's edge.
    async fn assert_fits_the_window(s: &Session, page: &str) {
        let widths = s
            .script(
                "const root = document.documentElement;
                 const wide = Array.from(document.querySelectorAll('main *'))
                   .filter(function (e) { return e.getBoundingClientRect().right > root.clientWidth; })
                   .map(function (e) { return e.tagName.toLowerCase() + (e.id ? '#' + e.id : ''); });
                 return [root.scrollWidth, root.clientWidth, wide.slice(0, 5)];",
                vec![],
            )
            .await;
        assert!(
            widths[0].as_u64() <= widths[1].as_u64(),
            "{page} is wider than the window (scroll width, window width, what sticks out): {widths}"
        );
    }

    /// The text of each cell of the row whose header cell starts with `row_header`, in the
    /// table whose caption starts with `caption`, the header first.
    async fn row_cells(s: &Session, caption: &str, row_header: &str) -> Vec<String> {
        let script = r"const caption = arguments[0], header = arguments[1];
            const table = Array.from(document.querySelectorAll('main table'))
              .find(function (t) { return t.caption && t.caption.textContent.trim().startsWith(caption); });
            const rows = table ? Array.from(table.querySelectorAll('tbody tr')) : [];
            const row = rows.find(function (r) {
              const h = r.querySelector('th, td');
              return h && h.textContent.trim().startsWith(header);
            });
            return row ? Array.from(row.children).map(function (c) {
              return c.textContent.trim().replace(/\s+/g, ' ');
            }) : null;";
        let cells = s.script(script, vec![json!(caption), json!(row_header)]).await;
        serde_json::from_value::<Option<Vec<String>>>(cells)
            .expect("cells")
            .unwrap_or_else(|| panic!("no row {row_header:?} in the table {caption:?}"))
    }

    /// The `dd` after the `dt` whose text is `term`.
    async fn described(s: &Session, term: &str) -> String {
        let script = "const term = arguments[0];
            const dt = Array.from(document.querySelectorAll('main dt'))
              .find(function (d) { return d.textContent.trim() === term; });
            return dt && dt.nextElementSibling ? dt.nextElementSibling.textContent.trim() : null;";
        let text = s.script(script, vec![json!(term)]).await;
        serde_json::from_value::<Option<String>>(text)
            .expect("text")
            .unwrap_or_else(|| panic!("no {term:?} in the summary"))
    }

    /// The balancing transfers the settlement page lists: (from, to, stream, amount).
    async fn transfer_rows(s: &Session) -> Vec<[String; 4]> {
        let script = r"const table = Array.from(document.querySelectorAll('main table')).find(function (t) {
              return t.caption && t.caption.textContent.trim().startsWith('The balancing transfers');
            });
            return Array.from(table ? table.querySelectorAll('tbody tr') : [])
            .map(function (r) {
              return Array.from(r.children).slice(0, 4).map(function (c) { return c.textContent.trim(); });
            });";
        let mut rows: Vec<[String; 4]> =
            serde_json::from_value(s.script(script, vec![]).await).expect("rows");
        rows.sort();
        rows
    }

    fn expected_rows(view: &onebudget_store::SettlementView) -> Vec<[String; 4]> {
        let mut rows: Vec<[String; 4]> = view
            .settlement
            .transfers
            .iter()
            .map(|t| {
                [
                    t.from.as_str().to_owned(),
                    t.to.as_str().to_owned(),
                    t.stream.as_str().to_owned(),
                    money_text(t.amount.pence()),
                ]
            })
            .collect();
        rows.sort();
        rows
    }

    async fn main_text(s: &Session) -> String {
        let main = s.client.find(Locator::Css("main")).await.expect("main");
        main.text().await.expect("its text")
    }

    async fn has(s: &Session, css: &str) -> bool {
        !s.client.find_all(Locator::Css(css)).await.expect(css).is_empty()
    }

    /// The figures a board member or finance officer relies on, on the monitoring page
    /// now shown (whole year closed, so the forecast is the outturn).
    async fn check_monitoring_figures(s: &Session, page: &str) {
        let budget: i64 = support::POOL_SCHEMES.iter().map(|s| s.4).sum();
        let spent: i64 = support::POOL_PAYMENTS.iter().map(|p| p.2).sum();
        assert_eq!(described(s, "Budget for the year").await, money_text(budget), "{page}");
        assert_eq!(described(s, "Spent to date").await, money_text(spent), "{page}");
        assert_eq!(
            described(s, "Forecast variance").await,
            variance_text(spent - budget),
            "{page}: the pool's variance"
        );
        for (code, name, _, lead, scheme_budget, _) in support::POOL_SCHEMES {
            let cells = row_cells(s, "Schemes: budget", name).await;
            assert_eq!(cells[0], format!("{name} ({code}), led by {lead}"), "{page}: {cells:?}");
            assert_eq!(cells[1], money_text(scheme_budget), "{page}: {name}'s budget");
            assert_eq!(cells[3], money_text(spent_from(code)), "{page}: {name}'s actual");
            // The year is closed: the forecast is what was spent.
            let cells = row_cells(s, "Schemes: forecast", name).await;
            assert_eq!(cells[1], money_text(spent_from(code)), "{page}: {name}'s forecast");
            assert_eq!(
                cells[2],
                variance_text(spent_from(code) - scheme_budget),
                "{page}: {name}'s variance"
            );
        }
        let (_, shares) = expected_settlement();
        for (organisation, share) in shares {
            let cells = row_cells(s, "Partners:", organisation).await;
            assert_eq!(cells[1], money_text(agreed_by(organisation)), "{page}: {cells:?}");
            assert_eq!(cells[3], money_text(agreed_by(organisation)), "{page}: paid {cells:?}");
            assert_eq!(
                cells.last().expect("a share"),
                &money_text(share),
                "{page}: {organisation}'s share of the variance"
            );
        }
    }

    /// The chart has a text alternative that names every scheme with its figures.
    async fn check_scheme_chart(s: &Session) {
        let chart = s.client.find(Locator::Css("main svg[role='img']")).await.expect("a chart");
        let label = s
            .script(
                "const svg = document.querySelector('main svg[role=img]');
                 return (svg.getAttribute('aria-labelledby') || '').split(' ')
                   .map(function (id) { const e = document.getElementById(id); return e ? e.textContent : ''; })
                   .join(' ');",
                vec![],
            )
            .await;
        let label = label.as_str().expect("the chart's label").to_owned();
        for (code, name, ..) in support::POOL_SCHEMES {
            assert!(label.contains(name), "the chart's text alternative names {name}: {label}");
            assert!(
                label.contains(&money_text(spent_from(code))),
                "the chart's text alternative gives {name}'s actual: {label}"
            );
        }
        assert!(chart.find(Locator::Css("title")).await.is_ok(), "the chart has a title");
    }

    /// The settlement page now shown: each partner's net is its share of the variance
    /// (each paid exactly what it agreed).
    async fn check_settlement_figures(s: &Session) {
        let (variance, shares) = expected_settlement();
        let lead = s.client.find(Locator::Css("main p.govuk-body-l")).await.expect("the summary");
        let lead = lead.text().await.expect("its text");
        assert!(lead.contains(&variance_text(variance)), "the settlement's variance: {lead}");
        for (organisation, share) in shares {
            let cells = row_cells(s, "Each partner", organisation).await;
            let agreed = money_text(agreed_by(organisation));
            assert_eq!(&cells[1], &agreed, "{organisation} agreed: {cells:?}");
            assert_eq!(&cells[2], &agreed, "{organisation} paid: {cells:?}");
            assert_eq!(cells[3], money_text(spent_by(organisation)), "spent: {cells:?}");
            assert_eq!(cells[4], money_text(share), "{organisation}'s share: {cells:?}");
            // Net = agreed + share − paid.
            assert_eq!(cells[5], money_text(share), "{organisation}'s net: {cells:?}");
        }
    }

    /// The council's finance officer reads the pool's report and settlement and confirms
    /// by keyboard; nothing moves until the ICB's officer confirms too, and then exactly
    /// the settlement's transfers are posted.
    pub async fn pool_settlement_confirmed_by_each_partner(s: &Session) {
        seed_pool(s).await;
        let [council, icb] = support::POOL_FINANCE_LOGINS;
        let monitoring = pool_page();
        let settlement = format!("{monitoring}/settlement");

        sign_in_as(s, council.0, council.1, "the council's finance officer", "The ledger").await;
        tab_to_and_follow(
            s,
            "the link to the pools",
            |f| f.href == "/pools",
            "Pooled budgets",
            "the list of pools",
        )
        .await;
        let list = main_text(s).await;
        assert!(list.contains("Ashby Vale Better Care Fund (BCF)"), "{list}");
        tab_to_and_follow(
            s,
            "the pool's monitoring report",
            |f| f.href == monitoring,
            "Ashby Vale Better Care Fund 2025/26: monitoring",
            "the monitoring report",
        )
        .await;
        check_monitoring_figures(s, "the monitoring report").await;
        check_scheme_chart(s).await;
        assert!(has(s, "form[action$='/forecasts']").await, "a finance officer may forecast");

        tab_to_and_follow(
            s,
            "the printable version",
            |f| f.href.starts_with(&format!("{monitoring}?print=1")),
            "Ashby Vale Better Care Fund 2025/26: monitoring",
            "the printable monitoring report",
        )
        .await;
        check_monitoring_figures(s, "the printable monitoring report").await;
        assert!(!has(s, "header, nav, form").await, "the printable report is the report alone");
        s.goto(&monitoring).await;

        tab_to_and_follow(
            s,
            "the settlement",
            |f| f.href == settlement,
            "BCF 2025/26: year-end settlement",
            "the settlement awaiting both partners",
        )
        .await;
        check_settlement_figures(s).await;
        let text = main_text(s).await;
        assert!(text.contains("No partner has confirmed these figures yet."), "{text}");
        assert!(text.contains("Awaiting confirmation from: ICB, COUNCIL."), "{text}");

        // The figures the partners confirm, as the store works them out, are the ones shown.
        let view = settlement_view(s).await;
        assert!(!view.settlement.transfers.is_empty(), "an underspend moves money back");
        assert_eq!(transfer_rows(s).await, expected_rows(&view), "the transfers to confirm");
        let before = balances(s).await;
        let count_before = transfer_count(s).await;

        // Confirm by keyboard: Tab to the button, press Enter; the check page says what
        // confirming does and posts nothing; its Confirm button confirms.
        tab_to_and_follow(
            s,
            "the button to continue to confirm",
            |f| f.key == "#confirm",
            "Check the BCF 2025/26 settlement before you confirm it",
            "the council's check page",
        )
        .await;
        let text = main_text(s).await;
        assert!(
            text.contains("Nothing is posted until ICB confirms the same figures too."),
            "{text}"
        );
        assert_eq!(transfer_count(s).await, count_before, "the check page posts nothing");
        tab_to_and_follow(
            s,
            "the confirm button",
            |f| f.key == "#confirm",
            "BCF 2025/26: year-end settlement",
            "the settlement confirmed by the council",
        )
        .await;
        let done = s
            .client
            .find(Locator::Css("main .govuk-notification-banner--success"))
            .await
            .expect("a message");
        let done = done.text().await.expect("its text");
        assert!(done.contains("Your confirmation has been recorded."), "{done}");
        let text = main_text(s).await;
        assert!(text.contains("COUNCIL: confirmed by council-finance"), "{text}");
        assert!(text.contains("Awaiting confirmation from: ICB."), "{text}");
        assert!(!has(s, "#confirm").await, "the council cannot confirm twice");
        assert_eq!(balances(s).await, before, "no money moves on the first confirmation");
        assert_eq!(transfer_count(s).await, count_before, "nothing is posted yet");
        sign_out(s, "the council's finance officer").await;

        sign_in_as(s, icb.0, icb.1, "the ICB's finance officer", "The ledger").await;
        s.goto(&settlement).await;
        check_settlement_figures(s).await;
        let text = main_text(s).await;
        assert!(text.contains("Awaiting confirmation from: ICB."), "{text}");
        tab_to_and_follow(
            s,
            "the button to continue to confirm",
            |f| f.key == "#confirm",
            "Check the BCF 2025/26 settlement before you confirm it",
            "the ICB's check page",
        )
        .await;
        let text = main_text(s).await;
        assert!(text.contains("You are the last partner to confirm"), "{text}");
        assert_eq!(transfer_count(s).await, count_before, "the check page posts nothing");
        tab_to_and_follow(
            s,
            "the confirm button",
            |f| f.key == "#confirm",
            "BCF 2025/26: year-end settlement",
            "the settlement confirmed by both partners",
        )
        .await;
        let text = main_text(s).await;
        assert!(
            text.contains("Every partner confirmed the settlement, so its balancing transfers are in the ledger."),
            "{text}"
        );
        // Regression: once posted, the page said the settlement still awaited both
        // partners, and listed only the transfers between partners as posted; then it said
        // every partner had confirmed but no longer who: the store worked the settlement out
        // again from the ledger holding its transfers, under a digest nobody confirmed.
        assert!(!text.contains("Awaiting confirmation"), "{text}");
        assert!(!text.contains("No partner has confirmed"), "{text}");
        let script = r"return Array.from(document.querySelectorAll('main li'))
              .map(function (li) { return li.textContent.trim().replace(/\s+/g, ' '); })
              .filter(function (t) { return t.indexOf(': confirmed by ') >= 0; });";
        let named: Vec<String> =
            serde_json::from_value(s.script(script, vec![]).await).expect("the confirmations");
        assert_eq!(named.len(), 2, "both partners are named: {named:?}");
        assert!(named[0].starts_with("COUNCIL: confirmed by council-finance at "), "{named:?}");
        assert!(named[1].starts_with("ICB: confirmed by icb-finance at "), "{named:?}");
        // Times are UK local time, with the zone named.
        assert!(named.iter().all(|t| t.ends_with(" GMT") || t.ends_with(" BST")), "{named:?}");
        assert!(text.contains("They were posted at "), "{text}");
        let reference = format!("Figures reference (digest): {}", &view.digest[..16]);
        assert!(text.contains(&reference), "the digest both confirmed: {text}");
        let steps = row_cells(s, "Every step of the settlement", "Posted").await;
        assert!(
            steps[1].contains(&format!(
                "all {} of their balancing transfers",
                view.settlement.transfers.len()
            )),
            "{steps:?}"
        );
        // The store's view is the settlement as confirmed, by both partners.
        let posted = settlement_view(s).await;
        assert!(posted.posted, "{posted:?}");
        assert_eq!(posted.digest, view.digest, "the digest both partners confirmed");
        assert_eq!(posted.settlement.transfers, view.settlement.transfers);
        let who: Vec<_> = posted
            .confirmed_by
            .iter()
            .map(|c| (c.organisation.as_str(), c.username.as_str()))
            .collect();
        assert_eq!(who, vec![("COUNCIL", council.0), ("ICB", icb.0)]);
        assert_eq!(
            transfer_rows(s).await,
            expected_rows(&view),
            "the page lists every transfer posted"
        );
        assert!(!has(s, "#confirm").await, "nothing is left to confirm");

        // The balancing transfers are in the ledger, and they alone changed the balances.
        let after = balances(s).await;
        assert_eq!(
            transfer_count(s).await,
            count_before + u64::try_from(view.settlement.transfers.len()).expect("a count"),
            "exactly the settlement's transfers are posted"
        );
        let mut expected = before.clone();
        for t in &view.settlement.transfers {
            let stream = t.stream.as_str().to_owned();
            *expected.entry((t.from.as_str().to_owned(), stream.clone())).or_default() -=
                t.amount.pence();
            *expected.entry((t.to.as_str().to_owned(), stream)).or_default() += t.amount.pence();
        }
        expected.retain(|key, pence| *pence != 0 || before.contains_key(key));
        let changed: BTreeMap<_, _> =
            after.iter().filter(|(k, v)| before.get(*k) != Some(*v)).collect();
        assert_eq!(after, expected, "the balances change as the settlement says: {changed:?}");
        // And, worked out from the fixture: every scheme is empty, and each partner has
        // back what it did not spend, adjusted to its share (it is owed −net).
        for (_, _, account, ..) in support::POOL_SCHEMES {
            let left: Vec<_> =
                after.iter().filter(|((a, _), v)| a == account && **v != 0).collect();
            assert!(left.is_empty(), "{account} is empty after the settlement: {left:?}");
        }
        let (_, shares) = expected_settlement();
        for ((organisation, account, _, settlement_account), (_, share)) in
            support::POOL_PARTNERS.iter().zip(shares)
        {
            let total = |map: &BTreeMap<(String, String), i64>| -> i64 {
                map.iter()
                    .filter(|((a, _), _)| a == account || a == settlement_account)
                    .map(|(_, v)| v)
                    .sum()
            };
            assert_eq!(
                total(&after) - total(&before),
                -share,
                "{organisation} gets back its share of the underspend"
            );
        }
        sign_out(s, "the ICB's finance officer").await;
    }

    /// A commissioner reads the pool's report (spend by scheme and partner, with the
    /// chart) and its settlement, and is offered no button to confirm it.
    /// Issue 15 §4: the caseload (filtered, sorted, with an error), a person found on it
    /// and a pool's year, at a phone's width (390 px) and a desktop's (1280 px): no axe
    /// violation, and nothing makes the page scroll sideways (wide tables scroll in their
    /// own box). A finance officer, who may see every team and the pools.
    pub async fn caseload_and_a_pool_year_fit_a_phone_and_a_desktop(s: &Session) {
        seed_pool(s).await;
        seed_budgets(s, true).await;
        sign_in(s, "finance", "The ledger").await;
        let pages = [
            ("/caseload", "Caseloads"),
            ("/caseload?mode=direct_payment&sort=budget&order=desc", "Caseloads"),
            ("/caseload?mode=teleport", "Caseloads"),
            (&format!("/people/{}", support::BUDGET_CITIZEN)[..], "Robin Southey"),
            ("/pools", "Pooled budgets"),
            (&pool_page()[..], "Ashby Vale Better Care Fund 2025/26: monitoring"),
        ];
        for width in [390, 1280] {
            s.client.set_window_size(width, 900).await.expect("the window's size");
            for (path, expected) in pages {
                s.goto(path).await;
                let shown = heading(s).await;
                assert!(shown.starts_with(expected), "{path} at {width} px: {shown}");
                let page = format!("{path} at {width} px");
                s.assert_no_axe_violations(&page).await;
                assert_fits_the_window(s, &page).await;
            }
        }
        s.client.set_window_size(1280, 1024).await.expect("the window's size");
        sign_out(s, "finance").await;
    }

    pub async fn commissioner_sees_the_pool_but_cannot_confirm(s: &Session) {
        seed_pool(s).await;
        let monitoring = pool_page();
        let settlement = format!("{monitoring}/settlement");
        sign_in(s, "commissioner", "Spending across the system").await;
        tab_to_and_follow(
            s,
            "the link to the pools",
            |f| f.href == "/pools",
            "Pooled budgets",
            "the list of pools (commissioner)",
        )
        .await;
        tab_to_and_follow(
            s,
            "the pool's monitoring report",
            |f| f.href == monitoring,
            "Ashby Vale Better Care Fund 2025/26: monitoring",
            "the monitoring report (commissioner)",
        )
        .await;
        check_monitoring_figures(s, "the monitoring report (commissioner)").await;
        check_scheme_chart(s).await;
        assert!(!has(s, "main form").await, "a commissioner has no forms to forecast or close");
        tab_to_and_follow(
            s,
            "the settlement",
            |f| f.href == settlement,
            "BCF 2025/26: year-end settlement",
            "the settlement (commissioner)",
        )
        .await;
        check_settlement_figures(s).await;
        assert!(!has(s, "#confirm").await, "a commissioner cannot confirm a settlement");
        assert!(!has(s, "main form").await, "a commissioner has no form on the settlement");
        sign_out(s, "commissioner").await;
    }
    // -----------------------------------------------------------------------------------
    // Integrated personal budgets (`support::seed_budget_people`,
    // `support::seed_budget_citizen`): every expected figure is worked out here from the
    // scheme's published parameters (each level's points, each RAS's price per point or
    // bands, floor and ceiling) and what the fixture planned, never read from the pages.

    fn budget_scheme() -> onebudget_core::budget::config::Scheme {
        onebudget_core::budget::config::Scheme::ashby_vale().expect("the scheme")
    }

    fn budget_start() -> chrono::NaiveDate {
        chrono::NaiveDate::parse_from_str(support::BUDGET_START, "%Y-%m-%d").expect("a date")
    }

    /// A stream's indicative weekly budget, in pence, for [`support::BUDGET_ANSWERS`] on
    /// `on`, worked out from the scheme's parameters: the points of the levels answered, in
    /// the domains the stream's RAS counts, priced per point or looked up in its bands,
    /// then held between its floor and ceiling.
    fn indicative_pence(stream: &str, on: chrono::NaiveDate) -> i64 {
        use onebudget_core::budget::config::RasMethod;
        let scheme = budget_scheme();
        let questionnaire = scheme.questionnaire_on(on).expect("a questionnaire");
        let ras = scheme.stream(stream).expect("a stream").ras_on(on).expect("a RAS");
        let answers = support::budget_answers(&scheme, on);
        let points: i64 = questionnaire
            .domains
            .iter()
            .filter(|d| ras.domains.is_empty() || ras.domains.contains(&d.code))
            .map(|d| {
                let level = d.levels.iter().find(|l| l.code == answers[&d.code]).expect("a level");
                i64::from(level.points)
            })
            .sum();
        let before = match &ras.method {
            RasMethod::PricePerPoint(price) => price.pence() * points,
            RasMethod::Bands(bands) => bands
                .iter()
                .rev()
                .find(|(min, _)| i64::from(*min) <= points)
                .map_or(0, |(_, weekly)| weekly.pence()),
        };
        before.clamp(ras.floor.pence(), ras.ceiling.pence())
    }

    async fn seed_budgets(s: &Session, citizen: bool) {
        let store = s.app.store.clone();
        tokio::task::spawn_blocking(move || {
            support::seed_budget_people(&store);
            if citizen {
                support::seed_budget_citizen(&store);
            }
        })
        .await
        .expect("seed");
    }

    async fn budget_versions(s: &Session, person: &str) -> Vec<onebudget_store::BudgetVersion> {
        let store = s.app.store.clone();
        let person = person.to_owned();
        tokio::task::spawn_blocking(move || store.budget_versions(&person))
            .await
            .expect("task")
            .expect("the versions")
    }

    /// Send keys to the element `css` (focusing it), as typing does.
    async fn keys_to(s: &Session, css: &str, keys: &str) {
        let element = s.client.find(Locator::Css(css)).await.expect(css);
        element.send_keys(keys).await.unwrap_or_else(|e| panic!("keys to {css}: {e}"));
    }

    /// Replace what the text box `css` holds with `text`, by keyboard.
    async fn retype(s: &Session, css: &str, text: &str) {
        let element = s.client.find(Locator::Css(css)).await.expect(css);
        element.clear().await.unwrap_or_else(|e| panic!("clear {css}: {e}"));
        element.send_keys(text).await.unwrap_or_else(|e| panic!("type into {css}: {e}"));
    }

    /// Choose `level` in the group of radios `name` by keyboard: Space on the first radio,
    /// then the down arrow until the level is chosen.
    async fn choose_radio(s: &Session, name: &str, index: usize) {
        keys_to(s, &format!("#{name}"), &char::from(Key::Space).to_string()).await;
        for _ in 0..index {
            s.press(Key::Down).await;
        }
        let checked = s
            .script(
                "const r = document.querySelector('input[name=\"' + arguments[0] + '\"]:checked');
                 return r ? r.value : null;",
                vec![json!(name)],
            )
            .await;
        assert!(checked.is_string(), "a radio of {name} is chosen: {checked}");
    }

    /// Press Enter in the field `css`, which sends its form, and wait for the next page.
    async fn submit_from(s: &Session, css: &str, expected_heading: &str, page: &str) {
        s.mark_this_page().await;
        keys_to(s, css, &char::from(Key::Enter).to_string()).await;
        s.wait_for_next_page("h1").await;
        let shown = heading(s).await;
        assert!(shown.starts_with(expected_heading), "{page}: heading {shown:?}");
        s.assert_no_axe_violations(page).await;
    }

    async fn done_message(s: &Session) -> String {
        let done = s
            .client
            .find(Locator::Css("main .govuk-notification-banner--success"))
            .await
            .expect("a message");
        done.text().await.expect("its text")
    }

    /// A practitioner opens a person on their caseload, records a needs assessment by
    /// keyboard, sees each stream's eligibility and the RAS's indicative amounts, plans
    /// three lines (one in a category no stream may fund, kept and flagged unfunded), sets
    /// the components, and agrees and activates the budget.
    pub async fn practitioner_plans_a_budget(s: &Session) {
        seed_budgets(s, false).await;
        let person = support::BUDGET_PERSON;
        let name = support::BUDGET_PERSON_NAME;
        let scheme = budget_scheme();
        let start = budget_start();
        sign_in(s, "practitioner", "Your team's caseload").await;
        follow(s, &format!("main a[href='/people/{person}']"), name, "the person's record").await;
        follow(
            s,
            &format!("main a[href='/people/{person}/budget']"),
            &format!("Personal budget: {name}"),
            "the budget before any assessment",
        )
        .await;
        assert!(main_text(s).await.contains("No needs assessment has been recorded"));
        follow(
            s,
            &format!("main a[href='/people/{person}/needs-assessment']"),
            &format!("Needs assessment: {name}"),
            "the needs assessment form",
        )
        .await;

        // A form sent with no answers keeps nothing and says what is missing, by each field.
        s.mark_this_page().await;
        press_enter_on(s, "main form button[type=submit]").await;
        s.wait_for_next_page(".govuk-error-summary").await;
        s.assert_no_axe_violations("the needs assessment with errors").await;
        assert!(has(s, "#personal_care-error").await, "the error is next to its field");
        let store = s.app.store.clone();
        let kept = tokio::task::spawn_blocking(move || store.needs_assessments(person))
            .await
            .expect("task")
            .expect("assessments");
        assert!(kept.is_empty(), "nothing is saved on error");

        // Answer by keyboard: the date, then each domain's radios.
        retype(s, "#assessed_on", support::BUDGET_START).await;
        let questionnaire = scheme.questionnaire_on(chrono::Utc::now().date_naive()).expect("q");
        let answers = support::budget_answers(&scheme, start);
        for domain in &questionnaire.domains {
            let index = domain
                .levels
                .iter()
                .position(|l| l.code == answers[&domain.code])
                .expect("a level");
            choose_radio(s, &domain.code, index).await;
        }
        s.mark_this_page().await;
        press_enter_on(s, "main form button[type=submit]").await;
        s.wait_for_next_page("h1").await;
        assert_eq!(heading(s).await, format!("Personal budget: {name}"));
        s.assert_no_axe_violations("the assessment's result").await;
        assert!(done_message(s).await.contains("The needs assessment has been recorded."));

        // Eligibility: three social care outcomes at moderate or above (Care Act, two
        // needed) and a high health need (a joint package); no priority or two severe
        // health needs (so no continuing healthcare) and no carer under strain.
        for (stream, eligible) in [("CHC", false), ("PHB", true), ("BCF", false), ("ASC", true)] {
            let stream_name = &scheme.stream(stream).expect("a stream").name;
            let cells = row_cells(s, "Each stream's decision", stream_name).await;
            let expected = if eligible { "Eligible" } else { "Not eligible" };
            assert_eq!(cells[1], expected, "{stream}: {cells:?}");
            assert!(!cells[2].is_empty(), "{stream} has its reason");
        }
        let phb = indicative_pence("PHB", start);
        let asc = indicative_pence("ASC", start);
        let text = main_text(s).await;
        for (stream, pence) in [("PHB", phb), ("ASC", asc)] {
            let stream_name = &scheme.stream(stream).expect("a stream").name;
            let line = format!("{stream_name}: {} a week", money_text(pence));
            assert!(text.contains(&line), "the RAS result {line:?} in {text}");
        }

        // The plan: three lines; nothing can pay for the last.
        follow(
            s,
            &format!("main a[href='/people/{person}/budget/plan']"),
            &format!("Support plan: {name}"),
            "the support plan, empty",
        )
        .await;
        let lines = [
            ("Personal assistant", "To get up and dressed", "personal_care", 20_000_i64),
            ("Cleaner", "A clean and safe home", "domestic", 6_000),
            ("Wine club", "To see friends", "alcohol_tobacco_gambling", 1_000),
        ];
        for (number, (what, outcome, category, pence)) in lines.iter().enumerate() {
            s.type_into("#what", what).await;
            s.press(Key::Tab).await;
            s.type_into("#outcome", outcome).await;
            let select = s.client.find(Locator::Css("#category")).await.expect("#category");
            select.select_by_value(category).await.expect("a category");
            s.type_into("#weekly_cost", &format!("{}.{:02}", pence / 100, pence % 100)).await;
            submit_from(
                s,
                "#weekly_cost",
                "Support plan",
                &format!("the plan with line {}", number + 1),
            )
            .await;
            assert!(done_message(s).await.contains("The line has been added"));
        }
        // Both components as direct payments, at their indicative amounts.
        for stream in ["PHB", "ASC"] {
            let select =
                s.client.find(Locator::Css(&format!("#mode-{stream}"))).await.expect("a mode");
            select.select_by_value("direct_payment").await.expect("direct payment");
        }
        s.mark_this_page().await;
        press_enter_on(s, "form[action$='/components'] button").await;
        s.wait_for_next_page("h1").await;
        s.assert_no_axe_violations("the plan with its components").await;
        assert!(done_message(s).await.contains("The components have been saved"));

        // The allocation, line by line: free NHS money first (personal care, up to the
        // PHB's amount), social care for help in the home (which the PHB may not fund),
        // and nothing for alcohol, tobacco or gambling.
        follow(
            s,
            &format!("main a[href='/people/{person}/budget']"),
            &format!("Personal budget: {name}"),
            "the allocation",
        )
        .await;
        let phb_name = &scheme.stream("PHB").expect("PHB").name;
        let asc_name = &scheme.stream("ASC").expect("ASC").name;
        let personal_care = lines[0].3.min(phb);
        let cells = row_cells(s, "The support plan's lines", "1").await;
        assert!(
            cells[4].contains(&format!("{} from {phb_name}", money_text(personal_care))),
            "{cells:?}"
        );
        assert_eq!(cells[5], "None", "{cells:?}");
        let cells = row_cells(s, "The support plan's lines", "2").await;
        assert!(
            cells[4].contains(&format!("{} from {asc_name}", money_text(lines[1].3))),
            "{cells:?}"
        );
        let cells = row_cells(s, "The support plan's lines", "3").await;
        assert_eq!(cells[4], "Nobody", "{cells:?}");
        assert_eq!(cells[5], format!("Unfunded {} a week", money_text(lines[2].3)), "{cells:?}");
        assert_eq!(described(s, "Budget a week").await, money_text(phb + asc));
        assert_eq!(described(s, "Unfunded a week").await, money_text(lines[2].3));
        let versions = budget_versions(s, person).await;
        let planned = versions.last().expect("a version");
        assert_eq!(planned.decision.unfunded.pence(), lines[2].3, "the unfunded line is kept");
        assert_eq!(planned.plan.lines.len(), 3, "no line is dropped");

        // The practitioner fixes line 1's split: £50.00 from social care, the rest left to
        // the allocator, which takes it from the NHS budget. So £50.00 moves from the PHB to
        // social care; the cleaner still fits in what social care has left.
        assert!(phb >= lines[0].3, "the fixture's PHB covers the assistant: {phb}");
        let moved = 5_000_i64;
        assert!(asc - moved >= lines[1].3, "social care still covers the cleaner");
        follow(
            s,
            &format!("main a[href='/people/{person}/budget/plan']"),
            &format!("Support plan: {name}"),
            "the plan with a form per line",
        )
        .await;
        s.type_into("#line-1-split-ASC", "50.00").await;
        s.type_into("#line-1-reason", "the assistant is on the council's framework").await;
        submit_from(s, "#line-1-reason", "Support plan", "the plan with line 1's split fixed")
            .await;
        assert!(done_message(s).await.contains("The line's split is saved"));
        let cells = row_cells(s, "The support plan's lines", "1").await;
        assert!(
            cells[4].contains(&format!("{} from {phb_name}", money_text(lines[0].3 - moved))),
            "{cells:?}"
        );
        assert!(cells[4].contains(&format!("{} from {asc_name}", money_text(moved))), "{cells:?}");
        let cells = row_cells(s, "The support plan's lines", "2").await;
        assert!(
            cells[4].contains(&format!("{} from {asc_name}", money_text(lines[1].3))),
            "{cells:?}"
        );
        assert!(
            main_text(s).await.contains(
                "The practitioner fixed the split because the assistant is on the council's framework"
            ),
            "the line's explanation gives the reason"
        );
        let versions = budget_versions(s, person).await;
        let fixed = versions.last().expect("a version");
        let funded = |line: usize, stream: &str| {
            fixed.decision.lines[line]
                .funded
                .iter()
                .find(|f| f.stream == stream)
                .map_or(0, |f| f.amount.pence())
        };
        assert_eq!((funded(0, "PHB"), funded(0, "ASC")), (lines[0].3 - moved, moved));
        assert_eq!(fixed.decision.components[0].allocated.pence(), lines[0].3 - moved);

        // An override may not break a stream's rules: the NHS budget may not pay for help
        // in the home. The error is next to the field, and nothing is saved.
        let count = versions.len();
        s.type_into("#line-2-split-PHB", "20.00").await;
        s.type_into("#line-2-reason", "the NHS could pay").await;
        submit_from(s, "#line-2-reason", "Support plan", "an override that breaks a rule").await;
        assert!(has(s, ".govuk-error-summary").await, "an error summary");
        let error = s.client.find(Locator::Css("#line-2-split-PHB-error")).await.expect("error");
        let error = error.text().await.expect("its text");
        assert!(error.contains("exclude"), "{error}");
        assert_eq!(budget_versions(s, person).await.len(), count, "nothing is saved");
        // Nor ask a component for more than it has: social care's agreed amount is less
        // than £999.00.
        assert!(asc < 99_900);
        retype(s, "#line-1-split-ASC", "999.00").await;
        submit_from(s, "#line-1-split-ASC", "Support plan", "an override beyond the component")
            .await;
        let error = s.client.find(Locator::Css("#line-1-split-ASC-error")).await.expect("error");
        let error = error.text().await.expect("its text");
        assert!(error.contains("no more than"), "{error}");
        assert_eq!(budget_versions(s, person).await.len(), count, "nothing is saved");

        // Removing a line is a change with a reason: without one, nothing is removed.
        s.mark_this_page().await;
        press_enter_on(s, "form[action$='/lines/3/remove'] button").await;
        s.wait_for_next_page(".govuk-error-summary").await;
        s.assert_no_axe_violations("removing a line without a reason").await;
        assert!(has(s, "#line-3-remove-reason-error").await, "the error is by its field");
        assert_eq!(budget_versions(s, person).await.len(), count, "nothing is removed");
        s.type_into("#line-3-remove-reason", "the person will pay for it themselves").await;
        submit_from(s, "#line-3-remove-reason", "Support plan", "the plan without line 3").await;
        assert!(done_message(s).await.contains("The line has been removed"));
        assert!(!has(s, "form[action$='/lines/3/split']").await, "the plan has two lines left");

        // Review: agree, then activate, each with a reason.
        follow(
            s,
            &format!("main a[href='/people/{person}/budget/review']"),
            &format!("Budget review: {name}"),
            "the review page",
        )
        .await;
        choose_radio(s, "status", 0).await; // Agreed, the first move from a draft
        s.type_into("#reason", "Agreed at panel").await;
        submit_from(s, "#reason", "Budget review", "the budget agreed").await;
        assert!(done_message(s).await.contains("The new status is saved."));
        choose_radio(s, "status", 1).await; // Active, after "back to draft"
        s.type_into("#reason", "Payments start").await;
        submit_from(s, "#reason", "Budget review", "the budget active").await;

        use onebudget_core::budget::plan::Status;
        let versions = budget_versions(s, person).await;
        let statuses: Vec<Status> = versions.iter().map(|v| v.status).collect();
        assert_eq!(
            statuses,
            [
                Status::Draft,
                Status::Draft,
                Status::Draft,
                Status::Draft,
                Status::Draft,
                Status::Draft,
                Status::Agreed,
                Status::Active
            ],
            "each save is a new version"
        );
        let latest = versions.last().expect("a version");
        assert_eq!(latest.effective_from, start);
        assert_eq!(latest.decision.budget.pence(), phb + asc);
        assert_eq!(latest.decision.unfunded.pence(), 0, "the unfunded line was removed");
        assert_eq!(latest.plan.lines.len(), 2, "the removed line is gone");
        let split = latest.plan.lines[0].override_.as_ref().expect("line 1's override is kept");
        assert_eq!(split.split.len(), 1, "{split:?}");
        assert_eq!((split.split[0].stream.as_str(), split.split[0].amount.pence()), ("ASC", moved));
        assert!(versions.iter().any(|v| v.reason.contains("line 3 removed (Wine club)")));
        let rows = s.client.find_all(Locator::Css("main table tbody tr")).await.expect("rows");
        assert_eq!(rows.len(), versions.len(), "the history lists every version");
        sign_out(s, "practitioner").await;
    }

    /// The person sees their budget and plan, records spending with a receipt, and reads
    /// their statement, its printable version and its CSV; the direct-payment account's
    /// balances move by exactly the split of the line spent on.
    pub async fn citizen_spends_and_reads_the_statement(s: &Session) {
        seed_budgets(s, true).await;
        let scheme = budget_scheme();
        let start = budget_start();
        let (username, password) = support::BUDGET_CITIZEN_LOGIN;
        let phb = indicative_pence("PHB", start);
        let asc = indicative_pence("ASC", start);
        let phb_name = scheme.stream("PHB").expect("PHB").name.clone();
        let asc_name = scheme.stream("ASC").expect("ASC").name.clone();
        let [assistant, cleaner] = support::BUDGET_CITIZEN_LINES;
        // Free money first: the PHB pays what it may of the personal assistant; social care
        // pays the rest of it and the cleaner (which the PHB may not fund). The person pays
        // their assessed charge (no more than social care's part), which the council then
        // does not pay.
        let phb_drawn = assistant.3.min(phb);
        let asc_drawn = assistant.3 - phb_drawn + cleaner.3;
        let person_pays = support::BUDGET_CHARGE_PENCE.min(asc_drawn);
        let weeks = i64::from(support::BUDGET_WEEKS_PAID);
        let paid_phb = phb_drawn * weeks;
        let paid_asc = (asc_drawn - person_pays) * weeks;

        sign_in_as(s, username, password, "the person with a budget", "Your budget").await;
        follow(
            s,
            ".govuk-service-navigation a[href='/my-budget/budget']",
            "Your personal budget",
            "the person's budget",
        )
        .await;
        let cells = row_cells(s, "Who pays for each part", &phb_name).await;
        assert_eq!(
            (cells[3].as_str(), cells[4].as_str()),
            (money_text(phb).as_str(), "£0.00"),
            "{cells:?}"
        );
        assert!(cells[1].contains("free to you"), "{cells:?}");
        let cells = row_cells(s, "Who pays for each part", &asc_name).await;
        // The part agreed, and, where the plan draws less of it, what the plan uses.
        assert!(cells[3].starts_with(&money_text(asc)), "{cells:?}");
        assert_eq!(
            cells[3].contains(&format!("Your plan uses {} of it", money_text(asc_drawn))),
            asc_drawn < asc,
            "{cells:?}"
        );
        assert_eq!(cells[4], money_text(person_pays), "{cells:?}");
        assert_eq!(described(s, "You pay a week").await, money_text(person_pays));
        assert!(main_text(s).await.contains("The NHS part of your budget is free."));

        follow(
            s,
            ".govuk-service-navigation a[href='/my-budget/plan']",
            "Your support plan",
            "the person's plan",
        )
        .await;
        let cells = row_cells(s, "The support plan's lines", "1").await;
        assert!(cells[1].starts_with(assistant.0), "{cells:?}");

        let balance = |stream: &'static str| {
            let store = s.app.store.clone();
            async move {
                let account = format!("{}-DP", support::BUDGET_CITIZEN);
                tokio::task::spawn_blocking(move || store.balances(None, None))
                    .await
                    .expect("task")
                    .expect("balances")
                    .into_iter()
                    .find(|b| b.account == account && b.stream == stream)
                    .map_or(0, |b| b.balance.pence())
            }
        };
        assert_eq!((balance("PHB").await, balance("ASC").await), (paid_phb, paid_asc));

        follow(
            s,
            ".govuk-service-navigation a[href='/my-budget/spending']",
            "Record what you spent",
            "the spending form",
        )
        .await;
        let select = s.client.find(Locator::Css("#line")).await.expect("#line");
        select.select_by_value("1").await.expect("line 1");
        s.type_into("#amount", "100.00").await;
        s.type_into("#receipt", "PA payslip 7").await;
        submit_from(s, "#receipt", "Record what you spent", "the spending recorded").await;
        assert!(done_message(s).await.contains("Your spending has been recorded."));
        // 100.00 on line 1 is split as the line is funded.
        let spent = 10_000_i64;
        let from_phb = spent * phb_drawn / assistant.3;
        assert_eq!(from_phb * assistant.3, spent * phb_drawn, "the fixture splits exactly");
        let from_asc = spent - from_phb;
        assert_eq!(
            (balance("PHB").await, balance("ASC").await),
            (paid_phb - from_phb, paid_asc - from_asc),
            "the direct payment's balances fall by the split"
        );

        follow(
            s,
            ".govuk-service-navigation a[href='/my-budget/statement']",
            "Your statement",
            "the statement",
        )
        .await;
        let text = main_text(s).await;
        for pence in [from_phb, from_asc] {
            let words = format!(
                "You spent {} (line 1: {}; receipt PA payslip 7)",
                money_text(pence),
                assistant.0
            );
            assert!(text.contains(&words), "{words:?} in {text}");
        }
        let cells = row_cells(s, "Each part of your budget so far", &phb_name).await;
        assert_eq!(cells[1], money_text(paid_phb), "paid in: {cells:?}");
        assert_eq!(cells[3], money_text(from_phb), "spent: {cells:?}");
        assert_eq!(cells[6], money_text(paid_phb - from_phb), "held: {cells:?}");
        let cells = row_cells(s, "Each part of your budget so far", &asc_name).await;
        assert_eq!(cells[6], money_text(paid_asc - from_asc), "held: {cells:?}");

        assert!(has(s, "main a[href='/my-budget/statement.csv']").await, "a link to the CSV");
        follow(
            s,
            "main a[href='/my-budget/statement?print=1']",
            "Your statement",
            "the printable statement",
        )
        .await;
        assert!(
            !has(s, "header, nav, form").await,
            "the printable statement is the statement alone"
        );
        assert!(main_text(s).await.contains("receipt PA payslip 7"));

        // The CSV, fetched as the browser would with the person's session.
        let cookie = s.client.get_named_cookie("onebudget_session").await.expect("the session");
        let response = reqwest::Client::new()
            .get(format!("{}/my-budget/statement.csv", s.app.base))
            .header("cookie", format!("onebudget_session={}", cookie.value()))
            .send()
            .await
            .expect("the CSV");
        assert_eq!(response.status(), reqwest::StatusCode::OK);
        let kind = response.headers()["content-type"].to_str().expect("a type").to_owned();
        assert!(kind.starts_with("text/csv"), "{kind}");
        let csv = response.text().await.expect("its text");
        assert!(
            csv.starts_with(
                "date,part,what happened,paid into your budget,paid to you,spent or paid out"
            ),
            "{csv}"
        );
        let row = format!(
            "{},{phb_name},You spent {} (line 1: {}; receipt PA payslip 7),0.00,0.00,{}.{:02}",
            chrono::Utc::now().date_naive(),
            money_text(from_phb),
            assistant.0,
            from_phb / 100,
            from_phb % 100
        );
        assert!(csv.contains(&row), "{row:?} in {csv}");
        s.goto("/my-budget").await;
        sign_out(s, "the person with a budget").await;
    }
    /// A finance officer pays a period (already paid by the fixture: recorded once), runs
    /// direct-payment monitoring with a one-week threshold, and confirms one proposed
    /// recovery; the money moves back to the funder only then.
    pub async fn finance_pays_budgets_and_decides_a_recovery(s: &Session) {
        seed_budgets(s, true).await;
        let start = budget_start();
        let [assistant, _] = support::BUDGET_CITIZEN_LINES;
        let phb_weekly = assistant.3.min(indicative_pence("PHB", start));
        let weeks = i64::from(support::BUDGET_WEEKS_PAID);
        let phb_name = budget_scheme().stream("PHB").expect("PHB").name.clone();
        sign_in(s, "finance", "The ledger").await;
        follow(s, "main a[href='/budgets/payments']", "Pay personal budgets", "the payments page")
            .await;
        s.type_into("#from", support::BUDGET_START).await;
        retype(s, "#weeks", &weeks.to_string()).await;
        submit_from(s, "#weeks", "Check the payments before you pay them", "the period checked")
            .await;
        let text = main_text(s).await;
        assert!(text.contains("Nothing is left to pay for this period"), "{text}");
        s.mark_this_page().await;
        press_enter_on(s, "#confirm").await;
        s.wait_for_next_page("h1").await;
        assert_eq!(heading(s).await, "Pay personal budgets", "the period paid again");
        s.assert_no_axe_violations("the period paid again").await;
        let text = main_text(s).await;
        assert!(text.contains("0 of 4 transfers were posted now"), "paid once: {text}");

        follow(s, "main a[href='/budgets/reviews']", "Direct-payment reviews", "the reviews").await;
        retype(s, "#on", "2025-07-01").await;
        retype(s, "#weeks", "1").await;
        submit_from(s, "#weeks", "Direct-payment reviews", "the reviews raised").await;
        // The PHB's direct payment holds four weeks; above one week's, three are proposed.
        let store = s.app.store.clone();
        let open = tokio::task::spawn_blocking(move || store.dp_reviews(true))
            .await
            .expect("task")
            .expect("reviews");
        let review = open.iter().find(|r| r.stream == "PHB").expect("a PHB review");
        assert_eq!(review.balance.pence(), phb_weekly * weeks);
        assert_eq!(review.proposed_recovery.pence(), phb_weekly * (weeks - 1));
        let text = main_text(s).await;
        assert!(
            text.contains(&format!(
                "Review {}: {}, {phb_name}",
                review.id,
                support::BUDGET_CITIZEN
            )),
            "{text}"
        );
        s.type_into(&format!("#note-{}", review.id), "Agreed with Robin").await;
        s.mark_this_page().await;
        press_enter_on(
            s,
            &format!(
                "form[action='/budgets/reviews/{}/decide'] button[value='recover']",
                review.id
            ),
        )
        .await;
        s.wait_for_next_page("h1").await;
        assert_eq!(heading(s).await, "Check the recovery before you confirm it");
        s.assert_no_axe_violations("a recovery checked").await;
        assert_fits_the_window(s, "a recovery checked").await;
        s.mark_this_page().await;
        press_enter_on(s, "#confirm").await;
        s.wait_for_next_page("h1").await;
        s.assert_no_axe_violations("a recovery decided").await;
        assert!(done_message(s).await.contains("The decision has been recorded."));
        let cells = row_cells(s, "Reviews decided", &review.id.to_string()).await;
        assert_eq!(cells[3], money_text(phb_weekly * (weeks - 1)), "{cells:?}");
        let store = s.app.store.clone();
        let held = tokio::task::spawn_blocking(move || store.balances(None, None))
            .await
            .expect("task")
            .expect("balances")
            .into_iter()
            .find(|b| b.account == format!("{}-DP", support::BUDGET_CITIZEN) && b.stream == "PHB")
            .map_or(0, |b| b.balance.pence());
        assert_eq!(held, phb_weekly, "one week is left after the recovery");
        sign_out(s, "finance").await;
    }

    async fn seed_mixed_budget(s: &Session) {
        let store = s.app.store.clone();
        tokio::task::spawn_blocking(move || {
            support::seed_budget_people(&store);
            support::seed_budget_mixed(&store);
        })
        .await
        .expect("seed");
    }

    /// The balance of `account` in `stream`, in pence, from the store.
    async fn balance_of(s: &Session, account: &str, stream: &str) -> i64 {
        let store = s.app.store.clone();
        let (account, stream) = (account.to_owned(), stream.to_owned());
        tokio::task::spawn_blocking(move || store.balances(None, None))
            .await
            .expect("task")
            .expect("balances")
            .into_iter()
            .find(|b| b.account == account && b.stream == stream)
            .map_or(0, |b| b.balance.pence())
    }

    /// The practitioner records, for a person on their caseload, what their direct payment
    /// was spent on: a form with a mistake first (nothing recorded), then the spending,
    /// which the direct payment's balance loses exactly.
    pub async fn practitioner_records_spending_for_the_person(s: &Session) {
        seed_mixed_budget(s).await;
        let person = support::BUDGET_MIXED;
        let name = support::BUDGET_MIXED_NAME;
        let start = budget_start();
        let [assistant, _] = support::BUDGET_CITIZEN_LINES;
        let weeks = i64::from(support::BUDGET_WEEKS_PAID);
        // The PHB is the direct payment; the assistant's line draws what it may of it.
        let paid = assistant.3.min(indicative_pence("PHB", start)) * weeks;
        let account = format!("{person}-DP");
        assert_eq!(balance_of(s, &account, "PHB").await, paid);

        sign_in(s, "practitioner", "Your team's caseload").await;
        follow(s, &format!("main a[href='/people/{person}']"), name, "the person's record").await;
        follow(
            s,
            &format!("main a[href='/people/{person}/budget']"),
            &format!("Personal budget: {name}"),
            "the person's budget",
        )
        .await;
        follow(
            s,
            &format!("main a[href='/people/{person}/budget/spending']"),
            &format!("Record spending for {name}"),
            "the spending form for the person",
        )
        .await;
        // Only the line the direct payment funds is offered (the cleaner is the provider's).
        let options = s.client.find_all(Locator::Css("#line option")).await.expect("options");
        assert_eq!(options.len(), 2, "a prompt and line 1");

        s.type_into("#receipt", "Till 88").await;
        submit_from(s, "#receipt", "Record spending for", "the spending form with errors").await;
        assert!(has(s, "#line-error").await && has(s, "#amount-error").await);
        assert_eq!(balance_of(s, &account, "PHB").await, paid, "nothing is recorded");

        let select = s.client.find(Locator::Css("#line")).await.expect("#line");
        select.select_by_value("1").await.expect("line 1");
        s.type_into("#amount", "45.50").await;
        submit_from(s, "#amount", "Record spending for", "the spending recorded").await;
        assert!(done_message(s).await.contains("The spending has been recorded"));
        assert_eq!(
            balance_of(s, &account, "PHB").await,
            paid - 4_550,
            "the direct payment loses exactly what was spent"
        );
        assert_eq!(balance_of(s, "DP-SPEND", "PHB").await, 4_550);
        sign_out(s, "practitioner").await;
    }

    /// A finance officer pays a provider's invoice from the Individual Service Fund it
    /// holds. A direct-payment component, a provider that does not hold the component and
    /// an invoice larger than the budget holds are each refused by their field, with
    /// nothing paid; then the invoice is paid and the balances move by exactly its amount.
    pub async fn finance_pays_a_providers_invoice(s: &Session) {
        seed_mixed_budget(s).await;
        let person = support::BUDGET_MIXED;
        let provider = support::BUDGET_PROVIDER;
        let [assistant, cleaner] = support::BUDGET_CITIZEN_LINES;
        let weeks = i64::from(support::BUDGET_WEEKS_PAID);
        let start = budget_start();
        // Social care pays the rest of the assistant and all the cleaner; no contribution.
        let asc_weekly = assistant.3 - assistant.3.min(indicative_pence("PHB", start)) + cleaner.3;
        let held = asc_weekly * weeks;
        let budget_account = format!("{person}-ASC");
        assert_eq!(balance_of(s, &budget_account, "ASC").await, held);

        sign_in(s, "finance", "The ledger").await;
        follow(s, "main a[href='/budgets/payments']", "Pay personal budgets", "the payments page")
            .await;
        s.type_into("#invoice-person", person).await;
        let select = s.client.find(Locator::Css("#invoice-stream")).await.expect("#invoice-stream");
        select.select_by_value("PHB").await.expect("PHB");
        s.type_into("#invoice-provider", provider).await;
        s.type_into("#invoice-amount", "120.00").await;
        s.type_into("#invoice-number", "INV-77").await;
        submit_from(s, "#invoice-number", "Pay personal budgets", "a direct payment refused").await;
        let error = |css: &'static str| async move {
            let e = s.client.find(Locator::Css(css)).await.expect(css);
            e.text().await.expect("its text")
        };
        assert!(error("#invoice-stream-error").await.contains("direct payment"));

        let select = s.client.find(Locator::Css("#invoice-stream")).await.expect("#invoice-stream");
        select.select_by_value("ASC").await.expect("ASC");
        retype(s, "#invoice-provider", "PROV-OTHER").await;
        submit_from(s, "#invoice-provider", "Pay personal budgets", "another provider refused")
            .await;
        assert!(error("#invoice-provider-error").await.contains(provider));

        retype(s, "#invoice-provider", provider).await;
        retype(s, "#invoice-amount", &format!("{}.00", held / 100 + 1)).await;
        submit_from(s, "#invoice-amount", "Pay personal budgets", "an overdraft refused").await;
        assert!(error("#invoice-amount-error").await.contains("more than"));
        assert_eq!(balance_of(s, &budget_account, "ASC").await, held, "nothing is paid");
        assert_eq!(balance_of(s, provider, "ASC").await, 0);

        retype(s, "#invoice-amount", "120.00").await;
        submit_from(
            s,
            "#invoice-amount",
            "Check the invoice before you pay it",
            "the invoice checked",
        )
        .await;
        assert_eq!(balance_of(s, provider, "ASC").await, 0, "nothing is paid by the check");
        s.mark_this_page().await;
        press_enter_on(s, "#confirm").await;
        s.wait_for_next_page("h1").await;
        assert_eq!(heading(s).await, "Pay personal budgets", "the invoice paid");
        s.assert_no_axe_violations("the invoice paid").await;
        assert!(done_message(s).await.contains("Invoice INV-77 has been paid"));
        let cells = row_cells(s, "The transfer posted for the invoice", &budget_account).await;
        assert_eq!(cells[1], provider, "{cells:?}");
        assert_eq!(cells[3], "£120.00", "{cells:?}");
        assert_eq!(cells[6], "Now", "{cells:?}");
        assert_eq!(balance_of(s, &budget_account, "ASC").await, held - 12_000);
        assert_eq!(balance_of(s, provider, "ASC").await, 12_000);
        // A blank form with a new key is shown for the next invoice.
        let person_field = s.client.find(Locator::Css("#invoice-person")).await.expect("field");
        assert_eq!(person_field.prop("value").await.expect("value").as_deref(), Some(""));
        sign_out(s, "finance").await;
    }
}
