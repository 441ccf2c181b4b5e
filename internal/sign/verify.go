package sign

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/subtle"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/digitorus/pkcs7"

	"orders/internal/ru"
)

// Status is the outcome of a verification. The zero value is NotVerified,
// so a Result that was never filled in cannot claim anything.
type Status int

const (
	// NotVerified: the check could not be made here (GOST, an
	// unsupported algorithm, no certificate). Says nothing either way.
	NotVerified Status = iota
	// Valid: the digest over the document and the signature over it were
	// both computed here and matched.
	Valid
	// Invalid: the document or the signature does not match.
	Invalid
)

func (s Status) String() string {
	switch s {
	case Valid:
		return "valid"
	case Invalid:
		return "invalid"
	default:
		return "not_verified"
	}
}

// MarshalText makes Status a readable JSON string.
func (s Status) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Result reports a verification for the user. Reason is in Russian and
// says what was and was not checked.
type Result struct {
	Status             Status
	Reason             string
	Signer             CertInfo
	SignedAt           *time.Time // the signer's signing-time attribute, unverified
	DigestAlgorithm    string
	SignatureAlgorithm string
	CoversWholeFile    bool // PDF: the newest signature's ByteRange spans the whole file but its Contents
	// ByteRange is a PDF signature's /ByteRange as checked: the signed bytes are
	// [0, ByteRange[1]) and [ByteRange[2], ByteRange[2]+ByteRange[3]).
	ByteRange [4]int64

	// OtherDocument: the signature is intact but was made over other bytes
	// than the ones checked (the digest differs).
	OtherDocument bool

	// Trust is whether the signer's certificate leads to a trusted root;
	// checked only for a Valid signature. TrustReason says why, in Russian.
	Trust       Trust
	TrustReason string

	// DigestVerified: the document's digest was computed here and equals
	// the one the signer signed. SignatureVerified: the signature itself
	// was checked against the certificate's key. Valid needs both.
	DigestVerified    bool
	SignatureVerified bool

	// Signatures holds one Result per signature when there are several
	// (a PDF signed more than once, a CMS with co-signers); the fields
	// above then summarize: the worst status, the newest PDF signature.
	Signatures []Result
}

// Errors of VerifyPDF and VerifyDetached: input that holds no signature to
// report on. A signature that is present but wrong is a Result, not an
// error.
var (
	ErrNoSignature        = errors.New("sign: the PDF has no electronic signature")
	ErrMalformedSignature = errors.New("sign: not a CMS/PKCS#7 signature")
)

// reasonUnbound: the signature checks out with the key in the certificate,
// but nothing confirms the rest of the certificate (the owner's name).
const reasonUnbound = "Сертификат не связан с подписью атрибутом signing-certificate, а его издатель к подписи не приложен: сведения о владельце не подтверждены."

// VerifyDetached checks a detached CMS signature (a .sig file: DER, PEM or
// bare base64, as КриптоПРО and similar tools save it) over data, the
// stored PDF bytes.
func VerifyDetached(data, sig []byte) (Result, error) {
	return defaultVerifier.VerifyDetached(context.Background(), data, sig)
}

// VerifyDetached is the package function with this installation's roots
// and OpenSSL.
func (v *Verifier) VerifyDetached(ctx context.Context, data, sig []byte) (Result, error) {
	der, err := decodeCMS(sig)
	if err != nil {
		return Result{}, err
	}
	return v.verifyCMS(ctx, der, data, true)
}

// decodeCMS accepts DER, PEM with any label, or bare base64 (with line
// breaks), and returns DER cut to its outer length.
func decodeCMS(sig []byte) ([]byte, error) {
	// Only the start is trimmed here: trailing bytes of DER may look like
	// white space, and the DER length decides where it ends.
	s := bytes.TrimLeft(bytes.TrimPrefix(sig, []byte("\xef\xbb\xbf")), " \t\r\n")
	if len(bytes.TrimSpace(s)) == 0 {
		return nil, fmt.Errorf("%w: empty", ErrMalformedSignature)
	}
	var der []byte
	switch {
	case s[0] == 0x30:
		der = s
	case bytes.Contains(s, []byte("-----BEGIN")):
		block, _ := pem.Decode(s)
		if block == nil {
			return nil, fmt.Errorf("%w: broken PEM", ErrMalformedSignature)
		}
		der = block.Bytes
	default:
		compact := bytes.Map(func(r rune) rune {
			if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
				return -1
			}
			return r
		}, s)
		d, err := base64.StdEncoding.DecodeString(string(compact))
		if err != nil {
			d, err = base64.RawStdEncoding.DecodeString(string(compact))
		}
		if err != nil {
			return nil, fmt.Errorf("%w: neither DER, PEM nor base64", ErrMalformedSignature)
		}
		der = d
	}
	if len(der) == 0 || der[0] != 0x30 {
		return nil, fmt.Errorf("%w: does not start with an ASN.1 SEQUENCE", ErrMalformedSignature)
	}
	if n, ok := derLength(der); ok && n <= len(der) {
		der = der[:n]
	}
	return der, nil
}

