package api

import (
	"bytes"
	"strings"
	"testing"
)

func TestSealSigning(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	s := &Server{cfg: Config{SecretKey: key}}
	m := signingMaterial{Data: []byte("-----BEGIN PRIVATE KEY-----secret"), Password: "пароль"}
	sealed, err := s.sealSigning("org-a", m)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, m.Data) || strings.Contains(string(sealed), m.Password) {
		t.Fatal("the sealed material shows the key or the password")
	}
	got, err := s.openSigning("org-a", sealed)
	if err != nil || !bytes.Equal(got.Data, m.Data) || got.Password != m.Password {
		t.Fatalf("open: %+v %v", got, err)
	}
	if _, err := s.openSigning("org-b", sealed); err == nil {
		t.Error("material of org-a opened as org-b's")
	}
	other := &Server{cfg: Config{SecretKey: bytes.Repeat([]byte{8}, 32)}}
	if _, err := other.openSigning("org-a", sealed); err == nil || !strings.Contains(err.Error(), "ORDERS_SECRET_KEY") {
		t.Errorf("another key: %v", err)
	}
	none := &Server{}
	if _, err := none.sealSigning("org-a", m); err == nil {
		t.Error("sealed without a key")
	}
}
