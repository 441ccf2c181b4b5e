// Package decline puts Russian person names and positions into a grammatical case, so a
// template can say «Возложить на {ответственный:вин}» and print «Возложить на заместителя
// директора Мартынову Л.Е.». Names follow the Petrovich rule set (petrovich/), with the
// gender taken from the patronymic, else the first name, else the surname; a position
// declines its head noun and the adjectives before it («заместитель начальника
// управления» → «заместителю начальника управления»). Abbreviations and quoted names
// («МБОУ «СОШ № 1»») never change.
package decline

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Case is a grammatical case.
type Case int

const (
	Nominative Case = iota
	Genitive
	Dative
	Accusative
	Instrumental
	Prepositional
)

// caseNames are what a template field may say after the colon: {руководитель:дат}.
var caseNames = map[string]Case{
	"им": Nominative, "именительный": Nominative,
	"род": Genitive, "родительный": Genitive,
	"дат": Dative, "дательный": Dative,
	"вин": Accusative, "винительный": Accusative,
	"твор": Instrumental, "тв": Instrumental, "творительный": Instrumental,
	"пред": Prepositional, "предл": Prepositional, "предложный": Prepositional,
}

// Abbrev is the short name of each case, as a template writes it.
var Abbrev = [...]string{"им", "род", "дат", "вин", "твор", "пред"}

// Question is the case question a person filling a form reads («кому?»).
var Question = [...]string{"кто?", "кого?", "кому?", "кого?", "кем?", "о ком?"}

func (c Case) String() string {
	if c < 0 || int(c) >= len(Abbrev) {
		return "?"
	}
	return Abbrev[c]
}

// ParseCase reads a case name: «дат», «дательный» (any letter case).
func ParseCase(s string) (Case, bool) {
	c, ok := caseNames[strings.ToLower(strings.TrimSpace(s))]
	return c, ok
}

// Phrase declines what a field of an order holds: a person («Мартынова Л.Е.»), a position
// («заместитель директора»), a position followed by a person («заместитель директора по УВР
// Мартынова Л.Е.»), or two of them joined by a comma («Мартынова Л.Е., заместитель
// директора»). Anything else is returned as it is.
func Phrase(s string, c Case) string {
	if c == Nominative || strings.TrimSpace(s) == "" {
		return s
	}
	if i := strings.Index(s, ", "); i > 0 {
		a, b := s[:i], s[i+2:]
		if !strings.Contains(b, ", ") && isNameOrPosition(a) && isNameOrPosition(b) {
			return Phrase(a, c) + ", " + Phrase(b, c)
		}
	}
	toks := tokenize(s)
	if start := nameStart(toks); start >= 0 {
		declineName(toks[start:], c)
		if start > 0 {
			declinePosition(toks[:start], c)
		}
		return join(toks)
	}
	declinePosition(toks, c)
	return join(toks)
}

// Name declines a person's name in any of the usual forms.
func Name(s string, c Case) string {
	toks := tokenize(s)
	declineName(toks, c)
	return join(toks)
}

// Position declines a position by its head noun.
func Position(s string, c Case) string {
	toks := tokenize(s)
	declinePosition(toks, c)
	return join(toks)
}

func isNameOrPosition(s string) bool {
	toks := tokenize(s)
	if nameStart(toks) >= 0 {
		return true
	}
	w := words(toks)
	return len(w) > 0 && isPositionWord(w[0].text)
}

// token is a word or the separator before the next word; separators are kept so a
// non-breaking space between initials and a surname stays one.
type token struct {
	text string
	sep  bool
}

func tokenize(s string) []token {
	var out []token
	start, inSep := 0, false
	for i, r := range s {
		sep := unicode.IsSpace(r)
		if i > 0 && sep != inSep {
			out = append(out, token{text: s[start:i], sep: inSep})
			start = i
		}
		inSep = sep
	}
	if start < len(s) {
		out = append(out, token{text: s[start:], sep: inSep})
	}
	return out
}

func join(toks []token) string {
	var b strings.Builder
	for _, t := range toks {
		b.WriteString(t.text)
	}
	return b.String()
}

// words returns pointers to the word tokens, so callers can replace them in place.
func words(toks []token) []*token {
	var out []*token
	for i := range toks {
		if !toks[i].sep {
			out = append(out, &toks[i])
		}
	}
	return out
}

// isInitials is «Л.Е.», «Л.», «Л.-Е.».
func isInitials(w string) bool {
	if w == "" || !strings.HasSuffix(w, ".") {
		return false
	}
	for _, part := range strings.Split(strings.TrimSuffix(w, "."), ".") {
		part = strings.TrimPrefix(part, "-")
		if utf8.RuneCountInString(part) != 1 {
			return false
		}
		if r, _ := utf8.DecodeRuneInString(part); !unicode.Is(unicode.Cyrillic, r) || !unicode.IsUpper(r) {
			return false
		}
	}
	return true
}

// isCapWord is a capitalised Cyrillic word: «Мартынова», «Бонч-Бруевич» (not «МБОУ»).
func isCapWord(w string) bool {
	r, size := utf8.DecodeRuneInString(w)
	if !unicode.Is(unicode.Cyrillic, r) || !unicode.IsUpper(r) || size == len(w) {
		return false
	}
	for _, r := range w[size:] {
		if r != '-' && !(unicode.Is(unicode.Cyrillic, r) && unicode.IsLetter(r)) {
			return false
		}
	}
	return !isUpperWord(w)
}

