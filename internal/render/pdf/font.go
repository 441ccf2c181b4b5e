package pdf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sort"
	"unicode/utf16"
)

// face is a TrueType font parsed once: the metrics the line breaker needs and the raw
// tables the per-document subsetter copies glyphs from. It is read-only after parsing,
// so one face serves every concurrent render.
type face struct {
	psName     string
	unitsPerEm int
	numGlyphs  int
	longLoca   bool

	// Metrics in 1/1000 em, as a PDF font descriptor wants them.
	ascent, descent, lineGap int
	capHeight, italicAngle   int
	stemV, flags             int
	bbox                     [4]int
	underlinePos, underlineT int

	cmap map[rune]uint16
	// fastWidth holds width1000 for the runes an order mostly uses (Latin, Cyrillic),
	// -1 where the font lacks a glyph, so measuring avoids map lookups.
	fastWidth [0x500]int32
	advance   []uint16 // per glyph, font units
	lsb       []int16  // per glyph, font units
	// width1000 caches advance→1/1000 em rounded the way the PDF /Widths array carries
	// it, so measured lines and drawn lines agree to the unit.
	width1000 []int

	glyf []byte
	loca []uint32 // numGlyphs+1 offsets into glyf

	head, hhea, maxp, os2, name []byte
	// postHeader is italicAngle … isFixedPitch of the original post table, which the
	// subset keeps under post format 3 (no glyph names).
	postHeader []byte
}

type table struct{ off, length int }

var errBadFont = errors.New("pdf: not a usable TrueType font")

