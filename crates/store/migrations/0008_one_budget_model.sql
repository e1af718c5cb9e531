-- A person's budget is only ever a budget version.
--
-- Until now `people` also carried a delivery mode and a weekly amount, set when the
-- person was added and never changed with the budget, so a person's record could say one
-- budget while their budget page said another. Those columns go: every page, API
-- response and statement now reads the version in force on the day shown.
--
-- Nothing is lost on an upgrade: a person who held a weekly amount on their record and
-- no budget version keeps it here, in `retired_person_budgets`, which nothing reads. Bring
-- such budgets in with `onebudget budget import` (one version each, at those amounts).
--
-- Placeholders as in 0001_ledger.sql.
CREATE TABLE retired_person_budgets AS
    SELECT code AS person_code, delivery_mode, weekly_budget_pence FROM people
    WHERE weekly_budget_pence IS NOT NULL
      AND code NOT IN (SELECT person_code FROM budget_versions);

ALTER TABLE people DROP COLUMN delivery_mode;
ALTER TABLE people DROP COLUMN weekly_budget_pence;

-- The version in force on a day for each person (the caseload's join, `budget_on`): the
-- highest version whose effective date is on or before the day, read from the index.
CREATE INDEX budget_versions_by_person_date ON budget_versions (person_code, effective_from, version);
