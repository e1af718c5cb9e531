-- Pooled and aligned funds: agreements (versioned, append-only), the accounts whose
-- flows are summed by month for monitoring, closed months, forecasts, commitments and
-- the partners' confirmations of a settlement. And each user's organisation, so that a
-- settlement is confirmed by a finance officer of each partner.

ALTER TABLE users ADD COLUMN organisation TEXT;

-- One row per version of a pool's agreement for a year. The document is the agreement
-- as the finance officer gave it (JSON); a variation is a new version from its date.
CREATE TABLE pool_agreements (
    id {{auto_id}},
    pool TEXT NOT NULL,
    year BIGINT NOT NULL,
    version BIGINT NOT NULL,
    effective_from {{date}} NOT NULL,
    kind TEXT NOT NULL,
    document TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    UNIQUE (pool, year, version)
);

-- Accounts that belong to a pool (its schemes' accounts and its reserve). Posting keeps
-- `pool_flows` in step for every transfer that touches one.
CREATE TABLE pool_accounts (
    account_id BIGINT PRIMARY KEY,
    pool TEXT NOT NULL,
    registered_at TEXT NOT NULL
);

-- Money through each pool account, summed by counterparty, stream, month and reason.
-- Written only in the transaction that records the transfers (like `balances`), and
-- verified against the transfers by `onebudget check`.
CREATE TABLE pool_flows (
    account_id BIGINT NOT NULL,
    counterparty_id BIGINT NOT NULL,
    stream_id BIGINT NOT NULL,
    month {{date}} NOT NULL,
    reason TEXT NOT NULL,
    money_in_pence BIGINT NOT NULL,
    money_out_pence BIGINT NOT NULL,
    transfers BIGINT NOT NULL,
    PRIMARY KEY (account_id, counterparty_id, stream_id, month, reason)
);

-- A finance officer closes months in order; a row says "closed through this month".
CREATE TABLE pool_closed_months (
    pool TEXT NOT NULL,
    year BIGINT NOT NULL,
    through_month BIGINT NOT NULL,
    closed_by TEXT NOT NULL,
    closed_at TEXT NOT NULL,
    PRIMARY KEY (pool, year, through_month)
);

-- Forecast choices and commitments per scheme; the latest row for a scheme applies, and
-- earlier ones are kept.
CREATE TABLE pool_forecasts (
    id {{auto_id}},
    pool TEXT NOT NULL,
    year BIGINT NOT NULL,
    scheme TEXT NOT NULL,
    method TEXT NOT NULL,
    amount_pence BIGINT,
    commitments_pence BIGINT NOT NULL,
    reason TEXT NOT NULL,
    entered_by TEXT NOT NULL,
    entered_at TEXT NOT NULL
);
CREATE INDEX pool_forecasts_by_pool ON pool_forecasts (pool, year, scheme);

-- A partner's finance officer confirming a settlement, by the digest of exactly what was
-- shown to them: if the figures change, earlier confirmations no longer count.
CREATE TABLE pool_settlement_confirmations (
    id {{auto_id}},
    pool TEXT NOT NULL,
    year BIGINT NOT NULL,
    organisation TEXT NOT NULL,
    digest TEXT NOT NULL,
    username TEXT NOT NULL,
    confirmed_at TEXT NOT NULL,
    UNIQUE (pool, year, organisation, digest)
);
