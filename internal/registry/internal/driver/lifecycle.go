package driver

import (
	"context"
	"crypto/hmac"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"orders/internal/registry"
)

// Tx is what the shared lifecycle rules need from a driver's open write transaction, which
// already holds the order's row (PostgreSQL: FOR UPDATE; SQLite: the database write lock).
type Tx interface {
	// TakeSeqs takes the next n (≥ 1) sequence numbers of a journal in a year, first to
	// first+n-1, creating the year's counter at 1 if needed, and returns them with the
	// journal's number format. The counter row stays locked until the transaction ends, so
	// the numbers of concurrent registrations are issued one after the other, and a rollback
	// gives them back. An unknown journal is registry.ErrInvalid.
	TakeSeqs(ctx context.Context, orgID, journalID string, year, n int) (first int, format string, err error)
	// AppendAudit appends e (checked with CheckAudit) to its organization's chain.
	AppendAudit(ctx context.Context, e *registry.AuditEntry, now time.Time) error
	// InsertSignature stores s (prepared with PrepareSignature).
	InsertSignature(ctx context.Context, s *registry.Signature) error
	// InsertAck stores a (prepared with PrepareAck; date is its ReadAt as stored); a repeat
	// for the same person is AckConflict.
	InsertAck(ctx context.Context, a *registry.Ack, date string) error
	// RegisterKey reads the key an order was registered with ("" for none);
	// SetRegisterKey records it.
	RegisterKey(ctx context.Context, id uuid.UUID) (string, error)
	SetRegisterKey(ctx context.Context, id uuid.UUID, key string) error
	WorkflowTx
	// Registered stores what registering o brings besides the order row: its control items
	// (prepared with PrepareControls) and its filing into the case that takes the orders of
	// its journal, if any.
	Registered(ctx context.Context, o *registry.Order, controls []registry.ControlItem, now time.Time) error
}

// TxMutation is a Mutation that also needs the transaction.
type TxMutation func(ctx context.Context, tx Tx, o *registry.Order, now time.Time) (write bool, err error)

// Tx adapts m, which needs no transaction, to a TxMutation.
func (m Mutation) Tx() TxMutation {
	return func(_ context.Context, _ Tx, o *registry.Order, now time.Time) (bool, error) {
		return m(o, now)
	}
}

// Register is the mutation of Store.RegisterOrder. Arguments are checked before any
// database work.
func Register(r registry.RegisterRequest) (TxMutation, error) {
	if r.Journal == "" {
		return nil, fmt.Errorf("%w: registration without a journal", registry.ErrInvalid)
	}
	if r.Date == "" {
		return nil, fmt.Errorf("%w: registration without a date", registry.ErrInvalid)
	}
	if err := checkDate("date", r.Date); err != nil {
		return nil, err
	}
	if r.Build == nil {
		return nil, fmt.Errorf("%w: registration without a Build function", registry.ErrInvalid)
	}
	if len(r.Key) > registry.MaxRegisterKey {
		return nil, fmt.Errorf("%w: registration key longer than %d bytes", registry.ErrInvalid, registry.MaxRegisterKey)
	}
	year, _ := strconv.Atoi(r.Date[:4])
	return func(ctx context.Context, tx Tx, o *registry.Order, now time.Time) (bool, error) {
		if o.State != registry.StateDraft && r.Key != "" {
			// The order's row is held: the registration that recorded this key has committed.
			key, err := tx.RegisterKey(ctx, o.ID)
			if err != nil {
				return false, err
			}
			if key == r.Key {
				if r.Replayed != nil {
					*r.Replayed = true
				}
				return false, nil
			}
		}
		if err := CheckLifecycle(o.State, "register", registry.StateDraft); err != nil {
			return false, err
		}
		if err := CheckApproved(ctx, tx, o); err != nil {
			return false, err
		}
		seq, format, err := tx.TakeSeqs(ctx, o.OrgID, r.Journal, year, 1)
		if err != nil {
			return false, err
		}
		controls, err := registerAs(o, r, seq, format, now)
		if err != nil {
			return false, err
		}
		if err := tx.Registered(ctx, o, controls, now); err != nil {
			return false, err
		}
		if r.Key != "" {
			if err := tx.SetRegisterKey(ctx, o.ID, r.Key); err != nil {
				return false, err
			}
		}
		return true, appendFor(ctx, tx, o, r.Audit, now)
	}, nil
}

