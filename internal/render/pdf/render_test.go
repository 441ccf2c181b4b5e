package pdf

import (
	"bytes"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"orders/fonts"
	"orders/internal/layout"
	"orders/internal/order"
)

// docs are the documents most tests run over: both reference orders (frozen copies of
// the examples in testdata) and variants that exercise the other head forms.
func docs(t testing.TB) map[string]*layout.Doc {
	t.Helper()
	corner := draft()
	corner.Letterhead.Layout = "corner"
	corner.Date, corner.Number = "", "" // a draft: «ПРОЕКТ» and blanks
	corner.Executor = &order.Executor{Name: "Петрова Анна Сергеевна", Phone: "8 (495) 521-95-17"}
	sheet := draft()
	sheet.Acknowledgement = &order.Acknowledgement{Style: "sheet", People: []order.Person{
		{Name: "Л.Е. Мартынова", Position: "заместитель начальника управления"},
		{Name: "Т.В. Рожкова", Position: "директор МБУ ДПО «Учебно-методический центр»", Date: "2022-09-23"},
	}}
	qr := draft()
	qr.Verification = &order.Verification{TextSHA256: strings.Repeat("0f", 32)}
	qr.Executor = &order.Executor{Name: "Петрова Анна Сергеевна", Phone: "8 (495) 521-95-17"}
	withEmblem := draft()
	withEmblem.Emblem = testEmblem(t)
	cornerEmblem := draft()
	cornerEmblem.Letterhead.Layout = "corner"
	cornerEmblem.Emblem = withEmblem.Emblem
	return map[string]*layout.Doc{
		"emblem":        build(t, withEmblem),
		"emblem-corner": build(t, cornerEmblem),
		"qr":            build(t, qr),
		"balashikha":    build(t, loadDraft(t, "testdata/balashikha.json")),
		"chebula":       build(t, loadDraft(t, "testdata/chebula.json")),
		"corner":        build(t, corner),
		"sheet":         build(t, sheet),
	}
}

func pageCount(t *testing.T, data []byte) int {
	t.Helper()
	return bytes.Count(data, []byte("/Type /Page\n"))
}

// TestWordsComeBack: every word of every block is extracted, once, with Cyrillic intact.
func TestWordsComeBack(t *testing.T) {
	for name, doc := range docs(t) {
		t.Run(name, func(t *testing.T) {
			data := render(t, doc)
			got := fields(pdftotext(t, data, 0, 0))
			want := expectedWords(doc, pageCount(t, data))
			if !slices.Equal(sorted(got), sorted(want)) {
				t.Errorf("extracted words differ\n got: %q\nwant: %q", diff(got, want), diff(want, got))
			}
			// Running text also comes back in order: each paragraph is a contiguous run.
			text := strings.Join(got, " ")
			for _, b := range doc.Body {
				if b.Kind != layout.Paragraph || b.Text == "" {
					continue
				}
				if p := strings.Join(fields(b.Label+" "+b.Text), " "); !strings.Contains(text, p) {
					t.Errorf("paragraph not extracted in order: %q", p)
				}
			}
		})
	}
}

// diff lists what a has beyond b (multiset difference).
func diff(a, b []string) []string {
	count := map[string]int{}
	for _, w := range b {
		count[w]++
	}
	var out []string
	for _, w := range a {
		if count[w] > 0 {
			count[w]--
			continue
		}
		out = append(out, w)
	}
	return out
}

