// Package registrytest is the conformance suite of registry drivers: the behaviour promised by
// registry.Store, written once. Every driver's test calls Run, so a behaviour that holds for
// one driver and not the other is a test failure, not a production surprise.
package registrytest

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"orders/internal/registry"
)

// Opener opens one more Store on the database a NewDB prepared, as another process would.
// The driver closes the store in t.Cleanup. It may be called from several goroutines at once,
// so it reports errors instead of failing t.
type Opener func(t *testing.T) (registry.Store, error)

// NewDB prepares a new, empty database private to t and returns how to open it.
type NewDB func(t *testing.T) Opener

// Run runs the suite; each case gets its own database and runs in parallel with the others.
func Run(t *testing.T, newDB NewDB) {
	cases := []struct {
		name string
		run  func(t *testing.T, db Opener)
	}{
		{"CreateGet", testCreateGet},
		{"InvalidArguments", testInvalidArguments},
		{"OrgScoping", testOrgScoping},
		{"Idempotency", testIdempotency},
		{"IdempotencyConcurrent", testIdempotencyConcurrent},
		{"ListFilters", testListFilters},
		{"Pagination", testPagination},
		{"BadCursor", testBadCursor},
		{"UpdateDraft", testUpdateDraft},
		{"DeletePreconditions", testDeletePreconditions},
		{"DeleteFreesDocuments", testDeleteFreesDocuments},
		{"WorkerFlow", testWorkerFlow},
		{"MarkRenderedConcurrent", testMarkRenderedConcurrent},
		{"ListStale", testListStale},
		{"CountByStatus", testCountByStatus},
		{"Organizations", testOrganizations},
		{"Tokens", testTokens},
		{"Reopen", testReopen},
		{"ConcurrentOpen", testConcurrentOpen},
		{"ConcurrentStores", testConcurrentStores},
		{"NumberFormats", testNumberFormats},
		{"Journals", testJournals},
		{"Register", testRegister},
		{"Transitions", testTransitions},
		{"TransitionAudit", testTransitionAudit},
		{"Immutable", testImmutable},
		{"RegisterConcurrent", testRegisterConcurrent},
		{"AuditConcurrent", testAuditConcurrent},
		{"SignaturesAndAcks", testSignaturesAndAcks},
		{"PrintedFacts", testPrintedFacts},
		{"SignatureAudit", testSignatureAudit},
		{"OrganizationSigning", testOrganizationSigning},
		{"ArchiveSearch", testArchiveSearch},
		{"ArchiveSort", testArchiveSort},
		{"CreatedBy", testCreatedBy},
		{"FullTextPages", testFullTextPages},
		{"FullTextBatchPages", testFullTextBatchPages},
		{"CountByState", testCountByState},
		{"BatchCreate", testBatchCreate},
		{"BatchIdempotency", testBatchIdempotency},
		{"BatchConcurrent", testBatchConcurrent},
		{"BatchLarge", testBatchLarge},
		{"BatchCancel", testBatchCancel},
		{"BatchRegister", testBatchRegister},
		{"BatchRegisterConcurrent", testBatchRegisterConcurrent},
		{"Users", testUsers},
		{"Templates", testTemplates},
		{"DraftVersions", testDraftVersions},
		{"ApprovalRoute", testApprovalRoute},
		{"ApprovalRequired", testApprovalRequired},
		{"ApprovalConcurrent", testApprovalConcurrent},
		{"ApprovalWithdraw", testApprovalWithdraw},
		{"TemplateSaveRace", testTemplateSaveRace},
		{"Sessions", testSessions},
		{"LoginFailures", testLoginFailures},
		{"BuildPanics", testBuildPanics},
		{"Import", testImport},
		{"ImportJournals", testImportJournals},
		{"ImportDuplicates", testImportDuplicates},
		{"ImportInvalid", testImportInvalid},
		{"ImportImmutable", testImportImmutable},
		{"JournalStartsAllOrNothing", testJournalStartsAllOrNothing},
		{"RegisterReplay", testRegisterReplay},
		{"UnavailableWhenClosed", testUnavailableWhenClosed},
		{"CreateRegisteredBatch", testCreateRegisteredBatch},
		{"SetOrganizationSigning", testSetOrganizationSigning},
		{"OrganizationFiles", testOrganizationFiles},
		{"Controls", testControls},
		{"ControlMarkRace", testControlMarkRace},
		{"CalendarFeeds", testCalendarFeeds},
		{"Cases", testCases},
		{"PublicOrders", testPublicOrders},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.run(t, newDB(t))
		})
	}
}

func open(t *testing.T, db Opener) registry.Store {
	t.Helper()
	s, err := db(t)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	return s
}

func draftOf(title string) []byte {
	return fmt.Appendf(nil, `{"title":%q}`, title)
}

