package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"orders/internal/blob"
	"orders/internal/blob/fsstore"
	"orders/internal/registry"
)

// russianTitle is a problem title as a person reads it: Russian words only.
var russianTitle = regexp.MustCompile(`^[А-ЯЁ][а-яёА-ЯЁ ,-]+$`)

// step is one request of a route walk and what its answer must be.
type step struct {
	name         string
	token        string // "" sends none
	method, path string
	body         any               // as harness.call sends it
	header       map[string]string // extra request headers
	code         int
	detail       string                                 // a problem's detail contains this
	check        func(t *testing.T, rec *http.Response) // more checks of a success
	// codes: the detail lists the API's English code words (status names), which the
	// English check would take for a sentence.
	codes bool
}

// walk serves the steps in order; each is a subtest, and a problem answer must be
// problem+json with a Russian title and detail.
func (h *harness) walk(t *testing.T, steps []step) {
	t.Helper()
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			var rd *bytes.Reader
			ctype := ""
			switch b := st.body.(type) {
			case nil:
			case string:
				rd, ctype = bytes.NewReader([]byte(b)), "application/json"
			default:
				data, err := json.Marshal(b)
				if err != nil {
					t.Fatal(err)
				}
				rd, ctype = bytes.NewReader(data), "application/json"
			}
			req := newRequest(t, st.method, st.path, rd)
			if ctype != "" {
				req.Header.Set("Content-Type", ctype)
			}
			if st.token != "" {
				req.Header.Set("Authorization", "Bearer "+st.token)
			}
			for k, v := range st.header {
				req.Header.Set(k, v)
			}
			rec := serve(h.server.Handler(), req)
			if rec.Code != st.code {
				t.Fatalf("%s %s: %d %s; want %d", st.method, st.path, rec.Code, rec.Body.Bytes(), st.code)
			}
			if rec.Code >= 400 {
				if ct := rec.Header().Get("Content-Type"); ct != problemType {
					t.Errorf("Content-Type %q, want %s", ct, problemType)
				}
				var p Problem
				if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
					t.Fatalf("problem is not JSON: %v\n%s", err, rec.Body.Bytes())
				}
				if p.Status != rec.Code || !strings.Contains(p.Detail, st.detail) {
					t.Errorf("problem %d «%s»; want %d saying «%s»", p.Status, p.Detail, rec.Code, st.detail)
				}
				if !russianTitle.MatchString(p.Title) {
					t.Errorf("title %q is not Russian", p.Title)
				}
				if w := english.FindString(p.Detail); !st.codes && w != "" || p.Detail == "" {
					t.Errorf("detail %q reads English (%q)", p.Detail, w)
				}
			}
			if st.check != nil {
				st.check(t, rec.Result())
			}
		})
	}
}

// jsonOf decodes an answer's body into a map.
func jsonOf(t *testing.T, r *http.Response) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
		t.Fatalf("answer is not a JSON object: %v", err)
	}
	return m
}

// listLen checks that the answer's list under key has n entries.
func listLen(key string, n int) func(*testing.T, *http.Response) {
	return func(t *testing.T, r *http.Response) {
		t.Helper()
		list, ok := jsonOf(t, r)[key].([]any)
		if !ok || len(list) != n {
			t.Errorf("%s: %d entries, want %d", key, len(list), n)
		}
	}
}

// bodyStarts checks the content type and the first bytes of a download.
func bodyStarts(ctype, prefix string) func(*testing.T, *http.Response) {
	return func(t *testing.T, r *http.Response) {
		t.Helper()
		var buf bytes.Buffer
		buf.ReadFrom(r.Body)
		if got := r.Header.Get("Content-Type"); !strings.HasPrefix(got, ctype) || !bytes.HasPrefix(buf.Bytes(), []byte(prefix)) {
			t.Errorf("Content-Type %q, body %.20q; want %s starting %q", got, buf.Bytes(), ctype, prefix)
		}
	}
}

