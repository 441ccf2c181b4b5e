package sqlite_test

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/pressly/goose/v3"

	"orders/internal/registry"
	"orders/internal/registry/internal/driver"
	"orders/internal/registry/registrytest"
	"orders/internal/registry/sqlite"
)

func TestConformance(t *testing.T) {
	registrytest.Run(t, func(t *testing.T) registrytest.Opener {
		dsn := filepath.Join(t.TempDir(), "registry.db")
		return func(t *testing.T) (registry.Store, error) {
			s, err := sqlite.Open(t.Context(), dsn, registry.WithAuditKey(registrytest.AuditKey))
			if err != nil {
				return nil, err
			}
			t.Cleanup(func() { s.Close() })
			return s, nil
		}
	})
}

func TestTamper(t *testing.T) {
	registrytest.RunTamper(t, func(t *testing.T) (registrytest.OpenWith, registrytest.Raw) {
		dsn := filepath.Join(t.TempDir(), "registry.db")
		open := func(t *testing.T, opts ...registry.Option) (registry.Store, error) {
			s, err := sqlite.Open(t.Context(), dsn, opts...)
			if err != nil {
				return nil, err
			}
			t.Cleanup(func() { s.Close() })
			return s, nil
		}
		raw := func(t *testing.T, statement string) {
			t.Helper()
			db, err := sql.Open("sqlite", dsn+"?_pragma=busy_timeout(10000)")
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.ExecContext(t.Context(), statement); err != nil {
				t.Fatalf("%s: %v", statement, err)
			}
		}
		return open, raw
	})
}

