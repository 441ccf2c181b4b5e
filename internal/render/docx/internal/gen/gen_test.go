package gen

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite templates/letterhead/*.docx")

// TestLetterheadFiles keeps the committed templates equal to what this package generates.
func TestLetterheadFiles(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "..", "..", "templates", "letterhead")
	for name, data := range map[string][]byte{"centered.docx": Centered(), "corner.docx": Corner()} {
		path := filepath.Join(dir, name)
		if *update {
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, data) {
			t.Errorf("%s differs from the generator; run go test ./internal/render/docx/internal/gen -update", path)
		}
	}
}
