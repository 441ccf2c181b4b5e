package api

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"errors"
)

// sealedSigning is how an organization's signing key and its password rest in the
// registry: AES-256-GCM under the service's secret key, so a copy of the database alone
// does not give away the key that signs orders.
type sealedSigning struct {
	Version int    `json:"v"`
	Nonce   []byte `json:"nonce"`
	Box     []byte `json:"box"`
}

var errNoSecretKey = errors.New("у сервиса нет секретного ключа (ORDERS_SECRET_KEY), которым шифруются ключи подписи")

func (s *Server) aead() (cipher.AEAD, error) {
	if len(s.cfg.SecretKey) != 32 {
		return nil, errNoSecretKey
	}
	block, err := aes.NewCipher(s.cfg.SecretKey)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// sealSigning encrypts the signing material; orgID is bound as additional data, so a sealed
// value copied to another organization's row does not open.
func (s *Server) sealSigning(orgID string, m signingMaterial) ([]byte, error) {
	g, err := s.aead()
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
	return json.Marshal(sealedSigning{Version: 1, Nonce: nonce, Box: g.Seal(nil, nonce, plain, []byte(orgID))})
}

func (s *Server) openSigning(orgID string, data []byte) (signingMaterial, error) {
	var sealed sealedSigning
	var m signingMaterial
	if err := json.Unmarshal(data, &sealed); err != nil || sealed.Version != 1 {
		return m, errors.New("сохранённый ключ подписи записан в неизвестном виде; загрузите сертификат заново")
	}
	g, err := s.aead()
	if err != nil {
		return m, err
	}
	plain, err := g.Open(nil, sealed.Nonce, sealed.Box, []byte(orgID))
	if err != nil {
		return m, errors.New("сохранённый ключ подписи не открывается секретным ключом сервиса (не сменился ли ORDERS_SECRET_KEY?); загрузите сертификат заново")
	}
	err = json.Unmarshal(plain, &m)
	return m, err
}
