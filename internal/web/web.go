// Package web serves the pages people use: clerks fill orders, heads register and sign,
// archivists search, departments issue batches. The pages are rendered on the server with
// html/template; their small hand-written scripts call the JSON API under /api/v1 with the
// session cookie and its CSRF token, so every rule about orders stays in internal/api.
package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"orders/internal/auth"
	"orders/internal/registry"
	"orders/internal/ru"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Store is the part of the registry the pages read, and their logins and sessions write.
type Store interface {
	auth.Store
	UserByLogin(ctx context.Context, login string) (*registry.User, error)
	CreateSession(ctx context.Context, s *registry.Session) error
	TryLogin(ctx context.Context, login, addr string, at time.Time, policy registry.LoginPolicy) (wait time.Duration, failures int, err error)
	ClearLoginFailures(ctx context.Context, login, addr string) error
	GetOrder(ctx context.Context, orgID string, id uuid.UUID) (*registry.Order, error)
	ListOrders(ctx context.Context, f registry.Filter) (orders []registry.Order, nextCursor string, err error)
	GetOrganization(ctx context.Context, id string) (*registry.Organization, error)
	ListOrganizations(ctx context.Context) ([]registry.Organization, error)
	CountOrders(ctx context.Context, f registry.Filter) (int, error)
	GetBatch(ctx context.Context, orgID string, id uuid.UUID) (*registry.Batch, error)
	ListJournals(ctx context.Context, orgID string) ([]registry.Journal, error)
	ListUsers(ctx context.Context, orgID string) ([]registry.User, error)
	CreateUser(ctx context.Context, u *registry.User) error
	SetUserDisabled(ctx context.Context, id uuid.UUID, disabled bool) error
	PendingApprovals(ctx context.Context, orgID string, user uuid.UUID) ([]registry.PendingApproval, error)
	ApprovalRequired(ctx context.Context, orgID string) (bool, error)
	// Control of execution, case files and the public check (records.go).
	registry.Controls
	registry.Cases
	registry.PublicOrders
}

// Config wires the pages to the registry.
type Config struct {
	Store Store
	Log   *slog.Logger
	// LoginPolicy slows down repeated wrong passwords of one login from one address;
	// registry.DefaultLoginPolicy when zero.
	LoginPolicy registry.LoginPolicy
	// Now is the clock of login throttling; time.Now when nil.
	Now func() time.Time
}

// Server is the set of pages.
type Server struct {
	cfg     Config
	log     *slog.Logger
	pages   map[string]*template.Template
	static  fs.FS
	version string // of the assets, in their URLs, so a new build is never served stale
}

