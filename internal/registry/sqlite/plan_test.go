package sqlite

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"orders/internal/registry"
	"orders/internal/registry/internal/driver"
)

// TestListPlans checks that each kind of list reads the index made for it, as SQLite plans
// it on a registry with statistics (Open analyzes). A list that walks orders_org_created
// instead costs a second or more on a million orders (BenchmarkMillion in internal/registry),
// which no test of a few orders would notice.
func TestListPlans(t *testing.T) {
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
	for _, c := range []struct {
		name   string
		filter registry.Filter
		index  string
	}{
		{"status", registry.Filter{OrgID: "org-1", Status: registry.StatusQueued, Limit: 1}, "orders_org_status_created"},
		{"state", registry.Filter{OrgID: "org-1", State: registry.StateCancelled}, "orders_org_state_created"},
		{"number", registry.Filter{OrgID: "org-1", Number: "15"}, "orders_org_number"},
		{"dates", registry.Filter{OrgID: "org-1", DateFrom: "2025-03-01", DateTo: "2025-03-31"}, "orders_org_date"},
		{"dates, next page", registry.Filter{OrgID: "org-1", DateFrom: "2025-03-01", DateTo: "2025-03-31", Limit: 500, Cursor: cursor}, "orders_org_date"},
		{"first page", registry.Filter{OrgID: "org-1"}, "orders_org_created"},
	} {
		t.Run(c.name, func(t *testing.T) {
			query, args, _, err := driver.ListQuery(dialect, listCols, c.filter)
			if err != nil {
				t.Fatal(err)
			}
			plan := queryPlan(t, s.db, query, args)
			if !strings.Contains(plan, "INDEX "+c.index+" ") {
				t.Errorf("plan does not use %s:\n%s", c.index, plan)
			}
		})
	}
}

func queryPlan(t *testing.T, db *sql.DB, query string, args []any) string {
	rows, err := db.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var id, parent, notUsed int
		var detail string
		if err := rows.Scan(&id, &parent, &notUsed, &detail); err != nil {
			t.Fatal(err)
		}
		b.WriteString(detail + "\n")
	}
	return b.String()
}

// seedPlanOrders writes n registered orders of three organizations over 100 days straight
// into the database, as a registry in use holds them.
func seedPlanOrders(t *testing.T, path string, n int) {
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	start := time.Date(2025, 1, 1, 9, 0, 0, 0, time.UTC)
	for i := range n {
		created := start.Add(time.Duration(i) * 100 * 24 * time.Hour / time.Duration(n))
		org := fmt.Sprintf("org-%d", i%3)
		seq := i/3 + 1
		_, err := tx.Exec(`INSERT INTO orders (id, org_id, title, search_text, order_date, number, status, draft_hash,
			created_at, updated_at, state, journal_id, seq)
			VALUES (?1, ?2, 'О приказе', 'о приказе', ?3, ?4, 'rendered', '', ?5, ?5, 'signed', 'main', ?6)`,
			uuid.New().String(), org, created.Format(time.DateOnly), fmt.Sprint(seq), fmtTime(created), seq)
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}
