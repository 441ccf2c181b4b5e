package driver

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"orders/internal/registry"
)

// PrepareImport checks r and makes the order ImportOrder inserts: state signed or registered,
// render status rendered with the imported PDF as its only output, no journal and no
// sequence. RegisteredAt and SignedAt stay nil: the service saw neither event, and
// CreatedAt says when the order was taken in.
func PrepareImport(r *registry.ImportRequest, now time.Time) (*registry.Order, error) {
	r.Number, r.Title, r.Signatory = strings.TrimSpace(r.Number), strings.TrimSpace(r.Title), strings.TrimSpace(r.Signatory)
	switch {
	case r.OrgID == "":
		return nil, fmt.Errorf("%w: import without organization", registry.ErrInvalid)
	case r.Number == "":
		return nil, fmt.Errorf("%w: import without a number", registry.ErrInvalid)
	case r.Date == "":
		return nil, fmt.Errorf("%w: import without a date", registry.ErrInvalid)
	case r.Title == "":
		return nil, fmt.Errorf("%w: import without a title", registry.ErrInvalid)
	case r.Kind == "":
		return nil, fmt.Errorf("%w: import without a kind", registry.ErrInvalid)
	}
	if err := checkDate("date", r.Date); err != nil {
		return nil, err
	}
	d := r.Document
	if d.Key == "" || d.Size <= 0 {
		return nil, fmt.Errorf("%w: imported document without key or size", registry.ErrInvalid)
	}
	if err := checkSHA256("imported document", d.SHA256); err != nil {
		return nil, err
	}
	if r.Signed && r.Signatory == "" {
		return nil, fmt.Errorf("%w: a signed import without a signatory", registry.ErrInvalid)
	}
	if r.Signature != nil {
		if err := PrepareSignature(r.Signature, now); err != nil {
			return nil, err
		}
	}
	if r.Audit != nil {
		r.Audit.OrgID = r.OrgID
		if err := CheckAudit(r.Audit); err != nil {
			return nil, err
		}
	}
	id, err := uuid.NewV7()
	if err != nil {
		return nil, fmt.Errorf("registry: new order id: %w", err)
	}
	text := r.SearchText
	if strings.TrimSpace(text) == "" {
		text = r.Title
	}
	o := &registry.Order{
		ID: id, OrgID: r.OrgID, Kind: r.Kind, Title: r.Title, Date: r.Date, Number: r.Number,
		Status: registry.StatusRendered, State: registry.StateRegistered, SearchText: text,
		Draft: NonNil(r.Draft), CreatedAt: now, UpdatedAt: now, RenderedAt: &now,
		Outputs:   registry.Outputs{PDFKey: d.Key, PDFSHA256: d.SHA256, PDFSize: d.Size},
		Signatory: r.Signatory, Imported: true,
	}
	o.DraftHash = HashDraft(o.Draft)
	if r.Signed {
		o.State = registry.StateSigned
		o.SignedKey, o.SignedSHA256, o.SignedSize = d.Key, d.SHA256, d.Size
	}
	return o, nil
}

// FinishImport stores what goes with an inserted import in its transaction: the signature
// and the audit entry.
func FinishImport(ctx context.Context, tx Tx, o *registry.Order, r registry.ImportRequest, now time.Time) error {
	if r.Signature != nil {
		r.Signature.OrderID = o.ID
		if err := tx.InsertSignature(ctx, r.Signature); err != nil {
			return err
		}
	}
	return appendFor(ctx, tx, o, r.Audit, now)
}

// ImportDuplicateQuery finds an imported order of org $1 with the same PDF ($2) or the same
// kind ($3), number ($4) and year ($5), and says which field matched ('pdf' first).
// imported and year are the dialect's spelling of the partial indexes' condition and
// expression (migration 00011), so that the lookup uses those indexes.
func ImportDuplicateQuery(d *Dialect, imported, year string) string {
	p := d.Placeholder
	return `SELECT id, CASE WHEN pdf_sha256 = ` + p(2) + ` THEN 'pdf' ELSE 'number' END AS field FROM orders
		WHERE org_id = ` + p(1) + ` AND ` + imported + ` AND (pdf_sha256 = ` + p(2) + ` OR (kind = ` + p(3) +
		` AND number = ` + p(4) + ` AND ` + year + ` = ` + p(5) + `)) ORDER BY field DESC LIMIT 1`
}

// ImportDuplicateArgs are the arguments of ImportDuplicateQuery for o.
func ImportDuplicateArgs(o *registry.Order) []any {
	return []any{o.OrgID, o.PDFSHA256, o.Kind, o.Number, o.Date[:4]}
}
