package sqlite_test

import (
	"database/sql"
	"path/filepath"
	"testing"

	"orders/internal/registry"
	"orders/internal/registry/registrytest"
	"orders/internal/registry/sqlite"
)

func TestConformance(t *testing.T) {
	registrytest.Run(t, func(t *testing.T) registrytest.Opener {
		dsn := filepath.Join(t.TempDir(), "registry.db")
		return func(t *testing.T) (registry.Store, error) {
			s, err := sqlite.Open(t.Context(), dsn)
			if err != nil {
				return nil, err
			}
			t.Cleanup(func() { s.Close() })
			return s, nil
		}
	})
}

func TestTamper(t *testing.T) {
	registrytest.RunTamper(t, func(t *testing.T) (registrytest.Opener, registrytest.Raw) {
		dsn := filepath.Join(t.TempDir(), "registry.db")
		open := func(t *testing.T) (registry.Store, error) {
			s, err := sqlite.Open(t.Context(), dsn)
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
