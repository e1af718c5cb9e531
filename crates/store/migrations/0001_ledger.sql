-- The ledger: funding streams, accounts, append-only transfers, and balances kept in
-- step with the transfers in the same transaction.
--
-- One portable schema for SQLite and PostgreSQL. `{{id}}` is an integer key the store
-- assigns (INTEGER in SQLite so the key is the rowid; BIGINT in PostgreSQL), `{{auto_id}}`
-- one the database assigns (INTEGER PRIMARY KEY in SQLite; an identity column in
-- PostgreSQL), and `{{date}}` the
-- calendar-date type (TEXT 'YYYY-MM-DD' in SQLite, DATE in PostgreSQL). Nothing else
-- differs; each backend's file beside this one adds only what SQL cannot say portably.

CREATE TABLE funding_streams (
    id {{auto_id}},
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    owner_organisation TEXT NOT NULL,
    charging_basis TEXT NOT NULL CHECK (charging_basis IN ('free_at_point_of_use', 'means_tested')),
    opened_at TEXT NOT NULL
);

CREATE TABLE accounts (
    id {{auto_id}},
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    owner_kind TEXT NOT NULL CHECK (owner_kind IN ('organisation', 'person')),
    owner_id TEXT NOT NULL,
    stream_id BIGINT REFERENCES funding_streams (id),
    may_go_negative BIGINT NOT NULL CHECK (may_go_negative IN (0, 1)),
    opened_at TEXT NOT NULL
);

-- Append-only: the code has no UPDATE or DELETE of this table, and each backend's file
-- adds triggers that refuse them (and refuse changes to streams and accounts too).
--
-- The account, stream and reversal columns carry no FOREIGN KEY: checking four foreign
-- keys per row tripled PostgreSQL's insert cost (46 µs against 16 µs a row, measured
-- with COPY of 100,000 rows). The rows they point at can never be removed or changed
-- (the triggers), the store writes a transfer only after checking every account and
-- stream it names inside the same transaction, and `onebudget check` verifies again
-- that every transfer names a real account, stream and original.
CREATE TABLE transfers (
    id {{id}} PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    from_account_id BIGINT NOT NULL,
    to_account_id BIGINT NOT NULL,
    amount_pence BIGINT NOT NULL CHECK (amount_pence > 0),
    stream_id BIGINT NOT NULL,
    effective_date {{date}} NOT NULL,
    reason TEXT NOT NULL,
    memo TEXT NOT NULL,
    reverses_id BIGINT,
    recorded_at TEXT NOT NULL,
    CHECK (from_account_id <> to_account_id)
);

-- For statements. Keyed by account alone: the date in the key cost a third of SQLite's
-- insert rate (random positions within each account's run), and a statement sorts its
-- own rows by date.
CREATE INDEX transfers_by_from_account ON transfers (from_account_id);
CREATE INDEX transfers_by_to_account ON transfers (to_account_id);
CREATE INDEX transfers_by_reverses ON transfers (reverses_id) WHERE reverses_id IS NOT NULL;

-- One row per (account, stream) that has ever moved: what the account holds of that
-- stream's money. Written only in the transaction that records the transfers.
CREATE TABLE balances (
    account_id BIGINT NOT NULL,
    stream_id BIGINT NOT NULL,
    balance_pence BIGINT NOT NULL,
    -- The latest effective date among the pair's transfers: a transfer dated before it
    -- makes posting check the pair's history, not just its balance.
    latest_effective_date {{date}} NOT NULL,
    PRIMARY KEY (account_id, stream_id)
);
