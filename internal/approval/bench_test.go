package approval

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"orders/internal/order"
)

// benchDrafts are the Balashikha order with an appendix of rows pupils or schools, before
// and after one clause is inserted first (renumbering every clause) and one row edited.
func benchDrafts(b *testing.B, rows int) (before, after []byte) {
	b.Helper()
	raw, err := os.ReadFile("../../templates/examples/balashikha.json")
	if err != nil {
		b.Fatal(err)
	}
	d, err := order.Decode(raw)
	if err != nil {
		b.Fatal(err)
	}
	t := &order.Table{Columns: []order.Column{{Title: "Организация"}, {Title: "Тема"}}, Numbered: true}
	for i := range rows {
		t.Rows = append(t.Rows, []string{fmt.Sprintf("МБОУ «СОШ № %d»", i+1), fmt.Sprintf("Функциональная грамотность, направление %d", i%17)})
	}
	d.Appendices = []order.Appendix{{Key: "app1", Title: "Перечень площадок", Content: []order.Block{{Table: t}}}}
	if before, err = json.Marshal(d); err != nil {
		b.Fatal(err)
	}
	d.Clauses = append([]order.Clause{{Text: "Назначить ответственных за площадки."}}, d.Clauses...)
	t.Rows[rows/2][1] = "Цифровая школа"
	if after, err = json.Marshal(d); err != nil {
		b.Fatal(err)
	}
	return before, after
}

// BenchmarkVersionDiff is what GET /orders/{id}/diff costs besides reading two versions: lay
// out both drafts and diff their words.
func BenchmarkVersionDiff(b *testing.B) {
	for _, rows := range []int{10, 1000, 10000} {
		b.Run(fmt.Sprintf("rows=%d", rows), func(b *testing.B) {
			before, after := benchDrafts(b, rows)
			b.ReportAllocs()
			for b.Loop() {
				x, err := Words(before)
				if err != nil {
					b.Fatal(err)
				}
				y, err := Words(after)
				if err != nil {
					b.Fatal(err)
				}
				if len(WordDiff(x, y)) < 3 {
					b.Fatal("no difference found")
				}
			}
		})
	}
}

// BenchmarkWordDiffUnrelated is the worst case: two long versions with no row in common,
// which the time limit bounds.
func BenchmarkWordDiffUnrelated(b *testing.B) {
	var x, y strings.Builder
	for i := range 10000 {
		fmt.Fprintf(&x, "%d МБОУ «СОШ № %d» тема %d\n", i+1, i, i%13)
		fmt.Fprintf(&y, "%d МАДОУ «Детский сад № %d» направление %d\n", i+1, i+7, i%11)
	}
	for b.Loop() {
		WordDiff(x.String(), y.String())
	}
}
