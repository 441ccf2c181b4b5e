package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"orders/internal/registry"
	"orders/internal/registry/internal/driver"
)

const orderCols = "id, org_id, kind, title, order_date, number, status, draft, draft_hash, idempotency_key, " +
	"created_at, updated_at, rendered_at, attempts, error, " +
	"pdf_key, pdf_sha256, pdf_size, docx_key, docx_sha256, docx_size, " +
	"state, journal_id, seq, registered_at, signed_at, cancelled_at, cancel_reason, signatory, " +
	"signed_key, signed_sha256, signed_size, full_text, batch_id, batch_row, print_rev, cancelled_by, imported, created_by"

// listCols leaves the draft and the full text out: lists do not need them and they are the
// bulk of an order. It reads orders alone; orderCols reads fromOrders, which joins the order's
// documents (see migration 00008).
var listCols = strings.Replace(strings.Replace(orderCols, " draft,", " NULL,", 1), " full_text", " ''", 1)

const fromOrders = ` FROM orders JOIN order_docs ON order_docs.order_id = orders.id`

type scanner interface{ Scan(dest ...any) error }

func scanOrder(row scanner) (*registry.Order, error) {
	var (
		o                           registry.Order
		id, status, state           string
		created, updated            string
		rendered                    sql.NullString
		registered, signed, cancels sql.NullString
		draft                       []byte
		batch                       sql.NullString
	)
	err := row.Scan(&id, &o.OrgID, &o.Kind, &o.Title, &o.Date, &o.Number, &status, &draft, &o.DraftHash,
		&o.IdempotencyKey, &created, &updated, &rendered, &o.Attempts, &o.Error,
		&o.PDFKey, &o.PDFSHA256, &o.PDFSize, &o.DOCXKey, &o.DOCXSHA256, &o.DOCXSize,
		&state, &o.Journal, &o.Seq, &registered, &signed, &cancels, &o.CancelReason, &o.Signatory,
		&o.SignedKey, &o.SignedSHA256, &o.SignedSize, &o.SearchText, &batch, &o.BatchRow, &o.PrintRev, &o.CancelledBy, &o.Imported, &o.CreatedBy)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, registry.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("registry/sqlite: scan order: %w", err)
	}
	if o.ID, err = uuid.Parse(id); err != nil {
		return nil, fmt.Errorf("registry/sqlite: stored order id %q: %w", id, err)
	}
	o.Status, o.State = registry.Status(status), registry.State(state)
	o.Draft = draft
	if batch.Valid {
		b, err := uuid.Parse(batch.String)
		if err != nil {
			return nil, fmt.Errorf("registry/sqlite: stored batch id %q: %w", batch.String, err)
		}
		o.BatchID = &b
	}
	if o.CreatedAt, err = parseTime(created); err != nil {
		return nil, err
	}
	if o.UpdatedAt, err = parseTime(updated); err != nil {
		return nil, err
	}
	for _, f := range []struct {
		src sql.NullString
		dst **time.Time
	}{{rendered, &o.RenderedAt}, {registered, &o.RegisteredAt}, {signed, &o.SignedAt}, {cancels, &o.CancelledAt}} {
		if f.src.Valid {
			t, err := parseTime(f.src.String)
			if err != nil {
				return nil, err
			}
			*f.dst = &t
		}
	}
	return &o, nil
}

func scanOrders(rows *sql.Rows) ([]registry.Order, error) {
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
		return nil, fmt.Errorf("registry/sqlite: list orders: %w", err)
	}
	return out, nil
}

