package web

import (
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"orders/internal/auth"
	"orders/internal/order"
	"orders/internal/registry"
	"orders/templates"
)

type ordersView struct {
	Orders   []registry.Order
	State    string
	Q        string
	Sort     string
	Mine     bool
	Sorts    []stateOption
	Total    int
	OrgNames map[string]string
	// RowLabels name the organization of a batch's row (the school of a per-row order), by
	// order id: a batch's drafts share their title.
	RowLabels  map[uuid.UUID]string
	Next       string
	First      bool
	CanCreate  bool
	ShowOrg    bool
	States     []stateOption
	FilterUsed bool
}

type stateOption struct{ Value, Label string }

func states() []stateOption {
	out := []stateOption{{"", "все"}}
	for _, st := range registry.States {
		out = append(out, stateOption{string(st), stateName(st)})
	}
	return out
}

// ordersPage lists the organization's orders, newest first; the registry scopes the list
// to the caller's organization.
func (s *Server) ordersPage(c *gin.Context, cl auth.Caller) {
	st := registry.State(c.Query("state"))
	if !st.Valid() {
		st = ""
	}
	sort := c.Query("sort")
	if !slices.ContainsFunc(orderSorts, func(o stateOption) bool { return o.Value == sort }) {
		sort = ""
	}
	f := registry.Filter{OrgID: cl.OrgID, State: st, Text: strings.TrimSpace(c.Query("q")), Cursor: c.Query("cursor"), Limit: 30, Sort: sort}
	mine := c.Query("mine") == "1"
	if mine {
		f.CreatedBy = cl.Actor
	}
	list, next, err := s.cfg.Store.ListOrders(c.Request.Context(), f)
	if errors.Is(err, registry.ErrInvalid) {
		f.Cursor = ""
		list, next, err = s.cfg.Store.ListOrders(c.Request.Context(), f)
	}
	if err != nil {
		s.log.Error("list orders", "err", err)
		s.failurePage(c, cl, err, "Не удалось прочитать список приказов.")
		return
	}
	total, err := s.cfg.Store.CountOrders(c.Request.Context(), f)
	if err != nil {
		s.log.Error("count orders", "err", err)
		s.failurePage(c, cl, err, "Не удалось прочитать список приказов.")
		return
	}
	var orgNames map[string]string
	if cl.OrgID == "" {
		orgNames = s.orgNames(c)
	}
	rowLabels := s.rowLabels(c, list)
	s.render(c, http.StatusOK, "orders", view{Title: "Приказы", Nav: "orders", Caller: cl, Page: ordersView{
		Orders: list, State: string(st), Q: f.Text, Next: next, First: f.Cursor == "",
		Sort: sort, Mine: mine, Sorts: orderSorts, Total: min(total, registry.MaxCount), OrgNames: orgNames, RowLabels: rowLabels,
		CanCreate: auth.Can(cl.Role, auth.ActEditDraft),
		ShowOrg:   cl.OrgID == "", States: states(), FilterUsed: st != "" || f.Text != "" || mine,
	}})
}

// orderSorts are the orders of the list a person may choose; the registry sorts over all
// the matches, not the page.
var orderSorts = []stateOption{{"", "сначала новые"}, {"-date", "по дате, новые сверху"}, {"date", "по дате, старые сверху"},
	{"number", "по номеру"}, {"title", "по заголовку"}}

// orgNames maps organization ids to names for the lists of an administrator, who sees all.
func (s *Server) orgNames(c *gin.Context) map[string]string {
	names := map[string]string{}
	list, err := s.cfg.Store.ListOrganizations(c.Request.Context())
	if err != nil {
		s.log.Warn("list organizations", "err", err)
	}
	for _, o := range list {
		names[o.ID] = o.Name
	}
	return names
}

// rowLabels reads the row labels of the batches the listed orders came from (the API keeps
// them in the batch's options as {"labels": {row: label}}). A batch that cannot be read
// leaves its rows unlabelled: the row number still tells them apart.
func (s *Server) rowLabels(c *gin.Context, list []registry.Order) map[uuid.UUID]string {
	out := map[uuid.UUID]string{}
	batches := map[uuid.UUID]map[int]string{}
	for _, o := range list {
		if o.BatchID == nil {
			continue
		}
		labels, seen := batches[*o.BatchID]
		if !seen {
			if b, err := s.cfg.Store.GetBatch(c.Request.Context(), o.OrgID, *o.BatchID); err == nil {
				var opts struct {
					Labels map[int]string `json:"labels"`
				}
				_ = json.Unmarshal(b.Options, &opts)
				labels = opts.Labels
			}
			batches[*o.BatchID] = labels
		}
		if l := labels[o.BatchRow]; l != "" {
			out[o.ID] = l
		}
	}
	return out
}

