-- SQLite: postings are written once and never changed or removed.
CREATE TRIGGER transfer_postings_are_append_only_update BEFORE UPDATE ON transfer_postings
BEGIN
    SELECT RAISE(ABORT, 'transfer postings are append-only');
END;
CREATE TRIGGER transfer_postings_are_append_only_delete BEFORE DELETE ON transfer_postings
BEGIN
    SELECT RAISE(ABORT, 'transfer postings are append-only');
END;
CREATE TRIGGER ledger_state_is_kept BEFORE DELETE ON ledger_state
BEGIN
    SELECT RAISE(ABORT, 'the ledger state row is never removed');
END;
