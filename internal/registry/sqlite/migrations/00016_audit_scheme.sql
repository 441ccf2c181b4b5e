-- +goose Up
-- How each entry's hash was made: 1 = SHA-256 (every entry before this migration), 2 =
-- HMAC-SHA-256 under the audit key, which is not in the database. The registry writes it
-- on every insert; the default only labels the entries that were already there.
ALTER TABLE audit ADD COLUMN scheme INTEGER NOT NULL DEFAULT 1;

-- +goose Down
ALTER TABLE audit DROP COLUMN scheme;
