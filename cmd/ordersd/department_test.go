package main

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

var lineHyphen = regexp.MustCompile(`(\p{L})- (\p{Ll})`)

// TestDepartmentTemplate walks issue 15's proof through the API of the whole service: a
// department saves a template of its own with a declined field, reads its fields, uploads an
// XLSX whose one row is missing a required cell and is told where, fixes the row, issues the
// batch, and the PDFs of result.zip say the person in the accusative and the dative.
func TestDepartmentTemplate(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	_, admin := startService(t, cfg)
	setupOrg(t, admin, cfg, "balashikha")
	clerk := &client{t: t, base: admin.base, token: createToken(t, cfg, "balashikha", "clerk")}

	body := `{"kind":"приказ","title":"О назначении ответственного за работу площадки «{Площадка}»",
		"preamble":["В целях организации работы площадки в {учебный_год} учебном году"],
		"clauses":[{"text":"Назначить {Ответственный:вин} ответственным за работу площадки «{Площадка}»."},
			{"text":"{Ответственный:дат} представить план работы площадки до 1 октября."}],
		"control":"Контроль исполнения настоящего приказа оставляю за собой.",
		"signatory":{"position":["Начальник Управления по образованию"],"name":"{подписант}"}}`
	clerk.json("POST", "/api/v1/templates", map[string]any{"name": "appoint", "title": "Назначение ответственного", "mode": "per_row",
		"body": json.RawMessage(body), "constants": map[string]string{"учебный_год": "2025-2026", "подписант": "А.Н. Зубова"}}, http.StatusCreated, nil)

	var fields struct {
		Fields []struct {
			Name     string   `json:"name"`
			Kind     string   `json:"kind"`
			Required bool     `json:"required"`
			Cases    []string `json:"cases"`
			Column   bool     `json:"column"`
		} `json:"fields"`
	}
	clerk.json("GET", "/api/v1/templates/appoint/fields", nil, http.StatusOK, &fields)
	found := false
	for _, f := range fields.Fields {
		if f.Name == "Ответственный" {
			found = f.Kind == "person" && f.Required && strings.Join(f.Cases, ",") == "вин,дат"
		}
	}
	if !found {
		t.Fatalf("the template's fields: %+v", fields.Fields)
	}

	xlsx := func(rows ...[]any) []byte {
		f := excelize.NewFile()
		must(t, f.SetSheetRow("Sheet1", "A1", &[]any{"Площадка", "Ответственный"}))
		for i, r := range rows {
			must(t, f.SetSheetRow("Sheet1", "A"+string(rune('2'+i)), &r))
		}
		var b bytes.Buffer
		must(t, f.Write(&b))
		return b.Bytes()
	}
	// Row 3 lacks its person: a row problem at its line and column, nothing issued.
	code, _, answer := clerk.postBatch(map[string]string{"template_name": "appoint"},
		formFile{"data", "площадки.xlsx", xlsx([]any{"Цифровая школа", "заместитель директора Мартынова Людмила Евгеньевна"}, []any{"Точка роста", ""})})
	if code != http.StatusUnprocessableEntity || !strings.Contains(string(answer), `"line":3`) || !strings.Contains(string(answer), `"column":"Ответственный"`) {
		t.Fatalf("a row without its person: %d %s", code, answer)
	}
	// Fixed, the batch is issued.
	acc, _ := submitBatch(t, clerk, http.StatusAccepted, map[string]string{"template_name": "appoint"},
		formFile{"data", "площадки.xlsx", xlsx([]any{"Цифровая школа", "заместитель директора Мартынова Людмила Евгеньевна"},
			[]any{"Точка роста", "учитель-логопед Петров Сергей Александрович"})})
	followBatch(t, clerk, acc.ID, time.Minute)

	code, _, data := clerk.do("GET", "/api/v1/batches/"+acc.ID+"/result.zip", "", nil)
	if code != http.StatusOK {
		t.Fatalf("result.zip: %d", code)
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	must(t, err)
	var text strings.Builder
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, ".pdf") {
			rc, err := f.Open()
			must(t, err)
			pdf, err := io.ReadAll(rc)
			must(t, err)
			// Words hyphenated at a line's end are read back whole.
			text.WriteString(lineHyphen.ReplaceAllString(strings.Join(strings.Fields(pdfText(t, pdf)), " "), "$1$2"))
		}
	}
	for _, want := range []string{
		"Назначить заместителя директора Мартынову Людмилу Евгеньевну ответственным",
		"Заместителю директора Мартыновой Людмиле Евгеньевне представить план",
		"Назначить учителя-логопеда Петрова Сергея Александровича ответственным",
		"Учителю-логопеду Петрову Сергею Александровичу представить план",
	} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("the PDFs do not say %q:\n%s", want, text.String())
		}
	}
}
