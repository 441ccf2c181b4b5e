package batch

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"orders/internal/order"
)

// RowProblem is one thing wrong with a row, in Russian for the clerk who fixes the file.
// Line 0 is the file as a whole; an empty Column is the row as a whole.
type RowProblem struct {
	Line    int    `json:"line"`
	Column  string `json:"column,omitempty"`
	Message string `json:"message"`
}

// String renders the problem the way the web page and the command line show it:
// «строка 17, столбец «Тема»: пусто».
func (p RowProblem) String() string {
	var b strings.Builder
	if p.Line > 0 {
		fmt.Fprintf(&b, "строка %d", p.Line)
	}
	if p.Column != "" {
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "столбец «%s»", p.Column)
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Messages the row checks produce; tests and clients may compare with them.
const (
	MsgEmpty      = "пусто"
	MsgNoHeader   = "файл пуст: нет строки заголовка с названиями столбцов"
	MsgHeaderOnly = "в файле только заголовок: нет ни одной строки с данными"
	MsgBadByte    = "испорченный символ: файл сохранён не в UTF-8 и не в Windows-1251, или ячейка повреждена"
)

func msgControl(r rune) string {
	return fmt.Sprintf("недопустимый управляющий символ %U", r)
}

func msgDuplicate(line int) string {
	return fmt.Sprintf("повторяет строку %d: совпадают все столбцы, которые использует шаблон", line)
}

func msgBadDate(v string) string {
	return fmt.Sprintf("не дата: «%s»; ожидается 24.08.2021, 2021-08-24 или дата Excel", excerpt(v))
}

var (
	reTooLong = regexp.MustCompile(`^слишком длинно: (\d+) знаков, допустимо не более (\d+)`)
	reControl = regexp.MustCompile(`^недопустимый управляющий символ (U\+[0-9A-F]+)`)
)

// translate turns a message of order.Validate into the words of a table: a cell has no
// byte offsets or JSON field names. whole says the field is the cell alone; otherwise the
// length includes the template's own text around it.
func translate(msg string, whole bool) string {
	switch {
	case msg == order.MsgEmpty:
		return MsgEmpty
	case reTooLong.MatchString(msg):
		m := reTooLong.FindStringSubmatch(msg)
		n, _ := strconv.Atoi(m[1])
		limit, _ := strconv.Atoi(m[2])
		if whole {
			return fmt.Sprintf("слишком длинно: %d знаков, допустимо не более %d", n, limit)
		}
		return fmt.Sprintf("слишком длинно: вместе с текстом шаблона %d знаков, допустимо не более %d; сократите на %d", n, limit, n-limit)
	case reControl.MatchString(msg):
		return "недопустимый управляющий символ " + reControl.FindStringSubmatch(msg)[1]
	case strings.HasPrefix(msg, "испорченный символ"):
		return MsgBadByte
	case strings.HasPrefix(msg, "не дата"), strings.HasPrefix(msg, "такой даты нет"):
		return "не дата: ожидается 24.08.2021, 2021-08-24 или дата Excel"
	case strings.HasPrefix(msg, "заголовок оканчивается точкой"):
		return "заголовок приказа не оканчивается точкой (ГОСТ Р 7.0.97)"
	case strings.HasPrefix(msg, "неизвестный вид документа"):
		return "вид документа: приказ, распоряжение или решение"
	case strings.Contains(msg, "не адрес электронной почты"):
		return "не адрес электронной почты"
	case strings.HasPrefix(msg, "ключ «") && strings.Contains(msg, "уже есть"):
		return "такой ключ приложения уже есть"
	}
	// An order rule this package does not know yet still reaches the clerk, in its own words.
	return "ошибка в приказе: " + msg
}
