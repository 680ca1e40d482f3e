//go:build linux

package lockedfile

import (
	"errors"

	"golang.org/x/sys/unix"
)

// renameNoReplace moves src to dst unless dst exists (fs.ErrExist).
// renameat2(RENAME_NOREPLACE) is one atomic step; file systems without it
// fall back to link+unlink.
func renameNoReplace(src, dst string) error {
	err := unix.Renameat2(unix.AT_FDCWD, src, unix.AT_FDCWD, dst, unix.RENAME_NOREPLACE)
	if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.ENOTSUP) {
		return linkNoReplace(src, dst)
	}
	if err != nil {
		return &linkErr{op: "rename", src: src, dst: dst, err: err}
	}
	return nil
}

type linkErr struct {
	op, src, dst string
	err          error
}

func (e *linkErr) Error() string { return e.op + " " + e.src + " " + e.dst + ": " + e.err.Error() }
func (e *linkErr) Unwrap() error { return e.err }
