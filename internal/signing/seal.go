package signing

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"errors"
)

// Material is what an organization stores to sign on the server: a PKCS#12 or PEM container
// and its password. It lives, sealed, in the registry's opaque Signing column.
type Material struct {
	Data     []byte `json:"data"`
	Password string `json:"password"`
}

// sealed is how an organization's signing key and its password rest in the registry:
// AES-256-GCM under the service's secret key, so a copy of the database alone does not give
// away the key that signs orders.
type sealed struct {
	Version int    `json:"v"`
	Nonce   []byte `json:"nonce"`
	Box     []byte `json:"box"`
}

var errNoSecretKey = errors.New("у сервиса нет секретного ключа (ORDERS_SECRET_KEY), которым шифруются ключи подписи")

func aead(key []byte) (cipher.AEAD, error) {
	if len(key) != 32 {
		return nil, errNoSecretKey
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// Seal encrypts the signing material under key; orgID is bound as additional data, so a
// sealed value copied to another organization's row does not open.
func Seal(key []byte, orgID string, m Material) ([]byte, error) {
	g, err := aead(key)
	if err != nil {
		return nil, err
	}
	plain, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, g.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return json.Marshal(sealed{Version: 1, Nonce: nonce, Box: g.Seal(nil, nonce, plain, []byte(orgID))})
}

// Open decrypts what Seal made for orgID; its errors are Russian, for the person who must
// upload the certificate again.
func Open(key []byte, orgID string, data []byte) (Material, error) {
	var box sealed
	var m Material
	if err := json.Unmarshal(data, &box); err != nil || box.Version != 1 {
		return m, errors.New("сохранённый ключ подписи записан в неизвестном виде; загрузите сертификат заново")
	}
	g, err := aead(key)
	if err != nil {
		return m, err
	}
	plain, err := g.Open(nil, box.Nonce, box.Box, []byte(orgID))
	if err != nil {
		return m, errors.New("сохранённый ключ подписи не открывается секретным ключом сервиса (не сменился ли ORDERS_SECRET_KEY?); загрузите сертификат заново")
	}
	err = json.Unmarshal(plain, &m)
	return m, err
}
