package auth

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"orders/internal/registry"
)

// fakeStore holds one token, one user and their session.
type fakeStore struct {
	token    registry.Token
	user     registry.User
	session  registry.Session
	touched  int
	deleted  bool
	failWith error
}

func (f *fakeStore) TokenByHash(_ context.Context, hash string) (*registry.Token, error) {
	if f.failWith != nil {
		return nil, f.failWith
	}
	if hash != f.token.Hash {
		return nil, registry.ErrNotFound
	}
	t := f.token
	return &t, nil
}

func (f *fakeStore) SessionByID(_ context.Context, id string) (*registry.Session, error) {
	if id != f.session.ID || f.deleted || time.Now().After(f.session.ExpiresAt) {
		return nil, registry.ErrNotFound
	}
	s := f.session
	return &s, nil
}

func (f *fakeStore) TouchSession(_ context.Context, id string, at time.Time) error {
	f.touched++
	f.session.LastSeen = at
	return nil
}

func (f *fakeStore) DeleteSession(_ context.Context, id string) error {
	f.deleted = true
	return nil
}

func (f *fakeStore) GetUser(_ context.Context, id uuid.UUID) (*registry.User, error) {
	if id != f.user.ID {
		return nil, registry.ErrNotFound
	}
	u := f.user
	return &u, nil
}

func newFake() *fakeStore {
	now := time.Now()
	uid := uuid.New()
	return &fakeStore{
		token:   registry.Token{ID: uuid.New(), Hash: HashToken("secret-token"), Role: RoleClerk, OrgID: "balashikha", Name: "bot"},
		user:    registry.User{ID: uid, Login: "ivanova", Role: RoleClerk, OrgID: "balashikha", Name: "Иванова И.И."},
		session: registry.Session{ID: "sess-id", UserID: uid, CSRF: "csrf-token", CreatedAt: now, ExpiresAt: now.Add(time.Hour), LastSeen: now},
	}
}

func request(method string, hdr map[string]string, body string) *http.Request {
	r := httptest.NewRequest(method, "/api/v1/orders", strings.NewReader(body))
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	return r
}

func TestAuthenticate(t *testing.T) {
	cookie := "orders_session=sess-id"
	form := url.Values{"csrf": {"csrf-token"}}.Encode()
	for _, tc := range []struct {
		name   string
		method string
		hdr    map[string]string
		body   string
		want   error
		actor  string
	}{
		{"nothing", "GET", nil, "", ErrNoCredentials, ""},
		{"not bearer", "GET", map[string]string{"Authorization": "Basic eDp5"}, "", ErrNoCredentials, ""},
		{"unknown token", "GET", map[string]string{"Authorization": "Bearer nope"}, "", ErrBadToken, ""},
		{"token", "POST", map[string]string{"Authorization": "Bearer secret-token"}, "", nil, "token:"},
		// A token needs no CSRF token even beside a cookie: a browser never adds the header.
		{"token and cookie", "POST", map[string]string{"Authorization": "Bearer secret-token", "Cookie": cookie}, "", nil, "token:"},
		{"session GET", "GET", map[string]string{"Cookie": cookie}, "", nil, "user:ivanova (Иванова И.И.)"},
		{"session POST without csrf", "POST", map[string]string{"Cookie": cookie}, "", ErrCSRF, ""},
		{"session DELETE with wrong csrf", "DELETE", map[string]string{"Cookie": cookie, "X-CSRF-Token": "csrf-tokeN"}, "", ErrCSRF, ""},
		{"session PUT with csrf", "PUT", map[string]string{"Cookie": cookie, "X-CSRF-Token": "csrf-token"}, "", nil, "user:ivanova (Иванова И.И.)"},
		{"session form post", "POST", map[string]string{"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}, form, nil, "user:"},
		// A JSON body is never searched for a form field.
		{"session JSON post with csrf in the body", "POST", map[string]string{"Cookie": cookie, "Content-Type": "application/json"}, `{"csrf":"csrf-token"}`, ErrCSRF, ""},
		{"unknown session", "GET", map[string]string{"Cookie": "orders_session=other"}, "", ErrNoSession, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := newFake()
			c, err := Authenticate(context.Background(), st, request(tc.method, tc.hdr, tc.body))
			if !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
			if err == nil && !strings.HasPrefix(c.Actor, tc.actor) {
				t.Errorf("actor %q, want %q…", c.Actor, tc.actor)
			}
			if err == nil && c.OrgID != "balashikha" {
				t.Errorf("org %q", c.OrgID)
			}
		})
	}
}

func TestSessionEnds(t *testing.T) {
	r := request("GET", map[string]string{"Cookie": "orders_session=sess-id"}, "")

	st := newFake()
	st.user.Disabled = true
	if _, err := FromSession(context.Background(), st, r); !errors.Is(err, ErrNoSession) || !st.deleted {
		t.Errorf("disabled user: %v, session deleted %v", err, st.deleted)
	}

	st = newFake()
	st.session.LastSeen = time.Now().Add(-IdleTimeout - time.Minute)
	if _, err := FromSession(context.Background(), st, r); !errors.Is(err, ErrNoSession) || !st.deleted {
		t.Errorf("idle session: %v, deleted %v", err, st.deleted)
	}

	// LastSeen is written at most once a minute, not on every request.
	st = newFake()
	for i := 0; i < 3; i++ {
		if _, err := FromSession(context.Background(), st, r); err != nil {
			t.Fatal(err)
		}
	}
	if st.touched != 0 {
		t.Errorf("touched %d times within a minute", st.touched)
	}
	st.session.LastSeen = time.Now().Add(-2 * time.Minute)
	if _, err := FromSession(context.Background(), st, r); err != nil || st.touched != 1 {
		t.Errorf("touch after two minutes: %v, %d", err, st.touched)
	}

	st = newFake()
	st.user.Role, st.user.OrgID = RoleAdmin, "ignored"
	if c, err := FromSession(context.Background(), st, r); err != nil || c.OrgID != "" || c.CSRF != "csrf-token" || c.UserID != st.user.ID {
		t.Errorf("admin session: %+v %v", c, err)
	}
}

func TestStoreErrorIsNotAuthError(t *testing.T) {
	st := newFake()
	st.failWith = errors.New("database down")
	_, err := Authenticate(context.Background(), st, request("GET", map[string]string{"Authorization": "Bearer secret-token"}, ""))
	if err == nil || errors.Is(err, ErrBadToken) {
		t.Fatalf("a registry failure must not look like a bad token: %v", err)
	}
}

func TestPasswords(t *testing.T) {
	h, err := HashPassword("правильный пароль")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$2") || !CheckPassword(h, "правильный пароль") || CheckPassword(h, "неправильный") {
		t.Errorf("bcrypt round trip failed: %s", h)
	}
	if CheckPassword("", "anything") {
		t.Error("no user must never match")
	}
	for _, bad := range []string{"short", strings.Repeat("я", 40)} {
		if _, err := HashPassword(bad); err == nil {
			t.Errorf("HashPassword(%d bytes) accepted", len(bad))
		}
	}
}

