package pdf

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"orders/internal/layout"
)

// examples are the drafts of templates/examples, whatever is there, laid out.
func examples(t testing.TB) map[string]*layout.Doc {
	t.Helper()
	files, err := filepath.Glob("../../../templates/examples/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	out := map[string]*layout.Doc{}
	for _, f := range files {
		out[strings.TrimSuffix(filepath.Base(f), ".json")] = build(t, loadDraft(t, f))
	}
	return out
}

// spacing is how wide a stretched (or shrunk) space of a justified line is, in normal
// spaces of its face and size.
type spacing struct {
	ratio float64
	where string
}

func worstSpacing(t testing.TB, r *Renderer, doc *layout.Doc) (widest, narrowest spacing) {
	t.Helper()
	pages, err := r.compose(doc)
	if err != nil {
		t.Fatal(err)
	}
	widest.ratio, narrowest.ratio = 1, 1
	for p, ops := range pages {
		for _, o := range ops {
			if o.kind != opText || o.tw == 0 {
				continue
			}
			space := mm(r.faces[o.style].units(" "), o.size)
			ratio := (space + o.tw) / space
			where := fmt.Sprintf("page %d: %q", p+1, o.text)
			if ratio > widest.ratio {
				widest = spacing{ratio, where}
			}
			if ratio < narrowest.ratio {
				narrowest = spacing{ratio, where}
			}
		}
	}
	return widest, narrowest
}

// TestRivers: with hyphenation, no justified line of an example stretches its spaces
// beyond twice the normal width (the rivers of the issue), nor squeezes them below
// minSpace. go test -v prints the worst line of each example.
func TestRivers(t *testing.T) {
	r, err := defaultRenderer()
	if err != nil {
		t.Fatal(err)
	}
	for name, doc := range examples(t) {
		widest, narrowest := worstSpacing(t, r, doc)
		t.Logf("%s: widest space %.2f× (%s), narrowest %.2f×", name, widest.ratio, widest.where, narrowest.ratio)
		if widest.ratio > 2 {
			t.Errorf("%s: spaces stretched to %.2f× the normal width at %s", name, widest.ratio, widest.where)
		}
		if narrowest.ratio < minSpace-eps {
			t.Errorf("%s: spaces squeezed to %.2f× the normal width at %s", name, narrowest.ratio, narrowest.where)
		}
	}
}
