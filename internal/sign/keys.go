package sign

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"hash"

	"software.sslmate.com/src/go-pkcs12"
)

func isPEM(data []byte) bool {
	return bytes.Contains(data, []byte("-----BEGIN "))
}

func parsePKCS12(data []byte, password string) (any, []*x509.Certificate, error) {
	key, leaf, cas, err := pkcs12.DecodeChain(data, password)
	if err != nil {
		if errors.Is(err, pkcs12.ErrIncorrectPassword) || errors.Is(err, pkcs12.ErrDecryption) {
			return nil, nil, ErrWrongPassword
		}
		// go-pkcs12 says "private key missing" / "certificate missing"
		// only as text; map them so callers can tell the user what to fix.
		switch err.Error() {
		case "pkcs12: private key missing":
			return nil, nil, ErrNoPrivateKey
		case "pkcs12: certificate missing":
			return nil, nil, ErrNoCertificate
		}
		return nil, nil, fmt.Errorf("sign: read PKCS#12: %w", err)
	}
	return key, append([]*x509.Certificate{leaf}, cas...), nil
}

// parsePEM collects every certificate and the one private key of a PEM
// bundle. Blocks of other types (parameters, CSRs) are ignored.
func parsePEM(data []byte, password string) (any, []*x509.Certificate, error) {
	var (
		key   any
		certs []*x509.Certificate
	)
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		switch block.Type {
		case "CERTIFICATE":
			c, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				return nil, nil, fmt.Errorf("sign: parse certificate: %w", err)
			}
			certs = append(certs, c)
		case "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "ENCRYPTED PRIVATE KEY":
			if key != nil {
				return nil, nil, errors.New("sign: more than one private key in PEM")
			}
			k, err := parsePEMKey(block, password)
			if err != nil {
				return nil, nil, err
			}
			key = k
		}
	}
	return key, certs, nil
}

func parsePEMKey(block *pem.Block, password string) (any, error) {
	der := block.Bytes
	//nolint:staticcheck // legacy OpenSSL "Proc-Type: 4,ENCRYPTED" keys are still exported by tools in use
	if x509.IsEncryptedPEMBlock(block) {
		if password == "" {
			return nil, fmt.Errorf("%w: the key is encrypted and no password was given", ErrWrongPassword)
		}
		//nolint:staticcheck // see above
		plain, err := x509.DecryptPEMBlock(block, []byte(password))
		if err != nil {
			return nil, ErrWrongPassword
		}
		der = plain
	}
	if block.Type == "ENCRYPTED PRIVATE KEY" {
		if password == "" {
			return nil, fmt.Errorf("%w: the key is encrypted and no password was given", ErrWrongPassword)
		}
		plain, err := decryptPKCS8(der, password)
		if err != nil {
			return nil, err
		}
		der = plain
	}
	if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		return k, nil
	}
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return k, nil
	}
	if k, err := x509.ParseECPrivateKey(der); err == nil {
		return k, nil
	}
	if block.Type == "ENCRYPTED PRIVATE KEY" || x509.IsEncryptedPEMBlock(block) { //nolint:staticcheck
		// CBC padding happens to check out for about 1 in 256 wrong
		// passwords; the garbage then fails here.
		return nil, ErrWrongPassword
	}
	return nil, fmt.Errorf("%w: cannot parse %q block", ErrUnsupportedKey, block.Type)
}

// PKCS#8 EncryptedPrivateKeyInfo with PBES2 (RFC 8018), what OpenSSL 1.1+
// writes for "openssl pkcs8 -topk8" and "openssl genpkey -aes256".
var (
	oidPBES2      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}
	oidPBKDF2     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}
	oidHMACSHA1   = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 7}
	oidHMACSHA256 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 9}
	oidHMACSHA384 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 10}
	oidHMACSHA512 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 11}
	oidAES128CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 2}
	oidAES192CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 22}
	oidAES256CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 42}
	oidDESEDE3CBC = asn1.ObjectIdentifier{1, 2, 840, 113549, 3, 7}
)

type encryptedPrivateKeyInfo struct {
	Algorithm     pkix.AlgorithmIdentifier
	EncryptedData []byte
}

