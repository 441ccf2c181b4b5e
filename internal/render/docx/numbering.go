package docx

import "orders/internal/layout"

// Word has nine list levels; layout uses at most seven (order.MaxBlockDepth+1).
const numLevels = 9

// numbering assigns a Word numbering instance (w:num) to every list of the layout.
type numbering struct {
	absBase, numBase int
	clause           map[int]int // layout list ID → numId
	order            []int       // list IDs in order of first use
	dash             int         // numId of the dash list, 0 until used
}

func (n *numbering) reset(absBase, numBase int) {
	n.absBase, n.numBase = absBase, numBase
	clear(n.clause)
	n.order = n.order[:0]
	n.dash = 0
}

// numID returns the numId and level of a numbered paragraph.
func (n *numbering) numID(l *layout.ListRef) (id, level int) {
	if l.Format == "dash" {
		if n.dash == 0 {
			n.dash = n.next()
		}
		return n.dash, 0
	}
	if n.clause == nil {
		n.clause = map[int]int{}
	}
	id, ok := n.clause[l.ID]
	if !ok {
		id = n.next()
		n.clause[l.ID] = id
		n.order = append(n.order, l.ID)
	}
	return id, min(max(l.Level, 0), numLevels-1)
}

func (n *numbering) next() int {
	id := n.numBase
	n.numBase++
	return id
}

// The indent of every level: the number starts at the paragraph indent, as a typist would
// type it, and the text follows after one space.
const levelPPr = `<w:pPr><w:ind w:left="0" w:firstLine="709"/></w:pPr>`

// appendAbstract writes the two list definitions: clauses «1.» «1.1.» … and dashes «–».
func (n *numbering) appendAbstract(b []byte) []byte {
	b = append(b, `<w:abstractNum w:abstractNumId="`...)
	b = appendInt(b, n.absBase)
	b = append(b, `"><w:nsid w:val="6F5A1C01"/><w:multiLevelType w:val="multilevel"/><w:tmpl w:val="6F5A1C01"/>`...)
	text := make([]byte, 0, 32)
	for lvl := range numLevels {
		text = append(text, '%')
		text = appendInt(text, lvl+1)
		text = append(text, '.')
		b = append(b, `<w:lvl w:ilvl="`...)
		b = appendInt(b, lvl)
		b = append(b, `"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:suff w:val="space"/><w:lvlText w:val="`...)
		b = append(b, text...)
		b = append(b, `"/><w:lvlJc w:val="left"/>`+levelPPr+`</w:lvl>`...)
	}
	b = append(b, `</w:abstractNum>`...)

	b = append(b, `<w:abstractNum w:abstractNumId="`...)
	b = appendInt(b, n.absBase+1)
	b = append(b, `"><w:nsid w:val="6F5A1C02"/><w:multiLevelType w:val="singleLevel"/><w:tmpl w:val="6F5A1C02"/>`...)
	b = append(b, `<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="bullet"/><w:suff w:val="space"/><w:lvlText w:val="–"/><w:lvlJc w:val="left"/>`+levelPPr+`</w:lvl>`...)
	return append(b, `</w:abstractNum>`...)
}

// appendNums writes one w:num per list. Instances of one abstractNum share their counters
// in Word unless each restarts explicitly, so every clause list restarts all its levels:
// that is what makes each appendix count from 1 again.
func (n *numbering) appendNums(b []byte) []byte {
	for _, list := range n.order {
		b = append(b, `<w:num w:numId="`...)
		b = appendInt(b, n.clause[list])
		b = append(b, `"><w:abstractNumId w:val="`...)
		b = appendInt(b, n.absBase)
		b = append(b, `"/>`...)
		for lvl := range numLevels {
			b = append(b, `<w:lvlOverride w:ilvl="`...)
			b = appendInt(b, lvl)
			b = append(b, `"><w:startOverride w:val="1"/></w:lvlOverride>`...)
		}
		b = append(b, `</w:num>`...)
	}
	if n.dash != 0 {
		b = append(b, `<w:num w:numId="`...)
		b = appendInt(b, n.dash)
		b = append(b, `"><w:abstractNumId w:val="`...)
		b = appendInt(b, n.absBase+1)
		b = append(b, `"/></w:num>`...)
	}
	return b
}
