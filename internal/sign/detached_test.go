package sign

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/digitorus/pkcs7"
)

type cmsSigner struct {
	cert *x509.Certificate
	key  crypto.Signer
}

// makeCMS signs data with pkcs7 as a qualified-signature tool would:
// detached unless attached is set.
func makeCMS(t *testing.T, data []byte, digest asn1.ObjectIdentifier, attached, skipCerts bool, signers ...cmsSigner) []byte {
	t.Helper()
	sd, err := pkcs7.NewSignedData(data)
	if err != nil {
		t.Fatal(err)
	}
	sd.SetDigestAlgorithm(digest)
	for _, s := range signers {
		if err := sd.AddSigner(s.cert, s.key, pkcs7.SignerInfoConfig{SkipCertificates: skipCerts}); err != nil {
			t.Fatal(err)
		}
	}
	if !attached {
		sd.Detach()
	}
	der, err := sd.Finish()
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// cmsEndingIn signs until the DER ends in last (ECDSA signatures are
// randomized, so about 256 tries): such a file once lost its final byte to
// white-space trimming.
func cmsEndingIn(t *testing.T, data []byte, s cmsSigner, last byte) []byte {
	t.Helper()
	for range 10000 {
		der := makeCMS(t, data, pkcs7.OIDDigestAlgorithmSHA256, false, false, s)
		if der[len(der)-1] == last {
			return der
		}
	}
	t.Fatalf("no CMS ending in %#x", last)
	return nil
}

func base64Lines(der []byte) []byte {
	enc := base64.StdEncoding.EncodeToString(der)
	var b strings.Builder
	for len(enc) > 64 {
		b.WriteString(enc[:64] + "\r\n")
		enc = enc[64:]
	}
	b.WriteString(enc + "\r\n")
	return []byte(b.String())
}

func TestVerifyDetached(t *testing.T) {
	rk, _, ek := testKeys(t)
	spec := validSpec("Зубова Анна Николаевна")
	spec.surname, spec.given = "Зубова", "Анна Николаевна"
	rsaSigner := cmsSigner{newCert(t, spec, rk.Public(), nil, rk), rk}
	ecSpec := spec
	ecSpec.serial++ // same issuer name: the serial tells the certificates apart
	ecSigner := cmsSigner{newCert(t, ecSpec, ek.Public(), nil, ek), ek}
	expiredSpec := validSpec("Истёкший")
	expiredSpec.notBefore, expiredSpec.notAfter = time.Now().AddDate(-2, 0, 0), time.Now().AddDate(0, 0, -1)
	expiredSigner := cmsSigner{newCert(t, expiredSpec, rk.Public(), nil, rk), rk}

	doc := makePDF(t, 1)
	other := append(append([]byte{}, doc...), ' ')
	sig := makeCMS(t, doc, pkcs7.OIDDigestAlgorithmSHA256, false, false, rsaSigner)
	tampered := append([]byte{}, sig...)
	tampered[len(tampered)-1] ^= 0x01 // the last byte of the RSA signature value

	streebog256 := asn1.ObjectIdentifier{1, 2, 643, 7, 1, 1, 2, 2}
	streebog512 := asn1.ObjectIdentifier{1, 2, 643, 7, 1, 1, 2, 3}
	gost2012Sig := asn1.ObjectIdentifier{1, 2, 643, 7, 1, 1, 3, 2}
	docSHA256 := sha256.Sum256(doc)
	// These GOST structures carry random keys and signature values: OpenSSL
	// cannot decide on them, and nothing may claim a verdict.
	const gost2012 = "подпись не проверена, проверьте её в КриптоПРО"

	tests := []struct {
		name       string
		data, sig  []byte
		want       Status
		reason     string // a fragment the reason must contain
		digest     string
		signature  string
		digestOK   bool
		signers    int
		wantOwner  string
		wantSigned bool
	}{
		{name: "RSA SHA-256 DER", data: doc, sig: sig, want: Valid, reason: "подпись верна", digest: "SHA-256", signature: "RSA", digestOK: true, wantOwner: "Зубова Анна Николаевна", wantSigned: true},
		{name: "ECDSA SHA-384", data: doc, sig: makeCMS(t, doc, pkcs7.OIDDigestAlgorithmSHA384, false, false, ecSigner), want: Valid, digest: "SHA-384", signature: "ECDSA", digestOK: true},
		{name: "RSA SHA-512", data: doc, sig: makeCMS(t, doc, pkcs7.OIDDigestAlgorithmSHA512, false, false, rsaSigner), want: Valid, digest: "SHA-512", signature: "RSA", digestOK: true},
		{name: "RSA SHA-1", data: doc, sig: makeCMS(t, doc, pkcs7.OIDDigestAlgorithmSHA1, false, false, rsaSigner), want: Valid, digest: "SHA-1", signature: "RSA", digestOK: true},
		{name: "PEM", data: doc, sig: pem.EncodeToMemory(&pem.Block{Type: "PKCS7", Bytes: sig}), want: Valid, digestOK: true},
		{name: "base64 with CRLF, as КриптоПРО saves it", data: doc, sig: base64Lines(sig), want: Valid, digestOK: true},
		{name: "DER with trailing zeros and newline", data: doc, sig: append(append([]byte{}, sig...), 0, 0, '\n'), want: Valid, digestOK: true},
		{name: "DER whose last byte looks like white space", data: doc, sig: cmsEndingIn(t, doc, ecSigner, '\n'), want: Valid, digestOK: true},
		{name: "attached CMS of the same document", data: doc, sig: makeCMS(t, doc, pkcs7.OIDDigestAlgorithmSHA256, true, false, rsaSigner), want: Valid, digestOK: true},
		{name: "two signers", data: doc, sig: makeCMS(t, doc, pkcs7.OIDDigestAlgorithmSHA256, false, false, rsaSigner, ecSigner), want: Valid, digestOK: true, signers: 2},

		{name: "other bytes: digest mismatch", data: other, sig: sig, want: Invalid, reason: "хеш"},
		{name: "attached CMS of another document", data: other, sig: makeCMS(t, doc, pkcs7.OIDDigestAlgorithmSHA256, true, false, rsaSigner), want: Invalid, reason: "другой документ"},
		{name: "signature value damaged", data: doc, sig: tampered, want: Invalid, reason: "не прошла", digestOK: true},
		{name: "signed after the certificate expired", data: doc, sig: makeCMS(t, doc, pkcs7.OIDDigestAlgorithmSHA256, false, false, expiredSigner), want: Invalid, reason: "вне срока действия", digestOK: true},
		{name: "no certificate in the CMS", data: doc, sig: makeCMS(t, doc, pkcs7.OIDDigestAlgorithmSHA256, false, true, rsaSigner), want: NotVerified, reason: "не включён", digestOK: true},

		{name: "GOST 2012-256 with Streebog-256", data: doc,
			sig:  gostCMS(t, gostSpec{keyOID: oidGOST2012_256, sigOID: oidGOST2012_256, digestOID: streebog256, messageDigest: bytes.Repeat([]byte{7}, 32), withCert: true}),
			want: NotVerified, reason: gost2012, digest: "ГОСТ Р 34.11-2012 «Стрибог» (256 бит)", signature: "ГОСТ Р 34.10-2012 (256 бит)", wantOwner: "Щербакова Ольга Петровна", wantSigned: true},
		{name: "GOST 2012-512 with Streebog-512: digest not checked either", data: doc,
			sig:  gostCMS(t, gostSpec{keyOID: oidGOST2012_512, sigOID: oidGOST2012_512, digestOID: streebog512, messageDigest: bytes.Repeat([]byte{7}, 64), withCert: true}),
			want: NotVerified, reason: "подпись не проверена", signature: "ГОСТ Р 34.10-2012 (512 бит)"},
		{name: "GOST signature over a SHA-256 digest that matches", data: doc,
			sig:  gostCMS(t, gostSpec{keyOID: oidGOST2012_256, sigOID: gost2012Sig, digestOID: oidSHA256, messageDigest: docSHA256[:], withCert: true}),
			want: NotVerified, reason: "подпись не проверена", digestOK: true},
		{name: "GOST signature over a SHA-256 digest of other bytes", data: other,
			sig:  gostCMS(t, gostSpec{keyOID: oidGOST2012_256, sigOID: gost2012Sig, digestOID: oidSHA256, messageDigest: docSHA256[:], withCert: true}),
			want: Invalid, reason: "хеш"},
		{name: "GOST 2001 legacy", data: doc,
			sig: gostCMS(t, gostSpec{keyOID: asn1.ObjectIdentifier{1, 2, 643, 2, 2, 19}, sigOID: asn1.ObjectIdentifier{1, 2, 643, 2, 2, 3},
				digestOID: asn1.ObjectIdentifier{1, 2, 643, 2, 2, 9}, messageDigest: bytes.Repeat([]byte{7}, 32), withCert: true}),
			want: NotVerified, reason: "подпись ГОСТ Р 34.10-2001", digest: "ГОСТ Р 34.11-94"},
		{name: "GOST without certificate", data: doc,
			sig:  gostCMS(t, gostSpec{keyOID: oidGOST2012_256, sigOID: oidGOST2012_256, digestOID: streebog256, messageDigest: bytes.Repeat([]byte{7}, 32)}),
			want: NotVerified, reason: "сертификат подписанта не включён в подпись"},
		{name: "GOST as base64", data: doc,
			sig:  base64Lines(gostCMS(t, gostSpec{keyOID: oidGOST2012_256, sigOID: oidGOST2012_256, digestOID: streebog256, messageDigest: bytes.Repeat([]byte{7}, 32), withCert: true})),
			want: NotVerified, reason: gost2012},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := VerifyDetached(tt.data, tt.sig)
			if err != nil {
				t.Fatal(err)
			}
			if r.Status != tt.want {
				t.Fatalf("Status = %v (%s), want %v", r.Status, r.Reason, tt.want)
			}
			// The rule above all: Valid only when both checks ran here.
			if r.Status == Valid && !(r.DigestVerified && r.SignatureVerified) {
				t.Errorf("Valid without both checks: %+v", r)
			}
			if r.Status != Valid && r.SignatureVerified && r.DigestVerified && r.Status != Invalid {
				t.Errorf("both checks passed but status %v", r.Status)
			}
			if r.DigestVerified != tt.digestOK {
				t.Errorf("DigestVerified = %v, want %v", r.DigestVerified, tt.digestOK)
			}
			if !strings.Contains(r.Reason, tt.reason) {
				t.Errorf("Reason = %q, want it to contain %q", r.Reason, tt.reason)
			}
			if tt.digest != "" && r.DigestAlgorithm != tt.digest {
				t.Errorf("DigestAlgorithm = %q, want %q", r.DigestAlgorithm, tt.digest)
			}
			if tt.signature != "" && r.SignatureAlgorithm != tt.signature {
				t.Errorf("SignatureAlgorithm = %q, want %q", r.SignatureAlgorithm, tt.signature)
			}
			if len(r.Signatures) != tt.signers && !(tt.signers == 0 && r.Signatures == nil) {
				t.Errorf("%d signatures listed, want %d", len(r.Signatures), tt.signers)
			}
			if tt.wantOwner != "" && r.Signer.Owner != tt.wantOwner {
				t.Errorf("Signer = %+v, want owner %q", r.Signer, tt.wantOwner)
			}
			if tt.wantSigned && (r.SignedAt == nil || time.Since(*r.SignedAt) > time.Hour) {
				t.Errorf("SignedAt = %v", r.SignedAt)
			}
		})
	}
}

