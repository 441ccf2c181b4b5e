package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"orders/internal/api"
	"orders/internal/audit"
	"orders/internal/blob"
	"orders/internal/blob/fsstore"
	"orders/internal/blob/natsstore"
	"orders/internal/layout"
	"orders/internal/natsd"
	"orders/internal/queue"
	"orders/internal/registry"
	"orders/internal/registry/postgres"
	"orders/internal/registry/sqlite"
	"orders/internal/render"
	"orders/internal/sign"
	"orders/internal/web"
	"orders/internal/worker"
)

// openExistingRegistry is openRegistry for the commands that only read or change what is
// there (token list, user passwd …): a data directory without a registry is an error that
// says so, not a new empty registry that lists nothing.
func openExistingRegistry(ctx context.Context, cfg config) (registry.Store, error) {
	if cfg.DatabaseURL == "" {
		path := filepath.Join(cfg.DataDir, "registry.db")
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("в каталоге %s нет реестра (%s): укажите каталог данных работающего ordersd (--data КАТАЛОГ или ORDERS_DATA)",
				cfg.DataDir, filepath.Base(path))
		}
	}
	return openRegistry(ctx, cfg)
}

func openRegistry(ctx context.Context, cfg config, opts ...registry.Option) (registry.Store, error) {
	if cfg.DatabaseURL != "" {
		if !strings.HasPrefix(cfg.DatabaseURL, "postgres://") && !strings.HasPrefix(cfg.DatabaseURL, "postgresql://") {
			return nil, fmt.Errorf("--database-url: only postgres:// URLs; leave it empty for SQLite")
		}
		st, err := postgres.Open(ctx, cfg.DatabaseURL, opts...)
		if err != nil {
			// A nil *postgres.Store in the interface would not be nil to the caller.
			return nil, err
		}
		return st, nil
	}
	// The API role with an external NATS is the first to use a fresh data directory.
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, err
	}
	st, err := sqlite.Open(ctx, filepath.Join(cfg.DataDir, "registry.db"), opts...)
	if err != nil {
		return nil, err
	}
	return st, nil
}

// checkpointEvery is how often the API writes checkpoints of every organization's audit
// trail to the document store (and once at start): entries cut from the end of a trail are
// seen against the last one.
const checkpointEvery = 24 * time.Hour

// firstCheckpointEvery is how often the API looks for trails without a checkpoint (a new
// organization's) and writes their first: until then, a trail could be rehashed whole with
// the unkeyed scheme of entries from before the key, unseen.
const firstCheckpointEvery = 5 * time.Minute

// service is the running process; Close takes it down in the order that loses nothing.
type service struct {
	log      *slog.Logger
	httpSrv  *http.Server
	listener net.Listener
	consumer *queue.Consumer
	queue    *queue.Queue
	nc       *nats.Conn
	embedded *natsd.Server
	store    registry.Store
	cancel   context.CancelFunc
	sweeper  chan struct{}
	sessions chan struct{}
	// checkpoints is closed when the writer of audit checkpoints has stopped.
	checkpoints chan struct{}
}

