package api

import (
	"context"
	"fmt"
	"io"
	"log/slog"
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
)

// harness is a Server on a SQLite registry and a directory document store, as the
// one-machine deployment runs it, without queue and workers.
type harness struct {
	t       *testing.T
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
}

func newHarness(t *testing.T, opt harnessOptions) *harness {
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
	h.server = New(Config{Store: store, Blobs: blobs, Queue: &fakeQueue{}, Log: log, Metrics: h.metrics,
		SecretKey: make([]byte, 32)})
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
