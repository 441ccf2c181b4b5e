// Package driver owns what every registry driver must do the same way: checking and completing
// records before they are stored, the rules of status transitions, the search text, the list
// query and its cursors. Keeping them here means the SQLite and PostgreSQL drivers differ only in
// SQL dialect and scanning, never in behaviour.
package driver

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"orders/internal/registry"
)

// Now is the registry's clock: UTC, truncated to the microseconds both databases keep, so a
// value read back equals the value written.
func Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// HashDraft is the DraftHash of a draft.
func HashDraft(draft []byte) string {
	sum := sha256.Sum256(draft)
	return hex.EncodeToString(sum[:])
}

// SearchText folds s for case-insensitive matching. It is done in Go because SQLite's lower()
// and LIKE only fold ASCII; ё is folded to е because titles are written both ways.
func SearchText(s string) string {
	return strings.ReplaceAll(strings.ToLower(s), "ё", "е")
}

// NonNil returns b, or an empty slice for nil: the columns are NOT NULL and a nil []byte would
// be bound as NULL.
func NonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

func checkDate(field, s string) error {
	if s == "" {
		return nil
	}
	if _, err := time.Parse(time.DateOnly, s); err != nil {
		return fmt.Errorf("%w: %s %q is not a YYYY-MM-DD date", registry.ErrInvalid, field, s)
	}
	return nil
}

func checkStatus(s registry.Status) error {
	if !s.Valid() {
		return fmt.Errorf("%w: unknown status %q", registry.ErrInvalid, s)
	}
	return nil
}

// PrepareOrder checks o and fills what the registry owns: ID, status, state, hash and times.
// The lifecycle fields are cleared: only RegisterOrder, Sign and Cancel set them, so that
// numbers always come from a journal's counter.
func PrepareOrder(o *registry.Order, now time.Time) error {
	if o.OrgID == "" {
		return fmt.Errorf("%w: order without organization", registry.ErrInvalid)
	}
	if o.State == "" {
		o.State = registry.StateDraft
	}
	if o.State != registry.StateDraft {
		return fmt.Errorf("%w: a new order is a draft, not %q; use RegisterOrder", registry.ErrInvalid, o.State)
	}
	o.Journal, o.Seq, o.CancelReason, o.CancelledBy, o.Signatory, o.PrintRev = "", 0, "", "", "", 0
	o.RegisteredAt, o.SignedAt, o.CancelledAt = nil, nil, nil
	o.SignedKey, o.SignedSHA256, o.SignedSize = "", "", 0
	o.BatchID, o.BatchRow = nil, 0
	if o.Status == "" {
		o.Status = registry.StatusDraft
	}
	if err := checkStatus(o.Status); err != nil {
		return err
	}
	if err := checkDate("date", o.Date); err != nil {
		return err
	}
	if o.ID == uuid.Nil {
		// Version 7 IDs grow with time, which keeps the primary key index append-mostly.
		id, err := uuid.NewV7()
		if err != nil {
			return fmt.Errorf("registry: new order id: %w", err)
		}
		o.ID = id
	}
	o.Draft = NonNil(o.Draft)
	o.DraftHash = HashDraft(o.Draft)
	o.CreatedAt, o.UpdatedAt = now, now
	if o.RenderedAt != nil {
		t := o.RenderedAt.UTC().Truncate(time.Microsecond)
		o.RenderedAt = &t
	}
	return nil
}

// PrepareOrganization checks org and fills its times; CreatedAt is kept by the upsert when the
// organization exists.
func PrepareOrganization(org *registry.Organization, now time.Time) error {
	if org.ID == "" {
		return fmt.Errorf("%w: organization without id", registry.ErrInvalid)
	}
	org.Profile = NonNil(org.Profile)
	// Signing stays nil when the caller did not set it: the drivers then keep the stored value.
	org.CreatedAt, org.UpdatedAt = now, now
	return nil
}

// PrepareToken checks t and fills its ID and time.
func PrepareToken(t *registry.Token, now time.Time) error {
	if t.Hash == "" || t.Role == "" {
		return fmt.Errorf("%w: token needs a hash and a role", registry.ErrInvalid)
	}
	if t.ID == uuid.Nil {
		t.ID = uuid.New()
	}
	t.CreatedAt = now
	return nil
}

// CheckState returns a *registry.StateError unless current is one of allowed.
func CheckState(current registry.Status, allowed []registry.Status) error {
	if slices.Contains(allowed, current) {
		return nil
	}
	return &registry.StateError{Current: current}
}

// CheckLifecycle returns a *registry.LifecycleError for action unless current is one of
// allowed.
func CheckLifecycle(current registry.State, action string, allowed ...registry.State) error {
	if slices.Contains(allowed, current) {
		return nil
	}
	return &registry.LifecycleError{Current: current, Action: action}
}

// CheckDelete is the precondition of DeleteOrder: a draft, in one of the allowed statuses.
func CheckDelete(o *registry.Order, allowed []registry.Status) error {
	if err := CheckLifecycle(o.State, "delete", registry.StateDraft); err != nil {
		return err
	}
	return CheckState(o.Status, allowed)
}