// derLength returns the length of the first TLV in b, false for BER's
// indefinite length or a truncated header.
func derLength(b []byte) (int, bool) {
	if len(b) < 2 {
		return 0, false
	}
	l := int(b[1])
	if l < 0x80 {
		return 2 + l, true
	}
	n := l & 0x7f
	if n == 0 || n > 4 || len(b) < 2+n {
		return 0, false
	}
	l = 0
	for _, c := range b[2 : 2+n] {
		l = l<<8 | int(c)
	}
	return 2 + n + l, true
}

// verifyCMS checks every SignerInfo of der over content. With
// allowAttached a CMS may carry its own content (an "attached" .sig), which
// must then be content itself; a PDF signature must not.
func (v *Verifier) verifyCMS(ctx context.Context, der, content []byte, allowAttached bool) (Result, error) {
	p7, err := parsePKCS7(der)
	if err != nil {
		if containsGOSTOID(der) {
			// Unparseable, but clearly GOST: say what we can, claim nothing.
			return Result{Status: NotVerified, Reason: reasonGOSTUnparsed}, nil
		}
		return Result{}, fmt.Errorf("%w: %v", ErrMalformedSignature, err)
	}
	if len(p7.Signers) == 0 {
		if containsGOSTOID(der) {
			return Result{Status: NotVerified, Reason: reasonGOSTUnparsed}, nil
		}
		return Result{}, fmt.Errorf("%w: no SignerInfo", ErrMalformedSignature)
	}
	if len(p7.Content) > 0 {
		if !allowAttached || !bytes.Equal(p7.Content, content) {
			return Result{Status: Invalid, Reason: "подпись содержит другой документ, а не проверяемый файл."}, nil
		}
	}
	raw := parseRawCMS(der)
	if _, definite := derLength(der); raw == nil && definite {
		// pkcs7 ignores some parse errors; a CMS in DER form that a
		// strict parser rejects has been damaged.
		return Result{Status: Invalid, Reason: "структура подписи повреждена: нарушена DER-кодировка CMS."}, nil
	}
	if raw != nil {
		if reason := raw.structureProblem(p7); reason != "" {
			return Result{Status: Invalid, Reason: "структура подписи повреждена: " + reason + "."}, nil
		}
	}
	// OpenSSL checks the whole CMS at once; run it at most once per CMS.
	var (
		gostDone    bool
		gostRes     gostOutcome
		gostDetail  string
		gostChecker = func() (gostOutcome, string) {
			if !gostDone {
				gostRes, gostDetail = v.gostVerify(ctx, der, content, nil, time.Time{})
				gostDone = true
			}
			return gostRes, gostDetail
		}
	)
	results := make([]Result, len(p7.Signers))
	for i := range p7.Signers {
		var (
			rawAttrs []byte
			eType    asn1.ObjectIdentifier
		)
		if raw != nil {
			rawAttrs, eType = raw.signedAttrs[i], raw.eContentType
		}
		results[i] = verifySigner(p7, i, rawAttrs, eType, content, gostChecker)
		v.judgeTrust(ctx, &results[i], p7, i, der, content)
		trustBinds(&results[i])
	}
	return summarize(results, 0), nil
}

// judgeTrust fills r's Trust for a valid signature: Go's x509 for RSA and
// ECDSA chains, OpenSSL for GOST ones (Go parses GOST certificates but
// cannot check their signatures).
func (v *Verifier) judgeTrust(ctx context.Context, r *Result, p7 *pkcs7.PKCS7, i int, der, content []byte) {
	if r.Status != Valid {
		r.Trust, r.TrustReason = TrustNotChecked, ""
		return
	}
	if len(v.Roots) == 0 {
		r.Trust, r.TrustReason = TrustNotChecked, ReasonNoRoots
		return
	}
	// The chain is judged now, when the signature is taken in, not at the signing-time the
	// signer claims: that attribute is unverified, and a backdated one would let an expired
	// certificate pass.
	at := time.Now()
	si := p7.Signers[i]
	cert := findCert(p7.Certificates, si.IssuerAndSerialNumber.IssuerName.FullBytes, si.IssuerAndSerialNumber.SerialNumber)
	if cert != nil && (isGOST(spkiAlgorithm(cert)) || isGOST(si.DigestEncryptionAlgorithm.Algorithm)) {
		switch o, detail := v.gostVerify(ctx, der, content, pemRoots(v), at); o {
		case gostOK:
			r.Trust, r.TrustReason = Trusted, "сертификат выдан доверенным удостоверяющим центром"
		case gostBadChain:
			r.Trust, r.TrustReason = Untrusted, chainReason(detail)
		default:
			r.Trust, r.TrustReason = Untrusted, "цепочка сертификата не проверена: "+detail
		}
		return
	}
	r.Trust, r.TrustReason = v.CheckTrust(ctx, cert, p7.Certificates, at)
}

// trustBinds: a chain verified to a trusted root proves the certificate
// intact and its owner's name the issuer's, which is what reasonUnbound
// says could not be confirmed.
func trustBinds(r *Result) {
	if r.Trust == Trusted {
		r.Reason = strings.TrimSpace(strings.ReplaceAll(r.Reason, reasonUnbound, ""))
	}
}

