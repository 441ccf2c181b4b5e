package registrytest

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"orders/internal/registry"
)

// RunSearch runs the cases of the suite that list with a full-text query. A driver that
// shapes such queries in several ways runs it once per shape.
func RunSearch(t *testing.T, newDB NewDB) {
	for _, c := range []struct {
		name string
		run  func(t *testing.T, db Opener)
	}{
		{"ArchiveSearch", testArchiveSearch},
		{"FullTextPages", testFullTextPages},
		{"FullTextBatchPages", testFullTextBatchPages},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.run(t, newDB(t))
		})
	}
}

// testFullTextPages pages through a full-text list with several page sizes: every match of
// the organization once, newest first, whatever the way the driver reads the matches.
func testFullTextPages(t *testing.T, db Opener) {
	s := open(t, db)
	var want []uuid.UUID // newest first
	for i := range 14 {
		org, title := "org-a", fmt.Sprintf("О стажировочной площадке № %d", i)
		switch {
		case i%7 == 3:
			org = "org-b"
		case i%3 == 2:
			title = fmt.Sprintf("Об отпуске работника № %d", i)
		}
		o := mustCreate(t, s, &registry.Order{OrgID: org, Kind: "приказ", Title: title,
			SearchText: "Текст приказа " + title})
		if org == "org-a" && strings.Contains(title, "стажировочной") {
			want = slices.Insert(want, 0, o.ID)
		}
	}
	pageThrough(t, s, "стажировочные площадки", []int{1, 2, 3, 50}, want)
}

// testFullTextBatchPages pages through a full-text list whose pages end inside a batch: its
// orders share one creation time, so their order is by ID, which a driver reading the index in
// the order of insertion must restore. The plain list (no full text) is the expected order.
func testFullTextBatchPages(t *testing.T, db Opener) {
	s, ctx := open(t, db), t.Context()
	text := func(i int) string { return fmt.Sprintf("О стажировочной площадке № %d", i) }
	mustCreate(t, s, &registry.Order{OrgID: "org-a", Kind: "приказ", Title: text(100), SearchText: text(100)})
	mustBatch(t, s, &registry.Batch{OrgID: "org-b", Key: "other"}, batchOrders("org-b", "other", 1, 5))
	mustBatch(t, s, &registry.Batch{OrgID: "org-a", Key: "ties"}, batchOrders("org-a", "ties", 1, 11))
	mustCreate(t, s, &registry.Order{OrgID: "org-a", Kind: "приказ", Title: "Об отпуске", SearchText: "Об отпуске"})
	mustCreate(t, s, &registry.Order{OrgID: "org-a", Kind: "приказ", Title: text(101), SearchText: text(101)})
	all, _, err := s.ListOrders(ctx, registry.Filter{OrgID: "org-a", Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	var want []uuid.UUID
	for _, o := range all {
		if strings.Contains(o.Title, "стажировочной") {
			want = append(want, o.ID)
		}
	}
	if len(want) != 13 {
		t.Fatalf("plain list: %d matching orders, want 13", len(want))
	}
	pageThrough(t, s, "стажировочные площадки", []int{1, 2, 3, 4, 5, 50}, want)
}

// pageThrough lists org-a's orders matching query at each page size, following the cursors,
// and wants exactly want, in order.
func pageThrough(t *testing.T, s registry.Store, query string, limits []int, want []uuid.UUID) {
	t.Helper()
	for _, limit := range limits {
		f := registry.Filter{OrgID: "org-a", FullText: query, Limit: limit}
		var got []uuid.UUID
		for page := 0; ; page++ {
			if page > len(want)+1 {
				t.Fatalf("limit %d: more pages than matches", limit)
			}
			list, next, err := s.ListOrders(t.Context(), f)
			if err != nil {
				t.Fatalf("limit %d: %v", limit, err)
			}
			for _, o := range list {
				got = append(got, o.ID)
			}
			if next == "" {
				break
			}
			f.Cursor = next
		}
		if !slices.Equal(got, want) {
			t.Errorf("limit %d:\n got %v\nwant %v", limit, got, want)
		}
	}
}
