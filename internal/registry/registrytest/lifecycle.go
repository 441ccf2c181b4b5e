package registrytest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"orders/internal/registry"
	"orders/internal/ru"
)

// wantLifecycle checks that err is a *registry.LifecycleError naming current, and is
// ErrConflict.
func wantLifecycle(t *testing.T, what string, err error, current registry.State) {
	t.Helper()
	var le *registry.LifecycleError
	if !errors.As(err, &le) {
		t.Fatalf("%s: error = %v, want a *registry.LifecycleError", what, err)
	}
	if le.Current != current {
		t.Errorf("%s: LifecycleError.Current = %q, want %q", what, le.Current, current)
	}
	if !errors.Is(err, registry.ErrConflict) {
		t.Errorf("%s: errors.Is(%v, ErrConflict) = false", what, err)
	}
}

func mustJournal(t *testing.T, s registry.Store, org, id, format string) *registry.Journal {
	t.Helper()
	j := &registry.Journal{OrgID: org, ID: id, Name: "журнал " + id, Format: format}
	if err := s.PutJournal(t.Context(), j); err != nil {
		t.Fatalf("PutJournal(%s/%s): %v", org, id, err)
	}
	return j
}

// registeredDraft is what a caller's Build does: the draft with number and date filled in.
func registeredDraft(o *registry.Order, number string, date string) registry.Registered {
	return registry.Registered{
		Draft:      fmt.Appendf(nil, `{"title":%q,"number":%q,"date":%q}`, o.Title, number, date),
		SearchText: strings.TrimSpace(o.SearchText + " Приказ № " + number),
	}
}

func register(t *testing.T, s registry.Store, org string, id uuid.UUID, journal, date string) *registry.Order {
	t.Helper()
	o, err := s.RegisterOrder(t.Context(), org, id, registry.RegisterRequest{
		Journal: journal, Date: date,
		Build: func(o *registry.Order, number string, seq int) (registry.Registered, error) {
			return registeredDraft(o, number, date), nil
		},
	})
	if err != nil {
		t.Fatalf("RegisterOrder(%s, %s): %v", journal, date, err)
	}
	return o
}

var hashA = strings.Repeat("a", 64)

func sign(t *testing.T, s registry.Store, id uuid.UUID, who string) *registry.Order {
	t.Helper()
	o, err := s.Sign(t.Context(), "", id, registry.SignRequest{
		Document: registry.SignedDocument{Key: "signed/" + id.String(), SHA256: hashA, Size: 4242}, Signatory: who,
	})
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	return o
}

func testNumberFormats(t *testing.T, db Opener) {
	s, ctx := open(t, db), t.Context()
	for _, bad := range []string{"", "37", "{seq}-{seq}", "{seq:3}", "{seq:00}", "{seq:010}", "{n}", "{seq", "seq}", "№ {seq} }", "{seq}\n", strings.Repeat("я", 70) + "{seq}"} {
		err := s.PutJournal(ctx, &registry.Journal{OrgID: "org-a", ID: "main", Format: bad})
		wantErr(t, fmt.Sprintf("PutJournal(format %q)", bad), err, registry.ErrInvalid)
	}
	for _, bad := range []string{"", "Main", "осн", "a b", "-x", strings.Repeat("a", 64)} {
		err := s.PutJournal(ctx, &registry.Journal{OrgID: "org-a", ID: bad, Format: "{seq}"})
		wantErr(t, fmt.Sprintf("PutJournal(id %q)", bad), err, registry.ErrInvalid)
	}
	wantErr(t, "PutJournal(no org)", s.PutJournal(ctx, &registry.Journal{ID: "main", Format: "{seq}"}), registry.ErrInvalid)
}