func parsePKCS7(der []byte) (p7 *pkcs7.PKCS7, err error) {
	defer func() { // pkcs7's BER converter indexes without bounds checks
		if r := recover(); r != nil {
			p7, err = nil, fmt.Errorf("pkcs7: %v", r)
		}
	}()
	return pkcs7.Parse(der)
}

// verifySigner checks one SignerInfo. The order of the checks decides
// what can be claimed: the digest first (a mismatch is definite whatever
// the signature algorithm), then the signature where we can compute it.
func verifySigner(p7 *pkcs7.PKCS7, i int, rawAttrs []byte, eContentType asn1.ObjectIdentifier, content []byte,
	gostCheck func() (gostOutcome, string)) Result {
	si := p7.Signers[i]
	var r Result
	digestOID := si.DigestAlgorithm.Algorithm
	sigOID := si.DigestEncryptionAlgorithm.Algorithm
	r.DigestAlgorithm = digestName(digestOID)
	r.SignatureAlgorithm = signatureName(sigOID)

	cert := findCert(p7.Certificates, si.IssuerAndSerialNumber.IssuerName.FullBytes, si.IssuerAndSerialNumber.SerialNumber)
	var keyOID asn1.ObjectIdentifier
	if cert != nil {
		r.Signer = certInfo(cert)
		keyOID = spkiAlgorithm(cert)
	}
	var attrs []attribute
	for _, a := range si.AuthenticatedAttributes {
		attrs = append(attrs, attribute{Type: a.Type, Value: a.Value})
	}
	if t, ok := signingTime(attrs); ok {
		r.SignedAt = &t
	}
	gost := isGOST(sigOID) || isGOST(keyOID)
	if gost {
		if isGOST(sigOID) {
			r.SignatureAlgorithm = signatureName(sigOID)
		} else {
			r.SignatureAlgorithm = signatureName(keyOID)
		}
	}

	// Digest. A GOST (Streebog) digest is OpenSSL's to check, together
	// with the GOST signature.
	if isGOST(digestOID) && !gost {
		r.Status = NotVerified
		r.Reason = "алгоритм хеширования " + r.DigestAlgorithm + " не поддерживается сервисом; проверьте подпись в КриптоПРО. " +
			"Не проверено ни соответствие подписи файлу, ни сама подпись."
		return r
	}
	if gost && isGOST(digestOID) {
		return gostResult(r, cert, attrs, gostCheck)
	}
	alg, ok := digestAlgorithms[digestOID.String()]
	if !ok || alg.hash == 0 || !alg.hash.Available() {
		r.Reason = "алгоритм хеширования " + r.DigestAlgorithm + " не поддерживается сервисом; подпись не проверена."
		return r
	}
	h := alg.hash.New()
	h.Write(content)
	sum := h.Sum(nil)
	if len(attrs) > 0 {
		var md []byte
		if !attrValue(attrs, oidAttrMessageDigest, &md) {
			r.Status = Invalid
			r.Reason = "в подписи нет атрибута messageDigest: она не связана с документом."
			return r
		}
		if subtle.ConstantTimeCompare(md, sum) != 1 {
			r.Status, r.OtherDocument = Invalid, true
			r.Reason = "документ не совпадает с подписанным: хеш (" + r.DigestAlgorithm + ") отличается — файл изменён после подписания или подпись относится к другому документу."
			return r
		}
		r.DigestVerified = true
	}

	// Signature.
	if gost {
		return gostResult(r, cert, attrs, gostCheck)
	}
	if cert == nil && len(p7.Certificates) > 0 {
		// Certificates are there but none is the signer's: the signer
		// identifier or the certificates were altered.
		r.Status = Invalid
		r.Reason = "подпись повреждена: ни один из включённых в неё сертификатов не принадлежит подписанту."
		return r
	}
	if cert == nil {
		r.Reason = "сертификат подписанта не включён в подпись, поэтому подпись не проверена."
		if r.DigestVerified {
			r.Reason += " Хеш документа совпадает с подписанным."
		}
		return r
	}
	reason, bound := certProblem(cert, p7.Certificates, attrs)
	if reason != "" {
		r.Status = Invalid
		r.Reason = reason
		return r
	}
	if reason := contentTypeProblem(attrs, eContentType); reason != "" {
		r.Status = Invalid
		r.Reason = reason
		return r
	}
	var signed []byte
	if len(attrs) > 0 {
		enc, err := marshalAttrs(attrs)
		if err != nil {
			r.Status = Invalid
			r.Reason = "подписанные атрибуты повреждены."
			return r
		}
		signed = enc
	} else {
		signed = content
	}
	candidates := [][]byte{signed}
	if len(attrs) > 0 && len(rawAttrs) > 0 && !bytes.Equal(rawAttrs, signed) {
		// The signer's own encoding, if it was not canonical DER.
		candidates = append([][]byte{rawAttrs}, candidates...)
	}
	var verr error
	for _, c := range candidates {
		if verr = checkSignature(cert, sigOID, alg.hash, si.DigestEncryptionAlgorithm, c, si.EncryptedDigest); verr == nil {
			break
		}
	}
	if errors.Is(verr, errUnsupportedSignature) {
		r.Reason = "алгоритм подписи " + r.SignatureAlgorithm + " не поддерживается сервисом; подпись не проверена."
		if r.DigestVerified {
			r.Reason += " Хеш документа совпадает с подписанным."
		}
		return r
	}
	if errors.Is(verr, errAlgorithmMismatch) {
		r.Status = Invalid
		r.Reason = "подпись повреждена: алгоритм подписи " + r.SignatureAlgorithm + " не соответствует ключу сертификата."
		return r
	}
	if verr != nil {
		r.Status = Invalid
		r.Reason = "подпись не соответствует документу или сертификату: проверка подписи " + r.SignatureAlgorithm + " не прошла."
		return r
	}
	r.SignatureVerified = true
	if len(attrs) == 0 {
		r.DigestVerified = true // the signature was made over the content itself
	}
	if why := outsideValidity(r.SignedAt, cert); why != "" {
		r.Status, r.Reason = Invalid, why
		return r
	}
	r.Status = Valid
	r.Reason = "подпись верна: документ не изменялся после подписания."
	if !bound {
		r.Reason += " " + reasonUnbound
	}
	return r
}

