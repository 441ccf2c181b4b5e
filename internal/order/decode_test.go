package order

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// base is a minimal valid draft; each bad case mutates a copy of it.
const base = `{
 "letterhead": {"name": "УПРАВЛЕНИЕ ПО ОБРАЗОВАНИЮ"},
 "title": "Об организации работы",
 "clauses": [{"text": "Организовать работу."}],
 "signatory": {"position": ["Начальник"], "name": "А.Н. Зубова"}
}`

func mutate(t *testing.T, f func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(base), &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDecodeValid(t *testing.T) {
	d, err := Decode([]byte(base))
	if err != nil {
		t.Fatalf("valid draft refused: %v", err)
	}
	if !d.IsDraft() {
		t.Error("a draft without number must be a draft")
	}
}

func deep(levels int) []any {
	c := map[string]any{"text": "пункт"}
	for range levels - 1 {
		c = map[string]any{"text": "пункт", "children": []any{c}}
	}
	return []any{c}
}

func TestDecodeBadDrafts(t *testing.T) {
	long := strings.Repeat("я", MaxTextLen+1)
	rows := make([]any, MaxTableRows+1)
	for i := range rows {
		rows[i] = []any{"x"}
	}
	table := func(tbl map[string]any) func(m map[string]any) {
		return func(m map[string]any) {
			m["appendices"] = []any{map[string]any{"key": "a", "title": "Перечень", "content": []any{map[string]any{"table": tbl}}}}
		}
	}
	// A title ending with initials keeps their full stops.
	if _, err := Decode(mutate(t, func(m map[string]any) { m["title"] = "О приеме на работу Ивановой М.П." })); err != nil {
		t.Errorf("title with initials: %v", err)
	}
	cases := []struct {
		name string
		raw  string // used instead of mutate when set
		f    func(m map[string]any)
		path string
		msg  string
	}{
		{name: "malformed JSON", raw: `{"title": `, msg: "это не JSON"},
		{name: "trailing garbage", raw: base + ` {}`, msg: `после конца черновика лишний текст: "{}"`},
		{name: "stray brace", raw: base + "}\n", msg: `после конца черновика лишний текст: "}"`},
		{name: "stray bracket", raw: base + " ]", msg: `после конца черновика лишний текст: "]"`},
		{name: "duplicate field", raw: `{"title":"A","title":"B","clauses":[{"text":"a"}],"signatory":{"position":["Директор"],"name":"И.И. Иванов"}}`,
			path: "title", msg: "поле «title» указано дважды"},
		{name: "duplicate nested field", raw: `{"title":"A","clauses":[{"text":"a","text":"b"}],"signatory":{"position":["Директор"],"name":"И.И. Иванов"}}`,
			path: "clauses[0].text", msg: "указано дважды"},
		{name: "empty body", raw: ``, msg: "тело запроса пустое"},
		{name: "invalid UTF-8", raw: "{\"title\": \"\xff\"}", msg: "испорченный символ: байт 11 не в кодировке UTF-8"},
		{name: "not an object", raw: `[]`, msg: "ожидается объект, а здесь массив"},
		{name: "unknown top field", f: func(m map[string]any) { m["titel"] = "x" }, path: "titel", msg: "неизвестное поле"},
		{name: "unknown nested field", f: func(m map[string]any) {
			m["clauses"] = []any{map[string]any{"text": "a", "children": []any{map[string]any{"txt": "b"}}}}
		}, path: "clauses[0].children[0].txt", msg: "неизвестное поле"},
		{name: "wrong type", f: func(m map[string]any) { m["title"] = 5 }, path: "title", msg: "ожидается строка, а здесь число"},
		{name: "wrong type in array", f: func(m map[string]any) { m["preamble"] = []any{"a", true} }, path: "preamble[1]", msg: "ожидается строка, а здесь true или false"},
		{name: "empty title", f: func(m map[string]any) { m["title"] = "  " }, path: "title", msg: "не заполнено"},
		{name: "title full stop", f: func(m map[string]any) { m["title"] = "О работе." }, path: "title", msg: "оканчивается точкой"},
		{name: "unknown kind", f: func(m map[string]any) { m["kind"] = "указ" }, path: "kind", msg: "неизвестный вид документа «указ»"},
		{name: "letterhead not an object", f: func(m map[string]any) { m["letterhead"] = "УО" }, path: "letterhead", msg: "ожидается объект, а здесь строка"},
		{name: "letterhead name empty", f: func(m map[string]any) { m["letterhead"] = map[string]any{"name": ""} }, path: "letterhead.name", msg: "не заполнено"},
		{name: "bad layout", f: func(m map[string]any) { m["letterhead"] = map[string]any{"name": "X", "layout": "left"} }, path: "letterhead.layout", msg: "неизвестный вид бланка «left»"},
		{name: "bad email", f: func(m map[string]any) { m["letterhead"] = map[string]any{"name": "X", "email": "nope"} }, path: "letterhead.email", msg: "«nope» — не адрес электронной почты"},
		{name: "bad date", f: func(m map[string]any) { m["date"] = "22.09.2022" }, path: "date", msg: "не дата: «22.09.2022»; нужна дата в виде ГГГГ-ММ-ДД"},
		{name: "impossible date", f: func(m map[string]any) { m["date"] = "2022-02-30" }, path: "date", msg: "такой даты нет в календаре: 2022-02-30"},
		{name: "number without date", f: func(m map[string]any) { m["number"] = "1355" }, path: "date", msg: "нужна, когда указан номер"},
		{name: "bad date style", f: func(m map[string]any) { m["date_style"] = "roman" }, path: "date_style", msg: "неизвестный вид даты «roman»"},
		{name: "no clauses", f: func(m map[string]any) { m["clauses"] = []any{} }, path: "clauses", msg: "нужен хотя бы один пункт"},
		{name: "empty clause", f: func(m map[string]any) {
			m["clauses"] = []any{map[string]any{"text": "a"}, map[string]any{"text": "b"}, map[string]any{"text": "c"},
				map[string]any{"text": "d", "children": []any{map[string]any{"text": ""}}}}
		}, path: "clauses[3].children[0].text", msg: "не заполнено"},
		{name: "too deep", f: func(m map[string]any) { m["clauses"] = deep(5) }, path: "clauses[0].children[0].children[0].children[0].children", msg: "вложенность глубже 4 уровней"},
		{name: "too long", f: func(m map[string]any) { m["preamble"] = []any{long} }, path: "preamble[0]", msg: "слишком длинно: "},
		{name: "control character", f: func(m map[string]any) { m["clauses"] = []any{map[string]any{"text": "a\u0007b"}} }, path: "clauses[0].text", msg: "недопустимый управляющий символ U+0007"},
		// A line break in a clause is a paragraph of it (TestClauseParagraphs), in a name it is not.
		{name: "newline in a name", f: func(m map[string]any) {
			m["signatory"] = map[string]any{"position": []any{"Директор"}, "name": "А.Н.\nЗубова"}
		}, path: "signatory.name", msg: "недопустимый управляющий символ U+000A"},
		{name: "title with a full stop", f: func(m map[string]any) { m["title"] = "О приеме на работу." }, path: "title", msg: "заголовок оканчивается точкой"},
		{name: "unknown numbering", f: func(m map[string]any) { m["numbering"] = []any{"decimal", "roman"} }, path: "numbering[1]", msg: "неизвестная нумерация «roman»"},
		{name: "1.1. under 1)", f: func(m map[string]any) { m["numbering"] = []any{"paren", "decimal"} }, path: "numbering[1]", msg: "нумерация «1.1.» продолжает номер пункта выше, а он нумеруется «1)»"},
		{name: "clause numbering 1.1. under а)", f: func(m map[string]any) {
			m["clauses"] = []any{map[string]any{"text": "a:", "numbering": "letter", "children": []any{
				map[string]any{"text": "b:", "numbering": "decimal", "children": []any{map[string]any{"text": "c."}}}}}}
		}, path: "clauses[0].children[0].numbering", msg: "а он нумеруется «а)»"},
		{name: "clause numbering unknown", f: func(m map[string]any) { m["clauses"] = []any{map[string]any{"text": "a", "numbering": "1)"}} }, path: "clauses[0].numbering", msg: "неизвестная нумерация «1)»"},
		{name: "control_at without control", f: func(m map[string]any) { m["control_at"] = 1 }, path: "control_at", msg: "а самого пункта (control) нет"},
		{name: "control_at out of range", f: func(m map[string]any) { m["control"] = "Контроль."; m["control_at"] = 3 }, path: "control_at", msg: "может стать пунктом с 1 по 2, а не 3"},
		{name: "control_at not an integer", f: func(m map[string]any) { m["control"] = "Контроль."; m["control_at"] = 1.5 }, path: "control_at", msg: "ожидается целое число"},
		{name: "operative at the end of no preamble", f: func(m map[string]any) { m["operative_at"] = "preamble" }, path: "operative_at", msg: "слово «ПРИКАЗЫВАЮ» ставится в конце преамбулы, а преамбулы нет"},
		{name: "unknown operative place", f: func(m map[string]any) { m["operative_at"] = "top" }, path: "operative_at", msg: "неизвестное место слова «ПРИКАЗЫВАЮ»"},
		{name: "spaced operative in preamble", f: func(m map[string]any) {
			m["preamble"] = []any{"В целях"}
			m["operative_at"] = "preamble"
			m["spaced_operative"] = true
		}, path: "spaced_operative", msg: "в разрядку печатают только слово на отдельной строке"},
		{name: "unknown date place", f: func(m map[string]any) { m["date_place"] = "footer" }, path: "date_place", msg: "неизвестное место даты «footer»"},
		{name: "protocol without date", f: func(m map[string]any) { m["protocol"] = map[string]any{"number": "1"} }, path: "protocol.date", msg: "не заполнено"},
		{name: "protocol bad date", f: func(m map[string]any) { m["protocol"] = map[string]any{"number": "1", "date": "30.08.2023"} }, path: "protocol.date", msg: "не дата: «30.08.2023»"},
		{name: "secretary without name", f: func(m map[string]any) {
			m["signatories"] = []any{map[string]any{"position": []any{"Секретарь"}}}
		}, path: "signatories[0].name", msg: "не заполнено"},
		{name: "personnel clause without person", f: func(m map[string]any) { m["clauses"] = []any{map[string]any{"action": "принять"}} }, path: "clauses[0].person", msg: "не заполнено"},
		{name: "person without action", f: func(m map[string]any) { m["clauses"] = []any{map[string]any{"text": "a", "person": "Иванову"}} }, path: "clauses[0].person", msg: "укажите и action"},
		{name: "personnel date", f: func(m map[string]any) {
			m["clauses"] = []any{map[string]any{"action": "принять", "person": "Иванову", "date": "2023-02-30"}}
		}, path: "clauses[0].date", msg: "такой даты нет в календаре"},
		{name: "section inside a clause", f: func(m map[string]any) {
			m["clauses"] = []any{map[string]any{"text": "a", "content": []any{map[string]any{"section": map[string]any{"title": "Раздел"}}}}}
		}, path: "clauses[0].content[0]", msg: "вложенные пункты задаются в children"},
		{name: "empty list inside a clause", f: func(m map[string]any) {
			m["clauses"] = []any{map[string]any{"text": "a", "content": []any{map[string]any{"list": []any{}}}}}
		}, path: "clauses[0].content[0].list", msg: "пустой список"},
		{name: "missing appendix", f: func(m map[string]any) { m["clauses"] = []any{map[string]any{"text": "a", "appendix": "list"}} }, path: "clauses[0].appendix", msg: "нет приложения с ключом «list»"},
		{name: "no signatory name", f: func(m map[string]any) { m["signatory"] = map[string]any{"position": []any{"Директор"}} }, path: "signatory.name", msg: "не заполнено"},
		{name: "no signatory position", f: func(m map[string]any) { m["signatory"] = map[string]any{"name": "А.Н. Зубова"} }, path: "signatory.position", msg: "нужна хотя бы одна строка должности"},
		{name: "bad ack style", f: func(m map[string]any) {
			m["acknowledgement"] = map[string]any{"style": "table", "people": []any{map[string]any{"name": "X"}}}
		}, path: "acknowledgement.style", msg: "неизвестный способ ознакомления «table»"},
		{name: "ack person without name", f: func(m map[string]any) {
			m["acknowledgement"] = map[string]any{"people": []any{map[string]any{"name": "X"}, map[string]any{"position": "Y"}}}
		}, path: "acknowledgement.people[1].name", msg: "не заполнено"},
		{name: "duplicate appendix key", f: func(m map[string]any) {
			a := map[string]any{"key": "a", "title": "T", "content": []any{map[string]any{"paragraph": "p"}}}
			m["appendices"] = []any{a, a}
		}, path: "appendices[1].key", msg: "ключ «a» уже есть у другого приложения"},
		{name: "appendix without content", f: func(m map[string]any) {
			m["appendices"] = []any{map[string]any{"key": "a", "title": "T"}}
		}, path: "appendices[0].content", msg: "нужен хотя бы один блок"},
		{name: "empty block", f: func(m map[string]any) {
			m["appendices"] = []any{map[string]any{"key": "a", "title": "T", "content": []any{map[string]any{}}}}
		}, path: "appendices[0].content[0]", msg: "пустой блок"},
		{name: "two kinds in a block", f: func(m map[string]any) {
			m["appendices"] = []any{map[string]any{"key": "a", "title": "T", "content": []any{map[string]any{"paragraph": "p", "list": []any{"x"}}}}}
		}, path: "appendices[0].content[0]", msg: "ровно одно из"},
		{name: "row with wrong cells", f: table(map[string]any{"columns": []any{map[string]any{"title": "A"}, map[string]any{"title": "B"}},
			"rows": []any{[]any{"1", "2"}, []any{"1"}}}), path: "appendices[0].content[0].table.rows[1]", msg: "в строке 1 ячеек, а в таблице 2 столбцов"},
		{name: "too many rows", f: table(map[string]any{"columns": []any{map[string]any{"title": "A"}}, "rows": rows}),
			path: "appendices[0].content[0].table.rows", msg: "слишком много строк"},
		{name: "no columns", f: table(map[string]any{"rows": []any{}}), path: "appendices[0].content[0].table.columns", msg: "нужен хотя бы один столбец"},
		{name: "negative width", f: table(map[string]any{"columns": []any{map[string]any{"title": "A", "width": -1}}, "rows": []any{}}),
			path: "appendices[0].content[0].table.columns[0].width", msg: "от 0 до 100"},
		{name: "appendix_ref without n", f: func(m map[string]any) { m["appendix_ref"] = "(приложение)" }, path: "appendix_ref", msg: "должна содержать {n}"},
		{name: "bad appendix key", f: func(m map[string]any) {
			m["appendices"] = []any{map[string]any{"key": "a b", "title": "T", "content": []any{map[string]any{"paragraph": "p"}}}}
		}, path: "appendices[0].key", msg: "допустимы только буквы, цифры"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data := []byte(c.raw)
			if c.raw == "" && c.f != nil {
				data = mutate(t, c.f)
			}
			_, err := Decode(data)
			ps, ok := AsProblems(err)
			if !ok {
				t.Fatalf("want Problems, got %v", err)
			}
			for _, p := range ps {
				if p.Path == c.path && strings.Contains(p.Message, c.msg) {
					return
				}
			}
			t.Errorf("want %s: …%s…; got:\n%v", c.path, c.msg, err)
		})
	}
}

