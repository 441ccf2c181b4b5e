package natsstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/nats-io/nats.go/jetstream"

	"orders/internal/blob"
)

// Objects are read chunk by chunk with direct gets (any replica answers), not with the
// object store's own reader, which creates an ephemeral ordered consumer per read. On
// Debian's nats-server 2.9.10, after the node leading the bucket's stream was killed, about
// a third of those consumers never delivered and reads hung until their deadline, for as
// long as the node stayed down (cmd/ordersd TestClusterShape); direct gets kept working.

// objectReader reads the chunks of one object in order.
type objectReader struct {
	ctx    context.Context
	stream jetstream.Stream
	key    string
	subj   string
	left   uint32 // chunks not read yet
	size   uint64 // bytes the object info promises
	read   uint64
	seq    uint64 // where the next chunk is looked for
	buf    []byte
}

// openObject looks the object up and returns a reader of its bytes and its info.
func openObject(ctx context.Context, obs jetstream.ObjectStore, stream jetstream.Stream, bucket, key string) (*objectReader, *jetstream.ObjectInfo, error) {
	info, err := obs.GetInfo(ctx, key)
	if err != nil {
		return nil, nil, mapErr(key, err)
	}
	if info.Opts != nil && info.Opts.Link != nil {
		return nil, nil, fmt.Errorf("natsstore: %s: a link, which this store never writes", key)
	}
	return &objectReader{
		ctx: ctx, stream: stream, key: key,
		subj: "$O." + bucket + ".C." + info.NUID, // the chunk subject of ADR-20
		left: info.Chunks, size: info.Size, seq: 1,
	}, info, nil
}

func (r *objectReader) Read(p []byte) (int, error) {
	for len(r.buf) == 0 {
		if r.left == 0 {
			if r.read != r.size {
				return 0, fmt.Errorf("%w: %s: %d bytes, the object info says %d", blob.ErrCorrupt, r.key, r.read, r.size)
			}
			return 0, io.EOF
		}
		m, err := r.stream.GetMsg(r.ctx, r.seq, jetstream.WithGetMsgSubject(r.subj))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			// A concurrent Put of the same key replaced the chunks under us.
			return 0, fmt.Errorf("%w: %s: chunk missing", blob.ErrCorrupt, r.key)
		}
		if err != nil {
			return 0, fmt.Errorf("natsstore: %s: %w", r.key, err)
		}
		r.seq = m.Sequence + 1
		r.left--
		r.buf = m.Data
		r.read += uint64(len(m.Data))
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

func (r *objectReader) Close() error { return nil }

// readObject reads a whole object and checks it against the digest its info records.
func readObject(ctx context.Context, obs jetstream.ObjectStore, stream jetstream.Stream, bucket, key string) ([]byte, error) {
	r, info, err := openObject(ctx, obs, stream, bucket, key)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	buf.Grow(int(info.Size))
	if _, err := buf.ReadFrom(r); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	sum := sha256.Sum256(data)
	if info.Digest != natsDigest(hex.EncodeToString(sum[:])) {
		return nil, fmt.Errorf("%w: %s", blob.ErrCorrupt, key)
	}
	return data, nil
}
