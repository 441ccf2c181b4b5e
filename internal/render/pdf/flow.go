package pdf

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"strings"

	"orders/internal/layout"
)

// A4 portrait, in millimetres.
const (
	pageW  = 210.0
	pageH  = 297.0
	ptToMM = 25.4 / 72
	// eps absorbs float noise when a line exactly fills the space left.
	eps = 1e-6

	// The letterhead of a corner blank sits in a block this wide (ГОСТ: 7.5–8 cm).
	cornerWidth = 80.0
	ruleWidth   = 0.2 // table borders, about Word's ½ pt
	sigNameGap  = 10.0
)

type opKind uint8

const (
	opText opKind = iota
	opLine
	// opRect fills the rectangle from (x, y) to (x2, y2): the modules of the QR code.
	opRect
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
// Times-metric faces) times the document's line spacing.
func (fl *flow) lineHeight(size float64) float64 {
	f := fl.r.faces[regular]
	return float64(f.ascent-f.descent+f.lineGap) / 1000 * size * ptToMM * fl.page.LineSpacing
}

// baseline is the distance from a line's top to its baseline; extra line spacing goes
// above the text, as in Word.
func (fl *flow) baseline(size float64) float64 {
	f := fl.r.faces[regular]
	single := float64(f.ascent-f.descent+f.lineGap) / 1000 * size * ptToMM
	return fl.lineHeight(size) - single + float64(f.ascent)/1000*size*ptToMM
}

// breakLines breaks text into lines of at most boxW mm, the first one indented by
// firstIndent. Only U+0020 is a break opportunity: the no-break spaces of «А.Н. Зубова»
// and «№ 37-о» hold. "\n" forces a break. A word wider than a line is cut between
// characters rather than overflow the margin.
func (fl *flow) breakLines(style int, size float64, text string, boxW, firstIndent float64) []tline {
	f := fl.face(style)
	text = f.normalize(text)
	scale := size / 1000 * ptToMM
	spaceU := f.units(" ")
	var lines []tline
	indent := firstIndent
	for si, seg := range strings.Split(text, "\n") {
		if si > 0 {
			indent = 0
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
		for i := 0; i < len(words); {
			w := words[i]
			wu := f.units(w)
			avail := boxW - indent
			if len(cur) == 0 {
				if w == "" && len(lines) > 0 && !lines[len(lines)-1].last {
					i++ // spaces that ended up at the start of a wrapped line
					continue
				}
				if float64(wu)*scale > avail+eps {
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
			if float64(curU+spaceU+wu)*scale > avail+eps {
				emit(false)
				continue
			}
			cur, curU = append(cur, w), curU+spaceU+wu
			i++
		}
		emit(true)
	}
	return lines
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
		if !ln.last && ln.spaces > 0 && ln.avail > ln.width {
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
	lines := fl.breakLines(style, size, text, boxW, indent)
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
			nameY = r.h + base
			r.h += lh
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
		broken := fl.breakLines(style, stampSize, l, inner, 0)
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
				if len(fl.breakLines(style, stampSize, l, mid, 0)) <= n {
					hi = mid
				} else {
					lo = mid
				}
			}
			broken = fl.breakLines(style, stampSize, l, hi, 0)
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
	widths := make([]float64, cols)
	total := 0.0
	if len(t.Widths) == cols {
		for _, w := range t.Widths {
			total += max(w, 0)
		}
	}
	for i := range widths {
		if total > 0 {
			widths[i] = max(t.Widths[i], 0) / total * tableW
		} else {
			widths[i] = tableW / float64(cols)
		}
	}
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
				for _, ln := range fl.breakLines(style, size, text, inner, 0) {
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
	rowsOf := func(cellLines [][]op, room float64) []row {
		n := 1
		for _, c := range cellLines {
			n = max(n, len(c))
		}
		place := func(r *row, from, to int, top float64) {
			for _, c := range cellLines {
				for i := from; i < to && i < len(c); i++ {
					o := c[i]
					o.y = top + float64(i-from)*lh + base
					r.ops = append(r.ops, o)
				}
			}
		}
		padY := layout.TableCellPad.Y
		if h := float64(n)*lh + 2*padY; h <= room {
			r := row{h: h, grid: edges}
			place(&r, 0, n, padY)
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
				r.h += padY
				top = padY
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
		hr := rowsOf(mkRow(t.Header, true), room)
		header = &hr[0]
		fl.rows = append(fl.rows, hr...)
		room -= header.h
	}
	for i, cells := range t.Rows {
		for j, r := range rowsOf(mkRow(cells, false), room) {
			r.header = header
			if i == 0 && j == 0 && header != nil {
				r.keepWithPrev, r.header = true, nil
			}
			fl.rows = append(fl.rows, r)
		}
	}
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
func (fl *flow) head(h layout.Head) ([]op, float64) {
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
			// left of it, and the text above must still end where the page lets it.
			if y+r.before+g <= fl.bottom+eps && y+r.before <= fl.bottomOf(page)+eps {
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
