// Package orgtemplate owns the order templates a department keeps for itself: drafts with
// {fields} that a batch fills from a data file (internal/batch), stored per organization in
// the registry with every saved version, and the templates shipped with the service
// (templates/orders), which every organization sees until it saves its own under that name.
package orgtemplate

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strings"

	"orders/internal/batch"
	"orders/internal/docxtmpl"
	"orders/internal/order"
	"orders/internal/registry"
	"orders/templates"
)

// Store is what the service needs of the registry.
type Store interface {
	SaveTemplate(ctx context.Context, t *registry.Template, baseVersion int) error
	GetTemplate(ctx context.Context, orgID, name string, version int) (*registry.Template, error)
	ListTemplates(ctx context.Context, orgID string) ([]registry.Template, error)
	TemplateVersions(ctx context.Context, orgID, name string) ([]registry.Template, error)
	DeleteTemplate(ctx context.Context, orgID, name string) error
}

// Builtin describes a template shipped with the service.
type Builtin struct {
	Title string
	Mode  string
	// Constants are the values its fields take unless the batch gives others: the shipped
	// wording, kept as a field so that a department can say it in its own words.
	Constants map[string]string
}

// Service keeps organizations' templates.
type Service struct {
	Store Store
	// Files holds the shipped templates as orders/<name>.json (templates.Orders), described
	// by Builtins.
	Files    fs.FS
	Builtins map[string]Builtin
}

// shipped describes the templates of templates/orders.
var shipped = map[string]Builtin{
	"platforms-yearly": {Title: "Об организации работы стажировочных и инновационных площадок на учебный год", Mode: "one_order",
		Constants: map[string]string{"площадки": "стажировочных площадок и региональных инновационных площадок"}},
}

// New is the service over the registry, with the templates shipped with the service.
func New(store Store) *Service {
	return &Service{Store: store, Files: templates.Orders, Builtins: shipped}
}

// Template is a template with the fields a department fills.
type Template struct {
	registry.Template
	// Builtin: shipped with the service (Version 0), not saved by the organization.
	Builtin bool
	Fields  []batch.Field
}

// Input is what a person saves.
type Input struct {
	Name  string
	Title string
	Mode  string
	// Format is registry.TemplateJSON (the default) or registry.TemplateDOCX: Body is then
	// a Word file (internal/docxtmpl).
	Format    string
	Body      []byte
	Constants map[string]string
	By        string // the actor, as the audit trail names actors
}

// ErrNotFound: no such template in the organization, nor shipped.
var ErrNotFound = registry.ErrNotFound

