package order

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits of a draft. They keep a single order renderable in milliseconds and stop a
// pasted novel from reaching the queue; each is reported with its path when exceeded.
const (
	MaxDepth      = 4
	MaxTextLen    = 10000 // runes in a clause, paragraph, cell
	MaxShortLen   = 500   // runes in names, positions, titles of columns
	MaxTitleLen   = 1000
	MaxItems      = 1000 // clauses on one level, preamble paragraphs, list items, appendices, people
	MaxTableRows  = 10000
	MaxColumns    = 20
	MaxBlockDepth = 6
)

var (
	keyRe  = regexp.MustCompile(`^[\p{L}0-9][\p{L}0-9_.-]{0,63}$`)
	dateRe = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	// initialsRe: a title may end with a person's initials («О приеме на работу Ивановой М.П.»),
	// whose full stop is not the one ГОСТ forbids.
	initialsRe = regexp.MustCompile(`\s\p{Lu}\p{Ll}+\s?\p{Lu}\.\s?\p{Lu}\.$`)
)

// Validate checks a decoded draft and returns every problem at once as Problems.
func (d *Draft) Validate() error {
	v := validator{}
	v.draft(d)
	if len(v.ps) == 0 {
		return nil
	}
	return v.ps
}

type validator struct {
	ps       Problems
	appendix map[string]bool
}

func (v *validator) add(path, format string, args ...any) { v.ps.add(path, format, args...) }

// addOnce reports a problem that several clauses may run into only the first time.
func (v *validator) addOnce(path, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	for _, p := range v.ps {
		if p.Path == path && p.Message == msg {
			return
		}
	}
	v.ps.add(path, "%s", msg)
}

// text checks a string every field shares: no control characters, a length limit, and
// (when required) something other than spaces.
func (v *validator) text(path, s string, limit int, required bool) {
	v.check(path, s, limit, required, false)
}

// multiline is text where a line break is meaningful (titles typed on two lines).
func (v *validator) multiline(path, s string, limit int, required bool) {
	v.check(path, s, limit, required, true)
}

func (v *validator) check(path, s string, limit int, required, newlines bool) {
	if strings.TrimSpace(s) == "" {
		if required {
			v.add(path, MsgEmpty)
		}
		return
	}
	if n := utf8.RuneCountInString(s); n > limit {
		v.add(path, "слишком длинно: %d знаков, допустимо не более %d", n, limit)
	}
	for i, r := range s {
		if unicode.IsControl(r) && !(newlines && r == '\n') {
			v.add(path, "недопустимый управляющий символ %U (байт %d)", r, i)
			break
		}
		if r == utf8.RuneError {
			v.add(path, msgBadUTF8, i)
			break
		}
	}
}

// operativeWord is the operative word the draft will print, for messages.
func operativeWord(d *Draft) string {
	if d.Operative != "" {
		return d.Operative
	}
	switch d.Kind {
	case KindRasporyazhenie:
		return "ОБЯЗЫВАЮ"
	case KindReshenie:
		return "РЕШИЛ"
	}
	return "ПРИКАЗЫВАЮ"
}

func (v *validator) count(path string, n, limit int) {
	if n > limit {
		v.add(path, "слишком много элементов: %d, допустимо не более %d", n, limit)
	}
}

func (v *validator) date(path, s string) {
	if s == "" {
		return
	}
	if !dateRe.MatchString(s) {
		v.add(path, "не дата: «%s»; нужна дата в виде ГГГГ-ММ-ДД, например 2022-09-22", s)
		return
	}
	if _, err := time.Parse(time.DateOnly, s); err != nil {
		v.add(path, "такой даты нет в календаре: %s", s)
	}
}

