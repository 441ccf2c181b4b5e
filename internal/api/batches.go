package api

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
	"io/fs"
	"mime"
	"net/http"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	pdfapi "github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"

	"orders/internal/batch"
	"orders/internal/control"
	"orders/internal/csvsafe"
	"orders/internal/order"
	"orders/internal/queue"
	"orders/internal/registry"
	"orders/internal/ru"
	"orders/internal/strictjson"
	"orders/internal/worker"
	"orders/templates"
)

// Batch issuing: an order template and rows of data become many orders (or one order with
// the rows in its appendix table). Every row is checked before anything is recorded; the
// batch and its orders are written in one transaction, optionally registered with
// consecutive numbers, then their render jobs are published. Ids derive from the batch key,
// which derives from the template, constants and rows, so a resubmission creates nothing.

func init() {
	// pdfcpu would otherwise create a configuration directory under the user's home on
	// first use; the server needs none of it.
	pdfapi.DisableConfigDir()
}

func (s *Server) batchRoutes(auth *gin.RouterGroup) {
	auth.POST("/batches", s.allow(roleClerk, roleHead, roleAdmin), s.createBatch)
	auth.GET("/batches", s.listBatches)
	auth.GET("/batches/:id", s.getBatch)
	auth.GET("/batches/:id/events", s.batchEvents)
	auth.POST("/batches/:id/cancel", s.allow(roleClerk, roleHead, roleAdmin), s.cancelBatch)
	auth.GET("/batches/:id/result.zip", s.batchZip)
	auth.GET("/batches/:id/merged.pdf", s.batchMergedPDF)
}

// batchNamespace roots the derived ids: batch id = SHA-1 UUID of (organization, batch key)
// in it; an order's id = SHA-1 UUID of its row in the batch id.
var batchNamespace = uuid.MustParse("5b0c3c5e-8a63-4f4e-9d55-6c0a4d2f1e27")

// batchOrderID is the id of the order made from a row (0 for the one order of one_order).
func batchOrderID(batchID uuid.UUID, row int) uuid.UUID {
	return uuid.NewSHA1(batchID, []byte("row:"+strconv.Itoa(row)))
}

// batchOptions is what a batch remembers of its request, kept in registry.Batch.Options.
type batchOptions struct {
	TemplateName string            `json:"template_name,omitempty"`
	TemplateFile string            `json:"template_file,omitempty"`
	DataFile     string            `json:"data_file,omitempty"`
	Format       string            `json:"format,omitempty"`
	Encoding     string            `json:"encoding,omitempty"`
	Sheet        string            `json:"sheet,omitempty"`
	Constants    map[string]string `json:"constants,omitempty"`
	ValidOnly    bool              `json:"valid_only,omitempty"`
	Journal      string            `json:"journal,omitempty"`
	Date         string            `json:"date,omitempty"`
	Rows         int               `json:"rows"`
	// Skipped are the problems of the rows left out (valid_only), at most maxStoredSkipped.
	Skipped      []batch.RowProblem `json:"skipped,omitempty"`
	SkippedTotal int                `json:"skipped_total,omitempty"`
	Warnings     []string           `json:"warnings,omitempty"`
	// OrgColumn is the data column naming each row's organization (a school), if any;
	// Labels its value by batch row, for the file names of result.zip.
	OrgColumn string         `json:"org_column,omitempty"`
	Labels    map[int]string `json:"labels,omitempty"`
}

const maxStoredSkipped = 1000

// batchSummary is batchOptions without the labels, which views do not need: decoding
// skips them instead of building a map of every row.
type batchSummary struct {
	Journal      string             `json:"journal,omitempty"`
	Date         string             `json:"date,omitempty"`
	DataFile     string             `json:"data_file,omitempty"`
	Rows         int                `json:"rows"`
	Skipped      []batch.RowProblem `json:"skipped,omitempty"`
	SkippedTotal int                `json:"skipped_total,omitempty"`
	Warnings     []string           `json:"warnings,omitempty"`
}

// batchInput is a parsed POST /api/v1/batches.
type batchInput struct {
	template     []byte
	templateName string
	templateFile string
	data         []byte
	dataFile     string
	mode         batch.Mode
	constants    map[string]string
	validOnly    bool
	sheet        string
	journal      string
	date         string
	organization string
}

// batchJSON is the JSON form of the request: the rows inline.
type batchJSON struct {
	Template     json.RawMessage   `json:"template"`
	TemplateName string            `json:"template_name"`
	Rows         json.RawMessage   `json:"rows"`
	Mode         string            `json:"mode"`
	Constants    map[string]string `json:"constants"`
	ValidOnly    bool              `json:"valid_only"`
	Journal      string            `json:"journal"`
	Date         string            `json:"date"`
	Organization string            `json:"organization"`
}

// batchLimit is the largest batch request: a data file of batch.MaxFileSize and a template.
func (s *Server) batchLimit() int64 { return max(s.cfg.MaxBody, batch.MaxFileSize+2<<20) }

var reTemplateName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// TemplateNames lists the order templates shipped with the service (templates/orders).
func TemplateNames() []string {
	entries, _ := fs.ReadDir(templates.Orders, "orders")
	var out []string
	for _, e := range entries {
		if name, ok := strings.CutSuffix(e.Name(), ".json"); ok {
			out = append(out, name)
		}
	}
	return out
}

