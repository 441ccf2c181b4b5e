-- +goose Up
-- Batches (issue 5): an order remembers its batch and row. Adding a nullable column and a
-- column with a constant default does not rewrite the table.
ALTER TABLE orders
    ADD COLUMN batch_id  uuid,
    ADD COLUMN batch_row integer NOT NULL DEFAULT 0;

-- Row order of a batch's orders, and the guarantee that a row is issued once.
CREATE UNIQUE INDEX orders_batch_row ON orders (batch_id, batch_row) WHERE batch_id IS NOT NULL;

CREATE TABLE batches (
    id         uuid        NOT NULL PRIMARY KEY,
    org_id     text        NOT NULL,
    key        text        NOT NULL,
    mode       text        NOT NULL DEFAULT '',
    template   text        NOT NULL DEFAULT '',
    total      integer     NOT NULL DEFAULT 0,
    options    bytea       NOT NULL,
    state      text        NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    created_by text        NOT NULL DEFAULT '',
    CONSTRAINT batches_state_known CHECK (state IN ('accepted', 'cancelled', 'done'))
);

-- Resubmitting a batch finds it by its content key; the index makes that race-free: a
-- concurrent insert of the same key waits for the first to commit and then does nothing.
CREATE UNIQUE INDEX batches_key ON batches (org_id, key);
CREATE INDEX batches_org_created ON batches (org_id, created_at DESC, id DESC);
CREATE INDEX batches_created ON batches (created_at DESC, id DESC);

-- Users (issue 6). login_key is the login folded in Go (see driver.LoginKey), as in SQLite,
-- so that both databases agree on what "the same login" is.
CREATE TABLE users (
    id            uuid        NOT NULL PRIMARY KEY,
    login         text        NOT NULL,
    login_key     text        NOT NULL UNIQUE,
    password_hash text        NOT NULL,
    role          text        NOT NULL,
    org_id        text        NOT NULL DEFAULT '',
    name          text        NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL,
    disabled      boolean     NOT NULL DEFAULT false
);

CREATE INDEX users_org ON users (org_id, login_key);

-- Only the SHA-256 of a session id is stored: a copy of the database holds no live cookie.
CREATE TABLE sessions (
    id_hash    text        NOT NULL PRIMARY KEY,
    user_id    uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf       text        NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    last_seen  timestamptz NOT NULL
);

CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE login_failures (
    login_key text        NOT NULL,
    at        timestamptz NOT NULL
);

CREATE INDEX login_failures_key ON login_failures (login_key, at);
CREATE INDEX login_failures_at ON login_failures (at);

-- +goose Down
DROP TABLE login_failures;
DROP TABLE sessions;
DROP TABLE users;
DROP TABLE batches;
DROP INDEX orders_batch_row;
ALTER TABLE orders DROP COLUMN batch_row, DROP COLUMN batch_id;
