// Package ru owns the rules of Russian typography that an order needs: dates with
// genitive months, non-breaking joins (initials and surname, «№» and its number, verbal
// dates, numbers with their units and digit groups) and «ёлочки» quotes. Renderers never apply these themselves; the layout step does.
package ru

import (
	"regexp"
	"strings"
	"time"
	"unicode"
)

// NBSP is the no-break space that keeps «А.Н. Зубова» and «№ 37-о» on one line.
const NBSP = "\u00a0"

var genitiveMonths = [...]string{
	"января", "февраля", "марта", "апреля", "мая", "июня",
	"июля", "августа", "сентября", "октября", "ноября", "декабря",
}

// Moscow is the time zone of every date an order prints or is registered on. A fixed zone:
// Russia keeps UTC+3 all year, and a container may lack tzdata.
var Moscow = time.FixedZone("MSK", 3*60*60)

// NumericDate gives the ГОСТ digital form: 22.09.2022.
func NumericDate(t time.Time) string { return t.Format("02.01.2006") }

// DateTime gives a moment as people of the service read it: Moscow time, «05.12.2026 14:07».
func DateTime(t time.Time) string { return t.In(Moscow).Format("02.01.2006 15:04") }

// DateTimeZone is DateTime naming the zone, for texts read outside the service: «05.12.2026 14:07 MSK».
func DateTimeZone(t time.Time) string { return t.In(Moscow).Format("02.01.2006 15:04 MST") }

// Day is the calendar day of a moment in Moscow as stored: 2026-12-05.
func Day(t time.Time) string { return t.In(Moscow).Format(time.DateOnly) }

// Today is the current day in Moscow as stored: the default date of a registration or an
// acknowledgement.
func Today() string { return Day(time.Now()) }

// NumericDay turns a stored YYYY-MM-DD date into its ГОСТ digital form; anything else is
// returned as it is.
func NumericDay(d string) string {
	if t, err := time.Parse(time.DateOnly, d); err == nil {
		return NumericDate(t)
	}
	return d
}

// VerbalDate gives «22 сентября 2022 г.» with no leading zero and non-breaking joins.
func VerbalDate(t time.Time) string {
	return itoa(t.Day()) + NBSP + genitiveMonths[t.Month()-1] + NBSP + itoa(t.Year()) + NBSP + "г."
}

// GenitiveMonth returns the month name as it stands after a day number («августа»).
func GenitiveMonth(m time.Month) string { return genitiveMonths[m-1] }

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

var (
	// «А.Н. Зубова», «А. Н. Зубова», «И.Г. Гусева» — initials before a surname.
	initialsBefore = regexp.MustCompile(`(\p{Lu}\.)\s?(\p{Lu}\.)?[ ]+(\p{Lu}\p{Ll}+)`)
	// «Мартынову Л.Е.», «Коротеева Т.Н.» — a surname before initials.
	initialsAfter = regexp.MustCompile(`(\p{Lu}\p{Ll}+)[ ]+(\p{Lu}\.)[ ]?(\p{Lu}\.)?`)
	numberSign    = regexp.MustCompile(`№[ ]+`)
	// «5 000 руб.», «20 %», «10 дней», «2021 г.»: a number and its unit. A unit without a
	// full stop must end there («3 минуты» is no «3 мин»); the character after it is part
	// of the match, so joinNumber replaces only the spaces after the digit.
	numberUnit = regexp.MustCompile(`\d[ ]+(?:[%‰]|(?:г|гг|ч|мин|мес|руб|коп|тыс|чел|шт|ед)\.|` +
		`(?:млн|млрд|км|см|мм|кг|га|мин|год|года|году|лет|дней|дня|день|час|часа|часов|минут|` +
		`месяц|месяца|месяцев|рублей|рубля|рубль|человек|балл|балла|баллов|м)(?:[^\p{L}]|$))`)
	// «5 000 000»: groups of three digits after one to three.
	digitGroup = regexp.MustCompile(`(?:^|[^\d.,])\d{1,3}(?:[ ]\d{3})+(?:[^\d]|$)`)
	// «24 августа 2021 г.» written with ordinary spaces.
	verbalDate = regexp.MustCompile(`(\d{1,2})[ ]+(января|февраля|марта|апреля|мая|июня|июля|августа|сентября|октября|ноября|декабря)[ ]+(\d{4})(?:[ ]+(г\.))?`)
)

