//go:build unix

package integration

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestStoppedResetKeepsItsLock: a reset stopped (SIGSTOP: a laptop asleep,
// a debugger) for longer than the 30 s after which the old directory lock
// was taken over keeps its journal-entry lock. Meanwhile another mcpmend
// neither resumes nor undoes the entry and changes no store; once resumed,
// the reset finishes and its journal is the one on disk.
func TestStoppedResetKeepsItsLock(t *testing.T) {
	if testing.Short() {
		t.Skip("waits 32 s")
	}
	sc := newCancelScene(t)
	release := sc.holdStorageLock(t)
	cmd := exec.Command(binary, "reset", "srv")
	cmd.Env = homeEnv(sc.home)
	var stdout, stderr lockedBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Signal(syscall.SIGCONT); cmd.Process.Kill() })
	waitForEntry(t, sc.home)
	time.Sleep(300 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	time.Sleep(32 * time.Second)
	id := onlyEntry(t, sc.home)
	if _, stderr, code := runCLI(t, sc.home, "apply-pending", "--once"); code != 0 {
		t.Fatalf("apply-pending: %d %s", code, stderr)
	}
	if out, stderr, code := runCLI(t, sc.home, "undo", id); code == 0 || !strings.Contains(out+stderr, "another mcpmend") {
		t.Errorf("undo of an entry a stopped reset holds: exit %d, %s%s", code, out, stderr)
	}
	sc.assertUntouched(t, "while the reset was stopped")
	release()
	cmd.Process.Signal(syscall.SIGCONT)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("reset after SIGCONT: %v\n%s\n%s", err, stdout.String(), stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the resumed reset did not finish")
	}
	if b, _ := os.ReadFile(sc.needs); string(b) != "{}" {
		t.Errorf("needs-auth cache after the reset: %s", b)
	}
	b, err := os.ReadFile(filepath.Join(sc.home, ".local", "state", "mcpmend", "journal", id, "entry.json"))
	if err != nil {
		t.Fatal(err)
	}
	var e struct {
		Steps []struct{ Status, Backup string }
	}
	json.Unmarshal(b, &e)
	for _, s := range e.Steps {
		if s.Status != "applied" {
			t.Errorf("step %+v after the resumed reset\n%s", s, stdout.String())
		}
		if _, err := os.Stat(filepath.Join(sc.home, ".local", "state", "mcpmend", "journal", id, s.Backup)); err != nil {
			t.Errorf("backup of %+v: %v", s, err)
		}
	}
}

func onlyEntry(t *testing.T, home string) string {
	t.Helper()
	des, _ := os.ReadDir(filepath.Join(home, ".local", "state", "mcpmend", "journal"))
	if len(des) != 1 {
		t.Fatalf("%d journal entries", len(des))
	}
	return des[0].Name()
}
