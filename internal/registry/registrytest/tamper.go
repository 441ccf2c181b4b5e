package registrytest

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"orders/internal/registry"
)

// AuditKey is the audit key the drivers' tests give their stores (registry.WithAuditKey).
var AuditKey = []byte("registrytest audit key, 32 bytes")

// Raw runs one SQL statement on the database directly, behind the registry's back, as
// someone with database access would. The suite writes statements without parameters that
// every driver's dialect runs.
type Raw func(t *testing.T, statement string)

// OpenWith opens one more Store on the database with the given options.
type OpenWith func(t *testing.T, opts ...registry.Option) (registry.Store, error)

// NewRawDB prepares a new, empty database private to t and returns how to open it and raw
// access to it.
type NewRawDB func(t *testing.T) (OpenWith, Raw)

// keyed opens stores with AuditKey, as ordersd does.
func keyed(o OpenWith) Opener {
	return func(t *testing.T) (registry.Store, error) { return o(t, registry.WithAuditKey(AuditKey)) }
}

// rechain does what someone with the database but without the audit key can: edit the
// entry seq of org-a (set is the SQL of the edit, edit the same in Go), recompute every hash
// from there on with the unkeyed method — marking the entries unkeyed if downgrade — and put
// the head row back in line.
func rechain(t *testing.T, s registry.Store, raw Raw, seq int64, set string, edit func(*registry.AuditEntry), downgrade bool) {
	t.Helper()
	list, err := s.ListAudit(t.Context(), "org-a", nil, registry.MaxLimit)
	if err != nil {
		t.Fatal(err)
	}
	slices.Reverse(list)
	for i := range list {
		e := &list[i]
		if e.Seq < seq {
			continue
		}
		sets := ""
		if e.Seq == seq {
			edit(e)
			sets = set + ", "
		}
		if i > 0 {
			e.PrevHash = list[i-1].Hash
		}
		if downgrade {
			e.Scheme = registry.AuditUnkeyed
		}
		e.Hash = registry.AuditHash(e)
		raw(t, fmt.Sprintf(`UPDATE audit SET %sprev_hash = '%s', hash = '%s', scheme = %d WHERE org_id = 'org-a' AND seq = %d`,
			sets, e.PrevHash, e.Hash, e.Scheme, e.Seq))
	}
	last := list[len(list)-1]
	raw(t, fmt.Sprintf(`UPDATE audit_heads SET seq = %d, hash = '%s' WHERE org_id = 'org-a'`, last.Seq, last.Hash))
}

