package sign

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"software.sslmate.com/src/go-pkcs12"
)

// pdfsigReport runs pdfsig and reports its verdict. pdfsig exits 0 even on
// a digest mismatch, so only its text counts.
func pdfsigReport(t *testing.T, pdfData []byte) (out string, valid, total bool) {
	t.Helper()
	bin := tool(t, "pdfsig")
	path := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(path, pdfData, 0o600); err != nil {
		t.Fatal(err)
	}
	b, _ := exec.Command(bin, path).CombinedOutput()
	out = string(b)
	return out, strings.Contains(out, "Signature is Valid."), strings.Contains(out, "Total document signed")
}

func qpdfCheck(t *testing.T, pdfData []byte) {
	t.Helper()
	bin := tool(t, "qpdf")
	path := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(path, pdfData, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "--check", path).CombinedOutput()
	if err != nil || bytes.Contains(out, []byte("WARNING")) || !bytes.Contains(out, []byte("No syntax or stream encoding errors")) {
		t.Errorf("qpdf --check: %v\n%s", err, out)
	}
}

func signingTimeNow() time.Time { return time.Now().Add(-time.Hour).Truncate(time.Second) }

func TestSignVerifiedByPdfsig(t *testing.T) {
	rk, rk2, ek := testKeys(t)
	caSpec := validSpec("Тестовый УЦ")
	caSpec.isCA, caSpec.serial = true, 1
	ca := newCert(t, caSpec, rk2.Public(), nil, rk2)
	leafSpec := validSpec("МБОУ «Школа № 17»")
	leafSpec.surname, leafSpec.given, leafSpec.serial = "Щербакова", "Ольга Петровна", 0x7C0001
	leaf := newCert(t, leafSpec, rk.Public(), ca, rk2)
	p12, err := pkcs12.Modern.Encode(rk, leaf, []*x509.Certificate{ca}, "secret")
	if err != nil {
		t.Fatal(err)
	}
	chained, err := LoadSigner(p12, "secret")
	if err != nil {
		t.Fatal(err)
	}
	_ = ek
	rsa4096, err := rsa.GenerateKey(rand.Reader, 4096)
	if err != nil {
		t.Fatal(err)
	}
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name      string
		signer    *Signer
		pages     int
		opt       Options
		wantOwner string
	}{
		{"RSA, 2 pages", testSigner(t, false), 2, Options{Reason: "Утверждение приказа", Location: "Москва"}, "Зубова Анна Николаевна"},
		{"ECDSA, 1 page", testSigner(t, true), 1, Options{Reason: "Approval"}, "Зубова Анна Николаевна"},
		// Щ and Ш contain the bytes of ")" and "(" in UTF-16, which
		// pdfsign would write unescaped.
		{"P12 with CA chain, name with Щ and Ш", chained, 1, Options{Name: "Щербакова Ольга", Reason: "Шаблон «Приказ»"}, "Щербакова Ольга Петровна"},
		// pdfsign reserves too little room for these and retries.
		{"RSA-4096", keySigner(t, rsa4096), 1, Options{}, "Зубова Анна Николаевна"},
		{"ECDSA P-384", keySigner(t, p384), 1, Options{}, "Зубова Анна Николаевна"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := makePDF(t, tt.pages)
			tt.opt.Time = signingTimeNow()
			out, err := Sign(in, tt.signer, tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(out, in) {
				t.Error("signing rewrote the original bytes; want an incremental update")
			}
			report, valid, total := pdfsigReport(t, out)
			if !valid || !total {
				t.Errorf("pdfsig does not report a valid, total signature:\n%s", report)
			}
			qpdfCheck(t, out)

			r, err := VerifyPDF(out)
			if err != nil {
				t.Fatal(err)
			}
			if r.Status != Valid || !r.CoversWholeFile || !r.DigestVerified || !r.SignatureVerified {
				t.Errorf("VerifyPDF = %+v, want Valid covering the whole file", r)
			}
			if r.Signer.Owner != tt.wantOwner || r.DigestAlgorithm != "SHA-256" || r.SignedAt == nil {
				t.Errorf("VerifyPDF signer = %+v, digest %q, signed at %v", r.Signer, r.DigestAlgorithm, r.SignedAt)
			}
		})
	}
}

