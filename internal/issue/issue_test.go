package issue

import (
	"archive/zip"
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	pdfapi "github.com/pdfcpu/pdfcpu/pkg/api"

	"orders/internal/batch"
	"orders/internal/blob/fsstore"
	"orders/internal/layout"
	"orders/internal/order"
	"orders/internal/registry"
	"orders/internal/registry/sqlite"
	"orders/internal/render"
)

// tmpl is an order template whose title and clause take the row's organization.
const tmpl = `{"kind": "приказ", "title": "Об организации стажировочной площадки на базе {Организация}",
  "clauses": [{"text": "Организовать на базе {Организация} стажировочную площадку."}],
  "signatory": {"position": ["Начальник Управления по образованию"], "name": "Н.В. Бабенко"}}`

// orgTmpl names the issuing organization in a column, so rows can disagree about it.
const orgTmpl = `{"kind": "приказ", "organization": "{Издатель}", "title": "О площадке {Организация}",
  "clauses": [{"text": "Организовать площадку."}],
  "signatory": {"position": ["Начальник"], "name": "Н.В. Бабенко"}}`

// fakeJobs records the jobs the service publishes; fail makes every publish fail.
type fakeJobs struct {
	mu        sync.Mutex
	published []uuid.UUID
	retried   []uuid.UUID
	fail      atomic.Bool
}

