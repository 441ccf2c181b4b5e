package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"orders/internal/registry"
	"orders/internal/registry/internal/driver"
)

const orderCols = "id, org_id, kind, title, order_date, number, status, draft, draft_hash, idempotency_key, " +
	"created_at, updated_at, rendered_at, attempts, error, " +
	"pdf_key, pdf_sha256, pdf_size, docx_key, docx_sha256, docx_size, " +
	"state, journal_id, seq, registered_at, signed_at, cancelled_at, cancel_reason, signatory, " +
	"signed_key, signed_sha256, signed_size, full_text, batch_id, batch_row, print_rev, cancelled_by, imported, created_by"

// listCols leaves the draft and the full text out: lists do not need them and they are the
// bulk of a row.
var listCols = strings.Replace(strings.Replace(orderCols, " draft,", " NULL::bytea,", 1), " full_text", " ''::text", 1)

func scanOrder(row pgx.Row) (*registry.Order, error) {
	var (
		o             registry.Order
		status, state string
	)
	err := row.Scan(&o.ID, &o.OrgID, &o.Kind, &o.Title, &o.Date, &o.Number, &status, &o.Draft, &o.DraftHash,
		&o.IdempotencyKey, &o.CreatedAt, &o.UpdatedAt, &o.RenderedAt, &o.Attempts, &o.Error,
		&o.PDFKey, &o.PDFSHA256, &o.PDFSize, &o.DOCXKey, &o.DOCXSHA256, &o.DOCXSize,
		&state, &o.Journal, &o.Seq, &o.RegisteredAt, &o.SignedAt, &o.CancelledAt, &o.CancelReason, &o.Signatory,
		&o.SignedKey, &o.SignedSHA256, &o.SignedSize, &o.SearchText, &o.BatchID, &o.BatchRow, &o.PrintRev, &o.CancelledBy, &o.Imported, &o.CreatedBy)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, registry.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("registry/postgres: scan order: %w", err)
	}
	o.Status, o.State = registry.Status(status), registry.State(state)
	o.CreatedAt, o.UpdatedAt = o.CreatedAt.UTC(), o.UpdatedAt.UTC()
	o.RenderedAt = utcPtr(o.RenderedAt)
	o.RegisteredAt, o.SignedAt, o.CancelledAt = utcPtr(o.RegisteredAt), utcPtr(o.SignedAt), utcPtr(o.CancelledAt)
	return &o, nil
}