// readBatchInput parses the multipart or JSON request; it has answered when ok is false.
func (s *Server) readBatchInput(c *gin.Context) (*batchInput, bool) {
	limit := s.batchLimit()
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
	tooBig := func(err error) bool {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			problem(c, http.StatusRequestEntityTooLarge, fmt.Sprintf("запрос больше допустимого: не более %d байт", limit))
			return true
		}
		return false
	}
	in := &batchInput{}
	var ps order.Problems
	var modeName string
	mt, _, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	switch {
	case err == nil && mt == "multipart/form-data":
		if err := c.Request.ParseMultipartForm(limit); err != nil {
			if !tooBig(err) {
				problem(c, http.StatusBadRequest, "форма multipart/form-data не разобрана: "+err.Error())
			}
			return nil, false
		}
		defer c.Request.MultipartForm.RemoveAll()
		form := c.Request.MultipartForm
		value := func(name string) string {
			if v := form.Value[name]; len(v) > 0 {
				return strings.TrimSpace(v[0])
			}
			return ""
		}
		file := func(name string) (data []byte, filename string, err error) {
			if fhs := form.File[name]; len(fhs) > 0 {
				f, err := fhs[0].Open()
				if err != nil {
					return nil, "", err
				}
				defer f.Close()
				data, err = io.ReadAll(f)
				return data, fhs[0].Filename, err
			}
			if v := form.Value[name]; len(v) > 0 {
				return []byte(v[0]), "", nil
			}
			return nil, "", nil
		}
		if in.template, in.templateFile, err = file("template"); err != nil {
			problem(c, http.StatusBadRequest, "файл шаблона (template) не дочитан: "+err.Error())
			return nil, false
		}
		if in.data, in.dataFile, err = file("data"); err != nil {
			problem(c, http.StatusBadRequest, "файл данных (data) не дочитан: "+err.Error())
			return nil, false
		}
		if in.data == nil {
			ps = append(ps, order.Problem{Path: "data", Message: "не передан файл со строками: CSV, XLSX или JSON"})
		}
		in.templateName, modeName = value("template_name"), value("mode")
		in.sheet, in.journal, in.date, in.organization = value("sheet"), value("journal"), value("date"), value("organization")
		if v := value("constants"); v != "" {
			if err := strictjson.Decode([]byte(v), &in.constants); err != nil {
				ps = append(ps, order.Problem{Path: "constants", Message: "ожидается объект JSON со строковыми значениями: " + err.Error()})
			}
		}
		if v := value("valid_only"); v != "" {
			if in.validOnly, err = strconv.ParseBool(v); err != nil {
				ps = append(ps, order.Problem{Path: "valid_only", Message: fmt.Sprintf("ожидается true или false, а не «%s»", v)})
			}
		}
	case err == nil && mt == "application/json":
		data, err := io.ReadAll(c.Request.Body)
		if err != nil {
			if !tooBig(err) {
				problem(c, http.StatusBadRequest, "тело запроса не дочитано: "+err.Error())
			}
			return nil, false
		}
		var req batchJSON
		if err := strictjson.Decode(data, &req); err != nil {
			badJSON(c, err)
			return nil, false
		}
		if len(req.Template) > 0 && string(req.Template) != "null" {
			in.template = req.Template
		}
		if len(req.Rows) == 0 || string(req.Rows) == "null" {
			ps = append(ps, order.Problem{Path: "rows", Message: "не переданы строки: нужен массив объектов, по объекту на строку"})
		}
		in.data, in.dataFile = req.Rows, "rows.json"
		in.templateName, modeName, in.constants, in.validOnly = req.TemplateName, req.Mode, req.Constants, req.ValidOnly
		in.journal, in.date, in.organization = req.Journal, req.Date, req.Organization
	default:
		problem(c, http.StatusUnsupportedMediaType, "пакет принимается как multipart/form-data (файлы template и data) или application/json (template и rows)")
		return nil, false
	}

	if in.mode, err = batch.ParseMode(modeName); err != nil {
		ps = append(ps, order.Problem{Path: "mode", Message: fmt.Sprintf("неизвестный режим «%s»: per_row (приказ на каждую строку) или one_order (один приказ с таблицей)", modeName)})
	}
	switch {
	case in.template != nil && in.templateName != "":
		ps = append(ps, order.Problem{Path: "template", Message: "передайте либо template, либо template_name, а не оба"})
	case in.templateName != "":
		tmpl, err := fs.ReadFile(templates.Orders, "orders/"+in.templateName+".json")
		if !reTemplateName.MatchString(in.templateName) || err != nil {
			ps = append(ps, order.Problem{Path: "template_name", Message: fmt.Sprintf("шаблона «%s» нет; есть: %s", in.templateName, strings.Join(TemplateNames(), ", "))})
		}
		in.template = tmpl
	case in.template == nil:
		ps = append(ps, order.Problem{Path: "template", Message: "не передан шаблон: черновик JSON с {полями} или template_name"})
	}
	if in.date != "" {
		if _, err := time.Parse(time.DateOnly, in.date); err != nil {
			ps = append(ps, order.Problem{Path: "date", Message: fmt.Sprintf("не дата: «%s»; нужна дата в виде ГГГГ-ММ-ДД", in.date)})
		} else if in.journal == "" {
			ps = append(ps, order.Problem{Path: "date", Message: "это дата регистрации: укажите и журнал (journal)"})
		}
	}
	if len(ps) > 0 {
		writeProblem(c, Problem{Status: http.StatusUnprocessableEntity,
			Detail: problemsDetail(ps), Errors: ps})
		return nil, false
	}
	return in, true
}

// rowProblemView is a row problem with the sentence a person reads.
type rowProblemView struct {
	batch.RowProblem
	Text string `json:"text"`
}

func rowProblemViews(ps []batch.RowProblem) []rowProblemView {
	out := make([]rowProblemView, len(ps))
	for i, p := range ps {
		out[i] = rowProblemView{p, p.String()}
	}
	return out
}

