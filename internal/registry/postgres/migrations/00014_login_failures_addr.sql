-- +goose Up
-- Login failures count per login and source address (issue 12): the old rows have no
-- address and are at most a day's worth of throttling, so they are dropped.
DROP TABLE login_failures;
CREATE TABLE login_failures (
    login_key text        NOT NULL,
    addr      text        NOT NULL,
    at        timestamptz NOT NULL
);
CREATE INDEX login_failures_key ON login_failures (login_key, addr, at);
CREATE INDEX login_failures_at ON login_failures (at);

-- +goose Down
DROP TABLE login_failures;
CREATE TABLE login_failures (
    login_key text        NOT NULL,
    at        timestamptz NOT NULL
);
CREATE INDEX login_failures_key ON login_failures (login_key, at);
CREATE INDEX login_failures_at ON login_failures (at);
