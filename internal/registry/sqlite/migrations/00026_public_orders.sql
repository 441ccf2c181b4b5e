-- +goose Up
-- Orders whose organization lets the public check show their text (issue 17 §5).
CREATE TABLE public_orders (
    order_id  TEXT PRIMARY KEY,
    org_id    TEXT NOT NULL,
    marked_by TEXT NOT NULL,
    marked_at TEXT NOT NULL
);
-- +goose Down
DROP TABLE public_orders;
