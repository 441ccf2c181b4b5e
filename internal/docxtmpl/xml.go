package docxtmpl

import (
	"bytes"
	"encoding/xml"
)

func xmlEscape(b *bytes.Buffer, s string) error { return xml.EscapeText(b, []byte(s)) }