// TestDecodeReportsAll checks that problems in different places come back together.
func TestDecodeReportsAll(t *testing.T) {
	data := mutate(t, func(m map[string]any) {
		m["title"] = ""
		m["date"] = "x"
		m["clauses"] = []any{map[string]any{"text": ""}}
	})
	_, err := Decode(data)
	ps, _ := AsProblems(err)
	if len(ps) != 3 {
		t.Fatalf("want 3 problems, got %d:\n%v", len(ps), err)
	}
	// Unknown fields anywhere are reported together too, before validation.
	_, err = Decode([]byte(`{"a":1,"clauses":[{"b":2}],"letterhead":{"c":3}}`))
	ps, _ = AsProblems(err)
	if len(ps) != 3 {
		t.Fatalf("want 3 unknown fields, got:\n%v", err)
	}
}

// TestFastPathAgrees pins decodeValid to the slow path: what the slow path refuses, Decode
// still refuses with the slow path's paths, and what both accept decodes the same.
func TestFastPathAgrees(t *testing.T) {
	cases := []struct {
		name, json string
		path       string // "" when the draft is valid
	}{
		{"valid", base, ""},
		{"name in other case", strings.Replace(base, `"title"`, `"Title"`, 1), "Title"},
		{"null string", strings.Replace(base, `"Об организации работы"`, `null`, 1), "title"},
		{"null object", strings.Replace(base, `{"name": "УПРАВЛЕНИЕ ПО ОБРАЗОВАНИЮ"}`, `null`, 1), ""},
		{"null in a string", strings.Replace(base, `Организовать работу.`, `Организовать null работу.`, 1), ""},
		{"duplicate name", strings.Replace(base, `"title": "Об организации работы",`,
			`"title": "Старое", "title": "Об организации работы",`, 1), ""},
		{"trailing data", base + ` {}`, ""},
		{"trailing brace", base + `}`, ""},
		{"trailing bracket", base + "\n]", ""},
		{"surrogate escape", strings.Replace(base, `Организовать работу.`, `\ud800`, 1), ""},
		// Empty arrays must decode as the slow path does: the normalized draft, and so its hash,
		// may not depend on the path.
		{"empty arrays", strings.Replace(base, `"title"`, `"preamble": [], "appendices": [], "title"`, 1), ""},
		{"empty array without omitempty", strings.Replace(base, `["Начальник"]`, `[]`, 1), ""},
		{"unknown field", strings.Replace(base, `"title"`, `"titel": 1, "title"`, 1), "titel"},
		// Every field of the richer structures, so both paths are seen to decode them alike.
		{"valid structures", strings.Replace(base, `"clauses": [{"text": "Организовать работу."}],`,
			`"numbering": ["decimal", "paren"], "operative_at": "preamble", "preamble": ["В целях\nразвития"],
			 "heading": "РЕШЕНИЕ\nСОВЕТА", "unnumbered": true, "date_place": "title", "date": "2023-08-30",
			 "protocol": {"number": "1", "date": "2023-08-30"}, "control": "Контроль.", "control_at": 1,
			 "signatories": [{"position": ["Секретарь"], "name": "П.П. Петрова"}],
			 "clauses": [{"text": "Организовать:\nработу.", "numbering": "letter", "content": [{"paragraph": "п"}, {"list": ["а", "б"]}],
			   "children": [{"text": "x;"}, {"action": "принять", "person": "Иванову", "position": "учителем", "date": "2023-09-01", "basis": "заявление."}]}],`, 1), ""},
		{"integer as text", strings.Replace(base, `"title"`, `"control": "К.", "control_at": "1", "title"`, 1), "control_at"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fast := decodeValid([]byte(c.json), &Draft{})
			if wantFast := strings.HasPrefix(c.name, "valid") || strings.HasPrefix(c.name, "empty array"); fast != wantFast {
				t.Errorf("fast path taken: %v, want %v", fast, wantFast)
			}
			var slow Draft
			slowErr := slowDecode([]byte(c.json), &slow)
			if fast && slowErr != nil {
				t.Fatalf("fast path accepts what the slow path refuses: %v", slowErr)
			}
			d, err := decodeStrict([]byte(c.json))
			if (err == nil) != (slowErr == nil) {
				t.Fatalf("decodeStrict error %v, slow path %v", err, slowErr)
			}
			if c.path != "" {
				ps, _ := AsProblems(err)
				if len(ps) == 0 || ps[0].Path != c.path {
					t.Fatalf("problems %v, want one at %q", ps, c.path)
				}
			}
			if err == nil {
				got, _ := json.Marshal(d)
				want, _ := json.Marshal(&slow)
				if string(got) != string(want) {
					t.Errorf("decoded differently:\n fast %s\n slow %s", got, want)
				}
			}
		})
	}
	// The examples, which are what real drafts look like, must take the fast path.
	files, _ := filepath.Glob(filepath.Join("..", "..", "templates", "examples", "*.json"))
	if len(files) < 2 {
		t.Fatalf("examples: %v", files)
	}
	for _, file := range files {
		name := filepath.Base(file)
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var d Draft
		if !decodeValid(data, &d) {
			t.Errorf("%s: not decoded by the fast path", name)
		}
		var slow Draft
		if err := slowDecode(data, &slow); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, _ := json.Marshal(&d)
		want, _ := json.Marshal(&slow)
		if string(got) != string(want) {
			t.Errorf("%s decoded differently by the two paths", name)
		}
	}
}

