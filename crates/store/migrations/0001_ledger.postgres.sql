-- PostgreSQL: refuse any change to a recorded transfer, and any change to or removal of
-- a funding stream or an account (transfers point at them), including TRUNCATE.
CREATE FUNCTION onebudget_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '%', TG_ARGV[0];
END
$$;
CREATE TRIGGER transfers_are_append_only BEFORE UPDATE OR DELETE ON transfers
    FOR EACH ROW EXECUTE FUNCTION onebudget_refuse_change('transfers are append-only: post a reversing transfer instead');
CREATE TRIGGER transfers_are_append_only_truncate BEFORE TRUNCATE ON transfers
    FOR EACH STATEMENT EXECUTE FUNCTION onebudget_refuse_change('transfers are append-only: post a reversing transfer instead');
CREATE TRIGGER accounts_never_change BEFORE UPDATE OR DELETE ON accounts
    FOR EACH ROW EXECUTE FUNCTION onebudget_refuse_change('accounts never change once opened: open a new account instead');
CREATE TRIGGER accounts_never_change_truncate BEFORE TRUNCATE ON accounts
    FOR EACH STATEMENT EXECUTE FUNCTION onebudget_refuse_change('accounts never change once opened: open a new account instead');
CREATE TRIGGER funding_streams_never_change BEFORE UPDATE OR DELETE ON funding_streams
    FOR EACH ROW EXECUTE FUNCTION onebudget_refuse_change('funding streams never change once opened: open a new stream instead');
CREATE TRIGGER funding_streams_never_change_truncate BEFORE TRUNCATE ON funding_streams
    FOR EACH STATEMENT EXECUTE FUNCTION onebudget_refuse_change('funding streams never change once opened: open a new stream instead');
