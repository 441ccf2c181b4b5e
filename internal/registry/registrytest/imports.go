package registrytest

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"orders/internal/registry"
)

// importReq is an import of a scan (unsigned) of org with the document named by file.
func importReq(org, number, date, file string) registry.ImportRequest {
	return registry.ImportRequest{
		OrgID: org, Kind: "приказ", Title: "Об утверждении графика отпусков", Number: number, Date: date,
		Signatory: "Зубова А. Н.", SearchText: "Об утверждении графика отпусков работников на 2019 год",
		Draft:    []byte(`{"kind":"приказ"}`),
		Document: registry.SignedDocument{Key: "imp/" + file, SHA256: hashOf([]byte(file)), Size: 1000},
		Audit:    &registry.AuditEntry{Actor: "архивист", Action: "import", Details: []byte(`{"number":"` + number + `"}`)},
	}
}

func mustImport(t *testing.T, s registry.Store, r registry.ImportRequest) *registry.Order {
	t.Helper()
	o, err := s.ImportOrder(t.Context(), r)
	if err != nil {
		t.Fatalf("ImportOrder(%s %s): %v", r.Number, r.Date, err)
	}
	return o
}

func wantDuplicate(t *testing.T, what string, err error, existing uuid.UUID, field string) {
	t.Helper()
	var de *registry.DuplicateError
	if !errors.As(err, &de) {
		t.Fatalf("%s: error = %v, want a *registry.DuplicateError", what, err)
	}
	if de.Existing != existing || de.Field != field {
		t.Errorf("%s: DuplicateError = %+v, want order %s, field %s", what, de, existing, field)
	}
	if !errors.Is(err, registry.ErrConflict) {
		t.Errorf("%s: errors.Is(%v, ErrConflict) = false", what, err)
	}
}

