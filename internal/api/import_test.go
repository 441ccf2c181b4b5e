package api

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"codeberg.org/go-pdf/fpdf"

	"orders/internal/auth"
	"orders/internal/blob/fsstore"
	"orders/internal/queue"
	"orders/internal/registry"
	"orders/internal/registry/sqlite"
	"orders/internal/ru"
	"orders/internal/sign"
)

// importQueue is a queue that takes every job; imports publish none.
type importQueue struct{ jobs []queue.Job }

func (q *importQueue) Publish(_ context.Context, job queue.Job, _ string) (bool, error) {
	q.jobs = append(q.jobs, job)
	return false, nil
}

func (q *importQueue) Enqueue(job queue.Job, _ string) error {
	q.jobs = append(q.jobs, job)
	return nil
}

func (q *importQueue) Depth(context.Context) (uint64, error) { return 0, nil }

// importEnv is a server on a SQLite registry and a filesystem document store, with a token
// per role of organization "uo" (admin: of none) and an archivist of "other".
type importEnv struct {
	t      *testing.T
	store  registry.Store
	queue  *importQueue
	h      http.Handler
	tokens map[string]string
}

func newImportEnv(t *testing.T, maxImport int64) *importEnv {
	t.Helper()
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "registry.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	blobs, err := fsstore.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, org := range []string{"uo", "other"} {
		if err := st.PutOrganization(ctx, &registry.Organization{ID: org, Name: "Управление образования",
			Profile: []byte(`{"name":"Управление образования"}`)}); err != nil {
			t.Fatal(err)
		}
	}
	env := &importEnv{t: t, store: st, queue: &importQueue{}, tokens: map[string]string{}}
	for name, tok := range map[string]registry.Token{
		"clerk": {Role: auth.RoleClerk, OrgID: "uo"}, "head": {Role: auth.RoleHead, OrgID: "uo"},
		"archivist": {Role: auth.RoleArchivist, OrgID: "uo"}, "admin": {Role: auth.RoleAdmin},
		"other-archivist": {Role: auth.RoleArchivist, OrgID: "other"},
	} {
		secret := "secret-" + name
		tok.Hash, tok.Name = auth.HashToken(secret), name
		if err := st.CreateToken(ctx, &tok); err != nil {
			t.Fatal(err)
		}
		env.tokens[name] = secret
	}
	env.h = New(Config{Store: st, Blobs: blobs, Queue: env.queue, MaxImport: maxImport}).Handler()
	return env
}

// do sends a request as the token of who and returns the status, headers and body.
func (e *importEnv) do(who, method, path, ctype string, body []byte) (int, http.Header, []byte) {
	e.t.Helper()
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+e.tokens[who])
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return rec.Code, rec.Header(), rec.Body.Bytes()
}

// importBody is the multipart body of an import; a nil pdf or an empty meta leaves the
// field out.
func importBody(t *testing.T, meta string, pdf []byte) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	if meta != "" {
		if err := w.WriteField("meta", meta); err != nil {
			t.Fatal(err)
		}
	}
	if pdf != nil {
		f, err := w.CreateFormFile("pdf", "скан.pdf")
		if err != nil {
			t.Fatal(err)
		}
		f.Write(pdf)
	}
	w.Close()
	return w.FormDataContentType(), buf.Bytes()
}

func (e *importEnv) importPDF(who, meta string, pdf []byte) (int, http.Header, []byte) {
	e.t.Helper()
	ctype, body := importBody(e.t, meta, pdf)
	return e.do(who, "POST", "/api/v1/orders/import", ctype, body)
}

// mustImportPDF imports and returns the order as answered.
func (e *importEnv) mustImportPDF(who, meta string, pdf []byte) importedView {
	e.t.Helper()
	code, hdr, body := e.importPDF(who, meta, pdf)
	if code != http.StatusCreated {
		e.t.Fatalf("import: %d %s", code, body)
	}
	var v importedView
	if err := json.Unmarshal(body, &v); err != nil {
		e.t.Fatal(err)
	}
	if hdr.Get("Location") != "/api/v1/orders/"+v.ID {
		e.t.Errorf("Location = %q, want the order %s", hdr.Get("Location"), v.ID)
	}
	return v
}

type importedView struct {
	ID        string                     `json:"id"`
	Number    string                     `json:"number"`
	Date      string                     `json:"date"`
	Kind      string                     `json:"kind"`
	Title     string                     `json:"title"`
	State     string                     `json:"state"`
	Status    string                     `json:"status"`
	Journal   string                     `json:"journal"`
	Signatory string                     `json:"signatory"`
	Imported  bool                       `json:"imported"`
	Documents map[string]json.RawMessage `json:"documents"`
}

