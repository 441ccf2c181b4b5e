// Package signtest makes GOST R 34.10-2012 keys, certificates and
// signatures with OpenSSL's GOST engine for tests: no Go library can.
package signtest

import (
	"bytes"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// RequireGOST stops the test when openssl or its GOST engine is missing:
// a failure in CI (CI set), a skip elsewhere.
func RequireGOST(t testing.TB) {
	t.Helper()
	out, err := exec.Command("openssl", "engine", "-t", "gost").CombinedOutput()
	if err == nil && strings.Contains(string(out), "[ available ]") {
		return
	}
	msg := "openssl with the GOST engine is required (apt-get install libengine-gost-openssl): " + strings.TrimSpace(string(out))
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// GOSTIdentity is a GOST R 34.10-2012 (256-bit) key and its certificate.
type GOSTIdentity struct {
	KeyFile, CertFile string
	CertPEM           []byte
	Cert              *x509.Certificate
	dir               string
}

func run(t testing.TB, dir string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command("openssl", args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

var serial int

// NewGOSTIdentity makes a key and a certificate for subject (an OpenSSL
// "/CN=…/O=…" string, UTF-8), self-signed when issuer is nil; ca makes it
// a CA certificate.
func NewGOSTIdentity(t testing.TB, subject string, issuer *GOSTIdentity, ca bool) *GOSTIdentity {
	t.Helper()
	dir := t.TempDir()
	id := &GOSTIdentity{KeyFile: filepath.Join(dir, "key.pem"), CertFile: filepath.Join(dir, "cert.pem"), dir: dir}
	run(t, dir, "genpkey", "-engine", "gost", "-algorithm", "gost2012_256", "-pkeyopt", "paramset:A", "-out", id.KeyFile)
	ext := "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\n"
	if ca {
		ext = "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign,digitalSignature\n"
	}
	extFile := filepath.Join(dir, "ext.cnf")
	if err := os.WriteFile(extFile, []byte("[v3]\nsubjectKeyIdentifier=hash\n"+ext), 0o600); err != nil {
		t.Fatal(err)
	}
	serial++
	if issuer == nil {
		args := []string{"req", "-engine", "gost", "-x509", "-new", "-utf8", "-key", id.KeyFile, "-md_gost12_256",
			"-subj", subject, "-days", "365", "-set_serial", strconv.Itoa(0x7C0000 + serial), "-out", id.CertFile}
		for _, line := range strings.Split(strings.TrimSpace(ext), "\n") {
			args = append(args, "-addext", line)
		}
		run(t, dir, args...)
	} else {
		csr := filepath.Join(dir, "req.csr")
		run(t, dir, "req", "-engine", "gost", "-new", "-utf8", "-key", id.KeyFile, "-md_gost12_256", "-subj", subject, "-out", csr)
		run(t, dir, "x509", "-engine", "gost", "-req", "-in", csr, "-CA", issuer.CertFile, "-CAkey", issuer.KeyFile,
			"-md_gost12_256", "-days", "365", "-set_serial", strconv.Itoa(0x7C0000+serial),
			"-extfile", extFile, "-extensions", "v3", "-out", id.CertFile)
	}
	var err error
	if id.CertPEM, err = os.ReadFile(id.CertFile); err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(id.CertPEM)
	if block == nil {
		t.Fatal("no PEM certificate from openssl")
	}
	if id.Cert, err = x509.ParseCertificate(block.Bytes); err != nil {
		t.Fatalf("Go does not parse the GOST certificate: %v", err)
	}
	return id
}

// SignDetached returns a detached DER CMS signature of content
// (Streebog-256 digest, signed attributes), with chain certificates added.
func (id *GOSTIdentity) SignDetached(t testing.TB, content []byte, chain ...*GOSTIdentity) []byte {
	t.Helper()
	dir := t.TempDir()
	in, out := filepath.Join(dir, "doc"), filepath.Join(dir, "doc.sig")
	if err := os.WriteFile(in, content, 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"cms", "-sign", "-engine", "gost", "-binary", "-in", in, "-signer", id.CertFile, "-inkey", id.KeyFile,
		"-md", "md_gost12_256", "-outform", "DER", "-out", out}
	if len(chain) > 0 {
		var b bytes.Buffer
		for _, c := range chain {
			b.Write(c.CertPEM)
		}
		certs := filepath.Join(dir, "chain.pem")
		if err := os.WriteFile(certs, b.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		args = append(args, "-certfile", certs)
	}
	run(t, dir, args...)
	der, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

var byteRangeRe = regexp.MustCompile(`/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]`)

// ReplaceSignature takes a PDF signed once (by sign.Sign, whose /Contents
// has room to spare) and puts id's GOST CMS over the same ByteRange in
// place of its signature: a GOST-signed PDF as КриптоПРО PDF makes one.
func (id *GOSTIdentity) ReplaceSignature(t testing.TB, signed []byte) []byte {
	t.Helper()
	ms := byteRangeRe.FindAllSubmatch(signed, -1)
	if len(ms) == 0 {
		t.Fatal("no ByteRange")
	}
	m := ms[len(ms)-1]
	var br [4]int
	for i := range br {
		br[i], _ = strconv.Atoi(string(m[i+1]))
	}
	ranges := append(append([]byte{}, signed[br[0]:br[0]+br[1]]...), signed[br[2]:br[2]+br[3]]...)
	h := hex.EncodeToString(id.SignDetached(t, ranges))
	room := br[2] - br[1] - 2
	if len(h) > room {
		t.Fatalf("GOST CMS of %d hex digits does not fit in %d", len(h), room)
	}
	out := append([]byte{}, signed...)
	copy(out[br[1]+1:], h+strings.Repeat("0", room-len(h)))
	return out
}