var (
	qInsertOrder = stmt(`INSERT INTO orders (` + strings.NewReplacer(" draft,", "", ", full_text", "").Replace(orderCols) +
		`, search_text, signatory_search)
		VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20,
			?21, '', 0, NULL, NULL, NULL, '', '', '', '', 0, ?22, ?23, 0, '', ?25, ?26, ?24, '')
		ON CONFLICT DO NOTHING`)
	qInsertDocs = stmt(`INSERT INTO order_docs (order_id, draft, full_text) VALUES (?1, ?2, ?3)`)
	qUpdateDocs = stmt(`UPDATE order_docs SET draft = ?2, full_text = ?3 WHERE order_id = ?1`)
	qOrderByKey = stmt(`SELECT ` + orderCols + fromOrders + ` WHERE org_id = ?1 AND idempotency_key = ?2`)
	// The full-text index (see migration 00007): order_search gives each order a docid,
	// order_fts holds the stems under it.
	qSearchDoc    = stmt(`SELECT docid, analyzer FROM order_search WHERE order_id = ?1`)
	qNewSearchDoc = stmt(`INSERT INTO order_search (order_id, analyzer) VALUES (?1, ?2)`) // docid is the rowid
	qSetAnalyzer  = stmt(`UPDATE order_search SET analyzer = ?2 WHERE docid = ?1`)
	qUnindex      = stmt(`DELETE FROM order_fts WHERE rowid = ?1`)
	qIndexStems   = stmt(`INSERT INTO order_fts (rowid, stems) VALUES (?1, ?2)`)
	qLatest       = stmt(`SELECT created_at FROM orders ORDER BY created_at DESC LIMIT 1`)
	qOrder        = stmt(`SELECT ` + orderCols + fromOrders + ` WHERE id = ?1`)
	qOrgOrder     = stmt(`SELECT ` + orderCols + fromOrders + ` WHERE id = ?1 AND org_id = ?2`)
	qUpdateOrder  = stmt(`UPDATE orders SET kind = ?2, title = ?3, search_text = ?4, order_date = ?5,
		number = ?6, status = ?7, draft_hash = ?8, updated_at = ?9, rendered_at = ?10,
		attempts = ?11, error = ?12, pdf_key = ?13, pdf_sha256 = ?14, pdf_size = ?15,
		docx_key = ?16, docx_sha256 = ?17, docx_size = ?18,
		state = ?19, journal_id = ?20, seq = ?21, registered_at = ?22, signed_at = ?23, cancelled_at = ?24,
		cancel_reason = ?25, signatory = ?26, signatory_search = ?27, signed_key = ?28, signed_sha256 = ?29,
		signed_size = ?30, print_rev = ?31, cancelled_by = ?32
		WHERE id = ?1`)
	qDeleteOrder = stmt(`DELETE FROM orders WHERE id = ?1`)
	// Every column that holds a document-store key. No index serves it: a scan of the
	// orders, only when a draft is deleted, costs less than three more indexes that every
	// render would update.
	qDocReferenced = stmt(`SELECT EXISTS (SELECT 1 FROM orders WHERE pdf_key = ?1 OR docx_key = ?1 OR signed_key = ?1)
		OR EXISTS (SELECT 1 FROM signatures WHERE key = ?1)`)
	qStale = stmt(`SELECT ` + listCols + ` FROM orders
		WHERE status = ?1 AND updated_at < ?2 ORDER BY updated_at, id LIMIT ?3`)
	qCountStatus = stmt(`SELECT status, count(*) FROM orders GROUP BY status`)
	qCountState  = stmt(`SELECT state, count(*) FROM orders GROUP BY state`)
)

