package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"orders/internal/natsd"
)

// fastConfig keeps every test within a few seconds.
var fastConfig = Config{
	AckWait:      time.Second,
	MaxDeliver:   3,
	RetryBackoff: []time.Duration{50 * time.Millisecond},
}

type env struct {
	t   *testing.T
	srv *natsd.Server
	js  jetstream.JetStream
	q   *Queue
}

func newEnv(t *testing.T, cfg Config) *env {
	t.Helper()
	srv, err := natsd.Start(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	e := &env{t: t, srv: srv}
	e.js, e.q = e.connect(cfg)
	return e
}

// connect opens a separate connection, like another worker process.
func (e *env) connect(cfg Config) (jetstream.JetStream, *Queue) {
	e.t.Helper()
	nc, err := e.srv.Connect(e.t.Name())
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		e.t.Fatal(err)
	}
	q, err := Setup(context.Background(), js, cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	return js, q
}

func (e *env) consume(q *Queue, h Handler, opts ConsumeOptions) *Consumer {
	e.t.Helper()
	if opts.PollWait == 0 {
		opts.PollWait = 300 * time.Millisecond
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(e.t.Output(), nil))
	}
	c, err := q.Consume(context.Background(), h, opts)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(c.Stop)
	return c
}

func (e *env) publish(job Job, msgID string) bool {
	e.t.Helper()
	dup, err := e.q.Publish(context.Background(), job, msgID)
	if err != nil {
		e.t.Fatal(err)
	}
	return dup
}

func (e *env) depth() uint64 {
	e.t.Helper()
	n, err := e.q.Depth(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

func (e *env) deadLetters() []DeadLetter {
	e.t.Helper()
	ctx := context.Background()
	st, err := e.js.Stream(ctx, DeadStreamName)
	if err != nil {
		e.t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []DeadLetter
	for seq := info.State.FirstSeq; info.State.Msgs > 0 && seq <= info.State.LastSeq; seq++ {
		m, err := st.GetMsg(ctx, seq)
		if err != nil {
			e.t.Fatal(err)
		}
		var dl DeadLetter
		if err := json.Unmarshal(m.Data, &dl); err != nil {
			e.t.Fatal(err)
		}
		if got, want := m.Header.Get(HeaderStreamSeq), strconv.FormatUint(dl.StreamSeq, 10); got != want {
			e.t.Errorf("dead letter header %s = %q, want %q", HeaderStreamSeq, got, want)
		}
		out = append(out, dl)
	}
	return out
}

func eventually(t *testing.T, what string, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// recorder is a handler that counts calls and answers from a script.
type recorder struct {
	mu       sync.Mutex
	attempts []int
	answer   func(call int) error
}

func (r *recorder) handle(ctx context.Context, job Job) error {
	r.mu.Lock()
	r.attempts = append(r.attempts, Attempt(ctx))
	call := len(r.attempts)
	r.mu.Unlock()
	if r.answer == nil {
		return nil
	}
	return r.answer(call)
}

func (r *recorder) calls() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]int(nil), r.attempts...)
}

type deadCall struct {
	job    Job
	reason string
}

func TestHandlerOutcomes(t *testing.T) {
	t.Parallel()
	errBusy := errors.New("registry busy")
	tests := []struct {
		name       string
		answer     func(call int) error
		wantCalls  int
		wantDead   string // substring of the reason; "" = no dead letter
		wantStack  bool
		wantDelivs uint64
	}{
		{name: "success", wantCalls: 1},
		{
			name: "retryable twice then success",
			answer: func(call int) error {
				if call < 3 {
					return errBusy
				}
				return nil
			},
			wantCalls: 3,
		},
		{
			name:       "permanent error",
			answer:     func(int) error { return Permanent(errors.New("draft has no number")) },
			wantCalls:  1,
			wantDead:   "permanent: draft has no number",
			wantDelivs: 1,
		},
		{
			name:       "wrapped permanent error",
			answer:     func(int) error { return fmt.Errorf("render: %w", Permanent(errors.New("bad font"))) },
			wantCalls:  1,
			wantDead:   "bad font",
			wantDelivs: 1,
		},
		{
			name:       "panic",
			answer:     func(int) error { panic("nil layout") },
			wantCalls:  1,
			wantDead:   "panic: nil layout",
			wantStack:  true,
			wantDelivs: 1,
		},
		{
			name:       "max deliver exhausted",
			answer:     func(int) error { return errBusy },
			wantCalls:  fastConfig.MaxDeliver,
			wantDead:   "gave up after 3 attempts: registry busy",
			wantDelivs: 3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, fastConfig)
			rec := &recorder{answer: tt.answer}
			var mu sync.Mutex
			var dead []deadCall
			e.consume(e.q, rec.handle, ConsumeOptions{OnDead: func(job Job, reason string) {
				mu.Lock()
				defer mu.Unlock()
				dead = append(dead, deadCall{job, reason})
			}})

			job := Job{OrderID: uuid.New(), Reason: ReasonSubmit}
			e.publish(job, "")
			eventually(t, "work queue to empty", 5*time.Second, func() bool { return e.depth() == 0 })
			// Room for a wrong redelivery to show up.
			time.Sleep(300 * time.Millisecond)

			calls := rec.calls()
			if len(calls) != tt.wantCalls {
				t.Fatalf("handler ran %d times (attempts %v), want %d", len(calls), calls, tt.wantCalls)
			}
			for i, a := range calls {
				if a != i+1 {
					t.Errorf("call %d saw Attempt %d", i+1, a)
				}
			}
			dls := e.deadLetters()
			mu.Lock()
			defer mu.Unlock()
			if tt.wantDead == "" {
				if len(dls) != 0 || len(dead) != 0 {
					t.Fatalf("dead letters %v, OnDead %v; want none", dls, dead)
				}
				return
			}
			if len(dls) != 1 || len(dead) != 1 {
				t.Fatalf("got %d dead letters and %d OnDead calls, want 1 and 1", len(dls), len(dead))
			}
			dl := dls[0]
			if dl.Job != job || dead[0].job != job {
				t.Errorf("dead job = %+v / %+v, want %+v", dl.Job, dead[0].job, job)
			}
			if !strings.Contains(dl.Reason, tt.wantDead) || dead[0].reason != dl.Reason {
				t.Errorf("reason = %q (OnDead %q), want it to contain %q", dl.Reason, dead[0].reason, tt.wantDead)
			}
			if dl.Deliveries != tt.wantDelivs {
				t.Errorf("deliveries = %d, want %d", dl.Deliveries, tt.wantDelivs)
			}
			if (dl.Stack != "") != tt.wantStack {
				t.Errorf("stack present = %v, want %v", dl.Stack != "", tt.wantStack)
			}
		})
	}
}