func (f *fakeJobs) Publish(ctx context.Context, o *registry.Order, reason string) error {
	if f.fail.Load() {
		return errors.New("queue: no answer")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.published = append(f.published, o.ID)
	return nil
}

func (f *fakeJobs) Retry(o *registry.Order, reason string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.retried = append(f.retried, o.ID)
}

func (f *fakeJobs) take() (published, retried []uuid.UUID) {
	f.mu.Lock()
	defer f.mu.Unlock()
	published, retried = f.published, f.retried
	f.published, f.retried = nil, nil
	return published, retried
}

// testIntake is the intake rule cut to what the service relies on: the caller's
// organization, else the draft's; a letterhead for it; the title as search text.
type testIntake struct{}

func (testIntake) Organization(ctx context.Context, callerOrg string, d *order.Draft, _ map[string]*order.Letterhead) (string, error) {
	org := cmp.Or(callerOrg, d.Organization)
	if org == "" || org == "unknown" {
		return "", order.Problems{{Path: "organization", Message: "нет такой организации"}}
	}
	d.Organization = org
	if d.Letterhead == nil {
		d.Letterhead = &order.Letterhead{Name: "Управление образования " + org}
	}
	return org, nil
}

func (testIntake) SearchText(d *order.Draft) (string, error) { return d.Title, nil }

func (testIntake) Registered(o *registry.Order, number, date string) (registry.Registered, error) {
	d, err := order.Decode(o.Draft)
	if err != nil {
		return registry.Registered{}, err
	}
	d.Number, d.Date = number, date
	data, err := json.Marshal(d)
	return registry.Registered{Draft: data, SearchText: d.Title}, err
}

type env struct {
	t     *testing.T
	store registry.Store
	blobs *fsstore.Store
	jobs  *fakeJobs
	svc   *Service
}

// newEnv is the service on a SQLite registry and a directory document store in
// t.TempDir; wrap, if set, wraps the registry the service uses.
func newEnv(t *testing.T, wrap func(registry.Store) Store) *env {
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
	var store Store = st
	if wrap != nil {
		store = wrap(st)
	}
	e := &env{t: t, store: st, blobs: bs, jobs: &fakeJobs{}}
	e.svc = New(Config{Store: store, Blobs: bs, Jobs: e.jobs, Intake: testIntake{},
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Interval: 10 * time.Millisecond})
	if err := st.PutJournal(t.Context(), &registry.Journal{OrgID: "balashikha", ID: "main", Name: "основной", Format: "{seq}"}); err != nil {
		t.Fatal(err)
	}
	return e
}

// rows is a JSON data file of one row per organization named.
func rows(orgs ...string) []byte {
	var out []map[string]string
	for _, o := range orgs {
		out = append(out, map[string]string{"Организация": o})
	}
	js, _ := json.Marshal(out)
	return js
}

func request(mode batch.Mode, data []byte) Request {
	return Request{Template: []byte(tmpl), Data: data, DataFile: "rows.json", Mode: mode,
		CallerOrg: "balashikha", Actor: "test"}
}

func (e *env) create(req Request) *Created {
	e.t.Helper()
	res, err := e.svc.Create(e.t.Context(), req)
	if err != nil {
		e.t.Fatalf("Create: %v", err)
	}
	return res
}

func (e *env) orders(b *registry.Batch) []*registry.Order {
	e.t.Helper()
	os, err := e.svc.orders(e.t.Context(), b)
	if err != nil {
		e.t.Fatal(err)
	}
	return os
}

// render renders the order as a worker would and records its documents.
func (e *env) render(o *registry.Order) {
	e.t.Helper()
	ctx := e.t.Context()
	full, err := e.store.GetOrder(ctx, o.OrgID, o.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	d, err := order.Decode(full.Draft)
	if err != nil {
		e.t.Fatal(err)
	}
	pdf, docx, err := render.New(layout.Options{}).Render(d, time.Now())
	if err != nil {
		e.t.Fatal(err)
	}
	var out registry.Outputs
	if out.PDFKey, out.PDFSHA256, err = e.blobs.Put(ctx, pdf, "application/pdf"); err != nil {
		e.t.Fatal(err)
	}
	if out.DOCXKey, out.DOCXSHA256, err = e.blobs.Put(ctx, docx, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"); err != nil {
		e.t.Fatal(err)
	}
	out.PDFSize, out.DOCXSize = int64(len(pdf)), int64(len(docx))
	cur, err := e.store.MarkRendering(ctx, o.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.store.MarkRendered(ctx, o.ID, cur.RenderKey(), out); err != nil {
		e.t.Fatal(err)
	}
}

// TestCreate: per_row makes an order per row, one_order one order with the rows in its
// table; each order's id derives from the batch and its row, every order is queued and its
// job published once. The same request again creates nothing and publishes again what is
// still queued.
func TestCreate(t *testing.T) {
	for _, tc := range []struct {
		mode  batch.Mode
		total int
	}{{batch.PerRow, 3}, {batch.OneOrder, 1}} {
		t.Run(tc.mode.String(), func(t *testing.T) {
			e := newEnv(t, nil)
			req := request(tc.mode, rows("МБОУ «СОШ №1»", "МБОУ «СОШ №2»", "МБОУ «СОШ №3»"))
			if tc.mode == batch.OneOrder {
				req.Template = []byte(`{"kind": "приказ", "title": "О стажировочных площадках",
  "clauses": [{"text": "Организовать площадки.", "appendix": "list"}],
  "signatory": {"position": ["Начальник"], "name": "Н.В. Бабенко"},
  "appendices": [{"key": "list", "title": "Перечень площадок",
    "content": [{"table": {"columns": [{"title": "Организация"}], "rows": [["{Организация}"]]}}]}]}`)
			}
			res := e.create(req)
			b := res.Batch
			if res.Replayed || b.Total != tc.total || b.OrgID != "balashikha" || b.ID != BatchID("balashikha", b.Key) || b.Mode != tc.mode.String() {
				t.Fatalf("created %+v (replayed %v)", b, res.Replayed)
			}
			os := e.orders(b)
			published, _ := e.jobs.take()
			if len(os) != tc.total || len(published) != tc.total {
				t.Fatalf("%d orders, %d jobs; want %d", len(os), len(published), tc.total)
			}
			for _, o := range os {
				if o.ID != OrderID(b.ID, o.BatchRow) || o.Status != registry.StatusQueued || !slices.Contains(published, o.ID) {
					t.Errorf("order %+v: id %v, status %s, published %v", o, OrderID(b.ID, o.BatchRow), o.Status, slices.Contains(published, o.ID))
				}
			}
			again := e.create(req)
			if !again.Replayed || again.Batch.ID != b.ID || len(e.orders(b)) != tc.total {
				t.Fatalf("again: %+v", again)
			}
			if published, _ := e.jobs.take(); len(published) != tc.total {
				t.Errorf("again: %d jobs published, want the %d queued orders' again", len(published), tc.total)
			}
		})
	}
}

// TestCreateRefused: what the caller can fix is refused with its kind, and nothing is
// recorded or published.
func TestCreateRefused(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(*Request)
		check func(error) bool
	}{
		{"data not JSON", func(r *Request) { r.Data = []byte(`[{"Организация": `) },
			func(err error) bool { var e *DataError; return errors.As(err, &e) }},
		{"template not JSON", func(r *Request) { r.Template = []byte(`{"title": `) },
			func(err error) bool { var e *TemplateError; return errors.As(err, &e) }},
		{"a bad row", func(r *Request) { r.Data = rows("МБОУ «СОШ №1»", "") },
			func(err error) bool {
				var e *RowsError
				return errors.As(err, &e) && len(e.Problems) > 0 && !e.ValidOnly
			}},
		{"no valid row", func(r *Request) { r.Data, r.ValidOnly = rows(""), true },
			func(err error) bool { var e *RowsError; return errors.As(err, &e) && e.ValidOnly }},
		{"unknown journal", func(r *Request) { r.Journal = "other" },
			func(err error) bool {
				var e *Refused
				return errors.As(err, &e) && len(e.Problems) == 1 && e.Problems[0].Path == "journal"
			}},
		{"unknown organization", func(r *Request) { r.CallerOrg, r.Organization = "", "unknown" },
			func(err error) bool {
				var e *Refused
				return errors.As(err, &e) && strings.HasPrefix(e.Detail, "организация, издающая приказы:")
			}},
		{"two organizations", func(r *Request) {
			r.CallerOrg, r.Template = "", []byte(orgTmpl)
			r.Data = []byte(`[{"Издатель": "balashikha", "Организация": "СОШ №1"}, {"Издатель": "reutov", "Организация": "СОШ №2"}]`)
		}, func(err error) bool {
			var e *Refused
			return errors.As(err, &e) && e.Detail == "в одном пакете приказы издаёт одна организация"
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil)
			req := request(batch.PerRow, rows("МБОУ «СОШ №1»"))
			tc.edit(&req)
			_, err := e.svc.Create(t.Context(), req)
			if !tc.check(err) {
				t.Fatalf("error %T %v", err, err)
			}
			list, _ := e.svc.List(t.Context(), "", 10)
			if published, _ := e.jobs.take(); len(list) > 0 || len(published) > 0 {
				t.Errorf("after a refusal: %d batches, %d jobs", len(list), len(published))
			}
		})
	}
}

// TestCreateValidOnly: with valid_only the bad rows are left out and remembered.
func TestCreateValidOnly(t *testing.T) {
	e := newEnv(t, nil)
	req := request(batch.PerRow, rows("МБОУ «СОШ №1»", "", "МБОУ «СОШ №3»"))
	req.ValidOnly = true
	b := e.create(req).Batch
	sum := SummaryOf(b)
	if b.Total != 2 || sum.Rows != 3 || sum.SkippedTotal == 0 || len(sum.SkippedRows()) != 1 {
		t.Fatalf("batch %+v, summary %+v", b, sum)
	}
	if got := len(e.orders(b)); got != 2 {
		t.Errorf("%d orders, want 2", got)
	}
}

// brokenRegistration inserts a batch to be registered but fails its registration, as a
// database outage inside the transaction would (once: fail), or stores the batch without
// registering it and then fails, as a process dying between the two would (halfway).
type brokenRegistration struct {
	registry.Store
	fail, halfway atomic.Bool
}

var errLost = errors.New("registry: connection lost")

func (f *brokenRegistration) CreateRegisteredBatch(ctx context.Context, b *registry.Batch, orders []*registry.Order, journal, date string,
	build func(*registry.Order, string, int) (registry.Registered, error), audit func(*registry.Order) *registry.AuditEntry) (bool, int, error) {
	switch {
	case f.fail.Load():
		build = func(*registry.Order, string, int) (registry.Registered, error) { return registry.Registered{}, errLost }
	case f.halfway.Swap(false):
		if _, err := f.Store.CreateBatch(ctx, b, orders); err != nil {
			return false, 0, err
		}
		return false, 0, errLost
	}
	return f.Store.CreateRegisteredBatch(ctx, b, orders, journal, date, build, audit)
}

// TestRegistrationAllOrNothing: a batch whose registration fails is not stored at all and
// nothing is published; the same request again registers it with consecutive numbers. A
// batch stored but not registered (the process died) is registered by the request again.
func TestRegistrationAllOrNothing(t *testing.T) {
	var br *brokenRegistration
	e := newEnv(t, func(s registry.Store) Store { br = &brokenRegistration{Store: s}; return br })
	req := request(batch.PerRow, rows("МБОУ «СОШ №1»", "МБОУ «СОШ №2»"))
	req.Journal, req.Date = "main", "2026-03-02"

	br.fail.Store(true)
	if _, err := e.svc.Create(t.Context(), req); !errors.Is(err, errLost) {
		t.Fatalf("failing registration: %v", err)
	}
	list, _ := e.svc.List(t.Context(), "", 10)
	if published, _ := e.jobs.take(); len(list) > 0 || len(published) > 0 {
		t.Fatalf("after a failed registration: %d batches, %d jobs", len(list), len(published))
	}
	br.fail.Store(false)
	checkRegistered := func(b *registry.Batch) {
		t.Helper()
		os := e.orders(b)
		published, _ := e.jobs.take()
		var numbers []string
		for _, o := range os {
			if o.State != registry.StateRegistered || o.Status != registry.StatusQueued || o.Date != "2026-03-02" {
				t.Errorf("order row %d: state %s, status %s, date %s", o.BatchRow, o.State, o.Status, o.Date)
			}
			numbers = append(numbers, o.Number)
		}
		if !slices.Equal(numbers, []string{"1", "2"}) || len(published) != 2 {
			t.Errorf("numbers %q, %d jobs; want 1, 2 and 2 jobs", numbers, len(published))
		}
	}
	checkRegistered(e.create(req).Batch)

	req2 := request(batch.PerRow, rows("МБОУ «СОШ №5»", "МБОУ «СОШ №6»"))
	req2.Journal, req2.Date = "main", "2026-03-03"
	br.halfway.Store(true)
	if _, err := e.svc.Create(t.Context(), req2); !errors.Is(err, errLost) {
		t.Fatalf("halfway: %v", err)
	}
	res := e.create(req2)
	if !res.Replayed {
		t.Fatal("the batch stored halfway was created again")
	}
	os := e.orders(res.Batch)
	if os[0].Number != "3" || os[1].Number != "4" || os[0].State != registry.StateRegistered {
		t.Errorf("finished batch: %q %q %s", os[0].Number, os[1].Number, os[0].State)
	}
}

// TestPublishFailureRetried: a job the queue does not take is handed to Retry, and the
// batch is created all the same (the order is recorded as queued).
func TestPublishFailureRetried(t *testing.T) {
	e := newEnv(t, nil)
	e.jobs.fail.Store(true)
	b := e.create(request(batch.PerRow, rows("МБОУ «СОШ №1»", "МБОУ «СОШ №2»"))).Batch
	if _, retried := e.jobs.take(); len(retried) != 2 || b.Total != 2 {
		t.Errorf("%d jobs retried, want 2", len(retried))
	}
}

// countingStore counts the registry's batch counts.
type countingStore struct {
	registry.Store
	counts atomic.Int64
}

func (c *countingStore) BatchCounts(ctx context.Context, orgID string, id uuid.UUID) (map[registry.Status]int, map[registry.State]int, error) {
	c.counts.Add(1)
	return c.Store.BatchCounts(ctx, orgID, id)
}

func (s *Service) followed() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.shares)
}

