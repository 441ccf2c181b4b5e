package pdf

import (
	"html"
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

// fixed is the creation date of every test document, so output is reproducible.
var fixed = time.Date(2022, 9, 22, 10, 0, 0, 0, time.UTC)

// mmPt converts millimetres to PDF points, the unit of pdftotext -bbox.
const mmPt = 72 / 25.4

// tool finds an external checker; a missing tool fails the run in CI and skips locally.
func tool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is required in CI: %v", name, err)
		}
		t.Skipf("%s not installed", name)
	}
	return p
}

// optionalTool finds a checker that adds confidence but is not required (pdfcpu is a Go
// tool: go install github.com/pdfcpu/pdfcpu/cmd/pdfcpu@latest).
func optionalTool(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if home, err := os.UserHomeDir(); err == nil {
		p := filepath.Join(home, "go", "bin", name)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

func writePDF(t *testing.T, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// pdftotext returns the text of the pages (first..last, 0 for all) in reading order.
func pdftotext(t *testing.T, data []byte, first, last int) string {
	t.Helper()
	args := []string{"-enc", "UTF-8"}
	if first > 0 {
		args = append(args, "-f", strconv.Itoa(first), "-l", strconv.Itoa(last))
	}
	args = append(args, writePDF(t, data), "-")
	out, err := exec.Command(tool(t, "pdftotext"), args...).Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

// word is a word as pdftotext -bbox sees it, in points from the top-left corner.
type word struct {
	page                   int
	xMin, yMin, xMax, yMax float64
	text                   string
}

var (
	pageRe = regexp.MustCompile(`<page width="([\d.]+)" height="([\d.]+)">`)
	wordRe = regexp.MustCompile(`<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>`)
)

func words(t *testing.T, data []byte) []word {
	t.Helper()
	out, err := exec.Command(tool(t, "pdftotext"), "-bbox", "-enc", "UTF-8", writePDF(t, data), "-").Output()
	if err != nil {
		t.Fatalf("pdftotext -bbox: %v", err)
	}
	var ws []word
	page := 0
	for _, line := range strings.Split(string(out), "\n") {
		if pageRe.MatchString(line) {
			page++
			continue
		}
		m := wordRe.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		w := word{page: page, text: html.UnescapeString(m[5])}
		for i, dst := range []*float64{&w.xMin, &w.yMin, &w.xMax, &w.yMax} {
			*dst, _ = strconv.ParseFloat(m[i+1], 64)
		}
		ws = append(ws, w)
	}
	return ws
}

func render(t testing.TB, doc *layout.Doc) []byte {
	t.Helper()
	out, err := Render(doc, Options{CreationDate: fixed})
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	return out
}

func build(t testing.TB, d *order.Draft) *layout.Doc {
	t.Helper()
	doc, err := layout.Build(d, layout.Options{})
	if err != nil {
		t.Fatalf("layout: %v", err)
	}
	return doc
}

// loadDraft decodes a JSON draft the way the service does.
func loadDraft(t testing.TB, path string) *order.Draft {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	d, err := order.Decode(data)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return d
}

// draft is a small registered order; tests change what they exercise.
func draft() *order.Draft {
	return &order.Draft{
		Letterhead: &order.Letterhead{
			Parents: []string{"Администрация Городского округа Балашиха"},
			Name:    "УПРАВЛЕНИЕ ПО ОБРАЗОВАНИЮ",
			Address: "143900 Московская обл., г. Балашиха, ул. Советская, д. 4",
			Phone:   "8 (495) 521-95-16",
			Email:   "blsh_obraz@mosreg.ru",
		},
		Kind:   order.KindPrikaz,
		Date:   "2022-09-22",
		Number: "1355",
		Title:  "Об организации работы стажировочных площадок",
		Preamble: []string{"На основании приказа ГБОУ ВО МО «Академия социального управления» от 20.09.2022 " +
			"№ 1087-04 «Об утверждении перечня стажировочных и региональных инновационных площадок " +
			"Московской области на 2022-2023 учебный год», в целях содействия построению региональной системы"},
		Clauses: []order.Clause{
			{Text: "Организовать работу стажировочных площадок и региональных инновационных площадок в 2022-2023 учебном году."},
			{Text: "Руководителям образовательных учреждений создать условия для непрерывного образования педагогов."},
		},
		Control:   "Контроль за исполнением настоящего приказа возложить на заместителя начальника управления по образованию Мартынову Л.Е.",
		Signatory: order.Signatory{Position: []string{"Начальник", "Управления по образованию"}, Name: "А.Н. Зубова"},
	}
}

// fill adds n one-line clauses, pushing what follows down the page.
func fill(d *order.Draft, n int) {
	for i := range n {
		d.Clauses = append(d.Clauses, order.Clause{Text: "Строка заполнения страницы номер " + strconv.Itoa(i+1) + "."})
	}
}

// expectedWords are the words a reader must get back from the blocks, page numbers
// included.
func expectedWords(doc *layout.Doc, pages int) []string {
	var parts []string
	h := doc.Head
	parts = append(parts, h.DraftMark)
	parts = append(parts, h.Parents...)
	parts = append(parts, h.Name, h.Subordinate)
	parts = append(parts, h.Contacts...)
	parts = append(parts, h.KindWord, h.Date, h.Number, h.Place)
	for _, b := range doc.Body {
		parts = append(parts, b.Label, b.Text)
		if b.Table != nil {
			parts = append(parts, b.Table.Header...)
			for _, r := range b.Table.Rows {
				parts = append(parts, r...)
			}
		}
		if b.Signature != nil {
			parts = append(parts, b.Signature.Position...)
			parts = append(parts, b.Signature.Name)
		}
	}
	for p := 2; p <= pages; p++ {
		parts = append(parts, strconv.Itoa(p))
	}
	return fields(strings.Join(parts, " "))
}

// fields splits on any space, the no-break one included.
func fields(s string) []string {
	return strings.Fields(strings.ReplaceAll(s, "\u00a0", " "))
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
