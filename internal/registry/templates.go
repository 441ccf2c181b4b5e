package registry

import (
	"context"
	"time"
)

// Template is one version of an organization's order template: a draft with {fields} that a
// department fills from a data file or a form (internal/batch). Every save is a new version;
// the old ones stay readable, so an order issued from version 3 can be explained later.
type Template struct {
	OrgID   string
	Name    string // slug, unique within the organization: "platforms-yearly"
	Version int    // 1, 2, …; filled by SaveTemplate
	Title   string // what people call it: «Стажировочные площадки на учебный год»
	Mode    string // per_row or one_order
	// Format is "json" (a draft with {fields}) or "docx" (a Word file with {fields}).
	Format string
	Body   []byte
	// Constants are the values for the whole batch saved with the template (a JSON object of
	// strings), so next year's batch starts from last year's.
	Constants []byte
	CreatedBy string // who saved this version, as the audit trail names actors
	CreatedAt time.Time
}

// Templates is the part of the registry that keeps organizations' order templates.
type Templates interface {
	// SaveTemplate stores t as the next version of (OrgID, Name) and fills Version and
	// CreatedAt. baseVersion is the version the editor started from: if another version has
	// been saved since, nothing is stored and the error is ErrConflict, so two people editing
	// one template cannot overwrite each other unseen; 0 saves a new template, and is
	// ErrConflict if the name is taken.
	SaveTemplate(ctx context.Context, t *Template, baseVersion int) error
	// GetTemplate returns a version of a template (0: the latest), or ErrNotFound.
	GetTemplate(ctx context.Context, orgID, name string, version int) (*Template, error)
	// ListTemplates returns the latest version of each template of the organization, by name,
	// without Body and Constants.
	ListTemplates(ctx context.Context, orgID string) ([]Template, error)
	// TemplateVersions returns every version of a template, newest first, without Body and
	// Constants; ErrNotFound if there is none.
	TemplateVersions(ctx context.Context, orgID, name string) ([]Template, error)
	// DeleteTemplate deletes a template with all its versions, or ErrNotFound.
	DeleteTemplate(ctx context.Context, orgID, name string) error
}

// Template modes and formats.
const (
	TemplatePerRow   = "per_row"
	TemplateOneOrder = "one_order"
	TemplateJSON     = "json"
	TemplateDOCX     = "docx"
)

// MaxTemplateBody is the largest template the registry keeps (a DOCX with a letterhead image).
const MaxTemplateBody = 4 << 20
