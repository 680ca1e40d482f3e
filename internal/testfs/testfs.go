// Package testfs writes the fixture files of tests and fingerprints
// directories, so a test can show that something was left byte for byte. Test-only: nothing but
// _test files imports it. It lives under internal/ because only code there
// writes files; the store tests' shared helpers (cache/internal/storetest)
// are ordinary code and write none.
package testfs

import (
	"crypto/sha256"
	"os"
	"path/filepath"
	"testing"
)

// WriteFile writes data to path with mode 0600, making its directory (0700)
// first, as Claude Code's own files are: a failure ends the test.
func WriteFile(t testing.TB, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

// DirDigest hashes every file name and content in dir, so that a test can
// show a directory (a database) was left byte for byte as it was.
func DirDigest(t testing.TB, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		h.Write([]byte(e.Name()))
		h.Write(data)
	}
	return string(h.Sum(nil))
}
