package pdf

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"orders/internal/layout"
)

// rect is a rectangle in PDF points from the top-left corner, as pdftotext -bbox gives them.
type rect struct{ x0, y0, x1, y1 float64 }

func (r rect) contains(w word, tol float64) bool {
	return w.xMin >= r.x0-tol && w.xMax <= r.x1+tol && w.yMin >= r.y0-tol && w.yMax <= r.y1+tol
}

func (r rect) overlaps(w word) bool {
	return w.xMin < r.x1 && w.xMax > r.x0 && w.yMin < r.y1 && w.yMax > r.y0
}

func wordRect(w word) rect { return rect{w.xMin, w.yMin, w.xMax, w.yMax} }

// stampFrame finds the mark's frame among the drawn operations: the document has no
// tables, so its only vertical rules are the frame's sides.
func stampFrame(t *testing.T, doc *layout.Doc) (page int, frame rect) {
	t.Helper()
	r, _ := defaultRenderer()
	pages, err := r.compose(doc)
	if err != nil {
		t.Fatal(err)
	}
	for p, ops := range pages {
		var xs, ys []float64
		for _, o := range ops {
			if o.kind == opLine && o.x == o.x2 {
				xs = append(xs, o.x)
				ys = append(ys, o.y, o.y2)
			}
		}
		if len(xs) == 2 {
			return p + 1, rect{slices.Min(xs) * mmPt, slices.Min(ys) * mmPt, slices.Max(xs) * mmPt, slices.Max(ys) * mmPt}
		}
		if len(xs) != 0 {
			t.Fatalf("page %d: %d vertical rules, want the two sides of one frame", p+1, len(xs))
		}
	}
	t.Fatal("no stamp frame drawn")
	return 0, rect{}
}

func noSpace(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

// TestStampInsideFrame: the visible mark of an electronic signature keeps all its words
// inside its frame for real certificates (a 40-digit serial, a long three-part owner), and
// no other word (position, name, text above) touches the frame. The serial of a real
// certificate used to run out of the frame over the signer's name.
func TestStampInsideFrame(t *testing.T) {
	valid := func(s *layout.Stamp) *layout.Stamp {
		s.ValidFrom = time.Date(2022, 3, 1, 9, 0, 0, 0, time.UTC)
		s.ValidTo = time.Date(2023, 6, 1, 9, 0, 0, 0, time.UTC)
		return s
	}
	const (
		serial40 = "7C001D3CAB01F4E2D5A6B7C8D9E0F1A2B3C4D5E6"
		owner60  = "Константинопольская-Преображенская Анна-Мария Александровна"
	)
	if len(serial40) != 40 || utf8.RuneCountInString(owner60) < 59 {
		t.Fatalf("test values: serial %d digits, owner %d characters", len(serial40), utf8.RuneCountInString(owner60))
	}
	longPosition := []string{"Заместитель начальника управления по образованию – начальник отдела общего, дошкольного и дополнительного образования"}
	for _, tc := range []struct {
		name     string
		stamp    *layout.Stamp
		position []string
		signer   string
	}{
		{"short serial", valid(&layout.Stamp{Serial: "01D8A3F2C4B5E6F7", Owner: "Зубова Анна Николаевна"}), nil, ""},
		{"real certificate", valid(&layout.Stamp{Serial: serial40, Owner: owner60}), nil, ""},
		{"long position", valid(&layout.Stamp{Serial: serial40, Owner: owner60}), longPosition, ""},
		{"long name", valid(&layout.Stamp{Serial: serial40, Owner: owner60}), longPosition, "А.-М.А.\u00a0Константинопольская-Преображенская"},
		{"wide digits", valid(&layout.Stamp{Serial: strings.Repeat("AD", 20), Owner: "Щербаковская-Шмидт Жозефина Ферапонтовна"}), nil, "Ж.Ф.\u00a0Щербаковская-Шмидт"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := draft()
			if tc.position != nil {
				d.Signatory.Position = tc.position
			}
			if tc.signer != "" {
				d.Signatory.Name = tc.signer
			}
			doc, err := layout.Build(d, layout.Options{Stamp: tc.stamp})
			if err != nil {
				t.Fatal(err)
			}
			data := render(t, doc)
			if dir := os.Getenv("ORDERS_STAMP_PDF_DIR"); dir != "" {
				_ = os.WriteFile(filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".pdf"), data, 0o644)
			}
			page, frame := stampFrame(t, doc)
			textLeft, textRight := doc.Page.Left*mmPt, (pageW-doc.Page.Right)*mmPt
			if frame.x0 < textLeft-0.5 || frame.x1 > textRight+0.5 {
				t.Errorf("frame %.1f–%.1f pt leaves the text area %.1f–%.1f", frame.x0, frame.x1, textLeft, textRight)
			}
			var inside []word
			for _, w := range words(t, data) {
				if w.page != page {
					continue
				}
				cx, cy := (w.xMin+w.xMax)/2, (w.yMin+w.yMax)/2
				if cx > frame.x0 && cx < frame.x1 && cy > frame.y0 && cy < frame.y1 {
					if !frame.contains(w, 0.1) {
						t.Errorf("stamp word %q %+v crosses the frame %+v", w.text, wordRect(w), frame)
					}
					inside = append(inside, w)
				} else if frame.overlaps(w) {
					t.Errorf("word %q %+v overlaps the frame %+v", w.text, wordRect(w), frame)
				}
			}
			// Every character of the mark is inside (a cut serial joins up again), and
			// nothing else is.
			slices.SortStableFunc(inside, func(a, b word) int {
				if a.yMax < b.yMax-1 {
					return -1
				}
				if a.yMax > b.yMax+1 {
					return 1
				}
				return int(a.xMin - b.xMin)
			})
			var got strings.Builder
			for _, w := range inside {
				got.WriteString(w.text)
			}
			want := noSpace(strings.Join(layout.StampLines(tc.stamp), ""))
			if noSpace(got.String()) != want {
				t.Errorf("inside the frame:\n%s\nwant the mark:\n%s", noSpace(got.String()), want)
			}
		})
	}
}
