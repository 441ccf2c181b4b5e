package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
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
	key := strings.ToLower(login)
	now := time.Now()
	failures, err := s.cfg.Store.LoginFailures(ctx, key, now.Add(-s.cfg.LoginWindow))
	if err != nil {
		s.log.Error("login failures", "err", err)
		lv.Error = "Вход временно недоступен. Попробуйте ещё раз через минуту."
		s.showLogin(c, http.StatusInternalServerError, lv)
		return
	}
	if failures >= s.cfg.MaxLoginFailures {
		// The password is not even checked while locked, so guessing cannot go on.
		c.Header("Retry-After", fmt.Sprint(int(s.cfg.LoginWindow.Seconds())))
		lv.Error = fmt.Sprintf("Слишком много неудачных попыток входа: %d за %d минут. Вход под этим логином временно заблокирован — "+
			"повторите попытку через %d минут или обратитесь к администратору.",
			failures, int(s.cfg.LoginWindow.Minutes()), int(s.cfg.LoginWindow.Minutes()))
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
		if err := s.cfg.Store.RecordLoginFailure(ctx, key, now); err != nil {
			s.log.Error("record login failure", "err", err)
		}
		s.log.Info("login failed", "login", login, "ip", c.ClientIP())
		lv.Error = "Неверный логин или пароль."
		if left := s.cfg.MaxLoginFailures - failures - 1; left > 0 && left <= 2 {
			lv.Error += fmt.Sprintf(" Осталось попыток: %d, затем вход будет заблокирован на %d минут.", left, int(s.cfg.LoginWindow.Minutes()))
		}
		s.showLogin(c, http.StatusUnauthorized, lv)
		return
	}
	_ = s.cfg.Store.ClearLoginFailures(ctx, key)
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

func (s *Server) logout(c *gin.Context, cl auth.Caller) {
	if err := s.cfg.Store.DeleteSession(c.Request.Context(), cl.SessionID); err != nil && !errors.Is(err, registry.ErrNotFound) {
		s.log.Error("delete session", "err", err)
	}
	auth.ClearSessionCookie(c.Writer, c.Request)
	c.Redirect(http.StatusSeeOther, "/login")
}
