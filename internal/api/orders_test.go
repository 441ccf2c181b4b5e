package api

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"orders/internal/registry"
)

// renderedDraft makes a draft whose render stored pdf and docx, as a worker would.
func (h *harness) renderedDraft(org string, pdf, docx []byte) *registry.Order {
	h.t.Helper()
	ctx := h.t.Context()
	o := &registry.Order{OrgID: org, Kind: "приказ", Title: "черновик", Draft: []byte(`{}`), Status: registry.StatusQueued}
	if _, err := h.store.CreateOrder(ctx, o); err != nil {
		h.t.Fatal(err)
	}
	r, err := h.store.MarkRendering(ctx, o.ID)
	if err != nil {
		h.t.Fatal(err)
	}
	p, d := h.put(pdf), h.put(docx)
	out := registry.Outputs{PDFKey: p.Key, PDFSHA256: p.SHA256, PDFSize: p.Size, DOCXKey: d.Key, DOCXSHA256: d.SHA256, DOCXSize: d.Size}
	if _, err := h.store.MarkRendered(ctx, o.ID, r.DraftHash, out); err != nil {
		h.t.Fatal(err)
	}
	got, err := h.store.GetOrder(ctx, org, o.ID)
	if err != nil {
		h.t.Fatal(err)
	}
	return got
}

func (h *harness) stored(key string) bool {
	h.t.Helper()
	ok, err := h.blobs.Exists(h.t.Context(), key)
	if err != nil {
		h.t.Fatal(err)
	}
	return ok
}

// TestDeleteDraftDeletesDocuments: DELETE /orders/{id} removes the draft's rendered documents
// from the document store (they may hold personal data), except bytes another order also
// refers to.
func TestDeleteDraftDeletesDocuments(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	shared := []byte("%PDF the same bytes in two orders")
	a := h.renderedDraft("org-a", shared, []byte("DOCX of a: Иванов Иван Иванович, паспорт 4510 123456"))
	b := h.renderedDraft("org-b", shared, []byte("DOCX of b"))
	rec := h.do(t.Context(), "DELETE", "/api/v1/orders/"+a.ID.String(), h.token("org-a", "clerk"), nil, "")
	if rec.Code != http.StatusNoContent {
		t.Fatalf("DELETE: %d %s", rec.Code, rec.Body.Bytes())
	}
	if h.stored(a.DOCXKey) {
		t.Error("the deleted draft's DOCX is still in the document store")
	}
	if !h.stored(a.PDFKey) {
		t.Error("the PDF that another order shares was deleted")
	}
	rec = h.do(t.Context(), "GET", "/api/v1/orders/"+b.ID.String()+"/document.pdf", h.token("org-b", "clerk"), nil, "")
	if rec.Code != http.StatusOK || !bytes.Equal(rec.Body.Bytes(), shared) {
		t.Errorf("the other order's PDF: %d", rec.Code)
	}
	// The last order to hold it frees it.
	rec = h.do(t.Context(), "DELETE", "/api/v1/orders/"+b.ID.String(), h.token("org-b", "clerk"), nil, "")
	if rec.Code != http.StatusNoContent || h.stored(b.PDFKey) || h.stored(b.DOCXKey) {
		t.Errorf("DELETE of the last holder: %d; pdf stored %v, docx stored %v", rec.Code, h.stored(b.PDFKey), h.stored(b.DOCXKey))
	}
}

// TestDeleteRefusedKeepsDocuments: a registered order cannot be deleted, and nothing of it
// leaves the store.
func TestDeleteRefusedKeepsDocuments(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	o := signedOrder(t, h.store, h.blobs, "org-a", "подписан", "2026-02-01", []byte("%PDF signed"))
	rec := h.do(t.Context(), "DELETE", "/api/v1/orders/"+o.ID.String(), h.token("org-a", "clerk"), nil, "")
	if rec.Code != http.StatusConflict || !h.stored(o.SignedKey) {
		t.Errorf("DELETE of a signed order: %d; signed PDF stored %v", rec.Code, h.stored(o.SignedKey))
	}
}

// TestEditDraftDeletesReplacedDocuments: an edit makes the previous render's documents
// obsolete; they leave the store unless another order refers to them.
func TestEditDraftDeletesReplacedDocuments(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	shared := []byte("%PDF shared")
	a := h.renderedDraft("org-a", shared, []byte("DOCX a before the edit"))
	h.renderedDraft("org-a", shared, []byte("DOCX of another"))
	draft, err := os.ReadFile(filepath.Join("..", "..", "templates", "examples", "balashikha.json"))
	if err != nil {
		t.Fatal(err)
	}
	draft = bytes.Replace(draft, []byte(`"number": "1355",`), nil, 1)
	rec := h.do(t.Context(), "PUT", "/api/v1/orders/"+a.ID.String(), h.token("org-a", "clerk"), bytes.NewReader(draft), "application/json")
	if rec.Code != http.StatusAccepted {
		t.Fatalf("PUT: %d %s", rec.Code, rec.Body.Bytes())
	}
	if h.stored(a.DOCXKey) {
		t.Error("the replaced DOCX is still in the document store")
	}
	if !h.stored(a.PDFKey) {
		t.Error("the PDF another order shares was deleted")
	}
}
