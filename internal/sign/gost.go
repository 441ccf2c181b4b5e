package sign

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// GOST R 34.10-2012 signatures are checked by OpenSSL with Debian's GOST
// engine (libengine-gost-openssl): no maintained Go implementation is
// obtainable here (libraries.md). The boundary is one command,
// `openssl cms -verify -engine gost`, run with a timeout on files in a
// private temporary directory; its outcome is read from the exit code and
// OpenSSL's error names, and anything not positively recognized is
// reported as not verified, never as valid or invalid.

// gostOutcome is what one OpenSSL run established.
type gostOutcome int

const (
	gostError      gostOutcome = iota // OpenSSL could not decide (reason in detail)
	gostNoEngine                      // no openssl binary or no GOST engine
	gostOK                            // signature and content digest verified
	gostBadSig                        // the signature does not match
	gostBadContent                    // the signature is intact but over other content
	gostBadChain                      // math fine, the chain to the given roots is not
)

// ReasonNoGOSTModule is the reason of a GOST signature that could not be
// checked because OpenSSL or its GOST engine is not installed.
const ReasonNoGOSTModule = "нет модуля ГОСТ OpenSSL"

// defaultGOSTTimeout bounds one OpenSSL run; a verification takes ~20 ms.
const defaultGOSTTimeout = 10 * time.Second

// gostVerify runs `openssl cms -verify` on the DER CMS over content. With
// rootsPEM nil only the mathematics is checked (-noverify); otherwise the
// signer's chain must lead to one of rootsPEM at time at (zero: now).
func (v *Verifier) gostVerify(ctx context.Context, der, content, rootsPEM []byte, at time.Time) (gostOutcome, string) {
	bin := v.OpenSSL
	if bin == "" {
		bin = "openssl"
	}
	path, err := exec.LookPath(bin)
	if err != nil {
		return gostNoEngine, "openssl не найден"
	}
	timeout := v.Timeout
	if timeout <= 0 {
		timeout = defaultGOSTTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	dir, err := os.MkdirTemp("", "orders-gost-") // mode 0700: the document may hold personal data
	if err != nil {
		return gostError, "временный каталог: " + err.Error()
	}
	defer os.RemoveAll(dir)
	sigFile, docFile := filepath.Join(dir, "sig.der"), filepath.Join(dir, "doc.bin")
	if err := os.WriteFile(sigFile, der, 0o600); err != nil {
		return gostError, err.Error()
	}
	if err := os.WriteFile(docFile, content, 0o600); err != nil {
		return gostError, err.Error()
	}
	args := []string{"cms", "-verify", "-engine", "gost", "-binary", "-inform", "DER",
		"-in", sigFile, "-content", docFile, "-out", os.DevNull}
	if rootsPEM == nil {
		args = append(args, "-noverify")
	} else {
		caFile := filepath.Join(dir, "roots.pem")
		if err := os.WriteFile(caFile, rootsPEM, 0o600); err != nil {
			return gostError, err.Error()
		}
		// Only the installation's roots: never the system's web CAs.
		args = append(args, "-CAfile", caFile, "-no-CApath", "-no-CAstore", "-purpose", "any")
		if !at.IsZero() {
			args = append(args, "-attime", strconv.FormatInt(at.Unix(), 10))
		}
	}
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	cmd.WaitDelay = time.Second // a child left holding the output pipe must not outlive the timeout
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		return gostError, "OpenSSL не ответил за " + timeout.String()
	}
	return classifyOpenSSL(out, err)
}

// classifyOpenSSL reads the outcome of `openssl cms -verify`. OpenSSL 3
// goes on without an engine it cannot load and then fails to decode the
// GOST key, so a missing engine has to be spotted in the output, not the
// exit code.
func classifyOpenSSL(out []byte, runErr error) (gostOutcome, string) {
	text := string(out)
	if strings.Contains(text, `Invalid engine "gost"`) || strings.Contains(text, "no such engine") {
		return gostNoEngine, "OpenSSL не загрузил модуль gost"
	}
	code := 0
	if runErr != nil {
		var ee *exec.ExitError
		if !errors.As(runErr, &ee) {
			return gostError, runErr.Error()
		}
		code = ee.ExitCode()
	}
	if code == 0 && strings.Contains(text, "Verification successful") {
		return gostOK, ""
	}
	detail := lastOpenSSLError(text)
	if code == 4 {
		switch {
		case strings.Contains(text, "certificate verify error"):
			return gostBadChain, verifyErrorText(text)
		case strings.Contains(text, "CMS_SignerInfo_verify_content:verification failure"),
			strings.Contains(text, "messagedigest attribute wrong"):
			return gostBadContent, detail
		case strings.Contains(text, ":verification failure:"), strings.Contains(text, "signature mismatch"),
			strings.Contains(text, "content verify error"):
			return gostBadSig, detail
		}
	}
	return gostError, detail
}

