package api

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
)

// TestStrictRequestBodies: every small JSON body of the API is decoded as strictly as a
// draft. Trailing text, a field given twice, a stray closing brace and bytes that are not
// UTF-8 are refused with the reason in Russian; before issue 12 register, cancel and journal
// took `{…} garbage` and the last of two values.
func TestStrictRequestBodies(t *testing.T) {
	env := newImportEnv(t, 0)
	draft := `{"kind": "приказ", "title": "Об отпусках", "clauses": [{"text": "Предоставить отпуск."}],
		"signatory": {"position": ["Начальник"], "name": "Н.В. Бабенко"}}`
	code, _, out := env.do("clerk", "POST", "/api/v1/orders", "application/json", []byte(draft))
	if code != http.StatusCreated && code != http.StatusOK && code != http.StatusAccepted {
		t.Fatalf("draft: %d %s", code, out)
	}
	var o struct{ ID string }
	if err := json.Unmarshal(out, &o); err != nil || o.ID == "" {
		t.Fatalf("draft: %s", out)
	}
	routes := []struct {
		name, who, method, path, field, value string
	}{
		{"register", "head", "POST", "/api/v1/orders/" + o.ID + "/register", "journal", `"osn"`},
		{"cancel", "head", "POST", "/api/v1/orders/" + o.ID + "/cancel", "reason", `"ошибка"`},
		{"acknowledgement", "clerk", "POST", "/api/v1/orders/" + o.ID + "/acknowledgements", "person", `"Иванова И.И."`},
		{"journal", "head", "PUT", "/api/v1/journals/osn", "name", `"по основной деятельности"`},
		{"signing", "admin", "PUT", "/api/v1/organizations/uo/signing", "password", `"x"`},
		{"batch", "clerk", "POST", "/api/v1/batches", "template_name", `"platform"`},
	}
	bodies := []struct {
		name, body, want string
	}{
		{"trailing garbage", `{"{F}":{V}} garbage`, `после конца объекта JSON лишний текст: \"garbage\"`},
		{"second object", `{"{F}":{V}}{"{F}":{V}}`, `после конца объекта JSON лишний текст`},
		{"stray brace", `{"{F}":{V}}}`, `после конца объекта JSON лишний текст: \"}\"`},
		{"duplicate name", `{"{F}":{V},"{F}":{V}}`, "поле «{F}» указано дважды"},
		{"invalid UTF-8", "{\"{F}\":\"\xff\xfe\"}", "не в кодировке UTF-8"},
		{"unknown field", `{"{F}":{V},"extra":1}`, "неизвестное поле «extra»"},
	}
	for _, r := range routes {
		for _, b := range bodies {
			t.Run(r.name+"/"+b.name, func(t *testing.T) {
				body := strings.ReplaceAll(strings.ReplaceAll(b.body, "{F}", r.field), "{V}", r.value)
				code, hdr, out := env.do(r.who, r.method, r.path, "application/json", []byte(body))
				want := strings.ReplaceAll(b.want, "{F}", r.field)
				if code != http.StatusBadRequest || !strings.Contains(string(out), want) ||
					!strings.HasPrefix(hdr.Get("Content-Type"), "application/problem+json") {
					t.Errorf("%s %s %q: %d %s\nwant 400 with %q", r.method, r.path, body, code, out, want)
				}
			})
		}
	}
}

// TestStrictFormJSON: the JSON inside multipart fields (a batch's constants, an import's
// meta) is decoded the same way; those answers are 422 with the field's path.
func TestStrictFormJSON(t *testing.T) {
	env := newImportEnv(t, 0)
	form := func(fields map[string]string) (string, []byte) {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		for k, v := range fields {
			_ = mw.WriteField(k, v)
		}
		_ = mw.Close()
		return mw.FormDataContentType(), b.Bytes()
	}
	for _, tt := range []struct {
		name, who, path string
		fields          map[string]string
		want            []string
	}{
		{"batch constants twice", "clerk", "/api/v1/batches",
			map[string]string{"template_name": "platform", "data": "a;b\n1;2\n", "constants": `{"год":"2021","год":"2022"}`},
			[]string{`"path":"constants"`, "поле «год» указано дважды"}},
		{"batch constants trailing", "clerk", "/api/v1/batches",
			map[string]string{"template_name": "platform", "data": "a;b\n1;2\n", "constants": `{"год":"2021"} x`},
			[]string{`"path":"constants"`, "лишний текст"}},
		{"import meta twice", "archivist", "/api/v1/orders/import",
			map[string]string{"meta": `{"number":"1","number":"2","date":"2019-03-01","title":"Об отпусках","signatory":"Н.В. Бабенко"}`},
			[]string{`"path":"meta"`, "поле «number» указано дважды"}},
		{"import meta trailing", "archivist", "/api/v1/orders/import",
			map[string]string{"meta": `{"number":"1","date":"2019-03-01","title":"Об отпусках","signatory":"Н.В. Бабенко"}}`},
			[]string{`"path":"meta"`, "лишний текст"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ct, body := form(tt.fields)
			code, _, out := env.do(tt.who, "POST", tt.path, ct, body)
			if code != http.StatusUnprocessableEntity {
				t.Errorf("%d %s, want 422", code, out)
			}
			for _, w := range tt.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("%s\nwant %q", out, w)
				}
			}
		})
	}
}

// TestBatchXLSXBomb: a small XLSX whose sheet inflates beyond the limit is answered 422 with
// the part and the limit named (internal/batch's tests measure the memory of such reads).
func TestBatchXLSXBomb(t *testing.T) {
	env := newImportEnv(t, 0)
	var book bytes.Buffer
	zw := zip.NewWriter(&book)
	w, err := zw.Create("xl/worksheets/sheet1.xml")
	if err != nil {
		t.Fatal(err)
	}
	row := bytes.Repeat([]byte(`<row><c t="inlineStr"><is><t>AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA</t></is></c></row>`), 1<<14)
	for written := 0; written < 80<<20; written += len(row) {
		if _, err := w.Write(row); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("template_name", "platforms-yearly")
	fw, _ := mw.CreateFormFile("data", "площадки.xlsx")
	_, _ = fw.Write(book.Bytes())
	_ = mw.Close()
	code, _, out := env.do("clerk", "POST", "/api/v1/batches", mw.FormDataContentType(), body.Bytes())
	if code != http.StatusUnprocessableEntity || !strings.Contains(string(out), "часть «xl/worksheets/sheet1.xml» распаковывается больше 64 МБ") {
		t.Errorf("%d bytes inflating to 80 MB: %d %s", book.Len(), code, out)
	}
}
