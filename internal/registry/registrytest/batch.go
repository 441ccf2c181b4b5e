package registrytest

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"orders/internal/registry"
)

// batchOrders makes n orders for rows first, first+1, … as a batch upload would; ids derive
// from seed so that two calls with the same seed make the same orders.
func batchOrders(org, seed string, first, n int) []*registry.Order {
	out := make([]*registry.Order, n)
	for i := range out {
		row := first + i
		title := fmt.Sprintf("О стажировочной площадке № %d", row)
		out[i] = &registry.Order{
			ID: uuid.NewSHA1(uuid.NameSpaceOID, fmt.Appendf(nil, "%s/%s/%d", org, seed, row)), OrgID: org,
			Kind: "приказ", Title: title, Status: registry.StatusQueued, Draft: draftOf(title),
			SearchText: title + ". Назначить ответственным за стажировочную площадку.", BatchRow: row,
		}
	}
	return out
}

func mustBatch(t *testing.T, s registry.Store, b *registry.Batch, orders []*registry.Order) *registry.Batch {
	t.Helper()
	created, err := s.CreateBatch(t.Context(), b, orders)
	if err != nil || !created {
		t.Fatalf("CreateBatch(%q) = %v, %v; want true, nil", b.Key, created, err)
	}
	return b
}

// allBatchOrders pages through a batch with the given page size.
func allBatchOrders(t *testing.T, s registry.Store, org string, id uuid.UUID, page int) []registry.Order {
	t.Helper()
	var all []registry.Order
	after := -1
	for {
		list, err := s.ListBatchOrders(t.Context(), org, id, after, page)
		if err != nil {
			t.Fatalf("ListBatchOrders(after %d): %v", after, err)
		}
		if len(list) > max(page, 0) && page > 0 {
			t.Fatalf("ListBatchOrders returned %d orders, limit %d", len(list), page)
		}
		all = append(all, list...)
		if len(list) == 0 {
			return all
		}
		after = list[len(list)-1].BatchRow
	}
}

