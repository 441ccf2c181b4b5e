// Package blob owns the document store: rendered PDFs and DOCX files kept
// by content address. A key is derived from the SHA-256 of the bytes, so the
// same document is stored once, a key can never point at other content, and
// every read is checked against its key. Drivers live in subpackages
// (fsstore for one machine, natsstore for the cluster) and all pass the one
// conformance suite in blobtest.
//
// Delete exists for documents that no record needs any more, such as the
// working copies of a deleted draft, which may hold personal data. The store
// cannot tell: a key is content, and the same bytes may belong to several
// orders, so only the registry decides that a key is free (see
// registry.Orders.DeleteOrder).
package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"
)

// DOCXType is the media type of a .docx file.
const DOCXType = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

// Store keeps documents by content address. Implementations are safe for
// concurrent use.
type Store interface {
	// Put stores data and returns its key and SHA-256 (lower-case hex).
	// Putting bytes that are already stored writes nothing. contentType is
	// a hint for operators; it takes no part in the key.
	Put(ctx context.Context, data []byte, contentType string) (key, sha256hex string, err error)
	// Get returns the document, after checking it against its key:
	// ErrCorrupt on mismatch, ErrNotFound if absent.
	Get(ctx context.Context, key string) ([]byte, error)
	// Open streams the document with its size. The check against the key
	// happens at the end: the final Read returns ErrCorrupt instead of
	// io.EOF on mismatch, so a reader must read to EOF before trusting it.
	Open(ctx context.Context, key string) (rc io.ReadCloser, size int64, err error)
	// Exists reports whether a document is stored under key, without
	// reading or checking it.
	Exists(ctx context.Context, key string) (bool, error)
	// Delete removes the document under key; a key with nothing stored is
	// not an error, so a repeated delete is harmless. A Put of the same bytes
	// afterwards stores them again. The caller must know that no record
	// refers to key any more.
	Delete(ctx context.Context, key string) error
	// Ping checks that the store can be used.
	Ping(ctx context.Context) error

	// Named records: a few small objects the service finds by a name of its choosing
	// (audit checkpoints), kept apart from the documents. Unlike documents they are not
	// checked against their name: whoever reads one checks it (checkpoints are signed).

	// PutNamed stores data under name (see ParseName), replacing what was there; a reader
	// sees the old or the new data, never a mix.
	PutNamed(ctx context.Context, name string, data []byte) error
	// GetNamed returns what is stored under name, ErrNotFound if nothing.
	GetNamed(ctx context.Context, name string) ([]byte, error)
	// ListNamed returns the names stored that begin with prefix, sorted.
	ListNamed(ctx context.Context, prefix string) ([]string, error)
}

var (
	// ErrNotFound means nothing is stored under the key.
	ErrNotFound = errors.New("blob: not found")
	// ErrCorrupt means the stored bytes no longer hash to their key.
	ErrCorrupt = errors.New("blob: stored content does not match its key")
	// ErrInvalidKey means the string is not a key this package makes; it
	// also keeps hostile keys away from file paths.
	ErrInvalidKey = errors.New("blob: invalid key")
	// ErrInvalidName means the string is not a name of a named record.
	ErrInvalidName = errors.New("blob: invalid name")
)

// MaxNameLen bounds the names of named records.
const MaxNameLen = 200

// ParseName checks the name of a named record: segments joined by "/", each of lower-case
// latin letters, digits, '.', '_' and '-', beginning with a letter or a digit. So a name is
// a safe relative path in every driver, and never "..".
func ParseName(name string) error {
	if name == "" || len(name) > MaxNameLen {
		return fmt.Errorf("%w: %q", ErrInvalidName, name)
	}
	for _, seg := range strings.Split(name, "/") {
		if seg == "" || !isNameStart(seg[0]) {
			return fmt.Errorf("%w: %q", ErrInvalidName, name)
		}
		for i := 1; i < len(seg); i++ {
			if c := seg[i]; !isNameStart(c) && c != '.' && c != '_' && c != '-' {
				return fmt.Errorf("%w: %q", ErrInvalidName, name)
			}
		}
	}
	return nil
}

func isNameStart(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') }

const keyPrefix = "sha256/"

// Key is the key of content whose SHA-256, in lower-case hex, is sumHex.
// The two-character fan-out keeps directories small in fsstore; the other
// drivers keep the same spelling so keys move between drivers unchanged.
func Key(sumHex string) string {
	return keyPrefix + sumHex[:2] + "/" + sumHex
}

// Sum returns the lower-case hex SHA-256 of data and its key.
func Sum(data []byte) (key, sha256hex string) {
	s := sha256.Sum256(data)
	h := hex.EncodeToString(s[:])
	return Key(h), h
}

// ParseKey checks key and returns the SHA-256 (lower-case hex) it names.
func ParseKey(key string) (sha256hex string, err error) {
	rest, ok := strings.CutPrefix(key, keyPrefix)
	if !ok || len(rest) != 2+1+64 || rest[2] != '/' || rest[:2] != rest[3:5] {
		return "", fmt.Errorf("%w: %q", ErrInvalidKey, key)
	}
	h := rest[3:]
	for _, c := range h {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return "", fmt.Errorf("%w: %q", ErrInvalidKey, key)
		}
	}
	return h, nil
}

// Verify returns ErrCorrupt unless data hashes to sha256hex.
func Verify(data []byte, sha256hex string) error {
	s := sha256.Sum256(data)
	if hex.EncodeToString(s[:]) != sha256hex {
		return fmt.Errorf("%w (sha256 %s)", ErrCorrupt, sha256hex)
	}
	return nil
}

// VerifyingReader wraps rc so that reaching its end checks the content
// against sha256hex and size: the final Read reports ErrCorrupt instead of
// io.EOF on any mismatch. Drivers use it to implement Open.
func VerifyingReader(rc io.ReadCloser, sha256hex string, size int64) io.ReadCloser {
	return &verifyingReader{rc: rc, want: sha256hex, size: size, h: sha256.New()}
}

type verifyingReader struct {
	rc   io.ReadCloser
	want string
	size int64
	n    int64
	h    hash.Hash
	err  error
}

func (v *verifyingReader) Read(p []byte) (int, error) {
	if v.err != nil {
		return 0, v.err
	}
	n, err := v.rc.Read(p)
	v.h.Write(p[:n])
	v.n += int64(n)
	if err == io.EOF {
		if got := hex.EncodeToString(v.h.Sum(nil)); got != v.want || v.n != v.size {
			err = fmt.Errorf("%w (sha256 %s)", ErrCorrupt, v.want)
		}
	}
	if err != nil {
		v.err = err
	}
	return n, err
}

func (v *verifyingReader) Close() error { return v.rc.Close() }

// GetVerified reads a stored document and checks it against the SHA-256 the registry
// recorded for it, besides the store's own check against the key: ErrCorrupt on mismatch.
func GetVerified(ctx context.Context, st Store, key, sum string) ([]byte, error) {
	data, err := st.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	if err := Verify(data, sum); err != nil {
		return nil, err
	}
	return data, nil
}
