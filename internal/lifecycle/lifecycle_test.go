package lifecycle

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"orders/internal/auth"
	"orders/internal/blob/fsstore"
	"orders/internal/order"
	"orders/internal/queue"
	"orders/internal/refusal"
	"orders/internal/registry"
	"orders/internal/registry/sqlite"
)

// fakePublisher records the jobs; fail makes every publish fail.
type fakePublisher struct {
	mu   sync.Mutex
	jobs []queue.Job
	fail bool
}

func (p *fakePublisher) Enqueue(j queue.Job, _ string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail {
		return errors.New("no queue")
	}
	p.jobs = append(p.jobs, j)
	return nil
}

func (p *fakePublisher) reasons() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, j := range p.jobs {
		out = append(out, j.Reason)
	}
	return out
}

// fakeSignatures finds a valid signature in a PDF that says "signed".
type fakeSignatures struct{}

func (fakeSignatures) Imported(_ context.Context, data []byte, key, sum string) (*registry.Signature, bool) {
	if !strings.Contains(string(data), "signed") {
		return nil, false
	}
	return &registry.Signature{Kind: registry.SignatureExternalPDF, Key: key, SHA256: sum, Verified: "valid", Trust: "trusted"}, true
}

type env struct {
	t     *testing.T
	svc   *Service
	store *sqlite.Store
	blobs *fsstore.Store
	pub   *fakePublisher
	head  auth.Caller
}

func newEnv(t *testing.T) *env {
	t.Helper()
	dir := t.TempDir()
	st, err := sqlite.Open(t.Context(), filepath.Join(dir, "registry.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	bs, err := fsstore.New(filepath.Join(dir, "docs"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if err := st.PutOrganization(ctx, &registry.Organization{ID: "org-a", Name: "Школа № 17", Profile: []byte("{}")}); err != nil {
		t.Fatal(err)
	}
	if err := st.PutJournal(ctx, &registry.Journal{OrgID: "org-a", ID: "main", Name: "основной", Format: "{seq}"}); err != nil {
		t.Fatal(err)
	}
	pub := &fakePublisher{}
	return &env{t: t, store: st, blobs: bs, pub: pub,
		svc:  &Service{Store: st, Blobs: bs, Queue: pub, Republish: &queue.Republisher{}, Signatures: fakeSignatures{}},
		head: auth.Caller{Role: auth.RoleHead, OrgID: "org-a", Actor: "token:head", TokenName: "Зубова А.Н."}}
}

// draft stores the Balashikha example (two people to acknowledge) as a draft of org-a.
func (e *env) draft() *registry.Order {
	e.t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "templates", "examples", "balashikha.json"))
	if err != nil {
		e.t.Fatal(err)
	}
	o := &registry.Order{OrgID: "org-a", Kind: "приказ", Title: "Об организации", Draft: data, Status: registry.StatusQueued}
	if _, err := e.store.CreateOrder(e.t.Context(), o); err != nil {
		e.t.Fatal(err)
	}
	return o
}

func (e *env) audit(id uuid.UUID, action string) []registry.AuditEntry {
	e.t.Helper()
	list, err := e.store.ListAudit(e.t.Context(), "org-a", &id, registry.MaxLimit)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []registry.AuditEntry
	for _, a := range list {
		if a.Action == action {
			out = append(out, a)
		}
	}
	return out
}

// problemAt says err is an order.Problems whose first problem is at path.
func problemAt(err error, path string) bool {
	ps, ok := order.AsProblems(err)
	return ok && len(ps) > 0 && ps[0].Path == path
}

func TestRegister(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	for _, tc := range []struct {
		name string
		r    Registration
		path string
	}{
		{"no journal", Registration{Date: "2022-09-22"}, "journal"},
		{"not a date", Registration{Journal: "main", Date: "22.09.2022"}, "date"},
		{"unknown journal", Registration{Journal: "other"}, "journal"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := e.svc.Register(ctx, e.head, e.draft().ID, tc.r); !problemAt(err, tc.path) {
				t.Fatalf("got %v, want a problem at %s", err, tc.path)
			}
		})
	}

	o := e.draft()
	got, replayed, err := e.svc.Register(ctx, e.head, o.ID, Registration{Journal: "main", Date: "2022-09-22", Key: "k1"})
	if err != nil || replayed || got.Number != "1" || got.State != registry.StateRegistered || got.Date != "2022-09-22" {
		t.Fatalf("register: %+v replayed=%v %v", got, replayed, err)
	}
	d, err := order.Decode(got.Draft)
	if err != nil || d.Number != "1" || d.Date != "2022-09-22" {
		t.Fatalf("the stored draft carries no number and date: %+v %v", d, err)
	}
	if a := e.audit(o.ID, "register"); len(a) != 1 || !strings.Contains(string(a[0].Details), `"number":"1"`) {
		t.Errorf("audit: %+v", a)
	}
	again, replayed, err := e.svc.Register(ctx, e.head, o.ID, Registration{Journal: "main", Date: "2022-09-22", Key: "k1"})
	if err != nil || !replayed || again.Number != "1" {
		t.Fatalf("retry with the key: %+v replayed=%v %v", again, replayed, err)
	}
	var r *refusal.Error
	if _, _, err := e.svc.Register(ctx, e.head, o.ID, Registration{Journal: "main", Date: "2022-09-23", Key: "k1"}); !errors.As(err, &r) ||
		r.State != registry.StateRegistered || !strings.Contains(r.Msg, "не повтор") {
		t.Errorf("the key with another date: %v", err)
	}
	var le *registry.LifecycleError
	if _, _, err := e.svc.Register(ctx, e.head, o.ID, Registration{Journal: "main"}); !errors.As(err, &le) {
		t.Errorf("registered again without the key: %v", err)
	}
	if got := e.pub.reasons(); strings.Join(got, ",") != "register,register" {
		t.Errorf("jobs: %v (the first registration and the replay of a queued order)", got)
	}
}

