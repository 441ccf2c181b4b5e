package api

import (
	"archive/zip"
	"bufio"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"orders/internal/blob"
	"orders/internal/registry"
)

// Sizes of the export that TestExportPeakRSS makes: 5,000 signed orders of a year, each with
// a signed PDF the size of a one-page order and a detached signature.
const (
	rssOrders  = 5000
	rssPDFSize = 24 << 10
	rssSigSize = 3 << 10
	// rssGrowthLimitMB bounds what the export adds to the process's peak: the test binary's
	// own footprint before it (the code of every test of the package, the registry opened)
	// grows with the package and is not the export's.
	rssGrowthLimitMB = 50
)

// TestExportPeakRSS: exporting 5,000 signed orders (117 MB of PDFs) keeps the process under
// 100 MB of resident memory at its peak. The export runs in a child process (this test
// binary again), so that the peak (VmHWM) is the export's and not the setup's; the ZIP it
// received is then checked whole.
func TestExportPeakRSS(t *testing.T) {
	if dir := os.Getenv("ORDERS_TEST_EXPORT_RSS_DIR"); dir != "" {
		exportRSSChild(t, dir)
		return
	}
	if testing.Short() {
		t.Skip("makes 5,000 orders")
	}
	dir := t.TempDir()
	start := time.Now()
	// The data only has to exist: no fsync while making it.
	h := newHarness(t, harnessOptions{dir: dir, dsnQuery: "?_synchronous=OFF"})
	token := h.token("org-a", "archivist")
	makeSignedOrders(t, h, "org-a", rssOrders)
	h.store.Close()
	t.Logf("made %d signed orders in %v", rssOrders, time.Since(start).Round(time.Millisecond))

	start = time.Now()
	cmd := exec.Command(os.Args[0], "-test.run", "^TestExportPeakRSS$", "-test.v")
	cmd.Env = append(os.Environ(), "ORDERS_TEST_EXPORT_RSS_DIR="+dir, "ORDERS_TEST_EXPORT_RSS_TOKEN="+token)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("export child: %v\n%s", err, out)
	}
	var hwm, before int
	for _, line := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "export VmHWM kB: "); ok {
			hwm, _ = strconv.Atoi(v)
		}
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "before export VmHWM kB: "); ok {
			before, _ = strconv.Atoi(v)
		}
	}
	if hwm == 0 {
		t.Fatalf("the child did not report its VmHWM:\n%s", out)
	}
	t.Logf("export in the child: %v, peak RSS %.1f MB (%.1f MB before the export began)",
		time.Since(start).Round(time.Millisecond), float64(hwm)/1024, float64(before)/1024)
	if grown := hwm - before; grown >= rssGrowthLimitMB*1024 {
		t.Errorf("the export raised the peak RSS by %.1f MB, want < %d MB", float64(grown)/1024, rssGrowthLimitMB)
	}

	zr, err := zip.OpenReader(filepath.Join(dir, "export.zip"))
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var pdfs, sigs, csvs int
	for _, f := range zr.File {
		switch {
		case strings.HasSuffix(f.Name, ".pdf") && f.UncompressedSize64 == rssPDFSize:
			pdfs++
		case strings.HasSuffix(f.Name, ".sig") && f.UncompressedSize64 == rssSigSize:
			sigs++
		case f.Name == "реестр.csv":
			csvs++
		}
	}
	if pdfs != rssOrders || sigs != rssOrders || csvs != 1 {
		t.Errorf("the ZIP holds %d PDFs, %d signatures, %d реестр.csv; want %d, %d, 1", pdfs, sigs, csvs, rssOrders, rssOrders)
	}
}

// exportRSSChild serves the export of dir's registry and store to itself, writes the ZIP to
// dir/export.zip and prints its peak RSS.
func exportRSSChild(t *testing.T, dir string) {
	h := newHarness(t, harnessOptions{dir: dir})
	fmt.Printf("before export VmHWM kB: %d\n", vmHWM(t))
	srv := httptest.NewServer(h.server.Handler())
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL+"/api/v1/archive/export?date_from=2026-01-01&date_to=2026-12-31", nil)
	req.Header.Set("Authorization", "Bearer "+os.Getenv("ORDERS_TEST_EXPORT_RSS_TOKEN"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("export: %d %s", resp.StatusCode, body)
	}
	f, err := os.Create(filepath.Join(dir, "export.zip"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	fmt.Printf("export VmHWM kB: %d\n", vmHWM(t))
}

// vmHWM is the process's peak resident set size in kB, as the kernel counts it.
func vmHWM(t *testing.T) int {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status:", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatal("no VmHWM in /proc/self/status")
	return 0
}

// makeSignedOrders makes n signed orders of org the quick way: one batch, registered in one
// transaction, the documents written straight into the store's files (no fsync), then Sign
// and AddSignature from several goroutines, so the registry's writer commits them in groups.
func makeSignedOrders(t *testing.T, h *harness, org string, n int) {
	ctx := t.Context()
	orders := make([]*registry.Order, n)
	for i := range orders {
		orders[i] = &registry.Order{OrgID: org, Kind: "приказ", Title: fmt.Sprintf("О стажировочной площадке № %d", i),
			Draft: []byte(`{}`), Status: registry.StatusRendered, BatchRow: i}
	}
	b := &registry.Batch{OrgID: org, Key: "rss", Total: n}
	if _, err := h.store.CreateBatch(ctx, b, orders); err != nil {
		t.Fatal(err)
	}
	if err := h.store.PutJournal(ctx, &registry.Journal{OrgID: org, ID: "main", Name: "основной", Format: "{seq}"}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.store.RegisterBatch(ctx, org, b.ID, "main", "2026-03-02",
		func(o *registry.Order, number string, seq int) (registry.Registered, error) {
			return registry.Registered{Draft: []byte(`{}`), SearchText: o.Title}, nil
		}, nil); err != nil {
		t.Fatal(err)
	}
	jobs := make(chan *registry.Order)
	errs := make(chan error, 8)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			pdf, sig := make([]byte, rssPDFSize), make([]byte, rssSigSize)
			for o := range jobs {
				rand.Read(pdf)
				rand.Read(sig)
				if err := signFast(ctx, h, o, pdf, sig); err != nil {
					errs <- err
					for range jobs {
					}
					return
				}
			}
		})
	}
	for _, o := range orders {
		jobs <- o
	}
	close(jobs)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func signFast(ctx context.Context, h *harness, o *registry.Order, pdf, sig []byte) error {
	doc, err := writeBlob(h, pdf)
	if err != nil {
		return err
	}
	if _, err := h.store.Sign(ctx, o.OrgID, o.ID, registry.SignRequest{Document: doc, Signatory: "Зубова А.Н."}); err != nil {
		return err
	}
	s, err := writeBlob(h, sig)
	if err != nil {
		return err
	}
	return h.store.AddSignature(ctx, o.OrgID, &registry.Signature{OrderID: o.ID, Kind: registry.SignatureDetachedCMS,
		Key: s.Key, SHA256: s.SHA256, Verified: "not verified: test"}, nil)
}

// writeBlob puts data where the directory store keeps it, without the store's fsync.
func writeBlob(h *harness, data []byte) (registry.SignedDocument, error) {
	key, sum := blob.Sum(data)
	path, err := h.blobs.Path(key)
	if err != nil {
		return registry.SignedDocument{}, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return registry.SignedDocument{}, err
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return registry.SignedDocument{}, err
	}
	return registry.SignedDocument{Key: key, SHA256: sum, Size: int64(len(data))}, nil
}
