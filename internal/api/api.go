// Package api owns the HTTP interface of the service under /api/v1: intake of drafts,
// order status and downloads, organizations, health, metrics and the OpenAPI document.
// Errors are RFC 7807 problem+json; every query is scoped to the caller's organization.
package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"orders/internal/audit"
	"orders/internal/auth"
	"orders/internal/blob"
	"orders/internal/layout"
	"orders/internal/queue"
	"orders/internal/registry"
	"orders/internal/render"
	"orders/internal/sign"
)

// Publisher puts render jobs on the queue.
type Publisher interface {
	Publish(ctx context.Context, job queue.Job, msgID string) (duplicate bool, err error)
	// Enqueue publishes without waiting for the acknowledgement (see publish).
	Enqueue(job queue.Job, msgID string) error
	Depth(ctx context.Context) (uint64, error)
}

// Config wires the server to its dependencies.
type Config struct {
	Store registry.Store
	Blobs blob.Store
	Queue Publisher
	// Accepted, if set, is called for every order taken in by POST /orders (the all-in-one
	// role lets its renders step back while orders arrive: worker.Priority).
	Accepted func()
	// Checks are extra readiness probes by name (e.g. "nats").
	Checks map[string]func(context.Context) error
	// MaxBody is the largest accepted request body in bytes; default 8 MiB.
	MaxBody int64
	Log     *slog.Logger
	// SecretKey (32 bytes) seals organizations' signing keys at rest (AES-256-GCM); every API
	// process of a deployment needs the same one.
	SecretKey []byte
	// Verifier checks signatures: the installation's trusted roots (--trust-roots) and the
	// OpenSSL that checks GOST signatures. Nil checks the mathematics only and reports trust
	// as not checked.
	Verifier *sign.Verifier
	// Renderer draws the stamped PDF at signing and previews.
	Renderer *render.Renderer
	// Metrics registry; default a fresh one (tests create many servers).
	Metrics *prometheus.Registry
	// Extra mounts more routes on the same engine (the web pages), so one listener and one
	// set of middleware serve both.
	Extra func(*gin.Engine)

	// MaxImport is the largest request of POST /orders/import; default DefaultMaxImport.
	MaxImport int64
}

// Server is the HTTP API.
type Server struct {
	cfg     Config
	log     *slog.Logger
	engine  *gin.Engine
	auth    auth.Store // cfg.Store with API tokens cached
	metrics *prometheus.Registry
	reqs    *prometheus.CounterVec
	// integrity counts stored documents that did not match their SHA-256 on reading.
	integrity prometheus.Counter
	latency   *prometheus.HistogramVec
	// republish publishes again, with growing delays, the jobs whose publish failed.
	republish *queue.Republisher
	// checkpoints checks and writes the audit chain's checkpoints; nil without a secret key.
	checkpoints *audit.Checkpointer
}

// DefaultMaxBody fits a draft with a 10,000-row appendix table.
const DefaultMaxBody = 8 << 20

func init() { gin.SetMode(gin.ReleaseMode) }

