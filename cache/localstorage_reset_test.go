//go:build unix

package cache

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/syndtr/goleveldb/leveldb"

	"github.com/mcpmend/mcpmend/cache/desktop"
	"github.com/mcpmend/mcpmend/cache/internal/storetest"
	"github.com/mcpmend/mcpmend/cache/journal"
	"github.com/mcpmend/mcpmend/cache/store"
	"github.com/mcpmend/mcpmend/internal/crashpoint"
	"github.com/mcpmend/mcpmend/internal/localstorage"
	"github.com/mcpmend/mcpmend/internal/localstorage/lstest"
	"github.com/mcpmend/mcpmend/internal/testfs"
	"github.com/mcpmend/mcpmend/registry"
)

// desktopHome copies the real-Chromium fixture into a home as Claude
// Desktop's Local Storage (Linux layout: ~/.config/Claude/Local Storage/leveldb).
func desktopHome(t testing.TB) (home, dir string) {
	t.Helper()
	home = t.TempDir()
	dir = filepath.Join(home, ".config", "Claude", "Local Storage", "leveldb")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := localstorage.CopyDBFiles(fixtureDir, dir); err != nil {
		t.Fatal(err)
	}
	// Chromium leaves its (empty) LOCK file behind; the fixture omits it.
	if err := os.WriteFile(filepath.Join(dir, "LOCK"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	return home, dir
}

// dbRows is every row of the database in dir as LevelDB itself sees it: a
// private copy opened read-write (so a second log is replayed the way
// Chromium would), without mcpmend's strict checks.
func dbRows(t testing.TB, dir string) map[string]string {
	t.Helper()
	cp := filepath.Join(t.TempDir(), "copy")
	if err := localstorage.CopyDB(dir, cp, nil); err != nil {
		t.Fatal(err)
	}
	db, err := leveldb.OpenFile(cp, nil)
	if err != nil {
		t.Fatalf("LevelDB cannot open %s: %v", dir, err)
	}
	defer db.Close()
	out := map[string]string{}
	it := db.NewIterator(nil, nil)
	for it.Next() {
		out[string(it.Key())] = string(it.Value())
	}
	it.Release()
	if err := it.Error(); err != nil {
		t.Fatal(err)
	}
	return out
}

// planDesktop plans a reset of name as a Claude Desktop server (one that is
// in no config file: a connector).
func planDesktop(t testing.TB, home, name string) []journal.Mutation {
	t.Helper()
	muts, err := desktop.Store{Others: []string{"github-tools"}}.PlanReset(context.Background(), storetest.Env(home),
		store.ResetRequest{Server: registry.Server{Name: name, Client: registry.ClaudeDesktop}})
	if err != nil {
		t.Fatal(err)
	}
	return muts
}

func runDesktopReset(t testing.TB, home, name string) *journal.Entry {
	t.Helper()
	e, err := RunReset(context.Background(), journal.Open(storetest.Env(home), nil), journal.ServerRef{Name: name, Client: registry.ClaudeDesktop}, planDesktop(t, home, name))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// githubCanaries are the fixture's tokens stored under github's items;
// CANARY-TOOLS-0003 belongs to github-tools.
var githubCanaries = []string{"CANARY-GH-ACCESS-0001", "CANARY-GH-PLAIN-0002", "CANARY-GH-PART-0004"}

// filesContaining lists the files under dir whose bytes contain s.
func filesContaining(t testing.TB, dir, s string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if b, _ := os.ReadFile(p); bytes.Contains(b, []byte(s)) {
			out = append(out, p)
		}
		return nil
	})
	return out
}

// diffRows says which keys differ between two row sets.
func diffRows(a, b map[string]string) []string {
	var out []string
	for k, v := range a {
		if w, ok := b[k]; !ok {
			out = append(out, "-"+fmt.Sprintf("%q", k))
		} else if w != v {
			out = append(out, "~"+fmt.Sprintf("%q", k))
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, "+"+fmt.Sprintf("%q", k))
		}
	}
	sort.Strings(out)
	return out
}

