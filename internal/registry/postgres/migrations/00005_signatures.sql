-- +goose Up
CREATE TABLE signatures (
    id         uuid        NOT NULL PRIMARY KEY,
    order_id   uuid        NOT NULL,
    kind       text        NOT NULL,
    key        text        NOT NULL,
    sha256     text        NOT NULL,
    signer     text        NOT NULL DEFAULT '',
    serial     text        NOT NULL DEFAULT '',
    valid_from timestamptz,
    valid_to   timestamptz,
    verified   text        NOT NULL,
    created_at timestamptz NOT NULL
);

CREATE INDEX signatures_order ON signatures (order_id, created_at);

-- One record per person and order: the first record is the evidence.
CREATE TABLE acks (
    order_id    uuid        NOT NULL,
    person      text        NOT NULL,
    read_at     date        NOT NULL,
    recorded_by text        NOT NULL DEFAULT '',
    recorded_at timestamptz NOT NULL,
    PRIMARY KEY (order_id, person)
);

-- Opaque signing certificate material of the organization (PEM or PKCS#12).
ALTER TABLE organizations ADD COLUMN signing bytea NOT NULL DEFAULT '\x';

-- +goose Down
ALTER TABLE organizations DROP COLUMN signing;
DROP TABLE acks;
DROP TABLE signatures;
