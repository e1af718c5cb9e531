-- SQLite: personal-budget records are append-only.
CREATE TRIGGER needs_assessments_are_append_only_update BEFORE UPDATE ON needs_assessments
BEGIN
    SELECT RAISE(ABORT, 'needs assessments are append-only: record a reassessment instead');
END;
CREATE TRIGGER needs_assessments_are_append_only_delete BEFORE DELETE ON needs_assessments
BEGIN
    SELECT RAISE(ABORT, 'needs assessments are append-only: record a reassessment instead');
END;
CREATE TRIGGER budget_versions_are_append_only_update BEFORE UPDATE ON budget_versions
BEGIN
    SELECT RAISE(ABORT, 'budget versions are append-only: record a new version instead');
END;
CREATE TRIGGER budget_versions_are_append_only_delete BEFORE DELETE ON budget_versions
BEGIN
    SELECT RAISE(ABORT, 'budget versions are append-only: record a new version instead');
END;
CREATE TRIGGER dp_reviews_are_append_only_update BEFORE UPDATE ON dp_reviews
BEGIN
    SELECT RAISE(ABORT, 'direct-payment reviews are append-only');
END;
CREATE TRIGGER dp_reviews_are_append_only_delete BEFORE DELETE ON dp_reviews
BEGIN
    SELECT RAISE(ABORT, 'direct-payment reviews are append-only');
END;
CREATE TRIGGER dp_review_decisions_are_append_only_update BEFORE UPDATE ON dp_review_decisions
BEGIN
    SELECT RAISE(ABORT, 'decisions on reviews are final: record a new review instead');
END;
CREATE TRIGGER dp_review_decisions_are_append_only_delete BEFORE DELETE ON dp_review_decisions
BEGIN
    SELECT RAISE(ABORT, 'decisions on reviews are final: record a new review instead');
END;
