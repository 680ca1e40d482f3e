// Package testfs writes the fixture files of tests. Test-only: nothing but
// _test files imports it. It lives under internal/ because only code there
// writes files; the store tests' shared helpers (cache/internal/storetest)
// are ordinary code and write none.
package testfs

import (
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
