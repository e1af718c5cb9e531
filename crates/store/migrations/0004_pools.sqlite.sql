-- SQLite: agreements, closed months, forecasts and confirmations are append-only.
CREATE TRIGGER pool_agreements_are_append_only_update BEFORE UPDATE ON pool_agreements
BEGIN
    SELECT RAISE(ABORT, 'pool agreements are append-only: record a variation instead');
END;
CREATE TRIGGER pool_agreements_are_append_only_delete BEFORE DELETE ON pool_agreements
BEGIN
    SELECT RAISE(ABORT, 'pool agreements are append-only: record a variation instead');
END;
CREATE TRIGGER pool_closed_months_are_append_only_update BEFORE UPDATE ON pool_closed_months
BEGIN
    SELECT RAISE(ABORT, 'closed months stay closed');
END;
CREATE TRIGGER pool_closed_months_are_append_only_delete BEFORE DELETE ON pool_closed_months
BEGIN
    SELECT RAISE(ABORT, 'closed months stay closed');
END;
CREATE TRIGGER pool_forecasts_are_append_only_update BEFORE UPDATE ON pool_forecasts
BEGIN
    SELECT RAISE(ABORT, 'forecasts are append-only: enter a new forecast instead');
END;
CREATE TRIGGER pool_forecasts_are_append_only_delete BEFORE DELETE ON pool_forecasts
BEGIN
    SELECT RAISE(ABORT, 'forecasts are append-only: enter a new forecast instead');
END;
CREATE TRIGGER pool_confirmations_are_append_only_update BEFORE UPDATE ON pool_settlement_confirmations
BEGIN
    SELECT RAISE(ABORT, 'settlement confirmations are append-only');
END;
CREATE TRIGGER pool_confirmations_are_append_only_delete BEFORE DELETE ON pool_settlement_confirmations
BEGIN
    SELECT RAISE(ABORT, 'settlement confirmations are append-only');
END;
