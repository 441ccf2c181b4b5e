package pdf

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"orders/internal/hyph"
	"orders/internal/layout"
)

// A4 portrait, in millimetres.
const (
	pageW  = 210.0
	pageH  = 297.0
	ptToMM = 25.4 / 72
	// anchorH is the height of the empty paragraph the DOCX anchors the AtPageBottom
	// frame to (20 twips, internal/render/docx spacer), in mm.
	anchorH = 1 * ptToMM
	// eps absorbs float noise when a line exactly fills the space left.
	eps = 1e-6

	// The letterhead of a corner blank sits in a block this wide (ГОСТ: 7.5–8 cm).
	cornerWidth = 80.0
	ruleWidth   = 0.2 // table borders, about Word's ½ pt
	// tableBorder is the width of the DOCX's table borders (w:sz="4", ½ pt), which word
	// processors add to every row's height.
	tableBorder = 0.5 * ptToMM
	sigNameGap  = 10.0
)

type opKind uint8

const (
	opText opKind = iota
	opLine
	// opRect fills the rectangle from (x, y) to (x2, y2): the modules of the QR code.
	opRect
	// opEmblem draws the document's emblem in the rectangle from (x, y) to (x2, y2).
	opEmblem
)

// op is one drawing operation; coordinates are mm from the top-left corner (text: the
// left end of the baseline).
type op struct {
	kind   opKind
	style  uint8
	size   float64 // pt
	x, y   float64
	x2, y2 float64
	tw     float64 // extra width of each space in mm (justification)
	text   string
}

// row is the unit of pagination: a line of a paragraph, a table row, a signature.
type row struct {
	h      float64
	before float64 // space above, dropped at the top of a page
	// keepWithPrev forbids a page break between this row and the previous one.
	keepWithPrev bool
	breakBefore  bool
	// bottom is the number of rows of an AtPageBottom block starting at this row.
	bottom int
	ops    []op // y relative to the row's top
	// header is the table header drawn above this row when it opens a page.
	header *row
	// grid holds the column edges of a table row, whose rules are drawn once the row is
	// placed; contPrev/contNext mark slices of a row taller than a page.
	grid               []float64
	contPrev, contNext bool
}

// tline is a line produced by the line breaker.
type tline struct {
	text   string
	indent float64 // from the left of the box
	width  float64 // natural width
	avail  float64 // room from indent to the right of the box
	spaces int
	// last lines of a paragraph and lines ended by "\n" are never stretched.
	last bool
}

type flow struct {
	r                        *Renderer
	page                     layout.Page
	left, right, top, bottom float64
	// firstBottom is where the text of page 1 ends: above the QR code when there is one.
	firstBottom float64
	rows        []row
	fit         fitScratch
}

// bottomOf is the lowest y the text may reach on page p (0-based).
func (fl *flow) bottomOf(p int) float64 {
	if p == 0 {
		return fl.firstBottom
	}
	return fl.bottom
}

// qr draws the QR code at the bottom right of the text area of page 1 as filled
// rectangles, so the code stays vector and sharp: one per run of dark modules in a row,
// grown downwards while the rows below have the same run (finder patterns, timing).
func (fl *flow) qr(q *layout.QR) []op {
	if q == nil || len(q.Modules) == 0 {
		return nil
	}
	n := len(q.Modules) + 2*layout.QRQuiet
	m := q.Size / float64(n)
	x0 := fl.right - q.Size + layout.QRQuiet*m
	y0 := fl.bottom - q.Size + layout.QRQuiet*m
	var ops []op
	open := map[[2]int]int{} // run [c, e) of the previous row → its rectangle in ops
	for r, row := range q.Modules {
		next := make(map[[2]int]int, len(open))
		for c := 0; c < len(row); {
			if !row[c] {
				c++
				continue
			}
			e := c
			for e < len(row) && row[e] {
				e++
			}
			run := [2]int{c, e}
			if i, ok := open[run]; ok {
				ops[i].y2 = y0 + float64(r+1)*m
				next[run] = i
			} else {
				next[run] = len(ops)
				ops = append(ops, op{kind: opRect, x: x0 + float64(c)*m, y: y0 + float64(r)*m,
					x2: x0 + float64(e)*m, y2: y0 + float64(r+1)*m})
			}
			c = e
		}
		open = next
	}
	return ops
}

func (fl *flow) face(style int) *face { return fl.r.faces[style] }

// mm converts 1/1000 em at size pt to millimetres.
func mm(units int, size float64) float64 { return float64(units) * size / 1000 * ptToMM }

// lineHeight is the single line of Word for the font (ascent+descent+gap, 1.15 em for
// Times-metric faces) times the document's line spacing, in whole twips as LibreOffice
// keeps it: a 14 pt line is 16.1 pt there, not 16.086, and over a page of lines or table
// rows the difference moved a row to the next page.
func (fl *flow) lineHeight(size float64) float64 {
	return math.Round(fl.singleLine(size)*fl.page.LineSpacing*20) / 20 * ptToMM
}

// singleLine is the single line of the font at size, in points rounded to twips.
func (fl *flow) singleLine(size float64) float64 {
	f := fl.r.faces[regular]
	return math.Round(float64(f.ascent-f.descent+f.lineGap)*size/1000*20) / 20
}

// baseline is the distance from a line's top to its baseline; extra line spacing goes
// above the text, as in Word.
func (fl *flow) baseline(size float64) float64 {
	f := fl.r.faces[regular]
	return fl.lineHeight(size) - fl.singleLine(size)*ptToMM + float64(f.ascent)/1000*size*ptToMM
}

