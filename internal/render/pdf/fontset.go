package pdf

import (
	"bytes"
	"compress/zlib"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf16"

	"codeberg.org/go-pdf/fpdf"
)

// Styles index Renderer.faces.
const (
	regular = iota
	bold
	italic
	boldItalic
	numStyles
)

var styleNames = [numStyles]string{"R", "B", "I", "BI"}

// plane is one simple-font view of a subset: up to 223 runes besides the space, each
// given a one-byte code. Code 32 is the space in every plane so that the Tw operator
// justifies lines. A Russian order needs one plane per style (≈160 distinct characters);
// more planes appear only for text with an unusually wide repertoire.
type plane struct {
	family string
	cw     []int
	diff   strings.Builder
	// uni is what each code stands for, 0 where the code is unused.
	uni [256]rune
}

// styleFont is one face as used by one document: its subset and planes.
type styleFont struct {
	face   *face
	planes []*plane
	// where maps a rune to its plane and code.
	where map[rune]planeCode
}

type planeCode struct {
	plane int
	code  byte
}

// docFonts holds the fonts of one document.
type docFonts struct {
	styles [numStyles]*styleFont
}

// zlibPool keeps compressors: creating one costs ~1.2 MB and ~0.9 ms, more than the
// whole render budget, while a Reset one costs nothing.
var zlibPool = sync.Pool{New: func() any {
	// BestSpeed: the font subset is most of the work of a render, and the default level
	// costs about three times as long for a file a few kilobytes smaller.
	w, _ := zlib.NewWriterLevel(nil, zlib.BestSpeed)
	return w
}}

func deflate(data []byte) []byte {
	var buf bytes.Buffer
	buf.Grow(len(data)/2 + 64)
	w := zlibPool.Get().(*zlib.Writer)
	w.Reset(&buf)
	w.Write(data)
	w.Close()
	zlibPool.Put(w)
	return buf.Bytes()
}

// newDocFonts subsets each used style to the runes the document draws and registers it
// with pdf as a TrueType simple font whose font file is already compressed, so fpdf
// copies it verbatim instead of parsing and subsetting a 400 KB TTF per document.
func (r *Renderer) newDocFonts(pdf *fpdf.Fpdf, used *[numStyles]map[rune]struct{}) (*docFonts, error) {
	df := &docFonts{}
	for s := range numStyles {
		if len(used[s]) == 0 {
			continue
		}
		f := r.faces[s]
		runes := make([]rune, 0, len(used[s])+1)
		for ru := range used[s] {
			runes = append(runes, ru)
		}
		if _, ok := used[s][' ']; !ok {
			runes = append(runes, ' ')
		}
		slices.Sort(runes)
		sf := &styleFont{face: f, where: make(map[rune]planeCode, len(runes))}
		sf.assign(runes)

		font := f.subset(runes)
		sum := sha256.Sum256(font)
		// A subset's PostScript name carries a six-letter tag (ISO 32000-1, 9.6.4); taking
		// it from the subset's bytes keeps output deterministic.
		var tag [7]byte
		for i := range 6 {
			tag[i] = 'A' + sum[i]%26
		}
		tag[6] = '+'
		name := string(tag[:]) + f.psName
		file := "f" + styleNames[s] + ".z"
		z := deflate(font)
		for pi, p := range sf.planes {
			p.family = "f" + styleNames[s] + strconv.Itoa(pi)
			def := fontDef{
				Tp:   "TrueType",
				Name: name,
				Desc: fpdf.FontDescType{
					Ascent: f.ascent, Descent: f.descent, CapHeight: f.capHeight, Flags: f.flags,
					ItalicAngle: f.italicAngle, StemV: f.stemV,
				},
				Up: f.underlinePos, Ut: f.underlineT,
				Cw: p.cw, Diff: p.diff.String(), File: file, OriginalSize: len(font),
			}
			def.Desc.FontBBox.Xmin, def.Desc.FontBBox.Ymin = f.bbox[0], f.bbox[1]
			def.Desc.FontBBox.Xmax, def.Desc.FontBBox.Ymax = f.bbox[2], f.bbox[3]
			js, err := json.Marshal(def)
			if err != nil {
				return nil, err
			}
			pdf.AddFontFromBytes(p.family, "", js, z)
		}
		df.styles[s] = sf
	}
	if err := pdf.Error(); err != nil {
		return nil, fmt.Errorf("pdf: register fonts: %w", err)
	}
	return df, nil
}

