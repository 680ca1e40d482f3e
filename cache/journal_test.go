package cache

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mcpmend/mcpmend/cache/credentials"
	"github.com/mcpmend/mcpmend/cache/internal/storetest"
	"github.com/mcpmend/mcpmend/cache/journal"
	"github.com/mcpmend/mcpmend/cache/mutation"
	"github.com/mcpmend/mcpmend/cache/store"
	"github.com/mcpmend/mcpmend/internal/crashpoint"
	"github.com/mcpmend/mcpmend/internal/jsonedit"
	"github.com/mcpmend/mcpmend/registry"
)

func resetNow(t *testing.T, home string) *journal.Entry {
	t.Helper()
	env := storetest.Env(home)
	muts, err := planStandard(env)
	if err != nil {
		t.Fatal(err)
	}
	j := journal.Open(env, nil)
	e, err := j.Begin(journal.ServerRef{Name: "srv"}, muts, journal.BeginOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if e, err = j.Apply(context.Background(), e.ID); err != nil {
		t.Fatal(err)
	}
	return e
}

func TestResetApplyAndUndoByteForByte(t *testing.T) {
	home := t.TempDir()
	creds, needs := writeStandard(t, home)
	os.Chmod(creds, 0o644) // Claude Code's own mode is 0600; the reset restores it
	e := resetNow(t, home)
	if got := statuses(e); got != "applied,applied" {
		t.Fatalf("statuses %s: %+v", got, e.Steps)
	}
	if got := readString(t, creds); got != newCreds {
		t.Fatalf("credentials after reset:\n%s\nwant\n%s", got, newCreds)
	}
	if got := readString(t, needs); got != newNeeds {
		t.Fatalf("needs-auth after reset: %s", got)
	}
	if fi, _ := os.Stat(creds); runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("credentials mode %v, want 0600", fi.Mode().Perm())
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(creds), ".storage-write.lock")); !errors.Is(err, os.ErrNotExist) {
		t.Error("the storage lock was left behind")
	}
	// The journal entry names records, never their values.
	entryJSON := readString(t, filepath.Join(e.Dir(), "entry.json"))
	if strings.Contains(entryJSON, "CANARY") {
		t.Fatal("a secret value reached entry.json")
	}
	for _, want := range []string{`mcpOAuth[\"srv|78d8e2894fc42213\"]`, `"status": "applied"`} {
		if !strings.Contains(entryJSON, want) {
			t.Errorf("entry.json lacks %s:\n%s", want, entryJSON)
		}
	}
	// Backups are private.
	filepath.Walk(e.Dir(), func(p string, fi os.FileInfo, _ error) error {
		if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 && !strings.HasSuffix(p, ".storage-write.lock") {
			t.Errorf("%s is readable by others: %v", p, fi.Mode())
		}
		return nil
	})

	e, err := journal.Open(storetest.Env(home), nil).Undo(context.Background(), e.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := statuses(e); got != "undone,undone" {
		t.Fatalf("after undo: %s", got)
	}
	if readString(t, creds) != stdCreds || readString(t, needs) != stdNeeds {
		t.Fatalf("undo is not byte for byte:\n%s\n%s", readString(t, creds), readString(t, needs))
	}
}

func TestUndoKeepsLaterWritesAndPutsRecordsBack(t *testing.T) {
	home := t.TempDir()
	creds, _ := writeStandard(t, home)
	e := resetNow(t, home)
	// Claude Code signs in to a third server after the reset.
	later, _ := jsonedit.SetRaw([]byte(readString(t, creds)), jsonedit.Path{"mcpOAuth", "third|1111111111111111"}, []byte(`{"serverName":"third"}`))
	os.WriteFile(creds, later, 0o600)

	if _, err := journal.Open(storetest.Env(home), nil).Undo(context.Background(), e.ID); err != nil {
		t.Fatal(err)
	}
	got := []byte(readString(t, creds))
	for _, p := range []jsonedit.Path{{"mcpOAuth", "srv|78d8e2894fc42213"}, {"mcpOAuthClientConfig", "srv|78d8e2894fc42213"}, {"mcpOAuth", "other|0123456789abcdef"}, {"claudeAiOauth"}} {
		want, _, _ := jsonedit.Get([]byte(stdCreds), p)
		have, ok, _ := jsonedit.Get(got, p)
		if !ok || string(have) != string(want) {
			t.Errorf("%s after undo = %s, want %s", p, have, want)
		}
	}
	if _, ok, _ := jsonedit.Get(got, jsonedit.Path{"mcpOAuth", "third|1111111111111111"}); !ok {
		t.Error("undo dropped a record written after the reset")
	}
}