var (
	errUnsupportedSignature = errors.New("unsupported signature algorithm")
	// errAlgorithmMismatch: the key is one we verify, but the signature
	// algorithm identifier names something else or nothing known. The
	// identifier is outside what the signature covers, so this is a
	// damaged or non-conforming CMS, not an algorithm we lack.
	errAlgorithmMismatch = errors.New("signature algorithm does not fit the key")
)

func checkSignature(cert *x509.Certificate, sigOID asn1.ObjectIdentifier, digestHash crypto.Hash,
	sigAlg pkix.AlgorithmIdentifier, signed, sig []byte) error {
	hash := digestHash
	if a, ok := signatureAlgorithms[sigOID.String()]; ok && a.hash != 0 {
		hash = a.hash // ecdsa-with-SHA384 and the like name their own hash
	}
	digest := func(hash crypto.Hash) []byte {
		h := hash.New()
		h.Write(signed)
		return h.Sum(nil)
	}
	switch pub := cert.PublicKey.(type) {
	case *rsa.PublicKey:
		if sigOID.Equal(oidRSAPSS) {
			opts, h, err := pssOptions(sigAlg)
			if err != nil {
				return errUnsupportedSignature
			}
			return rsa.VerifyPSS(pub, h, digest(h), sig, opts)
		}
		if signatureName(sigOID) != "RSA" {
			return errAlgorithmMismatch
		}
		return rsa.VerifyPKCS1v15(pub, hash, digest(hash), sig)
	case *ecdsa.PublicKey:
		if signatureName(sigOID) != "ECDSA" {
			return errAlgorithmMismatch
		}
		if !ecdsa.VerifyASN1(pub, digest(hash), sig) {
			return errors.New("ecdsa: verification error")
		}
		return nil
	case ed25519.PublicKey:
		if !sigOID.Equal(oidEd25519) {
			return errAlgorithmMismatch
		}
		if !ed25519.Verify(pub, signed, sig) {
			return errors.New("ed25519: verification error")
		}
		return nil
	}
	return errUnsupportedSignature
}

// pssOptions reads RSASSA-PSS-params (RFC 4055). Absent fields take the
// ASN.1 defaults: SHA-1, MGF1 with SHA-1, salt 20.
func pssOptions(alg pkix.AlgorithmIdentifier) (*rsa.PSSOptions, crypto.Hash, error) {
	var params struct {
		Hash       pkix.AlgorithmIdentifier `asn1:"optional,explicit,tag:0"`
		MGF        pkix.AlgorithmIdentifier `asn1:"optional,explicit,tag:1"`
		SaltLength int                      `asn1:"optional,explicit,tag:2,default:20"`
		Trailer    int                      `asn1:"optional,explicit,tag:3,default:1"`
	}
	params.SaltLength, params.Trailer = 20, 1
	if len(alg.Parameters.FullBytes) > 0 {
		if _, err := asn1.Unmarshal(alg.Parameters.FullBytes, &params); err != nil {
			return nil, 0, err
		}
	}
	hash := crypto.SHA1
	if len(params.Hash.Algorithm) > 0 {
		a, ok := digestAlgorithms[params.Hash.Algorithm.String()]
		if !ok || a.hash == 0 {
			return nil, 0, errUnsupportedSignature
		}
		hash = a.hash
	}
	if len(params.MGF.Algorithm) > 0 {
		var mgfHash pkix.AlgorithmIdentifier
		if !params.MGF.Algorithm.Equal(oidMGF1) {
			return nil, 0, errUnsupportedSignature
		}
		if _, err := asn1.Unmarshal(params.MGF.Parameters.FullBytes, &mgfHash); err != nil {
			return nil, 0, err
		}
		// Go's rsa uses the signature hash for MGF1 as well.
		if a := digestAlgorithms[mgfHash.Algorithm.String()]; a.hash != hash {
			return nil, 0, errUnsupportedSignature
		}
	} else if hash != crypto.SHA1 {
		return nil, 0, errUnsupportedSignature
	}
	if params.Trailer != 1 {
		return nil, 0, errUnsupportedSignature
	}
	return &rsa.PSSOptions{SaltLength: params.SaltLength, Hash: hash}, hash, nil
}

