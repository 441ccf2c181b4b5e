// Package sqlite is the registry driver for one machine: a single SQLite file (pure Go,
// modernc.org/sqlite) in WAL mode, migrated with goose when opened.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"orders/internal/registry"
	"orders/internal/registry/internal/driver"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is the SQLite registry.
type Store struct {
	db        *sql.DB
	closeOnce sync.Once
	closeErr  error
}

var _ registry.Store = (*Store)(nil)

// defaults are added to the DSN unless it sets them. Writers wait for each other (busy
// timeout) instead of failing; transactions take the write lock at BEGIN (immediate), because a
// read lock upgraded later fails with SQLITE_BUSY without waiting; WAL lets readers run
// beside the one writer.
var defaults = [][2]string{
	{"_busy_timeout", "10000"},
	{"_journal_mode", "WAL"},
	{"_synchronous", "NORMAL"},
	{"_txlock", "immediate"},
}

// Open opens (creating if needed) the database at dsn, a file path or a "file:" URI, and
// migrates it.
func Open(ctx context.Context, dsn string) (*Store, error) {
	if dsn == "" {
		return nil, errors.New("registry/sqlite: empty dsn")
	}
	db, err := sql.Open("sqlite", withDefaults(dsn))
	if err != nil {
		return nil, fmt.Errorf("registry/sqlite: open: %w", err)
	}
	if err := migrate(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	if err := reindex(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	return &Store{db: db}, nil
}

func withDefaults(dsn string) string {
	base, query, _ := strings.Cut(dsn, "?")
	q, err := url.ParseQuery(query)
	if err != nil {
		// Leave a DSN we cannot read to the driver, which reports it better.
		return dsn
	}
	for _, kv := range defaults {
		if !q.Has(kv[0]) {
			q.Set(kv[0], kv[1])
		}
	}
	return base + "?" + q.Encode()
}

func migrate(ctx context.Context, db *sql.DB) error {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	// SQLite has no advisory lock, but its DDL is transactional: when two processes migrate
	// at once, the loser's migration fails and rolls back whole, and running again finds it
	// applied. A new provider each time, because a provider remembers its version table check.
	var lastErr error
	for attempt := range 5 {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Duration(attempt) * 50 * time.Millisecond):
			}
		}
		p, err := goose.NewProvider(goose.DialectSQLite3, db, fsys)
		if err != nil {
			return fmt.Errorf("registry/sqlite: migrations: %w", err)
		}
		if _, lastErr = p.Up(ctx); lastErr == nil {
			return nil
		}
	}
	return fmt.Errorf("registry/sqlite: migrate: %w", lastErr)
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// Close closes the database; closing twice is harmless.
func (s *Store) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.db.Close() })
	return s.closeErr
}

// timeFormat is fixed-width so that text order is time order.
const timeFormat = "2006-01-02T15:04:05.000000Z"

func fmtTime(t time.Time) string { return t.UTC().Format(timeFormat) }

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(timeFormat, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("registry/sqlite: stored time %q: %w", s, err)
	}
	return t.UTC(), nil
}

func fmtTimePtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return fmtTime(*t)
}

var dialect = &driver.Dialect{
	Placeholder: func(n int) string { return fmt.Sprintf("?%d", n) },
	Time:        func(t time.Time) any { return fmtTime(t) },
	UUID:        func(id uuid.UUID) any { return id.String() },
	FullText:    fullText,
}

// fullText matches orders whose indexed stems hold, for every term, one of its stems.
func fullText(a *driver.Args, terms []driver.Term) string {
	groups := make([]string, len(terms))
	for i, t := range terms {
		alts := make([]string, len(t.Stems))
		for j, s := range t.Stems {
			// A quoted FTS5 string is taken literally; quotes inside are doubled.
			alts[j] = `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
		}
		groups[i] = "(" + strings.Join(alts, " OR ") + ")"
	}
	match := strings.Join(groups, " AND ")
	return "id IN (SELECT s.order_id FROM order_search s WHERE s.docid IN " +
		"(SELECT rowid FROM order_fts WHERE order_fts MATCH " + a.Add(match) + "))"
}

// isUnique reports a unique or primary key violation.
func isUnique(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// querier is what *sql.DB and *sql.Tx share.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}
