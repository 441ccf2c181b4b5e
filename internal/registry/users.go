package registry

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// User is a person who logs in to the web pages (issue 6). The registry stores the password
// hash the caller made (bcrypt) and never sees a password.
type User struct {
	ID uuid.UUID
	// Login is unique ignoring case: "Ivanova" and "ivanova" are one user. It is stored as
	// given (trimmed) and found in any case.
	Login        string
	PasswordHash string
	Role         string // clerk, head, archivist, admin
	OrgID        string // "" for admins, who reach all organizations
	Name         string
	CreatedAt    time.Time
	Disabled     bool
}

// Users is the part of the registry that keeps users.
type Users interface {
	// CreateUser inserts u, filling ID (if nil) and CreatedAt. A login taken in any case is
	// ErrConflict; an empty login, hash or role is ErrInvalid.
	CreateUser(ctx context.Context, u *User) error
	// UserByLogin finds a user by login in any case.
	UserByLogin(ctx context.Context, login string) (*User, error)
	GetUser(ctx context.Context, id uuid.UUID) (*User, error)
	// ListUsers returns the users of orgID ("" for all) ordered by login.
	ListUsers(ctx context.Context, orgID string) ([]User, error)
	// UpdateUserPassword replaces the password hash. The user's sessions stay; end them with
	// DeleteUserSessions where a password change must log out everywhere.
	UpdateUserPassword(ctx context.Context, id uuid.UUID, hash string) error
	// SetUserDisabled disables or enables a user; disabling also deletes the user's
	// sessions, so nobody stays logged in as them.
	SetUserDisabled(ctx context.Context, id uuid.UUID, disabled bool) error
}

// Session is a web login session. Only the SHA-256 of ID is stored, so a copy of the
// database does not hold live session cookies.
type Session struct {
	ID        string // the random secret the cookie carries, chosen by the caller
	UserID    uuid.UUID
	CSRF      string // the session's CSRF token
	CreatedAt time.Time
	ExpiresAt time.Time
	LastSeen  time.Time
}

// Sessions is the part of the registry that keeps web sessions. Every method takes the raw
// session ID and hashes it.
type Sessions interface {
	// CreateSession stores s. ID, ExpiresAt and an existing UserID are required (else
	// ErrInvalid); a zero CreatedAt or LastSeen is set to now. An ID in use is ErrConflict.
	CreateSession(ctx context.Context, s *Session) error
	// SessionByID returns the session; an expired one is ErrNotFound.
	SessionByID(ctx context.Context, id string) (*Session, error)
	// TouchSession records that the session was used at at (LastSeen). An unknown or
	// expired session is ErrNotFound.
	TouchSession(ctx context.Context, id string, at time.Time) error
	// DeleteSession ends a session (logout). An unknown session is ErrNotFound.
	DeleteSession(ctx context.Context, id string) error
	// DeleteUserSessions ends all sessions of a user and returns how many there were.
	DeleteUserSessions(ctx context.Context, userID uuid.UUID) (int, error)
	// DeleteExpiredSessions deletes the sessions expired by now, and login failures older
	// than MaxLoginWindow, and returns how many sessions it deleted.
	DeleteExpiredSessions(ctx context.Context) (int, error)
}

// MaxLoginWindow is how long login failures are kept: nothing older counts.
const MaxLoginWindow = 24 * time.Hour

// LoginPolicy is how failed logins slow down the next attempt. Failures count per login and
// source address: whoever knows a login can slow down only their own guesses, never lock the
// login's owner out from another address (issue 12: five wrong passwords from anywhere locked
// the login for 15 minutes).
type LoginPolicy struct {
	// Free is how many failures of a login from one address cost nothing; each further
	// attempt waits Base, doubling per failure, at most Max, after the latest failure.
	Free      int
	Base, Max time.Duration
}

// DefaultLoginPolicy: five free attempts, then 1 s, 2 s, 4 s … up to 5 minutes.
var DefaultLoginPolicy = LoginPolicy{Free: 5, Base: time.Second, Max: 5 * time.Minute}

// Delay is how long an attempt after failures failures must wait after the latest of them.
func (p LoginPolicy) Delay(failures int) time.Duration {
	if failures < p.Free {
		return 0
	}
	d := p.Base
	for i := p.Free; i < failures && d < p.Max; i++ {
		d *= 2
	}
	return min(d, p.Max)
}

// LoginThrottle keeps failed login attempts per login (compared ignoring case) and source
// address, for the growing delays of LoginPolicy.
type LoginThrottle interface {
	// TryLogin is an attempt of login from addr at at. In one transaction it counts the
	// failures of that pair within MaxLoginWindow; when the latest is more recent than
	// policy.Delay(failures) it returns the time still to wait and records nothing. Otherwise
	// it records the attempt as a failure, to be cleared by ClearLoginFailures when the
	// password is right, and returns 0: concurrent guesses cannot slip between a check and
	// its record.
	TryLogin(ctx context.Context, login, addr string, at time.Time, policy LoginPolicy) (wait time.Duration, failures int, err error)
	// ClearLoginFailures forgets the failures of login from addr (a successful login there).
	ClearLoginFailures(ctx context.Context, login, addr string) error
}
