package privtemp

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

const prefix = "mcpmend-localstorage-"

func TestMkdirIsPrivateAndRemoveLeavesNothing(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir()) // os.TempDir on Unix
	t.Setenv("TMP", os.Getenv("TMPDIR"))
	dir, err := Mkdir(prefix)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(filepath.Base(dir), prefix) {
		t.Errorf("name %s lacks the prefix", dir)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o700 {
		t.Errorf("mode %v, want 0700: the copy holds tokens", fi.Mode().Perm())
	}
	os.MkdirAll(filepath.Join(dir, "sub"), 0o700)
	os.WriteFile(filepath.Join(dir, "000005.ldb"), []byte("CANARY-token"), 0o600)
	os.WriteFile(filepath.Join(dir, "sub", "x"), []byte("x"), 0o600)
	if err := Remove(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%s still there: %v", dir, err)
	}
	if err := Remove(dir); err != nil {
		t.Errorf("removing what is gone: %v", err)
	}
}

func TestRemoveNamesWhatItCouldNotRemove(t *testing.T) {
	if runtime.GOOS == "windows" || os.Getuid() == 0 {
		t.Skip("needs a Unix user that directory permissions bind")
	}
	parent := t.TempDir()
	dir := filepath.Join(parent, prefix+"1")
	os.MkdirAll(dir, 0o700)
	os.WriteFile(filepath.Join(dir, "f"), []byte("x"), 0o600)
	os.Chmod(dir, 0o500) // entries cannot be unlinked
	defer os.Chmod(dir, 0o700)
	err := Remove(dir)
	if err == nil || !strings.Contains(err.Error(), dir) {
		t.Fatalf("err = %v, want one naming %s", err, dir)
	}
}

func TestCleanStaleRemovesOnlyOurOldCopies(t *testing.T) {
	tmp := t.TempDir()
	now := time.Now()
	old := now.Add(-time.Hour)
	mk := func(name string, mtime time.Time) string {
		p := filepath.Join(tmp, name)
		os.MkdirAll(p, 0o700)
		os.WriteFile(filepath.Join(p, "000005.ldb"), []byte("CANARY-token"), 0o600)
		os.Chtimes(p, mtime, mtime)
		return p
	}
	stale := mk(prefix+"111", old)
	fresh := mk(prefix+"222", now) // a concurrent run's copy
	other := mk("go-build-333", old)
	file := filepath.Join(tmp, prefix+"file")
	os.WriteFile(file, nil, 0o600)
	os.Chtimes(file, old, old)
	target := mk("elsewhere", old)
	link := filepath.Join(tmp, prefix+"link")
	linked := os.Symlink(target, link) == nil
	var foreign string
	if runtime.GOOS != "windows" && os.Getuid() == 0 {
		foreign = mk(prefix+"other-user", old)
		if err := os.Chown(foreign, 12345, 12345); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(foreign, old, old)
	}

	removed, err := cleanStale(tmp, prefix, StaleAge, now)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(removed, []string{stale}) {
		t.Errorf("removed %v, want only %s", removed, stale)
	}
	for _, keep := range []string{fresh, other, file, target, foreign} {
		if keep == "" {
			continue
		}
		if _, err := os.Lstat(keep); err != nil {
			t.Errorf("%s was removed: %v", keep, err)
		}
	}
	if linked {
		if _, err := os.Lstat(filepath.Join(target, "000005.ldb")); err != nil {
			t.Errorf("a symlink's target was emptied: %v", err)
		}
	}
}

// TestCleanStaleByPid: a copy named by a process that has exited goes once
// it is DeadAge old (long before StaleAge); a copy of a running process
// stays however old it is.
func TestCleanStaleByPid(t *testing.T) {
	tmp := t.TempDir()
	now := time.Now()
	exited := exec.Command(os.Args[0], "-test.run=^$")
	if err := exited.Run(); err != nil {
		t.Fatal(err)
	}
	mk := func(name string, age time.Duration) string {
		p := filepath.Join(tmp, name)
		os.MkdirAll(p, 0o700)
		os.WriteFile(filepath.Join(p, "000005.ldb"), []byte("CANARY-token"), 0o600)
		mt := now.Add(-age)
		os.Chtimes(p, mt, mt)
		return p
	}
	dead := mk(fmt.Sprintf("%s%d-123456", prefix, exited.Process.Pid), 2*DeadAge)
	deadJustNow := mk(fmt.Sprintf("%s%d-654321", prefix, exited.Process.Pid), 0)
	live := mk(fmt.Sprintf("%s%d-777777", prefix, os.Getpid()), 24*time.Hour)

	removed, err := cleanStale(tmp, prefix, StaleAge, now)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(removed, []string{dead}) {
		t.Errorf("removed %v, want only %s", removed, dead)
	}
	for _, keep := range []string{deadJustNow, live} {
		if _, err := os.Lstat(keep); err != nil {
			t.Errorf("%s was removed: %v", keep, err)
		}
	}
}

// TestMkdirNamesItsProcess: the name carries this process's pid, which is
// what lets CleanStale leave a live run's copy alone.
func TestMkdirNamesItsProcess(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	t.Setenv("TMP", os.Getenv("TMPDIR"))
	dir, err := Mkdir(prefix)
	if err != nil {
		t.Fatal(err)
	}
	defer Remove(dir)
	if want := fmt.Sprintf("%s%d-", prefix, os.Getpid()); !strings.HasPrefix(filepath.Base(dir), want) {
		t.Errorf("name %s, want prefix %s", filepath.Base(dir), want)
	}
	if removed, _ := cleanStale(filepath.Dir(dir), prefix, 0, time.Now().Add(time.Hour)); len(removed) != 0 {
		t.Errorf("a live process's copy was removed: %v", removed)
	}
}
