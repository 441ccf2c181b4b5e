package api

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"orders/internal/blob"
	"orders/internal/blob/fsstore"
	"orders/internal/registry"
	"orders/internal/ru"
)

const exportPath = "/api/v1/archive/export?date_from=2026-01-01&date_to=2026-12-31"

// pdfOf makes distinct bytes that stand for a signed PDF.
func pdfOf(name string, n int) []byte {
	b := bytes.Repeat([]byte(name+" "), n/(len(name)+1)+1)
	return append([]byte("%PDF-1.7\n"), b[:n]...)
}

func readZip(t *testing.T, data []byte) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("not a ZIP: %v (%d bytes: %.200q)", err, len(data), data)
	}
	files := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		files[f.Name] = b
	}
	return files
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestExportContents: the ZIP holds every signed order of the period of the caller's
// organization with its detached signatures, byte for byte; a SHA256SUMS that checks them
// and whose hash the audit entry «export» records; and реестр.csv, which states the
// cancellation of a cancelled order (whose signed PDF stays in the export).
func TestExportContents(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	ctx := t.Context()
	pdfA, pdfB, pdfC := pdfOf("A", 3000), pdfOf("B", 70000), pdfOf("C", 10)
	sigB1, sigB2 := []byte("CMS B one"), []byte("CMS B two")
	// A title that Excel would run as a formula comes out of реестр.csv as text.
	a := signedOrder(t, h.store, h.blobs, "org-a", `=HYPERLINK("http://evil.example","Об отпусках")`, "2026-02-01", pdfA)
	b := signedOrder(t, h.store, h.blobs, "org-a", "О стажировочных площадках", "2026-03-01", pdfB, sigB1, sigB2)
	c := signedOrder(t, h.store, h.blobs, "org-a", "Об отмене", "2026-04-01", pdfC)
	signedOrder(t, h.store, h.blobs, "org-a", "Прошлый год", "2025-12-31", pdfOf("old", 100))
	signedOrder(t, h.store, h.blobs, "org-b", "Чужой", "2026-02-01", pdfOf("other", 100), []byte("CMS other"))
	unsigned := &registry.Order{OrgID: "org-a", Title: "Не подписан", Draft: []byte(`{}`)}
	if _, err := h.store.CreateOrder(ctx, unsigned); err != nil {
		t.Fatal(err)
	}
	if _, err := h.store.RegisterOrder(ctx, "org-a", unsigned.ID, registry.RegisterRequest{Journal: "main", Date: "2026-05-01",
		Build: func(o *registry.Order, _ string, _ int) (registry.Registered, error) {
			return registry.Registered{Draft: []byte(`{}`)}, nil
		}}); err != nil {
		t.Fatal(err)
	}
	cancelled, err := h.store.Cancel(ctx, "org-a", c.ID, registry.CancelRequest{Reason: "издан повторно; см. № 5"})
	if err != nil {
		t.Fatal(err)
	}

	// реестр.csv names the organization as people know it, not by its id.
	if err := h.store.PutOrganization(ctx, &registry.Organization{ID: "org-a", Name: "Управление образования", Profile: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	rec := h.do(ctx, "GET", exportPath, h.token("org-a", "archivist"), nil, "")
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/zip" {
		t.Fatalf("export: %d %s %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body.Bytes())
	}
	files := readZip(t, rec.Body.Bytes())
	checkZipEntries(t, rec.Body.Bytes(), map[string]time.Time{"org-a/Приказ № 1 от 01.02.2026.pdf": *a.SignedAt, "org-a/Приказ № 3 от 01.04.2026.pdf": *c.SignedAt})
	want := map[string][]byte{
		"org-a/Приказ № 1 от 01.02.2026.pdf":   pdfA,
		"org-a/Приказ № 2 от 01.03.2026.pdf":   pdfB,
		"org-a/Приказ № 2 от 01.03.2026.1.sig": sigB1,
		"org-a/Приказ № 2 от 01.03.2026.2.sig": sigB2,
		"org-a/Приказ № 3 от 01.04.2026.pdf":   pdfC,
	}
	var names []string
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names)
	wantNames := []string{"org-a/SHA256SUMS", "реестр.csv"}
	for name := range want {
		wantNames = append(wantNames, name)
	}
	slices.Sort(wantNames)
	if !slices.Equal(names, wantNames) {
		t.Fatalf("ZIP files:\n%q\nwant\n%q", names, wantNames)
	}
	for name, data := range want {
		if !bytes.Equal(files[name], data) {
			t.Errorf("%s: %d bytes differ from the stored %d", name, len(files[name]), len(data))
		}
	}

	// SHA256SUMS checks every file, as sha256sum -c would in the folder.
	sums := files["org-a/SHA256SUMS"]
	sc := bufio.NewScanner(bytes.NewReader(sums))
	checked := 0
	for sc.Scan() {
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok || sha(files["org-a/"+name]) != sum {
			t.Errorf("SHA256SUMS line %q does not check", sc.Text())
		}
		checked++
	}
	if checked != len(want) {
		t.Errorf("SHA256SUMS has %d lines, want %d", checked, len(want))
	}

	// One audit entry for the organization, before anything went out, naming that file.
	entries := auditOf(t, h.store, "org-a", nil, "export")
	if len(entries) != 1 {
		t.Fatalf("audit «export» entries: %d, want 1", len(entries))
	}
	var details struct {
		DateFrom   string `json:"date_from"`
		DateTo     string `json:"date_to"`
		Orders     int
		Files      int
		SHA256Sums string `json:"sha256sums"`
	}
	if err := json.Unmarshal(entries[0].Details, &details); err != nil {
		t.Fatal(err)
	}
	if details.DateFrom != "2026-01-01" || details.DateTo != "2026-12-31" || details.Orders != 3 || details.Files != 5 ||
		details.SHA256Sums != sha(sums) || !strings.Contains(entries[0].Actor, "archivist org-a") {
		t.Errorf("audit entry: actor %q, %+v; SHA256SUMS hash %s", entries[0].Actor, details, sha(sums))
	}
	if strings.Contains(string(entries[0].Details), "filter") {
		t.Errorf("an export by dates only records a filter: %s", entries[0].Details)
	}
	if got := auditOf(t, h.store, "org-b", nil, "export"); len(got) != 0 {
		t.Errorf("org-b audited an export it was not part of: %+v", got)
	}

	// реестр.csv: Excel's BOM and «;», one row an order, the cancellation stated.
	data := files["реестр.csv"]
	if !bytes.HasPrefix(data, []byte("\ufeff")) {
		t.Error("реестр.csv lacks the BOM")
	}
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff"))))
	r.Comma = ';'
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 || !slices.Equal(rows[0], []string{"номер", "дата", "заголовок", "вид", "подписант", "организация", "SHA-256", "файл", "подписи", "отменён", "импортирован"}) {
		t.Fatalf("реестр.csv rows: %q", rows)
	}
	byNumber := map[string][]string{}
	for _, row := range rows[1:] {
		byNumber[row[0]] = row
	}
	if got := byNumber["1"]; got == nil || got[2] != `'=HYPERLINK("http://evil.example","Об отпусках")` {
		t.Errorf("реестр.csv writes a formula as it is: %q", got)
	}
	wantCancel := cancelled.CancelledAt.In(ru.Moscow).Format("02.01.2006") + " — издан повторно; см. № 5"
	for _, tt := range []struct {
		number, date, file, sigs, cancelled, sha string
	}{
		{"1", "01.02.2026", "org-a/Приказ № 1 от 01.02.2026.pdf", "", "", a.SignedSHA256},
		{"2", "01.03.2026", "org-a/Приказ № 2 от 01.03.2026.pdf", "Приказ № 2 от 01.03.2026.1.sig, Приказ № 2 от 01.03.2026.2.sig", "", b.SignedSHA256},
		{"3", "01.04.2026", "org-a/Приказ № 3 от 01.04.2026.pdf", "", wantCancel, c.SignedSHA256},
	} {
		row := byNumber[tt.number]
		if row == nil || row[1] != tt.date || row[5] != "Управление образования" || row[6] != tt.sha || row[7] != tt.file || row[8] != tt.sigs || row[9] != tt.cancelled || row[10] != "" {
			t.Errorf("row № %s = %q", tt.number, row)
		}
	}
}

// checkZipEntries: every entry with a Cyrillic name carries the UTF-8 flag (Debian's unzip
// shows the name garbled without it), and the entries named in dated carry their document's
// time as Moscow wall-clock time in the MS-DOS fields, which unzip -l and Explorer show.
func checkZipEntries(t *testing.T, data []byte, dated map[string]time.Time) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if utf8Required(f.Name) && f.Flags&0x800 == 0 {
			t.Errorf("%s: no UTF-8 flag (flags %#x)", f.Name, f.Flags)
		}
		if at, ok := dated[f.Name]; ok {
			want := at.In(ru.Moscow).Format("2006-01-02 15:04")
			//lint:ignore SA1019 the MS-DOS time is what unzip -l shows
			if got := f.ModTime().Format("2006-01-02 15:04"); got != want {
				t.Errorf("%s: dated %s in unzip -l, want %s (Moscow time of the document)", f.Name, got, want)
			}
		}
	}
}

