package web

import (
	"bytes"
	"html"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"orders/internal/auth"
	"orders/internal/registry"
	"orders/internal/registry/sqlite"
)

const testPassword = "верный-пароль-1"

// loginEnv is the login page on a SQLite registry with one user, «ivanova», a clock the
// test moves, and the log in a buffer.
type loginEnv struct {
	t   *testing.T
	h   http.Handler
	now time.Time
	mu  sync.Mutex
	log bytes.Buffer
}

func newLoginEnv(t *testing.T) *loginEnv {
	t.Helper()
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "registry.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	hash, err := auth.HashPassword(testPassword)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateUser(ctx, &registry.User{Login: "ivanova", PasswordHash: hash, Role: auth.RoleClerk, OrgID: "uo", Name: "Иванова И.И."}); err != nil {
		t.Fatal(err)
	}
	env := &loginEnv{t: t, now: time.Now().UTC()}
	s := New(Config{Store: st, Log: slog.New(slog.NewTextHandler(&env.log, nil)), Now: func() time.Time {
		env.mu.Lock()
		defer env.mu.Unlock()
		return env.now
	}})
	gin.SetMode(gin.TestMode)
	e := gin.New()
	s.Mount(e)
	env.h = e
	return env
}

func (e *loginEnv) advance(d time.Duration) {
	e.mu.Lock()
	e.now = e.now.Add(d)
	e.mu.Unlock()
}

// login posts the login form from addr (ip:port) and returns the status, the Retry-After
// header and the page's error message.
func (e *loginEnv) login(addr, password string, hdr ...string) (int, string, string) {
	e.t.Helper()
	req := httptest.NewRequest("GET", "/login", nil)
	req.RemoteAddr = addr
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	var csrf *http.Cookie
	for _, c := range rec.Result().Cookies() {
		if c.Name == loginCSRFCookie {
			csrf = c
		}
	}
	if csrf == nil {
		e.t.Fatalf("no login CSRF cookie: %d %s", rec.Code, rec.Body)
	}
	form := url.Values{"login": {"Ivanova"}, "password": {password}, "csrf": {csrf.Value}, "next": {"/archive"}}
	req = httptest.NewRequest("POST", "/login", strings.NewReader(form.Encode()))
	req.RemoteAddr = addr
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(csrf)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec = httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	msg := ""
	body := rec.Body.String()
	if i := strings.Index(body, `data-testid="login-error">`); i >= 0 {
		msg = body[i+len(`data-testid="login-error">`):]
		msg = html.UnescapeString(msg[:strings.Index(msg, "</div>")])
	}
	if rec.Code == http.StatusSeeOther && rec.Header().Get("Location") != "/archive" {
		e.t.Errorf("login went to %q", rec.Header().Get("Location"))
	}
	return rec.Code, rec.Header().Get("Retry-After"), msg
}

const (
	attacker = "198.51.100.7:40000"
	owner    = "203.0.113.9:50000"
)

// TestLoginAttackerCannotLockOut: wrong passwords from one address slow down that address
// only; the login's owner signs in from another at once (issue 12: five wrong passwords from
// anywhere locked the login for 15 minutes).
func TestLoginAttackerCannotLockOut(t *testing.T) {
	e := newLoginEnv(t)
	for i := range 5 {
		if code, _, msg := e.login(attacker, "wrong-password"); code != http.StatusUnauthorized || !strings.Contains(msg, "Неверный логин или пароль") {
			t.Fatalf("wrong password %d: %d %q", i+1, code, msg)
		}
	}
	code, retry, msg := e.login(attacker, "wrong-password")
	if code != http.StatusTooManyRequests || retry != "1" || msg != "Слишком много попыток входа с этого адреса; повторите через 1 с." {
		t.Errorf("6th attempt: %d Retry-After %q %q", code, retry, msg)
	}
	// Another address in X-Forwarded-For does not make the attacker someone else.
	if code, _, _ := e.login(attacker, "wrong-password", "X-Forwarded-For", "192.0.2.77"); code != http.StatusTooManyRequests {
		t.Errorf("attempt with a forged X-Forwarded-For: %d, want 429", code)
	}
	if code, _, msg := e.login(owner, testPassword); code != http.StatusSeeOther {
		t.Errorf("the owner from another address: %d %q, want 303", code, msg)
	}
	// The owner's own mistakes from her address are hers alone.
	if code, _, _ := e.login(owner, "typo-password"); code != http.StatusUnauthorized {
		t.Errorf("the owner's typo: %d", code)
	}
	if !strings.Contains(e.log.String(), "login throttled") || !strings.Contains(e.log.String(), "login=Ivanova") ||
		!strings.Contains(e.log.String(), "addr=198.51.100.7") {
		t.Errorf("throttled attempt not logged with login and address:\n%s", e.log.String())
	}
}

