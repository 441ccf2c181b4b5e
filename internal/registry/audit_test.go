package registry

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"orders/internal/ru"
)

func TestAuditHash(t *testing.T) {
	id := uuid.MustParse("0190f7a2-6b3c-7d4e-8f00-112233445566")
	base := AuditEntry{
		Seq: 3, OrgID: "org-a", At: time.Date(2026, 1, 2, 3, 4, 5, 678901000, time.UTC),
		Actor: "head:Иванова", Action: "sign", OrderID: &id, Details: []byte(`{"sha256":"ab"}`),
		PrevHash: "5f1c", Hash: "ignored",
	}
	// The encoding is a promise to verifiers outside the registry: it must never change.
	// The golden value was computed independently (Python hashlib) from the documented
	// encoding.
	const golden = "6c58970e6ab05a02541778f4a797c444a1edd225b69047864c61a3108b43e6e1"
	got := AuditHash(&base)
	if got != golden {
		t.Errorf("AuditHash = %s, want %s", got, golden)
	}
	// The same instant in another zone hashes the same; anything else changes the hash.
	same := base
	same.At = base.At.In(ru.Moscow)
	same.Hash = ""
	if AuditHash(&same) != got {
		t.Error("the zone of At changed the hash")
	}
	other := uuid.New()
	for name, edit := range map[string]func(e *AuditEntry){
		"seq":      func(e *AuditEntry) { e.Seq++ },
		"org":      func(e *AuditEntry) { e.OrgID = "org-b" },
		"at":       func(e *AuditEntry) { e.At = e.At.Add(time.Microsecond) },
		"actor":    func(e *AuditEntry) { e.Actor = "mallory" },
		"action":   func(e *AuditEntry) { e.Action = "cancel" },
		"order":    func(e *AuditEntry) { e.OrderID = &other },
		"no order": func(e *AuditEntry) { e.OrderID = nil },
		"details":  func(e *AuditEntry) { e.Details = []byte(`{"sha256":"ac"}`) },
		"prev":     func(e *AuditEntry) { e.PrevHash = "5f1d" },
		// Length prefixes: moving a character from one field to the next is a change.
		"shift": func(e *AuditEntry) { e.Actor, e.Action = "head:Иванова"+"s", "ign" },
	} {
		e := base
		edit(&e)
		if AuditHash(&e) == got {
			t.Errorf("changing %s did not change the hash", name)
		}
	}
}

func TestAuditMAC(t *testing.T) {
	id := uuid.MustParse("0190f7a2-6b3c-7d4e-8f00-112233445566")
	e := AuditEntry{
		Seq: 3, OrgID: "org-a", At: time.Date(2026, 1, 2, 3, 4, 5, 678901000, time.UTC),
		Actor: "head:Иванова", Action: "sign", OrderID: &id, Details: []byte(`{"sha256":"ab"}`),
		PrevHash: "5f1c",
	}
	key := []byte("0123456789abcdef0123456789abcdef")
	// Computed independently (Python hmac) from the documented encoding with "orders/audit/v2".
	const golden = "2c867616a7b62c5fa7075ca85342112ad6cbbebfe5f392036771a1d3d6f3d56e"
	if got := AuditMAC(key, &e); got != golden {
		t.Errorf("AuditMAC = %s, want %s", got, golden)
	}
	if AuditMAC([]byte("another key"), &e) == golden {
		t.Error("another key gave the same MAC")
	}
	if AuditHash(&e) == golden {
		t.Error("the keyed and the unkeyed scheme agree")
	}
}
