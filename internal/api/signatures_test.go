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
	"io"
	"log/slog"
	"math/big"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"codeberg.org/go-pdf/fpdf"
	"github.com/digitorus/pkcs7"
	"github.com/google/uuid"

	"orders/internal/auth"
	"orders/internal/blob/fsstore"
	"orders/internal/layout"
	"orders/internal/lifecycle"
	"orders/internal/queue"
	"orders/internal/registry"
	"orders/internal/registry/sqlite"
	"orders/internal/render"
	"orders/internal/sign"
	"orders/internal/sign/signtest"
)

// fakeQueue takes render jobs and forgets them: these tests put the rendered documents in
// place themselves.
// fakeQueue records the jobs the API enqueues.
type fakeQueue struct {
	mu   sync.Mutex
	jobs []queue.Job
}

func (*fakeQueue) Publish(context.Context, queue.Job, string) (bool, error) { return false, nil }
func (q *fakeQueue) Enqueue(j queue.Job, _ string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.jobs = append(q.jobs, j)
	return nil
}
func (*fakeQueue) Depth(context.Context) (uint64, error) { return 0, nil }

// reasons lists the reasons of the jobs enqueued so far.
func (q *fakeQueue) reasons() []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []string
	for _, j := range q.jobs {
		out = append(out, j.Reason)
	}
	return out
}

type sigEnv struct {
	t     *testing.T
	srv   *httptest.Server
	store *sqlite.Store
	blobs *fsstore.Store
	head  string // API token of a head of org-a
	admin string
	queue *fakeQueue
}

