package cache

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mcpmend/mcpmend/cache/internal/storetest"
	"github.com/mcpmend/mcpmend/cache/journal"
	"github.com/mcpmend/mcpmend/internal/lockedfile"
	"github.com/mcpmend/mcpmend/internal/testfs"
	"github.com/mcpmend/mcpmend/registry"
)

// lockedWrite is a stand-in for the Claude Desktop LevelDB mutation with the
// same shape: it may only write while no other process holds a lock (here a
// real lock held by a real helper process), backs up the whole file, and
// restores it on undo.
type lockedWrite struct {
	File    string `json:"file"`
	Lock    string `json:"lock"`
	Content string `json:"content"`
}

func init() {
	journal.Register("test-locked-write", func(spec json.RawMessage) (journal.Mutation, error) {
		var m lockedWrite
		return &m, json.Unmarshal(spec, &m)
	})
	journal.RegisterScope("test/locked", func(registry.Env, journal.ServerRef, journal.Mutation) error { return nil })
}

func (m *lockedWrite) Store() string                  { return "test/locked" }
func (m *lockedWrite) Kind() string                   { return "test-locked-write" }
func (m *lockedWrite) Spec() (json.RawMessage, error) { return json.Marshal(m) }
func (m *lockedWrite) Describe() []journal.Change {
	return []journal.Change{{Store: m.Store(), File: m.File, Key: "*", Action: "replace"}}
}
func (m *lockedWrite) Verify(context.Context, string) (bool, error) {
	b, err := os.ReadFile(m.File)
	return string(b) == m.Content, err
}

func (m *lockedWrite) take() (*lockedfile.Held, error) {
	return lockedfile.DirLock{Path: m.Lock, Stale: time.Hour, Wait: time.Millisecond, OwnerFile: true, Owner: "the test app"}.Acquire(context.Background())
}

func (m *lockedWrite) Blocked(context.Context) (string, bool) {
	h, err := m.take()
	if err != nil {
		return "quit the test app first: " + err.Error(), true
	}
	h.Release()
	return "", false
}

func (m *lockedWrite) Backup(_ context.Context, dir string) error {
	_, err := lockedfile.BackupFile(m.File, dir, "file")
	return err
}

func (m *lockedWrite) Apply(context.Context, string) error {
	h, err := m.take()
	if err != nil {
		return &journal.BlockedError{Reason: err.Error()}
	}
	defer h.Release()
	return lockedfile.WriteFile(m.File, []byte(m.Content), lockedfile.WriteOptions{})
}

func (m *lockedWrite) Restore(_ context.Context, dir string) error {
	b, err := os.ReadFile(filepath.Join(dir, "file"))
	if err != nil {
		return err
	}
	return lockedfile.WriteFile(m.File, b, lockedfile.WriteOptions{})
}

func beginLocked(t *testing.T, home string, maxWait time.Duration) (*lockedWrite, *journal.Entry) {
	t.Helper()
	m := &lockedWrite{File: filepath.Join(home, "store.db"), Lock: filepath.Join(home, "app.lock"), Content: "new"}
	testfs.WriteFile(t, m.File, "old")
	j := journal.Open(storetest.Env(home), nil)
	e, err := j.Begin(journal.ServerRef{Name: "srv", Client: "claude-desktop"}, []journal.Mutation{m}, journal.BeginOptions{MaxWait: maxWait})
	if err != nil {
		t.Fatal(err)
	}
	if e, err = j.Apply(context.Background(), e.ID); err != nil {
		t.Fatal(err)
	}
	return m, e
}