// Line breaking with hyphenation. Justified text chooses, where a word does not fit,
// between ending the line before it (spaces stretch), taking it whole with spaces
// squeezed to no less than minSpace, and hyphenating it (internal/hyph), whichever keeps
// the spaces nearest their normal width; a hyphen costs as much as hyphenPenalty of
// stretch, so a comfortable line is not hyphenated. Ragged text (table cells) hyphenates
// a word when ending the line before it would leave more than hyphenZone empty; other
// text (headings, the letterhead, the signature) only a word wider than its line.
const (
	// minSpace is a quarter less than a normal space; TeX lets Computer Modern shrink by a
	// third.
	minSpace      = 0.75
	maxSpaceSoft  = math.MaxFloat64
	hyphenPenalty = 0.35
	hyphenZone    = 6.35 // mm, Word's default hyphenation zone (0.25 in)
)

type hyphenMode uint8

const (
	hyphenNeeded hyphenMode = iota
	hyphenRagged
	hyphenJustify
	// hyphenWhole is hyphenNeeded without the break after a word's own hyphen, for what
	// only the PDF draws (the signature mark): a text extractor would join «Константино-
	// польская-|Преображенская» without its hyphen.
	hyphenWhole
)

// breakLines breaks text into lines of at most boxW mm, the first one indented by
// firstIndent, hyphenating only words wider than a line. Only U+0020 is a break
// opportunity besides hyphenation points: the no-break spaces of «А.Н. Зубова» and
// «№ 37-о» hold, and tokens that are not words (numbers, e-mails, URLs, joins) are never
// hyphenated. "\n" forces a break. A token wider than a line with no hyphenation point
// is cut between characters rather than overflow the margin.
func (fl *flow) breakLines(style int, size float64, text string, boxW, firstIndent float64) []tline {
	return fl.breakText(style, size, text, boxW, firstIndent, hyphenNeeded)
}

func (fl *flow) breakText(style int, size float64, text string, boxW, firstIndent float64, mode hyphenMode) []tline {
	f := fl.face(style)
	text = f.normalize(text)
	scale := size / 1000 * ptToMM
	spaceU := f.units(" ")
	hyphenU := f.units("-")
	var lines []tline
	var pts []int
	indent := firstIndent
	for si, seg := range strings.Split(text, "\n") {
		if si > 0 {
			indent = 0
		}
		if mode == hyphenJustify {
			// Within 2× if any breaking allows, else the least bad.
			ls, ok := fitParagraph(&fl.fit, f, scale, seg, boxW, indent, 2)
			if !ok {
				ls, ok = fitParagraph(&fl.fit, f, scale, seg, boxW, indent, maxSpaceSoft)
			}
			if ok {
				lines = append(lines, ls...)
				continue
			}
		}
		words := strings.Split(seg, " ")
		var cur []string
		curU := 0
		emit := func(last bool) {
			if !last {
				for len(cur) > 1 && cur[len(cur)-1] == "" {
					cur = cur[:len(cur)-1]
					curU -= spaceU
				}
			}
			s := strings.Join(cur, " ")
			lines = append(lines, tline{
				text: s, indent: indent, width: float64(curU) * scale,
				avail: boxW - indent, spaces: max(len(cur)-1, 0), last: last,
			})
			indent, cur, curU = 0, cur[:0], 0
		}
		// hyphenate puts the head of words[i] with a hyphen on the line and leaves its tail
		// for the next one.
		hyphenate := func(i, p int) {
			w := words[i]
			head := w[:p] + "-"
			cur, curU = append(cur, head), curU+f.units(w[:p])+hyphenU
			if len(cur) > 1 {
				curU += spaceU
			}
			emit(false)
			words[i] = w[p:]
		}
		// hardBreak ends the line after the last hyphen of words[i] («УЧЕБНО-|МЕТОДИЧЕСКИЙ»)
		// that leaves the line at most availU wide, as LibreOffice does (UAX #14: a break
		// after a hyphen, not before a digit), so a letterhead or a table cell breaks the
		// same in the DOCX; it reports false when there is no such hyphen.
		hardBreak := func(i, availU int) bool {
			w := words[i]
			lineU := curU
			if len(cur) > 0 {
				lineU += spaceU
			}
			best := -1
			for k := 1; k < len(w)-1; k++ {
				if w[k] != '-' || !hardHyphenBreak(w[:k], w[k+1:]) {
					continue
				}
				if lineU+f.units(w[:k+1]) > availU {
					break
				}
				best = k + 1
			}
			if best < 0 {
				return false
			}
			cur, curU = append(cur, w[:best]), lineU+f.units(w[:best])
			emit(false)
			words[i] = w[best:]
			return true
		}
		for i := 0; i < len(words); {
			w := words[i]
			wu := f.units(w)
			avail := boxW - indent
			availU := int(math.Floor(avail/scale + eps))
			if len(cur) == 0 {
				if w == "" && len(lines) > 0 && !lines[len(lines)-1].last {
					i++ // spaces that ended up at the start of a wrapped line
					continue
				}
				if wu > availU {
					pts = pts[:0]
					if mode == hyphenRagged || mode == hyphenJustify {
						pts = hyph.Points(w, pts)
					}
					best := -1
					for _, p := range pts {
						if f.units(w[:p])+hyphenU <= availU {
							best = p
						}
					}
					if best > 0 {
						hyphenate(i, best)
						continue
					}
					if mode != hyphenWhole && hardBreak(i, availU) {
						continue
					}
					head, tail := cutWord(f, w, avail/scale)
					cur, curU = append(cur, head), f.units(head)
					emit(false)
					words[i] = tail
					continue
				}
				cur, curU = append(cur, w), wu
				i++
				continue
			}
			if curU+spaceU+wu <= availU {
				cur, curU = append(cur, w), curU+spaceU+wu
				i++
				continue
			}
			// w does not fit: end the line before it, or squeeze it in, or hyphenate it.
			gaps := len(cur) - 1
			switch mode {
			case hyphenJustify:
				ratio := func(lineU, spaces int) float64 {
					if spaces == 0 {
						return math.Inf(1)
					}
					return 1 + float64(availU-lineU)/float64(spaces*spaceU)
				}
				cost := math.Abs(ratio(curU, gaps) - 1)
				if gaps == 0 {
					cost = 10 // a lone word cannot be justified: the line stays short
				}
				choice, at := 0, 0
				if i < len(words)-1 || si < strings.Count(text, "\n") {
					if r := ratio(curU+spaceU+wu, gaps+1); r >= minSpace && 1-r < cost {
						choice, cost = 1, 1-r
					}
				}
				pts = hyph.Points(w, pts[:0])
				for _, p := range pts {
					r := ratio(curU+spaceU+f.units(w[:p])+hyphenU, gaps+1)
					if r < minSpace {
						break
					}
					if c := math.Abs(r-1) + hyphenPenalty; c < cost {
						choice, cost, at = 2, c, p
					}
				}
				switch choice {
				case 1:
					cur, curU = append(cur, w), curU+spaceU+wu
					i++
					emit(false)
				case 2:
					hyphenate(i, at)
				default:
					emit(false)
				}
				continue
			case hyphenNeeded:
				if hardBreak(i, availU) {
					continue
				}
			case hyphenRagged:
				if float64(availU-curU)*scale > hyphenZone {
					pts = hyph.Points(w, pts[:0])
					best := -1
					for _, p := range pts {
						if curU+spaceU+f.units(w[:p])+hyphenU <= availU {
							best = p
						}
					}
					if best > 0 {
						hyphenate(i, best)
						continue
					}
				}
				// LibreOffice hyphenates a compound within its last part where it can
				// («Усть-Чебу-|линская»), else breaks after its hyphen.
				if hardBreak(i, availU) {
					continue
				}
			}
			emit(false)
		}
		emit(true)
	}
	return lines
}