// lastOpenSSLError returns the reason part of the last error line
// ("…:error:1700009E:CMS routines:CMS_SignerInfo_verify:verification failure:file:line:").
func lastOpenSSLError(text string) string {
	lines := strings.Split(strings.TrimSpace(text), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		f := strings.Split(lines[i], ":")
		if len(f) >= 6 && f[1] == "error" {
			return f[5]
		}
	}
	if len(lines) > 0 {
		return lines[len(lines)-1]
	}
	return "нет вывода"
}

// verifyErrorText picks OpenSSL's "Verify error: self-signed certificate".
func verifyErrorText(text string) string {
	if i := strings.Index(text, "Verify error:"); i >= 0 {
		rest := text[i+len("Verify error:"):]
		if j := strings.IndexByte(rest, '\n'); j >= 0 {
			rest = rest[:j]
		}
		return strings.TrimSpace(rest)
	}
	return lastOpenSSLError(text)
}

// chainReason says in Russian what OpenSSL's chain error means.
func chainReason(detail string) string {
	switch {
	case strings.Contains(detail, "in certificate chain"):
		return "цепочка сертификата не ведёт к доверенному корневому сертификату"
	case strings.Contains(detail, "self-signed") || strings.Contains(detail, "self signed"):
		return "сертификат самоподписанный и не входит в список доверенных корневых сертификатов"
	case strings.Contains(detail, "unable to get local issuer") || strings.Contains(detail, "unable to get issuer"):
		return "цепочка сертификата не ведёт к доверенному корневому сертификату"
	case strings.Contains(detail, "expired"):
		return "срок действия сертификата в цепочке истёк на момент подписания"
	case strings.Contains(detail, "not yet valid"):
		return "сертификат в цепочке ещё не действовал на момент подписания"
	}
	return "цепочка сертификата не проверена: " + detail
}

// pemRoots encodes roots for OpenSSL's -CAfile.
func pemRoots(v *Verifier) []byte {
	var b bytes.Buffer
	for _, c := range v.Roots {
		_ = pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
	}
	return b.Bytes()
}

// gostNotVerifiedReason explains a GOST signature OpenSSL could not decide.
func gostNotVerifiedReason(alg string, o gostOutcome, detail string) string {
	if o == gostNoEngine {
		return ReasonNoGOSTModule + " (" + detail + "): подпись " + alg + " не проверена; проверьте её в КриптоПРО"
	}
	return fmt.Sprintf("OpenSSL с модулем ГОСТ не смог проверить подпись %s (%s); подпись не проверена, проверьте её в КриптоПРО", alg, detail)
}

// gostResult completes r, the result of a GOST signer whose digest Go
// could check or not, with OpenSSL's verdict on the whole CMS.
func gostResult(r Result, cert *x509.Certificate, attrs []attribute, check func() (gostOutcome, string)) Result {
	alg := r.SignatureAlgorithm
	if cert == nil {
		r.Status = NotVerified
		r.Reason = "сертификат подписанта не включён в подпись, поэтому подпись " + alg + " не проверена."
		return r
	}
	o, detail := check()
	switch o {
	case gostOK:
		r.DigestVerified, r.SignatureVerified = true, true
		if why := outsideValidity(r.SignedAt, cert); why != "" {
			r.Status, r.Reason = Invalid, why
			return r
		}
		r.Status = Valid
		r.Reason = "подпись " + alg + " верна (проверена OpenSSL с модулем ГОСТ): документ не изменялся после подписания."
		// OpenSSL 3 checks a signing-certificate attribute when there is
		// one; without it nothing binds the owner's name to the signature.
		if _, _, found, ok := essCertHash(attrs); !found || !ok {
			r.Reason += " " + reasonUnbound
		}
	case gostBadContent:
		r.Status, r.OtherDocument = Invalid, true
		r.Reason = "документ не совпадает с подписанным: хеш (" + r.DigestAlgorithm + ") отличается — файл изменён после подписания или подпись относится к другому документу."
	case gostBadSig:
		r.Status = Invalid
		r.Reason = "подпись не соответствует документу или сертификату: проверка подписи " + alg + " не прошла (" + detail + ")."
	default:
		r.Status = NotVerified
		r.Reason = gostNotVerifiedReason(alg, o, detail) + "."
	}
	return r
}
