package approval

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/uuid"

	"orders/internal/order"
	"orders/internal/registry"
)

func TestWordDiff(t *testing.T) {
	for _, tc := range []struct {
		name, a, b string
		want       []Chunk
	}{
		{"same", "один два\nтри", "один два\nтри", []Chunk{{Equal, "один два\nтри"}}},
		{"a word changed", "срок до 1 марта", "срок до 15 марта",
			[]Chunk{{Equal, "срок до"}, {Delete, "1"}, {Insert, "15"}, {Equal, "марта"}}},
		{"a line added", "1. Первый.\n2. Второй.", "1. Первый.\n2. Новый.\n3. Второй.",
			[]Chunk{{Equal, "1. Первый.\n2."}, {Insert, "Новый.\n3."}, {Equal, "Второй."}}},
		{"no-break spaces are spaces", "№\u00a01355", "№ 1355", []Chunk{{Equal, "№ 1355"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := WordDiff(tc.a, tc.b)
			if len(got) != len(tc.want) {
				t.Fatalf("WordDiff = %q, want %q", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("chunk %d = %q, want %q", i, got[i], tc.want[i])
				}
			}
		})
	}
}

// TestDiffShowsRenumbering: a clause inserted first renumbers the others; the diff of the
// layout's words shows the new numbers, which a diff of the JSON drafts would not.
func TestDiffShowsRenumbering(t *testing.T) {
	raw, err := os.ReadFile("../../templates/examples/balashikha.json")
	if err != nil {
		t.Fatal(err)
	}
	d, err := order.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	d.Clauses = append([]order.Clause{{Text: "Назначить ответственных за площадки."}}, d.Clauses...)
	changed, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	a, err := Words(raw)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Words(changed)
	if err != nil {
		t.Fatal(err)
	}
	var ins, del []string
	for _, c := range WordDiff(a, b) {
		switch c.Op {
		case Insert:
			ins = append(ins, c.Text)
		case Delete:
			del = append(del, c.Text)
		}
	}
	inserted, deleted := strings.Join(ins, " | "), strings.Join(del, " | ")
	if !strings.Contains(inserted, "Назначить ответственных за площадки.") {
		t.Errorf("the new clause is not an insertion: %q", inserted)
	}
	if !strings.Contains(inserted, "2.") || !strings.Contains(deleted, "1.") {
		t.Errorf("the renumbering does not show: inserted %q, deleted %q", inserted, deleted)
	}
	if strings.Contains(a, "1355") || !strings.Contains(a, "ПРОЕКТ") {
		t.Errorf("versions are compared as drafts (ПРОЕКТ, no number): %q", a[:200])
	}
}

type versionsOnly struct {
	Store
	drafts map[int][]byte
}

func (v versionsOnly) GetDraftVersion(_ context.Context, _ string, _ uuid.UUID, n int) (*registry.DraftVersion, error) {
	d, ok := v.drafts[n]
	if !ok {
		return nil, registry.ErrNotFound
	}
	return &registry.DraftVersion{Version: n, Draft: d}, nil
}

// TestDiffWithoutText: an imported order's "draft" (none, or JSON that is no draft) is no
// text to compare: ErrNoText, never a failure of the server.
func TestDiffWithoutText(t *testing.T) {
	raw, err := os.ReadFile("../../templates/examples/balashikha.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		drafts map[int][]byte
		want   error
	}{
		{"no draft", map[int][]byte{1: nil, 2: raw}, ErrNoText},
		{"not a draft", map[int][]byte{1: raw, 2: []byte(`{"number":"15-к"}`)}, ErrNoText},
		{"no such version", map[int][]byte{1: raw}, registry.ErrNotFound},
	} {
		s := &Service{Store: versionsOnly{drafts: tc.drafts}}
		if _, err := s.Diff(t.Context(), Caller{}, uuid.New(), 1, 2); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	s := &Service{Store: versionsOnly{drafts: map[int][]byte{1: raw, 2: raw}}}
	if d, err := s.Diff(t.Context(), Caller{}, uuid.New(), 1, 2); err != nil || len(d.Chunks) != 1 || d.Chunks[0].Op != Equal {
		t.Errorf("a version against itself: %+v, %v", d, err)
	}
}
