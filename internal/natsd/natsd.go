// Package natsd owns the embedded NATS server of the all-in-one mode: one
// process that is its own JetStream server, so a single machine needs nothing
// installed. The cluster deployment never uses this package; it connects to
// real NATS servers, and the code above the connection stays the same.
package natsd

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// Server is a running embedded NATS server with JetStream enabled.
type Server struct {
	srv    *server.Server
	listen bool
}

type options struct {
	listen      string
	name        string
	logger      *slog.Logger
	readyWithin time.Duration
}

// Option changes how Start configures the server.
type Option func(*options)

// WithListen makes the server also accept TCP clients on addr ("host:port";
// port 0 picks a free port), so that tools such as the nats CLI or workers in
// other processes can reach the all-in-one server. Without it the server is
// reachable only in-process, which is safer by default: nothing is exposed.
func WithListen(addr string) Option {
	return func(o *options) { o.listen = addr }
}

// WithServerName sets the server name. A stable name keeps JetStream's
// view of "who owns the data" the same across restarts; the default is
// "orders-embedded".
func WithServerName(name string) Option {
	return func(o *options) { o.name = name }
}

// WithLogger sends the server's log to l. Without it the server is silent,
// because its notices would drown the service's own log.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) { o.logger = l }
}

// WithReadyTimeout bounds how long Start waits for the server (and the
// recovery of JetStream data from disk) before giving up; default 30 s.
func WithReadyTimeout(d time.Duration) Option {
	return func(o *options) { o.readyWithin = d }
}

// Start runs a NATS server with JetStream whose data lives under dir
// (dir/jetstream). The store directory is always set explicitly: left empty,
// the server would pick a temporary directory and lose the queue on reboot.
func Start(dir string, opts ...Option) (*Server, error) {
	if dir == "" {
		return nil, errors.New("natsd: empty data directory")
	}
	o := options{name: "orders-embedded", readyWithin: 30 * time.Second}
	for _, opt := range opts {
		opt(&o)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("natsd: data directory: %w", err)
	}
	sopts := &server.Options{
		ServerName: o.name,
		JetStream:  true,
		StoreDir:   abs,
		// The service owns signal handling; the server must not exit the
		// process on SIGTERM behind its back.
		NoSigs: true,
		NoLog:  o.logger == nil,
	}
	if o.listen == "" {
		sopts.DontListen = true
	} else {
		host, portStr, err := net.SplitHostPort(o.listen)
		if err != nil {
			return nil, fmt.Errorf("natsd: listen address %q: %w", o.listen, err)
		}
		port, err := strconv.Atoi(portStr)
		if err != nil || port < 0 || port > 65535 {
			return nil, fmt.Errorf("natsd: listen port %q is not a port number", portStr)
		}
		if port == 0 {
			// The server reads 0 as "the default 4222"; -1 is its "any free port".
			port = server.RANDOM_PORT
		}
		sopts.Host, sopts.Port = host, port
	}

	srv, err := server.NewServer(sopts)
	if err != nil {
		return nil, fmt.Errorf("natsd: %w", err)
	}
	if o.logger != nil {
		srv.SetLoggerV2(slogAdapter{o.logger}, false, false, false)
	}
	srv.Start()
	if !srv.ReadyForConnections(o.readyWithin) {
		srv.Shutdown()
		srv.WaitForShutdown()
		return nil, fmt.Errorf("natsd: server not ready within %s", o.readyWithin)
	}
	if !srv.JetStreamEnabled() {
		srv.Shutdown()
		srv.WaitForShutdown()
		return nil, errors.New("natsd: JetStream did not start (see the server log)")
	}
	return &Server{srv: srv, listen: o.listen != ""}, nil
}

// Connect opens a client connection to the server. It goes through an
// in-process pipe even when the server listens on TCP: no port, no
// authentication, no network in the way.
func (s *Server) Connect(name string) (*nats.Conn, error) {
	nc, err := nats.Connect(s.srv.ClientURL(), nats.InProcessServer(s.srv), nats.Name(name))
	if err != nil {
		return nil, fmt.Errorf("natsd: connect %q: %w", name, err)
	}
	return nc, nil
}

// ClientURL is the nats:// address other processes can use, or "" when the
// server does not listen on TCP.
func (s *Server) ClientURL() string {
	if !s.listen {
		return ""
	}
	return s.srv.ClientURL()
}

// Shutdown stops the server and returns once it has flushed JetStream state
// and released the store directory, so the directory can be reopened at once.
func (s *Server) Shutdown() {
	s.srv.Shutdown()
	s.srv.WaitForShutdown()
}

// slogAdapter lets the server log through the service's logger.
type slogAdapter struct{ l *slog.Logger }

func (a slogAdapter) Noticef(format string, v ...any) { a.l.Info(fmt.Sprintf(format, v...)) }
func (a slogAdapter) Warnf(format string, v ...any)   { a.l.Warn(fmt.Sprintf(format, v...)) }

// Fatalf only logs: the server calls it on conditions it reports to Start
// anyway, and an embedded library must not end the process.
func (a slogAdapter) Fatalf(format string, v ...any) { a.l.Error(fmt.Sprintf(format, v...)) }
func (a slogAdapter) Errorf(format string, v ...any) { a.l.Error(fmt.Sprintf(format, v...)) }
func (a slogAdapter) Debugf(format string, v ...any) { a.l.Debug(fmt.Sprintf(format, v...)) }
func (a slogAdapter) Tracef(format string, v ...any) { a.l.Debug(fmt.Sprintf(format, v...)) }
