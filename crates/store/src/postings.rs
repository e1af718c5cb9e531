//! The index of transfers by account ("postings"), written in blocks.
//!
//! A statement needs every transfer to or from one account. Indexing `transfers` by each
//! side, row by row, cost more than writing the transfers themselves: a batch of random
//! transfers dirties one index page per account it touches, on each side. Writing one
//! index row per (account, transfer) in bulk instead still cost 2.3 µs a transfer
//! (`docs/benchmarks.md`). So postings are written in blocks: one row per account per
//! merge, holding the ids of that account's transfers since the previous merge.
//!
//! `ledger_state.postings_through` is the watermark: every transfer up to it is in
//! exactly the blocks of its two accounts, and none after it is. A query by account reads
//! the account's blocks and scans the transfers after the watermark by id, so the
//! answer is the same wherever the watermark stands. Posting moves the watermark to the
//! last transfer when a batch is small (interactive posting leaves nothing behind) or
//! when the transfers after it reach [`MERGE_AT`] (bulk loads). `onebudget check`
//! decodes every block and compares it with the transfers, account by account.
//!
//! A block is `(account_id, first_transfer_id, transfer_ids)`: the first id in the key,
//! then each later id as the LEB128 varint of its difference from the one before.

use std::collections::{BTreeMap, HashMap};

use onebudget_core::ledger::{FastMap, TransferFacts, Violation};

use crate::StoreError;
use crate::backend::{CHUNK, Conn, TransferRow, Value, placeholders};

/// Posting writes blocks for the transfers after the watermark once they number at least
/// this many. Larger amortises better; smaller leaves fewer transfers for a statement to
/// scan by id (this many is a few milliseconds in SQLite).
pub(crate) const MERGE_AT: i64 = 65_536;

/// A batch of at most this many new transfers writes blocks at once.
pub(crate) const AT_ONCE_UP_TO: usize = 1_024;

/// The ledger's state row: the id of the last transfer whose postings are written (the
/// watermark), and the generation every posting transaction advances.
pub(crate) fn state(conn: &mut dyn Conn) -> Result<(i64, i64), StoreError> {
    let mut found = None;
    conn.query_each(
        "SELECT postings_through, generation FROM ledger_state WHERE id = 1",
        &[],
        &mut |row| {
            found = Some((row.int(0)?, row.int(1)?));
            Ok(())
        },
    )?;
    found.ok_or_else(|| StoreError::Corrupt("the ledger_state row is missing".into()))
}

/// A transfer's id and its two accounts, as the blocks need it.
pub(crate) type TransferSides = (i64, i64, i64);

