-- +goose Up
-- Drafts and profiles are bytea, not jsonb: the registry promises the exact bytes back, and
-- DraftHash is computed over them.
CREATE TABLE orders (
    id              uuid        NOT NULL PRIMARY KEY,
    org_id          text        NOT NULL,
    kind            text        NOT NULL DEFAULT '',
    title           text        NOT NULL DEFAULT '',
    search_text     text        NOT NULL DEFAULT '',
    order_date      text        NOT NULL DEFAULT '',
    number          text        NOT NULL DEFAULT '',
    status          text        NOT NULL,
    draft           bytea       NOT NULL,
    draft_hash      text        NOT NULL,
    idempotency_key text        NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    rendered_at     timestamptz,
    attempts        integer     NOT NULL DEFAULT 0,
    error           text        NOT NULL DEFAULT '',
    pdf_key         text        NOT NULL DEFAULT '',
    pdf_sha256      text        NOT NULL DEFAULT '',
    pdf_size        bigint      NOT NULL DEFAULT 0,
    docx_key        text        NOT NULL DEFAULT '',
    docx_sha256     text        NOT NULL DEFAULT '',
    docx_size       bigint      NOT NULL DEFAULT 0,
    CONSTRAINT orders_date_format CHECK (order_date = '' OR order_date ~ '^\d{4}-\d{2}-\d{2}$')
);

-- The idempotency guarantee lives here, not in a check before the insert.
CREATE UNIQUE INDEX orders_idempotency ON orders (org_id, idempotency_key) WHERE idempotency_key <> '';
CREATE INDEX orders_org_created ON orders (org_id, created_at DESC, id DESC);
CREATE INDEX orders_created ON orders (created_at DESC, id DESC);
CREATE INDEX orders_status_updated ON orders (status, updated_at);

CREATE TABLE organizations (
    id         text        NOT NULL PRIMARY KEY,
    name       text        NOT NULL DEFAULT '',
    profile    bytea       NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);

CREATE TABLE tokens (
    id         uuid        NOT NULL PRIMARY KEY,
    hash       text        NOT NULL UNIQUE,
    role       text        NOT NULL,
    org_id     text        NOT NULL DEFAULT '',
    name       text        NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL
);

CREATE INDEX tokens_org ON tokens (org_id, created_at);

-- +goose Down
DROP TABLE tokens;
DROP TABLE organizations;
DROP TABLE orders;
