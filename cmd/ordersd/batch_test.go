package main

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	pdfapi "github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"

	"orders/internal/natsd"
)

// batchTemplate is a per-row order: the yearly platform order of one school, issued by the
// caller's organization.
const batchTemplate = `{
  "kind": "приказ",
  "date": "{Дата}",
  "title": "Об организации стажировочной площадки на базе {Организация} в {учебный_год} учебном году",
  "preamble": ["В целях повышения качества образования, оказания методической помощи школам"],
  "clauses": [
    {"text": "Организовать на базе {Организация} стажировочную площадку по теме «{Тема}».", "responsible": "{Руководитель}", "deadline": "в течение {учебный_год} учебного года"},
    {"text": "{Поручение}"}
  ],
  "control": "Контроль исполнения настоящего приказа оставляю за собой.",
  "signatory": {"position": ["Начальник Управления по образованию"], "name": "Н.В. Бабенко"}
}`

const batchHeader = "Организация;Тема;Руководитель;Поручение;Дата\n"

func batchLine(i int) string {
	return fmt.Sprintf("МБОУ «СОШ №%d»;Функциональная грамотность %d;Иванова И.И.;Обеспечить работу площадки.;24.08.2021\n", i, i)
}

func batchCSV(n int) []byte {
	var b strings.Builder
	b.WriteString(batchHeader)
	for i := 1; i <= n; i++ {
		b.WriteString(batchLine(i))
	}
	return []byte(b.String())
}

type formFile struct {
	field, name string
	data        []byte
}

// postBatch sends POST /api/v1/batches as multipart/form-data.
func (c *client) postBatch(fields map[string]string, files ...formFile) (int, http.Header, []byte) {
	c.t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for k, v := range fields {
		must(c.t, w.WriteField(k, v))
	}
	for _, f := range files {
		fw, err := w.CreateFormFile(f.field, f.name)
		must(c.t, err)
		_, err = fw.Write(f.data)
		must(c.t, err)
	}
	must(c.t, w.Close())
	return c.do("POST", "/api/v1/batches", w.FormDataContentType(), b.Bytes())
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

var yearConst = map[string]string{"constants": `{"учебный_год": "2021-2022"}`}

func withFields(base map[string]string, kv ...string) map[string]string {
	m := map[string]string{}
	for k, v := range base {
		m[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

type rowProblem struct {
	Line    int    `json:"line"`
	Column  string `json:"column"`
	Message string `json:"message"`
	Text    string `json:"text"`
}

type batchAcc struct {
	ID          string       `json:"id"`
	Key         string       `json:"key"`
	Total       int          `json:"total"`
	Location    string       `json:"location"`
	Replayed    bool         `json:"replayed"`
	Skipped     []rowProblem `json:"skipped"`
	SkippedRows []int        `json:"skipped_rows"`
	Warnings    []string     `json:"warnings"`
}

type progress struct {
	Total, Queued, Rendering, Rendered, Failed, Cancelled, Finished int
	Done                                                            bool
	ByStatus                                                        map[string]int `json:"by_status"`
	ByState                                                         map[string]int `json:"by_state"`
}

type batchInfo struct {
	ID       string    `json:"id"`
	Total    int       `json:"total"`
	State    string    `json:"state"`
	Mode     string    `json:"mode"`
	Progress *progress `json:"progress"`
}

func submitBatch(t *testing.T, c *client, want int, fields map[string]string, files ...formFile) (batchAcc, http.Header) {
	t.Helper()
	code, hdr, body := c.postBatch(fields, files...)
	if code != want {
		t.Fatalf("POST /batches: %d, want %d: %.2000s", code, want, body)
	}
	var acc batchAcc
	must(t, json.Unmarshal(body, &acc))
	return acc, hdr
}

// followBatch reads the batch's event stream until its done event and returns the
// progress events, the last being the done event's.
func followBatch(t *testing.T, c *client, id string, timeout time.Duration) []progress {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", c.base+"/api/v1/batches/"+id+"/events", nil)
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("events: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var events []progress
	sc := bufio.NewScanner(resp.Body)
	event := ""
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			var p progress
			must(t, json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &p))
			events = append(events, p)
			if event == "done" {
				if !p.Done {
					t.Fatalf("done event without done: %+v", p)
				}
				return events
			}
		}
	}
	t.Fatalf("event stream of %s ended without a done event (%v) after %d events", id, sc.Err(), len(events))
	return nil
}

func getBatch(t *testing.T, c *client, id string) batchInfo {
	t.Helper()
	var b batchInfo
	c.json("GET", "/api/v1/batches/"+id, nil, http.StatusOK, &b)
	return b
}

// metric reads one sample of the /metrics text, e.g. `orders_by_status{status="rendered"}`.
func metric(t *testing.T, base, sample string) float64 {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), sample+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			must(t, err)
			return f
		}
	}
	t.Fatalf("no sample %s", sample)
	return 0
}

