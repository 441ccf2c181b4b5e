package api

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"orders/internal/lifecycle"
	"orders/internal/order"
	"orders/internal/registry"
	"orders/internal/ru"
	"orders/internal/strictjson"
)

// DefaultMaxImport is the largest PDF POST /orders/import takes when Config.MaxImport is 0:
// scans of paper run to megabytes a page, far beyond a JSON draft.
const DefaultMaxImport = 32 << 20

// importMeta is the «meta» field of POST /orders/import: what the paper original says.
type importMeta struct {
	// Organization is required with an admin token; any other token fixes it.
	Organization string `json:"organization,omitempty"`
	Number       string `json:"number"`
	Date         string `json:"date"`
	Kind         string `json:"kind,omitempty"` // default приказ
	Title        string `json:"title"`
	Signatory    string `json:"signatory"`
	// Text is the text of the order for the full-text search; the title when absent (the
	// service extracts no text from PDFs).
	Text string `json:"text,omitempty"`
}

var importKinds = []string{string(order.KindPrikaz), string(order.KindRasporyazhenie), string(order.KindReshenie)}

// check reports every problem of m with its path; today is the last date an order can bear.
func (m *importMeta) check(cl caller, today string) order.Problems {
	var ps order.Problems
	add := func(field, msg string) { ps = append(ps, order.Problem{Path: "meta." + field, Message: msg}) }
	m.Number, m.Title, m.Signatory = strings.TrimSpace(m.Number), strings.TrimSpace(m.Title), strings.TrimSpace(m.Signatory)
	m.Organization, m.Kind = strings.TrimSpace(m.Organization), strings.TrimSpace(m.Kind)
	switch {
	case cl.orgID == "" && m.Organization == "":
		add("organization", "пусто: с токеном администратора укажите организацию")
	case cl.orgID != "" && m.Organization != "" && m.Organization != cl.orgID:
		add("organization", "это не организация вашего токена")
	}
	if m.Number == "" {
		add("number", "пусто")
	} else if len([]rune(m.Number)) > 50 {
		add("number", "длиннее 50 знаков")
	}
	switch d, err := time.Parse(time.DateOnly, m.Date); {
	case m.Date == "":
		add("date", "пусто")
	case err != nil:
		add("date", fmt.Sprintf("%q — не дата ГГГГ-ММ-ДД", m.Date))
	case d.Format(time.DateOnly) > today:
		add("date", fmt.Sprintf("%s — дата в будущем", m.Date))
	}
	if m.Kind == "" {
		m.Kind = string(order.KindPrikaz)
	} else if !slices.Contains(importKinds, m.Kind) {
		add("kind", fmt.Sprintf("%q — нужно одно из: %s", m.Kind, strings.Join(importKinds, ", ")))
	}
	if m.Title == "" {
		add("title", "пусто")
	}
	if m.Signatory == "" {
		add("signatory", "пусто: кто подписал приказ")
	}
	return ps
}

// importOrder takes in an order registered elsewhere (a paper archive): multipart/form-data
// with the file in «pdf» and the metadata as JSON in «meta». The order keeps its number and
// date, takes nothing from a journal, and its documents are the uploaded bytes. A PDF whose
// electronic signature verifies is imported as signed; a scan, or a signature that cannot be
// verified, as registered, with what was found kept as a signature of kind external-pdf.
func (s *Server) importOrder(c *gin.Context) {
	cl := who(c)
	limit := s.cfg.MaxImport
	if limit <= 0 {
		limit = DefaultMaxImport
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
	if err := c.Request.ParseMultipartForm(8 << 20); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			problem(c, http.StatusRequestEntityTooLarge, fmt.Sprintf("запрос больше %d МБ: столько сервис не принимает", limit>>20))
			return
		}
		problem(c, http.StatusBadRequest, "пришлите multipart/form-data: файл в поле «pdf», сведения JSON в поле «meta»")
		return
	}
	defer c.Request.MultipartForm.RemoveAll()

	var ps order.Problems
	var meta importMeta
	raw := c.Request.FormValue("meta")
	if strings.TrimSpace(raw) == "" {
		ps = append(ps, order.Problem{Path: "meta", Message: "пусто: пришлите сведения о приказе JSON в поле «meta»"})
	} else {
		if err := strictjson.Decode([]byte(raw), &meta); err != nil {
			ps = append(ps, order.Problem{Path: "meta", Message: "не JSON-объект со сведениями о приказе: " + err.Error()})
		} else {
			ps = append(ps, meta.check(cl, ru.Today())...)
		}
	}
	data, pdfProblem := readImportPDF(c)
	if pdfProblem != "" {
		ps = append(ps, order.Problem{Path: "pdf", Message: pdfProblem})
	}
	if len(ps) > 0 {
		writeProblem(c, Problem{Status: http.StatusUnprocessableEntity, Errors: ps,
			Detail: "приказ не импортирован: " + strings.ReplaceAll(ps.Error(), "\n", "; ")})
		return
	}
	o, err := s.life.Import(c.Request.Context(), serviceCaller(c), lifecycle.Import{Organization: meta.Organization,
		Kind: meta.Kind, Title: meta.Title, Number: meta.Number, Date: meta.Date, Signatory: meta.Signatory,
		Text: meta.Text, PDF: data})
	var dup *registry.DuplicateError
	if errors.As(err, &dup) {
		duplicateProblem(c, dup, meta)
		return
	}
	if err != nil {
		s.serviceError(c, err)
		return
	}
	loc := "/api/v1/orders/" + o.ID.String()
	c.Header("Location", loc)
	c.JSON(http.StatusCreated, view(o))
}

// readImportPDF reads the «pdf» file; a non-empty problem says what is wrong with it.
func readImportPDF(c *gin.Context) ([]byte, string) {
	f, _, err := c.Request.FormFile("pdf")
	if err != nil {
		return nil, "нет файла: пришлите PDF в поле «pdf»"
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, "файл не прочитан: " + err.Error()
	}
	// The header is what every PDF reader checks first; anything else served as
	// application/pdf would be a broken document in the archive.
	if !bytes.HasPrefix(data, []byte("%PDF-")) {
		return nil, "это не PDF: файл должен начинаться с «%PDF-»"
	}
	return data, ""
}

// duplicateProblem refuses a repeated import, naming the order already imported: the caller
// decides whether it is the same paper or a mistake in the number.
func duplicateProblem(c *gin.Context, dup *registry.DuplicateError, meta importMeta) {
	loc := "/api/v1/orders/" + dup.Existing.String()
	detail := "этот PDF уже импортирован: приказ " + loc
	path := "pdf"
	if dup.Field == "number" {
		detail = fmt.Sprintf("%s № %s за %s год уже импортирован: %s. Если это другой документ, укажите номер так, как он записан на бумаге (например, с буквенным индексом журнала)",
			meta.Kind, meta.Number, meta.Date[:4], loc)
		path = "meta.number"
	}
	c.Header("Location", loc)
	c.Header("Content-Type", problemType)
	c.AbortWithStatusJSON(http.StatusConflict, struct {
		Problem
		Existing string `json:"existing"`
	}{Problem{Type: "about:blank", Title: statusTitle(http.StatusConflict), Status: http.StatusConflict, Detail: detail,
		Errors: order.Problems{{Path: path, Message: "уже импортирован"}}}, loc})
	c.Writer.Header().Set("Content-Type", problemType)
}