// New parses the templates; a broken template fails here, at start, not on a request.
func New(cfg Config) *Server {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.LoginPolicy == (registry.LoginPolicy{}) {
		cfg.LoginPolicy = registry.DefaultLoginPolicy
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Server{cfg: cfg, log: cfg.Log, pages: map[string]*template.Template{}}
	s.static, _ = fs.Sub(staticFS, "static")
	h := sha256.New()
	_ = fs.WalkDir(s.static, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			data, _ := fs.ReadFile(s.static, p)
			h.Write([]byte(p))
			h.Write(data)
		}
		return nil
	})
	s.version = hex.EncodeToString(h.Sum(nil))[:12]
	funcs := template.FuncMap{
		"asset":     func(name string) string { return "/static/" + name + "?v=" + s.version },
		"roleName":  auth.RoleName,
		"stateName": stateName,
		"statusName": func(st registry.Status) string {
			return statusNames[st]
		},
		"date":     ru.NumericDay,
		"datetime": ruDateTime,
		"json":     toJSON,
		"q":        url.QueryEscape,
		"has":      func(list []string, v string) bool { return slices.Contains(list, v) },
		"capital":  capital,
		"actor":    auth.ActorName,
		"genitive": func(kind string) string {
			if g, ok := map[string]string{"приказ": "приказа", "распоряжение": "распоряжения", "решение": "решения"}[kind]; ok {
				return g
			}
			return kind
		},
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	for _, n := range names {
		base := path.Base(n)
		if base == "layout.html" {
			continue
		}
		s.pages[strings.TrimSuffix(base, ".html")] = template.Must(
			template.New(base).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", n))
	}
	return s
}

// Mount adds the pages to the API's gin engine: one listener, one set of middleware.
func (s *Server) Mount(e *gin.Engine) {
	e.GET("/static/*file", s.asset)
	e.GET("/favicon.ico", s.favicon)
	e.GET("/login", s.loginPage)
	e.POST("/login", s.login)
	e.POST("/logout", s.page(s.logout))
	e.GET("/", s.page(func(c *gin.Context, _ auth.Caller) { c.Redirect(http.StatusSeeOther, "/orders") }))
	e.GET("/orders", s.page(s.ordersPage))
	e.GET("/orders/new", s.page(s.editorPage, auth.ActEditDraft))
	e.GET("/orders/:id", s.page(s.orderPage))
	e.GET("/orders/:id/edit", s.page(s.editorPage, auth.ActEditDraft))
	e.GET("/archive", s.page(s.archivePage, auth.ActReadArchive))
	e.GET("/batches", s.page(s.batchPage, auth.ActBatch))
	e.GET("/batches/:id", s.page(s.batchPage, auth.ActBatch))
	e.GET("/settings", s.page(s.settingsPage, auth.ActManageJournals))
	e.GET("/templates", s.page(s.templatesPage))
	e.GET("/templates/:name", s.page(s.templatesPage))
	e.POST("/settings/users", s.page(s.addUser, auth.ActManageJournals))
	e.POST("/settings/users/:id/state", s.page(s.setUserState, auth.ActManageJournals))
	s.approvalPages(e)
	s.mountRecords(e)
}

// NotFound is the page of an unknown address, for a browser: the header with the menu when
// someone is logged in, so the way back is one click.
func (s *Server) NotFound(c *gin.Context) {
	cl, err := auth.FromSession(c.Request.Context(), s.cfg.Store, c.Request)
	if err != nil {
		cl = auth.Caller{}
	}
	s.errorPage(c, cl, http.StatusNotFound, "Страница не найдена",
		"Такой страницы нет: проверьте адрес или перейдите к списку приказов.")
}

// favicon answers the browsers that ask for /favicon.ico whatever the page says.
func (s *Server) favicon(c *gin.Context) {
	data, err := fs.ReadFile(s.static, "favicon.svg")
	if err != nil {
		c.Status(http.StatusNotFound)
		return
	}
	c.Header("Cache-Control", "public, max-age=86400")
	c.Data(http.StatusOK, "image/svg+xml", data)
}

// page wraps a handler that needs a logged-in user: without a session the browser goes to
// /login and comes back afterwards; a role that may not do the page's action (auth.Can)
// gets a 403 page. Unsafe methods need
// the session's CSRF token.
func (s *Server) page(h func(*gin.Context, auth.Caller), acts ...auth.Action) gin.HandlerFunc {
	return func(c *gin.Context) {
		securityHeaders(c)
		cl, err := auth.FromSession(c.Request.Context(), s.cfg.Store, c.Request)
		switch {
		case errors.Is(err, auth.ErrNoCredentials) || errors.Is(err, auth.ErrNoSession):
			auth.ClearSessionCookie(c.Writer, c.Request)
			next := c.Request.URL.RequestURI()
			target := "/login"
			if next != "/" && c.Request.Method == http.MethodGet {
				target += "?next=" + url.QueryEscape(next)
			}
			c.Redirect(http.StatusSeeOther, target)
			c.Abort()
			return
		case err != nil:
			s.log.Error("session", "err", err)
			s.failurePage(c, auth.Caller{}, err, "Не удалось проверить вход. Попробуйте ещё раз через минуту.")
			return
		}
		if err := auth.CheckCSRF(cl, c.Request); err != nil {
			s.errorPage(c, cl, http.StatusForbidden, "Запрос отклонён", "Форма устарела или отправлена не с этой страницы. Обновите страницу и повторите.")
			return
		}
		for _, act := range acts {
			if !auth.Can(cl.Role, act) {
				s.errorPage(c, cl, http.StatusForbidden, "Нет доступа", "Эта страница недоступна для роли «"+auth.RoleName(cl.Role)+"».")
				return
			}
		}
		h(c, cl)
	}
}

// securityHeaders keep the pages from being framed by other sites and scripts from anywhere
// but this server; blob: frames show the PDF preview.
func securityHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "+
		"frame-src 'self' blob:; object-src 'self' blob:; connect-src 'self' blob:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
}

