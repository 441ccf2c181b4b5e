package docx

import (
	"strconv"
	"unicode/utf8"
)

// Namespaces and content types the package writes or looks for.
const (
	nsW          = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
	relNumbering = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/numbering"
	relCore      = "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties"
	ctNumbering  = "application/vnd.openxmlformats-officedocument.wordprocessingml.numbering+xml"
	ctCore       = "application/vnd.openxmlformats-package.core-properties+xml"
	xmlHeader    = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n"
)

// textRun is how a value continues after a forced break or a tab inside one <w:r>:
// the current <w:t> closes, the break element stands between, a new <w:t> opens.
const (
	brInRun  = `</w:t><w:br/><w:t xml:space="preserve">`
	tabInRun = `</w:t><w:tab/><w:t xml:space="preserve">`
)

// appendText escapes s for the content of a <w:t>. Characters XML 1.0 cannot carry at
// all are dropped: one stray control character would make Word refuse the whole file.
// "\n" and "\t" become a break and a tab inside the same run.
func appendText(b []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if (r == utf8.RuneError && size == 1) || r == 0xFFFE || r == 0xFFFF {
				b = append(b, s[start:i]...)
				i += size
				start = i
				continue
			}
			i += size
			continue
		}
		var rep string
		switch {
		case c == '&':
			rep = "&amp;"
		case c == '<':
			rep = "&lt;"
		case c == '>':
			rep = "&gt;"
		case c == '\n':
			rep = brInRun
		case c == '\t':
			rep = tabInRun
		case c < 0x20:
			rep = "" // \r and other controls
		default:
			i++
			continue
		}
		b = append(b, s[start:i]...)
		b = append(b, rep...)
		i++
		start = i
	}
	return append(b, s[start:]...)
}

// appendAttr escapes s for a double-quoted attribute value or element text outside <w:t>.
func appendAttr(b []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if !(r == utf8.RuneError && size == 1) && r != 0xFFFE && r != 0xFFFF {
				b = append(b, s[i:i+size]...)
			}
			i += size
			continue
		}
		switch {
		case c == '&':
			b = append(b, "&amp;"...)
		case c == '<':
			b = append(b, "&lt;"...)
		case c == '>':
			b = append(b, "&gt;"...)
		case c == '"':
			b = append(b, "&quot;"...)
		case c == '\n':
			b = append(b, "&#xA;"...)
		case c == '\t':
			b = append(b, "&#x9;"...)
		case c < 0x20:
		default:
			b = append(b, c)
		}
		i++
	}
	return b
}

func appendInt(b []byte, n int) []byte { return strconv.AppendInt(b, int64(n), 10) }

// twips converts millimetres to twentieths of a point, Word's unit of length.
func twips(mm float64) int { return int(mm*1440/25.4 + 0.5) }
