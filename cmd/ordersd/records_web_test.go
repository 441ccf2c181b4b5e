package main

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/uuid"

	"orders/internal/check"
)

// TestWebRecords walks issue 17's proof from registration on: a head registers and signs an
// order whose clauses name a responsible person and a deadline → its control items appear →
// the clerk sees one overdue and marks the other executed → the archivist files the order
// into a case and sees the volume and its inventory → a visitor without login opens the
// address of the printed QR code, sees the order in force with the SHA-256 of its signed PDF
// and uploads that PDF to compare.
func TestWebRecords(t *testing.T) {
	w := startWeb(t)
	head := &client{t: t, base: w.base, token: createToken(t, w.cfg, "balashikha", "head")}
	draft := example(t, "balashikha")
	delete(draft, "number")
	delete(draft, "date")
	draft["clauses"] = []map[string]any{
		{"text": "Представить отчёт о работе площадок.", "responsible": "Иванова И.И.", "deadline": "до 10.03.2026"},
		{"text": "Провести семинар для руководителей.", "responsible": "Иванова И.И.", "deadline": "до 1 января 2099 г."},
	}
	var acc struct{ ID string }
	head.json("POST", "/api/v1/orders", draft, http.StatusAccepted, &acc)
	id := acc.ID
	waitRendered(t, head, id)
	head.json("POST", "/api/v1/orders/"+id+"/register", map[string]string{"journal": "main", "date": "2026-03-02"}, http.StatusOK, nil)
	waitRendered(t, head, id)
	var signed fullOrder
	head.json("POST", "/api/v1/orders/"+id+"/sign", []byte(`{}`), http.StatusOK, &signed)
	sha := signed.Documents["signed_pdf"].SHA256
	_, _, spdf := head.do("GET", "/api/v1/orders/"+id+"/signed.pdf", "", nil)
	pdfPath := filepath.Join(t.TempDir(), "приказ.pdf")
	webMust(t, os.WriteFile(pdfPath, spdf, 0o644))

	// The control and case pages need a login; the check and the calendar need none.
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for p, want := range map[string]int{"/control": http.StatusSeeOther, "/cases": http.StatusSeeOther,
		"/check": http.StatusOK, "/check/" + id: http.StatusOK, "/api/v1/check/" + id: http.StatusOK, "/api/v1/control": http.StatusUnauthorized} {
		resp, err := hc.Get(w.base + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s without login: %d, want %d", p, resp.StatusCode, want)
		}
	}

	b := newBrowser(t, w.base)
	// The clerk named in both clauses: one overdue, one on time, which she marks executed.
	b.login("ivanova")
	// The order's page lists its items under control.
	b.run("order page", chromedp.Navigate(w.base+"/orders/"+id), visible(`[data-testid="order-control-row"]`))
	if st := b.text(`[data-testid="order-control-row"][data-clause="1"] [data-testid="order-control-state"]`); st != "просрочено" {
		b.fail("the order page's clause 1: %q, want просрочено", st)
	}
	b.axe("order page with control items")
	b.run("control page", chromedp.Navigate(w.base+"/control"), visible(`[data-testid="control"]`))
	b.checkLabels("control")
	if n := get(b, "rows", chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="control-row"]').length`)); n != 2 {
		b.fail("control rows: %d, want 2", n)
	}
	if st := b.text(`[data-clause="1"] [data-testid="control-state"]`); st != "просрочено" {
		b.fail("clause 1: %q, want просрочено", st)
	}
	if st := b.text(`[data-clause="2"] [data-testid="control-state"]`); st != "в срок" {
		b.fail("clause 2: %q, want в срок", st)
	}
	b.shot("control")
	b.run("mark clause 2",
		setValue(`[data-clause="2"] [data-testid="mark-note"]`, "Семинар проведён, протокол № 4"),
		click(`[data-clause="2"] [data-testid="mark"]`))
	b.waitJS("clause 2 done", `(document.querySelector('[data-clause="2"] [data-testid="control-state"]')||{}).textContent === 'исполнено'`, 10*time.Second)
	if row := b.text(`[data-clause="2"]`); !strings.Contains(row, "Иванова И.И.: Семинар проведён, протокол № 4") {
		b.fail("marked row: %q", row)
	}
	if counts := b.text(`[data-testid="control-counts"]`); !strings.Contains(counts, "просрочено: 1") || !strings.Contains(counts, "исполнено: 1") {
		b.fail("counts: %q", counts)
	}
	b.run("calendar address", click(`[data-testid="feed-new"]`))
	b.waitJS("feed address shown", `document.querySelector('[data-testid="feed-out"]').textContent.includes('/calendar/')`, 10*time.Second)
	feed := b.text(`[data-testid="feed-out"]`)
	feedURL := feed[strings.Index(feed, "http"):]
	resp, err := http.Get(feedURL)
	if err != nil || resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/calendar; charset=utf-8" {
		t.Fatalf("calendar %s: %v %v", feedURL, resp, err)
	}
	resp.Body.Close()
	b.logout()

	// The archivist keeps the nomenclature and files the order.
	b.login("petrova")
	b.run("cases page", chromedp.Navigate(w.base+"/cases"), visible(`[data-testid="case-form"]`))
	b.checkLabels("cases")
	b.run("new case",
		setValue(`#case-index`, "01-05"),
		setValue(`#case-title`, "Приказы по основной деятельности"),
		setValue(`#case-retention`, "постоянно"),
		click(`#case-form button[type="submit"]`))
	b.waitJS("case listed", `!!document.querySelector('[data-testid="cases"]') && document.querySelector('[data-testid="cases"]').textContent.includes('01-05')`, 10*time.Second)
	b.run("file the order", setValue(`#file-order`, id), setValue(`#file-case`, "01-05"), click(`[data-testid="file"]`))
	b.waitJS("volume listed", `!!document.querySelector('[data-testid="volume"]')`, 10*time.Second)
	if vol := b.text(`[data-testid="volume"]`); !strings.Contains(vol, "2026") || !strings.Contains(vol, "01-05") || !strings.Contains(vol, "постоянно") {
		b.fail("volume: %q", vol)
	}
	b.shot("cases")
	code, hdr, xlsx, err := (&client{t: t, base: w.base}).downloadWith(b.httpClient(), b.attr(`[data-testid="inventory-xlsx"]`, "href"))
	if err != nil || code != http.StatusOK || !strings.HasPrefix(string(xlsx), "PK") || !strings.Contains(hdr.Get("Content-Disposition"), "filename*=") {
		t.Fatalf("inventory download: %d %v %v", code, hdr, err)
	}
	b.logout()

	// A visitor, no login: the QR code's address.
	qr := check.URL(w.base, uuid.MustParse(id))
	b.run("check page", chromedp.Navigate(qr), visible(`[data-testid="check-result"]`))
	if st := b.text(`[data-testid="check-state"]`); st != "действует" {
		b.fail("state %q", st)
	}
	if got := b.text(`[data-testid="check-sha"]`); got != sha {
		b.fail("sha %q, want %q", got, sha)
	}
	if page := b.text(`[data-testid="check"]`); strings.Contains(page, "семинар") || strings.Contains(page, "площадок") {
		b.fail("the check shows the text of a non-public order: %q", page)
	}
	b.checkLabels("check")
	b.shot("check")
	b.run("compare the signed PDF",
		chromedp.SetUploadFiles(chromedp.CSS(`[data-testid="check-pdf"]`), []string{pdfPath}),
		click(`[data-testid="check-upload"]`),
		visible(`[data-testid="check-compare"]`))
	if cmp := b.text(`[data-testid="check-compare"]`); !strings.Contains(cmp, "совпадает с подписанным приказом") {
		b.fail("comparison: %q", cmp)
	}
	// Typed by number, date and organization.
	b.run("check form", chromedp.Navigate(w.base+"/check"), visible(`[data-testid="check-form"]`),
		setValue(`#check-org`, "balashikha"), setValue(`#check-number`, signed.Number),
		setValue(`#check-date`, "2026-03-02"), click(`[data-testid="check-form"] button`),
		visible(`[data-testid="check-result"]`))
	if n := b.text(`[data-testid="check-number"]`); !strings.Contains(n, "№ "+signed.Number+" от 02.03.2026") {
		b.fail("by number: %q", n)
	}
}

// downloadWith GETs path with hc (the browser's cookies).
func (c *client) downloadWith(hc *http.Client, path string) (int, http.Header, []byte, error) {
	resp, err := hc.Get(c.base + path)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, data, err
}
