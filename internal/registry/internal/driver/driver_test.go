package driver

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/google/uuid"

	"orders/internal/registry"
)

func TestLimit(t *testing.T) {
	for in, want := range map[int]int{-1: 50, 0: 50, 1: 1, 500: 500, 501: 500, 1 << 30: 500} {
		if got := Limit(in); got != want {
			t.Errorf("Limit(%d) = %d, want %d", in, got, want)
		}
	}
}

func TestCursorRoundTrip(t *testing.T) {
	at := time.Date(2026, 2, 3, 4, 5, 6, 789012000, time.UTC)
	id := uuid.New()
	gotAt, gotID, err := DecodeCursor(EncodeCursor(at, id))
	if err != nil || !gotAt.Equal(at) || gotID != id {
		t.Errorf("round trip = %v, %v, %v; want %v, %v", gotAt, gotID, err, at, id)
	}
	if _, _, err := DecodeCursor("%%%"); !errors.Is(err, registry.ErrBadCursor) {
		t.Errorf("DecodeCursor(garbage) = %v, want ErrBadCursor", err)
	}
}

func TestSearchText(t *testing.T) {
	if got := SearchText("ОБ УТВЕРЖДЕНИИ Ёлки"); got != "об утверждении елки" {
		t.Errorf("SearchText = %q", got)
	}
	if got := escapeLike(`50%_a\b`); got != `50\%\_a\\b` {
		t.Errorf("escapeLike = %q", got)
	}
}

func TestWordsAndStems(t *testing.T) {
	if got := Words("«Об организации» СТАЖИРОВОЧНОЙ площадки, COVID-19; № 37-о ёлка"); !slices.Equal(got,
		[]string{"об", "организации", "стажировочной", "площадки", "covid", "19", "37", "о", "елка"}) {
		t.Errorf("Words = %q", got)
	}
	if got := IndexStems("О стажировочных площадках", "и schools 5а"); got != "стажировочн площадк school 5а" {
		t.Errorf("IndexStems = %q", got)
	}
	if got := IndexDoc("Заголовок", "текст, «в кавычках»"); got != "заголовок текст в кавычках" {
		t.Errorf("IndexDoc = %q", got)
	}
}

// TestWordsAsFields: Words is the fields of SearchText, which it computes in one pass.
func TestWordsAsFields(t *testing.T) {
	for _, s := range []string{
		"", " ", "Ёлка и ЁЖ", "«Об организации» СТАЖИРОВОЧНОЙ площадки, COVID-19; № 37-о",
		"ǅemal İstanbul ΣΟΦΊΑ straße", "a\xffb\x80", "x́y 5а", "tab\tnew\nline",
		"АаЯяЁёЖжЪъЬьЭэЮю@[`{ AZaz09 ЀЏѐџҐґ Ӂ ½ ² ٣ Ⅻ",
	} {
		want := strings.FieldsFunc(SearchText(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
		if got := Words(s); !slices.Equal(got, want) {
			t.Errorf("Words(%q) = %q, want %q", s, got, want)
		}
	}
	// Every rune of the planes in use, one at a time and between letters.
	for r := rune(0); r < 0x3000; r++ {
		for _, s := range []string{string(r), "a" + string(r) + "я"} {
			want := strings.FieldsFunc(SearchText(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
			if got := Words(s); !slices.Equal(got, want) {
				t.Fatalf("Words(%q) = %q, want %q", s, got, want)
			}
		}
	}
}

func TestQueryTerms(t *testing.T) {
	terms := QueryTerms("Стажировочная площадка и площадка")
	if len(terms) != 2 || terms[0].Word != "стажировочная" || terms[1].Word != "площадка" {
		t.Fatalf("QueryTerms = %+v", terms)
	}
	if !slices.Contains(terms[1].Stems, "площадок") || terms[1].Stems[0] != "площадк" {
		t.Errorf("stems of площадка = %q, want площадк and площадок", terms[1].Stems)
	}
	if got := QueryTerms(" и в на о "); len(got) != 0 {
		t.Errorf("stop words only: %+v", got)
	}
	long := strings.Repeat("слово", 1) + strings.Repeat(" ещё", 1)
	for i := range 40 {
		long += " слово" + strconv.Itoa(i)
	}
	if got := QueryTerms(long); len(got) != MaxQueryTerms {
		t.Errorf("%d terms, want the cap %d", len(got), MaxQueryTerms)
	}
}

func TestVariants(t *testing.T) {
	// Variants that are no Russian word ("шкл", "отьц") are harmless: no index holds them.
	for stem, want := range map[string][]string{
		"площадк":  {"площадок", "площадек"},
		"площадок": {"площадк"},
		"девочк":   {"девочок", "девочек"},
		"копейк":   {"копеек"},
		"копеек":   {"копейк"},
		"деньг":    {"денег"},
		"денег":    {"денг", "деньг"},
		"отц":      {"отоц", "отец"},
		"отец":     {"отц", "отьц"},
		"школ":     {"шкл"},
		"олимпиад": nil, // а is never fleeting
		"лиц":      nil,
		"ёж":       nil,
		"сн":       nil, // too short to tell
		"school":   nil,
	} {
		if got := Variants(stem); !slices.Equal(got, want) {
			t.Errorf("Variants(%q) = %q, want %q", stem, got, want)
		}
	}
}

func TestChainCheck(t *testing.T) {
	var chain []registry.AuditEntry
	last, hash := int64(0), ""
	for i := range 5 {
		e := registry.AuditEntry{OrgID: "o", Action: "a", Actor: strconv.Itoa(i)}
		ChainAudit(&e, last, hash, time.Unix(int64(i), 0).UTC())
		last, hash = e.Seq, e.Hash
		chain = append(chain, e)
	}
	verify := func(entries []registry.AuditEntry, headSeq int64, headHash string) (bool, int64) {
		var c ChainCheck
		for i := range entries {
			if !c.Add(&entries[i]) {
				break
			}
		}
		return c.End(headSeq, headHash)
	}
	if ok, at := verify(chain, last, hash); !ok || at != 0 {
		t.Errorf("intact chain: %v, %d", ok, at)
	}
	if ok, at := verify(nil, 0, ""); !ok || at != 0 {
		t.Errorf("empty chain: %v, %d", ok, at)
	}
	edited := slices.Clone(chain)
	edited[2].Actor = "x"
	if ok, at := verify(edited, last, hash); ok || at != 3 {
		t.Errorf("edited entry 3: %v, %d", ok, at)
	}
	gap := append(slices.Clone(chain[:1]), chain[2:]...)
	if ok, at := verify(gap, last, hash); ok || at != 2 {
		t.Errorf("removed entry 2: %v, %d", ok, at)
	}
	if ok, at := verify(chain[:4], last, hash); ok || at != 5 {
		t.Errorf("removed last entry: %v, %d", ok, at)
	}
	if ok, at := verify(chain, last-1, chain[3].Hash); ok || at != 5 {
		t.Errorf("entry beyond the head: %v, %d", ok, at)
	}
}