// List returns the organization's templates and the shipped ones it has not replaced, by
// name, without bodies.
func (s *Service) List(ctx context.Context, orgID string) ([]Template, error) {
	own, err := s.Store.ListTemplates(ctx, orgID)
	if err != nil {
		return nil, err
	}
	out := make([]Template, 0, len(own)+len(s.Builtins))
	have := map[string]bool{}
	for _, t := range own {
		out = append(out, Template{Template: t})
		have[t.Name] = true
	}
	for _, name := range slices.Sorted(maps.Keys(s.Builtins)) {
		if !have[name] {
			b := s.Builtins[name]
			out = append(out, Template{Builtin: true, Template: registry.Template{OrgID: orgID, Name: name, Title: b.Title,
				Mode: b.Mode, Format: registry.TemplateJSON}})
		}
	}
	slices.SortFunc(out, func(a, b Template) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// Get returns a version of a template (0: the latest) with its body and fields; a name the
// organization never saved may be a shipped template.
func (s *Service) Get(ctx context.Context, orgID, name string, version int) (*Template, error) {
	t, err := s.Store.GetTemplate(ctx, orgID, name, version)
	var out *Template
	switch {
	case err == nil:
		out = &Template{Template: *t}
	case errors.Is(err, registry.ErrNotFound) && version == 0:
		b, ok := s.Builtins[name]
		if !ok {
			return nil, err
		}
		body, ferr := fs.ReadFile(s.Files, "orders/"+name+".json")
		if ferr != nil {
			return nil, fmt.Errorf("orgtemplate: shipped template %s: %w", name, ferr)
		}
		consts, jerr := json.Marshal(b.Constants)
		if jerr != nil || b.Constants == nil {
			consts = []byte("{}")
		}
		out = &Template{Builtin: true, Template: registry.Template{OrgID: orgID, Name: name, Title: b.Title, Mode: b.Mode,
			Format: registry.TemplateJSON, Body: body, Constants: consts}}
	default:
		return nil, err
	}
	mode, err := batch.ParseMode(out.Mode)
	if err != nil {
		return nil, err
	}
	if out.Format == registry.TemplateDOCX {
		w, err := docxtmpl.Parse(out.Body)
		if err != nil {
			return nil, fmt.Errorf("orgtemplate: stored Word template %s v%d: %w", name, out.Version, err)
		}
		out.Fields = w.Fields(mode)
		return out, nil
	}
	if out.Fields, err = batch.Fields(out.Body, mode); err != nil {
		return nil, fmt.Errorf("orgtemplate: stored template %s v%d: %w", name, out.Version, err)
	}
	return out, nil
}

// Versions lists every saved version of a template, newest first.
func (s *Service) Versions(ctx context.Context, orgID, name string) ([]registry.Template, error) {
	return s.Store.TemplateVersions(ctx, orgID, name)
}

// Delete deletes a template with all its versions; a shipped one comes back into view.
func (s *Service) Delete(ctx context.Context, orgID, name string) error {
	return s.Store.DeleteTemplate(ctx, orgID, name)
}

// Save checks the template and stores it as a new version; baseVersion is the version the
// person edited (0 for a new template; to make a shipped template one's own, 0 too). The
// problems of the template come back as order.Problems with their paths in the template,
// in Russian, and nothing is stored.
func (s *Service) Save(ctx context.Context, orgID string, in Input, baseVersion int) (*Template, error) {
	format := cmp.Or(in.Format, registry.TemplateJSON)
	var fields []batch.Field
	var err error
	switch format {
	case registry.TemplateJSON:
		fields, err = Check(in.Body, in.Mode, in.Constants)
	case registry.TemplateDOCX:
		fields, err = CheckWord(in.Body, in.Mode)
	default:
		err = order.Problems{{Path: "format", Message: fmt.Sprintf("«%s»: шаблон — json (проект приказа) или docx (файл Word)", in.Format)}}
	}
	if err != nil {
		return nil, err
	}
	consts, err := json.Marshal(in.Constants)
	if err != nil {
		return nil, err
	}
	if in.Constants == nil {
		consts = []byte("{}")
	}
	t := registry.Template{OrgID: orgID, Name: in.Name, Title: strings.TrimSpace(in.Title), Mode: in.Mode,
		Format: format, Body: in.Body, Constants: consts, CreatedBy: in.By}
	if t.Title == "" {
		return nil, order.Problems{{Path: "title", Message: "не заполнено: как называется шаблон"}}
	}
	if err := s.Store.SaveTemplate(ctx, &t, baseVersion); err != nil {
		return nil, err
	}
	return &Template{Template: t, Fields: fields}, nil
}

// Check compiles a template and fills it once with the constants given and, for every other
// field, its example value, so that a template which cannot make a valid order (a field
// where the draft wants a list, an unknown draft field, a case that is not one) is refused
// when it is saved, not when the first batch runs. It returns the template's fields.
func Check(body []byte, modeName string, consts map[string]string) ([]batch.Field, error) {
	mode, err := batch.ParseMode(modeName)
	if err != nil {
		return nil, order.Problems{{Path: "mode", Message: err.Error()}}
	}
	fields, err := batch.Fields(body, mode)
	if err != nil {
		return nil, err
	}
	trial := map[string]string{}
	row := batch.Row{Line: 2, Cells: map[string]string{}}
	table := &batch.Table{Format: "csv", HeaderLine: 1}
	for _, f := range fields {
		switch v, ok := consts[f.Name]; {
		case ok:
			trial[f.Name] = v
		case f.Column:
			table.Columns = append(table.Columns, f.Name)
			row.Cells[f.Name] = f.Example
		default:
			trial[f.Name] = f.Example
		}
	}
	if len(table.Columns) == 0 {
		// A template without columns still needs a row to make its order from.
		table.Columns = []string{"№"}
		row.Cells["№"] = "1"
	}
	table.Rows = []batch.Row{row}
	if _, err := batch.NewPlan(body, mode, trial, table); err != nil {
		return nil, err
	}
	return fields, nil
}

// CheckWord parses a Word template (size, zip bombs, its fields and cases) and checks that
// its {строка} paragraph agrees with the mode: one_order repeats it per data row, per_row
// has none (one document per row). The problems come back as order.Problems in Russian.
func CheckWord(body []byte, modeName string) ([]batch.Field, error) {
	mode, err := batch.ParseMode(modeName)
	if err != nil {
		return nil, order.Problems{{Path: "mode", Message: err.Error()}}
	}
	w, err := docxtmpl.Parse(body)
	if err != nil {
		return nil, order.Problems{{Path: "docx", Message: err.Error()}}
	}
	switch {
	case mode == batch.OneOrder && !w.HasRow():
		return nil, order.Problems{{Path: "docx", Message: "режим «один приказ»: отметьте абзац, повторяемый для каждой строки данных, полем {строка}"}}
	case mode == batch.PerRow && w.HasRow():
		return nil, order.Problems{{Path: "mode", Message: "в шаблоне есть абзац {строка}: он повторяется для строк данных в режиме one_order, а не per_row"}}
	}
	return w.Fields(mode), nil
}

// WordFile is one filled Word document of a batch.
type WordFile struct {
	Name string // e.g. «0002 МБОУ «СОШ № 1».docx»
	Data []byte
}

// FillWord fills a Word template from the rows of a data file: per_row one document per
// row, one_order one document with the {строка} paragraph repeated per row. The constants
// fill what no column does. Rows with empty required fields come back as row problems and
// nothing is filled.
func FillWord(t *Template, consts map[string]string, tb *batch.Table) ([]WordFile, []batch.RowProblem, error) {
	if t.Format != registry.TemplateDOCX {
		return nil, nil, fmt.Errorf("orgtemplate: %s is not a Word template", t.Name)
	}
	w, err := docxtmpl.Parse(t.Body)
	if err != nil {
		return nil, nil, err
	}
	var saved map[string]string
	_ = json.Unmarshal(t.Constants, &saved)
	values := map[string]string{}
	maps.Copy(values, saved)
	maps.Copy(values, consts)
	if len(tb.Problems) > 0 {
		return nil, tb.Problems, nil
	}
	if len(tb.Rows) == 0 {
		return nil, []batch.RowProblem{{Line: tb.HeaderLine, Message: batch.MsgHeaderOnly}}, nil
	}
	if t.Mode == "one_order" {
		rows := make([]map[string]string, len(tb.Rows))
		for i, r := range tb.Rows {
			rows[i] = r.Cells
		}
		data, err := w.Fill(values, rows)
		if err != nil {
			ps, ok := missingProblems(err, false, func(row int) int { return tb.Rows[row].Line })
			if !ok {
				return nil, nil, err
			}
			return nil, ps, nil
		}
		return []WordFile{{Name: t.Name + ".docx", Data: data}}, nil, nil
	}
	var files []WordFile
	var problems []batch.RowProblem
	for _, r := range tb.Rows {
		row := map[string]string{}
		maps.Copy(row, values)
		maps.Copy(row, r.Cells)
		data, err := w.Fill(row, nil)
		if err != nil {
			ps, ok := missingProblems(err, true, func(int) int { return r.Line })
			if !ok {
				return nil, nil, err
			}
			problems = append(problems, ps...)
			continue
		}
		files = append(files, WordFile{Name: fmt.Sprintf("%04d %s.docx", r.Line, t.Name), Data: data})
	}
	if len(problems) > 0 {
		return nil, problems, nil
	}
	return files, nil, nil
}

// missingProblems turns a Word template's empty required fields into row problems: a
// field of the row (or of a per_row document) at its line and column, one outside the rows
// about the constants.
func missingProblems(err error, perRow bool, line func(row int) int) ([]batch.RowProblem, bool) {
	var me *docxtmpl.MissingError
	if !errors.As(err, &me) {
		return nil, false
	}
	var out []batch.RowProblem
	for _, m := range me.Fields {
		if m.Row >= 0 || perRow {
			out = append(out, batch.RowProblem{Line: line(max(m.Row, 0)), Column: m.Field, Message: batch.MsgEmpty})
			continue
		}
		out = append(out, batch.RowProblem{Message: fmt.Sprintf("{%s}: не заполнено — нет ни столбца, ни константы с таким именем", m.Field)})
	}
	return out, true
}

// FromOrder makes the body of a new template from an order's draft: what registration
// gives (number, date) and the cancellation are left out; the person then replaces the
// words that change with {fields}.
func FromOrder(draftJSON []byte) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(draftJSON, &m); err != nil {
		return nil, fmt.Errorf("orgtemplate: draft: %w", err)
	}
	delete(m, "number")
	delete(m, "date")
	return json.MarshalIndent(m, "", "  ")
}
