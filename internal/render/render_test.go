package render

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"flag"
	"fmt"
	"io"
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
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// tool finds an external judge; CI must have every one, a developer may lack some.
func tool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is missing; .ci/run installs it", name)
		}
		t.Skipf("%s is missing", name)
	}
	return p
}

func examples(t testing.TB) map[string]*order.Draft {
	t.Helper()
	files, err := filepath.Glob("../../templates/examples/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	out := map[string]*order.Draft{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		d, err := order.Decode(data)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[strings.TrimSuffix(filepath.Base(f), ".json")] = d
	}
	return out
}

var fixed = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

// pdfText extracts the text with pdftotext and drops the page numbers at the top of pages
// 2…n, which are not words of the order.
func pdfText(t *testing.T, pdf []byte) (text string, pages int) {
	t.Helper()
	cmd := exec.Command(tool(t, "pdftotext"), "-enc", "UTF-8", "-", "-")
	cmd.Stdin = bytes.NewReader(pdf)
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	pageTexts := strings.Split(strings.TrimRight(string(out), "\f"), "\f")
	for i, p := range pageTexts {
		if i == 0 {
			continue
		}
		lines := strings.Split(strings.TrimLeft(p, "\n"), "\n")
		if len(lines) > 0 && strings.TrimSpace(lines[0]) == strconv.Itoa(i+1) {
			pageTexts[i] = strings.Join(lines[1:], "\n")
		}
	}
	return strings.Join(pageTexts, "\n"), len(pageTexts)
}

func words(s string) []string {
	w := strings.Fields(strings.ReplaceAll(s, "\u00a0", " "))
	slices.Sort(w)
	return w
}

// diffWords says which words one text has that the other lacks.
func diffWords(a, b []string) string {
	count := map[string]int{}
	for _, w := range a {
		count[w]++
	}
	for _, w := range b {
		count[w]--
	}
	var sb strings.Builder
	for w, n := range count {
		if n != 0 {
			fmt.Fprintf(&sb, "%q:%+d ", w, n)
		}
	}
	return sb.String()
}

