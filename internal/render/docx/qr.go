package docx

import (
	"bytes"
	"image"
	"image/png"
	"sync"

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

// qrPNG draws the modules with their quiet zone as a black and white PNG. An 8-bit gray
// image is the one png.Encoder writes row by row without looking at pixels one at a time.
func qrPNG(q *layout.QR) []byte {
	n := len(q.Modules) + 2*layout.QRQuiet
	side := n * qrModulePx
	img := image.NewGray(image.Rect(0, 0, side, side))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	for r, row := range q.Modules {
		line := img.Pix[(r+layout.QRQuiet)*qrModulePx*img.Stride:][:img.Stride]
		for c, dark := range row {
			if dark {
				clear(line[(c+layout.QRQuiet)*qrModulePx:][:qrModulePx])
			}
		}
		// The other pixel rows of the module row are copies of the first.
		for k := 1; k < qrModulePx; k++ {
			copy(img.Pix[((r+layout.QRQuiet)*qrModulePx+k)*img.Stride:][:img.Stride], line)
		}
	}
	var b bytes.Buffer
	// Encoding an in-memory image cannot fail. Stored, not compressed: the zip entry
	// deflates it anyway, and the pooled buffers spare a zlib writer (~800 KB) a picture.
	_ = qrEncoder.Encode(&b, img)
	return b.Bytes()
}

// Picture sets: which pictures a document carries, an index into part.with.
const (
	picQR     = 1
	picEmblem = 2
	picAll    = picQR | picEmblem
)

// pictureParts are the pictures a document may carry, with their parts and relationships.
var pictureParts = []struct {
	set                      int
	part, media, relID, what string
}{
	{picQR, qrPart, qrMedia, qrRelID, "QR code"},
	{picEmblem, emblemPart, emblemMedia, emblemRelID, "emblem"},
}

var qrEncoder = &png.Encoder{CompressionLevel: png.NoCompression, BufferPool: &pngPool{}}

// pngPool lends png.Encoder its buffers across documents.
type pngPool struct{ p sync.Pool }

func (p *pngPool) Get() *png.EncoderBuffer {
	b, _ := p.p.Get().(*png.EncoderBuffer)
	return b
}

func (p *pngPool) Put(b *png.EncoderBuffer) { p.p.Put(b) }
