// Package web serves the pages people use: clerks fill orders, heads register and sign,
// archivists search, departments issue batches. The pages are rendered on the server with
// html/template; their small hand-written scripts call the JSON API under /api/v1 with the
// session cookie and its CSRF token, so every rule about orders stays in internal/api.
package web

import (
	"bytes"
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

	"orders/internal/auth"
	"orders/internal/registry"
	"orders/internal/ru"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Config wires the pages to the registry.
type Config struct {
	Store registry.Store
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
		"roleName":  roleName,
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
	e.GET("/login", s.loginPage)
	e.POST("/login", s.login)
	e.POST("/logout", s.page(s.logout))
	e.GET("/", s.page(func(c *gin.Context, _ auth.Caller) { c.Redirect(http.StatusSeeOther, "/orders") }))
	e.GET("/orders", s.page(s.ordersPage))
	e.GET("/orders/new", s.page(s.editorPage, auth.RoleClerk, auth.RoleHead, auth.RoleAdmin))
	e.GET("/orders/:id", s.page(s.orderPage))
	e.GET("/orders/:id/edit", s.page(s.editorPage, auth.RoleClerk, auth.RoleHead, auth.RoleAdmin))
	e.GET("/archive", s.page(s.archivePage))
	e.GET("/batches", s.page(s.batchPage, batchRoles...))
	e.GET("/batches/:id", s.page(s.batchPage, batchRoles...))
	s.mountRecords(e)
}

// batchRoles may issue batches: the people who prepare orders.
var batchRoles = []string{auth.RoleClerk, auth.RoleHead, auth.RoleAdmin}

// page wraps a handler that needs a logged-in user: without a session the browser goes to
// /login and comes back afterwards; a role not listed gets a 403 page. Unsafe methods need
// the session's CSRF token.
func (s *Server) page(h func(*gin.Context, auth.Caller), roles ...string) gin.HandlerFunc {
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
		if len(roles) > 0 && !slices.Contains(roles, cl.Role) {
			s.errorPage(c, cl, http.StatusForbidden, "Нет доступа", "Эта страница недоступна для роли «"+roleName(cl.Role)+"».")
			return
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

var roleNames = map[string]string{
	auth.RoleClerk: "делопроизводитель", auth.RoleHead: "руководитель",
	auth.RoleArchivist: "архивариус", auth.RoleAdmin: "администратор",
}

// capital writes the first letter in upper case: «приказ» → «Приказ».
func capital(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

func roleName(r string) string {
	if n, ok := roleNames[r]; ok {
		return n
	}
	return r
}

var stateNames = map[registry.State]string{
	registry.StateDraft: "проект", registry.StateRegistered: "зарегистрирован",
	registry.StateSigned: "подписан", registry.StateCancelled: "отменён",
}

func stateName(st registry.State) string {
	if n, ok := stateNames[st]; ok {
		return n
	}
	return string(st)
}

var statusNames = map[registry.Status]string{
	registry.StatusDraft: "не отправлен", registry.StatusQueued: "в очереди", registry.StatusRendering: "формируется",
	registry.StatusRendered: "готов", registry.StatusFailed: "ошибка", registry.StatusCancelled: "остановлен",
}

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
	return t.In(ru.Moscow).Format("02.01.2006 15:04")
}

type menuItem struct{ Key, Href, Label string }

// Menu is the navigation the caller's role may use.
func (v view) Menu() []menuItem {
	r := v.Caller.Role
	items := []menuItem{{"orders", "/orders", "Приказы"}}
	if r == auth.RoleClerk || r == auth.RoleHead || r == auth.RoleAdmin {
		items = append(items, menuItem{"new", "/orders/new", "Новый приказ"})
	}
	if slices.Contains(batchRoles, r) {
		items = append(items, menuItem{"batch", "/batches", "Пакетный выпуск"})
	}
	items = append(items, menuItem{"archive", "/archive", "Архив"}, menuItem{"control", "/control", "Контроль"})
	if slices.Contains(recordsRoles, r) {
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
