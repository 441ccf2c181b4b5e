// Package orgtemplate owns the order templates a department keeps for itself: drafts with
// {fields} that a batch fills from a data file (internal/batch), stored per organization in
// the registry with every saved version, and the templates shipped with the service
// (templates/orders), which every organization sees until it saves its own under that name.
package orgtemplate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strings"

	"orders/internal/batch"
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
	Name      string
	Title     string
	Mode      string
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
	fields, err := Check(in.Body, in.Mode, in.Constants)
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
		Format: registry.TemplateJSON, Body: in.Body, Constants: consts, CreatedBy: in.By}
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
