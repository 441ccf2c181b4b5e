-- +goose Up
-- Full-text search reads a narrow table of its own (issue 12). In orders a row averages
-- 2.9 KB (the draft and the text stay in it), so a search read a heap page per candidate:
-- every match of an organization to sort them (0.35–1 s for 7,500 matches), or ~87 µs per
-- order walking it newest first. Here a row is the order's id, organization and creation
-- time, with the vector moved out of line (toast_tuple_target, STORAGE EXTERNAL), so a heap
-- page holds ~100 candidates: a list walks the organization's newest orders here (common
-- words) or reads its matches from the GIN index and sorts them (see fullTextWindow), and
-- reads orders for the page only. On a million orders this migration takes about a minute.
-- The driver writes it in the statement or transaction that writes the order's text; the
-- foreign key removes it with its order.
CREATE TABLE order_search (
    id         uuid        PRIMARY KEY REFERENCES orders (id) ON DELETE CASCADE,
    org_id     text        NOT NULL,
    created_at timestamptz NOT NULL,
    search_tsv tsvector    NOT NULL
) WITH (toast_tuple_target = 128);
ALTER TABLE order_search ALTER COLUMN search_tsv SET STORAGE EXTERNAL;

-- search_tsv holds, besides the words, the lexeme '@' || org_id, which no word can be: the
-- index then finds one organization's matches (see searchVector in the driver). The rows go in
-- the order of the organization's list, so that its orders share heap pages.
INSERT INTO order_search (id, org_id, created_at, search_tsv)
    SELECT id, org_id, created_at, search_tsv || array_to_tsvector(ARRAY['@' || org_id])
    FROM orders ORDER BY org_id, created_at DESC, id DESC;

CREATE INDEX order_search_tsv ON order_search USING gin (search_tsv);
CREATE INDEX order_search_org_created ON order_search (org_id, created_at DESC, id DESC);

DROP INDEX orders_search_tsv;
ALTER TABLE orders DROP COLUMN search_tsv;
-- Without statistics the planner cannot tell common words (walk the organization) from rare
-- ones (read the matches) until autovacuum gets to the new table.
ANALYZE order_search;

-- +goose Down
ALTER TABLE orders ADD COLUMN search_tsv tsvector NOT NULL DEFAULT ''::tsvector;
UPDATE orders SET search_tsv = ts_delete(s.search_tsv, '@' || s.org_id) FROM order_search s WHERE s.id = orders.id;
CREATE INDEX orders_search_tsv ON orders USING gin (search_tsv);
DROP TABLE order_search;
