package natsstore

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"orders/internal/blob"
	"orders/internal/blob/blobtest"
	"orders/internal/natsd"
)

func newJS(t *testing.T) jetstream.JetStream {
	t.Helper()
	srv, err := natsd.Start(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	nc, err := srv.Connect(t.Name())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

type testStore struct {
	*Store
	js jetstream.JetStream
}

func open(t *testing.T) blob.Store {
	js := newJS(t)
	s, err := New(context.Background(), js, Config{})
	if err != nil {
		t.Fatal(err)
	}
	return testStore{s, js}
}

// corrupt rewrites the object's first chunk with one byte flipped, the
// closest thing to bit rot that a stream allows: messages cannot be edited,
// so the chunk is purged and republished on the same subject.
func corrupt(t *testing.T, s blob.Store, key string) {
	ts := s.(testStore)
	ctx := context.Background()
	info, err := ts.obs.GetInfo(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	stream, err := ts.js.Stream(ctx, "OBJ_"+DefaultBucket)
	if err != nil {
		t.Fatal(err)
	}
	subj := fmt.Sprintf("$O.%s.C.%s", DefaultBucket, info.NUID)
	last, err := stream.GetLastMsgForSubject(ctx, subj)
	if err != nil {
		t.Fatal(err)
	}
	// Read every chunk, damage the first, write them back in order.
	var chunks [][]byte
	for seq := last.Sequence - uint64(info.Chunks) + 1; seq <= last.Sequence; seq++ {
		m, err := stream.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		if m.Subject == subj {
			chunks = append(chunks, m.Data)
		}
	}
	if len(chunks) != int(info.Chunks) || len(chunks) == 0 {
		t.Fatalf("found %d chunks, meta says %d", len(chunks), info.Chunks)
	}
	chunks[0][0] ^= 0xff
	if err := stream.Purge(ctx, jetstream.WithPurgeSubject(subj)); err != nil {
		t.Fatal(err)
	}
	for _, c := range chunks {
		if _, err := ts.js.PublishMsg(ctx, &nats.Msg{Subject: subj, Data: c}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestConformance(t *testing.T) {
	blobtest.Run(t, open, corrupt)
}

// An object replaced through the object store API carries a valid NATS
// digest for the wrong bytes; only the check against the key catches it, and
// putting the right bytes again repairs it.
func TestOverwrittenObjectIsCorruptAndRepairable(t *testing.T) {
	ts := open(t).(testStore)
	ctx := context.Background()
	data := []byte("ПРИКАЗ № 9")
	key, _, err := ts.Put(ctx, data, "application/pdf")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ts.obs.PutBytes(ctx, key, []byte("forged")); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Get(ctx, key); !errors.Is(err, blob.ErrCorrupt) {
		t.Fatalf("Get = %v, want ErrCorrupt", err)
	}
	if _, _, err := ts.Put(ctx, data, "application/pdf"); err != nil {
		t.Fatal(err)
	}
	if got, err := ts.Get(ctx, key); err != nil || string(got) != string(data) {
		t.Fatalf("Get after repair = %q, %v", got, err)
	}
}

func TestBucketConfig(t *testing.T) {
	js := newJS(t)
	ctx := context.Background()
	tests := []struct {
		name       string
		cfg        Config
		wantBucket string
	}{
		{"defaults", Config{}, DefaultBucket},
		{"defaults again (idempotent)", Config{}, DefaultBucket},
		{"own bucket", Config{Bucket: "docs-test", Replicas: 1}, "docs-test"},
	}
	for _, tt := range tests {
		if _, err := New(ctx, js, tt.cfg); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		obs, err := js.ObjectStore(ctx, tt.wantBucket)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		st, err := obs.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.Storage() != jetstream.FileStorage || st.Replicas() != 1 {
			t.Errorf("%s: storage %v, replicas %d", tt.name, st.Storage(), st.Replicas())
		}
	}
}

func TestContentTypeKept(t *testing.T) {
	ts := open(t).(testStore)
	ctx := context.Background()
	key, _, err := ts.Put(ctx, []byte("PK\x03\x04"), "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
	if err != nil {
		t.Fatal(err)
	}
	info, err := ts.obs.GetInfo(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Headers.Get("Content-Type"); got == "" {
		t.Errorf("content type not kept: %v", info.Headers)
	}
}

// TestElecting: Put waits out only the errors of a stream without a leader, not refusals.
func TestElecting(t *testing.T) {
	for err, want := range map[error]bool{
		fmt.Errorf("put: %w", jetstream.ErrNoStreamResponse): true,
		nats.ErrNoResponders:        true,
		nats.ErrTimeout:             true,
		jetstream.ErrObjectNotFound: false,
		errors.New("disk full"):     false,
	} {
		if got := electing(err); got != want {
			t.Errorf("electing(%v) = %v, want %v", err, got, want)
		}
	}
}
