-- Each budget version's components as rows: the stream, how it is held and the agreed
-- weekly amount, one row per component, written in the same transaction as the version
-- (and copied with it when a budget goes under review). The version's decision JSON
-- stays the record; these rows let the caseload find budgets by delivery mode and by how
-- many streams they draw on in SQL, a page at a time, instead of reading every version.
-- Existing versions are filled in by the migration's Rust step, from their decisions.
--
-- Placeholders as in 0001_ledger.sql.
CREATE TABLE budget_components (
    person_code TEXT NOT NULL,
    version BIGINT NOT NULL,
    position BIGINT NOT NULL,
    stream TEXT NOT NULL,
    mode TEXT NOT NULL CHECK (mode IN ('direct_payment', 'individual_service_fund', 'managed', 'notional')),
    agreed_pence BIGINT NOT NULL,
    PRIMARY KEY (person_code, version, position),
    FOREIGN KEY (person_code, version) REFERENCES budget_versions (person_code, version)
);
CREATE INDEX budget_components_by_mode ON budget_components (mode, person_code, version);