func hashOf(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func mustCreate(t *testing.T, s registry.Store, o *registry.Order) *registry.Order {
	t.Helper()
	if o.Draft == nil {
		o.Draft = draftOf(o.Title)
	}
	created, err := s.CreateOrder(t.Context(), o)
	if err != nil {
		t.Fatalf("CreateOrder(%q): %v", o.Title, err)
	}
	if !created {
		t.Fatalf("CreateOrder(%q): created = false", o.Title)
	}
	return o
}

func mustGet(t *testing.T, s registry.Store, orgID string, id uuid.UUID) *registry.Order {
	t.Helper()
	o, err := s.GetOrder(t.Context(), orgID, id)
	if err != nil {
		t.Fatalf("GetOrder(%q, %s): %v", orgID, id, err)
	}
	return o
}

// sameOrder compares two orders field by field; drafts by content, times by instant.
func sameOrder(t *testing.T, what string, got, want *registry.Order) {
	t.Helper()
	g, w := *got, *want
	if !bytes.Equal(g.Draft, w.Draft) {
		t.Errorf("%s: Draft = %q, want %q", what, g.Draft, w.Draft)
	}
	if !g.CreatedAt.Equal(w.CreatedAt) || !g.UpdatedAt.Equal(w.UpdatedAt) {
		t.Errorf("%s: times = %v/%v, want %v/%v", what, g.CreatedAt, g.UpdatedAt, w.CreatedAt, w.UpdatedAt)
	}
	if (g.RenderedAt == nil) != (w.RenderedAt == nil) ||
		(g.RenderedAt != nil && !g.RenderedAt.Equal(*w.RenderedAt)) {
		t.Errorf("%s: RenderedAt = %v, want %v", what, g.RenderedAt, w.RenderedAt)
	}
	g.Draft, w.Draft = nil, nil
	g.CreatedAt, g.UpdatedAt, g.RenderedAt = time.Time{}, time.Time{}, nil
	w.CreatedAt, w.UpdatedAt, w.RenderedAt = time.Time{}, time.Time{}, nil
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, g, w)
	}
}

func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: error = %v, want %v", what, err, target)
	}
}

// wantState checks that err is a *registry.StateError naming current, and is ErrConflict.
func wantState(t *testing.T, what string, err error, current registry.Status) {
	t.Helper()
	var se *registry.StateError
	if !errors.As(err, &se) {
		t.Fatalf("%s: error = %v, want a *registry.StateError", what, err)
	}
	if se.Current != current {
		t.Errorf("%s: StateError.Current = %q, want %q", what, se.Current, current)
	}
	if !errors.Is(err, registry.ErrConflict) {
		t.Errorf("%s: errors.Is(%v, ErrConflict) = false", what, err)
	}
}

func isUTC(t *testing.T, what string, ts time.Time) {
	t.Helper()
	if ts.IsZero() || ts.Location() != time.UTC {
		t.Errorf("%s = %v, want a UTC time", what, ts)
	}
}

