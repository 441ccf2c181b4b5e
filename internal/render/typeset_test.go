package render

import (
	"archive/zip"
	"bytes"
	"html"
	"io"
	"math"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"orders/internal/layout"
	"orders/internal/order"
	"orders/internal/render/pdf"
)

var bboxWord = regexp.MustCompile(`<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>`)

// segment is a run of words on one baseline with no more than a stretched space between
// them: one line of one text box (a paragraph, a table cell).
type segment struct {
	page      int
	y, x0, x1 float64
	words     []string
	contFound bool // its first word was matched as the rest of a hyphenated word
}

// maxGap separates the text boxes of a line in points: a justified space stretched to 2×
// of 14 pt is 7 pt; two cells' padding and rule are over 10 pt.
const maxGap = 8.5

// pdfSegments reads the words of a PDF with pdftotext -bbox and groups them into segments.
func pdfSegments(t *testing.T, pdf []byte) []segment {
	t.Helper()
	cmd := exec.Command(tool(t, "pdftotext"), "-bbox", "-enc", "UTF-8", "-", "-")
	cmd.Stdin = bytes.NewReader(pdf)
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	type word struct {
		page                   int
		xMin, yMin, xMax, yMax float64
		text                   string
	}
	var ws []word
	for i, page := range strings.Split(string(out), "<page ") {
		for _, m := range bboxWord.FindAllStringSubmatch(page, -1) {
			w := word{page: i, text: html.UnescapeString(m[5])}
			for j, dst := range []*float64{&w.xMin, &w.yMin, &w.xMax, &w.yMax} {
				*dst, _ = strconv.ParseFloat(m[j+1], 64)
			}
			ws = append(ws, w)
		}
	}
	slices.SortStableFunc(ws, func(a, b word) int {
		if a.page != b.page {
			return a.page - b.page
		}
		if math.Abs(a.yMax-b.yMax) > 1 {
			return cmpFloat(a.yMax, b.yMax)
		}
		return cmpFloat(a.xMin, b.xMin)
	})
	// A gap wider than maxGap still joins words when another gap of the baseline is as
	// wide: the spaces of a justified line stretch alike, the gaps between cells do not.
	sameLine := func(a, b word) bool { return a.page == b.page && math.Abs(a.yMax-b.yMax) <= 1 }
	wideSpace := map[float64]int{}
	for i := 1; i < len(ws); i++ {
		if sameLine(ws[i-1], ws[i]) {
			wideSpace[math.Round((ws[i].xMin-ws[i-1].xMax)*4)]++
		}
	}
	var segs []segment
	for i, w := range ws {
		if n := len(segs); n > 0 {
			s := &segs[n-1]
			gap := w.xMin - s.x1
			if sameLine(ws[i-1], w) && (gap <= maxGap || wideSpace[math.Round(gap*4)] > 2) {
				s.words, s.x1 = append(s.words, w.text), w.xMax
				continue
			}
		}
		segs = append(segs, segment{page: w.page, y: w.yMax, x0: w.xMin, x1: w.xMax, words: []string{w.text}})
	}
	return segs
}

func cmpFloat(a, b float64) int {
	if a < b {
		return -1
	}
	return 1
}

// below finds the segment that continues segs[i] on the next line of the same text box:
// on the nearest lower baseline of the page, overlapping it most.
func below(segs []segment, i int) int {
	s := segs[i]
	best, bestY, bestOverlap := -1, math.Inf(1), 0.0
	for j := i + 1; j < len(segs); j++ {
		o := segs[j]
		if o.page != s.page || o.y <= s.y+1 {
			continue
		}
		overlap := min(s.x1, o.x1) - max(s.x0, o.x0)
		if overlap <= 0 {
			continue
		}
		if o.y < bestY-1 || math.Abs(o.y-bestY) <= 1 && overlap > bestOverlap {
			best, bestY, bestOverlap = j, o.y, overlap
		}
	}
	return best
}

// typesetDrafts are the examples and drafts made to corner the line breaker: a table whose
// draft weights leave a column too narrow for «Руководитель» and «И.В. Петрова».
func typesetDrafts(t *testing.T) map[string]*order.Draft {
	drafts := examples(t)
	data, err := os.ReadFile("testdata/narrow-table.json")
	if err != nil {
		t.Fatal(err)
	}
	d, err := order.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	drafts["narrow-table"] = d
	return drafts
}

