package registrytest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

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

// testRegisterReplay: a registration repeated with the same key (its first answer lost)
// gets the order as registered, without a second number or audit entry; another key, or
// none, is refused as before.
func testRegisterReplay(t *testing.T, db Opener) {
	s, ctx := open(t, db), t.Context()
	mustJournal(t, s, "org-a", "main", "{seq}-о")
	reg := func(id uuid.UUID, key string, replayed *bool) (*registry.Order, error) {
		return s.RegisterOrder(ctx, "org-a", id, registry.RegisterRequest{
			Journal: "main", Date: "2026-03-02", Key: key, Replayed: replayed,
			Audit: &registry.AuditEntry{Actor: "test", Action: "register"},
			Build: func(o *registry.Order, number string, seq int) (registry.Registered, error) {
				return registeredDraft(o, number, "2026-03-02"), nil
			},
		})
	}
	o := mustCreate(t, s, &registry.Order{OrgID: "org-a", Title: "Первый"})
	var replayed bool
	first, err := reg(o.ID, "key-1", &replayed)
	if err != nil || replayed || first.Number != "1-о" {
		t.Fatalf("first registration: %v, replayed %v, number %q", err, replayed, first.Number)
	}
	again, err := reg(o.ID, "key-1", &replayed)
	if err != nil || !replayed {
		t.Fatalf("the same key again: %v, replayed %v; want the order as registered", err, replayed)
	}
	if again.Number != first.Number || again.Seq != first.Seq || again.DraftHash != first.DraftHash ||
		!again.RegisteredAt.Equal(*first.RegisteredAt) || again.State != registry.StateRegistered {
		t.Errorf("replayed order = %+v, want it as registered: %+v", again, first)
	}
	if _, err := reg(o.ID, "key-1", nil); err != nil {
		t.Errorf("a replay without Replayed: %v", err)
	}
	for _, key := range []string{"key-2", ""} {
		_, err := reg(o.ID, key, nil)
		wantLifecycle(t, "register with key "+key, err, registry.StateRegistered)
	}
	audit, err := s.ListAudit(ctx, "org-a", &o.ID, 0)
	if err != nil || len(audit) != 1 {
		t.Errorf("audit of the order: %d entries (%v), want 1: a replay records nothing", len(audit), err)
	}
	// No number was consumed by the replays.
	o2 := mustCreate(t, s, &registry.Order{OrgID: "org-a", Title: "Второй"})
	if r, err := reg(o2.ID, "", nil); err != nil || r.Number != "2-о" {
		t.Fatalf("next registration: %v, %+v", err, r)
	}
	// Registered without a key: no key matches it later.
	_, err = reg(o2.ID, "late-key", nil)
	wantLifecycle(t, "a key for an order registered without one", err, registry.StateRegistered)
	// The key is the organization's: another organization's order stays absent.
	_, err = s.RegisterOrder(ctx, "org-b", o.ID, registry.RegisterRequest{Journal: "main", Date: "2026-03-02", Key: "key-1",
		Build: func(o *registry.Order, n string, _ int) (registry.Registered, error) {
			return registeredDraft(o, n, "2026-03-02"), nil
		}})
	wantErr(t, "replay by another organization", err, registry.ErrNotFound)
	_, err = reg(o.ID, strings.Repeat("k", registry.MaxRegisterKey+1), nil)
	wantErr(t, "a key too long", err, registry.ErrInvalid)
}

// testUnavailableWhenClosed: a store that cannot reach its database says so with
// ErrUnavailable — reads, the token lookup, writes and Ping — so callers answer «try again»
// rather than «internal error».
func testUnavailableWhenClosed(t *testing.T, db Opener) {
	s, ctx := open(t, db), t.Context()
	o := mustCreate(t, s, &registry.Order{OrgID: "org-a", Title: "До закрытия"})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	_, errGet := s.GetOrder(ctx, "org-a", o.ID)
	_, errToken := s.TokenByHash(ctx, strings.Repeat("0", 64))
	_, errCreate := s.CreateOrder(ctx, &registry.Order{OrgID: "org-a", Title: "После", Draft: []byte(`{}`)})
	_, errReg := s.RegisterOrder(ctx, "org-a", o.ID, registry.RegisterRequest{Journal: "main", Date: "2026-03-02",
		Build: func(o *registry.Order, n string, _ int) (registry.Registered, error) {
			return registeredDraft(o, n, "2026-03-02"), nil
		}})
	_, _, errList := s.ListOrders(ctx, registry.Filter{OrgID: "org-a"})
	for name, err := range map[string]error{
		"GetOrder": errGet, "TokenByHash": errToken, "CreateOrder": errCreate, "RegisterOrder": errReg,
		"ListOrders": errList, "Ping": s.Ping(ctx),
	} {
		if !errors.Is(err, registry.ErrUnavailable) {
			t.Errorf("%s on a closed store: %v, want ErrUnavailable", name, err)
		}
	}
}

