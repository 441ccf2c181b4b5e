package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"orders/internal/registry"
)

// unavailable marks err registry.ErrUnavailable when it says the database could not be
// reached, rather than that it refused the request: callers answer «try again» (503) to the
// one and a definite answer to the other.
func unavailable(err error) error {
	if err == nil || errors.Is(err, registry.ErrUnavailable) || !isUnavailable(err) {
		return err
	}
	return fmt.Errorf("%w: %w", registry.ErrUnavailable, err)
}

func isUnavailable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		// Class 08: connection exception; 57P01-57P03: the server is shutting down or
		// starting; 53300: too many connections. Any other server error is an answer.
		return strings.HasPrefix(pe.Code, "08") || pe.Code == "57P01" || pe.Code == "57P02" ||
			pe.Code == "57P03" || pe.Code == "53300"
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	switch {
	case errors.As(err, &ce), errors.As(err, &ne),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, context.DeadlineExceeded):
		return true
	}
	// pgxpool has no exported error for a closed pool; its text is all there is.
	return strings.Contains(err.Error(), "closed pool")
}

// guardedPool is the connection pool with every error of an unreachable database marked
// registry.ErrUnavailable, so no query needs to remember it. Errors inside a transaction
// are marked by inTx.
type guardedPool struct{ *pgxpool.Pool }

func (p guardedPool) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	tag, err := p.Pool.Exec(ctx, sql, args...)
	return tag, unavailable(err)
}

func (p guardedPool) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	rows, err := p.Pool.Query(ctx, sql, args...)
	if err != nil {
		return rows, unavailable(err)
	}
	return guardedRows{rows}, nil
}

func (p guardedPool) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return guardedRow{p.Pool.QueryRow(ctx, sql, args...)}
}

func (p guardedPool) Begin(ctx context.Context) (pgx.Tx, error) {
	tx, err := p.Pool.Begin(ctx)
	return tx, unavailable(err)
}

func (p guardedPool) BeginTx(ctx context.Context, opts pgx.TxOptions) (pgx.Tx, error) {
	tx, err := p.Pool.BeginTx(ctx, opts)
	return tx, unavailable(err)
}

func (p guardedPool) Ping(ctx context.Context) error { return unavailable(p.Pool.Ping(ctx)) }

type guardedRow struct{ pgx.Row }

func (r guardedRow) Scan(dest ...any) error { return unavailable(r.Row.Scan(dest...)) }

type guardedRows struct{ pgx.Rows }

func (r guardedRows) Err() error { return unavailable(r.Rows.Err()) }
