// Package natsstore is the document store of the cluster deployment: a
// JetStream object store bucket ("orders-docs" by default) on file storage,
// replicated by the NATS cluster, so workers and API processes on any
// machine share documents without a shared disk.
package natsstore

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"orders/internal/blob"
)

// DefaultBucket is the object store bucket used when Config.Bucket is empty.
const DefaultBucket = "orders-docs"

// Config shapes the bucket. Zero fields take defaults.
type Config struct {
	// Bucket name; default DefaultBucket.
	Bucket string
	// Replicas: 1 on one machine (default), 3 in a cluster.
	Replicas int
}

// Store keeps documents in a JetStream object store.
type Store struct {
	obs   jetstream.ObjectStore
	named jetstream.ObjectStore // named records (see blob.Store.PutNamed)
	// The buckets' streams and names, for reading chunks by direct get (direct.go).
	bucket, namedBucket    string
	obsStream, namedStream jetstream.Stream
}

var _ blob.Store = (*Store)(nil)

// New creates or updates the bucket and returns a store on it.
func New(ctx context.Context, js jetstream.JetStream, cfg Config) (*Store, error) {
	if cfg.Bucket == "" {
		cfg.Bucket = DefaultBucket
	}
	if cfg.Replicas == 0 {
		cfg.Replicas = 1
	}
	obs, err := js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{
		Bucket:      cfg.Bucket,
		Description: "rendered order documents by SHA-256",
		Storage:     jetstream.FileStorage,
		Replicas:    cfg.Replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("natsstore: bucket %s: %w", cfg.Bucket, err)
	}
	named, err := js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{
		Bucket:      cfg.Bucket + "-named",
		Description: "named records beside the documents (audit checkpoints)",
		Storage:     jetstream.FileStorage,
		Replicas:    cfg.Replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("natsstore: bucket %s-named: %w", cfg.Bucket, err)
	}
	st := &Store{obs: obs, named: named, bucket: cfg.Bucket, namedBucket: cfg.Bucket + "-named"}
	if st.obsStream, err = js.Stream(ctx, "OBJ_"+st.bucket); err != nil {
		return nil, fmt.Errorf("natsstore: bucket %s: %w", st.bucket, err)
	}
	if st.namedStream, err = js.Stream(ctx, "OBJ_"+st.namedBucket); err != nil {
		return nil, fmt.Errorf("natsstore: bucket %s: %w", st.namedBucket, err)
	}
	return st, nil
}

// natsDigest is how the object store spells a SHA-256 in ObjectInfo.Digest.
func natsDigest(sumHex string) string {
	raw, _ := hex.DecodeString(sumHex)
	return "SHA-256=" + base64.URLEncoding.EncodeToString(raw)
}

// Put implements blob.Store. An object whose recorded digest already
// matches is left alone: the object store has no create-if-absent, and a
// second write would replace chunks that a concurrent reader may be reading.
func (s *Store) Put(ctx context.Context, data []byte, contentType string) (string, string, error) {
	// While the bucket's stream elects a leader (6–9 s after a node dies, measured on nats-server
	// 2.9.10) writes get no response. Riding that out here keeps a render job from spending
	// its attempts, whose back-off (1 s, 5 s, 15 s) would stretch recovery well past it.
	delay := 200 * time.Millisecond
	deadline := time.Now().Add(electionWait)
	for {
		key, sum, err := s.put(ctx, data, contentType)
		if err == nil || !electing(err) || time.Now().Add(delay).After(deadline) {
			return key, sum, err
		}
		select {
		case <-ctx.Done():
			return "", "", err
		case <-time.After(delay):
		}
		delay = min(2*delay, 2*time.Second)
	}
}

// electionWait bounds how long Put waits for a stream leader before it gives up.
const electionWait = 12 * time.Second

// electing reports whether err means the stream had no leader to answer, not a refusal.
func electing(err error) bool {
	return errors.Is(err, jetstream.ErrNoStreamResponse) || errors.Is(err, nats.ErrNoStreamResponse) ||
		errors.Is(err, nats.ErrNoResponders) || errors.Is(err, nats.ErrTimeout)
}

