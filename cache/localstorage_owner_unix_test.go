//go:build unix

package cache

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/mcpmend/mcpmend/cache/journal"
	"github.com/mcpmend/mcpmend/internal/localstorage"
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
	env := testEnv(home)
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
	e, err = RunReset(context.Background(), j, journal.ServerRef{Name: "github", Client: registry.ClaudeDesktop}, planDesktop(t, home, "github"))
	if err != nil || statuses(e) != "applied" {
		t.Fatalf("second reset: %v %+v", err, e)
	}
	corruptTable(t, dir)
	ownDamage(t, dir, filepath.Join(e.Dir(), e.Steps[0].Backup)+localstorage.InstallExt)
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

// ownDamage makes the damage corruptTable did count as mcpmend's own
// install (the record names the files as they are now), so undo replaces
// the whole database — the path that restores every file from the backup.
func ownDamage(t *testing.T, dir, recPath string) {
	t.Helper()
	rec, err := localstorage.ReadRecord(recPath)
	if err != nil || rec == nil {
		t.Fatalf("install record: %+v %v", rec, err)
	}
	for n := range rec.Installed {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.Sum256(b)
		rec.Installed[n] = localstorage.FileSum{Size: int64(len(b)), SHA256: hex.EncodeToString(h[:])}
	}
	b, _ := json.Marshal(rec)
	if err := os.WriteFile(recPath, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
