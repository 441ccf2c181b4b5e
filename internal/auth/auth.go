// Package auth is what the JSON API and the web pages share about who is calling: the
// Caller, API tokens, passwords, the session cookie and its CSRF rule. Both accept the same
// callers in the same way, so the pages' JavaScript can call the JSON API with the session
// cookie and no rule about access lives in two places.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/crypto/bcrypt"

	"orders/internal/registry"
)

// Roles of tokens and users.
const (
	RoleClerk     = "clerk"
	RoleHead      = "head"
	RoleArchivist = "archivist"
	RoleAdmin     = "admin"
)

// Roles lists the valid roles.
var Roles = []string{RoleClerk, RoleHead, RoleArchivist, RoleAdmin}

// Names of the session cookie, the CSRF header the pages' JavaScript sends, and the form
// field that classic form posts carry.
const (
	SessionCookie = "orders_session"
	CSRFHeader    = "X-CSRF-Token"
	CSRFField     = "csrf"
)

// Session lifetimes: a working day at most, and an idle session ends sooner, so a browser
// left open in a school's shared office does not stay logged in.
const (
	SessionTTL  = 12 * time.Hour
	IdleTimeout = 2 * time.Hour
	// touchEvery limits LastSeen writes to one a minute per session, not one per request.
	touchEvery = time.Minute
)

// Caller is who makes a request.
type Caller struct {
	Role  string
	OrgID string // "" for admin: every organization
	Actor string // who, for the audit trail
	// TokenName is the name given to an API token (set for a token only).
	TokenName string

	// Set for a web session only.
	UserID    uuid.UUID
	Login     string
	Name      string
	SessionID string // the raw id from the cookie
	CSRF      string
}

// Display is who the caller is as a person reads it on a document: the user's name or
// login, a token's name, else the actor.
func (c Caller) Display() string {
	for _, s := range []string{c.Name, c.Login, c.TokenName} {
		if s != "" {
			return s
		}
	}
	return c.Actor
}

// Session reports whether the caller came with the session cookie, not a token.
func (c Caller) Session() bool { return c.SessionID != "" }

var (
	// ErrNoCredentials: neither a token nor a session cookie (401).
	ErrNoCredentials = errors.New("auth: no credentials")
	// ErrBadToken: a Bearer token the registry does not know (401).
	ErrBadToken = errors.New("auth: unknown API token")
	// ErrNoSession: the cookie names no live session: expired, logged out or a disabled user (401).
	ErrNoSession = errors.New("auth: no such session")
	// ErrCSRF: an unsafe request with the session cookie but without its CSRF token (403).
	ErrCSRF = errors.New("auth: CSRF token missing or wrong")
)

// Store is what authentication reads from the registry.
type Store interface {
	TokenByHash(ctx context.Context, hash string) (*registry.Token, error)
	SessionByID(ctx context.Context, id string) (*registry.Session, error)
	TouchSession(ctx context.Context, id string, at time.Time) error
	DeleteSession(ctx context.Context, id string) error
	GetUser(ctx context.Context, id uuid.UUID) (*registry.User, error)
}

// Authenticate accepts `Authorization: Bearer <token>` or the session cookie. A token wins
// when both are present: a browser never adds that header by itself, so it needs no CSRF
// check. A cookie session must carry its CSRF token on unsafe methods.
func Authenticate(ctx context.Context, st Store, r *http.Request) (Caller, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		secret, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || strings.TrimSpace(secret) == "" {
			return Caller{}, ErrNoCredentials
		}
		return FromToken(ctx, st, strings.TrimSpace(secret))
	}
	c, err := FromSession(ctx, st, r)
	if err != nil {
		return Caller{}, err
	}
	if err := CheckCSRF(c, r); err != nil {
		return Caller{}, err
	}
	return c, nil
}

// FromToken finds the caller of an API token.
func FromToken(ctx context.Context, st Store, secret string) (Caller, error) {
	tok, err := st.TokenByHash(ctx, HashToken(secret))
	if errors.Is(err, registry.ErrNotFound) {
		return Caller{}, ErrBadToken
	}
	if err != nil {
		return Caller{}, err
	}
	org := tok.OrgID
	if tok.Role == RoleAdmin {
		org = ""
	}
	actor := "token:" + tok.ID.String()[:8]
	if tok.Name != "" {
		actor += " (" + tok.Name + ")"
	}
	return Caller{Role: tok.Role, OrgID: org, Actor: actor, TokenName: tok.Name}, nil
}

// FromSession finds the caller of the session cookie, without the CSRF check: the pages use
// it for GET requests, which change nothing.
func FromSession(ctx context.Context, st Store, r *http.Request) (Caller, error) {
	ck, err := r.Cookie(SessionCookie)
	if err != nil || ck.Value == "" {
		return Caller{}, ErrNoCredentials
	}
	sess, err := st.SessionByID(ctx, ck.Value)
	if errors.Is(err, registry.ErrNotFound) {
		return Caller{}, ErrNoSession
	}
	if err != nil {
		return Caller{}, err
	}
	now := time.Now()
	if now.Sub(sess.LastSeen) > IdleTimeout {
		_ = st.DeleteSession(ctx, ck.Value)
		return Caller{}, ErrNoSession
	}
	u, err := st.GetUser(ctx, sess.UserID)
	if errors.Is(err, registry.ErrNotFound) {
		return Caller{}, ErrNoSession
	}
	if err != nil {
		return Caller{}, err
	}
	if u.Disabled {
		// A user disabled by an admin is out at once, whatever sessions are open.
		_ = st.DeleteSession(ctx, ck.Value)
		return Caller{}, ErrNoSession
	}
	if now.Sub(sess.LastSeen) > touchEvery {
		if err := st.TouchSession(ctx, ck.Value, now); err != nil && !errors.Is(err, registry.ErrNotFound) {
			return Caller{}, err
		}
	}
	org := u.OrgID
	if u.Role == RoleAdmin {
		org = ""
	}
	actor := "user:" + u.Login
	if u.Name != "" {
		actor += " (" + u.Name + ")"
	}
	return Caller{Role: u.Role, OrgID: org, Actor: actor, UserID: u.ID, Login: u.Login, Name: u.Name,
		SessionID: ck.Value, CSRF: sess.CSRF}, nil
}

