package docxtmpl

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"orders/internal/batch"
	"orders/internal/render/docx"
	"orders/templates"
)

// testdata/platforms.docx was made by LibreOffice from testdata/platforms.html
// (soffice --headless --convert-to 'docx:MS Word 2007 XML' platforms.html): a Word
// numbered list item marked {строка}, a field in the accusative, and {подписант} split
// across two runs of different formatting, as Word leaves a field someone retyped.
func readTemplate(t *testing.T) *Template {
	t.Helper()
	data, err := os.ReadFile("testdata/platforms.docx")
	if err != nil {
		t.Fatal(err)
	}
	tp, err := Parse(data)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return tp
}

var consts = map[string]string{
	"площадки": "муниципальных инновационных площадок", "учебный_год": "2025-2026",
	"контроль": "заместитель начальника управления Иванова И.И.", "должность_подписанта": "Начальник управления",
	"подписант": "Н.В. Бабенко",
}

func TestFields(t *testing.T) {
	tp := readTemplate(t)
	if !tp.HasRow() {
		t.Fatal("the {строка} paragraph is not found")
	}
	got, _ := json.Marshal(tp.Fields(batch.OneOrder))
	want := `[{"name":"площадки","kind":"text","required":true,"column":false,"example":"","paths":null},` +
		`{"name":"учебный_год","kind":"text","required":true,"column":false,"example":"","paths":null},` +
		`{"name":"Организация","kind":"text","required":true,"column":true,"example":"","paths":null},` +
		`{"name":"Тема","kind":"text","required":true,"column":true,"example":"","paths":null},` +
		`{"name":"Руководитель","kind":"text","required":true,"column":true,"example":"","paths":null},` +
		`{"name":"контроль","kind":"person","required":true,"cases":["вин"],"column":false,"example":"","paths":null},` +
		`{"name":"должность_подписанта","kind":"text","required":true,"column":false,"example":"","paths":null},` +
		`{"name":"подписант","kind":"text","required":true,"column":false,"example":"","paths":null}]`
	if string(got) != want {
		t.Errorf("fields\n%s\nwant\n%s", got, want)
	}
}

// docText is the text of each paragraph of the filled document.
func docText(t *testing.T, docx []byte) (paras []string, numbered int) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(docx), int64(len(docx)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if f.Name != "word/document.xml" {
			continue
		}
		rc, _ := f.Open()
		var b bytes.Buffer
		b.ReadFrom(rc)
		rc.Close()
		xml := b.String()
		numbered = strings.Count(xml, "<w:numPr>")
		for _, p := range regexp.MustCompile(`(?s)<w:p[ >].*?</w:p>`).FindAllString(xml, -1) {
			var s strings.Builder
			for _, m := range regexp.MustCompile(`<w:t(?: [^>]*)?>([^<]*)</w:t>`).FindAllStringSubmatch(p, -1) {
				s.WriteString(m[1])
			}
			paras = append(paras, strings.TrimSpace(s.String()))
		}
	}
	return paras, numbered
}

func TestFillOneOrder(t *testing.T) {
	tp := readTemplate(t)
	rows := []map[string]string{
		{"Организация": "МБОУ «СОШ № 1»", "Тема": "Функциональная грамотность", "Руководитель": "Мартынова Л.Е."},
		{"организация": "МБДОУ «Детский сад № 7»", "тема": "Ранняя профориентация & <наставничество>", "руководитель": "Кузнецова К.К."},
	}
	out, err := tp.Fill(consts, rows)
	if err != nil {
		t.Fatal(err)
	}
	paras, numbered := docText(t, out)
	text := strings.Join(paras, "\n")
	for _, want := range []string{
		"Об организации работы муниципальных инновационных площадок в 2025-2026 учебном году",
		"Организовать на базе МБОУ «СОШ № 1» площадку по теме «Функциональная грамотность», руководитель — Мартынова Л.Е.",
		"Организовать на базе МБДОУ «Детский сад № 7» площадку по теме «Ранняя профориентация &amp; &lt;наставничество&gt;», руководитель — Кузнецова К.К.",
		"возложить на заместителя начальника управления Иванову И.И.",
		"Начальник управления Н.В. Бабенко",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("no %q in\n%s", want, text)
		}
	}
	if strings.Contains(text, "..") {
		t.Errorf("two full stops where a value ending in one meets the template's:\n%s", text)
	}
	if numbered != 2 {
		t.Errorf("%d numbered paragraphs, want one list item per row (2)", numbered)
	}
	if strings.Contains(text, "{") || strings.ContainsRune(text, '\uE000') {
		t.Errorf("a field is left:\n%s", text)
	}
	validate(t, out)
}

