package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"orders/internal/auth"
	"orders/internal/blob"
	"orders/internal/blob/fsstore"
	"orders/internal/registry"
	"orders/internal/registry/sqlite"
	"orders/internal/render"
	"orders/internal/sign"
)

// harness is a Server on a SQLite registry and a directory document store, as the
// one-machine deployment runs it, without queue and workers.
type harness struct {
	t       testing.TB
	store   registry.Store
	blobs   *fsstore.Store
	server  *Server
	metrics *prometheus.Registry
	tokens  map[string]string // "org/role" → secret
}

// harnessOptions changes what newHarness builds.
type harnessOptions struct {
	dsnQuery string                              // appended to the registry's file name
	store    func(registry.Store) registry.Store // wraps the registry the server uses
	blobs    func(*fsstore.Store) blob.Store     // wraps the document store the server uses
	log      *slog.Logger                        // default: discard
	dir      string                              // default: t.TempDir()
	renderer *render.Renderer                    // default: ГОСТ page options
	queue    Publisher                           // default: a fakeQueue
	maxBody  int64                               // default: DefaultMaxBody
	verifier *sign.Verifier                      // default: mathematics only
}

func newHarness(t testing.TB, opt harnessOptions) *harness {
	t.Helper()
	dir := opt.dir
	if dir == "" {
		dir = t.TempDir()
	}
	st, err := sqlite.Open(t.Context(), filepath.Join(dir, "registry.db")+opt.dsnQuery)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	bs, err := fsstore.New(filepath.Join(dir, "docs"))
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, store: st, blobs: bs, metrics: prometheus.NewRegistry(), tokens: map[string]string{}}
	var store registry.Store = st
	if opt.store != nil {
		store = opt.store(st)
	}
	var blobs blob.Store = bs
	if opt.blobs != nil {
		blobs = opt.blobs(bs)
	}
	log := opt.log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	q := opt.queue
	if q == nil {
		q = &fakeQueue{}
	}
	h.server = New(Config{Store: store, Blobs: blobs, Queue: q, Log: log, Metrics: h.metrics,
		SecretKey: make([]byte, 32), Renderer: opt.renderer, MaxBody: opt.maxBody, Verifier: opt.verifier})
	return h
}

// token returns (creating once) a token of role for org ("" for an admin).
func (h *harness) token(org, role string) string {
	h.t.Helper()
	k := org + "/" + role
	if tok, ok := h.tokens[k]; ok {
		return tok
	}
	secret := "test-" + strings.ReplaceAll(k, "/", "-")
	if err := h.store.CreateToken(h.t.Context(), &registry.Token{Hash: auth.HashToken(secret), Role: role, OrgID: org,
		Name: role + " " + org}); err != nil {
		h.t.Fatal(err)
	}
	h.tokens[k] = secret
	return secret
}

// do serves one request in process.
func (h *harness) do(ctx context.Context, method, path, token string, body io.Reader, ctype string) *httptest.ResponseRecorder {
	h.t.Helper()
	req := httptest.NewRequestWithContext(ctx, method, path, body)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	rec := httptest.NewRecorder()
	h.server.Handler().ServeHTTP(rec, req)
	return rec
}

// integrityFailures reads orders_document_integrity_failures_total.
func (h *harness) integrityFailures() float64 {
	h.t.Helper()
	mfs, err := h.metrics.Gather()
	if err != nil {
		h.t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "orders_document_integrity_failures_total" {
			var m *dto.Metric = mf.GetMetric()[0]
			return m.GetCounter().GetValue()
		}
	}
	h.t.Fatal("no orders_document_integrity_failures_total")
	return 0
}

// put stores data and returns what the registry records of it.
func (h *harness) put(data []byte) registry.SignedDocument {
	h.t.Helper()
	key, sum, err := h.blobs.Put(h.t.Context(), data, "application/octet-stream")
	if err != nil {
		h.t.Fatal(err)
	}
	return registry.SignedDocument{Key: key, SHA256: sum, Size: int64(len(data))}
}

