package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// The write path. Every write transaction of the process is a writeReq, handed to one writer
// goroutine through a channel (first come, first served) and run on the one writer connection.
//
// Group commit: requests that queued up while a transaction ran are run together in the next
// SQLite transaction, each inside its own SAVEPOINT, and committed once. A commit writes every
// changed page to the WAL, and the pages that every order touches (the right edge of the
// orders table and of its indexes, the full-text index's structure, the database header) are
// most of them: a group writes them once instead of once per caller, which is most of the
// cost of a small transaction here. Nobody waits for a group to fill up: a lone request runs at
// once, as a plain transaction; groups form only when writers already queue.
//
// Each request keeps its own all-or-nothing: its function's error rolls back to its savepoint
// and is returned to it alone, while the others' work commits. An error of the transaction
// itself (the commit, or a savepoint that cannot be rolled back to) fails the whole group, and
// nothing of it is stored.

// maxGroup caps the requests committed together, which bounds the work one commit waits for.
const maxGroup = 64

// checkpointEvery is the least time between two checkpoints while writes go on. Small
// checkpoints often keep the tail latency of commits down (a checkpoint's fsync slows the
// writes to the file meanwhile); each one costs two fsyncs. Measured with
// BenchmarkIntakeAt500 (CreateOrder p99 / CPU per order): 1 s: 86 ms; 100 ms: 11-15 ms;
// 50 ms: 10-12 ms, +3 % CPU; 1 ms: 3 ms, +40 % CPU; none (SQLite's own, in the commit):
// 126 ms. (Measured before restartWAL, which took 50 ms to ~5 ms.)
const checkpointEvery = 50 * time.Millisecond

var errClosed = errors.New("registry/sqlite: store closed")

// Request states: a caller that gives up while its request is queued marks it abandoned, and
// the writer skips it; once running, the caller waits for its outcome.
const (
	reqPending int32 = iota
	reqRunning
	reqAbandoned
)

// writeReq is one caller's write transaction.
type writeReq struct {
	ctx   context.Context
	fn    func(q txq) error
	state atomic.Int32
	done  chan error // capacity 1
	// panicked holds what fn panicked with, for write to panic with it in the caller's
	// goroutine: a callback's panic (a Build function) must reach the caller's recovery (the
	// HTTP server's), not end the writer goroutine and the process.
	panicked any
}

// errPanicked marks a request whose function panicked; its savepoint is rolled back like
// that of an error.
var errPanicked = errors.New("registry/sqlite: write function panicked")

// call runs r's function, turning a panic into errPanicked.
func (r *writeReq) call(q txq) (err error) {
	defer func() {
		if p := recover(); p != nil {
			r.panicked, err = p, errPanicked
		}
	}()
	return r.fn(q)
}

// claim moves a pending request to running; false if its caller gave up.
func (r *writeReq) claim() bool { return r.state.CompareAndSwap(reqPending, reqRunning) }

// write runs fn in a write transaction, committing unless fn fails, after this process's
// earlier writers. Once its turn has come fn runs to the end: its statements ignore the
// cancellation of ctx, because an interrupted statement would roll back the transaction of the
// whole group. fn must not call write (it would wait for itself) and must leave the
// transaction open.
func (s *Store) write(ctx context.Context, fn func(q txq) error) error {
	if err := ctx.Err(); err != nil {
		return unavailable(err)
	}
	r := &writeReq{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case s.reqs <- r:
	case <-ctx.Done():
		return unavailable(ctx.Err())
	case <-s.stop:
		return unavailable(errClosed)
	}
	var err error
	select {
	case err = <-r.done:
	case <-ctx.Done():
		if r.state.CompareAndSwap(reqPending, reqAbandoned) {
			return unavailable(ctx.Err())
		}
		err = <-r.done
	case <-s.writerDone:
		// Closed: the request either ran before the writer stopped, or never will.
		if r.state.CompareAndSwap(reqPending, reqAbandoned) {
			return unavailable(errClosed)
		}
		err = <-r.done
	}
	if r.panicked != nil {
		panic(r.panicked)
	}
	return unavailable(err)
}

func (s *Store) startWriter() {
	s.reqs = make(chan *writeReq, 4*maxGroup)
	s.stop, s.writerDone = make(chan struct{}), make(chan struct{})
	s.wrote, s.cpDone = make(chan struct{}, 1), make(chan struct{})
	go s.writer()
	go s.checkpointer()
}

func (s *Store) writer() {
	defer close(s.writerDone)
	group := make([]*writeReq, 0, maxGroup)
	for {
		var first *writeReq
		select {
		case first = <-s.reqs:
		case <-s.stop:
			return
		}
		group = append(group[:0], first)
	fill:
		for len(group) < maxGroup {
			select {
			case r := <-s.reqs:
				group = append(group, r)
			default:
				break fill
			}
		}
		s.runGroup(group)
		clear(group) // let the finished requests go
		if s.caughtUp.Swap(false) {
			s.restartWAL()
		}
	}
}

