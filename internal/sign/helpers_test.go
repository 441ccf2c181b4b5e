package sign

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"codeberg.org/go-pdf/fpdf"
)

// Keys are generated once: RSA generation dominates the test time otherwise.
var (
	keysOnce sync.Once
	rsaKey   *rsa.PrivateKey
	rsaKey2  *rsa.PrivateKey
	ecKey    *ecdsa.PrivateKey
)

func testKeys(t testing.TB) (*rsa.PrivateKey, *rsa.PrivateKey, *ecdsa.PrivateKey) {
	t.Helper()
	keysOnce.Do(func() {
		var err error
		if rsaKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if rsaKey2, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if ecKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			panic(err)
		}
	})
	return rsaKey, rsaKey2, ecKey
}

type certSpec struct {
	cn, surname, given  string
	serial              int64
	notBefore, notAfter time.Time
	isCA                bool
}

// fixedNow is the reference time of certificates that must be valid now;
// they span ±5 years around the real clock so that tests do not rot.
func validSpec(cn string) certSpec {
	now := time.Now()
	return certSpec{cn: cn, serial: 0x01A2B3C4D5E6F7, notBefore: now.AddDate(-1, 0, 0), notAfter: now.AddDate(5, 0, 0)}
}

// newCert makes a certificate for pub, signed by parent/parentKey, or
// self-signed when parent is nil.
func newCert(t testing.TB, spec certSpec, pub crypto.PublicKey, parent *x509.Certificate, parentKey crypto.Signer) *x509.Certificate {
	t.Helper()
	subject := pkix.Name{CommonName: spec.cn, Organization: []string{"МБОУ «Школа № 17»"}}
	if spec.surname != "" {
		subject.ExtraNames = append(subject.ExtraNames,
			pkix.AttributeTypeAndValue{Type: oidSurname, Value: spec.surname},
			pkix.AttributeTypeAndValue{Type: oidGivenName, Value: spec.given})
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(spec.serial),
		Subject:               subject,
		NotBefore:             spec.notBefore,
		NotAfter:              spec.notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection},
		BasicConstraintsValid: true,
		IsCA:                  spec.isCA,
	}
	if spec.isCA {
		tmpl.KeyUsage |= x509.KeyUsageCertSign
	}
	signerCert, signerKey := tmpl, parentKey
	if parent != nil {
		signerCert = parent
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signerCert, pub, signerKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func pemCert(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

func pemKey(t testing.TB, key any, typ string) []byte {
	t.Helper()
	var (
		der []byte
		err error
	)
	switch typ {
	case "PRIVATE KEY":
		der, err = x509.MarshalPKCS8PrivateKey(key)
	case "RSA PRIVATE KEY":
		der = x509.MarshalPKCS1PrivateKey(key.(*rsa.PrivateKey))
	case "EC PRIVATE KEY":
		der, err = x509.MarshalECPrivateKey(key.(*ecdsa.PrivateKey))
	}
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func join(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// testSigner loads an RSA or ECDSA signer with a valid self-signed
// certificate.
func testSigner(t testing.TB, ec bool) *Signer {
	t.Helper()
	rk, _, ek := testKeys(t)
	spec := validSpec("Зубова Анна Николаевна")
	spec.surname, spec.given = "Зубова", "Анна Николаевна"
	var data []byte
	if ec {
		data = join(pemCert(newCert(t, spec, ek.Public(), nil, ek)), pemKey(t, ek, "EC PRIVATE KEY"))
	} else {
		data = join(pemCert(newCert(t, spec, rk.Public(), nil, rk)), pemKey(t, rk, "RSA PRIVATE KEY"))
	}
	s, err := LoadSigner(data, "")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// makePDF returns a small PDF like the renderer's output: fixed dates so
// that it is byte-identical across runs.
func makePDF(t testing.TB, pages int) []byte {
	t.Helper()
	f := fpdf.New("P", "mm", "A4", "")
	f.SetCreationDate(time.Date(2025, 8, 24, 10, 0, 0, 0, time.UTC))
	f.SetModificationDate(time.Date(2025, 8, 24, 10, 0, 0, 0, time.UTC))
	f.SetFont("Helvetica", "", 12)
	for p := 1; p <= pages; p++ {
		f.AddPage()
		for i := range 30 {
			f.CellFormat(0, 7, fmt.Sprintf("Order 37-o, page %d, line %d: the quick brown fox jumps over the lazy dog.", p, i+1), "", 1, "L", false, 0, "")
		}
	}
	var buf bytes.Buffer
	if err := f.Output(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// tool finds an external program; in CI its absence is a failure, since
// the acceptance checks depend on it.
func tool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is required in CI (poppler-utils, qpdf): %v", name, err)
		}
		t.Skipf("%s not installed", name)
	}
	return p
}

// --- hand-built GOST structures: no Go library can make them ---

type gostSpec struct {
	keyOID, sigOID, digestOID asn1.ObjectIdentifier
	messageDigest             []byte // nil: no signed attributes
	withCert                  bool
}

// gostCert builds a certificate with a GOST R 34.10-2012 key. Key and
// signature are random bytes: nothing here can check them, which is the
// point.
func gostCert(t testing.TB, keyOID asn1.ObjectIdentifier) *x509.Certificate {
	t.Helper()
	name, err := asn1.Marshal(pkix.Name{
		CommonName: "ГБОУ Школа № 1", Organization: []string{"ГБОУ Школа № 1"},
		ExtraNames: []pkix.AttributeTypeAndValue{
			{Type: oidSurname, Value: "Щербакова"}, {Type: oidGivenName, Value: "Ольга Петровна"},
		},
	}.ToRDNSequence())
	if err != nil {
		t.Fatal(err)
	}
	params, _ := asn1.Marshal(struct{ A, B asn1.ObjectIdentifier }{
		asn1.ObjectIdentifier{1, 2, 643, 7, 1, 2, 1, 1, 1}, asn1.ObjectIdentifier{1, 2, 643, 7, 1, 1, 2, 2}})
	pubKey, _ := asn1.Marshal(bytes.Repeat([]byte{0x5A}, 64))
	sigAlg := pkix.AlgorithmIdentifier{Algorithm: asn1.ObjectIdentifier{1, 2, 643, 7, 1, 1, 3, 2}}
	tbs, err := asn1.Marshal(struct {
		Version  int `asn1:"optional,explicit,default:0,tag:0"`
		Serial   *big.Int
		SigAlg   pkix.AlgorithmIdentifier
		Issuer   asn1.RawValue
		Validity struct{ NotBefore, NotAfter time.Time }
		Subject  asn1.RawValue
		SPKI     struct {
			Algorithm pkix.AlgorithmIdentifier
			Key       asn1.BitString
		}
	}{
		Version: 2, Serial: new(big.Int).SetBytes([]byte{0x7C, 0, 0x1D, 0x3C, 0xAB, 0x01}), SigAlg: sigAlg,
		Issuer:   asn1.RawValue{FullBytes: name},
		Validity: struct{ NotBefore, NotAfter time.Time }{time.Now().AddDate(-1, 0, 0).UTC().Truncate(time.Second), time.Now().AddDate(1, 0, 0).UTC().Truncate(time.Second)},
		Subject:  asn1.RawValue{FullBytes: name},
		SPKI: struct {
			Algorithm pkix.AlgorithmIdentifier
			Key       asn1.BitString
		}{pkix.AlgorithmIdentifier{Algorithm: keyOID, Parameters: asn1.RawValue{FullBytes: params}}, asn1.BitString{Bytes: pubKey, BitLength: 8 * len(pubKey)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	der, err := asn1.Marshal(struct {
		TBS    asn1.RawValue
		SigAlg pkix.AlgorithmIdentifier
		Sig    asn1.BitString
	}{asn1.RawValue{FullBytes: tbs}, sigAlg, asn1.BitString{Bytes: bytes.Repeat([]byte{0x33}, 64), BitLength: 512}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("Go cannot parse the GOST test certificate: %v", err)
	}
	return c
}

// gostCMS builds a detached CMS SignedData (RFC 5652) with the given
// algorithms, the way КриптоПРО lays it out.
func gostCMS(t testing.TB, spec gostSpec) []byte {
	t.Helper()
	cert := gostCert(t, spec.keyOID)
	mustMarshal := func(v any) []byte {
		b, err := asn1.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	type attr struct {
		Type  asn1.ObjectIdentifier
		Value asn1.RawValue `asn1:"set"`
	}
	var signedAttrs asn1.RawValue
	if spec.messageDigest != nil {
		set := func(v any) asn1.RawValue {
			return asn1.RawValue{Class: 0, Tag: 17, IsCompound: true, Bytes: mustMarshal(v)}
		}
		attrs := [][]byte{
			mustMarshal(attr{oidAttrContentType, set(asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1})}),
			mustMarshal(attr{oidAttrMessageDigest, set(spec.messageDigest)}),
			mustMarshal(attr{oidAttrSigningTime, set(time.Now().UTC().Truncate(time.Second))}),
		}
		signedAttrs = asn1.RawValue{Class: 2, Tag: 0, IsCompound: true, Bytes: bytes.Join(attrs, nil)}
	}
	type signerInfo struct {
		Version int
		SID     struct {
			Issuer asn1.RawValue
			Serial *big.Int
		}
		DigestAlgorithm    pkix.AlgorithmIdentifier
		SignedAttrs        asn1.RawValue `asn1:"optional"`
		SignatureAlgorithm pkix.AlgorithmIdentifier
		Signature          []byte
	}
	si := signerInfo{Version: 1, DigestAlgorithm: pkix.AlgorithmIdentifier{Algorithm: spec.digestOID},
		SignedAttrs: signedAttrs, SignatureAlgorithm: pkix.AlgorithmIdentifier{Algorithm: spec.sigOID},
		Signature: bytes.Repeat([]byte{0xC3}, 64)}
	si.SID.Issuer = asn1.RawValue{FullBytes: cert.RawIssuer}
	si.SID.Serial = cert.SerialNumber
	var certs asn1.RawValue
	if spec.withCert {
		certs = asn1.RawValue{Class: 2, Tag: 0, IsCompound: true, Bytes: cert.Raw}
	}
	sd := mustMarshal(struct {
		Version          int
		DigestAlgorithms []pkix.AlgorithmIdentifier `asn1:"set"`
		EncapContentInfo struct{ ContentType asn1.ObjectIdentifier }
		Certificates     asn1.RawValue `asn1:"optional"`
		SignerInfos      []signerInfo  `asn1:"set"`
	}{
		Version:          1,
		DigestAlgorithms: []pkix.AlgorithmIdentifier{{Algorithm: spec.digestOID}},
		EncapContentInfo: struct{ ContentType asn1.ObjectIdentifier }{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}},
		Certificates:     certs,
		SignerInfos:      []signerInfo{si},
	})
	return mustMarshal(struct {
		ContentType asn1.ObjectIdentifier
		Content     asn1.RawValue
	}{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}, asn1.RawValue{Class: 2, Tag: 0, IsCompound: true, Bytes: sd}})
}
