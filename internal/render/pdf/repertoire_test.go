package pdf

import (
	"os/exec"
	"strings"
	"testing"
	"unicode"

	"orders/internal/layout"
)

// TestWideRepertoire: more distinct characters than one simple font can encode (223
// besides the space) spill into a second encoding of the same subset; all come back.
// Characters the face lacks become «?» rather than .notdef, which PDF/A forbids.
func TestWideRepertoire(t *testing.T) {
	r, _ := defaultRenderer()
	var b strings.Builder
	n := 0
	for _, rng := range [][2]rune{{'A', 'Z'}, {'a', 'z'}, {'0', '9'}, {'А', 'я'}, {'Α', 'Ω'}, {'α', 'ω'}, {'À', 'ÿ'}, {'Ѐ', 'Џ'}, {'ѐ', 'џ'}} {
		for c := rng[0]; c <= rng[1]; c++ {
			if _, ok := r.faces[regular].cmap[c]; ok && unicode.IsPrint(c) {
				b.WriteRune(c)
				if n++; n%20 == 0 {
					b.WriteByte(' ')
				}
			}
		}
		b.WriteByte(' ')
	}
	wide := strings.TrimSpace(b.String())
	d := draft()
	d.Clauses[0].Text = wide
	d.Clauses[1].Text = "Эмодзи 😀 и знак \u2603\ufe0f вне шрифта, 5\u202f000 и 5\u2011й."
	doc := build(t, d)

	var used [numStyles]map[rune]struct{}
	used[regular] = map[rune]struct{}{}
	for _, c := range wide {
		used[regular][c] = struct{}{}
	}
	df, err := r.newDocFonts(newFpdf(), &used)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(df.styles[regular].planes); n < 2 {
		t.Fatalf("%d distinct characters fit one plane?", len(used[regular]))
	}

	data := render(t, doc)
	got := strings.Join(fields(pdftotext(t, data, 0, 0)), " ")
	if !strings.Contains(got, strings.Join(fields(wide), " ")) {
		t.Errorf("wide repertoire not extracted:\n got: %s\nwant: %s", got, wide)
	}
	if !strings.Contains(got, "Эмодзи ? и знак ? вне шрифта, 5 000 и 5-й.") {
		t.Errorf("missing glyphs not replaced by «?»: %s", got)
	}
	if p := optionalTool("pdfcpu"); p != "" {
		path := writePDF(t, data)
		if out, err := exec.Command(p, "validate", "-m", "strict", path).CombinedOutput(); err != nil {
			t.Errorf("pdfcpu validate: %v\n%s", err, out)
		}
	}
}

// TestRejects: nothing to draw or no room to draw it is an error, not a broken file.
func TestRejects(t *testing.T) {
	if _, err := Render(nil, Options{}); err == nil {
		t.Error("nil document rendered")
	}
	doc := build(t, draft())
	doc.Page.Left, doc.Page.Right = 100, 80
	if _, err := Render(doc, Options{}); err == nil {
		t.Error("a 30 mm text column rendered")
	}
	// Zero page settings take the ГОСТ defaults.
	doc = build(t, draft())
	doc.Page = layout.Page{}
	if _, err := Render(doc, Options{CreationDate: fixed}); err != nil {
		t.Errorf("zero page settings: %v", err)
	}
}
