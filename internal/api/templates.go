package api

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"orders/internal/auth"
	"orders/internal/batch"
	"orders/internal/issue"
	"orders/internal/order"
	"orders/internal/orgtemplate"
	"orders/internal/registry"
)

// Order templates an organization keeps (internal/orgtemplate): handlers parse, call the
// service and answer.
func (s *Server) templateRoutes(g *gin.RouterGroup) {
	write := s.allow(auth.ActManageTemplates)
	g.GET("/templates", s.listTemplates)
	g.POST("/templates", write, s.createTemplate)
	g.GET("/templates/:name", s.getTemplate)
	g.PUT("/templates/:name", write, s.saveTemplate)
	g.DELETE("/templates/:name", write, s.deleteTemplate)
	g.GET("/templates/:name/versions", s.templateVersions)
	g.GET("/templates/:name/fields", s.templateFields)
	g.GET("/templates/:name/sample.csv", s.templateSample("csv"))
	g.GET("/templates/:name/sample.xlsx", s.templateSample("xlsx"))
	g.POST("/templates/:name/fill", write, s.fillTemplate)
}

// fillTemplate fills a Word template from a data file (multipart: data, constants, sheet)
// and answers a ZIP of the DOCX files: one per row (per_row) or one (one_order). Nothing is
// recorded: a Word template has no draft, so no order, PDF or registration.
func (s *Server) fillTemplate(c *gin.Context) {
	t, ok := s.readTemplate(c)
	if !ok {
		return
	}
	if t.Format != registry.TemplateDOCX {
		problem(c, http.StatusUnprocessableEntity, fmt.Sprintf("шаблон «%s» — проект приказа, не файл Word: его заполняет пакетный выпуск (POST /api/v1/batches с template_name)", t.Name))
		return
	}
	req, _, ps, ok := readBatchForm(c, s.batchLimit())
	if !ok {
		return
	}
	if len(ps) > 0 {
		writeProblem(c, Problem{Status: http.StatusUnprocessableEntity, Detail: problemsDetail(ps), Errors: ps})
		return
	}
	tb, err := batch.ReadRowsWith(req.DataFile, req.Data, batch.ReadOptions{Sheet: req.Sheet})
	if err != nil {
		s.batchError(c, &issue.DataError{Err: err})
		return
	}
	files, rows, err := orgtemplate.FillWord(t, req.Constants, tb)
	if err != nil {
		s.log.Error("filling a Word template", "template", t.Name, "err", err)
		problem(c, http.StatusInternalServerError, msgInternal)
		return
	}
	if len(rows) > 0 {
		s.batchError(c, &issue.RowsError{Problems: rows})
		return
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Store})
		if err == nil {
			_, err = w.Write(f.Data)
		}
		if err != nil {
			s.log.Error("zip of a Word template", "err", err)
			problem(c, http.StatusInternalServerError, msgInternal)
			return
		}
	}
	if err := zw.Close(); err != nil {
		problem(c, http.StatusInternalServerError, msgInternal)
		return
	}
	c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.zip"`, t.Name))
	c.Data(http.StatusOK, "application/zip", buf.Bytes())
}

// templateView is a template as the API shows it; Body and Constants only when one is read.
type templateView struct {
	Name      string            `json:"name"`
	Title     string            `json:"title"`
	Mode      string            `json:"mode"`
	Format    string            `json:"format"`
	Version   int               `json:"version"`
	Builtin   bool              `json:"builtin"`
	CreatedBy string            `json:"created_by,omitempty"`
	CreatedAt *time.Time        `json:"created_at,omitempty"`
	Body      json.RawMessage   `json:"body,omitempty"`
	DOCX      []byte            `json:"docx,omitempty"` // a Word template's file, base64
	Constants map[string]string `json:"constants,omitempty"`
	Fields    []batch.Field     `json:"fields,omitempty"`
}

