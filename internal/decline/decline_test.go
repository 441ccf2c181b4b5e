package decline

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

// readTable reads rows of six «|»-separated forms, skipping comments.
func readTable(t *testing.T, path string) [][6]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows [][6]string
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.Split(line, "|")
		if len(parts) != 6 {
			t.Fatalf("%s:%d: %d forms, want 6", path, n, len(parts))
		}
		rows = append(rows, [6]string(parts))
	}
	return rows
}

var allCases = []Case{Nominative, Genitive, Dative, Accusative, Instrumental, Prepositional}

func TestNamesFull(t *testing.T) {
	rows := readTable(t, "testdata/names.txt")
	pairs := 0
	for _, row := range rows {
		for _, c := range allCases {
			pairs++
			if got := Name(row[0], c); got != row[c] {
				t.Errorf("Name(%q, %s) = %q, want %q", row[0], c, got, row[c])
			}
			if got := Phrase(row[0], c); got != row[c] {
				t.Errorf("Phrase(%q, %s) = %q, want %q", row[0], c, got, row[c])
			}
		}
	}
	if pairs < 300 {
		t.Errorf("only %d name × case pairs, want ≥ 300", pairs)
	}
}

// The same people written as a clerk writes them: «Мартынова Л.Е.», «Л.Е. Мартынова» (also
// with a non-breaking space), «Людмила Евгеньевна Мартынова». With initials only, the
// gender comes from the surname; a surname that does not tell it (Мельник, Бабич) is left
// as it is — a woman's would not decline, and guessing a man would be wrong for her.
func TestNameForms(t *testing.T) {
	ambiguous := map[string]bool{"Сидорчук": true, "Мельник": true, "Бабич": true, "Арутюнян": true,
		"Рыбак": true, "Кравец": true, "Бонч-Бруевич": true}
	for _, row := range readTable(t, "testdata/names.txt") {
		nom := strings.Fields(row[0])
		initials := string([]rune(nom[1])[:1]) + "." + string([]rune(nom[2])[:1]) + "."
		for _, c := range allCases {
			want := strings.Fields(row[c])
			if ambiguous[nom[0]] {
				want[0] = nom[0]
			}
			for _, tc := range []struct{ in, want string }{
				{nom[0] + " " + initials, want[0] + " " + initials},
				{initials + " " + nom[0], initials + " " + want[0]},
				{initials + "\u00a0" + nom[0], initials + "\u00a0" + want[0]},
				{nom[1] + " " + nom[2] + " " + nom[0], strings.Fields(row[c])[1] + " " + strings.Fields(row[c])[2] + " " + strings.Fields(row[c])[0]},
			} {
				if got := Phrase(tc.in, c); got != tc.want {
					t.Errorf("Phrase(%q, %s) = %q, want %q", tc.in, c, got, tc.want)
				}
			}
		}
	}
}

func TestPositions(t *testing.T) {
	rows := readTable(t, "testdata/positions.txt")
	if len(rows) < 50 {
		t.Errorf("only %d positions, want ≥ 50", len(rows))
	}
	for _, row := range rows {
		for _, c := range allCases {
			if got := Position(row[0], c); got != row[c] {
				t.Errorf("Position(%q, %s) = %q, want %q", row[0], c, got, row[c])
			}
			if got := Phrase(row[0], c); got != row[c] {
				t.Errorf("Phrase(%q, %s) = %q, want %q", row[0], c, got, row[c])
			}
		}
	}
}

func TestPhrase(t *testing.T) {
	for _, tc := range []struct {
		in   string
		c    Case
		want string
	}{
		{"заместитель директора по УВР Мартынова Л.Е.", Accusative, "заместителя директора по УВР Мартынову Л.Е."},
		{"заместитель директора по УВР Мартынова Л.Е.", Dative, "заместителю директора по УВР Мартыновой Л.Е."},
		{"Мартынова Л.Е., заместитель директора", Accusative, "Мартынову Л.Е., заместителя директора"},
		{"главный специалист Зубов А.Н.", Instrumental, "главным специалистом Зубовым А.Н."},
		{"педагог-психолог И.В. Петрова", Genitive, "педагога-психолога И.В. Петровой"},
		{"МБОУ «СОШ № 1»", Dative, "МБОУ «СОШ № 1»"},
		{"«Цифровая школа»", Genitive, "«Цифровая школа»"},
		{"", Dative, ""},
		{"ДИРЕКТОР", Dative, "ДИРЕКТОР"},
		{"Мартынова Л.Е.", Nominative, "Мартынова Л.Е."},
	} {
		if got := Phrase(tc.in, tc.c); got != tc.want {
			t.Errorf("Phrase(%q, %s) = %q, want %q", tc.in, tc.c, got, tc.want)
		}
	}
}

func TestParseCase(t *testing.T) {
	for in, want := range map[string]Case{"им": Nominative, "род": Genitive, "дат": Dative, "ДАТ": Dative,
		"вин": Accusative, "твор": Instrumental, "тв": Instrumental, "пред": Prepositional, "дательный": Dative} {
		if got, ok := ParseCase(in); !ok || got != want {
			t.Errorf("ParseCase(%q) = %v, %v", in, got, ok)
		}
	}
	if _, ok := ParseCase("датв"); ok {
		t.Error("ParseCase accepted «датв»")
	}
}

func BenchmarkPhrase(b *testing.B) {
	for range b.N {
		Phrase("заместитель директора по УВР Мартынова Людмила Евгеньевна", Dative)
	}
}