// TestFollow: followers of a batch see its progress and a last Done; while several follow,
// they share the counts; when they leave, the service forgets the batch, so following
// many batches one after another leaves nothing behind.
func TestFollow(t *testing.T) {
	var cs *countingStore
	e := newEnv(t, func(s registry.Store) Store { cs = &countingStore{Store: s}; return cs })
	b := e.create(request(batch.PerRow, rows("МБОУ «СОШ №1»", "МБОУ «СОШ №2»"))).Batch

	const followers = 4
	var wg sync.WaitGroup
	lasts := make([]Progress, followers)
	errs := make([]error, followers)
	for i := range followers {
		wg.Go(func() {
			errs[i] = e.svc.Follow(t.Context(), b, func(p Progress) { lasts[i] = p })
		})
	}
	deadline := time.Now().Add(5 * time.Second)
	for e.svc.followed() != 1 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // ten intervals
	if n := e.svc.followed(); n != 1 {
		t.Errorf("%d shares while %d follow one batch, want 1", n, followers)
	}
	for _, o := range e.orders(b) {
		e.render(o)
	}
	wg.Wait()
	for i := range followers {
		if errs[i] != nil || !lasts[i].Done || lasts[i].Rendered != 2 {
			t.Errorf("follower %d: %v, last %+v", i, errs[i], lasts[i])
		}
	}
	// Shared: about one count per interval for all, not one per follower.
	if n := cs.counts.Load(); n > 2*int64(time.Since(deadline.Add(-5*time.Second))/(9*time.Millisecond))+followers {
		t.Errorf("%d counts for %d followers", n, followers)
	}
	if n := e.svc.followed(); n != 0 {
		t.Errorf("%d shares after the batch is done, want 0", n)
	}
	if got, _ := e.svc.Get(t.Context(), "balashikha", b.ID); got.State != registry.BatchDone {
		t.Errorf("state %s after done, want done", got.State)
	}

	// Followers that hang up before the end: forgotten too.
	for i := range 20 {
		bi := e.create(request(batch.PerRow, rows(fmt.Sprintf("МБОУ «СОШ №%d»", 100+i)))).Batch
		ctx, cancel := context.WithTimeout(t.Context(), 15*time.Millisecond)
		if err := e.svc.Follow(ctx, bi, func(Progress) {}); err != nil {
			t.Fatal(err)
		}
		cancel()
	}
	if n := e.svc.followed(); n != 0 {
		t.Errorf("%d shares after 20 followers hung up, want 0", n)
	}
}