func TestUndoRefusesARecreatedRecord(t *testing.T) {
	home := t.TempDir()
	creds, needs := writeStandard(t, home)
	e := resetNow(t, home)
	// Claude Code writes gate A for srv again (a new 401).
	os.WriteFile(needs, []byte(`{"other":{"timestamp":1795710000001,"ttlMs":900000},"srv":{"timestamp":1795719999999}}`), 0o600)
	before := readString(t, needs)
	credsBefore := readString(t, creds)

	e, err := journal.Open(storetest.Env(home), nil).Undo(context.Background(), e.ID)
	var ce *journal.ConflictError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), `["srv"]`) && !strings.Contains(err.Error(), "srv") {
		t.Fatalf("undo over a re-created record: %v", err)
	}
	if readString(t, needs) != before {
		t.Fatal("a refused undo changed the needs-auth cache")
	}
	if readString(t, creds) != stdCreds || credsBefore == stdCreds {
		t.Fatal("the credentials step (no conflict) should still have been undone")
	}
	if got := statuses(e); got != "undone,applied" || !strings.Contains(e.Steps[1].Reason, "undo refused") {
		t.Fatalf("statuses %s, reason %q", got, e.Steps[1].Reason)
	}
}

func TestApplyRefusesARecordChangedSincePlanning(t *testing.T) {
	home := t.TempDir()
	creds, needs := writeStandard(t, home)
	env := storetest.Env(home)
	muts, _ := planStandard(env)
	j := journal.Open(env, nil)
	e, _ := j.Begin(journal.ServerRef{Name: "srv"}, muts, journal.BeginOptions{})
	// Between plan and apply, the user signs in: srv gets a real token.
	changed := strings.Replace(stdCreds, `"accessToken":""`, `"accessToken":"CANARY-new"`, 1)
	os.WriteFile(creds, []byte(changed), 0o600)

	e, err := j.Apply(context.Background(), e.ID)
	if err != nil {
		t.Fatal(err)
	}
	if e.Steps[0].Status != journal.StatusFailed || !strings.Contains(e.Steps[0].Reason, "rewritten since the reset was planned") {
		t.Fatalf("step: %+v", e.Steps[0])
	}
	if readString(t, creds) != changed {
		t.Fatal("the refused step changed the credentials")
	}
	if strings.Contains(e.Steps[0].Reason, "CANARY") {
		t.Fatal("a token reached the reason")
	}
	if e.Steps[1].Status != journal.StatusApplied || readString(t, needs) != newNeeds {
		t.Fatalf("the independent needs-auth step: %+v", e.Steps[1])
	}
}

func TestDamagedStoreIsRefused(t *testing.T) {
	home := t.TempDir()
	creds, _ := writeStandard(t, home)
	env := storetest.Env(home)
	os.WriteFile(creds, []byte(`{"mcpOAuth":`), 0o600)
	_, err := planStandard(env)
	var de *store.DamagedError
	if !errors.As(err, &de) || de.File != creds {
		t.Fatalf("plan on a damaged file: %v", err)
	}
	// Damaged between plan and apply.
	writeStandard(t, home)
	muts, _ := planStandard(env)
	j := journal.Open(env, nil)
	e, _ := j.Begin(journal.ServerRef{Name: "srv"}, muts, journal.BeginOptions{})
	os.WriteFile(creds, []byte(`{"mcpOAuth":`), 0o600)
	e, _ = j.Apply(context.Background(), e.ID)
	if e.Steps[0].Status != journal.StatusFailed || !strings.Contains(e.Steps[0].Reason, "damaged") {
		t.Fatalf("step: %+v", e.Steps[0])
	}
	if readString(t, creds) != `{"mcpOAuth":` {
		t.Fatal("a damaged file was written")
	}
}

