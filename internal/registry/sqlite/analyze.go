package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SQLite's planner knows nothing of the data until ANALYZE has run: it then takes every
// index for equally selective and prefers the one that gives the list order, e.g. walking all
// of an organization's orders (orders_org_created) instead of reading a month of them from
// orders_org_date. On a registry of a million orders that was a second instead of 5 ms for
// each page of an export (BenchmarkMillion). So the statistics of orders are made at Open and
// made again whenever the table has doubled or halved since (checked by the checkpointer every
// analyzeEvery): a registry that grows from nothing is analyzed about twenty times in its
// life. analysis_limit keeps each ANALYZE to a sample: 0.3 s on a million orders, during
// which writers wait.
const (
	analyzeEvery    = time.Hour
	analyzeMinRows  = 1000
	analyzeSampling = 1000
)

// analyzeIfStale refreshes the statistics of orders if they are missing or stale; db must be
// allowed to write.
func analyzeIfStale(ctx context.Context, db *sql.DB) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	var rows int64 // rowids are given in turn, so the highest counts the rows closely enough
	if err := conn.QueryRowContext(ctx, `SELECT coalesce(max(rowid), 0) FROM orders`).Scan(&rows); err != nil {
		return fmt.Errorf("registry/sqlite: analyze: %w", err)
	}
	if rows < analyzeMinRows {
		return nil
	}
	var stat string
	// No sqlite_stat1 table yet reads as no statistics.
	err = conn.QueryRowContext(ctx, `SELECT stat FROM sqlite_stat1 WHERE tbl = 'orders' AND idx = 'orders_org_created'`).Scan(&stat)
	if err == nil {
		first, _, _ := strings.Cut(stat, " ")
		if recorded, err := strconv.ParseInt(first, 10, 64); err == nil && rows < 2*recorded && 2*rows > recorded {
			return nil
		}
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`PRAGMA analysis_limit = %d`, analyzeSampling)); err != nil {
		return fmt.Errorf("registry/sqlite: analyze: %w", err)
	}
	if _, err := conn.ExecContext(ctx, `ANALYZE orders`); err != nil {
		return fmt.Errorf("registry/sqlite: analyze: %w", err)
	}
	return nil
}