func templateOf(t *orgtemplate.Template) templateView {
	v := templateView{Name: t.Name, Title: t.Title, Mode: t.Mode, Format: t.Format, Version: t.Version,
		Builtin: t.Builtin, CreatedBy: t.CreatedBy, Body: t.Body, Fields: t.Fields}
	if t.Format == registry.TemplateDOCX {
		v.Body, v.DOCX = nil, t.Body
	}
	if !t.CreatedAt.IsZero() {
		at := t.CreatedAt
		v.CreatedAt = &at
	}
	if len(t.Constants) > 0 {
		json.Unmarshal(t.Constants, &v.Constants)
	}
	return v
}

// templateBody is POST and PUT: the template itself, or for a new one an order to start from.
type templateBody struct {
	Name        string            `json:"name"`
	Title       string            `json:"title"`
	Mode        string            `json:"mode"`
	Body        json.RawMessage   `json:"body"`
	DOCX        []byte            `json:"docx"` // a Word template instead of body, base64
	Constants   map[string]string `json:"constants"`
	FromOrder   string            `json:"from_order"`
	BaseVersion int               `json:"base_version"`
}

func (s *Server) listTemplates(c *gin.Context) {
	org, ok := auditOrg(c)
	if !ok {
		return
	}
	list, err := s.templates.List(c.Request.Context(), org)
	if err != nil {
		s.storeError(c, err)
		return
	}
	out := make([]templateView, len(list))
	for i := range list {
		out[i] = templateOf(&list[i])
	}
	c.JSON(http.StatusOK, gin.H{"templates": out})
}

func (s *Server) getTemplate(c *gin.Context) {
	t, ok := s.readTemplate(c)
	if ok {
		c.JSON(http.StatusOK, templateOf(t))
	}
}

func (s *Server) templateFields(c *gin.Context) {
	if t, ok := s.readTemplate(c); ok {
		c.JSON(http.StatusOK, gin.H{"fields": t.Fields})
	}
}

// readTemplate reads ?version= (default the latest) of the named template; it has answered
// when ok is false.
func (s *Server) readTemplate(c *gin.Context) (*orgtemplate.Template, bool) {
	org, ok := auditOrg(c)
	if !ok {
		return nil, false
	}
	version := 0
	if v := c.Query("version"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			problem(c, http.StatusBadRequest, fmt.Sprintf("version: номер версии — целое число от 1, а не «%s»", v))
			return nil, false
		}
		version = n
	}
	t, err := s.templates.Get(c.Request.Context(), org, c.Param("name"), version)
	if err != nil {
		s.templateError(c, err)
		return nil, false
	}
	return t, true
}

