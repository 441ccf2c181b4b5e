package registrytest

import (
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/google/uuid"

	"orders/internal/registry"
)

// registerWith registers a new order of org in journal with the control items controls.
func registerWith(t *testing.T, s registry.Store, org, title, journal, date string, controls []registry.ControlItem) *registry.Order {
	t.Helper()
	o := mustCreate(t, s, &registry.Order{OrgID: org, Kind: "приказ", Title: title})
	got, err := s.RegisterOrder(t.Context(), org, o.ID, registry.RegisterRequest{
		Journal: journal, Date: date,
		Build: func(o *registry.Order, number string, seq int) (registry.Registered, error) {
			r := registeredDraft(o, number, date)
			r.Controls = controls
			return r, nil
		},
	})
	if err != nil {
		t.Fatalf("RegisterOrder(%s): %v", title, err)
	}
	return got
}

func controlIDs(list []registry.ControlItem) []string {
	var out []string
	for _, c := range list {
		out = append(out, c.Clause+" "+c.Responsible)
	}
	return out
}

func mustControls(t *testing.T, s registry.Store, f registry.ControlFilter) []registry.ControlItem {
	t.Helper()
	list, err := s.ListControls(t.Context(), f)
	if err != nil {
		t.Fatalf("ListControls(%+v): %v", f, err)
	}
	return list
}

