//! The ledger's model and rules: accounts, funding streams, transfers, and the pure
//! decisions about whether a batch of transfers may be applied.
//!
//! Raw input (a JSON line, an HTTP body) arrives as [`AccountInput`], [`FundingStreamInput`]
//! or [`TransferInput`], all plain strings, and is parsed here into [`Account`],
//! [`FundingStream`] and [`Transfer`], whose fields are private: past this module a
//! transfer is known to have a positive amount, two distinct accounts, a real date and a
//! memo of sensible length. Rules that need the ledger's state (does the account exist,
//! would it overdraw, is this key already used) are decided by [`plan_batch`] over a
//! [`BatchContext`] that the store fills from the database. `onebudget-store` does the
//! reading and writing; nothing here does IO.
//!
//! Sign convention: a transfer moves money *from* one account *to* another. An account's
//! balance is what it has received minus what it has sent, so the sum of all balances in
//! each funding stream is always zero.

use std::collections::HashMap;
use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

pub use crate::field::{FieldError, parse_date};
use crate::money::{Money, MoneyError};

/// The longest memo a transfer may carry, in characters.
pub const MEMO_MAX_CHARS: usize = 500;
/// The longest code (account, stream, organisation, person) in characters.
pub const CODE_MAX_CHARS: usize = 64;
/// The longest idempotency key in characters.
pub const KEY_MAX_CHARS: usize = 128;
/// The longest display name in characters.
pub const NAME_MAX_CHARS: usize = 200;

