package signing

import (
	"bytes"
	"strings"
	"testing"
)

func TestSeal(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	m := Material{Data: []byte("-----BEGIN PRIVATE KEY-----secret"), Password: "пароль"}
	box, err := Seal(key, "org-a", m)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(box, m.Data) || strings.Contains(string(box), m.Password) {
		t.Fatal("the sealed material shows the key or the password")
	}
	got, err := Open(key, "org-a", box)
	if err != nil || !bytes.Equal(got.Data, m.Data) || got.Password != m.Password {
		t.Fatalf("open: %+v %v", got, err)
	}
	if _, err := Open(key, "org-b", box); err == nil {
		t.Error("material of org-a opened as org-b's")
	}
	if _, err := Open(bytes.Repeat([]byte{8}, 32), "org-a", box); err == nil || !strings.Contains(err.Error(), "ORDERS_SECRET_KEY") {
		t.Errorf("another key: %v", err)
	}
	if _, err := Seal(nil, "org-a", m); err == nil {
		t.Error("sealed without a key")
	}
}
