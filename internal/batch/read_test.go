package batch

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"
	xunicode "golang.org/x/text/encoding/unicode"
)

// simple is what the small fixtures below should read as.
var simple = &Table{
	Columns:    []string{"Организация", "Тема"},
	HeaderLine: 1,
	Rows: []Row{
		{Line: 2, Cells: map[string]string{"Организация": "МБОУ «Усть-Чебулинская ООШ»", "Тема": "Функциональная грамотность"}},
		{Line: 3, Cells: map[string]string{"Организация": "МБОУ «Верх-Чебулинская СОШ»", "Тема": "Среда; результаты, «ё»"}},
	},
}

const simpleSemicolon = "Организация;Тема\r\n" +
	"МБОУ «Усть-Чебулинская ООШ»;Функциональная грамотность\r\n" +
	"МБОУ «Верх-Чебулинская СОШ»;\"Среда; результаты, «ё»\"\r\n"

func cp1251(t testing.TB, s string) []byte {
	t.Helper()
	b, err := charmap.Windows1251.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatalf("encode cp1251: %v", err)
	}
	return b
}

func utf16le(t testing.TB, s string) []byte {
	t.Helper()
	b, err := xunicode.UTF16(xunicode.LittleEndian, xunicode.UseBOM).NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sameRows(t *testing.T, got, want *Table) {
	t.Helper()
	if !reflect.DeepEqual(got.Columns, want.Columns) {
		t.Errorf("columns = %q, want %q", got.Columns, want.Columns)
	}
	if got.HeaderLine != want.HeaderLine {
		t.Errorf("header line = %d, want %d", got.HeaderLine, want.HeaderLine)
	}
	if !reflect.DeepEqual(got.Rows, want.Rows) {
		t.Errorf("rows =\n%+v\nwant\n%+v", got.Rows, want.Rows)
	}
	if len(got.Problems) > 0 {
		t.Errorf("problems: %v", got.Problems)
	}
}

func TestReadCSVEncodingsAndDelimiters(t *testing.T) {
	comma := strings.NewReplacer(";", ",").Replace(simpleSemicolon)
	comma = strings.Replace(comma, "\"Среда, результаты, «ё»\"", "\"Среда; результаты, «ё»\"", 1)
	tests := []struct {
		name string
		file string
		data []byte
		enc  string
	}{
		{"utf-8 semicolon", "a.csv", []byte(simpleSemicolon), EncUTF8},
		{"utf-8 comma", "a.csv", []byte(comma), EncUTF8},
		{"utf-8 BOM", "a.csv", append([]byte("\xEF\xBB\xBF"), simpleSemicolon...), EncUTF8BOM},
		{"windows-1251 twin", "a.csv", cp1251(t, simpleSemicolon), EncWindows1251},
		{"windows-1251 comma", "a.csv", cp1251(t, comma), EncWindows1251},
		{"utf-16 tab (Excel «Текст Юникод»)", "a.txt", utf16le(t, "Организация\tТема\r\nМБОУ «Усть-Чебулинская ООШ»\tФункциональная грамотность\r\nМБОУ «Верх-Чебулинская СОШ»\tСреда; результаты, «ё»\r\n"), EncUTF16},
		{"Excel sep= line", "a.csv", []byte("sep=,\n" + comma), EncUTF8},
		{"no extension", "data", []byte(simpleSemicolon), EncUTF8},
		{"LF line ends and blank tail", "a.csv", []byte(strings.ReplaceAll(simpleSemicolon, "\r\n", "\n") + "\n;\n\n"), EncUTF8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadRows(tt.file, tt.data)
			if err != nil {
				t.Fatal(err)
			}
			if got.Format != "csv" || got.Encoding != tt.enc {
				t.Errorf("format, encoding = %s, %s; want csv, %s", got.Format, got.Encoding, tt.enc)
			}
			sameRows(t, got, simple)
		})
	}
}