// restartWAL lets the next commit start the WAL file over. SQLite restarts the WAL only
// when a write transaction begins with every frame already copied to the database; the
// background checkpointer never gets there under load, because the writer appends frames
// while it copies. So the WAL grew until its 16000-page limit made a commit checkpoint
// 64 MiB itself, stalling every writer behind it (CreateOrder p99 12–19 ms at 500 orders/s,
// most of it those stalls). When the checkpointer has just caught up, the frames left are
// the few committed meanwhile: copying them here, between two transactions, takes a few
// milliseconds, and the next commit restarts the WAL (BenchmarkIntakeAt500: p99 ~5 ms).
func (s *Store) restartWAL() {
	// As in the checkpointer, an error shows in the next write anyway.
	s.wdb.Exec(`PRAGMA wal_checkpoint(PASSIVE)`)
}

// runGroup runs the requests whose callers still wait in one transaction and reports to each.
func (s *Store) runGroup(group []*writeReq) {
	live := group[:0]
	for _, r := range group {
		if !r.claim() {
			continue
		}
		if err := r.ctx.Err(); err != nil {
			r.done <- err
			continue
		}
		live = append(live, r)
	}
	if len(live) == 0 {
		return
	}
	errs := make([]error, len(live))
	committed, err := s.runTx(live, errs)
	for i, r := range live {
		if err != nil {
			r.done <- err
		} else {
			r.done <- errs[i]
		}
	}
	if committed {
		select {
		case s.wrote <- struct{}{}:
		default: // a checkpoint is already due
		}
	}
}

// runTx runs live in one transaction, setting errs[i] to the error of live[i]'s function. err
// is an error of the transaction itself, which all of them share.
func (s *Store) runTx(live []*writeReq, errs []error) (committed bool, err error) {
	tx, err := s.wdb.BeginTx(context.Background(), nil)
	if err != nil {
		return false, fmt.Errorf("registry/sqlite: begin: %w", err)
	}
	defer tx.Rollback()
	if len(live) == 1 {
		r := live[0]
		if errs[0] = r.call(txq{tx, s.wstmts, context.WithoutCancel(r.ctx)}); errs[0] != nil {
			return false, nil // rolled back
		}
	} else {
		for i, r := range live {
			if _, err := tx.Exec(`SAVEPOINT w`); err != nil {
				return false, fmt.Errorf("registry/sqlite: savepoint: %w", err)
			}
			if errs[i] = r.call(txq{tx, s.wstmts, context.WithoutCancel(r.ctx)}); errs[i] != nil {
				if _, err := tx.Exec(`ROLLBACK TO w`); err != nil {
					return false, fmt.Errorf("registry/sqlite: roll back to savepoint: %w (after %w)", err, errs[i])
				}
			}
			if _, err := tx.Exec(`RELEASE w`); err != nil {
				return false, fmt.Errorf("registry/sqlite: release savepoint: %w", err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("registry/sqlite: commit: %w", err)
	}
	return true, nil
}

// checkpointer copies committed pages from the WAL into the database file in the background.
// SQLite's automatic checkpoint runs inside the commit that crosses its threshold (1000 pages
// by default): that commit then copies thousands of pages and waits for two fsyncs, and every
// writer queued behind it waits too. Here a PASSIVE checkpoint on a connection of its own runs
// beside the writer (WAL allows that), so commits stay short and fsyncs happen off the write
// path.
func (s *Store) checkpointer() {
	defer close(s.cpDone)
	analyzed := time.Now() // by Open
	for {
		select {
		case <-s.stop:
			return
		case <-s.wrote:
		}
		// The error is not worth reporting: SQLITE_BUSY means another process checkpoints,
		// and anything else shows in the next write as well.
		var busy, walPages, copied int
		err := s.cdb.QueryRow(`PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &walPages, &copied)
		if err == nil && busy == 0 && walPages > 0 && copied == walPages {
			s.caughtUp.Store(true)
		}
		if time.Since(analyzed) > analyzeEvery {
			// Like a failed checkpoint, a failed ANALYZE is retried later and costs speed only.
			_ = analyzeIfStale(context.Background(), s.cdb)
			analyzed = time.Now()
		}
		select {
		case <-s.stop:
			return
		case <-time.After(checkpointEvery):
		}
	}
}

// txq runs queries in a write transaction, with the prepared statement when there is one
// (tx.StmtContext finds it already prepared on the connection and only wraps it). Statements
// run with ctx, the caller's context without its cancellation (see write), whatever context
// the code passes.
type txq struct {
	tx    *sql.Tx
	stmts map[string]*sql.Stmt
	ctx   context.Context
}

func (t txq) ExecContext(_ context.Context, query string, args ...any) (sql.Result, error) {
	if st := t.stmts[query]; st != nil {
		return t.tx.StmtContext(t.ctx, st).ExecContext(t.ctx, args...)
	}
	return t.tx.ExecContext(t.ctx, query, args...)
}

func (t txq) QueryContext(_ context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := t.stmts[query]; st != nil {
		return t.tx.StmtContext(t.ctx, st).QueryContext(t.ctx, args...)
	}
	return t.tx.QueryContext(t.ctx, query, args...)
}

func (t txq) QueryRowContext(_ context.Context, query string, args ...any) *sql.Row {
	if st := t.stmts[query]; st != nil {
		return t.tx.StmtContext(t.ctx, st).QueryRowContext(t.ctx, args...)
	}
	return t.tx.QueryRowContext(t.ctx, query, args...)
}
