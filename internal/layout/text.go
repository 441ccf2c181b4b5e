package layout

import "strings"

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
// into one space, so texts extracted by different tools compare by their words.
func NormalizeText(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\u00a0", " ")), " ")
}