// batchProblem is a problem+json answer that lists the problems of the rows.
type batchProblem struct {
	Problem
	RowProblems []rowProblemView `json:"row_problems,omitempty"`
	Warnings    []string         `json:"warnings,omitempty"`
}

func writeBatchProblem(c *gin.Context, p batchProblem) {
	p.Type, p.Title = "about:blank", http.StatusText(p.Status)
	c.Header("Content-Type", problemType)
	c.AbortWithStatusJSON(p.Status, p)
	c.Writer.Header().Set("Content-Type", problemType)
}

// readError answers a data file that cannot be read as a whole.
func readError(c *gin.Context, err error) {
	if errors.Is(err, batch.ErrTooLarge) {
		problem(c, http.StatusRequestEntityTooLarge, err.Error())
		return
	}
	writeProblem(c, Problem{Status: http.StatusUnprocessableEntity, Detail: err.Error(),
		Errors: order.Problems{{Path: "data", Message: err.Error()}}})
}

// planError answers what NewPlan refuses: the template's or the constants' fault, or too
// many rows.
func planError(c *gin.Context, err error) {
	if ps, ok := order.AsProblems(err); ok {
		for i := range ps {
			ps[i].Path = strings.TrimSuffix("template."+ps[i].Path, ".")
		}
		writeProblem(c, Problem{Status: http.StatusUnprocessableEntity,
			Detail: "ошибка в шаблоне: " + problemsDetail(ps), Errors: ps})
		return
	}
	writeProblem(c, Problem{Status: http.StatusUnprocessableEntity, Detail: err.Error()})
}

// batchAccepted is the answer to a batch: 202 when created, 200 when replayed.
type batchAccepted struct {
	ID       uuid.UUID        `json:"id"`
	Key      string           `json:"key"`
	Total    int              `json:"total"`
	State    string           `json:"state"`
	Location string           `json:"location"`
	Events   string           `json:"events"`
	Replayed bool             `json:"replayed,omitempty"`
	Skipped  []rowProblemView `json:"skipped,omitempty"`
	// SkippedRows are the lines of the rows left out (valid_only).
	SkippedRows []int    `json:"skipped_rows,omitempty"`
	Warnings    []string `json:"warnings,omitempty"`
}

func (s *Server) createBatch(c *gin.Context) {
	in, ok := s.readBatchInput(c)
	if !ok {
		return
	}
	cl := who(c)
	if in.journal != "" && cl.role != roleHead && cl.role != roleAdmin {
		problem(c, http.StatusForbidden, "роль «"+word(roleWords, cl.role)+"» не регистрирует приказы: уберите journal, зарегистрирует руководитель")
		return
	}
	t, err := batch.ReadRowsWith(in.dataFile, in.data, batch.ReadOptions{Sheet: in.sheet})
	if err != nil {
		readError(c, err)
		return
	}
	plan, err := batch.NewPlan(in.template, in.mode, in.constants, t)
	if err != nil {
		planError(c, err)
		return
	}
	var included []*batch.Planned
	for i := range plan.Drafts {
		if plan.Drafts[i].Draft != nil {
			included = append(included, &plan.Drafts[i])
		}
	}
	if len(plan.Problems) > 0 && !in.validOnly || len(included) == 0 {
		detail := fmt.Sprintf("в строках %s; ничего не выпущено (с valid_only=true выпускаются только верные строки)", problemCount(len(plan.Problems)))
		if in.validOnly {
			detail = fmt.Sprintf("в строках %s и ни одной верной строки; ничего не выпущено", problemCount(len(plan.Problems)))
		}
		writeBatchProblem(c, batchProblem{Problem: Problem{Status: http.StatusUnprocessableEntity, Detail: detail},
			RowProblems: rowProblemViews(plan.Problems), Warnings: plan.Warnings})
		return
	}

	ctx := c.Request.Context()
	orgID, drafts, ok := s.resolveBatchDrafts(c, cl, in, included)
	if !ok {
		return
	}
	if in.journal != "" {
		if _, err := s.cfg.Store.GetJournal(ctx, orgID, in.journal); err != nil {
			if errors.Is(err, registry.ErrNotFound) {
				writeProblem(c, Problem{Status: http.StatusUnprocessableEntity, Detail: fmt.Sprintf("journal: журнала «%s» нет", in.journal),
					Errors: order.Problems{{Path: "journal", Message: fmt.Sprintf("журнала «%s» нет у этой организации", in.journal)}}})
			} else {
				s.storeError(c, err)
			}
			return
		}
	}

	keys := make([]string, len(included))
	for i, p := range included {
		keys[i] = p.Key
	}
	key := batchKey(in.mode, keys, in.journal, in.date)
	b := &registry.Batch{
		ID: uuid.NewSHA1(batchNamespace, []byte(orgID+"\x00"+key)), OrgID: orgID, Key: key,
		Mode: in.mode.String(), Template: cmp.Or(in.templateName, in.templateFile, "custom"),
		Total: len(included), State: registry.BatchAccepted, CreatedBy: cl.actor,
	}
	opts := batchOptions{
		TemplateName: in.templateName, TemplateFile: in.templateFile, DataFile: in.dataFile,
		Format: t.Format, Encoding: t.Encoding, Sheet: in.sheet, Constants: in.constants,
		ValidOnly: in.validOnly, Journal: in.journal, Date: in.date, Rows: len(t.Rows), Warnings: plan.Warnings,
	}
	if len(plan.Problems) > 0 {
		opts.SkippedTotal = len(plan.Problems)
		opts.Skipped = plan.Problems[:min(len(plan.Problems), maxStoredSkipped)]
	}
	if in.mode == batch.PerRow {
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
	if in.journal != "" {
		status = registry.StatusDraft
	}
	orders := make([]*registry.Order, len(included))
	for i, p := range included {
		d := drafts[i]
		row := batchRow(p)
		id, bid := batchOrderID(b.ID, row), b.ID
		orders[i] = &registry.Order{
			ID: id, OrgID: orgID, Kind: string(kindOf(d.draft)), Title: d.draft.Title, Date: d.draft.Date,
			Number: d.draft.Number, Status: status, Draft: d.normalized, SearchText: d.search,
			BatchID: &bid, BatchRow: row,
		}
	}
	var created bool
	if in.journal != "" {
		// The batch and its registration are one transaction: a registration that fails
		// leaves no batch of drafts behind.
		created, err = s.createRegisteredBatch(ctx, c, b, orders, in.journal, in.date)
		if err != nil {
			s.registerError(c, err, in.journal)
			return
		}
	} else if created, err = s.cfg.Store.CreateBatch(ctx, b, orders); err != nil {
		s.storeError(c, err)
		return
	}
	// The jobs must reach the queue even if the client hangs up now; the sweeper is only
	// the net for a process that dies here.
	bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Minute)
	defer cancel()
	if !created {
		// The same batch again: finish what the first attempt may have left undone.
		if err := s.finishBatch(bg, c, b); err != nil {
			s.storeError(c, err)
			return
		}
		c.Header("Idempotent-Replayed", "true")
		s.answerBatch(c, http.StatusOK, b, true)
		return
	}
	if in.journal != "" {
		if orders, err = s.batchOrders(bg, b); err != nil {
			s.storeError(c, err)
			return
		}
	}
	s.publishOrders(bg, orders, "batch")
	s.answerBatch(c, http.StatusAccepted, b, false)
}

