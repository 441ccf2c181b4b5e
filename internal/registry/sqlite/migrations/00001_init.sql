-- +goose Up
-- Times are TEXT in a fixed-width UTC format (see timeFormat in the driver), so that text
-- order is time order and the keyset comparisons of ListOrders work on them.
CREATE TABLE orders (
    id              TEXT    NOT NULL PRIMARY KEY,
    org_id          TEXT    NOT NULL,
    kind            TEXT    NOT NULL DEFAULT '',
    title           TEXT    NOT NULL DEFAULT '',
    search_text     TEXT    NOT NULL DEFAULT '',
    order_date      TEXT    NOT NULL DEFAULT '',
    number          TEXT    NOT NULL DEFAULT '',
    status          TEXT    NOT NULL,
    draft           BLOB    NOT NULL,
    draft_hash      TEXT    NOT NULL,
    idempotency_key TEXT    NOT NULL DEFAULT '',
    created_at      TEXT    NOT NULL,
    updated_at      TEXT    NOT NULL,
    rendered_at     TEXT,
    attempts        INTEGER NOT NULL DEFAULT 0,
    error           TEXT    NOT NULL DEFAULT '',
    pdf_key         TEXT    NOT NULL DEFAULT '',
    pdf_sha256      TEXT    NOT NULL DEFAULT '',
    pdf_size        INTEGER NOT NULL DEFAULT 0,
    docx_key        TEXT    NOT NULL DEFAULT '',
    docx_sha256     TEXT    NOT NULL DEFAULT '',
    docx_size       INTEGER NOT NULL DEFAULT 0
) STRICT;

-- The idempotency guarantee lives here, not in a check before the insert.
CREATE UNIQUE INDEX orders_idempotency ON orders (org_id, idempotency_key) WHERE idempotency_key <> '';
CREATE INDEX orders_org_created ON orders (org_id, created_at DESC, id DESC);
CREATE INDEX orders_created ON orders (created_at DESC, id DESC);
CREATE INDEX orders_status_updated ON orders (status, updated_at);

CREATE TABLE organizations (
    id         TEXT NOT NULL PRIMARY KEY,
    name       TEXT NOT NULL DEFAULT '',
    profile    BLOB NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;

CREATE TABLE tokens (
    id         TEXT NOT NULL PRIMARY KEY,
    hash       TEXT NOT NULL UNIQUE,
    role       TEXT NOT NULL,
    org_id     TEXT NOT NULL DEFAULT '',
    name       TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
) STRICT;

CREATE INDEX tokens_org ON tokens (org_id, created_at);

-- +goose Down
DROP TABLE tokens;
DROP TABLE organizations;
DROP TABLE orders;