func TestDuplicateMsgID(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fastConfig)
	id := uuid.New()
	tests := []struct {
		name    string
		job     Job
		msgID   string
		wantDup bool
	}{
		{"first submit", Job{OrderID: id, Reason: ReasonSubmit}, "", false},
		{"same order id again", Job{OrderID: id, Reason: ReasonSubmit}, id.String(), true},
		{"rerender 1", Job{OrderID: id, Reason: ReasonRerender}, id.String() + ":rerender:1", false},
		{"rerender 1 again", Job{OrderID: id, Reason: ReasonRerender}, id.String() + ":rerender:1", true},
	}
	for _, tt := range tests {
		if got := e.publish(tt.job, tt.msgID); got != tt.wantDup {
			t.Errorf("%s: duplicate = %v, want %v", tt.name, got, tt.wantDup)
		}
	}
	if got := e.depth(); got != 2 {
		t.Fatalf("depth = %d, want 2", got)
	}
	rec := &recorder{}
	e.consume(e.q, rec.handle, ConsumeOptions{})
	eventually(t, "work queue to empty", 5*time.Second, func() bool { return e.depth() == 0 })
	time.Sleep(200 * time.Millisecond)
	if n := len(rec.calls()); n != 2 {
		t.Errorf("handled %d jobs, want 2 (one submit, one rerender)", n)
	}
}

// TestEnqueue: jobs handed over without waiting are all in the stream after Flush, the dedup
// id still applies, and a job without an order is refused at once.
func TestEnqueue(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fastConfig)
	ids := make([]uuid.UUID, 50)
	for i := range ids {
		ids[i] = uuid.New()
		if err := e.q.Enqueue(Job{OrderID: ids[i], Reason: ReasonSubmit}, ""); err != nil {
			t.Fatal(err)
		}
	}
	// The same orders again: duplicates by their ids, stored once.
	for _, id := range ids[:10] {
		if err := e.q.Enqueue(Job{OrderID: id, Reason: ReasonSubmit}, id.String()); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.q.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got := e.depth(); got != uint64(len(ids)) {
		t.Fatalf("depth after Flush = %d, want %d", got, len(ids))
	}
	if err := e.q.Enqueue(Job{}, "x"); err == nil {
		t.Fatal("Enqueue of a job without order id succeeded")
	}
}

func TestPublishRejectsNilOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fastConfig)
	if _, err := e.q.Publish(context.Background(), Job{}, "x"); err == nil {
		t.Fatal("Publish of a job without order id succeeded")
	}
}

