package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"orders/internal/approval"
	"orders/internal/auth"
	"orders/internal/order"
	"orders/internal/printed"
	"orders/internal/registry"
)

// approvalRoutes mounts the approval route (согласование) and the draft versions (issue 17
// §1, §2). The work is internal/approval's; these handlers read requests and write answers.
func (s *Server) approvalRoutes(g *gin.RouterGroup) {
	s.approvals = &approval.Service{Store: s.cfg.Store}
	g.GET("/orders/:id/approval", s.getApproval)
	g.POST("/orders/:id/approval", s.allow(auth.ActEditDraft), s.sendApproval)
	// Any role may be asked for a visa (a deputy, a lawyer); the registry accepts the answer
	// only from the user whose visa is due.
	g.POST("/orders/:id/approval/visa", s.decideVisa)
	g.POST("/orders/:id/approval/withdraw", s.allow(auth.ActEditDraft), s.withdrawApproval)
	g.GET("/orders/:id/versions", s.listVersions)
	g.GET("/orders/:id/versions/:version", s.getVersion)
	g.GET("/orders/:id/diff", s.versionDiff)
	g.GET("/approvals/pending", s.pendingApprovals)
	g.GET("/organizations/:id/approval", s.getApprovalSetting)
	g.PUT("/organizations/:id/approval", s.allow(auth.ActApprovalSettings), s.putApprovalSetting)
}

func approvalCaller(c *gin.Context) approval.Caller {
	cl := who(c)
	return approval.Caller{OrgID: cl.orgID, Actor: cl.actor, User: cl.user}
}

type visaView struct {
	Step         int        `json:"step"`
	Login        string     `json:"login"`
	Name         string     `json:"name"`
	Position     string     `json:"position"`
	Decision     string     `json:"decision"`      // "" while not answered
	DecisionText string     `json:"decision_text"` // in Russian, as printed
	Remark       string     `json:"remark,omitempty"`
	DecidedAt    *time.Time `json:"decided_at,omitempty"`
	Due          bool       `json:"due"` // waits for this person's answer now
}

