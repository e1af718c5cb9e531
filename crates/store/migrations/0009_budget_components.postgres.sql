-- PostgreSQL: a version's components are append-only, as the version is.
CREATE TRIGGER budget_components_are_append_only BEFORE UPDATE OR DELETE ON budget_components
    FOR EACH ROW EXECUTE FUNCTION onebudget_refuse_change('budget components are append-only: record a new version instead');
CREATE TRIGGER budget_components_are_append_only_truncate BEFORE TRUNCATE ON budget_components
    FOR EACH STATEMENT EXECUTE FUNCTION onebudget_refuse_change('budget components are append-only: record a new version instead');
