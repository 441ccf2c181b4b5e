package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestJournalUpdateAllOrNothing: PUT /journals/{id} with a new format and a start below a
// number already issued is refused and changes nothing (issue 12 §2: it answered 409 yet
// kept the new format, and the next order was numbered «3355-ZZ»; with several years some
// applied).
func TestJournalUpdateAllOrNothing(t *testing.T) {
	ms := newMsgServer(t)
	if code, p, _ := ms.do(roleHead, "PUT", "/api/v1/journals/main", map[string]any{"name": "по основной деятельности", "format": "{seq}-о",
		"starts": map[string]int{"2026": 3354}}); code != 200 {
		t.Fatalf("PUT journal: %d %s", code, p.Detail)
	}
	register := func() string {
		t.Helper()
		code, _, body := ms.do(roleClerk, "POST", "/api/v1/orders", exampleDraft(t))
		if code != http.StatusAccepted {
			t.Fatalf("POST /orders: %d %s", code, body)
		}
		var created struct{ ID string }
		json.Unmarshal(body, &created)
		code, p, body := ms.do(roleHead, "POST", "/api/v1/orders/"+created.ID+"/register", map[string]any{"journal": "main", "date": "2026-03-02"})
		if code != http.StatusOK {
			t.Fatalf("register: %d %s", code, p.Detail)
		}
		var o orderView
		json.Unmarshal(body, &o)
		return o.Number
	}
	if n := register(); n != "3354-о" {
		t.Fatalf("first number %q, want 3354-о", n)
	}
	journal := func() []byte {
		t.Helper()
		_, _, body := ms.do(roleHead, "GET", "/api/v1/journals", nil)
		return body
	}
	before := journal()

	code, p, _ := ms.do(roleHead, "PUT", "/api/v1/journals/main", map[string]any{"name": "другое", "format": "{seq}-ZZ",
		"starts": map[string]int{"2025": 10, "2026": 3, "2027": 7}})
	if code != http.StatusConflict || !strings.Contains(p.Detail, "starts.2026: в 2026 году уже выдан номер 3354") {
		t.Errorf("PUT with a start below an issued number: %d %q, want 409 naming starts.2026", code, p.Detail)
	}
	if after := journal(); string(after) != string(before) {
		t.Errorf("a refused update changed the journal:\nbefore %s\nafter  %s", before, after)
	}
	if n := register(); n != "3355-о" {
		t.Errorf("next number after a refused update = %q, want 3355-о", n)
	}

	code, p, _ = ms.do(roleHead, "PUT", "/api/v1/journals/main", map[string]any{"name": "по основной деятельности", "format": "{seq}-о",
		"starts": map[string]int{"2026": 4000, "2027": 7}})
	if code != http.StatusOK {
		t.Fatalf("accepted update: %d %s", code, p.Detail)
	}
	if n := register(); n != "4000-о" {
		t.Errorf("number after an accepted start of 4000 = %q", n)
	}
}