// testControls: control items are made by the registration, in its transaction; a failed
// registration leaves none; lists select by organization, order, person and state; an
// item is marked executed once, with its audit entry.
func testControls(t *testing.T, db Opener) {
	s, ctx := open(t, db), t.Context()
	mustJournal(t, s, "org-a", "main", "{seq}")
	mustJournal(t, s, "org-b", "main", "{seq}")

	// A registration whose control items are invalid is rolled back whole: no number taken.
	bad := mustCreate(t, s, &registry.Order{OrgID: "org-a", Title: "Плохой"})
	_, err := s.RegisterOrder(ctx, "org-a", bad.ID, registry.RegisterRequest{Journal: "main", Date: "2026-03-01",
		Build: func(o *registry.Order, number string, seq int) (registry.Registered, error) {
			r := registeredDraft(o, number, "2026-03-01")
			r.Controls = []registry.ControlItem{{Clause: "1", Text: "x", Responsible: "", Deadline: "до 01.04.2026", Due: "2026-04-01"}}
			return r, nil
		}})
	wantErr(t, "control item without responsible", err, registry.ErrInvalid)
	if o := mustGet(t, s, "org-a", bad.ID); o.State != registry.StateDraft {
		t.Fatalf("order with a bad control item registered: %+v", o)
	}

	a := registerWith(t, s, "org-a", "О проведении олимпиады", "main", "2026-03-02", []registry.ControlItem{
		{Clause: "2", Text: "Провести олимпиаду.", Responsible: "Рожкова Т.В.", Deadline: "до 10.03.2026", Due: "2026-03-10", Controller: "Контроль возложить на Петрова П.П."},
		{Clause: "3", Text: "Подвести итоги.", Responsible: "Иванов И.И.", Deadline: "до 20.03.2026", Due: "2026-03-20"},
		{Clause: "4", Text: "Контролировать.", Responsible: "Рожкова Т.В.", Deadline: "постоянно"},
	})
	if a.Number != "1" {
		t.Fatalf("number %q: the failed registration took a number", a.Number)
	}
	registerWith(t, s, "org-b", "Чужой", "main", "2026-03-02", []registry.ControlItem{
		{Clause: "1", Text: "Чужое.", Responsible: "Рожкова Т.В.", Deadline: "до 01.03.2026", Due: "2026-03-01"},
	})

	all := mustControls(t, s, registry.ControlFilter{OrgID: "org-a"})
	if got, want := controlIDs(all), []string{"2 Рожкова Т.В.", "3 Иванов И.И.", "4 Рожкова Т.В."}; !slices.Equal(got, want) {
		t.Fatalf("org-a items %q, want %q (due first, undated last)", got, want)
	}
	for _, c := range all {
		if c.OrgID != "org-a" || c.OrderID != a.ID || c.OrderNumber != "1" || c.OrderDate != "2026-03-02" || c.OrderTitle != a.Title || c.DoneAt != nil ||
			(c.Clause == "2") != (c.Controller == "Контроль возложить на Петрова П.П.") {
			t.Errorf("item %+v", c)
		}
		isUTC(t, "CreatedAt", c.CreatedAt)
	}
	if got := controlIDs(mustControls(t, s, registry.ControlFilter{OrgID: "org-a", Responsible: "Рожкова Т.В."})); !slices.Equal(got, []string{"2 Рожкова Т.В.", "4 Рожкова Т.В."}) {
		t.Errorf("per person: %q", got)
	}
	if got := mustControls(t, s, registry.ControlFilter{Responsible: "Рожкова Т.В."}); len(got) != 3 {
		t.Errorf("all organizations, one person: %d items, want 3", len(got))
	}
	if got := mustControls(t, s, registry.ControlFilter{OrgID: "org-a", OrderID: &a.ID}); len(got) != 3 {
		t.Errorf("per order: %d items", len(got))
	}
	other := uuid.Must(uuid.NewV7())
	if got := mustControls(t, s, registry.ControlFilter{OrgID: "org-a", OrderID: &other}); len(got) != 0 {
		t.Errorf("per unknown order: %d items", len(got))
	}
	// On 15 March clause 2 is overdue, 3 and the undated 4 on time.
	state := func(st string) []string {
		return controlIDs(mustControls(t, s, registry.ControlFilter{OrgID: "org-a", State: st, Today: "2026-03-15"}))
	}
	if got := state(registry.ControlOverdue); !slices.Equal(got, []string{"2 Рожкова Т.В."}) {
		t.Errorf("overdue: %q", got)
	}
	if got := state(registry.ControlOnTime); !slices.Equal(got, []string{"3 Иванов И.И.", "4 Рожкова Т.В."}) {
		t.Errorf("on time: %q", got)
	}
	_, err = s.ListControls(ctx, registry.ControlFilter{State: registry.ControlOverdue})
	wantErr(t, "state without today", err, registry.ErrInvalid)

	// Marked executed: once, by someone, with the audit entry in the same transaction.
	item := all[1]
	if _, err := s.MarkControlDone(ctx, "org-b", item.ID, "Иванов И.И.", "", nil); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("mark another organization's item: %v", err)
	}
	_, err = s.MarkControlDone(ctx, "org-a", item.ID, " ", "", nil)
	wantErr(t, "mark by nobody", err, registry.ErrInvalid)
	done, err := s.MarkControlDone(ctx, "org-a", item.ID, "Иванов И.И.", "Итоги подведены, протокол № 5", &registry.AuditEntry{Actor: "ivanov", Action: "control-done"})
	if err != nil {
		t.Fatal(err)
	}
	if done.DoneAt == nil || done.DoneBy != "Иванов И.И." || done.DoneNote != "Итоги подведены, протокол № 5" {
		t.Fatalf("marked: %+v", done)
	}
	_, err = s.MarkControlDone(ctx, "org-a", item.ID, "Петров П.П.", "снова", nil)
	wantErr(t, "second mark", err, registry.ErrConflict)
	got, err := s.GetControl(ctx, "org-a", item.ID)
	if err != nil || got.DoneBy != "Иванов И.И." || !got.DoneAt.Equal(*done.DoneAt) {
		t.Fatalf("GetControl after a refused second mark: %+v, %v", got, err)
	}
	audit, err := s.ListAudit(ctx, "org-a", &a.ID, 0)
	if err != nil || len(audit) == 0 || audit[0].Action != "control-done" {
		t.Fatalf("audit of the mark: %+v, %v", audit, err)
	}
	if got := state(registry.ControlDone); !slices.Equal(got, []string{"3 Иванов И.И."}) {
		t.Errorf("done: %q", got)
	}
	counts, err := s.CountControls(ctx, "2026-03-15")
	if err != nil {
		t.Fatal(err)
	}
	// org-b's item is overdue too.
	if want := map[string]int{registry.ControlOnTime: 1, registry.ControlOverdue: 2, registry.ControlDone: 1}; !maps(counts, want) {
		t.Errorf("CountControls = %v, want %v", counts, want)
	}

	// A cancelled order's items are no longer controlled.
	if _, err := s.Cancel(ctx, "org-a", a.ID, registry.CancelRequest{Reason: "ошибка"}); err != nil {
		t.Fatal(err)
	}
	if got := mustControls(t, s, registry.ControlFilter{OrgID: "org-a"}); len(got) != 0 {
		t.Errorf("items of a cancelled order listed: %q", controlIDs(got))
	}
}