func (s *Server) templateSample(format string) gin.HandlerFunc {
	return func(c *gin.Context) {
		t, ok := s.readTemplate(c)
		if !ok {
			return
		}
		name := t.Name + "-образец." + format
		c.Header("Content-Disposition", contentDisposition(name))
		if format == "csv" {
			c.Data(http.StatusOK, "text/csv; charset=utf-8", batch.SampleCSV(t.Fields))
			return
		}
		data, err := batch.SampleXLSX(t.Fields)
		if err != nil {
			s.log.Error("sample xlsx", "err", err)
			problem(c, http.StatusInternalServerError, msgInternal)
			return
		}
		c.Data(http.StatusOK, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", data)
	}
}

func (s *Server) createTemplate(c *gin.Context) {
	org, ok := auditOrg(c)
	if !ok {
		return
	}
	var in templateBody
	if !s.readJSON(c, &in) {
		return
	}
	if in.FromOrder != "" {
		body, ok := s.templateFromOrder(c, org, in)
		if !ok {
			return
		}
		in.Body = body
	}
	s.storeTemplate(c, org, in, 0, http.StatusCreated)
}

// templateFromOrder is the draft of one of the organization's orders, as the body of a new
// template.
func (s *Server) templateFromOrder(c *gin.Context, org string, in templateBody) ([]byte, bool) {
	if len(in.Body) > 0 {
		problem(c, http.StatusBadRequest, "from_order и body вместе: шаблон делают либо из приказа, либо из текста")
		return nil, false
	}
	id, err := uuid.Parse(in.FromOrder)
	if err != nil {
		problem(c, http.StatusBadRequest, fmt.Sprintf("from_order: «%s» — не идентификатор приказа", in.FromOrder))
		return nil, false
	}
	o, err := s.records.GetOrder(c.Request.Context(), org, id)
	if err != nil {
		s.storeError(c, err)
		return nil, false
	}
	body, err := orgtemplate.FromOrder(o.Draft)
	if err != nil {
		s.log.Error("template from order", "err", err, "order", id)
		problem(c, http.StatusInternalServerError, msgInternal)
		return nil, false
	}
	return body, true
}

func (s *Server) saveTemplate(c *gin.Context) {
	org, ok := auditOrg(c)
	if !ok {
		return
	}
	var in templateBody
	if !s.readJSON(c, &in) {
		return
	}
	if in.Name != "" && in.Name != c.Param("name") {
		problem(c, http.StatusBadRequest, fmt.Sprintf("name: «%s» не совпадает с адресом шаблона «%s»", in.Name, c.Param("name")))
		return
	}
	in.Name = c.Param("name")
	s.storeTemplate(c, org, in, in.BaseVersion, http.StatusOK)
}

func (s *Server) storeTemplate(c *gin.Context, org string, in templateBody, base, status int) {
	format := registry.TemplateJSON
	switch {
	case len(in.DOCX) > 0 && len(in.Body) > 0:
		problem(c, http.StatusBadRequest, "body и docx вместе: шаблон — либо проект приказа, либо файл Word")
		return
	case len(in.DOCX) > 0:
		format, in.Body = registry.TemplateDOCX, in.DOCX
	}
	if len(in.Body) == 0 {
		writeProblem(c, Problem{Status: http.StatusUnprocessableEntity, Detail: "шаблон не принят: нет текста шаблона",
			Errors: order.Problems{{Path: "body", Message: "не заполнено: проект приказа с {полями} (или from_order)"}}})
		return
	}
	t, err := s.templates.Save(c.Request.Context(), org, orgtemplate.Input{Name: in.Name, Title: in.Title, Mode: in.Mode,
		Format: format, Body: in.Body, Constants: in.Constants, By: who(c).actor}, base)
	if err != nil {
		s.templateError(c, err)
		return
	}
	c.JSON(status, templateOf(t))
}

func (s *Server) deleteTemplate(c *gin.Context) {
	org, ok := auditOrg(c)
	if !ok {
		return
	}
	if err := s.templates.Delete(c.Request.Context(), org, c.Param("name")); err != nil {
		s.templateError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (s *Server) templateVersions(c *gin.Context) {
	org, ok := auditOrg(c)
	if !ok {
		return
	}
	vs, err := s.templates.Versions(c.Request.Context(), org, c.Param("name"))
	if err != nil {
		s.templateError(c, err)
		return
	}
	out := make([]templateView, len(vs))
	for i := range vs {
		out[i] = templateOf(&orgtemplate.Template{Template: vs[i]})
	}
	c.JSON(http.StatusOK, gin.H{"versions": out})
}

// templateError answers the service's errors in the department's words: the template's own
// problems with their paths in it (422), an edit over someone else's (409), none such (404).
func (s *Server) templateError(c *gin.Context, err error) {
	if ps, ok := order.AsProblems(err); ok {
		writeProblem(c, Problem{Status: http.StatusUnprocessableEntity, Detail: "шаблон не принят: " + problemsDetail(ps), Errors: ps})
		return
	}
	switch {
	case errors.Is(err, registry.ErrNotFound):
		problem(c, http.StatusNotFound, fmt.Sprintf("шаблона «%s» нет", c.Param("name")))
	case errors.Is(err, registry.ErrConflict):
		problem(c, http.StatusConflict, "шаблон с таким именем уже есть или его успели изменить: откройте последнюю версию и внесите правку в неё")
	case errors.Is(err, registry.ErrInvalid):
		problem(c, http.StatusUnprocessableEntity, "шаблон не принят: имя — строчные латинские буквы, цифры, «-» и «_», до 64 знаков; режим per_row или one_order")
	default:
		s.storeError(c, err)
	}
}
