// Package registry owns the durable record of the service: orders with their render status and
// their lifecycle (draft → registered → signed → cancelled), registration journals and their
// numbers, the per-organization audit trail, signatures and acknowledgements, organizations
// with their letterhead profiles, API tokens, batches of orders issued together, and the web
// pages' users, sessions and failed logins. It defines the domain types,
// the Store interface every driver implements, and the errors callers match with errors.Is.
//
// Drivers live in registry/sqlite (one machine) and registry/postgres (many machines); both
// must pass the conformance suite in registry/registrytest, so callers can rely on the
// behaviour documented here without knowing which driver is behind the interface.
package registry

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
)

// Status is where an order's documents are in rendering. The legal life of the order (draft,
// registered, signed, cancelled) is its State, which is independent: a registered order is
// queued, rendering, rendered or failed like any other while its final documents are made.
type Status string

// Statuses of an order. A draft becomes queued when submitted for rendering; a worker moves it
// to rendering, then rendered or failed. CancelBatch moves the queued orders of a cancelled
// batch to cancelled, which no worker renders (MarkRendering refuses it).
// StatusCancelled is only the render status: a cancelled order in the legal sense is
// StateCancelled.
const (
	StatusDraft     Status = "draft"
	StatusQueued    Status = "queued"
	StatusRendering Status = "rendering"
	StatusRendered  Status = "rendered"
	StatusFailed    Status = "failed"
	StatusCancelled Status = "cancelled"
)

// Statuses lists every known status, in life order; metrics use it to report zeros too.
var Statuses = []Status{
	StatusDraft, StatusQueued, StatusRendering, StatusRendered, StatusFailed, StatusCancelled,
}

// Valid reports whether s is a known status.
func (s Status) Valid() bool { return slices.Contains(Statuses, s) }

var (
	// ErrNotFound: no such record, or it belongs to another organization.
	ErrNotFound = errors.New("registry: not found")
	// ErrConflict: an idempotency key reused with another draft, a duplicate unique value, or a
	// precondition that failed (then the error is also a *StateError for the render status or
	// a *LifecycleError for the lifecycle state).
	ErrConflict = errors.New("registry: conflict")
	// ErrInvalid: the caller passed something the registry cannot store or understand.
	ErrInvalid = errors.New("registry: invalid argument")
	// ErrUnavailable: the database could not be reached or did not answer in time (no
	// connection, a server shutting down, a lock held beyond the busy timeout, a closed
	// store). Nothing was decided: the same request may succeed a little later. Drivers wrap
	// the underlying error with it.
	ErrUnavailable = errors.New("registry: database unavailable")
	// ErrBadCursor: a ListOrders cursor that this registry did not hand out. It is also ErrInvalid.
	ErrBadCursor = fmt.Errorf("%w: bad cursor", ErrInvalid)
)

// StateError says an operation was refused because of the order's current status.
// errors.Is(err, ErrConflict) holds for it; use errors.As to read Current.
type StateError struct {
	Current Status
}

func (e *StateError) Error() string {
	return fmt.Sprintf("registry: conflict: not allowed while the order is %q", e.Current)
}

// Is makes a StateError match ErrConflict, so callers that only care about "conflict" need not
// know about states.
func (e *StateError) Is(target error) bool { return target == ErrConflict }

// Outputs are the rendered documents of an order, as keys in the document store plus the
// digests and sizes the archive promises to keep.
type Outputs struct {
	PDFKey     string
	PDFSHA256  string
	PDFSize    int64
	DOCXKey    string
	DOCXSHA256 string
	DOCXSize   int64
}

