package api

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// TestCancelHandler: cancelling records reason and who, appends the audit entry, queues the
// working copy to be rendered with the mark, and keeps signed.pdf; refusals say why.
func TestCancelHandler(t *testing.T) {
	e := newSigEnv(t, nil)
	o, _ := e.registeredOrder("1355")
	id := "/api/v1/orders/" + o.ID.String()
	clerk := e.token("clerk", "org-a")
	body := func(v any) []byte { b, _ := json.Marshal(v); return b }

	for _, tc := range []struct {
		name, token string
		body        []byte
		code        int
		detail      string
	}{
		{"a clerk may not cancel", clerk, body(map[string]string{"reason": "ошибка"}), http.StatusForbidden, ""},
		{"no reason", e.head, body(map[string]string{"reason": "  "}), http.StatusUnprocessableEntity, "причин"},
		{"not JSON", e.head, []byte(`{"reason":`), http.StatusBadRequest, ""},
	} {
		if a := e.do("POST", id+"/cancel", tc.token, "application/json", tc.body); a.code != tc.code || !strings.Contains(a.str("detail"), tc.detail) {
			t.Errorf("%s: %d %s", tc.name, a.code, a.raw)
		}
	}
	if e.state(o.ID) != "registered" || len(e.queue.reasons()) != 0 {
		t.Fatalf("a refused cancel changed something: %s, jobs %v", e.state(o.ID), e.queue.reasons())
	}

	a := e.do("POST", id+"/cancel", e.head, "application/json", body(map[string]string{"reason": "издан повторно"}))
	if a.code != http.StatusOK || a.str("state") != "cancelled" || a.str("cancel_reason") != "издан повторно" ||
		a.str("cancelled_by") != "head" || a.str("status") != "queued" {
		t.Fatalf("cancel: %d %s", a.code, a.raw)
	}
	if !slices.Contains(e.queue.reasons(), "cancel") {
		t.Errorf("the working copy was not queued to be rendered with the mark: %v", e.queue.reasons())
	}
	if acts := e.auditActions(o.ID); !strings.Contains(acts, "cancel") {
		t.Errorf("audit: %s", acts)
	}
	if a := e.do("POST", id+"/cancel", e.head, "application/json", body(map[string]string{"reason": "ещё раз"})); a.code != http.StatusConflict ||
		a.str("current_state") != "cancelled" {
		t.Errorf("cancel twice: %d %s", a.code, a.raw)
	}
}

// TestAcknowledgementHandler: a person of the list is recorded once, in one transaction with
// its audit entry and a new render; anything else is refused with what happened.
func TestAcknowledgementHandler(t *testing.T) {
	e := newSigEnv(t, nil)
	o, _ := e.registeredOrder("1355")
	id := "/api/v1/orders/" + o.ID.String()
	clerk := e.token("clerk", "org-a")
	ack := func(person, date string) answer {
		b, _ := json.Marshal(map[string]string{"person": person, "date": date})
		return e.do("POST", id+"/acknowledgements", clerk, "application/json", b)
	}

	a := ack("Л.Е. Мартынова", "2022-09-23")
	if a.code != http.StatusOK {
		t.Fatalf("acknowledge: %d %s", a.code, a.raw)
	}
	var list struct {
		Read    []struct{ Person, Date string }
		Pending []string
	}
	if err := json.Unmarshal(a.raw, &list); err != nil || len(list.Read) != 1 || list.Read[0].Date != "2022-09-23" ||
		len(list.Pending) != 1 || list.Pending[0] != "Т.В. Рожкова" {
		t.Errorf("answer: %s", a.raw)
	}
	if got, _ := e.store.GetOrder(t.Context(), "", o.ID); got.Status != "queued" || got.PrintRev != 1 {
		t.Errorf("after an acknowledgement: status %s, PrintRev %d", got.Status, got.PrintRev)
	}
	if !slices.Contains(e.queue.reasons(), "acknowledgement") {
		t.Errorf("no render queued: %v", e.queue.reasons())
	}
	if acts := e.auditActions(o.ID); strings.Count(acts, "acknowledge") != 1 {
		t.Errorf("audit: %s", acts)
	}

	for _, tc := range []struct {
		name, person, date string
		code               int
		detail             string
	}{
		{"again", "Л.Е. Мартынова", "", http.StatusConflict, "23.09.2022"},
		{"not in the list", "Посторонний", "", http.StatusUnprocessableEntity, "Посторонний"},
		{"bad date", "Т.В. Рожкова", "23.09.2022", http.StatusUnprocessableEntity, ""},
	} {
		if a := ack(tc.person, tc.date); a.code != tc.code || !strings.Contains(string(a.raw), tc.detail) {
			t.Errorf("%s: %d %s", tc.name, a.code, a.raw)
		}
	}
	if acts := e.auditActions(o.ID); strings.Count(acts, "acknowledge") != 1 {
		t.Errorf("a refused acknowledgement left an audit entry: %s", acts)
	}
}

// TestJournalsSnakeCase: journals answer in snake_case like every other resource (they
// once answered OrgID, Years).
func TestJournalsSnakeCase(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	head := h.token("org-a", "head")
	rec := h.do(t.Context(), "PUT", "/api/v1/journals/main", head,
		strings.NewReader(`{"name":"по основной деятельности","format":"{seq}","starts":{"2022":1355}}`), "application/json")
	var one map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &one); rec.Code != http.StatusOK || err != nil {
		t.Fatalf("PUT: %d %s", rec.Code, rec.Body.Bytes())
	}
	rec = h.do(t.Context(), "GET", "/api/v1/journals", head, nil, "")
	var list struct{ Journals []map[string]any }
	if err := json.Unmarshal(rec.Body.Bytes(), &list); err != nil || len(list.Journals) != 1 {
		t.Fatalf("GET: %d %s", rec.Code, rec.Body.Bytes())
	}
	for what, j := range map[string]map[string]any{"PUT": one, "GET": list.Journals[0]} {
		var keys []string
		for k := range j {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if want := []string{"created_at", "format", "id", "name", "organization", "updated_at", "years"}; !slices.Equal(keys, want) {
			t.Errorf("%s: keys %v, want %v", what, keys, want)
		}
		if y, _ := json.Marshal(j["years"]); string(y) != `[{"next":1355,"year":2022}]` {
			t.Errorf("%s: years %s", what, y)
		}
	}
}
