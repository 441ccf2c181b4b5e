package batch

import (
	"bytes"
	"encoding/csv"
	"regexp"
	"slices"
	"strings"

	"github.com/xuri/excelize/v2"

	"orders/internal/decline"
)

// Field is one {field} of a template, as a department fills it: a column of the data file
// or a value for the whole batch.
type Field struct {
	Name string `json:"name"` // as first written in the template, without «?» and case
	// Kind is text, date, person or number: what the page's input and the sample file offer.
	Kind string `json:"kind"`
	// Required: an empty value is a problem (a field written {name?} may be empty).
	Required bool `json:"required"`
	// Cases are the grammatical cases the template puts the value in («дат»), besides the
	// nominative in which it is entered.
	Cases []string `json:"cases,omitempty"`
	// Column: the value may come from a column of the data file (every field in per_row mode,
	// the fields of the table's row in one_order mode); otherwise it is a value for the batch.
	Column  bool     `json:"column"`
	Example string   `json:"example"`
	Paths   []string `json:"paths"` // where in the draft it is used
}

// Field kinds.
const (
	KindText   = "text"
	KindDate   = "date"
	KindPerson = "person"
	KindNumber = "number"
)

// Fields lists the fields of a template in the order they first appear (the template's
// keys sorted, as everywhere in this package). A malformed template is an error as in
// NewPlan.
func Fields(tmpl []byte, mode Mode) ([]Field, error) {
	tp, err := compileTemplate(tmpl, mode)
	if err != nil {
		return nil, err
	}
	var out []Field
	byKey := map[string]int{}
	for _, s := range tp.slots {
		for _, seg := range s.segs {
			ph := seg.ph
			if ph == nil {
				continue
			}
			i, seen := byKey[ph.key]
			if !seen {
				base, _, _ := strings.Cut(ph.name, ":")
				out = append(out, Field{Name: strings.TrimSpace(base), Kind: KindText})
				i = len(out) - 1
				byKey[ph.key] = i
			}
			f := &out[i]
			if !slices.Contains(f.Paths, s.path) {
				f.Paths = append(f.Paths, s.path)
			}
			f.Required = f.Required || !ph.optional
			f.Column = f.Column || mode == PerRow || s.inRow
			if ph.gcase != decline.Nominative && !slices.Contains(f.Cases, ph.gcase.String()) {
				f.Cases = append(f.Cases, ph.gcase.String())
			}
			switch k := fieldKind(ph, s); {
			case k == KindDate || f.Kind == KindDate:
				f.Kind = KindDate
			case k != KindText:
				f.Kind = k
			}
		}
	}
	for i := range out {
		out[i].Example = example(out[i])
	}
	return out, nil
}

func fieldKind(ph *placeholder, s *slot) string {
	name := normName(ph.name)
	switch {
	case s.date || strings.Contains(name, "дата"):
		return KindDate
	case ph.gcase != decline.Nominative || strings.HasSuffix(s.path, ".name") || personName.MatchString(name):
		return KindPerson
	case strings.Contains(name, "количество") || strings.Contains(name, "число") || strings.HasPrefix(name, "номер"):
		return KindNumber
	}
	return KindText
}

// personName: field names that hold a person («Руководитель», «ФИО ответственного»).
var personName = regexp.MustCompile(`руководител|ответственн|подписант|исполнител|фио|сотрудник|работник`)

// examples by field name (normName), for the sample file and the page's placeholders.
var examples = map[string]string{
	"учебный год":   "2025-2026",
	"организация":   "МБОУ «СОШ № 1»",
	"тема":          "Функциональная грамотность",
	"руководитель":  "Мартынова Л.Е.",
	"подписант":     "И.Г. Гусева",
	"ответственный": "заместитель директора Иванова И.И.",
}

func example(f Field) string {
	if e, ok := examples[normName(f.Name)]; ok {
		return e
	}
	switch f.Kind {
	case KindDate:
		return "01.09.2025"
	case KindPerson:
		return "Мартынова Л.Е."
	case KindNumber:
		return "1"
	}
	return "…"
}

// SampleCSV is a data file with the columns of the fields and one row of examples, as Russian
// Excel opens it (UTF-8 with BOM, «;»).
func SampleCSV(fields []Field) []byte {
	var b bytes.Buffer
	b.WriteString("\uFEFF")
	w := csv.NewWriter(&b)
	w.Comma = ';'
	w.UseCRLF = true
	head, row := sampleRow(fields)
	w.Write(head)
	w.Write(row)
	w.Flush()
	return b.Bytes()
}

// SampleXLSX is the same sample as an Excel workbook.
func SampleXLSX(fields []Field) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "Sheet1"
	if err := f.SetSheetName(sheet, "Данные"); err != nil {
		return nil, err
	}
	head, row := sampleRow(fields)
	for i := range head {
		for r, v := range []string{head[i], row[i]} {
			cell, err := excelize.CoordinatesToCellName(i+1, r+1)
			if err != nil {
				return nil, err
			}
			if err := f.SetCellStr("Данные", cell, v); err != nil {
				return nil, err
			}
		}
		col, _ := excelize.ColumnNumberToName(i + 1)
		f.SetColWidth("Данные", col, col, float64(min(60, max(14, 2+len([]rune(row[i]))))))
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func sampleRow(fields []Field) (head, row []string) {
	for _, f := range fields {
		if f.Column {
			head, row = append(head, f.Name), append(row, f.Example)
		}
	}
	return head, row
}
