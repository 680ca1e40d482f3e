package lockedfile

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Removing and restoring whole files that their owner may rewrite at any
// moment, without a lock to agree on (mcp-remote's files):
//
//   - Quarantine never deletes what it has not looked at: it first renames
//     the file to a private name in the same directory (atomic; a writer
//     that opens the path afterwards creates a new file), then reads what it
//     moved. The caller removes it (Discard) when it is the planned content,
//     or puts it back (Unquarantine) when it is not.
//   - Publish never overwrites: it writes the content to a temp file and
//     moves it to the path only if nothing is there (renameat2 with
//     RENAME_NOREPLACE on Linux, link+unlink elsewhere, MoveFileEx without
//     REPLACE_EXISTING on Windows). If the owner wrote the file meanwhile,
//     theirs stays and Publish reports fs.ErrExist.
//
// A writer that truncates and rewrites in place (Node's fs.writeFile) and
// had opened the file before the rename truncated it before Quarantine
// read it, so the planned content cannot be mistaken for a half-written
// newer one.

// Quarantined is a file moved aside by Quarantine.
type Quarantined struct {
	Path string // where it was
	Name string // where it is now
	Data []byte // what was moved
	Mode fs.FileMode
}

// Quarantine moves path aside and reads it. It returns (nil, nil) when path
// does not exist. A symlink, or a file with other hard links, is refused
// (*LinkError) and left in place: deleting one name would leave the other
// holding the content, and the owner would write a plain file at the path.
func Quarantine(path string) (*Quarantined, error) {
	if err := CheckLinks(path, RefuseLinks); err != nil {
		return nil, err
	}
	tmp, err := tempName(filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".quarantine"))
	if err != nil {
		return nil, err
	}
	if err := os.Rename(path, tmp); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("move %s aside: %w", path, err)
	}
	q := &Quarantined{Path: path, Name: tmp}
	if err := q.read(); err != nil {
		if perr := q.Unquarantine(); perr != nil {
			return nil, fmt.Errorf("read %s: %w; moving it back failed: %v (it is at %s)", path, err, perr, tmp)
		}
		return nil, fmt.Errorf("read %s: %w (moved back)", path, err)
	}
	return q, nil
}

// read reads what was moved, refusing what is not a plain file with one
// link (a link made between CheckLinks and the move).
func (q *Quarantined) read() error {
	fi, err := os.Lstat(q.Name)
	switch {
	case err != nil:
		return err
	case !fi.Mode().IsRegular():
		return fmt.Errorf("%s is not a regular file", q.Path)
	case nlink(fi) > 1:
		return &LinkError{Path: q.Path, NLink: nlink(fi)}
	}
	q.Mode = fi.Mode().Perm()
	q.Data, err = os.ReadFile(q.Name)
	return err
}

// Discard removes the quarantined file for good.
func (q *Quarantined) Discard() error {
	if err := Remove(q.Name); err != nil { // Remove retries a sharing violation on Windows
		return err
	}
	SyncDir(filepath.Dir(q.Path))
	return nil
}

// Unquarantine moves the file back unless the owner has written a new one
// at the path meanwhile; then the newer file stays and the quarantined one,
// which it superseded, is removed.
func (q *Quarantined) Unquarantine() error {
	err := renameNoReplace(q.Name, q.Path)
	if errors.Is(err, fs.ErrExist) {
		return os.Remove(q.Name)
	}
	return err
}

// Publish creates path with data and mode perm only if nothing exists
// there (run as root, the file gets the owner of its directory); it returns an error wrapping fs.ErrExist, changing nothing, when
// something does.
func Publish(path string, data []byte, perm fs.FileMode) error {
	tmp, err := tempName(path)
	if err != nil {
		return err
	}
	if err := writeSynced(tmp, data, perm); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := keepOwner(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := renameNoReplace(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	SyncDir(filepath.Dir(path))
	return nil
}

// linkNoReplace is the portable no-replace move: link fails with EEXIST
// when dst exists; then the source name goes.
func linkNoReplace(src, dst string) error {
	if err := os.Link(src, dst); err != nil {
		return err
	}
	return os.Remove(src)
}

// RecoverQuarantined resolves what a Quarantine by a process that has died
// left beside path: when path is absent the file goes back (without
// replacing anything); when path holds the same bytes the leftover is
// removed; otherwise (the owner wrote a newer file since) it is left where
// it is and named in the error, never deleted.
func RecoverQuarantined(path string) error {
	dir, base := filepath.Split(path)
	entries, err := os.ReadDir(filepath.Clean(dir))
	if err != nil {
		return nil
	}
	prefix := "." + base + ".quarantine.tmp."
	var errs []error
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok || e.IsDir() {
			continue
		}
		pidText, _, _ := strings.Cut(rest, ".")
		if pid, err := strconv.Atoi(pidText); err != nil || pid == os.Getpid() || pidAlive(pid) {
			continue
		}
		q := &Quarantined{Path: path, Name: filepath.Join(filepath.Clean(dir), e.Name())}
		err := renameNoReplace(q.Name, path)
		if errors.Is(err, fs.ErrExist) {
			left, _ := os.ReadFile(q.Name)
			cur, _ := os.ReadFile(path)
			if bytes.Equal(left, cur) {
				err = os.Remove(q.Name)
			} else {
				err = fmt.Errorf("%s holds an earlier version of %s that an interrupted mcpmend moved aside; it was kept", q.Name, path)
			}
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