// TestBatchThousandRows: 1,000 CSV rows become 1,000 rendered orders, progress arrives as
// Server-Sent Events, and sending the same batch again creates nothing.
func TestBatchThousandRows(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	_, admin := startService(t, cfg)
	clerk := &client{t: t, base: admin.base, token: setupOrg(t, admin, cfg, "balashikha")}
	const n = 1000
	files := []formFile{{"template", "platform.json", []byte(batchTemplate)}, {"data", "platforms.csv", batchCSV(n)}}
	start := time.Now()
	acc, hdr := submitBatch(t, clerk, http.StatusAccepted, yearConst, files...)
	intake := time.Since(start)
	if acc.Total != n || hdr.Get("Location") != "/api/v1/batches/"+acc.ID || acc.Location != hdr.Get("Location") {
		t.Fatalf("accepted: %+v, Location %q", acc, hdr.Get("Location"))
	}
	events := followBatch(t, clerk, acc.ID, 5*time.Minute)
	last := events[len(events)-1]
	t.Logf("1000 rows: intake %v, all rendered after %v, %d events", intake.Round(time.Millisecond), time.Since(start).Round(time.Millisecond), len(events))
	if last.Rendered != n || last.Failed+last.Cancelled+last.Queued+last.Rendering != 0 || last.Total != n {
		t.Fatalf("done: %+v", last)
	}
	for i := 1; i < len(events); i++ {
		if events[i].Finished < events[i-1].Finished {
			t.Fatalf("progress went back: %d after %d", events[i].Finished, events[i-1].Finished)
		}
	}
	b := getBatch(t, clerk, acc.ID)
	if b.State != "done" || b.Progress.ByStatus["rendered"] != n || b.Progress.ByState["draft"] != n || b.Mode != "per_row" {
		t.Fatalf("batch: %+v %+v", b, b.Progress)
	}

	// The same batch again: the existing one, nothing new in the registry.
	again, hdr := submitBatch(t, clerk, http.StatusOK, yearConst, files...)
	if again.ID != acc.ID || hdr.Get("Idempotent-Replayed") != "true" || !again.Replayed || again.Total != n {
		t.Fatalf("resubmission: %+v, header %q", again, hdr.Get("Idempotent-Replayed"))
	}
	var list struct{ Batches []batchInfo }
	clerk.json("GET", "/api/v1/batches", nil, http.StatusOK, &list)
	if len(list.Batches) != 1 {
		t.Fatalf("%d batches after a resubmission", len(list.Batches))
	}
	if got := metric(t, admin.base, `orders_by_status{status="rendered"}`); got != n {
		t.Fatalf("%v orders rendered in the registry, want %d", got, n)
	}
	if got := metric(t, admin.base, `orders_by_status{status="queued"}`); got != 0 {
		t.Fatalf("%v orders queued after the resubmission", got)
	}
	// The same rows with another constant are another batch.
	other, _ := submitBatch(t, clerk, http.StatusAccepted, map[string]string{"constants": `{"учебный_год": "2022-2023"}`},
		formFile{"template", "platform.json", []byte(batchTemplate)}, formFile{"data", "platforms.csv", batchCSV(3)})
	if other.ID == acc.ID {
		t.Fatal("another batch got the same id")
	}
	followBatch(t, clerk, other.ID, time.Minute)

	// Another organization sees none of it.
	clerkB := &client{t: t, base: admin.base, token: setupOrg(t, admin, cfg, "org-b")}
	clerkB.json("GET", "/api/v1/batches/"+acc.ID, nil, http.StatusNotFound, nil)
	clerkB.json("POST", "/api/v1/batches/"+acc.ID+"/cancel", nil, http.StatusNotFound, nil)
	clerkB.json("GET", "/api/v1/batches/"+acc.ID+"/result.zip", nil, http.StatusNotFound, nil)
	clerkB.json("GET", "/api/v1/batches", nil, http.StatusOK, &list)
	if len(list.Batches) != 0 {
		t.Fatalf("org-b lists %d batches of balashikha", len(list.Batches))
	}
}

