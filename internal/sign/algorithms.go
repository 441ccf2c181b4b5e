package sign

import (
	"crypto"
	"encoding/asn1"
	// Registered for crypto.Hash.New: CMS made elsewhere may use them.
	_ "crypto/sha1"
	_ "crypto/sha256"
	_ "crypto/sha3"
	_ "crypto/sha512"
)

var (
	oidSHA1   = asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}
	oidSHA224 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 4}
	oidSHA256 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidSHA384 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}
	oidSHA512 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}

	oidRSA          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidRSASHA1      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 5}
	oidRSASHA256    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}
	oidRSASHA384    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 12}
	oidRSASHA512    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 13}
	oidRSASHA224    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 14}
	oidRSAPSS       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 10}
	oidMGF1         = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 8}
	oidECPublicKey  = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidECDSASHA1    = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 1}
	oidECDSASHA224  = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 1}
	oidECDSASHA256  = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
	oidECDSASHA384  = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 3}
	oidECDSASHA512  = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 4}
	oidEd25519      = asn1.ObjectIdentifier{1, 3, 101, 112}
	oidGOSTArc      = asn1.ObjectIdentifier{1, 2, 643} // the Russian national arc: CryptoPro and TC 26
	oidGOST2012_256 = asn1.ObjectIdentifier{1, 2, 643, 7, 1, 1, 1, 1}
	oidGOST2012_512 = asn1.ObjectIdentifier{1, 2, 643, 7, 1, 1, 1, 2}

	oidAttrContentType   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	oidAttrMessageDigest = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
	oidAttrSigningTime   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 5}
)

type algorithm struct {
	name string
	hash crypto.Hash // the digest, or the one a signature OID names; 0 if none
}

var digestAlgorithms = map[string]algorithm{
	oidSHA1.String():   {"SHA-1", crypto.SHA1},
	oidSHA224.String(): {"SHA-224", crypto.SHA224},
	oidSHA256.String(): {"SHA-256", crypto.SHA256},
	oidSHA384.String(): {"SHA-384", crypto.SHA384},
	oidSHA512.String(): {"SHA-512", crypto.SHA512},
	// Some signers put a signature OID in the digest field; pkcs7 accepts
	// that too.
	oidRSA.String(): {"SHA-1", crypto.SHA1},

	"2.16.840.1.101.3.4.2.8":  {"SHA3-256", crypto.SHA3_256},
	"2.16.840.1.101.3.4.2.9":  {"SHA3-384", crypto.SHA3_384},
	"2.16.840.1.101.3.4.2.10": {"SHA3-512", crypto.SHA3_512},

	"1.2.643.7.1.1.2.2": {"ГОСТ Р 34.11-2012 «Стрибог» (256 бит)", 0},
	"1.2.643.7.1.1.2.3": {"ГОСТ Р 34.11-2012 «Стрибог» (512 бит)", 0},
	"1.2.643.2.2.9":     {"ГОСТ Р 34.11-94", 0},
}

var signatureAlgorithms = map[string]algorithm{
	oidRSA.String():         {"RSA", 0},
	oidRSASHA1.String():     {"RSA", crypto.SHA1},
	oidRSASHA224.String():   {"RSA", crypto.SHA224},
	oidRSASHA256.String():   {"RSA", crypto.SHA256},
	oidRSASHA384.String():   {"RSA", crypto.SHA384},
	oidRSASHA512.String():   {"RSA", crypto.SHA512},
	oidRSAPSS.String():      {"RSA-PSS", 0},
	oidECPublicKey.String(): {"ECDSA", 0},
	oidECDSASHA1.String():   {"ECDSA", crypto.SHA1},
	oidECDSASHA224.String(): {"ECDSA", crypto.SHA224},
	oidECDSASHA256.String(): {"ECDSA", crypto.SHA256},
	oidECDSASHA384.String(): {"ECDSA", crypto.SHA384},
	oidECDSASHA512.String(): {"ECDSA", crypto.SHA512},
	// pkcs7 writes the curve OID here for some ECDSA keys.
	"1.2.840.10045.3.1.7": {"ECDSA", 0},
	"1.3.132.0.34":        {"ECDSA", 0},
	"1.3.132.0.35":        {"ECDSA", 0},
	oidEd25519.String():   {"Ed25519", 0},

	"2.16.840.1.101.3.4.3.14": {"RSA", crypto.SHA3_256},
	"2.16.840.1.101.3.4.3.15": {"RSA", crypto.SHA3_384},
	"2.16.840.1.101.3.4.3.16": {"RSA", crypto.SHA3_512},
	"2.16.840.1.101.3.4.3.10": {"ECDSA", crypto.SHA3_256},
	"2.16.840.1.101.3.4.3.11": {"ECDSA", crypto.SHA3_384},
	"2.16.840.1.101.3.4.3.12": {"ECDSA", crypto.SHA3_512},

	"1.2.643.7.1.1.1.1": {"ГОСТ Р 34.10-2012 (256 бит)", 0},
	"1.2.643.7.1.1.1.2": {"ГОСТ Р 34.10-2012 (512 бит)", 0},
	"1.2.643.7.1.1.3.2": {"ГОСТ Р 34.10-2012 (256 бит)", 0},
	"1.2.643.7.1.1.3.3": {"ГОСТ Р 34.10-2012 (512 бит)", 0},
	"1.2.643.2.2.19":    {"ГОСТ Р 34.10-2001", 0},
	"1.2.643.2.2.3":     {"ГОСТ Р 34.10-2001", 0},
	"1.2.643.2.2.20":    {"ГОСТ Р 34.10-94", 0},
	"1.2.643.2.2.4":     {"ГОСТ Р 34.10-94", 0},
}

func isGOST(oid asn1.ObjectIdentifier) bool {
	return len(oid) >= len(oidGOSTArc) && oid[:len(oidGOSTArc)].Equal(oidGOSTArc)
}

func digestName(oid asn1.ObjectIdentifier) string {
	if a, ok := digestAlgorithms[oid.String()]; ok {
		return a.name
	}
	return oid.String()
}

func signatureName(oid asn1.ObjectIdentifier) string {
	if a, ok := signatureAlgorithms[oid.String()]; ok {
		return a.name
	}
	return oid.String()
}

// reasonGOSTUnparsed: a CMS with GOST identifiers that the CMS parser
// rejects; OpenSSL is not asked, since nothing could be reported about
// the signer.
const reasonGOSTUnparsed = "структуру подписи ГОСТ Р 34.10-2012 сервис разобрать не смог; подпись не проверена, проверьте её в КриптоПРО."
