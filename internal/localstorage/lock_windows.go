//go:build windows

package localstorage

// ProbeLock cannot tell on Windows whether Claude Desktop holds its Local
// Storage database: how Chromium locks there is unverified (see
// doc.go), so it returns ErrLockUnsupported and readers treat the
// database as possibly in use — they always read through a copy anyway.
func ProbeLock(dir string) (held bool, pid int, err error) {
	return false, 0, ErrLockUnsupported
}

// Lock is Chromium's LevelDB lock on a directory, held by this process.
// It cannot be taken on Windows yet.
type Lock struct{}

// TakeLock returns ErrLockUnsupported on Windows: editing a database whose
// lock cannot be checked would risk the app's data, so edits are refused.
func TakeLock(dir string) (*Lock, error) {
	return nil, ErrLockUnsupported
}

// Release is a no-op on Windows, where no lock is ever taken.
func (l *Lock) Release() error { return nil }