func TestReadCSVQuotedNewlinesKeepSpreadsheetRowNumbers(t *testing.T) {
	data := "Организация,Тема,Руководитель\n" + // row 1
		"\"МБОУ \"\"СОШ №1\"\"\",\"Тема на\nдвух строках\",Иванова\n" + // row 2, two physical lines
		"\n" + // row 3: blank, Excel shows an empty row
		"МБОУ СОШ №2,\"a, b\",\"три\r\nстроки\r\nтут\"\n" + // row 4
		"МБОУ СОШ №3,Тема,Петров" // row 5, no final newline
	got, err := ReadRows("x.csv", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	want := []Row{
		{Line: 2, Cells: map[string]string{"Организация": `МБОУ "СОШ №1"`, "Тема": "Тема на\nдвух строках", "Руководитель": "Иванова"}},
		{Line: 4, Cells: map[string]string{"Организация": "МБОУ СОШ №2", "Тема": "a, b", "Руководитель": "три\nстроки\nтут"}},
		{Line: 5, Cells: map[string]string{"Организация": "МБОУ СОШ №3", "Тема": "Тема", "Руководитель": "Петров"}},
	}
	if !reflect.DeepEqual(got.Rows, want) {
		t.Errorf("rows =\n%+v\nwant\n%+v", got.Rows, want)
	}
}

func TestReadHeaderRules(t *testing.T) {
	tests := []struct {
		name     string
		data     string
		cols     []string
		warnings int
		err      string
	}{
		{"trimmed, trailing empty dropped", " Организация ;Тема ;;\nа;б;;\n", []string{"Организация", "Тема"}, 0, ""},
		{"duplicate by case", "Тема;Организация;тема\n", nil, 0, "столбцы 1 «Тема» и 3 «тема»"},
		{"duplicate by ё", "Учёт;Учет\n", nil, 0, "столбцы 1 «Учёт» и 2 «Учет»"},
		{"unnamed column with data warns", "Организация;;Тема\nа;заметка;б\n", []string{"Организация", "Тема"}, 1, ""},
		{"leading blank lines", "\n;;\nОрганизация;Тема\nа;б\n", []string{"Организация", "Тема"}, 0, ""},
		{"bare quote in header", "Орг\"анизация;Тема\n", nil, 0, "строка 1 (заголовок)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadRows("h.csv", []byte(tt.data))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) || !errors.Is(err, ErrFormat) {
					t.Fatalf("err = %v, want ErrFormat with %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.Columns, tt.cols) || len(got.Warnings) != tt.warnings {
				t.Errorf("columns %q warnings %q; want %q and %d warnings", got.Columns, got.Warnings, tt.cols, tt.warnings)
			}
		})
	}
}