func testJournals(t *testing.T, db Opener) {
	s, ctx := open(t, db), t.Context()
	main := mustJournal(t, s, "org-a", "main", "{seq}-о")
	isUTC(t, "journal CreatedAt", main.CreatedAt)
	mustJournal(t, s, "org-a", "personnel", "{seq:03}-к")
	mustJournal(t, s, "org-b", "main", "{seq}")

	got, err := s.GetJournal(ctx, "org-a", "main")
	if err != nil {
		t.Fatal(err)
	}
	if got.Format != "{seq}-о" || got.Name != main.Name || !got.CreatedAt.Equal(main.CreatedAt) || len(got.Years) != 0 {
		t.Errorf("GetJournal = %+v, want %+v", got, main)
	}
	_, err = s.GetJournal(ctx, "org-b", "personnel")
	wantErr(t, "GetJournal(other org)", err, registry.ErrNotFound)

	// Upsert keeps CreatedAt; the format changes for numbers issued afterwards.
	time.Sleep(2 * time.Millisecond)
	upd := &registry.Journal{OrgID: "org-a", ID: "main", Name: "основная деятельность", Format: "{seq}-од"}
	if err := s.PutJournal(ctx, upd); err != nil {
		t.Fatal(err)
	}
	if !upd.CreatedAt.Equal(main.CreatedAt) || !upd.UpdatedAt.After(main.CreatedAt) {
		t.Errorf("upsert times: created %v (was %v), updated %v", upd.CreatedAt, main.CreatedAt, upd.UpdatedAt)
	}

	// Starts: a configured start, a conflict once numbers are issued, a raise above them.
	if err := s.SetJournalStart(ctx, "org-a", "main", registry.JournalStart{Year: 2026, Next: 1355}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetJournalStart(ctx, "org-a", "main", registry.JournalStart{Year: 2026, Next: 1000}); err != nil {
		t.Errorf("lowering a start before any number was issued: %v", err)
	}
	if err := s.SetJournalStart(ctx, "org-a", "main", registry.JournalStart{Year: 2026, Next: 1355}); err != nil {
		t.Fatal(err)
	}
	o := mustCreate(t, s, &registry.Order{OrgID: "org-a", Title: "Первый в году"})
	r := register(t, s, "org-a", o.ID, "main", "2026-03-02")
	if r.Number != "1355-од" || r.Seq != 1355 {
		t.Errorf("first number after a start of 1355: %q (seq %d)", r.Number, r.Seq)
	}
	for _, next := range []int{1, 1354, 1355} {
		err := s.SetJournalStart(ctx, "org-a", "main", registry.JournalStart{Year: 2026, Next: next})
		wantErr(t, fmt.Sprintf("SetJournalStart(%d) after 1355 was issued", next), err, registry.ErrConflict)
	}
	if err := s.SetJournalStart(ctx, "org-a", "main", registry.JournalStart{Year: 2026, Next: 1400}); err != nil {
		t.Errorf("raising the start above the issued numbers: %v", err)
	}
	o2 := mustCreate(t, s, &registry.Order{OrgID: "org-a", Title: "После пропуска"})
	if r := register(t, s, "org-a", o2.ID, "main", "2026-03-03"); r.Seq != 1400 {
		t.Errorf("after a raise to 1400: seq %d", r.Seq)
	}
	if err := s.SetJournalStart(ctx, "org-a", "main", registry.JournalStart{Year: 2027, Next: 5}); err != nil {
		t.Fatal(err)
	}

	for name, err := range map[string]error{
		"unknown journal": s.SetJournalStart(ctx, "org-a", "nope", registry.JournalStart{Year: 2026, Next: 1}),
		"other org":       s.SetJournalStart(ctx, "org-b", "personnel", registry.JournalStart{Year: 2026, Next: 1}),
	} {
		wantErr(t, "SetJournalStart("+name+")", err, registry.ErrNotFound)
	}
	for name, st := range map[string]registry.JournalStart{
		"zero next": {Year: 2026, Next: 0}, "year 0": {Year: 0, Next: 1}, "year 10000": {Year: 10000, Next: 1},
	} {
		wantErr(t, "SetJournalStart("+name+")", s.SetJournalStart(ctx, "org-a", "main", st), registry.ErrInvalid)
	}

	list, err := s.ListJournals(ctx, "org-a")
	if err != nil || len(list) != 2 || list[0].ID != "main" || list[1].ID != "personnel" {
		t.Fatalf("ListJournals(org-a) = %+v, %v", list, err)
	}
	wantYears := []registry.JournalStart{{Year: 2026, Next: 1401}, {Year: 2027, Next: 5}}
	if !slices.Equal(list[0].Years, wantYears) || len(list[1].Years) != 0 {
		t.Errorf("journal years = %+v / %+v, want %+v / none", list[0].Years, list[1].Years, wantYears)
	}
	if list, err := s.ListJournals(ctx, "org-c"); err != nil || len(list) != 0 {
		t.Errorf("ListJournals(org-c) = %+v, %v", list, err)
	}
}

func testRegister(t *testing.T, db Opener) {
	s, ctx := open(t, db), t.Context()
	mustJournal(t, s, "org-a", "main", "{seq}-о")
	mustJournal(t, s, "org-a", "personnel", "{seq:03}-к")
	o := mustCreate(t, s, &registry.Order{OrgID: "org-a", Kind: "приказ", Title: "О приёме", SearchText: "Принять на работу", Status: registry.StatusQueued})
	render(t, s, o.ID)

	// The callback sees the order as locked by the transaction.
	var seen registry.Order
	got, err := s.RegisterOrder(ctx, "org-a", o.ID, registry.RegisterRequest{
		Journal: "personnel", Date: "2026-02-03",
		Build: func(cur *registry.Order, number string, seq int) (registry.Registered, error) {
			seen = *cur
			if number != "001-к" || seq != 1 {
				t.Errorf("Build(%q, %d), want 001-к, 1", number, seq)
			}
			cur.Title = "changed by Build" // must not leak: only Registered counts
			return registeredDraft(cur, number, "2026-02-03"), nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen.ID != o.ID || seen.State != registry.StateDraft || seen.Status != registry.StatusRendered || string(seen.Draft) != string(o.Draft) {
		t.Errorf("Build saw %+v", seen)
	}
	want := mustGet(t, s, "org-a", o.ID)
	sameOrder(t, "RegisterOrder result", got, want)
	if want.State != registry.StateRegistered || want.Number != "001-к" || want.Seq != 1 || want.Journal != "personnel" ||
		want.Date != "2026-02-03" || want.Status != registry.StatusQueued || want.Outputs != (registry.Outputs{}) ||
		want.RenderedAt != nil || want.RegisteredAt == nil || want.Title != "О приёме" {
		t.Errorf("registered order: %+v", want)
	}
	if want.DraftHash != hashOf(want.Draft) || !strings.Contains(string(want.Draft), `"number":"001-к"`) {
		t.Errorf("registered draft %s, hash %s", want.Draft, want.DraftHash)
	}
	if want.SearchText != "Принять на работу Приказ № 001-к" {
		t.Errorf("registered SearchText = %q", want.SearchText)
	}
	isUTC(t, "RegisteredAt", *want.RegisteredAt)

	// The render after registration fails: the number stays, and the order is rendered again.
	if _, err := s.MarkRendering(ctx, o.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkFailed(ctx, o.ID, "font missing"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetStatus(ctx, "org-a", o.ID, []registry.Status{registry.StatusFailed}, registry.StatusQueued); err != nil {
		t.Fatal(err)
	}
	render(t, s, o.ID)
	if r := mustGet(t, s, "", o.ID); r.Number != "001-к" || r.State != registry.StateRegistered || r.Status != registry.StatusRendered {
		t.Errorf("after a failed and a good render: %q %q %q", r.Number, r.State, r.Status)
	}

	// A failing callback rolls back: the order stays a draft and the number is not consumed.
	d := mustCreate(t, s, &registry.Order{OrgID: "org-a", Title: "Откат"})
	boom := errors.New("boom")
	audit := &registry.AuditEntry{Actor: "head", Action: "register"}
	_, err = s.RegisterOrder(ctx, "org-a", d.ID, registry.RegisterRequest{
		Journal: "personnel", Date: "2026-02-04", Audit: audit,
		Build: func(*registry.Order, string, int) (registry.Registered, error) { return registry.Registered{}, boom },
	})
	if !errors.Is(err, boom) {
		t.Fatalf("RegisterOrder with a failing Build = %v, want boom", err)
	}
	sameOrder(t, "after a rolled back registration", mustGet(t, s, "", d.ID), d)
	if list, err := s.ListAudit(ctx, "org-a", nil, 0); err != nil || len(list) != 0 {
		t.Errorf("audit after a rolled back registration = %+v, %v; want none", list, err)
	}
	if r := register(t, s, "org-a", d.ID, "personnel", "2026-02-04"); r.Number != "002-к" {
		t.Errorf("number after a rollback = %q, want 002-к", r.Number)
	}

	// Sequences restart on 1 January and run per journal.
	numbers := map[string]string{}
	for _, c := range []struct{ title, journal, date string }{
		{"a", "main", "2025-12-30"}, {"b", "main", "2025-12-31"}, {"c", "main", "2026-01-01"},
		{"d", "main", "2026-01-01"}, {"e", "main", "2025-12-31"}, {"f", "personnel", "2026-12-31"},
	} {
		x := mustCreate(t, s, &registry.Order{OrgID: "org-a", Title: c.title})
		numbers[c.title] = register(t, s, "org-a", x.ID, c.journal, c.date).Number
	}
	wantNumbers := map[string]string{"a": "1-о", "b": "2-о", "c": "1-о", "d": "2-о", "e": "3-о", "f": "003-к"}
	if fmt.Sprint(numbers) != fmt.Sprint(wantNumbers) {
		t.Errorf("numbers = %v, want %v", numbers, wantNumbers)
	}

	// Arguments, unknown journal, another organization's journal, another organization's order.
	x := mustCreate(t, s, &registry.Order{OrgID: "org-a", Title: "x"})
	build := func(o *registry.Order, n string, _ int) (registry.Registered, error) {
		return registeredDraft(o, n, ""), nil
	}
	for name, r := range map[string]registry.RegisterRequest{
		"no journal":      {Date: "2026-01-01", Build: build},
		"no date":         {Journal: "main", Build: build},
		"bad date":        {Journal: "main", Date: "01.01.2026", Build: build},
		"no build":        {Journal: "main", Date: "2026-01-01"},
		"unknown journal": {Journal: "nope", Date: "2026-01-01", Build: build},
	} {
		_, err := s.RegisterOrder(ctx, "org-a", x.ID, r)
		wantErr(t, "RegisterOrder("+name+")", err, registry.ErrInvalid)
	}
	mustJournal(t, s, "org-b", "only-b", "{seq}")
	_, err = s.RegisterOrder(ctx, "org-a", x.ID, registry.RegisterRequest{Journal: "only-b", Date: "2026-01-01", Build: build})
	wantErr(t, "RegisterOrder(journal of org-b)", err, registry.ErrInvalid)
	_, err = s.RegisterOrder(ctx, "org-b", x.ID, registry.RegisterRequest{Journal: "only-b", Date: "2026-01-01", Build: build})
	wantErr(t, "RegisterOrder(order of org-a through org-b)", err, registry.ErrNotFound)
	if got := mustGet(t, s, "", x.ID); got.State != registry.StateDraft {
		t.Errorf("refused registrations changed the order: %+v", got)
	}
	j, err := s.GetJournal(ctx, "org-a", "main")
	if err != nil {
		t.Fatal(err)
	}
	if want := []registry.JournalStart{{Year: 2025, Next: 4}, {Year: 2026, Next: 3}}; !slices.Equal(j.Years, want) {
		t.Errorf("main journal years = %+v, want %+v", j.Years, want)
	}

	// A registered order cannot be created directly.
	_, err = s.CreateOrder(ctx, &registry.Order{OrgID: "org-a", Title: "imported", State: registry.StateRegistered})
	wantErr(t, "CreateOrder(registered)", err, registry.ErrInvalid)
}

// testTransitions tries every action from every state: what is not in the life cycle is
// refused with the current state, and changes nothing.
func testTransitions(t *testing.T, db Opener) {
	s, ctx := open(t, db), t.Context()
	mustJournal(t, s, "org-a", "main", "{seq}")
	allStatuses := registry.Statuses
	build := func(o *registry.Order, n string, _ int) (registry.Registered, error) {
		return registeredDraft(o, n, "2026-05-05"), nil
	}
	sig := func() *registry.Signature {
		return &registry.Signature{Kind: registry.SignatureDetachedCMS, Key: "sig/x", SHA256: hashA, Verified: "not verified: ГОСТ Р 34.10-2012"}
	}
	actions := []struct {
		name string
		do   func(id uuid.UUID) error
		to   registry.State // the state after success ("" when the order is gone)
	}{
		{"register", func(id uuid.UUID) error {
			_, err := s.RegisterOrder(ctx, "org-a", id, registry.RegisterRequest{Journal: "main", Date: "2026-05-05", Build: build})
			return err
		}, registry.StateRegistered},
		{"sign", func(id uuid.UUID) error {
			_, err := s.Sign(ctx, "org-a", id, registry.SignRequest{
				Document: registry.SignedDocument{Key: "k", SHA256: hashA, Size: 1}, Signatory: "Иванова"})
			return err
		}, registry.StateSigned},
		{"cancel", func(id uuid.UUID) error {
			_, err := s.Cancel(ctx, "org-a", id, registry.CancelRequest{Reason: "издан ошибочно"})
			return err
		}, registry.StateCancelled},
		{"edit", func(id uuid.UUID) error {
			_, err := s.UpdateDraft(ctx, "org-a", id, registry.DraftUpdate{Draft: draftOf("edited"), Title: "edited"}, allStatuses)
			return err
		}, registry.StateDraft},
		{"delete", func(id uuid.UUID) error { return deleteOrder(s, ctx, "org-a", id, allStatuses) }, ""},
		{"add signature", func(id uuid.UUID) error {
			x := sig()
			x.OrderID = id
			return s.AddSignature(ctx, "org-a", x, nil)
		}, "same"},
		{"record ack", func(id uuid.UUID) error {
			_, err := s.RecordAck(ctx, "org-a", &registry.Ack{OrderID: id, Person: "Петров П. П.", ReadAt: time.Now()}, nil)
			return err
		}, "same"},
	}
	allowed := map[registry.State][]string{
		registry.StateDraft:      {"register", "edit", "delete"},
		registry.StateRegistered: {"sign", "cancel", "add signature", "record ack"},
		registry.StateSigned:     {"cancel", "add signature", "record ack"},
		registry.StateCancelled:  {"record ack"},
	}
	// reach makes an order in state st the way the life cycle does.
	reach := func(st registry.State) *registry.Order {
		o := mustCreate(t, s, &registry.Order{OrgID: "org-a", Title: "t"})
		if st == registry.StateDraft {
			return o
		}
		register(t, s, "org-a", o.ID, "main", "2026-05-05")
		if st == registry.StateSigned || st == registry.StateCancelled {
			sign(t, s, o.ID, "Иванова")
		}
		if st == registry.StateCancelled {
			if _, err := s.Cancel(ctx, "", o.ID, registry.CancelRequest{Reason: "ошибка"}); err != nil {
				t.Fatal(err)
			}
		}
		return mustGet(t, s, "", o.ID)
	}
	for _, from := range registry.States {
		for _, a := range actions {
			t.Run(string(from)+"/"+a.name, func(t *testing.T) {
				o := reach(from)
				err := a.do(o.ID)
				if !slices.Contains(allowed[from], a.name) {
					wantLifecycle(t, a.name, err, from)
					sameOrder(t, "after a refused "+a.name, mustGet(t, s, "", o.ID), o)
					return
				}
				if err != nil {
					t.Fatalf("%s from %s: %v", a.name, from, err)
				}
				got, err := s.GetOrder(ctx, "", o.ID)
				switch a.to {
				case "":
					wantErr(t, "GetOrder after delete", err, registry.ErrNotFound)
				case "same":
					if err != nil || got.State != from {
						t.Errorf("state after %s = %v, %v; want %s", a.name, got, err, from)
					}
				default:
					if err != nil || got.State != a.to {
						t.Errorf("state after %s = %v, %v; want %s", a.name, got, err, a.to)
					}
				}
			})
		}
	}

	// Cancelling keeps the number and records the reason; signing records the document.
	o := reach(registry.StateSigned)
	if o.Signatory != "Иванова" || o.SignedKey == "" || o.SignedSHA256 != hashA || o.SignedSize != 4242 || o.SignedAt == nil {
		t.Errorf("signed order: %+v", o)
	}
	c, err := s.Cancel(ctx, "org-a", o.ID, registry.CancelRequest{Reason: "  отменён приказом № 7  ", By: " Зубова А.Н. "})
	if err != nil {
		t.Fatal(err)
	}
	if c.Number != o.Number || c.CancelReason != "отменён приказом № 7" || c.CancelledAt == nil || c.SignedKey != o.SignedKey ||
		c.CancelledBy != "Зубова А.Н." || c.PrintRev != o.PrintRev+1 || c.RenderKey() == o.RenderKey() {
		t.Errorf("cancelled order: %+v", c)
	}
	sameOrder(t, "cancelled, read back", mustGet(t, s, "", o.ID), c)

	// Arguments are checked before the state.
	r := reach(registry.StateRegistered)
	for name, call := range map[string]func() error{
		"cancel without reason": func() error { _, err := s.Cancel(ctx, "", r.ID, registry.CancelRequest{Reason: " "}); return err },
		"sign without key": func() error {
			_, err := s.Sign(ctx, "", r.ID, registry.SignRequest{Document: registry.SignedDocument{SHA256: hashA, Size: 1}, Signatory: "x"})
			return err
		},
		"sign with a bad hash": func() error {
			_, err := s.Sign(ctx, "", r.ID, registry.SignRequest{Document: registry.SignedDocument{Key: "k", SHA256: "AB", Size: 1}, Signatory: "x"})
			return err
		},
		"sign without signatory": func() error {
			_, err := s.Sign(ctx, "", r.ID, registry.SignRequest{Document: registry.SignedDocument{Key: "k", SHA256: hashA, Size: 1}})
			return err
		},
	} {
		wantErr(t, name, call(), registry.ErrInvalid)
	}
	_, err = s.Sign(ctx, "org-b", r.ID, registry.SignRequest{Document: registry.SignedDocument{Key: "k", SHA256: hashA, Size: 1}, Signatory: "x"})
	wantErr(t, "Sign through another org", err, registry.ErrNotFound)
}

// testTransitionAudit: a transition and its audit entry commit together or not at all.
func testTransitionAudit(t *testing.T, db Opener) {
	s, ctx := open(t, db), t.Context()
	mustJournal(t, s, "org-a", "main", "{seq}-о")
	o := mustCreate(t, s, &registry.Order{OrgID: "org-a", Title: "С журналом"})
	reg := &registry.AuditEntry{Actor: "head:Иванова", Action: "register"}
	r, err := s.RegisterOrder(ctx, "org-a", o.ID, registry.RegisterRequest{
		Journal: "main", Date: "2026-06-01", Audit: reg,
		Build: func(o *registry.Order, number string, seq int) (registry.Registered, error) {
			reg.Details = fmt.Appendf(nil, `{"number":%q}`, number) // known only now
			return registeredDraft(o, number, "2026-06-01"), nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	signature := &registry.Signature{Kind: registry.SignatureServer, Key: "sig/1", SHA256: hashA, Signer: "Иванова М. П.", Serial: "01AB",
		Verified: "valid", Trust: "not checked: список доверенных корневых сертификатов не настроен"}
	signAudit := &registry.AuditEntry{Actor: "head:Иванова", Action: "sign", Details: []byte(`{"sha256":"` + hashA + `"}`)}
	if _, err := s.Sign(ctx, "", o.ID, registry.SignRequest{
		Document: registry.SignedDocument{Key: "k", SHA256: hashA, Size: 10}, Signatory: "Иванова М. П.",
		Signature: signature, Audit: signAudit,
	}); err != nil {
		t.Fatal(err)
	}
	// A transition refused by the state leaves no audit entry.
	_, err = s.Sign(ctx, "", o.ID, registry.SignRequest{
		Document: registry.SignedDocument{Key: "k", SHA256: hashA, Size: 10}, Signatory: "x",
		Audit: &registry.AuditEntry{Actor: "x", Action: "sign"},
	})
	wantLifecycle(t, "second Sign", err, registry.StateSigned)
	// Bad audit details roll the transition back.
	_, err = s.Cancel(ctx, "", o.ID, registry.CancelRequest{Reason: "ошибка", Audit: &registry.AuditEntry{Actor: "x", Action: "cancel", Details: []byte("{not json")}})
	wantErr(t, "Cancel with bad audit details", err, registry.ErrInvalid)
	if got := mustGet(t, s, "", o.ID); got.State != registry.StateSigned {
		t.Errorf("state after a cancel with bad audit = %q", got.State)
	}
	if _, err := s.Cancel(ctx, "", o.ID, registry.CancelRequest{Reason: "ошибка", Audit: &registry.AuditEntry{Actor: "head", Action: "cancel"}}); err != nil {
		t.Fatal(err)
	}
	list, err := s.ListAudit(ctx, "org-a", &o.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range list {
		actions = append(actions, e.Action)
		if e.OrderID == nil || *e.OrderID != o.ID || e.OrgID != "org-a" {
			t.Errorf("entry %d: order %v org %q", e.Seq, e.OrderID, e.OrgID)
		}
	}
	if !slices.Equal(actions, []string{"cancel", "sign", "register"}) {
		t.Errorf("audit of the order = %v, want cancel, sign, register (newest first)", actions)
	}
	var details map[string]string
	if err := json.Unmarshal(list[2].Details, &details); err != nil || details["number"] != r.Number {
		t.Errorf("register entry details = %s, want the number %s", list[2].Details, r.Number)
	}
	if reg.Seq != 1 || reg.Hash == "" || reg.Hash != list[2].Hash {
		t.Errorf("the caller's entry was not filled: %+v", reg)
	}
	sigs, err := s.ListSignatures(ctx, "org-a", o.ID)
	if err != nil || len(sigs) != 1 || sigs[0].ID != signature.ID || sigs[0].OrderID != o.ID {
		t.Errorf("signatures after Sign = %+v, %v", sigs, err)
	}
	if ok, at, err := s.VerifyAudit(ctx, "org-a"); err != nil || !ok || at != 0 {
		t.Errorf("VerifyAudit = %v, %d, %v; want intact", ok, at, err)
	}
}

// testRegisterConcurrent: 8 goroutines over 2 stores (two processes) register 2,000 orders in
// one journal and year; the numbers are 1..2000, each once.
func testRegisterConcurrent(t *testing.T, db Opener) {
	stores := []registry.Store{open(t, db), open(t, db)}
	s, ctx := stores[0], t.Context()
	const workers, total = 8, 2000
	mustJournal(t, s, "org-a", "main", "{seq}-о")
	mustJournal(t, s, "org-a", "other", "{seq}")
	ids := make([]uuid.UUID, total)
	start := time.Now()
	for i := range ids {
		ids[i] = mustCreate(t, s, &registry.Order{OrgID: "org-a", Title: fmt.Sprint("order ", i), Draft: []byte("{}")}).ID
	}
	created := time.Since(start)
	start = time.Now()
	seqs := make([]int, total)
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			st := stores[w%2]
			failed := make(map[int]bool)
			for i := w; i < total; i += workers {
				date := "2026-09-01"
				o, err := st.RegisterOrder(ctx, "org-a", ids[i], registry.RegisterRequest{
					Journal: "main", Date: date,
					Build: func(o *registry.Order, number string, seq int) (registry.Registered, error) {
						// Some callbacks fail, once per order: the number must go to the next
						// registration, whichever goroutine makes it.
						if seq%10 == 0 && !failed[i] {
							failed[i] = true
							return registry.Registered{}, errRetry
						}
						return registeredDraft(o, number, date), nil
					},
				})
				if errors.Is(err, errRetry) {
					i -= workers // try this order again
					continue
				}
				if err != nil {
					errs <- fmt.Errorf("worker %d, order %d: %w", w, i, err)
					return
				}
				if o.Number != fmt.Sprintf("%d-о", o.Seq) {
					errs <- fmt.Errorf("order %d: number %q for seq %d", i, o.Number, o.Seq)
					return
				}
				seqs[i] = o.Seq
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	t.Logf("%d orders created in %v, registered by %d goroutines over 2 stores in %v",
		total, created.Round(time.Millisecond), workers, time.Since(start).Round(time.Millisecond))
	slices.Sort(seqs)
	for i, seq := range seqs {
		if seq != i+1 {
			t.Fatalf("sorted sequence numbers: position %d holds %d; want 1..%d without gaps or repeats", i, seq, total)
		}
	}
	j, err := stores[1].GetJournal(ctx, "org-a", "main")
	if err != nil || !slices.Equal(j.Years, []registry.JournalStart{{Year: 2026, Next: total + 1}}) {
		t.Errorf("journal after %d registrations: %+v, %v", total, j, err)
	}
	// What is stored agrees: every order registered, with its own number.
	numbers := make(map[string]bool)
	f := registry.Filter{OrgID: "org-a", State: registry.StateRegistered, Limit: registry.MaxLimit}
	for {
		list, next, err := stores[1].ListOrders(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range list {
			if numbers[o.Number] {
				t.Fatalf("number %q stored twice", o.Number)
			}
			numbers[o.Number] = true
		}
		if next == "" {
			break
		}
		f.Cursor = next
	}
	if len(numbers) != total {
		t.Errorf("%d registered orders stored, want %d", len(numbers), total)
	}
}

var errRetry = errors.New("retry")

func testAuditConcurrent(t *testing.T, db Opener) {
	stores := []registry.Store{open(t, db), open(t, db)}
	ctx := t.Context()
	const workers, each = 10, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers*2)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				for _, org := range []string{"org-a", "org-b"} {
					if org == "org-b" && i%2 == 1 {
						continue
					}
					e := &registry.AuditEntry{OrgID: org, Actor: fmt.Sprint("w", w), Action: "download-signed",
						Details: fmt.Appendf(nil, `{"i":%d}`, i)}
					if err := stores[w%2].AppendAudit(ctx, e); err != nil {
						errs <- err
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for org, n := range map[string]int{"org-a": workers * each, "org-b": workers * each / 2} {
		ok, at, err := stores[0].VerifyAudit(ctx, org)
		if err != nil || !ok {
			t.Errorf("VerifyAudit(%s) after %d concurrent appends = %v, %d, %v", org, n, ok, at, err)
		}
		list, err := stores[1].ListAudit(ctx, org, nil, registry.MaxLimit)
		if err != nil || len(list) != n {
			t.Fatalf("ListAudit(%s) = %d entries, %v; want %d", org, len(list), err, n)
		}
		for i, e := range list {
			if e.Seq != int64(n-i) {
				t.Fatalf("%s entry %d has seq %d, want %d (newest first, no gaps)", org, i, e.Seq, n-i)
			}
			// The drivers' tests open their stores with AuditKey, as ordersd opens its own.
			if e.Scheme != registry.AuditKeyed || e.Hash != registry.AuditMAC(AuditKey, &e) || (i+1 < n && e.PrevHash != list[i+1].Hash) {
				t.Fatalf("%s entry %d does not link", org, e.Seq)
			}
			isUTC(t, "audit At", e.At)
		}
	}
	if list, err := stores[0].ListAudit(ctx, "org-a", nil, 5); err != nil || len(list) != 5 || list[0].Seq != workers*each {
		t.Errorf("ListAudit limit 5 = %d entries, %v", len(list), err)
	}
	if ok, at, err := stores[0].VerifyAudit(ctx, "org-none"); err != nil || !ok || at != 0 {
		t.Errorf("VerifyAudit of an empty chain = %v, %d, %v; want intact", ok, at, err)
	}
	for name, e := range map[string]*registry.AuditEntry{
		"no org":      {Action: "x"},
		"no action":   {OrgID: "org-a"},
		"bad details": {OrgID: "org-a", Action: "x", Details: []byte("{")},
	} {
		wantErr(t, "AppendAudit("+name+")", stores[0].AppendAudit(ctx, e), registry.ErrInvalid)
	}
}

func testSignaturesAndAcks(t *testing.T, db Opener) {
	s, ctx := open(t, db), t.Context()
	mustJournal(t, s, "org-a", "main", "{seq}")
	o := mustCreate(t, s, &registry.Order{OrgID: "org-a", Title: "Подписи"})
	register(t, s, "org-a", o.ID, "main", "2026-02-02")
	from := time.Date(2025, 3, 1, 10, 0, 0, 123456789, ru.Moscow)
	to := from.AddDate(1, 0, 0)
	a := &registry.Signature{OrderID: o.ID, Kind: registry.SignatureExternalPDF, Key: "sig/a", SHA256: hashA,
		Signer: "Иванова Мария Петровна", Serial: "7C00", ValidFrom: &from, ValidTo: &to, Verified: "valid",
		Trust: "untrusted: сертификат самоподписанный"}
	b := &registry.Signature{OrderID: o.ID, Kind: registry.SignatureDetachedCMS, Key: "sig/b", SHA256: strings.Repeat("b", 64),
		Verified: "not verified: ГОСТ Р 34.10-2012 is not supported"}
	for _, x := range []*registry.Signature{a, b} {
		if err := s.AddSignature(ctx, "org-a", x, nil); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond)
	}
	list, err := s.ListSignatures(ctx, "", o.ID)
	if err != nil || len(list) != 2 {
		t.Fatalf("ListSignatures = %+v, %v", list, err)
	}
	got := list[0]
	if got.ID != a.ID || got.Signer != a.Signer || got.Serial != "7C00" || got.Verified != "valid" ||
		got.Trust != "untrusted: сертификат самоподписанный" || list[1].Trust != "" ||
		!got.ValidFrom.Equal(from.Truncate(time.Microsecond)) || !got.ValidTo.Equal(to.Truncate(time.Microsecond)) ||
		!got.CreatedAt.Equal(a.CreatedAt) || list[1].ValidFrom != nil || list[1].ID != b.ID {
		t.Errorf("ListSignatures = %+v / %+v", list[0], list[1])
	}
	isUTC(t, "signature ValidFrom", *got.ValidFrom)
	for name, x := range map[string]registry.Signature{
		"kind":       {OrderID: o.ID, Kind: "magic", Key: "k", SHA256: hashA, Verified: "valid", Trust: "trusted"},
		"no key":     {OrderID: o.ID, Kind: registry.SignatureServer, SHA256: hashA, Verified: "valid", Trust: "trusted"},
		"hash":       {OrderID: o.ID, Kind: registry.SignatureServer, Key: "k", SHA256: "xyz", Verified: "valid", Trust: "trusted"},
		"claim":      {OrderID: o.ID, Kind: registry.SignatureServer, Key: "k", SHA256: hashA, Verified: "ok"},
		"empty why":  {OrderID: o.ID, Kind: registry.SignatureServer, Key: "k", SHA256: hashA, Verified: "invalid: "},
		"unverified": {OrderID: o.ID, Kind: registry.SignatureServer, Key: "k", SHA256: hashA},
		// Trust is a claim of its own: never implied, never without a reason.
		"valid, trust unsaid":     {OrderID: o.ID, Kind: registry.SignatureServer, Key: "k", SHA256: hashA, Verified: "valid"},
		"valid, trust claim":      {OrderID: o.ID, Kind: registry.SignatureServer, Key: "k", SHA256: hashA, Verified: "valid", Trust: "ok"},
		"untrusted without why":   {OrderID: o.ID, Kind: registry.SignatureServer, Key: "k", SHA256: hashA, Verified: "valid", Trust: "untrusted: "},
		"not checked without why": {OrderID: o.ID, Kind: registry.SignatureServer, Key: "k", SHA256: hashA, Verified: "valid", Trust: "not checked:"},
		"trust of an unverified":  {OrderID: o.ID, Kind: registry.SignatureServer, Key: "k", SHA256: hashA, Verified: "not verified: ГОСТ", Trust: "trusted"},
	} {
		wantErr(t, "AddSignature("+name+")", s.AddSignature(ctx, "org-a", &x, nil), registry.ErrInvalid)
	}
	wantErr(t, "AddSignature(other org)", s.AddSignature(ctx, "org-b",
		&registry.Signature{OrderID: o.ID, Kind: registry.SignatureServer, Key: "k", SHA256: hashA, Verified: "valid", Trust: "trusted"}, nil), registry.ErrNotFound)
	_, err = s.ListSignatures(ctx, "org-b", o.ID)
	wantErr(t, "ListSignatures(other org)", err, registry.ErrNotFound)

	read := time.Date(2026, 2, 5, 23, 30, 0, 0, ru.Moscow)
	acks := []*registry.Ack{
		{OrderID: o.ID, Person: " Сидоров С. С. ", ReadAt: read, RecordedBy: "clerk"},
		{OrderID: o.ID, Person: "Алексеева А. А.", ReadAt: read.AddDate(0, 0, 1), RecordedBy: "clerk"},
	}
	for _, x := range acks {
		if _, err := s.RecordAck(ctx, "org-a", x, nil); err != nil {
			t.Fatal(err)
		}
	}
	again := &registry.Ack{OrderID: o.ID, Person: "Сидоров С. С.", ReadAt: read.AddDate(0, 0, 3)}
	wantErr(t, "RecordAck again", recordAck(s, ctx, "org-a", again), registry.ErrConflict)
	wantErr(t, "RecordAck without person", recordAck(s, ctx, "org-a", &registry.Ack{OrderID: o.ID, ReadAt: read}), registry.ErrInvalid)
	wantErr(t, "RecordAck without date", recordAck(s, ctx, "org-a", &registry.Ack{OrderID: o.ID, Person: "x"}), registry.ErrInvalid)
	wantErr(t, "RecordAck(other org)", recordAck(s, ctx, "org-b", &registry.Ack{OrderID: o.ID, Person: "x", ReadAt: read}), registry.ErrNotFound)
	wantErr(t, "RecordAck(unknown order)", recordAck(s, ctx, "", &registry.Ack{OrderID: uuid.New(), Person: "x", ReadAt: read}), registry.ErrNotFound)
	got2, err := s.ListAcks(ctx, "org-a", o.ID)
	if err != nil || len(got2) != 2 {
		t.Fatalf("ListAcks = %+v, %v", got2, err)
	}
	// Ordered by person; the date is the reader's calendar date (5 February in Moscow).
	if got2[0].Person != "Алексеева А. А." || got2[1].Person != "Сидоров С. С." ||
		!got2[1].ReadAt.Equal(time.Date(2026, 2, 5, 0, 0, 0, 0, time.UTC)) || got2[1].RecordedBy != "clerk" ||
		!got2[1].RecordedAt.Equal(acks[0].RecordedAt) {
		t.Errorf("ListAcks = %+v", got2)
	}
	isUTC(t, "ack ReadAt", got2[0].ReadAt)
}

func testOrganizationSigning(t *testing.T, db Opener) {
	s, ctx := open(t, db), t.Context()
	cert := []byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n\x00\xff")
	if err := s.PutOrganization(ctx, &registry.Organization{ID: "org-a", Name: "A", Signing: cert}); err != nil {
		t.Fatal(err)
	}
	get := func() []byte {
		t.Helper()
		o, err := s.GetOrganization(ctx, "org-a")
		if err != nil {
			t.Fatal(err)
		}
		return o.Signing
	}
	if got := get(); string(got) != string(cert) {
		t.Errorf("Signing = %q, want %q", got, cert)
	}
	// A profile update that does not mention the certificate keeps it.
	if err := s.PutOrganization(ctx, &registry.Organization{ID: "org-a", Name: "A2", Profile: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	if got := get(); string(got) != string(cert) {
		t.Errorf("Signing after a profile update = %q, want it kept", got)
	}
	list, err := s.ListOrganizations(ctx)
	if err != nil || len(list) != 1 || list[0].Signing != nil {
		t.Errorf("ListOrganizations = %+v, %v; want Signing left out", list, err)
	}
	if err := s.PutOrganization(ctx, &registry.Organization{ID: "org-a", Name: "A3", Signing: []byte{}}); err != nil {
		t.Fatal(err)
	}
	if got := get(); len(got) != 0 {
		t.Errorf("Signing after removal = %q", got)
	}
}

// testImmutable: a registered order's draft, number and date cannot be changed through the
// old methods either.
func testImmutable(t *testing.T, db Opener) {
	s, ctx := open(t, db), t.Context()
	mustJournal(t, s, "org-a", "main", "{seq}")
	o := mustCreate(t, s, &registry.Order{OrgID: "org-a", Title: "t"})
	r := register(t, s, "org-a", o.ID, "main", "2026-01-01")
	_, err := s.UpdateDraft(ctx, "", o.ID, registry.DraftUpdate{Title: "x", Number: "999"}, registry.Statuses)
	wantLifecycle(t, "UpdateDraft(registered)", err, registry.StateRegistered)
	wantLifecycle(t, "DeleteOrder(registered)", deleteOrder(s, ctx, "", o.ID, registry.Statuses), registry.StateRegistered)
	// The render status still moves: the worker renders the registered order.
	render(t, s, o.ID)
	if _, err := s.SetStatus(ctx, "", o.ID, []registry.Status{registry.StatusRendered}, registry.StatusQueued); err != nil {
		t.Errorf("re-render of a registered order: %v", err)
	}
	got := mustGet(t, s, "", o.ID)
	if got.Number != r.Number || got.Draft == nil || string(got.Draft) != string(r.Draft) {
		t.Errorf("registered order changed: %+v", got)
	}
}

// recordAck is RecordAck for a test that only needs its error.
func recordAck(s registry.Store, ctx context.Context, orgID string, a *registry.Ack) error {
	_, err := s.RecordAck(ctx, orgID, a, nil)
	return err
}

// testPrintedFacts: an acknowledgement or a cancellation recorded while a render is under way
// makes that render stale (MarkRendered refuses it) and queues a new one, in the same
// transaction as the record and its audit entry; a refused acknowledgement changes nothing.
func testPrintedFacts(t *testing.T, db Opener) {
	s, ctx := open(t, db), t.Context()
	mustJournal(t, s, "org-a", "main", "{seq}")
	o := mustCreate(t, s, &registry.Order{OrgID: "org-a", Title: "Об ознакомлении", Status: registry.StatusQueued, Draft: []byte(`{"title":"x"}`)})
	o = register(t, s, "org-a", o.ID, "main", "2026-03-02")
	out := registry.Outputs{PDFKey: "p", PDFSHA256: hashA, PDFSize: 1, DOCXKey: "d", DOCXSHA256: hashA, DOCXSize: 1}

	started, err := s.MarkRendering(ctx, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	audit := &registry.AuditEntry{Actor: "clerk", Action: "acknowledge"}
	acked, err := s.RecordAck(ctx, "org-a", &registry.Ack{OrderID: o.ID, Person: "Петров П.П.", ReadAt: time.Now()}, audit)
	if err != nil {
		t.Fatal(err)
	}
	if acked.Status != registry.StatusQueued || acked.PrintRev != started.PrintRev+1 || acked.RenderKey() == started.RenderKey() {
		t.Errorf("after RecordAck: status %s, PrintRev %d (was %d)", acked.Status, acked.PrintRev, started.PrintRev)
	}
	sameOrder(t, "acknowledged, read back", mustGet(t, s, "", o.ID), acked)
	entries, err := s.ListAudit(ctx, "org-a", &o.ID, 0)
	if err != nil || len(entries) == 0 || entries[0].Action != "acknowledge" || !strings.Contains(string(entries[0].Details), "Петров П.П.") {
		t.Fatalf("audit after RecordAck = %+v, %v", entries, err)
	}
	// The render that started before the acknowledgement lacks its date: refused.
	if _, err := s.MarkRendered(ctx, o.ID, started.RenderKey(), out); !errors.Is(err, registry.ErrConflict) {
		t.Errorf("MarkRendered(stale render) = %v, want ErrConflict", err)
	}
	// A repeated acknowledgement changes nothing: no audit entry, no new render.
	if _, err := s.RecordAck(ctx, "org-a", &registry.Ack{OrderID: o.ID, Person: "Петров П.П.", ReadAt: time.Now()},
		&registry.AuditEntry{Actor: "clerk", Action: "acknowledge"}); !errors.Is(err, registry.ErrConflict) {
		t.Errorf("RecordAck again = %v, want ErrConflict", err)
	}
	if again, err := s.ListAudit(ctx, "org-a", &o.ID, 0); err != nil || len(again) != len(entries) {
		t.Errorf("audit after a refused RecordAck: %d entries, want %d (%v)", len(again), len(entries), err)
	}
	sameOrder(t, "after a refused RecordAck", mustGet(t, s, "", o.ID), acked)
	// An audit entry that cannot be stored rolls the acknowledgement back.
	if _, err := s.RecordAck(ctx, "org-a", &registry.Ack{OrderID: o.ID, Person: "Сидоров С.С.", ReadAt: time.Now()},
		&registry.AuditEntry{Actor: "clerk", Action: "acknowledge", Details: []byte("{not json")}); !errors.Is(err, registry.ErrInvalid) {
		t.Errorf("RecordAck with a bad audit entry = %v, want ErrInvalid", err)
	}
	if acks, err := s.ListAcks(ctx, "org-a", o.ID); err != nil || len(acks) != 1 {
		t.Errorf("acknowledgements after a rolled back RecordAck = %+v, %v", acks, err)
	}

	// The render of the queued job shows the date and is taken.
	current, err := s.MarkRendering(ctx, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if changed, err := s.MarkRendered(ctx, o.ID, current.RenderKey(), out); err != nil || !changed {
		t.Fatalf("MarkRendered(current) = %v, %v", changed, err)
	}
	// Cancelling queues the working copy again, with the mark.
	c, err := s.Cancel(ctx, "org-a", o.ID, registry.CancelRequest{Reason: "ошибка", By: "Зубова А.Н."})
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != registry.StatusQueued || c.PrintRev != current.PrintRev+1 || c.CancelledBy != "Зубова А.Н." {
		t.Errorf("cancelled: status %s, PrintRev %d, by %q", c.Status, c.PrintRev, c.CancelledBy)
	}
}

// testSignatureAudit: a signature and its audit entry are one transaction. An entry that
// cannot be appended leaves no signature behind, and one that is appended names the
// order and its organization, also for an admin caller (orgID "").
func testSignatureAudit(t *testing.T, db Opener) {
	s, ctx := open(t, db), t.Context()
	mustJournal(t, s, "org-a", "main", "{seq}")
	o := mustCreate(t, s, &registry.Order{OrgID: "org-a", Title: "Подписи с аудитом"})
	register(t, s, "org-a", o.ID, "main", "2026-02-02")
	before, err := s.ListAudit(ctx, "org-a", &o.ID, registry.MaxLimit)
	if err != nil {
		t.Fatal(err)
	}
	sig := func() *registry.Signature {
		return &registry.Signature{OrderID: o.ID, Kind: registry.SignatureDetachedCMS, Key: "sig/x", SHA256: hashA,
			Verified: "not verified: нет модуля ГОСТ OpenSSL"}
	}
	for name, bad := range map[string]*registry.AuditEntry{
		"no action":   {Actor: "head:Иванова"},
		"bad details": {Actor: "head:Иванова", Action: "add-signature", Details: []byte("{")},
	} {
		wantErr(t, "AddSignature(audit "+name+")", s.AddSignature(ctx, "org-a", sig(), bad), registry.ErrInvalid)
	}
	if list, err := s.ListSignatures(ctx, "org-a", o.ID); err != nil || len(list) != 0 {
		t.Fatalf("a signature whose audit entry failed was kept: %+v, %v", list, err)
	}
	x := sig()
	audit := &registry.AuditEntry{Actor: "admin", Action: "add-signature", Details: []byte(`{"sha256":"` + hashA + `"}`)}
	if err := s.AddSignature(ctx, "", x, audit); err != nil {
		t.Fatal(err)
	}
	list, err := s.ListSignatures(ctx, "org-a", o.ID)
	if err != nil || len(list) != 1 || list[0].ID != x.ID {
		t.Fatalf("ListSignatures = %+v, %v", list, err)
	}
	after, err := s.ListAudit(ctx, "org-a", &o.ID, registry.MaxLimit)
	if err != nil || len(after) != len(before)+1 {
		t.Fatalf("audit entries %d → %d, %v", len(before), len(after), err)
	}
	var e *registry.AuditEntry
	for i := range after {
		if after[i].Action == "add-signature" {
			e = &after[i]
		}
	}
	if e == nil || e.OrgID != "org-a" || e.OrderID == nil || *e.OrderID != o.ID || e.Actor != "admin" {
		t.Fatalf("audit entry of the signature: %+v", e)
	}
	// A refusal by the state records nothing either.
	if _, err := s.Cancel(ctx, "org-a", o.ID, registry.CancelRequest{Reason: "издан ошибочно"}); err != nil {
		t.Fatal(err)
	}
	var le *registry.LifecycleError
	if err := s.AddSignature(ctx, "org-a", sig(), &registry.AuditEntry{Actor: "x", Action: "add-signature"}); !errors.As(err, &le) {
		t.Fatalf("AddSignature(cancelled) = %v, want *LifecycleError", err)
	}
	if again, _ := s.ListAudit(ctx, "org-a", &o.ID, registry.MaxLimit); len(again) != len(after) {
		t.Errorf("a refused signature left an audit entry: %d → %d", len(after), len(again))
	}
}
