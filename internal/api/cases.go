package api

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"orders/internal/check"
	"orders/internal/order"
	"orders/internal/records"
	"orders/internal/registry"
	"orders/internal/ru"
)

type caseView struct {
	Index          string `json:"index"`
	Title          string `json:"title"`
	Retention      string `json:"retention"`
	RetentionYears int    `json:"retention_years"`
	Journal        string `json:"journal,omitempty"`
}

func viewCase(k registry.Case) caseView {
	return caseView{Index: k.Index, Title: k.Title, Retention: k.Retention, RetentionYears: k.RetentionYears, Journal: k.Journal}
}

func (s *Server) listCases(c *gin.Context) {
	org, ok := orgScope(c)
	if !ok {
		return
	}
	list, err := s.cfg.Store.ListCases(c.Request.Context(), org)
	if err != nil {
		s.storeError(c, err)
		return
	}
	out := make([]caseView, 0, len(list))
	for _, k := range list {
		out = append(out, viewCase(k))
	}
	c.JSON(http.StatusOK, gin.H{"cases": out})
}

type caseRequest struct {
	Title     string `json:"title"`
	Retention string `json:"retention"`
	Journal   string `json:"journal"`
}

func (s *Server) putCase(c *gin.Context) {
	org, ok := orgScope(c)
	if !ok {
		return
	}
	var req caseRequest
	if !s.readJSON(c, &req) {
		return
	}
	k := &registry.Case{OrgID: org, Index: c.Param("index"), Title: req.Title, Retention: req.Retention, Journal: req.Journal}
	var ps order.Problems
	if req.Title == "" {
		ps = append(ps, order.Problem{Path: "title", Message: "не заполнено: заголовок дела, например «Приказы по основной деятельности»"})
	}
	if _, err := registry.RetentionYears(req.Retention); err != nil {
		ps = append(ps, order.Problem{Path: "retention", Message: fmt.Sprintf("«%s» — не срок хранения; пишите «постоянно», «5 лет», «75 лет ЭПК»", req.Retention)})
	}
	if !registry.ValidCaseIndex(k.Index) {
		ps = append(ps, order.Problem{Path: "index", Message: fmt.Sprintf("«%s» — не индекс дела; индекс — цифры или заглавные буквы группами через дефис, например «01-05»", k.Index)})
	}
	if len(ps) > 0 {
		draftProblem(c, ps)
		return
	}
	if req.Journal != "" {
		if _, err := s.cfg.Store.GetJournal(c.Request.Context(), org, req.Journal); errors.Is(err, registry.ErrNotFound) {
			draftProblem(c, order.Problems{{Path: "journal", Message: fmt.Sprintf("журнала «%s» нет у этой организации", req.Journal)}})
			return
		}
	}
	err := s.cfg.Store.PutCase(c.Request.Context(), k)
	if errors.Is(err, registry.ErrConflict) {
		problem(c, http.StatusConflict, fmt.Sprintf("приказы журнала «%s» уже подшиваются в другое дело; у журнала одно дело", req.Journal))
		return
	}
	if err != nil {
		s.storeError(c, err)
		return
	}
	c.JSON(http.StatusOK, viewCase(*k))
}

func (s *Server) deleteCase(c *gin.Context) {
	org, ok := orgScope(c)
	if !ok {
		return
	}
	err := s.cfg.Store.DeleteCase(c.Request.Context(), org, c.Param("index"))
	switch {
	case errors.Is(err, registry.ErrNotFound):
		problem(c, http.StatusNotFound, "дела «"+c.Param("index")+"» нет в номенклатуре")
	case errors.Is(err, registry.ErrConflict):
		problem(c, http.StatusConflict, "в деле «"+c.Param("index")+"» есть приказы: дело с документами из номенклатуры не удаляется")
	case err != nil:
		s.storeError(c, err)
	default:
		c.Status(http.StatusNoContent)
	}
}

