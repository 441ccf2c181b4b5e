package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"orders/internal/api"
	"orders/internal/auth"
	"orders/internal/blob/fsstore"
	"orders/internal/queue"
	"orders/internal/registry"
	"orders/internal/registry/sqlite"
)

type noQueue struct{}

func (noQueue) Publish(context.Context, queue.Job, string) (bool, error) { return false, nil }
func (noQueue) Enqueue(queue.Job, string) error                          { return nil }
func (noQueue) Depth(context.Context) (uint64, error)                    { return 0, nil }

// TestImportCommand imports a PDF through the service's API and gets the order imported
// with its number; the same file again is refused, naming the order.
func TestImportCommand(t *testing.T) {
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "r.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	blobs, err := fsstore.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateToken(ctx, &registry.Token{Hash: auth.HashToken("arch"), Role: auth.RoleArchivist, OrgID: "uo", Name: "архивист"}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.New(api.Config{Store: st, Blobs: blobs, Queue: noQueue{}}).Handler())
	defer srv.Close()

	dir := t.TempDir()
	pdf, text := filepath.Join(dir, "скан.pdf"), filepath.Join(dir, "text.txt")
	os.WriteFile(pdf, []byte("%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"), 0o644)
	os.WriteFile(text, []byte("Об утверждении графика отпусков работников"), 0o644)
	args := []string{"--server", srv.URL, "--token", "arch", "--number", "15-к", "--date", "2019-03-01",
		"--title", "Об отпусках", "--signatory", "А. Н. Зубова", "--text-file", text, pdf}
	var out bytes.Buffer
	if err := importCmd(args, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "imported ") || !strings.Contains(out.String(), "№ 15-к от 2019-03-01: registered") {
		t.Errorf("output %q", out.String())
	}
	list, _, err := st.ListOrders(ctx, registry.Filter{OrgID: "uo", FullText: "отпусков работников"})
	if err != nil || len(list) != 1 || !list[0].Imported {
		t.Fatalf("imported orders found by their text: %v, %v", list, err)
	}
	err = importCmd(args, &out)
	if err == nil || !strings.Contains(err.Error(), "409") || !strings.Contains(err.Error(), list[0].ID.String()) {
		t.Errorf("second import: %v; want 409 naming %s", err, list[0].ID)
	}
}
