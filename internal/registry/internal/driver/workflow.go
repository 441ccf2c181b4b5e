package driver

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"orders/internal/registry"
)

// WorkflowTx is what the approval rules need from a driver's open write transaction, which
// holds the order's row (see Tx).
type WorkflowTx interface {
	// LatestVersion is the highest stored version of the order's draft, 0 if none.
	LatestVersion(ctx context.Context, orderID uuid.UUID) (int, error)
	InsertVersion(ctx context.Context, v *registry.DraftVersion) error
	// LatestRoute is the order's route with the highest round and its visas, nil if none.
	LatestRoute(ctx context.Context, orderID uuid.UUID) (*registry.ApprovalRoute, error)
	// InsertRoute stores a new route with its visas.
	InsertRoute(ctx context.Context, r *registry.ApprovalRoute) error
	// SaveVisa stores a visa's decision, remark and time.
	SaveVisa(ctx context.Context, routeID uuid.UUID, v registry.Visa) error
	// FinishRoute sets a route's status and finish time.
	FinishRoute(ctx context.Context, routeID uuid.UUID, status registry.RouteStatus, at time.Time) error
	ApprovalRequired(ctx context.Context, orgID string) (bool, error)
}

// currentVersion is the number of the order's current draft version. An order without stored
// versions (created before versions were kept, by a batch or an import) gets its version 1
// now, from draft, the draft it had until this transaction.
func currentVersion(ctx context.Context, tx WorkflowTx, o *registry.Order, draft []byte, hash string) (int, error) {
	n, err := tx.LatestVersion(ctx, o.ID)
	if err != nil || n > 0 {
		return n, err
	}
	v := &registry.DraftVersion{OrderID: o.ID, Version: 1, Draft: NonNil(draft), DraftHash: hash, CreatedAt: o.CreatedAt}
	return 1, tx.InsertVersion(ctx, v)
}

// FirstVersion is version 1 of a new order, recorded by CreateOrder with the order.
func FirstVersion(o *registry.Order) *registry.DraftVersion {
	return &registry.DraftVersion{OrderID: o.ID, Version: 1, Draft: NonNil(o.Draft), DraftHash: o.DraftHash,
		Author: o.CreatedBy, CreatedAt: o.CreatedAt}
}

// EditDraftTx is the mutation of UpdateDraft: EditDraft, refused while the draft is on
// approval, and recording a changed draft as the next version in the same transaction.
func EditDraftTx(u registry.DraftUpdate, allowed []registry.Status) (TxMutation, error) {
	m, err := EditDraft(u, allowed)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, wf Tx, o *registry.Order, now time.Time) (bool, error) {
		if o.State == registry.StateDraft {
			if err := CheckNotOnApproval(ctx, wf, o.ID); err != nil {
				return false, err
			}
		}
		oldDraft, oldHash := o.Draft, o.DraftHash
		write, err := m(o, now)
		if err != nil || !write || o.DraftHash == oldHash {
			return write, err
		}
		cur, err := currentVersion(ctx, wf, o, oldDraft, oldHash)
		if err != nil {
			return false, err
		}
		if err := wf.InsertVersion(ctx, &registry.DraftVersion{OrderID: o.ID, Version: cur + 1,
			Draft: o.Draft, DraftHash: o.DraftHash, Author: u.Author, CreatedAt: now}); err != nil {
			return false, err
		}
		if u.Audit == nil {
			return true, nil
		}
		e := *u.Audit
		e.Details = withDetails(e.Details, map[string]any{"version": cur + 1})
		return true, appendFor(ctx, wf, o, &e, now)
	}, nil
}

// CheckNotOnApproval refuses to change or delete a draft whose route is in progress: the
// approvers are answering about this text.
func CheckNotOnApproval(ctx context.Context, wf WorkflowTx, id uuid.UUID) error {
	r, err := wf.LatestRoute(ctx, id)
	if err != nil {
		return err
	}
	if r != nil && r.Status == registry.RouteInProgress {
		return &registry.ApprovalError{Reason: registry.ApprovalLocked, Status: r.Status}
	}
	return nil
}