// Order is one order (приказ, распоряжение, решение) of one organization.
type Order struct {
	ID     uuid.UUID
	OrgID  string
	Kind   string // приказ, распоряжение, решение; the registry does not interpret it
	Title  string
	Date   string // YYYY-MM-DD, or "" while undated; set by RegisterOrder
	Number string // set by RegisterOrder; a draft's own value is not a registration number
	Status Status // render status
	State  State  // lifecycle; CreateOrder accepts only "" or StateDraft

	// SearchText is the plain text of the whole document, given by the caller on create,
	// update and registration, and searched by Filter.FullText. Left "" by list methods.
	SearchText string

	Draft          []byte // the normalized JSON draft; left nil by list methods
	DraftHash      string // sha256 hex of Draft, computed by the registry
	IdempotencyKey string // "" when the client sent none

	CreatedAt  time.Time
	UpdatedAt  time.Time
	RenderedAt *time.Time
	Attempts   int    // render attempts started (MarkRendering calls)
	Error      string // why the last render failed

	// CreatedBy is who submitted the order, as the audit names callers («user:ivanova
	// (Иванова И.И.)»); set on create only, "" for orders older than migration 00019.
	CreatedBy string

	Outputs // empty until rendered; cleared when the draft changes

	// Lifecycle, set only by RegisterOrder, Sign and Cancel (CreateOrder ignores them).
	Journal      string // journal ID the number was taken from
	Seq          int    // the number's sequence in its journal and year; 0 before registration
	RegisteredAt *time.Time
	SignedAt     *time.Time
	CancelledAt  *time.Time
	CancelReason string
	CancelledBy  string // who cancelled, as given to Cancel: printed on the cancelled working copy
	Signatory    string // who signed, as given to Sign

	// PrintRev counts the changes of what the order's documents print besides the draft: an
	// acknowledgement recorded, a cancellation. Each one queues a new render and makes a render
	// started before it stale (see RenderKey).
	PrintRev int

	// The signed document (a signed PDF in the document store), set by Sign.
	SignedKey    string
	SignedSHA256 string
	SignedSize   int64

	// The batch the order was issued in (nil if none) and its row there; set by CreateBatch
	// (CreateOrder ignores them).
	BatchID  *uuid.UUID
	BatchRow int

	// Imported: the order was registered elsewhere and taken in by ImportOrder. Its number
	// and date are as given there, its document is the uploaded PDF, and it is never rendered.
	Imported bool
}

// RenderKey names what a render of o prints: its draft and every other printed fact the
// registry holds (PrintRev). A worker passes the RenderKey of the order as MarkRendering gave
// it to MarkRendered, which refuses the documents when the key has changed meanwhile.
func (o *Order) RenderKey() string {
	if o.PrintRev == 0 {
		return o.DraftHash
	}
	return fmt.Sprintf("%s/%d", o.DraftHash, o.PrintRev)
}

// Organization is an education body that issues orders. The registry keeps its letterhead
// profile as opaque JSON.
type Organization struct {
	ID      string // slug chosen by the admin, e.g. "balashikha-uo"
	Name    string
	Profile []byte
	// Signing is the organization's signing certificate material (PEM or PKCS#12), opaque to
	// the registry. PutOrganization keeps the stored value when Signing is nil, so an update
	// of the profile does not drop the certificate; a non-nil empty slice removes it.
	// ListOrganizations leaves it nil: only GetOrganization reads it.
	Signing []byte
	// HasEmblem and HasLetterhead say whether the organization has stored an emblem and a
	// DOCX letterhead template (see OrgFile); the bytes are read apart, when rendering.
	HasEmblem, HasLetterhead bool
	CreatedAt                time.Time
	UpdatedAt                time.Time
}

// OrgFile names a file an organization keeps beside its profile.
type OrgFile string

const (
	// OrgEmblem is the emblem (герб or logo) printed above the letterhead: a clean PNG.
	OrgEmblem OrgFile = "emblem"
	// OrgLetterhead is the organization's own DOCX letterhead template.
	OrgLetterhead OrgFile = "letterhead"
)

// Token is an API token. Only a hash of the secret is stored: the registry never sees secrets.
type Token struct {
	ID        uuid.UUID
	Hash      string // sha256 hex of the secret; unique
	Role      string // clerk, head, archivist, admin
	OrgID     string // "" for admin tokens, which reach all organizations
	Name      string
	CreatedAt time.Time
}