macro_rules! code_type {
    ($(#[$doc:meta])* $name:ident, $max:expr, $what:expr) => {
        $(#[$doc])*
        ///
        /// Shared, not copied: posting a batch clones each code several times over (maps
        /// keyed by account and stream), so a clone is a reference count, not an allocation.
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(std::sync::Arc<str>);

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl $name {
            /// Parse a code: 1 to the maximum characters of letters, digits and `-_./`. No colon:
            /// plain-text accounting reads `:` in an account name as a sub-account.
            pub fn parse(field: &str, value: &str) -> Result<$name, FieldError> {
                parse_code(field, value, $max, $what).map(|code| $name(code.into()))
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

/// Serialize a shared name as the string it holds.
fn shared_str<S: serde::Serializer>(
    value: &std::sync::Arc<str>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(value)
}

fn parse_code(field: &str, value: &str, max: usize, what: &str) -> Result<String, FieldError> {
    if value.is_empty() {
        return Err(FieldError::new(field, value, format!("{what} is empty")));
    }
    if value.chars().count() > max {
        return Err(FieldError::new(
            field,
            value,
            format!("{what} is longer than {max} characters"),
        ));
    }
    if let Some(bad) =
        value.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/')))
    {
        return Err(FieldError::new(
            field,
            value,
            format!("{what} may hold only letters, digits and - _ . / (found {bad:?})"),
        ));
    }
    Ok(value.to_owned())
}

code_type!(
    /// An account's code, unique in the ledger, e.g. `ICB-CHC-FUNDING`.
    AccountCode, CODE_MAX_CHARS, "an account code"
);
code_type!(
    /// A funding stream's code, e.g. `ASC` (adult social care) or `CHC`.
    StreamCode, CODE_MAX_CHARS, "a funding stream code"
);
code_type!(
    /// An organisation's code, e.g. `NHS-ICB` or `COUNCIL`.
    OrganisationCode, CODE_MAX_CHARS, "an organisation code"
);
code_type!(
    /// A person's identifier within onebudget (never an NHS number).
    PersonId, CODE_MAX_CHARS, "a person id"
);

/// The key a client chooses for a transfer so that sending it twice records it once.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// 1 to 128 printable ASCII characters, no spaces.
    pub fn parse(field: &str, value: &str) -> Result<IdempotencyKey, FieldError> {
        if value.is_empty() {
            return Err(FieldError::new(field, value, "the idempotency key is empty"));
        }
        if value.chars().count() > KEY_MAX_CHARS {
            return Err(FieldError::new(
                field,
                value,
                format!("the idempotency key is longer than {KEY_MAX_CHARS} characters"),
            ));
        }
        if !value.chars().all(|c| c.is_ascii_graphic()) {
            return Err(FieldError::new(
                field,
                value,
                "the idempotency key may hold only printable ASCII characters without spaces",
            ));
        }
        Ok(IdempotencyKey(value.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether the person pays for what a stream funds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChargingBasis {
    /// NHS care: free to the person, never charged.
    FreeAtPointOfUse,
    /// Council social care: the person may contribute after a financial assessment.
    MeansTested,
}

impl ChargingBasis {
    pub const ALL: [ChargingBasis; 2] =
        [ChargingBasis::FreeAtPointOfUse, ChargingBasis::MeansTested];
    pub fn as_str(self) -> &'static str {
        match self {
            ChargingBasis::FreeAtPointOfUse => "free_at_point_of_use",
            ChargingBasis::MeansTested => "means_tested",
        }
    }
}

/// What an account is for. The kind names the role an account plays in the journey of a
/// pound from a funder to the person or provider who spends it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    /// An organisation's allocation to a funding stream: where money enters the ledger.
    Funding,
    /// A pooled fund (s.75, Better Care Fund) held by a host.
    Pool,
    /// One funding stream's part of a person's personal budget.
    PersonalBudget,
    /// Money paid to a person (or their representative) as a direct payment.
    DirectPayment,
    /// A provider's account: invoices paid, Individual Service Funds held.
    Provider,
    /// Money spent and gone: care bought, goods paid for.
    Expenditure,
    /// A person's assessed contribution to the cost of their social care.
    ClientContribution,
    /// A holding account for money not yet assigned.
    Suspense,
    /// What a person owes the council under a deferred payment agreement (Care Act 2014
    /// s.34): a receivable that grows with each amount deferred, cost added and month's
    /// interest, repaid on sale or from the estate.
    DeferredPaymentDebt,
}

impl AccountKind {
    pub const ALL: [AccountKind; 9] = [
        AccountKind::Funding,
        AccountKind::Pool,
        AccountKind::PersonalBudget,
        AccountKind::DirectPayment,
        AccountKind::Provider,
        AccountKind::Expenditure,
        AccountKind::ClientContribution,
        AccountKind::Suspense,
        AccountKind::DeferredPaymentDebt,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            AccountKind::Funding => "funding",
            AccountKind::Pool => "pool",
            AccountKind::PersonalBudget => "personal_budget",
            AccountKind::DirectPayment => "direct_payment",
            AccountKind::Provider => "provider",
            AccountKind::Expenditure => "expenditure",
            AccountKind::ClientContribution => "client_contribution",
            AccountKind::Suspense => "suspense",
            AccountKind::DeferredPaymentDebt => "deferred_payment_debt",
        }
    }
}

/// Why money moved. Every transfer carries one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReasonCode {
    /// Money put in at the start: a funder's allocation or a migrated balance.
    OpeningBalance,
    /// A partner's contribution into a pool or stream.
    Contribution,
    /// A pool or stream allocating money to a scheme or a personal budget.
    Allocation,
    /// A direct payment to a person.
    DirectPayment,
    /// A payment to a provider against an invoice.
    ProviderPayment,
    /// Money spent by a person from a direct payment.
    Spend,
    /// A person's assessed contribution to their care.
    ClientContribution,
    /// Unspent money taken back (e.g. a direct-payment surplus).
    Recovery,
    /// A year-end risk-share settlement between partners.
    Settlement,
    /// A care charge or administration cost deferred under a deferred payment agreement.
    DeferredPayment,
    /// Interest added to a debt (a deferred payment agreement's, reg 9).
    Interest,
    /// A correction: reverses an earlier transfer.
    Correction,
}

impl ReasonCode {
    pub const ALL: [ReasonCode; 12] = [
        ReasonCode::OpeningBalance,
        ReasonCode::Contribution,
        ReasonCode::Allocation,
        ReasonCode::DirectPayment,
        ReasonCode::ProviderPayment,
        ReasonCode::Spend,
        ReasonCode::ClientContribution,
        ReasonCode::Recovery,
        ReasonCode::Settlement,
        ReasonCode::DeferredPayment,
        ReasonCode::Interest,
        ReasonCode::Correction,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ReasonCode::OpeningBalance => "opening_balance",
            ReasonCode::Contribution => "contribution",
            ReasonCode::Allocation => "allocation",
            ReasonCode::DirectPayment => "direct_payment",
            ReasonCode::ProviderPayment => "provider_payment",
            ReasonCode::Spend => "spend",
            ReasonCode::ClientContribution => "client_contribution",
            ReasonCode::Recovery => "recovery",
            ReasonCode::Settlement => "settlement",
            ReasonCode::DeferredPayment => "deferred_payment",
            ReasonCode::Interest => "interest",
            ReasonCode::Correction => "correction",
        }
    }
}

/// Parse one of a closed set of snake_case words, naming the choices when it fails.
fn parse_choice<T: Copy>(
    field: &str,
    value: &str,
    all: &[T],
    name: impl Fn(T) -> &'static str,
) -> Result<T, FieldError> {
    all.iter().copied().find(|item| name(*item) == value).ok_or_else(|| {
        let choices: Vec<&str> = all.iter().map(|item| name(*item)).collect();
        FieldError::new(field, value, format!("must be one of: {}", choices.join(", ")))
    })
}

impl AccountKind {
    pub fn parse(field: &str, value: &str) -> Result<AccountKind, FieldError> {
        parse_choice(field, value, &AccountKind::ALL, AccountKind::as_str)
    }
}
impl ReasonCode {
    pub fn parse(field: &str, value: &str) -> Result<ReasonCode, FieldError> {
        parse_choice(field, value, &ReasonCode::ALL, ReasonCode::as_str)
    }
}
impl ChargingBasis {
    pub fn parse(field: &str, value: &str) -> Result<ChargingBasis, FieldError> {
        parse_choice(field, value, &ChargingBasis::ALL, ChargingBasis::as_str)
    }
}

/// Who an account belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Owner {
    Organisation(OrganisationCode),
    Person(PersonId),
}

impl Owner {
    pub fn kind_str(&self) -> &'static str {
        match self {
            Owner::Organisation(_) => "organisation",
            Owner::Person(_) => "person",
        }
    }
    pub fn id_str(&self) -> &str {
        match self {
            Owner::Organisation(code) => code.as_str(),
            Owner::Person(id) => id.as_str(),
        }
    }
    /// Rebuild an owner from its stored kind and id.
    pub fn from_parts(kind: &str, id: &str) -> Result<Owner, FieldError> {
        match kind {
            "organisation" => {
                Ok(Owner::Organisation(OrganisationCode::parse("owner.organisation", id)?))
            }
            "person" => Ok(Owner::Person(PersonId::parse("owner.person", id)?)),
            other => Err(FieldError::new("owner", other, "must be an organisation or a person")),
        }
    }
}

/// A funding stream: money from one organisation under one set of rules.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FundingStream {
    code: StreamCode,
    #[serde(serialize_with = "shared_str")]
    name: std::sync::Arc<str>,
    owner: OrganisationCode,
    charging_basis: ChargingBasis,
}

impl FundingStream {
    pub fn code(&self) -> &StreamCode {
        &self.code
    }
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn owner(&self) -> &OrganisationCode {
        &self.owner
    }
    pub fn charging_basis(&self) -> ChargingBasis {
        self.charging_basis
    }
}

/// A ledger account. Once opened it never changes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Account {
    code: AccountCode,
    #[serde(serialize_with = "shared_str")]
    name: std::sync::Arc<str>,
    kind: AccountKind,
    owner: Owner,
    stream: Option<StreamCode>,
    may_go_negative: bool,
}

