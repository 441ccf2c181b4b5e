package registrytest

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"orders/internal/registry"
)

func wantApproval(t *testing.T, what string, err error, reason string) {
	t.Helper()
	var ae *registry.ApprovalError
	if !errors.As(err, &ae) {
		t.Fatalf("%s: error = %v, want a *registry.ApprovalError", what, err)
	}
	if ae.Reason != reason {
		t.Errorf("%s: ApprovalError.Reason = %q, want %q", what, ae.Reason, reason)
	}
	if !errors.Is(err, registry.ErrConflict) {
		t.Errorf("%s: errors.Is(%v, ErrConflict) = false", what, err)
	}
}

func edit(t *testing.T, s registry.Store, org string, id uuid.UUID, title, author string) (*registry.Order, error) {
	t.Helper()
	return s.UpdateDraft(t.Context(), org, id, registry.DraftUpdate{Draft: draftOf(title), Title: title, Author: author,
		Audit: &registry.AuditEntry{Actor: author, Action: "draft-version"}},
		[]registry.Status{registry.StatusDraft, registry.StatusRendered, registry.StatusFailed})
}

// testDraftVersions: version 1 at creation, one more per changed draft, none for an unchanged
// one; scoped by organization; gone with the draft.
func testDraftVersions(t *testing.T, db Opener) {
	s, ctx := open(t, db), t.Context()
	o := mustCreate(t, s, &registry.Order{OrgID: "org-a", Title: "Первый", CreatedBy: "user:petrova"})
	for _, title := range []string{"Второй", "Второй", "Третий"} {
		if _, err := edit(t, s, "org-a", o.ID, title, "user:ivanov"); err != nil {
			t.Fatalf("UpdateDraft(%s): %v", title, err)
		}
	}
	list, err := s.DraftVersions(ctx, "org-a", o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 3 {
		t.Fatalf("versions = %+v, want 3 (an unchanged save is no version)", list)
	}
	wantAuthors := []string{"user:petrova", "user:ivanov", "user:ivanov"}
	for i, v := range list {
		if v.Version != i+1 || v.Author != wantAuthors[i] || v.Draft != nil || v.DraftHash == "" {
			t.Errorf("version %d = %+v", i+1, v)
		}
		isUTC(t, "version CreatedAt", v.CreatedAt)
	}
	for i, title := range []string{"Первый", "Второй", "Третий"} {
		v, err := s.GetDraftVersion(ctx, "org-a", o.ID, i+1)
		if err != nil {
			t.Fatalf("GetDraftVersion(%d): %v", i+1, err)
		}
		if string(v.Draft) != string(draftOf(title)) || v.DraftHash != hashOf(draftOf(title)) {
			t.Errorf("GetDraftVersion(%d) = %s", i+1, v.Draft)
		}
	}
	_, err = s.GetDraftVersion(ctx, "org-a", o.ID, 4)
	wantErr(t, "a version never saved", err, registry.ErrNotFound)
	// Each new version is audited with its number; the unchanged save is not.
	audit, err := s.ListAudit(ctx, "org-a", &o.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	var versions []string
	for _, e := range audit {
		if e.Action == "draft-version" {
			versions = append(versions, string(e.Details))
		}
	}
	if len(versions) != 2 || !strings.Contains(versions[0]+versions[1], `"version":2`) || !strings.Contains(versions[0]+versions[1], `"version":3`) {
		t.Errorf("draft-version audit entries = %v, want versions 2 and 3", versions)
	}
	_, err = s.DraftVersions(ctx, "org-b", o.ID)
	wantErr(t, "another organization's versions", err, registry.ErrNotFound)
	_, err = s.GetDraftVersion(ctx, "org-b", o.ID, 1)
	wantErr(t, "another organization's version", err, registry.ErrNotFound)

	// A draft created without a version (by a batch, an import or before versions were
	// kept) has its draft as version 1, and keeps it as such when first edited.
	b := mustCreateBatchDraft(t, s, "org-a", "Пакетный")
	if list, err := s.DraftVersions(ctx, "org-a", b.ID); err != nil || len(list) != 1 || list[0].Version != 1 {
		t.Fatalf("versions of a batch draft = %+v, %v", list, err)
	}
	if _, err := edit(t, s, "org-a", b.ID, "Пакетный 2", "user:ivanov"); err != nil {
		t.Fatal(err)
	}
	if v, err := s.GetDraftVersion(ctx, "org-a", b.ID, 1); err != nil || string(v.Draft) != string(b.Draft) {
		t.Fatalf("version 1 of an edited batch draft = %+v, %v", v, err)
	}
	if list, _ := s.DraftVersions(ctx, "org-a", b.ID); len(list) != 2 || list[1].Author != "user:ivanov" {
		t.Fatalf("versions of an edited batch draft = %+v", list)
	}

	if _, err := s.DeleteOrder(ctx, "org-a", o.ID, []registry.Status{registry.StatusDraft}); err != nil {
		t.Fatal(err)
	}
	_, err = s.GetDraftVersion(ctx, "org-a", o.ID, 1)
	wantErr(t, "a version of a deleted draft", err, registry.ErrNotFound)
}

func mustCreateBatchDraft(t *testing.T, s registry.Store, org, title string) *registry.Order {
	t.Helper()
	b := &registry.Batch{OrgID: org, Key: "batch " + title, Mode: "per-row", Template: "custom", Total: 1}
	o := &registry.Order{OrgID: org, Title: title, Draft: draftOf(title)}
	if _, err := s.CreateBatch(t.Context(), b, []*registry.Order{o}); err != nil {
		t.Fatalf("CreateBatch: %v", err)
	}
	return mustGet(t, s, org, o.ID)
}

func approvers(n int) []registry.Visa {
	out := make([]registry.Visa, n)
	for i := range out {
		out[i] = registry.Visa{UserID: uuid.New(), Login: "approver" + string(rune('1'+i)), Name: "Согласующий " + string(rune('А'+i)),
			Position: "Заместитель начальника"}
	}
	return out
}

// testApprovalRoute is the office's route: two approvers in order, the second returns the
// draft with a remark, a new version, a new round, both agree; the draft is locked while on
// approval, each step is audited, and «на согласовании у меня» shows whose turn it is.
func testApprovalRoute(t *testing.T, db Opener) {
	s, ctx := open(t, db), t.Context()
	mustJournal(t, s, "org-a", "main", "{seq}")
	o := mustCreate(t, s, &registry.Order{OrgID: "org-a", Title: "О практике", CreatedBy: "user:clerk"})
	people := approvers(2)
	first, second := people[0].UserID, people[1].UserID

	r1 := &registry.ApprovalRoute{Mode: registry.ApprovalSequential, Author: "user:clerk", Visas: people}
	if err := s.StartApproval(ctx, "org-a", o.ID, r1, &registry.AuditEntry{Actor: "user:clerk", Action: "approval-start"}); err != nil {
		t.Fatalf("StartApproval: %v", err)
	}
	if r1.Round != 1 || r1.Version != 1 || r1.Status != registry.RouteInProgress || r1.ID == uuid.Nil || r1.Visas[1].Step != 2 {
		t.Errorf("started route = %+v", r1)
	}
	wantApproval(t, "a second route while one is in progress",
		s.StartApproval(ctx, "org-a", o.ID, &registry.ApprovalRoute{Mode: registry.ApprovalParallel, Visas: approvers(1)}, nil), registry.ApprovalLocked)
	_, err := edit(t, s, "org-a", o.ID, "О практике (правка)", "user:clerk")
	wantApproval(t, "an edit on approval", err, registry.ApprovalLocked)
	_, err = s.DeleteOrder(ctx, "org-a", o.ID, []registry.Status{registry.StatusDraft})
	wantApproval(t, "deleting a draft on approval", err, registry.ApprovalLocked)
	_, err = s.RegisterOrder(ctx, "org-a", o.ID, registry.RegisterRequest{Journal: "main", Date: "2026-03-01",
		Build: func(o *registry.Order, n string, _ int) (registry.Registered, error) {
			return registeredDraft(o, n, "2026-03-01"), nil
		}})
	wantApproval(t, "registering a draft on approval", err, registry.ApprovalLocked)

	// In order: the second approver waits for the first.
	if p, err := s.PendingApprovals(ctx, "org-a", second); err != nil || len(p) != 0 {
		t.Fatalf("pending for the second before the first answered = %+v, %v", p, err)
	}
	if p, err := s.PendingApprovals(ctx, "org-a", first); err != nil || len(p) != 1 || p[0].Title != "О практике" || p[0].Route.ID != r1.ID {
		t.Fatalf("pending for the first = %+v, %v", p, err)
	}
	if p, _ := s.PendingApprovals(ctx, "org-b", first); len(p) != 0 {
		t.Errorf("another organization's pending list = %+v", p)
	}
	_, err = s.DecideVisa(ctx, "org-a", o.ID, second, registry.DecisionApproved, "", nil)
	wantApproval(t, "the second answering before the first", err, registry.ApprovalNotDue)
	_, err = s.DecideVisa(ctx, "org-a", o.ID, first, registry.DecisionRejected, "  ", nil)
	wantErr(t, "«Не согласовано» without a remark", err, registry.ErrInvalid)

	got, err := s.DecideVisa(ctx, "org-a", o.ID, first, registry.DecisionApproved, "", &registry.AuditEntry{Actor: "user:approver1", Action: "visa"})
	if err != nil || got.Status != registry.RouteInProgress || got.Visas[0].DecidedAt == nil {
		t.Fatalf("first visa: %+v, %v", got, err)
	}
	got, err = s.DecideVisa(ctx, "org-a", o.ID, second, registry.DecisionRejected, "Уточнить срок в п. 2", &registry.AuditEntry{Actor: "user:approver2", Action: "visa"})
	if err != nil || got.Status != registry.RouteReturned || got.FinishedAt == nil {
		t.Fatalf("second visa (rejected): %+v, %v", got, err)
	}
	_, err = s.DecideVisa(ctx, "org-a", o.ID, second, registry.DecisionApproved, "", nil)
	wantApproval(t, "an answer to a returned route", err, registry.ApprovalNoRoute)

	// Returned: the author edits (a new version) and sends it again.
	if _, err := edit(t, s, "org-a", o.ID, "О практике (срок уточнён)", "user:clerk"); err != nil {
		t.Fatalf("edit after return: %v", err)
	}
	r2 := &registry.ApprovalRoute{Mode: registry.ApprovalParallel, Author: "user:clerk", Visas: approvers(0)}
	r2.Visas = append(r2.Visas, people...)
	for i := range r2.Visas {
		r2.Visas[i].Decision, r2.Visas[i].Remark = registry.DecisionRejected, "stale"
	}
	if err := s.StartApproval(ctx, "org-a", o.ID, r2, nil); err != nil {
		t.Fatal(err)
	}
	if r2.Round != 2 || r2.Version != 2 || r2.Visas[0].Decision != registry.DecisionPending || r2.Visas[0].Remark != "" {
		t.Errorf("second round = %+v", r2)
	}
	// All at once: both see it.
	for _, u := range []uuid.UUID{first, second} {
		if p, err := s.PendingApprovals(ctx, "", u); err != nil || len(p) != 1 {
			t.Fatalf("pending in a parallel route = %+v, %v", p, err)
		}
	}
	if got, err = s.DecideVisa(ctx, "org-a", o.ID, second, registry.DecisionRemarks, "Запятая в п. 1", nil); err != nil || got.Status != registry.RouteInProgress {
		t.Fatalf("remarks: %+v, %v", got, err)
	}
	if got, err = s.DecideVisa(ctx, "org-a", o.ID, first, registry.DecisionApproved, "", nil); err != nil || got.Status != registry.RouteApproved {
		t.Fatalf("last visa: %+v, %v", got, err)
	}

	routes, err := s.ApprovalRoutes(ctx, "org-a", o.ID)
	if err != nil || len(routes) != 2 {
		t.Fatalf("ApprovalRoutes = %+v, %v", routes, err)
	}
	if r := routes[0]; r.Round != 2 || r.Status != registry.RouteApproved || r.Visas[1].Decision != registry.DecisionRemarks ||
		r.Visas[1].Remark != "Запятая в п. 1" || r.Visas[1].Name != people[1].Name || r.Visas[1].Position != "Заместитель начальника" {
		t.Errorf("latest route = %+v", r)
	}
	if r := routes[1]; r.Status != registry.RouteReturned || r.Visas[1].Remark != "Уточнить срок в п. 2" {
		t.Errorf("first route = %+v", r)
	}
	if _, err := s.ApprovalRoutes(ctx, "org-b", o.ID); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("another organization's routes: %v", err)
	}

	audit, err := s.ListAudit(ctx, "org-a", &o.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range audit {
		actions = append(actions, e.Action)
	}
	if got := strings.Join(actions, ","); !strings.Contains(got, "approval-start") || strings.Count(got, "visa") != 2 {
		t.Errorf("audit actions = %s, want the start and the two audited visas", got)
	}
	for _, e := range audit {
		if e.Action == "visa" && strings.Contains(string(e.Details), "rejected") && !strings.Contains(string(e.Details), "Уточнить срок") {
			t.Errorf("the rejection's audit lacks the remark: %s", e.Details)
		}
	}
	register(t, s, "org-a", o.ID, "main", "2026-03-01")
}

// testApprovalRequired: an organization that requires a route registers only a draft whose
// current version has an approved one; others are unaffected.
func testApprovalRequired(t *testing.T, db Opener) {
	s, ctx := open(t, db), t.Context()
	mustJournal(t, s, "org-a", "main", "{seq}")
	mustJournal(t, s, "org-b", "main", "{seq}")
	if req, err := s.ApprovalRequired(ctx, "org-a"); err != nil || req {
		t.Fatalf("default ApprovalRequired = %v, %v", req, err)
	}
	if err := s.SetApprovalRequired(ctx, "org-a", true); err != nil {
		t.Fatal(err)
	}
	if req, _ := s.ApprovalRequired(ctx, "org-a"); !req {
		t.Fatal("ApprovalRequired after setting it = false")
	}
	tryRegister := func(id uuid.UUID) error {
		_, err := s.RegisterOrder(ctx, "org-a", id, registry.RegisterRequest{Journal: "main", Date: "2026-03-01",
			Build: func(o *registry.Order, n string, _ int) (registry.Registered, error) {
				return registeredDraft(o, n, "2026-03-01"), nil
			}})
		return err
	}
	o := mustCreate(t, s, &registry.Order{OrgID: "org-a", Title: "Без согласования"})
	wantApproval(t, "registering without a route", tryRegister(o.ID), registry.ApprovalNotApproved)

	people := approvers(1)
	if err := s.StartApproval(ctx, "org-a", o.ID, &registry.ApprovalRoute{Mode: registry.ApprovalSequential, Visas: people}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DecideVisa(ctx, "org-a", o.ID, people[0].UserID, registry.DecisionApproved, "", nil); err != nil {
		t.Fatal(err)
	}
	// Unlocked after approval, but a change makes it another text than the one agreed.
	if _, err := edit(t, s, "org-a", o.ID, "Изменён после согласования", "user:clerk"); err != nil {
		t.Fatal(err)
	}
	wantApproval(t, "registering a version changed after approval", tryRegister(o.ID), registry.ApprovalNotApproved)
	if err := s.StartApproval(ctx, "org-a", o.ID, &registry.ApprovalRoute{Mode: registry.ApprovalSequential, Visas: people}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DecideVisa(ctx, "org-a", o.ID, people[0].UserID, registry.DecisionApproved, "", nil); err != nil {
		t.Fatal(err)
	}
	if err := tryRegister(o.ID); err != nil {
		t.Fatalf("registering the approved version: %v", err)
	}
	// No number was taken by the refusals.
	if got := mustGet(t, s, "org-a", o.ID); got.Number != "1" {
		t.Errorf("number = %q, want 1", got.Number)
	}
	// A batch is refused as a whole.
	b := mustCreateBatchDraft(t, s, "org-a", "Пакет без согласования")
	_, err := s.RegisterBatch(ctx, "org-a", *b.BatchID, "main", "2026-03-02",
		func(o *registry.Order, n string, _ int) (registry.Registered, error) {
			return registeredDraft(o, n, "2026-03-02"), nil
		}, nil)
	wantApproval(t, "registering a batch without routes", err, registry.ApprovalNotApproved)

	other := mustCreate(t, s, &registry.Order{OrgID: "org-b", Title: "Другая организация"})
	register(t, s, "org-b", other.ID, "main", "2026-03-01")
	if err := s.SetApprovalRequired(ctx, "org-a", false); err != nil {
		t.Fatal(err)
	}
	if err := s.SetApprovalRequired(ctx, "", true); !errors.Is(err, registry.ErrInvalid) {
		t.Errorf("a setting without organization: %v", err)
	}
}

// testApprovalWithdraw: the author takes a draft back from approval (an approver is away):
// the draft is unlocked, the visas given stay, and a new round can start.
func testApprovalWithdraw(t *testing.T, db Opener) {
	s, ctx := open(t, db), t.Context()
	o := mustCreate(t, s, &registry.Order{OrgID: "org-a", Title: "Отзыв"})
	people := approvers(2)
	_, err := s.WithdrawApproval(ctx, "org-a", o.ID, nil)
	wantApproval(t, "withdrawing without a route", err, registry.ApprovalNoRoute)
	if err := s.StartApproval(ctx, "org-a", o.ID, &registry.ApprovalRoute{Mode: registry.ApprovalSequential, Visas: people}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DecideVisa(ctx, "org-a", o.ID, people[0].UserID, registry.DecisionApproved, "", nil); err != nil {
		t.Fatal(err)
	}
	_, err = s.WithdrawApproval(ctx, "org-b", o.ID, nil)
	wantErr(t, "withdrawing another organization's route", err, registry.ErrNotFound)
	r, err := s.WithdrawApproval(ctx, "org-a", o.ID, &registry.AuditEntry{Actor: "user:clerk", Action: "approval-withdraw"})
	if err != nil || r.Status != registry.RouteWithdrawn || r.FinishedAt == nil {
		t.Fatalf("WithdrawApproval = %+v, %v", r, err)
	}
	if p, _ := s.PendingApprovals(ctx, "org-a", people[1].UserID); len(p) != 0 {
		t.Errorf("a withdrawn route still waits: %+v", p)
	}
	_, err = s.DecideVisa(ctx, "org-a", o.ID, people[1].UserID, registry.DecisionApproved, "", nil)
	wantApproval(t, "a visa to a withdrawn route", err, registry.ApprovalNoRoute)
	if _, err := edit(t, s, "org-a", o.ID, "Отзыв (исправлен)", "user:clerk"); err != nil {
		t.Fatalf("edit after withdrawal: %v", err)
	}
	routes, err := s.ApprovalRoutes(ctx, "org-a", o.ID)
	if err != nil || len(routes) != 1 || routes[0].Status != registry.RouteWithdrawn || routes[0].Visas[0].Decision != registry.DecisionApproved {
		t.Fatalf("routes after withdrawal = %+v, %v", routes, err)
	}
	if err := s.StartApproval(ctx, "org-a", o.ID, &registry.ApprovalRoute{Mode: registry.ApprovalParallel, Visas: people}, nil); err != nil {
		t.Fatalf("a new round after withdrawal: %v", err)
	}
	if a, _ := s.ListAudit(ctx, "org-a", &o.ID, 0); !slicesContainsAction(a, "approval-withdraw") {
		t.Error("the withdrawal is not audited")
	}
}

func slicesContainsAction(list []registry.AuditEntry, action string) bool {
	for _, e := range list {
		if e.Action == action {
			return true
		}
	}
	return false
}

// testApprovalConcurrent: two answers at once to a parallel route of two both count, and the
// route ends approved exactly once.
func testApprovalConcurrent(t *testing.T, db Opener) {
	s, ctx := open(t, db), t.Context()
	o := mustCreate(t, s, &registry.Order{OrgID: "org-a", Title: "Одновременно"})
	people := approvers(4)
	if err := s.StartApproval(ctx, "org-a", o.ID, &registry.ApprovalRoute{Mode: registry.ApprovalParallel, Visas: people}, nil); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(people))
	for i, p := range people {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = s.DecideVisa(ctx, "org-a", o.ID, p.UserID, registry.DecisionApproved, "",
				&registry.AuditEntry{Actor: "user:" + p.Login, Action: "visa"})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("visa %d: %v", i+1, err)
		}
	}
	routes, err := s.ApprovalRoutes(ctx, "org-a", o.ID)
	if err != nil || len(routes) != 1 || routes[0].Status != registry.RouteApproved {
		t.Fatalf("route after concurrent answers = %+v, %v", routes, err)
	}
	for _, v := range routes[0].Visas {
		if v.Decision != registry.DecisionApproved {
			t.Errorf("visa %d = %q", v.Step, v.Decision)
		}
	}
}