// withoutGithub is rows minus github's items (never the mentions).
func withoutGithub(t testing.TB, rows map[string]string) map[string]string {
	t.Helper()
	m := desktop.NewNameMatcher("github", []string{"github-tools"})
	out := map[string]string{}
	gone := 0
	for k, v := range rows {
		if it, ok := localstorage.DecodeItem([]byte(k), []byte(v)); ok && m.Key(it.Key) == desktop.KeyNames {
			gone++
			continue
		}
		out[k] = v
	}
	if gone != 6 {
		t.Fatalf("the fixture holds %d github items, want 6", gone)
	}
	return out
}

func TestLocalStorageResetAndUndo(t *testing.T) {
	home, dir := desktopHome(t)
	old := dbRows(t, dir)
	muts := planDesktop(t, home, "github")
	if len(muts) != 1 || len(muts[0].Describe()) != 6 {
		t.Fatalf("plan: %d mutations, %v", len(muts), muts)
	}
	for _, c := range muts[0].Describe() {
		if c.Store != store.Desktop || c.Kind != desktop.KindItem || c.File != dir || !strings.Contains(c.Key, "github") {
			t.Errorf("change %+v", c)
		}
	}
	e, err := RunReset(context.Background(), journal.Open(storetest.Env(home), nil), journal.ServerRef{Name: "github", Client: registry.ClaudeDesktop}, muts)
	if err != nil || statuses(e) != "applied" {
		t.Fatalf("reset: %v %s %+v", err, statuses(e), e.Steps)
	}
	want := withoutGithub(t, old)
	if d := diffRows(want, dbRows(t, dir)); len(d) > 0 {
		t.Fatalf("after the reset the rows differ from 'everything but github's items': %v", d)
	}
	// The reader agrees: github's items gone, the mentions and the other
	// server's items still there, and the database validates strictly.
	sc, err := desktop.Scan(context.Background(), dir, desktop.NewNameMatcher("github", []string{"github-tools"}))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range sc.Matches {
		if desktop.Match(m.Class) == desktop.KeyNames {
			t.Errorf("still there: %q", m.Item.Key)
		}
	}
	if len(sc.Matches) != 3 {
		t.Errorf("%d mentions left, want 3 (GitHub:display, recentServers, layout)", len(sc.Matches))
	}
	// Compacted: github's tokens are in no file of the database any more;
	// github-tools' token is.
	for _, c := range githubCanaries {
		if f := filesContaining(t, dir, c); len(f) > 0 {
			t.Errorf("%s lingers in %v", c, f)
		}
	}
	if len(filesContaining(t, dir, "CANARY-TOOLS-0003")) == 0 {
		t.Error("github-tools' token is gone")
	}
	entry := readString(t, filepath.Join(e.Dir(), "entry.json"))
	if strings.Contains(entry, "CANARY") {
		t.Fatal("a token reached entry.json")
	}
	if held, _, _ := localstorage.ProbeLock(dir); held {
		t.Fatal("the lock is still held after the reset")
	}
	if _, err := os.Stat(filepath.Join(e.Dir(), e.Steps[0].Backup, localstorage.StageDirName)); !errors.Is(err, os.ErrNotExist) {
		t.Error("the staging copy was left behind")
	}

	// A second reset finds nothing.
	if muts := planDesktop(t, home, "github"); len(muts) != 0 {
		t.Fatalf("second plan: %v", muts[0].Describe())
	}

	e, err = journal.Open(storetest.Env(home), nil).Undo(context.Background(), e.ID)
	if err != nil || statuses(e) != "undone" {
		t.Fatalf("undo: %v %s", err, statuses(e))
	}
	if d := diffRows(old, dbRows(t, dir)); len(d) > 0 {
		t.Fatalf("undo is not byte for byte: %v", d)
	}
	if _, err := desktop.Scan(context.Background(), dir, nil); err != nil {
		t.Fatalf("after undo: %v", err)
	}
}