func parseFace(data []byte) (f *face, err error) {
	// A truncated or corrupt font must surface as an error at New, never as a panic in a
	// request or as fpdf's silent "undefined font" later.
	defer func() {
		if r := recover(); r != nil {
			f, err = nil, fmt.Errorf("%w: %v", errBadFont, r)
		}
	}()
	if len(data) < 12 {
		return nil, errBadFont
	}
	if v := be32(data, 0); v != 0x00010000 && v != 0x74727565 {
		return nil, fmt.Errorf("%w: sfnt version %#x (only TrueType outlines are supported)", errBadFont, v)
	}
	n := int(be16(data, 4))
	tables := make(map[string]table, n)
	for i := range n {
		rec := 12 + 16*i
		off, length := int(be32(data, rec+8)), int(be32(data, rec+12))
		if off+length > len(data) || off < 0 || length < 0 {
			return nil, fmt.Errorf("%w: table %q out of bounds", errBadFont, data[rec:rec+4])
		}
		tables[string(data[rec:rec+4])] = table{off, length}
	}
	get := func(tag string) ([]byte, error) {
		t, ok := tables[tag]
		if !ok {
			return nil, fmt.Errorf("%w: no %q table", errBadFont, tag)
		}
		return data[t.off : t.off+t.length], nil
	}
	f = &face{}
	for _, t := range []struct {
		tag string
		dst *[]byte
	}{{"head", &f.head}, {"hhea", &f.hhea}, {"maxp", &f.maxp}, {"OS/2", &f.os2}, {"name", &f.name}, {"glyf", &f.glyf}} {
		if *t.dst, err = get(t.tag); err != nil {
			return nil, err
		}
	}
	hmtx, err := get("hmtx")
	if err != nil {
		return nil, err
	}
	loca, err := get("loca")
	if err != nil {
		return nil, err
	}
	cmap, err := get("cmap")
	if err != nil {
		return nil, err
	}
	post, err := get("post")
	if err != nil {
		return nil, err
	}

	f.unitsPerEm = int(be16(f.head, 18))
	if f.unitsPerEm < 16 {
		return nil, fmt.Errorf("%w: unitsPerEm %d", errBadFont, f.unitsPerEm)
	}
	f.longLoca = be16(f.head, 50) == 1
	f.numGlyphs = int(be16(f.maxp, 4))
	nhm := int(be16(f.hhea, 34))
	if nhm == 0 || nhm > f.numGlyphs {
		return nil, fmt.Errorf("%w: numberOfHMetrics %d", errBadFont, nhm)
	}
	scale := func(v int) int { return int(roundHalfAway(float64(v) * 1000 / float64(f.unitsPerEm))) }

	f.advance = make([]uint16, f.numGlyphs)
	f.lsb = make([]int16, f.numGlyphs)
	f.width1000 = make([]int, f.numGlyphs)
	for g := range f.numGlyphs {
		if g < nhm {
			f.advance[g] = be16(hmtx, 4*g)
			f.lsb[g] = int16(be16(hmtx, 4*g+2))
		} else {
			f.advance[g] = f.advance[nhm-1]
			f.lsb[g] = int16(be16(hmtx, 4*nhm+2*(g-nhm)))
		}
		f.width1000[g] = scale(int(f.advance[g]))
	}
	f.loca = make([]uint32, f.numGlyphs+1)
	for g := range f.loca {
		if f.longLoca {
			f.loca[g] = be32(loca, 4*g)
		} else {
			f.loca[g] = uint32(be16(loca, 2*g)) * 2
		}
		if int(f.loca[g]) > len(f.glyf) || (g > 0 && f.loca[g] < f.loca[g-1]) {
			return nil, fmt.Errorf("%w: bad loca entry %d", errBadFont, g)
		}
	}
	if f.cmap, err = parseCmap(cmap, f.numGlyphs); err != nil {
		return nil, err
	}

	f.ascent = scale(int(int16(be16(f.hhea, 4))))
	f.descent = scale(int(int16(be16(f.hhea, 6))))
	f.lineGap = scale(int(int16(be16(f.hhea, 8))))
	for i := range 4 {
		f.bbox[i] = scale(int(int16(be16(f.head, 36+2*i))))
	}
	if len(post) < 32 {
		return nil, fmt.Errorf("%w: short post table", errBadFont)
	}
	f.postHeader = post[4:16]
	f.italicAngle = int(int16(be16(post, 4))) // integer part of a 16.16 Fixed
	f.underlinePos = scale(int(int16(be16(post, 8))))
	f.underlineT = scale(int(int16(be16(post, 10))))
	f.capHeight = f.ascent
	if be16(f.os2, 0) >= 2 && len(f.os2) >= 90 {
		f.capHeight = scale(int(int16(be16(f.os2, 88))))
	}
	weight := float64(be16(f.os2, 4))
	f.stemV = 50 + int(weight*weight/(65*65))
	f.flags = 32 | 2 // nonsymbolic, serif
	if f.italicAngle != 0 || be16(f.head, 44)&2 != 0 {
		f.flags |= 64
	}
	if f.psName = postScriptName(f.name); f.psName == "" {
		return nil, fmt.Errorf("%w: no PostScript name", errBadFont)
	}
	space, ok := f.cmap[' ']
	if !ok {
		return nil, fmt.Errorf("%w: no space glyph", errBadFont)
	}
	if _, ok := f.cmap['\u00a0']; !ok {
		// The no-break space must stay a distinct character for the line breaker.
		f.cmap['\u00a0'] = space
	}
	if _, ok := f.cmap['?']; !ok {
		return nil, fmt.Errorf("%w: no '?' glyph for missing characters", errBadFont)
	}
	for r := range f.fastWidth {
		f.fastWidth[r] = -1
		if g, ok := f.cmap[rune(r)]; ok {
			f.fastWidth[r] = int32(f.width1000[g])
		}
	}
	return f, nil
}