func testBatchCreate(t *testing.T, db Opener) {
	s, ctx := open(t, db), t.Context()
	b := &registry.Batch{OrgID: "org-a", Key: "k1", Mode: "per-row", Template: "platforms", Total: 5,
		Options: []byte(`{"journal":"main"}`), CreatedBy: "Иванова"}
	// Rows arrive in any order; they are listed in row order.
	orders := batchOrders("org-a", "k1", 1, 5)
	orders[0], orders[3] = orders[3], orders[0]
	orders[2].OrgID = "" // taken from the batch
	mustBatch(t, s, b, orders)
	if b.ID == uuid.Nil || b.State != registry.BatchAccepted || !b.UpdatedAt.Equal(b.CreatedAt) {
		t.Errorf("created batch: %+v", b)
	}
	isUTC(t, "batch CreatedAt", b.CreatedAt)
	got, err := s.GetBatch(ctx, "org-a", b.ID)
	if err != nil {
		t.Fatal(err)
	}
	sameBatch(t, "GetBatch", got, b)
	if _, err := s.GetBatch(ctx, "", b.ID); err != nil {
		t.Errorf("GetBatch(any org): %v", err)
	}
	_, err = s.GetBatch(ctx, "org-b", b.ID)
	wantErr(t, "GetBatch(other org)", err, registry.ErrNotFound)
	_, err = s.GetBatch(ctx, "org-a", uuid.New())
	wantErr(t, "GetBatch(unknown)", err, registry.ErrNotFound)

	// Each order is stored as CreateOrder would, tied to the batch.
	for _, o := range orders {
		stored := mustGet(t, s, "org-a", o.ID)
		sameOrder(t, fmt.Sprint("batch order, row ", o.BatchRow), stored, o)
		if stored.BatchID == nil || *stored.BatchID != b.ID || stored.OrgID != "org-a" || stored.DraftHash != hashOf(o.Draft) {
			t.Errorf("row %d stored as %+v", o.BatchRow, stored)
		}
	}
	// An order made alone belongs to no batch, whatever the caller set.
	alone := mustCreate(t, s, &registry.Order{OrgID: "org-a", Title: "alone", BatchID: &b.ID, BatchRow: 9})
	if got := mustGet(t, s, "", alone.ID); got.BatchID != nil || got.BatchRow != 0 {
		t.Errorf("CreateOrder kept batch %v row %d", got.BatchID, got.BatchRow)
	}

	// Pages in row order, whatever their size.
	for _, page := range []int{1, 2, 5, 0, 1000} {
		all := allBatchOrders(t, s, "org-a", b.ID, page)
		var rows []int
		for _, o := range all {
			rows = append(rows, o.BatchRow)
			if o.Draft != nil || o.SearchText != "" {
				t.Errorf("ListBatchOrders returned the draft or text of row %d", o.BatchRow)
			}
		}
		if !slices.Equal(rows, []int{1, 2, 3, 4, 5}) {
			t.Errorf("page size %d: rows %v", page, rows)
		}
	}
	if list, err := s.ListBatchOrders(ctx, "org-a", b.ID, 3, 0); err != nil || len(list) != 2 || list[0].BatchRow != 4 {
		t.Errorf("ListBatchOrders(after row 3) = %d orders, %v", len(list), err)
	}
	_, err = s.ListBatchOrders(ctx, "org-b", b.ID, -1, 0)
	wantErr(t, "ListBatchOrders(other org)", err, registry.ErrNotFound)

	// Counts by render status and lifecycle state.
	render(t, s, orders[1].ID)
	byStatus, byState, err := s.BatchCounts(ctx, "org-a", b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[registry.Status]int{registry.StatusQueued: 4, registry.StatusRendered: 1}; !reflect.DeepEqual(byStatus, want) {
		t.Errorf("BatchCounts by status = %v, want %v", byStatus, want)
	}
	if want := map[registry.State]int{registry.StateDraft: 5}; !reflect.DeepEqual(byState, want) {
		t.Errorf("BatchCounts by state = %v, want %v", byState, want)
	}
	_, _, err = s.BatchCounts(ctx, "org-b", b.ID)
	wantErr(t, "BatchCounts(other org)", err, registry.ErrNotFound)

	// Lists: newest first, per organization, limited.
	time.Sleep(2 * time.Millisecond)
	b2 := mustBatch(t, s, &registry.Batch{OrgID: "org-a", Key: "k2"}, batchOrders("org-a", "k2", 0, 1))
	time.Sleep(2 * time.Millisecond)
	b3 := mustBatch(t, s, &registry.Batch{OrgID: "org-b", Key: "k1"}, nil)
	for _, c := range []struct {
		org   string
		limit int
		want  []uuid.UUID
	}{
		{"org-a", 0, []uuid.UUID{b2.ID, b.ID}},
		{"org-a", 1, []uuid.UUID{b2.ID}},
		{"org-b", 0, []uuid.UUID{b3.ID}},
		{"", 0, []uuid.UUID{b3.ID, b2.ID, b.ID}},
		{"nobody", 0, nil},
	} {
		list, err := s.ListBatches(ctx, c.org, c.limit)
		if err != nil {
			t.Fatal(err)
		}
		var ids []uuid.UUID
		for _, x := range list {
			ids = append(ids, x.ID)
		}
		if !slices.Equal(ids, c.want) {
			t.Errorf("ListBatches(%q, %d) = %v, want %v", c.org, c.limit, ids, c.want)
		}
	}
	if list, _ := s.ListBatches(ctx, "org-a", 0); len(list) == 2 {
		sameBatch(t, "listed batch", &list[1], b)
	}

	// The state can be declared done, once.
	done, err := s.SetBatchState(ctx, "org-a", b.ID, []registry.BatchState{registry.BatchAccepted}, registry.BatchDone)
	if err != nil || done.State != registry.BatchDone {
		t.Fatalf("SetBatchState(done) = %+v, %v", done, err)
	}
	_, err = s.SetBatchState(ctx, "org-a", b.ID, []registry.BatchState{registry.BatchAccepted}, registry.BatchDone)
	wantErr(t, "SetBatchState(from accepted, when done)", err, registry.ErrConflict)
	_, err = s.SetBatchState(ctx, "org-a", b.ID, nil, "finished")
	wantErr(t, "SetBatchState(unknown state)", err, registry.ErrInvalid)
	_, err = s.SetBatchState(ctx, "org-b", b.ID, []registry.BatchState{registry.BatchDone}, registry.BatchAccepted)
	wantErr(t, "SetBatchState(other org)", err, registry.ErrNotFound)
	if got, _ := s.GetBatch(ctx, "", b.ID); got.State != registry.BatchDone {
		t.Errorf("stored state %q after SetBatchState", got.State)
	}
}

func sameBatch(t *testing.T, what string, got, want *registry.Batch) {
	t.Helper()
	g, w := *got, *want
	if !g.CreatedAt.Equal(w.CreatedAt) || !g.UpdatedAt.Equal(w.UpdatedAt) {
		t.Errorf("%s: times %v/%v, want %v/%v", what, g.CreatedAt, g.UpdatedAt, w.CreatedAt, w.UpdatedAt)
	}
	g.CreatedAt, g.UpdatedAt, w.CreatedAt, w.UpdatedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if len(g.Options) == 0 && len(w.Options) == 0 {
		g.Options, w.Options = nil, nil
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, g, w)
	}
}

