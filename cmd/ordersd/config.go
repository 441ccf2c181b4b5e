package main

import (
	"crypto/x509"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"orders/internal/sign"
)

// config is every setting of ordersd. Each flag has an ORDERS_* environment equivalent
// (--database-url ↔ ORDERS_DATABASE_URL); a flag given on the command line wins.
type config struct {
	Role        string
	Addr        string
	DataDir     string
	NATSURL     string
	NATSListen  string
	DatabaseURL string
	Store       string
	Replicas    int
	Workers     int
	MaxBody     int64
	SweepAfter  time.Duration
	IntakeFirst time.Duration
	AckWait     time.Duration
	LogLevel    string
	PprofAddr   string
	// Page geometry, for deployments whose orders differ from the ГОСТ default.
	MarginLeft  float64
	LineSpacing float64
	// TrustRoots names a PEM file of the root certificates this installation trusts;
	// validate loads it into trustRoots.
	TrustRoots string
	trustRoots []*x509.Certificate
}

func envName(flagName string) string {
	return "ORDERS_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// bindFlags registers the flags on fs with defaults taken from the environment.
func bindFlags(fs *flag.FlagSet, c *config) {
	str := func(p *string, name, def, usage string) {
		if v, ok := os.LookupEnv(envName(name)); ok {
			def = v
		}
		fs.StringVar(p, name, def, usage+" ("+envName(name)+")")
	}
	num := func(p *int, name string, def int, usage string) {
		if v, ok := os.LookupEnv(envName(name)); ok {
			if n, err := strconv.Atoi(v); err == nil {
				def = n
			}
		}
		fs.IntVar(p, name, def, usage+" ("+envName(name)+")")
	}
	dur := func(p *time.Duration, name string, def time.Duration, usage string) {
		if v, ok := os.LookupEnv(envName(name)); ok {
			if d, err := time.ParseDuration(v); err == nil {
				def = d
			}
		}
		fs.DurationVar(p, name, def, usage+" ("+envName(name)+")")
	}
	flt := func(p *float64, name string, def float64, usage string) {
		if v, ok := os.LookupEnv(envName(name)); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				def = f
			}
		}
		fs.Float64Var(p, name, def, usage+" ("+envName(name)+")")
	}
	str(&c.Role, "role", "all", "all (API, workers and embedded NATS in one process), api or worker")
	str(&c.Addr, "addr", ":8080", "HTTP listen address")
	str(&c.DataDir, "data", "./data", "data directory: SQLite registry, documents, JetStream store, admin token")
	str(&c.NATSURL, "nats-url", "", "external NATS servers (comma-separated); empty starts an embedded server")
	str(&c.NATSListen, "nats-listen", "", "let the embedded NATS server also listen here (host:port)")
	str(&c.DatabaseURL, "database-url", "", "PostgreSQL URL (postgres://…); empty uses SQLite in the data directory")
	str(&c.Store, "store", "", "document store: fs or nats; default fs with an embedded NATS server, nats otherwise")
	num(&c.Replicas, "replicas", 1, "JetStream replicas of streams and the document bucket (3 in a cluster)")
	num(&c.Workers, "workers", 0, "concurrent render jobs per process; 0 means four per CPU")
	var maxBody int
	num(&maxBody, "max-body", 8<<20, "largest accepted request body in bytes")
	c.MaxBody = int64(maxBody)
	dur(&c.SweepAfter, "sweep-after", 2*time.Minute, "republish orders queued longer than this")
	dur(&c.IntakeFirst, "intake-first", 250*time.Millisecond, "all-in-one role: while orders arrive (one within this long), render one job at a time, half of the time, so intake stays fast; 0 turns it off")
	dur(&c.AckWait, "ack-wait", 30*time.Second, "how long a silent worker keeps a job before another gets it")
	str(&c.LogLevel, "log-level", "info", "debug, info, warn or error")
	str(&c.PprofAddr, "pprof", "", "serve Go profiles (net/http/pprof) on this address, e.g. 127.0.0.1:6060; off by default")
	flt(&c.MarginLeft, "margin-left", 0, "left page margin in mm (default 30, ГОСТ for orders kept over 10 years)")
	flt(&c.LineSpacing, "line-spacing", 0, "line spacing multiple (default 1.0)")
	str(&c.TrustRoots, "trust-roots", "", "PEM file of trusted root certificates: a signature is shown as «сертификат доверенный» only when its chain leads to one of them; empty: no certificate is trusted")
}

func (c *config) validate() error {
	switch c.Role {
	case "all", "api", "worker":
	default:
		return fmt.Errorf("--role: %q is not all, api or worker", c.Role)
	}
	if c.Role != "all" && c.NATSURL == "" {
		return fmt.Errorf("--role %s needs --nats-url: only the all-in-one role embeds NATS", c.Role)
	}
	if c.Store == "" {
		c.Store = "fs"
		if c.NATSURL != "" {
			c.Store = "nats"
		}
	}
	if c.Store != "fs" && c.Store != "nats" {
		return fmt.Errorf("--store: %q is not fs or nats", c.Store)
	}
	if c.Replicas < 1 || c.Replicas > 5 {
		return fmt.Errorf("--replicas: %d is not 1–5", c.Replicas)
	}
	if c.Workers == 0 {
		// A render job waits on the disk (the group sync of the document store) and the
		// registry about as long as it computes, so one job per CPU leaves the CPUs idle:
		// 10,000 orders took 33 s with 2 jobs on 2 CPUs and 25 s with 8 (README, Performance).
		c.Workers = 4 * runtime.GOMAXPROCS(0)
	}
	if c.Workers < 1 || c.Workers > 1024 {
		return fmt.Errorf("--workers: %d is not 1–1024", c.Workers)
	}
	if c.IntakeFirst < 0 {
		return fmt.Errorf("--intake-first: %s is negative", c.IntakeFirst)
	}
	if c.MaxBody < 1024 {
		return fmt.Errorf("--max-body: %d bytes is too small for a draft", c.MaxBody)
	}
	if c.TrustRoots != "" {
		data, err := os.ReadFile(c.TrustRoots)
		if err != nil {
			return fmt.Errorf("--trust-roots: %w", err)
		}
		if c.trustRoots, err = sign.LoadRoots(data); err != nil {
			return fmt.Errorf("--trust-roots: %s: %w", c.TrustRoots, err)
		}
	}
	return nil
}