impl Account {
    pub fn code(&self) -> &AccountCode {
        &self.code
    }
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn kind(&self) -> AccountKind {
        self.kind
    }
    pub fn owner(&self) -> &Owner {
        &self.owner
    }
    /// The one stream this account holds, if it is stream-specific.
    pub fn stream(&self) -> Option<&StreamCode> {
        self.stream.as_ref()
    }
    pub fn may_go_negative(&self) -> bool {
        self.may_go_negative
    }
}

/// A transfer of a positive amount of one stream's money between two accounts.
/// Immutable: a mistake is put right by a new transfer that `reverses` it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Transfer {
    idempotency_key: IdempotencyKey,
    from: AccountCode,
    to: AccountCode,
    amount: Money,
    stream: StreamCode,
    effective_date: NaiveDate,
    reason: ReasonCode,
    memo: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    reverses: Option<IdempotencyKey>,
}

impl Transfer {
    pub fn idempotency_key(&self) -> &IdempotencyKey {
        &self.idempotency_key
    }
    pub fn from(&self) -> &AccountCode {
        &self.from
    }
    pub fn to(&self) -> &AccountCode {
        &self.to
    }
    pub fn amount(&self) -> Money {
        self.amount
    }
    pub fn stream(&self) -> &StreamCode {
        &self.stream
    }
    pub fn effective_date(&self) -> NaiveDate {
        self.effective_date
    }
    pub fn reason(&self) -> ReasonCode {
        self.reason
    }
    pub fn memo(&self) -> &str {
        &self.memo
    }
    pub fn reverses(&self) -> Option<&IdempotencyKey> {
        self.reverses.as_ref()
    }
    /// The same transfer under another idempotency key (used when an HTTP client sends
    /// the key in the `Idempotency-Key` header).
    pub fn with_key(mut self, key: IdempotencyKey) -> Transfer {
        self.idempotency_key = key;
        self
    }
}

/// A funding stream as it arrives in JSON.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FundingStreamInput {
    pub code: String,
    #[serde(default)]
    pub name: Option<String>,
    pub owner: String,
    pub charging_basis: String,
}

/// An owner as it arrives in JSON: `{"organisation": "COUNCIL"}` or `{"person": "P1"}`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct OwnerInput {
    #[serde(default)]
    pub organisation: Option<String>,
    #[serde(default)]
    pub person: Option<String>,
}

/// An account as it arrives in JSON.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AccountInput {
    pub code: String,
    #[serde(default)]
    pub name: Option<String>,
    pub kind: String,
    pub owner: OwnerInput,
    #[serde(default)]
    pub stream: Option<String>,
    #[serde(default)]
    pub may_go_negative: bool,
}

/// A transfer as it arrives in JSON. Every field is text so that a bad value is reported
/// with its field name, not as a type error.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TransferInput {
    pub idempotency_key: String,
    pub from: String,
    pub to: String,
    pub amount: String,
    pub stream: String,
    pub effective_date: String,
    pub reason: String,
    #[serde(default)]
    pub memo: String,
    #[serde(default)]
    pub reverses: Option<String>,
}

fn parse_name(field: &str, value: Option<&str>, default: &str) -> Result<String, FieldError> {
    let name = value.unwrap_or(default).trim();
    if name.chars().count() > NAME_MAX_CHARS {
        return Err(FieldError::new(
            field,
            name,
            format!("the name is longer than {NAME_MAX_CHARS} characters"),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(FieldError::new(field, name, "the name may not contain control characters"));
    }
    Ok(name.to_owned())
}

impl TryFrom<&FundingStreamInput> for FundingStream {
    type Error = FieldError;
    fn try_from(input: &FundingStreamInput) -> Result<FundingStream, FieldError> {
        let code = StreamCode::parse("code", &input.code)?;
        Ok(FundingStream {
            name: parse_name("name", input.name.as_deref(), code.as_str())?.into(),
            code,
            owner: OrganisationCode::parse("owner", &input.owner)?,
            charging_basis: ChargingBasis::parse("charging_basis", &input.charging_basis)?,
        })
    }
}

impl TryFrom<&AccountInput> for Account {
    type Error = FieldError;
    fn try_from(input: &AccountInput) -> Result<Account, FieldError> {
        let code = AccountCode::parse("code", &input.code)?;
        let owner = match (&input.owner.organisation, &input.owner.person) {
            (Some(org), None) => {
                Owner::Organisation(OrganisationCode::parse("owner.organisation", org)?)
            }
            (None, Some(person)) => Owner::Person(PersonId::parse("owner.person", person)?),
            _ => {
                return Err(FieldError::new(
                    "owner",
                    "",
                    "give exactly one of {\"organisation\": CODE} or {\"person\": ID}",
                ));
            }
        };
        Ok(Account {
            name: parse_name("name", input.name.as_deref(), code.as_str())?.into(),
            code,
            kind: AccountKind::parse("kind", &input.kind)?,
            owner,
            stream: input.stream.as_deref().map(|s| StreamCode::parse("stream", s)).transpose()?,
            may_go_negative: input.may_go_negative,
        })
    }
}

impl TryFrom<&TransferInput> for Transfer {
    type Error = FieldError;
    fn try_from(input: &TransferInput) -> Result<Transfer, FieldError> {
        let amount = Money::parse(&input.amount)
            .map_err(|e| FieldError::new("amount", &input.amount, e.problem))?;
        if !amount.is_positive() {
            return Err(FieldError::new(
                "amount",
                &input.amount,
                "a transfer moves a positive amount; to move money back, post a transfer the other way",
            ));
        }
        let from = AccountCode::parse("from", &input.from)?;
        let to = AccountCode::parse("to", &input.to)?;
        if from == to {
            return Err(FieldError::new(
                "to",
                &input.to,
                "a transfer must move money between two different accounts",
            ));
        }
        if input.memo.chars().count() > MEMO_MAX_CHARS {
            return Err(FieldError::new(
                "memo",
                &input.memo,
                format!("the memo is longer than {MEMO_MAX_CHARS} characters"),
            ));
        }
        if input.memo.chars().any(char::is_control) {
            return Err(FieldError::new(
                "memo",
                &input.memo,
                "the memo may not contain line breaks or control characters",
            ));
        }
        Ok(Transfer {
            idempotency_key: IdempotencyKey::parse("idempotency_key", &input.idempotency_key)?,
            from,
            to,
            amount,
            stream: StreamCode::parse("stream", &input.stream)?,
            effective_date: parse_date("effective_date", &input.effective_date)?,
            reason: ReasonCode::parse("reason", &input.reason)?,
            memo: input.memo.clone(),
            reverses: input
                .reverses
                .as_deref()
                .map(|key| IdempotencyKey::parse("reverses", key))
                .transpose()?,
        })
    }
}

impl From<&Transfer> for TransferInput {
    fn from(t: &Transfer) -> TransferInput {
        TransferInput {
            idempotency_key: t.idempotency_key.0.clone(),
            from: t.from.0.to_string(),
            to: t.to.0.to_string(),
            amount: t.amount.to_plain_string(),
            stream: t.stream.0.to_string(),
            effective_date: t.effective_date.format("%Y-%m-%d").to_string(),
            reason: t.reason.as_str().to_owned(),
            memo: t.memo.clone(),
            reverses: t.reverses.as_ref().map(|k| k.0.clone()),
        }
    }
}

/// One line of an `open` file: a funding stream or an account.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum OpenRecordInput {
    FundingStream(FundingStreamInput),
    Account(AccountInput),
}

/// A funding stream or an account to open.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OpenRecord {
    FundingStream(FundingStream),
    Account(Account),
}