func scanOrders(rows pgx.Rows) ([]registry.Order, error) {
	defer rows.Close()
	var out []registry.Order
	for rows.Next() {
		o, err := scanOrder(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("registry/postgres: list orders: %w", err)
	}
	return out, nil
}

// insertOrderSQL inserts the order and its row of order_search in one statement; it affects
// one row when the order was new and none when its ID or idempotency key exists.
var insertOrderSQL = `WITH ins AS (INSERT INTO orders (` + orderCols + `, search_text, signatory_search)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21,
		$22, '', 0, NULL, NULL, NULL, '', '', '', '', 0, $23, $26, $27, 0, '', $28, $29, $24, '')
	ON CONFLICT DO NOTHING RETURNING id, org_id, created_at)
	INSERT INTO order_search (id, org_id, created_at, search_tsv)
	SELECT id, org_id, created_at, ` + searchVector("$25::text", "org_id") + ` FROM ins`

// createOrderSQL is insertOrderSQL that also records the draft as version 1 by its creator ($29), in the
// same statement (so in one transaction, and retried by the pool like any single statement);
// it affects one row when the order was new.
var createOrderSQL = `WITH ins AS (INSERT INTO orders (` + orderCols + `, search_text, signatory_search)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21,
		$22, '', 0, NULL, NULL, NULL, '', '', '', '', 0, $23, $26, $27, 0, '', $28, $29, $24, '')
	ON CONFLICT DO NOTHING RETURNING id, org_id, created_at),
	search AS (INSERT INTO order_search (id, org_id, created_at, search_tsv)
	SELECT id, org_id, created_at, ` + searchVector("$25::text", "org_id") + ` FROM ins)
	INSERT INTO draft_versions (order_id, version, draft, draft_hash, author, created_at)
	SELECT id, 1, $8, $9, $29, created_at FROM ins`

// insertArgs are the arguments of insertOrderSQL for a prepared order.
func insertArgs(o *registry.Order) []any {
	return []any{o.ID, o.OrgID, o.Kind, o.Title, o.Date, o.Number, string(o.Status), o.Draft, o.DraftHash,
		o.IdempotencyKey, o.CreatedAt, o.UpdatedAt, o.RenderedAt, o.Attempts, o.Error,
		o.PDFKey, o.PDFSHA256, o.PDFSize, o.DOCXKey, o.DOCXSHA256, o.DOCXSize,
		string(o.State), o.SearchText, driver.SearchText(o.Title), driver.IndexDoc(o.Title, o.SearchText),
		o.BatchID, o.BatchRow, o.Imported, o.CreatedBy}
}

// CreateOrder implements registry.Orders.
func (s *Store) CreateOrder(ctx context.Context, o *registry.Order) (bool, error) {
	if err := driver.PrepareOrder(o, driver.Now()); err != nil {
		return false, err
	}
	// DO NOTHING covers both unique indexes: the idempotency key, which the caller may reuse
	// on purpose, and the primary key, which is a caller's mistake. A concurrent insert of the
	// same key makes this one wait for it to commit, so the lookup below then sees it.
	tag, err := s.pool.Exec(ctx, createOrderSQL, insertArgs(o)...)
	if err != nil {
		return false, fmt.Errorf("registry/postgres: create order: %w", err)
	}
	if tag.RowsAffected() == 1 {
		return true, nil
	}
	if o.IdempotencyKey == "" {
		return false, fmt.Errorf("%w: order %s exists", registry.ErrConflict, o.ID)
	}
	existing, err := scanOrder(s.pool.QueryRow(ctx,
		`SELECT `+orderCols+` FROM orders WHERE org_id = $1 AND idempotency_key = $2`, o.OrgID, o.IdempotencyKey))
	if errors.Is(err, registry.ErrNotFound) {
		return false, fmt.Errorf("%w: order %s exists", registry.ErrConflict, o.ID)
	}
	if err != nil {
		return false, err
	}
	if existing.DraftHash != o.DraftHash {
		return false, fmt.Errorf("%w: idempotency key %q was used for another draft", registry.ErrConflict, o.IdempotencyKey)
	}
	*o = *existing
	return false, nil
}

// getOrder reads one order; suffix is appended to the query, e.g. to lock the row.
func getOrder(ctx context.Context, q querier, orgID string, id uuid.UUID, suffix string) (*registry.Order, error) {
	query := `SELECT ` + orderCols + ` FROM orders WHERE id = $1`
	args := []any{id}
	if orgID != "" {
		query += ` AND org_id = $2`
		args = append(args, orgID)
	}
	return scanOrder(q.QueryRow(ctx, query+suffix, args...))
}

// GetOrder implements registry.Orders.
func (s *Store) GetOrder(ctx context.Context, orgID string, id uuid.UUID) (*registry.Order, error) {
	return getOrder(ctx, s.pool, orgID, id, "")
}

// ListOrders implements registry.Orders.
func (s *Store) ListOrders(ctx context.Context, f registry.Filter) ([]registry.Order, string, error) {
	d := dialect
	if s.window != fullTextWindow {
		c := *dialect
		c.FullTextWindow = s.window
		d = &c
	}
	query, args, limit, err := driver.ListQuery(d, listCols, f)
	if err != nil {
		return nil, "", err
	}
	list, err := s.listOrders(ctx, query, args)
	if err != nil {
		return nil, "", err
	}
	if f.Sort != "" {
		list, next := driver.SortedPage(list, f)
		return list, next, nil
	}
	if len(list) <= limit && f.FullText != "" {
		// Less than a page in the window of a full-text list: the page may lie further back,
		// so the matches are read from the index (see fullTextWindow).
		q, a, _, err := driver.ListQuery(dialectMatches, listCols, f)
		if err != nil {
			return nil, "", err
		}
		if q != query {
			if list, err = s.listOrders(ctx, q, a); err != nil {
				return nil, "", err
			}
		}
	}
	list, next := driver.Page(list, limit)
	return list, next, nil
}

// CountOrders implements registry.Orders.
func (s *Store) CountOrders(ctx context.Context, f registry.Filter) (int, error) {
	query, args, err := driver.CountQuery(dialect, f)
	if err != nil {
		return 0, err
	}
	var n int
	if err := s.pool.QueryRow(ctx, query, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("registry/postgres: count orders: %w", err)
	}
	return n, nil
}

func (s *Store) listOrders(ctx context.Context, query string, args []any) ([]registry.Order, error) {
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("registry/postgres: list orders: %w", err)
	}
	return scanOrders(rows)
}

