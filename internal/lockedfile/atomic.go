package lockedfile

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/mcpmend/mcpmend/internal/crashpoint"
)

// Snapshot is a file as it was read: what a later write compares against to
// notice that someone else changed it in between.
type Snapshot struct {
	Path    string
	Exists  bool
	Data    []byte
	Size    int64
	ModTime time.Time
	Mode    fs.FileMode
}

// Read takes a snapshot of path. A missing file is a snapshot with
// Exists=false, not an error.
func Read(path string) (Snapshot, error) {
	s := Snapshot{Path: path}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return s, fmt.Errorf("read %s: %w", path, err)
	}
	var buf bytes.Buffer
	buf.Grow(int(fi.Size()))
	if _, err := buf.ReadFrom(f); err != nil {
		return s, fmt.Errorf("read %s: %w", path, err)
	}
	s.Exists, s.Data, s.Size, s.ModTime, s.Mode = true, buf.Bytes(), fi.Size(), fi.ModTime(), fi.Mode().Perm()
	return s, nil
}

// Same reports whether two snapshots hold the same file content (existence
// and bytes; a rewrite with identical bytes counts as unchanged, because an
// edit computed from those bytes is still right).
func (s Snapshot) Same(o Snapshot) bool {
	return s.Exists == o.Exists && len(s.Data) == len(o.Data) && bytes.Equal(s.Data, o.Data)
}

// Unchanged re-reads the file and returns a *ChangedError when it no longer
// matches s. The size and mtime are checked first so the common "changed"
// case costs one stat.
func (s Snapshot) Unchanged() error {
	fi, err := os.Stat(s.Path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if s.Exists {
			return &ChangedError{Path: s.Path, What: "it was deleted"}
		}
		return nil
	case err != nil:
		return fmt.Errorf("stat %s: %w", s.Path, err)
	case !s.Exists:
		return &ChangedError{Path: s.Path, What: "it was created"}
	case fi.Size() != s.Size:
		return &ChangedError{Path: s.Path, What: fmt.Sprintf("its size went from %d to %d bytes", s.Size, fi.Size())}
	}
	now, err := Read(s.Path)
	if err != nil {
		return err
	}
	if !s.Same(now) {
		return &ChangedError{Path: s.Path, What: "its content changed"}
	}
	return nil
}

// ChangedError reports a file that changed between the read a change was
// planned from and the moment it would be written. Nothing was written.
type ChangedError struct {
	Path string
	What string
}

func (e *ChangedError) Error() string {
	return fmt.Sprintf("%s changed underneath (%s) since it was read; nothing was written — run again to plan from the new content", e.Path, e.What)
}

// WriteOptions tunes WriteFile.
type WriteOptions struct {
	// Perm is the new file's mode. 0 keeps the mode of the file being
	// replaced, or 0600 when there is none.
	Perm fs.FileMode
	// Expect, when set, makes WriteFile refuse with *ChangedError if the file
	// on disk no longer matches this snapshot right before the rename.
	Expect *Snapshot
	// BeforeRename is a last check (e.g. Held.Check); an error aborts and
	// nothing is replaced.
	BeforeRename func() error
	// KeepOwner, when mcpmend runs as root, gives the new file the owner
	// and group of the one it replaces, or of its directory when there is
	// none (unix). Every write into another program's store sets it.
	KeepOwner bool
	// Links says what happens when path is a symlink or has other hard
	// links (see Links); the zero value refuses both.
	Links Links
}

// WriteFile replaces path atomically: it writes `<name>.tmp.<pid>.<hex>` in
// the same directory (Claude Code's own temp naming), fsyncs it, renames it
// over path and fsyncs the directory. Readers see the old file or the new
// one, never a mix; after a crash the file is old or new and at most a temp
// file is left behind (RemoveStaleTemps clears those). On Windows the rename
// is retried for BusyBudget while another program has the file open.
//
// A path that is a symlink or has other hard links is refused, or written
// through under FollowSymlinks (see Links): the temp file then goes beside
// the link's target, which is what is replaced.
func WriteFile(path string, data []byte, opt WriteOptions) error {
	target, err := Resolve(path, opt.Links)
	if err != nil {
		return err
	}
	tmp, err := tempName(target)
	if err != nil {
		return err
	}
	if err := writeTemp(tmp, target, data, opt); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	crashpoint.Hit("atomic-before-rename")
	if err := commitChecks(path, target, opt); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := Rename(tmp, target); err != nil {
		os.Remove(tmp)
		var busy *BusyError
		if errors.As(err, &busy) {
			return err // names the file and the likely holder already
		}
		return fmt.Errorf("replace %s: %w", target, err)
	}
	crashpoint.Hit("atomic-after-rename")
	if err := syncDir(filepath.Dir(target)); err != nil {
		return fmt.Errorf("sync directory of %s: %w", target, err)
	}
	return nil
}

// writeTemp writes the synced temp file that will replace target, with
// target's mode (or opt.Perm) and, under KeepOwner, its owner.
func writeTemp(tmp, target string, data []byte, opt WriteOptions) error {
	perm := opt.Perm
	if perm == 0 {
		perm = 0o600
		if fi, err := os.Stat(target); err == nil {
			perm = fi.Mode().Perm()
		}
	}
	if err := writeSynced(tmp, data, perm); err != nil {
		return err
	}
	if opt.KeepOwner {
		return keepOwner(tmp, target)
	}
	return nil
}

func commitChecks(path, target string, opt WriteOptions) error {
	if now, err := Resolve(path, opt.Links); err != nil {
		return err
	} else if now != target {
		return &ChangedError{Path: path, What: "its symlink now points elsewhere"}
	}
	if opt.Expect != nil {
		if err := opt.Expect.Unchanged(); err != nil {
			return err
		}
	}
	if opt.BeforeRename != nil {
		return opt.BeforeRename()
	}
	return nil
}

func tempName(path string) (string, error) {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("temp name for %s: %w", path, err)
	}
	return path + ".tmp." + strconv.Itoa(os.Getpid()) + "." + hex.EncodeToString(b[:]), nil
}

func writeSynced(name string, data []byte, perm fs.FileMode) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	// The umask may have narrowed perm; a credentials file must end up
	// exactly 0600 and a config file exactly as it was.
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// RemoveStaleTemps deletes temp files `<name>.tmp.<pid>.<hex>` beside path
// that a crashed writer left: only names exactly as WriteFile makes them
// (12 hex digits), whose pid is not running and that are older than a
// minute, so a live writer's temp file is never touched.
func RemoveStaleTemps(path string) (removed []string) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	prefix := base + ".tmp."
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok || !e.Type().IsRegular() {
			continue
		}
		pid, ok := tempPID(rest)
		if !ok || pidAlive(pid) {
			continue
		}
		info, err := e.Info()
		if err != nil || time.Since(info.ModTime()) < time.Minute {
			continue
		}
		p := filepath.Join(dir, e.Name())
		if os.Remove(p) == nil {
			removed = append(removed, p)
		}
	}
	return removed
}

// tempPID reads "<pid>.<12 hex>", the tail of a WriteFile temp name.
func tempPID(rest string) (int, bool) {
	pidText, hexText, ok := strings.Cut(rest, ".")
	if !ok || len(hexText) != 12 || strings.Trim(hexText, "0123456789abcdef") != "" {
		return 0, false
	}
	pid, err := strconv.Atoi(pidText)
	return pid, err == nil && pid > 0
}

// ProcessAlive reports whether a process with this pid is running (on
// systems where that cannot be told, it says yes: nothing of a process that
// may be live is ever removed).
func ProcessAlive(pid int) bool { return pidAlive(pid) }
