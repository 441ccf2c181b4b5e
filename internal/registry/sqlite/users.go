package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"orders/internal/registry"
	"orders/internal/registry/internal/driver"
)

const userCols = "id, login, password_hash, role, org_id, name, created_at, disabled"

var (
	// Every page request reads its session, and usually its user.
	qSession = stmt(`SELECT user_id, csrf, created_at, expires_at, last_seen FROM sessions
		WHERE id_hash = ?1 AND expires_at > ?2`)
	qTouchSession = stmt(`UPDATE sessions SET last_seen = ?2 WHERE id_hash = ?1 AND expires_at > ?3`)
	qUser         = stmt(`SELECT ` + userCols + ` FROM users WHERE id = ?1`)
	qUserByLogin  = stmt(`SELECT ` + userCols + ` FROM users WHERE login_key = ?1`)
)

func scanUser(row scanner) (*registry.User, error) {
	var u registry.User
	var id, created string
	err := row.Scan(&id, &u.Login, &u.PasswordHash, &u.Role, &u.OrgID, &u.Name, &created, &u.Disabled)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, registry.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("registry/sqlite: scan user: %w", err)
	}
	if u.ID, err = uuid.Parse(id); err != nil {
		return nil, fmt.Errorf("registry/sqlite: stored user id %q: %w", id, err)
	}
	if u.CreatedAt, err = parseTime(created); err != nil {
		return nil, err
	}
	return &u, nil
}

// CreateUser implements registry.Users.
func (s *Store) CreateUser(ctx context.Context, u *registry.User) error {
	if err := driver.PrepareUser(u, driver.Now()); err != nil {
		return err
	}
	err := s.write(ctx, func(tx txq) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO users (id, login, login_key, password_hash, role, org_id, name, created_at, disabled)
			VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)`,
			u.ID.String(), u.Login, driver.LoginKey(u.Login), u.PasswordHash, u.Role, u.OrgID, u.Name, fmtTime(u.CreatedAt), u.Disabled)
		return err
	})
	if isUnique(err) {
		return fmt.Errorf("%w: login %q or user id is taken", registry.ErrConflict, u.Login)
	}
	if err != nil {
		return fmt.Errorf("registry/sqlite: create user: %w", err)
	}
	return nil
}

// UserByLogin implements registry.Users.
func (s *Store) UserByLogin(ctx context.Context, login string) (*registry.User, error) {
	return scanUser(s.r().QueryRowContext(ctx, qUserByLogin, driver.LoginKey(login)))
}

// GetUser implements registry.Users.
func (s *Store) GetUser(ctx context.Context, id uuid.UUID) (*registry.User, error) {
	u, err := scanUser(s.r().QueryRowContext(ctx, qUser, id.String()))
	return u, unavailable(err)
}

// ListUsers implements registry.Users.
func (s *Store) ListUsers(ctx context.Context, orgID string) ([]registry.User, error) {
	rows, err := s.r().QueryContext(ctx, `SELECT `+userCols+` FROM users WHERE ?1 = '' OR org_id = ?1 ORDER BY login_key`, orgID)
	if err != nil {
		return nil, fmt.Errorf("registry/sqlite: list users: %w", err)
	}
	defer rows.Close()
	var out []registry.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("registry/sqlite: list users: %w", err)
	}
	return out, nil
}

// changeOne runs a statement that must change exactly one row (else ErrNotFound), with more
// statements in the same transaction if it did.
func (s *Store) changeOne(ctx context.Context, what, query string, args []any, then ...string) error {
	return s.write(ctx, func(tx txq) error {
		res, err := tx.ExecContext(ctx, query, args...)
		if err != nil {
			return fmt.Errorf("registry/sqlite: %s: %w", what, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("registry/sqlite: %s: %w", what, err)
		} else if n == 0 {
			return registry.ErrNotFound
		}
		for _, q := range then {
			if _, err := tx.ExecContext(ctx, q, args[0]); err != nil {
				return fmt.Errorf("registry/sqlite: %s: %w", what, err)
			}
		}
		return nil
	})
}

// UpdateUserPassword implements registry.Users.
func (s *Store) UpdateUserPassword(ctx context.Context, id uuid.UUID, hash string) error {
	if hash == "" {
		return fmt.Errorf("%w: empty password hash", registry.ErrInvalid)
	}
	return s.changeOne(ctx, "update password", `UPDATE users SET password_hash = ?2 WHERE id = ?1`, []any{id.String(), hash})
}

// SetUserDisabled implements registry.Users.
func (s *Store) SetUserDisabled(ctx context.Context, id uuid.UUID, disabled bool) error {
	var then []string
	if disabled {
		then = append(then, `DELETE FROM sessions WHERE user_id = ?1`)
	}
	return s.changeOne(ctx, "disable user", `UPDATE users SET disabled = ?2 WHERE id = ?1`, []any{id.String(), disabled}, then...)
}

// CreateSession implements registry.Sessions.
func (s *Store) CreateSession(ctx context.Context, sess *registry.Session) error {
	if err := driver.PrepareSession(sess, driver.Now()); err != nil {
		return err
	}
	err := s.write(ctx, func(tx txq) error {
		if _, err := scanUser(tx.QueryRowContext(ctx, qUser, sess.UserID.String())); errors.Is(err, registry.ErrNotFound) {
			return driver.UnknownUser(sess.UserID)
		} else if err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO sessions (id_hash, user_id, csrf, created_at, expires_at, last_seen)
			VALUES (?1, ?2, ?3, ?4, ?5, ?6)`,
			driver.HashSession(sess.ID), sess.UserID.String(), sess.CSRF,
			fmtTime(sess.CreatedAt), fmtTime(sess.ExpiresAt), fmtTime(sess.LastSeen))
		if isUnique(err) {
			return fmt.Errorf("%w: session exists", registry.ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("registry/sqlite: create session: %w", err)
		}
		return nil
	})
	return err
}