func findCert(certs []*x509.Certificate, rawIssuer []byte, serial *big.Int) *x509.Certificate {
	if serial == nil {
		return nil
	}
	// Byte equality, as pkcs7 does: a name re-encoded by the signer's
	// software would be a broken CMS, and a looser match would let a
	// damaged identifier pass.
	for _, c := range certs {
		if c.SerialNumber.Cmp(serial) == 0 && bytes.Equal(c.RawIssuer, rawIssuer) {
			return c
		}
	}
	return nil
}

// spkiAlgorithm returns the key algorithm OID of cert, which x509 does not
// expose for keys it does not know (GOST).
func spkiAlgorithm(c *x509.Certificate) asn1.ObjectIdentifier {
	var spki struct {
		Algorithm pkix.AlgorithmIdentifier
		Key       asn1.BitString
	}
	if _, err := asn1.Unmarshal(c.RawSubjectPublicKeyInfo, &spki); err != nil {
		return nil
	}
	return spki.Algorithm.Algorithm
}

// attribute mirrors pkcs7's unexported attribute type so that signed
// attributes can be re-encoded for the signature check.
type attribute struct {
	Type  asn1.ObjectIdentifier
	Value asn1.RawValue `asn1:"set"`
}

// marshalAttrs DER-encodes attrs as the SET OF that the signature covers
// (RFC 5652, 5.4: the [0] IMPLICIT tag is replaced by SET).
func marshalAttrs(attrs []attribute) ([]byte, error) {
	enc, err := asn1.Marshal(struct {
		A []attribute `asn1:"set"`
	}{A: attrs})
	if err != nil {
		return nil, err
	}
	var raw asn1.RawValue
	if _, err := asn1.Unmarshal(enc, &raw); err != nil {
		return nil, err
	}
	return raw.Bytes, nil
}

func attrValue(attrs []attribute, oid asn1.ObjectIdentifier, out any) bool {
	for _, a := range attrs {
		if a.Type.Equal(oid) {
			rest, err := asn1.Unmarshal(a.Value.Bytes, out)
			return err == nil && len(rest) == 0
		}
	}
	return false
}

func signingTime(attrs []attribute) (time.Time, bool) {
	var t time.Time
	if attrValue(attrs, oidAttrSigningTime, &t) {
		return t, true
	}
	return time.Time{}, false
}

// rawCMS is the SignedData as encoded, for what pkcs7 does not expose:
// the signed attributes' exact bytes and the fields that no signature
// covers but that must agree with the signed ones.
type rawCMS struct {
	version          int
	digestAlgorithms []pkix.AlgorithmIdentifier
	eContentType     asn1.ObjectIdentifier
	signerVersions   []int
	signerDigests    []asn1.ObjectIdentifier
	signedAttrs      [][]byte // per SignerInfo, tagged as SET; nil without attributes
}

// parseRawCMS returns nil where the strict DER parse fails (BER input:
// pkcs7 converts it, and only the re-encoded attributes are checked).
func parseRawCMS(der []byte) *rawCMS {
	// Extra catches an element after the last field, which encoding/asn1
	// would otherwise skip: a grown outer length swallows the zero
	// padding of /Contents that way.
	var ci struct {
		ContentType asn1.ObjectIdentifier
		Content     asn1.RawValue `asn1:"explicit,tag:0"`
		Extra       asn1.RawValue `asn1:"optional"`
	}
	if rest, err := asn1.Unmarshal(der, &ci); err != nil || len(rest) > 0 || len(ci.Extra.FullBytes) > 0 {
		return nil
	}
	var sd struct {
		Version          int
		DigestAlgorithms []pkix.AlgorithmIdentifier `asn1:"set"`
		EncapContentInfo struct {
			ContentType asn1.ObjectIdentifier
			Content     asn1.RawValue `asn1:"optional,explicit,tag:0"`
		}
		Certificates asn1.RawValue `asn1:"optional,tag:0"`
		CRLs         asn1.RawValue `asn1:"optional,tag:1"`
		SignerInfos  []struct {
			Version            int
			SID                asn1.RawValue
			DigestAlgorithm    pkix.AlgorithmIdentifier
			SignedAttrs        asn1.RawValue `asn1:"optional,tag:0"`
			SignatureAlgorithm pkix.AlgorithmIdentifier
			Signature          []byte
			UnsignedAttrs      asn1.RawValue `asn1:"optional,tag:1"`
		} `asn1:"set"`
		Extra asn1.RawValue `asn1:"optional"`
	}
	if rest, err := asn1.Unmarshal(ci.Content.Bytes, &sd); err != nil || len(rest) > 0 || len(sd.Extra.FullBytes) > 0 {
		return nil
	}
	raw := &rawCMS{version: sd.Version, digestAlgorithms: sd.DigestAlgorithms, eContentType: sd.EncapContentInfo.ContentType}
	for _, si := range sd.SignerInfos {
		raw.signerVersions = append(raw.signerVersions, si.Version)
		raw.signerDigests = append(raw.signerDigests, si.DigestAlgorithm.Algorithm)
		var b []byte
		if len(si.SignedAttrs.FullBytes) > 0 {
			b = append([]byte{}, si.SignedAttrs.FullBytes...)
			b[0] = 0x31 // SET, constructed
		}
		raw.signedAttrs = append(raw.signedAttrs, b)
	}
	return raw
}

