//go:build unix

package cache

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpmend/mcpmend/cache/internal/storetest"
	"github.com/mcpmend/mcpmend/cache/journal"
	"github.com/mcpmend/mcpmend/cache/store"
	"github.com/mcpmend/mcpmend/internal/localstorage"
	"github.com/mcpmend/mcpmend/internal/testfs"
)

// A Claude Desktop reset keeps less (internal/localstorage keep.go): once
// the installed database reads back, the whole copy of the database goes,
// and the backup holds only the removed rows, the install record and the
// digest of the pre-image.

// toolsCanary is github-tools' token in the fixture: another connector's
// item, which a reset of github must keep out of its backup.
const toolsCanary = "CANARY-TOOLS-0003"

// preImage copies the live database before a reset, to rebuild the backup
// earlier versions kept (legacyCopy).
func preImage(t testing.TB, dir string) string {
	t.Helper()
	pre := filepath.Join(t.TempDir(), "pre")
	if err := localstorage.CopyDB(dir, pre, nil); err != nil {
		t.Fatal(err)
	}
	return pre
}

// legacyCopy puts back into e's Local Storage backup the whole copy earlier
// versions kept for the life of the entry: what BackupDB took of the live
// database under the lock right before the edit.
func legacyCopy(t testing.TB, pre string, e *journal.Entry) {
	t.Helper()
	if err := localstorage.BackupDB(pre, stepDir(e)); err != nil {
		t.Fatal(err)
	}
}

func stepDir(e *journal.Entry) string { return filepath.Join(e.Dir(), e.Steps[0].Backup) }

// mustKeepLess checks e's backup holds no whole copy (nor one half
// dropped, nor a staging copy) and no byte of another connector's item.
func mustKeepLess(t testing.TB, e *journal.Entry) {
	t.Helper()
	step := stepDir(e)
	for _, n := range []string{localstorage.BackupDBName, "db.dropped", localstorage.StageDirName, localstorage.CheckDirName} {
		if _, err := os.Stat(filepath.Join(step, n)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s is still in the backup (%v)", n, err)
		}
	}
	if localstorage.HasWholeBackup(step) {
		t.Error("the backup still holds the whole database")
	}
	// No database file at all (whose compressed blocks a search for the
	// canary could miss), and no plain copy of the canary.
	filepath.WalkDir(e.Dir(), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (d.Name() == "CURRENT" || strings.HasPrefix(d.Name(), "MANIFEST-") ||
			strings.HasSuffix(d.Name(), ".ldb") || strings.HasSuffix(d.Name(), ".log")) {
			t.Errorf("a database file is in the journal entry: %s", p)
		}
		return err
	})
	if f := filesContaining(t, e.Dir(), toolsCanary); len(f) > 0 {
		t.Errorf("another connector's token is in the journal entry: %v", f)
	}
	if f := filesContaining(t, step+localstorage.InstallExt, toolsCanary); len(f) > 0 {
		t.Errorf("another connector's token is in the install record: %v", f)
	}
	if _, err := os.Stat(filepath.Join(step, "db.digest.json")); err != nil {
		t.Errorf("the digest of the pre-image is gone: %v", err)
	}
}

// savedRows decodes the removed rows a backup holds.
func savedRows(t testing.TB, e *journal.Entry) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(stepDir(e), localstorage.RemovedName))
	if err != nil {
		t.Fatal(err)
	}
	var rows []struct{ Key, Value []byte }
	if err := json.Unmarshal(b, &rows); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, r := range rows {
		out[string(r.Key)] = string(r.Value)
	}
	return out
}

// TestLocalStorageResetKeepsOnlyTheRemovedRows: after a verified reset the
// backup holds exactly the rows the reset removed, with their values (undo
// needs them), and nothing else of the database — github-tools' token,
// which the whole copy used to hold, is in no file of the entry (it is in
// the live database, so the search would find it) — and undo still brings
// every row back byte for byte.
func TestLocalStorageResetKeepsOnlyTheRemovedRows(t *testing.T) {
	home, dir := desktopHome(t)
	old := dbRows(t, dir)
	e := runDesktopReset(t, home, "github")
	if statuses(e) != "applied" {
		t.Fatalf("reset: %s", statuses(e))
	}
	// The compacted database holds the token as plain bytes (Chromium's
	// tables compress it): the search for it in the entry proves something.
	if len(filesContaining(t, dir, toolsCanary)) == 0 {
		t.Fatal("the canary is in no file of the live database")
	}
	mustKeepLess(t, e)
	reset := dbRows(t, dir)
	want := map[string]string{}
	for k, v := range old {
		if _, kept := reset[k]; !kept {
			want[k] = v
		}
	}
	saved := savedRows(t, e)
	if d := diffRows(want, saved); len(d) > 0 || len(saved) == 0 {
		t.Fatalf("the backup's rows are not exactly the removed ones: %v", d)
	}
	for k, v := range saved {
		if strings.Contains(v, toolsCanary) || strings.Contains(k, "github-tools") {
			t.Fatalf("another connector's row in the backup: %q", k)
		}
	}
	if got := undoneReason(t, home, e); !strings.Contains(got, "put back the") {
		t.Fatalf("the undo's answer: %q", got)
	}
	if d := diffRows(old, dbRows(t, dir)); len(d) > 0 {
		t.Fatalf("undo without the whole copy is not byte for byte: %v", d)
	}
}

