//go:build unix

package localstorage

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"

	"golang.org/x/sys/unix"

	"github.com/mcpmend/mcpmend/internal/lockedfile"
)

// readersProbe: on Unix the probe only asks (F_GETLK), so readers use it.
const readersProbe = true

// ProbeLock reports whether another process holds Chromium's LevelDB lock on
// dir/LOCK, and the holder's PID when the kernel says (0 when it does not,
// e.g. across PID namespaces).
//
// Chromium locks LOCK with fcntl(F_SETLK, F_WRLCK); goleveldb's own open uses
// flock, which on Linux does not conflict with it, so goleveldb opening
// without error proves nothing. The probe asks with F_GETLK for the very
// lock Chromium would conflict with (a whole-file write lock) instead of
// taking it with F_SETLK and releasing it: the answer is the same, but a probe
// that never holds the lock cannot make an app starting at that instant fail
// to lock and run with an empty localStorage. A missing LOCK file is "not
// held"; the probe never creates one.
func ProbeLock(dir string) (held bool, pid int, err error) {
	path := filepath.Join(dir, "LOCK")
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, 0, nil
	}
	if err != nil {
		return false, 0, fmt.Errorf("probe lock %s: %w", path, err)
	}
	defer f.Close()
	lk := unix.Flock_t{Type: unix.F_WRLCK, Whence: io.SeekStart}
	if err := unix.FcntlFlock(f.Fd(), unix.F_GETLK, &lk); err != nil {
		return false, 0, fmt.Errorf("probe lock %s: %w", path, err)
	}
	if lk.Type == unix.F_UNLCK {
		return false, 0, nil
	}
	return true, max(int(lk.Pid), 0), nil
}

// Lock is Chromium's LevelDB lock on a directory, held by this
// process for an edit (doc.go, "Editing", step 3).
type Lock struct {
	f *os.File
}

// TakeLock takes Chromium's lock on dir/LOCK without waiting. When
// another process holds it, it returns a *LockedError naming that process.
//
// On Linux the lock is an open-file-description lock (F_OFD_SETLK): it
// conflicts with Chromium's fcntl lock exactly like F_SETLK, but is not
// dropped when some other descriptor of LOCK in this process is closed —
// goleveldb opens and closes LOCK itself, and with a classic POSIX lock that
// close would silently release the lock mid-edit. Other Unix systems (macOS)
// only have the classic lock, which any close of a descriptor for LOCK in
// this process releases: there, neither ProbeLock nor a goleveldb open of the
// directory may run while the lock is relied on.
func TakeLock(dir string) (*Lock, error) {
	path := filepath.Join(dir, "LOCK")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	// A LOCK root created in a user's profile must stay theirs: Chromium
	// opens it read-write and would fail on a root-owned 0644 file.
	_ = lockedfile.InheritOwner(path)
	lk := unix.Flock_t{Type: unix.F_WRLCK, Whence: io.SeekStart}
	if err := unix.FcntlFlock(f.Fd(), setLockCmd(), &lk); err != nil {
		f.Close()
		if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EACCES) {
			_, pid, _ := ProbeLock(dir)
			return nil, &LockedError{Dir: dir, PID: pid}
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return &Lock{f: f}, nil
}

// fOFDSetLK is Linux's F_OFD_SETLK (37 on every architecture); x/sys/unix
// defines it only for Linux, and this file builds for every Unix.
const fOFDSetLK = 37

// setLockCmd is F_OFD_SETLK on Linux, F_SETLK elsewhere (see LockLocalStorage).
func setLockCmd() int {
	if runtime.GOOS == "linux" {
		return fOFDSetLK
	}
	return unix.F_SETLK
}

// Release drops the lock. It is safe to call more than once.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close() // closing the descriptor releases the lock
	l.f = nil
	return err
}
