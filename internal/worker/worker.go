// Package worker owns the render job: it reads an order from the registry, renders its draft
// to PDF and DOCX, stores both in the document store and records the result. A job can arrive
// twice (redelivery, sweeper, duplicate publish); the registry's state checks make every
// repetition harmless, so the job is idempotent.
package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"orders/internal/blob"
	"orders/internal/order"
	"orders/internal/printed"
	"orders/internal/queue"
	"orders/internal/registry"
)

// Renderer draws a draft; at is the timestamp written into the documents, so the same draft
// and time give the same bytes.
type Renderer interface {
	Render(d *order.Draft, at time.Time) (pdf, docx []byte, err error)
}

// Store is the part of the registry a worker needs.
type Store interface {
	MarkRendering(ctx context.Context, id uuid.UUID) (*registry.Order, error)
	MarkRendered(ctx context.Context, id uuid.UUID, draftHash string, out registry.Outputs) (bool, error)
	MarkFailed(ctx context.Context, id uuid.UUID, reason string) error
	ListAcks(ctx context.Context, orgID string, orderID uuid.UUID) ([]registry.Ack, error)
	GetOrganization(ctx context.Context, id string) (*registry.Organization, error)
	OrganizationFile(ctx context.Context, id string, f registry.OrgFile) ([]byte, error)
	ApprovalRoutes(ctx context.Context, orgID string, orderID uuid.UUID) ([]registry.ApprovalRoute, error)
}

// Worker renders orders. Its zero value is not usable; fill every field but Log, Metrics and
// Priority.
type Worker struct {
	Store    Store
	Blobs    blob.Store
	Renderer Renderer
	Log      *slog.Logger
	Metrics  *Metrics
	// Priority, if set, holds jobs back while orders arrive in the same process.
	Priority *Priority
	// CheckBase is the installation's public address; the QR code then carries the order's
	// public check address (printed.CheckURL).
	CheckBase string
}

// Metrics are the worker's Prometheus collectors.
type Metrics struct {
	Duration prometheus.Histogram
	Failures *prometheus.CounterVec
	Rendered prometheus.Counter
}

// NewMetrics registers the worker's collectors with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "orders_render_duration_seconds", Help: "Time to render one order to PDF and DOCX.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
		}),
		Failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "orders_render_failures_total", Help: "Render jobs that failed, by kind of failure.",
		}, []string{"kind"}),
		Rendered: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "orders_rendered_total", Help: "Orders rendered and stored.",
		}),
	}
	reg.MustRegister(m.Duration, m.Failures, m.Rendered)
	return m
}

// Handle is the queue handler. Retryable failures (database, store) return a plain error;
// a draft that cannot be rendered is queue.Permanent, since retrying gives the same result.
func (w *Worker) Handle(ctx context.Context, job queue.Job) error {
	log := w.log().With("order", job.OrderID, "reason", job.Reason)
	done, err := w.Priority.wait(ctx)
	if err != nil {
		return err // stopping: the job goes back to the queue
	}
	defer done()
	o, err := w.Store.MarkRendering(ctx, job.OrderID)
	var se *registry.StateError
	switch {
	case errors.As(err, &se):
		// Rendered already, or edited back to a draft: this job is a duplicate or stale.
		log.Debug("job skipped", "status", se.Current)
		return nil
	case errors.Is(err, registry.ErrNotFound):
		log.Info("job for a deleted order skipped")
		return nil
	case err != nil:
		return fmt.Errorf("mark rendering: %w", err)
	}

	d, err := printed.Draft(ctx, w.Store, o, w.CheckBase)
	var ps order.Problems
	switch {
	case errors.Is(err, printed.ErrNoDraft), errors.As(err, &ps):
		w.fail("draft")
		return queue.Permanent(err)
	case err != nil:
		return err
	}
	start := time.Now()
	pdf, docx, err := w.Renderer.Render(d, o.CreatedAt)
	if err != nil {
		w.fail("render")
		return queue.Permanent(fmt.Errorf("render: %w", err))
	}
	if w.Metrics != nil {
		w.Metrics.Duration.Observe(time.Since(start).Seconds())
	}

	var out registry.Outputs
	out.PDFSize, out.DOCXSize = int64(len(pdf)), int64(len(docx))
	if out.PDFKey, out.PDFSHA256, err = w.Blobs.Put(ctx, pdf, "application/pdf"); err != nil {
		w.fail("store")
		return fmt.Errorf("store pdf: %w", err)
	}
	if out.DOCXKey, out.DOCXSHA256, err = w.Blobs.Put(ctx, docx, blob.DOCXType); err != nil {
		w.fail("store")
		return fmt.Errorf("store docx: %w", err)
	}
	changed, err := w.Store.MarkRendered(ctx, o.ID, o.RenderKey(), out)
	switch {
	case errors.Is(err, registry.ErrConflict):
		// The draft was edited, or an acknowledgement or a cancellation recorded, while we
		// rendered; the job queued by that change renders what the order prints now.
		log.Info("what the order prints changed during render; result dropped")
		return nil
	case err != nil:
		return fmt.Errorf("mark rendered: %w", err)
	}
	if changed && w.Metrics != nil {
		w.Metrics.Rendered.Inc()
	}
	log.Debug("rendered", "pdf_bytes", len(pdf), "docx_bytes", len(docx))
	return nil
}

// OnDead marks an order failed when its job is dead-lettered; the reason is what a clerk
// sees in the order's status.
func (w *Worker) OnDead(job queue.Job, reason string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := w.Store.MarkFailed(ctx, job.OrderID, reason); err != nil && !errors.Is(err, registry.ErrNotFound) {
		var se *registry.StateError
		if !errors.As(err, &se) {
			w.log().Error("mark failed", "order", job.OrderID, "err", err)
		}
	}
}

func (w *Worker) fail(kind string) {
	if w.Metrics != nil {
		w.Metrics.Failures.WithLabelValues(kind).Inc()
	}
}

func (w *Worker) log() *slog.Logger {
	if w.Log != nil {
		return w.Log
	}
	return slog.Default()
}
