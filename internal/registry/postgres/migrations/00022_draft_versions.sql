-- +goose Up
-- Versions of a draft (issue 17 §2): every saved change, who and when, kept until the draft
-- is deleted.
CREATE TABLE draft_versions (
    order_id   uuid        NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    version    integer     NOT NULL,
    draft      bytea       NOT NULL,
    draft_hash text        NOT NULL,
    author     text        NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (order_id, version)
);
-- +goose Down
DROP TABLE draft_versions;
