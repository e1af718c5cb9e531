//! End-to-end tests of the JSON API: the real server (`onebudget_web::serve`) on
//! 127.0.0.1:0 over a fresh database, driven with real HTTP requests.
//!
//! Each test body is written once, as an `async fn(&TestApp)`, and `on_both_backends!`
//! runs it twice: `sqlite::NAME` on a SQLite file in a temporary directory, and
//! `postgresql::NAME` on a freshly created PostgreSQL database when
//! `ONEBUDGET_TEST_POSTGRES_URL` names a server where the tests may `CREATE DATABASE`
//! (otherwise those say they were skipped and pass, unless `ONEBUDGET_TEST_REQUIRE_POSTGRES`
//! is set, as the README's test command sets it: then they fail). The server, the
//! databases and the macro are `support`'s, shared by every web test binary.

// This whole crate is a test: a failed `expect` or an out-of-range index is a failed test,
// which is what the workspace's clippy.toml allows inside tests. Clippy only recognises
// `#[test]` functions and `#[cfg(test)]` modules as tests, not an integration-test crate's
// helpers, so say so here.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

#[allow(dead_code)]
mod support;

use onebudget_core::Money;
use onebudget_store::{SCHEMA_VERSION, Store};
use reqwest::StatusCode;
use serde_json::{Value, json};

use support::Backend;

/// A running server over its own fresh database, and the API's caller.
struct TestApp {
    server: support::Server,
    client: reqwest::Client,
    backend: Backend,
    base: String,
}

/// A response: its status and its JSON body (every response of the API is JSON).
struct Reply {
    status: StatusCode,
    body: Value,
}

/// Start the API over a fresh database of `backend`, or `None` for PostgreSQL when no
/// server is configured (and none is required).
async fn spawn_app(backend: Backend) -> Option<TestApp> {
    let server = support::Server::on(backend, "the API tests").await?;
    // The API's caller: a finance system's service account with a token for the ledger.
    let client = {
        let store = server.store.clone();
        tokio::task::spawn_blocking(move || {
            support::machine_client(&store, "finance", "ledger:read,ledger:write,people:read")
        })
        .await
        .expect("a client")
    };
    Some(TestApp { base: server.base.clone(), server, client, backend })
}

impl TestApp {
    async fn finish(self) {
        self.server.finish().await;
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
        let response = request.send().await.expect("the request is answered");
        let status = response.status();
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let bytes = response.bytes().await.expect("a body");
        assert!(
            content_type.starts_with("application/json"),
            "{status}: content type {content_type:?}"
        );
        let body = serde_json::from_slice(&bytes).unwrap_or_else(|e| {
            panic!("{status}: the body is not JSON ({e}): {}", String::from_utf8_lossy(&bytes))
        });
        Reply { status, body }
    }

    async fn get(&self, path: &str) -> Reply {
        self.send(self.client.get(self.url(path))).await
    }

    async fn post(&self, path: &str, body: &Value) -> Reply {
        self.send(self.client.post(self.url(path)).json(body)).await
    }

    async fn post_with_key(&self, path: &str, key: &str, body: &Value) -> Reply {
        self.send(self.client.post(self.url(path)).header("Idempotency-Key", key).json(body)).await
    }

    async fn post_raw(
        &self,
        path: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> Reply {
        let request = self
            .client
            .post(self.url(path))
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body);
        self.send(request).await
    }

    /// The balance of (account, stream) in `/api/balances{query}`, in pence (0 if absent).
    async fn balance(&self, query: &str, account: &str, stream: &str) -> i64 {
        let reply = self.get(&format!("/api/balances{query}")).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        reply.body["balances"]
            .as_array()
            .expect("balances")
            .iter()
            .find(|row| row["account"] == account && row["stream"] == stream)
            .map_or(0, |row| pence(&row["balance"]))
    }
}

impl Reply {
    /// Assert this is an error of `status` with `code` and `field`, in the API's shape.
    fn assert_error(&self, status: StatusCode, code: &str, field: Option<&str>) {
        assert_eq!(self.status, status, "{}", self.body);
        let error = self.body["error"].as_object().expect("an error object");
        assert_eq!(error.len(), 3, "code, message and field only: {}", self.body);
        assert_eq!(error["code"], code, "{}", self.body);
        assert_eq!(error["field"].as_str(), field, "{}", self.body);
        assert!(!error["message"].as_str().expect("a message").is_empty());
    }

    fn message(&self) -> &str {
        self.body["error"]["message"].as_str().unwrap_or_default()
    }
}

fn pence(amount: &Value) -> i64 {
    Money::parse(amount.as_str().expect("an amount string")).expect("an amount").pence()
}

fn stream(code: &str, owner: &str, charging_basis: &str) -> Value {
    json!({"type": "funding_stream", "code": code, "owner": owner, "charging_basis": charging_basis})
}

fn account(
    code: &str,
    kind: &str,
    owner: Value,
    stream: Option<&str>,
    may_go_negative: bool,
) -> Value {
    json!({
        "type": "account", "code": code, "kind": kind, "owner": owner,
        "stream": stream, "may_go_negative": may_go_negative,
    })
}

/// Two streams and four accounts: two funders (which may go negative), a person's
/// personal budget and a provider (which may not).
fn fixture() -> Value {
    json!([
        stream("ASC", "COUNCIL", "means_tested"),
        stream("CHC", "NHS-ICB", "free_at_point_of_use"),
        account("COUNCIL-ASC", "funding", json!({"organisation": "COUNCIL"}), Some("ASC"), true),
        account("ICB-CHC", "funding", json!({"organisation": "NHS-ICB"}), Some("CHC"), true),
        account("P1-PB", "personal_budget", json!({"person": "P1"}), None, false),
        account("PROVIDER-A", "provider", json!({"organisation": "PROV-A"}), None, false),
    ])
}

