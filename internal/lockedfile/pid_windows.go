//go:build windows

package lockedfile

import "os"

// pidAlive reports whether a process with this pid exists: on Windows
// FindProcess opens a handle, which fails for a process that is gone.
func pidAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	_ = p.Release()
	return true
}

// syncDir is a no-op on Windows: directories cannot be opened for fsync
// there, and NTFS journals the rename itself.
func syncDir(string) error { return nil }
