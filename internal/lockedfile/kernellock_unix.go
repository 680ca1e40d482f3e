//go:build unix

package lockedfile

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

var errWouldBlock = errors.New("held by another process")

// lockFile takes flock(LOCK_EX|LOCK_NB). flock locks belong to the open
// file description, so two opens in one process exclude each other too
// (a serve running two resets), unlike classic fcntl locks.
func lockFile(f *os.File) error {
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.EWOULDBLOCK):
			return errWouldBlock
		}
		return err
	}
}
