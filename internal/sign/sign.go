// Package sign signs rendered orders on the server and checks signatures
// made elsewhere.
//
// Server-side signing uses github.com/digitorus/pdfsign (adbe.pkcs7.detached,
// SHA-256) with an invisible signature field: the visible ГОСТ mark is drawn
// into the page by the PDF renderer before signing, because pdfsign's own
// appearance uses a non-embedded font that cannot show Cyrillic. This
// package only supplies the mark's text (MarkLines).
//
// Verification (VerifyPDF, VerifyDetached, VerifySignedRevision; the
// methods of Verifier) is deliberately conservative: a Result is Valid only
// when the digest and the signature were both computed and matched. RSA,
// ECDSA and Ed25519 are checked here; GOST R 34.10-2012 is checked by
// OpenSSL with Debian's GOST engine (gost.go), and without it comes back
// NotVerified with a reason, never Valid. Trust is a separate verdict
// (Result.Trust): whether the signer's chain leads to one of the
// installation's roots (Verifier.Roots); with no roots configured it is
// not checked, and the Verdict says so. Revocation is not checked.
package sign

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/digitorus/pdf"
	pdfsign "github.com/digitorus/pdfsign/sign"
)

// Errors returned by LoadSigner and Sign; test with errors.Is.
var (
	ErrWrongPassword    = errors.New("sign: wrong password for the key container")
	ErrNoPrivateKey     = errors.New("sign: no private key in the data")
	ErrNoCertificate    = errors.New("sign: no certificate in the data")
	ErrKeyMismatch      = errors.New("sign: private key does not match the certificate")
	ErrUnsupportedKey   = errors.New("sign: unsupported private key type (RSA or ECDSA expected)")
	ErrExpired          = errors.New("sign: certificate has expired")
	ErrNotYetValid      = errors.New("sign: certificate is not yet valid")
	ErrUnrecognizedData = errors.New("sign: data is neither PKCS#12 nor PEM")
)

// CertInfo is what a person needs to identify a certificate: the fields of
// the visible signature mark and of the verification report.
type CertInfo struct {
	Serial    string // hex, upper case, as КриптоПРО and Windows show it
	Owner     string
	Issuer    string
	ValidFrom time.Time
	ValidTo   time.Time
}

// Signer holds an organization's signing certificate and key. It is
// immutable after LoadSigner and safe for concurrent use.
type Signer struct {
	cert  *x509.Certificate
	chain []*x509.Certificate // issuers of cert, nearest first
	key   crypto.Signer
}

// Certificate returns the signing certificate.
func (s *Signer) Certificate() *x509.Certificate { return s.cert }

// Chain returns the issuers of the signing certificate that came with it,
// nearest first.
func (s *Signer) Chain() []*x509.Certificate { return append([]*x509.Certificate{}, s.chain...) }

// Info describes the signing certificate.
func (s *Signer) Info() CertInfo { return certInfo(s.cert) }

// Expired reports whether the certificate is outside its validity period
// at now (expired or not yet valid): such a signer loads, so that an
// administrator can see what was uploaded, but Sign refuses it.
func (s *Signer) Expired(now time.Time) bool {
	return now.After(s.cert.NotAfter) || now.Before(s.cert.NotBefore)
}

// LoadSigner reads a signing certificate and private key from a PKCS#12
// container (.p12, .pfx) or from PEM (certificates and a key in any order;
// RSA or ECDSA; PKCS#1, SEC 1 or PKCS#8; an encrypted key needs password).
// The certificate whose public key matches the private key is the signing
// certificate; the other certificates form its chain. An expired
// certificate loads (see Signer.Expired).
func LoadSigner(data []byte, password string) (*Signer, error) {
	var (
		key   any
		certs []*x509.Certificate
		err   error
	)
	if isPEM(data) {
		key, certs, err = parsePEM(data, password)
	} else if len(data) > 0 && data[0] == 0x30 {
		key, certs, err = parsePKCS12(data, password)
	} else {
		return nil, ErrUnrecognizedData
	}
	if err != nil {
		return nil, err
	}
	if key == nil {
		return nil, ErrNoPrivateKey
	}
	if len(certs) == 0 {
		return nil, ErrNoCertificate
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, ErrUnsupportedKey
	}
	switch signer.Public().(type) {
	case *rsa.PublicKey, *ecdsa.PublicKey:
	default:
		// pdfsign and the CMS code handle other keys unevenly (Ed25519
		// signatures are not accepted by pdfsig), so refuse them up front.
		return nil, fmt.Errorf("%w: %T", ErrUnsupportedKey, signer.Public())
	}
	leaf := -1
	for i, c := range certs {
		if pub, ok := c.PublicKey.(interface{ Equal(crypto.PublicKey) bool }); ok && pub.Equal(signer.Public()) {
			leaf = i
			break
		}
	}
	if leaf < 0 {
		return nil, fmt.Errorf("%w (%d certificate(s) checked)", ErrKeyMismatch, len(certs))
	}
	s := &Signer{cert: certs[leaf], key: signer}
	rest := append(append([]*x509.Certificate{}, certs[:leaf]...), certs[leaf+1:]...)
	s.chain = orderChain(s.cert, rest)
	return s, nil
}

