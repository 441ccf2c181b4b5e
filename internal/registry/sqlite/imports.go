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

var qImportDuplicate = stmt(driver.ImportDuplicateQuery(dialect, "imported = 1", "substr(order_date, 1, 4)"))

// ImportOrder implements registry.Lifecycle.
func (s *Store) ImportOrder(ctx context.Context, r registry.ImportRequest) (*registry.Order, error) {
	now := driver.Now()
	o, err := driver.PrepareImport(&r, now)
	if err != nil {
		return nil, err
	}
	stems := driver.IndexStems(o.Title, o.SearchText)
	err = s.write(ctx, func(tx txq) error {
		// The write lock is held from this look to the insert: no other import can come between.
		if err := importDuplicate(ctx, tx, o); err != nil {
			return err
		}
		inserted, err := insertOrder(ctx, tx, o, stems)
		if err != nil {
			return err
		}
		if !inserted {
			return fmt.Errorf("%w: order %s exists", registry.ErrConflict, o.ID)
		}
		// The insert leaves the lifecycle to the transitions; an import sets it at once.
		if err := updateOrder(ctx, tx, o); err != nil {
			return err
		}
		return driver.FinishImport(ctx, txOps{tx, s.auditKey}, o, r, now)
	})
	if err != nil {
		return nil, err
	}
	return o, nil
}

func importDuplicate(ctx context.Context, q querier, o *registry.Order) error {
	var id, field string
	err := q.QueryRowContext(ctx, qImportDuplicate, driver.ImportDuplicateArgs(o)...).Scan(&id, &field)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("registry/sqlite: import: %w", err)
	}
	existing, err := uuid.Parse(id)
	if err != nil {
		return fmt.Errorf("registry/sqlite: stored order id %q: %w", id, err)
	}
	return &registry.DuplicateError{Existing: existing, Field: field}
}
