// Package blobtest owns the conformance suite that every blob.Store driver
// must pass, so the one-machine and the cluster stores behave the same.
package blobtest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"sync"
	"testing"

	"orders/internal/blob"
)

// Open returns a fresh, empty store for one subtest.
type Open func(t *testing.T) blob.Store

// Corrupt damages the stored bytes of key in s behind the store's back, the
// way a failing disk or a stray edit would, keeping the object findable.
type Corrupt func(t *testing.T, s blob.Store, key string)

// Run runs the suite against a driver.
func Run(t *testing.T, open Open, corrupt Corrupt) {
	t.Run("RoundTrip", func(t *testing.T) { testRoundTrip(t, open) })
	t.Run("IdempotentPut", func(t *testing.T) { testIdempotentPut(t, open) })
	t.Run("NotFound", func(t *testing.T) { testNotFound(t, open) })
	t.Run("InvalidKey", func(t *testing.T) { testInvalidKey(t, open) })
	t.Run("Corrupt", func(t *testing.T) { testCorrupt(t, open, corrupt) })
	t.Run("Delete", func(t *testing.T) { testDelete(t, open) })
	t.Run("ConcurrentPuts", func(t *testing.T) { testConcurrentPuts(t, open) })
	t.Run("Named", func(t *testing.T) { testNamed(t, open) })
	t.Run("NamedConcurrent", func(t *testing.T) { testNamedConcurrent(t, open) })
	t.Run("Ping", func(t *testing.T) {
		if err := open(t).Ping(context.Background()); err != nil {
			t.Fatalf("Ping: %v", err)
		}
	})
}

// payload makes n reproducible, incompressible bytes.
func payload(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func put(t *testing.T, s blob.Store, data []byte) string {
	t.Helper()
	key, sum, err := s.Put(context.Background(), data, "application/pdf")
	if err != nil {
		t.Fatalf("Put(%d bytes): %v", len(data), err)
	}
	wantKey, wantSum := blob.Sum(data)
	if key != wantKey || sum != wantSum {
		t.Fatalf("Put = (%q, %q), want (%q, %q)", key, sum, wantKey, wantSum)
	}
	return key
}

func readAll(t *testing.T, s blob.Store, key string) ([]byte, int64, error) {
	t.Helper()
	rc, size, err := s.Open(context.Background(), key)
	if err != nil {
		return nil, 0, err
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	return data, size, err
}

func testRoundTrip(t *testing.T, open Open) {
	s := open(t)
	ctx := context.Background()
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", []byte{}},
		{"text", []byte("ПРИКАЗ № 17-о от 3 марта 2026 г.")},
		{"binary", payload(1000, 1)},
		{"one chunk boundary", payload(128*1024, 2)},
		{"5 MB", payload(5<<20, 3)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := put(t, s, tt.data)
			got, err := s.Get(ctx, key)
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			if !bytes.Equal(got, tt.data) {
				t.Fatalf("Get returned %d bytes that differ from the %d put", len(got), len(tt.data))
			}
			ok, err := s.Exists(ctx, key)
			if err != nil || !ok {
				t.Fatalf("Exists = %v, %v; want true", ok, err)
			}
			streamed, size, err := readAll(t, s, key)
			if err != nil {
				t.Fatalf("Open/read: %v", err)
			}
			if size != int64(len(tt.data)) || !bytes.Equal(streamed, tt.data) {
				t.Fatalf("Open gave size %d and %d bytes, want %d", size, len(streamed), len(tt.data))
			}
		})
	}
}

func testIdempotentPut(t *testing.T, open Open) {
	s := open(t)
	data := payload(300*1024, 4)
	first := put(t, s, data)
	// A different content type must not make a different document.
	second, _, err := s.Put(context.Background(), data, "application/octet-stream")
	if err != nil {
		t.Fatal(err)
	}
	if first != second {
		t.Fatalf("second Put key %q, first %q", second, first)
	}
	got, err := s.Get(context.Background(), first)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("Get after second Put: %v", err)
	}
}

func testNotFound(t *testing.T, open Open) {
	s := open(t)
	ctx := context.Background()
	put(t, s, []byte("something else"))
	key, _ := blob.Sum([]byte("never stored"))
	if _, err := s.Get(ctx, key); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Get = %v, want ErrNotFound", err)
	}
	if _, _, err := s.Open(ctx, key); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Open = %v, want ErrNotFound", err)
	}
	if ok, err := s.Exists(ctx, key); ok || err != nil {
		t.Errorf("Exists = %v, %v; want false, nil", ok, err)
	}
}