// TestNBSPNotSplit: a no-break space is not a break opportunity (fpdf's SplitText and
// strings.Fields treat it as one). The test finds a text where «А.Н. Зубова» with an
// ordinary space would break after «А.Н.», then checks the typeset text keeps it whole.
func TestNBSPNotSplit(t *testing.T) {
	r, _ := defaultRenderer()
	fl := &flow{r: r, page: layout.DefaultPage}
	width := pageW - layout.DefaultPage.Left - layout.DefaultPage.Right
	filler := strings.Fields("Контроль за исполнением настоящего приказа возложить на заместителя начальника " +
		"управления по образованию и на главного специалиста отдела общего образования")
	for k := 1; k <= len(filler); k++ {
		plain := strings.Join(filler[:k], " ") + " А.Н. Зубова и далее по тексту."
		lines := fl.breakLines(regular, 14, plain, width, 12.5)
		if !slices.ContainsFunc(lines, func(l tline) bool { return strings.HasSuffix(l.text, "А.Н.") }) {
			continue
		}
		typeset := strings.Replace(plain, "А.Н. Зубова", "А.Н.\u00a0Зубова", 1)
		lines = fl.breakLines(regular, 14, typeset, width, 12.5)
		if !slices.ContainsFunc(lines, func(l tline) bool { return strings.Contains(l.text, "А.Н.\u00a0Зубова") }) {
			t.Fatalf("«А.Н. Зубова» broken across lines: %+v", lines)
		}
		// The preamble is typeset by the layout (which puts the no-break space in) and
		// broken exactly like the test text above: justified, first-line indent.
		d := draft()
		d.Preamble = []string{plain}
		doc := build(t, d)
		if !slices.ContainsFunc(doc.Body, func(b layout.Block) bool { return b.Text == typeset }) {
			t.Fatalf("layout did not typeset the preamble as expected")
		}
		data := render(t, doc)
		text := pdftotext(t, data, 0, 0)
		if !regexp.MustCompile(`(?m)А\.Н\.[ \x{00a0}]Зубова`).MatchString(text) {
			t.Fatalf("pdftotext does not show «А.Н. Зубова» on one line:\n%s", text)
		}
		return
	}
	t.Fatal("no filler length puts «А.Н.» at a line end; the test text needs adjusting")
}

// TestFirstLineIndentAndJustification: the first line starts 1.25 cm right of the
// others, and justified lines (except the last) end exactly at the right margin.
func TestFirstLineIndentAndJustification(t *testing.T) {
	doc := build(t, loadDraft(t, "testdata/balashikha.json"))
	ws := words(t, render(t, doc))
	left := doc.Page.Left * mmPt
	right := (pageW - doc.Page.Right) * mmPt
	lines := lineGroups(ws)
	var para [][]word // the preamble: from «На основании» to the operative word
	for i, l := range lines {
		if l[0].text == "На" && len(l) > 1 && l[1].text == "основании" {
			for _, m := range lines[i:] {
				if strings.HasPrefix(m[0].text, "П") && len(m[0].text) == 2 && m[1].text == "Р" {
					break
				}
				para = append(para, m)
			}
			break
		}
	}
	if len(para) < 3 {
		t.Fatalf("preamble not found in %d lines", len(lines))
	}
	indent := para[0][0].xMin - para[1][0].xMin
	if math.Abs(indent-12.5*mmPt) > 0.5 {
		t.Errorf("first-line indent %.2f pt, want %.2f", indent, 12.5*mmPt)
	}
	if math.Abs(para[1][0].xMin-left) > 0.5 {
		t.Errorf("second line starts at %.2f pt, want the margin %.2f", para[1][0].xMin, left)
	}
	for i, l := range para[:len(para)-1] {
		if end := l[len(l)-1].xMax; math.Abs(end-right) > 0.6 {
			t.Errorf("justified line %d ends at %.2f pt, want %.2f", i, end, right)
		}
	}
	if last := para[len(para)-1]; last[len(last)-1].xMax > right-5 {
		t.Errorf("last line of the paragraph is stretched")
	}
}

// lineGroups groups words by page and baseline.
func lineGroups(ws []word) [][]word {
	var lines [][]word
	for _, w := range ws {
		if n := len(lines); n > 0 {
			prev := lines[n-1][0]
			if prev.page == w.page && math.Abs(prev.yMax-w.yMax) < 1 {
				lines[n-1] = append(lines[n-1], w)
				continue
			}
		}
		lines = append(lines, []word{w})
	}
	return lines
}