// TestExamplesText is the golden test of both renderers: the PDF's extracted text equals
// the checked-in text, and it has exactly the words of the layout, as does the DOCX.
func TestExamplesText(t *testing.T) {
	r := New(layout.Options{})
	for name, d := range examples(t) {
		t.Run(name, func(t *testing.T) {
			pdf, docx, err := r.Render(d, fixed)
			if err != nil {
				t.Fatal(err)
			}
			doc, _ := layout.Build(d, layout.Options{})
			want := words(doc.PlainText())

			text, _ := pdfText(t, pdf)
			golden := filepath.Join("testdata", name+".pdf.txt")
			norm := layout.NormalizeText(text)
			if *update {
				if err := os.WriteFile(golden, []byte(norm+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			g, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if norm != strings.TrimSpace(string(g)) {
				t.Errorf("PDF text differs from %s (review, then -update):\n%s", golden, norm)
			}
			if d := diffBeyondHeaders(words(text), want, headers(doc)); d != "" {
				t.Errorf("PDF words differ from the layout: %s", d)
			}

			// Word numbering is not in document.xml, so the labels are left out here; the
			// LibreOffice test checks that Word's numbers are the layout's numbers.
			var noLabels []string
			for _, b := range doc.Body {
				if b.Label != "" {
					noLabels = append(noLabels, b.Label)
				}
			}
			if got := words(docxText(t, docx)); !slices.Equal(got, without(want, noLabels)) {
				t.Errorf("DOCX words differ from the layout: %s", diffWords(got, without(want, noLabels)))
			}
		})
	}
}

// headers are the header rows of the document's tables, each as sorted words: a table that
// runs over several pages repeats its header on each.
func headers(doc *layout.Doc) [][]string {
	var hs [][]string
	for _, b := range doc.Body {
		if b.Kind == layout.TableBlock && b.Table != nil && len(b.Table.Header) > 0 {
			hs = append(hs, words(strings.Join(b.Table.Header, " ")))
		}
	}
	return hs
}

// diffBeyondHeaders compares two sorted word lists that may differ only by whole copies of
// table headers (repeated on continued pages, one renderer breaking a page earlier than the
// other); it returns "" when they agree so, else the difference.
func diffBeyondHeaders(a, b []string, hs [][]string) string {
	count := map[string]int{}
	for _, w := range a {
		count[w]++
	}
	for _, w := range b {
		count[w]--
	}
	for _, h := range hs {
		for _, sign := range []int{1, -1} {
			for covers(count, h, sign) {
				for _, w := range h {
					count[w] -= sign
				}
			}
		}
	}
	for _, n := range count {
		if n != 0 {
			return diffWords(a, b)
		}
	}
	return ""
}

// covers reports whether count holds one more copy of h on the side of sign.
func covers(count map[string]int, h []string, sign int) bool {
	need := map[string]int{}
	for _, w := range h {
		need[w]++
	}
	for w, n := range need {
		if count[w]*sign < n {
			return false
		}
	}
	return len(h) > 0
}

func without(ws, remove []string) []string {
	out := slices.Clone(ws)
	for _, r := range remove {
		if i := slices.Index(out, r); i >= 0 {
			out = slices.Delete(out, i, i+1)
		}
	}
	return out
}

// docxText reads the words of word/document.xml: the text of every w:t, paragraphs and
// breaks as spaces.
func docxText(t testing.TB, docx []byte) string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(docx), int64(len(docx)))
	if err != nil {
		t.Fatal(err)
	}
	f, err := zr.Open("word/document.xml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var sb strings.Builder
	dec := xml.NewDecoder(f)
	inText := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("document.xml is not well-formed: %v", err)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			inText = el.Name.Local == "t"
			if el.Name.Local == "br" || el.Name.Local == "tab" || el.Name.Local == "p" {
				sb.WriteByte(' ')
			}
		case xml.EndElement:
			inText = false
			if el.Name.Local == "p" || el.Name.Local == "tc" {
				sb.WriteByte(' ')
			}
		case xml.CharData:
			if inText {
				sb.Write(el)
			}
		}
	}
	return sb.String()
}

// hyphenatedLine is a line that ends inside a Russian word.
var hyphenatedLine = regexp.MustCompile(`\p{Cyrillic}{2}-$`)

// softHyphens counts the lines of a PDF's text (pdftotext -layout) that end with a hyphen
// the text does not have: «Чебу-» above «линская» where the text says «Чебулинская», not
// «Верх-» above «Чебулинская».
func softHyphens(pdfText, text string) int {
	text = strings.ReplaceAll(text, "\u00a0", " ")
	lines := strings.Split(pdfText, "\n")
	n := 0
	for i := 0; i+1 < len(lines); i++ {
		l := strings.TrimSpace(lines[i])
		next := strings.Fields(lines[i+1])
		if !hyphenatedLine.MatchString(l) || len(next) == 0 {
			continue
		}
		last := l[strings.LastIndex(l, " ")+1:]
		if strings.Contains(text, strings.TrimSuffix(last, "-")+next[0]) && !strings.Contains(text, last+next[0]) {
			n++
		}
	}
	return n
}