// start brings the service up; the caller owns Close. Tests use it directly.
func start(ctx context.Context, cfg config, log *slog.Logger) (_ *service, err error) {
	s := &service{log: log}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	if cfg.NATSURL == "" {
		opts := []natsd.Option{natsd.WithLogger(log.With("component", "nats"))}
		if cfg.NATSListen != "" {
			opts = append(opts, natsd.WithListen(cfg.NATSListen))
		}
		if s.embedded, err = natsd.Start(filepath.Join(cfg.DataDir, "nats"), opts...); err != nil {
			return nil, fmt.Errorf("embedded NATS: %w", err)
		}
		s.nc, err = s.embedded.Connect("ordersd")
	} else {
		s.nc, err = nats.Connect(cfg.NATSURL, nats.Name("ordersd-"+cfg.Role), nats.MaxReconnects(-1))
	}
	if err != nil {
		return nil, fmt.Errorf("NATS: %w", err)
	}
	js, err := jetstream.New(s.nc)
	if err != nil {
		return nil, err
	}
	q, err := queue.Setup(ctx, js, queue.Config{Replicas: cfg.Replicas, AckWait: cfg.AckWait, Log: log.With("component", "queue")})
	if err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	s.queue = q
	// The API keys the audit trail it appends to (workers append nothing): the keys come
	// from the secret key, which is not in the database.
	var secret, checkpointKey []byte
	var regOpts []registry.Option
	if cfg.Role != "worker" {
		if secret, err = secretKey(cfg.DataDir, log); err != nil {
			return nil, err
		}
		chainKey, cpKey, err := audit.Keys(secret)
		if err != nil {
			return nil, err
		}
		checkpointKey = cpKey
		regOpts = append(regOpts, registry.WithAuditKey(chainKey))
	}
	if s.store, err = openRegistry(ctx, cfg, regOpts...); err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	var blobs blob.Store
	if cfg.Store == "nats" {
		blobs, err = natsstore.New(ctx, js, natsstore.Config{Replicas: cfg.Replicas})
	} else {
		blobs, err = fsstore.New(filepath.Join(cfg.DataDir, "documents"))
	}
	if err != nil {
		return nil, fmt.Errorf("document store: %w", err)
	}

	if cfg.PprofAddr != "" {
		// pprof registers itself on http.DefaultServeMux, which nothing else here uses.
		go func() { log.Warn("pprof", "err", http.ListenAndServe(cfg.PprofAddr, nil)) }()
	}
	metrics := prometheus.NewRegistry()
	metrics.MustRegister(prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.cancel = cancel

	renderer := render.New(layout.Options{Left: cfg.MarginLeft, LineSpacing: cfg.LineSpacing})
	// Only where intake and renders share the process do renders step back for intake.
	var prio *worker.Priority
	var accepted func()
	if cfg.Role == "all" && cfg.IntakeFirst > 0 {
		prio = worker.NewPriority(cfg.IntakeFirst)
		accepted = prio.Arrived
	}
	if cfg.Role != "api" {
		w := &worker.Worker{
			Store: s.store, Blobs: blobs, Log: log.With("component", "worker"),
			Renderer: renderer, CheckBase: cfg.PublicURL,
			Metrics:  worker.NewMetrics(metrics),
			Priority: prio,
		}
		s.consumer, err = q.Consume(runCtx, w.Handle, queue.ConsumeOptions{
			Concurrency: cfg.Workers, OnDead: w.OnDead, Logger: log.With("component", "queue"),
		})
		if err != nil {
			return nil, fmt.Errorf("consumer: %w", err)
		}
	}
	if cfg.Role != "worker" {
		if err := ensureAdminToken(ctx, s.store, cfg.DataDir, log); err != nil {
			return nil, fmt.Errorf("admin token: %w", err)
		}
		sw := &worker.Sweeper{Store: s.store, Queue: q, After: cfg.SweepAfter, Every: cfg.SweepAfter / 4, Log: log.With("component", "sweeper")}
		s.sweeper = make(chan struct{})
		go func() { defer close(s.sweeper); sw.Run(runCtx) }()

		pages := web.New(web.Config{Store: s.store, Log: log.With("component", "web")})
		s.sessions = make(chan struct{})
		go func() { defer close(s.sessions); expireSessions(runCtx, s.store, log) }()
		cp := &audit.Checkpointer{Chain: s.store, Blobs: blobs, Key: checkpointKey, Log: log.With("component", "audit")}
		s.checkpoints = make(chan struct{})
		go func() { defer close(s.checkpoints); cp.Run(runCtx, checkpointEvery, firstCheckpointEvery) }()
		srv := api.New(api.Config{
			SecretKey: secret,
			Store:     s.store, Blobs: blobs, Queue: q, MaxBody: cfg.MaxBody, Log: log.With("component", "api"), Metrics: metrics,
			Renderer: renderer, Extra: pages.Mount, NotFoundPage: pages.NotFound, Accepted: accepted, PublicURL: cfg.PublicURL,
			Verifier: &sign.Verifier{Roots: cfg.trustRoots},
			Checks: map[string]func(context.Context) error{"nats": func(context.Context) error {
				if !s.nc.IsConnected() {
					return errors.New("not connected")
				}
				return nil
			}},
		})
		if s.listener, err = net.Listen("tcp", cfg.Addr); err != nil {
			return nil, err
		}
		s.httpSrv = &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
		go func() {
			if err := s.httpSrv.Serve(s.listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("http", "err", err)
			}
		}()
		log.Info("listening", "addr", s.listener.Addr().String(), "role", cfg.Role)
	} else {
		// A worker serves only health and metrics, so an orchestrator can probe it too.
		mux := http.NewServeMux()
		mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, `{"status":"ok"}`) })
		mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
			if err := s.store.Ping(r.Context()); err != nil || !s.nc.IsConnected() {
				http.Error(w, `{"status":"not ready"}`, http.StatusServiceUnavailable)
				return
			}
			fmt.Fprintln(w, `{"status":"ok"}`)
		})
		mux.Handle("GET /metrics", promhttp.HandlerFor(metrics, promhttp.HandlerOpts{}))
		if s.listener, err = net.Listen("tcp", cfg.Addr); err != nil {
			return nil, err
		}
		s.httpSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = s.httpSrv.Serve(s.listener) }()
	}
	return s, nil
}

