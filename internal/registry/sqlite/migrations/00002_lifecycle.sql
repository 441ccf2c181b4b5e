-- +goose Up
-- The lifecycle (state) is separate from the render status: a registered order is rendered
-- again with its number, and a failed render does not take the number back.
ALTER TABLE orders ADD COLUMN state            TEXT    NOT NULL DEFAULT 'draft';
ALTER TABLE orders ADD COLUMN journal_id       TEXT    NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN seq              INTEGER NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN registered_at    TEXT;
ALTER TABLE orders ADD COLUMN signed_at        TEXT;
ALTER TABLE orders ADD COLUMN cancelled_at     TEXT;
ALTER TABLE orders ADD COLUMN cancel_reason    TEXT    NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN signatory        TEXT    NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN signatory_search TEXT    NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN signed_key       TEXT    NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN signed_sha256    TEXT    NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN signed_size      INTEGER NOT NULL DEFAULT 0;

-- The counters already make numbers unique; this index would catch a bug that bypassed them.
CREATE UNIQUE INDEX orders_journal_seq ON orders (org_id, journal_id, substr(order_date, 1, 4), seq) WHERE seq > 0;
CREATE INDEX orders_number ON orders (number) WHERE number <> '';
CREATE INDEX orders_state ON orders (state, created_at DESC);

CREATE TABLE journals (
    org_id     TEXT NOT NULL,
    id         TEXT NOT NULL,
    name       TEXT NOT NULL DEFAULT '',
    format     TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (org_id, id)
) STRICT;

-- One counter per journal and year: next is the number issued next, last the highest issued
-- (0 if none), which SetJournalStart must stay above.
CREATE TABLE journal_counters (
    org_id     TEXT    NOT NULL,
    journal_id TEXT    NOT NULL,
    year       INTEGER NOT NULL,
    next       INTEGER NOT NULL,
    last       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, journal_id, year),
    FOREIGN KEY (org_id, journal_id) REFERENCES journals (org_id, id)
) STRICT;

-- +goose Down
DROP TABLE journal_counters;
DROP TABLE journals;
DROP INDEX orders_state;
DROP INDEX orders_number;
DROP INDEX orders_journal_seq;
ALTER TABLE orders DROP COLUMN signed_size;
ALTER TABLE orders DROP COLUMN signed_sha256;
ALTER TABLE orders DROP COLUMN signed_key;
ALTER TABLE orders DROP COLUMN signatory_search;
ALTER TABLE orders DROP COLUMN signatory;
ALTER TABLE orders DROP COLUMN cancel_reason;
ALTER TABLE orders DROP COLUMN cancelled_at;
ALTER TABLE orders DROP COLUMN signed_at;
ALTER TABLE orders DROP COLUMN registered_at;
ALTER TABLE orders DROP COLUMN seq;
ALTER TABLE orders DROP COLUMN journal_id;
ALTER TABLE orders DROP COLUMN state;