// newSigEnv serves the API over a SQLite registry and a filesystem document store in a
// temporary directory, with verifier v.
func newSigEnv(t *testing.T, v *sign.Verifier) *sigEnv {
	t.Helper()
	dir := t.TempDir()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "registry.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	blobs, err := fsstore.New(filepath.Join(dir, "docs"))
	if err != nil {
		t.Fatal(err)
	}
	key := bytes.Repeat([]byte{7}, 32)
	q := &fakeQueue{}
	s := New(Config{Store: st, Blobs: blobs, Queue: q, SecretKey: key, Verifier: v,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	if err := st.PutOrganization(ctx, &registry.Organization{ID: "org-a", Name: "Школа № 17", Profile: []byte("{}")}); err != nil {
		t.Fatal(err)
	}
	if err := st.PutJournal(ctx, &registry.Journal{OrgID: "org-a", ID: "main", Name: "основной", Format: "{seq}"}); err != nil {
		t.Fatal(err)
	}
	e := &sigEnv{t: t, srv: srv, store: st, blobs: blobs, queue: q}
	e.head = e.token("head", "org-a")
	e.admin = e.token("admin", "")
	return e
}

func (e *sigEnv) token(role, org string) string {
	secret, err := auth.NewSecret()
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.store.CreateToken(context.Background(), &registry.Token{Hash: auth.HashToken(secret), Role: role, OrgID: org, Name: role}); err != nil {
		e.t.Fatal(err)
	}
	return secret
}

// testPDF is a small PDF that names its order, so two orders' documents differ.
func testPDF(t *testing.T, title string) []byte {
	t.Helper()
	f := fpdf.New("P", "mm", "A4", "")
	f.SetCreationDate(time.Date(2022, 9, 22, 10, 0, 0, 0, time.UTC))
	f.SetModificationDate(time.Date(2022, 9, 22, 10, 0, 0, 0, time.UTC))
	f.SetFont("Helvetica", "", 12)
	f.AddPage()
	f.CellFormat(0, 10, "Order "+title, "", 1, "L", false, 0, "")
	var buf bytes.Buffer
	if err := f.Output(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// registeredOrder makes a registered order of org-a whose final PDF is rendered and stored,
// as the worker leaves it, and returns it with that PDF.
func (e *sigEnv) registeredOrder(title string) (*registry.Order, []byte) {
	t := e.t
	t.Helper()
	ctx := context.Background()
	draft, err := os.ReadFile(filepath.Join("..", "..", "templates", "examples", "balashikha.json"))
	if err != nil {
		t.Fatal(err)
	}
	o := &registry.Order{OrgID: "org-a", Title: title, Draft: draft}
	if _, err := e.store.CreateOrder(ctx, o); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.RegisterOrder(ctx, "org-a", o.ID, registry.RegisterRequest{Journal: "main", Date: "2022-09-22",
		Build: func(o *registry.Order, number string, _ int) (registry.Registered, error) {
			return lifecycle.RegisteredDraft(render.New(layout.Options{}), o, number, "2022-09-22")
		}}); err != nil {
		t.Fatal(err)
	}
	o, err = e.store.MarkRendering(ctx, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	pdf := testPDF(t, title)
	key, sum, err := e.blobs.Put(ctx, pdf, "application/pdf")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.MarkRendered(ctx, o.ID, o.DraftHash, registry.Outputs{PDFKey: key, PDFSHA256: sum, PDFSize: int64(len(pdf)),
		DOCXKey: key, DOCXSHA256: sum, DOCXSize: int64(len(pdf))}); err != nil {
		t.Fatal(err)
	}
	o, err = e.store.GetOrder(ctx, "org-a", o.ID)
	if err != nil {
		t.Fatal(err)
	}
	return o, pdf
}

type answer struct {
	code int
	body map[string]any
	raw  []byte
}

func (a answer) str(key string) string { s, _ := a.body[key].(string); return s }

func (e *sigEnv) do(method, path, token, ctype string, body []byte) answer {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
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

// upload posts file as form field field to POST /orders/{id}/signatures.
func (e *sigEnv) upload(id uuid.UUID, field string, file []byte) answer {
	e.t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	fw, _ := w.CreateFormFile(field, "upload."+field)
	fw.Write(file)
	w.Close()
	return e.do("POST", "/api/v1/orders/"+id.String()+"/signatures", e.head, w.FormDataContentType(), b.Bytes())
}

type listedSignature struct {
	Kind, Signer, Verified, Trust, Verdict string
}

func (e *sigEnv) signatures(id uuid.UUID) []listedSignature {
	e.t.Helper()
	a := e.do("GET", "/api/v1/orders/"+id.String()+"/signatures", e.head, "", nil)
	var out struct{ Signatures []listedSignature }
	if err := json.Unmarshal(a.raw, &out); err != nil || a.code != http.StatusOK {
		e.t.Fatalf("list signatures: %d %s", a.code, a.raw)
	}
	return out.Signatures
}

func (e *sigEnv) state(id uuid.UUID) registry.State {
	e.t.Helper()
	o, err := e.store.GetOrder(context.Background(), "", id)
	if err != nil {
		e.t.Fatal(err)
	}
	return o.State
}

func (e *sigEnv) auditActions(id uuid.UUID) string {
	e.t.Helper()
	list, err := e.store.ListAudit(context.Background(), "org-a", &id, registry.MaxLimit)
	if err != nil {
		e.t.Fatal(err)
	}
	var acts []string
	for _, a := range list {
		acts = append(acts, a.Action)
	}
	return strings.Join(acts, ",")
}

// rsaIdentity is an RSA key with a certificate, self-signed or issued by ca.
type rsaIdentity struct {
	cert *x509.Certificate
	key  *rsa.PrivateKey
	pem  []byte // certificate (and issuer) and key, as an organization uploads them
}

var (
	keyMu   sync.Mutex
	keyPool []*rsa.PrivateKey
)

func rsaKey(t *testing.T, i int) *rsa.PrivateKey {
	keyMu.Lock()
	defer keyMu.Unlock()
	for len(keyPool) <= i {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		keyPool = append(keyPool, k)
	}
	return keyPool[i]
}

func newRSAIdentity(t *testing.T, keyIndex int, cn string, ca *rsaIdentity, isCA bool) *rsaIdentity {
	t.Helper()
	key := rsaKey(t, keyIndex)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(int64(0x01D8A3F2C4 + keyIndex)),
		Subject:      pkix.Name{CommonName: cn, Organization: []string{"Школа № 17"}},
		NotBefore:    time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(1, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		BasicConstraintsValid: true, IsCA: isCA,
	}
	if isCA {
		tmpl.KeyUsage |= x509.KeyUsageCertSign
	}
	parent, parentKey := tmpl, key
	if ca != nil {
		parent, parentKey = ca.cert, ca.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	var b bytes.Buffer
	pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: der})
	if ca != nil {
		pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: ca.cert.Raw})
	}
	pem.Encode(&b, &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	return &rsaIdentity{cert: cert, key: key, pem: b.Bytes()}
}

func (id *rsaIdentity) signPDF(t *testing.T, pdf []byte) []byte {
	t.Helper()
	s, err := sign.LoadSigner(id.pem, "")
	if err != nil {
		t.Fatal(err)
	}
	out, err := sign.Sign(pdf, s, sign.Options{Reason: "Podpisanie"})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (id *rsaIdentity) detached(t *testing.T, data []byte) []byte {
	t.Helper()
	sd, err := pkcs7.NewSignedData(data)
	if err != nil {
		t.Fatal(err)
	}
	sd.SetDigestAlgorithm(pkcs7.OIDDigestAlgorithmSHA256)
	if err := sd.AddSigner(id.cert, id.key, pkcs7.SignerInfoConfig{}); err != nil {
		t.Fatal(err)
	}
	sd.Detach()
	der, err := sd.Finish()
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// TestAddSignature: what POST /orders/{id}/signatures accepts as an order's signature and
// what it does with the order. Reproduced on main: № 1357 became «signed» with № 1355's PDF.
func TestAddSignature(t *testing.T) {
	head := newRSAIdentity(t, 0, "Зубова Анна Николаевна", nil, false)
	tests := []struct {
		name   string
		upload func(e *sigEnv, this, other []byte) (field string, file []byte)
		code   int
		detail string         // a fragment of the answer's detail (422) or verdict (201)
		state  registry.State // of the order afterwards
		listed string         // the verdict of the one listed signature; "" for none
	}{
		{name: "another order's signed PDF",
			upload: func(e *sigEnv, this, other []byte) (string, []byte) { return "pdf", head.signPDF(t, other) },
			code:   422, detail: "подписанный файл не является этим приказом: его начало не совпадает с хранимым PDF приказа",
			state: registry.StateRegistered},
		{name: "this order's PDF, signed",
			upload: func(e *sigEnv, this, other []byte) (string, []byte) { return "pdf", head.signPDF(t, this) },
			code:   201, detail: "подпись верна, сертификат не проверен", state: registry.StateSigned,
			listed: "подпись верна, сертификат не проверен"},
		{name: "this order's PDF, signed, then changed in the signed update",
			upload: func(e *sigEnv, this, other []byte) (string, []byte) {
				s := head.signPDF(t, this)
				s[len(this)+20] ^= 0x01
				return "pdf", s
			},
			code: 422, detail: "подпись недействительна", state: registry.StateRegistered},
		{name: "an unsigned PDF",
			upload: func(e *sigEnv, this, other []byte) (string, []byte) {
				return "pdf", append(append([]byte{}, this...), '\n')
			},
			code: 422, detail: "в файле нет электронной подписи", state: registry.StateRegistered},
		{name: "detached signature of this order's PDF",
			upload: func(e *sigEnv, this, other []byte) (string, []byte) { return "sig", head.detached(t, this) },
			code:   201, detail: "подпись верна, сертификат не проверен", state: registry.StateSigned,
			listed: "подпись верна, сертификат не проверен"},
		{name: "detached signature over other bytes",
			upload: func(e *sigEnv, this, other []byte) (string, []byte) { return "sig", head.detached(t, other) },
			code:   422, detail: "подписанный файл не является этим приказом: подпись сделана над другими байтами", state: registry.StateRegistered},
		{name: "not a signature",
			upload: func(e *sigEnv, this, other []byte) (string, []byte) { return "sig", []byte("hello") },
			code:   422, detail: "файл не является подписью CMS/PKCS#7", state: registry.StateRegistered},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newSigEnv(t, nil)
			o, pdf := e.registeredOrder("1355")
			_, other := e.registeredOrder("1357")
			field, file := tt.upload(e, pdf, other)
			a := e.upload(o.ID, field, file)
			if a.code != tt.code {
				t.Fatalf("%d %s, want %d", a.code, a.raw, tt.code)
			}
			got := a.str("verdict")
			if tt.code == 422 {
				got = a.str("detail")
				errs, _ := a.body["errors"].([]any)
				if len(errs) != 1 || errs[0].(map[string]any)["path"] != field {
					t.Errorf("the problem does not name the field %q: %s", field, a.raw)
				}
			}
			if !strings.Contains(got, tt.detail) {
				t.Errorf("answer %q, want it to contain %q", got, tt.detail)
			}
			if st := e.state(o.ID); st != tt.state {
				t.Errorf("order is %s, want %s", st, tt.state)
			}
			list := e.signatures(o.ID)
			if tt.listed == "" && len(list) != 0 || tt.listed != "" && (len(list) != 1 || list[0].Verdict != tt.listed) {
				t.Errorf("signatures listed: %+v, want one %q", list, tt.listed)
			}
			if tt.state == registry.StateSigned {
				if !strings.Contains(e.auditActions(o.ID), "sign-external") {
					t.Errorf("audit lacks sign-external: %s", e.auditActions(o.ID))
				}
				// The signed original is what was uploaded (a PDF) or the stored PDF itself.
				want := file
				if field == "sig" {
					want = pdf
				}
				got := e.do("GET", "/api/v1/orders/"+o.ID.String()+"/signed.pdf", e.head, "", nil)
				if got.code != 200 || !bytes.Equal(got.raw, want) {
					t.Errorf("signed.pdf: %d, %d bytes, want %d", got.code, len(got.raw), len(want))
				}
			}
		})
	}
}

// TestAddSignatureNotVerified: a signature that cannot be verified here (a GOST signature
// without OpenSSL's GOST engine) is kept and shown as not verified; the order stays
// registered, and a signature added to it later in the same way changes nothing either.
func TestAddSignatureNotVerified(t *testing.T) {
	signtest.RequireGOST(t)
	e := newSigEnv(t, &sign.Verifier{OpenSSL: "/nonexistent/openssl"})
	o, pdf := e.registeredOrder("1355")
	gost := signtest.NewGOSTIdentity(t, "/CN=Иванова Мария Петровна/O=Школа № 17", nil, false)
	a := e.upload(o.ID, "sig", gost.SignDetached(t, pdf))
	if a.code != 201 || a.str("status") != "not_verified" || a.str("verdict") != "подпись не проверена" ||
		!strings.Contains(a.str("reason"), sign.ReasonNoGOSTModule) || a.str("order_state") != "registered" {
		t.Fatalf("%d %s", a.code, a.raw)
	}
	if st := e.state(o.ID); st != registry.StateRegistered {
		t.Errorf("order is %s, want registered", st)
	}
	list := e.signatures(o.ID)
	if len(list) != 1 || !strings.HasPrefix(list[0].Verified, "not verified: "+sign.ReasonNoGOSTModule) ||
		list[0].Verdict != "подпись не проверена" || list[0].Trust != "" {
		t.Errorf("listed: %+v", list)
	}
	if acts := e.auditActions(o.ID); !strings.Contains(acts, "add-signature") || strings.Contains(acts, "sign-external") {
		t.Errorf("audit: %s", acts)
	}
}

// TestAddSignatureGOST: GOST R 34.10-2012 signatures made by OpenSSL's GOST engine, detached
// and inside a PDF, are verified and sign the order.
func TestAddSignatureGOST(t *testing.T) {
	signtest.RequireGOST(t)
	gost := signtest.NewGOSTIdentity(t, "/CN=Иванова Мария Петровна/SN=Иванова/GN=Мария Петровна/O=Школа № 17", nil, false)
	rsaHead := newRSAIdentity(t, 0, "Зубова Анна Николаевна", nil, false)
	for _, field := range []string{"sig", "pdf"} {
		t.Run(field, func(t *testing.T) {
			e := newSigEnv(t, nil)
			o, pdf := e.registeredOrder("1355")
			file := gost.SignDetached(t, pdf)
			if field == "pdf" {
				file = gost.ReplaceSignature(t, rsaHead.signPDF(t, pdf))
			}
			a := e.upload(o.ID, field, file)
			if a.code != 201 || a.str("status") != "valid" || a.str("order_state") != "signed" ||
				a.str("verdict") != "подпись верна, сертификат не проверен" {
				t.Fatalf("%d %s", a.code, a.raw)
			}
			if signer, _ := a.body["signer"].(map[string]any); signer["owner"] != "Иванова Мария Петровна" {
				t.Errorf("signer %v", a.body["signer"])
			}
			list := e.signatures(o.ID)
			if len(list) != 1 || list[0].Verified != "valid" || !strings.HasPrefix(list[0].Trust, "not checked: ") {
				t.Errorf("listed: %+v", list)
			}
		})
	}
	// The same GOST signature over another order's PDF is refused.
	e := newSigEnv(t, nil)
	o, _ := e.registeredOrder("1357")
	_, other := e.registeredOrder("1355")
	if a := e.upload(o.ID, "sig", gost.SignDetached(t, other)); a.code != 422 || !strings.Contains(a.str("detail"), "не является этим приказом") {
		t.Errorf("GOST signature of another order: %d %s", a.code, a.raw)
	}
}

// TestSignatureTrust: «сертификат доверенный» only for a chain to a configured root; a
// self-signed certificate is «сертификат не проверен», and pdfsig agrees on both counts.
func TestSignatureTrust(t *testing.T) {
	ca := newRSAIdentity(t, 1, "Тестовый УЦ", nil, true)
	issued := newRSAIdentity(t, 2, "Зубова Анна Николаевна", ca, false)
	self := newRSAIdentity(t, 0, "Зубова Анна Николаевна", nil, false)
	e := newSigEnv(t, &sign.Verifier{Roots: []*x509.Certificate{ca.cert}})

	o, pdf := e.registeredOrder("1355")
	a := e.upload(o.ID, "pdf", issued.signPDF(t, pdf))
	if a.code != 201 || a.str("trust") != "trusted" || a.str("verdict") != "подпись верна, сертификат доверенный" {
		t.Fatalf("chain to a configured root: %d %s", a.code, a.raw)
	}
	if l := e.signatures(o.ID); len(l) != 1 || l[0].Trust != "trusted" || l[0].Verdict != "подпись верна, сертификат доверенный" {
		t.Errorf("listed: %+v", l)
	}

	o2, pdf2 := e.registeredOrder("1356")
	signed := self.signPDF(t, pdf2)
	a = e.upload(o2.ID, "pdf", signed)
	if a.code != 201 || a.str("trust") != "untrusted" || a.str("verdict") != "подпись верна, сертификат не проверен" ||
		!strings.Contains(a.str("trust_reason"), "самоподписанный") || a.str("order_state") != "signed" {
		t.Fatalf("self-signed: %d %s", a.code, a.raw)
	}
	if l := e.signatures(o2.ID); len(l) != 1 || !strings.HasPrefix(l[0].Trust, "untrusted: ") || l[0].Verdict != "подпись верна, сертификат не проверен" {
		t.Errorf("listed: %+v", l)
	}
	// pdfsig: the mathematics holds, the certificate is not trusted.
	out := pdfsig(t, signed)
	if !strings.Contains(out, "Signature is Valid.") || !strings.Contains(out, "Total document signed") ||
		!strings.Contains(out, "Certificate issuer is unknown.") || strings.Contains(out, "Certificate is Trusted.") {
		t.Errorf("pdfsig on a self-signed PDF:\n%s", out)
	}
}

func pdfsig(t *testing.T, pdf []byte) string {
	t.Helper()
	if _, err := exec.LookPath("pdfsig"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("pdfsig missing (poppler-utils)")
		}
		t.Skip("pdfsig missing")
	}
	f := filepath.Join(t.TempDir(), "s.pdf")
	if err := os.WriteFile(f, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, _ := exec.Command("pdfsig", f).CombinedOutput()
	return string(out)
}

// TestSignOrderTrust: the service's own signature is subject to the same trust rule.
func TestSignOrderTrust(t *testing.T) {
	id := newRSAIdentity(t, 0, "Зубова Анна Николаевна", nil, false)
	for _, tt := range []struct {
		name    string
		roots   []*x509.Certificate
		trust   string
		verdict string
	}{
		{"no roots configured", nil, "not checked: " + sign.ReasonNoRoots, "подпись верна, сертификат не проверен"},
		{"its certificate configured as a root", []*x509.Certificate{id.cert}, "trusted", "подпись верна, сертификат доверенный"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newSigEnv(t, &sign.Verifier{Roots: tt.roots})
			body, _ := json.Marshal(map[string]any{"data": id.pem})
			if a := e.do("PUT", "/api/v1/organizations/org-a/signing", e.admin, "application/json", body); a.code != 200 {
				t.Fatalf("put signing: %d %s", a.code, a.raw)
			}
			o, _ := e.registeredOrder("1355")
			if a := e.do("POST", "/api/v1/orders/"+o.ID.String()+"/sign", e.head, "application/json", []byte("{}")); a.code != 200 {
				t.Fatalf("sign: %d %s", a.code, a.raw)
			}
			l := e.signatures(o.ID)
			if len(l) != 1 || l[0].Kind != "server" || l[0].Trust != tt.trust || l[0].Verdict != tt.verdict {
				t.Errorf("listed: %+v", l)
			}
		})
	}
}

// TestPutSigningErrors: a wrong certificate password or a broken file is said in plain
// words, naming the field to fix.
func TestPutSigningErrors(t *testing.T) {
	e := newSigEnv(t, nil)
	id := newRSAIdentity(t, 0, "Зубова Анна Николаевна", nil, false)
	block, _ := pem.Decode(id.pem[bytes.Index(id.pem, []byte("-----BEGIN RSA")):])
	//lint:ignore SA1019 an encrypted legacy PEM key is what some tools still write
	enc, err := x509.EncryptPEMBlock(rand.Reader, block.Type, block.Bytes, []byte("верный"), x509.PEMCipherAES256) //nolint:staticcheck
	if err != nil {
		t.Fatal(err)
	}
	encrypted := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: id.cert.Raw}), pem.EncodeToMemory(enc)...)
	for _, tt := range []struct {
		name, password string
		data           []byte
		path, detail   string
	}{
		{"wrong password", "неверный", encrypted, "password", "неверный пароль сертификата или повреждённый файл"},
		{"no password", "", encrypted, "password", "неверный пароль сертификата или повреждённый файл"},
		{"not a certificate", "", []byte("hello"), "data", "файл не является контейнером PKCS#12 (.p12, .pfx) или PEM"},
		{"certificate without key", "", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: id.cert.Raw}), "data", "в файле нет закрытого ключа"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			body, _ := json.Marshal(map[string]any{"data": tt.data, "password": tt.password})
			a := e.do("PUT", "/api/v1/organizations/org-a/signing", e.admin, "application/json", body)
			errs, _ := a.body["errors"].([]any)
			if a.code != 422 || !strings.Contains(a.str("detail"), tt.detail) || len(errs) != 1 ||
				errs[0].(map[string]any)["path"] != tt.path {
				t.Errorf("%d %s; want 422 %q at %s", a.code, a.raw, tt.detail, tt.path)
			}
		})
	}
	body, _ := json.Marshal(map[string]any{"data": encrypted, "password": "верный"})
	if a := e.do("PUT", "/api/v1/organizations/org-a/signing", e.admin, "application/json", body); a.code != 200 {
		t.Errorf("right password: %d %s", a.code, a.raw)
	}
}