// CheckApproved is the approval precondition of a registration: never while a route is in
// progress, and, where the organization requires it, only with an approved route of the
// current draft version.
func CheckApproved(ctx context.Context, wf WorkflowTx, o *registry.Order) error {
	r, err := wf.LatestRoute(ctx, o.ID)
	if err != nil {
		return err
	}
	if r != nil && r.Status == registry.RouteInProgress {
		return &registry.ApprovalError{Reason: registry.ApprovalLocked, Status: r.Status}
	}
	required, err := wf.ApprovalRequired(ctx, o.OrgID)
	if err != nil || !required {
		return err
	}
	var status registry.RouteStatus
	if r != nil {
		status = r.Status
	}
	if r == nil || r.Status != registry.RouteApproved {
		return &registry.ApprovalError{Reason: registry.ApprovalNotApproved, Status: status}
	}
	cur, err := wf.LatestVersion(ctx, o.ID)
	if err != nil {
		return err
	}
	if cur == 0 {
		cur = 1
	}
	if r.Version != cur {
		// Approved, but the draft has changed since: the visas were given to another text.
		return &registry.ApprovalError{Reason: registry.ApprovalNotApproved, Status: status}
	}
	return nil
}

// StartApproval is the mutation of Store.StartApproval. Arguments are checked before any
// database work.
func StartApproval(r *registry.ApprovalRoute, audit *registry.AuditEntry) (TxMutation, error) {
	if r.Mode != registry.ApprovalSequential && r.Mode != registry.ApprovalParallel {
		return nil, fmt.Errorf("%w: approval mode %q", registry.ErrInvalid, r.Mode)
	}
	if len(r.Visas) == 0 {
		return nil, fmt.Errorf("%w: an approval route without approvers", registry.ErrInvalid)
	}
	seen := map[uuid.UUID]bool{}
	for i, v := range r.Visas {
		if v.UserID == uuid.Nil || strings.TrimSpace(v.Login) == "" {
			return nil, fmt.Errorf("%w: approver %d without a user", registry.ErrInvalid, i+1)
		}
		if seen[v.UserID] {
			return nil, fmt.Errorf("%w: approver %s twice in one route", registry.ErrInvalid, v.Login)
		}
		seen[v.UserID] = true
	}
	return func(ctx context.Context, tx Tx, o *registry.Order, now time.Time) (bool, error) {
		if err := CheckLifecycle(o.State, "approve", registry.StateDraft); err != nil {
			return false, err
		}
		w := tx
		last, err := w.LatestRoute(ctx, o.ID)
		if err != nil {
			return false, err
		}
		r.Round = 1
		if last != nil {
			if last.Status == registry.RouteInProgress {
				return false, &registry.ApprovalError{Reason: registry.ApprovalLocked, Status: last.Status}
			}
			r.Round = last.Round + 1
		}
		if r.Version, err = currentVersion(ctx, w, o, o.Draft, o.DraftHash); err != nil {
			return false, err
		}
		if r.ID == uuid.Nil {
			r.ID = uuid.New()
		}
		r.OrgID, r.OrderID, r.Status, r.CreatedAt, r.FinishedAt = o.OrgID, o.ID, registry.RouteInProgress, now, nil
		for i := range r.Visas {
			v := &r.Visas[i]
			v.Step, v.Decision, v.Remark, v.DecidedAt = i+1, registry.DecisionPending, "", nil
		}
		if err := w.InsertRoute(ctx, r); err != nil {
			return false, err
		}
		if audit != nil {
			audit.Details = withDetails(audit.Details, map[string]any{"round": r.Round, "version": r.Version, "mode": string(r.Mode)})
		}
		return false, appendFor(ctx, tx, o, audit, now)
	}, nil
}

// withDetails adds what the registry decided (round, version …) to an audit entry's JSON
// details, which the caller may have started.
func withDetails(details []byte, add map[string]any) []byte {
	d := map[string]any{}
	if len(details) > 0 {
		// The caller's details are JSON by AuditEntry's contract; CheckAudit refuses others.
		_ = json.Unmarshal(details, &d)
	}
	for k, v := range add {
		d[k] = v
	}
	out, err := json.Marshal(d)
	if err != nil {
		return details
	}
	return out
}

