package registrytest

import (
	"slices"
	"testing"

	"github.com/google/uuid"

	"orders/internal/registry"
)

// archive is the corpus of the archive search: realistic orders of two organizations, in
// several states. The same table of queries runs on every driver, so the PostgreSQL
// 'russian' configuration and SQLite's FTS5 over Go's Snowball stems must agree on it.
var archive = []struct {
	org, title, text string
	date             string         // registration date; "" keeps a draft
	state            registry.State // reached after registration
	signatory        string
}{
	{ // 0
		"org-a", "Об организации стажировочной площадки",
		"В целях распространения эффективного педагогического опыта ПРИКАЗЫВАЮ: 1. Организовать стажировочную площадку " +
			"на базе МБОУ «Лицей № 2». 2. Утвердить положение о стажировочных площадках (приложение). " +
			"3. Контроль за исполнением приказа оставляю за собой.",
		"2026-01-20", registry.StateSigned, "Иванова Мария Петровна",
	},
	{ // 1
		"org-a", "О проведении новогодней ёлки",
		"Провести новогоднюю ёлку для учащихся 1–4 классов 25 декабря 2025 г. Ответственным назначить заместителя " +
			"директора по воспитательной работе Петрова С. А.",
		"2025-12-20", registry.StateRegistered, "",
	},
	{ // 2
		"org-a", "О назначении ответственного за пожарную безопасность",
		"Назначить ответственным за пожарную безопасность заведующего хозяйством Сидорова И. И. Провести инструктаж " +
			"работников по пожарной безопасности до 15 февраля.",
		"2026-02-03", registry.StateSigned, "Петров Сергей Александрович",
	},
	{ // 3
		"org-a", "Об утверждении графика отпусков",
		"Утвердить график отпусков работников на 2026 год. Работникам ознакомиться с графиком отпусков под подпись.",
		"2026-01-10", registry.StateRegistered, "",
	},
	{ // 4: a draft is searchable too (by its clerk)
		"org-a", "О зачислении в первый класс",
		"Зачислить в 1 «А» класс детей согласно списку. Родителям (законным представителям) представить медицинские документы.",
		"", registry.StateDraft, "",
	},
	{ // 5: another organization
		"org-b", "О создании стажировочных площадок",
		"Создать стажировочные площадки по направлению «Цифровая образовательная среда» на базе школ округа.",
		"2026-03-05", registry.StateSigned, "Ёлкин Пётр Ильич",
	},
	{ // 6
		"org-a", "О проведении школьного этапа всероссийской олимпиады школьников",
		"Провести школьный этап олимпиады школьников по 24 общеобразовательным предметам с 20 сентября по 25 октября.",
		"2026-09-01", registry.StateRegistered, "",
	},
	{ // 7
		"org-a", "Об отмене приказа",
		"Отменить приказ от 20.01.2026 № 1-о «Об организации стажировочной площадки» в связи с реорганизацией лицея.",
		"2026-02-20", registry.StateCancelled, "",
	},
}

