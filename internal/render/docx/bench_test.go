package docx

import "testing"

// BenchmarkRenderBalashikha renders the reference order; the template is prepared once.
func BenchmarkRenderBalashikha(b *testing.B) {
	doc := caseByName(b, "balashikha").layout(b)
	if _, err := Render(doc, Options{}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Render(doc, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRenderRich renders a document with every kind of block and two appendices.
func BenchmarkRenderRich(b *testing.B) {
	doc := caseByName(b, "rich").layout(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Render(doc, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPrepareTemplate is the one-time cost of a template: go-docx and analysis.
func BenchmarkPrepareTemplate(b *testing.B) {
	tmpl, err := builtinTemplate("letterhead/centered.docx")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := prepare(tmpl); err != nil {
			b.Fatal(err)
		}
	}
}
