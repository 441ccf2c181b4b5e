package signing

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/digitorus/pkcs7"
	"github.com/google/uuid"

	"orders/internal/auth"
	"orders/internal/blob/fsstore"
	"orders/internal/layout"
	"orders/internal/order"
	"orders/internal/refusal"
	"orders/internal/registry"
	"orders/internal/registry/sqlite"
	"orders/internal/render"
	"orders/internal/sign"
)

type env struct {
	t     *testing.T
	svc   *Service
	store *sqlite.Store
	blobs *fsstore.Store
	dir   string
	head  auth.Caller
	cert  *x509.Certificate
	key   *rsa.PrivateKey
	pem   []byte // certificate and key
}

func newEnv(t *testing.T) *env {
	t.Helper()
	dir := t.TempDir()
	st, err := sqlite.Open(t.Context(), filepath.Join(dir, "registry.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	bs, err := fsstore.New(filepath.Join(dir, "docs"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if err := st.PutOrganization(ctx, &registry.Organization{ID: "org-a", Name: "Школа № 17", Profile: []byte("{}")}); err != nil {
		t.Fatal(err)
	}
	if err := st.PutJournal(ctx, &registry.Journal{OrgID: "org-a", ID: "main", Name: "основной", Format: "{seq}"}); err != nil {
		t.Fatal(err)
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(0x01D8A3F2C4),
		Subject:   pkix.Name{CommonName: "Зубова Анна Николаевна", Organization: []string{"Школа № 17"}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(1, 0, 0),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	var b bytes.Buffer
	pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: der})
	pem.Encode(&b, &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	return &env{t: t, store: st, blobs: bs, dir: dir, cert: cert, key: key, pem: b.Bytes(),
		svc: &Service{Store: st, Blobs: bs, Renderer: render.New(layout.Options{}), Verifier: &sign.Verifier{},
			SecretKey: bytes.Repeat([]byte{7}, 32)},
		head: auth.Caller{Role: auth.RoleHead, OrgID: "org-a", Actor: "token:head"}}
}

// order stores the Balashikha example as a draft of org-a, registered when asked.
func (e *env) order(register bool) *registry.Order {
	e.t.Helper()
	ctx := e.t.Context()
	data, err := os.ReadFile(filepath.Join("..", "..", "templates", "examples", "balashikha.json"))
	if err != nil {
		e.t.Fatal(err)
	}
	o := &registry.Order{OrgID: "org-a", Kind: "приказ", Title: "Об организации", Draft: data, Status: registry.StatusQueued}
	if _, err := e.store.CreateOrder(ctx, o); err != nil {
		e.t.Fatal(err)
	}
	if register {
		if o, err = e.store.RegisterOrder(ctx, "org-a", o.ID, registry.RegisterRequest{Journal: "main", Date: "2022-09-22",
			Build: func(o *registry.Order, _ string, _ int) (registry.Registered, error) {
				return registry.Registered{Draft: o.Draft, SearchText: o.Title}, nil
			}}); err != nil {
			e.t.Fatal(err)
		}
	}
	return o
}

func (e *env) detached(data []byte) []byte {
	e.t.Helper()
	sd, err := pkcs7.NewSignedData(data)
	if err != nil {
		e.t.Fatal(err)
	}
	sd.SetDigestAlgorithm(pkcs7.OIDDigestAlgorithmSHA256)
	if err := sd.AddSigner(e.cert, e.key, pkcs7.SignerInfoConfig{}); err != nil {
		e.t.Fatal(err)
	}
	sd.Detach()
	der, err := sd.Finish()
	if err != nil {
		e.t.Fatal(err)
	}
	return der
}

func (e *env) auditActions(id uuid.UUID) string {
	e.t.Helper()
	list, err := e.store.ListAudit(e.t.Context(), "org-a", &id, registry.MaxLimit)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for i := len(list) - 1; i >= 0; i-- {
		out = append(out, list[i].Action)
	}
	return strings.Join(out, ",")
}

func isRefusal(err error, kind refusal.Kind, text string) bool {
	var r *refusal.Error
	return errors.As(err, &r) && r.Kind == kind && strings.Contains(r.Msg, text)
}

func TestSetKey(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	var r *refusal.Error
	if _, err := e.svc.SetKey(ctx, "org-a", Material{Data: []byte("hello")}); !errors.As(err, &r) || r.Kind != refusal.Invalid || r.Field != "data" {
		t.Errorf("not a certificate: %v", err)
	}
	if _, err := e.svc.SetKey(ctx, "org-x", Material{Data: e.pem}); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("an unknown organization: %v", err)
	}
	info, err := e.svc.SetKey(ctx, "org-a", Material{Data: e.pem})
	if err != nil || info.Owner == "" {
		t.Fatalf("set: %+v %v", info, err)
	}
	org, _ := e.store.GetOrganization(ctx, "org-a")
	if bytes.Contains(org.Signing, e.pem[:40]) {
		t.Error("the key rests in the registry unsealed")
	}
}

func TestSign(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	o := e.order(true)
	if _, err := e.svc.Sign(ctx, e.head, o.ID); !isRefusal(err, refusal.Conflict, "нет сертификата подписи") {
		t.Fatalf("without a key: %v", err)
	}
	if _, err := e.svc.SetKey(ctx, "org-a", Material{Data: e.pem}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Sign(ctx, e.head, e.order(false).ID); !isRefusal(err, refusal.Conflict, "а этот проект") {
		t.Errorf("a draft signed: %v", err)
	}
	if _, err := e.svc.Sign(ctx, auth.Caller{OrgID: "org-b"}, o.ID); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("another organization's order signed: %v", err)
	}
	signed, err := e.svc.Sign(ctx, e.head, o.ID)
	if err != nil || signed.State != registry.StateSigned || signed.SignedKey == "" {
		t.Fatalf("sign: %+v %v", signed, err)
	}
	pdf, err := e.blobs.Get(ctx, signed.SignedKey)
	if err != nil {
		t.Fatal(err)
	}
	if res, err := e.svc.Verifier.VerifyPDF(ctx, pdf); err != nil || res.Status != sign.Valid {
		t.Errorf("the signed PDF does not verify: %+v %v", res, err)
	}
	sigs, _ := e.store.ListSignatures(ctx, "org-a", o.ID)
	if len(sigs) != 1 || sigs[0].Kind != registry.SignatureServer || sigs[0].Verified != "valid" ||
		!strings.HasPrefix(sigs[0].Trust, "not checked") {
		t.Errorf("signatures: %+v", sigs)
	}
	if got := e.auditActions(o.ID); got != "sign" {
		t.Errorf("audit: %s", got)
	}
	// A key sealed for another organization does not open for this one.
	box, _ := Seal(e.svc.SecretKey, "org-b", Material{Data: e.pem})
	if err := e.store.SetOrganizationSigning(ctx, "org-a", box); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Sign(ctx, e.head, e.order(true).ID); !isRefusal(err, refusal.Conflict, "нельзя использовать") {
		t.Errorf("a key of another organization used: %v", err)
	}
}

func TestAddSignature(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	if _, err := e.svc.AddSignature(ctx, e.head, e.order(false).ID, External{Kind: registry.SignatureDetachedCMS, Field: "sig"}); !isRefusal(err, refusal.Conflict, "а этот проект") {
		t.Fatalf("a draft: %v", err)
	}
	o := e.order(true)
	ext := External{Kind: registry.SignatureDetachedCMS, Field: "sig", Data: []byte("not a signature")}
	var r *refusal.Error
	if _, err := e.svc.AddSignature(ctx, e.head, o.ID, ext); !errors.As(err, &r) || r.Status != registry.StatusQueued {
		t.Fatalf("nothing rendered to sign: %v", err)
	}
	if _, err := e.svc.SetKey(ctx, "org-a", Material{Data: e.pem}); err != nil {
		t.Fatal(err)
	}
	signed, err := e.svc.Sign(ctx, e.head, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	pdf, _ := e.blobs.Get(ctx, signed.SignedKey)
	if _, err := e.svc.AddSignature(ctx, e.head, o.ID, ext); !errors.As(err, &r) || r.Kind != refusal.Invalid || r.Field != "sig" {
		t.Errorf("garbage: %v", err)
	}
	ext.Data = e.detached([]byte("%PDF-1.7 another document"))
	if _, err := e.svc.AddSignature(ctx, e.head, o.ID, ext); !isRefusal(err, refusal.Invalid, "не является этим приказом") {
		t.Errorf("a signature of other bytes: %v", err)
	}
	ext.Data = e.detached(pdf)
	a, err := e.svc.AddSignature(ctx, e.head, o.ID, ext)
	if err != nil || a.State != registry.StateSigned || a.Signature.Verified != "valid" || a.Result.Status != sign.Valid {
		t.Fatalf("a second signature of the signed PDF: %+v %v", a, err)
	}
	if got := e.auditActions(o.ID); got != "sign,add-signature" {
		t.Errorf("audit: %s", got)
	}
	// The stored document is damaged: never used to check a signature against.
	path := filepath.Join(e.dir, "docs")
	filepath.WalkDir(path, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if data, _ := os.ReadFile(p); bytes.Equal(data, pdf) {
				os.WriteFile(p, append(data, ' '), 0o600)
			}
		}
		return nil
	})
	var de *refusal.DocumentError
	if _, err := e.svc.AddSignature(ctx, e.head, o.ID, ext); !errors.As(err, &de) || de.Order != o.ID {
		t.Errorf("a damaged document: %v", err)
	}
}

func TestImported(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	if sig, signed := e.svc.Imported(ctx, []byte("%PDF-1.4 a scan"), "k", "s"); sig != nil || signed {
		t.Errorf("a scan: %+v %v", sig, signed)
	}
	s, err := sign.LoadSigner(e.pem, "")
	if err != nil {
		t.Fatal(err)
	}
	stamped, err := e.svc.Renderer.StampedPDF(mustDraft(t), time.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	pdf, err := sign.Sign(stamped, s, sign.Options{Reason: "test"})
	if err != nil {
		t.Fatal(err)
	}
	sig, signed := e.svc.Imported(ctx, pdf, "k", "s")
	if !signed || sig == nil || sig.Kind != registry.SignatureExternalPDF || sig.Key != "k" || sig.ValidFrom == nil {
		t.Errorf("a signed PDF: %+v %v", sig, signed)
	}
}

func mustDraft(t *testing.T) *order.Draft {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "templates", "examples", "balashikha.json"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := order.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
