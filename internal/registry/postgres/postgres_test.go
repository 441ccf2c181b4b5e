package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"orders/internal/registry"
	"orders/internal/registry/postgres"
	"orders/internal/registry/registrytest"
)

const envURL = "ORDERS_TEST_POSTGRES_URL"

// testDB returns the admin pool for the test server. An unset variable skips; a set but
// unreachable server fails, because CI sets it and must not pass with the database down.
func testDB(t *testing.T) (*pgxpool.Pool, string) {
	t.Helper()
	dsn := os.Getenv(envURL)
	if dsn == "" {
		t.Skip(envURL + " is not set; set it to a PostgreSQL URL (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable) to test the postgres driver")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	pool, err := pgxpool.New(ctx, dsn)
	if err == nil {
		err = pool.Ping(ctx)
	}
	if err != nil {
		t.Fatalf("%s is set but the server is not reachable: %v", envURL, err)
	}
	t.Cleanup(pool.Close)
	return pool, dsn
}

// withParams adds settings to a URL or key=value DSN.
func withParams(dsn string, params map[string]string) string {
	if strings.Contains(dsn, "://") {
		u, err := url.Parse(dsn)
		if err == nil {
			q := u.Query()
			for k, v := range params {
				q.Set(k, v)
			}
			u.RawQuery = q.Encode()
			return u.String()
		}
	}
	for k, v := range params {
		dsn += " " + k + "=" + v
	}
	return dsn
}

// freshSchema creates a schema that only t uses, dropped when t ends, and returns a DSN whose
// search_path points at it, so parallel tests and parallel CI jobs never see each other.
func freshSchema(t *testing.T, admin *pgxpool.Pool, dsn string) string {
	t.Helper()
	b := make([]byte, 8)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	if _, err := admin.Exec(t.Context(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return withParams(dsn, map[string]string{"search_path": schema, "pool_max_conns": "4"})
}

func TestConformance(t *testing.T) {
	admin, dsn := testDB(t)
	registrytest.Run(t, func(t *testing.T) registrytest.Opener {
		schemaDSN := freshSchema(t, admin, dsn)
		return func(t *testing.T) (registry.Store, error) {
			s, err := postgres.Open(t.Context(), schemaDSN, registry.WithAuditKey(registrytest.AuditKey))
			if err != nil {
				return nil, err
			}
			t.Cleanup(func() { s.Close() })
			return s, nil
		}
	})
}

func TestTamper(t *testing.T) {
	admin, dsn := testDB(t)
	registrytest.RunTamper(t, func(t *testing.T) (registrytest.OpenWith, registrytest.Raw) {
		schemaDSN := freshSchema(t, admin, dsn)
		open := func(t *testing.T, opts ...registry.Option) (registry.Store, error) {
			s, err := postgres.Open(t.Context(), schemaDSN, opts...)
			if err != nil {
				return nil, err
			}
			t.Cleanup(func() { s.Close() })
			return s, nil
		}
		raw := func(t *testing.T, statement string) {
			t.Helper()
			pool, err := pgxpool.New(t.Context(), schemaDSN)
			if err != nil {
				t.Fatal(err)
			}
			defer pool.Close()
			if _, err := pool.Exec(t.Context(), statement); err != nil {
				t.Fatalf("%s: %v", statement, err)
			}
		}
		return open, raw
	})
}

func TestOpenWithoutSchema(t *testing.T) {
	_, dsn := testDB(t)
	_, err := postgres.Open(t.Context(), withParams(dsn, map[string]string{"search_path": "t_missing_schema"}))
	if err == nil {
		t.Fatal("Open with a search_path schema that does not exist: no error")
	}
}

func TestOpenUnreachable(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if _, err := postgres.Open(ctx, "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=2"); err == nil {
		t.Fatal("Open of an unreachable server: no error")
	}
}

// TestMigrateAuditScheme: migration 00016 labels the entries written before it as unkeyed,
// so they keep verifying, with the key, beside the keyed entries written after it.
func TestMigrateAuditScheme(t *testing.T) {
	admin, dsn := testDB(t)
	ctx := t.Context()
	schemaDSN := freshSchema(t, admin, dsn)
	s, err := postgres.Open(ctx, schemaDSN)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		if err := s.AppendAudit(ctx, &registry.AuditEntry{OrgID: "org-a", Actor: "clerk", Action: "old", Details: fmt.Appendf(nil, `{"i":%d}`, i)}); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	pool, err := pgxpool.New(ctx, schemaDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, db, os.DirFS("migrations"))
	if err != nil {
		t.Fatal(err)
	}
	// The trail as the registry of version 13 left it: no scheme column.
	if _, err := p.DownTo(ctx, 13); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `SELECT scheme FROM audit`); err == nil {
		t.Fatal("the scheme column outlived Down")
	}
	s, err = postgres.Open(ctx, schemaDSN, registry.WithAuditKey(registrytest.AuditKey))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.AppendAudit(ctx, &registry.AuditEntry{OrgID: "org-a", Actor: "clerk", Action: "new"}); err != nil {
		t.Fatal(err)
	}
	r, err := s.VerifyAuditChain(ctx, "org-a", nil)
	if err != nil || !r.OK || r.HeadSeq != 5 || r.LastUnkeyed != 4 {
		t.Errorf("after migration = %+v, %v; want intact through 5, unkeyed through 4", r, err)
	}
}
