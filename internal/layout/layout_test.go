package layout

import (
	"os"
	"strings"
	"testing"

	"orders/internal/order"
)

func draft(mut func(d *order.Draft)) *order.Draft {
	d := &order.Draft{
		Letterhead: &order.Letterhead{Name: "УПРАВЛЕНИЕ", ShortName: "МБУ «ЦИМС»"},
		Title:      "О работе",
		Clauses:    []order.Clause{{Text: "Первый."}},
		Signatory:  order.Signatory{Position: []string{"Директор"}, Name: "И.Г. Гусева"},
		Date:       "2021-08-24",
		Number:     "37-о",
	}
	if mut != nil {
		mut(d)
	}
	return d
}

func build(t *testing.T, d *order.Draft) *Doc {
	t.Helper()
	if err := d.Validate(); err != nil {
		t.Fatalf("invalid test draft: %v", err)
	}
	doc, err := Build(d, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func lines(doc *Doc) []string {
	return strings.Split(strings.TrimSpace(strings.ReplaceAll(doc.PlainText(), "\u00a0", " ")), "\n")
}

func has(t *testing.T, doc *Doc, want ...string) {
	t.Helper()
	got := lines(doc)
	for _, w := range want {
		found := false
		for _, l := range got {
			if l == w {
				found = true
			}
		}
		if !found {
			t.Errorf("no line %q in:\n%s", w, strings.Join(got, "\n"))
		}
	}
}

func TestLayout(t *testing.T) {
	cases := []struct {
		name string
		mut  func(d *order.Draft)
		want []string
	}{
		{"clause numbering four levels", func(d *order.Draft) {
			d.Clauses = []order.Clause{
				{Text: "Один."},
				{Text: "Два:", Children: []order.Clause{
					{Text: "a;"},
					{Text: "b:", Children: []order.Clause{{Text: "c:", Children: []order.Clause{{Text: "d."}}}, {Text: "e."}}},
				}},
				{Text: "Три."},
			}
			d.Control = "Контроль оставляю за собой."
		}, []string{"1. Один.", "2. Два:", "2.1. a;", "2.2. b:", "2.2.1. c:", "2.2.1.1. d.", "2.2.2. e.", "3. Три.", "4. Контроль оставляю за собой."}},
		{"appendix reference before the full stop", func(d *order.Draft) {
			d.Clauses = []order.Clause{{Text: "Утвердить положение.", Appendix: "reg"}, {Text: "Утвердить перечень", Appendix: "list"}}
			d.Appendices = []order.Appendix{
				{Key: "list", Title: "Перечень", Content: []order.Block{{Paragraph: "п"}}},
				{Key: "reg", Title: "Положение", Content: []order.Block{{Paragraph: "п"}}},
			}
		}, []string{"1. Утвердить положение (приложение 2).", "2. Утвердить перечень (приложение 1)"}},
		{"custom reference pattern", func(d *order.Draft) {
			d.AppendixRef = "(Приложение №{n})"
			d.Clauses = []order.Clause{{Text: "Организовать;", Appendix: "a"}}
			d.Appendices = []order.Appendix{{Key: "a", Title: "П", Content: []order.Block{{Paragraph: "п"}}}, {Key: "b", Title: "Б", Content: []order.Block{{Paragraph: "п"}}}}
		}, []string{"1. Организовать (Приложение №1);"}},
		{"single appendix is unnumbered", func(d *order.Draft) {
			d.Clauses = []order.Clause{{Text: "Утвердить положение.", Appendix: "a"}}
			d.Appendices = []order.Appendix{{Key: "a", Title: "Положение", Content: []order.Block{{Paragraph: "п"}}}}
		}, []string{"1. Утвердить положение (приложение).", "Приложение", "к приказу МБУ «ЦИМС»"}},
		{"single appendix with a custom pattern", func(d *order.Draft) {
			d.AppendixRef = "(Приложение № {n})"
			d.Clauses = []order.Clause{{Text: "Утвердить положение.", Appendix: "a"}}
			d.Appendices = []order.Appendix{{Key: "a", Approved: true, Title: "Положение", Content: []order.Block{{Paragraph: "п"}}}}
		}, []string{"1. Утвердить положение (Приложение).", "Приложение", "УТВЕРЖДЕНО"}},
		{"deadline and responsible", func(d *order.Draft) {
			d.Clauses = []order.Clause{{Text: "Провести анализ.", Deadline: "до 01.10.2022", Responsible: "Рожкова Т.В."}}
		}, []string{"1. Провести анализ (срок — до 01.10.2022; ответственный — Рожкова Т.В.)."}},
		{"appendix mark of a registered order", func(d *order.Draft) {
			d.Appendices = []order.Appendix{{Key: "a", Title: "Перечень", Content: []order.Block{{Paragraph: "п"}}}}
		}, []string{"Приложение", "к приказу МБУ «ЦИМС»", "от 24.08.2021 № 37-о", "Перечень"}},
		{"approval grif", func(d *order.Draft) {
			d.Appendices = []order.Appendix{{Key: "a", Approved: true, Title: "Положение", Content: []order.Block{{Paragraph: "п"}}}}
		}, []string{"УТВЕРЖДЕНО", "приказом МБУ «ЦИМС»", "от 24.08.2021 № 37-о"}},
		{"draft has ПРОЕКТ and blanks", func(d *order.Draft) {
			d.Number, d.Date = "", ""
			d.Appendices = []order.Appendix{{Key: "a", Title: "Перечень", Content: []order.Block{{Paragraph: "п"}}}}
		}, []string{"ПРОЕКТ", BlankDate + " № " + BlankNumber, "от " + BlankDate + " № " + BlankNumber}},
		{"verbal date", func(d *order.Draft) { d.DateStyle = "verbal" }, []string{"24 августа 2021 г. № 37-о"}},
		{"распоряжение words", func(d *order.Draft) {
			d.Kind = order.KindRasporyazhenie
			d.Appendices = []order.Appendix{{Key: "a", Title: "П", Content: []order.Block{{Paragraph: "п"}}}}
			d.Acknowledgement = &order.Acknowledgement{People: []order.Person{{Name: "А.Б. Иванов"}, {Name: "В.Г. Петров"}}}
		}, []string{"РАСПОРЯЖЕНИЕ", "ОБЯЗЫВАЮ:", "к распоряжению МБУ «ЦИМС»", "С распоряжением ознакомлены:"}},
		{"one person reads", func(d *order.Draft) {
			d.Acknowledgement = &order.Acknowledgement{People: []order.Person{{Name: "А.Б. Иванов"}}}
		}, []string{"С приказом ознакомлен(а):"}},
		{"1) and а) sub-items", func(d *order.Draft) {
			d.Numbering = []string{"decimal", "paren"}
			d.Clauses = []order.Clause{
				{Text: "Один:", Children: []order.Clause{{Text: "раз;"}, {Text: "два:", Children: []order.Clause{{Text: "x;"}, {Text: "y."}}}}},
				{Text: "Два:", Children: []order.Clause{{Text: "снова;"}}},
				{Text: "Три:", Numbering: "decimal", Children: []order.Clause{{Text: "вложенный."}}},
				{Text: "Четыре:", Numbering: "dash", Children: []order.Clause{{Text: "тире;"}}},
			}
		}, []string{"1. Один:", "1) раз;", "2) два:", "а) x;", "б) y.", "2. Два:", "1) снова;", "3. Три:", "3.1. вложенный.", "4. Четыре:", "– тире;"}},
		{"control clause in the middle", func(d *order.Draft) {
			d.Clauses = []order.Clause{{Text: "Первый."}, {Text: "Настоящий приказ вступает в силу со дня его подписания."}}
			d.Control = "Контроль оставляю за собой."
			d.ControlAt = 2
		}, []string{"1. Первый.", "2. Контроль оставляю за собой.", "3. Настоящий приказ вступает в силу со дня его подписания."}},
		{"operative word at the end of the preamble", func(d *order.Draft) {
			d.Preamble = []string{"На основании устава,", "в целях развития сети площадок"}
			d.OperativeAt = "preamble"
		}, []string{"На основании устава,", "в целях развития сети площадок приказываю:", "1. Первый."}},
		{"personnel clause", func(d *order.Draft) {
			d.Clauses = []order.Clause{
				{Action: "принять", Person: "Иванову Марию Петровну", Position: "на должность учителя начальных классов", Date: "2023-09-01",
					Text: "на основное место работы, постоянно, с окладом согласно штатному расписанию.", Basis: "заявление Ивановой М.П. от 25.08.2023."},
				{Action: "Уволить", Person: "Сидорова Петра Ивановича, учителя истории,", Date: "2023-08-31"},
			}
		}, []string{"1. ПРИНЯТЬ Иванову Марию Петровну на должность учителя начальных классов с 01.09.2023 на основное место работы, постоянно, с окладом согласно штатному расписанию.",
			"Основание: заявление Ивановой М.П. от 25.08.2023.", "2. УВОЛИТЬ Сидорова Петра Ивановича, учителя истории, 31.08.2023."}},
		{"council decision", func(d *order.Draft) {
			d.Kind = order.KindReshenie
			d.Heading = "РЕШЕНИЕ\nПЕДАГОГИЧЕСКОГО СОВЕТА"
			d.Number, d.Unnumbered, d.DatePlace = "", true, "title"
			d.Protocol = &order.Protocol{Number: "1", Date: "2023-08-30"}
			d.OperativeAt = "none"
			d.Signatory = order.Signatory{Position: []string{"Председатель педагогического совета"}, Name: "И.Г. Гусева"}
			d.Signatories = []order.Signatory{{Position: []string{"Секретарь"}, Name: "О.В. Петрова"}}
		}, []string{"РЕШЕНИЕ", "ПЕДАГОГИЧЕСКОГО СОВЕТА", "О работе", "24.08.2021", "Протокол от 30.08.2023 № 1", "1. Первый.",
			"Председатель педагогического совета И.Г. Гусева", "Секретарь О.В. Петрова"}},
		{"решение and overrides", func(d *order.Draft) { d.Kind = order.KindReshenie; d.Operative = "РЕШИЛИ" }, []string{"РЕШЕНИЕ", "РЕШИЛИ:"}},
		{"spaced operative", func(d *order.Draft) { d.SpacedOperative = true }, []string{"П Р И К А З Ы В А Ю:"}},
		{"sections and points restart per appendix", func(d *order.Draft) {
			sec := order.Block{Section: &order.Section{Title: "Общие положения", Content: []order.Block{
				{Point: &order.Point{Text: "Первый", Content: []order.Block{{Point: &order.Point{Text: "Вложенный"}}}}},
				{Point: &order.Point{Text: "Второй"}},
			}}}
			d.Appendices = []order.Appendix{
				{Key: "a", Title: "A", Content: []order.Block{{Point: &order.Point{Text: "Пункт A"}}}},
				{Key: "b", Title: "B", Content: []order.Block{sec, {Section: &order.Section{Title: "Заключение"}}}},
			}
		}, []string{"1. Пункт A", "1. Общие положения", "1.1. Первый", "1.1.1. Вложенный", "1.2. Второй", "2. Заключение"}},
		{"numbered table", func(d *order.Draft) {
			d.Appendices = []order.Appendix{{Key: "a", Title: "T", Content: []order.Block{{Table: &order.Table{
				Numbered: true, Columns: []order.Column{{Title: "ОО"}, {Title: "Тема"}},
				Rows: [][]string{{"Школа", "Тема 1"}, {"Лицей", "Тема 2"}}}}}}}
		}, []string{"№ ОО Тема", "1 Школа Тема 1", "2 Лицей Тема 2"}},
		{"acknowledgement sheet", func(d *order.Draft) {
			d.Acknowledgement = &order.Acknowledgement{Style: "sheet", People: []order.Person{{Name: "Л.Е. Мартынова", Position: "заместитель", Date: "2021-08-25"}}}
		}, []string{"ЛИСТ ОЗНАКОМЛЕНИЯ", "с приказом от 24.08.2021 № 37-о «О работе»", "1 Л.Е. Мартынова заместитель 25.08.2021"}},
		{"signature", nil, []string{"Директор И.Г. Гусева"}},
		{"executor", func(d *order.Draft) {
			d.Executor = &order.Executor{Name: "Морозова И.А.", Phone: "8 (384) 44-2-11"}
		}, []string{"Исп. Морозова И.А."}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { has(t, build(t, draft(c.mut)), c.want...) })
	}
}

func TestKeepWithSignature(t *testing.T) {
	doc := build(t, draft(nil))
	for i, b := range doc.Body {
		if b.Kind == SignatureBlock {
			if i == 0 || !doc.Body[i-1].KeepWithNext {
				t.Fatal("the block before the signature must keep with it")
			}
			return
		}
	}
	t.Fatal("no signature block")
}

func TestAppendixStartsPage(t *testing.T) {
	doc := build(t, draft(func(d *order.Draft) {
		d.Appendices = []order.Appendix{{Key: "a", Title: "A", Content: []order.Block{{Paragraph: "п"}}}, {Key: "b", Title: "B", Content: []order.Block{{Paragraph: "п"}}}}
	}))
	breaks := 0
	for _, b := range doc.Body {
		if b.PageBreakBefore {
			breaks++
			if !strings.HasPrefix(b.Text, "Приложение ") {
				t.Errorf("page break before %q", b.Text)
			}
		}
	}
	if breaks != 2 {
		t.Errorf("want 2 page breaks, got %d", breaks)
	}
}

func TestTableWidthsSumToOne(t *testing.T) {
	tb := table(&order.Table{Numbered: true, Columns: []order.Column{{Title: "a", Width: 3}, {Title: "b"}}})
	var s float64
	for _, w := range tb.Widths {
		s += w
	}
	if s < 0.999 || s > 1.001 || tb.Widths[1] <= tb.Widths[2] {
		t.Errorf("widths %v", tb.Widths)
	}
}

func TestCancelledMark(t *testing.T) {
	for _, tc := range []struct {
		kind       order.Kind
		mark, line string
	}{
		{order.KindPrikaz, "ОТМЕНЁН", "Приказ отменён 05.12.2026 (Зубова А.Н.). Причина: издан ошибочно."},
		{order.KindReshenie, "ОТМЕНЕНО", "Решение отменено 05.12.2026 (Зубова А.Н.). Причина: издан ошибочно."},
	} {
		doc := build(t, draft(func(d *order.Draft) {
			d.Kind = tc.kind
			d.Cancelled = &order.Cancellation{Date: "2026-12-05", Reason: "издан ошибочно.", By: "Зубова А.Н."}
		}))
		if doc.Head.DraftMark != tc.mark {
			t.Errorf("%s: mark %q, want %q", tc.kind, doc.Head.DraftMark, tc.mark)
		}
		has(t, doc, tc.line)
		if first := strings.ReplaceAll(doc.Body[0].Text, "\u00a0", " "); first != tc.line || !doc.Body[0].Bold {
			t.Errorf("%s: the mark is not the first block: %q", tc.kind, first)
		}
		if !strings.HasSuffix(doc.Meta.Title, "("+strings.ToLower(tc.mark)+")") {
			t.Errorf("%s: Meta.Title %q does not say cancelled", tc.kind, doc.Meta.Title)
		}
	}
	// A draft is never «cancelled»: it has no number to cancel.
	doc := build(t, draft(func(d *order.Draft) { d.Number, d.Date, d.Cancelled = "", "", &order.Cancellation{Reason: "x"} }))
	if doc.Head.DraftMark != "ПРОЕКТ" || strings.Contains(doc.PlainText(), "отменён") {
		t.Errorf("draft with a cancellation: mark %q", doc.Head.DraftMark)
	}
}

// TestClauseParagraphs: a line break typed in a clause starts a paragraph of the clause, and
// its content (paragraphs, dash lists) and basis follow it unnumbered, before its children.
func TestClauseParagraphs(t *testing.T) {
	doc := build(t, draft(func(d *order.Draft) {
		d.Clauses = []order.Clause{{
			Text:     "Назначить кураторами площадок:\nпо направлениям:",
			Content:  []order.Block{{List: []string{"«Цифровая школа» Петрова А.С.;", "«Точка роста» Сидорову В.В."}}, {Paragraph: "Кураторам отчитываться ежемесячно."}},
			Basis:    "решение методического совета.",
			Children: []order.Clause{{Text: "Пункт."}},
		}}
	}))
	var got []string
	for _, b := range doc.Body {
		if b.Kind == Paragraph {
			got = append(got, strings.TrimSpace(b.Label+" "+strings.ReplaceAll(b.Text, "\u00a0", " ")))
		}
	}
	want := []string{"1. Назначить кураторами площадок:", "по направлениям:", "– «Цифровая школа» Петрова А.С.;", "– «Точка роста» Сидорову В.В.",
		"Кураторам отчитываться ежемесячно.", "Основание: решение методического совета.", "1.1. Пункт."}
	for i := range got {
		if got[i] == want[0] {
			if strings.Join(got[i:i+len(want)], "|") != strings.Join(want, "|") {
				t.Fatalf("clause blocks:\n%s\nwant:\n%s", strings.Join(got[i:min(i+len(want), len(got))], "\n"), strings.Join(want, "\n"))
			}
			return
		}
	}
	t.Fatalf("no clause in %q", got)
}

// TestDateOnlyRegistration: a document registered by its date alone is no draft, prints no
// «№», and its marks and properties name the date only.
func TestDateOnlyRegistration(t *testing.T) {
	doc := build(t, draft(func(d *order.Draft) {
		d.Number, d.Unnumbered = "", true
		d.Appendices = []order.Appendix{{Key: "a", Title: "П", Content: []order.Block{{Paragraph: "п"}}}}
	}))
	if doc.Head.DraftMark != "" || doc.Head.Number != "" || doc.Head.Date != "24.08.2021" || doc.Meta.Draft {
		t.Errorf("head %+v, meta %+v", doc.Head, doc.Meta)
	}
	if doc.Meta.Title != "Приказ от 24.08.2021 «О работе»" {
		t.Errorf("title %q", doc.Meta.Title)
	}
	has(t, doc, "24.08.2021", "от 24.08.2021")
	if strings.Contains(doc.PlainText(), "№") {
		t.Errorf("a «№» printed:\n%s", doc.PlainText())
	}
	// A journal number the registry gave it stays in the registry: the document prints its date.
	doc = build(t, draft(func(d *order.Draft) { d.Unnumbered = true }))
	if doc.Head.Number != "" || strings.Contains(doc.PlainText(), "37-о") {
		t.Errorf("unnumbered with a number prints it: %+v", doc.Head)
	}
	// Without a date it is still a draft.
	doc = build(t, draft(func(d *order.Draft) { d.Number, d.Date, d.Unnumbered = "", "", true }))
	if doc.Head.DraftMark != "ПРОЕКТ" || doc.Head.Date != BlankDate || doc.Head.Number != "" {
		t.Errorf("undated: head %+v", doc.Head)
	}
}

// TestLabelsFromFormat: labels come from the same formats the DOCX numbering is made of.
func TestLabelsFromFormat(t *testing.T) {
	for _, c := range []struct {
		f     *NumFormat
		level int
		cs    []int
		want  string
	}{
		{FormatClause, 0, []int{3}, "3."},
		{FormatClause, 2, []int{1, 2, 3}, "1.2.3."},
		{FormatParen, 0, []int{12}, "12)"},
		{FormatLetter, 0, []int{1}, "а)"},
		{FormatLetter, 0, []int{10}, "к)"}, // Word skips «й»
		{FormatLetter, 0, []int{28}, "я)"},
		{FormatLetter, 0, []int{29}, "аа)"},
		{FormatDash, 0, []int{5}, "–"},
	} {
		if got := c.f.Label(c.level, c.cs); got != c.want {
			t.Errorf("%s %v: %q, want %q", c.f.Name, c.cs, got, c.want)
		}
	}
}

// TestNormalizeText: the one-pass fold gives what splitting into words and joining them with
// one space gives, for every kind of whitespace, at the ends too, and for invalid UTF-8.
func TestNormalizeText(t *testing.T) {
	for _, s := range []string{
		"", " ", "\u00a0", "слово", "  два\u00a0слова \n", "ПРОЕКТ\nот\u00a0__.__.____ №\u00a0____\n",
		"\t\r\nа\u2003б\u3000в\u0085г\u2028", "a  b", "x\xffy  \xfe", "№\u202f1355", "конец\n",
	} {
		if got, want := NormalizeText(s), normalizeReference(s); got != want {
			t.Errorf("NormalizeText(%q) = %q, want %q", s, got, want)
		}
	}
}

// normalizeReference is NormalizeText as it was written first: split into words, join.
func normalizeReference(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\u00a0", " ")), " ")
}

// BenchmarkNormalizeText folds the Balashikha order's plain text (the golden file), as
// intake does for its search text, one pass against the reference, side by side.
func BenchmarkNormalizeText(b *testing.B) {
	data, err := os.ReadFile("testdata/balashikha.txt")
	if err != nil {
		b.Fatal(err)
	}
	text := string(data)
	for _, f := range []struct {
		name string
		fold func(string) string
	}{{"one-pass", NormalizeText}, {"fields-join", normalizeReference}} {
		b.Run(f.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				f.fold(text)
			}
		})
	}
}