func testInvalidKey(t *testing.T, open Open) {
	s := open(t)
	ctx := context.Background()
	valid, _ := blob.Sum([]byte("x"))
	for _, key := range []string{
		"",
		"../../etc/passwd",
		"sha256/../../../etc/passwd",
		valid[:len(valid)-1],
		valid + "0",
		"sha256/00/" + valid[len("sha256/xx/"):], // fan-out does not match the hash
		"sha256/AB/AB" + valid[len("sha256/xx/ab"):], // upper case
		"md5/ab/ab" + valid[len("sha256/xx/ab"):],
	} {
		if _, err := s.Get(ctx, key); !errors.Is(err, blob.ErrInvalidKey) {
			t.Errorf("Get(%q) = %v, want ErrInvalidKey", key, err)
		}
		if _, _, err := s.Open(ctx, key); !errors.Is(err, blob.ErrInvalidKey) {
			t.Errorf("Open(%q) = %v, want ErrInvalidKey", key, err)
		}
		if _, err := s.Exists(ctx, key); !errors.Is(err, blob.ErrInvalidKey) {
			t.Errorf("Exists(%q) = %v, want ErrInvalidKey", key, err)
		}
		if err := s.Delete(ctx, key); !errors.Is(err, blob.ErrInvalidKey) {
			t.Errorf("Delete(%q) = %v, want ErrInvalidKey", key, err)
		}
	}
}

func testCorrupt(t *testing.T, open Open, corrupt Corrupt) {
	tests := []struct {
		name string
		data []byte
	}{
		{"small", []byte("ПРИКАЗ № 1")},
		{"several chunks", payload(600*1024, 5)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			ctx := context.Background()
			key := put(t, s, tt.data)
			corrupt(t, s, key)
			if _, err := s.Get(ctx, key); !errors.Is(err, blob.ErrCorrupt) {
				t.Errorf("Get = %v, want ErrCorrupt", err)
			}
			if _, _, err := readAll(t, s, key); !errors.Is(err, blob.ErrCorrupt) {
				t.Errorf("Open/read = %v, want ErrCorrupt", err)
			}
			if ok, err := s.Exists(ctx, key); !ok || err != nil {
				t.Errorf("Exists = %v, %v; a damaged document is still there", ok, err)
			}
		})
	}
}

func testConcurrentPuts(t *testing.T, open Open) {
	s := open(t)
	data := payload(1<<20, 6)
	wantKey, _ := blob.Sum(data)
	const n = 8
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			key, _, err := s.Put(context.Background(), data, "application/pdf")
			if err == nil && key != wantKey {
				err = errors.New("wrong key " + key)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent Put: %v", err)
		}
	}
	got, err := s.Get(context.Background(), wantKey)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("Get after concurrent puts: %v", err)
	}
}

// testDelete: a deleted document is gone for every way of reading it, its
// neighbours stay, a second delete is harmless, and the same bytes can be
// stored again (a render that stores after a delete is not lost).
func testDelete(t *testing.T, open Open) {
	s := open(t)
	ctx := context.Background()
	gone := payload(300*1024, 7)
	kept := payload(1000, 8)
	key := put(t, s, gone)
	other := put(t, s, kept)
	if err := s.Delete(ctx, key); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := s.Get(ctx, key); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Get after Delete = %v, want ErrNotFound", err)
	}
	if _, _, err := s.Open(ctx, key); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Open after Delete = %v, want ErrNotFound", err)
	}
	if ok, err := s.Exists(ctx, key); ok || err != nil {
		t.Errorf("Exists after Delete = %v, %v; want false, nil", ok, err)
	}
	if got, err := s.Get(ctx, other); err != nil || !bytes.Equal(got, kept) {
		t.Errorf("another document after Delete: %v", err)
	}
	if err := s.Delete(ctx, key); err != nil {
		t.Errorf("second Delete = %v, want nil", err)
	}
	never, _ := blob.Sum([]byte("never stored"))
	if err := s.Delete(ctx, never); err != nil {
		t.Errorf("Delete of a key never stored = %v, want nil", err)
	}
	put(t, s, gone)
	if got, err := s.Get(ctx, key); err != nil || !bytes.Equal(got, gone) {
		t.Errorf("Get after Put again: %v", err)
	}
}