func (v *validator) draft(d *Draft) {
	switch d.Kind {
	case "", KindPrikaz, KindRasporyazhenie, KindReshenie:
	default:
		v.add("kind", "неизвестный вид документа «%s»: бывает приказ, распоряжение или решение", d.Kind)
	}
	v.text("organization", d.Organization, 64, false)
	// A draft without a letterhead takes its organization's stored profile; the service
	// fills it in before layout, which refuses a draft that still has none.
	if d.Letterhead != nil {
		v.letterhead("letterhead", d.Letterhead)
	}
	v.multiline("heading", d.Heading, MaxShortLen, false)
	v.text("operative", d.Operative, 64, false)
	switch d.OperativeAt {
	case "", "line", "none":
	case "preamble":
		if len(d.Preamble) == 0 {
			v.add("operative_at", "слово «%s» ставится в конце преамбулы, а преамбулы нет: добавьте preamble или выберите line", operativeWord(d))
		}
		if d.SpacedOperative {
			v.add("spaced_operative", "в разрядку печатают только слово на отдельной строке, а здесь оно в конце преамбулы (operative_at: preamble)")
		}
	default:
		v.add("operative_at", "неизвестное место слова «%s»: line (отдельной строкой), preamble (в конце преамбулы) или none (без него)", operativeWord(d))
	}
	switch d.DatePlace {
	case "", "head", "title":
	default:
		v.add("date_place", "неизвестное место даты «%s»: head (под видом документа) или title (под заголовком)", d.DatePlace)
	}
	if p := d.Protocol; p != nil {
		v.text("protocol.number", p.Number, 32, true)
		if p.Date == "" {
			v.add("protocol.date", MsgEmpty)
		}
		v.date("protocol.date", p.Date)
	}
	v.date("date", d.Date)
	switch d.DateStyle {
	case "", "numeric", "verbal":
	default:
		v.add("date_style", "неизвестный вид даты «%s»: numeric (22.09.2022) или verbal (22 сентября 2022 г.)", d.DateStyle)
	}
	v.text("number", d.Number, 32, false)
	if d.Number != "" && d.Date == "" {
		v.add("date", "нужна, когда указан номер: номер без даты не бывает")
	}
	v.text("place", d.Place, MaxShortLen, false)
	v.multiline("title", d.Title, MaxTitleLen, true)
	if t := strings.TrimSpace(d.Title); strings.HasSuffix(t, ".") && !strings.HasSuffix(t, "..") && !initialsRe.MatchString(t) {
		v.add("title", "заголовок оканчивается точкой, а в заголовке приказа точку не ставят (ГОСТ Р 7.0.97)")
	}
	v.count("preamble", len(d.Preamble), MaxItems)
	for i, p := range d.Preamble {
		v.multiline(fmt.Sprintf("preamble[%d]", i), p, MaxTextLen, true)
	}
	if d.AppendixRef != "" {
		v.text("appendix_ref", d.AppendixRef, 64, false)
		if !strings.Contains(d.AppendixRef, "{n}") {
			v.add("appendix_ref", "должна содержать {n} — место, где встанет номер приложения")
		}
	}

	v.appendix = map[string]bool{}
	v.count("appendices", len(d.Appendices), MaxItems)
	for i, a := range d.Appendices {
		path := fmt.Sprintf("appendices[%d]", i)
		switch {
		case a.Key == "":
			v.add(path+".key", MsgEmpty)
		case !keyRe.MatchString(a.Key):
			v.add(path+".key", "«%s»: допустимы только буквы, цифры, «_», «-» и «.», не более 64 знаков", a.Key)
		case v.appendix[a.Key]:
			v.add(path+".key", "ключ «%s» уже есть у другого приложения", a.Key)
		}
		v.appendix[a.Key] = true
	}

	if len(d.Clauses) == 0 {
		v.add("clauses", "нужен хотя бы один пункт")
	}
	v.count("numbering", len(d.Numbering), MaxDepth)
	for i, s := range d.Numbering {
		v.numbering(fmt.Sprintf("numbering[%d]", i), s)
	}
	for i, parent := 1, d.LevelNumbering(0, ""); i < len(d.Numbering); i++ {
		style := d.LevelNumbering(i, parent)
		if style == NumDecimal && parent != NumDecimal {
			v.addOnce(fmt.Sprintf("numbering[%d]", i), msgDecimalUnder, numStyleSample(parent))
		}
		parent = style
	}
	v.clauses(d, "clauses", d.Clauses, 1, d.LevelNumbering(0, ""))
	v.text("control", d.Control, MaxTextLen, false)
	if d.ControlAt != 0 {
		switch {
		case d.Control == "":
			v.add("control_at", "место пункта о контроле указано, а самого пункта (control) нет")
		case d.ControlAt < 1 || d.ControlAt > len(d.Clauses)+1:
			v.add("control_at", "пункт о контроле может стать пунктом с 1 по %d, а не %d", len(d.Clauses)+1, d.ControlAt)
		}
	}

	v.signatory("signatory", d.Signatory)
	v.count("signatories", len(d.Signatories), 5)
	for i, s := range d.Signatories {
		v.signatory(fmt.Sprintf("signatories[%d]", i), s)
	}

	if a := d.Acknowledgement; a != nil {
		switch a.Style {
		case "", "lines", "sheet":
		default:
			v.add("acknowledgement.style", "неизвестный способ ознакомления «%s»: lines (строки под приказом) или sheet (лист ознакомления)", a.Style)
		}
		if len(a.People) == 0 {
			v.add("acknowledgement.people", "нужен хотя бы один человек")
		}
		v.count("acknowledgement.people", len(a.People), MaxItems)
		for i, p := range a.People {
			path := fmt.Sprintf("acknowledgement.people[%d]", i)
			v.text(path+".name", p.Name, MaxShortLen, true)
			v.text(path+".position", p.Position, MaxShortLen, false)
			v.date(path+".date", p.Date)
		}
	}
	if e := d.Executor; e != nil {
		v.text("executor.name", e.Name, MaxShortLen, true)
		v.text("executor.phone", e.Phone, 64, false)
	}

	for i, a := range d.Appendices {
		path := fmt.Sprintf("appendices[%d]", i)
		v.multiline(path+".title", a.Title, MaxTitleLen, true)
		if len(a.Content) == 0 {
			v.add(path+".content", "приложение пустое: нужен хотя бы один блок (абзац, список, таблица, раздел или пункт)")
		}
		v.blocks(path+".content", a.Content, 1)
	}
}

