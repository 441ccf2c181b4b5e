package issue

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"time"

	"github.com/google/uuid"

	"orders/internal/registry"
)

// Progress is where a batch's orders are.
type Progress struct {
	Total     int                     `json:"total"`
	Queued    int                     `json:"queued"`
	Rendering int                     `json:"rendering"`
	Rendered  int                     `json:"rendered"`
	Failed    int                     `json:"failed"`
	Cancelled int                     `json:"cancelled"`
	Finished  int                     `json:"finished"`
	Done      bool                    `json:"done"`
	ByStatus  map[registry.Status]int `json:"by_status"`
	ByState   map[registry.State]int  `json:"by_state"`
}

// Progress counts the batch's orders. A batch found done is recorded so (b is updated),
// so that lists show it without counting.
func (s *Service) Progress(ctx context.Context, b *registry.Batch) (Progress, error) {
	byStatus, byState, err := s.cfg.Store.BatchCounts(ctx, b.OrgID, b.ID)
	if err != nil {
		return Progress{}, err
	}
	p := Progress{Total: b.Total, ByStatus: byStatus, ByState: byState,
		Queued: byStatus[registry.StatusQueued], Rendering: byStatus[registry.StatusRendering],
		Rendered: byStatus[registry.StatusRendered], Failed: byStatus[registry.StatusFailed],
		Cancelled: byStatus[registry.StatusCancelled]}
	p.Finished = p.Rendered + p.Failed + p.Cancelled
	p.Done = p.Queued+p.Rendering+byStatus[registry.StatusDraft] == 0
	if p.Done && b.State == registry.BatchAccepted {
		if nb, err := s.cfg.Store.SetBatchState(ctx, b.OrgID, b.ID, []registry.BatchState{registry.BatchAccepted}, registry.BatchDone); err == nil {
			*b = *nb
		} else if !errors.Is(err, registry.ErrConflict) {
			s.log.Warn("batch state", "batch", b.ID, "err", err)
		}
	}
	return p, nil
}

// Follow calls send with the batch's progress when it changes (and every KeepAlive while
// it does not), and a last time with the progress that is Done. It returns nil when the
// batch is done or ctx ends, and the registry's error if a count fails. The followers of
// one batch share their counts (see share).
func (s *Service) Follow(ctx context.Context, b *registry.Batch, send func(Progress)) error {
	sh := s.acquire(b.ID)
	defer s.release(b.ID, sh)
	tick := time.NewTicker(s.cfg.Interval)
	defer tick.Stop()
	var last *Progress
	var sent time.Time
	for {
		p, err := sh.get(ctx, s, b)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		switch {
		case p.Done:
			send(p)
			return nil
		case last == nil || !reflect.DeepEqual(p, *last) || time.Since(sent) >= s.cfg.KeepAlive:
			send(p)
			last, sent = &p, time.Now()
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// share lets the followers of one batch share their registry queries: one count per
// interval for all of them, and never more often than every ten times the count's own
// duration, so that a slow count on a large batch cannot take the registry's and the
// processors' time away from the workers.
type share struct {
	users int // guarded by Service.mu

	mu   sync.Mutex
	p    Progress
	err  error
	at   time.Time
	took time.Duration
}

func (s *Service) acquire(id uuid.UUID) *share {
	s.mu.Lock()
	defer s.mu.Unlock()
	sh := s.shares[id]
	if sh == nil {
		sh = &share{}
		s.shares[id] = sh
	}
	sh.users++
	return sh
}

// release forgets the batch's share when its last follower leaves, so the map holds only
// batches someone follows now, however many were followed before.
func (s *Service) release(id uuid.UUID, sh *share) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sh.users--; sh.users == 0 {
		delete(s.shares, id)
	}
}

// get returns the shared progress, counting again if the last count is old enough.
func (sh *share) get(ctx context.Context, s *Service, b *registry.Batch) (Progress, error) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if !sh.at.IsZero() && time.Since(sh.at) < max(s.cfg.Interval*9/10, 10*sh.took) {
		return sh.p, sh.err
	}
	start := time.Now()
	sh.p, sh.err = s.Progress(ctx, b)
	sh.at, sh.took = time.Now(), time.Since(start)
	return sh.p, sh.err
}
