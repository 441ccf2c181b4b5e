package pdf

import (
	"fmt"
	"maps"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"

	"orders/internal/layout"
)

// examples are the drafts of templates/examples, whatever is there, laid out.
func examples(t testing.TB) map[string]*layout.Doc {
	t.Helper()
	files, err := filepath.Glob("../../../templates/examples/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	out := map[string]*layout.Doc{}
	for _, f := range files {
		out[strings.TrimSuffix(filepath.Base(f), ".json")] = build(t, loadDraft(t, f))
	}
	return out
}

// spacing is how wide a stretched (or shrunk) space of a justified line is, in normal
// spaces of its face and size.
type spacing struct {
	ratio float64
	where string
}

func worstSpacing(t testing.TB, r *Renderer, doc *layout.Doc, skip []string) (widest, narrowest spacing) {
	t.Helper()
	pages, err := r.compose(doc)
	if err != nil {
		t.Fatal(err)
	}
	widest.ratio, narrowest.ratio = 1, 1
	for p, ops := range pages {
		for _, o := range ops {
			if o.kind != opText || o.tw == 0 || slices.Contains(skip, o.text) {
				continue
			}
			space := mm(r.faces[o.style].units(" "), o.size)
			ratio := (space + o.tw) / space
			where := fmt.Sprintf("page %d: %q", p+1, o.text)
			if ratio > widest.ratio {
				widest = spacing{ratio, where}
			}
			if ratio < narrowest.ratio {
				narrowest = spacing{ratio, where}
			}
		}
	}
	return widest, narrowest
}

// TestRivers: with hyphenation, no justified line of an example stretches its spaces
// beyond twice the normal width (the rivers of the issue), nor squeezes them below
// minSpace — unless no breaking of its paragraph can: then every way to break it within
// [minSpace, 2] was tried and none exists (in Chebula the no-break «(Данильченко В.В.),»
// and «(Коротеева Т.Н.)» leave a line 27 mm short or 8 mm too long). go test -v prints the
// worst line of each example and the paragraphs that cannot do better.
func TestRivers(t *testing.T) {
	r, err := defaultRenderer()
	if err != nil {
		t.Fatal(err)
	}
	for name, doc := range examples(t) {
		page, err := pageOf(doc.Page)
		if err != nil {
			t.Fatal(err)
		}
		fl := &flow{r: r, page: page, left: page.Left, right: pageW - page.Right}
		var unavoidable []string
		for _, b := range doc.Body {
			if b.Kind != layout.Paragraph || b.Align != layout.Justify {
				continue
			}
			style, size := styleOf(b.Bold), fl.size(b.Small)
			f := fl.face(style)
			text := b.Text
			if b.Label != "" {
				text = b.Label + " " + text
			}
			indent := 0.0
			if b.FirstIndent {
				indent = page.FirstIndent
			}
			scale := size / 1000 * ptToMM
			space := mm(f.units(" "), size)
			for i, seg := range strings.Split(f.normalize(text), "\n") {
				if i > 0 {
					indent = 0
				}
				lines, ok := fitParagraph(&fl.fit, f, scale, seg, fl.right-fl.left-b.LeftIndent, indent, maxSpaceSoft)
				if !ok {
					continue
				}
				var rivers []string
				for _, ln := range lines {
					if !ln.last && ln.spaces > 0 && 1+(ln.avail-ln.width)/float64(ln.spaces)/space > 2 {
						rivers = append(rivers, ln.text)
					}
				}
				if len(rivers) == 0 {
					continue
				}
				if _, ok := fitParagraph(&fl.fit, f, scale, seg, fl.right-fl.left-b.LeftIndent, indent, 2); ok {
					t.Errorf("%s: %q stretched beyond 2× although the paragraph can be broken without", name, rivers)
				}
				unavoidable = append(unavoidable, rivers...)
			}
		}
		widest, narrowest := worstSpacing(t, r, doc, unavoidable)
		all, _ := worstSpacing(t, r, doc, nil)
		t.Logf("%s: widest space %.2f× (%s), narrowest %.2f×; of all lines %.2f×; unavoidable over 2×: %q",
			name, widest.ratio, widest.where, narrowest.ratio, all.ratio, unavoidable)
		if widest.ratio > 2 {
			t.Errorf("%s: spaces stretched to %.2f× the normal width at %s", name, widest.ratio, widest.where)
		}
		if narrowest.ratio < minSpace-eps {
			t.Errorf("%s: spaces squeezed to %.2f× the normal width at %s", name, narrowest.ratio, narrowest.where)
		}
	}
}

// TestCMap reads a ToUnicode CMap back: every code maps to its character, runs become
// ranges without crossing a 256-character block, the no-break space reads as a space.
func TestCMap(t *testing.T) {
	var u [256]rune
	want := map[int]rune{}
	put := func(c int, r rune) {
		u[c] = r
		want[c] = r
	}
	put(32, ' ')
	for c := '0'; c <= '9'; c++ {
		put(int(c), c)
	}
	for i, r := range []rune("АБВГДЕЖЗИЙ") {
		put(0x80+i, r)
	}
	put(0x90, '\u04fe')
	put(0x91, '\u04ff')
	put(0x92, '\u0500') // the next block: a new range
	put(0x93, '\u0501')
	put(0x94, '\u00a0')
	want[0x94] = ' '
	put(0x95, '😀') // outside the BMP: a surrogate pair
	cm := string(cmapStream(&u))
	got := map[int]rune{}
	block := regexp.MustCompile(`(?s)(\d+) begin(bfrange|bfchar)\n(.*?)end(?:bfrange|bfchar)`)
	hexes := regexp.MustCompile(`<([0-9A-F]+)>`)
	for _, m := range block.FindAllStringSubmatch(cm, -1) {
		lines := strings.Split(strings.TrimSpace(m[3]), "\n")
		if n, _ := strconv.Atoi(m[1]); n != len(lines) {
			t.Errorf("block says %s entries, has %d", m[1], len(lines))
		}
		for _, l := range lines {
			var v []uint64
			for _, h := range hexes.FindAllStringSubmatch(l, -1) {
				x, _ := strconv.ParseUint(h[1], 16, 64)
				v = append(v, x)
				if len(h[1]) == 8 { // a surrogate pair
					v[len(v)-1] = uint64(utf16.DecodeRune(rune(x>>16), rune(x&0xffff)))
				}
			}
			if m[2] == "bfchar" {
				got[int(v[0])] = rune(v[1])
				continue
			}
			if (v[2]&0xff)+(v[1]-v[0]) > 0xff {
				t.Errorf("range %q crosses a block", l)
			}
			for c := v[0]; c <= v[1]; c++ {
				got[int(c)] = rune(v[2] + c - v[0])
			}
		}
	}
	if !maps.Equal(got, want) {
		t.Errorf("CMap maps %v, want %v\n%s", got, want, cm)
	}
	if !strings.Contains(cm, "beginbfrange") {
		t.Error("no ranges: consecutive codes were not joined")
	}
}

// TestHyphenBreak: where a word with its own hyphen does not fit, the line ends after the
// hyphen between letters, as LibreOffice ends it in the DOCX (the corner letterhead
// «МБУ ДПО «УЧЕБНО-|МЕТОДИЧЕСКИЙ ЦЕНТР»» took a line more here); never at a hyphen before a
// digit or after one, and never in the signature mark, which only the PDF draws.
func TestHyphenBreak(t *testing.T) {
	r, _ := defaultRenderer()
	fl := &flow{r: r, page: layout.DefaultPage}
	for _, c := range []struct {
		name string
		text string
		w    float64
		mode hyphenMode
		want []string
	}{
		{"letterhead", "МБУ ДПО «УЧЕБНО-МЕТОДИЧЕСКИЙ ЦЕНТР»", 70, hyphenNeeded,
			[]string{"МБУ ДПО «УЧЕБНО-", "МЕТОДИЧЕСКИЙ ЦЕНТР»"}},
		{"phone", "тел.: 8 (495) 521-95-16", 40, hyphenNeeded,
			[]string{"тел.: 8 (495)", "521-95-16"}},
		{"years", "в 2023-2024 учебном году", 30, hyphenNeeded,
			[]string{"в 2023-2024", "учебном году"}},
		{"signature mark", "Владелец: Константинопольская-Преображенская", 95, hyphenWhole,
			[]string{"Владелец:", "Константинопольская-Преображенская"}},
	} {
		var got []string
		for _, ln := range fl.breakText(bold, 14, c.text, c.w, 0, c.mode) {
			got = append(got, ln.text)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: %q in %v mm: %q, want %q", c.name, c.text, c.w, got, c.want)
		}
	}
}
