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

var importDuplicateSQL = driver.ImportDuplicateQuery(dialect, "imported", "left(order_date, 4)")

// ImportOrder implements registry.Lifecycle.
func (s *Store) ImportOrder(ctx context.Context, r registry.ImportRequest) (*registry.Order, error) {
	now := driver.Now()
	o, err := driver.PrepareImport(&r, now)
	if err != nil {
		return nil, err
	}
	raced := false
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		if err := importDuplicate(ctx, tx, o); err != nil {
			return err
		}
		// A concurrent import of the same file or number waits here on the unique indexes of
		// migration 00011 until the other commits, and then inserts nothing.
		tag, err := tx.Exec(ctx, insertOrderSQL, insertArgs(o)...)
		if err != nil {
			return fmt.Errorf("registry/postgres: import: %w", err)
		}
		if tag.RowsAffected() == 0 {
			raced = true
			return registry.ErrConflict
		}
		// The insert leaves the lifecycle to the transitions; an import sets it at once.
		if err := updateOrder(ctx, tx, o, false); err != nil {
			return err
		}
		return driver.FinishImport(ctx, txOps{tx, s.auditKey}, o, r, now)
	})
	if raced {
		// The winner has committed: name it.
		if derr := importDuplicate(ctx, s.pool, o); derr != nil {
			return nil, derr
		}
		return nil, fmt.Errorf("%w: order %s exists", registry.ErrConflict, o.ID)
	}
	if err != nil {
		return nil, err
	}
	return o, nil
}

func importDuplicate(ctx context.Context, q querier, o *registry.Order) error {
	var id uuid.UUID
	var field string
	err := q.QueryRow(ctx, importDuplicateSQL, driver.ImportDuplicateArgs(o)...).Scan(&id, &field)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("registry/postgres: import: %w", err)
	}
	return &registry.DuplicateError{Existing: id, Field: field}
}