func TestSignRefusesInvalidCertificate(t *testing.T) {
	rk, _, _ := testKeys(t)
	expiredSpec := validSpec("Старый")
	expiredSpec.notBefore, expiredSpec.notAfter = time.Now().AddDate(-3, 0, 0), time.Now().AddDate(0, 0, -1)
	futureSpec := validSpec("Будущий")
	futureSpec.notBefore, futureSpec.notAfter = time.Now().AddDate(0, 0, 1), time.Now().AddDate(2, 0, 0)
	valid := testSigner(t, false)
	tests := []struct {
		name    string
		signer  *Signer
		at      time.Time
		wantErr error
	}{
		{"expired", mustSigner(t, expiredSpec), time.Time{}, ErrExpired},
		{"not yet valid", mustSigner(t, futureSpec), time.Time{}, ErrNotYetValid},
		{"valid, /M after expiry", valid, valid.Certificate().NotAfter.Add(time.Hour), ErrExpired},
		{"valid, /M before issue", valid, valid.Certificate().NotBefore.Add(-time.Hour), ErrNotYetValid},
	}
	_ = rk
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Sign(makePDF(t, 1), tt.signer, Options{Time: tt.at})
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func keySigner(t *testing.T, key crypto.Signer) *Signer {
	t.Helper()
	spec := validSpec("Зубова Анна Николаевна")
	s, err := LoadSigner(join(pemCert(newCert(t, spec, key.Public(), nil, key)), pemKey(t, key, "PRIVATE KEY")), "")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustSigner(t *testing.T, spec certSpec) *Signer {
	t.Helper()
	rk, _, _ := testKeys(t)
	s, err := LoadSigner(join(pemCert(newCert(t, spec, rk.Public(), nil, rk)), pemKey(t, rk, "PRIVATE KEY")), "")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSignRejectsNonPDF(t *testing.T) {
	for _, in := range [][]byte{nil, []byte("not a pdf"), []byte("%PDF-1.4\n%%EOF\n")} {
		if _, err := Sign(in, testSigner(t, false), Options{}); err == nil {
			t.Errorf("Sign(%q) succeeded", in)
		}
	}
}

// TestSignDeterministicStructure: with a fixed Time everything but the
// CMS in /Contents is byte-identical (pkcs7 stamps the wall clock into the
// CMS signing time, so the CMS itself cannot be).
func TestSignDeterministicStructure(t *testing.T) {
	in := makePDF(t, 1)
	at := signingTimeNow()
	for _, ec := range []bool{false, true} {
		s := testSigner(t, ec)
		a, err := Sign(in, s, Options{Time: at, Reason: "Утверждение"})
		if err != nil {
			t.Fatal(err)
		}
		b, err := Sign(in, s, Options{Time: at, Reason: "Утверждение"})
		if err != nil {
			t.Fatal(err)
		}
		ba, bb := byteRange(t, a), byteRange(t, b)
		if ba != bb || len(a) != len(b) {
			t.Fatalf("ByteRange %v vs %v", ba, bb)
		}
		if !bytes.Equal(a[:ba[1]], b[:bb[1]]) || !bytes.Equal(a[ba[2]:], b[bb[2]:]) {
			t.Errorf("ec=%v: signed bytes differ between two runs with the same Time", ec)
		}
	}
}

var testByteRangeRe = regexp.MustCompile(`/ByteRange \[(\d+) (\d+) (\d+) (\d+)\]`)

func byteRange(t *testing.T, pdfData []byte) [4]int {
	t.Helper()
	m := testByteRangeRe.FindSubmatch(pdfData)
	if m == nil {
		t.Fatal("no ByteRange")
	}
	var br [4]int
	for i := range br {
		br[i], _ = strconv.Atoi(string(m[i+1]))
	}
	return br
}

func flip(b []byte, at int) []byte {
	out := append([]byte{}, b...)
	out[at] ^= 0x01
	return out
}

// TestTamperedPDF: changing any byte, or appending after signing, must
// make both pdfsig (inside the signed range) and VerifyPDF fail.
func TestTamperedPDF(t *testing.T) {
	signed, err := Sign(makePDF(t, 2), testSigner(t, false), Options{Time: signingTimeNow(), Reason: "Утверждение"})
	if err != nil {
		t.Fatal(err)
	}
	br := byteRange(t, signed)
	at := func(s string) int {
		i := bytes.Index(signed, []byte(s))
		if i < 0 {
			t.Fatalf("%q not in the signed PDF", s)
		}
		return i
	}
	tests := []struct {
		name       string
		data       []byte
		inRange    bool // pdfsig must stop calling it valid
		wantCovers bool
	}{
		{"page content", flip(signed, at("/Length")+10), true, true},
		{"first byte", flip(signed, 0), true, true},
		{"original xref", flip(signed, at("xref")+8), true, true},
		{"signature dictionary /M", flip(signed, at("/M (D:")+8), true, true},
		{"last byte", flip(signed, len(signed)-2), true, true},
		{"CMS signature value", flip(signed, br[1]+(br[2]-br[1])/3), false, true},
		{"Contents padding", flip(signed, br[2]-3), false, true},
		{"Contents delimiter", flip(signed, br[1]), false, true},
		{"appended update", append(append([]byte{}, signed...), "1 0 obj\n<< >>\nendobj\n%%EOF\n"...), false, false},
		{"truncated", signed[:len(signed)-1], false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.inRange {
				if report, valid, _ := pdfsigReport(t, tt.data); valid {
					t.Errorf("pdfsig still says valid:\n%s", report)
				}
			}
			r, err := VerifyPDF(tt.data)
			if err != nil {
				t.Fatalf("VerifyPDF: %v", err)
			}
			if r.Status != Invalid {
				t.Errorf("VerifyPDF = %v (%s), want invalid", r.Status, r.Reason)
			}
			if r.CoversWholeFile != tt.wantCovers {
				t.Errorf("CoversWholeFile = %v, want %v", r.CoversWholeFile, tt.wantCovers)
			}
			if r.Reason == "" {
				t.Error("no reason given")
			}
		})
	}
}

// TestEveryByteFlipIsInvalid flips each byte of a signed file in turn:
// none may verify, and each must come back Invalid rather than an error.
func TestEveryByteFlipIsInvalid(t *testing.T) {
	for _, ec := range []bool{false, true} {
		signed, err := Sign(makePDF(t, 1), testSigner(t, ec), Options{Time: signingTimeNow()})
		if err != nil {
			t.Fatal(err)
		}
		step := 1
		if testing.Short() {
			step = 7
		}
		for i := 0; i < len(signed); i += step {
			r, err := VerifyPDF(flip(signed, i))
			if err != nil || r.Status != Invalid {
				t.Errorf("ec=%v: byte %d (%q) flipped: %v, %v (%s)", ec, i, signed[max(0, i-10):min(len(signed), i+10)], err, r.Status, r.Reason)
			}
		}
	}
}

func TestVerifyPDFUnsigned(t *testing.T) {
	for _, tt := range []struct {
		name string
		data []byte
	}{{"unsigned PDF", makePDF(t, 1)}, {"empty", nil}, {"text", []byte("hello")}} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := VerifyPDF(tt.data); !errors.Is(err, ErrNoSignature) {
				t.Errorf("err = %v, want ErrNoSignature", err)
			}
		})
	}
}