// parseCmap reads the Unicode mapping from a (3,10) format 12 or (3,1)/(0,x) format 4
// subtable.
func parseCmap(c []byte, numGlyphs int) (map[rune]uint16, error) {
	n := int(be16(c, 2))
	best, bestRank := -1, 0
	for i := range n {
		rec := 4 + 8*i
		pid, eid, off := be16(c, rec), be16(c, rec+2), int(be32(c, rec+4))
		if off+4 > len(c) {
			continue
		}
		format := be16(c, off)
		rank := 0
		switch {
		case format == 12 && (pid == 3 && eid == 10 || pid == 0):
			rank = 3
		case format == 4 && pid == 3 && eid == 1:
			rank = 2
		case format == 4 && pid == 0:
			rank = 1
		}
		if rank > bestRank {
			best, bestRank = off, rank
		}
	}
	if best < 0 {
		return nil, fmt.Errorf("%w: no Unicode cmap", errBadFont)
	}
	m := make(map[rune]uint16, 1024)
	put := func(r rune, g int) {
		if g > 0 && g < numGlyphs {
			m[r] = uint16(g)
		}
	}
	sub := c[best:]
	if be16(sub, 0) == 12 {
		groups := int(be32(sub, 12))
		for i := range groups {
			rec := 16 + 12*i
			start, end, g := be32(sub, rec), be32(sub, rec+4), be32(sub, rec+8)
			if end-start > 0x10FFFF {
				return nil, fmt.Errorf("%w: cmap group", errBadFont)
			}
			for r := start; r <= end; r++ {
				put(rune(r), int(g+r-start))
			}
		}
		return m, nil
	}
	segX2 := int(be16(sub, 6))
	ends, starts, deltas, offsets := 14, 16+segX2, 16+2*segX2, 16+3*segX2
	for s := 0; s < segX2; s += 2 {
		end, start := int(be16(sub, ends+s)), int(be16(sub, starts+s))
		delta, ro := int(be16(sub, deltas+s)), int(be16(sub, offsets+s))
		for r := start; r <= end && r != 0xFFFF; r++ {
			g := 0
			if ro == 0 {
				g = (r + delta) & 0xFFFF
			} else {
				at := offsets + s + ro + 2*(r-start)
				if g = int(be16(sub, at)); g != 0 {
					g = (g + delta) & 0xFFFF
				}
			}
			put(rune(r), g)
		}
	}
	return m, nil
}

func postScriptName(name []byte) string {
	count, strOff := int(be16(name, 2)), int(be16(name, 4))
	for i := range count {
		rec := 6 + 12*i
		pid, eid, nid := be16(name, rec), be16(name, rec+2), be16(name, rec+6)
		length, off := int(be16(name, rec+8)), int(be16(name, rec+10))
		if nid != 6 || strOff+off+length > len(name) {
			continue
		}
		raw := name[strOff+off : strOff+off+length]
		switch {
		case pid == 3 && eid == 1, pid == 0:
			u := make([]uint16, len(raw)/2)
			for j := range u {
				u[j] = be16(raw, 2*j)
			}
			return string(utf16.Decode(u))
		case pid == 1:
			return string(raw)
		}
	}
	return ""
}

// units measures normalized text in 1/1000 em.
func (f *face) units(s string) int {
	n := 0
	for _, r := range s {
		if r < rune(len(f.fastWidth)) && f.fastWidth[r] >= 0 {
			n += int(f.fastWidth[r])
		} else if g, ok := f.cmap[r]; ok {
			n += f.width1000[g]
		}
	}
	return n
}

// Composite glyph flags (TrueType 'glyf').
const (
	argsAreWords   = 0x0001
	haveScale      = 0x0008
	moreComponents = 0x0020
	haveXYScale    = 0x0040
	have2x2        = 0x0080
	haveInstr      = 0x0100
)

