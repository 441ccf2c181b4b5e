package batch

import (
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	"orders/internal/decline"
	"orders/internal/order"
)

// Plan is a checked batch: the drafts to issue and everything wrong with the rows. Nothing
// has been issued; the caller chooses all-or-nothing (OK) or the Valid rows only.
type Plan struct {
	Mode Mode
	// Drafts: in PerRow mode one per Table row, at the same index, with a nil Draft for a
	// row that has problems. In OneOrder mode one order built from the Valid rows, or none
	// when no row is valid.
	Drafts []Planned
	// Problems is every problem of every row, sorted by line, then by column in header order.
	Problems []RowProblem
	// Warnings are findings that do not stop the batch: columns the template does not use.
	Warnings []string
	// Valid holds the indexes into Table.Rows of the rows without problems, ascending.
	Valid []int
}

// Planned is one draft ready to issue.
type Planned struct {
	// Row is the index into Table.Rows, Line the row the user sees; -1 and 0 for the one
	// order of OneOrder mode.
	Row  int
	Line int
	// Key identifies the draft across resubmissions: a hash of the template, the constants
	// it uses and the row's used cells (all included rows' in OneOrder mode). The same
	// batch sent again yields the same keys, so ids derived from them deduplicate.
	Key string
	// JSON is the filled draft that was validated; order.Decode accepts it as it is.
	JSON  []byte
	Draft *order.Draft
}

// OK reports whether every row is good, so the batch may be issued all-or-nothing.
func (p *Plan) OK() bool { return len(p.Problems) == 0 && len(p.Drafts) > 0 }

// NewPlan fills the template from every row (or builds the one order) and validates each
// draft with order.Decode, before anything is issued. It returns an error, not row
// problems, for what no edit of the data file can fix: a malformed template, a
// placeholder with neither a column nor a constant, a template invalid with the given
// constants (order.Problems with template paths), more than MaxRows rows.
func NewPlan(tmpl []byte, mode Mode, consts map[string]string, t *Table) (*Plan, error) {
	if t == nil {
		t = &Table{}
	}
	if len(t.Rows) > MaxRows {
		return nil, fmt.Errorf("%w: %d строк данных, допустимо не более %d; разделите файл", ErrTooManyRows, len(t.Rows), MaxRows)
	}
	tp, err := compileTemplate(tmpl, mode)
	if err != nil {
		return nil, err
	}
	p := &Plan{Mode: mode, Warnings: slices.Clone(t.Warnings)}
	if len(t.Columns) == 0 {
		p.Problems = []RowProblem{{Message: MsgNoHeader}}
		return p, nil
	}
	r, err := newRunner(tp, consts, t, p)
	if err != nil {
		return nil, err
	}
	if err := r.checkTemplate(); err != nil {
		return nil, err
	}
	if len(t.Rows) == 0 {
		p.Problems = []RowProblem{{Line: t.HeaderLine, Message: MsgHeaderOnly}}
		return p, nil
	}
	if mode == OneOrder {
		r.runOne()
	} else {
		r.runPerRow()
	}
	r.finish()
	return p, nil
}

type runner struct {
	tp *template
	t  *Table
	p  *Plan
	// used are the indexes into t.Columns of the columns the rows feed, ordered by
	// normName so that keys do not depend on the column order in the file.
	used     []int
	rowSlots []*slot // slots with at least one column placeholder
	pathSlot map[string]*slot
	colOrder map[string]int
	usedKeys []string // normName of each used column
	prefix   [sha256.Size]byte
	prog     []chunk
	size     int // bytes of the template's literal JSON, to size a row's buffer
}