// TestVerifyPDFTwoSignatures signs twice: both signatures verify, only the
// second covers the whole file, and the summary follows the newest.
func TestVerifyPDFTwoSignatures(t *testing.T) {
	once, err := Sign(makePDF(t, 1), testSigner(t, false), Options{Time: signingTimeNow()})
	if err != nil {
		t.Fatal(err)
	}
	twice, err := Sign(once, testSigner(t, true), Options{Time: signingTimeNow(), Name: "Второй подписант"})
	if err != nil {
		t.Fatal(err)
	}
	r, err := VerifyPDF(twice)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != Valid || !r.CoversWholeFile || len(r.Signatures) != 2 || r.SignatureAlgorithm != "ECDSA" {
		t.Fatalf("VerifyPDF = %+v", r)
	}
	if r.Signatures[0].CoversWholeFile || !r.Signatures[1].CoversWholeFile {
		t.Errorf("coverage: first %v, second %v", r.Signatures[0].CoversWholeFile, r.Signatures[1].CoversWholeFile)
	}
	if report, valid, total := pdfsigReport(t, twice); strings.Count(report, "Signature is Valid.") != 2 || !valid || !total {
		t.Errorf("pdfsig:\n%s", report)
	}
	qpdfCheck(t, twice)
}

// TestSecondSignatureLargeRSAKey pins a pdfsign limit: on a document that
// is already signed only pdfsign.Sign can be used, and its retry for keys
// over 2048 bits damages the file. Sign must refuse rather than return it.
func TestSecondSignatureLargeRSAKey(t *testing.T) {
	big, err := rsa.GenerateKey(rand.Reader, 3072)
	if err != nil {
		t.Fatal(err)
	}
	once, err := Sign(makePDF(t, 1), testSigner(t, false), Options{})
	if err != nil {
		t.Fatal(err)
	}
	twice, err := Sign(once, keySigner(t, big), Options{})
	if err == nil {
		// Fixed upstream: then the result must be right.
		if r, verr := VerifyPDF(twice); verr != nil || r.Status != Valid {
			t.Fatalf("second signature: %+v, %v", r, verr)
		}
		return
	}
	if !errors.Is(err, ErrSignatureBroken) {
		t.Fatalf("err = %v, want ErrSignatureBroken", err)
	}
}

