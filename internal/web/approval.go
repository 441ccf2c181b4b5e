package web

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"orders/internal/auth"
	"orders/internal/registry"
)

// approvalPages mounts «На согласовании у меня»: every signed-in person may be asked for a
// visa, whatever their role. The order page shows and takes the visas (static/approval.js).
func (s *Server) approvalPages(e *gin.Engine) {
	e.GET("/approvals", s.page(s.approvalsPage))
}

type approvalsView struct {
	Pending []registry.PendingApproval
	// Setting is shown to a head of an organization: whether only approved drafts are
	// registered there.
	CanSet   bool
	Required bool
}

func (s *Server) approvalsPage(c *gin.Context, cl auth.Caller) {
	list, err := s.cfg.Store.PendingApprovals(c.Request.Context(), cl.OrgID, cl.UserID)
	if err != nil {
		s.log.Error("pending approvals", "err", err)
		s.failurePage(c, cl, err, "Не удалось прочитать, что ждёт вашей визы.")
		return
	}
	v := approvalsView{Pending: list, CanSet: cl.OrgID != "" && auth.Can(cl.Role, auth.ActApprovalSettings)}
	if v.CanSet {
		if v.Required, err = s.cfg.Store.ApprovalRequired(c.Request.Context(), cl.OrgID); err != nil {
			s.log.Error("approval setting", "err", err)
			s.failurePage(c, cl, err, "Не удалось прочитать настройку согласования.")
			return
		}
	}
	s.render(c, http.StatusOK, "approvals", view{Title: "На согласовании у меня", Nav: "approvals", Caller: cl,
		Page: v, Data: map[string]any{"orgID": cl.OrgID}})
}