func utf8Required(s string) bool {
	for _, r := range s {
		if r >= 0x80 {
			return true
		}
	}
	return false
}

// TestExportAdminAuditsEachOrganization: an admin's export of all organizations appends one
// entry to each organization's trail, with that organization's counts.
func TestExportAdminAuditsEachOrganization(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	signedOrder(t, h.store, h.blobs, "org-a", "a1", "2026-02-01", pdfOf("a1", 100))
	signedOrder(t, h.store, h.blobs, "org-a", "a2", "2026-02-02", pdfOf("a2", 100), []byte("sig a2"))
	signedOrder(t, h.store, h.blobs, "org-b", "b1", "2026-02-01", pdfOf("b1", 100))
	rec := h.do(t.Context(), "GET", exportPath+"&kind=приказ", h.token("", "admin"), nil, "")
	if rec.Code != http.StatusOK {
		t.Fatalf("export: %d %s", rec.Code, rec.Body.Bytes())
	}
	files := readZip(t, rec.Body.Bytes())
	for org, want := range map[string][2]int{"org-a": {2, 3}, "org-b": {1, 1}} {
		entries := auditOf(t, h.store, org, nil, "export")
		if len(entries) != 1 {
			t.Fatalf("%s: %d export entries", org, len(entries))
		}
		var d struct {
			Orders, Files int
			Sums          string `json:"sha256sums"`
			Filter        map[string]string
		}
		if err := json.Unmarshal(entries[0].Details, &d); err != nil {
			t.Fatal(err)
		}
		if d.Orders != want[0] || d.Files != want[1] || d.Sums != sha(files[org+"/SHA256SUMS"]) || d.Filter["kind"] != "приказ" {
			t.Errorf("%s: audit %s, want orders %d, files %d", org, entries[0].Details, want[0], want[1])
		}
	}
}