// TestStorageLockHeldByAnotherProcess: while another process holds Claude
// Code's .storage-write.lock fresh, the credentials step is refused naming
// the lock, and nothing changes; once released a new reset goes through.
func TestStorageLockHeldByAnotherProcess(t *testing.T) {
	home := t.TempDir()
	creds, _ := writeStandard(t, home)
	lock := credentials.Lock(storetest.Env(home)).Path
	_, release := holdLock(t, home, lock, false)
	cmd := helperCmd(home, "reset", "LOCK_WAIT=500ms")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("reset helper: %v %s", err, out)
	}
	e := onlyEntry(t, storetest.Env(home))
	if e.Steps[0].Status != journal.StatusFailed || !strings.Contains(e.Steps[0].Reason, ".storage-write.lock") ||
		!strings.Contains(e.Steps[0].Reason, "Claude Code") {
		t.Fatalf("step under a held lock: %+v", e.Steps[0])
	}
	if readString(t, creds) != stdCreds {
		t.Fatal("credentials changed while Claude Code held its lock")
	}
	release()
	if e := resetNow(t, home); e.Steps[0].Status != journal.StatusApplied {
		t.Fatalf("after release: %+v", e.Steps[0])
	}
}

func TestStaleStorageLockIsTakenOver(t *testing.T) {
	home := t.TempDir()
	creds, _ := writeStandard(t, home)
	lock := credentials.Lock(storetest.Env(home)).Path
	os.Mkdir(lock, 0o777)
	old := time.Now().Add(-20 * time.Second)
	os.Chtimes(lock, old, old)
	if e := resetNow(t, home); e.Steps[0].Status != journal.StatusApplied || readString(t, creds) != newCreds {
		t.Fatalf("with a 20 s old lock (stale 15 s): %+v", e.Steps[0])
	}
}

// crashPoints are the places a reset can be killed: every atomic write
// (journal saves, backups, store files) before and after its rename, and the
// journal's own steps, for both stores.
func crashPoints(writes int) []string {
	pts := []string{"journal-before-backup:1", "journal-before-backup:2", "journal-after-backup:1", "journal-after-backup:2",
		"json-before-replace:1", "json-before-replace:2", "journal-after-apply:1", "journal-after-apply:2"}
	for i := 1; i <= writes; i++ {
		pts = append(pts, "atomic-before-rename:"+strconv.Itoa(i), "atomic-after-rename:"+strconv.Itoa(i))
	}
	return pts
}

// TestCrashAnywhereLeavesOldOrNewAndResumeFinishes kills a real reset with
// SIGKILL at every crash point: each store file is then entirely old or
// entirely new and parses; ResumePending finishes the reset; undo then
// brings back the original bytes.
func TestCrashAnywhereLeavesOldOrNewAndResumeFinishes(t *testing.T) {
	// A reset makes 13 atomic writes (a backup keeps only the removed
	// records and the hashes: two files a step); the 14th point is never
	// reached and checks that a run that is not killed also ends right.
	pts := crashPoints(14)
	kills := 0
	defer func() {
		if kills != len(pts)-2 {
			t.Errorf("%d of %d crash points were reached, want %d", kills, len(pts), len(pts)-2)
		}
	}()
	for _, pt := range pts {
		t.Run(pt, func(t *testing.T) {
			home := t.TempDir()
			creds, needs := writeStandard(t, home)
			cmd := helperCmd(home, "reset", crashpoint.EnvVar+"="+pt)
			out, err := cmd.CombinedOutput()
			killed := crashpoint.Killed(err)
			if err != nil && !killed {
				t.Fatalf("reset helper: %v %s", err, out)
			}
			if killed {
				kills++
			}
			if c := readString(t, creds); c != stdCreds && c != newCreds {
				t.Fatalf("credentials torn after a crash at %s: %s", pt, c)
			}
			if n := readString(t, needs); n != stdNeeds && n != newNeeds {
				t.Fatalf("needs-auth torn after a crash at %s: %s", pt, n)
			}
			env := storetest.Env(home)
			ageAbandonedLock(t, env)
			if _, err := journal.ResumePending(context.Background(), env, nil); err != nil {
				t.Fatal(err)
			}
			if es, _ := journal.Open(env, nil).List(); len(es) == 0 {
				// Killed before the entry was saved: nothing happened at all.
				if readString(t, creds) != stdCreds || readString(t, needs) != stdNeeds {
					t.Fatal("files changed without a journal entry")
				}
				return
			}
			e := onlyEntry(t, env)
			if statuses(e) != "applied,applied" || readString(t, creds) != newCreds || readString(t, needs) != newNeeds {
				t.Fatalf("after resume: %s %+v", statuses(e), e.Steps)
			}
			if _, err := journal.Open(env, nil).Undo(context.Background(), e.ID); err != nil {
				t.Fatal(err)
			}
			if readString(t, creds) != stdCreds || readString(t, needs) != stdNeeds {
				t.Fatal("undo after a resumed reset is not byte for byte")
			}
		})
	}
}

