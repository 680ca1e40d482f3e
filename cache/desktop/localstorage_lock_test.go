//go:build unix

package desktop

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpmend/mcpmend/cache/store"
	"github.com/mcpmend/mcpmend/internal/localstorage"
	"github.com/mcpmend/mcpmend/internal/localstorage/lstest"
	"github.com/mcpmend/mcpmend/registry"
)

// TestLockHolderHelper is the process lstest.HoldChromiumLock re-runs this
// test binary as; in a normal run it is skipped.
func TestLockHolderHelper(t *testing.T) { lstest.LockHolderHelper(t, os.Stdin, os.Stdout) }

func TestLockedDatabaseIsReadThroughACopy(t *testing.T) {
	dir := copyFixture(t, fixtureDir)
	if held, _, err := localstorage.ProbeLock(dir); held || err != nil {
		t.Fatalf("no LOCK file: held=%v err=%v", held, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "LOCK")); !os.IsNotExist(err) {
		t.Fatal("ProbeLock created LOCK")
	}
	pid, release := lstest.HoldChromiumLock(t, dir)

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
	lstest.CorruptTable(t, dir)
	lstest.HoldChromiumLock(t, dir)
	_, err := Scan(context.Background(), dir, NewNameMatcher("github", nil))
	var dmg *store.DamagedError
	if !errors.As(err, &dmg) || !strings.Contains(dmg.Reason, fmt.Sprintf("in %d copies", localstorage.ReadAttempts)) {
		t.Fatalf("got %v", err)
	}
}
