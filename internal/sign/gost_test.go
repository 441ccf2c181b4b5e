package sign

import (
	"context"
	"crypto/x509"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"orders/internal/sign/signtest"
)

// TestGOSTDetached checks GOST R 34.10-2012 signatures made by OpenSSL's
// GOST engine: the mathematics, then trust against configured roots.
func TestGOSTDetached(t *testing.T) {
	signtest.RequireGOST(t)
	ctx := context.Background()
	root := signtest.NewGOSTIdentity(t, "/CN=Тестовый УЦ/O=Минцифры (тест)", nil, true)
	leaf := signtest.NewGOSTIdentity(t, "/CN=Иванова Мария Петровна/SN=Иванова/GN=Мария Петровна/O=Школа № 17", root, false)
	self := signtest.NewGOSTIdentity(t, "/CN=Петров Пётр Петрович/O=Школа № 17", nil, false)
	otherRoot := signtest.NewGOSTIdentity(t, "/CN=Чужой УЦ", nil, true)
	doc := makePDF(t, 1)
	other := append(append([]byte{}, doc...), ' ')

	sigLeaf := leaf.SignDetached(t, doc, root)
	sigSelf := self.SignDetached(t, doc)
	damaged := append([]byte{}, sigLeaf...)
	damaged[len(damaged)-3] ^= 0x01 // inside the GOST signature value, the last field

	none := &Verifier{}
	trusting := &Verifier{Roots: []*x509.Certificate{root.Cert}}
	strangers := &Verifier{Roots: []*x509.Certificate{otherRoot.Cert}}
	tests := []struct {
		name          string
		v             *Verifier
		data, sig     []byte
		want          Status
		trust         Trust
		reason, trWhy string
		otherDoc      bool
	}{
		{name: "valid, no roots configured", v: none, data: doc, sig: sigLeaf, want: Valid, trust: TrustNotChecked,
			reason: "проверена OpenSSL с модулем ГОСТ", trWhy: ReasonNoRoots},
		{name: "valid, chain to a trusted root", v: trusting, data: doc, sig: sigLeaf, want: Valid, trust: Trusted, trWhy: "доверенным"},
		{name: "valid, chain to an unknown root", v: strangers, data: doc, sig: sigLeaf, want: Valid, trust: Untrusted, trWhy: "не ведёт к доверенному"},
		{name: "valid, self-signed", v: trusting, data: doc, sig: sigSelf, want: Valid, trust: Untrusted, trWhy: "самоподписанный"},
		{name: "other bytes", v: trusting, data: other, sig: sigLeaf, want: Invalid, reason: "хеш", otherDoc: true},
		{name: "damaged signature value", v: none, data: doc, sig: damaged, want: Invalid, reason: "не прошла"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := tt.v.VerifyDetached(ctx, tt.data, tt.sig)
			if err != nil {
				t.Fatal(err)
			}
			if r.Status != tt.want || r.Trust != tt.trust || r.OtherDocument != tt.otherDoc {
				t.Fatalf("Status %v Trust %v OtherDocument %v (%s | %s), want %v %v %v",
					r.Status, r.Trust, r.OtherDocument, r.Reason, r.TrustReason, tt.want, tt.trust, tt.otherDoc)
			}
			if !strings.Contains(r.Reason, tt.reason) || !strings.Contains(r.TrustReason, tt.trWhy) {
				t.Errorf("Reason %q, TrustReason %q; want %q, %q", r.Reason, r.TrustReason, tt.reason, tt.trWhy)
			}
			if r.Status == Valid {
				if !r.DigestVerified || !r.SignatureVerified || r.SignatureAlgorithm != "ГОСТ Р 34.10-2012 (256 бит)" ||
					!strings.HasPrefix(r.DigestAlgorithm, "ГОСТ Р 34.11-2012") || r.Signer.Owner == "" || r.Signer.Serial == "" {
					t.Errorf("valid result lacks facts: %+v", r)
				}
			}
		})
	}
	r, _ := none.VerifyDetached(ctx, doc, sigLeaf)
	if r.Signer.Owner != "Иванова Мария Петровна" {
		t.Errorf("owner %q", r.Signer.Owner)
	}
	if got := r.Verdict(); got != "подпись верна, сертификат не проверен" {
		t.Errorf("verdict without roots: %q", got)
	}
	if r, _ := trusting.VerifyDetached(ctx, doc, sigLeaf); r.Verdict() != "подпись верна, сертификат доверенный" {
		t.Errorf("verdict with a trusted chain: %q", r.Verdict())
	}
}

// TestGOSTWithoutEngine: a missing openssl or GOST engine is reported as
// not verified with a reason, never as a verdict.
func TestGOSTWithoutEngine(t *testing.T) {
	signtest.RequireGOST(t)
	id := signtest.NewGOSTIdentity(t, "/CN=Иванова Мария Петровна", nil, false)
	doc := makePDF(t, 1)
	sig := id.SignDetached(t, doc)
	other := append(append([]byte{}, doc...), ' ')
	for name, v := range map[string]*Verifier{
		"no openssl":     {OpenSSL: "/nonexistent/openssl"},
		"no gost engine": {},
	} {
		t.Run(name, func(t *testing.T) {
			if v.OpenSSL == "" {
				t.Setenv("OPENSSL_ENGINES", t.TempDir()) // OpenSSL looks for gost.so there
			}
			for _, data := range [][]byte{doc, other} {
				r, err := v.VerifyDetached(context.Background(), data, sig)
				if err != nil {
					t.Fatal(err)
				}
				if r.Status != NotVerified || !strings.Contains(r.Reason, ReasonNoGOSTModule) || r.Verdict() != "подпись не проверена" {
					t.Errorf("%+v", r)
				}
			}
		})
	}
}

