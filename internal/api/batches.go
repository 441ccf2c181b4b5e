package api

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"orders/internal/auth"
	"orders/internal/batch"
	"orders/internal/issue"
	"orders/internal/lifecycle"
	"orders/internal/order"
	"orders/internal/queue"
	"orders/internal/registry"
	"orders/internal/strictjson"
)

// Batch issuing over HTTP: the handlers parse the request, call internal/issue and answer.

func (s *Server) batchRoutes(g *gin.RouterGroup) {
	g.POST("/batches", s.allow(auth.ActBatch), s.createBatch)
	g.GET("/batches", s.listBatches)
	g.GET("/batches/:id", s.getBatch)
	g.GET("/batches/:id/events", s.batchEvents)
	g.POST("/batches/:id/cancel", s.allow(auth.ActBatch), s.cancelBatch)
	g.GET("/batches/:id/result.zip", s.batchZip)
	g.GET("/batches/:id/merged.pdf", s.batchMergedPDF)
}

// renderJobs hands the batch service's orders to the workers: the queue, the workers' job
// ids, and the server's republisher for what the queue did not take.
type renderJobs struct{ s *Server }

func (j renderJobs) Publish(ctx context.Context, o *registry.Order, reason string) error {
	_, err := j.s.cfg.Queue.Publish(ctx, queue.Job{OrderID: o.ID, Reason: reason}, queue.JobID(o))
	return err
}

func (j renderJobs) Retry(o *registry.Order, reason string) {
	j.s.republish.Retry(queue.Job{OrderID: o.ID, Reason: reason}, queue.JobID(o))
}

// batchIntake gives the batch service the rules of POST /orders, so a batch's orders are
// what one-by-one intake makes of the same drafts.
type batchIntake struct{ s *Server }

func (i batchIntake) Organization(ctx context.Context, callerOrg string, d *order.Draft, letterheads map[string]*order.Letterhead) (string, error) {
	return i.s.resolveOrganization(ctx, caller{orgID: callerOrg}, d, letterheads)
}

func (i batchIntake) SearchText(d *order.Draft) (string, error) {
	return lifecycle.SearchText(i.s.cfg.Renderer, d)
}

func (i batchIntake) Registered(o *registry.Order, number, date string) (registry.Registered, error) {
	return lifecycle.RegisteredDraft(i.s.cfg.Renderer, o, number, date)
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

// readBatchInput parses the multipart or JSON request into a batch request and checks its
// fields, reporting every problem at once; it has answered when ok is false.
func (s *Server) readBatchInput(c *gin.Context) (*issue.Request, bool) {
	limit := s.batchLimit()
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
	var (
		req      *issue.Request
		modeName string
		ps       order.Problems
		ok       bool
	)
	mt, _, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	switch {
	case err == nil && mt == "multipart/form-data":
		req, modeName, ps, ok = readBatchForm(c, limit)
	case err == nil && mt == "application/json":
		req, modeName, ps, ok = readBatchJSON(c, limit)
	default:
		problem(c, http.StatusUnsupportedMediaType, "пакет принимается как multipart/form-data (файлы template и data) или application/json (template и rows)")
		return nil, false
	}
	if !ok {
		return nil, false
	}
	ps = append(ps, s.namedTemplate(c, req, &modeName)...)
	ps = append(ps, checkBatchRequest(req, modeName)...)
	if len(ps) > 0 {
		writeProblem(c, Problem{Status: http.StatusUnprocessableEntity, Detail: problemsDetail(ps), Errors: ps})
		return nil, false
	}
	cl := who(c)
	req.CallerOrg, req.Actor = cl.orgID, cl.actor
	return req, true
}

// bodyError answers a request body that could not be read: too large, or cut.
func bodyError(c *gin.Context, err error, limit int64, what string) {
	if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
		problem(c, http.StatusRequestEntityTooLarge, fmt.Sprintf("запрос больше допустимого: не более %d байт", limit))
		return
	}
	problem(c, http.StatusBadRequest, what+err.Error())
}

