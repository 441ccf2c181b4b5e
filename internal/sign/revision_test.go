package sign

import (
	"context"
	"crypto/x509"
	"errors"
	"strings"
	"testing"
)

// TestVerifySignedRevision: a signed PDF is accepted as the order's signed
// original only when it is the stored PDF plus an incremental update that
// a signature covers.
func TestVerifySignedRevision(t *testing.T) {
	ctx := context.Background()
	v := &Verifier{}
	s := testSigner(t, false)
	original := makePDF(t, 1)
	signed, err := Sign(original, s, Options{})
	if err != nil {
		t.Fatal(err)
	}
	twice, err := Sign(signed, testSigner(t, true), Options{})
	if err != nil {
		t.Fatal(err)
	}
	otherOrder, err := Sign(makePDF(t, 2), s, Options{})
	if err != nil {
		t.Fatal(err)
	}
	edited := append([]byte{}, original...)
	edited[len(edited)/2] ^= 0x01
	editedSigned, err := Sign(edited, s, Options{})
	if err != nil {
		t.Fatal(err)
	}
	br := byteRange(t, signed)
	tests := []struct {
		name           string
		original, file []byte
		wantErr        string // a fragment of the RevisionError; "" for none
		want           Status
	}{
		{name: "signed original", original: original, file: signed, want: Valid},
		{name: "signed twice", original: original, file: twice, want: Valid},
		{name: "another order's signed PDF", original: original, file: otherOrder, wantErr: "начало не совпадает"},
		{name: "an edited copy signed", original: original, file: editedSigned, wantErr: "первое отличие в байте"},
		{name: "the original itself, unsigned", original: original, file: original, wantErr: "начало не совпадает"},
		{name: "the stored PDF reaches into the signature", original: signed[:br[1]+10], file: signed, wantErr: "ни одна подпись"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := v.VerifySignedRevision(ctx, tt.original, tt.file)
			var re *RevisionError
			if tt.wantErr != "" {
				if !errors.Is(err, ErrOtherDocument) || !errors.As(err, &re) || !strings.Contains(re.Reason, tt.wantErr) {
					t.Fatalf("err = %v, want a RevisionError with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || r.Status != tt.want {
				t.Fatalf("err %v, status %v (%s)", err, r.Status, r.Reason)
			}
		})
	}
}

// TestTrustRSA: trust is decided against the configured roots only, and
// never changes the mathematical status.
func TestTrustRSA(t *testing.T) {
	ctx := context.Background()
	rk, rk2, ek := testKeys(t)
	caSpec := validSpec("Тестовый УЦ")
	caSpec.isCA, caSpec.serial = true, 0x0CA
	ca := newCert(t, caSpec, rk2.Public(), nil, rk2)
	leafSpec := validSpec("Зубова Анна Николаевна")
	leaf := newCert(t, leafSpec, rk.Public(), ca, rk2)
	chained, err := LoadSigner(join(pemCert(leaf), pemCert(ca), pemKey(t, rk, "RSA PRIVATE KEY")), "")
	if err != nil {
		t.Fatal(err)
	}
	self := testSigner(t, true)
	otherCA := newCert(t, caSpec, ek.Public(), nil, ek)
	doc := makePDF(t, 1)
	byCA, err := Sign(doc, chained, Options{})
	if err != nil {
		t.Fatal(err)
	}
	bySelf, err := Sign(doc, self, Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		roots  []*x509.Certificate
		file   []byte
		trust  Trust
		reason string
	}{
		{"no roots", nil, byCA, TrustNotChecked, ReasonNoRoots},
		{"chain to a configured root", []*x509.Certificate{ca}, byCA, Trusted, "доверенным"},
		{"chain to another root", []*x509.Certificate{otherCA}, byCA, Untrusted, "не ведёт"},
		{"self-signed", []*x509.Certificate{ca}, bySelf, Untrusted, "самоподписанный"},
		{"self-signed and itself configured", []*x509.Certificate{self.Certificate()}, bySelf, Trusted, "доверенным"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := (&Verifier{Roots: tt.roots}).VerifyPDF(ctx, tt.file)
			if err != nil {
				t.Fatal(err)
			}
			if r.Status != Valid || r.Trust != tt.trust || !strings.Contains(r.TrustReason, tt.reason) {
				t.Fatalf("status %v trust %v (%s), want valid %v %q", r.Status, r.Trust, r.TrustReason, tt.trust, tt.reason)
			}
			if tt.trust == Trusted && strings.Contains(r.Reason, reasonUnbound) {
				t.Errorf("a trusted chain still says the owner is unconfirmed: %s", r.Reason)
			}
		})
	}
	// An invalid signature has no trust to speak of.
	bad := flip(byCA, 100)
	if r, _ := (&Verifier{Roots: []*x509.Certificate{ca}}).VerifyPDF(ctx, bad); r.Status != Invalid || r.Trust != TrustNotChecked || r.Verdict() != "подпись неверна" {
		t.Errorf("tampered: %v %v %q", r.Status, r.Trust, r.Verdict())
	}
}

func TestLoadRoots(t *testing.T) {
	rk, _, _ := testKeys(t)
	c := newCert(t, validSpec("УЦ"), rk.Public(), nil, rk)
	roots, err := LoadRoots(join(pemCert(c), pemKey(t, rk, "RSA PRIVATE KEY"), pemCert(c)))
	if err != nil || len(roots) != 2 {
		t.Fatalf("%d roots, %v", len(roots), err)
	}
	for _, bad := range [][]byte{nil, []byte("not pem"), pemKey(t, rk, "RSA PRIVATE KEY")} {
		if _, err := LoadRoots(bad); err == nil {
			t.Errorf("LoadRoots(%.20q) accepted", bad)
		}
	}
}