func TestVisaSheet(t *testing.T) {
	visas := []order.Visa{
		{Position: "Заместитель начальника", Name: "Петров П.П.", Decision: "Согласовано", Date: "2026-03-02"},
		{Position: "Юрисконсульт", Name: "Сидорова С.С.", Decision: "Согласовано с замечаниями", Remark: "Уточнить срок", Date: "2026-03-03"},
	}
	doc := build(t, draft(func(d *order.Draft) { d.Visas = visas }))
	text := NormalizeText(doc.PlainText())
	for _, want := range []string{"ЛИСТ СОГЛАСОВАНИЯ", "Должность Фамилия, инициалы Решение Замечания Дата",
		"Заместитель начальника Петров П.П. Согласовано 02.03.2026",
		"Юрисконсульт Сидорова С.С. Согласовано с замечаниями Уточнить срок 03.03.2026"} {
		if !strings.Contains(text, NormalizeText(want)) {
			t.Errorf("the Лист согласования lacks %q:\n%s", want, doc.PlainText())
		}
	}
	var sheet *Block
	for i := range doc.Body {
		if doc.Body[i].Text == "ЛИСТ СОГЛАСОВАНИЯ" {
			sheet = &doc.Body[i]
		}
	}
	if sheet == nil || !sheet.PageBreakBefore {
		t.Errorf("the Лист согласования does not start its own page: %+v", sheet)
	}
	// A draft has no visas to print: it is not yet the text that was agreed and registered.
	doc = build(t, draft(func(d *order.Draft) { d.Number, d.Date, d.Visas = "", "", visas }))
	if strings.Contains(doc.PlainText(), "ЛИСТ СОГЛАСОВАНИЯ") {
		t.Error("a draft prints a Лист согласования")
	}
}
