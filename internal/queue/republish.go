package queue

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"
)

// Republisher publishes again, in the background and with growing delays, jobs whose
// publish failed: after a JetStream leader change the stream answers again within seconds,
// and the jobs should not wait minutes for the sweeper (issue 12: 742 accepted orders waited
// 2 min 15 s). It gives up after For; the sweeper, which republishes every order still
// queued, stays the safety net.
type Republisher struct {
	// Publish publishes one job and waits for the acknowledgement.
	Publish func(ctx context.Context, job Job, msgID string) (duplicate bool, err error)
	Log     *slog.Logger
	// First is the delay before the first retry (default 100 ms); each retry doubles it,
	// up to Max (default 5 s), with ±20 % jitter so that hundreds of failed jobs do not all
	// come back in the same instant.
	First, Max time.Duration
	// For is how long a job is retried (default 2 min).
	For time.Duration
	// Limit bounds the jobs being retried at once (default 20,000); a job beyond it is
	// left to the sweeper.
	Limit int

	once    sync.Once
	mu      sync.Mutex
	pending map[string]bool // msg ids being retried: a job is retried once at a time
}

func (r *Republisher) init() {
	r.once.Do(func() {
		r.pending = map[string]bool{}
		if r.First <= 0 {
			r.First = 100 * time.Millisecond
		}
		if r.Max <= 0 {
			r.Max = 5 * time.Second
		}
		if r.For <= 0 {
			r.For = 2 * time.Minute
		}
		if r.Limit <= 0 {
			r.Limit = 20000
		}
		if r.Log == nil {
			r.Log = slog.Default()
		}
	})
}

// Retry schedules job to be published again; it returns at once.
func (r *Republisher) Retry(job Job, msgID string) {
	r.init()
	if msgID == "" {
		msgID = job.OrderID.String()
	}
	r.mu.Lock()
	if r.pending[msgID] {
		r.mu.Unlock()
		return
	}
	if len(r.pending) >= r.Limit {
		r.mu.Unlock()
		r.Log.Warn("too many jobs to republish; the sweeper will", "order", job.OrderID)
		return
	}
	r.pending[msgID] = true
	r.mu.Unlock()
	go r.run(job, msgID)
}

// Pending is the number of jobs being retried now.
func (r *Republisher) Pending() int {
	r.init()
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.pending)
}

func (r *Republisher) run(job Job, msgID string) {
	defer func() {
		r.mu.Lock()
		delete(r.pending, msgID)
		r.mu.Unlock()
	}()
	deadline := time.Now().Add(r.For)
	delay := r.First
	for attempt := 1; ; attempt++ {
		time.Sleep(jitter(delay))
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err := r.Publish(ctx, job, msgID)
		cancel()
		if err == nil {
			if attempt > 1 {
				r.Log.Info("job republished", "order", job.OrderID, "attempts", attempt)
			}
			return
		}
		if time.Now().After(deadline) {
			r.Log.Warn("republish gave up; the sweeper will republish", "order", job.OrderID, "attempts", attempt, "err", err)
			return
		}
		delay = min(2*delay, r.Max)
	}
}

func jitter(d time.Duration) time.Duration {
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}
