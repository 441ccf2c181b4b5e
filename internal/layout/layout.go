package layout

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"orders/internal/order"
	"orders/internal/ru"
)

// Options are the page settings a deployment may change; zero values take the ГОСТ defaults.
type Options struct {
	Top, Right, Bottom, Left float64 // mm; default 20/10/20/30
	LineSpacing              float64 // default 1.0
	// Stamp, when set, puts the electronic signature mark in the signature place.
	Stamp *Stamp
}

// Stamp is what the visible electronic signature mark says about the certificate.
type Stamp struct {
	Serial             string
	Owner              string
	ValidFrom, ValidTo time.Time
}

// StampLines are the lines of the visible mark, in the words ГОСТ Р 7.0.97 prescribes.
func StampLines(s *Stamp) []string {
	return []string{
		"ДОКУМЕНТ ПОДПИСАН",
		"ЭЛЕКТРОННОЙ ПОДПИСЬЮ",
		"Сертификат: " + s.Serial,
		"Владелец: " + ru.Typeset(s.Owner),
		"Действителен с " + ru.NumericDate(s.ValidFrom.In(ru.Moscow)) + " по " + ru.NumericDate(s.ValidTo.In(ru.Moscow)),
	}
}

// DefaultPage is the ГОСТ Р 7.0.97 page of an order kept over 10 years.
var DefaultPage = Page{Top: 20, Right: 10, Bottom: 20, Left: 30, FontSize: 14, SmallSize: 12, LineSpacing: 1, FirstIndent: 12.5}

// Blank lines printed in place of a draft's date and number. The corner letterhead has
// 80 mm for the date and the number together, so its blank is shorter.
const (
	BlankDate       = "«____» ____________ 20___ г."
	BlankDateCorner = "«___» _______ 20__ г."
	BlankNumber     = "______"
)

// List IDs: 1 is the operative part; appendix i (0-based) uses 2+i.
const clauseList = 1

// kindWords are the words that follow from the document kind, in the cases the text needs.
type kindWords struct {
	heading, operative string // «ПРИКАЗ», «ПРИКАЗЫВАЮ»
	nominative         string // «Приказ» (document properties)
	dative             string // «к приказу»
	instrumental       string // «с приказом ознакомлены», «утверждено приказом»
	cancelled          string // «ОТМЕНЁН», agreeing with the kind's gender
}

var kinds = map[order.Kind]kindWords{
	order.KindPrikaz:         {"ПРИКАЗ", "ПРИКАЗЫВАЮ", "Приказ", "приказу", "приказом", "ОТМЕНЁН"},
	order.KindRasporyazhenie: {"РАСПОРЯЖЕНИЕ", "ОБЯЗЫВАЮ", "Распоряжение", "распоряжению", "распоряжением", "ОТМЕНЕНО"},
	order.KindReshenie:       {"РЕШЕНИЕ", "РЕШИЛ", "Решение", "решению", "решением", "ОТМЕНЕНО"},
}

// Build lays out a validated draft. The draft must carry its letterhead (the service
// resolves a named organization before this step).
func Build(d *order.Draft, opt Options) (*Doc, error) {
	if d.Letterhead == nil {
		return nil, errors.New("layout: draft has no letterhead")
	}
	page := DefaultPage
	for _, o := range []struct {
		dst *float64
		v   float64
	}{
		{&page.Top, opt.Top}, {&page.Right, opt.Right}, {&page.Bottom, opt.Bottom},
		{&page.Left, opt.Left}, {&page.LineSpacing, opt.LineSpacing},
	} {
		if o.v > 0 {
			*o.dst = o.v
		}
	}
	if page.Left+page.Right > 150 || page.Top+page.Bottom > 200 || page.LineSpacing > 3 {
		return nil, fmt.Errorf("layout: page settings leave no room for text")
	}
	b := builder{d: d, opt: opt, kw: kinds[kindOf(d)], doc: &Doc{Page: page}}
	if d.Heading != "" {
		b.kw.heading = d.Heading
	}
	if d.Operative != "" {
		b.kw.operative = d.Operative
	}
	if err := b.dates(); err != nil {
		return nil, err
	}
	b.appendixNumbers()
	b.head()
	b.body()
	for i, a := range d.Appendices {
		b.appendix(i, a)
	}
	if ack := d.Acknowledgement; ack != nil && ack.Style == "sheet" {
		b.ackSheet(ack)
	}
	if len(d.Visas) > 0 && !d.IsDraft() {
		b.visaSheet(d.Visas)
	}
	return b.doc, nil
}

