package signing

import (
	"errors"
	"strings"

	"orders/internal/registry"
	"orders/internal/sign"
)

// Verdict is how the registry records res: the mathematics in Verified, the certificate
// chain in Trust (for a valid signature only).
func Verdict(res sign.Result) (verified, trust string) {
	switch res.Status {
	case sign.Valid:
		return "valid", trustVerdict(res.Trust, res.TrustReason)
	case sign.Invalid:
		return "invalid: " + nonEmpty(res.Reason), ""
	}
	return "not verified: " + nonEmpty(res.Reason), ""
}

func trustVerdict(t sign.Trust, reason string) string {
	switch t {
	case sign.Trusted:
		return "trusted"
	case sign.Untrusted:
		return "untrusted: " + nonEmpty(reason)
	}
	return "not checked: " + nonEmpty(reason)
}

func nonEmpty(s string) string {
	if strings.TrimSpace(s) == "" {
		return "причина не указана"
	}
	return s
}

// Label is what a person reads about a recorded signature: trust is claimed only when the
// signature is valid and its chain leads to a trusted root.
func Label(verified, trust string) string {
	switch {
	case verified == "valid" && trust == "trusted":
		return "подпись верна, сертификат доверенный"
	case verified == "valid":
		return "подпись верна, сертификат не проверен"
	case strings.HasPrefix(verified, "invalid"):
		return "подпись неверна"
	}
	return "подпись не проверена"
}

// record is the registry's record of a verified signature stored under key.
func record(kind string, key, sum string, res sign.Result) *registry.Signature {
	verified, trust := Verdict(res)
	sig := &registry.Signature{Kind: kind, Key: key, SHA256: sum, Signer: res.Signer.Owner, Serial: res.Signer.Serial,
		Verified: verified, Trust: trust}
	if !res.Signer.ValidFrom.IsZero() {
		from, to := res.Signer.ValidFrom, res.Signer.ValidTo
		sig.ValidFrom, sig.ValidTo = &from, &to
	}
	return sig
}

// Words says in words why a certificate container or a signature was not taken.
func Words(err error) string {
	for _, m := range []struct {
		err  error
		text string
	}{
		{sign.ErrWrongPassword, "неверный пароль сертификата или повреждённый файл"},
		{sign.ErrNoPrivateKey, "в файле нет закрытого ключа: нужен контейнер с сертификатом и ключом"},
		{sign.ErrNoCertificate, "в файле нет сертификата"},
		{sign.ErrKeyMismatch, "закрытый ключ в файле не подходит ни к одному сертификату в нём"},
		{sign.ErrUnsupportedKey, "ключ этого типа сервер не поддерживает: нужен ключ RSA или ECDSA (ключом ГОСТ подписывают в КриптоПРО и загружают подписанный PDF)"},
		{sign.ErrExpired, "срок действия сертификата истёк"},
		{sign.ErrNotYetValid, "срок действия сертификата ещё не начался"},
		{sign.ErrUnrecognizedData, "файл не является контейнером PKCS#12 (.p12, .pfx) или PEM"},
		{sign.ErrNoSignature, "в PDF нет электронной подписи"},
		{sign.ErrMalformedSignature, "файл не электронная подпись CMS/PKCS#7 (.sig, .p7s)"},
		{sign.ErrSignatureBroken, "подписанный PDF не прошёл проверку собственной подписи"},
	} {
		if errors.Is(err, m.err) {
			return m.text
		}
	}
	return "файл не удалось прочитать как подпись или ключ (" + err.Error() + ")"
}
