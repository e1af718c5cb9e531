-- SQLite: recorded assessments are append-only.
CREATE TRIGGER financial_assessments_are_append_only_update BEFORE UPDATE ON financial_assessments
BEGIN
    SELECT RAISE(ABORT, 'financial assessments are append-only: record a reassessment instead');
END;
CREATE TRIGGER financial_assessments_are_append_only_delete BEFORE DELETE ON financial_assessments
BEGIN
    SELECT RAISE(ABORT, 'financial assessments are append-only: record a reassessment instead');
END;
