//go:build unix

package lockedfile

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
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
