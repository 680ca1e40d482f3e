package lockedfile

import (
	"errors"
	"os"
)

// ErrNoExchange reports that the operating system or the file system has no
// atomic exchange of two names (old Linux kernels, some network and FUSE
// file systems, HFS+, Windows). Callers fall back to a plain rename.
var ErrNoExchange = errors.New("no atomic exchange of two files here")

// Exchange swaps the directory entries a and b in one atomic step: a then
// names the file b named, and b the file a named. Both must exist, in the
// same file system. It is renameat2(RENAME_EXCHANGE) on Linux and
// renamex_np(RENAME_SWAP) on macOS; elsewhere, and where the file system
// refuses, the error wraps ErrNoExchange and nothing changed.
//
// Unlike a rename over b, nothing is unlinked: whatever a program wrote into
// b's file up to the swap (or writes later through a descriptor it already
// had open) can still be read at a.
func Exchange(a, b string) error {
	if err := exchange(a, b); err != nil {
		return &os.LinkError{Op: "exchange", Old: a, New: b, Err: err}
	}
	return nil
}