// testImport: an imported order is recorded as given, read back as imported by every read,
// and searchable; a scan is registered, a verified signed PDF is signed.
func testImport(t *testing.T, db Opener) {
	s, ctx := open(t, db), t.Context()
	r := importReq("org-a", "15-к", "2019-03-01", "scan-15")
	o := mustImport(t, s, r)
	if !o.Imported || o.State != registry.StateRegistered || o.Status != registry.StatusRendered ||
		o.Number != "15-к" || o.Date != "2019-03-01" || o.Journal != "" || o.Seq != 0 ||
		o.PDFKey != "imp/scan-15" || o.PDFSHA256 != hashOf([]byte("scan-15")) || o.PDFSize != 1000 ||
		o.DOCXKey != "" || o.SignedKey != "" || o.RegisteredAt != nil || o.SignedAt != nil ||
		o.Signatory != "Зубова А. Н." || o.ID == uuid.Nil {
		t.Fatalf("imported scan = %+v", o)
	}
	got, err := s.GetOrder(ctx, "org-a", o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Imported || got.State != o.State || got.Number != o.Number || got.PDFKey != o.PDFKey ||
		got.RenderedAt == nil || string(got.Draft) != `{"kind":"приказ"}` || got.SearchText != r.SearchText {
		t.Errorf("GetOrder = %+v", got)
	}
	if _, err := s.GetOrder(ctx, "org-b", o.ID); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("GetOrder(other org) = %v, want ErrNotFound", err)
	}

	// A signed PDF: the order is signed with the file as its signed document, and the
	// signature found in it is kept in the same transaction.
	sr := importReq("org-a", "16-к", "2019-03-02", "signed-16")
	sr.Signed, sr.SearchText = true, "Об утверждении графика дежурств"
	sr.Signature = &registry.Signature{Kind: registry.SignatureExternalPDF, Key: "imp/signed-16",
		SHA256: hashOf([]byte("signed-16")), Signer: "Зубова Анна Николаевна", Serial: "01AB", Verified: "valid",
		Trust: "not checked: корневые сертификаты не заданы"}
	so := mustImport(t, s, sr)
	if so.State != registry.StateSigned || so.SignedKey != "imp/signed-16" || so.SignedSHA256 != so.PDFSHA256 ||
		so.SignedSize != 1000 || so.SignedAt != nil {
		t.Errorf("imported signed PDF = %+v", so)
	}
	sigs, err := s.ListSignatures(ctx, "org-a", so.ID)
	if err != nil || len(sigs) != 1 || sigs[0].Kind != registry.SignatureExternalPDF || sigs[0].Verified != "valid" || sigs[0].OrderID != so.ID {
		t.Errorf("signatures = %+v, %v", sigs, err)
	}

	// Every read says imported; the filter separates them from the service's own orders.
	own := mustCreate(t, s, &registry.Order{OrgID: "org-a", Title: "Свой проект"})
	list, _, err := s.ListOrders(ctx, registry.Filter{OrgID: "org-a"})
	if err != nil || len(list) != 3 {
		t.Fatalf("ListOrders = %d orders, %v", len(list), err)
	}
	for _, l := range list {
		if l.Imported != (l.ID != own.ID) {
			t.Errorf("ListOrders: %s Imported = %v", l.Title, l.Imported)
		}
	}
	yes, no := true, false
	for _, c := range []struct {
		imported *bool
		want     int
	}{{&yes, 2}, {&no, 1}, {nil, 3}} {
		list, _, err := s.ListOrders(ctx, registry.Filter{OrgID: "org-a", Imported: c.imported})
		if err != nil || len(list) != c.want {
			t.Errorf("ListOrders(Imported %v) = %d orders, %v; want %d", c.imported, len(list), err, c.want)
		}
	}
	for _, f := range []registry.Filter{
		{OrgID: "org-a", FullText: "отпусков работников"},
		{OrgID: "org-a", Number: "15-к"},
		{OrgID: "org-a", Signatory: "зубова", State: registry.StateRegistered},
		{OrgID: "org-a", DateFrom: "2019-01-01", DateTo: "2019-03-01"},
	} {
		list, _, err := s.ListOrders(ctx, f)
		if err != nil || len(list) != 1 || list[0].ID != o.ID {
			t.Errorf("ListOrders(%+v) = %d orders, %v; want the imported scan", f, len(list), err)
		}
	}

	// The audit entry is in the chain, about the order.
	entries, err := s.ListAudit(ctx, "org-a", &o.ID, 0)
	if err != nil || len(entries) != 1 || entries[0].Action != "import" || entries[0].Actor != "архивист" {
		t.Fatalf("audit of the import = %+v, %v", entries, err)
	}
	var details map[string]string
	if json.Unmarshal(entries[0].Details, &details) != nil || details["number"] != "15-к" {
		t.Errorf("audit details = %s", entries[0].Details)
	}
	if ok, at, err := s.VerifyAudit(ctx, "org-a"); !ok || err != nil {
		t.Errorf("VerifyAudit = %v at %d, %v", ok, at, err)
	}

	// Without a search text the title is searched.
	nr := importReq("org-a", "17-к", "2019-03-03", "scan-17")
	nr.Title, nr.SearchText = "О стажировочной площадке", ""
	n := mustImport(t, s, nr)
	if list, _, err := s.ListOrders(ctx, registry.Filter{OrgID: "org-a", FullText: "стажировочных площадок"}); err != nil || len(list) != 1 || list[0].ID != n.ID {
		t.Errorf("full text of an import without text = %d orders, %v", len(list), err)
	}
}

// testImportJournals: an import takes nothing from a journal, and a journal's numbers never
// collide with imported ones.
func testImportJournals(t *testing.T, db Opener) {
	s, ctx := open(t, db), t.Context()
	mustJournal(t, s, "org-a", "main", "{seq}")
	if err := s.SetJournalStart(ctx, "org-a", "main", registry.JournalStart{Year: 2019, Next: 40}); err != nil {
		t.Fatal(err)
	}
	before, err := s.GetJournal(ctx, "org-a", "main")
	if err != nil {
		t.Fatal(err)
	}
	// 40 is the number the journal issues next in 2019; 1 in 2020, which has no counter yet.
	mustImport(t, s, importReq("org-a", "40", "2019-05-05", "scan-40"))
	mustImport(t, s, importReq("org-a", "1", "2020-01-10", "scan-1"))
	after, err := s.GetJournal(ctx, "org-a", "main")
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(after.Years) != fmt.Sprint(before.Years) {
		t.Errorf("journal years after imports = %v, want %v unchanged", after.Years, before.Years)
	}
	for _, c := range []struct{ date, want string }{{"2019-06-01", "40"}, {"2020-02-01", "1"}} {
		d := mustCreate(t, s, &registry.Order{OrgID: "org-a", Title: "Проект " + c.date})
		if reg := register(t, s, "org-a", d.ID, "main", c.date); reg.Number != c.want || reg.Imported {
			t.Errorf("registered after imports on %s: № %s (imported %v), want № %s", c.date, reg.Number, reg.Imported, c.want)
		}
	}
	list, _, err := s.ListOrders(ctx, registry.Filter{OrgID: "org-a", Number: "40"})
	if err != nil || len(list) != 2 {
		t.Errorf("orders № 40 = %d, %v; want the imported one and the registered one", len(list), err)
	}
}