// TestFollowRegistryError: a count that fails ends the follow with the error.
func TestFollowRegistryError(t *testing.T) {
	e := newEnv(t, nil)
	b := e.create(request(batch.PerRow, rows("МБОУ «СОШ №1»"))).Batch
	e.store.Close()
	if err := e.svc.Follow(t.Context(), b, func(Progress) {}); err == nil {
		t.Fatal("no error from a closed registry")
	}
	if n := e.svc.followed(); n != 0 {
		t.Errorf("%d shares after the error, want 0", n)
	}
}

// TestCancel: cancelling cancels the orders no worker has started; the batch is done and
// cancelled; a resubmission publishes nothing.
func TestCancel(t *testing.T) {
	e := newEnv(t, nil)
	req := request(batch.PerRow, rows("МБОУ «СОШ №1»", "МБОУ «СОШ №2»", "МБОУ «СОШ №3»"))
	b := e.create(req).Batch
	e.render(e.orders(b)[0])
	e.jobs.take()
	n, b, p, err := e.svc.Cancel(t.Context(), b)
	if err != nil || n != 2 || b.State != registry.BatchCancelled || !p.Done || p.Cancelled != 2 || p.Rendered != 1 {
		t.Fatalf("cancel: %d %v, batch %s, progress %+v", n, err, b.State, p)
	}
	if res := e.create(req); !res.Replayed {
		t.Fatal("resubmission created a batch")
	}
	if published, _ := e.jobs.take(); len(published) != 0 {
		t.Errorf("%d jobs published for a cancelled batch", len(published))
	}
}

