package issue

import (
	"archive/zip"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	pdfapi "github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"

	"orders/internal/csvsafe"
	"orders/internal/registry"
	"orders/internal/ru"
)

// ErrDocument: a stored document of the batch could not be read whole (the details are
// logged). A ZIP stream that meets it is left unfinished, never closed as if complete.
var ErrDocument = errors.New("issue: a stored document could not be read")

// ErrMerge: pdfcpu could not merge the documents (the details are logged).
var ErrMerge = errors.New("issue: the documents could not be merged")

// ErrNothingRendered: no order of the batch (in the rows asked for) is rendered yet.
var ErrNothingRendered = errors.New("issue: no order of the batch is rendered")

// MaxMerged bounds merged.pdf: pdfcpu holds the whole merged document in memory.
const MaxMerged = 2000

// TooManyError is a merge of more than MaxMerged documents.
type TooManyError struct{ N int }

func (e *TooManyError) Error() string {
	return fmt.Sprintf("issue: %d documents to merge, at most %d", e.N, MaxMerged)
}

// Results is the orders of a batch, listed once, from which its result files are made.
type Results struct {
	s      *Service
	b      *registry.Batch
	orders []*registry.Order
}

// Results lists the batch's orders in row order.
func (s *Service) Results(ctx context.Context, b *registry.Batch) (*Results, error) {
	orders, err := s.orders(ctx, b)
	if err != nil {
		return nil, err
	}
	return &Results{s: s, b: b, orders: orders}, nil
}

// WriteZip writes every rendered order's PDF and DOCX with a manifest.csv. Documents are
// read one at a time, so memory stays at one order's size whatever the batch's. An error
// wrapping ErrDocument means a document could not be read; any other is w's.
func (r *Results) WriteZip(ctx context.Context, w io.Writer) error {
	var opts options
	_ = json.Unmarshal(r.b.Options, &opts)
	zw := zip.NewWriter(w)
	var manifest bytes.Buffer
	manifest.WriteString("\uFEFF")
	// Titles and organizations come from uploaded rows: a cell such as =HYPERLINK(…) must
	// open as text in the clerk's spreadsheet.
	mw := csvsafe.NewWriter(&manifest)
	mw.Comma, mw.UseCRLF = ';', true
	_ = mw.Write([]string{"Строка", "Номер", "Дата", "Заголовок", "Организация", "Статус", "PDF", "DOCX", "SHA-256 PDF", "SHA-256 DOCX"})
	used := map[string]bool{}
	// The issuing organization by its name; an id is no name, so an organization that cannot
	// be read leaves the cell to the rows' own labels.
	orgName := ""
	if org, err := r.s.cfg.Store.GetOrganization(ctx, r.b.OrgID); err == nil {
		orgName = org.Name
	}
	for _, o := range r.orders {
		label := opts.Labels[o.BatchRow]
		date := o.Date
		if t, err := time.Parse(time.DateOnly, o.Date); err == nil {
			date = ru.NumericDate(t)
		}
		line := strconv.Itoa(o.BatchRow)
		if o.BatchRow == 0 {
			line = "все" // the one order of a one_order batch is made of every included row
		}
		status := registry.StatusNames[o.Status]
		if status == "" {
			status = string(o.Status)
		}
		rec := []string{line, o.Number, date, o.Title, cmp.Or(label, orgName), status, "", "", "", ""}
		if o.Status == registry.StatusRendered && o.PDFKey != "" {
			base := fileBase(o, label)
			if used[base] {
				base += " " + o.ID.String()[:8]
			}
			used[base] = true
			if err := r.addDocuments(ctx, zw, o, base, rec); err != nil {
				return err
			}
		}
		_ = mw.Write(rec)
	}
	mw.Flush()
	f, err := zw.CreateHeader(zipHeader("manifest.csv", zip.Deflate, r.b.UpdatedAt))
	if err == nil {
		_, err = f.Write(manifest.Bytes())
	}
	if err == nil {
		err = zw.Close()
	}
	return err
}