// TestPageNumbers: from page 2, top centre, in the top margin, at least 10 mm from the
// edge; none on page 1. Digits are drawn as text, not through fpdf's {nb} alias.
func TestPageNumbers(t *testing.T) {
	d := draft()
	fill(d, 100)
	doc := build(t, d)
	data := render(t, doc)
	n := pageCount(t, data)
	if n < 3 {
		t.Fatalf("want a document of 3+ pages, got %d", n)
	}
	top := doc.Page.Top * mmPt
	centre := (doc.Page.Left + (pageW-doc.Page.Left-doc.Page.Right)/2) * mmPt
	found := map[int]bool{}
	for _, w := range words(t, data) {
		if w.yMin >= top {
			continue
		}
		if w.page == 1 {
			t.Errorf("page 1 has %q in the top margin", w.text)
			continue
		}
		if w.text != strconv.Itoa(w.page) {
			t.Errorf("page %d: %q in the top margin", w.page, w.text)
		}
		// yMin is the top of the font's ascent, above any digit.
		if w.yMin < 10*mmPt-0.05 {
			t.Errorf("page %d: number %.1f mm from the top edge", w.page, w.yMin/mmPt)
		}
		if c := (w.xMin + w.xMax) / 2; math.Abs(c-centre) > 1 {
			t.Errorf("page %d: number centred at %.1f pt, want %.1f", w.page, c, centre)
		}
		found[w.page] = true
	}
	for p := 2; p <= n; p++ {
		if !found[p] {
			t.Errorf("page %d has no number", p)
		}
	}
	if first := strings.Fields(pdftotext(t, data, 2, 2))[0]; first != "2" {
		t.Errorf("page 2 starts with %q, want the number 2", first)
	}
}

// TestBrokenFont: fpdf only prints "get metrics Error" for a bad TTF and fails later with
// "undefined font"; New reports it at once, naming the face.
func TestBrokenFont(t *testing.T) {
	good := Fonts{fonts.SerifRegular, fonts.SerifBold, fonts.SerifItalic, fonts.SerifBoldItalic}
	truncated := fonts.SerifBold[:2000]
	flipped := bytes.Clone(fonts.SerifItalic)
	copy(flipped[12:], bytes.Repeat([]byte{0xFF}, 64)) // table directory destroyed
	for name, tc := range map[string]struct {
		fonts Fonts
		face  string
	}{
		"empty":     {Fonts{nil, good.Bold, good.Italic, good.BoldItalic}, "R"},
		"junk":      {Fonts{[]byte("not a font at all, just text"), good.Bold, good.Italic, good.BoldItalic}, "R"},
		"truncated": {Fonts{good.Regular, truncated, good.Italic, good.BoldItalic}, "B"},
		"directory": {Fonts{good.Regular, good.Bold, flipped, good.BoldItalic}, "I"},
	} {
		t.Run(name, func(t *testing.T) {
			r, err := New(tc.fonts)
			if err == nil || r != nil {
				t.Fatalf("New accepted a broken font")
			}
			if !errors.Is(err, errBadFont) || !strings.Contains(err.Error(), "font "+tc.face+":") {
				t.Errorf("error %q does not name face %s as broken", err, tc.face)
			}
		})
	}
	if _, err := New(good); err != nil {
		t.Fatal(err)
	}
}

func tableDraft(rows int, long string) *order.Draft {
	d := draft()
	tbl := &order.Table{Numbered: true, Columns: []order.Column{
		{Title: "Образовательное учреждение", Width: 3}, {Title: "Тема занятия", Width: 5}, {Title: "Сроки", Width: 2},
	}}
	for i := range rows {
		tbl.Rows = append(tbl.Rows, []string{"МБОУ «СОШ № " + strconv.Itoa(i+1) + "»", "Функциональная грамотность", "до 01.12.2022"})
	}
	if long != "" {
		tbl.Rows[1][1] = long
	}
	d.Clauses[0].Appendix = "list"
	d.Appendices = []order.Appendix{{Key: "list", Title: "Перечень площадок", Content: []order.Block{{Table: tbl}}}}
	return d
}

