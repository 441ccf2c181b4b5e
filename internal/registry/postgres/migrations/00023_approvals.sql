-- +goose Up
-- Approval routes (согласование) and their visas (issue 17 §1), and the organizations that
-- register only approved drafts.
CREATE TABLE approval_routes (
    id          uuid        NOT NULL PRIMARY KEY,
    org_id      text        NOT NULL,
    order_id    uuid        NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    round       integer     NOT NULL,
    version     integer     NOT NULL,
    mode        text        NOT NULL,
    status      text        NOT NULL,
    author      text        NOT NULL,
    created_at  timestamptz NOT NULL,
    finished_at timestamptz,
    UNIQUE (order_id, round)
);
CREATE INDEX approval_routes_open ON approval_routes (org_id, status);
CREATE TABLE approval_visas (
    route_id   uuid        NOT NULL REFERENCES approval_routes (id) ON DELETE CASCADE,
    step       integer     NOT NULL,
    user_id    uuid        NOT NULL,
    login      text        NOT NULL,
    name       text        NOT NULL,
    position   text        NOT NULL,
    decision   text        NOT NULL DEFAULT '',
    remark     text        NOT NULL DEFAULT '',
    decided_at timestamptz,
    PRIMARY KEY (route_id, step)
);
CREATE INDEX approval_visas_user ON approval_visas (user_id, decision);
CREATE TABLE approval_settings (
    org_id   text    NOT NULL PRIMARY KEY,
    required boolean NOT NULL
);
-- +goose Down
DROP TABLE approval_settings;
DROP TABLE approval_visas;
DROP TABLE approval_routes;