// toUnicode gives, for each encoding of the document's fonts (the /Differences string fpdf
// writes, "" for plain WinAnsi), the ToUnicode CMap of the codes it uses. Planes with the
// same /Differences share one fpdf encoding object; their other codes are ASCII, which
// keeps its own code in every plane, so one CMap serves them all.
func (df *docFonts) toUnicode() map[string][]byte {
	var union = map[string]*[256]rune{}
	for _, sf := range df.styles {
		if sf == nil {
			continue
		}
		for _, p := range sf.planes {
			key := p.diff.String()
			u := union[key]
			if u == nil {
				u = new([256]rune)
				union[key] = u
			}
			for c, r := range p.uni {
				if r != 0 {
					u[c] = r
				}
			}
		}
	}
	out := make(map[string][]byte, len(union))
	for key, u := range union {
		out[key] = cmapStream(u)
	}
	return out
}

// cmapStream writes a ToUnicode CMap (Adobe's 5099 technical note) for one-byte codes.
// Codes were given in the order of their runes, so most of the alphabet is a few ranges of
// consecutive codes for consecutive characters: a few hundred bytes, cheaper to store than
// to deflate. The no-break space maps to U+0020, as its glyph name always made readers
// extract it: a search for «А.Н. Зубова» typed with an ordinary space finds it.
func cmapStream(u *[256]rune) []byte {
	const hexDigits = "0123456789ABCDEF"
	b := make([]byte, 0, 1024)
	b = append(b, "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"+
		"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"+
		"/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"+
		"1 begincodespacerange\n<00> <FF>\nendcodespacerange\n"...)
	uni := func(c int) rune {
		if u[c] == '\u00a0' {
			return ' '
		}
		return u[c]
	}
	code := func(b []byte, c int) []byte { return append(b, '<', hexDigits[c>>4], hexDigits[c&15], '>') }
	char := func(b []byte, r rune) []byte {
		b = append(b, '<')
		for _, v := range utf16.Encode([]rune{r}) {
			b = append(b, hexDigits[v>>12], hexDigits[v>>8&15], hexDigits[v>>4&15], hexDigits[v&15])
		}
		return append(b, '>')
	}
	// Runs of codes c…c+n-1 standing for r…r+n-1, in the Basic Multilingual Plane and
	// within one 256-character block: bfrange counts up only the last byte.
	type run struct{ from, to int }
	var ranges, singles []run
	for c := 0; c < 256; c++ {
		if u[c] == 0 {
			continue
		}
		end := c
		for end+1 < 256 && u[end+1] != 0 && uni(end+1) == uni(end)+1 && uni(end+1) <= 0xFFFF && uni(end+1)&0xFF != 0 {
			end++
		}
		if end > c {
			ranges = append(ranges, run{c, end})
		} else {
			singles = append(singles, run{c, c})
		}
		c = end
	}
	for _, part := range []struct {
		runs       []run
		begin, end string
	}{{ranges, " beginbfrange\n", "endbfrange\n"}, {singles, " beginbfchar\n", "endbfchar\n"}} {
		for rs := part.runs; len(rs) > 0; {
			n := min(len(rs), 100) // at most 100 entries per block
			b = strconv.AppendInt(b, int64(n), 10)
			b = append(b, part.begin...)
			for _, r := range rs[:n] {
				b = code(b, r.from)
				b = append(b, ' ')
				if r.to > r.from {
					b = code(b, r.to)
					b = append(b, ' ')
				}
				b = char(b, uni(r.from))
				b = append(b, '\n')
			}
			b = append(b, part.end...)
			rs = rs[n:]
		}
	}
	return append(b, "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n"...)
}

// fontDef mirrors the JSON font definition fpdf reads in AddFontFromBytes.
type fontDef struct {
	Tp           string
	Name         string
	Desc         fpdf.FontDescType
	Up, Ut       int
	Cw           []int
	Enc          string
	Diff         string
	File         string
	OriginalSize int
}

// assign gives each rune a code. In the first plane printable ASCII keeps its own code
// (the content stream stays readable), other runes take 127–255 and then the ASCII
// codes left unused.
func (sf *styleFont) assign(runes []rune) {
	var p *plane
	var free []byte
	newPlane := func(first bool) {
		p = &plane{cw: make([]int, 256)}
		sf.planes = append(sf.planes, p)
		free = free[:0]
		for c := 127; c <= 255; c++ {
			free = append(free, byte(c))
		}
		for c := 33; c <= 126; c++ {
			if !first || !slices.Contains(runes, rune(c)) {
				free = append(free, byte(c))
			}
		}
		p.cw[32] = sf.face.width1000[sf.face.cmap[' ']]
		p.uni[32] = ' '
	}
	newPlane(true)
	type diffEntry struct {
		code byte
		r    rune
	}
	var diffs [][]diffEntry
	diffs = append(diffs, nil)
	for _, ru := range runes {
		if ru == ' ' {
			continue
		}
		g := sf.face.cmap[ru]
		if len(sf.planes) == 1 && ru >= 33 && ru <= 126 {
			sf.where[ru] = planeCode{0, byte(ru)}
			p.cw[ru] = sf.face.width1000[g]
			p.uni[ru] = ru
			continue
		}
		if len(free) == 0 {
			newPlane(false)
			diffs = append(diffs, nil)
		}
		code := free[0]
		free = free[1:]
		pi := len(sf.planes) - 1
		sf.where[ru] = planeCode{pi, code}
		p.cw[code] = sf.face.width1000[g]
		p.uni[code] = ru
		diffs[pi] = append(diffs[pi], diffEntry{code, ru})
	}
	for pi, d := range diffs {
		slices.SortFunc(d, func(a, b diffEntry) int { return int(a.code) - int(b.code) })
		b := &sf.planes[pi].diff
		prev := -2
		for _, e := range d {
			if int(e.code) != prev+1 {
				if b.Len() > 0 {
					b.WriteByte(' ')
				}
				b.WriteString(strconv.Itoa(int(e.code)))
			}
			b.WriteString(" /")
			b.WriteString(glyphName(e.r))
			prev = int(e.code)
		}
	}
}