type pbes2Params struct {
	KeyDerivationFunc pkix.AlgorithmIdentifier
	EncryptionScheme  pkix.AlgorithmIdentifier
}

type pbkdf2Params struct {
	Salt           []byte
	IterationCount int
	KeyLength      int                      `asn1:"optional"`
	PRF            pkix.AlgorithmIdentifier `asn1:"optional"`
}

func decryptPKCS8(der []byte, password string) ([]byte, error) {
	var info encryptedPrivateKeyInfo
	if _, err := asn1.Unmarshal(der, &info); err != nil {
		return nil, fmt.Errorf("sign: parse encrypted key: %w", err)
	}
	if !info.Algorithm.Algorithm.Equal(oidPBES2) {
		return nil, fmt.Errorf("%w: key encryption %v (only PBES2 is supported)", ErrUnsupportedKey, info.Algorithm.Algorithm)
	}
	var params pbes2Params
	if _, err := asn1.Unmarshal(info.Algorithm.Parameters.FullBytes, &params); err != nil {
		return nil, fmt.Errorf("sign: parse PBES2 parameters: %w", err)
	}
	if !params.KeyDerivationFunc.Algorithm.Equal(oidPBKDF2) {
		return nil, fmt.Errorf("%w: key derivation %v (only PBKDF2 is supported)", ErrUnsupportedKey, params.KeyDerivationFunc.Algorithm)
	}
	var kdf pbkdf2Params
	if _, err := asn1.Unmarshal(params.KeyDerivationFunc.Parameters.FullBytes, &kdf); err != nil {
		return nil, fmt.Errorf("sign: parse PBKDF2 parameters: %w", err)
	}
	var prf func() hash.Hash
	switch p := kdf.PRF.Algorithm; {
	case len(p) == 0 || p.Equal(oidHMACSHA1): // the ASN.1 default
		prf = sha1.New
	case p.Equal(oidHMACSHA256):
		prf = sha256.New
	case p.Equal(oidHMACSHA384):
		prf = sha512.New384
	case p.Equal(oidHMACSHA512):
		prf = sha512.New
	default:
		return nil, fmt.Errorf("%w: PBKDF2 PRF %v", ErrUnsupportedKey, p)
	}
	var (
		keyLen   int
		newBlock func([]byte) (cipher.Block, error)
	)
	switch alg := params.EncryptionScheme.Algorithm; {
	case alg.Equal(oidAES128CBC):
		keyLen, newBlock = 16, aes.NewCipher
	case alg.Equal(oidAES192CBC):
		keyLen, newBlock = 24, aes.NewCipher
	case alg.Equal(oidAES256CBC):
		keyLen, newBlock = 32, aes.NewCipher
	case alg.Equal(oidDESEDE3CBC):
		keyLen, newBlock = 24, des.NewTripleDESCipher
	default:
		return nil, fmt.Errorf("%w: key cipher %v", ErrUnsupportedKey, alg)
	}
	var iv []byte
	if _, err := asn1.Unmarshal(params.EncryptionScheme.Parameters.FullBytes, &iv); err != nil {
		return nil, fmt.Errorf("sign: parse cipher IV: %w", err)
	}
	key, err := pbkdf2.Key(prf, password, kdf.Salt, kdf.IterationCount, keyLen)
	if err != nil {
		return nil, fmt.Errorf("sign: derive key: %w", err)
	}
	block, err := newBlock(key)
	if err != nil {
		return nil, err
	}
	bs := block.BlockSize()
	if len(iv) != bs || len(info.EncryptedData) == 0 || len(info.EncryptedData)%bs != 0 {
		return nil, errors.New("sign: malformed encrypted key")
	}
	plain := make([]byte, len(info.EncryptedData))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(plain, info.EncryptedData)
	// A wrong password shows as bad PKCS#7 padding.
	n := int(plain[len(plain)-1])
	if n == 0 || n > bs || !bytes.Equal(plain[len(plain)-n:], bytes.Repeat([]byte{byte(n)}, n)) {
		return nil, ErrWrongPassword
	}
	return plain[:len(plain)-n], nil
}
