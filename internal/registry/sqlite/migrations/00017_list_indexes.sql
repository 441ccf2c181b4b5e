-- +goose Up
-- Indexes for the lists of a registry of a million orders (issue 12). Every list is one
-- organization's, newest first; without these, a filter that few of its orders pass
-- (status=queued, a number, a week) walked orders_org_created through all of them.
--
-- Status and state lists read their rows in the list's order and stop at the page.
CREATE INDEX orders_org_status_created ON orders (org_id, status, created_at DESC, id DESC);
CREATE INDEX orders_org_state_created ON orders (org_id, state, created_at DESC, id DESC);
-- A number is looked up within the organization; created_at and id make the index give the
-- list order too, which a planner without statistics (SQLite) then prefers to orders_org_created.
-- Partial, as the query's number <> '' says.
CREATE INDEX orders_org_number ON orders (org_id, number, created_at DESC, id DESC) WHERE number <> '';
-- A date range (an export of a month) reads the range from here; created_at and id are in
-- the index so the sort and the cursor need no table rows, which are read for the page only.
CREATE INDEX orders_org_date ON orders (org_id, order_date, created_at, id) WHERE order_date <> '';
-- +goose Down
DROP INDEX orders_org_date;
DROP INDEX orders_org_number;
DROP INDEX orders_org_state_created;
DROP INDEX orders_org_status_created;
