package registry

import (
	"context"
	"slices"
	"time"

	"github.com/google/uuid"
)

// BatchState is where a batch is in its life. The render progress of its orders is counted
// by BatchCounts; the state only says whether the batch was cancelled or declared done.
type BatchState string

// Batch states.
const (
	BatchAccepted  BatchState = "accepted"  // stored with all its orders
	BatchCancelled BatchState = "cancelled" // CancelBatch: its queued orders will not be rendered
	BatchDone      BatchState = "done"      // every order finished (set by the caller, if it wants it stored)
)

// BatchStates lists every batch state.
var BatchStates = []BatchState{BatchAccepted, BatchCancelled, BatchDone}

// Valid reports whether s is a known batch state.
func (s BatchState) Valid() bool { return slices.Contains(BatchStates, s) }

// Batch is a set of orders issued together from one template and rows of data (issue 5).
type Batch struct {
	ID    uuid.UUID
	OrgID string
	// Key identifies the batch's content within its organization (e.g. a hash of template,
	// mode and rows): submitting the same batch again finds the existing one.
	Key       string
	Mode      string // e.g. "per-row" or "one-order"; not interpreted by the registry
	Template  string // the template's name, or "custom"
	Total     int    // orders in the batch, as the caller counts them
	Options   []byte // JSON the caller keeps with the batch, or empty
	State     BatchState
	CreatedAt time.Time
	UpdatedAt time.Time
	CreatedBy string
}

// Batches is the part of the registry that keeps batches. orgID "" means any organization;
// any other makes another organization's batch look absent (ErrNotFound).
type Batches interface {
	// CreateBatch inserts b and all its orders in one transaction: all of them or nothing.
	// It fills b's ID (if nil), State (accepted if empty) and times, and prepares each order
	// as CreateOrder does, with OrgID (if empty) and BatchID set to the batch's; BatchRow
	// values must be distinct and not negative. If the organization already has a batch with
	// b.Key, nothing is inserted, b is overwritten with the stored batch and created is false.
	// An order whose ID or idempotency key is taken fails the whole batch with ErrConflict.
	CreateBatch(ctx context.Context, b *Batch, orders []*Order) (created bool, err error)
	GetBatch(ctx context.Context, orgID string, id uuid.UUID) (*Batch, error)
	// ListBatches returns up to limit (default DefaultLimit, at most MaxLimit) batches,
	// newest first.
	ListBatches(ctx context.Context, orgID string, limit int) ([]Batch, error)
	// SetBatchState moves the batch to state to if its state is in from (else ErrConflict).
	SetBatchState(ctx context.Context, orgID string, id uuid.UUID, from []BatchState, to BatchState) (*Batch, error)
	// BatchCounts counts the batch's orders by render status and by lifecycle state.
	BatchCounts(ctx context.Context, orgID string, id uuid.UUID) (map[Status]int, map[State]int, error)
	// ListBatchOrders returns up to limit (default DefaultLimit, at most MaxLimit) orders of
	// the batch with BatchRow > afterRow, in row order, without their drafts and text (as
	// ListOrders). Start with afterRow -1; continue after the last row returned.
	ListBatchOrders(ctx context.Context, orgID string, id uuid.UUID, afterRow, limit int) ([]Order, error)
	// CancelBatch marks the batch cancelled and, in the same transaction, moves every order
	// of it that is still queued (no worker has started it) to StatusCancelled, which
	// MarkRendering refuses with a *StateError, so their jobs are dropped. Orders rendering
	// or rendered are left alone. cancelled is the number of orders cancelled now;
	// cancelling again is harmless.
	CancelBatch(ctx context.Context, orgID string, id uuid.UUID) (cancelled int, err error)
	// RegisterBatch registers every order of the batch that is still a draft, in row order,
	// with consecutive numbers of journal in the year of date, in one transaction, as
	// RegisterOrder does for one (build is RegisterRequest.Build). audit, if not nil, gives
	// each order's audit entry (nil for none). Any error (of build, of audit, an unknown
	// journal) rolls everything back, and no number is consumed. A cancelled batch is
	// ErrConflict. registered is the number of orders registered.
	RegisterBatch(ctx context.Context, orgID string, batchID uuid.UUID, journal, date string,
		build func(o *Order, number string, seq int) (Registered, error),
		audit func(o *Order) *AuditEntry) (registered int, err error)
	// CreateRegisteredBatch is CreateBatch and RegisterBatch of the new batch in one
	// transaction: the batch is stored with its orders registered, or not at all (an unknown
	// journal, an error of build or audit: nothing is stored and no number is taken). If the
	// organization already has a batch with b.Key, nothing is inserted or registered, b is
	// overwritten with the stored batch and created is false (RegisterBatch finishes it).
	CreateRegisteredBatch(ctx context.Context, b *Batch, orders []*Order, journal, date string,
		build func(o *Order, number string, seq int) (Registered, error),
		audit func(o *Order) *AuditEntry) (created bool, registered int, err error)
}
