package main

import (
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/url"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"orders/internal/queue"
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
	// PublicURL is the installation's address as people outside reach it: the QR code of a
	// registered order carries its public check address under it.
	PublicURL  string
	trustRoots []*x509.Certificate

	envErr  map[string]error  // flag name → why its ORDERS_* value did not parse
	source  map[string]string // flag name → ORDERS_* name, for settings the environment gave
	cmdline map[string]bool   // flags given on the command line
}

func envName(flagName string) string {
	return "ORDERS_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// A configError is a flag or ORDERS_* value ordersd cannot run with. It exits with 2, as the
// flag package does for a command line it cannot parse, so a supervisor can tell a bad
// configuration from a failure at run time.
type configError struct{ error }

func (e configError) Unwrap() error { return e.error }

// exitCode is the process status for run's error.
func exitCode(err error) int {
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, new(configError)):
		return 2
	}
	return 1
}

// bindFlags registers the flags on fs with defaults taken from the environment. An ORDERS_*
// value that does not parse is kept for validate, which refuses it unless the command line
// gives that flag: falling back to the built-in default would run the service with a
// setting nobody chose.
func bindFlags(fs *flag.FlagSet, c *config) {
	c.envErr = map[string]error{}
	env := func(name string, parse func(string) error) {
		if v, ok := os.LookupEnv(envName(name)); ok {
			if err := parse(v); err != nil {
				c.envErr[name] = fmt.Errorf("%s=%q: %w", envName(name), v, err)
			}
		}
	}
	str := func(p *string, name, def, usage string) {
		env(name, func(v string) error { def = v; return nil })
		fs.StringVar(p, name, def, usage+" ("+envName(name)+")")
	}
	num := func(p *int, name string, def int, usage string) {
		env(name, func(v string) error {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				return fmt.Errorf("not a whole number (e.g. %d)", def)
			}
			def = n
			return nil
		})
		fs.IntVar(p, name, def, usage+" ("+envName(name)+")")
	}
	dur := func(p *time.Duration, name string, def time.Duration, usage string) {
		env(name, func(v string) error {
			d, err := time.ParseDuration(strings.TrimSpace(v))
			if err != nil {
				example := def.String()
				if _, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
					example = strings.TrimSpace(v) + "s" // a bare number: the unit is missing
				}
				return fmt.Errorf("not a duration (e.g. %s)", example)
			}
			def = d
			return nil
		})
		fs.DurationVar(p, name, def, usage+" ("+envName(name)+")")
	}
	flt := func(p *float64, name string, def float64, usage string) {
		env(name, func(v string) error {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
				return errors.New("not a number (e.g. 27.5, with a point)")
			}
			def = f
			return nil
		})
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
	dur(&c.AckWait, "ack-wait", queue.DefaultAckWait, "how long a silent worker keeps a job before another gets it")
	str(&c.LogLevel, "log-level", "info", "debug, info, warn or error")
	str(&c.PprofAddr, "pprof", "", "serve Go profiles (net/http/pprof) on this address, e.g. 127.0.0.1:6060; off by default")
	flt(&c.MarginLeft, "margin-left", 0, "left page margin in mm (default 30, ГОСТ for orders kept over 10 years)")
	flt(&c.LineSpacing, "line-spacing", 0, "line spacing multiple (default 1.0)")
	str(&c.PublicURL, "public-url", "", "the installation's address as people outside reach it (https://orders.example.ru): the QR code of a registered order carries its public check address /check/{id}; empty: the code carries number, date, organization and SHA-256")
	str(&c.TrustRoots, "trust-roots", "", "PEM file of trusted root certificates: a signature is shown as «сертификат доверенный» only when its chain leads to one of them; empty: no certificate is trusted")
}

// from records, after fs has parsed the command line, which settings came from the
// environment, so validate names what the operator actually wrote.
func (c *config) from(fs *flag.FlagSet) {
	c.cmdline = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { c.cmdline[f.Name] = true })
	c.source = map[string]string{}
	fs.VisitAll(func(f *flag.Flag) {
		if _, ok := os.LookupEnv(envName(f.Name)); ok && !c.cmdline[f.Name] {
			c.source[f.Name] = envName(f.Name)
		}
	})
}

// name is how a message names a setting: ORDERS_ROLE if the environment gave it, else --role.
func (c *config) name(flagName string) string {
	if n := c.source[flagName]; n != "" {
		return n
	}
	return "--" + flagName
}

