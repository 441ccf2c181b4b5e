package audit

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"orders/internal/blob/fsstore"
	"orders/internal/registry"
	"orders/internal/registry/sqlite"
)

func TestKeys(t *testing.T) {
	secret := make([]byte, 32)
	for i := range secret {
		secret[i] = byte(i)
	}
	chain, cp, err := Keys(secret)
	if err != nil {
		t.Fatal(err)
	}
	// Golden values computed independently (RFC 5869 in Python) from the documented
	// derivation, so a verifier outside the service can derive the same keys.
	for name, c := range map[string]struct {
		got  []byte
		want string
	}{
		"chain":      {chain, "8694b027b51ae7bf2b1c511e272ccee13f168282299c4f22d5464ad2eef05d05"},
		"checkpoint": {cp, "989f399255f3597254db7950d70a66ed2becd3994cd69dbf59ba2d8e0d3833d2"},
	} {
		if hex.EncodeToString(c.got) != c.want {
			t.Errorf("%s key = %x, want %s", name, c.got, c.want)
		}
	}
	if bytes.Equal(chain, secret) || bytes.Equal(cp, secret) || bytes.Equal(chain, cp) {
		t.Error("derived keys coincide with each other or with the secret that seals signing keys")
	}
	if _, _, err := Keys(secret[:16]); err == nil {
		t.Error("Keys of a 16-byte secret: no error")
	}
}

// env is a keyed SQLite registry, a filesystem document store, raw access to the database
// (the attacker's), and a Checkpointer.
type env struct {
	t     testing.TB
	store *sqlite.Store
	dsn   string
	cp    *Checkpointer
	blobs *fsstore.Store
	now   time.Time
}

var secret = bytes.Repeat([]byte{9}, 32)

func newEnv(t testing.TB) *env {
	t.Helper()
	dir := t.TempDir()
	e := &env{t: t, dsn: filepath.Join(dir, "registry.db"), now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	chainKey, cpKey, err := Keys(secret)
	if err != nil {
		t.Fatal(err)
	}
	e.store = e.open(registry.WithAuditKey(chainKey))
	if e.blobs, err = fsstore.New(filepath.Join(dir, "docs")); err != nil {
		t.Fatal(err)
	}
	e.cp = &Checkpointer{Chain: e.store, Blobs: e.blobs, Key: cpKey, Now: func() time.Time { return e.now }}
	return e
}

func (e *env) open(opts ...registry.Option) *sqlite.Store {
	s, err := sqlite.Open(context.Background(), e.dsn, opts...)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { s.Close() })
	return s
}

func (e *env) append(s registry.AuditTrail, org string, n int) {
	e.t.Helper()
	for i := range n {
		if err := s.AppendAudit(context.Background(), &registry.AuditEntry{OrgID: org, Actor: "clerk", Action: "download-signed",
			Details: fmt.Appendf(nil, `{"i":%d}`, i)}); err != nil {
			e.t.Fatal(err)
		}
	}
}