// TestLocalStorageResetEmptiesAnOrigin: when a reset deletes an origin's
// last item its META:/METAACCESS: rows go too (as localStorage.clear does),
// and undo brings them back byte for byte.
func TestLocalStorageResetEmptiesAnOrigin(t *testing.T) {
	home, dir := desktopHome(t)
	runDesktopReset(t, home, "github")
	mid := dbRows(t, dir)
	var part string
	for k := range mid {
		if o, ok := strings.CutPrefix(k, localstorage.MetaPrefix); ok && strings.HasSuffix(o, "/^0http://127.0.0.1") {
			part = o
		}
	}
	if part == "" {
		t.Fatal("no partitioned origin")
	}
	// The partitioned origin now holds one item, "note": reset "note".
	e := runDesktopReset(t, home, "note")
	if statuses(e) != "applied" || len(e.Steps[0].Changes) != 1 {
		t.Fatalf("reset note: %s %+v", statuses(e), e.Steps)
	}
	after := dbRows(t, dir)
	want := map[string]string{}
	for k, v := range mid {
		if k != localstorage.MetaPrefix+part && k != localstorage.MetaAccessPrefix+part && !strings.HasPrefix(k, "_"+part+"\x00") {
			want[k] = v
		}
	}
	if d := diffRows(want, after); len(d) > 0 {
		t.Fatalf("rows after emptying %s: %v", part, d)
	}
	if _, err := journal.Open(storetest.Env(home), nil).Undo(context.Background(), e.ID); err != nil {
		t.Fatal(err)
	}
	if d := diffRows(mid, dbRows(t, dir)); len(d) > 0 {
		t.Fatalf("undo: %v", d)
	}
}

// TestLocalStorageResetWaitsForTheApp: while a process holds Chromium's
// fcntl lock the reset waits (nothing changes) and says what to do; once
// the lock frees the pending pass applies it.
func TestLocalStorageResetWaitsForTheApp(t *testing.T) {
	home, dir := desktopHome(t)
	old := dbRows(t, dir)
	pid, release := lstest.HoldChromiumLock(t, dir)
	digest := testfs.DirDigest(t, dir)
	muts := planDesktop(t, home, "github") // planned from a copy
	if reason, retry := muts[0].Blocked(context.Background()); !retry || !strings.Contains(reason, fmt.Sprintf("(pid %d)", pid)) ||
		!strings.Contains(reason, "quit Claude Desktop first") || !strings.Contains(reason, "applies as it exits") {
		t.Fatalf("Blocked = %q %v", reason, retry)
	}
	e, err := RunReset(context.Background(), journal.Open(storetest.Env(home), nil), journal.ServerRef{Name: "github", Client: registry.ClaudeDesktop}, muts)
	if err != nil || statuses(e) != "waiting" {
		t.Fatalf("reset while locked: %v %s", err, statuses(e))
	}
	// Apply itself also refuses to edit under the app, as a BlockedError,
	// and drops the whole copy taken before the app took the lock: an
	// attempt that installed nothing leaves nothing for an undo to read.
	var be *journal.BlockedError
	bd := t.TempDir()
	if err := localstorage.BackupDB(dir, bd); err != nil || !localstorage.HasWholeBackup(bd) {
		t.Fatal(err)
	}
	if err := muts[0].Apply(context.Background(), bd); !errors.As(err, &be) {
		t.Fatalf("Apply while locked = %v", err)
	}
	if localstorage.HasWholeBackup(bd) {
		t.Error("a blocked Apply kept the whole copy")
	}
	if testfs.DirDigest(t, dir) != digest {
		t.Fatal("the database changed while the app held it")
	}
	rep, err := journal.RunPending(context.Background(), storetest.Env(home), journal.PendingOptions{OnlyOnce: true})
	if err != nil || rep.Waiting != 1 {
		t.Fatalf("pending pass while locked: %+v %v", rep, err)
	}
	release()
	rep, err = journal.RunPending(context.Background(), storetest.Env(home), journal.PendingOptions{OnlyOnce: true})
	if err != nil || rep.Waiting != 0 {
		t.Fatalf("pending pass after the app quit: %+v %v", rep, err)
	}
	if e := onlyEntry(t, storetest.Env(home)); statuses(e) != "applied" {
		t.Fatalf("after the lock freed: %s %+v", statuses(e), e.Steps)
	}
	if d := diffRows(withoutGithub(t, old), dbRows(t, dir)); len(d) > 0 {
		t.Fatalf("rows: %v", d)
	}

	// Undo under the app is refused with the same advice, changing nothing.
	lstest.HoldChromiumLock(t, dir)
	_, err = journal.Open(storetest.Env(home), nil).Undo(context.Background(), e.ID)
	if err == nil || !strings.Contains(err.Error(), "quit Claude Desktop first") || !strings.Contains(err.Error(), "then run the undo again") {
		t.Fatalf("undo while locked: %v", err)
	}
	if d := diffRows(withoutGithub(t, old), dbRows(t, dir)); len(d) > 0 {
		t.Fatalf("a refused undo changed rows: %v", d)
	}
}

