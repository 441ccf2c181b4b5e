package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/gin-gonic/gin"

	"orders/internal/auth"
	"orders/internal/registry"
)

// loginCSRFCookie carries the pre-session CSRF token of the login form (double submit): a
// page of another site can post a login form, but cannot read or set this cookie, so it
// cannot log a victim into an account of its choosing.
const loginCSRFCookie = "orders_login_csrf"

type loginView struct {
	Login string
	Next  string
	CSRF  string
	Error string
}

// safeNext keeps the redirect after login on this site. Browsers drop tabs and line breaks
// from a URL and read "\\" as "/", so "/\t/evil.example" is "//evil.example" to them, another
// host. Only a plain path (and query) of printable ASCII that parses back to itself is kept,
// and its decoded path must not start with "//" either; anything else goes to the default page.
func safeNext(next string) string {
	const fallback = "/orders"
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/login") {
		return fallback
	}
	for i := 0; i < len(next); i++ {
		if b := next[i]; b <= ' ' || b >= 0x7f || b == '\\' {
			return fallback
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || u.Fragment != "" ||
		u.String() != next {
		return fallback
	}
	p := u.Path
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.ContainsFunc(p, func(r rune) bool {
		return r == '\\' || unicode.IsControl(r)
	}) {
		return fallback
	}
	return next
}

func (s *Server) loginCSRF(c *gin.Context) (string, error) {
	if ck, err := c.Request.Cookie(loginCSRFCookie); err == nil && len(ck.Value) >= 32 {
		return ck.Value, nil // another tab's login form stays valid
	}
	tok, err := auth.NewSecret()
	if err != nil {
		return "", err
	}
	http.SetCookie(c.Writer, &http.Cookie{Name: loginCSRFCookie, Value: tok, Path: "/login", MaxAge: 3600,
		HttpOnly: true, Secure: c.Request.TLS != nil, SameSite: http.SameSiteStrictMode})
	return tok, nil
}

func (s *Server) loginPage(c *gin.Context) {
	next := safeNext(c.Query("next"))
	if _, err := auth.FromSession(c.Request.Context(), s.cfg.Store, c.Request); err == nil {
		c.Redirect(http.StatusSeeOther, next)
		return
	}
	s.showLogin(c, http.StatusOK, loginView{Next: next})
}

func (s *Server) showLogin(c *gin.Context, code int, lv loginView) {
	tok, err := s.loginCSRF(c)
	if err != nil {
		c.String(http.StatusInternalServerError, "internal error")
		return
	}
	lv.CSRF = tok
	s.render(c, code, "login", view{Title: "Вход", Page: lv})
}

func (s *Server) login(c *gin.Context) {
	ctx := c.Request.Context()
	// A login form is a few hundred bytes; nothing bigger is read.
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, 16<<10)
	login := strings.TrimSpace(c.PostForm("login"))
	password := c.PostForm("password")
	lv := loginView{Login: login, Next: safeNext(c.PostForm("next"))}
	ck, err := c.Request.Cookie(loginCSRFCookie)
	if err != nil || !auth.Equal(ck.Value, c.PostForm(auth.CSRFField)) {
		lv.Error = "Форма входа устарела. Обновите страницу и войдите ещё раз (в браузере должны быть разрешены cookie)."
		s.showLogin(c, http.StatusForbidden, lv)
		return
	}
	if login == "" || password == "" {
		lv.Error = "Введите логин и пароль."
		s.showLogin(c, http.StatusUnprocessableEntity, lv)
		return
	}
	now := s.cfg.Now()
	addr := sourceAddr(c)
	// The attempt is recorded as a failure before the password is checked and cleared when
	// it is right, so parallel guesses cannot all pass the count (registry.TryLogin).
	wait, failures, err := s.cfg.Store.TryLogin(ctx, login, addr, now, s.cfg.LoginPolicy)
	if err != nil {
		s.log.Error("login throttle", "err", err)
		lv.Error = "Вход временно недоступен. Попробуйте ещё раз через минуту."
		s.showLogin(c, http.StatusInternalServerError, lv)
		return
	}
	if wait > 0 {
		// The password is not even checked while this address waits, so guessing slows down;
		// the same login from another address is not affected.
		secs := int((wait + time.Second - 1) / time.Second)
		s.log.Warn("login throttled", "login", login, "addr", addr, "failures", failures, "wait", wait.String())
		c.Header("Retry-After", strconv.Itoa(secs))
		lv.Error = fmt.Sprintf("Слишком много попыток входа с этого адреса; повторите через %d с.", secs)
		s.showLogin(c, http.StatusTooManyRequests, lv)
		return
	}
	u, err := s.cfg.Store.UserByLogin(ctx, login)
	if err != nil && !errors.Is(err, registry.ErrNotFound) {
		s.log.Error("user by login", "err", err)
		lv.Error = "Вход временно недоступен. Попробуйте ещё раз через минуту."
		s.showLogin(c, http.StatusInternalServerError, lv)
		return
	}
	hash := ""
	if u != nil && !u.Disabled {
		hash = u.PasswordHash
	}
	if !auth.CheckPassword(hash, password) {
		s.log.Info("login failed", "login", login, "addr", addr, "failures", failures+1)
		lv.Error = "Неверный логин или пароль."
		if next := s.cfg.LoginPolicy.Delay(failures + 1); next > 0 {
			lv.Error += fmt.Sprintf(" Следующая попытка с этого адреса — не раньше чем через %d с.", int((next+time.Second-1)/time.Second))
		}
		s.showLogin(c, http.StatusUnauthorized, lv)
		return
	}
	if err := s.cfg.Store.ClearLoginFailures(ctx, login, addr); err != nil {
		s.log.Error("clear login failures", "err", err)
	}
	id, err1 := auth.NewSecret()
	csrf, err2 := auth.NewSecret()
	if err := errors.Join(err1, err2); err != nil {
		c.String(http.StatusInternalServerError, "internal error")
		return
	}
	expires := now.Add(auth.SessionTTL)
	if err := s.cfg.Store.CreateSession(ctx, &registry.Session{ID: id, UserID: u.ID, CSRF: csrf,
		CreatedAt: now, ExpiresAt: expires, LastSeen: now}); err != nil {
		s.log.Error("create session", "err", err)
		lv.Error = "Вход временно недоступен. Попробуйте ещё раз через минуту."
		s.showLogin(c, http.StatusInternalServerError, lv)
		return
	}
	// A new session id at every login: a session id planted before login is worth nothing.
	auth.SetSessionCookie(c.Writer, c.Request, id, expires)
	http.SetCookie(c.Writer, &http.Cookie{Name: loginCSRFCookie, Value: "", Path: "/login", MaxAge: -1,
		HttpOnly: true, Secure: c.Request.TLS != nil, SameSite: http.SameSiteStrictMode})
	s.log.Info("login", "login", u.Login, "role", u.Role, "org", u.OrgID)
	c.Redirect(http.StatusSeeOther, lv.Next)
}

// sourceAddr is the address login failures are counted by: the TCP peer, which a client
// cannot forge as it can X-Forwarded-For (gin trusts that header from anyone by default).
// An IPv6 client owns at least a /64, so the /64 is the address.
func sourceAddr(c *gin.Context) string {
	ip, err := netip.ParseAddr(c.RemoteIP())
	if err != nil {
		return c.RemoteIP()
	}
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}

func (s *Server) logout(c *gin.Context, cl auth.Caller) {
	if err := s.cfg.Store.DeleteSession(c.Request.Context(), cl.SessionID); err != nil && !errors.Is(err, registry.ErrNotFound) {
		s.log.Error("delete session", "err", err)
	}
	auth.ClearSessionCookie(c.Writer, c.Request)
	c.Redirect(http.StatusSeeOther, "/login")
}
