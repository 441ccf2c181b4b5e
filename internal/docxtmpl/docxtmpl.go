// Package docxtmpl fills order templates that a department keeps as Word files: a .docx
// whose text has {fields} (with cases, «{руководитель:дат}», and «{поле?}» allowed empty, as
// in internal/batch) and, for a one_order batch, one paragraph marked with {строка} that is
// repeated for every data row with that row's fields — a list item of Word's numbered list
// stays one, so Word numbers the copies. go-docx finds the fields even where Word split
// them across runs; the result is a filled .docx, formatting untouched. A Word template
// yields DOCX only: no draft, hence no PDF, no registry check of the order's structure.
package docxtmpl

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"

	godocx "github.com/lukasjarosch/go-docx"

	"orders/internal/batch"
	"orders/internal/decline"
	"orders/internal/render/docx"
)

// RowMarker marks the paragraph repeated per data row in one_order mode.
const RowMarker = "строка"

// Limits of an uploaded template: a Word order with a coat of arms fits them many times
// over; a zip bomb does not.
const (
	MaxFile     = 4 << 20  // the .docx itself (registry.MaxTemplateBody)
	MaxPart     = 16 << 20 // one unpacked part
	MaxUnpacked = 48 << 20 // all parts unpacked
	MaxParts    = 500
)

// ErrTemplate wraps every problem of an uploaded Word template; its text is Russian.
var ErrTemplate = errors.New("шаблон Word")

// Template is a parsed Word template.
type Template struct {
	raw    []byte
	parts  map[string][]byte // the parts with a sentinel in place of every field
	fields []placeholder     // by sentinel index
	// row is the byte range of the {строка} paragraph in word/document.xml, or nil.
	row []int
}

type placeholder struct {
	written  string // as in the document, without braces
	key      string // batch.NormName of the name
	gcase    decline.Case
	optional bool
	inRow    bool
}

const sentOpen, sentClose = "\uE000", "\uE001"

func sentinel(i int) string { return sentOpen + strconv.Itoa(i) + sentClose }

var reSentinel = regexp.MustCompile(sentOpen + `(\d+)` + sentClose)

func fail(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrTemplate, fmt.Sprintf(format, a...))
}

// Parse checks the file (size, zip bombs, a document part) and finds its fields.
func Parse(data []byte) (*Template, error) {
	if len(data) > MaxFile {
		return nil, fail("файл больше %d МиБ", MaxFile>>20)
	}
	if err := checkZip(data); err != nil {
		return nil, err
	}
	// go-docx keeps its counters in package variables: one lock with the letterheads'.
	defer docx.LockGoDocx()()
	d, err := godocx.OpenBytes(data)
	if err != nil {
		return nil, fail("это не документ Word (.docx): %v", err)
	}
	defer d.Close()
	names, err := d.GetPlaceHoldersList()
	if err != nil {
		return nil, fail("поля в фигурных скобках не разобраны: %v", err)
	}
	t := &Template{raw: data, parts: map[string][]byte{}}
	m := godocx.PlaceholderMap{}
	var problems []string
	for _, n := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(n, "{"), "}")
		if _, seen := m[name]; seen {
			continue
		}
		ph, problem := parsePlaceholder(name)
		if problem != "" {
			problems = append(problems, problem)
			continue
		}
		m[name] = sentinel(len(t.fields))
		t.fields = append(t.fields, ph)
	}
	if len(problems) > 0 {
		return nil, fail("%s", strings.Join(problems, "; "))
	}
	if len(m) > 0 {
		if err := d.ReplaceAll(m); err != nil {
			return nil, fail("поля не заполняются: %v", err)
		}
	}
	zr, _ := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	for _, f := range zr.File {
		if f.Name == godocx.DocumentXml || godocx.HeaderPathRegex.MatchString(f.Name) || godocx.FooterPathRegex.MatchString(f.Name) {
			if b := d.GetFile(f.Name); b != nil {
				t.parts[f.Name] = bytes.Clone(b)
			}
		}
	}
	doc := t.parts[godocx.DocumentXml]
	if doc == nil {
		return nil, fail("нет основной части word/document.xml")
	}
	if err := t.findRow(doc); err != nil {
		return nil, err
	}
	return t, nil
}

