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

// TestDirDigestSeesNamesAndContents: the same files digest the same; a
// changed byte, a renamed file and an added file each change the digest.
func TestDirDigestSeesNamesAndContents(t *testing.T) {
	dir := t.TempDir()
	WriteFile(t, filepath.Join(dir, "a"), "one")
	WriteFile(t, filepath.Join(dir, "b"), "two")
	before := DirDigest(t, dir)
	if DirDigest(t, dir) != before {
		t.Fatal("the same directory digests differently")
	}
	for _, change := range []func(){
		func() { WriteFile(t, filepath.Join(dir, "a"), "ONE") },
		func() {
			if err := os.Rename(filepath.Join(dir, "b"), filepath.Join(dir, "c")); err != nil {
				t.Fatal(err)
			}
		},
		func() { WriteFile(t, filepath.Join(dir, "d"), "") },
	} {
		change()
		after := DirDigest(t, dir)
		if after == before {
			t.Fatal("a change left the digest as it was")
		}
		before = after
	}
}
