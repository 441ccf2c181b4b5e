package layout

import (
	"fmt"
	"strings"

	goqr "github.com/piglig/go-qr"

	"orders/internal/order"
	"orders/internal/ru"
)

// QR is the QR-code requisite of ГОСТ Р 7.0.97-2025 (requisite 31): a square at the bottom
// right of page 1, inside the margins. Both renderers draw Modules at this place and size and
// keep the text of page 1 above it (the DOCX wraps the picture top and bottom).
type QR struct {
	// Payload is the text the code carries (see qrPayload).
	Payload string
	// Modules are the dark (true) and light modules, row by row, without the quiet zone.
	Modules [][]bool
	// Size is the side of the square in mm, quiet zone included; Gap is the free space
	// between the square and the text above it.
	Size, Gap float64
}

// QRQuiet is the quiet zone around the modules, in modules (ISO/IEC 18004 asks for 4).
const QRQuiet = 4

// qrSize, qrGap: 25 mm keeps a 200-byte payload at about 0.4 mm a module, which office
// printers and phone cameras read; 3 mm of air separates it from the text above.
const (
	qrSize = 25.0
	qrGap  = 3.0
)

// qrPayload is the text of the code: the order's public check address, where the page tells
// whether the order exists, its state and the SHA-256 of its signed PDF; without one (the
// installation's public address unknown), what the order is, who issued it and the SHA-256
// of its registered text, one fact a line.
func qrPayload(kind, numDate, org string, v *order.Verification) string {
	if v.URL != "" {
		return v.URL
	}
	return strings.Join([]string{
		kind + " " + numDate,
		org,
		"SHA-256: " + v.TextSHA256,
	}, "\n")
}

func (b *builder) qr() error {
	v := b.d.Verification
	if v == nil || b.d.IsDraft() {
		return nil
	}
	payload := qrPayload(b.kw.nominative, strings.ReplaceAll(b.numDate, "\u00a0", " "), ru.Typeset(orgName(b.d.Letterhead)), v)
	// Level M (15 %) keeps the code small; the square is printed, not exposed to dirt.
	code, err := goqr.EncodeText(payload, goqr.Medium)
	if err != nil {
		return fmt.Errorf("layout: QR code: %w", err)
	}
	n := code.Size()
	modules := make([][]bool, n)
	for y := range modules {
		modules[y] = make([]bool, n)
		for x := range n {
			modules[y][x] = code.Module(x, y)
		}
	}
	b.doc.QR = &QR{Payload: payload, Modules: modules, Size: qrSize, Gap: qrGap}
	return nil
}
