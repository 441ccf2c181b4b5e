package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/url"
	"os"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"orders/internal/registry/postgres"
)

// tcpProxy forwards connections to a server until stopped; stopping it is the server going
// away: open connections are cut and new ones refused.
type tcpProxy struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func newTCPProxy(t *testing.T, target string) *tcpProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, s)
			p.mu.Unlock()
			go func() { io.Copy(s, c); s.Close() }()
			go func() { io.Copy(c, s); c.Close() }()
		}
	}()
	t.Cleanup(p.stop)
	return p
}

func (p *tcpProxy) stop() {
	p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// TestPostgresOutageAnswers503: with the PostgreSQL server gone (its connections cut, new
// ones refused), requests answer 503 with Retry-After in Russian — also when the token
// itself cannot be looked up — and not 500 «internal error».
func TestPostgresOutageAnswers503(t *testing.T) {
	dsn := os.Getenv("ORDERS_TEST_POSTGRES_URL")
	if dsn == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("ORDERS_TEST_POSTGRES_URL is not set (.ci/run sets it)")
		}
		t.Skip("ORDERS_TEST_POSTGRES_URL is not set")
	}
	ctx := context.Background()
	admin, err := pgxpool.New(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	b := make([]byte, 8)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	defer admin.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")

	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	proxy := newTCPProxy(t, u.Host)
	u.Host = proxy.ln.Addr().String()
	q := u.Query()
	q.Set("search_path", schema)
	q.Set("connect_timeout", "2")
	u.RawQuery = q.Encode()
	store, err := postgres.Open(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	dir := t.TempDir()
	ms := newFaultServerOn(t, dir, store, nil, nil)
	if code, _, body := ms.do(roleAdmin, "PUT", "/api/v1/organizations/balashikha", exampleDraft(t)["letterhead"]); code != 200 {
		t.Fatalf("organization: %d %s", code, body)
	}
	// The clerk's token is used (and cached) before the outage; the head's is not.
	draft, _ := json.Marshal(exampleDraft(t))
	if rec := ms.doRaw(roleClerk, "POST", "/api/v1/orders", string(draft)); rec.Code != 202 {
		t.Fatalf("POST /orders before the outage: %d %s", rec.Code, rec.Body)
	}

	proxy.stop()
	wantUnavailable(t, "POST /orders during the outage", ms.doRaw(roleClerk, "POST", "/api/v1/orders", string(draft)))
	wantUnavailable(t, "GET /orders during the outage", ms.doRaw(roleClerk, "GET", "/api/v1/orders", ""))
	wantUnavailable(t, "token lookup during the outage", ms.doRaw(roleHead, "GET", "/api/v1/journals", ""))
}
