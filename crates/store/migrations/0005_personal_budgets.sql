-- Integrated personal budgets: needs assessments, budget versions and direct-payment
-- reviews. Every table is append-only: a reassessment, a change of plan or a decision on
-- a review is a new row, so any budget a person was ever told about can be shown again
-- with the rules and figures that produced it.
--
-- Placeholders as in 0001_ledger.sql.

-- One needs assessment: the answers as given, the questionnaire version they answer, and
-- the scores and eligibility decisions (JSON) computed from them when recorded.
CREATE TABLE needs_assessments (
    id {{auto_id}},
    person_code TEXT NOT NULL,
    scheme TEXT NOT NULL,
    questionnaire TEXT NOT NULL,
    assessed_on {{date}} NOT NULL,
    answers_json TEXT NOT NULL,
    scores_json TEXT NOT NULL,
    eligibility_json TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX needs_assessments_by_person ON needs_assessments (person_code, id);

-- One version of a person's budget: its status, the plan as proposed, and the decision
-- (components, allocation, contribution, steps) as computed from the needs assessment
-- and the financial assessment it names.
CREATE TABLE budget_versions (
    id {{auto_id}},
    person_code TEXT NOT NULL,
    version BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'agreed', 'active', 'under_review', 'ended')),
    effective_from {{date}} NOT NULL,
    needs_assessment_id BIGINT REFERENCES needs_assessments (id),
    financial_assessment_id BIGINT REFERENCES financial_assessments (id),
    weekly_budget_pence BIGINT NOT NULL CHECK (weekly_budget_pence >= 0),
    weekly_contribution_pence BIGINT NOT NULL CHECK (weekly_contribution_pence >= 0),
    plan_json TEXT NOT NULL,
    decision_json TEXT NOT NULL,
    reason TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    UNIQUE (person_code, version)
);
CREATE INDEX budget_versions_by_status ON budget_versions (status, person_code);

-- A direct-payment balance found above the scheme's threshold, with the recovery
-- proposed; a finance officer's decision is a row in dp_review_decisions.
CREATE TABLE dp_reviews (
    id {{auto_id}},
    person_code TEXT NOT NULL,
    budget_version BIGINT NOT NULL,
    stream TEXT NOT NULL,
    raised_on {{date}} NOT NULL,
    balance_pence BIGINT NOT NULL,
    weekly_pence BIGINT NOT NULL,
    weeks BIGINT NOT NULL,
    threshold_pence BIGINT NOT NULL,
    proposed_recovery_pence BIGINT NOT NULL CHECK (proposed_recovery_pence > 0),
    raised_by TEXT NOT NULL,
    raised_at TEXT NOT NULL
);
CREATE INDEX dp_reviews_by_person ON dp_reviews (person_code, id);

CREATE TABLE dp_review_decisions (
    id {{auto_id}},
    review_id BIGINT NOT NULL UNIQUE REFERENCES dp_reviews (id),
    decision TEXT NOT NULL CHECK (decision IN ('recovered', 'dismissed')),
    amount_pence BIGINT NOT NULL,
    note TEXT NOT NULL,
    decided_by TEXT NOT NULL,
    decided_at TEXT NOT NULL
);
