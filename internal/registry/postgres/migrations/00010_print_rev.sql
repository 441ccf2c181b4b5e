-- +goose Up
-- print_rev counts the changes of what an order's documents print besides its draft (an
-- acknowledgement recorded, a cancellation): a render started before such a change is
-- refused by MarkRendered, so a document never shows less than the registry knows.
-- cancelled_by is who cancelled the order, printed on the cancelled working copy.
ALTER TABLE orders
    ADD COLUMN print_rev    integer NOT NULL DEFAULT 0,
    ADD COLUMN cancelled_by text    NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE orders DROP COLUMN cancelled_by, DROP COLUMN print_rev;