// registerAs registers o with sequence number seq of a journal with format: it formats the
// number, calls r.Build and sets what registration changes.
func registerAs(o *registry.Order, r registry.RegisterRequest, seq int, format string, now time.Time) ([]registry.ControlItem, error) {
	number, err := registry.FormatNumber(format, seq)
	if err != nil {
		return nil, err
	}
	// Build gets a copy: what it changes must come back through Registered only.
	view := *o
	reg, err := r.Build(&view, number, seq)
	if err != nil {
		return nil, err
	}
	controls, err := PrepareControls(o, reg.Controls, now)
	if err != nil {
		return nil, err
	}
	draft := NonNil(reg.Draft)
	o.Draft, o.DraftHash = draft, HashDraft(draft)
	o.SearchText = reg.SearchText
	o.Number, o.Date, o.Journal, o.Seq = number, r.Date, r.Journal, seq
	o.State, o.RegisteredAt = registry.StateRegistered, &now
	// The final documents are still to be made; the draft's outputs printed «ПРОЕКТ».
	o.Status, o.Outputs, o.RenderedAt, o.Error = registry.StatusQueued, registry.Outputs{}, nil, ""
	o.UpdatedAt = now
	return controls, nil
}

// RegisterAll is RegisterBatch's work inside the driver's transaction, which holds the rows
// of list: the draft orders of one organization's batch, in row order. It takes len(list)
// consecutive numbers at once (one counter update, however big the batch) and registers each
// order with the next, then appends its audit entry if audit gives one.
func RegisterAll(ctx context.Context, tx Tx, list []*registry.Order, journal, date string,
	build func(*registry.Order, string, int) (registry.Registered, error),
	audit func(*registry.Order) *registry.AuditEntry, now time.Time) error {
	if len(list) == 0 {
		return nil
	}
	year, err := CheckRegisterBatch(journal, date, build)
	if err != nil {
		return err
	}
	for _, o := range list {
		if err := CheckLifecycle(o.State, "register", registry.StateDraft); err != nil {
			return err
		}
	}
	// Routes are looked at only where the organization requires them: a batch of ten
	// thousand orders is not asked ten thousand times otherwise.
	if required, err := tx.ApprovalRequired(ctx, list[0].OrgID); err != nil {
		return err
	} else if required {
		for _, o := range list {
			if err := CheckApproved(ctx, tx, o); err != nil {
				return err
			}
		}
	}
	first, format, err := tx.TakeSeqs(ctx, list[0].OrgID, journal, year, len(list))
	if err != nil {
		return err
	}
	r := registry.RegisterRequest{Journal: journal, Date: date, Build: build}
	for i, o := range list {
		controls, err := registerAs(o, r, first+i, format, now)
		if err != nil {
			return err
		}
		if err := tx.Registered(ctx, o, controls, now); err != nil {
			return err
		}
		if audit != nil {
			view := *o
			if err := appendFor(ctx, tx, o, audit(&view), now); err != nil {
				return err
			}
		}
	}
	return nil
}

// Sign is the mutation of Store.Sign.
func Sign(r registry.SignRequest, now time.Time) (TxMutation, error) {
	d := r.Document
	if d.Key == "" || d.Size <= 0 {
		return nil, fmt.Errorf("%w: signed document without key or size", registry.ErrInvalid)
	}
	if err := checkSHA256("signed document", d.SHA256); err != nil {
		return nil, err
	}
	if strings.TrimSpace(r.Signatory) == "" {
		return nil, fmt.Errorf("%w: signing without a signatory", registry.ErrInvalid)
	}
	if r.Signature != nil {
		if err := PrepareSignature(r.Signature, now); err != nil {
			return nil, err
		}
	}
	return func(ctx context.Context, tx Tx, o *registry.Order, now time.Time) (bool, error) {
		if err := CheckLifecycle(o.State, "sign", registry.StateRegistered); err != nil {
			return false, err
		}
		o.State, o.SignedAt, o.Signatory = registry.StateSigned, &now, strings.TrimSpace(r.Signatory)
		o.SignedKey, o.SignedSHA256, o.SignedSize = d.Key, d.SHA256, d.Size
		o.UpdatedAt = now
		if r.Signature != nil {
			r.Signature.OrderID = o.ID
			if err := tx.InsertSignature(ctx, r.Signature); err != nil {
				return false, err
			}
		}
		return true, appendFor(ctx, tx, o, r.Audit, now)
	}, nil
}

