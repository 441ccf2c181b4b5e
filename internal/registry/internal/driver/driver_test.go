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
	key := []byte("0123456789abcdef0123456789abcdef")
	// build makes a chain of n entries: the first legacy ones unkeyed, the rest keyed.
	build := func(n, legacy int) []registry.AuditEntry {
		var chain []registry.AuditEntry
		last, hash := int64(0), ""
		for i := range n {
			e := registry.AuditEntry{OrgID: "o", Action: "a", Actor: strconv.Itoa(i)}
			k := key
			if i < legacy {
				k = nil
			}
			ChainAudit(&e, last, hash, time.Unix(int64(i), 0).UTC(), k)
			last, hash = e.Seq, e.Hash
			chain = append(chain, e)
		}
		return chain
	}
	// rehash recomputes the chain from entry at (0-based) with the unkeyed method, as
	// someone without the key can; keepScheme leaves the entries marked keyed.
	rehash := func(chain []registry.AuditEntry, at int, keepScheme bool) []registry.AuditEntry {
		chain = slices.Clone(chain)
		for i := at; i < len(chain); i++ {
			if i > 0 {
				chain[i].PrevHash = chain[i-1].Hash
			}
			if !keepScheme {
				chain[i].Scheme = registry.AuditUnkeyed
			}
			chain[i].Hash = registry.AuditHash(&chain[i])
		}
		return chain
	}
	keyed := build(5, 0)
	mixed := build(5, 2)
	head := func(c []registry.AuditEntry) (int64, string) {
		if len(c) == 0 {
			return 0, ""
		}
		return c[len(c)-1].Seq, c[len(c)-1].Hash
	}
	edited := func(c []registry.AuditEntry, i int) []registry.AuditEntry {
		c = slices.Clone(c)
		c[i].Actor = "x"
		return c
	}
	anchor := func(c []registry.AuditEntry, seq, legacy int64) *registry.AuditAnchor {
		return &registry.AuditAnchor{Seq: seq, Hash: c[seq-1].Hash, LegacyThrough: legacy}
	}
	cases := []struct {
		name     string
		entries  []registry.AuditEntry
		key      []byte
		anchor   *registry.AuditAnchor
		head     []registry.AuditEntry // whose head the head row names; entries if nil
		headSeq  int64                 // else this head
		brokenAt int64
		problem  string
	}{
		{name: "intact keyed", entries: keyed, key: key},
		{name: "intact unkeyed, no key", entries: build(5, 5)},
		{name: "intact mixed", entries: mixed, key: key},
		{name: "empty", key: key},
		{name: "edited entry 3", entries: edited(keyed, 2), key: key, head: keyed, brokenAt: 3, problem: registry.AuditEdited},
		{name: "removed entry 2", entries: append(slices.Clone(keyed[:1]), keyed[2:]...), key: key, brokenAt: 2, problem: registry.AuditMissing},
		{name: "removed last entry", entries: keyed[:4], key: key, head: keyed, brokenAt: 5, problem: registry.AuditMissing},
		{name: "entry beyond the head", entries: keyed, key: key, head: keyed[:4], brokenAt: 5, problem: registry.AuditBeyondHead},
		// What someone with the database but without the key can do to a keyed chain.
		{name: "rehashed unkeyed, marked keyed", entries: rehash(edited(keyed, 2), 2, true), key: key, brokenAt: 3, problem: registry.AuditEdited},
		{name: "rehashed unkeyed from 3", entries: rehash(edited(keyed, 2), 2, false), key: key, brokenAt: 3, problem: registry.AuditUnkeyedAfter},
		{name: "whole chain rehashed unkeyed, anchored", entries: rehash(edited(keyed, 2), 0, false), key: key, anchor: anchor(keyed, 4, 0), brokenAt: 1, problem: registry.AuditUnkeyedAfter},
		{name: "legacy part rehashed, anchored", entries: rehash(edited(build(5, 5), 1), 1, false), anchor: anchor(build(5, 5), 4, 5), brokenAt: 4, problem: registry.AuditAnchorHash},
		{name: "end cut, head row fixed", entries: keyed[:3], key: key, anchor: anchor(keyed, 5, 0), brokenAt: 4, problem: registry.AuditCut},
		{name: "anchored intact", entries: keyed, key: key, anchor: anchor(keyed, 3, 0)},
		{name: "anchored intact mixed", entries: mixed, key: key, anchor: anchor(mixed, 5, 2)},
		{name: "unkeyed above the anchored legacy", entries: mixed, key: key, anchor: anchor(mixed, 1, 1), brokenAt: 2, problem: registry.AuditUnkeyedAfter},
		{name: "unknown scheme", entries: func() []registry.AuditEntry {
			c := slices.Clone(keyed)
			c[1].Scheme = 7
			return c
		}(), key: key, brokenAt: 2, problem: registry.AuditEdited},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ch := ChainCheck{Key: c.key, Anchor: c.anchor}
			for i := range c.entries {
				if !ch.Add(&c.entries[i]) {
					break
				}
			}
			h := c.head
			if h == nil {
				h = c.entries
			}
			hs, hh := head(h)
			r, err := ch.Report(hs, hh)
			if err != nil {
				t.Fatal(err)
			}
			if r.OK != (c.brokenAt == 0) || r.BrokenAt != c.brokenAt || r.Problem != c.problem {
				t.Errorf("report %+v, want broken at %d (%q)", r, c.brokenAt, c.problem)
			}
		})
	}
	t.Run("keyed entries without the key", func(t *testing.T) {
		var ch ChainCheck
		for i := range keyed {
			if !ch.Add(&keyed[i]) {
				break
			}
		}
		if _, err := ch.Report(head(keyed)); !errors.Is(err, registry.ErrNoAuditKey) {
			t.Errorf("Report without the key: %v", err)
		}
	})
	t.Run("another key", func(t *testing.T) {
		ch := ChainCheck{Key: []byte("another key, same length, 32 b..")}
		for i := range keyed {
			if !ch.Add(&keyed[i]) {
				break
			}
		}
		if r, err := ch.Report(head(keyed)); err != nil || r.OK || r.BrokenAt != 1 {
			t.Errorf("Report with another key: %+v, %v", r, err)
		}
	})
	if NeedKey(registry.AuditKeyed) == nil || NeedKey(registry.AuditUnkeyed) != nil || NeedKey(0) != nil {
		t.Error("NeedKey")
	}
}

