package driver

import (
	"encoding/json"
	"fmt"
	"regexp"
	"time"

	"orders/internal/registry"
)

var templateName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// PrepareTemplate checks t before either driver stores it.
func PrepareTemplate(t *registry.Template, baseVersion int, now time.Time) error {
	switch {
	case t.OrgID == "":
		return fmt.Errorf("%w: template without organization", registry.ErrInvalid)
	case !templateName.MatchString(t.Name):
		return fmt.Errorf("%w: template name %q: lower-case Latin letters, digits, «-» and «_», up to 64", registry.ErrInvalid, t.Name)
	case t.Mode != registry.TemplatePerRow && t.Mode != registry.TemplateOneOrder:
		return fmt.Errorf("%w: template mode %q", registry.ErrInvalid, t.Mode)
	case t.Format != registry.TemplateJSON && t.Format != registry.TemplateDOCX:
		return fmt.Errorf("%w: template format %q", registry.ErrInvalid, t.Format)
	case len(t.Body) == 0 || len(t.Body) > registry.MaxTemplateBody:
		return fmt.Errorf("%w: template body of %d bytes", registry.ErrInvalid, len(t.Body))
	case baseVersion < 0:
		return fmt.Errorf("%w: base version %d", registry.ErrInvalid, baseVersion)
	}
	if len(t.Constants) == 0 {
		t.Constants = []byte("{}")
	}
	var consts map[string]string
	if err := json.Unmarshal(t.Constants, &consts); err != nil {
		return fmt.Errorf("%w: template constants are not a JSON object of strings: %v", registry.ErrInvalid, err)
	}
	t.CreatedAt = now
	return nil
}