func TestCancel(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	o := e.draft()
	if _, err := e.svc.Cancel(ctx, e.head, o.ID, "  "); !problemAt(err, "reason") {
		t.Fatalf("no reason: %v", err)
	}
	var le *registry.LifecycleError
	if _, err := e.svc.Cancel(ctx, e.head, o.ID, "ошибка"); !errors.As(err, &le) || le.Current != registry.StateDraft {
		t.Fatalf("a draft cancelled: %v", err)
	}
	if _, _, err := e.svc.Register(ctx, e.head, o.ID, Registration{Journal: "main"}); err != nil {
		t.Fatal(err)
	}
	got, err := e.svc.Cancel(ctx, e.head, o.ID, "издан ошибочно")
	if err != nil || got.State != registry.StateCancelled || got.CancelledBy != "Зубова А.Н." || got.CancelReason != "издан ошибочно" {
		t.Fatalf("cancel: %+v %v", got, err)
	}
	if a := e.audit(o.ID, "cancel"); len(a) != 1 {
		t.Errorf("audit: %+v", a)
	}
	if r := e.pub.reasons(); r[len(r)-1] != "cancel" {
		t.Errorf("the cancelled order's working copy is not rendered again: %v", r)
	}
}

// TestAcknowledge also pins a defect: a draft's acknowledgement was refused as «ознакомление
// уже записано»; it is refused for the order's state.
func TestAcknowledge(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	o := e.draft()
	var r *refusal.Error
	if _, err := e.svc.Acknowledge(ctx, e.head, o.ID, "Л.Е. Мартынова", ""); !errors.As(err, &r) ||
		r.State != registry.StateDraft || strings.Contains(r.Msg, "уже записано") {
		t.Fatalf("a draft acknowledged: %v", err)
	}
	if _, _, err := e.svc.Register(ctx, e.head, o.ID, Registration{Journal: "main", Date: "2022-09-22"}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, person, date, path string }{
		{"not on the list", "Иванов И.И.", "", "person"},
		{"nobody", "", "", "person"},
		{"not a date", "Л.Е. Мартынова", "вчера", "date"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := e.svc.Acknowledge(ctx, e.head, o.ID, tc.person, tc.date); !problemAt(err, tc.path) {
				t.Fatalf("got %v, want a problem at %s", err, tc.path)
			}
		})
	}
	if _, err := e.svc.Acknowledge(ctx, e.head, o.ID, " Л.Е. Мартынова ", "2022-09-23"); err != nil {
		t.Fatal(err)
	}
	acks, err := e.store.ListAcks(ctx, "org-a", o.ID)
	if err != nil || len(acks) != 1 || acks[0].ReadAt.Format("2006-01-02") != "2022-09-23" {
		t.Fatalf("acks: %+v %v", acks, err)
	}
	if _, err := e.svc.Acknowledge(ctx, e.head, o.ID, "Л.Е. Мартынова", ""); !errors.As(err, &r) ||
		!strings.Contains(r.Msg, "ознакомление уже записано: Л.Е. Мартынова, 23.09.2022") {
		t.Errorf("a second acknowledgement: %v", err)
	}
	if a := e.audit(o.ID, "acknowledge"); len(a) != 1 {
		t.Errorf("audit: %+v", a)
	}
}

