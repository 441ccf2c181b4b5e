package sqlite_test

import (
	"path/filepath"
	"testing"

	"orders/internal/registry"
	"orders/internal/registry/registrytest"
	"orders/internal/registry/sqlite"
)

// TestSearchShapes runs the full-text cases of the suite with each query shape ListOrders
// picks between (see search.go): on a test's handful of orders it would pick only the first.
func TestSearchShapes(t *testing.T) {
	const all = 1 << 30
	for _, c := range []struct {
		name      string
		few, many int
	}{
		{"FromIndex", all, all},
		{"MatchSet", -1, all},
		{"Probe", -1, -1},
	} {
		t.Run(c.name, func(t *testing.T) {
			registrytest.RunSearch(t, func(t *testing.T) registrytest.Opener {
				dsn := filepath.Join(t.TempDir(), "registry.db")
				return func(t *testing.T) (registry.Store, error) {
					s, err := sqlite.Open(t.Context(), dsn)
					if err != nil {
						return nil, err
					}
					sqlite.SetSearchBounds(s, c.few, c.many)
					t.Cleanup(func() { s.Close() })
					return s, nil
				}
			})
		})
	}
}
