package batch

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"orders/internal/order"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want := readFile(t, path)
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it)\ngot:\n%s", name, got)
	}
}

var perRowConsts = map[string]string{"учебный_год": "2021-2022"}

const perRowHeader = "Организация;Тема;Руководитель;Поручение;Дата;Примечание\n"

func perRowLine(i int) string {
	return fmt.Sprintf("МБОУ «СОШ №%d»;Функциональная грамотность %d;Иванова И.И.;Обеспечить работу площадки.;24.08.2021;\n", i, i)
}

func plan(t testing.TB, tmpl []byte, mode Mode, consts map[string]string, name string, data []byte) *Plan {
	t.Helper()
	tb, err := ReadRows(name, data)
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPlan(tmpl, mode, consts, tb)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPerRowThousandRows(t *testing.T) {
	var b strings.Builder
	b.WriteString(perRowHeader)
	for i := 1; i <= 1000; i++ {
		b.WriteString(perRowLine(i))
	}
	p := plan(t, readFile(t, "testdata/per-row.json"), PerRow, perRowConsts, "platforms.csv", []byte(b.String()))
	if len(p.Problems) > 0 || !p.OK() {
		t.Fatalf("problems: %v", p.Problems[:min(5, len(p.Problems))])
	}
	if len(p.Drafts) != 1000 || len(p.Valid) != 1000 {
		t.Fatalf("%d drafts, %d valid; want 1000", len(p.Drafts), len(p.Valid))
	}
	keys := map[string]bool{}
	for i, d := range p.Drafts {
		// The JSON handed to the queue must stand on its own.
		again, err := order.Decode(d.JSON)
		if err != nil {
			t.Fatalf("row %d: order.Decode: %v", i, err)
		}
		want := fmt.Sprintf("Об организации стажировочной площадки на базе МБОУ «СОШ №%d» в 2021-2022 учебном году", i+1)
		if again.Title != want || d.Draft.Title != want {
			t.Fatalf("row %d: title %q, want %q", i, again.Title, want)
		}
		if d.Draft.Date != "2021-08-24" || d.Line != i+2 || d.Row != i {
			t.Fatalf("row %d: date %q line %d row %d", i, d.Draft.Date, d.Line, d.Row)
		}
		if len(d.Key) != 32 || keys[d.Key] {
			t.Fatalf("row %d: key %q empty or repeated", i, d.Key)
		}
		keys[d.Key] = true
	}
	// «Учесть: {Примечание?}» with an empty note is allowed by the «?».
	if got := p.Drafts[0].Draft.Clauses[2].Text; got != "Учесть: " {
		t.Errorf("optional placeholder: %q", got)
	}
}

// pr builds an expected problem; Message is matched as a prefix.
func pr(line int, col, msg string) RowProblem {
	return RowProblem{Line: line, Column: col, Message: msg}
}

func TestRowProblems(t *testing.T) {
	good := perRowLine(1)
	bad := func(org, topic, head, task, date string) string {
		return strings.Join([]string{org, topic, head, task, date, ""}, ";") + "\n"
	}
	row := func(topic string) string {
		return bad("МБОУ «СОШ №9»", topic, "Петров П.П.", "Обеспечить работу.", "01.09.2021")
	}
	long := strings.Repeat("я", 600)
	tests := []struct {
		name  string
		data  []byte
		want  []RowProblem
		valid []int
	}{
		{"empty cell inside a sentence", []byte(perRowHeader + good + row("")),
			[]RowProblem{pr(3, "Тема", "пусто")}, []int{0}},
		{"empty cell that is a required field", []byte(perRowHeader + good + bad("МБОУ", "Тема", "Петров", "  ", "")),
			[]RowProblem{pr(3, "Поручение", "пусто")}, []int{0}},
		{"too long for its field", []byte(perRowHeader + good + bad("МБОУ", "Тема", long, "Обеспечить.", "")),
			[]RowProblem{pr(3, "Руководитель", "слишком длинно: 600 знаков, допустимо не более 500")}, []int{0}},
		{"too long with the template's text", []byte(perRowHeader + good + bad(strings.Repeat("Ш", 990), "Тема", "Петров", "Обеспечить.", "")),
			[]RowProblem{pr(3, "Организация", "слишком длинно: вместе с текстом шаблона 1061 знаков, допустимо не более 1000; сократите на 61")}, []int{0}},
		{"control character", []byte(perRowHeader + good + row("Тема\x07звонок")),
			[]RowProblem{pr(3, "Тема", "недопустимый управляющий символ U+0007")}, []int{0}},
		{"invalid UTF-8 byte in a UTF-8 file", []byte(perRowHeader + good + row("Тема\x98")),
			[]RowProblem{pr(3, "Тема", MsgBadByte)}, []int{0}},
		{"byte Windows-1251 does not define", append(cp1251(t, perRowHeader+good), append(cp1251(t, "МБОУ;Тема"), []byte("\x98;Петров;Обеспечить.;;\n")...)...),
			[]RowProblem{pr(3, "Тема", MsgBadByte)}, []int{0}},
		{"more cells than the header", []byte(perRowHeader + good + strings.TrimSuffix(row("Тема"), "\n") + ";лишнее\n"),
			[]RowProblem{pr(3, "", "лишняя ячейка в столбце 7")}, []int{0}},
		{"duplicate row", []byte(perRowHeader + good + row("Тема") + good),
			[]RowProblem{pr(4, "", "повторяет строку 2")}, []int{0, 1}},
		{"not a date", []byte(perRowHeader + good + bad("МБОУ", "Тема", "Петров", "Обеспечить.", "31.02.2021")),
			[]RowProblem{pr(3, "Дата", "не дата: «31.02.2021»")}, []int{0}},
		{"bare quote", []byte(perRowHeader + good + bad(`МБОУ "СОШ"`, "Тема", "Петров", "Обеспечить.", "") + row("Тема")),
			[]RowProblem{pr(3, "Организация", "кавычка внутри ячейки без кавычек")}, []int{0, 1}},
		{"quote never closed", []byte(perRowHeader + good + "МБОУ;\"Тема\n" + row("Тема")),
			[]RowProblem{pr(3, "Тема", "кавычка, открытая в этой ячейке, не закрыта до конца файла")}, []int{0}},
		{"empty file", []byte("\xEF\xBB\xBF\r\n"),
			[]RowProblem{pr(0, "", MsgNoHeader)}, nil},
		{"header only", []byte(perRowHeader + ";;;;;\n"),
			[]RowProblem{pr(1, "", MsgHeaderOnly)}, nil},
		{"row numbers after a multi-line cell and a blank line", []byte(perRowHeader + bad("МБОУ", "\"Тема в\nдве строки\"", "Петров", "Обеспечить.", "") + "\n" + good + row("")),
			[]RowProblem{pr(5, "Тема", "пусто")}, []int{0, 1}},
		{"all problems of a row in column order", []byte(perRowHeader + good + bad("", "", long, "", "32.13.2021")),
			[]RowProblem{pr(3, "Организация", "пусто"), pr(3, "Тема", "пусто"), pr(3, "Руководитель", "слишком длинно"),
				pr(3, "Поручение", "пусто"), pr(3, "Дата", "не дата")}, []int{0}},
	}
	tmpl := readFile(t, "testdata/per-row.json")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := plan(t, tmpl, PerRow, perRowConsts, "rows.csv", tt.data)
			if len(p.Problems) != len(tt.want) {
				t.Fatalf("problems:\n%s\nwant %d", problemText(p.Problems), len(tt.want))
			}
			for i, w := range tt.want {
				g := p.Problems[i]
				if g.Line != w.Line || g.Column != w.Column || !strings.HasPrefix(g.Message, w.Message) {
					t.Errorf("problem %d = %q, want %q…", i, g.String(), w.String())
				}
			}
			if fmt.Sprint(p.Valid) != fmt.Sprint(tt.valid) {
				t.Errorf("valid = %v, want %v", p.Valid, tt.valid)
			}
			if p.OK() {
				t.Error("OK() with problems")
			}
			for _, i := range p.Valid {
				if p.Drafts[i].Draft == nil {
					t.Errorf("valid row %d has no draft", i)
				}
			}
		})
	}
}