// DecideVisa is the mutation of Store.DecideVisa; the route as it is after the answer is
// left in *out.
func DecideVisa(user uuid.UUID, d registry.Decision, remark string, audit *registry.AuditEntry,
	out **registry.ApprovalRoute) (TxMutation, error) {
	remark = strings.TrimSpace(remark)
	switch d {
	case registry.DecisionApproved:
	case registry.DecisionRemarks, registry.DecisionRejected:
		if remark == "" {
			return nil, fmt.Errorf("%w: decision %s without a remark", registry.ErrInvalid, d)
		}
	default:
		return nil, fmt.Errorf("%w: decision %q", registry.ErrInvalid, d)
	}
	return func(ctx context.Context, tx Tx, o *registry.Order, now time.Time) (bool, error) {
		w := tx
		r, err := w.LatestRoute(ctx, o.ID)
		if err != nil {
			return false, err
		}
		if r == nil || r.Status != registry.RouteInProgress {
			e := &registry.ApprovalError{Reason: registry.ApprovalNoRoute}
			if r != nil {
				e.Status = r.Status
			}
			return false, e
		}
		step := 0
		for _, v := range r.Due() {
			if v.UserID == user {
				step = v.Step
			}
		}
		if step == 0 {
			return false, &registry.ApprovalError{Reason: registry.ApprovalNotDue, Status: r.Status}
		}
		v := &r.Visas[step-1]
		v.Decision, v.Remark, v.DecidedAt = d, remark, &now
		if err := w.SaveVisa(ctx, r.ID, *v); err != nil {
			return false, err
		}
		if d == registry.DecisionRejected {
			r.Status = registry.RouteReturned
		} else if len(r.Due()) == 0 && allDecided(r) {
			r.Status = registry.RouteApproved
		}
		if r.Status != registry.RouteInProgress {
			r.FinishedAt = &now
			if err := w.FinishRoute(ctx, r.ID, r.Status, now); err != nil {
				return false, err
			}
		}
		if audit != nil {
			audit.Details = withDetails(audit.Details, map[string]any{"round": r.Round, "version": r.Version,
				"step": step, "decision": string(d), "remark": remark, "route": string(r.Status)})
		}
		*out = r
		return false, appendFor(ctx, tx, o, audit, now)
	}, nil
}

// WithdrawApproval is the mutation of Store.WithdrawApproval; the route as withdrawn is left
// in *out.
func WithdrawApproval(audit *registry.AuditEntry, out **registry.ApprovalRoute) TxMutation {
	return func(ctx context.Context, tx Tx, o *registry.Order, now time.Time) (bool, error) {
		r, err := tx.LatestRoute(ctx, o.ID)
		if err != nil {
			return false, err
		}
		if r == nil || r.Status != registry.RouteInProgress {
			e := &registry.ApprovalError{Reason: registry.ApprovalNoRoute}
			if r != nil {
				e.Status = r.Status
			}
			return false, e
		}
		r.Status, r.FinishedAt = registry.RouteWithdrawn, &now
		if err := tx.FinishRoute(ctx, r.ID, r.Status, now); err != nil {
			return false, err
		}
		if audit != nil {
			audit.Details = withDetails(audit.Details, map[string]any{"round": r.Round, "version": r.Version})
		}
		*out = r
		return false, appendFor(ctx, tx, o, audit, now)
	}
}

func allDecided(r *registry.ApprovalRoute) bool {
	for _, v := range r.Visas {
		if v.Decision == registry.DecisionPending {
			return false
		}
	}
	return true
}

// ImplicitVersion is version 1 of an order that has no stored version: its draft as it is.
func ImplicitVersion(o *registry.Order) *registry.DraftVersion {
	return &registry.DraftVersion{OrderID: o.ID, Version: 1, Draft: o.Draft, DraftHash: o.DraftHash, CreatedAt: o.CreatedAt}
}

// DueFor reports whether r waits for user's visa now.
func DueFor(r *registry.ApprovalRoute, user uuid.UUID) bool {
	for _, v := range r.Due() {
		if v.UserID == user {
			return true
		}
	}
	return false
}

// Modify is a driver's modify: it runs a TxMutation on one order inside its write
// transaction. The approval methods of both drivers are these, over their own Modify.
type Modify func(ctx context.Context, orgID string, id uuid.UUID, m TxMutation) (*registry.Order, bool, error)

// StartApproval is Store.StartApproval over modify.
func (modify Modify) StartApproval(ctx context.Context, orgID string, orderID uuid.UUID, r *registry.ApprovalRoute, audit *registry.AuditEntry) error {
	m, err := StartApproval(r, audit)
	if err != nil {
		return err
	}
	_, _, err = modify(ctx, orgID, orderID, m)
	return err
}

// DecideVisa is Store.DecideVisa over modify.
func (modify Modify) DecideVisa(ctx context.Context, orgID string, orderID, user uuid.UUID, d registry.Decision, remark string, audit *registry.AuditEntry) (*registry.ApprovalRoute, error) {
	var r *registry.ApprovalRoute
	m, err := DecideVisa(user, d, remark, audit, &r)
	if err != nil {
		return nil, err
	}
	if _, _, err = modify(ctx, orgID, orderID, m); err != nil {
		return nil, err
	}
	return r, nil
}

// WithdrawApproval is Store.WithdrawApproval over modify.
func (modify Modify) WithdrawApproval(ctx context.Context, orgID string, orderID uuid.UUID, audit *registry.AuditEntry) (*registry.ApprovalRoute, error) {
	var r *registry.ApprovalRoute
	if _, _, err := modify(ctx, orgID, orderID, WithdrawApproval(audit, &r)); err != nil {
		return nil, err
	}
	return r, nil
}