// TestTableHeaderRepeats: a table that runs over pages repeats its header on each;
// 500 rows render; a row taller than a page is split and stays inside the margins.
func TestTableHeaderRepeats(t *testing.T) {
	long := strings.Repeat("Очень длинное содержание ячейки таблицы, которое не помещается на одной странице. ", 120)
	for name, d := range map[string]*order.Draft{
		"80 rows":  tableDraft(80, ""),
		"500 rows": tableDraft(500, ""),
		"tall row": tableDraft(5, long),
	} {
		t.Run(name, func(t *testing.T) {
			doc := build(t, d)
			start := time.Now()
			data := render(t, doc)
			t.Logf("%d pages, %d bytes, %v", pageCount(t, data), len(data), time.Since(start))
			ws := words(t, data)
			bottom := (pageH - doc.Page.Bottom) * mmPt
			tablePages := map[int]bool{}
			headerPages := map[int]bool{}
			for _, w := range ws {
				if w.yMax > bottom+0.5 {
					t.Errorf("page %d: %q below the bottom margin (%.1f > %.1f pt)", w.page, w.text, w.yMax, bottom)
				}
				if strings.HasPrefix(w.text, "грамотность") || strings.HasPrefix(w.text, "Очень") {
					tablePages[w.page] = true
				}
				if w.text == "Образовательное" {
					headerPages[w.page] = true
				}
			}
			if len(tablePages) < 2 {
				t.Fatalf("table does not run over pages: %v", tablePages)
			}
			for p := range tablePages {
				if !headerPages[p] {
					t.Errorf("page %d continues the table without its header", p)
				}
			}
			// The same through plain extraction of page 2 of the table.
			first := slices.Min(slices.Collect(mapKeys(tablePages)))
			if txt := pdftotext(t, data, first+1, first+1); !strings.Contains(txt, "Образовательное") || !strings.Contains(txt, "Тема занятия") {
				t.Errorf("page %d lacks the repeated header:\n%.300s", first+1, txt)
			}
		})
	}
}

