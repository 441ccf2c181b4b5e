package pdf

import (
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestGoldenLayout pins where every line lands: page, position, face, size, word
// spacing and text. A change in line breaking or pagination shows up here as a diff a
// reviewer can read, long before anyone opens a PDF.
func TestGoldenLayout(t *testing.T) {
	r, err := defaultRenderer()
	if err != nil {
		t.Fatal(err)
	}
	for name, doc := range docs(t) {
		t.Run(name, func(t *testing.T) {
			pages, err := r.compose(doc)
			if err != nil {
				t.Fatal(err)
			}
			got := dumpPages(pages)
			path := filepath.Join("testdata", name+".golden")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got != string(want) {
				gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
				for i := range min(len(gl), len(wl)) {
					if gl[i] != wl[i] {
						t.Fatalf("%s differs at line %d:\n got: %s\nwant: %s\n(go test -update rewrites it)", path, i+1, gl[i], wl[i])
					}
				}
				t.Fatalf("%s differs in length: %d lines, want %d", path, len(gl), len(wl))
			}
		})
	}
}

func dumpPages(pages [][]op) string {
	var b strings.Builder
	for p, ops := range pages {
		fmt.Fprintf(&b, "== page %d\n", p+1)
		// The modules of a QR code are summed up: their count and the box they fill.
		rects, x0, y0, x1, y1 := 0, math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
		for _, o := range ops {
			switch o.kind {
			case opRect:
				rects++
				x0, y0, x1, y1 = min(x0, o.x), min(y0, o.y), max(x1, o.x2), max(y1, o.y2)
			case opText:
				fmt.Fprintf(&b, "%s%g x=%.2f y=%.2f", styleNames[o.style], o.size, o.x, o.y)
				if o.tw != 0 {
					fmt.Fprintf(&b, " tw=%.3f", o.tw)
				}
				fmt.Fprintf(&b, " |%s|\n", strings.ReplaceAll(o.text, "\u00a0", "~"))
			case opLine:
				fmt.Fprintf(&b, "line %.2f,%.2f %.2f,%.2f\n", o.x, o.y, o.x2, o.y2)
			case opEmblem:
				fmt.Fprintf(&b, "emblem %.2f,%.2f %.2f,%.2f\n", o.x, o.y, o.x2, o.y2)
			}
		}
		if rects > 0 {
			fmt.Fprintf(&b, "rects %d in %.2f,%.2f %.2f,%.2f\n", rects, x0, y0, x1, y1)
		}
	}
	return b.String()
}