impl OpenRecord {
    pub fn code(&self) -> &str {
        match self {
            OpenRecord::FundingStream(s) => s.code.as_str(),
            OpenRecord::Account(a) => a.code.as_str(),
        }
    }
}

impl TryFrom<&OpenRecordInput> for OpenRecord {
    type Error = FieldError;
    fn try_from(input: &OpenRecordInput) -> Result<OpenRecord, FieldError> {
        Ok(match input {
            OpenRecordInput::FundingStream(s) => {
                OpenRecord::FundingStream(FundingStream::try_from(s)?)
            }
            OpenRecordInput::Account(a) => OpenRecord::Account(Account::try_from(a)?),
        })
    }
}

/// A transfer that has been recorded, with the sequence number the ledger gave it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RecordedTransfer {
    pub id: i64,
    #[serde(flatten)]
    pub transfer: Transfer,
}

/// Why a transfer in a batch cannot be applied. Each names the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransferError {
    #[error(transparent)]
    Field(#[from] FieldError),
    #[error("{field}: there is no account \"{code}\"; open the account before posting to it")]
    UnknownAccount { field: &'static str, code: AccountCode },
    #[error("stream: there is no funding stream \"{code}\"; open the stream before posting in it")]
    UnknownStream { code: StreamCode },
    #[error(
        "stream: account \"{account}\" holds only stream \"{account_stream}\", but this transfer is in stream \"{transfer_stream}\""
    )]
    StreamMismatch {
        field: &'static str,
        account: AccountCode,
        account_stream: StreamCode,
        transfer_stream: StreamCode,
    },
    #[error(
        "amount: moving {amount} on {date} would overdraw account \"{account}\" in stream \"{stream}\": its balance would fall to {low} on {low_date}, and the account may not go negative"
    )]
    Overdraft {
        account: AccountCode,
        stream: StreamCode,
        amount: Money,
        date: NaiveDate,
        low: Money,
        low_date: NaiveDate,
    },
    #[error(
        "idempotency_key: \"{key}\" was already used for a different transfer (id {existing_id}); use a new key, or send exactly the original transfer"
    )]
    IdempotencyConflict { key: IdempotencyKey, existing_id: i64 },
    #[error(
        "reverses: there is no recorded transfer with idempotency key \"{reverses}\" to reverse (a transfer can be reversed once it is recorded, in a later batch than its own)"
    )]
    UnknownReversal { reverses: IdempotencyKey },
    #[error("reverses: {problem} (reversing \"{reverses}\")")]
    ReversalMismatch { reverses: IdempotencyKey, problem: String },
    #[error("amount: {0}")]
    Overflow(#[from] MoneyError),
}

impl TransferError {
    /// The input field at fault, for API clients.
    pub fn field(&self) -> &str {
        match self {
            TransferError::Field(e) => &e.field,
            TransferError::UnknownAccount { field, .. } => field,
            TransferError::UnknownStream { .. } | TransferError::StreamMismatch { .. } => "stream",
            TransferError::Overdraft { .. } | TransferError::Overflow(_) => "amount",
            TransferError::IdempotencyConflict { .. } => "idempotency_key",
            TransferError::UnknownReversal { .. } | TransferError::ReversalMismatch { .. } => {
                "reverses"
            }
        }
    }
    /// A stable machine-readable code for API clients.
    pub fn code(&self) -> &'static str {
        match self {
            TransferError::Field(_) => "invalid_field",
            TransferError::UnknownAccount { .. } => "unknown_account",
            TransferError::UnknownStream { .. } => "unknown_stream",
            TransferError::StreamMismatch { .. } => "stream_mismatch",
            TransferError::Overdraft { .. } => "overdraft",
            TransferError::IdempotencyConflict { .. } => "idempotency_conflict",
            TransferError::UnknownReversal { .. } => "unknown_reversal",
            TransferError::ReversalMismatch { .. } => "reversal_mismatch",
            TransferError::Overflow(_) => "overflow",
        }
    }
}

/// A transfer error and the position (0-based) of the transfer in its batch.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("transfer {} of the batch: {error}", .index + 1)]
pub struct BatchError {
    pub index: usize,
    pub error: TransferError,
}