func (v *validator) letterhead(path string, l *Letterhead) {
	v.count(join(path, "parents"), len(l.Parents), 5)
	for i, p := range l.Parents {
		v.text(fmt.Sprintf("%s[%d]", join(path, "parents"), i), p, MaxShortLen, true)
	}
	v.text(join(path, "name"), l.Name, MaxShortLen, true)
	for _, f := range []struct{ name, val string }{
		{"subordinate", l.Subordinate}, {"short_name", l.ShortName}, {"address", l.Address},
		{"phone", l.Phone}, {"fax", l.Fax}, {"email", l.Email}, {"site", l.Site},
	} {
		v.text(join(path, f.name), f.val, MaxShortLen, false)
	}
	if l.Email != "" && !strings.Contains(l.Email, "@") {
		v.add(join(path, "email"), "«%s» — не адрес электронной почты", l.Email)
	}
	switch l.Layout {
	case "", "centered", "corner":
	default:
		v.add(join(path, "layout"), "неизвестный вид бланка «%s»: centered (продольный) или corner (угловой)", l.Layout)
	}
}

// msgDecimalUnder: «1.1.» repeats its parent's number, which a «1)» or «а)» item does not have.
const msgDecimalUnder = "нумерация «1.1.» продолжает номер пункта выше, а он нумеруется «%s»: для вложенных пунктов выберите paren («1)»), letter («а)») или dash («–»)"

func numStyleSample(s string) string {
	switch s {
	case NumParen:
		return "1)"
	case NumLetter:
		return "а)"
	case NumDash:
		return "–"
	}
	return "1."
}

func (v *validator) numbering(path, s string) {
	switch s {
	case NumDecimal, NumParen, NumLetter, NumDash:
	default:
		v.add(path, "неизвестная нумерация «%s»: decimal («1.», «1.1.»), paren («1)»), letter («а)») или dash («–»)", s)
	}
}

func (v *validator) signatory(path string, s Signatory) {
	v.text(path+".name", s.Name, MaxShortLen, true)
	if len(s.Position) == 0 {
		v.add(path+".position", "нужна хотя бы одна строка должности")
	}
	v.count(path+".position", len(s.Position), 5)
	for i, p := range s.Position {
		v.text(fmt.Sprintf("%s.position[%d]", path, i), p, MaxShortLen, true)
	}
}