// failingAudit is a registry whose audit trail refuses appends.
type failingAudit struct{ registry.Store }

func (failingAudit) AppendAudit(context.Context, *registry.AuditEntry) error {
	return errors.New("disk full")
}

// TestExportRefusedWithoutAudit: an export that cannot be recorded is not served.
func TestExportRefusedWithoutAudit(t *testing.T) {
	h := newHarness(t, harnessOptions{store: func(s registry.Store) registry.Store { return failingAudit{s} }})
	signedOrder(t, h.store, h.blobs, "org-a", "a1", "2026-02-01", pdfOf("a1", 100))
	rec := h.do(t.Context(), "GET", exportPath, h.token("org-a", "archivist"), nil, "")
	if rec.Code != http.StatusInternalServerError || rec.Header().Get("Content-Type") != problemType ||
		bytes.Contains(rec.Body.Bytes(), []byte("%PDF")) {
		t.Fatalf("export without audit: %d %s %.300q", rec.Code, rec.Header().Get("Content-Type"), rec.Body.Bytes())
	}
	if !strings.Contains(rec.Body.String(), "журнал аудита") {
		t.Errorf("the problem does not say why: %s", rec.Body.Bytes())
	}
}

// TestExportCutOnBadDocument: a signed PDF or a detached signature that does not match its
// recorded SHA-256, or is missing, stops the export: once the ZIP has begun the connection is
// cut, so the client gets an error, not a ZIP that lacks it; before that (the damaged
// document comes first) the answer is a problem. A mismatch counts as an integrity failure.
func TestExportCutOnBadDocument(t *testing.T) {
	damages := []struct {
		name      string
		damage    func(t *testing.T, path string)
		target    string // "pdf" or "sig"
		integrity float64
	}{
		{"changed PDF", flipByte, "pdf", 1},
		{"changed signature", flipByte, "sig", 1},
		{"missing PDF", removeFile, "pdf", 0},
		{"missing signature", removeFile, "sig", 0},
		{"truncated signature", truncateFile, "sig", 1},
	}
	for _, d := range damages {
		for _, first := range []bool{false, true} {
			name := d.name + ", after others"
			if first {
				name = d.name + ", first"
			}
			t.Run(name, func(t *testing.T) {
				h := newHarness(t, harnessOptions{})
				// Newest first: the order created last is exported first.
				var bad *registry.Order
				if !first {
					bad = signedOrder(t, h.store, h.blobs, "org-a", "bad", "2026-02-01", pdfOf("bad", 500), []byte("CMS of bad"))
				}
				for i := range 10 {
					signedOrder(t, h.store, h.blobs, "org-a", "good", "2026-03-01", pdfOf(strings.Repeat("x", i+1), 40000))
				}
				if first {
					bad = signedOrder(t, h.store, h.blobs, "org-a", "bad", "2026-02-01", pdfOf("bad", 500), []byte("CMS of bad"))
				}
				key := bad.SignedKey
				if d.target == "sig" {
					sigs, err := h.store.ListSignatures(t.Context(), "org-a", bad.ID)
					if err != nil {
						t.Fatal(err)
					}
					key = sigs[0].Key
				}
				path, err := h.blobs.Path(key)
				if err != nil {
					t.Fatal(err)
				}
				d.damage(t, path)

				srv := httptest.NewServer(h.server.Handler())
				defer srv.Close()
				req, _ := http.NewRequest("GET", srv.URL+exportPath, nil)
				req.Header.Set("Authorization", "Bearer "+h.token("org-a", "archivist"))
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				body, err := io.ReadAll(resp.Body)
				switch {
				case first:
					if resp.StatusCode != http.StatusInternalServerError || resp.Header.Get("Content-Type") != problemType || err != nil {
						t.Errorf("damaged first: %d %s %v %.200q", resp.StatusCode, resp.Header.Get("Content-Type"), err, body)
					}
				case resp.StatusCode != http.StatusOK:
					t.Fatalf("status %d: the ZIP should have begun before the damaged document", resp.StatusCode)
				case err == nil:
					t.Errorf("the download ended cleanly (%d bytes); want a cut connection", len(body))
				}
				if _, zerr := zip.NewReader(bytes.NewReader(body), int64(len(body))); zerr == nil {
					t.Error("what arrived reads as a ZIP")
				}
				if got := h.integrityFailures(); got != d.integrity {
					t.Errorf("integrity failures = %v, want %v", got, d.integrity)
				}
			})
		}
	}
}

