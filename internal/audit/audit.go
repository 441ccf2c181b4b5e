// Package audit keeps the audit trail honest against someone who can write the database:
// it derives the keys of the chain and of its checkpoints from the installation secret, and
// writes and checks checkpoints — the head of each organization's chain, signed, kept in the
// document store, outside the database.
//
// The chain's entries are keyed by the registry (registry.WithAuditKey), so an entry cannot
// be rewritten, nor the chain recomputed after it, without the key. What the key cannot show
// is entries cut from the end with the head row put back, or a chain rehashed from the first
// entry with the unkeyed scheme of old entries: a checkpoint can. Verify checks the chain
// against the latest checkpoint; Write makes a new one from a chain that verifies.
package audit

import (
	"context"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"orders/internal/blob"
	"orders/internal/registry"
)

// HKDF info strings: each key derived from the installation secret has its own, so the
// secret's other use (sealing signing keys) and the two keys here never coincide.
const (
	chainInfo      = "orders/audit/chain-key/v1"
	checkpointInfo = "orders/audit/checkpoint-key/v1"
)

// Keys derives the key of the audit chain (for registry.WithAuditKey) and the key that signs
// checkpoints from the installation secret (ORDERS_SECRET_KEY, 32 bytes): HKDF-SHA-256,
// no salt, an info string of its own for each.
func Keys(secret []byte) (chain, checkpoint []byte, err error) {
	if len(secret) < 32 {
		return nil, nil, errors.New("audit: the installation secret is shorter than 32 bytes")
	}
	if chain, err = hkdf.Key(sha256.New, secret, nil, chainInfo, 32); err != nil {
		return nil, nil, err
	}
	if checkpoint, err = hkdf.Key(sha256.New, secret, nil, checkpointInfo, 32); err != nil {
		return nil, nil, err
	}
	return chain, checkpoint, nil
}

// Checkpoint is the head of an organization's chain as it verified at At, signed.
type Checkpoint struct {
	Version      int    `json:"v"`
	Organization string `json:"organization"`
	Seq          int64  `json:"seq"`  // the last entry; 0 for an empty chain
	Hash         string `json:"hash"` // its hash
	// LegacyThrough is the last entry hashed without the key (0: none): no entry above it
	// may be unkeyed.
	LegacyThrough int64     `json:"legacy_through"`
	At            time.Time `json:"at"`
	MAC           string    `json:"mac"` // HMAC-SHA-256 under the checkpoint key, hex
}

const checkpointVersion = 1

