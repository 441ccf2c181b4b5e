package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"orders/internal/auth"
	"orders/internal/check"
	"orders/internal/control"
	"orders/internal/records"
	"orders/internal/registry"
	"orders/internal/ru"
)

// recordsRoutes mounts control of execution, the nomenclature of cases and the public check
// (issue 17 §3–5). The check and the calendar feed need no login: the feed's secret address
// is its credential, and the check shows only what a printed copy already says.
func (s *Server) recordsRoutes(e *gin.Engine, v1, g *gin.RouterGroup) {
	ctl := &control.Service{Store: s.cfg.Store}
	rec := &records.Service{Store: s.cfg.Store}
	chk := &check.Service{Store: s.cfg.Store}
	limit := check.NewLimiter()
	if s.cfg.Store != nil {
		s.metrics.MustRegister(controlCollector{store: s.cfg.Store, ctl: ctl,
			desc: prometheus.NewDesc("orders_control_items", "Control items of every organization by state today (on_time, overdue, done).", []string{"state"}, nil)})
	}

	g.GET("/control", func(c *gin.Context) { s.listControl(c, ctl) })
	g.GET("/control/mine", func(c *gin.Context) { s.myControl(c, ctl) })
	g.POST("/control/:id/done", func(c *gin.Context) { s.markControl(c, ctl) })
	g.POST("/control/feed", func(c *gin.Context) { s.newFeed(c, ctl) })
	g.DELETE("/control/feed", func(c *gin.Context) { s.revokeFeed(c, ctl) })
	g.GET("/orders/:id/control", func(c *gin.Context) { s.orderControl(c, ctl) })
	e.GET("/calendar/:file", func(c *gin.Context) { s.calendar(c, ctl, limit) })

	g.GET("/cases", s.listCases)
	g.PUT("/cases/:index", s.allow(auth.ActManageCases), s.putCase)
	g.DELETE("/cases/:index", s.allow(auth.ActManageCases), s.deleteCase)
	g.GET("/cases/:index/orders", s.caseOrders)
	g.POST("/orders/:id/file", s.allow(auth.ActManageCases), s.fileOrder)
	g.GET("/archive/volumes", s.allow(auth.ActManageCases), s.volumes)
	g.GET("/archive/inventory", s.allow(auth.ActManageCases), func(c *gin.Context) { s.inventory(c, rec) })
	g.GET("/archive/expired", s.allow(auth.ActManageCases), func(c *gin.Context) { s.expired(c, rec) })

	g.PUT("/orders/:id/public", s.allow(auth.ActPublish), s.setPublic)
	v1.GET("/check", func(c *gin.Context) { s.checkByNumber(c, chk, limit) })
	v1.GET("/check/:id", func(c *gin.Context) { s.checkByID(c, chk, limit) })
	v1.POST("/check/:id/compare", func(c *gin.Context) { s.checkCompare(c, chk, limit) })
}

// orgScope is the organization a list is for: the caller's, or for an admin the one named
// by ?organization= (required, since items of all organizations are not one office's list).
func orgScope(c *gin.Context) (string, bool) {
	if org := who(c).orgID; org != "" {
		return org, true
	}
	if org := c.Query("organization"); org != "" {
		return org, true
	}
	problem(c, http.StatusBadRequest, "organization: администратору нужно указать организацию (?organization=…)")
	return "", false
}

type controlView struct {
	ID          uuid.UUID  `json:"id"`
	OrderID     uuid.UUID  `json:"order_id"`
	OrderNumber string     `json:"order_number"`
	OrderDate   string     `json:"order_date"`
	OrderTitle  string     `json:"order_title"`
	Clause      string     `json:"clause"`
	Text        string     `json:"text"`
	Responsible string     `json:"responsible"`
	Deadline    string     `json:"deadline"`
	Due         string     `json:"due,omitempty"`
	Controller  string     `json:"controller,omitempty"`
	State       string     `json:"state"`
	StateText   string     `json:"state_text"`
	DoneAt      *time.Time `json:"done_at,omitempty"`
	DoneBy      string     `json:"done_by,omitempty"`
	DoneNote    string     `json:"done_note,omitempty"`
}

// ControlStateText is how a person reads a control state.
var ControlStateText = map[string]string{registry.ControlOnTime: "в срок", registry.ControlOverdue: "просрочено", registry.ControlDone: "исполнено"}

