package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

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

// TestBatchRoutes: each route of the batch group answers what it is asked as the caller
// reads it: problem+json in Russian with the place, or the batch.
func TestBatchRoutes(t *testing.T) {
	h, id := batchHarness(t)
	if err := h.store.PutJournal(t.Context(), &registry.Journal{OrgID: "uo", ID: "main", Name: "основной", Format: "{seq}"}); err != nil {
		t.Fatal(err)
	}
	const good = `"template": {"kind": "приказ", "title": "О площадке {Организация}", "clauses": [{"text": "Организовать."}],
		"signatory": {"position": ["Начальник"], "name": "Н.В. Бабенко"}}`
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	mw.WriteField("template_name", "platforms-yearly")
	mw.WriteField("valid_only", "может быть")
	mw.Close()
	for _, tc := range []struct {
		name, role, method, path, ctype, body string
		code                                  int
		want                                  []string
	}{
		{"not a form", roleClerk, "POST", "/api/v1/batches", "text/plain", "x", 415, []string{"multipart/form-data"}},
		{"JSON broken", roleClerk, "POST", "/api/v1/batches", "application/json", `{"rows": [`, 400, []string{"запрос не разобран"}},
		{"nothing", roleClerk, "POST", "/api/v1/batches", "application/json", `{}`, 422, []string{`"path":"rows"`, `"path":"template"`}},
		{"form fields", roleClerk, "POST", "/api/v1/batches", mw.FormDataContentType(), form.String(), 422,
			[]string{`"path":"data"`, `"path":"valid_only"`, "«может быть»"}},
		{"unknown template", roleClerk, "POST", "/api/v1/batches", "application/json", `{"template_name": "x", "rows": []}`, 422,
			[]string{`"path":"template_name"`, "platforms-yearly"}},
		{"bad row", roleClerk, "POST", "/api/v1/batches", "application/json", `{` + good + `, "rows": [{"Организация": ""}]}`, 422,
			[]string{`"row_problems"`, "в строках 1 ошибка"}},
		{"bad template", roleClerk, "POST", "/api/v1/batches", "application/json",
			`{"template": {"title": "{Организация}"}, "rows": [{"Организация": "СОШ"}]}`, 422, []string{`"title":"Ошибка в шаблоне"`, "в шаблоне 3 ошибки", `"path":"template.`, `"template_problems"`}},
		{"rows not a list", roleClerk, "POST", "/api/v1/batches", "application/json", `{` + good + `, "rows": {"a": "b"}}`, 422,
			[]string{`"path":"data"`}},
		{"clerk registers", roleClerk, "POST", "/api/v1/batches", "application/json", `{` + good + `, "rows": [{"Организация": "СОШ"}], "journal": "main"}`, 403,
			[]string{"не регистрирует приказы"}},
		{"unknown journal", roleHead, "POST", "/api/v1/batches", "application/json", `{` + good + `, "rows": [{"Организация": "СОШ"}], "journal": "x"}`, 422,
			[]string{`"path":"journal"`, "журнала «x» нет"}},
		{"registered", roleHead, "POST", "/api/v1/batches", "application/json", `{` + good + `, "rows": [{"Организация": "СОШ"}], "journal": "main"}`, 202,
			[]string{`"total":1`}},
		{"list", roleClerk, "GET", "/api/v1/batches", "", "", 200, []string{id}},
		{"list limit", roleClerk, "GET", "/api/v1/batches?limit=0", "", "", 400, []string{"limit: нужно число от 1"}},
		{"get", roleClerk, "GET", "/api/v1/batches/" + id, "", "", 200, []string{`"queued":2`, `"result_zip"`}},
		{"get not an id", roleClerk, "GET", "/api/v1/batches/x", "", "", 404, []string{"такого пакета нет"}},
		{"get unknown", roleClerk, "GET", "/api/v1/batches/" + uuid.NewString(), "", "", 404, []string{"такого пакета нет"}},
		{"zip not ready", roleClerk, "GET", "/api/v1/batches/" + id + "/result.zip", "", "", 409, []string{"пакет ещё не готов: 2 из 2"}},
		{"merged not ready", roleClerk, "GET", "/api/v1/batches/" + id + "/merged.pdf", "", "", 409, []string{"пакет ещё не готов"}},
		{"merged nothing", roleClerk, "GET", "/api/v1/batches/" + id + "/merged.pdf?partial=true", "", "", 409, []string{"нечего объединять"}},
		{"merged bad row", roleClerk, "GET", "/api/v1/batches/" + id + "/merged.pdf?partial=true&from=x", "", "", 400, []string{"from: нужен номер строки"}},
		{"cancel", roleClerk, "POST", "/api/v1/batches/" + id + "/cancel", "", "", 200, []string{`"cancelled":2`, `"state":"cancelled"`}},
		{"zip after cancel", roleClerk, "GET", "/api/v1/batches/" + id + "/result.zip", "", "", 200, []string{"manifest.csv"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var body io.Reader
			if tc.body != "" {
				body = strings.NewReader(tc.body)
			}
			rec := h.do(t.Context(), tc.method, tc.path, h.token("uo", tc.role), body, tc.ctype)
			if rec.Code != tc.code {
				t.Fatalf("%d %s, want %d", rec.Code, rec.Body, tc.code)
			}
			if tc.code >= 400 && rec.Header().Get("Content-Type") != problemType {
				t.Errorf("Content-Type %q", rec.Header().Get("Content-Type"))
			}
			for _, w := range tc.want {
				if !strings.Contains(rec.Body.String(), w) {
					t.Errorf("no %s in %s", w, rec.Body)
				}
			}
		})
	}
	// Another organization's batch looks absent.
	t.Run("template problems apart from row problems", func(t *testing.T) {
		testTemplateAndRowProblems(t, h)
	})
	// Another organization's batch looks absent.
	if err := h.store.PutOrganization(t.Context(), &registry.Organization{ID: "other", Name: "Другое", Profile: []byte(`{"name":"Другое"}`)}); err != nil {
		t.Fatal(err)
	}
	if rec := h.do(t.Context(), "GET", "/api/v1/batches/"+id, h.token("other", roleClerk), nil, ""); rec.Code != http.StatusNotFound {
		t.Errorf("another organization's batch: %d", rec.Code)
	}
}

