package batch

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

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
	return 0, fmt.Errorf("unknown batch mode %q: per_row or one_order", s)
}

// Placeholder syntax inside string values of a template:
//
//	{name}   the column or constant «name» (compared by normName)
//	{name?}  the same, allowed to be empty where it is part of a longer text
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
	cell  int  // OneOrder: its index in the row
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
				if name != "" {
					flush()
					segs = append(segs, segment{ph: &placeholder{name: name, key: normName(name), optional: opt, col: -1}})
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
		return nil, order.Problems{{Message: "template: invalid UTF-8"}}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var raw any
	if err := dec.Decode(&raw); err != nil {
		return nil, order.Problems{{Message: "template: malformed JSON: " + err.Error()}}
	}
	if dec.More() {
		return nil, order.Problems{{Message: "template: malformed JSON: more than one value"}}
	}
	if _, ok := raw.(map[string]any); !ok {
		return nil, order.Problems{{Message: "template: must be a JSON object (a draft with {fields})"}}
	}
	canon, err := json.Marshal(raw)
	if err != nil {
		return nil, order.Problems{{Message: "template: " + err.Error()}}
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
		return order.Problems{{Message: "template: one-order mode needs a table in an appendix whose rows are a single row of {fields}"}}
	case 1:
	default:
		ps := order.Problems{}
		for _, f := range tables {
			ps = append(ps, order.Problem{Path: f.path, Message: "one-order mode: more than one table has a single row of {fields}; keep one"})
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

// fill builds a draft's generic JSON from the compiled tree. value gives a slot's text;
// rows gives the rows of the OneOrder table.
func fill(v any, value func(*slot) string, rows func(cells []any) []any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = fill(e, value, rows)
		}
		return m
	case []any:
		a := make([]any, len(x))
		for i, e := range x {
			a[i] = fill(e, value, rows)
		}
		return a
	case *slot:
		return value(x)
	case *rowsNode:
		return rows(x.cells)
	}
	return v
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
