package fsstore

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"orders/internal/blob"
	"orders/internal/blob/blobtest"
)

func open(t *testing.T) blob.Store {
	s, err := New(filepath.Join(t.TempDir(), "docs"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// corrupt flips one byte in place, keeping the size, so only hashing can
// notice.
func corrupt(t *testing.T, s blob.Store, key string) {
	path, err := s.(*Store).Path(key)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) == 0 {
		data = []byte{0}
	} else {
		data[len(data)/2] ^= 0xff
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestConformance(t *testing.T) {
	blobtest.Run(t, open, corrupt)
}

func TestLayoutAndModes(t *testing.T) {
	s := open(t).(*Store)
	key, sum, err := s.Put(context.Background(), []byte("%PDF-1.7"), "application/pdf")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path string
		mode os.FileMode
	}{
		{filepath.Join(s.Dir(), "sha256"), 0o755 | os.ModeDir},
		{filepath.Join(s.Dir(), "sha256", sum[:2]), 0o755 | os.ModeDir},
		{filepath.Join(s.Dir(), "sha256", sum[:2], sum), 0o644},
	}
	for _, tt := range tests {
		fi, err := os.Stat(tt.path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != tt.mode {
			t.Errorf("%s: mode %v, want %v", tt.path, fi.Mode(), tt.mode)
		}
	}
	if want := "sha256/" + sum[:2] + "/" + sum; key != want {
		t.Errorf("key %q, want %q", key, want)
	}
	// No temporary file may be left behind.
	entries, err := os.ReadDir(filepath.Join(s.Dir(), "sha256", sum[:2]))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".tmp-") {
			t.Errorf("left-over temporary file %s", e.Name())
		}
	}
}

func TestPutRepairsTruncatedFile(t *testing.T) {
	s := open(t).(*Store)
	ctx := context.Background()
	data := []byte("ПРИКАЗ № 5 о зачислении")
	key, _, err := s.Put(ctx, data, "")
	if err != nil {
		t.Fatal(err)
	}
	path, _ := s.Path(key)
	if err := os.Truncate(path, 3); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Put(ctx, data, ""); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Get(ctx, key); err != nil || string(got) != string(data) {
		t.Fatalf("Get after repair = %q, %v", got, err)
	}
}

func TestCancelledContext(t *testing.T) {
	s := open(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := s.Put(ctx, []byte("x"), ""); err == nil {
		t.Error("Put with a cancelled context succeeded")
	}
}

// TestStartCleansLeftTempFiles: the empty .tmp-* files a killed Put leaves behind are
// removed when a store is opened (issue 12 §4), but not a young one, which may be the Put of
// another process sharing the directory, nor a document.
func TestStartCleansLeftTempFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "docs")
	s, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	key, _, err := s.Put(context.Background(), []byte("документ"), "text/plain")
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := s.Path(key)
	old := time.Now().Add(-TempMaxAge - time.Minute)
	var left []string
	for _, sub := range []string{filepath.Dir(doc), filepath.Join(dir, "sha256", "00"), dir} {
		if err := os.MkdirAll(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		f, err := os.CreateTemp(sub, tmpPattern) // what kill -9 during a Put leaves
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
		if err := os.Chtimes(f.Name(), old, old); err != nil {
			t.Fatal(err)
		}
		left = append(left, f.Name())
	}
	young, err := os.CreateTemp(filepath.Dir(doc), tmpPattern)
	if err != nil {
		t.Fatal(err)
	}
	young.Close()
	if err := os.Chtimes(doc, old, old); err != nil {
		t.Fatal(err)
	}

	if _, err := New(dir); err != nil { // the restart
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for _, name := range left {
		for {
			if _, err := os.Stat(name); os.IsNotExist(err) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s left behind by a killed Put is still there after a restart", name)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	if _, err := os.Stat(young.Name()); err != nil {
		t.Errorf("a young temporary file (maybe another process's Put) was removed: %v", err)
	}
	if got, err := s.Get(context.Background(), key); err != nil || string(got) != "документ" {
		t.Errorf("the document after cleaning: %q, %v", got, err)
	}
	if n, err := s.CleanTemp(TempMaxAge); err != nil || n != 0 {
		t.Errorf("CleanTemp again: removed %d, %v; want 0", n, err)
	}
}
