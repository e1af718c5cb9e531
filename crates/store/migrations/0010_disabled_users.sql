-- A user an administrator has disabled: they cannot sign in, and their sessions and
-- bearer tokens stop working at once (the session and token look-ups skip a disabled
-- user; disabling also ends their sessions and revokes their tokens in the same
-- transaction). The row is kept, so the audit log's rows still name who they were.
--
-- Numbered 9: 8 is taken by the one-budget data model, written at the same time.
-- Placeholders as in 0001_ledger.sql.
ALTER TABLE users ADD COLUMN disabled_at TEXT;
