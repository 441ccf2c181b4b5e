package decline

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// A position declines its head noun and the adjectives in front of it; the rest is a
// dependent phrase in its own case and stays («заместитель | начальника управления по
// образованию»). Positions name people, so a masculine noun's accusative is its genitive
// («назначить заместителя»). A substantivised participle or adjective is the head itself
// («заведующий | хозяйством», «исполняющий | обязанности директора»). A hyphenated
// compound declines both parts («учителю-логопеду»). The rules are the school grammar's
// declension of nouns and full adjectives (Розенталь, «Справочник по правописанию и
// литературной правке», §§ on declension), limited to the shapes positions take.

// substantive heads: adjectives and participles that name the position themselves.
var substantive = setOf(
	"заведующий", "заведующая", "управляющий", "управляющая", "исполняющий", "исполняющая",
	"дежурный", "дежурная", "уполномоченный", "уполномоченная", "ответственный", "ответственная",
)

// stressed consonant-final nouns whose instrumental is «-ом» after a sibilant.
var stressedEnding = setOf("врач", "ткач", "силач", "москвич")

func declinePosition(toks []token, c Case) {
	if c == Nominative {
		return
	}
	for _, w := range words(toks) {
		if !declinable(w.text) {
			return
		}
		l := strings.ToLower(w.text)
		switch {
		case l == "временно": // «временно исполняющий обязанности»: the adverb stays
			continue
		case substantive[l]:
			w.text = adjective(w.text, c)
			return
		case strings.Contains(w.text, "-"):
			parts := strings.Split(w.text, "-")
			for i := range parts {
				parts[i] = noun(parts[i], c)
			}
			w.text = strings.Join(parts, "-")
			return
		case isAdjective(l):
			w.text = adjective(w.text, c)
		default:
			w.text = noun(w.text, c)
			return
		}
	}
}

// declinable is a Cyrillic word of letters (and hyphens) that is not an abbreviation
// («МБОУ», «и.о.»), not quoted and not a number.
func declinable(w string) bool {
	if w == "" || isUpperWord(w) {
		return false
	}
	for _, r := range w {
		if r != '-' && !(unicode.IsLetter(r) && unicode.Is(unicode.Cyrillic, r)) {
			return false
		}
	}
	return true
}

func isPositionWord(w string) bool {
	r, _ := utf8.DecodeRuneInString(w)
	return unicode.Is(unicode.Cyrillic, r) && !isInitials(w)
}

func isAdjective(l string) bool {
	if utf8.RuneCountInString(l) < 4 {
		return false
	}
	for _, s := range []string{"ый", "ий", "ой", "ая", "яя"} {
		if strings.HasSuffix(l, s) {
			return true
		}
	}
	return false
}

// ending replaces the last n letters of w with s.
func ending(w string, n int, s string) string {
	for range n {
		_, size := utf8.DecodeLastRuneInString(w)
		w = w[:len(w)-size]
	}
	return w + s
}

// lastBefore is the letter before the last n letters of w.
func lastBefore(l string, n int) rune {
	rs := []rune(l)
	if len(rs) <= n {
		return 0
	}
	return rs[len(rs)-1-n]
}

const (
	velars    = "гкх"
	sibilants = "жшчщ"
)

// caseEnd picks the ending for the five oblique cases.
func caseEnd(c Case, gen, dat, acc, ins, pre string) string {
	return [...]string{"", gen, dat, acc, ins, pre}[c]
}

func adjective(w string, c Case) string {
	l := strings.ToLower(w)
	before := lastBefore(l, 2)
	switch {
	case strings.HasSuffix(l, "ая"):
		if strings.ContainsRune(sibilants, before) {
			return ending(w, 2, caseEnd(c, "ей", "ей", "ую", "ей", "ей"))
		}
		return ending(w, 2, caseEnd(c, "ой", "ой", "ую", "ой", "ой"))
	case strings.HasSuffix(l, "яя"):
		return ending(w, 2, caseEnd(c, "ей", "ей", "юю", "ей", "ей"))
	case strings.HasSuffix(l, "ый"):
		return ending(w, 2, caseEnd(c, "ого", "ому", "ого", "ым", "ом"))
	case strings.HasSuffix(l, "ой"):
		if strings.ContainsRune(velars+"жш", before) {
			return ending(w, 2, caseEnd(c, "ого", "ому", "ого", "им", "ом"))
		}
		return ending(w, 2, caseEnd(c, "ого", "ому", "ого", "ым", "ом"))
	case strings.HasSuffix(l, "ий"):
		if strings.ContainsRune(velars, before) {
			return ending(w, 2, caseEnd(c, "ого", "ому", "ого", "им", "ом"))
		}
		return ending(w, 2, caseEnd(c, "его", "ему", "его", "им", "ем"))
	}
	return w
}

func noun(w string, c Case) string {
	l := strings.ToLower(w)
	if !declinable(w) || utf8.RuneCountInString(l) < 2 {
		return w
	}
	last, _ := utf8.DecodeLastRuneInString(l)
	before := lastBefore(l, 1)
	switch {
	case strings.ContainsRune("оеиуюэё", last):
		return w // атташе: vowel-final borrowed nouns do not decline
	case strings.HasSuffix(l, "ия"):
		return ending(w, 1, caseEnd(c, "и", "и", "ю", "ей", "и"))
	case last == 'я':
		return ending(w, 1, caseEnd(c, "и", "е", "ю", "ей", "е"))
	case last == 'а':
		gen := "ы"
		if strings.ContainsRune(velars+sibilants, before) {
			gen = "и"
		}
		ins := "ой"
		if strings.ContainsRune(sibilants+"ц", before) {
			ins = "ей"
		}
		return ending(w, 1, caseEnd(c, gen, "е", "у", ins, "е"))
	case last == 'ь' || last == 'й':
		if strings.HasSuffix(l, "ий") {
			return ending(w, 1, caseEnd(c, "я", "ю", "я", "ем", "и"))
		}
		return ending(w, 1, caseEnd(c, "я", "ю", "я", "ем", "е"))
	case strings.HasSuffix(l, "ец") && utf8.RuneCountInString(l) > 4:
		// продавец → продавца: the «е» is fluent
		return ending(w, 2, "ц"+caseEnd(c, "а", "у", "а", "ом", "е"))
	}
	ins := "ом"
	if strings.ContainsRune(sibilants+"ц", last) && !stressedEnding[l] {
		ins = "ем"
	}
	return w + caseEnd(c, "а", "у", "а", ins, "е")
}