// TestResultsZip: result.zip holds the rendered orders' PDF and DOCX named by row and the
// row's organization, and a manifest.csv (BOM, «;», formulas as text) of every order with
// the documents' names and SHA-256.
func TestResultsZip(t *testing.T) {
	e := newEnv(t, nil)
	b := e.create(request(batch.PerRow, rows("МБОУ «СОШ №1»", "=HYPERLINK(\"x\")", "МБОУ «СОШ №3»"))).Batch
	e.render(e.orders(b)[0])
	e.render(e.orders(b)[1])
	os := e.orders(b)
	res, err := e.svc.Results(t.Context(), b)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := res.WriteZip(t.Context(), &buf); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	var names []string
	for _, f := range zr.File {
		rc, _ := f.Open()
		files[f.Name], _ = io.ReadAll(rc)
		rc.Close()
		names = append(names, f.Name)
	}
	row := func(o *registry.Order) string { return fmt.Sprintf("%04d", o.BatchRow) }
	want := []string{row(os[0]) + " МБОУ «СОШ №1».pdf", row(os[0]) + " МБОУ «СОШ №1».docx",
		row(os[1]) + ` =HYPERLINK(_x_).pdf`, row(os[1]) + ` =HYPERLINK(_x_).docx`, "manifest.csv"}
	if !slices.Equal(names, want) {
		t.Fatalf("entries %q, want %q", names, want)
	}
	m := string(files["manifest.csv"])
	lines := strings.Split(strings.TrimSuffix(strings.TrimPrefix(m, "\uFEFF"), "\r\n"), "\r\n")
	if !strings.HasPrefix(m, "\uFEFF") || len(lines) != 4 || !strings.HasPrefix(lines[0], "Строка;Номер;Дата;Заголовок;Организация;Статус;PDF") {
		t.Fatalf("manifest:\n%s", m)
	}
	sum := sha256.Sum256(files[want[0]])
	if !strings.Contains(lines[1], want[0]) || !strings.Contains(lines[1], hex.EncodeToString(sum[:])) {
		t.Errorf("manifest line of row %d without its file and sum: %s", os[0].BatchRow, lines[1])
	}
	if !strings.Contains(lines[2], `'=HYPERLINK`) || strings.Contains(lines[2], `;=HYPERLINK`) {
		t.Errorf("a formula cell is not text: %s", lines[2])
	}
	if !strings.Contains(lines[3], ";"+registry.StatusNames[registry.StatusQueued]+";") || strings.Contains(lines[3], ".pdf") {
		t.Errorf("the unrendered order: %s", lines[3])
	}

	// A document that cannot be read stops the archive with ErrDocument.
	if err := e.blobs.Delete(t.Context(), os[1].PDFKey); err != nil {
		t.Fatal(err)
	}
	if err := res.WriteZip(t.Context(), io.Discard); !errors.Is(err, ErrDocument) {
		t.Errorf("missing document: %v, want ErrDocument", err)
	}
}

