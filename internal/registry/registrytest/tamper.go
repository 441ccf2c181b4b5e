package registrytest

import (
	"fmt"
	"testing"

	"orders/internal/registry"
)

// Raw runs one SQL statement on the database directly, behind the registry's back, as
// someone with database access would. The suite writes statements without parameters that
// every driver's dialect runs.
type Raw func(t *testing.T, statement string)

// NewRawDB is NewDB that also gives raw access to the database.
type NewRawDB func(t *testing.T) (Opener, Raw)

// RunTamper runs the cases that change the database behind the registry's back and expect
// the registry to notice: the audit chain must point at the first entry that was touched.
func RunTamper(t *testing.T, newDB NewRawDB) {
	const n = 60
	cases := []struct {
		name   string
		tamper func(t *testing.T, s registry.Store, raw Raw)
		broken int64
	}{
		{"EditedActor", func(t *testing.T, _ registry.Store, raw Raw) {
			raw(t, `UPDATE audit SET actor = 'mallory' WHERE org_id = 'org-a' AND seq = 42`)
		}, 42},
		{"EditedDetails", func(t *testing.T, _ registry.Store, raw Raw) {
			raw(t, `UPDATE audit SET details = (SELECT details FROM audit WHERE org_id = 'org-a' AND seq = 8)
				WHERE org_id = 'org-a' AND seq = 7`)
		}, 7},
		{"EditedAndRehashed", func(t *testing.T, s registry.Store, raw Raw) {
			// Recomputing the edited entry's own hash moves the break to the next link.
			list, err := s.ListAudit(t.Context(), "org-a", nil, registry.MaxLimit)
			if err != nil {
				t.Fatal(err)
			}
			e := list[n-42]
			e.Actor = "mallory"
			raw(t, fmt.Sprintf(`UPDATE audit SET actor = 'mallory', hash = '%s' WHERE org_id = 'org-a' AND seq = 42`, registry.AuditHash(&e)))
		}, 43},
		{"DeletedEntry", func(t *testing.T, _ registry.Store, raw Raw) {
			raw(t, `DELETE FROM audit WHERE org_id = 'org-a' AND seq = 10`)
		}, 10},
		{"DeletedLastEntry", func(t *testing.T, _ registry.Store, raw Raw) {
			raw(t, `DELETE FROM audit WHERE org_id = 'org-a' AND seq = 60`)
		}, n},
		{"MovedToAnotherOrder", func(t *testing.T, _ registry.Store, raw Raw) {
			raw(t, `UPDATE audit SET order_id = NULL WHERE org_id = 'org-a' AND seq = 1`)
		}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			db, raw := newDB(t)
			s, ctx := open(t, db), t.Context()
			mustJournal(t, s, "org-a", "main", "{seq}")
			for i := range n {
				e := &registry.AuditEntry{OrgID: "org-a", Actor: "clerk", Action: "download-signed", Details: fmt.Appendf(nil, `{"i":%d}`, i)}
				if i == 0 {
					// The first entry comes from a registration, in its transaction.
					o := mustCreate(t, s, &registry.Order{OrgID: "org-a", Title: "x"})
					e.OrgID = ""
					if _, err := s.RegisterOrder(ctx, "org-a", o.ID, registry.RegisterRequest{
						Journal: "main", Date: "2026-01-09", Audit: e,
						Build: func(o *registry.Order, n string, _ int) (registry.Registered, error) {
							return registeredDraft(o, n, "2026-01-09"), nil
						},
					}); err != nil {
						t.Fatal(err)
					}
					continue
				}
				if err := s.AppendAudit(ctx, e); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.AppendAudit(ctx, &registry.AuditEntry{OrgID: "org-b", Actor: "x", Action: "y"}); err != nil {
				t.Fatal(err)
			}
			if ok, at, err := s.VerifyAudit(ctx, "org-a"); err != nil || !ok {
				t.Fatalf("VerifyAudit before tampering = %v, %d, %v", ok, at, err)
			}
			c.tamper(t, s, raw)
			ok, at, err := s.VerifyAudit(ctx, "org-a")
			if err != nil || ok || at != c.broken {
				t.Errorf("VerifyAudit after tampering = %v, %d, %v; want broken at %d", ok, at, err, c.broken)
			}
			if ok, at, err := s.VerifyAudit(ctx, "org-b"); err != nil || !ok {
				t.Errorf("VerifyAudit of the untouched organization = %v, %d, %v", ok, at, err)
			}
		})
	}
}