// RunTamper runs the cases that change the database behind the registry's back and expect
// the registry to notice: the audit chain must point at the first entry that was touched.
// Stores are keyed (AuditKey). Cases with an anchor are checked against the chain's head as
// a checkpoint outside the database recorded it before the tampering; the others have only
// what is in the database.
func RunTamper(t *testing.T, newDB NewRawDB) {
	const n = 60
	cases := []struct {
		name    string
		tamper  func(t *testing.T, s registry.Store, raw Raw)
		anchor  bool
		broken  int64
		problem string
	}{
		{name: "EditedActor", tamper: func(t *testing.T, _ registry.Store, raw Raw) {
			raw(t, `UPDATE audit SET actor = 'mallory' WHERE org_id = 'org-a' AND seq = 42`)
		}, broken: 42, problem: registry.AuditEdited},
		{name: "EditedDetails", tamper: func(t *testing.T, _ registry.Store, raw Raw) {
			raw(t, `UPDATE audit SET details = (SELECT details FROM audit WHERE org_id = 'org-a' AND seq = 8)
				WHERE org_id = 'org-a' AND seq = 7`)
		}, broken: 7, problem: registry.AuditEdited},
		{name: "EditedAndRehashed", tamper: func(t *testing.T, s registry.Store, raw Raw) {
			// The old, unkeyed hash of the edited entry does not pass for a keyed one.
			list, err := s.ListAudit(t.Context(), "org-a", nil, registry.MaxLimit)
			if err != nil {
				t.Fatal(err)
			}
			e := list[n-42]
			e.Actor = "mallory"
			raw(t, fmt.Sprintf(`UPDATE audit SET actor = 'mallory', hash = '%s' WHERE org_id = 'org-a' AND seq = 42`, registry.AuditHash(&e)))
		}, broken: 42, problem: registry.AuditEdited},
		{name: "DetailsRewrittenChainRecomputed", tamper: func(t *testing.T, s registry.Store, raw Raw) {
			list, err := s.ListAudit(t.Context(), "org-a", nil, registry.MaxLimit)
			if err != nil {
				t.Fatal(err)
			}
			other := list[n-8].Details
			rechain(t, s, raw, 42, `details = (SELECT details FROM audit WHERE org_id = 'org-a' AND seq = 8)`,
				func(e *registry.AuditEntry) { e.Details = other }, false)
		}, broken: 42, problem: registry.AuditEdited},
		{name: "DetailsRewrittenChainDowngraded", tamper: func(t *testing.T, s registry.Store, raw Raw) {
			list, err := s.ListAudit(t.Context(), "org-a", nil, registry.MaxLimit)
			if err != nil {
				t.Fatal(err)
			}
			other := list[n-8].Details
			rechain(t, s, raw, 42, `details = (SELECT details FROM audit WHERE org_id = 'org-a' AND seq = 8)`,
				func(e *registry.AuditEntry) { e.Details = other }, true)
		}, broken: 42, problem: registry.AuditUnkeyedAfter},
		{name: "WholeChainDowngraded", tamper: func(t *testing.T, s registry.Store, raw Raw) {
			// Every entry rehashed the old way looks like a chain from before the key; only
			// the checkpoint, which says no entry was unkeyed, tells.
			rechain(t, s, raw, 7, `actor = 'mallory'`, func(e *registry.AuditEntry) { e.Actor = "mallory" }, true)
			rechain(t, s, raw, 1, `actor = actor`, func(*registry.AuditEntry) {}, true)
		}, anchor: true, broken: 1, problem: registry.AuditUnkeyedAfter},
		{name: "DeletedEntry", tamper: func(t *testing.T, _ registry.Store, raw Raw) {
			raw(t, `DELETE FROM audit WHERE org_id = 'org-a' AND seq = 10`)
		}, broken: 10, problem: registry.AuditMissing},
		{name: "DeletedLastEntry", tamper: func(t *testing.T, _ registry.Store, raw Raw) {
			raw(t, `DELETE FROM audit WHERE org_id = 'org-a' AND seq = 60`)
		}, broken: n, problem: registry.AuditMissing},
		{name: "EndCutHeadFixed", tamper: func(t *testing.T, s registry.Store, raw Raw) {
			list, err := s.ListAudit(t.Context(), "org-a", nil, registry.MaxLimit)
			if err != nil {
				t.Fatal(err)
			}
			raw(t, `DELETE FROM audit WHERE org_id = 'org-a' AND seq > 57`)
			raw(t, fmt.Sprintf(`UPDATE audit_heads SET seq = 57, hash = '%s' WHERE org_id = 'org-a'`, list[n-57].Hash))
		}, anchor: true, broken: 58, problem: registry.AuditCut},
		{name: "MovedToAnotherOrder", tamper: func(t *testing.T, _ registry.Store, raw Raw) {
			raw(t, `UPDATE audit SET order_id = NULL WHERE org_id = 'org-a' AND seq = 1`)
		}, broken: 1, problem: registry.AuditEdited},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			openWith, raw := newDB(t)
			s, ctx := open(t, keyed(openWith)), t.Context()
			fillTrail(t, s, n)
			before, err := s.VerifyAuditChain(ctx, "org-a", nil)
			if err != nil || !before.OK || before.HeadSeq != n || before.LastUnkeyed != 0 {
				t.Fatalf("VerifyAuditChain before tampering = %+v, %v", before, err)
			}
			var anchor *registry.AuditAnchor
			if c.anchor {
				anchor = &registry.AuditAnchor{Seq: before.HeadSeq, Hash: before.HeadHash, LegacyThrough: before.LastUnkeyed}
				if r, err := s.VerifyAuditChain(ctx, "org-a", anchor); err != nil || !r.OK {
					t.Fatalf("VerifyAuditChain against its own anchor = %+v, %v", r, err)
				}
			}
			c.tamper(t, s, raw)
			r, err := s.VerifyAuditChain(ctx, "org-a", anchor)
			if err != nil || r.OK || r.BrokenAt != c.broken || r.Problem != c.problem {
				t.Errorf("VerifyAuditChain after tampering = %+v, %v; want broken at %d (%s)", r, err, c.broken, c.problem)
			}
			if !c.anchor {
				ok, at, err := s.VerifyAudit(ctx, "org-a")
				if err != nil || ok || at != c.broken {
					t.Errorf("VerifyAudit after tampering = %v, %d, %v; want broken at %d", ok, at, err, c.broken)
				}
			}
			if ok, at, err := s.VerifyAudit(ctx, "org-b"); err != nil || !ok {
				t.Errorf("VerifyAudit of the untouched organization = %v, %d, %v", ok, at, err)
			}
		})
	}
	t.Run("LegacyEntries", func(t *testing.T) {
		t.Parallel()
		testLegacyEntries(t, newDB)
	})
}