func TestFillProblems(t *testing.T) {
	tp := readTemplate(t)
	c := map[string]string{}
	for k, v := range consts {
		c[k] = v
	}
	delete(c, "подписант")
	_, err := tp.Fill(c, []map[string]string{{"Организация": "МБОУ «СОШ № 1»", "Тема": "", "Руководитель": "Р"}})
	if err == nil || !strings.Contains(err.Error(), "строка 1, {Тема}") || !errors.As(err, new(*MissingError)) || !strings.Contains(err.Error(), "{подписант}") {
		t.Errorf("empty required fields: %v", err)
	}
}

// TestHostile: what Parse refuses, each with a Russian reason.
func TestHostile(t *testing.T) {
	good, err := os.ReadFile("testdata/platforms.docx")
	if err != nil {
		t.Fatal(err)
	}
	rezip := func(edit func(name string, b []byte) []byte, extra map[string][]byte) []byte {
		zr, _ := zip.NewReader(bytes.NewReader(good), int64(len(good)))
		var out bytes.Buffer
		zw := zip.NewWriter(&out)
		for _, f := range zr.File {
			rc, _ := f.Open()
			var b bytes.Buffer
			b.ReadFrom(rc)
			rc.Close()
			w, _ := zw.Create(f.Name)
			w.Write(edit(f.Name, b.Bytes()))
		}
		for name, b := range extra {
			w, _ := zw.Create(name)
			w.Write(b)
		}
		zw.Close()
		return out.Bytes()
	}
	same := func(_ string, b []byte) []byte { return b }
	doc := func(old, new string) func(string, []byte) []byte {
		return func(name string, b []byte) []byte {
			if name == "word/document.xml" {
				return bytes.Replace(b, []byte(old), []byte(new), 1)
			}
			return b
		}
	}
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"not a zip", []byte("PK nonsense"), "не архив zip"},
		{"zip bomb", rezip(same, map[string][]byte{"word/media/bomb.bin": make([]byte, MaxPart+1)}), "распаковывается"},
		{"too large", make([]byte, MaxFile+1), "файл больше"},
		{"two row marks", rezip(doc("ПРИКАЗЫВАЮ:", "{строка}ПРИКАЗЫВАЮ:"), nil), "в 2 местах"},
		{"not a case", rezip(doc("{контроль:вин}", "{контроль:винительный падеж}"), nil), "не падеж"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.data)
			if !errors.Is(err, ErrTemplate) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v, want ErrTemplate with %q", err, tc.want)
			}
		})
	}
}

// validate runs the Open XML SDK validator over a filled document (CI=true requires it).
func validate(t *testing.T, docx []byte) {
	t.Helper()
	v := os.Getenv("ORDERS_OOXML_VALIDATOR")
	if v == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("set ORDERS_OOXML_VALIDATOR")
		}
		t.Skip("set ORDERS_OOXML_VALIDATOR to validate the document")
	}
	path := filepath.Join(t.TempDir(), "filled.docx")
	if err := os.WriteFile(path, docx, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(v, path).Output()
	var res struct {
		OK bool `json:"ok"`
	}
	if jerr := json.Unmarshal(out, &res); jerr != nil || !res.OK || err != nil {
		t.Errorf("filled document invalid (%v): %s", err, out)
	}
}

// TestGoDocxShared: Word templates and letterhead templates use go-docx at once without a
// data race on its package counters (go test -race).
func TestGoDocxShared(t *testing.T) {
	word, err := os.ReadFile("testdata/platforms.docx")
	if err != nil {
		t.Fatal(err)
	}
	lh, err := templates.Letterhead.ReadFile("letterhead/centered.docx")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if _, err := Parse(word); err != nil {
				t.Error(err)
			}
		})
		wg.Go(func() {
			if err := docx.CheckTemplate(lh); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
}
