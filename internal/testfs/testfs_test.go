package testfs

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// TestWriteFileMakesItsDirectory writes below a directory that does not
// exist yet and reads the content and the modes back.
func TestWriteFileMakesItsDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a", "b", "f.json")
	WriteFile(t, path, `{"x":1}`)
	data, err := os.ReadFile(path)
	if err != nil || string(data) != `{"x":1}` {
		t.Fatalf("read back %q, %v", data, err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	di, err := os.Stat(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && (fi.Mode().Perm() != 0o600 || di.Mode().Perm() != 0o700) {
		t.Fatalf("modes %v %v, want 0600 0700", fi.Mode().Perm(), di.Mode().Perm())
	}
}
