package layout_test

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"orders/internal/layout"
	"orders/internal/order"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// TestExamplesGolden lays out every example draft and compares its plain text with the
// checked-in golden file: numbering, references, marks and typography in one look.
func TestExamplesGolden(t *testing.T) {
	files, err := filepath.Glob("../../templates/examples/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	for _, f := range files {
		name := filepath.Base(f[:len(f)-len(".json")])
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			d, err := order.Decode(data)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			doc, err := layout.Build(d, layout.Options{})
			if err != nil {
				t.Fatal(err)
			}
			got := doc.PlainText()
			golden := filepath.Join("testdata", name+".txt")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("plain text differs from %s (run with -update and review the diff):\n%s", golden, got)
			}
		})
	}
}
