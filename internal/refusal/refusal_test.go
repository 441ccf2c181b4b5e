package refusal

import (
	"errors"
	"fmt"
	"testing"

	"github.com/google/uuid"

	"orders/internal/registry"
)

func TestRefusals(t *testing.T) {
	cause := errors.New("disk full")
	for _, tc := range []struct {
		name  string
		err   *Error
		kind  Kind
		state registry.State
		field string
	}{
		{"conflict", Conflictf("нет сертификата"), Conflict, "", ""},
		{"state", InState(registry.StateDraft, "а этот проект"), Conflict, registry.StateDraft, ""},
		{"status", InStatus(registry.StatusQueued, "не готов"), Conflict, "", ""},
		{"field", InvalidField("sig", "не подпись"), Invalid, "", "sig"},
		{"failed", Fail("не сохранён", cause), Failed, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r *Error
			if !errors.As(fmt.Errorf("wrapped: %w", tc.err), &r) || r.Kind != tc.kind || r.State != tc.state || r.Field != tc.field || r.Error() != tc.err.Msg {
				t.Errorf("%+v", r)
			}
		})
	}
	if !errors.Is(Fail("x", cause), cause) {
		t.Error("the cause is lost")
	}
	id := uuid.New()
	d := &DocumentError{Order: id, Err: cause}
	if !errors.Is(d, cause) || d.Error() != "document of order "+id.String()+": disk full" {
		t.Errorf("document error: %v", d)
	}
}