// TestBatchEncodings uploads a Windows-1251 CSV, a UTF-8 CSV with BOM and commas, an XLSX
// with a merged header for one order with a table, and the JSON form of the request.
func TestBatchEncodings(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	_, admin := startService(t, cfg)
	clerk := &client{t: t, base: admin.base, token: setupOrg(t, admin, cfg, "balashikha")}

	rows := batchHeader + "МБОУ «Гимназия №1»;Ёлочки и «кавычки»;Щукина Ю.Я.;Обеспечить работу площадки.;01.09.2021\n" +
		"МАДОУ «Детский сад №5»;Речь дошкольников;Эйхман Ъ.Ы.;Обеспечить работу площадки.;02.09.2021\n"
	cp, err := charmap.Windows1251.NewEncoder().Bytes([]byte(rows))
	must(t, err)
	// The same rows in UTF-8 would be the same batch (the key is of the decoded cells):
	// another date makes it another.
	bom := append([]byte("\xEF\xBB\xBF"), strings.ReplaceAll(strings.ReplaceAll(rows, ";", ","), ".09.2021", ".10.2021")...)
	for _, tc := range []struct {
		name, date string
		data       []byte
	}{{"cp1251.csv", "01.09.2021", cp}, {"bom.csv", "01.10.2021", bom}} {
		t.Run(tc.name, func(t *testing.T) {
			acc, _ := submitBatch(t, clerk, http.StatusAccepted, yearConst,
				formFile{"template", "platform.json", []byte(batchTemplate)}, formFile{"data", tc.name, tc.data})
			followBatch(t, clerk, acc.ID, time.Minute)
			manifest := zipManifest(t, clerk, acc.ID)
			want := []string{
				"Об организации стажировочной площадки на базе МБОУ «Гимназия №1» в 2021-2022 учебном году",
				"Об организации стажировочной площадки на базе МАДОУ «Детский сад №5» в 2021-2022 учебном году",
			}
			// The spreadsheet's date is not printed on an unregistered draft: dates come from
			// registering the batch in a journal.
			if len(manifest) != 3 || manifest[1][3] != want[0] || manifest[2][3] != want[1] || manifest[1][2] != "" {
				t.Fatalf("manifest: %q", manifest)
			}
		})
	}

	t.Run("xlsx one order", func(t *testing.T) {
		f := excelize.NewFile()
		sh := "Sheet1"
		must(t, f.SetSheetRow(sh, "A1", &[]any{"Площадка", nil, nil, "Руководитель"}))
		must(t, f.MergeCell(sh, "A1", "C1"))
		must(t, f.MergeCell(sh, "D1", "D2"))
		must(t, f.SetSheetRow(sh, "A2", &[]any{"Организация", "Вид площадки", "Тема"}))
		must(t, f.SetSheetRow(sh, "A3", &[]any{"МБОУ «Гимназия №1»", "стажировочная", "Функциональная грамотность", "Петрова А.А."}))
		must(t, f.SetSheetRow(sh, "A4", &[]any{"МБДОУ «Детский сад №5»", "региональная инновационная", "Развитие речи", "Сидорова Б.Б."}))
		must(t, f.SetCellValue(sh, "A7", "")) // empty trailing rows
		var xb bytes.Buffer
		must(t, f.Write(&xb))
		acc, _ := submitBatch(t, clerk, http.StatusAccepted, map[string]string{"template_name": "platforms-yearly", "mode": "one_order",
			"constants": mustJSONString(t, platformConsts)}, formFile{"data", "platforms.xlsx", xb.Bytes()})
		if acc.Total != 1 {
			t.Fatalf("one_order: %+v", acc)
		}
		followBatch(t, clerk, acc.ID, time.Minute)
		text := mergedText(t, clerk, acc.ID)
		// Table cells wrap, so look for single words of each row.
		for _, want := range []string{"«Гимназия", "«Детский", "Функциональная", "Развитие", "Петрова", "Сидорова", "2022-2023"} {
			if !strings.Contains(text, want) {
				t.Errorf("the order lacks %q", want)
			}
		}
	})

	t.Run("json request", func(t *testing.T) {
		req := map[string]any{"template": json.RawMessage(batchTemplate), "constants": map[string]string{"учебный_год": "2021-2022"},
			"rows": []map[string]any{{"Организация": "МБОУ «СОШ №7»", "Тема": "Проекты", "Руководитель": "Орлова О.О.", "Поручение": "Обеспечить.", "Дата": "2021-09-03"}}}
		var acc batchAcc
		clerk.json("POST", "/api/v1/batches", req, http.StatusAccepted, &acc)
		if acc.Total != 1 {
			t.Fatalf("json: %+v", acc)
		}
		if ev := followBatch(t, clerk, acc.ID, time.Minute); ev[len(ev)-1].Rendered != 1 {
			t.Fatalf("json: %+v", ev[len(ev)-1])
		}
		var again batchAcc
		h := clerk.json("POST", "/api/v1/batches", req, http.StatusOK, &again)
		if again.ID != acc.ID || h.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("json replay: %+v", again)
		}
	})
}

var platformConsts = map[string]string{
	"учебный_год":          "2022-2023",
	"основание":            "ГБОУ ВО МО «Академия социального управления» от 20.09.2022 № 1087-04",
	"методический_центр":   "МБУ ДПО «Учебно-методический центр»",
	"контроль":             "заместителя начальника Управления по образованию Иванову И.И.",
	"должность_подписанта": "Начальник Управления по образованию",
	"подписант":            "Н.В. Бабенко",
}

func mustJSONString(t *testing.T, v any) string {
	js, err := json.Marshal(v)
	must(t, err)
	return string(js)
}