// subset builds a TrueType font holding .notdef and the glyphs of runes (and the
// components they are built from), with a (3,1) cmap for exactly those runes. Hinting
// is dropped: PDF viewers rasterize without it, and it is a third of the glyph data.
func (f *face) subset(runes []rune) []byte {
	// old glyph id → new glyph id, in first-seen order so the output is deterministic.
	newID := map[uint16]uint16{0: 0}
	order := []uint16{0}
	var add func(g uint16)
	add = func(g uint16) {
		if _, ok := newID[g]; ok {
			return
		}
		newID[g] = uint16(len(order))
		order = append(order, g)
		data := f.glyphData(g)
		if len(data) < 10 || int16(be16(data, 0)) >= 0 {
			return
		}
		for p := 10; p+4 <= len(data); {
			flags := be16(data, p)
			add(be16(data, p+2))
			p += componentSize(flags)
			if flags&moreComponents == 0 {
				break
			}
		}
	}
	mapping := make([][2]uint16, 0, len(runes))
	for _, r := range runes {
		g, ok := f.cmap[r]
		if !ok || r > 0xFFFF {
			continue
		}
		add(g)
		mapping = append(mapping, [2]uint16{uint16(r), 0})
	}
	for i := range mapping {
		mapping[i][1] = newID[f.cmap[rune(mapping[i][0])]]
	}

	var glyf []byte
	loca := make([]byte, 0, 4*(len(order)+1))
	hmtx := make([]byte, 0, 4*len(order))
	for _, g := range order {
		loca = binary.BigEndian.AppendUint32(loca, uint32(len(glyf)))
		glyf = appendGlyph(glyf, f.glyphData(g), newID)
		for len(glyf)%4 != 0 {
			glyf = append(glyf, 0)
		}
		hmtx = binary.BigEndian.AppendUint16(hmtx, f.advance[g])
		hmtx = binary.BigEndian.AppendUint16(hmtx, uint16(f.lsb[g]))
	}
	loca = binary.BigEndian.AppendUint32(loca, uint32(len(glyf)))

	head := slices.Clone(f.head)
	binary.BigEndian.PutUint32(head[8:], 0) // checkSumAdjustment, set below
	binary.BigEndian.PutUint16(head[50:], 1)
	hhea := slices.Clone(f.hhea)
	binary.BigEndian.PutUint16(hhea[34:], uint16(len(order)))
	maxp := slices.Clone(f.maxp)
	binary.BigEndian.PutUint16(maxp[4:], uint16(len(order)))
	post := make([]byte, 32)
	binary.BigEndian.PutUint32(post, 0x00030000) // format 3: no glyph names
	copy(post[4:16], f.postHeader)

	tables := []tableOut{
		{"OS/2", f.os2}, {"cmap", cmap4(mapping)}, {"glyf", glyf}, {"head", head},
		{"hhea", hhea}, {"hmtx", hmtx}, {"loca", loca}, {"maxp", maxp},
		{"name", f.name}, {"post", post},
	}
	out := assemble(tables)
	// The whole-font checksum goes into head.checkSumAdjustment.
	adj := 0xB1B0AFBA - checksum(out)
	headOff := tableOffset(out, "head")
	binary.BigEndian.PutUint32(out[headOff+8:], adj)
	return out
}

func (f *face) glyphData(g uint16) []byte {
	if int(g) >= f.numGlyphs {
		return nil
	}
	return f.glyf[f.loca[g]:f.loca[g+1]]
}

func componentSize(flags uint16) int {
	n := 4 + 4
	if flags&argsAreWords == 0 {
		n = 4 + 2
	}
	switch {
	case flags&haveScale != 0:
		n += 2
	case flags&haveXYScale != 0:
		n += 4
	case flags&have2x2 != 0:
		n += 8
	}
	return n
}

// appendGlyph copies one glyph without its instructions, renumbering components.
func appendGlyph(dst, g []byte, newID map[uint16]uint16) []byte {
	if len(g) < 10 {
		return dst // empty glyph (space)
	}
	contours := int(int16(be16(g, 0)))
	if contours >= 0 {
		at := 10 + 2*contours
		il := int(be16(g, at))
		dst = append(dst, g[:at]...)
		dst = append(dst, 0, 0)
		return append(dst, g[at+2+il:]...)
	}
	dst = append(dst, g[:10]...)
	for p := 10; p+4 <= len(g); {
		flags := be16(g, p)
		size := componentSize(flags)
		cstart := len(dst)
		dst = append(dst, g[p:p+size]...)
		binary.BigEndian.PutUint16(dst[cstart:], flags&^haveInstr)
		binary.BigEndian.PutUint16(dst[cstart+2:], newID[be16(g, p+2)])
		p += size
		if flags&moreComponents == 0 {
			break
		}
	}
	return dst
}