func flipByte(t *testing.T, path string) {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0x20
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func removeFile(t *testing.T, path string) {
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
}

func truncateFile(t *testing.T, path string) {
	if err := os.Truncate(path, 3); err != nil {
		t.Fatal(err)
	}
}

// hangUpBlobs is a document store whose reads make the client hang up right after: the
// request's context is cancelled once the bytes are chosen.
type hangUpBlobs struct {
	blob.Store
	cancel func()
}

func (b hangUpBlobs) Get(ctx context.Context, key string) ([]byte, error) {
	data, err := b.Store.Get(ctx, key)
	b.cancel()
	return data, err
}

// TestSignedDownloadAuditedDespiteHangUp: a client that hangs up once the signed bytes are
// read does not make the download go unrecorded.
func TestSignedDownloadAuditedDespiteHangUp(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	h := newHarness(t, harnessOptions{blobs: func(s *fsstore.Store) blob.Store { return hangUpBlobs{s, cancel} }})
	o := signedOrder(t, h.store, h.blobs, "org-a", "a1", "2026-02-01", pdfOf("a1", 100))
	tok := h.token("org-a", "archivist")
	h.do(t.Context(), "GET", "/api/v1/orders/"+o.ID.String(), tok, nil, "") // caches the token
	h.do(ctx, "GET", "/api/v1/orders/"+o.ID.String()+"/signed.pdf", tok, nil, "")
	id := o.ID
	if got := auditOf(t, h.store, "org-a", &id, "download-signed"); len(got) != 1 {
		t.Errorf("download-signed entries after a hang-up: %d, want 1", len(got))
	}
}

// TestCancelledOrderViews: the order and the archive listing state a cancellation: state
// cancelled, its time and its reason; the signed PDF stays listed.
func TestCancelledOrderViews(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	o := signedOrder(t, h.store, h.blobs, "org-a", "Об отмене", "2026-02-01", pdfOf("c", 100))
	c, err := h.store.Cancel(t.Context(), "org-a", o.ID, registry.CancelRequest{Reason: "издан ошибочно"})
	if err != nil {
		t.Fatal(err)
	}
	tok := h.token("org-a", "archivist")
	type view struct {
		ID           string
		State        string
		CancelledAt  *time.Time `json:"cancelled_at"`
		CancelReason string     `json:"cancel_reason"`
		Documents    map[string]struct{ SHA256 string }
	}
	check := func(what string, v view) {
		t.Helper()
		if v.State != "cancelled" || v.CancelledAt == nil || !v.CancelledAt.Equal(*c.CancelledAt) ||
			v.CancelReason != "издан ошибочно" || v.Documents["signed_pdf"].SHA256 != o.SignedSHA256 {
			t.Errorf("%s: %+v", what, v)
		}
	}
	rec := h.do(t.Context(), "GET", "/api/v1/orders/"+o.ID.String(), tok, nil, "")
	var one view
	if err := json.Unmarshal(rec.Body.Bytes(), &one); err != nil {
		t.Fatal(err)
	}
	check("GET /orders/{id}", one)
	rec = h.do(t.Context(), "GET", "/api/v1/archive?state=cancelled", tok, nil, "")
	var list struct{ Orders []view }
	if err := json.Unmarshal(rec.Body.Bytes(), &list); err != nil || len(list.Orders) != 1 {
		t.Fatalf("GET /archive: %v %s", err, rec.Body.Bytes())
	}
	check("GET /archive", list.Orders[0])
}

// shrinkingRegistry loses an order from the second walk of an export's listing, as if the
// registry changed between counting and streaming.
type shrinkingRegistry struct {
	registry.Store
	calls int
}

func (s *shrinkingRegistry) ListOrders(ctx context.Context, f registry.Filter) ([]registry.Order, string, error) {
	list, next, err := s.Store.ListOrders(ctx, f)
	s.calls++
	if s.calls == 2 && len(list) > 0 {
		list = list[:len(list)-1]
	}
	return list, next, err
}

// TestExportCutWhenRegistryChanges: if what is streamed is not what was counted and
// audited, the export is cut rather than finished.
func TestExportCutWhenRegistryChanges(t *testing.T) {
	h := newHarness(t, harnessOptions{store: func(s registry.Store) registry.Store { return &shrinkingRegistry{Store: s} }})
	for i := range 5 {
		signedOrder(t, h.store, h.blobs, "org-a", "x", "2026-03-01", pdfOf(strings.Repeat("y", i+1), 40000))
	}
	srv := httptest.NewServer(h.server.Handler())
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL+exportPath, nil)
	req.Header.Set("Authorization", "Bearer "+h.token("org-a", "archivist"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || err == nil {
		t.Errorf("export of a changed registry: %d, read error %v (%d bytes); want a cut connection", resp.StatusCode, err, len(body))
	}
}

// TestArchiveSortAndTotal: `sort` orders all the matches on the server, across pages, and
// the first page tells how many there are; an unknown sort is a 400 that names it.
func TestArchiveSortAndTotal(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	for i, date := range []string{"2024-08-16", "2024-09-01", "2026-01-10", "2026-12-05"} {
		signedOrder(t, h.store, h.blobs, "org-a", fmt.Sprintf("Приказ %d", i), date, pdfOf(fmt.Sprint(i), 100))
	}
	tok := h.token("org-a", "archivist")
	type page struct {
		Orders       []struct{ Date string }
		NextCursor   string `json:"next_cursor"`
		Total        *int
		TotalExceeds bool `json:"total_exceeds"`
	}
	get := func(query string) page {
		t.Helper()
		rec := h.do(t.Context(), "GET", "/api/v1/archive?"+query, tok, nil, "")
		var p page
		if err := json.Unmarshal(rec.Body.Bytes(), &p); rec.Code != 200 || err != nil {
			t.Fatalf("GET /archive?%s: %d %s", query, rec.Code, rec.Body.Bytes())
		}
		return p
	}
	first := get("sort=-date&limit=2")
	if first.Total == nil || *first.Total != 4 || first.TotalExceeds {
		t.Errorf("total: %v, exceeds %v; want 4", first.Total, first.TotalExceeds)
	}
	second := get("sort=-date&limit=2&cursor=" + first.NextCursor)
	var dates []string
	for _, o := range append(first.Orders, second.Orders...) {
		dates = append(dates, o.Date)
	}
	if want := []string{"2026-12-05", "2026-01-10", "2024-09-01", "2024-08-16"}; !slices.Equal(dates, want) {
		t.Errorf("dates over two pages: %v, want %v", dates, want)
	}
	rec := h.do(t.Context(), "GET", "/api/v1/archive?sort=author", tok, nil, "")
	if rec.Code != 400 || !strings.Contains(rec.Body.String(), "sort: неизвестный порядок «author»") {
		t.Errorf("unknown sort: %d %s", rec.Code, rec.Body.Bytes())
	}
}
