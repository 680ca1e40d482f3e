package lockedfile

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpmend/mcpmend/internal/crashpoint"
)

// The test binary re-executes itself as a helper process when
// LOCKEDFILE_HELPER names a mode: real processes contend for real locks.
func TestMain(m *testing.M) {
	switch os.Getenv("LOCKEDFILE_HELPER") {
	case "":
		os.Exit(m.Run())
	case "hold":
		helperHold()
	case "count":
		helperCount()
	case "write":
		helperWrite()
	}
	os.Exit(0)
}

func helperLock() DirLock {
	stale, _ := time.ParseDuration(os.Getenv("LOCK_STALE"))
	return DirLock{Path: os.Getenv("LOCK_PATH"), Stale: stale, Wait: time.Minute,
		OwnerFile: os.Getenv("LOCK_OWNERFILE") == "1", Owner: "test helper"}
}

// helperHold takes the lock, says "locked", and holds it until stdin closes.
func helperHold() {
	h, err := helperLock().Acquire(context.Background())
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("locked")
	io.Copy(io.Discard, os.Stdin)
	if err := h.Release(); err != nil {
		fmt.Println("release:", err)
		os.Exit(1)
	}
}

// helperCount increments a counter file N times, each under the lock with a
// read-modify-write that would lose updates without it.
func helperCount() {
	n, _ := strconv.Atoi(os.Getenv("COUNT_N"))
	file := os.Getenv("COUNT_FILE")
	for range n {
		h, err := helperLock().Acquire(context.Background())
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		s, err := Read(file)
		if err != nil {
			os.Exit(2)
		}
		v, _ := strconv.Atoi(strings.TrimSpace(string(s.Data)))
		time.Sleep(time.Millisecond)
		if err := WriteFile(file, []byte(strconv.Itoa(v+1)), WriteOptions{Expect: &s, BeforeRename: h.Check}); err != nil {
			fmt.Println("error:", err)
			os.Exit(3)
		}
		if err := h.Release(); err != nil {
			os.Exit(4)
		}
	}
}

// helperWrite replaces WRITE_FILE with WRITE_DATA (crash points apply).
func helperWrite() {
	if err := WriteFile(os.Getenv("WRITE_FILE"), []byte(os.Getenv("WRITE_DATA")), WriteOptions{}); err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
}

func helperCmd(t *testing.T, mode string, env ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), append([]string{"LOCKEDFILE_HELPER=" + mode}, env...)...)
	return cmd
}

// startHolder starts a helper that holds lock until the returned func is
// called; it waits until the helper says it holds it.
func startHolder(t *testing.T, l DirLock) (cmd *exec.Cmd, release func()) {
	t.Helper()
	env := []string{"LOCK_PATH=" + l.Path, "LOCK_STALE=" + l.Stale.String()}
	if l.OwnerFile {
		env = append(env, "LOCK_OWNERFILE=1")
	}
	cmd = helperCmd(t, "hold", env...)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(stdout).ReadString('\n')
	if strings.TrimSpace(line) != "locked" {
		t.Fatalf("helper did not take %s: %q", l.Path, line)
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			stdin.Close()
			if cmd.ProcessState != nil {
				return // the test killed and reaped it
			}
			if err := cmd.Wait(); err != nil {
				t.Errorf("holder: %v", err)
			}
		})
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return cmd, release
}