// Filter selects orders for ListOrders. Zero fields do not filter.
type Filter struct {
	OrgID    string
	Kind     string
	Status   Status
	DateFrom string // inclusive, YYYY-MM-DD; undated orders never match a date bound
	DateTo   string // inclusive, YYYY-MM-DD
	Text     string // words that must all occur in the title, ignoring case (and ё/е)
	State    State  // lifecycle state
	Number   string // exact registration number, e.g. "37-о"
	// Signatory: words that must all occur in the signatory's name, ignoring case and ё/е.
	Signatory string
	// FullText: words that must all occur in the title or SearchText, in any Russian word
	// form (стажировочная площадка finds стажировочных площадок), ignoring case and ё/е.
	// Stop words (и, в, о …) are ignored; a query of stop words only matches nothing.
	FullText string
	// CreatedBy, if set, keeps only the orders submitted by this caller (Order.CreatedBy).
	CreatedBy string
	// Imported, if not nil, keeps only imported orders (true) or only the service's own (false).
	Imported *bool
	// Sort, if set, lists by "date", "number" or "title" (ascending; "-date" … descending)
	// instead of the newest first; undated and unnumbered orders come last.
	Sort string
	// Case, if not "", keeps the orders filed in that case of the nomenclature
	// (Cases.FileOrder); CaseYear, if not 0, only those of that year's volume.
	Case     string
	CaseYear int
	Limit    int    // default DefaultLimit, at most MaxLimit
	Cursor   string // from a previous ListOrders call with the same filter
}

// Page sizes of ListOrders.
const (
	DefaultLimit = 50
	MaxLimit     = 500
	// MaxCount bounds CountOrders: more matches are told as "more than MaxCount".
	MaxCount = 10000
)

// DraftUpdate replaces an order's draft and the fields taken from it. Only an order in
// StateDraft can be updated: a registered order is a record (*LifecycleError otherwise).
type DraftUpdate struct {
	Draft      []byte
	Kind       string
	Title      string
	Date       string
	Number     string
	SearchText string // replaces Order.SearchText ("" clears it, as the text described the old draft)
	// Status, if set, is the status the order moves to in the same write, so an edit and
	// its resubmission cannot be seen half done.
	Status Status
	// Author is who saves the change, recorded with the new draft version (see Approvals).
	Author string
	// Audit, if not nil, is appended in the same transaction when the draft changed (a new
	// version), with the version number added to its details.
	Audit *AuditEntry
}

// Store is the registry. All methods are safe for concurrent use, also by several processes
// sharing one database. Times are UTC and truncated to microseconds.
type Store interface {
	Orders
	Lifecycle
	Journals
	AuditTrail
	Signatures
	Acknowledgements
	Organizations
	Templates
	Approvals
	Controls
	Cases
	PublicOrders
	Tokens
	Batches
	Users
	Sessions
	LoginThrottle
	Ping(ctx context.Context) error
	Close() error
}

