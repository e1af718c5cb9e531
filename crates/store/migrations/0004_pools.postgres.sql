-- PostgreSQL: agreements, closed months, forecasts and confirmations are append-only,
-- including TRUNCATE.
CREATE TRIGGER pool_agreements_are_append_only BEFORE UPDATE OR DELETE ON pool_agreements
    FOR EACH ROW EXECUTE FUNCTION onebudget_refuse_change('pool agreements are append-only: record a variation instead');
CREATE TRIGGER pool_agreements_are_append_only_truncate BEFORE TRUNCATE ON pool_agreements
    FOR EACH STATEMENT EXECUTE FUNCTION onebudget_refuse_change('pool agreements are append-only: record a variation instead');
CREATE TRIGGER pool_closed_months_are_append_only BEFORE UPDATE OR DELETE ON pool_closed_months
    FOR EACH ROW EXECUTE FUNCTION onebudget_refuse_change('closed months stay closed');
CREATE TRIGGER pool_closed_months_are_append_only_truncate BEFORE TRUNCATE ON pool_closed_months
    FOR EACH STATEMENT EXECUTE FUNCTION onebudget_refuse_change('closed months stay closed');
CREATE TRIGGER pool_forecasts_are_append_only BEFORE UPDATE OR DELETE ON pool_forecasts
    FOR EACH ROW EXECUTE FUNCTION onebudget_refuse_change('forecasts are append-only: enter a new forecast instead');
CREATE TRIGGER pool_confirmations_are_append_only BEFORE UPDATE OR DELETE ON pool_settlement_confirmations
    FOR EACH ROW EXECUTE FUNCTION onebudget_refuse_change('settlement confirmations are append-only');
