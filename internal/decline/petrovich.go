package decline

import (
	_ "embed"
	"encoding/json"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The Petrovich rule set (petrovich/README.md): for each kind of name, exceptions matched
// against the whole word and suffix rules matched against its end, tried in order; a rule
// says, for the five oblique cases, how many letters to drop («-» each) and what to add.
//
//go:embed petrovich/rules.json
var rulesJSON []byte

type rule struct {
	Gender string   `json:"gender"`
	Test   []string `json:"test"`
	Mods   []string `json:"mods"`
	Tags   []string `json:"tags"`
}

type ruleSet struct {
	Exceptions []rule `json:"exceptions"`
	Suffixes   []rule `json:"suffixes"`
}

type nameKind int

const (
	lastName nameKind = iota
	firstName
	middleName
)

var rules = func() [3]ruleSet {
	var raw struct {
		Last   ruleSet `json:"lastname"`
		First  ruleSet `json:"firstname"`
		Middle ruleSet `json:"middlename"`
	}
	if err := json.Unmarshal(rulesJSON, &raw); err != nil {
		panic("decline: petrovich rules: " + err.Error())
	}
	return [3]ruleSet{raw.Last, raw.First, raw.Middle}
}()

// Gender of a person as the rules know it; Unknown matches only rules for both.
type Gender int

const (
	Unknown Gender = iota
	Male
	Female
)

func (g Gender) matches(s string) bool {
	switch s {
	case "androgynous":
		return true
	case "male":
		return g == Male
	case "female":
		return g == Female
	}
	return false
}

// inflect declines one name. A hyphenated name declines part by part; the first part of a
// hyphenated last name may match the rules tagged first_word («Бонч-Бруевич»: Бонч stays).
// The JS library of the same version never applies tagged rules (its tag test is inverted);
// this follows the rule set's meaning, as petrovich-ruby does.
func inflect(g Gender, name string, c Case, kind nameKind) string {
	if c == Nominative || name == "" {
		return name
	}
	parts := strings.Split(name, "-")
	for i, p := range parts {
		firstWord := i == 0 && len(parts) > 1
		if r := findRule(g, p, &rules[kind], firstWord); r != nil {
			parts[i] = applyMod(p, r.Mods[c-1])
		}
	}
	return strings.Join(parts, "-")
}

func findRule(g Gender, name string, set *ruleSet, firstWord bool) *rule {
	lower := strings.ToLower(name)
	if r := matchRule(g, lower, set.Exceptions, true, firstWord); r != nil {
		return r
	}
	return matchRule(g, lower, set.Suffixes, false, firstWord)
}

func matchRule(g Gender, lower string, rs []rule, whole, firstWord bool) *rule {
	for i := range rs {
		r := &rs[i]
		if len(r.Tags) > 0 && !(firstWord && onlyFirstWord(r.Tags)) {
			continue
		}
		if !g.matches(r.Gender) {
			continue
		}
		for _, t := range r.Test {
			if whole && lower == t || !whole && strings.HasSuffix(lower, t) {
				return r
			}
		}
	}
	return nil
}

func onlyFirstWord(tags []string) bool {
	for _, t := range tags {
		if t != "first_word" {
			return false
		}
	}
	return true
}

// applyMod drops a letter for every «-» and appends the rest; «.» keeps the word. The added
// letters follow the word's case, so «ПЕТРОВ» becomes «ПЕТРОВУ».
func applyMod(word, mod string) string {
	upper := isUpperWord(word)
	for _, ch := range mod {
		switch ch {
		case '.':
		case '-':
			_, size := utf8.DecodeLastRuneInString(word)
			word = word[:len(word)-size]
		default:
			if upper {
				ch = unicode.ToUpper(ch)
			}
			word += string(ch)
		}
	}
	return word
}

func isUpperWord(s string) bool {
	letters := 0
	for _, r := range s {
		if unicode.IsLetter(r) {
			if !unicode.IsUpper(r) {
				return false
			}
			letters++
		}
	}
	return letters > 1
}