// layoutText is the text of a PDF line by line, as pdftotext -layout reads it: hyphens at
// line ends stay.
func layoutText(t *testing.T, pdf []byte) string {
	t.Helper()
	cmd := exec.Command(tool(t, "pdftotext"), "-layout", "-enc", "UTF-8", "-", "-")
	cmd.Stdin = bytes.NewReader(pdf)
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func TestDeterministic(t *testing.T) {
	r := New(layout.Options{})
	for name, d := range examples(t) {
		p1, d1, err := r.Render(d, fixed)
		if err != nil {
			t.Fatal(err)
		}
		p2, d2, _ := r.Render(d, fixed)
		if !bytes.Equal(p1, p2) || !bytes.Equal(d1, d2) {
			t.Errorf("%s: same draft and time gave other bytes", name)
		}
	}
}

// FuzzRender: any input either fails to decode or renders to a PDF and a well-formed DOCX,
// never a panic.
func FuzzRender(f *testing.F) {
	files, _ := filepath.Glob("../../templates/examples/*.json")
	for _, file := range files {
		data, _ := os.ReadFile(file)
		f.Add(data)
	}
	f.Add([]byte(`{"letterhead":{"name":"<&>"},"title":"]]>","clauses":[{"text":"\"x\" <w:p/>"}],"signatory":{"position":["a"],"name":"b"}}`))
	r := New(layout.Options{})
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := order.Decode(data)
		if err != nil || d.Letterhead == nil {
			return
		}
		pdf, docx, err := r.Render(d, fixed)
		if err != nil {
			return
		}
		if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
			t.Fatal("not a PDF")
		}
		zr, err := zip.NewReader(bytes.NewReader(docx), int64(len(docx)))
		if err != nil {
			t.Fatal(err)
		}
		for _, zf := range zr.File {
			if !strings.HasSuffix(zf.Name, ".xml") && !strings.HasSuffix(zf.Name, ".rels") {
				continue
			}
			rc, _ := zf.Open()
			dec := xml.NewDecoder(rc)
			for {
				if _, err := dec.Token(); err == io.EOF {
					break
				} else if err != nil {
					t.Fatalf("%s is not well-formed: %v", zf.Name, err)
				}
			}
			rc.Close()
		}
	})
}

// TestStampedPDF: the mark says what the certificate says, whole, for a short serial and for
// a real one (40 hex digits, which the mark breaks inside its frame; internal/render/pdf's
// TestStampInsideFrame checks the geometry).
func TestStampedPDF(t *testing.T) {
	d := examples(t)["balashikha"]
	from, to := time.Date(2022, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2023, 6, 1, 0, 0, 0, 0, time.UTC)
	for _, st := range []*layout.Stamp{
		{Serial: "01D8A3F2C4B5E6F7", Owner: "Зубова Анна Николаевна", ValidFrom: from, ValidTo: to},
		{Serial: "7C001D3CAB01F4E2D5A6B7C8D9E0F1A2B3C4D5E6", Owner: "Константинопольская-Преображенская Анна-Мария Александровна", ValidFrom: from, ValidTo: to},
	} {
		pdf, err := New(layout.Options{}).StampedPDF(d, fixed, st)
		if err != nil {
			t.Fatal(err)
		}
		text, _ := pdfText(t, pdf)
		joined := strings.Join(strings.Fields(layout.NormalizeText(text)), "")
		for _, want := range []string{"ДОКУМЕНТ ПОДПИСАН ЭЛЕКТРОННОЙ ПОДПИСЬЮ", "Сертификат: " + st.Serial,
			"Владелец: " + st.Owner, "Действителен с 01.03.2022 по 01.06.2023", "А.Н. Зубова"} {
			if !strings.Contains(joined, strings.Join(strings.Fields(want), "")) {
				t.Errorf("stamped PDF lacks %q:\n%s", want, text)
			}
		}
	}
}

// TestRenderDrawsItsLayout: Render is Layout once and both drawings of that one value, so the
// PDF a preview draws from the intake's layout (render.PDF) is the worker's PDF byte for byte,
// with the renderer's page options in both.
func TestRenderDrawsItsLayout(t *testing.T) {
	r := New(layout.Options{Left: 25, LineSpacing: 1.15})
	for name, d := range examples(t) {
		t.Run(name, func(t *testing.T) {
			want, _, err := r.Render(d, fixed)
			if err != nil {
				t.Fatal(err)
			}
			doc, err := r.Layout(d)
			if err != nil {
				t.Fatal(err)
			}
			got, err := PDF(doc, fixed)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Error("the PDF drawn from Layout differs from Render's")
			}
			if def, _, _ := New(layout.Options{}).Render(d, fixed); bytes.Equal(def, want) {
				t.Error("the page options made no difference: the test would not see them dropped")
			}
		})
	}
	if _, err := New(layout.Options{LineSpacing: 4}).Layout(examples(t)["balashikha"]); err == nil {
		t.Error("a line spacing of 4 was laid out; intake relies on Layout refusing it")
	}
}
