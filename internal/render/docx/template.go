package docx

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	godocx "github.com/lukasjarosch/go-docx"
)

// ErrTemplate wraps every problem found in a letterhead template, so that a service can
// tell a bad upload from a failure of its own.
var ErrTemplate = errors.New("docx: letterhead template")

// Field names a template may use as {placeholders}, in the order they appear on a letterhead.
// Optional fields may be empty; a paragraph that holds nothing but an empty optional field
// disappears instead of leaving a blank line.
var fields = []struct {
	name     string
	optional bool
}{
	{"draft_mark", true},
	{"parents", true},
	{"organization", false},
	{"subordinate", true},
	{"contacts", true},
	{"kind", false},
	{"date", false},
	{"number", false},
	{"place", true},
}

// bodyField marks the paragraph that the generated text replaces.
const bodyField = "body"

// Placeholders returns the {fields} a letterhead template may contain, body marker last.
func Placeholders() []string {
	out := make([]string, 0, len(fields)+1)
	for _, f := range fields {
		out = append(out, "{"+f.name+"}")
	}
	return append(out, "{"+bodyField+"}")
}

// goDocxMu serializes go-docx: it keeps run and fragment counters in package variables.
var goDocxMu sync.Mutex

// LockGoDocx serializes a use of go-docx outside this package (internal/docxtmpl, Word
// order templates) with this package's own; it returns the unlock.
func LockGoDocx() (unlock func()) {
	goDocxMu.Lock()
	return goDocxMu.Unlock
}

// Sentinels stand in for the fields after go-docx has found them (also when Word split a
// placeholder across runs). They use private-use characters that go-docx does not escape and
// that never occur in a letterhead, so each document is filled by plain byte substitution
// instead of a second pass of go-docx.
const (
	sentinelOpen  = "\uE000orders:"
	sentinelClose = "\uE001"
)

func sentinel(name string) string { return sentinelOpen + name + sentinelClose }

type holeKind int

const (
	holeField   holeKind = iota // a field value inside a <w:t>
	holeOptPara                 // a paragraph dropped when its only field is empty
	holeBody                    // the {body} paragraph
	holePgMar                   // the body's <w:pgMar>, rewritten from layout.Page
	holeTabPos                  // a right tab stop at the text width (its pos value)
	holeEmblem                  // before the letterhead's first paragraph: the emblem's paragraph
)

// segment is a piece of a prepared part: literal bytes or a hole filled per document.
type segment struct {
	lit   []byte
	kind  holeKind
	field int       // index into fields for holeField and holeOptPara
	inner []segment // the paragraph of a holeOptPara
}

// part is one zip entry of the output package.
type part struct {
	name string
	// raw is the deflated content of a part that never changes, with its CRC and size,
	// so that it is copied into every document without compressing it again.
	raw       []byte
	crc       uint32
	size      uint64
	segs      []segment // a part filled per document
	numbering bool      // numbering.xml, generated per document
	core      bool      // docProps/core.xml, generated per document
	// with is the part as a document with pictures needs it (the document's relationships,
	// the content types), by picture set (picQR, picEmblem or both); nil if it is the same.
	with [picAll + 1]*part
}

// prepared is a letterhead template analysed once and reused for every document.
type prepared struct {
	parts []part
	// Numbering merges with the template's own: our definitions go between numHead and
	// numMid (after its abstractNums) and between numMid and numTail (after its nums).
	numHead, numMid, numTail []byte
	absBase, numBase         int // first free abstractNumId and numId

	pageWidth                      int // twips
	headerDist, footerDist, gutter string
	// builtin: one of templates/letterhead, whose header distance follows the layout.
	builtin bool
}

