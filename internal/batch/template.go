package batch

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"orders/internal/decline"
	"orders/internal/order"
)

// Mode says how rows become orders.
type Mode int

const (
	// PerRow issues one order per row; every {field} may come from the row or a constant.
	PerRow Mode = iota
	// OneOrder issues one order whose appendix table has a row per data row: the template's
	// table has a single row of {fields}, repeated; the rest of the template takes constants.
	OneOrder
)

func (m Mode) String() string {
	if m == OneOrder {
		return "one_order"
	}
	return "per_row"
}

// ParseMode reads the names String gives.
func ParseMode(s string) (Mode, error) {
	switch s {
	case "per_row", "":
		return PerRow, nil
	case "one_order":
		return OneOrder, nil
	}
	return 0, fmt.Errorf("неизвестный режим пакета «%s»: per_row (приказ на строку) или one_order (один приказ с таблицей)", s)
}

// Placeholder syntax inside string values of a template:
//
//	{name}   the column or constant «name» (compared by normName)
//	{name?}  the same, allowed to be empty where it is part of a longer text
//	{name:дат}  the value put into a case (им, род, дат, вин, твор, пред): a person
//	         («Мартынова Л.Е.» → «Мартыновой Л.Е.»), a position, or both (internal/decline)
//	{{ }}    literal braces
//
// A value that is just «{name}» is required when the draft field is (order.Validate says
// so). A placeholder inside a longer text is required unless marked «?»: an empty cell
// would leave a hole in a sentence of an official order («  организовать …»).
// appendix_ref is left alone: its {n} belongs to the layout.

// segment is a piece of a template string: literal text, or a placeholder.
type segment struct {
	lit string
	ph  *placeholder
}

type placeholder struct {
	name     string // as written, for messages
	key      string // normName(name)
	optional bool
	// gcase is the case the value is put into; badCase is what stood after the colon when
	// it names no case (reported with the template's problems).
	gcase   decline.Case
	badCase string
	// Resolution: col is an index into Table.Columns, or -1 for a constant.
	col   int
	value string
	pos   int // position of the column in the runner's used list
}

// slot is a template string that has placeholders.
type slot struct {
	path  string
	segs  []segment
	whole bool // the value is one placeholder and nothing else
	date  bool // a draft date field: the cell is converted to YYYY-MM-DD
	inRow bool // OneOrder: a cell of the row template
	// sentence: a text of the order (a clause, the preamble, the control clause, a
	// paragraph) that opens with a field, whose value then starts the sentence with a capital
	// («{ответственный:дат} представить …» → «Заместителю директора …»).
	sentence bool
	cell     int // OneOrder: its index in the row
}

// rowsNode stands for the rows of the OneOrder table in the compiled tree.
type rowsNode struct{ cells []any }

type template struct {
	mode      Mode
	tree      any
	slots     []*slot
	canon     []byte // canonical JSON of the template: sorted keys, no spaces
	tablePath string // OneOrder: path of the table whose rows come from the data
	rows      *rowsNode
}

const maxPlaceholderLen = 100

// sentencePath matches the texts of a draft that are sentences of the order.
var sentencePath = regexp.MustCompile(`(^|\.)(text|control|paragraph)$|^preamble\[\d+\]$`)

// parseSegments splits s into literals and placeholders; has says there is a placeholder.
func parseSegments(s string) (segs []segment, has bool) {
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			segs = append(segs, segment{lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); {
		switch {
		case strings.HasPrefix(s[i:], "{{"):
			lit.WriteByte('{')
			i += 2
			continue
		case strings.HasPrefix(s[i:], "}}"):
			lit.WriteByte('}')
			i += 2
			continue
		case s[i] == '{':
			if j := strings.IndexAny(s[i+1:], "{}\n"); j > 0 && s[i+1+j] == '}' && j <= maxPlaceholderLen {
				name := strings.TrimSpace(s[i+1 : i+1+j])
				opt := strings.HasSuffix(name, "?")
				name = strings.TrimSpace(strings.TrimSuffix(name, "?"))
				base, caseName, hasCase := strings.Cut(name, ":")
				base = strings.TrimSpace(base)
				if base != "" {
					flush()
					ph := &placeholder{name: name, key: normName(base), optional: opt, col: -1}
					if hasCase {
						if c, ok := decline.ParseCase(caseName); ok {
							ph.gcase = c
						} else {
							ph.badCase = strings.TrimSpace(caseName)
						}
					}
					segs = append(segs, segment{ph: ph})
					has = true
					i += j + 2
					continue
				}
			}
		}
		// A lone brace is text: «{» in an order is rare but not an error.
		_, n := utf8.DecodeRuneInString(s[i:])
		lit.WriteString(s[i : i+n])
		i += n
	}
	flush()
	return segs, has
}

// compileTemplate parses the template and finds its placeholders. Syntax errors come back
// as order.Problems, like those of a draft.
func compileTemplate(data []byte, mode Mode) (*template, error) {
	if !utf8.Valid(data) {
		return nil, order.Problems{{Message: "шаблон: испорченный текст, не в кодировке UTF-8"}}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var raw any
	if err := dec.Decode(&raw); err != nil {
		return nil, order.Problems{{Message: "шаблон: это не JSON: " + err.Error()}}
	}
	if rest := order.Trailing(data, dec); rest != "" {
		return nil, order.Problems{{Message: fmt.Sprintf("шаблон: это не JSON: после конца шаблона лишнее «%s»", rest)}}
	}
	if _, ok := raw.(map[string]any); !ok {
		return nil, order.Problems{{Message: "шаблон: нужен объект JSON — проект приказа с {полями}"}}
	}
	canon, err := json.Marshal(raw)
	if err != nil {
		return nil, order.Problems{{Message: "шаблон: " + err.Error()}}
	}
	tp := &template{mode: mode, canon: canon}
	tp.tree = tp.compile(raw, "")
	if mode == OneOrder {
		if err := tp.findRows(); err != nil {
			return nil, err
		}
	}
	return tp, nil
}

func (tp *template) compile(v any, path string) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		// Sorted so that slots, and so the errors about them, come in a stable order.
		for _, k := range slices.Sorted(maps.Keys(x)) {
			m[k] = tp.compile(x[k], joinPath(path, k))
		}
		return m
	case []any:
		a := make([]any, len(x))
		for i, e := range x {
			a[i] = tp.compile(e, fmt.Sprintf("%s[%d]", path, i))
		}
		return a
	case string:
		if path == "appendix_ref" {
			return x
		}
		segs, has := parseSegments(x)
		if !has {
			if len(segs) == 0 {
				return ""
			}
			return segs[0].lit
		}
		s := &slot{path: path, segs: segs, whole: len(segs) == 1}
		s.date = s.whole && (path == "date" || strings.HasSuffix(path, ".date"))
		s.sentence = !s.whole && segs[0].ph != nil && sentencePath.MatchString(path)
		tp.slots = append(tp.slots, s)
		return s
	}
	return v
}