async fn open_fixture(app: &TestApp) {
    let reply = app.post("/api/ledger/open", &fixture()).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
}

fn transfer(key: &str, from: &str, to: &str, amount: &str, stream: &str, date: &str) -> Value {
    json!({
        "idempotency_key": key, "from": from, "to": to, "amount": amount,
        "stream": stream, "effective_date": date, "reason": "allocation",
    })
}

async fn post_ok(app: &TestApp, body: &Value) -> Value {
    let reply = app.post("/api/transfers", body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    reply.body
}

on_both_backends!(
    health_reports_the_database,
    open_streams_and_accounts,
    post_transfer_is_idempotent,
    same_key_different_transfer_is_a_conflict,
    idempotency_key_header,
    batch_is_all_or_nothing,
    malformed_and_wrongly_typed_bodies_are_400,
    invalid_fields_are_422,
    unknown_account_and_stream,
    balances_sum_to_zero_and_as_of_filters,
    statement_has_a_running_balance,
    openapi_lists_every_path,
    every_error_is_json,
    a_pooled_fund_through_its_year,
    every_edge_refuses_what_the_parsers_refuse,
);

async fn health_reports_the_database(app: &TestApp) {
    let reply = app.get("/health").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let database = match app.backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    assert_eq!(
        reply.body,
        json!({"status": "ok", "database": database, "schema_version": SCHEMA_VERSION})
    );
}

async fn open_streams_and_accounts(app: &TestApp) {
    let reply = app.post("/api/ledger/open", &fixture()).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let results = reply.body["results"].as_array().expect("results");
    let codes: Vec<&str> = results.iter().map(|r| r["code"].as_str().unwrap_or_default()).collect();
    assert_eq!(codes, ["ASC", "CHC", "COUNCIL-ASC", "ICB-CHC", "P1-PB", "PROVIDER-A"]);
    assert!(results.iter().all(|r| r["outcome"] == "opened"), "{}", reply.body);

    // Opening the same again changes nothing.
    let again = app.post("/api/ledger/open", &fixture()).await;
    assert_eq!(again.status, StatusCode::OK);
    let results = again.body["results"].as_array().expect("results");
    assert!(results.iter().all(|r| r["outcome"] == "already_open"), "{}", again.body);

    let streams = app.get("/api/streams").await;
    assert_eq!(streams.status, StatusCode::OK);
    assert_eq!(
        streams.body["streams"][0],
        json!({"code": "ASC", "name": "ASC", "owner": "COUNCIL", "charging_basis": "means_tested"})
    );
    assert_eq!(streams.body["streams"].as_array().map(Vec::len), Some(2));

    let accounts = app.get("/api/accounts").await;
    assert_eq!(accounts.status, StatusCode::OK);
    assert_eq!(accounts.body["accounts"].as_array().map(Vec::len), Some(4));

    let one = app.get("/api/accounts/P1-PB").await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.body);
    assert_eq!(
        one.body,
        json!({
            "code": "P1-PB", "name": "P1-PB", "kind": "personal_budget",
            "owner": {"person": "P1"}, "stream": null, "may_go_negative": false,
        })
    );
    app.get("/api/accounts/NOBODY").await.assert_error(StatusCode::NOT_FOUND, "not_found", None);
    app.get("/api/accounts/bad%20code").await.assert_error(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
        Some("code"),
    );

    // An open account never changes.
    let changed = json!([account("P1-PB", "pool", json!({"person": "P1"}), None, false)]);
    app.post("/api/ledger/open", &changed).await.assert_error(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
        Some("[0].code"),
    );

    // All or nothing: a bad second record leaves the first unopened.
    let bad_kind = json!([
        stream("DFG", "COUNCIL", "means_tested"),
        account("BANK", "bank", json!({"organisation": "COUNCIL"}), None, false),
    ]);
    let reply = app.post("/api/ledger/open", &bad_kind).await;
    reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", Some("[1].kind"));
    assert!(reply.message().contains("must be one of"), "{}", reply.message());
    let refused_in_store = json!([
        stream("DFG", "COUNCIL", "means_tested"),
        account("DFG-X", "pool", json!({"organisation": "COUNCIL"}), Some("NOPE"), false),
    ]);
    app.post("/api/ledger/open", &refused_in_store).await.assert_error(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
        Some("[1].stream"),
    );
    let streams = app.get("/api/streams").await;
    assert_eq!(streams.body["streams"].as_array().map(Vec::len), Some(2), "{}", streams.body);

    app.post("/api/ledger/open", &json!([{"type": "bank", "code": "X"}])).await.assert_error(
        StatusCode::BAD_REQUEST,
        "invalid_body",
        Some("[0].type"),
    );
}

async fn post_transfer_is_idempotent(app: &TestApp) {
    open_fixture(app).await;
    let body = transfer("T-1", "COUNCIL-ASC", "P1-PB", "500.00", "ASC", "2025-04-01");
    let first = post_ok(app, &body).await;
    assert_eq!(first["status"], "created");
    assert_eq!(first["idempotency_key"], "T-1");
    let id = first["id"].as_i64().expect("an id");

    let again = app.post("/api/transfers", &body).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert_eq!(
        again.body,
        json!({"id": id, "idempotency_key": "T-1", "status": "already_recorded"})
    );

    let recorded = app.get("/api/transfers/T-1").await;
    assert_eq!(recorded.status, StatusCode::OK, "{}", recorded.body);
    assert_eq!(
        recorded.body,
        json!({
            "id": id, "idempotency_key": "T-1", "from": "COUNCIL-ASC", "to": "P1-PB",
            "amount": "500.00", "stream": "ASC", "effective_date": "2025-04-01",
            "reason": "allocation", "memo": "",
        })
    );
    app.get("/api/transfers/T-2").await.assert_error(StatusCode::NOT_FOUND, "not_found", None);
    assert_eq!(app.balance("", "P1-PB", "ASC").await, 50_000);
}