func TestAcquireReleaseRemovesTheDirectory(t *testing.T) {
	l := DirLock{Path: filepath.Join(t.TempDir(), ".claude.json.lock")}
	h, err := l.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(l.Path); err != nil || !fi.IsDir() {
		t.Fatalf("lock directory missing while held: %v", err)
	}
	if err := h.Release(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(l.Path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("lock directory left after release: %v", err)
	}
}

func TestContentionBetweenProcesses(t *testing.T) {
	l := DirLock{Path: filepath.Join(t.TempDir(), ".claude.json.lock"), Owner: "Claude Code"}
	_, release := startHolder(t, l)

	l.Wait = 300 * time.Millisecond
	_, err := l.Acquire(context.Background())
	var le *LockedError
	if !errors.As(err, &le) {
		t.Fatalf("Acquire while another process holds it: %v, want *LockedError", err)
	}
	for _, want := range []string{l.Path, "Claude Code", "nothing was changed"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if _, err := os.Stat(l.Path); err != nil {
		t.Fatalf("a refused Acquire removed the holder's lock: %v", err)
	}

	release()
	h, err := l.Acquire(context.Background())
	if err != nil {
		t.Fatalf("Acquire after the holder released: %v", err)
	}
	h.Release()
}

func TestLockExcludesAcrossProcesses(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "counter")
	os.WriteFile(file, []byte("0"), 0o600)
	const procs, each = 4, 25
	var wg sync.WaitGroup
	for range procs {
		wg.Go(func() {
			cmd := helperCmd(t, "count", "LOCK_PATH="+file+".lock", "COUNT_FILE="+file, "COUNT_N="+strconv.Itoa(each))
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("counter helper: %v %s", err, out)
			}
		})
	}
	wg.Wait()
	got, _ := os.ReadFile(file)
	if string(got) != strconv.Itoa(procs*each) {
		t.Fatalf("counter = %s after %d locked increments: updates were lost", got, procs*each)
	}
}

func TestStaleLockIsTakenOver(t *testing.T) {
	l := DirLock{Path: filepath.Join(t.TempDir(), ".storage-write.lock"), Stale: 15 * time.Second, Wait: 200 * time.Millisecond}
	if err := os.Mkdir(l.Path, 0o777); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-16 * time.Second)
	os.Chtimes(l.Path, old, old)
	h, err := l.Acquire(context.Background())
	if err != nil {
		t.Fatalf("a lock untouched for 16s (stale 15s) was not taken over: %v", err)
	}
	if fi, _ := os.Stat(l.Path); time.Since(fi.ModTime()) > 5*time.Second {
		t.Errorf("taken-over lock keeps the old mtime %v", fi.ModTime())
	}
	h.Release()
}

func TestFreshLockIsNeverBroken(t *testing.T) {
	for _, age := range []time.Duration{0, 9 * time.Second} {
		l := DirLock{Path: filepath.Join(t.TempDir(), "x.lock"), Wait: 200 * time.Millisecond}
		os.Mkdir(l.Path, 0o777)
		at := time.Now().Add(-age)
		os.Chtimes(l.Path, at, at)
		fi0, _ := os.Stat(l.Path)
		if _, err := l.Acquire(context.Background()); err == nil {
			t.Fatalf("took a lock refreshed %s ago (stale after 10s)", age)
		}
		fi, err := os.Stat(l.Path)
		if err != nil || !fi.ModTime().Equal(fi0.ModTime()) {
			t.Fatalf("a fresh lock was disturbed: %v %v", err, fi)
		}
	}
}

func TestHolderRefreshesSoItNeverGoesStale(t *testing.T) {
	if testing.Short() {
		t.Skip("holds a lock for several seconds")
	}
	l := DirLock{Path: filepath.Join(t.TempDir(), "x.lock"), Stale: 2 * time.Second}
	_, release := startHolder(t, l)
	defer release()
	time.Sleep(3 * time.Second) // longer than the stale time
	l.Wait = time.Second
	if h, err := l.Acquire(context.Background()); err == nil {
		h.Release()
		t.Fatal("took over a lock whose live holder refreshes it")
	}
}

func TestLostLockIsNoticedAndLeftAlone(t *testing.T) {
	l := DirLock{Path: filepath.Join(t.TempDir(), "x.lock")}
	h, err := l.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// Another process judged us stale and re-created the lock.
	os.Remove(l.Path)
	os.Mkdir(l.Path, 0o777)
	other := time.Now().Add(time.Hour)
	os.Chtimes(l.Path, other, other)
	var ce *CompromisedError
	if err := h.Check(); !errors.As(err, &ce) {
		t.Fatalf("Check after a takeover: %v", err)
	}
	if err := h.Release(); err == nil {
		t.Fatal("Release of a lost lock reported success")
	}
	if _, err := os.Stat(l.Path); err != nil {
		t.Fatal("Release removed the new holder's lock")
	}
}