// TestLoginDelaysGrow: after five failures each attempt from the address waits 1 s, 2 s,
// 4 s … after the latest failure, at most 5 minutes; a refused attempt does not count, and
// the right password does not pass while the address waits.
func TestLoginDelaysGrow(t *testing.T) {
	e := newLoginEnv(t)
	for range 5 {
		e.login(attacker, "wrong-password")
	}
	for _, want := range []int{1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300} {
		code, retry, msg := e.login(attacker, testPassword)
		if code != http.StatusTooManyRequests || retry != strconv.Itoa(want) || !strings.Contains(msg, "повторите через "+strconv.Itoa(want)+" с") {
			t.Fatalf("want a wait of %d s: %d Retry-After %q %q", want, code, retry, msg)
		}
		e.advance(time.Duration(want)*time.Second - time.Millisecond)
		if code, _, _ := e.login(attacker, "wrong-password"); code != http.StatusTooManyRequests {
			t.Fatalf("a millisecond before the %d s wait ends: %d, want 429", want, code)
		}
		e.advance(time.Millisecond)
		if code, _, _ := e.login(attacker, "wrong-password"); code != http.StatusUnauthorized {
			t.Fatalf("after the %d s wait: %d, want 401", want, code)
		}
	}
}

// TestLoginSuccessResets: a right password after the wait clears the address's failures.
func TestLoginSuccessResets(t *testing.T) {
	e := newLoginEnv(t)
	for range 6 {
		e.login(attacker, "wrong-password")
	}
	if code, _, _ := e.login(attacker, testPassword); code != http.StatusTooManyRequests {
		t.Fatalf("right password while waiting: %d, want 429", code)
	}
	e.advance(2 * time.Second)
	if code, _, msg := e.login(attacker, testPassword); code != http.StatusSeeOther {
		t.Fatalf("right password after the wait: %d %q", code, msg)
	}
	for i := range 5 {
		if code, _, _ := e.login(attacker, "wrong-password"); code != http.StatusUnauthorized {
			t.Fatalf("failure %d after a success: %d, want 401 (the count starts again)", i+1, code)
		}
	}
}

// TestLoginIPv6Prefix: an IPv6 client owns a /64 and can pick any address in it, so its
// failures count for the /64.
func TestLoginIPv6Prefix(t *testing.T) {
	e := newLoginEnv(t)
	for i := range 5 {
		e.login("[2001:db8:1:2::"+strconv.Itoa(i+1)+"]:40000", "wrong-password")
	}
	if code, _, _ := e.login("[2001:db8:1:2:ffff::9]:40000", "wrong-password"); code != http.StatusTooManyRequests {
		t.Errorf("another address of the same /64: %d, want 429", code)
	}
	if code, _, _ := e.login("[2001:db8:1:3::1]:40000", testPassword); code != http.StatusSeeOther {
		t.Errorf("another /64: %d, want 303", code)
	}
	if code, _, _ := e.login("[::ffff:198.51.100.7]:40000", testPassword); code != http.StatusSeeOther {
		t.Errorf("an IPv4 client: %d, want 303", code)
	}
}
