package strictjson

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

type request struct {
	Journal string            `json:"journal"`
	Seq     int               `json:"seq"`
	Starts  map[string]int    `json:"starts"`
	Rows    json.RawMessage   `json:"rows"`
	Data    []byte            `json:"data"`
	Labels  map[string]string `json:"labels"`
}

func TestDecode(t *testing.T) {
	for _, tt := range []struct {
		in, path, msg string
	}{
		{`{"journal":"osn"}`, "", ""},
		{` {"journal":"osn","seq":2,"starts":{"2022":5}} ` + "\n", "", ""},
		{`{"journal":"osn"} x`, "", `после конца объекта JSON лишний текст: "x"`},
		{`{"journal":"osn"}}`, "", `после конца объекта JSON лишний текст: "}"`},
		{`{"journal":"osn"}{"journal":"b"}`, "", `после конца объекта JSON лишний текст: "{\"journal\":\"b\"}"`},
		{`{"journal":"a","journal":"b"}`, "journal", "поле «journal» указано дважды; оставьте одно"},
		{`{"starts":{"2022":1,"2022":2}}`, "starts[2022]", "поле «starts[2022]» указано дважды; оставьте одно"},
		{`{"rows":[{"a":"1","a":"2"}]}`, "rows[0].a", "поле «rows[0].a» указано дважды; оставьте одно"},
		{`{"jornal":"a"}`, "jornal", "неизвестное поле «jornal» (имена полей различают регистр)"},
		{`{"Journal":"a"}`, "Journal", "неизвестное поле «Journal» (имена полей различают регистр)"},
		{"{\"journal\":\"\xff\"}", "", "испорченный символ: байт 12 не в кодировке UTF-8"},
		{`{"seq":"2"}`, "seq", "ожидается целое число, а здесь строка"},
		{`{"seq":1.5}`, "seq", "ожидается целое число, а здесь 1.5"},
		{`{"journal":5}`, "journal", "ожидается строка, а здесь число"},
		{`{"data":"!!"}`, "data", "ожидаются данные в base64, а строка в base64 не читается"},
		{``, "", "тело запроса пустое, а нужен объект JSON"},
		{`null`, "", "нужен объект JSON в фигурных скобках, а здесь null"},
		{`[]`, "", "нужен объект JSON в фигурных скобках, а здесь массив"},
		{`journal=osn`, "", "нужен объект JSON в фигурных скобках, а здесь текст «journal=osn», а не JSON"},
		{`{"journal":`, "journal", "JSON обрывается, не закрыв все скобки и кавычки"},
	} {
		var r request
		err := Decode([]byte(tt.in), &r)
		if tt.msg == "" {
			if err != nil {
				t.Errorf("%q: %v", tt.in, err)
			}
			continue
		}
		var e *Error
		if !errors.As(err, &e) || e.Path != tt.path || e.Message != tt.msg || !strings.Contains(e.Error(), tt.msg) {
			t.Errorf("%q: %#v, want path %q message %q", tt.in, err, tt.path, tt.msg)
		}
	}
}

func TestPath(t *testing.T) {
	for in, want := range map[string]string{"": "", "/a": "a", "/starts/2022": "starts[2022]", "/rows/3/a": "rows[3].a", "/a~1b": "a/b"} {
		if got := Path(in); got != want {
			t.Errorf("Path(%q) = %q, want %q", in, got, want)
		}
	}
}
