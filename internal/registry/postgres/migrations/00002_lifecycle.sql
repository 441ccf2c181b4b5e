-- +goose Up
-- The lifecycle (state) is separate from the render status: a registered order is rendered
-- again with its number, and a failed render does not take the number back.
ALTER TABLE orders
    ADD COLUMN state            text        NOT NULL DEFAULT 'draft',
    ADD COLUMN journal_id       text        NOT NULL DEFAULT '',
    ADD COLUMN seq              integer     NOT NULL DEFAULT 0,
    ADD COLUMN registered_at    timestamptz,
    ADD COLUMN signed_at        timestamptz,
    ADD COLUMN cancelled_at     timestamptz,
    ADD COLUMN cancel_reason    text        NOT NULL DEFAULT '',
    ADD COLUMN signatory        text        NOT NULL DEFAULT '',
    ADD COLUMN signatory_search text        NOT NULL DEFAULT '',
    ADD COLUMN signed_key       text        NOT NULL DEFAULT '',
    ADD COLUMN signed_sha256    text        NOT NULL DEFAULT '',
    ADD COLUMN signed_size      bigint      NOT NULL DEFAULT 0,
    ADD CONSTRAINT orders_state_known CHECK (state IN ('draft', 'registered', 'signed', 'cancelled'));

-- The counters already make numbers unique; this index would catch a bug that bypassed them.
CREATE UNIQUE INDEX orders_journal_seq ON orders (org_id, journal_id, left(order_date, 4), seq) WHERE seq > 0;
CREATE INDEX orders_number ON orders (number) WHERE number <> '';
CREATE INDEX orders_state ON orders (state, created_at DESC);

CREATE TABLE journals (
    org_id     text        NOT NULL,
    id         text        NOT NULL,
    name       text        NOT NULL DEFAULT '',
    format     text        NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (org_id, id)
);

-- One counter per journal and year: next is the number issued next, last the highest issued
-- (0 if none), which SetJournalStart must stay above. Registrations lock the row (INSERT …
-- ON CONFLICT DO UPDATE), so numbers are issued one transaction at a time, without gaps.
CREATE TABLE journal_counters (
    org_id     text    NOT NULL,
    journal_id text    NOT NULL,
    year       integer NOT NULL,
    next       integer NOT NULL,
    last       integer NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, journal_id, year),
    FOREIGN KEY (org_id, journal_id) REFERENCES journals (org_id, id)
);

-- +goose Down
DROP TABLE journal_counters;
DROP TABLE journals;
DROP INDEX orders_state;
DROP INDEX orders_number;
DROP INDEX orders_journal_seq;
ALTER TABLE orders
    DROP CONSTRAINT orders_state_known,
    DROP COLUMN signed_size, DROP COLUMN signed_sha256, DROP COLUMN signed_key,
    DROP COLUMN signatory_search, DROP COLUMN signatory, DROP COLUMN cancel_reason,
    DROP COLUMN cancelled_at, DROP COLUMN signed_at, DROP COLUMN registered_at,
    DROP COLUMN seq, DROP COLUMN journal_id, DROP COLUMN state;
