package queue

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
)

// flakyPublisher fails its first n publishes of each job, then succeeds.
type flakyPublisher struct {
	mu        sync.Mutex
	n         int
	calls     map[string]int
	published map[string]time.Time
}

func (f *flakyPublisher) publish(_ context.Context, _ Job, msgID string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[msgID]++
	if f.calls[msgID] <= f.n {
		return false, errors.New("nats: no responders available for request")
	}
	f.published[msgID] = time.Now()
	return false, nil
}

// TestRepublisherRetriesPromptly: a job whose publish failed is published again within a
// second or two once the queue answers, without the sweeper.
func TestRepublisherRetriesPromptly(t *testing.T) {
	t.Parallel()
	f := &flakyPublisher{n: 3, calls: map[string]int{}, published: map[string]time.Time{}}
	r := &Republisher{Publish: f.publish, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	start := time.Now()
	ids := make([]uuid.UUID, 100)
	for i := range ids {
		ids[i] = uuid.New()
		r.Retry(Job{OrderID: ids[i], Reason: ReasonSubmit}, "")
	}
	r.Retry(Job{OrderID: ids[0], Reason: ReasonSubmit}, "") // already being retried: once is enough
	eventually(t, "every job republished", 3*time.Second, func() bool { return r.Pending() == 0 })
	f.mu.Lock()
	defer f.mu.Unlock()
	var last time.Duration
	defer func() { t.Logf("the last of %d jobs published %v after the first failure", len(ids), last) }()
	for _, id := range ids {
		at, ok := f.published[id.String()]
		last = max(last, at.Sub(start))
		if !ok {
			t.Fatalf("job %s never published (%d attempts)", id, f.calls[id.String()])
		}
		// Three more failures: delays of ~0.1, 0.2, 0.4, 0.8 s before the fourth retry.
		if took := at.Sub(start); took > 2500*time.Millisecond {
			t.Errorf("job %s published after %v, want within about 2 s", id, took)
		}
		if c := f.calls[id.String()]; c != 4 {
			t.Errorf("job %s: %d attempts, want 4", id, c)
		}
	}
}

// TestRepublisherGivesUp: a queue that never answers is left to the sweeper after For.
func TestRepublisherGivesUp(t *testing.T) {
	t.Parallel()
	f := &flakyPublisher{n: 1 << 30, calls: map[string]int{}, published: map[string]time.Time{}}
	r := &Republisher{Publish: f.publish, For: 300 * time.Millisecond, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	r.Retry(Job{OrderID: uuid.New()}, "x")
	eventually(t, "the republisher gives up", 3*time.Second, func() bool { return r.Pending() == 0 })
}

// TestEnqueueRepublishesAfterTheStreamComesBack: an Enqueue whose publish fails after it
// returned (no stream answers, as during a leader election) reaches the stream once it is
// back, within seconds — before, it was only logged and waited for the sweeper.
func TestEnqueueRepublishesAfterTheStreamComesBack(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fastConfig)
	if err := e.js.DeleteStream(context.Background(), StreamName); err != nil {
		t.Fatal(err)
	}
	id := uuid.New()
	if err := e.q.Enqueue(Job{OrderID: id, Reason: ReasonSubmit}, ""); err != nil {
		t.Fatal(err)
	}
	// Longer than the client's own retries of a publish nobody answers (2 × 250 ms).
	time.Sleep(1500 * time.Millisecond)
	_, q2 := e.connect(fastConfig) // the stream is back
	eventually(t, "the job in the stream", 5*time.Second, func() bool {
		n, err := q2.Depth(context.Background())
		return err == nil && n == 1
	})
}