/// The maps posting plans with. Their keys are codes from a batch, hashed many times
/// per transfer; foldhash (hashbrown's own default) costs a fraction of SipHash there.
/// It is seeded at random, so a batch cannot pick keys that collide on purpose.
pub type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// What the ledger already holds that a batch touches, read by the store inside the
/// transaction that will apply the batch.
#[derive(Debug, Default, Clone)]
pub struct BatchContext {
    /// Every account the batch names that exists.
    pub accounts: FastMap<AccountCode, Account>,
    /// Every stream the batch names that exists.
    pub streams: FastMap<StreamCode, FundingStream>,
    /// Current balances of the (account, stream) pairs the batch touches; absent is zero.
    pub balances: FastMap<(AccountCode, StreamCode), Money>,
    /// Recorded transfers whose keys appear in the batch as keys or as `reverses`.
    pub recorded: FastMap<IdempotencyKey, RecordedTransfer>,
    /// For each recorded transfer named by `reverses`, the amount already reversed.
    pub reversed_so_far: FastMap<IdempotencyKey, Money>,
    /// The latest effective date recorded for each (account, stream) pair the batch
    /// touches; absent when the pair has never moved.
    pub latest_dates: FastMap<(AccountCode, StreamCode), NaiveDate>,
    /// For each pair named by [`history_needed`]: the recorded movements (signed, in
    /// pence) dated on or after the date it gave, in (effective date, id) order. Without
    /// them a back-dated transfer could overdraw an account at an earlier date.
    pub later_movements: FastMap<(AccountCode, StreamCode), Vec<(NaiveDate, Money)>>,
}

/// The (account, stream) pairs, and the date from which, whose recorded movements
/// [`plan_batch`] needs in [`BatchContext::later_movements`]: every pair that may not go
/// negative, that the batch sends money from, and that the batch touches on a date
/// before the latest one already recorded for it. Call it with `accounts` and
/// `latest_dates` filled in.
pub fn history_needed(
    batch: &[Transfer],
    context: &BatchContext,
) -> Vec<((AccountCode, StreamCode), NaiveDate)> {
    let mut earliest: FastMap<(&AccountCode, &StreamCode), NaiveDate> = FastMap::default();
    let mut sends: FastMap<(&AccountCode, &StreamCode), bool> = FastMap::default();
    for transfer in batch {
        for (code, sending) in [(&transfer.from, true), (&transfer.to, false)] {
            let protected = context.accounts.get(code).is_some_and(|a| !a.may_go_negative);
            if !protected {
                continue;
            }
            let key = (code, &transfer.stream);
            let date = earliest.entry(key).or_insert(transfer.effective_date);
            *date = (*date).min(transfer.effective_date);
            *sends.entry(key).or_insert(false) |= sending;
        }
    }
    let mut needed: Vec<((AccountCode, StreamCode), NaiveDate)> = earliest
        .into_iter()
        .filter(|(key, _)| sends.get(key).copied().unwrap_or(false))
        .filter_map(|((account, stream), date)| {
            let pair = (account.clone(), stream.clone());
            let latest = context.latest_dates.get(&pair)?;
            (date < *latest).then_some((pair, date))
        })
        .collect();
    needed.sort();
    needed
}

/// What applying a batch will do to each transfer in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlannedTransfer {
    /// New: record it.
    New,
    /// Already recorded with the same content under this id: nothing to do.
    AlreadyRecorded { id: i64 },
    /// Identical to an earlier transfer in this same batch (by position): nothing more to do.
    RepeatInBatch { index: usize },
}

/// The decision on a batch: what happens to each transfer, and the balances afterwards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchPlan {
    pub transfers: Vec<PlannedTransfer>,
    /// New balance of every (account, stream) pair that changes.
    pub balances: FastMap<(AccountCode, StreamCode), Money>,
    /// New latest effective date of every pair that changes.
    pub latest_dates: FastMap<(AccountCode, StreamCode), NaiveDate>,
}

impl BatchPlan {
    pub fn new_count(&self) -> usize {
        self.transfers.iter().filter(|p| matches!(p, PlannedTransfer::New)).count()
    }
}