// readBatchForm reads the multipart form of a batch: the files template and data and the
// other fields as values. It has answered when ok is false; ps are the fields' problems.
func readBatchForm(c *gin.Context, limit int64) (req *issue.Request, modeName string, ps order.Problems, ok bool) {
	if err := c.Request.ParseMultipartForm(limit); err != nil {
		bodyError(c, err, limit, "форма multipart/form-data не разобрана: ")
		return nil, "", nil, false
	}
	defer c.Request.MultipartForm.RemoveAll()
	form := c.Request.MultipartForm
	value := func(name string) string {
		if v := form.Value[name]; len(v) > 0 {
			return strings.TrimSpace(v[0])
		}
		return ""
	}
	req = &issue.Request{TemplateName: value("template_name"), Sheet: value("sheet"), Journal: value("journal"),
		Date: value("date"), Organization: value("organization")}
	var err error
	if req.Template, req.TemplateFile, err = formFile(form, "template"); err != nil {
		problem(c, http.StatusBadRequest, "файл шаблона (template) не дочитан: "+err.Error())
		return nil, "", nil, false
	}
	if req.Data, req.DataFile, err = formFile(form, "data"); err != nil {
		problem(c, http.StatusBadRequest, "файл данных (data) не дочитан: "+err.Error())
		return nil, "", nil, false
	}
	if req.Data == nil {
		ps = append(ps, order.Problem{Path: "data", Message: "не передан файл со строками: CSV, XLSX или JSON"})
	}
	if v := value("constants"); v != "" {
		if err := strictjson.Decode([]byte(v), &req.Constants); err != nil {
			ps = append(ps, order.Problem{Path: "constants", Message: "ожидается объект JSON со строковыми значениями: " + err.Error()})
		}
	}
	if v := value("valid_only"); v != "" {
		if req.ValidOnly, err = strconv.ParseBool(v); err != nil {
			ps = append(ps, order.Problem{Path: "valid_only", Message: fmt.Sprintf("ожидается true или false, а не «%s»", v)})
		}
	}
	return req, value("mode"), ps, true
}