// structureProblem checks the unsigned parts of SignedData against RFC
// 5652: a change there cannot break the signature, so without these
// checks a damaged signature could still pass.
func (r *rawCMS) structureProblem(p7 *pkcs7.PKCS7) string {
	switch r.version {
	case 1, 3, 4, 5:
	default:
		return fmt.Sprintf("недопустимая версия SignedData %d", r.version)
	}
	if len(r.signerVersions) != len(p7.Signers) {
		return "число подписантов не совпадает"
	}
	for i, v := range r.signerVersions {
		if v != 1 && v != 3 {
			return fmt.Sprintf("недопустимая версия SignerInfo %d", v)
		}
		listed := false
		for _, a := range r.digestAlgorithms {
			listed = listed || a.Algorithm.Equal(r.signerDigests[i])
		}
		if !listed {
			return "алгоритм хеширования подписанта не указан в digestAlgorithms"
		}
	}
	return ""
}

// contentTypeProblem: the signed content-type attribute must name the
// encapsulated content type (RFC 5652, 11.1).
func contentTypeProblem(attrs []attribute, eContentType asn1.ObjectIdentifier) string {
	if len(attrs) == 0 {
		return ""
	}
	var ct asn1.ObjectIdentifier
	if !attrValue(attrs, oidAttrContentType, &ct) {
		return "в подписи нет обязательного атрибута content-type: подпись повреждена."
	}
	if eContentType != nil && !eContentType.Equal(ct) {
		return "атрибут content-type не совпадает с типом содержимого: подпись повреждена."
	}
	return ""
}

var (
	oidAttrSigningCertificate   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 12}
	oidAttrSigningCertificateV2 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 47}
)

// certProblem checks that cert is the one the signer meant and that it is
// intact, and says whether that could be established (bound). The
// signing-certificate attributes (RFC 2634, RFC 5035; CAdES requires one)
// bind the certificate's hash into the signed attributes. Without them
// nothing in the signature covers the certificate, so its issuer's
// signature is checked where the issuer is at hand; otherwise the owner's
// name cannot be confirmed and the reason must say so.
func certProblem(cert *x509.Certificate, pool []*x509.Certificate, attrs []attribute) (problem string, bound bool) {
	if h, want, found, ok := essCertHash(attrs); found {
		if !ok {
			return "атрибут signing-certificate повреждён.", false
		}
		if h != 0 && h.Available() {
			d := h.New()
			d.Write(cert.Raw)
			if !bytes.Equal(d.Sum(nil), want) {
				return "сертификат в подписи не тот, которым она создана (не совпадает хеш в атрибуте signing-certificate).", false
			}
			return "", true
		}
	}
	candidates := 0
	for _, issuer := range append([]*x509.Certificate{cert}, pool...) {
		if !bytes.Equal(issuer.RawSubject, cert.RawIssuer) {
			continue
		}
		if len(cert.AuthorityKeyId) > 0 && len(issuer.SubjectKeyId) > 0 && !bytes.Equal(cert.AuthorityKeyId, issuer.SubjectKeyId) {
			continue // another key of an issuer with the same name
		}
		candidates++
		err := issuer.CheckSignature(cert.SignatureAlgorithm, cert.RawTBSCertificate, cert.Signature)
		if err == nil {
			return "", true
		}
		var insecure x509.InsecureAlgorithmError
		if errors.Is(err, x509.ErrUnsupportedAlgorithm) || errors.As(err, &insecure) {
			return "", false
		}
	}
	if candidates > 0 {
		return "сертификат подписанта в подписи повреждён: подпись его издателя на нём не сходится.", false
	}
	return "", false
}

// essCertHash reads the first certificate hash of a signing-certificate
// attribute: found says the attribute is there, ok that it parsed.
func essCertHash(attrs []attribute) (h crypto.Hash, want []byte, found, ok bool) {
	for _, a := range attrs {
		v2 := a.Type.Equal(oidAttrSigningCertificateV2)
		if !v2 && !a.Type.Equal(oidAttrSigningCertificate) {
			continue
		}
		var sc struct {
			Certs    []asn1.RawValue
			Policies asn1.RawValue `asn1:"optional"`
		}
		if rest, err := asn1.Unmarshal(a.Value.Bytes, &sc); err != nil || len(rest) > 0 || len(sc.Certs) == 0 {
			return 0, nil, true, false
		}
		body := sc.Certs[0].Bytes
		h = crypto.SHA1
		if v2 {
			h = crypto.SHA256 // the ASN.1 default of ESSCertIDv2
			var first asn1.RawValue
			if _, err := asn1.Unmarshal(body, &first); err != nil {
				return 0, nil, true, false
			}
			if first.Tag == asn1.TagSequence {
				var alg pkix.AlgorithmIdentifier
				rest, err := asn1.Unmarshal(body, &alg)
				if err != nil {
					return 0, nil, true, false
				}
				h = digestAlgorithms[alg.Algorithm.String()].hash // 0 (unknown, GOST): not checked
				body = rest
			}
		}
		if _, err := asn1.Unmarshal(body, &want); err != nil {
			return 0, nil, true, false
		}
		return h, want, true, true
	}
	return 0, nil, false, false
}

