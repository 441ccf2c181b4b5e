// Package templates ships the files a person may open and edit: example drafts, order
// templates and DOCX letterhead templates, embedded so the binary needs nothing beside it.
package templates

import "embed"

// Examples holds the example drafts (examples/*.json): the two reference orders.
//
//go:embed examples/*.json
var Examples embed.FS

// Orders holds order templates (orders/*.json): drafts with {fields} in their texts that a
// batch fills from rows of data, such as the yearly platforms order.
//
//go:embed orders/*.json
var Orders embed.FS