func testArchiveSearch(t *testing.T, db Opener) {
	s, ctx := open(t, db), t.Context()
	for _, org := range []string{"org-a", "org-b"} {
		mustJournal(t, s, org, "main", "{seq}-о")
	}
	ids := make([]uuid.UUID, len(archive))
	numbers := make([]string, len(archive))
	for i, a := range archive {
		o := mustCreate(t, s, &registry.Order{OrgID: a.org, Kind: "приказ", Title: a.title, SearchText: a.text})
		ids[i] = o.ID
		if a.date == "" {
			continue
		}
		numbers[i] = register(t, s, a.org, o.ID, "main", a.date).Number
		if a.state == registry.StateSigned || a.state == registry.StateCancelled {
			who := a.signatory
			if who == "" {
				who = "Кузнецова Анна Викторовна"
			}
			sign(t, s, o.ID, who)
		}
		if a.state == registry.StateCancelled {
			if _, err := s.Cancel(ctx, "", o.ID, registry.CancelRequest{Reason: "реорганизация"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Order 0 is the first of 2026 (order 7 cites its number); order 1 has 1-о of 2025.
	if numbers[0] != "1-о" || numbers[1] != "1-о" {
		t.Fatalf("orders 0 and 1 got numbers %q and %q; the corpus expects 1-о for both", numbers[0], numbers[1])
	}

	a := registry.Filter{OrgID: "org-a"}
	with := func(f registry.Filter, edit func(*registry.Filter)) registry.Filter { edit(&f); return f }
	text := func(q string) registry.Filter { return with(a, func(f *registry.Filter) { f.FullText = q }) }
	tests := []struct {
		name   string
		filter registry.Filter
		want   []int // indexes into archive, any order
	}{
		{"word forms: стажировочная площадка", text("стажировочная площадка"), []int{0, 7}},
		{"word forms, all organizations", registry.Filter{FullText: "стажировочная площадка"}, []int{0, 5, 7}},
		{"genitive plural query, upper case", text("СТАЖИРОВОЧНЫХ ПЛОЩАДОК"), []int{0, 7}},
		{"with a date range", with(a, func(f *registry.Filter) {
			f.FullText, f.DateFrom, f.DateTo = "стажировочные площадки", "2026-01-01", "2026-01-31"
		}), []int{0}},
		{"е finds ё", text("новогодняя елка"), []int{1}},
		{"ё finds ё", text("ЁЛКИ"), []int{1}},
		{"verb and participle forms", text("назначить ответственных"), []int{1, 2}},
		{"adjective forms", text("пожарная безопасность"), []int{2}},
		{"plural of the title word", text("графики отпусков"), []int{3}},
		{"drafts are searched too", text("зачисление детей"), []int{4}},
		{"olympiad", text("олимпиада школьника"), []int{6}},
		{"number in the text", text("лицей № 2"), []int{0}},
		{"word beginning", text("стажир"), []int{0, 7}},
		{"word beginnings, upper case, ё", text("НОВОГОД ЁЛК"), []int{1}},
		{"a beginning of three letters matches whole words only", text("ста"), nil},
		{"all words must match", text("стажировочная олимпиада"), nil},
		{"no match", text("бассейн"), nil},
		{"stop words only match nothing", text("и в на о"), nil},
		{"stop words are ignored beside others", text("о пожарной и безопасности"), []int{2}},
		{"punctuation is no word", text("«отпусков»,  графика!"), []int{3}},
		{"with state", with(a, func(f *registry.Filter) {
			f.FullText, f.State = "стажировочная площадка", registry.StateSigned
		}), []int{0}},
		{"other organization", with(registry.Filter{OrgID: "org-b"}, func(f *registry.Filter) { f.FullText = "площадки округа" }), []int{5}},
		{"state cancelled", with(a, func(f *registry.Filter) { f.State = registry.StateCancelled }), []int{7}},
		{"state draft", with(a, func(f *registry.Filter) { f.State = registry.StateDraft }), []int{4}},
		{"number exact: one per year", with(a, func(f *registry.Filter) { f.Number = "1-о" }), []int{0, 1}},
		{"number and year", with(a, func(f *registry.Filter) { f.Number, f.DateFrom = "1-о", "2026-01-01" }), []int{0}},
		{"number is not a prefix", with(a, func(f *registry.Filter) { f.Number = "1" }), nil},
		{"signatory word", with(a, func(f *registry.Filter) { f.Signatory = "ИВАНОВА" }), []int{0}},
		{"signatory words", registry.Filter{Signatory: "петров сергей"}, []int{2}},
		{"signatory е finds ё", registry.Filter{Signatory: "елкин петр"}, []int{5}},
		{"signatory and full text", with(a, func(f *registry.Filter) {
			f.Signatory, f.FullText = "Кузнецова", "реорганизация лицея"
		}), []int{7}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, err := s.ListOrders(ctx, tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			var idx []int
			for _, o := range got {
				idx = append(idx, slices.Index(ids, o.ID))
				if o.SearchText != "" {
					t.Errorf("ListOrders returned the full text of %s", o.ID)
				}
			}
			slices.Sort(idx)
			if !slices.Equal(idx, tt.want) {
				t.Errorf("%+v: got orders %v, want %v", tt.filter, idx, tt.want)
			}
		})
	}

	// An edit of a draft's text is searchable at once, and its old text is gone.
	if _, err := s.UpdateDraft(ctx, "org-a", ids[4], registry.DraftUpdate{
		Draft: draftOf("x"), Title: "О переводе обучающихся", SearchText: "Перевести обучающихся в следующий класс",
	}, registry.Statuses); err != nil {
		t.Fatal(err)
	}
	for q, n := range map[string]int{"перевод обучающегося": 1, "зачисление": 0} {
		list, _, err := s.ListOrders(ctx, text(q))
		if err != nil || len(list) != n {
			t.Errorf("after the edit, %q: %d orders, %v; want %d", q, len(list), err, n)
		}
	}
	_, _, err := s.ListOrders(ctx, with(a, func(f *registry.Filter) { f.State = "archived" }))
	wantErr(t, "unknown state", err, registry.ErrInvalid)
}
