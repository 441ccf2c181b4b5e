package natsstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"orders/internal/blob"
)

// PutNamed implements blob.Store. Named records live in a bucket of their own, so that
// listing them does not walk the documents.
func (s *Store) PutNamed(ctx context.Context, name string, data []byte) error {
	if err := blob.ParseName(name); err != nil {
		return err
	}
	if _, err := s.named.Put(ctx, jetstream.ObjectMeta{Name: name}, bytes.NewReader(data)); err != nil {
		return fmt.Errorf("natsstore: put %s: %w", name, err)
	}
	return nil
}

// GetNamed implements blob.Store.
func (s *Store) GetNamed(ctx context.Context, name string) ([]byte, error) {
	if err := blob.ParseName(name); err != nil {
		return nil, err
	}
	return readObject(ctx, s.named, s.namedStream, s.namedBucket, name)
}

// ListNamed implements blob.Store.
func (s *Store) ListNamed(ctx context.Context, prefix string) ([]string, error) {
	infos, err := s.named.List(ctx)
	if errors.Is(err, jetstream.ErrNoObjectsFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("natsstore: list: %w", err)
	}
	var out []string
	for _, info := range infos {
		if !info.Deleted && strings.HasPrefix(info.Name, prefix) {
			out = append(out, info.Name)
		}
	}
	slices.Sort(out)
	return out, nil
}
