// Package lifecycle is what happens to an order between its draft and its record, wherever a
// step takes several registry, document-store and queue calls: registration with the next
// number of a journal, cancellation, acknowledgements, rendering again, deleting a draft and
// its documents, importing an order registered elsewhere. Each registry change is one
// transaction with its audit entry; whatever changes what is printed queues a render. The
// API and the pages call it; it never speaks HTTP (refusals are order.Problems for a field,
// refusal.Error otherwise, registry errors as they come).
package lifecycle

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/google/uuid"

	"orders/internal/blob"
	"orders/internal/control"
	"orders/internal/layout"
	"orders/internal/order"
	"orders/internal/queue"
	"orders/internal/registry"
	"orders/internal/render"
)

// Store is the part of the registry the lifecycle uses.
type Store interface {
	GetOrder(ctx context.Context, orgID string, id uuid.UUID) (*registry.Order, error)
	GetOrganization(ctx context.Context, id string) (*registry.Organization, error)
	RegisterOrder(ctx context.Context, orgID string, id uuid.UUID, r registry.RegisterRequest) (*registry.Order, error)
	Cancel(ctx context.Context, orgID string, id uuid.UUID, r registry.CancelRequest) (*registry.Order, error)
	RecordAck(ctx context.Context, orgID string, a *registry.Ack, audit *registry.AuditEntry) (*registry.Order, error)
	ListAcks(ctx context.Context, orgID string, orderID uuid.UUID) ([]registry.Ack, error)
	SetStatus(ctx context.Context, orgID string, id uuid.UUID, from []registry.Status, to registry.Status) (*registry.Order, error)
	DeleteOrder(ctx context.Context, orgID string, id uuid.UUID, editable []registry.Status) ([]string, error)
	DocumentReferenced(ctx context.Context, key string) (bool, error)
	ImportOrder(ctx context.Context, r registry.ImportRequest) (*registry.Order, error)
	CreateOrder(ctx context.Context, o *registry.Order) (created bool, err error)
	UpdateDraft(ctx context.Context, orgID string, id uuid.UUID, u registry.DraftUpdate, allowed []registry.Status) (*registry.Order, error)
}

// Publisher puts render jobs on the queue without waiting for the acknowledgement.
type Publisher interface {
	Enqueue(job queue.Job, msgID string) error
}

// Signatures verifies the signatures of an imported PDF (signing.Service.Imported).
type Signatures interface {
	Imported(ctx context.Context, data []byte, key, sum string) (sig *registry.Signature, signed bool)
}

// Service runs the lifecycle steps.
type Service struct {
	Store Store
	Blobs blob.Store
	Queue Publisher
	// Republish publishes again, with growing delays, the jobs whose publish failed.
	Republish  *queue.Republisher
	Signatures Signatures
	// Layout lays drafts out with the workers' page settings (render.Renderer), for the
	// search text of a registered order.
	Layout Layouter
	Log    *slog.Logger
}

// Editable are the statuses in which an order is still a draft the clerk may change or
// delete; registered, signed and cancelled orders are records.
func Editable() []registry.Status {
	return []registry.Status{
		registry.StatusDraft, registry.StatusQueued, registry.StatusRendering,
		registry.StatusRendered, registry.StatusFailed,
	}
}

func (s *Service) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}

// Publish hands the order to the workers. A failure is not returned: the order is recorded
// as queued, the job is published again in the background with growing delays (a leader
// election is over in seconds), and the sweeper republishes whatever stays queued after
// that. For the same reason it does not wait for the queue's acknowledgement: waiting added
// nothing to what the registry already guarantees, and it was half of the intake latency's
// tail (JetStream acks of 20-35 ms while workers ack their jobs on the same stream).
func (s *Service) Publish(o *registry.Order, reason string) {
	job, id := queue.Job{OrderID: o.ID, Reason: reason}, queue.JobID(o)
	if err := s.Queue.Enqueue(job, id); err != nil {
		s.log().Warn("publish failed; republishing", "order", o.ID, "err", err)
		s.Republish.Retry(job, id)
	}
}

// Layouter lays a draft out as the workers will: render.Renderer with the service's page
// settings.
type Layouter interface {
	Layout(d *order.Draft) (*layout.Doc, error)
}

// layout is the service's Layouter, by default the ГОСТ page settings.
func (s *Service) layout() Layouter {
	if s.Layout == nil {
		return render.New(layout.Options{})
	}
	return s.Layout
}

// SearchText is the plain text of a draft as the archive searches it, from the layout the
// workers will draw. A draft that cannot be laid out is an error, not an order found by its
// title only that every render then fails.
func SearchText(l Layouter, d *order.Draft) (string, error) {
	doc, err := l.Layout(d)
	if err != nil {
		return "", err
	}
	return layout.NormalizeText(doc.PlainText()), nil
}

// RegisteredDraft is the stored draft of o with the number and date registration gave it,
// and its search text.
func RegisteredDraft(l Layouter, o *registry.Order, number, date string) (registry.Registered, error) {
	d, err := order.Decode(o.Draft)
	if err != nil {
		return registry.Registered{}, fmt.Errorf("stored draft: %w", err)
	}
	d.Number, d.Date = number, date
	data, err := json.Marshal(d)
	if err != nil {
		return registry.Registered{}, err
	}
	search, err := SearchText(l, d)
	if err != nil {
		return registry.Registered{}, fmt.Errorf("laying out the registered draft: %w", err)
	}
	// The clauses under control become control items in the registration's transaction.
	return registry.Registered{Draft: data, SearchText: search, Controls: control.FromDraft(d)}, nil
}