func TestVerifyDetachedGarbage(t *testing.T) {
	doc := makePDF(t, 1)
	tests := []struct {
		name string
		sig  []byte
	}{
		{"empty", nil},
		{"spaces", []byte(" \r\n")},
		{"text", []byte("это не подпись")},
		{"a PDF instead of a signature", doc},
		{"ASN.1 that is not CMS", []byte{0x30, 0x03, 0x02, 0x01, 0x05}},
		{"truncated DER", []byte{0x30, 0x82, 0x05, 0x00, 0x06, 0x09}},
		{"broken PEM", []byte("-----BEGIN PKCS7-----\n!!!\n-----END PKCS7-----\n")},
		{"base64 of text", []byte(base64.StdEncoding.EncodeToString([]byte("hello world")))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := VerifyDetached(doc, tt.sig)
			if !errors.Is(err, ErrMalformedSignature) {
				t.Errorf("err = %v (result %+v), want ErrMalformedSignature", err, r)
			}
			if r.Status == Valid {
				t.Error("garbage verified")
			}
		})
	}
}

// TestVerifyDetachedEveryByteFlip: no single-byte change of a detached CMS
// may verify with other signed data than the original. The certificates
// field is not covered by the signature (CMS lets anyone add certificates),
// so a change there may still verify, but never silently with another
// signer shown.
func TestVerifyDetachedEveryByteFlip(t *testing.T) {
	rk, rk2, ek := testKeys(t)
	caSpec := validSpec("Тестовый УЦ")
	caSpec.isCA, caSpec.serial = true, 1
	ca := newCert(t, caSpec, rk2.Public(), nil, rk2)
	leaf := newCert(t, validSpec("Зубова Анна Николаевна"), ek.Public(), ca, rk2)
	selfSigned := newCert(t, validSpec("Зубова Анна Николаевна"), rk.Public(), nil, rk)
	doc := makePDF(t, 1)

	for _, tc := range []struct {
		name string
		sig  []byte
	}{
		{"leaf and CA", func() []byte {
			sd, err := pkcs7.NewSignedData(doc)
			if err != nil {
				t.Fatal(err)
			}
			sd.SetDigestAlgorithm(pkcs7.OIDDigestAlgorithmSHA256)
			if err := sd.AddSignerChain(leaf, ek, []*x509.Certificate{ca}, pkcs7.SignerInfoConfig{}); err != nil {
				t.Fatal(err)
			}
			sd.Detach()
			der, err := sd.Finish()
			if err != nil {
				t.Fatal(err)
			}
			return der
		}()},
		{"self-signed", makeCMS(t, doc, pkcs7.OIDDigestAlgorithmSHA256, false, false, cmsSigner{selfSigned, rk})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			orig, err := VerifyDetached(doc, tc.sig)
			if err != nil || orig.Status != Valid || strings.Contains(orig.Reason, reasonUnbound) {
				t.Fatalf("original: %+v, %v", orig, err)
			}
			for i := range tc.sig {
				r, err := VerifyDetached(doc, flip(tc.sig, i))
				if err != nil || r.Status != Valid {
					continue
				}
				// Without an issuer to check it, a changed certificate
				// cannot be told from another one; then the reason must
				// say that the owner is unconfirmed.
				if (r.Signer != orig.Signer && !strings.Contains(r.Reason, reasonUnbound)) ||
					r.SignedAt == nil || !r.SignedAt.Equal(*orig.SignedAt) {
					t.Errorf("byte %d flipped: valid with signer %+v (%s)", i, r.Signer, r.Reason)
				}
			}
		})
	}
}

