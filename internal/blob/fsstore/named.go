package fsstore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"orders/internal/blob"
)

// namedDir holds the named records, apart from the sha256/ tree of documents.
const namedDir = "named"

func (s *Store) namedPath(name string) (string, error) {
	if err := blob.ParseName(name); err != nil {
		return "", err
	}
	return filepath.Join(s.dir, namedDir, filepath.FromSlash(name)), nil
}

// PutNamed implements blob.Store: written like a document (temporary file, rename, sync),
// so a crash leaves the old record or the new one.
func (s *Store) PutNamed(ctx context.Context, name string, data []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	path, err := s.namedPath(name)
	if err != nil {
		return err
	}
	if err := writeAtomic(path, data); err != nil {
		return fmt.Errorf("fsstore: put %s: %w", name, err)
	}
	if err := s.sync.Wait(); err != nil {
		return fmt.Errorf("fsstore: sync %s: %w", name, err)
	}
	return nil
}

// GetNamed implements blob.Store.
func (s *Store) GetNamed(ctx context.Context, name string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	path, err := s.namedPath(name)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, notFound(name, err)
	}
	return data, nil
}

// ListNamed implements blob.Store.
func (s *Store) ListNamed(ctx context.Context, prefix string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	root := filepath.Join(s.dir, namedDir)
	var out []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && path == root {
				return filepath.SkipDir
			}
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		// Temporary files of writes in progress are not names.
		if name := filepath.ToSlash(rel); blob.ParseName(name) == nil && strings.HasPrefix(name, prefix) {
			out = append(out, name)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("fsstore: list: %w", err)
	}
	slices.Sort(out)
	return out, nil
}