// scanPDF is a one-page PDF such as a scanner writes; text makes each one different.
func scanPDF(t *testing.T, text string) []byte {
	t.Helper()
	p := fpdf.New("P", "mm", "A4", "")
	p.AddPage()
	p.SetFont("Helvetica", "", 14)
	p.Cell(40, 10, text)
	var buf bytes.Buffer
	if err := p.Output(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// signedPDF is scanPDF signed with a fresh self-signed RSA certificate.
func signedPDF(t *testing.T, text string) []byte {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(0x01D8A3F2C4), Subject: pkix.Name{CommonName: "Зубова Анна Николаевна"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	var pemData bytes.Buffer
	pem.Encode(&pemData, &pem.Block{Type: "CERTIFICATE", Bytes: der})
	pem.Encode(&pemData, &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	signer, err := sign.LoadSigner(pemData.Bytes(), "")
	if err != nil {
		t.Fatal(err)
	}
	out, err := sign.Sign(scanPDF(t, text), signer, sign.Options{Reason: "Signed"})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func metaJSON(fields map[string]string) string {
	m := map[string]string{"number": "15-к", "date": "2019-03-01", "title": "Об утверждении графика отпусков",
		"signatory": "А. Н. Зубова"}
	for k, v := range fields {
		if v == "-" {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// problemOf decodes a problem+json answer.
func problemOf(t *testing.T, hdr http.Header, body []byte) Problem {
	t.Helper()
	if hdr.Get("Content-Type") != problemType {
		t.Errorf("Content-Type = %q, want %s", hdr.Get("Content-Type"), problemType)
	}
	var p Problem
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("problem %s: %v", body, err)
	}
	return p
}

func hasCyrillic(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r >= 'А' && r <= 'я' })
}

func TestImportRoles(t *testing.T) {
	env := newImportEnv(t, 0)
	for i, c := range []struct {
		who  string
		meta map[string]string
		want int
	}{
		{"clerk", nil, http.StatusForbidden},
		{"head", nil, http.StatusForbidden},
		{"archivist", nil, http.StatusCreated},
		{"admin", map[string]string{"organization": "uo", "number": "16-к"}, http.StatusCreated},
		{"admin", map[string]string{"number": "17-к"}, http.StatusUnprocessableEntity},                            // which organization?
		{"admin", map[string]string{"organization": "nowhere", "number": "18-к"}, http.StatusUnprocessableEntity}, // no such one
		{"archivist", map[string]string{"organization": "other", "number": "19-к"}, http.StatusUnprocessableEntity},
	} {
		code, _, body := env.importPDF(c.who, metaJSON(c.meta), scanPDF(t, fmt.Sprint("скан ", i)))
		if code != c.want {
			t.Errorf("%d: %s %v: %d %s, want %d", i, c.who, c.meta, code, body, c.want)
		}
	}
	list, _, err := env.store.ListOrders(t.Context(), registry.Filter{OrgID: "uo"})
	if err != nil || len(list) != 2 {
		t.Errorf("orders of uo = %d, %v; want the archivist's and the admin's", len(list), err)
	}
}

// TestImportScan: a scan is recorded as given, registered and imported; its PDF is served
// as uploaded, it has no DOCX, the trail records the import, and nothing was queued.
func TestImportScan(t *testing.T) {
	env := newImportEnv(t, 0)
	pdf := scanPDF(t, "Prikaz 15-k")
	v := env.mustImportPDF("archivist", metaJSON(map[string]string{"text": "Об утверждении графика отпусков работников на 2019 год"}), pdf)
	if !v.Imported || v.State != "registered" || v.Status != "rendered" || v.Number != "15-к" || v.Date != "2019-03-01" ||
		v.Kind != "приказ" || v.Journal != "" || v.Signatory != "А. Н. Зубова" {
		t.Errorf("imported scan = %+v", v)
	}
	if _, ok := v.Documents["pdf"]; !ok || len(v.Documents) != 1 {
		t.Errorf("documents = %v, want the PDF only", v.Documents)
	}
	if len(env.queue.jobs) != 0 {
		t.Errorf("an import queued render jobs: %v", env.queue.jobs)
	}

	base := "/api/v1/orders/" + v.ID
	code, _, body := env.do("clerk", "GET", base, "", nil)
	var got importedView
	if code != http.StatusOK || json.Unmarshal(body, &got) != nil || !got.Imported {
		t.Errorf("GET order: %d %s", code, body)
	}
	code, _, body = env.do("clerk", "GET", base+"/document.pdf", "", nil)
	if code != http.StatusOK || !bytes.Equal(body, pdf) {
		t.Errorf("document.pdf: %d, %d bytes; want the %d uploaded bytes", code, len(body), len(pdf))
	}
	code, hdr, body := env.do("clerk", "GET", base+"/document.docx", "", nil)
	if p := problemOf(t, hdr, body); code != http.StatusNotFound || !hasCyrillic(p.Detail) {
		t.Errorf("document.docx: %d %s; want 404 in Russian", code, body)
	}
	if code, _, body := env.do("clerk", "GET", base+"/signed.pdf", "", nil); code != http.StatusConflict {
		t.Errorf("signed.pdf of a scan: %d %s, want 409", code, body)
	}

	code, _, body = env.do("archivist", "GET", base+"/audit", "", nil)
	var trail struct {
		Entries []struct {
			Actor   string         `json:"actor"`
			Action  string         `json:"action"`
			Details map[string]any `json:"details"`
		} `json:"entries"`
	}
	if code != http.StatusOK || json.Unmarshal(body, &trail) != nil || len(trail.Entries) != 1 {
		t.Fatalf("audit: %d %s", code, body)
	}
	e := trail.Entries[0]
	if e.Action != "import" || !strings.Contains(e.Actor, "archivist") || e.Details["number"] != "15-к" || e.Details["date"] != "2019-03-01" ||
		e.Details["sha256"] != sha(pdf) || e.Details["signed"] != false {
		t.Errorf("audit entry = %+v", e)
	}

	// The archive finds it by its text and says it is imported.
	for _, q := range []string{"q=" + "отпусков%20работников", "number=15-%D0%BA", "imported=true"} {
		code, _, body = env.do("archivist", "GET", "/api/v1/archive?"+q, "", nil)
		var res struct{ Orders []importedView }
		if code != http.StatusOK || json.Unmarshal(body, &res) != nil || len(res.Orders) != 1 || !res.Orders[0].Imported {
			t.Errorf("archive?%s: %d %s", q, code, body)
		}
	}
}

// TestImportSignedPDF: a PDF whose signature verifies is signed; signed.pdf serves it and
// the signature found in it is listed.
func TestImportSignedPDF(t *testing.T) {
	env := newImportEnv(t, 0)
	pdf := signedPDF(t, "Prikaz 20")
	v := env.mustImportPDF("archivist", metaJSON(map[string]string{"number": "20"}), pdf)
	if v.State != "signed" || !v.Imported {
		t.Fatalf("imported signed PDF = %+v", v)
	}
	base := "/api/v1/orders/" + v.ID
	for _, doc := range []string{"/signed.pdf", "/document.pdf"} {
		if code, _, body := env.do("archivist", "GET", base+doc, "", nil); code != http.StatusOK || !bytes.Equal(body, pdf) {
			t.Errorf("%s: %d, %d bytes; want the uploaded bytes", doc, code, len(body))
		}
	}
	code, _, body := env.do("archivist", "GET", base+"/signatures", "", nil)
	var sigs struct {
		Signatures []struct{ Kind, Verified, Signer, SHA256 string }
	}
	if code != http.StatusOK || json.Unmarshal(body, &sigs) != nil || len(sigs.Signatures) != 1 {
		t.Fatalf("signatures: %d %s", code, body)
	}
	if s := sigs.Signatures[0]; s.Kind != registry.SignatureExternalPDF || s.Verified != "valid" || s.SHA256 != sha(pdf) ||
		!strings.Contains(s.Signer, "Зубова") {
		t.Errorf("signature = %+v", s)
	}

	// A signature that does not verify (the file changed after signing) keeps the order
	// registered, and what was found is recorded.
	broken := append(slices.Clone(signedPDF(t, "Prikaz 21")), []byte("\n% appended after signing\n")...)
	v = env.mustImportPDF("archivist", metaJSON(map[string]string{"number": "21"}), broken)
	if v.State != "registered" {
		t.Errorf("PDF with a broken signature imported as %s, want registered", v.State)
	}
	_, _, body = env.do("archivist", "GET", "/api/v1/orders/"+v.ID+"/signatures", "", nil)
	if !strings.Contains(string(body), `"verified":"invalid: `) {
		t.Errorf("signatures of a broken PDF: %s", body)
	}
}

// TestImportJournalUntouched: imports take no number from a journal, also when the imported
// number is the one the journal issues next.
func TestImportJournalUntouched(t *testing.T) {
	env := newImportEnv(t, 0)
	code, _, body := env.do("head", "PUT", "/api/v1/journals/main", "application/json",
		[]byte(`{"name":"по основной деятельности","format":"{seq}","starts":{"2019":15}}`))
	if code != http.StatusOK {
		t.Fatalf("journal: %d %s", code, body)
	}
	journals := func() string {
		_, _, body := env.do("head", "GET", "/api/v1/journals", "", nil)
		return string(body)
	}
	before := journals()
	env.mustImportPDF("archivist", metaJSON(map[string]string{"number": "15"}), scanPDF(t, "15"))
	env.mustImportPDF("archivist", metaJSON(map[string]string{"number": "1", "date": "2020-01-09"}), scanPDF(t, "1"))
	if after := journals(); after != before {
		t.Errorf("journals changed by imports:\nbefore %s\nafter  %s", before, after)
	}
}

func TestImportBadInput(t *testing.T) {
	env := newImportEnv(t, 0)
	pdf := scanPDF(t, "x")
	tomorrow := time.Now().In(ru.Moscow).AddDate(0, 0, 2).Format(time.DateOnly)
	for _, c := range []struct {
		name  string
		meta  string
		pdf   []byte
		paths []string
	}{
		{"no meta", "", pdf, []string{"meta"}},
		{"meta not JSON", "номер 15", pdf, []string{"meta"}},
		{"unknown field", `{"numer":"15"}`, pdf, []string{"meta"}},
		{"empty fields", metaJSON(map[string]string{"number": " ", "date": "-", "title": "", "signatory": "-"}), pdf,
			[]string{"meta.number", "meta.date", "meta.title", "meta.signatory"}},
		{"Russian date", metaJSON(map[string]string{"date": "01.03.2019"}), pdf, []string{"meta.date"}},
		{"impossible date", metaJSON(map[string]string{"date": "2019-02-30"}), pdf, []string{"meta.date"}},
		{"future date", metaJSON(map[string]string{"date": tomorrow}), pdf, []string{"meta.date"}},
		{"unknown kind", metaJSON(map[string]string{"kind": "указ"}), pdf, []string{"meta.kind"}},
		{"no file", metaJSON(nil), nil, []string{"pdf"}},
		{"not a PDF", metaJSON(nil), []byte("<html>скан</html>"), []string{"pdf"}},
		{"empty file", metaJSON(nil), []byte{}, []string{"pdf"}},
		{"both wrong", metaJSON(map[string]string{"number": ""}), []byte("GIF89a"), []string{"meta.number", "pdf"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctype, body := importBody(t, c.meta, c.pdf)
			code, hdr, resp := env.do("archivist", "POST", "/api/v1/orders/import", ctype, body)
			if code != http.StatusUnprocessableEntity {
				t.Fatalf("%d %s, want 422", code, resp)
			}
			p := problemOf(t, hdr, resp)
			var paths []string
			for _, e := range p.Errors {
				paths = append(paths, e.Path)
				if !hasCyrillic(e.Message) {
					t.Errorf("%s: %q is not in Russian", e.Path, e.Message)
				}
			}
			if !slices.Equal(paths, c.paths) {
				t.Errorf("paths = %v, want %v (%s)", paths, c.paths, resp)
			}
		})
	}
	if code, _, body := env.do("archivist", "POST", "/api/v1/orders/import", "application/json", []byte(`{}`)); code != http.StatusBadRequest {
		t.Errorf("JSON body: %d %s, want 400", code, body)
	}
	if list, _, err := env.store.ListOrders(t.Context(), registry.Filter{}); err != nil || len(list) != 0 {
		t.Errorf("orders after refused imports = %d, %v", len(list), err)
	}
	if entries, err := env.store.ListAudit(t.Context(), "uo", nil, 0); err != nil || len(entries) != 0 {
		t.Errorf("audit after refused imports = %d, %v", len(entries), err)
	}
}

func TestImportTooLarge(t *testing.T) {
	env := newImportEnv(t, 64<<10)
	big := append(scanPDF(t, "x"), bytes.Repeat([]byte("%"), 100<<10)...)
	code, hdr, body := env.importPDF("archivist", metaJSON(nil), big)
	if p := problemOf(t, hdr, body); code != http.StatusRequestEntityTooLarge || !hasCyrillic(p.Detail) {
		t.Errorf("%d %s, want 413 in Russian", code, body)
	}
	env.mustImportPDF("archivist", metaJSON(nil), scanPDF(t, "small"))
}

// TestImportDuplicate: the same file again, or the same kind, number and year, is 409
// naming the order imported first; another organization's import is its own.
func TestImportDuplicate(t *testing.T) {
	env := newImportEnv(t, 0)
	pdf := scanPDF(t, "15")
	first := env.mustImportPDF("archivist", metaJSON(nil), pdf)
	loc := "/api/v1/orders/" + first.ID
	for _, c := range []struct {
		name, meta string
		pdf        []byte
		path       string
	}{
		{"same file", metaJSON(map[string]string{"number": "99", "date": "2020-01-01"}), pdf, "pdf"},
		{"same number and year", metaJSON(map[string]string{"date": "2019-11-11"}), scanPDF(t, "15 again"), "meta.number"},
	} {
		code, hdr, body := env.importPDF("archivist", c.meta, c.pdf)
		var p struct {
			Problem
			Existing string `json:"existing"`
		}
		if code != http.StatusConflict || json.Unmarshal(body, &p) != nil {
			t.Fatalf("%s: %d %s, want 409", c.name, code, body)
		}
		if p.Existing != loc || hdr.Get("Location") != loc || !strings.Contains(p.Detail, loc) || !hasCyrillic(p.Detail) ||
			len(p.Errors) != 1 || p.Errors[0].Path != c.path {
			t.Errorf("%s: %s (Location %q), want the order %s named at %s", c.name, body, hdr.Get("Location"), loc, c.path)
		}
	}
	env.mustImportPDF("other-archivist", metaJSON(nil), pdf)
	env.mustImportPDF("archivist", metaJSON(map[string]string{"kind": "распоряжение"}), scanPDF(t, "р-15"))
}

// TestImportedIsRecord: an imported order is not edited, deleted, registered, rendered or
// signed by the service; it is cancelled like any other.
func TestImportedIsRecord(t *testing.T) {
	env := newImportEnv(t, 0)
	pdf := scanPDF(t, "15")
	v := env.mustImportPDF("archivist", metaJSON(nil), pdf)
	base := "/api/v1/orders/" + v.ID
	draft := `{"kind":"приказ","title":"Другое","clauses":[{"text":"Сделать."}],"signatory":{"position":["Начальник"],"name":"А. Н. Зубова"}}`
	for _, c := range []struct{ method, path, body, says string }{
		{"PUT", base, draft, ""},
		{"DELETE", base, "", ""},
		{"POST", base + "/register", `{"journal":"main","date":"2019-03-01"}`, ""},
		{"POST", base + "/rerender", "", "импортирован"},
		{"POST", base + "/sign", `{}`, "импортирован"},
	} {
		code, hdr, body := env.do("head", c.method, c.path, "application/json", []byte(c.body))
		if p := problemOf(t, hdr, body); code != http.StatusConflict || !strings.Contains(p.Detail, c.says) {
			t.Errorf("%s %s: %d %s, want 409 saying %q", c.method, c.path, code, body, c.says)
		}
	}
	if len(env.queue.jobs) != 0 {
		t.Errorf("render jobs queued for an imported order: %v", env.queue.jobs)
	}
	code, _, body := env.do("head", "POST", base+"/cancel", "application/json", []byte(`{"reason":"внесён по ошибке"}`))
	var c struct {
		State    string `json:"state"`
		Number   string `json:"number"`
		Imported bool   `json:"imported"`
	}
	if code != http.StatusOK || json.Unmarshal(body, &c) != nil || c.State != "cancelled" || c.Number != "15-к" || !c.Imported {
		t.Errorf("cancel: %d %s", code, body)
	}
	// The upload is not rendered again with a cancellation mark: it is served as it is.
	var after importedView
	if code, _, body := env.do("clerk", "GET", base, "", nil); code != http.StatusOK || json.Unmarshal(body, &after) != nil ||
		after.Status != "rendered" || after.State != "cancelled" {
		t.Errorf("order after cancel: %d %s", code, body)
	}
	if code, _, body := env.do("clerk", "GET", base+"/document.pdf", "", nil); code != http.StatusOK || !bytes.Equal(body, pdf) {
		t.Errorf("document.pdf after cancel: %d, %d bytes; want the upload", code, len(body))
	}
}