// batchRow is the row an order is known by in its batch: the line of the file (the row the
// clerk sees), 0 for the one order of one_order mode.
func batchRow(p *batch.Planned) int { return max(p.Line, 0) }

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

type resolvedDraft struct {
	draft      *order.Draft
	normalized []byte
	search     string
}

// resolveBatchDrafts gives every draft the organization and letterhead the way POST
// /orders does, then encodes the drafts and their search text on all processors.
func (s *Server) resolveBatchDrafts(c *gin.Context, cl caller, in *batchInput, included []*batch.Planned) (string, []resolvedDraft, bool) {
	ctx := c.Request.Context()
	letterheads := map[string]*order.Letterhead{}
	out := make([]resolvedDraft, len(included))
	orgID := ""
	for i, p := range included {
		d := p.Draft
		if d.Organization == "" {
			d.Organization = in.organization
		}
		id, err := s.resolveOrganization(ctx, cl, d, letterheads)
		if err != nil {
			if ps, ok := order.AsProblems(err); ok {
				writeProblem(c, Problem{Status: http.StatusUnprocessableEntity, Detail: "организация, издающая приказы: " + ps.Error(), Errors: ps})
			} else {
				s.storeError(c, err)
			}
			return "", nil, false
		}
		if orgID != "" && id != orgID {
			writeProblem(c, Problem{Status: http.StatusUnprocessableEntity, Detail: "в одном пакете приказы издаёт одна организация",
				Errors: order.Problems{{Path: "organization", Message: fmt.Sprintf("в строках названы и «%s», и «%s»; разделите пакет по организациям", orgID, id)}}})
			return "", nil, false
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
		out[i].normalized, out[i].search = js, searchText(out[i].draft)
	})
	if err, _ := failed.Load().(error); err != nil {
		problem(c, http.StatusInternalServerError, msgInternal)
		return "", nil, false
	}
	return orgID, out, true
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

// registeredDraft is a draft with its registration number and date, as the registry's
// build function returns it.
func registeredDraft(o *registry.Order, number, date string) (registry.Registered, error) {
	d, err := order.Decode(o.Draft)
	if err != nil {
		return registry.Registered{}, fmt.Errorf("stored draft: %w", err)
	}
	d.Number, d.Date = number, date
	data, err := json.Marshal(d)
	if err != nil {
		return registry.Registered{}, err
	}
	// The clauses under control become control items in the registration's transaction.
	return registry.Registered{Draft: data, SearchText: searchText(d), Controls: control.FromDraft(d)}, nil
}

// registerBatch numbers the batch's orders in row order in one transaction.
func (s *Server) registerBatch(ctx context.Context, c *gin.Context, b *registry.Batch, journal, date string) error {
	date, build, audit := s.batchRegistration(c, b, date)
	_, err := s.cfg.Store.RegisterBatch(ctx, b.OrgID, b.ID, journal, date, build, audit(journal))
	return err
}

// createRegisteredBatch stores a new batch with its orders registered, in one transaction.
func (s *Server) createRegisteredBatch(ctx context.Context, c *gin.Context, b *registry.Batch, orders []*registry.Order, journal, date string) (created bool, err error) {
	date, build, audit := s.batchRegistration(c, b, date)
	created, _, err = s.cfg.Store.CreateRegisteredBatch(ctx, b, orders, journal, date, build, audit(journal))
	return created, err
}

// batchRegistration is the registration date (today in Moscow if not given), the build
// function and the audit entries of a batch's registration.
func (s *Server) batchRegistration(c *gin.Context, b *registry.Batch, date string) (string,
	func(*registry.Order, string, int) (registry.Registered, error), func(journal string) func(*registry.Order) *registry.AuditEntry) {
	if date == "" {
		date = time.Now().In(ru.Moscow).Format(time.DateOnly)
	}
	actor := who(c).actor
	build := func(o *registry.Order, number string, seq int) (registry.Registered, error) {
		return registeredDraft(o, number, date)
	}
	audit := func(journal string) func(*registry.Order) *registry.AuditEntry {
		return func(o *registry.Order) *registry.AuditEntry {
			details, _ := json.Marshal(map[string]any{"batch": b.ID, "row": o.BatchRow, "number": o.Number, "journal": journal, "date": date})
			return &registry.AuditEntry{Actor: actor, Action: "register", Details: details}
		}
	}
	return date, build, audit
}

func (s *Server) registerError(c *gin.Context, err error, journal string) {
	if errors.Is(err, registry.ErrInvalid) {
		writeProblem(c, Problem{Status: http.StatusUnprocessableEntity, Detail: fmt.Sprintf("journal: журнала «%s» нет", journal),
			Errors: order.Problems{{Path: "journal", Message: fmt.Sprintf("журнала «%s» нет у этой организации", journal)}}})
		return
	}
	s.storeError(c, err)
}

// finishBatch completes a batch that was recorded before: registration if it was asked
// for and did not happen (the process died after the insert), and a publish of every order
// still queued (harmless duplicates are dropped by the job ids).
func (s *Server) finishBatch(ctx context.Context, c *gin.Context, b *registry.Batch) error {
	if b.State == registry.BatchCancelled {
		return nil
	}
	var opts batchSummary
	_ = json.Unmarshal(b.Options, &opts)
	orders, err := s.batchOrders(ctx, b)
	if err != nil {
		return err
	}
	if opts.Journal != "" && slices.ContainsFunc(orders, func(o *registry.Order) bool { return o.State == registry.StateDraft }) {
		if err := s.registerBatch(ctx, c, b, opts.Journal, opts.Date); err != nil {
			return err
		}
		if orders, err = s.batchOrders(ctx, b); err != nil {
			return err
		}
	}
	queued := slices.DeleteFunc(orders, func(o *registry.Order) bool { return o.Status != registry.StatusQueued })
	s.publishOrders(ctx, queued, "batch")
	return nil
}

// batchOrders lists the orders of a batch in row order.
func (s *Server) batchOrders(ctx context.Context, b *registry.Batch) ([]*registry.Order, error) {
	var out []*registry.Order
	err := s.eachBatchOrder(ctx, b, func(o *registry.Order) error { out = append(out, o); return nil })
	return out, err
}

// eachBatchOrder calls f for every order of the batch in row order, a page at a time.
func (s *Server) eachBatchOrder(ctx context.Context, b *registry.Batch, f func(o *registry.Order) error) error {
	after := -1
	for {
		page, err := s.cfg.Store.ListBatchOrders(ctx, b.OrgID, b.ID, after, registry.MaxLimit)
		if err != nil {
			return err
		}
		for i := range page {
			if err := f(&page[i]); err != nil {
				return err
			}
		}
		if len(page) < registry.MaxLimit {
			return nil
		}
		after = page[len(page)-1].BatchRow
	}
}

// publishOrders publishes the render jobs from a few goroutines: a JetStream publish waits
// for its acknowledgement, and 10,000 of them one after another take seconds. A failure is
// logged; the sweeper republishes what stays queued.
func (s *Server) publishOrders(ctx context.Context, orders []*registry.Order, reason string) {
	var failed atomic.Int64
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(16, len(orders)) {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < len(orders); i = int(next.Add(1)) - 1 {
				o := orders[i]
				job, id := queue.Job{OrderID: o.ID, Reason: reason}, worker.JobID(o)
				if _, err := s.cfg.Queue.Publish(ctx, job, id); err != nil {
					if failed.Add(1) == 1 {
						s.log.Warn("publish failed; republishing", "order", o.ID, "err", err)
					}
					s.republish.Retry(job, id)
				}
			}
		})
	}
	wg.Wait()
	if n := failed.Load(); n > 0 {
		s.log.Warn("batch jobs not published at once; republishing", "count", n)
	}
}

