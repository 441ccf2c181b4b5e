package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Handler renders one job. A nil error acks the job; an error wrapped with
// Permanent, or a panic, dead-letters it; any other error retries it later.
// The context is cancelled only when a shutdown outlasts
// ConsumeOptions.ShutdownTimeout; handlers must return soon after that.
type Handler func(ctx context.Context, job Job) error

// ConsumeOptions shapes a worker pool. Zero fields take defaults.
type ConsumeOptions struct {
	// Concurrency is how many handlers run at once; default GOMAXPROCS,
	// since rendering is CPU-bound.
	Concurrency int
	// PollWait is how long one pull request waits for jobs; default 5 s.
	// Stopping does not wait for it.
	PollWait time.Duration
	// ShutdownTimeout is how long running handlers may go on after the
	// consumer is stopped before their context is cancelled; default 30 s.
	ShutdownTimeout time.Duration
	// OnDead is called after a job was written to ORDERS_DEAD and before it
	// is removed from the work queue, so the worker can mark the order
	// failed. It can be called twice for one job if the process dies in
	// between; keep it idempotent.
	OnDead func(job Job, reason string)
	// Logger receives retries, dead letters, panics and fetch errors;
	// default slog.Default().
	Logger *slog.Logger
}

// Consumer is a running worker pool, from Queue.Consume.
type Consumer struct {
	q       *Queue
	handler Handler
	opts    ConsumeOptions
	log     *slog.Logger

	fetchCtx  context.Context
	stopFetch context.CancelFunc
	// handlerCtx keeps the caller's values but not its cancellation, so
	// in-flight jobs can finish after a stop; force cancels it.
	handlerCtx context.Context
	force      context.CancelFunc

	wg   sync.WaitGroup
	done chan struct{}
}

// Consume starts a worker pool on the "render" consumer and returns at once.
// Cancelling ctx, or calling Stop, stops fetching and lets running handlers
// finish (up to ShutdownTimeout). Jobs fetched but never answered return to
// the queue after AckWait, so stopping loses nothing.
func (q *Queue) Consume(ctx context.Context, handler Handler, opts ConsumeOptions) (*Consumer, error) {
	if handler == nil {
		return nil, errors.New("queue: nil handler")
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = runtime.GOMAXPROCS(0)
	}
	if opts.PollWait <= 0 {
		opts.PollWait = 5 * time.Second
	}
	if opts.ShutdownTimeout <= 0 {
		opts.ShutdownTimeout = 30 * time.Second
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	c := &Consumer{
		q:       q,
		handler: handler,
		opts:    opts,
		log:     log.With("consumer", ConsumerName),
		done:    make(chan struct{}),
	}
	c.fetchCtx, c.stopFetch = context.WithCancel(ctx)
	c.handlerCtx, c.force = context.WithCancel(context.WithoutCancel(ctx))
	go c.run()
	return c, nil
}

// Stop stops fetching and returns when every running handler has returned.
func (c *Consumer) Stop() {
	c.stopFetch()
	<-c.done
}

// Done is closed when the consumer has fully stopped.
func (c *Consumer) Done() <-chan struct{} { return c.done }

func (c *Consumer) run() {
	defer close(c.done)
	defer c.force()
	c.fetchLoop()

	finished := make(chan struct{})
	go func() {
		c.wg.Wait()
		close(finished)
	}()
	select {
	case <-finished:
	case <-time.After(c.opts.ShutdownTimeout):
		c.log.Warn("shutdown timeout: cancelling running handlers", "timeout", c.opts.ShutdownTimeout)
		c.force()
		<-finished
	}
}

// fetchLoop pulls only as many jobs as there are idle handlers, so no job
// sits in a client buffer while another worker process is idle.
func (c *Consumer) fetchLoop() {
	slots := make(chan struct{}, c.opts.Concurrency) // one token per busy handler
	release := func(n int) {
		for range n {
			<-slots
		}
	}
	errDelay := 100 * time.Millisecond
	for {
		select {
		case slots <- struct{}{}:
		case <-c.fetchCtx.Done():
			return
		}
		n := 1
	more:
		for n < c.opts.Concurrency {
			select {
			case slots <- struct{}{}:
				n++
			default:
				break more
			}
		}

		pullCtx, cancel := context.WithTimeout(c.fetchCtx, c.opts.PollWait)
		batch, err := c.q.cons.Fetch(n, jetstream.FetchContext(pullCtx))
		if err != nil {
			cancel()
			release(n)
			if c.fetchCtx.Err() != nil {
				return
			}
			c.log.Error("fetch jobs", "err", err)
			errDelay = c.sleep(errDelay)
			continue
		}
		got := 0
		for msg := range batch.Messages() {
			got++
			if c.fetchCtx.Err() != nil {
				// Arrived while stopping: hand it back now rather than
				// after AckWait.
				_ = msg.Nak()
				release(1)
				continue
			}
			c.wg.Add(1)
			go func() {
				defer c.wg.Done()
				defer release(1)
				c.handle(msg)
			}()
		}
		cancel()
		release(n - got)
		if err := batch.Error(); err != nil && !isPollEnd(err) && c.fetchCtx.Err() == nil {
			c.log.Error("fetch jobs", "err", err)
			errDelay = c.sleep(errDelay)
			continue
		}
		errDelay = 100 * time.Millisecond
	}
}

func isPollEnd(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) ||
		errors.Is(err, nats.ErrTimeout) || errors.Is(err, jetstream.ErrNoMessages)
}

// sleep waits d (or until stopped) and returns the next, doubled delay.
func (c *Consumer) sleep(d time.Duration) time.Duration {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-c.fetchCtx.Done():
	}
	return min(2*d, 5*time.Second)
}

