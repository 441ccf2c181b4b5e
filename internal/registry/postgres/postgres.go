// Package postgres is the registry driver for many machines: PostgreSQL through a pgx
// connection pool, migrated with goose when opened, under an advisory lock so that processes
// starting together do not migrate twice.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"orders/internal/registry"
	"orders/internal/registry/internal/driver"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is the PostgreSQL registry.
type Store struct {
	pool     guardedPool
	auditKey []byte // keys the audit chain; nil: unkeyed appends to unkeyed chains only
	window   int    // fullTextWindow; tests change it to try each way of reading matches
}

var _ registry.Store = (*Store)(nil)

// Open connects to the database at dsn (a postgres:// URL or key=value string; pgxpool
// settings such as pool_max_conns and runtime parameters such as search_path are honoured)
// and migrates the first schema of its search path.
func Open(ctx context.Context, dsn string, opts ...registry.Option) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("registry/postgres: parse dsn: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("registry/postgres: connect: %w", err)
	}
	// The pool connects lazily; fail at start, not at the first request.
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("registry/postgres: connect: %w", err)
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	return &Store{pool: guardedPool{pool}, auditKey: registry.ApplyOptions(opts).AuditKey, window: fullTextWindow}, nil
}

func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	var database string
	var schema *string
	if err := pool.QueryRow(ctx, `SELECT current_database(), current_schema()`).Scan(&database, &schema); err != nil {
		return fmt.Errorf("registry/postgres: migrate: %w", err)
	}
	if schema == nil {
		return errors.New("registry/postgres: migrate: no schema of the search_path exists")
	}
	// One lock per database and schema: processes sharing a schema take turns, while
	// registries in other schemas (parallel tests, other tenants) need not wait for them.
	h := fnv.New64a()
	h.Write([]byte("orders/registry " + database + "." + *schema))
	locker, err := lock.NewPostgresSessionLocker(
		lock.WithLockID(int64(h.Sum64())),
		lock.WithLockTimeout(1, 300), // poll each second, give up after five minutes
	)
	if err != nil {
		return fmt.Errorf("registry/postgres: migrate: %w", err)
	}
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	db := stdlib.OpenDBFromPool(pool) // closing it leaves the pool open
	defer db.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys, goose.WithSessionLocker(locker))
	if err != nil {
		return fmt.Errorf("registry/postgres: migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("registry/postgres: migrate: %w", err)
	}
	return nil
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }

// Close closes the pool; closing twice is harmless.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

var dialect = &driver.Dialect{
	Placeholder: func(n int) string { return fmt.Sprintf("$%d", n) },
	Time:        func(t time.Time) any { return t },
	UUID:        func(id uuid.UUID) any { return id },
	FullText:    fullText,
	// See migration 00018 and ListOrders.
	FullTextTable:  "order_search",
	FullTextWindow: fullTextWindow,
	Unindexed:      func(col string) string { return "(" + col + " + interval '0 s')" },
	FullTextOrg: func(a *driver.Args, orgID string) string {
		return "search_tsv @@ " + a.Add(orgLexeme(orgID)) + "::tsquery"
	},
	LeadingInt: func(col string) string { return "COALESCE(substring(" + col + " from '^[0-9]+')::numeric, 0)" },
	Collate:    ` COLLATE "C"`,
}

// searchVector is the SQL of order_search.search_tsv: the words of doc (see driver.IndexDoc)
// and a lexeme of the organization, which no word can be ('@' is no letter of a word), so
// that the full-text index finds the matches of one organization without reading the others'.
func searchVector(doc, orgID string) string {
	return "(to_tsvector('russian', " + doc + ") || array_to_tsvector(ARRAY['@' || " + orgID + "]))"
}

// orgLexeme is the tsquery of an organization's lexeme in searchVector; a quoted tsquery
// lexeme is taken literally, with quotes doubled and backslashes escaped.
func orgLexeme(orgID string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `''`).Replace("@"+orgID) + "'"
}

// dialectMatches reads all of the matches of a full-text list from the index and sorts them.
var dialectMatches = func() *driver.Dialect {
	d := *dialect
	d.FullTextWindow = 0
	return &d
}()

// fullTextWindow is how many of an organization's newest orders a full-text list searches
// before it reads all of the matches instead. A walk costs about 2.5 µs an order (its vector
// is read from TOAST), so the window costs at most ~5 ms, and ends at the page when the
// words are common; reading the matches costs a heap page each (~3 µs), ~30 ms for the
// 11,000 orders of «инвентаризация имущества 2023» in all organizations, where the walk
// from the newest order took 350 ms (BenchmarkMillion, a million orders).
const fullTextWindow = 2000

// fullText matches orders whose search vector holds every term: the word as the 'russian'
// configuration stems it, or one of the stems Go made of it (its fleeting-vowel variants).
func fullText(a *driver.Args, terms []driver.Term) string {
	conds := make([]string, len(terms))
	for i, t := range terms {
		alts := make([]string, len(t.Stems))
		for j, s := range t.Stems {
			// A quoted tsquery lexeme is taken literally (no stemming); quotes are doubled.
			alts[j] = "'" + strings.ReplaceAll(s, "'", "''") + "'"
		}
		if t.Prefix != "" {
			alts = append(alts, "'"+strings.ReplaceAll(t.Prefix, "'", "''")+"':*")
		}
		conds[i] = "(plainto_tsquery('russian', " + a.Add(t.Word) + "::text) || " + a.Add(strings.Join(alts, " | ")) + "::tsquery)"
	}
	return "search_tsv @@ (" + strings.Join(conds, " && ") + ")"
}

// isUnique reports a unique or primary key violation.
func isUnique(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// querier is what *pgxpool.Pool and pgx.Tx share.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}
