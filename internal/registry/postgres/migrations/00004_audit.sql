-- +goose Up
-- Append-only: the registry has no statement that updates or deletes these rows.
CREATE TABLE audit (
    org_id    text        NOT NULL,
    seq       bigint      NOT NULL,
    at        timestamptz NOT NULL,
    actor     text        NOT NULL,
    action    text        NOT NULL,
    order_id  uuid,
    details   bytea       NOT NULL,
    prev_hash text        NOT NULL,
    hash      text        NOT NULL,
    PRIMARY KEY (org_id, seq)
);

CREATE INDEX audit_order ON audit (org_id, order_id, seq) WHERE order_id IS NOT NULL;

-- The head of each organization's chain: appends lock it (SELECT … FOR UPDATE), so two
-- appends cannot both extend the same entry; and it witnesses the last entry, so that
-- entries removed from the end are noticed.
CREATE TABLE audit_heads (
    org_id text   NOT NULL PRIMARY KEY,
    seq    bigint NOT NULL,
    hash   text   NOT NULL
);

-- +goose Down
DROP TABLE audit_heads;
DROP TABLE audit;
