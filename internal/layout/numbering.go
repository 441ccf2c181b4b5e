package layout

import (
	"strconv"
	"strings"

	"orders/internal/order"
)

// numLevels is how many levels a multi-level format defines: as many as a Word list has, so
// a clerk editing the DOCX can indent a clause one level deeper than the draft did.
const numLevels = 9

// The numbering formats of clauses, sections and lists. Word's numbering definitions in the
// DOCX are generated from these, and labels are computed from them.
var (
	FormatClause = clauseFormat()
	FormatParen  = &NumFormat{Name: "paren", Levels: []NumLevel{{Style: Decimal, Text: "%1)"}}}
	FormatLetter = &NumFormat{Name: "letter", Levels: []NumLevel{{Style: RussianLower, Text: "%1)"}}}
	FormatDash   = &NumFormat{Name: "dash", Levels: []NumLevel{{Style: Bullet, Text: "–"}}}
)

// clauseFormat is «1.», «1.1.», «1.1.1.» …
func clauseFormat() *NumFormat {
	f := &NumFormat{Name: "clause"}
	var text strings.Builder
	for l := range numLevels {
		text.WriteString("%" + strconv.Itoa(l+1) + ".")
		f.Levels = append(f.Levels, NumLevel{Style: Decimal, Text: text.String()})
	}
	return f
}

// formatOf maps a draft's numbering style to its format.
func formatOf(style string) *NumFormat {
	switch style {
	case order.NumParen:
		return FormatParen
	case order.NumLetter:
		return FormatLetter
	case order.NumDash:
		return FormatDash
	}
	return FormatClause
}

// Label is the label of an item at level whose counters (levels 0…level) are given.
func (f *NumFormat) Label(level int, counters []int) string {
	if level >= len(f.Levels) {
		level = len(f.Levels) - 1
	}
	pat := f.Levels[level]
	if pat.Style == Bullet {
		return pat.Text
	}
	var sb strings.Builder
	for i := 0; i < len(pat.Text); i++ {
		c := pat.Text[i]
		if c == '%' && i+1 < len(pat.Text) && pat.Text[i+1] >= '1' && pat.Text[i+1] <= '9' {
			k := int(pat.Text[i+1] - '1')
			i++
			if k < len(counters) && k < len(f.Levels) {
				sb.WriteString(f.Levels[k].Style.Format(counters[k]))
			}
			continue
		}
		sb.WriteByte(c)
	}
	return sb.String()
}

// russianLetters are Word's russianLower digits: the alphabet without ё, й, ъ, ы, ь.
var russianLetters = []rune("абвгдежзиклмнопрстуфхцчшщэюя")

// Format writes counter n (from 1) in the style. Past «я» Word doubles the letter: «аа», «бб».
func (s NumStyle) Format(n int) string {
	switch s {
	case RussianLower:
		if n < 1 {
			return ""
		}
		r := russianLetters[(n-1)%len(russianLetters)]
		return strings.Repeat(string(r), (n-1)/len(russianLetters)+1)
	case Bullet:
		return ""
	}
	return strconv.Itoa(n)
}