func newRunner(tp *template, consts map[string]string, t *Table, p *Plan) (*runner, error) {
	r := &runner{tp: tp, t: t, p: p, pathSlot: map[string]*slot{}, colOrder: map[string]int{}}
	type constant struct{ name, value string }
	byKey := map[string]constant{}
	for _, name := range slices.Sorted(maps.Keys(consts)) {
		k := normName(name)
		if prev, ok := byKey[k]; ok {
			return nil, order.Problems{{Message: fmt.Sprintf("константы «%s» и «%s» называются одинаково (регистр, ё/е и _/пробел не различаются)", prev.name, name)}}
		}
		byKey[k] = constant{name, consts[name]}
	}
	colByKey := map[string]int{}
	for i, c := range t.Columns {
		colByKey[normName(c)] = i
		r.colOrder[c] = i
	}

	var ps order.Problems
	isUsed := map[int]bool{}
	usedConst := map[string]bool{}
	shadowed := map[string]int{} // constant key → the column that fills its placeholders in rows
	for _, s := range tp.slots {
		r.pathSlot[s.path] = s
		fromRow := tp.mode == PerRow || s.inRow
		hasCol := false
		for _, seg := range s.segs {
			ph := seg.ph
			if ph == nil {
				continue
			}
			if ph.badCase != "" {
				ps = append(ps, order.Problem{Path: s.path, Message: fmt.Sprintf(
					"{%s}: «%s» — не падеж; после двоеточия пишут им, род, дат, вин, твор или пред", ph.name, ph.badCase)})
				continue
			}
			if c, ok := colByKey[ph.key]; ok && fromRow {
				ph.col, isUsed[c], hasCol = c, true, true
				if _, ok := byKey[ph.key]; ok {
					shadowed[ph.key] = c
				}
				continue
			}
			if cst, ok := byKey[ph.key]; ok {
				ph.value, usedConst[ph.key] = decline.Phrase(cst.value, ph.gcase), true
				if s.date && cst.value != "" {
					if d, ok := parseDate(cst.value); ok {
						ph.value = d
					} else {
						ps = append(ps, order.Problem{Path: s.path, Message: fmt.Sprintf("{%s}: константа «%s» — не дата", ph.name, cst.value)})
					}
				}
				if !s.whole && !ph.optional && strings.TrimSpace(cst.value) == "" {
					ps = append(ps, order.Problem{Path: s.path, Message: fmt.Sprintf("{%s}: константа пуста (если так и задумано, напишите поле как {%s?})", ph.name, ph.name)})
				}
				continue
			}
			msg := "нет ни столбца, ни константы с таким именем"
			if !fromRow {
				msg = "нет константы с таким именем (вне строки таблицы поля заполняются только константами)"
			}
			ps = append(ps, order.Problem{Path: s.path, Message: fmt.Sprintf("{%s}: %s", ph.name, msg)})
		}
		if hasCol {
			r.rowSlots = append(r.rowSlots, s)
		}
	}
	if len(ps) > 0 {
		return nil, ps
	}
	// In OneOrder mode a constant and a column of one name are normal (the constant fills
	// the order, the column its table); a constant nothing reads is worth a word.
	for _, k := range slices.Sorted(maps.Keys(shadowed)) {
		if !usedConst[k] {
			p.Warnings = append(p.Warnings, fmt.Sprintf("столбец «%s» заменяет константу «%s»", t.Columns[shadowed[k]], byKey[k].name))
		}
	}

	for c := range isUsed {
		r.used = append(r.used, c)
	}
	slices.SortFunc(r.used, func(a, b int) int { return cmp.Compare(normName(t.Columns[a]), normName(t.Columns[b])) })
	pos := map[int]int{}
	for i, c := range r.used {
		pos[c] = i
	}
	for _, s := range r.rowSlots {
		for _, seg := range s.segs {
			if seg.ph != nil && seg.ph.col >= 0 {
				seg.ph.pos = pos[seg.ph.col]
			}
		}
	}
	for i, c := range t.Columns {
		if !isUsed[i] {
			p.Warnings = append(p.Warnings, fmt.Sprintf("столбец «%s» не используется шаблоном", c))
		}
	}

	for _, c := range r.used {
		r.usedKeys = append(r.usedKeys, normName(t.Columns[c]))
	}
	r.prog = program(tp.tree)
	for _, c := range r.prog {
		r.size += len(c.lit)
	}

	h := sha256.New()
	writeField(h, "orders/batch/v1")
	writeField(h, tp.mode.String())
	writeField(h, string(tp.canon))
	for _, k := range slices.Sorted(maps.Keys(usedConst)) {
		writeField(h, k)
		writeField(h, byKey[k].value)
	}
	h.Sum(r.prefix[:0])
	return r, nil
}

// writeField writes a length-prefixed string so that no two different field lists hash
// the same bytes.
func writeField(w interface{ Write([]byte) (int, error) }, s string) {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(s)))
	w.Write(n[:])
	w.Write([]byte(s))
}