func testCreateGet(t *testing.T, db Opener) {
	s, ctx := open(t, db), t.Context()
	o := &registry.Order{
		OrgID: "org-a", Kind: "приказ", Title: "Об утверждении положения", Date: "2026-01-15",
		Number: "12-о", Status: registry.StatusQueued, Draft: []byte(`{"b":1,"a":"ё"}`),
	}
	created, err := s.CreateOrder(ctx, o)
	if err != nil || !created {
		t.Fatalf("CreateOrder = %v, %v; want true, nil", created, err)
	}
	if o.ID == uuid.Nil {
		t.Error("CreateOrder left ID nil")
	}
	if o.DraftHash != hashOf(o.Draft) {
		t.Errorf("DraftHash = %s, want sha256 of the draft", o.DraftHash)
	}
	isUTC(t, "CreatedAt", o.CreatedAt)
	if !o.UpdatedAt.Equal(o.CreatedAt) {
		t.Errorf("UpdatedAt %v != CreatedAt %v on a new order", o.UpdatedAt, o.CreatedAt)
	}
	for _, org := range []string{"org-a", ""} {
		got := mustGet(t, s, org, o.ID)
		sameOrder(t, "GetOrder("+org+")", got, o)
		isUTC(t, "stored CreatedAt", got.CreatedAt)
	}

	// Defaults, a caller-chosen ID, and every field that round-trips.
	id := uuid.New()
	rendered := time.Date(2026, 1, 2, 3, 4, 5, 678901000, time.UTC)
	full := &registry.Order{
		ID: id, OrgID: "org-a", Title: "Без статуса", Attempts: 2, Error: "x", RenderedAt: &rendered,
		IdempotencyKey: "k1",
		Outputs:        registry.Outputs{PDFKey: "p", PDFSHA256: "ph", PDFSize: 10, DOCXKey: "d", DOCXSHA256: "dh", DOCXSize: 20},
	}
	mustCreate(t, s, full)
	if full.ID != id || full.Status != registry.StatusDraft {
		t.Errorf("ID, Status = %s, %q; want %s, draft", full.ID, full.Status, id)
	}
	sameOrder(t, "full order", mustGet(t, s, "org-a", id), full)

	if _, err := s.CreateOrder(ctx, &registry.Order{ID: id, OrgID: "org-a", Title: "same id"}); !errors.Is(err, registry.ErrConflict) {
		t.Errorf("CreateOrder with a used ID: %v, want ErrConflict", err)
	}
	_, err = s.GetOrder(ctx, "", uuid.New())
	wantErr(t, "GetOrder(unknown)", err, registry.ErrNotFound)
	if err := s.Ping(ctx); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

func testInvalidArguments(t *testing.T, db Opener) {
	s, ctx := open(t, db), t.Context()
	o := mustCreate(t, s, &registry.Order{OrgID: "org-a", Title: "t"})
	for name, call := range map[string]func() error{
		"no org": func() error {
			_, err := s.CreateOrder(ctx, &registry.Order{Title: "x"})
			return err
		},
		"bad date": func() error {
			_, err := s.CreateOrder(ctx, &registry.Order{OrgID: "o", Date: "15.01.2026"})
			return err
		},
		"bad status": func() error {
			_, err := s.CreateOrder(ctx, &registry.Order{OrgID: "o", Status: "done"})
			return err
		},
		"update bad date": func() error {
			_, err := s.UpdateDraft(ctx, "", o.ID, registry.DraftUpdate{Date: "2026-13-01"}, []registry.Status{registry.StatusDraft})
			return err
		},
		"set bad status": func() error {
			_, err := s.SetStatus(ctx, "", o.ID, []registry.Status{registry.StatusDraft}, "done")
			return err
		},
		"list bad date": func() error {
			_, _, err := s.ListOrders(ctx, registry.Filter{DateFrom: "2026-1-1"})
			return err
		},
		"list bad status": func() error {
			_, _, err := s.ListOrders(ctx, registry.Filter{Status: "done"})
			return err
		},
		"organization without id": func() error {
			return s.PutOrganization(ctx, &registry.Organization{Name: "x"})
		},
		"token without hash": func() error {
			return s.CreateToken(ctx, &registry.Token{Role: "admin"})
		},
	} {
		wantErr(t, name, call(), registry.ErrInvalid)
	}
}

func testOrgScoping(t *testing.T, db Opener) {
	s, ctx := open(t, db), t.Context()
	a := mustCreate(t, s, &registry.Order{OrgID: "org-a", Title: "A"})
	b := mustCreate(t, s, &registry.Order{OrgID: "org-b", Title: "B"})

	_, err := s.GetOrder(ctx, "org-b", a.ID)
	wantErr(t, "GetOrder(other org)", err, registry.ErrNotFound)
	mustGet(t, s, "org-b", b.ID)
	mustGet(t, s, "", a.ID)

	all := []registry.Status{registry.StatusDraft}
	_, err = s.UpdateDraft(ctx, "org-b", a.ID, registry.DraftUpdate{Title: "x"}, all)
	wantErr(t, "UpdateDraft(other org)", err, registry.ErrNotFound)
	_, err = s.SetStatus(ctx, "org-b", a.ID, all, registry.StatusQueued)
	wantErr(t, "SetStatus(other org)", err, registry.ErrNotFound)
	wantErr(t, "DeleteOrder(other org)", deleteOrder(s, ctx, "org-b", a.ID, all), registry.ErrNotFound)
	if got := mustGet(t, s, "org-a", a.ID); got.Title != "A" || got.Status != registry.StatusDraft {
		t.Errorf("order changed through another org: %+v", got)
	}

	list, _, err := s.ListOrders(ctx, registry.Filter{OrgID: "org-a"})
	if err != nil || len(list) != 1 || list[0].ID != a.ID {
		t.Errorf("ListOrders(org-a) = %v, %v; want only A", list, err)
	}
}

func testIdempotency(t *testing.T, db Opener) {
	s, ctx := open(t, db), t.Context()
	first := mustCreate(t, s, &registry.Order{OrgID: "org-a", Title: "T", IdempotencyKey: "key-1", Status: registry.StatusQueued})

	again := &registry.Order{OrgID: "org-a", Title: "T", IdempotencyKey: "key-1", Draft: draftOf("T")}
	created, err := s.CreateOrder(ctx, again)
	if err != nil || created {
		t.Fatalf("repeat CreateOrder = %v, %v; want false, nil", created, err)
	}
	sameOrder(t, "repeated create returns the existing order", again, first)

	other := &registry.Order{OrgID: "org-a", Title: "T", IdempotencyKey: "key-1", Draft: draftOf("other")}
	_, err = s.CreateOrder(ctx, other)
	wantErr(t, "same key, other draft", err, registry.ErrConflict)

	// Keys are per organization, and an empty key never deduplicates.
	mustCreate(t, s, &registry.Order{OrgID: "org-b", Title: "T", IdempotencyKey: "key-1"})
	mustCreate(t, s, &registry.Order{OrgID: "org-a", Title: "T"})
	mustCreate(t, s, &registry.Order{OrgID: "org-a", Title: "T"})
	list, _, err := s.ListOrders(ctx, registry.Filter{})
	if err != nil || len(list) != 4 {
		t.Errorf("ListOrders = %d orders, %v; want 4", len(list), err)
	}
}

func testIdempotencyConcurrent(t *testing.T, db Opener) {
	stores := []registry.Store{open(t, db), open(t, db)}
	const n = 16
	var wg sync.WaitGroup
	ids := make([]uuid.UUID, n)
	created := make([]bool, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			o := &registry.Order{OrgID: "org-a", Title: "race", IdempotencyKey: "same", Draft: draftOf("race")}
			created[i], errs[i] = stores[i%2].CreateOrder(t.Context(), o)
			ids[i] = o.ID
		})
	}
	wg.Wait()
	winners := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("creator %d: %v", i, errs[i])
		}
		if created[i] {
			winners++
		}
		if ids[i] != ids[0] {
			t.Errorf("creator %d got order %s, creator 0 got %s", i, ids[i], ids[0])
		}
	}
	if winners != 1 {
		t.Errorf("%d creators report created, want exactly 1", winners)
	}
	list, _, err := stores[0].ListOrders(t.Context(), registry.Filter{})
	if err != nil || len(list) != 1 {
		t.Errorf("ListOrders = %d orders, %v; want 1", len(list), err)
	}
}