func controlViews(items []registry.ControlItem, today string) []controlView {
	out := make([]controlView, 0, len(items))
	for _, c := range items {
		st := c.StateOn(today)
		out = append(out, controlView{ID: c.ID, OrderID: c.OrderID, OrderNumber: c.OrderNumber, OrderDate: c.OrderDate, OrderTitle: c.OrderTitle,
			Clause: c.Clause, Text: c.Text, Responsible: c.Responsible, Deadline: c.Deadline, Due: c.Due, Controller: c.Controller,
			State: st, StateText: ControlStateText[st], DoneAt: c.DoneAt, DoneBy: c.DoneBy, DoneNote: c.DoneNote})
	}
	return out
}

// listControl: the organization's items, of one state (?state=on_time|overdue|done) or one
// responsible person (?responsible=).
func (s *Server) listControl(c *gin.Context, ctl *control.Service) {
	org, ok := orgScope(c)
	if !ok {
		return
	}
	state := c.Query("state")
	if state != "" && ControlStateText[state] == "" {
		problem(c, http.StatusBadRequest, fmt.Sprintf("state: «%s» — нет такого состояния; возможны on_time (в срок), overdue (просрочено), done (исполнено)", state))
		return
	}
	today := ctl.Today()
	f := registry.ControlFilter{OrgID: org, Responsible: strings.TrimSpace(c.Query("responsible")), State: state, Today: today, Limit: registry.MaxLimit}
	items, err := s.cfg.Store.ListControls(c.Request.Context(), f)
	if err != nil {
		s.storeError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"today": today, "items": controlViews(items, today)})
}

// myControl: what the caller, as the person clauses name, must do or oversees.
func (s *Server) myControl(c *gin.Context, ctl *control.Service) {
	cl := who(c)
	if cl.orgID == "" {
		problem(c, http.StatusBadRequest, "у администратора нет своих пунктов на контроле: смотрите /api/v1/control?organization=…")
		return
	}
	items, err := ctl.PersonItems(c.Request.Context(), cl.orgID, cl.display)
	if err != nil {
		s.storeError(c, err)
		return
	}
	today := ctl.Today()
	c.JSON(http.StatusOK, gin.H{"person": cl.display, "today": today, "items": controlViews(items, today)})
}

type markRequest struct {
	Note string `json:"note"`
}

// markControl marks an item executed. The responsible person, the one the control clause
// names, and a head or admin may; nobody else.
func (s *Server) markControl(c *gin.Context, ctl *control.Service) {
	id, err := uuid.Parse(c.Param("id"))
	if err != nil {
		problem(c, http.StatusNotFound, "такого пункта на контроле нет: в адресе не идентификатор")
		return
	}
	var req markRequest
	if !s.readJSON(c, &req) {
		return
	}
	cl := who(c)
	item, err := s.cfg.Store.GetControl(c.Request.Context(), cl.orgID, id)
	if errors.Is(err, registry.ErrNotFound) {
		problem(c, http.StatusNotFound, "такого пункта на контроле нет")
		return
	}
	if err != nil {
		s.storeError(c, err)
		return
	}
	if !control.MayMark(cl.role, cl.display, *item) {
		problem(c, http.StatusForbidden, "отметить исполнение может ответственный («"+item.Responsible+"»), тот, на кого возложен контроль, или руководитель")
		return
	}
	done, err := ctl.Mark(c.Request.Context(), item.OrgID, id, cl.actor, cl.display, req.Note)
	if errors.Is(err, registry.ErrConflict) {
		// Marked before or meanwhile: the answer names the mark that stands.
		detail := fmt.Sprintf("пункт %s приказа № %s уже отмечен исполненным", item.Clause, item.OrderNumber)
		if now, err := s.cfg.Store.GetControl(c.Request.Context(), item.OrgID, id); err == nil && now.DoneAt != nil {
			detail += fmt.Sprintf(" (%s, %s)", now.DoneBy, now.DoneAt.In(ru.Moscow).Format("02.01.2006"))
		}
		problem(c, http.StatusConflict, detail)
		return
	}
	if err != nil {
		s.storeError(c, err)
		return
	}
	today := ctl.Today()
	c.JSON(http.StatusOK, controlViews([]registry.ControlItem{*done}, today)[0])
}