func testBatchIdempotency(t *testing.T, db Opener) {
	s, ctx := open(t, db), t.Context()
	first := mustBatch(t, s, &registry.Batch{OrgID: "org-a", Key: "same", Total: 3}, batchOrders("org-a", "same", 1, 3))

	// The same batch again, as a resubmitted upload makes it: nothing new is stored, and the
	// caller learns the stored batch.
	again := &registry.Batch{OrgID: "org-a", Key: "same", Total: 3, Mode: "other mode"}
	created, err := s.CreateBatch(ctx, again, batchOrders("org-a", "same", 1, 3))
	if err != nil || created {
		t.Fatalf("CreateBatch again = %v, %v; want false, nil", created, err)
	}
	sameBatch(t, "CreateBatch again returns the stored batch", again, first)
	if list, _, err := s.ListOrders(ctx, registry.Filter{OrgID: "org-a"}); err != nil || len(list) != 3 {
		t.Errorf("orders after resubmitting = %d, %v; want 3", len(list), err)
	}

	// Keys are per organization.
	mustBatch(t, s, &registry.Batch{OrgID: "org-b", Key: "same"}, batchOrders("org-b", "same", 1, 2))

	// All or nothing: a batch with an order that exists stores none of its orders, and not
	// itself.
	clash := batchOrders("org-a", "clash", 1, 4)
	clash[2].ID = first.ID // not an order id, but harmless
	clash[3].ID = batchOrders("org-a", "same", 2, 1)[0].ID
	_, err = s.CreateBatch(ctx, &registry.Batch{OrgID: "org-a", Key: "clash"}, clash)
	wantErr(t, "CreateBatch with an existing order", err, registry.ErrConflict)
	if list, _, err := s.ListOrders(ctx, registry.Filter{OrgID: "org-a"}); err != nil || len(list) != 3 {
		t.Errorf("orders after a failed batch = %d, %v; want still 3", len(list), err)
	}
	if list, err := s.ListBatches(ctx, "org-a", 0); err != nil || len(list) != 1 {
		t.Errorf("batches after a failed batch = %d, %v; want 1", len(list), err)
	}
	_, err = s.CreateBatch(ctx, &registry.Batch{ID: first.ID, OrgID: "org-a", Key: "other key"}, nil)
	wantErr(t, "CreateBatch with a used batch id", err, registry.ErrConflict)

	// Arguments.
	dup := batchOrders("org-a", "dup", 1, 2)
	dup[1].BatchRow = 1
	neg := batchOrders("org-a", "neg", -1, 1)
	foreign := batchOrders("org-b", "foreign", 1, 1)
	for _, c := range []struct {
		name   string
		b      registry.Batch
		orders []*registry.Order
	}{
		{"no organization", registry.Batch{Key: "x"}, nil},
		{"no key", registry.Batch{OrgID: "org-a"}, nil},
		{"unknown state", registry.Batch{OrgID: "org-a", Key: "x", State: "paused"}, nil},
		{"a row twice", registry.Batch{OrgID: "org-a", Key: "dup"}, dup},
		{"negative row", registry.Batch{OrgID: "org-a", Key: "neg"}, neg},
		{"order of another organization", registry.Batch{OrgID: "org-a", Key: "foreign"}, foreign},
		{"nil order", registry.Batch{OrgID: "org-a", Key: "nil"}, []*registry.Order{nil}},
		{"invalid order", registry.Batch{OrgID: "org-a", Key: "bad"}, []*registry.Order{{Date: "1.1.2026"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.CreateBatch(ctx, &c.b, c.orders)
			wantErr(t, "CreateBatch", err, registry.ErrInvalid)
		})
	}
}

func testBatchConcurrent(t *testing.T, db Opener) {
	stores := []registry.Store{open(t, db), open(t, db)}
	const n, rows = 8, 50
	var wg sync.WaitGroup
	batches := make([]*registry.Batch, n)
	created := make([]bool, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			// Each submitter makes its own order ids: only one set may be stored.
			batches[i] = &registry.Batch{OrgID: "org-a", Key: "race", Total: rows}
			created[i], errs[i] = stores[i%2].CreateBatch(t.Context(), batches[i], batchOrders("org-a", fmt.Sprint("race-", i), 1, rows))
		})
	}
	wg.Wait()
	winners := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("submitter %d: %v", i, errs[i])
		}
		if created[i] {
			winners++
		}
		if batches[i].ID != batches[0].ID {
			t.Errorf("submitter %d got batch %s, submitter 0 got %s", i, batches[i].ID, batches[0].ID)
		}
	}
	if winners != 1 {
		t.Errorf("%d submitters report created, want exactly 1", winners)
	}
	if all := allBatchOrders(t, stores[0], "org-a", batches[0].ID, registry.MaxLimit); len(all) != rows {
		t.Errorf("batch has %d orders, want %d", len(all), rows)
	}
	if list, _, err := stores[1].ListOrders(t.Context(), registry.Filter{Limit: registry.MaxLimit}); err != nil || len(list) != rows {
		t.Errorf("%d orders stored, %v; want %d", len(list), err, rows)
	}
}

