package api

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"orders/internal/order"
	"orders/internal/refusal"
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

// msgNoLayout answers a valid draft that this server cannot lay out: its page settings
// (margins, line spacing) leave no room, which only the administrator can fix.
const msgNoLayout = "черновик верен, но сервер не может его свёрстать: настройки страницы сервера (поля, межстрочный интервал) не оставляют места для текста; сообщите администратору, подробности записаны в журнал сервера"

func problem(c *gin.Context, status int, detail string) {
	writeProblem(c, Problem{Status: status, Detail: detail})
}

// statusTitles are the problems' titles: a person reads them, so they are Russian, not
// net/http's English status texts.
var statusTitles = map[int]string{
	http.StatusBadRequest:            "Неверный запрос",
	http.StatusUnauthorized:          "Нужен вход",
	http.StatusForbidden:             "Доступ запрещён",
	http.StatusNotFound:              "Не найдено",
	http.StatusMethodNotAllowed:      "Метод не поддерживается",
	http.StatusConflict:              "Конфликт с состоянием приказа",
	http.StatusRequestEntityTooLarge: "Запрос слишком велик",
	http.StatusUnsupportedMediaType:  "Неподдерживаемый тип данных",
	http.StatusUnprocessableEntity:   "Данные не прошли проверку",
	http.StatusTooManyRequests:       "Слишком много запросов",
	http.StatusInternalServerError:   "Внутренняя ошибка сервера",
	http.StatusServiceUnavailable:    "Сервис временно недоступен",
}

// statusTitle is the Russian title of a problem with status code.
func statusTitle(code int) string {
	if t, ok := statusTitles[code]; ok {
		return t
	}
	if code >= 500 {
		return "Ошибка сервера"
	}
	return "Запрос не выполнен"
}

func writeProblem(c *gin.Context, p Problem) {
	if p.Type == "" {
		p.Type = "about:blank"
	}
	if p.Title == "" {
		p.Title = statusTitle(p.Status)
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

// serviceError answers an error of a service (signing, lifecycle): problems of request
// fields with their paths, its refusal in the service's own words, a stored document that does not check out as an integrity failure,
// anything else as a registry error.
func (s *Server) serviceError(c *gin.Context, err error) {
	var r *refusal.Error
	var d *refusal.DocumentError
	if _, ok := order.AsProblems(err); ok {
		draftProblem(c, err)
		return
	}
	switch {
	case errors.As(err, &d):
		s.integrityError(c, d.Order, d.Err)
	case errors.As(err, &r):
		p := Problem{Status: http.StatusConflict, Detail: r.Msg, State: r.State, Current: r.Status}
		switch r.Kind {
		case refusal.Invalid:
			p.Status = http.StatusUnprocessableEntity
		case refusal.Failed:
			p.Status = http.StatusInternalServerError
			s.log.Error("service failed", "err", r.Err, "path", c.FullPath())
		default:
			if r.Err != nil {
				s.log.Warn("service refused", "err", r.Err, "path", c.FullPath())
			}
		}
		if r.Field != "" {
			p.Errors = []order.Problem{{Path: r.Field, Message: r.Msg}}
		}
		writeProblem(c, p)
	default:
		s.storeError(c, err)
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