func TestUndecodableJobIsDeadLettered(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fastConfig)
	rec := &recorder{}
	e.consume(e.q, rec.handle, ConsumeOptions{})
	if _, err := e.js.Publish(context.Background(), Subject, []byte("not json")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "work queue to empty", 5*time.Second, func() bool { return e.depth() == 0 })
	if n := len(rec.calls()); n != 0 {
		t.Errorf("handler ran %d times on garbage", n)
	}
	dls := e.deadLetters()
	if len(dls) != 1 || string(dls[0].Data) != "not json" {
		t.Fatalf("dead letters = %+v, want one carrying the raw data", dls)
	}
}

// A job that outlives AckWait stays with its worker thanks to the heartbeat.
func TestLongJobIsNotRedelivered(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fastConfig) // AckWait 1 s
	rec := &recorder{answer: func(int) error {
		time.Sleep(3 * time.Second)
		return nil
	}}
	e.consume(e.q, rec.handle, ConsumeOptions{Concurrency: 2})
	e.publish(Job{OrderID: uuid.New()}, "")
	eventually(t, "work queue to empty", 6*time.Second, func() bool { return e.depth() == 0 })
	if calls := rec.calls(); len(calls) != 1 {
		t.Fatalf("handler ran %d times (attempts %v), want 1", len(calls), calls)
	}
}

// A worker that dies mid-job (its connection gone, no ack) loses nothing:
// another worker gets the job after AckWait.
func TestCrashedWorkerJobIsRedelivered(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fastConfig)

	nc, err := e.srv.Connect("doomed")
	if err != nil {
		t.Fatal(err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	doomedQ, err := Setup(context.Background(), js, fastConfig)
	if err != nil {
		t.Fatal(err)
	}
	started, release := make(chan struct{}), make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	doomed, err := doomedQ.Consume(ctx, func(context.Context, Job) error {
		close(started)
		<-release
		return nil
	}, ConsumeOptions{PollWait: 300 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(t.Output(), nil))})
	if err != nil {
		t.Fatal(err)
	}

	job := Job{OrderID: uuid.New()}
	e.publish(job, "")
	<-started
	cancel()
	nc.Close() // the process is gone: no ack, no heartbeat
	t.Cleanup(func() {
		close(release)
		doomed.Stop()
	})

	var got atomic.Int32
	var attempt atomic.Int32
	begun := time.Now()
	_, q2 := e.connect(fastConfig)
	e.consume(q2, func(ctx context.Context, j Job) error {
		if j != job {
			t.Errorf("job = %+v, want %+v", j, job)
		}
		attempt.Store(int32(Attempt(ctx)))
		got.Add(1)
		return nil
	}, ConsumeOptions{})
	eventually(t, "redelivery to the new worker", 5*time.Second, func() bool { return got.Load() == 1 })
	if waited := time.Since(begun); waited < fastConfig.AckWait/2 {
		t.Errorf("redelivered after %s, before AckWait %s", waited, fastConfig.AckWait)
	}
	if a := attempt.Load(); a != 2 {
		t.Errorf("redelivery ran as attempt %d, want 2", a)
	}
	eventually(t, "work queue to empty", 2*time.Second, func() bool { return e.depth() == 0 })
}

// A job whose last attempt never answered is dead-lettered on the extra
// delivery instead of sitting in the work queue forever.
func TestSilentLastAttemptIsDeadLettered(t *testing.T) {
	t.Parallel()
	cfg := fastConfig
	cfg.MaxDeliver = 1
	e := newEnv(t, cfg)

	// Take the one permitted delivery and never answer it.
	cons, err := e.js.Consumer(context.Background(), StreamName, ConsumerName)
	if err != nil {
		t.Fatal(err)
	}
	job := Job{OrderID: uuid.New()}
	e.publish(job, "")
	if _, err := cons.Next(jetstream.FetchMaxWait(2 * time.Second)); err != nil {
		t.Fatal(err)
	}

	var dead atomic.Int32
	rec := &recorder{}
	e.consume(e.q, rec.handle, ConsumeOptions{OnDead: func(Job, string) { dead.Add(1) }})
	eventually(t, "work queue to empty", 5*time.Second, func() bool { return e.depth() == 0 })
	if n := len(rec.calls()); n != 0 {
		t.Errorf("handler ran %d times beyond MaxDeliver", n)
	}
	dls := e.deadLetters()
	if len(dls) != 1 || dls[0].Job != job || dead.Load() != 1 {
		t.Fatalf("dead letters %+v, OnDead calls %d; want one for %v", dls, dead.Load(), job.OrderID)
	}
	if !strings.Contains(dls[0].Reason, "no answer") {
		t.Errorf("reason = %q", dls[0].Reason)
	}
}

