package api

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"orders/internal/registry"
)

// batchHarness is a server with organization uo and a batch of two queued orders (no
// workers: they stay queued) and the batch's id.
func batchHarness(t *testing.T) (*harness, string) {
	t.Helper()
	h := newHarness(t, harnessOptions{})
	if err := h.store.PutOrganization(t.Context(), &registry.Organization{ID: "uo", Name: "Управление образования",
		Profile: []byte(`{"name":"Управление образования"}`)}); err != nil {
		t.Fatal(err)
	}
	body := `{"template": {"kind": "приказ", "title": "О площадке {Организация}", "clauses": [{"text": "Организовать."}],
		"signatory": {"position": ["Начальник"], "name": "Н.В. Бабенко"}},
		"rows": [{"Организация": "СОШ №1"}, {"Организация": "СОШ №2"}]}`
	rec := h.do(t.Context(), "POST", "/api/v1/batches", h.token("uo", roleClerk), strings.NewReader(body), "application/json")
	if rec.Code != http.StatusAccepted {
		t.Fatalf("POST /batches: %d %s", rec.Code, rec.Body)
	}
	var acc batchAccepted
	if err := json.Unmarshal(rec.Body.Bytes(), &acc); err != nil {
		t.Fatal(err)
	}
	return h, acc.ID.String()
}

// events opens the batch's event stream on srv and returns its lines.
func events(t *testing.T, h *harness, srv *httptest.Server, id string) (*bufio.Scanner, func()) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), "GET", srv.URL+"/api/v1/batches/"+id+"/events", nil)
	req.Header.Set("Authorization", "Bearer "+h.token("uo", roleClerk))
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream; charset=utf-8" {
		t.Fatalf("events: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return bufio.NewScanner(resp.Body), func() { resp.Body.Close() }
}

// next reads up to the next event and returns its name and data.
func next(t *testing.T, sc *bufio.Scanner) (name, data string) {
	t.Helper()
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "event: "); ok {
			name = v
		} else if v, ok := strings.CutPrefix(line, "data: "); ok && name != "" {
			return name, v
		}
	}
	return "", ""
}

func (h *harness) shutdownSignals() int {
	n := 0
	h.server.shutdowns.Range(func(any, any) bool { n++; return true })
	return n
}

// TestBatchEvents: the stream sends the progress, then, once the batch is cancelled, one
// done event, and ends.
func TestBatchEvents(t *testing.T) {
	h, id := batchHarness(t)
	srv := httptest.NewServer(h.server.Handler())
	defer srv.Close()
	sc, closeBody := events(t, h, srv, id)
	defer closeBody()
	name, data := next(t, sc)
	if name != "progress" || !strings.Contains(data, `"queued":2`) {
		t.Fatalf("first event %q %s", name, data)
	}
	if rec := h.do(t.Context(), "POST", "/api/v1/batches/"+id+"/cancel", h.token("uo", roleClerk), nil, ""); rec.Code != http.StatusOK {
		t.Fatalf("cancel: %d %s", rec.Code, rec.Body)
	}
	for name == "progress" {
		name, data = next(t, sc)
	}
	if name != "done" || !strings.Contains(data, `"cancelled":2`) || !strings.Contains(data, `"done":true`) {
		t.Fatalf("last event %q %s", name, data)
	}
	if name, _ := next(t, sc); name != "" {
		t.Errorf("an event after done: %q", name)
	}
}

// TestBatchEventsEndAtShutdown: a stream of a batch still rendering ends when its server
// shuts down, so Shutdown is not held for the stream's lifetime; the server then forgets
// that http.Server (before, a package map kept every one for good).
func TestBatchEventsEndAtShutdown(t *testing.T) {
	h, id := batchHarness(t)
	srv := httptest.NewServer(h.server.Handler())
	defer srv.Close()
	sc, closeBody := events(t, h, srv, id)
	defer closeBody()
	if name, _ := next(t, sc); name != "progress" {
		t.Fatalf("first event %q", name)
	}
	if n := h.shutdownSignals(); n != 1 {
		t.Fatalf("%d shutdown signals while streaming, want 1", n)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := srv.Config.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown held by the event stream: %v", err)
	}
	for sc.Scan() {
	}
	if n := h.shutdownSignals(); n != 0 {
		t.Errorf("%d shutdown signals after shutdown, want 0", n)
	}
}
