package web

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"orders/internal/auth"
	"orders/internal/check"
	"orders/internal/control"
	"orders/internal/records"
	"orders/internal/registry"
)

// mountRecords adds the pages of control of execution, case files and the public check
// (issue 17 §3–5). The check pages need no login and are rate-limited per address.
func (s *Server) mountRecords(e *gin.Engine) {
	limit := check.NewLimiter()
	chk := &check.Service{Store: s.cfg.Store}
	e.GET("/control", s.page(s.controlPage))
	e.GET("/cases", s.page(s.casesPage, auth.ActManageCases))
	e.GET("/check", func(c *gin.Context) { s.checkPage(c, chk, limit) })
	e.GET("/check/:id", func(c *gin.Context) { s.checkPage(c, chk, limit) })
	e.POST("/check/:id", func(c *gin.Context) { s.checkPage(c, chk, limit) })
}

type controlRow struct {
	registry.ControlItem
	State, StateText string
	CanMark          bool
}

type controlPageView struct {
	Rows    []controlRow
	Mine    bool
	State   string
	Today   string
	Person  string
	Counts  map[string]int
	Choices []stateOption
}

var controlStateText = map[string]string{registry.ControlOnTime: "в срок", registry.ControlOverdue: "просрочено", registry.ControlDone: "исполнено"}

// controlPage lists control items: the caller's own («Мои»: responsible, or named by the
// control clause) or all of the organization, by state.
func (s *Server) controlPage(c *gin.Context, cl auth.Caller) {
	if cl.OrgID == "" {
		s.errorPage(c, cl, http.StatusBadRequest, "Выберите организацию", "Контроль исполнения ведёт организация; администратор смотрит его через API: /api/v1/control?organization=…")
		return
	}
	ctl := &control.Service{Store: s.cfg.Store}
	person := cl.Name
	if person == "" {
		person = cl.Login
	}
	mine := c.Query("all") == ""
	var items []registry.ControlItem
	var err error
	if mine {
		items, err = ctl.PersonItems(c.Request.Context(), cl.OrgID, person)
	} else {
		items, err = ctl.List(c.Request.Context(), cl.OrgID, "")
	}
	if err != nil {
		s.failurePage(c, cl, err, "Не удалось прочитать пункты на контроле.")
		return
	}
	today := ctl.Today()
	v := controlPageView{Mine: mine, Today: today, Person: person, Counts: map[string]int{},
		Choices: []stateOption{{"", "все"}, {registry.ControlOnTime, "в срок"}, {registry.ControlOverdue, "просрочено"}, {registry.ControlDone, "исполнено"}}}
	v.State = c.Query("state")
	for _, it := range items {
		st := it.StateOn(today)
		v.Counts[st]++
		if v.State != "" && st != v.State {
			continue
		}
		canMark := st != registry.ControlDone && control.MayMark(cl.Role, person, it)
		v.Rows = append(v.Rows, controlRow{it, st, controlStateText[st], canMark})
	}
	s.render(c, http.StatusOK, "control", view{Title: "Контроль исполнения", Nav: "control", Caller: cl, Page: v})
}

type casesPageView struct {
	Cases    []registry.Case
	Volumes  []registry.CaseVolume
	Expired  []records.Expired
	Orders   []registry.Order // registered orders to file, newest first
	Filed    map[uuid.UUID]string
	Journals []registry.Journal
	Years    []int
}