// hardHyphenBreak reports whether a line may end after the hyphen between head and tail:
// between letters only, so «521-95-16», «2023-2024» and «№ 37-о» (a number before it) hold,
// as in LibreOffice's breaking (UAX #14 keeps a hyphen with the number after it).
func hardHyphenBreak(head, tail string) bool {
	a, _ := utf8.DecodeLastRuneInString(head)
	b, _ := utf8.DecodeRuneInString(tail)
	return unicode.IsLetter(a) && unicode.IsLetter(b)
}

// brk is a place a line may end: before word w (p == 0), or inside it after byte p with
// a hyphen; head is the width of w[:p] in 1/1000 em.
type brk struct{ w, p, head int }

// fitScratch keeps fitParagraph's slices from one paragraph to the next of a document.
type fitScratch struct {
	words  []string
	prefix []int
	cands  []brk
	cost   []float64
	from   []int
	chain  []int
	pts    []int
}

// fitParagraph breaks one justified paragraph (a segment without forced breaks) the way
// TeX does, choosing all its breaks at once so that the sum of the lines' badness is
// least: a line whose spaces stretch to r× normal costs 100(r-1)², one squeezed to r ≥
// minSpace as much as a stretch of 1+2(1-r), a hyphen hyphenPenalty more, a stretch
// beyond 2× a thousand more. A greedy breaker cannot see that hyphenating a word two
// lines up is what keeps an unbreakable «(Коротеева Т.Н.)» from leaving a line of rivers.
// It reports false when no line can hold some token, and the greedy breaker cuts it.
//
// maxSpace is how far a line's spaces may stretch: maxSpaceSoft lets any line stretch (at a
// cost), a finite value forbids more; tests use it to ask whether rivers were avoidable.
func fitParagraph(sc *fitScratch, f *face, scale float64, seg string, boxW, firstIndent, maxSpace float64) ([]tline, bool) {
	// Only U+0020 separates words (strings.Fields would split at no-break spaces too); a
	// run of spaces counts as one.
	words := sc.words[:0]
	for w := range strings.SplitSeq(seg, " ") {
		if w != "" {
			words = append(words, w)
		}
	}
	sc.words = words
	if len(words) == 0 {
		return []tline{{indent: firstIndent, avail: boxW - firstIndent, last: true}}, true
	}
	spaceU, hyphenU := f.units(" "), f.units("-")
	prefix := append(sc.prefix[:0], 0) // prefix[k]: units of words[:k]
	cands := append(sc.cands[:0], brk{})
	for i, w := range words {
		prefix = append(prefix, prefix[i]+f.units(w))
		if i > 0 {
			cands = append(cands, brk{w: i})
		}
		sc.pts = hyph.Points(w, sc.pts[:0])
		head, prev := 0, 0
		for _, p := range sc.pts {
			head += f.units(w[prev:p])
			prev = p
			cands = append(cands, brk{i, p, head})
		}
	}
	cands = append(cands, brk{w: len(words)})
	sc.prefix, sc.cands = prefix, cands
	// measure gives the natural width and the number of spaces of the line from a to b.
	measure := func(a, b brk) (units, spaces int) {
		if a.w == b.w { // the middle of one word
			return b.head - a.head + hyphenU, 0
		}
		units = prefix[b.w] - prefix[a.w] - a.head
		spaces = b.w - a.w - 1
		if b.p > 0 {
			units += b.head + hyphenU
			spaces++
		}
		return units + spaces*spaceU, spaces
	}
	const unreachable = math.MaxFloat64
	cost := slices.Grow(sc.cost[:0], len(cands))[:len(cands)]
	from := slices.Grow(sc.from[:0], len(cands))[:len(cands)]
	sc.cost, sc.from = cost, from
	cost[0], from[0] = 0, 0
	// With a bound on the stretch, lines starting after hi are too short for c: hi only
	// grows with c, so the search skips them instead of walking over them.
	strict, hi := maxSpace < maxSpaceSoft, 0
	longEnough := func(a, c int) bool {
		avail := boxW
		if a == 0 {
			avail -= firstIndent
		}
		units, spaces := measure(cands[a], cands[c])
		return spaces > 0 && float64(units)+float64(spaces*spaceU)*(maxSpace-1) >= avail/scale
	}
	for c := 1; c < len(cands); c++ {
		cost[c], from[c] = unreachable, -1
		last := c == len(cands)-1
		start := c - 1
		if strict && !last {
			for hi+1 < c && longEnough(hi+1, c) {
				hi++
			}
			start = hi
		}
		for a := start; a >= 0; a-- {
			if cost[a] == unreachable {
				continue
			}
			avail := boxW
			if a == 0 {
				avail -= firstIndent
			}
			availU := avail/scale + eps
			units, spaces := measure(cands[a], cands[c])
			if float64(units-spaces*spaceU)+float64(spaces*spaceU)*minSpace > availU {
				break // and wider still further back
			}
			bad := 0.0
			switch {
			case float64(units) > availU: // squeezed
				r := 1 - (float64(units)-availU)/float64(spaces*spaceU)
				bad = 100 * (2 * (1 - r)) * (2 * (1 - r))
			case last:
			case spaces == 0:
				// A lone word cannot be justified: «2.» alone on a line is a worse hole
				// than any river.
				if maxSpace < maxSpaceSoft {
					continue
				}
				bad = 10000
			default:
				r := 1 + (availU-float64(units))/float64(spaces*spaceU)
				bad = 100 * (r - 1) * (r - 1)
				if r > maxSpace {
					continue
				}
				if r > 2 {
					bad += 1000
				}
			}
			if cands[c].p > 0 {
				bad += 100 * hyphenPenalty * hyphenPenalty
			}
			if cost[a]+bad < cost[c] {
				cost[c], from[c] = cost[a]+bad, a
			}
		}
	}
	end := len(cands) - 1
	if from[end] < 0 {
		return nil, false
	}
	chain := sc.chain[:0]
	for c := end; c > 0; c = from[c] {
		chain = append(chain, c)
	}
	sc.chain = chain
	lines := make([]tline, 0, len(chain))
	a := 0
	for k := len(chain) - 1; k >= 0; k-- {
		c := chain[k]
		from, to := cands[a], cands[c]
		units, spaces := measure(from, to)
		var sb strings.Builder
		sb.Grow(3 * units / 500) // about two bytes a letter of Cyrillic, half an em wide
		if from.w == to.w {
			sb.WriteString(words[from.w][from.p:to.p])
		} else {
			sb.WriteString(words[from.w][from.p:])
			for _, w := range words[from.w+1 : to.w] {
				sb.WriteByte(' ')
				sb.WriteString(w)
			}
			if to.p > 0 {
				sb.WriteByte(' ')
				sb.WriteString(words[to.w][:to.p])
			}
		}
		if to.p > 0 {
			sb.WriteByte('-')
		}
		indent := 0.0
		if a == 0 {
			indent = firstIndent
		}
		// A last line that takes its words with squeezed spaces is justified like the rest.
		last := k == 0 && float64(units)*scale <= boxW-indent+eps
		lines = append(lines, tline{text: sb.String(), indent: indent, width: float64(units) * scale,
			avail: boxW - indent, spaces: spaces, last: last})
		a = c
	}
	return lines, true
}

