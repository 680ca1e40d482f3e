//go:build unix

package desktop

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpmend/mcpmend/cache/store"
	"github.com/mcpmend/mcpmend/internal/localstorage"
	"github.com/mcpmend/mcpmend/registry"
	"golang.org/x/sys/unix"
)

// lockHelperEnv makes the test binary act as a lock holder: it takes the
// fcntl write lock on $MCPMEND_LOCK_HELPER/LOCK exactly as Chromium does
// (classic F_SETLK, whole file), says "locked" and holds it until stdin
// closes.
const lockHelperEnv = "MCPMEND_LOCK_HELPER"

func TestLockHolderHelper(t *testing.T) {
	dir := os.Getenv(lockHelperEnv)
	if dir == "" {
		t.Skip("helper process for the locked-database tests")
	}
	f, err := os.OpenFile(filepath.Join(dir, "LOCK"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	lk := unix.Flock_t{Type: unix.F_WRLCK, Whence: io.SeekStart}
	if err := unix.FcntlFlock(f.Fd(), unix.F_SETLK, &lk); err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("locked")
	io.Copy(io.Discard, os.Stdin)
	os.Exit(0)
}

// holdChromiumLock starts a helper process holding dir's lock and returns its PID
// and a function that makes it exit.
func holdChromiumLock(t *testing.T, dir string) (pid int, release func()) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockHolderHelper$")
	cmd.Env = append(os.Environ(), lockHelperEnv+"="+dir)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(stdout).ReadString('\n')
	if strings.TrimSpace(line) != "locked" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("lock helper said %q", line)
	}
	done := false
	release = func() {
		if !done {
			done = true
			stdin.Close()
			cmd.Wait()
		}
	}
	t.Cleanup(release)
	return cmd.Process.Pid, release
}

func TestLockedDatabaseIsReadThroughACopy(t *testing.T) {
	dir := copyFixture(t, fixtureDir)
	if held, _, err := localstorage.ProbeLock(dir); held || err != nil {
		t.Fatalf("no LOCK file: held=%v err=%v", held, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "LOCK")); !os.IsNotExist(err) {
		t.Fatal("ProbeLock created LOCK")
	}
	pid, release := holdChromiumLock(t, dir)

	held, got, err := localstorage.ProbeLock(dir)
	if err != nil || !held || got != pid {
		t.Fatalf("ProbeLock = %v %d %v, want held by %d", held, got, err, pid)
	}
	// The probe never takes the lock, so probing repeatedly cannot steal or
	// drop it: the holder still holds it afterwards.
	for range 3 {
		localstorage.ProbeLock(dir)
	}
	if held, _, _ := localstorage.ProbeLock(dir); !held {
		t.Fatal("lock lost after probing")
	}

	s := Store{Dirs: []string{dir}, Others: []string{"github-tools"}}
	scans, err := s.ScanName(context.Background(), registry.Env{}, "github")
	if err != nil || len(scans) != 1 {
		t.Fatalf("scan of a locked database: %v %v", scans, err)
	}
	if sc := scans[0]; !sc.Lock.Held || sc.Lock.PID != pid || len(sc.Matches) != len(wantGithub)+1 {
		t.Fatalf("scan: lock %+v, %d matches", sc.Lock, len(sc.Matches))
	}
	recs, err := s.InspectName(context.Background(), registry.Env{}, "github")
	if err != nil || len(recs) == 0 {
		t.Fatal(recs, err)
	}
	for _, r := range recs {
		if !strings.Contains(r.Detail, fmt.Sprintf("Claude Desktop has the database open (pid %d): read from a copy", pid)) {
			t.Fatalf("detail does not name the owner: %s", r.Detail)
		}
	}

	// An edit must not start while it is held.
	var le *localstorage.LockedError
	if l, err := localstorage.TakeLock(dir); !errors.As(err, &le) || le.PID != pid {
		l.Release()
		t.Fatalf("LockLocalStorage while held = %v, want LockedError pid %d", err, pid)
	}

	release()
	if held, _, err := localstorage.ProbeLock(dir); held || err != nil {
		t.Fatalf("after the holder exits: held=%v err=%v", held, err)
	}
	l, err := localstorage.TakeLock(dir)
	if err != nil {
		t.Fatal(err)
	}
	// The edit's lock is an OFD lock on Linux: Chromium's F_SETLK conflicts
	// with it, and so does this process's own classic probe.
	if held, _, _ := localstorage.ProbeLock(dir); !held {
		t.Error("ProbeLock does not see LockLocalStorage's lock")
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if held, _, _ := localstorage.ProbeLock(dir); held {
		t.Error("lock still held after Release")
	}
}

// TestLockedDamagedDatabaseIsRetried: while the app holds the lock a failed
// read may be a torn copy, so it is retried; a database that stays broken is
// still reported damaged, saying it was read while in use.
func TestLockedDamagedDatabaseIsRetried(t *testing.T) {
	dir := copyFixture(t, fixtureDir)
	corruptTable(t, dir)
	holdChromiumLock(t, dir)
	_, err := Scan(context.Background(), dir, NewNameMatcher("github", nil))
	var dmg *store.DamagedError
	if !errors.As(err, &dmg) || !strings.Contains(dmg.Reason, fmt.Sprintf("in %d copies", localstorage.ReadAttempts)) {
		t.Fatalf("got %v", err)
	}
}
