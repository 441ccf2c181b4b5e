package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
)

// State is where an order is in its legal life. It is separate from Status (rendering): a
// registered order is re-rendered with its number, and a failed render does not undo the
// registration.
type State string

// Lifecycle states. draft → registered (RegisterOrder) → signed (Sign); registered or signed →
// cancelled (Cancel). Nothing else: a registered order never goes back to draft.
const (
	StateDraft      State = "draft"      // editable; rendered with «ПРОЕКТ» and blanks
	StateRegistered State = "registered" // has its number and date; the draft is frozen
	StateSigned     State = "signed"     // the signed document is stored
	StateCancelled  State = "cancelled"  // cancelled with a reason; keeps its number
)

// States lists every lifecycle state in life order.
var States = []State{StateDraft, StateRegistered, StateSigned, StateCancelled}

// Valid reports whether s is a known state.
func (s State) Valid() bool { return slices.Contains(States, s) }

// Word is the state as a person reads it («зарегистрирован»), in the API's answers and on
// the pages alike; a state added later is shown as it is rather than hidden.
func (s State) Word() string {
	switch s {
	case StateDraft:
		return "проект"
	case StateRegistered:
		return "зарегистрирован"
	case StateSigned:
		return "подписан"
	case StateCancelled:
		return "отменён"
	}
	return string(s)
}

// LifecycleError says an operation was refused because of the order's lifecycle state.
// errors.Is(err, ErrConflict) holds for it; use errors.As to read Current.
type LifecycleError struct {
	Current State
	Action  string // what was refused: "register", "sign", "cancel", "edit", "delete" …
}

func (e *LifecycleError) Error() string {
	return fmt.Sprintf("registry: conflict: cannot %s an order that is %s", e.Action, e.Current)
}

// Is makes a LifecycleError match ErrConflict.
func (e *LifecycleError) Is(target error) bool { return target == ErrConflict }

// Journal is a registration journal (регистрационный журнал): one series of numbers of one
// organization, restarting every 1 January.
type Journal struct {
	OrgID string
	ID    string // slug: lower-case latin letters, digits, '-' and '_', e.g. "main", "personnel"
	Name  string // e.g. «по основной деятельности»
	// Format makes a number from the sequence: "{seq}", "{seq}-о", "{seq:03}-к". See
	// FormatNumber.
	Format    string
	CreatedAt time.Time
	UpdatedAt time.Time
	// Years are the years that have a counter (configured by SetJournalStart or used), oldest
	// first, each with the number it issues next. Filled by GetJournal and ListJournals;
	// ignored by PutJournal.
	Years []JournalStart
}

// JournalStart is the first (or next) sequence number a journal issues in a year: an
// organization that has issued 1354 orders this year on paper continues at 1355. A year
// without one starts at 1.
type JournalStart struct {
	Year int
	Next int
}

// Journals is the part of the registry that keeps registration journals.
type Journals interface {
	// PutJournal inserts or replaces j by (OrgID, ID), filling its times. A new format
	// applies to numbers issued afterwards; issued numbers never change.
	PutJournal(ctx context.Context, j *Journal) error
	GetJournal(ctx context.Context, orgID, id string) (*Journal, error)
	// ListJournals returns the journals of orgID ordered by ID.
	ListJournals(ctx context.Context, orgID string) ([]Journal, error)
	// SetJournalStart sets the next sequence number of a journal in a year. It is refused
	// with ErrConflict if a number ≥ start.Next was already issued in that year (a number is
	// never reused); raising it above the last issued number is allowed and leaves the
	// skipped numbers unissued on purpose (e.g. numbers given on paper meanwhile).
	SetJournalStart(ctx context.Context, orgID, journalID string, start JournalStart) error
	// PutJournalWithStarts is PutJournal followed by SetJournalStart of every start, in one
	// transaction: all of it or nothing. A start refused because a number ≥ its Next was
	// already issued is a *JournalStartError (also ErrConflict), and then neither the
	// journal's name and format nor any year has changed. Starts are applied in year order;
	// the first refused year is the one reported.
	PutJournalWithStarts(ctx context.Context, j *Journal, starts []JournalStart) error
}

// JournalStartError says a journal start was refused: number Last was already issued in
// Year, so the next number cannot be Next. errors.Is(err, ErrConflict) holds for it.
type JournalStartError struct {
	Year, Next, Last int
}

func (e *JournalStartError) Error() string {
	return fmt.Sprintf("registry: conflict: number %d was already issued in %d; the next number must be above it, not %d", e.Last, e.Year, e.Next)
}

// Is makes a JournalStartError match ErrConflict.
func (e *JournalStartError) Is(target error) bool { return target == ErrConflict }

// Registered is what RegisterRequest.Build makes of a draft when its number is known.
type Registered struct {
	Draft      []byte // the normalized draft with the number and date filled in
	SearchText string // plain text of the registered document (see Order.SearchText)
	// Controls are the clauses put under control of execution (OrgID, OrderID, ID and
	// CreatedAt are set by the registry); they are stored in the registration's transaction.
	Controls []ControlItem
}

