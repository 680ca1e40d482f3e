//go:build windows

package winlock

import (
	"errors"
	"fmt"

	"golang.org/x/sys/windows"
)

// whole is the lock range Chromium and LevelDB use: every byte.
const whole = ^uint32(0)

// Lock is a held exclusive lock on a LOCK file.
type Lock struct {
	h windows.Handle
}

// open opens path for locking. Reading is all LockFileEx needs; sharing
// read, write and delete lets the app open LOCK as it always does (it then
// fails only at its own lock, as intended) and lets a whole-directory
// restore delete it.
func open(path string, disposition uint32) (windows.Handle, error) {
	p, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return windows.InvalidHandle, err
	}
	return windows.CreateFile(p, windows.GENERIC_READ,
		windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE|windows.FILE_SHARE_DELETE,
		nil, disposition, windows.FILE_ATTRIBUTE_NORMAL, 0)
}

// heldErr reports the errors that mean another process holds the lock.
func heldErr(err error) bool {
	return errors.Is(err, windows.ERROR_LOCK_VIOLATION) || errors.Is(err, windows.ERROR_SHARING_VIOLATION) ||
		errors.Is(err, windows.ERROR_IO_PENDING)
}

// TryLock takes the exclusive lock on path without waiting, creating the
// file when create is set. held is true (and err nil) when another process
// has it; a missing file without create is (nil, false, nil).
func TryLock(path string, create bool) (l *Lock, held bool, err error) {
	disposition := uint32(windows.OPEN_EXISTING)
	if create {
		disposition = windows.OPEN_ALWAYS
	}
	h, err := open(path, disposition)
	switch {
	case !create && (errors.Is(err, windows.ERROR_FILE_NOT_FOUND) || errors.Is(err, windows.ERROR_PATH_NOT_FOUND)):
		return nil, false, nil
	case heldErr(err):
		return nil, true, nil
	case err != nil:
		return nil, false, fmt.Errorf("open %s: %w", path, err)
	}
	ol := new(windows.Overlapped)
	err = windows.LockFileEx(h, windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, whole, whole, ol)
	if err != nil {
		windows.CloseHandle(h)
		if heldErr(err) {
			return nil, true, nil
		}
		return nil, false, fmt.Errorf("lock %s: %w", path, err)
	}
	return &Lock{h: h}, false, nil
}

// Probe reports whether another process holds the lock on path, taking it
// for an instant when it is free. A missing file is not held.
func Probe(path string) (held bool, err error) {
	l, held, err := TryLock(path, false)
	if l != nil {
		err = l.Release()
	}
	return held, err
}

// Release drops the lock and closes the handle (closing alone would drop
// it too, but only when Windows gets round to it). Safe to call twice.
func (l *Lock) Release() error {
	if l == nil || l.h == windows.InvalidHandle {
		return nil
	}
	uerr := windows.UnlockFileEx(l.h, 0, whole, whole, new(windows.Overlapped))
	cerr := windows.CloseHandle(l.h)
	l.h = windows.InvalidHandle
	return errors.Join(uerr, cerr)
}
