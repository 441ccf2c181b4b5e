package registry

import (
	"fmt"

	"github.com/google/uuid"
)

// ImportRequest asks ImportOrder to take in an order registered elsewhere, typically years of
// a paper archive: its number and date are recorded as they were given there, and its
// document is the PDF as uploaded (a scan, or a PDF signed elsewhere).
type ImportRequest struct {
	OrgID  string
	Kind   string // приказ, распоряжение, решение
	Title  string
	Number string // the number as registered elsewhere; required
	Date   string // the date of registration there, YYYY-MM-DD; required
	// Signatory is who signed the paper original (searchable with Filter.Signatory).
	Signatory  string
	SearchText string // plain text for the full-text search; the title when empty
	// Draft describes the order as far as it is known (the caller's JSON); it is never
	// rendered.
	Draft []byte
	// Document is the uploaded PDF in the document store. It becomes the order's PDF, and its
	// signed document too when Signed is set.
	Document SignedDocument
	// Signed: the PDF carries an electronic signature that was verified. The order is then
	// signed; otherwise (a scan of paper) it is registered.
	Signed bool
	// Signature, if not nil, is stored in the same transaction (its OrderID is set), whatever
	// its verdict: what was found in the file is recorded.
	Signature *Signature
	// Audit, if not nil, is appended in the same transaction, with OrgID and OrderID set.
	Audit *AuditEntry
}

// ErrImported is the refusal to render an imported order: its document is the imported PDF.
// errors.Is(ErrImported, ErrConflict) holds.
var ErrImported = fmt.Errorf("%w: the order is imported: its document is the imported PDF and is never rendered", ErrConflict)

// DuplicateError refuses an import that the organization already made: the same PDF
// (Field "pdf") or the same kind, number and year (Field "number"). errors.Is(err,
// ErrConflict) holds for it.
type DuplicateError struct {
	Existing uuid.UUID
	Field    string
}

func (e *DuplicateError) Error() string {
	return fmt.Sprintf("registry: conflict: imported before as order %s (same %s)", e.Existing, e.Field)
}

// Is makes a DuplicateError match ErrConflict.
func (e *DuplicateError) Is(target error) bool { return target == ErrConflict }
