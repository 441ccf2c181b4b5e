package sqlite

import (
	"database/sql"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/pressly/goose/v3"

	"orders/internal/registry"
	"orders/internal/registry/internal/driver"
)

// docids lists the orders' IDs by docid, ascending.
func docids(t *testing.T, db *sql.DB) []uuid.UUID {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), `SELECT order_id FROM order_search ORDER BY docid`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []uuid.UUID
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		out = append(out, uuid.MustParse(id))
	}
	return out
}

// oldestFirst lists the orders of org by (created_at, id), as the plain list gives them.
func oldestFirst(t *testing.T, s *Store, org string) []uuid.UUID {
	t.Helper()
	list, _, err := s.ListOrders(t.Context(), registry.Filter{OrgID: org, Limit: registry.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	var out []uuid.UUID
	for _, o := range slices.Backward(list) {
		out = append(out, o.ID)
	}
	return out
}

// TestCreatedAtNotBeforeLatest: an order whose clock was read before another order took the
// write lock is stored no earlier than that order, so that docids follow created_at, which
// the full-text list relies on to read the index newest first.
func TestCreatedAtNotBeforeLatest(t *testing.T) {
	ctx := t.Context()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "registry.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	late := &registry.Order{OrgID: "org-a", Title: "О стажировочной площадке", SearchText: "площадка"}
	if _, err := s.CreateOrder(ctx, late); err != nil {
		t.Fatal(err)
	}
	early := &registry.Order{OrgID: "org-a", Title: "О стажировочной площадке", SearchText: "площадка"}
	if err := driver.PrepareOrder(early, late.CreatedAt.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	err = s.write(ctx, func(tx txq) error {
		_, err := insertOrder(ctx, tx, early, driver.IndexStems(early.Title, early.SearchText))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if !early.CreatedAt.Equal(late.CreatedAt) || !early.UpdatedAt.Equal(late.CreatedAt) {
		t.Errorf("created %v, updated %v; want both %v", early.CreatedAt, early.UpdatedAt, late.CreatedAt)
	}
	stored, err := s.GetOrder(ctx, "org-a", early.ID)
	if err != nil || !stored.CreatedAt.Equal(late.CreatedAt) {
		t.Errorf("stored %+v, %v; want created %v", stored, err, late.CreatedAt)
	}
	if got := docids(t, s.db); !slices.Equal(got, []uuid.UUID{late.ID, early.ID}) {
		t.Errorf("docids in order %v; want %v, %v", got, late.ID, early.ID)
	}
}

// TestMigrateSearchNewest: migration 00018 numbers the documents in the order of creation and
// the index is made again at open with the organizations' terms, without which an
// organization's full-text list finds nothing.
func TestMigrateSearchNewest(t *testing.T) {
	ctx := t.Context()
	dsn := filepath.Join(t.TempDir(), "registry.db")
	s, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		// IDs decreasing, so that an order by ID is not the order of creation.
		id := uuid.New()
		id[0] = byte(0xf0 - i)
		o := &registry.Order{ID: id, OrgID: []string{"org-a", "org-b"}[i%2], Title: "О стажировочной площадке", SearchText: "площадка"}
		if _, err := s.CreateOrder(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	want := append(oldestFirst(t, s, "org-a"), oldestFirst(t, s, "org-b")...)
	s.Close()

	db, err := sql.Open("sqlite", dsn+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	p, err := goose.NewProvider(goose.DialectSQLite3, db, os.DirFS("migrations"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(ctx, 17); err != nil {
		t.Fatal(err)
	}
	// Version 17 as it was: docids in no particular order, no organization terms.
	for _, stmt := range []string{
		`DELETE FROM order_fts`,
		`UPDATE order_search SET docid = -docid`,
		`UPDATE order_search SET docid = 100 + docid`,
		`INSERT INTO order_fts (rowid, stems) SELECT docid, '` + driver.IndexStems("О стажировочной площадке", "площадка") + `' FROM order_search`,
	} {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	db.Close()

	if s, err = Open(ctx, dsn); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	byDocid := docids(t, s.db)
	for _, org := range []string{"org-a", "org-b"} {
		list, _, err := s.ListOrders(ctx, registry.Filter{OrgID: org, FullText: "стажировочные площадки"})
		if err != nil {
			t.Fatal(err)
		}
		var got []uuid.UUID
		for _, o := range slices.Backward(list) {
			got = append(got, o.ID)
		}
		if plain := oldestFirst(t, s, org); !slices.Equal(got, plain) {
			t.Errorf("%s: full-text list %v; want %v", org, got, plain)
		}
		// The docids of org's orders keep the order of creation.
		var mine []uuid.UUID
		for _, id := range byDocid {
			if slices.Contains(got, id) {
				mine = append(mine, id)
			}
		}
		if !slices.Equal(mine, got) {
			t.Errorf("%s: docids in order %v; want %v", org, mine, got)
		}
	}
	if len(byDocid) != len(want) {
		t.Errorf("%d documents; want %d", len(byDocid), len(want))
	}
}

// TestSearchPlan: a full-text list reads the index in rowid order, newest first, and stops at
// the page: no sort of the matches, which on a million orders is hundreds of ms when an
// organization has many (BenchmarkMillion in internal/registry). The group a page ends in
// is read by its docids.
func TestSearchPlan(t *testing.T) {
	path := filepath.Join(t.TempDir(), "registry.db")
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	seedPlanOrders(t, path, 3000)
	if s, err = Open(t.Context(), path); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cursor := driver.EncodeCursor(time.Date(2025, 3, 20, 0, 0, 0, 0, time.UTC), uuid.Max)
	at := time.Date(2025, 3, 20, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name   string
		filter registry.Filter
		at     time.Time
		want   []string
		unwant []string
	}{
		{"first page", registry.Filter{OrgID: "org-1", FullText: "площадка"}, time.Time{},
			[]string{"SCAN order_fts VIRTUAL TABLE"}, []string{"TEMP B-TREE"}},
		{"next page", registry.Filter{OrgID: "org-1", FullText: "площадка", Cursor: cursor}, time.Time{},
			[]string{"SCAN order_fts VIRTUAL TABLE"}, []string{"TEMP B-TREE FOR ORDER BY"}},
		{"group", registry.Filter{OrgID: "org-1", FullText: "площадка"}, at,
			[]string{"SCAN order_fts VIRTUAL TABLE", "INDEX orders_created"}, []string{"SCAN orders"}},
		// With other conditions, the orders are walked by their index and checked against the
		// set of matches.
		{"status", registry.Filter{OrgID: "org-1", FullText: "площадка", Status: registry.StatusFailed}, time.Time{},
			[]string{"INDEX orders_org_status_created", "LIST SUBQUERY", "SCAN order_fts VIRTUAL TABLE"}, []string{"TEMP B-TREE FOR ORDER BY"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := searchDialect(c.filter, c.at)
			if !onlyText(c.filter) {
				d = dialectSet(c.filter)
			}
			query, args, _, err := driver.ListQuery(d, listCols, c.filter)
			if err != nil {
				t.Fatal(err)
			}
			plan := queryPlan(t, s.db, query, args)
			for _, w := range c.want {
				if !strings.Contains(plan, w) {
					t.Errorf("plan has no %q:\n%s", w, plan)
				}
			}
			for _, w := range c.unwant {
				if strings.Contains(plan, w) {
					t.Errorf("plan has %q:\n%s", w, plan)
				}
			}
		})
	}
}
