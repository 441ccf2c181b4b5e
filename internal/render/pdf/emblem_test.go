package pdf

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
	"regexp"
	"testing"
)

// testEmblem is a 90×120 px shield: a red field on white, an opaque 8-bit RGB PNG as
// render.CleanEmblem makes it.
func testEmblem(t testing.TB) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 90, 120))
	for y := range 120 {
		for x := range 90 {
			c := color.RGBA{R: 255, G: 255, B: 255, A: 255}
			if y < 80 || math.Abs(float64(x)-45) < float64(120-y)*45/40 {
				c = color.RGBA{R: 180, G: 20, B: 30, A: 255}
			}
			img.SetRGBA(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestEmblem: the emblem is one opaque image XObject, drawn centred in the letterhead block
// above its first line at the laid-out size, and the letterhead moves down by its height
// and gap; in the corner blank it is centred in the corner block.
func TestEmblem(t *testing.T) {
	r, err := defaultRenderer()
	if err != nil {
		t.Fatal(err)
	}
	all := docs(t)
	for _, c := range []struct {
		name string
		boxW float64
	}{
		{"emblem", 0},
		{"emblem-corner", cornerWidth},
	} {
		t.Run(c.name, func(t *testing.T) {
			doc := all[c.name]
			e := doc.Emblem
			if e == nil || math.Abs(e.Height-16) > 0.01 || math.Abs(e.Width-12) > 0.01 {
				t.Fatalf("laid-out emblem %+v; want 12×16 mm", e)
			}
			pages, err := r.compose(doc)
			if err != nil {
				t.Fatal(err)
			}
			var img *op
			var firstText *op
			for i := range pages[0] {
				o := &pages[0][i]
				if o.kind == opEmblem && img == nil {
					img = o
				}
				if o.kind == opText && firstText == nil {
					firstText = o
				}
			}
			if img == nil {
				t.Fatal("no emblem drawn on page 1")
			}
			page, _ := pageOf(doc.Page)
			left, boxW := page.Left, pageW-page.Left-page.Right
			if c.boxW > 0 {
				boxW = c.boxW
			}
			if mid := (img.x + img.x2) / 2; math.Abs(mid-(left+boxW/2)) > 0.01 {
				t.Errorf("emblem centred at x=%.2f; want %.2f", mid, left+boxW/2)
			}
			if math.Abs(img.y-page.Top) > 0.01 || math.Abs(img.y2-img.y-e.Height) > 0.01 {
				t.Errorf("emblem from y=%.2f to %.2f; want from the top margin %.2f, %.0f mm high", img.y, img.y2, page.Top, e.Height)
			}
			if firstText == nil || firstText.y < img.y2+e.Gap {
				t.Errorf("the letterhead's first line (baseline %.2f) is not below the emblem (bottom %.2f)", firstText.y, img.y2)
			}
			data := render(t, doc)
			if n := len(regexp.MustCompile(`/Subtype /Image`).FindAll(data, -1)); n != 1 {
				t.Errorf("%d image XObjects; want 1", n)
			}
			if !regexp.MustCompile(`/Width 90\s*/Height 120\s*/ColorSpace /DeviceRGB\s*/BitsPerComponent 8`).Match(data) {
				t.Error("the emblem is not a 90×120 8-bit RGB image")
			}
			if bytes.Contains(data, []byte("/SMask")) {
				t.Error("the emblem carries a soft mask (transparency)")
			}
		})
	}
}
