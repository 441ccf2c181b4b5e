package batch

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"orders/internal/order"
)

// readJSON reads an array of objects, or {"rows": [...]}. Values are strings; numbers and
// booleans are taken as written and null as an empty cell, because JSON produced by other
// programs rarely quotes every number. Columns are the keys in order of first appearance.
func readJSON(data []byte) (*Table, error) {
	data = bytes.TrimPrefix(data, bomUTF8)
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("%w: JSON не в кодировке UTF-8", ErrFormat)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var top any
	if err := dec.Decode(&top); err != nil {
		return nil, fmt.Errorf("%w: JSON: %v", ErrFormat, err)
	}
	if rest := order.Trailing(data, dec); rest != "" {
		return nil, fmt.Errorf("%w: JSON: после первого значения есть ещё: %q", ErrFormat, rest)
	}
	// Decoding twice (generic, then raw) keeps the error messages simple; the raw pass is
	// needed because a Go map forgets the order of keys, which becomes the column order.
	var raws []json.RawMessage
	switch top.(type) {
	case []any:
		if err := json.Unmarshal(data, &raws); err != nil {
			return nil, fmt.Errorf("%w: JSON: %v", ErrFormat, err)
		}
	case map[string]any:
		var wrap map[string]json.RawMessage
		if err := json.Unmarshal(data, &wrap); err != nil {
			return nil, fmt.Errorf("%w: JSON: %v", ErrFormat, err)
		}
		for k := range wrap {
			if k != "rows" {
				return nil, fmt.Errorf("%w: JSON: неизвестное поле %q; ожидается {\"rows\": [...]}", ErrFormat, k)
			}
		}
		if err := json.Unmarshal(wrap["rows"], &raws); err != nil || wrap["rows"] == nil {
			return nil, fmt.Errorf("%w: JSON: поле rows должно быть массивом объектов", ErrFormat)
		}
	default:
		return nil, fmt.Errorf("%w: JSON: ожидается массив объектов или {\"rows\": [...]}", ErrFormat)
	}

	t := &Table{Format: "json"}
	canon := map[string]string{} // normName → the column's name as first written
	for i, raw := range raws {
		line := i + 1
		if len(t.Rows) >= MaxRows {
			return nil, fmt.Errorf("%w: больше %d строк данных (объект %d и дальше); разделите файл", ErrTooManyRows, MaxRows, line)
		}
		keys, vals, err := objectInOrder(raw)
		if err != nil {
			t.Problems = append(t.Problems, RowProblem{Line: line, Message: err.Error()})
			continue
		}
		row := Row{Line: line, Cells: make(map[string]string, len(keys))}
		mine := map[string]string{} // normName → key as written in this object
		for j, k := range keys {
			n := normName(k)
			if prev, ok := mine[n]; ok {
				return nil, fmt.Errorf("%w: объект %d: поля «%s» и «%s» называются одинаково (регистр и ё/е не различаются)", ErrFormat, line, prev, k)
			}
			mine[n] = k
			col, ok := canon[n]
			if !ok {
				if len(t.Columns) >= MaxColumns {
					return nil, fmt.Errorf("%w: больше %d разных полей", ErrFormat, MaxColumns)
				}
				col = k
				canon[n] = k
				t.Columns = append(t.Columns, k)
			}
			switch v := vals[j].(type) {
			case string:
				row.Cells[col] = strings.TrimSpace(v)
			case json.Number:
				row.Cells[col] = v.String()
			case bool:
				row.Cells[col] = fmt.Sprint(v)
			case nil:
				row.Cells[col] = ""
			default:
				t.Problems = append(t.Problems, RowProblem{Line: line, Column: col, Message: "значение должно быть строкой, а не объектом или массивом"})
			}
		}
		// A row with a bad value stays, so its other cells are checked too; its problem
		// keeps it from being issued.
		t.Rows = append(t.Rows, row)
	}
	return t, nil
}

// objectInOrder returns an object's keys in written order with their generic values.
func objectInOrder(raw json.RawMessage) ([]string, []any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, nil, fmt.Errorf("ожидается объект с полями-столбцами")
	}
	var keys []string
	var vals []any
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, err
		}
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, nil, err
		}
		keys = append(keys, tok.(string))
		vals = append(vals, v)
	}
	return keys, vals, nil
}