func kindOf(d *order.Draft) order.Kind {
	if d.Kind == "" {
		return order.KindPrikaz
	}
	return d.Kind
}

type builder struct {
	d   *order.Draft
	opt Options
	kw  kindWords
	doc *Doc
	// appendixNo maps an appendix key to its computed number.
	appendixNo map[string]int
	date       string // the order's date as printed («22.09.2022»), or BlankDate
	number     string // «1355», or BlankNumber
	numDate    string // «от 22.09.2022 № 1355» for marks
}

func (b *builder) add(bl Block) { b.doc.Body = append(b.doc.Body, bl) }

func (b *builder) dates() error {
	d := b.d
	b.date, b.number = BlankDate, BlankNumber
	if d.Letterhead.Layout == "corner" {
		b.date = BlankDateCorner
	}
	if d.Date != "" {
		t, err := time.Parse(time.DateOnly, d.Date)
		if err != nil {
			return fmt.Errorf("layout: date: %w", err)
		}
		b.date = ru.NumericDate(t)
		if d.DateStyle == "verbal" {
			b.date = ru.VerbalDate(t)
		}
	}
	if d.Number != "" && !d.IsDraft() {
		b.number = ru.Typeset(d.Number)
	}
	b.numDate = "от " + b.date + " №" + ru.NBSP + b.number
	return nil
}

func (b *builder) appendixNumbers() {
	b.appendixNo = make(map[string]int, len(b.d.Appendices))
	for i, a := range b.d.Appendices {
		b.appendixNo[a.Key] = i + 1
	}
}

func (b *builder) head() {
	l := b.d.Letterhead
	h := Head{
		Corner:      l.Layout == "corner",
		Name:        ru.Typeset(l.Name),
		Subordinate: ru.Typeset(l.Subordinate),
		KindWord:    b.kw.heading,
		Date:        b.date,
		Number:      "№" + ru.NBSP + b.number,
		Place:       ru.Typeset(b.d.Place),
	}
	for _, p := range l.Parents {
		h.Parents = append(h.Parents, ru.Typeset(p))
	}
	if l.Address != "" {
		h.Contacts = append(h.Contacts, ru.Typeset(l.Address))
	}
	switch {
	case l.Phone != "" && l.Fax != "" && l.Phone == l.Fax:
		h.Contacts = append(h.Contacts, "тел./факс: "+l.Phone)
	case l.Phone != "" && l.Fax != "":
		h.Contacts = append(h.Contacts, "тел.: "+l.Phone+", факс: "+l.Fax)
	case l.Phone != "":
		h.Contacts = append(h.Contacts, "тел.: "+l.Phone)
	case l.Fax != "":
		h.Contacts = append(h.Contacts, "факс: "+l.Fax)
	}
	var web []string
	if l.Email != "" {
		web = append(web, "e-mail: "+l.Email)
	}
	if l.Site != "" {
		web = append(web, l.Site)
	}
	if len(web) > 0 {
		h.Contacts = append(h.Contacts, strings.Join(web, ", "))
	}
	switch {
	case b.d.IsDraft():
		h.DraftMark = "ПРОЕКТ"
	case b.d.Cancelled != nil:
		h.DraftMark = b.kw.cancelled
	}
	b.doc.Head = h

	kindTitle := b.kw.nominative
	m := Meta{Kind: kindTitle, Author: ru.Typeset(orgName(l)), Subject: ru.Typeset(b.d.Title), Draft: b.d.IsDraft()}
	if m.Draft {
		m.Title = "Проект: " + kindTitle + " «" + m.Subject + "»"
	} else {
		m.Title = kindTitle + " от " + b.date + " № " + b.number + " «" + m.Subject + "»"
		if b.d.Cancelled != nil {
			m.Title += " (" + strings.ToLower(b.kw.cancelled) + ")"
		}
	}
	b.doc.Meta = m
}