// testBatchLarge stores a batch of 10,000 orders, the size of a department's school year,
// and logs how long it takes.
func testBatchLarge(t *testing.T, db Opener) {
	s, ctx := open(t, db), t.Context()
	n := 10000
	if testing.Short() {
		n = 1000
	}
	orders := batchOrders("org-a", "large", 1, n)
	for _, o := range orders {
		// A page of text each, as a real order has.
		o.SearchText = strings.Repeat(o.SearchText+" ", 12)
	}
	start := time.Now()
	b := mustBatch(t, s, &registry.Batch{OrgID: "org-a", Key: "large", Total: n}, orders)
	took := time.Since(start)
	t.Logf("CreateBatch of %d orders: %v (%.0f orders/s)", n, took.Round(time.Millisecond), float64(n)/took.Seconds())
	start = time.Now()
	byStatus, _, err := s.BatchCounts(ctx, "org-a", b.ID)
	if err != nil || byStatus[registry.StatusQueued] != n {
		t.Errorf("BatchCounts = %v, %v; want %d queued", byStatus, err, n)
	}
	t.Logf("BatchCounts of %d orders: %v", n, time.Since(start).Round(time.Microsecond))
	if list, _, err := s.ListOrders(ctx, registry.Filter{FullText: fmt.Sprintf("площадке № %d", n)}); err != nil || len(list) != 1 {
		t.Errorf("full-text search for the last order = %d orders, %v", len(list), err)
	}
	// Cancelling the whole of it is one statement.
	start = time.Now()
	cancelled, err := s.CancelBatch(ctx, "org-a", b.ID)
	if err != nil || cancelled != n {
		t.Errorf("CancelBatch = %d, %v; want %d", cancelled, err, n)
	}
	t.Logf("CancelBatch of %d orders: %v", n, time.Since(start).Round(time.Millisecond))
}

