-- +goose Up
-- Who submitted an order (the audit actor, «user:ivanova (Иванова И.И.)»): the list shows
-- the author and a clerk's «мои проекты». Orders created before this migration have none.
ALTER TABLE orders ADD COLUMN created_by TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE orders DROP COLUMN created_by;