// cutWord splits w so that head fits in maxU units; head has at least one character. It
// cuts after the last hyphen that fits, as Word and LibreOffice break
// «ИНФОРМАЦИОННО-МЕТОДИЧЕСКОГО» in a narrow corner block, else between characters.
func cutWord(f *face, w string, maxU float64) (head, tail string) {
	u, hyphen := 0, 0
	for i, r := range w {
		ru := f.units(string(r))
		if float64(u+ru) > maxU+eps && i > 0 {
			if hyphen > 0 {
				return w[:hyphen], w[hyphen:]
			}
			return w[:i], w[i:]
		}
		u += ru
		if r == '-' && i+1 < len(w) {
			hyphen = i + 1
		}
	}
	return w, ""
}

func (fl *flow) size(small bool) float64 {
	if small {
		return fl.page.SmallSize
	}
	return fl.page.FontSize
}

func styleOf(b bool) int {
	if b {
		return bold
	}
	return regular
}

// textOp places one line in a box [boxL, boxL+…] with the given alignment.
func textOp(style int, size float64, ln tline, boxL float64, align layout.Align, y float64) op {
	o := op{kind: opText, style: uint8(style), size: size, x: boxL + ln.indent, y: y, text: ln.text}
	switch align {
	case layout.Justify:
		// A line may be wider than its box when its spaces were squeezed (minSpace).
		if !ln.last && ln.spaces > 0 && math.Abs(ln.avail-ln.width) > eps {
			o.tw = (ln.avail - ln.width) / float64(ln.spaces)
		}
	case layout.Center:
		o.x += (ln.avail - ln.width) / 2
	case layout.Right:
		o.x += ln.avail - ln.width
	}
	return o
}

// blocks turns the body into rows.
func (fl *flow) blocks(body []layout.Block) {
	keep := false
	for _, b := range body {
		start := len(fl.rows)
		switch b.Kind {
		case layout.TableBlock:
			fl.table(b)
		case layout.SignatureBlock:
			fl.signature(b)
		default:
			fl.paragraph(b)
		}
		if len(fl.rows) == start {
			continue
		}
		first := &fl.rows[start]
		first.keepWithPrev = keep
		first.breakBefore = b.PageBreakBefore
		first.before = b.SpaceBefore * fl.lineHeight(fl.size(b.Small))
		if b.AtPageBottom {
			first.bottom = len(fl.rows) - start
			for i := start + 1; i < len(fl.rows); i++ {
				fl.rows[i].keepWithPrev = true
			}
		}
		keep = b.KeepWithNext
	}
}

