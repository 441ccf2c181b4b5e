package sign

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"software.sslmate.com/src/go-pkcs12"
)

func TestLoadSigner(t *testing.T) {
	rk, rk2, ek := testKeys(t)
	spec := validSpec("Зубова Анна Николаевна")
	rsaCert := newCert(t, spec, rk.Public(), nil, rk)
	ecCert := newCert(t, spec, ek.Public(), nil, ek)

	caSpec := validSpec("Тестовый УЦ")
	caSpec.isCA, caSpec.serial = true, 1
	ca := newCert(t, caSpec, rk2.Public(), nil, rk2)
	leafSpec := validSpec("Зубова Анна Николаевна")
	leafSpec.serial = 77
	leaf := newCert(t, leafSpec, ek.Public(), ca, rk2)

	expiredSpec := validSpec("Старый сертификат")
	expiredSpec.notBefore, expiredSpec.notAfter = time.Now().AddDate(-3, 0, 0), time.Now().AddDate(-1, 0, 0)
	expired := newCert(t, expiredSpec, rk.Public(), nil, rk)

	p12, err := pkcs12.Modern.Encode(rk, rsaCert, nil, "пароль-1")
	if err != nil {
		t.Fatal(err)
	}
	p12Chain, err := pkcs12.Modern.Encode(ek, leaf, []*x509.Certificate{ca}, "secret")
	if err != nil {
		t.Fatal(err)
	}
	p12Mismatch, err := pkcs12.Modern.Encode(rk2, rsaCert, nil, "secret")
	if err != nil {
		t.Fatal(err)
	}
	//nolint:staticcheck // legacy encrypted PEM is what we must read
	legacyBlock, err := x509.EncryptPEMBlock(zeroReader{}, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rk), []byte("qwerty"), x509.PEMCipherAES256)
	if err != nil {
		t.Fatal(err)
	}
	legacyPEM := join(pemCert(rsaCert), pem.EncodeToMemory(legacyBlock))

	tests := []struct {
		name      string
		data      []byte
		password  string
		wantErr   error
		wantCert  *x509.Certificate
		wantChain int
		expired   bool
	}{
		{name: "PEM RSA PKCS#1", data: join(pemCert(rsaCert), pemKey(t, rk, "RSA PRIVATE KEY")), wantCert: rsaCert},
		{name: "PEM RSA PKCS#8, key first", data: join(pemKey(t, rk, "PRIVATE KEY"), pemCert(rsaCert)), wantCert: rsaCert},
		{name: "PEM ECDSA SEC1", data: join(pemCert(ecCert), pemKey(t, ek, "EC PRIVATE KEY")), wantCert: ecCert},
		{name: "PEM chain, CA first", data: join(pemCert(ca), pemCert(leaf), pemKey(t, ek, "PRIVATE KEY")), wantCert: leaf, wantChain: 1},
		{name: "PEM with CRLF", data: bytes.ReplaceAll(join(pemCert(rsaCert), pemKey(t, rk, "PRIVATE KEY")), []byte("\n"), []byte("\r\n")), wantCert: rsaCert},
		{name: "PEM legacy encrypted", data: legacyPEM, password: "qwerty", wantCert: rsaCert},
		{name: "PEM legacy encrypted, wrong password", data: legacyPEM, password: "qwertz", wantErr: ErrWrongPassword},
		{name: "PEM legacy encrypted, no password", data: legacyPEM, wantErr: ErrWrongPassword},
		{name: "P12 Modern", data: p12, password: "пароль-1", wantCert: rsaCert},
		{name: "P12 with chain", data: p12Chain, password: "secret", wantCert: leaf, wantChain: 1},
		{name: "P12 wrong password", data: p12, password: "пароль-2", wantErr: ErrWrongPassword},
		{name: "P12 empty password", data: p12, wantErr: ErrWrongPassword},
		{name: "P12 key of another certificate", data: p12Mismatch, password: "secret", wantErr: ErrKeyMismatch},
		{name: "PEM without key", data: pemCert(rsaCert), wantErr: ErrNoPrivateKey},
		{name: "PEM without certificate", data: pemKey(t, rk, "PRIVATE KEY"), wantErr: ErrNoCertificate},
		{name: "PEM key of another certificate", data: join(pemCert(rsaCert), pemKey(t, rk2, "PRIVATE KEY")), wantErr: ErrKeyMismatch},
		{name: "PEM expired loads", data: join(pemCert(expired), pemKey(t, rk, "PRIVATE KEY")), wantCert: expired, expired: true},
		{name: "garbage", data: []byte("hello"), wantErr: ErrUnrecognizedData},
		{name: "empty", data: nil, wantErr: ErrUnrecognizedData},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := LoadSigner(tt.data, tt.password)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !s.Certificate().Equal(tt.wantCert) {
				t.Errorf("signing certificate = %s, want %s", s.Certificate().Subject, tt.wantCert.Subject)
			}
			if len(s.chain) != tt.wantChain {
				t.Errorf("chain has %d certificates, want %d", len(s.chain), tt.wantChain)
			}
			if got := s.Expired(time.Now()); got != tt.expired {
				t.Errorf("Expired(now) = %v, want %v", got, tt.expired)
			}
		})
	}
}

// zeroReader makes EncryptPEMBlock's IV reproducible.
type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// TestLoadSignerOpenSSLPKCS8 reads an encrypted PKCS#8 key as OpenSSL
// writes it (PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC).
func TestLoadSignerOpenSSLPKCS8(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl not installed")
	}
	rk, _, ek := testKeys(t)
	for _, tc := range []struct {
		name string
		key  any
		args []string
	}{
		{"RSA AES-256", rk, []string{"-v2", "aes-256-cbc"}},
		{"ECDSA AES-128 SHA-512", ek, []string{"-v2", "aes-128-cbc", "-v2prf", "hmacWithSHA512"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			plain := filepath.Join(dir, "key.pem")
			if err := os.WriteFile(plain, pemKey(t, tc.key, "PRIVATE KEY"), 0o600); err != nil {
				t.Fatal(err)
			}
			args := append([]string{"pkcs8", "-topk8", "-in", plain, "-passout", "pass:Пароль"}, tc.args...)
			enc, err := exec.Command(openssl, args...).Output()
			if err != nil {
				t.Fatalf("openssl: %v", err)
			}
			if !bytes.Contains(enc, []byte("ENCRYPTED PRIVATE KEY")) {
				t.Fatalf("openssl wrote %q", enc)
			}
			key := tc.key.(crypto.Signer)
			cert := newCert(t, validSpec("Ключ OpenSSL"), key.Public(), nil, key)
			s, err := LoadSigner(join(pemCert(cert), enc), "Пароль")
			if err != nil {
				t.Fatal(err)
			}
			if !s.Certificate().Equal(cert) {
				t.Error("wrong certificate")
			}
			if _, err := LoadSigner(join(pemCert(cert), enc), "пароль"); !errors.Is(err, ErrWrongPassword) {
				t.Errorf("wrong password: err = %v, want ErrWrongPassword", err)
			}
		})
	}
}
