package registry_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"orders/internal/registry"
	"orders/internal/registry/internal/driver"
	"orders/internal/registry/postgres"
	"orders/internal/registry/sqlite"
)

// seedVersion names the generator: a database seeded by another version is seeded again.
const seedVersion = 1

// The seed goes straight into the tables, in bulk, in each driver's own SQL: one CreateOrder
// per order would take hours. The orders' secondary indexes are dropped during the load and
// made again afterwards from their own definitions (read back from the database), which is
// how a bulk load is done and leaves exactly the indexes the migrations made.

// seedCols are the orders columns the seed writes, in the order seedRow gives them.
var seedCols = []string{"id", "org_id", "kind", "title", "search_text", "order_date", "number", "status",
	"draft_hash", "idempotency_key", "created_at", "updated_at", "rendered_at", "attempts", "error",
	"pdf_key", "pdf_sha256", "pdf_size", "docx_key", "docx_sha256", "docx_size",
	"state", "journal_id", "seq", "registered_at", "signed_at", "cancelled_at", "cancel_reason",
	"signatory", "signatory_search", "signed_key", "signed_sha256", "signed_size", "print_rev", "cancelled_by"}

func seedRow(o *seedOrder, id, t func(time.Time) any, tp func(*time.Time) any) []any {
	return []any{id(o.CreatedAt), o.OrgID, o.Kind, o.Title, driver.SearchText(o.Title), o.Date, o.Number, string(o.Status),
		o.DraftHash, o.IdempotencyKey, t(o.CreatedAt), t(o.UpdatedAt), tp(o.RenderedAt), o.Attempts, o.Error,
		o.PDFKey, o.PDFSHA256, o.PDFSize, o.DOCXKey, o.DOCXSHA256, o.DOCXSize,
		string(o.State), o.Journal, o.Seq, tp(o.RegisteredAt), tp(o.SignedAt), tp(o.CancelledAt), o.CancelReason,
		o.Signatory, driver.SearchText(o.Signatory), o.SignedKey, o.SignedSHA256, o.SignedSize, o.PrintRev, o.CancelledBy}
}

func putJournals(ctx context.Context, s registry.Store) error {
	for _, org := range seedOrgs {
		for _, j := range seedJournals {
			if err := s.PutJournal(ctx, &registry.Journal{OrgID: org.id, ID: j.id, Name: j.name, Format: j.format}); err != nil {
				return err
			}
		}
	}
	return nil
}

// seedProgress logs the seeding's pace now and then.
func seedProgress(b *testing.B, start time.Time, i, n int) {
	if i%100000 == 0 && i > 0 {
		b.Logf("seeded %d of %d orders in %s", i, n, time.Since(start).Round(time.Second))
	}
}

// --- SQLite ---

const sqliteTime = "2006-01-02T15:04:05.000000Z"

func openSQLiteMillion(b *testing.B, path string, n int) registry.Store {
	ctx, cancel := seedContext(b)
	defer cancel()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		b.Fatal(err)
	}
	if !sqliteSeeded(ctx, path, n) {
		for _, suffix := range []string{"", "-wal", "-shm"} {
			os.Remove(path + suffix)
		}
		start := time.Now()
		if err := seedSQLite(ctx, b, path, n); err != nil {
			b.Fatal(err)
		}
		b.Logf("sqlite: seeded %d orders in %s", n, time.Since(start).Round(time.Second))
	}
	start := time.Now()
	s, err := sqlite.Open(b.Context(), path)
	if err != nil {
		b.Fatal(err)
	}
	// Opening migrates: with a new migration, this is the time it takes on a full registry.
	b.Logf("sqlite: opened in %s", time.Since(start).Round(time.Millisecond))
	return s
}

func openSQLiteEmpty(b *testing.B) registry.Store {
	s, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "empty.db"))
	if err != nil {
		b.Fatal(err)
	}
	return s
}

func sqliteSeeded(ctx context.Context, path string, n int) bool {
	if _, err := os.Stat(path); err != nil {
		return false
	}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return false
	}
	defer db.Close()
	var got, version int
	err = db.QueryRowContext(ctx, `SELECT n, version FROM million_seed`).Scan(&got, &version)
	return err == nil && got == n && version == seedVersion
}