// inTx runs fn in a transaction and commits it unless fn fails.
func (s *Store) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("registry/postgres: begin: %w", err)
	}
	defer tx.Rollback(ctx)
	if err := fn(tx); err != nil {
		return unavailable(err)
	}
	if err := tx.Commit(ctx); err != nil {
		return unavailable(fmt.Errorf("registry/postgres: commit: %w", err))
	}
	return nil
}

// modify runs m on the order while holding its row lock, so concurrent transitions of one
// order take turns.
func (s *Store) modify(ctx context.Context, orgID string, id uuid.UUID, m driver.TxMutation) (*registry.Order, bool, error) {
	var o *registry.Order
	var write bool
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		if o, err = getOrder(ctx, tx, orgID, id, " FOR UPDATE"); err != nil {
			return err
		}
		title, text := o.Title, o.SearchText
		if write, err = m(ctx, txOps{tx, s.auditKey}, o, driver.Now()); err != nil || !write {
			return err
		}
		return updateOrder(ctx, tx, o, o.Title != title || o.SearchText != text)
	})
	if err != nil {
		return nil, false, err
	}
	return o, write, nil
}

// updateOrder writes a changed order back; reindex says its text changed.
func updateOrder(ctx context.Context, tx pgx.Tx, o *registry.Order, reindex bool) error {
	_, err := tx.Exec(ctx, `UPDATE orders SET kind = $2, title = $3, search_text = $4, order_date = $5,
		number = $6, status = $7, draft = $8, draft_hash = $9, updated_at = $10, rendered_at = $11,
		attempts = $12, error = $13, pdf_key = $14, pdf_sha256 = $15, pdf_size = $16,
		docx_key = $17, docx_sha256 = $18, docx_size = $19,
		state = $20, journal_id = $21, seq = $22, registered_at = $23, signed_at = $24, cancelled_at = $25,
		cancel_reason = $26, signatory = $27, signatory_search = $28, signed_key = $29, signed_sha256 = $30,
		signed_size = $31, full_text = $32, print_rev = $33, cancelled_by = $34
		WHERE id = $1`,
		o.ID, o.Kind, o.Title, driver.SearchText(o.Title), o.Date, o.Number, string(o.Status),
		driver.NonNil(o.Draft), o.DraftHash, o.UpdatedAt, o.RenderedAt, o.Attempts, o.Error,
		o.PDFKey, o.PDFSHA256, o.PDFSize, o.DOCXKey, o.DOCXSHA256, o.DOCXSize,
		string(o.State), o.Journal, o.Seq, o.RegisteredAt, o.SignedAt, o.CancelledAt,
		o.CancelReason, o.Signatory, driver.SearchText(o.Signatory), o.SignedKey, o.SignedSHA256,
		o.SignedSize, o.SearchText, o.PrintRev, o.CancelledBy)
	if err != nil {
		return fmt.Errorf("registry/postgres: update order: %w", err)
	}
	// The text search vector is remade only when its text changed: most transitions (the
	// worker's) do not touch it.
	if reindex {
		if _, err := tx.Exec(ctx, `UPDATE order_search SET search_tsv = `+searchVector("$2::text", "org_id")+` WHERE id = $1`,
			o.ID, driver.IndexDoc(o.Title, o.SearchText)); err != nil {
			return fmt.Errorf("registry/postgres: update order: search: %w", err)
		}
	}
	return nil
}

// UpdateDraft implements registry.Orders.
func (s *Store) UpdateDraft(ctx context.Context, orgID string, id uuid.UUID, u registry.DraftUpdate, allowed []registry.Status) (*registry.Order, error) {
	m, err := driver.EditDraftTx(u, allowed)
	if err != nil {
		return nil, err
	}
	o, _, err := s.modify(ctx, orgID, id, m)
	return o, err
}

