package registry

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash"
	"strconv"
	"time"
)

// AuditTimeFormat is how AuditHash writes AuditEntry.At: UTC with exactly microseconds, the
// precision both databases keep, so a hash recomputed from a stored entry matches.
const AuditTimeFormat = "2006-01-02T15:04:05.000000Z"

// The version strings name the encodings, so an entry hashed by one scheme can never pass
// for an entry of the other.
const (
	auditHashVersion = "orders/audit/v1"
	auditMACVersion  = "orders/audit/v2"
)

// Audit hash schemes, recorded with every entry (AuditEntry.Scheme).
const (
	// AuditUnkeyed is plain SHA-256 (AuditHash): the scheme of entries written before the
	// chain was keyed. Anyone who can write the database can recompute it.
	AuditUnkeyed = 1
	// AuditKeyed is HMAC-SHA-256 under the audit key (AuditMAC), which is not in the
	// database: rewriting an entry needs the key.
	AuditKeyed = 2
)

// ErrNoAuditKey is the error of appending to or verifying a keyed chain with a store opened
// without the audit key.
var ErrNoAuditKey = errors.New("registry: the audit chain is keyed and this store has no audit key")

// AuditHash is the hash of an audit entry: SHA-256, lower-case hex, over the canonical
// encoding of (version, PrevHash, Seq, OrgID, At, Actor, Action, OrderID, Details), each
// field written as its 8-byte big-endian length followed by its bytes. Seq is decimal, At is
// in AuditTimeFormat, OrderID is the canonical UUID text or empty, Details is the raw JSON.
// Length prefixes make the encoding unambiguous: no two entries share it. Exported so that an
// exported archive can be verified without the registry.
func AuditHash(e *AuditEntry) string {
	return auditSum(sha256.New(), auditHashVersion, e)
}

// AuditMAC is the hash of an entry of the keyed scheme: HMAC-SHA-256 under key, lower-case
// hex, over the same encoding as AuditHash with the version "orders/audit/v2".
func AuditMAC(key []byte, e *AuditEntry) string {
	return auditSum(hmac.New(sha256.New, key), auditMACVersion, e)
}

func auditSum(h hash.Hash, version string, e *AuditEntry) string {
	order := ""
	if e.OrderID != nil {
		order = e.OrderID.String()
	}
	var n [8]byte
	for _, f := range [][]byte{
		[]byte(version), []byte(e.PrevHash), []byte(strconv.FormatInt(e.Seq, 10)), []byte(e.OrgID),
		[]byte(e.At.UTC().Truncate(time.Microsecond).Format(AuditTimeFormat)),
		[]byte(e.Actor), []byte(e.Action), []byte(order), e.Details,
	} {
		binary.BigEndian.PutUint64(n[:], uint64(len(f)))
		h.Write(n[:])
		h.Write(f)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Options are the settings a driver's Open takes besides the database.
type Options struct {
	// AuditKey keys the audit chain (AuditMAC). A store without it appends unkeyed entries,
	// and only to chains that have no keyed entry; ordersd always gives it.
	AuditKey []byte
}

// Option sets one of Options.
type Option func(*Options)

// WithAuditKey gives the store the key of the audit chain (see AuditKeyed).
func WithAuditKey(key []byte) Option {
	return func(o *Options) { o.AuditKey = append([]byte(nil), key...) }
}

// ApplyOptions collects opts; drivers call it in Open.
func ApplyOptions(opts []Option) Options {
	var o Options
	for _, f := range opts {
		f(&o)
	}
	return o
}

// AuditAnchor is what a checkpoint kept outside the database says about a chain: entry Seq
// had hash Hash, and no entry above LegacyThrough was hashed without the key. A chain that
// verifies against it has not been cut below Seq nor rewritten there, even by someone who
// rewrote the head row and every hash after it.
type AuditAnchor struct {
	Seq           int64
	Hash          string
	LegacyThrough int64
}

// Problems VerifyAuditChain reports, in AuditReport.Problem.
const (
	AuditEdited       = "edited"        // the entry's hash or link does not check out
	AuditMissing      = "missing"       // the entry is missing (its Seq is skipped)
	AuditBeyondHead   = "beyond-head"   // entries after the recorded head
	AuditHeadMismatch = "head-mismatch" // the recorded head names another entry or hash
	AuditUnkeyedAfter = "unkeyed"       // an entry hashed without the key where the key was due
	AuditCut          = "cut"           // the chain ends below the anchor's Seq
	AuditAnchorHash   = "anchor"        // the entry at the anchor's Seq is not the anchored one
)

// AuditReport is what VerifyAuditChain found.
type AuditReport struct {
	OK       bool
	BrokenAt int64  // the Seq of the first entry that does not check out (for a missing one, its Seq)
	Problem  string // one of the Audit* problems above
	// The last entry that checked out, and the last entry hashed without the key (0 if none):
	// what a new checkpoint records.
	HeadSeq     int64
	HeadHash    string
	LastUnkeyed int64
}