// orderChain returns the issuers of leaf found in pool, nearest first.
// pdfsign embeds them in that order and pkcs7 checks that each one signed
// the previous, so unrelated certificates in a PEM bundle are left out
// rather than failing the signature.
func orderChain(leaf *x509.Certificate, pool []*x509.Certificate) []*x509.Certificate {
	var chain []*x509.Certificate
	used := make([]bool, len(pool))
	cur := leaf
	for {
		if bytes.Equal(cur.RawIssuer, cur.RawSubject) {
			return chain // self-signed: the top
		}
		next := -1
		for i, c := range pool {
			if !used[i] && bytes.Equal(c.RawSubject, cur.RawIssuer) && cur.CheckSignatureFrom(c) == nil {
				next = i
				break
			}
		}
		if next < 0 {
			return chain
		}
		used[next] = true
		chain = append(chain, pool[next])
		cur = pool[next]
	}
}

// Options are the signature dictionary entries. Time is written as /M and
// defaults to now; Name defaults to the certificate owner.
type Options struct {
	Time     time.Time
	Reason   string
	Location string
	Name     string
}

// Sign signs pdf with an invisible signature (adbe.pkcs7.detached,
// SHA-256; a certification signature, or an approval signature when the
// document is already signed) appended as an incremental update, so the
// original bytes stay intact at the start of the result. The result has
// been verified with VerifyPDF before it is returned.
//
// With a fixed opt.Time the PDF structure is deterministic; the CMS inside
// /Contents is not, because github.com/digitorus/pkcs7 stamps its
// signing-time attribute with the wall clock and ECDSA signatures are
// randomized.
func Sign(pdfData []byte, s *Signer, opt Options) ([]byte, error) {
	if s == nil {
		return nil, errors.New("sign: nil signer")
	}
	now := time.Now()
	if opt.Time.IsZero() {
		opt.Time = now
	}
	// Both clocks matter: the CMS signing time is the wall clock (pkcs7
	// sets it), /M is opt.Time; a verifier rejects either outside the
	// certificate's validity.
	for _, t := range []time.Time{now, opt.Time} {
		if t.After(s.cert.NotAfter) {
			return nil, fmt.Errorf("%w: valid until %s, signing at %s", ErrExpired,
				s.cert.NotAfter.UTC().Format(time.RFC3339), t.UTC().Format(time.RFC3339))
		}
		if t.Before(s.cert.NotBefore) {
			return nil, fmt.Errorf("%w: valid from %s, signing at %s", ErrNotYetValid,
				s.cert.NotBefore.UTC().Format(time.RFC3339), t.UTC().Format(time.RFC3339))
		}
	}
	if opt.Name == "" {
		opt.Name = s.Info().Owner
	}

	rdr, err := newPDFReader(pdfData)
	if err != nil {
		return nil, fmt.Errorf("sign: read PDF: %w", err)
	}
	adoptCatalogVersion(rdr)
	data := pdfsign.SignData{
		Signature: pdfsign.SignDataSignature{
			Info: pdfsign.SignDataSignatureInfo{
				Name:     pdfText(opt.Name),
				Location: pdfText(opt.Location),
				Reason:   pdfText(opt.Reason),
				Date:     opt.Time,
			},
			// The first signature is a certification (author) signature,
			// as the issuing organization makes; P=2 still permits later
			// signatures (a co-signatory), which are approval signatures
			// since a document has at most one certification.
			CertType:   pdfsign.CertificationSignature,
			DocMDPPerm: pdfsign.AllowFillingExistingFormFieldsAndSignaturesPerms,
		},
		Signer:            s.key,
		DigestAlgorithm:   crypto.SHA256,
		Certificate:       s.cert,
		CertificateChains: [][]*x509.Certificate{append([]*x509.Certificate{s.cert}, s.chain...)},
	}
	resign, err := hasSignatureFields(rdr)
	if err != nil {
		return nil, fmt.Errorf("sign: read PDF: %w", err)
	}
	if resign {
		data.Signature.CertType = pdfsign.ApprovalSignature
	}
	var out bytes.Buffer
	if err := signPDF(pdfData, &out, rdr, data, resign); err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	// Check our own output before anyone archives it: pdfsign has failure
	// modes that return no error (see signPDF).
	if err := checkSigned(out.Bytes()); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// signPDF calls pdfsign, turning its panics (it indexes into the parsed
// PDF without checks) into errors: a malformed input must fail one
// request, not the worker.
//
// pdfsign.Sign reserves /Contents from an estimate that is too small for
// RSA keys over 2048 bits; its retry then reuses the state of the first
// attempt and writes a damaged file twice. For a document without earlier
// signatures (what our renderer produces) the signing context is set up
// here with room to spare, so no retry happens. pdfsign.Sign is still
// needed for documents signed before, because only it lists their
// signature fields in the new AcroForm.
func signPDF(pdfData []byte, out io.Writer, rdr *pdf.Reader, data pdfsign.SignData, resign bool) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("pdfsign failed: %v", r)
		}
	}()
	in := bytes.NewReader(pdfData)
	if resign {
		return pdfsign.Sign(in, out, rdr, int64(len(pdfData)), data)
	}
	ctx := pdfsign.SignContext{
		PDFReader:  rdr,
		InputFile:  in,
		OutputFile: out,
		SignData:   data,
		// Hex digits for everything but the certificates, which pdfsign
		// adds itself: the signature value, signed attributes with the
		// ESS certificate hash, and ASN.1 framing, with a margin.
		SignatureMaxLengthBase: uint32(hex.EncodedLen(signatureSize(data.Signer) + 1536)),
	}
	return ctx.SignPDF()
}

