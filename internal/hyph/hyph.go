// Package hyph finds where a Russian word may be hyphenated: Knuth–Liang patterns
// (ruhyphal, as Debian's hyphen-ru and LibreOffice ship them; see NOTICE) plus the rules
// of an official document that patterns do not know. It decides only what is a word:
// tokens carrying digits, Latin letters, «@», «/» or «:» (e-mail addresses, URLs,
// «37-о»), no-break joins beyond their first word and joins with initials («И.В. Петров»,
// «№ 37-о», «24 августа 2021 г.», «5 000 рублей»), abbreviations in capitals («МБОУ»)
// and compound parts shorter than four letters are never hyphenated.
package hyph

import (
	"bufio"
	"bytes"
	_ "embed"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

//go:embed hyph_ru_RU.dic
var patternFile []byte

// The least letters left on a line and carried to the next: two, as in Russian
// typesetting (TeX's \lefthyphenmin and \righthyphenmin for Russian, LibreOffice's default).
const (
	leftMin  = 2
	rightMin = 2
)

// Alphabet of the trie: а…я are 0…31 (ё is folded into е), the word boundary «.» is 32.
const (
	alpha = 33
	dot   = 32
)

// trie holds the patterns; node 0 is the root. Each node has a dense row of children
// (0: none) and, if a pattern ends there, its values in vals[at:at+n].
type trie struct {
	next []int32 // node*alpha + letter → child node
	at   []int32 // node → offset in vals, -1 if no pattern ends at the node
	n    []uint8 // node → number of values
	vals []uint8
	// exceptions are whole words with their break positions (in runes), from the
	// \hyphenation{…} list at the end of the file.
	exceptions map[string][]int
}

var patterns = sync.OnceValue(func() *trie { return parse(patternFile) })

func letterIndex(r rune) int {
	switch {
	case r >= 'а' && r <= 'я':
		return int(r - 'а')
	case r == 'ё':
		return int('е' - 'а')
	case r == '.':
		return dot
	}
	return -1
}

func parse(data []byte) *trie {
	t := &trie{next: make([]int32, alpha, 16000*alpha), at: []int32{-1}, n: []uint8{0}, exceptions: map[string][]int{}}
	text, err := charmap.KOI8R.NewDecoder().Bytes(data)
	if err != nil {
		panic("hyph: patterns are not KOI8-R: " + err.Error()) // embedded data, checked by tests
	}
	sc := bufio.NewScanner(bytes.NewReader(text))
	first, inExceptions := true, false
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if first { // the character set line
			first = false
			continue
		}
		switch {
		case line == "" || strings.HasPrefix(line, "%") || line == "}":
			continue
		case strings.HasPrefix(line, `\hyphenation{`):
			inExceptions = true
			continue
		}
		if inExceptions {
			t.addException(line)
		} else {
			t.addPattern(line)
		}
	}
	return t
}

func (t *trie) addPattern(p string) {
	node := int32(0)
	vals := make([]uint8, 1, len(p))
	for _, r := range p {
		if r >= '0' && r <= '9' {
			vals[len(vals)-1] = uint8(r - '0')
			continue
		}
		li := letterIndex(r)
		if li < 0 {
			return // a pattern outside the alphabet cannot match a Russian word
		}
		child := t.next[int(node)*alpha+li]
		if child == 0 {
			child = int32(len(t.at))
			t.next[int(node)*alpha+li] = child
			t.next = append(t.next, make([]int32, alpha)...)
			t.at = append(t.at, -1)
			t.n = append(t.n, 0)
		}
		node = child
		vals = append(vals, 0)
	}
	t.at[node] = int32(len(t.vals))
	t.n[node] = uint8(len(vals))
	t.vals = append(t.vals, vals...)
}

func (t *trie) addException(w string) {
	var word strings.Builder
	var points []int
	n := 0
	for _, r := range w {
		if r == '-' {
			points = append(points, n)
			continue
		}
		word.WriteRune(r)
		n++
	}
	t.exceptions[word.String()] = points
}

// maxWord bounds the words looked up; longer «words» are not Russian words.
const maxWord = 64

// letters computes the break positions (in runes, 0 < p < len) of a lower-case word of
// Cyrillic letters.
func (t *trie) letters(w []rune, dst []int) []int {
	if ex, ok := t.exceptions[string(w)]; ok {
		for _, p := range ex {
			if p >= leftMin && p <= len(w)-rightMin {
				dst = append(dst, p)
			}
		}
		return dst
	}
	var dotted [maxWord + 2]int8
	var vals [maxWord + 3]uint8
	n := len(w) + 2
	dotted[0], dotted[n-1] = dot, dot
	for i, r := range w {
		dotted[i+1] = int8(letterIndex(r))
	}
	for i := range n {
		node := int32(0)
		for j := i; j < n; j++ {
			node = t.next[int(node)*alpha+int(dotted[j])]
			if node == 0 {
				break
			}
			if at := t.at[node]; at >= 0 {
				for k, v := range t.vals[at : at+int32(t.n[node])] {
					if v > vals[i+k] {
						vals[i+k] = v
					}
				}
			}
		}
	}
	// A break before w[p] is the value before dotted[p+1].
	for p := leftMin; p <= len(w)-rightMin; p++ {
		if vals[p+1]%2 == 1 {
			dst = append(dst, p)
		}
	}
	return dst
}

