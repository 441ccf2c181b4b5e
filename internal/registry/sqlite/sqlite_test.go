package sqlite_test

import (
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