// casesPage is the archivist's: the nomenclature, filing an order into a case, the volumes
// by year with their inventories, and the cases whose period has ended.
func (s *Server) casesPage(c *gin.Context, cl auth.Caller) {
	if cl.OrgID == "" {
		s.errorPage(c, cl, http.StatusBadRequest, "Выберите организацию", "Номенклатуру ведёт организация; администратор работает с ней через API: /api/v1/cases?organization=…")
		return
	}
	ctx := c.Request.Context()
	var v casesPageView
	var err error
	rec := &records.Service{Store: s.cfg.Store}
	if v.Cases, err = s.cfg.Store.ListCases(ctx, cl.OrgID); err == nil {
		if v.Volumes, err = s.cfg.Store.CaseVolumes(ctx, cl.OrgID); err == nil {
			if v.Expired, err = rec.Expired(ctx, cl.OrgID); err == nil {
				v.Journals, err = s.cfg.Store.ListJournals(ctx, cl.OrgID)
			}
		}
	}
	if err == nil {
		var list []registry.Order
		list, _, err = s.cfg.Store.ListOrders(ctx, registry.Filter{OrgID: cl.OrgID, Limit: 100})
		v.Filed = map[uuid.UUID]string{}
		for _, o := range list {
			if o.State == registry.StateDraft {
				continue
			}
			v.Orders = append(v.Orders, o)
			if f, ferr := s.cfg.Store.FilingOf(ctx, cl.OrgID, o.ID); ferr == nil {
				v.Filed[o.ID] = f.CaseIndex
			}
		}
	}
	if err != nil {
		s.failurePage(c, cl, err, "Не удалось прочитать номенклатуру дел.")
		return
	}
	for _, vol := range v.Volumes {
		if !slices.Contains(v.Years, vol.Year) {
			v.Years = append(v.Years, vol.Year)
		}
	}
	s.render(c, http.StatusOK, "cases", view{Title: "Номенклатура дел", Nav: "cases", Caller: cl, Page: v})
}

type checkPageView struct {
	Result     *check.Result
	Comparison *check.Comparison
	NotFound   bool
	Limited    bool
	Problem    string
	Orgs       []registry.Organization
	Org        string
	Number     string
	Date       string
}

// checkPage is the public check: a form (organization, number, date), the answer for an
// order, and the comparison of an uploaded PDF. It shows what check.Result holds, nothing
// more; it reads no session and sets none.
func (s *Server) checkPage(c *gin.Context, chk *check.Service, limit *check.Limiter) {
	ctx := c.Request.Context()
	v := checkPageView{Org: c.Query("organization"), Number: strings.TrimSpace(c.Query("number")), Date: c.Query("date")}
	code := http.StatusOK
	var err error
	if ok, wait := limit.Allow(check.Addr(c.Request.RemoteAddr)); !ok {
		c.Header("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		v.Limited, code = true, http.StatusTooManyRequests
	} else {
		var r *check.Result
		switch {
		case c.Param("id") != "":
			id, perr := uuid.Parse(c.Param("id"))
			if perr != nil {
				err = check.ErrNotFound
				break
			}
			if c.Request.Method == http.MethodPost {
				c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, check.MaxUpload+1<<20)
				f, _, ferr := c.Request.FormFile("pdf")
				if ferr != nil {
					v.Problem = "Выберите PDF-файл для сравнения."
					r, err = chk.ByID(ctx, id)
					break
				}
				defer f.Close()
				r, v.Comparison, err = chk.Compare(ctx, id, f)
				if errors.Is(err, check.ErrTooLarge) {
					v.Problem, err = "Файл больше 32 МБ.", nil
					r, err = chk.ByID(ctx, id)
				}
				break
			}
			r, err = chk.ByID(ctx, id)
		case v.Org != "" || v.Number != "" || v.Date != "":
			if _, derr := time.Parse(time.DateOnly, v.Date); derr != nil || v.Org == "" || v.Number == "" {
				v.Problem = "Укажите организацию, номер и дату приказа."
				break
			}
			r, err = chk.ByNumber(ctx, v.Org, v.Number, v.Date)
		}
		switch {
		case errors.Is(err, check.ErrNotFound):
			v.NotFound, code = true, http.StatusNotFound
		case err != nil:
			s.log.Error("public check", "err", err)
			s.failurePage(c, auth.Caller{}, err, "Не удалось выполнить проверку.")
			return
		}
		v.Result = r
	}
	if v.Result == nil {
		// The form's organization list: public bodies' names, nothing of their orders.
		v.Orgs, _ = s.cfg.Store.ListOrganizations(ctx)
	}
	s.render(c, code, "check", view{Title: "Проверка приказа", Page: v})
}