func (r *runner) value(vals []string) func(*slot) string {
	return func(s *slot) string {
		if s.whole {
			v := segValue(s.segs[0], vals)
			if s.date && s.segs[0].ph.col >= 0 {
				if d, ok := parseDate(v); ok {
					return d
				}
			}
			return v
		}
		var b strings.Builder
		for i, seg := range s.segs {
			v := segValue(seg, vals)
			if i == 0 && s.sentence {
				v = capitalize(v)
			}
			// «возложить на {контроль:вин}.» with «… Зубова А.Н.»: one full stop, not two.
			if seg.ph == nil && strings.HasPrefix(v, ".") && !strings.HasPrefix(v, "..") && strings.HasSuffix(b.String(), ".") {
				v = v[1:]
			}
			b.WriteString(v)
		}
		return b.String()
	}
}

func segValue(seg segment, vals []string) string {
	switch {
	case seg.ph == nil:
		return seg.lit
	case seg.ph.col >= 0:
		return decline.Phrase(vals[seg.ph.pos], seg.ph.gcase)
	}
	return seg.ph.value
}

// render fills the template; rows are the cell values of the OneOrder table's rows.
func (r *runner) render(vals []string, rows [][]string) []byte {
	value := r.value(vals)
	b := make([]byte, 0, r.size+64*len(r.used))
	for _, c := range r.prog {
		switch {
		case c.slot != nil:
			b = appendJSONString(b, value(c.slot))
		case c.rows != nil:
			b = append(b, '[')
			for k, rv := range rows {
				if k > 0 {
					b = append(b, ',')
				}
				rowValue := r.value(rv)
				b = append(b, '[')
				for j, cell := range c.rows.cells {
					if j > 0 {
						b = append(b, ',')
					}
					if s, ok := cell.(*slot); ok {
						b = appendJSONString(b, rowValue(s))
					} else {
						b = appendJSONString(b, cell.(string))
					}
				}
				b = append(b, ']')
			}
			b = append(b, ']')
		default:
			b = append(b, c.lit...)
		}
	}
	return b
}

// slotAt maps a path of a draft problem back to the template slot that produced the value
// and, in the OneOrder table, to the index of the table row.
func (r *runner) slotAt(path string) (*slot, int) {
	if r.tp.rows != nil {
		if rest, ok := strings.CutPrefix(path, r.tp.tablePath+".rows["); ok {
			ks, rest, _ := strings.Cut(rest, "]")
			k, err := strconv.Atoi(ks)
			if err != nil {
				return nil, -1
			}
			if js, ok := strings.CutPrefix(rest, "["); ok {
				if j, err := strconv.Atoi(strings.TrimSuffix(js, "]")); err == nil && j < len(r.tp.rows.cells) {
					s, _ := r.tp.rows.cells[j].(*slot)
					return s, k
				}
			}
			return nil, k
		}
	}
	return r.pathSlot[path], -1
}

// checkTemplate validates the template filled with the constants and a stand-in value for
// every column. What fails there is the template's or the constants' fault, the same for
// every row, and is returned once as an error instead of once per row.
func (r *runner) checkTemplate() error {
	vals := make([]string, len(r.used))
	for i := range vals {
		vals[i] = "X"
	}
	_, err := order.Decode(r.render(vals, [][]string{vals}))
	ps, _ := order.AsProblems(err)
	var out order.Problems
	for _, pr := range ps {
		if s, _ := r.slotAt(pr.Path); s != nil && slices.Contains(r.rowSlots, s) && !reShape.MatchString(pr.Message) {
			continue // a column's value decides; each row is checked on its own
		}
		out = append(out, pr)
	}
	if len(out) > 0 {
		return out
	}
	if err != nil && ps == nil {
		return err
	}
	return nil
}

// reShape matches order.Decode's messages about the JSON's shape (an unknown field, a
// string where an array belongs): they are the template's fault whatever fills it.
var reShape = regexp.MustCompile(`^(неизвестное поле|число вне допустимого диапазона|ожидается (объект|массив|строка|число|true или false), а здесь )`)

// prepared is a row after the checks that need no draft.
type prepared struct {
	vals     []string
	problems []RowProblem
	reported map[int]bool // used-column positions already reported, so the draft check does not repeat them
	key      [sha256.Size]byte
}