func (s *Server) orderControl(c *gin.Context, ctl *control.Service) {
	id, ok := s.orderID(c)
	if !ok {
		return
	}
	items, err := s.cfg.Store.ListControls(c.Request.Context(), registry.ControlFilter{OrgID: who(c).orgID, OrderID: &id, Limit: registry.MaxLimit})
	if err != nil {
		s.storeError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"items": controlViews(items, ctl.Today())})
}

type feedRequest struct {
	Person string `json:"person"`
}

// feedPerson is whose feed a request is about: the caller's own, or for a head or admin
// anyone's (?person= or "person").
func feedPerson(c *gin.Context, asked string) (org, person string, ok bool) {
	cl := who(c)
	person = cl.display
	if asked = strings.TrimSpace(asked); asked != "" && asked != person {
		if !auth.Can(cl.role, auth.ActOthersCalendar) {
			problem(c, http.StatusForbidden, "календарь другого человека может выдать только руководитель")
			return "", "", false
		}
		person = asked
	}
	org = cl.orgID
	if org == "" {
		org = c.Query("organization")
	}
	if org == "" {
		problem(c, http.StatusBadRequest, "organization: администратору нужно указать организацию (?organization=…)")
		return "", "", false
	}
	return org, person, true
}

// newFeed gives a new secret calendar address; the previous one stops working.
func (s *Server) newFeed(c *gin.Context, ctl *control.Service) {
	var req feedRequest
	if !s.readJSON(c, &req) {
		return
	}
	org, person, ok := feedPerson(c, req.Person)
	if !ok {
		return
	}
	secret, err := ctl.FeedSecret(c.Request.Context(), org, person, who(c).actor)
	if err != nil {
		s.storeError(c, err)
		return
	}
	c.JSON(http.StatusCreated, gin.H{"person": person, "path": "/calendar/" + secret + ".ics"})
}

func (s *Server) revokeFeed(c *gin.Context, ctl *control.Service) {
	org, person, ok := feedPerson(c, c.Query("person"))
	if !ok {
		return
	}
	if err := ctl.RevokeFeed(c.Request.Context(), org, person); errors.Is(err, registry.ErrNotFound) {
		problem(c, http.StatusNotFound, "у «"+person+"» нет календаря")
		return
	} else if err != nil {
		s.storeError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// calendar serves a feed to a calendar app, which knows no login: the secret in the
// address is the credential, and guessing is rate-limited like the check.
func (s *Server) calendar(c *gin.Context, ctl *control.Service, limit *check.Limiter) {
	if !allowAddr(c, limit) {
		return
	}
	secret, ok := strings.CutSuffix(c.Param("file"), ".ics")
	if !ok || secret == "" {
		problem(c, http.StatusNotFound, "нет такого календаря")
		return
	}
	ics, err := ctl.Feed(c.Request.Context(), secret)
	if errors.Is(err, registry.ErrNotFound) {
		problem(c, http.StatusNotFound, "нет такого календаря: адрес неверен или отозван")
		return
	}
	if err != nil {
		s.storeError(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, "text/calendar; charset=utf-8", ics)
}

// controlCollector reports control items by state at scrape time.
type controlCollector struct {
	store interface {
		CountControls(ctx context.Context, today string) (map[string]int, error)
	}
	ctl  *control.Service
	desc *prometheus.Desc
}

func (cc controlCollector) Describe(ch chan<- *prometheus.Desc) { ch <- cc.desc }

func (cc controlCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	counts, err := cc.store.CountControls(ctx, cc.ctl.Today())
	if err != nil {
		return
	}
	for _, st := range registry.ControlStates {
		ch <- prometheus.MustNewConstMetric(cc.desc, prometheus.GaugeValue, float64(counts[st]), st)
	}
}

// allowAddr applies the per-address limit (check.Addr).
func allowAddr(c *gin.Context, limit *check.Limiter) bool {
	ok, wait := limit.Allow(check.Addr(c.Request.RemoteAddr))
	if !ok {
		c.Header("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		problem(c, http.StatusTooManyRequests, fmt.Sprintf("слишком много запросов с вашего адреса; повторите через %d с", int(wait.Seconds())+1))
	}
	return ok
}