// findRows locates the table whose single row is made of placeholders and replaces that
// row with a rowsNode.
func (tp *template) findRows() error {
	type found struct {
		path  string
		table map[string]any
	}
	var tables []found
	var walk func(v any, path string)
	walk = func(v any, path string) {
		switch x := v.(type) {
		case map[string]any:
			if strings.HasSuffix(path, ".table") {
				if rows, ok := x["rows"].([]any); ok && len(rows) == 1 {
					if cells, ok := rows[0].([]any); ok && slices.ContainsFunc(cells, func(c any) bool { _, ok := c.(*slot); return ok }) {
						tables = append(tables, found{path, x})
					}
				}
			}
			for _, k := range slices.Sorted(maps.Keys(x)) {
				walk(x[k], joinPath(path, k))
			}
		case []any:
			for i, e := range x {
				walk(e, fmt.Sprintf("%s[%d]", path, i))
			}
		}
	}
	walk(tp.tree, "")
	switch len(tables) {
	case 0:
		return order.Problems{{Message: "шаблон: для режима «один приказ» нужна таблица в приложении, строки которой — одна строка из {полей}"}}
	case 1:
	default:
		ps := order.Problems{}
		for _, f := range tables {
			ps = append(ps, order.Problem{Path: f.path, Message: "режим «один приказ»: строку из {полей} имеют несколько таблиц; оставьте одну"})
		}
		return ps
	}
	f := tables[0]
	cells := f.table["rows"].([]any)[0].([]any)
	for j, c := range cells {
		if s, ok := c.(*slot); ok {
			s.inRow, s.cell = true, j
		}
	}
	tp.tablePath = f.path
	tp.rows = &rowsNode{cells: cells}
	f.table["rows"] = tp.rows
	return nil
}

// chunk is a piece of the template rendered as JSON: literal bytes, a slot whose value is
// escaped in, or the rows of the OneOrder table.
type chunk struct {
	lit  []byte
	slot *slot
	rows *rowsNode
}

// program renders the compiled tree once into JSON chunks, keys sorted as encoding/json
// sorts them, so that filling a row is appending bytes: walking and marshalling the generic
// tree for each of 10,000 rows cost more than validating them.
func program(v any) []chunk {
	var out []chunk
	var buf []byte
	flush := func() {
		if len(buf) > 0 {
			out = append(out, chunk{lit: buf})
			buf = nil
		}
	}
	var emit func(v any)
	emit = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			buf = append(buf, '{')
			for i, k := range slices.Sorted(maps.Keys(x)) {
				if i > 0 {
					buf = append(buf, ',')
				}
				buf = appendJSONString(buf, k)
				buf = append(buf, ':')
				emit(x[k])
			}
			buf = append(buf, '}')
		case []any:
			buf = append(buf, '[')
			for i, e := range x {
				if i > 0 {
					buf = append(buf, ',')
				}
				emit(e)
			}
			buf = append(buf, ']')
		case string:
			buf = appendJSONString(buf, x)
		case json.Number:
			buf = append(buf, x.String()...)
		case bool:
			buf = strconv.AppendBool(buf, x)
		case nil:
			buf = append(buf, "null"...)
		case *slot:
			flush()
			out = append(out, chunk{slot: x})
		case *rowsNode:
			flush()
			out = append(out, chunk{rows: x})
		}
	}
	emit(v)
	flush()
	return out
}

// appendJSONString appends s as a JSON string. It escapes what JSON requires and, like
// encoding/json, U+2028 and U+2029; «<», «>» and «&» stay as they are, being ordinary in
// orders. Invalid UTF-8 cannot reach here (every input was decoded to UTF-8 before).
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == '\u2028' || r == '\u2029' || (r == utf8.RuneError && size == 1) {
			b = append(b, s[start:i]...)
			switch {
			case r == '\u2028':
				b = append(b, `\u2028`...)
			case r == '\u2029':
				b = append(b, `\u2029`...)
			default:
				b = append(b, `\ufffd`...)
			}
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