// testCreateRegisteredBatch: a batch issued with registration is stored registered or not
// at all — no batch of drafts is left behind by a registration that failed.
func testCreateRegisteredBatch(t *testing.T, db Opener) {
	s, ctx := open(t, db), t.Context()
	mustJournal(t, s, "org-a", "main", "{seq}-о")
	const date = "2026-09-01"
	build := func(o *registry.Order, number string, seq int) (registry.Registered, error) {
		return registeredDraft(o, number, date), nil
	}
	auditOf := func(o *registry.Order) *registry.AuditEntry {
		return &registry.AuditEntry{Actor: "head", Action: "register"}
	}
	nothingStored := func(what string, b *registry.Batch, orders []*registry.Order) {
		t.Helper()
		if _, err := s.GetBatch(ctx, "org-a", b.ID); !errors.Is(err, registry.ErrNotFound) {
			t.Errorf("%s: the batch is stored (%v)", what, err)
		}
		for _, o := range orders {
			if _, err := s.GetOrder(ctx, "", o.ID); !errors.Is(err, registry.ErrNotFound) {
				t.Errorf("%s: row %d is stored (%v)", what, o.BatchRow, err)
			}
		}
		if list, _ := s.ListAudit(ctx, "org-a", nil, 0); len(list) != 0 {
			t.Errorf("%s: %d audit entries", what, len(list))
		}
	}

	boom := errors.New("boom")
	calls := 0
	orders := batchOrders("org-a", "cr", 1, 4)
	b := &registry.Batch{OrgID: "org-a", Key: "cr"}
	_, _, err := s.CreateRegisteredBatch(ctx, b, orders, "main", date, func(o *registry.Order, number string, seq int) (registry.Registered, error) {
		if calls++; calls == 3 {
			return registry.Registered{}, boom
		}
		return build(o, number, seq)
	}, auditOf)
	if !errors.Is(err, boom) {
		t.Fatalf("CreateRegisteredBatch with a failing build = %v, want boom", err)
	}
	nothingStored("a failing build", b, orders)

	orders = batchOrders("org-a", "cr", 1, 4)
	b = &registry.Batch{OrgID: "org-a", Key: "cr"}
	_, _, err = s.CreateRegisteredBatch(ctx, b, orders, "nope", date, build, auditOf)
	wantErr(t, "CreateRegisteredBatch(unknown journal)", err, registry.ErrInvalid)
	nothingStored("an unknown journal", b, orders)

	orders = batchOrders("org-a", "cr", 1, 4)
	b = &registry.Batch{OrgID: "org-a", Key: "cr"}
	created, n, err := s.CreateRegisteredBatch(ctx, b, orders, "main", date, build, auditOf)
	if err != nil || !created || n != 4 {
		t.Fatalf("CreateRegisteredBatch = %v, %d, %v; want true, 4, nil", created, n, err)
	}
	for i, o := range orders {
		got := mustGet(t, s, "org-a", o.ID)
		if want := fmt.Sprintf("%d-о", i+1); got.State != registry.StateRegistered || got.Number != want || got.Status != registry.StatusQueued {
			t.Errorf("row %d: %s %q %s, want registered %q queued (no number was taken by the failures)", o.BatchRow, got.State, got.Number, got.Status, want)
		}
	}
	if list, _ := s.ListAudit(ctx, "org-a", nil, 0); len(list) != 4 {
		t.Errorf("%d audit entries, want 4", len(list))
	}
	if found, _, err := s.ListOrders(ctx, registry.Filter{OrgID: "org-a", FullText: "стажировочной площадке 3-о"}); err != nil || len(found) != 1 {
		t.Errorf("full-text search of a registered batch order: %d found, %v", len(found), err)
	}
	again := &registry.Batch{OrgID: "org-a", Key: "cr"}
	created, n, err = s.CreateRegisteredBatch(ctx, again, batchOrders("org-a", "cr", 1, 4), "main", date, build, auditOf)
	if err != nil || created || n != 0 || again.ID != b.ID {
		t.Errorf("the same batch again = %v, %d, %v (id %s, want %s); want false, 0, nil", created, n, err, again.ID, b.ID)
	}
}

// testSetOrganizationSigning: the signing material is written alone — the profile stays as
// stored, and an organization that does not exist is not created.
func testSetOrganizationSigning(t *testing.T, db Opener) {
	s, ctx := open(t, db), t.Context()
	org := &registry.Organization{ID: "org-a", Name: "Управление", Profile: []byte(`{"name":"Управление"}`)}
	if err := s.PutOrganization(ctx, org); err != nil {
		t.Fatal(err)
	}
	if err := s.SetOrganizationSigning(ctx, "org-a", []byte("sealed-key")); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetOrganization(ctx, "org-a")
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Signing) != "sealed-key" || string(got.Profile) != string(org.Profile) || got.Name != org.Name ||
		!got.CreatedAt.Equal(org.CreatedAt) || got.UpdatedAt.Before(org.UpdatedAt) {
		t.Errorf("after SetOrganizationSigning: %+v", got)
	}
	wantErr(t, "SetOrganizationSigning(unknown)", s.SetOrganizationSigning(ctx, "org-x", []byte("k")), registry.ErrNotFound)
	if _, err := s.GetOrganization(ctx, "org-x"); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("SetOrganizationSigning created an organization: %v", err)
	}
	if err := s.SetOrganizationSigning(ctx, "org-a", []byte{}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetOrganization(ctx, "org-a"); got == nil || len(got.Signing) != 0 {
		t.Errorf("an empty slice did not remove the material: %+v", got)
	}
}