// yearParam reads ?year=, default this year (Moscow).
func yearParam(c *gin.Context) (int, bool) {
	y := c.Query("year")
	if y == "" {
		return time.Now().In(ru.Moscow).Year(), true
	}
	n, err := strconv.Atoi(y)
	if err != nil || n < 1900 || n > 2999 {
		problem(c, http.StatusBadRequest, "year: «"+y+"» — не год; нужен год вида 2025")
		return 0, false
	}
	return n, true
}

func (s *Server) caseOrders(c *gin.Context) {
	org, ok := orgScope(c)
	if !ok {
		return
	}
	year, ok := yearParam(c)
	if !ok {
		return
	}
	list, err := s.cfg.Store.CaseOrders(c.Request.Context(), org, c.Param("index"), year)
	if err != nil {
		s.storeError(c, err)
		return
	}
	out := make([]orderView, 0, len(list))
	for i := range list {
		out = append(out, view(&list[i]))
	}
	c.JSON(http.StatusOK, gin.H{"case": c.Param("index"), "year": year, "orders": out})
}

type fileRequest struct {
	Case string `json:"case"`
}

func (s *Server) fileOrder(c *gin.Context) {
	id, ok := s.orderID(c)
	if !ok {
		return
	}
	var req fileRequest
	if !s.readJSON(c, &req) {
		return
	}
	cl := who(c)
	f, err := s.cfg.Store.FileOrder(c.Request.Context(), cl.orgID, id, req.Case, cl.display, auditEntry(c, "file", map[string]string{"case": req.Case}))
	if errors.Is(err, registry.ErrInvalid) {
		draftProblem(c, order.Problems{{Path: "case", Message: fmt.Sprintf("дела «%s» нет в номенклатуре организации", req.Case)}})
		return
	}
	if err != nil {
		s.storeError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"order_id": f.OrderID, "case": f.CaseIndex, "year": f.Year, "filed_by": f.FiledBy, "filed_at": f.FiledAt})
}

type volumeView struct {
	caseView
	Year         int    `json:"year"`
	Count        int    `json:"count"`
	First        string `json:"first"`
	Last         string `json:"last"`
	ExpiresAfter int    `json:"expires_after,omitempty"` // the last year it must be kept; absent: permanent
	Review       bool   `json:"review,omitempty"`        // ЭПК: the expert commission decides
}

func (s *Server) volumes(c *gin.Context) {
	org, ok := orgScope(c)
	if !ok {
		return
	}
	vols, err := s.cfg.Store.CaseVolumes(c.Request.Context(), org)
	if err != nil {
		s.storeError(c, err)
		return
	}
	out := make([]volumeView, 0, len(vols))
	for _, v := range vols {
		out = append(out, volumeView{viewCase(v.Case), v.Year, v.Count, v.First, v.Last, v.ExpiresAfter(), false})
	}
	c.JSON(http.StatusOK, gin.H{"volumes": out})
}

func (s *Server) inventory(c *gin.Context, rec *records.Service) {
	org, ok := orgScope(c)
	if !ok {
		return
	}
	year, ok := yearParam(c)
	if !ok {
		return
	}
	inv, err := rec.Inventory(c.Request.Context(), org, year)
	if err != nil {
		s.storeError(c, err)
		return
	}
	var data []byte
	var ctype, ext string
	switch c.DefaultQuery("format", "xlsx") {
	case "xlsx":
		data, err = inv.XLSX()
		ctype, ext = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"
	case "pdf":
		data, err = inv.PDF()
		ctype, ext = "application/pdf", "pdf"
	default:
		problem(c, http.StatusBadRequest, "format: «"+c.Query("format")+"» — опись бывает xlsx или pdf")
		return
	}
	if err != nil {
		s.log.Error("inventory", "err", err)
		problem(c, http.StatusInternalServerError, msgInternal)
		return
	}
	c.Header("Content-Disposition", contentDisposition(inv.FileName(ext)))
	c.Data(http.StatusOK, ctype, data)
}

