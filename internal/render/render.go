// Package render lays a draft out once and draws it with both renderers, so the PDF and
// the DOCX of an order always carry the same words.
package render

import (
	"fmt"
	"time"

	"orders/internal/layout"
	"orders/internal/order"
	"orders/internal/render/docx"
	"orders/internal/render/pdf"
)

// Renderer renders drafts with fixed page options. It is safe for concurrent use.
type Renderer struct {
	opt layout.Options
}

// New returns a renderer with the given page options (zero values take ГОСТ defaults).
func New(opt layout.Options) *Renderer { return &Renderer{opt: opt} }

// Layout lays d out with the renderer's page options: the one laid-out value a step keeps
// (intake takes its search text from it, a preview draws it), so a draft that cannot be laid
// out is refused where it arrives instead of failing later in a worker.
func (r *Renderer) Layout(d *order.Draft) (*layout.Doc, error) {
	return layout.Build(d, r.opt)
}

// Render returns the PDF and the DOCX of d; at is written into both as their creation time,
// so the same draft and time give the same bytes.
func (r *Renderer) Render(d *order.Draft, at time.Time) (pdfBytes, docxBytes []byte, err error) {
	doc, err := r.Layout(d)
	if err != nil {
		return nil, nil, err
	}
	// Both documents draw the tables with the columns the PDF sizes from their content,
	// measured once here (intake and previews, which draw no DOCX, never measure them twice).
	if err := pdf.FitTables(doc); err != nil {
		return nil, nil, fmt.Errorf("pdf: %w", err)
	}
	if pdfBytes, err = PDF(doc, at); err != nil {
		return nil, nil, err
	}
	// The organization's own letterhead, when it has one (internal/printed): the DOCX only.
	if docxBytes, err = docx.Render(doc, docx.Options{Template: d.DOCXTemplate, Time: at}); err != nil {
		return nil, nil, fmt.Errorf("docx: %w", err)
	}
	return pdfBytes, docxBytes, nil
}

// PDF draws a laid-out document as PDF only (a preview shows nothing else).
func PDF(doc *layout.Doc, at time.Time) ([]byte, error) {
	b, err := pdf.Render(doc, pdf.Options{CreationDate: at})
	if err != nil {
		return nil, fmt.Errorf("pdf: %w", err)
	}
	return b, nil
}

// StampedPDF renders only the PDF, with the visible electronic signature mark in the
// signature place: the document that is then signed cryptographically.
func (r *Renderer) StampedPDF(d *order.Draft, at time.Time, st *layout.Stamp) ([]byte, error) {
	opt := r.opt
	opt.Stamp = st
	doc, err := layout.Build(d, opt)
	if err != nil {
		return nil, err
	}
	return pdf.Render(doc, pdf.Options{CreationDate: at})
}
