-- +goose Up
-- Append-only: the registry has no statement that updates or deletes these rows.
CREATE TABLE audit (
    org_id    TEXT    NOT NULL,
    seq       INTEGER NOT NULL,
    at        TEXT    NOT NULL,
    actor     TEXT    NOT NULL,
    action    TEXT    NOT NULL,
    order_id  TEXT,
    details   BLOB    NOT NULL,
    prev_hash TEXT    NOT NULL,
    hash      TEXT    NOT NULL,
    PRIMARY KEY (org_id, seq)
) STRICT;

CREATE INDEX audit_order ON audit (org_id, order_id, seq) WHERE order_id IS NOT NULL;

-- The head of each organization's chain: the row appends serialize on, and the witness of
-- the last entry, so that entries removed from the end are noticed.
CREATE TABLE audit_heads (
    org_id TEXT    NOT NULL PRIMARY KEY,
    seq    INTEGER NOT NULL,
    hash   TEXT    NOT NULL
) STRICT;

-- +goose Down
DROP TABLE audit_heads;
DROP TABLE audit;
