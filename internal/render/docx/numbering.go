package docx

import (
	"strconv"

	"orders/internal/layout"
)

// Word has nine list levels; a format with more is cut to them.
const numLevels = 9

// numbering assigns Word numbering to the lists of the layout: an abstractNum per numbering
// format the layout used (generated from its levels, so Word counts as the layout labelled),
// and a w:num per list. Bulleted formats count nothing, so all their lists share one w:num.
type numbering struct {
	absBase, numBase int
	formats          []*layout.NumFormat // in order of first use; abstractNumId = absBase+index
	lists            []list              // w:num instances in order of first use
	byList           map[listKey]int     // → index in lists
}

type listKey struct {
	id     int // the layout's list ID, 0 for a shared bulleted list
	format *layout.NumFormat
}

type list struct {
	numID, abs int
	restart    bool
}

func (n *numbering) reset(absBase, numBase int) {
	n.absBase, n.numBase = absBase, numBase
	n.formats = n.formats[:0]
	n.lists = n.lists[:0]
	clear(n.byList)
}

// numID returns the numId and level of a numbered paragraph.
func (n *numbering) numID(l *layout.ListRef) (id, level int) {
	if n.byList == nil {
		n.byList = map[listKey]int{}
	}
	key := listKey{id: l.ID, format: l.Format}
	bulleted := l.Format.Bulleted()
	if bulleted {
		key.id = 0
	}
	i, ok := n.byList[key]
	if !ok {
		abs := -1
		for j, f := range n.formats {
			if f == l.Format {
				abs = j
			}
		}
		if abs < 0 {
			abs = len(n.formats)
			n.formats = append(n.formats, l.Format)
		}
		i = len(n.lists)
		n.lists = append(n.lists, list{numID: n.numBase, abs: n.absBase + abs, restart: !bulleted})
		n.numBase++
		n.byList[key] = i
	}
	return n.lists[i].numID, min(max(l.Level, 0), len(l.Format.Levels)-1, numLevels-1)
}

// The indent of every level: the number starts at the paragraph indent, as a typist would
// type it, and the text follows after one space.
const levelPPr = `<w:pPr><w:ind w:left="0" w:firstLine="709"/></w:pPr>`

// numFmt is Word's name of a counter style.
func numFmt(s layout.NumStyle) string {
	switch s {
	case layout.RussianLower:
		return "russianLower"
	case layout.Bullet:
		return "bullet"
	}
	return "decimal"
}

// appendAbstract writes a list definition per numbering format used.
func (n *numbering) appendAbstract(b []byte) []byte {
	for i, f := range n.formats {
		// nsid identifies a definition when lists are pasted between documents.
		nsid := strconv.FormatUint(uint64(0x6F5A1C01+i), 16)
		kind := "singleLevel"
		if len(f.Levels) > 1 {
			kind = "multilevel"
		}
		b = append(b, `<w:abstractNum w:abstractNumId="`...)
		b = appendInt(b, n.absBase+i)
		b = append(b, `"><w:nsid w:val="`...)
		b = appendUpper(b, nsid)
		b = append(b, `"/><w:multiLevelType w:val="`+kind+`"/><w:tmpl w:val="`...)
		b = appendUpper(b, nsid)
		b = append(b, `"/>`...)
		for lvl, l := range f.Levels[:min(len(f.Levels), numLevels)] {
			b = append(b, `<w:lvl w:ilvl="`...)
			b = appendInt(b, lvl)
			b = append(b, `"><w:start w:val="1"/><w:numFmt w:val="`+numFmt(l.Style)+`"/><w:suff w:val="space"/><w:lvlText w:val="`...)
			b = appendAttr(b, l.Text)
			b = append(b, `"/><w:lvlJc w:val="left"/>`+levelPPr+`</w:lvl>`...)
		}
		b = append(b, `</w:abstractNum>`...)
	}
	return b
}

func appendUpper(b []byte, hex string) []byte {
	for i := range len(hex) {
		c := hex[i]
		if c >= 'a' && c <= 'f' {
			c -= 'a' - 'A'
		}
		b = append(b, c)
	}
	return b
}

// appendNums writes one w:num per list. Instances of one abstractNum share their counters
// in Word unless each restarts explicitly, so every counted list restarts all its levels:
// that is what makes each appendix, and each «1)» list of a clause, count from 1 again.
func (n *numbering) appendNums(b []byte) []byte {
	for _, l := range n.lists {
		b = append(b, `<w:num w:numId="`...)
		b = appendInt(b, l.numID)
		b = append(b, `"><w:abstractNumId w:val="`...)
		b = appendInt(b, l.abs)
		b = append(b, `"/>`...)
		if l.restart {
			for lvl := range min(len(n.formats[l.abs-n.absBase].Levels), numLevels) {
				b = append(b, `<w:lvlOverride w:ilvl="`...)
				b = appendInt(b, lvl)
				b = append(b, `"><w:startOverride w:val="1"/></w:lvlOverride>`...)
			}
		}
		b = append(b, `</w:num>`...)
	}
	return b
}
