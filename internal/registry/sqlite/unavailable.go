package sqlite

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"orders/internal/registry"
)

// unavailable marks err registry.ErrUnavailable when it says the database could not be
// used now rather than that it refused the request: the write lock held by another process
// beyond the busy timeout, a file that cannot be opened or read, a full disk, a closed store.
func unavailable(err error) error {
	if err == nil || errors.Is(err, registry.ErrUnavailable) || !isUnavailable(err) {
		return err
	}
	return fmt.Errorf("%w: %w", registry.ErrUnavailable, err)
}

func isUnavailable(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff { // the primary code of an extended one
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL:
			return true
		}
		return false
	}
	if errors.Is(err, errClosed) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	// database/sql has no exported error for a closed *sql.DB.
	return strings.Contains(err.Error(), "sql: database is closed")
}