func orgName(l *order.Letterhead) string {
	if l.Subordinate != "" {
		return l.Subordinate
	}
	return l.Name
}

func (b *builder) body() {
	d := b.d
	if c := d.Cancelled; c != nil && !d.IsDraft() {
		b.add(b.cancelMark(c))
	}
	b.add(Block{Text: ru.Typeset(d.Title), Bold: true, Align: Left, SpaceBefore: 1, KeepWithNext: true})
	for i, p := range d.Preamble {
		b.add(Block{Text: ru.Typeset(p), FirstIndent: true, SpaceBefore: boolf(i == 0, 1)})
	}
	op := b.kw.operative
	if d.SpacedOperative {
		op = ru.Spaced(op)
	}
	// Both reference orders set the operative word apart with a blank line.
	b.add(Block{Text: op + ":", Align: Left, KeepWithNext: true, SpaceBefore: 1})

	counters := make([]int, order.MaxDepth)
	b.clauses(d.Clauses, 0, counters)
	if d.Control != "" {
		counters[0]++
		b.add(b.numbered(ru.Typeset(d.Control), clauseList, 0, counters))
	}
	// The last lines of the text travel with the signature so it is never alone on a page.
	b.doc.Body[len(b.doc.Body)-1].KeepWithNext = true
	pos := make([]string, len(d.Signatory.Position))
	for i, p := range d.Signatory.Position {
		pos[i] = ru.Typeset(p)
	}
	sig := &Signature{Position: pos, Name: ru.Typeset(d.Signatory.Name)}
	if b.opt.Stamp != nil {
		sig.Stamp = StampLines(b.opt.Stamp)
	}
	b.add(Block{Kind: SignatureBlock, SpaceBefore: 2, Signature: sig})

	if ack := d.Acknowledgement; ack != nil && ack.Style != "sheet" {
		b.add(Block{Text: "С " + b.kw.instrumental + " ознакомлены:", Align: Left, SpaceBefore: 1, KeepWithNext: true})
		// Each line is drawn like a signature (name at the left, date at the right margin)
		// so the dates line up in both renderers.
		for i, p := range ack.People {
			b.add(Block{Kind: SignatureBlock, SpaceBefore: boolf(i > 0, 0.5), KeepWithNext: i < len(ack.People)-1,
				Signature: &Signature{Position: []string{"______________ " + ru.Typeset(p.Name)}, Name: ackDate(p)}})
		}
	}
	if e := d.Executor; e != nil {
		text := "Исп. " + ru.Typeset(e.Name)
		if e.Phone != "" {
			text += "\nтел. " + e.Phone
		}
		b.add(Block{Text: text, Align: Left, Small: true, SpaceBefore: 2, AtPageBottom: true})
	}
}

// cancelMark is the paragraph above the title of a cancelled order's working copy: when, why
// and by whom it was cancelled, so a printout can never pass for an order in force.
func (b *builder) cancelMark(c *order.Cancellation) Block {
	text := b.kw.nominative + " " + strings.ToLower(b.kw.cancelled)
	if t, err := time.Parse(time.DateOnly, c.Date); err == nil {
		text += " " + ru.NumericDate(t)
	}
	// Who, in brackets: a past-tense verb would have to guess the person's gender.
	if by := strings.TrimSpace(c.By); by != "" {
		text += " (" + by + ")"
	}
	text += "."
	if r := strings.TrimSpace(c.Reason); r != "" {
		text += " Причина: " + strings.TrimRight(r, ".") + "."
	}
	return Block{Text: ru.Typeset(text), Bold: true, Align: Left, SpaceBefore: 1}
}

// ackDate is the date a person read the order, or a blank to fill in by hand.
func ackDate(p order.Person) string {
	if t, err := time.Parse(time.DateOnly, p.Date); err == nil && p.Date != "" {
		return ru.NumericDate(t)
	}
	return BlankDate
}