// testTemplateAndRowProblems: a template's problems and a file's row problems come back in
// their own members, each in Russian and at the place it belongs to (a template's field
// and path; a row's line and column), with a Russian title saying which it is.
func testTemplateAndRowProblems(t *testing.T, h *harness) {
	type answer struct {
		Title            string
		Detail           string
		TemplateProblems []struct{ Path, Field, Message, Text string } `json:"template_problems"`
		RowProblems      []struct {
			Line                  int
			Column, Message, Text string
		} `json:"row_problems"`
	}
	post := func(body string) answer {
		t.Helper()
		rec := h.do(t.Context(), "POST", "/api/v1/batches", h.token("uo", roleClerk), strings.NewReader(body), "application/json")
		if rec.Code != http.StatusUnprocessableEntity {
			t.Fatalf("%d %s, want 422", rec.Code, rec.Body)
		}
		var a answer
		if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil {
			t.Fatal(err)
		}
		return a
	}
	tmpl := post(`{"template": {"kind": "приказ", "title": "О площадке {Организация}", "clauses": [{"text": "Назначить {ответственный:дательный}."}],
		"signatory": {"position": ["Начальник"], "name": "{подписант}"}}, "rows": [{"Организация": "СОШ № 1"}]}`)
	if tmpl.Title != "Ошибка в шаблоне" || len(tmpl.RowProblems) != 0 || len(tmpl.TemplateProblems) != 2 {
		t.Fatalf("template problems answer: %+v", tmpl)
	}
	for _, want := range []struct{ path, field string }{{"template.clauses[0].text", "ответственный"}, {"template.signatory.name", "подписант"}} {
		if !slices.ContainsFunc(tmpl.TemplateProblems, func(p struct{ Path, Field, Message, Text string }) bool {
			return p.Path == want.path && p.Field == want.field && isRussian(p.Message) && strings.Contains(p.Text, "{"+want.field)
		}) {
			t.Errorf("no problem of {%s} at %s in %+v", want.field, want.path, tmpl.TemplateProblems)
		}
	}
	if !strings.Contains(tmpl.Detail, "в шаблоне 2 ошибки") || strings.Contains(tmpl.Detail, "в строках") {
		t.Errorf("detail %q: Russian, about the template, not the rows", tmpl.Detail)
	}

	rows := post(`{"template": {"kind": "приказ", "title": "О площадке {Организация}", "clauses": [{"text": "Организовать."}],
		"signatory": {"position": ["Начальник"], "name": "Н.В. Бабенко"}}, "rows": [{"Организация": "СОШ № 1"}, {"Организация": ""}]}`)
	if rows.Title != "Ошибки в строках" || len(rows.TemplateProblems) != 0 || len(rows.RowProblems) != 1 {
		t.Fatalf("row problems answer: %+v", rows)
	}
	if p := rows.RowProblems[0]; p.Line != 2 || p.Column != "Организация" || p.Message != "пусто" || p.Text != "строка 2, столбец «Организация»: пусто" {
		t.Errorf("row problem %+v", p)
	}
}

// isRussian: the text has Cyrillic letters and no English word of three letters or more.
func isRussian(s string) bool {
	return regexp.MustCompile(`\p{Cyrillic}`).MatchString(s) && !regexp.MustCompile(`\b[A-Za-z]{3,}\b`).MatchString(s)
}
