package docx

import "testing"

// BenchmarkQRPNG is the QR-code picture of a registered order, drawn and encoded.
func BenchmarkQRPNG(b *testing.B) {
	q := caseByName(b, "rich-qr").layout(b).QR
	b.ReportAllocs()
	for b.Loop() {
		qrPNG(q)
	}
}