/// Decide whether a batch may be applied, transfer by transfer in order, all or nothing.
///
/// Checks, for each transfer: the accounts and stream exist; stream-specific accounts are
/// used only with their stream; a reused idempotency key carries identical content (then
/// the transfer is a no-op); a reversal swaps the accounts of its original, in the same
/// stream, and with earlier reversals never exceeds it, and does not reverse a reversal;
/// and no account that may not go negative does so in any stream at any point.
pub fn plan_batch(batch: &[Transfer], context: &BatchContext) -> Result<BatchPlan, BatchError> {
    // Each (account, stream) pair the batch moves gets a slot the first time it is met:
    // one map lookup a side, where keeping each figure in its own map keyed by the pair
    // cost a dozen lookups a transfer. The account and stream are checked when the slot
    // is made, and a pair names one account with one stream, so every later transfer on
    // the pair would pass the same checks.
    let mut slot_of: FastMap<(&AccountCode, &StreamCode), usize> = FastMap::default();
    let mut slots: Vec<Slot> = Vec::new();
    let mut reversed: FastMap<IdempotencyKey, Money> = FastMap::default();
    let mut seen_in_batch: FastMap<&IdempotencyKey, usize> = FastMap::default();
    let mut planned = Vec::with_capacity(batch.len());
    // The loop stops at the first transfer that is wrong in itself; overdrafts are found
    // after it, in date order, among the transfers before that one. The lower index wins.
    let mut walk = || -> Result<(), BatchError> {
        for (index, transfer) in batch.iter().enumerate() {
            let fail = |error: TransferError| BatchError { index, error };
            let key = &transfer.idempotency_key;
            if let Some(recorded) = context.recorded.get(key) {
                if recorded.transfer == *transfer {
                    planned.push(PlannedTransfer::AlreadyRecorded { id: recorded.id });
                    continue;
                }
                return Err(fail(TransferError::IdempotencyConflict {
                    key: key.clone(),
                    existing_id: recorded.id,
                }));
            }
            if let Some(&first) = seen_in_batch.get(key) {
                if batch.get(first) == Some(transfer) {
                    planned.push(PlannedTransfer::RepeatInBatch { index: first });
                    continue;
                }
                return Err(fail(TransferError::Field(FieldError::new(
                    "idempotency_key",
                    key.as_str(),
                    format!(
                        "this key is used by transfer {} of the batch for a different transfer",
                        first + 1
                    ),
                ))));
            }
            seen_in_batch.insert(key, index);

            let stream = &transfer.stream;
            let date = transfer.effective_date;
            let mut sides = [0usize; 2];
            for (side, (field, code)) in
                sides.iter_mut().zip([("from", &transfer.from), ("to", &transfer.to)])
            {
                if let Some(&slot) = slot_of.get(&(code, stream)) {
                    *side = slot;
                    continue;
                }
                if !context.streams.contains_key(stream) {
                    return Err(fail(TransferError::UnknownStream { code: stream.clone() }));
                }
                let account = context.accounts.get(code).ok_or_else(|| {
                    fail(TransferError::UnknownAccount { field, code: code.clone() })
                })?;
                if let Some(account_stream) = account.stream.as_ref().filter(|s| *s != stream) {
                    return Err(fail(TransferError::StreamMismatch {
                        field,
                        account: code.clone(),
                        account_stream: account_stream.clone(),
                        transfer_stream: stream.clone(),
                    }));
                }
                let pair = (code.clone(), stream.clone());
                slots.push(Slot {
                    balance: context.balances.get(&pair).copied().unwrap_or(Money::ZERO),
                    latest: context.latest_dates.get(&pair).copied().unwrap_or(date),
                    protected: !account.may_go_negative,
                    moves: Vec::new(),
                    pair,
                });
                *side = slots.len() - 1;
                slot_of.insert((code, stream), *side);
            }
            let [from, to] = sides;

            if let Some(original_key) = &transfer.reverses {
                check_reversal(transfer, original_key, context, &mut reversed).map_err(fail)?;
            }

            let balance_of = |slot: usize| slots.get(slot).map_or(Money::ZERO, |s| s.balance);
            let new_from =
                balance_of(from).checked_sub(transfer.amount).map_err(|e| fail(e.into()))?;
            let new_to = balance_of(to).checked_add(transfer.amount).map_err(|e| fail(e.into()))?;
            let outflow = transfer.amount.checked_neg().map_err(|e| fail(e.into()))?;
            for (slot, balance, delta) in [(from, new_from, outflow), (to, new_to, transfer.amount)]
            {
                if let Some(slot) = slots.get_mut(slot) {
                    if slot.protected {
                        slot.moves.push(NewMovement { date, delta, index });
                    }
                    slot.latest = slot.latest.max(date);
                    slot.balance = balance;
                }
            }
            planned.push(PlannedTransfer::New);
        }
        Ok(())
    };
    let structural = walk().err();
    let protected: FastMap<(AccountCode, StreamCode), Vec<NewMovement>> = slots
        .iter_mut()
        .filter(|slot| !slot.moves.is_empty())
        .map(|slot| (slot.pair.clone(), std::mem::take(&mut slot.moves)))
        .collect();
    match (structural, first_overdraft(&protected, context, batch)) {
        (Some(wrong), Some(overdraft)) => {
            Err(if overdraft.index < wrong.index { overdraft } else { wrong })
        }
        (Some(error), None) | (None, Some(error)) => Err(error),
        (None, None) => {
            let mut balances = FastMap::with_capacity_and_hasher(slots.len(), Default::default());
            let mut latest_dates =
                FastMap::with_capacity_and_hasher(slots.len(), Default::default());
            for slot in slots {
                latest_dates.insert(slot.pair.clone(), slot.latest);
                balances.insert(slot.pair, slot.balance);
            }
            Ok(BatchPlan { transfers: planned, balances, latest_dates })
        }
    }
}

/// One (account, stream) pair while a batch is planned: its running balance and latest
/// date, and, where the account may not go negative, the batch's movements on it.
struct Slot {
    pair: (AccountCode, StreamCode),
    balance: Money,
    latest: NaiveDate,
    protected: bool,
    moves: Vec<NewMovement>,
}

/// A new transfer's effect on one (account, stream) pair.
#[derive(Clone, Copy, Debug)]
struct NewMovement {
    date: NaiveDate,
    delta: Money,
    index: usize,
}

/// Walk each protected pair's balance in (effective date, id) order, the order of its
/// statement, with the batch's transfers after the recorded ones of the same date and in
/// batch order, and report the first transfer of the batch that takes it below zero.
fn first_overdraft(
    protected: &FastMap<(AccountCode, StreamCode), Vec<NewMovement>>,
    context: &BatchContext,
    batch: &[Transfer],
) -> Option<BatchError> {
    let mut first: Option<BatchError> = None;
    for (pair, moves) in protected {
        if !moves.iter().any(|m| m.delta.is_negative()) {
            continue;
        }
        let recorded = context.later_movements.get(pair).map(Vec::as_slice).unwrap_or(&[]);
        let current = context.balances.get(pair).copied().unwrap_or(Money::ZERO);
        let recorded_total = Money::checked_sum(recorded.iter().map(|(_, delta)| *delta));
        let Ok(mut running) = recorded_total.and_then(|total| current.checked_sub(total)) else {
            continue; // Overflow here would have failed the batch's own arithmetic first.
        };
        let mut moves = moves.clone();
        moves.sort_by_key(|m| (m.date, m.index));
        let mut recorded = recorded.iter().peekable();
        let mut moves = moves.iter().peekable();
        let mut last_outflow: Option<NewMovement> = None;
        loop {
            let take_recorded = match (recorded.peek(), moves.peek()) {
                (Some((recorded_date, _)), Some(next)) => *recorded_date <= next.date,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => break,
            };
            let (date, delta) = if take_recorded {
                match recorded.next() {
                    Some((date, delta)) => (*date, *delta),
                    None => break,
                }
            } else {
                match moves.next() {
                    Some(movement) => {
                        if movement.delta.is_negative() {
                            last_outflow = Some(*movement);
                        }
                        (movement.date, movement.delta)
                    }
                    None => break,
                }
            };
            running = match running.checked_add(delta) {
                Ok(value) => value,
                Err(_) => break,
            };
            if running.is_negative() {
                let culprit =
                    last_outflow.or_else(|| moves.clone().find(|m| m.delta.is_negative()).copied());
                if let Some(culprit) = culprit {
                    let amount = batch.get(culprit.index).map_or(Money::ZERO, |t| t.amount);
                    let error = BatchError {
                        index: culprit.index,
                        error: TransferError::Overdraft {
                            account: pair.0.clone(),
                            stream: pair.1.clone(),
                            amount,
                            date: culprit.date,
                            low: running,
                            low_date: date,
                        },
                    };
                    if first.as_ref().is_none_or(|f| error.index < f.index) {
                        first = Some(error);
                    }
                }
                break;
            }
        }
    }
    first
}

