// Package strictjson decodes the small JSON objects of requests (register, cancel, journal,
// batch options…) as strictly as order drafts are decoded: an unknown field, a name given
// twice, anything after the object and invalid UTF-8 are refused, each with a Russian
// sentence that names the place. A lenient decoder let `{"reason":"a","reason":"b"}` pass with
// the second value, and `{…}}` or `{…} garbage` pass as if nothing followed, so a client or a
// proxy that mangled a body was never told.
package strictjson

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// Error is why a body was refused: Path is where (`starts[2022]`, the repeated or unknown
// field itself; empty for the body as a whole), Message what, in Russian.
type Error struct {
	Path    string
	Message string
	named   bool // Message names the field itself
}

func (e *Error) Error() string {
	if e.Path == "" || e.named {
		return e.Message
	}
	return e.Path + ": " + e.Message
}

// Decode decodes data, one JSON object, into v (a pointer to a struct). Names match exactly,
// as in drafts. A refusal is an *Error.
func Decode(data []byte, v any) error {
	if !utf8.Valid(data) {
		off := 0
		for off < len(data) {
			r, size := utf8.DecodeRune(data[off:])
			if r == utf8.RuneError && size == 1 {
				break
			}
			off += size
		}
		return &Error{Message: fmt.Sprintf("испорченный символ: байт %d не в кодировке UTF-8", off)}
	}
	trimmed := bytes.TrimSpace(data)
	switch {
	case len(trimmed) == 0:
		return &Error{Message: "тело запроса пустое, а нужен объект JSON"}
	case trimmed[0] != '{':
		return &Error{Message: "нужен объект JSON в фигурных скобках, а здесь " + valueWord(trimmed)}
	}
	err := jsonv2.Unmarshal(data, v, jsonv2.RejectUnknownMembers(true))
	if err == nil {
		return nil
	}
	return translate(data, err)
}

func translate(data []byte, err error) *Error {
	var syn *jsontext.SyntacticError
	var sem *jsonv2.SemanticError
	switch {
	case errors.As(err, &syn):
		path := Path(string(syn.JSONPointer))
		msg := syn.Err.Error()
		switch {
		case errors.Is(syn.Err, jsontext.ErrDuplicateName):
			return &Error{Path: path, Message: fmt.Sprintf("поле «%s» указано дважды; оставьте одно", path), named: true}
		case strings.Contains(msg, "after top-level value"):
			rest := strings.TrimSpace(string(data[min(int(syn.ByteOffset), len(data)):]))
			return &Error{Message: fmt.Sprintf("после конца объекта JSON лишний текст: %q", excerpt(rest))}
		case errors.Is(syn.Err, io.ErrUnexpectedEOF):
			return &Error{Path: path, Message: "JSON обрывается, не закрыв все скобки и кавычки"}
		case strings.Contains(msg, "invalid UTF-8"):
			return &Error{Path: path, Message: fmt.Sprintf("испорченный символ у байта %d: не UTF-8", syn.ByteOffset)}
		}
		return &Error{Path: path, Message: fmt.Sprintf("это не JSON: ошибка у байта %d (%s)", syn.ByteOffset, msg)}
	case errors.As(err, &sem):
		path := Path(string(sem.JSONPointer))
		if errors.Is(sem.Err, jsonv2.ErrUnknownName) {
			return &Error{Path: path, Message: fmt.Sprintf("неизвестное поле «%s» (имена полей различают регистр)", path), named: true}
		}
		msg := fmt.Sprintf("ожидается %s, а здесь %s", kindWord(sem.GoType), jsonKindWord(sem.JSONKind))
		if sem.JSONKind == '"' && sem.GoType != nil && sem.GoType.Kind() == reflect.Slice &&
			sem.GoType.Elem().Kind() == reflect.Uint8 {
			msg = "ожидаются данные в base64, а строка в base64 не читается"
		} else if sem.JSONKind == '0' && sem.GoType != nil && isInt(sem.GoType) {
			msg = fmt.Sprintf("ожидается целое число, а здесь %s", sem.JSONValue)
		}
		return &Error{Path: path, Message: msg}
	}
	return &Error{Message: err.Error()}
}

// Path turns a JSON Pointer into the path of problem details (a numeric name reads as an
// index, as a pointer cannot tell them apart): /starts/2022 → starts[2022],
// /rows/3/a → rows[3].a.
func Path(ptr string) string {
	if ptr == "" {
		return ""
	}
	var b strings.Builder
	for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
		if _, err := strconv.Atoi(tok); err == nil && b.Len() > 0 {
			fmt.Fprintf(&b, "[%s]", tok)
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(tok)
	}
	return b.String()
}

func isInt(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return true
	}
	return false
}

func kindWord(t reflect.Type) string {
	if t == nil {
		return "другое значение"
	}
	switch t.Kind() {
	case reflect.String:
		return "строка"
	case reflect.Bool:
		return "true или false"
	case reflect.Slice, reflect.Array:
		return "массив"
	case reflect.Map, reflect.Struct:
		return "объект"
	case reflect.Float32, reflect.Float64:
		return "число"
	}
	if isInt(t) {
		return "целое число"
	}
	return "другое значение"
}

// jsonKindWord names a jsontext.Kind, which is the first byte of the value's text.
func jsonKindWord(k jsontext.Kind) string {
	switch k {
	case '"':
		return "строка"
	case '0':
		return "число"
	case 't', 'f':
		return "true или false"
	case 'n':
		return "null"
	case '{':
		return "объект"
	case '[':
		return "массив"
	}
	return "другое значение"
}

func valueWord(v []byte) string {
	switch v[0] {
	case '[':
		return "массив"
	case '"':
		return "строка"
	case 't', 'f':
		return "true или false"
	case 'n':
		return "null"
	}
	if v[0] == '-' || (v[0] >= '0' && v[0] <= '9') {
		return "число"
	}
	return fmt.Sprintf("текст «%s», а не JSON", excerpt(string(v)))
}

func excerpt(s string) string {
	const n = 40
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}
