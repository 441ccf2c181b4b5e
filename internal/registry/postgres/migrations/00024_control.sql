-- +goose Up
-- Control of execution (issue 17 §3): the clauses of registered orders with a responsible
-- person and a deadline, and the hashed secrets of people's calendar feeds.
CREATE TABLE control_items (
    id          uuid PRIMARY KEY,
    org_id      TEXT NOT NULL,
    order_id    uuid NOT NULL,
    clause      TEXT NOT NULL,
    text        TEXT NOT NULL,
    responsible TEXT NOT NULL,
    deadline    TEXT NOT NULL,
    controller  TEXT NOT NULL DEFAULT '',
    due         TEXT NOT NULL,
    done_at     TIMESTAMPTZ,
    done_by     TEXT NOT NULL DEFAULT '',
    done_note   TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX control_items_person ON control_items (org_id, responsible, due);
CREATE INDEX control_items_order ON control_items (order_id);
CREATE INDEX control_items_due ON control_items (org_id, due);
CREATE TABLE calendar_feeds (
    hash       TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL,
    person     TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    UNIQUE (org_id, person)
);
-- +goose Down
DROP TABLE calendar_feeds;
DROP TABLE control_items;