// signatureSize is the largest signature value key can make, in bytes.
func signatureSize(key crypto.Signer) int {
	switch pub := key.Public().(type) {
	case *rsa.PublicKey:
		return pub.Size()
	case *ecdsa.PublicKey:
		return 2*((pub.Curve.Params().BitSize+7)/8) + 9 // DER SEQUENCE of two INTEGERs
	}
	return 1024
}

// hasSignatureFields reports whether the AcroForm already lists a
// signature field, the same test pdfsign makes.
func hasSignatureFields(rdr *pdf.Reader) (found bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("malformed AcroForm: %v", r)
		}
	}()
	fields := rdr.Trailer().Key("Root").Key("AcroForm").Key("Fields")
	for i := 0; i < fields.Len(); i++ {
		if fields.Index(i).Key("FT").Name() == "Sig" {
			return true, nil
		}
	}
	return false, nil
}

// ErrSignatureBroken: pdfsign produced a file whose new signature does not
// verify; nothing is returned rather than a damaged record.
var ErrSignatureBroken = errors.New("sign: the signed PDF failed its own verification")

func checkSigned(signed []byte) error {
	r, err := VerifyPDF(signed)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrSignatureBroken, err)
	}
	newest := r
	for _, s := range r.Signatures {
		if s.CoversWholeFile {
			newest = s
		}
	}
	if newest.Status != Valid || !newest.CoversWholeFile {
		return fmt.Errorf("%w: %s (%s)", ErrSignatureBroken, newest.Status, newest.Reason)
	}
	return nil
}

func newPDFReader(data []byte) (rdr *pdf.Reader, err error) {
	defer func() {
		if r := recover(); r != nil {
			rdr, err = nil, fmt.Errorf("malformed PDF: %v", r)
		}
	}()
	return pdf.NewReader(bytes.NewReader(data), int64(len(data)))
}

// adoptCatalogVersion works around pdfsign writing /Version /1.5 into the
// new catalog whenever the file header says less, while also copying the
// old catalog's /Version: a PDF 1.3 file signed twice would get the key
// twice (qpdf warns). pdfsign reads the version from the reader, so the
// reader is told the catalog's version instead; the bytes stay as they are.
func adoptCatalogVersion(rdr *pdf.Reader) {
	defer func() { _ = recover() }() // a missing Root is pdfsign's error to report
	header, err := strconv.ParseFloat(rdr.PDFVersion, 64)
	if err != nil {
		return
	}
	v := rdr.Trailer().Key("Root").Key("Version").Name()
	if catalog, err := strconv.ParseFloat(v, 64); err == nil && catalog > header {
		rdr.PDFVersion = v
	}
}

