package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// errRowProblems is returned after the row problems of a batch have been printed.
var errRowProblems = errors.New("пакет не выпущен: исправьте строки, перечисленные выше (или --valid-only — выпустить только верные)")

// errTemplateProblems is returned after the template problems of a batch have been printed.
var errTemplateProblems = errors.New("пакет не выпущен: исправьте шаблон или константы, перечисленные выше")

// russianCount is «1 ошибка», «3 ошибки», «5 ошибок».
func russianCount(n int) string {
	w := "ошибок"
	switch {
	case n%100 >= 11 && n%100 <= 14:
	case n%10 == 1:
		w = "ошибка"
	case n%10 >= 2 && n%10 <= 4:
		w = "ошибки"
	}
	return fmt.Sprintf("%d %s", n, w)
}

// constFlag collects repeated --const name=value.
type constFlag map[string]string

func (f constFlag) String() string { return "" }

func (f constFlag) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || strings.TrimSpace(k) == "" {
		return fmt.Errorf("want name=value, not %q", v)
	}
	f[strings.TrimSpace(k)] = val
	return nil
}

// batchUpload is what POST /api/v1/batches takes as multipart/form-data.
type batchUpload struct {
	template     []byte
	templateFile string
	templateName string
	data         []byte
	dataFile     string
	mode         string
	constants    map[string]string
	validOnly    bool
	sheet        string
	journal      string
	date         string
	organization string
}

// body builds the multipart form; the files go last so the small fields come first.
func (u *batchUpload) body() (ctype string, body []byte, err error) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	field := func(name, value string) {
		if value != "" && err == nil {
			err = w.WriteField(name, value)
		}
	}
	field("template_name", u.templateName)
	field("mode", u.mode)
	if len(u.constants) > 0 {
		js, _ := json.Marshal(u.constants)
		field("constants", string(js))
	}
	if u.validOnly {
		field("valid_only", "true")
	}
	field("sheet", u.sheet)
	field("journal", u.journal)
	field("date", u.date)
	field("organization", u.organization)
	file := func(name, filename string, data []byte) {
		if data == nil || err != nil {
			return
		}
		var fw io.Writer
		if fw, err = w.CreateFormFile(name, filename); err == nil {
			_, err = fw.Write(data)
		}
	}
	file("template", u.templateFile, u.template)
	file("data", u.dataFile, u.data)
	if err == nil {
		err = w.Close()
	}
	return w.FormDataContentType(), b.Bytes(), err
}

// batchAccepted is the answer of POST /api/v1/batches.
type batchAccepted struct {
	ID       string         `json:"id"`
	Total    int            `json:"total"`
	Location string         `json:"location"`
	Skipped  []rowProblem   `json:"skipped"`
	Warnings []string       `json:"warnings"`
	Progress *batchProgress `json:"progress"`
	replayed bool
}

type rowProblem struct {
	Line    int    `json:"line"`
	Column  string `json:"column"`
	Message string `json:"message"`
	Text    string `json:"text"`
}

func (p rowProblem) String() string {
	if p.Text != "" {
		return p.Text
	}
	return fmt.Sprintf("строка %d, столбец «%s»: %s", p.Line, p.Column, p.Message)
}

type batchProgress struct {
	Total     int  `json:"total"`
	Queued    int  `json:"queued"`
	Rendering int  `json:"rendering"`
	Rendered  int  `json:"rendered"`
	Failed    int  `json:"failed"`
	Cancelled int  `json:"cancelled"`
	Finished  int  `json:"finished"`
	Done      bool `json:"done"`
}