// TestLocalStorageResetRefusesARewrittenItem: an item the app rewrote
// between planning and applying refuses the reset; nothing changes.
func TestLocalStorageResetRefusesARewrittenItem(t *testing.T) {
	home, dir := desktopHome(t)
	muts := planDesktop(t, home, "github")
	// The app signs in again meanwhile (written with LevelDB itself, as
	// Chromium would).
	db, err := leveldb.OpenFile(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	var origin string
	for o := range dbRowsOrigins(t, dir) {
		if strings.HasPrefix(o, "http://127.0.0.1:") {
			origin = o
		}
	}
	db.Put(localstorage.ItemRowKey(origin, "mcp-auth-github"), localstorage.EncodeString("CANARY-GH-NEW-0005"), nil)
	db.Close()
	rewritten := dbRows(t, dir)
	digest := testfs.DirDigest(t, dir)
	e, err := RunReset(context.Background(), journal.Open(storetest.Env(home), nil), journal.ServerRef{Name: "github"}, muts)
	if err != nil || statuses(e) != "failed" || !strings.Contains(e.Steps[0].Reason, "rewritten since the reset was planned") {
		t.Fatalf("reset after a rewrite: %v %s %q", err, statuses(e), e.Steps[0].Reason)
	}
	if testfs.DirDigest(t, dir) != digest || len(diffRows(rewritten, dbRows(t, dir))) > 0 {
		t.Fatal("a refused reset changed the database")
	}
	if localstorage.HasWholeBackup(stepDir(e)) {
		t.Error("a refused reset kept the whole copy")
	}
}

func dbRowsOrigins(t testing.TB, dir string) map[string]bool {
	out := map[string]bool{}
	for k := range dbRows(t, dir) {
		if o, ok := strings.CutPrefix(k, localstorage.MetaPrefix); ok {
			out[o] = true
		}
	}
	return out
}

// TestLocalStorageResetRefusesDamage: a truncated manifest refuses the reset
// at planning, and — damaged after planning — at apply; nothing changes.
func TestLocalStorageResetRefusesDamage(t *testing.T) {
	truncate := func(t *testing.T, dir string) {
		ms, _ := filepath.Glob(filepath.Join(dir, "MANIFEST-*"))
		b, err := os.ReadFile(ms[0])
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(ms[0], b[:len(b)/2], 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := desktop.Scan(context.Background(), dir, nil); err == nil {
			t.Fatal("the reader does not see the truncated manifest")
		}
	}
	t.Run("at planning", func(t *testing.T) {
		home, dir := desktopHome(t)
		truncate(t, dir)
		digest := testfs.DirDigest(t, dir)
		_, err := desktop.Store{Others: []string{}}.PlanReset(context.Background(), storetest.Env(home),
			store.ResetRequest{Server: registry.Server{Name: "github", Client: registry.ClaudeDesktop}})
		var de *store.DamagedError
		if !errors.As(err, &de) {
			t.Fatalf("plan on a damaged database: %v", err)
		}
		if _, err := PlanReset(context.Background(), storetest.Env(home), store.ResetRequest{Server: registry.Server{Name: "github", Client: registry.ClaudeDesktop}},
			[]store.Store{desktop.Store{Others: []string{}}}); err == nil || !strings.Contains(err.Error(), "refused, nothing was changed") {
			t.Fatalf("PlanReset: %v", err)
		}
		if testfs.DirDigest(t, dir) != digest {
			t.Fatal("changed")
		}
	})
	t.Run("at apply", func(t *testing.T) {
		home, dir := desktopHome(t)
		muts := planDesktop(t, home, "github")
		truncate(t, dir)
		digest := testfs.DirDigest(t, dir)
		e, err := RunReset(context.Background(), journal.Open(storetest.Env(home), nil), journal.ServerRef{Name: "github"}, muts)
		if err != nil || statuses(e) != "failed" || !strings.Contains(e.Steps[0].Reason, "damaged") {
			t.Fatalf("reset of a damaged database: %v %s %q", err, statuses(e), e.Steps[0].Reason)
		}
		if strings.Contains(e.Steps[0].Reason, "restored") {
			t.Errorf("nothing was written, yet the reason says %q", e.Steps[0].Reason)
		}
		if testfs.DirDigest(t, dir) != digest {
			t.Fatal("a refused reset changed the database")
		}
	})
}

// The crash tests run the reset (or undo) in a child process of this test
// binary that kills itself at a crash point.
const lsHelperEnv = "MCPMEND_LS_RESET_HELPER"

func TestLocalStorageResetHelper(t *testing.T) {
	mode := os.Getenv(lsHelperEnv)
	if mode == "" {
		t.Skip("helper process for the Local Storage crash tests")
	}
	home := os.Getenv("TEST_HOME")
	j := journal.Open(storetest.Env(home), nil)
	var err error
	switch mode {
	case "reset":
		_, err = RunReset(context.Background(), j, journal.ServerRef{Name: "github", Client: registry.ClaudeDesktop}, planDesktop(t, home, "github"))
	case "undo":
		_, err = j.Undo(context.Background(), os.Getenv("RESET_ID"))
	}
	if err != nil {
		fmt.Println("helper error:", err)
		os.Exit(3)
	}
	os.Exit(0)
}

// crashHelper runs the helper and reports whether it was killed.
func crashHelper(t *testing.T, home, mode, point string, env ...string) bool {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLocalStorageResetHelper$")
	cmd.Env = append(os.Environ(), append([]string{lsHelperEnv + "=" + mode, "TEST_HOME=" + home, crashpoint.EnvVar + "=" + point}, env...)...)
	out, err := cmd.CombinedOutput()
	killed := crashpoint.Killed(err)
	if err != nil && !killed {
		t.Fatalf("%s helper: %v\n%s", mode, err, out)
	}
	return killed
}

// oldOrNew fails unless the rows are exactly one of the two states.
func oldOrNew(t *testing.T, rows, old, new map[string]string, when string) string {
	t.Helper()
	switch {
	case len(diffRows(rows, old)) == 0:
		return "old"
	case len(diffRows(rows, new)) == 0:
		return "new"
	}
	t.Fatalf("%s the database is neither old nor new: vs old %v", when, diffRows(old, rows))
	return ""
}

// TestLocalStorageResetCrash kills a reset with SIGKILL before the backup,
// after it, after the batch (before compaction), before and after the
// CURRENT switch, before the journal update, and before and in the middle
// of dropping the whole copy: LevelDB then sees the old
// or the new database, never a mix; the next start (ResumePending) finishes
// the reset with every leftover file gone; undo then restores the rows.
func TestLocalStorageResetCrash(t *testing.T) {
	pts := []string{"journal-before-backup", "journal-after-backup", "localstorage-after-batch", "localstorage-mid-install",
		"localstorage-before-commit", "localstorage-after-commit", "journal-after-apply", "localstorage-before-drop", "localstorage-mid-drop"}
	for _, pt := range pts {
		t.Run(pt, func(t *testing.T) {
			home, dir := desktopHome(t)
			old := dbRows(t, dir)
			new := withoutGithub(t, old)
			if !crashHelper(t, home, "reset", pt) {
				t.Fatalf("not killed at %s", pt)
			}
			state := oldOrNew(t, dbRows(t, dir), old, new, "after the kill")
			t.Logf("killed at %s: the database is %s", pt, state)
			env := storetest.Env(home)
			if _, err := journal.ResumePending(context.Background(), env, nil); err != nil {
				t.Fatal(err)
			}
			e := onlyEntry(t, env)
			if statuses(e) != "applied" {
				t.Fatalf("after the next start: %s %+v", statuses(e), e.Steps)
			}
			if d := diffRows(new, dbRows(t, dir)); len(d) > 0 {
				t.Fatalf("after the next start: %v", d)
			}
			if _, err := desktop.Scan(context.Background(), dir, nil); err != nil {
				t.Fatalf("after the next start the database does not validate: %v", err)
			}
			for _, c := range githubCanaries {
				if f := filesContaining(t, dir, c); len(f) > 0 {
					t.Errorf("%s lingers in %v", c, f)
				}
			}
			if left, _ := filepath.Glob(filepath.Join(dir, localstorage.TempPrefix+"*")); len(left) > 0 {
				t.Errorf("temp files left: %v", left)
			}
			// No attempt's backup keeps the whole database: not the applied
			// one's, nor that of an attempt the kill cut short.
			attempts, _ := filepath.Glob(filepath.Join(e.Dir(), "backup-*"))
			for _, a := range attempts {
				if fi, err := os.Stat(a); err != nil || !fi.IsDir() {
					continue
				}
				for _, n := range []string{localstorage.BackupDBName, "db.dropped", localstorage.StageDirName} {
					if _, err := os.Stat(filepath.Join(a, n)); err == nil {
						t.Errorf("%s keeps %s", filepath.Base(a), n)
					}
				}
			}
			if len(attempts) == 0 {
				t.Error("no backup directory")
			}
			if _, err := journal.Open(env, nil).Undo(context.Background(), e.ID); err != nil {
				t.Fatal(err)
			}
			if d := diffRows(old, dbRows(t, dir)); len(d) > 0 {
				t.Fatalf("undo after a resumed reset: %v", d)
			}
		})
	}
}

// TestLocalStorageUndoCrash kills an undo at its points; the database is old
// or new and the next start completes the undo.
func TestLocalStorageUndoCrash(t *testing.T) {
	pts := []string{"journal-before-restore", "localstorage-after-batch", "localstorage-mid-install", "localstorage-before-commit", "localstorage-after-commit"}
	for _, pt := range pts {
		t.Run(pt, func(t *testing.T) {
			home, dir := desktopHome(t)
			old := dbRows(t, dir)
			e := runDesktopReset(t, home, "github")
			reset := dbRows(t, dir)
			if !crashHelper(t, home, "undo", pt, "RESET_ID="+e.ID) {
				t.Fatalf("not killed at %s", pt)
			}
			oldOrNew(t, dbRows(t, dir), reset, old, "after the kill")
			env := storetest.Env(home)
			if _, err := journal.ResumePending(context.Background(), env, nil); err != nil {
				t.Fatal(err)
			}
			if st := statuses(onlyEntry(t, env)); st != "undone" {
				t.Fatalf("after the next start: %s", st)
			}
			if localstorage.HasWholeBackup(filepath.Join(stepDir(e), "undo")) {
				t.Error("the undo's own whole copy was left behind")
			}
			if d := diffRows(old, dbRows(t, dir)); len(d) > 0 {
				t.Fatalf("undo not completed: %v", d)
			}
			if _, err := desktop.Scan(context.Background(), dir, nil); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestLocalStorageUndoConflict: an item the app wrote again after the reset
// makes undo refuse, changing nothing.
func TestLocalStorageUndoConflict(t *testing.T) {
	home, dir := desktopHome(t)
	e := runDesktopReset(t, home, "github")
	var origin string
	for o := range dbRowsOrigins(t, dir) {
		if strings.HasPrefix(o, "http://127.0.0.1:") {
			origin = o
		}
	}
	db, err := leveldb.OpenFile(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Put(localstorage.ItemRowKey(origin, "mcp-auth-github"), localstorage.EncodeString("CANARY-GH-NEW-0006"), nil)
	db.Close()
	before := dbRows(t, dir)
	_, err = journal.Open(storetest.Env(home), nil).Undo(context.Background(), e.ID)
	var ce *journal.ConflictError
	if !errors.As(err, &ce) || !strings.Contains(ce.Key, "mcp-auth-github") {
		t.Fatalf("undo over a re-created item: %v", err)
	}
	if d := diffRows(before, dbRows(t, dir)); len(d) > 0 {
		t.Fatalf("a refused undo changed rows: %v", d)
	}
	if st := statuses(onlyEntry(t, storetest.Env(home))); st != "applied" {
		t.Fatalf("status after a refused undo: %s", st)
	}
}

// TestLocalStorageVerifyDamageNotOurs: a database damaged by someone else,
// with no install of ours, is "not applied" (Apply then refuses it) rather
// than a verification error that would roll back what was never written.
func TestLocalStorageVerifyDamageNotOurs(t *testing.T) {
	home, dir := desktopHome(t)
	m := planDesktop(t, home, "github")[0]
	lstest.CorruptTable(t, dir)
	applied, err := m.Verify(context.Background(), t.TempDir())
	if err != nil || applied {
		t.Fatalf("Verify of a database damaged by others = %v %v, want not applied", applied, err)
	}
}