func (b *builder) clauses(cs []order.Clause, level int, counters []int) {
	for _, c := range cs {
		counters[level]++
		for i := level + 1; i < len(counters); i++ {
			counters[i] = 0
		}
		b.add(b.numbered(b.clauseText(c), clauseList, level, counters))
		b.clauses(c.Children, level+1, counters)
	}
}

func (b *builder) numbered(text string, list, level int, counters []int) Block {
	return Block{
		Text:        text,
		Label:       label(counters[:level+1]),
		List:        &ListRef{ID: list, Level: level, Format: "clause"},
		FirstIndent: true,
	}
}

// label renders «1.», «1.2.», «1.2.3.».
func label(counters []int) string {
	var sb strings.Builder
	for _, c := range counters {
		sb.WriteString(strconv.Itoa(c))
		sb.WriteByte('.')
	}
	return sb.String()
}

// clauseText adds the appendix reference and the deadline/responsible note before the
// clause's closing punctuation, so «… площадки.» becomes «… площадки (приложение 1).».
func (b *builder) clauseText(c order.Clause) string {
	text := strings.TrimRightFunc(c.Text, unicode.IsSpace)
	base, punct := splitPunct(text)
	var extra []string
	if c.Appendix != "" {
		pattern := b.d.AppendixRef
		if pattern == "" {
			pattern = "(приложение {n})"
		}
		extra = append(extra, strings.ReplaceAll(pattern, "{n}", strconv.Itoa(b.appendixNo[c.Appendix])))
	}
	var note []string
	if c.Deadline != "" {
		note = append(note, "срок — "+c.Deadline)
	}
	if c.Responsible != "" {
		note = append(note, "ответственный — "+c.Responsible)
	}
	if len(note) > 0 {
		extra = append(extra, "("+strings.Join(note, "; ")+")")
	}
	if len(extra) == 0 {
		return ru.Typeset(text)
	}
	return ru.Typeset(base + " " + strings.Join(extra, " ") + punct)
}

func splitPunct(s string) (base, punct string) {
	trimmed := strings.TrimRight(s, ".;:,")
	return trimmed, s[len(trimmed):]
}

func (b *builder) mark(no int, approved bool) string {
	lines := []string{"Приложение " + strconv.Itoa(no)}
	org := b.d.Letterhead.ShortName
	if org == "" {
		org = orgName(b.d.Letterhead)
	}
	org = ru.Typeset(org)
	if approved {
		lines = append(lines, "", "УТВЕРЖДЕНО", b.kw.instrumental+" "+org)
	} else {
		lines = append(lines, "к "+b.kw.dative+" "+org)
	}
	lines = append(lines, b.numDate)
	return strings.Join(lines, "\n")
}

// markIndent places appendix marks and grifs in the right part of the text area.
const markIndent = 95

func (b *builder) appendix(i int, a order.Appendix) {
	b.add(Block{Text: b.mark(i+1, a.Approved), Align: Left, LeftIndent: markIndent, PageBreakBefore: true, KeepWithNext: true})
	b.add(Block{Text: ru.Typeset(a.Title), Bold: true, Align: Center, SpaceBefore: 1, KeepWithNext: true})
	counters := make([]int, order.MaxBlockDepth+1)
	b.blocks(a.Content, clauseList+1+i, 0, counters, true)
}

// blocks lays out appendix content. level is the depth of numbered sections/points so
// far; numbering restarts in every appendix because each gets its own list ID.
func (b *builder) blocks(bs []order.Block, list, level int, counters []int, first bool) {
	for _, bl := range bs {
		switch {
		case bl.Paragraph != "":
			b.add(Block{Text: ru.Typeset(bl.Paragraph), FirstIndent: true, SpaceBefore: boolf(first, 1)})
		case bl.List != nil:
			for _, item := range bl.List {
				b.add(Block{Text: ru.Typeset(item), Label: "–", FirstIndent: true,
					List: &ListRef{ID: list, Level: order.MaxBlockDepth, Format: "dash"}})
			}
		case bl.Table != nil:
			b.add(Block{Kind: TableBlock, Table: table(bl.Table), SpaceBefore: boolf(first, 1)})
		case bl.Section != nil:
			counters[level]++
			clear(counters[level+1:])
			blk := b.numbered(ru.Typeset(bl.Section.Title), list, level, counters)
			blk.Bold, blk.Align, blk.FirstIndent, blk.KeepWithNext, blk.SpaceBefore = true, Center, false, true, 1
			b.add(blk)
			b.blocks(bl.Section.Content, list, level+1, counters, false)
		case bl.Point != nil:
			counters[level]++
			clear(counters[level+1:])
			b.add(b.numbered(ru.Typeset(bl.Point.Text), list, level, counters))
			b.blocks(bl.Point.Content, list, level+1, counters, false)
		}
		first = false
	}
}

