package layout

import (
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
			d.Appendices = []order.Appendix{{Key: "a", Title: "П", Content: []order.Block{{Paragraph: "п"}}}}
		}, []string{"1. Организовать (Приложение №1);"}},
		{"deadline and responsible", func(d *order.Draft) {
			d.Clauses = []order.Clause{{Text: "Провести анализ.", Deadline: "до 01.10.2022", Responsible: "Рожкова Т.В."}}
		}, []string{"1. Провести анализ (срок — до 01.10.2022; ответственный — Рожкова Т.В.)."}},
		{"appendix mark of a registered order", func(d *order.Draft) {
			d.Appendices = []order.Appendix{{Key: "a", Title: "Перечень", Content: []order.Block{{Paragraph: "п"}}}}
		}, []string{"Приложение 1", "к приказу МБУ «ЦИМС»", "от 24.08.2021 № 37-о", "Перечень"}},
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
			d.Acknowledgement = &order.Acknowledgement{People: []order.Person{{Name: "А.Б. Иванов"}}}
		}, []string{"РАСПОРЯЖЕНИЕ", "ОБЯЗЫВАЮ:", "к распоряжению МБУ «ЦИМС»", "С распоряжением ознакомлены:"}},
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