func (s *Store) put(ctx context.Context, data []byte, contentType string) (string, string, error) {
	key, sum := blob.Sum(data)
	info, err := s.obs.GetInfo(ctx, key)
	switch {
	case err == nil && info.Digest == natsDigest(sum) && info.Size == uint64(len(data)):
		// The object may be the remains of a put cut off by a lost connection (its record
		// written, a chunk not): keep it only if it reads back whole, else write it again.
		if _, gerr := s.Get(ctx, key); gerr == nil {
			return key, sum, nil
		}
	case err != nil && !errors.Is(err, jetstream.ErrObjectNotFound):
		return "", "", fmt.Errorf("natsstore: put %s: %w", key, err)
	}
	meta := jetstream.ObjectMeta{Name: key}
	if contentType != "" {
		meta.Headers = nats.Header{"Content-Type": []string{contentType}}
	}
	if _, err := s.obs.Put(ctx, meta, bytes.NewReader(data)); err != nil {
		return "", "", fmt.Errorf("natsstore: put %s: %w", key, err)
	}
	return key, sum, nil
}

// Get implements blob.Store.
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	sum, err := blob.ParseKey(key)
	if err != nil {
		return nil, err
	}
	data, err := s.getBytes(ctx, key)
	if errors.Is(err, blob.ErrCorrupt) {
		// Two racing Puts of the same bytes can swap the chunks under a
		// reader; a second read sees the settled object.
		data, err = s.getBytes(ctx, key)
	}
	if err != nil {
		return nil, err
	}
	if err := blob.Verify(data, sum); err != nil {
		return nil, err
	}
	return data, nil
}

func (s *Store) getBytes(ctx context.Context, key string) ([]byte, error) {
	return readObject(ctx, s.obs, s.obsStream, s.bucket, key)
}

// Open implements blob.Store.
func (s *Store) Open(ctx context.Context, key string) (io.ReadCloser, int64, error) {
	sum, err := blob.ParseKey(key)
	if err != nil {
		return nil, 0, err
	}
	r, info, err := openObject(ctx, s.obs, s.obsStream, s.bucket, key)
	if err != nil {
		return nil, 0, err
	}
	size := int64(info.Size)
	return blob.VerifyingReader(r, sum, size), size, nil
}

// Exists implements blob.Store.
func (s *Store) Exists(ctx context.Context, key string) (bool, error) {
	if _, err := blob.ParseKey(key); err != nil {
		return false, err
	}
	_, err := s.obs.GetInfo(ctx, key)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, jetstream.ErrObjectNotFound):
		return false, nil
	default:
		return false, fmt.Errorf("natsstore: %w", err)
	}
}

// Delete implements blob.Store. The object store purges the chunks and
// keeps a delete marker, which Get, Open and Exists treat as absent.
func (s *Store) Delete(ctx context.Context, key string) error {
	if _, err := blob.ParseKey(key); err != nil {
		return err
	}
	err := s.obs.Delete(ctx, key)
	if err != nil && !errors.Is(err, jetstream.ErrObjectNotFound) {
		return fmt.Errorf("natsstore: delete %s: %w", key, err)
	}
	return nil
}

// Ping implements blob.Store.
func (s *Store) Ping(ctx context.Context) error {
	if _, err := s.obs.Status(ctx); err != nil {
		return fmt.Errorf("natsstore: ping: %w", err)
	}
	return nil
}

func mapErr(key string, err error) error {
	switch {
	case errors.Is(err, jetstream.ErrObjectNotFound):
		return fmt.Errorf("%w: %s", blob.ErrNotFound, key)
	case errors.Is(err, jetstream.ErrDigestMismatch):
		return fmt.Errorf("%w: %s", blob.ErrCorrupt, key)
	default:
		return fmt.Errorf("natsstore: %s: %w", key, err)
	}
}