func (fl *flow) paragraph(b layout.Block) {
	style, size := styleOf(b.Bold), fl.size(b.Small)
	boxL := fl.left + b.LeftIndent
	text := b.Text
	if b.Label != "" {
		text = b.Label + " " + text
	}
	indent := 0.0
	if b.FirstIndent {
		indent = fl.page.FirstIndent
	}
	boxW := fl.right - boxL
	if b.AtPageBottom {
		boxW /= 2 // beside the QR code of page 1 (layout.Block.AtPageBottom)
	}
	mode := hyphenNeeded
	if b.Align == layout.Justify {
		mode = hyphenJustify
	}
	lines := fl.breakText(style, size, text, boxW, indent, mode)
	lh, base := fl.lineHeight(size), fl.baseline(size)
	n := len(lines)
	for j, ln := range lines {
		fl.rows = append(fl.rows, row{
			h: lh,
			// Widow and orphan control: never one line alone at a page's foot or head.
			keepWithPrev: j == 1 || (j > 0 && j == n-1),
			ops:          []op{textOp(style, size, ln, boxL, b.Align, base)},
		})
	}
}

// signature puts the position lines at the left and the name at the right margin on
// the baseline of the last position line; the block never breaks.
func (fl *flow) signature(b layout.Block) {
	s := b.Signature
	if s == nil {
		return
	}
	size := fl.page.FontSize
	lh, base := fl.lineHeight(size), fl.baseline(size)
	name := fl.face(regular).normalize(s.Name)
	nameW := mm(fl.face(regular).units(name), size)
	textW := fl.right - fl.left
	posW := max(textW-nameW-sigNameGap, textW/2)
	// The electronic signature mark takes the place of the handwritten signature: a frame
	// between the position and the name. A name too long to leave the frame and the
	// position their room goes under the frame, still flush right.
	var frame struct {
		x float64
		stampBox
	}
	nameBelow := false
	if len(s.Stamp) > 0 {
		room := textW - nameW - sigNameGap - stampGap // for the position and the frame
		w := min(stampWidth, max(room-stampMinPosition, stampMinWidth))
		frame.x = fl.right - nameW - sigNameGap - w
		if room-w < stampMinPosition {
			nameBelow, w = true, stampWidth
			frame.x = fl.right - w
		}
		frame.stampBox = fl.stampLayout(s.Stamp, w)
		posW = frame.x - fl.left - stampGap
	}
	var lines []tline
	for _, p := range s.Position {
		lines = append(lines, fl.breakLines(regular, size, p, posW, 0)...)
	}
	r := row{h: lh * float64(max(len(lines), 1))}
	for i, ln := range lines {
		r.ops = append(r.ops, textOp(regular, size, ln, fl.left, layout.Left, float64(i)*lh+base))
	}
	nameY := r.h - lh + base
	if len(s.Stamp) > 0 {
		r.ops = append(r.ops, frame.ops(fl, frame.x)...)
		r.h = max(r.h, frame.h)
		if nameBelow {
			// A hair below the frame: touching it, the name's box overlapped the frame by
			// float noise once the page above moved (pdftotext -bbox, TestStampInsideFrame).
			nameY = r.h + stampPad + base
			r.h += lh + stampPad
		}
	}
	if name != "" {
		r.ops = append(r.ops, op{kind: opText, style: regular, size: size,
			x: fl.right - nameW, y: nameY, text: name})
	}
	fl.rows = append(fl.rows, r)
}

// Geometry of the electronic signature mark, in mm and points. The frame is stampWidth
// wide unless the name leaves less room; it never gets narrower than stampMinWidth (the
// bold heading fits in one line) nor leaves the position less than stampMinPosition.
const (
	stampWidth       = 70.0
	stampMinWidth    = 56.0
	stampMinPosition = 40.0
	stampGap         = 4.0
	stampPad         = 1.5
	stampSize        = 10.0
)

// stampBox is the laid-out mark: its lines broken to the frame's inner width.
type stampBox struct {
	w, h  float64
	lines []stampLine
}

type stampLine struct {
	style int
	ln    tline
}

// stampLayout breaks each line of the mark (the first two, the heading, in bold) to the
// inner width of a frame w mm wide. A line that needs breaking is broken evenly: a 40-digit
// serial is cut into two halves, not 35 digits and a remainder of 5.
func (fl *flow) stampLayout(lines []string, w float64) stampBox {
	inner := w - 2*stampPad
	box := stampBox{w: w}
	for i, l := range lines {
		style := regular
		if i < 2 {
			style = bold
		}
		broken := fl.breakText(style, stampSize, l, inner, 0, hyphenWhole)
		if n := len(broken); n > 1 {
			// Narrower, but never so narrow that a word which fits whole gets cut.
			lo := 0.0
			for _, word := range strings.Split(fl.face(style).normalize(l), " ") {
				if ww := mm(fl.face(style).units(word), stampSize); ww <= inner {
					lo = max(lo, ww)
				}
			}
			hi := inner
			for range 20 {
				mid := (lo + hi) / 2
				if len(fl.breakText(style, stampSize, l, mid, 0, hyphenWhole)) <= n {
					hi = mid
				} else {
					lo = mid
				}
			}
			broken = fl.breakText(style, stampSize, l, hi, 0, hyphenWhole)
		}
		for _, ln := range broken {
			box.lines = append(box.lines, stampLine{style: style, ln: ln})
		}
	}
	box.h = float64(len(box.lines))*fl.lineHeight(stampSize) + 2*stampPad
	return box
}

// ops draws the frame, its left side at x0, and its centred lines.
func (b stampBox) ops(fl *flow, x0 float64) []op {
	x1 := x0 + b.w
	ops := []op{
		{kind: opLine, x: x0, y: 0, x2: x1, y2: 0},
		{kind: opLine, x: x0, y: b.h, x2: x1, y2: b.h},
		{kind: opLine, x: x0, y: 0, x2: x0, y2: b.h},
		{kind: opLine, x: x1, y: 0, x2: x1, y2: b.h},
	}
	lh, base := fl.lineHeight(stampSize), fl.baseline(stampSize)
	for i, l := range b.lines {
		ops = append(ops, op{kind: opText, style: uint8(l.style), size: stampSize,
			x: x0 + (b.w-l.ln.width)/2, y: stampPad + float64(i)*lh + base, text: l.ln.text})
	}
	return ops
}

