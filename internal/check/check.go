// Package check is the public check of a printed order: anyone holding a paper copy (its QR
// code, or its number, date and organization) learns whether such an order exists, whether
// it is in force or cancelled, and the SHA-256 of its signed PDF, and may compare a PDF of
// their own with it. Nothing else of the registry is reachable through it: never a draft,
// never the text unless the organization made the order public. Requests are limited per
// address (Limiter). It knows nothing of HTTP.
package check

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"time"

	"github.com/google/uuid"

	"orders/internal/printed"
	"orders/internal/registry"
)

// URL is the verification address of an order, the one its QR code carries:
// base (the service's public address, e.g. "https://prikazy.example.ru") + "/check/" + the
// order's ID. The ID is a random UUID (v7: 74 random bits), so addresses cannot be guessed
// from one another, and it is known at registration, before anything is printed.
func URL(base string, orderID uuid.UUID) string { return printed.CheckURL(base, orderID) }

// Store is what the check needs of the registry.
type Store interface {
	GetOrder(ctx context.Context, orgID string, id uuid.UUID) (*registry.Order, error)
	ListOrders(ctx context.Context, f registry.Filter) ([]registry.Order, string, error)
	GetOrganization(ctx context.Context, id string) (*registry.Organization, error)
	OrderPublic(ctx context.Context, orderID uuid.UUID) (bool, error)
}

// Service answers checks.
type Service struct {
	Store Store
}

// ErrNotFound: no order matches, or it is still a draft. The caller says «не найден» and
// nothing else, whatever the reason.
var ErrNotFound = errors.New("check: no such order")

// Result is all a visitor learns of an order.
type Result struct {
	ID           uuid.UUID `json:"id"`
	Organization string    `json:"organization"` // its name
	Kind         string    `json:"kind"`
	Number       string    `json:"number"`
	Date         string    `json:"date"`
	// State is «действует», «отменён» or «не подписан» (registered, not yet signed).
	State        string     `json:"state"`
	Cancelled    bool       `json:"cancelled"`
	CancelledAt  *time.Time `json:"cancelled_at,omitempty"`
	CancelReason string     `json:"cancel_reason,omitempty"` // says which order cancelled it
	// SignedSHA256 is of the signed PDF ("" while unsigned); PDFSHA256 of the registered
	// working copy, which is what a printout of an unsigned order comes from.
	SignedSHA256 string `json:"signed_sha256,omitempty"`
	PDFSHA256    string `json:"pdf_sha256,omitempty"`
	Imported     bool   `json:"imported"`
	// Public: the organization made the order public; only then Title and Text are given.
	Public bool   `json:"public"`
	Title  string `json:"title,omitempty"`
	Text   string `json:"text,omitempty"`
}

// States as a visitor reads them.
const (
	InForce   = "действует"
	Cancelled = "отменён"
	Unsigned  = "не подписан"
)

// ByID checks the order of a QR code.
func (s *Service) ByID(ctx context.Context, id uuid.UUID) (*Result, error) {
	o, err := s.Store.GetOrder(ctx, "", id)
	if errors.Is(err, registry.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return s.result(ctx, o)
}

// ByNumber checks the order an organization registered under number on date (YYYY-MM-DD).
func (s *Service) ByNumber(ctx context.Context, orgID, number, date string) (*Result, error) {
	number, orgID = strings.TrimSpace(number), strings.TrimSpace(orgID)
	if orgID == "" || number == "" || date == "" {
		return nil, ErrNotFound
	}
	list, _, err := s.Store.ListOrders(ctx, registry.Filter{OrgID: orgID, Number: number, DateFrom: date, DateTo: date, Limit: 2})
	if err != nil {
		return nil, err
	}
	for _, o := range list {
		if o.State != registry.StateDraft {
			full, err := s.Store.GetOrder(ctx, orgID, o.ID)
			if err != nil {
				return nil, err
			}
			return s.result(ctx, full)
		}
	}
	return nil, ErrNotFound
}

func (s *Service) result(ctx context.Context, o *registry.Order) (*Result, error) {
	if o.State == registry.StateDraft {
		return nil, ErrNotFound
	}
	r := &Result{ID: o.ID, Organization: o.OrgID, Kind: o.Kind, Number: o.Number, Date: o.Date,
		SignedSHA256: o.SignedSHA256, PDFSHA256: o.PDFSHA256, Imported: o.Imported}
	if org, err := s.Store.GetOrganization(ctx, o.OrgID); err == nil && org.Name != "" {
		r.Organization = org.Name
	}
	switch o.State {
	case registry.StateCancelled:
		r.State, r.Cancelled, r.CancelledAt, r.CancelReason = Cancelled, true, o.CancelledAt, o.CancelReason
	case registry.StateSigned:
		r.State = InForce
	default:
		r.State = Unsigned
	}
	if o.Imported && o.SignedSHA256 == "" {
		// An imported scan is the order's document: its hash is what a copy compares with.
		r.PDFSHA256 = o.PDFSHA256
	}
	pub, err := s.Store.OrderPublic(ctx, o.ID)
	if err != nil {
		return nil, err
	}
	if pub {
		r.Public, r.Title, r.Text = true, o.Title, o.SearchText
	}
	return r, nil
}

// MaxUpload is the largest PDF a visitor may upload to compare.
const MaxUpload = 32 << 20

// Comparison says whether an uploaded file is the order's document.
type Comparison struct {
	SHA256 string `json:"sha256"` // of the uploaded file
	// Match is "signed" (the signed PDF byte for byte), "copy" (the registered working copy)
	// or "" (neither).
	Match string `json:"match"`
}

// Compare hashes up to MaxUpload bytes of file and compares them with the order's
// documents. The file is not kept.
func (s *Service) Compare(ctx context.Context, id uuid.UUID, file io.Reader) (*Result, *Comparison, error) {
	r, err := s.ByID(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(file, MaxUpload+1))
	if err != nil {
		return nil, nil, err
	}
	if n > MaxUpload {
		return nil, nil, ErrTooLarge
	}
	c := &Comparison{SHA256: hex.EncodeToString(h.Sum(nil))}
	switch c.SHA256 {
	case r.SignedSHA256:
		c.Match = "signed"
	case r.PDFSHA256:
		c.Match = "copy"
	}
	return r, c, nil
}

// ErrTooLarge: the upload is over MaxUpload.
var ErrTooLarge = errors.New("check: file too large")