// New builds the server and its routes.
func New(cfg Config) *Server {
	if cfg.MaxBody == 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Metrics == nil {
		cfg.Metrics = prometheus.NewRegistry()
	}
	if cfg.Verifier == nil {
		cfg.Verifier = &sign.Verifier{}
	}
	s := &Server{cfg: cfg, log: cfg.Log, metrics: cfg.Metrics, auth: auth.WithTokenCache(cfg.Store)}
	if _, key, err := audit.Keys(cfg.SecretKey); err == nil && len(cfg.SecretKey) == 32 {
		s.checkpoints = &audit.Checkpointer{Chain: cfg.Store, Blobs: cfg.Blobs, Key: key, Log: cfg.Log.With("component", "audit")}
	}
	s.republish = &queue.Republisher{Log: cfg.Log, Publish: func(ctx context.Context, job queue.Job, id string) (bool, error) {
		return s.cfg.Queue.Publish(ctx, job, id)
	}}
	s.reqs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "orders_http_requests_total", Help: "HTTP requests by route and status code.",
	}, []string{"route", "method", "code"})
	s.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "orders_http_request_duration_seconds", Help: "HTTP request latency by route.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
	}, []string{"route", "method"})
	s.integrity = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "orders_document_integrity_failures_total", Help: "Stored documents whose bytes did not match their SHA-256 when read.",
	})
	if cfg.Renderer == nil {
		cfg.Renderer = render.New(layout.Options{})
		s.cfg.Renderer = cfg.Renderer
	}
	s.metrics.MustRegister(s.reqs, s.latency, s.integrity, s.queueDepth(), s.statusGauge())

	e := gin.New()
	e.HandleMethodNotAllowed = true
	e.Use(s.recover, s.observe)
	e.NoRoute(func(c *gin.Context) {
		problem(c, http.StatusNotFound, "нет такого адреса: "+c.Request.URL.Path)
	})
	e.NoMethod(func(c *gin.Context) {
		problem(c, http.StatusMethodNotAllowed, "метод "+c.Request.Method+" по этому адресу не поддерживается")
	})

	e.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	e.GET("/readyz", s.ready)
	e.GET("/metrics", gin.WrapH(promhttp.HandlerFor(s.metrics, promhttp.HandlerOpts{})))

	v1 := e.Group("/api/v1")
	v1.GET("/openapi.json", s.openAPI)
	auth := v1.Group("", s.authenticate)
	auth.POST("/orders", s.allow(roleClerk, roleHead, roleAdmin), s.createOrder)
	auth.POST("/orders/import", s.allow(roleArchivist, roleAdmin), s.importOrder)
	auth.GET("/orders", s.listOrders)
	auth.GET("/orders/:id", s.getOrder)
	auth.PUT("/orders/:id", s.allow(roleClerk, roleHead, roleAdmin), s.updateOrder)
	auth.DELETE("/orders/:id", s.allow(roleClerk, roleHead, roleAdmin), s.deleteOrder)
	auth.POST("/orders/:id/rerender", s.allow(roleClerk, roleHead, roleAdmin), s.rerender)
	auth.GET("/orders/:id/document.pdf", s.download("pdf"))
	auth.GET("/orders/:id/document.docx", s.download("docx"))
	auth.POST("/orders/:id/register", s.allow(roleHead, roleAdmin), s.register)
	auth.POST("/orders/:id/sign", s.allow(roleHead, roleAdmin), s.signOrder)
	auth.POST("/orders/:id/cancel", s.allow(roleHead, roleAdmin), s.cancel)
	auth.GET("/orders/:id/signed.pdf", s.signedPDF)
	auth.GET("/orders/:id/signatures", s.listSignatures)
	auth.POST("/orders/:id/signatures", s.allow(roleHead, roleAdmin), s.addSignature)
	auth.GET("/orders/:id/acknowledgements", s.listAcks)
	auth.POST("/orders/:id/acknowledgements", s.allow(roleClerk, roleHead, roleAdmin), s.recordAck)
	auth.GET("/orders/:id/audit", s.orderAudit)
	auth.GET("/journals", s.listJournals)
	auth.PUT("/journals/:journal", s.allow(roleHead, roleAdmin), s.putJournal)
	auth.GET("/archive", s.allow(roleArchivist, roleHead, roleAdmin, roleClerk), s.archive)
	auth.GET("/archive/export", s.allow(roleArchivist, roleHead, roleAdmin), s.export)
	auth.GET("/audit", s.allow(roleArchivist, roleHead, roleAdmin), s.listAudit)
	auth.GET("/audit/verify", s.allow(roleArchivist, roleHead, roleAdmin), s.verifyAudit)
	auth.POST("/audit/checkpoint", s.allow(roleAdmin), s.writeCheckpoint)
	auth.PUT("/organizations/:id/signing", s.allow(roleAdmin), s.putSigning)
	auth.GET("/organizations", s.listOrganizations)
	auth.GET("/organizations/:id", s.getOrganization)
	auth.PUT("/organizations/:id", s.allow(roleAdmin), s.putOrganization)
	auth.DELETE("/organizations/:id", s.allow(roleAdmin), s.deleteOrganization)
	s.previewRoutes(auth)
	s.batchRoutes(auth)
	s.recordsRoutes(e, v1, auth)
	if cfg.Extra != nil {
		cfg.Extra(e)
	}
	s.engine = e
	return s
}

// Handler is the server as an http.Handler.
func (s *Server) Handler() http.Handler { return s.engine }

// Routes lists "METHOD path" of every route, for the OpenAPI test.
func (s *Server) Routes() []string {
	var out []string
	for _, r := range s.engine.Routes() {
		out = append(out, r.Method+" "+r.Path)
	}
	return out
}

// recover turns a handler's panic into a 500 problem while nothing has been sent. Once a body
// has started (a ZIP stream), a problem document appended to it would make a cut archive look
// answered, so the connection is cut instead: http.ErrAbortHandler is passed on to net/http,
// and any other panic becomes one after it is logged.
func (s *Server) recover(c *gin.Context) {
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		if r != http.ErrAbortHandler {
			s.log.Error("panic in handler", "panic", r, "path", c.Request.URL.Path)
		}
		if r == http.ErrAbortHandler || c.Writer.Written() {
			panic(http.ErrAbortHandler)
		}
		problem(c, http.StatusInternalServerError, msgInternal)
	}()
	c.Next()
}

func (s *Server) observe(c *gin.Context) {
	start := time.Now()
	c.Next()
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	s.reqs.WithLabelValues(route, c.Request.Method, strconv.Itoa(c.Writer.Status())).Inc()
	s.latency.WithLabelValues(route, c.Request.Method).Observe(time.Since(start).Seconds())
}

func (s *Server) queueDepth() prometheus.Collector {
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "orders_queue_depth", Help: "Render jobs waiting in the queue.",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		n, err := s.cfg.Queue.Depth(ctx)
		if err != nil {
			return -1
		}
		return float64(n)
	})
}

