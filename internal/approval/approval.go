// Package approval owns the approval route of a draft (согласование, issue 17 §1) and its
// versions (§2): who is asked, in which order, what they answered, what the registry must
// refuse meanwhile, and the word diff between two versions of a draft as the layout prints
// them. It knows nothing of HTTP; internal/api and internal/web call it.
package approval

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"orders/internal/registry"
)

// Store is the part of the registry the service needs.
type Store interface {
	GetOrder(ctx context.Context, orgID string, id uuid.UUID) (*registry.Order, error)
	UserByLogin(ctx context.Context, login string) (*registry.User, error)
	StartApproval(ctx context.Context, orgID string, orderID uuid.UUID, r *registry.ApprovalRoute, audit *registry.AuditEntry) error
	DecideVisa(ctx context.Context, orgID string, orderID, user uuid.UUID, d registry.Decision, remark string, audit *registry.AuditEntry) (*registry.ApprovalRoute, error)
	WithdrawApproval(ctx context.Context, orgID string, orderID uuid.UUID, audit *registry.AuditEntry) (*registry.ApprovalRoute, error)
	ApprovalRoutes(ctx context.Context, orgID string, orderID uuid.UUID) ([]registry.ApprovalRoute, error)
	PendingApprovals(ctx context.Context, orgID string, user uuid.UUID) ([]registry.PendingApproval, error)
	DraftVersions(ctx context.Context, orgID string, orderID uuid.UUID) ([]registry.DraftVersion, error)
	GetDraftVersion(ctx context.Context, orgID string, orderID uuid.UUID, version int) (*registry.DraftVersion, error)
	SetApprovalRequired(ctx context.Context, orgID string, required bool) error
	ApprovalRequired(ctx context.Context, orgID string) (bool, error)
}

// Service runs approval routes. Its zero value is not usable: set Store.
type Service struct {
	Store Store
}

// Caller is who asks: the organization they reach ("" for an admin), the audit trail's name
// for them, and the web user behind a session (uuid.Nil for an API token).
type Caller struct {
	OrgID string
	Actor string
	User  uuid.UUID
}

// Approver is one person asked to approve: a web user of the order's organization and the
// position printed with their visa.
type Approver struct {
	Login    string `json:"login"`
	Position string `json:"position"`
}

// Problems are mistakes in a request, each with the JSON path it is about, in Russian.
type Problems []Problem

// Problem is one mistake in a request.
type Problem struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

func (p Problems) Error() string {
	parts := make([]string, len(p))
	for i, x := range p {
		parts[i] = x.Path + ": " + x.Message
	}
	return strings.Join(parts, "; ")
}

// ErrNotPerson: a visa is a person's answer; an API token is nobody to ask.
var ErrNotPerson = errors.New("approval: only a signed-in user can answer")

// Limits of a route and of a remark.
const (
	MaxApprovers = 20
	MaxRemark    = 2000
	MaxPosition  = 200
)

// Send puts the order's current draft on an approval route: mode "sequential" (one after the
// other, the default) or "parallel" (all at once).
func (s *Service) Send(ctx context.Context, c Caller, orderID uuid.UUID, mode string, approvers []Approver) (*registry.ApprovalRoute, error) {
	o, err := s.Store.GetOrder(ctx, c.OrgID, orderID)
	if err != nil {
		return nil, err
	}
	var probs Problems
	r := &registry.ApprovalRoute{Mode: registry.ApprovalMode(mode), Author: c.Actor}
	switch r.Mode {
	case "":
		r.Mode = registry.ApprovalSequential
	case registry.ApprovalSequential, registry.ApprovalParallel:
	default:
		probs = append(probs, Problem{"mode", fmt.Sprintf("«%s»: порядок согласования — sequential (по очереди) или parallel (одновременно)", mode)})
	}
	switch {
	case len(approvers) == 0:
		probs = append(probs, Problem{"approvers", "не указан ни один согласующий"})
	case len(approvers) > MaxApprovers:
		probs = append(probs, Problem{"approvers", fmt.Sprintf("согласующих %d, больше %d в одном маршруте нельзя", len(approvers), MaxApprovers)})
	}
	seen := map[uuid.UUID]int{}
	for i, a := range approvers {
		path := fmt.Sprintf("approvers[%d]", i)
		pos := strings.TrimSpace(a.Position)
		switch {
		case pos == "":
			probs = append(probs, Problem{path + ".position", "не заполнено: должность печатается в листе согласования"})
		case utf8.RuneCountInString(pos) > MaxPosition:
			probs = append(probs, Problem{path + ".position", fmt.Sprintf("длиннее %d символов", MaxPosition)})
		}
		login := strings.TrimSpace(a.Login)
		if login == "" {
			probs = append(probs, Problem{path + ".login", "не заполнено"})
			continue
		}
		u, err := s.Store.UserByLogin(ctx, login)
		switch {
		case errors.Is(err, registry.ErrNotFound):
			probs = append(probs, Problem{path + ".login", fmt.Sprintf("пользователя «%s» нет", login)})
			continue
		case err != nil:
			return nil, err
		case u.OrgID != o.OrgID:
			probs = append(probs, Problem{path + ".login", fmt.Sprintf("пользователь «%s» не из организации «%s»", login, o.OrgID)})
			continue
		case u.Disabled:
			probs = append(probs, Problem{path + ".login", fmt.Sprintf("пользователь «%s» отключён", login)})
			continue
		}
		if j, dup := seen[u.ID]; dup {
			probs = append(probs, Problem{path + ".login", fmt.Sprintf("«%s» уже указан в approvers[%d]", login, j)})
			continue
		}
		seen[u.ID] = i
		name := u.Name
		if name == "" {
			name = u.Login
		}
		r.Visas = append(r.Visas, registry.Visa{UserID: u.ID, Login: u.Login, Name: name, Position: pos})
	}
	if len(probs) > 0 {
		return nil, probs
	}
	logins := make([]string, len(r.Visas))
	for i, v := range r.Visas {
		logins[i] = v.Login
	}
	audit := entry(c.Actor, "approval-start", map[string]any{"approvers": logins})
	if err := s.Store.StartApproval(ctx, c.OrgID, orderID, r, audit); err != nil {
		return nil, err
	}
	return r, nil
}

