// Package sqlite is the registry driver for one machine: a single SQLite file (pure Go,
// modernc.org/sqlite) in WAL mode, migrated with goose when opened. Writes of the process
// queue for one writer connection and are committed in groups (writer.go); reads use a pool
// of their own; a background checkpointer keeps the WAL short.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
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
//
// Writes and reads go through two connection pools on the same file. Every write transaction
// of the process runs on wdb, which has exactly one connection, in the writer goroutine, in
// arrival order (see writer.go). SQLite allows one writer at a time anyway; letting many
// connections race for the lock made all but one sleep in SQLite's busy handler (1, 2, 5 …
// 100 ms, whatever the real hold time of a fraction of a millisecond), which left the
// service's CPU idle under load. The busy timeout still protects against other processes (a
// second ordersd, the admin CLI) sharing the file. The single connection also means every
// write statement is prepared once, at Open, and stays prepared (see stmt).
//
// Readers use db, a pool of several connections: in WAL mode they read a snapshot beside the
// writer and never wait for it.
type Store struct {
	db     *sql.DB              // readers; query_only
	wdb    *sql.DB              // the one writer connection
	rstmts map[string]*sql.Stmt // prepared on db
	wstmts map[string]*sql.Stmt // prepared on wdb

	reqs       chan *writeReq // to the writer goroutine
	stop       chan struct{}  // closed by Close
	writerDone chan struct{}  // closed when the writer goroutine has stopped

	auditKey []byte // keys the audit chain; nil: unkeyed appends to unkeyed chains only

	cdb    *sql.DB       // the checkpointer's connection
	wrote  chan struct{} // a commit since the last checkpoint; capacity 1
	cpDone chan struct{} // closed when the checkpointer has stopped
	// caughtUp is set by the checkpointer when a checkpoint copied the whole WAL: the
	// writer then finishes the job itself (see writer), so the WAL starts over.
	caughtUp atomic.Bool

	closeOnce sync.Once
	closeErr  error
}

var _ registry.Store = (*Store)(nil)

// defaults are added to the DSN unless it sets them. Writers of other processes wait for each
// other (busy timeout) instead of failing; write transactions take the write lock at BEGIN
// (immediate), because a read lock upgraded later fails with SQLITE_BUSY without waiting;
// WAL lets readers run beside the one writer.
//
// synchronous=FULL: every commit waits for an fsync of the WAL, so a registered number, a
// signature or an audit entry that the API has confirmed survives a power loss or a kernel
// crash, as README promises (NORMAL, in WAL mode, syncs only at checkpoints: the last
// transactions before one live in the OS page cache and die with the machine). The writer's
// group commit (writer.go) spreads that fsync over every request of a group, which is what
// keeps its cost small under load (see README, Performance, and BenchmarkOrderLifecycle's
// sync=NORMAL and sync=FULL runs). A DSN may still set _synchronous, e.g. for a throwaway
// database.
var defaults = [][2]string{
	{"_busy_timeout", "10000"},
	{"_journal_mode", "WAL"},
	{"_synchronous", "FULL"},
	{"_txlock", "immediate"},
}

// pragmas tune every connection; the DSN cannot override them, since they change speed only.
// temp_store=memory keeps sorter and temporary b-trees (ORDER BY of large lists, FTS
// merges) off the disk. cache_size (negative: KiB) is per connection; the writer's is larger,
// as it holds the b-tree pages every insert touches (a reader's cache is emptied anyway
// whenever it starts reading after another connection wrote).
//
// No mmap_size: with memory-mapped I/O, every read transaction that finds the file grown
// (which, while orders come in, is nearly every one) unmaps and maps the file again, and
// munmap is a costly system call on a multi-core machine. That made a token lookup ~150 µs
// of CPU under load, a quarter of it munmap.
var (
	readerPragmas = []string{"temp_store(memory)", "cache_size(-8000)"}
	writerPragmas = []string{"temp_store(memory)", "cache_size(-32000)",
		// The checkpointer keeps the WAL short; the writer checkpoints itself only if the
		// WAL grew to 16000 pages (64 MiB) anyway, e.g. because the checkpointer could not
		// finish while readers held old snapshots.
		"wal_autocheckpoint(16000)"}
)

// readers is the size of the read pool: enough for the HTTP handlers that read at once; more
// connections only cost memory, since reads are CPU-bound and short.
func readers() int { return max(4, 2*runtime.GOMAXPROCS(0)) }

