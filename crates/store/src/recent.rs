//! A person's record with their budget in force and the latest lines of each of their
//! ledger accounts, read in one snapshot transaction: what the person's own home page and
//! their record page show.
//!
//! [`Store::statement`] reads an account's whole history; a page that shows the latest
//! dozen lines of four accounts does not need all of it. Here only each transfer's date
//! and amount is read (through the postings, as a statement finds them): enough for the
//! closing balance and to pick the latest lines; the lines themselves are read for those
//! alone, and each line's running balance is worked back from the closing balance, so it
//! is the same figure the full statement gives.
//!
//! The lines are also remembered, per person, with the ledger's version stamp: the
//! highest transfer id and the highest account id. Transfers and accounts are
//! append-only (triggers refuse any change), and the store assigns transfer ids in
//! increasing order inside the writers' lock, so while both maxima are unchanged no
//! account or transfer has been added and the remembered lines are exactly what reading
//! them again would give. Every call reads the person and the stamp in its own snapshot,
//! so a transfer posted by any process (another server, the CLI) is seen at once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use onebudget_core::ledger::{Account, AccountInput, OwnerInput};
use onebudget_core::money::Money;

use crate::access::{PERSON_COLUMN_COUNT, PERSON_COLUMNS, PersonRecord, person_from};
use crate::backend::{Conn, Row, Value, Values};
use crate::budgets::{BudgetSummary, IN_FORCE_JOIN, SUMMARY_COLUMNS, summary_from};
use crate::{StatementLine, Store, StoreError};

/// One account's closing balance and its latest lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecentLines {
    pub account: Account,
    /// The balance (all streams) after every transfer, whatever its date.
    pub closing_balance: Money,
    /// At most the number of lines asked for, newest first (by effective date, then id),
    /// each with the account's balance after it.
    pub lines: Vec<StatementLine>,
}

/// How many (person, lines) entries the store remembers before it forgets them all.
const CACHE_ENTRIES: usize = 4_096;

/// Each person's latest lines, with the ledger's version stamp when they were read.
#[derive(Default)]
pub(crate) struct Cache(Mutex<HashMap<(String, usize), (Stamp, SharedLines)>>);

/// The ledger's version stamp: the highest transfer id and the highest account id.
type Stamp = (i64, i64);

/// A person's accounts with their latest lines, shared with the cache.
pub type SharedLines = Arc<Vec<RecentLines>>;

/// What a person's record page shows beside the record, read in its snapshot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersonPage {
    /// The budget in force on the day asked for: the same version the budget page shows.
    pub budget: Option<BudgetSummary>,
    pub accounts: SharedLines,
}

impl Cache {
    fn get(&self, key: &(String, usize), stamp: Stamp) -> Option<SharedLines> {
        let entries = self.0.lock().ok()?;
        entries.get(key).filter(|(at, _)| *at == stamp).map(|(_, recent)| recent.clone())
    }

    fn put(&self, key: (String, usize), stamp: Stamp, recent: SharedLines) {
        if let Ok(mut entries) = self.0.lock() {
            if entries.len() >= CACHE_ENTRIES {
                entries.clear();
            }
            entries.insert(key, (stamp, recent));
        }
    }
}