func testListFilters(t *testing.T, db Opener) {
	s, ctx := open(t, db), t.Context()
	seed := []registry.Order{
		{OrgID: "org-a", Kind: "приказ", Status: registry.StatusDraft, Date: "2026-01-10", Title: "О назначении ответственного за пожарную безопасность"},
		{OrgID: "org-a", Kind: "приказ", Status: registry.StatusQueued, Date: "2026-02-01", Title: "ОБ УТВЕРЖДЕНИИ положения о школьной форме"},
		{OrgID: "org-a", Kind: "распоряжение", Status: registry.StatusRendered, Date: "2026-02-15", Title: "Об утверждении графика отпусков"},
		{OrgID: "org-a", Kind: "решение", Status: registry.StatusFailed, Date: "", Title: "О проведении новогодней ёлки"},
		{OrgID: "org-a", Kind: "приказ", Status: registry.StatusRendered, Date: "2026-03-01", Title: "Об утверждении плана 100% охвата"},
		{OrgID: "org-b", Kind: "приказ", Status: registry.StatusQueued, Date: "2026-02-10", Title: "Об утверждении графика дежурств"},
	}
	for i := range seed {
		mustCreate(t, s, &seed[i])
	}
	a := registry.Filter{OrgID: "org-a"}
	with := func(f registry.Filter, edit func(*registry.Filter)) registry.Filter { edit(&f); return f }
	tests := []struct {
		name   string
		filter registry.Filter
		want   []int // indexes into seed, newest first
	}{
		{"org", a, []int{4, 3, 2, 1, 0}},
		{"all orgs", registry.Filter{}, []int{5, 4, 3, 2, 1, 0}},
		{"kind", with(a, func(f *registry.Filter) { f.Kind = "распоряжение" }), []int{2}},
		{"status", with(a, func(f *registry.Filter) { f.Status = registry.StatusRendered }), []int{4, 2}},
		{"date range inclusive", with(a, func(f *registry.Filter) { f.DateFrom, f.DateTo = "2026-02-01", "2026-02-15" }), []int{2, 1}},
		{"date from", with(a, func(f *registry.Filter) { f.DateFrom = "2026-02-16" }), []int{4}},
		{"date to", with(a, func(f *registry.Filter) { f.DateTo = "2026-01-31" }), []int{0}},
		{"text ignores case", with(a, func(f *registry.Filter) { f.Text = "утверждении" }), []int{4, 2, 1}},
		{"text upper case query", with(a, func(f *registry.Filter) { f.Text = "ПОЛОЖЕНИЯ" }), []int{1}},
		{"text all words", with(a, func(f *registry.Filter) { f.Text = "  УТВЕРЖДЕНИИ   графика " }), []int{2}},
		{"text words in any order", with(a, func(f *registry.Filter) { f.Text = "отпусков об" }), []int{2}},
		{"text missing word", with(a, func(f *registry.Filter) { f.Text = "графика положения" }), nil},
		{"text е matches ё", with(a, func(f *registry.Filter) { f.Text = "елки" }), []int{3}},
		{"text ё matches ё", with(a, func(f *registry.Filter) { f.Text = "ЁЛКИ" }), []int{3}},
		{"text percent is literal", with(a, func(f *registry.Filter) { f.Text = "100%" }), []int{4}},
		{"text underscore is literal", with(a, func(f *registry.Filter) { f.Text = "план_" }), nil},
		{"kind and text", with(a, func(f *registry.Filter) { f.Kind, f.Text = "приказ", "утверждении" }), []int{4, 1}},
		{"text across orgs", registry.Filter{Text: "графика"}, []int{5, 2}},
		{"unknown org", registry.Filter{OrgID: "nobody"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, next, err := s.ListOrders(ctx, tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			if next != "" {
				t.Errorf("next cursor %q on the only page", next)
			}
			var gotIdx []int
			for _, o := range got {
				gotIdx = append(gotIdx, slices.IndexFunc(seed, func(x registry.Order) bool { return x.ID == o.ID }))
				if o.Draft != nil {
					t.Errorf("ListOrders returned a draft for %s", o.ID)
				}
			}
			if !slices.Equal(gotIdx, tt.want) {
				t.Errorf("got orders %v, want %v", gotIdx, tt.want)
			}
		})
	}
	// A listed order carries everything but the draft.
	got, _, err := s.ListOrders(ctx, registry.Filter{OrgID: "org-b"})
	if err != nil || len(got) != 1 {
		t.Fatalf("ListOrders(org-b) = %v, %v", got, err)
	}
	want := seed[5]
	want.Draft = nil
	sameOrder(t, "listed order", &got[0], &want)
}

func testPagination(t *testing.T, db Opener) {
	s, ctx := open(t, db), t.Context()
	const n = 120
	for i := range n {
		st := registry.StatusQueued
		if i%2 == 1 {
			st = registry.StatusDraft
		}
		mustCreate(t, s, &registry.Order{OrgID: "org-p", Title: fmt.Sprintf("order %d", i), Status: st})
	}
	mustCreate(t, s, &registry.Order{OrgID: "org-other", Title: "not mine"})

	walk := func(f registry.Filter) []registry.Order {
		t.Helper()
		var all []registry.Order
		for page := 0; ; page++ {
			if page > n {
				t.Fatal("pagination does not end")
			}
			list, next, err := s.ListOrders(ctx, f)
			if err != nil {
				t.Fatalf("page %d: %v", page, err)
			}
			if f.Limit > 0 && len(list) > f.Limit {
				t.Fatalf("page %d has %d orders, limit %d", page, len(list), f.Limit)
			}
			all = append(all, list...)
			if next == "" {
				return all
			}
			f.Cursor = next
		}
	}
	check := func(name string, all []registry.Order, want int) {
		t.Helper()
		seen := make(map[uuid.UUID]bool)
		for i, o := range all {
			if seen[o.ID] {
				t.Errorf("%s: order %s twice", name, o.ID)
			}
			seen[o.ID] = true
			if i > 0 {
				p := all[i-1]
				if o.CreatedAt.After(p.CreatedAt) || (o.CreatedAt.Equal(p.CreatedAt) && bytes.Compare(o.ID[:], p.ID[:]) > 0) {
					t.Errorf("%s: order %d is newer than order %d", name, i, i-1)
				}
			}
		}
		if len(all) != want {
			t.Errorf("%s: %d orders, want %d", name, len(all), want)
		}
	}
	check("limit 25", walk(registry.Filter{OrgID: "org-p", Limit: 25}), n)
	check("limit 7, queued", walk(registry.Filter{OrgID: "org-p", Limit: 7, Status: registry.StatusQueued}), n/2)
	check("limit 1000 is capped", walk(registry.Filter{OrgID: "org-p", Limit: 1000}), n)
	check("limit 1, all orgs", walk(registry.Filter{Limit: 1}), n+1)

	first, next, err := s.ListOrders(ctx, registry.Filter{OrgID: "org-p"})
	if err != nil || len(first) != registry.DefaultLimit || next == "" {
		t.Errorf("default page: %d orders, next %q, %v; want %d and a cursor", len(first), next, err, registry.DefaultLimit)
	}
	exact, next, err := s.ListOrders(ctx, registry.Filter{OrgID: "org-p", Limit: n})
	if err != nil || len(exact) != n || next != "" {
		t.Errorf("page of exactly all: %d orders, next %q, %v; want %d and no cursor", len(exact), next, err, n)
	}
}

func testBadCursor(t *testing.T, db Opener) {
	s, ctx := open(t, db), t.Context()
	mustCreate(t, s, &registry.Order{OrgID: "org-a", Title: "x"})
	b64 := base64.RawURLEncoding.EncodeToString
	for _, c := range []string{
		"not a cursor!",
		b64([]byte("hello")),
		b64([]byte("9|1|" + uuid.NewString())),
		b64([]byte("1|soon|" + uuid.NewString())),
		b64([]byte("1|1|not-a-uuid")),
	} {
		_, _, err := s.ListOrders(ctx, registry.Filter{Cursor: c})
		wantErr(t, "cursor "+c, err, registry.ErrBadCursor)
		wantErr(t, "cursor "+c, err, registry.ErrInvalid)
	}
}

func testUpdateDraft(t *testing.T, db Opener) {
	s, ctx := open(t, db), t.Context()
	o := mustCreate(t, s, &registry.Order{OrgID: "org-a", Kind: "приказ", Title: "Старое название"})
	editable := []registry.Status{registry.StatusDraft, registry.StatusFailed, registry.StatusRendered}

	newDraft := draftOf("Новое название")
	got, err := s.UpdateDraft(ctx, "org-a", o.ID, registry.DraftUpdate{
		Draft: newDraft, Kind: "распоряжение", Title: "Новое название", Date: "2026-04-01", Number: "7",
	}, editable)
	if err != nil {
		t.Fatalf("UpdateDraft: %v", err)
	}
	want := *o
	want.Draft, want.DraftHash = newDraft, hashOf(newDraft)
	want.Kind, want.Title, want.Date, want.Number = "распоряжение", "Новое название", "2026-04-01", "7"
	want.UpdatedAt = got.UpdatedAt
	sameOrder(t, "UpdateDraft result", got, &want)
	sameOrder(t, "after UpdateDraft", mustGet(t, s, "org-a", o.ID), &want)
	if got.UpdatedAt.Before(o.UpdatedAt) {
		t.Errorf("UpdatedAt went back: %v < %v", got.UpdatedAt, o.UpdatedAt)
	}
	for text, n := range map[string]int{"новое": 1, "старое": 0} {
		list, _, err := s.ListOrders(ctx, registry.Filter{Text: text})
		if err != nil || len(list) != n {
			t.Errorf("search %q after edit: %d orders, %v; want %d", text, len(list), err, n)
		}
	}

	// Refused in a status not allowed, naming that status; nothing changes.
	if _, err := s.SetStatus(ctx, "org-a", o.ID, []registry.Status{registry.StatusDraft}, registry.StatusQueued); err != nil {
		t.Fatal(err)
	}
	_, err = s.UpdateDraft(ctx, "org-a", o.ID, registry.DraftUpdate{Title: "Третье"}, editable)
	wantState(t, "UpdateDraft(queued)", err, registry.StatusQueued)
	if got := mustGet(t, s, "", o.ID); got.Title != "Новое название" {
		t.Errorf("refused edit changed the title to %q", got.Title)
	}

	// An edit of a rendered order keeps the outputs only if the draft is the same.
	render(t, s, o.ID)
	same, err := s.UpdateDraft(ctx, "", o.ID, registry.DraftUpdate{
		Draft: newDraft, Kind: "распоряжение", Title: "Новое название (уточнено)", Date: "2026-04-01", Number: "7",
	}, editable)
	if err != nil {
		t.Fatal(err)
	}
	if same.PDFKey == "" || same.RenderedAt == nil || same.Status != registry.StatusRendered {
		t.Errorf("same draft: outputs or status lost: %+v", same)
	}
	changed, err := s.UpdateDraft(ctx, "", o.ID, registry.DraftUpdate{
		Draft: draftOf("v3"), Title: "v3", Status: registry.StatusQueued,
	}, editable)
	if err != nil {
		t.Fatal(err)
	}
	if changed.Outputs != (registry.Outputs{}) || changed.RenderedAt != nil || changed.Status != registry.StatusQueued {
		t.Errorf("changed draft: want no outputs and status queued, got %+v", changed)
	}
	sameOrder(t, "after resubmitting edit", mustGet(t, s, "", o.ID), changed)

	_, err = s.UpdateDraft(ctx, "", uuid.New(), registry.DraftUpdate{}, editable)
	wantErr(t, "UpdateDraft(unknown)", err, registry.ErrNotFound)
}

// render takes an order through a worker's successful run.
func render(t *testing.T, s registry.Store, id uuid.UUID) registry.Outputs {
	t.Helper()
	o, err := s.MarkRendering(t.Context(), id)
	if err != nil {
		t.Fatalf("MarkRendering: %v", err)
	}
	out := registry.Outputs{
		PDFKey: "pdf/" + o.DraftHash, PDFSHA256: "aa", PDFSize: 1234,
		DOCXKey: "docx/" + o.DraftHash, DOCXSHA256: "bb", DOCXSize: 5678,
	}
	changed, err := s.MarkRendered(t.Context(), id, o.DraftHash, out)
	if err != nil || !changed {
		t.Fatalf("MarkRendered = %v, %v; want true, nil", changed, err)
	}
	return out
}

func testDeletePreconditions(t *testing.T, db Opener) {
	s, ctx := open(t, db), t.Context()
	o := mustCreate(t, s, &registry.Order{OrgID: "org-a", Title: "x", Status: registry.StatusQueued})
	wantState(t, "DeleteOrder(queued)", deleteOrder(s, ctx, "org-a", o.ID, []registry.Status{registry.StatusDraft}), registry.StatusQueued)
	wantState(t, "DeleteOrder(nothing allowed)", deleteOrder(s, ctx, "org-a", o.ID, nil), registry.StatusQueued)
	mustGet(t, s, "org-a", o.ID)
	if err := deleteOrder(s, ctx, "org-a", o.ID, []registry.Status{registry.StatusDraft, registry.StatusQueued}); err != nil {
		t.Fatalf("DeleteOrder: %v", err)
	}
	_, err := s.GetOrder(ctx, "", o.ID)
	wantErr(t, "GetOrder after delete", err, registry.ErrNotFound)
	wantErr(t, "DeleteOrder again", deleteOrder(s, ctx, "", o.ID, []registry.Status{registry.StatusQueued}), registry.ErrNotFound)
}

func testWorkerFlow(t *testing.T, db Opener) {
	s, ctx := open(t, db), t.Context()
	o := mustCreate(t, s, &registry.Order{OrgID: "org-a", Title: "x"})

	// A draft is not for workers until submitted.
	_, err := s.MarkRendering(ctx, o.ID)
	wantState(t, "MarkRendering(draft)", err, registry.StatusDraft)
	_, err = s.SetStatus(ctx, "org-a", o.ID, []registry.Status{registry.StatusRendered}, registry.StatusQueued)
	wantState(t, "SetStatus from wrong status", err, registry.StatusDraft)
	if _, err := s.SetStatus(ctx, "org-a", o.ID, []registry.Status{registry.StatusDraft}, registry.StatusQueued); err != nil {
		t.Fatal(err)
	}

	// First attempt fails.
	r, err := s.MarkRendering(ctx, o.ID)
	if err != nil || r.Status != registry.StatusRendering || r.Attempts != 1 {
		t.Fatalf("MarkRendering = %+v, %v; want rendering, attempt 1", r, err)
	}
	if err := s.MarkFailed(ctx, o.ID, "font missing"); err != nil {
		t.Fatal(err)
	}
	if got := mustGet(t, s, "", o.ID); got.Status != registry.StatusFailed || got.Error != "font missing" {
		t.Errorf("after MarkFailed: %q %q", got.Status, got.Error)
	}

	// The retry (a redelivery) succeeds; a stale hash is refused.
	if _, err := s.MarkRendering(ctx, o.ID); err != nil {
		t.Fatal(err)
	}
	r, err = s.MarkRendering(ctx, o.ID) // redelivered while rendering
	if err != nil || r.Attempts != 3 {
		t.Fatalf("MarkRendering while rendering = %+v, %v; want attempt 3", r, err)
	}
	out := registry.Outputs{PDFKey: "k.pdf", PDFSHA256: "p", PDFSize: 1, DOCXKey: "k.docx", DOCXSHA256: "d", DOCXSize: 2}
	_, err = s.MarkRendered(ctx, o.ID, hashOf([]byte("older draft")), out)
	wantErr(t, "MarkRendered(stale hash)", err, registry.ErrConflict)
	changed, err := s.MarkRendered(ctx, o.ID, o.DraftHash, out)
	if err != nil || !changed {
		t.Fatalf("MarkRendered = %v, %v; want true", changed, err)
	}
	done := mustGet(t, s, "", o.ID)
	if done.Status != registry.StatusRendered || done.Outputs != out || done.Error != "" || done.RenderedAt == nil {
		t.Errorf("after MarkRendered: %+v", done)
	}
	isUTC(t, "RenderedAt", *done.RenderedAt)

	// Duplicates of a finished job change nothing.
	changed, err = s.MarkRendered(ctx, o.ID, o.DraftHash, registry.Outputs{PDFKey: "other"})
	if err != nil || changed {
		t.Errorf("second MarkRendered = %v, %v; want false, nil", changed, err)
	}
	_, err = s.MarkRendering(ctx, o.ID)
	wantState(t, "MarkRendering(rendered)", err, registry.StatusRendered)
	wantState(t, "MarkFailed(rendered)", s.MarkFailed(ctx, o.ID, "late"), registry.StatusRendered)
	sameOrder(t, "after duplicates", mustGet(t, s, "", o.ID), done)

	// Rerender.
	q, err := s.SetStatus(ctx, "", o.ID, []registry.Status{registry.StatusRendered, registry.StatusFailed}, registry.StatusQueued)
	if err != nil || q.Status != registry.StatusQueued {
		t.Fatalf("SetStatus(rerender) = %+v, %v", q, err)
	}

	unknown := uuid.New()
	_, err = s.MarkRendering(ctx, unknown)
	wantErr(t, "MarkRendering(unknown)", err, registry.ErrNotFound)
	_, err = s.MarkRendered(ctx, unknown, "", out)
	wantErr(t, "MarkRendered(unknown)", err, registry.ErrNotFound)
	wantErr(t, "MarkFailed(unknown)", s.MarkFailed(ctx, unknown, ""), registry.ErrNotFound)
}

func testMarkRenderedConcurrent(t *testing.T, db Opener) {
	stores := []registry.Store{open(t, db), open(t, db)}
	o := mustCreate(t, stores[0], &registry.Order{OrgID: "org-a", Title: "x", Status: registry.StatusRendering})
	const n = 8
	var wg sync.WaitGroup
	changed := make([]bool, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			out := registry.Outputs{PDFKey: fmt.Sprint("worker-", i)}
			changed[i], errs[i] = stores[i%2].MarkRendered(t.Context(), o.ID, o.DraftHash, out)
		})
	}
	wg.Wait()
	winner := -1
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("worker %d: %v", i, errs[i])
		}
		if changed[i] {
			if winner >= 0 {
				t.Fatalf("workers %d and %d both changed the order", winner, i)
			}
			winner = i
		}
	}
	if winner < 0 {
		t.Fatal("no worker changed the order")
	}
	if got := mustGet(t, stores[1], "", o.ID); got.PDFKey != fmt.Sprint("worker-", winner) {
		t.Errorf("stored outputs of %q, the winner was worker-%d", got.PDFKey, winner)
	}
}