func TestOwnerFileNamesTheHolderAndDeadHoldersAreTakenOver(t *testing.T) {
	l := DirLock{Path: filepath.Join(t.TempDir(), "apply-pending.lock"), Stale: time.Hour, OwnerFile: true, Wait: 200 * time.Millisecond}
	cmd, _ := startHolder(t, l)
	_, err := l.Acquire(context.Background())
	var le *LockedError
	if !errors.As(err, &le) || le.PID != cmd.Process.Pid {
		t.Fatalf("Acquire while held: %v (pid %d), want holder pid %d", err, le.PID, cmd.Process.Pid)
	}
	if !strings.Contains(err.Error(), "pid "+strconv.Itoa(cmd.Process.Pid)) {
		t.Errorf("error does not name the holder's pid: %v", err)
	}
	cmd.Process.Kill() // SIGKILL: no release
	cmd.Wait()
	h, err := l.Acquire(context.Background())
	if err != nil {
		t.Fatalf("a lock whose holder died was not taken over (stale is an hour): %v", err)
	}
	h.Release()
}

func TestWriteFileModes(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name     string
		existing os.FileMode // 0: no file
		perm     os.FileMode
		want     os.FileMode
	}{
		{"keeps an existing mode", 0o644, 0, 0o644},
		{"forces 0600 for credentials", 0o644, 0o600, 0o600},
		{"new file defaults to 0600", 0, 0, 0o600},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, fmt.Sprintf("f%d.json", i))
			if tt.existing != 0 {
				os.WriteFile(p, []byte("{}"), tt.existing)
				os.Chmod(p, tt.existing)
			}
			if err := WriteFile(p, []byte(`{"a":1}`), WriteOptions{Perm: tt.perm}); err != nil {
				t.Fatal(err)
			}
			fi, _ := os.Stat(p)
			if hasModes && fi.Mode().Perm() != tt.want {
				t.Errorf("mode %v, want %v", fi.Mode().Perm(), tt.want)
			}
			assertNoTemps(t, p)
		})
	}
}

func assertNoTemps(t *testing.T, path string) {
	t.Helper()
	m, _ := filepath.Glob(path + ".tmp.*")
	if len(m) > 0 {
		t.Errorf("temp files left: %v", m)
	}
}

func TestWriteFileRefusesWhenChangedUnderneath(t *testing.T) {
	p := filepath.Join(t.TempDir(), ".credentials.json")
	os.WriteFile(p, []byte(`{"a":1}`), 0o600)
	snap, _ := Read(p)
	for _, change := range []func(){
		func() { os.WriteFile(p, []byte(`{"a":2}`), 0o600) },       // same size, new content
		func() { os.WriteFile(p, []byte(`{"a":1,"b":2}`), 0o600) }, // new size
		func() { os.Remove(p) },
	} {
		os.WriteFile(p, []byte(`{"a":1}`), 0o600)
		change()
		before, _ := Read(p)
		err := WriteFile(p, []byte(`{}`), WriteOptions{Expect: &snap})
		var ce *ChangedError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), p) {
			t.Fatalf("write over a changed file: %v", err)
		}
		after, _ := Read(p)
		if !before.Same(after) {
			t.Fatalf("refused write still changed the file: %q -> %q", before.Data, after.Data)
		}
		assertNoTemps(t, p)
	}
	// Rewritten with identical bytes is not a change.
	os.WriteFile(p, []byte(`{"a":1}`), 0o600)
	if err := WriteFile(p, []byte(`{}`), WriteOptions{Expect: &snap}); err != nil {
		t.Fatalf("identical content refused: %v", err)
	}
}

