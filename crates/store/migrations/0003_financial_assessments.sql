-- Financial assessments recorded against a person: the case as given, the result with
-- every explained step, who recorded it and when. Append-only: a reassessment is a new
-- row, so the history of what a person was told they would pay is kept whole.
CREATE TABLE financial_assessments (
    id {{auto_id}},
    person_code TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    nation TEXT NOT NULL,
    effective_date {{date}} NOT NULL,
    weekly_charge_pence BIGINT NOT NULL CHECK (weekly_charge_pence >= 0),
    case_json TEXT NOT NULL,
    explanation_json TEXT NOT NULL
);
CREATE INDEX financial_assessments_by_person ON financial_assessments (person_code, id);
