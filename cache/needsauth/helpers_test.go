package needsauth

import (
	"github.com/mcpmend/mcpmend/cache/internal/storetest"
	"os"
	"path/filepath"
	"testing"
)

// The helpers every store's tests share live in cache/internal/storetest.
var (
	claudeServer = storetest.ClaudeServer
	testEnv      = storetest.Env
	fixedNow     = storetest.Now
	msAgo        = storetest.MsAgo
)

// writeFile writes a fixture file (0600), making its directory. It stays in
// the test files: the shared storetest package is ordinary code, and only
// internal/ writes files.
func writeFile(t testing.TB, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}
