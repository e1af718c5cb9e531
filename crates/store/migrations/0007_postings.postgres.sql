-- PostgreSQL: postings are written once and never changed or removed, including TRUNCATE.
CREATE TRIGGER transfer_postings_are_append_only BEFORE UPDATE OR DELETE ON transfer_postings
    FOR EACH ROW EXECUTE FUNCTION onebudget_refuse_change('transfer postings are append-only');
CREATE TRIGGER transfer_postings_are_append_only_truncate BEFORE TRUNCATE ON transfer_postings
    FOR EACH STATEMENT EXECUTE FUNCTION onebudget_refuse_change('transfer postings are append-only');
CREATE TRIGGER ledger_state_is_kept BEFORE DELETE ON ledger_state
    FOR EACH ROW EXECUTE FUNCTION onebudget_refuse_change('the ledger state row is never removed');
CREATE TRIGGER ledger_state_is_kept_truncate BEFORE TRUNCATE ON ledger_state
    FOR EACH STATEMENT EXECUTE FUNCTION onebudget_refuse_change('the ledger state row is never removed');
-- Every posting rewrites the balance of each pair it touches. With room left in each
-- page, PostgreSQL updates the row in place (a heap-only tuple) instead of adding a
-- new index entry per update. Measured: docs/benchmarks.md.
ALTER TABLE balances SET (fillfactor = 50);
-- Idempotency keys are compared byte by byte: they are identifiers, not words to sort
-- for a reader, and the unique index is on the path of every transfer posted.
ALTER TABLE transfers ALTER COLUMN idempotency_key SET DATA TYPE TEXT COLLATE "C";