async fn same_key_different_transfer_is_a_conflict(app: &TestApp) {
    open_fixture(app).await;
    post_ok(app, &transfer("T-1", "COUNCIL-ASC", "P1-PB", "500.00", "ASC", "2025-04-01")).await;
    let different = transfer("T-1", "COUNCIL-ASC", "P1-PB", "600.00", "ASC", "2025-04-01");
    let reply = app.post("/api/transfers", &different).await;
    reply.assert_error(
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency_conflict",
        Some("idempotency_key"),
    );
    assert_eq!(app.balance("", "P1-PB", "ASC").await, 50_000);
}

async fn idempotency_key_header(app: &TestApp) {
    open_fixture(app).await;
    let mut body = transfer("", "COUNCIL-ASC", "P1-PB", "10.00", "ASC", "2025-04-01");
    // An empty key in the body gives way to the header.
    let reply = app.post_with_key("/api/transfers", "HDR-1", &body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    assert_eq!(reply.body["idempotency_key"], "HDR-1");
    let id = reply.body["id"].clone();
    // So does a missing one.
    body.as_object_mut().expect("an object").remove("idempotency_key");
    let reply = app.post_with_key("/api/transfers", "HDR-1", &body).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["status"], "already_recorded");
    assert_eq!(reply.body["id"], id);
    assert_eq!(app.get("/api/transfers/HDR-1").await.body["amount"], "10.00");

    // Both given and equal is fine; both given and different is refused.
    body["idempotency_key"] = json!("HDR-1");
    assert_eq!(app.post_with_key("/api/transfers", "HDR-1", &body).await.status, StatusCode::OK);
    app.post_with_key("/api/transfers", "HDR-2", &body).await.assert_error(
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency_key_mismatch",
        Some("idempotency_key"),
    );
    // Neither given.
    body.as_object_mut().expect("an object").remove("idempotency_key");
    app.post("/api/transfers", &body).await.assert_error(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
        Some("idempotency_key"),
    );
    assert_eq!(app.balance("", "P1-PB", "ASC").await, 1_000);
}

async fn batch_is_all_or_nothing(app: &TestApp) {
    open_fixture(app).await;
    post_ok(app, &transfer("FUND", "COUNCIL-ASC", "P1-PB", "100.00", "ASC", "2025-04-01")).await;
    let before = app.get("/api/balances").await.body;

    // The second payment would take the personal budget below zero.
    let overdrawn = json!({"transfers": [
        transfer("PAY-0", "P1-PB", "PROVIDER-A", "60.00", "ASC", "2025-04-02"),
        transfer("PAY-1", "P1-PB", "PROVIDER-A", "50.00", "ASC", "2025-04-03"),
    ]});
    let reply = app.post("/api/transfers/batch", &overdrawn).await;
    reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "overdraft", Some("transfers[1].amount"));
    assert!(reply.message().starts_with("transfer 2 of the batch"), "{}", reply.message());
    assert_eq!(app.get("/api/balances").await.body, before, "nothing was written");
    app.get("/api/transfers/PAY-0").await.assert_error(StatusCode::NOT_FOUND, "not_found", None);

    // A field error names its transfer too, before anything reaches the ledger.
    let imprecise = json!({"transfers": [
        transfer("PAY-0", "P1-PB", "PROVIDER-A", "60.00", "ASC", "2025-04-02"),
        transfer("PAY-1", "P1-PB", "PROVIDER-A", "10.00", "ASC", "2025-04-03"),
        transfer("PAY-2", "P1-PB", "PROVIDER-A", "1.234", "ASC", "2025-04-03"),
    ]});
    app.post("/api/transfers/batch", &imprecise).await.assert_error(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
        Some("transfers[2].amount"),
    );
    let keyless = json!({"transfers": [{
        "from": "P1-PB", "to": "PROVIDER-A", "amount": "1.00", "stream": "ASC",
        "effective_date": "2025-04-02", "reason": "spend",
    }]});
    app.post("/api/transfers/batch", &keyless).await.assert_error(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
        Some("transfers[0].idempotency_key"),
    );
    assert_eq!(app.get("/api/balances").await.body, before, "nothing was written");

    let good = json!({"transfers": [
        transfer("PAY-0", "P1-PB", "PROVIDER-A", "60.00", "ASC", "2025-04-02"),
        transfer("PAY-1", "P1-PB", "PROVIDER-A", "40.00", "ASC", "2025-04-03"),
    ]});
    let reply = app.post("/api/transfers/batch", &good).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let results = reply.body["results"].as_array().expect("results").clone();
    assert_eq!(results.len(), 2);
    assert!(results.iter().all(|r| r["status"] == "created"), "{}", reply.body);
    assert_eq!(results[0]["idempotency_key"], "PAY-0");
    assert_eq!(app.balance("", "P1-PB", "ASC").await, 0);
    assert_eq!(app.balance("", "PROVIDER-A", "ASC").await, 10_000);

    let again = app.post("/api/transfers/batch", &good).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    let repeated = again.body["results"].as_array().expect("results");
    assert!(repeated.iter().all(|r| r["status"] == "already_recorded"), "{}", again.body);
    assert_eq!(repeated[1]["id"], results[1]["id"]);
}

