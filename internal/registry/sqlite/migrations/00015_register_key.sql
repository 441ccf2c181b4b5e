-- +goose Up
-- register_key is the Idempotency-Key of the request that registered the order ('' for
-- none): the same request repeated, its first answer lost, gets the order as registered
-- instead of a conflict.
ALTER TABLE orders ADD COLUMN register_key TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE orders DROP COLUMN register_key;
