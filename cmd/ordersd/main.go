// Command ordersd is the order document service: HTTP intake, render workers and the
// registry in one binary. With no flags it runs everything on one machine under ./data;
// --role api and --role worker scale out against external NATS and PostgreSQL.
//
//	ordersd [flags]                                  run the service
//	ordersd token create --org ORG --role ROLE       print a new API token
//	ordersd user add --login L --role R --org O      add a user of the web pages (password on stdin)
//
// The flags that find the registry (--data, --database-url) may come before the subcommand
// too: ordersd --data /srv/orders token list.
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"orders/internal/auth"
	"orders/internal/registry"
)

func main() {
	err := run(os.Args[1:])
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "ordersd:", err)
	}
	os.Exit(exitCode(err))
}

func run(args []string) error {
	if sub, rest, ok := subcommand(args); ok {
		if sub == "token" {
			return tokenCmd(rest, os.Stdout)
		}
		return userCmd(rest, os.Stdin, os.Stdout)
	}
	cfg, err := loadConfig(args)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serve(ctx, cfg, newLogger(cfg.LogLevel))
}

// subcommand finds a token or user subcommand after the flags given before it, and moves
// those flags after its action: «--data X token create --role admin» runs as «token create
// --data X --role admin». Every flag of ordersd takes a value.
func subcommand(args []string) (sub string, rest []string, ok bool) {
	i := 0
	for i < len(args) && strings.HasPrefix(args[i], "-") && args[i] != "--" {
		if !strings.Contains(args[i], "=") {
			i++ // its value
		}
		i++
	}
	if i >= len(args) || (args[i] != "token" && args[i] != "user") {
		return "", nil, false
	}
	global, after := args[:i], args[i+1:]
	if len(after) == 0 {
		return args[i], nil, true // the subcommand's usage
	}
	rest = append([]string{after[0]}, global...)
	return args[i], append(rest, after[1:]...), true
}

const mainUsage = `ordersd — the service of orders (приказы): API, pages, render workers, registry.

usage:
  ordersd [flags]                  run the service (everything on one machine under ./data by default)
  ordersd [--data DIR] token ...   API tokens: create, list, revoke (ordersd token for details)
  ordersd [--data DIR] user ...    people of the web pages: add, passwd, disable, enable, list

flags (each also from the environment variable named after it):
`

// loadConfig reads the command line and the ORDERS_* environment; every error is a configError.
func loadConfig(args []string) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("ordersd", flag.ContinueOnError)
	bindFlags(fs, &cfg)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), mainUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return cfg, err
		}
		return cfg, configError{err}
	}
	if fs.NArg() > 0 {
		return cfg, configError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	cfg.from(fs)
	return cfg, cfg.validate()
}

func newLogger(level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l}))
}

// ensureAdminToken gives a fresh installation its first token: ORDERS_ADMIN_TOKEN if set,
// else a random one written to the data directory with mode 0600.
func ensureAdminToken(ctx context.Context, store registry.Store, dataDir string, log *slog.Logger) error {
	n, err := store.CountTokens(ctx)
	if err != nil || n > 0 {
		return err
	}
	secret := os.Getenv("ORDERS_ADMIN_TOKEN")
	fromEnv := secret != ""
	if !fromEnv {
		if secret, err = auth.NewSecret(); err != nil {
			return err
		}
	}
	err = store.CreateToken(ctx, &registry.Token{Hash: auth.HashToken(secret), Role: "admin", Name: "first start"})
	if errors.Is(err, registry.ErrConflict) {
		return nil // another process of a cluster created it first
	}
	if err != nil {
		return err
	}
	if fromEnv {
		log.Info("admin token taken from ORDERS_ADMIN_TOKEN")
		return nil
	}
	path := filepath.Join(dataDir, "admin-token")
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(path, []byte(secret+"\n"), 0o600); err != nil {
		return err
	}
	log.Info("first start: admin token written", "path", path)
	return nil
}

// envSecretKey is ORDERS_SECRET_KEY decoded, nil if it is not set.
func envSecretKey() ([]byte, error) {
	v := os.Getenv("ORDERS_SECRET_KEY")
	if v == "" {
		return nil, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if k, err := enc.DecodeString(strings.TrimSpace(v)); err == nil && len(k) == 32 {
			return k, nil
		}
	}
	return nil, errors.New("ORDERS_SECRET_KEY: not 32 bytes in base64 (make one with openssl rand -base64 32)")
}

// secretKey is the key that seals organizations' signing keys in the registry:
// ORDERS_SECRET_KEY (32 bytes, base64) when set — every API process of a cluster needs the
// same — else a random one kept in the data directory with mode 0600.
func secretKey(dataDir string, log *slog.Logger) ([]byte, error) {
	if k, err := envSecretKey(); k != nil || err != nil {
		return k, err
	}
	path := filepath.Join(dataDir, "secret-key")
	if data, err := os.ReadFile(path); err == nil {
		k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(data)))
		if err != nil || len(k) != 32 {
			return nil, fmt.Errorf("%s: not 32 bytes in base64", path)
		}
		return k, nil
	}
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, err
	}
	// O_EXCL: two processes starting on one data directory must not each write their own.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return secretKey(dataDir, log)
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if _, err := f.WriteString(base64.StdEncoding.EncodeToString(k) + "\n"); err != nil {
		return nil, err
	}
	log.Info("first start: secret key for signing keys written", "path", path)
	return k, nil
}