// table lays out a bordered table: the header row (bold, centred) is glued to the first
// data row and repeated above any row that opens a page; a row taller than a page is
// cut into slices.
func (fl *flow) table(b layout.Block) {
	t := b.Table
	if t == nil {
		return
	}
	cols := max(len(t.Header), len(t.Widths))
	for _, r := range t.Rows {
		cols = max(cols, len(r))
	}
	if cols == 0 {
		return
	}
	boxL := fl.left + b.LeftIndent
	tableW := fl.right - boxL
	widths := fl.tableWidths(t, cols, tableW)
	size := fl.page.SmallSize
	lh, base := fl.lineHeight(size), fl.baseline(size)

	mkRow := func(cells []string, header bool) [][]op {
		// Lines of every cell, each cell's lines as ops relative to the cell's first line.
		var cellLines [][]op
		x := boxL
		for c := range cols {
			text := ""
			if c < len(cells) {
				text = cells[c]
			}
			style, align := regular, layout.Left
			if header {
				style, align = bold, layout.Center
			} else if c == 0 && t.NumberColumn {
				align = layout.Center
			}
			inner := max(widths[c]-2*layout.TableCellPad.X, 1)
			var ops []op
			if text != "" {
				for _, ln := range fl.breakText(style, size, text, inner, 0, hyphenRagged) {
					ln.last = true
					ops = append(ops, textOp(style, size, ln, x+layout.TableCellPad.X, align, 0))
				}
			}
			cellLines = append(cellLines, ops)
			x += widths[c]
		}
		return cellLines
	}
	edges := make([]float64, 0, cols+1)
	edges = append(edges, boxL)
	for _, w := range widths {
		edges = append(edges, edges[len(edges)-1]+w)
	}
	// rowsOf makes one row of a table row, or, when it is taller than a page can hold,
	// one row per line so that it fills the page it starts on and runs on to the next;
	// such slices draw the rules between them only where a page ends.
	rowsOf := func(cellLines [][]op, room float64, header bool) []row {
		n := 1
		for _, c := range cellLines {
			n = max(n, len(c))
		}
		place := func(r *row, from, to int, top float64) {
			for _, c := range cellLines {
				shift := 0.0
				if header {
					// The DOCX centres header cells vertically (w:vAlign="center"): «№»
					// stands halfway down a header of two-line titles.
					shift = float64(n-len(c)) * lh / 2
				}
				for i := from; i < to && i < len(c); i++ {
					o := c[i]
					o.y = top + shift + float64(i-from)*lh + base
					r.ops = append(r.ops, o)
				}
			}
		}
		// Word and LibreOffice count the row's top border in its height, above the
		// padding; without it a page of 18 rows here held 19.
		padY := layout.TableCellPad.Y
		if h := tableBorder + float64(n)*lh + 2*padY; h <= room {
			r := row{h: h, grid: edges}
			place(&r, 0, n, tableBorder+padY)
			return []row{r}
		}
		rows := make([]row, n)
		for i := range rows {
			r := &rows[i]
			r.h, r.grid = lh, edges
			r.contPrev, r.contNext = i > 0, i < n-1
			r.keepWithPrev = i == 1 || (i > 0 && i == n-1)
			top := 0.0
			if i == 0 {
				r.h += tableBorder + padY
				top = tableBorder + padY
			}
			if i == n-1 {
				r.h += padY
			}
			place(r, i, i+1, top)
		}
		return rows
	}
	var header *row
	room := fl.bottom - fl.top
	if len(t.Header) > 0 {
		hr := rowsOf(mkRow(t.Header, true), room, true)
		header = &hr[0]
		fl.rows = append(fl.rows, hr...)
		room -= header.h
	}
	for i, cells := range t.Rows {
		for j, r := range rowsOf(mkRow(cells, false), room, false) {
			r.header = header
			if i == 0 && j == 0 && header != nil {
				r.keepWithPrev, r.header = true, nil
			}
			fl.rows = append(fl.rows, r)
		}
	}
}

// columnWidths sizes the columns of t from their content: the draft's weights are a
// preference, but no column is narrower than the longest piece of its text that cannot be
// broken (a word's longest hyphenation fragment with its hyphen, a no-break join, a
// number), plus the cell's padding. Columns that need more take it from the others in
// proportion to their weights. Only when the pieces cannot fit side by side at all does
// a column fall below its need, and the line breaker then cuts.
func (fl *flow) columnWidths(t *layout.Table, cols int, tableW float64) []float64 {
	weights := make([]float64, cols)
	total := 0.0
	if len(t.Widths) == cols {
		for i, w := range t.Widths {
			weights[i] = max(w, 0)
			total += weights[i]
		}
	}
	if total <= 0 {
		for i := range weights {
			weights[i] = 1
		}
	}
	size := fl.page.SmallSize
	need := make([]float64, cols)
	var pts []int
	measure := func(style, c int, text string) {
		f := fl.face(style)
		for _, token := range strings.FieldsFunc(f.normalize(text), func(r rune) bool { return r == ' ' || r == '\n' }) {
			widest, prev := 0, 0
			pts = hyph.Points(token, pts[:0])
			for _, p := range pts {
				widest = max(widest, f.units(token[prev:p])+f.units("-"))
				prev = p
			}
			widest = max(widest, f.units(token[prev:]))
			need[c] = max(need[c], mm(widest, size)+2*layout.TableCellPad.X+eps)
		}
	}
	for c, h := range t.Header {
		measure(bold, c, h)
	}
	for _, r := range t.Rows {
		for c, cell := range r {
			if c < cols {
				measure(regular, c, cell)
			}
		}
	}
	return fitColumns(weights, need, tableW)
}