// submitBatch uploads a batch. Row problems are printed to w and end in errRowProblems.
func (c *apiClient) submitBatch(u *batchUpload, w io.Writer) (*batchAccepted, error) {
	ctype, body, err := u.body()
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequest("POST", strings.TrimRight(c.server, "/")+"/api/v1/batches", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", ctype)
	c.auth(req)
	// Planning and recording 10,000 rows takes seconds, not the minute of c.http.
	resp, err := (&http.Client{Timeout: 10 * time.Minute, Transport: c.http.Transport}).Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 400 {
		var p struct {
			Detail      string `json:"detail"`
			Errors      []struct{ Path, Message string }
			RowProblems []rowProblem `json:"row_problems"`
			// TemplateProblems: the template's fault; the rows were not looked at.
			TemplateProblems []struct{ Text string } `json:"template_problems"`
		}
		_ = json.Unmarshal(data, &p)
		if len(p.TemplateProblems) > 0 {
			fmt.Fprintf(w, "шаблон: %s (файл данных не проверялся):\n", russianCount(len(p.TemplateProblems)))
			for _, tp := range p.TemplateProblems {
				fmt.Fprintf(w, "  %s\n", tp.Text)
			}
			return nil, errTemplateProblems
		}
		if len(p.RowProblems) == 0 {
			msg := "POST /api/v1/batches: " + resp.Status
			if p.Detail != "" {
				msg += ": " + p.Detail
			}
			for _, e := range p.Errors {
				msg += fmt.Sprintf("\n  %s: %s", e.Path, e.Message)
			}
			return nil, errors.New(msg)
		}
		fmt.Fprintf(w, "%s: в строках %s:\n", u.dataFile, russianCount(len(p.RowProblems)))
		for _, rp := range p.RowProblems {
			fmt.Fprintf(w, "  %s\n", rp)
		}
		return nil, errRowProblems
	}
	var acc batchAccepted
	if err := json.Unmarshal(data, &acc); err != nil {
		return nil, fmt.Errorf("POST /api/v1/batches: %v", err)
	}
	acc.replayed = resp.Header.Get("Idempotent-Replayed") == "true"
	return &acc, nil
}

func (c *apiClient) auth(req *http.Request) {
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
}

// follow reads the batch's Server-Sent Events until the done event, calling show for every
// progress event. A dropped stream is reopened until ctx ends.
func (c *apiClient) follow(ctx context.Context, id string, show func(batchProgress)) (batchProgress, error) {
	var last batchProgress
	for {
		done, err := c.followOnce(ctx, id, func(p batchProgress) { last = p; show(p) })
		if done {
			return last, nil
		}
		if ctx.Err() != nil {
			return last, fmt.Errorf("batch %s: still running after the timeout: %v", id, ctx.Err())
		}
		var he *httpError
		if errors.As(err, &he) && he.code < 500 {
			return last, err
		}
		time.Sleep(time.Second)
	}
}

type httpError struct {
	code int
	msg  string
}

func (e *httpError) Error() string { return e.msg }

func (c *apiClient) followOnce(ctx context.Context, id string, show func(batchProgress)) (done bool, err error) {
	req, err := http.NewRequestWithContext(ctx, "GET", strings.TrimRight(c.server, "/")+"/api/v1/batches/"+id+"/events", nil)
	if err != nil {
		return false, err
	}
	req.Header.Set("Accept", "text/event-stream")
	c.auth(req)
	// No client timeout: the stream lasts as long as the batch.
	resp, err := (&http.Client{Transport: c.http.Transport}).Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		data, _ := io.ReadAll(resp.Body)
		return false, &httpError{resp.StatusCode, fmt.Sprintf("GET events: %s: %s", resp.Status, bytes.TrimSpace(data))}
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var event, data string
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if data != "" {
				var p batchProgress
				if err := json.Unmarshal([]byte(data), &p); err == nil {
					show(p)
				}
			}
			if event == "done" {
				return true, nil
			}
			event, data = "", ""
		case strings.HasPrefix(line, "event:"):
			event = strings.TrimSpace(strings.TrimPrefix(line, "event:"))
		case strings.HasPrefix(line, "data:"):
			data += strings.TrimPrefix(strings.TrimPrefix(line, "data:"), " ")
		}
	}
	if err := sc.Err(); err != nil {
		return false, err
	}
	return false, io.ErrUnexpectedEOF
}

// progressBar draws batch progress: one line redrawn with \r on a terminal, plain lines
// (at most every two seconds, and the last) otherwise.
type progressBar struct {
	w        io.Writer
	tty      bool
	start    time.Time
	lastLine time.Time
	width    int
}

func newProgressBar(w *os.File) *progressBar {
	fi, err := w.Stat()
	tty := err == nil && fi.Mode()&os.ModeCharDevice != 0
	return &progressBar{w: w, tty: tty, start: time.Now(), width: 30}
}

