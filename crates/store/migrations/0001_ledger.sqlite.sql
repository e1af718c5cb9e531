-- SQLite: refuse any change to a recorded transfer.
CREATE TRIGGER transfers_are_append_only_update BEFORE UPDATE ON transfers
BEGIN
    SELECT RAISE(ABORT, 'transfers are append-only: post a reversing transfer instead');
END;
CREATE TRIGGER transfers_are_append_only_delete BEFORE DELETE ON transfers
BEGIN
    SELECT RAISE(ABORT, 'transfers are append-only: post a reversing transfer instead');
END;
