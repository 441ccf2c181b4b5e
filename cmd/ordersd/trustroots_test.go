package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestTrustRootsFlag: --trust-roots (ORDERS_TRUST_ROOTS) loads the installation's trusted
// roots; a file that cannot be read or holds no certificate stops ordersd with a message
// naming the flag, rather than silently trusting nothing.
func TestTrustRootsFlag(t *testing.T) {
	dir := t.TempDir()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Тестовый УЦ"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(1, 0, 0), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "roots.pem")
	os.WriteFile(good, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	notPEM := filepath.Join(dir, "roots.txt")
	os.WriteFile(notPEM, []byte("not a certificate"), 0o600)

	for _, tt := range []struct {
		name, file string
		roots      int
		err        string
	}{
		{"default: none", "", 0, ""},
		{"a PEM bundle", good, 1, ""},
		{"missing file", filepath.Join(dir, "nope.pem"), 0, "--trust-roots"},
		{"not PEM", notPEM, 0, "--trust-roots: " + notPEM + ": no PEM CERTIFICATE block"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("ORDERS_TRUST_ROOTS", tt.file)
			var cfg config
			bindFlags(flagSet(), &cfg)
			err := cfg.validate()
			if tt.err == "" && (err != nil || len(cfg.trustRoots) != tt.roots) {
				t.Fatalf("validate: %v, %d roots, want %d", err, len(cfg.trustRoots), tt.roots)
			}
			if tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
				t.Fatalf("validate: %v, want %q", err, tt.err)
			}
		})
	}
}
