//go:build windows

package localstorage

import (
	"fmt"
	"path/filepath"

	"github.com/mcpmend/mcpmend/internal/winlock"
)

// readersProbe is false on Windows: asking about the lock there means taking
// it for an instant (see ProbeLock), which readers do not need — they read
// a copy either way — so they report the lock as unknown instead.
const readersProbe = false

// ProbeLock reports whether another process — Claude Desktop — holds
// Chromium's LevelDB lock on dir/LOCK. Chromium locks it with LockFileEx
// (exclusive, the whole range) for as long as the database is open, and
// Windows has no F_GETLK: the probe takes the same lock and releases it at
// once (package winlock). The holder's pid is not known (0). A missing LOCK
// is not held; the probe never creates one.
func ProbeLock(dir string) (held bool, pid int, err error) {
	held, err = winlock.Probe(filepath.Join(dir, "LOCK"))
	if err != nil {
		return false, 0, fmt.Errorf("probe lock %s: %w", dir, err)
	}
	return held, 0, nil
}

// Lock is Chromium's LevelDB lock on a directory, held by this process for
// an edit: while it is held Claude Desktop cannot open its Local Storage
// (starting it then gives a session with an empty localStorage, the file
// untouched — as on the other systems).
type Lock struct {
	l *winlock.Lock
}

// TakeLock takes Chromium's lock on dir/LOCK without waiting. When another
// process holds it, it returns a *LockedError (pid unknown). The edit never
// opens the live directory with goleveldb (whose own open of LOCK would
// clash with this handle): it edits a staging copy and installs files.
func TakeLock(dir string) (*Lock, error) {
	l, held, err := winlock.TryLock(filepath.Join(dir, "LOCK"), true)
	switch {
	case err != nil:
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	case held:
		return nil, &LockedError{Dir: dir}
	}
	return &Lock{l: l}, nil
}

// Release drops the lock. It is safe to call more than once.
func (l *Lock) Release() error {
	if l == nil {
		return nil
	}
	return l.l.Release()
}
