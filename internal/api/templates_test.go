package api

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"orders/internal/batch"
	"orders/internal/registry"
)

// TestTemplates walks a department's template through the API: the shipped one is listed,
// a new one with a declined field is saved, its fields and sample files are read, an edit
// from an old version is refused, and a bad template is told at its path in Russian.
func TestTemplates(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	clerk, other := h.token("org-a", roleClerk), h.token("org-b", roleClerk)
	ctx := t.Context()
	call := func(method, path, token, body string) (int, map[string]any, string) {
		t.Helper()
		var r *strings.Reader
		ctype := ""
		if body != "" {
			r, ctype = strings.NewReader(body), "application/json"
		} else {
			r = strings.NewReader("")
		}
		rec := h.do(ctx, method, path, token, r, ctype)
		var m map[string]any
		json.Unmarshal(rec.Body.Bytes(), &m)
		return rec.Code, m, rec.Body.String()
	}

	code, m, raw := call("GET", "/api/v1/templates", clerk, "")
	if code != http.StatusOK || !strings.Contains(raw, `"name":"platforms-yearly"`) || !strings.Contains(raw, `"builtin":true`) {
		t.Fatalf("list: %d %s", code, raw)
	}

	const appoint = `{"kind":"приказ","title":"О назначении ответственного","clauses":[{"text":"Назначить {ответственный:вин} ответственным за {работа?}."}],"signatory":{"position":["Директор"],"name":"{подписант}"}}`
	code, m, raw = call("POST", "/api/v1/templates", clerk, `{"name":"appoint","title":"Назначение","mode":"per_row","body":`+appoint+`,"constants":{"подписант":"И.Г. Гусева"}}`)
	if code != http.StatusCreated || m["version"] != float64(1) {
		t.Fatalf("create: %d %s", code, raw)
	}
	code, m, raw = call("GET", "/api/v1/templates/appoint/fields", clerk, "")
	var fields struct{ Fields []batch.Field }
	json.Unmarshal([]byte(raw), &fields)
	if code != http.StatusOK || len(fields.Fields) != 3 || fields.Fields[0].Name != "ответственный" ||
		fields.Fields[0].Kind != batch.KindPerson || fields.Fields[0].Cases[0] != "вин" || fields.Fields[1].Required {
		t.Errorf("fields: %d %s", code, raw)
	}
	for _, f := range []string{"sample.csv", "sample.xlsx"} {
		rec := h.do(ctx, "GET", "/api/v1/templates/appoint/"+f, clerk, strings.NewReader(""), "")
		tb, err := batch.ReadRows(f, rec.Body.Bytes())
		if rec.Code != http.StatusOK || err != nil || len(tb.Columns) != 3 || !strings.Contains(rec.Header().Get("Content-Disposition"), "appoint") {
			t.Errorf("%s: %d %v %+v", f, rec.Code, err, tb)
		}
	}

	// A batch names the template: the organization's own, with its saved constants and mode.
	if err := h.store.PutOrganization(ctx, &registry.Organization{ID: "org-a", Name: "Школа",
		Profile: []byte(`{"name":"МБОУ «СОШ № 1»"}`)}); err != nil {
		t.Fatal(err)
	}
	code, m, raw = call("POST", "/api/v1/batches", clerk, `{"template_name":"appoint","rows":[{"ответственный":"учитель Петрова Ирина Викторовна","работа":"площадку"}]}`)
	if code != http.StatusAccepted {
		t.Fatalf("batch from the template: %d %s", code, raw)
	}
	orders, _, err := h.store.ListOrders(ctx, registry.Filter{OrgID: "org-a"})
	if err != nil || len(orders) != 1 {
		t.Fatalf("orders of the batch: %d, %v", len(orders), err)
	}
	o, err := h.store.GetOrder(ctx, "org-a", orders[0].ID)
	if err != nil || !strings.Contains(string(o.Draft), "Назначить учителя Петрову Ирину Викторовну ответственным") ||
		!strings.Contains(string(o.Draft), "И.Г. Гусева") {
		t.Errorf("the batch's draft: %v %s", err, o.Draft)
	}

	code, _, raw = call("PUT", "/api/v1/templates/appoint", clerk, `{"title":"Назначение","mode":"per_row","body":`+appoint+`,"base_version":1}`)
	if code != http.StatusOK || !strings.Contains(raw, `"version":2`) {
		t.Fatalf("edit: %d %s", code, raw)
	}
	code, _, raw = call("PUT", "/api/v1/templates/appoint", clerk, `{"title":"Назначение","mode":"per_row","body":`+appoint+`,"base_version":1}`)
	if code != http.StatusConflict || !strings.Contains(raw, "успели изменить") {
		t.Errorf("edit from an old version: %d %s", code, raw)
	}
	code, _, raw = call("GET", "/api/v1/templates/appoint/versions", clerk, "")
	if code != http.StatusOK || strings.Count(raw, `"version":`) != 2 {
		t.Errorf("versions: %d %s", code, raw)
	}
	code, _, raw = call("GET", "/api/v1/templates/appoint?version=1", clerk, "")
	if code != http.StatusOK || !strings.Contains(raw, `"version":1`) || !strings.Contains(raw, `"подписант":"И.Г. Гусева"`) {
		t.Errorf("version 1: %d %s", code, raw)
	}

	bad := strings.Replace(appoint, "{ответственный:вин}", "{ответственный:винит}", 1)
	code, m, raw = call("POST", "/api/v1/templates", clerk, `{"name":"bad","title":"Плохой","mode":"per_row","body":`+bad+`}`)
	if code != http.StatusUnprocessableEntity || !strings.Contains(raw, `"path":"clauses[0].text"`) || !strings.Contains(raw, "не падеж") {
		t.Errorf("bad template: %d %s", code, raw)
	}
	code, _, raw = call("GET", "/api/v1/templates/appoint", other, "")
	if code != http.StatusNotFound || !strings.Contains(raw, "шаблона «appoint» нет") {
		t.Errorf("another organization's template: %d %s", code, raw)
	}
	if code, _, raw = call("GET", "/api/v1/templates", h.token("", roleAdmin), ""); code != http.StatusBadRequest {
		t.Errorf("admin without organization: %d %s", code, raw)
	}
	if code, _, raw = call("DELETE", "/api/v1/templates/appoint", h.token("org-a", roleArchivist), ""); code != http.StatusForbidden {
		t.Errorf("an archivist deletes: %d %s", code, raw)
	}
	if code, _, _ = call("DELETE", "/api/v1/templates/appoint", clerk, ""); code != http.StatusNoContent {
		t.Errorf("delete: %d", code)
	}
	if code, _, _ = call("GET", "/api/v1/templates/appoint", clerk, ""); code != http.StatusNotFound {
		t.Errorf("after delete: %d", code)
	}
}

