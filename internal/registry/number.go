package registry

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxNumberFormat is the longest number format accepted, in characters.
const MaxNumberFormat = 64

// FormatNumber makes a registration number from a journal's format and a sequence number.
// The format holds exactly one placeholder, "{seq}" or "{seq:0N}" (zero-padded to N digits,
// 1 ≤ N ≤ 9), and otherwise literal text without braces or control characters, e.g. "{seq}",
// "{seq}-о", "{seq:03}-к", "Р-{seq}". seq must be positive. An invalid format is ErrInvalid.
func FormatNumber(format string, seq int) (string, error) {
	prefix, width, suffix, err := parseNumberFormat(format)
	if err != nil {
		return "", err
	}
	if seq < 1 {
		return "", fmt.Errorf("%w: sequence number %d is not positive", ErrInvalid, seq)
	}
	digits := strconv.Itoa(seq)
	if n := width - len(digits); n > 0 {
		digits = strings.Repeat("0", n) + digits
	}
	return prefix + digits + suffix, nil
}

// ValidateNumberFormat reports whether format is one FormatNumber accepts.
func ValidateNumberFormat(format string) error {
	_, _, _, err := parseNumberFormat(format)
	return err
}

func parseNumberFormat(format string) (prefix string, width int, suffix string, err error) {
	bad := func(why string) (string, int, string, error) {
		return "", 0, "", fmt.Errorf("%w: number format %q: %s", ErrInvalid, format, why)
	}
	if !utf8.ValidString(format) {
		return bad("not UTF-8")
	}
	if utf8.RuneCountInString(format) > MaxNumberFormat {
		return bad(fmt.Sprintf("longer than %d characters", MaxNumberFormat))
	}
	for _, r := range format {
		if unicode.IsControl(r) {
			return bad("control character")
		}
	}
	open := strings.Index(format, "{")
	if open < 0 {
		return bad("no {seq} placeholder")
	}
	end := strings.Index(format[open:], "}")
	if end < 0 {
		return bad("unclosed {")
	}
	end += open
	prefix, placeholder, suffix := format[:open], format[open+1:end], format[end+1:]
	if strings.ContainsAny(prefix+suffix, "{}") {
		return bad("only one placeholder, and no other braces, are allowed")
	}
	switch {
	case placeholder == "seq":
		width = 0
	case strings.HasPrefix(placeholder, "seq:0") && len(placeholder) == len("seq:0")+1 &&
		placeholder[5] >= '1' && placeholder[5] <= '9':
		width = int(placeholder[5] - '0')
	default:
		return bad("the placeholder is {seq} or {seq:0N} with N from 1 to 9")
	}
	return prefix, width, suffix, nil
}
