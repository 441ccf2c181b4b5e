package worker

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"orders/internal/blob/fsstore"
	"orders/internal/order"
	"orders/internal/queue"
	"orders/internal/registry"
	"orders/internal/registry/sqlite"
)

type fakeRenderer struct {
	calls atomic.Int32
	err   error
}

func (f *fakeRenderer) Render(d *order.Draft, at time.Time) ([]byte, []byte, error) {
	f.calls.Add(1)
	if f.err != nil {
		return nil, nil, f.err
	}
	return []byte("%PDF " + d.Title), []byte("PK " + d.Title), nil
}

func setup(t *testing.T, r Renderer) (*Worker, registry.Store, *registry.Order) {
	t.Helper()
	dir := t.TempDir()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(dir, "r.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	blobs, err := fsstore.New(filepath.Join(dir, "docs"))
	if err != nil {
		t.Fatal(err)
	}
	draft, err := os.ReadFile("../../templates/examples/balashikha.json")
	if err != nil {
		t.Fatal(err)
	}
	o := &registry.Order{OrgID: "org", Kind: "приказ", Title: "t", Status: registry.StatusQueued, Draft: draft}
	if _, err := store.CreateOrder(ctx, o); err != nil {
		t.Fatal(err)
	}
	w := &Worker{Store: store, Blobs: blobs, Renderer: r, Metrics: NewMetrics(prometheus.NewRegistry())}
	return w, store, o
}

// TestHandleIsIdempotent delivers the same job three times: one render, one result.
func TestHandleIsIdempotent(t *testing.T) {
	r := &fakeRenderer{}
	w, store, o := setup(t, r)
	ctx := context.Background()
	for range 3 {
		if err := w.Handle(ctx, queue.Job{OrderID: o.ID}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := store.GetOrder(ctx, "", o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != registry.StatusRendered || got.PDFKey == "" || got.DOCXSize == 0 {
		t.Fatalf("order after render: %+v", got)
	}
	if r.calls.Load() != 1 || testutil.ToFloat64(w.Metrics.Rendered) != 1 {
		t.Errorf("rendered %d times, counter %v", r.calls.Load(), testutil.ToFloat64(w.Metrics.Rendered))
	}
	data, err := w.Blobs.Get(ctx, got.PDFKey)
	if err != nil || string(data[:4]) != "%PDF" {
		t.Errorf("stored pdf: %q %v", data, err)
	}
}

func TestRenderFailureIsPermanentAndMarksFailed(t *testing.T) {
	w, store, o := setup(t, &fakeRenderer{err: errors.New("boom")})
	ctx := context.Background()
	err := w.Handle(ctx, queue.Job{OrderID: o.ID})
	if !queue.IsPermanent(err) {
		t.Fatalf("render error must be permanent, got %v", err)
	}
	w.OnDead(queue.Job{OrderID: o.ID}, "permanent: render: boom")
	got, _ := store.GetOrder(ctx, "", o.ID)
	if got.Status != registry.StatusFailed || got.Error == "" {
		t.Errorf("want failed with a reason, got %s %q", got.Status, got.Error)
	}
}

func TestDeletedOrderJobIsDropped(t *testing.T) {
	w, store, o := setup(t, &fakeRenderer{})
	ctx := context.Background()
	if _, err := store.DeleteOrder(ctx, "", o.ID, []registry.Status{registry.StatusQueued}); err != nil {
		t.Fatal(err)
	}
	if err := w.Handle(ctx, queue.Job{OrderID: o.ID}); err != nil {
		t.Errorf("job of a deleted order: %v", err)
	}
}

type recPub struct{ ids []string }

func (p *recPub) Publish(_ context.Context, _ queue.Job, id string) (bool, error) {
	p.ids = append(p.ids, id)
	return false, nil
}

func TestSweeperRepublishesStale(t *testing.T) {
	_, store, o := setup(t, &fakeRenderer{})
	pub := &recPub{}
	s := &Sweeper{Store: store, Queue: pub, After: -time.Second}
	n, err := s.Sweep(context.Background())
	if err != nil || n != 1 || pub.ids[0] != queue.JobID(o) {
		t.Fatalf("sweep: n=%d err=%v ids=%v", n, err, pub.ids)
	}
}

// hookRenderer renders the acknowledgement dates into the "PDF" and runs during once, while
// the first render is under way.
type hookRenderer struct {
	during func()
	calls  atomic.Int32
}

func (h *hookRenderer) Render(d *order.Draft, at time.Time) ([]byte, []byte, error) {
	if h.calls.Add(1) == 1 && h.during != nil {
		h.during()
	}
	text := "%PDF"
	for _, p := range d.Acknowledgement.People {
		text += " " + p.Name + "=" + p.Date
	}
	return []byte(text), []byte("PK"), nil
}

// TestAckDuringRenderIsNotLost: an acknowledgement recorded while a render is under way
// used to be lost from document.pdf (the stale render was taken and the new job skipped).
// Now the stale render is refused and the job the acknowledgement queued renders the date.
func TestAckDuringRenderIsNotLost(t *testing.T) {
	h := &hookRenderer{}
	w, store, o := setup(t, h)
	ctx := context.Background()
	if err := store.PutJournal(ctx, &registry.Journal{OrgID: "org", ID: "main", Name: "main", Format: "{seq}"}); err != nil {
		t.Fatal(err)
	}
	if _, err := store.RegisterOrder(ctx, "org", o.ID, registry.RegisterRequest{Journal: "main", Date: "2022-09-22",
		Build: func(o *registry.Order, number string, seq int) (registry.Registered, error) {
			return registry.Registered{Draft: o.Draft}, nil
		}}); err != nil {
		t.Fatal(err)
	}
	var queued *registry.Order
	h.during = func() {
		var err error
		queued, err = store.RecordAck(ctx, "org", &registry.Ack{OrderID: o.ID, Person: "Л.Е. Мартынова",
			ReadAt: time.Date(2022, 9, 23, 0, 0, 0, 0, time.UTC)}, nil)
		if err != nil {
			t.Error(err)
		}
	}
	if err := w.Handle(ctx, queue.Job{OrderID: o.ID}); err != nil {
		t.Fatal(err)
	}
	if got, _ := store.GetOrder(ctx, "", o.ID); got.Status != registry.StatusQueued || queued == nil {
		t.Fatalf("after a render that went stale: status %s, want queued", got.Status)
	}
	// The job published for the acknowledgement.
	if err := w.Handle(ctx, queue.Job{OrderID: o.ID}); err != nil {
		t.Fatal(err)
	}
	got, _ := store.GetOrder(ctx, "", o.ID)
	pdf, err := w.Blobs.Get(ctx, got.PDFKey)
	if err != nil || got.Status != registry.StatusRendered {
		t.Fatalf("status %s, %v", got.Status, err)
	}
	if want := "Л.Е. Мартынова=2022-09-23"; !strings.Contains(string(pdf), want) {
		t.Errorf("document.pdf %q lacks %q", pdf, want)
	}
}
