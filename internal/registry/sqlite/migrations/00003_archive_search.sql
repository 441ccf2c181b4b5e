-- +goose Up
-- full_text is the plain text of the document as the caller gave it (Order.SearchText).
ALTER TABLE orders ADD COLUMN full_text TEXT NOT NULL DEFAULT '';

-- FTS5 needs an integer rowid that never changes, which orders (TEXT primary key) lacks:
-- order_search maps each order to one, and holds the Snowball stems made in Go (analyzer is
-- the version of that analysis, so the driver can re-index after a change). order_fts is an
-- external-content index of it, kept in step by triggers.
CREATE TABLE order_search (
    docid    INTEGER PRIMARY KEY,
    order_id TEXT    NOT NULL UNIQUE,
    stems    TEXT    NOT NULL,
    analyzer INTEGER NOT NULL
) STRICT;

-- The stems are already lower-case and split; unicode61 only splits at the spaces, and must
-- not strip diacritics (it would fold й into и).
CREATE VIRTUAL TABLE order_fts USING fts5(
    stems, content = 'order_search', content_rowid = 'docid', tokenize = 'unicode61 remove_diacritics 0'
);

-- +goose StatementBegin
CREATE TRIGGER order_search_ai AFTER INSERT ON order_search BEGIN
    INSERT INTO order_fts (rowid, stems) VALUES (new.docid, new.stems);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER order_search_ad AFTER DELETE ON order_search BEGIN
    INSERT INTO order_fts (order_fts, rowid, stems) VALUES ('delete', old.docid, old.stems);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER order_search_au AFTER UPDATE ON order_search BEGIN
    INSERT INTO order_fts (order_fts, rowid, stems) VALUES ('delete', old.docid, old.stems);
    INSERT INTO order_fts (rowid, stems) VALUES (new.docid, new.stems);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER orders_search_ad AFTER DELETE ON orders BEGIN
    DELETE FROM order_search WHERE order_id = old.id;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER orders_search_ad;
DROP TABLE order_fts;
DROP TABLE order_search;
ALTER TABLE orders DROP COLUMN full_text;