func (s *Server) answerBatch(c *gin.Context, code int, b *registry.Batch, replayed bool) {
	var opts batchSummary
	_ = json.Unmarshal(b.Options, &opts)
	loc := "/api/v1/batches/" + b.ID.String()
	acc := batchAccepted{ID: b.ID, Key: b.Key, Total: b.Total, State: string(b.State), Location: loc,
		Events: loc + "/events", Replayed: replayed, Skipped: rowProblemViews(opts.Skipped), Warnings: opts.Warnings}
	for _, p := range opts.Skipped {
		if p.Line > 0 && !slices.Contains(acc.SkippedRows, p.Line) {
			acc.SkippedRows = append(acc.SkippedRows, p.Line)
		}
	}
	c.Header("Location", loc)
	c.JSON(code, acc)
}

// batchProgress is where a batch's orders are.
type batchProgress struct {
	Total     int                     `json:"total"`
	Queued    int                     `json:"queued"`
	Rendering int                     `json:"rendering"`
	Rendered  int                     `json:"rendered"`
	Failed    int                     `json:"failed"`
	Cancelled int                     `json:"cancelled"`
	Finished  int                     `json:"finished"`
	Done      bool                    `json:"done"`
	ByStatus  map[registry.Status]int `json:"by_status"`
	ByState   map[registry.State]int  `json:"by_state"`
}