fn check_reversal(
    transfer: &Transfer,
    original_key: &IdempotencyKey,
    context: &BatchContext,
    reversed: &mut FastMap<IdempotencyKey, Money>,
) -> Result<(), TransferError> {
    let mismatch = |problem: String| TransferError::ReversalMismatch {
        reverses: original_key.clone(),
        problem,
    };
    let original = context
        .recorded
        .get(original_key)
        .ok_or_else(|| TransferError::UnknownReversal { reverses: original_key.clone() })?;
    let original = &original.transfer;
    if original.reverses.is_some() {
        return Err(mismatch(
            "that transfer is itself a reversal; post a new transfer instead of reversing a reversal".to_owned(),
        ));
    }
    if transfer.effective_date < original.effective_date {
        return Err(mismatch(format!(
            "a reversal cannot be dated before the transfer it reverses ({})",
            original.effective_date
        )));
    }
    if original.from != transfer.to || original.to != transfer.from {
        return Err(mismatch(format!(
            "a reversal must move money from {:?} back to {:?}, the other way from the original",
            original.to.as_str(),
            original.from.as_str()
        )));
    }
    if original.stream != transfer.stream {
        return Err(mismatch(format!(
            "a reversal must be in the original's stream {:?}",
            original.stream.as_str()
        )));
    }
    let before = match reversed.get(original_key) {
        Some(amount) => *amount,
        None => context.reversed_so_far.get(original_key).copied().unwrap_or(Money::ZERO),
    };
    let after = before.checked_add(transfer.amount)?;
    if after > original.amount {
        let remaining = original.amount.checked_sub(before)?;
        return Err(mismatch(format!(
            "only {remaining} of the original {} is left to reverse",
            original.amount
        )));
    }
    reversed.insert(original_key.clone(), after);
    Ok(())
}

/// The facts about one recorded transfer that a full ledger check needs, in the
/// store's integer ids so that a million of them can be checked in well under a second.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TransferFacts {
    pub id: i64,
    pub effective_date: NaiveDate,
    pub from_account: i64,
    pub to_account: i64,
    pub stream: i64,
    pub amount_pence: i64,
    pub reverses: Option<i64>,
}

/// What the check needs to know about an account.
#[derive(Clone, Debug)]
pub struct AccountFacts {
    pub code: AccountCode,
    pub stream: Option<i64>,
    pub may_go_negative: bool,
}

/// One thing wrong with a ledger.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Violation {
    pub rule: &'static str,
    pub detail: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.rule, self.detail)
    }
}

