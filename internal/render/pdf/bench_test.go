package pdf

import (
	"testing"
)

// BenchmarkRenderBalashikha: the 2-page reference order, from laid-out blocks to bytes.
// Targets on one core: ≤ 3 ms, ≤ 1 MB allocated, ≤ 60 KB of PDF.
func BenchmarkRenderBalashikha(b *testing.B) {
	doc := build(b, loadDraft(b, "testdata/balashikha.json"))
	if _, err := defaultRenderer(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var size int
	for b.Loop() {
		out, err := Render(doc, Options{CreationDate: fixed})
		if err != nil {
			b.Fatal(err)
		}
		size = len(out)
	}
	b.ReportMetric(float64(size), "pdf-bytes")
}

// BenchmarkRenderChebula: 5 pages with a table and a Положение.
func BenchmarkRenderChebula(b *testing.B) {
	doc := build(b, loadDraft(b, "testdata/chebula.json"))
	b.ReportAllocs()
	var size int
	for b.Loop() {
		out, err := Render(doc, Options{CreationDate: fixed})
		if err != nil {
			b.Fatal(err)
		}
		size = len(out)
	}
	b.ReportMetric(float64(size), "pdf-bytes")
}

// BenchmarkRenderParallel shows the renderer scales across goroutines (no shared locks).
func BenchmarkRenderParallel(b *testing.B) {
	doc := build(b, loadDraft(b, "testdata/balashikha.json"))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := Render(doc, Options{CreationDate: fixed}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkRenderTable500: an appendix table of 500 rows (13 pages).
func BenchmarkRenderTable500(b *testing.B) {
	doc := build(b, tableDraft(500, ""))
	b.ReportAllocs()
	var size int
	for b.Loop() {
		out, err := Render(doc, Options{CreationDate: fixed})
		if err != nil {
			b.Fatal(err)
		}
		size = len(out)
	}
	b.ReportMetric(float64(size), "pdf-bytes")
}
