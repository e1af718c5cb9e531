-- Evidence: activity events in the NHS's and councils' own shapes (issue 17 §1).
--
-- Social care events (CLD Release 2), hospital spells (HES APC) and deaths, each linked by
-- `person_key`: HMAC-SHA256 of the NHS number under the deployment's pseudonymisation
-- secret (crates/core/src/evidence/key.rs). The raw NHS number is never stored here.
-- `person_code` names the ledger's person with the same key, when the deployment holds
-- them (linked at import).
--
-- Every event has `event_key`: the first 16 bytes of SHA-256 of its unique key (for social
-- care, DHSC's unique-event definition; see SocialCareEvent::unique_key), so re-importing
-- the same rows adds nothing. Each file imported is one row of `event_import_batches`,
-- with the file's SHA-256; a file already imported is not imported again. `batch_id` names
-- that row; it is not declared a foreign key because the batch and its events are written
-- in one transaction by one function, and SQLite checks a foreign key on every row
-- inserted, which the import of a million events a second cannot afford.
-- Placeholders as in 0001_ledger.sql.

CREATE TABLE event_import_batches (
    id {{auto_id}},
    kind TEXT NOT NULL,
    file_sha256 TEXT NOT NULL,
    source TEXT NOT NULL,
    rows_in_file BIGINT NOT NULL,
    imported BIGINT NOT NULL,
    already_held BIGINT NOT NULL,
    people BIGINT NOT NULL,
    imported_by TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    UNIQUE (kind, file_sha256)
);

CREATE TABLE social_care_events (
    id {{auto_id}},
    event_key {{blob}} NOT NULL UNIQUE,
    batch_id BIGINT NOT NULL,
    la_code TEXT NOT NULL,
    person_key {{blob}} NOT NULL,
    person_code TEXT,
    la_person_id TEXT,
    client_type TEXT NOT NULL,
    event_type TEXT NOT NULL,
    event_reference TEXT,
    start_date {{date}} NOT NULL,
    end_date {{date}},
    outcome TEXT,
    service_type TEXT,
    service_component TEXT,
    delivery_mechanism TEXT,
    unit_cost_pence BIGINT,
    cost_frequency TEXT,
    planned_units_hundredths BIGINT,
    funding_status TEXT,
    primary_support_reason TEXT,
    date_of_birth {{date}},
    age_at_start BIGINT,
    gender TEXT,
    date_of_death {{date}},
    provider_cqc_location_id TEXT
);
CREATE INDEX social_care_events_by_person ON social_care_events (person_key, start_date);

CREATE TABLE hospital_spells (
    id {{auto_id}},
    event_key {{blob}} NOT NULL UNIQUE,
    batch_id BIGINT NOT NULL,
    provider TEXT NOT NULL,
    person_key {{blob}} NOT NULL,
    person_code TEXT,
    admission_date {{date}} NOT NULL,
    admission_method TEXT NOT NULL,
    age_at_start BIGINT,
    primary_diagnosis TEXT,
    acsc BIGINT,
    discharge_ready_date {{date}},
    discharge_date {{date}},
    discharge_method TEXT,
    discharge_destination TEXT
);
CREATE INDEX hospital_spells_by_person ON hospital_spells (person_key, admission_date);

CREATE TABLE deaths (
    id {{auto_id}},
    event_key {{blob}} NOT NULL UNIQUE,
    batch_id BIGINT NOT NULL,
    person_key {{blob}} NOT NULL,
    person_code TEXT,
    date_of_death {{date}} NOT NULL
);

-- The demo's pseudonymisation secret: `onebudget demo` generates one per demo database and
-- keeps it here, so the demo's events link without any setting. A real deployment leaves
-- this table empty and gives its secret in ONEBUDGET_PSEUDONYM_KEY or
-- ONEBUDGET_PSEUDONYM_KEY_FILE (ARCHITECTURE.md, "Evidence events"); a database that holds
-- its own key protects nothing against whoever can read it.
CREATE TABLE demo_pseudonym_key (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    key_hex TEXT NOT NULL
);