func (s *Server) progress(ctx context.Context, b *registry.Batch) (batchProgress, error) {
	byStatus, byState, err := s.cfg.Store.BatchCounts(ctx, b.OrgID, b.ID)
	if err != nil {
		return batchProgress{}, err
	}
	p := batchProgress{Total: b.Total, ByStatus: byStatus, ByState: byState,
		Queued: byStatus[registry.StatusQueued], Rendering: byStatus[registry.StatusRendering],
		Rendered: byStatus[registry.StatusRendered], Failed: byStatus[registry.StatusFailed],
		Cancelled: byStatus[registry.StatusCancelled]}
	p.Finished = p.Rendered + p.Failed + p.Cancelled
	p.Done = p.Queued+p.Rendering+byStatus[registry.StatusDraft] == 0
	if p.Done && b.State == registry.BatchAccepted {
		// Record the end, so that lists show it without counting.
		if nb, err := s.cfg.Store.SetBatchState(ctx, b.OrgID, b.ID, []registry.BatchState{registry.BatchAccepted}, registry.BatchDone); err == nil {
			*b = *nb
		} else if !errors.Is(err, registry.ErrConflict) {
			s.log.Warn("batch state", "batch", b.ID, "err", err)
		}
	}
	return p, nil
}

// progressShare lets the event streams of one batch share their registry queries: one
// count per interval for all of them, and never more often than every ten times the
// count's own duration, so that a slow count on a large batch cannot take the registry's
// and the processors' time away from the workers.
type progressShare struct {
	mu    sync.Mutex
	users int
	p     batchProgress
	err   error
	at    time.Time
	took  time.Duration
}

var progressShares = struct {
	sync.Mutex
	m map[uuid.UUID]*progressShare
}{m: map[uuid.UUID]*progressShare{}}

func acquireProgress(id uuid.UUID) *progressShare {
	progressShares.Lock()
	defer progressShares.Unlock()
	ps := progressShares.m[id]
	if ps == nil {
		ps = &progressShare{}
		progressShares.m[id] = ps
	}
	ps.users++
	return ps
}

func releaseProgress(id uuid.UUID, ps *progressShare) {
	progressShares.Lock()
	defer progressShares.Unlock()
	if ps.users--; ps.users == 0 {
		delete(progressShares.m, id)
	}
}

// get returns the shared progress, counting again if the last count is old enough.
func (ps *progressShare) get(ctx context.Context, s *Server, b *registry.Batch) (batchProgress, error) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if !ps.at.IsZero() && time.Since(ps.at) < max(EventInterval*9/10, 10*ps.took) {
		return ps.p, ps.err
	}
	start := time.Now()
	ps.p, ps.err = s.progress(ctx, b)
	ps.at, ps.took = time.Now(), time.Since(start)
	return ps.p, ps.err
}

type batchView struct {
	ID           uuid.UUID         `json:"id"`
	Organization string            `json:"organization"`
	Key          string            `json:"key"`
	Mode         string            `json:"mode"`
	Template     string            `json:"template"`
	Total        int               `json:"total"`
	State        string            `json:"state"`
	CreatedAt    time.Time         `json:"created_at"`
	UpdatedAt    time.Time         `json:"updated_at"`
	CreatedBy    string            `json:"created_by,omitempty"`
	Journal      string            `json:"journal,omitempty"`
	Date         string            `json:"date,omitempty"`
	DataFile     string            `json:"data_file,omitempty"`
	Rows         int               `json:"rows"`
	Progress     *batchProgress    `json:"progress,omitempty"`
	Skipped      []rowProblemView  `json:"skipped,omitempty"`
	SkippedTotal int               `json:"skipped_total,omitempty"`
	Warnings     []string          `json:"warnings,omitempty"`
	Links        map[string]string `json:"links"`
}

func viewBatch(b *registry.Batch, p *batchProgress, full bool) batchView {
	var opts batchSummary
	_ = json.Unmarshal(b.Options, &opts)
	base := "/api/v1/batches/" + b.ID.String()
	v := batchView{ID: b.ID, Organization: b.OrgID, Key: b.Key, Mode: b.Mode, Template: b.Template,
		Total: b.Total, State: string(b.State), CreatedAt: b.CreatedAt, UpdatedAt: b.UpdatedAt, CreatedBy: b.CreatedBy,
		Journal: opts.Journal, Date: opts.Date, DataFile: opts.DataFile, Rows: opts.Rows, Progress: p,
		SkippedTotal: opts.SkippedTotal,
		Links: map[string]string{"self": base, "events": base + "/events", "cancel": base + "/cancel",
			"result_zip": base + "/result.zip", "merged_pdf": base + "/merged.pdf"}}
	if full {
		v.Skipped, v.Warnings = rowProblemViews(opts.Skipped), opts.Warnings
	}
	if p != nil && p.Done && v.State == string(registry.BatchAccepted) {
		v.State = string(registry.BatchDone)
	}
	return v
}

// loadBatch reads the batch named in the path as the caller may see it; it has answered
// when ok is false.
func (s *Server) loadBatch(c *gin.Context) (*registry.Batch, bool) {
	id, err := uuid.Parse(c.Param("id"))
	if err != nil {
		problem(c, http.StatusNotFound, "такого пакета нет (или он другой организации)")
		return nil, false
	}
	b, err := s.cfg.Store.GetBatch(c.Request.Context(), who(c).orgID, id)
	if errors.Is(err, registry.ErrNotFound) {
		problem(c, http.StatusNotFound, "такого пакета нет (или он другой организации)")
		return nil, false
	}
	if err != nil {
		s.storeError(c, err)
		return nil, false
	}
	return b, true
}

