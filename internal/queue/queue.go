// Package queue owns the render-job queue on NATS JetStream: the work-queue
// stream ORDERS_JOBS, the dead-letter stream ORDERS_DEAD, the durable pull
// consumer "render", publishing with deduplication, and the worker pool that
// runs handlers with heartbeats, retries and dead-lettering.
//
// Delivery is at least once: a handler may see the same job again (after a
// crash, a lost ack, a forced shutdown), so handlers must be idempotent.
//
// Retry timing is decided here, not by the server. The consumer has no
// server-side BackOff: with BackOff set, the server replaces AckWait by
// BackOff[0] and, per delivery, by BackOff[n], so a 1 s first step would force
// a heartbeat every ~300 ms and redeliver any job whose worker stalls for a
// second; and a NakWithDelay is then measured against the backoff step
// instead of AckWait (server consumer.go, processNak/checkPending), which
// skews explicit delays. Instead AckWait is one fixed value (15 s) that only
// bounds how long a silent worker keeps a job, a heartbeat (InProgress every
// AckWait/3) keeps long renders alive, and retryable failures come back
// through NakWithDelay(Config.RetryBackoff[attempt-1]).
//
// Max deliveries are detected by the consumer itself, not by the server's
// MAX_DELIVERIES advisory: advisories are fire-and-forget core NATS messages,
// lost when no process listens at that moment, and the message that hit the
// limit stays in the work-queue stream forever. The server's MaxDeliver is
// set to Config.MaxDeliver+1. A retryable failure on attempt MaxDeliver is
// dead-lettered at once; the one extra delivery exists only for a job whose
// last attempt never answered (worker crashed or was cut off): it is
// dead-lettered without running the handler again. Either way the job leaves
// the work queue with a dead-letter record and an OnDead call.
package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Names of the JetStream objects this package owns.
const (
	StreamName     = "ORDERS_JOBS"
	DeadStreamName = "ORDERS_DEAD"
	ConsumerName   = "render"
	Subject        = "orders.jobs.render"
	DeadSubject    = "orders.dead.render"

	// HeaderStreamSeq on a dead letter carries the job's sequence in
	// ORDERS_JOBS, to find it in advisories and server logs.
	HeaderStreamSeq = "Orders-Stream-Seq"
)

// Reasons a job is enqueued; free text is allowed, these are the usual ones.
const (
	ReasonSubmit   = "submit"
	ReasonRerender = "rerender"
	ReasonSweep    = "sweep"
)

// Job asks a worker to render one order. It carries only the order id: the
// worker reads the current draft from the registry, so a stale job can never
// render stale content.
type Job struct {
	OrderID uuid.UUID `json:"order_id"`
	Reason  string    `json:"reason,omitempty"`
}

// Config shapes the streams and the consumer. Zero fields take defaults.
type Config struct {
	// Replicas of both streams: 1 on one machine, 3 in a cluster.
	Replicas int
	// DuplicateWindow is how long a Nats-Msg-Id is remembered. Default 10 min:
	// long enough to swallow client retries and double submits, and harmless
	// because rerenders carry their own counter in the id.
	DuplicateWindow time.Duration
	// AckWait is how long a delivered job may go without ack or heartbeat
	// before the server hands it to another worker (the crash-recovery time).
	// Default 15 s.
	AckWait time.Duration
	// MaxDeliver is how many times the handler may run for one job. Default 5.
	MaxDeliver int
	// RetryBackoff is the delay before attempt n+1 after a retryable failure
	// of attempt n (index n-1; the last value repeats). Default 1s, 5s, 15s, 30s.
	RetryBackoff []time.Duration
	// DeadMaxAge bounds how long dead letters are kept; 0 keeps them until
	// someone deletes them, since each one is an order nobody got.
	DeadMaxAge time.Duration
	// Log receives the failures of Enqueue that show only after it returned;
	// default slog.Default().
	Log *slog.Logger
}

// Defaults, exported so the service can print them in its help.
const (
	DefaultDuplicateWindow = 10 * time.Minute
	// DefaultAckWait is also how long the jobs of a killed worker wait: at 30 s a
	// cluster that lost a worker took 30.0 s to finish a batch (cmd/ordersd
	// TestClusterShape), more than the 30 s it is allowed. The heartbeat keeps
	// long renders alive, so a shorter wait costs only heartbeats.
	DefaultAckWait    = 15 * time.Second
	DefaultMaxDeliver = 5
)

// DefaultRetryBackoff is the retry schedule when Config.RetryBackoff is empty.
var DefaultRetryBackoff = []time.Duration{time.Second, 5 * time.Second, 15 * time.Second, 30 * time.Second}