func seedSQLite(ctx context.Context, b *testing.B, path string, n int) error {
	s, err := sqlite.Open(ctx, path) // migrates
	if err != nil {
		return err
	}
	err = putJournals(ctx, s)
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=synchronous(off)&_pragma=cache_size(-400000)&_pragma=temp_store(memory)&_pragma=busy_timeout(10000)")
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	indexes, err := dropSQLiteIndexes(ctx, db)
	if err != nil {
		return err
	}
	ph := make([]string, len(seedCols))
	for i := range ph {
		ph[i] = "?"
	}
	insOrder := `INSERT INTO orders (` + strings.Join(seedCols, ", ") + `) VALUES (` + strings.Join(ph, ", ") + `)`
	id := func(t time.Time) any { return nil }
	tm := func(t time.Time) any { return t.UTC().Format(sqliteTime) }
	tp := func(t *time.Time) any {
		if t == nil {
			return nil
		}
		return tm(*t)
	}
	g := newSeedGen(n)
	start := time.Now()
	const chunk = 20000
	for lo := 0; lo < n; lo += chunk {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		stmts := make([]*sql.Stmt, 4)
		for i, q := range []string{insOrder, `INSERT INTO order_docs (order_id, draft, full_text) VALUES (?, ?, ?)`,
			`INSERT INTO order_search (docid, order_id, analyzer) VALUES (?, ?, ?)`,
			`INSERT INTO order_fts (rowid, stems) VALUES (?, ?)`} {
			if stmts[i], err = tx.PrepareContext(ctx, q); err != nil {
				tx.Rollback()
				return err
			}
		}
		for i := lo; i < min(n, lo+chunk); i++ {
			o := g.order(i)
			row := seedRow(&o, id, tm, tp)
			row[0] = o.ID.String()
			if _, err = stmts[0].ExecContext(ctx, row...); err == nil {
				if _, err = stmts[1].ExecContext(ctx, o.ID.String(), o.Draft, o.DocText); err == nil {
					if _, err = stmts[2].ExecContext(ctx, i+1, o.ID.String(), driver.AnalyzerVersion); err == nil {
						_, err = stmts[3].ExecContext(ctx, i+1, sqlite.IndexDoc(o.OrgID, driver.IndexStems(o.Title, o.DocText)))
					}
				}
			}
			if err != nil {
				tx.Rollback()
				return fmt.Errorf("seed order %d: %w", i, err)
			}
			seedProgress(b, start, i, n)
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	b.Logf("sqlite: rows in %s; making indexes", time.Since(start).Round(time.Second))
	for _, ix := range indexes {
		if _, err := db.ExecContext(ctx, ix); err != nil {
			return fmt.Errorf("%s: %w", ix, err)
		}
	}
	stmts := []string{`INSERT INTO order_fts (order_fts) VALUES ('optimize')`}
	for k, last := range g.counters {
		year, _ := strconv.Atoi(k[2])
		stmts = append(stmts, fmt.Sprintf(`INSERT INTO journal_counters (org_id, journal_id, year, next, last) VALUES ('%s', '%s', %d, %d, %d)`,
			k[0], k[1], year, last+1, last))
	}
	stmts = append(stmts, `CREATE TABLE million_seed (n INTEGER NOT NULL, version INTEGER NOT NULL)`,
		fmt.Sprintf(`INSERT INTO million_seed VALUES (%d, %d)`, n, seedVersion), `PRAGMA wal_checkpoint(TRUNCATE)`)
	for _, q := range stmts {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	return nil
}

// dropSQLiteIndexes drops the orders' secondary indexes and returns the statements that make
// them again.
func dropSQLiteIndexes(ctx context.Context, db *sql.DB) ([]string, error) {
	rows, err := db.QueryContext(ctx, `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'orders' AND sql IS NOT NULL`)
	if err != nil {
		return nil, err
	}
	var names, defs []string
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			rows.Close()
			return nil, err
		}
		names, defs = append(names, name), append(defs, def)
	}
	rows.Close()
	for _, name := range names {
		if _, err := db.ExecContext(ctx, `DROP INDEX `+name); err != nil {
			return nil, err
		}
	}
	return defs, rows.Err()
}

// --- PostgreSQL ---

// pgDSN is the server's URL with another database.
func pgDSN(b *testing.B, database string) string {
	dsn := os.Getenv("ORDERS_TEST_POSTGRES_URL")
	if dsn == "" {
		b.Skip("ORDERS_TEST_POSTGRES_URL is not set")
	}
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme == "" {
		b.Fatalf("ORDERS_TEST_POSTGRES_URL must be a postgres:// URL here")
	}
	u.Path = "/" + database
	return u.String()
}

func openPostgresMillion(b *testing.B, n int) registry.Store {
	ctx, cancel := seedContext(b)
	defer cancel()
	name := fmt.Sprintf("orders_million_%d", n)
	if s := os.Getenv("ORDERS_MILLION_PGDB"); s != "" {
		name = s
	}
	admin, err := pgx.Connect(ctx, pgDSN(b, "postgres"))
	if err != nil {
		b.Fatal(err)
	}
	defer admin.Close(context.Background())
	dsn := pgDSN(b, name)
	if !postgresSeeded(ctx, dsn, n) {
		if _, err := admin.Exec(ctx, `DROP DATABASE IF EXISTS `+name); err != nil {
			b.Fatal(err)
		}
		if _, err := admin.Exec(ctx, `CREATE DATABASE `+name); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if err := seedPostgres(ctx, b, dsn, n); err != nil {
			b.Fatal(err)
		}
		b.Logf("postgres: seeded %d orders in %s", n, time.Since(start).Round(time.Second))
	}
	start := time.Now()
	s, err := postgres.Open(b.Context(), dsn)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("postgres: opened in %s", time.Since(start).Round(time.Millisecond))
	return s
}

// openPostgresEmpty opens a registry in a schema of its own in the test database, dropped
// when the benchmark ends.
func openPostgresEmpty(b *testing.B) registry.Store {
	dsn := os.Getenv("ORDERS_TEST_POSTGRES_URL")
	pool, err := pgxpool.New(b.Context(), dsn)
	if err != nil {
		b.Fatal(err)
	}
	schema := fmt.Sprintf("million_empty_%d", time.Now().UnixNano())
	if _, err := pool.Exec(b.Context(), `CREATE SCHEMA `+schema); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		pool.Exec(context.Background(), `DROP SCHEMA `+schema+` CASCADE`)
		pool.Close()
	})
	u, _ := url.Parse(dsn)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	s, err := postgres.Open(b.Context(), u.String())
	if err != nil {
		b.Fatal(err)
	}
	return s
}

