-- +goose Up
-- An organization's emblem (a clean PNG) and its own DOCX letterhead template (issue 15 §4);
-- empty when it has none.
ALTER TABLE organizations ADD COLUMN emblem bytea NOT NULL DEFAULT '\x';
ALTER TABLE organizations ADD COLUMN letterhead bytea NOT NULL DEFAULT '\x';
-- +goose Down
ALTER TABLE organizations DROP COLUMN letterhead;
ALTER TABLE organizations DROP COLUMN emblem;