type routeView struct {
	ID         uuid.UUID  `json:"id"`
	OrderID    uuid.UUID  `json:"order_id"`
	Round      int        `json:"round"`
	Version    int        `json:"version"`
	Mode       string     `json:"mode"`
	Status     string     `json:"status"`
	StatusText string     `json:"status_text"`
	Author     string     `json:"author"`
	CreatedAt  time.Time  `json:"created_at"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
	Visas      []visaView `json:"visas"`
}

// RouteStatusWords say where a route is, in Russian.
var routeStatusWords = map[registry.RouteStatus]string{
	registry.RouteInProgress: "на согласовании",
	registry.RouteApproved:   "согласован",
	registry.RouteReturned:   "возвращён на доработку",
	registry.RouteWithdrawn:  "отозван с согласования",
}

func routeOf(r *registry.ApprovalRoute) routeView {
	v := routeView{ID: r.ID, OrderID: r.OrderID, Round: r.Round, Version: r.Version, Mode: string(r.Mode),
		Status: string(r.Status), StatusText: routeStatusWords[r.Status], Author: r.Author, CreatedAt: r.CreatedAt,
		FinishedAt: r.FinishedAt, Visas: []visaView{}}
	due := map[int]bool{}
	for _, d := range r.Due() {
		due[d.Step] = true
	}
	for _, x := range r.Visas {
		v.Visas = append(v.Visas, visaView{Step: x.Step, Login: x.Login, Name: x.Name, Position: x.Position,
			Decision: string(x.Decision), DecisionText: printed.DecisionWords[x.Decision], Remark: x.Remark,
			DecidedAt: x.DecidedAt, Due: due[x.Step]})
	}
	return v
}

// approvalError answers the service's errors: request mistakes with their paths, a token
// that is nobody to ask, and the registry's refusals.
func (s *Server) approvalError(c *gin.Context, err error) {
	var probs approval.Problems
	var ae *registry.ApprovalError
	switch {
	case errors.As(err, &probs):
		ps := make(order.Problems, len(probs))
		for i, p := range probs {
			ps[i] = order.Problem{Path: p.Path, Message: p.Message}
		}
		writeProblem(c, Problem{Status: http.StatusUnprocessableEntity, Detail: problemsDetail(ps), Errors: ps})
	case errors.Is(err, approval.ErrNoText):
		problem(c, http.StatusConflict, "у приказа нет текста проекта: он импортирован как готовый документ, сравнивать нечего")
	case errors.Is(err, approval.ErrNotPerson):
		problem(c, http.StatusForbidden, "визу ставит человек: ответьте со страницы приказа, войдя под своим именем (токен API никого не представляет)")
	case errors.As(err, &ae):
		problem(c, http.StatusConflict, approvalDetail(ae))
	default:
		s.storeError(c, err)
	}
}

// approvalDetail explains a refusal because of the approval route.
func approvalDetail(ae *registry.ApprovalError) string {
	switch ae.Reason {
	case registry.ApprovalLocked:
		return "проект на согласовании: пока согласующие не ответили, его нельзя изменить, зарегистрировать или отправить на согласование ещё раз"
	case registry.ApprovalNotApproved:
		if ae.Status == registry.RouteApproved {
			return "организация регистрирует только согласованные проекты, а этот изменён после согласования: отправьте новую версию на согласование"
		}
		return "организация регистрирует только согласованные проекты: этот проект не прошёл согласование (" + word(routeStatusWords, ae.Status) + ")"
	case registry.ApprovalNotDue:
		return "вашей визы этот проект сейчас не ждёт: вы не в маршруте, уже ответили или ещё не ваша очередь"
	case registry.ApprovalNoRoute:
		return "проект сейчас не на согласовании"
	}
	return "согласование не позволяет это сделать сейчас"
}

func (s *Server) getApproval(c *gin.Context) {
	id, ok := s.orderID(c)
	if !ok {
		return
	}
	routes, err := s.approvals.Routes(c.Request.Context(), approvalCaller(c), id)
	if err != nil {
		s.approvalError(c, err)
		return
	}
	out := make([]routeView, len(routes))
	for i := range routes {
		out[i] = routeOf(&routes[i])
	}
	c.JSON(http.StatusOK, gin.H{"routes": out})
}

type sendApprovalRequest struct {
	Mode      string              `json:"mode"`
	Approvers []approval.Approver `json:"approvers"`
}

func (s *Server) sendApproval(c *gin.Context) {
	id, ok := s.orderID(c)
	if !ok {
		return
	}
	var req sendApprovalRequest
	if !s.readJSON(c, &req) {
		return
	}
	r, err := s.approvals.Send(c.Request.Context(), approvalCaller(c), id, req.Mode, req.Approvers)
	if err != nil {
		s.approvalError(c, err)
		return
	}
	c.JSON(http.StatusCreated, routeOf(r))
}

type visaRequest struct {
	Decision string `json:"decision"`
	Remark   string `json:"remark"`
}

func (s *Server) decideVisa(c *gin.Context) {
	id, ok := s.orderID(c)
	if !ok {
		return
	}
	var req visaRequest
	if !s.readJSON(c, &req) {
		return
	}
	r, err := s.approvals.Decide(c.Request.Context(), approvalCaller(c), id, req.Decision, req.Remark)
	if err != nil {
		s.approvalError(c, err)
		return
	}
	c.JSON(http.StatusOK, routeOf(r))
}

func (s *Server) withdrawApproval(c *gin.Context) {
	id, ok := s.orderID(c)
	if !ok {
		return
	}
	r, err := s.approvals.Withdraw(c.Request.Context(), approvalCaller(c), id)
	if err != nil {
		s.approvalError(c, err)
		return
	}
	c.JSON(http.StatusOK, routeOf(r))
}

type pendingView struct {
	OrderID uuid.UUID `json:"order_id"`
	Title   string    `json:"title"`
	Kind    string    `json:"kind"`
	Round   int       `json:"round"`
	Version int       `json:"version"`
	Author  string    `json:"author"`
	Since   time.Time `json:"since"`
}

func (s *Server) pendingApprovals(c *gin.Context) {
	list, err := s.approvals.Pending(c.Request.Context(), approvalCaller(c))
	if err != nil {
		s.approvalError(c, err)
		return
	}
	out := make([]pendingView, len(list))
	for i, p := range list {
		out[i] = pendingView{OrderID: p.Route.OrderID, Title: p.Title, Kind: p.Kind, Round: p.Route.Round,
			Version: p.Route.Version, Author: p.Route.Author, Since: p.Route.CreatedAt}
	}
	c.JSON(http.StatusOK, gin.H{"pending": out})
}

type versionView struct {
	Version   int             `json:"version"`
	Author    string          `json:"author"`
	CreatedAt time.Time       `json:"created_at"`
	SHA256    string          `json:"draft_sha256"`
	Draft     json.RawMessage `json:"draft,omitempty"`
}

func (s *Server) listVersions(c *gin.Context) {
	id, ok := s.orderID(c)
	if !ok {
		return
	}
	list, err := s.approvals.Versions(c.Request.Context(), approvalCaller(c), id)
	if err != nil {
		s.approvalError(c, err)
		return
	}
	out := make([]versionView, len(list))
	for i, v := range list {
		out[i] = versionView{Version: v.Version, Author: v.Author, CreatedAt: v.CreatedAt, SHA256: v.DraftHash}
	}
	c.JSON(http.StatusOK, gin.H{"versions": out})
}

// versionParam reads a version number from the path or the query.
func versionParam(c *gin.Context, name, value string) (int, bool) {
	n, err := strconv.Atoi(value)
	if err != nil || n < 1 {
		problem(c, http.StatusBadRequest, name+": номер версии — целое число от 1, а не «"+value+"»")
		return 0, false
	}
	return n, true
}

func (s *Server) getVersion(c *gin.Context) {
	id, ok := s.orderID(c)
	if !ok {
		return
	}
	n, ok := versionParam(c, "version", c.Param("version"))
	if !ok {
		return
	}
	v, err := s.approvals.Version(c.Request.Context(), approvalCaller(c), id, n)
	if errors.Is(err, registry.ErrNotFound) {
		problem(c, http.StatusNotFound, "такой версии проекта нет (или приказ другой организации)")
		return
	}
	if err != nil {
		s.approvalError(c, err)
		return
	}
	c.JSON(http.StatusOK, versionView{Version: v.Version, Author: v.Author, CreatedAt: v.CreatedAt, SHA256: v.DraftHash, Draft: v.Draft})
}

// versionDiff is the word diff between two versions, ?from=&to=, of the text as printed.
func (s *Server) versionDiff(c *gin.Context) {
	id, ok := s.orderID(c)
	if !ok {
		return
	}
	from, ok := versionParam(c, "from", c.Query("from"))
	if !ok {
		return
	}
	to, ok := versionParam(c, "to", c.Query("to"))
	if !ok {
		return
	}
	d, err := s.approvals.Diff(c.Request.Context(), approvalCaller(c), id, from, to)
	if errors.Is(err, registry.ErrNotFound) {
		problem(c, http.StatusNotFound, "такой версии проекта нет (или приказ другой организации)")
		return
	}
	if err != nil {
		s.approvalError(c, err)
		return
	}
	c.JSON(http.StatusOK, d)
}

type approvalSetting struct {
	Required bool `json:"required"`
}

func (s *Server) getApprovalSetting(c *gin.Context) {
	id := c.Param("id")
	if !visible(c, id) {
		problem(c, http.StatusNotFound, notFoundDetail(c))
		return
	}
	req, err := s.approvals.Required(c.Request.Context(), id)
	if err != nil {
		s.storeError(c, err)
		return
	}
	c.JSON(http.StatusOK, approvalSetting{Required: req})
}

// putApprovalSetting: a head decides for their organization whether only approved drafts
// are registered.
func (s *Server) putApprovalSetting(c *gin.Context) {
	id := c.Param("id")
	if !visible(c, id) {
		problem(c, http.StatusNotFound, notFoundDetail(c))
		return
	}
	if _, err := s.cfg.Store.GetOrganization(c.Request.Context(), id); err != nil {
		s.storeError(c, err)
		return
	}
	var req approvalSetting
	if !s.readJSON(c, &req) {
		return
	}
	if err := s.approvals.SetRequired(c.Request.Context(), id, req.Required); err != nil {
		s.storeError(c, err)
		return
	}
	c.JSON(http.StatusOK, req)
}