func TestReadJSON(t *testing.T) {
	tests := []struct {
		name string
		data string
	}{
		{"array", `[{"Организация":"МБОУ «Усть-Чебулинская ООШ»","Тема":"Функциональная грамотность"},
			{"Организация":"МБОУ «Верх-Чебулинская СОШ»","тема":"Среда; результаты, «ё»"}]`},
		{"rows object", `{"rows":[{"Организация":"МБОУ «Усть-Чебулинская ООШ»","Тема":"Функциональная грамотность"},
			{"Тема":"Среда; результаты, «ё»","Организация":"  МБОУ «Верх-Чебулинская СОШ» "}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadRows("rows.json", []byte(tt.data))
			if err != nil {
				t.Fatal(err)
			}
			want := *simple
			want.HeaderLine = 0
			want.Rows = []Row{{Line: 1, Cells: simple.Rows[0].Cells}, {Line: 2, Cells: simple.Rows[1].Cells}}
			sameRows(t, got, &want)
		})
	}

	got, err := ReadRows("", []byte(`[{"Номер": 12, "Флаг": true, "Пусто": null, "Вложено": {"a": 1}}, 5]`))
	if err != nil {
		t.Fatal(err)
	}
	wantCells := map[string]string{"Номер": "12", "Флаг": "true", "Пусто": ""}
	if !reflect.DeepEqual(got.Rows[0].Cells, wantCells) {
		t.Errorf("cells = %v, want %v", got.Rows[0].Cells, wantCells)
	}
	wantProblems := []RowProblem{
		{Line: 1, Column: "Вложено", Message: "значение должно быть строкой, а не объектом или массивом"},
		{Line: 2, Message: "ожидается объект с полями-столбцами"},
	}
	if !reflect.DeepEqual(got.Problems, wantProblems) {
		t.Errorf("problems = %v, want %v", got.Problems, wantProblems)
	}

	for _, bad := range []string{`{"data": []}`, `"text"`, `[{"a":"1"}] [1]`, `[{"a":"1"}]]`, `{"rows": [{"a":"1"}]}}`, `[{"Тема":"1","тема":"2"}]`} {
		if _, err := ReadRows("x.json", []byte(bad)); !errors.Is(err, ErrFormat) {
			t.Errorf("%s: err = %v, want ErrFormat", bad, err)
		}
	}
}

// xlsxFile builds a workbook in memory, the way a clerk's platforms list looks.
func xlsxFile(t testing.TB, build func(f *excelize.File, sheet string)) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	build(f, "Sheet1")
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestReadXLSXMergedHeader(t *testing.T) {
	dateStyle := func(f *excelize.File) int {
		s, err := f.NewStyle(&excelize.Style{NumFmt: 14})
		must(t, err)
		return s
	}
	// Data rows 5–7 and what they read as, shared by the layouts below.
	data := func(f *excelize.File, sh string, first int) {
		rows := [][]any{
			{1, "МБОУ «Усть-Чебулинская ООШ»", "Функциональная грамотность", "Коротеева Т.Н.", time.Date(2021, 8, 24, 0, 0, 0, 0, time.UTC)},
			{2, "МБОУ «Верх-Чебулинская СОШ»", "Развитие школьной\nсреды", "Данильченко В.В.", 44433},
			{3.5, "МБОУ «СОШ №3»", "Тема", "Иванов И.И.", "01.09.2021"},
		}
		for i, r := range rows {
			cell, _ := excelize.CoordinatesToCellName(1, first+i)
			must(t, f.SetSheetRow(sh, cell, &r))
		}
		ds := dateStyle(f)
		for i := range 2 {
			cell, _ := excelize.CoordinatesToCellName(5, first+i)
			must(t, f.SetCellStyle(sh, cell, cell, ds))
		}
		// Formatted but empty rows and a column below and right of the table, as a
		// spreadsheet that was once longer leaves them.
		empty, err := f.NewStyle(&excelize.Style{Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFFF00"}}})
		must(t, err)
		from, _ := excelize.CoordinatesToCellName(1, first+3)
		to, _ := excelize.CoordinatesToCellName(7, first+10)
		must(t, f.SetCellStyle(sh, from, to, empty))
		must(t, f.SetCellValue(sh, to, ""))
	}
	cols := []string{"№", "Организация", "Тема", "Руководитель", "Дата"}
	rowsAt := func(first int) []Row {
		return []Row{
			{Line: first, Cells: map[string]string{"№": "1", "Организация": "МБОУ «Усть-Чебулинская ООШ»", "Тема": "Функциональная грамотность", "Руководитель": "Коротеева Т.Н.", "Дата": "24.08.2021"}},
			{Line: first + 1, Cells: map[string]string{"№": "2", "Организация": "МБОУ «Верх-Чебулинская СОШ»", "Тема": "Развитие школьной\nсреды", "Руководитель": "Данильченко В.В.", "Дата": "25.08.2021"}},
			{Line: first + 2, Cells: map[string]string{"№": "3.5", "Организация": "МБОУ «СОШ №3»", "Тема": "Тема", "Руководитель": "Иванов И.И.", "Дата": "01.09.2021"}},
		}
	}
	tests := []struct {
		name   string
		build  func(f *excelize.File, sh string)
		header int
		wide   bool
	}{
		{"title, vertical and horizontal merges", func(f *excelize.File, sh string) {
			must(t, f.SetCellValue(sh, "A1", "Перечень стажировочных площадок"))
			must(t, f.MergeCell(sh, "A1", "E1"))
			must(t, f.SetSheetRow(sh, "A3", &[]any{"№", "Площадка", nil, "Руководитель", "Дата"}))
			must(t, f.SetSheetRow(sh, "B4", &[]any{"Организация", "Тема"}))
			for _, m := range [][2]string{{"A3", "A4"}, {"B3", "C3"}, {"D3", "D4"}, {"E3", "E4"}} {
				must(t, f.MergeCell(sh, m[0], m[1]))
			}
			data(f, sh, 5)
		}, 4, false},
		{"group header without vertical merges", func(f *excelize.File, sh string) {
			must(t, f.SetSheetRow(sh, "A1", &[]any{"№", "Площадка", nil, "Руководитель", "Дата"}))
			must(t, f.MergeCell(sh, "B1", "C1"))
			must(t, f.SetSheetRow(sh, "B2", &[]any{"Организация", "Тема"}))
			data(f, sh, 3)
		}, 2, false},
		{"plain one-row header", func(f *excelize.File, sh string) {
			must(t, f.SetSheetRow(sh, "A1", &[]any{"№", "Организация", "Тема", "Руководитель", "Дата"}))
			data(f, sh, 2)
		}, 1, false},
		{"wide merged column is not a group", func(f *excelize.File, sh string) {
			// «Тема» spans C:D in the header and in every data row: one column, not a group.
			must(t, f.SetSheetRow(sh, "A1", &[]any{"№", "Организация", "Тема", nil, "Руководитель", "Дата"}))
			must(t, f.MergeCell(sh, "C1", "D1"))
			must(t, f.SetSheetRow(sh, "A2", &[]any{1, "МБОУ «Усть-Чебулинская ООШ»", "Функциональная грамотность", nil, "Коротеева Т.Н.", "24.08.2021"}))
			must(t, f.MergeCell(sh, "C2", "D2"))
		}, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadRows("platforms.xlsx", xlsxFile(t, tt.build))
			if err != nil {
				t.Fatal(err)
			}
			want := &Table{Columns: cols, HeaderLine: tt.header, Rows: rowsAt(tt.header + 1)}
			if tt.wide {
				want.Rows = want.Rows[:1]
			}
			sameRows(t, got, want)
			if len(got.Warnings) > 0 {
				t.Errorf("warnings: %q", got.Warnings)
			}
		})
	}
}

func TestReadXLSXSheetsAndDisplayedValues(t *testing.T) {
	data := xlsxFile(t, func(f *excelize.File, sh string) {
		must(t, f.SetSheetRow(sh, "A1", &[]any{"Лист", "первый"}))
		_, err := f.NewSheet("Площадки 2022")
		must(t, err)
		sh = "Площадки 2022"
		must(t, f.SetSheetRow(sh, "A1", &[]any{"ИНН", "Доля", "Сумма", "Дата и время", "Формула"}))
		must(t, f.SetSheetRow(sh, "A2", &[]any{7701234567, 0.1 + 0.2, 1234.5, time.Date(2022, 9, 22, 10, 30, 0, 0, time.UTC), nil}))
		must(t, f.SetCellFormula(sh, "E2", "A2*0+2"))
		must(t, f.SetCellValue(sh, "E2", 2))
		money, err := f.NewStyle(&excelize.Style{NumFmt: 4}) // #,##0.00
		must(t, err)
		must(t, f.SetCellStyle(sh, "C2", "C2", money))
		must(t, f.SetCellValue(sh, "H2", "заметка сбоку"))
	})
	got, err := ReadRowsWith("book.xlsx", data, ReadOptions{Sheet: "площадки 2022"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"ИНН": "7701234567", "Доля": "0.3", "Сумма": "1,234.50", "Дата и время": "22.09.2022 10:30", "Формула": "2"}
	if !reflect.DeepEqual(got.Rows[0].Cells, want) {
		t.Errorf("cells = %q, want %q", got.Rows[0].Cells, want)
	}
	// A note beside a spreadsheet table is not a shifted row, as it would be in CSV.
	if want := []string{"столбец 8 без заголовка: его непустые ячейки (1) не используются"}; len(got.Problems) > 0 || !reflect.DeepEqual(got.Warnings, want) {
		t.Errorf("problems %v, warnings %q; want none and %q", got.Problems, got.Warnings, want)
	}
	first, err := ReadRows("book.xlsx", data)
	if err != nil || first.Columns[0] != "Лист" {
		t.Errorf("first sheet: %v, %v", first, err)
	}
	if _, err := ReadRowsWith("book.xlsx", data, ReadOptions{Sheet: "Нет такого"}); err == nil || !strings.Contains(err.Error(), "есть: «Sheet1», «Площадки 2022»") {
		t.Errorf("unknown sheet: %v", err)
	}
	if _, err := ReadRows("broken.xlsx", data[:len(data)/2]); !errors.Is(err, ErrFormat) {
		t.Errorf("truncated workbook: %v", err)
	}
}