func testListStale(t *testing.T, db Opener) {
	s, ctx := open(t, db), t.Context()
	a := mustCreate(t, s, &registry.Order{OrgID: "org-a", Title: "a", Status: registry.StatusQueued})
	b := mustCreate(t, s, &registry.Order{OrgID: "org-b", Title: "b", Status: registry.StatusQueued})
	mustCreate(t, s, &registry.Order{OrgID: "org-a", Title: "draft"})
	time.Sleep(5 * time.Millisecond)
	cutoff := time.Now()
	time.Sleep(5 * time.Millisecond)
	mustCreate(t, s, &registry.Order{OrgID: "org-a", Title: "fresh", Status: registry.StatusQueued})

	ids := func(list []registry.Order, err error) []uuid.UUID {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		var out []uuid.UUID
		for _, o := range list {
			out = append(out, o.ID)
		}
		return out
	}
	if got := ids(s.ListStale(ctx, registry.StatusQueued, cutoff, 0)); !slices.Equal(got, []uuid.UUID{a.ID, b.ID}) {
		t.Errorf("stale queued = %v, want [a b]", got)
	}
	if got := ids(s.ListStale(ctx, registry.StatusQueued, cutoff, 1)); !slices.Equal(got, []uuid.UUID{a.ID}) {
		t.Errorf("stale queued, limit 1 = %v, want [a]", got)
	}
	if _, err := s.MarkRendering(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if got := ids(s.ListStale(ctx, registry.StatusQueued, cutoff, 0)); !slices.Equal(got, []uuid.UUID{b.ID}) {
		t.Errorf("stale queued after a started = %v, want [b]", got)
	}
	if got := ids(s.ListStale(ctx, registry.StatusRendering, cutoff, 0)); len(got) != 0 {
		t.Errorf("stale rendering before its start = %v, want none", got)
	}
	if got := ids(s.ListStale(ctx, registry.StatusRendering, time.Now().Add(time.Hour), 0)); !slices.Equal(got, []uuid.UUID{a.ID}) {
		t.Errorf("stale rendering = %v, want [a]", got)
	}
}

func testCountByStatus(t *testing.T, db Opener) {
	s, ctx := open(t, db), t.Context()
	got, err := s.CountByStatus(ctx)
	if err != nil || len(got) != 0 {
		t.Fatalf("CountByStatus on empty = %v, %v", got, err)
	}
	want := map[registry.Status]int{registry.StatusDraft: 3, registry.StatusQueued: 2, registry.StatusFailed: 1}
	for st, n := range want {
		for i := range n {
			mustCreate(t, s, &registry.Order{OrgID: fmt.Sprint("org-", i), Title: "x", Status: st})
		}
	}
	got, err = s.CountByStatus(ctx)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("CountByStatus = %v, %v; want %v", got, err, want)
	}
}

