package registrytest

import (
	"slices"
	"testing"

	"github.com/google/uuid"

	"orders/internal/registry"
)

// testArchiveSort: a sorted list is sorted over all the matches, not within a page (the
// archive once sorted only the 25 rows on the screen), pages neither overlap nor skip, and
// CountOrders counts what the list lists.
func testArchiveSort(t *testing.T, db Opener) {
	s, ctx := open(t, db), t.Context()
	mustJournal(t, s, "srt", "main", "{seq}-о")
	// Created in this order; registered by date, so the newest-first order is none of the sorts.
	corpus := []struct{ title, date string }{
		{"О стажировочных площадках", "2026-12-05"},
		{"Об утверждении графика", "2024-08-16"},
		{"ёлка новогодняя", "2025-12-20"},
		{"Аттестация педагогов", ""},
		{"Библиотечный фонд", "2025-03-01"},
		{"О стажировке молодых педагогов", "2026-01-10"},
		{"Вакцинация", ""},
	}
	ids := make([]uuid.UUID, len(corpus))
	for i, c := range corpus {
		ids[i] = mustCreate(t, s, &registry.Order{OrgID: "srt", Kind: "приказ", Title: c.title, SearchText: c.title}).ID
	}
	byDate := []int{1, 4, 2, 5, 0} // 2024 1-о, 2025 1-о and 2-о, 2026 1-о and 2-о
	for _, i := range byDate {
		register(t, s, "srt", ids[i], "main", corpus[i].date)
	}
	mustCreate(t, s, &registry.Order{OrgID: "other", Kind: "приказ", Title: "Абонемент", SearchText: "Абонемент"})

	walk := func(f registry.Filter) []int {
		t.Helper()
		var got []int
		for range len(corpus) + 1 {
			list, next, err := s.ListOrders(ctx, f)
			if err != nil {
				t.Fatalf("%+v: %v", f, err)
			}
			for _, o := range list {
				got = append(got, slices.Index(ids, o.ID))
			}
			if next == "" {
				return got
			}
			f.Cursor = next
		}
		t.Fatalf("%+v: the pages never end", f)
		return nil
	}
	org := registry.Filter{OrgID: "srt", Limit: 2}
	with := func(edit func(*registry.Filter)) registry.Filter { f := org; edit(&f); return f }
	tests := []struct {
		name string
		f    registry.Filter
		want []int
	}{
		{"date descending, drafts last", with(func(f *registry.Filter) { f.Sort = "-date" }), []int{0, 5, 2, 4, 1, 6, 3}},
		{"date ascending, drafts last", with(func(f *registry.Filter) { f.Sort = "date" }), []int{1, 4, 2, 5, 0, 6, 3}},
		// Numbers: 1-о (2024, 2025, 2026; ties newest first), then 2-о (2025, 2026).
		{"number ascending", with(func(f *registry.Filter) { f.Sort = "number" }), []int{5, 4, 1, 2, 0, 6, 3}},
		{"title, ignoring case, ё as е", with(func(f *registry.Filter) { f.Sort = "title" }), []int{3, 4, 6, 2, 5, 0, 1}},
		{"title descending", with(func(f *registry.Filter) { f.Sort = "-title" }), []int{1, 0, 5, 2, 6, 4, 3}},
		{"with a filter", with(func(f *registry.Filter) { f.Sort, f.DateFrom = "-date", "2025-01-01" }), []int{0, 5, 2, 4}},
		{"with the full text", with(func(f *registry.Filter) { f.Sort, f.FullText = "date", "стажировочная" }), []int{0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := walk(tt.f); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			n, err := s.CountOrders(ctx, tt.f)
			if err != nil || n != len(tt.want) {
				t.Errorf("CountOrders = %d, %v; want %d", n, err, len(tt.want))
			}
		})
	}
	if n, err := s.CountOrders(ctx, registry.Filter{}); err != nil || n != len(corpus)+1 {
		t.Errorf("CountOrders of all organizations = %d, %v; want %d", n, err, len(corpus)+1)
	}
	_, _, err := s.ListOrders(ctx, with(func(f *registry.Filter) { f.Sort = "author" }))
	wantErr(t, "unknown sort", err, registry.ErrInvalid)
	_, _, err = s.ListOrders(ctx, with(func(f *registry.Filter) { f.Sort, f.Cursor = "date", "bm9wZQ" }))
	wantErr(t, "bad cursor of a sorted list", err, registry.ErrBadCursor)
}

// testCreatedBy: the registry keeps who submitted an order, and lists one person's orders
// («мои проекты»).
func testCreatedBy(t *testing.T, db Opener) {
	s, ctx := open(t, db), t.Context()
	mine := mustCreate(t, s, &registry.Order{OrgID: "cb", Kind: "приказ", Title: "Мой", CreatedBy: "user:ivanova (Иванова И.И.)"})
	mustCreate(t, s, &registry.Order{OrgID: "cb", Kind: "приказ", Title: "Чужой", CreatedBy: "user:petrova (Петрова П.П.)"})
	mustCreate(t, s, &registry.Order{OrgID: "cb", Kind: "приказ", Title: "Старый"})
	if got := mustGet(t, s, "cb", mine.ID); got.CreatedBy != "user:ivanova (Иванова И.И.)" {
		t.Errorf("GetOrder: CreatedBy %q", got.CreatedBy)
	}
	f := registry.Filter{OrgID: "cb", CreatedBy: "user:ivanova (Иванова И.И.)"}
	for _, sort := range []string{"", "title"} {
		f.Sort = sort
		list, _, err := s.ListOrders(ctx, f)
		if err != nil || len(list) != 1 || list[0].ID != mine.ID || list[0].CreatedBy != mine.CreatedBy {
			t.Errorf("sort %q: %v, %+v", sort, err, list)
		}
	}
	if n, err := s.CountOrders(ctx, f); err != nil || n != 1 {
		t.Errorf("CountOrders: %d, %v", n, err)
	}
}