func TestDeleteDraftFreesDocuments(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	o := e.draft()
	if _, err := e.store.MarkRendering(ctx, o.ID); err != nil {
		t.Fatal(err)
	}
	cur, _ := e.store.GetOrder(ctx, "org-a", o.ID)
	key, sum, err := e.blobs.Put(ctx, []byte("%PDF-1.7 draft"), "application/pdf")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.MarkRendered(ctx, o.ID, cur.DraftHash, registry.Outputs{PDFKey: key, PDFSHA256: sum, PDFSize: 14,
		DOCXKey: key, DOCXSHA256: sum, DOCXSize: 14}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.DeleteDraft(ctx, e.head, o.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.blobs.Get(ctx, key); err == nil {
		t.Error("the deleted draft's document is still stored")
	}
	if err := e.svc.DeleteDraft(ctx, e.head, o.ID); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("deleted twice: %v", err)
	}
}

func TestRerender(t *testing.T) {
	e := newEnv(t)
	o := e.draft()
	var se *registry.StateError
	if _, err := e.svc.Rerender(t.Context(), e.head, o.ID); !errors.As(err, &se) || se.Current != registry.StatusQueued {
		t.Fatalf("a queued order rendered again: %v", err)
	}
}

func TestImport(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	admin := auth.Caller{Role: auth.RoleAdmin, Actor: "token:admin"}
	im := Import{Organization: "org-b", Kind: "приказ", Title: "О бумажном", Number: "12-о", Date: "2020-01-15",
		Signatory: "Зубова А.Н.", PDF: []byte("%PDF-1.4 scan")}
	if _, err := e.svc.Import(ctx, admin, im); !problemAt(err, "meta.organization") {
		t.Fatalf("an unknown organization: %v", err)
	}
	im.Organization = "org-a"
	o, err := e.svc.Import(ctx, admin, im)
	if err != nil || !o.Imported || o.State != registry.StateRegistered || o.Number != "12-о" {
		t.Fatalf("a scan: %+v %v", o, err)
	}
	var dup *registry.DuplicateError
	if _, err := e.svc.Import(ctx, e.head, im); !errors.As(err, &dup) || dup.Existing != o.ID {
		t.Fatalf("the same scan again: %v", err)
	}
	signed, err := e.svc.Import(ctx, e.head, Import{Kind: "приказ", Title: "Подписанный", Number: "13-о", Date: "2020-01-16",
		Signatory: "Зубова А.Н.", PDF: []byte("%PDF-1.4 signed")})
	if err != nil || signed.State != registry.StateSigned || signed.OrgID != "org-a" {
		t.Fatalf("a signed PDF: %+v %v", signed, err)
	}
	if a := e.audit(signed.ID, "import"); len(a) != 1 || !strings.Contains(string(a[0].Details), `"signed":true`) {
		t.Errorf("audit: %+v", a)
	}
	if len(e.pub.reasons()) != 0 {
		t.Errorf("an imported order was queued for rendering: %v", e.pub.reasons())
	}
}

// TestPublishFailureIsRetried: a publish that fails is not the caller's failure; the job
// goes to the republisher.
func TestPublishFailureIsRetried(t *testing.T) {
	e := newEnv(t)
	e.pub.fail = true
	retried := make(chan queue.Job, 1)
	e.svc.Republish = &queue.Republisher{Publish: func(_ context.Context, j queue.Job, _ string) (bool, error) {
		select {
		case retried <- j:
		default:
		}
		return false, nil
	}}
	o := e.draft()
	if _, _, err := e.svc.Register(t.Context(), e.head, o.ID, Registration{Journal: "main"}); err != nil {
		t.Fatal(err)
	}
	if j := <-retried; j.OrderID != o.ID || j.Reason != "register" {
		t.Errorf("retried: %+v", j)
	}
}

func TestSubmitAndEditDraft(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	o := &registry.Order{OrgID: "org-a", Kind: "приказ", Title: "Проект", Draft: []byte(`{"title":"Проект"}`), IdempotencyKey: "k"}
	if created, err := e.svc.Submit(ctx, o); err != nil || !created || o.Status != registry.StatusQueued {
		t.Fatalf("submit: %v %v %+v", created, err, o)
	}
	again := &registry.Order{OrgID: "org-a", Kind: "приказ", Title: "Проект", Draft: []byte(`{"title":"Проект"}`), IdempotencyKey: "k"}
	if created, err := e.svc.Submit(ctx, again); err != nil || created || again.ID != o.ID {
		t.Fatalf("replay: %v %v %+v", created, err, again)
	}
	u := registry.DraftUpdate{Draft: []byte(`{"title":"Другой"}`), Kind: "приказ", Title: "Другой"}
	if _, err := e.svc.EditDraft(ctx, e.head, o.ID, "org-b", u); !problemAt(err, "organization") {
		t.Errorf("moved to another organization: %v", err)
	}
	got, err := e.svc.EditDraft(ctx, e.head, o.ID, "org-a", u)
	if err != nil || got.Title != "Другой" || got.Status != registry.StatusQueued {
		t.Fatalf("edit: %+v %v", got, err)
	}
	if r := strings.Join(e.pub.reasons(), ","); r != "submit,submit,update" {
		t.Errorf("jobs: %s", r)
	}
}
