-- +goose Up
-- Approval routes (согласование) and their visas (issue 17 §1), and the organizations that
-- register only approved drafts.
CREATE TABLE approval_routes (
    id          TEXT    NOT NULL PRIMARY KEY,
    org_id      TEXT    NOT NULL,
    order_id    TEXT    NOT NULL,
    round       INTEGER NOT NULL,
    version     INTEGER NOT NULL,
    mode        TEXT    NOT NULL,
    status      TEXT    NOT NULL,
    author      TEXT    NOT NULL,
    created_at  TEXT    NOT NULL,
    finished_at TEXT,
    UNIQUE (order_id, round)
) STRICT;
CREATE INDEX approval_routes_open ON approval_routes (org_id, status);
CREATE TABLE approval_visas (
    route_id   TEXT    NOT NULL,
    step       INTEGER NOT NULL,
    user_id    TEXT    NOT NULL,
    login      TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    position   TEXT    NOT NULL,
    decision   TEXT    NOT NULL DEFAULT '',
    remark     TEXT    NOT NULL DEFAULT '',
    decided_at TEXT,
    PRIMARY KEY (route_id, step)
) STRICT;
CREATE INDEX approval_visas_user ON approval_visas (user_id, decision);
CREATE TABLE approval_settings (
    org_id   TEXT    NOT NULL PRIMARY KEY,
    required INTEGER NOT NULL
) STRICT;
-- +goose StatementBegin
CREATE TRIGGER approval_routes_ad AFTER DELETE ON orders BEGIN
    DELETE FROM approval_visas WHERE route_id IN (SELECT id FROM approval_routes WHERE order_id = old.id);
    DELETE FROM approval_routes WHERE order_id = old.id;
END;
-- +goose StatementEnd
-- +goose Down
DROP TRIGGER approval_routes_ad;
DROP TABLE approval_settings;
DROP TABLE approval_visas;
DROP TABLE approval_routes;
