package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"codeberg.org/go-pdf/fpdf"
	"github.com/chromedp/chromedp"
)

// TestWebImported imports a scan through the running service and reads it as people do: the
// order page says it came from the paper archive and offers the upload, not a DOCX, and no
// signing by the service; the archive marks it.
func TestWebImported(t *testing.T) {
	w := startWeb(t)
	archivist := &client{t: t, base: w.base, token: createToken(t, w.cfg, "balashikha", "archivist")}
	p := fpdf.New("P", "mm", "A4", "")
	p.AddPage()
	p.SetFont("Helvetica", "", 14)
	p.Cell(40, 10, "Prikaz 15-k")
	var pdf, body bytes.Buffer
	if err := p.Output(&pdf); err != nil {
		t.Fatal(err)
	}
	mw := multipart.NewWriter(&body)
	mw.WriteField("meta", `{"number":"15-к","date":"2019-03-01","title":"Об утверждении графика отпусков","signatory":"Зубова А.Н."}`)
	f, _ := mw.CreateFormFile("pdf", "скан.pdf")
	f.Write(pdf.Bytes())
	mw.Close()
	code, _, resp := archivist.do("POST", "/api/v1/orders/import", mw.FormDataContentType(), body.Bytes())
	var o struct {
		ID       string `json:"id"`
		Imported bool   `json:"imported"`
	}
	if code != http.StatusCreated || json.Unmarshal(resp, &o) != nil || !o.Imported {
		t.Fatalf("import: %d %s", code, resp)
	}

	b := newBrowser(t, w.base)
	b.login("zubova") // a head: the one who could sign an order of the service here
	b.run("the imported order's page", chromedp.Navigate(w.base+"/orders/"+o.ID), visible(`[data-testid="imported"]`),
		visible(`a[data-doc="pdf"]`))
	if mark := b.text(`[data-testid="imported"]`); !strings.Contains(mark, "Импортирован из бумажного архива") {
		b.fail("mark on the page: %q", mark)
	}
	if h := b.text(`#order-title`); !strings.Contains(h, "№ 15-к от 01.03.2019") {
		b.fail("heading: %q", h)
	}
	b.waitJS("actions drawn", `document.querySelector('#actions-body') !== null && (document.querySelector('#actions').hidden || document.querySelector('#actions-body').children.length > 0)`, 5*time.Second)
	b.waitJS("no DOCX, no signing by the service, nothing to copy",
		`!document.querySelector('a[data-doc="docx"]') && !document.querySelector('#sign-btn') && !document.querySelector('a[href*="copy="]') && !!document.querySelector('#cancel-reason')`, 5*time.Second)
	resp2, err := b.httpClient().Get(w.base + b.attr(`a[data-doc="pdf"]`, "href"))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp2.Body)
	resp2.Body.Close()
	if !bytes.Equal(got, pdf.Bytes()) {
		b.fail("the PDF link serves %d bytes, not the %d uploaded", len(got), pdf.Len())
	}
	b.shot("order-imported")

	b.run("the archive", chromedp.Navigate(w.base+"/archive?number=15-к"), visible(`#results [data-testid="imported"]`))
	if badge := b.text(`#results [data-testid="imported"]`); badge != "импортирован" {
		b.fail("archive mark: %q", badge)
	}
	b.run("the list", chromedp.Navigate(w.base+"/orders"), visible(`[data-testid="imported"]`))
}

// TestWebArchiveSort: «Дата» sorts all the matches on the server, not the 25 rows on the
// screen (it once put 16.08.2024 first while 05.12.2026 was on page 2), and the archive
// tells how many it found.
func TestWebArchiveSort(t *testing.T) {
	w := startWeb(t)
	archivist := &client{t: t, base: w.base, token: createToken(t, w.cfg, "balashikha", "archivist")}
	const n = 30
	first := time.Date(2024, 8, 16, 0, 0, 0, 0, time.UTC)
	var newest string
	for i := range n {
		// Imported in an order that is neither the dates' nor their reverse.
		k := (i*7 + n - 1) % n // the newest date is imported first: page 2 of the newest-first list
		date := first.AddDate(0, 0, k*29)
		if k == n-1 {
			newest = date.Format("02.01.2006")
		}
		p := fpdf.New("P", "mm", "A4", "")
		p.AddPage()
		p.SetFont("Helvetica", "", 14)
		p.Cell(40, 10, fmt.Sprintf("Prikaz %d", k))
		var pdf, body bytes.Buffer
		if err := p.Output(&pdf); err != nil {
			t.Fatal(err)
		}
		mw := multipart.NewWriter(&body)
		mw.WriteField("meta", fmt.Sprintf(`{"number":"%d-к","date":%q,"title":"О приказе %d","signatory":"Зубова А.Н."}`, k+1, date.Format(time.DateOnly), k))
		f, _ := mw.CreateFormFile("pdf", "скан.pdf")
		f.Write(pdf.Bytes())
		mw.Close()
		if code, _, resp := archivist.do("POST", "/api/v1/orders/import", mw.FormDataContentType(), body.Bytes()); code != http.StatusCreated {
			t.Fatalf("import %d: %d %s", k, code, resp)
		}
	}
	b := newBrowser(t, w.base)
	b.login("petrova")
	b.run("archive", chromedp.Navigate(w.base+"/archive"), visible(`#results tbody tr`))
	b.waitJS("total", `document.getElementById('archive-status').textContent.startsWith('Найдено: 30.')`, 10*time.Second)
	b.run("sort by date", eval(`document.querySelector('button[data-sort="date"]').click()`))
	b.waitJS("newest first", `document.querySelector('#results tbody tr td[data-label="Дата"]')?.textContent === '`+newest+`'`, 10*time.Second)
	if s := b.attr(`th:has(button[data-sort="date"])`, "aria-sort"); s != "descending" {
		b.fail("aria-sort of «Дата»: %q", s)
	}
	b.run("page 2", click(`#next`))
	b.waitJS("oldest last", `(() => { const d = [...document.querySelectorAll('#results tbody td[data-label="Дата"]')].map(td => td.textContent); return d.length === 5 && d[4] === '16.08.2024'; })()`, 10*time.Second)
	if v := b.value(`#a-sort`); v != "-date" {
		b.fail("«Порядок» after the header's sort: %q", v)
	}
	b.shot("archive-sorted")

	// On a phone the table has no header to click: «Порядок» in the form sorts.
	b.run("phone", chromedp.EmulateViewport(390, 844), chromedp.Navigate(w.base+"/archive"), visible(`#a-sort`),
		setValue(`#a-sort`, "date"), click(`#search button[type=submit]`))
	b.waitJS("oldest first on a phone", `document.querySelector('#results tbody tr td[data-label="Дата"]')?.textContent === '16.08.2024'`, 10*time.Second)
}
