-- PostgreSQL: postings are written once and never changed or removed, including TRUNCATE.
CREATE TRIGGER transfer_postings_are_append_only BEFORE UPDATE OR DELETE ON transfer_postings
    FOR EACH ROW EXECUTE FUNCTION onebudget_refuse_change('transfer postings are append-only');
CREATE TRIGGER transfer_postings_are_append_only_truncate BEFORE TRUNCATE ON transfer_postings
    FOR EACH STATEMENT EXECUTE FUNCTION onebudget_refuse_change('transfer postings are append-only');
CREATE TRIGGER ledger_state_is_kept BEFORE DELETE ON ledger_state
    FOR EACH ROW EXECUTE FUNCTION onebudget_refuse_change('the ledger state row is never removed');
CREATE TRIGGER ledger_state_is_kept_truncate BEFORE TRUNCATE ON ledger_state
    FOR EACH STATEMENT EXECUTE FUNCTION onebudget_refuse_change('the ledger state row is never removed');
