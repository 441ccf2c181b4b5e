package driver

import (
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"

	"orders/internal/registry"
)

// LoginKey is how logins are compared: trimmed and lower-cased in Go, since SQLite's lower()
// folds ASCII only and the two databases must agree.
func LoginKey(login string) string { return strings.ToLower(strings.TrimSpace(login)) }

// PrepareUser checks u and fills its ID and time.
func PrepareUser(u *registry.User, now time.Time) error {
	u.Login = strings.TrimSpace(u.Login)
	if u.Login == "" || len(u.Login) > 128 || strings.IndexFunc(u.Login, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r)
	}) >= 0 {
		return fmt.Errorf("%w: login %q: 1 to 128 bytes without spaces", registry.ErrInvalid, u.Login)
	}
	if u.PasswordHash == "" || u.Role == "" {
		return fmt.Errorf("%w: user needs a password hash and a role", registry.ErrInvalid)
	}
	if u.ID == uuid.Nil {
		u.ID = uuid.New()
	}
	u.CreatedAt = now
	return nil
}
