//go:build unix

package cache

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/mcpmend/mcpmend/cache/internal/storetest"
	"github.com/mcpmend/mcpmend/cache/journal"
	"github.com/mcpmend/mcpmend/registry"
)

// TestLocalStorageRootKeepsOwnership: root (with --as-owner) resetting
// and undoing Claude Desktop's Local Storage on a user's home — through the
// row-level undo and through the whole-database restore of a damaged one —
// leaves every file and directory in the home the user's: the new tables,
// manifest and CURRENT Chromium must be able to compact and replace.
func TestLocalStorageRootKeepsOwnership(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	home, dir := desktopHome(t)
	if err := chownAll(home, 4242, 4243); err != nil {
		t.Fatal(err)
	}
	env := storetest.Env(home)
	env.AsOwner = true
	j := journal.Open(env, nil)
	muts := planDesktop(t, home, "github")
	e, err := RunReset(context.Background(), j, journal.ServerRef{Name: "github", Client: registry.ClaudeDesktop}, muts)
	if err != nil || statuses(e) != "applied" {
		t.Fatalf("reset: %v %+v", err, e)
	}
	notOwned(t, home, "after the reset")
	if _, err := j.Undo(context.Background(), e.ID); err != nil {
		t.Fatal(err)
	}
	notOwned(t, home, "after the undo")
	// The whole-database restore: a reset whose whole copy was kept (as
	// older versions did) and whose install is damaged as only mcpmend's
	// own could be (main's helpers, as its own test of that path).
	pre := preImage(t, dir)
	e, err = RunReset(context.Background(), j, journal.ServerRef{Name: "github", Client: registry.ClaudeDesktop}, planDesktop(t, home, "github"))
	if err != nil || statuses(e) != "applied" {
		t.Fatalf("second reset: %v %+v", err, e)
	}
	legacyCopy(t, pre, e)
	fakeOwnDamage(t, dir, e)
	if _, err := j.Undo(context.Background(), e.ID); err != nil {
		t.Fatal(err)
	}
	notOwned(t, home, "after the whole-database undo")
}

func chownAll(root string, uid, gid int) error {
	return filepath.WalkDir(root, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, gid)
	})
}

func notOwned(t *testing.T, root, when string) {
	t.Helper()
	filepath.WalkDir(root, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		fi, err := os.Lstat(p)
		if err == nil {
			if st := fi.Sys().(*syscall.Stat_t); st.Uid != 4242 || st.Gid != 4243 {
				t.Errorf("%s: %s is %d:%d, want the user's 4242:4243", when, p, st.Uid, st.Gid)
			}
		}
		return nil
	})
}
