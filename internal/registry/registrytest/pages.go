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
	s, ctx := open(t, db), t.Context()
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
	for _, limit := range []int{1, 2, 3, 50} {
		f := registry.Filter{OrgID: "org-a", FullText: "стажировочные площадки", Limit: limit}
		var got []uuid.UUID
		for page := 0; ; page++ {
			if page > len(want)+1 {
				t.Fatalf("limit %d: more pages than matches", limit)
			}
			list, next, err := s.ListOrders(ctx, f)
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
			t.Errorf("limit %d: got %v, want %v", limit, got, want)
		}
	}
}