func problemText(ps []RowProblem) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(p.String())
		b.WriteByte('\n')
	}
	return b.String()
}

func TestProblemsGolden(t *testing.T) {
	data := perRowHeader +
		perRowLine(1) +
		"МБОУ «СОШ №2»;;Петров П.П.;Обеспечить.;2021-08-24;\n" +
		"МБОУ \"СОШ №3\";Тема;Петров П.П.;Обеспечить.;;\n" +
		perRowLine(1) +
		"МБОУ «СОШ №5»;Тема;Сидоров;;вчера;;;примечание правее заголовка\n"
	p := plan(t, readFile(t, "testdata/per-row.json"), PerRow, perRowConsts, "rows.csv", []byte(data))
	golden(t, "problems.golden.txt", []byte(problemText(p.Problems)))
}

func TestDatesInDateFields(t *testing.T) {
	data := perRowHeader +
		"А;Т;Р;П;24.08.2021;\n" +
		"Б;Т;Р;П;2021-08-25;\n" +
		"В;Т;Р;П;44434;\n" +
		"Г;Т;Р;П;27.08.2021 г.;\n" +
		"Д;Т;Р;П;«28» августа 2021 года;\n" +
		"Е;Т;Р;П;;\n"
	p := plan(t, readFile(t, "testdata/per-row.json"), PerRow, perRowConsts, "rows.csv", []byte(data))
	if len(p.Problems) > 0 {
		t.Fatal(problemText(p.Problems))
	}
	for i, want := range []string{"2021-08-24", "2021-08-25", "2021-08-26", "2021-08-27", "2021-08-28", ""} {
		if got := p.Drafts[i].Draft.Date; got != want {
			t.Errorf("row %d: date %q, want %q", i, got, want)
		}
	}
}

