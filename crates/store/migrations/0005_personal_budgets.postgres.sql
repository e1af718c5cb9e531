-- PostgreSQL: personal-budget records are append-only, including TRUNCATE.
CREATE TRIGGER needs_assessments_are_append_only BEFORE UPDATE OR DELETE ON needs_assessments
    FOR EACH ROW EXECUTE FUNCTION onebudget_refuse_change('needs assessments are append-only: record a reassessment instead');
CREATE TRIGGER needs_assessments_are_append_only_truncate BEFORE TRUNCATE ON needs_assessments
    FOR EACH STATEMENT EXECUTE FUNCTION onebudget_refuse_change('needs assessments are append-only: record a reassessment instead');
CREATE TRIGGER budget_versions_are_append_only BEFORE UPDATE OR DELETE ON budget_versions
    FOR EACH ROW EXECUTE FUNCTION onebudget_refuse_change('budget versions are append-only: record a new version instead');
CREATE TRIGGER budget_versions_are_append_only_truncate BEFORE TRUNCATE ON budget_versions
    FOR EACH STATEMENT EXECUTE FUNCTION onebudget_refuse_change('budget versions are append-only: record a new version instead');
CREATE TRIGGER dp_reviews_are_append_only BEFORE UPDATE OR DELETE ON dp_reviews
    FOR EACH ROW EXECUTE FUNCTION onebudget_refuse_change('direct-payment reviews are append-only');
CREATE TRIGGER dp_reviews_are_append_only_truncate BEFORE TRUNCATE ON dp_reviews
    FOR EACH STATEMENT EXECUTE FUNCTION onebudget_refuse_change('direct-payment reviews are append-only');
CREATE TRIGGER dp_review_decisions_are_append_only BEFORE UPDATE OR DELETE ON dp_review_decisions
    FOR EACH ROW EXECUTE FUNCTION onebudget_refuse_change('decisions on reviews are final: record a new review instead');
CREATE TRIGGER dp_review_decisions_are_append_only_truncate BEFORE TRUNCATE ON dp_review_decisions
    FOR EACH STATEMENT EXECUTE FUNCTION onebudget_refuse_change('decisions on reviews are final: record a new review instead');
