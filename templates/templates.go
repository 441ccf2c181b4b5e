// Package templates ships the files a person may open and edit: example drafts, order
// templates and DOCX letterhead templates, embedded so the binary needs nothing beside it.
package templates

import "embed"

// Examples holds the example drafts (examples/*.json): the two reference orders and the
// yearly platforms order template.
//
//go:embed examples/*.json
var Examples embed.FS