func (e *env) raw(statement string) {
	e.t.Helper()
	db, err := sql.Open("sqlite", e.dsn+"?_pragma=busy_timeout(10000)")
	if err != nil {
		e.t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(statement); err != nil {
		e.t.Fatalf("%s: %v", statement, err)
	}
}

// entries is org-a's chain, oldest first.
func (e *env) entries() []registry.AuditEntry {
	list, err := e.store.ListAudit(context.Background(), "org-a", nil, registry.MaxLimit)
	if err != nil {
		e.t.Fatal(err)
	}
	slices.Reverse(list)
	return list
}

// rechain rewrites org-a's chain from entry seq on the way someone without the key can:
// edit applied to the entry, every hash recomputed with the unkeyed scheme (and the entries
// marked unkeyed if downgrade), the head row put back in line.
func (e *env) rechain(seq int64, set string, edit func(*registry.AuditEntry), downgrade bool) {
	list := e.entries()
	for i := range list {
		x := &list[i]
		if x.Seq < seq {
			continue
		}
		sets := ""
		if x.Seq == seq {
			edit(x)
			sets = set + ", "
		}
		if i > 0 {
			x.PrevHash = list[i-1].Hash
		}
		if downgrade {
			x.Scheme = registry.AuditUnkeyed
		}
		x.Hash = registry.AuditHash(x)
		e.raw(fmt.Sprintf(`UPDATE audit SET %sprev_hash = '%s', hash = '%s', scheme = %d WHERE org_id = 'org-a' AND seq = %d`,
			sets, x.PrevHash, x.Hash, x.Scheme, x.Seq))
	}
	last := list[len(list)-1]
	e.raw(fmt.Sprintf(`UPDATE audit_heads SET seq = %d, hash = '%s' WHERE org_id = 'org-a'`, last.Seq, last.Hash))
}

func (e *env) write(org string) *Checkpoint {
	e.t.Helper()
	cp, written, v, err := e.cp.Write(context.Background(), org)
	if err != nil || !written {
		e.t.Fatalf("Write(%s) = %+v, %v, %+v, %v", org, cp, written, v, err)
	}
	return cp
}

// TestTampering: each way someone with the database (but not the key, nor the document
// store's signing key) can change the trail is reported, with where.
func TestTampering(t *testing.T) {
	cases := []struct {
		name    string
		tamper  func(e *env)
		state   string
		broken  int64
		problem string
		dbAlone bool // whether the database alone (VerifyAudit) still calls it intact
	}{
		{name: "untouched", tamper: func(*env) {}, state: CheckpointValid},
		{name: "details rewritten, chain recomputed the old way", tamper: func(e *env) {
			other := e.entries()[3].Details
			e.rechain(7, `details = (SELECT details FROM audit WHERE org_id = 'org-a' AND seq = 4)`,
				func(x *registry.AuditEntry) { x.Details = other }, false)
		}, state: CheckpointValid, broken: 7, problem: registry.AuditEdited},
		{name: "details rewritten, chain recomputed and marked unkeyed", tamper: func(e *env) {
			other := e.entries()[3].Details
			e.rechain(7, `details = (SELECT details FROM audit WHERE org_id = 'org-a' AND seq = 4)`,
				func(x *registry.AuditEntry) { x.Details = other }, true)
		}, state: CheckpointValid, broken: 7, problem: registry.AuditUnkeyedAfter},
		{name: "whole chain recomputed unkeyed", tamper: func(e *env) {
			e.rechain(1, `actor = 'mallory'`, func(x *registry.AuditEntry) { x.Actor = "mallory" }, true)
		}, state: CheckpointValid, broken: 1, problem: registry.AuditUnkeyedAfter, dbAlone: true},
		{name: "end cut, head row put back", tamper: func(e *env) {
			list := e.entries()
			e.raw(`DELETE FROM audit WHERE org_id = 'org-a' AND seq > 8`)
			e.raw(fmt.Sprintf(`UPDATE audit_heads SET seq = 8, hash = '%s' WHERE org_id = 'org-a'`, list[7].Hash))
		}, state: CheckpointValid, broken: 9, problem: registry.AuditCut, dbAlone: true},
		{name: "whole trail deleted", tamper: func(e *env) {
			e.raw(`DELETE FROM audit WHERE org_id = 'org-a'`)
			e.raw(`DELETE FROM audit_heads WHERE org_id = 'org-a'`)
		}, state: CheckpointValid, broken: 1, problem: registry.AuditCut, dbAlone: true},
		{name: "checkpoint forged: seq lowered", tamper: func(e *env) {
			e.editCheckpoint(func(cp *Checkpoint) { cp.Seq = 8 })
		}, state: CheckpointTampered},
		{name: "checkpoint forged: signed with another key", tamper: func(e *env) {
			e.editCheckpoint(func(cp *Checkpoint) { cp.Seq, cp.MAC = 8, cp.mac(bytes.Repeat([]byte{1}, 32)) })
		}, state: CheckpointTampered},
		{name: "checkpoint not JSON", tamper: func(e *env) {
			if err := e.blobs.PutNamed(context.Background(), Name("org-a"), []byte("garbage")); err != nil {
				t.Fatal(err)
			}
		}, state: CheckpointTampered},
		{name: "checkpoint of another organization copied over", tamper: func(e *env) {
			data, err := e.blobs.GetNamed(context.Background(), Name("org-b"))
			if err != nil {
				t.Fatal(err)
			}
			if err := e.blobs.PutNamed(context.Background(), Name("org-a"), data); err != nil {
				t.Fatal(err)
			}
		}, state: CheckpointTampered},
		{name: "checkpoint removed", tamper: func(e *env) {
			if err := removeNamed(e.blobs, Name("org-a")); err != nil {
				t.Fatal(err)
			}
		}, state: CheckpointAbsent},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			ctx := context.Background()
			e.append(e.store, "org-a", 12)
			e.append(e.store, "org-b", 3)
			if n, err := e.cp.WriteAll(ctx); err != nil || n != 2 {
				t.Fatalf("WriteAll = %d, %v", n, err)
			}
			c.tamper(e)
			v, err := e.cp.Verify(ctx, "org-a")
			if err != nil {
				t.Fatal(err)
			}
			if v.State != c.state || v.Report.OK != (c.broken == 0) || v.Report.BrokenAt != c.broken || v.Report.Problem != c.problem {
				t.Errorf("Verify = state %s, %+v; want state %s, broken at %d (%s)", v.State, v.Report, c.state, c.broken, c.problem)
			}
			if want := c.broken == 0 && c.state != CheckpointTampered; v.Intact() != want {
				t.Errorf("Intact = %v, want %v", v.Intact(), want)
			}
			if ok, _, err := e.store.VerifyAudit(ctx, "org-a"); err != nil || (c.broken != 0 && ok != c.dbAlone) {
				t.Errorf("VerifyAudit, the database alone = %v, %v; want %v", ok, err, c.dbAlone)
			}
			// No new checkpoint vouches for a trail or checkpoint that does not check out.
			_, written, _, err := e.cp.Write(ctx, "org-a")
			if v.Intact() != (err == nil) || (err != nil && !errors.Is(err, ErrNotIntact)) || written != (c.state == CheckpointAbsent) {
				t.Errorf("Write after tampering: written %v, %v", written, err)
			}
			if v, err := e.cp.Verify(ctx, "org-b"); err != nil || !v.Intact() || v.State != CheckpointValid {
				t.Errorf("Verify of the untouched organization = %+v, %v", v, err)
			}
		})
	}
}