impl Store {
    /// Person `code`'s record, their budget in force on `on` and, for each account they
    /// own (by code), the closing balance and the latest `lines` lines, all from one
    /// snapshot. `None` when there is no such person. The caller decides access and writes
    /// the audit row before any of it is shown.
    pub fn person_with_recent_lines(
        &self,
        code: &str,
        lines: usize,
        on: NaiveDate,
    ) -> Result<Option<(PersonRecord, PersonPage)>, StoreError> {
        self.read(|conn| {
            // The record, the budget in force and the ledger's version stamp in one
            // statement.
            let mut found = None;
            conn.query_each(
                &format!(
                    "SELECT {PERSON_COLUMNS}, (SELECT COALESCE(MAX(id), 0) FROM transfers), \
                            (SELECT COALESCE(MAX(id), 0) FROM accounts), {SUMMARY_COLUMNS} \
                     FROM people p {IN_FORCE_JOIN} WHERE p.code = $2"
                ),
                &[Value::Date(on), Value::Text(code)],
                &mut |row| {
                    let stamp = (row.int(PERSON_COLUMN_COUNT)?, row.int(PERSON_COLUMN_COUNT + 1)?);
                    let budget = summary_from(row, PERSON_COLUMN_COUNT + 2)?;
                    found = Some((person_from(row)?, stamp, budget));
                    Ok(())
                },
            )?;
            let Some((person, stamp, budget)) = found else { return Ok(None) };
            let key = (person.code.clone(), lines);
            if let Some(recent) = self.recent.get(&key, stamp) {
                return Ok(Some((person, PersonPage { budget, accounts: recent })));
            }
            let mut accounts = Vec::new();
            conn.query_each(
                "SELECT a.id, a.code, a.name, a.kind, a.owner_id, s.code, a.may_go_negative \
                 FROM accounts a LEFT JOIN funding_streams s ON s.id = a.stream_id \
                 WHERE a.owner_kind = 'person' AND a.owner_id = $1 ORDER BY a.code",
                &[Value::Text(code)],
                &mut |row| {
                    accounts.push((row.int(0)?, person_account(row)?));
                    Ok(())
                },
            )?;
            let mut recent = Vec::with_capacity(accounts.len());
            for (id, account) in accounts {
                recent.push(latest_lines(conn, id, account, lines)?);
            }
            let recent = Arc::new(recent);
            self.recent.put(key, stamp, recent.clone());
            Ok(Some((person, PersonPage { budget, accounts: recent })))
        })
    }
}

/// A person's account from columns 1 to 6 of the accounts query.
fn person_account(row: &dyn Row) -> Result<Account, StoreError> {
    let input = AccountInput {
        code: row.text(1)?,
        name: Some(row.text(2)?),
        kind: row.text(3)?,
        owner: OwnerInput { organisation: None, person: Some(row.text(4)?) },
        stream: row.opt_text(5)?,
        may_go_negative: row.int(6)? != 0,
    };
    Ok(Account::try_from(&input)?)
}

/// Account `id`'s closing balance and its latest `count` lines, newest first, with the
/// balance after each, worked back from the closing balance.
fn latest_lines(
    conn: &mut dyn Conn,
    id: i64,
    account: Account,
    count: usize,
) -> Result<RecentLines, StoreError> {
    let overflow = |e: onebudget_core::money::MoneyError| StoreError::Corrupt(e.to_string());
    let ids = crate::postings::transfer_ids(conn, id)?;
    // (date, id, amount into the account): every transfer, for the closing balance and
    // to find the latest.
    let mut dated: Vec<(NaiveDate, i64, Money)> = Vec::with_capacity(ids.len());
    conn.query_matching(
        "SELECT id, effective_date, amount_pence, to_account_id FROM transfers WHERE id",
        "",
        Values::Int(&ids),
        &mut |row| {
            let amount = Money::from_pence(row.int(2)?);
            let signed = if row.int(3)? == id {
                amount
            } else {
                Money::ZERO.checked_sub(amount).map_err(overflow)?
            };
            dated.push((row.date(1)?, row.int(0)?, signed));
            Ok(())
        },
    )?;
    let closing_balance = dated
        .iter()
        .try_fold(Money::ZERO, |sum, (_, _, signed)| sum.checked_add(*signed))
        .map_err(overflow)?;
    dated.sort_unstable_by_key(|(date, id, _)| std::cmp::Reverse((*date, *id)));
    dated.truncate(count);
    let shown: Vec<i64> = dated.iter().map(|(_, id, _)| *id).collect();
    let mut found: HashMap<i64, StatementLine> = HashMap::with_capacity(shown.len());
    conn.query_matching(
        crate::ledger::SELECT_STATEMENT_LINE,
        "",
        Values::Int(&shown),
        &mut |row| {
            let line = crate::ledger::statement_line_from_row(row, id)?;
            found.insert(line.id, line);
            Ok(())
        },
    )?;
    let mut balance = closing_balance;
    let mut lines = Vec::with_capacity(dated.len());
    for (_, transfer, signed) in dated {
        let mut line = found.remove(&transfer).ok_or_else(|| {
            StoreError::Corrupt(format!("transfer {transfer} of account {id} could not be read"))
        })?;
        line.balance = balance;
        // The balance before this line is the balance after the one before it.
        balance = balance.checked_sub(signed).map_err(overflow)?;
        lines.push(line);
    }
    Ok(RecentLines { account, closing_balance, lines })
}