func (b *progressBar) show(p batchProgress) {
	total := max(p.Total, 1)
	pct := 100 * p.Finished / total
	rate := float64(p.Finished) / max(time.Since(b.start).Seconds(), 0.001)
	tail := fmt.Sprintf("%d/%d %3d%%  готово %d, ошибок %d, отменено %d  %.0f/с", p.Finished, p.Total, pct, p.Rendered, p.Failed, p.Cancelled, rate)
	if !b.tty {
		if p.Done || time.Since(b.lastLine) >= 2*time.Second {
			fmt.Fprintln(b.w, tail)
			b.lastLine = time.Now()
		}
		return
	}
	fill := b.width * p.Finished / total
	bar := strings.Repeat("█", fill) + strings.Repeat("░", b.width-fill)
	fmt.Fprintf(b.w, "\r[%s] %s\x1b[K", bar, tail)
	if p.Done {
		fmt.Fprintln(b.w)
	}
}

// download writes a GET to a file, through a temporary name so a broken download leaves
// no truncated file behind.
func (c *apiClient) download(ctx context.Context, path, out string) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", strings.TrimRight(c.server, "/")+path, nil)
	if err != nil {
		return 0, err
	}
	c.auth(req)
	resp, err := (&http.Client{Transport: c.http.Transport}).Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		data, _ := io.ReadAll(resp.Body)
		return 0, fmt.Errorf("GET %s: %s: %s", path, resp.Status, bytes.TrimSpace(data))
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), ".orderctl-*")
	if err != nil {
		return 0, err
	}
	defer os.Remove(tmp.Name())
	n, err := io.Copy(tmp, resp.Body)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return n, err
	}
	return n, os.Rename(tmp.Name(), out)
}

func batchCmd(args []string) error {
	fs := flag.NewFlagSet("batch", flag.ContinueOnError)
	c := clientFlags(fs)
	tmplFile := fs.String("template", "", "order template: a draft JSON with {fields}")
	tmplName := fs.String("template-name", "", "a template of the server (templates/orders), e.g. platforms-yearly")
	dataFile := fs.String("data", "", "the rows: CSV (UTF-8 or Windows-1251), XLSX or JSON")
	mode := fs.String("mode", "per_row", "per_row (an order per row) or one_order (one order, the rows in its appendix table)")
	consts := constFlag{}
	fs.Var(consts, "const", "a constant of the template, name=value (repeatable)")
	validOnly := fs.Bool("valid-only", false, "issue the valid rows and skip the others (default: all or nothing)")
	sheet := fs.String("sheet", "", "XLSX sheet (default: the first)")
	journal := fs.String("journal", "", "register the batch in this journal, consecutive numbers in row order")
	date := fs.String("date", "", "registration date YYYY-MM-DD (default: today)")
	org := fs.String("organization", "", "issuing organization (admin tokens only)")
	out := fs.String("out", "", "write the ZIP of the documents here (default batch-ID.zip)")
	noZip := fs.Bool("no-zip", false, "do not download the ZIP")
	timeout := fs.Duration("timeout", time.Hour, "give up waiting after this")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("batch: unexpected arguments %q", fs.Args())
	}
	if (*tmplFile == "") == (*tmplName == "") {
		return errors.New("batch: give --template FILE.json or --template-name NAME")
	}
	if *dataFile == "" {
		return errors.New("batch: --data FILE is required")
	}
	u := &batchUpload{templateName: *tmplName, mode: *mode, constants: consts, validOnly: *validOnly,
		sheet: *sheet, journal: *journal, date: *date, organization: *org, dataFile: filepath.Base(*dataFile)}
	var err error
	if *tmplFile != "" {
		if u.template, err = os.ReadFile(*tmplFile); err != nil {
			return err
		}
		u.templateFile = filepath.Base(*tmplFile)
	}
	if u.data, err = os.ReadFile(*dataFile); err != nil {
		return err
	}
	acc, err := c.submitBatch(u, os.Stderr)
	if err != nil {
		return err
	}
	if acc.replayed {
		fmt.Printf("batch %s: already submitted (%d orders); nothing new was created\n", acc.ID, acc.Total)
	} else {
		fmt.Printf("batch %s: %d orders accepted\n", acc.ID, acc.Total)
	}
	if len(acc.Skipped) > 0 {
		fmt.Fprintf(os.Stderr, "пропущены строки с ошибками (%s):\n", russianCount(len(acc.Skipped)))
		for _, p := range acc.Skipped {
			fmt.Fprintf(os.Stderr, "  %s\n", p)
		}
	}
	for _, w := range acc.Warnings {
		fmt.Fprintf(os.Stderr, "предупреждение: %s\n", w)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	bar := newProgressBar(os.Stdout)
	final, err := c.follow(ctx, acc.ID, bar.show)
	if err != nil {
		return err
	}
	fmt.Printf("batch %s: %d rendered, %d failed, %d cancelled in %s\n", acc.ID, final.Rendered, final.Failed, final.Cancelled, time.Since(bar.start).Round(100*time.Millisecond))
	if !*noZip && final.Rendered > 0 {
		path := *out
		if path == "" {
			path = "batch-" + acc.ID + ".zip"
		}
		n, err := c.download(ctx, "/api/v1/batches/"+acc.ID+"/result.zip", path)
		if err != nil {
			return err
		}
		fmt.Printf("wrote %s (%d bytes)\n", path, n)
	}
	if final.Failed > 0 {
		return fmt.Errorf("%d order(s) failed; see manifest.csv in the ZIP or GET /api/v1/batches/%s", final.Failed, acc.ID)
	}
	return nil
}

