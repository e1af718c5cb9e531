-- People, the users who sign in, their sessions, the bearer tokens of machine clients,
-- and the append-only audit log of every access to a person's record.
--
-- Placeholders as in 0001_ledger.sql. Times are RFC 3339 UTC text with microseconds
-- ('2026-11-23T17:31:24.123456Z'), which sort as they read on both backends.

CREATE TABLE organisations (
    id {{auto_id}},
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL
);

CREATE TABLE teams (
    id {{auto_id}},
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL
);

-- A person known to the service: the subject of special-category health data. Every
-- read of a row here, and of anything owned by the person, goes through the one access
-- decision and leaves a row in audit_log.
CREATE TABLE people (
    id {{auto_id}},
    code TEXT NOT NULL UNIQUE,
    given_name TEXT NOT NULL,
    family_name TEXT NOT NULL,
    nhs_number TEXT NOT NULL UNIQUE,
    birth_date {{date}} NOT NULL,
    team TEXT NOT NULL,
    setting TEXT NOT NULL,
    funding TEXT NOT NULL,
    delivery_mode TEXT,
    weekly_budget_pence BIGINT,
    created_at TEXT NOT NULL
);
CREATE INDEX people_by_team ON people (team, family_name);

CREATE TABLE users (
    id {{auto_id}},
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('citizen', 'practitioner', 'finance', 'commissioner', 'admin', 'auditor')),
    kind TEXT NOT NULL CHECK (kind IN ('person', 'service')),
    -- argon2id in PHC string form; NULL for service accounts, which sign in only by token.
    password_hash TEXT,
    person_code TEXT,
    team TEXT,
    created_at TEXT NOT NULL,
    CHECK (role <> 'citizen' OR person_code IS NOT NULL),
    CHECK (role <> 'practitioner' OR team IS NOT NULL),
    CHECK (kind = 'service' OR password_hash IS NOT NULL)
);

-- Server-side sessions. The cookie holds a random token; only its SHA-256 is stored, so
-- a copy of the database cannot be used to sign in.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    ended_at TEXT
);

-- Bearer tokens for service accounts, stored hashed. `prefix` is the token's first
-- characters, shown to administrators so they can tell tokens apart.
CREATE TABLE api_tokens (
    id {{auto_id}},
    user_id BIGINT NOT NULL REFERENCES users (id),
    label TEXT NOT NULL,
    prefix TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    scopes TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT
);

-- A person's accounts (their budget pages) without reading every account.
CREATE INDEX accounts_by_owner ON accounts (owner_id);

-- Balances of one funding stream (`/api/balances?stream=`) without reading every pair.
CREATE INDEX balances_by_stream ON balances (stream_id);

-- Append-only: the code has no UPDATE or DELETE of this table, and each backend's file
-- adds triggers that refuse them.
CREATE TABLE audit_log (
    id {{auto_id}},
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    actor_user_id BIGINT,
    role TEXT,
    via TEXT NOT NULL CHECK (via IN ('session', 'token', 'command_line', 'anonymous')),
    action TEXT NOT NULL,
    person_code TEXT,
    target TEXT NOT NULL,
    source TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('allowed', 'refused', 'success', 'failure')),
    detail TEXT NOT NULL
);
CREATE INDEX audit_log_by_person ON audit_log (person_code, id);
CREATE INDEX audit_log_by_action_target ON audit_log (action, target, at);
