-- PostgreSQL: the audit log is append-only, including TRUNCATE.
CREATE TRIGGER audit_log_is_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION onebudget_refuse_change('the audit log is append-only');
CREATE TRIGGER audit_log_is_append_only_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION onebudget_refuse_change('the audit log is append-only');