// benchTemplate is the per-row order of bench-batch: the yearly platform order of one
// school, issued by the caller's organization.
const benchTemplate = `{
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

// benchRows is a CSV of n platform rows for benchTemplate; seed makes the rows (and so the
// batch key) differ between runs against one server.
func benchRows(n int, seed string) []byte {
	var b bytes.Buffer
	b.WriteString("Организация;Тема;Руководитель;Поручение;Дата\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "МБОУ «СОШ №%d»;Функциональная грамотность %d (%s);Иванова И.И.;Обеспечить работу площадки.;24.08.2021\n", i, i, seed)
	}
	return b.Bytes()
}

// benchBatchCmd measures a batch end to end: upload (plan, record, publish), then every
// order rendered, from the client's clock.
func benchBatchCmd(args []string) error {
	fs := flag.NewFlagSet("bench-batch", flag.ContinueOnError)
	c := clientFlags(fs)
	n := fs.Int("n", 10000, "rows (orders)")
	org := fs.String("organization", "", "issuing organization (admin tokens only)")
	withZip := fs.Bool("zip", false, "also time the download of result.zip")
	timeout := fs.Duration("timeout", 30*time.Minute, "give up after this")
	if err := fs.Parse(args); err != nil {
		return err
	}
	u := &batchUpload{template: []byte(benchTemplate), templateFile: "bench.json", dataFile: "bench.csv",
		data: benchRows(*n, time.Now().Format(time.RFC3339Nano)), constants: map[string]string{"учебный_год": "2021-2022"},
		organization: *org}
	start := time.Now()
	acc, err := c.submitBatch(u, os.Stderr)
	if err != nil {
		return err
	}
	intake := time.Since(start)
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	bar := newProgressBar(os.Stderr)
	final, err := c.follow(ctx, acc.ID, bar.show)
	if err != nil {
		return err
	}
	all := time.Since(start)
	fmt.Printf("batch %s: %d rows\n", acc.ID, *n)
	fmt.Printf("intake (upload, check, record, publish): %.2fs (%.0f rows/s)\n", intake.Seconds(), float64(*n)/intake.Seconds())
	fmt.Printf("all rendered: %.2fs (%.0f rows/s); rendered %d, failed %d, cancelled %d\n",
		all.Seconds(), float64(final.Rendered)/all.Seconds(), final.Rendered, final.Failed, final.Cancelled)
	if *withZip {
		t := time.Now()
		path := filepath.Join(os.TempDir(), "bench-batch-"+acc.ID+".zip")
		size, err := c.download(ctx, "/api/v1/batches/"+acc.ID+"/result.zip", path)
		if err != nil {
			return err
		}
		os.Remove(path)
		fmt.Printf("result.zip: %d bytes in %.2fs\n", size, time.Since(t).Seconds())
	}
	if final.Rendered != *n {
		return fmt.Errorf("%d of %d orders rendered", final.Rendered, *n)
	}
	return nil
}
