package driver

import (
	"fmt"
	"time"

	"github.com/google/uuid"

	"orders/internal/registry"
)

// HashSession is what is stored of a session ID: its SHA-256, hex.
func HashSession(id string) string { return HashDraft([]byte(id)) }

// PrepareSession checks s and fills its times.
func PrepareSession(s *registry.Session, now time.Time) error {
	if len(s.ID) < 16 {
		return fmt.Errorf("%w: session id shorter than 16 bytes", registry.ErrInvalid)
	}
	if s.UserID == uuid.Nil || s.ExpiresAt.IsZero() {
		return fmt.Errorf("%w: session needs a user and an expiry", registry.ErrInvalid)
	}
	if s.CreatedAt.IsZero() {
		s.CreatedAt = now
	}
	if s.LastSeen.IsZero() {
		s.LastSeen = s.CreatedAt
	}
	for _, t := range []*time.Time{&s.CreatedAt, &s.ExpiresAt, &s.LastSeen} {
		*t = t.UTC().Truncate(time.Microsecond)
	}
	return nil
}

// UnknownUser is the error of CreateSession for a user that does not exist.
func UnknownUser(id uuid.UUID) error {
	return fmt.Errorf("%w: unknown user %s", registry.ErrInvalid, id)
}