// TestWriteFileCrashLeavesOldOrNew kills a writer with SIGKILL right before
// and right after the rename: the file is always entirely old or entirely
// new, and the temp file a crash leaves is cleared by RemoveStaleTemps.
func TestWriteFileCrashLeavesOldOrNew(t *testing.T) {
	old, new := `{"old":true}`, `{"new":true,"pad":"`+strings.Repeat("x", 1<<16)+`"}`
	for _, tc := range []struct{ point, want string }{
		{"atomic-before-rename", old},
		{"atomic-after-rename", new},
	} {
		for run := range 5 {
			p := filepath.Join(t.TempDir(), "f.json")
			os.WriteFile(p, []byte(old), 0o600)
			cmd := helperCmd(t, "write", "WRITE_FILE="+p, "WRITE_DATA="+new, crashpoint.EnvVar+"="+tc.point)
			err := cmd.Run()
			if !crashpoint.Killed(err) {
				t.Fatalf("%s run %d: helper was not killed: %v", tc.point, run, err)
			}
			got, _ := os.ReadFile(p)
			if string(got) != tc.want {
				t.Fatalf("%s run %d: file is %.40q…, want %.40q…", tc.point, run, got, tc.want)
			}
			temps, _ := filepath.Glob(p + ".tmp.*")
			for _, tmp := range temps {
				past := time.Now().Add(-2 * time.Minute)
				os.Chtimes(tmp, past, past)
			}
			if removed := RemoveStaleTemps(p); len(removed) != len(temps) {
				t.Fatalf("RemoveStaleTemps removed %v, want %v", removed, temps)
			}
		}
	}
}

func TestRemoveStaleTempsSparesLiveWriters(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f.json")
	live := fmt.Sprintf("%s.tmp.%d.abcdef", p, os.Getpid())
	os.WriteFile(live, nil, 0o600)
	past := time.Now().Add(-time.Hour)
	os.Chtimes(live, past, past)
	if removed := RemoveStaleTemps(p); len(removed) != 0 {
		t.Fatalf("removed a live writer's temp file: %v", removed)
	}
}

// TestRemoveStaleTempsOnlyOursOfDeadProcesses: a temp file named as
// WriteFile names it by a process that has exited goes; the same shape by a
// live process, and another writer's naming (a decimal timestamp instead of
// 12 hex digits) even of an exited process, stay.
func TestRemoveStaleTempsOnlyOursOfDeadProcesses(t *testing.T) {
	exited := exec.Command(os.Args[0], "-test.run=^$")
	if err := exited.Run(); err != nil {
		t.Fatal(err)
	}
	dead := exited.Process.Pid
	p := filepath.Join(t.TempDir(), ".credentials.json")
	mk := func(name string) string {
		q := filepath.Join(filepath.Dir(p), name)
		os.WriteFile(q, []byte(`{"claudeAiOauth":{"accessToken":"CANARY"}}`), 0o600)
		past := time.Now().Add(-time.Hour)
		os.Chtimes(q, past, past)
		return q
	}
	ours := mk(fmt.Sprintf(".credentials.json.tmp.%d.0123456789ab", dead))
	live := mk(fmt.Sprintf(".credentials.json.tmp.%d.0123456789ab", os.Getpid()))
	foreign := mk(fmt.Sprintf(".credentials.json.tmp.%d.1796000000000", dead))
	other := mk(fmt.Sprintf("settings.json.tmp.%d.0123456789ab", dead))
	if removed := RemoveStaleTemps(p); len(removed) != 1 || removed[0] != ours {
		t.Fatalf("removed %v, want only %s", removed, ours)
	}
	for _, keep := range []string{live, foreign, other} {
		if _, err := os.Stat(keep); err != nil {
			t.Errorf("%s was removed: %v", keep, err)
		}
	}
}

