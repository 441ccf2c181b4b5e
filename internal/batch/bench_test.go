package batch

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func benchRows(b *testing.B, header string, line func(i int) string) *Table {
	var s strings.Builder
	s.WriteString(header)
	for i := range MaxRows {
		s.WriteString(line(i))
	}
	tb, err := ReadRows("bench.csv", []byte(s.String()))
	if err != nil || len(tb.Rows) != MaxRows {
		b.Fatalf("read: %v, %d rows", err, len(tb.Rows))
	}
	return tb
}

// BenchmarkPlanPerRow plans 10,000 orders, one per row: fill, marshal and order.Decode each.
func BenchmarkPlanPerRow(b *testing.B) {
	tmpl := readFile(b, "testdata/per-row.json")
	tb := benchRows(b, perRowHeader, perRowLine)
	b.ResetTimer()
	for b.Loop() {
		p, err := NewPlan(tmpl, PerRow, perRowConsts, tb)
		if err != nil || !p.OK() || len(p.Valid) != MaxRows {
			b.Fatalf("%v %v", err, p.Problems[:min(3, len(p.Problems))])
		}
	}
	b.ReportMetric(float64(MaxRows)/(b.Elapsed().Seconds()/float64(b.N)), "rows/s")
}

// BenchmarkPlanOneOrder plans one order whose appendix table has 10,000 rows.
func BenchmarkPlanOneOrder(b *testing.B) {
	tmpl := readFile(b, "../../templates/orders/platforms-yearly.json")
	tb := benchRows(b, "Организация;Вид площадки;Тема;Руководитель\n", func(i int) string {
		return fmt.Sprintf("МБОУ «СОШ №%d»;стажировочная;Функциональная грамотность %d;Иванова И.И.\n", i, i)
	})
	b.ResetTimer()
	for b.Loop() {
		p, err := NewPlan(tmpl, OneOrder, platformsConsts, tb)
		if err != nil || !p.OK() {
			b.Fatalf("%v %v", err, p.Problems[:min(3, len(p.Problems))])
		}
	}
	b.ReportMetric(float64(MaxRows)/(b.Elapsed().Seconds()/float64(b.N)), "rows/s")
}

// BenchmarkReadCSV reads 10,000 rows of Windows-1251 CSV.
func BenchmarkReadCSV(b *testing.B) {
	var s strings.Builder
	s.WriteString(perRowHeader)
	for i := range MaxRows {
		s.WriteString(perRowLine(i))
	}
	data := cp1251(b, s.String())
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := ReadRows("bench.csv", data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadXLSX reads a sheet of MaxRows rows of inline strings, the largest batch.
func BenchmarkReadXLSX(b *testing.B) {
	path := filepath.Join(b.TempDir(), "rows.xlsx")
	hostileWorkbook(b, path, rowsSheet(MaxRows, false))
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		tb, err := ReadRows("rows.xlsx", data)
		if err != nil || len(tb.Rows) != MaxRows {
			b.Fatalf("%v, %d rows", err, len(tb.Rows))
		}
	}
	b.ReportMetric(float64(MaxRows)/(b.Elapsed().Seconds()/float64(b.N)), "rows/s")
}
