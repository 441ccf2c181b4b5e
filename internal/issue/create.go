package issue

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"orders/internal/batch"
	"orders/internal/order"
	"orders/internal/registry"
	"orders/internal/ru"
)

// Request is a batch to issue.
type Request struct {
	// Template is the order template: a draft JSON with {placeholders}. TemplateName is the
	// name of a shipped template it came from, TemplateFile the name of an uploaded file.
	Template     []byte
	TemplateName string
	TemplateFile string
	// Data is the rows (CSV, XLSX or a JSON array of objects); DataFile its file name,
	// which tells the format apart.
	Data      []byte
	DataFile  string
	Sheet     string
	Mode      batch.Mode
	Constants map[string]string
	// ValidOnly issues the valid rows and leaves the others out; otherwise one bad row
	// stops the batch.
	ValidOnly bool
	// Journal, if set, registers the orders there in row order, on Date (today in Moscow
	// if empty).
	Journal string
	Date    string
	// Organization issues the orders when the drafts do not name one.
	Organization string
	// CallerOrg is the organization of the caller, "" for an administrator; Actor is who
	// the caller is for the audit trail.
	CallerOrg string
	Actor     string
}

// Created is an issued batch.
type Created struct {
	Batch *registry.Batch
	// Replayed: the same batch had been issued before; nothing new was created, only what
	// the first attempt may have left undone was finished.
	Replayed bool
}

// Refused is a batch the caller can fix; nothing was recorded. Detail is the sentence a
// person reads (Russian); Problems name the fields by path.
type Refused struct {
	Detail   string
	Problems order.Problems
}

func (e *Refused) Error() string { return e.Detail }

// DataError is a data file that cannot be read as a whole (its text is Russian); it wraps
// batch.ErrTooLarge when the file is beyond what the service reads.
type DataError struct{ Err error }

func (e *DataError) Error() string { return e.Err.Error() }
func (e *DataError) Unwrap() error { return e.Err }

// TemplateError is what batch.NewPlan refuses: the template's or the constants' fault
// (order.Problems with paths inside the template), or too many rows.
type TemplateError struct{ Err error }

func (e *TemplateError) Error() string { return e.Err.Error() }
func (e *TemplateError) Unwrap() error { return e.Err }

// RowsError is a batch stopped by its rows: some have problems and the request did not
// ask for the valid ones only, or none is valid.
type RowsError struct {
	Problems  []batch.RowProblem
	Warnings  []string
	ValidOnly bool
}

func (e *RowsError) Error() string { return fmt.Sprintf("%d row problems", len(e.Problems)) }

// maxStoredSkipped bounds the problems of left-out rows kept with a batch.
const maxStoredSkipped = 1000

// Create checks every row, records the batch and its orders in one transaction (with their
// registration if a journal is asked for) and publishes their render jobs. What the caller
// can fix is a *Refused; other errors are the registry's.
func (s *Service) Create(ctx context.Context, req Request) (*Created, error) {
	t, err := batch.ReadRowsWith(req.DataFile, req.Data, batch.ReadOptions{Sheet: req.Sheet})
	if err != nil {
		return nil, &DataError{err}
	}
	plan, err := batch.NewPlan(req.Template, req.Mode, req.Constants, t)
	if err != nil {
		return nil, &TemplateError{err}
	}
	var included []*batch.Planned
	for i := range plan.Drafts {
		// The decoded draft is what is stored; its filled JSON (~15 MB at 10,000 rows)
		// would only stay live through the recording.
		plan.Drafts[i].JSON = nil
		if plan.Drafts[i].Draft != nil {
			included = append(included, &plan.Drafts[i])
		}
	}
	if len(plan.Problems) > 0 && !req.ValidOnly || len(included) == 0 {
		return nil, &RowsError{Problems: plan.Problems, Warnings: plan.Warnings, ValidOnly: req.ValidOnly}
	}
	orgID, drafts, err := s.resolve(ctx, req, included)
	if err != nil {
		return nil, err
	}
	if req.Journal != "" {
		if _, err := s.cfg.Store.GetJournal(ctx, orgID, req.Journal); errors.Is(err, registry.ErrNotFound) {
			return nil, noJournal(req.Journal)
		} else if err != nil {
			return nil, err
		}
	}
	b, orders := s.build(req, orgID, t, plan, included, drafts)
	return s.record(ctx, req, b, orders)
}

func noJournal(journal string) *Refused {
	return &Refused{Detail: fmt.Sprintf("journal: журнала «%s» нет", journal),
		Problems: order.Problems{{Path: "journal", Message: fmt.Sprintf("журнала «%s» нет у этой организации", journal)}}}
}

// resolved is a draft ready to store.
type resolved struct {
	draft      *order.Draft
	normalized []byte
	search     string
}