// BenchmarkWriteFileAtomic and BenchmarkWriteFilePlain compare the atomic,
// fsynced replace with a plain os.WriteFile of the same 64 KiB: the price
// of never leaving a torn file.
func BenchmarkWriteFileAtomic(b *testing.B) {
	p := filepath.Join(b.TempDir(), "f.json")
	data := []byte(strings.Repeat("x", 64<<10))
	for b.Loop() {
		if err := WriteFile(p, data, WriteOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriteFilePlain(b *testing.B) {
	p := filepath.Join(b.TempDir(), "f.json")
	data := []byte(strings.Repeat("x", 64<<10))
	for b.Loop() {
		if err := os.WriteFile(p, data, 0o600); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLockAcquireRelease is one uncontended mkdir lock round trip.
func BenchmarkLockAcquireRelease(b *testing.B) {
	l := DirLock{Path: filepath.Join(b.TempDir(), "x.lock")}
	for b.Loop() {
		h, err := l.Acquire(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		h.Release()
	}
}

// TestAcquireCreatesAMissingParent: Claude Code creates its secure-storage
// directory before locking in it; a first reset on a fresh profile does too.
func TestAcquireCreatesAMissingParent(t *testing.T) {
	l := DirLock{Path: filepath.Join(t.TempDir(), "fresh", ".claude", ".storage-write.lock")}
	h, err := l.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	h.Release()
	if fi, err := os.Stat(filepath.Dir(l.Path)); err != nil || hasModes && fi.Mode().Perm() != 0o700 {
		t.Fatalf("parent: %v %v", fi, err)
	}
}

// TestOwnerlessLockDirIsStaleAtOnce: a creator killed between its mkdir and
// its owner file leaves a bare directory; with an hour's stale time it is
// still taken over as soon as the grace has passed — and not before, so a
// live creator is never robbed.
func TestOwnerlessLockDirIsStaleAtOnce(t *testing.T) {
	l := DirLock{Path: filepath.Join(t.TempDir(), "own.lock"), Stale: time.Hour, OwnerFile: true, Wait: 50 * time.Millisecond}
	cmd := helperCmd(t, "hold", "LOCK_PATH="+l.Path, "LOCK_STALE=1h", "LOCK_OWNERFILE=1", crashpoint.EnvVar+"=lock-before-owner")
	if err := cmd.Run(); !crashpoint.Killed(err) {
		t.Fatalf("helper was not killed at lock-before-owner: %v", err)
	}
	if entries, err := os.ReadDir(l.Path); err != nil || len(entries) != 0 {
		t.Fatalf("want the bare directory a killed creator leaves: %v %v", entries, err)
	}
	var le *LockedError
	if _, err := l.Acquire(context.Background()); !errors.As(err, &le) {
		t.Fatalf("a fresh owner-less directory was taken over within the grace: %v", err)
	}
	old := time.Now().Add(-ownerGrace - time.Second)
	os.Chtimes(l.Path, old, old)
	h, err := l.Acquire(context.Background())
	if err != nil {
		t.Fatalf("an owner-less directory past the grace was not taken over: %v", err)
	}
	if _, ok := l.readOwner(); !ok {
		t.Error("the new holder recorded no owner")
	}
	h.Release()
	// A leftover half-written owner temp file does not pin the directory.
	os.Mkdir(l.Path, 0o777)
	os.WriteFile(filepath.Join(l.Path, ownerName+".tmp.1.abc"), []byte(`{"pi`), 0o600)
	os.Chtimes(l.Path, old, old)
	if h, err = l.Acquire(context.Background()); err != nil {
		t.Fatalf("a directory holding only a torn owner temp file was not taken over: %v", err)
	}
	h.Release()
	if _, err := os.Stat(l.Path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("release left the directory: %v", err)
	}
}

// TestForeignLockDirKeepsItsStaleTime: another program's lock (Claude
// Code's, proper-lockfile) never has an owner file; an empty directory is
// its normal state and is respected for the whole stale time.
func TestForeignLockDirKeepsItsStaleTime(t *testing.T) {
	l := DirLock{Path: filepath.Join(t.TempDir(), ".storage-write.lock"), Stale: 15 * time.Second, Wait: 50 * time.Millisecond}
	os.Mkdir(l.Path, 0o777)
	old := time.Now().Add(-ownerGrace - time.Second)
	os.Chtimes(l.Path, old, old)
	var le *LockedError
	if _, err := l.Acquire(context.Background()); !errors.As(err, &le) {
		t.Fatalf("Claude Code's fresh lock was taken over: %v", err)
	}
}