// TestLocalStorageUndoOfALegacyBackup: a backup that still holds the whole
// copy (written by an earlier version) undoes as before: rows put back.
func TestLocalStorageUndoOfALegacyBackup(t *testing.T) {
	home, dir := desktopHome(t)
	old := dbRows(t, dir)
	pre := preImage(t, dir)
	e := runDesktopReset(t, home, "github")
	legacyCopy(t, pre, e)
	if !localstorage.HasWholeBackup(stepDir(e)) {
		t.Fatal("no legacy copy")
	}
	appWrites(t, dir, [2]string{"written-after-the-reset", "KEEP-ME"})
	asNow := dbRows(t, dir)
	if got := undoneReason(t, home, e); !strings.Contains(got, "put back the") {
		t.Fatalf("the undo's answer: %q", got)
	}
	if d := diffRows(withRemovedBack(asNow, old, dbRowsAfterReset(old, savedRows(t, e))), dbRows(t, dir)); len(d) > 0 {
		t.Fatalf("after undo: %v", d)
	}
}

// dbRowsAfterReset is old without the removed rows.
func dbRowsAfterReset(old, removed map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range old {
		if _, gone := removed[k]; !gone {
			out[k] = v
		}
	}
	return out
}

// TestLocalStorageUndoWithoutTheCopyNeverReplacesTheWhole: the install
// read back when the reset was verified, so its whole copy went; a database
// that fails the strict read later, even one that looks exactly like the
// install, is refused with the reason and not one byte changes — undo never
// replaces the whole database without the copy.
func TestLocalStorageUndoWithoutTheCopyNeverReplacesTheWhole(t *testing.T) {
	home, dir := desktopHome(t)
	e := runDesktopReset(t, home, "github")
	mustKeepLess(t, e)
	fakeOwnDamage(t, dir, e)
	before := testfs.DirDigest(t, dir)
	_, err := journal.Open(storetest.Env(home), nil).Undo(context.Background(), e.ID)
	var de *store.DamagedError
	if !errors.As(err, &de) || de.File != dir || !strings.Contains(err.Error(), "whole copy of the database was dropped") ||
		!strings.Contains(err.Error(), "undo changed nothing") {
		t.Fatalf("undo: %v, want a refusal saying the whole copy was dropped", err)
	}
	if testfs.DirDigest(t, dir) != before {
		t.Fatal("a refused undo changed files")
	}
	if st := statuses(onlyEntry(t, storetest.Env(home))); st != "applied" {
		t.Fatalf("after a refused undo: %s", st)
	}
}

// TestLocalStorageDropCrash kills a reset right before its whole copy is
// dropped and in the middle of the drop (renamed aside, not yet removed).
// The copy is then whole or unusable, never half; an undo run straight away
// finishes the reset's bookkeeping (dropping the copy) and puts every row
// back, and the next start alone drops it as well.
func TestLocalStorageDropCrash(t *testing.T) {
	for _, pt := range []string{"localstorage-before-drop", "localstorage-mid-drop"} {
		for _, next := range []string{"undo", "next start"} {
			t.Run(pt+"/"+next, func(t *testing.T) {
				home, dir := desktopHome(t)
				old := dbRows(t, dir)
				if !crashHelper(t, home, "reset", pt) {
					t.Fatalf("not killed at %s", pt)
				}
				env := storetest.Env(home)
				e := onlyEntry(t, env)
				oldOrNew(t, dbRows(t, dir), old, withoutGithub(t, old), "after the kill")
				whole := localstorage.HasWholeBackup(stepDir(e))
				if whole != (pt == "localstorage-before-drop") {
					t.Fatalf("killed at %s: whole copy kept = %v", pt, whole)
				}
				if next == "next start" {
					if _, err := journal.ResumePending(context.Background(), env, nil); err != nil {
						t.Fatal(err)
					}
					e = onlyEntry(t, env)
					if statuses(e) != "applied" {
						t.Fatalf("after the next start: %s", statuses(e))
					}
					mustKeepLess(t, e)
				}
				got, err := journal.Open(env, nil).Undo(context.Background(), e.ID)
				if err != nil || statuses(got) != "undone" {
					t.Fatalf("undo: %v %s", err, statuses(got))
				}
				if d := diffRows(old, dbRows(t, dir)); len(d) > 0 {
					t.Fatalf("after undo: %v", d)
				}
				mustKeepLess(t, got)
			})
		}
	}
}
