package render

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"orders/internal/layout"
	"orders/internal/order"
)

// BenchmarkRenderBalashikha is one order to PDF and DOCX, layout included: what a worker
// spends per order.
func BenchmarkRenderBalashikha(b *testing.B) { benchRender(b, "balashikha") }

// BenchmarkRenderTable300 is an order whose appendix is a 300-row table over 15 pages (the
// results of an olympiad): the long documents a worker also meets.
func BenchmarkRenderTable300(b *testing.B) { benchRender(b, "olympiad-results") }

func benchRender(b *testing.B, name string) {
	d := examples(b)[name]
	r := New(layout.Options{})
	b.ReportAllocs()
	var size int
	for b.Loop() {
		pdf, docx, err := r.Render(d, fixed)
		if err != nil {
			b.Fatal(err)
		}
		size = len(pdf) + len(docx)
	}
	b.ReportMetric(float64(size), "bytes/order")
}

// BenchmarkRenderBalashikhaQR is the same order registered by an organization that prints
// the QR code: what encoding the code and drawing it in both formats adds.
func BenchmarkRenderBalashikhaQR(b *testing.B) {
	d := examples(b)["balashikha"]
	d.Verification = &order.Verification{TextSHA256: strings.Repeat("0123456789abcdef", 4)}
	r := New(layout.Options{})
	b.ReportAllocs()
	var size int
	for b.Loop() {
		pdf, docx, err := r.Render(d, fixed)
		if err != nil {
			b.Fatal(err)
		}
		size = len(pdf) + len(docx)
	}
	b.ReportMetric(float64(size), "bytes/order")
}

// BenchmarkLibreOfficeBalashikha converts the same order's DOCX to PDF with LibreOffice,
// which is what users of DOCX-template generators wait for; compare its ns/op with
// BenchmarkRenderBalashikha. Each iteration starts soffice, as a converter service would
// per request without a resident office process.
func BenchmarkLibreOfficeBalashikha(b *testing.B) {
	soffice := tool(b, "soffice")
	d := examples(b)["balashikha"]
	_, docx, err := New(layout.Options{}).Render(d, fixed)
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	in := filepath.Join(dir, "balashikha.docx")
	if err := os.WriteFile(in, docx, 0o644); err != nil {
		b.Fatal(err)
	}
	profile := "-env:UserInstallation=file://" + filepath.Join(dir, "profile")
	// The first start creates the profile; do it outside the timing, as a warm server would.
	if out, err := exec.Command(soffice, "--headless", profile, "--convert-to", "pdf", "--outdir", dir, in).CombinedOutput(); err != nil {
		b.Fatalf("soffice: %v\n%s", err, out)
	}
	for b.Loop() {
		if out, err := exec.Command(soffice, "--headless", profile, "--convert-to", "pdf", "--outdir", dir, in).CombinedOutput(); err != nil {
			b.Fatalf("soffice: %v\n%s", err, out)
		}
	}
}