// Typeset applies the non-breaking joins and quotes to a piece of running text.
// It never adds or removes words, so the text stays what the clerk wrote.
func Typeset(s string) string {
	if s == "" {
		return s
	}
	s = Quotes(s)
	// The regular expressions backtrack over the whole text; most texts give them nothing
	// to do, and the cheap checks below say so first. This runs for every paragraph of
	// every order, at intake (the search text) and in every render.
	if strings.Contains(s, "№") {
		s = numberSign.ReplaceAllString(s, "№"+NBSP)
	}
	if strings.ContainsAny(s, "0123456789") {
		s = digitGroup.ReplaceAllStringFunc(s, joinDigitGroups)
		s = numberUnit.ReplaceAllStringFunc(s, joinUnit)
	}
	if hasMonth(s) {
		s = verbalDate.ReplaceAllStringFunc(s, func(m string) string {
			return strings.Join(strings.Fields(m), NBSP)
		})
	}
	if hasInitial(s) {
		s = initialsBefore.ReplaceAllStringFunc(s, joinInitials)
		s = initialsAfter.ReplaceAllStringFunc(s, joinInitials)
	}
	return s
}

// hasMonth reports whether s names a month in the genitive, as a verbal date does.
func hasMonth(s string) bool {
	for _, m := range genitiveMonths {
		if strings.Contains(s, m) {
			return true
		}
	}
	return false
}

// hasInitial reports whether s has a capital letter followed by a full stop («А.»), which
// both initials patterns need.
func hasInitial(s string) bool {
	prevUpper := false
	for _, r := range s {
		if r == '.' && prevUpper {
			return true
		}
		prevUpper = unicode.IsUpper(r)
	}
	return false
}

// joinUnit turns the spaces between a number and its unit into no-break ones, not the
// space the match may end with.
func joinUnit(m string) string {
	i := 1 // past the digit
	j := i
	for j < len(m) && m[j] == ' ' {
		j++
	}
	return m[:i] + strings.Repeat(NBSP, j-i) + m[j:]
}

// joinDigitGroups turns the spaces between digits into no-break ones; the match also
// holds the characters around the number, which keep theirs.
func joinDigitGroups(m string) string {
	b := []byte(m)
	for i := 1; i+1 < len(b); i++ {
		if b[i] == ' ' && isDigit(b[i-1]) && isDigit(b[i+1]) {
			return m[:i] + NBSP + joinDigitGroups(m[i+1:])
		}
	}
	return m
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// joinInitials binds initials to the surname but keeps «А.Н.» as written (with or
// without a space between the letters), turning only the spaces into no-break ones.
func joinInitials(m string) string { return strings.ReplaceAll(m, " ", NBSP) }

// Quotes turns straight double quotes into «ёлочки», with „лапки“ inside them, the way a
// Russian document is typed. Text that already uses «» is left alone.
func Quotes(s string) string {
	if !strings.Contains(s, `"`) {
		return s
	}
	var b strings.Builder
	depth := 0
	runes := []rune(s)
	for i, r := range runes {
		if r != '"' {
			b.WriteRune(r)
			continue
		}
		opening := i == 0 || isOpenContext(runes[i-1])
		switch {
		case opening && depth == 0:
			b.WriteRune('«')
			depth = 1
		case opening && depth >= 1:
			b.WriteRune('„')
			depth = 2
		case depth == 2:
			b.WriteRune('“')
			depth = 1
		default:
			b.WriteRune('»')
			depth = 0
		}
	}
	return b.String()
}

func isOpenContext(prev rune) bool {
	switch prev {
	case ' ', '\u00a0', '(', '[', '«', '„', '-', '—', '–', '/':
		return true
	}
	return false
}

// Spaced letter-spaces a word the way typists emphasise it: «П Р И К А З Ы В А Ю».
func Spaced(s string) string {
	r := []rune(s)
	parts := make([]string, len(r))
	for i, c := range r {
		parts[i] = string(c)
	}
	return strings.Join(parts, " ")
}