// Points appends to dst the byte offsets in token where a hyphen may be inserted, in
// increasing order. token is what stands between two spaces: leading and trailing
// punctuation («, (, », ., ,) is skipped; a compound («научно-методический») is
// hyphenated part by part, never next to its own hyphen.
func Points(token string, dst []int) []int {
	if v, ok := cache.Load(token); ok {
		return append(dst, v.([]int)...)
	}
	n := len(dst)
	dst = points(token, dst)
	if cached.Load() < cacheMax {
		cached.Add(1)
		cache.Store(token, slices.Clone(dst[n:len(dst):len(dst)]))
	}
	return dst
}

// The words of orders repeat from document to document, and a trie walk costs about a
// microsecond a word, so decisions are kept: up to cacheMax tokens (a few MB), after which
// new tokens are computed every time.
const cacheMax = 200_000

var (
	cache  sync.Map // token → []int
	cached atomic.Int64
)

func points(token string, dst []int) []int {
	if head, rest, joined := strings.Cut(token, "\u00a0"); joined {
		// A no-break join: only its first word may be hyphenated, and only when the join
		// binds a word to what follows it («(приложение 2)»). Names with initials
		// («Данильченко В.В.», «А.Н. Зубова»), «№ 37-о», dates and numbers with units begin
		// with something that is not a word or carry initials, and stay whole.
		if hasInitial(rest) {
			return dst
		}
		token = head
	}
	start, end := 0, len(token)
	for start < end {
		r, size := utf8.DecodeRuneInString(token[start:])
		if unicode.IsLetter(r) {
			break
		}
		if !leadingPunct(r) {
			return dst
		}
		start += size
	}
	for end > start {
		r, size := utf8.DecodeLastRuneInString(token[:end])
		if unicode.IsLetter(r) {
			break
		}
		if !trailingPunct(r) {
			return dst
		}
		end -= size
	}
	core := token[start:end]
	if len(core) < 2*(leftMin+rightMin) { // four Cyrillic letters are eight bytes
		return dst
	}
	// Every rune must be a Cyrillic letter or a compound's hyphen; anything else marks
	// something that is not a plain word.
	lower, upper := 0, 0
	for _, r := range core {
		switch {
		case r == '-':
		case letterIndex(unicode.ToLower(r)) >= 0 && r != '.':
			if unicode.IsUpper(r) {
				upper++
			} else {
				lower++
			}
		default:
			return dst
		}
	}
	if upper > 1 && lower == 0 || upper > 1 && upper >= lower {
		return dst // «МБОУ», «ЦИМС», «ПРИКАЗЫВАЮ»: abbreviations and headings in capitals
	}
	t := patterns()
	var buf [maxWord]rune
	off := start
	for part := range strings.SplitSeq(core, "-") {
		w := buf[:0]
		for _, r := range part {
			if len(w) == maxWord {
				w = nil
				break
			}
			w = append(w, unicode.ToLower(r))
		}
		if len(w) >= leftMin+rightMin {
			var pts [maxWord]int
			// Positions come in runes; Cyrillic letters are two bytes in UTF-8.
			for _, p := range t.letters(w, pts[:0]) {
				dst = append(dst, off+2*p)
			}
		}
		off += len(part) + 1
	}
	return dst
}

// hasInitial reports whether s holds an initial: a capital letter and a full stop.
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

func leadingPunct(r rune) bool {
	switch r {
	case '«', '„', '“', '"', '(', '[', '\'':
		return true
	}
	return false
}

func trailingPunct(r rune) bool {
	switch r {
	case '»', '“', '”', '"', ')', ']', '.', ',', ';', ':', '!', '?', '\'':
		return true
	}
	return false
}

// Hyphenate returns token with «-» at every point where it may be broken, for tests and
// for reading the patterns' decisions.
func Hyphenate(token string) string {
	pts := Points(token, nil)
	if len(pts) == 0 {
		return token
	}
	var b strings.Builder
	prev := 0
	for _, p := range pts {
		b.WriteString(token[prev:p])
		b.WriteByte('-')
		prev = p
	}
	b.WriteString(token[prev:])
	return b.String()
}