// fillTrail appends n entries to org-a's trail, the first by a registration, and one to
// org-b's.
func fillTrail(t *testing.T, s registry.Store, n int) {
	t.Helper()
	ctx := t.Context()
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
}

// testLegacyEntries: entries hashed without the key (by a registry from before the key, as a
// store opened without it still does) keep verifying once the key is in use; new entries are
// keyed; and nothing lets unkeyed entries follow keyed ones.
func testLegacyEntries(t *testing.T, newDB NewRawDB) {
	ctx := t.Context()
	openWith, raw := newDB(t)
	old, err := openWith(t)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if err := old.AppendAudit(ctx, &registry.AuditEntry{OrgID: "org-a", Actor: "clerk", Action: "old", Details: fmt.Appendf(nil, `{"i":%d}`, i)}); err != nil {
			t.Fatal(err)
		}
	}
	if r, err := old.VerifyAuditChain(ctx, "org-a", nil); err != nil || !r.OK || r.LastUnkeyed != 5 {
		t.Fatalf("unkeyed chain = %+v, %v", r, err)
	}
	s := open(t, keyed(openWith))
	if r, err := s.VerifyAuditChain(ctx, "org-a", nil); err != nil || !r.OK {
		t.Fatalf("unkeyed chain verified with the key = %+v, %v", r, err)
	}
	for i := range 3 {
		if err := s.AppendAudit(ctx, &registry.AuditEntry{OrgID: "org-a", Actor: "clerk", Action: "new", Details: fmt.Appendf(nil, `{"i":%d}`, i)}); err != nil {
			t.Fatal(err)
		}
	}
	list, err := s.ListAudit(ctx, "org-a", nil, 0)
	if err != nil || len(list) != 8 {
		t.Fatalf("ListAudit = %d entries, %v", len(list), err)
	}
	for _, e := range list {
		want, hash := registry.AuditKeyed, registry.AuditMAC(AuditKey, &e)
		if e.Seq <= 5 {
			want, hash = registry.AuditUnkeyed, registry.AuditHash(&e)
		}
		if e.Scheme != want || e.Hash != hash {
			t.Errorf("entry %d: scheme %d, hash %s; want scheme %d, hash %s", e.Seq, e.Scheme, e.Hash, want, hash)
		}
	}
	r, err := s.VerifyAuditChain(ctx, "org-a", nil)
	if err != nil || !r.OK || r.HeadSeq != 8 || r.LastUnkeyed != 5 {
		t.Fatalf("mixed chain = %+v, %v", r, err)
	}
	anchor := &registry.AuditAnchor{Seq: r.HeadSeq, Hash: r.HeadHash, LegacyThrough: r.LastUnkeyed}
	if r, err := s.VerifyAuditChain(ctx, "org-a", anchor); err != nil || !r.OK {
		t.Errorf("mixed chain against its anchor = %+v, %v", r, err)
	}
	// A store without the key can neither extend nor check the keyed chain.
	if err := old.AppendAudit(ctx, &registry.AuditEntry{OrgID: "org-a", Actor: "clerk", Action: "old"}); !errors.Is(err, registry.ErrNoAuditKey) {
		t.Errorf("unkeyed append after keyed entries: %v, want ErrNoAuditKey", err)
	}
	if _, err := old.VerifyAuditChain(ctx, "org-a", nil); !errors.Is(err, registry.ErrNoAuditKey) {
		t.Errorf("verification of keyed entries without the key: %v, want ErrNoAuditKey", err)
	}
	// Rewriting a legacy entry the old way is still caught, at the first keyed entry after
	// it: no later than there, since unkeyed hashes can be recomputed by anyone.
	rechain(t, s, raw, 3, `actor = 'mallory'`, func(e *registry.AuditEntry) { e.Actor = "mallory" }, false)
	if r, err := s.VerifyAuditChain(ctx, "org-a", anchor); err != nil || r.OK || r.BrokenAt != 6 {
		t.Errorf("legacy entry 3 rewritten, chain recomputed = %+v, %v; want broken at 6", r, err)
	}
	if heads, err := s.AuditHeads(ctx); err != nil || !slices.Equal(heads, []string{"org-a"}) {
		t.Errorf("AuditHeads = %q, %v", heads, err)
	}
}