// glyphName names a rune for /Differences, which is how a reader maps our codes back
// to Unicode (text extraction) and to glyphs (through the font's (3,1) cmap). PDF/A
// wants names from the Adobe Glyph List («afii10017» for «А»); characters outside the
// code pages fpdf ships maps for get the AGL specification's uniXXXX form.
func glyphName(r rune) string {
	if n, ok := asciiNames[r]; ok {
		return n
	}
	if n, ok := aglNames[r]; ok {
		return n
	}
	return fmt.Sprintf("uni%04X", r)
}

// asciiNames are the AGL names of printable ASCII, needed when a plane moves ASCII
// characters to other codes.
var asciiNames = func() map[rune]string {
	names := strings.Fields(`space exclam quotedbl numbersign dollar percent ampersand quotesingle
		parenleft parenright asterisk plus comma hyphen period slash zero one two three four five
		six seven eight nine colon semicolon less equal greater question at`)
	m := make(map[rune]string, 95)
	for i, n := range names {
		m[rune(32+i)] = n
	}
	for c := 'A'; c <= 'Z'; c++ {
		m[c] = string(c)
	}
	for c := 'a'; c <= 'z'; c++ {
		m[c] = string(c)
	}
	for i, n := range strings.Fields(`bracketleft backslash bracketright asciicircum underscore grave`) {
		m[rune(91+i)] = n
	}
	for i, n := range strings.Fields(`braceleft bar braceright asciitilde`) {
		m[rune(123+i)] = n
	}
	return m
}()

// run is a piece of a line drawn with one plane.
type run struct {
	plane  int
	text   []byte
	units  int // advance in 1/1000 em, spaces included
	spaces int
}

// encode splits normalized text into runs of one plane each.
func (sf *styleFont) encode(s string, runs []run) []run {
	runs = runs[:0]
	cur := -1
	for _, ru := range s {
		pc, ok := sf.where[ru]
		switch {
		case ru == ' ':
			pc = planeCode{max(cur, 0), ' '}
		case !ok:
			continue // a line break left in single-line text: nothing to draw
		}
		if pc.plane != cur {
			runs = append(runs, run{plane: pc.plane})
			cur = pc.plane
		}
		rn := &runs[len(runs)-1]
		rn.text = append(rn.text, pc.code)
		rn.units += sf.planes[pc.plane].cw[pc.code]
		if pc.code == ' ' {
			rn.spaces++
		}
	}
	return runs
}

// drawable reports whether every rune of s has a glyph (or is a forced break).
func (f *face) drawable(s string) bool {
	for _, ru := range s {
		if ru < rune(len(f.fastWidth)) {
			if f.fastWidth[ru] < 0 && ru != '\n' {
				return false
			}
			continue
		}
		if _, has := f.cmap[ru]; !has {
			return false
		}
	}
	return true
}

// fallback stands in for a character the face lacks: other spaces keep the no-break
// meaning they usually carry (U+202F in «5 000»), hyphens become hyphen-minus.
func fallback(r rune) rune {
	switch {
	case unicode.Is(unicode.Zs, r):
		return '\u00a0'
	case r == '\u2010' || r == '\u2011':
		return '-'
	}
	return '?'
}

// normalize replaces what the face cannot draw: control characters and invisible
// format characters go, tabs become spaces, missing glyphs become '?' (PDF/A forbids
// drawing .notdef).
func (f *face) normalize(s string) string {
	if f.drawable(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, ru := range s {
		switch {
		case ru == ' ' || ru == '\n':
		case ru == '\t':
			ru = ' '
		case ru < 32 || unicode.In(ru, unicode.Cf, unicode.Variation_Selector):
			continue // soft hyphens, zero-width and direction marks, emoji selectors
		default:
			if _, has := f.cmap[ru]; !has {
				ru = fallback(ru)
			}
		}
		b.WriteRune(ru)
	}
	return b.String()
}
