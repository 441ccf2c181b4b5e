package api

import (
	"context"
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
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(dir, "registry.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	blobs, err := fsstore.New(filepath.Join(dir, "documents"))
	if err != nil {
		t.Fatal(err)
	}
	var st registry.Store = store
	if wrap != nil {
		st = wrap(store)
	}
	if q == nil {
		q = msgQueue{}
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

// failingRegisterBatch fails RegisterBatch while fail is set, as a database outage between
// the batch's insert and its registration would.
type failingRegisterBatch struct {
	registry.Store
	fail atomic.Bool
}

func (f *failingRegisterBatch) RegisterBatch(ctx context.Context, orgID string, id uuid.UUID, journal, date string,
	build func(*registry.Order, string, int) (registry.Registered, error), audit func(*registry.Order) *registry.AuditEntry) (int, error) {
	if f.fail.Load() {
		return 0, errors.New("registry: connection lost")
	}
	return f.Store.RegisterBatch(ctx, orgID, id, journal, date, build, audit)
}

const faultBatchTemplate = `{"kind": "приказ", "title": "Об организации стажировочной площадки на базе {Организация}",
  "clauses": [{"text": "Организовать на базе {Организация} стажировочную площадку."}],
  "signatory": {"position": ["Начальник Управления по образованию"], "name": "Н.В. Бабенко"}}`

// TestBatchRegistrationFailureRendersNoDraft: a batch to be registered whose registration
// fails after its orders were stored must not leave them queued: the sweeper would render
// them as drafts («ПРОЕКТ») although the request failed. They wait as drafts, and the same
// request again registers and queues them.
func TestBatchRegistrationFailureRendersNoDraft(t *testing.T) {
	var fs *failingRegisterBatch
	q := &recQueue{}
	ms := newFaultServer(t, func(s registry.Store) registry.Store { fs = &failingRegisterBatch{Store: s}; return fs }, q)
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
	_, _, list := ms.do(roleHead, "GET", "/api/v1/orders?status=queued", nil)
	if strings.Contains(string(list), `"id"`) || q.count() > 0 {
		t.Errorf("after a failed registration orders are queued (the sweeper renders them as drafts): %s; %d jobs", list, q.count())
	}
	fs.fail.Store(false)
	code, _, resp := ms.do(roleHead, "POST", "/api/v1/batches", body)
	if code != http.StatusOK {
		t.Fatalf("the same batch again: %d %s", code, resp)
	}
	_, _, list = ms.do(roleHead, "GET", "/api/v1/orders?state=registered&status=queued", nil)
	var page struct{ Orders []orderView }
	json.Unmarshal(list, &page)
	if len(page.Orders) != 2 || q.count() != 2 {
		t.Errorf("after the retry: %d registered queued orders, %d jobs; want 2 and 2: %s", len(page.Orders), q.count(), list)
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
