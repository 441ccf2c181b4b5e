package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"orders/internal/registry"
)

type apiClient struct {
	server, token string
	http          *http.Client
}

func clientFlags(fs *flag.FlagSet) *apiClient {
	c := &apiClient{http: &http.Client{Timeout: 60 * time.Second}}
	fs.StringVar(&c.server, "server", envOr("ORDERS_SERVER", "http://localhost:8080"), "service URL (ORDERS_SERVER)")
	fs.StringVar(&c.token, "token", os.Getenv("ORDERS_TOKEN"), "API token (ORDERS_TOKEN)")
	return c
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// call sends a request and decodes a JSON answer into out; a problem+json answer becomes
// an error listing every problem path.
func (c *apiClient) call(method, path string, body []byte, out any, hdr ...string) (int, error) {
	req, err := http.NewRequest(method, strings.TrimRight(c.server, "/")+path, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if resp.StatusCode >= 400 {
		var p struct {
			Detail string `json:"detail"`
			Errors []struct{ Path, Message string }
		}
		_ = json.Unmarshal(data, &p)
		msg := fmt.Sprintf("%s %s: %s", method, path, resp.Status)
		if p.Detail != "" {
			msg += ": " + p.Detail
		}
		for _, e := range p.Errors {
			msg += fmt.Sprintf("\n  %s: %s", e.Path, e.Message)
		}
		return resp.StatusCode, errors.New(msg)
	}
	if out != nil {
		if b, ok := out.(*[]byte); ok {
			*b = data
			return resp.StatusCode, nil
		}
		return resp.StatusCode, json.Unmarshal(data, out)
	}
	return resp.StatusCode, nil
}

type orderInfo struct {
	ID         string     `json:"id"`
	Status     string     `json:"status"`
	Error      string     `json:"error"`
	Title      string     `json:"title"`
	Number     string     `json:"number"`
	CreatedAt  time.Time  `json:"created_at"`
	RenderedAt *time.Time `json:"rendered_at"`
	Documents  map[string]struct {
		Size   int64  `json:"size"`
		SHA256 string `json:"sha256"`
	} `json:"documents"`
}

func (c *apiClient) wait(id string, timeout time.Duration) (*orderInfo, error) {
	deadline := time.Now().Add(timeout)
	for {
		var o orderInfo
		if _, err := c.call("GET", "/api/v1/orders/"+id, nil, &o); err != nil {
			return nil, err
		}
		if o.Status == "rendered" || o.Status == "failed" || time.Now().After(deadline) {
			return &o, nil
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func submitCmd(args []string) error {
	fs := flag.NewFlagSet("submit", flag.ContinueOnError)
	c := clientFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("submit: name one FILE.json")
	}
	data, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return err
	}
	var acc struct{ ID string }
	if _, err := c.call("POST", "/api/v1/orders", data, &acc); err != nil {
		return err
	}
	fmt.Println("accepted", acc.ID)
	o, err := c.wait(acc.ID, 2*time.Minute)
	if err != nil {
		return err
	}
	fmt.Println("status", o.Status, o.Error)
	if o.Status != "rendered" {
		return fmt.Errorf("order %s is %s", acc.ID, o.Status)
	}
	return nil
}

func getCmd(args []string) error {
	fs := flag.NewFlagSet("get", flag.ContinueOnError)
	c := clientFlags(fs)
	pdfOut := fs.String("pdf", "", "write the PDF here")
	docxOut := fs.String("docx", "", "write the DOCX here")
	asJSON := fs.Bool("json", false, "print the whole answer of the API (with the draft) instead of a summary")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("get: укажите один ID приказа (orderctl get [--pdf FILE] ID)")
	}
	id := fs.Arg(0)
	var raw json.RawMessage
	if _, err := c.call("GET", "/api/v1/orders/"+id, nil, &raw); err != nil {
		return err
	}
	if *asJSON {
		var pretty bytes.Buffer
		_ = json.Indent(&pretty, raw, "", "  ")
		fmt.Println(pretty.String())
	} else if err := summary(os.Stdout, raw); err != nil {
		return err
	}
	for ext, path := range map[string]string{"pdf": *pdfOut, "docx": *docxOut} {
		if path == "" {
			continue
		}
		var data []byte
		if _, err := c.call("GET", "/api/v1/orders/"+id+"/document."+ext, nil, &data); err != nil {
			return err
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// benchCmd submits N copies of a draft from C concurrent clients, waits until all are
// rendered, and reports throughput and latency percentiles of intake and of
// submit-to-rendered (the latter from the registry's created_at and rendered_at).
func benchCmd(args []string) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	c := clientFlags(fs)
	n := fs.Int("n", 1000, "orders to submit")
	conc := fs.Int("c", 16, "concurrent clients")
	rate := fs.Int("rate", 0, "target submissions per second in total (0: as fast as possible)")
	draftFile := fs.String("draft", "", "draft to submit (default: the Balashikha example)")
	timeout := fs.Duration("timeout", 10*time.Minute, "give up waiting for renders after this")
	noWait := fs.Bool("no-wait", false, "report intake only; do not wait for renders (for an API whose workers run elsewhere)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	draft := balashikha
	if *draftFile != "" {
		data, err := os.ReadFile(*draftFile)
		if err != nil {
			return err
		}
		draft = data
	}
	c.http.Transport = &http.Transport{MaxIdleConnsPerHost: *conc}

	ids := make([]string, *n)
	intake := make([]time.Duration, *n)
	var next, failures atomic.Int64
	var firstErr error
	var errOnce sync.Once
	var tick <-chan time.Time
	if *rate > 0 {
		t := time.NewTicker(time.Second / time.Duration(*rate))
		defer t.Stop()
		tick = t.C
	}
	start := time.Now()
	var wg sync.WaitGroup
	for range *conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= *n {
					return
				}
				if tick != nil {
					<-tick
				}
				t0 := time.Now()
				var acc struct{ ID string }
				_, err := c.call("POST", "/api/v1/orders", draft, &acc)
				intake[i] = time.Since(t0)
				if err != nil {
					failures.Add(1)
					errOnce.Do(func() { firstErr = err })
					continue
				}
				ids[i] = acc.ID
			}
		}()
	}
	wg.Wait()
	submitDur := time.Since(start)
	if f := failures.Load(); f > 0 {
		return fmt.Errorf("%d of %d submissions failed; first: %v", f, *n, firstErr)
	}
	if *noWait {
		fmt.Printf("orders: %d, clients: %d\nsubmitted: %.0f/s (%.2fs)\nintake latency: %s\n",
			*n, *conc, float64(*n)/submitDur.Seconds(), submitDur.Seconds(), percentiles(intake))
		return nil
	}

	// Wait for the registry to report every order rendered.
	deadline := time.Now().Add(*timeout)
	for {
		var counts struct{ Orders []orderInfo }
		if _, err := c.call("GET", "/api/v1/orders?status=queued&limit=1", nil, &counts); err != nil {
			return err
		}
		var rendering struct{ Orders []orderInfo }
		if _, err := c.call("GET", "/api/v1/orders?status=rendering&limit=1", nil, &rendering); err != nil {
			return err
		}
		if len(counts.Orders) == 0 && len(rendering.Orders) == 0 {
			break
		}
		if time.Now().After(deadline) {
			return errors.New("timed out waiting for renders")
		}
		time.Sleep(50 * time.Millisecond)
	}
	allDur := time.Since(start)

	// Submit-to-rendered per order, from the registry's own timestamps.
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	var e2e []time.Duration
	var lastRendered time.Time
	failed := 0
	cursor := ""
	for {
		var page struct {
			Orders     []orderInfo `json:"orders"`
			NextCursor string      `json:"next_cursor"`
		}
		if _, err := c.call("GET", "/api/v1/orders?limit=500&cursor="+cursor, nil, &page); err != nil {
			return err
		}
		for _, o := range page.Orders {
			if !want[o.ID] {
				continue
			}
			if o.Status != "rendered" || o.RenderedAt == nil {
				failed++
				continue
			}
			e2e = append(e2e, o.RenderedAt.Sub(o.CreatedAt))
			if o.RenderedAt.After(lastRendered) {
				lastRendered = *o.RenderedAt
			}
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	fmt.Printf("orders: %d, clients: %d\n", *n, *conc)
	fmt.Printf("submitted: %.0f/s (%.2fs)\n", float64(*n)/submitDur.Seconds(), submitDur.Seconds())
	fmt.Printf("rendered:  %.0f/s (all %d rendered after %.2fs, %d not rendered)\n", float64(len(e2e))/allDur.Seconds(), len(e2e), allDur.Seconds(), failed)
	fmt.Printf("intake latency:             %s\n", percentiles(intake))
	fmt.Printf("submit-to-rendered latency: %s\n", percentiles(e2e))
	if failed > 0 {
		return fmt.Errorf("%d orders not rendered", failed)
	}
	return nil
}

func percentiles(ds []time.Duration) string {
	if len(ds) == 0 {
		return "no data"
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	p := func(q float64) time.Duration { return s[min(len(s)-1, int(q*float64(len(s))))] }
	return fmt.Sprintf("p50 %v  p95 %v  p99 %v  max %v", p(0.50).Round(10*time.Microsecond),
		p(0.95).Round(10*time.Microsecond), p(0.99).Round(10*time.Microsecond), s[len(s)-1].Round(10*time.Microsecond))
}

// orderSummary is what summary reads of an order.
type orderSummary struct {
	ID, Organization, Kind, Title, Number, Date, Status, State, Error, Journal, Signatory string
	CancelReason                                                                          string `json:"cancel_reason"`
	Documents                                                                             map[string]struct {
		Size   int64
		SHA256 string
	}
}

// summary prints the few lines a person wants of an order, not the draft's hundreds of
// lines of JSON (--json has them).
func summary(w io.Writer, raw []byte) error {
	var o orderSummary
	if err := json.Unmarshal(raw, &o); err != nil {
		return fmt.Errorf("ответ сервера не читается: %w", err)
	}
	head := "Проект"
	if o.Number != "" {
		head = strings.ToUpper(string([]rune(o.Kind)[:1])) + string([]rune(o.Kind)[1:]) + " № " + o.Number
		if t, err := time.Parse(time.DateOnly, o.Date); err == nil {
			head += " от " + t.Format("02.01.2006")
		}
	}
	fmt.Fprintf(w, "%s «%s»\n", head, o.Title)
	line := func(label, v string) {
		if v != "" {
			fmt.Fprintf(w, "  %-12s %s\n", label+":", v)
		}
	}
	line("ID", o.ID)
	line("организация", o.Organization)
	line("состояние", registry.StateNames[registry.State(o.State)]+", документ: "+registry.StatusNames[registry.Status(o.Status)])
	line("ошибка", o.Error)
	line("журнал", o.Journal)
	line("подписал", o.Signatory)
	line("отменён", o.CancelReason)
	for _, d := range []struct{ key, label string }{{"pdf", "PDF"}, {"docx", "DOCX"}, {"signed_pdf", "подписанный"}} {
		if doc, ok := o.Documents[d.key]; ok {
			line(d.label, fmt.Sprintf("%d КБ, SHA-256 %s", (doc.Size+1023)/1024, doc.SHA256))
		}
	}
	return nil
}