func TestParseDate(t *testing.T) {
	tests := []struct{ in, want string }{
		{"24.08.2021", "2021-08-24"}, {"4.8.2021", "2021-08-04"}, {"24.08.21", "2021-08-24"},
		{"2021-08-24", "2021-08-24"}, {"44432", "2021-08-24"}, {"44432.5", "2021-08-24"},
		{"24.08.2021 0:00", "2021-08-24"}, {"24.08.2021г.", "2021-08-24"},
		{"« 24 » августа 2021", "2021-08-24"}, {"24 August 2021", "2021-08-24"},
		{"29.02.2020", "2020-02-29"},
		{"29.02.2021", ""}, {"32.01.2021", ""}, {"2021-13-01", ""}, {"24/08/2021", ""},
		{"60", ""}, {"вчера", ""}, {"24 брюмера 2021", ""}, {"", ""},
	}
	for _, tt := range tests {
		got, ok := parseDate(tt.in)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("parseDate(%q) = %q, %v; want %q", tt.in, got, ok, tt.want)
		}
	}
}

var platformsConsts = map[string]string{
	"учебный_год":          "2022-2023",
	"основание":            "ГБОУ ВО МО «Академия социального управления» от 20.09.2022 № 1087-04 «Об утверждении перечня стажировочных и региональных инновационных площадок Московской области на 2022-2023 учебный год»",
	"методический_центр":   "МБУ ДПО «Учебно-методический центр» (Рожкова Т.В.)",
	"контроль":             "заместителя начальника Управления по образованию Иванову И.И",
	"должность_подписанта": "Начальник Управления по образованию",
	"подписант":            "Н.В. Бабенко",
	// The default the shipped template carries (orgtemplate.Builtin.Constants).
	"площадки": "стажировочных площадок и региональных инновационных площадок",
}