// TestRoutesOrders walks the orders routes: intake with its idempotency, reading, editing,
// downloads, re-rendering and deletion, with the problems of each.
func TestRoutesOrders(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	admin, clerk, archivist := h.token("", roleAdmin), h.token("balashikha", roleClerk), h.token("balashikha", roleArchivist)
	stranger := h.token("other-org", roleClerk)
	draft := exampleDraft(t)
	lh := draft["letterhead"]
	if rec := h.call("PUT", "/api/v1/organizations/balashikha", admin, lh, nil); rec.Code != http.StatusOK {
		t.Fatalf("organization: %d %s", rec.Code, rec.Body.Bytes())
	}
	var first struct{ ID string }
	if rec := h.call("POST", "/api/v1/orders", clerk, draft, &first); rec.Code != http.StatusAccepted {
		t.Fatalf("order: %d %s", rec.Code, rec.Body.Bytes())
	}
	rendered := h.renderedDraft("balashikha", []byte("%PDF-1.7 rendered"), []byte("PK docx"))
	order, done := "/api/v1/orders/"+first.ID, "/api/v1/orders/"+rendered.ID.String()
	withNumber := exampleDraft(t)
	withNumber["number"], withNumber["date"] = "1355", "2022-09-22"
	noLetterhead := exampleDraft(t)
	delete(noLetterhead, "letterhead")
	named := func(org string, lh bool) map[string]any {
		d := exampleDraft(t)
		d["organization"] = org
		if !lh {
			delete(d, "letterhead")
		}
		return d
	}
	edited := exampleDraft(t)
	edited["title"] = "О переносе сроков"
	var replayID string
	h.walk(t, []step{
		{name: "create with a key", token: clerk, method: "POST", path: "/api/v1/orders", body: draft,
			header: map[string]string{"Idempotency-Key": "k-1"}, code: 202, check: func(t *testing.T, r *http.Response) {
				replayID, _ = jsonOf(t, r)["id"].(string)
				if r.Header.Get("Location") != "/api/v1/orders/"+replayID {
					t.Errorf("Location %q", r.Header.Get("Location"))
				}
			}},
		{name: "replay with the key", token: clerk, method: "POST", path: "/api/v1/orders", body: draft,
			header: map[string]string{"Idempotency-Key": "k-1"}, code: 202, check: func(t *testing.T, r *http.Response) {
				if id, _ := jsonOf(t, r)["id"].(string); id != replayID || r.Header.Get("Idempotent-Replayed") != "true" {
					t.Errorf("replay answered %s (replayed %q); want %s", id, r.Header.Get("Idempotent-Replayed"), replayID)
				}
			}},
		{name: "another draft with the key", token: clerk, method: "POST", path: "/api/v1/orders", body: edited,
			header: map[string]string{"Idempotency-Key": "k-1"}, code: 409, detail: "Idempotency-Key уже использован для другого черновика"},
		{name: "key too long", token: clerk, method: "POST", path: "/api/v1/orders", body: draft,
			header: map[string]string{"Idempotency-Key": strings.Repeat("k", 201)}, code: 400, detail: "длиннее 200 знаков"},
		{name: "number and date dropped with notes", token: clerk, method: "POST", path: "/api/v1/orders", body: withNumber, code: 202,
			check: func(t *testing.T, r *http.Response) {
				if notes, _ := jsonOf(t, r)["notes"].([]any); len(notes) != 2 {
					t.Errorf("notes %v; want the number and the date", notes)
				}
			}},
		{name: "letterhead from the organization", token: clerk, method: "POST", path: "/api/v1/orders", body: noLetterhead, code: 202},
		{name: "letterhead of an unknown organization", token: stranger, method: "POST", path: "/api/v1/orders", body: noLetterhead,
			code: 422, detail: "организации «other-org» нет в справочнике"},
		{name: "another organization than the token's", token: clerk, method: "POST", path: "/api/v1/orders", body: named("other-org", true),
			code: 422, detail: "«other-org» — не организация этого токена (balashikha)"},
		{name: "admin without organization", token: admin, method: "POST", path: "/api/v1/orders", body: draft,
			code: 422, detail: "укажите организацию"},
		{name: "admin names an unknown organization", token: admin, method: "POST", path: "/api/v1/orders", body: named("nowhere", true),
			code: 422, detail: "организации «nowhere» нет в справочнике"},
		{name: "admin names an organization", token: admin, method: "POST", path: "/api/v1/orders", body: named("balashikha", false), code: 202},
		{name: "archivist cannot create", token: archivist, method: "POST", path: "/api/v1/orders", body: draft,
			code: 403, detail: "роли «архивариус» это действие недоступно"},
		{name: "unfilled template field", token: clerk, method: "POST", path: "/api/v1/orders",
			body: func() map[string]any { d := exampleDraft(t); d["title"] = "О {предмет}"; return d }(),
			code: 422, detail: "незаполненное поле шаблона {предмет}"},
		{name: "get", token: clerk, method: "GET", path: order, code: 200, check: func(t *testing.T, r *http.Response) {
			m := jsonOf(t, r)
			if m["id"] != first.ID || m["state"] != "draft" || m["draft"] == nil {
				t.Errorf("order %v", m)
			}
		}},
		{name: "get of another organization", token: stranger, method: "GET", path: order, code: 404, detail: "такого приказа нет"},
		{name: "list", token: clerk, method: "GET", path: "/api/v1/orders?limit=2", code: 200, check: func(t *testing.T, r *http.Response) {
			m := jsonOf(t, r)
			if list, _ := m["orders"].([]any); len(list) != 2 || m["next_cursor"] == "" {
				t.Errorf("first page %v", m)
			}
		}},
		{name: "list with a bad cursor", token: clerk, method: "GET", path: "/api/v1/orders?cursor=nonsense", code: 400, detail: "cursor: эту ссылку"},
		{name: "update", token: clerk, method: "PUT", path: order, body: edited, code: 202, check: func(t *testing.T, r *http.Response) {
			if m := jsonOf(t, r); m["title"] != "О переносе сроков" || m["status"] != "queued" {
				t.Errorf("updated %v", m)
			}
		}},
		{name: "update into another organization", token: admin, method: "PUT", path: order, body: named("other-org", true),
			code: 422, detail: "организации «other-org» нет в справочнике"},
		{name: "update a missing order", token: clerk, method: "PUT", path: "/api/v1/orders/00000000-0000-0000-0000-000000000009", body: edited,
			code: 404, detail: "такого приказа нет"},
		{name: "update with a bad id", token: clerk, method: "PUT", path: "/api/v1/orders/1355", body: edited, code: 404, detail: "не идентификатор приказа"},
		{name: "pdf", token: clerk, method: "GET", path: done + "/document.pdf", code: 200, check: bodyStarts("application/pdf", "%PDF")},
		{name: "docx", token: clerk, method: "GET", path: done + "/document.docx", code: 200,
			check: bodyStarts("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "PK")},
		{name: "pdf not modified", token: clerk, method: "GET", path: done + "/document.pdf",
			header: map[string]string{"If-None-Match": `"` + rendered.PDFSHA256 + `"`}, code: 304},
		{name: "pdf of another organization", token: stranger, method: "GET", path: done + "/document.pdf", code: 404, detail: "такого приказа нет"},
		{name: "pdf not rendered yet", token: clerk, method: "GET", path: order + "/document.pdf", code: 409, detail: "документ ещё не готов"},
		{name: "rerender", token: clerk, method: "POST", path: done + "/rerender", code: 202},
		{name: "rerender of a queued order", token: clerk, method: "POST", path: done + "/rerender", code: 409, detail: "в очереди"},
		{name: "rerender with a bad id", token: clerk, method: "POST", path: "/api/v1/orders/x/rerender", code: 404, detail: "не идентификатор приказа"},
		{name: "delete", token: clerk, method: "DELETE", path: order, code: 204},
		{name: "deleted", token: clerk, method: "GET", path: order, code: 404, detail: "такого приказа нет"},
		{name: "delete again", token: clerk, method: "DELETE", path: order, code: 404, detail: "такого приказа нет"},
		{name: "delete with a bad id", token: clerk, method: "DELETE", path: "/api/v1/orders/x", code: 404, detail: "не идентификатор приказа"},
	})
}

// TestRoutesPreview: the preview draws the PDF of a draft and records nothing.
func TestRoutesPreview(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	clerk := h.token("balashikha", roleClerk)
	bad := exampleDraft(t)
	bad["title"] = ""
	h.walk(t, []step{
		{name: "preview", token: clerk, method: "POST", path: "/api/v1/preview", body: exampleDraft(t), code: 200,
			check: func(t *testing.T, r *http.Response) {
				bodyStarts("application/pdf", "%PDF-")(t, r)
				if r.Header.Get("Cache-Control") != "no-store" {
					t.Errorf("Cache-Control %q", r.Header.Get("Cache-Control"))
				}
			}},
		{name: "invalid draft", token: clerk, method: "POST", path: "/api/v1/preview", body: bad, code: 422, detail: "title"},
		{name: "archivist", token: h.token("balashikha", roleArchivist), method: "POST", path: "/api/v1/preview", body: exampleDraft(t),
			code: 403, detail: "это действие недоступно"},
	})
	if n := h.countOrders("balashikha"); n != 0 {
		t.Errorf("a preview stored %d orders", n)
	}
}

// TestRoutesOrganizations: the admin keeps the organizations; the others see their own only.
func TestRoutesOrganizations(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	admin, clerk := h.token("", roleAdmin), h.token("balashikha", roleClerk)
	lh := exampleDraft(t)["letterhead"]
	h.walk(t, []step{
		{name: "put", token: admin, method: "PUT", path: "/api/v1/organizations/balashikha", body: lh, code: 200},
		{name: "put another", token: admin, method: "PUT", path: "/api/v1/organizations/other-org", body: lh, code: 200},
		{name: "put a bad letterhead", token: admin, method: "PUT", path: "/api/v1/organizations/third", body: map[string]any{"name": 1},
			code: 422, detail: "name"},
		{name: "put not JSON", token: admin, method: "PUT", path: "/api/v1/organizations/third", body: `{"name":`, code: 400, detail: "не JSON"},
		{name: "clerk cannot put", token: clerk, method: "PUT", path: "/api/v1/organizations/balashikha", body: lh, code: 403, detail: "недоступно"},
		{name: "admin lists all", token: admin, method: "GET", path: "/api/v1/organizations", code: 200, check: listLen("organizations", 2)},
		{name: "clerk lists its own", token: clerk, method: "GET", path: "/api/v1/organizations", code: 200, check: listLen("organizations", 1)},
		{name: "clerk gets its own", token: clerk, method: "GET", path: "/api/v1/organizations/balashikha", code: 200,
			check: func(t *testing.T, r *http.Response) {
				if m := jsonOf(t, r); m["id"] != "balashikha" || m["letterhead"] == nil {
					t.Errorf("organization %v", m)
				}
			}},
		{name: "clerk does not see another", token: clerk, method: "GET", path: "/api/v1/organizations/other-org", code: 404, detail: "организации «other-org» нет"},
		{name: "delete", token: admin, method: "DELETE", path: "/api/v1/organizations/other-org", code: 204},
		{name: "deleted", token: admin, method: "GET", path: "/api/v1/organizations/other-org", code: 404, detail: "нет в справочнике"},
		{name: "clerk cannot delete", token: clerk, method: "DELETE", path: "/api/v1/organizations/balashikha", code: 403, detail: "недоступно"},
	})
}

// TestRoutesLifecycle walks an order from registration to cancellation through the journals,
// acknowledgements, signatures, audit and archive routes.
func TestRoutesLifecycle(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	admin, clerk, head := h.token("", roleAdmin), h.token("balashikha", roleClerk), h.token("balashikha", roleHead)
	archivist := h.token("balashikha", roleArchivist)
	id := h.submit("balashikha", exampleDraft(t))
	order := "/api/v1/orders/" + id
	journal := map[string]any{"name": "по основной деятельности", "format": "{seq}-о"}
	h.walk(t, []step{
		{name: "journal", token: head, method: "PUT", path: "/api/v1/journals/main", body: journal, code: 200},
		{name: "journal by admin", token: admin, method: "PUT", path: "/api/v1/journals/staff?organization=balashikha",
			body: map[string]any{"name": "по личному составу", "format": "{seq}-к"}, code: 200},
		{name: "journal by admin without organization", token: admin, method: "PUT", path: "/api/v1/journals/staff", body: journal,
			code: 400, detail: "организацию"},
		{name: "journal by a clerk", token: clerk, method: "PUT", path: "/api/v1/journals/main", body: journal, code: 403, detail: "недоступно"},
		{name: "journals", token: clerk, method: "GET", path: "/api/v1/journals", code: 200, check: listLen("journals", 2)},
		{name: "journals for admin", token: admin, method: "GET", path: "/api/v1/journals?organization=balashikha", code: 200, check: listLen("journals", 2)},
		{name: "register", token: head, method: "POST", path: order + "/register", body: map[string]any{"journal": "main", "date": "2022-09-22"},
			header: map[string]string{"Idempotency-Key": "reg-1"}, code: 200, check: func(t *testing.T, r *http.Response) {
				if m := jsonOf(t, r); m["number"] != "1-о" || m["state"] != "registered" || m["date"] != "2022-09-22" {
					t.Errorf("registered %v", m)
				}
			}},
		{name: "register replayed", token: head, method: "POST", path: order + "/register", body: map[string]any{"journal": "main", "date": "2022-09-22"},
			header: map[string]string{"Idempotency-Key": "reg-1"}, code: 200},
		{name: "register replayed into another journal", token: head, method: "POST", path: order + "/register", body: map[string]any{"journal": "staff"},
			header: map[string]string{"Idempotency-Key": "reg-1"}, code: 409, detail: "Idempotency-Key"},
		{name: "register key too long", token: head, method: "POST", path: order + "/register", body: map[string]any{"journal": "main"},
			header: map[string]string{"Idempotency-Key": strings.Repeat("r", registry.MaxRegisterKey+1)}, code: 400, detail: "Idempotency-Key: длиннее"},
		{name: "found by number", token: archivist, method: "GET", path: "/api/v1/archive?number=1-о&state=registered&date_from=2022-09-01&date_to=2022-09-30",
			code: 200, check: listLen("orders", 1)},
		{name: "found by title", token: archivist, method: "GET", path: "/api/v1/archive?title=стажировочных&imported=false", code: 200, check: listLen("orders", 1)},
		{name: "not signed by anyone yet", token: archivist, method: "GET", path: "/api/v1/archive?signatory=Зубова", code: 200, check: listLen("orders", 0)},
		{name: "not found in another organization", token: archivist, method: "GET", path: "/api/v1/archive?organization=other-org", code: 200, check: listLen("orders", 0)},
		{name: "archive with a bad status", token: archivist, method: "GET", path: "/api/v1/archive?status=done", code: 400, detail: "status: неизвестный статус «done»", codes: true},
		{name: "archive with a bad date", token: archivist, method: "GET", path: "/api/v1/archive?date_from=22.09.2022", code: 400, detail: "date_from: не дата"},
		{name: "archive with a bad imported", token: archivist, method: "GET", path: "/api/v1/archive?imported=maybe", code: 400, detail: "imported: true или false"},
		{name: "acknowledgements empty", token: clerk, method: "GET", path: order + "/acknowledgements", code: 200, check: listLen("read", 0)},
		{name: "acknowledgement", token: clerk, method: "POST", path: order + "/acknowledgements",
			body: map[string]any{"person": "Л.Е. Мартынова", "date": "2022-09-23"}, code: 200},
		{name: "acknowledgement with a bad date", token: clerk, method: "POST", path: order + "/acknowledgements",
			body: map[string]any{"person": "Т.В. Рожкова", "date": "23.09.2022"}, code: 422, detail: "date"},
		{name: "acknowledgements", token: clerk, method: "GET", path: order + "/acknowledgements", code: 200, check: listLen("read", 1)},
		{name: "signatures none", token: clerk, method: "GET", path: order + "/signatures", code: 200, check: listLen("signatures", 0)},
		{name: "signatures of a missing order", token: clerk, method: "GET", path: "/api/v1/orders/00000000-0000-0000-0000-000000000009/signatures",
			code: 404, detail: "такого приказа нет"},
		{name: "order audit", token: head, method: "GET", path: order + "/audit", code: 200, check: func(t *testing.T, r *http.Response) {
			if list, _ := jsonOf(t, r)["entries"].([]any); len(list) < 2 {
				t.Errorf("audit of the order: %v", list)
			}
		}},
		{name: "audit", token: archivist, method: "GET", path: "/api/v1/audit", code: 200},
		{name: "audit for admin", token: admin, method: "GET", path: "/api/v1/audit?organization=balashikha", code: 200},
		{name: "audit by a clerk", token: clerk, method: "GET", path: "/api/v1/audit", code: 403, detail: "недоступно"},
		{name: "verify", token: archivist, method: "GET", path: "/api/v1/audit/verify", code: 200},
		{name: "checkpoint", token: admin, method: "POST", path: "/api/v1/audit/checkpoint?organization=balashikha", code: 201},
		{name: "checkpoint by a head", token: head, method: "POST", path: "/api/v1/audit/checkpoint", code: 403, detail: "недоступно"},
		{name: "export without dates", token: archivist, method: "GET", path: "/api/v1/archive/export", code: 400, detail: "date_from и date_to"},
		{name: "export by a clerk", token: clerk, method: "GET", path: "/api/v1/archive/export?date_from=2022-01-01&date_to=2022-12-31", code: 403, detail: "недоступно"},
		{name: "export", token: archivist, method: "GET", path: "/api/v1/archive/export?date_from=2022-01-01&date_to=2022-12-31", code: 200,
			check: bodyStarts("application/zip", "PK")},
		{name: "cancel", token: head, method: "POST", path: order + "/cancel", body: map[string]any{"reason": "издан ошибочно"}, code: 200,
			check: func(t *testing.T, r *http.Response) {
				if m := jsonOf(t, r); m["state"] != "cancelled" || m["cancel_reason"] != "издан ошибочно" {
					t.Errorf("cancelled %v", m)
				}
			}},
		{name: "register a cancelled order", token: head, method: "POST", path: order + "/register", body: map[string]any{"journal": "main"},
			code: 409, detail: "он отменён"},
	})
}

// TestRoutesService: health, readiness, metrics and the OpenAPI document need no token; the
// router's own problems are Russian problem+json.
func TestRoutesService(t *testing.T) {
	h := newHarness(t, harnessOptions{maxBody: 1 << 10})
	clerk := h.token("balashikha", roleClerk)
	big := exampleDraft(t)
	big["title"] = strings.Repeat("Очень длинное название ", 100)
	h.walk(t, []step{
		{name: "healthz", method: "GET", path: "/healthz", code: 200},
		{name: "readyz", method: "GET", path: "/readyz", code: 200, check: func(t *testing.T, r *http.Response) {
			if m := jsonOf(t, r); m["database"] != "ok" || m["store"] != "ok" || m["queue"] != "ok" {
				t.Errorf("readyz %v", m)
			}
		}},
		{name: "openapi", method: "GET", path: "/api/v1/openapi.json", code: 200, check: func(t *testing.T, r *http.Response) {
			if m := jsonOf(t, r); m["openapi"] == nil || m["paths"] == nil {
				t.Errorf("not an OpenAPI document: %v", m)
			}
		}},
		{name: "too large", token: clerk, method: "POST", path: "/api/v1/orders", body: big, code: 413, detail: "не более 1024 байт"},
		{name: "not JSON content", token: clerk, method: "POST", path: "/api/v1/orders", body: nil,
			header: map[string]string{"Content-Type": "text/plain"}, code: 415, detail: "Content-Type: application/json"},
		{name: "wrong method", token: clerk, method: "PATCH", path: "/api/v1/orders", code: 405, detail: "метод PATCH по этому адресу не поддерживается"},
		{name: "no route", method: "GET", path: "/nothing", code: 404, detail: "нет такого адреса: /nothing"},
		{name: "no token", method: "GET", path: "/api/v1/journals", code: 401, detail: "нужен токен API"},
		{name: "bad token", token: "wrong", method: "GET", path: "/api/v1/journals", code: 401, detail: "токен API не найден"},
		{name: "metrics", method: "GET", path: "/metrics", code: 200, check: func(t *testing.T, r *http.Response) {
			var buf bytes.Buffer
			buf.ReadFrom(r.Body)
			for _, want := range []string{`orders_http_requests_total{code="413",method="POST",route="/api/v1/orders"} 1`,
				`orders_http_requests_total{code="404",method="GET",route="unmatched"} 1`, `orders_by_status{status="queued"} 0`} {
				if !strings.Contains(buf.String(), want) {
					t.Errorf("metrics lack %s", want)
				}
			}
		}},
	})
}

// damagedBlobs serves documents as a damaged disk would: the bytes of keys in flipped
// come back changed, reading keys in lost fails.
type damagedBlobs struct {
	blob.Store
	flipped, lost map[string]bool
}

func (d damagedBlobs) Get(ctx context.Context, key string) ([]byte, error) {
	if d.lost[key] {
		return nil, errors.New("read error")
	}
	data, err := d.Store.Get(ctx, key)
	if err == nil && d.flipped[key] {
		data = append([]byte{}, data...)
		data[0] ^= 1
	}
	return data, err
}

// TestRoutesDocuments: the documents of an order are served only intact and the signed
// PDF's download is audited.
func TestRoutesDocuments(t *testing.T) {
	damage := damagedBlobs{flipped: map[string]bool{}, lost: map[string]bool{}}
	h := newHarness(t, harnessOptions{blobs: func(s *fsstore.Store) blob.Store { damage.Store = s; return damage }})
	admin, clerk := h.token("", roleAdmin), h.token("balashikha", roleClerk)
	if rec := h.call("PUT", "/api/v1/organizations/balashikha", admin, exampleDraft(t)["letterhead"], nil); rec.Code != http.StatusOK {
		t.Fatalf("organization: %d %s", rec.Code, rec.Body.Bytes())
	}
	signedBytes := []byte("%PDF-1.7 signed order")
	signed := signedOrder(t, h.store, h.blobs, "balashikha", "О подписанном", "2022-09-22", signedBytes)
	flipped := h.renderedDraft("balashikha", []byte("%PDF-1.7 flipped"), []byte("PK flipped"))
	lost := h.renderedDraft("balashikha", []byte("%PDF-1.7 lost"), []byte("PK lost"))
	damage.flipped[flipped.PDFKey], damage.lost[lost.DOCXKey] = true, true
	noKind := exampleDraft(t)
	delete(noKind, "kind")
	base := "/api/v1/orders/"
	h.walk(t, []step{
		{name: "signed pdf", token: clerk, method: "GET", path: base + signed.ID.String() + "/signed.pdf", code: 200,
			check: func(t *testing.T, r *http.Response) {
				var buf bytes.Buffer
				buf.ReadFrom(r.Body)
				if !bytes.Equal(buf.Bytes(), signedBytes) || r.Header.Get("ETag") != `"`+signed.SignedSHA256+`"` {
					t.Errorf("signed.pdf %q, ETag %s", buf.Bytes(), r.Header.Get("ETag"))
				}
			}},
		{name: "damaged pdf", token: clerk, method: "GET", path: base + flipped.ID.String() + "/document.pdf", code: 500,
			detail: "не совпадает со своей записанной SHA-256"},
		{name: "unreadable docx", token: clerk, method: "GET", path: base + lost.ID.String() + "/document.docx", code: 500,
			detail: "сохранённый документ не удалось прочитать"},
		{name: "audit of a missing order", token: h.token("balashikha", roleHead), method: "GET", path: base + "00000000-0000-0000-0000-000000000009/audit",
			code: 404, detail: "такого приказа нет"},
		{name: "a draft without kind is a приказ", token: clerk, method: "POST", path: "/api/v1/orders", body: noKind, code: 202},
		{name: "missing organization", token: admin, method: "DELETE", path: "/api/v1/organizations/nowhere", code: 404, detail: "нет в справочнике"},
	})
	if n := h.integrityFailures(); n != 1 {
		t.Errorf("%v integrity failures counted; want the damaged PDF's 1", n)
	}
	if got := auditOf(t, h.store, "balashikha", &signed.ID, "download-signed"); len(got) != 1 {
		t.Errorf("%d audit entries of the signed download; want 1", len(got))
	}
}
