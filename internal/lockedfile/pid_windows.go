//go:build windows

package lockedfile

import (
	"errors"

	"golang.org/x/sys/windows"
)

// stillActive is GetExitCodeProcess's answer for a running process.
const stillActive = 259

// pidAlive reports whether a process with this pid is running. Opening it is
// not enough: a process that exited stays openable while anyone (its parent,
// an antivirus) holds a handle to it, so the exit code decides.
func pidAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	h, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, uint32(pid))
	if err != nil {
		// Access denied: it exists, it is just not ours to open.
		return errors.Is(err, windows.ERROR_ACCESS_DENIED)
	}
	defer windows.CloseHandle(h)
	var code uint32
	if err := windows.GetExitCodeProcess(h, &code); err != nil {
		return true
	}
	return code == stillActive
}

// syncDir is a no-op on Windows: directories cannot be opened for fsync
// there, and NTFS journals the rename itself.
func syncDir(string) error { return nil }