// TestPlatformsYearlyOneOrder runs the real template from templates/orders on a clerk's
// XLSX with a merged two-row header.
func TestPlatformsYearlyOneOrder(t *testing.T) {
	data := xlsxFile(t, func(f *excelize.File, sh string) {
		must(t, f.SetSheetRow(sh, "A1", &[]any{"Площадка", nil, nil, "Руководитель"}))
		must(t, f.MergeCell(sh, "A1", "C1"))
		must(t, f.MergeCell(sh, "D1", "D2"))
		must(t, f.SetSheetRow(sh, "A2", &[]any{"Организация", "Вид площадки", "Тема"}))
		rows := [][]any{
			{"МБОУ «Гимназия №1»", "стажировочная", "Функциональная грамотность как основа качества образования", "Петрова А.А."},
			{"МБДОУ «Детский сад №5»", "региональная инновационная", "Развитие речи дошкольников\nв игровой деятельности", "Сидорова Б.Б."},
			{"МАУ ДО «Дом творчества»", "стажировочная", "Дополнительное образование как ресурс", "Кузнецов В.В."},
		}
		for i, r := range rows {
			must(t, f.SetSheetRow(sh, fmt.Sprintf("A%d", i+3), &r))
		}
	})
	p := plan(t, readFile(t, "../../templates/orders/platforms-yearly.json"), OneOrder, platformsConsts, "platforms.xlsx", data)
	if !p.OK() || len(p.Warnings) > 0 {
		t.Fatalf("problems %v warnings %v", p.Problems, p.Warnings)
	}
	d := p.Drafts[0]
	tbl := d.Draft.Appendices[0].Content[0].Table
	if len(tbl.Rows) != 3 || !tbl.Numbered {
		t.Fatalf("table: %d rows, numbered %v", len(tbl.Rows), tbl.Numbered)
	}
	if got := tbl.Rows[1][2]; got != "Развитие речи дошкольников в игровой деятельности" {
		t.Errorf("line break inside a cell: %q", got)
	}
	if !strings.Contains(d.Draft.Title, "2022-2023") {
		t.Errorf("the title outside the table comes from the constant, got %q", d.Draft.Title)
	}
	var pretty bytes.Buffer
	must(t, json.Indent(&pretty, d.JSON, "", "  "))
	pretty.WriteByte('\n')
	golden(t, "platforms-yearly.golden.json", pretty.Bytes())
}

func TestOneOrderTableRows(t *testing.T) {
	tmpl := readFile(t, "../../templates/orders/platforms-yearly.json")
	for _, n := range []int{1, 7, 250} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			var b strings.Builder
			b.WriteString("Организация,Вид площадки,Тема,Руководитель,Примечание\n")
			for i := range n {
				fmt.Fprintf(&b, "\"МБОУ \"\"СОШ №%d\"\"\",стажировочная,\"Тема %d, часть 2\",Руководитель %d,\n", i, i, i)
			}
			p := plan(t, tmpl, OneOrder, platformsConsts, "p.csv", []byte(b.String()))
			if !p.OK() || len(p.Drafts) != 1 || len(p.Valid) != n {
				t.Fatalf("problems %v drafts %d valid %d", p.Problems, len(p.Drafts), len(p.Valid))
			}
			rows := p.Drafts[0].Draft.Appendices[0].Content[0].Table.Rows
			if len(rows) != n || rows[n-1][0] != fmt.Sprintf("МБОУ \"СОШ №%d\"", n-1) {
				t.Fatalf("%d table rows, last %q", len(rows), rows[len(rows)-1])
			}
			if want := []string{"столбец «Примечание» не используется шаблоном"}; fmt.Sprint(p.Warnings) != fmt.Sprint(want) {
				t.Errorf("warnings %q, want %q", p.Warnings, want)
			}
		})
	}
}