func TestCookies(t *testing.T) {
	w := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "https://orders.example/login", nil) // r.TLS is set
	SetSessionCookie(w, r, "id", time.Now().Add(time.Hour))
	c := w.Result().Cookies()[0]
	if !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteLaxMode || c.Path != "/" {
		t.Errorf("over TLS: %+v", c)
	}
	w = httptest.NewRecorder()
	SetSessionCookie(w, httptest.NewRequest("GET", "/login", nil), "id", time.Now().Add(time.Hour))
	if c := w.Result().Cookies()[0]; c.Secure {
		t.Errorf("plain HTTP cookie is Secure: a browser would never send it back")
	}
}

// countingStore counts the registry's token lookups.
type countingStore struct {
	*fakeStore
	lookups int
}

func (c *countingStore) TokenByHash(ctx context.Context, hash string) (*registry.Token, error) {
	c.lookups++
	return c.fakeStore.TokenByHash(ctx, hash)
}

func TestTokenCache(t *testing.T) {
	st := &countingStore{fakeStore: newFake()}
	cached := WithTokenCache(st).(*tokenCache)
	now := time.Date(2026, 9, 1, 10, 0, 0, 0, time.UTC)
	cached.now = func() time.Time { return now }
	ctx := context.Background()
	hash := st.token.Hash

	for range 3 {
		tok, err := cached.TokenByHash(ctx, hash)
		if err != nil || tok.Role != st.token.Role {
			t.Fatalf("TokenByHash = %+v, %v", tok, err)
		}
		tok.Role = "changed by a caller" // must not reach the cached copy
	}
	if st.lookups != 1 {
		t.Errorf("%d registry lookups for three requests within the TTL, want 1", st.lookups)
	}

	// A deleted token works until the TTL has passed, not after.
	st.token.Hash = "deleted"
	if tok, err := cached.TokenByHash(ctx, hash); err != nil || tok.Role == "changed by a caller" {
		t.Fatalf("within the TTL: %+v, %v", tok, err)
	}
	now = now.Add(TokenCacheTTL)
	if _, err := cached.TokenByHash(ctx, hash); !errors.Is(err, registry.ErrNotFound) {
		t.Fatalf("after the TTL: err = %v, want ErrNotFound", err)
	}

	// Unknown tokens are asked for every time: a token created a moment ago works at once.
	before := st.lookups
	for range 2 {
		if _, err := cached.TokenByHash(ctx, "unknown"); !errors.Is(err, registry.ErrNotFound) {
			t.Fatal(err)
		}
	}
	if st.lookups-before != 2 {
		t.Errorf("unknown token: %d lookups, want 2", st.lookups-before)
	}
	// Store errors are not cached either.
	st.failWith = errors.New("database down")
	if _, err := cached.TokenByHash(ctx, "unknown"); err == nil || errors.Is(err, registry.ErrNotFound) {
		t.Errorf("store error: %v", err)
	}
}
