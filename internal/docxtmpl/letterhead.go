package docxtmpl

// An organization's own DOCX letterhead template is checked here before the registry keeps
// it: size, zip bombs (the limits of Word order templates), then the renderer's own template
// checks, with the refusal in Russian for the person uploading.

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"orders/internal/render/docx"
)

// MaxLetterhead is the largest letterhead accepted: a blank with a coat of arms is ~100 KB.
const MaxLetterhead = 2 << 20

// ErrLetterhead wraps every refusal of a letterhead; its text is Russian.
var ErrLetterhead = errors.New("бланк")

func badLetterhead(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrLetterhead, fmt.Sprintf(format, a...))
}

// CheckLetterhead reports whether data can serve as an organization's DOCX letterhead.
func CheckLetterhead(data []byte) error {
	if len(data) == 0 {
		return badLetterhead("файл пуст")
	}
	if len(data) > MaxLetterhead {
		return badLetterhead("файл %d КБ, допускается не более %d КБ", (len(data)+1023)/1024, MaxLetterhead>>10)
	}
	if err := checkZip(data); err != nil {
		return badLetterhead("%s", strings.TrimPrefix(err.Error(), ErrTemplate.Error()+": "))
	}
	if err := docx.CheckTemplate(data); err != nil {
		return badLetterhead("%s", letterheadWords(err))
	}
	return nil
}

// The renderer's template errors, in English for developers, as a clerk reads them.
var letterheadTranslations = []struct {
	re  *regexp.Regexp
	say string
}{
	{regexp.MustCompile(`not a \.docx \(zip\) file`), "это не документ Word (.docx): не архив zip"},
	{regexp.MustCompile(`no word/document\.xml`), "нет основной части word/document.xml"},
	{regexp.MustCompile(`want exactly one \{body\} paragraph in \S+, found (\d+)`), "нужен ровно один абзац {body} (место текста приказа), найдено: $1"},
	{regexp.MustCompile(`the \{body\} paragraph must stand alone`), "абзац {body} должен стоять в теле документа сам по себе: не в таблице, не в рамке и не в колонтитуле"},
	{regexp.MustCompile(`\{body\} must be the only text of its paragraph`), "в абзаце {body} не должно быть другого текста"},
	{regexp.MustCompile(`has no page size`), "в документе не задан размер страницы (раздел в конце документа)"},
	{regexp.MustCompile(`unknown or unfilled placeholders (.*) \(known: (.*)\)`), "неизвестные поля $1; в бланке допустимы поля $2"},
	{regexp.MustCompile(`broken placeholder`), "поле в фигурных скобках не закрыто"},
	{regexp.MustCompile(`is reserved for the`), "в бланке есть часть или связь с именем, которое сервис занимает под QR-код или эмблему (word/media/orders-*.png)"},
	{regexp.MustCompile(`must bind the prefix w:`), "основная часть документа записана не в разметке WordprocessingML"},
}

func letterheadWords(err error) string {
	msg := strings.TrimPrefix(err.Error(), docx.ErrTemplate.Error()+": ")
	for _, t := range letterheadTranslations {
		if m := t.re.FindStringSubmatchIndex(msg); m != nil {
			return string(t.re.ExpandString(nil, t.say, msg, m))
		}
	}
	return "файл не годится как бланк: части документа повреждены или не читаются (" + msg + ")"
}
