package api

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/gin-gonic/gin"

	"orders/internal/docxtmpl"
	"orders/internal/registry"
	"orders/internal/render"
)

// docxType is the media type of a .docx upload.
const docxType = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

// orgFileRule is what an upload of one organization file must be and how it is made ready
// to keep: the emblem is re-encoded, the letterhead kept as sent once it checks out.
type orgFileRule struct {
	file  registry.OrgFile
	types []string // accepted Content-Type values
	what  string   // the file in a sentence: «эмблема», «бланк»
	max   int
	clean func([]byte) ([]byte, error)
}

var (
	emblemRule = orgFileRule{file: registry.OrgEmblem, types: []string{"image/png", "image/jpeg"},
		what: "эмблема", max: render.MaxEmblemBytes, clean: render.CleanEmblem}
	letterheadRule = orgFileRule{file: registry.OrgLetterhead, types: []string{docxType},
		what: "бланк", max: docxtmpl.MaxLetterhead, clean: func(b []byte) ([]byte, error) { return b, docxtmpl.CheckLetterhead(b) }}
)

// putOrgFile stores an organization's emblem or letterhead (admin): the body is the file.
func (s *Server) putOrgFile(rule orgFileRule) gin.HandlerFunc {
	return func(c *gin.Context) {
		mt, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type"))
		ok := false
		for _, t := range rule.types {
			ok = ok || mt == t
		}
		if !ok {
			problem(c, http.StatusUnsupportedMediaType, fmt.Sprintf("%s: заголовок Content-Type должен быть %s, а не «%s»", rule.what, joinOr(rule.types), mt))
			return
		}
		data, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, int64(rule.max)))
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			problem(c, http.StatusRequestEntityTooLarge, fmt.Sprintf("%s: файл больше %d КБ", rule.what, rule.max>>10))
			return
		case err != nil:
			problem(c, http.StatusBadRequest, "тело запроса не дочитано: "+err.Error())
			return
		}
		clean, err := rule.clean(data)
		if err != nil {
			problem(c, http.StatusUnprocessableEntity, err.Error())
			return
		}
		if err := s.orgs.SetOrganizationFile(c.Request.Context(), c.Param("id"), rule.file, clean); err != nil {
			s.storeError(c, err)
			return
		}
		s.orgAnswer(c)
	}
}

// deleteOrgFile removes an organization's emblem or letterhead (admin); removing what is
// not there is no error.
func (s *Server) deleteOrgFile(rule orgFileRule) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := s.orgs.SetOrganizationFile(c.Request.Context(), c.Param("id"), rule.file, nil); err != nil {
			s.storeError(c, err)
			return
		}
		s.orgAnswer(c)
	}
}

// getEmblem serves the stored (cleaned) emblem, for the settings page and API clients.
func (s *Server) getEmblem(c *gin.Context) {
	id := c.Param("id")
	if !visible(c, id) {
		problem(c, http.StatusNotFound, notFoundDetail(c))
		return
	}
	data, err := s.orgs.OrganizationFile(c.Request.Context(), id, registry.OrgEmblem)
	if err == nil && data == nil {
		err = registry.ErrNotFound
	}
	if err != nil {
		s.storeError(c, err)
		return
	}
	c.Header("Cache-Control", "no-cache")
	c.Data(http.StatusOK, "image/png", data)
}

// orgAnswer answers a change of an organization's files with the organization as it is now.
func (s *Server) orgAnswer(c *gin.Context) {
	o, err := s.orgs.GetOrganization(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.storeError(c, err)
		return
	}
	c.JSON(http.StatusOK, orgOf(o))
}

func joinOr(ts []string) string {
	out := ""
	for i, t := range ts {
		switch {
		case i == 0:
		case i == len(ts)-1:
			out += " или "
		default:
			out += ", "
		}
		out += t
	}
	return out
}