type orderPageView struct {
	Order       *registry.Order
	Draft       *order.Draft
	Org         string
	JournalName string
}

// orderPage shows one order. Another organization's order does not exist for the caller:
// the registry answers not found and the page says so with a 404, as the API does.
func (s *Server) orderPage(c *gin.Context, cl auth.Caller) {
	o, ok := s.findOrder(c, cl)
	if !ok {
		return
	}
	var d order.Draft
	_ = json.Unmarshal(o.Draft, &d)
	var people []string
	if d.Acknowledgement != nil {
		for _, p := range d.Acknowledgement.People {
			people = append(people, p.Name)
		}
	}
	orgName := o.OrgID
	if org, err := s.cfg.Store.GetOrganization(c.Request.Context(), o.OrgID); err == nil {
		orgName = org.Name
	}
	journals := s.journalNames(c, o.OrgID)
	s.render(c, http.StatusOK, "order", view{Title: titleOf(o), Nav: "orders", Caller: cl,
		Page: orderPageView{Order: o, Draft: &d, Org: orgName, JournalName: journalName(journals, o.Journal)},
		Data: map[string]any{
			"journals": journals,
			"id":       o.ID, "role": cl.Role, "state": o.State, "status": o.Status, "people": people,
			"canEdit":     auth.Can(cl.Role, auth.ActEditDraft),
			"canRegister": auth.Can(cl.Role, auth.ActRegister),
			"canSign":     auth.Can(cl.Role, auth.ActSign),
			"canCancel":   auth.Can(cl.Role, auth.ActCancel),
			"canAck":      auth.Can(cl.Role, auth.ActAcknowledge),
			"orgID":       o.OrgID,
			"adminCall":   cl.OrgID == "",
			"statusName":  statusNames,
		}})
}

// journalNames maps the organization's journal ids to their names: people know a journal
// as «по основной деятельности», not as «main». Empty when the journals cannot be read;
// the id is shown then.
func (s *Server) journalNames(c *gin.Context, orgID string) map[string]string {
	names := map[string]string{}
	list, err := s.cfg.Store.ListJournals(c.Request.Context(), orgID)
	if err != nil {
		s.log.Warn("list journals", "err", err)
	}
	for _, j := range list {
		names[j.ID] = j.Name
	}
	return names
}

func journalName(names map[string]string, id string) string {
	if n := names[id]; n != "" {
		return n
	}
	return id
}

func titleOf(o *registry.Order) string {
	if o.Number != "" {
		return capital(o.Kind) + " № " + o.Number
	}
	return "Проект: " + o.Title
}

func (s *Server) findOrder(c *gin.Context, cl auth.Caller) (*registry.Order, bool) {
	id, err := uuid.Parse(c.Param("id"))
	var o *registry.Order
	if err == nil {
		o, err = s.cfg.Store.GetOrder(c.Request.Context(), cl.OrgID, id)
	}
	if err != nil {
		if _, perr := uuid.Parse(c.Param("id")); perr != nil || errors.Is(err, registry.ErrNotFound) {
			s.errorPage(c, cl, http.StatusNotFound, "Приказ не найден",
				"Такого приказа нет или он принадлежит другой организации.")
			return nil, false
		}
		s.log.Error("get order", "err", err)
		s.failurePage(c, cl, err, "Не удалось прочитать приказ.")
		return nil, false
	}
	return o, true
}

// startingPoint is a draft the editor can start from: the yearly template or an example.
type startingPoint struct {
	ID    string          `json:"id"`
	Label string          `json:"label"`
	Draft json.RawMessage `json:"draft"`
}

// startingPoints reads the embedded templates and examples. Letterhead, organization, number
// and date are dropped: the letterhead comes from the clerk's organization, and a new order
// gets its number and date when it is registered.
func startingPoints() []startingPoint {
	var out []startingPoint
	add := func(fsys fs.FS, prefix string) {
		names, _ := fs.Glob(fsys, "*/*.json")
		slices.Sort(names)
		for _, n := range names {
			data, err := fs.ReadFile(fsys, n)
			if err != nil {
				continue
			}
			var m map[string]any
			if json.Unmarshal(data, &m) != nil {
				continue
			}
			for _, k := range []string{"letterhead", "organization", "number", "date"} {
				delete(m, k)
			}
			title, _ := m["title"].(string)
			if r := []rune(title); len(r) > 70 {
				title = string(r[:70]) + "…"
			}
			clean, _ := json.Marshal(m)
			out = append(out, startingPoint{ID: strings.TrimSuffix(path.Base(n), ".json"), Label: prefix + title, Draft: clean})
		}
	}
	add(templates.Orders, "Шаблон: ")
	add(templates.Examples, "Пример: ")
	return out
}

