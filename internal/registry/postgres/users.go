package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"orders/internal/registry"
	"orders/internal/registry/internal/driver"
)

const userCols = "id, login, password_hash, role, org_id, name, created_at, disabled"

func scanUser(row pgx.Row) (*registry.User, error) {
	var u registry.User
	err := row.Scan(&u.ID, &u.Login, &u.PasswordHash, &u.Role, &u.OrgID, &u.Name, &u.CreatedAt, &u.Disabled)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, registry.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("registry/postgres: scan user: %w", err)
	}
	u.CreatedAt = u.CreatedAt.UTC()
	return &u, nil
}

// CreateUser implements registry.Users.
func (s *Store) CreateUser(ctx context.Context, u *registry.User) error {
	if err := driver.PrepareUser(u, driver.Now()); err != nil {
		return err
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO users (id, login, login_key, password_hash, role, org_id, name, created_at, disabled)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		u.ID, u.Login, driver.LoginKey(u.Login), u.PasswordHash, u.Role, u.OrgID, u.Name, u.CreatedAt, u.Disabled)
	if isUnique(err) {
		return fmt.Errorf("%w: login %q or user id is taken", registry.ErrConflict, u.Login)
	}
	if err != nil {
		return fmt.Errorf("registry/postgres: create user: %w", err)
	}
	return nil
}

// UserByLogin implements registry.Users.
func (s *Store) UserByLogin(ctx context.Context, login string) (*registry.User, error) {
	return scanUser(s.pool.QueryRow(ctx, `SELECT `+userCols+` FROM users WHERE login_key = $1`, driver.LoginKey(login)))
}

// GetUser implements registry.Users.
func (s *Store) GetUser(ctx context.Context, id uuid.UUID) (*registry.User, error) {
	return scanUser(s.pool.QueryRow(ctx, `SELECT `+userCols+` FROM users WHERE id = $1`, id))
}

// ListUsers implements registry.Users.
func (s *Store) ListUsers(ctx context.Context, orgID string) ([]registry.User, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+userCols+` FROM users WHERE $1 = '' OR org_id = $1 ORDER BY login_key COLLATE "C"`, orgID)
	if err != nil {
		return nil, fmt.Errorf("registry/postgres: list users: %w", err)
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
		return nil, fmt.Errorf("registry/postgres: list users: %w", err)
	}
	return out, nil
}

// UpdateUserPassword implements registry.Users.
func (s *Store) UpdateUserPassword(ctx context.Context, id uuid.UUID, hash string) error {
	if hash == "" {
		return fmt.Errorf("%w: empty password hash", registry.ErrInvalid)
	}
	return s.changeOne(ctx, "update password", `UPDATE users SET password_hash = $2 WHERE id = $1`, id, hash)
}

// SetUserDisabled implements registry.Users.
func (s *Store) SetUserDisabled(ctx context.Context, id uuid.UUID, disabled bool) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE users SET disabled = $2 WHERE id = $1`, id, disabled)
		if err != nil {
			return fmt.Errorf("registry/postgres: disable user: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return registry.ErrNotFound
		}
		if disabled {
			if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1`, id); err != nil {
				return fmt.Errorf("registry/postgres: disable user: %w", err)
			}
		}
		return nil
	})
}

// changeOne runs a statement that must change exactly one row, else ErrNotFound.
func (s *Store) changeOne(ctx context.Context, what, query string, args ...any) error {
	tag, err := s.pool.Exec(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("registry/postgres: %s: %w", what, err)
	}
	if tag.RowsAffected() == 0 {
		return registry.ErrNotFound
	}
	return nil
}

