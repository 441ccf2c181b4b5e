package docx

import (
	"bytes"
	"image"
	"image/color"
	"image/png"

	"orders/internal/layout"
)

// The QR-code picture's part, relationship and content type. The relationship and the
// content type are added only to documents that carry the picture: a relationship to a part
// that is not in the package makes Word call the file corrupt.
const (
	qrMedia    = "orders-qr.png"
	qrPart     = "word/media/" + qrMedia
	qrRelID    = "rIdOrdersQR"
	relImage   = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/image"
	ctPNG      = "image/png"
	qrModulePx = 4 // pixels a module: 280 dpi at 25 mm, sharp in print and when scaled without smoothing
	// qrDocPrID must be unique among the drawings of the document; a custom letterhead's
	// logo takes the small numbers.
	qrDocPrID = "7001"
)

// qrPNG draws the modules with their quiet zone as a two-colour PNG.
func qrPNG(q *layout.QR) []byte {
	n := len(q.Modules) + 2*layout.QRQuiet
	side := n * qrModulePx
	img := image.NewPaletted(image.Rect(0, 0, side, side), color.Palette{color.White, color.Black})
	for r, row := range q.Modules {
		for c, dark := range row {
			if !dark {
				continue
			}
			x0, y0 := (c+layout.QRQuiet)*qrModulePx, (r+layout.QRQuiet)*qrModulePx
			for y := y0; y < y0+qrModulePx; y++ {
				for x := x0; x < x0+qrModulePx; x++ {
					img.SetColorIndex(x, y, 1)
				}
			}
		}
	}
	var b bytes.Buffer
	// Encoding an in-memory paletted image cannot fail.
	_ = (&png.Encoder{CompressionLevel: png.NoCompression}).Encode(&b, img)
	return b.Bytes()
}
