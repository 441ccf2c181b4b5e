package render

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"html"
	"image"
	"image/png"
	"maps"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"orders/internal/layout"
	"orders/internal/order"
	"orders/internal/render/docx"
	"orders/internal/render/pdf"
)

// parityVariants are the forms in which every example is compared: as it is, as a draft in
// the corner letterhead with an executor mark («ПРОЕКТ» beside the corner block, the mark at
// the page foot), and registered with the QR code and an executor mark on the centred one.
var parityVariants = []struct {
	name string
	edit func(d *order.Draft)
}{
	{"", func(*order.Draft) {}},
	{"-draft-corner", func(d *order.Draft) {
		d.Unregistered()
		d.Letterhead.Layout = "corner"
		withExecutor(d)
	}},
	{"-qr", func(d *order.Draft) {
		d.Letterhead.Layout = "centered"
		if d.IsDraft() {
			d.Number, d.Date = "1", "2025-09-01"
		}
		d.Verification = &order.Verification{TextSHA256: strings.Repeat("0123456789abcdef", 4)}
		withExecutor(d)
	}},
	// The organization's emblem above the letterhead: everything under it moves alike.
	{"-emblem", func(d *order.Draft) { d.Emblem = parityEmblem }},
}

// parityEmblem is an opaque 60×80 px PNG, as CleanEmblem keeps an upload.
var parityEmblem = func() []byte {
	img := image.NewGray(image.Rect(0, 0, 60, 80))
	for i := range img.Pix {
		img.Pix[i] = uint8(i)
	}
	var b bytes.Buffer
	_ = png.Encode(&b, img)
	return b.Bytes()
}()

func withExecutor(d *order.Draft) {
	if d.Executor == nil {
		d.Executor = &order.Executor{Name: "Иванова Ирина Петровна", Phone: "8 (495) 521-95-16"}
	}
}

// parityTolerance is how far a mark may stand from its place in the other format, in
// points: LibreOffice rounds line heights to its own units, so a mark low on a page drifts
// by a fraction of a point per line above it.
const parityTolerance = 3.0

