-- Transfers by account, written in blocks instead of row by row.
--
-- Until now `transfers` carried two indexes by account (one per side) for statements.
-- A batch of random transfers then dirtied one index page per account touched on each
-- side, so posting ran at half its rate (docs/benchmarks.md). Instead, each row here
-- holds the ids of one account's transfers written in one merge: the first id, then the
-- rest as varints of their differences (`postings.rs` writes and reads them). Every
-- transfer up to `ledger_state.postings_through` is in the blocks of both its accounts;
-- a query by account reads the blocks and scans the transfers after the watermark by id.
-- The store writes the blocks for the transfers already recorded when it applies this
-- migration, and `onebudget check` verifies every block against the transfers.
CREATE TABLE transfer_postings (
    account_id BIGINT NOT NULL,
    first_transfer_id BIGINT NOT NULL,
    transfer_ids {{blob}} NOT NULL,
    PRIMARY KEY (account_id, first_transfer_id)
){{without_rowid}};

-- One row: how far the postings reach, and a generation that every posting transaction
-- advances (so a process can tell whether balances it remembers are still current).
CREATE TABLE ledger_state (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    postings_through BIGINT NOT NULL,
    generation BIGINT NOT NULL
);

-- The watermark starts at 0; the store then writes the blocks of every transfer.
INSERT INTO ledger_state (id, postings_through, generation) VALUES (1, 0, 0);

DROP INDEX transfers_by_from_account;
DROP INDEX transfers_by_to_account;
