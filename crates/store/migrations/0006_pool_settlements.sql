-- The settlement every partner confirmed, kept as it was confirmed. Once its transfers
-- are in the ledger, working the settlement out again from the ledger gives other
-- figures (the schemes are empty) and so another digest, which no partner confirmed; so
-- the store shows this record instead. One row per pool and year, written in the
-- transaction that records the last confirmation, after the balancing transfers are
-- posted; append-only.
CREATE TABLE pool_settlements (
    id {{auto_id}},
    pool TEXT NOT NULL,
    year BIGINT NOT NULL,
    -- The digest every partner's confirmation names (SHA-256 of the figures and transfers).
    digest TEXT NOT NULL,
    -- The `Settlement` as shown to the partners and confirmed (JSON): figures, steps and
    -- transfers; transfer n is posted under the key `pool/{pool}/{year}/settlement/{n}`.
    settlement_json TEXT NOT NULL,
    transfers BIGINT NOT NULL,
    posted_by TEXT NOT NULL,
    posted_at TEXT NOT NULL,
    UNIQUE (pool, year)
);
