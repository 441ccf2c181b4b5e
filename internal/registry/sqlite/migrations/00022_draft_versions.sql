-- +goose Up
-- Versions of a draft (issue 17 §2): every saved change, who and when, kept until the draft
-- is deleted.
CREATE TABLE draft_versions (
    order_id   TEXT    NOT NULL,
    version    INTEGER NOT NULL,
    draft      BLOB    NOT NULL,
    draft_hash TEXT    NOT NULL,
    author     TEXT    NOT NULL,
    created_at TEXT    NOT NULL,
    PRIMARY KEY (order_id, version)
) STRICT;
-- +goose StatementBegin
CREATE TRIGGER draft_versions_ad AFTER DELETE ON orders BEGIN
    DELETE FROM draft_versions WHERE order_id = old.id;
END;
-- +goose StatementEnd
-- +goose Down
DROP TRIGGER draft_versions_ad;
DROP TABLE draft_versions;
