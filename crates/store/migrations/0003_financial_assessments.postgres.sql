-- PostgreSQL: recorded assessments are append-only, including TRUNCATE.
CREATE TRIGGER financial_assessments_are_append_only BEFORE UPDATE OR DELETE ON financial_assessments
    FOR EACH ROW EXECUTE FUNCTION onebudget_refuse_change('financial assessments are append-only: record a reassessment instead');
CREATE TRIGGER financial_assessments_are_append_only_truncate BEFORE TRUNCATE ON financial_assessments
    FOR EACH STATEMENT EXECUTE FUNCTION onebudget_refuse_change('financial assessments are append-only: record a reassessment instead');