// Stop lets a running handler finish and ack.
func TestStopWaitsForRunningHandler(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fastConfig)
	started := make(chan struct{})
	var finished atomic.Bool
	c := e.consume(e.q, func(ctx context.Context, _ Job) error {
		close(started)
		time.Sleep(500 * time.Millisecond)
		finished.Store(ctx.Err() == nil)
		return nil
	}, ConsumeOptions{})
	e.publish(Job{OrderID: uuid.New()}, "")
	<-started
	c.Stop()
	if !finished.Load() {
		t.Fatal("Stop returned before the handler finished, or cancelled it")
	}
	if d := e.depth(); d != 0 {
		t.Fatalf("depth after graceful stop = %d, want 0 (acked)", d)
	}
}

// A handler that outlives ShutdownTimeout is cancelled and its job goes back
// to the queue at once, without counting against the job.
func TestShutdownTimeoutReturnsJob(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fastConfig)
	started := make(chan struct{})
	c := e.consume(e.q, func(ctx context.Context, _ Job) error {
		close(started)
		<-ctx.Done()
		return ctx.Err()
	}, ConsumeOptions{ShutdownTimeout: 200 * time.Millisecond})
	e.publish(Job{OrderID: uuid.New()}, "")
	<-started
	stopped := time.Now()
	c.Stop()
	if d := time.Since(stopped); d > 2*time.Second {
		t.Errorf("Stop took %s", d)
	}
	if dls := e.deadLetters(); len(dls) != 0 {
		t.Fatalf("shutdown dead-lettered the job: %+v", dls)
	}
	var got atomic.Int32
	e.consume(e.q, func(context.Context, Job) error { got.Add(1); return nil }, ConsumeOptions{})
	// Well before AckWait: the Nak made it available at once.
	eventually(t, "job back in the queue", 900*time.Millisecond, func() bool { return got.Load() == 1 })
}

func TestConcurrency(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		concurrency int
	}{
		{"one at a time", 1},
		{"four at a time", 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, fastConfig)
			var running, peak, done atomic.Int32
			e.consume(e.q, func(context.Context, Job) error {
				n := running.Add(1)
				for {
					p := peak.Load()
					if n <= p || peak.CompareAndSwap(p, n) {
						break
					}
				}
				time.Sleep(100 * time.Millisecond)
				running.Add(-1)
				done.Add(1)
				return nil
			}, ConsumeOptions{Concurrency: tt.concurrency})
			for range 8 {
				e.publish(Job{OrderID: uuid.New()}, "")
			}
			eventually(t, "all jobs done", 5*time.Second, func() bool { return done.Load() == 8 })
			if p := int(peak.Load()); p != tt.concurrency {
				t.Errorf("peak concurrency = %d, want %d", p, tt.concurrency)
			}
		})
	}
}

func TestSetupIsIdempotentAndValidates(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fastConfig)
	tests := []struct {
		name    string
		cfg     Config
		wantErr bool
	}{
		{"same config again", fastConfig, false},
		{"defaults", Config{}, false},
		{"longer duplicate window", Config{DuplicateWindow: 20 * time.Minute}, false},
		{"dead max age below the dedup window", Config{DeadMaxAge: time.Minute}, false},
		{"replicas out of range", Config{Replicas: 7}, true},
		{"tiny ack wait", Config{AckWait: time.Millisecond}, true},
		{"negative backoff", Config{RetryBackoff: []time.Duration{-time.Second}}, true},
	}
	for _, tt := range tests {
		q, err := Setup(context.Background(), e.js, tt.cfg)
		if (err != nil) != tt.wantErr {
			t.Errorf("%s: err = %v, wantErr %v", tt.name, err, tt.wantErr)
			continue
		}
		if err != nil {
			continue
		}
		info, err := q.cons.Info(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if got, want := info.Config.MaxDeliver, q.Config().MaxDeliver+1; got != want {
			t.Errorf("%s: server MaxDeliver = %d, want %d", tt.name, got, want)
		}
		if len(info.Config.BackOff) != 0 {
			t.Errorf("%s: server BackOff = %v, want none", tt.name, info.Config.BackOff)
		}
	}
}

func TestPermanent(t *testing.T) {
	base := errors.New("boom")
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"plain", base, false},
		{"permanent", Permanent(base), true},
		{"wrapped permanent", fmt.Errorf("ctx: %w", Permanent(base)), true},
	}
	for _, tt := range tests {
		if got := IsPermanent(tt.err); got != tt.want {
			t.Errorf("%s: IsPermanent = %v, want %v", tt.name, got, tt.want)
		}
	}
	if Permanent(nil) != nil {
		t.Error("Permanent(nil) != nil")
	}
	if !errors.Is(Permanent(base), base) {
		t.Error("Permanent hides the cause from errors.Is")
	}
}
