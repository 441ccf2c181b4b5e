package driver

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/kljensen/snowball/english"
	"github.com/kljensen/snowball/russian"
)

// Full-text search is done the same way on both databases, so that one table of queries gives
// the same hits on both:
//
//   - Go splits the text into words (runs of letters and digits), lower-cased, ё folded to е.
//     PostgreSQL indexes those words joined by spaces with to_tsvector('russian', …), so its
//     own parser never sees punctuation it would read differently ("COVID-19" → "-19").
//     SQLite's FTS5 indexes their Snowball stems, made here: Russian words with the Russian
//     stemmer, Latin words with the English one, as the 'russian' configuration does.
//   - Stop words are dropped; the lists are PostgreSQL's (the Snowball lists, identical to
//     those of github.com/kljensen/snowball).
//   - Snowball does not join forms with a fleeting vowel: площадка → "площадк" but
//     площадок → "площадок". So each query word also matches the stems with that vowel
//     inserted or removed (Variants); PostgreSQL gets those lexemes beside
//     plainto_tsquery('russian', word).

// AnalyzerVersion names the way SQLite index terms are made. A driver re-indexes documents
// made by another version, so a change here (stemmer, stop words) never leaves stale terms.
const AnalyzerVersion = 1

// MaxQueryTerms caps the words of a full-text query; more are ignored.
const MaxQueryTerms = 16

// Words splits s into lower-case words with ё folded to е: the runs of letters and digits of
// SearchText(s). One pass over s, without the folded copy of the whole text: this runs over
// every document the registry stores.
func Words(s string) []string {
	var words []string
	var w []byte
	for _, r := range s {
		// Fast paths for the two alphabets of our documents; unicode's tables for the rest.
		word := true
		switch {
		case r < utf8.RuneSelf:
			if 'A' <= r && r <= 'Z' {
				r += 'a' - 'A'
			}
			word = 'a' <= r && r <= 'z' || '0' <= r && r <= '9'
		case 'а' <= r && r <= 'я':
		case 'А' <= r && r <= 'Я':
			r += 'а' - 'А'
		case r == 'ё' || r == 'Ё':
			r = 'е'
		default:
			if r = unicode.ToLower(r); r == 'ё' {
				r = 'е'
			}
			word = unicode.IsLetter(r) || unicode.IsDigit(r)
		}
		if word {
			w = utf8.AppendRune(w, r)
		} else if len(w) > 0 {
			words = append(words, string(w))
			w = w[:0]
		}
	}
	if len(w) > 0 {
		words = append(words, string(w))
	}
	return words
}

// IndexDoc is the text PostgreSQL indexes for an order: its words, separated by spaces.
func IndexDoc(title, text string) string {
	return strings.Join(Words(title+"\n"+text), " ")
}

// IndexStems are the terms SQLite indexes for an order, separated by spaces.
func IndexStems(title, text string) string {
	words := Words(title + "\n" + text)
	stems := words[:0]
	for _, w := range words {
		if !isStopWord(w) {
			stems = append(stems, stem(w))
		}
	}
	return strings.Join(stems, " ")
}

// Term is one word of a full-text query and the index terms that match it.
type Term struct {
	Word  string   // for plainto_tsquery
	Stems []string // the Go stem and its variants
	// Prefix, if set, also matches the index terms that begin with it: a word typed in part
	// («стажир» finds «стажировочных»). It is the word itself, which the stems of its longer
	// forms begin with; words shorter than MinPrefix match whole only, as «пр» would
	// match half the dictionary.
	Prefix string
}

// MinPrefix is the length in letters from which a query word also matches as a beginning.
const MinPrefix = 4

// QueryTerms are the terms of a full-text query; all of them must match. None means the
// query has no searchable word (blank, or stop words only).
func QueryTerms(q string) []Term {
	var terms []Term
	seen := make(map[string]bool)
	for _, w := range Words(q) {
		if isStopWord(w) || seen[w] {
			continue
		}
		seen[w] = true
		s := stem(w)
		t := Term{Word: w, Stems: append([]string{s}, Variants(s)...)}
		if utf8.RuneCountInString(w) >= MinPrefix {
			t.Prefix = w
		}
		terms = append(terms, t)
		if len(terms) == MaxQueryTerms {
			break
		}
	}
	return terms
}

func isStopWord(w string) bool {
	return russian.IsStopWord(w) || english.IsStopWord(w)
}

// stems remembers the stems of words seen. Snowball stemming was a third of the CPU time of
// creating an order, while documents, and batches above all, use the same words over and over.
// It is bounded: when full it is emptied and refills with the words in use.
var stems = struct {
	sync.RWMutex
	m map[string]string
}{m: make(map[string]string)}

// maxStems bounds the memo; a Russian document uses a few thousand distinct words.
const maxStems = 1 << 16

// stem stems words of one alphabet; words mixing digits or alphabets are kept whole, as
// PostgreSQL's parser keeps them (numword → simple dictionary).
func stem(w string) string {
	stems.RLock()
	s, ok := stems.m[w]
	stems.RUnlock()
	if ok {
		return s
	}
	s = stemWord(w)
	stems.Lock()
	if len(stems.m) >= maxStems {
		clear(stems.m)
	}
	// strings.Clone: w may be a substring of a whole document, which the memo must not keep.
	stems.m[strings.Clone(w)] = s
	stems.Unlock()
	return s
}

func stemWord(w string) string {
	cyr, lat := true, true
	for _, r := range w {
		cyr = cyr && unicode.Is(unicode.Cyrillic, r)
		lat = lat && r < unicode.MaxASCII && unicode.IsLetter(r)
	}
	switch {
	case cyr:
		return russian.Stem(w, false)
	case lat:
		return english.Stem(w, false)
	}
	return w
}

const consonants = "бвгджзклмнпрстфхцчшщ"

func isConsonant(r rune) bool { return strings.ContainsRune(consonants, r) }

// Variants are the stems a Russian stem may take with a fleeting vowel (беглая гласная):
// "площадк" (площадка) ↔ "площадок" (площадок), "девочк" ↔ "девочек", "копейк" ↔ "копеек",
// "отц" ↔ "отец". Only the end of the stem is considered, where the vowel alternates.
// Variants that are no Russian word cost nothing: they are in no index.
func Variants(stem string) []string {
	r := []rune(stem)
	n := len(r)
	if n < 3 {
		return nil
	}
	last, prev := r[n-1], r[n-2]
	if !isConsonant(last) {
		return nil
	}
	head := string(r[:n-2])
	var out []string
	switch {
	case isConsonant(prev): // площадк → площадок, площадек
		base := string(r[:n-1])
		out = append(out, base+"о"+string(last), base+"е"+string(last))
	case prev == 'й' || prev == 'ь': // копейк → копеек, деньг → денег
		out = append(out, head+"е"+string(last))
	case (prev == 'о' || prev == 'е') && n >= 4:
		before := r[n-3]
		switch {
		case isConsonant(before): // площадок → площадк, денег → деньг
			out = append(out, head+string(last))
			if prev == 'е' {
				out = append(out, head+"ь"+string(last))
			}
		case prev == 'е' && strings.ContainsRune("аеиоуыэюя", before): // копеек → копейк
			out = append(out, head+"й"+string(last))
		}
	}
	return out
}
