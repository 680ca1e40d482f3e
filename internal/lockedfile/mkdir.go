package lockedfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// MkdirAll creates dir and its missing parents with perm, as os.MkdirAll
// does; run as root, each directory it creates gets the owner and group of
// the one it was created in (InheritOwner), so root repairing a user's home
// leaves no root-owned ~/.claude, ~/.local/state or ~/.cursor behind for
// the user's own programs to trip over.
func MkdirAll(dir string, perm fs.FileMode) error {
	missing := missingDirs(dir)
	if err := os.MkdirAll(dir, perm); err != nil {
		return err
	}
	for i := len(missing) - 1; i >= 0; i-- { // outermost first
		if err := InheritOwner(missing[i]); err != nil {
			return err
		}
	}
	return nil
}

// missingDirs lists dir and its parents that do not exist, innermost first.
func missingDirs(dir string) []string {
	var out []string
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); !errors.Is(err, fs.ErrNotExist) {
			return out
		}
		out = append(out, d)
		if filepath.Dir(d) == d {
			return out
		}
	}
}
