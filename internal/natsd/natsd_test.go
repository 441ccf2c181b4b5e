package natsd

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

func start(t *testing.T, dir string, opts ...Option) *Server {
	t.Helper()
	s, err := Start(dir, opts...)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	return s
}

func TestPublishSubscribe(t *testing.T) {
	tests := []struct {
		name   string
		opts   []Option
		listen bool
	}{
		{name: "in-process only"},
		{name: "also listening", opts: []Option{WithListen("127.0.0.1:0")}, listen: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := start(t, t.TempDir(), tt.opts...)
			defer s.Shutdown()

			nc, err := s.Connect("test")
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			sub, err := nc.SubscribeSync("greet")
			if err != nil {
				t.Fatal(err)
			}
			if err := nc.Publish("greet", []byte("привет")); err != nil {
				t.Fatal(err)
			}
			msg, err := sub.NextMsg(2 * time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if got := string(msg.Data); got != "привет" {
				t.Errorf("got %q", got)
			}

			url := s.ClientURL()
			if !tt.listen {
				if url != "" {
					t.Errorf("ClientURL = %q, want empty when not listening", url)
				}
				return
			}
			tcp, err := nats.Connect(url)
			if err != nil {
				t.Fatalf("TCP connect to %s: %v", url, err)
			}
			tcp.Close()
		})
	}
}

func TestStartRejects(t *testing.T) {
	tests := []struct {
		name string
		dir  string
		opts []Option
	}{
		{name: "empty dir", dir: ""},
		{name: "bad listen address", dir: t.TempDir(), opts: []Option{WithListen("no-port")}},
		{name: "bad port", dir: t.TempDir(), opts: []Option{WithListen("127.0.0.1:http")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Start(tt.dir, tt.opts...)
			if err == nil {
				s.Shutdown()
				t.Fatal("Start succeeded, want error")
			}
		})
	}
}

func TestNotListeningByDefault(t *testing.T) {
	s := start(t, t.TempDir())
	defer s.Shutdown()
	// The all-in-one mode must expose nothing unless asked to.
	if addr := s.srv.Addr(); addr != nil {
		t.Errorf("server listens on %v without WithListen", addr)
	}
}

func TestRestartKeepsJetStreamData(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	s := start(t, dir)
	nc, err := s.Connect("writer")
	if err != nil {
		t.Fatal(err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{
		Name: "KEEP", Subjects: []string{"keep"}, Storage: jetstream.FileStorage,
	}); err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{"one", "two"} {
		if _, err := js.Publish(ctx, "keep", []byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	nc.Close()
	s.Shutdown()

	s = start(t, dir)
	defer s.Shutdown()
	nc, err = s.Connect("reader")
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err = jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	st, err := js.Stream(ctx, "KEEP")
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		t.Fatal("stream lost across restart")
	}
	if err != nil {
		t.Fatal(err)
	}
	for seq, want := range map[uint64]string{1: "one", 2: "two"} {
		m, err := st.GetMsg(ctx, seq)
		if err != nil {
			t.Fatalf("GetMsg(%d): %v", seq, err)
		}
		if string(m.Data) != want {
			t.Errorf("seq %d = %q, want %q", seq, m.Data, want)
		}
	}
}
