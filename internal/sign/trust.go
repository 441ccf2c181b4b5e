package sign

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"time"
)

// Trust says whether the signer's certificate leads to a root the
// installation trusts. It is separate from Status: a signature can be
// mathematically valid and made with a certificate anyone could issue
// themselves.
type Trust int

const (
	// TrustNotChecked: no roots are configured, or the signature itself
	// is not valid, so the chain was not looked at.
	TrustNotChecked Trust = iota
	// Trusted: the chain leads to one of the configured roots.
	Trusted
	// Untrusted: roots are configured and the chain leads to none of them.
	Untrusted
)

func (t Trust) String() string {
	switch t {
	case Trusted:
		return "trusted"
	case Untrusted:
		return "untrusted"
	default:
		return "not_checked"
	}
}

// MarshalText makes Trust a readable JSON string.
func (t Trust) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// Verifier checks signatures for one installation: its trusted roots and
// the OpenSSL it runs for GOST. The zero Verifier checks the mathematics
// and reports trust as not checked. Safe for concurrent use.
type Verifier struct {
	// Roots are the trusted root certificates; empty: trust is not checked.
	Roots []*x509.Certificate
	// OpenSSL is the openssl binary for GOST signatures; default "openssl" in PATH.
	OpenSSL string
	// Timeout bounds one OpenSSL run; default 10 s.
	Timeout time.Duration
}

// Reasons of Result.TrustReason.
const (
	ReasonNoRoots = "список доверенных корневых сертификатов не настроен"
)

// Verdict is what the pages and the API show a person: trust is claimed
// only when the signature is valid and its chain leads to a trusted root.
func (r Result) Verdict() string {
	switch {
	case r.Status == Valid && r.Trust == Trusted:
		return "подпись верна, сертификат доверенный"
	case r.Status == Valid:
		return "подпись верна, сертификат не проверен"
	case r.Status == Invalid:
		return "подпись неверна"
	}
	return "подпись не проверена"
}

// LoadRoots reads PEM certificates (a trust bundle). Data without a single
// certificate is an error: an installation that names a bundle means to
// trust something.
func LoadRoots(data []byte) ([]*x509.Certificate, error) {
	var roots []*x509.Certificate
	for n := 1; ; n++ {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("certificate %d: %w", n, err)
		}
		roots = append(roots, c)
	}
	if len(roots) == 0 {
		return nil, errors.New("no PEM CERTIFICATE block")
	}
	return roots, nil
}

// CheckTrust decides whether cert, with the intermediates at hand, leads
// to a trusted root at time at (zero: now). It does not look at any
// signature made with cert.
func (v *Verifier) CheckTrust(ctx context.Context, cert *x509.Certificate, intermediates []*x509.Certificate, at time.Time) (Trust, string) {
	if v == nil || len(v.Roots) == 0 {
		return TrustNotChecked, ReasonNoRoots
	}
	if cert == nil {
		return Untrusted, "сертификат подписанта не приложен к подписи"
	}
	roots, inter := x509.NewCertPool(), x509.NewCertPool()
	for _, c := range v.Roots {
		roots.AddCert(c)
	}
	for _, c := range intermediates {
		inter.AddCert(c)
	}
	if at.IsZero() {
		at = time.Now()
	}
	_, err := cert.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: at,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	if err == nil {
		return Trusted, "сертификат выдан доверенным удостоверяющим центром"
	}
	return Untrusted, trustReason(cert, err)
}

func trustReason(cert *x509.Certificate, err error) string {
	var unknown x509.UnknownAuthorityError
	var invalid x509.CertificateInvalidError
	switch {
	case errors.As(err, &unknown) && string(cert.RawIssuer) == string(cert.RawSubject):
		return "сертификат самоподписанный и не входит в список доверенных корневых сертификатов"
	case errors.As(err, &unknown):
		return "цепочка сертификата не ведёт к доверенному корневому сертификату"
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		return "сертификат в цепочке не действовал на момент подписания"
	}
	return "цепочка сертификата не проверена: " + err.Error()
}

var defaultVerifier = &Verifier{}
