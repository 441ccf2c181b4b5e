// Package fsstore is the document store of the one-machine deployment: a
// directory tree sha256/ab/abcdef… under the data directory. Writes go to a
// temporary file in the target directory and are renamed into place, so a
// reader never sees a half-written document; Put returns only after a sync of
// the file system that started after the write (shared by concurrent Puts), so
// a document the registry calls stored survives a power loss. A crash before
// that sync can leave an empty or short file under a key: Put rewrites a file
// of the wrong size, and Get refuses content that does not match its key.
package fsstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"orders/internal/blob"
)

// tmpPattern names write-in-progress files; the leading dot keeps them out
// of a casual ls, and no key can look like it.
const tmpPattern = ".tmp-*"

// Store keeps documents as files under one directory.
type Store struct {
	dir  string
	sync *groupSync
}

var _ blob.Store = (*Store)(nil)

// New opens (creating if needed) a store rooted at dir.
func New(dir string) (*Store, error) {
	if dir == "" {
		return nil, errors.New("fsstore: empty directory")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("fsstore: %w", err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("fsstore: %w", err)
	}
	gs, err := newGroupSync(abs)
	if err != nil {
		return nil, fmt.Errorf("fsstore: %w", err)
	}
	return &Store{dir: abs, sync: gs}, nil
}

// Dir is the root directory of the store.
func (s *Store) Dir() string { return s.dir }

// Path is the file that holds key; it is exposed for tests and repair tools.
func (s *Store) Path(key string) (string, error) {
	if _, err := blob.ParseKey(key); err != nil {
		return "", err
	}
	return filepath.Join(s.dir, filepath.FromSlash(key)), nil
}

// Put implements blob.Store. A file already present with the right size is
// taken as the same document; Get still verifies its content on every read.
// contentType is not kept: the registry records what each document is.
func (s *Store) Put(ctx context.Context, data []byte, contentType string) (string, string, error) {
	if err := ctx.Err(); err != nil {
		return "", "", err
	}
	key, sum := blob.Sum(data)
	path, err := s.Path(key)
	if err != nil {
		return "", "", err
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() && fi.Size() == int64(len(data)) {
		return key, sum, nil
	}
	if err := writeAtomic(path, data); err != nil {
		return "", "", fmt.Errorf("fsstore: put %s: %w", key, err)
	}
	if err := s.sync.Wait(); err != nil {
		return "", "", fmt.Errorf("fsstore: sync %s: %w", key, err)
	}
	return key, sum, nil
}

func writeAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	// Same directory as the target: rename is atomic only within one
	// file system.
	f, err := os.CreateTemp(dir, tmpPattern)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err := f.Write(data); err != nil {
		return err
	}
	// CreateTemp makes 0600 files; documents are meant to be readable by
	// backup and web-server users.
	if err := f.Chmod(0o644); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	// The caller's group sync makes the data and the rename durable together.
	return os.Rename(f.Name(), path)
}

// Get implements blob.Store.
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	sum, err := blob.ParseKey(key)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(filepath.Join(s.dir, filepath.FromSlash(key)))
	if err != nil {
		return nil, notFound(key, err)
	}
	if err := blob.Verify(data, sum); err != nil {
		return nil, err
	}
	return data, nil
}

// Open implements blob.Store.
func (s *Store) Open(ctx context.Context, key string) (io.ReadCloser, int64, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	sum, err := blob.ParseKey(key)
	if err != nil {
		return nil, 0, err
	}
	f, err := os.Open(filepath.Join(s.dir, filepath.FromSlash(key)))
	if err != nil {
		return nil, 0, notFound(key, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("fsstore: %w", err)
	}
	return blob.VerifyingReader(f, sum, fi.Size()), fi.Size(), nil
}

// Exists implements blob.Store.
func (s *Store) Exists(ctx context.Context, key string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	path, err := s.Path(key)
	if err != nil {
		return false, err
	}
	_, err = os.Stat(path)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	default:
		return false, fmt.Errorf("fsstore: %w", err)
	}
}

// Delete implements blob.Store. The removal is made durable like a Put, so
// a deleted document does not come back after a power loss. A reader that
// has the file open keeps reading it to the end.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	path, err := s.Path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("fsstore: delete %s: %w", key, err)
	}
	if err := s.sync.Wait(); err != nil {
		return fmt.Errorf("fsstore: sync %s: %w", key, err)
	}
	return nil
}

// Ping implements blob.Store by creating and removing a temporary file:
// a read-only or full disk should fail readiness, not the first render.
func (s *Store) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f, err := os.CreateTemp(s.dir, tmpPattern)
	if err != nil {
		return fmt.Errorf("fsstore: ping: %w", err)
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

func notFound(key string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %s", blob.ErrNotFound, key)
	}
	return fmt.Errorf("fsstore: %w", err)
}