// RegisterRequest asks RegisterOrder to register an order in a journal.
type RegisterRequest struct {
	Journal string // journal ID of the order's organization
	Date    string // registration date, YYYY-MM-DD; its year picks the sequence
	// Build gets the order as locked by the transaction and its new number and sequence, and
	// returns the registered draft. It runs inside the transaction that holds the journal's
	// counter: keep it quick and free of I/O. Its error rolls everything back (no number is
	// consumed) and is returned as is.
	Build func(o *Order, number string, seq int) (Registered, error)
	// Audit, if not nil, is appended in the same transaction (see AuditTrail.AppendAudit),
	// with OrgID and OrderID set to the order's. Build may still fill its Details, e.g. with
	// the number.
	Audit *AuditEntry
	// Key, if not "", is the caller's idempotency key for this registration (at most
	// MaxRegisterKey bytes), recorded with the order. If the order was already registered
	// by a request with the same Key, RegisterOrder changes nothing and returns the order as
	// it is, setting *Replayed (if not nil) to true: a client whose first answer was lost
	// gets its number. Another key, or none, is the usual *LifecycleError.
	Key      string
	Replayed *bool
}

// MaxRegisterKey is the longest RegisterRequest.Key accepted, in bytes.
const MaxRegisterKey = 200

// SignedDocument is the signed PDF as stored in the document store.
type SignedDocument struct {
	Key    string
	SHA256 string // lower-case hex
	Size   int64
}

// SignRequest asks Sign to record that an order was signed.
type SignRequest struct {
	Document  SignedDocument
	Signatory string // who signed (searchable with Filter.Signatory)
	// Signature, if not nil, is added in the same transaction (its OrderID is set).
	Signature *Signature
	Audit     *AuditEntry // if not nil, appended in the same transaction
}

// Lifecycle is the part of the registry that moves orders through their legal life. Every
// refusal because of the state is a *LifecycleError naming the current state. orgID scopes
// as in Orders.
type Lifecycle interface {
	// RegisterOrder registers a draft, in one transaction: it takes the next sequence of the
	// journal in the year of r.Date (gapless and unique also across processes), formats the
	// number, calls r.Build, and stores number, date, journal, sequence, state registered,
	// the new draft and its hash, and render status queued (outputs cleared: the final
	// documents are to be rendered). Once committed the number stays with the order, also
	// when its render fails. An unknown journal is ErrInvalid. A draft on approval, or one
	// without an approved route of its current version where the organization requires it
	// (Approvals.SetApprovalRequired), is an *ApprovalError and takes no number.
	RegisterOrder(ctx context.Context, orgID string, id uuid.UUID, r RegisterRequest) (*Order, error)
	// Sign moves a registered order to signed and stores the signed document.
	Sign(ctx context.Context, orgID string, id uuid.UUID, r SignRequest) (*Order, error)
	// Cancel moves a registered or signed order to cancelled; it keeps its number and its
	// signed document. r.Reason is required. The working copy is to be rendered again with the
	// cancellation mark: the order is queued and its PrintRev grows (see RenderKey).
	Cancel(ctx context.Context, orgID string, id uuid.UUID, r CancelRequest) (*Order, error)
	// ImportOrder takes in an order registered elsewhere (see ImportRequest), in one
	// transaction with its signature and audit entry. No journal counter is touched. The same
	// PDF, or the same kind, number and year, imported before by the organization is a
	// *DuplicateError naming that order.
	ImportOrder(ctx context.Context, r ImportRequest) (*Order, error)
}

// CancelRequest asks Cancel to cancel an order.
type CancelRequest struct {
	Reason string      // required
	By     string      // who cancels, as a person reads it («Зубова А.Н.»)
	Audit  *AuditEntry // if not nil, appended in the same transaction
}

// AuditEntry is one entry of an organization's append-only audit trail. Entries form a hash
// chain per organization: each Hash covers the entry and the previous entry's hash, so an
// edited, removed or inserted entry breaks every later link. Hashes are keyed (AuditKeyed)
// with a key that is not in the database, so whoever can write the database cannot make an
// edited chain link up again; entries from before the key keep their unkeyed hashes.
type AuditEntry struct {
	Seq      int64 // 1, 2, … per organization; set by the registry
	OrgID    string
	At       time.Time // set by the registry
	Actor    string    // who: a token name, a user, "system"
	Action   string    // what: "register", "sign", "cancel", "download-signed" …
	OrderID  *uuid.UUID
	Details  []byte // JSON (e.g. number, document hashes), or empty
	PrevHash string // Hash of entry Seq-1; "" for the first entry
	Hash     string // AuditMAC (Scheme AuditKeyed) or AuditHash (AuditUnkeyed) of this entry
	Scheme   int    // how Hash was made: AuditKeyed or AuditUnkeyed; set by the registry
}