// insertOrder inserts a prepared order with its index terms (made by the caller, outside the
// transaction: stemming is the costliest part of an insert, and the write lock is held only
// for the database work). inserted is false if the ID or idempotency key exists.
func insertOrder(ctx context.Context, q querier, o *registry.Order, stems string) (inserted bool, err error) {
	// A new order's docid is the largest, so its created_at must not be earlier than any
	// other's (see search.go). The clock was read before the write lock: an order that took
	// the lock first may have a later time, by the moments the lock was waited for.
	var latest string
	switch err := q.QueryRowContext(ctx, qLatest).Scan(&latest); {
	case err == nil:
		if t, err := parseTime(latest); err != nil {
			return false, err
		} else if o.CreatedAt.Before(t) {
			if o.UpdatedAt.Equal(o.CreatedAt) {
				o.UpdatedAt = t
			}
			o.CreatedAt = t
		}
	case !errors.Is(err, sql.ErrNoRows):
		return false, fmt.Errorf("registry/sqlite: create order: %w", err)
	}
	res, err := q.ExecContext(ctx, qInsertOrder,
		o.ID.String(), o.OrgID, o.Kind, o.Title, o.Date, o.Number, string(o.Status), o.DraftHash,
		o.IdempotencyKey, fmtTime(o.CreatedAt), fmtTime(o.UpdatedAt), fmtTimePtr(o.RenderedAt), o.Attempts, o.Error,
		o.PDFKey, o.PDFSHA256, o.PDFSize, o.DOCXKey, o.DOCXSHA256, o.DOCXSize,
		string(o.State), uuidPtr(o.BatchID), o.BatchRow, driver.SearchText(o.Title), o.Imported, o.CreatedBy)
	if err != nil {
		return false, fmt.Errorf("registry/sqlite: create order: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("registry/sqlite: create order: %w", err)
	}
	if n == 0 {
		return false, nil
	}
	if _, err := q.ExecContext(ctx, qInsertDocs, o.ID.String(), o.Draft, o.SearchText); err != nil {
		return false, fmt.Errorf("registry/sqlite: create order: %w", err)
	}
	return true, indexStems(ctx, q, o.ID, o.OrgID, stems, true)
}

// CreateOrder implements registry.Orders.
func (s *Store) CreateOrder(ctx context.Context, o *registry.Order) (bool, error) {
	if err := driver.PrepareOrder(o, driver.Now()); err != nil {
		return false, err
	}
	stems := driver.IndexStems(o.Title, o.SearchText)
	var created bool
	err := s.write(ctx, func(tx txq) error {
		// DO NOTHING covers both unique indexes: the idempotency key, which the caller may
		// reuse on purpose, and the primary key, which is a caller's mistake.
		var err error
		if created, err = insertOrder(ctx, tx, o, stems); err != nil {
			return err
		} else if created {
			return insertVersion(ctx, tx, driver.FirstVersion(o))
		}
		if o.IdempotencyKey == "" {
			return fmt.Errorf("%w: order %s exists", registry.ErrConflict, o.ID)
		}
		existing, err := scanOrder(tx.QueryRowContext(ctx, qOrderByKey, o.OrgID, o.IdempotencyKey))
		if errors.Is(err, registry.ErrNotFound) {
			return fmt.Errorf("%w: order %s exists", registry.ErrConflict, o.ID)
		}
		if err != nil {
			return err
		}
		if existing.DraftHash != o.DraftHash {
			return fmt.Errorf("%w: idempotency key %q was used for another draft", registry.ErrConflict, o.IdempotencyKey)
		}
		*o = *existing
		return nil
	})
	if err != nil {
		return false, err
	}
	return created, nil
}

// index stores the full-text terms of an order of org, replacing those it had.
func index(ctx context.Context, q querier, id uuid.UUID, org, title, text string) error {
	return indexStems(ctx, q, id, org, driver.IndexStems(title, text), false)
}

// indexStems stores the index terms of an order; fresh says it has none yet (it was just
// inserted), which saves looking.
func indexStems(ctx context.Context, q querier, id uuid.UUID, org, stems string, fresh bool) error {
	var docid, analyzer int64
	err := sql.ErrNoRows
	if !fresh {
		err = q.QueryRowContext(ctx, qSearchDoc, id.String()).Scan(&docid, &analyzer)
	}
	switch {
	case err == nil:
		// Analyzer 0 is a document not in the index (migration 00018); deleting it would
		// only leave a tombstone there.
		if analyzer != 0 {
			_, err = q.ExecContext(ctx, qUnindex, docid)
		}
		if err == nil {
			_, err = q.ExecContext(ctx, qSetAnalyzer, docid, driver.AnalyzerVersion)
		}
	case errors.Is(err, sql.ErrNoRows):
		// Exec and LastInsertId cost less than RETURNING, which goes through a result set.
		var res sql.Result
		if res, err = q.ExecContext(ctx, qNewSearchDoc, id.String(), driver.AnalyzerVersion); err == nil {
			docid, err = res.LastInsertId()
		}
	}
	if err == nil {
		_, err = q.ExecContext(ctx, qIndexStems, docid, IndexDoc(org, stems))
	}
	if err != nil {
		return fmt.Errorf("registry/sqlite: index order: %w", err)
	}
	return nil
}

func getOrder(ctx context.Context, q querier, orgID string, id uuid.UUID) (*registry.Order, error) {
	if orgID == "" {
		return scanOrder(q.QueryRowContext(ctx, qOrder, id.String()))
	}
	return scanOrder(q.QueryRowContext(ctx, qOrgOrder, id.String(), orgID))
}

// GetOrder implements registry.Orders.
func (s *Store) GetOrder(ctx context.Context, orgID string, id uuid.UUID) (*registry.Order, error) {
	o, err := getOrder(ctx, s.r(), orgID, id)
	return o, unavailable(err)
}

// ListOrders implements registry.Orders.
func (s *Store) ListOrders(ctx context.Context, f registry.Filter) ([]registry.Order, string, error) {
	var list []registry.Order
	var limit int
	var err error
	if f.Sort != "" {
		if list, _, err = s.listWith(ctx, dialectSet(f), f); err != nil {
			return nil, "", err
		}
		list, next := driver.SortedPage(list, f)
		return list, next, nil
	}
	switch {
	case len(driver.QueryTerms(f.FullText)) == 0:
		list, limit, err = s.listWith(ctx, dialect, f)
	case onlyText(f):
		list, limit, err = s.listSearch(ctx, f)
	default:
		list, limit, err = s.listWith(ctx, dialectSet(f), f)
	}
	if err != nil {
		return nil, "", err
	}
	list, next := driver.Page(list, limit)
	return list, next, nil
}

// CountOrders implements registry.Orders.
func (s *Store) CountOrders(ctx context.Context, f registry.Filter) (int, error) {
	query, args, err := driver.CountQuery(dialectSet(f), f)
	if err != nil {
		return 0, err
	}
	var n int
	if err := s.db.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
		return 0, unavailable(fmt.Errorf("registry/sqlite: count orders: %w", err))
	}
	return n, nil
}

