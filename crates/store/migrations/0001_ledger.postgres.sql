-- PostgreSQL: refuse any change to a recorded transfer, including TRUNCATE.
CREATE FUNCTION onebudget_transfers_are_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'transfers are append-only: post a reversing transfer instead';
END
$$;
CREATE TRIGGER transfers_are_append_only BEFORE UPDATE OR DELETE ON transfers
    FOR EACH ROW EXECUTE FUNCTION onebudget_transfers_are_append_only();
CREATE TRIGGER transfers_are_append_only_truncate BEFORE TRUNCATE ON transfers
    FOR EACH STATEMENT EXECUTE FUNCTION onebudget_transfers_are_append_only();