// TestMergedPDF: the rendered PDFs merge in row order into one document, from..to picks
// rows; with nothing rendered in the range the error is ErrNothingRendered.
func TestMergedPDF(t *testing.T) {
	e := newEnv(t, nil)
	b := e.create(request(batch.PerRow, rows("МБОУ «СОШ №1»", "МБОУ «СОШ №2»", "МБОУ «СОШ №3»"))).Batch
	os := e.orders(b)
	res, err := e.svc.Results(t.Context(), b)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := res.MergedPDF(t.Context(), 0, 1<<30); !errors.Is(err, ErrNothingRendered) {
		t.Fatalf("nothing rendered: %v", err)
	}
	e.render(os[0])
	e.render(os[2])
	if res, err = e.svc.Results(t.Context(), b); err != nil {
		t.Fatal(err)
	}
	pages := func(from, to int) int {
		t.Helper()
		pdf, err := res.MergedPDF(t.Context(), from, to)
		if err != nil {
			t.Fatal(err)
		}
		n, err := pdfapi.PageCount(bytes.NewReader(pdf), nil)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	one := pages(os[0].BatchRow, os[0].BatchRow)
	if all := pages(0, 1<<30); one < 1 || all != one+pages(os[2].BatchRow, os[2].BatchRow) {
		t.Errorf("pages: all %d, first %d", all, one)
	}
	if _, err := res.MergedPDF(t.Context(), os[1].BatchRow, os[1].BatchRow); !errors.Is(err, ErrNothingRendered) {
		t.Errorf("only an unrendered row: %v", err)
	}
}

// TestFileBase: the names of an order's files in result.zip.
func TestFileBase(t *testing.T) {
	for _, tc := range []struct {
		number, label, want string
		row                 int
	}{
		{"", "МБОУ «СОШ №1»", "0007 МБОУ «СОШ №1»", 7},
		{"42-о", "  школа  \t№ 6 ", "№ 42-о школа № 6", 7},
		{"", "", "0003 balashikha", 3},
		{"", `a/b\c:d*e?f"g<h>i|j`, "0001 a_b_c_d_e_f_g_h_i_j", 1},
		{"", "точка в конце. ", "0001 точка в конце", 1},
		{"", strings.Repeat("я", 200), "0001 " + strings.Repeat("я", 115), 1},
		// The one order of a one_order batch (row 0) is named by itself, not «0000 balashikha».
		{"", "", "Приказ «Об организации работы площадок»", 0},
		{"15-о", "", "№ 15-о «Об организации работы площадок»", 0},
	} {
		o := &registry.Order{Number: tc.number, OrgID: "balashikha", BatchRow: tc.row, Kind: "приказ", Title: "Об организации работы площадок"}
		if got := fileBase(o, tc.label); got != tc.want {
			t.Errorf("fileBase(%q, %q) = %q, want %q", tc.number, tc.label, got, tc.want)
		}
	}
}

// TestOrgColumn: the column naming each row's organization is recognised by its header.
func TestOrgColumn(t *testing.T) {
	for _, tc := range []struct {
		cols []string
		want string
	}{
		{[]string{"ФИО", "Образовательная организация"}, "Образовательная организация"},
		{[]string{"Учреждение"}, "Учреждение"},
		{[]string{"ФИО", "ОО"}, "ОО"},
		{[]string{"Школа"}, "Школа"},
		{[]string{"ФИО", "Должность"}, ""},
	} {
		if got := orgColumn(tc.cols); got != tc.want {
			t.Errorf("orgColumn(%q) = %q, want %q", tc.cols, got, tc.want)
		}
	}
}

// TestBatchKey: the key changes with everything that makes a batch another one.
func TestBatchKey(t *testing.T) {
	base := batchKey(batch.PerRow, []string{"a", "b"}, "", "")
	for name, k := range map[string]string{
		"mode":    batchKey(batch.OneOrder, []string{"a", "b"}, "", ""),
		"order":   batchKey(batch.PerRow, []string{"b", "a"}, "", ""),
		"journal": batchKey(batch.PerRow, []string{"a", "b"}, "main", ""),
		"date":    batchKey(batch.PerRow, []string{"a", "b"}, "main", "2026-01-01"),
		"split":   batchKey(batch.PerRow, []string{"ab"}, "", ""),
	} {
		if k == base {
			t.Errorf("%s does not change the key", name)
		}
	}
	if batchKey(batch.PerRow, []string{"a", "b"}, "", "") != base {
		t.Error("the key is not stable")
	}
}

// TestNamedTemplate: a shipped template is found by its name; anything else, a path
// included, is not.
func TestNamedTemplate(t *testing.T) {
	if !slices.Contains(TemplateNames(), "platforms-yearly") {
		t.Fatalf("TemplateNames() = %q", TemplateNames())
	}
	for name, want := range map[string]bool{"platforms-yearly": true, "platforms": false, "../orders/platforms-yearly": false,
		"Platforms-yearly": false, "": false, "platforms-yearly.json": false} {
		tmpl, ok := NamedTemplate(name)
		if ok != want || ok && !json.Valid(tmpl) {
			t.Errorf("NamedTemplate(%q): %v, want %v", name, ok, want)
		}
	}
}

// TestFollowKeepAlive: while nothing changes, the progress is sent again only every
// KeepAlive, not every interval.
func TestFollowKeepAlive(t *testing.T) {
	e := newEnv(t, nil)
	b := e.create(request(batch.PerRow, rows("МБОУ «СОШ №1»"))).Batch
	for _, tc := range []struct {
		keepAlive time.Duration
		min, max  int
	}{{time.Hour, 1, 1}, {40 * time.Millisecond, 2, 8}} {
		svc := New(Config{Store: e.svc.cfg.Store, Blobs: e.blobs, Jobs: e.jobs, Intake: testIntake{},
			Interval: 5 * time.Millisecond, KeepAlive: tc.keepAlive})
		ctx, cancel := context.WithTimeout(t.Context(), 250*time.Millisecond)
		sent := 0
		if err := svc.Follow(ctx, b, func(p Progress) {
			if p.Queued != 1 || p.Done {
				t.Errorf("progress %+v", p)
			}
			sent++
		}); err != nil {
			t.Fatal(err)
		}
		cancel()
		if sent < tc.min || sent > tc.max {
			t.Errorf("keep-alive %v: %d sent in 250 ms, want %d to %d", tc.keepAlive, sent, tc.min, tc.max)
		}
	}
}

// TestResultsZipOneOrder: the one order of a one_order batch is named in result.zip and its
// manifest by its kind and title, and its row is «все», not «0000 balashikha».
func TestResultsZipOneOrder(t *testing.T) {
	e := newEnv(t, nil)
	req := request(batch.OneOrder, rows("МБОУ «СОШ №1»", "МБОУ «СОШ №2»"))
	req.Template = []byte(`{"kind": "приказ", "title": "О стажировочных площадках",
  "clauses": [{"text": "Организовать площадки.", "appendix": "list"}],
  "signatory": {"position": ["Начальник"], "name": "Н.В. Бабенко"},
  "appendices": [{"key": "list", "title": "Перечень площадок",
    "content": [{"table": {"columns": [{"title": "Организация"}], "rows": [["{Организация}"]]}}]}]}`)
	b := e.create(req).Batch
	e.render(e.orders(b)[0])
	res, err := e.svc.Results(t.Context(), b)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := res.WriteZip(t.Context(), &buf); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	var manifest []byte
	for _, f := range zr.File {
		names = append(names, f.Name)
		if f.Name == "manifest.csv" {
			rc, _ := f.Open()
			manifest, _ = io.ReadAll(rc)
			rc.Close()
		}
	}
	want := []string{"Приказ «О стажировочных площадках».pdf", "Приказ «О стажировочных площадках».docx", "manifest.csv"}
	if !slices.Equal(names, want) {
		t.Errorf("entries %q, want %q", names, want)
	}
	lines := strings.Split(string(manifest), "\r\n")
	if len(lines) < 2 || !strings.HasPrefix(lines[1], "все;") || strings.Contains(string(manifest), "balashikha") {
		t.Errorf("manifest:\n%s", manifest)
	}
}