func maps(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// testControlMarkRace: of two marks of one item at once exactly one wins.
func testControlMarkRace(t *testing.T, db Opener) {
	s1, s2 := open(t, db), open(t, db)
	mustJournal(t, s1, "org-a", "main", "{seq}")
	registerWith(t, s1, "org-a", "Гонка", "main", "2026-03-02", []registry.ControlItem{
		{Clause: "1", Text: "Сделать.", Responsible: "Рожкова Т.В.", Deadline: "до 10.03.2026", Due: "2026-03-10"}})
	item := mustControls(t, s1, registry.ControlFilter{OrgID: "org-a"})[0]
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, s := range []registry.Store{s1, s2} {
		wg.Go(func() {
			_, errs[i] = s.MarkControlDone(t.Context(), "org-a", item.ID, "кто-то", "", &registry.AuditEntry{Actor: "x", Action: "control-done"})
		})
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, registry.ErrConflict):
			t.Errorf("mark: %v", err)
		}
	}
	if ok != 1 {
		t.Errorf("%d marks succeeded, want 1 (%v)", ok, errs)
	}
}

// testCalendarFeeds: one secret per person; a new one revokes the old; revoked is gone.
func testCalendarFeeds(t *testing.T, db Opener) {
	s, ctx := open(t, db), t.Context()
	h1, h2 := hashOf([]byte("secret-1")), hashOf([]byte("secret-2"))
	if err := s.PutCalendarFeed(ctx, &registry.CalendarFeed{Hash: h1, OrgID: "org-a", Person: "Рожкова Т.В.", CreatedBy: "rozhkova"}); err != nil {
		t.Fatal(err)
	}
	f, err := s.CalendarFeedByHash(ctx, h1)
	if err != nil || f.OrgID != "org-a" || f.Person != "Рожкова Т.В." || f.CreatedBy != "rozhkova" {
		t.Fatalf("CalendarFeedByHash: %+v, %v", f, err)
	}
	isUTC(t, "feed CreatedAt", f.CreatedAt)
	if err := s.PutCalendarFeed(ctx, &registry.CalendarFeed{Hash: h2, OrgID: "org-a", Person: "Рожкова Т.В."}); err != nil {
		t.Fatal(err)
	}
	_, err = s.CalendarFeedByHash(ctx, h1)
	wantErr(t, "replaced feed", err, registry.ErrNotFound)
	err = s.PutCalendarFeed(ctx, &registry.CalendarFeed{Hash: h2, OrgID: "org-a", Person: "Иванов И.И."})
	wantErr(t, "secret of another person", err, registry.ErrConflict)
	err = s.PutCalendarFeed(ctx, &registry.CalendarFeed{Hash: "nothex", OrgID: "org-a", Person: "Иванов И.И."})
	wantErr(t, "bad hash", err, registry.ErrInvalid)
	if err := s.DeleteCalendarFeed(ctx, "org-a", "Рожкова Т.В."); err != nil {
		t.Fatal(err)
	}
	_, err = s.CalendarFeedByHash(ctx, h2)
	wantErr(t, "revoked feed", err, registry.ErrNotFound)
	wantErr(t, "revoke twice", s.DeleteCalendarFeed(ctx, "org-a", "Рожкова Т.В."), registry.ErrNotFound)
}

