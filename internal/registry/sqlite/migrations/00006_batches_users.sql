-- +goose Up
-- Batches (issue 5): an order remembers its batch and row; adding nullable columns does not
-- rewrite the table.
ALTER TABLE orders ADD COLUMN batch_id  TEXT;
ALTER TABLE orders ADD COLUMN batch_row INTEGER NOT NULL DEFAULT 0;

-- Row order of a batch's orders, and the guarantee that a row is issued once.
CREATE UNIQUE INDEX orders_batch_row ON orders (batch_id, batch_row) WHERE batch_id IS NOT NULL;

CREATE TABLE batches (
    id         TEXT    NOT NULL PRIMARY KEY,
    org_id     TEXT    NOT NULL,
    key        TEXT    NOT NULL,
    mode       TEXT    NOT NULL DEFAULT '',
    template   TEXT    NOT NULL DEFAULT '',
    total      INTEGER NOT NULL DEFAULT 0,
    options    BLOB    NOT NULL,
    state      TEXT    NOT NULL,
    created_at TEXT    NOT NULL,
    updated_at TEXT    NOT NULL,
    created_by TEXT    NOT NULL DEFAULT ''
) STRICT;

-- Resubmitting a batch finds it by its content key; the index makes that race-free.
CREATE UNIQUE INDEX batches_key ON batches (org_id, key);
CREATE INDEX batches_org_created ON batches (org_id, created_at DESC, id DESC);
CREATE INDEX batches_created ON batches (created_at DESC, id DESC);

-- Users (issue 6). login_key is the login folded in Go (see driver.LoginKey): SQLite's
-- lower() folds ASCII only, and Cyrillic logins must be unique ignoring case too.
CREATE TABLE users (
    id            TEXT    NOT NULL PRIMARY KEY,
    login         TEXT    NOT NULL,
    login_key     TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    role          TEXT    NOT NULL,
    org_id        TEXT    NOT NULL DEFAULT '',
    name          TEXT    NOT NULL DEFAULT '',
    created_at    TEXT    NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE INDEX users_org ON users (org_id, login_key);

-- Only the SHA-256 of a session id is stored: a copy of the database holds no live cookie.
CREATE TABLE sessions (
    id_hash    TEXT NOT NULL PRIMARY KEY,
    user_id    TEXT NOT NULL,
    csrf       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    last_seen  TEXT NOT NULL
) STRICT;

CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE login_failures (
    login_key TEXT NOT NULL,
    at        TEXT NOT NULL
) STRICT;

CREATE INDEX login_failures_key ON login_failures (login_key, at);
CREATE INDEX login_failures_at ON login_failures (at);

-- +goose Down
DROP TABLE login_failures;
DROP TABLE sessions;
DROP TABLE users;
DROP TABLE batches;
DROP INDEX orders_batch_row;
ALTER TABLE orders DROP COLUMN batch_row;
ALTER TABLE orders DROP COLUMN batch_id;