// TestParity: one layout, the same page in both formats. Every example (in every variant
// above) is rendered to PDF and DOCX; LibreOffice converts the DOCX files in one run; then
// the two PDFs must have the same words, the same number of pages, the same first and last
// line on every page, «ПРОЕКТ», the executor mark and the page numbers at the same place
// (within parityTolerance), and the QR code at the bottom right of page 1 saying the same
// thing (read back with zbarimg from exactly the square where layout put it).
func TestParity(t *testing.T) {
	soffice, pdftotext := tool(t, "soffice"), tool(t, "pdftotext")
	pdftoppm, zbarimg := tool(t, "pdftoppm"), tool(t, "zbarimg")
	dir := t.TempDir()
	type doc struct {
		layout *layout.Doc
		pdf    []byte
	}
	docs := map[string]doc{}
	var files []string
	// add renders d to our PDF and to a DOCX for LibreOffice.
	add := func(name string, d *order.Draft) {
		l, err := layout.Build(d, layout.Options{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		ours, err := pdf.Render(l, pdf.Options{CreationDate: fixed})
		if err != nil {
			t.Fatal(err)
		}
		word, err := docx.Render(l, docx.Options{Time: fixed})
		if err != nil {
			t.Fatal(err)
		}
		f := filepath.Join(dir, name+".docx")
		if err := os.WriteFile(f, word, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
		docs[name] = doc{l, ours}
	}
	for name, d := range examples(t) {
		src, err := encodeDraft(d)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range parityVariants {
			d, err := order.Decode(src)
			if err != nil {
				t.Fatal(err)
			}
			v.edit(d)
			add(name+v.name, d)
		}
	}
	// The executor mark that no longer fits under the signature: both put it alone at the
	// foot of the next page (12 filler paragraphs bring Chebula's signature to the foot of
	// page 1).
	if d, ok := examples(t)["chebula"]; ok {
		d.Appendices = nil
		for i := range d.Clauses {
			d.Clauses[i].Appendix = ""
		}
		for range 12 {
			d.Preamble = append(d.Preamble, "Строка текста, которая заполняет страницу.")
		}
		withExecutor(d)
		add("executor-alone", d)
	}
	start := time.Now()
	out := filepath.Join(dir, "lo")
	args := append([]string{"--headless", "-env:UserInstallation=file://" + filepath.Join(dir, "profile"),
		"--convert-to", "pdf", "--outdir", out}, files...)
	if msg, err := exec.Command(soffice, args...).CombinedOutput(); err != nil {
		t.Fatalf("soffice: %v\n%s", err, msg)
	}
	t.Logf("LibreOffice converted %d documents in %v", len(files), time.Since(start).Round(time.Millisecond))

	hyphenated := 0
	for _, name := range slices.Sorted(maps.Keys(docs)) {
		d := docs[name]
		t.Run(name, func(t *testing.T) {
			lo, err := os.ReadFile(filepath.Join(out, name+".pdf"))
			if err != nil {
				t.Fatal(err)
			}
			hyphenated += softHyphens(layoutText(t, lo), d.layout.PlainText())
			known := textWords(d.layout.PlainText())
			if a, b := words(dehyphen(joinBroken(pdfWords(t, pdftotext, lo), known))), words(dehyphen(joinBroken(pdfWords(t, pdftotext, d.pdf), known))); !slices.Equal(a, b) {
				t.Errorf("LibreOffice's words differ from ours: %s", diffWords(a, b))
			}
			ourWords, loWords := wordBoxes(t, pdftotext, d.pdf), wordBoxes(t, pdftotext, lo)
			ourPages, loPages := pageLines(ourWords), pageLines(loWords)
			if len(ourPages) != len(loPages) {
				t.Fatalf("we make %d pages, LibreOffice %d", len(ourPages), len(loPages))
			}
			ourAt, loAt := pageWordStarts(ourPages), pageWordStarts(loPages)
			for p := range ourPages {
				o, l := ourPages[p], loPages[p]
				if len(o) == 0 || len(l) == 0 {
					t.Errorf("page %d: %d lines here, %d in LibreOffice's", p+1, len(o), len(l))
					continue
				}
				for _, edge := range []struct {
					what     string
					ours, lo string
					last     bool
					at       int // the page boundary: index of p or p+1 in ourAt/loAt
				}{{"starts", o[0], l[0], false, p}, {"ends", o[len(o)-1], l[len(l)-1], true, p + 1}} {
					if sameLine(edge.ours, edge.lo, edge.last) {
						continue
					}
					// Lines broken otherwise still pass when the page breaks at the same word
					// of the text, give or take one word: the two line breakers may hyphenate
					// another point of a word or another word of a paragraph («стажиро-|вочных»
					// and «ста-|жировочных» end page 1 of balashikha), and LibreOffice splits a
					// URL after «http://» into two tokens. The boundary then falls within the
					// words of one line, and no line moves to another page. A page that starts
					// a line earlier or later moves the boundary by the words of a whole line
					// and fails.
					if shift := ourAt[edge.at] - loAt[edge.at]; shift >= -1 && shift <= 1 {
						t.Logf("page %d %s on another line break, at the same word (%+d):\n  here: %s\n  LibreOffice: %s", p+1, edge.what, shift, edge.ours, edge.lo)
						continue
					}
					t.Errorf("page %d %s\n  here: %s\n  LibreOffice: %s", p+1, edge.what, edge.ours, edge.lo)
				}
			}
			marks := []string{}
			if m := d.layout.Head.DraftMark; m != "" {
				marks = append(marks, m)
			}
			for _, b := range d.layout.Body {
				if b.AtPageBottom {
					marks = append(marks, strings.Fields(b.Text)[0])
				}
			}
			for _, m := range marks {
				o, okO := findWord(ourWords, m)
				l, okL := findWord(loWords, m)
				if !okO || !okL {
					t.Errorf("mark %q: found here %v, in LibreOffice's %v", m, okO, okL)
					continue
				}
				t.Logf("mark %q: page %d, LibreOffice's %+.1f pt right and %+.1f pt down of ours", m, o.page, l.x-o.x, l.y-o.y)
				if o.page != l.page || math.Abs(o.x-l.x) > parityTolerance || math.Abs(o.y-l.y) > parityTolerance {
					t.Errorf("mark %q: here on page %d at (%.1f, %.1f) pt, in LibreOffice's on page %d at (%.1f, %.1f) pt",
						m, o.page, o.x, o.y, l.page, l.x, l.y)
				}
			}
			// Page numbers: the topmost word of pages 2…n.
			for p := 2; p <= len(ourPages); p++ {
				o, l := topWord(ourWords, p), topWord(loWords, p)
				if o.text != strconv.Itoa(p) || l.text != o.text || math.Abs(o.x-l.x) > parityTolerance || math.Abs(o.y-l.y) > parityTolerance {
					t.Errorf("page %d number: here %q at (%.1f, %.1f) pt, in LibreOffice's %q at (%.1f, %.1f) pt", p, o.text, o.x, o.y, l.text, l.x, l.y)
				}
			}
			if q := d.layout.QR; q != nil {
				for who, b := range map[string][]byte{"ours": d.pdf, "LibreOffice's": lo} {
					if got := readQR(t, pdftoppm, zbarimg, b, d.layout); got != q.Payload {
						t.Errorf("%s QR code at the bottom right of page 1 reads %q, want %q", who, got, q.Payload)
					}
				}
			}
		})
	}
	// The DOCX asks for automatic hyphenation; LibreOffice does it with Debian's hyphen-ru.
	if hyphenated == 0 {
		t.Error("LibreOffice hyphenated no line of the examples: is hyphen-ru installed, does settings.xml ask for it?")
	}
}

// encodeDraft gives a copy of d that Decode reads back (examples are decoded once).
func encodeDraft(d *order.Draft) ([]byte, error) { return json.Marshal(d) }

// pdftotext joins a word that LibreOffice broke after its hyphen («Усть-\nЧебулинская»)
// into one without it, so hyphens do not count in word comparisons.
func dehyphen(s string) string { return strings.ReplaceAll(s, "-", "") }

// textWords is the set of the words of a layout's text, hyphens left out as dehyphen does.
func textWords(text string) map[string]bool {
	text = strings.NewReplacer("\u00a0", " ", "\u00ad", "").Replace(text)
	known := map[string]bool{}
	for _, w := range strings.Fields(text) {
		known[dehyphen(w)] = true
	}
	return known
}

// joinBroken joins a word split over two lines that pdftotext left in two pieces: our line
// breaker and LibreOffice's hyphenate at different points («стажиро-|вочных», «ста-|
// жировочных»), and pdftotext does not join a word hyphenated at a page's end; LibreOffice
// also breaks a URL after «http://». A line's last token that ends in a hyphen or a slash
// is joined with the next line's first when the two make a word of the text (known) and
// the head alone is not one; so a word missing or misspelt on either side still differs.
func joinBroken(text string, known map[string]bool) string {
	var lines [][]string
	for _, l := range strings.FieldsFunc(text, func(r rune) bool { return r == '\n' || r == '\f' }) {
		if f := strings.Fields(strings.ReplaceAll(l, "\u00a0", " ")); len(f) > 0 {
			lines = append(lines, f)
		}
	}
	for i := 0; i+1 < len(lines); i++ {
		if len(lines[i]) == 0 || len(lines[i+1]) == 0 {
			continue // a line whose one word was joined to the line above
		}
		head, next := lines[i][len(lines[i])-1], lines[i+1]
		if !(strings.HasSuffix(head, "-") || strings.HasSuffix(head, "/")) || known[dehyphen(head)] {
			continue
		}
		joined := strings.TrimSuffix(head, "-") + next[0]
		if !strings.HasSuffix(head, "-") {
			joined = head + next[0]
		}
		if !known[dehyphen(joined)] {
			continue
		}
		lines[i][len(lines[i])-1] = joined
		lines[i+1] = next[1:]
	}
	var sb strings.Builder
	for _, l := range lines {
		if len(l) == 0 {
			continue
		}
		sb.WriteString(strings.Join(l, " "))
		sb.WriteByte('\n')
	}
	return sb.String()
}

// pdfWords is the text of a PDF in pdftotext's reading order; it joins a word broken after
// its hyphen at a line's end, which word boxes do not.
func pdfWords(t *testing.T, pdftotext string, doc []byte) string {
	t.Helper()
	cmd := exec.Command(pdftotext, "-enc", "UTF-8", "-", "-")
	cmd.Stdin = bytes.NewReader(doc)
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	// Page numbers (a line of digits alone, after the form feed that starts a page) are
	// not words of the order, and must not come between the halves of a word.
	return pageNumberRe.ReplaceAllString(string(out), "$1")
}

var pageNumberRe = regexp.MustCompile(`(?m)^(\f?)\d+$`)

// pageLines rebuilds the lines of every page from word boxes: words whose bottoms lie within
// 3 pt are one line, read left to right. pdftotext's reading order cannot be used here: it
// splits a justified line of LibreOffice's with wide spaces into columns. The page number at
// the top of pages 2…n is dropped.
func pageLines(ws []wordBox) [][]string {
	n := 0
	for _, w := range ws {
		n = max(n, w.page)
	}
	byPage := make([][]wordBox, n)
	for _, w := range ws {
		byPage[w.page-1] = append(byPage[w.page-1], w)
	}
	pages := make([][]string, n)
	for p, words := range byPage {
		slices.SortStableFunc(words, func(a, b wordBox) int { return cmp.Compare(a.bottom, b.bottom) })
		var lines []string
		var cur []wordBox
		flush := func() {
			if len(cur) == 0 {
				return
			}
			slices.SortFunc(cur, func(a, b wordBox) int { return cmp.Compare(a.x, b.x) })
			parts := make([]string, len(cur))
			for i, w := range cur {
				parts[i] = w.text
			}
			lines = append(lines, strings.Join(parts, " "))
			cur = cur[:0]
		}
		for _, w := range words {
			if len(cur) > 0 && w.bottom-cur[0].bottom > 3 {
				flush()
			}
			cur = append(cur, w)
		}
		flush()
		if p > 0 && len(lines) > 0 && lines[0] == strconv.Itoa(p+1) {
			lines = lines[1:]
		}
		pages[p] = lines
	}
	return pages
}

// sameLine compares two lines by their words; soft hyphens and a hyphen at a line's end do
// not count. Our PDF breaks lines only at spaces, LibreOffice also after the hyphen inside
// a word («Верх-|Чебулинская», UAX #14); that one difference is allowed at the edge where
// it shows: the last line of a page may carry the head of such a word more («… МБОУ «Верх-»),
// the first line may start with its tail («Чебулинская СОШ» …» for «Верх-Чебулинская …»).
// A page that starts or ends on another line still fails.
func sameLine(a, b string, last bool) bool {
	ta, tb := lineTokens(a), lineTokens(b)
	if slices.Equal(ta, tb) {
		return true
	}
	if len(ta) > len(tb) {
		ta, tb = tb, ta
	}
	if last {
		// tb = ta + one word head ending in a hyphen.
		return len(tb) == len(ta)+1 && slices.Equal(ta, tb[:len(ta)]) && hyphenHead(tb[len(ta)])
	}
	// The same words after the first, which is a hyphenated word or its tail.
	if len(ta) != len(tb) || len(ta) == 0 || !slices.Equal(ta[1:], tb[1:]) {
		return false
	}
	x, y := ta[0], tb[0]
	return strings.HasSuffix(x, "-"+y) || strings.HasSuffix(y, "-"+x)
}

// pageWordStarts gives, for every page and one past the last, the index in the text's
// words at which the page starts. A word cut after a hyphen at a line's end counts as one
// word, on the page where it starts.
func pageWordStarts(pages [][]string) []int {
	starts := []int{0}
	n, carry := 0, false
	for _, lines := range pages {
		for _, l := range lines {
			tokens := lineTokens(l)
			if carry && len(tokens) > 0 {
				tokens = tokens[1:] // the tail of the previous line's last word
			}
			n += len(tokens)
			carry = len(tokens) > 0 && hyphenHead(tokens[len(tokens)-1])
		}
		starts = append(starts, n)
	}
	return starts
}

func lineTokens(s string) []string {
	s = strings.ReplaceAll(s, "\u00ad", "")
	return strings.Fields(s)
}

// hyphenHead reports a word cut after its hyphen: «Верх-», ««Усть-».
func hyphenHead(w string) bool { return len(w) > 1 && strings.HasSuffix(w, "-") }

type wordBox struct {
	page   int
	x, y   float64 // top left, in points from the page's top left
	bottom float64
	text   string
}

var (
	bboxPageRe = regexp.MustCompile(`<page `)
	bboxWordRe = regexp.MustCompile(`<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>`)
)

// wordBoxes lists every word of a PDF with its page and position (pdftotext -bbox).
func wordBoxes(t *testing.T, pdftotext string, doc []byte) []wordBox {
	t.Helper()
	cmd := exec.Command(pdftotext, "-bbox", "-enc", "UTF-8", "-", "-")
	cmd.Stdin = bytes.NewReader(doc)
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	var boxes []wordBox
	for i, page := range bboxPageRe.Split(string(out), -1)[1:] {
		for _, m := range bboxWordRe.FindAllStringSubmatch(page, -1) {
			x, _ := strconv.ParseFloat(m[1], 64)
			y, _ := strconv.ParseFloat(m[2], 64)
			bottom, _ := strconv.ParseFloat(m[3], 64)
			boxes = append(boxes, wordBox{page: i + 1, x: x, y: y, bottom: bottom, text: html.UnescapeString(m[4])})
		}
	}
	return boxes
}

func findWord(ws []wordBox, text string) (wordBox, bool) {
	for _, w := range ws {
		if w.text == text {
			return w, true
		}
	}
	return wordBox{}, false
}

func topWord(ws []wordBox, page int) wordBox {
	var top wordBox
	for _, w := range ws {
		if w.page == page && (top.text == "" || w.y < top.y) {
			top = w
		}
	}
	return top
}

// readQR decodes the QR code found in the square layout reserved for it on page 1 (with
// 2 mm around it), so a code drawn anywhere else does not read.
func readQR(t *testing.T, pdftoppm, zbarimg string, doc []byte, l *layout.Doc) string {
	t.Helper()
	const dpi, a4W, a4H, margin = 300.0, 210.0, 297.0, 2.0
	px := func(mm float64) string { return strconv.Itoa(int(math.Round(mm / 25.4 * dpi))) }
	q := l.QR
	x := a4W - l.Page.Right - q.Size - margin
	y := a4H - l.Page.Bottom - q.Size - margin
	dir := t.TempDir()
	in := filepath.Join(dir, "doc.pdf")
	if err := os.WriteFile(in, doc, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(pdftoppm, "-png", "-r", fmt.Sprint(dpi), "-f", "1", "-l", "1", "-singlefile",
		"-x", px(x), "-y", px(y), "-W", px(q.Size+2*margin), "-H", px(q.Size+2*margin), in, filepath.Join(dir, "qr"))
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v\n%s", err, msg)
	}
	got, err := exec.Command(zbarimg, "-q", "--raw", filepath.Join(dir, "qr.png")).Output()
	if err != nil {
		return fmt.Sprintf("(nothing: zbarimg %v)", err)
	}
	return strings.TrimSuffix(string(got), "\n")
}

func TestJoinBroken(t *testing.T) {
	known := textWords("на базе стажировочных площадок, сайт http://obrazovaniebalashiha.edumsko.ru/ МБОУ «Верх-Чебулинская СОШ» и по-\u00adрусски, по плану")
	for _, c := range []struct{ name, in, want string }{
		{"our hyphenation", "на базе стажиро-\nвочных площадок,", "на базе стажировочных\nплощадок,\n"},
		{"LibreOffice's, over a page break", "на базе ста-\f\nжировочных площадок,", "на базе стажировочных\nплощадок,\n"},
		{"URL after the scheme", "сайт http://\nobrazovaniebalashiha.edumsko.ru/", "сайт http://obrazovaniebalashiha.edumsko.ru/\n"},
		{"after a word's own hyphen", "МБОУ «Верх-\nЧебулинская СОШ»", "МБОУ «ВерхЧебулинская\nСОШ»\n"},
		// A word that is not the text's stays in pieces, so the comparison still fails.
		{"misspelt word", "на базе стажиро-\nвачных площадок,", "на базе стажиро-\nвачных площадок,\n"},
		{"missing tail", "на базе стажиро-\nплощадок,", "на базе стажиро-\nплощадок,\n"},
		{"no hyphen: a cut word", "на базе стажиро\nвочных площадок,", "на базе стажиро\nвочных площадок,\n"},
		{"head is a word itself", "и по-\nрусски, по плану", "и по-\nрусски, по плану\n"},
	} {
		if got := joinBroken(c.in, known); got != c.want {
			t.Errorf("%s: joinBroken(%q) = %q, want %q", c.name, c.in, got, c.want)
		}
	}
}