// mac is the checkpoint's HMAC over the length-prefixed fields, as AuditHash encodes an entry.
func (c *Checkpoint) mac(key []byte) string {
	h := hmac.New(sha256.New, key)
	var n [8]byte
	for _, f := range []string{
		"orders/audit/checkpoint/v" + strconv.Itoa(c.Version), c.Organization,
		strconv.FormatInt(c.Seq, 10), c.Hash, strconv.FormatInt(c.LegacyThrough, 10),
		c.At.UTC().Format(time.RFC3339Nano),
	} {
		binary.BigEndian.PutUint64(n[:], uint64(len(f)))
		h.Write(n[:])
		h.Write([]byte(f))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Anchor is what the checkpoint says about the chain.
func (c *Checkpoint) Anchor() *registry.AuditAnchor {
	return &registry.AuditAnchor{Seq: c.Seq, Hash: c.Hash, LegacyThrough: c.LegacyThrough}
}

// Name is where the checkpoint of orgID is kept in the document store. The organization is
// spelt in hex: organization IDs are not limited to the characters of names.
func Name(orgID string) string {
	return "audit-checkpoints/" + hex.EncodeToString([]byte(orgID)) + ".json"
}

// Chain is what checkpoints need from the registry.
type Chain interface {
	VerifyAuditChain(ctx context.Context, orgID string, anchor *registry.AuditAnchor) (registry.AuditReport, error)
	AuditHeads(ctx context.Context) ([]string, error)
}

// Named is what checkpoints need from the document store.
type Named interface {
	PutNamed(ctx context.Context, name string, data []byte) error
	GetNamed(ctx context.Context, name string) ([]byte, error)
}

// Checkpointer writes and checks checkpoints.
type Checkpointer struct {
	Chain Chain
	Blobs Named
	Key   []byte           // the checkpoint key (Keys)
	Now   func() time.Time // default time.Now
	Log   *slog.Logger     // default slog.Default()
}

// States of the latest checkpoint in a Verdict.
const (
	CheckpointValid    = "valid"    // signed with the key, for this organization
	CheckpointAbsent   = "absent"   // none written yet: the chain is checked against the database alone
	CheckpointTampered = "tampered" // unreadable, or its signature does not verify
)

// Verdict is what Verify found.
type Verdict struct {
	Organization string
	Report       registry.AuditReport // the chain, checked against the checkpoint when it is valid
	Checkpoint   *Checkpoint          // the latest checkpoint if it is valid
	State        string               // of the latest checkpoint: Checkpoint*
	Why          string               // why it is tampered, for the log
}

// Intact is whether the chain checks out and the checkpoint was not tampered with.
func (v Verdict) Intact() bool { return v.Report.OK && v.State != CheckpointTampered }

var (
	// ErrNotIntact is the error of Write when the chain or its checkpoint does not check out:
	// a new checkpoint would vouch for the tampering.
	ErrNotIntact = errors.New("audit: the chain or its checkpoint does not check out")
	// ErrNoKey is the error of a Checkpointer without a key.
	ErrNoKey = errors.New("audit: no checkpoint key")
)

// latest reads and checks the checkpoint of orgID.
func (c *Checkpointer) latest(ctx context.Context, orgID string) (*Checkpoint, string, string, error) {
	if len(c.Key) == 0 {
		return nil, "", "", ErrNoKey
	}
	data, err := c.Blobs.GetNamed(ctx, Name(orgID))
	if errors.Is(err, blob.ErrNotFound) {
		return nil, CheckpointAbsent, "", nil
	}
	if err != nil {
		return nil, "", "", fmt.Errorf("audit: read checkpoint: %w", err)
	}
	var cp Checkpoint
	if err := json.Unmarshal(data, &cp); err != nil {
		return nil, CheckpointTampered, "not JSON: " + err.Error(), nil
	}
	switch {
	case cp.Version != checkpointVersion:
		return nil, CheckpointTampered, fmt.Sprintf("version %d", cp.Version), nil
	case !hmac.Equal([]byte(cp.MAC), []byte(cp.mac(c.Key))):
		return nil, CheckpointTampered, "signature does not verify", nil
	case cp.Organization != orgID:
		// A valid checkpoint of another organization, copied over this one's.
		return nil, CheckpointTampered, "checkpoint of organization " + strconv.Quote(cp.Organization), nil
	}
	return &cp, CheckpointValid, "", nil
}

// Verify checks the chain of orgID against its latest checkpoint. A tampered checkpoint is
// reported, and the chain is then checked against the database alone.
func (c *Checkpointer) Verify(ctx context.Context, orgID string) (Verdict, error) {
	v := Verdict{Organization: orgID}
	cp, state, why, err := c.latest(ctx, orgID)
	if err != nil {
		return v, err
	}
	v.Checkpoint, v.State, v.Why = cp, state, why
	var anchor *registry.AuditAnchor
	if cp != nil {
		anchor = cp.Anchor()
	}
	if v.Report, err = c.Chain.VerifyAuditChain(ctx, orgID, anchor); err != nil {
		return v, err
	}
	return v, nil
}

// Write verifies the chain of orgID and, if it and its latest checkpoint check out, writes
// a checkpoint of its head, unless the latest already names that head (written is then
// false and the latest is returned). A chain or checkpoint that does not check out gets no
// new checkpoint: ErrNotIntact, with the verdict saying why.
func (c *Checkpointer) Write(ctx context.Context, orgID string) (cp *Checkpoint, written bool, v Verdict, err error) {
	if v, err = c.Verify(ctx, orgID); err != nil {
		return nil, false, v, err
	}
	if !v.Intact() {
		return nil, false, v, ErrNotIntact
	}
	r := v.Report
	if old := v.Checkpoint; old != nil && old.Seq == r.HeadSeq && old.Hash == r.HeadHash && old.LegacyThrough == r.LastUnkeyed {
		return old, false, v, nil
	}
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	cp = &Checkpoint{
		Version: checkpointVersion, Organization: orgID,
		Seq: r.HeadSeq, Hash: r.HeadHash, LegacyThrough: r.LastUnkeyed,
		At: now().UTC().Truncate(time.Microsecond),
	}
	cp.MAC = cp.mac(c.Key)
	data, err := json.MarshalIndent(cp, "", "  ")
	if err != nil {
		return nil, false, v, err
	}
	if err := c.Blobs.PutNamed(ctx, Name(orgID), data); err != nil {
		return nil, false, v, fmt.Errorf("audit: write checkpoint: %w", err)
	}
	return cp, true, v, nil
}

// WriteAll writes the checkpoints of every organization with an audit trail; it goes on
// past an organization whose chain does not check out, logging it, and returns the errors.
func (c *Checkpointer) WriteAll(ctx context.Context) (written int, err error) {
	return c.writeEach(ctx, func(string) (bool, error) { return true, nil })
}

// WriteMissing writes the first checkpoint of every organization whose trail has none yet.
// Until its first checkpoint, a trail can be rehashed whole with the unkeyed scheme of old
// entries, unseen; this keeps that time short without verifying every trail each time.
func (c *Checkpointer) WriteMissing(ctx context.Context) (written int, err error) {
	return c.writeEach(ctx, func(org string) (bool, error) {
		_, err := c.Blobs.GetNamed(ctx, Name(org))
		if errors.Is(err, blob.ErrNotFound) {
			return true, nil
		}
		return false, err
	})
}

func (c *Checkpointer) writeEach(ctx context.Context, want func(org string) (bool, error)) (written int, err error) {
	orgs, err := c.Chain.AuditHeads(ctx)
	if err != nil {
		return 0, err
	}
	var errs []error
	for _, org := range orgs {
		if ok, err := want(org); err != nil || !ok {
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", org, err))
			}
			continue
		}
		cp, w, v, err := c.Write(ctx, org)
		switch {
		case errors.Is(err, ErrNotIntact):
			c.log().Error("audit checkpoint not written: the chain does not check out", "organization", org,
				"broken_at", v.Report.BrokenAt, "problem", v.Report.Problem, "checkpoint", v.State, "why", v.Why)
			errs = append(errs, fmt.Errorf("%s: %w", org, err))
		case err != nil:
			errs = append(errs, fmt.Errorf("%s: %w", org, err))
		case w:
			written++
			c.log().Info("audit checkpoint written", "organization", org, "seq", cp.Seq)
		}
	}
	return written, errors.Join(errs...)
}

// Run writes every organization's checkpoint now and then every period, and between those
// the first checkpoint of a new trail every newTrails, until ctx ends.
func (c *Checkpointer) Run(ctx context.Context, every, newTrails time.Duration) {
	all := time.NewTicker(every)
	defer all.Stop()
	missing := time.NewTicker(newTrails)
	defer missing.Stop()
	write := c.WriteAll
	for {
		if _, err := write(ctx); err != nil && ctx.Err() == nil {
			c.log().Warn("audit checkpoints", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-all.C:
			write = c.WriteAll
		case <-missing.C:
			write = c.WriteMissing
		}
	}
}

func (c *Checkpointer) log() *slog.Logger {
	if c.Log != nil {
		return c.Log
	}
	return slog.Default()
}