// TestVerifyPDFGOST puts a GOST CMS (as КриптоПРО PDF makes) into the
// /Contents of a signed file: never Valid, and the digest is reported only
// when it was really computed.
func TestVerifyPDFGOST(t *testing.T) {
	signed, err := Sign(makePDF(t, 1), testSigner(t, false), Options{})
	if err != nil {
		t.Fatal(err)
	}
	br := byteRange(t, signed)
	ranges := append(append([]byte{}, signed[:br[1]]...), signed[br[2]:]...)
	rangesSHA256 := sha256.Sum256(ranges)
	withCMS := func(der []byte) []byte {
		h := hex.EncodeToString(der)
		room := br[2] - br[1] - 2
		if len(h) > room {
			t.Fatalf("CMS of %d hex digits does not fit in %d", len(h), room)
		}
		out := append([]byte{}, signed...)
		copy(out[br[1]+1:], h+strings.Repeat("0", room-len(h)))
		return out
	}
	streebog := asn1.ObjectIdentifier{1, 2, 643, 7, 1, 1, 2, 2}
	tests := []struct {
		name     string
		spec     gostSpec
		want     Status
		digestOK bool
	}{
		{"Streebog digest", gostSpec{keyOID: oidGOST2012_256, sigOID: oidGOST2012_256, digestOID: streebog, messageDigest: bytes.Repeat([]byte{1}, 32), withCert: true}, NotVerified, false},
		{"SHA-256 digest of the ranges", gostSpec{keyOID: oidGOST2012_256, sigOID: oidGOST2012_256, digestOID: oidSHA256, messageDigest: rangesSHA256[:], withCert: true}, NotVerified, true},
		{"SHA-256 digest of something else", gostSpec{keyOID: oidGOST2012_256, sigOID: oidGOST2012_256, digestOID: oidSHA256, messageDigest: make([]byte, 32), withCert: true}, Invalid, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := VerifyPDF(withCMS(gostCMS(t, tt.spec)))
			if err != nil {
				t.Fatal(err)
			}
			if r.Status != tt.want || r.DigestVerified != tt.digestOK || r.SignatureVerified || !r.CoversWholeFile {
				t.Fatalf("VerifyPDF = %+v", r)
			}
			if tt.want == NotVerified && !strings.Contains(r.Reason, "подпись не проверена, проверьте её в КриптоПРО") {
				t.Errorf("Reason = %q", r.Reason)
			}
		})
	}
}

// TestSignConcurrent: one Signer serves many requests at once.
func TestSignConcurrent(t *testing.T) {
	s := testSigner(t, true)
	in := makePDF(t, 1)
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			_, err := Sign(in, s, Options{Reason: "Утверждение"})
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

func TestOwnerName(t *testing.T) {
	rk, _, _ := testKeys(t)
	tests := []struct {
		name string
		spec certSpec
		want string
	}{
		{"surname and given name win over an organization CN", certSpec{cn: "ГБОУ Школа № 1", surname: "Иванов", given: "Пётр Сергеевич"}, "Иванов Пётр Сергеевич"},
		{"CN only", certSpec{cn: "Петрова Мария Ивановна"}, "Петрова Мария Ивановна"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.spec.serial, tt.spec.notBefore, tt.spec.notAfter = 5, time.Now(), time.Now().AddDate(1, 0, 0)
			c := newCert(t, tt.spec, rk.Public(), nil, rk)
			if got := certInfo(c).Owner; got != tt.want {
				t.Errorf("Owner = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestPDFText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Approval (final)", "Approval (final)"},       // ASCII: pdfsign escapes it
		{"Утверждение приказа", "Утверждение приказа"}, // no special byte in UTF-16
		{"Щербакова", "Shcherbakova"},
		{"Шаблон «Приказ»", "Shablon \"Prikaz\""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := pdfText(tt.in); got != tt.want {
			t.Errorf("pdfText(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if !utf16Safe(pdfText(tt.in)) {
			t.Errorf("pdfText(%q) is not safe", tt.in)
		}
	}
}

func BenchmarkSign(b *testing.B) {
	in := makePDF(b, 2)
	for _, bc := range []struct {
		name string
		ec   bool
	}{{"RSA-2048", false}, {"ECDSA-P256", true}} {
		s := testSigner(b, bc.ec)
		opt := Options{Time: time.Now().Truncate(time.Second), Reason: "Утверждение приказа"}
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				if _, err := Sign(in, s, opt); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkVerifyPDF(b *testing.B) {
	signed, err := Sign(makePDF(b, 2), testSigner(b, false), Options{Time: time.Now().Truncate(time.Second)})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if r, err := VerifyPDF(signed); err != nil || r.Status != Valid {
			b.Fatal(r, err)
		}
	}
}