func (e *env) editCheckpoint(edit func(*Checkpoint)) {
	e.t.Helper()
	ctx := context.Background()
	data, err := e.blobs.GetNamed(ctx, Name("org-a"))
	if err != nil {
		e.t.Fatal(err)
	}
	var cp Checkpoint
	if err := json.Unmarshal(data, &cp); err != nil {
		e.t.Fatal(err)
	}
	edit(&cp)
	if data, err = json.Marshal(cp); err != nil {
		e.t.Fatal(err)
	}
	if err := e.blobs.PutNamed(ctx, Name("org-a"), data); err != nil {
		e.t.Fatal(err)
	}
}

// TestLegacyTrail: a trail written before the key (here by a store opened without it, which
// hashes as the registry did then) verifies and is checkpointed; entries after it are keyed;
// and after the checkpoint, no entry can be passed off as one from before the key.
func TestLegacyTrail(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	old := e.open()
	e.append(old, "org-a", 4)
	cp := e.write("org-a")
	if cp.Seq != 4 || cp.LegacyThrough != 4 {
		t.Errorf("checkpoint of a legacy trail = %+v", cp)
	}
	e.append(e.store, "org-a", 3)
	e.now = e.now.Add(24 * time.Hour)
	cp = e.write("org-a")
	if cp.Seq != 7 || cp.LegacyThrough != 4 {
		t.Errorf("checkpoint of a mixed trail = %+v", cp)
	}
	if v, err := e.cp.Verify(ctx, "org-a"); err != nil || !v.Intact() {
		t.Errorf("Verify of a mixed trail = %+v, %v", v, err)
	}
	// Unchanged: no new checkpoint.
	if again, written, _, err := e.cp.Write(ctx, "org-a"); err != nil || written || *again != *cp {
		t.Errorf("Write of an unchanged trail = %+v, %v, %v", again, written, err)
	}
	// The legacy part rewritten and the whole chain recomputed unkeyed: the keyed entries
	// are not unkeyed any more, which the checkpoint rules out.
	e.rechain(2, `actor = 'mallory'`, func(x *registry.AuditEntry) { x.Actor = "mallory" }, true)
	if v, err := e.cp.Verify(ctx, "org-a"); err != nil || v.Intact() || v.Report.BrokenAt != 5 || v.Report.Problem != registry.AuditUnkeyedAfter {
		t.Errorf("Verify after the legacy part was rewritten = %+v, %v; want broken at 5 (unkeyed)", v.Report, err)
	}
}

