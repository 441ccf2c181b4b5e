package fsstore

import (
	"os"

	"golang.org/x/sys/unix"
)

// syncFS flushes the file system that holds f: the data and the directory entries of every
// file written before the call, in one system call.
func syncFS(f *os.File) error { return unix.Syncfs(int(f.Fd())) }
