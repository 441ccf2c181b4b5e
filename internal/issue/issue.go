// Package issue issues orders in batches: an order template and rows of data (internal/batch
// checks them) become many orders, or one order with the rows in its appendix table. Every
// row is checked before anything is recorded; the batch and its orders are written in one
// transaction, optionally registered with consecutive numbers, then their render jobs are
// published. Ids derive from the batch key, which derives from the template, constants and
// rows, so a resubmission creates nothing. The service also follows a batch's progress,
// cancels it and assembles its results (result.zip with manifest.csv, merged.pdf).
//
// The package knows nothing of HTTP: internal/api parses requests, calls the service and
// answers.
package issue

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"
	pdfapi "github.com/pdfcpu/pdfcpu/pkg/api"

	"orders/internal/order"
	"orders/internal/registry"
)

func init() {
	// pdfcpu would otherwise create a configuration directory under the user's home on
	// first use; the server needs none of it.
	pdfapi.DisableConfigDir()
}

// Store is the part of the registry batch issuing uses.
type Store interface {
	registry.Batches
	GetJournal(ctx context.Context, orgID, id string) (*registry.Journal, error)
	// GetOrganization names the issuing organization in manifest.csv.
	GetOrganization(ctx context.Context, id string) (*registry.Organization, error)
}

// Documents reads the stored documents of rendered orders.
type Documents interface {
	// Get returns the document after checking it against its key.
	Get(ctx context.Context, key string) ([]byte, error)
}

// Jobs hands orders to the render workers. The message id of a job (which drops a
// duplicate of the same render) is the publisher's business, so that this package need
// not know the worker's naming.
type Jobs interface {
	// Publish puts o's render job on the queue and waits for the acknowledgement.
	Publish(ctx context.Context, o *registry.Order, reason string) error
	// Retry publishes again, in the background with growing delays, a job whose Publish
	// failed.
	Retry(o *registry.Order, reason string)
}

// Intake is the rule one-by-one intake (POST /orders) applies to a draft, so that the
// orders of a batch are exactly what that intake would have made of the same drafts.
type Intake interface {
	// Organization decides which organization issues d for a caller of organization
	// callerOrg ("" for an administrator, who names it in the draft) and fills in the
	// letterhead from the organization's profile when d has none; letterheads caches the
	// profiles. What the caller can fix comes back as order.Problems.
	Organization(ctx context.Context, callerOrg string, d *order.Draft, letterheads map[string]*order.Letterhead) (string, error)
	// SearchText is the plain text of d as the archive searches it; an error for a draft
	// that cannot be laid out.
	SearchText(d *order.Draft) (string, error)
	// Registered is the stored draft of o with its registration number and date.
	Registered(o *registry.Order, number, date string) (registry.Registered, error)
}

// Config wires the service to its dependencies.
type Config struct {
	Store  Store
	Blobs  Documents
	Jobs   Jobs
	Intake Intake
	Log    *slog.Logger
	// Interval is how often Follow looks at a batch; default DefaultInterval.
	Interval time.Duration
	// KeepAlive is how long Follow stays silent while nothing changes; default 10 s.
	KeepAlive time.Duration
}

// DefaultInterval is how often Follow looks at a batch by default.
const DefaultInterval = 300 * time.Millisecond

// Service issues batches. It is safe for concurrent use.
type Service struct {
	cfg Config
	log *slog.Logger

	// shares lets the followers of one batch share their registry queries (see share);
	// an entry lives while someone follows the batch.
	mu     sync.Mutex
	shares map[uuid.UUID]*share
}

// New makes the service.
func New(cfg Config) *Service {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.KeepAlive <= 0 {
		cfg.KeepAlive = 10 * time.Second
	}
	return &Service{cfg: cfg, log: cfg.Log, shares: map[uuid.UUID]*share{}}
}

// namespace roots the derived ids: batch id = SHA-1 UUID of (organization, batch key) in
// it; an order's id = SHA-1 UUID of its row in the batch id. Changing it would make every
// resubmission of an old batch a new batch.
var namespace = uuid.MustParse("5b0c3c5e-8a63-4f4e-9d55-6c0a4d2f1e27")

// BatchID is the id of the batch of organization orgID with key.
func BatchID(orgID, key string) uuid.UUID {
	return uuid.NewSHA1(namespace, []byte(orgID+"\x00"+key))
}

// OrderID is the id of the order made from a row (0 for the one order of one_order).
func OrderID(batchID uuid.UUID, row int) uuid.UUID {
	return uuid.NewSHA1(batchID, []byte("row:"+strconv.Itoa(row)))
}

// Get reads a batch as a caller of orgID ("" for any organization) may see it.
func (s *Service) Get(ctx context.Context, orgID string, id uuid.UUID) (*registry.Batch, error) {
	return s.cfg.Store.GetBatch(ctx, orgID, id)
}

// List returns up to limit batches of orgID, newest first.
func (s *Service) List(ctx context.Context, orgID string, limit int) ([]registry.Batch, error) {
	return s.cfg.Store.ListBatches(ctx, orgID, limit)
}

// Cancel cancels the batch's orders that no worker has started and returns how many, with
// the batch and its progress afterwards.
func (s *Service) Cancel(ctx context.Context, b *registry.Batch) (int, *registry.Batch, Progress, error) {
	n, err := s.cfg.Store.CancelBatch(ctx, b.OrgID, b.ID)
	if err != nil {
		return 0, nil, Progress{}, err
	}
	if b, err = s.cfg.Store.GetBatch(ctx, b.OrgID, b.ID); err != nil {
		return 0, nil, Progress{}, err
	}
	p, err := s.Progress(ctx, b)
	if err != nil {
		return 0, nil, Progress{}, err
	}
	return n, b, p, nil
}

// orders lists the orders of a batch in row order, a page at a time.
func (s *Service) orders(ctx context.Context, b *registry.Batch) ([]*registry.Order, error) {
	var out []*registry.Order
	after := -1
	for {
		page, err := s.cfg.Store.ListBatchOrders(ctx, b.OrgID, b.ID, after, registry.MaxLimit)
		if err != nil {
			return nil, err
		}
		for i := range page {
			out = append(out, &page[i])
		}
		if len(page) < registry.MaxLimit {
			return out, nil
		}
		after = page[len(page)-1].BatchRow
	}
}