func table(t *order.Table) *Table {
	n := len(t.Columns)
	widths := make([]float64, 0, n+1)
	header := make([]string, 0, n+1)
	if t.Numbered {
		widths = append(widths, 0.6)
		header = append(header, "№")
	}
	for _, c := range t.Columns {
		w := c.Width
		if w == 0 {
			w = 1
		}
		widths = append(widths, w)
		header = append(header, ru.Typeset(c.Title))
	}
	if t.Numbered {
		// The «№» column is sized against the others: about 6 % of a 4-column table.
		widths[0] = sum(widths[1:]) * 0.08
	}
	total := sum(widths)
	for i := range widths {
		widths[i] /= total
	}
	rows := make([][]string, len(t.Rows))
	for i, r := range t.Rows {
		row := make([]string, 0, len(header))
		if t.Numbered {
			row = append(row, strconv.Itoa(i+1))
		}
		for _, c := range r {
			row = append(row, ru.Typeset(c))
		}
		rows[i] = row
	}
	return &Table{Widths: widths, Header: header, Rows: rows, NumberColumn: t.Numbered}
}

func (b *builder) ackSheet(ack *order.Acknowledgement) {
	b.add(Block{Text: "ЛИСТ ОЗНАКОМЛЕНИЯ", Bold: true, Align: Center, PageBreakBefore: true, KeepWithNext: true})
	b.add(Block{Text: "с " + b.kw.instrumental + " " + b.numDate + " «" + ru.Typeset(b.d.Title) + "»",
		Align: Center, KeepWithNext: true})
	rows := make([][]string, len(ack.People))
	for i, p := range ack.People {
		date := ""
		if t, err := time.Parse(time.DateOnly, p.Date); err == nil && p.Date != "" {
			date = ru.NumericDate(t)
		}
		rows[i] = []string{strconv.Itoa(i + 1), ru.Typeset(p.Name), ru.Typeset(p.Position), date, ""}
	}
	b.add(Block{Kind: TableBlock, SpaceBefore: 1, Table: &Table{
		Widths:       []float64{0.07, 0.31, 0.32, 0.15, 0.15},
		Header:       []string{"№", "Фамилия, инициалы", "Должность", "Дата", "Подпись"},
		Rows:         rows,
		NumberColumn: true,
	}})
}

// visaSheet is the Лист согласования attached to the office copy: the visas of the route the
// registered text went through, one row per approver.
func (b *builder) visaSheet(visas []order.Visa) {
	b.add(Block{Text: "ЛИСТ СОГЛАСОВАНИЯ", Bold: true, Align: Center, PageBreakBefore: true, KeepWithNext: true})
	b.add(Block{Text: "к " + b.kw.dative + " " + b.numDate + " «" + ru.Typeset(b.d.Title) + "»", Align: Center, KeepWithNext: true})
	rows := make([][]string, len(visas))
	for i, v := range visas {
		date := ""
		if t, err := time.Parse(time.DateOnly, v.Date); err == nil {
			date = ru.NumericDate(t)
		}
		rows[i] = []string{ru.Typeset(v.Position), ru.Typeset(v.Name), v.Decision, ru.Typeset(v.Remark), date}
	}
	b.add(Block{Kind: TableBlock, SpaceBefore: 1, Table: &Table{
		Widths: []float64{0.24, 0.2, 0.18, 0.24, 0.14},
		Header: []string{"Должность", "Фамилия, инициалы", "Решение", "Замечания", "Дата"},
		Rows:   rows,
	}})
}

func boolf(c bool, v float64) float64 {
	if c {
		return v
	}
	return 0
}

func sum(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s
}