// TestVerifyDetachedUnboundCertificate: a plain PKCS#7 without a
// signing-certificate attribute and without the issuer verifies, but the
// reason says that the owner is not confirmed.
func TestVerifyDetachedUnboundCertificate(t *testing.T) {
	_, rk2, ek := testKeys(t)
	caSpec := validSpec("Тестовый УЦ")
	caSpec.isCA = true
	ca := newCert(t, caSpec, rk2.Public(), nil, rk2)
	leaf := newCert(t, validSpec("Зубова Анна Николаевна"), ek.Public(), ca, rk2)
	doc := makePDF(t, 1)
	r, err := VerifyDetached(doc, makeCMS(t, doc, pkcs7.OIDDigestAlgorithmSHA256, false, false, cmsSigner{leaf, ek}))
	if err != nil || r.Status != Valid || !strings.Contains(r.Reason, reasonUnbound) {
		t.Fatalf("%+v, %v", r, err)
	}
}

// TestVerifyDetachedOpenSSL checks signatures made by another
// implementation: openssl cms, plain, CAdES (with signing-certificate-v2),
// PEM output and RSA-PSS.
func TestVerifyDetachedOpenSSL(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl not installed")
	}
	rk, _, ek := testKeys(t)
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	doc := makePDF(t, 1)
	docPath := write("doc.pdf", doc)
	rsaCert := write("rsa.pem", pemCert(newCert(t, validSpec("Зубова Анна Николаевна"), rk.Public(), nil, rk)))
	rsaKey := write("rsa.key", pemKey(t, rk, "PRIVATE KEY"))
	ecCert := write("ec.pem", pemCert(newCert(t, validSpec("Зубова Анна Николаевна"), ek.Public(), nil, ek)))
	ecKey := write("ec.key", pemKey(t, ek, "PRIVATE KEY"))

	tests := []struct {
		name string
		args []string
	}{
		{"RSA DER", []string{"-signer", rsaCert, "-inkey", rsaKey, "-outform", "DER"}},
		{"RSA CAdES SHA-512", []string{"-signer", rsaCert, "-inkey", rsaKey, "-outform", "DER", "-cades", "-md", "sha512"}},
		{"RSA-PSS", []string{"-signer", rsaCert, "-inkey", rsaKey, "-outform", "DER", "-keyopt", "rsa_padding_mode:pss"}},
		{"ECDSA PEM", []string{"-signer", ecCert, "-inkey", ecKey, "-outform", "PEM"}},
		{"ECDSA base64 (SMIME body)", []string{"-signer", ecCert, "-inkey", ecKey, "-outform", "PEM", "-md", "sha384"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"cms", "-sign", "-binary", "-in", docPath}, tt.args...)
			sig, err := exec.Command(openssl, args...).Output()
			if err != nil {
				t.Fatalf("openssl %v: %v", args, err)
			}
			if strings.HasPrefix(tt.name, "ECDSA base64") {
				// Strip the PEM armour: some tools save bare base64.
				block, _ := pem.Decode(sig)
				sig = base64Lines(block.Bytes)
			}
			r, err := VerifyDetached(doc, sig)
			if err != nil || r.Status != Valid {
				t.Fatalf("VerifyDetached = %+v, %v", r, err)
			}
			if r, _ := VerifyDetached(append([]byte("x"), doc...), sig); r.Status != Invalid {
				t.Errorf("over other bytes: %v (%s)", r.Status, r.Reason)
			}
		})
	}
}
