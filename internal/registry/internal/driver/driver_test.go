package driver

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"orders/internal/registry"
)

func TestLimit(t *testing.T) {
	for in, want := range map[int]int{-1: 50, 0: 50, 1: 1, 500: 500, 501: 500, 1 << 30: 500} {
		if got := Limit(in); got != want {
			t.Errorf("Limit(%d) = %d, want %d", in, got, want)
		}
	}
}

func TestCursorRoundTrip(t *testing.T) {
	at := time.Date(2026, 2, 3, 4, 5, 6, 789012000, time.UTC)
	id := uuid.New()
	gotAt, gotID, err := DecodeCursor(EncodeCursor(at, id))
	if err != nil || !gotAt.Equal(at) || gotID != id {
		t.Errorf("round trip = %v, %v, %v; want %v, %v", gotAt, gotID, err, at, id)
	}
	if _, _, err := DecodeCursor("%%%"); !errors.Is(err, registry.ErrBadCursor) {
		t.Errorf("DecodeCursor(garbage) = %v, want ErrBadCursor", err)
	}
}

func TestSearchText(t *testing.T) {
	if got := SearchText("ОБ УТВЕРЖДЕНИИ Ёлки"); got != "об утверждении елки" {
		t.Errorf("SearchText = %q", got)
	}
	if got := escapeLike(`50%_a\b`); got != `50\%\_a\\b` {
		t.Errorf("escapeLike = %q", got)
	}
}