// checkZip refuses what would unpack beyond the limits, by the sizes the archive declares
// and by what its parts really inflate to.
func checkZip(data []byte) error {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return fail("это не документ Word (.docx): не архив zip")
	}
	if len(zr.File) > MaxParts {
		return fail("в архиве %d частей, допустимо не более %d", len(zr.File), MaxParts)
	}
	var total int64
	for _, f := range zr.File {
		if f.UncompressedSize64 > MaxPart {
			return fail("часть %s распаковывается в %d байт, допустимо не более %d", f.Name, f.UncompressedSize64, MaxPart)
		}
		rc, err := f.Open()
		if err != nil {
			return fail("часть %s не читается: %v", f.Name, err)
		}
		n, err := io.Copy(io.Discard, io.LimitReader(rc, MaxPart+1))
		rc.Close()
		if err != nil {
			return fail("часть %s повреждена: %v", f.Name, err)
		}
		if n > MaxPart {
			return fail("часть %s распаковывается больше чем в %d байт", f.Name, MaxPart)
		}
		if total += n; total > MaxUnpacked {
			return fail("архив распаковывается больше чем в %d МиБ", MaxUnpacked>>20)
		}
	}
	return nil
}

func parsePlaceholder(name string) (placeholder, string) {
	ph := placeholder{written: name}
	s := strings.TrimSpace(name)
	s, ph.optional = strings.CutSuffix(s, "?")
	base, caseName, hasCase := strings.Cut(s, ":")
	if hasCase {
		c, ok := decline.ParseCase(strings.TrimSpace(caseName))
		if !ok {
			return ph, fmt.Sprintf("{%s}: «%s» — не падеж; после двоеточия пишут им, род, дат, вин, твор или пред", name, strings.TrimSpace(caseName))
		}
		ph.gcase = c
	}
	ph.key = batch.NormName(base)
	if ph.key == "" {
		return ph, fmt.Sprintf("{%s}: пустое имя поля", name)
	}
	return ph, ""
}

// findRow locates the paragraph holding {строка}: at most one, in the body.
func (t *Template) findRow(doc []byte) error {
	var at []int
	for _, m := range reSentinel.FindAllSubmatchIndex(doc, -1) {
		i, _ := strconv.Atoi(string(doc[m[2]:m[3]]))
		if t.fields[i].key == RowMarker {
			at = append(at, m[0])
		}
	}
	switch {
	case len(at) == 0:
		return nil
	case len(at) > 1:
		return fail("{%s} отмечает один абзац, повторяемый для каждой строки данных, а стоит в %d местах", RowMarker, len(at))
	}
	start := lastParagraphStart(doc[:at[0]])
	end := bytes.Index(doc[at[0]:], []byte("</w:p>"))
	if start < 0 || end < 0 {
		return fail("{%s} стоит не в абзаце", RowMarker)
	}
	t.row = []int{start, at[0] + end + len("</w:p>")}
	for _, m := range reSentinel.FindAllSubmatchIndex(doc[t.row[0]:t.row[1]], -1) {
		i, _ := strconv.Atoi(string(doc[t.row[0]+m[2] : t.row[0]+m[3]]))
		t.fields[i].inRow = true
	}
	return nil
}

// lastParagraphStart finds the last «<w:p>» or «<w:p …>» (not <w:pPr>, <w:proofErr>).
func lastParagraphStart(b []byte) int {
	for i := len(b); i > 0; {
		j := bytes.LastIndex(b[:i], []byte("<w:p"))
		if j < 0 {
			return -1
		}
		if k := j + len("<w:p"); k < len(b) && (b[k] == '>' || b[k] == ' ') {
			return j
		}
		i = j
	}
	return -1
}

// HasRow says the template has a {строка} paragraph (a one_order template).
func (t *Template) HasRow() bool { return t.row != nil }

// Fields lists the template's fields as internal/batch lists a JSON template's: Column is
// true for the fields of the {строка} paragraph (one_order) or for all (per_row).
func (t *Template) Fields(mode batch.Mode) []batch.Field {
	var out []batch.Field
	idx := map[string]int{}
	for _, ph := range t.fields {
		if ph.key == RowMarker {
			continue
		}
		i, ok := idx[ph.key]
		if !ok {
			base, _, _ := strings.Cut(strings.TrimSuffix(strings.TrimSpace(ph.written), "?"), ":")
			out = append(out, batch.Field{Name: strings.TrimSpace(base), Kind: batch.KindText})
			i = len(out) - 1
			idx[ph.key] = i
		}
		f := &out[i]
		f.Required = f.Required || !ph.optional
		f.Column = f.Column || mode == batch.PerRow || ph.inRow
		if ph.gcase != decline.Nominative {
			f.Kind = batch.KindPerson
			if c := ph.gcase.String(); !slices.Contains(f.Cases, c) {
				f.Cases = append(f.Cases, c)
			}
		}
	}
	return out
}

