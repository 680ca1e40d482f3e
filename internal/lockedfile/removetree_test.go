package lockedfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// removeTree is RemoveTree's fallback where os.RemoveAll fails (under Wine
// it always does): it must take a nested tree away on its own.
func TestRemoveTreeFileByFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "stage")
	for _, p := range []string{"a/b/c", "a/d", "e"} {
		os.MkdirAll(filepath.Join(dir, filepath.FromSlash(p)), 0o700)
		os.WriteFile(filepath.Join(dir, filepath.FromSlash(p), "f.ldb"), []byte("x"), 0o600)
	}
	if err := removeTree(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%s still there: %v", dir, err)
	}
	if err := removeTree(dir); err != nil {
		t.Errorf("a tree already gone: %v", err)
	}
}

func TestRemoveOfAMissingFileIsNotAnError(t *testing.T) {
	if err := Remove(filepath.Join(t.TempDir(), "gone.json")); err != nil {
		t.Fatal(err)
	}
}
