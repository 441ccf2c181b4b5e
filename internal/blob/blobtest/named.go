package blobtest

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"orders/internal/blob"
)

func testNamed(t *testing.T, open Open) {
	s, ctx := open(t), context.Background()
	if _, err := s.GetNamed(ctx, "audit/a"); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("GetNamed of nothing: %v, want ErrNotFound", err)
	}
	if names, err := s.ListNamed(ctx, ""); err != nil || len(names) != 0 {
		t.Errorf("ListNamed of an empty store = %q, %v", names, err)
	}
	records := map[string][]byte{
		"audit/b":          []byte("b1"),
		"audit/a":          []byte("a1"),
		"audit/sub/c.json": payload(300_000, 7), // more than one chunk of the object store
		"other":            []byte("o"),
	}
	for name, data := range records {
		if err := s.PutNamed(ctx, name, data); err != nil {
			t.Fatalf("PutNamed(%s): %v", name, err)
		}
	}
	// Replacing keeps the name and gives the new bytes.
	records["audit/a"] = []byte("a2, longer than before")
	if err := s.PutNamed(ctx, "audit/a", records["audit/a"]); err != nil {
		t.Fatal(err)
	}
	for name, want := range records {
		if got, err := s.GetNamed(ctx, name); err != nil || !bytes.Equal(got, want) {
			t.Errorf("GetNamed(%s) = %d bytes, %v; want %d bytes", name, len(got), err, len(want))
		}
	}
	for prefix, want := range map[string][]string{
		"":        {"audit/a", "audit/b", "audit/sub/c.json", "other"},
		"audit/":  {"audit/a", "audit/b", "audit/sub/c.json"},
		"audit/s": {"audit/sub/c.json"},
		"none":    nil,
	} {
		if got, err := s.ListNamed(ctx, prefix); err != nil || !slices.Equal(got, want) {
			t.Errorf("ListNamed(%q) = %q, %v; want %q", prefix, got, err, want)
		}
	}
	// Names and documents live apart: a document never lists as a name.
	put(t, s, []byte("a document"))
	if got, _ := s.ListNamed(ctx, ""); len(got) != len(records) {
		t.Errorf("ListNamed after a document was put = %q", got)
	}
	for _, name := range []string{"", "/a", "a/", "a//b", "../a", "a/../b", ".a", "A", "a b", "a\\b", "я",
		string(bytes.Repeat([]byte("a"), blob.MaxNameLen+1))} {
		if err := s.PutNamed(ctx, name, []byte("x")); !errors.Is(err, blob.ErrInvalidName) {
			t.Errorf("PutNamed(%q): %v, want ErrInvalidName", name, err)
		}
		if _, err := s.GetNamed(ctx, name); !errors.Is(err, blob.ErrInvalidName) {
			t.Errorf("GetNamed(%q): %v, want ErrInvalidName", name, err)
		}
	}
}

// testNamedConcurrent: writers racing on one name leave one writer's bytes whole.
func testNamedConcurrent(t *testing.T, open Open) {
	s, ctx := open(t), context.Background()
	versions := make([][]byte, 6)
	for i := range versions {
		versions[i] = payload(200_000, uint64(100+i))
	}
	var wg sync.WaitGroup
	for _, v := range versions {
		wg.Go(func() {
			if err := s.PutNamed(ctx, "race", v); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	got, err := s.GetNamed(ctx, "race")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(versions, func(v []byte) bool { return bytes.Equal(v, got) }) {
		t.Errorf("after racing writers: %d bytes that no writer wrote", len(got))
	}
}
