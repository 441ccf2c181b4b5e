package docx

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"

	"orders/templates"
)

// testEmblem is a 90×120 px red shield on white: an opaque PNG as render.CleanEmblem makes it.
func testEmblem() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 90, 120))
	for y := range 120 {
		for x := range 90 {
			c := color.RGBA{R: 255, G: 255, B: 255, A: 255}
			if y < 80 || (x-45)*(x-45)*40*40 < (120-y)*(120-y)*45*45 {
				c = color.RGBA{R: 180, G: 20, B: 30, A: 255}
			}
			img.SetRGBA(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// TestEmblemPicture: a document with the emblem carries its picture byte for byte, the
// relationship and the content type, and draws it inline in a centred paragraph right before
// the letterhead's first line (the parents' names), 12×16 mm as layout says; with the QR code
// as well, both pictures. A custom letterhead is a designed blank: the emblem is not added.
func TestEmblemPicture(t *testing.T) {
	for _, tc := range []struct {
		name   string
		qr     bool
		custom bool
	}{{"rich-emblem", true, false}, {"rich-emblem-corner", false, false}, {"rich-emblem", true, true}} {
		t.Run(tc.name, func(t *testing.T) {
			c := caseByName(t, tc.name)
			doc := c.layout(t)
			if doc.Emblem == nil {
				t.Fatal("no emblem laid out")
			}
			var opt Options
			if tc.custom {
				opt.Template = customTemplate(t)
			}
			out, err := Render(doc, opt)
			if err != nil {
				t.Fatal(err)
			}
			_, parts := unzip(t, out)
			rels := string(parts["word/_rels/document.xml.rels"])
			types := string(parts["[Content_Types].xml"])
			body := string(parts["word/document.xml"])
			if tc.custom {
				if parts[emblemPart] != nil || strings.Contains(rels, emblemRelID) || strings.Contains(body, emblemRelID) {
					t.Fatal("a custom letterhead got the emblem")
				}
				return
			}
			if !bytes.Equal(parts[emblemPart], doc.Emblem.PNG) {
				t.Fatalf("picture %d bytes, want the emblem's %d", len(parts[emblemPart]), len(doc.Emblem.PNG))
			}
			if !strings.Contains(rels, `Id="`+emblemRelID+`"`) || !strings.Contains(types, `PartName="/`+emblemPart+`" ContentType="image/png"`) {
				t.Fatalf("relationship or content type missing:\n%s\n%s", rels, types)
			}
			if got := parts[qrPart] != nil && strings.Contains(rels, `Id="`+qrRelID+`"`); got != tc.qr {
				t.Errorf("QR picture and relationship present %v, want %v", got, tc.qr)
			}
			i := strings.Index(body, `r:embed="`+emblemRelID+`"`)
			j := strings.Index(body, doc.Head.Parents[0])
			if i < 0 || j < i {
				t.Fatalf("the emblem (%d) is not before the letterhead's first line (%d)", i, j)
			}
			// Only the paragraph end lies between the picture and the parents' paragraph.
			if between := body[i:j]; strings.Count(between, "<w:p>") != 1 || !strings.Contains(body[:i], `<w:jc w:val="center"/></w:pPr><w:r><w:drawing><wp:inline`) {
				t.Errorf("the emblem's paragraph is not centred right above the letterhead:\n%s", body[max(0, i-600):j])
			}
			if !strings.Contains(body, `<wp:extent cx="432000" cy="576000"/>`) {
				t.Error("the emblem is not 12×16 mm")
			}
		})
	}
}

// customTemplate is the built-in centred letterhead as an uploaded template would be: the
// same bytes, not marked built-in.
func customTemplate(t *testing.T) []byte {
	t.Helper()
	b, err := templates.Letterhead.ReadFile("letterhead/centered.docx")
	if err != nil {
		t.Fatal(err)
	}
	return b
}
