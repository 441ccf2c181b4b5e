package registrytest

import (
	"errors"
	"slices"
	"testing"

	"orders/internal/registry"
)

// testJournalStartsAllOrNothing: a journal update whose start is below a number already
// issued changes nothing — not the format (issue 12: the next order was numbered «3355-ZZ»
// after a 409), not the name, and not the other years of the same request.
func testJournalStartsAllOrNothing(t *testing.T, db Opener) {
	s, ctx := open(t, db), t.Context()
	j := &registry.Journal{OrgID: "org-a", ID: "main", Name: "основная", Format: "{seq}-о"}
	if err := s.PutJournalWithStarts(ctx, j, []registry.JournalStart{{Year: 2026, Next: 3354}}); err != nil {
		t.Fatal(err)
	}
	o := mustCreate(t, s, &registry.Order{OrgID: "org-a", Title: "Первый"})
	if r := register(t, s, "org-a", o.ID, "main", "2026-03-02"); r.Number != "3354-о" {
		t.Fatalf("first number = %q, want 3354-о", r.Number)
	}
	before, err := s.GetJournal(ctx, "org-a", "main")
	if err != nil {
		t.Fatal(err)
	}

	// 2025 and 2027 would apply, 2026 is refused: none of them may.
	upd := &registry.Journal{OrgID: "org-a", ID: "main", Name: "другое имя", Format: "{seq}-ZZ"}
	err = s.PutJournalWithStarts(ctx, upd, []registry.JournalStart{{Year: 2027, Next: 7}, {Year: 2026, Next: 3}, {Year: 2025, Next: 10}})
	wantErr(t, "PutJournalWithStarts(start below an issued number)", err, registry.ErrConflict)
	var se *registry.JournalStartError
	if !errors.As(err, &se) || se.Year != 2026 || se.Next != 3 || se.Last != 3354 {
		t.Errorf("error = %#v, want a *JournalStartError for 2026 (next 3, last 3354)", err)
	}
	after, err := s.GetJournal(ctx, "org-a", "main")
	if err != nil {
		t.Fatal(err)
	}
	if after.Name != before.Name || after.Format != before.Format || !after.UpdatedAt.Equal(before.UpdatedAt) ||
		!slices.Equal(after.Years, before.Years) {
		t.Errorf("after a refused update the journal is %+v, want it as it was: %+v", after, before)
	}
	o2 := mustCreate(t, s, &registry.Order{OrgID: "org-a", Title: "Второй"})
	if r := register(t, s, "org-a", o2.ID, "main", "2026-03-03"); r.Number != "3355-о" {
		t.Errorf("number after a refused update = %q, want 3355-о", r.Number)
	}

	// A year given twice is a caller's mistake, refused before anything is written.
	err = s.PutJournalWithStarts(ctx, upd, []registry.JournalStart{{Year: 2027, Next: 7}, {Year: 2027, Next: 8}})
	wantErr(t, "PutJournalWithStarts(a year twice)", err, registry.ErrInvalid)
	err = s.PutJournalWithStarts(ctx, upd, []registry.JournalStart{{Year: 2027, Next: 0}})
	wantErr(t, "PutJournalWithStarts(next 0)", err, registry.ErrInvalid)

	// All accepted: all applied, with the new format.
	if err := s.PutJournalWithStarts(ctx, upd, []registry.JournalStart{{Year: 2027, Next: 7}, {Year: 2026, Next: 4000}, {Year: 2025, Next: 10}}); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetJournal(ctx, "org-a", "main")
	if err != nil {
		t.Fatal(err)
	}
	want := []registry.JournalStart{{Year: 2025, Next: 10}, {Year: 2026, Next: 4000}, {Year: 2027, Next: 7}}
	if got.Format != "{seq}-ZZ" || got.Name != "другое имя" || !slices.Equal(got.Years, want) {
		t.Errorf("after an accepted update: %+v, want format {seq}-ZZ and years %+v", got, want)
	}
	if !got.CreatedAt.Equal(before.CreatedAt) {
		t.Errorf("CreatedAt changed: %v, was %v", got.CreatedAt, before.CreatedAt)
	}
}