async fn malformed_and_wrongly_typed_bodies_are_400(app: &TestApp) {
    open_fixture(app).await;
    let reply =
        app.post_raw("/api/transfers", "application/json", "{\"from\": \"A\",\n  oops}").await;
    reply.assert_error(StatusCode::BAD_REQUEST, "malformed_json", None);
    assert!(reply.message().contains("line 2, column 3"), "{}", reply.message());

    let truncated =
        app.post_raw("/api/transfers/batch", "application/json", "{\"transfers\": [").await;
    truncated.assert_error(StatusCode::BAD_REQUEST, "malformed_json", None);

    let mut numeric = transfer("T-1", "COUNCIL-ASC", "P1-PB", "1", "ASC", "2025-04-01");
    numeric["amount"] = json!(12.5);
    let reply = app.post("/api/transfers", &numeric).await;
    reply.assert_error(StatusCode::BAD_REQUEST, "invalid_body", Some("amount"));
    assert!(reply.message().contains("expected a string"), "{}", reply.message());

    for (body, field) in [
        ("\"a transfer\"", None),
        ("[]", None),
        ("{\"transfers\": {}}", Some("transfers")),
        ("{\"transfers\": [7]}", Some("transfers[0]")),
    ] {
        let reply = app.post_raw("/api/transfers/batch", "application/json", body).await;
        reply.assert_error(StatusCode::BAD_REQUEST, "invalid_body", field);
        let message = reply.message();
        assert!(!message.contains("struct") && !message.contains("Request"), "{message}");
        assert!(message.contains("line 1, column"), "{message}");
    }

    let mut unknown_field = transfer("T-1", "COUNCIL-ASC", "P1-PB", "1", "ASC", "2025-04-01");
    unknown_field["amout"] = json!("1");
    let reply = app.post("/api/transfers", &unknown_field).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert!(reply.message().contains("amout"), "{}", reply.message());

    app.post_raw("/api/transfers", "text/plain", "{}").await.assert_error(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        None,
    );
    assert_eq!(app.balance("", "P1-PB", "ASC").await, 0);
}

async fn invalid_fields_are_422(app: &TestApp) {
    open_fixture(app).await;
    let reply = app
        .post(
            "/api/transfers",
            &transfer("T-1", "COUNCIL-ASC", "P1-PB", "1.234", "ASC", "2025-04-01"),
        )
        .await;
    reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", Some("amount"));
    assert!(reply.message().contains("more than two decimal places"), "{}", reply.message());

    for (body, field) in [
        (transfer("T-1", "COUNCIL-ASC", "P1-PB", "-5.00", "ASC", "2025-04-01"), "amount"),
        (transfer("T-1", "COUNCIL-ASC", "P1-PB", "5.00", "ASC", "2025-02-30"), "effective_date"),
        (transfer("T-1", "COUNCIL-ASC", "COUNCIL-ASC", "5.00", "ASC", "2025-04-01"), "to"),
        (transfer("T 1", "COUNCIL-ASC", "P1-PB", "5.00", "ASC", "2025-04-01"), "idempotency_key"),
    ] {
        app.post("/api/transfers", &body).await.assert_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            Some(field),
        );
    }
    let mut bad_reason = transfer("T-1", "COUNCIL-ASC", "P1-PB", "5.00", "ASC", "2025-04-01");
    bad_reason["reason"] = json!("gift");
    app.post("/api/transfers", &bad_reason).await.assert_error(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
        Some("reason"),
    );
    assert_eq!(app.balance("", "P1-PB", "ASC").await, 0);
}

async fn unknown_account_and_stream(app: &TestApp) {
    open_fixture(app).await;
    app.post(
        "/api/transfers",
        &transfer("T-1", "COUNCIL-ASC", "NOBODY", "5.00", "ASC", "2025-04-01"),
    )
    .await
    .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "unknown_account", Some("to"));
    app.post(
        "/api/transfers",
        &transfer("T-1", "P1-PB", "PROVIDER-A", "5.00", "DFG", "2025-04-01"),
    )
    .await
    .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "unknown_stream", Some("stream"));
    // COUNCIL-ASC holds only ASC money.
    app.post(
        "/api/transfers",
        &transfer("T-1", "COUNCIL-ASC", "P1-PB", "5.00", "CHC", "2025-04-01"),
    )
    .await
    .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "stream_mismatch", Some("stream"));
}

/// Three transfers over three months, for the balance and statement tests.
async fn three_months(app: &TestApp) {
    open_fixture(app).await;
    let batch = json!({"transfers": [
        transfer("APR", "COUNCIL-ASC", "P1-PB", "300.00", "ASC", "2025-04-01"),
        transfer("MAY", "ICB-CHC", "P1-PB", "200.00", "CHC", "2025-05-01"),
        transfer("JUN", "P1-PB", "PROVIDER-A", "250.00", "ASC", "2025-06-01"),
    ]});
    let reply = app.post("/api/transfers/batch", &batch).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
}

async fn balances_sum_to_zero_and_as_of_filters(app: &TestApp) {
    three_months(app).await;
    let now = app.get("/api/balances").await;
    assert_eq!(now.status, StatusCode::OK, "{}", now.body);
    assert_eq!(now.body["as_of"], Value::Null);
    assert_eq!(now.body["total"], "0.00");
    let rows = now.body["balances"].as_array().expect("balances");
    assert_eq!(rows.iter().map(|r| pence(&r["balance"])).sum::<i64>(), 0);
    assert_eq!(rows.len(), 5, "{}", now.body);
    assert_eq!(app.balance("", "P1-PB", "ASC").await, 5_000);
    assert_eq!(app.balance("", "P1-PB", "CHC").await, 20_000);
    assert_eq!(app.balance("", "PROVIDER-A", "ASC").await, 25_000);
    let first = &rows[0];
    assert_eq!(first["account"], "COUNCIL-ASC");
    assert_eq!(first["balance"], "-300.00");
    assert_eq!(first["owner_kind"], "organisation");

    // At the end of April only the April transfer had happened.
    let april = app.get("/api/balances?as_of=2025-04-30").await;
    assert_eq!(april.status, StatusCode::OK, "{}", april.body);
    assert_eq!(april.body["as_of"], "2025-04-30");
    assert_eq!(april.body["total"], "0.00");
    let rows = april.body["balances"].as_array().expect("balances");
    assert_eq!(rows.len(), 2, "{}", april.body);
    assert_eq!(app.balance("?as_of=2025-04-30", "P1-PB", "ASC").await, 30_000);
    assert_eq!(app.balance("?as_of=2025-05-01", "P1-PB", "CHC").await, 20_000);
    assert_eq!(app.balance("?as_of=2025-03-31", "P1-PB", "ASC").await, 0);
    // An empty parameter is no filter.
    assert_eq!(app.balance("?as_of=", "P1-PB", "ASC").await, 5_000);

    let chc = app.get("/api/balances?stream=CHC").await;
    let rows = chc.body["balances"].as_array().expect("balances");
    assert!(rows.iter().all(|r| r["stream"] == "CHC"), "{}", chc.body);
    assert_eq!(rows.len(), 2);
    assert_eq!(chc.body["total"], "0.00");

    for bad in ["2025-13-01", "yesterday", "2025-4-1"] {
        app.get(&format!("/api/balances?as_of={bad}")).await.assert_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            Some("as_of"),
        );
    }
    app.get("/api/balances?stream=DFG").await.assert_error(
        StatusCode::NOT_FOUND,
        "not_found",
        None,
    );
    app.get("/api/balances?asof=2025-04-30").await.assert_error(
        StatusCode::BAD_REQUEST,
        "invalid_query",
        None,
    );
}