// TestBatchRowProblems sends a file with a problem of every kind: all are reported at once
// with their row and column and nothing is recorded; valid_only then issues the good rows
// and lists the skipped ones.
func TestBatchRowProblems(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	_, admin := startService(t, cfg)
	clerk := &client{t: t, base: admin.base, token: setupOrg(t, admin, cfg, "balashikha")}
	row := func(org, topic, head, task, date string) string {
		return strings.Join([]string{org, topic, head, task, date}, ";") + "\n"
	}
	good := batchLine
	data := batchHeader +
		good(1) + // line 2
		row("МБОУ «СОШ №3»", "", "Петров П.П.", "Обеспечить.", "01.09.2021") + // 3: empty inside a sentence
		row("МБОУ «СОШ №4»", "Тема", "Петров П.П.", "   ", "01.09.2021") + // 4: empty required field
		row("МБОУ «СОШ №5»", "Тема", strings.Repeat("я", 600), "Обеспечить.", "01.09.2021") + // 5: too long
		row(strings.Repeat("Ш", 990), "Тема", "Петров П.П.", "Обеспечить.", "01.09.2021") + // 6: too long with the template's text
		row("МБОУ «СОШ №7»", "Тема\x07звонок", "Петров П.П.", "Обеспечить.", "01.09.2021") + // 7: control character
		row("МБОУ «СОШ №8»", "Тема\x98", "Петров П.П.", "Обеспечить.", "01.09.2021") + // 8: broken byte
		row("МБОУ «СОШ №9»", "Тема", "Петров П.П.", "Обеспечить.", "31.02.2021") + // 9: no such date
		row(`МБОУ "СОШ" №10`, "Тема", "Петров П.П.", "Обеспечить.", "01.09.2021") + // 10: bare quote
		strings.TrimSuffix(row("МБОУ «СОШ №11»", "Тема", "Петров П.П.", "Обеспечить.", "01.09.2021"), "\n") + ";лишнее\n" + // 11: extra cell
		good(1) + // 12: repeats line 2
		good(13) + // 13
		row("МБОУ «СОШ №14»", "Тема", "Петров П.П.", "Обеспечить.", "вчера") // 14: not a date
	want := []rowProblem{
		{Line: 3, Column: "Тема", Message: "пусто"},
		{Line: 4, Column: "Поручение", Message: "пусто"},
		{Line: 5, Column: "Руководитель", Message: "слишком длинно: 600 знаков"},
		{Line: 6, Column: "Организация", Message: "слишком длинно: вместе с текстом шаблона"},
		{Line: 7, Column: "Тема", Message: "недопустимый управляющий символ U+0007"},
		{Line: 8, Column: "Тема", Message: "испорченный символ"},
		{Line: 9, Column: "Дата", Message: "не дата: «31.02.2021»"},
		{Line: 10, Column: "Организация", Message: "кавычка внутри ячейки без кавычек"},
		{Line: 11, Message: "лишняя ячейка"},
		{Line: 12, Message: "повторяет строку 2"},
		{Line: 14, Column: "Дата", Message: "не дата: «вчера»"},
	}
	files := func() []formFile {
		return []formFile{{"template", "platform.json", []byte(batchTemplate)}, {"data", "platforms.csv", []byte(data)}}
	}
	code, hdr, body := clerk.postBatch(yearConst, files()...)
	if code != http.StatusUnprocessableEntity || hdr.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("status %d %s: %s", code, hdr.Get("Content-Type"), body)
	}
	var p struct {
		Detail      string       `json:"detail"`
		RowProblems []rowProblem `json:"row_problems"`
	}
	must(t, json.Unmarshal(body, &p))
	if len(p.RowProblems) != len(want) {
		t.Fatalf("%d problems, want %d: %s", len(p.RowProblems), len(want), body)
	}
	withColumn := 0
	for i, w := range want {
		g := p.RowProblems[i]
		if g.Line != w.Line || g.Column != w.Column || !strings.HasPrefix(g.Message, w.Message) {
			t.Errorf("problem %d: %+v, want %+v", i, g, w)
		}
		if w.Column != "" {
			withColumn++
			if prefix := fmt.Sprintf("строка %d, столбец «%s»: ", w.Line, w.Column); !strings.HasPrefix(g.Text, prefix) {
				t.Errorf("text %q, want %q…", g.Text, prefix)
			}
		}
	}
	if withColumn < 8 {
		t.Fatalf("only %d cases with line and column", withColumn)
	}
	if p.RowProblems[0].Text != "строка 3, столбец «Тема»: пусто" {
		t.Errorf("text: %q", p.RowProblems[0].Text)
	}
	var list struct{ Batches []batchInfo }
	clerk.json("GET", "/api/v1/batches", nil, http.StatusOK, &list)
	var orders struct{ Orders []orderResp }
	clerk.json("GET", "/api/v1/orders", nil, http.StatusOK, &orders)
	if len(list.Batches) != 0 || len(orders.Orders) != 0 {
		t.Fatalf("a refused batch recorded %d batches, %d orders", len(list.Batches), len(orders.Orders))
	}

	// valid_only: the two good rows are issued and the answer names the skipped rows.
	acc, _ := submitBatch(t, clerk, http.StatusAccepted, withFields(yearConst, "valid_only", "true"), files()...)
	if acc.Total != 2 || fmt.Sprint(acc.SkippedRows) != "[3 4 5 6 7 8 9 10 11 12 14]" || len(acc.Skipped) != len(want) {
		t.Fatalf("valid_only: total %d, skipped rows %v, %d problems", acc.Total, acc.SkippedRows, len(acc.Skipped))
	}
	if ev := followBatch(t, clerk, acc.ID, time.Minute); ev[len(ev)-1].Rendered != 2 {
		t.Fatalf("valid_only: %+v", ev[len(ev)-1])
	}

	// Problems of the request and the template are not row problems.
	for _, tc := range []struct {
		name   string
		fields map[string]string
		files  []formFile
		code   int
		detail string
	}{
		{"unknown template name", map[string]string{"template_name": "nope"}, []formFile{{"data", "d.csv", batchCSV(1)}}, 422, "platforms-yearly"},
		{"no data", yearConst, []formFile{{"template", "t.json", []byte(batchTemplate)}}, 422, `"data"`},
		{"bad mode", withFields(yearConst, "mode", "many"), files(), 422, "неизвестный режим «many»"},
		{"missing constant", nil, files(), 422, "{учебный_год}: нет ни столбца, ни константы"},
		{"bad constants", map[string]string{"constants": "[1]"}, files(), 422, "constants"},
		{"template not JSON", yearConst, []formFile{{"template", "t.json", []byte("{")}, {"data", "d.csv", batchCSV(1)}}, 422, "template"},
		{"xls file", yearConst, []formFile{{"template", "t.json", []byte(batchTemplate)}, {"data", "d.xls", []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0}}}, 422, ".xlsx"},
		{"clerk registering", withFields(yearConst, "journal", "main"), files(), 403, "не регистрирует приказы"},
		{"date without journal", withFields(yearConst, "date", "2021-09-01"), files(), 422, "journal"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, body := clerk.postBatch(tc.fields, tc.files...)
			if code != tc.code || !strings.Contains(string(body), tc.detail) {
				t.Fatalf("%d %s, want %d with %q", code, body, tc.code, tc.detail)
			}
		})
	}
	code, _, body = clerk.do("POST", "/api/v1/batches", "text/csv", batchCSV(1))
	if code != http.StatusUnsupportedMediaType {
		t.Fatalf("text/csv: %d %s", code, body)
	}
}