// handlerPanic carries a recovered panic out of the handler.
type handlerPanic struct {
	value any
	stack []byte
}

func (p *handlerPanic) Error() string { return fmt.Sprintf("panic: %v", p.value) }

func (c *Consumer) handle(msg jetstream.Msg) {
	md, err := msg.Metadata()
	if err != nil {
		// Not a JetStream delivery; nothing sensible to ack.
		c.log.Error("job without metadata", "err", err, "subject", msg.Subject())
		return
	}
	attempt := md.NumDelivered
	log := c.log.With("stream_seq", md.Sequence.Stream, "attempt", attempt)

	var job Job
	if err := json.Unmarshal(msg.Data(), &job); err != nil || job.OrderID == uuid.Nil {
		if err == nil {
			err = errors.New("no order id")
		}
		c.dead(msg, md, job, msg.Data(), "undecodable job: "+err.Error(), "", log)
		return
	}
	log = log.With("order_id", job.OrderID)
	if attempt > uint64(c.q.cfg.MaxDeliver) {
		c.dead(msg, md, job, nil, fmt.Sprintf("no answer from the worker on attempt %d of %d", attempt-1, c.q.cfg.MaxDeliver), "", log)
		return
	}

	err = c.runHandler(msg, job, int(attempt))
	var p *handlerPanic
	switch {
	case err == nil:
		ctx, cancel := context.WithTimeout(context.Background(), c.q.cfg.AckWait)
		defer cancel()
		// A confirmed ack: a lost one would render the order again.
		if err := msg.DoubleAck(ctx); err != nil {
			log.Warn("ack failed; the job will be delivered again", "err", err)
		}
	case errors.As(err, &p):
		log.Error("handler panicked", "panic", fmt.Sprint(p.value), "stack", string(p.stack))
		c.dead(msg, md, job, nil, err.Error(), string(p.stack), log)
	case IsPermanent(err):
		c.dead(msg, md, job, nil, "permanent: "+err.Error(), "", log)
	case c.handlerCtx.Err() != nil:
		// Cut off by a shutdown, not the job's fault: let another worker
		// have it now.
		log.Warn("handler cancelled by shutdown; returning the job", "err", err)
		_ = msg.Nak()
	case attempt >= uint64(c.q.cfg.MaxDeliver):
		c.dead(msg, md, job, nil, fmt.Sprintf("gave up after %d attempts: %v", attempt, err), "", log)
	default:
		delay := c.q.cfg.retryDelay(attempt)
		log.Warn("job failed; will retry", "err", err, "retry_in", delay)
		if err := msg.NakWithDelay(delay); err != nil {
			log.Warn("nak failed; the job returns after ack wait", "err", err)
		}
	}
}

// runHandler runs the handler with a heartbeat and turns a panic into an
// error.
func (c *Consumer) runHandler(msg jetstream.Msg, job Job, attempt int) (err error) {
	ctx := context.WithValue(c.handlerCtx, attemptKey{}, attempt)
	stop := make(chan struct{})
	var beat sync.WaitGroup
	beat.Add(1)
	go func() {
		defer beat.Done()
		t := time.NewTicker(c.q.cfg.AckWait / 3)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				// A failed heartbeat is not fatal: at worst the job is
				// delivered again, and handlers are idempotent.
				_ = msg.InProgress()
			case <-stop:
				return
			}
		}
	}()
	defer func() {
		close(stop)
		beat.Wait()
		if v := recover(); v != nil {
			err = &handlerPanic{value: v, stack: debug.Stack()}
		}
	}()
	return c.handler(ctx, job)
}

// dead writes a dead letter, tells OnDead, and only then removes the job
// from the work queue, so a crash in between repeats the steps instead of
// losing the job.
func (c *Consumer) dead(msg jetstream.Msg, md *jetstream.MsgMetadata, job Job, raw []byte, reason, stack string, log *slog.Logger) {
	body, err := json.Marshal(DeadLetter{
		Job:        job,
		Data:       raw,
		Reason:     reason,
		Deliveries: md.NumDelivered,
		StreamSeq:  md.Sequence.Stream,
		Stack:      stack,
		At:         time.Now().UTC(),
	})
	if err != nil {
		log.Error("encode dead letter", "err", err)
		return
	}
	dl := nats.NewMsg(DeadSubject)
	dl.Data = body
	seq := strconv.FormatUint(md.Sequence.Stream, 10)
	dl.Header.Set(HeaderStreamSeq, seq)

	ctx, cancel := context.WithTimeout(context.Background(), c.q.cfg.AckWait)
	defer cancel()
	if _, err := c.q.js.PublishMsg(ctx, dl,
		jetstream.WithMsgID("dead:"+StreamName+":"+seq),
		jetstream.WithExpectStream(DeadStreamName)); err != nil {
		// Keep the job: it comes back and dies again, unless this was its
		// last delivery, in which case it stays in the work queue (Depth
		// shows it) until a sweep re-enqueues the order.
		log.Error("write dead letter failed; job kept", "err", err, "reason", reason)
		_ = msg.NakWithDelay(c.q.cfg.retryDelay(md.NumDelivered))
		return
	}
	log.Error("job dead-lettered", "reason", reason)
	if c.opts.OnDead != nil {
		c.callOnDead(job, reason, log)
	}
	if err := msg.TermWithReason(reason); err != nil {
		log.Warn("term failed; the job will be dead-lettered again", "err", err)
	}
}

func (c *Consumer) callOnDead(job Job, reason string, log *slog.Logger) {
	defer func() {
		if v := recover(); v != nil {
			log.Error("OnDead panicked", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
		}
	}()
	c.opts.OnDead(job, reason)
}