// Decisions by the words the API takes.
var decisions = map[string]registry.Decision{
	"approved":              registry.DecisionApproved,
	"approved_with_remarks": registry.DecisionRemarks,
	"rejected":              registry.DecisionRejected,
}

// Decide records the caller's answer to the route of the order that waits for them.
func (s *Service) Decide(ctx context.Context, c Caller, orderID uuid.UUID, decision, remark string) (*registry.ApprovalRoute, error) {
	if c.User == uuid.Nil {
		return nil, ErrNotPerson
	}
	d, ok := decisions[decision]
	remark = strings.TrimSpace(remark)
	var probs Problems
	if !ok {
		probs = append(probs, Problem{"decision", fmt.Sprintf("«%s»: решение — approved (согласовано), approved_with_remarks (с замечаниями) или rejected (не согласовано)", decision)})
	}
	if (d == registry.DecisionRemarks || d == registry.DecisionRejected) && remark == "" {
		probs = append(probs, Problem{"remark", "не заполнено: при замечаниях и при несогласии нужен их текст"})
	}
	if utf8.RuneCountInString(remark) > MaxRemark {
		probs = append(probs, Problem{"remark", fmt.Sprintf("длиннее %d символов", MaxRemark)})
	}
	if len(probs) > 0 {
		return nil, probs
	}
	return s.Store.DecideVisa(ctx, c.OrgID, orderID, c.User, d, remark, entry(c.Actor, "visa", nil))
}

// Withdraw takes the draft back from a route in progress (an approver is away, the text must
// change): the draft is unlocked; the visas given so far stay on record.
func (s *Service) Withdraw(ctx context.Context, c Caller, orderID uuid.UUID) (*registry.ApprovalRoute, error) {
	return s.Store.WithdrawApproval(ctx, c.OrgID, orderID, entry(c.Actor, "approval-withdraw", nil))
}

// Routes are the order's routes, newest first.
func (s *Service) Routes(ctx context.Context, c Caller, orderID uuid.UUID) ([]registry.ApprovalRoute, error) {
	return s.Store.ApprovalRoutes(ctx, c.OrgID, orderID)
}

// Pending are the drafts waiting for the caller's visa («На согласовании у меня»); none for
// an API token.
func (s *Service) Pending(ctx context.Context, c Caller) ([]registry.PendingApproval, error) {
	if c.User == uuid.Nil {
		return nil, nil
	}
	return s.Store.PendingApprovals(ctx, c.OrgID, c.User)
}

// Versions are the versions of the order's draft, oldest first.
func (s *Service) Versions(ctx context.Context, c Caller, orderID uuid.UUID) ([]registry.DraftVersion, error) {
	return s.Store.DraftVersions(ctx, c.OrgID, orderID)
}

// Version is one version with its draft.
func (s *Service) Version(ctx context.Context, c Caller, orderID uuid.UUID, version int) (*registry.DraftVersion, error) {
	return s.Store.GetDraftVersion(ctx, c.OrgID, orderID, version)
}

// SetRequired sets whether the organization registers approved drafts only.
func (s *Service) SetRequired(ctx context.Context, orgID string, required bool) error {
	return s.Store.SetApprovalRequired(ctx, orgID, required)
}

// Required reads the organization's setting.
func (s *Service) Required(ctx context.Context, orgID string) (bool, error) {
	return s.Store.ApprovalRequired(ctx, orgID)
}

func entry(actor, action string, details map[string]any) *registry.AuditEntry {
	e := &registry.AuditEntry{Actor: actor, Action: action}
	if details != nil {
		e.Details, _ = json.Marshal(details)
	}
	return e
}