// TestReindexOnOpen: orders without full-text terms (from before the search existed) or with
// terms of an older analyzer are indexed when the registry opens.
func TestReindexOnOpen(t *testing.T) {
	dsn := filepath.Join(t.TempDir(), "registry.db")
	s, err := sqlite.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	old := &registry.Order{OrgID: "org-a", Title: "О стажировочных площадках", Draft: []byte("{}")}
	stale := &registry.Order{OrgID: "org-a", Title: "Об отпусках", SearchText: "график отпусков", Draft: []byte("{}")}
	for _, o := range []*registry.Order{old, stale} {
		if _, err := s.CreateOrder(t.Context(), o); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		`DELETE FROM order_search WHERE order_id = '` + old.ID.String() + `'`,
		`DELETE FROM order_fts WHERE rowid = (SELECT docid FROM order_search WHERE order_id = '` + stale.ID.String() + `')`,
		`INSERT INTO order_fts (rowid, stems) SELECT docid, 'nothing' FROM order_search WHERE order_id = '` + stale.ID.String() + `'`,
		`UPDATE order_search SET analyzer = 0 WHERE order_id = '` + stale.ID.String() + `'`,
	} {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	s, err = sqlite.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for q, want := range map[string]string{"стажировочная площадка": old.Title, "графики отпуска": stale.Title} {
		list, _, err := s.ListOrders(t.Context(), registry.Filter{FullText: q})
		if err != nil || len(list) != 1 || list[0].Title != want {
			t.Errorf("FullText %q after reopen = %+v, %v; want %q", q, list, err, want)
		}
	}
}

func TestOpenFileURIWithOwnSettings(t *testing.T) {
	dsn := "file:" + filepath.Join(t.TempDir(), "r.db") + "?_busy_timeout=2000"
	s, err := sqlite.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Ping(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// TestMigrateSearchIndex: migration 00007 moves the stems of a version 6 database into the
// contentless index, so the archive is searchable at once, without indexing again; and its
// Down migration leaves a database that the driver indexes again when it opens.
func TestMigrateSearchIndex(t *testing.T) {
	ctx := t.Context()
	dsn := filepath.Join(t.TempDir(), "registry.db")
	s, err := sqlite.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	o := &registry.Order{OrgID: "org-a", Title: "О стажировочных площадках", SearchText: "график отпусков", Draft: []byte("{}")}
	if _, err := s.CreateOrder(ctx, o); err != nil {
		t.Fatal(err)
	}
	s.Close()
	search := func(what string) {
		t.Helper()
		s, err := sqlite.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		for _, q := range []string{"стажировочная площадка", "графики отпуска"} {
			list, _, err := s.ListOrders(ctx, registry.Filter{FullText: q})
			if err != nil || len(list) != 1 || list[0].ID != o.ID {
				t.Errorf("%s: FullText %q = %+v, %v", what, q, list, err)
			}
		}
	}

	db, p := migrator(t, dsn)
	if _, err := p.DownTo(ctx, 6); err != nil {
		t.Fatal(err)
	}
	search("after Down to 6, indexed again at open")

	// Version 6 as it was: the stems in order_search, indexed by the analyzer of today.
	if _, err := p.DownTo(ctx, 6); err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		`UPDATE order_search SET stems = '` + driver.IndexStems(o.Title, o.SearchText) + `', analyzer = ` + fmt.Sprint(driver.AnalyzerVersion),
		`INSERT INTO order_fts (order_fts) VALUES ('rebuild')`,
	} {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	search("after Up from a populated version 6")
}

// TestMigrateSignatureTrust: migration 00013 records that signatures stored before it were
// never checked for trust, rather than leaving a valid signature without a trust verdict.
func TestMigrateSignatureTrust(t *testing.T) {
	ctx := t.Context()
	dsn := filepath.Join(t.TempDir(), "registry.db")
	s, err := sqlite.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, p := migrator(t, dsn)
	if _, err := p.DownTo(ctx, 9); err != nil {
		t.Fatal(err)
	}
	for i, verified := range []string{"valid", "not verified: ГОСТ"} {
		if _, err := db.ExecContext(ctx, `INSERT INTO signatures (id, order_id, kind, key, sha256, verified, created_at)
			VALUES (?1, 'o', 'detached-cms', 'k', 'h', ?2, '2026-01-01T00:00:00Z')`, fmt.Sprint(i), verified); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatal(err)
	}
	rows, err := db.QueryContext(ctx, `SELECT verified, trust FROM signatures ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var v, tr string
		if err := rows.Scan(&v, &tr); err != nil {
			t.Fatal(err)
		}
		got = append(got, v+" | "+tr)
	}
	want := []string{"valid | not checked: доверие к сертификату при записи подписи не проверялось", "not verified: ГОСТ | "}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("after migration: %q, want %q", got, want)
	}
}

// TestMigrateAuditScheme: migration 00016 labels the entries written before it as unkeyed,
// so they keep verifying, with the key, beside the keyed entries written after it.
func TestMigrateAuditScheme(t *testing.T) {
	ctx := t.Context()
	dsn := filepath.Join(t.TempDir(), "registry.db")
	s, err := sqlite.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		if err := s.AppendAudit(ctx, &registry.AuditEntry{OrgID: "org-a", Actor: "clerk", Action: "old", Details: fmt.Appendf(nil, `{"i":%d}`, i)}); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	db, p := migrator(t, dsn)
	// The trail as the registry of version 13 left it: no scheme column.
	if _, err := p.DownTo(ctx, 13); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `SELECT scheme FROM audit`); err == nil {
		t.Fatal("the scheme column outlived Down")
	}
	s, err = sqlite.Open(ctx, dsn, registry.WithAuditKey(registrytest.AuditKey))
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

// migrator opens the registry file at dsn beside the store, with the goose provider of its
// migrations, for tests that take the schema back to an older version.
func migrator(t *testing.T, dsn string) (*sql.DB, *goose.Provider) {
	t.Helper()
	db, err := sql.Open("sqlite", dsn+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	p, err := goose.NewProvider(goose.DialectSQLite3, db, os.DirFS("migrations"))
	if err != nil {
		t.Fatal(err)
	}
	return db, p
}