// prepare reads a template, lets go-docx find its placeholders, checks that nothing is
// left over, and cuts the parts into segments.
func prepare(tmpl []byte) (*prepared, error) {
	zr, err := zip.NewReader(bytes.NewReader(tmpl), int64(len(tmpl)))
	if err != nil {
		return nil, fmt.Errorf("%w: not a .docx (zip) file: %v", ErrTemplate, err)
	}
	type entry struct {
		name string
		data []byte
	}
	var entries []entry
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, "/") {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrTemplate, f.Name, err)
		}
		data, err := io.ReadAll(io.LimitReader(rc, 64<<20))
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrTemplate, f.Name, err)
		}
		entries = append(entries, entry{f.Name, data})
	}

	filled, err := fillSentinels(tmpl)
	if err != nil {
		return nil, err
	}

	p := &prepared{}
	byName := map[string][]byte{}
	for _, e := range entries {
		byName[e.name] = e.data
	}
	if _, ok := byName[godocx.DocumentXml]; !ok {
		return nil, fmt.Errorf("%w: no %s", ErrTemplate, godocx.DocumentXml)
	}

	// Where the numbering and the core properties live, and what must be added for them.
	docRels := "word/_rels/document.xml.rels"
	numName, docRelsOut, err := ensureRel(byName[docRels], "word", relNumbering, "numbering.xml", "rIdOrdersNumbering")
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrTemplate, docRels, err)
	}
	coreName, pkgRelsOut, err := ensureRel(byName["_rels/.rels"], "", relCore, "docProps/core.xml", "rIdOrdersCore")
	if err != nil {
		return nil, fmt.Errorf("%w: _rels/.rels: %v", ErrTemplate, err)
	}
	settingsName, docRelsOut, err := ensureRel(docRelsOut, "word", relSettings, "settings.xml", "rIdOrdersSettings")
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrTemplate, docRels, err)
	}
	settingsOut, err := hyphenateSettings(byName[settingsName])
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrTemplate, settingsName, err)
	}
	ctOut, err := ensureOverrides(byName["[Content_Types].xml"], map[string]string{numName: ctNumbering, coreName: ctCore, settingsName: ctSettings})
	if err != nil {
		return nil, fmt.Errorf("%w: [Content_Types].xml: %v", ErrTemplate, err)
	}
	var docRelsWith, ctWith [picAll + 1][]byte
	for _, pc := range pictureParts {
		if _, ok := byName[pc.part]; ok || bytes.Contains(docRelsOut, []byte(`"`+pc.relID+`"`)) {
			return nil, fmt.Errorf("%w: %s or the relationship %s is reserved for the %s", ErrTemplate, pc.part, pc.relID, pc.what)
		}
	}
	for set := picQR; set <= picAll; set++ {
		rels, over := docRelsOut, map[string]string{}
		for _, pc := range pictureParts {
			if set&pc.set == 0 {
				continue
			}
			if rels, err = addRel(rels, pc.relID, relImage, "media/"+pc.media); err != nil {
				return nil, fmt.Errorf("%w: %s: %v", ErrTemplate, docRels, err)
			}
			over[pc.part] = ctPNG
		}
		docRelsWith[set] = rels
		if ctWith[set], err = ensureOverrides(ctOut, over); err != nil {
			return nil, fmt.Errorf("%w: [Content_Types].xml: %v", ErrTemplate, err)
		}
	}
	if err := p.splitNumbering(byName[numName]); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrTemplate, numName, err)
	}

	// [Content_Types].xml goes first: some readers sniff the package by its first entry.
	order := []string{"[Content_Types].xml"}
	for _, e := range entries {
		if e.name != "[Content_Types].xml" {
			order = append(order, e.name)
		}
	}
	for _, n := range []string{docRels, "_rels/.rels", numName, coreName, settingsName} {
		if !slices.Contains(order, n) {
			order = append(order, n)
		}
	}

	bodies := 0
	for _, name := range order {
		pt := part{name: name}
		var static []byte
		var staticWith *[picAll + 1][]byte
		switch {
		case name == "[Content_Types].xml":
			static, staticWith = ctOut, &ctWith
		case name == docRels:
			static, staticWith = docRelsOut, &docRelsWith
		case name == "_rels/.rels":
			static = pkgRelsOut
		case name == settingsName:
			static = settingsOut
		case name == numName:
			pt.numbering = true
		case name == coreName:
			pt.core = true
		default:
			static = byName[name]
			if data, ok := filled[name]; ok {
				segs, nbody, err := p.analyse(name, data)
				if err != nil {
					return nil, err
				}
				bodies += nbody
				if hasHoles(segs) {
					pt.segs = segs
					static = nil
				}
			}
		}
		if static != nil {
			pt.raw, pt.crc, pt.size = deflateStatic(static)
		}
		if staticWith != nil {
			for set := picQR; set <= picAll; set++ {
				q := part{name: name}
				q.raw, q.crc, q.size = deflateStatic(staticWith[set])
				pt.with[set] = &q
			}
		}
		p.parts = append(p.parts, pt)
	}
	if bodies != 1 {
		return nil, fmt.Errorf("%w: want exactly one {%s} paragraph in %s, found %d", ErrTemplate, bodyField, godocx.DocumentXml, bodies)
	}
	if p.pageWidth == 0 {
		return nil, fmt.Errorf("%w: %s has no page size (w:sectPr/w:pgSz) at the end of its body", ErrTemplate, godocx.DocumentXml)
	}
	return p, nil
}

