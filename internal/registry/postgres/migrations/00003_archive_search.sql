-- +goose Up
-- full_text is the plain text of the document as the caller gave it (Order.SearchText).
-- search_tsv indexes the title and that text with the 'russian' configuration; the driver
-- passes the words as split and folded in Go (see driver.IndexDoc), so that PostgreSQL and
-- SQLite see the same words.
ALTER TABLE orders
    ADD COLUMN full_text  text     NOT NULL DEFAULT '',
    ADD COLUMN search_tsv tsvector NOT NULL DEFAULT ''::tsvector;

-- Orders from before: their title is all there is (search_text is the folded title).
UPDATE orders SET search_tsv = to_tsvector('russian', search_text);

CREATE INDEX orders_search_tsv ON orders USING gin (search_tsv);

-- +goose Down
DROP INDEX orders_search_tsv;
ALTER TABLE orders DROP COLUMN search_tsv, DROP COLUMN full_text;
