package order

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
)

// Unregistered clears what only registration gives an order, its number and date, so that a
// draft accepted by the service prints «ПРОЕКТ» and blanks until it is registered (an order
// must never look registered when the registry says it is not). It returns a note for each
// value it dropped, for the answer to the client. The offline typesetting tool does not call
// it: there a file's number and date are what the clerk wants printed.
func (d *Draft) Unregistered() Problems {
	var notes Problems
	if d.Number != "" {
		notes = append(notes, Problem{Path: "number", Message: fmt.Sprintf(
			"номер «%s» не сохранён: номер присваивается при регистрации в журнале", d.Number)})
	}
	if d.Date != "" {
		notes = append(notes, Problem{Path: "date", Message: fmt.Sprintf(
			"дата %s не сохранена: дата приказа — дата его регистрации", d.Date)})
	}
	d.Number, d.Date = "", ""
	return notes
}

// fieldRe finds what looks like an unfilled template field in a JSON string: «{подписант}»,
// «{учебный_год}», «{руководитель:дат}», «{должность?}» (a brace followed by a space is text). Object braces in JSON are followed
// by a quote or a brace, so the pattern cannot match them.
var fieldRe = regexp.MustCompile(`\{[\p{L}_][\p{L}\p{N}_ .:-]{0,99}\??\}`)

// Unfilled returns a problem for every string of a draft, as json.Marshal writes it (letters
// unescaped: the pre-check reads the bytes), that still holds a
// template field: a template sent as if it were an order would otherwise be printed with
// «{подписант}» in it. appendix_ref is a pattern whose {n} the layout fills, and is left out.
func Unfilled(draftJSON []byte) Problems {
	if !fieldRe.Match(draftJSON) {
		return nil // the usual case costs one scan
	}
	var tree any
	if json.Unmarshal(draftJSON, &tree) != nil {
		return nil
	}
	var ps Problems
	walkStrings(tree, "", func(path, s string) {
		if path == "appendix_ref" {
			return
		}
		for _, f := range fieldRe.FindAllString(s, -1) {
			ps = append(ps, Problem{Path: path, Message: fmt.Sprintf(
				"незаполненное поле шаблона %s: подставьте значение", f)})
		}
	})
	return ps
}

// walkStrings calls f with the JSON path of every string in tree, in document order.
func walkStrings(tree any, path string, f func(path, s string)) {
	switch v := tree.(type) {
	case string:
		f(path, v)
	case []any:
		for i, x := range v {
			walkStrings(x, path+"["+strconv.Itoa(i)+"]", f)
		}
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys) // maps have no order; problems come out the same every time
		for _, k := range keys {
			p := k
			if path != "" {
				p = path + "." + k
			}
			walkStrings(v[k], p, f)
		}
	}
}
