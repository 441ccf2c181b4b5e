package api

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"orders/internal/auth"
	"orders/internal/blob/fsstore"
	"orders/internal/queue"
	"orders/internal/registry"
	"orders/internal/registry/sqlite"
)

// TestJournalUpdateAllOrNothing: PUT /journals/{id} with a new format and a start below a
// number already issued is refused and changes nothing (issue 12 §2: it answered 409 yet
// kept the new format, and the next order was numbered «3355-ZZ»; with several years some
// applied).
func TestJournalUpdateAllOrNothing(t *testing.T) {
	ms := newMsgServer(t)
	if code, p, _ := ms.do(roleHead, "PUT", "/api/v1/journals/main", map[string]any{"name": "по основной деятельности", "format": "{seq}-о",
		"starts": map[string]int{"2026": 3354}}); code != 200 {
		t.Fatalf("PUT journal: %d %s", code, p.Detail)
	}
	register := func() string {
		t.Helper()
		code, _, body := ms.do(roleClerk, "POST", "/api/v1/orders", exampleDraft(t))
		if code != http.StatusAccepted {
			t.Fatalf("POST /orders: %d %s", code, body)
		}
		var created struct{ ID string }
		json.Unmarshal(body, &created)
		code, p, body := ms.do(roleHead, "POST", "/api/v1/orders/"+created.ID+"/register", map[string]any{"journal": "main", "date": "2026-03-02"})
		if code != http.StatusOK {
			t.Fatalf("register: %d %s", code, p.Detail)
		}
		var o orderView
		json.Unmarshal(body, &o)
		return o.Number
	}
	if n := register(); n != "3354-о" {
		t.Fatalf("first number %q, want 3354-о", n)
	}
	journal := func() []byte {
		t.Helper()
		_, _, body := ms.do(roleHead, "GET", "/api/v1/journals", nil)
		return body
	}
	before := journal()

	code, p, _ := ms.do(roleHead, "PUT", "/api/v1/journals/main", map[string]any{"name": "другое", "format": "{seq}-ZZ",
		"starts": map[string]int{"2025": 10, "2026": 3, "2027": 7}})
	if code != http.StatusConflict || !strings.Contains(p.Detail, "starts.2026: в 2026 году уже выдан номер 3354") {
		t.Errorf("PUT with a start below an issued number: %d %q, want 409 naming starts.2026", code, p.Detail)
	}
	if after := journal(); string(after) != string(before) {
		t.Errorf("a refused update changed the journal:\nbefore %s\nafter  %s", before, after)
	}
	if n := register(); n != "3355-о" {
		t.Errorf("next number after a refused update = %q, want 3355-о", n)
	}

	code, p, _ = ms.do(roleHead, "PUT", "/api/v1/journals/main", map[string]any{"name": "по основной деятельности", "format": "{seq}-о",
		"starts": map[string]int{"2026": 4000, "2027": 7}})
	if code != http.StatusOK {
		t.Fatalf("accepted update: %d %s", code, p.Detail)
	}
	if n := register(); n != "4000-о" {
		t.Errorf("number after an accepted start of 4000 = %q", n)
	}
}

