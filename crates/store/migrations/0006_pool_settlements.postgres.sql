-- PostgreSQL: a posted settlement is append-only, including TRUNCATE.
CREATE TRIGGER pool_settlements_are_append_only BEFORE UPDATE OR DELETE ON pool_settlements
    FOR EACH ROW EXECUTE FUNCTION onebudget_refuse_change('a posted settlement is final: post a correction in the next year instead');
CREATE TRIGGER pool_settlements_are_append_only_truncate BEFORE TRUNCATE ON pool_settlements
    FOR EACH STATEMENT EXECUTE FUNCTION onebudget_refuse_change('a posted settlement is final: post a correction in the next year instead');
