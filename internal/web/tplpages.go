package web

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"orders/internal/auth"
)

// The «Шаблоны» pages: the organization's order templates and the shipped ones, listed,
// created (from scratch or from an order), edited version on version and deleted. The
// pages' script (templates.js) does all of it through /api/v1/templates, so the rules of a
// template stay in internal/orgtemplate.

type templatesView struct {
	Name      string // the template of the page; empty on the list
	CanManage bool
	Admin     bool
	Orgs      []orgInfo
	FromOrder string // the list's «Новый шаблон» starts from this order
}

func (s *Server) templatesPage(c *gin.Context, cl auth.Caller) {
	v := templatesView{Name: c.Param("name"), CanManage: auth.Can(cl.Role, auth.ActManageTemplates), FromOrder: c.Query("from_order")}
	if cl.OrgID == "" {
		v.Admin = true
		if list, err := s.cfg.Store.ListOrganizations(c.Request.Context()); err == nil {
			for _, org := range list {
				v.Orgs = append(v.Orgs, orgInfo{ID: org.ID, Name: org.Name})
			}
		}
	}
	page, title := "templates", "Шаблоны приказов"
	if v.Name != "" {
		page, title = "template", "Шаблон "+v.Name
	}
	s.render(c, http.StatusOK, page, view{Title: title, Nav: "templates", Caller: cl, Page: v,
		Data: map[string]any{"name": v.Name, "canManage": v.CanManage, "admin": v.Admin, "fromOrder": v.FromOrder, "org": c.Query("organization")}})
}

// canReadTemplates: the menu shows «Шаблоны» to whoever saves templates or issues from them.
func canReadTemplates(r string) bool {
	return auth.Can(r, auth.ActManageTemplates) || auth.Can(r, auth.ActBatch) || auth.Can(r, auth.ActReadArchive)
}

// CanManageTemplates: the order page offers «Создать шаблон из приказа».
func (v view) CanManageTemplates() bool { return auth.Can(v.Caller.Role, auth.ActManageTemplates) }