func postgresSeeded(ctx context.Context, dsn string, n int) bool {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return false
	}
	defer conn.Close(context.Background())
	var got, version int
	err = conn.QueryRow(ctx, `SELECT n, version FROM million_seed`).Scan(&got, &version)
	return err == nil && got == n && version == seedVersion
}

func seedPostgres(ctx context.Context, b *testing.B, dsn string, n int) error {
	s, err := postgres.Open(ctx, dsn) // migrates
	if err != nil {
		return err
	}
	err = putJournals(ctx, s)
	s.Close()
	if err != nil {
		return err
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	var indexes []string
	rows, err := conn.Query(ctx, `SELECT indexname, indexdef FROM pg_indexes
		WHERE schemaname = current_schema() AND tablename IN ('orders', 'order_search') AND indexname NOT LIKE '%\_pkey'`)
	if err != nil {
		return err
	}
	var names []string
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			return err
		}
		names, indexes = append(names, name), append(indexes, def)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, name := range names {
		if _, err := conn.Exec(ctx, `DROP INDEX `+name); err != nil {
			return err
		}
	}
	cols := append(append([]string{}, seedCols...), "draft", "full_text")
	if _, err := conn.Exec(ctx, `CREATE TEMP TABLE seed (LIKE orders INCLUDING DEFAULTS);
		ALTER TABLE seed ADD COLUMN index_doc text NOT NULL DEFAULT ''`); err != nil {
		return err
	}
	id := func(t time.Time) any { return nil }
	tm := func(t time.Time) any { return t }
	tp := func(t *time.Time) any {
		if t == nil {
			return nil
		}
		return *t
	}
	g := newSeedGen(n)
	start := time.Now()
	const chunk = 50000
	for lo := 0; lo < n; lo += chunk {
		batch := make([][]any, 0, chunk)
		for i := lo; i < min(n, lo+chunk); i++ {
			o := g.order(i)
			row := seedRow(&o, id, tm, tp)
			row[0] = o.ID
			batch = append(batch, append(row, o.Draft, o.DocText, driver.IndexDoc(o.Title, o.DocText)))
			seedProgress(b, start, i, n)
		}
		if _, err := conn.CopyFrom(ctx, pgx.Identifier{"seed"}, append(cols, "index_doc"), pgx.CopyFromRows(batch)); err != nil {
			return fmt.Errorf("copy: %w", err)
		}
		all := strings.Join(cols, ", ")
		if _, err := conn.Exec(ctx, `INSERT INTO orders (`+all+`) SELECT `+all+` FROM seed;
			INSERT INTO order_search (id, org_id, created_at, search_tsv)
				SELECT id, org_id, created_at, to_tsvector('russian', index_doc) || array_to_tsvector(ARRAY['@' || org_id]) FROM seed;
			TRUNCATE seed`); err != nil {
			return err
		}
	}
	b.Logf("postgres: rows in %s; making indexes", time.Since(start).Round(time.Second))
	stmts := []string{`SET maintenance_work_mem = '256MB'`}
	stmts = append(stmts, indexes...)
	for k, last := range g.counters {
		year, _ := strconv.Atoi(k[2])
		stmts = append(stmts, fmt.Sprintf(`INSERT INTO journal_counters (org_id, journal_id, year, next, last) VALUES ('%s', '%s', %d, %d, %d)`,
			k[0], k[1], year, last+1, last))
	}
	// What autovacuum does on its own some time after a load.
	stmts = append(stmts, `VACUUM ANALYZE orders`, `VACUUM ANALYZE order_search`, `CREATE TABLE million_seed (n integer NOT NULL, version integer NOT NULL)`,
		fmt.Sprintf(`INSERT INTO million_seed VALUES (%d, %d)`, n, seedVersion))
	for _, q := range stmts {
		if _, err := conn.Exec(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	return nil
}
