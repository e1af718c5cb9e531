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

-- SQLite: balances keyed by their primary key alone. As a rowid table, every balance a
-- batch writes was two B-tree updates (the primary key's index, then the row); without
-- rowid it is one. Measured: docs/benchmarks.md.
CREATE TABLE balances_by_key (
    account_id BIGINT NOT NULL,
    stream_id BIGINT NOT NULL,
    balance_pence BIGINT NOT NULL,
    latest_effective_date TEXT NOT NULL,
    PRIMARY KEY (account_id, stream_id)
) WITHOUT ROWID;
INSERT INTO balances_by_key (account_id, stream_id, balance_pence, latest_effective_date)
    SELECT account_id, stream_id, balance_pence, latest_effective_date FROM balances;
DROP TABLE balances;
ALTER TABLE balances_by_key RENAME TO balances;
CREATE INDEX balances_by_stream ON balances (stream_id);