// DocumentKeys are the document-store keys an order refers to, each once: what DeleteOrder
// may free.
func DocumentKeys(o *registry.Order) []string {
	var keys []string
	for _, k := range []string{o.PDFKey, o.DOCXKey, o.SignedKey} {
		if k != "" && !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	return keys
}

// Mutation changes a loaded order in place, inside the driver's transaction that holds the
// row. write false means the row is to be left as it is; an error aborts the transaction.
type Mutation func(o *registry.Order, now time.Time) (write bool, err error)

// EditDraft is the mutation of UpdateDraft. Arguments are checked before any database work.
func EditDraft(u registry.DraftUpdate, allowed []registry.Status) (Mutation, error) {
	if err := checkDate("date", u.Date); err != nil {
		return nil, err
	}
	if u.Status != "" {
		if err := checkStatus(u.Status); err != nil {
			return nil, err
		}
	}
	draft := NonNil(u.Draft)
	hash := HashDraft(draft)
	return func(o *registry.Order, now time.Time) (bool, error) {
		// The lifecycle comes first: a registered order is a record whatever its render status.
		if err := CheckLifecycle(o.State, "edit", registry.StateDraft); err != nil {
			return false, err
		}
		if err := CheckState(o.Status, allowed); err != nil {
			return false, err
		}
		if hash != o.DraftHash {
			// The outputs, their time and the last error described the old draft.
			o.Outputs = registry.Outputs{}
			o.RenderedAt = nil
			o.Error = ""
		}
		o.Draft, o.DraftHash = draft, hash
		o.Kind, o.Title, o.Date, o.Number = u.Kind, u.Title, u.Date, u.Number
		o.SearchText = u.SearchText
		if u.Status != "" {
			o.Status = u.Status
		}
		o.UpdatedAt = now
		return true, nil
	}, nil
}

// SetStatus is the mutation of Store.SetStatus.
func SetStatus(from []registry.Status, to registry.Status) (Mutation, error) {
	if err := checkStatus(to); err != nil {
		return nil, err
	}
	return func(o *registry.Order, now time.Time) (bool, error) {
		if o.Imported && to != o.Status {
			// Its status says its document is there; queued would send it to a worker.
			return false, registry.ErrImported
		}
		if err := CheckState(o.Status, from); err != nil {
			return false, err
		}
		o.Status, o.UpdatedAt = to, now
		return true, nil
	}, nil
}

// MarkRendering is the mutation of Store.MarkRendering.
func MarkRendering(o *registry.Order, now time.Time) (bool, error) {
	allowed := []registry.Status{registry.StatusQueued, registry.StatusFailed, registry.StatusRendering}
	if o.Imported {
		allowed = nil // a *StateError, which a worker takes for a job to drop
	}
	if err := CheckState(o.Status, allowed); err != nil {
		return false, err
	}
	o.Status, o.UpdatedAt = registry.StatusRendering, now
	o.Attempts++
	return true, nil
}

// MarkRendered is the mutation of Store.MarkRendered.
func MarkRendered(renderKey string, out registry.Outputs) Mutation {
	return func(o *registry.Order, now time.Time) (bool, error) {
		if o.Status == registry.StatusRendered {
			return false, nil
		}
		allowed := []registry.Status{registry.StatusQueued, registry.StatusRendering, registry.StatusFailed}
		if err := CheckState(o.Status, allowed); err != nil {
			return false, err
		}
		if renderKey != o.RenderKey() {
			return false, fmt.Errorf("%w: what the order prints changed while it was being rendered", registry.ErrConflict)
		}
		o.Status, o.UpdatedAt = registry.StatusRendered, now
		o.Outputs = out
		o.RenderedAt = &now
		o.Error = ""
		return true, nil
	}
}

// MarkFailed is the mutation of Store.MarkFailed.
func MarkFailed(reason string) Mutation {
	return func(o *registry.Order, now time.Time) (bool, error) {
		allowed := []registry.Status{registry.StatusQueued, registry.StatusRendering, registry.StatusFailed}
		if err := CheckState(o.Status, allowed); err != nil {
			return false, err
		}
		o.Status, o.UpdatedAt = registry.StatusFailed, now
		o.Error = reason
		return true, nil
	}
}

// Limit applies the default and the maximum page size.
func Limit(n int) int {
	if n <= 0 {
		return registry.DefaultLimit
	}
	return min(n, registry.MaxLimit)
}

// OrgFileColumn is the organizations column that keeps file f. The column name goes into
// SQL text, so only the known files map to one.
func OrgFileColumn(f registry.OrgFile) (string, error) {
	switch f {
	case registry.OrgEmblem:
		return "emblem", nil
	case registry.OrgLetterhead:
		return "letterhead", nil
	}
	return "", fmt.Errorf("%w: unknown organization file %q", registry.ErrInvalid, f)
}