// fillSentinels runs go-docx over the template once, putting sentinels where the fields
// were, and returns the parts it handles (document, headers, footers).
func fillSentinels(tmpl []byte) (map[string][]byte, error) {
	m := godocx.PlaceholderMap{bodyField: sentinel(bodyField)}
	for _, f := range fields {
		m[f.name] = sentinel(f.name)
	}
	goDocxMu.Lock()
	defer goDocxMu.Unlock()
	d, err := godocx.OpenBytes(tmpl)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrTemplate, err)
	}
	defer d.Close()
	if err := d.ReplaceAll(m); err != nil {
		return nil, fmt.Errorf("%w: filling placeholders: %v", ErrTemplate, err)
	}
	zr, err := zip.NewReader(bytes.NewReader(tmpl), int64(len(tmpl)))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrTemplate, err)
	}
	out := map[string][]byte{}
	for _, f := range zr.File {
		if f.Name == godocx.DocumentXml || godocx.HeaderPathRegex.MatchString(f.Name) || godocx.FooterPathRegex.MatchString(f.Name) {
			if b := d.GetFile(f.Name); b != nil {
				out[f.Name] = bytes.Clone(b)
			}
		}
	}
	return out, nil
}

var leftoverRe = regexp.MustCompile(`\{[A-Za-z_][A-Za-z0-9_]*\}`)

// hole is a range of a part to be filled per document.
type hole struct {
	start, end int
	kind       holeKind
	field      int
}

// frame is an open element while analyse walks a part.
type frame struct {
	name  xml.Name
	start int
	para  *paraInfo
	// candidates are child paragraphs holding only an optional field; keep counts the
	// children that stay, which a table cell needs at least one of.
	candidates []hole
	keep       int
	hasTable   bool
}

// paraInfo is what analyse remembers of a paragraph until its container closes.
type paraInfo struct {
	text      strings.Builder
	hasSectPr bool
}

