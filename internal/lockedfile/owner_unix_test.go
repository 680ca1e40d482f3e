//go:build unix

package lockedfile

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestWriteFileKeepsOwner: run as root (`sudo mcpmend install`), a
// replaced file keeps its user's owner and group and its mode.
func TestWriteFileKeepsOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("changing a file's owner needs root")
	}
	p := filepath.Join(t.TempDir(), "mcp.json")
	if err := os.WriteFile(p, []byte("{}"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(p, 4321, 4322); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(p, []byte(`{"a":1}`), WriteOptions{KeepOwner: true}); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if st.Uid != 4321 || st.Gid != 4322 || fi.Mode().Perm() != 0o640 {
		t.Fatalf("owner %d:%d mode %v, want 4321:4322 0640", st.Uid, st.Gid, fi.Mode().Perm())
	}
	// Without KeepOwner the writer owns the new file, as before.
	if err := WriteFile(p, []byte(`{}`), WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	fi, _ = os.Stat(p)
	if st := fi.Sys().(*syscall.Stat_t); st.Uid != 0 {
		t.Fatalf("uid %d without KeepOwner", st.Uid)
	}
}

// TestRootWritesNewFilesAsTheDirectoryOwner: a file or directory root
// creates in a user's directory (a restored mcp-remote file, ~/.claude for
// a lock, a replaced file through its symlink) belongs to that user.
func TestRootWritesNewFilesAsTheDirectoryOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("changing a file's owner needs root")
	}
	home := t.TempDir()
	if err := os.Chown(home, 4242, 4243); err != nil {
		t.Fatal(err)
	}
	owned := func(p string) {
		t.Helper()
		fi, err := os.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st := fi.Sys().(*syscall.Stat_t); st.Uid != 4242 || st.Gid != 4243 {
			t.Errorf("%s is %d:%d, want 4242:4243", p, st.Uid, st.Gid)
		}
	}
	deep := filepath.Join(home, ".local", "state", "mcpmend")
	if err := MkdirAll(deep, 0o700); err != nil {
		t.Fatal(err)
	}
	owned(filepath.Join(home, ".local"))
	owned(filepath.Join(home, ".local", "state"))
	owned(deep)
	p := filepath.Join(deep, "new.json")
	if err := WriteFile(p, []byte("{}"), WriteOptions{KeepOwner: true}); err != nil {
		t.Fatal(err)
	}
	owned(p)
	pub := filepath.Join(deep, "published.json")
	if err := Publish(pub, []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	owned(pub)
	l := DirLock{Path: filepath.Join(home, ".claude", ".storage-write.lock"), Stale: 15 * time.Second}
	h, err := l.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	owned(filepath.Join(home, ".claude"))
	owned(l.Path)
	h.Release()
}

// TestRootDoesNotFollowAUsersLinkElsewhere: a user's symlink must not
// steer root into rewriting a file of someone else (the system's); and a
// root-owned file a root run left in the user's directory is given back.
func TestRootDoesNotFollowAUsersLinkElsewhere(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("changing a file's owner needs root")
	}
	home, system := t.TempDir(), t.TempDir()
	os.Chown(home, 4242, 4243)
	victim := filepath.Join(system, "passwd.json")
	os.WriteFile(victim, []byte(`{"root":1}`), 0o644)
	link := filepath.Join(home, ".claude.json")
	os.Symlink(victim, link)
	err := WriteFile(link, []byte(`{}`), WriteOptions{Links: FollowSymlinks, KeepOwner: true})
	var le *LinkError
	if !errors.As(err, &le) || !le.Foreign || !strings.Contains(err.Error(), "belongs to uid 0, not to uid 4242") {
		t.Fatalf("root followed a user's link to a root file: %v", err)
	}
	if b, _ := os.ReadFile(victim); string(b) != `{"root":1}` {
		t.Fatalf("the system's file changed: %s", b)
	}
	leftover := filepath.Join(home, "needs.json")
	os.WriteFile(leftover, []byte(`{}`), 0o600) // root's, in the user's directory
	if err := WriteFile(leftover, []byte(`{"a":1}`), WriteOptions{KeepOwner: true}); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(leftover)
	if st := fi.Sys().(*syscall.Stat_t); st.Uid != 4242 || st.Gid != 4243 {
		t.Errorf("the leftover is %d:%d, want the directory owner's 4242:4243", st.Uid, st.Gid)
	}
}
