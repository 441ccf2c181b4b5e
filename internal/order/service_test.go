package order

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestUnfilled(t *testing.T) {
	for _, tc := range []struct {
		name  string
		draft string
		want  Problems
	}{
		{"none", `{"title":"Об организации","clauses":[{"text":"Утвердить"}]}`, nil},
		{"appendix_ref is a pattern", `{"title":"x","appendix_ref":"(приложение {n})"}`, nil},
		{"literal brace", `{"title":"x { y }"}`, nil},
		{"title and signatory", `{"title":"Об организации в {учебный_год} году","signatory":{"name":"{подписант}","position":["Директор"]}}`,
			Problems{
				{Path: "signatory.name", Message: "незаполненное поле шаблона {подписант}: подставьте значение"},
				{Path: "title", Message: "незаполненное поле шаблона {учебный_год}: подставьте значение"},
			}},
		{"nested with case and optional", `{"title":"x","clauses":[{"text":"a","children":[{"text":"Возложить на {руководитель:дат} и {зам?}"}]}]}`,
			Problems{
				{Path: "clauses[0].children[0].text", Message: "незаполненное поле шаблона {руководитель:дат}: подставьте значение"},
				{Path: "clauses[0].children[0].text", Message: "незаполненное поле шаблона {зам?}: подставьте значение"},
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Unfilled([]byte(tc.draft)); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Unfilled = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestUnregistered(t *testing.T) {
	d := &Draft{Title: "x", Number: "1355", Date: "2022-09-22"}
	notes := d.Unregistered()
	if d.Number != "" || d.Date != "" || !d.IsDraft() || len(notes) != 2 || notes[0].Path != "number" || notes[1].Path != "date" {
		t.Errorf("after Unregistered: %+v, notes %v", d, notes)
	}
	if notes := (&Draft{Title: "x"}).Unregistered(); notes != nil {
		t.Errorf("notes for a draft without number = %v", notes)
	}
}

// The cancellation mark is the registry's word, never the client's.
func TestCancelledNotFromJSON(t *testing.T) {
	var d Draft
	d.Cancelled = &Cancellation{Reason: "x"}
	b, err := json.Marshal(&d)
	if err != nil {
		t.Fatal(err)
	}
	if reflect.ValueOf(b).Len() == 0 || string(b) != `{"kind":"","title":"","clauses":null,"signatory":{"position":null,"name":""}}` {
		t.Errorf("Marshal = %s", b)
	}
	if _, err := Decode([]byte(`{"title":"x","clauses":[{"text":"a"}],"signatory":{"position":["Директор"],"name":"И.И. Иванов"},"cancelled":{"Reason":"x"}}`)); err == nil {
		t.Error("Decode took a cancellation from JSON")
	}
}
