package main

import (
	"errors"
	"io"
	"os"
	"path/filepath"
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
