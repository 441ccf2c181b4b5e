package order

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"unicode/utf8"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"orders/internal/strictjson"
)

// Problem is one thing wrong with a draft, located by its JSON path
// (`clauses[3].children[0].text`).
type Problem struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

func (p Problem) String() string {
	if p.Path == "" {
		return p.Message
	}
	return p.Path + ": " + p.Message
}

// Messages that callers recognize: MsgEmpty is what a required field says when it is not
// filled; msgMalformed starts the one problem of an input that is not JSON at all, and
// msgBadUTF8 that of one that is not UTF-8 (IsMalformed tells them apart from drafts).
const (
	MsgEmpty     = "не заполнено"
	msgMalformed = "это не JSON: "
	msgBadUTF8   = "испорченный символ: байт %d не в кодировке UTF-8"
)

// Problems is every problem found in a draft; it is the error that Decode and Validate return.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// AsProblems extracts the problem list from an error returned by this package.
func AsProblems(err error) (Problems, bool) {
	var ps Problems
	ok := errors.As(err, &ps)
	return ps, ok
}

func (ps *Problems) add(path, format string, args ...any) {
	*ps = append(*ps, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

// Decode parses a JSON draft strictly and validates it. Unknown fields, wrong types,
// invalid UTF-8 and malformed JSON are all reported as Problems, as many as can be found
// in one pass, so a client can fix everything at once.
func Decode(data []byte) (*Draft, error) {
	d, err := decodeStrict(data)
	if err != nil {
		return nil, err
	}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	return d, nil
}

func decodeStrict(data []byte) (*Draft, error) {
	var d Draft
	if err := decodeInto(data, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// decodeInto decodes data into dst (a pointer to a struct), reporting every unknown field
// and wrong type with its path.
func decodeInto(data []byte, dst any) error {
	if decodeValid(data, dst) {
		return nil
	}
	// dst may hold part of what the fast attempt read.
	reflect.ValueOf(dst).Elem().SetZero()
	return decodeShaped(data, dst)
}

// decodeShaped is the slow path: it finds every problem with its path before decoding.
func decodeShaped(data []byte, dst any) error {
	if !utf8.Valid(data) {
		off := 0
		for off < len(data) {
			r, size := utf8.DecodeRune(data[off:])
			if r == utf8.RuneError && size == 1 {
				break
			}
			off += size
		}
		return Problems{{Message: fmt.Sprintf(msgBadUTF8, off)}}
	}
	var raw any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return Problems{{Message: msgMalformed + jsonErrorText(data, err)}}
	}
	if rest := Trailing(data, dec); rest != "" {
		return Problems{{Message: fmt.Sprintf(msgMalformed+"после конца черновика лишний текст: %q", rest)}}
	}
	// encoding/json keeps the last of two equal names; which one the client meant is unknown.
	if path, dup := duplicateName(data); dup {
		return Problems{{Path: path, Message: fmt.Sprintf("поле «%s» указано дважды; оставьте одно", path)}}
	}
	var ps Problems
	checkShape(raw, reflect.TypeOf(dst).Elem(), "", &ps)
	if len(ps) > 0 {
		return ps
	}
	strict := json.NewDecoder(bytes.NewReader(data))
	strict.DisallowUnknownFields()
	if err := strict.Decode(dst); err != nil {
		// checkShape mirrors the struct, so this is a bug in it rather than in the input.
		return Problems{{Message: msgMalformed + err.Error()}}
	}
	return nil
}

// decodeValid is the fast path for what nearly every draft is, a valid one: a single strict
// decode. The slow path below parses the input twice (once into generic values to find every
// problem with its path, once into the struct), which was a tenth of the intake's CPU at
// 500 orders/s. decodeValid must accept only what the slow path accepts and decode it the
// same: json v2 matches names exactly and rejects unknown ones, trailing data and invalid
// UTF-8, as the slow path does; unlike checkShape, it takes null for a string or an object, so
// any "null" in the input, even inside a string, goes the slow way. Everything it rejects
// (duplicate names too, which the slow path allows) gets the slow path's verdict and paths.
func decodeValid(data []byte, dst any) bool {
	if bytes.Contains(data, []byte("null")) {
		return false
	}
	return jsonv2.Unmarshal(data, dst, jsonv2.RejectUnknownMembers(true)) == nil
}

// Trailing returns the start of what follows the first JSON value dec has read from data, or
// "" when only white space does. json.Decoder.More cannot tell: it is false before a stray
// "}" or "]" as well, which let `{…}}` through as a draft.
func Trailing(data []byte, dec *json.Decoder) string {
	rest := bytes.TrimSpace(data[dec.InputOffset():])
	n := 0
	for n < len(rest) && n < 20 {
		_, size := utf8.DecodeRune(rest[n:])
		n += size
	}
	return string(rest[:n])
}

// jsonErrorText turns a syntax error's byte offset into a line and column a person can find.
func jsonErrorText(data []byte, err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line, col := 1, 1
		for _, b := range data[:min(int(se.Offset), len(data))] {
			if b == '\n' {
				line, col = line+1, 1
			} else {
				col++
			}
		}
		return fmt.Sprintf("синтаксическая ошибка в строке %d, столбце %d (%s)", line, col, se.Error())
	}
	if errors.Is(err, io.EOF) {
		return "тело запроса пустое"
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return "текст обрывается, не закрыв все скобки и кавычки"
	}
	return err.Error()
}

// checkShape walks the generic JSON value against the Go type, reporting unknown fields and
// type mismatches with their full paths. encoding/json stops at the first one and its
// unknown-field error carries no path, which is useless for a nested draft.
func checkShape(v any, t reflect.Type, path string, ps *Problems) {
	if t.Kind() == reflect.Pointer {
		if v == nil {
			return
		}
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		obj, ok := v.(map[string]any)
		if !ok {
			ps.add(path, "ожидается объект, а здесь %s", jsonType(v))
			return
		}
		fields := jsonFields(t)
		for _, k := range sortedKeys(obj) {
			f, ok := fields[k]
			if !ok {
				ps.add(join(path, k), "неизвестное поле")
				continue
			}
			checkShape(obj[k], f.Type, join(path, k), ps)
		}
	case reflect.Slice:
		if v == nil {
			return
		}
		arr, ok := v.([]any)
		if !ok {
			ps.add(path, "ожидается массив, а здесь %s", jsonType(v))
			return
		}
		for i, e := range arr {
			checkShape(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i), ps)
		}
	case reflect.String:
		if _, ok := v.(string); !ok {
			ps.add(path, "ожидается строка, а здесь %s", jsonType(v))
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			ps.add(path, "ожидается true или false, а здесь %s", jsonType(v))
		}
	case reflect.Int:
		n, ok := v.(json.Number)
		if !ok {
			ps.add(path, "ожидается целое число, а здесь %s", jsonType(v))
			return
		}
		if i, err := n.Int64(); err != nil || i != int64(int32(i)) {
			ps.add(path, "ожидается целое число, а здесь %s", n)
		}
	case reflect.Float64:
		n, ok := v.(json.Number)
		if !ok {
			ps.add(path, "ожидается число, а здесь %s", jsonType(v))
			return
		}
		if _, err := n.Float64(); err != nil {
			ps.add(path, "число вне допустимого диапазона")
		}
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "строка"
	case bool:
		return "true или false"
	case json.Number:
		return "число"
	case []any:
		return "массив"
	case map[string]any:
		return "объект"
	}
	return fmt.Sprintf("%T", v)
}

func jsonFields(t reflect.Type) map[string]reflect.StructField {
	m := make(map[string]reflect.StructField, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		m[name] = f
	}
	return m
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	// Sorted so the problem list is stable between runs.
	slices.Sort(keys)
	return keys
}

// DecodeLetterhead parses and validates a letterhead profile on its own, with the same
// strictness and paths as inside a draft.
func DecodeLetterhead(data []byte) (*Letterhead, error) {
	var l Letterhead
	if err := decodeInto(data, &l); err != nil {
		return nil, err
	}
	v := validator{}
	v.letterhead("", &l)
	if len(v.ps) > 0 {
		return nil, v.ps
	}
	return &l, nil
}

// IsMalformed reports whether err says the input was not JSON at all (bad syntax, invalid
// UTF-8), as opposed to JSON with wrong or missing fields.
func IsMalformed(err error) bool {
	ps, ok := AsProblems(err)
	return ok && len(ps) == 1 && ps[0].Path == "" &&
		(strings.HasPrefix(ps[0].Message, msgMalformed) || strings.HasPrefix(ps[0].Message, msgBadUTF8[:strings.Index(msgBadUTF8, "%")]))
}

// duplicateName finds the first name given twice in one object of data (valid JSON), with its
// path: the JSON text reader refuses duplicates as the fast path's decoder does.
func duplicateName(data []byte) (path string, found bool) {
	dec := jsontext.NewDecoder(bytes.NewReader(data))
	for {
		_, err := dec.ReadToken()
		var se *jsontext.SyntacticError
		switch {
		case err == nil:
			continue
		case errors.As(err, &se) && errors.Is(se.Err, jsontext.ErrDuplicateName):
			return strictjson.Path(string(se.JSONPointer)), true
		}
		return "", false
	}
}