// slowDecode is decodeInto without its fast path.
func slowDecode(data []byte, dst any) error {
	return decodeShaped(data, dst)
}

// go test -run '^$' -bench Decode -benchmem ./internal/order
func BenchmarkDecode(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("..", "..", "templates", "examples", "balashikha.json"))
	if err != nil {
		b.Fatal(err)
	}
	b.Run("fast", func(b *testing.B) {
		for b.Loop() {
			if _, err := Decode(data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("slow", func(b *testing.B) {
		for b.Loop() {
			var d Draft
			if err := slowDecode(data, &d); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// FuzzFastPathAgrees: whatever the fast path accepts, the slow path accepts too, and both
// decode it to the same draft.
// go test -run '^$' -fuzz FuzzFastPathAgrees -fuzztime 60s ./internal/order
func FuzzFastPathAgrees(f *testing.F) {
	f.Add([]byte(base))
	f.Add([]byte(strings.Replace(base, `"title"`, `"Title"`, 1)))
	f.Add([]byte(`{"title": "a", "clauses": [], "signatory": {"position": [], "name": "b"}, "kind": "приказ"}`))
	files, _ := filepath.Glob(filepath.Join("..", "..", "templates", "examples", "*.json"))
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var fast Draft
		if !decodeValid(data, &fast) {
			return
		}
		var slow Draft
		if err := slowDecode(data, &slow); err != nil {
			t.Fatalf("fast path accepts what the slow path refuses: %v", err)
		}
		got, _ := json.Marshal(&fast)
		want, _ := json.Marshal(&slow)
		if string(got) != string(want) {
			t.Fatalf("decoded differently:\n fast %s\n slow %s", got, want)
		}
	})
}