// analyse checks one filled part (well-formed, no placeholder left) and finds its holes.
// It returns the number of {body} paragraphs found.
func (p *prepared) analyse(name string, data []byte) ([]segment, int, error) {
	isDoc := name == godocx.DocumentXml
	var holes []hole
	bodies := 0
	emblemPlaced := false

	// Sentinels: one hole each.
	for off := 0; ; {
		i := bytes.Index(data[off:], []byte(sentinelOpen))
		if i < 0 {
			break
		}
		start := off + i
		j := bytes.Index(data[start:], []byte(sentinelClose))
		if j < 0 {
			return nil, 0, fmt.Errorf("%w: %s: broken placeholder", ErrTemplate, name)
		}
		end := start + j + len(sentinelClose)
		key := string(data[start+len(sentinelOpen) : start+j])
		holes = append(holes, hole{start: start, end: end, kind: holeField, field: fieldIndex(key)})
		off = end
	}

	var stack []*frame
	parent := func(up int) *frame {
		if len(stack) > up {
			return stack[len(stack)-1-up]
		}
		return nil
	}
	inT := false
	var templWidth struct{ left, right int }
	dec := xml.NewDecoder(bytes.NewReader(data))
	for {
		off := int(dec.InputOffset())
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, 0, fmt.Errorf("%w: %s: not well-formed after filling: %v", ErrTemplate, name, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) == 0 && isDoc && !declaresW(data[off:dec.InputOffset()]) {
				return nil, 0, fmt.Errorf("%w: %s must bind the prefix w: to %s on its root", ErrTemplate, name, nsW)
			}
			f := &frame{name: t.Name, start: off}
			if t.Name.Space == nsW {
				switch t.Name.Local {
				case "p":
					f.para = &paraInfo{}
				case "t":
					inT = true
				case "tbl":
					if pf := parent(0); pf != nil {
						pf.hasTable = true
					}
				case "sectPr":
					for i := len(stack) - 1; i >= 0; i-- {
						if stack[i].para != nil {
							stack[i].para.hasSectPr = true
							break
						}
					}
				case "pgSz":
					if isBodySect(stack) {
						p.pageWidth = attrInt(t, "w")
					}
				case "pgMar":
					if isBodySect(stack) {
						templWidth.left, templWidth.right = attrInt(t, "left"), attrInt(t, "right")
						p.headerDist, p.footerDist, p.gutter = attrStr(t, "header"), attrStr(t, "footer"), attrStr(t, "gutter")
					}
				}
			}
			stack = append(stack, f)
		case xml.EndElement:
			f := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			end := int(dec.InputOffset())
			if t.Name.Space != nsW {
				break
			}
			switch t.Name.Local {
			case "t":
				inT = false
			case "pgMar":
				if isBodySect(stack) {
					holes = append(holes, hole{start: f.start, end: end, kind: holePgMar})
				}
			case "tab":
				if pf := parent(0); pf != nil && pf.name.Local == "tabs" {
					holes = append(holes, hole{start: f.start, end: end, kind: holeTabPos, field: -1})
				}
			case "p":
				text := strings.TrimSpace(f.para.text.String())
				// The emblem goes above the first line of the letterhead: the parents' names
				// or the organization's, whichever comes first.
				if isDoc && !emblemPlaced && (strings.Contains(text, sentinel("parents")) || strings.Contains(text, sentinel("organization"))) {
					holes = append(holes, hole{start: f.start, end: f.start, kind: holeEmblem})
					emblemPlaced = true
				}
				if pp := parent(0); pp != nil {
					for i := len(stack) - 1; i >= 0; i-- {
						if stack[i].para != nil {
							stack[i].para.text.WriteString(text)
							break
						}
					}
					key, isField := strings.CutPrefix(text, sentinelOpen)
					key, closed := strings.CutSuffix(key, sentinelClose)
					single := isField && closed && !strings.Contains(key, sentinelClose)
					switch {
					case single && key == bodyField:
						if !isDoc || pp.name.Local != "body" || f.para.hasSectPr {
							return nil, 0, fmt.Errorf("%w: %s: the {%s} paragraph must stand alone directly in the document body, outside tables, frames and headers", ErrTemplate, name, bodyField)
						}
						holes = append(holes, hole{start: f.start, end: end, kind: holeBody})
						bodies++
						pp.keep++
					case single && fieldIndex(key) >= 0 && fields[fieldIndex(key)].optional && !f.para.hasSectPr:
						pp.candidates = append(pp.candidates, hole{start: f.start, end: end, kind: holeOptPara, field: fieldIndex(key)})
					default:
						pp.keep++
					}
				}
			case "body":
				holes = append(holes, f.candidates...)
			case "tc":
				// A cell must keep a paragraph and must not end in a table.
				if f.keep > 0 && !f.hasTable {
					holes = append(holes, f.candidates...)
				}
			}
		case xml.CharData:
			if inT {
				for i := len(stack) - 1; i >= 0; i-- {
					if stack[i].para != nil {
						stack[i].para.text.Write(t)
						break
					}
				}
			}
		}
	}
	if err := checkLeftovers(name, data); err != nil {
		return nil, 0, err
	}
	if isDoc {
		tw := p.pageWidth - templWidth.left - templWidth.right
		holes = slices.DeleteFunc(holes, func(h hole) bool {
			return h.kind == holeTabPos && !rightTabAt(data[h.start:h.end], tw)
		})
	} else {
		// Header tab stops stay as designed: their width follows the template's margins.
		holes = slices.DeleteFunc(holes, func(h hole) bool { return h.kind == holeTabPos })
	}
	segs := nest(data, holes)
	if strayBody(segs) {
		return nil, 0, fmt.Errorf("%w: %s: {%s} must be the only text of its paragraph", ErrTemplate, name, bodyField)
	}
	return segs, bodies, nil
}

// strayBody reports a {body} marker left outside the paragraph that the body replaces.
func strayBody(segs []segment) bool {
	for _, s := range segs {
		if s.lit == nil && (s.kind == holeField && s.field < 0 || strayBody(s.inner)) {
			return true
		}
	}
	return false
}

