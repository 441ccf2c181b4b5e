-- +goose Up
CREATE TABLE signatures (
    id         TEXT NOT NULL PRIMARY KEY,
    order_id   TEXT NOT NULL,
    kind       TEXT NOT NULL,
    key        TEXT NOT NULL,
    sha256     TEXT NOT NULL,
    signer     TEXT NOT NULL DEFAULT '',
    serial     TEXT NOT NULL DEFAULT '',
    valid_from TEXT,
    valid_to   TEXT,
    verified   TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;

CREATE INDEX signatures_order ON signatures (order_id, created_at);

-- One record per person and order: the first record is the evidence.
CREATE TABLE acks (
    order_id    TEXT NOT NULL,
    person      TEXT NOT NULL,
    read_at     TEXT NOT NULL,
    recorded_by TEXT NOT NULL DEFAULT '',
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (order_id, person)
) STRICT;

-- Opaque signing certificate material of the organization (PEM or PKCS#12).
ALTER TABLE organizations ADD COLUMN signing BLOB NOT NULL DEFAULT x'';

-- +goose Down
ALTER TABLE organizations DROP COLUMN signing;
DROP TABLE acks;
DROP TABLE signatures;