// Cancel is the mutation of Store.Cancel.
func Cancel(r registry.CancelRequest) (TxMutation, error) {
	reason := strings.TrimSpace(r.Reason)
	if reason == "" {
		return nil, fmt.Errorf("%w: cancelling without a reason", registry.ErrInvalid)
	}
	return func(ctx context.Context, tx Tx, o *registry.Order, now time.Time) (bool, error) {
		if err := CheckLifecycle(o.State, "cancel", registry.StateRegistered, registry.StateSigned); err != nil {
			return false, err
		}
		o.State, o.CancelledAt, o.CancelReason = registry.StateCancelled, &now, reason
		o.CancelledBy = strings.TrimSpace(r.By)
		Reprint(o, now)
		return true, appendFor(ctx, tx, o, r.Audit, now)
	}, nil
}

// Reprint records that what o prints changed besides its draft: PrintRev grows, so a render
// already under way is refused by MarkRendered, and the order is queued for a new one (the
// caller publishes its job). An order without a draft, or imported (its document is the
// upload, see ImportOrder), has nothing to render: its pages and the API state the change.
func Reprint(o *registry.Order, now time.Time) {
	o.PrintRev++
	o.UpdatedAt = now
	if len(o.Draft) == 0 || o.Imported {
		return
	}
	switch o.Status {
	case registry.StatusRendered, registry.StatusFailed, registry.StatusRendering:
		o.Status, o.Error = registry.StatusQueued, ""
	}
}

// Acknowledge is the mutation of Store.RecordAck: it inserts a (checked with PrepareAck),
// appends the audit entry and queues the order to be rendered again with the date.
func Acknowledge(a *registry.Ack, audit *registry.AuditEntry) (TxMutation, error) {
	date, err := PrepareAck(a, Now())
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, tx Tx, o *registry.Order, now time.Time) (bool, error) {
		if err := CheckLifecycle(o.State, "record an acknowledgement of",
			registry.StateRegistered, registry.StateSigned, registry.StateCancelled); err != nil {
			return false, err
		}
		a.RecordedAt = now
		if err := tx.InsertAck(ctx, a, date); err != nil {
			return false, err
		}
		Reprint(o, now)
		if audit != nil && len(audit.Details) == 0 {
			audit.Details, _ = json.Marshal(map[string]string{"person": a.Person, "date": date})
		}
		return true, appendFor(ctx, tx, o, audit, now)
	}, nil
}

// AckConflict is the error of a repeated acknowledgement.
func AckConflict(person string) error {
	return fmt.Errorf("%w: %s's acknowledgement is already recorded", registry.ErrConflict, person)
}

// appendFor appends the audit entry of a transition of o, if the caller gave one.
func appendFor(ctx context.Context, tx Tx, o *registry.Order, e *registry.AuditEntry, now time.Time) error {
	if e == nil {
		return nil
	}
	id := o.ID
	e.OrgID, e.OrderID = o.OrgID, &id
	if err := CheckAudit(e); err != nil {
		return err
	}
	return tx.AppendAudit(ctx, e, now)
}

var slug = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// PrepareJournal checks j and fills its times; CreatedAt is kept by the upsert when the
// journal exists.
func PrepareJournal(j *registry.Journal, now time.Time) error {
	if j.OrgID == "" {
		return fmt.Errorf("%w: journal without organization", registry.ErrInvalid)
	}
	if !slug.MatchString(j.ID) {
		return fmt.Errorf("%w: journal id %q: use lower-case latin letters, digits, '-' and '_'", registry.ErrInvalid, j.ID)
	}
	if err := registry.ValidateNumberFormat(j.Format); err != nil {
		return err
	}
	j.CreatedAt, j.UpdatedAt = now, now
	j.Years = nil
	return nil
}

// CheckJournalStart checks the arguments of SetJournalStart.
func CheckJournalStart(s registry.JournalStart) error {
	if s.Year < 1900 || s.Year > 9999 {
		return fmt.Errorf("%w: year %d", registry.ErrInvalid, s.Year)
	}
	if s.Next < 1 {
		return fmt.Errorf("%w: first number %d is not positive", registry.ErrInvalid, s.Next)
	}
	return nil
}

// SortStarts checks starts and orders them by year, so that concurrent callers lock the
// years' counters in the same order; a year given twice is ErrInvalid.
func SortStarts(starts []registry.JournalStart) ([]registry.JournalStart, error) {
	out := slices.Clone(starts)
	slices.SortFunc(out, func(a, b registry.JournalStart) int { return a.Year - b.Year })
	for i, s := range out {
		if err := CheckJournalStart(s); err != nil {
			return nil, err
		}
		if i > 0 && out[i-1].Year == s.Year {
			return nil, fmt.Errorf("%w: year %d given twice", registry.ErrInvalid, s.Year)
		}
	}
	return out, nil
}

// StartConflict is the error of SetJournalStart when last (the last number issued in the
// year) is not below the requested next number.
func StartConflict(s registry.JournalStart, last int) error {
	return &registry.JournalStartError{Year: s.Year, Next: s.Next, Last: last}
}