// pdfText makes s safe for pdfsign, which writes a non-ASCII string as raw
// UTF-16BE between parentheses without escaping. Some code units contain
// the bytes of "(", ")" or "\" — Ш is U+0428, Щ is U+0429 — which would
// end the string early and corrupt the signature dictionary. Such strings
// are transliterated (ICAO Doc 9303, as in Russian passports); the exact
// Cyrillic name remains in the certificate and in the visible mark.
func pdfText(s string) string {
	if utf16Safe(s) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if t, ok := icao[r]; ok {
			b.WriteString(t)
		} else if r < 0x80 {
			b.WriteRune(r)
		} else if utf16Safe(string(r)) {
			b.WriteRune(r)
		} else {
			b.WriteByte('?')
		}
	}
	out := b.String()
	if !utf16Safe(out) { // mixed text whose safe runes still form a bad pair
		return strings.Map(func(r rune) rune {
			if r >= 0x80 {
				return '?'
			}
			return r
		}, out)
	}
	return out
}

// utf16Safe reports whether pdfsign can write s verbatim: ASCII (which it
// escapes itself) or UTF-16 with no byte that is special in a PDF literal
// string.
func utf16Safe(s string) bool {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return true
	}
	for _, r := range s {
		var units []uint16
		if r >= 0x10000 {
			r -= 0x10000
			units = []uint16{uint16(0xD800 + (r >> 10)), uint16(0xDC00 + (r & 0x3FF))}
		} else {
			units = []uint16{uint16(r)}
		}
		for _, u := range units {
			for _, b := range []byte{byte(u >> 8), byte(u)} {
				switch b {
				case '(', ')', '\\', '\r':
					return false
				}
			}
		}
	}
	return true
}

var icao = map[rune]string{
	'А': "A", 'Б': "B", 'В': "V", 'Г': "G", 'Д': "D", 'Е': "E", 'Ё': "E", 'Ж': "Zh", 'З': "Z",
	'И': "I", 'Й': "I", 'К': "K", 'Л': "L", 'М': "M", 'Н': "N", 'О': "O", 'П': "P", 'Р': "R",
	'С': "S", 'Т': "T", 'У': "U", 'Ф': "F", 'Х': "Kh", 'Ц': "Ts", 'Ч': "Ch", 'Ш': "Sh", 'Щ': "Shch",
	'Ъ': "Ie", 'Ы': "Y", 'Ь': "", 'Э': "E", 'Ю': "Iu", 'Я': "Ia",
	'а': "a", 'б': "b", 'в': "v", 'г': "g", 'д': "d", 'е': "e", 'ё': "e", 'ж': "zh", 'з': "z",
	'и': "i", 'й': "i", 'к': "k", 'л': "l", 'м': "m", 'н': "n", 'о': "o", 'п': "p", 'р': "r",
	'с': "s", 'т': "t", 'у': "u", 'ф': "f", 'х': "kh", 'ц': "ts", 'ч': "ch", 'ш': "sh", 'щ': "shch",
	'ъ': "ie", 'ы': "y", 'ь': "", 'э': "e", 'ю': "iu", 'я': "ia",
	'«': "\"", '»': "\"", '№': "No", '—': "-", '–': "-",
}

var (
	oidSurname    = asn1.ObjectIdentifier{2, 5, 4, 4}
	oidGivenName  = asn1.ObjectIdentifier{2, 5, 4, 42}
	oidCommonName = asn1.ObjectIdentifier{2, 5, 4, 3}
)

func certInfo(c *x509.Certificate) CertInfo {
	if c == nil {
		return CertInfo{}
	}
	return CertInfo{
		Serial:    strings.ToUpper(hex.EncodeToString(c.SerialNumber.Bytes())),
		Owner:     ownerName(c.Subject),
		Issuer:    issuerName(c.Issuer),
		ValidFrom: c.NotBefore,
		ValidTo:   c.NotAfter,
	}
}

// ownerName prefers surname + given name: in a Russian qualified
// certificate of an official the CN is often the organization, while SN
// and G (which holds name and patronymic) name the person who signs.
func ownerName(n pkix.Name) string {
	sn, g := attr(n, oidSurname), attr(n, oidGivenName)
	if sn != "" && g != "" {
		return sn + " " + g
	}
	if cn := attr(n, oidCommonName); cn != "" {
		return cn
	}
	if sn != "" {
		return sn
	}
	if len(n.Organization) > 0 {
		return n.Organization[0]
	}
	return n.String()
}

func issuerName(n pkix.Name) string {
	if cn := attr(n, oidCommonName); cn != "" {
		return cn
	}
	if len(n.Organization) > 0 {
		return n.Organization[0]
	}
	return n.String()
}

func attr(n pkix.Name, oid asn1.ObjectIdentifier) string {
	for _, a := range n.Names {
		if a.Type.Equal(oid) {
			if s, ok := a.Value.(string); ok {
				return strings.TrimSpace(s)
			}
		}
	}
	return ""
}