func (c Config) withDefaults() (Config, error) {
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	if c.DuplicateWindow == 0 {
		c.DuplicateWindow = DefaultDuplicateWindow
	}
	if c.AckWait == 0 {
		c.AckWait = DefaultAckWait
	}
	if c.MaxDeliver == 0 {
		c.MaxDeliver = DefaultMaxDeliver
	}
	if len(c.RetryBackoff) == 0 {
		c.RetryBackoff = DefaultRetryBackoff
	}
	c.RetryBackoff = append([]time.Duration(nil), c.RetryBackoff...)
	switch {
	case c.Replicas < 1 || c.Replicas > 5:
		return c, fmt.Errorf("queue: replicas %d not in 1..5", c.Replicas)
	case c.AckWait < 300*time.Millisecond:
		// The heartbeat runs every AckWait/3; below this it is mostly noise.
		return c, fmt.Errorf("queue: ack wait %s is below 300ms", c.AckWait)
	case c.MaxDeliver < 1:
		return c, fmt.Errorf("queue: max deliver %d is below 1", c.MaxDeliver)
	case c.DuplicateWindow < 0 || c.DeadMaxAge < 0:
		return c, errors.New("queue: negative duration in config")
	}
	for _, d := range c.RetryBackoff {
		if d < 0 {
			return c, errors.New("queue: negative retry backoff")
		}
	}
	return c, nil
}

func (c Config) retryDelay(attempt uint64) time.Duration {
	i := int(attempt) - 1
	if i < 0 {
		i = 0
	}
	if i >= len(c.RetryBackoff) {
		i = len(c.RetryBackoff) - 1
	}
	return c.RetryBackoff[i]
}

// Queue is the job queue bound to its streams and consumer.
type Queue struct {
	js     jetstream.JetStream
	async  jetstream.JetStream // Enqueue's: its own pending window and error handler
	cfg    Config
	stream jetstream.Stream
	cons   jetstream.Consumer
	log    *slog.Logger
	retry  *Republisher // publishes again what Enqueue could not
}

// Setup creates or updates both streams and the consumer, so every process
// (API or worker) can call it at start without coordination.
func Setup(ctx context.Context, js jetstream.JetStream, cfg Config) (*Queue, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	stream, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        StreamName,
		Description: "render jobs for orders",
		Subjects:    []string{Subject},
		Retention:   jetstream.WorkQueuePolicy,
		Storage:     jetstream.FileStorage,
		Replicas:    cfg.Replicas,
		Duplicates:  cfg.DuplicateWindow,
	})
	if err != nil {
		return nil, fmt.Errorf("queue: stream %s: %w", StreamName, err)
	}
	deadDup := 2 * time.Minute
	if cfg.DeadMaxAge > 0 && cfg.DeadMaxAge < deadDup {
		deadDup = cfg.DeadMaxAge // the server refuses a window longer than MaxAge
	}
	if _, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        DeadStreamName,
		Description: "render jobs that failed for good",
		Subjects:    []string{DeadSubject},
		Retention:   jetstream.LimitsPolicy,
		Storage:     jetstream.FileStorage,
		Replicas:    cfg.Replicas,
		MaxAge:      cfg.DeadMaxAge,
		// Deduplicates the dead letter of a job whose Term was lost and
		// which therefore came back and died a second time.
		Duplicates: deadDup,
	}); err != nil {
		return nil, fmt.Errorf("queue: stream %s: %w", DeadStreamName, err)
	}
	cons, err := stream.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable:       ConsumerName,
		Description:   "renders orders",
		FilterSubject: Subject,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       cfg.AckWait,
		// One more than the handler may run: see the package comment.
		MaxDeliver: cfg.MaxDeliver + 1,
	})
	if err != nil {
		return nil, fmt.Errorf("queue: consumer %s: %w", ConsumerName, err)
	}
	log := cfg.Log
	if log == nil {
		log = slog.Default()
	}
	q := &Queue{js: js, cfg: cfg, stream: stream, cons: cons, log: log}
	q.retry = &Republisher{Publish: q.Publish, Log: log}
	q.async, err = jetstream.New(js.Conn(),
		jetstream.WithPublishAsyncMaxPending(enqueueMaxPending),
		jetstream.WithPublishAsyncTimeout(enqueueTimeout),
		jetstream.WithPublishAsyncErrHandler(q.enqueueFailed))
	if err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	return q, nil
}

// enqueueFailed hands a job whose asynchronous publish failed (no acknowledgement: a
// leader election, a lost connection) to the republisher.
func (q *Queue) enqueueFailed(_ jetstream.JetStream, m *nats.Msg, err error) {
	var job Job
	if jerr := json.Unmarshal(m.Data, &job); jerr != nil || job.OrderID == uuid.Nil {
		q.log.Warn("enqueue failed; the sweeper will republish", "msg_id", m.Header.Get(jetstream.MsgIDHeader), "err", err)
		return
	}
	q.log.Warn("enqueue failed; republishing", "order", job.OrderID, "err", err)
	q.retry.Retry(job, m.Header.Get(jetstream.MsgIDHeader))
}

