// Package csvsafe writes CSV that a spreadsheet opens as data, never as formulas.
//
// Excel, LibreOffice and Google Sheets run a cell that begins with "=", "+", "-" or "@" as a
// formula (=HYPERLINK(…) sends data away, DDE starts programs), and a leading tab or carriage
// return does not stop them. As OWASP recommends (CSV Injection), such a cell gets a leading
// apostrophe: the spreadsheet shows the text as written, the apostrophe is not displayed.
// That includes negative numbers such as «-5»: OWASP prefixes them too, since «-2+3» or
// «-1+cmd|…» is a formula as much as «=1+1», and a column of order registry data holds text,
// not amounts to sum. Full-width ＝＋－＠, which Excel in East Asian locales also takes as the
// start of a formula, are treated the same. Fields are quoted by encoding/csv wherever
// needed, so a cell cannot break out into its neighbour.
package csvsafe

import (
	"encoding/csv"
	"io"
	"strings"
)

// triggers are the first characters that make a spreadsheet read a cell as a formula.
const triggers = "=+-@\t\r＝＋－＠"

// Cell returns s as a spreadsheet reads it back as text: unchanged unless it begins with
// a formula trigger, then with a leading apostrophe.
func Cell(s string) string {
	if s == "" {
		return s
	}
	for _, r := range triggers {
		if strings.HasPrefix(s, string(r)) {
			return "'" + s
		}
	}
	return s
}

// Writer is a csv.Writer whose Write and WriteAll pass every field through Cell. Comma,
// UseCRLF, Flush and Error are csv.Writer's.
type Writer struct {
	*csv.Writer
	rec []string
}

// NewWriter returns a Writer to w.
func NewWriter(w io.Writer) *Writer {
	return &Writer{Writer: csv.NewWriter(w)}
}

// Write writes one record with every field made safe; record itself is not changed.
func (w *Writer) Write(record []string) error {
	w.rec = w.rec[:0]
	for _, f := range record {
		w.rec = append(w.rec, Cell(f))
	}
	return w.Writer.Write(w.rec)
}

// WriteAll writes the records with Write and flushes.
func (w *Writer) WriteAll(records [][]string) error {
	for _, r := range records {
		if err := w.Write(r); err != nil {
			return err
		}
	}
	w.Flush()
	return w.Error()
}