// listWith runs the list query of f in dialect d; limit is the page size.
func (s *Store) listWith(ctx context.Context, d *driver.Dialect, f registry.Filter) ([]registry.Order, int, error) {
	query, args, limit, err := driver.ListQuery(d, listCols, f)
	if err != nil {
		return nil, 0, err
	}
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, 0, unavailable(fmt.Errorf("registry/sqlite: list orders: %w", err))
	}
	list, err := scanOrders(rows)
	return list, limit, err
}

// modify runs m on the order inside a write transaction, which holds the write lock from the
// read to the write, so concurrent transitions cannot interleave, and numbers and audit
// entries are taken one transaction at a time. A refusal by m returns the order as loaded.
func (s *Store) modify(ctx context.Context, orgID string, id uuid.UUID, m driver.TxMutation) (*registry.Order, bool, error) {
	var o *registry.Order
	var write bool
	var refused error
	err := s.write(ctx, func(tx txq) error {
		var err error
		if o, err = getOrder(ctx, tx, orgID, id); err != nil {
			return err
		}
		was := loadedAs(o)
		if write, refused = m(ctx, txOps{tx, s.auditKey}, o, driver.Now()); refused != nil || !write {
			return refused
		}
		return storeOrder(ctx, tx, o, was)
	})
	switch {
	case refused != nil:
		return o, false, refused
	case err != nil:
		return nil, false, err
	}
	return o, write, nil
}

// loaded is what storeOrder compares with to find what changed.
type loaded struct{ title, text, draftHash string }

func loadedAs(o *registry.Order) loaded { return loaded{o.Title, o.SearchText, o.DraftHash} }

