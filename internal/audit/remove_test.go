package audit

import (
	"os"
	"path/filepath"

	"orders/internal/blob/fsstore"
)

// removeNamed deletes a named record behind the store's back (the store has no Delete).
func removeNamed(s *fsstore.Store, name string) error {
	return os.Remove(filepath.Join(s.Dir(), "named", filepath.FromSlash(name)))
}