// Addr is where the HTTP server listens ("" for a worker).
func (s *service) Addr() string {
	if s.listener == nil {
		return ""
	}
	return s.listener.Addr().String()
}

// Close stops intake first, then lets running renders finish (unfinished jobs go back to
// the queue after AckWait), then drains NATS and closes the registry.
func (s *service) Close() {
	if s.httpSrv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		_ = s.httpSrv.Shutdown(ctx)
		cancel()
	}
	if s.consumer != nil {
		s.consumer.Stop()
	}
	if s.cancel != nil {
		s.cancel()
	}
	if s.sweeper != nil {
		<-s.sweeper
	}
	if s.sessions != nil {
		<-s.sessions
	}
	if s.checkpoints != nil {
		<-s.checkpoints
	}
	if s.queue != nil {
		// Jobs the API enqueued without waiting: let them reach the server before the
		// connection goes (an order whose job is lost here still waits for the sweeper).
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := s.queue.Flush(ctx); err != nil {
			s.log.Warn("shutdown", "err", err)
		}
		cancel()
	}
	if s.nc != nil {
		_ = s.nc.Drain()
		for s.nc.IsDraining() {
			time.Sleep(10 * time.Millisecond)
		}
	}
	if s.embedded != nil {
		s.embedded.Shutdown()
	}
	if s.store != nil {
		_ = s.store.Close()
	}
}

// expireSessions deletes ended web sessions and old login failures every hour: the registry
// already refuses them, this only keeps the tables small.
func expireSessions(ctx context.Context, store registry.Store, log *slog.Logger) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := store.DeleteExpiredSessions(ctx); err != nil && ctx.Err() == nil {
				log.Warn("deleting expired sessions", "err", err)
			} else if n > 0 {
				log.Info("expired sessions deleted", "count", n)
			}
		}
	}
}

// gcPercent is the Go garbage collector's target (GOGC) when the environment sets none. The
// live heap is small (~12 MB while taking 500 orders/s) but renders allocate ~0.5 MB each, so
// at the default of 100 the collector ran ~19 times a second (~3.6 at 400), and its marking
// competed with the intake for the CPUs. At 400 (orderctl bench -n 5000 -c 32 -rate 500, three
// runs each): intake p99 12.2-14.2 ms instead of 15.3 ms, and 7 % less CPU, for a larger heap.
const gcPercent = 400

// memoryLimit is the Go runtime's soft memory limit (GOMEMLIMIT) when the environment sets
// none. At GOGC=400 the heap may grow to five times what is live: a 10,000-row batch holds
// 55-80 MB live while it is checked and recorded, and the process rose to 430-530 MiB
// (VmHWM). Near this limit the collector runs earlier instead. The limit counts only the Go
// runtime's memory: SQLite's page caches and temp store (modernc's own allocator) add
// ~50-100 MB more during a batch's transaction, so at 200 MiB the batch still peaked at
// 304 MiB; at this value it stays under 300. Plain traffic (~12 MB live) reaches the
// limit only in its garbage, and collecting 12 MB live is cheap.
const memoryLimit = 160 << 20

// tuneGC sets the collector's target and soft limit unless the environment sets them.
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
}

func serve(ctx context.Context, cfg config, log *slog.Logger) error {
	tuneGC(os.Getenv)
	s, err := start(ctx, cfg, log)
	if err != nil {
		return err
	}
	<-ctx.Done()
	log.Info("shutting down")
	s.Close()
	log.Info("stopped")
	return nil
}