type orgInfo struct {
	ID         string          `json:"id"`
	Name       string          `json:"name"`
	Letterhead json.RawMessage `json:"letterhead"`
}

// editorPage is «Новый приказ» and the editing of a draft. The form is built by the page's
// script from the draft JSON, so what the clerk edits is exactly what the API receives.
func (s *Server) editorPage(c *gin.Context, cl auth.Caller) {
	ctx := c.Request.Context()
	data := map[string]any{"user": cl.UserID.String(), "templates": startingPoints(), "admin": cl.OrgID == ""}
	title, nav := "Новый приказ", "new"
	if c.Param("id") != "" {
		o, ok := s.findOrder(c, cl)
		if !ok {
			return
		}
		if o.State != registry.StateDraft {
			s.errorPage(c, cl, http.StatusConflict, "Приказ уже зарегистрирован",
				"Зарегистрированный приказ изменить нельзя. Создайте копию и оформите новый приказ.")
			return
		}
		data["edit"] = o.ID.String()
		title, nav = "Изменение проекта", "orders"
	} else if cp := c.Query("copy"); cp != "" {
		// Another organization's order does not exist for the caller: say so on a page of
		// its own, not on a form with nothing to send.
		id, perr := uuid.Parse(cp)
		var err error
		if perr == nil {
			_, err = s.cfg.Store.GetOrder(ctx, cl.OrgID, id)
		}
		switch {
		case perr != nil || errors.Is(err, registry.ErrNotFound):
			s.errorPage(c, cl, http.StatusNotFound, "Приказ для копии не найден",
				"Такого приказа нет или он принадлежит другой организации: копию сделать нельзя.")
			return
		case err != nil:
			s.log.Error("get order to copy", "err", err)
			s.failurePage(c, cl, err, "Не удалось прочитать приказ для копии.")
			return
		}
		data["copy"] = cp
	} else if tp := c.Query("template"); tp != "" {
		data["template"] = tp
	}
	var orgs []orgInfo
	if cl.OrgID != "" {
		org, err := s.cfg.Store.GetOrganization(ctx, cl.OrgID)
		if err == nil {
			orgs = append(orgs, orgInfo{ID: org.ID, Name: org.Name, Letterhead: org.Profile})
		}
	} else {
		list, err := s.cfg.Store.ListOrganizations(ctx)
		if err == nil {
			for _, org := range list {
				orgs = append(orgs, orgInfo{ID: org.ID, Name: org.Name, Letterhead: org.Profile})
			}
		}
	}
	data["orgs"] = orgs
	s.render(c, http.StatusOK, "editor", view{Title: title, Nav: nav, Caller: cl, Data: data})
}

func (s *Server) archivePage(c *gin.Context, cl auth.Caller) {
	var orgs []orgInfo
	if list, err := s.cfg.Store.ListOrganizations(c.Request.Context()); err == nil {
		for _, org := range list {
			if cl.OrgID == "" || cl.OrgID == org.ID {
				orgs = append(orgs, orgInfo{ID: org.ID, Name: org.Name})
			}
		}
	}
	var sts []stateOption
	for _, st := range registry.States {
		sts = append(sts, stateOption{string(st), stateName(st)})
	}
	s.render(c, http.StatusOK, "archive", view{Title: "Архив", Nav: "archive", Caller: cl, Data: map[string]any{
		"orgs": orgs, "states": sts, "fixedOrg": cl.OrgID,
		"canExport": auth.Can(cl.Role, auth.ActExport),
	}})
}

func (s *Server) batchPage(c *gin.Context, cl auth.Caller) {
	var tpls []startingPoint
	for _, sp := range startingPoints() {
		if strings.HasPrefix(sp.Label, "Шаблон: ") {
			tpls = append(tpls, sp)
		}
	}
	var orgs []orgInfo
	if cl.OrgID == "" {
		if list, err := s.cfg.Store.ListOrganizations(c.Request.Context()); err == nil {
			for _, org := range list {
				orgs = append(orgs, orgInfo{ID: org.ID, Name: org.Name})
			}
		}
	}
	s.render(c, http.StatusOK, "batch", view{Title: "Пакетный выпуск", Nav: "batch", Caller: cl, Data: map[string]any{
		"templates": tpls, "batch": c.Param("id"), "orgs": orgs,
		"canRegister": auth.Can(cl.Role, auth.ActRegister),
	}})
}