func mapKeys(m map[int]bool) func(func(int) bool) {
	return func(yield func(int) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// TestLongWordStaysInside: a word longer than the line is cut between characters.
func TestLongWordStaysInside(t *testing.T) {
	long := strings.Repeat("Длинноеслово", 30)
	d := draft()
	d.Clauses[0].Text = "Проверить " + long + " и остальное."
	doc := build(t, d)
	ws := words(t, render(t, doc))
	left, right := doc.Page.Left*mmPt, (pageW-doc.Page.Right)*mmPt
	var joined strings.Builder
	for _, w := range ws {
		if w.xMin < left-0.5 || w.xMax > right+0.5 {
			t.Errorf("%q at %.1f–%.1f pt, outside %.1f–%.1f", w.text, w.xMin, w.xMax, left, right)
		}
		if strings.HasPrefix(w.text, "Длинное") || joined.Len() > 0 && joined.Len() < len(long) {
			joined.WriteString(w.text)
		}
	}
	if joined.String() != long {
		t.Errorf("long word not given back whole: %q", joined.String())
	}
}

// TestSignatureNeverAlone: when the text ends at the foot of a page, the last clause
// moves to the next page with the signature instead of leaving it alone there.
func TestSignatureNeverAlone(t *testing.T) {
	r, _ := defaultRenderer()
	for n := 1; n < 80; n++ {
		d := draft()
		fill(d, n)
		doc := build(t, d)
		noSig := *doc
		noSig.Body = doc.Body[:len(doc.Body)-1]
		pages, err := r.compose(&noSig)
		if err != nil {
			t.Fatal(err)
		}
		// The text alone must end on page 1, with no room left for the signature.
		if len(pages) != 1 || !lastClauseOn(pages[0]) || fits(r, doc, pages[0]) {
			continue
		}
		data := render(t, doc)
		if pageCount(t, data) != 2 {
			t.Fatalf("n=%d: want 2 pages", n)
		}
		p1, p2 := pdftotext(t, data, 1, 1), pdftotext(t, data, 2, 2)
		if strings.Contains(p1, "Зубова") || !strings.Contains(p2, "Зубова") {
			t.Fatalf("n=%d: signature not on page 2", n)
		}
		if !strings.Contains(strings.Join(fields(p2), " "), "Контроль за исполнением") {
			t.Errorf("n=%d: signature alone on page 2:\n%s", n, p2)
		}
		return
	}
	t.Fatal("found no clause count that ends the text at the page foot")
}

func lastClauseOn(ops []op) bool {
	return slices.ContainsFunc(ops, func(o op) bool { return strings.Contains(o.text, "Мартынову") })
}

// fits reports whether the signature block would still fit under the text on page 1.
func fits(r *Renderer, doc *layout.Doc, ops []op) bool {
	maxY := 0.0
	for _, o := range ops {
		maxY = max(maxY, o.y)
	}
	fl := &flow{r: r, page: doc.Page}
	lh := fl.lineHeight(doc.Page.FontSize)
	sig := doc.Body[len(doc.Body)-1]
	need := sig.SpaceBefore*lh + float64(len(sig.Signature.Position))*lh
	return maxY+lh*0.3+need <= pageH-doc.Page.Bottom
}

// TestSignatureGeometry: position at the left, the name flush right on the baseline of
// the last position line.
func TestSignatureGeometry(t *testing.T) {
	doc := build(t, draft())
	ws := words(t, render(t, doc))
	right := (pageW - doc.Page.Right) * mmPt
	var name, pos word
	for _, w := range ws {
		switch w.text {
		case "Зубова":
			name = w
		case "Управления":
			pos = w
		}
	}
	if name.text == "" || pos.text == "" {
		t.Fatal("signature words not found")
	}
	if math.Abs(name.xMax-right) > 0.5 {
		t.Errorf("name ends at %.2f pt, want the right margin %.2f", name.xMax, right)
	}
	if math.Abs(name.yMax-pos.yMax) > 0.1 || name.page != pos.page {
		t.Errorf("name baseline %.2f, last position line %.2f", name.yMax, pos.yMax)
	}
	if math.Abs(pos.xMin-doc.Page.Left*mmPt) > 0.5 {
		t.Errorf("position starts at %.2f pt", pos.xMin)
	}
}

// TestHeadForms: the corner blank keeps the letterhead inside 80 mm, the draft mark
// stands at the top right, the executor at the foot of the page.
func TestHeadForms(t *testing.T) {
	doc := docs(t)["corner"]
	ws := words(t, render(t, doc))
	left, right := doc.Page.Left*mmPt, (pageW-doc.Page.Right)*mmPt
	limit := left + cornerWidth*mmPt
	for _, w := range ws {
		if w.page != 1 {
			continue
		}
		switch w.text {
		case "Администрация", "УПРАВЛЕНИЕ", "ПРИКАЗ", "143900":
			if w.xMax > limit+0.5 {
				t.Errorf("corner letterhead word %q ends at %.1f pt, beyond the 80 mm block", w.text, w.xMax)
			}
		case "ПРОЕКТ":
			if math.Abs(w.xMax-right) > 0.5 || w.yMin > doc.Page.Top*mmPt+5 {
				t.Errorf("draft mark at %.1f,%.1f, want the top right", w.xMax, w.yMin)
			}
		}
	}
	var exec word
	for _, w := range ws {
		if w.text == "тел." && w.page == pageCount(t, render(t, doc)) {
			exec = w
		}
	}
	if bottom := (pageH - doc.Page.Bottom) * mmPt; exec.text == "" || bottom-exec.yMax > 8 {
		t.Errorf("executor mark not at the page foot: %+v (bottom %.1f)", exec, bottom)
	}
}

// TestValidPDF: qpdf finds no errors, every font is embedded with a ToUnicode map, the
// file says PDF/A-2b.
func TestValidPDF(t *testing.T) {
	qpdf, pdffonts, pdfinfo := tool(t, "qpdf"), tool(t, "pdffonts"), tool(t, "pdfinfo")
	for name, doc := range docs(t) {
		t.Run(name, func(t *testing.T) {
			data := render(t, doc)
			path := writePDF(t, data)
			out, err := exec.Command(qpdf, "--check", path).CombinedOutput()
			if err != nil || !strings.Contains(string(out), "No syntax or stream encoding errors") || strings.Contains(string(out), "WARNING") {
				t.Errorf("qpdf --check: %v\n%s", err, out)
			}
			out, err = exec.Command(pdffonts, path).CombinedOutput()
			if err != nil {
				t.Fatalf("pdffonts: %v\n%s", err, out)
			}
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")[2:]
			if len(lines) == 0 {
				t.Fatal("no fonts")
			}
			for _, l := range lines {
				f := strings.Fields(l)
				// name type encoding emb sub uni object ID
				if len(f) < 7 || f[len(f)-5] != "yes" || !strings.Contains(f[0], "+LiberationSerif") {
					t.Errorf("font not embedded as a subset: %s", l)
				}
				// A ToUnicode map, so copying, search and screen readers need no glyph names.
				if len(f) >= 7 && f[len(f)-3] != "yes" {
					t.Errorf("font without a ToUnicode map (pdffonts «uni no»): %s", l)
				}
			}
			if pdfcpu := optionalTool("pdfcpu"); pdfcpu != "" {
				if out, err := exec.Command(pdfcpu, "validate", "-m", "strict", path).CombinedOutput(); err != nil {
					t.Errorf("pdfcpu validate: %v\n%s", err, out)
				}
			}
			out, err = exec.Command(pdfinfo, "-meta", path).CombinedOutput()
			if err != nil {
				t.Fatalf("pdfinfo: %v", err)
			}
			for _, want := range []string{"<pdfaid:part>2</pdfaid:part>", "<pdfaid:conformance>B</pdfaid:conformance>", xmlEsc(doc.Meta.Title)} {
				if !strings.Contains(string(out), want) {
					t.Errorf("XMP lacks %q", want)
				}
			}
			out, _ = exec.Command(pdfinfo, path).CombinedOutput()
			for _, want := range []string{"Title:           " + doc.Meta.Title, "Author:          " + doc.Meta.Author,
				"PDF version:     1.7", "CreationDate:    Thu Sep 22 10:00:00 2022 UTC"} {
				if !strings.Contains(string(out), want) {
					t.Errorf("pdfinfo lacks %q:\n%s", want, out)
				}
			}
		})
	}
}

func countHigh(b []byte) int {
	n := 0
	for _, c := range b {
		if c == '\n' {
			break
		}
		if c > 127 {
			n++
		}
	}
	return n
}

func xmlEsc(s string) string {
	var b bytes.Buffer
	b.WriteString(s)
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(b.String())
}

// TestPDFAStructure checks what PDF/A needs and fpdf does not give by itself.
func TestPDFAStructure(t *testing.T) {
	doc := docs(t)["balashikha"]
	data := render(t, doc)
	// The header comment of PDF/A: at least four bytes above 127 after the version line.
	if !bytes.HasPrefix(data, []byte("%PDF-1.7\n%")) || countHigh(data[10:]) < 4 {
		t.Errorf("header %q", data[:16])
	}
	for _, re := range []string{
		`/OutputIntents \[<</Type /OutputIntent /S /GTS_PDFA1 [^\]]*/DestOutputProfile \d+ 0 R>>\]`,
		`/Metadata \d+ 0 R`,
		`trailer\n<<\n/Size \d+\n/Root \d+ 0 R\n/Info \d+ 0 R\n/ID \[<[0-9a-f]{32}><[0-9a-f]{32}>\]`,
		`/Encoding \d+ 0 R`,
		`/FontFile2 \d+ 0 R`,
	} {
		if !regexp.MustCompile(re).Match(data) {
			t.Errorf("missing %s", re)
		}
	}
	// /Info names the Info dictionary (fpdf v0.12.0 with an output intent names the ICC stream).
	info := regexp.MustCompile(`/Info (\d+) 0 R\n/ID`).FindSubmatch(data)
	if info == nil || !regexp.MustCompile(`(?s)\n`+string(info[1])+` 0 obj\n<<\n/Producer `).Match(data) {
		t.Errorf("trailer /Info does not point at the Info dictionary")
	}
	for _, bad := range []string{"/Encrypt", "/JavaScript", "/Transparency"} {
		if bytes.Contains(data, []byte(bad)) {
			t.Errorf("PDF/A forbids %s", bad)
		}
	}
	custom, err := Render(doc, Options{CreationDate: fixed, DocumentID: "order-1355"})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(custom, []byte("/ID [<6f726465722d31333535><6f726465722d31333535>]")) {
		t.Errorf("DocumentID not used as /ID")
	}
	if _, err := finishPDFA([]byte("%PDF-1.3\nnot what fpdf writes"), "", nil); err == nil {
		t.Error("finishPDFA accepted a file it does not understand")
	}
}

// TestDeterministic: same document and date give the same bytes, also concurrently.
func TestDeterministic(t *testing.T) {
	doc := docs(t)["chebula"]
	want := render(t, doc)
	var wg sync.WaitGroup
	outs := make([][]byte, 8)
	for i := range outs {
		wg.Go(func() { outs[i], _ = Render(doc, Options{CreationDate: fixed}) })
	}
	wg.Wait()
	for i, got := range outs {
		if !bytes.Equal(got, want) {
			t.Fatalf("render %d differs from the first", i)
		}
	}
	// Documents rendered at once with different dates keep their own: no fpdf
	// package-level default is touched per render.
	dated := make([][]byte, 8)
	for i := range dated {
		wg.Go(func() { dated[i], _ = Render(doc, Options{CreationDate: fixed.Add(time.Duration(i) * time.Hour)}) })
	}
	wg.Wait()
	for i, out := range dated {
		stamp := fixed.Add(time.Duration(i) * time.Hour).Format("20060102150405")
		if !bytes.Contains(out, []byte("/CreationDate (D:"+stamp)) {
			t.Errorf("render %d lacks its creation date %s", i, stamp)
		}
		if i > 0 && bytes.Equal(out, want) {
			t.Errorf("render %d: creation date not in the output", i)
		}
	}
}

// TestWidthsAgreeWithFpdf: the widths the line breaker measures are the widths the
// PDF declares, so justified lines end at the margin in every viewer.
func TestWidthsAgreeWithFpdf(t *testing.T) {
	r, _ := defaultRenderer()
	text := "Об организации работы «площадок» № 37-о — 2022–2023 гг.; ЁЖЗ ёжз Qwerty"
	for style := range numStyles {
		var used [numStyles]map[rune]struct{}
		used[style] = map[rune]struct{}{}
		for _, ru := range text {
			used[style][ru] = struct{}{}
		}
		p := newFpdf()
		df, err := r.newDocFonts(p, &used)
		if err != nil {
			t.Fatal(err)
		}
		sf := df.styles[style]
		runs := sf.encode(text, nil)
		if len(runs) != 1 {
			t.Fatalf("%d runs for a short text", len(runs))
		}
		p.SetFont(sf.planes[0].family, "", 14)
		got := p.GetStringWidth(string(runs[0].text))
		want := mm(r.faces[style].units(text), 14)
		if math.Abs(got-want) > 1e-9 {
			t.Errorf("style %s: fpdf measures %.6f mm, the breaker %.6f mm", styleNames[style], got, want)
		}
	}
}

// TestExamples renders whatever example drafts the repository holds now.
func TestExamples(t *testing.T) {
	files, _ := filepath.Glob("../../../templates/examples/*.json")
	if len(files) == 0 {
		t.Skip("no examples")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			d, err := order.Decode(data)
			if err != nil {
				t.Skipf("example does not decode (being edited?): %v", err)
			}
			doc := build(t, d)
			out := render(t, doc)
			got := fields(pdftotext(t, out, 0, 0))
			want := expectedWords(doc, pageCount(t, out))
			got = withoutRepeatedHeaders(got, want, doc)
			if !slices.Equal(sorted(got), sorted(want)) {
				t.Errorf("words differ: missing %q, extra %q", diff(want, got), diff(got, want))
			}
		})
	}
}