func (r *runner) prepare(i int) prepared {
	row := r.t.Rows[i]
	pr := prepared{vals: make([]string, len(r.used)), reported: map[int]bool{}}
	report := func(pos int, msg string) {
		if !pr.reported[pos] {
			pr.reported[pos] = true
			pr.problems = append(pr.problems, RowProblem{Line: row.Line, Column: r.t.Columns[r.used[pos]], Message: msg})
		}
	}
	for pos, c := range r.used {
		v := cleanValue(row.Cells[r.t.Columns[c]])
		pr.vals[pos] = v
		if ch, bad := badRune(v); bad {
			if ch == '\uFFFD' {
				report(pos, MsgBadByte)
			} else {
				report(pos, msgControl(ch))
			}
		}
	}
	for _, s := range r.rowSlots {
		for _, seg := range s.segs {
			ph := seg.ph
			if ph == nil || ph.col < 0 {
				continue
			}
			v := pr.vals[ph.pos]
			switch {
			// A whole value elsewhere is left to order.Validate (an empty date is an
			// order dated at registration), but a cell of the one order's table is
			// never checked there, and an empty «Тема» in an official order's appendix
			// is a hole all the same.
			case v == "" && !ph.optional && (!s.whole || s.inRow):
				report(ph.pos, MsgEmpty)
			case v != "" && s.date:
				if _, ok := parseDate(v); !ok {
					report(ph.pos, msgBadDate(v))
				}
			}
		}
	}
	h := sha256.New()
	h.Write(r.prefix[:])
	for pos := range r.used {
		writeField(h, r.usedKeys[pos])
		writeField(h, pr.vals[pos])
	}
	h.Sum(pr.key[:0])
	return pr
}

// draftProblems turns the problems order.Decode found in a row's draft into row problems.
func (r *runner) draftProblems(line int, pr *prepared, ps order.Problems) []RowProblem {
	var out []RowProblem
	for _, p := range ps {
		s, _ := r.slotAt(p.Path)
		out = append(out, r.mapProblem(line, pr, s, p)...)
	}
	return out
}

func (r *runner) mapProblem(line int, pr *prepared, s *slot, p order.Problem) []RowProblem {
	if s == nil {
		return []RowProblem{{Line: line, Message: joinPath(p.Path, translate(p.Message, false))}}
	}
	var cols []int // used positions feeding the slot
	for _, seg := range s.segs {
		if seg.ph != nil && seg.ph.col >= 0 && !slices.Contains(cols, seg.ph.pos) {
			cols = append(cols, seg.ph.pos)
		}
	}
	for _, c := range cols {
		if pr.reported[c] {
			return nil
		}
	}
	name := func(pos int) string { return r.t.Columns[r.used[pos]] }
	switch {
	case len(cols) == 0:
		return []RowProblem{{Line: line, Message: p.Path + ": " + translate(p.Message, false)}}
	case p.Message == order.MsgEmpty:
		var out []RowProblem
		for _, c := range cols {
			out = append(out, RowProblem{Line: line, Column: name(c), Message: MsgEmpty})
		}
		return out
	case len(cols) == 1:
		return []RowProblem{{Line: line, Column: name(cols[0]), Message: translate(p.Message, s.whole)}}
	}
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = name(c)
	}
	return []RowProblem{{Line: line, Message: fmt.Sprintf("%s (столбцы «%s»): %s", p.Path, strings.Join(names, "», «"), translate(p.Message, false))}}
}

// readerAndDuplicates reports the reader's problems and repeated rows (the first stays
// valid) and marks those rows bad.
func (r *runner) readerAndDuplicates(preps []prepared) []bool {
	bad := make([]bool, len(r.t.Rows))
	byLine := map[int]int{}
	for i, row := range r.t.Rows {
		byLine[row.Line] = i
	}
	for _, pr := range r.t.Problems {
		r.p.Problems = append(r.p.Problems, pr)
		if i, ok := byLine[pr.Line]; ok {
			bad[i] = true
		}
	}
	first := map[[sha256.Size]byte]int{}
	for i := range preps {
		if j, ok := first[preps[i].key]; ok {
			r.p.Problems = append(r.p.Problems, RowProblem{Line: r.t.Rows[i].Line, Message: msgDuplicate(r.t.Rows[j].Line)})
			bad[i] = true
			continue
		}
		first[preps[i].key] = i
	}
	return bad
}

func (r *runner) runPerRow() {
	n := len(r.t.Rows)
	preps := make([]prepared, n)
	r.p.Drafts = make([]Planned, n)
	problems := make([][]RowProblem, n)
	parallel(n, func(i int) {
		pr := r.prepare(i)
		preps[i] = pr
		line := r.t.Rows[i].Line
		js := r.render(pr.vals, nil)
		d, err := validate(js)
		problems[i] = pr.problems
		if err != nil {
			ps, ok := order.AsProblems(err)
			if !ok {
				ps = order.Problems{{Message: err.Error()}}
			}
			problems[i] = append(problems[i], r.draftProblems(line, &pr, ps)...)
			d = nil
		}
		r.p.Drafts[i] = Planned{Row: i, Line: line, Key: hex.EncodeToString(pr.key[:16]), JSON: js, Draft: d}
	})
	bad := r.readerAndDuplicates(preps)
	for i := range n {
		r.p.Problems = append(r.p.Problems, problems[i]...)
		if bad[i] || len(problems[i]) > 0 || r.p.Drafts[i].Draft == nil {
			r.p.Drafts[i].Draft = nil
			continue
		}
		r.p.Valid = append(r.p.Valid, i)
	}
}