// SessionByID implements registry.Sessions.
func (s *Store) SessionByID(ctx context.Context, id string) (*registry.Session, error) {
	sess := registry.Session{ID: id}
	var user, created, expires, seen string
	err := s.r().QueryRowContext(ctx, qSession, driver.HashSession(id), fmtTime(driver.Now())).
		Scan(&user, &sess.CSRF, &created, &expires, &seen)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, registry.ErrNotFound
	}
	if err != nil {
		return nil, unavailable(fmt.Errorf("registry/sqlite: session: %w", err))
	}
	if sess.UserID, err = uuid.Parse(user); err != nil {
		return nil, fmt.Errorf("registry/sqlite: stored user id %q: %w", user, err)
	}
	for _, f := range []struct {
		src string
		dst *time.Time
	}{{created, &sess.CreatedAt}, {expires, &sess.ExpiresAt}, {seen, &sess.LastSeen}} {
		if *f.dst, err = parseTime(f.src); err != nil {
			return nil, err
		}
	}
	return &sess, nil
}

// TouchSession implements registry.Sessions.
func (s *Store) TouchSession(ctx context.Context, id string, at time.Time) error {
	return s.changeOne(ctx, "touch session", qTouchSession,
		[]any{driver.HashSession(id), fmtTime(at), fmtTime(driver.Now())})
}

// DeleteSession implements registry.Sessions.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	return s.changeOne(ctx, "delete session", `DELETE FROM sessions WHERE id_hash = ?1`, []any{driver.HashSession(id)})
}

// deleteAll runs a DELETE and returns how many rows it deleted.
func (s *Store) deleteAll(ctx context.Context, what, query string, args ...any) (int, error) {
	var n int64
	err := s.write(ctx, func(tx txq) error {
		res, err := tx.ExecContext(ctx, query, args...)
		if err == nil {
			n, err = res.RowsAffected()
		}
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("registry/sqlite: %s: %w", what, err)
	}
	return int(n), nil
}

// DeleteUserSessions implements registry.Sessions.
func (s *Store) DeleteUserSessions(ctx context.Context, userID uuid.UUID) (int, error) {
	return s.deleteAll(ctx, "delete user sessions", `DELETE FROM sessions WHERE user_id = ?1`, userID.String())
}

// DeleteExpiredSessions implements registry.Sessions.
func (s *Store) DeleteExpiredSessions(ctx context.Context) (int, error) {
	now := driver.Now()
	n, err := s.deleteAll(ctx, "delete expired sessions", `DELETE FROM sessions WHERE expires_at <= ?1`, fmtTime(now))
	if err != nil {
		return 0, err
	}
	_, err = s.deleteAll(ctx, "forget login failures", `DELETE FROM login_failures WHERE at < ?1`,
		fmtTime(now.Add(-registry.MaxLoginWindow)))
	return n, err
}

// TryLogin implements registry.LoginThrottle. The writer goroutine runs one transaction at a
// time, so the count and the record of concurrent attempts cannot interleave.
func (s *Store) TryLogin(ctx context.Context, login, addr string, at time.Time, policy registry.LoginPolicy) (time.Duration, int, error) {
	key := driver.LoginKey(login)
	var (
		wait time.Duration
		n    int
	)
	err := s.write(ctx, func(tx txq) error {
		wait, n = 0, 0
		var last sql.NullString
		if err := tx.QueryRowContext(ctx, `SELECT count(*), max(at) FROM login_failures WHERE login_key = ?1 AND addr = ?2 AND at >= ?3`,
			key, addr, fmtTime(at.Add(-registry.MaxLoginWindow))).Scan(&n, &last); err != nil {
			return err
		}
		if last.Valid {
			t, err := parseTime(last.String)
			if err != nil {
				return err
			}
			if until := t.Add(policy.Delay(n)); until.After(at) {
				wait = until.Sub(at)
				return nil
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO login_failures (login_key, addr, at) VALUES (?1, ?2, ?3)`, key, addr, fmtTime(at)); err != nil {
			return err
		}
		// A login under attack would otherwise grow without bound until the next cleanup.
		_, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE login_key = ?1 AND addr = ?2 AND at < ?3`,
			key, addr, fmtTime(at.Add(-registry.MaxLoginWindow)))
		return err
	})
	if err != nil {
		return 0, 0, fmt.Errorf("registry/sqlite: try login: %w", err)
	}
	return wait, n, nil
}

// ClearLoginFailures implements registry.LoginThrottle.
func (s *Store) ClearLoginFailures(ctx context.Context, login, addr string) error {
	_, err := s.deleteAll(ctx, "clear login failures", `DELETE FROM login_failures WHERE login_key = ?1 AND addr = ?2`, driver.LoginKey(login), addr)
	return err
}