func TestDeclineText(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	tok := h.token("org-a", roleClerk)
	for _, tc := range []struct {
		query string
		code  int
		want  string
	}{
		{"text=заместитель+директора+Мартынова+Л.Е.&case=вин", http.StatusOK, `"text":"заместителя директора Мартынову Л.Е."`},
		{"text=Зубова+Анна+Николаевна&case=дат", http.StatusOK, `"text":"Зубовой Анне Николаевне"`},
		{"text=x&case=винит", http.StatusBadRequest, "«винит» — не падеж"},
	} {
		rec := h.do(t.Context(), "GET", "/api/v1/decline?"+tc.query, tok, strings.NewReader(""), "")
		if rec.Code != tc.code || !strings.Contains(rec.Body.String(), tc.want) {
			t.Errorf("%s: %d %s, want %d %s", tc.query, rec.Code, rec.Body, tc.code, tc.want)
		}
	}
}

// TestWordTemplates: a department uploads its Word order as a one_order template, reads its
// fields, fills it from a CSV into a ZIP of DOCX, gets an empty cell back as a row problem,
// and a batch naming it is told, in Russian, that a Word template gives DOCX only.
func TestWordTemplates(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	clerk, ctx := h.token("org-a", roleClerk), t.Context()
	docx, err := os.ReadFile("../docxtmpl/testdata/platforms.docx")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]any{"name": "platforms-word", "title": "Площадки (Word)", "mode": "one_order", "docx": docx,
		"constants": map[string]string{"площадки": "стажировочных площадок", "учебный_год": "2025-2026", "контроль": "Иванова И.И.",
			"должность_подписанта": "Начальник управления", "подписант": "Н.В. Бабенко"}})
	rec := h.do(ctx, "POST", "/api/v1/templates", clerk, bytes.NewReader(body), "application/json")
	if rec.Code != http.StatusCreated || !strings.Contains(rec.Body.String(), `"format":"docx"`) {
		t.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	rec = h.do(ctx, "GET", "/api/v1/templates/platforms-word/fields", clerk, nil, "")
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"name":"Тема","kind":"text","required":true,"column":true`) {
		t.Errorf("fields: %d %s", rec.Code, rec.Body)
	}
	fill := func(csv string) *httptest.ResponseRecorder {
		var form bytes.Buffer
		mw := multipart.NewWriter(&form)
		w, _ := mw.CreateFormFile("data", "p.csv")
		w.Write([]byte(csv))
		mw.Close()
		return h.do(ctx, "POST", "/api/v1/templates/platforms-word/fill", clerk, &form, mw.FormDataContentType())
	}
	rec = fill("Организация;Тема;Руководитель\nМБОУ №1;Тема 1;Мартынова Л.Е.\nМБОУ №2;Тема 2;Кузнецова К.К.\n")
	zr, err := zip.NewReader(bytes.NewReader(rec.Body.Bytes()), int64(rec.Body.Len()))
	if rec.Code != http.StatusOK || err != nil || len(zr.File) != 1 || zr.File[0].Name != "platforms-word.docx" {
		t.Fatalf("fill: %d %v %s", rec.Code, err, rec.Body.String()[:min(300, rec.Body.Len())])
	}
	rec = fill("Организация;Тема;Руководитель\nМБОУ №1;;Мартынова Л.Е.\n")
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), `"text":"строка 2, столбец «Тема»: пусто"`) ||
		!strings.Contains(rec.Body.String(), `"title":"Ошибки в строках"`) {
		t.Errorf("fill with an empty cell: %d %s", rec.Code, rec.Body)
	}
	rec = h.do(ctx, "POST", "/api/v1/batches", clerk, strings.NewReader(`{"template_name":"platforms-word","rows":[{"Организация":"СОШ"}]}`), "application/json")
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "файл Word") || !strings.Contains(rec.Body.String(), "/fill") {
		t.Errorf("batch naming a Word template: %d %s", rec.Code, rec.Body)
	}
	rec = h.do(ctx, "POST", "/api/v1/templates/platforms-yearly/fill", clerk, strings.NewReader(""), "multipart/form-data; boundary=x")
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "не файл Word") {
		t.Errorf("fill of a JSON template: %d %s", rec.Code, rec.Body)
	}
}
