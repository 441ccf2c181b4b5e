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
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"orders/internal/approval"
	"orders/internal/audit"
	"orders/internal/auth"
	"orders/internal/blob"
	"orders/internal/issue"
	"orders/internal/layout"
	"orders/internal/lifecycle"
	"orders/internal/orgtemplate"
	"orders/internal/queue"
	"orders/internal/registry"
	"orders/internal/render"
	"orders/internal/sign"
	"orders/internal/signing"
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
	// Store is the registry; each handler group and service uses its own narrow part of it.
	Store Store
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
	// NotFoundPage, if set, answers a browser's request for an unknown page outside /api/
	// (one that accepts text/html) instead of the problem+json.
	NotFoundPage gin.HandlerFunc

	// MaxImport is the largest request of POST /orders/import; default DefaultMaxImport.
	MaxImport int64
	// PublicURL is the installation's address as people outside reach it; the QR code of a
	// registered order then carries its public check address. "" keeps the code's text.
	PublicURL string
	// ReadyTimeout bounds each readiness check; default DefaultReadyTimeout.
	ReadyTimeout time.Duration

	// Batches is the registry as batch issuing needs it; default Store.
	Batches issue.Store
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
	// templates keeps organizations' order templates.
	templates *orgtemplate.Service
	// batches issues batches of orders (internal/issue).
	batches *issue.Service
	// shutdowns holds, per *http.Server, a channel closed when it shuts down (see
	// shutdownSignal).
	shutdowns sync.Map
	// signing signs orders and takes signatures made elsewhere.
	signing *signing.Service
	// life runs the lifecycle steps: register, cancel, acknowledge, rerender, delete, import.
	life *lifecycle.Service

	// The registry as each handler group sees it (stores.go).
	orders   orderStore
	records  recordStore
	journals journalStore
	orgs     organizationStore
	health   healthStore
	// approvals runs approval routes and draft versions (approval.go).
	approvals *approval.Service
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
	if cfg.ReadyTimeout == 0 {
		cfg.ReadyTimeout = DefaultReadyTimeout
	}
	s := &Server{cfg: cfg, log: cfg.Log, metrics: cfg.Metrics, auth: auth.WithTokenCache(cfg.Store),
		orders: cfg.Store, records: cfg.Store, journals: cfg.Store, orgs: cfg.Store, health: cfg.Store,
		templates: orgtemplate.New(cfg.Store)}
	if _, key, err := audit.Keys(cfg.SecretKey); err == nil && len(cfg.SecretKey) == 32 {
		s.checkpoints = &audit.Checkpointer{Chain: cfg.Store, Blobs: cfg.Blobs, Key: key, Log: cfg.Log.With("component", "audit")}
	}
	s.republish = &queue.Republisher{Log: cfg.Log, Publish: func(ctx context.Context, job queue.Job, id string) (bool, error) {
		return s.cfg.Queue.Publish(ctx, job, id)
	}}
	if cfg.Batches == nil {
		cfg.Batches = cfg.Store
	}
	s.batches = issue.New(issue.Config{Store: cfg.Batches, Blobs: cfg.Blobs, Jobs: renderJobs{s}, Intake: batchIntake{s},
		Log: cfg.Log})
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
	s.signing = &signing.Service{Store: cfg.Store, Blobs: cfg.Blobs, Renderer: cfg.Renderer, Verifier: cfg.Verifier,
		SecretKey: cfg.SecretKey, CheckBase: cfg.PublicURL}
	s.life = &lifecycle.Service{Store: cfg.Store, Blobs: cfg.Blobs, Queue: cfg.Queue, Republish: s.republish,
		Signatures: s.signing, Layout: cfg.Renderer, Log: cfg.Log}
	s.metrics.MustRegister(s.reqs, s.latency, s.integrity, s.queueDepth(), s.statusGauge())

	e := gin.New()
	e.HandleMethodNotAllowed = true
	e.Use(s.recover, s.observe)
	e.NoRoute(func(c *gin.Context) {
		if s.cfg.NotFoundPage != nil && !strings.HasPrefix(c.Request.URL.Path, "/api/") &&
			strings.Contains(c.GetHeader("Accept"), "text/html") {
			s.cfg.NotFoundPage(c)
			return
		}
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
	g := v1.Group("", s.authenticate)
	g.POST("/orders", s.allow(auth.ActEditDraft), s.createOrder)
	g.POST("/orders/import", s.allow(auth.ActImport), s.importOrder)
	g.GET("/orders", s.listOrders)
	g.GET("/orders/:id", s.getOrder)
	g.PUT("/orders/:id", s.allow(auth.ActEditDraft), s.updateOrder)
	g.DELETE("/orders/:id", s.allow(auth.ActEditDraft), s.deleteOrder)
	g.POST("/orders/:id/rerender", s.allow(auth.ActEditDraft), s.rerender)
	g.GET("/orders/:id/document.pdf", s.download("pdf"))
	g.GET("/orders/:id/document.docx", s.download("docx"))
	g.POST("/orders/:id/register", s.allow(auth.ActRegister), s.register)
	g.POST("/orders/:id/sign", s.allow(auth.ActSign), s.signOrder)
	g.POST("/orders/:id/cancel", s.allow(auth.ActCancel), s.cancel)
	g.GET("/orders/:id/signed.pdf", s.signedPDF)
	g.GET("/orders/:id/signatures", s.listSignatures)
	g.POST("/orders/:id/signatures", s.allow(auth.ActSign), s.addSignature)
	g.GET("/orders/:id/acknowledgements", s.listAcks)
	g.POST("/orders/:id/acknowledgements", s.allow(auth.ActAcknowledge), s.recordAck)
	g.GET("/orders/:id/audit", s.orderAudit)
	g.GET("/journals", s.listJournals)
	g.PUT("/journals/:journal", s.allow(auth.ActManageJournals), s.putJournal)
	g.GET("/archive", s.allow(auth.ActReadArchive), s.archive)
	g.GET("/archive/export", s.allow(auth.ActExport), s.export)
	g.GET("/audit", s.allow(auth.ActAudit), s.listAudit)
	g.GET("/audit/verify", s.allow(auth.ActAudit), s.verifyAudit)
	g.POST("/audit/checkpoint", s.allow(auth.ActCheckpoint), s.writeCheckpoint)
	g.PUT("/organizations/:id/signing", s.allow(auth.ActManageOrganizations), s.putSigning)
	g.GET("/organizations", s.listOrganizations)
	g.GET("/organizations/:id", s.getOrganization)
	g.PUT("/organizations/:id", s.allow(auth.ActManageOrganizations), s.putOrganization)
	g.DELETE("/organizations/:id", s.allow(auth.ActManageOrganizations), s.deleteOrganization)
	g.GET("/organizations/:id/emblem", s.getEmblem)
	g.PUT("/organizations/:id/emblem", s.allow(auth.ActManageOrganizations), s.putOrgFile(emblemRule))
	g.DELETE("/organizations/:id/emblem", s.allow(auth.ActManageOrganizations), s.deleteOrgFile(emblemRule))
	g.PUT("/organizations/:id/letterhead", s.allow(auth.ActManageOrganizations), s.putOrgFile(letterheadRule))
	g.DELETE("/organizations/:id/letterhead", s.allow(auth.ActManageOrganizations), s.deleteOrgFile(letterheadRule))
	s.previewRoutes(g)
	s.batchRoutes(g)
	s.templateRoutes(g)
	g.GET("/decline", s.declineText)
	s.approvalRoutes(g)
	s.recordsRoutes(e, v1, g)
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
	counts, err := sc.s.health.CountByStatus(ctx)
	if err != nil {
		return
	}
	for _, st := range registry.Statuses {
		ch <- prometheus.MustNewConstMetric(sc.desc, prometheus.GaugeValue, float64(counts[st]), string(st))
	}
}

// DefaultReadyTimeout bounds each readiness check unless Config.ReadyTimeout says otherwise.
const DefaultReadyTimeout = 3 * time.Second

// ready checks the parts the API needs, each in its own goroutine under its own deadline, so
// a slow part cannot use up the others' time and mark them down. The answer is public: it
// says which part is down in words, and the errors (a database's user, host and name are in
// the driver's) go to the log only.
func (s *Server) ready(c *gin.Context) {
	checks := map[string]func(context.Context) error{
		"database": s.health.Ping,
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
			ctx, cancel := context.WithTimeout(c.Request.Context(), s.cfg.ReadyTimeout)
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- check(ctx) }()
			select {
			case err := <-done:
				results <- outcome{name, err}
			case <-ctx.Done():
				// A check that ignores its context is left behind, not waited for.
				results <- outcome{name, fmt.Errorf("no answer within %s", s.cfg.ReadyTimeout)}
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
	c.Set("caller", caller{role: cl.Role, orgID: cl.OrgID, actor: cl.Actor, user: cl.UserID, display: cl.Display()})
	c.Next()
}

func who(c *gin.Context) caller {
	v, _ := c.Get("caller")
	cl, _ := v.(caller)
	return cl
}

// allow lets the request through when the caller's role may do act (auth.Can, the one
// table the web pages ask too).
func (s *Server) allow(act auth.Action) gin.HandlerFunc {
	return func(c *gin.Context) {
		r := who(c).role
		if auth.Can(r, act) {
			c.Next()
			return
		}
		problem(c, http.StatusForbidden, "роли «"+auth.RoleName(r)+"» это действие недоступно")
	}
}
