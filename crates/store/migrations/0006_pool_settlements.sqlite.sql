-- SQLite: a posted settlement is append-only.
CREATE TRIGGER pool_settlements_are_append_only_update BEFORE UPDATE ON pool_settlements
BEGIN
    SELECT RAISE(ABORT, 'a posted settlement is final: post a correction in the next year instead');
END;
CREATE TRIGGER pool_settlements_are_append_only_delete BEFORE DELETE ON pool_settlements
BEGIN
    SELECT RAISE(ABORT, 'a posted settlement is final: post a correction in the next year instead');
END;