// testCases: the nomenclature, filing by journal at registration and by hand, volumes by
// year, and a case holding orders cannot be deleted.
func testCases(t *testing.T, db Opener) {
	s, ctx := open(t, db), t.Context()
	mustJournal(t, s, "org-a", "main", "{seq}")
	mustJournal(t, s, "org-a", "personnel", "{seq}-к")
	for _, bad := range []registry.Case{
		{OrgID: "org-a", Index: "01 05", Title: "x", Retention: "5 лет"},
		{OrgID: "org-a", Index: "01-05", Title: "", Retention: "5 лет"},
		{OrgID: "org-a", Index: "01-05", Title: "x", Retention: "пока нужно"},
	} {
		wantErr(t, "PutCase "+bad.Index+"/"+bad.Retention, s.PutCase(ctx, &bad), registry.ErrInvalid)
	}
	main := &registry.Case{OrgID: "org-a", Index: "01-05", Title: "Приказы по основной деятельности", Retention: "постоянно", Journal: "main"}
	if err := s.PutCase(ctx, main); err != nil {
		t.Fatal(err)
	}
	staff := &registry.Case{OrgID: "org-a", Index: "01-07", Title: "Приказы по личному составу", Retention: "75 лет ЭПК"}
	if err := s.PutCase(ctx, staff); err != nil {
		t.Fatal(err)
	}
	short := &registry.Case{OrgID: "org-a", Index: "01-09", Title: "Приказы об отпусках", Retention: "5 лет"}
	if err := s.PutCase(ctx, short); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "a journal in two cases", s.PutCase(ctx, &registry.Case{OrgID: "org-a", Index: "01-10", Title: "x", Retention: "1 год", Journal: "main"}), registry.ErrConflict)
	list, err := s.ListCases(ctx, "org-a")
	if err != nil || len(list) != 3 || list[0].Index != "01-05" || list[1].RetentionYears != 75 || list[2].RetentionYears != 5 || !list[0].Permanent() {
		t.Fatalf("ListCases: %+v, %v", list, err)
	}
	isUTC(t, "case CreatedAt", list[0].CreatedAt)

	// An order of journal main is filed into 01-05 by its registration.
	a := registerWith(t, s, "org-a", "Первый", "main", "2025-05-02", nil)
	b := registerWith(t, s, "org-a", "Второй", "main", "2026-01-12", nil)
	f, err := s.FilingOf(ctx, "org-a", a.ID)
	if err != nil || f.CaseIndex != "01-05" || f.Year != 2025 || f.FiledBy != "system" {
		t.Fatalf("filing by journal: %+v, %v", f, err)
	}
	// Personnel orders are filed by hand; a draft cannot be, nor into an unknown case.
	c := registerWith(t, s, "org-a", "О приёме", "personnel", "2025-06-01", nil)
	_, err = s.FilingOf(ctx, "org-a", c.ID)
	wantErr(t, "unfiled", err, registry.ErrNotFound)
	draft := mustCreate(t, s, &registry.Order{OrgID: "org-a", Title: "Проект"})
	_, err = s.FileOrder(ctx, "org-a", draft.ID, "01-07", "arch", nil)
	wantLifecycle(t, "file a draft", err, registry.StateDraft)
	_, err = s.FileOrder(ctx, "org-a", c.ID, "99-99", "arch", nil)
	wantErr(t, "unknown case", err, registry.ErrInvalid)
	_, err = s.FileOrder(ctx, "org-b", c.ID, "01-07", "arch", nil)
	wantErr(t, "another organization's order", err, registry.ErrNotFound)
	f, err = s.FileOrder(ctx, "org-a", c.ID, "01-07", "Архивариус А.А.", &registry.AuditEntry{Actor: "arch", Action: "file"})
	if err != nil || f.CaseIndex != "01-07" || f.Year != 2025 || f.FiledBy != "Архивариус А.А." {
		t.Fatalf("FileOrder: %+v, %v", f, err)
	}
	if audit, err := s.ListAudit(ctx, "org-a", &c.ID, 1); err != nil || len(audit) != 1 || audit[0].Action != "file" {
		t.Fatalf("audit of the filing: %+v, %v", audit, err)
	}

	orders, err := s.CaseOrders(ctx, "org-a", "01-05", 2025)
	if err != nil || len(orders) != 1 || orders[0].ID != a.ID || orders[0].Draft != nil {
		t.Fatalf("CaseOrders 01-05/2025: %+v, %v", orders, err)
	}
	vols, err := s.CaseVolumes(ctx, "org-a")
	if err != nil {
		t.Fatal(err)
	}
	type vol struct {
		idx         string
		year, n     int
		first, last string
		expires     int
	}
	var got []vol
	for _, v := range vols {
		got = append(got, vol{v.Index, v.Year, v.Count, v.First, v.Last, v.ExpiresAfter()})
	}
	want := []vol{{"01-05", 2025, 1, "2025-05-02", "2025-05-02", 0}, {"01-05", 2026, 1, "2026-01-12", "2026-01-12", 0}, {"01-07", 2025, 1, "2025-06-01", "2025-06-01", 2100}}
	if !slices.Equal(got, want) {
		t.Errorf("CaseVolumes = %+v, want %+v", got, want)
	}
	// The archive lists by case and year.
	for _, c := range []struct {
		f    registry.Filter
		want []uuid.UUID
	}{
		{registry.Filter{OrgID: "org-a", Case: "01-05"}, []uuid.UUID{b.ID, a.ID}},
		{registry.Filter{OrgID: "org-a", Case: "01-05", CaseYear: 2025}, []uuid.UUID{a.ID}},
		{registry.Filter{OrgID: "org-a", Case: "01-07", State: registry.StateRegistered}, []uuid.UUID{c.ID}},
		{registry.Filter{OrgID: "org-a", Case: "01-09"}, nil},
		{registry.Filter{OrgID: "org-a", Case: "01-05", FullText: "второй"}, []uuid.UUID{b.ID}}, // with the full-text index
	} {
		list, _, err := s.ListOrders(ctx, c.f)
		if err != nil {
			t.Fatalf("ListOrders(%+v): %v", c.f, err)
		}
		var got []uuid.UUID
		for _, o := range list {
			got = append(got, o.ID)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("ListOrders(case %s, year %d) = %v, want %v", c.f.Case, c.f.CaseYear, got, c.want)
		}
	}

	wantErr(t, "delete a case holding orders", s.DeleteCase(ctx, "org-a", "01-07"), registry.ErrConflict)
	if err := s.DeleteCase(ctx, "org-a", "01-09"); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "delete twice", s.DeleteCase(ctx, "org-a", "01-09"), registry.ErrNotFound)
}

