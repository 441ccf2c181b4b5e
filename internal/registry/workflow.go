package registry

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// DraftVersion is one saved state of a draft (issue 17 §2). Version 1 is the draft as created;
// every UpdateDraft that changes the draft adds the next one in the same transaction, so the
// versions are exactly the drafts the order has had. Orders created before versions were kept
// (or by a batch or import) get their version 1 from the draft as it was at the first edit,
// with an empty Author.
type DraftVersion struct {
	OrderID   uuid.UUID
	Version   int
	Draft     []byte // the normalized JSON draft; nil in lists
	DraftHash string
	Author    string // who saved it, as the audit trail names actors
	CreatedAt time.Time
}

// ApprovalMode is how approvers are asked.
type ApprovalMode string

// Approval modes: one after the other in the route's order, or all at once.
const (
	ApprovalSequential ApprovalMode = "sequential"
	ApprovalParallel   ApprovalMode = "parallel"
)

// RouteStatus is where an approval route is.
type RouteStatus string

// Route statuses. A route in progress locks the draft; it ends approved (every visa agrees),
// returned (one approver disagreed, the draft goes back to its author) or withdrawn (its
// author took it back, e.g. an approver is away; the visas given so far stay on record).
const (
	RouteInProgress RouteStatus = "in_progress"
	RouteApproved   RouteStatus = "approved"
	RouteReturned   RouteStatus = "returned"
	RouteWithdrawn  RouteStatus = "withdrawn"
)

// Decision is an approver's answer.
type Decision string

// Decisions: «Согласовано», «Согласовано с замечаниями», «Не согласовано». "" is not yet.
const (
	DecisionPending  Decision = ""
	DecisionApproved Decision = "approved"
	DecisionRemarks  Decision = "approved_with_remarks"
	DecisionRejected Decision = "rejected"
)

// Visa is one approver's place in a route and their answer (ГОСТ Р 7.0.97 requisite «виза»).
type Visa struct {
	Step      int       // 1, 2, … in the route's order
	UserID    uuid.UUID // the web user who answers
	Login     string
	Name      string // printed on the Лист согласования
	Position  string // printed on the Лист согласования
	Decision  Decision
	Remark    string
	DecidedAt *time.Time
}

// ApprovalRoute is one round of approval of one version of a draft.
type ApprovalRoute struct {
	ID         uuid.UUID
	OrgID      string
	OrderID    uuid.UUID
	Round      int // 1, 2, … per order; filled by StartApproval
	Version    int // the draft version sent; filled by StartApproval
	Mode       ApprovalMode
	Status     RouteStatus
	Author     string // who sent it, as the audit trail names actors
	CreatedAt  time.Time
	FinishedAt *time.Time
	Visas      []Visa
}

// Due reports the visas that wait for an answer now: in a sequential route the first
// undecided one, in a parallel route every undecided one; none unless in progress.
func (r *ApprovalRoute) Due() []Visa {
	if r.Status != RouteInProgress {
		return nil
	}
	var due []Visa
	for _, v := range r.Visas {
		if v.Decision == DecisionPending {
			due = append(due, v)
			if r.Mode == ApprovalSequential {
				break
			}
		}
	}
	return due
}

// PendingApproval is a draft waiting for one approver's visa («На согласовании у меня»).
type PendingApproval struct {
	Route ApprovalRoute
	Title string // the order's title
	Kind  string
}

// ApprovalError says a draft cannot be edited, sent or registered because of its approval
// route. errors.Is(err, ErrConflict) holds for it.
type ApprovalError struct {
	// Reason: "on_approval" (a route is in progress: the draft is locked), "not_approved"
	// (the organization requires a completed route and the current version has none),
	// "not_due" (the user has no visa waiting in the route), "no_route".
	Reason string
	Status RouteStatus // the latest route's status, "" if there is none
}

func (e *ApprovalError) Error() string {
	return fmt.Sprintf("registry: conflict: approval: %s (route %q)", e.Reason, e.Status)
}

// Is makes an ApprovalError match ErrConflict.
func (e *ApprovalError) Is(target error) bool { return target == ErrConflict }

// Approval errors' reasons.
const (
	ApprovalLocked      = "on_approval"
	ApprovalNotApproved = "not_approved"
	ApprovalNotDue      = "not_due"
	ApprovalNoRoute     = "no_route"
)

// Approvals is the part of the registry that keeps draft versions and approval routes.
// orgID "" means any organization; another organization's order looks absent (ErrNotFound).
type Approvals interface {
	// DraftVersions returns the versions of a draft, oldest first, without Draft. An order
	// with no stored version yet has its current draft as version 1.
	DraftVersions(ctx context.Context, orgID string, orderID uuid.UUID) ([]DraftVersion, error)
	// GetDraftVersion returns one version with its Draft, or ErrNotFound.
	GetDraftVersion(ctx context.Context, orgID string, orderID uuid.UUID, version int) (*DraftVersion, error)
	// StartApproval sends the order's current draft version on route r (Mode and Visas with
	// UserID, Login, Name, Position; Author), filling ID, OrgID, OrderID, Round, Version,
	// Status (in progress), CreatedAt and the visas' Step. The order must be a draft
	// (*LifecycleError) and not already on approval (*ApprovalError "on_approval"); a route
	// without visas, with a user twice or an unknown mode is ErrInvalid. audit, if not nil,
	// is appended in the same transaction.
	StartApproval(ctx context.Context, orgID string, orderID uuid.UUID, r *ApprovalRoute, audit *AuditEntry) error
	// DecideVisa records the answer of user to the route in progress: the visa must be due
	// (see ApprovalRoute.Due; else *ApprovalError "not_due", or "no_route" without a route
	// in progress). «Не согласовано» and «Согласовано с замечаниями» need a remark
	// (ErrInvalid). A rejection returns the route (the draft is unlocked for its author); the
	// last agreement approves it. audit, if not nil, is appended in the same transaction.
	// It returns the route as it is after the answer.
	DecideVisa(ctx context.Context, orgID string, orderID, user uuid.UUID, d Decision, remark string, audit *AuditEntry) (*ApprovalRoute, error)
	// WithdrawApproval ends the route in progress as withdrawn, unlocking the draft (else
	// *ApprovalError "no_route"). audit, if not nil, is appended in the same transaction.
	WithdrawApproval(ctx context.Context, orgID string, orderID uuid.UUID, audit *AuditEntry) (*ApprovalRoute, error)
	// ApprovalRoutes returns the routes of an order with their visas, newest first.
	ApprovalRoutes(ctx context.Context, orgID string, orderID uuid.UUID) ([]ApprovalRoute, error)
	// PendingApprovals returns the drafts whose route waits for user's visa now, oldest first.
	PendingApprovals(ctx context.Context, orgID string, user uuid.UUID) ([]PendingApproval, error)
	// SetApprovalRequired sets whether the organization registers only drafts whose current
	// version has an approved route; RegisterOrder and RegisterBatch then refuse others with
	// *ApprovalError "not_approved". ApprovalRequired reads it (false by default).
	SetApprovalRequired(ctx context.Context, orgID string, required bool) error
	ApprovalRequired(ctx context.Context, orgID string) (bool, error)
}