// TestNoWordCutWithoutHyphen: in every example PDF each line ends with a whole word of the
// layout's text or with a hyphenated part of one whose rest opens the next line; no
// line ends inside a no-break join («И.В. Петрова», «№ 37-о», «24 августа 2021 г.»).
// Checked on the text pdftotext -bbox-layout reads back, as a reader would see it.
func TestNoWordCutWithoutHyphen(t *testing.T) {
	r := New(layout.Options{})
	for name, d := range typesetDrafts(t) {
		t.Run(name, func(t *testing.T) {
			pdf, _, err := r.Render(d, fixed)
			if err != nil {
				t.Fatal(err)
			}
			doc, _ := layout.Build(d, layout.Options{})
			text := doc.PlainText()
			whole := map[string]bool{}
			joined, spaced := map[[2]string]bool{}, map[[2]string]bool{}
			for _, token := range strings.Split(strings.ReplaceAll(text, "\n", " "), " ") {
				parts := strings.Split(token, "\u00a0")
				for i, p := range parts {
					whole[p] = true
					if i > 0 {
						joined[[2]string{parts[i-1], p}] = true
					}
				}
			}
			fs := strings.Fields(strings.ReplaceAll(text, "\u00a0", "\x00"))
			for i := 1; i < len(fs); i++ {
				a, b := strings.Split(fs[i-1], "\x00"), strings.Split(fs[i], "\x00")
				spaced[[2]string{a[len(a)-1], b[0]}] = true
			}
			segs := pdfSegments(t, pdf)
			for p := 2; p <= segs[len(segs)-1].page; p++ {
				whole[strconv.Itoa(p)] = true // page numbers
			}
			cuts := 0
			fail := func(format string, args ...any) {
				t.Errorf(format, args...)
				cuts++
			}
			// A table header repeated at the top of the next pages: pdftotext -bbox-layout reads
			// its cells as one line there, with the hyphenated header word in the middle. Its
			// breaking is the first page's, checked there.
			var headerWords []string
			for _, b := range doc.Body {
				if b.Table != nil {
					headerWords = append(headerWords, strings.Fields(strings.ReplaceAll(strings.Join(b.Table.Header, " "), "\u00a0", " "))...)
				}
			}
			repeatedHeader := func(s *segment) bool {
				if s.page == 1 || len(headerWords) == 0 {
					return false
				}
				for _, w := range s.words {
					if !slices.ContainsFunc(headerWords, func(h string) bool {
						return h == w || strings.HasSuffix(w, "-") && strings.HasPrefix(h, strings.TrimSuffix(w, "-")) || strings.HasSuffix(h, w)
					}) {
						return false
					}
				}
				return true
			}
			for i := range segs {
				s := &segs[i]
				if repeatedHeader(s) {
					s.contFound = true
					if j := below(segs, i); j >= 0 && strings.HasSuffix(s.words[len(s.words)-1], "-") {
						segs[j].contFound = true // the rest of its hyphenated word
					}
					continue
				}
				last := s.words[len(s.words)-1]
				for _, w := range s.words[1:max(len(s.words)-1, 1)] {
					if !whole[w] {
						fail("page %d: «%s» inside %q is not a word of the text", s.page, w, strings.Join(s.words, " "))
					}
				}
				next := ""
				j := below(segs, i)
				if j >= 0 {
					next = segs[j].words[0]
				}
				if s.contFound && len(s.words) == 1 {
					continue // the middle or end of a word checked with its first part
				}
				switch {
				case strings.HasSuffix(last, "-") && len(last) > 1 && !whole[last]:
					// Follow the word down its lines: a narrow cell may break it more than once.
					stem := strings.TrimSuffix(last, "-")
					for j >= 0 {
						segs[j].contFound = true
						part := segs[j].words[0]
						if len(segs[j].words) == 1 && strings.HasSuffix(part, "-") && !whole[part] {
							stem += strings.TrimSuffix(part, "-")
							j = below(segs, j)
							continue
						}
						stem += part
						break
					}
					if !whole[stem] {
						fail("page %d: «%s» ends a line, but the lines below make «%s», not a word of the text", s.page, last, stem)
					}
				case !whole[last]:
					fail("page %d: line %q ends with «%s», not a word of the text (line below: %q)", s.page, strings.Join(s.words, " "), last, next)
				case joined[[2]string{last, next}] && !spaced[[2]string{last, next}]:
					fail("page %d: the no-break join «%s %s» is broken across lines", s.page, last, next)
				}
			}
			for _, s := range segs {
				if first := s.words[0]; !whole[first] && !s.contFound && len(s.words) > 1 {
					fail("page %d: line %q starts with «%s», not a word of the text", s.page, strings.Join(s.words, " "), first)
				}
			}
			if cuts == 0 && len(whole) < 20 {
				t.Fatalf("only %d words: the test read nothing", len(whole))
			}
		})
	}
}

var gridCol = regexp.MustCompile(`<w:gridCol w:w="(\d+)"/>`)

// TestTableColumnsFromContent: the DOCX grid has the columns the PDF sized from their
// content, not the draft's weights, which leave «Руководитель» no room.
func TestTableColumnsFromContent(t *testing.T) {
	d := typesetDrafts(t)["narrow-table"]
	_, docx, err := New(layout.Options{}).Render(d, fixed)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := layout.Build(d, layout.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var table *layout.Table
	for _, b := range doc.Body {
		if b.Table != nil {
			table = b.Table
		}
	}
	weights := slices.Clone(table.Widths)
	if err := pdf.FitTables(doc); err != nil {
		t.Fatal(err)
	}
	var grid []float64
	total := 0.0
	for _, m := range gridCol.FindAllStringSubmatch(docxXML(t, docx), -1) {
		w, _ := strconv.ParseFloat(m[1], 64)
		grid = append(grid, w)
		total += w
	}
	if len(grid) != len(table.Widths) {
		t.Fatalf("DOCX grid has %d columns, the table %d", len(grid), len(table.Widths))
	}
	grew := false
	for i, w := range grid {
		if math.Abs(w-table.Widths[i]*total) > 1.5 {
			t.Errorf("column %d: DOCX %.0f twips, PDF %.0f", i, w, table.Widths[i]*total)
		}
		if table.Widths[i] > weights[i]+0.01 {
			grew = true
		}
	}
	if !grew {
		t.Errorf("no column grew beyond its weight %v: %v", weights, table.Widths)
	}
}

// docxXML is word/document.xml of a DOCX.
func docxXML(t *testing.T, docx []byte) string {
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
	data, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