// validate checks every setting before anything starts; its errors are configErrors.
func (c *config) validate() error {
	if err := c.check(); err != nil {
		return configError{err}
	}
	return nil
}

func (c *config) check() error {
	var bad []error
	for name, err := range c.envErr {
		if !c.cmdline[name] {
			bad = append(bad, err)
		}
	}
	if len(bad) > 0 {
		slices.SortFunc(bad, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
		return errors.Join(bad...)
	}
	switch c.Role {
	case "all", "api", "worker":
	default:
		return fmt.Errorf("%s: %q is not all, api or worker", c.name("role"), c.Role)
	}
	if c.Role != "all" && c.NATSURL == "" {
		return fmt.Errorf("%s %s needs %s: only the all-in-one role embeds NATS", c.name("role"), c.Role, c.name("nats-url"))
	}
	if c.Store == "" {
		c.Store = "fs"
		if c.NATSURL != "" {
			c.Store = "nats"
		}
	}
	if c.Store != "fs" && c.Store != "nats" {
		return fmt.Errorf("%s: %q is not fs or nats", c.name("store"), c.Store)
	}
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		return fmt.Errorf("%s: only postgres:// URLs; leave it empty for SQLite", c.name("database-url"))
	}
	for _, a := range []struct{ flag, addr string }{{"addr", c.Addr}, {"nats-listen", c.NATSListen}, {"pprof", c.PprofAddr}} {
		if a.addr == "" && a.flag != "addr" {
			continue
		}
		if _, port, err := net.SplitHostPort(a.addr); err != nil || port == "" {
			return fmt.Errorf("%s: %q is not host:port (e.g. 127.0.0.1:8080 or :8080)", c.name(a.flag), a.addr)
		}
	}
	if c.Replicas < 1 || c.Replicas > 5 {
		return fmt.Errorf("%s: %d is not 1–5", c.name("replicas"), c.Replicas)
	}
	if c.Workers == 0 {
		// A render job waits on the disk (the group sync of the document store) and the
		// registry about as long as it computes, so one job per CPU leaves the CPUs idle:
		// 10,000 orders took 33 s with 2 jobs on 2 CPUs and 25 s with 8 (README, Performance).
		c.Workers = 4 * runtime.GOMAXPROCS(0)
	}
	if c.Workers < 1 || c.Workers > 1024 {
		return fmt.Errorf("%s: %d is not 1–1024", c.name("workers"), c.Workers)
	}
	if c.MaxBody < 1024 {
		return fmt.Errorf("%s: %d bytes is too small for a draft", c.name("max-body"), c.MaxBody)
	}
	if c.IntakeFirst < 0 {
		return fmt.Errorf("%s: %s is negative", c.name("intake-first"), c.IntakeFirst)
	}
	// The sweeper ticks every quarter of sweep-after, and JetStream takes a zero ack wait
	// for its own default: neither may be zero or negative.
	for _, d := range []struct {
		flag string
		v    time.Duration
	}{{"sweep-after", c.SweepAfter}, {"ack-wait", c.AckWait}} {
		if d.v <= 0 {
			return fmt.Errorf("%s: %s is not a positive duration", c.name(d.flag), d.v)
		}
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return fmt.Errorf("%s: %q is not debug, info, warn or error", c.name("log-level"), c.LogLevel)
	}
	// layout.Build refuses pages without room for text; found here, not at every render.
	if c.MarginLeft < 0 || c.MarginLeft > 100 {
		return fmt.Errorf("%s: %g mm is not 0–100 (0 is the ГОСТ default of 30)", c.name("margin-left"), c.MarginLeft)
	}
	if c.LineSpacing < 0 || c.LineSpacing > 3 {
		return fmt.Errorf("%s: %g is not 0–3 (0 is the default of 1.0)", c.name("line-spacing"), c.LineSpacing)
	}
	if _, err := envSecretKey(); err != nil {
		return err
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return fmt.Errorf("%s: %q is not an http(s) address such as https://orders.example.ru", c.name("public-url"), c.PublicURL)
		}
	}
	if c.TrustRoots != "" {
		data, err := os.ReadFile(c.TrustRoots)
		if err != nil {
			return fmt.Errorf("%s: %w", c.name("trust-roots"), err)
		}
		if c.trustRoots, err = sign.LoadRoots(data); err != nil {
			return fmt.Errorf("%s: %s: %w", c.name("trust-roots"), c.TrustRoots, err)
		}
	}
	return nil
}
