//! OpenAPI mirrors of the core and store types the API reads and writes as they are.
//!
//! `onebudget-core` and `onebudget-store` do not depend on utoipa, so the API serializes
//! their types directly (one JSON shape for the CLI and the API) and describes them here
//! with schema-only structs of the same names and fields. These types are never built;
//! the tests at the bottom serialize real core and store values and check that every
//! mirror names exactly the fields the real type writes, so the document cannot drift.

use chrono::NaiveDate;
use utoipa::ToSchema;

/// Whether the person pays for what a stream funds.
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChargingBasis {
    /// NHS care: free to the person, never charged.
    FreeAtPointOfUse,
    /// Council social care: the person may contribute after a financial assessment.
    MeansTested,
}

/// What an account is for.
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    Funding,
    Pool,
    PersonalBudget,
    DirectPayment,
    Provider,
    Expenditure,
    ClientContribution,
    Suspense,
}

/// Why money moved.
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReasonCode {
    OpeningBalance,
    Contribution,
    Allocation,
    DirectPayment,
    ProviderPayment,
    Spend,
    ClientContribution,
    Recovery,
    Settlement,
    Correction,
}

/// Who an account belongs to: `{"organisation": "COUNCIL"}` or `{"person": "P1"}`.
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Owner {
    Organisation(String),
    Person(String),
}

/// A funding stream: money from one organisation under one set of rules.
#[derive(ToSchema)]
pub struct FundingStream {
    #[schema(example = "ASC")]
    pub code: String,
    #[schema(example = "Adult social care")]
    pub name: String,
    /// The organisation whose money this is.
    #[schema(example = "COUNCIL")]
    pub owner: String,
    pub charging_basis: ChargingBasis,
}

/// A ledger account. Once opened it never changes.
#[derive(ToSchema)]
pub struct Account {
    #[schema(example = "P1-PB-ASC")]
    pub code: String,
    pub name: String,
    pub kind: AccountKind,
    pub owner: Owner,
    /// The one stream this account holds, or null if it may hold any.
    #[schema(required = true)]
    pub stream: Option<String>,
    /// Whether the balance may fall below zero (true for funding accounts).
    pub may_go_negative: bool,
}

/// A recorded transfer of a positive amount of one stream's money between two accounts.
#[derive(ToSchema)]
pub struct RecordedTransfer {
    /// The ledger's sequence number for the transfer.
    pub id: i64,
    pub idempotency_key: String,
    /// The account the money leaves.
    pub from: String,
    /// The account the money reaches.
    pub to: String,
    /// Pounds and pence as a string.
    #[schema(example = "1234.56")]
    pub amount: String,
    pub stream: String,
    pub effective_date: NaiveDate,
    pub reason: ReasonCode,
    pub memo: String,
    /// The idempotency key of the transfer this one reverses; absent if none.
    #[schema(nullable = false)]
    pub reverses: Option<String>,
}

/// What happened to one transfer that was posted.
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PostStatus {
    /// Recorded now.
    Created,
    /// Already recorded with the same content; nothing was written.
    AlreadyRecorded,
}

/// The outcome for one posted transfer.
#[derive(ToSchema)]
pub struct PostedTransfer {
    pub id: i64,
    pub idempotency_key: String,
    pub status: PostStatus,
}

/// What happened to one record of an open batch.
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OpenOutcome {
    Opened,
    /// Already open with exactly these details: nothing was written.
    AlreadyOpen,
}

/// One (account, stream) balance.
#[derive(ToSchema)]
pub struct BalanceRow {
    pub account: String,
    pub account_name: String,
    pub kind: AccountKind,
    /// `organisation` or `person`.
    pub owner_kind: String,
    pub owner: String,
    pub stream: String,
    /// What the account has received minus what it has sent, in pounds.
    #[schema(example = "-250.00")]
    pub balance: String,
}

/// One line of an account statement.
#[derive(ToSchema)]
pub struct StatementLine {
    pub id: i64,
    pub effective_date: NaiveDate,
    pub idempotency_key: String,
    pub stream: String,
    pub reason: ReasonCode,
    pub memo: String,
    /// The other account of the transfer.
    pub counterparty: String,
    #[schema(example = "100.00")]
    pub money_in: String,
    #[schema(example = "0.00")]
    pub money_out: String,
    /// The account's balance (all streams) after this line.
    #[schema(example = "100.00")]
    pub balance: String,
    /// The idempotency key of the transfer this line reverses; absent if none.
    #[schema(nullable = false)]
    pub reverses: Option<String>,
}

