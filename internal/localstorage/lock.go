package localstorage

import (
	"runtime"
	"strconv"
)

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
	Unknown bool `json:"unknown,omitempty"` // the lock was not checked (readers on Windows) or could not be
}

// ProbeLockState wraps ProbeLock for readers, which never fail on a lock
// they cannot check: they read a copy either way. On Windows, where probing
// means taking the lock for an instant, readers do not probe (readersProbe).
func ProbeLockState(dir string) LockState {
	if !readersProbe {
		return LockState{Unknown: true}
	}
	held, pid, err := ProbeLock(dir)
	if err != nil {
		return LockState{Unknown: true}
	}
	return LockState{Held: held, PID: pid}
}

// RuntimeGOOS is runtime.GOOS, for Env values that leave GOOS empty.
var RuntimeGOOS = runtime.GOOS
