-- +goose Up
-- The nomenclature of cases (issue 17 §4) and the filing of orders into them by year.
CREATE TABLE cases (
    org_id          TEXT NOT NULL,
    idx             TEXT NOT NULL,
    title           TEXT NOT NULL,
    retention       TEXT NOT NULL,
    retention_years INTEGER NOT NULL,
    journal         TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (org_id, idx)
);
CREATE UNIQUE INDEX cases_journal ON cases (org_id, journal) WHERE journal <> '';
CREATE TABLE case_files (
    order_id uuid PRIMARY KEY,
    org_id   TEXT NOT NULL,
    case_idx TEXT NOT NULL,
    year     INTEGER NOT NULL,
    filed_by TEXT NOT NULL,
    filed_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX case_files_case ON case_files (org_id, case_idx, year);
-- +goose Down
DROP TABLE case_files;
DROP TABLE cases;