async fn statement_has_a_running_balance(app: &TestApp) {
    three_months(app).await;
    let reply = app.get("/api/accounts/P1-PB/statement").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let statement = &reply.body;
    assert_eq!(statement["account"]["code"], "P1-PB");
    assert_eq!(statement["from"], Value::Null);
    assert_eq!(statement["opening_balance"], "0.00");
    assert_eq!(statement["money_in"], "500.00");
    assert_eq!(statement["money_out"], "250.00");
    assert_eq!(statement["closing_balance"], "250.00");
    let lines = statement["lines"].as_array().expect("lines");
    let running: Vec<&str> =
        lines.iter().map(|l| l["balance"].as_str().unwrap_or_default()).collect();
    assert_eq!(running, ["300.00", "500.00", "250.00"]);
    assert_eq!(lines[0]["counterparty"], "COUNCIL-ASC");
    assert_eq!(lines[2]["counterparty"], "PROVIDER-A");
    assert_eq!(lines[2]["money_out"], "250.00");
    assert_eq!(lines[2]["money_in"], "0.00");

    let from_may = app.get("/api/accounts/P1-PB/statement?from=2025-05-01&to=2025-05-31").await;
    assert_eq!(from_may.status, StatusCode::OK, "{}", from_may.body);
    assert_eq!(from_may.body["from"], "2025-05-01");
    assert_eq!(from_may.body["to"], "2025-05-31");
    assert_eq!(from_may.body["opening_balance"], "300.00");
    assert_eq!(from_may.body["closing_balance"], "500.00");
    assert_eq!(from_may.body["lines"].as_array().map(Vec::len), Some(1));

    app.get("/api/accounts/P1-PB/statement?from=2025-06-01&to=2025-05-01").await.assert_error(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
        Some("to"),
    );
    app.get("/api/accounts/P1-PB/statement?from=June").await.assert_error(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
        Some("from"),
    );
    app.get("/api/accounts/NOBODY/statement").await.assert_error(
        StatusCode::NOT_FOUND,
        "not_found",
        None,
    );
}