// storeOrder writes a changed order back; was describes it as it was loaded. Most transitions
// (the worker's) change neither the draft nor the text: then only the orders row is
// written, and the full-text index is left alone, since stemming costs.
func storeOrder(ctx context.Context, tx querier, o *registry.Order, was loaded) error {
	if err := updateOrder(ctx, tx, o); err != nil {
		return err
	}
	if o.DraftHash != was.draftHash || o.SearchText != was.text {
		if _, err := tx.ExecContext(ctx, qUpdateDocs, o.ID.String(), driver.NonNil(o.Draft), o.SearchText); err != nil {
			return fmt.Errorf("registry/sqlite: update order: %w", err)
		}
	}
	if o.Title != was.title || o.SearchText != was.text {
		return index(ctx, tx, o.ID, o.OrgID, o.Title, o.SearchText)
	}
	return nil
}

func updateOrder(ctx context.Context, tx querier, o *registry.Order) error {
	_, err := tx.ExecContext(ctx, qUpdateOrder,
		o.ID.String(), o.Kind, o.Title, driver.SearchText(o.Title), o.Date, o.Number, string(o.Status),
		o.DraftHash, fmtTime(o.UpdatedAt), fmtTimePtr(o.RenderedAt), o.Attempts, o.Error,
		o.PDFKey, o.PDFSHA256, o.PDFSize, o.DOCXKey, o.DOCXSHA256, o.DOCXSize,
		string(o.State), o.Journal, o.Seq, fmtTimePtr(o.RegisteredAt), fmtTimePtr(o.SignedAt), fmtTimePtr(o.CancelledAt),
		o.CancelReason, o.Signatory, driver.SearchText(o.Signatory), o.SignedKey, o.SignedSHA256, o.SignedSize,
		o.PrintRev, o.CancelledBy)
	if err != nil {
		return fmt.Errorf("registry/sqlite: update order: %w", err)
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
	err := s.write(ctx, func(tx txq) error {
		freed = nil // a retried function starts over
		o, err := getOrder(ctx, tx, orgID, id)
		if err != nil {
			return err
		}
		if err := driver.CheckDelete(o, allowed); err != nil {
			return err
		}
		if err := driver.CheckNotOnApproval(ctx, txOps{tx, s.auditKey}, o.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, qDeleteOrder, id.String()); err != nil {
			return fmt.Errorf("registry/sqlite: delete order: %w", err)
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
	return documentReferenced(ctx, s.r(), key)
}

func documentReferenced(ctx context.Context, q querier, key string) (bool, error) {
	var ref bool
	if err := q.QueryRowContext(ctx, qDocReferenced, key).Scan(&ref); err != nil {
		return false, fmt.Errorf("registry/sqlite: document referenced: %w", err)
	}
	return ref, nil
}

// ListStale implements registry.Orders.
func (s *Store) ListStale(ctx context.Context, status registry.Status, olderThan time.Time, limit int) ([]registry.Order, error) {
	rows, err := s.r().QueryContext(ctx, qStale, string(status), fmtTime(olderThan), driver.Limit(limit))
	if err != nil {
		return nil, fmt.Errorf("registry/sqlite: list stale: %w", err)
	}
	return scanOrders(rows)
}

// CountByStatus implements registry.Orders.
func (s *Store) CountByStatus(ctx context.Context) (map[registry.Status]int, error) {
	return countBy[registry.Status](ctx, s.r(), qCountStatus)
}

// CountByState implements registry.Orders.
func (s *Store) CountByState(ctx context.Context) (map[registry.State]int, error) {
	return countBy[registry.State](ctx, s.r(), qCountState)
}

// countBy runs a query of (key, count) rows.
func countBy[K ~string](ctx context.Context, q querier, query string, args ...any) (map[K]int, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("registry/sqlite: count: %w", err)
	}
	defer rows.Close()
	counts := make(map[K]int)
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			return nil, fmt.Errorf("registry/sqlite: count: %w", err)
		}
		counts[K(k)] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("registry/sqlite: count: %w", err)
	}
	return counts, nil
}