// TestBatchCancel cancels a large batch right after submitting it: the queued orders are
// cancelled and never rendered, the rendering ones finish, and the counts add up.
func TestBatchCancel(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	_, admin := startService(t, cfg)
	clerk := &client{t: t, base: admin.base, token: setupOrg(t, admin, cfg, "balashikha")}
	const n = 2000
	acc, _ := submitBatch(t, clerk, http.StatusAccepted, yearConst,
		formFile{"template", "platform.json", []byte(batchTemplate)}, formFile{"data", "platforms.csv", batchCSV(n)})
	var res struct {
		Cancelled int       `json:"cancelled"`
		Batch     batchInfo `json:"batch"`
	}
	clerk.json("POST", "/api/v1/batches/"+acc.ID+"/cancel", nil, http.StatusOK, &res)
	if res.Cancelled == 0 || res.Batch.State != "cancelled" {
		t.Fatalf("cancel: %+v", res)
	}
	ev := followBatch(t, clerk, acc.ID, 2*time.Minute)
	last := ev[len(ev)-1]
	if last.Cancelled != res.Cancelled || last.Rendered+last.Cancelled+last.Failed != n || last.Failed != 0 {
		t.Fatalf("after cancel: %+v (cancelled %d)", last, res.Cancelled)
	}
	t.Logf("cancelled %d of %d; %d rendered", last.Cancelled, n, last.Rendered)
	// The cancelled orders' jobs are still in the queue: the worker must skip every one.
	deadline := time.Now().Add(time.Minute)
	for metric(t, admin.base, "orders_queue_depth") > 0 {
		if time.Now().After(deadline) {
			t.Fatal("the queue does not drain")
		}
		time.Sleep(50 * time.Millisecond)
	}
	b := getBatch(t, clerk, acc.ID)
	if b.Progress.Rendered != last.Rendered || b.Progress.Cancelled != last.Cancelled || b.State != "cancelled" {
		t.Fatalf("counts changed after the queue drained: %+v, was %+v", b.Progress, last)
	}
	if got := metric(t, admin.base, "orders_rendered_total"); int(got) != last.Rendered {
		t.Fatalf("the worker rendered %v orders, the batch counts %d", got, last.Rendered)
	}
	manifest := zipManifest(t, clerk, acc.ID)
	cancelled := 0
	for _, rec := range manifest[1:] {
		if rec[5] == "остановлен" {
			cancelled++
			if rec[6] != "" || rec[8] != "" {
				t.Fatalf("a cancelled order has documents: %q", rec)
			}
		}
	}
	if len(manifest) != n+1 || cancelled != last.Cancelled {
		t.Fatalf("manifest: %d rows, %d cancelled", len(manifest)-1, cancelled)
	}
	// A second cancel has nothing left to stop.
	clerk.json("POST", "/api/v1/batches/"+acc.ID+"/cancel", nil, http.StatusOK, &res)
	if res.Cancelled != 0 {
		t.Fatalf("second cancel: %+v", res)
	}
}