// faultServer is msgServer on a registry and a queue the test may wrap.
func newFaultServer(t *testing.T, wrap func(registry.Store) registry.Store, q Publisher) *msgServer {
	t.Helper()
	dir := t.TempDir()
	store, err := sqlite.Open(context.Background(), filepath.Join(dir, "registry.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return newFaultServerOn(t, dir, store, wrap, q)
}

// newFaultServerOn is msgServer on store, with its documents under dir.
func newFaultServerOn(t *testing.T, dir string, store registry.Store, wrap func(registry.Store) registry.Store, q Publisher) *msgServer {
	t.Helper()
	ctx := context.Background()
	blobs, err := fsstore.New(filepath.Join(dir, "documents"))
	if err != nil {
		t.Fatal(err)
	}
	var st registry.Store = store
	if wrap != nil {
		st = wrap(store)
	}
	if q == nil {
		q = &fakeQueue{}
	}
	s := New(Config{Store: st, Blobs: blobs, Queue: q, SecretKey: make([]byte, 32),
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ms := &msgServer{t: t, h: s.Handler(), tokens: map[string]string{}}
	for _, role := range []string{roleAdmin, roleClerk, roleHead} {
		secret, err := auth.NewSecret()
		if err != nil {
			t.Fatal(err)
		}
		org := "balashikha"
		if role == roleAdmin {
			org = ""
		}
		if err := store.CreateToken(ctx, &registry.Token{Hash: auth.HashToken(secret), Role: role, OrgID: org}); err != nil {
			t.Fatal(err)
		}
		ms.tokens[role] = secret
	}
	return ms
}

// recQueue records the jobs enqueued and published.
type recQueue struct {
	mu   sync.Mutex
	jobs []uuid.UUID
}

func (q *recQueue) Publish(_ context.Context, j queue.Job, _ string) (bool, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.jobs = append(q.jobs, j.OrderID)
	return false, nil
}
func (q *recQueue) Enqueue(j queue.Job, id string) error {
	_, err := q.Publish(context.Background(), j, id)
	return err
}
func (q *recQueue) Depth(context.Context) (uint64, error) { return 0, nil }
func (q *recQueue) count() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.jobs)
}

// failingRegistration makes a batch's registration fail while fail is set, as a database
// outage between the batch's insert and its registration would: RegisterBatch fails, and
// the build of CreateRegisteredBatch fails inside its transaction.
type failingRegistration struct {
	registry.Store
	fail atomic.Bool
}

var errLost = errors.New("registry: connection lost")

func (f *failingRegistration) RegisterBatch(ctx context.Context, orgID string, id uuid.UUID, journal, date string,
	build func(*registry.Order, string, int) (registry.Registered, error), audit func(*registry.Order) *registry.AuditEntry) (int, error) {
	if f.fail.Load() {
		return 0, errLost
	}
	return f.Store.RegisterBatch(ctx, orgID, id, journal, date, build, audit)
}

func (f *failingRegistration) CreateRegisteredBatch(ctx context.Context, b *registry.Batch, orders []*registry.Order, journal, date string,
	build func(*registry.Order, string, int) (registry.Registered, error), audit func(*registry.Order) *registry.AuditEntry) (bool, int, error) {
	if f.fail.Load() {
		build = func(*registry.Order, string, int) (registry.Registered, error) { return registry.Registered{}, errLost }
	}
	return f.Store.CreateRegisteredBatch(ctx, b, orders, journal, date, build, audit)
}

const faultBatchTemplate = `{"kind": "приказ", "title": "Об организации стажировочной площадки на базе {Организация}",
  "clauses": [{"text": "Организовать на базе {Организация} стажировочную площадку."}],
  "signatory": {"position": ["Начальник Управления по образованию"], "name": "Н.В. Бабенко"}}`

// TestBatchRegistrationAllOrNothing: a batch to be registered whose registration fails is
// not stored at all — before, its orders were left queued as drafts, which the sweeper then
// rendered as «ПРОЕКТ» although the request had failed. The same request again issues it.
func TestBatchRegistrationAllOrNothing(t *testing.T) {
	var fs *failingRegistration
	q := &recQueue{}
	ms := newFaultServer(t, func(s registry.Store) registry.Store { fs = &failingRegistration{Store: s}; return fs }, q)
	if code, _, body := ms.do(roleAdmin, "PUT", "/api/v1/organizations/balashikha", exampleDraft(t)["letterhead"]); code != http.StatusOK {
		t.Fatalf("organization: %d %s", code, body)
	}
	if code, p, _ := ms.do(roleHead, "PUT", "/api/v1/journals/main", map[string]any{"name": "основной", "format": "{seq}"}); code != 200 {
		t.Fatalf("journal: %d %s", code, p.Detail)
	}
	body := map[string]any{"template": json.RawMessage(faultBatchTemplate), "mode": "per_row", "journal": "main", "date": "2026-03-02",
		"rows": []map[string]string{{"Организация": "МБОУ «СОШ №1»"}, {"Организация": "МБОУ «СОШ №2»"}}}
	fs.fail.Store(true)
	if code, _, resp := ms.do(roleHead, "POST", "/api/v1/batches", body); code < 500 {
		t.Fatalf("batch with a failing registration: %d %s, want a 5xx", code, resp)
	}
	_, _, batches := ms.do(roleHead, "GET", "/api/v1/batches", nil)
	_, _, list := ms.do(roleHead, "GET", "/api/v1/orders", nil)
	if strings.Contains(string(batches), `"id"`) || strings.Contains(string(list), `"id"`) || q.count() > 0 {
		t.Errorf("after a failed registration something is stored:\nbatches %s\norders %s\n%d jobs", batches, list, q.count())
	}
	fs.fail.Store(false)
	code, _, resp := ms.do(roleHead, "POST", "/api/v1/batches", body)
	if code != http.StatusAccepted {
		t.Fatalf("the same batch again: %d %s", code, resp)
	}
	_, _, list = ms.do(roleHead, "GET", "/api/v1/orders?state=registered&status=queued", nil)
	var page struct{ Orders []orderView }
	json.Unmarshal(list, &page)
	if len(page.Orders) != 2 || q.count() != 2 {
		t.Errorf("after the retry: %d registered queued orders, %d jobs; want 2 and 2: %s", len(page.Orders), q.count(), list)
	}
	numbers := map[string]bool{}
	for _, o := range page.Orders {
		numbers[o.Number] = true
	}
	if !numbers["1"] || !numbers["2"] {
		t.Errorf("numbers %v, want 1 and 2: the failure took none", numbers)
	}
}

// TestRegisterRetryWithIdempotencyKey: a register repeated with the same Idempotency-Key
// (its first answer lost) gets the order with its number; another key, or none, is 409.
func TestRegisterRetryWithIdempotencyKey(t *testing.T) {
	ms := newMsgServer(t)
	if code, p, _ := ms.do(roleHead, "PUT", "/api/v1/journals/main", map[string]any{"name": "основной", "format": "{seq}-о"}); code != 200 {
		t.Fatalf("journal: %d %s", code, p.Detail)
	}
	code, _, body := ms.do(roleClerk, "POST", "/api/v1/orders", exampleDraft(t))
	if code != http.StatusAccepted {
		t.Fatalf("POST /orders: %d %s", code, body)
	}
	var created struct{ ID string }
	json.Unmarshal(body, &created)
	path := "/api/v1/orders/" + created.ID + "/register"
	registerWith := func(key string) (int, http.Header, orderView, Problem) {
		t.Helper()
		req := httptest.NewRequest("POST", path, strings.NewReader(`{"journal":"main","date":"2026-03-02"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+ms.tokens[roleHead])
		if key != "" {
			req.Header.Set("Idempotency-Key", key)
		}
		rec := httptest.NewRecorder()
		ms.h.ServeHTTP(rec, req)
		var o orderView
		var p Problem
		json.Unmarshal(rec.Body.Bytes(), &o)
		json.Unmarshal(rec.Body.Bytes(), &p)
		return rec.Code, rec.Header(), o, p
	}
	code, h, first, _ := registerWith("reg-7f3a")
	if code != http.StatusOK || first.Number != "1-о" || h.Get("Idempotent-Replayed") != "" {
		t.Fatalf("first register: %d %q replayed=%q", code, first.Number, h.Get("Idempotent-Replayed"))
	}
	code, h, again, _ := registerWith("reg-7f3a")
	if code != http.StatusOK || again.Number != first.Number || again.State != registry.StateRegistered || h.Get("Idempotent-Replayed") != "true" {
		t.Errorf("the same key again: %d number %q state %s replayed=%q; want 200 with number %q and Idempotent-Replayed: true",
			code, again.Number, again.State, h.Get("Idempotent-Replayed"), first.Number)
	}
	// The same key with another date or journal is not a repeat of that request.
	for _, body := range []string{`{"journal":"main","date":"2026-03-03"}`, `{"journal":"other","date":"2026-03-02"}`} {
		req := httptest.NewRequest("POST", path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+ms.tokens[roleHead])
		req.Header.Set("Idempotency-Key", "reg-7f3a")
		rec := httptest.NewRecorder()
		ms.h.ServeHTTP(rec, req)
		if rec.Code != http.StatusConflict || rec.Header().Get("Idempotent-Replayed") != "" || !strings.Contains(rec.Body.String(), "Idempotency-Key") {
			t.Errorf("the same key with %s: %d %s, want 409 naming the key", body, rec.Code, rec.Body)
		}
	}
	for _, key := range []string{"another", ""} {
		code, _, _, p := registerWith(key)
		if code != http.StatusConflict || !strings.Contains(p.Detail, "он зарегистрирован") {
			t.Errorf("register with key %q: %d %q, want 409", key, code, p.Detail)
		}
	}
	if code, _, _, p := registerWith(strings.Repeat("k", 201)); code != http.StatusBadRequest || !strings.Contains(p.Detail, "Idempotency-Key") {
		t.Errorf("a key too long: %d %q, want 400 naming Idempotency-Key", code, p.Detail)
	}
}

// doRaw sends a request with the role's token and returns the recorder.
func (ms *msgServer) doRaw(role, method, path, body string) *httptest.ResponseRecorder {
	ms.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if tok := ms.tokens[role]; tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	rec := httptest.NewRecorder()
	ms.h.ServeHTTP(rec, req)
	return rec
}

// wantUnavailable checks a 503 problem in Russian with Retry-After.
func wantUnavailable(t *testing.T, what string, rec *httptest.ResponseRecorder) {
	t.Helper()
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("%s: %d %s, want 503", what, rec.Code, rec.Body)
		return
	}
	if rec.Header().Get("Retry-After") == "" {
		t.Errorf("%s: 503 without Retry-After", what)
	}
	var p Problem
	if rec.Header().Get("Content-Type") != problemType || json.Unmarshal(rec.Body.Bytes(), &p) != nil {
		t.Errorf("%s: not problem+json: %s %s", what, rec.Header().Get("Content-Type"), rec.Body)
	}
	if !strings.Contains(p.Detail, "временно недоступен") || english.MatchString(p.Detail) {
		t.Errorf("%s: detail %q, want it to say in Russian that the registry is unavailable", what, p.Detail)
	}
}

// TestSQLiteBusyAnswers503: a write that cannot get the database's write lock within the busy
// timeout (another process holds it) is a 503 with Retry-After, not a 500 «internal error».
func TestSQLiteBusyAnswers503(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "registry.db")
	store, err := sqlite.Open(context.Background(), "file:"+file+"?_busy_timeout=200")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	ms := newFaultServerOn(t, dir, store, nil, nil)
	if code, _, body := ms.do(roleAdmin, "PUT", "/api/v1/organizations/balashikha", exampleDraft(t)["letterhead"]); code != http.StatusOK {
		t.Fatalf("organization: %d %s", code, body)
	}
	// Another process holds the write lock.
	other, err := sql.Open("sqlite", file)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	draft, _ := json.Marshal(exampleDraft(t))
	wantUnavailable(t, "POST /orders while the database is locked", ms.doRaw(roleClerk, "POST", "/api/v1/orders", string(draft)))
	conn.ExecContext(context.Background(), "ROLLBACK")
	if rec := ms.doRaw(roleClerk, "POST", "/api/v1/orders", string(draft)); rec.Code != http.StatusAccepted {
		t.Errorf("POST /orders after the lock is released: %d %s", rec.Code, rec.Body)
	}
}

// TestClosedRegistryAnswers503: with the registry gone, a request with a token not seen
// before fails at the token lookup — also a 503, not a 500.
func TestClosedRegistryAnswers503(t *testing.T) {
	dir := t.TempDir()
	store, err := sqlite.Open(context.Background(), filepath.Join(dir, "registry.db"))
	if err != nil {
		t.Fatal(err)
	}
	ms := newFaultServerOn(t, dir, store, nil, nil)
	store.Close()
	wantUnavailable(t, "token lookup on a closed registry", ms.doRaw(roleClerk, "GET", "/api/v1/orders", ""))
}

// leakyStore fails Ping as PostgreSQL's driver does, naming user, host and database.
type leakyStore struct{ registry.Store }

func (leakyStore) Ping(context.Context) error {
	return errors.New(`failed to connect to user=orders_owner database=orders_prod: 10.0.3.7:5432 (db-primary.internal): dial error`)
}

// TestReadyzConcurrentAndDiscreet: readiness checks run side by side, so a part that hangs
// does not use up the others' time (they stay "ok"), and the public answer does not carry a
// database's user, host or name.
func TestReadyzConcurrentAndDiscreet(t *testing.T) {
	const readyTimeout = 300 * time.Millisecond
	dir := t.TempDir()
	store, err := sqlite.Open(context.Background(), filepath.Join(dir, "registry.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	blobs, err := fsstore.New(filepath.Join(dir, "documents"))
	if err != nil {
		t.Fatal(err)
	}
	// Parts that answer at once but only while their context lives, as a real ping does.
	checks := map[string]func(context.Context) error{"hangs": func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }}
	for _, name := range []string{"a", "b", "c", "d", "e"} {
		checks[name] = func(ctx context.Context) error { return ctx.Err() }
	}
	s := New(Config{Store: store, Blobs: blobs, Queue: &fakeQueue{}, SecretKey: make([]byte, 32), Checks: checks, ReadyTimeout: readyTimeout,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	for range 3 { // the parts' order is random: three rounds catch a sequential check
		start := time.Now()
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
		var got map[string]string
		json.Unmarshal(rec.Body.Bytes(), &got)
		if rec.Code != http.StatusServiceUnavailable || got["hangs"] == "ok" {
			t.Errorf("readyz with a hanging part: %d %v, want 503 naming it", rec.Code, got)
		}
		for _, name := range []string{"database", "store", "queue", "a", "b", "c", "d", "e"} {
			if got[name] != "ok" {
				t.Errorf("readyz: %s = %q while another part hangs, want ok", name, got[name])
			}
		}
		if took := time.Since(start); took > 2*readyTimeout {
			t.Errorf("readyz took %v, want about %v (parts checked side by side)", took, readyTimeout)
		}
	}

	s = New(Config{Store: leakyStore{store}, Blobs: blobs, Queue: &fakeQueue{}, SecretKey: make([]byte, 32),
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("readyz with the database down: %d", rec.Code)
	}
	for _, secret := range []string{"orders_owner", "orders_prod", "10.0.3.7", "db-primary"} {
		if strings.Contains(rec.Body.String(), secret) {
			t.Errorf("readyz tells an unauthenticated caller %q: %s", secret, rec.Body)
		}
	}
}

// flakyQueue refuses every Enqueue and fails the first n publishes of each job, as a queue
// in a leader election does for a moment.
type flakyQueue struct {
	mu        sync.Mutex
	n         int
	calls     map[string]int
	published map[uuid.UUID]time.Time
}

func (q *flakyQueue) Publish(_ context.Context, j queue.Job, id string) (bool, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.calls[id]++
	if q.calls[id] <= q.n {
		return false, errors.New("nats: no responders available for request")
	}
	q.published[j.OrderID] = time.Now()
	return false, nil
}
func (q *flakyQueue) Enqueue(queue.Job, string) error {
	return errors.New("nats: no responders available for request")
}
func (q *flakyQueue) Depth(context.Context) (uint64, error) { return 0, nil }

// TestFailedPublishIsRetriedPromptly: an accepted order whose job could not be published is
// published again within seconds, without the sweeper (issue 12 §4: after a NATS leader
// change 742 accepted orders waited 2 min 15 s).
func TestFailedPublishIsRetriedPromptly(t *testing.T) {
	q := &flakyQueue{n: 3, calls: map[string]int{}, published: map[uuid.UUID]time.Time{}}
	ms := newFaultServer(t, nil, q)
	if code, _, body := ms.do(roleAdmin, "PUT", "/api/v1/organizations/balashikha", exampleDraft(t)["letterhead"]); code != http.StatusOK {
		t.Fatalf("organization: %d %s", code, body)
	}
	start := time.Now()
	code, _, body := ms.do(roleClerk, "POST", "/api/v1/orders", exampleDraft(t))
	if code != http.StatusAccepted {
		t.Fatalf("POST /orders: %d %s", code, body)
	}
	var created struct{ ID uuid.UUID }
	if err := json.Unmarshal(body, &created); err != nil {
		t.Fatalf("POST /orders answer: %v: %s", err, body)
	}
	for time.Since(start) < 3*time.Second {
		q.mu.Lock()
		at, ok := q.published[created.ID]
		q.mu.Unlock()
		if ok {
			took := at.Sub(start)
			t.Logf("published %v after the order was accepted", took)
			if took > 2500*time.Millisecond {
				t.Errorf("the job was published %v after the order was accepted, want within about 2 s", took)
			}
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("the job of an accepted order was not published within 3 s (left to the sweeper)")
}

// meddlingStore runs meddle once, right after putSigning reads the organization: an
// administrator's change landing between that read and the write.
type meddlingStore struct {
	registry.Store
	meddle func()
}

func (m *meddlingStore) GetOrganization(ctx context.Context, id string) (*registry.Organization, error) {
	org, err := m.Store.GetOrganization(ctx, id)
	if f := m.meddle; f != nil {
		m.meddle = nil
		f()
	}
	return org, err
}

// TestSigningUploadWritesOnlySigning: PUT /organizations/{id}/signing writes the signing
// material alone; before, it wrote back the whole organization as read, undoing a profile
// stored meanwhile and bringing back an organization deleted meanwhile.
func TestSigningUploadWritesOnlySigning(t *testing.T) {
	var ms2 *meddlingStore
	ms := newFaultServer(t, func(s registry.Store) registry.Store { ms2 = &meddlingStore{Store: s}; return ms2 }, nil)
	lh := exampleDraft(t)["letterhead"].(map[string]any)
	if code, _, body := ms.do(roleAdmin, "PUT", "/api/v1/organizations/balashikha", lh); code != http.StatusOK {
		t.Fatalf("organization: %d %s", code, body)
	}
	upload := map[string]any{"data": p12(t, "секрет"), "password": "секрет"}

	renamed := map[string]any{}
	for k, v := range lh {
		renamed[k] = v
	}
	renamed["name"] = "Управление образования (новое имя)"
	ms2.meddle = func() {
		if code, _, body := ms.do(roleAdmin, "PUT", "/api/v1/organizations/balashikha", renamed); code != http.StatusOK {
			t.Errorf("concurrent profile change: %d %s", code, body)
		}
	}
	if code, p, _ := ms.do(roleAdmin, "PUT", "/api/v1/organizations/balashikha/signing", upload); code != http.StatusOK {
		t.Fatalf("signing upload: %d %s", code, p.Detail)
	}
	_, _, body := ms.do(roleAdmin, "GET", "/api/v1/organizations/balashikha", nil)
	if !strings.Contains(string(body), "новое имя") {
		t.Errorf("the profile stored meanwhile was undone by the signing upload: %s", body)
	}

	ms2.meddle = func() {
		if code, _, body := ms.do(roleAdmin, "DELETE", "/api/v1/organizations/balashikha", nil); code != http.StatusNoContent {
			t.Errorf("concurrent delete: %d %s", code, body)
		}
	}
	if code, _, _ := ms.do(roleAdmin, "PUT", "/api/v1/organizations/balashikha/signing", upload); code != http.StatusNotFound {
		t.Errorf("signing upload for an organization deleted meanwhile: %d, want 404", code)
	}
	if code, _, body := ms.do(roleAdmin, "GET", "/api/v1/organizations/balashikha", nil); code != http.StatusNotFound {
		t.Errorf("the deleted organization is back: %d %s", code, body)
	}
}