async fn openapi_lists_every_path(app: &TestApp) {
    let reply = app.get("/api/openapi.json").await;
    assert_eq!(reply.status, StatusCode::OK);
    let document = &reply.body;
    assert!(document["openapi"].as_str().is_some_and(|v| v.starts_with("3.")), "{document}");
    let paths = document["paths"].as_object().expect("paths");
    for (path, method) in [
        ("/health", "get"),
        ("/api/openapi.json", "get"),
        ("/api/ledger/open", "post"),
        ("/api/streams", "get"),
        ("/api/accounts", "get"),
        ("/api/accounts/{code}", "get"),
        ("/api/accounts/{code}/statement", "get"),
        ("/api/transfers", "post"),
        ("/api/transfers/batch", "post"),
        ("/api/transfers/{idempotency_key}", "get"),
        ("/api/balances", "get"),
        ("/api/financial-assessments", "post"),
        ("/api/people/{code}", "get"),
        ("/api/people/{code}/access-log", "get"),
        ("/api/people/{code}/financial-assessments", "get"),
        ("/api/people/{code}/financial-assessments", "post"),
        ("/api/reports/spend", "get"),
        ("/api/measures", "get"),
        ("/api/measures/values", "get"),
        ("/api/audit", "get"),
        ("/api/pools", "get"),
        ("/api/pools", "post"),
        ("/api/pools/{pool}/{year}/monitoring", "get"),
        ("/api/pools/{pool}/{year}/monitoring.csv", "get"),
        ("/api/pools/{pool}/{year}/forecasts", "post"),
        ("/api/pools/{pool}/{year}/close", "post"),
        ("/api/pools/{pool}/{year}/settlement", "get"),
        ("/api/pools/{pool}/{year}/settlement/confirm", "post"),
        ("/api/people/{code}/needs-assessments", "get"),
        ("/api/people/{code}/needs-assessments", "post"),
        ("/api/people/{code}/budget", "get"),
        ("/api/people/{code}/budget", "post"),
        ("/api/people/{code}/plan", "get"),
        ("/api/people/{code}/statement", "get"),
        ("/api/people/{code}/statement.csv", "get"),
        ("/api/people/{code}/spending", "post"),
        ("/api/people/{code}/invoices", "post"),
        ("/api/budgets/payments", "post"),
        ("/api/budgets/monitoring", "post"),
        ("/api/budgets/reviews", "get"),
        ("/api/budgets/reviews/{id}", "post"),
        ("/api/funders/{stream}/statement", "get"),
        ("/api/deferred-payments/statement", "post"),
        ("/api/events/import", "post"),
    ] {
        let operation = &paths.get(path).unwrap_or_else(|| panic!("{path} is documented"))[method];
        assert!(operation["responses"].is_object(), "{method} {path}: {operation}");
    }
    assert_eq!(paths.len(), 40, "no undocumented extras: {:?}", paths.keys());
    // Every operation but the health check and this document needs a bearer token (or a
    // session), and says so.
    assert_eq!(document["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    assert_eq!(document["security"][0]["bearer"], json!([]));
    for public in ["/health", "/api/openapi.json"] {
        assert_eq!(paths[public]["get"]["security"], json!([{}]), "{public} needs no token");
    }
    let schemas = document["components"]["schemas"].as_object().expect("schemas");
    for name in
        ["ErrorBody", "ErrorDetail", "TransferRequest", "Account", "Statement", "BalanceRow"]
    {
        assert!(schemas.contains_key(name), "{name} is described");
    }
    let error_fields = schemas["ErrorDetail"]["properties"].as_object().expect("properties");
    assert!(["code", "message", "field"].iter().all(|f| error_fields.contains_key(*f)));
    let required = schemas["ErrorDetail"]["required"].as_array().expect("required");
    assert_eq!(required.len(), 3, "code, message and field are always present: {required:?}");
    let rejected = &paths["/api/transfers"]["post"]["responses"]["422"];
    let error_ref = rejected["content"]["application/json"]["schema"]["$ref"].as_str();
    assert_eq!(error_ref, Some("#/components/schemas/ErrorBody"));
}

async fn every_error_is_json(app: &TestApp) {
    app.get("/api/nothing-here").await.assert_error(StatusCode::NOT_FOUND, "not_found", None);
    let reply = app.send(app.client.delete(app.url("/api/balances"))).await;
    reply.assert_error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", None);
    let too_large = vec![b' '; onebudget_web::BODY_LIMIT_BYTES + 1];
    app.post_raw("/api/ledger/open", "application/json", too_large).await.assert_error(
        StatusCode::PAYLOAD_TOO_LARGE,
        "body_too_large",
        None,
    );
}

// ---------------------------------------------------------------------------------------
// Pools

/// A two-partner Better Care Fund hosted by the council: the ICB puts in 600,000 of
/// stream BCF, the council 400,000 of stream IBCF; two schemes funded 60:40; an overspend
/// is borne by the scheme's lead partner.
fn pool_agreement() -> Value {
    let partner = |organisation: &str, stream: &str, account: &str, settle: &str, amount: &str| {
        json!({
            "organisation": organisation, "stream": stream, "account": account,
            "settlement_account": settle, "annual_contribution": amount,
        })
    };
    let scheme = |code: &str, account: &str, lead: &str, budget: &str| {
        json!({
            "code": code, "account": account, "lead": lead, "planned_budget": budget,
            "funding": {"ICB": "0.6", "COUNCIL": "0.4"},
        })
    };
    json!({
        "pool": "BCF", "name": "Better Care Fund", "kind": "pooled", "host": "COUNCIL",
        "year": 2025, "effective_from": "2025-04-01",
        "partners": [
            partner("ICB", "BCF", "ICB-BCF", "ICB-SETTLE", "600000.00"),
            partner("COUNCIL", "IBCF", "COUNCIL-IBCF", "COUNCIL-SETTLE", "400000.00"),
        ],
        "schemes": [
            scheme("REABLEMENT", "BCF-REABLEMENT", "COUNCIL", "700000.00"),
            scheme("CARERS", "BCF-CARERS", "ICB", "300000.00"),
        ],
        "risk_share": {"overspend": {"rule": "lead_partner"}, "underspend": {"rule": "proportional"}},
    })
}

fn pool_ledger() -> Value {
    let org = |code: &str| json!({"organisation": code});
    json!([
        stream("BCF", "ICB", "free_at_point_of_use"),
        stream("IBCF", "COUNCIL", "means_tested"),
        account("ICB-BCF", "funding", org("ICB"), Some("BCF"), true),
        account("COUNCIL-IBCF", "funding", org("COUNCIL"), Some("IBCF"), true),
        account("BCF-REABLEMENT", "pool", org("COUNCIL"), None, false),
        account("BCF-CARERS", "pool", org("COUNCIL"), None, false),
        account("ICB-SETTLE", "funding", org("ICB"), None, true),
        account("COUNCIL-SETTLE", "funding", org("COUNCIL"), None, true),
        account("PROVIDER-A", "provider", org("PROV-A"), None, false),
    ])
}

/// A finance officer of `organisation`, signed in: a client sending their session cookie.
async fn finance_officer(app: &TestApp, username: &str, organisation: &str) -> reqwest::Client {
    let store = app.server.store.clone();
    let (username, organisation) = (username.to_owned(), organisation.to_owned());
    let token = tokio::task::spawn_blocking(move || {
        let hash = onebudget_web::auth::hash_password("a-password-1").expect("a hash");
        let user = store
            .create_user(&onebudget_store::NewUser {
                username: &username,
                display_name: &username,
                role: "finance",
                kind: "person",
                password_hash: Some(&hash),
                person_code: None,
                team: None,
                organisation: Some(&organisation),
            })
            .expect("a user");
        let token = onebudget_web::auth::new_secret();
        store
            .create_session(
                &onebudget_web::auth::secret_hash(&token),
                user,
                "csrf",
                "2999-01-01T00:00:00.000000Z",
            )
            .expect("a session");
        token
    })
    .await
    .expect("a session task");
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::COOKIE,
        reqwest::header::HeaderValue::from_str(&format!("onebudget_session={token}"))
            .expect("a header"),
    );
    reqwest::Client::builder().default_headers(headers).build().expect("a client")
}

/// Run `f` on the store, on the blocking pool.
async fn with_store<T: Send + 'static>(
    app: &TestApp,
    f: impl FnOnce(&Store) -> T + Send + 'static,
) -> T {
    let store = app.server.store.clone();
    tokio::task::spawn_blocking(move || f(&store)).await.expect("a store task")
}