// TestBatchWorkerKilled stops the only worker in the middle of a batch (an API process and
// worker processes on one data directory and one NATS server): another worker finishes it,
// and every order is rendered exactly once.
func TestBatchWorkerKilled(t *testing.T) {
	dir := t.TempDir()
	ns, err := natsd.Start(filepath.Join(dir, "nats"), natsd.WithListen("127.0.0.1:0"))
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Shutdown()
	cfg := testConfig(t, dir)
	cfg.NATSURL, cfg.Store, cfg.Role = ns.ClientURL(), "fs", "api"
	_, admin := startService(t, cfg)
	clerk := &client{t: t, base: admin.base, token: setupOrg(t, admin, cfg, "balashikha")}

	wcfg := cfg
	wcfg.Role = "worker"
	w1, err := start(context.Background(), wcfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	const n = 400
	acc, _ := submitBatch(t, clerk, http.StatusAccepted, yearConst,
		formFile{"template", "platform.json", []byte(batchTemplate)}, formFile{"data", "platforms.csv", batchCSV(n)})
	for getBatch(t, clerk, acc.ID).Progress.Rendered < 40 {
		time.Sleep(20 * time.Millisecond)
	}
	w1.Close()
	stopped := getBatch(t, clerk, acc.ID).Progress
	if stopped.Rendered >= n || stopped.Rendering != 0 {
		t.Fatalf("after the worker stopped: %+v", stopped)
	}
	time.Sleep(300 * time.Millisecond)
	if p := getBatch(t, clerk, acc.ID).Progress; p.Rendered != stopped.Rendered {
		t.Fatalf("orders rendered with no worker: %d → %d", stopped.Rendered, p.Rendered)
	}
	t.Logf("worker stopped after %d of %d orders", stopped.Rendered, n)
	// Results wait for the end of the batch, unless a part is asked for.
	clerk.json("GET", "/api/v1/batches/"+acc.ID+"/result.zip", nil, http.StatusConflict, nil)
	if m := zipManifestPath(t, clerk, acc.ID+"/result.zip?partial=true"); len(m) != n+1 {
		t.Fatalf("partial manifest: %d rows", len(m)-1)
	}
	startService(t, wcfg)
	ev := followBatch(t, clerk, acc.ID, 3*time.Minute)
	if last := ev[len(ev)-1]; last.Rendered != n {
		t.Fatalf("after the second worker: %+v", last)
	}
	// Exactly once: every order was taken by a worker once (attempts = 1).
	attempts := map[int]int{}
	cursor := ""
	for {
		var page struct {
			Orders []struct {
				Status   string `json:"status"`
				Attempts int    `json:"attempts"`
			} `json:"orders"`
			NextCursor string `json:"next_cursor"`
		}
		clerk.json("GET", "/api/v1/orders?limit=500&cursor="+cursor, nil, http.StatusOK, &page)
		for _, o := range page.Orders {
			if o.Status != "rendered" {
				t.Fatalf("order %s", o.Status)
			}
			attempts[o.Attempts]++
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	if attempts[1] != n {
		t.Fatalf("attempts per order: %v, want all %d at 1", attempts, n)
	}
}

// TestBatchResults registers a batch with consecutive numbers in row order and checks
// result.zip (names, manifest, hashes) and merged.pdf (qpdf, pages, every title).
func TestBatchResults(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	_, admin := startService(t, cfg)
	setupOrg(t, admin, cfg, "balashikha")
	head := &client{t: t, base: admin.base, token: createToken(t, cfg, "balashikha", "head")}
	head.json("PUT", "/api/v1/journals/main", map[string]any{"name": "по основной деятельности", "format": "{seq}-о",
		"starts": map[string]int{"2022": 37}}, http.StatusOK, nil)
	const n = 6
	acc, _ := submitBatch(t, head, http.StatusAccepted, withFields(yearConst, "journal", "main", "date", "2022-09-01"),
		formFile{"template", "platform.json", []byte(batchTemplate)}, formFile{"data", "platforms.csv", batchCSV(n)})
	followBatch(t, head, acc.ID, time.Minute)
	b := getBatch(t, head, acc.ID)
	if b.Progress.ByState["registered"] != n {
		t.Fatalf("states: %v", b.Progress.ByState)
	}

	code, hdr, data := head.do("GET", "/api/v1/batches/"+acc.ID+"/result.zip", "", nil)
	if code != http.StatusOK || hdr.Get("Content-Type") != "application/zip" {
		t.Fatalf("result.zip: %d %s", code, hdr.Get("Content-Type"))
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	must(t, err)
	files := map[string][]byte{}
	var names []string
	for _, f := range zr.File {
		rc, err := f.Open()
		must(t, err)
		files[f.Name], err = io.ReadAll(rc)
		must(t, err)
		names = append(names, f.Name)
	}
	if len(names) != 2*n+1 || names[0] != "№ 37-о МБОУ «СОШ №1».pdf" || names[1] != "№ 37-о МБОУ «СОШ №1».docx" ||
		names[2*n-1] != "№ 42-о МБОУ «СОШ №6».docx" || names[2*n] != "manifest.csv" {
		t.Fatalf("zip entries: %q", names)
	}
	m := files["manifest.csv"]
	if !bytes.HasPrefix(m, []byte("\xEF\xBB\xBF")) {
		t.Fatal("manifest.csv has no UTF-8 BOM")
	}
	cr := csv.NewReader(bytes.NewReader(m[3:]))
	cr.Comma = ';'
	recs, err := cr.ReadAll()
	must(t, err)
	if len(recs) != n+1 || strings.Join(recs[0], ";") != "Строка;Номер;Дата;Заголовок;Организация;Статус;PDF;DOCX;SHA-256 PDF;SHA-256 DOCX" {
		t.Fatalf("manifest: %q", recs)
	}
	var titles []string
	pages := 0
	for i, rec := range recs[1:] {
		wantNum := fmt.Sprintf("%d-о", 37+i)
		if rec[0] != strconv.Itoa(i+2) || rec[1] != wantNum || rec[2] != "01.09.2022" || rec[4] != fmt.Sprintf("МБОУ «СОШ №%d»", i+1) || rec[5] != "готов" {
			t.Fatalf("manifest row %d: %q", i+1, rec)
		}
		for j := range 2 {
			sum := sha256.Sum256(files[rec[6+j]])
			if hex.EncodeToString(sum[:]) != rec[8+j] {
				t.Fatalf("%s: SHA-256 differs from the manifest", rec[6+j])
			}
		}
		titles = append(titles, rec[3])
		c, err := pdfapi.PageCount(bytes.NewReader(files[rec[6]]), nil)
		must(t, err)
		pages += c
		if text := pdfText(t, files[rec[6]]); !strings.Contains(text, "№ "+wantNum) {
			t.Errorf("%s does not print its number", rec[6])
		}
	}

	code, hdr, merged := head.do("GET", "/api/v1/batches/"+acc.ID+"/merged.pdf", "", nil)
	if code != http.StatusOK || hdr.Get("Content-Type") != "application/pdf" {
		t.Fatalf("merged.pdf: %d %s %s", code, hdr.Get("Content-Type"), merged)
	}
	qpdfCheck(t, merged)
	if c, err := pdfapi.PageCount(bytes.NewReader(merged), nil); err != nil || c != pages {
		t.Fatalf("merged.pdf: %d pages (%v), the orders have %d", c, err, pages)
	}
	text := strings.Join(strings.Fields(pdfText(t, merged)), " ")
	last := -1
	for i, title := range titles {
		at := strings.Index(text, title)
		if at < 0 {
			t.Fatalf("merged.pdf lacks the title of row %d: %q", i+2, title)
		}
		if at < last {
			t.Fatalf("merged.pdf: row %d comes before the row above it", i+2)
		}
		last = at
	}
	// A part by rows.
	_, _, part := head.do("GET", "/api/v1/batches/"+acc.ID+"/merged.pdf?from=3&to=4", "", nil)
	ptext := strings.Join(strings.Fields(pdfText(t, part)), " ")
	if !strings.Contains(ptext, titles[1]) || !strings.Contains(ptext, titles[2]) || strings.Contains(ptext, titles[0]) || strings.Contains(ptext, titles[3]) {
		t.Fatalf("merged.pdf?from=3&to=4 has other orders")
	}
}

func qpdfCheck(t *testing.T, pdf []byte) {
	t.Helper()
	if _, err := exec.LookPath("qpdf"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("qpdf missing")
		}
		t.Skip("qpdf missing")
	}
	f := filepath.Join(t.TempDir(), "merged.pdf")
	must(t, os.WriteFile(f, pdf, 0o644))
	out, err := exec.Command("qpdf", "--check", f).CombinedOutput()
	if err != nil || !regexp.MustCompile(`No syntax or stream encoding errors`).Match(out) {
		t.Fatalf("qpdf --check: %v\n%s", err, out)
	}
}

// zipManifest downloads result.zip and returns its manifest rows.
func zipManifest(t *testing.T, c *client, id string) [][]string {
	t.Helper()
	return zipManifestPath(t, c, id+"/result.zip")
}

func zipManifestPath(t *testing.T, c *client, path string) [][]string {
	t.Helper()
	code, _, data := c.do("GET", "/api/v1/batches/"+path, "", nil)
	if code != http.StatusOK {
		t.Fatalf("result.zip: %d %s", code, data)
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	must(t, err)
	for _, f := range zr.File {
		if f.Name == "manifest.csv" {
			rc, err := f.Open()
			must(t, err)
			m, _ := io.ReadAll(rc)
			cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(m, []byte("\xEF\xBB\xBF"))))
			cr.Comma = ';'
			recs, err := cr.ReadAll()
			must(t, err)
			return recs
		}
	}
	t.Fatal("result.zip has no manifest.csv")
	return nil
}

func mergedText(t *testing.T, c *client, id string) string {
	t.Helper()
	code, _, pdf := c.do("GET", "/api/v1/batches/"+id+"/merged.pdf", "", nil)
	if code != http.StatusOK {
		t.Fatalf("merged.pdf: %d %s", code, pdf)
	}
	return strings.Join(strings.Fields(pdfText(t, pdf)), " ")
}

// BenchmarkBatchTenThousand issues a 10,000-row per_row batch end to end in the all-in-one
// mode (embedded NATS, SQLite, documents on disk under a temporary directory) and reports
// rows/s from the upload to the last order rendered:
//
//	go test -run '^$' -bench BatchTenThousand -benchtime 1x ./cmd/ordersd
//
// ORDERS_BENCH_WORKERS sets --workers (default four per CPU); ORDERS_BENCH_DIR the data
// directory's parent (e.g. /dev/shm to leave the disk out).
func BenchmarkBatchTenThousand(b *testing.B) {
	b.Setenv("ORDERS_ADMIN_TOKEN", adminToken)
	var cfg config
	bindFlags(flagSet(), &cfg)
	dir, err := os.MkdirTemp(os.Getenv("ORDERS_BENCH_DIR"), "bench-batch-")
	if err != nil {
		b.Fatal(err)
	}
	defer os.RemoveAll(dir)
	cfg.DataDir, cfg.Addr = dir, "127.0.0.1:0"
	if w := os.Getenv("ORDERS_BENCH_WORKERS"); w != "" {
		cfg.Workers, _ = strconv.Atoi(w)
	}
	if err := cfg.validate(); err != nil {
		b.Fatal(err)
	}
	svc, err := start(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	defer svc.Close()
	base := "http://" + svc.Addr()
	call := func(method, path, ctype string, body []byte) (int, []byte) {
		req, _ := http.NewRequest(method, base+path, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+adminToken)
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, data
	}
	lh, _ := os.ReadFile(filepath.Join("..", "..", "templates", "examples", "balashikha.json"))
	var ex map[string]json.RawMessage
	must(b, json.Unmarshal(lh, &ex))
	if code, body := call("PUT", "/api/v1/organizations/balashikha", "application/json", ex["letterhead"]); code != http.StatusOK {
		b.Fatalf("organization: %d %s", code, body)
	}
	const n = 10000
	for i := 0; b.Loop(); i++ {
		var form bytes.Buffer
		w := multipart.NewWriter(&form)
		must(b, w.WriteField("organization", "balashikha"))
		must(b, w.WriteField("constants", fmt.Sprintf(`{"учебный_год": "20%02d-20%02d"}`, i, i+1)))
		fw, _ := w.CreateFormFile("template", "platform.json")
		fw.Write([]byte(batchTemplate))
		fw, _ = w.CreateFormFile("data", "platforms.csv")
		fw.Write(batchCSV(n))
		must(b, w.Close())
		start := time.Now()
		code, body := call("POST", "/api/v1/batches", w.FormDataContentType(), form.Bytes())
		if code != http.StatusAccepted {
			b.Fatalf("POST /batches: %d %.500s", code, body)
		}
		intake := time.Since(start)
		var acc batchAcc
		must(b, json.Unmarshal(body, &acc))
		// Wait as orderctl does: on the event stream.
		req, _ := http.NewRequest("GET", base+"/api/v1/batches/"+acc.ID+"/events", nil)
		req.Header.Set("Authorization", "Bearer "+adminToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		sc := bufio.NewScanner(resp.Body)
		done := false
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok && done {
				var p progress
				must(b, json.Unmarshal([]byte(data), &p))
				if p.Rendered != n {
					b.Fatalf("done: %+v", p)
				}
				break
			}
			done = sc.Text() == "event: done"
		}
		resp.Body.Close()
		if !done {
			b.Fatalf("the event stream ended without done: %v", sc.Err())
		}
		all := time.Since(start)
		b.ReportMetric(intake.Seconds(), "intake-s")
		b.ReportMetric(all.Seconds(), "total-s")
		b.ReportMetric(n/all.Seconds(), "rows/s")
	}
}
