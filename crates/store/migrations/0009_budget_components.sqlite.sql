-- SQLite: a version's components are append-only, as the version is.
CREATE TRIGGER budget_components_are_append_only_update BEFORE UPDATE ON budget_components
BEGIN
    SELECT RAISE(ABORT, 'budget components are append-only: record a new version instead');
END;
CREATE TRIGGER budget_components_are_append_only_delete BEFORE DELETE ON budget_components
BEGIN
    SELECT RAISE(ABORT, 'budget components are append-only: record a new version instead');
END;