// cmap4 builds a cmap with one (3,1) format 4 subtable; mapping is sorted by rune.
func cmap4(mapping [][2]uint16) []byte {
	// One segment per run of consecutive runes whose glyph ids are consecutive too.
	type seg struct{ start, end, delta uint16 }
	var segs []seg
	for _, m := range mapping {
		d := m[1] - m[0]
		if n := len(segs); n > 0 && segs[n-1].end+1 == m[0] && segs[n-1].delta == d {
			segs[n-1].end = m[0]
			continue
		}
		segs = append(segs, seg{m[0], m[0], d})
	}
	segs = append(segs, seg{0xFFFF, 0xFFFF, 1})
	n := len(segs)
	search := 1
	for search*2 <= n {
		search *= 2
	}
	sub := make([]byte, 0, 16+8*n)
	u16 := func(v int) { sub = binary.BigEndian.AppendUint16(sub, uint16(v)) }
	u16(4)
	u16(16 + 8*n)
	u16(0)
	u16(2 * n)
	u16(2 * search)
	u16(bitsLen(search) - 1)
	u16(2*n - 2*search)
	for _, s := range segs {
		u16(int(s.end))
	}
	u16(0)
	for _, s := range segs {
		u16(int(s.start))
	}
	for _, s := range segs {
		u16(int(s.delta))
	}
	for range segs {
		u16(0)
	}
	c := make([]byte, 0, 12+len(sub))
	c = binary.BigEndian.AppendUint16(c, 0)
	c = binary.BigEndian.AppendUint16(c, 1)
	c = binary.BigEndian.AppendUint16(c, 3)
	c = binary.BigEndian.AppendUint16(c, 1)
	c = binary.BigEndian.AppendUint32(c, 12)
	return append(c, sub...)
}

func bitsLen(v int) int {
	n := 0
	for ; v > 0; v >>= 1 {
		n++
	}
	return n
}

type tableOut struct {
	tag  string
	data []byte
}

func assemble(tables []tableOut) []byte {
	sort.Slice(tables, func(i, j int) bool { return tables[i].tag < tables[j].tag })
	n := len(tables)
	search := 1
	for search*2 <= n {
		search *= 2
	}
	size := 12 + 16*n
	for _, t := range tables {
		size += (len(t.data) + 3) &^ 3
	}
	out := make([]byte, 12+16*n, size)
	binary.BigEndian.PutUint32(out, 0x00010000)
	binary.BigEndian.PutUint16(out[4:], uint16(n))
	binary.BigEndian.PutUint16(out[6:], uint16(search*16))
	binary.BigEndian.PutUint16(out[8:], uint16(bitsLen(search)-1))
	binary.BigEndian.PutUint16(out[10:], uint16(n*16-search*16))
	for i, t := range tables {
		rec := 12 + 16*i
		copy(out[rec:], t.tag)
		binary.BigEndian.PutUint32(out[rec+4:], checksum(t.data))
		binary.BigEndian.PutUint32(out[rec+8:], uint32(len(out)))
		binary.BigEndian.PutUint32(out[rec+12:], uint32(len(t.data)))
		out = append(out, t.data...)
		for len(out)%4 != 0 {
			out = append(out, 0)
		}
	}
	return out
}

func tableOffset(font []byte, tag string) int {
	n := int(be16(font, 4))
	for i := range n {
		rec := 12 + 16*i
		if string(font[rec:rec+4]) == tag {
			return int(be32(font, rec+8))
		}
	}
	return -1
}

func checksum(b []byte) uint32 {
	var sum uint32
	for i := 0; i < len(b); i += 4 {
		var w [4]byte
		copy(w[:], b[i:])
		sum += binary.BigEndian.Uint32(w[:])
	}
	return sum
}

func be16(b []byte, off int) uint16 { return binary.BigEndian.Uint16(b[off:]) }
func be32(b []byte, off int) uint32 { return binary.BigEndian.Uint32(b[off:]) }

func roundHalfAway(v float64) float64 {
	if v < 0 {
		return -roundHalfAway(-v)
	}
	return float64(int64(v + 0.5))
}
