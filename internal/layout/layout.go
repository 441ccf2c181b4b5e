package layout

import (
	"errors"
	"fmt"
	"regexp"
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
	if err := b.emblem(); err != nil {
		return nil, err
	}
	if err := b.qr(); err != nil {
		return nil, err
	}
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
	lists      int    // the last list ID taken
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
	b.numDate = "от " + b.date
	if d.Unnumbered {
		// Registered by its date alone: no number to print, not even a blank.
		b.number = ""
	} else {
		b.numDate += " №" + ru.NBSP + b.number
	}
	return nil
}

// dateNumber is the date and number line: «22.09.2022 № 1355», or the date alone.
func (b *builder) dateNumber() (date, number string) {
	if b.d.Unnumbered {
		return b.date, ""
	}
	return b.date, "№" + ru.NBSP + b.number
}

func (b *builder) appendixNumbers() {
	b.appendixNo = make(map[string]int, len(b.d.Appendices))
	for i, a := range b.d.Appendices {
		b.appendixNo[a.Key] = i + 1
	}
	// Sub-lists of clauses take IDs after the appendices' (clauseList+1+i).
	b.lists = clauseList + len(b.d.Appendices)
}

// singleAppendix: ГОСТ Р 7.0.97 leaves a single appendix unnumbered, «Приложение» and
// «(приложение)»; several are numbered.
func (b *builder) singleAppendix() bool { return len(b.d.Appendices) == 1 }

// noNumberRe is the number's place in a reference pattern, with its «№» and the space before.
var noNumberRe = regexp.MustCompile(`\s*№?\s*\{n\}`)

// appendixRef is the reference to an appendix in a clause: «(приложение 2)», «(приложение)».
func (b *builder) appendixRef(key string) string {
	pattern := b.d.AppendixRef
	if pattern == "" {
		pattern = "(приложение {n})"
	}
	if b.singleAppendix() {
		return noNumberRe.ReplaceAllString(pattern, "")
	}
	return strings.ReplaceAll(pattern, "{n}", strconv.Itoa(b.appendixNo[key]))
}

// newList returns a numbering sequence of its own (a «1)» or «а)» list of one clause).
func (b *builder) newList() int {
	b.lists++
	return b.lists
}

