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
}

func (s *Server) approvalsPage(c *gin.Context, cl auth.Caller) {
	list, err := s.cfg.Store.PendingApprovals(c.Request.Context(), cl.OrgID, cl.UserID)
	if err != nil {
		s.log.Error("pending approvals", "err", err)
		s.failurePage(c, cl, err, "Не удалось прочитать, что ждёт вашей визы.")
		return
	}
	s.render(c, http.StatusOK, "approvals", view{Title: "На согласовании у меня", Nav: "approvals", Caller: cl,
		Page: approvalsView{Pending: list}})
}
