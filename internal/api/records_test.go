package api

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"

	"orders/internal/auth"
	"orders/internal/registry"
)

// namedToken is an API token whose name is a person as clauses write them.
func (e *sigEnv) namedToken(role, name string) string {
	secret, err := auth.NewSecret()
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.store.CreateToken(context.Background(), &registry.Token{Hash: auth.HashToken(secret), Role: role, OrgID: "org-a", Name: name}); err != nil {
		e.t.Fatal(err)
	}
	return secret
}

// controlledDraft is the Balashikha order with two clauses under control: one long overdue,
// one far ahead, and a control clause naming Петров.
func controlledDraft(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "templates", "examples", "balashikha.json"))
	if err != nil {
		t.Fatal(err)
	}
	var d map[string]any
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatal(err)
	}
	delete(d, "number")
	delete(d, "date")
	d["clauses"] = []map[string]any{
		{"text": "Провести олимпиаду.", "responsible": "Рожкова Т.В.", "deadline": "до 10.03.2026"},
		{"text": "Подвести итоги.", "responsible": "Иванов И.И.", "deadline": "до 01.01.2099"},
		{"text": "Без контроля."},
	}
	d["control"] = "Контроль за исполнением приказа возложить на заместителя начальника Петрова П.П."
	out, _ := json.Marshal(d)
	return out
}

// registerControlled makes a draft and registers it through the API, as a head does.
func (e *sigEnv) registerControlled(date string) uuid.UUID {
	e.t.Helper()
	o := &registry.Order{OrgID: "org-a", Kind: "приказ", Title: "Об олимпиаде", Draft: controlledDraft(e.t)}
	if _, err := e.store.CreateOrder(context.Background(), o); err != nil {
		e.t.Fatal(err)
	}
	a := e.do("POST", "/api/v1/orders/"+o.ID.String()+"/register", e.head, "application/json", []byte(`{"journal":"main","date":"`+date+`"}`))
	if a.code != http.StatusOK {
		e.t.Fatalf("register: %d %s", a.code, a.raw)
	}
	return o.ID
}

type controlList struct {
	Items []controlView
}

func (e *sigEnv) controls(path, token string) controlList {
	e.t.Helper()
	a := e.do("GET", path, token, "", nil)
	if a.code != http.StatusOK {
		e.t.Fatalf("GET %s: %d %s", path, a.code, a.raw)
	}
	var l controlList
	if err := json.Unmarshal(a.raw, &l); err != nil {
		e.t.Fatal(err)
	}
	return l
}