// signedOrder makes a signed order the quick way, through the registry: the PDF and the
// detached signatures are whatever bytes the test gives.
func signedOrder(t testing.TB, st registry.Store, bs blob.Store, org, title, date string, pdf []byte, sigs ...[]byte) *registry.Order {
	t.Helper()
	ctx := context.Background()
	o := &registry.Order{OrgID: org, Kind: "приказ", Title: title, Draft: []byte(`{}`), Status: registry.StatusQueued}
	if _, err := st.CreateOrder(ctx, o); err != nil {
		t.Fatal(err)
	}
	if _, err := st.GetJournal(ctx, org, "main"); err != nil {
		if err := st.PutJournal(ctx, &registry.Journal{OrgID: org, ID: "main", Name: "основной", Format: "{seq}"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.RegisterOrder(ctx, org, o.ID, registry.RegisterRequest{Journal: "main", Date: date,
		Build: func(o *registry.Order, number string, seq int) (registry.Registered, error) {
			return registry.Registered{Draft: fmt.Appendf(nil, `{"number":%q}`, number), SearchText: o.Title}, nil
		}}); err != nil {
		t.Fatal(err)
	}
	key, sum, err := bs.Put(ctx, pdf, "application/pdf")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Sign(ctx, org, o.ID, registry.SignRequest{
		Document: registry.SignedDocument{Key: key, SHA256: sum, Size: int64(len(pdf))}, Signatory: "Зубова А.Н.",
	}); err != nil {
		t.Fatal(err)
	}
	for _, sg := range sigs {
		key, sum, err := bs.Put(ctx, sg, "application/pkcs7-signature")
		if err != nil {
			t.Fatal(err)
		}
		if err := st.AddSignature(ctx, org, &registry.Signature{OrderID: o.ID, Kind: registry.SignatureDetachedCMS,
			Key: key, SHA256: sum, Verified: "not verified: test"}, nil); err != nil {
			t.Fatal(err)
		}
	}
	got, err := st.GetOrder(ctx, org, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// auditOf lists the organization's audit entries of one action, oldest first.
func auditOf(t *testing.T, st registry.Store, org string, order *uuid.UUID, action string) []registry.AuditEntry {
	t.Helper()
	list, err := st.ListAudit(t.Context(), org, order, registry.MaxLimit)
	if err != nil {
		t.Fatal(err)
	}
	var out []registry.AuditEntry
	for i := len(list) - 1; i >= 0; i-- {
		if list[i].Action == action {
			out = append(out, list[i])
		}
	}
	return out
}

// call serves one JSON request (body marshalled unless it is nil, a string or []byte) and
// decodes the answer into out when out is not nil. It returns the recorder. An answer that
// is not JSON is an error, not a fatal one: subtests call it through their parent's harness.
func (h *harness) call(method, path, token string, body any, out any) *httptest.ResponseRecorder {
	h.t.Helper()
	var rd io.Reader
	ctype := ""
	switch b := body.(type) {
	case nil:
	case string:
		rd, ctype = strings.NewReader(b), "application/json"
	case []byte:
		rd, ctype = bytes.NewReader(b), "application/json"
	default:
		data, err := json.Marshal(b)
		if err != nil {
			h.t.Fatal(err)
		}
		rd, ctype = bytes.NewReader(data), "application/json"
	}
	rec := h.do(h.t.Context(), method, path, token, rd, ctype)
	if out != nil {
		if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
			h.t.Errorf("%s %s: %d, answer is not JSON: %v\n%s", method, path, rec.Code, err, rec.Body.Bytes())
		}
	}
	return rec
}

// submit posts draft as a clerk of org and returns the new order's id; it fails the test
// unless the order is accepted.
func (h *harness) submit(org string, draft map[string]any) string {
	h.t.Helper()
	var got struct {
		ID string `json:"id"`
	}
	if rec := h.call("POST", "/api/v1/orders", h.token(org, roleClerk), draft, &got); rec.Code != http.StatusAccepted {
		h.t.Fatalf("POST /orders: %d %s", rec.Code, rec.Body.Bytes())
	}
	return got.ID
}

// countOrders is how many orders of org the registry holds.
func (h *harness) countOrders(org string) int {
	h.t.Helper()
	list, _, err := h.store.ListOrders(h.t.Context(), registry.Filter{OrgID: org, Limit: registry.MaxLimit})
	if err != nil {
		h.t.Fatal(err)
	}
	return len(list)
}

// newRequest is a request for the router; body may be nil.
func newRequest(t *testing.T, method, path string, body *bytes.Reader) *http.Request {
	t.Helper()
	if body == nil {
		return httptest.NewRequestWithContext(t.Context(), method, path, nil)
	}
	return httptest.NewRequestWithContext(t.Context(), method, path, body)
}

// serve answers req in process.
func serve(h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}