func testBatchCancel(t *testing.T, db Opener) {
	s, ctx := open(t, db), t.Context()
	orders := batchOrders("org-a", "cancel", 1, 6)
	b := mustBatch(t, s, &registry.Batch{OrgID: "org-a", Key: "cancel"}, orders)
	// Row 2 is being rendered, row 3 is rendered, row 5 failed, row 6 is a draft not yet
	// submitted; rows 1 and 4 still wait in the queue.
	if _, err := s.MarkRendering(ctx, orders[1].ID); err != nil {
		t.Fatal(err)
	}
	render(t, s, orders[2].ID)
	if _, err := s.MarkRendering(ctx, orders[4].ID); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkFailed(ctx, orders[4].ID, "font"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetStatus(ctx, "", orders[5].ID, []registry.Status{registry.StatusQueued}, registry.StatusDraft); err != nil {
		t.Fatal(err)
	}
	other := mustBatch(t, s, &registry.Batch{OrgID: "org-a", Key: "other"}, batchOrders("org-a", "other", 1, 2))
	alone := mustCreate(t, s, &registry.Order{OrgID: "org-a", Title: "alone", Status: registry.StatusQueued})

	_, err := s.CancelBatch(ctx, "org-b", b.ID)
	wantErr(t, "CancelBatch(other org)", err, registry.ErrNotFound)
	_, err = s.CancelBatch(ctx, "org-a", uuid.New())
	wantErr(t, "CancelBatch(unknown)", err, registry.ErrNotFound)

	n, err := s.CancelBatch(ctx, "org-a", b.ID)
	if err != nil || n != 2 {
		t.Fatalf("CancelBatch = %d, %v; want 2", n, err)
	}
	want := []registry.Status{registry.StatusCancelled, registry.StatusRendering, registry.StatusRendered,
		registry.StatusCancelled, registry.StatusFailed, registry.StatusDraft}
	for i, o := range orders {
		if got := mustGet(t, s, "", o.ID); got.Status != want[i] || got.State != registry.StateDraft {
			t.Errorf("row %d after cancel: %q %q, want %q draft", o.BatchRow, got.Status, got.State, want[i])
		}
	}
	for _, id := range []uuid.UUID{alone.ID, allBatchOrders(t, s, "", other.ID, 0)[0].ID} {
		if got := mustGet(t, s, "", id); got.Status != registry.StatusQueued {
			t.Errorf("an order outside the batch was touched: %q", got.Status)
		}
	}
	if got, _ := s.GetBatch(ctx, "org-a", b.ID); got.State != registry.BatchCancelled || !got.UpdatedAt.After(got.CreatedAt) {
		t.Errorf("batch after cancel: %+v", got)
	}

	// The worker's job of a cancelled order is refused, and so is every other worker step.
	_, err = s.MarkRendering(ctx, orders[0].ID)
	wantState(t, "MarkRendering(cancelled)", err, registry.StatusCancelled)
	_, err = s.MarkRendered(ctx, orders[0].ID, orders[0].DraftHash, registry.Outputs{PDFKey: "late"})
	wantState(t, "MarkRendered(cancelled)", err, registry.StatusCancelled)
	wantState(t, "MarkFailed(cancelled)", s.MarkFailed(ctx, orders[3].ID, "late"), registry.StatusCancelled)
	// The order rendering when the batch was cancelled finishes normally.
	if changed, err := s.MarkRendered(ctx, orders[1].ID, orders[1].DraftHash, registry.Outputs{PDFKey: "k"}); err != nil || !changed {
		t.Errorf("MarkRendered of the order in progress = %v, %v", changed, err)
	}

	byStatus, _, err := s.BatchCounts(ctx, "org-a", b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if wantCounts := map[registry.Status]int{registry.StatusCancelled: 2, registry.StatusRendered: 2,
		registry.StatusFailed: 1, registry.StatusDraft: 1}; !reflect.DeepEqual(byStatus, wantCounts) {
		t.Errorf("BatchCounts after cancel = %v, want %v", byStatus, wantCounts)
	}
	// Cancelling again changes nothing; registering a cancelled batch is refused.
	if n, err := s.CancelBatch(ctx, "org-a", b.ID); err != nil || n != 0 {
		t.Errorf("CancelBatch again = %d, %v; want 0", n, err)
	}
	mustJournal(t, s, "org-a", "main", "{seq}")
	_, err = s.RegisterBatch(ctx, "org-a", b.ID, "main", "2026-09-01", func(o *registry.Order, number string, _ int) (registry.Registered, error) {
		return registeredDraft(o, number, "2026-09-01"), nil
	}, nil)
	wantErr(t, "RegisterBatch(cancelled)", err, registry.ErrConflict)
}

func testBatchRegister(t *testing.T, db Opener) {
	s, ctx := open(t, db), t.Context()
	mustJournal(t, s, "org-a", "main", "{seq}-о")
	if err := s.SetJournalStart(ctx, "org-a", "main", registry.JournalStart{Year: 2026, Next: 1355}); err != nil {
		t.Fatal(err)
	}
	const date = "2026-09-01"
	orders := batchOrders("org-a", "reg", 1, 6)
	// Stored in another order than the rows: numbers follow the rows.
	slices.Reverse(orders)
	b := mustBatch(t, s, &registry.Batch{OrgID: "org-a", Key: "reg"}, orders)
	slices.Reverse(orders)
	// Row 3 was registered alone before: it keeps its number and is skipped.
	early := register(t, s, "org-a", orders[2].ID, "main", date)
	if early.Number != "1355-о" {
		t.Fatalf("early number %q", early.Number)
	}

	build := func(o *registry.Order, number string, seq int) (registry.Registered, error) {
		return registeredDraft(o, number, date), nil
	}
	auditOf := func(o *registry.Order) *registry.AuditEntry {
		d, _ := json.Marshal(map[string]any{"number": o.Number, "batch": o.BatchID})
		return &registry.AuditEntry{Actor: "head", Action: "register", Details: d}
	}

	// A failing build rolls everything back: no number is consumed, no order changes.
	boom := errors.New("boom")
	calls := 0
	_, err := s.RegisterBatch(ctx, "org-a", b.ID, "main", date, func(o *registry.Order, number string, seq int) (registry.Registered, error) {
		if calls++; calls == 4 {
			return registry.Registered{}, boom
		}
		return build(o, number, seq)
	}, auditOf)
	if !errors.Is(err, boom) {
		t.Fatalf("RegisterBatch with a failing build = %v, want boom", err)
	}
	for _, o := range orders {
		if got := mustGet(t, s, "", o.ID); got.State != registry.StateDraft && got.ID != early.ID {
			t.Errorf("row %d registered by a rolled back batch", o.BatchRow)
		}
	}
	if list, _ := s.ListAudit(ctx, "org-a", nil, 0); len(list) != 0 {
		t.Errorf("%d audit entries after a rollback", len(list))
	}

	// Arguments and scoping.
	for name, c := range map[string]struct {
		org, journal, date string
		build              func(*registry.Order, string, int) (registry.Registered, error)
		want               error
	}{
		"unknown journal": {"org-a", "nope", date, build, registry.ErrInvalid},
		"no date":         {"org-a", "main", "", build, registry.ErrInvalid},
		"no build":        {"org-a", "main", date, nil, registry.ErrInvalid},
		"other org":       {"org-b", "main", date, build, registry.ErrNotFound},
	} {
		_, err := s.RegisterBatch(ctx, c.org, b.ID, c.journal, c.date, c.build, nil)
		wantErr(t, "RegisterBatch("+name+")", err, c.want)
	}

	n, err := s.RegisterBatch(ctx, "org-a", b.ID, "main", date, build, auditOf)
	if err != nil || n != 5 {
		t.Fatalf("RegisterBatch = %d, %v; want 5", n, err)
	}
	wantNumbers := []string{"1356-о", "1357-о", "1355-о", "1358-о", "1359-о", "1360-о"}
	for i, o := range orders {
		got := mustGet(t, s, "org-a", o.ID)
		if got.Number != wantNumbers[i] || got.State != registry.StateRegistered || got.Date != date ||
			got.Status != registry.StatusQueued || got.Journal != "main" || got.DraftHash != hashOf(got.Draft) ||
			!strings.Contains(string(got.Draft), wantNumbers[i]) || !strings.Contains(got.SearchText, wantNumbers[i]) {
			t.Errorf("row %d: %+v; want number %s", o.BatchRow, got, wantNumbers[i])
		}
		if got.ID == early.ID {
			continue
		}
		// Each order has its own audit entry, made after its number was known.
		entries, err := s.ListAudit(ctx, "org-a", &got.ID, 0)
		if err != nil || len(entries) != 1 || !strings.Contains(string(entries[0].Details), wantNumbers[i]) {
			t.Errorf("audit of row %d: %+v, %v", o.BatchRow, entries, err)
		}
	}
	if ok, at, err := s.VerifyAudit(ctx, "org-a"); err != nil || !ok {
		t.Errorf("VerifyAudit = %v, %d, %v", ok, at, err)
	}
	// The registered documents are searchable by their new text.
	if list, _, err := s.ListOrders(ctx, registry.Filter{Number: "1359-о"}); err != nil || len(list) != 1 || list[0].BatchRow != 5 {
		t.Errorf("ListOrders(number 1359-о) = %+v, %v", list, err)
	}
	// Nothing is left to register; the journal continues after the batch.
	if n, err := s.RegisterBatch(ctx, "org-a", b.ID, "main", date, build, nil); err != nil || n != 0 {
		t.Errorf("RegisterBatch again = %d, %v; want 0", n, err)
	}
	x := mustCreate(t, s, &registry.Order{OrgID: "org-a", Title: "after"})
	if got := register(t, s, "org-a", x.ID, "main", date); got.Number != "1361-о" {
		t.Errorf("number after the batch = %q, want 1361-о", got.Number)
	}
	byState := mustCountsByState(t, s)
	if byState[registry.StateRegistered] != 7 {
		t.Errorf("CountByState = %v, want 7 registered", byState)
	}
}

func mustCountsByState(t *testing.T, s registry.Store) map[registry.State]int {
	t.Helper()
	m, err := s.CountByState(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// testBatchRegisterConcurrent registers a batch while single orders of the same journal are
// registered from another store: the batch's numbers are consecutive all the same, and no
// number is issued twice or skipped.
func testBatchRegisterConcurrent(t *testing.T, db Opener) {
	stores := []registry.Store{open(t, db), open(t, db)}
	ctx := t.Context()
	mustJournal(t, stores[0], "org-a", "main", "{seq}")
	const rows, singles, date = 40, 20, "2026-10-01"
	orders := batchOrders("org-a", "conc", 1, rows)
	b := mustBatch(t, stores[0], &registry.Batch{OrgID: "org-a", Key: "conc"}, orders)
	var alone []uuid.UUID
	for i := range singles {
		alone = append(alone, mustCreate(t, stores[1], &registry.Order{OrgID: "org-a", Title: fmt.Sprint("alone ", i)}).ID)
	}
	build := func(o *registry.Order, number string, _ int) (registry.Registered, error) {
		return registeredDraft(o, number, date), nil
	}
	var wg sync.WaitGroup
	var batchErr, aloneErr error
	wg.Go(func() {
		_, batchErr = stores[0].RegisterBatch(ctx, "org-a", b.ID, "main", date, build, nil)
	})
	wg.Go(func() {
		for _, id := range alone {
			if _, err := stores[1].RegisterOrder(ctx, "org-a", id, registry.RegisterRequest{Journal: "main", Date: date, Build: build}); err != nil {
				aloneErr = err
				return
			}
		}
	})
	wg.Wait()
	if err := errors.Join(batchErr, aloneErr); err != nil {
		t.Fatal(err)
	}
	var seqs []int
	for i, o := range orders {
		got := mustGet(t, stores[1], "", o.ID)
		if i > 0 && got.Seq != seqs[len(seqs)-1]+1 {
			t.Errorf("row %d has number %d after %d: not consecutive", o.BatchRow, got.Seq, seqs[len(seqs)-1])
		}
		seqs = append(seqs, got.Seq)
	}
	for _, id := range alone {
		seqs = append(seqs, mustGet(t, stores[0], "", id).Seq)
	}
	slices.Sort(seqs)
	for i, seq := range seqs {
		if seq != i+1 {
			t.Fatalf("sorted numbers: position %d holds %d; want 1..%d without gaps or repeats", i, seq, rows+singles)
		}
	}
}

func testCountByState(t *testing.T, db Opener) {
	s := open(t, db)
	if got := mustCountsByState(t, s); len(got) != 0 {
		t.Errorf("CountByState on empty = %v", got)
	}
	mustJournal(t, s, "org-a", "main", "{seq}")
	for i := range 3 {
		o := mustCreate(t, s, &registry.Order{OrgID: "org-a", Title: fmt.Sprint(i)})
		if i > 0 {
			register(t, s, "org-a", o.ID, "main", "2026-01-01")
		}
		if i > 1 {
			sign(t, s, o.ID, "Петров")
		}
	}
	mustCreate(t, s, &registry.Order{OrgID: "org-b", Title: "b"})
	want := map[registry.State]int{registry.StateDraft: 2, registry.StateRegistered: 1, registry.StateSigned: 1}
	if got := mustCountsByState(t, s); !reflect.DeepEqual(got, want) {
		t.Errorf("CountByState = %v, want %v", got, want)
	}
}

// testBuildPanics: a Build callback that panics reaches its caller as a panic (where an HTTP
// server's recovery catches it), takes nothing with it, and the store goes on working.
func testBuildPanics(t *testing.T, db Opener) {
	s, ctx := open(t, db), t.Context()
	mustJournal(t, s, "org-a", "main", "{seq}")
	o := mustCreate(t, s, &registry.Order{OrgID: "org-a", Title: "panics"})
	b := mustBatch(t, s, &registry.Batch{OrgID: "org-a", Key: "panics"}, batchOrders("org-a", "panics", 1, 3))
	for name, call := range map[string]func(){
		"RegisterOrder": func() {
			s.RegisterOrder(ctx, "org-a", o.ID, registry.RegisterRequest{Journal: "main", Date: "2026-01-01",
				Build: func(*registry.Order, string, int) (registry.Registered, error) { panic("boom") }})
		},
		"RegisterBatch": func() {
			s.RegisterBatch(ctx, "org-a", b.ID, "main", "2026-01-01",
				func(*registry.Order, string, int) (registry.Registered, error) { panic("boom") }, nil)
		},
	} {
		func() {
			defer func() {
				if p := recover(); p != "boom" {
					t.Errorf("%s with a panicking Build: recovered %v, want boom", name, p)
				}
			}()
			call()
		}()
	}
	if got := register(t, s, "org-a", o.ID, "main", "2026-01-01"); got.Number != "1" {
		t.Errorf("number after the panics = %q, want 1", got.Number)
	}
	if n, err := s.RegisterBatch(ctx, "org-a", b.ID, "main", "2026-01-01", func(o *registry.Order, number string, _ int) (registry.Registered, error) {
		return registeredDraft(o, number, "2026-01-01"), nil
	}, nil); err != nil || n != 3 {
		t.Errorf("RegisterBatch after the panics = %d, %v", n, err)
	}
}
