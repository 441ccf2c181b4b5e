package hyph

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

func TestHyphenate(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		// Words from the examples and the issue, as the ruhyphal patterns break them.
		{"Руководитель", "Ру-ко-во-ди-тель"},
		{"стажировочная", "ста-жи-ро-воч-ная"},
		{"образовательных", "об-ра-зо-ва-тель-ных"},
		{"учреждений", "учре-жде-ний"},
		{"подъезд", "подъ-езд"},
		{"объединяя", "объ-еди-няя"},
		// ё is looked up as е.
		{"Ёлочка", "Ёлоч-ка"},
		// Punctuation around the word stays outside the breaks.
		{"«Положение»,", "«По-ло-же-ние»,"},
		{"(приложение", "(при-ло-же-ние"},
		// A compound breaks inside its parts, never next to its hyphen; «Верх» is too short.
		{"«Верх-Чебулинская", "«Верх-Че-бу-лин-ская"},
		{"научно-методического", "на-уч-но-ме-то-ди-че-ско-го"},
		// Two letters at least stay on each side.
		{"окно", "ок-но"},
		{"она", "она"},
		{"мяу", "мяу"},
		// Not words: never hyphenated.
		{"МБОУ", "МБОУ"},
		{"ПРИКАЗЫВАЮ", "ПРИКАЗЫВАЮ"},
		{"37-о", "37-о"},
		{"№\u00a037-о", "№\u00a037-о"},
		{"И.В.\u00a0Петрова", "И.В.\u00a0Петрова"},
		{"Морозову\u00a0И.А.,", "Морозову\u00a0И.А.,"},
		{"24\u00a0августа\u00a02021\u00a0г.", "24\u00a0августа\u00a02021\u00a0г."},
		{"5\u00a0000\u00a0рублей", "5\u00a0000\u00a0рублей"},
		{"Данильченко\u00a0В.В.),", "Данильченко\u00a0В.В.),"},
		{"А.Н.\u00a0Зубова", "А.Н.\u00a0Зубова"},
		// A word bound to its number may break; the number stays with its end.
		{"(приложение\u00a02).", "(при-ло-же-ние\u00a02)."},
		{"blsh_obraz@mosreg.ru", "blsh_obraz@mosreg.ru"},
		{"http://obrazovanie-balashiha.edumsko.ru/", "http://obrazovanie-balashiha.edumsko.ru/"},
		{"образование.рф", "образование.рф"},
		{"2022-2023", "2022-2023"},
		{"стажировки2", "стажировки2"},
		{"education", "education"},
		{"", ""},
	} {
		if got := Hyphenate(c.in); got != c.want {
			t.Errorf("Hyphenate(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestPatternsUnmodified keeps the embedded patterns byte for byte as Debian ships them:
// the LPPL lets us distribute them unmodified (see NOTICE).
func TestPatternsUnmodified(t *testing.T) {
	sum := sha256.Sum256(patternFile)
	if got := hex.EncodeToString(sum[:]); got != "022b669c16d98e5ccd92a78a157adb6bfef9e262c30b741b5ad3636dba7edde7" {
		t.Fatalf("hyph_ru_RU.dic changed (sha256 %s); put corrections elsewhere", got)
	}
	p := patterns()
	if len(p.at) < 4000 || len(p.exceptions) < 50 {
		t.Fatalf("parsed %d trie nodes and %d exceptions: the file was not read", len(p.at), len(p.exceptions))
	}
}

func BenchmarkPoints(b *testing.B) {
	words := []string{"образовательных", "стажировочных", "площадок", "руководителям", "«Верх-Чебулинская»,", "МБОУ", "в"}
	patterns()
	var dst []int
	b.ReportAllocs()
	for b.Loop() {
		for _, w := range words {
			dst = Points(w, dst[:0])
		}
	}
}
