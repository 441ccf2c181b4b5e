//go:build !linux

package fsstore

import (
	"os"
	"syscall"
)

// syncFS falls back to sync(2) where there is no syncfs: slower, but still durable.
func syncFS(*os.File) error {
	syscall.Sync()
	return nil
}