// CheckAudit checks what the caller of AppendAudit must fill.
func CheckAudit(e *registry.AuditEntry) error {
	if e.OrgID == "" {
		return fmt.Errorf("%w: audit entry without organization", registry.ErrInvalid)
	}
	if e.Action == "" {
		return fmt.Errorf("%w: audit entry without action", registry.ErrInvalid)
	}
	if len(e.Details) > 0 && !json.Valid(e.Details) {
		return fmt.Errorf("%w: audit details are not JSON", registry.ErrInvalid)
	}
	return nil
}

// ChainAudit makes e the entry after (lastSeq, lastHash), the head of its chain, which the
// driver holds locked: keyed (AuditMAC) when the store has the audit key, else unkeyed. A
// store without the key must first check that the head is not keyed (see NeedKey).
func ChainAudit(e *registry.AuditEntry, lastSeq int64, lastHash string, now time.Time, key []byte) {
	e.Details = NonNil(e.Details)
	e.Seq, e.At, e.PrevHash = lastSeq+1, now, lastHash
	if len(key) > 0 {
		e.Scheme, e.Hash = registry.AuditKeyed, registry.AuditMAC(key, e)
	} else {
		e.Scheme, e.Hash = registry.AuditUnkeyed, registry.AuditHash(e)
	}
}

// NeedKey is the error of a store without the audit key appending after an entry of
// scheme headScheme: an unkeyed entry after a keyed one would read as tampering.
func NeedKey(headScheme int) error {
	if headScheme == registry.AuditKeyed {
		return registry.ErrNoAuditKey
	}
	return nil
}

// ChainCheck verifies a chain entry by entry, in Seq order. Key verifies keyed entries;
// Anchor, if set, is a checkpoint kept outside the database that the chain must agree with.
type ChainCheck struct {
	Key    []byte
	Anchor *registry.AuditAnchor

	seq         int64
	prev        string
	broken      int64
	problem     string
	keyed       bool // a keyed entry was seen: every later entry must be keyed too
	lastUnkeyed int64
	err         error
}

// Add checks the next entry; it returns false at the first one that does not check out, or
// that cannot be checked (see Report).
func (c *ChainCheck) Add(e *registry.AuditEntry) bool {
	if c.broken != 0 || c.err != nil {
		return false
	}
	fail := func(at int64, problem string) bool {
		c.broken, c.problem = at, problem
		return false
	}
	if e.Seq != c.seq+1 {
		return fail(c.seq+1, registry.AuditMissing) // a removed entry: the first missing Seq
	}
	if e.PrevHash != c.prev {
		return fail(e.Seq, registry.AuditEdited)
	}
	switch e.Scheme {
	case registry.AuditKeyed:
		if len(c.Key) == 0 {
			c.err = registry.ErrNoAuditKey
			return false
		}
		if !hmac.Equal([]byte(e.Hash), []byte(registry.AuditMAC(c.Key, e))) {
			return fail(e.Seq, registry.AuditEdited)
		}
		c.keyed = true
	case registry.AuditUnkeyed:
		// Whoever can write the database can hash this scheme: it is believed only where
		// it was used before the key, i.e. never after a keyed entry, and never above
		// what the checkpoint says was hashed without the key.
		if c.keyed || (c.Anchor != nil && e.Seq > c.Anchor.LegacyThrough) {
			return fail(e.Seq, registry.AuditUnkeyedAfter)
		}
		if e.Hash != registry.AuditHash(e) {
			return fail(e.Seq, registry.AuditEdited)
		}
		c.lastUnkeyed = e.Seq
	default:
		return fail(e.Seq, registry.AuditEdited)
	}
	if c.Anchor != nil && e.Seq == c.Anchor.Seq && e.Hash != c.Anchor.Hash {
		return fail(e.Seq, registry.AuditAnchorHash)
	}
	c.seq, c.prev = e.Seq, e.Hash
	return true
}