// BenchmarkChainCheck: the CPU cost of verifying a chain entry by entry, keyed and unkeyed
// (what a checkpoint's verification adds to reading the entries).
func BenchmarkChainCheck(b *testing.B) {
	key := []byte("0123456789abcdef0123456789abcdef")
	for _, c := range []struct {
		name string
		key  []byte
	}{{"keyed", key}, {"unkeyed", nil}} {
		b.Run(c.name, func(b *testing.B) {
			const n = 10_000
			chain := make([]registry.AuditEntry, n)
			last, hash := int64(0), ""
			for i := range chain {
				chain[i] = registry.AuditEntry{OrgID: "org-a", Actor: "head:Иванова", Action: "register",
					Details: []byte(`{"number":"15-к","date":"2026-03-02","journal":"main","seq":15}`)}
				ChainAudit(&chain[i], last, hash, time.Unix(int64(i), 0).UTC(), c.key)
				last, hash = chain[i].Seq, chain[i].Hash
			}
			b.ResetTimer()
			for b.Loop() {
				ch := ChainCheck{Key: c.key}
				for i := range chain {
					ch.Add(&chain[i])
				}
				if r, err := ch.Report(last, hash); err != nil || !r.OK {
					b.Fatal("broken", err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/entry")
		})
	}
}