// resolve gives every draft the organization and letterhead the way one-by-one intake
// does, then encodes the drafts and their search text on all processors.
func (s *Service) resolve(ctx context.Context, req Request, included []*batch.Planned) (string, []resolved, error) {
	letterheads := map[string]*order.Letterhead{}
	out := make([]resolved, len(included))
	orgID := ""
	for i, p := range included {
		d := p.Draft
		if d.Organization == "" {
			d.Organization = req.Organization
		}
		id, err := s.cfg.Intake.Organization(ctx, req.CallerOrg, d, letterheads)
		if ps, ok := order.AsProblems(err); ok {
			return "", nil, &Refused{Detail: "организация, издающая приказы: " + ps.Error(), Problems: ps}
		} else if err != nil {
			return "", nil, err
		}
		if orgID != "" && id != orgID {
			return "", nil, &Refused{Detail: "в одном пакете приказы издаёт одна организация",
				Problems: order.Problems{{Path: "organization", Message: fmt.Sprintf("в строках названы и «%s», и «%s»; разделите пакет по организациям", orgID, id)}}}
		}
		orgID = id
		// Numbers and dates come from registering the batch in a journal, as for one order.
		d.Unregistered()
		out[i].draft = d
	}
	var failed atomic.Value
	parallel(len(out), func(i int) {
		js, err := json.Marshal(out[i].draft)
		if err != nil {
			failed.Store(err)
			return
		}
		search, err := s.cfg.Intake.SearchText(out[i].draft)
		if err != nil {
			failed.Store(err)
			return
		}
		out[i].normalized, out[i].search = js, search
	})
	if err, _ := failed.Load().(error); err != nil {
		return "", nil, fmt.Errorf("encoding or laying out a draft: %w", err)
	}
	return orgID, out, nil
}

// parallel runs f for 0..n-1 on all processors.
func parallel(n int, f func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), n) {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				f(i)
			}
		})
	}
	wg.Wait()
}

// build makes the batch record and its orders.
func (s *Service) build(req Request, orgID string, t *batch.Table, plan *batch.Plan, included []*batch.Planned, drafts []resolved) (*registry.Batch, []*registry.Order) {
	keys := make([]string, len(included))
	for i, p := range included {
		keys[i] = p.Key
	}
	key := batchKey(req.Mode, keys, req.Journal, req.Date)
	b := &registry.Batch{
		ID: BatchID(orgID, key), OrgID: orgID, Key: key,
		Mode: req.Mode.String(), Template: cmp.Or(req.TemplateName, req.TemplateFile, "custom"),
		Total: len(included), State: registry.BatchAccepted, CreatedBy: req.Actor,
	}
	opts := options{
		TemplateName: req.TemplateName, TemplateFile: req.TemplateFile, DataFile: req.DataFile,
		Format: t.Format, Encoding: t.Encoding, Sheet: req.Sheet, Constants: req.Constants,
		ValidOnly: req.ValidOnly, Journal: req.Journal, Date: req.Date, Rows: len(t.Rows), Warnings: plan.Warnings,
	}
	if len(plan.Problems) > 0 {
		opts.SkippedTotal = len(plan.Problems)
		opts.Skipped = plan.Problems[:min(len(plan.Problems), maxStoredSkipped)]
	}
	if req.Mode == batch.PerRow {
		if col := orgColumn(t.Columns); col != "" {
			opts.OrgColumn, opts.Labels = col, map[int]string{}
			for _, p := range included {
				opts.Labels[p.Line] = t.Rows[p.Row].Cells[col]
			}
		}
	}
	b.Options, _ = json.Marshal(opts)

	// Orders to be registered are stored as drafts not queued for rendering: registration
	// queues them, so none is ever rendered as a draft («ПРОЕКТ») in between.
	status := registry.StatusQueued
	if req.Journal != "" {
		status = registry.StatusDraft
	}
	orders := make([]*registry.Order, len(included))
	for i, p := range included {
		d := drafts[i]
		row := max(p.Line, 0)
		bid := b.ID
		orders[i] = &registry.Order{
			ID: OrderID(b.ID, row), OrgID: orgID, Kind: string(cmp.Or(d.draft.Kind, order.KindPrikaz)),
			Title: d.draft.Title, Date: d.draft.Date, Number: d.draft.Number, Status: status,
			Draft: d.normalized, SearchText: d.search, BatchID: &bid, BatchRow: row, CreatedBy: req.Actor,
		}
	}
	return b, orders
}