// fitColumns shares width among columns in proportion to weights, giving each at least its
// need; when the needs alone exceed width, in proportion to the needs.
func fitColumns(weights, need []float64, width float64) []float64 {
	out := make([]float64, len(weights))
	sumNeed := 0.0
	for _, n := range need {
		sumNeed += n
	}
	if sumNeed >= width {
		for i, n := range need {
			out[i] = n / sumNeed * width
		}
		return out
	}
	fixed := make([]bool, len(weights))
	for {
		room, free := width, 0.0
		for i := range weights {
			if fixed[i] {
				room -= need[i]
			} else {
				free += weights[i]
			}
		}
		grown := false
		for i, w := range weights {
			if fixed[i] {
				out[i] = need[i]
				continue
			}
			if free > 0 {
				out[i] = w / free * room
			} else {
				out[i] = room / float64(len(weights))
			}
			if out[i] < need[i] {
				fixed[i], grown = true, true
			}
		}
		if !grown {
			return out
		}
	}
}

// tableWidths are the columns of t in mm: those FitTables measured, or measured now.
func (fl *flow) tableWidths(t *layout.Table, cols int, tableW float64) []float64 {
	if !t.Fitted || len(t.Widths) != cols {
		return fl.columnWidths(t, cols, tableW)
	}
	widths := make([]float64, cols)
	for c, f := range t.Widths {
		widths[c] = f * tableW
	}
	return widths
}

// FitTables replaces the draft's column weights of every table in doc with the widths
// the PDF gives the columns (as fractions of the table) and marks them Fitted, so that the
// DOCX draws the same grid and the PDF does not measure the cells a second time.
func FitTables(doc *layout.Doc) error {
	r, err := defaultRenderer()
	if err != nil {
		return err
	}
	page, err := pageOf(doc.Page)
	if err != nil {
		return err
	}
	fl := &flow{r: r, page: page, left: page.Left, right: pageW - page.Right}
	for i := range doc.Body {
		b := &doc.Body[i]
		if b.Kind != layout.TableBlock || b.Table == nil {
			continue
		}
		t := b.Table
		cols := max(len(t.Header), len(t.Widths))
		for _, r := range t.Rows {
			cols = max(cols, len(r))
		}
		if cols == 0 {
			continue
		}
		tableW := fl.right - fl.left - b.LeftIndent
		widths := fl.columnWidths(t, cols, tableW)
		for c := range widths {
			widths[c] /= tableW
		}
		t.Widths, t.Fitted = widths, true
	}
	return nil
}

// rules draws the borders of a table row placed at top: verticals at every column
// edge, and the horizontals unless the row continues a slice on the same page.
func rules(r *row, top float64, openTop, openBottom bool) []op {
	var ops []op
	first, last := r.grid[0], r.grid[len(r.grid)-1]
	if !openTop {
		ops = append(ops, op{kind: opLine, x: first, y: top, x2: last, y2: top})
	}
	if !openBottom {
		ops = append(ops, op{kind: opLine, x: first, y: top + r.h, x2: last, y2: top + r.h})
	}
	for _, x := range r.grid {
		ops = append(ops, op{kind: opLine, x: x, y: top, x2: x, y2: top + r.h})
	}
	return ops
}

// head lays out the requisites of page 1 and returns their ops and the y below them.
func (fl *flow) head(h layout.Head, e *layout.Emblem) ([]op, float64) {
	var ops []op
	size, small := fl.page.FontSize, fl.page.SmallSize
	lh := fl.lineHeight(size)
	y := fl.top
	boxL, boxW := fl.left, fl.right-fl.left
	if h.Corner {
		boxW = min(cornerWidth, boxW)
	}
	// put adds centred (or aligned) wrapped lines inside the head box.
	put := func(text string, style int, sz float64, align layout.Align) {
		if text == "" {
			return
		}
		l, base := fl.lineHeight(sz), fl.baseline(sz)
		for _, ln := range fl.breakLines(style, sz, text, boxW, 0) {
			ln.last = true
			ops = append(ops, textOp(style, sz, ln, boxL, align, y+base))
			y += l
		}
	}
	if h.DraftMark != "" {
		mark := fl.face(bold).normalize(h.DraftMark)
		w := mm(fl.face(bold).units(mark), size)
		ops = append(ops, op{kind: opText, style: bold, size: size, x: fl.right - w, y: y + fl.baseline(size), text: mark})
		if !h.Corner {
			y += lh
		}
	}
	if e != nil {
		// Centred above the first line of the letterhead, in the corner block as well.
		x := boxL + (boxW-e.Width)/2
		ops = append(ops, op{kind: opEmblem, x: x, y: y, x2: x + e.Width, y2: y + e.Height})
		y += e.Height + e.Gap
	}
	for _, p := range h.Parents {
		put(p, regular, size, layout.Center)
	}
	put(h.Name, bold, size, layout.Center)
	put(h.Subordinate, bold, size, layout.Center)
	if len(h.Contacts) > 0 {
		y += layout.HeadGap.Contacts * ptToMM
		for _, c := range h.Contacts {
			put(c, regular, small, layout.Center)
		}
	}
	if h.KindWord != "" {
		y += layout.HeadGap.Kind * ptToMM
		put(h.KindWord, bold, size, layout.Center)
	}
	if h.Date != "" || h.Number != "" {
		y += layout.HeadGap.Date * ptToMM
		date := fl.face(regular).normalize(h.Date)
		num := fl.face(regular).normalize(h.Number)
		dw, nw := mm(fl.face(regular).units(date), size), mm(fl.face(regular).units(num), size)
		base := fl.baseline(size)
		ops = append(ops, op{kind: opText, style: regular, size: size, x: boxL, y: y + base, text: date})
		if dw+nw+5 > boxW {
			y += lh // a blank date line leaves no room for the number in a corner blank
		}
		ops = append(ops, op{kind: opText, style: regular, size: size, x: boxL + boxW - nw, y: y + base, text: num})
		y += lh
	}
	put(h.Place, regular, size, layout.Center)
	return ops, y
}

