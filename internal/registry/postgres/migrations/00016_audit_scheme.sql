-- +goose Up
-- How each entry's hash was made: 1 = SHA-256 (every entry before this migration), 2 =
-- HMAC-SHA-256 under the audit key, which is not in the database. The default labels the
-- entries that were already there; then it goes, so that no insert can leave it out.
ALTER TABLE audit ADD COLUMN scheme smallint NOT NULL DEFAULT 1;
ALTER TABLE audit ALTER COLUMN scheme DROP DEFAULT;

-- +goose Down
ALTER TABLE audit DROP COLUMN scheme;
