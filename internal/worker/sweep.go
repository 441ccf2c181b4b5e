package worker

import (
	"context"
	"log/slog"
	"time"

	"orders/internal/queue"
	"orders/internal/registry"
)

// Publisher puts render jobs on the queue.
type Publisher interface {
	Publish(ctx context.Context, job queue.Job, msgID string) (duplicate bool, err error)
}

// StaleLister finds orders stuck in a status.
type StaleLister interface {
	ListStale(ctx context.Context, status registry.Status, olderThan time.Time, limit int) ([]registry.Order, error)
}

// Sweeper republishes orders left queued past a deadline: the crash window between the
// registry write and the publish. The job id makes a republish of a job still in the
// queue a no-op, and the worker's state checks make a second render a no-op.
type Sweeper struct {
	Store StaleLister
	Queue Publisher
	// After is how long an order may stay queued before it is republished.
	After time.Duration
	// Every is how often to look.
	Every time.Duration
	Log   *slog.Logger
}

// Run sweeps until ctx ends.
func (s *Sweeper) Run(ctx context.Context) {
	t := time.NewTicker(s.Every)
	defer t.Stop()
	for {
		if n, err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
			s.log().Warn("sweep", "err", err)
		} else if n > 0 {
			s.log().Info("republished stale orders", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Sweep republishes one batch of stale queued orders and says how many.
func (s *Sweeper) Sweep(ctx context.Context) (int, error) {
	stale, err := s.Store.ListStale(ctx, registry.StatusQueued, time.Now().Add(-s.After), 500)
	if err != nil {
		return 0, err
	}
	n := 0
	for i := range stale {
		o := &stale[i]
		if _, err := s.Queue.Publish(ctx, queue.Job{OrderID: o.ID, Reason: "sweep"}, queue.JobID(o)); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

func (s *Sweeper) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}