func (b *builder) head() {
	l := b.d.Letterhead
	h := Head{
		Corner:      l.Layout == "corner",
		Name:        ru.Typeset(l.Name),
		Subordinate: ru.Typeset(l.Subordinate),
		KindWord:    b.kw.heading,
		Place:       ru.Typeset(b.d.Place),
	}
	if b.d.DatePlace != "title" {
		h.Date, h.Number = b.dateNumber()
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
		m.Title = kindTitle + " от " + b.date
		if !b.d.Unnumbered {
			m.Title += " № " + b.number
		}
		m.Title += " «" + m.Subject + "»"
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
	if d.DatePlace == "title" {
		date, number := b.dateNumber()
		b.add(Block{Text: strings.TrimSpace(date + " " + number), Align: Left, KeepWithNext: true})
	}
	if p := d.Protocol; p != nil {
		date := p.Date
		if t, err := time.Parse(time.DateOnly, p.Date); err == nil {
			date = ru.NumericDate(t)
		}
		b.add(Block{Text: "Протокол от " + date + " №" + ru.NBSP + ru.Typeset(p.Number), Align: Left, KeepWithNext: true})
	}
	op := b.kw.operative
	if d.SpacedOperative {
		op = ru.Spaced(op)
	}
	var preamble []string
	for _, p := range d.Preamble {
		preamble = append(preamble, paragraphs(p)...)
	}
	if d.OperativeAt == "preamble" && len(preamble) > 0 {
		last := &preamble[len(preamble)-1]
		*last = strings.TrimRightFunc(*last, unicode.IsSpace) + " " + strings.ToLower(op) + ":"
	}
	for i, p := range preamble {
		b.add(Block{Text: ru.Typeset(p), FirstIndent: true, SpaceBefore: boolf(i == 0, 1)})
	}
	// Both reference orders set the operative word apart with a blank line.
	space := 1.0
	switch {
	case d.OperativeAt == "preamble" || d.OperativeAt == "none":
		if len(preamble) > 0 {
			space = 0
			b.doc.Body[len(b.doc.Body)-1].KeepWithNext = true
		}
	default:
		b.add(Block{Text: op + ":", Align: Left, KeepWithNext: true, SpaceBefore: 1})
		space = 0
	}

	style := d.LevelNumbering(0, "")
	top := listPos{id: clauseList, format: formatOf(style), style: style, counters: make([]int, numLevels)}
	control := len(d.Clauses)
	if d.ControlAt > 0 {
		control = min(d.ControlAt-1, len(d.Clauses))
	}
	start := len(b.doc.Body)
	for i := 0; i <= len(d.Clauses); i++ {
		if d.Control != "" && i == control {
			top.next()
			b.add(b.item(ru.Typeset(d.Control), top))
		}
		if i < len(d.Clauses) {
			top.next()
			b.clause(&d.Clauses[i], top, 0)
		}
	}
	if start < len(b.doc.Body) {
		b.doc.Body[start].SpaceBefore = max(b.doc.Body[start].SpaceBefore, space)
	}
	// The last lines of the text travel with the signature so it is never alone on a page.
	b.doc.Body[len(b.doc.Body)-1].KeepWithNext = true
	for i, s := range append([]order.Signatory{d.Signatory}, d.Signatories...) {
		pos := make([]string, len(s.Position))
		for i, p := range s.Position {
			pos[i] = ru.Typeset(p)
		}
		sig := &Signature{Position: pos, Name: ru.Typeset(s.Name)}
		if b.opt.Stamp != nil && i == 0 {
			sig.Stamp = StampLines(b.opt.Stamp)
		}
		if i > 0 {
			// A council's decision is signed by the chair and the secretary together.
			b.doc.Body[len(b.doc.Body)-1].KeepWithNext = true
		}
		b.add(Block{Kind: SignatureBlock, SpaceBefore: boolf(i == 0, 2) + boolf(i > 0, 1), Signature: sig})
	}

	if ack := d.Acknowledgement; ack != nil && ack.Style != "sheet" {
		read := "ознакомлены:"
		if len(ack.People) == 1 {
			// A personnel order is read by the one person it concerns.
			read = "ознакомлен(а):"
		}
		b.add(Block{Text: "С " + b.kw.instrumental + " " + read, Align: Left, SpaceBefore: 1, KeepWithNext: true})
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

// listPos is where the next item of a list stands: its list, format, level and the counters
// of the levels above (shared with the parent list when «1.1.» continues its number).
type listPos struct {
	id       int
	format   *NumFormat
	level    int
	counters []int
	style    string // the draft's numbering style of the level
}

// next advances the counter of the level and restarts the levels below it.
func (l *listPos) next() {
	l.counters[l.level]++
	clear(l.counters[l.level+1:])
}

// item is the numbered paragraph at l.
func (b *builder) item(text string, l listPos) Block {
	return Block{
		Text:        text,
		Label:       l.format.Label(l.level, l.counters),
		List:        &ListRef{ID: l.id, Level: l.level, Format: l.format},
		FirstIndent: true,
	}
}

// clause lays out one clause at depth (0: top) numbered at l: its numbered first paragraph,
// the paragraphs after a line break, its content, its basis line, its children.
func (b *builder) clause(c *order.Clause, l listPos, depth int) {
	paras := paragraphs(c.Text)
	if c.Action != "" {
		head := b.personnel(c)
		if len(paras) == 0 {
			paras = []string{head}
		} else {
			paras[0] = head + " " + paras[0]
		}
	}
	if len(paras) == 0 {
		paras = []string{""}
	}
	// The appendix reference and the note close the clause's text, before its full stop.
	paras[len(paras)-1] = b.clauseText(paras[len(paras)-1], c)
	b.add(b.item(ru.Typeset(paras[0]), l))
	for _, p := range paras[1:] {
		b.add(Block{Text: ru.Typeset(p), FirstIndent: true})
	}
	if len(c.Content) > 0 {
		b.blocks(c.Content, b.newList(), 0, nil, false)
	}
	if c.Basis != "" {
		b.add(Block{Text: ru.Typeset("Основание: " + strings.TrimSpace(c.Basis)), FirstIndent: true})
	}
	if len(c.Children) == 0 {
		return
	}
	style := b.d.ChildNumbering(c, depth, l.style)
	child := listPos{id: l.id, format: l.format, level: l.level + 1, counters: l.counters, style: style}
	if style != order.NumDecimal || l.format != FormatClause || child.level >= len(l.counters) {
		// «1)», «а)» and dashes count from 1 under every clause: a sequence of their own.
		child = listPos{id: b.newList(), format: formatOf(style), counters: make([]int, numLevels), style: style}
	}
	for i := range c.Children {
		child.next()
		b.clause(&c.Children[i], child, depth+1)
	}
}

// personnel is the start of a personnel clause: «ПРИНЯТЬ Иванову Марию Петровну на должность
// учителя с 01.09.2023». A dismissal is dated without «с»: the last day of work.
func (b *builder) personnel(c *order.Clause) string {
	parts := []string{strings.ToUpper(strings.TrimSpace(c.Action)), strings.TrimSpace(c.Person)}
	if c.Position != "" {
		parts = append(parts, strings.TrimSpace(c.Position))
	}
	if t, err := time.Parse(time.DateOnly, c.Date); err == nil && c.Date != "" {
		date := ru.NumericDate(t)
		if b.d.DateStyle == "verbal" {
			date = ru.VerbalDate(t)
		}
		if strings.ToLower(strings.TrimSpace(c.Action)) != "уволить" {
			date = "с " + date
		}
		parts = append(parts, date)
	}
	head := strings.Join(parts, " ")
	if strings.TrimSpace(c.Text) == "" && !strings.HasSuffix(head, ".") {
		head += "."
	}
	return head
}

// paragraphs splits typed text at its line breaks; blank lines make no empty paragraphs.
func paragraphs(s string) []string {
	var out []string
	for _, p := range strings.Split(s, "\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// clauseText adds the appendix reference and the deadline/responsible note before the
// clause's closing punctuation, so «… площадки.» becomes «… площадки (приложение 1).».
// It returns raw text; the caller typesets it.
func (b *builder) clauseText(text string, c *order.Clause) string {
	text = strings.TrimRightFunc(text, unicode.IsSpace)
	base, punct := splitPunct(text)
	var extra []string
	if c.Appendix != "" {
		extra = append(extra, b.appendixRef(c.Appendix))
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
		return text
	}
	return base + " " + strings.Join(extra, " ") + punct
}

func splitPunct(s string) (base, punct string) {
	trimmed := strings.TrimRight(s, ".;:,")
	return trimmed, s[len(trimmed):]
}

func (b *builder) mark(no int, approved bool) string {
	lines := []string{"Приложение"}
	if !b.singleAppendix() {
		lines[0] += " " + strconv.Itoa(no)
	}
	org := b.shortOrg()
	if approved {
		lines = append(lines, "", "УТВЕРЖДЕНО", b.kw.instrumental+" "+org)
	} else {
		lines = append(lines, "к "+b.kw.dative+" "+org)
	}
	lines = append(lines, b.numDate)
	return strings.Join(lines, "\n")
}

// shortOrg is the organization as marks name it: its short name, else its full name.
func (b *builder) shortOrg() string {
	org := b.d.Letterhead.ShortName
	if org == "" {
		org = orgName(b.d.Letterhead)
	}
	return ru.Typeset(org)
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
				b.add(Block{Text: ru.Typeset(item), Label: FormatDash.Label(0, nil), FirstIndent: true,
					List: &ListRef{ID: list, Format: FormatDash}})
			}
		case bl.Table != nil:
			b.add(Block{Kind: TableBlock, Table: table(bl.Table), SpaceBefore: boolf(first, 1)})
		case bl.Section != nil:
			counters[level]++
			clear(counters[level+1:])
			blk := b.item(ru.Typeset(bl.Section.Title), listPos{id: list, format: FormatClause, level: level, counters: counters})
			blk.Bold, blk.Align, blk.FirstIndent, blk.KeepWithNext, blk.SpaceBefore = true, Center, false, true, 1
			b.add(blk)
			b.blocks(bl.Section.Content, list, level+1, counters, false)
		case bl.Point != nil:
			counters[level]++
			clear(counters[level+1:])
			b.add(b.item(ru.Typeset(bl.Point.Text), listPos{id: list, format: FormatClause, level: level, counters: counters}))
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