// Unsafe reports whether a method may change something, so a cookie request needs its CSRF
// token.
func Unsafe(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return false
	}
	return true
}

// CheckCSRF refuses an unsafe request of a cookie session without the session's CSRF token
// in the X-CSRF-Token header, or for a classic form post, in the form field "csrf". Other
// sites' pages can make the browser send the cookie, but cannot read the token.
func CheckCSRF(c Caller, r *http.Request) error {
	if !c.Session() || !Unsafe(r.Method) {
		return nil
	}
	got := r.Header.Get(CSRFHeader)
	if got == "" {
		// Only an urlencoded form is read here: parsing a multipart body would take it from
		// the handler and its size limit. Multipart posts come from script, with the header.
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "application/x-www-form-urlencoded" {
			got = r.PostFormValue(CSRFField)
		}
	}
	if !Equal(got, c.CSRF) {
		return ErrCSRF
	}
	return nil
}

// Equal compares secrets in constant time; empty never matches.
func Equal(a, b string) bool {
	return a != "" && b != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// HashToken is how a token secret is stored: SHA-256 hex. Secrets are 32 random bytes, so a
// fast hash is enough; no password stretching is needed.
func HashToken(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// NewSecret is 32 random bytes, URL-safe base64: token secrets, session ids, CSRF tokens.
func NewSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// Password limits. bcrypt reads at most 72 bytes, so a longer password would be silently
// cut; refusing it is clearer.
const (
	MinPassword = 8
	MaxPassword = 72
)

// bcryptCost is bcrypt's default cost: about 50 ms a check on this kind of machine.
var bcryptCost = bcrypt.DefaultCost

// HashPassword returns the bcrypt hash of a password.
func HashPassword(password string) (string, error) {
	if n := len([]rune(password)); n < MinPassword {
		return "", fmt.Errorf("password: at least %d characters", MinPassword)
	}
	if len(password) > MaxPassword {
		return "", fmt.Errorf("password: at most %d bytes", MaxPassword)
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcryptCost)
	return string(h), err
}

// dummyHash is compared against when the login does not exist, so an unknown login takes as
// long as a wrong password and the answer time does not tell which logins exist.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("no such user, no such password"), bcrypt.DefaultCost)

// CheckPassword reports whether password matches hash; an empty hash (no user) spends the
// same time and fails.
func CheckPassword(hash, password string) bool {
	if hash == "" {
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return false
	}
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
}

// SetSessionCookie gives the browser its session: HttpOnly (script never needs it; the CSRF
// token travels in the page), SameSite=Lax (sent on top-level navigation from a link, never
// on other sites' posts), Secure when the request came over TLS.
func SetSessionCookie(w http.ResponseWriter, r *http.Request, id string, expires time.Time) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: id, Path: "/", Expires: expires,
		MaxAge: int(time.Until(expires).Seconds()), HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
}

// ClearSessionCookie removes the session cookie from the browser.
func ClearSessionCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
}

// TokenCacheTTL is how long a token found in the registry is trusted without asking again.
// Every API request authenticates, and a registry read per request was a tenth of the
// intake's CPU at 500 orders/s; a deleted token stops working at most this long afterwards.
const TokenCacheTTL = 2 * time.Second

// tokenCacheSize bounds the memory of the cache; the least recently used token goes first.
const tokenCacheSize = 4096

// WithTokenCache returns st with TokenByHash answered from memory for TokenCacheTTL after a
// lookup found the token. Unknown tokens are not cached: a token created a moment ago works
// at once, and guessing costs the guesser a registry read each time, as before.
func WithTokenCache(st Store) Store {
	c, _ := lru.New[string, cachedToken](tokenCacheSize) // errors only for a size ≤ 0
	return &tokenCache{Store: st, lru: c, now: time.Now}
}

type cachedToken struct {
	tok     registry.Token
	expires time.Time
}

type tokenCache struct {
	Store
	lru *lru.Cache[string, cachedToken]
	now func() time.Time
}

func (c *tokenCache) TokenByHash(ctx context.Context, hash string) (*registry.Token, error) {
	now := c.now()
	if e, ok := c.lru.Get(hash); ok && now.Before(e.expires) {
		tok := e.tok // a copy: callers may not change the cached one
		return &tok, nil
	}
	tok, err := c.Store.TokenByHash(ctx, hash)
	if err != nil {
		c.lru.Remove(hash)
		return nil, err
	}
	c.lru.Add(hash, cachedToken{tok: *tok, expires: now.Add(TokenCacheTTL)})
	return tok, nil
}
