// Package privtemp makes the temporary directories that hold copies of other
// programs' secrets — a copy of Claude Desktop's Local Storage carries its
// OAuth tokens — and makes sure they go away: private when made, removal
// checked (with a fallback where os.RemoveAll fails, as it does under Wine),
// and the copies a killed run left behind cleared at the next start.
package privtemp

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/mcpmend/mcpmend/internal/lockedfile"
)

// StaleAge is how old a leftover directory must be before CleanStale removes
// it: far longer than any read takes, so a concurrent run's copy is never
// pulled from under it.
const StaleAge = 10 * time.Minute

// DeadAge is how old a leftover directory of a process that is no longer
// running must be before CleanStale removes it: long enough that a copy
// made by an mcpmend in another pid namespace (a container sharing /tmp)
// that is still reading is left alone.
const DeadAge = time.Minute

// Mkdir makes a new directory in the system temp directory named
// prefix + "<pid>-<random>", readable only by this user (0700; on Windows
// %TEMP% lies in the user's profile, whose ACL already keeps others out).
// The pid lets CleanStale tell a killed run's copy from a live one's.
func Mkdir(prefix string) (string, error) {
	dir, err := os.MkdirTemp("", prefix+strconv.Itoa(os.Getpid())+"-")
	if err != nil {
		return "", err
	}
	// MkdirTemp asks for 0700 but a umask could only narrow it; be explicit
	// so the guarantee does not rest on the standard library's choice.
	if err := os.Chmod(dir, 0o700); err != nil {
		_ = os.Remove(dir)
		return "", err
	}
	return dir, nil
}

// Remove deletes dir and everything in it (lockedfile.RemoveTree, which
// falls back to file-by-file deletes where os.RemoveAll fails, as under
// Wine) and returns an error naming dir when anything is left.
func Remove(dir string) error {
	if err := lockedfile.RemoveTree(dir); err != nil {
		return fmt.Errorf("remove temporary copy %s: %w", dir, err)
	}
	return nil
}

// CleanStale removes the directories in the system temp directory that a
// killed or failed run left: only directories (not symlinks) whose name
// starts with prefix and that belong to this user; of those, a directory
// whose name carries a pid (see Mkdir) goes once that process is no longer
// running (and the directory is DeadAge old) and never while it runs, and
// one named before names carried a pid goes once it is minAge old. It
// returns what it removed and what it could not.
func CleanStale(prefix string, minAge time.Duration) (removed []string, err error) {
	return cleanStale(os.TempDir(), prefix, minAge, time.Now())
}

func cleanStale(tempDir, prefix string, minAge time.Duration, now time.Time) ([]string, error) {
	entries, err := os.ReadDir(tempDir)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", tempDir, err)
	}
	var removed []string
	var errs []error
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), prefix) || !e.IsDir() || e.Type()&fs.ModeSymlink != 0 {
			continue
		}
		p := filepath.Join(tempDir, e.Name())
		fi, err := os.Lstat(p)
		if err != nil || !fi.IsDir() || !stale(strings.TrimPrefix(e.Name(), prefix), now.Sub(fi.ModTime()), minAge) || !ownedByMe(p, fi) {
			continue
		}
		if err := Remove(p); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, p)
	}
	return removed, errors.Join(errs...)
}

// stale decides whether a leftover named prefix+rest, age old, may go.
func stale(rest string, age, minAge time.Duration) bool {
	pidText, _, ok := strings.Cut(rest, "-")
	pid, err := strconv.Atoi(pidText)
	if !ok || err != nil || pid <= 0 {
		return age >= minAge // named before names carried a pid
	}
	return age >= DeadAge && !lockedfile.ProcessAlive(pid)
}
