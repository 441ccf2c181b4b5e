package api

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"orders/internal/layout"
	"orders/internal/registry"
	"orders/internal/render"
)

// TestIntakeRefusesWhatWorkersCannotLayOut: intake lays a draft out once, with the page
// settings the workers draw with, and takes the search text from that layout. A layout that
// fails is answered there (500: the server's settings are at fault, not the draft) and
// nothing is stored or numbered; before, intake laid out with default settings, dropped the
// error, accepted the order and every render of it failed later.
func TestIntakeRefusesWhatWorkersCannotLayOut(t *testing.T) {
	// Line spacing above 3 leaves no room for text (layout.Build refuses it).
	h := newHarness(t, harnessOptions{renderer: render.New(layout.Options{LineSpacing: 4})})
	ctx := t.Context()
	draft := exampleDraft(t)
	stored := &registry.Order{OrgID: "balashikha", Kind: "приказ", Title: "до смены настроек", Status: registry.StatusQueued}
	stored.Draft, _ = json.Marshal(draft)
	if _, err := h.store.CreateOrder(ctx, stored); err != nil {
		t.Fatal(err)
	}
	if err := h.store.PutJournal(ctx, &registry.Journal{OrgID: "balashikha", ID: "main", Name: "основной", Format: "{seq}"}); err != nil {
		t.Fatal(err)
	}
	head := h.token("balashikha", roleHead)
	for _, tc := range []struct {
		name, method, path string
		body               any
		detail             string
	}{
		{"create", "POST", "/api/v1/orders", draft, msgNoLayout},
		{"update", "PUT", "/api/v1/orders/" + stored.ID.String(), draft, msgNoLayout},
		{"preview", "POST", "/api/v1/preview", draft, msgNoLayout},
		{"register", "POST", "/api/v1/orders/" + stored.ID.String() + "/register", map[string]string{"journal": "main"}, msgInternal},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var p Problem
			rec := h.call(tc.method, tc.path, head, tc.body, &p)
			if rec.Code != http.StatusInternalServerError || p.Detail != tc.detail {
				t.Fatalf("%s %s: %d %s; want 500 «%s»", tc.method, tc.path, rec.Code, rec.Body.Bytes(), tc.detail)
			}
		})
	}
	if n := h.countOrders("balashikha"); n != 1 {
		t.Errorf("%d orders stored; want only the one made before", n)
	}
	got, err := h.store.GetOrder(ctx, "balashikha", stored.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != registry.StateDraft || got.Number != "" || got.Title != stored.Title {
		t.Errorf("the stored order changed: state %s, number %q, title %q", got.State, got.Number, got.Title)
	}
}

// TestSearchTextIsTheLaidOutText: the archive finds an order by words of its body that are
// not in its title, right after intake and after an edit.
func TestSearchTextIsTheLaidOutText(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	tok := h.token("balashikha", roleClerk)
	draft := exampleDraft(t)
	id := h.submit("balashikha", draft)
	found := func(q string) bool {
		var page struct {
			Orders []struct {
				ID string `json:"id"`
			} `json:"orders"`
		}
		if rec := h.call("GET", "/api/v1/orders?q="+url.QueryEscape(q), tok, nil, &page); rec.Code != http.StatusOK {
			t.Fatalf("GET /orders?q=%s: %d %s", q, rec.Code, rec.Body.Bytes())
		}
		return len(page.Orders) == 1 && page.Orders[0].ID == id
	}
	if !found("социального управления") {
		t.Error("a word of the body does not find the order after intake")
	}
	draft["title"] = "О переименовании"
	draft["preamble"] = []string{"В связи с переименованием лицея"}
	if rec := h.call("PUT", "/api/v1/orders/"+id, tok, draft, nil); rec.Code != http.StatusAccepted {
		t.Fatalf("PUT: %d %s", rec.Code, rec.Body.Bytes())
	}
	if !found("лицея") {
		t.Error("a word of the edited body does not find the order")
	}
}
