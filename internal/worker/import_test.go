package worker

import (
	"context"
	"strings"
	"testing"

	"orders/internal/queue"
	"orders/internal/registry"
)

// TestImportedOrderIsNeverRendered: a job for an imported order (a stray or forged one: the
// registry never queues it) is dropped without rendering, and its document stays the upload.
func TestImportedOrderIsNeverRendered(t *testing.T) {
	r := &fakeRenderer{}
	w, store, _ := setup(t, r)
	ctx := context.Background()
	o, err := store.ImportOrder(ctx, registry.ImportRequest{OrgID: "org", Kind: "приказ", Title: "Скан", Number: "15",
		Date: "2019-03-01", Signatory: "Зубова", Document: registry.SignedDocument{Key: "upload", SHA256: strings.Repeat("c", 64), Size: 9}})
	if err != nil {
		t.Fatal(err)
	}
	for _, reason := range []string{"submit", "rerender", "acknowledgement"} {
		if err := w.Handle(ctx, queue.Job{OrderID: o.ID, Reason: reason}); err != nil {
			t.Errorf("job %s for an imported order: %v, want it dropped", reason, err)
		}
	}
	got, err := store.GetOrder(ctx, "", o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r.calls.Load() != 0 || got.Status != registry.StatusRendered || got.PDFKey != "upload" || got.DOCXKey != "" || got.Attempts != 0 {
		t.Errorf("after jobs: %d renders, order %+v", r.calls.Load(), got)
	}
}