// Report is the verdict on the walked chain, given its head as recorded by the last append.
// The error is ErrNoAuditKey when a keyed entry was met without the key.
func (c *ChainCheck) Report(headSeq int64, headHash string) (registry.AuditReport, error) {
	r := registry.AuditReport{HeadSeq: c.seq, HeadHash: c.prev, LastUnkeyed: c.lastUnkeyed}
	switch {
	case c.err != nil:
		return r, c.err
	case c.broken != 0:
		r.BrokenAt, r.Problem = c.broken, c.problem
	case c.Anchor != nil && c.Anchor.Seq > c.seq:
		// The head row is in the database too: entries cut from the end, with the head
		// row put back to match, show only against the checkpoint.
		r.BrokenAt, r.Problem = c.seq+1, registry.AuditCut
	case headSeq > c.seq:
		r.BrokenAt, r.Problem = c.seq+1, registry.AuditMissing
	case headSeq < c.seq:
		// entries beyond the head were added behind the registry's back
		r.BrokenAt, r.Problem = headSeq+1, registry.AuditBeyondHead
	case headHash != c.prev:
		r.BrokenAt, r.Problem = c.seq, registry.AuditHeadMismatch
	default:
		r.OK = true
	}
	return r, nil
}

var verdicts = []string{"invalid: ", "not verified: "}

var trustVerdicts = []string{"not checked: ", "untrusted: "}

// checkTrust: trust is claimed about valid signatures only, and always with a reason
// unless it is "trusted".
func checkTrust(s *registry.Signature) error {
	if s.Verified != "valid" {
		if s.Trust != "" {
			return fmt.Errorf("%w: trust %q of a signature that is not valid", registry.ErrInvalid, s.Trust)
		}
		return nil
	}
	ok := s.Trust == "trusted"
	for _, v := range trustVerdicts {
		ok = ok || (strings.HasPrefix(s.Trust, v) && len(strings.TrimSpace(s.Trust[len(v):])) > 0)
	}
	if !ok {
		return fmt.Errorf(`%w: trust %q: say "trusted", "not checked: <why>" or "untrusted: <why>"`, registry.ErrInvalid, s.Trust)
	}
	return nil
}

// PrepareSignatureAudit makes e the audit entry of adding s to an order of orgID.
func PrepareSignatureAudit(e *registry.AuditEntry, orgID string, s *registry.Signature) error {
	if e == nil {
		return nil
	}
	id := s.OrderID
	e.OrgID, e.OrderID = orgID, &id
	return CheckAudit(e)
}

// PrepareSignature checks s and fills its ID and time. OrderID is checked by the driver.
func PrepareSignature(s *registry.Signature, now time.Time) error {
	kinds := []string{registry.SignatureServer, registry.SignatureExternalPDF, registry.SignatureDetachedCMS}
	if !slices.Contains(kinds, s.Kind) {
		return fmt.Errorf("%w: signature kind %q", registry.ErrInvalid, s.Kind)
	}
	if s.Key == "" {
		return fmt.Errorf("%w: signature without key", registry.ErrInvalid)
	}
	if err := checkSHA256("signature", s.SHA256); err != nil {
		return err
	}
	ok := s.Verified == "valid"
	for _, v := range verdicts {
		ok = ok || (strings.HasPrefix(s.Verified, v) && len(strings.TrimSpace(s.Verified[len(v):])) > 0)
	}
	if !ok {
		return fmt.Errorf(`%w: verification %q: say "valid", "invalid: <why>" or "not verified: <why>"`, registry.ErrInvalid, s.Verified)
	}
	if err := checkTrust(s); err != nil {
		return err
	}
	if s.ID == uuid.Nil {
		s.ID = uuid.New()
	}
	s.ValidFrom, s.ValidTo = UTCPtr(s.ValidFrom), UTCPtr(s.ValidTo)
	s.CreatedAt = now
	return nil
}

// PrepareAck checks a, keeps only the date of ReadAt and fills RecordedAt. It returns the
// date as stored, YYYY-MM-DD.
func PrepareAck(a *registry.Ack, now time.Time) (string, error) {
	a.Person = strings.TrimSpace(a.Person)
	if a.Person == "" {
		return "", fmt.Errorf("%w: acknowledgement without a person", registry.ErrInvalid)
	}
	if a.ReadAt.IsZero() {
		return "", fmt.Errorf("%w: acknowledgement without a date", registry.ErrInvalid)
	}
	y, m, d := a.ReadAt.Date()
	a.ReadAt = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	a.RecordedAt = now
	return a.ReadAt.Format(time.DateOnly), nil
}

// ParseDate reads a date stored by PrepareAck.
func ParseDate(s string) (time.Time, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("registry: stored date %q: %w", s, err)
	}
	return t, nil
}

// UTCPtr returns t in UTC truncated to microseconds, or nil.
func UTCPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC().Truncate(time.Microsecond)
	return &u
}

func checkSHA256(what, s string) error {
	if b, err := hex.DecodeString(s); err != nil || len(b) != 32 || strings.ToLower(s) != s {
		return fmt.Errorf("%w: %s SHA-256 %q is not 64 lower-case hex digits", registry.ErrInvalid, what, s)
	}
	return nil
}
