package orgtemplate

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"orders/internal/batch"
	"orders/internal/order"
	"orders/internal/registry"
	"orders/internal/registry/sqlite"
	"orders/templates"
)

func newService(t *testing.T) *Service {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "registry.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &Service{Store: st, Files: templates.Orders, Builtins: map[string]Builtin{
		"platforms-yearly": {Title: "Стажировочные площадки на учебный год", Mode: "one_order"},
	}}
}

const appoint = `{"kind":"приказ","title":"О назначении ответственного за {работа:вин}",
	"clauses":[{"text":"Назначить {ответственный:вин} ответственным за {работа:вин}."}],
	"signatory":{"position":["Директор"],"name":"{подписант}"}}`

func TestSaveListGet(t *testing.T) {
	s, ctx := newService(t), t.Context()
	list, err := s.List(ctx, "school-1")
	if err != nil || len(list) != 1 || !list[0].Builtin || list[0].Name != "platforms-yearly" {
		t.Fatalf("a new organization sees the shipped template: %+v, %v", list, err)
	}
	shipped, err := s.Get(ctx, "school-1", "platforms-yearly", 0)
	if err != nil || !shipped.Builtin || len(shipped.Fields) == 0 {
		t.Fatalf("Get shipped: %+v, %v", shipped, err)
	}

	saved, err := s.Save(ctx, "school-1", Input{Name: "appoint", Title: "Назначение ответственного", Mode: "per_row",
		Body: []byte(appoint), Constants: map[string]string{"подписант": "И.Г. Гусева"}, By: "user:zubova"}, 0)
	if err != nil {
		t.Fatalf("Save: %v", err)
	}
	if saved.Version != 1 || len(saved.Fields) != 3 {
		t.Errorf("saved v%d with %d fields, want v1 and 3", saved.Version, len(saved.Fields))
	}
	// The department makes the shipped template its own: its wording becomes editable.
	own := strings.ReplaceAll(string(shipped.Body), "стажировочных площадок и региональных инновационных площадок", "{площадки}")
	if _, err := s.Save(ctx, "school-1", Input{Name: "platforms-yearly", Title: "Площадки", Mode: "one_order",
		Body: []byte(own), Constants: map[string]string{"площадки": "муниципальных инновационных площадок"}}, 0); err != nil {
		t.Fatalf("Save over the shipped template: %v", err)
	}
	list, err = s.List(ctx, "school-1")
	if err != nil || len(list) != 2 || list[0].Name != "appoint" || list[1].Name != "platforms-yearly" || list[1].Builtin {
		t.Errorf("List = %+v, %v; want appoint and the organization's own platforms-yearly", list, err)
	}
	if other, _ := s.List(ctx, "school-2"); len(other) != 1 || !other[0].Builtin {
		t.Errorf("another organization sees %+v", other)
	}
	got, err := s.Get(ctx, "school-1", "platforms-yearly", 0)
	if err != nil || got.Builtin || !slicesHasField(got.Fields, "площадки") {
		t.Errorf("Get own platforms-yearly: %+v, %v", got, err)
	}

	_, err = s.Save(ctx, "school-1", Input{Name: "appoint", Title: "x", Mode: "per_row", Body: []byte(appoint)}, 0)
	if !errors.Is(err, registry.ErrConflict) {
		t.Errorf("a second new template under a taken name: %v, want ErrConflict", err)
	}
	if err := s.Delete(ctx, "school-1", "platforms-yearly"); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Get(ctx, "school-1", "platforms-yearly", 0); got == nil || !got.Builtin {
		t.Errorf("after delete the shipped template is back: %+v", got)
	}
	if _, err := s.Get(ctx, "school-1", "nothing", 0); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get unknown: %v", err)
	}
}

func slicesHasField(fs []batch.Field, name string) bool {
	for _, f := range fs {
		if f.Name == name {
			return true
		}
	}
	return false
}

// A template that cannot make a valid order is refused at save, in Russian, with the path in
// the template, and nothing is stored.
func TestSaveRefusesBadTemplates(t *testing.T) {
	s, ctx := newService(t), t.Context()
	for _, tc := range []struct {
		name, mode, body, want string
	}{
		{"unknown case", "per_row", strings.Replace(appoint, "{ответственный:вин}", "{ответственный:винит}", 1), "«винит» — не падеж"},
		{"unknown draft field", "per_row", strings.Replace(appoint, `"title"`, `"titel"`, 1), "titel: неизвестное поле"},
		{"not JSON", "per_row", `{"title":`, "шаблон: это не JSON"},
		{"one_order without a table", "one_order", appoint, "нужна таблица в приложении"},
		{"bad mode", "rows", appoint, "неизвестный режим пакета «rows»"},
		{"empty signatory by constant", "per_row", appoint, "signatory.name: не заполнено"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			consts := map[string]string{}
			if tc.name == "empty signatory by constant" {
				consts["подписант"] = " "
			}
			_, err := s.Save(ctx, "school-1", Input{Name: "bad", Title: "Плохой", Mode: tc.mode, Body: []byte(tc.body), Constants: consts}, 0)
			if _, ok := order.AsProblems(err); !ok || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v (%T), want problems containing %q", err, err, tc.want)
			}
		})
	}
	if list, _ := s.Versions(ctx, "school-1", "bad"); len(list) != 0 {
		t.Errorf("a refused template was stored: %+v", list)
	}
}