// TestControlHandlers: registration through the API puts the controlled clauses under
// control; lists by state and person; who may mark; the mark is once and audited; the
// controller sees all; counts on /metrics.
func TestControlHandlers(t *testing.T) {
	e := newSigEnv(t, nil)
	id := e.registerControlled("2026-03-02")
	all := e.controls("/api/v1/control", e.head).Items
	if len(all) != 2 || all[0].Clause != "1" || all[0].State != "overdue" || all[0].StateText != "просрочено" ||
		all[1].State != "on_time" || all[1].Due != "2099-01-01" || all[0].OrderNumber != "1" {
		t.Fatalf("items after registration: %+v", all)
	}
	if got := e.controls("/api/v1/orders/"+id.String()+"/control", e.head).Items; len(got) != 2 {
		t.Errorf("per order: %d", len(got))
	}
	if got := e.controls("/api/v1/control?state=overdue", e.head).Items; len(got) != 1 || got[0].Responsible != "Рожкова Т.В." {
		t.Errorf("overdue: %+v", got)
	}
	if got := e.controls("/api/v1/control?responsible="+urlQuery("Иванов И.И."), e.head).Items; len(got) != 1 || got[0].Clause != "2" {
		t.Errorf("per person: %+v", got)
	}
	if a := e.do("GET", "/api/v1/control?state=late", e.head, "", nil); a.code != http.StatusBadRequest || !strings.Contains(a.str("detail"), "on_time") {
		t.Errorf("bad state: %d %s", a.code, a.raw)
	}
	if a := e.do("GET", "/api/v1/control", e.admin, "", nil); a.code != http.StatusBadRequest {
		t.Errorf("admin without organization: %d %s", a.code, a.raw)
	}

	rozhkova, ivanov, petrov := e.namedToken("clerk", "Рожкова Т.В."), e.namedToken("clerk", "Иванов И.И."), e.namedToken("clerk", "Петров П.П.")
	if got := e.controls("/api/v1/control/mine", rozhkova).Items; len(got) != 1 {
		t.Errorf("Рожкова's own: %+v", got)
	}
	if got := e.controls("/api/v1/control/mine", petrov).Items; len(got) != 2 {
		t.Errorf("the controller sees %d items, want 2", len(got))
	}
	mark := "/api/v1/control/" + all[0].ID.String() + "/done"
	if a := e.do("POST", mark, ivanov, "application/json", []byte(`{"note":"не моё"}`)); a.code != http.StatusForbidden {
		t.Errorf("another person marks: %d %s", a.code, a.raw)
	}
	a := e.do("POST", mark, rozhkova, "application/json", []byte(`{"note":"Олимпиада проведена, протокол № 3"}`))
	if a.code != http.StatusOK || a.str("state") != "done" || a.str("done_by") != "Рожкова Т.В." || a.str("done_note") != "Олимпиада проведена, протокол № 3" {
		t.Fatalf("mark: %d %s", a.code, a.raw)
	}
	if a := e.do("POST", mark, e.head, "application/json", []byte(`{}`)); a.code != http.StatusConflict || !strings.Contains(a.str("detail"), "уже отмечен") {
		t.Errorf("mark twice: %d %s", a.code, a.raw)
	}
	if acts := e.auditActions(id); !strings.Contains(acts, "control-done") {
		t.Errorf("audit: %s", acts)
	}
	metrics := e.do("GET", "/metrics", "", "", nil)
	for _, want := range []string{`orders_control_items{state="done"} 1`, `orders_control_items{state="on_time"} 1`, `orders_control_items{state="overdue"} 0`} {
		if !strings.Contains(string(metrics.raw), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

func urlQuery(s string) string { return strings.NewReplacer(" ", "%20").Replace(s) }

// TestCalendarFeed: a person's secret address works without login, a new one ends the old,
// revoking ends it; a clerk cannot make anyone else's.
func TestCalendarFeed(t *testing.T) {
	e := newSigEnv(t, nil)
	e.registerControlled("2026-03-02")
	ivanov := e.namedToken("clerk", "Иванов И.И.")
	a := e.do("POST", "/api/v1/control/feed", ivanov, "application/json", []byte(`{}`))
	if a.code != http.StatusCreated || !strings.HasPrefix(a.str("path"), "/calendar/") {
		t.Fatalf("feed: %d %s", a.code, a.raw)
	}
	first := a.str("path")
	resp, err := http.Get(e.srv.URL + first)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/calendar; charset=utf-8" ||
		!strings.Contains(string(body), "DTSTART;VALUE=DATE:20990101") || strings.Contains(string(body), "20260310") {
		t.Fatalf("calendar: %d %s\n%s", resp.StatusCode, resp.Header, body)
	}
	if a := e.do("POST", "/api/v1/control/feed", ivanov, "application/json", []byte(`{"person":"Рожкова Т.В."}`)); a.code != http.StatusForbidden {
		t.Errorf("a clerk makes another's feed: %d %s", a.code, a.raw)
	}
	second := e.do("POST", "/api/v1/control/feed", ivanov, "application/json", []byte(`{}`)).str("path")
	get := func(p string) int {
		r, err := http.Get(e.srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		return r.StatusCode
	}
	if get(first) != http.StatusNotFound || get(second) != http.StatusOK {
		t.Errorf("after a new address: old %d, new %d", get(first), get(second))
	}
	if a := e.do("DELETE", "/api/v1/control/feed", ivanov, "", nil); a.code != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", a.code, a.raw)
	}
	if get(second) != http.StatusNotFound {
		t.Error("a revoked address still works")
	}
}

// TestCasesHandlers: the nomenclature, filing by journal and by hand, volumes, the
// inventory in both formats, and the refusals.
func TestCasesHandlers(t *testing.T) {
	e := newSigEnv(t, nil)
	arch := e.token("archivist", "org-a")
	clerk := e.token("clerk", "org-a")
	put := func(token, index, body string) answer {
		return e.do("PUT", "/api/v1/cases/"+index, token, "application/json", []byte(body))
	}
	if a := put(arch, "01-05", `{"title":"Приказы по основной деятельности","retention":"постоянно","journal":"main"}`); a.code != http.StatusOK {
		t.Fatalf("put case: %d %s", a.code, a.raw)
	}
	if a := put(arch, "01-07", `{"title":"Приказы по личному составу","retention":"75 лет ЭПК"}`); a.code != http.StatusOK {
		t.Fatalf("put case: %d %s", a.code, a.raw)
	}
	for _, c := range []struct {
		token, index, body string
		code               int
		want               string
	}{
		{clerk, "01-09", `{"title":"x","retention":"5 лет"}`, http.StatusForbidden, ""},
		{arch, "01-09", `{"title":"x","retention":"пока нужно"}`, http.StatusUnprocessableEntity, "retention"},
		{arch, "01 09", `{"title":"x","retention":"5 лет"}`, http.StatusUnprocessableEntity, "index"},
		{arch, "01-09", `{"title":"x","retention":"5 лет","journal":"nope"}`, http.StatusUnprocessableEntity, "journal"},
		{arch, "01-09", `{"title":"x","retention":"5 лет","journal":"main"}`, http.StatusConflict, "другое дело"},
	} {
		if a := put(c.token, c.index, c.body); a.code != c.code || !strings.Contains(string(a.raw), c.want) {
			t.Errorf("PUT %s %s: %d %s", c.index, c.body, a.code, a.raw)
		}
	}
	id := e.registerControlled("2025-05-02")
	o, _ := e.registeredOrder("О приёме")
	if a := e.do("POST", "/api/v1/orders/"+o.ID.String()+"/file", arch, "application/json", []byte(`{"case":"99-99"}`)); a.code != http.StatusUnprocessableEntity {
		t.Errorf("file into an unknown case: %d %s", a.code, a.raw)
	}
	if a := e.do("POST", "/api/v1/orders/"+o.ID.String()+"/file", arch, "application/json", []byte(`{"case":"01-07"}`)); a.code != http.StatusOK || a.str("case") != "01-07" {
		t.Fatalf("file: %d %s", a.code, a.raw)
	}
	a := e.do("GET", "/api/v1/archive/volumes", arch, "", nil)
	var vols struct{ Volumes []volumeView }
	json.Unmarshal(a.raw, &vols)
	if len(vols.Volumes) != 2 || vols.Volumes[0].Index != "01-05" || vols.Volumes[0].Year != 2025 || vols.Volumes[1].Year != 2022 || vols.Volumes[1].ExpiresAfter != 2097 {
		t.Fatalf("volumes: %s", a.raw)
	}
	a = e.do("GET", "/api/v1/cases/01-05/orders?year=2025", arch, "", nil)
	if !strings.Contains(string(a.raw), id.String()) {
		t.Errorf("case orders: %s", a.raw)
	}
	for format, magic := range map[string]string{"xlsx": "PK", "pdf": "%PDF"} {
		req, _ := http.NewRequest("GET", e.srv.URL+"/api/v1/archive/inventory?year=2025&format="+format, nil)
		req.Header.Set("Authorization", "Bearer "+arch)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !bytes.HasPrefix(body, []byte(magic)) || !strings.Contains(resp.Header.Get("Content-Disposition"), "filename*=UTF-8''") {
			t.Errorf("inventory %s: %d %s", format, resp.StatusCode, resp.Header)
		}
	}
	if a := e.do("GET", "/api/v1/archive/inventory?year=20x5", arch, "", nil); a.code != http.StatusBadRequest {
		t.Errorf("bad year: %d", a.code)
	}
	if a := e.do("DELETE", "/api/v1/cases/01-07", arch, "", nil); a.code != http.StatusConflict {
		t.Errorf("delete a case with orders: %d %s", a.code, a.raw)
	}
	if a := e.do("GET", "/api/v1/archive/expired", arch, "", nil); a.code != http.StatusOK {
		t.Errorf("expired: %d %s", a.code, a.raw)
	}
	if acts := e.auditActions(o.ID); !strings.Contains(acts, "file") {
		t.Errorf("audit of filing: %s", acts)
	}

	// The archive lists and exports by case and year.
	a = e.do("GET", "/api/v1/archive?case=01-05&year=2025", arch, "", nil)
	if a.code != http.StatusOK || !strings.Contains(string(a.raw), id.String()) || strings.Contains(string(a.raw), o.ID.String()) {
		t.Errorf("archive by case: %d %s", a.code, a.raw)
	}
	if a := e.do("GET", "/api/v1/archive?year=2025", arch, "", nil); a.code != http.StatusBadRequest {
		t.Errorf("year without case: %d %s", a.code, a.raw)
	}
	pdf := testPDF(t, "signed")
	doc := registry.SignedDocument{Size: int64(len(pdf))}
	var err error
	if doc.Key, doc.SHA256, err = e.blobs.Put(context.Background(), pdf, "application/pdf"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.Sign(context.Background(), "org-a", o.ID, registry.SignRequest{Document: doc, Signatory: "Зубова А.Н."}); err != nil {
		t.Fatal(err)
	}
	for q, want := range map[string]int{"case=01-07&year=2022": 1, "case=01-05": 0} {
		req, _ := http.NewRequest("GET", e.srv.URL+"/api/v1/archive/export?date_from=2000-01-01&date_to=2099-12-31&"+q, nil)
		req.Header.Set("Authorization", "Bearer "+arch)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
		if resp.StatusCode != http.StatusOK || err != nil {
			t.Fatalf("export %s: %d %v", q, resp.StatusCode, err)
		}
		pdfs := 0
		for _, f := range zr.File {
			if strings.HasSuffix(f.Name, ".pdf") {
				pdfs++
			}
		}
		if pdfs != want {
			t.Errorf("export %s: %d PDFs, want %d", q, pdfs, want)
		}
	}
}

// TestPublicCheck: without login, a visitor learns existence, state and hash, never the text
// unless the order is public, never a draft; a PDF compares; requests are limited.
func TestPublicCheck(t *testing.T) {
	e := newSigEnv(t, nil)
	o, pdf := e.registeredOrder("О секретном")
	signed := append(bytes.Clone(pdf), []byte("%signed")...)
	doc := registry.SignedDocument{Size: int64(len(signed))}
	var err error
	if doc.Key, doc.SHA256, err = e.blobs.Put(context.Background(), signed, "application/pdf"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.Sign(context.Background(), "org-a", o.ID, registry.SignRequest{Document: doc, Signatory: "Зубова А.Н."}); err != nil {
		t.Fatal(err)
	}
	draft := &registry.Order{OrgID: "org-a", Title: "Проект", Draft: []byte(`{}`)}
	e.store.CreateOrder(context.Background(), draft)

	a := e.do("GET", "/api/v1/check/"+o.ID.String(), "", "", nil)
	if a.code != http.StatusOK || a.str("state") != "действует" || a.str("signed_sha256") != doc.SHA256 || a.str("number") != "1" ||
		a.str("organization") != "Школа № 17" || strings.Contains(string(a.raw), "секрет") {
		t.Fatalf("check: %d %s", a.code, a.raw)
	}
	for _, p := range []string{"/api/v1/check/" + draft.ID.String(), "/api/v1/check/" + uuid.NewString(), "/api/v1/check/not-an-id"} {
		if a := e.do("GET", p, "", "", nil); a.code != http.StatusNotFound || strings.Contains(string(a.raw), "Проект") {
			t.Errorf("GET %s: %d %s", p, a.code, a.raw)
		}
	}
	if a := e.do("GET", "/api/v1/check?organization=org-a&number=1&date=2022-09-22", "", "", nil); a.code != http.StatusOK || a.str("id") != o.ID.String() {
		t.Errorf("by number: %d %s", a.code, a.raw)
	}
	if a := e.do("GET", "/api/v1/check?organization=org-a&number=1&date=22.09.2022", "", "", nil); a.code != http.StatusUnprocessableEntity {
		t.Errorf("by number, bad date: %d %s", a.code, a.raw)
	}
	if a := e.do("PUT", "/api/v1/orders/"+o.ID.String()+"/public", e.head, "application/json", []byte(`{"public":true}`)); a.code != http.StatusOK {
		t.Fatalf("public: %d %s", a.code, a.raw)
	}
	if a := e.do("GET", "/api/v1/check/"+o.ID.String(), "", "", nil); a.str("title") != "О секретном" || a.str("text") == "" {
		t.Errorf("public order: %s", a.raw)
	}
	compare := func(file []byte) answer {
		var b bytes.Buffer
		w := multipart.NewWriter(&b)
		fw, _ := w.CreateFormFile("pdf", "скан.pdf")
		fw.Write(file)
		w.Close()
		return e.do("POST", "/api/v1/check/"+o.ID.String()+"/compare", "", w.FormDataContentType(), b.Bytes())
	}
	for _, c := range []struct {
		file  []byte
		match string
	}{{signed, "signed"}, {pdf, "copy"}, {[]byte("%PDF-1.7 other"), ""}} {
		a := compare(c.file)
		cmp, _ := a.body["comparison"].(map[string]any)
		if a.code != http.StatusOK || cmp["match"] != c.match {
			t.Errorf("compare (want %q): %d %s", c.match, a.code, a.raw)
		}
	}
	limited := false
	for range 40 {
		if a := e.do("GET", "/api/v1/check/"+o.ID.String(), "", "", nil); a.code == http.StatusTooManyRequests {
			limited = true
			break
		}
	}
	if !limited {
		t.Error("40 checks in a row from one address were all answered")
	}
}