// clauses checks clauses at depth (1: top), numbered in style.
func (v *validator) clauses(d *Draft, path string, cs []Clause, depth int, style string) {
	v.count(path, len(cs), MaxItems)
	for i := range cs {
		c := &cs[i]
		p := fmt.Sprintf("%s[%d]", path, i)
		// A line break in a clause is a new paragraph of it.
		v.multiline(p+".text", c.Text, MaxTextLen, c.Action == "")
		v.text(p+".responsible", c.Responsible, MaxShortLen, false)
		v.text(p+".deadline", c.Deadline, MaxShortLen, false)
		if c.Appendix != "" && !v.appendix[c.Appendix] {
			v.add(p+".appendix", "нет приложения с ключом «%s»", c.Appendix)
		}
		v.text(p+".action", c.Action, 64, false)
		v.text(p+".person", c.Person, MaxShortLen, c.Action != "")
		v.text(p+".position", c.Position, MaxShortLen, false)
		v.date(p+".date", c.Date)
		if c.Action == "" {
			for _, f := range []struct{ name, val string }{{"person", c.Person}, {"position", c.Position}, {"date", c.Date}} {
				if f.val != "" {
					v.add(p+"."+f.name, "заполняется только в пункте по личному составу: укажите и action (ПРИНЯТЬ, НАЗНАЧИТЬ, ПЕРЕВЕСТИ, УВОЛИТЬ …)")
				}
			}
		}
		v.text(p+".basis", c.Basis, MaxTextLen, false)
		for j, b := range c.Content {
			if b.Section != nil || b.Point != nil {
				v.add(fmt.Sprintf("%s.content[%d]", p, j), "в пункте приказа бывают абзацы, списки и таблицы; вложенные пункты задаются в children")
			}
		}
		v.blocks(p+".content", c.Content, 1)
		if c.Numbering != "" {
			v.numbering(p+".numbering", c.Numbering)
		}
		if len(c.Children) > 0 {
			if depth >= MaxDepth {
				v.add(p+".children", "вложенность глубже %d уровней", MaxDepth)
				continue
			}
			child := d.ChildNumbering(c, depth-1, style)
			if child == NumDecimal && style != NumDecimal {
				at := p + ".numbering"
				if c.Numbering == "" {
					at = fmt.Sprintf("numbering[%d]", depth)
				}
				v.addOnce(at, msgDecimalUnder, numStyleSample(style))
			}
			v.clauses(d, p+".children", c.Children, depth+1, child)
		}
	}
}

func (v *validator) blocks(path string, bs []Block, depth int) {
	if depth > MaxBlockDepth {
		v.add(path, "вложенность глубже %d уровней", MaxBlockDepth)
		return
	}
	v.count(path, len(bs), MaxTableRows)
	for i, b := range bs {
		p := fmt.Sprintf("%s[%d]", path, i)
		set := 0
		if b.Paragraph != "" {
			set++
			v.text(p+".paragraph", b.Paragraph, MaxTextLen, true)
		}
		if b.List != nil {
			set++
			if len(b.List) == 0 {
				v.add(p+".list", "пустой список")
			}
			v.count(p+".list", len(b.List), MaxItems)
			for j, s := range b.List {
				v.text(fmt.Sprintf("%s.list[%d]", p, j), s, MaxTextLen, true)
			}
		}
		if b.Table != nil {
			set++
			v.table(p+".table", b.Table)
		}
		if b.Section != nil {
			set++
			v.multiline(p+".section.title", b.Section.Title, MaxTitleLen, true)
			v.blocks(p+".section.content", b.Section.Content, depth+1)
		}
		if b.Point != nil {
			set++
			v.text(p+".point.text", b.Point.Text, MaxTextLen, true)
			v.blocks(p+".point.content", b.Point.Content, depth+1)
		}
		switch set {
		case 0:
			v.add(p, "пустой блок: заполните одно из paragraph, list, table, section, point")
		case 1:
		default:
			v.add(p, "в блоке должно быть ровно одно из paragraph, list, table, section, point, а заполнено %d", set)
		}
	}
}

func (v *validator) table(path string, t *Table) {
	if len(t.Columns) == 0 {
		v.add(path+".columns", "нужен хотя бы один столбец")
	}
	v.count(path+".columns", len(t.Columns), MaxColumns)
	for i, c := range t.Columns {
		p := fmt.Sprintf("%s.columns[%d]", path, i)
		v.text(p+".title", c.Title, MaxShortLen, true)
		if c.Width < 0 || c.Width > 100 {
			v.add(p+".width", "ширина столбца — относительное число от 0 до 100, а не %g", c.Width)
		}
	}
	if len(t.Rows) > MaxTableRows {
		v.add(path+".rows", "слишком много строк: %d, допустимо не более %d", len(t.Rows), MaxTableRows)
		return
	}
	for i, row := range t.Rows {
		p := fmt.Sprintf("%s.rows[%d]", path, i)
		if len(row) != len(t.Columns) {
			v.add(p, "в строке %d ячеек, а в таблице %d столбцов", len(row), len(t.Columns))
			continue
		}
		for j, cell := range row {
			v.text(fmt.Sprintf("%s[%d]", p, j), cell, MaxTextLen, false)
		}
	}
}
