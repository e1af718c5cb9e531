//! Export of the whole ledger as a plain-text-accounting journal, in the format that
//! hledger and ledger-cli both read, so anyone can recompute onebudget's balances with an
//! independent tool: `hledger -f ledger.journal balance`.
//!
//! Each transfer becomes one transaction dated by its effective date, with the transfer's
//! id as the transaction code and description, the stream and reason as tags, the
//! idempotency key and memo as comments, and two postings: the receiving account
//! `+amount`, the sending account `-amount`. Account names are account codes, which
//! cannot hold `:` (the sub-account separator).

use std::io::Write;

use onebudget_core::money::Money;

use crate::{Store, StoreError};

/// The commodity symbol amounts carry in the journal.
pub const JOURNAL_COMMODITY: &str = "£";

/// Text safe on one journal line: no line breaks (memos cannot hold them, but be sure).
fn one_line(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

impl Store {
    /// Write every transfer as a journal to `out`; returns how many were written.
    pub fn export_journal(&self, out: &mut dyn Write) -> Result<u64, StoreError> {
        let io = |e: std::io::Error| StoreError::Io(e.to_string());
        writeln!(out, "; onebudget ledger journal: every transfer, in effective-date order.")
            .map_err(io)?;
        writeln!(
            out,
            "; Check the balances with:  hledger -f FILE balance   or   ledger -f FILE balance"
        )
        .map_err(io)?;
        writeln!(out).map_err(io)?;
        self.read(|conn| {
            let mut written: u64 = 0;
            conn.query_each(
                "SELECT t.id, t.effective_date, t.idempotency_key, s.code, t.reason, t.memo, t.amount_pence, fa.code, ta.code, rv.idempotency_key \
                 FROM transfers t \
                 JOIN accounts fa ON fa.id = t.from_account_id \
                 JOIN accounts ta ON ta.id = t.to_account_id \
                 JOIN funding_streams s ON s.id = t.stream_id \
                 LEFT JOIN transfers rv ON rv.id = t.reverses_id \
                 ORDER BY t.effective_date, t.id",
                &[],
                &mut |row| {
                    let amount = Money::from_pence(row.int(6)?).to_plain_string();
                    // The key goes in a comment, not the description: hledger ends a
                    // description at `;` and splits it at `|`, and a key may hold either.
                    let id = row.int(0)?;
                    writeln!(
                        out,
                        "{} * ({id}) transfer {id}\n    ; stream:{}, reason:{}\n    ; key: {}",
                        row.date(1)?.format("%Y-%m-%d"),
                        row.text(3)?,
                        row.text(4)?,
                        one_line(&row.text(2)?),
                    )
                    .map_err(io)?;
                    if let Some(original) = row.opt_text(9)? {
                        writeln!(out, "    ; reverses:{}", one_line(&original)).map_err(io)?;
                    }
                    let memo = row.text(5)?;
                    if !memo.is_empty() {
                        writeln!(out, "    ; memo: {}", one_line(&memo)).map_err(io)?;
                    }
                    writeln!(
                        out,
                        "    {}  {JOURNAL_COMMODITY}{amount}\n    {}  {JOURNAL_COMMODITY}-{amount}\n",
                        row.text(8)?,
                        row.text(7)?
                    )
                    .map_err(io)?;
                    written = written.saturating_add(1);
                    Ok(())
                },
            )?;
            Ok(written)
        })
    }
}
