// Package fonts ships the Times-metric serif (Liberation Serif, SIL OFL 1.1, see LICENSE)
// that both the PDF renderer and the DOCX letterhead assume, so output never depends on
// what the host has installed.
package fonts

import _ "embed"

var (
	//go:embed LiberationSerif-Regular.ttf
	SerifRegular []byte
	//go:embed LiberationSerif-Bold.ttf
	SerifBold []byte
	//go:embed LiberationSerif-Italic.ttf
	SerifItalic []byte
	//go:embed LiberationSerif-BoldItalic.ttf
	SerifBoldItalic []byte
)
