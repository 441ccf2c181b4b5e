package web

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"orders/internal/auth"
	"orders/internal/registry"
)

// The reference data of the pages — journals and users of their organization (heads), and
// also organizations (admins) — is managed by whoever auth.ActManageJournals allows. Until
// these pages it was CLI and API only.

type settingsView struct {
	Users      []registry.User
	Roles      []stateOption // the roles the caller may give
	Orgs       []orgInfo
	Admin      bool
	Self       uuid.UUID
	UserError  string
	UserDone   string
	Form       userForm
	ShowOrgCol bool
	OrgNames   map[string]string
}

type userForm struct{ Login, Name, Role, Org string }

// settingsPage shows journals, users and (to admins) organizations. Journals and
// organizations are edited through the API by the page's script; users here, by forms.
func (s *Server) settingsPage(c *gin.Context, cl auth.Caller) {
	s.showSettings(c, cl, http.StatusOK, settingsView{UserDone: doneText[c.Query("done")]})
}

var doneText = map[string]string{
	"added": "Пользователь добавлен: он может войти со своим логином и паролем.", "disabled": "Пользователь отключён: его сеансы завершены.",
	"enabled": "Пользователь снова может входить.",
}

func (s *Server) showSettings(c *gin.Context, cl auth.Caller, code int, v settingsView) {
	ctx := c.Request.Context()
	users, err := s.cfg.Store.ListUsers(ctx, cl.OrgID)
	if err != nil {
		s.log.Error("list users", "err", err)
		s.failurePage(c, cl, err, "Не удалось прочитать список пользователей.")
		return
	}
	v.Users, v.Admin, v.Self, v.ShowOrgCol = users, cl.OrgID == "", cl.UserID, cl.OrgID == ""
	for _, r := range auth.Roles {
		if r != auth.RoleAdmin || cl.Role == auth.RoleAdmin {
			v.Roles = append(v.Roles, stateOption{r, auth.RoleName(r)})
		}
	}
	v.OrgNames = map[string]string{}
	if list, err := s.cfg.Store.ListOrganizations(ctx); err == nil {
		for _, o := range list {
			if cl.OrgID == "" || o.ID == cl.OrgID {
				v.Orgs = append(v.Orgs, orgInfo{ID: o.ID, Name: o.Name})
				v.OrgNames[o.ID] = o.Name
			}
		}
	}
	s.render(c, code, "settings", view{Title: "Справочники", Nav: "settings", Caller: cl, Page: v,
		Data: map[string]any{"admin": cl.OrgID == "", "orgs": v.Orgs, "org": cl.OrgID}})
}

// addUser creates a user of the caller's organization (an admin chooses any, and may make
// admins). The password is typed twice; the page never shows it again.
func (s *Server) addUser(c *gin.Context, cl auth.Caller) {
	f := userForm{Login: strings.TrimSpace(c.PostForm("login")), Name: strings.TrimSpace(c.PostForm("name")),
		Role: c.PostForm("role"), Org: c.PostForm("org")}
	if cl.OrgID != "" {
		f.Org = cl.OrgID
	}
	fail := func(msg string) {
		s.showSettings(c, cl, http.StatusUnprocessableEntity, settingsView{UserError: msg, Form: f})
	}
	pw, pw2 := c.PostForm("password"), c.PostForm("password2")
	switch {
	case f.Login == "":
		fail("Логин: не заполнен.")
		return
	case !slices.Contains(auth.Roles, f.Role) || (f.Role == auth.RoleAdmin && cl.Role != auth.RoleAdmin):
		fail("Роль: выберите одну из списка.")
		return
	case f.Role != auth.RoleAdmin && f.Org == "":
		fail("Организация: выберите организацию пользователя.")
		return
	case pw != pw2:
		fail("Пароль: два раза введены разные пароли.")
		return
	}
	if f.Role == auth.RoleAdmin {
		f.Org = ""
	} else if _, err := s.cfg.Store.GetOrganization(c.Request.Context(), f.Org); err != nil {
		fail("Организация: «" + f.Org + "» нет в справочнике.")
		return
	}
	hash, err := auth.HashPassword(pw)
	if err != nil {
		fail("Пароль: не короче " + strconv.Itoa(auth.MinPassword) + " знаков и не длиннее " + strconv.Itoa(auth.MaxPassword) + " байт.")
		return
	}
	u := &registry.User{Login: f.Login, PasswordHash: hash, Role: f.Role, OrgID: f.Org, Name: f.Name}
	if err := s.cfg.Store.CreateUser(c.Request.Context(), u); errors.Is(err, registry.ErrConflict) {
		fail("Логин «" + f.Login + "» уже занят.")
		return
	} else if err != nil {
		s.log.Error("create user", "err", err)
		s.failurePage(c, cl, err, "Пользователь не добавлен.")
		return
	}
	c.Redirect(http.StatusSeeOther, "/settings?done=added#users")
}

// setUserState disables or enables a user of the caller's organization; nobody disables
// themselves, which would lock the last head out.
func (s *Server) setUserState(c *gin.Context, cl auth.Caller) {
	id, err := uuid.Parse(c.Param("id"))
	var u *registry.User
	if err == nil {
		u, err = s.cfg.Store.GetUser(c.Request.Context(), id)
	}
	if err != nil || (cl.OrgID != "" && u.OrgID != cl.OrgID) || (u.Role == auth.RoleAdmin && cl.Role != auth.RoleAdmin) {
		s.errorPage(c, cl, http.StatusNotFound, "Пользователь не найден", "Такого пользователя нет в вашей организации.")
		return
	}
	disable := c.PostForm("disable") == "true"
	if u.ID == cl.UserID && disable {
		s.showSettings(c, cl, http.StatusConflict, settingsView{UserError: "Себя отключить нельзя: попросите другого руководителя или администратора."})
		return
	}
	if err := s.cfg.Store.SetUserDisabled(c.Request.Context(), u.ID, disable); err != nil {
		s.log.Error("set user disabled", "err", err)
		s.failurePage(c, cl, err, "Не удалось изменить пользователя.")
		return
	}
	done := "enabled"
	if disable {
		done = "disabled"
	}
	c.Redirect(http.StatusSeeOther, "/settings?done="+done+"#users")
}