func testOrganizations(t *testing.T, db Opener) {
	s, ctx := open(t, db), t.Context()
	b := &registry.Organization{ID: "balashikha-uo", Name: "Управление образования Балашихи", Profile: []byte(`{"city":"Балашиха"}`)}
	a := &registry.Organization{ID: "arzamas-uo", Name: "Управление образования Арзамаса"}
	for _, org := range []*registry.Organization{b, a} {
		if err := s.PutOrganization(ctx, org); err != nil {
			t.Fatal(err)
		}
		isUTC(t, "organization CreatedAt", org.CreatedAt)
	}
	got, err := s.GetOrganization(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	sameOrg := func(what string, got, want *registry.Organization) {
		t.Helper()
		if got.ID != want.ID || got.Name != want.Name || !bytes.Equal(got.Profile, want.Profile) ||
			!got.CreatedAt.Equal(want.CreatedAt) || !got.UpdatedAt.Equal(want.UpdatedAt) {
			t.Errorf("%s = %+v, want %+v", what, got, want)
		}
	}
	sameOrg("GetOrganization", got, b)

	time.Sleep(2 * time.Millisecond)
	created := b.CreatedAt
	upd := &registry.Organization{ID: b.ID, Name: "УО г. о. Балашиха", Profile: []byte(`{"city":"г. Балашиха"}`)}
	if err := s.PutOrganization(ctx, upd); err != nil {
		t.Fatal(err)
	}
	if !upd.CreatedAt.Equal(created) || !upd.UpdatedAt.After(created) {
		t.Errorf("upsert times: created %v (was %v), updated %v", upd.CreatedAt, created, upd.UpdatedAt)
	}
	got, err = s.GetOrganization(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	sameOrg("after upsert", got, upd)

	list, err := s.ListOrganizations(ctx)
	if err != nil || len(list) != 2 || list[0].ID != a.ID || list[1].ID != b.ID {
		t.Fatalf("ListOrganizations = %+v, %v; want [arzamas balashikha]", list, err)
	}
	sameOrg("listed", &list[1], upd)

	if err := s.DeleteOrganization(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	_, err = s.GetOrganization(ctx, a.ID)
	wantErr(t, "GetOrganization after delete", err, registry.ErrNotFound)
	wantErr(t, "DeleteOrganization again", s.DeleteOrganization(ctx, a.ID), registry.ErrNotFound)
}

func testTokens(t *testing.T, db Opener) {
	s, ctx := open(t, db), t.Context()
	if n, err := s.CountTokens(ctx); err != nil || n != 0 {
		t.Fatalf("CountTokens on empty = %d, %v", n, err)
	}
	admin := &registry.Token{Hash: hashOf([]byte("s1")), Role: "admin", Name: "first admin"}
	clerk := &registry.Token{Hash: hashOf([]byte("s2")), Role: "clerk", OrgID: "org-a", Name: "Иванова"}
	head := &registry.Token{Hash: hashOf([]byte("s3")), Role: "head", OrgID: "org-b"}
	for _, tok := range []*registry.Token{admin, clerk, head} {
		if err := s.CreateToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
		if tok.ID == uuid.Nil {
			t.Error("CreateToken left ID nil")
		}
		isUTC(t, "token CreatedAt", tok.CreatedAt)
	}
	got, err := s.TokenByHash(ctx, clerk.Hash)
	if err != nil {
		t.Fatal(err)
	}
	if !got.CreatedAt.Equal(clerk.CreatedAt) {
		t.Errorf("token CreatedAt = %v, want %v", got.CreatedAt, clerk.CreatedAt)
	}
	g, w := *got, *clerk
	g.CreatedAt, w.CreatedAt = time.Time{}, time.Time{}
	if g != w {
		t.Errorf("TokenByHash = %+v, want %+v", g, w)
	}
	_, err = s.TokenByHash(ctx, hashOf([]byte("unknown")))
	wantErr(t, "TokenByHash(unknown)", err, registry.ErrNotFound)
	wantErr(t, "duplicate hash", s.CreateToken(ctx, &registry.Token{Hash: clerk.Hash, Role: "admin"}), registry.ErrConflict)

	if list, err := s.ListTokens(ctx, "org-a"); err != nil || len(list) != 1 || list[0].ID != clerk.ID {
		t.Errorf("ListTokens(org-a) = %+v, %v", list, err)
	}
	if list, err := s.ListTokens(ctx, ""); err != nil || len(list) != 3 {
		t.Errorf("ListTokens(all) = %d tokens, %v; want 3", len(list), err)
	}
	if err := s.DeleteToken(ctx, head.ID); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "DeleteToken again", s.DeleteToken(ctx, head.ID), registry.ErrNotFound)
	if n, err := s.CountTokens(ctx); err != nil || n != 2 {
		t.Errorf("CountTokens = %d, %v; want 2", n, err)
	}
}

func testReopen(t *testing.T, db Opener) {
	first := open(t, db)
	o := mustCreate(t, first, &registry.Order{OrgID: "org-a", Title: "survives"})
	if err := first.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := first.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	second := open(t, db) // migrations run again on a migrated database
	sameOrder(t, "after reopen", mustGet(t, second, "", o.ID), o)
	third := open(t, db)
	mustGet(t, third, "org-a", o.ID)
}

func testConcurrentOpen(t *testing.T, db Opener) {
	const n = 4
	var wg sync.WaitGroup
	stores := make([]registry.Store, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { stores[i], errs[i] = db(t) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("open %d of %d at once: %v", i, n, err)
		}
	}
	for i, s := range stores {
		mustCreate(t, s, &registry.Order{OrgID: "org-a", Title: fmt.Sprint("from ", i)})
	}
}

func testConcurrentStores(t *testing.T, db Opener) {
	stores := []registry.Store{open(t, db), open(t, db)}
	const workers, each = 8, 15
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			s := stores[w%2]
			ctx := t.Context()
			for i := range each {
				o := &registry.Order{
					OrgID: fmt.Sprint("org-", w%3), Title: fmt.Sprintf("w%d #%d", w, i),
					Status: registry.StatusQueued, Draft: draftOf("x"), IdempotencyKey: fmt.Sprintf("w%d-%d", w, i),
				}
				if _, err := s.CreateOrder(ctx, o); err != nil {
					errs <- fmt.Errorf("worker %d create %d: %w", w, i, err)
					return
				}
				if i%3 == 0 {
					if _, err := s.MarkRendering(ctx, o.ID); err != nil {
						errs <- fmt.Errorf("worker %d rendering %d: %w", w, i, err)
						return
					}
					if _, err := s.MarkRendered(ctx, o.ID, o.DraftHash, registry.Outputs{PDFKey: "k"}); err != nil {
						errs <- fmt.Errorf("worker %d rendered %d: %w", w, i, err)
						return
					}
				}
				if _, _, err := s.ListOrders(ctx, registry.Filter{OrgID: o.OrgID, Limit: 5}); err != nil {
					errs <- fmt.Errorf("worker %d list: %w", w, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	counts, err := stores[1].CountByStatus(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	rendered := workers * ((each + 2) / 3)
	want := map[registry.Status]int{registry.StatusRendered: rendered, registry.StatusQueued: workers*each - rendered}
	if !reflect.DeepEqual(counts, want) {
		t.Errorf("CountByStatus = %v, want %v", counts, want)
	}
}