// validate checks a row's draft. The shape of every row's JSON is the template's (only
// string values differ), and checkTemplate has passed the template through order.Decode,
// so a row needs order's value rules, not its strict shape check again: that halves the
// cost of a row. The one order of OneOrder mode goes through order.Decode in full.
func validate(js []byte) (*order.Draft, error) {
	var d order.Draft
	if err := json.Unmarshal(js, &d); err != nil {
		return nil, order.Problems{{Message: "это не JSON: " + err.Error()}}
	}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	return &d, nil
}

func (r *runner) runOne() {
	n := len(r.t.Rows)
	preps := make([]prepared, n)
	parallel(n, func(i int) { preps[i] = r.prepare(i) })
	bad := r.readerAndDuplicates(preps)
	var included []int
	for i := range n {
		r.p.Problems = append(r.p.Problems, preps[i].problems...)
		if !bad[i] && len(preps[i].problems) == 0 {
			included = append(included, i)
		}
	}
	if len(included) == 0 {
		return
	}
	js, d, ps := r.buildOne(preps, included)
	if len(ps) > 0 {
		failed := map[int]bool{}
		for _, p := range ps {
			s, k := r.slotAt(p.Path)
			if k < 0 || k >= len(included) {
				r.p.Problems = append(r.p.Problems, RowProblem{Message: p.Path + ": " + translate(p.Message, false)})
				continue
			}
			i := included[k]
			failed[i] = true
			r.p.Problems = append(r.p.Problems, r.mapProblem(r.t.Rows[i].Line, &preps[i], s, p)...)
		}
		var rest []int
		for _, i := range included {
			if !failed[i] {
				rest = append(rest, i)
			}
		}
		if len(rest) == len(included) || len(rest) == 0 {
			// Problems outside the rows: the order cannot be built from any of them.
			return
		}
		included = rest
		if js, d, ps = r.buildOne(preps, included); len(ps) > 0 {
			for _, p := range ps {
				r.p.Problems = append(r.p.Problems, RowProblem{Message: p.Path + ": " + translate(p.Message, false)})
			}
			return
		}
	}
	r.p.Valid = included
	h := sha256.New()
	h.Write(r.prefix[:])
	for _, i := range included {
		h.Write(preps[i].key[:])
	}
	r.p.Drafts = []Planned{{Row: -1, Key: hex.EncodeToString(h.Sum(nil)[:16]), JSON: js, Draft: d}}
}

func (r *runner) buildOne(preps []prepared, included []int) ([]byte, *order.Draft, order.Problems) {
	rows := make([][]string, len(included))
	for k, i := range included {
		rows[k] = preps[i].vals
	}
	js := r.render(nil, rows)
	d, err := order.Decode(js)
	if err != nil {
		ps, ok := order.AsProblems(err)
		if !ok {
			ps = order.Problems{{Message: err.Error()}}
		}
		return js, nil, ps
	}
	return js, d, nil
}

// finish sorts the problems by line, then column in header order (the row as a whole
// first), and drops exact repeats.
func (r *runner) finish() {
	col := func(c string) int {
		if c == "" {
			return -1
		}
		if i, ok := r.colOrder[c]; ok {
			return i
		}
		return len(r.colOrder)
	}
	slices.SortStableFunc(r.p.Problems, func(a, b RowProblem) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(col(a.Column), col(b.Column)))
	})
	r.p.Problems = slices.Compact(r.p.Problems)
}

// parallel runs f for 0..n-1 on all processors: checking a row is independent of the
// others and costs tens of microseconds, mostly in order.Decode.
func parallel(n int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n/32+1)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				f(i)
			}
		})
	}
	wg.Wait()
}

// capitalize puts the first letter of a sentence in capitals, leaving a value that opens with
// anything else (a quote, a digit, an abbreviation) as it is.
func capitalize(v string) string {
	r, size := utf8.DecodeRuneInString(v)
	if !unicode.IsLower(r) {
		return v
	}
	return string(unicode.ToUpper(r)) + v[size:]
}
