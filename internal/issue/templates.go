package issue

import (
	"io/fs"
	"regexp"
	"strings"

	"orders/templates"
)

var reTemplateName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// TemplateNames lists the order templates shipped with the service (templates/orders).
func TemplateNames() []string {
	entries, _ := fs.ReadDir(templates.Orders, "orders")
	var out []string
	for _, e := range entries {
		if name, ok := strings.CutSuffix(e.Name(), ".json"); ok {
			out = append(out, name)
		}
	}
	return out
}

// NamedTemplate is the shipped template of that name; ok is false when there is none (a
// name is never a path, so it cannot reach outside templates/orders).
func NamedTemplate(name string) (tmpl []byte, ok bool) {
	if !reTemplateName.MatchString(name) {
		return nil, false
	}
	tmpl, err := fs.ReadFile(templates.Orders, "orders/"+name+".json")
	return tmpl, err == nil
}