func (s *Server) asset(c *gin.Context) {
	name := strings.TrimPrefix(c.Param("file"), "/")
	data, err := fs.ReadFile(s.static, name)
	if err != nil || name == "" {
		c.String(http.StatusNotFound, "not found")
		return
	}
	ctype := map[string]string{".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
		".svg": "image/svg+xml"}[path.Ext(name)]
	if ctype == "" {
		ctype = http.DetectContentType(data)
	}
	c.Header("X-Content-Type-Options", "nosniff")
	if c.Query("v") == s.version {
		c.Header("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		c.Header("Cache-Control", "no-cache")
	}
	c.Data(http.StatusOK, ctype, data)
}

// view is what every page template gets.
type view struct {
	Title   string
	Nav     string // the active menu item
	Caller  auth.Caller
	OrgName string
	// Data is handed to the page's script as JSON.
	Data any
	// Page holds what a page's template shows itself.
	Page any
}

func (s *Server) render(c *gin.Context, code int, page string, v view) {
	t, ok := s.pages[page]
	if !ok {
		panic("web: no template " + page)
	}
	if v.Caller.OrgID != "" && v.OrgName == "" {
		if org, err := s.cfg.Store.GetOrganization(c.Request.Context(), v.Caller.OrgID); err == nil {
			v.OrgName = org.Name
		} else {
			v.OrgName = v.Caller.OrgID
		}
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		s.log.Error("template", "page", page, "err", err)
		c.String(http.StatusInternalServerError, "internal error")
		return
	}
	securityHeaders(c)
	c.Data(code, "text/html; charset=utf-8", buf.Bytes())
}

// failurePage answers a registry error that is not the caller's: 503 with Retry-After when
// the database cannot be reached (the page works again by itself), 500 otherwise.
func (s *Server) failurePage(c *gin.Context, cl auth.Caller, err error, text string) {
	if errors.Is(err, registry.ErrUnavailable) {
		c.Header("Retry-After", "5")
		s.errorPage(c, cl, http.StatusServiceUnavailable, "Реестр временно недоступен",
			"Нет связи с базой данных реестра. Ничего не изменено; обновите страницу через несколько секунд.")
		return
	}
	s.errorPage(c, cl, http.StatusInternalServerError, "Внутренняя ошибка", text)
}

func (s *Server) errorPage(c *gin.Context, cl auth.Caller, code int, title, text string) {
	s.render(c, code, "error", view{Title: title, Caller: cl, Page: map[string]any{"Code": code, "Title": title, "Text": text}})
	c.Abort()
}

func toJSON(v any) template.JS {
	// json.Marshal escapes <, > and &, so the data cannot end its <script> element.
	b, err := json.Marshal(v)
	if err != nil {
		return "null"
	}
	return template.JS(b)
}

// capital writes the first letter in upper case: «приказ» → «Приказ».
func capital(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

func stateName(st registry.State) string { return st.Word() }

var statusNames = registry.StatusNames

func ruDateTime(v any) string {
	var t time.Time
	switch x := v.(type) {
	case time.Time:
		t = x
	case *time.Time:
		if x == nil {
			return ""
		}
		t = *x
	default:
		return ""
	}
	if t.IsZero() {
		return ""
	}
	return ru.DateTime(t)
}

type menuItem struct{ Key, Href, Label string }

// Menu is the navigation the caller's role may use.
func (v view) Menu() []menuItem {
	r := v.Caller.Role
	items := []menuItem{{"orders", "/orders", "Приказы"}}
	if auth.Can(r, auth.ActEditDraft) {
		items = append(items, menuItem{"new", "/orders/new", "Новый приказ"})
	}
	if auth.Can(r, auth.ActBatch) {
		items = append(items, menuItem{"batch", "/batches", "Пакетный выпуск"})
	}
	if canReadTemplates(r) {
		items = append(items, menuItem{"templates", "/templates", "Шаблоны"})
	}
	if auth.Can(r, auth.ActReadArchive) {
		items = append(items, menuItem{"archive", "/archive", "Архив"}, menuItem{"control", "/control", "Контроль"})
	}
	if auth.Can(r, auth.ActManageJournals) {
		items = append(items, menuItem{"settings", "/settings", "Справочники"})
	}
	items = append(items, menuItem{"approvals", "/approvals", "На согласовании у меня"})
	if auth.Can(r, auth.ActManageCases) {
		items = append(items, menuItem{"cases", "/cases", "Дела"})
	}
	return items
}

// UserName is how the header names the user.
func (v view) UserName() string {
	if v.Caller.Name != "" {
		return v.Caller.Name
	}
	return v.Caller.Login
}