/// After a batch that recorded `rows`, with the watermark at `through` (read by [`state`]
/// in the same transaction): write the blocks if this batch calls for it (see the
/// module), and advance the generation. `known`, when given, must be exactly the
/// transfers after `through` recorded before this batch (the process remembers them
/// while no other writer has posted); a merge then need not read them back.
///
/// Returns the watermark, and the transfers after it once this batch is written, if
/// known.
pub(crate) fn after_batch(
    conn: &mut dyn Conn,
    rows: &[TransferRow<'_>],
    through: i64,
    known: Option<Vec<TransferSides>>,
) -> Result<(i64, Option<Vec<TransferSides>>), StoreError> {
    let last_id = rows.last().map_or(through, |row| row.id);
    let known = known.map(|mut known| {
        known.extend(rows.iter().map(|row| (row.id, row.from_account_id, row.to_account_id)));
        known
    });
    let (through, after) =
        if rows.len() <= AT_ONCE_UP_TO || last_id.saturating_sub(through) >= MERGE_AT {
            let through = match known {
                Some(postings) => write_blocks(conn, through, &postings)?,
                None => write_after(conn, through)?,
            };
            (through, Some(Vec::new()))
        } else {
            (through, known)
        };
    conn.execute(
        "UPDATE ledger_state SET postings_through = $1, generation = generation + 1 WHERE id = 1",
        &[Value::Int(through)],
    )?;
    Ok((through, after))
}

/// Write one block per account for every transfer after `through`, and return the new
/// watermark (the last transfer's id, or `through` if there is none after it). The caller
/// stores the watermark.
pub(crate) fn write_after(conn: &mut dyn Conn, through: i64) -> Result<i64, StoreError> {
    let mut postings: Vec<TransferSides> = Vec::new();
    conn.query_each(
        "SELECT id, from_account_id, to_account_id FROM transfers WHERE id > $1 ORDER BY id",
        &[Value::Int(through)],
        &mut |row| {
            postings.push((row.int(0)?, row.int(1)?, row.int(2)?));
            Ok(())
        },
    )?;
    write_blocks(conn, through, &postings)
}

/// Write one block per account for `postings` (every transfer after `through`, in id
/// order), and return the new watermark.
fn write_blocks(
    conn: &mut dyn Conn,
    through: i64,
    postings: &[TransferSides],
) -> Result<i64, StoreError> {
    // A hash map, then the blocks sorted by account: a tree map cost more than reading
    // the transfers back.
    let mut by_account: FastMap<i64, Vec<i64>> = FastMap::default();
    let mut last = through;
    for &(id, from, to) in postings {
        by_account.entry(from).or_default().push(id);
        by_account.entry(to).or_default().push(id);
        last = id;
    }
    let mut blocks: Vec<(i64, i64, Vec<u8>)> = by_account
        .into_iter()
        .filter_map(|(account, ids)| {
            let (first, rest) = ids.split_first()?;
            Some((account, *first, encode(*first, rest)))
        })
        .collect();
    blocks.sort_unstable_by_key(|(account, _, _)| *account);
    for chunk in blocks.chunks(CHUNK / 3) {
        let mut values = String::new();
        let mut params = Vec::with_capacity(chunk.len() * 3);
        for (n, (account, first, blob)) in chunk.iter().enumerate() {
            if n > 0 {
                values.push_str(", ");
            }
            values.push('(');
            values.push_str(&placeholders(n * 3 + 1, 3));
            values.push(')');
            params.extend([Value::Int(*account), Value::Int(*first), Value::Blob(blob)]);
        }
        conn.execute(
            &format!(
                "INSERT INTO transfer_postings (account_id, first_transfer_id, transfer_ids) VALUES {values}"
            ),
            &params,
        )?;
    }
    Ok(last)
}

/// Migration 0007: write the blocks of every transfer already recorded.
pub(crate) fn index_existing(conn: &mut dyn Conn) -> Result<(), StoreError> {
    let through = write_after(conn, 0)?;
    conn.execute(
        "UPDATE ledger_state SET postings_through = $1 WHERE id = 1",
        &[Value::Int(through)],
    )?;
    Ok(())
}

/// Every transfer to or from `account`, by id, ascending.
pub(crate) fn transfer_ids(conn: &mut dyn Conn, account: i64) -> Result<Vec<i64>, StoreError> {
    let mut ids = Vec::new();
    conn.query_each(
        "SELECT first_transfer_id, transfer_ids FROM transfer_postings WHERE account_id = $1 ORDER BY first_transfer_id",
        &[Value::Int(account)],
        &mut |row| decode_into(row.int(0)?, &row.blob(1)?, &mut ids),
    )?;
    conn.query_each(
        "SELECT id FROM transfers WHERE id > (SELECT postings_through FROM ledger_state WHERE id = 1) \
         AND (from_account_id = $1 OR to_account_id = $1) ORDER BY id",
        &[Value::Int(account)],
        &mut |row| {
            ids.push(row.int(0)?);
            Ok(())
        },
    )?;
    Ok(ids)
}

/// Compare every block with the transfers up to the watermark `through`: each account's
/// ids, in order, exactly. `transfers` is the whole table in id order.
pub(crate) fn check(
    conn: &mut dyn Conn,
    transfers: &[TransferFacts],
    through: i64,
) -> Result<Vec<Violation>, StoreError> {
    let mut violations = Vec::new();
    let last_id = transfers.last().map_or(0, |t| t.id);
    if through > last_id {
        violations.push(Violation {
            rule: "postings",
            detail: format!(
                "the postings claim to reach transfer #{through}, but the last transfer is #{last_id}"
            ),
        });
    }
    let mut expected: HashMap<i64, Vec<i64>> = HashMap::new();
    for t in transfers.iter().take_while(|t| t.id <= through) {
        expected.entry(t.from_account).or_default().push(t.id);
        expected.entry(t.to_account).or_default().push(t.id);
    }
    let mut stored: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    let mut unreadable = Vec::new();
    conn.query_each(
        "SELECT account_id, first_transfer_id, transfer_ids FROM transfer_postings ORDER BY account_id, first_transfer_id",
        &[],
        &mut |row| {
            let account = row.int(0)?;
            let ids = stored.entry(account).or_default();
            if let Err(error) = decode_into(row.int(1)?, &row.blob(2)?, ids) {
                unreadable.push(format!("account #{account}: {error}"));
            }
            Ok(())
        },
    )?;
    for detail in unreadable {
        violations.push(Violation { rule: "postings", detail });
    }
    for (account, ids) in &stored {
        let want = expected.remove(account).unwrap_or_default();
        if *ids != want {
            violations.push(Violation {
                rule: "postings",
                detail: format!(
                    "account #{account}: the postings list {} transfer(s) where the transfers up to #{through} give {}{}",
                    ids.len(),
                    want.len(),
                    first_difference(ids, &want)
                ),
            });
        }
    }
    let mut missing: Vec<i64> = expected.into_keys().collect();
    missing.sort_unstable();
    for account in missing {
        violations.push(Violation {
            rule: "postings",
            detail: format!("account #{account} has transfers up to #{through} but no postings"),
        });
    }
    Ok(violations)
}

fn first_difference(stored: &[i64], want: &[i64]) -> String {
    match stored.iter().zip(want).find(|(a, b)| a != b) {
        Some((a, b)) => format!(" (transfer #{a} where #{b} was expected)"),
        None => String::new(),
    }
}

/// The ids after `first`, as varints of their differences. Ids strictly increase.
fn encode(first: i64, rest: &[i64]) -> Vec<u8> {
    let mut out = Vec::with_capacity(rest.len() * 2);
    let mut previous = first;
    for &id in rest {
        let mut delta = u64::try_from(id.saturating_sub(previous)).unwrap_or(0);
        previous = id;
        loop {
            let byte = (delta & 0x7f) as u8;
            delta >>= 7;
            if delta == 0 {
                out.push(byte);
                break;
            }
            out.push(byte | 0x80);
        }
    }
    out
}

/// Append `first` and the ids encoded after it to `ids`.
fn decode_into(first: i64, blob: &[u8], ids: &mut Vec<i64>) -> Result<(), StoreError> {
    let corrupt = |what: &str| {
        StoreError::Corrupt(format!("a postings block starting at transfer #{first} {what}"))
    };
    ids.push(first);
    let mut current = first;
    let (mut delta, mut shift) = (0u64, 0u32);
    for &byte in blob {
        if shift > 56 {
            return Err(corrupt("holds a number too long to be a transfer id"));
        }
        delta |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            let step = i64::try_from(delta)
                .ok()
                .filter(|d| *d > 0)
                .ok_or_else(|| corrupt("holds ids out of order"))?;
            current = current.checked_add(step).ok_or_else(|| corrupt("overflows"))?;
            ids.push(current);
            (delta, shift) = (0, 0);
        } else {
            shift += 7;
        }
    }
    if shift != 0 {
        return Err(corrupt("ends in the middle of a number"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn blocks_decode_to_the_ids_encoded(first in 1i64..1_000_000_000_000, steps in prop::collection::vec(1i64..100_000_000, 0..200)) {
            let mut ids = vec![first];
            for step in steps {
                let next = ids.last().unwrap() + step;
                ids.push(next);
            }
            let blob = encode(ids[0], &ids[1..]);
            let mut decoded = Vec::new();
            decode_into(ids[0], &blob, &mut decoded).unwrap();
            prop_assert_eq!(decoded, ids);
        }
    }

    #[test]
    fn a_damaged_block_is_refused() {
        let mut ids = Vec::new();
        assert!(decode_into(5, &[0x81], &mut ids).unwrap_err().to_string().contains("middle"));
        assert!(decode_into(5, &[0x00], &mut ids).unwrap_err().to_string().contains("order"));
        assert!(
            decode_into(5, &[0xff; 10], &mut ids).unwrap_err().to_string().contains("too long")
        );
    }
}