func TestOneOrderValidRowsOnly(t *testing.T) {
	data := "Организация;Вид площадки;Тема;Руководитель\n" +
		"МБОУ №1;стажировочная;Тема 1;Р1\n" +
		"МБОУ №2;стажировочная;" + strings.Repeat("т", 10001) + ";Р2\n" +
		"МБОУ №3;стажировочная;Тема\x01 3;Р3\n" +
		"МБОУ №4;стажировочная;Тема 4;Р4\n"
	p := plan(t, readFile(t, "../../templates/orders/platforms-yearly.json"), OneOrder, platformsConsts, "p.csv", []byte(data))
	want := "строка 3, столбец «Тема»: слишком длинно: 10001 знаков, допустимо не более 10000\n" +
		"строка 4, столбец «Тема»: недопустимый управляющий символ U+0001\n"
	if got := problemText(p.Problems); got != want {
		t.Errorf("problems:\n%s\nwant\n%s", got, want)
	}
	if fmt.Sprint(p.Valid) != "[0 3]" || len(p.Drafts) != 1 {
		t.Fatalf("valid %v, %d drafts", p.Valid, len(p.Drafts))
	}
	if rows := p.Drafts[0].Draft.Appendices[0].Content[0].Table.Rows; len(rows) != 2 || rows[1][0] != "МБОУ №4" {
		t.Errorf("the order of the valid rows has rows %q", rows)
	}
}

// TestEmptyRequiredCell: a {field} written without «?» is required wherever it stands, as
// Fields tells the page; an empty cell of the one order's table is the row's problem, not
// an empty cell in the appendix. «{field?}» lets it be empty.
func TestEmptyRequiredCell(t *testing.T) {
	platforms := readFile(t, "../../templates/orders/platforms-yearly.json")
	for _, tc := range []struct {
		name, tmpl, data, want string
		valid                  int
	}{
		{"one_order table cell", string(platforms),
			"Организация;Вид площадки;Тема;Руководитель\nМБОУ №1;стажировочная;Тема 1;Р1\nМБОУ №2;стажировочная; ;Р2\n",
			"строка 3, столбец «Тема»: пусто\n", 1},
		{"one_order optional cell", strings.Replace(string(platforms), `"{Тема}"`, `"{Тема?}"`, 1),
			"Организация;Вид площадки;Тема;Руководитель\nМБОУ №1;стажировочная;;Р1\n", "", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := plan(t, []byte(tc.tmpl), OneOrder, platformsConsts, "p.csv", []byte(tc.data))
			if got := problemText(p.Problems); got != tc.want {
				t.Errorf("problems:\n%s\nwant\n%s", got, tc.want)
			}
			if len(p.Valid) != tc.valid {
				t.Errorf("valid rows %v, want %d", p.Valid, tc.valid)
			}
		})
	}
}

func TestKeysAreStable(t *testing.T) {
	tmpl := readFile(t, "testdata/per-row.json")
	data := perRowHeader + perRowLine(1) + perRowLine(2)
	keys := func(tmpl []byte, consts map[string]string, data string) []string {
		p := plan(t, tmpl, PerRow, consts, "k.csv", []byte(data))
		var ks []string
		for _, d := range p.Drafts {
			ks = append(ks, d.Key)
		}
		return ks
	}
	base := keys(tmpl, perRowConsts, data)
	// The same rows in another encoding, another column order, with an unused column and
	// the template re-indented: the same orders, the same keys.
	reordered := "Примечание,Дата,Поручение,Руководитель,Тема,Организация,Лишний\n" +
		",24.08.2021,Обеспечить работу площадки.,Иванова И.И.,Функциональная грамотность 1,МБОУ «СОШ №1»,x\n" +
		",24.08.2021,Обеспечить работу площадки.,Иванова И.И.,Функциональная грамотность 2,МБОУ «СОШ №2»,y\n"
	var compact bytes.Buffer
	must(t, json.Compact(&compact, tmpl))
	same := [][]string{
		keys(tmpl, perRowConsts, data),
		keys(tmpl, perRowConsts, string(cp1251(t, data))),
		keys(tmpl, perRowConsts, reordered),
		keys(compact.Bytes(), perRowConsts, data),
		keys(tmpl, map[string]string{"Учебный год": "2021-2022", "unused": "1"}, data),
	}
	for i, ks := range same {
		if fmt.Sprint(ks) != fmt.Sprint(base) {
			t.Errorf("variant %d: keys %v, want %v", i, ks, base)
		}
	}
	other := keys(tmpl, map[string]string{"учебный_год": "2022-2023"}, data)
	if other[0] == base[0] || base[0] == base[1] {
		t.Errorf("keys do not depend on the constants or the row: %v %v", base, other)
	}
	oneA := plan(t, readFile(t, "../../templates/orders/platforms-yearly.json"), OneOrder, platformsConsts, "a.csv", []byte("Организация;Вид площадки;Тема;Руководитель\nА;Б;В;Г\n"))
	oneB := plan(t, readFile(t, "../../templates/orders/platforms-yearly.json"), OneOrder, platformsConsts, "a.csv", []byte("Организация;Вид площадки;Тема;Руководитель\nА;Б;В;Г\nД;Е;Ж;З\n"))
	if oneA.Drafts[0].Key == oneB.Drafts[0].Key {
		t.Error("one-order keys do not depend on the rows")
	}
}

