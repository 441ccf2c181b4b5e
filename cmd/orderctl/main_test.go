package main

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func captureStderr(t *testing.T, f func() error) (string, error) {
	t.Helper()
	r, w, _ := os.Pipe()
	old := os.Stderr
	os.Stderr = w
	err := f()
	os.Stderr = old
	w.Close()
	out, _ := io.ReadAll(r)
	return string(out), err
}

func TestRenderWritesBothFiles(t *testing.T) {
	out := t.TempDir()
	if err := renderCmd([]string{"--out", out, "../../templates/examples/chebula.json"}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"chebula.pdf", "chebula.docx"} {
		st, err := os.Stat(filepath.Join(out, name))
		if err != nil || st.Size() < 1000 {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestRenderReportsEveryProblem(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"letterhead":{"name":"УО"},"title":"","clauses":[{"text":"a","children":[{"text":""}]}],
		"signatory":{"position":["Директор"],"name":"И.Г. Гусева"},
		"appendices":[{"key":"t","title":"T","content":[{"table":{"columns":[{"title":"A"},{"title":"B"}],"rows":[["1"]]}}]}]}`), 0o644)
	stderr, err := captureStderr(t, func() error { return renderCmd([]string{"--out", dir, bad}) })
	if !errors.Is(err, errBadDrafts) {
		t.Fatalf("want errBadDrafts, got %v", err)
	}
	for _, want := range []string{"title: не заполнено", "clauses[0].children[0].text: не заполнено",
		"appendices[0].content[0].table.rows[0]: в строке 1 ячеек, а в таблице 2 столбцов"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "bad.pdf")); err == nil {
		t.Error("a bad draft produced a PDF")
	}
}

// TestRenderQRCode: offline, a registered file whose letterhead asks for the QR code gets it
// in both formats, carrying the SHA-256 of the file's draft as the service would carry the
// registry's; a draft (no number) or a letterhead without qr_code gets none.
func TestRenderQRCode(t *testing.T) {
	src, err := os.ReadFile("../../templates/examples/chebula.json")
	if err != nil {
		t.Fatal(err)
	}
	var d map[string]any
	if err := json.Unmarshal(src, &d); err != nil {
		t.Fatal(err)
	}
	d["letterhead"].(map[string]any)["qr_code"] = true
	on, _ := json.Marshal(d)
	delete(d, "number")
	draft, _ := json.Marshal(d)
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		data []byte
		want bool
	}{{"on", on, true}, {"draft", draft, false}, {"off", src, false}} {
		file := filepath.Join(dir, tc.name+".json")
		if err := os.WriteFile(file, tc.data, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := renderCmd([]string{"--out", dir, file}); err != nil {
			t.Fatal(err)
		}
		docx, err := os.ReadFile(filepath.Join(dir, tc.name+".docx"))
		if err != nil {
			t.Fatal(err)
		}
		zr, err := zip.NewReader(bytes.NewReader(docx), int64(len(docx)))
		if err != nil {
			t.Fatal(err)
		}
		_, err = zr.Open("word/media/orders-qr.png")
		if got := err == nil; got != tc.want {
			t.Errorf("%s: QR picture in the DOCX %v, want %v", tc.name, got, tc.want)
		}
		pdf, _ := os.ReadFile(filepath.Join(dir, tc.name+".pdf"))
		// The modules are filled rectangles: the text of an order draws none.
		if got := bytes.Contains(pdf, []byte(" re f")) || bytes.Contains(pdf, []byte(" re\nf")); got != tc.want {
			t.Errorf("%s: QR modules in the PDF %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestGetSummary: orderctl get prints a short summary, not the draft's JSON.
func TestGetSummary(t *testing.T) {
	raw := []byte(`{"id":"0193a3b4-0000-7000-8000-000000000000","organization":"balashikha","kind":"приказ",
		"title":"Об организации работы стажировочных площадок","number":"1355","date":"2022-09-22","status":"rendered",
		"state":"signed","journal":"main","signatory":"Зубова Анна Николаевна",
		"documents":{"pdf":{"size":51200,"sha256":"ab12"},"signed_pdf":{"size":60000,"sha256":"cd34"}},
		"draft":{"clauses":[{"text":"Утвердить перечень"}]}}`)
	var out strings.Builder
	if err := summary(&out, raw); err != nil {
		t.Fatal(err)
	}
	want := `Приказ № 1355 от 22.09.2022 «Об организации работы стажировочных площадок»
  ID:          0193a3b4-0000-7000-8000-000000000000
  организация: balashikha
  состояние:   подписан, документ: готов
  журнал:      main
  подписал:    Зубова Анна Николаевна
  PDF:         50 КБ, SHA-256 ab12
  подписанный: 59 КБ, SHA-256 cd34
`
	if out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}
}

// TestSubmitBatchProblemsInRussian: a refused batch is told apart as the server tells it,
// template problems or row problems, in Russian words a clerk reads.
func TestSubmitBatchProblemsInRussian(t *testing.T) {
	for _, tc := range []struct {
		name, answer string
		wantErr      error
		want         []string
	}{
		{"rows", `{"title":"Ошибки в строках","status":422,"detail":"в строках 2 ошибки","row_problems":[
			{"line":3,"column":"Тема","message":"пусто","text":"строка 3, столбец «Тема»: пусто"},
			{"line":4,"column":"Дата","message":"не дата","text":"строка 4, столбец «Дата»: не дата"}]}`,
			errRowProblems, []string{"площадки.csv: в строках 2 ошибки:\n", "  строка 3, столбец «Тема»: пусто\n"}},
		{"template", `{"title":"Ошибка в шаблоне","status":422,"detail":"ошибка в шаблоне: …","template_problems":[
			{"path":"template.signatory.name","field":"подписант","message":"{подписант}: нет ни столбца, ни константы с таким именем",
			 "text":"template.signatory.name: {подписант}: нет ни столбца, ни константы с таким именем"}]}`,
			errTemplateProblems, []string{"шаблон: 1 ошибка (файл данных не проверялся):\n", "  template.signatory.name: {подписант}: нет ни столбца"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/problem+json")
				w.WriteHeader(http.StatusUnprocessableEntity)
				io.WriteString(w, tc.answer)
			}))
			defer srv.Close()
			c := &apiClient{server: srv.URL, http: srv.Client()}
			var out strings.Builder
			_, err := c.submitBatch(&batchUpload{dataFile: "площадки.csv", data: []byte("a\n1\n"), templateName: "x"}, &out)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err %v, want %v", err, tc.wantErr)
			}
			for _, w := range append(tc.want, "") {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
			if regexp.MustCompile(`problem|\brows?\b|issued`).MatchString(out.String() + err.Error()) {
				t.Errorf("English words in\n%s%v", out.String(), err)
			}
		})
	}
}
