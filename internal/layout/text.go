package layout

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// PlainText is the document's words in reading order, one block per line: the text that
// pdftotext must give back from the PDF and that the DOCX must carry. Golden tests of both
// renderers compare against it, so the two outputs can never drift apart in wording.
func (d *Doc) PlainText() string {
	var sb strings.Builder
	line := func(parts ...string) {
		var nonEmpty []string
		for _, p := range parts {
			if p != "" {
				nonEmpty = append(nonEmpty, p)
			}
		}
		if len(nonEmpty) > 0 {
			sb.WriteString(strings.Join(nonEmpty, " "))
			sb.WriteByte('\n')
		}
	}
	h := d.Head
	line(h.DraftMark)
	for _, p := range h.Parents {
		line(p)
	}
	line(h.Name)
	line(h.Subordinate)
	for _, c := range h.Contacts {
		line(c)
	}
	line(h.KindWord)
	line(h.Date, h.Number)
	line(h.Place)
	for _, b := range d.Body {
		switch b.Kind {
		case Paragraph:
			line(b.Label, b.Text)
		case SignatureBlock:
			line(strings.Join(b.Signature.Position, " "), strings.Join(b.Signature.Stamp, " "), b.Signature.Name)
		case TableBlock:
			line(b.Table.Header...)
			for _, r := range b.Table.Rows {
				line(r...)
			}
		}
	}
	return sb.String()
}

// NormalizeText folds every run of whitespace (including no-break spaces and line breaks)
// into one space and drops it at both ends, so texts extracted by different tools compare by
// their words. It is one pass into one buffer: intake makes every order's search text with
// it, and splitting into words and joining them again was a fifth of an intake's CPU.
func NormalizeText(s string) string {
	var sb strings.Builder
	sb.Grow(len(s))
	word := -1 // where the word being read began, -1 between words
	for i := 0; i < len(s); {
		c, size := s[i], 1
		var isSpace bool
		if c < utf8.RuneSelf {
			isSpace = c == ' ' || '\t' <= c && c <= '\r'
		} else {
			var r rune
			r, size = utf8.DecodeRuneInString(s[i:])
			isSpace = unicode.IsSpace(r) // U+00A0 included
		}
		switch {
		case isSpace && word >= 0:
			if sb.Len() > 0 {
				sb.WriteByte(' ')
			}
			sb.WriteString(s[word:i]) // the bytes as they are, invalid UTF-8 too
			word = -1
		case !isSpace && word < 0:
			word = i
		}
		i += size
	}
	if word >= 0 {
		if sb.Len() > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteString(s[word:])
	}
	return sb.String()
}
