package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"orders/internal/registry"
	"orders/internal/registry/internal/driver"
)

const batchCols = "id, org_id, key, mode, template, total, options, state, created_at, updated_at, created_by"

func scanBatch(row pgx.Row) (*registry.Batch, error) {
	var b registry.Batch
	var state string
	err := row.Scan(&b.ID, &b.OrgID, &b.Key, &b.Mode, &b.Template, &b.Total, &b.Options, &state, &b.CreatedAt, &b.UpdatedAt, &b.CreatedBy)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, registry.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("registry/postgres: scan batch: %w", err)
	}
	b.State = registry.BatchState(state)
	b.CreatedAt, b.UpdatedAt = b.CreatedAt.UTC(), b.UpdatedAt.UTC()
	return &b, nil
}

// getBatch reads a batch as seen through orgID; lock is appended to the query.
func getBatch(ctx context.Context, q querier, orgID string, id uuid.UUID, lock string) (*registry.Batch, error) {
	return scanBatch(q.QueryRow(ctx, `SELECT `+batchCols+` FROM batches WHERE id = $1 AND ($2 = '' OR org_id = $2)`+lock, id, orgID))
}

// CreateBatch implements registry.Batches.
func (s *Store) CreateBatch(ctx context.Context, b *registry.Batch, orders []*registry.Order) (bool, error) {
	if err := driver.PrepareBatch(b, orders, driver.Now()); err != nil {
		return false, err
	}
	var created bool
	err := s.inTx(ctx, func(tx pgx.Tx) (err error) {
		created, err = createBatch(ctx, tx, b, orders)
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
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		if created, err = createBatch(ctx, tx, b, orders); err != nil || !created {
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

// createBatch inserts a prepared batch and its orders in tx; created is false, and b the
// stored batch, if the organization has a batch with b.Key.
func createBatch(ctx context.Context, tx pgx.Tx, b *registry.Batch, orders []*registry.Order) (created bool, err error) {
	// A concurrent insert of the same key makes this one wait for it to commit; then it
	// does nothing, and the lookup below (a new snapshot) finds the batch.
	tag, err := tx.Exec(ctx, `INSERT INTO batches (`+batchCols+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING`,
		b.ID, b.OrgID, b.Key, b.Mode, b.Template, b.Total, b.Options, string(b.State), b.CreatedAt, b.UpdatedAt, b.CreatedBy)
	if err != nil {
		return false, fmt.Errorf("registry/postgres: create batch: %w", err)
	}
	if tag.RowsAffected() == 0 {
		existing, err := scanBatch(tx.QueryRow(ctx, `SELECT `+batchCols+` FROM batches WHERE org_id = $1 AND key = $2`, b.OrgID, b.Key))
		if errors.Is(err, registry.ErrNotFound) {
			return false, fmt.Errorf("%w: batch %s exists", registry.ErrConflict, b.ID)
		}
		if err != nil {
			return false, err
		}
		*b = *existing
		return false, nil
	}
	// One pipeline: the inserts go out together instead of one round trip each; pgx
	// prepares the statement once per connection.
	var pb pgx.Batch
	for _, o := range orders {
		pb.Queue(insertOrderSQL, insertArgs(o)...)
	}
	br := tx.SendBatch(ctx, &pb)
	for _, o := range orders {
		tag, err := br.Exec()
		if err != nil {
			br.Close()
			return false, fmt.Errorf("registry/postgres: create batch order (row %d): %w", o.BatchRow, err)
		}
		if tag.RowsAffected() != 1 {
			br.Close()
			return false, fmt.Errorf("%w: batch row %d: order %s or its idempotency key exists", registry.ErrConflict, o.BatchRow, o.ID)
		}
	}
	if err := br.Close(); err != nil {
		return false, fmt.Errorf("registry/postgres: create batch orders: %w", err)
	}
	return true, nil
}

// GetBatch implements registry.Batches.
func (s *Store) GetBatch(ctx context.Context, orgID string, id uuid.UUID) (*registry.Batch, error) {
	return getBatch(ctx, s.pool, orgID, id, "")
}

// ListBatches implements registry.Batches.
func (s *Store) ListBatches(ctx context.Context, orgID string, limit int) ([]registry.Batch, error) {
	query := `SELECT ` + batchCols + ` FROM batches`
	args := []any{driver.Limit(limit)}
	if orgID != "" {
		query += ` WHERE org_id = $2`
		args = append(args, orgID)
	}
	rows, err := s.pool.Query(ctx, query+` ORDER BY created_at DESC, id DESC LIMIT $1`, args...)
	if err != nil {
		return nil, fmt.Errorf("registry/postgres: list batches: %w", err)
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
		return nil, fmt.Errorf("registry/postgres: list batches: %w", err)
	}
	return out, nil
}

// SetBatchState implements registry.Batches.
func (s *Store) SetBatchState(ctx context.Context, orgID string, id uuid.UUID, from []registry.BatchState, to registry.BatchState) (*registry.Batch, error) {
	if !to.Valid() {
		return nil, fmt.Errorf("%w: unknown batch state %q", registry.ErrInvalid, to)
	}
	var b *registry.Batch
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		if b, err = getBatch(ctx, tx, orgID, id, " FOR UPDATE"); err != nil {
			return err
		}
		if err := driver.CheckBatchState(b.State, from); err != nil {
			return err
		}
		b.State, b.UpdatedAt = to, driver.Now()
		if _, err := tx.Exec(ctx, `UPDATE batches SET state = $2, updated_at = $3 WHERE id = $1`, id, string(to), b.UpdatedAt); err != nil {
			return fmt.Errorf("registry/postgres: set batch state: %w", err)
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
	rows, err := s.pool.Query(ctx, `SELECT status, state, count(*) FROM orders WHERE batch_id = $1 GROUP BY status, state`, id)
	if err != nil {
		return nil, nil, fmt.Errorf("registry/postgres: batch counts: %w", err)
	}
	defer rows.Close()
	byStatus, byState := make(map[registry.Status]int), make(map[registry.State]int)
	for rows.Next() {
		var status, state string
		var n int
		if err := rows.Scan(&status, &state, &n); err != nil {
			return nil, nil, fmt.Errorf("registry/postgres: batch counts: %w", err)
		}
		byStatus[registry.Status(status)] += n
		byState[registry.State(state)] += n
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("registry/postgres: batch counts: %w", err)
	}
	return byStatus, byState, nil
}

// ListBatchOrders implements registry.Batches.
func (s *Store) ListBatchOrders(ctx context.Context, orgID string, id uuid.UUID, afterRow, limit int) ([]registry.Order, error) {
	if _, err := s.GetBatch(ctx, orgID, id); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+listCols+` FROM orders WHERE batch_id = $1 AND batch_row > $2
		ORDER BY batch_row LIMIT $3`, id, afterRow, driver.Limit(limit))
	if err != nil {
		return nil, fmt.Errorf("registry/postgres: list batch orders: %w", err)
	}
	return scanOrders(rows)
}

// CancelBatch implements registry.Batches.
func (s *Store) CancelBatch(ctx context.Context, orgID string, id uuid.UUID) (int, error) {
	var cancelled int64
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		// The batch row first (as RegisterBatch), then its orders.
		b, err := getBatch(ctx, tx, orgID, id, " FOR UPDATE")
		if err != nil {
			return err
		}
		now := driver.Now()
		// A worker's MarkRendering holds the order's row lock: the update waits for it and
		// then re-checks the status, so an order is either started (left alone) or cancelled.
		tag, err := tx.Exec(ctx, `UPDATE orders SET status = 'cancelled', updated_at = $2
			WHERE batch_id = $1 AND status = 'queued'`, id, now)
		if err != nil {
			return fmt.Errorf("registry/postgres: cancel batch orders: %w", err)
		}
		cancelled = tag.RowsAffected()
		if b.State != registry.BatchCancelled {
			if _, err := tx.Exec(ctx, `UPDATE batches SET state = 'cancelled', updated_at = $2 WHERE id = $1`, id, now); err != nil {
				return fmt.Errorf("registry/postgres: cancel batch: %w", err)
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
	err := s.inTx(ctx, func(tx pgx.Tx) (err error) {
		n, err = s.registerBatch(ctx, tx, orgID, batchID, journal, date, build, audit)
		return err
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// registerBatch registers the batch's drafts inside tx (see RegisterBatch).
func (s *Store) registerBatch(ctx context.Context, tx pgx.Tx, orgID string, batchID uuid.UUID, journal, date string,
	build func(o *registry.Order, number string, seq int) (registry.Registered, error),
	audit func(o *registry.Order) *registry.AuditEntry) (int, error) {
	// Lock order: batch, its orders (in row order), the journal's counter, the audit
	// head; CancelBatch takes the batch first too, single-order transitions take an
	// order and then the counter.
	b, err := getBatch(ctx, tx, orgID, batchID, " FOR UPDATE")
	if err != nil {
		return 0, err
	}
	if b.State == registry.BatchCancelled {
		return 0, fmt.Errorf("%w: the batch is cancelled", registry.ErrConflict)
	}
	rows, err := tx.Query(ctx, `SELECT `+orderCols+` FROM orders WHERE batch_id = $1 AND state = 'draft'
			ORDER BY batch_row FOR UPDATE`, batchID)
	if err != nil {
		return 0, fmt.Errorf("registry/postgres: batch drafts: %w", err)
	}
	list, err := scanOrders(rows)
	if err != nil {
		return 0, err
	}
	ptrs := make([]*registry.Order, len(list))
	for i := range list {
		ptrs[i] = &list[i]
	}
	if err := driver.RegisterAll(ctx, txOps{tx, s.auditKey}, ptrs, journal, date, build, audit, driver.Now()); err != nil {
		return 0, err
	}
	// Registration always replaces the text, so every order is indexed again.
	for _, o := range ptrs {
		if err := updateOrder(ctx, tx, o, true); err != nil {
			return 0, err
		}
	}
	return len(list), nil
}
