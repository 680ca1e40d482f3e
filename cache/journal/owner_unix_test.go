//go:build unix

package journal_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/mcpmend/mcpmend/cache/journal"
	"github.com/mcpmend/mcpmend/cache/mutation"
	"github.com/mcpmend/mcpmend/cache/store"
	"github.com/mcpmend/mcpmend/internal/jsonedit"
	"github.com/mcpmend/mcpmend/registry"
)

// recorded writes a needs-auth file in home and records (Begin) a reset of
// its "srv" entry, returning the journal and the entry id.
func recorded(t *testing.T, home string) (*journal.Journal, string, string) {
	t.Helper()
	env := registry.Env{Home: home, GOOS: "linux", Getenv: func(string) string { return "" }, AsOwner: true}
	file := filepath.Join(home, ".claude", "mcp-needs-auth-cache.json")
	os.MkdirAll(filepath.Dir(file), 0o700)
	if err := os.WriteFile(file, []byte(`{"srv":{"timestamp":1},"other":{"timestamp":2}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	m, err := mutation.PlanJSONDelete(store.NeedsAuth, file, nil, 0, jsonedit.Compact,
		[]mutation.JSONTarget{{Path: jsonedit.Path{"srv"}, Kind: store.KindNeedsAuth}})
	if err != nil {
		t.Fatal(err)
	}
	j := journal.Open(env, nil)
	e, err := j.Begin(journal.ServerRef{Name: "srv"}, []journal.Mutation{m}, journal.BeginOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return j, e.ID, file
}

func mustBeIgnored(t *testing.T, j *journal.Journal, id string) {
	t.Helper()
	if es, err := j.List(); err != nil || len(es) != 0 {
		t.Fatalf("List of an untrusted journal: %d entries, %v", len(es), err)
	}
	if _, err := j.Get(id); err == nil || !strings.Contains(err.Error(), "ignored") {
		t.Fatalf("Get of an untrusted journal: %v", err)
	}
	if _, err := j.Undo(context.Background(), id); err == nil {
		t.Fatal("Undo ran from an untrusted journal")
	}
}

// TestGroupWritableJournalIsIgnored: a journal directory others can write
// is not read (someone else could have planted entries that steer writes).
func TestGroupWritableJournalIsIgnored(t *testing.T) {
	j, id, _ := recorded(t, t.TempDir())
	if err := os.Chmod(j.Dir, 0o770); err != nil {
		t.Fatal(err)
	}
	mustBeIgnored(t, j, id)
	os.Chmod(j.Dir, 0o700)
	if _, err := j.Get(id); err != nil {
		t.Fatalf("after chmod 0700: %v", err)
	}
	os.Chmod(filepath.Join(j.Dir, id), 0o777)
	if _, err := j.Get(id); err == nil {
		t.Fatal("a world-writable entry directory was read")
	}
}

func uidOf(t *testing.T, p string) int {
	t.Helper()
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	return int(fi.Sys().(*syscall.Stat_t).Uid)
}

// TestRootResetKeepsTheJournalTheHomeOwners: root resetting another user's
// home leaves the journal owned by that user (who can then undo it), root
// still accepts it, and a journal owned by a third user is ignored.
func TestRootResetKeepsTheJournalTheHomeOwners(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	const owner, stranger = 4242, 4343
	home := t.TempDir()
	if err := os.Chown(home, owner, owner); err != nil {
		t.Fatal(err)
	}
	j, id, file := recorded(t, home)
	e, err := j.Apply(context.Background(), id)
	if err != nil || e.Steps[0].Status != journal.StatusApplied {
		t.Fatalf("apply as root: %v %+v", err, e)
	}
	filepath.WalkDir(filepath.Dir(j.Dir), func(p string, _ fs.DirEntry, err error) error {
		if err == nil && uidOf(t, p) != owner {
			t.Errorf("%s is owned by uid %d, want the home's owner %d", p, uidOf(t, p), owner)
		}
		return nil
	})
	if _, err := j.Get(id); err != nil {
		t.Fatalf("root refused the home owner's journal: %v", err)
	}
	if _, err := j.Undo(context.Background(), id); err != nil {
		t.Fatalf("root undo: %v", err)
	}
	if got, _ := os.ReadFile(file); !strings.Contains(string(got), `"srv"`) {
		t.Fatalf("undo did not put srv back: %s", got)
	}
	if err := os.Chown(j.Dir, stranger, stranger); err != nil {
		t.Fatal(err)
	}
	mustBeIgnored(t, j, id)
}

// TestForeignHomeIsRefusedWithoutAsOwner: root (or anyone) writing a home
// another user owns is refused before anything is recorded or changed —
// Begin, Apply, Undo and a replay alike — and the error names the home, its
// owner and the flag.
func TestForeignHomeIsRefusedWithoutAsOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	home := t.TempDir()
	j, id, file := recorded(t, home) // recorded while home was root's
	if err := os.Chown(home, 4242, 4242); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(file)
	env := registry.Env{Home: home, GOOS: "linux", Getenv: func(string) string { return "" }}
	strict := journal.Open(env, nil)
	check := func(what string, err error) {
		t.Helper()
		if err == nil || !strings.Contains(err.Error(), home) || !strings.Contains(err.Error(), "uid 4242") || !strings.Contains(err.Error(), "--as-owner") {
			t.Errorf("%s: %v; want a refusal naming the home, its owner and --as-owner", what, err)
		}
	}
	_, err := strict.Apply(context.Background(), id)
	check("Apply", err)
	_, err = strict.Undo(context.Background(), id)
	check("Undo", err)
	_, err = journal.ResumePending(context.Background(), env, nil)
	check("ResumePending", err)
	_, err = journal.RunPending(context.Background(), env, journal.PendingOptions{OnlyOnce: true})
	check("RunPending", err)
	_, err = strict.Begin(journal.ServerRef{Name: "srv"}, nil, journal.BeginOptions{})
	check("Begin", err)
	if es, _ := strict.List(); len(es) != 1 || es[0].Steps[0].Status != journal.StatusPlanned {
		t.Errorf("the journal changed: %+v", es)
	}
	if after, _ := os.ReadFile(file); string(after) != string(before) {
		t.Errorf("the store changed: %s", after)
	}
	if e, err := j.Apply(context.Background(), id); err != nil || e.Steps[0].Status != journal.StatusApplied {
		t.Fatalf("with --as-owner: %v %+v", err, e)
	}
}