func TestFromOrder(t *testing.T) {
	body, err := FromOrder([]byte(`{"kind":"приказ","number":"1355","date":"2022-09-22","title":"Об организации","clauses":[{"text":"x"}],"signatory":{"position":["Д"],"name":"Н"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(body), "1355") || strings.Contains(string(body), "2022-09-22") || !strings.Contains(string(body), "Об организации") {
		t.Errorf("FromOrder kept what registration gives or lost the text:\n%s", body)
	}
	if _, err := Check(body, "per_row", nil); err != nil {
		t.Errorf("a template made from an order does not check: %v", err)
	}
}

// The shipped yearly template's wording is a field whose default the template carries, so
// a batch that names the template without the constant keeps the ГОСТ-approved words.
func TestShippedWordingIsAField(t *testing.T) {
	s := newService(t)
	s.Builtins = shipped
	got, err := s.Get(t.Context(), "school-1", "platforms-yearly", 0)
	if err != nil {
		t.Fatal(err)
	}
	if !slicesHasField(got.Fields, "площадки") {
		t.Errorf("fields %+v: want «площадки»", got.Fields)
	}
	var consts map[string]string
	if err := json.Unmarshal(got.Constants, &consts); err != nil {
		t.Fatalf("constants %s: %v", got.Constants, err)
	}
	const want = "стажировочных площадок и региональных инновационных площадок"
	if consts["площадки"] != want {
		t.Errorf("default «площадки» = %q, want %q", consts["площадки"], want)
	}
	if strings.Contains(string(got.Body), want) {
		t.Errorf("the body still has the wording written out:\n%s", got.Body)
	}
	if _, err := Check(got.Body, got.Mode, consts); err != nil {
		t.Errorf("the shipped template with its defaults: %v", err)
	}
}

// TestWordTemplate: a department saves its Word order as a one_order template; its fields
// come from the document; a batch's rows fill it, and an empty required cell is the row's
// problem at its line and column. A file without the {строка} paragraph is refused for
// one_order, and a zip that is not a Word file is refused with a Russian reason.
func TestWordTemplate(t *testing.T) {
	s, ctx := newService(t), t.Context()
	docx, err := os.ReadFile("../docxtmpl/testdata/platforms.docx")
	if err != nil {
		t.Fatal(err)
	}
	saved, err := s.Save(ctx, "school-1", Input{Name: "platforms-word", Title: "Площадки (Word)", Mode: "one_order",
		Format: registry.TemplateDOCX, Body: docx, Constants: map[string]string{"подписант": "Н.В. Бабенко"}}, 0)
	if err != nil {
		t.Fatalf("Save: %v", err)
	}
	got, err := s.Get(ctx, "school-1", "platforms-word", 0)
	if err != nil || got.Format != registry.TemplateDOCX || !slicesHasField(got.Fields, "Тема") || saved.Version != 1 {
		t.Fatalf("Get: %+v, %v", got, err)
	}
	consts := map[string]string{"площадки": "стажировочных площадок", "учебный_год": "2025-2026",
		"контроль": "Иванова И.И.", "должность_подписанта": "Начальник управления"}
	tb, err := batch.ReadRows("p.csv", []byte("Организация;Тема;Руководитель\nМБОУ №1;Тема 1;Р1\nМБОУ №2;;Р2\n"))
	if err != nil {
		t.Fatal(err)
	}
	files, ps, err := FillWord(got, consts, tb)
	if err != nil || len(files) != 0 || fmt.Sprint(ps) != "[строка 3, столбец «Тема»: пусто]" {
		t.Errorf("an empty «Тема»: files %d, problems %v, %v", len(files), ps, err)
	}
	tb.Rows = tb.Rows[:1]
	files, ps, err = FillWord(got, consts, tb)
	if err != nil || len(ps) != 0 || len(files) != 1 || files[0].Name != "platforms-word.docx" || len(files[0].Data) < 1000 {
		t.Errorf("filled: %d files, problems %v, %v", len(files), ps, err)
	}

	for _, tc := range []struct {
		name, mode string
		body       []byte
		want       string
	}{
		{"per_row with a row paragraph", "per_row", docx, "{строка}"},
		{"not a Word file", "one_order", []byte("PK\x03\x04 not a zip"), "не архив zip"},
	} {
		_, err := s.Save(ctx, "school-1", Input{Name: "w", Title: "W", Mode: tc.mode, Format: registry.TemplateDOCX, Body: tc.body}, 0)
		if ps, ok := order.AsProblems(err); !ok || !strings.Contains(ps.Error(), tc.want) {
			t.Errorf("%s: %v, want problems with %q", tc.name, err, tc.want)
		}
	}
}