// containsGOSTOID spots the DER of an OID under 1.2.643 (06 len 2A 85 03).
func containsGOSTOID(der []byte) bool {
	for i := 0; i+4 < len(der); i++ {
		if der[i] == 0x06 && der[i+2] == 0x2A && der[i+3] == 0x85 && der[i+4] == 0x03 {
			return true
		}
	}
	return false
}

// summarize folds several results into one: the worst status wins
// (Invalid over NotVerified over Valid), and the fields come from
// results[main].
func summarize(results []Result, main int) Result {
	if len(results) == 1 {
		return results[0]
	}
	out := results[main]
	out.Signatures = results
	worst, n := Valid, map[Status]int{}
	for _, r := range results {
		n[r.Status]++
		if rank(r.Status) > rank(worst) {
			worst = r.Status
		}
	}
	out.Status = worst
	switch worst {
	case Valid:
		out.Reason = fmt.Sprintf("все подписи (%d) верны.", len(results))
	case Invalid:
		out.Reason = fmt.Sprintf("подписей: %d, из них неверных: %d. %s", len(results), n[Invalid], firstReason(results, Invalid))
	default:
		out.Reason = fmt.Sprintf("подписей: %d, из них не проверено: %d. %s", len(results), n[NotVerified], firstReason(results, NotVerified))
	}
	for _, r := range results {
		out.OtherDocument = out.OtherDocument || r.OtherDocument
	}
	out.DigestVerified, out.SignatureVerified = true, true
	// The least trust wins: a document is from trusted signers only if
	// every one of them is.
	out.Trust, out.TrustReason = results[main].Trust, results[main].TrustReason
	for _, r := range results {
		if r.Trust != Trusted && out.Trust == Trusted || r.Trust == Untrusted {
			out.Trust, out.TrustReason = r.Trust, r.TrustReason
		}
	}
	for _, r := range results {
		out.DigestVerified = out.DigestVerified && r.DigestVerified
		out.SignatureVerified = out.SignatureVerified && r.SignatureVerified
	}
	return out
}

func rank(s Status) int {
	switch s {
	case Invalid:
		return 2
	case NotVerified:
		return 1
	}
	return 0
}

func firstReason(results []Result, s Status) string {
	for _, r := range results {
		if r.Status == s {
			rs := []rune(r.Reason)
			if len(rs) == 0 {
				return ""
			}
			return strings.ToUpper(string(rs[:1])) + string(rs[1:])
		}
	}
	return ""
}

// byteRangeRe finds signature dictionaries in the raw file. A signature's
// /Contents must sit directly in the file for its ByteRange hole to exist,
// so a signature dictionary is never inside a compressed object stream
// and a byte scan finds every one, also in files whose xref a damaged
// byte has broken.
var byteRangeRe = regexp.MustCompile(`/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]`)

var (
	objStartRe  = regexp.MustCompile(`\d+\s+\d+\s+obj\b`)
	subFilterRe = regexp.MustCompile(`/SubFilter\s*/([A-Za-z0-9.#_\-]+)`)
	sigMarkerRe = regexp.MustCompile(`/Type\s*/Sig\b|/SubFilter\s*/|/ByteRange`)
)

type pdfSignature struct {
	br        [4]int64
	subFilter string
}

// VerifyPDF checks the signatures of a PDF signed elsewhere (or here).
// Each signature's ByteRange must start at 0 and leave out exactly its
// /Contents hex string; the newest signature must reach the end of the
// file (otherwise something was appended after signing and the result is
// Invalid even if every signature checks out).
func VerifyPDF(pdfData []byte) (Result, error) {
	return defaultVerifier.VerifyPDF(context.Background(), pdfData)
}

// VerifyPDF is the package function with this installation's roots and
// OpenSSL.
func (v *Verifier) VerifyPDF(ctx context.Context, pdfData []byte) (Result, error) {
	sigs := findPDFSignatures(pdfData)
	if len(sigs) == 0 {
		if sigMarkerRe.Match(pdfData) {
			// A signature dictionary is there but its ByteRange is not
			// readable: a damaged signature, not an unsigned file.
			return Result{Status: Invalid, Reason: "в файле есть подпись, но её структура повреждена: не найден ByteRange."}, nil
		}
		return Result{}, ErrNoSignature
	}
	results := make([]Result, len(sigs))
	newest := 0
	for i, s := range sigs {
		results[i] = v.verifyPDFSignature(ctx, pdfData, s)
		if s.br[2]+s.br[3] > sigs[newest].br[2]+sigs[newest].br[3] {
			newest = i
		}
	}
	out := summarize(results, newest)
	out.CoversWholeFile = results[newest].CoversWholeFile
	if !out.CoversWholeFile && out.Status != Invalid {
		out.Status = Invalid
		out.Reason = "после подписания в файл внесены изменения: подпись охватывает не весь документ (ByteRange заканчивается раньше конца файла). " + out.Reason
	}
	return out, nil
}