/// An account's statement over a date range (inclusive at both ends).
#[derive(ToSchema)]
pub struct Statement {
    pub account: Account,
    /// The first day covered, or null from the beginning.
    #[schema(required = true)]
    pub from: Option<NaiveDate>,
    /// The last day covered, or null to the end.
    #[schema(required = true)]
    pub to: Option<NaiveDate>,
    /// The balance at the end of the day before `from`.
    pub opening_balance: String,
    pub money_in: String,
    pub money_out: String,
    pub closing_balance: String,
    /// In order of effective date, then id.
    pub lines: Vec<StatementLine>,
}

/// A funding stream to open.
#[derive(ToSchema)]
pub struct FundingStreamInput {
    #[schema(example = "ASC")]
    pub code: String,
    /// Defaults to the code.
    pub name: Option<String>,
    #[schema(example = "COUNCIL")]
    pub owner: String,
    pub charging_basis: ChargingBasis,
}

/// An owner as sent: exactly one of `organisation` or `person`.
#[derive(ToSchema)]
pub struct OwnerInput {
    pub organisation: Option<String>,
    pub person: Option<String>,
}

/// An account to open.
#[derive(ToSchema)]
pub struct AccountInput {
    pub code: String,
    /// Defaults to the code.
    pub name: Option<String>,
    pub kind: AccountKind,
    pub owner: OwnerInput,
    /// The one stream the account may hold; omit for an account that holds any.
    pub stream: Option<String>,
    /// Defaults to false.
    #[schema(default = false, nullable = false)]
    pub may_go_negative: Option<bool>,
}

