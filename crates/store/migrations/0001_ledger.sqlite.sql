-- SQLite: refuse any change to a recorded transfer, and any change to or removal of a
-- funding stream or an account (transfers point at them).
CREATE TRIGGER transfers_are_append_only_update BEFORE UPDATE ON transfers
BEGIN
    SELECT RAISE(ABORT, 'transfers are append-only: post a reversing transfer instead');
END;
CREATE TRIGGER transfers_are_append_only_delete BEFORE DELETE ON transfers
BEGIN
    SELECT RAISE(ABORT, 'transfers are append-only: post a reversing transfer instead');
END;
CREATE TRIGGER accounts_never_change_update BEFORE UPDATE ON accounts
BEGIN
    SELECT RAISE(ABORT, 'accounts never change once opened: open a new account instead');
END;
CREATE TRIGGER accounts_never_change_delete BEFORE DELETE ON accounts
BEGIN
    SELECT RAISE(ABORT, 'accounts never change once opened: open a new account instead');
END;
CREATE TRIGGER funding_streams_never_change_update BEFORE UPDATE ON funding_streams
BEGIN
    SELECT RAISE(ABORT, 'funding streams never change once opened: open a new stream instead');
END;
CREATE TRIGGER funding_streams_never_change_delete BEFORE DELETE ON funding_streams
BEGIN
    SELECT RAISE(ABORT, 'funding streams never change once opened: open a new stream instead');
END;
