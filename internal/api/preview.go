package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"orders/internal/auth"
	"orders/internal/registry"
	"orders/internal/render"
)

// previewSlots bounds concurrent previews per process: a preview is rendered in the request,
// not queued, so a burst of typing clerks must not take every CPU from the workers.
const previewSlots = 4

// previewRoutes registers POST /preview: the PDF of a draft rendered now, for the live
// preview beside the order form. Nothing is recorded or queued.
func (s *Server) previewRoutes(g *gin.RouterGroup) {
	slots := make(chan struct{}, previewSlots)
	g.POST("/preview", s.allow(auth.ActEditDraft), func(c *gin.Context) {
		// readDraft is the intake's own decoding, validation, letterhead resolution and
		// layout, so a draft that previews is a draft that POST /orders accepts, and the
		// layout made there is the one drawn.
		in, ok := s.readDraft(c)
		if !ok {
			return
		}
		select {
		case slots <- struct{}{}:
			defer func() { <-slots }()
		case <-c.Request.Context().Done():
			return
		}
		// The preview shows the organization's emblem as its documents will print it.
		if em, err := s.orgs.OrganizationFile(c.Request.Context(), in.orgID, registry.OrgEmblem); err != nil && !errors.Is(err, registry.ErrNotFound) {
			s.storeError(c, err)
			return
		} else if em != nil {
			in.draft.Emblem = em
			if in.doc, err = s.cfg.Renderer.Layout(in.draft); err != nil {
				s.log.Warn("preview layout with the emblem", "err", err)
				problem(c, http.StatusUnprocessableEntity, "черновик не удалось свёрстать: "+err.Error())
				return
			}
		}
		// Only the PDF is shown, so the DOCX is not drawn.
		pdf, err := render.PDF(in.doc, time.Now())
		if err != nil {
			s.log.Warn("preview render", "err", err)
			problem(c, http.StatusUnprocessableEntity, "черновик не удалось свёрстать: "+err.Error())
			return
		}
		c.Header("Cache-Control", "no-store")
		c.Data(http.StatusOK, "application/pdf", pdf)
	})
}
