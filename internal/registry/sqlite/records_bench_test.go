package sqlite_test

import (
	"fmt"
	"path/filepath"
	"testing"

	"orders/internal/registry"
	"orders/internal/registry/sqlite"
)

// BenchmarkControls measures what a scrape of /metrics (CountControls) and a person's list
// (ListControls) cost when the organization has 2,000 registered orders with 10 controlled
// clauses each (20,000 items), about ten years of a busy office.
func BenchmarkControls(b *testing.B) {
	ctx := b.Context()
	s, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "registry.db")+"?_synchronous=OFF")
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if err := s.PutJournal(ctx, &registry.Journal{OrgID: "org", ID: "main", Name: "основной", Format: "{seq}"}); err != nil {
		b.Fatal(err)
	}
	people := []string{"Рожкова Т.В.", "Иванов И.И.", "Петров П.П.", "Сидорова С.С.", "Кузнецов К.К."}
	for i := range 2000 {
		o := &registry.Order{OrgID: "org", Kind: "приказ", Title: fmt.Sprint("Приказ ", i), Draft: []byte(`{}`)}
		if _, err := s.CreateOrder(ctx, o); err != nil {
			b.Fatal(err)
		}
		date := fmt.Sprintf("%d-%02d-%02d", 2016+i/200, 1+i%12, 1+i%28)
		var items []registry.ControlItem
		for k := range 10 {
			items = append(items, registry.ControlItem{Clause: fmt.Sprint(k + 1), Text: "Исполнить.", Responsible: people[(i+k)%len(people)],
				Deadline: "до " + date, Due: date})
		}
		if _, err := s.RegisterOrder(ctx, "org", o.ID, registry.RegisterRequest{Journal: "main", Date: date,
			Build: func(*registry.Order, string, int) (registry.Registered, error) {
				return registry.Registered{Draft: []byte(`{}`), Controls: items}, nil
			}}); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("CountControls", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.CountControls(ctx, "2026-06-01"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ListControls/person/overdue", func(b *testing.B) {
		for b.Loop() {
			list, err := s.ListControls(ctx, registry.ControlFilter{OrgID: "org", Responsible: "Иванов И.И.", State: registry.ControlOverdue, Today: "2026-06-01", Limit: registry.MaxLimit})
			if err != nil || len(list) != registry.MaxLimit {
				b.Fatalf("%d items, %v", len(list), err)
			}
		}
	})
}