func TestLockedStoreWaitsAndResumeAppliesItLater(t *testing.T) {
	home := t.TempDir()
	pid, release := holdLock(t, home, filepath.Join(home, "app.lock"), true)
	m, e := beginLocked(t, home, time.Hour)
	if e.Steps[0].Status != journal.StatusWaiting || !strings.Contains(e.Steps[0].Reason, "pid "+strconv.Itoa(pid)) {
		t.Fatalf("step while the app runs: %+v", e.Steps[0])
	}
	if readString(t, m.File) != "old" {
		t.Fatal("wrote while the app held its lock")
	}
	rep, _ := journal.ResumePending(context.Background(), storetest.Env(home), nil)
	if rep.Waiting != 1 || readString(t, m.File) != "old" {
		t.Fatalf("resume while still locked: %+v", rep)
	}
	release()
	rep, _ = journal.ResumePending(context.Background(), storetest.Env(home), nil)
	if rep.Waiting != 0 || readString(t, m.File) != "new" || onlyEntry(t, storetest.Env(home)).Steps[0].Status != journal.StatusApplied {
		t.Fatalf("resume after the app quit: %+v", rep)
	}
}

func TestWaitingStepIsGivenUpAfterMaxWait(t *testing.T) {
	home := t.TempDir()
	holdLock(t, home, filepath.Join(home, "app.lock"), true)
	m, e := beginLocked(t, home, time.Nanosecond)
	if e.Steps[0].Status != journal.StatusFailed || !strings.Contains(e.Steps[0].Reason, "gave up") {
		t.Fatalf("step: %+v", e.Steps[0])
	}
	if readString(t, m.File) != "old" {
		t.Fatal("a given-up step changed the store")
	}
}

func TestUndoCancelsAWaitingStep(t *testing.T) {
	home := t.TempDir()
	holdLock(t, home, filepath.Join(home, "app.lock"), true)
	_, e := beginLocked(t, home, time.Hour)
	e, err := journal.Open(storetest.Env(home), nil).Undo(context.Background(), e.ID)
	if err != nil || e.Steps[0].Status != journal.StatusUndone || !strings.Contains(e.Steps[0].Reason, "cancelled") {
		t.Fatalf("undo of a waiting step: %v %+v", err, e.Steps[0])
	}
}

// TestDetachedWorkerSurvivesItsParent: a process spawns the apply-pending
// worker and exits at once; the worker, in its own session, waits for the
// app's lock, applies when the app quits, records it, and exits.
func TestDetachedWorkerSurvivesItsParent(t *testing.T) {
	home := t.TempDir()
	_, release := holdLock(t, home, filepath.Join(home, "app.lock"), true)
	m, _ := beginLocked(t, home, time.Hour)

	spawner := helperCmd(home, "spawner", "WORKER_MAX_WAIT=60s")
	out, err := spawner.Output()
	if err != nil {
		t.Fatalf("spawner: %v %s", err, out)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatalf("spawner printed %q", out)
	}
	t.Cleanup(func() {
		if p, err := os.FindProcess(pid); err == nil {
			p.Kill()
		}
	})
	// The spawner has exited; the worker runs on, detached.
	waitFor(t, 10*time.Second, "the worker to take its lock", func() bool { ok, wpid := journal.WorkerRunning(storetest.Env(home)); return ok && wpid == pid })
	assertOwnSession(t, pid)
	if readString(t, m.File) != "old" {
		t.Fatal("the worker wrote while the app held its lock")
	}
	// A second worker refuses while the first runs.
	if _, err := journal.RunPending(context.Background(), storetest.Env(home), journal.PendingOptions{OnlyOnce: true}); !errors.Is(err, journal.ErrWorkerRunning) {
		t.Fatalf("second worker: %v", err)
	}
	if again, _ := journal.SpawnWorker(storetest.Env(home), journal.WorkerCommand{Path: "/nonexistent"}); again != pid {
		t.Fatalf("SpawnWorker while one runs returned %d, want the running worker %d", again, pid)
	}

	release() // the app quits
	waitFor(t, 20*time.Second, "the worker to apply and exit", func() bool {
		ok, _ := journal.WorkerRunning(storetest.Env(home))
		return !ok && readString(t, m.File) == "new"
	})
	if st := onlyEntry(t, storetest.Env(home)).Steps[0]; st.Status != journal.StatusApplied {
		t.Fatalf("recorded outcome: %+v", st)
	}
	log := readString(t, filepath.Join(storetest.Env(home).StateHome(), "apply-pending.log"))
	if !strings.Contains(log, "worker done, waiting: 0") {
		t.Fatalf("worker log: %s", log)
	}
}

func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