// record stores the batch (registered, if asked for) and publishes its jobs; a batch that
// is there already is finished instead.
func (s *Service) record(ctx context.Context, req Request, b *registry.Batch, orders []*registry.Order) (*Created, error) {
	var created bool
	var err error
	if req.Journal != "" {
		// The batch and its registration are one transaction: a registration that fails
		// leaves no batch of drafts behind.
		date, build, audit := s.registration(req.Actor, b, req.Journal, req.Date)
		created, _, err = s.cfg.Store.CreateRegisteredBatch(ctx, b, orders, req.Journal, date, build, audit)
		if errors.Is(err, registry.ErrInvalid) {
			return nil, noJournal(req.Journal)
		}
	} else {
		created, err = s.cfg.Store.CreateBatch(ctx, b, orders)
	}
	if err != nil {
		return nil, err
	}
	// The jobs must reach the queue even if the client hangs up now; the sweeper is only
	// the net for a process that dies here.
	bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Minute)
	defer cancel()
	if !created {
		if err := s.finish(bg, req.Actor, b); err != nil {
			return nil, err
		}
		return &Created{Batch: b, Replayed: true}, nil
	}
	if req.Journal != "" {
		// Registration queued them and gave them numbers: publish what is stored.
		if orders, err = s.orders(bg, b); err != nil {
			return nil, err
		}
	}
	s.publish(bg, orders, "batch")
	return &Created{Batch: b}, nil
}

// batchKey identifies a batch within its organization: the mode, the registration asked
// for and the keys of the included drafts (which cover the template, the constants and the
// rows' cells), in row order.
func batchKey(mode batch.Mode, keys []string, journal, date string) string {
	h := sha256.New()
	for _, f := range append([]string{"orders/batch/v1", mode.String(), journal, date}, keys...) {
		fmt.Fprintf(h, "%d:%s;", len(f), f)
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// orgColumn finds the column that names each row's organization (a school), so the files
// of result.zip can carry it.
func orgColumn(cols []string) string {
	for _, c := range cols {
		n := strings.ToLower(strings.ReplaceAll(c, "ё", "е"))
		if strings.Contains(n, "организаци") || strings.Contains(n, "учреждени") ||
			slices.Contains([]string{"школа", "оо", "оу", "доу", "площадка"}, n) {
			return c
		}
	}
	return ""
}

// registration is the registration date (today in Moscow if not given), the build
// function and the audit entries of a batch's registration in journal.
func (s *Service) registration(actor string, b *registry.Batch, journal, date string) (string,
	func(*registry.Order, string, int) (registry.Registered, error), func(*registry.Order) *registry.AuditEntry) {
	if date == "" {
		date = time.Now().In(ru.Moscow).Format(time.DateOnly)
	}
	build := func(o *registry.Order, number string, seq int) (registry.Registered, error) {
		return s.cfg.Intake.Registered(o, number, date)
	}
	audit := func(o *registry.Order) *registry.AuditEntry {
		details, _ := json.Marshal(map[string]any{"batch": b.ID, "row": o.BatchRow, "number": o.Number, "journal": journal, "date": date})
		return &registry.AuditEntry{Actor: actor, Action: "register", Details: details}
	}
	return date, build, audit
}

// finish completes a batch that was recorded before: registration if it was asked for
// and did not happen (the process died after the insert), and a publish of every order
// still queued (harmless duplicates are dropped by the job ids).
func (s *Service) finish(ctx context.Context, actor string, b *registry.Batch) error {
	if b.State == registry.BatchCancelled {
		return nil
	}
	opts := SummaryOf(b)
	orders, err := s.orders(ctx, b)
	if err != nil {
		return err
	}
	if opts.Journal != "" && slices.ContainsFunc(orders, func(o *registry.Order) bool { return o.State == registry.StateDraft }) {
		date, build, audit := s.registration(actor, b, opts.Journal, opts.Date)
		if _, err := s.cfg.Store.RegisterBatch(ctx, b.OrgID, b.ID, opts.Journal, date, build, audit); err != nil {
			return err
		}
		if orders, err = s.orders(ctx, b); err != nil {
			return err
		}
	}
	queued := slices.DeleteFunc(orders, func(o *registry.Order) bool { return o.Status != registry.StatusQueued })
	s.publish(ctx, queued, "batch")
	return nil
}

// publish publishes the render jobs from a few goroutines: a JetStream publish waits for
// its acknowledgement, and 10,000 of them one after another take seconds. A failure is
// logged and retried in the background; the sweeper republishes what stays queued.
func (s *Service) publish(ctx context.Context, orders []*registry.Order, reason string) {
	var failed atomic.Int64
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(16, len(orders)) {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < len(orders); i = int(next.Add(1)) - 1 {
				o := orders[i]
				if err := s.cfg.Jobs.Publish(ctx, o, reason); err != nil {
					if failed.Add(1) == 1 {
						s.log.Warn("publish failed; republishing", "order", o.ID, "err", err)
					}
					s.cfg.Jobs.Retry(o, reason)
				}
			}
		})
	}
	wg.Wait()
	if n := failed.Load(); n > 0 {
		s.log.Warn("batch jobs not published at once; republishing", "count", n)
	}
}