/// Recompute every balance from the transfers and verify every ledger invariant.
///
/// `transfers` must come in increasing id order. `stored_balances` are the balances the
/// store keeps, per (account id, stream id). `stream_codes` names streams in messages.
pub fn check_ledger(
    accounts: &HashMap<i64, AccountFacts>,
    stream_codes: &HashMap<i64, StreamCode>,
    transfers: impl IntoIterator<Item = TransferFacts>,
    stored_balances: &HashMap<(i64, i64), i64>,
) -> Vec<Violation> {
    let mut violations = Vec::new();
    let mut computed: HashMap<(i64, i64), i128> = HashMap::with_capacity(stored_balances.len());
    // Every transfer, kept compactly, so that reversals can be matched to originals.
    let mut seen: Vec<TransferFacts> = Vec::new();
    let mut reversed_totals: HashMap<i64, i128> = HashMap::new();
    let account_name = |id: i64| -> String {
        accounts.get(&id).map_or_else(|| format!("#{id} (missing)"), |a| a.code.as_str().to_owned())
    };
    let stream_name = |id: i64| -> String {
        stream_codes.get(&id).map_or_else(|| format!("#{id} (missing)"), |s| s.as_str().to_owned())
    };
    let mut last_id = i64::MIN;
    for t in transfers {
        if t.id <= last_id {
            violations.push(Violation {
                rule: "order",
                detail: format!("transfer {} is out of sequence", t.id),
            });
        }
        last_id = t.id;
        if t.amount_pence <= 0 {
            violations.push(Violation {
                rule: "positive amount",
                detail: format!("transfer {} moves {}", t.id, Money::from_pence(t.amount_pence)),
            });
        }
        if t.from_account == t.to_account {
            violations.push(Violation {
                rule: "distinct accounts",
                detail: format!(
                    "transfer {} moves money from {} to itself",
                    t.id,
                    account_name(t.from_account)
                ),
            });
        }
        if !stream_codes.contains_key(&t.stream) {
            violations.push(Violation {
                rule: "known stream",
                detail: format!(
                    "transfer {} names stream id {}, which does not exist",
                    t.id, t.stream
                ),
            });
        }
        for account in [t.from_account, t.to_account] {
            match accounts.get(&account) {
                None => violations.push(Violation {
                    rule: "known account",
                    detail: format!(
                        "transfer {} names account id {account}, which does not exist",
                        t.id
                    ),
                }),
                Some(facts) => {
                    if facts.stream.is_some_and(|s| s != t.stream) {
                        violations.push(Violation {
                            rule: "stream consistency",
                            detail: format!(
                                "transfer {} moves stream {} through {}, which holds only stream {}",
                                t.id,
                                stream_name(t.stream),
                                facts.code,
                                facts.stream.map(stream_name).unwrap_or_default()
                            ),
                        });
                    }
                }
            }
        }
        let amount = i128::from(t.amount_pence);
        *computed.entry((t.from_account, t.stream)).or_insert(0) -= amount;
        *computed.entry((t.to_account, t.stream)).or_insert(0) += amount;
        if let Some(original_id) = t.reverses {
            match seen.binary_search_by_key(&original_id, |o| o.id).ok().and_then(|i| seen.get(i)) {
                None => violations.push(Violation {
                    rule: "reversal",
                    detail: format!(
                        "transfer {} reverses transfer {original_id}, which does not precede it",
                        t.id
                    ),
                }),
                Some(original) => {
                    if original.reverses.is_some() {
                        violations.push(Violation {
                            rule: "reversal",
                            detail: format!(
                                "transfer {} reverses transfer {original_id}, itself a reversal",
                                t.id
                            ),
                        });
                    }
                    if original.from_account != t.to_account
                        || original.to_account != t.from_account
                        || original.stream != t.stream
                    {
                        violations.push(Violation {
                            rule: "reversal",
                            detail: format!(
                                "transfer {} does not move money back along transfer {original_id} (accounts or stream differ)",
                                t.id
                            ),
                        });
                    }
                    let total = reversed_totals.entry(original_id).or_insert(0);
                    *total += amount;
                    if *total > i128::from(original.amount_pence) {
                        violations.push(Violation {
                            rule: "reversal",
                            detail: format!(
                                "reversals of transfer {original_id} add up to more than its {}",
                                Money::from_pence(original.amount_pence)
                            ),
                        });
                    }
                }
            }
        }
        seen.push(t);
    }

    let mut sum_stored: i128 = 0;
    let mut stream_totals: HashMap<i64, i128> = HashMap::new();
    let mut pairs: Vec<&(i64, i64)> = computed.keys().chain(stored_balances.keys()).collect();
    pairs.sort_unstable();
    pairs.dedup();
    for pair in pairs {
        let (account, stream) = *pair;
        let stored = stored_balances.get(pair).copied();
        sum_stored += i128::from(stored.unwrap_or(0));
        *stream_totals.entry(stream).or_insert(0) += i128::from(stored.unwrap_or(0));
        let recomputed = computed.get(pair).copied().unwrap_or(0);
        if i128::from(stored.unwrap_or(0)) != recomputed {
            violations.push(Violation {
                rule: "balance matches transfers",
                detail: format!(
                    "{} in stream {}: stored balance {} but the transfers add up to {}",
                    account_name(account),
                    stream_name(stream),
                    stored
                        .map_or_else(|| "(none)".to_owned(), |p| Money::from_pence(p).to_string()),
                    i64::try_from(recomputed).map_or_else(
                        |_| recomputed.to_string(),
                        |p| Money::from_pence(p).to_string()
                    ),
                ),
            });
        }
        if let Some(facts) = accounts.get(&account) {
            let balance = stored.map_or(recomputed, i128::from);
            if !facts.may_go_negative && (balance < 0 || recomputed < 0) {
                violations.push(Violation {
                    rule: "no forbidden overdraft",
                    detail: format!(
                        "{} may not go negative but stands at {} in stream {}",
                        facts.code,
                        i64::try_from(balance.min(recomputed)).map_or_else(
                            |_| balance.to_string(),
                            |p| Money::from_pence(p).to_string()
                        ),
                        stream_name(stream)
                    ),
                });
            }
        }
    }
    if sum_stored != 0 {
        violations.push(Violation {
            rule: "balances sum to zero",
            detail: format!("the stored balances add up to {sum_stored} pence, not zero"),
        });
    }
    for (stream, total) in &stream_totals {
        if *total != 0 {
            violations.push(Violation {
                rule: "balances sum to zero",
                detail: format!(
                    "the stored balances of stream {} add up to {total} pence, not zero",
                    stream_name(*stream)
                ),
            });
        }
    }
    violations.extend(overdrafts_by_date(accounts, &seen, &stream_name));
    violations
}

/// Accounts that may not go negative must not do so at any point of their statement:
/// walk each one's movements in (effective date, id) order.
fn overdrafts_by_date(
    accounts: &HashMap<i64, AccountFacts>,
    transfers: &[TransferFacts],
    stream_name: &dyn Fn(i64) -> String,
) -> Vec<Violation> {
    let mut movements: Vec<((i64, i64), NaiveDate, i64, i128)> = Vec::new();
    for t in transfers {
        for (account, sign) in [(t.from_account, -1i128), (t.to_account, 1)] {
            if accounts.get(&account).is_some_and(|a| !a.may_go_negative) {
                movements.push((
                    (account, t.stream),
                    t.effective_date,
                    t.id,
                    sign * i128::from(t.amount_pence),
                ));
            }
        }
    }
    movements.sort_unstable();
    let mut violations = Vec::new();
    let mut current: Option<((i64, i64), i128, bool)> = None;
    for (pair, date, id, delta) in movements {
        let (running, reported) = match current {
            Some((p, running, reported)) if p == pair => (running + delta, reported),
            _ => (delta, false),
        };
        let mut now_reported = reported;
        if running < 0 && !reported {
            let code =
                accounts.get(&pair.0).map_or_else(String::new, |a| a.code.as_str().to_owned());
            violations.push(Violation {
                rule: "no forbidden overdraft",
                detail: format!(
                    "{code} may not go negative but falls to {} in stream {} on {date} (transfer {id})",
                    i64::try_from(running).map_or_else(|_| running.to_string(), |p| Money::from_pence(p).to_string()),
                    stream_name(pair.1)
                ),
            });
            now_reported = true;
        }
        current = Some((pair, running, now_reported));
    }
    violations
}

#[cfg(test)]
mod tests;
