//go:build unix

package cache

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/mcpmend/mcpmend/cache/credentials"
	"github.com/mcpmend/mcpmend/cache/internal/storetest"
	"github.com/mcpmend/mcpmend/cache/journal"
	"github.com/mcpmend/mcpmend/internal/keychain"
)

// compatDir is a journal written by mcpmend before the cache split (see its
// README): four resets over every mutation kind — JSON deletes in Claude
// Code's two files, mcp-remote file deletes, a Local Storage delete and a
// Keychain delete.
const compatDir = "testdata/journal-main"

// copyTree copies src into dst, keeping modes, replacing old with new in
// every entry.json (the journal names absolute paths).
func copyTree(t *testing.T, src, dst, old, new string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(target, info.Mode().Perm()|0o700)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if d.Name() == "entry.json" && old != "" {
			data = []byte(strings.ReplaceAll(string(data), old, new))
		}
		return os.WriteFile(target, data, info.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestJournalWrittenBeforeTheSplit: today's code lists, reads and undoes a
// journal written before the split, and the undo puts back exactly what the
// resets removed.
func TestJournalWrittenBeforeTheSplit(t *testing.T) {
	sec, storeFile := fakeSecurity(t)
	kcAfter, err := os.ReadFile(filepath.Join(compatDir, "keychain-after.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(storeFile, kcAfter, 0o600); err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(t.TempDir(), "home")
	copyTree(t, filepath.Join(compatDir, "after"), home, "", "")
	env := storetest.Env(home, "USER", "tester")
	jdir := filepath.Join(env.StateHome(), "journal")
	copyTree(t, filepath.Join(compatDir, "journal"), jdir, "/tmp/jfix/home", home)
	for _, e := range mustEntries(t, jdir) {
		b, _ := os.ReadFile(e)
		os.WriteFile(e, []byte(strings.ReplaceAll(string(b), "/tmp/jfix/security", sec)), 0o600)
	}

	j := journal.Open(env, nil)
	entries, err := j.List()
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, e := range entries {
		if e.Pending() || !allSteps(e, journal.StatusApplied) {
			t.Fatalf("entry %s: %s", e.ID, statuses(e))
		}
		for _, s := range e.Steps {
			kinds[s.Kind] = true
		}
	}
	if len(entries) != 4 || len(kinds) != 4 {
		t.Fatalf("%d entries, kinds %v", len(entries), kinds)
	}
	// Undo the newest first, as a person would.
	sort.Slice(entries, func(a, b int) bool { return entries[a].ID > entries[b].ID })
	for _, e := range entries {
		got, err := j.Undo(context.Background(), e.ID)
		if err != nil {
			t.Fatalf("undo %s: %v", e.ID, err)
		}
		if !allSteps(got, journal.StatusUndone) {
			t.Fatalf("undo %s: %s", e.ID, statuses(got))
		}
	}

	before := filepath.Join(compatDir, "before")
	for _, rel := range []string{".claude/.credentials.json", ".claude/mcp-needs-auth-cache.json"} {
		if got, want := readString(t, filepath.Join(home, rel)), readString(t, filepath.Join(before, rel)); got != want {
			t.Errorf("%s after undo:\n%s\nwant\n%s", rel, got, want)
		}
	}
	remote := filepath.Join(".mcp-auth", "mcp-remote-v1")
	wantFiles, _ := os.ReadDir(filepath.Join(before, remote))
	for _, f := range wantFiles {
		if got, want := readString(t, filepath.Join(home, remote, f.Name())), readString(t, filepath.Join(before, remote, f.Name())); got != want {
			t.Errorf("%s after undo: %q, want %q", f.Name(), got, want)
		}
	}
	ls := filepath.Join(".config", "Claude", "Local Storage", "leveldb")
	gotRows, wantRows := dbRows(t, filepath.Join(home, ls)), dbRows(t, filepath.Join(before, ls))
	if d := diffRows(wantRows, gotRows); len(d) > 0 {
		t.Errorf("Local Storage rows after undo differ: %v", d)
	}
	item := credentials.KeychainItem(env)
	blob, found, err := (&keychain.Client{Security: sec}).Find(context.Background(), item)
	if err != nil || !found || string(blob) != credsWith(tokenlessAB, clientCfg) {
		t.Errorf("keychain after undo: %s %v %v", blob, found, err)
	}
}

func mustEntries(t *testing.T, jdir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(jdir, "*", "entry.json"))
	if err != nil || len(m) == 0 {
		t.Fatalf("no entries under %s: %v", jdir, err)
	}
	return m
}

// allSteps reports whether every step of e has status st.
func allSteps(e *journal.Entry, st journal.Status) bool {
	for _, s := range e.Steps {
		if s.Status != st {
			return false
		}
	}
	return len(e.Steps) > 0
}