// CreateSession implements registry.Sessions.
func (s *Store) CreateSession(ctx context.Context, sess *registry.Session) error {
	if err := driver.PrepareSession(sess, driver.Now()); err != nil {
		return err
	}
	// INSERT … SELECT: the user must exist, and the foreign key keeps it so.
	tag, err := s.pool.Exec(ctx, `INSERT INTO sessions (id_hash, user_id, csrf, created_at, expires_at, last_seen)
		SELECT $1, id, $3, $4, $5, $6 FROM users WHERE id = $2`,
		driver.HashSession(sess.ID), sess.UserID, sess.CSRF, sess.CreatedAt, sess.ExpiresAt, sess.LastSeen)
	if isUnique(err) {
		return fmt.Errorf("%w: session exists", registry.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("registry/postgres: create session: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return driver.UnknownUser(sess.UserID)
	}
	return nil
}

// SessionByID implements registry.Sessions.
func (s *Store) SessionByID(ctx context.Context, id string) (*registry.Session, error) {
	sess := registry.Session{ID: id}
	err := s.pool.QueryRow(ctx, `SELECT user_id, csrf, created_at, expires_at, last_seen FROM sessions
		WHERE id_hash = $1 AND expires_at > $2`, driver.HashSession(id), driver.Now()).
		Scan(&sess.UserID, &sess.CSRF, &sess.CreatedAt, &sess.ExpiresAt, &sess.LastSeen)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, registry.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("registry/postgres: session: %w", err)
	}
	sess.CreatedAt, sess.ExpiresAt, sess.LastSeen = sess.CreatedAt.UTC(), sess.ExpiresAt.UTC(), sess.LastSeen.UTC()
	return &sess, nil
}

// TouchSession implements registry.Sessions.
func (s *Store) TouchSession(ctx context.Context, id string, at time.Time) error {
	return s.changeOne(ctx, "touch session", `UPDATE sessions SET last_seen = $2 WHERE id_hash = $1 AND expires_at > $3`,
		driver.HashSession(id), at.UTC().Truncate(time.Microsecond), driver.Now())
}

// DeleteSession implements registry.Sessions.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	return s.changeOne(ctx, "delete session", `DELETE FROM sessions WHERE id_hash = $1`, driver.HashSession(id))
}

// DeleteUserSessions implements registry.Sessions.
func (s *Store) DeleteUserSessions(ctx context.Context, userID uuid.UUID) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID)
	if err != nil {
		return 0, fmt.Errorf("registry/postgres: delete user sessions: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// DeleteExpiredSessions implements registry.Sessions.
func (s *Store) DeleteExpiredSessions(ctx context.Context) (int, error) {
	now := driver.Now()
	tag, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE expires_at <= $1`, now)
	if err != nil {
		return 0, fmt.Errorf("registry/postgres: delete expired sessions: %w", err)
	}
	if _, err := s.pool.Exec(ctx, `DELETE FROM login_failures WHERE at < $1`, now.Add(-registry.MaxLoginWindow)); err != nil {
		return 0, fmt.Errorf("registry/postgres: forget login failures: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// TryLogin implements registry.LoginThrottle. A transaction-scoped advisory lock on the
// pair serializes concurrent attempts, so that none slips between the count and the record.
func (s *Store) TryLogin(ctx context.Context, login, addr string, at time.Time, policy registry.LoginPolicy) (time.Duration, int, error) {
	key := driver.LoginKey(login)
	at = at.UTC().Truncate(time.Microsecond)
	var (
		wait time.Duration
		n    int
	)
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		wait, n = 0, 0
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('login:' || $1 || chr(10) || $2, 0))`, key, addr); err != nil {
			return err
		}
		var last *time.Time
		if err := tx.QueryRow(ctx, `SELECT count(*), max(at) FROM login_failures WHERE login_key = $1 AND addr = $2 AND at >= $3`,
			key, addr, at.Add(-registry.MaxLoginWindow)).Scan(&n, &last); err != nil {
			return err
		}
		if last != nil {
			if until := last.Add(policy.Delay(n)); until.After(at) {
				wait = until.Sub(at)
				return nil
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO login_failures (login_key, addr, at) VALUES ($1, $2, $3)`, key, addr, at); err != nil {
			return err
		}
		// A login under attack would otherwise grow without bound until the next cleanup.
		_, err := tx.Exec(ctx, `DELETE FROM login_failures WHERE login_key = $1 AND addr = $2 AND at < $3`,
			key, addr, at.Add(-registry.MaxLoginWindow))
		return err
	})
	if err != nil {
		return 0, 0, fmt.Errorf("registry/postgres: try login: %w", err)
	}
	return wait, n, nil
}

// ClearLoginFailures implements registry.LoginThrottle.
func (s *Store) ClearLoginFailures(ctx context.Context, login, addr string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM login_failures WHERE login_key = $1 AND addr = $2`, driver.LoginKey(login), addr); err != nil {
		return fmt.Errorf("registry/postgres: clear login failures: %w", err)
	}
	return nil
}