func (s *Server) getBatch(c *gin.Context) {
	b, ok := s.loadBatch(c)
	if !ok {
		return
	}
	p, err := s.progress(c.Request.Context(), b)
	if err != nil {
		s.storeError(c, err)
		return
	}
	c.JSON(http.StatusOK, viewBatch(b, &p, true))
}

func (s *Server) listBatches(c *gin.Context) {
	limit := registry.DefaultLimit
	if l := c.Query("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > registry.MaxLimit {
			problem(c, http.StatusBadRequest, fmt.Sprintf("limit: нужно число от 1 до %d, а не «%s»", registry.MaxLimit, l))
			return
		}
		limit = n
	}
	list, err := s.cfg.Store.ListBatches(c.Request.Context(), who(c).orgID, limit)
	if err != nil {
		s.storeError(c, err)
		return
	}
	views := make([]batchView, len(list))
	for i := range list {
		views[i] = viewBatch(&list[i], nil, false)
	}
	c.JSON(http.StatusOK, gin.H{"batches": views})
}

func (s *Server) cancelBatch(c *gin.Context) {
	b, ok := s.loadBatch(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	n, err := s.cfg.Store.CancelBatch(ctx, b.OrgID, b.ID)
	if err != nil {
		s.storeError(c, err)
		return
	}
	if b, err = s.cfg.Store.GetBatch(ctx, b.OrgID, b.ID); err != nil {
		s.storeError(c, err)
		return
	}
	p, err := s.progress(ctx, b)
	if err != nil {
		s.storeError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"cancelled": n, "batch": viewBatch(b, &p, false)})
}

// shutdownSignals holds, per http.Server, a channel closed when it shuts down, so that
// event streams end and let Shutdown finish instead of holding it for their lifetime.
var shutdownSignals sync.Map // *http.Server → chan struct{}

func shutdownSignal(r *http.Request) <-chan struct{} {
	srv, _ := r.Context().Value(http.ServerContextKey).(*http.Server)
	if srv == nil {
		return nil
	}
	ch := make(chan struct{})
	if prev, loaded := shutdownSignals.LoadOrStore(srv, ch); loaded {
		return prev.(chan struct{})
	}
	srv.RegisterOnShutdown(func() { close(ch) })
	return ch
}

// EventInterval is how often the event stream looks at a batch.
var EventInterval = 300 * time.Millisecond

// batchEvents streams progress as Server-Sent Events: a progress event when the counts
// change (and every 10 s as a keep-alive), then one done event when nothing is queued or
// rendering any more.
func (s *Server) batchEvents(c *gin.Context) {
	b, ok := s.loadBatch(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	h := c.Writer.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	c.Status(http.StatusOK)
	fmt.Fprint(c.Writer, "retry: 1000\n\n")
	c.Writer.Flush()
	closing := shutdownSignal(c.Request)
	tick := time.NewTicker(EventInterval)
	defer tick.Stop()
	share := acquireProgress(b.ID)
	defer releaseProgress(b.ID, share)
	var last []byte
	var sent time.Time
	for {
		p, err := share.get(ctx, s, b)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("batch events", "batch", b.ID, "err", err)
				fmt.Fprintf(c.Writer, "event: error\ndata: %s\n\n", mustJSON(gin.H{"detail": "the registry did not answer; reconnect"}))
				c.Writer.Flush()
			}
			return
		}
		js := mustJSON(p)
		switch {
		case p.Done:
			fmt.Fprintf(c.Writer, "event: done\ndata: %s\n\n", js)
			c.Writer.Flush()
			return
		case !bytes.Equal(js, last) || time.Since(sent) >= 10*time.Second:
			fmt.Fprintf(c.Writer, "event: progress\ndata: %s\n\n", js)
			c.Writer.Flush()
			last, sent = js, time.Now()
		}
		select {
		case <-ctx.Done():
			return
		case <-closing:
			return
		case <-tick.C:
		}
	}
}

func mustJSON(v any) []byte {
	js, _ := json.Marshal(v)
	return js
}

// batchFiles names an order's documents in result.zip: its number, or its row, and the
// row's organization (the issuing organization when the data has no such column).
func batchFileBase(o *registry.Order, label string) string {
	name := fmt.Sprintf("%04d", o.BatchRow)
	if o.Number != "" {
		name = "№ " + o.Number
	}
	if label = strings.TrimSpace(label); label == "" {
		label = o.OrgID
	}
	name += " " + label
	name = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`/\:*?"<>|`, r) || r < 0x20 || r == 0x7f {
			return '_'
		}
		return r
	}, strings.Join(strings.Fields(name), " "))
	if utf8.RuneCountInString(name) > 120 {
		name = string([]rune(name)[:120])
	}
	return strings.TrimRight(name, " .")
}

// batchReady answers 409 while orders of the batch are still queued or rendering, unless
// the caller asks for what is there (?partial=true).
func (s *Server) batchReady(c *gin.Context, b *registry.Batch) bool {
	if ok, _ := strconv.ParseBool(c.Query("partial")); ok {
		return true
	}
	p, err := s.progress(c.Request.Context(), b)
	if err != nil {
		s.storeError(c, err)
		return false
	}
	if !p.Done {
		problem(c, http.StatusConflict, fmt.Sprintf("пакет ещё не готов: %d из %d приказов в очереди или формируются; дождитесь события done или добавьте ?partial=true", p.Queued+p.Rendering, p.Total))
		return false
	}
	return true
}