async fn a_pooled_fund_through_its_year(app: &TestApp) {
    use onebudget_core::pool::FinancialYear;
    let reports = {
        let store = app.server.store.clone();
        tokio::task::spawn_blocking(move || {
            support::machine_client(&store, "finance", "reports,ledger:read,ledger:write")
        })
        .await
        .expect("a client")
    };
    let reply = app.post("/api/ledger/open", &pool_ledger()).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);

    // Agreements that do not add up are refused, naming the field, and nothing is kept.
    let mut split = pool_agreement();
    split["schemes"][1]["funding"] = json!({"ICB": "0.6", "COUNCIL": "0.35"});
    let mut short = pool_agreement();
    short["partners"][0]["annual_contribution"] = json!("590000.00");
    for (agreement, field) in [(split, "schemes[1].funding"), (short, "partners")] {
        let reply = app.send(reports.post(app.url("/api/pools")).json(&agreement)).await;
        reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", Some(field));
    }
    let listed = app.send(reports.get(app.url("/api/pools"))).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    assert_eq!(listed.body["pools"], json!([]), "nothing was recorded");

    let recorded = app.send(reports.post(app.url("/api/pools")).json(&pool_agreement())).await;
    assert_eq!(recorded.status, StatusCode::CREATED, "{}", recorded.body);
    assert_eq!(recorded.body["version"], 1);
    let listed = app.send(reports.get(app.url("/api/pools"))).await;
    assert_eq!(listed.body["pools"][0]["pool"], "BCF", "{}", listed.body);
    assert_eq!(listed.body["pools"][0]["budget"], "1000000.00");

    // A year of money: the in-year extra contributions to the scheme that will overspend
    // (each partner in its own stream), twelve months of contributions, and payments.
    let year = FinancialYear::parse("year", "2025").expect("a year");
    with_store(app, move |store| {
        use onebudget_core::ledger::{Transfer, TransferInput};
        let plain = |key: &str, from: &str, stream: &str, amount: &str, date: String| {
            Transfer::try_from(&TransferInput {
                idempotency_key: key.into(),
                from: from.into(),
                to: "BCF-REABLEMENT".into(),
                amount: amount.into(),
                stream: stream.into(),
                effective_date: date,
                reason: "contribution".into(),
                memo: "In-year additional contribution pending the risk share".into(),
                reverses: None,
            })
            .expect("a transfer")
        };
        let pay = |scheme: &str, amount: &str, date: chrono::NaiveDate, key: String| {
            let payment = store
                .pool_payment(
                    "BCF",
                    year,
                    scheme,
                    "PROVIDER-A",
                    Money::parse(amount).expect("an amount"),
                    date,
                    &key,
                    "provider_payment",
                    "Provider invoice",
                )
                .expect("a payment");
            store.post(&payment).expect("post the payment");
        };
        for month in 1..=12 {
            let due = store.pool_contributions_due("BCF", year, month).expect("contributions");
            assert!(!due.is_empty(), "month {month} has contributions");
            store.post(&due).expect("post the contributions");
            let date = year.month_start(month) + chrono::Days::new(14);
            pay("REABLEMENT", "58000.00", date, format!("pay/REABLEMENT/{month}"));
            pay("CARERS", "25000.00", date, format!("pay/CARERS/{month}"));
        }
        // March's extra invoice, paid with the partners' in-year extra contributions.
        let last = year.month_start(12) + chrono::Days::new(20);
        store
            .post(&[
                plain("advance/icb", "ICB-BCF", "BCF", "30000.00", last.to_string()),
                plain("advance/council", "COUNCIL-IBCF", "IBCF", "20000.00", last.to_string()),
            ])
            .expect("the extra contributions");
        pay("REABLEMENT", "54000.00", last, "pay/REABLEMENT/extra".into());
    })
    .await;

    let monitoring =
        app.send(reports.get(app.url("/api/pools/BCF/2025/monitoring?through=2026-03"))).await;
    assert_eq!(monitoring.status, StatusCode::OK, "{}", monitoring.body);
    assert_eq!(monitoring.body["as_at"], "2026-03");
    assert_eq!(monitoring.body["actual_to_date"], "1050000.00");
    assert_eq!(monitoring.body["forecast_variance"], "50000.00");
    assert_eq!(monitoring.body["schemes"][0]["variance"], "50000.00");
    let csv = reports
        .get(app.url("/api/pools/BCF/2025/monitoring.csv?through=2026-03"))
        .send()
        .await
        .expect("the CSV");
    assert_eq!(csv.status(), StatusCode::OK);
    let csv = csv.text().await.expect("text");
    assert!(csv.starts_with("row,scheme,month,budget,actual,"), "{csv}");
    assert!(csv.contains("month,REABLEMENT,2025-04,"), "{csv}");
    assert!(csv.contains("summary,REABLEMENT,2026-03,700000.00,750000.00,"), "{csv}");

    let forecast = json!({"scheme": "CARERS", "method": "entered", "amount": "300000.00"});
    let reply =
        app.send(reports.post(app.url("/api/pools/BCF/2025/forecasts")).json(&forecast)).await;
    reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", Some("reason"));

    // The settlement waits for the year to be closed.
    let early = app.send(reports.get(app.url("/api/pools/BCF/2025/settlement"))).await;
    early.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "pool_refused", None);
    assert!(early.message().contains("2025/26"), "{}", early.body);
    let closed = app
        .send(
            reports.post(app.url("/api/pools/BCF/2025/close")).json(&json!({"through": "2026-03"})),
        )
        .await;
    assert_eq!(closed.status, StatusCode::OK, "{}", closed.body);
    assert_eq!(closed.body["closed_through"], "2026-03");

    let view = app.send(reports.get(app.url("/api/pools/BCF/2025/settlement"))).await;
    assert_eq!(view.status, StatusCode::OK, "{}", view.body);
    assert_eq!(view.body["settlement"]["variance"], "50000.00");
    assert_eq!(view.body["waiting_for"], json!(["ICB", "COUNCIL"]));
    let transfers = view.body["settlement"]["transfers"].as_array().expect("transfers").len();
    assert!(transfers > 0, "the ICB's advance comes back from the lead partner: {}", view.body);
    let digest = view.body["digest"].as_str().expect("a digest").to_owned();

    // No token may confirm, even finance's.
    let by_token = app
        .send(
            reports
                .post(app.url("/api/pools/BCF/2025/settlement/confirm"))
                .json(&json!({"digest": digest})),
        )
        .await;
    by_token.assert_error(StatusCode::FORBIDDEN, "forbidden", None);

    let council = finance_officer(app, "council-finance", "COUNCIL").await;
    let icb = finance_officer(app, "icb-finance", "ICB").await;
    let confirm = |client: &reqwest::Client| {
        client
            .post(app.url("/api/pools/BCF/2025/settlement/confirm"))
            .json(&json!({"digest": digest}))
    };
    let first = app.send(confirm(&council)).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert_eq!(first.body["settlement"]["waiting_for"], json!(["ICB"]));
    assert_eq!(first.body["transfers"], json!([]), "nothing moves until every partner confirms");
    let last = app.send(confirm(&icb)).await;
    assert_eq!(last.status, StatusCode::OK, "{}", last.body);
    assert_eq!(last.body["transfers"].as_array().expect("posted").len(), transfers);
    assert_eq!(last.body["settlement"]["posted"], true);
    for n in 1..=transfers {
        let key = format!("pool%2FBCF%2F2025%2Fsettlement%2F{n}");
        let posted = app.get(&format!("/api/transfers/{key}")).await;
        assert_eq!(posted.status, StatusCode::OK, "{}", posted.body);
        assert_eq!(posted.body["reason"], "settlement", "{}", posted.body);
    }
    // A second confirmation is refused: the settlement is posted. Regression: when every
    // settlement transfer ran between partners' own accounts, it looked unposted.
    let again = app.send(confirm(&council)).await;
    again.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "pool_refused", None);
    let statement = app.get("/api/accounts/ICB-SETTLE/statement").await;
    assert_eq!(statement.status, StatusCode::OK, "{}", statement.body);
    assert_eq!(statement.body["lines"].as_array().expect("lines").len(), transfers);
}

