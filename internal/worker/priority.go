package worker

import (
	"context"
	"sync/atomic"
	"time"
)

// Priority puts intake before rendering when both share a machine (the all-in-one role).
// Go has no goroutine priorities, and a render job costs the CPU more than taking an order
// does: with every worker busy, the HTTP handlers and the registry's writer wait in the same
// run queues, and intake at 500 orders/s on 2 CPUs had a p99 of 40-50 ms. So while orders
// arrive, one job runs at a time and only half of the time (a job that took d is followed
// by a pause of d); the others wait, their orders safely queued, and all of them run again
// as soon as arrivals pause for the window. Measured with `orderctl bench -n 5000 -c 32
// -rate 500` (README, Performance): one job at a time alone gave p99 25-40 ms, with the
// pause 16-25 ms (11 runs); 10,000 orders submitted as fast as possible still render within 23 s.
type Priority struct {
	window time.Duration
	turn   chan struct{} // capacity 1: the one job allowed while orders arrive
	last   atomic.Int64  // UnixNano of the last arrival
}

// NewPriority holds jobs back while an order arrived within window.
func NewPriority(window time.Duration) *Priority {
	return &Priority{window: window, turn: make(chan struct{}, 1)}
}

// Arrived records that an order was just accepted.
func (p *Priority) Arrived() { p.last.Store(time.Now().UnixNano()) }

// busyFor is how much longer intake counts as active; 0 when it is quiet.
func (p *Priority) busyFor() time.Duration {
	return max(0, time.Until(time.Unix(0, p.last.Load()).Add(p.window)))
}

// wait returns when the job may run, with the function that ends its turn.
func (p *Priority) wait(ctx context.Context) (done func(), err error) {
	if p == nil {
		return func() {}, nil
	}
	for {
		left := p.busyFor()
		if left == 0 {
			return func() {}, nil
		}
		t := time.NewTimer(left)
		select {
		case p.turn <- struct{}{}:
			t.Stop()
			start := time.Now()
			return func() {
				// The pause keeps the turn, so no other job starts meanwhile.
				time.AfterFunc(time.Since(start), func() { <-p.turn })
			}, nil
		case <-t.C:
			// Quiet again, or another order arrived meanwhile: look again.
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		}
	}
}