// testImportDuplicates: the same file, or the same kind, number and year, imported again by
// the organization is refused naming the first import; anything else is a new order.
func testImportDuplicates(t *testing.T, db Opener) {
	s, ctx := open(t, db), t.Context()
	first := mustImport(t, s, importReq("org-a", "15", "2019-03-01", "scan-15"))

	_, err := s.ImportOrder(ctx, importReq("org-a", "99", "2021-01-01", "scan-15"))
	wantDuplicate(t, "same file", err, first.ID, "pdf")
	_, err = s.ImportOrder(ctx, importReq("org-a", "15", "2019-12-31", "other-scan"))
	wantDuplicate(t, "same number and year", err, first.ID, "number")
	_, err = s.ImportOrder(ctx, importReq("org-a", "15", "2019-03-01", "scan-15"))
	wantDuplicate(t, "both", err, first.ID, "pdf")

	other := importReq("org-a", "15", "2019-03-01", "rasp-15")
	other.Kind = "распоряжение"
	for what, r := range map[string]registry.ImportRequest{
		"another year":         importReq("org-a", "15", "2020-03-01", "scan-15-2020"),
		"another kind":         other,
		"another organization": importReq("org-b", "15", "2019-03-01", "scan-15"),
	} {
		if _, err := s.ImportOrder(ctx, r); err != nil {
			t.Errorf("%s: %v", what, err)
		}
	}
	// A refused import leaves nothing behind, in the orders or in the audit trail.
	list, _, err := s.ListOrders(ctx, registry.Filter{OrgID: "org-a"})
	if err != nil || len(list) != 3 {
		t.Errorf("org-a orders = %d, %v; want 3", len(list), err)
	}
	if entries, err := s.ListAudit(ctx, "org-a", nil, 0); err != nil || len(entries) != 3 {
		t.Errorf("org-a audit entries = %d, %v; want 3", len(entries), err)
	}

	// Concurrent imports of one file: one order, every other caller is told which.
	const n = 8
	var wg sync.WaitGroup
	ids := make([]uuid.UUID, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o, err := s.ImportOrder(ctx, importReq("org-c", fmt.Sprint(100+i), "2019-01-01", "same"))
			if err == nil {
				ids[i] = o.ID
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	var winner uuid.UUID
	for i, id := range ids {
		if errs[i] == nil {
			if winner != uuid.Nil {
				t.Fatalf("two concurrent imports of one file succeeded: %s and %s", winner, id)
			}
			winner = id
		}
	}
	if winner == uuid.Nil {
		t.Fatalf("no concurrent import succeeded: %v", errs)
	}
	for i, err := range errs {
		if err != nil {
			wantDuplicate(t, fmt.Sprintf("concurrent import %d", i), err, winner, "pdf")
		}
	}
}

// testImportInvalid: what ImportOrder refuses before any database work.
func testImportInvalid(t *testing.T, db Opener) {
	s, ctx := open(t, db), t.Context()
	for what, change := range map[string]func(r *registry.ImportRequest){
		"no organization":      func(r *registry.ImportRequest) { r.OrgID = "" },
		"no number":            func(r *registry.ImportRequest) { r.Number = "  " },
		"no date":              func(r *registry.ImportRequest) { r.Date = "" },
		"Russian date":         func(r *registry.ImportRequest) { r.Date = "01.03.2019" },
		"impossible date":      func(r *registry.ImportRequest) { r.Date = "2019-02-30" },
		"no title":             func(r *registry.ImportRequest) { r.Title = "" },
		"no kind":              func(r *registry.ImportRequest) { r.Kind = "" },
		"no document":          func(r *registry.ImportRequest) { r.Document = registry.SignedDocument{} },
		"bad digest":           func(r *registry.ImportRequest) { r.Document.SHA256 = "ABC" },
		"signed, no signatory": func(r *registry.ImportRequest) { r.Signed, r.Signatory = true, "" },
		"signature verdict": func(r *registry.ImportRequest) {
			r.Signature = &registry.Signature{Kind: registry.SignatureExternalPDF, Key: "k", SHA256: hashA, Verified: "ok"}
		},
		"audit without action": func(r *registry.ImportRequest) { r.Audit = &registry.AuditEntry{Actor: "x"} },
		"audit details not JSON": func(r *registry.ImportRequest) {
			r.Audit = &registry.AuditEntry{Action: "import", Details: []byte("{")}
		},
	} {
		r := importReq("org-a", "15", "2019-03-01", "scan")
		change(&r)
		_, err := s.ImportOrder(ctx, r)
		wantErr(t, what, err, registry.ErrInvalid)
	}
	if list, _, err := s.ListOrders(ctx, registry.Filter{}); err != nil || len(list) != 0 {
		t.Errorf("orders after refused imports = %d, %v", len(list), err)
	}
}

// testImportImmutable: an imported order is a record: not edited, deleted, registered or
// rendered; it can be cancelled, and keeps its number.
func testImportImmutable(t *testing.T, db Opener) {
	s, ctx := open(t, db), t.Context()
	mustJournal(t, s, "org-a", "main", "{seq}")
	o := mustImport(t, s, importReq("org-a", "15", "2019-03-01", "scan-15"))
	_, err := s.UpdateDraft(ctx, "org-a", o.ID, registry.DraftUpdate{Draft: []byte(`{}`), Title: "x"}, registry.Statuses)
	wantLifecycle(t, "UpdateDraft", err, registry.StateRegistered)
	_, err = s.DeleteOrder(ctx, "org-a", o.ID, registry.Statuses)
	wantLifecycle(t, "DeleteOrder", err, registry.StateRegistered)
	_, err = s.RegisterOrder(ctx, "org-a", o.ID, registry.RegisterRequest{Journal: "main", Date: "2019-03-01",
		Build: func(*registry.Order, string, int) (registry.Registered, error) { return registry.Registered{}, nil }})
	wantLifecycle(t, "RegisterOrder", err, registry.StateRegistered)
	for _, to := range []registry.Status{registry.StatusQueued, registry.StatusFailed} {
		_, err = s.SetStatus(ctx, "org-a", o.ID, registry.Statuses, to)
		if !errors.Is(err, registry.ErrImported) || !errors.Is(err, registry.ErrConflict) {
			t.Errorf("SetStatus(%s) = %v, want ErrImported", to, err)
		}
	}
	_, err = s.MarkRendering(ctx, o.ID)
	var se *registry.StateError
	if !errors.As(err, &se) {
		t.Errorf("MarkRendering = %v, want a *registry.StateError (a job to drop)", err)
	}
	got, err := s.GetOrder(ctx, "org-a", o.ID)
	if err != nil || got.Status != registry.StatusRendered || got.Attempts != 0 || got.PDFKey != o.PDFKey {
		t.Fatalf("after refusals: %+v, %v", got, err)
	}
	c, err := s.Cancel(ctx, "org-a", o.ID, registry.CancelRequest{Reason: "ошибочно внесён", By: "Зубова А.Н."})
	// The cancellation is not printed on the upload: the order is not queued for a render.
	if err != nil || c.State != registry.StateCancelled || c.Number != "15" || !c.Imported || c.PDFKey != o.PDFKey ||
		c.Status != registry.StatusRendered || c.CancelledBy != "Зубова А.Н." {
		t.Errorf("Cancel = %+v, %v", c, err)
	}
	if got, err := s.GetOrder(ctx, "org-a", o.ID); err != nil || got.Status != registry.StatusRendered || got.State != registry.StateCancelled {
		t.Errorf("after Cancel: %+v, %v", got, err)
	}
	if !strings.HasPrefix(c.CancelReason, "ошибочно") {
		t.Errorf("CancelReason = %q", c.CancelReason)
	}
}
