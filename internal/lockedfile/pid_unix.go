//go:build unix

package lockedfile

import (
	"errors"
	"os"
	"syscall"
)

// pidAlive reports whether a process with this pid exists (EPERM means it
// exists but belongs to someone else).
func pidAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// syncDir makes a rename in dir durable: without it a crash right after the
// rename can bring back the old directory entry.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
