package postgres_test

import (
	"os"
	"slices"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"orders/internal/registry"
	"orders/internal/registry/postgres"
	"orders/internal/registry/registrytest"
)

// TestSearchShapes runs the full-text cases of the suite with each way ListOrders reads
// matches: a window of the newest orders that holds the page, a window too small for it
// (then the matches from the index), and the matches at once. On a test's handful of orders
// the default window would hold every page.
func TestSearchShapes(t *testing.T) {
	admin, dsn := testDB(t)
	for _, c := range []struct {
		name   string
		window int
	}{
		{"Window", 1 << 20},
		{"SmallWindow", 3},
		{"Matches", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			registrytest.RunSearch(t, func(t *testing.T) registrytest.Opener {
				schemaDSN := freshSchema(t, admin, dsn)
				return func(t *testing.T) (registry.Store, error) {
					s, err := postgres.Open(t.Context(), schemaDSN, registry.WithAuditKey(registrytest.AuditKey))
					if err != nil {
						return nil, err
					}
					postgres.SetSearchWindow(s, c.window)
					t.Cleanup(func() { s.Close() })
					return s, nil
				}
			})
		})
	}
}

// TestMigrateOrderSearch: migration 00018 moves the vectors of the orders before it into
// order_search, each organization's apart, and its Down moves them back.
func TestMigrateOrderSearch(t *testing.T) {
	admin, dsn := testDB(t)
	ctx := t.Context()
	schemaDSN := freshSchema(t, admin, dsn)
	s, err := postgres.Open(ctx, schemaDSN)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]uuid.UUID{}
	for i, org := range []string{"org-a", "org-b", "org-a", "org-'b\\"} {
		o := &registry.Order{OrgID: org, Kind: "приказ", Title: "О стажировочной площадке",
			SearchText: "Открыть стажировочную площадку в лицее", Draft: []byte(`{"i":` + string(rune('0'+i)) + `}`)}
		if _, err := s.CreateOrder(ctx, o); err != nil {
			t.Fatal(err)
		}
		want[org] = append(want[org], o.ID)
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
	if _, err := p.DownTo(ctx, 17); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM orders WHERE search_tsv @@ 'стажировочн'::tsquery`).Scan(&n); err != nil || n != 4 {
		t.Fatalf("after Down: %d orders match in orders.search_tsv, %v; want 4", n, err)
	}
	s, err = postgres.Open(ctx, schemaDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, window := range []int{1 << 20, 0} {
		postgres.SetSearchWindow(s, window)
		for org, ids := range want {
			list, _, err := s.ListOrders(ctx, registry.Filter{OrgID: org, FullText: "стажировочные площадки"})
			if err != nil {
				t.Fatal(err)
			}
			var got []uuid.UUID
			for _, o := range list {
				got = append(got, o.ID)
			}
			slices.Reverse(ids) // newest first
			if !slices.Equal(got, ids) {
				t.Errorf("window %d, %s: got %v, want %v", window, org, got, ids)
			}
			slices.Reverse(ids)
		}
	}
}
