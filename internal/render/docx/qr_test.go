package docx

import (
	"bytes"
	"image/png"
	"strings"
	"testing"

	goqr "github.com/piglig/go-qr"

	"orders/internal/layout"
)

// TestQRPicture: a document with the QR code carries its picture, the relationship and the
// content type, and anchors it at the bottom right of the text area with the text above and
// below; the picture's modules are layout's, quiet zone included, and read back as its text.
// A document without the code carries none of it, so no relationship points at a missing part.
func TestQRPicture(t *testing.T) {
	for _, tc := range []struct {
		name string
		qr   bool
	}{{"rich", false}, {"rich-qr", true}} {
		t.Run(tc.name, func(t *testing.T) {
			c := caseByName(t, tc.name)
			doc := c.layout(t)
			if (doc.QR != nil) != tc.qr {
				t.Fatalf("layout QR %v, want %v", doc.QR != nil, tc.qr)
			}
			_, parts := unzip(t, c.render(t))
			pic := parts[qrPart]
			rels := string(parts["word/_rels/document.xml.rels"])
			types := string(parts["[Content_Types].xml"])
			body := string(parts["word/document.xml"])
			if !tc.qr {
				if pic != nil || strings.Contains(rels, qrRelID) || strings.Contains(body, "<w:drawing>") {
					t.Fatal("a document without the QR code carries its picture, relationship or anchor")
				}
				return
			}
			if pic == nil || !strings.Contains(rels, `Id="`+qrRelID+`"`) || !strings.Contains(types, "image/png") {
				t.Fatalf("picture %d bytes; relationship or content type missing:\n%s\n%s", len(pic), rels, types)
			}
			for _, want := range []string{`r:embed="` + qrRelID + `"`, `<wp:positionH relativeFrom="margin"><wp:align>right</wp:align>`,
				`<wp:positionV relativeFrom="margin"><wp:align>bottom</wp:align>`, `<wp:wrapTopAndBottom/>`, `cx="900000" cy="900000"`} {
				if !strings.Contains(body, want) {
					t.Errorf("document.xml lacks %s", want)
				}
			}
			// The anchor sits in the first paragraph of the body: the title, on page 1.
			if i, j := strings.Index(body, "<w:drawing>"), strings.Index(body, strings.Fields(doc.Body[0].Text)[0]); i < 0 || j < i {
				t.Errorf("the picture is not anchored in the body's first paragraph (%d, %d)", i, j)
			}
			img, err := png.Decode(bytes.NewReader(pic))
			if err != nil {
				t.Fatal(err)
			}
			if got, err := goqr.Decode(img); err != nil || got != doc.QR.Payload {
				t.Errorf("the picture reads %q (%v), want %q", got, err, doc.QR.Payload)
			}
			n := len(doc.QR.Modules) + 2*layout.QRQuiet
			if b := img.Bounds(); b.Dx() != n*qrModulePx || b.Dy() != n*qrModulePx {
				t.Fatalf("picture %v, want %d×%d modules of %d px", b, n, n, qrModulePx)
			}
			for y := range n {
				for x := range n {
					r, _, _, _ := img.At(x*qrModulePx+qrModulePx/2, y*qrModulePx+qrModulePx/2).RGBA()
					want := false
					if y >= layout.QRQuiet && y < n-layout.QRQuiet && x >= layout.QRQuiet && x < n-layout.QRQuiet {
						want = doc.QR.Modules[y-layout.QRQuiet][x-layout.QRQuiet]
					}
					if got := r == 0; got != want {
						t.Fatalf("module (%d, %d) dark %v, want %v", x, y, got, want)
					}
				}
			}
		})
	}
}