// placement is where a row landed.
type placement struct {
	row        int
	page       int
	top        float64
	withHeader bool
}

// paginate places rows on pages: greedily, and when a row does not fit, the page
// breaks before the row unless keepWithPrev glues it to rows above; then the break
// moves up to the start of the glued chain (keep-with-next, widows and orphans). A
// chain that began the page is broken where it overflows, as nothing else can help.
func (fl *flow) paginate(startY float64) []placement {
	var placed []placement
	page, y := 0, startY
	fresh := false // nothing placed on the page yet (page 1 holds the head)
	pageFirst := 0
	newPage := func(i int) {
		page++
		y, fresh, pageFirst = fl.top, true, i
	}
	for i := 0; i < len(fl.rows); {
		r := &fl.rows[i]
		if r.breakBefore && !fresh {
			newPage(i)
		}
		if r.bottom > 0 {
			g := 0.0
			for _, gr := range fl.rows[i : i+r.bottom] {
				g += gr.h
			}
			// The foot of the page, also on page 1 with a QR code: the mark stands at the
			// left of it, and its place in the text must still be where the page lets the
			// text go. That place is the end of the text, not below the mark's space above:
			// the space separates the mark from text in its own column, and beside the QR
			// code there is none. The DOCX holds the place with the frame's anchor, an
			// empty paragraph of anchorH, which LibreOffice keeps above the QR code.
			if y+r.before+g <= fl.bottom+eps && y+anchorH <= fl.bottomOf(page)+eps {
				top := fl.bottom - g
				for k := i; k < i+r.bottom; k++ {
					placed = append(placed, placement{row: k, page: page, top: top})
					top += fl.rows[k].h
				}
				i += r.bottom
				y, fresh = fl.bottom, false
				continue
			}
		}
		before := r.before
		withHeader := false
		need := r.h
		if fresh {
			before = 0
			if r.header != nil {
				withHeader = true
				need += r.header.h
			}
		}
		if fresh || y+before+need <= fl.bottomOf(page)+eps {
			placed = append(placed, placement{row: i, page: page, top: y + before, withHeader: withHeader})
			y += before + need
			fresh = false
			i++
			continue
		}
		b := i
		for b > pageFirst && fl.rows[b].keepWithPrev {
			b--
		}
		if b == pageFirst {
			b = i
		}
		for len(placed) > 0 && placed[len(placed)-1].row >= b {
			placed = placed[:len(placed)-1]
		}
		newPage(b)
		i = b
	}
	return placed
}

// pages turns placements into absolute ops per page and adds page numbers from page 2.
func (fl *flow) pages(headOps []op, placed []placement) [][]op {
	n := 1
	if len(placed) > 0 {
		n = placed[len(placed)-1].page + 1
	}
	pages := make([][]op, n)
	pages[0] = append(pages[0], headOps...)
	add := func(p int, ops []op, top float64) {
		for _, o := range ops {
			o.y += top
			o.y2 += top
			pages[p] = append(pages[p], o)
		}
	}
	for k, pl := range placed {
		r := &fl.rows[pl.row]
		top := pl.top
		if pl.withHeader {
			add(pl.page, r.header.ops, top)
			pages[pl.page] = append(pages[pl.page], rules(r.header, top, false, false)...)
			top += r.header.h
		}
		add(pl.page, r.ops, top)
		if r.grid != nil {
			firstOnPage := k == 0 || placed[k-1].page != pl.page
			lastOnPage := k == len(placed)-1 || placed[k+1].page != pl.page
			pages[pl.page] = append(pages[pl.page], rules(r, top, r.contPrev && !firstOnPage, r.contNext && !lastOnPage)...)
		}
	}
	for p := range pages {
		pages[p] = mergeRules(pages[p])
	}
	size := fl.page.FontSize
	numTop := fl.page.PageNumberTop()
	for p := 1; p < n; p++ {
		s := strconv.Itoa(p + 1)
		w := mm(fl.face(regular).units(s), size)
		pages[p] = append(pages[p], op{kind: opText, style: regular, size: size,
			x: (fl.left+fl.right)/2 - w/2, y: numTop + fl.baseline(size), text: s})
	}
	return pages
}

// mergeRules joins table borders that continue each other: every row draws its own
// frame, so on a page of rows the verticals become one stroke per column and shared
// horizontals are drawn once. A 500-row table shrinks by a third.
func mergeRules(ops []op) []op {
	var rules []op
	out := ops[:0]
	for _, o := range ops {
		if o.kind == opLine {
			rules = append(rules, o)
		} else {
			out = append(out, o)
		}
	}
	if len(rules) < 2 {
		return append(out, rules...)
	}
	type seg struct {
		vertical     bool
		at, from, to float64
	}
	segs := make([]seg, 0, len(rules))
	for _, o := range rules {
		switch {
		case o.x == o.x2:
			segs = append(segs, seg{true, o.x, min(o.y, o.y2), max(o.y, o.y2)})
		case o.y == o.y2:
			segs = append(segs, seg{false, o.y, min(o.x, o.x2), max(o.x, o.x2)})
		default:
			out = append(out, o)
		}
	}
	slices.SortFunc(segs, func(a, b seg) int {
		if a.vertical != b.vertical {
			if a.vertical {
				return 1
			}
			return -1
		}
		return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.from, b.from))
	})
	const touch = 1e-6
	for i := 0; i < len(segs); {
		cur := segs[i]
		j := i + 1
		for ; j < len(segs) && segs[j].vertical == cur.vertical && math.Abs(segs[j].at-cur.at) < touch && segs[j].from <= cur.to+touch; j++ {
			cur.to = max(cur.to, segs[j].to)
		}
		if cur.vertical {
			out = append(out, op{kind: opLine, x: cur.at, y: cur.from, x2: cur.at, y2: cur.to})
		} else {
			out = append(out, op{kind: opLine, x: cur.from, y: cur.at, x2: cur.to, y2: cur.at})
		}
		i = j
	}
	return out
}
