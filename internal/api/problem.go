package api

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"orders/internal/order"
	"orders/internal/registry"
)

// Problem is an RFC 7807 problem+json body. Errors lists every validation problem of a draft
// with its JSON path.
type Problem struct {
	Type   string          `json:"type"`
	Title  string          `json:"title"`
	Status int             `json:"status"`
	Detail string          `json:"detail,omitempty"`
	Errors []order.Problem `json:"errors,omitempty"`
	// Current is the order's render status when an operation was refused because of it;
	// State is its lifecycle state when a transition was refused.
	Current registry.Status `json:"current_status,omitempty"`
	State   registry.State  `json:"current_state,omitempty"`
}

const problemType = "application/problem+json"

// msgInternal answers an error whose details belong in the server log, not to the caller.
const msgInternal = "внутренняя ошибка сервера; подробности записаны в журнал сервера"

func problem(c *gin.Context, status int, detail string) {
	writeProblem(c, Problem{Status: status, Detail: detail})
}

func writeProblem(c *gin.Context, p Problem) {
	if p.Type == "" {
		p.Type = "about:blank"
	}
	if p.Title == "" {
		p.Title = http.StatusText(p.Status)
	}
	c.Header("Content-Type", problemType)
	c.AbortWithStatusJSON(p.Status, p)
	// gin sets application/json when it writes JSON; the header above must win.
	c.Writer.Header().Set("Content-Type", problemType)
}

// storeError maps registry errors to problems; anything unexpected is a 500 whose details
// stay in the log, not in the answer. The registry's own texts are for the log too: the
// answer names what was refused in the caller's terms.
func (s *Server) storeError(c *gin.Context, err error) {
	var se *registry.StateError
	var le *registry.LifecycleError
	var ae *registry.ApprovalError
	switch {
	case errors.Is(err, registry.ErrImported):
		problem(c, http.StatusConflict, "приказ импортирован из бумажного архива: его документ — загруженный PDF, сервис его не формирует заново")
	case errors.As(err, &le):
		writeProblem(c, Problem{Status: http.StatusConflict, State: le.Current, Detail: lifecycleDetail(le)})
	case errors.As(err, &ae):
		problem(c, http.StatusConflict, approvalDetail(ae))
	case errors.As(err, &se):
		writeProblem(c, Problem{Status: http.StatusConflict, Current: se.Current, Detail: statusDetail(se.Current)})
	case errors.Is(err, registry.ErrNotFound):
		problem(c, http.StatusNotFound, notFoundDetail(c))
	case errors.Is(err, registry.ErrBadCursor):
		problem(c, http.StatusBadRequest, "cursor: эту ссылку на следующую страницу выдал не этот сервер, или она испорчена; начните поиск сначала")
	case errors.Is(err, registry.ErrConflict):
		s.log.Info("registry conflict", "err", err, "path", c.FullPath())
		problem(c, http.StatusConflict, conflictDetail(c))
	case errors.Is(err, registry.ErrInvalid):
		s.log.Warn("registry refused the request", "err", err, "path", c.FullPath())
		problem(c, http.StatusBadRequest, "реестр не принял данные запроса; подробности записаны в журнал сервера")
	case errors.Is(err, registry.ErrUnavailable):
		s.log.Error("registry unavailable", "err", err, "path", c.FullPath())
		unavailable(c)
	default:
		s.log.Error("registry", "err", err, "path", c.FullPath())
		problem(c, http.StatusInternalServerError, msgInternal)
	}
}

// retryAfter is how long a client waits before repeating a request the database could not
// serve: long enough for a pool to reconnect or a failover to finish, short enough that a
// clerk's retry is not a wait.
const retryAfter = "5"

// unavailable answers a request that the database could not serve now: 503 with
// Retry-After, so clients and proxies retry instead of reporting a failure of the request.
func unavailable(c *gin.Context) {
	c.Header("Retry-After", retryAfter)
	problem(c, http.StatusServiceUnavailable, msgUnavailable)
}

const msgUnavailable = "реестр приказов временно недоступен (нет связи с базой данных); запрос не выполнен, повторите его через несколько секунд"