// Fill makes one document: values fill every field outside the {строка} paragraph (and,
// with no rows, inside it); each of rows makes one copy of that paragraph. Keys are
// matched as batch matches columns. An empty required field is an error naming it.
func (t *Template) Fill(values map[string]string, rows []map[string]string) ([]byte, error) {
	norm := func(m map[string]string) map[string]string {
		out := make(map[string]string, len(m))
		for k, v := range m {
			out[batch.NormName(k)] = strings.TrimSpace(v)
		}
		return out
	}
	vals := norm(values)
	var missing []Missing
	value := func(i int, from map[string]string, line int) []byte {
		ph := t.fields[i]
		if ph.key == RowMarker {
			return nil
		}
		// A row's own cell first; a value for the whole document fills the rest.
		v, ok := from[ph.key]
		if !ok {
			v = vals[ph.key]
		}
		if v == "" && !ph.optional {
			base, _, _ := strings.Cut(strings.TrimSuffix(strings.TrimSpace(ph.written), "?"), ":")
			if m := (Missing{Row: line - 1, Field: strings.TrimSpace(base)}); !slices.Contains(missing, m) {
				missing = append(missing, m)
			}
		}
		return []byte(escape(decline.Phrase(v, ph.gcase)))
	}
	subst := func(b []byte, from map[string]string, line int) []byte {
		var out []byte
		last := 0
		for _, m := range reSentinel.FindAllSubmatchIndex(b, -1) {
			i, _ := strconv.Atoi(string(b[m[2]:m[3]]))
			v := value(i, from, line)
			// «возложить на {контроль:вин}.» with «… Иванова И.И.»: one full stop, not two.
			if bytes.HasSuffix(v, []byte(".")) && m[1] < len(b) && b[m[1]] == '.' && !bytes.HasPrefix(b[m[1]:], []byte("..")) {
				v = v[:len(v)-1]
			}
			out = append(append(out, b[last:m[0]]...), v...)
			last = m[1]
		}
		return append(out, b[last:]...)
	}
	filled := map[string][]byte{}
	for name, b := range t.parts {
		if name == godocx.DocumentXml && t.row != nil && rows != nil {
			var doc bytes.Buffer
			doc.Write(subst(b[:t.row[0]], nil, 0))
			for k, r := range rows {
				doc.Write(subst(b[t.row[0]:t.row[1]], norm(r), k+1))
			}
			doc.Write(subst(b[t.row[1]:], nil, 0))
			filled[name] = doc.Bytes()
			continue
		}
		filled[name] = subst(b, nil, 0)
	}
	if len(missing) > 0 {
		return nil, &MissingError{missing}
	}
	return t.write(filled)
}

// Missing is a required field left empty: Row is the index into Fill's rows, -1 for a
// field outside the {строка} paragraph.
type Missing struct {
	Row   int
	Field string
}

// MissingError lists the required fields Fill found empty; nothing was filled.
type MissingError struct{ Fields []Missing }

func (e *MissingError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, m := range e.Fields {
		parts[i] = "{" + m.Field + "}"
		if m.Row >= 0 {
			parts[i] = fmt.Sprintf("строка %d, {%s}", m.Row+1, m.Field)
		}
	}
	return "не заполнено: " + strings.Join(parts, "; ")
}

// write copies the template's package with the filled parts in place of their originals.
func (t *Template) write(filled map[string][]byte) ([]byte, error) {
	zr, err := zip.NewReader(bytes.NewReader(t.raw), int64(len(t.raw)))
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		b, ok := filled[f.Name]
		if !ok {
			if err := zw.Copy(f); err != nil {
				return nil, err
			}
			continue
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Deflate, Modified: f.Modified})
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(b); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// escape makes a value XML text inside <w:t>; a line break in a cell becomes a space, as
// a run cannot hold one.
func escape(s string) string {
	var b bytes.Buffer
	s = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ", "\t", " ").Replace(s)
	_ = xmlEscape(&b, s)
	return b.String()
}