// formFile is the content and file name of a form's file, or the text of a field of that
// name (with no file name), or nil.
func formFile(form *multipart.Form, name string) (data []byte, filename string, err error) {
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

// readBatchJSON reads the JSON form of a batch. It has answered when ok is false; ps are
// the fields' problems.
func readBatchJSON(c *gin.Context, limit int64) (req *issue.Request, modeName string, ps order.Problems, ok bool) {
	data, err := io.ReadAll(c.Request.Body)
	if err != nil {
		bodyError(c, err, limit, "тело запроса не дочитано: ")
		return nil, "", nil, false
	}
	var in batchJSON
	if err := strictjson.Decode(data, &in); err != nil {
		badJSON(c, err)
		return nil, "", nil, false
	}
	req = &issue.Request{Data: in.Rows, DataFile: "rows.json", TemplateName: in.TemplateName,
		Constants: in.Constants, ValidOnly: in.ValidOnly, Journal: in.Journal, Date: in.Date, Organization: in.Organization}
	if len(in.Template) > 0 && string(in.Template) != "null" {
		req.Template = in.Template
	}
	if len(in.Rows) == 0 || string(in.Rows) == "null" {
		ps = append(ps, order.Problem{Path: "rows", Message: "не переданы строки: нужен массив объектов, по объекту на строку"})
	}
	return req, in.Mode, ps, true
}

// namedTemplate loads the template named by template_name: the organization's own
// (internal/orgtemplate), else the shipped one. Its saved constants fill what the request
// leaves out, and its mode applies when the request names none.
func (s *Server) namedTemplate(c *gin.Context, req *issue.Request, modeName *string) order.Problems {
	switch {
	case req.TemplateName == "":
		return nil
	case req.Template != nil:
		return order.Problems{{Path: "template", Message: "передайте либо template, либо template_name, а не оба"}}
	}
	org := cmp.Or(who(c).orgID, req.Organization)
	t, err := s.templates.Get(c.Request.Context(), org, req.TemplateName, 0)
	if err != nil {
		names := issue.TemplateNames()
		if list, lerr := s.templates.List(c.Request.Context(), org); lerr == nil {
			names = names[:0]
			for _, t := range list {
				names = append(names, t.Name)
			}
		}
		return order.Problems{{Path: "template_name", Message: fmt.Sprintf("шаблона «%s» нет; есть: %s", req.TemplateName, strings.Join(names, ", "))}}
	}
	if t.Format == registry.TemplateDOCX {
		return order.Problems{{Path: "template_name", Message: fmt.Sprintf("шаблон «%s» — файл Word: он даёт только документы DOCX, без проекта приказа, PDF и регистрации; заполните его через POST /api/v1/templates/%s/fill", t.Name, t.Name)}}
	}
	req.Template = t.Body
	var saved map[string]string
	if json.Unmarshal(t.Constants, &saved) == nil && len(saved) > 0 {
		if req.Constants == nil {
			req.Constants = map[string]string{}
		}
		for k, v := range saved {
			if _, given := req.Constants[k]; !given {
				req.Constants[k] = v
			}
		}
	}
	if *modeName == "" {
		*modeName = t.Mode
	}
	return nil
}

// checkBatchRequest checks the fields both forms share.
func checkBatchRequest(req *issue.Request, modeName string) order.Problems {
	var ps order.Problems
	var err error
	if req.Mode, err = batch.ParseMode(modeName); err != nil {
		ps = append(ps, order.Problem{Path: "mode", Message: fmt.Sprintf("неизвестный режим «%s»: per_row (приказ на каждую строку) или one_order (один приказ с таблицей)", modeName)})
	}
	if req.Template == nil && req.TemplateName == "" {
		ps = append(ps, order.Problem{Path: "template", Message: "не передан шаблон: черновик JSON с {полями} или template_name"})
	}
	if req.Date != "" {
		if _, err := time.Parse(time.DateOnly, req.Date); err != nil {
			ps = append(ps, order.Problem{Path: "date", Message: fmt.Sprintf("не дата: «%s»; нужна дата в виде ГГГГ-ММ-ДД", req.Date)})
		} else if req.Journal == "" {
			ps = append(ps, order.Problem{Path: "date", Message: "это дата регистрации: укажите и журнал (journal)"})
		}
	}
	return ps
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

// templateProblemView is a problem of the template: where in it (path) and which {field},
// with the sentence a person reads. The data file is not at fault.
type templateProblemView struct {
	Path    string `json:"path"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
	Text    string `json:"text"`
}

// reFieldMessage: the batch package's template problems begin with the field as written,
// «{ответственный:вин}: …».
var reFieldMessage = regexp.MustCompile(`^\{([^{}:?]+)[^{}]*\}: `)

func templateProblemViews(ps order.Problems) []templateProblemView {
	out := make([]templateProblemView, len(ps))
	for i, p := range ps {
		out[i] = templateProblemView{Path: p.Path, Message: p.Message, Text: p.String()}
		if m := reFieldMessage.FindStringSubmatch(p.Message); m != nil {
			out[i].Field = strings.TrimSpace(m[1])
		}
	}
	return out
}

// Titles of a refused batch, so that the page and the person tell at a glance whose fault
// it is: the template's (the data file was not looked at) or the rows'.
const (
	titleTemplateProblems = "Ошибка в шаблоне"
	titleRowProblems      = "Ошибки в строках"
)

// batchProblem is a problem+json answer that lists the problems of the template or of the
// rows, each in its own member.
type batchProblem struct {
	Problem
	TemplateProblems []templateProblemView `json:"template_problems,omitempty"`
	RowProblems      []rowProblemView      `json:"row_problems,omitempty"`
	Warnings         []string              `json:"warnings,omitempty"`
}

func writeBatchProblem(c *gin.Context, p batchProblem) {
	p.Type = "about:blank"
	if p.Title == "" {
		p.Title = statusTitle(p.Status)
	}
	c.Header("Content-Type", problemType)
	c.AbortWithStatusJSON(p.Status, p)
	c.Writer.Header().Set("Content-Type", problemType)
}

// batchError answers what the batch service refused, or a registry error.
func (s *Server) batchError(c *gin.Context, err error) {
	var (
		refused *issue.Refused
		data    *issue.DataError
		tmpl    *issue.TemplateError
		rows    *issue.RowsError
	)
	switch {
	case errors.As(err, &refused):
		writeProblem(c, Problem{Status: http.StatusUnprocessableEntity, Detail: refused.Detail, Errors: refused.Problems})
	case errors.As(err, &data) && errors.Is(err, batch.ErrTooLarge):
		problem(c, http.StatusRequestEntityTooLarge, err.Error())
	case errors.As(err, &data):
		writeProblem(c, Problem{Status: http.StatusUnprocessableEntity, Detail: err.Error(),
			Errors: order.Problems{{Path: "data", Message: err.Error()}}})
	case errors.As(err, &tmpl):
		planError(c, tmpl.Err)
	case errors.As(err, &rows):
		detail := fmt.Sprintf("в строках %s; ничего не выпущено (с valid_only=true выпускаются только верные строки)", problemCount(len(rows.Problems)))
		if rows.ValidOnly {
			detail = fmt.Sprintf("в строках %s и ни одной верной строки; ничего не выпущено", problemCount(len(rows.Problems)))
		}
		writeBatchProblem(c, batchProblem{Problem: Problem{Status: http.StatusUnprocessableEntity, Title: titleRowProblems, Detail: detail},
			RowProblems: rowProblemViews(rows.Problems), Warnings: rows.Warnings})
	default:
		s.storeError(c, err)
	}
}

// planError answers what NewPlan refuses: the template's or the constants' fault, or too
// many rows.
func planError(c *gin.Context, err error) {
	if ps, ok := order.AsProblems(err); ok {
		for i := range ps {
			ps[i].Path = strings.TrimSuffix("template."+ps[i].Path, ".")
		}
		detail := "ошибка в шаблоне: " + ps[0].String()
		if len(ps) > 1 {
			detail = fmt.Sprintf("в шаблоне %s; первая — %s", problemCount(len(ps)), ps[0].String())
		}
		// Errors keeps the problems for clients that read the generic member.
		writeBatchProblem(c, batchProblem{Problem: Problem{Status: http.StatusUnprocessableEntity, Title: titleTemplateProblems,
			Detail: detail + "; файл данных не проверялся", Errors: ps}, TemplateProblems: templateProblemViews(ps)})
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
	req, ok := s.readBatchInput(c)
	if !ok {
		return
	}
	if cl := who(c); req.Journal != "" && !auth.Can(cl.role, auth.ActRegister) {
		problem(c, http.StatusForbidden, "роль «"+auth.RoleName(cl.role)+"» не регистрирует приказы: уберите journal, зарегистрирует руководитель")
		return
	}
	res, err := s.batches.Create(c.Request.Context(), *req)
	if err != nil {
		s.batchError(c, err)
		return
	}
	b, code := res.Batch, http.StatusAccepted
	if res.Replayed {
		c.Header("Idempotent-Replayed", "true")
		code = http.StatusOK
	}
	opts := issue.SummaryOf(b)
	loc := "/api/v1/batches/" + b.ID.String()
	c.Header("Location", loc)
	c.JSON(code, batchAccepted{ID: b.ID, Key: b.Key, Total: b.Total, State: string(b.State), Location: loc,
		Events: loc + "/events", Replayed: res.Replayed, Skipped: rowProblemViews(opts.Skipped),
		SkippedRows: opts.SkippedRows(), Warnings: opts.Warnings})
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
	Progress     *issue.Progress   `json:"progress,omitempty"`
	Skipped      []rowProblemView  `json:"skipped,omitempty"`
	SkippedTotal int               `json:"skipped_total,omitempty"`
	Warnings     []string          `json:"warnings,omitempty"`
	Links        map[string]string `json:"links"`
}

func viewBatch(b *registry.Batch, p *issue.Progress, full bool) batchView {
	opts := issue.SummaryOf(b)
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
	b, err := s.batches.Get(c.Request.Context(), who(c).orgID, id)
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
	p, err := s.batches.Progress(c.Request.Context(), b)
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
	list, err := s.batches.List(c.Request.Context(), who(c).orgID, limit)
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
	n, b, p, err := s.batches.Cancel(c.Request.Context(), b)
	if err != nil {
		s.storeError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"cancelled": n, "batch": viewBatch(b, &p, false)})
}

// shutdownSignal returns a channel closed when the request's http.Server shuts down, so
// that event streams end and let Shutdown finish instead of holding it for their lifetime.
// One channel per http.Server, forgotten when it shuts down.
func (s *Server) shutdownSignal(r *http.Request) <-chan struct{} {
	srv, _ := r.Context().Value(http.ServerContextKey).(*http.Server)
	if srv == nil {
		return nil
	}
	ch := make(chan struct{})
	if prev, loaded := s.shutdowns.LoadOrStore(srv, ch); loaded {
		return prev.(chan struct{})
	}
	srv.RegisterOnShutdown(func() {
		s.shutdowns.Delete(srv)
		close(ch)
	})
	return ch
}

// batchEvents streams progress as Server-Sent Events: a progress event when the counts
// change (and every 10 s as a keep-alive), then one done event when nothing is queued or
// rendering any more.
func (s *Server) batchEvents(c *gin.Context) {
	b, ok := s.loadBatch(c)
	if !ok {
		return
	}
	ctx, cancel := context.WithCancel(c.Request.Context())
	defer cancel()
	go func(closing <-chan struct{}) {
		select {
		case <-closing:
			cancel()
		case <-ctx.Done():
		}
	}(s.shutdownSignal(c.Request))
	h := c.Writer.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	c.Status(http.StatusOK)
	fmt.Fprint(c.Writer, "retry: 1000\n\n")
	c.Writer.Flush()
	event := func(name string, v any) {
		js, _ := json.Marshal(v)
		fmt.Fprintf(c.Writer, "event: %s\ndata: %s\n\n", name, js)
		c.Writer.Flush()
	}
	err := s.batches.Follow(ctx, b, func(p issue.Progress) {
		if p.Done {
			event("done", p)
		} else {
			event("progress", p)
		}
	})
	if err != nil {
		s.log.Warn("batch events", "batch", b.ID, "err", err)
		event("error", gin.H{"detail": "the registry did not answer; reconnect"})
	}
}

// batchReady answers 409 while orders of the batch are still queued or rendering, unless
// the caller asks for what is there (?partial=true).
func (s *Server) batchReady(c *gin.Context, b *registry.Batch) bool {
	if ok, _ := strconv.ParseBool(c.Query("partial")); ok {
		return true
	}
	p, err := s.batches.Progress(c.Request.Context(), b)
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

// batchZip streams every rendered order's PDF and DOCX with a manifest.csv.
func (s *Server) batchZip(c *gin.Context) {
	b, ok := s.loadBatch(c)
	if !ok || !s.batchReady(c, b) {
		return
	}
	res, err := s.batches.Results(c.Request.Context(), b)
	if err != nil {
		s.storeError(c, err)
		return
	}
	c.Header("Content-Type", "application/zip")
	c.Header("Content-Disposition", contentDisposition(fmt.Sprintf("Пакет приказов %s.zip", b.ID.String()[:8])))
	c.Status(http.StatusOK)
	if err := res.WriteZip(c.Request.Context(), c.Writer); errors.Is(err, issue.ErrDocument) {
		// The status line is sent: cut the stream so the client sees a broken archive,
		// never a complete-looking one with a document missing. Any other error is the
		// client's going away.
		panic(http.ErrAbortHandler)
	}
}

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
	res, err := s.batches.Results(c.Request.Context(), b)
	if err != nil {
		s.storeError(c, err)
		return
	}
	pdf, err := res.MergedPDF(c.Request.Context(), from, to)
	var many *issue.TooManyError
	switch {
	case errors.Is(err, issue.ErrNothingRendered):
		problem(c, http.StatusConflict, "нечего объединять: ни один приказ пакета ещё не сформирован")
	case errors.As(err, &many):
		problem(c, http.StatusUnprocessableEntity, fmt.Sprintf("приказов слишком много для одного файла: %d (не более %d); берите частями через ?from=&to= (номера строк) или скачайте result.zip", many.N, issue.MaxMerged))
	case errors.Is(err, issue.ErrDocument):
		problem(c, http.StatusInternalServerError, "сохранённый документ не удалось прочитать целым; подробности записаны в журнал сервера")
	case err != nil:
		problem(c, http.StatusInternalServerError, "документы не удалось объединить; подробности записаны в журнал сервера")
	default:
		c.Header("Content-Disposition", contentDisposition(fmt.Sprintf("Пакет приказов %s.pdf", b.ID.String()[:8])))
		c.Data(http.StatusOK, "application/pdf", pdf)
	}
}
