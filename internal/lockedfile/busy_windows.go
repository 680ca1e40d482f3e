//go:build windows

package lockedfile

import (
	"errors"
	"syscall"

	"golang.org/x/sys/windows"
)

// isSharingConflict reports the errors Windows gives when another process
// has the file open without the share mode the operation needs: a rename or
// delete of a file opened without FILE_SHARE_DELETE is ACCESS_DENIED, a
// conflicting open is SHARING_VIOLATION, a byte-range lock LOCK_VIOLATION.
// ACCESS_DENIED is also what a truly read-only file gives; that case retries
// for the budget and then says so in the message.
func isSharingConflict(err error) bool {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return false
	}
	switch errno {
	case windows.ERROR_ACCESS_DENIED, windows.ERROR_SHARING_VIOLATION, windows.ERROR_LOCK_VIOLATION:
		return true
	}
	return false
}