// SetStatus implements registry.Orders.
func (s *Store) SetStatus(ctx context.Context, orgID string, id uuid.UUID, from []registry.Status, to registry.Status) (*registry.Order, error) {
	m, err := driver.SetStatus(from, to)
	if err != nil {
		return nil, err
	}
	o, _, err := s.modify(ctx, orgID, id, m.Tx())
	return o, err
}

// MarkRendering implements registry.Orders.
func (s *Store) MarkRendering(ctx context.Context, id uuid.UUID) (*registry.Order, error) {
	o, _, err := s.modify(ctx, "", id, driver.Mutation(driver.MarkRendering).Tx())
	return o, err
}

// MarkRendered implements registry.Orders.
func (s *Store) MarkRendered(ctx context.Context, id uuid.UUID, draftHash string, out registry.Outputs) (bool, error) {
	_, changed, err := s.modify(ctx, "", id, driver.MarkRendered(draftHash, out).Tx())
	return changed, err
}

// MarkFailed implements registry.Orders.
func (s *Store) MarkFailed(ctx context.Context, id uuid.UUID, reason string) error {
	_, _, err := s.modify(ctx, "", id, driver.MarkFailed(reason).Tx())
	return err
}

// DeleteOrder implements registry.Orders.
func (s *Store) DeleteOrder(ctx context.Context, orgID string, id uuid.UUID, allowed []registry.Status) ([]string, error) {
	var freed []string
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		freed = nil
		o, err := getOrder(ctx, tx, orgID, id, " FOR UPDATE")
		if err != nil {
			return err
		}
		if err := driver.CheckDelete(o, allowed); err != nil {
			return err
		}
		if err := driver.CheckNotOnApproval(ctx, txOps{tx, s.auditKey}, o.ID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM orders WHERE id = $1`, id); err != nil {
			return fmt.Errorf("registry/postgres: delete order: %w", err)
		}
		for _, key := range driver.DocumentKeys(o) {
			ref, err := documentReferenced(ctx, tx, key)
			if err != nil {
				return err
			}
			if !ref {
				freed = append(freed, key)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return freed, nil
}

// DocumentReferenced implements registry.Orders.
func (s *Store) DocumentReferenced(ctx context.Context, key string) (bool, error) {
	return documentReferenced(ctx, s.pool, key)
}

// documentReferenced looks at every column that holds a document-store key. No index serves
// it: a scan, only when a draft is deleted, costs less than three indexes every render updates.
func documentReferenced(ctx context.Context, q querier, key string) (bool, error) {
	var ref bool
	err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM orders WHERE pdf_key = $1 OR docx_key = $1 OR signed_key = $1)
		OR EXISTS (SELECT 1 FROM signatures WHERE key = $1)`, key).Scan(&ref)
	if err != nil {
		return false, fmt.Errorf("registry/postgres: document referenced: %w", err)
	}
	return ref, nil
}

// ListStale implements registry.Orders.
func (s *Store) ListStale(ctx context.Context, status registry.Status, olderThan time.Time, limit int) ([]registry.Order, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+listCols+` FROM orders
		WHERE status = $1 AND updated_at < $2 ORDER BY updated_at, id LIMIT $3`,
		string(status), olderThan, driver.Limit(limit))
	if err != nil {
		return nil, fmt.Errorf("registry/postgres: list stale: %w", err)
	}
	return scanOrders(rows)
}

// CountByStatus implements registry.Orders.
func (s *Store) CountByStatus(ctx context.Context) (map[registry.Status]int, error) {
	return countBy[registry.Status](ctx, s.pool, `SELECT status, count(*) FROM orders GROUP BY status`)
}

// CountByState implements registry.Orders.
func (s *Store) CountByState(ctx context.Context) (map[registry.State]int, error) {
	return countBy[registry.State](ctx, s.pool, `SELECT state, count(*) FROM orders GROUP BY state`)
}

// countBy runs a query of (key, count) rows.
func countBy[K ~string](ctx context.Context, q querier, query string, args ...any) (map[K]int, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("registry/postgres: count: %w", err)
	}
	defer rows.Close()
	counts := make(map[K]int)
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			return nil, fmt.Errorf("registry/postgres: count: %w", err)
		}
		counts[K(k)] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("registry/postgres: count: %w", err)
	}
	return counts, nil
}