// TestGOSTSignedPDF: a PDF whose signature is a GOST CMS over its
// ByteRange, as КриптоПРО PDF makes, is verified; any change is Invalid.
func TestGOSTSignedPDF(t *testing.T) {
	signtest.RequireGOST(t)
	id := signtest.NewGOSTIdentity(t, "/CN=Иванова Мария Петровна/O=Школа № 17", nil, false)
	original := makePDF(t, 1)
	rsaSigned, err := Sign(original, testSigner(t, false), Options{})
	if err != nil {
		t.Fatal(err)
	}
	signed := id.ReplaceSignature(t, rsaSigned)
	v := &Verifier{}
	r, err := v.VerifySignedRevision(context.Background(), original, signed)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != Valid || !r.CoversWholeFile || r.SignatureAlgorithm != "ГОСТ Р 34.10-2012 (256 бит)" {
		t.Fatalf("GOST PDF: %+v", r)
	}
	br := byteRange(t, signed)
	for _, at := range []int{10, br[1] - 5, br[2] + 5, len(signed) - 10} {
		if r, err := v.VerifyPDF(context.Background(), flip(signed, at)); err != nil || r.Status != Invalid {
			t.Errorf("byte %d flipped: %v %+v", at, err, r)
		}
	}
}

// TestClassifyOpenSSL pins how OpenSSL 3.0's answers are read: only the
// exact success line is Valid, only named mathematical failures are
// Invalid, and anything else — a missing engine included — decides nothing.
func TestClassifyOpenSSL(t *testing.T) {
	exit4 := exec.Command("sh", "-c", "exit 4").Run()
	exit1 := exec.Command("sh", "-c", "exit 1").Run()
	tests := []struct {
		name string
		out  string
		err  error
		want gostOutcome
	}{
		{"success", "Engine \"gost\" set.\nCMS Verification successful\n", nil, gostOK},
		{"success line without exit 0", "CMS Verification successful\n", exit4, gostError},
		{"exit 0 without the success line", "Engine \"gost\" set.\n", nil, gostError},
		{"signature value", "CMS Verification failure\n80:error:4000007F:lib(128)::signature mismatch:./gost_ec_sign.c:430:\n80:error:1700009E:CMS routines:CMS_SignerInfo_verify:verification failure:../crypto/cms/cms_sd.c:919:\n", exit4, gostBadSig},
		{"content digest", "CMS Verification failure\n80:error:1700009E:CMS routines:CMS_SignerInfo_verify_content:verification failure:../crypto/cms/cms_sd.c:1000:\n80:error:1700006D:CMS routines:CMS_verify:content verify error:../crypto/cms/cms_smime.c:455:\n", exit4, gostBadContent},
		{"chain", "CMS Verification failure\n80:error:17000064:CMS routines:cms_signerinfo_verify_cert:certificate verify error:../crypto/cms/cms_smime.c:289:Verify error: self-signed certificate\n", exit4, gostBadChain},
		{"no engine", "Invalid engine \"gost\"\n80:error:13000074:engine routines:ENGINE_by_id:no such engine:../crypto/engine/eng_list.c:428:id=gost\nCMS Verification failure\n80:error:17000086:CMS routines:CMS_SignerInfo_verify:no public key:../crypto/cms/cms_sd.c:863:\n", exit4, gostNoEngine},
		{"undecodable key", "CMS Verification failure\n80:error:17000086:CMS routines:CMS_SignerInfo_verify:no public key:../crypto/cms/cms_sd.c:863:\n", exit4, gostError},
		{"usage error", "cms: Use -help for summary.\n", exit1, gostError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, detail := classifyOpenSSL([]byte(tt.out), tt.err); got != tt.want {
				t.Errorf("classify = %v (%s), want %v", got, detail, tt.want)
			}
		})
	}
}

// TestGOSTTimeout: an OpenSSL that hangs is stopped and decides nothing.
func TestGOSTTimeout(t *testing.T) {
	fake := filepath.Join(t.TempDir(), "openssl")
	if err := os.WriteFile(fake, []byte("#!/bin/sh\nexec sleep 30\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	v := &Verifier{OpenSSL: fake, Timeout: 200 * time.Millisecond}
	start := time.Now()
	o, detail := v.gostVerify(context.Background(), []byte{0x30, 0}, []byte("doc"), nil, time.Time{})
	if o != gostError || !strings.Contains(detail, "не ответил") || time.Since(start) > 5*time.Second {
		t.Errorf("%v %q after %s", o, detail, time.Since(start))
	}
}

// BenchmarkVerifyDetachedGOST: one OpenSSL run per signature (two with roots).
func BenchmarkVerifyDetachedGOST(b *testing.B) {
	signtest.RequireGOST(b)
	id := signtest.NewGOSTIdentity(b, "/CN=Иванова Мария Петровна", nil, false)
	doc := makePDF(b, 3)
	sig := id.SignDetached(b, doc)
	for _, bc := range []struct {
		name string
		v    *Verifier
	}{{"no roots", &Verifier{}}, {"with roots", &Verifier{Roots: []*x509.Certificate{id.Cert}}}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if r, err := bc.v.VerifyDetached(context.Background(), doc, sig); err != nil || r.Status != Valid {
					b.Fatal(err, r.Reason)
				}
			}
		})
	}
}
