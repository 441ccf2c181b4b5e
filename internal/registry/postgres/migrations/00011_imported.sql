-- +goose Up
-- Orders registered elsewhere (a paper archive) are taken in by ImportOrder: they keep the
-- number and date they were given there, take nothing from a journal, and their document is
-- the uploaded PDF, never a render. A column with a constant default does not rewrite the table.
ALTER TABLE orders ADD COLUMN imported boolean NOT NULL DEFAULT false;

-- The same file imported twice is one order: the second import is refused, naming the first.
CREATE UNIQUE INDEX orders_imported_pdf ON orders (org_id, pdf_sha256) WHERE imported;
-- One imported order per kind, number and year of an organization: a second one is almost
-- always the same paper scanned twice. Numbers issued by journals are not compared: an
-- imported «15» of 2019 and a journal's «15» of 2019 are different records.
CREATE UNIQUE INDEX orders_imported_number ON orders (org_id, kind, number, left(order_date, 4)) WHERE imported;

-- +goose Down
DROP INDEX orders_imported_number;
DROP INDEX orders_imported_pdf;
ALTER TABLE orders DROP COLUMN imported;