// TestLegacyRewriteAgainstCheckpoint: within the entries from before the key, a rewrite is
// seen at the checkpoint's entry at the latest.
func TestLegacyRewriteAgainstCheckpoint(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.append(e.open(), "org-a", 6)
	e.write("org-a")
	e.rechain(3, `actor = 'mallory'`, func(x *registry.AuditEntry) { x.Actor = "mallory" }, false)
	if ok, _, err := e.store.VerifyAudit(ctx, "org-a"); err != nil || !ok {
		t.Fatalf("the database alone: %v, %v; the unkeyed rewrite should pass there", ok, err)
	}
	v, err := e.cp.Verify(ctx, "org-a")
	if err != nil || v.Intact() || v.Report.BrokenAt != 6 || v.Report.Problem != registry.AuditAnchorHash {
		t.Errorf("Verify = %+v, %v; want broken at 6 (anchor)", v.Report, err)
	}
}

func TestCheckpointName(t *testing.T) {
	if got := Name("org-a"); got != "audit-checkpoints/6f72672d61.json" {
		t.Errorf("Name = %s", got)
	}
	if got := Name("Школа / 17"); got != "audit-checkpoints/"+hex.EncodeToString([]byte("Школа / 17"))+".json" {
		t.Errorf("Name = %s", got)
	}
}

func TestNoKey(t *testing.T) {
	e := newEnv(t)
	e.cp.Key = nil
	if _, err := e.cp.Verify(context.Background(), "org-a"); !errors.Is(err, ErrNoKey) {
		t.Errorf("Verify without a key: %v", err)
	}
}

// TestWriteMissing: a new trail gets its first checkpoint without waiting for the daily
// round, and trails that have one are left to it.
func TestWriteMissing(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.append(e.store, "org-a", 3)
	if n, err := e.cp.WriteAll(ctx); err != nil || n != 1 {
		t.Fatalf("WriteAll = %d, %v", n, err)
	}
	e.append(e.store, "org-a", 1)
	e.append(e.store, "org-b", 2)
	if n, err := e.cp.WriteMissing(ctx); err != nil || n != 1 {
		t.Fatalf("WriteMissing = %d, %v; want 1 (org-b)", n, err)
	}
	for org, seq := range map[string]int64{"org-a": 3, "org-b": 2} {
		if v, err := e.cp.Verify(ctx, org); err != nil || !v.Intact() || v.Checkpoint == nil || v.Checkpoint.Seq != seq {
			t.Errorf("%s: %+v, %v; want a checkpoint at %d", org, v, err, seq)
		}
	}

	// Run: a trail that appears while it runs is checkpointed within the short period.
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); e.cp.Run(runCtx, time.Hour, 10*time.Millisecond) }()
	defer func() { cancel(); <-done }()
	e.append(e.store, "org-c", 1)
	deadline := time.Now().Add(5 * time.Second)
	for {
		v, err := e.cp.Verify(ctx, "org-c")
		if err != nil {
			t.Fatal(err)
		}
		if v.State == CheckpointValid {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no checkpoint of a new trail while Run runs")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
