-- +goose Up
-- Organizations' order templates (issue 15): every save is a new version, kept.
CREATE TABLE order_templates (
    org_id     TEXT NOT NULL,
    name       TEXT NOT NULL,
    version    INTEGER NOT NULL,
    title      TEXT NOT NULL,
    mode       TEXT NOT NULL,
    format     TEXT NOT NULL,
    body       BLOB NOT NULL,
    constants  TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (org_id, name, version)
);
-- +goose Down
DROP TABLE order_templates;