// withoutRepeatedHeaders drops from got the copies of table headers that got has beyond want:
// a table continued on further pages repeats its header on each.
func withoutRepeatedHeaders(got, want []string, doc *layout.Doc) []string {
	extra := map[string]int{}
	for _, w := range got {
		extra[w]++
	}
	for _, w := range want {
		extra[w]--
	}
	drop := map[string]int{}
	for _, b := range doc.Body {
		if b.Table == nil || len(b.Table.Header) == 0 {
			continue
		}
		h := fields(strings.Join(b.Table.Header, " "))
		for slices.IndexFunc(h, func(w string) bool { return extra[w]-drop[w] < 1 }) < 0 {
			for _, w := range h {
				drop[w]++
			}
		}
	}
	out := got[:0:0]
	for _, w := range got {
		if drop[w] > 0 {
			drop[w]--
			continue
		}
		out = append(out, w)
	}
	return out
}

// TestQRCode: the QR code's modules fill the square at the bottom right of page 1 that layout
// gives it, nothing else is drawn there, the text of page 1 ends above it (with its gap) and
// the executor mark stands at the page foot to the left of it.
func TestQRCode(t *testing.T) {
	r, err := defaultRenderer()
	if err != nil {
		t.Fatal(err)
	}
	doc := docs(t)["qr"]
	q := doc.QR
	if q == nil {
		t.Fatal("no QR code laid out")
	}
	pages, err := r.compose(doc)
	if err != nil {
		t.Fatal(err)
	}
	right, bottom := pageW-doc.Page.Right, pageH-doc.Page.Bottom
	x0, y0 := right-q.Size, bottom-q.Size
	dark := 0.0
	for p, ops := range pages {
		for _, o := range ops {
			switch {
			case o.kind == opRect:
				if p != 0 || o.x < x0-eps || o.x2 > right+eps || o.y < y0-eps || o.y2 > bottom+eps {
					t.Errorf("module on page %d at (%.2f, %.2f), outside the square (%.2f, %.2f)–(%.2f, %.2f) of page 1", p+1, o.x, o.y, x0, y0, right, bottom)
				}
				dark += (o.x2 - o.x) * (o.y2 - o.y)
			case p == 0 && o.kind == opText && o.y > y0-q.Gap && o.x+mm(r.faces[o.style].units(o.text), o.size) > x0:
				t.Errorf("text %q at (%.2f, %.2f) runs into the QR code", o.text, o.x, o.y)
			case p == 0 && o.kind == opText && o.y > y0-q.Gap && !strings.HasPrefix(o.text, "Исп.") && !strings.HasPrefix(o.text, "тел."):
				t.Errorf("text %q at y=%.2f below the top of the QR code's place (%.2f)", o.text, o.y, y0-q.Gap)
			}
		}
	}
	n := len(q.Modules) + 2*layout.QRQuiet
	module := q.Size / float64(n)
	want := 0
	for _, row := range q.Modules {
		for _, m := range row {
			if m {
				want++
			}
		}
	}
	if got := dark / (module * module); math.Abs(got-float64(want)) > 0.01 {
		t.Errorf("%.2f modules drawn dark, want %d", got, want)
	}
}