func findPDFSignatures(data []byte) []pdfSignature {
	var sigs []pdfSignature
	seen := map[[4]int64]bool{}
	for _, m := range byteRangeRe.FindAllSubmatchIndex(data, -1) {
		var s pdfSignature
		ok := true
		for k := range 4 {
			v, err := strconv.ParseInt(string(data[m[2+2*k]:m[3+2*k]]), 10, 64)
			if err != nil {
				ok = false
			}
			s.br[k] = v
		}
		if !ok || seen[s.br] {
			continue
		}
		seen[s.br] = true
		// The dictionary's other keys: search the enclosing object.
		start := 0
		if locs := objStartRe.FindAllIndex(data[max(0, m[0]-64<<10):m[0]], -1); len(locs) > 0 {
			start = max(0, m[0]-64<<10) + locs[len(locs)-1][0]
		}
		end := len(data)
		if e := bytes.Index(data[m[1]:], []byte("endobj")); e >= 0 {
			end = m[1] + e
		}
		if sf := subFilterRe.FindSubmatch(data[start:end]); sf != nil {
			s.subFilter = string(sf[1])
		}
		sigs = append(sigs, s)
	}
	return sigs
}

func (v *Verifier) verifyPDFSignature(ctx context.Context, data []byte, s pdfSignature) Result {
	size := int64(len(data))
	a, b, c, d := s.br[0], s.br[1], s.br[2], s.br[3]
	if a != 0 || b <= 0 || c < b+2 || d < 0 || c+d > size {
		return Result{Status: Invalid, Reason: fmt.Sprintf("повреждена структура подписи: недопустимый ByteRange [%d %d %d %d].", a, b, c, d)}
	}
	covers := c+d == size
	hole := data[b:c]
	if hole[0] != '<' || hole[len(hole)-1] != '>' {
		return Result{Status: Invalid, CoversWholeFile: covers,
			Reason: "повреждена структура подписи: вне подписанных байтов находится не только значение подписи."}
	}
	hexDigits := bytes.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\r', '\n', '\f':
			return -1
		}
		return r
	}, hole[1:len(hole)-1])
	cms := make([]byte, hex.DecodedLen(len(hexDigits)))
	if _, err := hex.Decode(cms, hexDigits); err != nil || len(hexDigits)%2 != 0 {
		return Result{Status: Invalid, CoversWholeFile: covers,
			Reason: "повреждена структура подписи: значение /Contents не является шестнадцатеричной строкой."}
	}
	// /Contents is padded with zeros up to the reserved size; anything
	// else after the CMS is data smuggled into the unsigned hole.
	if n, ok := derLength(cms); ok && n <= len(cms) {
		if len(bytes.Trim(cms[n:], "\x00")) > 0 {
			return Result{Status: Invalid, CoversWholeFile: covers,
				Reason: "повреждена подпись: после значения подписи в /Contents находятся посторонние данные."}
		}
		cms = cms[:n]
	} else if !ok {
		cms = bytes.TrimRight(cms, "\x00") // BER, indefinite length
	}
	signed := make([]byte, 0, b+d)
	signed = append(signed, data[a:a+b]...)
	signed = append(signed, data[c:c+d]...)

	var (
		r   Result
		err error
	)
	switch s.subFilter {
	case "adbe.pkcs7.sha1":
		// The CMS carries SHA-1(ranges) as its content.
		sum := sha1.Sum(signed)
		r, err = v.verifyCMS(ctx, cms, sum[:], true)
	case "ETSI.RFC3161", "adbe.x509.rsa_sha1":
		r = Result{Status: NotVerified, Reason: "тип подписи " + s.subFilter + " не поддерживается сервисом; подпись не проверена."}
	default:
		// adbe.pkcs7.detached, ETSI.CAdES.detached, and whatever else
		// holds a detached CMS (the SubFilter lies inside the signed
		// bytes, so a damaged one is caught by the digest).
		r, err = v.verifyCMS(ctx, cms, signed, false)
	}
	if err != nil {
		r = Result{Status: Invalid, Reason: "подпись повреждена: значение /Contents не разбирается как CMS."}
	}
	r.CoversWholeFile = covers
	r.ByteRange = s.br
	return r
}

// outsideValidity says why a signature made at signedAt is invalid under cert's validity
// period, or "" when it is within it (or the time is unknown).
func outsideValidity(signedAt *time.Time, cert *x509.Certificate) string {
	if signedAt == nil || (!signedAt.After(cert.NotAfter) && !signedAt.Before(cert.NotBefore)) {
		return ""
	}
	return fmt.Sprintf("подпись создана %s, вне срока действия сертификата (с %s по %s).",
		ru.DateTime(*signedAt), ru.NumericDate(cert.NotBefore.In(ru.Moscow)),
		ru.NumericDate(cert.NotAfter.In(ru.Moscow)))
}