func isLowerWord(w string) bool {
	r, _ := utf8.DecodeRuneInString(w)
	return unicode.IsLower(r)
}

func isPatronymic(w string) bool {
	return patronymicGender(w) != Unknown
}

func patronymicGender(w string) Gender {
	l := strings.ToLower(w)
	switch {
	case strings.HasSuffix(l, "вич") || strings.HasSuffix(l, "ьич") || strings.HasSuffix(l, "ильич") || l == "оглы":
		return Male
	case strings.HasSuffix(l, "вна") || strings.HasSuffix(l, "чна") || l == "кызы":
		return Female
	}
	return Unknown
}

// nameStart finds where a person's name begins among the words: a surname with initials
// («Мартынова Л.Е.», «Л.Е. Мартынова») or three capitalised words with a patronymic
// («Мартынова Людмила Евгеньевна», «Людмила Евгеньевна Мартынова») at the end. The index is
// into toks; -1 if there is none.
func nameStart(toks []token) int {
	var idx []int
	for i, t := range toks {
		if !t.sep {
			idx = append(idx, i)
		}
	}
	n := len(idx)
	w := func(k int) string { return toks[idx[k]].text }
	switch {
	case n >= 2 && isCapWord(w(n-2)) && isInitials(w(n-1)):
		return idx[n-2]
	case n >= 3 && isCapWord(w(n-3)) && isInitials(w(n-2)) && isInitials(w(n-1)):
		return idx[n-3]
	case n >= 2 && isInitials(w(n-2)) && isCapWord(w(n-1)):
		if n >= 3 && isInitials(w(n-3)) {
			return idx[n-3]
		}
		return idx[n-2]
	case n >= 3 && isCapWord(w(n-3)) && isCapWord(w(n-2)) && isCapWord(w(n-1)) &&
		(isPatronymic(w(n-1)) || isPatronymic(w(n-2))):
		return idx[n-3]
	}
	// One or two capitalised words alone («Петров», «Главный бухгалтер») could be either: a
	// position declines its own way, so only Name takes them as a person.
	return -1
}

// declineName declines the words of one person's name in place.
func declineName(toks []token, c Case) {
	if c == Nominative {
		return
	}
	ws := words(toks)
	var last, first, middle *token
	switch {
	case len(ws) == 3 && isPatronymic(ws[1].text) && !isInitials(ws[0].text):
		first, middle, last = ws[0], ws[1], ws[2]
	case len(ws) == 3 && !isInitials(ws[1].text):
		last, first, middle = ws[0], ws[1], ws[2]
	case len(ws) >= 2 && isInitials(ws[0].text):
		last = ws[len(ws)-1]
	case len(ws) == 2 && !isInitials(ws[1].text):
		last, first = ws[0], ws[1]
	case len(ws) >= 1:
		last = ws[0]
	default:
		return
	}
	g := Unknown
	if middle != nil {
		g = patronymicGender(middle.text)
	}
	if g == Unknown && first != nil {
		g = firstNameGender(first.text)
	}
	if g == Unknown && last != nil {
		g = lastNameGender(last.text)
	}
	if last != nil {
		last.text = inflect(g, last.text, c, lastName)
	}
	if first != nil {
		first.text = inflect(g, first.text, c, firstName)
	}
	if middle != nil {
		middle.text = inflect(g, middle.text, c, middleName)
	}
}

// Male first names that end like female ones, and female ones that end like male ones.
var (
	maleInA   = setOf("никита", "илья", "фома", "кузьма", "лука", "савва", "данила", "гаврила", "фока", "миша", "паша", "гоша", "лёша", "алёша", "ваня", "вася", "петя", "коля", "толя", "федя", "дима", "вова", "слава", "стёпа", "яша", "гриша", "жора", "юра", "сережа", "серёжа", "шота", "муса", "иса")
	femaleInB = setOf("любовь", "нинель", "рашель", "николь", "габриэль", "даниэль", "адель", "изабель", "юдифь", "эсфирь", "руфь", "асель", "айгуль", "гуль", "гульнар", "айнур")
)

func setOf(ws ...string) map[string]bool {
	m := make(map[string]bool, len(ws))
	for _, w := range ws {
		m[w] = true
	}
	return m
}

func firstNameGender(w string) Gender {
	l := strings.ToLower(w)
	switch {
	case maleInA[l]:
		return Male
	case femaleInB[l]:
		return Female
	case strings.HasSuffix(l, "а") || strings.HasSuffix(l, "я"):
		return Female
	case l == "":
		return Unknown
	}
	r, _ := utf8.DecodeLastRuneInString(l)
	if strings.ContainsRune("бвгджзйклмнпрстфхцчшщь", r) {
		return Male
	}
	return Unknown
}

// lastNameGender guesses from the usual Russian surname endings; anything else (Шевченко,
// Черных, Мельник) is Unknown, and the rules for both genders decide.
func lastNameGender(w string) Gender {
	l := strings.ToLower(w)
	for _, s := range []string{"ова", "ева", "ёва", "ина", "ына", "ская", "цкая", "ая", "яя"} {
		if strings.HasSuffix(l, s) {
			return Female
		}
	}
	for _, s := range []string{"ов", "ев", "ёв", "ин", "ын", "ский", "цкий", "ый", "ой", "ий"} {
		if strings.HasSuffix(l, s) {
			return Male
		}
	}
	return Unknown
}