func TestTemplateErrors(t *testing.T) {
	platforms := readFile(t, "../../templates/orders/platforms-yearly.json")
	without := func(k string) map[string]string {
		m := map[string]string{}
		for key, v := range platformsConsts {
			if key != k {
				m[key] = v
			}
		}
		return m
	}
	cols := "Организация;Вид площадки;Тема;Руководитель\nА;Б;В;Г\n"
	tests := []struct {
		name   string
		tmpl   []byte
		mode   Mode
		consts map[string]string
		data   string
		want   string
	}{
		{"no column or constant", platforms, PerRow, without("методический_центр"), cols,
			"clauses[2].text: {методический_центр}: нет ни столбца, ни константы"},
		{"outside the table only constants", platforms, OneOrder, without("учебный_год"), cols,
			"appendices[0].title: {учебный_год}: нет константы с таким именем (вне строки таблицы поля заполняются только константами)"},
		{"a column missing for the table", platforms, OneOrder, platformsConsts, "Организация;Тема;Руководитель\nА;В;Г\n",
			"appendices[0].content[0].table.rows[0][1]: {Вид площадки}: нет ни столбца, ни константы"},
		{"constants make an invalid draft", platforms, OneOrder, func() map[string]string { m := without("подписант"); m["подписант"] = " "; return m }(), cols,
			"signatory.name: не заполнено"},
		{"empty constant inside a sentence", platforms, OneOrder, func() map[string]string { m := without("основание"); m["основание"] = ""; return m }(), cols,
			"preamble[0]: {основание}: константа пуста"},
		{"one-order needs a row of fields", []byte(`{"title":"{a}","clauses":[{"text":"x"}],"signatory":{"position":["p"],"name":"n"}}`), OneOrder, nil, "a\n1\n",
			"шаблон: для режима «один приказ» нужна таблица"},
		{"not JSON", []byte(`{"title": "{a}"`), PerRow, nil, "a\n1\n", "шаблон: это не JSON"},
		{"stray brace", []byte(`{"title":"{a}","clauses":[{"text":"x"}],"signatory":{"position":["p"],"name":"n"}}}`), PerRow, nil, "a\n1\n",
			`шаблон: это не JSON: после конца шаблона лишнее «}»`},
		{"unknown draft field", []byte(`{"titel":"{a}","clauses":[{"text":"x"}],"signatory":{"position":["p"],"name":"n"}}`), PerRow, nil, "a\n1\n",
			"titel: неизвестное поле"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb, err := ReadRows("t.csv", []byte(tt.data))
			must(t, err)
			_, err = NewPlan(tt.tmpl, tt.mode, tt.consts, tb)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if _, ok := order.AsProblems(err); !ok {
				t.Errorf("err is %T, want order.Problems", err)
			}
		})
	}
}

