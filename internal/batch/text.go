package batch

import (
	"bytes"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	xunicode "golang.org/x/text/encoding/unicode"
)

// Encodings reported in Table.Encoding.
const (
	EncUTF8        = "UTF-8"
	EncUTF8BOM     = "UTF-8 BOM"
	EncUTF16       = "UTF-16"
	EncWindows1251 = "Windows-1251"
)

var bomUTF8 = []byte{0xEF, 0xBB, 0xBF}

// decodeText turns the bytes of a text file into UTF-8 and names the encoding it found.
//
// Russian Excel saves «CSV (разделители — запятые)» in Windows-1251 and «CSV UTF-8» with
// a BOM; «Текст Юникод» is UTF-16 with a BOM. Valid UTF-8 is taken as UTF-8. Otherwise
// the choice is between UTF-8 with a few broken bytes and Windows-1251: Cyrillic in
// Windows-1251 almost never forms valid multi-byte UTF-8 sequences, so a file with more
// valid multi-byte sequences than invalid bytes is UTF-8 with damage, which is then kept
// visible as U+FFFD in the affected cells instead of turning the whole file into mojibake.
// Bytes that Windows-1251 does not define (0x98) also decode to U+FFFD.
func decodeText(data []byte) (string, string) {
	switch {
	case bytes.HasPrefix(data, bomUTF8):
		return toValidUTF8(data[len(bomUTF8):]), EncUTF8BOM
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}), bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		dec := xunicode.UTF16(xunicode.LittleEndian, xunicode.ExpectBOM).NewDecoder()
		if s, err := dec.Bytes(data); err == nil {
			return string(s), EncUTF16
		}
	}
	if utf8.Valid(data) {
		return string(data), EncUTF8
	}
	multi, invalid := 0, 0
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			invalid++
		case n > 1:
			multi++
		}
		i += n
	}
	if multi > invalid {
		return toValidUTF8(data), EncUTF8
	}
	s, err := charmap.Windows1251.NewDecoder().Bytes(data)
	if err != nil {
		// The charmap decoder does not fail on any input; keep the bytes visible if it ever does.
		return toValidUTF8(data), EncUTF8
	}
	return string(s), EncWindows1251
}

// toValidUTF8 replaces every invalid byte (not every run, as strings.ToValidUTF8 does)
// with U+FFFD, so the damaged cell is found and its length stays honest.
func toValidUTF8(data []byte) string {
	if utf8.Valid(data) {
		return string(data)
	}
	var b strings.Builder
	b.Grow(len(data) + 16)
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.Write(data[i : i+n])
		}
		i += n
	}
	return b.String()
}

// normName is how column names, placeholders and constants are compared: case-insensitive,
// ё = е, and runs of spaces, non-breaking spaces and underscores are one space, so the column
// «Учебный год» fills {учебный_год} and «Вид  площадки» fills {Вид площадки}.
func normName(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range strings.TrimSpace(s) {
		if unicode.IsSpace(r) || r == '_' {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		r = unicode.ToLower(r)
		if r == 'ё' {
			r = 'е'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// cleanValue is what a cell contributes to a draft. Line breaks (Alt+Enter in Excel, a
// newline inside a quoted CSV field) and tabs become one space: every text field of a draft
// that a row can feed except titles refuses control characters, and a break typed to fit a
// narrow spreadsheet column means nothing in the order. Other control characters are kept so
// that the row check can report them.
func cleanValue(s string) string {
	if strings.IndexFunc(s, isBreak) < 0 {
		return strings.TrimSpace(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	pending := false
	for _, r := range s {
		if isBreak(r) || r == ' ' {
			pending = true
			continue
		}
		if pending && b.Len() > 0 {
			b.WriteByte(' ')
		}
		pending = false
		b.WriteRune(r)
	}
	return b.String()
}

func isBreak(r rune) bool { return r == '\n' || r == '\r' || r == '\t' }

// badRune returns the first character a cell must not carry into an order: a control
// character or U+FFFD, the mark of a byte that was not valid in the file's encoding.
func badRune(s string) (rune, bool) {
	for _, r := range s {
		if r == utf8.RuneError || unicode.IsControl(r) {
			return r, true
		}
	}
	return 0, false
}

// NormName is how a {field} and a column are matched (case, ё/е and _/space do not count),
// for the Word templates of internal/docxtmpl.
func NormName(s string) string { return normName(s) }
