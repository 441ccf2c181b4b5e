package driver

import (
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"

	"orders/internal/registry"
)

// PrepareBatch checks b and its orders and fills what the registry owns, as CreateBatch
// promises. Each order is prepared with PrepareOrder and then tied to the batch.
func PrepareBatch(b *registry.Batch, orders []*registry.Order, now time.Time) error {
	if b.OrgID == "" {
		return fmt.Errorf("%w: batch without organization", registry.ErrInvalid)
	}
	if b.Key == "" {
		return fmt.Errorf("%w: batch without key", registry.ErrInvalid)
	}
	if b.State == "" {
		b.State = registry.BatchAccepted
	}
	if !b.State.Valid() {
		return fmt.Errorf("%w: unknown batch state %q", registry.ErrInvalid, b.State)
	}
	if b.Total < 0 {
		return fmt.Errorf("%w: batch total %d", registry.ErrInvalid, b.Total)
	}
	if b.ID == uuid.Nil {
		id, err := uuid.NewV7()
		if err != nil {
			return fmt.Errorf("registry: new batch id: %w", err)
		}
		b.ID = id
	}
	b.Options = NonNil(b.Options)
	b.CreatedAt, b.UpdatedAt = now, now
	rows := make(map[int]bool, len(orders))
	for i, o := range orders {
		if o == nil {
			return fmt.Errorf("%w: batch order %d is nil", registry.ErrInvalid, i)
		}
		row := o.BatchRow
		if row < 0 || rows[row] {
			return fmt.Errorf("%w: batch row %d is negative or given twice", registry.ErrInvalid, row)
		}
		rows[row] = true
		if o.OrgID == "" {
			o.OrgID = b.OrgID
		}
		if o.OrgID != b.OrgID {
			return fmt.Errorf("%w: batch of %q with an order of %q", registry.ErrInvalid, b.OrgID, o.OrgID)
		}
		if err := PrepareOrder(o, now); err != nil {
			return fmt.Errorf("batch row %d: %w", row, err)
		}
		id := b.ID
		o.BatchID, o.BatchRow = &id, row
	}
	return nil
}

// CheckBatchState is the precondition of SetBatchState.
func CheckBatchState(current registry.BatchState, from []registry.BatchState) error {
	if slices.Contains(from, current) {
		return nil
	}
	return fmt.Errorf("%w: the batch is %s", registry.ErrConflict, current)
}

// CheckRegisterBatch checks the arguments of RegisterBatch and returns the year of date.
func CheckRegisterBatch(journal, date string, build func(*registry.Order, string, int) (registry.Registered, error)) (year int, err error) {
	r := registry.RegisterRequest{Journal: journal, Date: date, Build: build}
	if _, err := Register(r); err != nil {
		return 0, err
	}
	year, _ = strconv.Atoi(date[:4]) // Register checked the date
	return year, nil
}

// ParallelStems makes the index terms of many documents on all cores: stemming is CPU work
// that does not need the database, so a batch need not hold the write lock for it.
func ParallelStems(n int, doc func(i int) (title, text string)) []string {
	out := make([]string, n)
	workers := min(runtime.GOMAXPROCS(0), n)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				title, text := doc(i)
				out[i] = IndexStems(title, text)
			}
		})
	}
	wg.Wait()
	return out
}