// TestAddSignatureRefusedStates: a draft or a cancelled order takes no signature, and the
// answer says so in words.
func TestAddSignatureRefusedStates(t *testing.T) {
	e := newSigEnv(t, nil)
	head := newRSAIdentity(t, 0, "Зубова Анна Николаевна", nil, false)
	o, pdf := e.registeredOrder("1355")
	if _, err := e.store.Cancel(context.Background(), "org-a", o.ID, registry.CancelRequest{Reason: "издан ошибочно"}); err != nil {
		t.Fatal(err)
	}
	a := e.upload(o.ID, "sig", head.detached(t, pdf))
	if a.code != http.StatusConflict || !strings.Contains(a.str("detail"), "а этот отменён") {
		t.Errorf("cancelled: %d %s", a.code, a.raw)
	}
	if l := e.signatures(o.ID); len(l) != 0 {
		t.Errorf("a cancelled order took a signature: %+v", l)
	}
}

// TestAddSignatureToSignedOrder: a further signature of a signed order is checked against
// the signed original, kept with its own audit entry, and leaves the order signed.
func TestAddSignatureToSignedOrder(t *testing.T) {
	e := newSigEnv(t, nil)
	head := newRSAIdentity(t, 0, "Зубова Анна Николаевна", nil, false)
	deputy := newRSAIdentity(t, 1, "Петров Пётр Петрович", nil, false)
	o, pdf := e.registeredOrder("1355")
	signed := head.signPDF(t, pdf)
	if a := e.upload(o.ID, "pdf", signed); a.code != 201 || a.str("order_state") != "signed" {
		t.Fatalf("first signature: %d %s", a.code, a.raw)
	}
	// Over the unsigned PDF: not the document as it now stands.
	if a := e.upload(o.ID, "sig", deputy.detached(t, pdf)); a.code != 422 || !strings.Contains(a.str("detail"), "не является этим приказом") {
		t.Errorf("signature of the superseded PDF: %d %s", a.code, a.raw)
	}
	a := e.upload(o.ID, "sig", deputy.detached(t, signed))
	if a.code != 201 || a.str("order_state") != "signed" || a.str("verdict") != "подпись верна, сертификат не проверен" {
		t.Fatalf("second signature: %d %s", a.code, a.raw)
	}
	if l := e.signatures(o.ID); len(l) != 2 || l[1].Signer != "Петров Пётр Петрович" {
		t.Errorf("listed: %+v", l)
	}
	if acts := e.auditActions(o.ID); !strings.Contains(acts, "sign-external") || !strings.Contains(acts, "add-signature") {
		t.Errorf("audit: %s", acts)
	}
	got := e.do("GET", "/api/v1/orders/"+o.ID.String()+"/signed.pdf", e.head, "", nil)
	if !bytes.Equal(got.raw, signed) {
		t.Error("the signed original changed")
	}
}