// testPublicOrders: only a registered order can be made public, with its audit entry.
func testPublicOrders(t *testing.T, db Opener) {
	s, ctx := open(t, db), t.Context()
	mustJournal(t, s, "org-a", "main", "{seq}")
	draft := mustCreate(t, s, &registry.Order{OrgID: "org-a", Title: "Проект"})
	wantLifecycle(t, "publish a draft", s.SetOrderPublic(ctx, "org-a", draft.ID, true, nil), registry.StateDraft)
	o := registerWith(t, s, "org-a", "Открытый", "main", "2026-03-02", nil)
	if pub, err := s.OrderPublic(ctx, o.ID); err != nil || pub {
		t.Fatalf("OrderPublic before = %v, %v", pub, err)
	}
	wantErr(t, "another organization", s.SetOrderPublic(ctx, "org-b", o.ID, true, nil), registry.ErrNotFound)
	if err := s.SetOrderPublic(ctx, "org-a", o.ID, true, &registry.AuditEntry{Actor: "head", Action: "public"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetOrderPublic(ctx, "org-a", o.ID, true, nil); err != nil {
		t.Fatalf("publish twice: %v", err)
	}
	if pub, err := s.OrderPublic(ctx, o.ID); err != nil || !pub {
		t.Fatalf("OrderPublic after = %v, %v", pub, err)
	}
	if audit, err := s.ListAudit(ctx, "org-a", &o.ID, 1); err != nil || len(audit) != 1 || audit[0].Action != "public" {
		t.Fatalf("audit: %+v, %v", audit, err)
	}
	if err := s.SetOrderPublic(ctx, "org-a", o.ID, false, nil); err != nil {
		t.Fatal(err)
	}
	if pub, _ := s.OrderPublic(ctx, o.ID); pub {
		t.Error("still public")
	}
}
