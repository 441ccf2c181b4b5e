package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"orders/internal/registry"
	"orders/internal/registry/internal/driver"
)

const batchCols = "id, org_id, key, mode, template, total, options, state, created_at, updated_at, created_by"

var (
	qInsertBatch = stmt(`INSERT INTO batches (` + batchCols + `)
		VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) ON CONFLICT DO NOTHING`)
	qBatch      = stmt(`SELECT ` + batchCols + ` FROM batches WHERE id = ?1 AND (?2 = '' OR org_id = ?2)`)
	qBatchByKey = stmt(`SELECT ` + batchCols + ` FROM batches WHERE org_id = ?1 AND key = ?2`)
	qBatchCount = stmt(`SELECT status, state, count(*) FROM orders WHERE batch_id = ?1 GROUP BY status, state`)
	qBatchPage  = stmt(`SELECT ` + listCols + ` FROM orders WHERE batch_id = ?1 AND batch_row > ?2
		ORDER BY batch_row LIMIT ?3`)
	qBatchDrafts = stmt(`SELECT ` + orderCols + fromOrders + ` WHERE batch_id = ?1 AND state = 'draft'
		ORDER BY batch_row`)
	qCancelBatchOrders = stmt(`UPDATE orders SET status = 'cancelled', updated_at = ?2
		WHERE batch_id = ?1 AND status = 'queued'`)
	qSetBatchState = stmt(`UPDATE batches SET state = ?2, updated_at = ?3 WHERE id = ?1`)
)

func scanBatch(row scanner) (*registry.Batch, error) {
	var b registry.Batch
	var id, state, created, updated string
	err := row.Scan(&id, &b.OrgID, &b.Key, &b.Mode, &b.Template, &b.Total, &b.Options, &state, &created, &updated, &b.CreatedBy)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, registry.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("registry/sqlite: scan batch: %w", err)
	}
	if b.ID, err = uuid.Parse(id); err != nil {
		return nil, fmt.Errorf("registry/sqlite: stored batch id %q: %w", id, err)
	}
	b.State = registry.BatchState(state)
	if b.CreatedAt, err = parseTime(created); err != nil {
		return nil, err
	}
	if b.UpdatedAt, err = parseTime(updated); err != nil {
		return nil, err
	}
	return &b, nil
}

func getBatch(ctx context.Context, q querier, orgID string, id uuid.UUID) (*registry.Batch, error) {
	return scanBatch(q.QueryRowContext(ctx, qBatch, id.String(), orgID))
}

// CreateBatch implements registry.Batches.
func (s *Store) CreateBatch(ctx context.Context, b *registry.Batch, orders []*registry.Order) (bool, error) {
	if err := driver.PrepareBatch(b, orders, driver.Now()); err != nil {
		return false, err
	}
	// Before the write turn: stemming 10,000 documents is seconds of CPU on one core, and
	// nobody else could write meanwhile.
	stems := driver.ParallelStems(len(orders), func(i int) (string, string) { return orders[i].Title, orders[i].SearchText })
	var created bool
	err := s.write(ctx, func(tx txq) (err error) {
		created, err = createBatch(ctx, tx, b, orders, stems)
		return err
	})
	if err != nil {
		return false, err
	}
	return created, nil
}

// CreateRegisteredBatch implements registry.Batches.
func (s *Store) CreateRegisteredBatch(ctx context.Context, b *registry.Batch, orders []*registry.Order, journal, date string,
	build func(o *registry.Order, number string, seq int) (registry.Registered, error),
	audit func(o *registry.Order) *registry.AuditEntry) (created bool, registered int, err error) {
	if err := driver.PrepareBatch(b, orders, driver.Now()); err != nil {
		return false, 0, err
	}
	if _, err := driver.CheckRegisterBatch(journal, date, build); err != nil {
		return false, 0, err
	}
	// As in CreateBatch, before the write turn. Registration replaces most of the text, but
	// not necessarily all of it, and only what changed is indexed again.
	stems := driver.ParallelStems(len(orders), func(i int) (string, string) { return orders[i].Title, orders[i].SearchText })
	err = s.write(ctx, func(tx txq) error {
		var err error
		if created, err = createBatch(ctx, tx, b, orders, stems); err != nil || !created {
			return err
		}
		registered, err = s.registerBatch(ctx, tx, b.OrgID, b.ID, journal, date, build, audit)
		return err
	})
	if err != nil {
		return false, 0, err
	}
	return created, registered, nil
}