// addDocuments stores o's PDF and DOCX in the archive as base.pdf and base.docx and notes
// their names and sums in the manifest record rec.
func (r *Results) addDocuments(ctx context.Context, zw *zip.Writer, o *registry.Order, base string, rec []string) error {
	modified := o.UpdatedAt
	if o.RenderedAt != nil {
		modified = *o.RenderedAt
	}
	for i, doc := range []struct{ key, sum, ext string }{{o.PDFKey, o.PDFSHA256, "pdf"}, {o.DOCXKey, o.DOCXSHA256, "docx"}} {
		data, err := r.s.cfg.Blobs.Get(ctx, doc.key)
		if err != nil {
			r.s.log.Error("batch zip: reading document", "order", o.ID, "key", doc.key, "err", err)
			return fmt.Errorf("%w: order %s: %w", ErrDocument, o.ID, err)
		}
		f, err := zw.CreateHeader(zipHeader(base+"."+doc.ext, zip.Store, modified))
		if err == nil {
			_, err = f.Write(data)
		}
		if err != nil {
			return err
		}
		rec[6+i], rec[8+i] = base+"."+doc.ext, doc.sum
	}
	return nil
}

// zipHeader is a ZIP entry dated by its document, in Moscow time: unzip and Explorer show
// the MS-DOS time as it is, so a UTC time would be three hours off. A Cyrillic name gets the
// UTF-8 flag (archive/zip sets it for any name that is not ASCII).
func zipHeader(name string, method uint16, at time.Time) *zip.FileHeader {
	return &zip.FileHeader{Name: name, Method: method, Modified: at.In(ru.Moscow)}
}

// fileBase names an order's documents in result.zip: its number, or its row, and the
// row's organization (the issuing organization when the data has no such column).
// The one order of a one_order batch (row 0) has no row of its own: it is named by its
// kind or number and its title.
func fileBase(o *registry.Order, label string) string {
	name := fmt.Sprintf("%04d", o.BatchRow)
	if o.BatchRow == 0 {
		name = capitalize(cmp.Or(o.Kind, "приказ"))
	}
	if o.Number != "" {
		name = "№ " + o.Number
	}
	switch label = strings.TrimSpace(label); {
	case o.BatchRow == 0 && o.Title != "":
		label = "«" + o.Title + "»"
	case label == "":
		label = o.OrgID
	}
	name += " " + label
	name = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`/\:*?"<>|`, r) || r < 0x20 || r == 0x7f {
			return '_'
		}
		return r
	}, strings.Join(strings.Fields(name), " "))
	if utf8.RuneCountInString(name) > 120 {
		name = string([]rune(name)[:120])
	}
	return strings.TrimRight(name, " .")
}

func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

// MergedPDF merges the rendered PDFs of rows from..to (inclusive) in row order into one
// document for printing. It fails with ErrNothingRendered, a *TooManyError, ErrDocument
// or ErrMerge.
func (r *Results) MergedPDF(ctx context.Context, from, to int) ([]byte, error) {
	var picked []*registry.Order
	for _, o := range r.orders {
		if o.Status == registry.StatusRendered && o.PDFKey != "" && o.BatchRow >= from && o.BatchRow <= to {
			picked = append(picked, o)
		}
	}
	switch {
	case len(picked) == 0:
		return nil, ErrNothingRendered
	case len(picked) > MaxMerged:
		return nil, &TooManyError{N: len(picked)}
	}
	inputs := make([]io.ReadSeeker, len(picked))
	for i, o := range picked {
		data, err := r.s.cfg.Blobs.Get(ctx, o.PDFKey)
		if err != nil {
			r.s.log.Error("merged pdf: reading document", "order", o.ID, "key", o.PDFKey, "err", err)
			return nil, fmt.Errorf("%w: order %s: %w", ErrDocument, o.ID, err)
		}
		inputs[i] = bytes.NewReader(data)
	}
	var out bytes.Buffer
	if err := pdfapi.MergeRaw(inputs, &out, false, model.NewDefaultConfiguration()); err != nil {
		r.s.log.Error("merged pdf", "batch", r.b.ID, "err", err)
		return nil, fmt.Errorf("%w: %w", ErrMerge, err)
	}
	return out.Bytes(), nil
}