// AuditTrail is the part of the registry that keeps the audit trail. There is no way to
// change or delete an entry through it.
type AuditTrail interface {
	// AppendAudit appends e to the chain of e.OrgID, setting Seq, At, PrevHash, Hash and
	// Scheme: keyed if the store has the audit key (WithAuditKey); a store without it
	// appends unkeyed entries, and only after unkeyed ones (else ErrNoAuditKey).
	// Appends of one organization are serialized, so concurrent appends never fork the
	// chain. Action is required and Details must be empty or valid JSON (else ErrInvalid).
	AppendAudit(ctx context.Context, e *AuditEntry) error
	// ListAudit returns up to limit (default DefaultLimit, at most MaxLimit) entries of
	// orgID, of one order if orderID is not nil, newest first.
	ListAudit(ctx context.Context, orgID string, orderID *uuid.UUID, limit int) ([]AuditEntry, error)
	// VerifyAudit walks the chain of orgID from the first entry, recomputing every hash. ok
	// is false if an entry was changed, removed or inserted; brokenAt is then the Seq of the
	// first entry that does not check out (for a removed entry, the missing Seq). Entries cut
	// from the end with the head row put back, or a chain rehashed whole with the unkeyed
	// scheme, show only against a checkpoint kept outside the database (VerifyAuditChain).
	VerifyAudit(ctx context.Context, orgID string) (ok bool, brokenAt int64, err error)
	// VerifyAuditChain is VerifyAudit with a report, checked also against anchor (if not
	// nil): the chain must reach anchor.Seq with anchor.Hash there, and every entry above
	// anchor.LegacyThrough must be keyed. Keyed entries need the audit key (ErrNoAuditKey).
	VerifyAuditChain(ctx context.Context, orgID string, anchor *AuditAnchor) (AuditReport, error)
	// AuditHeads lists the organizations that have an audit trail, in order.
	AuditHeads(ctx context.Context) ([]string, error)
}

// Signature kinds.
const (
	SignatureServer      = "server"       // made by this service with the organization's key
	SignatureExternalPDF = "external-pdf" // a PDF signed elsewhere and uploaded
	SignatureDetachedCMS = "detached-cms" // a detached CMS signature (.sig) of the stored PDF
)

// Signature is one electronic signature of an order's document.
type Signature struct {
	ID        uuid.UUID
	OrderID   uuid.UUID
	Kind      string // SignatureServer, SignatureExternalPDF or SignatureDetachedCMS
	Key       string // the signature file (or signed PDF) in the document store
	SHA256    string // of that file
	Signer    string // certificate owner
	Serial    string // certificate serial number
	ValidFrom *time.Time
	ValidTo   *time.Time
	// Verified is "valid", "invalid: <why>" or "not verified: <why>" (e.g. a GOST algorithm
	// we cannot check). Nothing else is accepted, so no verification is claimed by accident.
	Verified string
	// Trust says, for a "valid" signature only, whether its certificate leads to a root the
	// installation trusts: "trusted", "not checked: <why>" (no roots configured) or
	// "untrusted: <why>" (a self-signed or unknown chain). Mathematics and trust are
	// separate claims; a signature is shown as trusted only when both hold. Empty for a
	// signature that is not valid.
	Trust     string
	CreatedAt time.Time
}

// Signatures is the part of the registry that keeps signatures.
type Signatures interface {
	// AddSignature stores s for a registered or signed order (else *LifecycleError), filling
	// ID (if nil) and CreatedAt, and appends audit (if not nil; its organization and order
	// are set) in the same transaction: a signature is never kept without its audit entry.
	AddSignature(ctx context.Context, orgID string, s *Signature, audit *AuditEntry) error
	// ListSignatures returns the signatures of an order, oldest first.
	ListSignatures(ctx context.Context, orgID string, orderID uuid.UUID) ([]Signature, error)
}

// Ack records that a person listed in an order's acknowledgement block has read it.
type Ack struct {
	OrderID    uuid.UUID
	Person     string    // the name as written in the draft; compared exactly (after trimming)
	ReadAt     time.Time // the date read; only the calendar date of ReadAt is kept (midnight UTC)
	RecordedBy string
	RecordedAt time.Time // set by the registry
}

// Acknowledgements is the part of the registry that keeps acknowledgement records.
type Acknowledgements interface {
	// RecordAck records a for an order that is not a draft (else *LifecycleError). One
	// record per person and order: a repeat is ErrConflict and changes nothing, because the
	// first record is the evidence and is not rewritten. In the same transaction it appends
	// audit (if not nil) and queues the order to be rendered again with the date (PrintRev
	// grows, see RenderKey); it returns the order as it now is.
	RecordAck(ctx context.Context, orgID string, a *Ack, audit *AuditEntry) (*Order, error)
	// ListAcks returns the records of an order ordered by person.
	ListAcks(ctx context.Context, orgID string, orderID uuid.UUID) ([]Ack, error)
}

// NewAuditEntry is the entry of an action by actor, with details as JSON (nil: none); the
// registry fills the organization, order, time and chain when it appends it.
func NewAuditEntry(actor, action string, details any) *AuditEntry {
	e := &AuditEntry{Actor: actor, Action: action}
	if details != nil {
		e.Details, _ = json.Marshal(details)
	}
	return e
}