// Enqueue's bounds: at most this many jobs awaiting the server's acknowledgement (a caller
// beyond it waits up to 200 ms for room, then gets an error), each for at most this long.
const (
	enqueueMaxPending = 4096
	enqueueTimeout    = 10 * time.Second
)

// Config returns the configuration in force, defaults filled in.
func (q *Queue) Config() Config {
	c := q.cfg
	c.RetryBackoff = append([]time.Duration(nil), c.RetryBackoff...)
	return c
}

// Publish enqueues job. msgID is the deduplication id: the order id for a
// submit (used when msgID is empty), order id + ":rerender:" + counter for a
// rerender. A second publish with the same id inside the duplicate window
// stores nothing and reports duplicate=true.
func (q *Queue) Publish(ctx context.Context, job Job, msgID string) (duplicate bool, err error) {
	body, opts, err := message(job, msgID)
	if err != nil {
		return false, err
	}
	ack, err := q.js.Publish(ctx, Subject, body, opts...)
	if err != nil {
		return false, fmt.Errorf("queue: publish job for %s: %w", job.OrderID, err)
	}
	return ack.Duplicate, nil
}

// Enqueue is Publish without waiting for the server's acknowledgement, for a caller whose
// job is already recorded elsewhere (the registry's queued order, which the sweeper
// republishes if the job never arrives). A publish that fails, at once or later (no
// acknowledgement), is retried in the background with growing delays for two minutes
// (see Republisher); only a job that cannot be encoded is an error. Flush waits for the
// acknowledgements of the first attempts.
func (q *Queue) Enqueue(job Job, msgID string) error {
	body, opts, err := message(job, msgID)
	if err != nil {
		return err
	}
	if _, err := q.async.PublishAsync(Subject, body, opts...); err != nil {
		q.log.Warn("enqueue failed; republishing", "order", job.OrderID, "err", err)
		q.retry.Retry(job, msgID)
	}
	return nil
}

// message is job's body and publish options for Publish and Enqueue; msgID defaults to the
// order id.
func message(job Job, msgID string) ([]byte, []jetstream.PublishOpt, error) {
	if job.OrderID == uuid.Nil {
		return nil, nil, errors.New("queue: job without order id")
	}
	if msgID == "" {
		msgID = job.OrderID.String()
	}
	body, err := json.Marshal(job)
	if err != nil {
		return nil, nil, fmt.Errorf("queue: encode job: %w", err)
	}
	return body, []jetstream.PublishOpt{jetstream.WithMsgID(msgID), jetstream.WithExpectStream(StreamName)}, nil
}

// Flush waits until every job given to Enqueue has been acknowledged or has failed, or ctx
// ends. Shutdown calls it before draining the connection.
func (q *Queue) Flush(ctx context.Context) error {
	select {
	case <-q.async.PublishAsyncComplete():
		return nil
	case <-ctx.Done():
		return fmt.Errorf("queue: %d jobs still unacknowledged: %w", q.async.PublishAsyncPending(), ctx.Err())
	}
}

// Depth is the number of jobs in the work queue: waiting, in flight or
// waiting for a retry. Acked and dead-lettered jobs have left it.
func (q *Queue) Depth(ctx context.Context) (pending uint64, err error) {
	info, err := q.stream.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("queue: stream info: %w", err)
	}
	return info.State.Msgs, nil
}

// permanentError marks a failure that retrying cannot fix.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Permanent wraps err so the consumer dead-letters the job at once instead
// of retrying it (a draft that cannot be rendered, an order that vanished).
// Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err}
}

// IsPermanent reports whether err, or an error it wraps, came from Permanent.
func IsPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}

type attemptKey struct{}

// Attempt returns which delivery of the job the handler is running (1 for
// the first), or 0 outside a handler.
func Attempt(ctx context.Context) int {
	n, _ := ctx.Value(attemptKey{}).(int)
	return n
}

// DeadLetter is the body of a message in ORDERS_DEAD.
type DeadLetter struct {
	Job Job `json:"job"`
	// Data is the raw job message when it could not be decoded.
	Data       []byte    `json:"data,omitempty"`
	Reason     string    `json:"reason"`
	Deliveries uint64    `json:"deliveries"`
	StreamSeq  uint64    `json:"stream_seq"`
	Stack      string    `json:"stack,omitempty"`
	At         time.Time `json:"at"`
}
