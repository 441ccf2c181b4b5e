package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"

	"github.com/gin-gonic/gin"

	"orders/internal/order"
	"orders/internal/registry"
)

var orgIDRe = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,62}$`)

type orgView struct {
	ID         string          `json:"id"`
	Name       string          `json:"name"`
	Letterhead json.RawMessage `json:"letterhead"`
	// Emblem and CustomLetterhead say whether the organization has uploaded them
	// (PUT /organizations/{id}/emblem, /letterhead).
	Emblem           bool `json:"emblem"`
	CustomLetterhead bool `json:"custom_letterhead"`
}

func orgOf(o *registry.Organization) orgView {
	return orgView{ID: o.ID, Name: o.Name, Letterhead: o.Profile, Emblem: o.HasEmblem, CustomLetterhead: o.HasLetterhead}
}

// visible hides other organizations from a non-admin caller: they get a 404, not a 403.
func visible(c *gin.Context, id string) bool {
	org := who(c).orgID
	return org == "" || org == id
}

func (s *Server) listOrganizations(c *gin.Context) {
	list, err := s.orgs.ListOrganizations(c.Request.Context())
	if err != nil {
		s.storeError(c, err)
		return
	}
	out := []orgView{}
	for i := range list {
		if visible(c, list[i].ID) {
			out = append(out, orgOf(&list[i]))
		}
	}
	c.JSON(http.StatusOK, gin.H{"organizations": out})
}

func (s *Server) getOrganization(c *gin.Context) {
	id := c.Param("id")
	if !visible(c, id) {
		problem(c, http.StatusNotFound, notFoundDetail(c))
		return
	}
	o, err := s.orgs.GetOrganization(c.Request.Context(), id)
	if err != nil {
		s.storeError(c, err)
		return
	}
	c.JSON(http.StatusOK, orgOf(o))
}

// putOrganization stores a letterhead profile (the letterhead object of a draft) under id.
func (s *Server) putOrganization(c *gin.Context) {
	id := c.Param("id")
	if !orgIDRe.MatchString(id) {
		problem(c, http.StatusBadRequest, fmt.Sprintf("идентификатор организации «%s»: от 2 до 63 знаков из a-z, 0-9 и «-», первый — буква или цифра", id))
		return
	}
	data, ok := s.readBody(c)
	if !ok {
		return
	}
	l, err := order.DecodeLetterhead(data)
	if err != nil {
		draftProblem(c, err)
		return
	}
	profile, _ := json.Marshal(l)
	o := &registry.Organization{ID: id, Name: l.Name, Profile: profile}
	if err := s.orgs.PutOrganization(c.Request.Context(), o); err != nil {
		s.storeError(c, err)
		return
	}
	c.JSON(http.StatusOK, orgOf(o))
}

func (s *Server) deleteOrganization(c *gin.Context) {
	if err := s.orgs.DeleteOrganization(c.Request.Context(), c.Param("id")); err != nil {
		s.storeError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}