func (s *Server) expired(c *gin.Context, rec *records.Service) {
	org, ok := orgScope(c)
	if !ok {
		return
	}
	list, err := rec.Expired(c.Request.Context(), org)
	if err != nil {
		s.storeError(c, err)
		return
	}
	out := make([]volumeView, 0, len(list))
	for _, v := range list {
		out = append(out, volumeView{viewCase(v.Case), v.Year, v.Count, v.First, v.Last, v.ExpiresAfter(), v.Review})
	}
	c.JSON(http.StatusOK, gin.H{"expired": out})
}

type publicRequest struct {
	Public bool `json:"public"`
}

// setPublic lets the organization show an order's text on the public check.
func (s *Server) setPublic(c *gin.Context) {
	id, ok := s.orderID(c)
	if !ok {
		return
	}
	var req publicRequest
	if !s.readJSON(c, &req) {
		return
	}
	if err := s.cfg.Store.SetOrderPublic(c.Request.Context(), who(c).orgID, id, req.Public, auditEntry(c, "public", req)); err != nil {
		s.storeError(c, err)
		return
	}
	c.JSON(http.StatusOK, req)
}

func (s *Server) checkByID(c *gin.Context, chk *check.Service, limit *check.Limiter) {
	if !allowAddr(c, limit) {
		return
	}
	id, err := uuid.Parse(c.Param("id"))
	if err != nil {
		problem(c, http.StatusNotFound, msgCheckNotFound)
		return
	}
	r, err := chk.ByID(c.Request.Context(), id)
	s.checkAnswer(c, r, err)
}

const msgCheckNotFound = "такой приказ не найден: в реестре нет зарегистрированного приказа с этими данными"

func (s *Server) checkByNumber(c *gin.Context, chk *check.Service, limit *check.Limiter) {
	if !allowAddr(c, limit) {
		return
	}
	var ps order.Problems
	for _, q := range []string{"organization", "number", "date"} {
		if c.Query(q) == "" {
			ps = append(ps, order.Problem{Path: q, Message: "не заполнено"})
		}
	}
	if d := c.Query("date"); d != "" {
		if _, err := time.Parse(time.DateOnly, d); err != nil {
			ps = append(ps, order.Problem{Path: "date", Message: "«" + d + "» — не дата; нужна дата вида ГГГГ-ММ-ДД"})
		}
	}
	if len(ps) > 0 {
		draftProblem(c, ps)
		return
	}
	r, err := chk.ByNumber(c.Request.Context(), c.Query("organization"), c.Query("number"), c.Query("date"))
	s.checkAnswer(c, r, err)
}

func (s *Server) checkAnswer(c *gin.Context, r *check.Result, err error) {
	if errors.Is(err, check.ErrNotFound) {
		problem(c, http.StatusNotFound, msgCheckNotFound)
		return
	}
	if err != nil {
		s.storeError(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, r)
}

// checkCompare takes a PDF (multipart field "pdf", or the body itself) and says whether it
// is the order's signed PDF or registered copy. The file is hashed and dropped.
func (s *Server) checkCompare(c *gin.Context, chk *check.Service, limit *check.Limiter) {
	if !allowAddr(c, limit) {
		return
	}
	id, err := uuid.Parse(c.Param("id"))
	if err != nil {
		problem(c, http.StatusNotFound, msgCheckNotFound)
		return
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, check.MaxUpload+1<<20)
	body := c.Request.Body
	if f, _, err := c.Request.FormFile("pdf"); err == nil {
		defer f.Close()
		body = f
	}
	r, cmp, err := chk.Compare(c.Request.Context(), id, body)
	var tooBig *http.MaxBytesError
	switch {
	case errors.Is(err, check.ErrTooLarge) || errors.As(err, &tooBig):
		problem(c, http.StatusRequestEntityTooLarge, fmt.Sprintf("файл больше %d МБ", check.MaxUpload>>20))
	case errors.Is(err, check.ErrNotFound):
		problem(c, http.StatusNotFound, msgCheckNotFound)
	case err != nil:
		s.storeError(c, err)
	default:
		c.JSON(http.StatusOK, gin.H{"order": r, "comparison": cmp})
	}
}