/// Section 7's edges, over the API: amounts with spaces, dates outside 1900 to 2100, a
/// huge value never echoed whole, a byte-order mark accepted, a wrongly typed enum and a
/// negative age named plainly, and an audit outcome that does not exist.
async fn every_edge_refuses_what_the_parsers_refuse(app: &TestApp) {
    open_fixture(app).await;
    for amount in ["12 .50", "1 000", "£ 5", "5 .00"] {
        let body = transfer("E-1", "COUNCIL-ASC", "P1-PB", amount, "ASC", "2025-04-01");
        let reply = app.post("/api/transfers", &body).await;
        reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", Some("amount"));
    }
    for date in ["1899-12-31", "2101-01-01", "0225-04-01"] {
        let body = transfer("E-1", "COUNCIL-ASC", "P1-PB", "5.00", "ASC", date);
        let reply = app.post("/api/transfers", &body).await;
        reply.assert_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            Some("effective_date"),
        );
        assert!(reply.message().contains("between 1900 and 2100"), "{}", reply.message());
    }
    // A 10 MB memo: refused by name, quoted by its first 100 characters and its length.
    let mut huge = transfer("E-1", "COUNCIL-ASC", "P1-PB", "5.00", "ASC", "2025-04-01");
    huge["memo"] = json!("m".repeat(10_000_000));
    let reply = app.post("/api/transfers/batch", &json!({"transfers": [huge]})).await;
    reply.assert_error(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
        Some("transfers[0].memo"),
    );
    assert!(reply.message().len() < 400, "{} bytes of message", reply.message().len());
    assert!(reply.message().contains("… (10000000 characters)"), "{}", reply.message());
    // A body written by a tool that starts UTF-8 with a byte-order mark.
    let body = transfer("E-BOM", "COUNCIL-ASC", "P1-PB", "5.00", "ASC", "2025-04-01");
    let with_bom = format!("\u{feff}{body}");
    let reply = app.post_raw("/api/transfers", "application/json", with_bom).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);

    let store = app.server.store.clone();
    let (assessor, auditor) = tokio::task::spawn_blocking(move || {
        (
            support::machine_client(&store, "finance", "assess"),
            support::machine_client(&store, "auditor", "audit:read"),
        )
    })
    .await
    .unwrap();
    let reply = app
        .send(assessor.post(app.url("/api/financial-assessments")).json(&json!({"nation": 5})))
        .await;
    reply.assert_error(StatusCode::BAD_REQUEST, "invalid_body", Some("nation"));
    let case = json!({"nation": "england", "date": "2025-06-01", "setting": "care_home",
        "person": {"age_years": -1}});
    let reply = app.send(assessor.post(app.url("/api/financial-assessments")).json(&case)).await;
    reply.assert_error(StatusCode::BAD_REQUEST, "invalid_body", Some("person.age_years"));
    for rust in ["u8", "u32", "i64", "usize"] {
        assert!(!reply.message().contains(rust), "{}", reply.message());
    }
    let reply = app.send(auditor.get(app.url("/api/audit?outcome=maybe"))).await;
    reply.assert_error(StatusCode::BAD_REQUEST, "invalid_query", Some("outcome"));
    assert!(reply.message().contains("allowed, refused, success, failure"), "{}", reply.message());
    let reply = app.send(auditor.get(app.url("/api/audit?outcome=refused"))).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
}