// TestExecutorBesideQR: on page 1 with a QR code the executor mark stays on the page when
// the text ends above the code, even if the mark's space above would reach below the code's
// top: beside the code there is no text to keep apart from. LibreOffice does the same with
// the DOCX, whose frame hangs on an empty 1 pt paragraph (personnel-moves-qr put the mark
// alone on page 2 here). The text that leaves no room for that paragraph sends it on.
func TestExecutorBesideQR(t *testing.T) {
	const top, bottom, qrTop = 20.0, 277.0, 247.0
	for _, c := range []struct {
		name     string
		textEnds float64 // y where the text of page 1 ends
		wantPage int
	}{
		{"room for the anchor", qrTop - 2, 0},
		{"space above reaches below the code", qrTop - 4, 0},
		{"no room for the anchor", qrTop - anchorH/2, 1},
	} {
		fl := &flow{top: top, bottom: bottom, firstBottom: qrTop, rows: []row{
			{h: c.textEnds - top},
			{h: 5, before: 10, bottom: 2},
			{h: 5, keepWithPrev: true},
		}}
		placed := fl.paginate(top)
		if len(placed) != 3 || placed[0].page != 0 {
			t.Fatalf("%s: placed %+v", c.name, placed)
		}
		if got := placed[1].page; got != c.wantPage || placed[2].page != got {
			t.Errorf("%s: the mark is on page %d (%d), want %d", c.name, got+1, placed[2].page+1, c.wantPage+1)
		}
		if got, want := placed[2].top+5, bottom; math.Abs(got-want) > eps {
			t.Errorf("%s: the mark ends at %.2f mm, want the page foot %.2f", c.name, got, want)
		}
	}
}
