// Package printed decides what an order's documents print, from the registry's record of it:
// the stored draft, the acknowledgements recorded so far and the marks of its state. The
// worker that renders the working copy and the signing that renders the copy to sign both
// take the draft from here, so every document of an order carries the same facts, and none
// says more than the registry knows.
package printed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"orders/internal/order"
	"orders/internal/registry"
	"orders/internal/ru"
)

// Acks is the part of the registry this package reads: the acknowledgements of an order and
// its organization's profile (whether it prints the QR-code requisite) and files (emblem,
// DOCX letterhead).
type Acks interface {
	ListAcks(ctx context.Context, orgID string, orderID uuid.UUID) ([]registry.Ack, error)
	GetOrganization(ctx context.Context, id string) (*registry.Organization, error)
	OrganizationFile(ctx context.Context, id string, f registry.OrgFile) ([]byte, error)
	ApprovalRoutes(ctx context.Context, orgID string, orderID uuid.UUID) ([]registry.ApprovalRoute, error)
}

// DecisionWords are the approvers' answers as the Лист согласования and the pages print them.
var DecisionWords = map[registry.Decision]string{
	registry.DecisionApproved: "Согласовано",
	registry.DecisionRemarks:  "Согласовано с замечаниями",
	registry.DecisionRejected: "Не согласовано",
}

// ErrNoDraft: the order has no draft to render (it was imported as a finished document).
var ErrNoDraft = errors.New("printed: the order has no draft to render")

// Draft returns the draft to render for o, as the registry holds it now:
//   - a draft (state draft) prints «ПРОЕКТ» and blanks: a number or date in the stored draft
//     is dropped, since only registration gives them;
//   - a registered, signed or cancelled order prints the dates of the acknowledgements
//     recorded for it;
//   - a cancelled order's working copy carries the cancellation mark (date, reason, who);
//   - a registered order of an organization whose profile turns the QR-code requisite on
//     (letterhead "qr_code", read from the registry now, not from the draft's copy of the
//     letterhead) carries the SHA-256 of its registered text: the registry's DraftHash of
//     the normalized draft with its number and date, fixed at registration;
//   - every state prints the organization's emblem and its DOCX uses the organization's
//     own letterhead template, as the registry keeps them now (never the draft's own).
//
// Whatever changes one of these facts in the registry also queues a render (see
// registry.Order.RenderKey), so a document that was rendered and accepted shows them all.
func Draft(ctx context.Context, acks Acks, o *registry.Order, checkBase string) (*order.Draft, error) {
	if len(o.Draft) == 0 {
		return nil, ErrNoDraft
	}
	d, err := order.Decode(o.Draft)
	if err != nil {
		return nil, fmt.Errorf("stored draft is invalid: %w", err)
	}
	// Only the registry's records date an acknowledgement, never the draft's own text.
	read := map[string]time.Time{}
	if o.State == registry.StateDraft {
		d.Unregistered()
	} else if d.Acknowledgement != nil && len(d.Acknowledgement.People) > 0 {
		list, err := acks.ListAcks(ctx, "", o.ID)
		if err != nil {
			return nil, fmt.Errorf("acknowledgements: %w", err)
		}
		for _, a := range list {
			read[a.Person] = a.ReadAt
		}
	}
	if d.Acknowledgement != nil {
		for i, p := range d.Acknowledgement.People {
			d.Acknowledgement.People[i].Date = ""
			if at, ok := read[strings.TrimSpace(p.Name)]; ok {
				d.Acknowledgement.People[i].Date = at.Format(time.DateOnly)
			}
		}
	}
	d.Verification = nil
	org, err := organization(ctx, acks, o.OrgID)
	if err != nil {
		return nil, err
	}
	if d.Emblem, d.DOCXTemplate, err = orgFiles(ctx, acks, org); err != nil {
		return nil, err
	}
	if o.State != registry.StateDraft {
		if qrTurnedOn(org) {
			d.Verification = &order.Verification{TextSHA256: o.DraftHash}
			if checkBase != "" {
				d.Verification.URL = CheckURL(checkBase, o.ID)
			}
		}
		// The visas are frozen at registration (a route needs a draft), so the registration's
		// render prints them all; the latest route is the one the registered text went through.
		routes, err := acks.ApprovalRoutes(ctx, "", o.ID)
		if err != nil {
			return nil, fmt.Errorf("approval routes: %w", err)
		}
		if len(routes) > 0 {
			d.Visas = Visas(&routes[0])
		}
	}
	if o.State == registry.StateCancelled {
		c := &order.Cancellation{Reason: o.CancelReason, By: o.CancelledBy}
		if o.CancelledAt != nil {
			c.Date = ru.Day(*o.CancelledAt)
		}
		d.Cancelled = c
	}
	return d, nil
}

// CheckURL is the public check address of an order under the installation's public address
// base («https://orders.example.ru»): what the QR code of a registered order carries.
func CheckURL(base string, orderID uuid.UUID) string {
	return strings.TrimRight(base, "/") + "/check/" + orderID.String()
}

// organization reads the order's organization; nil when it is gone, which prints as an
// organization without emblem, letterhead or QR code.
func organization(ctx context.Context, reg Acks, orgID string) (*registry.Organization, error) {
	org, err := reg.GetOrganization(ctx, orgID)
	if errors.Is(err, registry.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("organization: %w", err)
	}
	return org, nil
}

// orgFiles reads the organization's emblem and DOCX letterhead, those it has.
func orgFiles(ctx context.Context, reg Acks, org *registry.Organization) (emblem, letterhead []byte, err error) {
	if org == nil {
		return nil, nil, nil
	}
	if org.HasEmblem {
		if emblem, err = reg.OrganizationFile(ctx, org.ID, registry.OrgEmblem); err != nil && !errors.Is(err, registry.ErrNotFound) {
			return nil, nil, fmt.Errorf("organization emblem: %w", err)
		}
	}
	if org.HasLetterhead {
		if letterhead, err = reg.OrganizationFile(ctx, org.ID, registry.OrgLetterhead); err != nil && !errors.Is(err, registry.ErrNotFound) {
			return nil, nil, fmt.Errorf("organization letterhead: %w", err)
		}
	}
	return emblem, letterhead, nil
}

// qrTurnedOn reads the organization's switch of the QR-code requisite. An organization that
// is gone or whose profile does not say so prints none: the requisite is off by default.
func qrTurnedOn(org *registry.Organization) bool {
	if org == nil {
		return false
	}
	var p struct {
		QRCode bool `json:"qr_code"`
	}
	if json.Unmarshal(org.Profile, &p) != nil {
		return false
	}
	return p.QRCode
}

// Visas are the lines of the Лист согласования of route r, in the route's order.
func Visas(r *registry.ApprovalRoute) []order.Visa {
	out := make([]order.Visa, len(r.Visas))
	for i, v := range r.Visas {
		out[i] = order.Visa{Position: v.Position, Name: v.Name, Decision: DecisionWords[v.Decision], Remark: v.Remark}
		if v.DecidedAt != nil {
			out[i].Date = v.DecidedAt.In(ru.Moscow).Format(time.DateOnly)
		}
	}
	return out
}