// checkLeftovers reports a {placeholder} that go-docx did not fill: an unknown name, a
// typo, or one it could not parse. Text is joined per paragraph, as Word shows it.
func checkLeftovers(name string, data []byte) error {
	dec := xml.NewDecoder(bytes.NewReader(data))
	var sb strings.Builder
	inT := false
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Space == nsW && t.Name.Local == "t" {
				inT = true
			}
		case xml.EndElement:
			if t.Name.Space == nsW && t.Name.Local == "t" {
				inT = false
			}
			if t.Name.Space == nsW && t.Name.Local == "p" {
				sb.WriteByte('\n')
			}
		case xml.CharData:
			if inT {
				sb.Write(t)
			}
		}
	}
	if m := leftoverRe.FindAllString(sb.String(), -1); len(m) > 0 {
		return fmt.Errorf("%w: %s: unknown or unfilled placeholders %s (known: %s)", ErrTemplate, name,
			strings.Join(m, ", "), strings.Join(Placeholders(), ", "))
	}
	return nil
}

func fieldIndex(name string) int {
	for i, f := range fields {
		if f.name == name {
			return i
		}
	}
	return -1
}

var wDeclRe = regexp.MustCompile(`xmlns:w\s*=\s*["']` + regexp.QuoteMeta(nsW) + `["']`)

func declaresW(tag []byte) bool { return wDeclRe.Match(tag) }

// isBodySect reports whether the open elements end in w:body/w:sectPr.
func isBodySect(stack []*frame) bool {
	n := len(stack)
	return n >= 2 && stack[n-1].name.Local == "sectPr" && stack[n-2].name.Local == "body"
}

func attrStr(t xml.StartElement, local string) string {
	for _, a := range t.Attr {
		if a.Name.Local == local && (a.Name.Space == nsW || a.Name.Space == "") {
			return a.Value
		}
	}
	return ""
}

func attrInt(t xml.StartElement, local string) int {
	n, _ := strconv.Atoi(attrStr(t, local))
	return n
}

var (
	tabValRe = regexp.MustCompile(`\bw:val="(right|end)"`)
	tabPosRe = regexp.MustCompile(`\bw:pos="(-?\d+)"`)
)

// rightTabAt reports whether a <w:tab> element is a right tab within a few twips of width.
func rightTabAt(el []byte, width int) bool {
	if !tabValRe.Match(el) {
		return false
	}
	m := tabPosRe.FindSubmatch(el)
	if m == nil {
		return false
	}
	pos, _ := strconv.Atoi(string(m[1]))
	return pos >= width-5 && pos <= width+5
}

// nest turns sorted, possibly nested holes into segments: optional paragraphs contain
// their field, the body paragraph swallows its marker.
func nest(data []byte, holes []hole) []segment {
	sort.Slice(holes, func(i, j int) bool {
		if holes[i].start != holes[j].start {
			return holes[i].start < holes[j].start
		}
		// An empty hole (the emblem's place) goes before the paragraph that starts there,
		// never into it: an optional paragraph that is dropped must not take it along.
		if ei, ej := holes[i].start == holes[i].end, holes[j].start == holes[j].end; ei != ej {
			return ei
		}
		return holes[i].end > holes[j].end
	})
	var build func(from, to int, hs []hole) []segment
	build = func(from, to int, hs []hole) []segment {
		var segs []segment
		pos := from
		for i := 0; i < len(hs); {
			h := hs[i]
			j := i + 1
			for j < len(hs) && hs[j].start < h.end {
				j++
			}
			if h.start > pos {
				segs = append(segs, segment{lit: data[pos:h.start]})
			}
			switch h.kind {
			case holeOptPara:
				segs = append(segs, segment{kind: holeOptPara, field: h.field, inner: build(h.start, h.end, hs[i+1:j])})
			case holeTabPos:
				// Only the value of w:pos changes; the rest of the element stays as typed.
				el := data[h.start:h.end]
				loc := tabPosRe.FindSubmatchIndex(el)
				segs = append(segs,
					segment{lit: el[:loc[2]]},
					segment{kind: holeTabPos},
					segment{lit: el[loc[3]:]})
			default:
				segs = append(segs, segment{kind: h.kind, field: h.field})
			}
			pos = h.end
			i = j
		}
		if pos < to {
			segs = append(segs, segment{lit: data[pos:to]})
		}
		return segs
	}
	return build(0, len(data), holes)
}

func hasHoles(segs []segment) bool {
	return len(segs) != 1 || segs[0].lit == nil
}
