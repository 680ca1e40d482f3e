package localstorage

import (
	"errors"
	"runtime"
	"strconv"
)

// ErrLockUnsupported is returned by ProbeLock and LockLocalStorage where mcpmend cannot
// check Chromium's lock (Windows, until verified there).
var ErrLockUnsupported = errors.New("checking Chromium's LevelDB lock is not supported on this OS")

// LockedError says another process — normally the app itself — holds a
// Local Storage database's lock.
type LockedError struct {
	Dir string
	PID int // 0 when the holder is not known
}

func (e *LockedError) Error() string {
	who := "another process"
	if e.PID > 0 {
		who += " (pid " + strconv.Itoa(e.PID) + ")"
	}
	return e.Dir + " is locked by " + who + ": quit the app first"
}

// LockState is what a probe of Chromium's lock found, for messages and for
// deciding whether an edit can run now.
type LockState struct {
	Held    bool `json:"held"`
	PID     int  `json:"pid,omitempty"`     // holder, when known
	Unknown bool `json:"unknown,omitempty"` // the lock could not be checked (Windows, or an error)
}

// ProbeLockState wraps ProbeLock for readers, which never fail on a lock
// they cannot check: they read a copy either way.
func ProbeLockState(dir string) LockState {
	held, pid, err := ProbeLock(dir)
	if err != nil {
		return LockState{Unknown: true}
	}
	return LockState{Held: held, PID: pid}
}

// RuntimeGOOS is runtime.GOOS, for Env values that leave GOOS empty.
var RuntimeGOOS = runtime.GOOS