// batchZip streams every rendered order's PDF and DOCX with a manifest.csv. Documents are
// read one at a time, so memory stays at one order's size whatever the batch's.
func (s *Server) batchZip(c *gin.Context) {
	b, ok := s.loadBatch(c)
	if !ok || !s.batchReady(c, b) {
		return
	}
	ctx := c.Request.Context()
	orders, err := s.batchOrders(ctx, b)
	if err != nil {
		s.storeError(c, err)
		return
	}
	var opts batchOptions
	_ = json.Unmarshal(b.Options, &opts)

	c.Header("Content-Type", "application/zip")
	c.Header("Content-Disposition", contentDisposition(fmt.Sprintf("Пакет приказов %s.zip", b.ID.String()[:8])))
	c.Status(http.StatusOK)
	zw := zip.NewWriter(c.Writer)
	var manifest bytes.Buffer
	manifest.WriteString("\uFEFF")
	// Titles and organizations come from uploaded rows: a cell such as =HYPERLINK(…) must
	// open as text in the clerk's spreadsheet.
	mw := csvsafe.NewWriter(&manifest)
	mw.Comma, mw.UseCRLF = ';', true
	_ = mw.Write([]string{"Строка", "Номер", "Дата", "Заголовок", "Организация", "Статус", "PDF", "DOCX", "SHA-256 PDF", "SHA-256 DOCX"})
	used := map[string]bool{}
	for _, o := range orders {
		label := opts.Labels[o.BatchRow]
		date := o.Date
		if t, err := time.Parse(time.DateOnly, o.Date); err == nil {
			date = t.Format("02.01.2006")
		}
		rec := []string{strconv.Itoa(o.BatchRow), o.Number, date, o.Title, label, string(o.Status), "", "", "", ""}
		if o.Status == registry.StatusRendered && o.PDFKey != "" {
			base := batchFileBase(o, label)
			if used[base] {
				base += " " + o.ID.String()[:8]
			}
			used[base] = true
			modified := o.UpdatedAt
			if o.RenderedAt != nil {
				modified = *o.RenderedAt
			}
			for i, doc := range []struct{ key, sum, ext string }{{o.PDFKey, o.PDFSHA256, "pdf"}, {o.DOCXKey, o.DOCXSHA256, "docx"}} {
				data, err := s.cfg.Blobs.Get(ctx, doc.key)
				if err != nil {
					// The status line is sent: cut the stream so the client sees a broken
					// archive, never a complete-looking one with a document missing.
					s.log.Error("batch zip: reading document", "order", o.ID, "key", doc.key, "err", err)
					panic(http.ErrAbortHandler)
				}
				w, err := zw.CreateHeader(&zip.FileHeader{Name: base + "." + doc.ext, Method: zip.Store, Modified: modified})
				if err == nil {
					_, err = w.Write(data)
				}
				if err != nil {
					return // the client went away
				}
				rec[6+i], rec[8+i] = base+"."+doc.ext, doc.sum
			}
		}
		_ = mw.Write(rec)
	}
	mw.Flush()
	w, err := zw.CreateHeader(&zip.FileHeader{Name: "manifest.csv", Method: zip.Deflate, Modified: b.UpdatedAt})
	if err == nil {
		_, err = w.Write(manifest.Bytes())
	}
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		return
	}
}

// maxMerged bounds merged.pdf: pdfcpu holds the whole merged document in memory.
const maxMerged = 2000

// batchMergedPDF merges the rendered PDFs in row order into one document for printing.
// ?from=&to= (rows, inclusive) picks a part of a batch too large for one file.
func (s *Server) batchMergedPDF(c *gin.Context) {
	b, ok := s.loadBatch(c)
	if !ok || !s.batchReady(c, b) {
		return
	}
	from, to := 0, int(^uint(0)>>1)
	for name, dst := range map[string]*int{"from": &from, "to": &to} {
		if v := c.Query(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				problem(c, http.StatusBadRequest, fmt.Sprintf("%s: нужен номер строки, а не «%s»", name, v))
				return
			}
			*dst = n
		}
	}
	ctx := c.Request.Context()
	orders, err := s.batchOrders(ctx, b)
	if err != nil {
		s.storeError(c, err)
		return
	}
	var picked []*registry.Order
	for _, o := range orders {
		if o.Status == registry.StatusRendered && o.PDFKey != "" && o.BatchRow >= from && o.BatchRow <= to {
			picked = append(picked, o)
		}
	}
	switch {
	case len(picked) == 0:
		problem(c, http.StatusConflict, "нечего объединять: ни один приказ пакета ещё не сформирован")
		return
	case len(picked) > maxMerged:
		problem(c, http.StatusUnprocessableEntity, fmt.Sprintf("приказов слишком много для одного файла: %d (не более %d); берите частями через ?from=&to= (номера строк) или скачайте result.zip", len(picked), maxMerged))
		return
	}
	inputs := make([]io.ReadSeeker, len(picked))
	for i, o := range picked {
		data, err := s.cfg.Blobs.Get(ctx, o.PDFKey)
		if err != nil {
			s.log.Error("merged pdf: reading document", "order", o.ID, "key", o.PDFKey, "err", err)
			problem(c, http.StatusInternalServerError, "сохранённый документ не удалось прочитать целым; подробности записаны в журнал сервера")
			return
		}
		inputs[i] = bytes.NewReader(data)
	}
	var out bytes.Buffer
	if err := pdfapi.MergeRaw(inputs, &out, false, model.NewDefaultConfiguration()); err != nil {
		s.log.Error("merged pdf", "batch", b.ID, "err", err)
		problem(c, http.StatusInternalServerError, "документы не удалось объединить; подробности записаны в журнал сервера")
		return
	}
	c.Header("Content-Disposition", contentDisposition(fmt.Sprintf("Пакет приказов %s.pdf", b.ID.String()[:8])))
	c.Data(http.StatusOK, "application/pdf", out.Bytes())
}