// TestCrashDuringUndo kills an undo at every write; files stay old or new and
// the next start completes the undo.
func TestCrashDuringUndo(t *testing.T) {
	pts := []string{"journal-before-restore:1", "journal-before-restore:2"}
	for i := 1; i <= 8; i++ {
		pts = append(pts, "atomic-before-rename:"+strconv.Itoa(i), "atomic-after-rename:"+strconv.Itoa(i))
	}
	for _, pt := range pts {
		t.Run(pt, func(t *testing.T) {
			home := t.TempDir()
			creds, needs := writeStandard(t, home)
			e := resetNow(t, home)
			cmd := helperCmd(home, "undo", "RESET_ID="+e.ID, crashpoint.EnvVar+"="+pt)
			out, err := cmd.CombinedOutput()
			if err != nil && !crashpoint.Killed(err) {
				t.Fatalf("undo helper: %v %s", err, out)
			}
			if c := readString(t, creds); c != stdCreds && c != newCreds {
				t.Fatalf("credentials torn: %s", c)
			}
			if n := readString(t, needs); n != stdNeeds && n != newNeeds {
				t.Fatalf("needs-auth torn: %s", n)
			}
			env := storetest.Env(home)
			ageAbandonedLock(t, env)
			journal.ResumePending(context.Background(), env, nil)
			e2 := onlyEntry(t, env)
			if e2.Steps[0].Status == journal.StatusApplied || e2.Steps[1].Status == journal.StatusApplied {
				// Killed before the undo was recorded as started: the user runs it again.
				if _, err := journal.Open(env, nil).Undo(context.Background(), e.ID); err != nil {
					t.Fatal(err)
				}
			}
			if readString(t, creds) != stdCreds || readString(t, needs) != stdNeeds {
				t.Fatalf("undo not completed after a crash at %s: %s", pt, statuses(onlyEntry(t, env)))
			}
		})
	}
}

// ageAbandonedLock stands for time passing after a crash: a killed process
// may leave Claude Code's .storage-write.lock behind (it has no owner file, as
// Claude Code's protocol has none), and every writer — Claude Code and
// mcpmend alike — waits for it to go stale (15 s) before taking it over.
func ageAbandonedLock(t *testing.T, env registry.Env) {
	t.Helper()
	lock := credentials.Lock(env).Path
	if _, err := os.Stat(lock); err == nil {
		old := time.Now().Add(-mutation.StorageLockStale - time.Second)
		os.Chtimes(lock, old, old)
	}
}

func TestJournalGetRejectsBadIDs(t *testing.T) {
	j := journal.Open(storetest.Env(t.TempDir()), nil)
	for _, id := range []string{"", "..", "../x", "nope"} {
		if _, err := j.Get(id); err == nil {
			t.Errorf("Get(%q) succeeded", id)
		}
	}
}
