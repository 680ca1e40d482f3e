//go:build !windows

package lockedfile

// isSharingConflict is false everywhere but Windows: POSIX systems let a file
// be renamed over or unlinked while others have it open.
func isSharingConflict(error) bool { return false }