/// A funding stream or an account to open, told apart by `type`.
#[derive(ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OpenRecordInput {
    FundingStream(FundingStreamInput),
    Account(AccountInput),
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use onebudget_core::Money;
    use onebudget_core::ledger::{
        self, AccountInput as CoreAccountInput, AccountKind as CoreKind,
        ChargingBasis as CoreBasis, FundingStreamInput as CoreStreamInput, OwnerInput as CoreOwner,
        ReasonCode as CoreReason, TransferInput,
    };
    use onebudget_store::{
        BalanceRow as StoreBalanceRow, OpenOutcome as StoreOutcome, PostStatus as StorePostStatus,
        PostedTransfer as StorePosted, Statement as StoreStatement,
        StatementLine as StoreStatementLine,
    };
    use serde_json::Value;
    use utoipa::PartialSchema;
    use utoipa::openapi::RefOr;
    use utoipa::openapi::schema::Schema;

    use super::*;

    fn properties<S: PartialSchema>() -> BTreeSet<String> {
        match S::schema() {
            RefOr::T(Schema::Object(object)) => object.properties.keys().cloned().collect(),
            other => panic!("not an object schema: {}", json(&other)),
        }
    }

    fn enum_values<S: PartialSchema>() -> BTreeSet<String> {
        match S::schema() {
            RefOr::T(Schema::Object(object)) => object
                .enum_values
                .unwrap_or_default()
                .into_iter()
                .map(|v| v.as_str().unwrap_or_default().to_owned())
                .collect(),
            other => panic!("not a string enum schema: {}", json(&other)),
        }
    }

    fn keys(value: &Value) -> BTreeSet<String> {
        value.as_object().expect("an object").keys().cloned().collect()
    }

    fn json<T: serde::Serialize>(value: &T) -> Value {
        serde_json::to_value(value).expect("serializes")
    }

    fn account() -> ledger::Account {
        ledger::Account::try_from(&CoreAccountInput {
            code: "P1-PB".into(),
            name: None,
            kind: "personal_budget".into(),
            owner: CoreOwner { organisation: None, person: Some("P1".into()) },
            stream: Some("ASC".into()),
            may_go_negative: false,
        })
        .expect("valid account")
    }

    #[test]
    fn mirrors_name_exactly_the_fields_core_and_store_write() {
        let stream = ledger::FundingStream::try_from(&CoreStreamInput {
            code: "ASC".into(),
            name: None,
            owner: "COUNCIL".into(),
            charging_basis: "means_tested".into(),
        })
        .expect("valid stream");
        assert_eq!(keys(&json(&stream)), properties::<FundingStream>());
        assert_eq!(keys(&json(&account())), properties::<Account>());

        let transfer = ledger::Transfer::try_from(&TransferInput {
            idempotency_key: "k2".into(),
            from: "A".into(),
            to: "B".into(),
            amount: "1.00".into(),
            stream: "ASC".into(),
            effective_date: "2025-04-01".into(),
            reason: "correction".into(),
            memo: String::new(),
            reverses: Some("k1".into()),
        })
        .expect("valid transfer");
        let recorded = ledger::RecordedTransfer { id: 2, transfer };
        assert_eq!(keys(&json(&recorded)), properties::<RecordedTransfer>());

        let posted = StorePosted {
            id: 1,
            idempotency_key: "k".into(),
            status: StorePostStatus::AlreadyRecorded,
        };
        assert_eq!(keys(&json(&posted)), properties::<PostedTransfer>());
        assert_eq!(json(&posted)["status"], "already_recorded");

        let row = StoreBalanceRow {
            account: "A".into(),
            account_name: "A".into(),
            kind: "funding".into(),
            owner_kind: "organisation".into(),
            owner: "COUNCIL".into(),
            stream: "ASC".into(),
            balance: Money::from_pence(-5),
        };
        assert_eq!(keys(&json(&row)), properties::<BalanceRow>());

        let date = chrono::NaiveDate::from_ymd_opt(2025, 4, 1);
        let line = StoreStatementLine {
            id: 1,
            effective_date: date.expect("a date"),
            idempotency_key: "k".into(),
            stream: "ASC".into(),
            reason: "allocation".into(),
            memo: String::new(),
            counterparty: "B".into(),
            money_in: Money::ZERO,
            money_out: Money::from_pence(100),
            balance: Money::from_pence(-100),
            reverses: Some("k0".into()),
        };
        assert_eq!(keys(&json(&line)), properties::<StatementLine>());
        let statement = StoreStatement {
            account: account(),
            from: date,
            to: None,
            opening_balance: Money::ZERO,
            money_in: Money::ZERO,
            money_out: Money::from_pence(100),
            closing_balance: Money::from_pence(-100),
            lines: vec![line],
        };
        assert_eq!(keys(&json(&statement)), properties::<Statement>());
    }

    #[test]
    fn input_mirrors_name_exactly_the_fields_core_reads() {
        let stream = CoreStreamInput { name: Some("n".into()), ..Default::default() };
        assert_eq!(keys(&json(&stream)), properties::<FundingStreamInput>());
        let account = CoreAccountInput { stream: Some("S".into()), ..Default::default() };
        assert_eq!(keys(&json(&account)), properties::<AccountInput>());
        assert_eq!(keys(&json(&CoreOwner::default())), properties::<OwnerInput>());
    }

    #[test]
    fn mirror_enums_list_every_value_core_accepts() {
        let names = |all: Vec<&str>| all.into_iter().map(str::to_owned).collect::<BTreeSet<_>>();
        assert_eq!(
            enum_values::<AccountKind>(),
            names(CoreKind::ALL.iter().map(|k| k.as_str()).collect())
        );
        assert_eq!(
            enum_values::<ReasonCode>(),
            names(CoreReason::ALL.iter().map(|r| r.as_str()).collect())
        );
        assert_eq!(
            enum_values::<ChargingBasis>(),
            names(CoreBasis::ALL.iter().map(|b| b.as_str()).collect())
        );
        let outcomes = [StoreOutcome::Opened, StoreOutcome::AlreadyOpen];
        let outcomes = outcomes.iter().map(|o| json(o).as_str().unwrap_or_default().to_owned());
        assert_eq!(enum_values::<OpenOutcome>(), outcomes.collect());
        let statuses = [StorePostStatus::Created, StorePostStatus::AlreadyRecorded];
        let statuses = statuses.iter().map(|s| json(s).as_str().unwrap_or_default().to_owned());
        assert_eq!(enum_values::<PostStatus>(), statuses.collect());
    }
}
