package layout

import (
	"image"
	"image/color"
	"os"
	"strings"
	"testing"

	goqr "github.com/piglig/go-qr"

	"orders/internal/order"
)

// TestQR: the QR-code requisite is laid out only for a registered order that carries a
// Verification; its code reads back as kind, number and date, the organization, and the
// SHA-256 of the registered text, one a line.
func TestQR(t *testing.T) {
	raw, err := os.ReadFile("../../templates/examples/chebula.json")
	if err != nil {
		t.Fatal(err)
	}
	hash := strings.Repeat("c0ffee", 10) + "beef"
	for _, tc := range []struct {
		name string
		edit func(d *order.Draft)
		want string
	}{
		{"no verification", func(d *order.Draft) {}, ""},
		{"a draft", func(d *order.Draft) {
			d.Verification = &order.Verification{TextSHA256: hash}
			d.Number = ""
		}, ""},
		{"registered", func(d *order.Draft) { d.Verification = &order.Verification{TextSHA256: hash} },
			"Приказ от 24.08.2021 № 37-о\nМБУ «ЦЕНТР ИНФОРМАЦИОННО-МЕТОДИЧЕСКОГО СОПРОВОЖДЕНИЯ»\nSHA-256: " + hash},
		{"registered, with the public check address", func(d *order.Draft) {
			d.Verification = &order.Verification{TextSHA256: hash, URL: "https://orders.example.ru/check/0193a3b4-0000-7000-8000-000000000001"}
		}, "https://orders.example.ru/check/0193a3b4-0000-7000-8000-000000000001"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := order.Decode(raw)
			if err != nil {
				t.Fatal(err)
			}
			tc.edit(d)
			doc, err := Build(d, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if tc.want == "" {
				if doc.QR != nil {
					t.Fatalf("QR laid out: %q", doc.QR.Payload)
				}
				return
			}
			if doc.QR == nil || doc.QR.Payload != tc.want {
				t.Fatalf("QR %+v, want payload %q", doc.QR, tc.want)
			}
			if got, err := goqr.Decode(qrImage(doc.QR)); err != nil || got != tc.want {
				t.Errorf("the modules read %q (%v), want %q", got, err, tc.want)
			}
		})
	}
}

// qrImage draws the modules with their quiet zone, 4 pixels a module.
func qrImage(q *QR) image.Image {
	const px = 4
	n := len(q.Modules) + 2*QRQuiet
	img := image.NewGray(image.Rect(0, 0, n*px, n*px))
	for y := range n * px {
		for x := range n * px {
			r, c := y/px-QRQuiet, x/px-QRQuiet
			dark := r >= 0 && c >= 0 && r < len(q.Modules) && c < len(q.Modules) && q.Modules[r][c]
			if !dark {
				img.SetGray(x, y, color.Gray{Y: 255})
			}
		}
	}
	return img
}
