-- +goose Up
-- The draft and the plain text of an order (kilobytes each) move out of its orders row.
-- SQLite rewrites a whole row, overflow pages included, on every UPDATE: each status change
-- of a worker (queued → rendering → rendered) rewrote and logged the draft and the text again,
-- about eight pages where two or three do. Now those changes touch a row of a few hundred
-- bytes, and the documents are written when they change.
CREATE TABLE order_docs (
    order_id  TEXT NOT NULL PRIMARY KEY,
    draft     BLOB NOT NULL,
    full_text TEXT NOT NULL DEFAULT ''
) STRICT;

INSERT INTO order_docs (order_id, draft, full_text) SELECT id, draft, full_text FROM orders;

ALTER TABLE orders DROP COLUMN draft;
ALTER TABLE orders DROP COLUMN full_text;

-- +goose StatementBegin
CREATE TRIGGER orders_docs_ad AFTER DELETE ON orders BEGIN
    DELETE FROM order_docs WHERE order_id = old.id;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER orders_docs_ad;
ALTER TABLE orders ADD COLUMN draft BLOB NOT NULL DEFAULT x'';
ALTER TABLE orders ADD COLUMN full_text TEXT NOT NULL DEFAULT '';
UPDATE orders SET draft = d.draft, full_text = d.full_text FROM order_docs d WHERE d.order_id = orders.id;
DROP TABLE order_docs;