// Open opens (creating if needed) the database at dsn, a file path or a "file:" URI, and
// migrates it. In-memory databases are not supported: the two pools would see two databases.
func Open(ctx context.Context, dsn string, opts ...registry.Option) (*Store, error) {
	if dsn == "" {
		return nil, errors.New("registry/sqlite: empty dsn")
	}
	wdb, err := sql.Open("sqlite", withDefaults(dsn, writerPragmas, nil))
	if err != nil {
		return nil, fmt.Errorf("registry/sqlite: open: %w", err)
	}
	// One connection, kept forever: closing it would drop its prepared statements.
	wdb.SetMaxOpenConns(1)
	wdb.SetMaxIdleConns(1)
	wdb.SetConnMaxLifetime(0)
	wdb.SetConnMaxIdleTime(0)
	s := &Store{wdb: wdb, auditKey: registry.ApplyOptions(opts).AuditKey}
	if err := migrate(ctx, wdb); err != nil {
		wdb.Close()
		return nil, err
	}
	if err := analyzeIfStale(ctx, wdb); err != nil {
		wdb.Close()
		return nil, err
	}
	// Readers never write: query_only makes a write that strayed into the read pool fail in
	// tests instead of racing the writer. Their transactions are deferred (read snapshots).
	s.db, err = sql.Open("sqlite", withDefaults(dsn, readerPragmas, map[string]string{"_txlock": "deferred", "_query_only": "1"}))
	if err != nil {
		wdb.Close()
		return nil, fmt.Errorf("registry/sqlite: open: %w", err)
	}
	n := readers()
	s.db.SetMaxOpenConns(n)
	s.db.SetMaxIdleConns(n)
	s.db.SetConnMaxLifetime(0)
	s.db.SetConnMaxIdleTime(0)
	if s.wstmts, err = prepareAll(ctx, wdb); err == nil {
		s.rstmts, err = prepareAll(ctx, s.db)
	}
	if err == nil {
		s.cdb, err = sql.Open("sqlite", withDefaults(dsn, nil, nil))
	}
	if err != nil {
		s.Close()
		return nil, err
	}
	s.cdb.SetMaxOpenConns(1)
	s.startWriter()
	if err := s.reindex(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// withDefaults adds the defaults the DSN does not set, the given pragmas, and forced settings.
func withDefaults(dsn string, pragmas []string, force map[string]string) string {
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
	for _, p := range pragmas {
		q.Add("_pragma", p)
	}
	for k, v := range force {
		q.Set(k, v)
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
func (s *Store) Ping(ctx context.Context) error { return unavailable(s.db.PingContext(ctx)) }

// Close closes the database; closing twice is harmless. Writes still queued fail.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		if s.stop != nil {
			close(s.stop)
			<-s.writerDone
			<-s.cpDone
		}
		var errs []error
		for _, db := range []*sql.DB{s.cdb, s.db} {
			if db != nil {
				errs = append(errs, db.Close())
			}
		}
		// The writer closes last: the last connection to close checkpoints the WAL.
		errs = append(errs, s.wdb.Close())
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// statements are the SQL texts prepared once per connection when the store opens; stmt adds
// one. Only constant texts belong here: a query built per call (ListOrders) would grow the
// list without bound, and runs unprepared.
var statements []string

func stmt(query string) string {
	statements = append(statements, query)
	return query
}

func prepareAll(ctx context.Context, db *sql.DB) (map[string]*sql.Stmt, error) {
	m := make(map[string]*sql.Stmt, len(statements))
	for _, q := range statements {
		if _, ok := m[q]; ok {
			continue
		}
		st, err := db.PrepareContext(ctx, q)
		if err != nil {
			for _, st := range m {
				st.Close()
			}
			return nil, fmt.Errorf("registry/sqlite: prepare %q: %w", q, err)
		}
		m[q] = st
	}
	return m, nil
}

// reader runs queries on the read pool, with the prepared statement when there is one.
type reader struct {
	db    *sql.DB
	stmts map[string]*sql.Stmt
}

func (r reader) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := r.stmts[query]; st != nil {
		res, err := st.ExecContext(ctx, args...)
		return res, unavailable(err)
	}
	res, err := r.db.ExecContext(ctx, query, args...)
	return res, unavailable(err)
}

func (r reader) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := r.stmts[query]; st != nil {
		rows, err := st.QueryContext(ctx, args...)
		return rows, unavailable(err)
	}
	rows, err := r.db.QueryContext(ctx, query, args...)
	return rows, unavailable(err)
}

func (r reader) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := r.stmts[query]; st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return r.db.QueryRowContext(ctx, query, args...)
}

// r is the querier of reads outside a transaction.
func (s *Store) r() reader { return reader{s.db, s.rstmts} }

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
	LeadingInt:  func(col string) string { return "CAST(" + col + " AS INTEGER)" },
	// A full-text list has its own dialect (searchDialect).
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
