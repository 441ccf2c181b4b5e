package ru

import (
	"testing"
	"time"
)

func TestDates(t *testing.T) {
	cases := []struct {
		date            string
		numeric, verbal string
	}{
		{"2021-08-24", "24.08.2021", "24 августа 2021 г."},
		{"2022-09-02", "02.09.2022", "2 сентября 2022 г."},
		{"2023-01-01", "01.01.2023", "1 января 2023 г."},
		{"2024-05-31", "31.05.2024", "31 мая 2024 г."},
		{"2024-03-08", "08.03.2024", "8 марта 2024 г."},
	}
	for _, c := range cases {
		d, _ := time.Parse(time.DateOnly, c.date)
		if got := NumericDate(d); got != c.numeric {
			t.Errorf("NumericDate(%s) = %q, want %q", c.date, got, c.numeric)
		}
		want := replaceSpaces(c.verbal)
		if got := VerbalDate(d); got != want {
			t.Errorf("VerbalDate(%s) = %q, want %q", c.date, got, want)
		}
	}
}

func replaceSpaces(s string) string {
	out := []rune(s)
	for i, r := range out {
		if r == ' ' {
			out[i] = '\u00a0'
		}
	}
	return string(out)
}

func TestTypeset(t *testing.T) {
	cases := []struct{ in, want string }{
		{"подписал А.Н. Зубова сегодня", "подписал А.Н.\u00a0Зубова сегодня"},
		{"А. Н. Зубова", "А.\u00a0Н.\u00a0Зубова"},
		{"на заместителя Мартынову Л.Е.", "на заместителя Мартынову\u00a0Л.Е."},
		{"(Коротеева Т.Н.)", "(Коротеева\u00a0Т.Н.)"},
		{"приказ № 37-о", "приказ №\u00a037-о"},
		{"№1087-04", "№1087-04"},
		{"от 24 августа 2021 г. издан", "от 24\u00a0августа\u00a02021\u00a0г. издан"},
		{`ГБОУ "Академия"`, "ГБОУ «Академия»"},
		{`МБОУ "Школа "Радуга""`, "МБОУ «Школа „Радуга“»"},
		{"на базе Г.о. Балашиха", "на базе Г.о. Балашиха"},
		{"Уже «так»", "Уже «так»"},
		// Numbers stay with their units and their digit groups.
		{"выделить 5 000 руб. до 1 000 000 рублей", "выделить 5\u00a0000\u00a0руб. до 1\u00a0000\u00a0000\u00a0рублей"},
		{"не более 20 % и 3 км, за 10 дней", "не более 20\u00a0% и 3\u00a0км, за 10\u00a0дней"},
		{"в 2021 г. и 2022 году, 36 часов", "в 2021\u00a0г. и 2022\u00a0году, 36\u00a0часов"},
		{"принять 15 чел.", "принять 15\u00a0чел."},
		{"3 км и 5 м от", "3\u00a0км и 5\u00a0м от"},
		// Not units, not groups: a word that only starts like a unit, a year after a year.
		{"на 3 минуты раньше, 5 классов", "на 3 минуты раньше, 5 классов"},
		{"в 2022 2023 годах", "в 2022 2023 годах"},
		{"", ""},
	}
	for _, c := range cases {
		if got := Typeset(c.in); got != c.want {
			t.Errorf("Typeset(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestSpaced(t *testing.T) {
	if got := Spaced("ПРИКАЗЫВАЮ"); got != "П Р И К А З Ы В А Ю" {
		t.Errorf("Spaced = %q", got)
	}
}

func TestNumericDay(t *testing.T) {
	for in, want := range map[string]string{"2022-09-22": "22.09.2022", "": "", "22.09.2022": "22.09.2022", "2022-02-30": "2022-02-30"} {
		if got := NumericDay(in); got != want {
			t.Errorf("NumericDay(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestMoscowFormats: every moment is printed in Moscow time, whatever zone it comes in;
// 21:30 UTC is already the next day in Moscow.
func TestMoscowFormats(t *testing.T) {
	at := time.Date(2026, 12, 4, 21, 30, 0, 0, time.UTC)
	for _, tc := range []struct{ name, got, want string }{
		{"DateTime", DateTime(at), "05.12.2026 00:30"},
		{"DateTimeZone", DateTimeZone(at), "05.12.2026 00:30 MSK"},
		{"Day", Day(at), "2026-12-05"},
		{"NumericDate", NumericDate(at.In(Moscow)), "05.12.2026"},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %q, want %q", tc.name, tc.got, tc.want)
		}
	}
	if Today() != Day(time.Now()) {
		t.Error("Today is not the Moscow day of now")
	}
}
