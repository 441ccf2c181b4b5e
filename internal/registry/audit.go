package registry

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"strconv"
	"time"
)

// AuditTimeFormat is how AuditHash writes AuditEntry.At: UTC with exactly microseconds, the
// precision both databases keep, so a hash recomputed from a stored entry matches.
const AuditTimeFormat = "2006-01-02T15:04:05.000000Z"

// auditHashVersion names the encoding, so a future change cannot be confused with this one.
const auditHashVersion = "orders/audit/v1"

// AuditHash is the hash of an audit entry: SHA-256, lower-case hex, over the canonical
// encoding of (version, PrevHash, Seq, OrgID, At, Actor, Action, OrderID, Details), each
// field written as its 8-byte big-endian length followed by its bytes. Seq is decimal, At is
// in AuditTimeFormat, OrderID is the canonical UUID text or empty, Details is the raw JSON.
// Length prefixes make the encoding unambiguous: no two entries share it. Exported so that an
// exported archive can be verified without the registry.
func AuditHash(e *AuditEntry) string {
	order := ""
	if e.OrderID != nil {
		order = e.OrderID.String()
	}
	h := sha256.New()
	var n [8]byte
	for _, f := range [][]byte{
		[]byte(auditHashVersion), []byte(e.PrevHash), []byte(strconv.FormatInt(e.Seq, 10)), []byte(e.OrgID),
		[]byte(e.At.UTC().Truncate(time.Microsecond).Format(AuditTimeFormat)),
		[]byte(e.Actor), []byte(e.Action), []byte(order), e.Details,
	} {
		binary.BigEndian.PutUint64(n[:], uint64(len(f)))
		h.Write(n[:])
		h.Write(f)
	}
	return hex.EncodeToString(h.Sum(nil))
}