func TestPlaceholderSyntax(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"{a} и {Б в}", "1 и 2"},
		{"{{a}} {a}", "{a} 1"},
		{"{ a } {б_в?}", "1 2"},
		{"{ } {", "{ } {"},
		{"{неизвестно\n}", "{неизвестно\n}"},
	}
	for _, tt := range tests {
		segs, _ := parseSegments(tt.in)
		var b strings.Builder
		for _, s := range segs {
			switch {
			case s.ph == nil:
				b.WriteString(s.lit)
			case s.ph.key == "a":
				b.WriteString("1")
			case s.ph.key == "б в":
				b.WriteString("2")
			default:
				b.WriteString("?")
			}
		}
		if b.String() != tt.want {
			t.Errorf("%q → %q, want %q", tt.in, b.String(), tt.want)
		}
	}
}

func TestLimits(t *testing.T) {
	var b strings.Builder
	b.WriteString("a\n")
	for i := range MaxRows + 1 {
		fmt.Fprintf(&b, "%d\n", i)
	}
	if _, err := ReadRows("big.csv", []byte(b.String())); !errors.Is(err, ErrTooManyRows) {
		t.Errorf("ReadRows: err = %v, want ErrTooManyRows", err)
	}
	tb := &Table{Columns: []string{"a"}, Rows: make([]Row, MaxRows+1)}
	if _, err := NewPlan([]byte(`{}`), PerRow, nil, tb); !errors.Is(err, ErrTooManyRows) {
		t.Errorf("NewPlan: err = %v, want ErrTooManyRows", err)
	}
	if _, err := ReadRows("huge.csv", make([]byte, MaxFileSize+1)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("err = %v, want ErrTooLarge", err)
	}
	if _, err := ReadRows("old.xls", []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0}); !errors.Is(err, ErrFormat) {
		t.Errorf("xls: err = %v, want ErrFormat", err)
	}
}

func TestAppendJSONString(t *testing.T) {
	for _, s := range []string{"", "просто текст", `кавычки " и \ слэш`, "строка\nвторая\r\tтаб",
		"\x00\x01\x07\x1f\x7f", "<b>&amp;</b>", "\u2028\u2029", "«ёлка» №1 — 😀"} {
		var got string
		if err := json.Unmarshal(appendJSONString(nil, s), &got); err != nil || got != s {
			t.Errorf("%q → %s → %q, %v", s, appendJSONString(nil, s), got, err)
		}
	}
}

func FuzzAppendJSONString(f *testing.F) {
	f.Add("«Тема»\n\"x\"\\")
	f.Fuzz(func(t *testing.T, s string) {
		var got string
		if err := json.Unmarshal(appendJSONString(nil, s), &got); err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		if want := strings.ToValidUTF8(s, "\uFFFD"); got != want && utf8.ValidString(s) {
			t.Fatalf("%q → %q", s, got)
		}
	})
}