// createBatch inserts a prepared batch and its orders, with their index terms stems, in a
// write transaction; created is false, and b the stored batch, if the organization has a
// batch with b.Key.
func createBatch(ctx context.Context, tx txq, b *registry.Batch, orders []*registry.Order, stems []string) (created bool, err error) {
	res, err := tx.ExecContext(ctx, qInsertBatch, b.ID.String(), b.OrgID, b.Key, b.Mode, b.Template, b.Total,
		b.Options, string(b.State), fmtTime(b.CreatedAt), fmtTime(b.UpdatedAt), b.CreatedBy)
	if err != nil {
		return false, fmt.Errorf("registry/sqlite: create batch: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return false, fmt.Errorf("registry/sqlite: create batch: %w", err)
	} else if n == 0 {
		existing, err := scanBatch(tx.QueryRowContext(ctx, qBatchByKey, b.OrgID, b.Key))
		if errors.Is(err, registry.ErrNotFound) {
			return false, fmt.Errorf("%w: batch %s exists", registry.ErrConflict, b.ID)
		}
		if err != nil {
			return false, err
		}
		*b = *existing
		return false, nil
	}
	// The insert statement is prepared once; each order costs only its execution.
	for i, o := range orders {
		inserted, err := insertOrder(ctx, tx, o, stems[i])
		if err != nil {
			return false, err
		}
		if !inserted {
			return false, fmt.Errorf("%w: batch row %d: order %s or its idempotency key exists", registry.ErrConflict, o.BatchRow, o.ID)
		}
	}
	return true, nil
}

// GetBatch implements registry.Batches.
func (s *Store) GetBatch(ctx context.Context, orgID string, id uuid.UUID) (*registry.Batch, error) {
	return getBatch(ctx, s.r(), orgID, id)
}

// ListBatches implements registry.Batches.
func (s *Store) ListBatches(ctx context.Context, orgID string, limit int) ([]registry.Batch, error) {
	query := `SELECT ` + batchCols + ` FROM batches`
	args := []any{driver.Limit(limit)}
	if orgID != "" {
		query += ` WHERE org_id = ?2`
		args = append(args, orgID)
	}
	rows, err := s.r().QueryContext(ctx, query+` ORDER BY created_at DESC, id DESC LIMIT ?1`, args...)
	if err != nil {
		return nil, fmt.Errorf("registry/sqlite: list batches: %w", err)
	}
	defer rows.Close()
	var out []registry.Batch
	for rows.Next() {
		b, err := scanBatch(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("registry/sqlite: list batches: %w", err)
	}
	return out, nil
}

// SetBatchState implements registry.Batches.
func (s *Store) SetBatchState(ctx context.Context, orgID string, id uuid.UUID, from []registry.BatchState, to registry.BatchState) (*registry.Batch, error) {
	if !to.Valid() {
		return nil, fmt.Errorf("%w: unknown batch state %q", registry.ErrInvalid, to)
	}
	var b *registry.Batch
	err := s.write(ctx, func(tx txq) error {
		var err error
		if b, err = getBatch(ctx, tx, orgID, id); err != nil {
			return err
		}
		if err := driver.CheckBatchState(b.State, from); err != nil {
			return err
		}
		b.State, b.UpdatedAt = to, driver.Now()
		if _, err := tx.ExecContext(ctx, qSetBatchState, id.String(), string(to), fmtTime(b.UpdatedAt)); err != nil {
			return fmt.Errorf("registry/sqlite: set batch state: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

// BatchCounts implements registry.Batches.
func (s *Store) BatchCounts(ctx context.Context, orgID string, id uuid.UUID) (map[registry.Status]int, map[registry.State]int, error) {
	if _, err := s.GetBatch(ctx, orgID, id); err != nil {
		return nil, nil, err
	}
	// One query, so the two maps describe the same moment.
	rows, err := s.r().QueryContext(ctx, qBatchCount, id.String())
	if err != nil {
		return nil, nil, fmt.Errorf("registry/sqlite: batch counts: %w", err)
	}
	defer rows.Close()
	byStatus, byState := make(map[registry.Status]int), make(map[registry.State]int)
	for rows.Next() {
		var status, state string
		var n int
		if err := rows.Scan(&status, &state, &n); err != nil {
			return nil, nil, fmt.Errorf("registry/sqlite: batch counts: %w", err)
		}
		byStatus[registry.Status(status)] += n
		byState[registry.State(state)] += n
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("registry/sqlite: batch counts: %w", err)
	}
	return byStatus, byState, nil
}

// ListBatchOrders implements registry.Batches.
func (s *Store) ListBatchOrders(ctx context.Context, orgID string, id uuid.UUID, afterRow, limit int) ([]registry.Order, error) {
	if _, err := s.GetBatch(ctx, orgID, id); err != nil {
		return nil, err
	}
	rows, err := s.r().QueryContext(ctx, qBatchPage, id.String(), afterRow, driver.Limit(limit))
	if err != nil {
		return nil, fmt.Errorf("registry/sqlite: list batch orders: %w", err)
	}
	return scanOrders(rows)
}

// CancelBatch implements registry.Batches.
func (s *Store) CancelBatch(ctx context.Context, orgID string, id uuid.UUID) (int, error) {
	var cancelled int64
	err := s.write(ctx, func(tx txq) error {
		b, err := getBatch(ctx, tx, orgID, id)
		if err != nil {
			return err
		}
		now := fmtTime(driver.Now())
		// The write turn excludes every worker's MarkRendering meanwhile: an order is either
		// started before (rendering, left alone) or refused after (cancelled).
		res, err := tx.ExecContext(ctx, qCancelBatchOrders, id.String(), now)
		if err == nil {
			cancelled, err = res.RowsAffected()
		}
		if err != nil {
			return fmt.Errorf("registry/sqlite: cancel batch orders: %w", err)
		}
		if b.State != registry.BatchCancelled {
			if _, err := tx.ExecContext(ctx, qSetBatchState, id.String(), string(registry.BatchCancelled), now); err != nil {
				return fmt.Errorf("registry/sqlite: cancel batch: %w", err)
			}
		}
		return nil
	})
	return int(cancelled), err
}

// RegisterBatch implements registry.Batches.
func (s *Store) RegisterBatch(ctx context.Context, orgID string, batchID uuid.UUID, journal, date string,
	build func(o *registry.Order, number string, seq int) (registry.Registered, error),
	audit func(o *registry.Order) *registry.AuditEntry) (int, error) {
	if _, err := driver.CheckRegisterBatch(journal, date, build); err != nil {
		return 0, err
	}
	var n int
	err := s.write(ctx, func(tx txq) (err error) {
		n, err = s.registerBatch(ctx, tx, orgID, batchID, journal, date, build, audit)
		return err
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// registerBatch registers the batch's drafts in a write transaction (see RegisterBatch).
func (s *Store) registerBatch(ctx context.Context, tx txq, orgID string, batchID uuid.UUID, journal, date string,
	build func(o *registry.Order, number string, seq int) (registry.Registered, error),
	audit func(o *registry.Order) *registry.AuditEntry) (int, error) {
	b, err := getBatch(ctx, tx, orgID, batchID)
	if err != nil {
		return 0, err
	}
	if b.State == registry.BatchCancelled {
		return 0, fmt.Errorf("%w: the batch is cancelled", registry.ErrConflict)
	}
	rows, err := tx.QueryContext(ctx, qBatchDrafts, batchID.String())
	if err != nil {
		return 0, fmt.Errorf("registry/sqlite: batch drafts: %w", err)
	}
	list, err := scanOrders(rows)
	if err != nil {
		return 0, err
	}
	ptrs := make([]*registry.Order, len(list))
	was := make([]loaded, len(list))
	for i := range list {
		ptrs[i] = &list[i]
		was[i] = loadedAs(&list[i])
	}
	if err := driver.RegisterAll(ctx, txOps{tx, s.auditKey}, ptrs, journal, date, build, audit, driver.Now()); err != nil {
		return 0, err
	}
	// Registration gives every order a new text: stem them all at once, on all cores,
	// rather than one by one in storeOrder.
	stems := driver.ParallelStems(len(list), func(i int) (string, string) { return list[i].Title, list[i].SearchText })
	for i, o := range ptrs {
		if err := updateOrder(ctx, tx, o); err != nil {
			return 0, err
		}
		if _, err := tx.ExecContext(ctx, qUpdateDocs, o.ID.String(), driver.NonNil(o.Draft), o.SearchText); err != nil {
			return 0, fmt.Errorf("registry/sqlite: register batch: %w", err)
		}
		if o.Title != was[i].title || o.SearchText != was[i].text {
			if err := indexStems(ctx, tx, o.ID, o.OrgID, stems[i], false); err != nil {
				return 0, err
			}
		}
	}
	return len(list), nil
}