// Orders is the part of the registry that keeps orders. orgID "" means any organization (admin,
// worker); any other orgID makes another organization's order look absent (ErrNotFound).
type Orders interface {
	// CreateOrder inserts o, filling ID (if nil), DraftHash, Status (draft if empty) and times.
	// If o.IdempotencyKey is set and the organization already has an order with that key,
	// nothing is inserted: with the same draft hash o is overwritten with the existing order
	// and created is false; with another hash the error is ErrConflict.
	CreateOrder(ctx context.Context, o *Order) (created bool, err error)
	GetOrder(ctx context.Context, orgID string, id uuid.UUID) (*Order, error)
	// ListOrders returns orders newest first and a cursor for the next page ("" at the end).
	ListOrders(ctx context.Context, f Filter) (orders []Order, nextCursor string, err error)
	// CountOrders counts the orders ListOrders would list for f (its Sort, Limit and Cursor
	// aside), at most MaxCount+1.
	CountOrders(ctx context.Context, f Filter) (int, error)
	// UpdateDraft replaces the draft if the order is in StateDraft (else *LifecycleError: a
	// registered order is immutable, whatever allowed says), not on approval (else
	// *ApprovalError "on_approval") and its status is in allowed (else *StateError). A
	// changed draft is recorded as the next draft version by u.Author, in the same
	// transaction. A changed draft clears the outputs, rendered time and error, which
	// described the old one.
	UpdateDraft(ctx context.Context, orgID string, id uuid.UUID, u DraftUpdate, allowed []Status) (*Order, error)
	// DeleteOrder deletes the order if it is in StateDraft (else *LifecycleError: a number,
	// once issued, stays on record; cancel instead), not on approval (else *ApprovalError
	// "on_approval") and its status is in allowed (else *StateError). freed are the document-store keys the order referred to that no other
	// record refers to after the delete, decided in the same transaction: the caller deletes
	// them from the document store, since a draft's documents may hold personal data. A key
	// another order shares (documents are content-addressed) is not freed.
	DeleteOrder(ctx context.Context, orgID string, id uuid.UUID, allowed []Status) (freed []string, err error)
	// DocumentReferenced reports whether any order (its outputs or its signed document) or
	// any signature refers to the document-store key, in any organization.
	DocumentReferenced(ctx context.Context, key string) (bool, error)
	// SetStatus moves the order to status to if its status is in from (else *StateError),
	// e.g. draft → queued on submit, rendered|failed → queued to render again.
	SetStatus(ctx context.Context, orgID string, id uuid.UUID, from []Status, to Status) (*Order, error)

	// MarkRendering records that a worker starts rendering: queued, failed or rendering (a
	// redelivered job) → rendering, and Attempts+1. Otherwise *StateError: a rendered order
	// must not be rendered again by a duplicate job, and a cancelled one (CancelBatch) not at
	// all.
	MarkRendering(ctx context.Context, id uuid.UUID) (*Order, error)
	// MarkRendered stores the outputs and moves the order to rendered. renderKey is the
	// RenderKey of the order that was rendered; if the draft or another printed fact (an
	// acknowledgement, a cancellation) changed meanwhile the error is ErrConflict, and the
	// job queued by that change renders it.
	// An order that is already rendered is left alone and changed is false, so a duplicate
	// job is harmless.
	MarkRendered(ctx context.Context, id uuid.UUID, renderKey string, out Outputs) (changed bool, err error)
	// MarkFailed records why rendering failed: queued, rendering or failed → failed.
	MarkFailed(ctx context.Context, id uuid.UUID, reason string) error
	// ListStale returns up to limit orders (default DefaultLimit, at most MaxLimit) whose
	// last change, into status, was before olderThan, oldest first, for the sweeper to requeue.
	ListStale(ctx context.Context, status Status, olderThan time.Time, limit int) ([]Order, error)
	// CountByStatus counts orders of all organizations by status, for metrics.
	CountByStatus(ctx context.Context) (map[Status]int, error)
	// CountByState counts orders of all organizations by lifecycle state, for metrics.
	CountByState(ctx context.Context) (map[State]int, error)
}

// Organizations is the part of the registry that keeps organizations.
type Organizations interface {
	// PutOrganization inserts or replaces org by ID, filling its times.
	PutOrganization(ctx context.Context, org *Organization) error
	GetOrganization(ctx context.Context, id string) (*Organization, error)
	// ListOrganizations returns all organizations ordered by ID.
	ListOrganizations(ctx context.Context) ([]Organization, error)
	DeleteOrganization(ctx context.Context, id string) error
	// SetOrganizationSigning replaces the signing material of an existing organization and
	// nothing else, so a profile stored meanwhile is kept and a deleted organization is not
	// brought back (ErrNotFound). An empty slice removes the material.
	SetOrganizationSigning(ctx context.Context, id string, signing []byte) error
	// SetOrganizationFile replaces file f of an existing organization and nothing else
	// (ErrNotFound when there is none); an empty slice removes it.
	SetOrganizationFile(ctx context.Context, id string, f OrgFile, data []byte) error
	// OrganizationFile returns file f of organization id, nil when it has none
	// (ErrNotFound when the organization does not exist).
	OrganizationFile(ctx context.Context, id string, f OrgFile) ([]byte, error)
}

// Tokens is the part of the registry that keeps API tokens.
type Tokens interface {
	// CreateToken inserts t, filling ID (if nil) and CreatedAt. A hash already stored is
	// ErrConflict.
	CreateToken(ctx context.Context, t *Token) error
	TokenByHash(ctx context.Context, hash string) (*Token, error)
	// ListTokens returns the tokens of orgID ("" for all), oldest first.
	ListTokens(ctx context.Context, orgID string) ([]Token, error)
	DeleteToken(ctx context.Context, id uuid.UUID) error
	// CountTokens counts all tokens; zero means a first start that needs an admin token.
	CountTokens(ctx context.Context) (int, error)
}