// A field may ask for a case: the value of a column or a constant is declined before it is
// put into the sentence (internal/decline), and one that opens a sentence starts with a
// capital; a case name that is not one is a template problem.
func TestDeclinedFields(t *testing.T) {
	tmpl := []byte(`{"title":"О назначении ответственного в {Организация:пред}","clauses":[
		{"text":"Назначить {Ответственный:вин} ответственным за работу площадки."},
		{"text":"{Ответственный:дат} представить отчёт до 1 июня."}],
		"control":"Контроль исполнения настоящего приказа возложить на {контроль:вин}.",
		"signatory":{"position":["Директор"],"name":"И.Г. Гусева"}}`)
	consts := map[string]string{"контроль": "заместитель начальника управления по образованию Зубова А.Н."}
	p := plan(t, tmpl, PerRow, consts, "t.csv", []byte("Организация;Ответственный\n"+
		"МБОУ «СОШ № 1»;учитель-логопед Мартынова Л.Е.\n"+
		"МБОУ «СОШ № 2»;Петров Сергей Александрович, заместитель директора\n"))
	if !p.OK() {
		t.Fatalf("problems: %v", p.Problems)
	}
	want := [][3]string{
		{"Назначить учителя-логопеда Мартынову Л.Е. ответственным за работу площадки.", "Учителю-логопеду Мартыновой Л.Е. представить отчёт до 1 июня."},
		{"Назначить Петрова Сергея Александровича, заместителя директора ответственным за работу площадки.", "Петрову Сергею Александровичу, заместителю директора представить отчёт до 1 июня."},
	}
	for i, d := range p.Drafts {
		got := [2]string{d.Draft.Clauses[0].Text, d.Draft.Clauses[1].Text}
		exp := [2]string{want[i][0], want[i][1]}
		if got != exp {
			t.Errorf("row %d: %q, want %q", i, got, exp)
		}
		if c := "Контроль исполнения настоящего приказа возложить на заместителя начальника управления по образованию Зубову А.Н."; d.Draft.Control != c {
			t.Errorf("row %d: control %q, want %q", i, d.Draft.Control, c)
		}
	}
	if got := p.Drafts[0].Draft.Title; got != "О назначении ответственного в МБОУ «СОШ № 1»" {
		t.Errorf("title %q: an organization's name stays as it is", got)
	}

	tb, err := ReadRows("t.csv", []byte("a\n1\n"))
	must(t, err)
	_, err = NewPlan([]byte(`{"title":"{a:датв}","clauses":[{"text":"x"}],"signatory":{"position":["p"],"name":"n"}}`), PerRow, nil, tb)
	if want := "title: {a:датв}: «датв» — не падеж"; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("err = %v, want %q", err, want)
	}
}

// The fields of the yearly template as the batch page lists them, and the sample files made
// from them read back as a table with those columns.
func TestFields(t *testing.T) {
	fields, err := Fields(readFile(t, "../../templates/orders/platforms-yearly.json"), OneOrder)
	must(t, err)
	got, err := json.MarshalIndent(fields, "", "  ")
	must(t, err)
	golden(t, "platforms-yearly.fields.json", append(got, '\n'))

	var cols []string
	for _, f := range fields {
		if f.Column {
			cols = append(cols, f.Name)
		}
	}
	if len(cols) == 0 {
		t.Fatal("no column fields in the one_order template")
	}
	xlsx, err := SampleXLSX(fields)
	must(t, err)
	for name, data := range map[string][]byte{"sample.csv": SampleCSV(fields), "sample.xlsx": xlsx} {
		tb, err := ReadRows(name, data)
		must(t, err)
		if fmt.Sprint(tb.Columns) != fmt.Sprint(cols) || len(tb.Rows) != 1 {
			t.Errorf("%s: columns %q, %d rows; want %q and one row", name, tb.Columns, len(tb.Rows), cols)
		}
	}

	fields, err = Fields([]byte(`{"title":"О {тема}","date":"{Дата приказа}","clauses":[{"text":"Назначить {ответственный:вин}; {примечание?}"},
		{"text":"{ответственный:дат} представить {количество отчётов}"}],"signatory":{"position":["Директор"],"name":"{подписант}"}}`), PerRow)
	must(t, err)
	want := []Field{
		{Name: "ответственный", Kind: KindPerson, Required: true, Cases: []string{"вин", "дат"}, Column: true, Example: "заместитель директора Иванова И.И.", Paths: []string{"clauses[0].text", "clauses[1].text"}},
		{Name: "примечание", Kind: KindText, Column: true, Example: "…", Paths: []string{"clauses[0].text"}},
		{Name: "количество отчётов", Kind: KindNumber, Required: true, Column: true, Example: "1", Paths: []string{"clauses[1].text"}},
		{Name: "Дата приказа", Kind: KindDate, Required: true, Column: true, Example: "01.09.2025", Paths: []string{"date"}},
		{Name: "подписант", Kind: KindPerson, Required: true, Column: true, Example: "И.Г. Гусева", Paths: []string{"signatory.name"}},
		{Name: "тема", Kind: KindText, Required: true, Column: true, Example: "Функциональная грамотность", Paths: []string{"title"}},
	}
	if !reflect.DeepEqual(fields, want) {
		g, _ := json.MarshalIndent(fields, "", " ")
		t.Errorf("fields:\n%s", g)
	}
}
