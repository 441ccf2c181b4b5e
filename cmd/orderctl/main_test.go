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
