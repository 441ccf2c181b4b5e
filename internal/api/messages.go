package api

import (
	"fmt"
	"strings"

	"github.com/gin-gonic/gin"

	"orders/internal/order"
	"orders/internal/registry"
)

// The words a person reads for the registry's statuses and actions (states:
// registry.State.Word, roles: auth.RoleName). A value
// missing here (a state added later) is shown as it is rather than hidden.
var (
	statusWords = map[registry.Status]string{
		registry.StatusDraft:     "не отправлен на формирование",
		registry.StatusQueued:    "ждёт формирования в очереди",
		registry.StatusRendering: "формируется",
		registry.StatusRendered:  "сформирован",
		registry.StatusFailed:    "не сформирован из-за ошибки",
		registry.StatusCancelled: "снят с формирования",
	}
	// actionWords are the infinitives of LifecycleError.Action.
	actionWords = map[string]string{
		"register": "зарегистрировать",
		"sign":     "подписать",
		"cancel":   "отменить",
		"edit":     "изменить",
		"approve":  "отправить на согласование",
		"delete":   "удалить",
		"import":   "импортировать",
	}
	// actionRule says which orders an action is for, so the answer tells what would work.
	actionRule = map[string]string{
		"register": "зарегистрировать можно только проект",
		"sign":     "подписать можно только зарегистрированный приказ",
		"cancel":   "отменить можно зарегистрированный или подписанный приказ",
		"edit":     "изменять можно только проект; зарегистрированный приказ — документ, его не правят",
		"approve":  "согласуют только проект",
		"delete":   "удалить можно только проект; зарегистрированный приказ остаётся в реестре",
	}
)

func word[K comparable](m map[K]string, k K) string {
	if w, ok := m[k]; ok {
		return w
	}
	return fmt.Sprint(k)
}

// lifecycleDetail answers an action the order's legal state does not allow.
func lifecycleDetail(le *registry.LifecycleError) string {
	d := fmt.Sprintf("нельзя %s приказ: он %s", word(actionWords, le.Action), le.Current.Word())
	if rule, ok := actionRule[le.Action]; ok {
		d += "; " + rule
	}
	return d
}

// statusDetail answers an action the order's render status does not allow now.
func statusDetail(current registry.Status) string {
	d := "сейчас нельзя: документ " + word(statusWords, current)
	switch current {
	case registry.StatusQueued, registry.StatusRendering:
		d += "; повторите, когда он будет сформирован"
	}
	return d
}

// notFoundDetail names what was not found by the route that looked for it: the registry
// says only «not found», and an organization is not an order.
func notFoundDetail(c *gin.Context) string {
	path := c.FullPath()
	switch {
	case strings.Contains(path, "/organizations/"):
		return fmt.Sprintf("организации «%s» нет в справочнике", c.Param("id"))
	case strings.Contains(path, "/journals/"):
		return fmt.Sprintf("журнала «%s» нет", c.Param("journal"))
	case strings.Contains(path, "/batches/"):
		return "такого пакета нет (или он другой организации)"
	}
	return "такого приказа нет (или он другой организации)"
}

// conflictDetail says what conflicted, by the route: the registry's own text is for the log.
func conflictDetail(c *gin.Context) string {
	path := c.FullPath()
	switch {
	case strings.HasSuffix(path, "/acknowledgements"):
		return "ознакомление этого человека уже записано"
	case strings.HasSuffix(path, "/signatures"), strings.HasSuffix(path, "/sign"):
		return "подпись не записана: приказ тем временем изменил другой запрос; обновите страницу и повторите"
	case strings.Contains(path, "/organizations/"):
		return fmt.Sprintf("организацию «%s» нельзя изменить или удалить: с ней уже связаны записи реестра", c.Param("id"))
	case strings.Contains(path, "/journals/"):
		return fmt.Sprintf("журнал «%s» уже используется, это изменение противоречит выданным номерам", c.Param("journal"))
	case strings.Contains(path, "/batches"):
		return "пакет тем временем изменил другой запрос (например, его отменили); обновите страницу"
	case strings.Contains(path, "/orders/:id"):
		return "приказ тем временем изменил другой запрос; обновите страницу и повторите"
	}
	return "такая запись уже есть в реестре"
}

// problemsDetail sums up a list of problems: the one problem itself, or how many there are
// and the first, so the answer says what is wrong even to a reader of Detail alone.
func problemsDetail(ps order.Problems) string {
	switch len(ps) {
	case 0:
		return "запрос не принят"
	case 1:
		return ps[0].String()
	}
	return fmt.Sprintf("в запросе %s; первая — %s", problemCount(len(ps)), ps[0].String())
}

// problemCount is «1 ошибка», «3 ошибки», «5 ошибок».
func problemCount(n int) string {
	w := "ошибок"
	switch {
	case n%100 >= 11 && n%100 <= 14:
	case n%10 == 1:
		w = "ошибка"
	case n%10 >= 2 && n%10 <= 4:
		w = "ошибки"
	}
	return fmt.Sprintf("%d %s", n, w)
}

// msgAdminOrg answers an admin who did not say which organization's records to read.
const msgAdminOrg = "organization: с токеном администратора укажите организацию (?organization=…)"

// statusList and stateList are the values a filter accepts, with their meaning.
func statusList() string {
	parts := make([]string, len(registry.Statuses))
	for i, st := range registry.Statuses {
		parts[i] = fmt.Sprintf("%s (%s)", st, word(statusWords, st))
	}
	return strings.Join(parts, ", ")
}

func stateList() string {
	parts := make([]string, len(registry.States))
	for i, st := range registry.States {
		parts[i] = fmt.Sprintf("%s (%s)", st, st.Word())
	}
	return strings.Join(parts, ", ")
}

// numberFormatError explains the journal's number format rules (registry.FormatNumber).
func numberFormatError(format string) string {
	return fmt.Sprintf("формат номера «%s» не подходит: нужен ровно один заполнитель {seq} или {seq:0N} (N от 1 до 9), "+
		"без других фигурных скобок и управляющих символов, не длиннее %d знаков; например «{seq}», «{seq}-о», «{seq:03}-к», «Р-{seq}»",
		format, registry.MaxNumberFormat)
}
