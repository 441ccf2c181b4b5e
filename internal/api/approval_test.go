package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"orders/internal/auth"
	"orders/internal/layout"
	"orders/internal/printed"
	"orders/internal/registry"
)

// session makes a web user of org-a with a live session and returns a function that sends
// requests as that user (cookie and CSRF header, as the pages' JavaScript does).
func (e *sigEnv) session(login, name, role string) func(method, path string, body any) answer {
	e.t.Helper()
	ctx := context.Background()
	u := &registry.User{Login: login, Name: name, Role: role, OrgID: "org-a", PasswordHash: "x"}
	if err := e.store.CreateUser(ctx, u); err != nil {
		e.t.Fatal(err)
	}
	sid := "session-" + login + "-" + uuid.NewString()
	if err := e.store.CreateSession(ctx, &registry.Session{ID: sid, UserID: u.ID, CSRF: "csrf-" + login,
		ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
		e.t.Fatal(err)
	}
	return func(method, path string, body any) answer {
		e.t.Helper()
		var rd io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
		req, err := http.NewRequest(method, e.srv.URL+path, rd)
		if err != nil {
			e.t.Fatal(err)
		}
		req.AddCookie(&http.Cookie{Name: auth.SessionCookie, Value: sid})
		req.Header.Set(auth.CSRFHeader, "csrf-"+login)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			e.t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		a := answer{code: resp.StatusCode, raw: raw}
		_ = json.Unmarshal(raw, &a.body)
		return a
	}
}

func jsonBody(v any) []byte { b, _ := json.Marshal(v); return b }

// TestApprovalRoute is the office's route through the API: a clerk drafts, two approvers in
// order (the second returns it with a remark), a new version, both agree (all at once), the
// head registers; the organization requires a completed route, the draft is locked while on
// approval, and the registered order prints the Лист согласования.
func TestApprovalRoute(t *testing.T) {
	e := newSigEnv(t, nil)
	clerk := e.token("clerk", "org-a")
	deputy := e.session("deputy", "Петров П.П.", "head")
	lawyer := e.session("lawyer", "Сидорова С.С.", "clerk")

	draft, err := os.ReadFile(filepath.Join("..", "..", "templates", "examples", "balashikha.json"))
	if err != nil {
		t.Fatal(err)
	}
	a := e.do("POST", "/api/v1/orders", clerk, "application/json", draft)
	if a.code != http.StatusAccepted {
		t.Fatalf("submit: %d %s", a.code, a.raw)
	}
	id := a.str("id")
	base := "/api/v1/orders/" + id

	if a := e.do("PUT", "/api/v1/organizations/org-a/approval", clerk, "application/json", jsonBody(map[string]bool{"required": true})); a.code != http.StatusForbidden {
		t.Errorf("a clerk sets the approval rule: %d %s", a.code, a.raw)
	}
	if a := e.do("PUT", "/api/v1/organizations/org-a/approval", e.head, "application/json", jsonBody(map[string]bool{"required": true})); a.code != http.StatusOK {
		t.Fatalf("require approval: %d %s", a.code, a.raw)
	}
	register := func() answer {
		return e.do("POST", base+"/register", e.head, "application/json", jsonBody(map[string]string{"journal": "main", "date": "2026-03-05"}))
	}
	if a := register(); a.code != http.StatusConflict || !strings.Contains(a.str("detail"), "только согласованные") {
		t.Fatalf("register without a route: %d %s", a.code, a.raw)
	}

	for _, tc := range []struct {
		name string
		body any
		path string
	}{
		{"nobody asked", map[string]any{"approvers": []any{}}, "approvers"},
		{"no position", map[string]any{"approvers": []any{map[string]string{"login": "deputy"}}}, "approvers[0].position"},
		{"unknown user", map[string]any{"approvers": []any{map[string]string{"login": "ghost", "position": "x"}}}, "approvers[0].login"},
		{"twice", map[string]any{"approvers": []any{map[string]string{"login": "deputy", "position": "x"}, map[string]string{"login": "DEPUTY", "position": "x"}}}, "approvers[1].login"},
		{"bad mode", map[string]any{"mode": "random", "approvers": []any{map[string]string{"login": "deputy", "position": "x"}}}, "mode"},
	} {
		a := e.do("POST", base+"/approval", clerk, "application/json", jsonBody(tc.body))
		if a.code != http.StatusUnprocessableEntity || !strings.Contains(string(a.raw), `"path":"`+tc.path+`"`) {
			t.Errorf("%s: %d %s", tc.name, a.code, a.raw)
		}
	}

	route := map[string]any{"mode": "sequential", "approvers": []map[string]string{
		{"login": "deputy", "position": "Заместитель начальника"}, {"login": "lawyer", "position": "Юрисконсульт"}}}
	if a := e.do("POST", base+"/approval", clerk, "application/json", jsonBody(route)); a.code != http.StatusCreated || a.str("status") != "in_progress" {
		t.Fatalf("send: %d %s", a.code, a.raw)
	}
	if a := e.do("PUT", base, clerk, "application/json", draft); a.code != http.StatusConflict || !strings.Contains(a.str("detail"), "на согласовании") {
		t.Errorf("edit on approval: %d %s", a.code, a.raw)
	}
	if a := e.do("POST", base+"/approval/visa", e.head, "application/json", jsonBody(map[string]string{"decision": "approved"})); a.code != http.StatusForbidden {
		t.Errorf("a visa by an API token: %d %s", a.code, a.raw)
	}
	if a := lawyer("POST", base+"/approval/visa", map[string]string{"decision": "approved"}); a.code != http.StatusConflict || !strings.Contains(a.str("detail"), "очередь") {
		t.Errorf("the second before the first: %d %s", a.code, a.raw)
	}
	pending := func(as func(string, string, any) answer) int {
		a := as("GET", "/api/v1/approvals/pending", nil)
		list, _ := a.body["pending"].([]any)
		return len(list)
	}
	if d, l := pending(deputy), pending(lawyer); d != 1 || l != 0 {
		t.Errorf("pending: deputy %d, lawyer %d; want 1, 0", d, l)
	}
	if a := deputy("POST", base+"/approval/visa", map[string]string{"decision": "approved"}); a.code != http.StatusOK {
		t.Fatalf("deputy agrees: %d %s", a.code, a.raw)
	}
	if a := lawyer("POST", base+"/approval/visa", map[string]string{"decision": "rejected"}); a.code != http.StatusUnprocessableEntity || !strings.Contains(string(a.raw), `"path":"remark"`) {
		t.Errorf("rejected without a remark: %d %s", a.code, a.raw)
	}
	if a := lawyer("POST", base+"/approval/visa", map[string]string{"decision": "rejected", "remark": "Уточнить срок"}); a.code != http.StatusOK || a.str("status") != "returned" {
		t.Fatalf("lawyer returns: %d %s", a.code, a.raw)
	}
	if a := register(); a.code != http.StatusConflict {
		t.Fatalf("register a returned draft: %d %s", a.code, a.raw)
	}

	// The new version: one more clause, which renumbers the others.
	var d map[string]any
	if err := json.Unmarshal(draft, &d); err != nil {
		t.Fatal(err)
	}
	d["clauses"] = append([]any{map[string]string{"text": "Установить срок представления отчётов до 1 июня 2026 года."}}, d["clauses"].([]any)...)
	if a := e.do("PUT", base, clerk, "application/json", jsonBody(d)); a.code != http.StatusAccepted {
		t.Fatalf("new version: %d %s", a.code, a.raw)
	}
	a = e.do("GET", base+"/versions", clerk, "", nil)
	versions, _ := a.body["versions"].([]any)
	if len(versions) != 2 || strings.Count(string(a.raw), `(clerk)"`) != 2 {
		t.Fatalf("versions: %s", a.raw)
	}
	a = e.do("GET", base+"/diff?from=1&to=2", clerk, "", nil)
	if a.code != http.StatusOK || !strings.Contains(string(a.raw), `{"op":"insert","text":"Установить срок`) {
		t.Fatalf("diff: %d %s", a.code, a.raw)
	}
	if a := e.do("GET", base+"/diff?from=1&to=9", clerk, "", nil); a.code != http.StatusNotFound {
		t.Errorf("diff with a missing version: %d %s", a.code, a.raw)
	}
	if a := e.do("GET", base+"/diff?from=x&to=2", clerk, "", nil); a.code != http.StatusBadRequest {
		t.Errorf("diff with a bad version: %d %s", a.code, a.raw)
	}

	route["mode"] = "parallel"
	if a := e.do("POST", base+"/approval", clerk, "application/json", jsonBody(route)); a.code != http.StatusCreated || a.body["version"] != float64(2) {
		t.Fatalf("send again: %d %s", a.code, a.raw)
	}
	if d, l := pending(deputy), pending(lawyer); d != 1 || l != 1 {
		t.Errorf("pending in a parallel route: deputy %d, lawyer %d", d, l)
	}
	if a := lawyer("POST", base+"/approval/visa", map[string]string{"decision": "approved_with_remarks", "remark": "Запятая в п. 2"}); a.code != http.StatusOK {
		t.Fatalf("lawyer with remarks: %d %s", a.code, a.raw)
	}
	if a := deputy("POST", base+"/approval/visa", map[string]string{"decision": "approved"}); a.code != http.StatusOK || a.str("status") != "approved" {
		t.Fatalf("deputy agrees: %d %s", a.code, a.raw)
	}
	if a := register(); a.code != http.StatusOK {
		t.Fatalf("register the approved draft: %d %s", a.code, a.raw)
	}
	if acts := e.auditActions(uuid.MustParse(id)); strings.Count(acts, "approval-start") != 2 || strings.Count(acts, "visa") != 4 || !strings.Contains(acts, "register") {
		t.Errorf("audit: %s", acts)
	}

	// The registered order's documents carry the visas of the route it went through.
	o, err := e.store.GetOrder(context.Background(), "", uuid.MustParse(id))
	if err != nil {
		t.Fatal(err)
	}
	pd, err := printed.Draft(context.Background(), e.store, o, "")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := layout.Build(pd, layout.Options{})
	if err != nil {
		t.Fatal(err)
	}
	text := layout.NormalizeText(doc.PlainText())
	for _, want := range []string{"ЛИСТ СОГЛАСОВАНИЯ", "Заместитель начальника Петров П.П. Согласовано",
		"Юрисконсульт Сидорова С.С. Согласовано с замечаниями Запятая в п. 2"} {
		if !strings.Contains(text, want) {
			t.Errorf("the registered order lacks %q", want)
		}
	}
	if strings.Contains(text, "Уточнить срок") {
		t.Error("the sheet prints the returned round's visa, not the one the registered text went through")
	}
}

// TestApprovalWithdraw: the author takes a draft back when an approver is away; the draft is
// unlocked and the withdrawal audited; nothing to withdraw is a 409 that says so.
func TestApprovalWithdraw(t *testing.T) {
	e := newSigEnv(t, nil)
	clerk := e.token("clerk", "org-a")
	archivist := e.token("archivist", "org-a")
	e.session("deputy", "Петров П.П.", "head")
	draft, err := os.ReadFile(filepath.Join("..", "..", "templates", "examples", "balashikha.json"))
	if err != nil {
		t.Fatal(err)
	}
	a := e.do("POST", "/api/v1/orders", clerk, "application/json", draft)
	base := "/api/v1/orders/" + a.str("id")
	if a := e.do("POST", base+"/approval/withdraw", clerk, "", nil); a.code != http.StatusConflict || !strings.Contains(a.str("detail"), "не на согласовании") {
		t.Errorf("withdraw without a route: %d %s", a.code, a.raw)
	}
	route := map[string]any{"approvers": []map[string]string{{"login": "deputy", "position": "Заместитель"}}}
	if a := e.do("POST", base+"/approval", clerk, "application/json", jsonBody(route)); a.code != http.StatusCreated {
		t.Fatalf("send: %d %s", a.code, a.raw)
	}
	if a := e.do("DELETE", base, clerk, "", nil); a.code != http.StatusConflict {
		t.Errorf("delete on approval: %d %s", a.code, a.raw)
	}
	if a := e.do("POST", base+"/approval/withdraw", archivist, "", nil); a.code != http.StatusForbidden {
		t.Errorf("an archivist withdraws: %d %s", a.code, a.raw)
	}
	if a := e.do("POST", base+"/approval/withdraw", clerk, "", nil); a.code != http.StatusOK || a.str("status") != "withdrawn" || a.str("status_text") != "отозван с согласования" {
		t.Fatalf("withdraw: %d %s", a.code, a.raw)
	}
	if a := e.do("PUT", base, clerk, "application/json", draft); a.code != http.StatusAccepted {
		t.Errorf("edit after withdrawal: %d %s", a.code, a.raw)
	}
	if acts := e.auditActions(uuid.MustParse(a.str("id"))); !strings.Contains(acts, "approval-withdraw") {
		t.Errorf("audit: %s", acts)
	}
}