// statusGauge reports orders by status at scrape time; the registry is the truth, so no
// counter in this process can drift from it.
func (s *Server) statusGauge() prometheus.Collector {
	return statusCollector{s: s, desc: prometheus.NewDesc("orders_by_status", "Orders in the registry by status.", []string{"status"}, nil)}
}

type statusCollector struct {
	s    *Server
	desc *prometheus.Desc
}

func (sc statusCollector) Describe(ch chan<- *prometheus.Desc) { ch <- sc.desc }

func (sc statusCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	counts, err := sc.s.cfg.Store.CountByStatus(ctx)
	if err != nil {
		return
	}
	for _, st := range registry.Statuses {
		ch <- prometheus.MustNewConstMetric(sc.desc, prometheus.GaugeValue, float64(counts[st]), string(st))
	}
}

// readyTimeout bounds each readiness check; a variable so tests need not wait for it.
var readyTimeout = 3 * time.Second

// ready checks the parts the API needs, each in its own goroutine under its own deadline, so
// a slow part cannot use up the others' time and mark them down. The answer is public: it
// says which part is down in words, and the errors (a database's user, host and name are in
// the driver's) go to the log only.
func (s *Server) ready(c *gin.Context) {
	checks := map[string]func(context.Context) error{
		"database": s.cfg.Store.Ping,
		"store":    s.cfg.Blobs.Ping,
		"queue":    func(ctx context.Context) error { _, err := s.cfg.Queue.Depth(ctx); return err },
	}
	for k, f := range s.cfg.Checks {
		checks[k] = f
	}
	type outcome struct {
		name string
		err  error
	}
	results := make(chan outcome, len(checks))
	for name, check := range checks {
		go func() {
			ctx, cancel := context.WithTimeout(c.Request.Context(), readyTimeout)
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- check(ctx) }()
			select {
			case err := <-done:
				results <- outcome{name, err}
			case <-ctx.Done():
				// A check that ignores its context is left behind, not waited for.
				results <- outcome{name, fmt.Errorf("no answer within %s", readyTimeout)}
			}
		}()
	}
	result, ok := gin.H{}, true
	for range checks {
		r := <-results
		if r.err == nil {
			result[r.name] = "ok"
			continue
		}
		ok = false
		s.log.Warn("not ready", "part", r.name, "err", r.err)
		result[r.name] = "недоступно"
	}
	code := http.StatusOK
	if !ok {
		code = http.StatusServiceUnavailable
		c.Header("Retry-After", retryAfter)
	}
	c.JSON(code, result)
}

// Roles of API tokens and users; internal/auth defines them.
const (
	roleClerk     = auth.RoleClerk
	roleHead      = auth.RoleHead
	roleArchivist = auth.RoleArchivist
	roleAdmin     = auth.RoleAdmin
)

type caller struct {
	role  string
	orgID string // "" for admin: every organization
	actor string // who, for the audit trail
	// user is the web user of a session cookie; uuid.Nil for an API token.
	user uuid.UUID
	// display is who the caller is as a person reads it on a document: the user's name or
	// login, a token's name, else the actor.
	display string
}

// authenticate accepts an API token or the web pages' session cookie (internal/auth); a
// cookie request that changes something must carry the session's X-CSRF-Token.
func (s *Server) authenticate(c *gin.Context) {
	cl, err := auth.Authenticate(c.Request.Context(), s.auth, c.Request)
	switch {
	case errors.Is(err, auth.ErrNoCredentials):
		c.Header("WWW-Authenticate", `Bearer realm="orders"`)
		problem(c, http.StatusUnauthorized, "нужен токен API: заголовок Authorization: Bearer <токен> (или вход на веб-страницах)")
		return
	case errors.Is(err, auth.ErrBadToken):
		c.Header("WWW-Authenticate", `Bearer realm="orders", error="invalid_token"`)
		problem(c, http.StatusUnauthorized, "токен API не найден: он неверен или отозван")
		return
	case errors.Is(err, auth.ErrNoSession):
		problem(c, http.StatusUnauthorized, "сеанс завершён: войдите снова")
		return
	case errors.Is(err, auth.ErrCSRF):
		problem(c, http.StatusForbidden, "форма устарела: обновите страницу (нет верного X-CSRF-Token этого сеанса)")
		return
	case err != nil:
		s.storeError(c, err)
		return
	}
	display := cl.Name
	if display == "" {
		display = cl.Login
	}
	if display == "" {
		display = cl.TokenName
	}
	if display == "" {
		display = cl.Actor
	}
	c.Set("caller", caller{role: cl.Role, orgID: cl.OrgID, actor: cl.Actor, user: cl.UserID, display: display})
	c.Next()
}

func who(c *gin.Context) caller {
	v, _ := c.Get("caller")
	cl, _ := v.(caller)
	return cl
}

func (s *Server) allow(roles ...string) gin.HandlerFunc {
	return func(c *gin.Context) {
		r := who(c).role
		for _, ok := range roles {
			if r == ok {
				c.Next()
				return
			}
		}
		problem(c, http.StatusForbidden, "роли «"+word(roleWords, r)+"» это действие недоступно")
	}
}
